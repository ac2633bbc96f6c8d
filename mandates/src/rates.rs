//! Dated contribution rates and the computation of a declaration line.
//!
//! Rounding rule: each scheme's amount is `base × rate`, rounded half-up (away from zero)
//! to the centime, separately for every line and every scheme; a line's total is the sum of
//! its rounded parts. Integer arithmetic only: rates are parts per million.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::Amount;

/// A percentage held exactly as parts per million (12.21 % = 122 100 ppm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("rate {0:?} is not a percentage like 12.21")]
    NotAPercentage(String),
    #[error("rate {0:?} has more than 4 decimal places")]
    TooPrecise(String),
    #[error("rate {0:?} must be between 0 and 100 percent")]
    OutOfRange(String),
    #[error("no {scheme} rate is in force on {date}; add one in the rates table")]
    Missing {
        scheme: &'static str,
        date: NaiveDate,
    },
    #[error("two {scheme} rates overlap from {date}; end the first before the second starts")]
    Overlap {
        scheme: &'static str,
        date: NaiveDate,
    },
    #[error("{scheme} rate valid from {from} ends before it starts ({to})")]
    Inverted {
        scheme: &'static str,
        from: NaiveDate,
        to: NaiveDate,
    },
    #[error("the contribution is too large to compute")]
    Overflow,
}

impl Rate {
    pub const fn from_ppm(ppm: u32) -> Rate {
        Rate(ppm)
    }

    pub fn ppm(self) -> u32 {
        self.0
    }

    /// Parses a percentage: "12.21", "0.375".
    pub fn parse_percent(text: &str) -> Result<Rate, RateError> {
        let trimmed = text.trim().trim_end_matches('%').trim();
        let value = Decimal::from_str(trimmed)
            .map_err(|_| RateError::NotAPercentage(text.to_owned()))?
            .normalize();
        if value.scale() > 4 {
            return Err(RateError::TooPrecise(text.to_owned()));
        }
        if value.is_sign_negative() || value > Decimal::ONE_HUNDRED {
            return Err(RateError::OutOfRange(text.to_owned()));
        }
        let ppm = (value * Decimal::from(10_000))
            .trunc()
            .to_string()
            .parse::<u32>()
            .map_err(|_| RateError::OutOfRange(text.to_owned()))?;
        Ok(Rate(ppm))
    }

    /// `base × rate`, rounded half-up to the centime.
    pub fn apply(self, base: Amount) -> Result<Amount, RateError> {
        let product = i128::from(base.centimes()) * i128::from(self.0);
        let half = 500_000i128;
        let rounded = if product >= 0 {
            (product + half) / 1_000_000
        } else {
            (product - half) / 1_000_000
        };
        i64::try_from(rounded)
            .map(Amount::from_centimes)
            .map_err(|_| RateError::Overflow)
    }
}

impl fmt::Display for Rate {
    /// As a percentage without trailing zeros: "12.21", "0.375".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Decimal::new(i64::from(self.0), 4).normalize())
    }
}

/// Which base a scheme applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateBase {
    /// The worksite's contributory wage bill.
    WageBill,
    /// The social-security wage base of covered outdoor workers.
    BadWeatherBase,
}

/// The CACOBATPH contribution schemes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    PaidLeave,
    BadWeatherEmployer,
    BadWeatherEmployee,
}

impl Scheme {
    pub const ALL: [Scheme; 3] = [
        Scheme::PaidLeave,
        Scheme::BadWeatherEmployer,
        Scheme::BadWeatherEmployee,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::PaidLeave => "paid_leave",
            Scheme::BadWeatherEmployer => "bad_weather_employer",
            Scheme::BadWeatherEmployee => "bad_weather_employee",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Scheme::PaidLeave => "Congés payés",
            Scheme::BadWeatherEmployer => "Chômage-intempéries (part employeur)",
            Scheme::BadWeatherEmployee => "Chômage-intempéries (part salariale)",
        }
    }

    pub fn label_ar(self) -> &'static str {
        match self {
            Scheme::PaidLeave => "العطل المدفوعة الأجر",
            Scheme::BadWeatherEmployer => "البطالة الناجمة عن سوء الأحوال الجوية (حصة صاحب العمل)",
            Scheme::BadWeatherEmployee => "البطالة الناجمة عن سوء الأحوال الجوية (حصة العامل)",
        }
    }

    pub fn base(self) -> RateBase {
        match self {
            Scheme::PaidLeave => RateBase::WageBill,
            Scheme::BadWeatherEmployer | Scheme::BadWeatherEmployee => RateBase::BadWeatherBase,
        }
    }
}

impl FromStr for Scheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scheme::ALL
            .into_iter()
            .find(|scheme| scheme.as_str() == s)
            .ok_or_else(|| format!("unknown contribution scheme {s:?}"))
    }
}

/// A rate in force from `valid_from` to `valid_to` (inclusive; open when `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContributionRate {
    pub scheme: Scheme,
    pub rate: Rate,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub source: String,
}

impl ContributionRate {
    pub fn covers(&self, date: NaiveDate) -> bool {
        date >= self.valid_from && self.valid_to.is_none_or(|to| date <= to)
    }
}

/// All dated rates, checked so that no two periods of one scheme overlap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateTable {
    rates: Vec<ContributionRate>,
}

impl RateTable {
    pub fn new(mut rates: Vec<ContributionRate>) -> Result<RateTable, RateError> {
        rates.sort_by_key(|r| (r.scheme, r.valid_from));
        for rate in &rates {
            if let Some(to) = rate.valid_to
                && to < rate.valid_from
            {
                return Err(RateError::Inverted {
                    scheme: rate.scheme.as_str(),
                    from: rate.valid_from,
                    to,
                });
            }
        }
        for pair in rates.windows(2) {
            let (first, second) = (&pair[0], &pair[1]);
            if first.scheme == second.scheme
                && first.valid_to.is_none_or(|to| to >= second.valid_from)
            {
                return Err(RateError::Overlap {
                    scheme: second.scheme.as_str(),
                    date: second.valid_from,
                });
            }
        }
        Ok(RateTable { rates })
    }

    /// CACOBATPH rates: paid leave 12.21 % of the wage bill; bad weather 0.375 % employer
    /// + 0.375 % employee of the covered outdoor workers' base.
    pub fn cacobatph_default() -> RateTable {
        let from = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date");
        let rate = |scheme, ppm, source: &str| ContributionRate {
            scheme,
            rate: Rate::from_ppm(ppm),
            valid_from: from,
            valid_to: None,
            source: source.to_owned(),
        };
        RateTable::new(vec![
            rate(
                Scheme::PaidLeave,
                122_100,
                "CACOBATPH paid-leave rate 12.21 % (algeria.md, [code]); confirm with the fund",
            ),
            rate(
                Scheme::BadWeatherEmployer,
                3_750,
                "CACOBATPH bad-weather 0.75 %, employer half (algeria.md, [press])",
            ),
            rate(
                Scheme::BadWeatherEmployee,
                3_750,
                "CACOBATPH bad-weather 0.75 %, employee half (algeria.md, [press])",
            ),
        ])
        .expect("the default rates do not overlap")
    }

    pub fn rates(&self) -> &[ContributionRate] {
        &self.rates
    }

    pub fn rate_on(&self, scheme: Scheme, date: NaiveDate) -> Option<&ContributionRate> {
        self.rates
            .iter()
            .find(|r| r.scheme == scheme && r.covers(date))
    }
}

/// A worksite line's bases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineBases {
    pub wage_bill: Amount,
    pub bad_weather_base: Amount,
}

/// The computed contributions of one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineAmounts {
    pub parts: Vec<(Scheme, Amount)>,
    pub total: Amount,
}

impl LineAmounts {
    /// The contribution of one scheme (zero when it has none).
    pub fn part(&self, scheme: Scheme) -> Amount {
        self.parts
            .iter()
            .find(|(s, _)| *s == scheme)
            .map_or(Amount::ZERO, |(_, a)| *a)
    }
}

/// Computes every scheme of one line with the rates in force on `period_start`.
pub fn compute_line(
    bases: &LineBases,
    period_start: NaiveDate,
    table: &RateTable,
) -> Result<LineAmounts, RateError> {
    let mut parts = Vec::with_capacity(Scheme::ALL.len());
    for scheme in Scheme::ALL {
        let rate = table
            .rate_on(scheme, period_start)
            .ok_or(RateError::Missing {
                scheme: scheme.as_str(),
                date: period_start,
            })?;
        let base = match scheme.base() {
            RateBase::WageBill => bases.wage_bill,
            RateBase::BadWeatherBase => bases.bad_weather_base,
        };
        parts.push((scheme, rate.rate.apply(base)?));
    }
    let total = Amount::checked_sum(parts.iter().map(|(_, a)| *a)).ok_or(RateError::Overflow)?;
    Ok(LineAmounts { parts, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn percentages_are_exact_parts_per_million() {
        assert_eq!(Rate::parse_percent("12.21").unwrap().ppm(), 122_100);
        assert_eq!(Rate::parse_percent("0.375").unwrap().ppm(), 3_750);
        assert_eq!(Rate::parse_percent("0.375").unwrap().to_string(), "0.375");
        assert_eq!(Rate::from_ppm(122_100).to_string(), "12.21");
        assert!(matches!(
            Rate::parse_percent("0.12345"),
            Err(RateError::TooPrecise(_))
        ));
        assert!(matches!(
            Rate::parse_percent("101"),
            Err(RateError::OutOfRange(_))
        ));
        assert!(matches!(
            Rate::parse_percent("-1"),
            Err(RateError::OutOfRange(_))
        ));
        assert!(matches!(
            Rate::parse_percent("abc"),
            Err(RateError::NotAPercentage(_))
        ));
    }

    #[test]
    fn rounding_is_half_up_to_the_centime() {
        // 0.375 % of 1.32 DZD = 0.495 centimes → 0.50? no: 132 × 3750 = 495 000 ppm-centimes
        // = 0.495 centime → rounds to 0 centimes; 134 centimes → 0.5025 → 1 centime.
        let rate = Rate::from_ppm(3_750);
        assert_eq!(
            rate.apply(Amount::from_centimes(132)).unwrap().centimes(),
            0
        );
        assert_eq!(
            rate.apply(Amount::from_centimes(134)).unwrap().centimes(),
            1
        );
        // Exactly half a centime rounds up: 50 % of 1 centime.
        assert_eq!(
            Rate::from_ppm(500_000)
                .apply(Amount::from_centimes(1))
                .unwrap()
                .centimes(),
            1
        );
        // Just under half rounds down: 12.21 % of 4 centimes = 0.4884.
        assert_eq!(
            Rate::from_ppm(122_100)
                .apply(Amount::from_centimes(4))
                .unwrap()
                .centimes(),
            0
        );
        // 12.21 % of 123.45 DZD = 15.073245 → 15.07.
        assert_eq!(
            Rate::from_ppm(122_100)
                .apply(Amount::parse("123.45").unwrap())
                .unwrap()
                .to_string(),
            "15.07"
        );
    }

    #[test]
    fn a_line_is_computed_per_scheme_with_rounded_parts() {
        let table = RateTable::cacobatph_default();
        let amounts = compute_line(
            &LineBases {
                wage_bill: Amount::parse("2500000.55").unwrap(),
                bad_weather_base: Amount::parse("1200000.10").unwrap(),
            },
            d(2026, 11, 1),
            &table,
        )
        .unwrap();
        let shown: Vec<String> = amounts.parts.iter().map(|(_, a)| a.to_string()).collect();
        assert_eq!(shown, ["305250.07", "4500.00", "4500.00"]);
        assert_eq!(amounts.total.to_string(), "314250.07");
    }

    #[test]
    fn dated_rates_apply_by_period_and_never_overlap() {
        let rate = |ppm, from, to| ContributionRate {
            scheme: Scheme::PaidLeave,
            rate: Rate::from_ppm(ppm),
            valid_from: from,
            valid_to: to,
            source: "test".to_owned(),
        };
        let table = RateTable::new(vec![
            rate(100_000, d(2020, 1, 1), Some(d(2025, 12, 31))),
            rate(122_100, d(2026, 1, 1), None),
        ])
        .unwrap();
        assert_eq!(
            table
                .rate_on(Scheme::PaidLeave, d(2025, 6, 1))
                .unwrap()
                .rate
                .ppm(),
            100_000
        );
        assert_eq!(
            table
                .rate_on(Scheme::PaidLeave, d(2026, 6, 1))
                .unwrap()
                .rate
                .ppm(),
            122_100
        );
        assert!(table.rate_on(Scheme::PaidLeave, d(2019, 6, 1)).is_none());
        let missing = compute_line(
            &LineBases {
                wage_bill: Amount::ZERO,
                bad_weather_base: Amount::ZERO,
            },
            d(2026, 1, 1),
            &table,
        )
        .unwrap_err();
        assert!(
            missing.to_string().contains("bad_weather_employer"),
            "{missing}"
        );
        let overlap = RateTable::new(vec![
            rate(1, d(2020, 1, 1), None),
            rate(2, d(2026, 1, 1), None),
        ]);
        assert!(matches!(overlap, Err(RateError::Overlap { .. })));
    }
}
