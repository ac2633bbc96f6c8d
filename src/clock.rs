//! The one source of "now" in the service. Everything that judges time — the store's
//! timestamps, sessions, leases and locks, the scheduler's due work, every "today" of the
//! pages, notices and commands — reads a [`Clock`]; nothing else reads the system time.
//!
//! Three kinds, one type (cheap to clone, every clone shares the same reading):
//! - [`Clock::system`]: the real time (production);
//! - [`Clock::starting_at`]: starts believing it is a given instant and runs on from there
//!   at the real pace (`serve --clock`, `TAHSIL_CLOCK`: trials and training);
//! - [`Clock::fixed`]: stands still until moved by hand with [`Clock::advance`] or
//!   [`Clock::set`] (tests, and `import --today` for one command).
//!
//! Moving a clock by hand wakes whoever waits on [`Clock::moved`] (the scheduler), so a
//! test that advances a day sees the day's work queued without waiting for a tick.
//! Intervals stay real: how long a worker sleeps between polls is `tokio::time`, not this.
//!
//! "Today" is always the day in Africa/Algiers, through `mandates::today_in_algiers`.

use std::sync::{Arc, PoisonError, RwLock};

use anyhow::Context;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};
use tokio::sync::watch;

/// Where "now" comes from. Clones share one reading: advancing one advances them all.
#[derive(Clone)]
pub struct Clock {
    shared: Arc<Shared>,
}

struct Shared {
    reading: RwLock<Reading>,
    /// Counts the moves by hand; receivers wake on each.
    moved: watch::Sender<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reading {
    /// The real time.
    System,
    /// The real time shifted by this much (a clock that runs on from a believed instant).
    Shifted(Duration),
    /// Stands still at this instant until moved by hand.
    Stopped(DateTime<Utc>),
}

impl Clock {
    /// The real time.
    pub fn system() -> Clock {
        Clock::with(Reading::System)
    }

    /// Believes it is `at` now, and runs on from there at the real pace.
    pub fn starting_at(at: DateTime<Utc>) -> Clock {
        Clock::with(Reading::Shifted(at - real_now()))
    }

    /// Stands still at `at` until moved by hand ([`Clock::advance`], [`Clock::set`]).
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock::with(Reading::Stopped(at))
    }

    /// Stands still at noon, Africa/Algiers, on `day` (a whole day on either side).
    pub fn fixed_on(day: NaiveDate) -> Clock {
        Clock::fixed(start_of_algiers_day(day) + Duration::hours(12))
    }

    fn with(reading: Reading) -> Clock {
        Clock {
            shared: Arc::new(Shared {
                reading: RwLock::new(reading),
                moved: watch::Sender::new(0),
            }),
        }
    }

    /// The instant it is.
    pub fn now(&self) -> DateTime<Utc> {
        match self.reading() {
            Reading::System => real_now(),
            Reading::Shifted(by) => real_now() + by,
            Reading::Stopped(at) => at,
        }
    }

    /// The day it is in Africa/Algiers: the fund's "today".
    pub fn today(&self) -> NaiveDate {
        mandates::today_in_algiers(self.now())
    }

    /// Moves the clock (every clone) forward by `by` — backward when negative. A running
    /// clock keeps running from its new reading.
    pub fn advance(&self, by: Duration) {
        self.change(|reading| match reading {
            Reading::System => Reading::Shifted(by),
            Reading::Shifted(shift) => Reading::Shifted(shift + by),
            Reading::Stopped(at) => Reading::Stopped(at + by),
        });
    }

    /// Puts the clock (every clone) at `at`. A running clock keeps running from there.
    pub fn set(&self, at: DateTime<Utc>) {
        self.change(|reading| match reading {
            Reading::Stopped(_) => Reading::Stopped(at),
            Reading::System | Reading::Shifted(_) => Reading::Shifted(at - real_now()),
        });
    }

    /// False only for the real time, unmoved.
    pub fn is_simulated(&self) -> bool {
        self.reading() != Reading::System
    }

    /// Changes each time the clock is moved by hand: the scheduler waits on it beside its
    /// tick, so the work a move makes due is done at once.
    pub fn moved(&self) -> watch::Receiver<u64> {
        self.shared.moved.subscribe()
    }

    fn reading(&self) -> Reading {
        *self
            .shared
            .reading
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn change(&self, change: impl FnOnce(Reading) -> Reading) {
        {
            let mut reading = self
                .shared
                .reading
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            *reading = change(*reading);
        }
        self.shared.moved.send_modify(|moves| *moves += 1);
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.reading() {
            Reading::System => f.write_str("Clock(system)"),
            Reading::Shifted(_) | Reading::Stopped(_) => {
                write!(f, "Clock(simulated, now {})", self.now())
            }
        }
    }
}

/// The instant a day begins in Africa/Algiers (midnight there), derived from the one
/// Algiers time of `mandates` rather than a second copy of its offset.
pub fn start_of_algiers_day(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN);
    let offset = mandates::algiers_time(midnight.and_utc()) - midnight;
    (midnight - offset).and_utc()
}

/// An instant as `serve --clock` and `TAHSIL_CLOCK` take it: RFC 3339 with its offset.
pub fn parse_instant(text: &str) -> anyhow::Result<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text.trim()).with_context(|| {
        format!(
            "{text:?} is not an instant: write it in RFC 3339 with its offset, like 2026-12-10T08:00:00+01:00"
        )
    })
}

/// The system time: read here and nowhere else in the service.
fn real_now() -> DateTime<Utc> {
    Utc::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_fixed_clock_stands_still_and_every_clone_moves_with_it() {
        let clock = Clock::fixed(at("2026-12-10T07:00:00Z"));
        let clone = clock.clone();
        assert_eq!(clock.now(), at("2026-12-10T07:00:00Z"));
        clone.advance(Duration::hours(13));
        assert_eq!(clock.now(), at("2026-12-10T20:00:00Z"));
        assert_eq!(
            clock.today(),
            NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()
        );
        clock.advance(Duration::hours(3));
        // 23:00 UTC is already tomorrow in Algiers.
        assert_eq!(
            clone.today(),
            NaiveDate::from_ymd_opt(2026, 12, 11).unwrap()
        );
        clone.set(at("2027-01-01T00:00:00Z"));
        assert_eq!(clock.now(), at("2027-01-01T00:00:00Z"));
        assert!(clock.is_simulated());
    }

    #[test]
    fn a_clock_started_at_an_instant_runs_on_from_it() {
        let clock = Clock::starting_at(at("2026-12-10T07:00:00Z"));
        let first = clock.now();
        assert!(first >= at("2026-12-10T07:00:00Z"));
        assert!(first < at("2026-12-10T07:01:00Z"));
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now() > first, "it runs");
        clock.advance(Duration::days(1));
        assert!(clock.now() >= at("2026-12-11T07:00:00Z"));
        assert!(clock.is_simulated());
        assert!(!Clock::system().is_simulated());
    }

    #[test]
    fn moving_a_clock_by_hand_wakes_its_watchers() {
        let clock = Clock::fixed_on(NaiveDate::from_ymd_opt(2026, 12, 10).unwrap());
        assert_eq!(clock.now(), at("2026-12-10T11:00:00Z"), "noon in Algiers");
        let moved = clock.moved();
        assert!(!moved.has_changed().unwrap());
        clock.clone().advance(Duration::minutes(1));
        assert!(moved.has_changed().unwrap());
    }

    #[test]
    fn days_begin_at_midnight_in_algiers() {
        assert_eq!(
            start_of_algiers_day(NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()),
            at("2026-12-09T23:00:00Z")
        );
    }

    #[test]
    fn an_instant_needs_its_offset_and_a_bad_one_is_shown_how_to_write_it() {
        assert_eq!(
            parse_instant("2026-12-10T08:00:00+01:00")
                .unwrap()
                .with_timezone(&Utc),
            at("2026-12-10T07:00:00Z")
        );
        for bad in ["2026-12-10", "2026-12-10T08:00:00", "tomorrow"] {
            let err = format!("{:#}", parse_instant(bad).unwrap_err());
            assert!(err.contains("2026-12-10T08:00:00+01:00"), "{err}");
        }
    }
}
