//! Step 4 of a run: one transaction records every file of the run (sequence, counts,
//! control sum, then hash and size) and marks its collections `submitted`, all or nothing.
//! It is opened while the files are written and commits once each matches its plan.
//!
//! Must not know: how the bytes are written (`crate::cycle::run`).

use chrono::NaiveDateTime;
use mandates::{Amount, Channel};

use super::RunLock;
use crate::store::audit::DetailValue::Number;
use crate::store::audit::{AuditRows, detail_sql};
use crate::store::{
    Actor, BankFileRecord, Bind, FileBlock, Institution, Store, StoreError, StoreResult,
    audit::Audit, conflict_on_unique,
};

/// A file about to be recorded, with the collections it holds (ranges of ids within a
/// sequence type, as listed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBankFile {
    pub institution: Institution,
    pub channel: Channel,
    pub sequence: i64,
    pub file_name: String,
    pub format: String,
    pub message_id: String,
    pub created_at: NaiveDateTime,
    pub transactions: u64,
    pub control_sum: Amount,
    pub sha256: String,
    pub size_bytes: u64,
    /// The blocks it holds, as planned.
    pub blocks: Vec<FileBlock>,
}

impl Store {
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
            .bind(file.institution.as_str())
            .bind(file.channel.as_str())
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
                conflict_on_unique(e, || {
                    format!(
                        "file sequence {} of {} is already taken (another run recorded it first); run again",
                        file.sequence, file.institution
                    )
                })
            })?;
            for block in &file.blocks {
                let marked = sqlx::query(
                    "UPDATE collections SET status = 'submitted', bank_file_id = $1, updated_at = $2 \
                     WHERE collection_date = $3 AND channel = $4 AND status = 'planned' AND held_at IS NULL \
                     AND sequence_type = $5 AND id >= $6 AND id <= $7 \
                     AND EXISTS (SELECT 1 FROM mandates m WHERE m.id = collections.mandate_id AND m.status = 'active')",
                )
                .bind(id)
                .bind(&now)
                .bind(&date_text)
                .bind(file.channel.as_str())
                .bind(&block.sequence_type)
                .bind(block.first_id)
                .bind(block.last_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let count = block.count;
                if marked != count {
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
        // The debits marked here are audited by `finish`, just before the commit: an
        // audit entry takes the chain's head, which on PostgreSQL every other audited
        // change then waits for, so not while the files are being written.
        Ok(FileRecording {
            store: self.clone(),
            collection_date: date_text,
            tx,
            actor: actor.clone(),
            now,
            run_id: lock.run_id,
            files,
        })
    }
}

/// A run's files recorded as planned, in a transaction still open while they are
/// written (see [`Store::begin_recording`]).
pub struct FileRecording {
    store: Store,
    collection_date: String,
    tx: sqlx::Transaction<'static, sqlx::Any>,
    actor: Actor,
    now: String,
    run_id: i64,
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
        // Each debit handed to the bank, in the employer's ledger (a memo: nothing is paid
        // until it settles).
        crate::store::ledger::record_presented(
            &mut self.tx,
            "collections c JOIN bank_files f ON f.id = c.bank_file_id \
             WHERE c.bank_file_id IS NOT NULL AND f.run_id = $1 AND c.updated_at = $2 \
             AND c.status = 'submitted'",
            &[Bind::Int(self.run_id), Bind::Text(&self.now)],
            &self.now,
        )
        .await?;
        // The date's totals counted again, like the audit entries at the end (on
        // PostgreSQL their rows stay locked until the commit).
        crate::store::collection_totals::recount_date(&mut self.tx, &self.collection_date).await?;
        AuditRows {
            action: "'collection.submitted'",
            entity: "collection",
            id: "c.id",
            detail: &detail_sql(&[("bank_file_id", Number("c.bank_file_id"))]),
            from: "collections c JOIN bank_files f ON f.id = c.bank_file_id \
                 WHERE c.bank_file_id IS NOT NULL AND f.run_id = $1 AND c.updated_at = $2 \
                 AND c.status = 'submitted'",
        }
        .record(
            &mut self.tx,
            &self.now,
            &self.actor,
            &[Bind::Int(self.run_id), Bind::Text(&self.now)],
        )
        .await?;
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
            Audit::new(&self.actor, "bank_file.recorded")
                .on("bank_file", *id)
                .detail(serde_json::json!({
                    "file_name": file.file_name,
                    "transactions": file.transactions,
                    "control_sum_centimes": file.control_sum.centimes(),
                    "sha256": file.sha256,
                }))
                .record(&mut self.tx, &self.now)
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
