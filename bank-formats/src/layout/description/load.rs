//! Loading a layout description: the TOML shape ([`Layout::from_toml`]) and the load-time
//! checks that turn it into a [`Layout`] (positions inside the record, no overlaps, unique
//! names, constants and dates of their field's width, totals naming real fields, statuses
//! and return codes that make sense). Unknown keys are refused.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    Charset, CountOf, Encoding, FieldDef, FieldKind, FileKind, Layout, LineEnding, RecordDef,
    RecordRole, ReturnCodeDef, ReturnStatus,
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
        let name = self.name.trim().to_owned();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(bad(format!(
                "layout name {:?} must be non-empty letters, digits, '-', '_' or '.'",
                self.name
            )));
        }
        if self.record_length == 0 || self.record_length > MAX_RECORD_LENGTH {
            return Err(bad(format!(
                "record_length {} must be between 1 and {MAX_RECORD_LENGTH}",
                self.record_length
            )));
        }
        if self.line_ending == LineEnding::None && self.encoding == Encoding::Utf8 {
            return Err(bad(
                "line_ending = \"none\" needs a one-byte encoding (ascii or latin1), not utf8"
                    .into(),
            ));
        }
        let (rt_start, rt_width) = (self.record_type.start, self.record_type.width);
        if rt_start == 0 || rt_width == 0 || rt_start + rt_width - 1 > self.record_length {
            return Err(bad(format!(
                "record_type at {rt_start} width {rt_width} does not fit in {} characters",
                self.record_length
            )));
        }
        let ctx = Ctx {
            record_length: self.record_length,
            rt_start,
            rt_width,
        };
        let header = ctx.record(RecordRole::Header, self.header)?;
        let detail = ctx.record(RecordRole::Detail, self.detail)?;
        let trailer = ctx.record(RecordRole::Trailer, self.trailer)?;
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
        let has_status_field = detail
            .fields
            .iter()
            .any(|f| matches!(f.kind, FieldKind::Status));
        let mut statuses = Vec::new();
        for (code, status) in self.statuses {
            statuses.push((code, status));
        }
        if has_status_field {
            if statuses.is_empty() {
                return Err(bad(
                    "a status field needs a [statuses] table (code = \"accepted\" | \"rejected\" | \"returned\")"
                        .into(),
                ));
            }
            let width = detail
                .fields
                .iter()
                .find(|f| matches!(f.kind, FieldKind::Status))
                .map(|f| f.width)
                .unwrap_or(0);
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
        let mut return_codes: Vec<ReturnCodeDef> = Vec::new();
        for raw in self.return_codes {
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
        Ok(Layout {
            name,
            title: self.title,
            kind: self.kind,
            record_length: self.record_length,
            line_ending: self.line_ending,
            encoding: self.encoding,
            charset: self.charset,
            record_type_start: rt_start,
            record_type_width: rt_width,
            header,
            detail,
            trailer,
            statuses,
            return_codes,
        })
    }
}

struct Ctx {
    record_length: usize,
    rt_start: usize,
    rt_width: usize,
}

impl Ctx {
    fn record(&self, role: RecordRole, raw: RawRecord) -> Result<RecordDef, LayoutError> {
        let where_ = role.as_str();
        if raw.code.chars().count() != self.rt_width {
            return Err(bad(format!(
                "{where_} code {:?} must be {} characters (the record_type width)",
                raw.code, self.rt_width
            )));
        }
        let mut fields = Vec::with_capacity(raw.fields.len());
        for raw_field in raw.fields {
            fields.push(self.field(role, raw_field)?);
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

    fn field(&self, role: RecordRole, raw: RawField) -> Result<FieldDef, LayoutError> {
        let at = format!("{} field {}", role.as_str(), raw.name);
        if raw.name.trim().is_empty() {
            return Err(bad(format!("a {} field has no name", role.as_str())));
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
                    Some(other) => {
                        return Err(bad(format!(
                            "{at}: a count is `of = \"details\"` or `\"records\"`, not {other:?}"
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
