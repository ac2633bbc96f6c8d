//! Quarantined files: report files that could not be read, moved aside with their error
//! for staff to look at.
//!
//! Must not know: where the files are (the caller moves them and gives the path).

use super::{Store, StoreResult};

impl Store {
    /// Records a file moved to quarantine, with its error.
    pub async fn record_quarantine(
        &self,
        institution: Option<&str>,
        file_name: &str,
        stored_path: &str,
        sha256: &str,
        error: &str,
    ) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO quarantined_files (institution, file_name, stored_path, sha256, error, quarantined_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(institution.map(str::to_owned))
        .bind(file_name)
        .bind(stored_path)
        .bind(sha256)
        .bind(error)
        .bind(self.now_text())
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn quarantined(&self) -> StoreResult<Vec<(i64, String, String, String)>> {
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
