//! Provisional assessments of missing declarations, and payments that pay surcharges
//! (issue 16 points 1 and 2, as applied by migration 0035): a missing declaration is
//! assessed once, day-exact, by the confirmed rule; declaring the period reverses it; a
//! payment above the principal pays surcharges in the fund's stored order; `ledger check`
//! after each step. On both databases.

use mandates::{Amount, Lang};
use tahsil::store::{AllocationOrder, AssessmentStatus, Store, StoreError, SurchargeKind};

use crate::both_backends;
use crate::harness::TestDb;
use crate::harness::fixtures::{actor, d, declare, employer_with_worksites, scalar};
use crate::ledger::assert_balanced;
use crate::surcharges::{accrue_on, confirm, on};
use tahsil::clock::Clock;

/// 100,000.00 DA of wages: 12,210.00 DA of paid-leave contributions.
const OCTOBER: i64 = 1_221_000;
/// 80,000.00 DA of wages: 9,768.00 DA.
const NOVEMBER: i64 = 976_800;

async fn assess_on(store: &Store, day: chrono::NaiveDate) -> u64 {
    on(store, day);
    store
        .assess_missing_declarations(&actor(), day)
        .await
        .unwrap()
        .assessments
}

async fn total(store: &Store, employer: i64) -> i64 {
    store
        .employer_balance(employer, None)
        .await
        .unwrap()
        .total
        .centimes()
}

both_backends!(
    a_missing_declaration_is_assessed_once_then_replaced_by_the_declaration,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        on(&store, d(2026, 12, 1));
        let a = employer_with_worksites(&store, "16000001", &["W1"]).await;
        declare(&store, a, "2026-10", &[("W1", "100000.00")]).await;
        // An employer that never declared has no base: never assessed.
        let _never = employer_with_worksites(&store, "16000002", &["W1"]).await;
        // Nothing is assessed by a provisional rule.
        assert_eq!(assess_on(&store, d(2027, 1, 1)).await, 0);
        confirm(&store, SurchargeKind::ProvisionalAssessment).await;
        confirm(&store, SurchargeKind::LateDeclaration).await;
        // 2026-11 is due from 1 December; its declaration by 31 December (30 days).
        assert_eq!(assess_on(&store, d(2026, 12, 31)).await, 0, "not late yet");
        assert_eq!(assess_on(&store, d(2027, 1, 1)).await, 1);
        assert_eq!(assess_on(&store, d(2027, 1, 1)).await, 0, "once");
        assert_eq!(assess_on(&store, d(2027, 1, 5)).await, 0, "once, any day");
        let assessed = store.employer_assessments(a).await.unwrap();
        assert_eq!(assessed.len(), 1);
        let first = &assessed[0];
        assert_eq!(
            (
                first.period.as_str(),
                first.deadline.as_str(),
                first.assessed_on.as_str(),
                first.base_centimes,
                first.rate_bp,
                first.increase_centimes,
                first.status.as_str()
            ),
            (
                "2026-11",
                "2026-12-31",
                "2027-01-01",
                OCTOBER,
                500,
                61_050,
                "assessed"
            )
        );
        assert_eq!(total(&store, a).await, OCTOBER + OCTOBER + 61_050);
        assert_balanced(&store).await;
        // Explained on the statement (base, rate, rule, period) and told to the employer.
        let statement = store.statement(a, None, d(2027, 1, 5)).await.unwrap();
        let labels: Vec<String> = statement
            .lines
            .iter()
            .map(|l| tahsil::locale::statement::entry_label(&l.entry, Lang::Fr))
            .collect();
        assert!(
            labels
                .iter()
                .any(|l| l.contains("Taxation provisoire de la période 2026-11")
                    && l.contains("12\u{a0}210,00\u{a0}DA")),
            "{labels:#?}"
        );
        assert!(
            labels
                .iter()
                .any(|l| l
                    .contains("Majoration de taxation provisoire : 5,00\u{a0}% de 12\u{a0}210,00")),
            "{labels:#?}"
        );
        assert_eq!(
            statement.aging.up_to_30.centimes() + statement.aging.from_31_to_90.centimes(),
            OCTOBER + OCTOBER + 61_050,
            "the provisional due is owed"
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM notice_events WHERE kind = 'provisional_assessment'"
            )
            .await,
            1
        );
        // Not collectable by direct debit: no declaration line exists for it.
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM declarations WHERE period = '2026-11'"
            )
            .await,
            0
        );

        // The employer declares 2026-11 late: the assessment is reversed (an entry, not a
        // delete) and the declared lines are owed, with the late-declaration penalty.
        on(&store, d(2027, 1, 10));
        declare(&store, a, "2026-11", &[("W1", "80000.00")]).await;
        let replaced = &store.employer_assessments(a).await.unwrap()[0];
        assert_eq!(replaced.status, AssessmentStatus::Replaced);
        assert_eq!(replaced.replaced_on.as_deref(), Some("2027-01-10"));
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM ledger_entries WHERE assessment_id IS NOT NULL"
            )
            .await,
            3,
            "the due, the increase, and their reversal"
        );
        assert_eq!(total(&store, a).await, OCTOBER + NOVEMBER);
        assert_balanced(&store).await;
        assert_eq!(
            accrue_on(&store, d(2027, 1, 10)).await,
            1,
            "late declaration"
        );
        assert_eq!(
            total(&store, a).await,
            OCTOBER + NOVEMBER + 146_520,
            "declared dues + 15 % penalty"
        );
        assert_balanced(&store).await;
        let statement = store.statement(a, None, d(2027, 1, 10)).await.unwrap();
        assert!(
            statement.lines.iter().any(|l| {
                tahsil::locale::statement::entry_label(&l.entry, Lang::Fr)
                    .contains("Taxation provisoire de la période 2026-11 annulée")
            }),
            "the reversal is explained"
        );
        // Not assessed again; 2026-12 is assessed on the day after its deadline, on the
        // base of the last declaration (2026-11).
        assert_eq!(assess_on(&store, d(2027, 1, 31)).await, 0);
        assert_eq!(assess_on(&store, d(2027, 2, 1)).await, 1);
        let assessed = store.employer_assessments(a).await.unwrap();
        assert_eq!(assessed.len(), 2);
        assert_eq!(
            (
                assessed[1].period.as_str(),
                assessed[1].base_centimes,
                assessed[1].increase_centimes
            ),
            ("2026-12", NOVEMBER, 48_840)
        );
        assert_eq!(
            total(&store, a).await,
            OCTOBER + NOVEMBER + 146_520 + NOVEMBER + 48_840
        );
        assert_balanced(&store).await;
    }
);

async fn pay(store: &Store, employer: i64, day: chrono::NaiveDate, centimes: i64, reference: &str) {
    on(store, day);
    store
        .record_payment(
            &actor(),
            tahsil::store::NewPayment {
                employer_id: employer,
                amount: Amount::from_centimes(centimes),
                received_on: day,
                channel: tahsil::store::PaymentChannel::Transfer,
                reference: reference.to_owned(),
                note: None,
            },
        )
        .await
        .unwrap();
}

both_backends!(
    a_payment_above_the_principal_pays_surcharges_in_the_stored_order,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        on(&store, d(2026, 12, 1));
        let a = employer_with_worksites(&store, "16000001", &["W1"]).await;
        let b = employer_with_worksites(&store, "16000002", &["W1"]).await;
        declare(&store, a, "2026-10", &[("W1", "100000.00")]).await;
        declare(&store, b, "2026-10", &[("W1", "100000.00")]).await;
        confirm(&store, SurchargeKind::LatePayment).await;
        // Month 1 (5 %) on 16 January, month 2 (1 %) on 1 February, for each.
        assert_eq!(accrue_on(&store, d(2027, 1, 16)).await, 2);
        assert_eq!(accrue_on(&store, d(2027, 2, 1)).await, 2);
        assert_eq!(
            store.allocation_order().await.unwrap(),
            AllocationOrder::PrincipalFirst,
            "shipped"
        );

        // Principal first: the line, then month 1; month 2 is more than what is left.
        pay(&store, a, d(2027, 2, 10), OCTOBER + 61_050 + 5_000, "VIR-A").await;
        let balance = store.employer_balance(a, None).await.unwrap();
        assert_eq!(balance.paid_leave.centimes(), 12_210, "month 2 still owed");
        assert_eq!(
            balance.unallocated.centimes(),
            -5_000,
            "the rest is a credit"
        );
        assert_eq!(balance.total.centimes(), 7_210);
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM surcharge_allocations").await,
            1
        );
        assert_balanced(&store).await;
        // The statement sees it paid: an allocation explained by the surcharge, and only
        // month 2 in the aging.
        let statement = store.statement(a, None, d(2027, 2, 10)).await.unwrap();
        assert!(
            statement.lines.iter().any(|l| {
                l.entry.kind == tahsil::store::EntryKind::Allocation
                    && l.entry
                        .surcharge
                        .as_ref()
                        .is_some_and(|s| s.month == 1 && s.kind == SurchargeKind::LatePayment)
            }),
            "{:#?}",
            statement.lines
        );
        assert_eq!(statement.aging.up_to_30.centimes(), 12_210);
        assert_eq!(
            statement.aging.from_31_to_90.centimes() + statement.aging.from_91_to_180.centimes(),
            0
        );
        // A paid surcharge is no longer waivable.
        let paid = store.employer_surcharges(a).await.unwrap()[0].id;
        let refused = store
            .request_waiver(&actor(), a, &[paid], "paid already")
            .await
            .unwrap_err();
        assert!(matches!(refused, StoreError::Invalid(_)), "{refused:?}");
        // What is left pays month 2 once the employer sends the rest.
        pay(&store, a, d(2027, 2, 12), 7_210, "VIR-A2").await;
        assert_eq!(total(&store, a).await, 0);
        assert_eq!(
            store
                .employer_balance(a, None)
                .await
                .unwrap()
                .unallocated
                .centimes(),
            0
        );
        assert_balanced(&store).await;

        // The fund changes the order: surcharges first. B's payment pays both months and
        // leaves the line (it cannot pay it whole).
        store
            .set_allocation_order(&actor(), AllocationOrder::SurchargesFirst)
            .await
            .unwrap();
        pay(&store, b, d(2027, 2, 10), 61_050 + 12_210 + 100, "VIR-B").await;
        let balance = store.employer_balance(b, None).await.unwrap();
        assert_eq!(balance.paid_leave.centimes(), OCTOBER);
        assert_eq!(balance.unallocated.centimes(), -100);
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM surcharge_allocations").await,
            4
        );
        assert_balanced(&store).await;
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'allocation_policy.changed'"
            )
            .await,
            1
        );
    }
);
