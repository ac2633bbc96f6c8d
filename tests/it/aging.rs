//! The fund-wide receivables and aging read from the totals kept per due date and per
//! employer (migration 0037), not from every owed line: after a mixed sequence —
//! declarations of several months and a correction, planning, a run, a debit settled then
//! returned, a payment by transfer, a write-off — the kept totals equal the full
//! recomputation on several days (every bucket), and `tahsil ledger check` exits 1 when
//! they differ. On both databases.

use mandates::Amount;
use tahsil::clock::Clock;
use tahsil::store::{Effect, NewDeclaration, NewDeclarationLine, NewWriteOff, Store};

use crate::both_backends;
use crate::harness::fixtures::{actor, d, declare};
use crate::harness::{TestDb, settings};
use crate::ledger::{line_totals, of, pay, policy, report, tahsil, two_employers};

/// The kept summary equals the recomputed one on each of `days`, and something is owed.
async fn assert_exact(store: &Store, days: &[chrono::NaiveDate]) {
    assert!(
        store.check_receivables().await.unwrap().is_empty(),
        "{:#?}",
        store.check_receivables().await.unwrap()
    );
    for day in days {
        let kept = store.receivables(*day).await.unwrap();
        let recomputed = store.receivables_recomputed(*day).await.unwrap();
        assert_eq!(kept, recomputed, "on {day}");
    }
}

both_backends!(
    the_kept_receivables_equal_a_recount_after_a_mixed_sequence,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        // Days putting the declarations (due 2026-05-01 to 2026-11-01) in every bucket.
        let days = [
            d(2026, 10, 1),
            d(2026, 12, 1),
            d(2027, 1, 15),
            d(2027, 4, 1),
            d(2027, 6, 1),
        ];
        assert_exact(&store, &days).await;
        let (a, b) = two_employers(&store).await;
        declare(&store, a, "2026-04", &[("W1", "80000.00")]).await;
        declare(
            &store,
            a,
            "2026-07",
            &[("W1", "60000.00"), ("W2", "1000.00")],
        )
        .await;
        declare(&store, b, "2026-09", &[("S1", "30000.00")]).await;
        assert_exact(&store, &days).await;
        let summary = store.receivables(d(2027, 1, 15)).await.unwrap();
        assert_eq!((summary.employers, summary.lines), (2, 7), "{summary:?}");
        // Lines in the three older buckets on 2027-01-15: due 2026-11-01 (75 days), 2026-10-01,
        // 2026-08-01 (167 days) and 2026-05-01 (over 180).
        assert!(summary.total.from_31_to_90 > Amount::ZERO, "{summary:?}");
        assert!(summary.total.from_91_to_180 > Amount::ZERO, "{summary:?}");
        assert!(summary.total.over_180 > Amount::ZERO, "{summary:?}");

        // A correction replaces B's September lines.
        let (_, replaced) = store
            .submit_or_correct_declaration(
                &actor(),
                b,
                NewDeclaration {
                    period: "2026-09".parse().unwrap(),
                    lines: vec![NewDeclarationLine {
                        worksite_code: "S1".to_owned(),
                        headcount: 3,
                        wage_bill: Amount::parse("35000.00").unwrap(),
                        bad_weather_base: Amount::ZERO,
                    }],
                },
            )
            .await
            .unwrap();
        assert!(replaced);
        assert_exact(&store, &days).await;

        // Planned and filed: still owed until the bank settles.
        let date = d(2026, 12, 15);
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        assert_exact(&store, &days).await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        tahsil::cycle::run::run_date(&store, &settings, &actor(), date, "test")
            .await
            .unwrap();
        let filed = store.collections_on(date).await.unwrap();
        let fa = of(&filed, a).unwrap().clone();
        assert_eq!(fa.status.as_str(), "submitted");
        let before = store.receivables(d(2026, 12, 20)).await.unwrap();
        assert_exact(&store, &days).await;

        // Settled: A's lines leave what is owed.
        store
            .apply_report(
                &actor(),
                &report("a", &[(&fa, Effect::Settle)]),
                policy(date),
            )
            .await
            .unwrap();
        let settled = store.receivables(d(2026, 12, 20)).await.unwrap();
        assert_eq!(
            settled.total.total.centimes(),
            before.total.total.centimes() - fa.amount.centimes()
        );
        assert_exact(&store, &days).await;

        // Returned after settlement: owed again.
        store
            .apply_report(
                &actor(),
                &report("b", &[(&fa, Effect::Return)]),
                policy(d(2026, 12, 20)),
            )
            .await
            .unwrap();
        assert_eq!(
            store.receivables(d(2026, 12, 20)).await.unwrap().total,
            before.total
        );
        assert_exact(&store, &days).await;

        // A payment by transfer of A's oldest line, and a write-off of B's first line.
        let totals = line_totals(&store, a).await;
        pay(&store, a, Amount::from_centimes(totals[0]), "VIR-AGING").await;
        assert_exact(&store, &days).await;
        // B's lines are all in its filed debit: a new month, not planned, is written off.
        declare(&store, b, "2026-11", &[("S1", "5000.00")]).await;
        assert_exact(&store, &days).await;
        let b_line: i64 = sqlx::query_scalar(
            "SELECT l.id FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
             WHERE d.employer_id = $1 AND d.period = '2026-11'",
        )
        .bind(b)
        .fetch_one(store.pool())
        .await
        .unwrap();
        let written = store
            .write_off_lines(
                &actor(),
                NewWriteOff {
                    employer_id: b,
                    lines: vec![b_line],
                    reason: "entreprise liquidée".to_owned(),
                    by: "agent recouvrement".to_owned(),
                },
            )
            .await
            .unwrap();
        assert_eq!(written.written_off, vec![b_line]);
        assert_exact(&store, &days).await;
        // Everything paid: the employer no longer counts.
        let owed = store.employer_balance(a, None).await.unwrap().total;
        pay(&store, a, owed, "VIR-AGING-2").await;
        assert_exact(&store, &days).await;
        // The count of employers owing agrees with the page of employers owing.
        let summary = store.receivables(date).await.unwrap();
        let owing = store.employers_owing(date, None, 1000).await.unwrap();
        assert_eq!(summary.employers, owing.len() as u64, "{owing:?}");
        assert_eq!(
            summary.total.total.centimes(),
            owing.iter().map(|e| e.owed.total.centimes()).sum::<i64>()
        );

        // `ledger check` agrees, then exits 1 when a kept total is off by one centime.
        let check = tahsil(&db, &["ledger", "check"]);
        assert!(check.status.success(), "{check:?}");
        sqlx::query(
            "UPDATE owed_by_due SET paid_leave_centimes = paid_leave_centimes + 1 \
             WHERE due_from = (SELECT MIN(due_from) FROM owed_by_due)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let check = tahsil(&db, &["ledger", "check"]);
        assert_eq!(check.status.code(), Some(1), "{check:?}");
        let said = String::from_utf8_lossy(&check.stderr);
        assert!(
            said.contains("receivables kept") && said.contains("due 20"),
            "{said}"
        );
        assert_eq!(store.check_receivables().await.unwrap().len(), 1);
    }
);
