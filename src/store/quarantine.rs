//! Quarantined files: report files that could not be read, moved aside with their error
//! for staff to look at.
//!
//! Must not know: where the files are (the caller moves them and gives the path).

use super::{Institution, Store, StoreResult};

/// A report file in quarantine, as staff list it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct QuarantinedFile {
    pub id: i64,
    pub file_name: String,
    /// Where it was moved.
    pub stored_path: String,
    /// Why it could not be read.
    pub error: String,
}

impl Store {
    /// Records a file moved to quarantine, with its error.
    pub async fn record_quarantine(
        &self,
        institution: Option<Institution>,
        file_name: &str,
        stored_path: &str,
        sha256: &str,
        error: &str,
    ) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO quarantined_files (institution, file_name, stored_path, sha256, error, quarantined_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(institution.map(Institution::as_str))
        .bind(file_name)
        .bind(stored_path)
        .bind(sha256)
        .bind(error)
        .bind(self.now_text())
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn quarantined(&self) -> StoreResult<Vec<QuarantinedFile>> {
        Ok(sqlx::query_as(
            "SELECT id, file_name, stored_path, error FROM quarantined_files ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many files are in quarantine.
    pub async fn quarantined_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM quarantined_files")
            .fetch_one(&self.pool)
            .await?)
    }
}
