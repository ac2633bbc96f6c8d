//! Payment plans around their employer (issue 16 point 3), on both databases: a notice —
//! and a webhook event where the employer has an endpoint — once per plan and event when
//! a plan is set (its instalments), refused or cancelled (the staff's reason), broken (the
//! instalment missed) or completed; the employer withdraws a request in the portal on a
//! confirmation page; the plans in the JSON API (staff and the employer's own token, whose
//! view of another employer's plan is the same 404 as an unknown one) and on the command
//! line (`tahsil plans list|show`). The daily surcharge job keeps a watermark: after days
//! without `serve` it catches up each missed day once, in order, and never redoes one.

use std::process::{Command, Output};

use chrono::NaiveDate;
use mandates::Amount;
use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::cycle::jobs::Job;
use tahsil::cycle::scheduler::{QueuePolicy, SURCHARGE_JOB, execute, schedule, work_queue};
use tahsil::store::{
    Actor, NewPayment, NoticeKind, NoticeSubject, PaymentChannel, PlanStatus, Role, SetPlan, Store,
    WebhookTargets,
};

use crate::both_backends;
use crate::harness::fixtures::{
    actor, add_user, d, declare, employer_with_worksites, scalar, user_token,
};
use crate::harness::{TestDb, WebApp, get as api_get, test_key_base64};
use crate::surcharges::{accrue_on, on};

/// The paid-leave contributions (12.21 %) of the three lines of [`in_arrears`].
const LINES: [i64; 3] = [1_221_000, 610_500, 244_200];

/// An employer without a mandate that declared 2026-10 (due from 1 November) on
/// 1 December on three worksites: three lines owed, never collected.
async fn in_arrears(store: &Store, affiliation: &str) -> i64 {
    on(store, d(2026, 12, 1));
    let employer = employer_with_worksites(store, affiliation, &["W1", "W2", "W3"]).await;
    declare(
        store,
        employer,
        "2026-10",
        &[("W1", "100000.00"), ("W2", "50000.00"), ("W3", "20000.00")],
    )
    .await;
    employer
}

fn staff() -> Actor {
    Actor::new("user:staff")
}

/// Requests a plan for `employer` today and sets it on all its arrears with `dates`.
async fn plan_for(store: &Store, employer: i64, dates: &[NaiveDate]) -> i64 {
    let plan = store
        .request_payment_plan(&staff(), employer, None)
        .await
        .unwrap();
    store
        .set_payment_plan(
            &staff(),
            plan.id,
            SetPlan {
                lines: Vec::new(),
                due_dates: dates.to_vec(),
            },
        )
        .await
        .unwrap();
    plan.id
}

/// The plan notice events of `plan` (kind, dedupe key), and how many webhook deliveries
/// they have.
async fn plan_events(store: &Store, plan: i64) -> (Vec<(String, String)>, i64) {
    let events: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, dedupe_key FROM notice_events WHERE kind LIKE 'plan_%' AND subject_id = $1 ORDER BY id",
    )
    .bind(plan)
    .fetch_all(store.pool())
    .await
    .unwrap();
    let deliveries = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE kind LIKE 'plan_%' AND subject_id = $1",
    )
    .bind(plan)
    .fetch_one(store.pool())
    .await
    .unwrap();
    (events, deliveries)
}

fn event(kind: &str, plan: i64) -> (String, String) {
    (kind.to_owned(), format!("{kind}:{plan}"))
}

both_backends!(
    plan_notices_and_webhooks_once_per_plan_and_event,
    |db: TestDb| async move {
        let store = db
            .store_with_clock(Clock::fixed_on(d(2026, 12, 1)))
            .await
            .with_webhook_targets(WebhookTargets::AllowLoopback);
        let a = in_arrears(&store, "16000001").await;
        let b = in_arrears(&store, "16000002").await;
        let c = in_arrears(&store, "16000003").await;
        let e = in_arrears(&store, "16000005").await;
        // A has a webhook endpoint; the others none.
        store
            .add_webhook_endpoint(&actor(), a, "http://127.0.0.1:9/hook")
            .await
            .unwrap();
        on(&store, d(2026, 12, 10));

        // Set: one notice with its instalments, one webhook delivery (A's endpoint).
        let plan_a = plan_for(&store, a, &[d(2027, 1, 20), d(2027, 2, 17)]).await;
        assert_eq!(
            plan_events(&store, plan_a).await,
            (vec![event("plan_set", plan_a)], 1)
        );
        let claimed = store
            .claim_notices("test", chrono::Duration::minutes(5), 100)
            .await
            .unwrap();
        let set = claimed
            .iter()
            .find(|n| n.kind == NoticeKind::PlanSet && n.subject_id == plan_a)
            .expect("the plan's notice is pending");
        let facts = store.notice_facts(set).await.unwrap();
        let NoticeSubject::Plan(plan_facts) = &facts.subject else {
            panic!("{facts:?}")
        };
        let amounts: Vec<(String, i64)> = plan_facts
            .instalments
            .iter()
            .map(|i| (i.due_on.clone(), i.amount_centimes))
            .collect();
        assert_eq!(
            amounts,
            [
                ("2027-01-20".to_owned(), LINES[0]),
                ("2027-02-17".to_owned(), LINES[1] + LINES[2])
            ]
        );
        let notice = tahsil::notices::render(&facts, &Default::default()).unwrap();
        for day in ["20/01/2027", "17/02/2027"] {
            assert!(notice.text.contains(day), "{day}: {}", notice.text);
            assert!(notice.html.contains(day), "{day}: {}", notice.html);
        }
        let body = tahsil::webhooks::payload::payload(&facts, "2026-12-10T11:00:00Z");
        assert_eq!(body["type"], "plan_set");
        assert_eq!(body["data"]["object"], "payment_plan");
        assert_eq!(body["data"]["plan_id"], plan_a);
        assert_eq!(
            body["data"]["total_centimes"],
            LINES.iter().sum::<i64>(),
            "{body}"
        );
        assert_eq!(
            body["data"]["instalments"][1]["amount"], "8547.00",
            "{body}"
        );

        // Refused (B), with the staff's reason; a withdrawal (B's next request) tells nothing.
        let asked = store.request_payment_plan(&staff(), b, None).await.unwrap();
        store
            .end_payment_plan(&staff(), asked.id, "Dossier incomplet", false)
            .await
            .unwrap();
        assert_eq!(
            plan_events(&store, asked.id).await,
            (vec![event("plan_refused", asked.id)], 0),
            "no endpoint for B: no delivery"
        );
        let again = store
            .request_payment_plan(&Actor::new("user:9"), b, None)
            .await
            .unwrap();
        store
            .end_payment_plan(&Actor::new("user:9"), again.id, "plus besoin", true)
            .await
            .unwrap();
        assert_eq!(plan_events(&store, again.id).await, (vec![], 0));

        // Cancelled (C) by staff.
        let plan_c = plan_for(&store, c, &[d(2027, 3, 10)]).await;
        store
            .end_payment_plan(&staff(), plan_c, "Accord non respecté", false)
            .await
            .unwrap();
        assert_eq!(
            plan_events(&store, plan_c).await.0,
            [event("plan_set", plan_c), event("plan_cancelled", plan_c)]
        );

        // Completed (E): its lines paid by a transfer; the review tells it once.
        let plan_e = plan_for(&store, e, &[d(2027, 1, 20)]).await;
        store
            .record_payment(
                &actor(),
                NewPayment {
                    employer_id: e,
                    amount: Amount::from_centimes(LINES.iter().sum()),
                    received_on: d(2026, 12, 10),
                    channel: PaymentChannel::Transfer,
                    reference: "VIR-E".to_owned(),
                    note: None,
                },
            )
            .await
            .unwrap();
        accrue_on(&store, d(2026, 12, 11)).await;
        accrue_on(&store, d(2026, 12, 12)).await;
        assert_eq!(
            store.payment_plan(plan_e).await.unwrap().status,
            PlanStatus::Completed
        );
        assert_eq!(
            plan_events(&store, plan_e).await.0,
            [event("plan_set", plan_e), event("plan_completed", plan_e)]
        );

        // Broken (A): nothing paid 15 days after 20 January; told once, with a delivery.
        accrue_on(&store, d(2027, 2, 4)).await;
        assert_eq!(
            store.payment_plan(plan_a).await.unwrap().status,
            PlanStatus::Active
        );
        accrue_on(&store, d(2027, 2, 5)).await;
        accrue_on(&store, d(2027, 2, 6)).await;
        assert_eq!(
            store.payment_plan(plan_a).await.unwrap().status,
            PlanStatus::Broken
        );
        assert_eq!(
            plan_events(&store, plan_a).await,
            (
                vec![event("plan_set", plan_a), event("plan_broken", plan_a)],
                2
            )
        );
    }
);

both_backends!(
    the_employer_withdraws_its_plan_request_on_a_confirmation_page,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let a = in_arrears(&app.store, "16000001").await;
        in_arrears(&app.store, "16000002").await;
        let user = add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        add_user(&app.store, "b@b.dz", Role::Employer, &["16000002"]).await;
        let viewer = add_user(&app.store, "v@a.dz", Role::Employer, &["16000001"]).await;
        sqlx::query("UPDATE user_employers SET capacity = 'view' WHERE user_id = $1")
            .bind(viewer)
            .execute(app.store.pool())
            .await
            .unwrap();
        on(&app.store, d(2026, 12, 10));
        let user_a = app.signed_in("a@a.dz").await;
        let user_b = app.signed_in("b@b.dz").await;
        let viewer = app.signed_in("v@a.dz").await;
        let plans = format!("/portal/{a}/plans");
        let (status, _, _) = user_a.post(&plans, &[("note", "Six mois")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let id = app.store.employer_payment_plans(a).await.unwrap()[0].id;
        let page = format!("/portal/{a}/plans/{id}/withdraw");

        // The link is on the plans page of who may ask, not of a colleague who only views.
        let (_, html) = user_a.get(&plans).await;
        assert!(html.contains(&format!("href=\"{page}\"")), "{html}");
        let (_, html) = viewer.get(&plans).await;
        assert!(!html.contains("id=\"withdraw-link\""), "{html}");
        assert_eq!(viewer.get(&page).await.0, StatusCode::FORBIDDEN);
        assert_eq!(viewer.post(&page, &[]).await.0, StatusCode::FORBIDDEN);
        // Another employer's user: no such page, nothing done.
        assert_eq!(user_b.get(&page).await.0, StatusCode::NOT_FOUND);
        assert_eq!(user_b.post(&page, &[]).await.0, StatusCode::NOT_FOUND);
        let other = format!("/portal/{a}/plans/999999/withdraw");
        assert_eq!(user_a.get(&other).await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            app.store.payment_plan(id).await.unwrap().status,
            PlanStatus::Requested
        );

        // The confirmation page: the request, what withdrawing means, a button apart.
        let (status, html) = user_a.get(&page).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"withdraw-form\""), "{html}");
        assert!(html.contains("id=\"withdraw-effect\""), "{html}");
        assert!(html.contains(&format!("id=\"plan-{id}\"")), "{html}");
        let (status, _, location) = user_a.post(&page, &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some(&*format!("{plans}?done=withdrawn"))
        );
        let plan = app.store.payment_plan(id).await.unwrap();
        assert_eq!(plan.status, PlanStatus::Withdrawn);
        assert_eq!(plan.ended_by.as_deref(), Some(&*format!("user:{user}")));
        assert_eq!(
            scalar(
                &app.store,
                &format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'payment_plan.withdrawn' \
                     AND actor = 'user:{user}' AND entity_id = '{id}'"
                )
            )
            .await,
            1
        );
        // Again (an old page): refused in words, nothing changed; a new request may follow.
        let (status, html, _) = user_a.post(&page, &[]).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(html.contains("id=\"error\""), "{html}");
        let (_, html) = user_a.get(&plans).await;
        assert!(html.contains("id=\"request-plan\""), "{html}");
        assert!(!html.contains("id=\"withdraw-link\""), "{html}");
        // A plan set by staff can no longer be withdrawn.
        let set = plan_for(&app.store, a, &[d(2027, 1, 20)]).await;
        let (status, _, location) = user_a
            .post(&format!("/portal/{a}/plans/{set}/withdraw"), &[])
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{location:?}");
        assert_eq!(
            app.store.payment_plan(set).await.unwrap().status,
            PlanStatus::Active
        );
    }
);

both_backends!(
    plans_in_the_api_for_staff_and_for_the_employers_own_token,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let admin = "admin-test-token";
        let a = in_arrears(&app.store, "16000001").await;
        let b = in_arrears(&app.store, "16000002").await;
        on(&app.store, d(2026, 12, 10));
        let plan_a = plan_for(&app.store, a, &[d(2027, 1, 20), d(2027, 2, 17)]).await;
        let plan_b = app
            .store
            .request_payment_plan(&Actor::new("user:77"), b, Some("trois mois"))
            .await
            .unwrap()
            .id;

        // Staff: the employer's plans with instalments and who set them.
        let (status, list) = api_get(&app, &format!("/api/v1/employers/{a}/plans"), admin).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        assert_eq!(list[0]["id"], plan_a);
        assert_eq!(list[0]["status"], "active");
        assert_eq!(list[0]["total"], "20757.00", "{list}");
        assert_eq!(list[0]["set_by"], "user:staff", "{list}");
        assert_eq!(list[0]["instalments"][0]["due_on"], "2027-01-20");
        assert_eq!(list[0]["instalments"][0]["amount"], "12210.00");
        assert_eq!(list[0]["instalments"][0]["paid"], "0.00");
        let (_, none) = api_get(
            &app,
            &format!("/api/v1/employers/{a}/plans?status=requested"),
            admin,
        )
        .await;
        assert_eq!(none, serde_json::json!([]));
        let (status, wrong) = api_get(
            &app,
            &format!("/api/v1/employers/{a}/plans?status=paid"),
            admin,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}");
        assert!(wrong.to_string().contains("requested"), "{wrong}");
        let (status, one) = api_get(
            &app,
            &format!("/api/v1/employers/{a}/plans/{plan_a}"),
            admin,
        )
        .await;
        assert_eq!(
            (status, &one["id"]),
            (StatusCode::OK, &serde_json::json!(plan_a))
        );
        let (status, _) = api_get(
            &app,
            &format!("/api/v1/employers/{b}/plans/{plan_a}"),
            admin,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = api_get(&app, "/api/v1/employers/999999/plans", admin).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The employer's own token: its plans only, no staff names.
        let (_, token_a) = user_token(&app, "compta@a.dz", &["16000001"]).await;
        let (_, token_b) = user_token(&app, "compta@b.dz", &["16000002"]).await;
        let (status, mine) = api_get(&app, "/api/v1/plans", &token_a).await;
        assert_eq!(status, StatusCode::OK, "{mine}");
        assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
        assert_eq!(mine[0]["id"], plan_a);
        assert!(mine[0].get("set_by").is_none(), "{mine}");
        assert!(mine[0].get("requested_by").is_none(), "{mine}");
        assert_eq!(mine[0]["instalments"][1]["amount"], "8547.00", "{mine}");
        let (_, theirs) = api_get(&app, "/api/v1/plans?status=requested", &token_b).await;
        assert_eq!(theirs.as_array().map(Vec::len), Some(1), "{theirs}");
        assert_eq!(theirs[0]["request_note"], "trois mois");
        let (status, _) = api_get(&app, &format!("/api/v1/plans/{plan_a}"), &token_a).await;
        assert_eq!(status, StatusCode::OK);
        // Another employer's plan: the same 404 as an unknown one.
        let (status, other) = api_get(&app, &format!("/api/v1/plans/{plan_b}"), &token_a).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let unknown = 999_999;
        let (status, missing) = api_get(&app, &format!("/api/v1/plans/{unknown}"), &token_a).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            other.to_string(),
            missing
                .to_string()
                .replace(&unknown.to_string(), &plan_b.to_string())
        );
        let (status, _) = api_get(&app, &format!("/api/v1/plans?employer={b}"), &token_a).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Each token on its own routes only.
        let (status, _) = api_get(&app, "/api/v1/plans", admin).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = api_get(&app, &format!("/api/v1/employers/{a}/plans"), &token_a).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
);

fn tahsil(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .arg("--database-url")
        .arg(&db.url)
        .args(args)
        .env_remove("TAHSIL_DATABASE_URL")
        .env("TAHSIL_ENCRYPTION_KEY", test_key_base64())
        .env("TAHSIL_CLOCK", "2026-12-10T10:00:00+01:00")
        .output()
        .expect("run tahsil")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

both_backends!(
    the_cli_lists_and_shows_payment_plans,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let a = in_arrears(&store, "16000001").await;
        let b = in_arrears(&store, "16000002").await;
        on(&store, d(2026, 12, 10));
        let plan_a = plan_for(&store, a, &[d(2027, 1, 20), d(2027, 2, 17)]).await;
        let plan_b = store
            .request_payment_plan(&staff(), b, Some("trois mois"))
            .await
            .unwrap()
            .id;

        let output = tahsil(&db, &["plans", "list"]);
        assert!(output.status.success(), "{output:?}");
        let listed = stdout(&output);
        assert_eq!(listed.lines().count(), 2, "{listed}");
        // Requests first.
        assert!(
            listed
                .lines()
                .next()
                .unwrap()
                .starts_with(&format!("plan #{plan_b} employer 16000002: requested")),
            "{listed}"
        );
        assert!(
            listed.contains(&format!(
                "plan #{plan_a} employer 16000001: in force, honoured, requested on 10/12/2026, 20757.00 DA in 2 instalment(s) from 10/12/2026"
            )),
            "{listed}"
        );
        let output = tahsil(&db, &["plans", "list", "--status", "active"]);
        assert_eq!(stdout(&output).lines().count(), 1, "{output:?}");
        let output = tahsil(&db, &["plans", "list", "--employer", "16000002"]);
        assert!(
            stdout(&output).contains(&format!("plan #{plan_b}")),
            "{output:?}"
        );
        assert!(
            !stdout(&output).contains(&format!("plan #{plan_a}")),
            "{output:?}"
        );
        let output = tahsil(&db, &["plans", "list", "--status", "cancelled"]);
        assert_eq!(stdout(&output), "no payment plan\n");
        // An unknown employer or plan: exit 1, said; a state that is none: a usage error.
        let output = tahsil(&db, &["plans", "list", "--employer", "99999999"]);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert!(stdout(&output).contains("no employer"), "{output:?}");
        let output = tahsil(&db, &["plans", "show", "999999"]);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert!(
            stdout(&output).contains("no payment plan #999999"),
            "{output:?}"
        );
        let output = tahsil(&db, &["plans", "list", "--status", "paid"]);
        assert_eq!(output.status.code(), Some(2), "{output:?}");

        let output = tahsil(&db, &["plans", "show", &plan_a.to_string()]);
        assert!(output.status.success(), "{output:?}");
        let shown = stdout(&output);
        for expected in [
            format!("payment plan #{plan_a} of employer 16000001"),
            "state: in force, honoured".to_owned(),
            "set on 10/12/2026 by ".to_owned(),
            "covers: 20757.00 DA".to_owned(),
            "1. 20/01/2027: 12210.00 DA, paid 0.00 DA (1 line(s))".to_owned(),
            "2. 17/02/2027: 8547.00 DA, paid 0.00 DA (2 line(s))".to_owned(),
        ] {
            assert!(shown.contains(&expected), "{expected:?} in:\n{shown}");
        }
        assert!(!shown.contains("PaymentPlan {"), "no debug output: {shown}");
        // Who set it in words, never the stored actor; days and the dinar as people read them.
        assert!(!shown.contains("user:"), "{shown}");
        crate::web::internals::assert_command_line_reads_well(&shown);
        let output = tahsil(&db, &["plans", "show", &plan_b.to_string()]);
        assert!(stdout(&output).contains("note: trois mois"), "{output:?}");
        assert!(stdout(&output).contains("no instalments yet"), "{output:?}");
    }
);

/// The `surcharges:DAY` jobs in the order they were queued, with their state.
async fn surcharge_jobs(store: &Store) -> Vec<(String, String)> {
    sqlx::query_as("SELECT dedupe_key, status FROM jobs WHERE kind = 'surcharges' ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

both_backends!(
    the_daily_surcharge_job_catches_up_each_missed_day_once_in_order,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let due_dates =
            mandates::DueDateSchedule::parse(tahsil::config::DEFAULT_DUE_DATE_SCHEDULE).unwrap();
        let a = in_arrears(store, "16000001").await;
        on(store, d(2026, 12, 10));
        // One instalment on 20 January, never paid: the plan breaks on 5 February.
        let plan = plan_for(store, a, &[d(2027, 1, 20)]).await;
        let pass = |day: NaiveDate| {
            let settings = app.settings.clone();
            let due_dates = due_dates.clone();
            async move {
                on(store, day);
                let queued = schedule(store, &settings, &due_dates, day).await.unwrap();
                work_queue(store, &settings, "test", &QueuePolicy::default())
                    .await
                    .unwrap();
                queued
                    .into_iter()
                    .filter_map(|job| match job {
                        Job::Surcharges { day } => Some(day),
                        _ => None,
                    })
                    .collect::<Vec<NaiveDate>>()
            }
        };
        // The first pass ever: today only.
        assert_eq!(pass(d(2027, 2, 1)).await, [d(2027, 2, 1)]);
        assert_eq!(
            store.daily_job_last_day(SURCHARGE_JOB).await.unwrap(),
            Some(d(2027, 2, 1))
        );
        // The same day again: nothing more.
        assert_eq!(pass(d(2027, 2, 1)).await, []);

        // `serve` was down from 2 to 8 February: on the 9th each missed day is queued, in
        // order, and done.
        let caught_up = pass(d(2027, 2, 9)).await;
        let expected: Vec<NaiveDate> = d(2027, 2, 2)
            .iter_days()
            .take_while(|day| *day <= d(2027, 2, 9))
            .collect();
        assert_eq!(caught_up, expected);
        let jobs = surcharge_jobs(store).await;
        let keys: Vec<String> = jobs.iter().map(|(key, _)| key.clone()).collect();
        let mut in_order: Vec<String> = vec!["surcharges:2027-02-01".to_owned()];
        in_order.extend(expected.iter().map(|day| format!("surcharges:{day}")));
        assert_eq!(keys, in_order);
        assert!(jobs.iter().all(|(_, status)| status == "done"), "{jobs:?}");
        assert_eq!(
            store.daily_job_last_day(SURCHARGE_JOB).await.unwrap(),
            Some(d(2027, 2, 9))
        );
        // The plan was reviewed on the day it broke.
        let broken = store.payment_plan(plan).await.unwrap();
        assert_eq!(broken.status, PlanStatus::Broken);
        assert_eq!(broken.ended_on.as_deref(), Some("2027-02-05"));

        // A day done is not redone: its job again (a retry, another instance) does nothing.
        let audit = scalar(store, "SELECT COUNT(*) FROM audit_log").await;
        let notices = scalar(store, "SELECT COUNT(*) FROM notice_events").await;
        let done = execute(
            store,
            &app.settings,
            Job::Surcharges { day: d(2027, 2, 3) },
            "test",
        )
        .await
        .unwrap();
        assert!(done.contains("already done"), "{done}");
        assert_eq!(scalar(store, "SELECT COUNT(*) FROM audit_log").await, audit);
        assert_eq!(
            scalar(store, "SELECT COUNT(*) FROM notice_events").await,
            notices
        );
        // The watermark never moves back.
        assert!(
            !store
                .record_daily_job_day(SURCHARGE_JOB, d(2027, 2, 4))
                .await
                .unwrap()
        );
        assert_eq!(
            store.daily_job_last_day(SURCHARGE_JOB).await.unwrap(),
            Some(d(2027, 2, 9))
        );
        // A job of a later day whose earlier days were missed does them first, in order.
        on(store, d(2027, 2, 12));
        let later = execute(
            store,
            &app.settings,
            Job::Surcharges {
                day: d(2027, 2, 12),
            },
            "test",
        )
        .await
        .unwrap();
        assert!(later.contains("3 day(s) to 2027-02-12"), "{later}");
    }
);
