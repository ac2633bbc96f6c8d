//! Field values and how each field type turns them into characters and back.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use mandates::Amount;

use super::charset::{fit_text, is_restricted};
use super::{Charset, Encoding, FieldDef, FieldKind};

/// A typed field value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// Alpha, constant and status fields; trailing spaces removed on reading.
    Text(String),
    /// Numeric, count and sequence fields: the digits as written (leading zeros kept).
    Digits(String),
    Amount(Amount),
    Date(NaiveDate),
    /// A blank optional field.
    Empty,
}

impl Value {
    pub fn text(text: impl Into<String>) -> Value {
        Value::Text(text.into())
    }
    pub fn digits(digits: impl Into<String>) -> Value {
        Value::Digits(digits.into())
    }
    pub fn number(n: u64) -> Value {
        Value::Digits(n.to_string())
    }
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) | Value::Digits(t) => Some(t),
            _ => None,
        }
    }
    pub fn as_amount(&self) -> Option<Amount> {
        match self {
            Value::Amount(a) => Some(*a),
            _ => None,
        }
    }
    pub fn as_date(&self) -> Option<NaiveDate> {
        match self {
            Value::Date(d) => Some(*d),
            _ => None,
        }
    }
    /// The value of a digit string, if it fits a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Digits(d) => d.parse().ok(),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(t) | Value::Digits(t) => f.write_str(t),
            Value::Amount(a) => write!(f, "{a}"),
            Value::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Value::Empty => Ok(()),
        }
    }
}

/// A date pattern made of `YYYY`, `YY`, `MM`, `DD` and literal characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DateFormat {
    pattern: String,
    parts: Vec<DatePart>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DatePart {
    Year4,
    Year2,
    Month,
    Day,
    Literal(char),
}

impl DateFormat {
    pub fn parse(pattern: &str) -> Result<DateFormat, String> {
        let mut parts = Vec::new();
        let mut rest = pattern;
        while !rest.is_empty() {
            let (part, len) = if rest.starts_with("YYYY") {
                (DatePart::Year4, 4)
            } else if rest.starts_with("YY") {
                (DatePart::Year2, 2)
            } else if rest.starts_with("MM") {
                (DatePart::Month, 2)
            } else if rest.starts_with("DD") {
                (DatePart::Day, 2)
            } else {
                let c = rest.chars().next().unwrap_or(' ');
                if c.is_ascii_alphanumeric() {
                    return Err(format!(
                        "date format {pattern:?}: unexpected {c:?} (use YYYY, YY, MM, DD and separators)"
                    ));
                }
                (DatePart::Literal(c), c.len_utf8())
            };
            parts.push(part);
            rest = &rest[len..];
        }
        let count = |p: fn(&DatePart) -> bool| parts.iter().filter(|x| p(x)).count();
        if count(|p| matches!(p, DatePart::Year4 | DatePart::Year2)) != 1
            || count(|p| matches!(p, DatePart::Month)) != 1
            || count(|p| matches!(p, DatePart::Day)) != 1
        {
            return Err(format!(
                "date format {pattern:?} needs exactly one year, one MM and one DD"
            ));
        }
        Ok(DateFormat {
            pattern: pattern.to_owned(),
            parts,
        })
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Characters the formatted date takes.
    pub fn width(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                DatePart::Year4 => 4,
                DatePart::Year2 | DatePart::Month | DatePart::Day => 2,
                DatePart::Literal(_) => 1,
            })
            .sum()
    }

    pub fn format(&self, date: NaiveDate) -> Result<String, String> {
        let mut out = String::with_capacity(self.width());
        for part in &self.parts {
            match part {
                DatePart::Year4 => {
                    if !(0..=9999).contains(&date.year()) {
                        return Err(format!("year {} does not fit YYYY", date.year()));
                    }
                    out.push_str(&format!("{:04}", date.year()));
                }
                DatePart::Year2 => {
                    if !(2000..=2099).contains(&date.year()) {
                        return Err(format!("year {} does not fit YY (2000–2099)", date.year()));
                    }
                    out.push_str(&format!("{:02}", date.year() - 2000));
                }
                DatePart::Month => out.push_str(&format!("{:02}", date.month())),
                DatePart::Day => out.push_str(&format!("{:02}", date.day())),
                DatePart::Literal(c) => out.push(*c),
            }
        }
        Ok(out)
    }

    pub fn read(&self, text: &str) -> Option<NaiveDate> {
        let chars: Vec<char> = text.chars().collect();
        let mut at = 0;
        let (mut year, mut month, mut day) = (None, None, None);
        let take = |n: usize, at: &mut usize| -> Option<u32> {
            let slice = chars.get(*at..*at + n)?;
            *at += n;
            if !slice.iter().all(|c| c.is_ascii_digit()) {
                return None;
            }
            slice.iter().collect::<String>().parse().ok()
        };
        for part in &self.parts {
            match part {
                DatePart::Year4 => year = Some(take(4, &mut at)? as i32),
                DatePart::Year2 => year = Some(2000 + take(2, &mut at)? as i32),
                DatePart::Month => month = Some(take(2, &mut at)?),
                DatePart::Day => day = Some(take(2, &mut at)?),
                DatePart::Literal(c) => {
                    if chars.get(at) != Some(c) {
                        return None;
                    }
                    at += 1;
                }
            }
        }
        if at != chars.len() {
            return None;
        }
        NaiveDate::from_ymd_opt(year?, month?, day?)
    }
}

/// Writes one caller-supplied value into exactly `field.width()` characters. Never cuts a
/// number or an amount; cuts text only where the field says `truncate`.
pub(crate) fn encode(
    field: &FieldDef,
    value: Option<&Value>,
    charset: Charset,
    encoding: Encoding,
) -> Result<String, String> {
    let width = field.width();
    let value = match value {
        None | Some(Value::Empty) => {
            return match field.kind() {
                FieldKind::Alpha { .. } => Ok(" ".repeat(width)),
                _ if field.optional() => Ok(" ".repeat(width)),
                _ => Err("missing (the field is required)".to_owned()),
            };
        }
        Some(v) => v,
    };
    match field.kind() {
        FieldKind::Numeric { exact_width } => {
            let digits = match value {
                Value::Digits(d) | Value::Text(d) => d.as_str(),
                other => return Err(format!("expects digits, got {other:?}")),
            };
            digits_into(digits, width, *exact_width)
        }
        FieldKind::Alpha {
            truncate,
            uppercase,
        } => {
            let text = match value {
                Value::Text(t) | Value::Digits(t) => t.as_str(),
                other => return Err(format!("expects text, got {other:?}")),
            };
            let mut fitted = fit_text(text, charset, encoding);
            if *uppercase {
                fitted = fitted.to_uppercase();
                // Uppercasing can leave the charset (ß → SS is fine; ǅ is not restricted).
                fitted = fit_text(&fitted, charset, encoding);
            }
            let len = fitted.chars().count();
            if len > width {
                if *truncate {
                    fitted = fitted.chars().take(width).collect::<String>();
                    fitted.truncate(fitted.trim_end().len());
                } else {
                    return Err(format!(
                        "{text:?} has {len} characters; the field holds {width}"
                    ));
                }
            }
            Ok(pad_right(&fitted, width))
        }
        FieldKind::Amount => match value {
            Value::Amount(a) => amount_into(*a, width),
            other => Err(format!("expects an amount, got {other:?}")),
        },
        FieldKind::Date(format) => match value {
            Value::Date(d) => format.format(*d),
            other => Err(format!("expects a date, got {other:?}")),
        },
        FieldKind::Status => match value {
            Value::Text(t) if t.chars().count() == width => Ok(t.clone()),
            other => Err(format!(
                "expects a {width}-character status code, got {other:?}"
            )),
        },
        // Computed or fixed fields are never caller-supplied; the writer fills them.
        FieldKind::Constant(_)
        | FieldKind::Filler(_)
        | FieldKind::Count { .. }
        | FieldKind::Sum { .. }
        | FieldKind::Sequence => Err("is filled by the writer".to_owned()),
    }
}

pub(crate) fn digits_into(digits: &str, width: usize, exact_width: bool) -> Result<String, String> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{digits:?} is not a number"));
    }
    if digits.len() > width {
        return Err(format!(
            "{digits:?} has {} digits; the field holds {width} (never truncated)",
            digits.len()
        ));
    }
    if exact_width && digits.len() != width {
        return Err(format!(
            "{digits:?} has {} digits; the field needs exactly {width}",
            digits.len()
        ));
    }
    Ok(format!("{digits:0>width$}"))
}

pub(crate) fn amount_into(amount: Amount, width: usize) -> Result<String, String> {
    if amount.centimes() < 0 {
        return Err(format!(
            "{amount} is negative; amounts in files are unsigned"
        ));
    }
    digits_into(&amount.centimes().to_string(), width, false).map_err(|_| {
        format!("{amount} does not fit in {width} digits of centimes (never truncated)")
    })
}

fn pad_right(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(width);
    out.push_str(text);
    for _ in text.chars().count()..width {
        out.push(' ');
    }
    out
}

/// Reads one field's characters. Constants, fillers and statuses are checked by the
/// caller where they need layout context.
pub(crate) fn decode(field: &FieldDef, raw: &str) -> Result<Value, String> {
    let blank = raw.chars().all(|c| c == ' ');
    if blank && field.optional() {
        return Ok(Value::Empty);
    }
    match field.kind() {
        FieldKind::Numeric { .. } | FieldKind::Count { .. } | FieldKind::Sequence => {
            if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
                Ok(Value::Digits(raw.to_owned()))
            } else {
                Err(format!("{} is not a number", quote(raw)))
            }
        }
        FieldKind::Amount | FieldKind::Sum { .. } => {
            if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "{} is not a number (amount in centimes)",
                    quote(raw)
                ));
            }
            raw.parse::<i64>()
                .map(|c| Value::Amount(Amount::from_centimes(c)))
                .map_err(|_| format!("{} is too large for an amount", quote(raw)))
        }
        FieldKind::Date(format) => format.read(raw).map(Value::Date).ok_or_else(|| {
            format!(
                "{} is not a date in format {}",
                quote(raw),
                format.pattern()
            )
        }),
        FieldKind::Alpha { .. } => Ok(Value::Text(raw.trim_end_matches(' ').to_owned())),
        FieldKind::Status => Ok(Value::Text(raw.to_owned())),
        FieldKind::Constant(expected) => {
            if raw == expected {
                Ok(Value::Text(raw.to_owned()))
            } else {
                Err(format!("{} should be {}", quote(raw), quote(expected)))
            }
        }
        FieldKind::Filler(_) => Ok(Value::Empty),
    }
}

/// Characters an alpha field holds that the restricted set does not allow.
pub(crate) fn outside_restricted(text: &str) -> Option<char> {
    text.chars().find(|c| !is_restricted(*c))
}

fn quote(raw: &str) -> String {
    format!("'{raw}'")
}
