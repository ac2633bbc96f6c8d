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
}
