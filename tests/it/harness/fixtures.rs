//! Set-up helpers several test files share: the audit actor, dates, employers with
//! worksites, signed mandates, declarations, seeded and planned employers, users with the
//! test password and their API tokens, one whole collection cycle, a run job failed for
//! good, and a scalar query.
//! Each puts data in place through the store (or the running app); none asserts on what
//! a test checks.

use bank_formats::reasons::{ReasonCategory, RetryClass};
use chrono::NaiveDate;
use mandates::{AccountId, Amount};
use tahsil::cycle::CycleSettings;
use tahsil::cycle::exchange::Folder;
use tahsil::cycle::jobs::Job;
use tahsil::cycle::scheduler::{QueuePolicy, work_queue};
use tahsil::store::{
    Actor, Effect, NewDeclaration, NewDeclarationLine, NewEmployer, NewMandate, NewReport, NewUser,
    NewWorksite, ReconcilePolicy, ReportItem, Role, SignMandate, Store,
};

use super::app::{PASSWORD, WebApp};

/// The actor the set-ups and the tests write as.
pub fn actor() -> Actor {
    Actor::new("test")
}

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub async fn employer_with_worksites(store: &Store, affiliation: &str, codes: &[&str]) -> i64 {
    let employer = store
        .create_employer(
            &actor(),
            NewEmployer {
                affiliation_number: affiliation.to_owned(),
                name: "SARL Bâtiment du Sud".to_owned(),
                name_ar: Some("شركة البناء الجنوبية".to_owned()),
                email: "compta@example.dz".to_owned(),
                language: None,
                period_kind: None,
            },
        )
        .await
        .expect("employer");
    for code in codes {
        store
            .create_worksite(
                &actor(),
                employer.id,
                NewWorksite {
                    code: (*code).to_owned(),
                    name: format!("Chantier {code}"),
                    wilaya: Some("Alger".to_owned()),
                },
            )
            .await
            .expect("worksite");
    }
    employer.id
}

pub async fn signed_mandate(
    store: &Store,
    employer: i64,
    account: &str,
    ceiling: Option<&str>,
) -> i64 {
    let mandate = store
        .create_mandate(
            &actor(),
            employer,
            NewMandate {
                account: AccountId::parse(account).unwrap(),
                ceiling: ceiling.map(|c| Amount::parse(c).unwrap()),
            },
        )
        .await
        .unwrap();
    store
        .sign_mandate(
            &actor(),
            mandate.id,
            SignMandate {
                signer: "Gérant".to_owned(),
                ip: "192.0.2.1".to_owned(),
                user_agent: "test".to_owned(),
                consent_version: "2026-01-fr".to_owned(),
                consent_text: "Le texte du mandat signé dans ce test.".to_owned(),
            },
        )
        .await
        .unwrap();
    mandate.id
}

/// A declaration of `period`: 4 workers and the wage bill given on each worksite's line.
pub async fn declare(store: &Store, employer: i64, period: &str, lines: &[(&str, &str)]) {
    store
        .submit_declaration(
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
        .unwrap();
}

/// The collection date [`planned`] plans for.
pub const PLANNED_DATE: (i32, u32, u32) = (2026, 12, 15);

/// `employers` seeded employers (3 worksites each) planned for [`PLANNED_DATE`].
pub async fn planned(store: &Store, employers: u64) -> u64 {
    tahsil::demo::seed(store, employers, 3, "2026-10", 7, |_| {})
        .await
        .unwrap();
    let plan = store
        .plan_collections(
            &actor(),
            d(PLANNED_DATE.0, PLANNED_DATE.1, PLANNED_DATE.2),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        )
        .await
        .unwrap();
    plan.planned
}

/// The totals kept per date (`collection_totals`) are those a count of every debit gives,
/// and there are some: what a test calls after the changes it makes.
pub async fn assert_totals_kept(store: &Store) {
    let kept = store.collection_totals().await.unwrap();
    let counted = store.recounted_collection_totals().await.unwrap();
    assert!(!counted.is_empty(), "no debit to count");
    assert_eq!(
        kept, counted,
        "the kept totals differ from a count of the debits"
    );
}

/// The one integer a query selects.
pub async fn scalar(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// A user with the test password ([`PASSWORD`]), acting for `employers` (affiliation
/// numbers).
pub async fn add_user(store: &Store, email: &str, role: Role, employers: &[&str]) -> i64 {
    store
        .create_user(
            &Actor::new("test"),
            NewUser {
                email: email.to_owned(),
                display_name: String::new(),
                role,
                password: PASSWORD.to_owned(),
                employers: employers.iter().map(|s| (*s).to_owned()).collect(),
            },
        )
        .await
        .unwrap()
        .id
}

/// An employer user acting for `employers`, and a personal API token of theirs.
pub async fn user_token(app: &WebApp, email: &str, employers: &[&str]) -> (i64, String) {
    let user = add_user(&app.store, email, Role::Employer, employers).await;
    let token = app
        .store
        .create_user_api_token(&Actor::new("test"), user, "tests")
        .await
        .unwrap()
        .token;
    (user, token)
}

/// Two employers after one collection date: A (two worksites, a RIB) settled, B (one
/// worksite, a CCP) rejected for insufficient funds with a retry planned on 22 December.
pub struct Cycle {
    pub a: i64,
    pub b: i64,
    /// A's settled collection and B's rejected one and its retry.
    pub a_settled: i64,
    pub b_rejected: i64,
    pub b_retry: i64,
}

pub async fn one_cycle(app: &WebApp) -> Cycle {
    let store = &app.store;
    let actor = Actor::new("test");
    let a = employer_with_worksites(store, "16000001", &["W1", "W2"]).await;
    let b = employer_with_worksites(store, "16000002", &["S1"]).await;
    signed_mandate(store, a, "004 00174 4010010504 86", None).await;
    signed_mandate(store, b, "200 12", None).await;
    declare(
        store,
        a,
        "2026-10",
        &[("W1", "100000.00"), ("W2", "50000.00")],
    )
    .await;
    declare(store, b, "2026-10", &[("S1", "20000.00")]).await;
    let date = d(2026, 12, 15);
    store
        .plan_collections(&actor, date, d(2026, 12, 1))
        .await
        .unwrap();
    tahsil::cycle::run::run_date(store, &app.settings, &actor, date, "test")
        .await
        .unwrap();
    let collections = store.collections_on(date).await.unwrap();
    let of = |e: i64| collections.iter().find(|c| c.employer_id == e).unwrap();
    let (ca, cb) = (of(a), of(b));
    assert_eq!(
        (ca.status.as_str(), cb.status.as_str()),
        ("submitted", "submitted")
    );
    let item =
        |c: &tahsil::store::CollectionRecord, effect, reason: Option<ReasonCategory>| ReportItem {
            end_to_end_id: Some(c.end_to_end_id.clone()),
            mandate_reference: None,
            amount: Some(c.amount),
            status: Some(if reason.is_some() { "RJCT" } else { "ACSC" }.to_owned()),
            reason_code: reason.map(|_| "AM04".to_owned()),
            reason_category: reason,
            retry_class: reason.map(|_| RetryClass::RetryLater),
            effect,
            facts: Default::default(),
        };
    let summary = store
        .apply_report(
            &actor,
            &NewReport {
                institution: None,
                file_name: "report.xml".to_owned(),
                sha256: "c".repeat(64),
                format: "test".to_owned(),
                message_id: None,
                original_message_id: None,
                items: vec![
                    item(ca, Effect::Settle, None),
                    item(cb, Effect::Reject, Some(ReasonCategory::InsufficientFunds)),
                ],
            },
            ReconcilePolicy {
                today: date,
                retry_date: d(2026, 12, 22),
                max_attempts: 3,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (summary.settled, summary.rejected, summary.retries_planned),
        (1, 1, 1)
    );
    let b_retry = store.collections_on(d(2026, 12, 22)).await.unwrap()[0].id;
    Cycle {
        a,
        b,
        a_settled: ca.id,
        b_rejected: cb.id,
        b_retry,
    }
}

/// Works the queue as the scheduler does, every failed attempt due again at once; how many
/// jobs it worked.
pub async fn work_queue_now(store: &Store, settings: &CycleSettings) -> u64 {
    let policy = QueuePolicy {
        retry_in: chrono::Duration::zero(),
        ..QueuePolicy::default()
    };
    work_queue(store, settings, "worker", &policy)
        .await
        .unwrap()
}

/// `employers` planned for [`PLANNED_DATE`] whose files cannot be written (every outbox is
/// a file, [`unblock_outboxes`] fixes it): the date's run job, worked at once, failed its
/// every allowed attempt. Its id.
pub async fn failed_run_job(store: &Store, settings: &CycleSettings, employers: u64) -> i64 {
    planned(store, employers).await;
    for institution in &settings.institutions {
        let outbox = settings.folder(institution.name.as_str(), Folder::Outbox);
        std::fs::create_dir_all(outbox.parent().unwrap()).unwrap();
        std::fs::write(&outbox, "not a folder").unwrap();
    }
    let date = d(PLANNED_DATE.0, PLANNED_DATE.1, PLANNED_DATE.2);
    Job::Run { date }.enqueue(store).await.unwrap();
    work_queue_now(store, settings).await;
    scalar(
        store,
        &format!("SELECT id FROM jobs WHERE dedupe_key = 'run:{date}' AND status = 'failed'"),
    )
    .await
}

/// The outboxes [`failed_run_job`] blocked, made free again.
pub fn unblock_outboxes(settings: &CycleSettings) {
    for institution in &settings.institutions {
        std::fs::remove_file(settings.folder(institution.name.as_str(), Folder::Outbox)).unwrap();
    }
}
