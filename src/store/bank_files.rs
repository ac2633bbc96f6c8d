//! Recorded debit files: one row per file a run wrote (institution, sequence, counts,
//! control sum, hash), what each holds, and when the bank downloaded it. For the console's
//! files page, the bank API, regenerating a file, and matching the reports that answer one.
//!
//! Must not know: the bytes of a file (the run writes them to disk).

use mandates::{Amount, Channel};
use serde::Serialize;
use sqlx::FromRow;

use super::{Store, StoreError, StoreResult};

::mandates::stored_codes! {
    /// Who receives a channel's debit files and answers them with reports: a bank, or
    /// Algérie Poste; its code also names its exchange folder and its API tokens.
    pub enum Institution("institution") {
        Bank = "bank",
        Poste = "poste",
    }
}

impl Institution {
    /// The channel whose debits it receives.
    pub fn channel(self) -> Channel {
        match self {
            Institution::Bank => Channel::Bank,
            Institution::Poste => Channel::Postal,
        }
    }
}

/// A recorded debit file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct BankFileRecord {
    pub id: i64,
    pub run_id: i64,
    #[sqlx(try_from = "String")]
    pub institution: Institution,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
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

/// One collection of a recorded file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileTransaction {
    pub end_to_end_id: String,
    pub amount: Amount,
    /// `FRST` or `RCUR`.
    pub sequence_type: String,
}

const BANK_FILE_COLUMNS: &str = "id, run_id, institution, channel, sequence, file_name, format, message_id, \
     collection_date, created_at, transactions, control_sum_centimes, sha256, size_bytes, downloaded_at";

impl Store {
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
    pub async fn bank_files(
        &self,
        institution: Option<Institution>,
    ) -> StoreResult<Vec<BankFileRecord>> {
        Ok(sqlx::query_as::<_, BankFileRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {BANK_FILE_COLUMNS} FROM bank_files WHERE ($1 = '' OR institution = $1) ORDER BY id DESC"
        )))
        .bind(institution.map_or("", Institution::as_str))
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

    /// The next free file sequence number of an institution.
    pub async fn next_file_sequence(&self, institution: Institution) -> StoreResult<i64> {
        let max: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(MAX(sequence) AS BIGINT) FROM bank_files WHERE institution = $1",
        )
        .bind(institution.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(max.unwrap_or(0) + 1)
    }

    /// The collections of a recorded file, in file order.
    pub async fn file_transactions(&self, file_id: i64) -> StoreResult<Vec<FileTransaction>> {
        let rows: Vec<(String, i64, Option<String>)> = sqlx::query_as(
            "SELECT end_to_end_id, amount_centimes, sequence_type FROM collections WHERE bank_file_id = $1 ORDER BY id",
        )
        .bind(file_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(end_to_end_id, amount, sequence_type)| FileTransaction {
                end_to_end_id,
                amount: Amount::from_centimes(amount),
                sequence_type: sequence_type.unwrap_or_default(),
            })
            .collect())
    }
}
