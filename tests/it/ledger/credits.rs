//! A credit is never lost and never paid twice: money received while the employer's debit
//! was with the bank pays the lines that debit's failure makes owed again (no retry is
//! presented for them), and pays the next dues before they are planned; a settlement's
//! ledger entry is dated by the day it settled. On both databases.

use mandates::Amount;
use tahsil::clock::Clock;
use tahsil::store::{Effect, NewReport, Store};

use super::{assert_balanced, line_totals, of, pay, policy, report, two_employers};
use crate::both_backends;
use crate::harness::fixtures::{actor, d, declare, scalar};
use crate::harness::{TestDb, WebApp};

/// Plans and runs 15 December 2026; returns A's and B's debits, in the file.
async fn filed(
    app: &WebApp,
) -> (
    i64,
    i64,
    tahsil::store::CollectionRecord,
    tahsil::store::CollectionRecord,
) {
    let store = &app.store;
    let (a, b) = two_employers(store).await;
    let date = d(2026, 12, 15);
    store
        .plan_collections(&actor(), date, d(2026, 12, 1))
        .await
        .unwrap();
    tahsil::cycle::run::run_date(store, &app.settings, &actor(), date, "test")
        .await
        .unwrap();
    let filed = store.collections_on(date).await.unwrap();
    let fa = of(&filed, a).unwrap().clone();
    let fb = of(&filed, b).unwrap().clone();
    assert_eq!(fa.status.as_str(), "submitted");
    (a, b, fa, fb)
}

async fn ledger_date(store: &Store, kind: &str, collection: i64) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT entry_date FROM ledger_entries WHERE kind = '{kind}' AND collection_id = {collection}"
    )))
    .fetch_one(store.pool())
    .await
    .unwrap()
}

both_backends!(
    a_credit_pays_the_lines_of_a_debit_the_bank_rejects_and_no_retry_is_presented_for_them,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, b, fa, fb) = filed(&app).await;
        // A pays by transfer what its debit holds, while the debit is with the bank: a credit.
        let outcome = pay(store, a, fa.amount, "VIR-WHILE-FILED").await;
        assert_eq!((outcome.lines_paid, outcome.unallocated), (0, fa.amount));
        assert_balanced(store).await;

        // The bank rejects both debits for insufficient funds (retry later).
        let summary = store
            .apply_report(
                &actor(),
                &report("r", &[(&fa, Effect::Reject), (&fb, Effect::Reject)]),
                policy(d(2026, 12, 16)),
            )
            .await
            .unwrap();
        assert_eq!(summary.rejected, 2, "{summary:?}");
        // B's retry is planned; A's lines were paid by its credit: no retry for A.
        assert_eq!(summary.retries_planned, 1, "{summary:?}");
        let retries = store.collections_on(d(2027, 1, 5)).await.unwrap();
        assert!(of(&retries, a).is_none(), "{retries:?}");
        assert_eq!(of(&retries, b).unwrap().amount, fb.amount);
        let paid_lines = scalar(
            store,
            &format!(
                "SELECT COUNT(*) FROM payment_allocations a JOIN declaration_lines l ON l.id = a.declaration_line_id \
                 JOIN declarations d ON d.id = l.declaration_id WHERE d.employer_id = {a}"
            ),
        )
        .await;
        assert_eq!(paid_lines, 2);
        let balance = store.employer_balance(a, None).await.unwrap();
        assert_eq!(balance, tahsil::store::Balance::default(), "{balance:?}");
        assert_eq!(
            scalar(
                store,
                &format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'credit.used' AND entity_id = '{a}'"
                )
            )
            .await,
            1
        );
        assert_balanced(store).await;
        // Planning the retry date again collects nothing from A either.
        store
            .plan_collections(&actor(), d(2027, 1, 5), d(2026, 12, 1))
            .await
            .unwrap();
        let retries = store.collections_on(d(2027, 1, 5)).await.unwrap();
        assert!(of(&retries, a).is_none(), "{retries:?}");
        assert_balanced(store).await;
    }
);

both_backends!(
    a_retry_is_reduced_to_the_lines_a_credit_cannot_pay,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, _, fa, _) = filed(&app).await;
        let totals = line_totals(store, a).await;
        // A pays its first line only while the debit is with the bank.
        let outcome = pay(store, a, Amount::from_centimes(totals[0]), "VIR-FIRST").await;
        assert_eq!(outcome.lines_paid, 0);
        store
            .apply_report(
                &actor(),
                &report("s", &[(&fa, Effect::Reject)]),
                policy(d(2026, 12, 16)),
            )
            .await
            .unwrap();
        let retries = store.collections_on(d(2027, 1, 5)).await.unwrap();
        let retry = of(&retries, a).unwrap();
        assert_eq!(retry.amount.centimes(), totals[1], "{retry:?}");
        let announced = scalar(
            store,
            &format!(
                "SELECT announced_centimes FROM collections WHERE id = {}",
                retry.id
            ),
        )
        .await;
        assert_eq!(announced, totals[1]);
        let balance = store.employer_balance(a, None).await.unwrap();
        assert_eq!(balance.unallocated, Amount::ZERO, "{balance:?}");
        assert_eq!(balance.total.centimes(), totals[1]);
        assert_balanced(store).await;
    }
);

both_backends!(
    an_employer_in_credit_has_its_next_dues_paid_by_it_before_they_are_debited,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, b, fa, fb) = filed(&app).await;
        pay(store, a, fa.amount, "VIR-TWICE").await;
        // The debit settles anyway, booked on the 16th: A is in credit of its amount. The
        // settled entry is dated by the booking, not the collection date.
        let mut settled: NewReport = report("t", &[(&fa, Effect::Settle)]);
        settled.items[0].facts.booked_on = Some(d(2026, 12, 16));
        store
            .apply_report(&actor(), &settled, policy(d(2026, 12, 17)))
            .await
            .unwrap();
        assert_eq!(ledger_date(store, "settled", fa.id).await, "2026-12-16");
        // B's by the settlement window, closed on the 20th: dated the 20th.
        store
            .settle_elapsed(&actor(), d(2026, 12, 15), d(2026, 12, 20))
            .await
            .unwrap();
        assert_eq!(ledger_date(store, "settled", fb.id).await, "2026-12-20");
        assert_eq!(
            store.employer_balance(a, None).await.unwrap().total,
            Amount::from_centimes(-fa.amount.centimes())
        );
        assert_eq!(
            store
                .employer_balance(a, Some(d(2026, 12, 15)))
                .await
                .unwrap()
                .total,
            Amount::ZERO,
            "the settlement counts from the 16th"
        );
        assert_balanced(store).await;

        // November: a first line the credit pays whole, a second it cannot.
        declare(
            store,
            a,
            "2026-11",
            &[("W1", "100000.00"), ("W2", "900000.00")],
        )
        .await;
        let totals = line_totals(store, a).await;
        assert!(totals[2] <= fa.amount.centimes() && totals[3] > fa.amount.centimes() - totals[2]);
        let date = d(2027, 1, 14);
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        let planned = store.collections_on(date).await.unwrap();
        let debit = of(&planned, a).unwrap();
        assert_eq!(debit.amount.centimes(), totals[3], "{debit:?}");
        let balance = store.employer_balance(a, None).await.unwrap();
        assert_eq!(
            balance.unallocated.centimes(),
            totals[2] - fa.amount.centimes(),
            "{balance:?}"
        );
        assert_eq!(
            balance.total.centimes(),
            totals[2] + totals[3] - fa.amount.centimes()
        );
        assert_balanced(store).await;
        // Planning again changes nothing.
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        assert_eq!(
            of(&store.collections_on(date).await.unwrap(), a)
                .unwrap()
                .amount
                .centimes(),
            totals[3]
        );
        assert_eq!(store.employer_balance(a, None).await.unwrap(), balance);
        assert_balanced(store).await;
        let _ = b;
    }
);

both_backends!(
    a_credit_never_pays_a_declaration_not_yet_due,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, _) = two_employers(store).await;
        // A pays its October lines and 5000.00 more: a credit.
        let owed = store.employer_balance(a, None).await.unwrap().total;
        let extra = Amount::parse("5000.00").unwrap();
        let outcome = pay(
            store,
            a,
            Amount::from_centimes(owed.centimes() + extra.centimes()),
            "VIR-AHEAD",
        )
        .await;
        assert_eq!(outcome.unallocated, extra);
        // Today A declares December (due from 1 January) early, a small line the credit
        // could pay; planning 15 December must not use the credit on it (it stays open to
        // correction), nor plan it.
        declare(store, a, "2026-12", &[("W1", "1000.00")]).await;
        let totals = line_totals(store, a).await;
        assert!(*totals.last().unwrap() <= extra.centimes(), "{totals:?}");
        store
            .plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 1))
            .await
            .unwrap();
        let paid_december = scalar(
            store,
            &format!(
                "SELECT COUNT(*) FROM payment_allocations p JOIN declaration_lines l ON l.id = p.declaration_line_id \
                 JOIN declarations d ON d.id = l.declaration_id WHERE d.employer_id = {a} AND d.period = '2026-12'"
            ),
        )
        .await;
        assert_eq!(paid_december, 0);
        assert_eq!(
            store.employer_balance(a, None).await.unwrap().unallocated,
            Amount::from_centimes(-extra.centimes())
        );
        // Once due (planning 14 January), the credit pays it.
        store
            .plan_collections(&actor(), d(2027, 1, 14), d(2026, 12, 1))
            .await
            .unwrap();
        let paid_december = scalar(
            store,
            &format!(
                "SELECT COUNT(*) FROM payment_allocations p JOIN declaration_lines l ON l.id = p.declaration_line_id \
                 JOIN declarations d ON d.id = l.declaration_id WHERE d.employer_id = {a} AND d.period = '2026-12'"
            ),
        )
        .await;
        assert_eq!(paid_december, 1);
        assert_balanced(store).await;
    }
);
