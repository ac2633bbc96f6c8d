//! Exceptions for finance staff: what a report could not apply cleanly (raised by
//! `reconcile`), listed, counted and resolved with a note — or by a staff action on its
//! debit (`collections::actions`), which the exception then names.
//!
//! Must not know: how they were raised (the report's items).

use serde::Serialize;
use sqlx::FromRow;

use mandates::DebitAction;

use super::{Actor, OptionalCode, Refusal, Store, StoreError, StoreResult, audit::Audit};

::mandates::stored_codes! {
    /// Why a report's item became an exception.
    pub enum ExceptionKind("exception kind") {
        /// It names no debit of ours.
        Unmatched = "unmatched",
        /// Its amount is not its debit's.
        AmountMismatch = "amount_mismatch",
        /// It repeats what was already applied to its debit.
        Duplicate = "duplicate",
        /// It contradicts its debit's state.
        Conflict = "conflict",
        /// A failure whose reason needs staff (no automatic retry).
        NeedsStaff = "needs_staff",
    }
}

::mandates::stored_codes! {
    /// Whether an exception still waits for staff.
    pub enum ExceptionStatus("exception status") {
        Open = "open",
        Resolved = "resolved",
    }
}

/// An exception for finance staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct ExceptionRecord {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: ExceptionKind,
    pub report_id: Option<i64>,
    pub item: Option<i64>,
    pub collection_id: Option<i64>,
    pub detail: String,
    #[sqlx(try_from = "String")]
    pub status: ExceptionStatus,
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
    /// The staff action on its debit that resolved it (`None`: resolved by a note).
    #[sqlx(try_from = "OptionalCode")]
    pub resolved_by_action: Option<DebitAction>,
    pub created_at: String,
}

const EXCEPTION_COLUMNS: &str = "id, kind, report_id, item, collection_id, detail, status, resolution, resolved_by, \
     resolved_at, resolved_by_action, created_at";

impl Store {
    pub async fn exceptions(&self, open_only: bool) -> StoreResult<Vec<ExceptionRecord>> {
        Ok(sqlx::query_as::<_, ExceptionRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {EXCEPTION_COLUMNS} FROM exceptions WHERE ($1 = 0 OR status = 'open') ORDER BY id"
        )))
        .bind(i64::from(open_only))
        .fetch_all(&self.pool)
        .await?)
    }

    /// A page of exceptions, newest first: those with an id below `before` (all when
    /// `None`), at most `limit`.
    pub async fn exceptions_before(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<ExceptionRecord>> {
        Ok(sqlx::query_as::<_, ExceptionRecord>(sqlx::AssertSqlSafe(format!(
            "SELECT {EXCEPTION_COLUMNS} FROM exceptions WHERE ($1 = 0 OR id < $1) ORDER BY id DESC LIMIT $2"
        )))
        .bind(before.unwrap_or(0))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many exceptions are open.
    pub async fn open_exception_count(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM exceptions WHERE status = 'open'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Resolves an open exception with a note (audited).
    pub async fn resolve_exception(
        &self,
        actor: &Actor,
        id: i64,
        resolution: &str,
    ) -> StoreResult<ExceptionRecord> {
        if resolution.trim().is_empty() {
            return Err(StoreError::refused(
                Refusal::ResolutionEmpty,
                "say how the exception was resolved (resolution text is empty)",
            ));
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE exceptions SET status = 'resolved', resolution = $2, resolved_by = $3, resolved_at = $4 \
             WHERE id = $1 AND status = 'open'",
        )
        .bind(id)
        .bind(resolution.trim())
        .bind(actor.as_str())
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            let exists: Option<String> =
                sqlx::query_scalar("SELECT status FROM exceptions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(match exists {
                None => StoreError::not_found("exception", id),
                Some(_) => StoreError::refused(
                    Refusal::ExceptionAlreadyResolved,
                    format!("exception {id} is already resolved"),
                ),
            });
        }
        Audit::new(actor, "exception.resolved")
            .on("exception", id)
            .detail(serde_json::json!({ "resolution": resolution.trim() }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        let record = self
            .exceptions(false)
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| StoreError::not_found("exception", id))?;
        Ok(record)
    }
}
