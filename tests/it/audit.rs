//! The audit trail as a hash chain (issue 17, finding 16): `audit verify` passes on a normal
//! history and names an edited entry, a deleted one and a truncated history (against the
//! head, and against an anchor taken earlier); TRUNCATE is refused on PostgreSQL; appends
//! from concurrent transactions keep one chain. Tampering goes around the triggers, as an
//! attacker with the database's owner rights would: the triggers disabled (PostgreSQL) or
//! dropped (SQLite) for the edit.

use std::process::{Command, Output};

use tahsil::store::{AuditBreak, AuditHead, Store};

use crate::both_backends;
use crate::harness::fixtures::{actor, d, employer_with_worksites, planned, scalar};
use crate::harness::{TestDb, test_key_base64};

fn tahsil(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .arg("--database-url")
        .arg(&db.url)
        .args(args)
        .env_remove("TAHSIL_DATABASE_URL")
        .env("TAHSIL_ENCRYPTION_KEY", test_key_base64())
        .env_remove("TAHSIL_CLOCK")
        .output()
        .expect("run tahsil")
}

/// A history with single entries (employers) and set-based ones (a plan of 4 debits).
async fn history(store: &Store) {
    employer_with_worksites(store, "16000101", &["A"]).await;
    planned(store, 4).await;
    employer_with_worksites(store, "16000102", &["A", "B"]).await;
}

/// Runs `sql` with the audit trail's triggers out of the way, as an attacker would.
async fn tamper(db: &TestDb, store: &Store, sql: &str) {
    let mut conn = store.pool().acquire().await.unwrap();
    let around: &[&str] = if db.backend == "postgres" {
        &[
            "ALTER TABLE audit_log DISABLE TRIGGER USER",
            "ALTER TABLE audit_head DISABLE TRIGGER USER",
        ]
    } else {
        &[
            "DROP TRIGGER IF EXISTS audit_log_no_update",
            "DROP TRIGGER IF EXISTS audit_log_no_delete",
            "DROP TRIGGER IF EXISTS audit_head_forward_only",
        ]
    };
    for statement in around {
        sqlx::query(*statement).execute(&mut *conn).await.unwrap();
    }
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut *conn)
        .await
        .unwrap();
    if db.backend == "postgres" {
        for table in ["audit_log", "audit_head"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE {table} ENABLE TRIGGER USER"
            )))
            .execute(&mut *conn)
            .await
            .unwrap();
        }
    }
}

/// The hash of entry `seq` recomputed from its stored fields by the encoding the README
/// documents (SHA-256 of the tag, then each field as an 8-byte big-endian length and its
/// bytes), independently of the store's code.
async fn stored_hash_of(store: &Store, seq: i64) -> String {
    use sha2::{Digest, Sha256};
    let row: (String, String, String, String, String, String, String) =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT prev_hash, at, actor, action, entity, entity_id, detail FROM audit_log \
             WHERE seq = {seq}"
        )))
        .fetch_one(store.pool())
        .await
        .unwrap();
    let seq = seq.to_string();
    let mut digest = Sha256::new();
    digest.update(b"tahsil audit entry v1");
    for field in [&row.0, &seq, &row.1, &row.2, &row.3, &row.4, &row.5, &row.6] {
        digest.update((field.len() as u64).to_be_bytes());
        digest.update(field.as_bytes());
    }
    hex::encode(digest.finalize())
}

async fn broken(store: &Store, anchor: Option<&AuditHead>) -> Option<AuditBreak> {
    store.verify_audit(anchor).await.unwrap().broken
}

both_backends!(
    a_normal_history_verifies_and_its_head_is_the_last_entry,
    |db: TestDb| async move {
        let store = db.store().await;
        history(&store).await;
        let total = scalar(&store, "SELECT COUNT(*) FROM audit_log").await;
        let planned = scalar(
            &store,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'collection.planned' AND hash IS NOT NULL",
        )
        .await;
        assert_eq!(planned, 4, "set-based entries are chained too");
        let walked = store.verify_audit(None).await.unwrap();
        assert_eq!(walked.broken, None);
        assert_eq!(walked.entries, total, "every entry has its place");
        let head = store.audit_head().await.unwrap();
        assert_eq!(walked.last, head);
        assert_eq!(head.seq, total);
        let last: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT hash FROM audit_log WHERE seq = {total}"
        )))
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(head.hash, last);
        for seq in 1..=total {
            let stored: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT hash FROM audit_log WHERE seq = {seq}"
            )))
            .fetch_one(store.pool())
            .await
            .unwrap();
            assert_eq!(stored, stored_hash_of(&store, seq).await, "entry {seq}");
        }
        store.close().await;

        let printed = tahsil(&db, &["audit", "head"]);
        assert!(printed.status.success(), "{printed:?}");
        assert_eq!(
            String::from_utf8_lossy(&printed.stdout).trim(),
            head.to_string()
        );
        let verified = tahsil(&db, &["audit", "verify", "--anchor", &head.to_string()]);
        assert!(verified.status.success(), "{verified:?}");
        let text = String::from_utf8_lossy(&verified.stdout);
        assert!(text.contains("intact"), "{text}");
        assert!(text.contains(&head.to_string()), "{text}");
    }
);

both_backends!(an_edited_entry_is_named, |db: TestDb| async move {
    let store = db.store().await;
    history(&store).await;
    assert_eq!(broken(&store, None).await, None);
    let id = scalar(&store, "SELECT id FROM audit_log WHERE seq = 3").await;
    tamper(
        &db,
        &store,
        "UPDATE audit_log SET detail = '{\"forged\":true}' WHERE seq = 3",
    )
    .await;
    let walked = store.verify_audit(None).await.unwrap();
    assert_eq!(walked.broken, Some(AuditBreak::Edited { seq: 3, id }));
    assert_eq!(walked.last.seq, 2, "the chain holds up to the entry before");

    // The forger re-hashes the edited entry: the link after it breaks.
    let forged = stored_hash_of(&store, 3).await;
    tamper(
        &db,
        &store,
        &format!("UPDATE audit_log SET hash = '{forged}' WHERE seq = 3"),
    )
    .await;
    let next = scalar(&store, "SELECT id FROM audit_log WHERE seq = 4").await;
    assert_eq!(
        broken(&store, None).await,
        Some(AuditBreak::Relinked { seq: 4, id: next })
    );
    tamper(
        &db,
        &store,
        &format!("UPDATE audit_log SET prev_hash = '{forged}' WHERE seq = 4"),
    )
    .await;
    assert_eq!(
        broken(&store, None).await,
        Some(AuditBreak::Edited { seq: 4, id: next })
    );
    store.close().await;

    let output = tahsil(&db, &["audit", "verify"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("entry 4"), "{text}");
    assert!(text.contains("edited"), "{text}");
});

both_backends!(
    a_deleted_entry_is_a_gap_in_the_sequence,
    |db: TestDb| async move {
        let store = db.store().await;
        history(&store).await;
        tamper(&db, &store, "DELETE FROM audit_log WHERE seq = 5").await;
        assert_eq!(
            broken(&store, None).await,
            Some(AuditBreak::Missing { from: 5, to: 5 })
        );
        store.close().await;
        let output = tahsil(&db, &["audit", "verify"]);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let text = String::from_utf8_lossy(&output.stderr);
        assert!(text.contains("entry 5 is missing"), "{text}");
    }
);

both_backends!(
    a_truncated_history_is_caught_by_the_head_and_by_an_earlier_anchor,
    |db: TestDb| async move {
        let store = db.store().await;
        history(&store).await;
        let anchor = store.audit_head().await.unwrap();
        employer_with_worksites(&store, "16000103", &["A"]).await;
        let head = store.audit_head().await.unwrap();
        assert!(head.seq > anchor.seq);
        assert_eq!(broken(&store, Some(&anchor)).await, None);

        // The tail cut off: the head still names the last entry written.
        let keep = anchor.seq - 3;
        tamper(
            &db,
            &store,
            &format!("DELETE FROM audit_log WHERE seq > {keep}"),
        )
        .await;
        let kept: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT hash FROM audit_log WHERE seq = {keep}"
        )))
        .fetch_one(store.pool())
        .await
        .unwrap();
        let last = AuditHead {
            seq: keep,
            hash: kept.clone(),
        };
        assert_eq!(
            broken(&store, None).await,
            Some(AuditBreak::Truncated {
                last: last.clone(),
                head
            })
        );

        // The head moved back too: only the anchor kept outside still knows.
        tamper(
            &db,
            &store,
            &format!("UPDATE audit_head SET seq = {keep}, hash = '{kept}'"),
        )
        .await;
        assert_eq!(broken(&store, None).await, None);
        assert_eq!(
            broken(&store, Some(&anchor)).await,
            Some(AuditBreak::TruncatedBeforeAnchor {
                last,
                anchor: anchor.clone()
            })
        );
        store.close().await;
        let output = tahsil(&db, &["audit", "verify", "--anchor", &anchor.to_string()]);
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let text = String::from_utf8_lossy(&output.stderr);
        assert!(text.contains("truncated"), "{text}");
    }
);

both_backends!(
    an_emptied_trail_is_truncated_and_a_rewritten_one_differs_from_the_anchor,
    |db: TestDb| async move {
        let store = db.store().await;
        history(&store).await;
        let anchor = store.audit_head().await.unwrap();
        tamper(&db, &store, "DELETE FROM audit_log").await;
        assert!(matches!(
            broken(&store, None).await,
            Some(AuditBreak::Truncated { .. })
        ));
        assert!(matches!(
            broken(&store, Some(&anchor)).await,
            Some(AuditBreak::TruncatedBeforeAnchor { .. })
        ));
        // A history written afresh to the same length does not reach the anchor's hash.
        tamper(
            &db,
            &store,
            "UPDATE audit_head SET seq = 0, hash = '0000000000000000000000000000000000000000000000000000000000000000'",
        )
        .await;
        for n in 0..anchor.seq {
            employer_with_worksites(&store, &format!("1700{n:04}"), &[]).await;
            if store.audit_head().await.unwrap().seq >= anchor.seq {
                break;
            }
        }
        assert!(matches!(
            broken(&store, Some(&anchor)).await,
            Some(AuditBreak::AnchorDiffers { .. })
        ));
    }
);

both_backends!(the_head_only_moves_forward, |db: TestDb| async move {
    let store = db.store().await;
    history(&store).await;
    for sql in [
        "UPDATE audit_head SET seq = 1",
        "UPDATE audit_head SET hash = 'f00d'",
        "DELETE FROM audit_head",
    ] {
        let result = sqlx::query(sql).execute(store.pool()).await;
        assert!(result.is_err(), "{sql} must fail");
    }
    assert_eq!(broken(&store, None).await, None);
});

#[tokio::test]
async fn truncate_is_refused_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = db.store().await;
    history(&store).await;
    let before = scalar(&store, "SELECT COUNT(*) FROM audit_log").await;
    for table in ["audit_log", "audit_head"] {
        let result = sqlx::query(sqlx::AssertSqlSafe(format!("TRUNCATE {table}")))
            .execute(store.pool())
            .await;
        let err = result.expect_err("TRUNCATE must be refused");
        assert!(err.to_string().contains(table), "{err}");
    }
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM audit_log").await,
        before
    );
    assert_eq!(broken(&store, None).await, None);
}

both_backends!(concurrent_appends_keep_one_chain, |db: TestDb| async move {
    let store = db.store().await;
    tahsil::demo::seed(&store, 20, 3, "2026-10", 7, |_| {})
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for worker in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..8 {
                employer_with_worksites(&store, &format!("18{worker:02}{n:04}"), &["A"]).await;
            }
        }));
    }
    // Set-based appends at the same time: planning another date audits every debit.
    let planner = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 1))
                .await
                .unwrap()
                .planned
        })
    };
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(planner.await.unwrap(), 20);
    let total = scalar(&store, "SELECT COUNT(*) FROM audit_log").await;
    let walked = store.verify_audit(None).await.unwrap();
    assert_eq!(walked.broken, None);
    assert_eq!(walked.entries, total);
    assert_eq!(
        scalar(&store, "SELECT COUNT(DISTINCT prev_hash) FROM audit_log").await,
        total,
        "no two entries follow the same one: the chain never forked"
    );
});

both_backends!(
    entries_from_before_the_chain_are_anchored_and_still_checked,
    |db: TestDb| async move {
        // A database as it stood before migration 0017, with a trail written then.
        let old = Store::connect(
            &db.url,
            2,
            tahsil::crypto::AccountCipher::from_key(&[42u8; 32]),
            mandates::BankTable::algeria_default(),
        )
        .await
        .unwrap();
        let folder = if db.backend == "postgres" {
            "postgres"
        } else {
            "sqlite"
        };
        let migrator = sqlx::migrate::Migrator::new(std::path::Path::new(&format!(
            "{}/migrations/{folder}",
            env!("CARGO_MANIFEST_DIR")
        )))
        .await
        .unwrap();
        migrator.run_to(16, old.pool()).await.unwrap();
        for n in 1..=3 {
            sqlx::query(
                "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) \
                 VALUES ('2026-11-30T10:00:00Z', 'cli', 'employer.created', 'employer', $1, '{}')",
            )
            .bind(n.to_string())
            .execute(old.pool())
            .await
            .unwrap();
        }
        old.close().await;

        let store = db.store().await;
        employer_with_worksites(&store, "16000201", &["A"]).await;
        let walked = store.verify_audit(None).await.unwrap();
        assert_eq!(walked.broken, None);
        assert_eq!(walked.earlier_entries, 3);
        assert_eq!(
            walked.entries,
            scalar(&store, "SELECT COUNT(*) FROM audit_log").await - 3
        );
        let first_prev: String =
            sqlx::query_scalar("SELECT prev_hash FROM audit_log WHERE seq = 1")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_ne!(
            first_prev,
            "0".repeat(64),
            "the chain starts from the earlier entries' anchor"
        );

        // An edit among the earlier entries is still detected.
        tamper(
            &db,
            &store,
            "UPDATE audit_log SET actor = 'someone' WHERE seq IS NULL AND entity_id = '2'",
        )
        .await;
        let through = scalar(&store, "SELECT legacy_through FROM audit_head").await;
        assert_eq!(
            broken(&store, None).await,
            Some(AuditBreak::EarlierEntriesChanged { through })
        );
        tamper(
            &db,
            &store,
            "UPDATE audit_log SET actor = 'cli' WHERE seq IS NULL AND entity_id = '2'",
        )
        .await;
        assert_eq!(broken(&store, None).await, None);

        // An entry written around the store has no place in the chain.
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) \
             VALUES ('2026-12-01T10:00:00Z', 'cli', 'employer.created', 'employer', '9', '{}')",
        )
        .execute(store.pool())
        .await
        .unwrap();
        assert!(matches!(
            broken(&store, None).await,
            Some(AuditBreak::Unchained { .. })
        ));
    }
);
