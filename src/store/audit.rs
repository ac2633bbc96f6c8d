//! The append-only audit trail (database triggers refuse UPDATE and DELETE). Every entry
//! is written here, in the caller's transaction: one by [`Audit`], one per row of a query
//! by [`AuditRows`].

use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

use super::{Actor, Bind, Store, StoreResult, sql_literal};

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

/// An audited action, to be written on one entity ([`Audit::on`]):
/// `Audit::new(actor, "mandate.signed").on("mandate", id).detail(json!({..})).record(&mut tx, &now)`.
/// The set-based counterpart, one entry per row of a query, is [`AuditRows`].
#[derive(Clone, Copy, Debug)]
pub(super) struct Audit<'a> {
    actor: &'a Actor,
    action: &'a str,
}

impl<'a> Audit<'a> {
    pub(super) fn new(actor: &'a Actor, action: &'a str) -> Audit<'a> {
        Audit { actor, action }
    }

    /// The entry on `entity` number `id`, its detail `{}` until [`NewAuditEntry::detail`].
    pub(super) fn on(self, entity: &'a str, id: i64) -> NewAuditEntry<'a> {
        NewAuditEntry {
            audit: self,
            entity,
            entity_id: id,
            detail: serde_json::Value::Object(serde_json::Map::new()),
        }
    }
}

/// One audit entry, ready to be recorded (see [`Audit`]).
#[must_use = "an audit entry is written by `record`"]
#[derive(Debug)]
pub(super) struct NewAuditEntry<'a> {
    audit: Audit<'a>,
    entity: &'a str,
    entity_id: i64,
    detail: serde_json::Value,
}

impl NewAuditEntry<'_> {
    /// What changed and why. Never an account number in clear.
    pub(super) fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    /// Appends the entry at `at`, inside the caller's transaction.
    pub(super) async fn record(self, conn: &mut AnyConnection, at: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(at)
        .bind(self.audit.actor.as_str())
        .bind(self.audit.action)
        .bind(self.entity)
        .bind(self.entity_id.to_string())
        .bind(self.detail.to_string())
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// One audit entry for each row of a query, in one `INSERT … SELECT` (set-based: a plan, a
/// report or a calendar move audits every collection it changed in one statement). Each
/// field is SQL over the rows of `from`; the statement's own values are bound after the
/// caller's ([`Bind`]).
#[must_use = "audit entries are written by `record`"]
#[derive(Clone, Copy, Debug)]
pub(super) struct AuditRows<'a> {
    /// Each row's action: a quoted name (`'collection.planned'`) or an expression.
    pub action: &'a str,
    /// The entity every entry is on (a name, not SQL).
    pub entity: &'a str,
    /// Each row's entity id, an integer (`c.id`).
    pub id: &'a str,
    /// Each row's detail, JSON text: see [`detail_sql`].
    pub detail: &'a str,
    /// What follows `FROM`: the rows and their condition, over `$1`… of `binds`.
    pub from: &'a str,
}

impl AuditRows<'_> {
    /// Appends the entries at `at` by `actor`, inside the caller's transaction. Returns
    /// how many.
    pub(super) async fn record(
        self,
        conn: &mut AnyConnection,
        at: &str,
        actor: &Actor,
        binds: &[Bind<'_>],
    ) -> StoreResult<u64> {
        let AuditRows {
            action,
            entity,
            id,
            detail,
            from,
        } = self;
        let (at_n, actor_n) = (binds.len() + 1, binds.len() + 2);
        let sql = format!(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) \
             SELECT ${at_n}, ${actor_n}, {action}, {}, CAST({id} AS TEXT), {detail} FROM {from}",
            sql_literal(entity)
        );
        Ok(Bind::all(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
            .bind(at)
            .bind(actor.as_str())
            .execute(conn)
            .await?
            .rows_affected())
    }
}

/// One value of a detail written by SQL ([`detail_sql`]). Keys and values are written
/// as they are (codes, dates and numbers: nothing to escape).
#[derive(Clone, Copy, Debug)]
pub(super) enum DetailValue<'a> {
    /// A JSON string from an SQL text expression.
    Text(&'a str),
    /// A JSON number from an SQL integer expression.
    Number(&'a str),
    /// A JSON string, the same on every row.
    Fixed(&'a str),
}

/// The SQL expression that writes a JSON object of `fields`, in their order, for
/// [`AuditRows::detail`]: `[("report_id", Number("$1"))]` writes `{"report_id":7}`.
pub(super) fn detail_sql(fields: &[(&str, DetailValue<'_>)]) -> String {
    // The object's fixed text, cut where a row's value goes in.
    let mut sql = Vec::new();
    let mut text = String::from("{");
    for (n, (key, value)) in fields.iter().enumerate() {
        let comma = if n == 0 { "" } else { "," };
        text.push_str(&format!("{comma}\"{key}\":"));
        match *value {
            DetailValue::Fixed(value) => text.push_str(&format!("\"{value}\"")),
            DetailValue::Text(expression) => {
                text.push('"');
                sql.push(sql_literal(&std::mem::take(&mut text)));
                sql.push(expression.to_owned());
                text.push('"');
            }
            DetailValue::Number(expression) => {
                sql.push(sql_literal(&std::mem::take(&mut text)));
                sql.push(format!("CAST({expression} AS TEXT)"));
            }
        }
    }
    text.push('}');
    sql.push(sql_literal(&text));
    sql.join(" || ")
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

#[cfg(test)]
mod tests {
    use super::DetailValue::{Fixed, Number, Text};
    use super::detail_sql;

    #[test]
    fn details_written_by_sql_are_the_json_they_were() {
        assert_eq!(
            detail_sql(&[
                ("report_id", Number("$1")),
                ("reason", Text("COALESCE(c.reason_code, '')"))
            ]),
            r#"'{"report_id":' || CAST($1 AS TEXT) || ',"reason":"' || COALESCE(c.reason_code, '') || '"}'"#
        );
        assert_eq!(
            detail_sql(&[
                ("collection_date", Text("c.collection_date")),
                ("amount_centimes", Number("c.amount_centimes"))
            ]),
            r#"'{"collection_date":"' || c.collection_date || '","amount_centimes":' || CAST(c.amount_centimes AS TEXT) || '}'"#
        );
        assert_eq!(
            detail_sql(&[("by", Fixed("settlement window"))]),
            r#"'{"by":"settlement window"}'"#
        );
        assert_eq!(
            detail_sql(&[("from", Text("$1")), ("to", Text("$2"))]),
            r#"'{"from":"' || $1 || '","to":"' || $2 || '"}'"#
        );
        assert_eq!(detail_sql(&[]), "'{}'");
    }
}
