//! The append-only audit trail (database triggers refuse UPDATE and DELETE).

use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

use super::{Actor, Store, StoreResult};

/// One recorded state change.
#[derive(Clone, Debug, Serialize, FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// JSON text: what changed and why. Never holds an account number in clear.
    pub detail: String,
}

/// Appends an entry inside the caller's transaction.
pub(super) async fn record(
    conn: &mut AnyConnection,
    at: &str,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: i64,
    detail: serde_json::Value,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(at)
    .bind(actor.as_str())
    .bind(action)
    .bind(entity)
    .bind(entity_id.to_string())
    .bind(detail.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// The trail of one entity, oldest first.
    pub async fn audit_trail(&self, entity: &str, entity_id: i64) -> StoreResult<Vec<AuditEntry>> {
        Ok(sqlx::query_as::<_, AuditEntry>(
            "SELECT id, at, actor, action, entity, entity_id, detail FROM audit_log \
             WHERE entity = $1 AND entity_id = $2 ORDER BY id",
        )
        .bind(entity)
        .bind(entity_id.to_string())
        .fetch_all(&self.pool)
        .await?)
    }

    /// The audit trail of an employer and of its worksites, mandates, declarations and
    /// notices, newest first.
    pub async fn employer_audit(
        &self,
        employer_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<AuditEntry>> {
        let columns = "a.id, a.at, a.actor, a.action, a.entity, a.entity_id, a.detail";
        let owned = |entity: &str, table: &str| {
            format!(
                "SELECT {columns} FROM {table} x JOIN audit_log a ON a.entity = '{entity}' \
                 AND a.entity_id = CAST(x.id AS TEXT) WHERE x.employer_id = $2"
            )
        };
        let sql = format!(
            "SELECT * FROM (SELECT {columns} FROM audit_log a WHERE a.entity = 'employer' AND a.entity_id = $1 \
             UNION ALL {} UNION ALL {} UNION ALL {} UNION ALL {}) t ORDER BY id DESC LIMIT $3",
            owned("worksite", "worksites"),
            owned("mandate", "mandates"),
            owned("declaration", "declarations"),
            owned("notice_event", "notice_events"),
        );
        Ok(sqlx::query_as::<_, AuditEntry>(sqlx::AssertSqlSafe(sql))
            .bind(employer_id.to_string())
            .bind(employer_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }
}
