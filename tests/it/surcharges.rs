//! Surcharges and waivers (issue 16, points 1 and 2): the daily computation, day-exact and
//! once per month of delay; the grace for a debit re-presented and paid; waivers with and
//! without a second member of staff; amnesties previewed, applied and reversed — each
//! leaving `ledger check` clean. On both databases.

use chrono::{Duration, NaiveDate};
use mandates::Amount;
use mandates::{ChannelPolicy, DebitAction};
use tahsil::clock::{Clock, start_of_algiers_day};
use tahsil::store::{
    Actor, Effect, NewAmnesty, NewDeclaration, NewDeclarationLine, NewPayment, NewReport,
    PaymentChannel, ReconcilePolicy, ReportItem, Store, StoreError, SurchargeKind, SurchargePolicy,
    WaiverStatus,
};

use crate::both_backends;
use crate::harness::fixtures::{
    actor, d, declare, employer_with_worksites, one_cycle, planned, scalar,
};
use crate::harness::{TestDb, WebApp};
use crate::ledger::assert_balanced;

/// Moves the store's clock to noon in Algiers on `day`.
pub fn on(store: &Store, day: NaiveDate) {
    store
        .clock()
        .set(start_of_algiers_day(day) + Duration::hours(12));
}

/// Confirms the shipped rule of `kind`.
pub async fn confirm(store: &Store, kind: SurchargeKind) {
    let rule = store
        .surcharge_rules()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == kind)
        .unwrap();
    assert!(!rule.confirmed(), "the shipped rules are provisional");
    store
        .confirm_surcharge_rule(&Actor::new("fund"), rule.id)
        .await
        .unwrap();
}

/// How many surcharges the job records on `day`.
pub async fn accrue_on(store: &Store, day: NaiveDate) -> u64 {
    on(store, day);
    store
        .accrue_surcharges(&actor(), day)
        .await
        .unwrap()
        .surcharges
}

async fn pay_on(store: &Store, employer: i64, day: NaiveDate, centimes: i64, reference: &str) {
    on(store, day);
    store
        .record_payment(
            &actor(),
            NewPayment {
                employer_id: employer,
                amount: Amount::from_centimes(centimes),
                received_on: day,
                channel: PaymentChannel::Transfer,
                reference: reference.to_owned(),
                note: None,
            },
        )
        .await
        .unwrap();
}

/// The employer's surcharges as (month, amount in centimes, accrued on, days late).
pub async fn surcharges_of(store: &Store, employer: i64) -> Vec<(i64, i64, String, i64)> {
    store
        .employer_surcharges(employer)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.month, s.amount.centimes(), s.accrued_on, s.days_late))
        .collect()
}

/// An employer declared for 2026-10 (due from 1 November 2026) on 1 December 2026, with
/// one line of 100,000.00 DA of wages: 12,210.00 DA of paid-leave contributions.
async fn late_employer(store: &Store, affiliation: &str) -> i64 {
    on(store, d(2026, 12, 1));
    let employer = employer_with_worksites(store, affiliation, &["W1"]).await;
    declare(store, employer, "2026-10", &[("W1", "100000.00")]).await;
    employer
}

const PRINCIPAL: i64 = 1_221_000;

both_backends!(
    a_late_payment_accrues_the_rules_surcharge_day_exact_and_once,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let a = late_employer(&store, "16000001").await;
        // Nothing is computed by a provisional rule.
        assert_eq!(accrue_on(&store, d(2027, 3, 1)).await, 0);
        confirm(&store, SurchargeKind::LatePayment).await;
        let policy = store.surcharge_policy().await.unwrap();
        assert_eq!((policy.payment_days, policy.grace_days), (60, 15));
        // Deadline 31 December 2026; grace to 15 January 2027.
        assert_eq!(accrue_on(&store, d(2027, 1, 15)).await, 0);
        assert_eq!(accrue_on(&store, d(2027, 1, 16)).await, 1);
        assert_eq!(accrue_on(&store, d(2027, 1, 16)).await, 0, "once a day");
        assert_eq!(accrue_on(&store, d(2027, 1, 31)).await, 0);
        assert_eq!(accrue_on(&store, d(2027, 2, 1)).await, 1, "month 2 starts");
        assert_eq!(accrue_on(&store, d(2027, 2, 1)).await, 0);
        assert_eq!(accrue_on(&store, d(2027, 3, 1)).await, 1, "month 3 starts");
        assert_eq!(
            surcharges_of(&store, a).await,
            [
                (1, 61_050, "2027-01-16".to_owned(), 16),
                (2, 12_210, "2027-02-01".to_owned(), 32),
                (3, 12_210, "2027-03-01".to_owned(), 60),
            ]
        );
        let balance = store.employer_balance(a, None).await.unwrap();
        assert_eq!(balance.total.centimes(), PRINCIPAL + 85_470);
        assert_eq!(balance.paid_leave.centimes(), PRINCIPAL + 85_470);
        assert_balanced(&store).await;

        // Paid on 10 March: no fourth month (it would start on 1 April).
        pay_on(&store, a, d(2027, 3, 10), PRINCIPAL, "VIR-1").await;
        assert_eq!(accrue_on(&store, d(2027, 4, 1)).await, 0);
        assert_eq!(accrue_on(&store, d(2027, 6, 1)).await, 0);
        assert_eq!(
            store
                .employer_balance(a, None)
                .await
                .unwrap()
                .total
                .centimes(),
            85_470
        );
        assert_balanced(&store).await;

        // Each entry explains itself on the statement.
        let statement = store.statement(a, None, d(2027, 6, 1)).await.unwrap();
        let explained: Vec<String> = statement
            .lines
            .iter()
            .filter(|l| l.entry.surcharge.is_some())
            .map(|l| tahsil::locale::statement::entry_label(&l.entry, mandates::Lang::Fr))
            .collect();
        assert_eq!(explained.len(), 3);
        assert!(
            explained[1].starts_with(
                "Majoration — Retard de paiement, mois 2 : 1,00\u{a0}% de 12\u{a0}210,00\u{a0}DA"
            ),
            "{}",
            explained[1]
        );
        assert!(
            explained[1].contains("31/12/2026, 32 jours de retard"),
            "{}",
            explained[1]
        );
        let arabic = tahsil::locale::statement::entry_label(
            &statement
                .lines
                .iter()
                .find(|l| l.entry.surcharge.is_some())
                .unwrap()
                .entry,
            mandates::Lang::Ar,
        );
        assert!(arabic.contains("تأخر في الدفع"), "{arabic}");
        let csv = tahsil::locale::statement::statement_csv(&statement);
        assert!(csv.contains("Retard de paiement, mois 3"), "{csv}");

        // A second pass over the same days writes nothing: one entry per surcharge.
        for day in [d(2027, 1, 16), d(2027, 2, 1), d(2027, 3, 1)] {
            assert_eq!(
                store
                    .accrue_surcharges(&actor(), day)
                    .await
                    .unwrap()
                    .surcharges,
                0
            );
        }
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'surcharge'"
            )
            .await,
            3
        );
        // One notice per surcharge, through the outbox (kept once by its dedupe key).
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(DISTINCT dedupe_key) FROM notice_events WHERE kind = 'surcharge_notice'"
            )
            .await,
            3
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM notice_events WHERE kind = 'surcharge_notice'"
            )
            .await,
            3
        );
    }
);

both_backends!(
    a_declaration_submitted_late_costs_the_rule_once,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        confirm(&store, SurchargeKind::LateDeclaration).await;
        // Declared on time (by 1 December, 30 days after it fell due): nothing.
        let on_time = late_employer(&store, "16000001").await;
        // Declared on 5 December: 15 % of its contributions, once.
        on(&store, d(2026, 12, 5));
        let late = employer_with_worksites(&store, "16000002", &["S1"]).await;
        declare(&store, late, "2026-10", &[("S1", "100000.00")]).await;
        assert_eq!(accrue_on(&store, d(2026, 12, 6)).await, 1);
        assert_eq!(accrue_on(&store, d(2026, 12, 7)).await, 0);
        assert!(surcharges_of(&store, on_time).await.is_empty());
        assert_eq!(
            surcharges_of(&store, late).await,
            [(1, 183_150, "2026-12-05".to_owned(), 4)]
        );
        assert_balanced(&store).await;
    }
);

/// A report settling `collection` (by its EndToEndId).
fn settling(sha: &str, c: &tahsil::store::CollectionRecord) -> NewReport {
    NewReport {
        institution: None,
        file_name: format!("{sha}.xml"),
        sha256: sha.repeat(64 / sha.len()),
        format: "test".to_owned(),
        message_id: None,
        original_message_id: None,
        items: vec![ReportItem {
            end_to_end_id: Some(c.end_to_end_id.clone()),
            mandate_reference: None,
            amount: Some(c.amount),
            status: Some("ACSC".to_owned()),
            reason_code: None,
            reason_category: None,
            retry_class: None,
            effect: Effect::Settle,
            facts: Default::default(),
        }],
    }
}

both_backends!(
    a_debit_re_presented_and_paid_within_the_grace_is_not_surcharged,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        confirm(store, SurchargeKind::LatePayment).await;
        // Due from 1 November, payable within 45 days: by 16 December; grace 10 days.
        let policy = SurchargePolicy {
            payment_days: 45,
            declaration_days: 60,
            grace_days: 10,
            four_eyes: Amount::from_centimes(10_000_000),
        };
        store
            .set_surcharge_policy(&Actor::new("fund"), policy)
            .await
            .unwrap();
        // A is settled on 15 December; B is rejected and re-presented on 22 December.
        let cycle = one_cycle(&app).await;
        let retry_date = d(2026, 12, 22);
        tahsil::cycle::run::run_date(store, &app.settings, &actor(), retry_date, "test")
            .await
            .unwrap();
        let retry = store.collections_on(retry_date).await.unwrap();
        assert_eq!(retry[0].id, cycle.b_retry);
        store
            .apply_report(
                &actor(),
                &settling("e", &retry[0]),
                ReconcilePolicy {
                    today: retry_date,
                    retry_date: d(2027, 1, 5),
                    max_attempts: 3,
                },
            )
            .await
            .unwrap();
        // Paid on 22 December, within the grace (to 26 December): nothing, ever.
        assert_eq!(accrue_on(store, d(2026, 12, 27)).await, 0);
        assert_eq!(accrue_on(store, d(2027, 3, 1)).await, 0);
        assert_balanced(store).await;

        // With a grace of 3 days (to 19 December) the same payment is late: month 1 only
        // (month 2 starts on 17 January, after it was paid); A paid on time.
        store
            .set_surcharge_policy(
                &Actor::new("fund"),
                SurchargePolicy {
                    grace_days: 3,
                    ..policy
                },
            )
            .await
            .unwrap();
        assert_eq!(accrue_on(store, d(2027, 3, 2)).await, 1);
        assert!(surcharges_of(store, cycle.a).await.is_empty());
        let b = surcharges_of(store, cycle.b).await;
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].0, b[0].2.as_str(), b[0].3), (1, "2026-12-20", 4));
        assert_balanced(store).await;
    }
);

/// An employer with three months of late-payment surcharges (85,470.00 DA) by 1 March 2027.
pub async fn surcharged(store: &Store, affiliation: &str) -> i64 {
    let employer = late_employer(store, affiliation).await;
    for day in [d(2027, 1, 16), d(2027, 2, 1), d(2027, 3, 1)] {
        accrue_on(store, day).await;
    }
    employer
}

both_backends!(
    waivers_with_and_without_a_second_approval_keep_the_ledger_balanced,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        confirm(&store, SurchargeKind::LatePayment).await;
        let a = surcharged(&store, "16000001").await;
        assert_eq!(surcharges_of(&store, a).await.len(), 3);
        let fund = Actor::new("fund");
        let mut policy = store.surcharge_policy().await.unwrap();
        policy.four_eyes = Amount::from_centimes(50_000);
        store.set_surcharge_policy(&fund, policy).await.unwrap();
        let ids: Vec<i64> = store
            .employer_surcharges(a)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        let (amina, karim) = (Actor::new("cli:amina"), Actor::new("cli:karim"));

        // Below the threshold: applied at once.
        let small = store
            .request_waiver(&amina, a, &[ids[1]], "error of the fund's calendar")
            .await
            .unwrap();
        assert_eq!(small.status, WaiverStatus::Applied);
        assert_eq!(
            store
                .employer_balance(a, None)
                .await
                .unwrap()
                .total
                .centimes(),
            PRINCIPAL + 85_470 - 12_210
        );
        assert_balanced(&store).await;
        // The same surcharge cannot be waived twice; a reason is required.
        assert!(matches!(
            store.request_waiver(&amina, a, &[ids[1]], "again").await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            store.request_waiver(&amina, a, &[], "  ").await,
            Err(StoreError::Invalid(_))
        ));

        // Above it (the two left, 73,260 centimes): waits for a second member of staff.
        let big = store
            .request_waiver(&amina, a, &[], "hardship, file 2027/12")
            .await
            .unwrap();
        assert_eq!(big.status, WaiverStatus::Pending);
        assert_eq!(big.amount_centimes, 73_260);
        assert_eq!(
            store
                .employer_balance(a, None)
                .await
                .unwrap()
                .total
                .centimes(),
            PRINCIPAL + 85_470 - 12_210,
            "nothing written before approval"
        );
        assert_balanced(&store).await;
        let own = store.approve_waiver(&amina, big.id).await;
        assert!(matches!(own, Err(StoreError::Invalid(_))), "{own:?}");
        let approved = store.approve_waiver(&karim, big.id).await.unwrap();
        assert_eq!(approved.status, WaiverStatus::Applied);
        assert_eq!(approved.approved_by.as_deref(), Some("cli:karim"));
        assert_eq!(
            store
                .employer_balance(a, None)
                .await
                .unwrap()
                .total
                .centimes(),
            PRINCIPAL
        );
        assert!(matches!(
            store.approve_waiver(&karim, big.id).await,
            Err(StoreError::Conflict(_))
        ));
        assert_balanced(&store).await;
        // Audited, with who asked and who approved.
        let trail = store.audit_trail("surcharge_waiver", big.id).await.unwrap();
        let actions: Vec<(&str, &str)> = trail
            .iter()
            .map(|e| (e.action.as_str(), e.actor.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                ("surcharge_waiver.requested", "cli:amina"),
                ("surcharge_waiver.approved", "cli:karim")
            ]
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'waiver'"
            )
            .await,
            3
        );

        // A refused waiver writes nothing and leaves the surcharge waivable.
        let b = surcharged(&store, "16000002").await;
        let pending = store
            .request_waiver(&amina, b, &[], "asked by the employer")
            .await
            .unwrap();
        assert_eq!(pending.status, WaiverStatus::Pending);
        let refused = store
            .refuse_waiver(&karim, pending.id, "no ground")
            .await
            .unwrap();
        assert_eq!(refused.status, WaiverStatus::Refused);
        assert_eq!(
            store
                .employer_balance(b, None)
                .await
                .unwrap()
                .total
                .centimes(),
            PRINCIPAL + 85_470
        );
        assert_eq!(
            store
                .request_waiver(&amina, b, &[], "asked again with proof")
                .await
                .unwrap()
                .status,
            WaiverStatus::Pending
        );
        assert_balanced(&store).await;
    }
);

both_backends!(
    an_amnesty_is_previewed_applied_and_reversed_with_the_ledger_balanced,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        confirm(&store, SurchargeKind::LatePayment).await;
        let a = late_employer(&store, "16000001").await;
        let b = late_employer(&store, "16000002").await;
        for day in [d(2027, 1, 16), d(2027, 2, 1), d(2027, 3, 1)] {
            assert_eq!(accrue_on(&store, day).await, 2);
        }
        // A pays its principal on 10 March; B does not.
        pay_on(&store, a, d(2027, 3, 10), PRINCIPAL, "VIR-1").await;
        let staff = Actor::new("cli:amina");
        let amnesty = NewAmnesty {
            name: "Amnesty of 2027".to_owned(),
            accrued_from: d(2027, 1, 1),
            accrued_to: d(2027, 12, 31),
            principal_paid_by: d(2027, 3, 31),
            plan_requested_by: Some(d(2027, 3, 31)),
        };
        let id = store
            .create_amnesty(
                &staff,
                NewAmnesty {
                    plan_requested_by: None,
                    ..amnesty
                },
            )
            .await
            .unwrap();
        let before = scalar(&store, "SELECT COUNT(*) FROM ledger_entries").await;
        let preview = store.preview_amnesty(id).await.unwrap();
        assert_eq!(
            (
                preview.employers,
                preview.surcharges,
                preview.amount.centimes()
            ),
            (1, 3, 85_470)
        );
        assert_eq!(preview.by_employer[0].1, "16000001");
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM ledger_entries").await,
            before,
            "a preview writes nothing"
        );

        // Four eyes: its creator cannot apply it; a second member of staff does.
        let own = store.apply_amnesty(&staff, id).await;
        assert!(matches!(own, Err(StoreError::Invalid(_))), "{own:?}");
        let applied = store
            .apply_amnesty(&Actor::new("cli:karim"), id)
            .await
            .unwrap();
        assert_eq!(applied, preview);
        assert_eq!(
            store.employer_balance(a, None).await.unwrap().total,
            Amount::ZERO
        );
        assert_eq!(
            store
                .employer_balance(b, None)
                .await
                .unwrap()
                .total
                .centimes(),
            PRINCIPAL + 85_470
        );
        assert_balanced(&store).await;
        assert!(matches!(
            store.apply_amnesty(&staff, id).await,
            Err(StoreError::Conflict(_))
        ));

        assert_eq!(
            store
                .reverse_amnesty(&staff, id, "annulled by the board")
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .employer_balance(a, None)
                .await
                .unwrap()
                .total
                .centimes(),
            85_470
        );
        assert_balanced(&store).await;
        // Append-only: three waivers and their three reversals.
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'waiver'"
            )
            .await,
            6
        );
        assert!(matches!(
            store.reverse_amnesty(&staff, id, "again").await,
            Err(StoreError::Conflict(_))
        ));
        // The surcharges can be waived again.
        let waiver = store
            .request_waiver(&Actor::new("cli:karim"), a, &[], "paid, as agreed")
            .await
            .unwrap();
        assert_eq!(waiver.status, WaiverStatus::Applied);
        assert_balanced(&store).await;
    }
);

both_backends!(
    a_declaration_filed_in_time_and_corrected_later_is_not_late,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        confirm(&store, SurchargeKind::LateDeclaration).await;
        // Filed on 1 December (in time), corrected on 10 December (after the deadline).
        let a = late_employer(&store, "16000001").await;
        on(&store, d(2026, 12, 10));
        let (declaration, replaced) = store
            .submit_or_correct_declaration(
                &actor(),
                a,
                NewDeclaration {
                    period: "2026-10".parse().unwrap(),
                    lines: vec![NewDeclarationLine {
                        worksite_code: "W1".to_owned(),
                        headcount: 5,
                        wage_bill: Amount::parse("120000.00").unwrap(),
                        bad_weather_base: Amount::ZERO,
                    }],
                },
            )
            .await
            .unwrap();
        assert!(replaced);
        assert!(
            declaration
                .submitted_at
                .as_deref()
                .is_some_and(|t| t.starts_with("2026-12-10")),
            "the correction is recorded: {:?}",
            declaration.submitted_at
        );
        assert_eq!(accrue_on(&store, d(2026, 12, 11)).await, 0);
        assert!(surcharges_of(&store, a).await.is_empty());
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM declarations WHERE first_submitted_at LIKE '2026-12-01%'"
            )
            .await,
            1,
            "the first submission is kept"
        );
        assert_balanced(&store).await;
    }
);

both_backends!(
    the_lines_of_a_debit_the_fund_holds_are_not_surcharged_while_held,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        // Two employers declared for 2026-10, planned for 15 December; the fund holds the
        // first one's debit on 1 December (a dispute, a "hold" answer).
        assert_eq!(planned(&store, 2).await, 2);
        let c = store.collections_on(d(2026, 12, 15)).await.unwrap();
        let (held, other) = (&c[0], &c[1]);
        store
            .act_on_debit(
                &actor(),
                held.id,
                DebitAction::Hold,
                "dispute open",
                &ChannelPolicy::default(),
            )
            .await
            .unwrap();
        confirm(&store, SurchargeKind::LatePayment).await;
        assert!(accrue_on(&store, d(2027, 3, 1)).await > 0);
        assert!(
            surcharges_of(&store, held.employer_id).await.is_empty(),
            "held by the fund: no surcharge"
        );
        // The same lines unpaid without a hold are surcharged, three months of them.
        let others = surcharges_of(&store, other.employer_id).await;
        assert!(!others.is_empty());
        assert!(others.iter().any(|s| s.0 == 3), "{others:?}");
        assert_balanced(&store).await;
    }
);

both_backends!(
    a_line_paid_by_a_credit_is_paid_on_the_day_the_credit_is_used,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 11, 20))).await;
        confirm(&store, SurchargeKind::LatePayment).await;
        // Paid on 20 November before anything was declared: a credit.
        let a = employer_with_worksites(&store, "16000001", &["W1"]).await;
        pay_on(&store, a, d(2026, 11, 20), PRINCIPAL, "VIR-1").await;
        on(&store, d(2026, 12, 1));
        declare(&store, a, "2026-10", &[("W1", "100000.00")]).await;
        // The credit is not used until a planning pass on 1 March 2027: month 1 accrues.
        assert_eq!(accrue_on(&store, d(2027, 1, 16)).await, 1);
        on(&store, d(2027, 3, 1));
        store
            .plan_collections(&actor(), d(2027, 3, 20), d(2027, 3, 1))
            .await
            .unwrap();
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM payment_allocations WHERE allocated_on = '2027-03-01'"
            )
            .await,
            1
        );
        // Paid on 1 March (not 20 November): months 2 and 3 accrue, no month 4.
        assert_eq!(accrue_on(&store, d(2027, 3, 1)).await, 2);
        assert_eq!(accrue_on(&store, d(2027, 4, 1)).await, 0);
        let months: Vec<i64> = surcharges_of(&store, a).await.iter().map(|s| s.0).collect();
        assert_eq!(months, [1, 2, 3]);
        assert_balanced(&store).await;
    }
);

both_backends!(
    waivers_of_the_last_30_days_count_together_against_the_four_eyes_limit,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        confirm(&store, SurchargeKind::LatePayment).await;
        let a = surcharged(&store, "16000001").await;
        let fund = Actor::new("fund");
        let mut policy = store.surcharge_policy().await.unwrap();
        policy.four_eyes = Amount::from_centimes(20_000);
        store.set_surcharge_policy(&fund, policy).await.unwrap();
        let ids: Vec<i64> = store
            .employer_surcharges(a)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        let (amina, karim) = (Actor::new("cli:amina"), Actor::new("cli:karim"));
        // 122.10 DA, below 200.00 DA: applied.
        let first = store
            .request_waiver(&amina, a, &[ids[1]], "calendar error")
            .await
            .unwrap();
        assert_eq!(first.status, WaiverStatus::Applied);
        // Another 122.10 DA the same month: 244.20 DA together, above: a second person.
        let second = store
            .request_waiver(&amina, a, &[ids[2]], "calendar error, again")
            .await
            .unwrap();
        assert_eq!(second.status, WaiverStatus::Pending);
        store
            .refuse_waiver(&karim, second.id, "ask once")
            .await
            .unwrap();
        // 31 days later the first no longer counts.
        on(&store, d(2027, 4, 2));
        let later = store
            .request_waiver(&amina, a, &[ids[2]], "calendar error, proven")
            .await
            .unwrap();
        assert_eq!(later.status, WaiverStatus::Applied);
        assert_balanced(&store).await;
    }
);

/// How many surcharges are both waived (a live waiver) and paid (allocated to a payment):
/// always none.
async fn waived_and_paid(store: &Store) -> i64 {
    scalar(
        store,
        "SELECT COUNT(*) FROM surcharges s \
         WHERE EXISTS (SELECT 1 FROM surcharge_waiver_items i WHERE i.surcharge_id = s.id AND i.live = 1) \
         AND EXISTS (SELECT 1 FROM surcharge_allocations a WHERE a.surcharge_id = s.id)",
    )
    .await
}

both_backends!(
    a_payment_and_an_amnesty_racing_never_both_take_one_surcharge,
    |db: TestDb| async move {
        // Each round: employers whose principal is paid and whose three surcharges are
        // owed; an amnesty for them applied (on its own pool) at the same instant as a
        // payment of exactly those surcharges from each of them. Every surcharge ends
        // either waived (the payment left as a credit) or paid (the amnesty passing the
        // employer by), never both. On PostgreSQL the payments take turns among
        // themselves and the amnesty runs beside them, starting a little later each round
        // to meet them at different points; on SQLite writers take turns.
        const ROUNDS: u32 = 6;
        const PER_ROUND: usize = 8;
        const SURCHARGES: i64 = 85_470;
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let other = db.store_with_clock(store.clock().clone()).await;
        confirm(&store, SurchargeKind::LatePayment).await;
        let mut rounds = Vec::new();
        for round in 0..ROUNDS {
            let mut employers = Vec::new();
            for n in 0..PER_ROUND {
                let affiliation = format!("1601{round:02}{n:02}");
                employers.push(late_employer(&store, &affiliation).await);
            }
            rounds.push(employers);
        }
        for day in [d(2027, 1, 16), d(2027, 2, 1), d(2027, 3, 1)] {
            assert_eq!(
                accrue_on(&store, day).await,
                u64::from(ROUNDS) * PER_ROUND as u64
            );
        }
        // Round r's employers pay their principal on 2 + r March: the amnesty of round r
        // (principal paid by that day) concerns them alone, the earlier rounds' surcharges
        // being all waived or paid by then.
        for (round, employers) in (0..ROUNDS).zip(&rounds) {
            for (n, employer) in employers.iter().enumerate() {
                let day = d(2027, 3, 2 + round);
                pay_on(&store, *employer, day, PRINCIPAL, &format!("P-{round}-{n}")).await;
            }
        }
        on(&store, d(2027, 3, 20));
        let mut split = 0;
        for (round, employers) in (0..ROUNDS).zip(&rounds) {
            let id = store
                .create_amnesty(
                    &Actor::new("cli:amina"),
                    NewAmnesty {
                        name: format!("Amnesty round {round}"),
                        accrued_from: d(2027, 1, 1),
                        accrued_to: d(2027, 12, 31),
                        principal_paid_by: d(2027, 3, 2 + round),
                        plan_requested_by: None,
                    },
                )
                .await
                .unwrap();
            assert_eq!(
                store.preview_amnesty(id).await.unwrap().employers,
                PER_ROUND as u64
            );
            let start = std::sync::Arc::new(tokio::sync::Barrier::new(PER_ROUND + 1));
            let mut payments = Vec::new();
            for (n, employer) in employers.iter().copied().enumerate() {
                let (store, start) = (store.clone(), start.clone());
                payments.push(tokio::spawn(async move {
                    start.wait().await;
                    store
                        .record_payment(
                            &actor(),
                            NewPayment {
                                employer_id: employer,
                                amount: Amount::from_centimes(SURCHARGES),
                                received_on: d(2027, 3, 20),
                                channel: PaymentChannel::Transfer,
                                reference: format!("S-{round}-{n}"),
                                note: None,
                            },
                        )
                        .await
                }));
            }
            let amnesty = {
                let (other, start) = (other.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    tokio::time::sleep(std::time::Duration::from_millis(u64::from(round) * 3))
                        .await;
                    other.apply_amnesty(&Actor::new("cli:karim"), id).await
                })
            };
            for payment in payments {
                payment.await.unwrap().unwrap();
            }
            let applied = amnesty.await.unwrap().unwrap();

            assert_eq!(waived_and_paid(&store).await, 0, "round {round}");
            let mut waived = Vec::new();
            for employer in employers {
                let of_employer = format!(
                    "FROM surcharges s WHERE s.employer_id = {employer} AND EXISTS (SELECT 1 FROM"
                );
                let by_waiver = scalar(
                    &store,
                    &format!("SELECT COUNT(*) {of_employer} surcharge_waiver_items i WHERE i.surcharge_id = s.id AND i.live = 1)"),
                )
                .await;
                let by_payment = scalar(
                    &store,
                    &format!("SELECT COUNT(*) {of_employer} surcharge_allocations a WHERE a.surcharge_id = s.id)"),
                )
                .await;
                // All three one way: the payment and the amnesty each take an employer whole.
                let balance = store
                    .employer_balance(*employer, None)
                    .await
                    .unwrap()
                    .total
                    .centimes();
                match (by_waiver, by_payment) {
                    (3, 0) => {
                        assert_eq!(balance, -SURCHARGES, "waived: the payment is a credit");
                        waived.push(*employer);
                    }
                    (0, 3) => assert_eq!(balance, 0, "paid: nothing owed, no credit"),
                    mixed => panic!("round {round}, employer {employer}: {mixed:?}"),
                }
            }
            let by_employer: Vec<i64> = applied.by_employer.iter().map(|e| e.0).collect();
            assert_eq!(
                by_employer, waived,
                "round {round}: the amnesty says what it waived"
            );
            assert_eq!(applied.amount.centimes(), SURCHARGES * waived.len() as i64);
            if !waived.is_empty() && waived.len() < PER_ROUND {
                split += 1;
            }
            assert_balanced(&store).await;
        }
        // How often the two really met (informative: timing decides).
        eprintln!(
            "{}: {split} of {ROUNDS} rounds split between the amnesty and the payments",
            db.backend
        );
    }
);
