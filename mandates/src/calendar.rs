//! Business days in Algeria: Sunday–Thursday, minus public holidays. Fixed holidays are
//! generated per year; lunar (Hijri) holidays are dated entries, estimated years ahead by
//! [`crate::hijri`] and provisional until staff confirm them. A shifted lunar holiday is
//! modelled by replacing its entry.

use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Timelike, Utc, Weekday};

/// The local time in Africa/Algiers at `at`, to the second: UTC+1 all year (Algeria has
/// no daylight saving time).
pub fn algiers_time(at: DateTime<Utc>) -> NaiveDateTime {
    let local = (at + chrono::Duration::hours(1)).naive_utc();
    local.with_nanosecond(0).unwrap_or(local)
}

/// The day it is in Africa/Algiers at `now`: the fund's "today", wherever it runs.
pub fn today_in_algiers(now: DateTime<Utc>) -> NaiveDate {
    algiers_time(now).date()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HolidayKind {
    Fixed,
    Lunar { confirmed: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
    pub kind: HolidayKind,
}

/// A weekend and a list of dated holidays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    weekend: Vec<Weekday>,
    holidays: Vec<Holiday>,
}

const FIXED_HOLIDAYS: &[(u32, u32, &str)] = &[
    (1, 1, "Nouvel an / رأس السنة الميلادية"),
    (1, 12, "Yennayer / يناير"),
    (5, 1, "Fête du travail / عيد العمال"),
    (7, 5, "Fête de l'indépendance / عيد الاستقلال"),
    (11, 1, "Fête de la révolution / عيد الثورة"),
];

impl Calendar {
    /// Friday–Saturday weekend with the given holidays.
    pub fn new(holidays: Vec<Holiday>) -> Calendar {
        let mut holidays = holidays;
        holidays.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.name.cmp(&b.name)));
        Calendar {
            weekend: vec![Weekday::Fri, Weekday::Sat],
            holidays,
        }
    }

    /// The Algerian calendar for `years`: the fixed holidays and the estimated lunar ones,
    /// provisional (see [`crate::hijri`]).
    pub fn algeria(years: RangeInclusive<i32>) -> Calendar {
        let mut holidays = Vec::new();
        for year in years {
            for &(month, day, name) in FIXED_HOLIDAYS {
                if let Some(date) = NaiveDate::from_ymd_opt(year, month, day) {
                    holidays.push(Holiday {
                        date,
                        name: name.to_owned(),
                        kind: HolidayKind::Fixed,
                    });
                }
            }
            holidays.extend(crate::hijri::estimated_lunar_holidays(year));
        }
        Calendar::new(holidays)
    }

    /// Adds a holiday, or moves one of the same name within a month of it (a lunar holiday
    /// may come twice in a Gregorian year, 11 months apart); returns the calendar for chaining.
    pub fn with_holiday(mut self, holiday: Holiday) -> Calendar {
        self.holidays.retain(|h| {
            !(h.name == holiday.name && (h.date - holiday.date).num_days().abs() <= 30)
        });
        self.holidays.push(holiday);
        self.holidays.sort_by_key(|h| h.date);
        self
    }

    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    /// The lunar holidays not yet confirmed (estimates) within `days` days of `date`.
    pub fn unconfirmed_near(&self, date: NaiveDate, days: i64) -> impl Iterator<Item = &Holiday> {
        self.holidays.iter().filter(move |h| {
            h.kind == HolidayKind::Lunar { confirmed: false }
                && (h.date - date).num_days().abs() <= days
        })
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.iter().any(|h| h.date == date)
    }

    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !self.weekend.contains(&date.weekday()) && !self.is_holiday(date)
    }

    /// The first business day on or after `date` (rolling a due date forward).
    pub fn next_business_day(&self, date: NaiveDate) -> NaiveDate {
        let mut day = date;
        while !self.is_business_day(day) {
            day = day + Days::new(1);
        }
        day
    }

    /// The first business day strictly after `date`.
    pub fn next_business_day_after(&self, date: NaiveDate) -> NaiveDate {
        self.next_business_day(date + Days::new(1))
    }

    /// The last business day on or before `date`.
    pub fn previous_business_day(&self, date: NaiveDate) -> NaiveDate {
        let mut day = date;
        while !self.is_business_day(day) {
            day = day - Days::new(1);
        }
        day
    }

    /// The date `n` business days before `date` (`date` itself need not be one).
    pub fn business_days_before(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            day = day - Days::new(1);
            if self.is_business_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// The date `n` business days after `date`.
    pub fn add_business_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = date;
        let mut left = n;
        while left > 0 {
            day = day + Days::new(1);
            if self.is_business_day(day) {
                left -= 1;
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn algiers_is_an_hour_ahead_of_utc_all_year() {
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        assert_eq!(today_in_algiers(at("2026-12-31T23:30:00Z")), d(2027, 1, 1));
        assert_eq!(today_in_algiers(at("2026-07-01T22:59:59Z")), d(2026, 7, 1));
        assert_eq!(
            algiers_time(at("2026-07-01T22:59:59.750Z")).to_string(),
            "2026-07-01 23:59:59"
        );
    }

    #[test]
    fn friday_and_saturday_are_the_weekend() {
        let calendar = Calendar::new(Vec::new());
        // 2026-11-26 is a Thursday, 27 Friday, 28 Saturday, 29 Sunday.
        assert!(calendar.is_business_day(d(2026, 11, 26)));
        assert!(!calendar.is_business_day(d(2026, 11, 27)));
        assert!(!calendar.is_business_day(d(2026, 11, 28)));
        assert!(calendar.is_business_day(d(2026, 11, 29)));
        assert_eq!(calendar.next_business_day(d(2026, 11, 27)), d(2026, 11, 29));
        assert_eq!(
            calendar.previous_business_day(d(2026, 11, 28)),
            d(2026, 11, 26)
        );
        assert_eq!(
            calendar.next_business_day_after(d(2026, 11, 26)),
            d(2026, 11, 29)
        );
    }

    #[test]
    fn holidays_are_skipped_when_counting() {
        let calendar = Calendar::algeria(2026..=2026);
        // 1 Nov 2026 is a Sunday and a holiday: the next business day is Monday 2 Nov.
        assert_eq!(calendar.next_business_day(d(2026, 11, 1)), d(2026, 11, 2));
        // Three business days before Monday 2 Nov: Thu 29 Oct, Wed 28, Tue 27.
        assert_eq!(
            calendar.business_days_before(d(2026, 11, 2), 1),
            d(2026, 10, 29)
        );
        assert_eq!(
            calendar.business_days_before(d(2026, 11, 2), 3),
            d(2026, 10, 27)
        );
        assert_eq!(
            calendar.add_business_days(d(2026, 10, 29), 1),
            d(2026, 11, 2)
        );
        // Aïd el-Fitr 2026 (provisional): Friday 20 to Sunday 22 March.
        assert_eq!(calendar.next_business_day(d(2026, 3, 20)), d(2026, 3, 23));
    }

    #[test]
    fn a_lunar_holiday_can_be_confirmed_on_another_day() {
        let calendar = Calendar::algeria(2026..=2026).with_holiday(Holiday {
            date: d(2026, 8, 26),
            name: "Mawlid / المولد النبوي".to_owned(),
            kind: HolidayKind::Lunar { confirmed: true },
        });
        assert!(calendar.is_business_day(d(2026, 8, 25)));
        assert!(!calendar.is_business_day(d(2026, 8, 26)));
    }
}
