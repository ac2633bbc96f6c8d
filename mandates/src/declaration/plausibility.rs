//! Plausibility: a worksite whose declared amount moves sharply from its previous periods
//! gets a warning for the employer to check (never a refusal).
//!
//! Must not know: how the portal shows a warning, where the history is kept.

use serde::Serialize;

use crate::Amount;

/// How far a worksite's amount may move from its recent average before the portal asks
/// the employer to check it: more than this many times the average, or less than the
/// average divided by it.
pub const PLAUSIBILITY_FACTOR: i64 = 2;
/// How many earlier periods the average covers (those the worksite was declared in).
pub const PLAUSIBILITY_PERIODS: usize = 3;

/// What a worksite was declared for one period: its line's total contributions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredTotal {
    pub worksite_code: String,
    /// As printed: `2026-10`, `2026-Q3`.
    pub period: String,
    pub total: Amount,
}

/// A worksite whose declared amount differs sharply from its previous periods: a warning
/// for the employer to check, never a refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlausibilityWarning {
    pub worksite_code: String,
    pub period: String,
    pub amount: Amount,
    /// The average of the worksite's previous periods (up to 3)…
    pub previous_average: Amount,
    /// …and how many there were.
    pub previous_periods: usize,
}

/// The warnings for `period`, from every line the employer declared: each worksite of
/// `period` against the average of its (up to) 3 latest earlier periods; none without an
/// earlier period or with an average of zero.
pub fn plausibility(history: &[DeclaredTotal], period: &str) -> Vec<PlausibilityWarning> {
    let mut warnings = Vec::new();
    for line in history.iter().filter(|l| l.period == period) {
        let mut earlier: Vec<(&str, i64)> = history
            .iter()
            .filter(|l| l.worksite_code == line.worksite_code && l.period.as_str() < period)
            .map(|l| (l.period.as_str(), l.total.centimes()))
            .collect();
        earlier.sort_unstable();
        let recent = &earlier[earlier.len().saturating_sub(PLAUSIBILITY_PERIODS)..];
        if recent.is_empty() {
            continue;
        }
        let n = recent.len() as i128;
        let sum: i128 = recent.iter().map(|(_, a)| i128::from(*a)).sum();
        if sum <= 0 {
            continue;
        }
        let amount_n = i128::from(line.total.centimes()) * n;
        let factor = i128::from(PLAUSIBILITY_FACTOR);
        // amount > factor × average, or amount × factor < average (exact, in centimes).
        if amount_n > factor * sum || amount_n * factor < sum {
            warnings.push(PlausibilityWarning {
                worksite_code: line.worksite_code.clone(),
                period: period.to_owned(),
                amount: line.total,
                previous_average: Amount::from_centimes(i64::try_from(sum / n).unwrap_or(i64::MAX)),
                previous_periods: recent.len(),
            });
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(rows: &[(&str, &str, i64)]) -> Vec<DeclaredTotal> {
        rows.iter()
            .map(|(c, p, a)| DeclaredTotal {
                worksite_code: (*c).to_owned(),
                period: (*p).to_owned(),
                total: Amount::from_centimes(*a),
            })
            .collect()
    }

    #[test]
    fn a_sharp_change_against_the_last_three_periods_is_flagged_both_ways() {
        let history = h(&[
            // W1: 100 for a long time, then 201 (more than twice): flagged.
            ("W1", "2026-06", 999_999),
            ("W1", "2026-07", 100),
            ("W1", "2026-08", 100),
            ("W1", "2026-09", 100),
            ("W1", "2026-10", 201),
            // W2: exactly twice the average is not "more than": quiet.
            ("W2", "2026-09", 100),
            ("W2", "2026-10", 200),
            // W3: fell below half: flagged.
            ("W3", "2026-08", 300),
            ("W3", "2026-09", 100),
            ("W3", "2026-10", 99),
            // W4: new worksite, no earlier period: quiet.
            ("W4", "2026-10", 5_000_000),
            // W5: earlier periods all zero: no basis, quiet.
            ("W5", "2026-09", 0),
            ("W5", "2026-10", 1_000),
        ]);
        let warnings = plausibility(&history, "2026-10");
        assert_eq!(
            warnings
                .iter()
                .map(|w| (
                    w.worksite_code.as_str(),
                    w.previous_average.centimes(),
                    w.previous_periods
                ))
                .collect::<Vec<_>>(),
            [("W1", 100, 3), ("W3", 200, 2)]
        );
        // Only the last three earlier periods count (2026-06's outlier is out).
        assert_eq!(warnings[0].amount.centimes(), 201);
        assert!(
            plausibility(&history, "2026-09")
                .iter()
                .all(|w| w.worksite_code != "W2")
        );
    }
}
