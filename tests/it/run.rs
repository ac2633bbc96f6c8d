//! The whole cycle on both databases: plan → run (files) → simulated bank → import →
//! final states, lines, retries, suspended mandates, exceptions; repeats change nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bank_formats::inspect::inspect;
use chrono::NaiveDate;
use tahsil::config::Config;
use tahsil::cycle::banksim::BankSim;
use tahsil::cycle::exchange::{Folder, waiting_files};
use tahsil::cycle::import::{ImportOutcome, import_file, import_inboxes};
use tahsil::cycle::run::run_date;
use tahsil::store::Store;

use crate::both_backends;
use crate::harness::fixtures::{PLANNED_DATE, actor, planned, scalar};
use crate::harness::{TestDb, settings};

/// The date the run tests collect on: the one [`planned`] plans for.
const DATE: (i32, u32, u32) = PLANNED_DATE;

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(DATE.0, DATE.1, DATE.2).unwrap()
}

/// The product's invariants, checked from the database and the outbox.
pub async fn check_invariants(store: &Store, exchange: &Path) {
    // 1. A declaration line is in at most one live collection (also a unique index).
    assert_eq!(
        scalar(
            store,
            "SELECT COUNT(*) FROM (SELECT declaration_line_id FROM collection_lines WHERE live = 1 \
                       GROUP BY declaration_line_id HAVING COUNT(*) > 1) x"
        )
        .await,
        0
    );
    // No employer debited twice on a date.
    assert_eq!(
        scalar(store, "SELECT COUNT(*) FROM (SELECT employer_id FROM collections GROUP BY employer_id, collection_date \
                       HAVING COUNT(*) > 1) x").await,
        0
    );
    // 3. Every recorded file of a complete run exists with its bytes, and holds exactly
    // its collections; every submitted collection is in a recorded file.
    let files: Vec<(i64, String, String, String, i64, i64, String)> = sqlx::query_as(
        "SELECT f.id, f.institution, f.file_name, f.sha256, f.transactions, f.control_sum_centimes, r.status \
         FROM bank_files f JOIN runs r ON r.id = f.run_id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    for (id, institution, name, sha, count, sum, run_status) in &files {
        let (n, s): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(amount_centimes) AS BIGINT) FROM collections WHERE bank_file_id = $1",
        )
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!((n, s.unwrap_or(0)), (*count, *sum), "{name}");
        let path = exchange.join(institution).join("outbox").join(name);
        if run_status == "complete" {
            let bytes =
                std::fs::read(&path).unwrap_or_else(|_| panic!("{name} is recorded but missing"));
            assert_eq!(&tahsil::cycle::exchange::sha256_hex(&bytes), sha, "{name}");
            let view = inspect(&bytes).unwrap();
            assert_eq!(view.transactions.len() as i64, *count, "{name}");
        }
    }
    assert_eq!(
        scalar(
            store,
            "SELECT COUNT(*) FROM collections WHERE status = 'submitted' AND bank_file_id IS NULL"
        )
        .await,
        0
    );
    // No file in an outbox without its record.
    let recorded: Vec<String> = files.iter().map(|f| f.2.clone()).collect();
    for institution in ["bank", "poste"] {
        for path in waiting_files(&exchange.join(institution).join("outbox")) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                recorded.contains(&name),
                "{name} is in the outbox without a record"
            );
        }
    }
    // 4. No report applied twice.
    assert_eq!(
        scalar(store, "SELECT COUNT(*) FROM (SELECT sha256 FROM reports GROUP BY sha256 HAVING COUNT(*) > 1) x").await,
        0
    );
    // Money: every collection is the sum of its live lines while it can take money.
    assert_eq!(
        scalar(store, "SELECT COUNT(*) FROM collections c WHERE c.status IN ('planned', 'submitted', 'settled') \
                       AND c.amount_centimes <> (SELECT CAST(COALESCE(SUM(cl.amount_centimes), 0) AS BIGINT) \
                       FROM collection_lines cl WHERE cl.collection_id = c.id AND cl.live = 1)").await,
        0
    );
}

fn reports_in(dir: &Path) -> Vec<PathBuf> {
    waiting_files(dir)
}

/// What the reports in the inboxes say of each EndToEndId: "settled", "rejected:CODE",
/// "returned:CODE" — read with `inspect`, independently of the import.
fn expected_fates(exchange: &Path) -> HashMap<String, String> {
    let mut fates = HashMap::new();
    for institution in ["bank", "poste"] {
        for path in reports_in(&exchange.join(institution).join("inbox")) {
            let view = inspect(&std::fs::read(&path).unwrap()).unwrap();
            for tx in view.transactions {
                let e2e = tx.end_to_end_id.clone().unwrap();
                let fate = match (tx.status.as_deref(), tx.reversal) {
                    (Some("RJCT"), _) => format!("rejected:{}", tx.reason.unwrap()),
                    (_, Some(true)) => format!("returned:{}", tx.reason.unwrap()),
                    (Some("ACSC" | "BOOK"), _) => "settled".to_owned(),
                    _ => continue,
                };
                // A return overrides the booking of the same debit.
                let entry = fates.entry(e2e).or_insert_with(String::new);
                if entry.is_empty() || !fate.starts_with("settled") {
                    *entry = fate;
                }
            }
        }
    }
    fates
}

both_backends!(
    a_due_date_cycle_ends_with_every_collection_in_its_right_state,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        // Small files, so the split is exercised.
        let settings = settings(exchange.path(), 25);
        let planned = planned(&store, 60).await;
        assert_eq!(planned, 60);

        let run = run_date(&store, &settings, &actor(), date(), "test-1")
            .await
            .unwrap();
        let bank_count = run.transactions(mandates::Channel::Bank);
        let postal_count = run.transactions(mandates::Channel::Postal);
        assert_eq!(bank_count + postal_count, 60);
        assert!(
            run.files.len() >= 3,
            "60 debits in files of 25: {:?}",
            run.files.len()
        );
        // Each file holds its channel's debits only, and every file has its .sha256.
        for file in &run.files {
            let bytes = std::fs::read(&file.path).unwrap();
            let view = inspect(&bytes).unwrap();
            let expected = if file.channel.as_str() == "bank" {
                "pain.008.001.02"
            } else {
                "postal-ccp-debit"
            };
            assert_eq!(view.format, expected);
            let sum_line =
                std::fs::read_to_string(format!("{}.sha256", file.path.display())).unwrap();
            assert!(sum_line.starts_with(&file.sha256));
            for tx in &view.transactions {
                let channel: String =
                    sqlx::query_scalar("SELECT channel FROM collections WHERE end_to_end_id = $1")
                        .bind(tx.end_to_end_id.clone().unwrap())
                        .fetch_one(store.pool())
                        .await
                        .unwrap();
                assert_eq!(channel, file.channel.as_str());
            }
        }
        check_invariants(&store, exchange.path()).await;

        // Running the same date again writes nothing.
        let again = run_date(&store, &settings, &actor(), date(), "test-2")
            .await
            .unwrap();
        assert!(again.files.is_empty(), "{:?}", again.files);

        // The simulated bank: high rates so every kind of outcome occurs.
        let sim = BankSim {
            reject_per_mille: 250,
            return_per_mille: 150,
            transfer_reject_per_mille: 0,
            seed: 11,
            today: date(),
            layouts: settings.layouts,
        };
        for institution in &settings.institutions {
            sim.answer(
                &settings.folder(institution.name.as_str(), Folder::Outbox),
                &settings.folder(institution.name.as_str(), Folder::Inbox),
            )
            .unwrap();
        }
        let fates = expected_fates(exchange.path());
        assert_eq!(fates.len(), 60, "every debit answered once");
        let outcomes = import_inboxes(&store, &settings, &actor(), date())
            .await
            .unwrap();
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, ImportOutcome::Applied { .. })),
            "{outcomes:?}"
        );

        let rows: Vec<(i64, String, String, Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT id, end_to_end_id, status, reason_code, attempt, mandate_id FROM collections WHERE collection_date = $1",
    )
    .bind(date().to_string())
    .fetch_all(store.pool())
    .await
    .unwrap();
        let mut seen = HashMap::<&str, u32>::new();
        for (id, e2e, status, reason, _attempt, mandate) in &rows {
            let fate = &fates[e2e];
            let (kind, code) = fate.split_once(':').unwrap_or((fate.as_str(), ""));
            *seen.entry(kind).or_default() += 1;
            let lines_status: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT l.state FROM declaration_line_states l JOIN collection_lines cl ON cl.declaration_line_id = l.declaration_line_id \
             WHERE cl.collection_id = $1",
        )
        .bind(id)
        .fetch_all(store.pool())
        .await
        .unwrap();
            if kind == "settled" {
                assert_eq!(status, "settled", "{e2e}");
                assert_eq!(lines_status, vec!["paid".to_owned()], "{e2e}");
                continue;
            }
            assert_eq!(reason.as_deref(), Some(code), "{e2e}");
            let category = bank_formats::reasons::classify_iso(code).category;
            let layout_category =
                bank_formats::reasons::classify_layout("postal-ccp-return", code).category;
            let insufficient = [category, layout_category]
                .contains(&bank_formats::reasons::ReasonCategory::InsufficientFunds)
                && (code == "AM04" || code == "01");
            let retry: Option<(i64, i64)> = sqlx::query_as(
                "SELECT attempt, amount_centimes FROM collections WHERE retry_of = $1",
            )
            .bind(id)
            .fetch_optional(store.pool())
            .await
            .unwrap();
            let mandate_status: String =
                sqlx::query_scalar("SELECT status FROM mandates WHERE id = $1")
                    .bind(mandate)
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
            if insufficient {
                assert_eq!(status, "retry_planned", "{e2e} {fate}");
                let (attempt, _) = retry.expect("a retry");
                assert_eq!(attempt, 2);
                // Its lines moved to the retry: scheduled there, not in two live collections.
                assert_eq!(lines_status, vec!["scheduled".to_owned()], "{e2e}");
            } else {
                let expected = if kind == "rejected" {
                    "rejected"
                } else {
                    "returned"
                };
                assert_eq!(status, expected, "{e2e} {fate}");
                assert!(retry.is_none(), "{e2e}: no retry for {fate}");
                assert_eq!(lines_status, vec!["unpaid".to_owned()], "{e2e}");
                if code == "AC04" || code == "MD01" || code == "02" || code == "06" {
                    assert_eq!(mandate_status, "suspended", "{e2e} {fate}");
                }
                if code == "FF01" || code == "10" {
                    let exceptions = scalar(&store, &format!("SELECT COUNT(*) FROM exceptions WHERE collection_id = {id} AND kind = 'needs_staff'")).await;
                    assert_eq!(exceptions, 1, "{e2e} {fate}");
                }
            }
        }
        assert!(seen.get("settled").copied().unwrap_or(0) > 0, "{seen:?}");
        assert!(seen.get("rejected").copied().unwrap_or(0) > 0, "{seen:?}");
        assert!(seen.get("returned").copied().unwrap_or(0) > 0, "{seen:?}");
        check_invariants(&store, exchange.path()).await;

        // Importing the same reports again (from the archive) has no further effect.
        let before = scalar(&store, "SELECT COUNT(*) FROM audit_log").await;
        for institution in ["bank", "poste"] {
            for path in waiting_files(&exchange.path().join(institution).join("archive")) {
                let outcome = import_file(&store, &settings, &actor(), &path, None, date())
                    .await
                    .unwrap();
                assert!(
                    matches!(outcome, ImportOutcome::AlreadyImported { .. }),
                    "{outcome:?}"
                );
            }
        }
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM audit_log").await,
            before
        );

        // One notice per event: receipts for settled, failure notices for the rest.
        let settled = scalar(
            &store,
            "SELECT COUNT(*) FROM collections WHERE status = 'settled'",
        )
        .await;
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM notice_events WHERE kind = 'receipt'"
            )
            .await,
            settled
        );
        let failed = scalar(&store, "SELECT COUNT(*) FROM collections WHERE status IN ('rejected', 'returned', 'retry_planned')").await;
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM notice_events WHERE kind = 'failure_notice'"
            )
            .await,
            failed
        );
    }
);

both_backends!(
    unreadable_and_unmatched_reports_go_to_quarantine_unapplied,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        planned(&store, 5).await;
        run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        let inbox = settings.folder("bank", Folder::Inbox);
        std::fs::create_dir_all(&inbox).unwrap();
        std::fs::write(inbox.join("garbage.xml"), b"<Document><not closed").unwrap();
        let foreign = r#"<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt><GrpHdr><MsgId>X1</MsgId><CreDtTm>2026-12-15T10:00:00</CreDtTm></GrpHdr><OrgnlGrpInfAndSts><OrgnlMsgId>NOT-OURS</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId></OrgnlGrpInfAndSts><OrgnlPmtInfAndSts><OrgnlPmtInfId>P</OrgnlPmtInfId><TxInfAndSts><OrgnlEndToEndId>SOMEONE-ELSE</OrgnlEndToEndId><TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"#;
        std::fs::write(inbox.join("foreign.xml"), foreign).unwrap();
        let before = scalar(
            &store,
            "SELECT COUNT(*) FROM collections WHERE status = 'submitted'",
        )
        .await;
        let outcomes = import_inboxes(&store, &settings, &actor(), date())
            .await
            .unwrap();
        assert_eq!(outcomes.len(), 2);
        for outcome in &outcomes {
            let ImportOutcome::Quarantined {
                moved_to, error, ..
            } = outcome
            else {
                panic!("{outcome:?}")
            };
            assert!(moved_to.as_ref().unwrap().exists(), "kept: {outcome:?}");
            assert!(!error.is_empty());
        }
        assert!(
            waiting_files(&inbox).is_empty(),
            "nothing left half-read in the inbox"
        );
        assert_eq!(store.quarantined().await.unwrap().len(), 2);
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM reports").await,
            0,
            "nothing applied"
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM collections WHERE status = 'submitted'"
            )
            .await,
            before
        );
    }
);

both_backends!(
    a_group_level_reject_rejects_every_debit_of_the_file,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        planned(&store, 12).await;
        let run = run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        let bank = run
            .files
            .iter()
            .find(|f| f.channel.as_str() == "bank")
            .unwrap();
        let view = inspect(&std::fs::read(&bank.path).unwrap()).unwrap();
        let message_id = view.message_id.unwrap();
        let report = format!(
            r#"<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt><GrpHdr><MsgId>GRP-RJ</MsgId><CreDtTm>2026-12-14T10:00:00</CreDtTm></GrpHdr><OrgnlGrpInfAndSts><OrgnlMsgId>{message_id}</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId><GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>"#
        );
        let path = exchange.path().join("group-reject.xml");
        std::fs::write(&path, report).unwrap();
        let outcome = import_file(&store, &settings, &actor(), &path, None, date())
            .await
            .unwrap();
        let ImportOutcome::Applied { summary, .. } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(summary.rejected as i64, bank.transactions, "{summary:?}");
        assert_eq!(
            summary.exceptions as i64, bank.transactions,
            "a format reject is for staff: {summary:?}"
        );
        let still = scalar(
            &store,
            "SELECT COUNT(*) FROM collections WHERE channel = 'bank' AND status <> 'rejected'",
        )
        .await;
        assert_eq!(still, 0);
        check_invariants(&store, exchange.path()).await;
    }
);

both_backends!(
    a_report_without_a_namespace_in_latin1_is_applied_as_the_status_report_it_is,
    |db: TestDb| async move {
        // Issue 18, points 1 and 2: identified by its CstmrPmtStsRpt (not by the
        // OrgnlMsgNmId naming our pain.008), and read in the ISO-8859-1 it declares.
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        planned(&store, 4).await;
        let run = run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        let bank = run
            .files
            .iter()
            .find(|f| f.channel.as_str() == "bank")
            .unwrap();
        let view = inspect(&std::fs::read(&bank.path).unwrap()).unwrap();
        let message_id = view.message_id.unwrap();
        let rejected = view.transactions[0].end_to_end_id.clone().unwrap();
        let report = format!(
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<Document><CstmrPmtStsRpt><GrpHdr><MsgId>R\u{c9}PONSE-1</MsgId><CreDtTm>2026-12-14T10:00:00</CreDtTm></GrpHdr><OrgnlGrpInfAndSts><OrgnlMsgId>{message_id}</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.02</OrgnlMsgNmId></OrgnlGrpInfAndSts><OrgnlPmtInfAndSts><OrgnlPmtInfId>P</OrgnlPmtInfId><TxInfAndSts><OrgnlEndToEndId>{rejected}</OrgnlEndToEndId><TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AC01</Cd></Rsn><AddtlInf>Num\u{e9}ro de compte erron\u{e9}</AddtlInf></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>\n"
        );
        let latin1: Vec<u8> = report
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap())
            .collect();
        assert!(
            std::str::from_utf8(&latin1).is_err(),
            "the file is not UTF-8"
        );
        let path = exchange.path().join("no-namespace-latin1.xml");
        std::fs::write(&path, latin1).unwrap();
        let outcome = import_file(&store, &settings, &actor(), &path, None, date())
            .await
            .unwrap();
        let ImportOutcome::Applied { summary, .. } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(summary.rejected, 1, "{summary:?}");
        let status: String =
            sqlx::query_scalar("SELECT status FROM collections WHERE end_to_end_id = $1")
                .bind(&rejected)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(status, "rejected");
        check_invariants(&store, exchange.path()).await;
    }
);

both_backends!(
    a_run_refuses_collections_that_may_no_longer_be_debited,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        planned(&store, 6).await;
        // One employer revokes its mandate after planning: its debit leaves the run and its
        // lines are owed again.
        let collection = revoke_first_mandate(&store).await;
        let run = run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        assert_eq!(run.recheck.mandate_inactive, 1);
        assert_eq!(
            run.transactions(mandates::Channel::Bank) + run.transactions(mandates::Channel::Postal),
            5
        );
        let status: String = sqlx::query_scalar("SELECT status FROM collections WHERE id = $1")
            .bind(collection)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(status, "cancelled");
        let unpaid = scalar(&store, &format!(
        "SELECT COUNT(*) FROM collection_lines cl JOIN declaration_line_states l ON l.declaration_line_id = cl.declaration_line_id \
         WHERE cl.collection_id = {collection} AND l.state = 'unpaid' AND cl.live = 0"
    )).await;
        assert_eq!(unpaid, 3, "its three worksites' lines are owed again");
        let notices = scalar(
            &store,
            &format!("SELECT COUNT(*) FROM notice_events WHERE kind = 'advance_notice' AND subject_id = {collection}"),
        )
        .await;
        assert_eq!(notices, 0, "its advance notice, not sent yet, is withdrawn");
        check_invariants(&store, exchange.path()).await;
    }
);

both_backends!(
    a_run_names_why_each_refused_debit_left_it,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        planned(&store, 6).await;
        let ids: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, mandate_id FROM collections ORDER BY id")
                .fetch_all(store.pool())
                .await
                .unwrap();
        // The first: mandate revoked and, besides, its ceiling lowered (the mandate is
        // named, the first reason checked). The second: ceiling one centime below its
        // amount. The third: its advance notice recorded on the collection date itself.
        let revoked = revoke_first_mandate(&store).await;
        assert_eq!(revoked, ids[0].0);
        for (mandate, collection) in [(ids[0].1, ids[0].0), (ids[1].1, ids[1].0)] {
            sqlx::query(
                "UPDATE mandates SET ceiling_centimes = \
                 (SELECT amount_centimes - 1 FROM collections WHERE id = $2) WHERE id = $1",
            )
            .bind(mandate)
            .bind(collection)
            .execute(store.pool())
            .await
            .unwrap();
        }
        sqlx::query("UPDATE collections SET noticed_on = $2 WHERE id = $1")
            .bind(ids[2].0)
            .bind(date().to_string())
            .execute(store.pool())
            .await
            .unwrap();
        let run = run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        assert_eq!(
            (
                run.recheck.mandate_inactive,
                run.recheck.over_ceiling,
                run.recheck.notice_late
            ),
            (1, 1, 1),
            "{:?}",
            run.recheck
        );
        assert_eq!(
            run.transactions(mandates::Channel::Bank) + run.transactions(mandates::Channel::Postal),
            3
        );
        for ((id, _), reason) in ids
            .iter()
            .zip(["mandate_inactive", "over_ceiling", "notice_late"])
        {
            let (status, code): (String, Option<String>) =
                sqlx::query_as("SELECT status, reason_code FROM collections WHERE id = $1")
                    .bind(id)
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
            assert_eq!(
                (status.as_str(), code.as_deref()),
                ("cancelled", Some(reason))
            );
            let audited = scalar(
                &store,
                &format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'collection.cancelled' \
                     AND entity_id = '{id}' AND detail LIKE '%{reason}%'"
                ),
            )
            .await;
            assert_eq!(
                audited, 1,
                "collection {id}: its cancellation is audited with why"
            );
        }
        let owed = scalar(
            &store,
            &format!(
                "SELECT COUNT(*) FROM collection_lines cl JOIN declaration_line_states l \
                 ON l.declaration_line_id = cl.declaration_line_id \
                 WHERE cl.collection_id IN ({}, {}, {}) AND l.state = 'unpaid' AND cl.live = 0",
                ids[0].0, ids[1].0, ids[2].0
            ),
        )
        .await;
        assert_eq!(owed, 9, "the three debits' lines are owed again");
        check_invariants(&store, exchange.path()).await;
    }
);

/// Simulates a crash after a run recorded its files and before it renamed them: the files
/// (and their `.sha256`) are gone and the run is still building, its lease expired. Returns
/// the files' bytes, in the order given.
pub(crate) async fn lose_files_after_recording(store: &Store, paths: &[PathBuf]) -> Vec<Vec<u8>> {
    let mut originals = Vec::with_capacity(paths.len());
    for path in paths {
        originals.push(std::fs::read(path).unwrap());
        std::fs::remove_file(path).unwrap();
        std::fs::remove_file(format!("{}.sha256", path.display())).unwrap();
    }
    sqlx::query("UPDATE runs SET status = 'building', lease_until = '2000-01-01T00:00:00Z'")
        .execute(store.pool())
        .await
        .unwrap();
    originals
}

/// The first planned collection's employer revokes its mandate; returns that collection.
async fn revoke_first_mandate(store: &Store) -> i64 {
    let (collection, mandate): (i64, i64) =
        sqlx::query_as("SELECT id, mandate_id FROM collections ORDER BY id LIMIT 1")
            .fetch_one(store.pool())
            .await
            .unwrap();
    store
        .revoke_mandate(&actor(), mandate, "changed bank")
        .await
        .unwrap();
    collection
}

/// Delivers every pending notice into a fresh `.eml` folder: (file name, subject, text).
async fn deliver_to_folder(store: &Store) -> Vec<(String, String, String)> {
    let mail = tempfile::tempdir().unwrap();
    let config = Config {
        mail_dir: Some(mail.path().to_path_buf()),
        mail_from: "CACOBATPH <avis@cacobatph.dz>".to_owned(),
        ..Config::default()
    };
    let mailer = tahsil::notices::mailer_from_config(&config).unwrap();
    tahsil::notices::deliver_all(
        store,
        &mailer,
        &tahsil::notices::NoticeSettings::default(),
        "worker-1",
        std::time::Duration::from_secs(20),
    )
    .await
    .unwrap();
    let mut sent = Vec::new();
    for entry in std::fs::read_dir(mail.path()).unwrap() {
        let path = entry.unwrap().path();
        let raw = std::fs::read(&path).unwrap();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        sent.push((
            path.file_name().unwrap().to_string_lossy().into_owned(),
            message.subject().unwrap_or_default().to_owned(),
            message.body_text(0).unwrap_or_default().into_owned(),
        ));
    }
    sent
}

both_backends!(
    a_cancelled_debit_whose_advance_notice_went_out_is_announced_as_cancelled,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        planned(&store, 4).await;
        // The advance notices go out.
        let first = deliver_to_folder(&store).await;
        assert_eq!(first.len(), 4, "{first:?}");
        // Then one employer revokes its mandate: the run cancels its debit, whose notice
        // the employer already has, so it is told the debit will not come.
        let collection = revoke_first_mandate(&store).await;
        let run = run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        assert_eq!(run.recheck.mandate_inactive, 1);
        let cancelled_notices = format!(
            "SELECT COUNT(*) FROM notice_events WHERE kind = 'debit_cancelled' AND subject_id = {collection}"
        );
        assert_eq!(scalar(&store, &cancelled_notices).await, 1);
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM notice_events WHERE kind = 'debit_cancelled'"
            )
            .await,
            1,
            "only the cancelled debit's employer"
        );
        let second = deliver_to_folder(&store).await;
        let mail = second
            .iter()
            .find(|(name, ..)| name.contains("debit_cancelled"))
            .unwrap_or_else(|| panic!("no cancellation emailed: {second:?}"));
        let (_, subject, text) = mail;
        // In the employer's language(s), each with the reason and what follows.
        let language: String = sqlx::query_scalar(
            "SELECT e.language FROM employers e JOIN collections c ON c.employer_id = e.id WHERE c.id = $1",
        )
        .bind(collection)
        .fetch_one(store.pool())
        .await
        .unwrap();
        if language != "ar" {
            assert!(
                subject.contains("Prélèvement du") && subject.contains("annulé"),
                "{subject}"
            );
            assert!(text.contains("n'est plus active"), "the reason: {text}");
            assert!(text.contains("restent dues"), "{text}");
        }
        if language != "fr" {
            assert!(subject.contains("إلغاء اقتطاع"), "{subject}");
            assert!(text.contains("لم يعد ساريًا"), "the reason: {text}");
            assert!(text.contains("تبقى الاشتراكات"), "{text}");
        }
        // Running the date again tells nobody twice.
        run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        assert_eq!(scalar(&store, &cancelled_notices).await, 1);
        check_invariants(&store, exchange.path()).await;
    }
);

both_backends!(
    files_of_an_interrupted_run_are_put_in_place_byte_for_byte,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 4);
        planned(&store, 10).await;
        let run = run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        let paths: Vec<PathBuf> = run.files.iter().map(|f| f.path.clone()).collect();
        let originals = lose_files_after_recording(&store, &paths).await;
        let resumed = run_date(&store, &settings, &actor(), date(), "t2")
            .await
            .unwrap();
        assert_eq!(resumed.recovered as usize, originals.len());
        for (path, bytes) in paths.iter().zip(&originals) {
            assert_eq!(
                &std::fs::read(path).unwrap(),
                bytes,
                "{} regenerated identically",
                path.display()
            );
        }
        check_invariants(&store, exchange.path()).await;
    }
);

both_backends!(
    a_file_longer_than_a_read_chunk_is_written_whole_and_in_order,
    |db: TestDb| async move {
        // The writers read debits 1,000 at a time on SQLite: 2,500 employers put about
        // 1,900 debits in the bank file, so its block is read in two chunks. Regenerating
        // the file reads its rows one by one in file order: the same bytes mean no debit
        // was lost, repeated or moved at the chunk boundary.
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 100_000);
        planned(&store, 2_500).await;
        let run = run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        let bank = run
            .files
            .iter()
            .find(|f| f.channel.as_str() == "bank")
            .unwrap();
        assert!(bank.transactions > 1_000, "{} debits", bank.transactions);
        let written = lose_files_after_recording(&store, std::slice::from_ref(&bank.path)).await;
        let resumed = run_date(&store, &settings, &actor(), date(), "t2")
            .await
            .unwrap();
        assert_eq!(resumed.recovered, 1, "the bank file, put back");
        assert_eq!(std::fs::read(&bank.path).unwrap(), written[0]);
        check_invariants(&store, exchange.path()).await;
    }
);

both_backends!(
    a_report_from_one_institution_does_not_touch_another_institutions_debits,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        planned(&store, 12).await;
        run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        let sim = BankSim {
            reject_per_mille: 0,
            return_per_mille: 0,
            transfer_reject_per_mille: 0,
            seed: 3,
            today: date(),
            layouts: settings.layouts,
        };
        let answers = exchange.path().join("answers");
        std::fs::create_dir_all(&answers).unwrap();
        sim.answer(&settings.folder("bank", Folder::Outbox), &answers)
            .unwrap();
        let camt = waiting_files(&answers)
            .into_iter()
            .find(|p| p.to_string_lossy().contains("camt054"))
            .expect("the bank answered with a camt.054");

        // The bank's statement, arriving through Algérie Poste's folder or token, matches
        // nothing Algérie Poste was sent: refused whole, the bank's debits untouched.
        let misrouted = answers.join("misrouted-camt054.xml");
        std::fs::copy(&camt, &misrouted).unwrap();
        let outcome = import_file(
            &store,
            &settings,
            &actor(),
            &misrouted,
            Some(tahsil::store::Institution::Poste),
            date(),
        )
        .await
        .unwrap();
        assert!(
            matches!(outcome, ImportOutcome::Quarantined { .. }),
            "{outcome:?}"
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM collections WHERE status = 'settled'"
            )
            .await,
            0
        );
        // From the bank it applies.
        let outcome = import_file(
            &store,
            &settings,
            &actor(),
            &camt,
            Some(tahsil::store::Institution::Bank),
            date(),
        )
        .await
        .unwrap();
        let ImportOutcome::Applied { summary, .. } = outcome else {
            panic!("{outcome:?}")
        };
        assert!(summary.settled > 0, "{summary:?}");
        assert_eq!(summary.exceptions, 0, "{summary:?}");
        check_invariants(&store, exchange.path()).await;
    }
);
