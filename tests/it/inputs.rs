//! Hostile and odd inputs (issue 17): reports too big or with over-long fields are
//! quarantined with the reason and change nothing; quarantine never overwrites; two
//! documents in one file, repeats in one report and an empty report are told apart; the
//! mandate + amount fallback only looks at debits near the report; concurrent runs lose
//! with the run lock's message on both databases; files are private whatever the umask.

use std::path::Path;

use chrono::NaiveDate;
use mandates::Amount;
use sha2::{Digest, Sha256};
use tahsil::cycle::CycleSettings;
use tahsil::cycle::import::{ImportOutcome, import_file};
use tahsil::cycle::run::run_date;
use tahsil::store::{Actor, Effect, NewReport, ReconcilePolicy, ReportItem, Store, StoreError};

use crate::both_backends;
use crate::harness::fixtures::{actor, d, planned, scalar};
use crate::harness::{TestDb, settings};

fn date() -> NaiveDate {
    d(2026, 12, 15)
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The database's counts that an import must leave alone when it refuses a file.
async fn footprint(store: &Store) -> (i64, i64, i64, i64) {
    (
        scalar(store, "SELECT COUNT(*) FROM reports").await,
        scalar(store, "SELECT COUNT(*) FROM report_items").await,
        scalar(store, "SELECT COUNT(*) FROM exceptions").await,
        scalar(
            store,
            "SELECT COUNT(*) FROM collections WHERE status <> 'submitted'",
        )
        .await,
    )
}

fn camt(message_id: &str, entries: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>2026-12-15T18:00:00</CreDtTm></GrpHdr><Ntfctn><Id>N1</Id><CreDtTm>2026-12-15T18:00:00</CreDtTm><Acct><Id><Othr><Id>00400174401001050486</Id></Othr></Id></Acct>{entries}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"#
    )
}

fn booked(end_to_end_id: &str, amount: &str) -> String {
    format!(
        r#"<Ntry><Amt Ccy="DZD">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BkTxCd/><NtryDtls><TxDtls><Refs><EndToEndId>{end_to_end_id}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>"#
    )
}

async fn import(store: &Store, settings: &CycleSettings, path: &Path) -> ImportOutcome {
    import_file(store, settings, &actor(), path, None, date())
        .await
        .unwrap()
}

fn quarantined_error(outcome: &ImportOutcome) -> &str {
    match outcome {
        ImportOutcome::Quarantined { error, .. } => error,
        other => panic!("expected quarantine, got {other:?}"),
    }
}

both_backends!(
    oversized_and_over_long_reports_are_quarantined_and_change_nothing,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let mut settings = settings(exchange.path(), 1000);
        planned(&store, 3).await;
        run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        let before = footprint(&store).await;
        let incoming = tempfile::tempdir().unwrap();

        // A message id of 36 characters: one more than the schema's Max35Text.
        let path = incoming.path().join("long-id.xml");
        std::fs::write(&path, camt(&"M".repeat(36), "")).unwrap();
        let outcome = import(&store, &settings, &path).await;
        let error = quarantined_error(&outcome);
        assert!(
            error.contains("36 characters") && error.contains("Max35Text"),
            "{error}"
        );

        // A message id of 1 MiB (the attack used 200 MB): refused while streaming.
        let path = incoming.path().join("huge-id.xml");
        std::fs::write(&path, camt(&"M".repeat(1 << 20), "")).unwrap();
        let outcome = import(&store, &settings, &path).await;
        let error = quarantined_error(&outcome);
        assert!(error.contains("more than 65536 bytes"), "{error}");

        // A file over `max_report_bytes`: quarantined whole without being read.
        settings.max_report_bytes = 4096;
        let path = incoming.path().join("big.xml");
        let big = camt("BIG", &booked("X", "1.00").repeat(100));
        assert!(big.len() > 4096);
        std::fs::write(&path, &big).unwrap();
        let outcome = import(&store, &settings, &path).await;
        let error = quarantined_error(&outcome);
        assert!(
            error.contains(&format!("{} bytes", big.len())) && error.contains("max_report_bytes"),
            "{error}"
        );
        let ImportOutcome::Quarantined {
            moved_to: Some(kept),
            ..
        } = &outcome
        else {
            unreachable!()
        };
        assert_eq!(std::fs::read(kept).unwrap(), big.as_bytes(), "kept whole");

        assert_eq!(footprint(&store).await, before, "nothing applied");
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM quarantined_files").await,
            3
        );
    }
);

both_backends!(
    two_unreadable_files_of_one_name_keep_their_own_bytes_in_quarantine,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let first = one.path().join("report.xml");
        let second = two.path().join("report.xml");
        std::fs::write(&first, b"<not a report").unwrap();
        std::fs::write(&second, b"garbage, and different").unwrap();
        for path in [&first, &second] {
            let outcome = import(&store, &settings, path).await;
            quarantined_error(&outcome);
        }
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT stored_path, sha256 FROM quarantined_files ORDER BY id")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert_eq!(rows.len(), 2);
        assert_ne!(rows[0].0, rows[1].0, "distinct quarantine paths");
        for ((stored, sha256), original) in rows.iter().zip([&first, &second]) {
            let kept = std::fs::read(stored).unwrap();
            assert_eq!(kept, std::fs::read(original).unwrap());
            assert_eq!(
                *sha256,
                hex_sha256(&kept),
                "the recorded hash is the kept bytes'"
            );
        }
    }
);

both_backends!(
    concatenated_documents_are_refused_and_an_empty_report_is_recorded_as_empty,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        planned(&store, 3).await;
        run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        let e2e: String = sqlx::query_scalar(
            "SELECT end_to_end_id FROM collections WHERE status = 'submitted' ORDER BY id LIMIT 1",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        let amount: i64 =
            sqlx::query_scalar("SELECT amount_centimes FROM collections WHERE end_to_end_id = $1")
                .bind(&e2e)
                .fetch_one(store.pool())
                .await
                .unwrap();
        let amount = Amount::from_centimes(amount).to_string();
        let incoming = tempfile::tempdir().unwrap();
        let before = footprint(&store).await;

        // The first document books the debit, a second one after it: both refused.
        let path = incoming.path().join("two.xml");
        let two = camt("ONE", &booked(&e2e, &amount)) + &camt("TWO", "");
        std::fs::write(&path, two).unwrap();
        let outcome = import(&store, &settings, &path).await;
        let error = quarantined_error(&outcome);
        assert!(error.contains("content after the root element"), "{error}");
        assert_eq!(footprint(&store).await, before, "nothing applied");

        // A report with no entry: recorded as empty, never as applied.
        let path = incoming.path().join("empty.xml");
        std::fs::write(&path, camt("EMPTY-1", "")).unwrap();
        let outcome = import(&store, &settings, &path).await;
        let ImportOutcome::Empty { report_id, .. } = outcome else {
            panic!("{outcome:?}")
        };
        assert!(outcome.line().contains("recorded as empty"), "{outcome:?}");
        let actions: Vec<String> = sqlx::query_scalar(
            "SELECT action FROM audit_log WHERE entity = 'report' AND entity_id = $1",
        )
        .bind(report_id.to_string())
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(actions, ["report.empty"]);
    }
);

fn item(e2e: Option<&str>, mandate: Option<&str>, centimes: i64, effect: Effect) -> ReportItem {
    ReportItem {
        end_to_end_id: e2e.map(str::to_owned),
        mandate_reference: mandate.map(str::to_owned),
        amount: Some(Amount::from_centimes(centimes)),
        status: Some("BOOK".to_owned()),
        reason_code: None,
        reason_category: None,
        retry_class: None,
        effect,
        facts: Default::default(),
    }
}

fn report(name: &str, items: Vec<ReportItem>) -> NewReport {
    NewReport {
        institution: None,
        file_name: name.to_owned(),
        sha256: format!("{name:0>64}"),
        format: "camt.054.001.02".to_owned(),
        message_id: Some(name.to_owned()),
        original_message_id: None,
        items,
    }
}

fn policy(today: NaiveDate) -> ReconcilePolicy {
    ReconcilePolicy {
        today,
        retry_date: today + chrono::Duration::days(7),
        max_attempts: 3,
    }
}

/// Submitted debits: (id, EndToEndId, amount, mandate reference).
async fn submitted(store: &Store) -> Vec<(i64, String, i64, String)> {
    sqlx::query_as(
        "SELECT c.id, c.end_to_end_id, c.amount_centimes, m.reference FROM collections c \
         JOIN mandates m ON m.id = c.mandate_id WHERE c.status = 'submitted' ORDER BY c.id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

async fn outcomes(store: &Store, name: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT i.outcome FROM report_items i JOIN reports r ON r.id = i.report_id \
         WHERE r.file_name = $1 ORDER BY i.item",
    )
    .bind(name)
    .fetch_all(store.pool())
    .await
    .unwrap()
}

both_backends!(
    a_repeated_end_to_end_id_in_one_report_is_an_exception,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        planned(&store, 3).await;
        run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        let debits = submitted(&store).await;
        let (a, b) = (&debits[0], &debits[1]);
        let summary = store
            .apply_report(
                &Actor::new("test"),
                &report(
                    "repeats",
                    vec![
                        item(Some(&a.1), None, a.2, Effect::Settle),
                        item(Some(&a.1), None, a.2, Effect::Settle),
                        // A booking and its reversal stay a pair (a return), not a repeat.
                        item(Some(&b.1), None, b.2, Effect::Settle),
                        item(Some(&b.1), None, b.2, Effect::Return),
                        // A third booking of a is a repeat too; a repeated reversal of b is.
                        item(Some(&a.1), None, a.2, Effect::Settle),
                        item(Some(&b.1), None, b.2, Effect::Return),
                    ],
                ),
                policy(date()),
            )
            .await
            .unwrap();
        assert_eq!(
            outcomes(&store, "repeats").await,
            [
                "applied",
                "duplicate",
                "applied",
                "applied",
                "duplicate",
                "duplicate"
            ]
        );
        // a settled once; b booked then returned.
        assert_eq!((summary.settled, summary.returned), (2, 1), "{summary:?}");
        assert_eq!(summary.exceptions, 3, "{summary:?}");
        let kinds: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, item FROM exceptions WHERE kind = 'duplicate' ORDER BY item",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(
            kinds,
            [
                ("duplicate".to_owned(), 2),
                ("duplicate".to_owned(), 5),
                ("duplicate".to_owned(), 6)
            ]
        );
    }
);

both_backends!(
    the_mandate_and_amount_fallback_ignores_debits_far_from_the_report,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        planned(&store, 3).await;
        run_date(&store, &settings, &actor(), date(), "t")
            .await
            .unwrap();
        let debits = submitted(&store).await;
        let (a, b) = (&debits[0], &debits[1]);
        let actor = Actor::new("test");
        // A year later, a garbled entry with b's mandate and amount: not b's answer.
        let late = report(
            "late",
            vec![
                item(Some(&a.1), None, a.2, Effect::Settle),
                item(Some("GARBLED-1"), Some(&b.3), b.2, Effect::Settle),
            ],
        );
        store
            .apply_report(&actor, &late, policy(date() + chrono::Duration::days(365)))
            .await
            .unwrap();
        assert_eq!(outcomes(&store, "late").await, ["applied", "unmatched"]);
        let status: String = sqlx::query_scalar("SELECT status FROM collections WHERE id = $1")
            .bind(b.0)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(status, "submitted", "b was not settled by a stray entry");
        // Near the collection date the same fallback finds b.
        let near = report(
            "near",
            vec![item(Some("GARBLED-2"), Some(&b.3), b.2, Effect::Settle)],
        );
        store
            .apply_report(&actor, &near, policy(date() + chrono::Duration::days(3)))
            .await
            .unwrap();
        assert_eq!(outcomes(&store, "near").await, ["applied"]);
        // Only a stray entry, far away: nothing matches, the report is refused whole.
        let stray = report(
            "stray",
            vec![item(Some("GARBLED-3"), Some(&a.3), a.2, Effect::Return)],
        );
        let refused = store
            .apply_report(&actor, &stray, policy(date() - chrono::Duration::days(200)))
            .await;
        assert!(
            matches!(refused, Err(StoreError::Invalid(_))),
            "{refused:?}"
        );
    }
);

both_backends!(
    two_concurrent_runs_of_a_date_never_end_in_a_raw_database_error,
    |db: TestDb| async move {
        let seeding = db.store().await;
        tahsil::demo::seed(&seeding, 40, 3, "2026-10", 7, |_| {})
            .await
            .unwrap();
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        let today = d(2026, 12, 1);
        let (one, two) = (db.store().await, db.store().await);
        let run = |store: Store, holder: &'static str| {
            let settings = settings.clone();
            async move {
                let progress = tahsil::progress::Progress::new();
                tahsil::cycle::collect::plan_and_run(
                    &store,
                    &settings,
                    &Actor::new(holder),
                    date(),
                    today,
                    holder,
                    &progress,
                    |_| {},
                )
                .await
                .map(|_| ())
                .map_err(|e| format!("{e:#}"))
            }
        };
        let (first, second) = tokio::join!(
            tokio::spawn(run(one, "instance-1")),
            tokio::spawn(run(two, "instance-2"))
        );
        let results = [first.unwrap(), second.unwrap()];
        assert!(results.iter().any(Result::is_ok), "{results:?}");
        for result in &results {
            if let Err(message) = result {
                assert!(
                    message.contains("is in progress on instance-"),
                    "the run lock's message, not {message:?}"
                );
                assert!(!message.contains("duplicate key"), "{message}");
            }
        }
        assert_eq!(
            scalar(
                &seeding,
                "SELECT COUNT(*) FROM collections WHERE status = 'submitted'"
            )
            .await,
            40,
            "every employer debited once"
        );
    }
);

/// The mode bits of `path`.
#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[test]
fn database_key_mail_and_exchange_files_are_private_under_umask_0022() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let exchange = dir.path().join("exchange");
    let url = format!("sqlite://{}", db.display());
    // Every command through a shell that sets the umask most systems use.
    let tahsil = |args: &[&str]| {
        Command::new("sh")
            .arg("-c")
            .arg("umask 0022; exec \"$@\"")
            .arg("sh")
            .arg(env!("CARGO_BIN_EXE_tahsil"))
            .args(["--database-url", &url])
            .args(args)
            .env_remove("TAHSIL_DATABASE_URL")
            .env_remove("TAHSIL_ENCRYPTION_KEY")
            .env_remove("TAHSIL_MAIL_DIR")
            .env_remove("TAHSIL_SMTP_URL")
            .env("TAHSIL_CLOCK", "2026-12-02T09:00:00+01:00")
            .env("TAHSIL_EXCHANGE_DIR", &exchange)
            .output()
            .unwrap()
    };
    let control = dir.path().join("control");
    let touched = Command::new("sh")
        .arg("-c")
        .arg("umask 0022; touch \"$0\"")
        .arg(&control)
        .status()
        .unwrap();
    assert!(touched.success());
    assert_eq!(mode(&control), 0o644, "the umask lets others read");

    let seeded = tahsil(&["seed", "--employers", "5"]);
    assert!(seeded.status.success(), "{seeded:?}");
    let ran = tahsil(&["run"]);
    assert!(ran.status.success(), "{ran:?}");
    let sent = tahsil(&["notices", "--send"]);
    assert!(sent.status.success(), "{sent:?}");
    let garbage = dir.path().join("garbage.xml");
    std::fs::write(&garbage, b"<not a report").unwrap();
    let imported = tahsil(&["import", garbage.to_str().unwrap()]);
    assert_eq!(imported.status.code(), Some(1), "{imported:?}");

    for suffix in ["", ".key", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        if suffix.is_empty() || suffix == ".key" || file.exists() {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }
    let mut files = 0;
    for folder in [
        exchange.clone(),
        exchange.join("bank"),
        exchange.join("bank/outbox"),
        exchange.join("poste/outbox"),
        exchange.join("unknown/quarantine"),
        db.parent().unwrap().join("mail"),
    ] {
        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                files += 1;
            }
        }
    }
    assert!(
        files >= 5,
        "outbox files, their sums, notices, quarantine: {files}"
    );
    let mails = std::fs::read_dir(db.parent().unwrap().join("mail"))
        .unwrap()
        .count();
    assert!(mails > 0, "notices were written");
}
