//! Loading a layout description: the TOML shape ([`Layout::from_toml`]) and the load-time
//! checks that turn it into a [`Layout`] (positions inside the record, no overlaps, unique
//! names, constants and dates of their field's width, totals naming real fields, statuses
//! and return codes that make sense). Unknown keys are refused.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    BatchedLayout, Charset, CountOf, Encoding, FieldDef, FieldKind, FileKind, Layout, LineEnding,
    Part, RecordDef, RecordRole, RecordType, ReturnCodeDef, ReturnStatus,
};
use crate::layout::LayoutError;
use crate::layout::codec::DateFormat;
use crate::reasons::{ReasonCategory, RetryClass};

impl Layout {
    /// Loads and checks a layout description written in TOML (see `bank-formats/layouts/`).
    pub fn from_toml(text: &str) -> Result<Layout, LayoutError> {
        let raw: RawLayout = toml::from_str(text)
            .map_err(|e| LayoutError::Description(e.message().trim().to_owned()))?;
        raw.check()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayout {
    name: String,
    #[serde(default)]
    title: String,
    kind: FileKind,
    record_length: usize,
    line_ending: LineEnding,
    encoding: Encoding,
    charset: Charset,
    record_type: RawPosition,
    header: RawRecord,
    detail: RawRecord,
    trailer: RawRecord,
    #[serde(default)]
    statuses: BTreeMap<String, ReturnStatus>,
    #[serde(default)]
    return_codes: Vec<RawReturnCode>,
}

impl BatchedLayout {
    /// Loads and checks a batched layout written in TOML: the keys of a layout, with
    /// `[file_header]`, `[batch_header]`, one or more `[[details]]` (each with a `name`),
    /// `[batch_trailer]` and `[file_trailer]` instead of `[header]`, `[detail]` and
    /// `[trailer]` (see `bank-formats/layouts/README.md`).
    pub fn from_toml(text: &str) -> Result<BatchedLayout, LayoutError> {
        let raw: RawBatchedLayout = toml::from_str(text)
            .map_err(|e| LayoutError::Description(e.message().trim().to_owned()))?;
        raw.check()
    }
}

/// A layout description of either structure, as found in a folder of institutions'
/// layouts: a batched one when it has a `[batch_header]` or a `[file_header]`, else a
/// single-batch one (each then checked by its own loader, whose errors it keeps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyLayout {
    Single(Box<Layout>),
    Batched(BatchedLayout),
}

impl AnyLayout {
    pub fn from_toml(text: &str) -> Result<AnyLayout, LayoutError> {
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| LayoutError::Description(e.message().trim().to_owned()))?;
        if table.contains_key("batch_header") || table.contains_key("file_header") {
            BatchedLayout::from_toml(text).map(AnyLayout::Batched)
        } else {
            Layout::from_toml(text).map(|layout| AnyLayout::Single(Box::new(layout)))
        }
    }

    pub fn name(&self) -> &str {
        match self {
            AnyLayout::Single(layout) => layout.name(),
            AnyLayout::Batched(layout) => layout.name(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBatchedLayout {
    name: String,
    #[serde(default)]
    title: String,
    kind: FileKind,
    record_length: usize,
    line_ending: LineEnding,
    encoding: Encoding,
    charset: Charset,
    record_type: RawPosition,
    file_header: RawRecord,
    batch_header: RawRecord,
    details: Vec<RawDetail>,
    batch_trailer: RawRecord,
    file_trailer: RawRecord,
    #[serde(default)]
    statuses: BTreeMap<String, ReturnStatus>,
    #[serde(default)]
    return_codes: Vec<RawReturnCode>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetail {
    name: String,
    code: String,
    follows: Option<String>,
    #[serde(default)]
    description: String,
    fields: Vec<RawField>,
}

const PART_NAMES: [&str; 4] = [
    "file_header",
    "batch_header",
    "batch_trailer",
    "file_trailer",
];

impl RawBatchedLayout {
    fn check(self) -> Result<BatchedLayout, LayoutError> {
        let (name, ctx) = check_frame(
            &self.name,
            self.record_length,
            self.line_ending,
            self.encoding,
            &self.record_type,
            true,
        )?;
        if self.details.is_empty() {
            return Err(bad(
                "a batched layout needs at least one [[details]] record type".into(),
            ));
        }
        let mut types = vec![RecordType {
            part: Part::FileHeader,
            name: "file_header".into(),
            def: ctx.record(RecordRole::Header, "file_header", self.file_header)?,
            follows: None,
        }];
        types.push(RecordType {
            part: Part::BatchHeader,
            name: "batch_header".into(),
            def: ctx.record(RecordRole::Header, "batch_header", self.batch_header)?,
            follows: None,
        });
        for raw in self.details {
            let detail_name = raw.name.trim().to_owned();
            if detail_name.is_empty()
                || !detail_name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                || PART_NAMES.contains(&detail_name.as_str())
            {
                return Err(bad(format!(
                    "detail name {:?} must be letters, digits, '_' or '-', and not one of {}",
                    raw.name,
                    PART_NAMES.join(", ")
                )));
            }
            if types.iter().any(|t| t.name == detail_name) {
                return Err(bad(format!("detail {detail_name} is listed twice")));
            }
            let def = ctx.record(
                RecordRole::Detail,
                &detail_name,
                RawRecord {
                    code: raw.code,
                    description: raw.description,
                    fields: raw.fields,
                },
            )?;
            types.push(RecordType {
                part: Part::Detail,
                name: detail_name,
                def,
                follows: raw.follows.map(|f| f.trim().to_owned()),
            });
        }
        types.push(RecordType {
            part: Part::BatchTrailer,
            name: "batch_trailer".into(),
            def: ctx.record(RecordRole::Trailer, "batch_trailer", self.batch_trailer)?,
            follows: None,
        });
        types.push(RecordType {
            part: Part::FileTrailer,
            name: "file_trailer".into(),
            def: ctx.record(RecordRole::Trailer, "file_trailer", self.file_trailer)?,
            follows: None,
        });
        for t in &types {
            if let Some(follows) = &t.follows
                && !types
                    .iter()
                    .any(|d| d.part == Part::Detail && &d.name == follows)
            {
                return Err(bad(format!(
                    "detail {}: `follows = {follows:?}` must name a detail kind of this layout",
                    t.name
                )));
            }
        }
        for (i, t) in types.iter().enumerate() {
            if let Some(other) = types[..i].iter().find(|o| o.def.code == t.def.code) {
                return Err(bad(format!(
                    "{} and {} have the same record-type code {:?}: every record type needs its own",
                    other.name, t.name, t.def.code
                )));
            }
        }
        // Totals sit in trailers: a streaming writer cannot know them in a header.
        for t in &types {
            for field in &t.def.fields {
                let total = matches!(field.kind, FieldKind::Count { .. } | FieldKind::Sum { .. });
                if total && t.def.role == RecordRole::Header {
                    return Err(bad(format!(
                        "{} field {}: in a batched layout counts and sums belong in the batch or file trailer",
                        t.name, field.name
                    )));
                }
                if field.kind
                    == (FieldKind::Count {
                        of: CountOf::Batches,
                    })
                    && t.part != Part::FileTrailer
                {
                    return Err(bad(format!(
                        "{} field {}: a count of batches belongs in the file trailer",
                        t.name, field.name
                    )));
                }
                if let FieldKind::Sum { of } = &field.kind {
                    let summed = types.iter().any(|d| {
                        d.part == Part::Detail
                            && matches!(d.def.field(of).map(|f| &f.kind), Some(FieldKind::Amount))
                    });
                    if !summed {
                        return Err(bad(format!(
                            "{} field {}: `of = \"{of}\"` must name an amount field of a detail record",
                            t.name, field.name
                        )));
                    }
                }
            }
        }
        let details: Vec<&RecordDef> = types
            .iter()
            .filter(|t| t.part == Part::Detail)
            .map(|t| &t.def)
            .collect();
        let statuses = check_statuses(&details, self.statuses)?;
        let return_codes = check_return_codes(self.return_codes)?;
        Ok(BatchedLayout {
            name,
            title: self.title,
            kind: self.kind,
            record_length: self.record_length,
            line_ending: self.line_ending,
            encoding: self.encoding,
            charset: self.charset,
            record_type_start: ctx.rt_start,
            record_type_width: ctx.rt_width,
            types,
            statuses,
            return_codes,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPosition {
    start: usize,
    width: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    code: String,
    #[serde(default)]
    description: String,
    fields: Vec<RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: String,
    start: usize,
    width: usize,
    #[serde(rename = "type")]
    kind: RawKind,
    #[serde(default)]
    description: String,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    exact_width: bool,
    #[serde(default)]
    truncate: bool,
    #[serde(default)]
    uppercase: bool,
    format: Option<String>,
    value: Option<String>,
    fill: Option<String>,
    of: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawKind {
    Numeric,
    Alpha,
    Amount,
    Date,
    Constant,
    Filler,
    Count,
    Sum,
    Sequence,
    Status,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReturnCode {
    code: String,
    meaning: String,
    category: String,
    retry: Option<String>,
}

/// Longest amount field: 18 digits always fit in an `i64` of centimes.
const MAX_AMOUNT_WIDTH: usize = 18;
const MAX_RECORD_LENGTH: usize = 4096;

fn bad(message: String) -> LayoutError {
    LayoutError::Description(message)
}

impl RawLayout {
    fn check(self) -> Result<Layout, LayoutError> {
        let (name, ctx) = check_frame(
            &self.name,
            self.record_length,
            self.line_ending,
            self.encoding,
            &self.record_type,
            false,
        )?;
        let header = ctx.record(RecordRole::Header, "header", self.header)?;
        let detail = ctx.record(RecordRole::Detail, "detail", self.detail)?;
        let trailer = ctx.record(RecordRole::Trailer, "trailer", self.trailer)?;
        if header.code == detail.code || header.code == trailer.code || detail.code == trailer.code
        {
            return Err(bad(
                "header, detail and trailer need different record-type codes".into(),
            ));
        }
        // Totals must refer to an amount field of the detail record.
        for record in [&header, &trailer] {
            for field in &record.fields {
                if let FieldKind::Sum { of } = &field.kind {
                    match detail.field(of).map(|f| &f.kind) {
                        Some(FieldKind::Amount) => {}
                        _ => {
                            return Err(bad(format!(
                                "{} field {}: `of = \"{of}\"` must name an amount field of the detail record",
                                record.role.as_str(),
                                field.name
                            )));
                        }
                    }
                }
            }
        }
        let statuses = check_statuses(&[&detail], self.statuses)?;
        let return_codes = check_return_codes(self.return_codes)?;
        Ok(Layout {
            name,
            title: self.title,
            kind: self.kind,
            record_length: self.record_length,
            line_ending: self.line_ending,
            encoding: self.encoding,
            charset: self.charset,
            record_type_start: ctx.rt_start,
            record_type_width: ctx.rt_width,
            header,
            detail,
            trailer,
            statuses,
            return_codes,
        })
    }
}

/// The checks every layout shape shares: its name, record length, line ending against
/// encoding, and where the record-type code sits. Returns the trimmed name and the context
/// that checks its records.
fn check_frame(
    raw_name: &str,
    record_length: usize,
    line_ending: LineEnding,
    encoding: Encoding,
    record_type: &RawPosition,
    batched: bool,
) -> Result<(String, Ctx), LayoutError> {
    let name = raw_name.trim().to_owned();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(bad(format!(
            "layout name {raw_name:?} must be non-empty letters, digits, '-', '_' or '.'"
        )));
    }
    if record_length == 0 || record_length > MAX_RECORD_LENGTH {
        return Err(bad(format!(
            "record_length {record_length} must be between 1 and {MAX_RECORD_LENGTH}"
        )));
    }
    if line_ending == LineEnding::None && encoding == Encoding::Utf8 {
        return Err(bad(
            "line_ending = \"none\" needs a one-byte encoding (ascii or latin1), not utf8".into(),
        ));
    }
    let (rt_start, rt_width) = (record_type.start, record_type.width);
    if rt_start == 0 || rt_width == 0 || rt_start + rt_width - 1 > record_length {
        return Err(bad(format!(
            "record_type at {rt_start} width {rt_width} does not fit in {record_length} characters"
        )));
    }
    Ok((
        name,
        Ctx {
            record_length,
            rt_start,
            rt_width,
            batched,
        },
    ))
}

/// The `[statuses]` table against the status fields of `details`: needed when one has a
/// status field, each code exactly that field's width. Sorted accepted, rejected, returned.
fn check_statuses(
    details: &[&RecordDef],
    raw: BTreeMap<String, ReturnStatus>,
) -> Result<Vec<(String, ReturnStatus)>, LayoutError> {
    let mut statuses: Vec<(String, ReturnStatus)> = raw.into_iter().collect();
    let status_field = details
        .iter()
        .flat_map(|d| d.fields.iter())
        .find(|f| matches!(f.kind, FieldKind::Status));
    if let Some(field) = status_field {
        if statuses.is_empty() {
            return Err(bad(
                "a status field needs a [statuses] table (code = \"accepted\" | \"rejected\" | \"returned\")"
                    .into(),
            ));
        }
        let width = field.width;
        if let Some((code, _)) = statuses
            .iter()
            .find(|(c, _)| c.chars().count() != width || c.trim() != c)
        {
            return Err(bad(format!(
                "status code {code:?} must be exactly {width} characters without spaces"
            )));
        }
    }
    // Keep a stable, readable order: accepted, rejected, returned.
    statuses.sort_by_key(|(code, status)| (*status as u8, code.clone()));
    Ok(statuses)
}

fn check_return_codes(raw_codes: Vec<RawReturnCode>) -> Result<Vec<ReturnCodeDef>, LayoutError> {
    let mut return_codes: Vec<ReturnCodeDef> = Vec::new();
    for raw in raw_codes {
        let code = raw.code.trim().to_owned();
        if code.is_empty() {
            return Err(bad("a return code is empty".into()));
        }
        if return_codes.iter().any(|r| r.code == code) {
            return Err(bad(format!("return code {code:?} is listed twice")));
        }
        let category = ReasonCategory::parse(&raw.category).map_err(|_| {
            bad(format!(
                "return code {code:?}: unknown category {:?} (one of: {})",
                raw.category,
                ReasonCategory::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        let retry = match raw.retry {
            None => None,
            Some(text) => Some(RetryClass::parse(&text).map_err(|_| {
                bad(format!(
                    "return code {code:?}: unknown retry class {text:?} (retry_later, never or needs_staff)"
                ))
            })?),
        };
        return_codes.push(ReturnCodeDef {
            code,
            meaning: raw.meaning,
            category,
            retry,
        });
    }
    Ok(return_codes)
}

struct Ctx {
    record_length: usize,
    rt_start: usize,
    rt_width: usize,
    /// A batched layout: a count may count batches.
    batched: bool,
}

impl Ctx {
    /// Checks one record type; `where_` names it in errors (`header`, `batch_header`, a
    /// detail kind's name…).
    fn record(
        &self,
        role: RecordRole,
        where_: &str,
        raw: RawRecord,
    ) -> Result<RecordDef, LayoutError> {
        if raw.code.chars().count() != self.rt_width {
            return Err(bad(format!(
                "{where_} code {:?} must be {} characters (the record_type width)",
                raw.code, self.rt_width
            )));
        }
        let mut fields = Vec::with_capacity(raw.fields.len());
        for raw_field in raw.fields {
            fields.push(self.field(role, where_, raw_field)?);
        }
        fields.sort_by_key(|f: &FieldDef| f.start);
        // Names are unique; nothing overlaps another field or the record type.
        for (i, field) in fields.iter().enumerate() {
            if field.name == "record_type" {
                return Err(bad(format!(
                    "{where_}: `record_type` is reserved (the code is written from [record_type])"
                )));
            }
            if fields[..i].iter().any(|f| f.name == field.name) {
                return Err(bad(format!(
                    "{where_}: field {} is listed twice",
                    field.name
                )));
            }
            let rt_end = self.rt_start + self.rt_width - 1;
            if field.start <= rt_end && self.rt_start <= field.end() {
                return Err(bad(format!(
                    "{where_} field {} ({}–{}) overlaps the record type ({}–{rt_end})",
                    field.name,
                    field.start,
                    field.end(),
                    self.rt_start
                )));
            }
            if let Some(previous) = fields[..i].last()
                && previous.end() >= field.start
            {
                return Err(bad(format!(
                    "{where_} fields {} ({}–{}) and {} ({}–{}) overlap",
                    previous.name,
                    previous.start,
                    previous.end(),
                    field.name,
                    field.start,
                    field.end()
                )));
            }
        }
        Ok(RecordDef {
            role,
            code: raw.code,
            description: raw.description,
            fields,
        })
    }

    fn field(
        &self,
        role: RecordRole,
        where_: &str,
        raw: RawField,
    ) -> Result<FieldDef, LayoutError> {
        let at = format!("{where_} field {}", raw.name);
        if raw.name.trim().is_empty() {
            return Err(bad(format!("a {where_} field has no name")));
        }
        if raw.start == 0 || raw.width == 0 {
            return Err(bad(format!("{at}: start and width begin at 1")));
        }
        if raw.start + raw.width - 1 > self.record_length {
            return Err(bad(format!(
                "{at}: positions {}–{} go past the record length {}",
                raw.start,
                raw.start + raw.width - 1,
                self.record_length
            )));
        }
        let allowed: &[&str] = match raw.kind {
            RawKind::Numeric => &["exact_width", "optional"],
            RawKind::Alpha => &["truncate", "uppercase", "optional"],
            RawKind::Amount => &["optional"],
            RawKind::Date => &["format", "optional"],
            RawKind::Constant => &["value"],
            RawKind::Filler => &["fill"],
            RawKind::Count | RawKind::Sum => &["of"],
            RawKind::Sequence | RawKind::Status => &[],
        };
        let given = [
            ("exact_width", raw.exact_width),
            ("truncate", raw.truncate),
            ("uppercase", raw.uppercase),
            ("optional", raw.optional),
            ("format", raw.format.is_some()),
            ("value", raw.value.is_some()),
            ("fill", raw.fill.is_some()),
            ("of", raw.of.is_some()),
        ];
        if let Some((key, _)) = given
            .iter()
            .find(|(key, set)| *set && !allowed.contains(key))
        {
            return Err(bad(format!("{at}: `{key}` does not apply to this type")));
        }
        let kind = match raw.kind {
            RawKind::Numeric => FieldKind::Numeric {
                exact_width: raw.exact_width,
            },
            RawKind::Alpha => FieldKind::Alpha {
                truncate: raw.truncate,
                uppercase: raw.uppercase,
            },
            RawKind::Amount => {
                if raw.width > MAX_AMOUNT_WIDTH {
                    return Err(bad(format!(
                        "{at}: amounts are at most {MAX_AMOUNT_WIDTH} digits"
                    )));
                }
                FieldKind::Amount
            }
            RawKind::Date => {
                let pattern = raw.format.ok_or_else(|| {
                    bad(format!("{at}: a date needs `format`, e.g. \"YYYYMMDD\""))
                })?;
                let format = DateFormat::parse(&pattern).map_err(|e| bad(format!("{at}: {e}")))?;
                if format.width() != raw.width {
                    return Err(bad(format!(
                        "{at}: format {pattern:?} is {} characters but the width is {}",
                        format.width(),
                        raw.width
                    )));
                }
                FieldKind::Date(format)
            }
            RawKind::Constant => {
                let value = raw
                    .value
                    .ok_or_else(|| bad(format!("{at}: a constant needs `value`")))?;
                if value.chars().count() != raw.width {
                    return Err(bad(format!(
                        "{at}: constant {value:?} must be exactly {} characters",
                        raw.width
                    )));
                }
                FieldKind::Constant(value)
            }
            RawKind::Filler => {
                let fill = raw.fill.unwrap_or_else(|| " ".to_owned());
                let mut chars = fill.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => FieldKind::Filler(c),
                    _ => {
                        return Err(bad(format!("{at}: `fill` is one character")));
                    }
                }
            }
            RawKind::Count => {
                if role == RecordRole::Detail {
                    return Err(bad(format!("{at}: counts belong in the header or trailer")));
                }
                let of = match raw.of.as_deref() {
                    None | Some("details") => CountOf::Details,
                    Some("records") => CountOf::Records,
                    Some("batches") if self.batched => CountOf::Batches,
                    Some(other) => {
                        let batches = if self.batched { ", `\"batches\"`" } else { "" };
                        return Err(bad(format!(
                            "{at}: a count is `of = \"details\"`, `\"records\"`{batches}, not {other:?}"
                        )));
                    }
                };
                FieldKind::Count { of }
            }
            RawKind::Sum => {
                if role == RecordRole::Detail {
                    return Err(bad(format!("{at}: sums belong in the header or trailer")));
                }
                if raw.width > MAX_AMOUNT_WIDTH {
                    return Err(bad(format!(
                        "{at}: sums are at most {MAX_AMOUNT_WIDTH} digits"
                    )));
                }
                let of = raw.of.ok_or_else(|| {
                    bad(format!("{at}: a sum needs `of` (a detail amount field)"))
                })?;
                FieldKind::Sum { of }
            }
            RawKind::Sequence => {
                if role != RecordRole::Detail {
                    return Err(bad(format!(
                        "{at}: sequence numbers belong in detail records"
                    )));
                }
                FieldKind::Sequence
            }
            RawKind::Status => {
                if role != RecordRole::Detail {
                    return Err(bad(format!("{at}: status codes belong in detail records")));
                }
                FieldKind::Status
            }
        };
        Ok(FieldDef {
            name: raw.name,
            start: raw.start,
            width: raw.width,
            kind,
            description: raw.description,
            optional: raw.optional,
        })
    }
}
