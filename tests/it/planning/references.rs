//! The references of `collection_lines` hold on both databases (issue 19): on SQLite they
//! are foreign keys, on PostgreSQL statement-level checks (migration 0038). A line naming a
//! collection or declaration line that does not exist is refused, whole statement and all;
//! a collection or declaration line that still has lines cannot be deleted or renumbered;
//! on PostgreSQL a delete racing an insert of lines waits for it and is then refused.

use super::*;

/// Runs one statement; its error, if any.
async fn exec(store: &Store, sql: &str) -> Result<u64, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(store.pool())
        .await
        .map(|done| done.rows_affected())
}

/// Asserts `sql` is refused as a broken reference.
async fn refused(store: &Store, sql: &str) {
    match exec(store, sql).await {
        Ok(rows) => panic!("accepted ({rows} rows): {sql}"),
        Err(err) => assert!(
            err.as_database_error()
                .is_some_and(|e| e.is_foreign_key_violation()),
            "{sql}: refused, but not as a broken reference: {err}"
        ),
    }
}

async fn accepted(store: &Store, sql: &str) {
    let result = exec(store, sql).await;
    assert!(result.is_ok(), "{sql}: {result:?}");
}

/// The ids of an employer's declaration lines of `period`.
async fn line_ids(store: &Store, employer: i64, period: &str) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT l.id FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
         WHERE d.employer_id = {employer} AND d.period = '{period}' ORDER BY l.id"
    )))
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// A planned collection written by hand (nothing else refers to it).
async fn bare_collection(store: &Store, employer: i64, mandate: i64) -> i64 {
    accepted(
        store,
        &format!(
            "INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes, \
             status, attempt, end_to_end_id, noticed_on, created_at, updated_at) VALUES \
             ({employer}, {mandate}, 'bank', '2027-01-17', 100, 'planned', 1, 'REFS1', '2026-12-01', 'x', 'x')"
        ),
    )
    .await;
    scalar(
        store,
        "SELECT id FROM collections WHERE end_to_end_id = 'REFS1'",
    )
    .await
}

both_backends!(
    collection_lines_name_existing_collections_and_declaration_lines,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let s = &store;
        let a = employer_with_worksites(s, "16000001", &["W1", "W2"]).await;
        let mandate = signed_mandate(s, a, "004 00174 4010010504 86", None).await;
        declare(s, a, "2026-11", &[("W1", "100000.00"), ("W2", "50000.00")]).await;
        s.plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 1))
            .await
            .unwrap();
        let planned = debit(s, a, "2026-12-15").await.unwrap().id;
        let november = line_ids(s, a, "2026-11").await;
        assert_eq!(november.len(), 2);
        assert_eq!(
            scalar(
                s,
                &format!("SELECT COUNT(*) FROM collection_lines WHERE collection_id = {planned}")
            )
            .await,
            2
        );
        declare(s, a, "2026-12", &[("W1", "10000.00")]).await;
        let december = line_ids(s, a, "2026-12").await[0];
        let bare = bare_collection(s, a, mandate).await;
        let lines = "SELECT COUNT(*) FROM collection_lines";
        let before = scalar(s, lines).await;

        // Orphans inserted by hand: refused, the whole statement with them.
        let missing = 999_999_999;
        refused(
            s,
            &format!(
                "INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live) \
                 VALUES ({missing}, {december}, 100, 0)"
            ),
        )
        .await;
        refused(
            s,
            &format!(
                "INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live) \
                 VALUES ({bare}, {missing}, 100, 0)"
            ),
        )
        .await;
        refused(
            s,
            &format!(
                "INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live) \
                 VALUES ({bare}, {december}, 100, 0), ({bare}, {missing}, 100, 0)"
            ),
        )
        .await;
        assert_eq!(
            scalar(s, lines).await,
            before,
            "no line of a refused statement stays"
        );

        // The same line naming existing rows is accepted (the checks refuse only orphans).
        accepted(
            s,
            &format!(
                "INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live) \
                 VALUES ({bare}, {december}, 100, 0)"
            ),
        )
        .await;
        assert_eq!(scalar(s, lines).await, before + 1);

        // A line's keys changed to a missing row: refused; to an existing one: accepted.
        refused(
            s,
            &format!(
                "UPDATE collection_lines SET declaration_line_id = {missing} \
                 WHERE collection_id = {bare}"
            ),
        )
        .await;
        refused(
            s,
            &format!(
                "UPDATE collection_lines SET collection_id = {missing} WHERE collection_id = {bare}"
            ),
        )
        .await;

        // Parents that still have lines: not deleted, not renumbered.
        refused(s, &format!("DELETE FROM collections WHERE id = {bare}")).await;
        refused(
            s,
            &format!("UPDATE collections SET id = {missing} WHERE id = {bare}"),
        )
        .await;
        refused(
            s,
            &format!("DELETE FROM declaration_lines WHERE id = {december}"),
        )
        .await;
        refused(
            s,
            &format!("UPDATE declaration_lines SET id = {missing} WHERE id = {december}"),
        )
        .await;
        refused(
            s,
            &format!(
                "DELETE FROM declaration_lines WHERE id IN ({}, {})",
                november[0], november[1]
            ),
        )
        .await;
        assert_eq!(line_ids(s, a, "2026-12").await, vec![december]);
        assert_eq!(line_ids(s, a, "2026-11").await, november);

        // Once their lines are gone they can be (the checks are about the lines only).
        accepted(
            s,
            &format!("DELETE FROM collection_lines WHERE collection_id = {bare}"),
        )
        .await;
        accepted(
            s,
            &format!("UPDATE collections SET id = {missing} WHERE id = {bare}"),
        )
        .await;
        accepted(s, &format!("DELETE FROM collections WHERE id = {missing}")).await;
        accepted(
            s,
            &format!("DELETE FROM declaration_lines WHERE id = {december}"),
        )
        .await;
        assert_eq!(scalar(s, lines).await, before);
    }
);

/// PostgreSQL: a delete of a declaration line racing the insert of a line naming it waits
/// for the inserting transaction (the line's check locks what it names) and is refused
/// once that commits; a line naming a declaration line deleted by a transaction that
/// committed first is refused. Under READ COMMITTED, as the store runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_racing_delete_of_a_referenced_line_is_refused_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
    let s = &store;
    let a = employer_with_worksites(s, "16000001", &["W1"]).await;
    let mandate = signed_mandate(s, a, "004 00174 4010010504 86", None).await;
    declare(s, a, "2026-12", &[("W1", "10000.00")]).await;
    let line = line_ids(s, a, "2026-12").await[0];
    let bare = bare_collection(s, a, mandate).await;
    let insert = format!(
        "INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live) \
         VALUES ({bare}, {line}, 100, 0)"
    );
    let delete = format!("DELETE FROM declaration_lines WHERE id = {line}");

    // The insert first: the delete waits for it, then is refused.
    let mut planner = s.pool().begin().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
        .execute(&mut *planner)
        .await
        .unwrap();
    let pool = s.pool().clone();
    let deleting = tokio::spawn({
        let delete = delete.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(delete))
                .execute(&pool)
                .await
                .map(|_| ())
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !deleting.is_finished(),
        "the delete waits for the transaction holding a line of it"
    );
    planner.commit().await.unwrap();
    let err = deleting.await.unwrap().unwrap_err();
    assert!(
        err.as_database_error()
            .is_some_and(|e| e.is_foreign_key_violation()),
        "{err}"
    );
    accepted(
        s,
        &format!("DELETE FROM collection_lines WHERE collection_id = {bare}"),
    )
    .await;

    // The delete first: the insert waits for it, then is refused.
    let mut corrector = s.pool().begin().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(delete))
        .execute(&mut *corrector)
        .await
        .unwrap();
    let pool = s.pool().clone();
    let inserting = tokio::spawn(async move {
        sqlx::query(sqlx::AssertSqlSafe(insert))
            .execute(&pool)
            .await
            .map(|_| ())
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !inserting.is_finished(),
        "the insert waits for the transaction deleting what it names"
    );
    corrector.commit().await.unwrap();
    let err = inserting.await.unwrap().unwrap_err();
    assert!(
        err.as_database_error()
            .is_some_and(|e| e.is_foreign_key_violation()),
        "{err}"
    );
    assert_eq!(
        scalar(s, "SELECT COUNT(*) FROM collection_lines WHERE live = 0").await,
        0
    );
}

// The references a run writes hold on both databases (issue 19): on SQLite foreign keys,
// on PostgreSQL statement-level checks since migration 0042. A collection or a ledger
// entry naming a row that does not exist is refused, inserted or (a collection) updated;
// a row a collection or a ledger entry names cannot be deleted or renumbered.
both_backends!(
    collections_and_ledger_entries_name_existing_rows,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let s = &store;
        let a = employer_with_worksites(s, "16000001", &["W1"]).await;
        let mandate = signed_mandate(s, a, "004 00174 4010010504 86", None).await;
        let bare = bare_collection(s, a, mandate).await;
        let missing = 999_999_999;
        accepted(
            s,
            "INSERT INTO runs (collection_date, status, holder, lease_until, started_at) \
             VALUES ('2027-01-17', 'complete', '', 'x', 'x')",
        )
        .await;
        let run = scalar(
            s,
            "SELECT id FROM runs WHERE collection_date = '2027-01-17'",
        )
        .await;
        accepted(
            s,
            &format!(
                "INSERT INTO bank_files (run_id, institution, channel, sequence, file_name, format, message_id, \
                 collection_date, created_at, transactions, control_sum_centimes, sha256, size_bytes) \
                 VALUES ({run}, 'bank', 'bank', 1, 'f', 'pain.008.001.02', 'M', '2027-01-17', 'x', 1, 100, '', 0)"
            ),
        )
        .await;
        let file = scalar(s, "SELECT id FROM bank_files WHERE file_name = 'f'").await;
        let collections = "SELECT COUNT(*) FROM collections";
        let before = scalar(s, collections).await;

        // A collection inserted naming a missing row, each reference in turn: refused.
        let insert = |employer: i64, mandate: i64, rest: &str, values: &str| {
            format!(
                "INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes, \
                 status, attempt, end_to_end_id, noticed_on, created_at, updated_at{rest}) VALUES \
                 ({employer}, {mandate}, 'bank', '2027-01-18', 100, 'planned', 1, 'REFS2', '2026-12-01', 'x', 'x'{values})"
            )
        };
        refused(s, &insert(missing, mandate, "", "")).await;
        refused(s, &insert(a, missing, "", "")).await;
        for column in ["retry_of", "bank_file_id", "report_id"] {
            refused(
                s,
                &insert(a, mandate, &format!(", {column}"), &format!(", {missing}")),
            )
            .await;
        }
        assert_eq!(
            scalar(s, collections).await,
            before,
            "nothing refused stays"
        );
        // Naming rows that exist: accepted.
        accepted(
            s,
            &insert(
                a,
                mandate,
                ", retry_of, bank_file_id",
                &format!(", {bare}, {file}"),
            ),
        )
        .await;
        let retry = scalar(
            s,
            "SELECT id FROM collections WHERE end_to_end_id = 'REFS2'",
        )
        .await;

        // A collection's reference updated to a missing row: refused; to an existing one:
        // accepted.
        for column in [
            "employer_id",
            "mandate_id",
            "retry_of",
            "bank_file_id",
            "report_id",
        ] {
            refused(
                s,
                &format!("UPDATE collections SET {column} = {missing} WHERE id = {bare}"),
            )
            .await;
        }
        accepted(
            s,
            &format!("UPDATE collections SET bank_file_id = {file} WHERE id = {bare}"),
        )
        .await;

        // Ledger entries naming a missing row, each reference in turn: refused.
        let entry = |column: &str, value: i64| {
            format!(
                "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
                 memo_centimes, recorded_at{column}) VALUES \
                 ({}, 'debit_presented', 'refs:{value}', '2027-01-17', 0, 100, 'x'{})",
                if column.is_empty() { value } else { a },
                if column.is_empty() {
                    String::new()
                } else {
                    format!(", {value}")
                }
            )
        };
        refused(s, &entry("", missing)).await;
        for column in [
            "collection_id",
            "payment_id",
            "report_id",
            "surcharge_id",
            "assessment_id",
        ] {
            refused(s, &entry(&format!(", {column}"), missing)).await;
        }
        accepted(s, &entry(", collection_id", bare)).await;

        // Rows still named: not deleted, not renumbered.
        refused(s, &format!("DELETE FROM collections WHERE id = {bare}")).await;
        refused(
            s,
            &format!("UPDATE collections SET id = {missing} WHERE id = {bare}"),
        )
        .await;
        refused(s, &format!("DELETE FROM bank_files WHERE id = {file}")).await;
        refused(
            s,
            &format!("UPDATE bank_files SET id = {missing} WHERE id = {file}"),
        )
        .await;
        refused(s, &format!("DELETE FROM mandates WHERE id = {mandate}")).await;
        refused(s, &format!("DELETE FROM employers WHERE id = {a}")).await;
        // The retry names `bare` and `file`; once it is gone, the file is named by `bare`
        // alone, and once that points elsewhere, the file can go.
        accepted(s, &format!("DELETE FROM collections WHERE id = {retry}")).await;
        refused(s, &format!("DELETE FROM bank_files WHERE id = {file}")).await;
        accepted(
            s,
            &format!("UPDATE collections SET bank_file_id = NULL WHERE id = {bare}"),
        )
        .await;
        accepted(s, &format!("DELETE FROM bank_files WHERE id = {file}")).await;
    }
);
