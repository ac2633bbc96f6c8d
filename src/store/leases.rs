//! The delivery queues' leases, shared by notice events (`notices/delivery.rs`) and webhook
//! deliveries (`webhooks.rs`): both tables have `status`, `next_attempt_at`, `locked_by`
//! and `locked_until`, and a worker claims the ready rows the same way and gives back the
//! ones it did not attempt.
//!
//! A row is ready when pending, due and not leased by a live worker. The claim is one
//! conditional UPDATE of the rows a materialised CTE picks — as `id IN (SELECT … LIMIT n
//! FOR UPDATE)` PostgreSQL may rescan the subquery per row and claim every ready row at
//! once —, and the outer condition, re-checked on the locked row, is what guarantees a row
//! is claimed once; concurrent PostgreSQL workers skip each other's rows
//! (`Backend::skip_locked_rows`).

use chrono::Duration;
use sqlx::FromRow;
use sqlx::any::AnyRow;

use super::{Store, StoreResult, lease_timestamp};

/// A table with the delivery queue's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Queue {
    Notices,
    Webhooks,
}

impl Queue {
    fn table(self) -> &'static str {
        match self {
            Queue::Notices => "notice_events",
            Queue::Webhooks => "webhook_deliveries",
        }
    }
}

impl Store {
    /// Leases up to `limit` ready rows of `queue`, oldest first, to `worker` until now +
    /// `lock`; each claimed row's `returning` columns (in no particular order).
    pub(super) async fn claim_ready<T>(
        &self,
        queue: Queue,
        returning: &str,
        worker: &str,
        lock: Duration,
        limit: i64,
    ) -> StoreResult<Vec<T>>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
    {
        let now = self.now();
        let table = queue.table();
        let ready = "status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $3) \
                     AND (locked_until IS NULL OR locked_until < $3)";
        let skip_locked = self.backend.skip_locked_rows();
        Ok(sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(format!(
            "WITH picked AS MATERIALIZED \
             (SELECT id FROM {table} WHERE {ready} ORDER BY id LIMIT $4{skip_locked}) \
             UPDATE {table} SET locked_by = $1, locked_until = $2 \
             WHERE id IN (SELECT id FROM picked) AND {ready} RETURNING {returning}"
        )))
        .bind(worker)
        .bind(lease_timestamp(now + lock))
        .bind(lease_timestamp(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Gives back rows of `queue` that `worker` claimed and did not attempt (it stops, or
    /// its lease runs short).
    pub(super) async fn release_claimed(
        &self,
        queue: Queue,
        worker: &str,
        ids: &[i64],
    ) -> StoreResult<()> {
        let table = queue.table();
        for id in ids {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET locked_by = NULL, locked_until = NULL \
                 WHERE id = $1 AND locked_by = $2 AND status = 'pending'"
            )))
            .bind(id)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }
}
