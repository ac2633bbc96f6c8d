//! Due dates and channel timing. A due-date schedule is a cron expression (seconds first,
//! as the `cron` crate reads it; weekday names rather than numbers) evaluated in
//! Africa/Algiers time; each date it yields is rolled forward to a business day.

use std::str::FromStr;

use chrono::{Days, NaiveDate, TimeZone};
use chrono_tz::Africa::Algiers;

use crate::Calendar;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "schedule {expression:?} is not a cron expression ({reason}); write it with seconds first, e.g. \"0 0 0 15 * *\" for the 15th of each month"
    )]
    Cron { expression: String, reason: String },
}

/// When contributions fall due, e.g. `0 0 0 15 * *` (the 15th of every month) or
/// `0 0 0 15 1,4,7,10 *` (quarterly).
#[derive(Clone, Debug)]
pub struct DueDateSchedule {
    expression: String,
    schedule: cron::Schedule,
}

/// One due date: the date the schedule names and the business day it is collected on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DueDate {
    pub nominal: NaiveDate,
    pub collection_date: NaiveDate,
}

impl DueDateSchedule {
    pub fn parse(expression: &str) -> Result<DueDateSchedule, ScheduleError> {
        let schedule =
            cron::Schedule::from_str(expression.trim()).map_err(|e| ScheduleError::Cron {
                expression: expression.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(DueDateSchedule {
            expression: expression.trim().to_owned(),
            schedule,
        })
    }

    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Due dates whose nominal date is in `from..=until` (Algiers days), each rolled
    /// forward to the next business day of `calendar`.
    pub fn due_dates(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        calendar: &Calendar,
    ) -> Vec<DueDate> {
        let Some(day_before) = from.checked_sub_days(Days::new(1)) else {
            return Vec::new();
        };
        let Some(start) = day_before
            .and_hms_opt(23, 59, 59)
            .and_then(|t| Algiers.from_local_datetime(&t).single())
        else {
            return Vec::new();
        };
        let mut dates: Vec<DueDate> = Vec::new();
        for moment in self.schedule.after(&start) {
            let nominal = moment.date_naive();
            if nominal > until {
                break;
            }
            if dates.last().is_some_and(|d| d.nominal == nominal) {
                continue;
            }
            dates.push(DueDate {
                nominal,
                collection_date: calendar.next_business_day(nominal),
            });
        }
        dates
    }

    /// The first due date whose collection date is on or after `date`.
    pub fn next_due_date(&self, date: NaiveDate, calendar: &Calendar) -> Option<DueDate> {
        // A nominal date can roll forward by the length of the longest holiday run, so
        // look back a few weeks to catch one that lands on or after `date`.
        let from = date.checked_sub_days(Days::new(21))?;
        let until = date.checked_add_days(Days::new(400))?;
        self.due_dates(from, until, calendar)
            .into_iter()
            .find(|d| d.collection_date >= date)
    }
}

impl DueDateSchedule {
    /// The first collection date on or after `today` that an advance notice recorded today
    /// can still announce in time: a date whose notice would come too late is skipped for the
    /// next one, never debited early.
    pub fn next_collection_date(
        &self,
        today: NaiveDate,
        calendar: &Calendar,
        policy: &ChannelPolicy,
    ) -> Option<DueDate> {
        let from = today.checked_sub_days(Days::new(21))?;
        let until = today.checked_add_days(Days::new(400))?;
        self.due_dates(from, until, calendar).into_iter().find(|d| {
            d.collection_date >= today && policy.notice_respected(today, d.collection_date)
        })
    }
}

/// The timing and size rules of one channel (the bank network or the postal service).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelPolicy {
    /// Files must reach the institution this many business days before the collection date.
    pub lead_business_days: u32,
    /// Employers are told amount and date at least this many calendar days before.
    pub notice_days: u32,
    /// A debit with no reject this many business days after collection counts as settled.
    pub settlement_business_days: u32,
    /// At most this many transactions in one file; more are split.
    pub max_per_file: u32,
}

impl Default for ChannelPolicy {
    fn default() -> Self {
        ChannelPolicy {
            lead_business_days: 2,
            notice_days: 5,
            settlement_business_days: 5,
            max_per_file: 50_000,
        }
    }
}

impl ChannelPolicy {
    /// The business day on which the files for `collection_date` are built and sent.
    pub fn file_date(&self, collection_date: NaiveDate, calendar: &Calendar) -> NaiveDate {
        calendar.business_days_before(collection_date, self.lead_business_days)
    }

    /// The last day an advance notice may be recorded for a debit on `collection_date`.
    pub fn latest_notice_date(&self, collection_date: NaiveDate) -> NaiveDate {
        collection_date
            .checked_sub_days(Days::new(u64::from(self.notice_days)))
            .unwrap_or(NaiveDate::MIN)
    }

    /// Whether a notice recorded on `noticed_on` allows debiting on `collection_date`.
    pub fn notice_respected(&self, noticed_on: NaiveDate, collection_date: NaiveDate) -> bool {
        noticed_on <= self.latest_notice_date(collection_date)
    }

    /// The day after which a debit with no reject is considered settled.
    pub fn settlement_date(&self, collection_date: NaiveDate, calendar: &Calendar) -> NaiveDate {
        calendar.add_business_days(collection_date, self.settlement_business_days)
    }
}

/// Which date of the cycle a [`NearEstimate`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CycleDate {
    /// The day the debits are collected.
    Collection,
    /// The day their files are built and sent ([`ChannelPolicy::file_date`]).
    File,
}

/// A date of the collection cycle within a day of a lunar holiday not yet confirmed: if the
/// holiday is announced a day off its estimate, that date may become a closed day (or the
/// day it was moved past may open).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearEstimate {
    pub date: NaiveDate,
    pub what: CycleDate,
    /// The collection date it belongs to (the date itself for a collection date).
    pub collection_date: NaiveDate,
    pub holiday: crate::Holiday,
}

/// How close to an unconfirmed estimate a date of the cycle must be to be flagged.
pub const NEAR_ESTIMATE_DAYS: i64 = 1;

/// The `collection_dates` and their file dates that fall in `from..=until` within
/// [`NEAR_ESTIMATE_DAYS`] of an unconfirmed lunar holiday of `calendar`, by date.
pub fn dates_near_estimates(
    collection_dates: &[NaiveDate],
    calendar: &Calendar,
    policy: &ChannelPolicy,
    from: NaiveDate,
    until: NaiveDate,
) -> Vec<NearEstimate> {
    let mut collection_dates = collection_dates.to_vec();
    collection_dates.sort_unstable();
    collection_dates.dedup();
    let mut near = Vec::new();
    for collection_date in collection_dates {
        let file_date = policy.file_date(collection_date, calendar);
        for (date, what) in [
            (collection_date, CycleDate::Collection),
            (file_date, CycleDate::File),
        ] {
            if date < from || date > until {
                continue;
            }
            near.extend(
                calendar
                    .unconfirmed_near(date, NEAR_ESTIMATE_DAYS)
                    .map(|holiday| NearEstimate {
                        date,
                        what,
                        collection_date,
                        holiday: holiday.clone(),
                    }),
            );
        }
    }
    near.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then_with(|| a.holiday.date.cmp(&b.holiday.date))
    });
    near
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn monthly_due_dates_roll_to_the_next_business_day() {
        let calendar = Calendar::algeria(2026..=2027);
        let schedule = DueDateSchedule::parse("0 0 0 15 * *").unwrap();
        let dates = schedule.due_dates(d(2026, 10, 1), d(2027, 1, 31), &calendar);
        let shown: Vec<(NaiveDate, NaiveDate)> = dates
            .iter()
            .map(|d| (d.nominal, d.collection_date))
            .collect();
        assert_eq!(
            shown,
            [
                // Thursday 15 October 2026: a business day.
                (d(2026, 10, 15), d(2026, 10, 15)),
                // Sunday 15 November 2026.
                (d(2026, 11, 15), d(2026, 11, 15)),
                // Tuesday 15 December 2026.
                (d(2026, 12, 15), d(2026, 12, 15)),
                // Friday 15 January 2027 → Sunday 17.
                (d(2027, 1, 15), d(2027, 1, 17)),
            ]
        );
    }

    #[test]
    fn a_due_date_on_a_holiday_moves_past_it() {
        let calendar = Calendar::algeria(2026..=2026);
        // 1 May 2026 is a Friday and a holiday: Sunday 3 May.
        let schedule = DueDateSchedule::parse("0 0 0 1 5 *").unwrap();
        let next = schedule.next_due_date(d(2026, 4, 20), &calendar).unwrap();
        assert_eq!(next.collection_date, d(2026, 5, 3));
        // Asked on the collection date itself, the same due date is still "next".
        assert_eq!(schedule.next_due_date(d(2026, 5, 3), &calendar), Some(next));
    }

    #[test]
    fn weekday_names_follow_the_cron_crate() {
        let calendar = Calendar::new(Vec::new());
        // Every Sunday (cron's weekday names avoid its 1 = Sunday numbering).
        let schedule = DueDateSchedule::parse("0 0 0 * * Sun").unwrap();
        let dates = schedule.due_dates(d(2026, 11, 23), d(2026, 12, 6), &calendar);
        assert_eq!(dates.len(), 2);
        assert_eq!(dates[0].nominal, d(2026, 11, 29));
    }

    #[test]
    fn a_bad_expression_says_how_to_write_one() {
        let err = DueDateSchedule::parse("15 of each month")
            .unwrap_err()
            .to_string();
        assert!(err.contains("0 0 0 15 * *"), "{err}");
    }

    #[test]
    fn a_notice_that_would_come_too_late_moves_the_collection_to_the_next_date() {
        let calendar = Calendar::algeria(2026..=2027);
        let schedule = DueDateSchedule::parse("0 0 0 15 * *").unwrap();
        let policy = ChannelPolicy::default(); // 5 days' notice
        let on_time = schedule
            .next_collection_date(d(2026, 12, 8), &calendar, &policy)
            .unwrap();
        assert_eq!(on_time.collection_date, d(2026, 12, 15));
        let late = schedule
            .next_collection_date(d(2026, 12, 12), &calendar, &policy)
            .unwrap();
        assert_eq!(late.collection_date, d(2027, 1, 17));
    }

    #[test]
    fn collection_and_file_dates_next_to_an_unconfirmed_estimate_are_flagged() {
        let calendar = Calendar::algeria(2027..=2027);
        let schedule = DueDateSchedule::parse("0 0 0 15 * *").unwrap();
        let policy = ChannelPolicy::default();
        let from = d(2027, 3, 20);
        let until = from + Days::new(60);
        let dates: Vec<NaiveDate> = schedule
            .due_dates(from, until, &calendar)
            .into_iter()
            .map(|due| due.collection_date)
            .collect();
        // Saturday 15 May 2027 rolls to Sunday 16 May, the eve of Aïd el-Adha's estimate
        // (17–19 May); 15 April (a Thursday) is far from any lunar holiday.
        assert_eq!(dates, [d(2027, 4, 15), d(2027, 5, 16)]);
        let near = dates_near_estimates(&dates, &calendar, &policy, from, until);
        let shown: Vec<(NaiveDate, CycleDate, NaiveDate)> = near
            .iter()
            .map(|n| (n.date, n.what, n.holiday.date))
            .collect();
        assert_eq!(
            shown,
            [(d(2027, 5, 16), CycleDate::Collection, d(2027, 5, 17))]
        );
        assert!(near[0].holiday.name.starts_with("Aïd el-Adha (1)"));

        // Confirmed, it is a holiday like any other: nothing to flag.
        let confirmed = calendar.clone().with_holiday(crate::Holiday {
            date: d(2027, 5, 17),
            name: near[0].holiday.name.clone(),
            kind: crate::HolidayKind::Lunar { confirmed: true },
        });
        assert!(dates_near_estimates(&dates, &confirmed, &policy, from, until).is_empty());
        // Outside the window, nothing either.
        assert!(dates_near_estimates(&dates, &calendar, &policy, from, d(2027, 5, 15)).is_empty());

        // A file date next to an estimate: Aïd el-Fitr 2027 is estimated 10–12 March, so
        // the files of Monday 15 March go on Tuesday 9 March, the eve of the estimate.
        let march = [d(2027, 3, 15)];
        let near = dates_near_estimates(&march, &calendar, &policy, d(2027, 3, 1), d(2027, 3, 31));
        let shown: Vec<(NaiveDate, CycleDate, NaiveDate)> = near
            .iter()
            .map(|n| (n.date, n.what, n.holiday.date))
            .collect();
        assert_eq!(shown, [(d(2027, 3, 9), CycleDate::File, d(2027, 3, 10)),]);
    }

    #[test]
    fn channel_timing() {
        let calendar = Calendar::algeria(2026..=2026);
        let policy = ChannelPolicy::default();
        // Two business days before Sunday 15 November 2026: Wednesday 11 (Thu 12 is 1).
        assert_eq!(
            policy.file_date(d(2026, 11, 15), &calendar),
            d(2026, 11, 11)
        );
        assert!(policy.notice_respected(d(2026, 11, 10), d(2026, 11, 15)));
        assert!(!policy.notice_respected(d(2026, 11, 11), d(2026, 11, 15)));
        assert_eq!(
            policy.settlement_date(d(2026, 11, 15), &calendar),
            d(2026, 11, 22)
        );
    }
}
