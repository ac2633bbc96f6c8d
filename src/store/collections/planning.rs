//! Planning collections: one per employer with an active mandate and collectible lines, for
//! a collection date. Set-based SQL, so national scale plans in a few statements; one
//! transaction, so a plan is all there or not at all; idempotent, so planning the same date
//! again changes nothing.

use chrono::NaiveDate;
use mandates::Amount;
use serde::Serialize;

use crate::store::audit::DetailValue::{Number, Text};
use crate::store::audit::{AuditRows, detail_sql};
use crate::store::notice_events::{NoticeEvents, NoticeKind};
use crate::store::{Actor, Bind, Store, StoreResult};

/// What a planning pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    pub collection_date: String,
    /// Collections created by this pass (0 when the date was already planned).
    pub planned: u64,
    pub amount: Amount,
    pub lines: u64,
    /// Employers left out because their collectible total is above their mandate's ceiling.
    pub over_ceiling: u64,
}

/// The lines an employer's active mandate can collect on `$1`: submitted declarations due
/// by then, lines not yet paid and not in a live collection.
const COLLECTIBLE: &str = "FROM mandates m \
     JOIN declarations d ON d.employer_id = m.employer_id AND d.status = 'submitted' AND d.due_from <= $1 \
     JOIN declaration_lines l ON l.declaration_id = d.id AND l.status = 'submitted' \
     WHERE m.status = 'active' \
       AND NOT EXISTS (SELECT 1 FROM collection_lines cl WHERE cl.declaration_line_id = l.id AND cl.live = 1) \
       AND NOT EXISTS (SELECT 1 FROM collections c WHERE c.employer_id = m.employer_id AND c.collection_date = $1)";

impl Store {
    /// Plans every collection due on `collection_date`, recording today (`noticed_on`) as the
    /// day the advance notice is recorded. The caller chooses a date whose notice period
    /// `noticed_on` respects (`mandates::ChannelPolicy::notice_respected`).
    pub async fn plan_collections(
        &self,
        actor: &Actor,
        collection_date: NaiveDate,
        noticed_on: NaiveDate,
    ) -> StoreResult<PlanSummary> {
        let date = collection_date.to_string();
        let compact = collection_date.format("%Y%m%d").to_string();
        let now = self.now_text();
        let started = std::time::Instant::now();
        let step = |name: &str| tracing::debug!(step = name, elapsed = ?started.elapsed(), "plan_collections");
        let mut tx = self.begin_write().await?;
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        // This pass's collections are those above the highest id before it (ids only grow).
        let before: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM collections")
                .fetch_one(&mut *tx)
                .await?;

        // 0. The collectible lines, read once into a private table: planning then never
        // reads a table it is writing (a plan that re-scans `collection_lines` per line
        // while inserting into it is quadratic), and the collections and their lines come
        // from the same rows, so each amount is the sum of its lines by construction. The
        // table keeps only what the lines need; the channel and ceiling are read per
        // debit below. On PostgreSQL an index makes every join order against the new
        // collections cheap, whatever the planner estimates for rows inserted in this
        // very transaction (it has no statistics for them); SQLite joins them through the
        // collections' own unique (employer, date) index and does without: step 2 says
        // `CROSS JOIN`, which SQLite takes as "this table first" (reading the new
        // collections first through their date index would scan this table once per
        // collection), and PostgreSQL as a plain join.
        sqlx::query(
            "CREATE TEMP TABLE plan_source (employer_id BIGINT NOT NULL, mandate_id BIGINT NOT NULL, \
             line_id BIGINT NOT NULL, total_centimes BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO plan_source (employer_id, mandate_id, line_id, total_centimes) \
             SELECT m.employer_id, m.id, l.id, l.total_centimes {COLLECTIBLE}"
        )))
        .bind(&date)
        .execute(&mut *tx)
        .await?;
        if self.backend.indexes_temporary_tables() {
            sqlx::query("CREATE INDEX plan_source_employer ON plan_source (employer_id)")
                .execute(&mut *tx)
                .await?;
        }

        // Per employer (one active mandate each): the debit's amount, its channel and
        // ceiling, and its sequence type as the run's re-check would stamp it (FRST until
        // a debit of the mandate has settled), so that the re-check rewrites only the
        // collections whose type changed since.
        sqlx::query(
            "CREATE TEMP TABLE plan_debits (employer_id BIGINT NOT NULL, mandate_id BIGINT NOT NULL, \
             channel TEXT NOT NULL, ceiling_centimes BIGINT, amount_centimes BIGINT NOT NULL, sequence_type TEXT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO plan_debits (employer_id, mandate_id, channel, ceiling_centimes, amount_centimes, sequence_type) \
             SELECT g.employer_id, g.mandate_id, a.kind, m.ceiling_centimes, g.amount, \
             CASE WHEN EXISTS (SELECT 1 FROM collections p WHERE p.mandate_id = g.mandate_id \
               AND p.status = 'settled') THEN 'RCUR' ELSE 'FRST' END \
             FROM (SELECT employer_id, mandate_id, CAST(SUM(total_centimes) AS BIGINT) AS amount \
                   FROM plan_source GROUP BY employer_id, mandate_id) g \
             JOIN mandates m ON m.id = g.mandate_id JOIN accounts a ON a.id = m.account_id",
        )
        .execute(&mut *tx)
        .await?;
        step("collectible lines read");

        let over_ceiling: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM plan_debits WHERE ceiling_centimes IS NOT NULL AND amount_centimes > ceiling_centimes",
        )
        .fetch_one(&mut *tx)
        .await?;

        step("over ceiling counted");
        // 1. One collection per eligible employer (one active mandate each), for the sum of
        // its collectible lines.
        let planned = sqlx::query(
            "INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes, \
             status, attempt, end_to_end_id, noticed_on, created_at, updated_at, sequence_type) \
             SELECT employer_id, mandate_id, channel, $1, amount_centimes, 'planned', 1, \
             'T' || $2 || 'M' || CAST(mandate_id AS TEXT), $3, $4, $4, sequence_type FROM plan_debits \
             WHERE amount_centimes > 0 AND (ceiling_centimes IS NULL OR amount_centimes <= ceiling_centimes)",
        )
        .bind(&date)
        .bind(&compact)
        .bind(noticed_on.to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();

        step("collections inserted");
        // 2. Their breakdown, line by line: the same rows, of the employers planned in 1.
        // (A line made live elsewhere since 0 fails the partial unique index and with it
        // the whole plan, rather than being collected twice.)
        let lines = sqlx::query(
            "INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live) \
             SELECT c.id, p.line_id, p.total_centimes, 1 FROM plan_source p CROSS JOIN collections c \
             WHERE c.employer_id = p.employer_id AND c.collection_date = $1 AND c.id > $2",
        )
        .bind(&date)
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("DROP TABLE plan_source")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DROP TABLE plan_debits")
            .execute(&mut *tx)
            .await?;

        step("lines inserted");
        // 3. An advance notice per new collection, and 4. its audit entry. (The lines are
        // now scheduled: their live collection lines say so — `declaration_line_states`.)
        let new_collections = "collections c WHERE c.collection_date = $1 AND c.id > $2";
        let binds = [Bind::Text(&date), Bind::Int(before)];
        NoticeEvents::new(NoticeKind::AdvanceNotice, "c", new_collections)
            .record(&mut tx, &now, &binds)
            .await?;
        step("notices recorded");
        AuditRows {
            action: "'collection.planned'",
            entity: "collection",
            id: "c.id",
            detail: &detail_sql(&[
                ("collection_date", Text("c.collection_date")),
                ("amount_centimes", Number("c.amount_centimes")),
            ]),
            from: new_collections,
        }
        .record(&mut tx, &now, actor, &binds)
        .await?;

        step("audited");
        let amount: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(amount_centimes) AS BIGINT) FROM collections \
             WHERE collection_date = $1 AND id > $2",
        )
        .bind(&date)
        .bind(before)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        step("committed");
        Ok(PlanSummary {
            collection_date: date,
            planned,
            amount: Amount::from_centimes(amount.unwrap_or(0)),
            lines,
            over_ceiling: u64::try_from(over_ceiling).unwrap_or(0),
        })
    }

    /// How many employers planning `collection_date` now would debit: those with
    /// collectible lines whose total is above zero and within their mandate's ceiling (the
    /// same rows and rule as [`Store::plan_collections`]). Reads only.
    pub async fn collectible_debits(&self, collection_date: NaiveDate) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM (SELECT m.employer_id, m.ceiling_centimes, \
             CAST(SUM(l.total_centimes) AS BIGINT) AS amount {COLLECTIBLE} \
             GROUP BY m.employer_id, m.ceiling_centimes) g \
             WHERE g.amount > 0 AND (g.ceiling_centimes IS NULL OR g.amount <= g.ceiling_centimes)"
        )))
        .bind(collection_date.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
