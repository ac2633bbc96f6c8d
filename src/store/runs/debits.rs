//! Step 3 of a run, the reads of the file writers: how a date's eligible collections split
//! into files (blocks of contiguous ids per sequence type, computed by the database), and
//! each debit's details with its account decrypted (audited), streamed in file order.
//!
//! Must not know: how the bytes are written (`crate::cycle::run`).

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use mandates::{AccountId, Amount, Channel};
use sqlx::FromRow;

use crate::store::dialect::DebitReads;
use crate::store::{Actor, BankFileRecord, Store, StoreError, StoreResult, audit::Audit};

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
    /// How the eligible collections of a date and channel split into files of at most
    /// `max_per_file`, in file order (sequence type, then id): per file, its blocks (one
    /// per sequence type, a contiguous id range) with their counts and sums. Computed by
    /// the database, so splitting a 100,000-debit run moves a handful of rows, not 100,000.
    pub async fn run_blocks(
        &self,
        date: NaiveDate,
        channel: Channel,
        max_per_file: u32,
    ) -> StoreResult<Vec<FileBlock>> {
        let rows: Vec<BlockRow> = sqlx::query_as(
            "SELECT file_no, seq, MIN(id), MAX(id), COUNT(*), CAST(SUM(amount_centimes) AS BIGINT) FROM \
             (SELECT id, amount_centimes, COALESCE(sequence_type, 'FRST') AS seq, \
                (ROW_NUMBER() OVER (ORDER BY COALESCE(sequence_type, 'FRST'), id) - 1) / $3 AS file_no \
              FROM collections WHERE collection_date = $1 AND channel = $2 AND status = 'planned' AND held_at IS NULL) x \
             GROUP BY file_no, seq ORDER BY file_no, seq",
        )
        .bind(date.to_string())
        .bind(channel.as_str())
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
        channel: Channel,
        blocks: &[FileBlock],
        mut each: impl FnMut(DebitDetail) -> anyhow::Result<()>,
    ) -> StoreResult<()> {
        let block_filter = "c.collection_date = $1 AND c.channel = $2 AND c.status = 'planned' AND c.held_at IS NULL \
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
                    .bind(channel.as_str())
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
                        .bind(channel.as_str())
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
            .bind(file.channel.as_str());
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
            Audit::new(actor, "accounts.decrypted")
                .on("bank_file", 0)
                .detail(serde_json::json!({ "purpose": purpose }))
                .record(&mut audit, &now)
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
}
