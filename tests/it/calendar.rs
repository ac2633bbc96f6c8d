//! The calendar years ahead, on both databases: the default holidays reach ten years past
//! today, lunar ones as estimates to confirm; loading more years is idempotent, keeps what
//! staff confirmed, shifted or removed, and re-plans the debits a new holiday closes. And
//! `tahsil calendar list` marks the estimates.

use chrono::{Datelike, Months, NaiveDate, Utc};
use mandates::{Calendar, Holiday, HolidayKind, estimated_lunar_holidays};
use tahsil::store::{CALENDAR_YEARS_AHEAD, CalendarChange, Store};

use crate::both_backends;
use crate::harness::fixtures::{actor, assert_totals_kept, d, scalar};
use crate::harness::{TestDb, settings};

const FITR: &str = "Aïd el-Fitr (1) / عيد الفطر";
const ADHA: &str = "Aïd el-Adha (1) / عيد الأضحى";
const MAWLID: &str = "Mawlid / المولد النبوي";

fn today() -> NaiveDate {
    mandates::today_in_algiers(Utc::now())
}

/// The last year the calendar reaches on `today`.
fn horizon(today: NaiveDate) -> i32 {
    (today + Months::new(12 * CALENDAR_YEARS_AHEAD)).year()
}

async fn entries(store: &Store) -> i64 {
    scalar(store, "SELECT COUNT(*) FROM calendar_entries").await
}

fn holidays_of(calendar: &Calendar, year: i32) -> Vec<&Holiday> {
    calendar
        .holidays()
        .iter()
        .filter(|h| h.date.year() == year)
        .collect()
}

/// The estimate of `name` in `year` (the first, when it comes twice).
fn estimate(year: i32, name: &str) -> NaiveDate {
    estimated_lunar_holidays(year)
        .into_iter()
        .find(|h| h.name == name)
        .unwrap()
        .date
}

both_backends!(
    the_calendar_reaches_ten_years_ahead_with_lunar_estimates_to_confirm,
    |db: TestDb| async move {
        let store = db.store().await;
        let today = today();
        let calendar = store.calendar().await.unwrap();
        for year in today.year()..=horizon(today) {
            let holidays = holidays_of(&calendar, year);
            let fixed = holidays
                .iter()
                .filter(|h| h.kind == HolidayKind::Fixed)
                .count();
            let lunar: Vec<&&Holiday> = holidays
                .iter()
                .filter(|h| matches!(h.kind, HolidayKind::Lunar { .. }))
                .collect();
            assert_eq!(fixed, 5, "{year}");
            assert_eq!(lunar.len(), estimated_lunar_holidays(year).len(), "{year}");
            assert!(lunar.len() >= 9, "{year}: {lunar:?}");
            assert!(
                lunar
                    .iter()
                    .all(|h| h.kind == HolidayKind::Lunar { confirmed: false }),
                "{year}: estimates are provisional"
            );
        }
        assert!(holidays_of(&calendar, horizon(today) + 1).is_empty());
        // The first load of a new database is its starting state, not a change.
        assert!(store.calendar_history(10).await.unwrap().is_empty());

        // Idempotent: loading again, or migrating again, adds nothing.
        let before = entries(&store).await;
        let again = store.load_calendar_years(&actor(), today).await.unwrap();
        assert!(again.years.is_empty(), "{again:?}");
        store.migrate().await.unwrap();
        assert_eq!(entries(&store).await, before);
        assert!(store.calendar_history(10).await.unwrap().is_empty());
    }
);

both_backends!(
    a_new_year_loads_as_the_horizon_moves_and_keeps_what_staff_changed,
    |db: TestDb| async move {
        let store = db.store().await;
        let today = today();
        let last = horizon(today);
        // Staff, in the last year loaded: Aïd el-Fitr confirmed, Aïd el-Adha announced a
        // day later, the Mawlid withdrawn.
        let (fitr, adha, mawlid) = (
            estimate(last, FITR),
            estimate(last, ADHA),
            estimate(last, MAWLID),
        );
        let adha_announced = adha.succ_opt().unwrap();
        for change in [
            CalendarChange::Confirm {
                date: fitr,
                name: FITR.to_owned(),
            },
            CalendarChange::Shift {
                name: ADHA.to_owned(),
                from: adha,
                to: adha_announced,
            },
            CalendarChange::Remove {
                date: mawlid,
                name: MAWLID.to_owned(),
            },
        ] {
            store.change_calendar(&actor(), &change).await.unwrap();
        }
        let before = entries(&store).await;

        // A year later, the scheduler's pass loads the new last year, and only it.
        let next_year = today + Months::new(12);
        let exchange = tempfile::tempdir().unwrap();
        let due_dates = mandates::DueDateSchedule::parse("0 0 0 15 * *").unwrap();
        tahsil::cycle::scheduler::schedule(
            &store,
            &settings(exchange.path(), 50_000),
            &due_dates,
            next_year,
        )
        .await
        .unwrap();
        let added = entries(&store).await - before;
        let expected = 5 + estimated_lunar_holidays(last + 1).len();
        assert_eq!(added, i64::try_from(expected).unwrap());
        let trail = store.calendar_history(1).await.unwrap();
        assert_eq!(trail[0].action.as_str(), "calendar.years_loaded");
        assert_eq!(trail[0].actor, "scheduler");
        assert!(
            trail[0].detail.contains(&format!("[{}]", last + 1)),
            "{}",
            trail[0].detail
        );
        // Idempotent here too.
        let again = store
            .load_calendar_years(&actor(), next_year)
            .await
            .unwrap();
        assert!(again.years.is_empty());

        // What staff did in the year already loaded stands.
        let calendar = store.calendar().await.unwrap();
        // (A holiday may come twice in a year: only the one near the estimate counts.)
        let named = |name: &str, near: NaiveDate| -> Vec<(NaiveDate, HolidayKind)> {
            calendar
                .holidays()
                .iter()
                .filter(|h| h.name == name && (h.date - near).num_days().abs() <= 15)
                .map(|h| (h.date, h.kind))
                .collect()
        };
        assert_eq!(
            named(FITR, fitr),
            [(fitr, HolidayKind::Lunar { confirmed: true })]
        );
        assert_eq!(
            named(ADHA, adha),
            [(adha_announced, HolidayKind::Lunar { confirmed: true })]
        );
        assert!(named(MAWLID, mawlid).is_empty(), "withdrawn, and stays so");
    }
);

both_backends!(
    a_calendar_loaded_before_the_estimates_gets_its_missing_years_without_duplicates,
    |db: TestDb| async move {
        let store = db.store().await;
        // The calendar as the shipped defaults had it: fixed holidays for 2025–2030 and
        // the lunar estimates of 2026, then this migration's record of them.
        sqlx::query("DELETE FROM calendar_entries")
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::query("DELETE FROM calendar_years_loaded")
            .execute(store.pool())
            .await
            .unwrap();
        let old = Calendar::algeria(2025..=2030);
        for holiday in old
            .holidays()
            .iter()
            .filter(|h| h.kind == HolidayKind::Fixed || h.date.year() == 2026)
        {
            let (kind, confirmed) = match holiday.kind {
                HolidayKind::Fixed => ("fixed", 1_i64),
                HolidayKind::Lunar { .. } => ("lunar", 0),
            };
            sqlx::query(
                "INSERT INTO calendar_entries (date, name, kind, confirmed, created_at) \
                 VALUES ($1, $2, $3, $4, '2026-01-01T00:00:00Z')",
            )
            .bind(holiday.date.to_string())
            .bind(&holiday.name)
            .bind(kind)
            .bind(confirmed)
            .execute(store.pool())
            .await
            .unwrap();
        }
        let migration = match db.backend {
            "sqlite" => include_str!("../../migrations/sqlite/0012_calendar_years_loaded.sql"),
            _ => include_str!("../../migrations/postgres/0012_calendar_years_loaded.sql"),
        };
        let backfill = &migration[migration.find("INSERT INTO").unwrap()..];
        sqlx::query(sqlx::AssertSqlSafe(backfill.to_owned()))
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM calendar_years_loaded").await,
            7
        );

        // Staff had entered 2027's Aïd el-Fitr by hand, a day after the estimate; debits
        // are planned on Monday 17 May 2027, the estimate of Aïd el-Adha.
        assert_eq!(estimate(2027, FITR), d(2027, 3, 10));
        store
            .change_calendar(
                &actor(),
                &CalendarChange::Add {
                    date: d(2027, 3, 11),
                    name: FITR.to_owned(),
                    lunar: true,
                    confirmed: true,
                },
            )
            .await
            .unwrap();
        tahsil::demo::seed(&store, 4, 2, "2026-10", 7, |_| {})
            .await
            .unwrap();
        let plan = store
            .plan_collections(&actor(), d(2027, 5, 17), d(2027, 5, 1))
            .await
            .unwrap();
        assert_eq!(plan.planned, 4);

        let loaded = store
            .load_calendar_years(&actor(), d(2027, 1, 10))
            .await
            .unwrap();
        assert_eq!(loaded.years, (2027..=2037).collect::<Vec<i32>>());
        // Lunar estimates from 2027 on, but for the hand-entered Aïd el-Fitr; fixed days
        // from 2031 on.
        let lunar_2028_2037: usize = (2028..=2037)
            .map(|y| estimated_lunar_holidays(y).len())
            .sum();
        assert_eq!(loaded.fixed, 5 * 7);
        assert_eq!(
            usize::try_from(loaded.lunar).unwrap(),
            estimated_lunar_holidays(2027).len() - 1 + lunar_2028_2037
        );
        let calendar = store.calendar().await.unwrap();
        let fitr: Vec<(NaiveDate, HolidayKind)> = holidays_of(&calendar, 2027)
            .into_iter()
            .filter(|h| h.name == FITR)
            .map(|h| (h.date, h.kind))
            .collect();
        assert_eq!(
            fitr,
            [(d(2027, 3, 11), HolidayKind::Lunar { confirmed: true })]
        );
        // 2026 and the fixed days of 2025–2030 were there already: not one more.
        assert_eq!(holidays_of(&calendar, 2026).len(), 5 + 9);
        assert_eq!(holidays_of(&calendar, 2028).len(), 5 + 9);
        // The debits of 17 May moved past Aïd el-Adha (17–19 May) to Thursday 20 May.
        assert_eq!(loaded.moved.len(), 1, "{loaded:?}");
        assert_eq!(
            (loaded.moved[0].from.as_str(), loaded.moved[0].to.as_str()),
            ("2027-05-17", "2027-05-20")
        );
        assert_eq!(loaded.moved[0].moved, 4);
        // Audited, with the re-planning it caused.
        let actions: Vec<String> = store
            .calendar_history(5)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action.as_str().to_owned())
            .collect();
        assert_eq!(
            &actions[..2],
            ["calendar.years_loaded", "collections.rescheduled"]
        );
        assert_totals_kept(&store).await;
    }
);

#[tokio::test]
async fn calendar_list_marks_estimates_to_be_confirmed() {
    let db = TestDb::sqlite().await;
    let tahsil = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tahsil"))
            .args(["--database-url", &db.url])
            .args(args)
            .env_remove("TAHSIL_DATABASE_URL")
            .env_remove("TAHSIL_ENCRYPTION_KEY")
            .output()
            .unwrap()
    };
    let year = (today().year() + 1).to_string();
    let output = tahsil(&["calendar", "list", "--year", &year]);
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let line_of = |text: &str, name: &str| {
        text.lines()
            .find(|line| line.contains(name))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .to_owned()
    };
    let fitr = line_of(&text, FITR);
    assert!(
        fitr.ends_with("Lunaire, estimé — à confirmer / قمري، تاريخ تقديري — في انتظار التأكيد"),
        "{fitr}"
    );
    assert!(
        line_of(&text, "Fête du travail").ends_with("Date fixe / تاريخ ثابت"),
        "{text}"
    );

    // Confirmed, it says so.
    let date = estimate(today().year() + 1, FITR).to_string();
    let output = tahsil(&["calendar", "confirm", "--date", &date, "--name", FITR]);
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(tahsil(&["calendar", "list", "--year", &year]).stdout).unwrap();
    assert!(
        line_of(&text, FITR).ends_with("Lunaire, confirmé / قمري، مؤكَّد"),
        "{text}"
    );
}
