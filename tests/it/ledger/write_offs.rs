//! Write-offs (issue 15 point 1): a line written off leaves planning and the ledger agrees;
//! a line in a bank file is refused; twice writes once; a planned debit loses the lines
//! written off; the command line. On both databases.

use mandates::Amount;
use tahsil::clock::Clock;
use tahsil::store::{NewWriteOff, Store, StoreError, WriteOffOutcome};

use super::{assert_balanced, line_totals, of, tahsil, two_employers};
use crate::both_backends;
use crate::harness::TestDb;
use crate::harness::fixtures::{actor, d, scalar};

/// The employer's declared line ids, oldest first.
async fn line_ids(store: &Store, employer: i64) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT l.id FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
         WHERE d.employer_id = {employer} ORDER BY d.due_from, d.period, l.id"
    )))
    .fetch_all(store.pool())
    .await
    .unwrap()
}

async fn write_off(
    store: &Store,
    employer: i64,
    lines: &[i64],
) -> Result<WriteOffOutcome, StoreError> {
    store
        .write_off_lines(
            &actor(),
            NewWriteOff {
                employer_id: employer,
                lines: lines.to_vec(),
                reason: "entreprise liquidée".to_owned(),
                by: "agent recouvrement".to_owned(),
            },
        )
        .await
}

async fn state(store: &Store, line: i64) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT state FROM declaration_line_states WHERE declaration_line_id = {line}"
    )))
    .fetch_one(store.pool())
    .await
    .unwrap()
}

both_backends!(
    a_line_written_off_leaves_the_next_plan_once_and_a_line_in_a_file_is_refused,
    |db: TestDb| async move {
        let app =
            crate::harness::WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, _b) = two_employers(store).await;
        let totals = line_totals(store, a).await;
        let ids = line_ids(store, a).await;
        let before = store.employer_balance(a, None).await.unwrap().total;

        let done = write_off(store, a, &[ids[0]]).await.unwrap();
        assert_eq!(done.written_off, vec![ids[0]]);
        assert_eq!(done.amount_centimes, totals[0]);
        assert!(done.already.is_empty() && done.debits_reduced.is_empty());
        assert_eq!(state(store, ids[0]).await, "written_off");
        let after = store.employer_balance(a, None).await.unwrap().total;
        assert_eq!(after.centimes(), before.centimes() - totals[0]);
        assert_balanced(store).await;

        // Twice: nothing written again.
        let again = write_off(store, a, &[ids[0]]).await.unwrap();
        assert_eq!(again.written_off, Vec::<i64>::new());
        assert_eq!(again.already, vec![ids[0]]);
        assert_eq!(
            scalar(store, "SELECT COUNT(*) FROM line_write_offs").await,
            1
        );
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'write_off'"
            )
            .await,
            1
        );
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.write_off'"
            )
            .await,
            1
        );
        assert_balanced(store).await;

        // The next plan collects the other line alone.
        let date = d(2026, 12, 15);
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        let planned = store.collections_on(date).await.unwrap();
        assert_eq!(of(&planned, a).unwrap().amount.centimes(), totals[1]);
        assert_eq!(
            scalar(
                store,
                &format!(
                    "SELECT COUNT(*) FROM collection_lines WHERE declaration_line_id = {}",
                    ids[0]
                )
            )
            .await,
            0
        );

        // Once the debit is in a file, its line is the bank's: refused, nothing written.
        tahsil::cycle::run::run_date(store, &app.settings, &actor(), date, "test")
            .await
            .unwrap();
        let refused = write_off(store, a, &[ids[1]]).await;
        match refused {
            Err(StoreError::Conflict(message)) => {
                assert!(message.contains("bank file"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        // Without lines named, nothing is left outside the file: refused too.
        let nothing = write_off(store, a, &[]).await;
        assert!(
            matches!(nothing, Err(StoreError::Invalid(_))),
            "{nothing:?}"
        );
        // A line of another employer, or unknown, is refused.
        let unknown = write_off(store, a, &[999_999]).await;
        assert!(
            matches!(unknown, Err(StoreError::Invalid(_))),
            "{unknown:?}"
        );
        assert_eq!(
            scalar(store, "SELECT COUNT(*) FROM line_write_offs").await,
            1
        );
        assert_eq!(state(store, ids[1]).await, "scheduled");
        assert_balanced(store).await;
    }
);

both_backends!(
    a_write_off_of_every_line_cancels_the_planned_debit_holding_them,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let (a, b) = two_employers(&store).await;
        let date = d(2026, 12, 15);
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        let planned = store.collections_on(date).await.unwrap();
        let (ca, cb) = (of(&planned, a).unwrap().id, of(&planned, b).unwrap().id);
        let totals = line_totals(&store, a).await;
        let ids = line_ids(&store, a).await;

        // A's first line: its debit keeps the second.
        let done = write_off(&store, a, &[ids[0]]).await.unwrap();
        assert_eq!(done.debits_reduced, vec![ca]);
        let amount = scalar(
            &store,
            &format!("SELECT amount_centimes FROM collections WHERE id = {ca}"),
        )
        .await;
        assert_eq!(amount, totals[1]);
        assert_balanced(&store).await;

        // All of B's lines (none named): its debit is cancelled.
        let done = write_off(&store, b, &[]).await.unwrap();
        assert_eq!(done.debits_cancelled, vec![cb]);
        assert_eq!(
            store.employer_balance(b, None).await.unwrap().total,
            Amount::ZERO
        );
        assert_balanced(&store).await;
        // No line is both written off and in a live debit.
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM line_write_offs w JOIN collection_lines cl \
                 ON cl.declaration_line_id = w.declaration_line_id AND cl.live = 1"
            )
            .await,
            0
        );
        // A payment afterwards never pays a line written off.
        let rest = Amount::from_centimes(totals[1]);
        let paid = crate::ledger::pay(&store, a, rest, "VIR-WO").await;
        assert_eq!((paid.lines_paid, paid.unallocated), (1, Amount::ZERO));
        assert_balanced(&store).await;
    }
);

both_backends!(
    the_command_line_writes_off_lines_and_the_ledger_stays_balanced,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let (a, _b) = two_employers(&store).await;
        let ids = line_ids(&store, a).await;
        let line = ids[1].to_string();
        let args = [
            "ledger",
            "write-off",
            "--employer",
            "16000001",
            "--line",
            &line,
            "--reason",
            "faillite prononcée",
            "--by",
            "Mme Benali",
        ];
        let output = tahsil(&db, &args);
        assert!(output.status.success(), "{output:?}");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(text.contains("1 declared line(s)"), "{text}");
        let again = tahsil(&db, &args);
        assert!(again.status.success(), "{again:?}");
        assert!(
            String::from_utf8_lossy(&again.stdout).contains("already written off"),
            "{again:?}"
        );
        let no_reason = tahsil(
            &db,
            &[
                "ledger",
                "write-off",
                "--employer",
                "16000001",
                "--reason",
                " ",
                "--by",
                "x",
            ],
        );
        assert!(!no_reason.status.success());
        assert!(String::from_utf8_lossy(&no_reason.stderr).contains("reason"));
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM line_write_offs").await,
            1
        );
        let check = tahsil(&db, &["ledger", "check"]);
        assert!(check.status.success(), "{check:?}");
        assert_balanced(&store).await;
    }
);
