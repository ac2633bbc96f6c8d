//! Runs: the SQL side of building debit files for a collection date. The run module
//! (`crate::cycle::run`) writes the bytes; this records them.
//!
//! Order of a run, chosen so a crash at any point leaves the invariants true:
//! 1. take the date's run lock (`runs`, a lease a dead holder loses when it expires);
//! 2. re-check planned collections (mandate active, ceiling, notice), cancelling the rest;
//! 3. list the eligible collections, write each file under a temporary name, fsync;
//! 4. **one transaction** records every file (sequence, hash, counts, control sum) and
//!    marks its collections `submitted` — all or nothing. It is opened while the files
//!    are written (`begin_recording`: the rows as planned, the collections marked, their
//!    audit entries; the writers read the committed, still planned, rows) and commits
//!    once every file is written and matches its plan (`FileRecording::finish`);
//! 5. rename the files into place; mark the run complete.
//!
//! A crash before 4 leaves temporary files only (removed by the next run); a crash between
//! 4 and 5 leaves a run `building` with recorded files, which the next run finishes by
//! renaming the temporary file or regenerating the same bytes from the records (the
//! generation is deterministic and checked against the recorded hash).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use futures_util::TryStreamExt;
use mandates::{AccountId, Amount};
use serde::Serialize;
use sqlx::FromRow;

use super::dialect::DebitReads;
use super::{Actor, Store, StoreError, StoreResult};

/// The lock on one collection date's run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunLock {
    pub run_id: i64,
    pub collection_date: NaiveDate,
    pub holder: String,
    /// True when the previous holder left the run half-done (files recorded, maybe not in place).
    pub resumed: bool,
}

/// What the re-checks before a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RecheckSummary {
    pub mandate_inactive: u64,
    pub over_ceiling: u64,
    pub notice_late: u64,
}

/// A contiguous part of one debit file: the collections of one sequence type with ids
/// `first_id..=last_id` (in file order, sequence type then id), their count and sum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileBlock {
    /// Which file of the channel's run (0, 1, …) it belongs to.
    pub file: i64,
    pub sequence_type: String,
    pub first_id: i64,
    pub last_id: i64,
    pub count: u64,
    pub amount: Amount,
}

type BlockRow = (i64, String, i64, i64, i64, i64);

impl FileBlock {
    fn from_row((file, sequence_type, first_id, last_id, count, sum): BlockRow) -> Self {
        FileBlock {
            file,
            sequence_type,
            first_id,
            last_id,
            count: u64::try_from(count).unwrap_or(0),
            amount: Amount::from_centimes(sum),
        }
    }
}

/// One collection with what a debit file needs. The account is decrypted here (the one
/// purpose it is decrypted for) and never leaves the file writer.
#[derive(Clone, PartialEq, Eq)]
pub struct DebitDetail {
    pub id: i64,
    pub sequence_type: String,
    pub end_to_end_id: String,
    pub amount: Amount,
    pub mandate_reference: String,
    pub mandate_signed_on: NaiveDate,
    pub debtor_name: String,
    pub account: AccountId,
    pub affiliation_number: String,
}

impl std::fmt::Debug for DebitDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DebitDetail")
            .field("id", &self.id)
            .field("end_to_end_id", &self.end_to_end_id)
            .field("amount", &self.amount)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// A file about to be recorded, with the collections it holds (ranges of ids within a
/// sequence type, as listed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBankFile {
    pub institution: String,
    pub channel: String,
    pub sequence: i64,
    pub file_name: String,
    pub format: String,
    pub message_id: String,
    pub created_at: NaiveDateTime,
    pub transactions: u64,
    pub control_sum: Amount,
    pub sha256: String,
    pub size_bytes: u64,
    /// (sequence type, first id, last id, count) per block.
    pub blocks: Vec<(String, i64, i64, u64)>,
}

/// A recorded debit file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct BankFileRecord {
    pub id: i64,
    pub run_id: i64,
    pub institution: String,
    pub channel: String,
    pub sequence: i64,
    pub file_name: String,
    pub format: String,
    pub message_id: String,
    pub collection_date: String,
    pub created_at: String,
    pub transactions: i64,
    pub control_sum_centimes: i64,
    pub sha256: String,
    pub size_bytes: i64,
    pub downloaded_at: Option<String>,
}

const BANK_FILE_COLUMNS: &str = "id, run_id, institution, channel, sequence, file_name, format, message_id, \
     collection_date, created_at, transactions, control_sum_centimes, sha256, size_bytes, downloaded_at";

/// One debit's columns, from a row or from one element of a chunk's JSON array (same order).
#[derive(FromRow, serde::Deserialize)]
struct DetailRow {
    id: i64,
    sequence_type: Option<String>,
    end_to_end_id: String,
    amount_centimes: i64,
    reference: String,
    signed_at: Option<String>,
    name: String,
    affiliation_number: String,
    number_encrypted: String,
}

const DETAIL_COLUMNS: &str = "c.id, c.sequence_type, c.end_to_end_id, c.amount_centimes, m.reference, \
     m.signed_at, e.name, e.affiliation_number, a.number_encrypted";
const DETAIL_TABLES: &str = "collections c JOIN mandates m ON m.id = c.mandate_id \
     JOIN accounts a ON a.id = m.account_id JOIN employers e ON e.id = c.employer_id";

/// Debits read per query by the file writers on SQLite, as one JSON array: one row handed
/// from the database per chunk instead of one per debit (each row crosses from the
/// connection's thread to the writer's task, which cost more than the row itself; with
/// PostgreSQL's row stream the JSON only added server work, so it reads rows).
const DETAIL_CHUNK: i64 = 1_000;

impl Store {
    /// Takes the run lock of `date` for `lease`, or says who holds it.
    pub async fn lock_run(
        &self,
        date: NaiveDate,
        holder: &str,
        lease: Duration,
    ) -> StoreResult<RunLock> {
        let now = self.now();
        let until = super::lease_timestamp(now + lease);
        let now_text = super::lease_timestamp(now);
        let date_text = date.to_string();
        let mut tx = self.begin_write().await?;
        let previous: Option<String> =
            sqlx::query_scalar("SELECT status FROM runs WHERE collection_date = $1")
                .bind(&date_text)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO runs (collection_date, status, holder, lease_until, started_at) \
             VALUES ($1, 'complete', '', $2, $2) ON CONFLICT (collection_date) DO NOTHING",
        )
        .bind(&date_text)
        .bind(&now_text)
        .execute(&mut *tx)
        .await?;
        // Take it if it is complete (a new pass) or its lease ran out (the holder died).
        let taken = sqlx::query(
            "UPDATE runs SET status = 'building', holder = $2, lease_until = $3, started_at = $4, finished_at = NULL \
             WHERE collection_date = $1 AND (status = 'complete' OR lease_until < $4 OR holder = $2)",
        )
        .bind(&date_text)
        .bind(holder)
        .bind(&until)
        .bind(&now_text)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let (run_id, current_holder, lease_until): (i64, String, String) =
            sqlx::query_as("SELECT id, holder, lease_until FROM runs WHERE collection_date = $1")
                .bind(&date_text)
                .fetch_one(&mut *tx)
                .await?;
        if taken == 0 {
            tx.rollback().await?;
            return Err(StoreError::Conflict(format!(
                "the run of {date} is in progress on {current_holder} (lease until {lease_until}); wait for it, or retry after the lease expires"
            )));
        }
        tx.commit().await?;
        Ok(RunLock {
            run_id,
            collection_date: date,
            holder: holder.to_owned(),
            resumed: previous.as_deref() == Some("building"),
        })
    }

    /// Ends a run: its files are in place.
    pub async fn complete_run(&self, lock: &RunLock) -> StoreResult<()> {
        sqlx::query(
            "UPDATE runs SET status = 'complete', finished_at = $2 WHERE id = $1 AND holder = $3",
        )
        .bind(lock.run_id)
        .bind(self.now_text())
        .bind(&lock.holder)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Runs left `building` by a holder whose lease expired, or by `holder` itself.
    pub async fn unfinished_runs(&self) -> StoreResult<Vec<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, collection_date FROM runs WHERE status = 'building' AND lease_until < $1 ORDER BY id",
        )
        .bind(super::lease_timestamp(self.now()))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Cancels planned collections of `date` that may no longer be debited — mandate not
    /// active, amount above its ceiling, advance notice recorded after `latest_notice` —
    /// and gives their declaration lines back (unpaid, for the next date); stamps the
    /// others with their sequence type (FRST until a debit of the mandate has settled).
    pub async fn recheck_planned(
        &self,
        actor: &Actor,
        date: NaiveDate,
        latest_notice: NaiveDate,
    ) -> StoreResult<RecheckSummary> {
        let date_text = date.to_string();
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let mut summary = RecheckSummary::default();
        // The three checks in one pass over the date's planned debits; the first that
        // fails names the reason.
        let inactive = "NOT EXISTS (SELECT 1 FROM mandates m WHERE m.id = collections.mandate_id AND m.status = 'active')";
        let over_ceiling = "EXISTS (SELECT 1 FROM mandates m WHERE m.id = collections.mandate_id \
             AND m.ceiling_centimes IS NOT NULL AND collections.amount_centimes > m.ceiling_centimes)";
        let late = "noticed_on > $3";
        let reasons: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "UPDATE collections SET status = 'cancelled', updated_at = $2, reason_code = CASE \
             WHEN {inactive} THEN 'mandate_inactive' WHEN {over_ceiling} THEN 'over_ceiling' \
             ELSE 'notice_late' END \
             WHERE collection_date = $1 AND status = 'planned' AND ({inactive} OR {over_ceiling} OR {late}) \
             RETURNING reason_code"
        )))
        .bind(&date_text)
        .bind(&now)
        .bind(latest_notice.to_string())
        .fetch_all(&mut *tx)
        .await?;
        for why in reasons {
            match why.as_str() {
                "mandate_inactive" => summary.mandate_inactive += 1,
                "over_ceiling" => summary.over_ceiling += 1,
                _ => summary.notice_late += 1,
            }
        }
        if summary.mandate_inactive + summary.over_ceiling + summary.notice_late > 0 {
            release_lines(
                &mut tx,
                "c.collection_date = $1 AND c.status = 'cancelled'",
                &date_text,
            )
            .await?;
            sqlx::query(
                "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) \
                 SELECT $2, $3, 'collection.cancelled', 'collection', CAST(id AS TEXT), \
                 '{\"reason\":\"' || reason_code || '\"}' FROM collections \
                 WHERE collection_date = $1 AND status = 'cancelled' AND updated_at = $2",
            )
            .bind(&date_text)
            .bind(&now)
            .bind(actor.as_str())
            .execute(&mut *tx)
            .await?;
            withdraw_unsent_advance_notices(
                &mut tx,
                "c.collection_date = $1 AND c.status = 'cancelled'",
                &date_text,
            )
            .await?;
            notify_cancelled_debits(
                &mut tx,
                "c.collection_date = $1 AND c.status = 'cancelled'",
                &date_text,
                &now,
            )
            .await?;
        }
        // Only the collections whose type changed (planning stamps it already): rewriting
        // 100,000 rows that stay the same cost PostgreSQL 3 s of new row versions.
        let sequence_type = "CASE WHEN EXISTS (SELECT 1 FROM collections p \
             WHERE p.mandate_id = collections.mandate_id AND p.status = 'settled') THEN 'RCUR' ELSE 'FRST' END";
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE collections SET sequence_type = {sequence_type} \
             WHERE collection_date = $1 AND status = 'planned' AND COALESCE(sequence_type, '') <> {sequence_type}"
        )))
        .bind(&date_text)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// How the eligible collections of a date and channel split into files of at most
    /// `max_per_file`, in file order (sequence type, then id): per file, its blocks (one
    /// per sequence type, a contiguous id range) with their counts and sums. Computed by
    /// the database, so splitting a 100,000-debit run moves a handful of rows, not 100,000.
    pub async fn run_blocks(
        &self,
        date: NaiveDate,
        channel: &str,
        max_per_file: u32,
    ) -> StoreResult<Vec<FileBlock>> {
        let rows: Vec<BlockRow> = sqlx::query_as(
            "SELECT file_no, seq, MIN(id), MAX(id), COUNT(*), CAST(SUM(amount_centimes) AS BIGINT) FROM \
             (SELECT id, amount_centimes, COALESCE(sequence_type, 'FRST') AS seq, \
                (ROW_NUMBER() OVER (ORDER BY COALESCE(sequence_type, 'FRST'), id) - 1) / $3 AS file_no \
              FROM collections WHERE collection_date = $1 AND channel = $2 AND status = 'planned') x \
             GROUP BY file_no, seq ORDER BY file_no, seq",
        )
        .bind(date.to_string())
        .bind(channel)
        .bind(i64::from(max_per_file.max(1)))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(FileBlock::from_row).collect())
    }

    /// The blocks of a recorded file (`file` is 0).
    pub async fn file_blocks(&self, file_id: i64) -> StoreResult<Vec<FileBlock>> {
        let rows: Vec<BlockRow> = sqlx::query_as(
            "SELECT CAST(0 AS BIGINT), COALESCE(sequence_type, 'FRST') AS seq, MIN(id), MAX(id), COUNT(*), \
             CAST(SUM(amount_centimes) AS BIGINT) FROM collections WHERE bank_file_id = $1 \
             GROUP BY COALESCE(sequence_type, 'FRST') ORDER BY seq",
        )
        .bind(file_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(FileBlock::from_row).collect())
    }

    /// Streams the details of one planned file's collections (its `blocks`, still
    /// planned), in file order, to `each`. The caller has recorded the decryption
    /// ([`Store::audit_decryption`]) beforehand: this only reads, so it can run while the
    /// run's recording transaction is open.
    pub async fn for_each_debit_in_blocks(
        &self,
        date: NaiveDate,
        channel: &str,
        blocks: &[FileBlock],
        mut each: impl FnMut(DebitDetail) -> anyhow::Result<()>,
    ) -> StoreResult<()> {
        let block_filter = "c.collection_date = $1 AND c.channel = $2 AND c.status = 'planned' \
             AND COALESCE(c.sequence_type, 'FRST') = $3";
        if self.backend.debit_reads() == DebitReads::RowStream {
            // PostgreSQL streams rows cheaply: one query per block, in the blocks' (file)
            // order, each in id order straight from the (date) index, no sort of the file.
            let sql = format!(
                "SELECT {DETAIL_COLUMNS} FROM {DETAIL_TABLES} WHERE {block_filter} \
                 AND c.id >= $4 AND c.id <= $5 ORDER BY c.id"
            );
            for block in blocks {
                let query = sqlx::query_as::<_, DetailRow>(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(date.to_string())
                    .bind(channel.to_owned())
                    .bind(block.sequence_type.clone())
                    .bind(block.first_id)
                    .bind(block.last_id);
                self.stream_details(query, &mut each).await?;
            }
            return Ok(());
        }
        // SQLite: per block, chunks of ids in order, each one query reading the next
        // `DETAIL_CHUNK` debits from the (date) index and returning them as one JSON array.
        let sql = format!(
            "SELECT json_group_array(json_array({DETAIL_COLUMNS})), MAX(c.id) FROM \
             (SELECT c.id FROM collections c WHERE {block_filter} AND c.id > $4 AND c.id <= $5 \
              ORDER BY c.id LIMIT $6) k CROSS JOIN {DETAIL_TABLES} WHERE c.id = k.id"
        );
        for block in blocks {
            let mut after = block.first_id - 1;
            loop {
                let (chunk, last): (Option<String>, Option<i64>) =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                        .bind(date.to_string())
                        .bind(channel.to_owned())
                        .bind(block.sequence_type.clone())
                        .bind(after)
                        .bind(block.last_id)
                        .bind(DETAIL_CHUNK)
                        .fetch_one(&self.pool)
                        .await?;
                let (Some(chunk), Some(last)) = (chunk, last) else {
                    break;
                };
                let mut rows: Vec<DetailRow> = serde_json::from_str(&chunk).map_err(|e| {
                    StoreError::Other(anyhow::anyhow!(
                        "the debits after id {after} came back from the database unreadable: {e}"
                    ))
                })?;
                rows.sort_unstable_by_key(|r| r.id);
                for row in rows {
                    each(self.detail(row)?)?;
                }
                after = last;
            }
        }
        Ok(())
    }

    /// Streams the details of the collections recorded in one file, in file order (to
    /// regenerate its exact bytes).
    pub async fn for_each_debit_in_file(
        &self,
        actor: &Actor,
        file: &BankFileRecord,
        each: impl FnMut(DebitDetail) -> anyhow::Result<()>,
    ) -> StoreResult<()> {
        let sql = format!(
            "SELECT {DETAIL_COLUMNS} FROM {DETAIL_TABLES} WHERE c.bank_file_id = $1 AND c.channel = $2 \
             ORDER BY COALESCE(c.sequence_type, 'FRST'), c.id"
        );
        let query = sqlx::query_as::<_, DetailRow>(sqlx::AssertSqlSafe(sql))
            .bind(file.id)
            .bind(file.channel.clone());
        self.audit_decryption(actor, &[format!("regenerating {}", file.file_name)])
            .await?;
        self.stream_details(query, each).await
    }

    /// Records that accounts are about to be decrypted, and what for (one entry per debit
    /// file), in one transaction. Callers of [`Store::for_each_debit_in_blocks`] record it
    /// first.
    pub async fn audit_decryption(&self, actor: &Actor, purposes: &[String]) -> StoreResult<()> {
        let mut audit = self.begin_write().await?;
        let now = self.now_text();
        for purpose in purposes {
            super::audit::record(
                &mut audit,
                &now,
                actor,
                "accounts.decrypted",
                "bank_file",
                0,
                serde_json::json!({ "purpose": purpose }),
            )
            .await?;
        }
        audit.commit().await?;
        Ok(())
    }

    async fn stream_details(
        &self,
        query: sqlx::query::QueryAs<'_, sqlx::Any, DetailRow, sqlx::any::AnyArguments>,
        mut each: impl FnMut(DebitDetail) -> anyhow::Result<()>,
    ) -> StoreResult<()> {
        let mut rows = query.fetch(&self.pool);
        while let Some(row) = rows.try_next().await? {
            each(self.detail(row)?)?;
        }
        Ok(())
    }

    /// A debit's details with its account decrypted.
    fn detail(&self, row: DetailRow) -> StoreResult<DebitDetail> {
        let digits = self.cipher.decrypt(&row.number_encrypted)?;
        let account = AccountId::parse(&digits)
            .map_err(|e| StoreError::Invalid(format!("stored account is invalid: {e}")))?;
        let signed_on = row
            .signed_at
            .as_deref()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc).date_naive())
            .ok_or_else(|| {
                StoreError::Invalid(format!("mandate {} has no signature date", row.reference))
            })?;
        Ok(DebitDetail {
            id: row.id,
            sequence_type: row.sequence_type.unwrap_or_else(|| "FRST".to_owned()),
            end_to_end_id: row.end_to_end_id,
            amount: Amount::from_centimes(row.amount_centimes),
            mandate_reference: row.reference,
            mandate_signed_on: signed_on,
            debtor_name: row.name,
            account,
            affiliation_number: row.affiliation_number,
        })
    }

    /// Dates that have planned collections, oldest first.
    pub async fn planned_dates(&self) -> StoreResult<Vec<NaiveDate>> {
        let dates: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT collection_date FROM collections WHERE status = 'planned' ORDER BY collection_date",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(dates
            .iter()
            .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .collect())
    }

    /// The next free file sequence number of an institution.
    pub async fn next_file_sequence(&self, institution: &str) -> StoreResult<i64> {
        let max: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(MAX(sequence) AS BIGINT) FROM bank_files WHERE institution = $1",
        )
        .bind(institution)
        .fetch_one(&self.pool)
        .await?;
        Ok(max.unwrap_or(0) + 1)
    }

    /// Opens the transaction that records a run's files as planned — their rows (hash and
    /// size still empty), their collections marked `submitted` (each block's count and the
    /// file's sum checked against the plan) with their audit entries — while the files are
    /// being written; [`FileRecording::finish`] adds what the written bytes say and commits.
    /// Readers do not see any of it before the commit (the files are read from the
    /// collections still `planned`, in their own snapshot). Dropping the recording (a file
    /// failed) rolls it all back.
    pub async fn begin_recording(
        &self,
        actor: &Actor,
        lock: &RunLock,
        planned: &[NewBankFile],
    ) -> StoreResult<FileRecording> {
        let date_text = lock.collection_date.to_string();
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        // Still ours? (A holder whose lease ran out may have been replaced.) The run's row
        // stays locked until this transaction ends, while the files are written: no other
        // instance takes the run over meanwhile (SQLite: the write lock does the same).
        let lock_row = self.backend.lock_rows();
        let holder: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT holder FROM runs WHERE id = $1 AND status = 'building'{lock_row}"
        )))
        .bind(lock.run_id)
        .fetch_optional(&mut *tx)
        .await?;
        if holder.as_deref() != Some(lock.holder.as_str()) {
            return Err(StoreError::Conflict(format!(
                "the run of {date_text} was taken over by another instance; nothing recorded"
            )));
        }
        let mut files = Vec::with_capacity(planned.len());
        for file in planned {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO bank_files (run_id, institution, channel, sequence, file_name, format, message_id, \
                 collection_date, created_at, transactions, control_sum_centimes, sha256, size_bytes) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', 0) RETURNING id",
            )
            .bind(lock.run_id)
            .bind(&file.institution)
            .bind(&file.channel)
            .bind(file.sequence)
            .bind(&file.file_name)
            .bind(&file.format)
            .bind(&file.message_id)
            .bind(&date_text)
            .bind(file.created_at.format("%Y-%m-%dT%H:%M:%S").to_string())
            .bind(i64::try_from(file.transactions).unwrap_or(i64::MAX))
            .bind(file.control_sum.centimes())
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                super::conflict_on_unique(e, || {
                    format!(
                        "file sequence {} of {} is already taken (another run recorded it first); run again",
                        file.sequence, file.institution
                    )
                })
            })?;
            for (sequence_type, first, last, count) in &file.blocks {
                let marked = sqlx::query(
                    "UPDATE collections SET status = 'submitted', bank_file_id = $1, updated_at = $2 \
                     WHERE collection_date = $3 AND channel = $4 AND status = 'planned' \
                     AND sequence_type = $5 AND id >= $6 AND id <= $7 \
                     AND EXISTS (SELECT 1 FROM mandates m WHERE m.id = collections.mandate_id AND m.status = 'active')",
                )
                .bind(id)
                .bind(&now)
                .bind(&date_text)
                .bind(&file.channel)
                .bind(sequence_type)
                .bind(first)
                .bind(last)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if marked != *count {
                    return Err(StoreError::Conflict(format!(
                        "collections of {date_text} changed while {} was written ({marked} of {count} still eligible); nothing recorded, run again",
                        file.file_name
                    )));
                }
            }
            let (count, sum): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), CAST(SUM(amount_centimes) AS BIGINT) FROM collections WHERE bank_file_id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if u64::try_from(count).ok() != Some(file.transactions)
                || sum.unwrap_or(0) != file.control_sum.centimes()
            {
                return Err(StoreError::Other(anyhow::anyhow!(
                    "{}: the database holds {count} debits for {} centimes but the file {} for {}; nothing recorded",
                    file.file_name,
                    sum.unwrap_or(0),
                    file.transactions,
                    file.control_sum.centimes()
                )));
            }
            files.push((
                id,
                file.file_name.clone(),
                file.transactions,
                file.control_sum,
            ));
        }
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) \
             SELECT $2, $3, 'collection.submitted', 'collection', CAST(c.id AS TEXT), \
             '{\"bank_file_id\":' || CAST(c.bank_file_id AS TEXT) || '}' \
             FROM collections c JOIN bank_files f ON f.id = c.bank_file_id \
             WHERE c.bank_file_id IS NOT NULL AND f.run_id = $1 AND c.updated_at = $2 AND c.status = 'submitted'",
        )
        .bind(lock.run_id)
        .bind(&now)
        .bind(actor.as_str())
        .execute(&mut *tx)
        .await?;
        Ok(FileRecording {
            store: self.clone(),
            tx,
            actor: actor.clone(),
            now,
            files,
        })
    }

    pub async fn bank_file(&self, id: i64) -> StoreResult<BankFileRecord> {
        sqlx::query_as::<_, BankFileRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {BANK_FILE_COLUMNS} FROM bank_files WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("bank file", id))
    }

    /// Files of one run.
    pub async fn bank_files_of_run(&self, run_id: i64) -> StoreResult<Vec<BankFileRecord>> {
        Ok(
            sqlx::query_as::<_, BankFileRecord>(sqlx::AssertSqlSafe(format!(
                "SELECT {BANK_FILE_COLUMNS} FROM bank_files WHERE run_id = $1 ORDER BY id"
            )))
            .bind(run_id)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// Every recorded file, newest first (optionally of one institution).
    pub async fn bank_files(&self, institution: Option<&str>) -> StoreResult<Vec<BankFileRecord>> {
        Ok(sqlx::query_as::<_, BankFileRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {BANK_FILE_COLUMNS} FROM bank_files WHERE ($1 = '' OR institution = $1) ORDER BY id DESC"
        )))
        .bind(institution.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The recorded file with this message id (reports name the file they answer).
    pub async fn bank_file_by_message_id(
        &self,
        message_id: &str,
    ) -> StoreResult<Option<BankFileRecord>> {
        Ok(
            sqlx::query_as::<_, BankFileRecord>(sqlx::AssertSqlSafe(format!(
                "SELECT {BANK_FILE_COLUMNS} FROM bank_files WHERE message_id = $1"
            )))
            .bind(message_id)
            .fetch_optional(&self.pool)
            .await?,
        )
    }

    pub async fn mark_downloaded(&self, id: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE bank_files SET downloaded_at = $2 WHERE id = $1 AND downloaded_at IS NULL",
        )
        .bind(id)
        .bind(self.now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// A run's files recorded as planned, in a transaction still open while they are
/// written (see [`Store::begin_recording`]).
pub struct FileRecording {
    store: Store,
    tx: sqlx::Transaction<'static, sqlx::Any>,
    actor: Actor,
    now: String,
    /// (id, file name, transactions, control sum) as planned, in the order given.
    files: Vec<(i64, String, u64, Amount)>,
}

impl std::fmt::Debug for FileRecording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileRecording")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl FileRecording {
    /// Adds what the written files say (hash, size; their counts and sums must be the
    /// planned ones), audits each file and commits: the files and their collections are
    /// then recorded together, or not at all.
    pub async fn finish(mut self, written: &[NewBankFile]) -> StoreResult<Vec<BankFileRecord>> {
        if written.len() != self.files.len() {
            return Err(StoreError::Other(anyhow::anyhow!(
                "{} files were written for {} planned; nothing recorded",
                written.len(),
                self.files.len()
            )));
        }
        for ((id, name, transactions, control_sum), file) in self.files.iter().zip(written) {
            if file.file_name != *name
                || file.transactions != *transactions
                || file.control_sum != *control_sum
            {
                return Err(StoreError::Other(anyhow::anyhow!(
                    "{}: written with {} debits for {} centimes, planned as {name} with {transactions} for {}; nothing recorded",
                    file.file_name,
                    file.transactions,
                    file.control_sum.centimes(),
                    control_sum.centimes()
                )));
            }
            sqlx::query("UPDATE bank_files SET sha256 = $2, size_bytes = $3 WHERE id = $1")
                .bind(id)
                .bind(&file.sha256)
                .bind(i64::try_from(file.size_bytes).unwrap_or(i64::MAX))
                .execute(&mut *self.tx)
                .await?;
            super::audit::record(
                &mut self.tx,
                &self.now,
                &self.actor,
                "bank_file.recorded",
                "bank_file",
                *id,
                serde_json::json!({
                    "file_name": file.file_name,
                    "transactions": file.transactions,
                    "control_sum_centimes": file.control_sum.centimes(),
                    "sha256": file.sha256,
                }),
            )
            .await?;
        }
        self.tx.commit().await?;
        let mut out = Vec::with_capacity(self.files.len());
        for (id, ..) in &self.files {
            out.push(self.store.bank_file(*id).await?);
        }
        Ok(out)
    }
}

/// Tells each employer whose cancelled debit was announced — its advance notice went
/// out, or a worker is sending it (those not taken yet are withdrawn first, see
/// [`withdraw_unsent_advance_notices`]) — that it will not be presented: one
/// `debit_cancelled` notice per collection matched by `which` (over `collections c`, with
/// `$1` = `param`), recorded once (dedupe key), in the caller's transaction. Any advance
/// notice of the collection counts: one re-sent after a calendar move has its date in
/// its dedupe key.
pub(super) async fn notify_cancelled_debits(
    tx: &mut sqlx::AnyConnection,
    which: &str,
    param: &str,
    now: &str,
) -> StoreResult<u64> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO notice_events (employer_id, kind, subject_id, dedupe_key, created_at) \
         SELECT c.employer_id, 'debit_cancelled', c.id, 'debit_cancelled:' || CAST(c.id AS TEXT), $2 \
         FROM collections c WHERE {which} AND EXISTS (SELECT 1 FROM notice_events n \
           WHERE n.employer_id = c.employer_id AND n.kind = 'advance_notice' AND n.subject_id = c.id) \
         ON CONFLICT (dedupe_key) DO NOTHING"
    )))
    .bind(param)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// Withdraws the advance notices of the collections matching `which` (SQL over `c`, `$1`
/// bound to `param`) that no worker has taken yet: an employer is not told of a debit that
/// will not happen (cancelled) or no longer on that date (moved: its new notice replaces
/// it). A notice already claimed or sent stays; it was, or is being, delivered.
pub(super) async fn withdraw_unsent_advance_notices(
    tx: &mut sqlx::AnyConnection,
    which: &str,
    param: &str,
) -> StoreResult<u64> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM notice_events WHERE kind = 'advance_notice' AND status = 'pending' \
         AND locked_by IS NULL AND subject_id IN (SELECT c.id FROM collections c WHERE {which})"
    )))
    .bind(param)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// Takes lines of the collections matching `which` (SQL over `c`, `$1` bound to `param`)
/// out of them: no longer live, so owed again (`unpaid` in `declaration_line_states`).
///
/// `live <> 0` rather than `live = 1` (the same rows: `live` is 0 or 1) keeps the partial
/// index `collection_lines_one_live` out of this plan: without statistics on the lines
/// just planned, PostgreSQL otherwise ANDs a bitmap of that whole index (every live
/// line) into each collection's lookup — 12 ms per failed collection instead of
/// microseconds through the primary key.
pub(super) async fn release_lines(
    tx: &mut sqlx::AnyConnection,
    which: &str,
    param: &str,
) -> StoreResult<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE collection_lines SET live = 0 WHERE live <> 0 AND collection_id IN \
         (SELECT c.id FROM collections c WHERE {which})"
    )))
    .bind(param)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
