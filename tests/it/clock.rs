//! Time is an input: the service reads one clock, and moving it by hand moves "today" for
//! the portal's dashboard, the scheduler's due work and session expiry. The day's summary
//! is recorded once a day, whoever runs it. On both databases.

use chrono::Duration;
use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::config::Config;
use tahsil::cycle::collect::{NextWork, next_date_with_work};
use tahsil::store::{AuditEntry, DaySummary, Role, Store};

use crate::both_backends;
use crate::harness::fixtures::{
    actor, add_user, d, declare, employer_with_worksites, one_cycle, scalar, signed_mandate,
};
use crate::harness::{Served, TestDb, WebApp, settings, wait_until};

/// An employer (affiliation `16000001`) with a signed mandate and its November declaration,
/// its debit planned for 15 December (noticed on the clock's day, by the test or by a
/// running scheduler), and its user `gerant@a.dz`. Returns the employer's id.
async fn employer_planned_for_the_15th(store: &Store) -> i64 {
    let employer = employer_with_worksites(store, "16000001", &["W1"]).await;
    signed_mandate(store, employer, "004 00174 4010010504 86", None).await;
    declare(store, employer, "2026-11", &[("W1", "100000.00")]).await;
    store
        .plan_collections(&actor(), d(2026, 12, 15), store.clock().today())
        .await
        .unwrap();
    let planned = scalar(
        store,
        &format!(
            "SELECT COUNT(*) FROM collections WHERE employer_id = {employer} \
             AND collection_date = '2026-12-15' AND status = 'planned'"
        ),
    )
    .await;
    assert_eq!(planned, 1);
    add_user(store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
    employer
}

/// The service on a clock standing on 10 December, the employer of
/// [`employer_planned_for_the_15th`], and the path of its dashboard.
async fn portal_on_the_10th(db: &TestDb) -> (Clock, WebApp, String) {
    let clock = Clock::fixed_on(d(2026, 12, 10));
    let app = WebApp::spawn_with_clock(db, clock.clone()).await;
    let employer = employer_planned_for_the_15th(&app.store).await;
    (clock, app, format!("/portal/{employer}"))
}

/// Whether the job with this key is done.
async fn done(store: &Store, key: &str) -> bool {
    scalar(
        store,
        &format!("SELECT COUNT(*) FROM jobs WHERE dedupe_key = '{key}' AND status = 'done'"),
    )
    .await
        == 1
}

/// The summaries of a day in the audit trail.
async fn day_summaries(store: &Store, number: &str) -> Vec<AuditEntry> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, at, actor, action, entity, entity_id, detail FROM audit_log \
         WHERE action = 'scheduler.day' AND entity = 'day' AND entity_id = '{number}'"
    )))
    .fetch_all(store.pool())
    .await
    .unwrap()
}

both_backends!(
    advancing_the_clock_moves_today_on_the_portal_dashboard,
    |db: TestDb| async move {
        let (clock, app, dashboard) = portal_on_the_10th(&db).await;

        let (status, page) = app.signed_in("gerant@a.dz").await.get(&dashboard).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("id=\"upcoming-date\"><bdi>15/12/2026</bdi>"),
            "the 15th is ahead on the 10th: {page}"
        );

        // The 16th: the 15th is behind, and nothing else is owed.
        clock.advance(Duration::days(6));
        let (status, page) = app.signed_in("gerant@a.dz").await.get(&dashboard).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !page.contains("id=\"upcoming-date\""),
            "no upcoming debit on the 16th: {page}"
        );
    }
);

both_backends!(
    a_session_expires_when_the_clock_passes_its_twelve_hours,
    |db: TestDb| async move {
        let (clock, app, dashboard) = portal_on_the_10th(&db).await;
        let browser = app.signed_in("gerant@a.dz").await;

        clock.advance(Duration::hours(11));
        let (status, _) = browser.get(&dashboard).await;
        assert_eq!(status, StatusCode::OK, "11 hours on: still signed in");

        clock.advance(Duration::hours(2));
        let response = browser
            .client
            .get(app.url(&dashboard))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "13 hours on");
        assert_eq!(response.headers()["location"], "/login");
    }
);

both_backends!(
    serve_queues_the_next_days_work_when_the_clock_moves_into_it,
    |db: TestDb| async move {
        let clock = Clock::fixed_on(d(2026, 12, 10));
        let folder = tempfile::tempdir().unwrap();
        let served = Served::start(&db, Served::config(&db, folder.path()), &clock, "a").await;
        let store = served.store.clone();
        let health = reqwest::get(served.url("/healthz")).await.unwrap();
        assert_eq!(health.status(), StatusCode::OK, "the web is served too");
        wait_until("settle:2026-12-10 done", || {
            done(&store, "settle:2026-12-10")
        })
        .await;
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM jobs WHERE dedupe_key = 'settle:2026-12-11'"
            )
            .await,
            0,
            "nothing of the 11th on the 10th"
        );

        // The clock moves to the 11th: the scheduler wakes without waiting for its tick.
        clock.advance(Duration::days(1));
        wait_until("settle:2026-12-11 done", || {
            done(&store, "settle:2026-12-11")
        })
        .await;
        wait_until("the 10th summarised", || done(&store, "summary:2026-12-10")).await;
        assert_eq!(day_summaries(&store, "20261210").await.len(), 1);
        served.stop().await;
    }
);

both_backends!(
    the_day_is_summarised_once_with_two_instances,
    |db: TestDb| async move {
        let clock = Clock::fixed_on(d(2026, 12, 10));
        let folder = tempfile::tempdir().unwrap();
        let config = Served::config(&db, folder.path());
        let a = Served::start(&db, config.clone(), &clock, "a").await;
        let b = Served::start(&db, config, &clock, "b").await;
        let store = a.store.clone();
        let s = &store;
        wait_until("the 9th summarised", || done(s, "summary:2026-12-09")).await;
        wait_until("settle:2026-12-10 done", || done(s, "settle:2026-12-10")).await;

        // On the 10th: a mandate signed and a debit planned, and their two notices (the
        // signature's and the advance notice) sent by a worker.
        employer_planned_for_the_15th(&store).await;
        wait_until("both notices sent", || async move {
            scalar(
                s,
                "SELECT COUNT(*) FROM notice_events WHERE status = 'sent'",
            )
            .await
                == 2
        })
        .await;

        clock.advance(Duration::days(1));
        wait_until("the 10th summarised", || done(&store, "summary:2026-12-10")).await;
        wait_until("settle:2026-12-11 done", || done(s, "settle:2026-12-11")).await;
        // More passes of both instances on the 11th change nothing.
        for _ in 0..3 {
            clock.advance(Duration::hours(1));
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }

        // The e-mails are dated by the clock too.
        for entry in std::fs::read_dir(folder.path().join("mail")).unwrap() {
            let raw = std::fs::read(entry.unwrap().path()).unwrap();
            let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
            let date = message.date().unwrap();
            assert_eq!((date.year, date.month, date.day), (2026, 12, 10), "{date}");
        }

        let summaries = day_summaries(&store, "20261210").await;
        assert_eq!(summaries.len(), 1, "{summaries:?}");
        let detail: serde_json::Value = serde_json::from_str(&summaries[0].detail).unwrap();
        assert_eq!(detail["day"], "2026-12-10");
        assert_eq!(detail["planned"], 1, "{detail}");
        assert_eq!(detail["notices_sent"], 2, "{detail}");
        assert_eq!(detail["files"], 0, "{detail}");
        assert_eq!(summaries[0].actor, "scheduler");
        assert_eq!(day_summaries(&store, "20261209").await.len(), 1);
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'scheduler.day'"
            )
            .await,
            2,
            "the 9th and the 10th, once each"
        );
        a.stop().await;
        b.stop().await;
    }
);

both_backends!(
    the_days_summary_counts_that_day_only_and_is_recorded_once,
    |db: TestDb| async move {
        // One cycle on the 15th: planned, run, answered (one settled, one rejected and
        // re-planned), all on the clock's day.
        let clock = Clock::fixed_on(d(2026, 12, 15));
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        one_cycle(&app).await;

        let (day, recorded) = app
            .store
            .record_day_summary(&actor(), d(2026, 12, 15))
            .await
            .unwrap();
        assert!(recorded);
        let expected = DaySummary {
            planned: 3,
            files: 2,
            debits: 2,
            reports: 1,
            items: 2,
            settled: 1,
            rejected: 1,
            ..DaySummary::default()
        };
        assert_eq!(day, expected);
        let (again, recorded) = app
            .store
            .record_day_summary(&actor(), d(2026, 12, 15))
            .await
            .unwrap();
        assert_eq!((again, recorded), (expected, false), "recorded once");
        assert_eq!(day_summaries(&app.store, "20261215").await.len(), 1);

        let (before, _) = app
            .store
            .record_day_summary(&actor(), d(2026, 12, 14))
            .await
            .unwrap();
        assert_eq!(before, DaySummary::default(), "nothing the day before");
        assert_eq!(
            app.store.last_day_summarised().await.unwrap(),
            Some(d(2026, 12, 15))
        );
    }
);

both_backends!(
    the_next_date_with_work_is_judged_from_the_clocks_today,
    |db: TestDb| async move {
        // Saturday 12 December: the 15th is too close for a 5-day notice; the next due
        // date is Friday 15 January, collected on Sunday the 17th.
        let clock = Clock::fixed_on(d(2026, 12, 12));
        let store = db.store_with_clock(clock.clone()).await;
        let policy = settings(std::path::Path::new("unused"), 100).policy;
        let schedule = Config::default().due_date_schedule;
        let next = || next_date_with_work(&store, &policy, &schedule, clock.today());
        assert_eq!(next().await.unwrap(), None, "nothing declared");

        // B is planned for the 15th (noticed on the 1st); A declares afterwards, and C
        // owes more than its mandate's ceiling allows.
        let b = employer_with_worksites(&store, "16000002", &["S1"]).await;
        signed_mandate(&store, b, "200 12", None).await;
        declare(&store, b, "2026-11", &[("S1", "20000.00")]).await;
        store
            .plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 1))
            .await
            .unwrap();
        let a = employer_with_worksites(&store, "16000001", &["W1"]).await;
        signed_mandate(&store, a, "004 00174 4010010504 86", None).await;
        declare(&store, a, "2026-11", &[("W1", "100000.00")]).await;
        let c = employer_with_worksites(&store, "16000003", &["K1"]).await;
        signed_mandate(&store, c, "200 12", Some("10.00")).await;
        declare(&store, c, "2026-11", &[("K1", "100000.00")]).await;
        assert_eq!(
            next().await.unwrap(),
            Some(NextWork::Planned {
                date: d(2026, 12, 15)
            }),
            "the planned 15th comes first"
        );

        // The 16th: the 15th is behind; A is the one debit to plan, C being over its ceiling.
        clock.advance(Duration::days(4));
        assert_eq!(
            next().await.unwrap(),
            Some(NextWork::ToPlan {
                date: d(2027, 1, 17),
                debits: 1
            })
        );
    }
);
