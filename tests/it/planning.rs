//! Planning that follows the declarations (issue 14): a collection date stays open until its
//! notice deadline, every scheduler pass plans into it what was declared or corrected since
//! and announces the new total; the database refuses a debit above its last announcement or
//! before its notice period; an employer over its ceiling is not debited, told once per
//! date, listed for staff, warned in the portal, and planned once it raises its ceiling.
//! The scheduler is driven pass by pass on a clock the test moves by hand. On both
//! databases.

use chrono::Duration;
use mandates::{Amount, DueDateSchedule};
use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::cycle::scheduler;
use tahsil::store::{NewDeclaration, NewDeclarationLine, Role, Store, StoreError};

use crate::both_backends;
use crate::harness::fixtures::{
    actor, add_user, d, declare, employer_with_worksites, scalar, signed_mandate,
};
use crate::harness::{Served, TestDb, WebApp, wait_until};

mod ceilings;
mod references;

/// One pass of the scheduler as the lease holder `a` (queue what is due, work the queue).
async fn pass(app: &WebApp) {
    let schedule = DueDateSchedule::parse(tahsil::config::DEFAULT_DUE_DATE_SCHEDULE).unwrap();
    scheduler::pass(
        &app.store,
        &app.settings,
        &schedule,
        "a",
        Duration::minutes(5),
    )
    .await
    .unwrap();
}

/// A collection of an employer on a date: (id, amount, status, notice version, announced,
/// earliest debit date).
#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct Debit {
    id: i64,
    amount: i64,
    status: String,
    version: i64,
    announced: Option<i64>,
    earliest: Option<String>,
}

async fn debit(store: &Store, employer: i64, date: &str) -> Option<Debit> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, amount_centimes AS amount, status, notice_version AS version, \
         announced_centimes AS announced, earliest_debit_date AS earliest \
         FROM collections WHERE employer_id = {employer} AND collection_date = '{date}'"
    )))
    .fetch_optional(store.pool())
    .await
    .unwrap()
}

/// The total of an employer's declaration of `period`.
async fn declared(store: &Store, employer: i64, period: &str) -> i64 {
    scalar(
        store,
        &format!(
            "SELECT CAST(SUM(l.total_centimes) AS BIGINT) FROM declaration_lines l \
             JOIN declarations d ON d.id = l.declaration_id \
             WHERE d.employer_id = {employer} AND d.period = '{period}'"
        ),
    )
    .await
}

/// The dedupe keys of the advance notices of a collection, with their status.
async fn advance_notices(store: &Store, collection: i64) -> Vec<(String, String)> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT dedupe_key, status FROM notice_events WHERE kind = 'advance_notice' \
         AND subject_id = {collection} ORDER BY id"
    )))
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// What a pass that plans nothing must leave as it was.
async fn planning_state(store: &Store) -> [i64; 5] {
    [
        scalar(store, "SELECT COUNT(*) FROM collections").await,
        scalar(store, "SELECT COUNT(*) FROM collection_lines").await,
        scalar(
            store,
            "SELECT COALESCE(CAST(SUM(notice_version) AS BIGINT), 0) FROM collections",
        )
        .await,
        scalar(store, "SELECT COUNT(*) FROM notice_events").await,
        scalar(
            store,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'collection.%'",
        )
        .await,
    ]
}

/// A few more passes of the scheduler later the same day.
async fn more_passes(app: &WebApp, clock: &Clock) {
    for _ in 0..3 {
        clock.advance(Duration::minutes(20));
        pass(app).await;
    }
}

async fn correct(store: &Store, employer: i64, period: &str, lines: &[(&str, &str)]) {
    let result = correct_result(store, employer, period, lines).await;
    assert!(result.is_ok(), "{result:?}");
}

async fn correct_result(
    store: &Store,
    employer: i64,
    period: &str,
    lines: &[(&str, &str)],
) -> Result<(), StoreError> {
    store
        .submit_or_correct_declaration(
            &actor(),
            employer,
            NewDeclaration {
                period: period.parse().unwrap(),
                lines: lines
                    .iter()
                    .map(|(code, wage)| NewDeclarationLine {
                        worksite_code: (*code).to_owned(),
                        headcount: 4,
                        wage_bill: Amount::parse(wage).unwrap(),
                        bad_weather_base: Amount::ZERO,
                    })
                    .collect(),
            },
        )
        .await
        .map(|(_, corrected)| assert!(corrected))
}

both_backends!(
    a_date_stays_open_until_its_notice_deadline,
    |db: TestDb| async move {
        // 2 December: the 15th is the next collection date; its notice deadline is the 10th.
        let clock = Clock::fixed_on(d(2026, 12, 2));
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        let s = &app.store;
        let a = employer_with_worksites(s, "16000001", &["W1", "W2"]).await;
        signed_mandate(s, a, "004 00174 4010010504 86", None).await;
        declare(s, a, "2026-11", &[("W1", "100000.00")]).await;
        pass(&app).await;
        let november = declared(s, a, "2026-11").await;
        let first = debit(s, a, "2026-12-15").await.expect("planned on the 2nd");
        assert_eq!(
            first,
            Debit {
                id: first.id,
                amount: november,
                status: "planned".to_owned(),
                version: 1,
                announced: Some(november),
                earliest: Some("2026-12-07".to_owned()),
            }
        );
        // Its advance notice goes out (the notice worker's part).
        sqlx::query("UPDATE notice_events SET status = 'sent' WHERE kind = 'advance_notice'")
            .execute(s.pool())
            .await
            .unwrap();
        let settled_state = planning_state(s).await;
        more_passes(&app, &clock).await;
        assert_eq!(
            planning_state(s).await,
            settled_state,
            "passes plan nothing twice"
        );

        // 4 December, after the first plan and before the deadline: October is declared
        // late, and a second employer declares for the first time.
        clock.set(d(2026, 12, 4).and_hms_opt(9, 0, 0).unwrap().and_utc());
        declare(s, a, "2026-10", &[("W2", "50000.00")]).await;
        let b = employer_with_worksites(s, "16000002", &["S1"]).await;
        signed_mandate(s, b, "200 12", None).await;
        declare(s, b, "2026-11", &[("S1", "20000.00")]).await;
        pass(&app).await;
        let october = declared(s, a, "2026-10").await;
        let amended = debit(s, a, "2026-12-15").await.unwrap();
        assert_eq!(
            amended,
            Debit {
                id: first.id,
                amount: november + october,
                status: "planned".to_owned(),
                version: 2,
                announced: Some(november + october),
                earliest: Some("2026-12-09".to_owned()),
            },
            "the late declaration joins the planned debit, announced again"
        );
        assert_eq!(
            advance_notices(s, first.id).await,
            vec![
                (format!("advance_notice:{}", first.id), "sent".to_owned()),
                (
                    format!("advance_notice:{}:v2", first.id),
                    "pending".to_owned()
                ),
            ],
            "a second advance notice for the new total"
        );
        let b_debit = debit(s, b, "2026-12-15").await.expect("B planned too");
        assert_eq!(b_debit.version, 1);
        let settled_state = planning_state(s).await;
        more_passes(&app, &clock).await;
        assert_eq!(
            planning_state(s).await,
            settled_state,
            "passes plan nothing twice"
        );

        // 6 December: October corrected downwards, before its re-announcement went out.
        clock.set(d(2026, 12, 6).and_hms_opt(9, 0, 0).unwrap().and_utc());
        correct(s, a, "2026-10", &[("W2", "20000.00")]).await;
        let october = declared(s, a, "2026-10").await;
        let lowered = debit(s, a, "2026-12-15").await.unwrap();
        assert_eq!(
            (lowered.amount, lowered.announced),
            (november, Some(amended.amount)),
            "taken out of the debit at once, never above what was announced"
        );
        pass(&app).await;
        let corrected = debit(s, a, "2026-12-15").await.unwrap();
        assert_eq!(
            (corrected.amount, corrected.version, corrected.announced),
            (november + october, 3, Some(november + october)),
            "the correction is re-announced"
        );
        assert!(corrected.amount < amended.amount);
        assert_eq!(
            advance_notices(s, first.id).await,
            vec![
                (format!("advance_notice:{}", first.id), "sent".to_owned()),
                (
                    format!("advance_notice:{}:v3", first.id),
                    "pending".to_owned()
                ),
            ],
            "the unsent second notice is withdrawn, the third announces the new total"
        );
        let settled_state = planning_state(s).await;
        more_passes(&app, &clock).await;
        assert_eq!(
            planning_state(s).await,
            settled_state,
            "passes plan nothing twice"
        );

        // 11 December, after the deadline: September declared late waits for the next
        // date, and the 15th is no longer corrected.
        clock.set(d(2026, 12, 11).and_hms_opt(9, 0, 0).unwrap().and_utc());
        declare(s, a, "2026-09", &[("W1", "30000.00")]).await;
        let refused = correct_result(s, a, "2026-10", &[("W2", "10000.00")]).await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(_))),
            "{refused:?}"
        );
        pass(&app).await;
        let september = declared(s, a, "2026-09").await;
        assert_eq!(
            debit(s, a, "2026-12-15").await.unwrap(),
            corrected,
            "after the deadline the 15th stays as announced"
        );
        let next: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT collection_date, amount_centimes FROM collections \
             WHERE employer_id = {a} AND collection_date > '2026-12-15'"
        )))
        .fetch_all(s.pool())
        .await
        .unwrap();
        assert_eq!(next.len(), 1, "{next:?}");
        assert!(next[0].0.starts_with("2027-01"), "{next:?}");
        assert_eq!(
            next[0].1, september,
            "the too-late declaration goes to January"
        );
        let settled_state = planning_state(s).await;
        more_passes(&app, &clock).await;
        assert_eq!(
            planning_state(s).await,
            settled_state,
            "passes plan nothing twice"
        );

        // The file day of the 15th: the amended debits are filed (the database accepts
        // them: announced, after their notice).
        clock.set(d(2026, 12, 13).and_hms_opt(9, 0, 0).unwrap().and_utc());
        pass(&app).await;
        assert_eq!(debit(s, a, "2026-12-15").await.unwrap().status, "submitted");
        assert_eq!(debit(s, b, "2026-12-15").await.unwrap().status, "submitted");
    }
);

/// Runs raw SQL, bypassing the store: whether the database accepted it.
async fn raw(store: &Store, sql: &str) -> bool {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(store.pool())
        .await
        .is_ok()
}

both_backends!(
    the_database_refuses_a_debit_above_its_announcement_or_before_its_notice,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let s = &store;
        let a = employer_with_worksites(s, "16000001", &["W1"]).await;
        let mandate = signed_mandate(s, a, "004 00174 4010010504 86", None).await;
        declare(s, a, "2026-11", &[("W1", "100000.00")]).await;
        s.plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 1))
            .await
            .unwrap();
        let c = debit(s, a, "2026-12-15").await.unwrap();
        assert_eq!(c.earliest.as_deref(), Some("2026-12-06"));
        let id = c.id;

        // More than announced: a planned debit may be (it is not filed), a filed one not.
        assert!(
            raw(
                s,
                &format!(
                    "UPDATE collections SET amount_centimes = amount_centimes + 1 WHERE id = {id}"
                )
            )
            .await
        );
        assert!(
            !raw(
                s,
                &format!("UPDATE collections SET status = 'submitted' WHERE id = {id}")
            )
            .await,
            "a debit above its last advance notice is refused"
        );
        assert!(
            raw(
                s,
                &format!(
                    "UPDATE collections SET amount_centimes = announced_centimes WHERE id = {id}"
                )
            )
            .await
        );
        // Before its notice period: the 5th is before the 6th.
        assert!(
            !raw(s, &format!("UPDATE collections SET status = 'submitted', collection_date = '2026-12-05' WHERE id = {id}")).await,
            "a debit before its earliest debit date is refused"
        );
        // A debit written straight into a file state without an announcement.
        assert!(
            !raw(
                s,
                &format!(
                    "INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes, \
                     status, attempt, end_to_end_id, noticed_on, created_at, updated_at) VALUES \
                     ({a}, {mandate}, 'bank', '2027-01-17', 100, 'submitted', 1, 'RAW1', '2026-12-01', 'x', 'x')"
                )
            )
            .await,
            "a filed debit with no announcement is refused"
        );
        // As announced, on its date: accepted.
        assert!(
            raw(
                s,
                &format!("UPDATE collections SET status = 'submitted' WHERE id = {id}")
            )
            .await
        );
        assert!(
            !raw(
                s,
                &format!(
                    "UPDATE collections SET amount_centimes = amount_centimes + 1 WHERE id = {id}"
                )
            )
            .await,
            "nor raised once filed"
        );
    }
);

both_backends!(
    an_employer_over_its_ceiling_is_told_once_and_planned_when_it_raises_it,
    |db: TestDb| async move {
        let clock = Clock::fixed_on(d(2026, 12, 2));
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        let s = &app.store;
        let c = employer_with_worksites(s, "16000003", &["W1"]).await;
        let mandate = signed_mandate(s, c, "004 00174 4010010504 86", Some("1000.00")).await;
        declare(s, c, "2026-11", &[("W1", "100000.00")]).await;
        let owed = declared(s, c, "2026-11").await;
        assert!(
            owed > 100_000,
            "the declaration is above the ceiling: {owed}"
        );
        pass(&app).await;
        more_passes(&app, &clock).await;

        // Not debited (never a part of what is owed), told exactly once.
        assert_eq!(debit(s, c, "2026-12-15").await, None);
        let over_ceiling_notices = || async {
            scalar(s, &format!("SELECT COUNT(*) FROM notice_events WHERE kind = 'over_ceiling' AND employer_id = {c}")).await
        };
        assert_eq!(over_ceiling_notices().await, 1);

        // Staff see it on the console's dashboard.
        add_user(s, "finance@fund.dz", Role::Finance, &[]).await;
        let staff = app.signed_in("finance@fund.dz").await;
        let (status, page) = staff.get("/console").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"over-ceiling-count\">1<"), "{page}");
        assert!(page.contains(&format!("id=\"over-ceiling-{c}\"")), "{page}");
        assert!(page.contains("10/12/2026"), "the deadline: {page}");

        // The employer sees the warning on its dashboard.
        add_user(s, "gerant@c.dz", Role::Employer, &["16000003"]).await;
        let employer = app.signed_in("gerant@c.dz").await;
        let (status, page) = employer.get(&format!("/portal/{c}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"over-ceiling\""), "{page}");
        assert!(
            page.contains(&format!("/portal/{c}/mandate#ceiling")),
            "{page}"
        );

        // A ceiling that is not an amount, or not positive, is refused with the reason.
        let path = format!("/portal/{c}/mandate/{mandate}/ceiling");
        for bad in ["beaucoup", "-5", "0", "12,345"] {
            let (status, page, _) = employer.post(&path, &[("ceiling", bad)]).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
            assert!(page.contains("id=\"error\""), "{bad}: {page}");
        }
        assert_eq!(
            s.mandate(mandate).await.unwrap().ceiling,
            Some(Amount::parse("1000.00").unwrap())
        );

        // Raised in the portal before the deadline: the next pass plans the debit.
        clock.set(d(2026, 12, 5).and_hms_opt(9, 0, 0).unwrap().and_utc());
        // (Three days on, the sessions have expired: signed in again.)
        let employer = app.signed_in("gerant@c.dz").await;
        let staff = app.signed_in("finance@fund.dz").await;
        let (status, _, location) = employer.post(&path, &[("ceiling", "1 000 000,00")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some(format!("/portal/{c}/mandate?done=ceiling").as_str())
        );
        assert_eq!(
            s.mandate(mandate).await.unwrap().ceiling,
            Some(Amount::parse("1000000.00").unwrap())
        );
        assert_eq!(
            scalar(s, &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'mandate.ceiling_changed' AND entity_id = '{mandate}'")).await,
            1,
            "audited"
        );
        pass(&app).await;
        let planned = debit(s, c, "2026-12-15")
            .await
            .expect("planned once raised");
        assert_eq!((planned.amount, planned.announced), (owed, Some(owed)));
        assert_eq!(
            over_ceiling_notices().await,
            1,
            "still one notice for the date"
        );
        let (_, page) = staff.get("/console").await;
        assert!(page.contains("id=\"over-ceiling-count\">0<"), "{page}");
        let (_, page) = employer.get(&format!("/portal/{c}")).await;
        assert!(!page.contains("id=\"over-ceiling\""), "{page}");

        // Removing the ceiling is allowed too.
        let (status, _, _) = employer.post(&path, &[("ceiling", "")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(s.mandate(mandate).await.unwrap().ceiling, None);
    }
);

/// The e-mails `serve` wrote into its mail folder: (subject, text).
fn mails(folder: &std::path::Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(folder.join("mail")) else {
        return Vec::new();
    };
    entries
        .map(|entry| {
            let raw = std::fs::read(entry.unwrap().path()).unwrap();
            let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
            (
                message.subject().unwrap_or_default().to_owned(),
                message.body_text(0).unwrap_or_default().into_owned(),
            )
        })
        .collect()
}

/// How many notices of `kind` were sent.
async fn sent(store: &Store, kind: &str) -> i64 {
    scalar(
        store,
        &format!("SELECT COUNT(*) FROM notice_events WHERE kind = '{kind}' AND status = 'sent'"),
    )
    .await
}

both_backends!(
    serve_announces_a_late_declaration_again_and_tells_an_employer_over_its_ceiling,
    |db: TestDb| async move {
        let clock = Clock::fixed_on(d(2026, 12, 2));
        let folder = tempfile::tempdir().unwrap();
        let served = Served::start(&db, Served::config(&db, folder.path()), &clock, "a").await;
        let s = &served.store.clone();
        let a = employer_with_worksites(s, "16000001", &["W1", "W2"]).await;
        signed_mandate(s, a, "004 00174 4010010504 86", None).await;
        declare(s, a, "2026-11", &[("W1", "100000.00")]).await;
        let c = employer_with_worksites(s, "16000003", &["W1"]).await;
        signed_mandate(s, c, "200 12", Some("1000.00")).await;
        declare(s, c, "2026-11", &[("W1", "100000.00")]).await;
        clock.advance(Duration::zero());
        wait_until("A's first notice and C's over-ceiling notice sent", || async move {
            sent(s, "advance_notice").await == 1 && sent(s, "over_ceiling").await == 1
        })
        .await;

        // 4 December: October declared late is announced again, with the new total.
        declare(s, a, "2026-10", &[("W2", "50000.00")]).await;
        clock.set(d(2026, 12, 4).and_hms_opt(9, 0, 0).unwrap().and_utc());
        wait_until("the second advance notice sent", || async move {
            sent(s, "advance_notice").await == 2
        })
        .await;
        let total = declared(s, a, "2026-11").await + declared(s, a, "2026-10").await;
        let planned = debit(s, a, "2026-12-15").await.unwrap();
        assert_eq!((planned.amount, planned.version), (total, 2));
        // More passes: nothing more is sent.
        for _ in 0..3 {
            clock.advance(Duration::hours(1));
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        assert_eq!(sent(s, "advance_notice").await, 2);
        assert_eq!(sent(s, "over_ceiling").await, 1);

        let total = tahsil::locale::money(
            Amount::from_centimes(total),
            tahsil::locale::Lang::Fr,
            tahsil::locale::Medium::Notice,
        );
        let mails = mails(folder.path());
        let announcing: Vec<_> = mails
            .iter()
            .filter(|(subject, _)| subject.contains("Avis de prélèvement"))
            .collect();
        assert_eq!(announcing.len(), 2, "{mails:?}");
        assert!(
            announcing
                .iter()
                .any(|(subject, text)| subject.contains(&total)
                    && text.contains("W1")
                    && text.contains("W2")
                    && text.contains("Cet avis remplace le précédent")),
            "the new total and its breakdown: {announcing:?}"
        );
        let over: Vec<_> = mails
            .iter()
            .filter(|(subject, _)| subject.contains("dépasse votre plafond"))
            .collect();
        assert_eq!(over.len(), 1, "{mails:?}");
        assert!(
            over[0].1.contains("10/12/2026"),
            "the deadline: {}",
            over[0].1
        );
        served.stop().await;
    }
);

both_backends!(
    new_lines_that_take_a_planned_debit_over_the_ceiling_cancel_it_and_nothing_is_debited,
    |db: TestDb| async move {
        // An employer planned and announced within its ceiling declares more while the date
        // is open: its total is now over the ceiling. It is told nothing will be debited on
        // the date (pay another way or raise the ceiling): so the debit announced before is
        // cancelled too, never presented beside a payment by another channel.
        let clock = Clock::fixed_on(d(2026, 12, 2));
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        let s = &app.store;
        let c = employer_with_worksites(s, "16000004", &["W1"]).await;
        signed_mandate(s, c, "004 00174 4010010504 86", Some("1000.00")).await;
        declare(s, c, "2026-11", &[("W1", "5000.00")]).await;
        let first = declared(s, c, "2026-11").await;
        assert!(first > 0 && first <= 100_000, "within the ceiling: {first}");
        pass(&app).await;
        let planned = debit(s, c, "2026-12-15").await.expect("planned");
        assert_eq!(
            (planned.status.as_str(), planned.amount),
            ("planned", first)
        );

        clock.advance(Duration::hours(2));
        declare(s, c, "2026-10", &[("W1", "5000.00")]).await;
        let owed = first + declared(s, c, "2026-10").await;
        assert!(owed > 100_000, "now over the ceiling: {owed}");
        pass(&app).await;
        more_passes(&app, &clock).await;

        let after = debit(s, c, "2026-12-15").await.expect("the row stays");
        assert_eq!(after.id, planned.id);
        assert_eq!(after.status, "cancelled");
        assert_eq!(
            scalar(s, &format!("SELECT COUNT(*) FROM collections WHERE id = {} AND reason_code = 'over_ceiling'", planned.id)).await,
            1
        );
        assert_eq!(
            scalar(
                s,
                &format!(
                    "SELECT COUNT(*) FROM collection_lines WHERE collection_id = {} AND live <> 0",
                    planned.id
                )
            )
            .await,
            0,
            "its lines are owed again"
        );
        assert_eq!(
            scalar(s, &format!("SELECT CAST(amount_centimes AS BIGINT) FROM ceiling_shortfalls WHERE employer_id = {c} AND collection_date = '2026-12-15'")).await,
            owed,
            "the shortfall is the whole amount owed"
        );
        assert_eq!(
            scalar(s, &format!("SELECT COUNT(*) FROM notice_events WHERE kind = 'over_ceiling' AND employer_id = {c}")).await,
            1
        );
        // Its first advance notice, not yet sent, was withdrawn; nothing says it will be debited.
        assert_eq!(
            scalar(s, &format!("SELECT COUNT(*) FROM notice_events WHERE kind = 'advance_notice' AND subject_id = {}", planned.id)).await,
            0
        );
        assert_eq!(
            scalar(s, &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'collection.cancelled' AND entity_id = '{}'", planned.id)).await,
            1,
            "audited"
        );
    }
);
