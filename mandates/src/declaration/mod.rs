//! Declarations: for one employer and one period, one line per worksite with its
//! headcount and wage bases, the contributions computed from the rates in force at the
//! start of the period. The rules of a declaration are here, once, for every way lines
//! arrive (a CSV file, the online form, the JSON API) and for the store that records them:
//!
//! - the period is of the kind the employer declares ([`check_period_kind`]);
//! - each line names a worksite of the employer, at most once; its headcount is a whole
//!   number of workers and its amounts are not negative; there is at least one line
//!   ([`line_problems`]);
//! - each line's contributions can be computed with the dated rates ([`check_lines`]);
//! - an amount far from the worksite's previous periods is a warning, not a refusal
//!   ([`plausibility`]).
//!
//! Reading an input into typed lines ([`LineInput`]) is its reader's: what it cannot read
//! it reports itself, on the same line and field, and leaves out of the line.
//!
//! Must not know: CSV columns, form fields, JSON, the words of any language but English.

mod plausibility;
mod problem;

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::Deserialize;

use crate::{Amount, LineAmounts, LineBases, Period, PeriodKind, RateTable, compute_line};

pub use plausibility::{
    DeclaredTotal, PLAUSIBILITY_FACTOR, PLAUSIBILITY_PERIODS, PlausibilityWarning, plausibility,
};
pub use problem::{LineProblem, ProblemKind};

/// The fields of a declaration line, by their stable names, in their order.
pub const FIELDS: [&str; 4] = [
    "worksite_code",
    "headcount",
    "wage_bill",
    "bad_weather_base",
];

/// Where `field` stands among a line's [`FIELDS`] (after them when it is none of them):
/// problems are listed in this order within a line.
pub fn field_position(field: &str) -> usize {
    FIELDS
        .iter()
        .position(|f| *f == field)
        .unwrap_or(FIELDS.len())
}

/// A worksite's line as declared.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDeclarationLine {
    pub worksite_code: String,
    pub headcount: i64,
    /// Contributory wage bill of the worksite for the period (paid-leave base).
    pub wage_bill: Amount,
    /// Social-security wage base of covered outdoor workers (bad-weather base).
    #[serde(default)]
    pub bad_weather_base: Amount,
}

impl NewDeclarationLine {
    /// The line as input to the rules, numbered `line`.
    pub fn input(&self, line: usize) -> LineInput {
        LineInput {
            line,
            worksite_code: Some(self.worksite_code.clone()),
            headcount: Some(self.headcount),
            wage_bill: Some(self.wage_bill),
            bad_weather_base: Some(self.bad_weather_base),
        }
    }
}

/// A line as its reader typed it, numbered as the person sees it (the file's line, the
/// form's row, the JSON array's position from 1). A field is `None` when the reader could
/// not read it, having reported why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineInput {
    pub line: usize,
    pub worksite_code: Option<String>,
    pub headcount: Option<i64>,
    pub wage_bill: Option<Amount>,
    pub bad_weather_base: Option<Amount>,
}

impl LineInput {
    /// Line `line`, none of its fields read yet. Left so (a wrong number of CSV fields,
    /// not a JSON object), it still counts as a line, and the rules say nothing of it.
    pub fn new(line: usize) -> LineInput {
        LineInput {
            line,
            ..LineInput::default()
        }
    }

    /// The declared line, when every field was read.
    pub fn complete(&self) -> Option<NewDeclarationLine> {
        Some(NewDeclarationLine {
            worksite_code: self.worksite_code.as_deref()?.trim().to_owned(),
            headcount: self.headcount?,
            wage_bill: self.wage_bill?,
            bad_weather_base: self.bad_weather_base?,
        })
    }
}

/// A line that passed every rule, with its contributions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedLine {
    /// The line's number, as given.
    pub line: usize,
    pub declared: NewDeclarationLine,
    pub amounts: LineAmounts,
}

/// The whole rule set: every problem of every line at once, in line and field order (each
/// naming its line and field), or the lines with their contributions computed with the
/// rates in force at the start of `period`. `worksites` are the employer's worksite
/// codes. An empty `Err` means only that a line lacks a field its reader could not read
/// (and reported itself).
pub fn check_lines(
    worksites: &HashSet<String>,
    lines: &[LineInput],
    rates: &RateTable,
    period: Period,
) -> Result<Vec<CheckedLine>, Vec<LineProblem>> {
    let (mut problems, complete) = check(worksites, lines);
    let mut checked = Vec::with_capacity(complete.len());
    for (line, declared) in complete {
        let bases = LineBases {
            wage_bill: declared.wage_bill,
            bad_weather_base: declared.bad_weather_base,
        };
        match compute_line(&bases, period.start(), rates) {
            Ok(amounts) => checked.push(CheckedLine {
                line,
                declared,
                amounts,
            }),
            Err(err) => problems.push(LineProblem::new(
                line,
                None,
                ProblemKind::Rates(err.to_string()),
            )),
        }
    }
    problems.sort_by_key(LineProblem::position);
    if problems.is_empty() && checked.len() == lines.len() {
        Ok(checked)
    } else {
        Err(problems)
    }
}

/// Every rule of the lines but their contributions (for when the period cannot be read
/// or is of the wrong kind, so there are no rates to apply), in line and field order.
pub fn line_problems(worksites: &HashSet<String>, lines: &[LineInput]) -> Vec<LineProblem> {
    let (mut problems, _) = check(worksites, lines);
    problems.sort_by_key(LineProblem::position);
    problems
}

/// `reading` (a reader's own problems) and `rules` (from [`line_problems`] or
/// [`check_lines`]) as one list, in line and field order.
pub fn merge_problems(reading: Vec<LineProblem>, rules: Vec<LineProblem>) -> Vec<LineProblem> {
    let mut all = reading;
    all.extend(rules);
    all.sort_by_key(LineProblem::position);
    all
}

/// The rules of the lines' fields: their problems, and the lines that are right and
/// complete (with their numbers), in order.
fn check(
    worksites: &HashSet<String>,
    lines: &[LineInput],
) -> (Vec<LineProblem>, Vec<(usize, NewDeclarationLine)>) {
    if lines.is_empty() {
        return (
            vec![LineProblem::new(0, None, ProblemKind::NoLines)],
            Vec::new(),
        );
    }
    let mut problems = Vec::new();
    let mut complete = Vec::with_capacity(lines.len());
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for input in lines {
        let before = problems.len();
        let mut problem =
            |field, kind| problems.push(LineProblem::new(input.line, Some(field), kind));
        if let Some(code) = input.worksite_code.as_deref().map(str::trim) {
            if !worksites.contains(code) {
                problem(
                    "worksite_code",
                    ProblemKind::UnknownWorksite(code.to_owned()),
                );
            } else if let Some(&first_line) = seen.get(code) {
                problem(
                    "worksite_code",
                    ProblemKind::Repeated {
                        code: code.to_owned(),
                        first_line,
                    },
                );
            } else {
                seen.insert(code, input.line);
            }
        }
        if let Some(headcount) = input.headcount
            && headcount < 0
        {
            problem(
                "headcount",
                ProblemKind::NotWholeNumber(headcount.to_string()),
            );
        }
        for (field, amount) in [
            ("wage_bill", input.wage_bill),
            ("bad_weather_base", input.bad_weather_base),
        ] {
            if amount.is_some_and(|a| a.centimes() < 0) {
                problem(field, ProblemKind::Negative);
            }
        }
        if problems.len() == before
            && let Some(declared) = input.complete()
        {
            complete.push((input.line, declared));
        }
    }
    (problems, complete)
}

/// A period of another kind than the employer declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherPeriodKind {
    /// The kind the employer declares.
    pub declares: PeriodKind,
    pub period: Period,
}

impl fmt::Display for OtherPeriodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "declares {} periods, but {} is a {} period",
            self.declares.as_str(),
            self.period,
            self.period.kind().as_str()
        )
    }
}

/// The period rule: an employer declares periods of its kind only.
pub fn check_period_kind(declares: PeriodKind, period: Period) -> Result<Period, OtherPeriodKind> {
    if period.kind() == declares {
        Ok(period)
    } else {
        Err(OtherPeriodKind { declares, period })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites() -> HashSet<String> {
        ["W1", "W2"].iter().map(|s| (*s).to_owned()).collect()
    }

    fn line(line: usize, code: &str, headcount: i64, wage_bill: &str) -> LineInput {
        NewDeclarationLine {
            worksite_code: code.to_owned(),
            headcount,
            wage_bill: Amount::parse(wage_bill).unwrap(),
            bad_weather_base: Amount::ZERO,
        }
        .input(line)
    }

    #[test]
    fn declaration_lines_deserialize_amounts_from_strings() {
        let line: NewDeclarationLine = serde_json::from_str(
            r#"{"worksite_code":"W1","headcount":3,"wage_bill":"1234.56","bad_weather_base":"100"}"#,
        )
        .unwrap();
        assert_eq!(line.wage_bill.centimes(), 123_456);
        assert_eq!(line.bad_weather_base.centimes(), 10_000);
    }

    #[test]
    fn every_problem_of_every_line_is_found_at_once_in_order() {
        let period = Period::parse("2026-10").unwrap();
        let lines = [
            line(2, "W1", 3, "100.00"),
            line(3, "W9", -1, "-5.00"),
            line(5, " W1 ", 1, "1.00"),
            LineInput {
                headcount: None,
                ..line(6, "W2", 0, "-1.00")
            },
            LineInput::new(7),
        ];
        let problems = check_lines(&sites(), &lines, &RateTable::cacobatph_default(), period)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>();
        assert_eq!(
            problems,
            [
                "line 3, field worksite_code: \"W9\" is not a worksite of this employer",
                "line 3, field headcount: \"-1\" is not a whole number of workers",
                "line 3, field wage_bill: must not be negative",
                "line 5, field worksite_code: W1 is already declared on line 2",
                "line 6, field wage_bill: must not be negative",
            ]
        );
        assert_eq!(line_problems(&sites(), &lines).len(), 5);
        assert_eq!(
            line_problems(&sites(), &[]),
            [LineProblem::new(0, None, ProblemKind::NoLines)]
        );
    }

    #[test]
    fn right_lines_get_their_contributions_or_the_rates_problem() {
        let period = Period::parse("2026-10").unwrap();
        let lines = [line(1, "W1", 3, "1000.00"), line(2, "W2", 0, "0")];
        let checked =
            check_lines(&sites(), &lines, &RateTable::cacobatph_default(), period).unwrap();
        assert_eq!(checked.len(), 2);
        assert_eq!(checked[0].amounts.total.to_string(), "122.10");
        let no_rates = RateTable::new(Vec::new()).unwrap();
        let problems = check_lines(&sites(), &lines, &no_rates, period).unwrap_err();
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0]
                .to_string()
                .starts_with("line 1: no paid_leave rate"),
            "{problems:?}"
        );
        // A line its reader could not read completely is never right.
        let partial = [LineInput {
            wage_bill: None,
            ..line(1, "W1", 3, "1.00")
        }];
        assert_eq!(
            check_lines(&sites(), &partial, &RateTable::cacobatph_default(), period),
            Err(Vec::new())
        );
    }

    #[test]
    fn an_employer_declares_periods_of_its_kind() {
        let quarter = Period::parse("2026-Q3").unwrap();
        assert_eq!(
            check_period_kind(PeriodKind::Quarterly, quarter),
            Ok(quarter)
        );
        assert_eq!(
            check_period_kind(PeriodKind::Monthly, quarter)
                .unwrap_err()
                .to_string(),
            "declares monthly periods, but 2026-Q3 is a quarterly period"
        );
    }
}
