//! Payment plans (issue 16 point 3), on both databases: a plan's instalments are planned,
//! announced and debited on their dates by the normal cycle and nothing of it before; its
//! lines accrue no surcharge while it is honoured and the certificate counts it as paid; a
//! missed instalment breaks it after the grace, the surcharges resume and its lines are
//! ordinary arrears again; the ledger stays balanced. The amnesty condition "payment plan
//! requested by D". The portal's request (who may declare or sign, the employer's own
//! page only) and the console's setting of the plan.

use chrono::NaiveDate;
use mandates::DebitAction;
use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::store::{
    Actor, Effect, Issuance, NewAmnesty, PlanStatus, ReconcilePolicy, Role, SetPlan, Store,
    StoreError, SurchargeKind,
};

use crate::both_backends;
use crate::harness::fixtures::{
    actor, add_user, d, declare, employer_with_worksites, scalar, signed_mandate,
};
use crate::harness::{TestDb, WebApp};
use crate::ledger::{assert_balanced, report};
use crate::surcharges::{accrue_on, confirm, on, surcharged, surcharges_of};

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

/// The paid-leave contributions (12.21 %) of the three lines of [`in_arrears`].
const LINES: [i64; 3] = [1_221_000, 610_500, 244_200];

/// Plans `date` with today's notice, runs it, and answers its one debit with `effect`
/// (no retry: one attempt only). Returns the debit's amount in centimes.
async fn debit_on(app: &WebApp, date: NaiveDate, noticed: NaiveDate, effect: Effect) -> i64 {
    plan_one(&app.store, date, noticed).await;
    run_and_answer(app, date, effect).await
}

/// Plans `date` with the notice recorded on `noticed`: one debit.
async fn plan_one(store: &Store, date: NaiveDate, noticed: NaiveDate) {
    on(store, noticed);
    let plan = store
        .plan_collections(&actor(), date, noticed)
        .await
        .unwrap();
    assert_eq!(plan.planned, 1, "one debit planned on {date}");
}

/// Runs the planned `date` and answers its one debit with `effect` (see [`debit_on`]).
async fn run_and_answer(app: &WebApp, date: NaiveDate, effect: Effect) -> i64 {
    let store = &app.store;
    on(store, date);
    tahsil::cycle::run::run_date(store, &app.settings, &actor(), date, "test")
        .await
        .unwrap();
    let debits = store.collections_on(date).await.unwrap();
    assert_eq!(debits.len(), 1);
    let sha = date.format("%d%m").to_string();
    store
        .apply_report(
            &actor(),
            &report(&sha, &[(&debits[0], effect)]),
            ReconcilePolicy {
                today: date,
                retry_date: d(2027, 12, 31),
                max_attempts: 1,
            },
        )
        .await
        .unwrap();
    debits[0].amount.centimes()
}

async fn status_of(store: &Store, plan: i64) -> PlanStatus {
    store.payment_plan(plan).await.unwrap().status
}

/// Requests a plan for `employer` today and sets it on all its arrears with `dates`.
async fn plan_for(store: &Store, employer: i64, dates: &[NaiveDate]) -> i64 {
    let staff = Actor::new("user:staff");
    let plan = store
        .request_payment_plan(&staff, employer, None)
        .await
        .unwrap();
    let plan = store
        .set_payment_plan(
            &staff,
            plan.id,
            SetPlan {
                lines: Vec::new(),
                due_dates: dates.to_vec(),
            },
        )
        .await
        .unwrap();
    assert_eq!(plan.status, PlanStatus::Active);
    plan.id
}

both_backends!(
    an_instalment_planned_for_the_next_date_after_the_grace_does_not_break_the_plan,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        confirm(store, SurchargeKind::LatePayment).await;
        let a = in_arrears(store, "16000001").await;
        on(store, d(2026, 12, 10));
        // One instalment on 20 January; the next collection date after it is 10 February,
        // past the grace (the 15 days end on 4 February).
        let plan = plan_for(store, a, &[d(2027, 1, 20)]).await;
        signed_mandate(store, a, "004 00174 4010010504 86", None).await;
        plan_one(store, d(2027, 2, 10), d(2027, 1, 27)).await;
        // Planned, not yet in a file, held by staff the day the grace ends: on its way,
        // not missed.
        on(store, d(2027, 2, 5));
        let debit = store.collections_on(d(2027, 2, 10)).await.unwrap()[0].id;
        let policy = &app.settings.policy;
        store
            .act_on_debit(&actor(), debit, DebitAction::Hold, "vérification", policy)
            .await
            .unwrap();
        accrue_on(store, d(2027, 2, 5)).await;
        assert_eq!(status_of(store, plan).await, PlanStatus::Active);
        on(store, d(2027, 2, 6));
        store
            .act_on_debit(&actor(), debit, DebitAction::Release, "vérifié", policy)
            .await
            .unwrap();
        accrue_on(store, d(2027, 2, 9)).await;
        assert_eq!(status_of(store, plan).await, PlanStatus::Active);
        assert!(surcharges_of(store, a).await.is_empty());
        let amount = run_and_answer(&app, d(2027, 2, 10), Effect::Settle).await;
        assert_eq!(amount, LINES.iter().sum::<i64>());
        accrue_on(store, d(2027, 2, 11)).await;
        assert_eq!(status_of(store, plan).await, PlanStatus::Completed);
        assert!(surcharges_of(store, a).await.is_empty());
        // Reviewed again: nothing more, one audit entry for the plan's end.
        accrue_on(store, d(2027, 2, 12)).await;
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM audit_log WHERE action IN ('payment_plan.broken', 'payment_plan.completed')"
            )
            .await,
            1
        );
        assert_balanced(store).await;
    }
);

both_backends!(
    a_month_paused_by_a_broken_plan_is_not_charged_once_a_later_plan_is_set,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        confirm(&store, SurchargeKind::LatePayment).await;
        // Three lines whose months of delay start on 16 January, 1 February, 1 March...
        let a = in_arrears(&store, "16000001").await;
        // Plan A from 10 December, never paid (no mandate): broken on 5 March.
        on(&store, d(2026, 12, 10));
        let first = plan_for(&store, a, &[d(2027, 2, 17)]).await;
        for day in [d(2027, 1, 16), d(2027, 2, 1), d(2027, 3, 1)] {
            accrue_on(&store, day).await;
        }
        assert!(surcharges_of(&store, a).await.is_empty());
        accrue_on(&store, d(2027, 3, 5)).await;
        assert_eq!(status_of(&store, first).await, PlanStatus::Broken);
        accrue_on(&store, d(2027, 4, 1)).await;
        let months = |s: Vec<(i64, i64, String, i64)>| -> Vec<(i64, String)> {
            s.into_iter().map(|(m, _, on, _)| (m, on)).collect()
        };
        // Month 1 on the day A broke, month 4 on its day; months 2 and 3 paused by A.
        let charged = months(surcharges_of(&store, a).await);
        let mut expected = Vec::new();
        for _ in LINES {
            expected.push((1, "2027-03-05".to_owned()));
            expected.push((4, "2027-04-01".to_owned()));
        }
        let sorted = |mut v: Vec<(i64, String)>| {
            v.sort();
            v
        };
        assert_eq!(sorted(charged), sorted(expected.clone()));
        // Plan B from 10 April on the same lines: months 2 and 3 stay paused (A's), and
        // month 5 is paused by B.
        on(&store, d(2027, 4, 10));
        let second = plan_for(&store, a, &[d(2027, 6, 16)]).await;
        accrue_on(&store, d(2027, 4, 11)).await;
        accrue_on(&store, d(2027, 5, 1)).await;
        assert_eq!(status_of(&store, second).await, PlanStatus::Active);
        assert_eq!(
            sorted(months(surcharges_of(&store, a).await)),
            sorted(expected)
        );
        assert_balanced(&store).await;
    }
);

both_backends!(
    instalments_are_debited_on_their_dates_and_a_missed_one_breaks_the_plan,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        confirm(store, SurchargeKind::LatePayment).await;
        let a = in_arrears(store, "16000001").await;
        // A control: the same arrears, no plan.
        let b = in_arrears(store, "16000002").await;

        on(store, d(2026, 12, 10));
        let staff = Actor::new("user:staff");
        let plan = store
            .request_payment_plan(&Actor::new("user:1"), a, Some("Trésorerie tendue"))
            .await
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Requested);
        // One open plan at a time.
        assert!(matches!(
            store.request_payment_plan(&staff, a, None).await,
            Err(StoreError::Conflict(_))
        ));
        // Days to come, in order; no more instalments than lines.
        let set = |dates: &[NaiveDate]| SetPlan {
            lines: Vec::new(),
            due_dates: dates.to_vec(),
        };
        for bad in [
            vec![d(2026, 12, 10), d(2027, 2, 10)],
            vec![d(2027, 2, 10), d(2027, 1, 13)],
            vec![
                d(2027, 1, 13),
                d(2027, 2, 10),
                d(2027, 3, 10),
                d(2027, 4, 14),
            ],
        ] {
            let refused = store.set_payment_plan(&staff, plan.id, set(&bad)).await;
            assert!(
                matches!(refused, Err(StoreError::Invalid(_))),
                "{refused:?}"
            );
        }
        let dates = [d(2027, 1, 13), d(2027, 2, 10), d(2027, 3, 10)];
        let plan = store
            .set_payment_plan(&staff, plan.id, set(&dates))
            .await
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Active);
        assert_eq!(plan.total_centimes, Some(LINES.iter().sum()));
        let instalments = store.plan_instalments(plan.id).await.unwrap();
        let amounts: Vec<i64> = instalments.iter().map(|i| i.amount_centimes).collect();
        assert_eq!(
            amounts, LINES,
            "whole lines, oldest first, adding up to the arrears"
        );
        signed_mandate(store, a, "004 00174 4010010504 86", None).await;
        signed_mandate(store, b, "200 12", None).await;

        // Before its day, no instalment is collected: B's arrears are, A's are not.
        on(store, d(2026, 12, 10));
        let early = store
            .plan_collections(&actor(), d(2026, 12, 28), d(2026, 12, 10))
            .await
            .unwrap();
        assert_eq!(early.planned, 1);
        let early = store.collections_on(d(2026, 12, 28)).await.unwrap();
        assert_eq!(early[0].employer_id, b);

        // Instalment 1 on its day, announced like any debit, and paid.
        let amount = debit_on(&app, dates[0], d(2026, 12, 28), Effect::Settle).await;
        assert_eq!(amount, LINES[0]);
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM notice_events e JOIN collections c ON c.id = e.subject_id \
                 WHERE e.kind = 'advance_notice' AND c.collection_date = '2027-01-13'"
            )
            .await,
            1
        );
        // Honoured: no surcharge on A's lines, while B, without a plan (its 28 December
        // debit never went to the bank), pays months 1 and 2 on its three lines.
        accrue_on(store, d(2027, 1, 16)).await;
        accrue_on(store, d(2027, 2, 1)).await;
        assert!(surcharges_of(store, a).await.is_empty());
        assert_eq!(surcharges_of(store, b).await.len(), 6);
        assert_eq!(status_of(store, plan.id).await, PlanStatus::Active);
        // The certificate counts an honoured plan as paid.
        on(store, d(2027, 1, 20));
        let issued = store
            .issue_attestation(&staff, a, Default::default())
            .await
            .unwrap();
        assert!(matches!(issued, Issuance::Issued(_)), "{issued:?}");
        let statement = store.statement(a, None, d(2027, 1, 20)).await.unwrap();
        let labels: Vec<String> = statement
            .lines
            .iter()
            .map(|l| tahsil::locale::statement::entry_label(&l.entry, mandates::Lang::Fr))
            .collect();
        assert!(
            labels
                .iter()
                .any(|l| l.contains(&format!("échéance 1 de l'échéancier n° {}", plan.id))),
            "{labels:?}"
        );
        assert_balanced(store).await;

        // Instalment 2 is rejected, not paid within the grace (15 days): the plan breaks
        // on the 16th day, and the surcharges resume then — month 1 on that day for the two
        // lines still owed, month 3 on 1 March.
        let amount = debit_on(&app, dates[1], d(2027, 1, 27), Effect::Reject).await;
        assert_eq!(amount, LINES[1]);
        accrue_on(store, d(2027, 2, 25)).await;
        assert!(surcharges_of(store, a).await.is_empty());
        assert_eq!(status_of(store, plan.id).await, PlanStatus::Active);
        accrue_on(store, d(2027, 2, 26)).await;
        let broken = store.payment_plan(plan.id).await.unwrap();
        assert_eq!(broken.status, PlanStatus::Broken);
        assert_eq!(broken.ended_on.as_deref(), Some("2027-02-26"));
        assert_eq!(
            surcharges_of(store, a).await,
            [
                (1, 30_525, "2027-02-26".to_owned(), 57),
                (1, 12_210, "2027-02-26".to_owned(), 57),
            ]
        );
        // Month 2 began while the plan was honoured: never charged; month 3 is.
        accrue_on(store, d(2027, 3, 1)).await;
        assert_eq!(surcharges_of(store, a).await.len(), 4);
        // No certificate once broken.
        let refused = store
            .issue_attestation(&staff, a, Default::default())
            .await
            .unwrap();
        assert!(
            matches!(refused, Issuance::NotUpToDate { .. }),
            "{refused:?}"
        );
        // Ordinary arrears again: the next date takes both lines, instalment 3's included.
        on(store, d(2027, 3, 2));
        store
            .plan_collections(&actor(), d(2027, 3, 16), d(2027, 3, 2))
            .await
            .unwrap();
        let next = store.collections_on(d(2027, 3, 16)).await.unwrap();
        let of_a = next.iter().find(|c| c.employer_id == a).unwrap();
        assert_eq!(of_a.amount.centimes(), LINES[1] + LINES[2]);
        assert_balanced(store).await;
    }
);

both_backends!(
    staff_cancel_a_plan_and_an_amnesty_waives_who_asked_for_one_in_time,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        confirm(&store, SurchargeKind::LatePayment).await;
        // Three months of surcharges each by 1 March; A asks for a plan on 2 March.
        let a = surcharged(&store, "16000001").await;
        let b = surcharged(&store, "16000002").await;
        on(&store, d(2027, 3, 2));
        let plan = store
            .request_payment_plan(&Actor::new("user:1"), a, None)
            .await
            .unwrap();
        // B asks too, and withdraws.
        let withdrawn = store
            .request_payment_plan(&Actor::new("user:2"), b, None)
            .await
            .unwrap();
        store
            .end_payment_plan(&Actor::new("user:2"), withdrawn.id, "Payé autrement", true)
            .await
            .unwrap();
        let staff = Actor::new("user:staff");
        let amnesty = NewAmnesty {
            name: "Ordonnance".to_owned(),
            accrued_from: d(2027, 1, 1),
            accrued_to: d(2027, 12, 31),
            principal_paid_by: d(2027, 3, 31),
            plan_requested_by: Some(d(2027, 3, 15)),
        };
        let id = store.create_amnesty(&staff, amnesty).await.unwrap();
        // Only requested, not set: nothing to waive yet (nor for B's withdrawn request).
        let preview = store.preview_amnesty(id).await.unwrap();
        assert_eq!((preview.employers, preview.surcharges), (0, 0));
        // Set (in force) after D: A's surcharges on the plan's line qualify.
        let plan = store
            .set_payment_plan(
                &staff,
                plan.id,
                SetPlan {
                    lines: Vec::new(),
                    due_dates: vec![d(2027, 4, 14)],
                },
            )
            .await
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Active);
        let preview = store.preview_amnesty(id).await.unwrap();
        assert_eq!(
            (
                preview.employers,
                preview.surcharges,
                preview.amount.centimes()
            ),
            (1, 3, 85_470)
        );
        assert_eq!(preview.by_employer[0].0, a);
        assert_ne!(preview.by_employer[0].0, b);
        store
            .apply_amnesty(&Actor::new("user:other"), id)
            .await
            .unwrap();
        assert_balanced(&store).await;

        // Cancelled by staff (a reason needed): the plan covers nothing more, the lines
        // are surcharged again from the day it ended.
        assert_eq!(accrue_on(&store, d(2027, 4, 1)).await, 1, "B only");
        on(&store, d(2027, 4, 5));
        assert!(matches!(
            store.end_payment_plan(&staff, plan.id, " ", false).await,
            Err(StoreError::Invalid(_))
        ));
        let cancelled = store
            .end_payment_plan(&staff, plan.id, "Accord non respecté", false)
            .await
            .unwrap();
        assert_eq!(cancelled.status, PlanStatus::Cancelled);
        assert_eq!(accrue_on(&store, d(2027, 4, 30)).await, 0);
        assert_eq!(accrue_on(&store, d(2027, 5, 1)).await, 2, "A again, and B");
        assert_balanced(&store).await;
    }
);

both_backends!(
    the_portal_asks_for_a_plan_and_the_console_sets_it,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let a = in_arrears(&app.store, "16000001").await;
        in_arrears(&app.store, "16000002").await;
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        add_user(&app.store, "b@b.dz", Role::Employer, &["16000002"]).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        on(&app.store, d(2026, 12, 10));
        let user_a = app.signed_in("a@a.dz").await;
        let user_b = app.signed_in("b@b.dz").await;
        let finance = app.signed_in("finance@fund.dz").await;
        let page = format!("/portal/{a}/plans");
        // A colleague who may only view: sees the page, cannot ask.
        let viewer = add_user(&app.store, "v@a.dz", Role::Employer, &["16000001"]).await;
        sqlx::query("UPDATE user_employers SET capacity = 'view' WHERE user_id = $1")
            .bind(viewer)
            .execute(app.store.pool())
            .await
            .unwrap();
        let viewer = app.signed_in("v@a.dz").await;
        let (status, html) = viewer.get(&page).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("id=\"request-plan\""), "{html}");
        assert_eq!(
            viewer.post(&page, &[("note", "x")]).await.0,
            StatusCode::FORBIDDEN
        );

        // Another employer's page does not exist for B.
        assert_eq!(user_b.get(&page).await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            user_b.post(&page, &[("note", "x")]).await.0,
            StatusCode::NOT_FOUND
        );
        let (status, html) = user_a.get(&page).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("id=\"request-plan\""), "{html}");
        let (status, _, location) = user_a
            .post(&page, &[("note", "Trois mois, s'il vous plaît")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some(&*format!("{page}?done=requested"))
        );
        let (_, html) = user_a.get(&page).await;
        assert!(!html.contains("id=\"request-plan\""), "one open at a time");
        assert!(html.contains("Trois mois"), "{html}");
        // Asked again (an old form): refused in words, nothing written.
        let (status, html, _) = user_a.post(&page, &[("note", "encore")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("id=\"error\""), "{html}");
        let plans = app.store.employer_payment_plans(a).await.unwrap();
        assert_eq!(plans.len(), 1);
        let id = plans[0].id;

        // The console lists it; an employer user cannot see the console.
        assert_ne!(user_a.get("/console/plans").await.0, StatusCode::OK);
        let (status, html) = finance.get("/console/plans").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&format!("id=\"plan-{id}\"")), "{html}");
        let (status, html) = finance.get(&format!("/console/plans/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        let lines: Vec<String> = app
            .store
            .plan_arrears(a)
            .await
            .unwrap()
            .iter()
            .map(|l| l.line_id.to_string())
            .collect();
        assert_eq!(lines.len(), 3);
        for line in &lines {
            assert!(html.contains(&format!("id=\"line-{line}\"")), "{html}");
        }
        let set = format!("/console/plans/{id}/set");
        // Days in the past: refused in words, nothing set.
        let mut form: Vec<(&str, &str)> = lines.iter().map(|l| ("line", l.as_str())).collect();
        form.push(("dates", "2026-12-01 2027-02-10"));
        let (status, html, _) = finance.post(&set, &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("id=\"error\""), "{html}");
        // Two lines in two instalments.
        let form = [
            ("line", lines[0].as_str()),
            ("line", lines[2].as_str()),
            ("dates", "2027-01-13 2027-02-10"),
        ];
        let (status, _, location) = finance.post(&set, &form).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{location:?}");
        let plan = app.store.payment_plan(id).await.unwrap();
        assert_eq!(plan.status, PlanStatus::Active);
        assert_eq!(plan.total_centimes, Some(LINES[0] + LINES[2]));

        // The employer sees it with its instalments.
        let (_, html) = user_a.get(&page).await;
        assert!(html.contains(&format!("id=\"instalments-{id}\"")), "{html}");
        // In force, in the page's language (Arabic unless the user chose French).
        assert!(
            html.contains("جارٍ ومحترم") || html.contains("En cours, respecté"),
            "{html}"
        );
        assert_eq!(
            scalar(
                &app.store,
                "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'payment_plan.%'"
            )
            .await,
            2
        );
    }
);
