//! Planning collections: one per employer with an active mandate and collectible lines, for
//! a collection date. Set-based SQL, so national scale plans in a few statements; one
//! transaction, so a plan is all there or not at all; idempotent, so planning the same date
//! again changes nothing.
//!
//! A date stays open until its notice deadline (the caller plans only while a notice
//! recorded today still reaches the employer in time): planning it again attaches the lines
//! submitted or corrected since to the employer's planned collection, recomputes its amount
//! from its lines and announces it again — a new advance notice (`notice_version` + 1, its
//! own dedupe key), the previous one withdrawn if no worker has taken it yet. Each
//! announcement writes `announced_centimes` and `earliest_debit_date` (today + the notice
//! period); the database refuses to file a collection for more, or earlier
//! (`collections_within_notice`, migration 0013).
//!
//! Ceilings: an employer whose total for the date is above its mandate's ceiling is not
//! debited at all (never a part of what is owed without its choice): a `ceiling_shortfalls`
//! row, and one `over_ceiling` notice per date telling it to raise the ceiling before the
//! deadline or pay another way. A later pass, once the ceiling allows, plans it.
//!
//! A debit planning itself cancelled for the ceiling (`reason_code = 'over_ceiling'`: a
//! correction left it without lines and the new ones were above the ceiling) is no obstacle
//! to planning the employer again on the same date: one collection per employer and date is
//! a unique key, so the pass revives that row — planned again with the new lines and amount,
//! announced again (`notice_version` + 1) — rather than inserting a second. Only a first
//! attempt of the same mandate is revived; a debit staff cancelled stays cancelled (its
//! lines wait for the next date).

use chrono::{Days, NaiveDate};
use mandates::Amount;
use serde::Serialize;

use super::release_lines;
use crate::store::audit::DetailValue::{Number, Text};
use crate::store::audit::{AuditRows, detail_sql};
use crate::store::notice_events::{
    NoticeEvents, NoticeKind, notify_cancelled_debits, withdraw_unsent_advance_notices,
};
use crate::store::{Actor, Bind, Store, StoreResult};

/// What a planning pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    pub collection_date: String,
    /// Collections created by this pass, or revived after planning cancelled them for the
    /// ceiling (0 when the date was already planned).
    pub planned: u64,
    pub amount: Amount,
    pub lines: u64,
    /// Employers left out because their collectible total is above their mandate's ceiling.
    pub over_ceiling: u64,
    /// Collections planned before whose amount changed (lines added, or taken out by a
    /// correction): announced again.
    pub amended: u64,
}

/// The lines an employer's active mandate can collect on `$1`: submitted declarations due
/// by then, lines not yet paid (by a debit or another channel), not written off nor asked
/// for by a write-off request still waiting (`write_offs`), not in a live collection and,
/// in a payment plan in force, not before their instalment's day, of employers with no
/// collection on that date yet, with a planned one of the same mandate (amended) or one of
/// the same mandate planning cancelled for the ceiling (revived, see the module).
const COLLECTIBLE: &str = "FROM mandates m \
     JOIN declarations d ON d.employer_id = m.employer_id AND d.status = 'submitted' AND d.due_from <= $1 \
     JOIN declaration_lines l ON l.declaration_id = d.id AND l.status = 'submitted' \
     WHERE m.status = 'active' \
       AND NOT EXISTS (SELECT 1 FROM collection_lines cl WHERE cl.declaration_line_id = l.id AND cl.live = 1) \
       AND NOT EXISTS (SELECT 1 FROM payment_allocations pa WHERE pa.declaration_line_id = l.id) \
       AND NOT EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id) \
       AND NOT EXISTS (SELECT 1 FROM write_off_requests r WHERE r.employer_id = d.employer_id \
                       AND r.status = 'pending' \
                       AND ',' || r.line_ids || ',' LIKE '%,' || CAST(l.id AS TEXT) || ',%') \
       AND NOT EXISTS (SELECT 1 FROM payment_plan_lines ppl JOIN payment_plans pp ON pp.id = ppl.plan_id \
                       WHERE ppl.declaration_line_id = l.id AND pp.status = 'active' AND ppl.due_on > $1) \
       AND NOT EXISTS (SELECT 1 FROM collections c WHERE c.employer_id = m.employer_id AND c.collection_date = $1 \
                       AND (c.mandate_id <> m.id OR NOT (c.status = 'planned' OR (c.status = 'cancelled' \
                            AND c.reason_code = 'over_ceiling' AND c.retry_of IS NULL))))";

/// A debit of the date planning may revive (see the module), as a condition on `c`.
const REVIVABLE: &str =
    "c.status = 'cancelled' AND c.reason_code = 'over_ceiling' AND c.retry_of IS NULL";

/// The sum of the live lines of collection `c`.
const LIVE_SUM: &str = "(SELECT COALESCE(CAST(SUM(cl.amount_centimes) AS BIGINT), 0) FROM collection_lines cl \
     WHERE cl.collection_id = c.id AND cl.live <> 0)";

impl Store {
    /// Plans every collection due on `collection_date`, recording today (`noticed_on`) as the
    /// day the advance notice is recorded, and amends the collections already planned for
    /// it (see the module). The caller chooses a date whose notice period `noticed_on`
    /// respects (`mandates::ChannelPolicy::notice_respected`); if it does not, the database
    /// refuses to file the debits (their earliest debit date is after the date).
    pub async fn plan_collections(
        &self,
        actor: &Actor,
        collection_date: NaiveDate,
        noticed_on: NaiveDate,
    ) -> StoreResult<PlanSummary> {
        let date = collection_date.to_string();
        let compact = collection_date.format("%Y%m%d").to_string();
        let notice = Days::new(u64::from(self.notice_days));
        let earliest = noticed_on
            .checked_add_days(notice)
            .unwrap_or(NaiveDate::MAX)
            .to_string();
        let deadline = collection_date
            .checked_sub_days(notice)
            .unwrap_or(NaiveDate::MIN)
            .to_string();
        let now = self.now_text();
        let started = std::time::Instant::now();
        let step = |name: &str| tracing::debug!(step = name, elapsed = ?started.elapsed(), "plan_collections");
        let mut tx = self.begin_write().await?;
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        // An employer in credit (paid by another channel) has it pay its owed lines first,
        // as a payment would: they leave this plan, and a debit already planned that holds
        // them is reduced or cancelled (`payments::use_credits`; only payers are read).
        let credits_used = crate::store::payments::use_credits(
            &mut tx,
            self.backend.lock_rows(),
            "1 = 1",
            &[],
            &self.clock.today().to_string(),
            // Only lines this plan would collect (due by its date).
            &date,
            &now,
        )
        .await?;
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

        // Per employer (one active mandate each): the debit's amount — its new lines and
        // those already in its planned collection of the date —, its channel and
        // ceiling, its sequence type as the run's re-check would stamp it (FRST until
        // a debit of the mandate has settled), so that the re-check rewrites only the
        // collections whose type changed since, and whether it has no collection on the
        // date yet (`fresh`: step 1 inserts those, without reading `collections` while it
        // writes them).
        sqlx::query(
            "CREATE TEMP TABLE plan_debits (employer_id BIGINT NOT NULL, mandate_id BIGINT NOT NULL, \
             channel TEXT NOT NULL, ceiling_centimes BIGINT, amount_centimes BIGINT NOT NULL, sequence_type TEXT NOT NULL, \
             fresh INTEGER NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO plan_debits (employer_id, mandate_id, channel, ceiling_centimes, amount_centimes, sequence_type, fresh) \
             SELECT g.employer_id, g.mandate_id, a.kind, m.ceiling_centimes, g.amount + COALESCE((SELECT {LIVE_SUM} \
               FROM collections c WHERE c.employer_id = g.employer_id AND c.collection_date = $1 AND c.status = 'planned'), 0), \
             CASE WHEN EXISTS (SELECT 1 FROM collections p WHERE p.mandate_id = g.mandate_id \
               AND p.status = 'settled') THEN 'RCUR' ELSE 'FRST' END, \
             CASE WHEN EXISTS (SELECT 1 FROM collections c WHERE c.employer_id = g.employer_id \
               AND c.collection_date = $1) THEN 0 ELSE 1 END \
             FROM (SELECT employer_id, mandate_id, CAST(SUM(total_centimes) AS BIGINT) AS amount \
                   FROM plan_source GROUP BY employer_id, mandate_id) g \
             JOIN mandates m ON m.id = g.mandate_id JOIN accounts a ON a.id = m.account_id"
        )))
        .bind(&date)
        .execute(&mut *tx)
        .await?;
        step("collectible lines read");

        let (over_ceiling, shortfalls_changed) = self
            .record_shortfalls(&mut tx, &date, &deadline, &now)
            .await?;
        step("over ceiling recorded");

        // 1. One collection per eligible employer (one active mandate each) without one on
        // the date, for the sum of its collectible lines, announced for it. The statement
        // reads only `plan_debits`: an anti-join against `collections` in the statement
        // that fills it was planned by PostgreSQL, on a database with no collection yet,
        // as a nested loop scanning `collections` once per employer — the table it was
        // growing (quadratic: 100,000 employers ran over 13 minutes and were cancelled).
        let planned = sqlx::query(
            "INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes, \
             status, attempt, end_to_end_id, noticed_on, created_at, updated_at, sequence_type, \
             announced_centimes, earliest_debit_date, notice_version) \
             SELECT d.employer_id, d.mandate_id, d.channel, $1, d.amount_centimes, 'planned', 1, \
             'T' || $2 || 'M' || CAST(d.mandate_id AS TEXT), $3, $4, $4, d.sequence_type, \
             d.amount_centimes, $5, 1 FROM plan_debits d WHERE d.amount_centimes > 0 AND d.fresh = 1",
        )
        .bind(&date)
        .bind(&compact)
        .bind(noticed_on.to_string())
        .bind(&now)
        .bind(&earliest)
        .execute(&mut *tx)
        .await?
        .rows_affected();

        step("collections inserted");
        // 1 bis. The employer's debit of the date planning cancelled for the ceiling, now
        // within it: planned again for the new amount (its lines are attached in step 2),
        // announced again below. (The unique key allows one row per employer and date.)
        let revived: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "UPDATE collections SET status = 'planned', reason_code = NULL, reason_category = NULL, \
             held_at = NULL, amount_centimes = {picked}, announced_centimes = {picked}, \
             sequence_type = (SELECT d.sequence_type FROM plan_debits d WHERE d.employer_id = collections.employer_id), \
             channel = (SELECT d.channel FROM plan_debits d WHERE d.employer_id = collections.employer_id), \
             earliest_debit_date = $2, noticed_on = $3, notice_version = notice_version + 1, updated_at = $4 \
             WHERE id IN (SELECT c.id FROM collections c JOIN plan_debits d ON d.employer_id = c.employer_id \
               AND d.mandate_id = c.mandate_id AND d.amount_centimes > 0 \
               WHERE c.collection_date = $1 AND {REVIVABLE}) \
             RETURNING id",
            picked = "(SELECT d.amount_centimes FROM plan_debits d WHERE d.employer_id = collections.employer_id)"
        )))
        .bind(&date)
        .bind(&earliest)
        .bind(noticed_on.to_string())
        .bind(&now)
        .fetch_all(&mut *tx)
        .await?;
        // 2. Their breakdown, line by line: the same rows, into the employer's planned
        // collection of the date (new, or amended). (A line made live elsewhere since 0
        // fails the partial unique index and with it the whole plan, rather than being
        // collected twice. A line once in a revived debit is made live there again.)
        // The collections of this pass have no line yet: theirs are plain inserts (on
        // PostgreSQL an `ON CONFLICT` insert is speculative — a probe of the key and a
        // second WAL record per row). Only the debits planned before (amended, revived)
        // take the upsert, and only when the date has any.
        let select_lines = "SELECT c.id, p.line_id, p.total_centimes, 1 FROM plan_source p CROSS JOIN collections c \
             WHERE c.employer_id = p.employer_id AND c.collection_date = $1 AND c.status = 'planned' \
             AND c.mandate_id = p.mandate_id";
        let insert_lines = "INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live)";
        let mut lines = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{insert_lines} {select_lines} AND c.id > $2"
        )))
        .bind(&date)
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let planned_before: i64 = sqlx::query_scalar(
            "SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM collections WHERE collection_date = $1 \
             AND status = 'planned' AND id <= $2) THEN 1 ELSE 0 END AS BIGINT)",
        )
        .bind(&date)
        .bind(before)
        .fetch_one(&mut *tx)
        .await?;
        if planned_before != 0 {
            lines += sqlx::query(sqlx::AssertSqlSafe(format!(
                "{insert_lines} {select_lines} AND c.id <= $2 \
                 ON CONFLICT (collection_id, declaration_line_id) DO UPDATE SET live = 1, \
                 amount_centimes = excluded.amount_centimes"
            )))
            .bind(&date)
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        sqlx::query("DROP TABLE plan_source")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DROP TABLE plan_debits")
            .execute(&mut *tx)
            .await?;
        step("lines inserted");

        // 3. An advance notice per new collection. (The lines are now scheduled: their live
        // collection lines say so — `declaration_line_states`.) A revived one is announced
        // again (`advance_notice:ID:vN`).
        let revived_ids = if revived.is_empty() {
            "0".to_owned()
        } else {
            revived
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let revived_collections =
            format!("collections c WHERE c.collection_date = $1 AND c.id IN ({revived_ids})");
        if !revived.is_empty() {
            NoticeEvents::new(NoticeKind::AdvanceNotice, "c", &revived_collections)
                .again("'v' || CAST(c.notice_version AS TEXT)")
                .record(&mut tx, &now, &[Bind::Text(&date)])
                .await?;
        }
        let new_collections = "collections c WHERE c.collection_date = $1 AND c.id > $2";
        let binds = [Bind::Text(&date), Bind::Int(before)];
        NoticeEvents::new(NoticeKind::AdvanceNotice, "c", new_collections)
            .record(&mut tx, &now, &binds)
            .await?;
        step("notices recorded");

        // 4. The collections planned before whose lines changed: amended and announced again.
        let amended = amend_planned(
            &mut tx,
            AmendDates {
                date: &date,
                noticed_on: &noticed_on.to_string(),
                earliest: &earliest,
                now: &now,
            },
            before,
        )
        .await?;

        // 4 bis. The date's totals counted again (`collection_totals`).
        crate::store::collection_totals::recount_date(&mut tx, &date).await?;
        step("totals counted");

        // 5. The audit entries, last: each takes the audit chain's head, held until the
        // commit, so no row lock is taken after it (on PostgreSQL another transaction
        // holding such a row and waiting for the head would deadlock with this one).
        audit_shortfalls(&mut tx, actor, &now, &shortfalls_changed).await?;
        crate::store::payments::audit_credits_used(&mut tx, actor, &credits_used, &now).await?;
        if !revived.is_empty() {
            AuditRows {
                action: "'collection.planned'",
                entity: "collection",
                id: "c.id",
                detail: &detail_sql(&[
                    ("collection_date", Text("c.collection_date")),
                    ("amount_centimes", Number("c.amount_centimes")),
                    ("notice_version", Number("c.notice_version")),
                ]),
                from: &revived_collections,
            }
            .record(&mut tx, &now, actor, &[Bind::Text(&date)])
            .await?;
        }
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
        if amended > 0 {
            AuditRows {
                action: "CASE WHEN c.status = 'cancelled' THEN 'collection.cancelled' ELSE 'collection.amended' END",
                entity: "collection",
                id: "c.id",
                detail: &detail_sql(&[
                    ("collection_date", Text("c.collection_date")),
                    ("amount_centimes", Number("c.amount_centimes")),
                    ("notice_version", Number("c.notice_version")),
                ]),
                from: "collections c WHERE c.collection_date = $1 \
                       AND c.id IN (SELECT collection_id FROM plan_amended)",
            }
            .record(&mut tx, &now, actor, &[Bind::Text(&date)])
            .await?;
        }
        sqlx::query("DROP TABLE plan_amended")
            .execute(&mut *tx)
            .await?;
        step("audited");
        let amount: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(SUM(amount_centimes) AS BIGINT) FROM collections \
             WHERE collection_date = $1 AND (id > $2 OR id IN ({revived_ids}))"
        )))
        .bind(&date)
        .bind(before)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        step("committed");
        Ok(PlanSummary {
            collection_date: date,
            planned: planned + u64::try_from(revived.len()).unwrap_or(0),
            amount: Amount::from_centimes(amount.unwrap_or(0)),
            lines,
            over_ceiling,
            amended,
        })
    }

    /// Step 0 bis of planning: the employers of `plan_debits` over their ceiling are taken
    /// out of the plan (their lines wait), recorded in `ceiling_shortfalls` (kept up to
    /// date with what they owe and their ceiling) and told once per date. A debit of theirs
    /// already planned on the date loses its lines too (step 4 cancels it, reason
    /// `over_ceiling`, and tells the employer if its notice went out): the over-ceiling
    /// notice says nothing is debited on the date, and nothing is — an employer who pays
    /// what it owes another way is never debited part of it as well. Returns how many, and
    /// the shortfalls recorded or changed now (audited at the end of planning).
    async fn record_shortfalls(
        &self,
        tx: &mut sqlx::AnyConnection,
        date: &str,
        deadline: &str,
        now: &str,
    ) -> StoreResult<(u64, Vec<i64>)> {
        let over = "ceiling_centimes IS NOT NULL AND amount_centimes > ceiling_centimes";
        let changed: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "INSERT INTO ceiling_shortfalls (employer_id, mandate_id, collection_date, amount_centimes, \
             ceiling_centimes, deadline, resolved_at, created_at, updated_at) \
             SELECT employer_id, mandate_id, $1, amount_centimes, ceiling_centimes, $2, NULL, $3, $3 \
             FROM plan_debits WHERE {over} \
             ON CONFLICT (employer_id, collection_date) DO UPDATE SET mandate_id = excluded.mandate_id, \
             amount_centimes = excluded.amount_centimes, ceiling_centimes = excluded.ceiling_centimes, \
             deadline = excluded.deadline, resolved_at = NULL, updated_at = excluded.updated_at \
             WHERE ceiling_shortfalls.amount_centimes <> excluded.amount_centimes \
             OR ceiling_shortfalls.ceiling_centimes <> excluded.ceiling_centimes \
             OR ceiling_shortfalls.resolved_at IS NOT NULL \
             RETURNING id"
        )))
        .bind(date)
        .bind(deadline)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM plan_debits WHERE {over}"
        )))
        .fetch_one(&mut *tx)
        .await?;
        // The employers debited on the date after all (ceiling raised or removed, or a
        // correction) are no longer over their ceiling.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE ceiling_shortfalls SET resolved_at = $2, updated_at = $2 \
             WHERE collection_date = $1 AND resolved_at IS NULL AND employer_id IN \
             (SELECT employer_id FROM plan_debits WHERE amount_centimes > 0 AND NOT ({over}))"
        )))
        .bind(date)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if count == 0 {
            return Ok((0, changed));
        }
        // Their lines wait: nothing of theirs is planned or attached on this date, not even
        // the lines of a debit planned for them before.
        release_lines(
            &mut *tx,
            &format!(
                "c.collection_date = $1 AND c.status = 'planned' \
                 AND c.employer_id IN (SELECT employer_id FROM plan_debits WHERE {over})"
            ),
            date,
        )
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM plan_source WHERE employer_id IN (SELECT employer_id FROM plan_debits WHERE {over})"
        )))
        .execute(&mut *tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM plan_debits WHERE {over}"
        )))
        .execute(&mut *tx)
        .await?;
        // One notice per employer and date (the row's id is in its dedupe key).
        let open = "ceiling_shortfalls s WHERE s.collection_date = $1 AND s.resolved_at IS NULL";
        NoticeEvents::new(NoticeKind::OverCeiling, "s", open)
            .record(tx, now, &[Bind::Text(date)])
            .await?;
        Ok((u64::try_from(count).unwrap_or(0), changed))
    }

    /// What planning `collection_date` would take in now, as a short fingerprint — the
    /// collectible lines (how many, the newest), the ceilings of their mandates, and the
    /// planned collections whose amount differs from what was announced — or `None` when
    /// there is nothing to plan or amend. The scheduler makes it part of the plan job's
    /// key (`plan:DATE:MARK`): a new job exactly when something changed since the last
    /// (a declaration submitted or corrected, a ceiling raised), none on passes where
    /// nothing did. Reads only.
    pub async fn planning_mark(&self, collection_date: NaiveDate) -> StoreResult<Option<String>> {
        let date = collection_date.to_string();
        let (lines, newest, ceilings, unlimited): (i64, i64, i64, i64) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*), CAST(COALESCE(MAX(l.id), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(COALESCE(m.ceiling_centimes, 0)), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN m.ceiling_centimes IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
                 {COLLECTIBLE}"
            )))
            .bind(&date)
            .fetch_one(&self.pool)
            .await?;
        // (A debit a correction left without lines keeps its amount — never zero — and
        // the corrected lines may reuse the old ids on SQLite: its live sum tells.)
        let (stale, stale_sum): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(c.amount_centimes), 0) AS BIGINT) FROM collections c \
             WHERE c.collection_date = $1 AND c.status = 'planned' \
             AND (c.announced_centimes IS NULL OR c.amount_centimes <> c.announced_centimes \
                  OR c.amount_centimes <> {LIVE_SUM})"
        )))
        .bind(&date)
        .fetch_one(&self.pool)
        .await?;
        Ok((lines > 0 || stale > 0)
            .then(|| format!("{lines}.{newest}.{ceilings}.{unlimited}.{stale}.{stale_sum}")))
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

/// The dates of an amendment: the collection date, the day of the new announcement, the
/// earliest debit date it allows, and the timestamp.
#[derive(Clone, Copy)]
struct AmendDates<'a> {
    date: &'a str,
    noticed_on: &'a str,
    earliest: &'a str,
    now: &'a str,
}

/// Step 4 of planning: the collections of the date planned before this pass (ids up to
/// `before`) whose live lines no longer add up to what was announced. Those with lines get
/// their new amount, announced again (new version, notice, audit; the unsent previous
/// notice withdrawn); those left without any (a correction whose new lines could not be
/// attached: over the ceiling) are cancelled, told if their notice went out. Returns how
/// many were amended or cancelled.
async fn amend_planned(
    tx: &mut sqlx::AnyConnection,
    at: AmendDates<'_>,
    before: i64,
) -> StoreResult<u64> {
    sqlx::query("CREATE TEMP TABLE plan_amended (collection_id BIGINT NOT NULL, amount_centimes BIGINT NOT NULL)")
        .execute(&mut *tx)
        .await?;
    let amended = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO plan_amended (collection_id, amount_centimes) \
         SELECT c.id, {LIVE_SUM} FROM collections c \
         WHERE c.collection_date = $1 AND c.status = 'planned' AND c.id <= $2 \
         AND (c.amount_centimes <> {LIVE_SUM} OR c.announced_centimes IS NULL \
              OR c.announced_centimes <> {LIVE_SUM})"
    )))
    .bind(at.date)
    .bind(before)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if amended > 0 {
        let which = "c.collection_date = $1 AND c.id IN (SELECT collection_id FROM plan_amended)";
        withdraw_unsent_advance_notices(tx, which, at.date).await?;
        // Left without lines: cancelled (the amount stays what it was: never zero).
        let emptied = "plan_amended.amount_centimes = 0";
        let cancelled = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE collections SET status = 'cancelled', updated_at = $2, reason_code = CASE \
             WHEN EXISTS (SELECT 1 FROM ceiling_shortfalls s WHERE s.employer_id = collections.employer_id \
             AND s.collection_date = collections.collection_date AND s.resolved_at IS NULL) \
             THEN 'over_ceiling' ELSE 'notice_late' END \
             WHERE id IN (SELECT collection_id FROM plan_amended WHERE {emptied})"
        )))
        .bind(at.date)
        .bind(at.now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if cancelled > 0 {
            notify_cancelled_debits(
                tx,
                "c.collection_date = $1 AND c.status = 'cancelled' \
                 AND c.id IN (SELECT collection_id FROM plan_amended WHERE amount_centimes = 0)",
                at.date,
                at.now,
            )
            .await?;
        }
        sqlx::query(
            "UPDATE collections SET amount_centimes = (SELECT a.amount_centimes FROM plan_amended a \
             WHERE a.collection_id = collections.id), announced_centimes = (SELECT a.amount_centimes \
             FROM plan_amended a WHERE a.collection_id = collections.id), earliest_debit_date = $2, \
             noticed_on = $3, notice_version = notice_version + 1, updated_at = $4 \
             WHERE status = 'planned' AND id IN (SELECT collection_id FROM plan_amended WHERE amount_centimes > 0)",
        )
        .bind(at.date)
        .bind(at.earliest)
        .bind(at.noticed_on)
        .bind(at.now)
        .execute(&mut *tx)
        .await?;
        let announced = "collections c WHERE c.collection_date = $1 AND c.status = 'planned' \
             AND c.id IN (SELECT collection_id FROM plan_amended)";
        let binds = [Bind::Text(at.date)];
        // The dedupe key of announcement n > 1 is `advance_notice:ID:vN` (the first keeps
        // `advance_notice:ID`; a calendar move adds its date instead).
        NoticeEvents::new(NoticeKind::AdvanceNotice, "c", announced)
            .again("'v' || CAST(c.notice_version AS TEXT)")
            .record(tx, at.now, &binds)
            .await?;
    }
    // (`plan_amended` stays for the audit entries written at the end of planning.)
    Ok(amended)
}

/// The audit entries of the shortfalls planning recorded or changed (`collection.over_ceiling`).
async fn audit_shortfalls(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    now: &str,
    changed: &[i64],
) -> StoreResult<()> {
    if !changed.is_empty() {
        let ids = changed
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        AuditRows {
            action: "'collection.over_ceiling'",
            entity: "employer",
            id: "s.employer_id",
            detail: &detail_sql(&[
                ("collection_date", Text("s.collection_date")),
                ("amount_centimes", Number("s.amount_centimes")),
                ("ceiling_centimes", Number("s.ceiling_centimes")),
            ]),
            from: &format!("ceiling_shortfalls s WHERE s.id IN ({ids})"),
        }
        .record(tx, now, actor, &[])
        .await?;
    }
    Ok(())
}
