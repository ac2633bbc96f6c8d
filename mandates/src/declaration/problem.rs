//! What can be wrong with a declaration, line by line: each problem names its line and
//! field, so a file, a form or an API call gets every problem at once — those its reader
//! found reading the input and those of the rules ([`super::check_lines`]) together.
//!
//! Must not know: the words of any language but the English `Display` (the web's `i18n`
//! says them in the reader's language from the same parts).

use super::field_position;

/// One problem of a declaration: the line it is on (from 1; 0 for the whole file or form),
/// the field (a stable name: `worksite_code`, `headcount`, `wage_bill`, `bad_weather_base`,
/// `file`), and what is wrong. `Display` gives the English text the JSON API and logs use;
/// the pages render it in the reader's language from the same parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    pub line: usize,
    pub field: Option<&'static str>,
    pub kind: ProblemKind,
}

/// What is wrong with one field or line of a declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// Nothing given where a value is needed.
    Empty,
    /// The code is no worksite of this employer.
    UnknownWorksite(String),
    /// The worksite was already declared on an earlier line.
    Repeated { code: String, first_line: usize },
    /// Not a whole number of workers (0 or more): the value as given.
    NotWholeNumber(String),
    /// A negative amount.
    Negative,
    /// Not an amount in dinars; `decimal` is the decimal mark of the example to show.
    NotAmount { text: String, decimal: char },
    /// A CSV line with the wrong number of fields.
    FieldCount { found: usize, separator: char },
    /// No worksite line at all.
    NoLines,
    /// The contributions cannot be computed (no rate in force, overflow): the fund's side.
    Rates(String),
}

impl LineProblem {
    pub fn new(line: usize, field: Option<&'static str>, kind: ProblemKind) -> LineProblem {
        LineProblem { line, field, kind }
    }

    /// Where the problem stands in the list shown: by line, then by field in the order of
    /// a line's fields, a problem of the whole line after its fields'.
    pub fn position(&self) -> (usize, usize) {
        (self.line, self.field.map_or(usize::MAX, field_position))
    }

    /// What is wrong, in English, without the line and field.
    pub fn english_text(&self) -> String {
        match &self.kind {
            ProblemKind::Empty => "empty".to_owned(),
            ProblemKind::UnknownWorksite(code) => {
                format!("{code:?} is not a worksite of this employer")
            }
            ProblemKind::Repeated { code, first_line } => {
                format!("{code} is already declared on line {first_line}")
            }
            ProblemKind::NotWholeNumber(text) => {
                format!("{text:?} is not a whole number of workers")
            }
            ProblemKind::Negative => "must not be negative".to_owned(),
            ProblemKind::NotAmount { text, decimal } => {
                format!("{text:?} is not an amount in dinars (like 125000{decimal}50)")
            }
            ProblemKind::FieldCount {
                found,
                separator: s,
            } => format!(
                "{found} fields, expected 3 or 4 (worksite_code{s}headcount{s}wage_bill{s}bad_weather_base)"
            ),
            ProblemKind::NoLines => "no worksite line found".to_owned(),
            ProblemKind::Rates(detail) => detail.clone(),
        }
    }
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.english_text();
        match (self.line, self.field) {
            (0, Some(field)) => write!(f, "{field}: {text}"),
            (0, None) => write!(f, "{text}"),
            (line, Some(field)) => write!(f, "line {line}, field {field}: {text}"),
            (line, None) => write!(f, "line {line}: {text}"),
        }
    }
}
