//! The period a declaration covers: a month (`2026-10`) or a quarter (`2026-Q3`), of the
//! kind the employer declares (`monthly` or `quarterly`, [`Period::kind_name`]).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

crate::stored_codes! {
    /// How often an employer declares: a month (`2026-10`) or a quarter (`2026-Q3`) at a time.
    pub enum PeriodKind("period kind") {
        Monthly = "monthly",
        Quarterly = "quarterly",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
}

/// Text that names no period.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("period {0:?} is not a month like 2026-10 or a quarter like 2026-Q3")]
    NotAPeriod(String),
    #[error("period {0:?}: the year must be between 2000 and 2100")]
    YearOutOfRange(String),
}

impl Period {
    /// `2026-10` or `2026-Q3` (`q` too), the year from 2000 to 2100.
    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let text = text.trim();
        let bad = || PeriodError::NotAPeriod(text.to_owned());
        let (year, rest) = text.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) {
            return Err(PeriodError::YearOutOfRange(text.to_owned()));
        }
        if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            let quarter: u32 = q.parse().map_err(|_| bad())?;
            if !(1..=4).contains(&quarter) || q.len() != 1 {
                return Err(bad());
            }
            return Ok(Period::Quarter { year, quarter });
        }
        if rest.len() != 2 {
            return Err(bad());
        }
        let month: u32 = rest.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Period::Month { year, month })
    }

    /// The period of `kind` that `day` falls in.
    pub fn containing(kind: PeriodKind, day: NaiveDate) -> Period {
        let (year, month) = (day.year(), day.month());
        match kind {
            PeriodKind::Quarterly => Period::Quarter {
                year,
                quarter: (month - 1) / 3 + 1,
            },
            PeriodKind::Monthly => Period::Month { year, month },
        }
    }

    /// A month or a quarter.
    pub fn kind(self) -> PeriodKind {
        match self {
            Period::Month { .. } => PeriodKind::Monthly,
            Period::Quarter { .. } => PeriodKind::Quarterly,
        }
    }

    /// The period just before this one, of the same kind.
    pub fn previous(self) -> Period {
        self.shifted(-1)
    }

    /// The period just after this one, of the same kind.
    pub fn next(self) -> Period {
        self.shifted(1)
    }

    /// The period `by` periods of the same kind later (earlier when negative).
    fn shifted(self, by: i32) -> Period {
        let (year, number, per_year) = match self {
            Period::Month { year, month } => (year, month, 12),
            Period::Quarter { year, quarter } => (year, quarter, 4),
        };
        let index = year * per_year + (number as i32 - 1) + by;
        let (year, number) = (
            index.div_euclid(per_year),
            index.rem_euclid(per_year) as u32 + 1,
        );
        match self {
            Period::Month { .. } => Period::Month {
                year,
                month: number,
            },
            Period::Quarter { .. } => Period::Quarter {
                year,
                quarter: number,
            },
        }
    }

    /// The first day after the period: contributions for it can be collected from then on.
    pub fn next_start(self) -> NaiveDate {
        self.next().start()
    }

    /// The first day of the period (the date used to choose the contribution rates).
    pub fn start(self) -> NaiveDate {
        let (year, month) = match self {
            Period::Month { year, month } => (year, month),
            Period::Quarter { year, quarter } => (year, (quarter - 1) * 3 + 1),
        };
        NaiveDate::from_ymd_opt(year, month, 1).expect("validated year and month")
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(text: &str) -> Result<Period, PeriodError> {
        Period::parse(text)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn months_and_quarters_parse_and_print_back() {
        for text in ["2026-10", "2026-01", "2026-Q3", "2026-Q1"] {
            assert_eq!(Period::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            Period::parse("2026-Q3").unwrap().start(),
            NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()
        );
        assert_eq!(
            Period::parse("2026-12").unwrap().next_start(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        assert_eq!(
            Period::parse("2026-Q4").unwrap().next_start(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
    }

    #[test]
    fn nonsense_periods_are_refused_with_an_example() {
        for text in [
            "2026-13", "2026-1", "2026-Q5", "26-10", "2026/10", "", "2026-Q12",
        ] {
            let err = Period::parse(text).unwrap_err().to_string();
            assert!(
                err.contains("2026-10") || err.contains("year"),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn the_form_opens_on_the_period_just_ended() {
        let just_ended = |kind: &str, today| {
            Period::containing(kind.parse().unwrap(), today)
                .previous()
                .to_string()
        };
        assert_eq!(just_ended("monthly", day(2026, 11, 3)), "2026-10");
        assert_eq!(just_ended("monthly", day(2026, 1, 31)), "2025-12");
        assert_eq!(just_ended("quarterly", day(2026, 5, 1)), "2026-Q1");
        assert_eq!(just_ended("quarterly", day(2026, 2, 1)), "2025-Q4");
    }
}
