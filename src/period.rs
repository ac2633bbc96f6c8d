//! The period a declaration covers: a month (`2026-10`) or a quarter (`2026-Q3`).

use std::fmt;

use chrono::NaiveDate;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
}

impl Period {
    pub fn parse(text: &str) -> Result<Period, String> {
        let text = text.trim();
        let bad =
            || format!("period {text:?} is not a month like 2026-10 or a quarter like 2026-Q3");
        let (year, rest) = text.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) {
            return Err(format!(
                "period {text:?}: the year must be between 2000 and 2100"
            ));
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

    /// `monthly` or `quarterly`, as stored on the employer.
    pub fn kind_name(self) -> &'static str {
        match self {
            Period::Month { .. } => "monthly",
            Period::Quarter { .. } => "quarterly",
        }
    }

    /// The first day after the period: contributions for it can be collected from then on.
    pub fn next_start(self) -> NaiveDate {
        match self {
            Period::Month { year, month: 12 } => Period::Month {
                year: year + 1,
                month: 1,
            },
            Period::Month { year, month } => Period::Month {
                year,
                month: month + 1,
            },
            Period::Quarter { year, quarter: 4 } => Period::Quarter {
                year: year + 1,
                quarter: 1,
            },
            Period::Quarter { year, quarter } => Period::Quarter {
                year,
                quarter: quarter + 1,
            },
        }
        .start()
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
            let err = Period::parse(text).unwrap_err();
            assert!(
                err.contains("2026-10") || err.contains("year"),
                "{text}: {err}"
            );
        }
    }
}
