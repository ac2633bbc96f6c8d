//! The append-only audit trail (database triggers refuse UPDATE and DELETE, and TRUNCATE
//! on PostgreSQL). Every entry is written here, in the caller's transaction: one by
//! [`Audit`], one per row of a query by [`AuditRows`].
//!
//! The trail is a hash chain, one per database: each entry takes the next place `seq`
//! (1, 2, 3, … with no gap), the `prev_hash` of the entry before it and its own `hash`
//! ([`link_hash`]), computed here in Rust, in the transaction that writes the entry. The
//! chain's head (`audit_head`, one row) is taken by [`take_head`] — on PostgreSQL its row
//! lock makes concurrent appends queue until the first commits, so the chain never forks;
//! SQLite has one writer — and moved by [`move_head`]. Callers see none of it. The walk
//! that checks the chain is `audit_verify.rs`.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, FromRow};

use super::dialect::JsonArrayRows;
use super::{Actor, Backend, Bind, Store, StoreError, StoreResult, sql_literal};

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

    /// Appends the entry at `at` to the chain, inside the caller's transaction.
    pub(super) async fn record(self, conn: &mut AnyConnection, at: &str) -> StoreResult<()> {
        let entity_id = self.entity_id.to_string();
        let detail = self.detail.to_string();
        let head = take_head(conn).await?;
        let seq = head.seq + 1;
        let hash = link_hash(
            &head.hash,
            seq,
            &Link {
                at,
                actor: self.audit.actor.as_str(),
                action: self.audit.action,
                entity: self.entity,
                entity_id: &entity_id,
                detail: &detail,
            },
        );
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, seq, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(at)
        .bind(self.audit.actor.as_str())
        .bind(self.audit.action)
        .bind(self.entity)
        .bind(&entity_id)
        .bind(&detail)
        .bind(seq)
        .bind(&head.hash)
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
        move_head(conn, &AuditHead { seq, hash }).await
    }
}

/// One audit entry for each row of a query (set-based: a plan, a report or a calendar move
/// audits every collection it changed). Each field is SQL over the rows of `from` (the
/// caller's values bound as [`Bind`]), evaluated by one `INSERT … SELECT` into a table of
/// the transaction; the entries are then chained in Rust and written [`AUDIT_BATCH`] at a
/// time, one statement each (`chain_batch`).
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
        // The rows' fields, numbered 1..n, into a table of this transaction: read back a
        // page at a time, so memory stays flat whatever the number of rows.
        sqlx::query(
            "CREATE TEMP TABLE audit_batch (n INTEGER PRIMARY KEY, action TEXT NOT NULL, \
             entity_id TEXT NOT NULL, detail TEXT NOT NULL)",
        )
        .execute(&mut *conn)
        .await?;
        let sql = format!(
            "INSERT INTO audit_batch (n, action, entity_id, detail) \
             SELECT ROW_NUMBER() OVER (), {action}, CAST({id} AS TEXT), {detail} FROM {from}"
        );
        let entries = Bind::all(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
            .execute(&mut *conn)
            .await?
            .rows_affected();
        if entries > 0 {
            let backend = Backend::of_connection(conn);
            let head = take_head(conn).await?;
            let head = chain_batch(conn, backend, at, actor, entity, head, entries).await?;
            move_head(conn, &head).await?;
        }
        sqlx::query("DROP TABLE audit_batch")
            .execute(&mut *conn)
            .await?;
        Ok(entries)
    }
}

/// Chains the `entries` rows of `audit_batch` after `head` and appends them to the trail,
/// [`AUDIT_BATCH`] at a time: each page read in order, hashed here, and written by one
/// statement that joins the page's hashes (one JSON array, unpacked by the database:
/// [`Backend::json_array_rows`]) to its rows. Returns the new head.
async fn chain_batch(
    conn: &mut AnyConnection,
    backend: Backend,
    at: &str,
    actor: &Actor,
    entity: &str,
    mut head: AuditHead,
    entries: u64,
) -> StoreResult<AuditHead> {
    let JsonArrayRows { from: source, .. } = backend.json_array_rows();
    let insert = format!(
        "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, seq, prev_hash, hash) \
         SELECT $1, $3, b.action, $4, b.entity_id, b.detail, $5 + b.n, j.value ->> 1, j.value ->> 2 \
         FROM {source} CROSS JOIN audit_batch b WHERE b.n = CAST(j.value ->> 0 AS INTEGER)"
    );
    let entries = i64::try_from(entries).unwrap_or(i64::MAX);
    let before = head.seq;
    let mut after = 0_i64;
    while after < entries {
        // The page as one JSON array (one row, not ten thousand: see
        // `Backend::audit_batch_page`), put in order here.
        let page: Option<String> = sqlx::query_scalar(backend.audit_batch_page())
            .bind(after)
            .bind(after + AUDIT_BATCH)
            .fetch_one(&mut *conn)
            .await?;
        let mut page: Vec<(i64, String, String, String)> =
            serde_json::from_str(page.as_deref().unwrap_or("[]")).map_err(|err| {
                StoreError::Other(anyhow::Error::new(err).context("reading an audit batch"))
            })?;
        if page.is_empty() {
            break;
        }
        page.sort_unstable_by_key(|row| row.0);
        // (n, prev_hash, hash) of each row.
        let mut links = Vec::with_capacity(page.len());
        for (_, action, entity_id, detail) in &page {
            let seq = head.seq + 1;
            let link = Link {
                at,
                actor: actor.as_str(),
                action,
                entity,
                entity_id,
                detail,
            };
            let next = AuditHead {
                seq,
                hash: link_hash(&head.hash, seq, &link),
            };
            let prev = std::mem::replace(&mut head, next);
            links.push((seq - before, prev.hash, head.hash.clone()));
        }
        let links = serde_json::to_string(&links)
            .map_err(|err| StoreError::Other(anyhow::Error::new(err).context("audit batch")))?;
        sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
            .bind(at)
            .bind(links)
            .bind(actor.as_str())
            .bind(entity)
            .bind(before)
            .execute(&mut *conn)
            .await?;
        after += AUDIT_BATCH;
    }
    if head.seq - before != entries {
        return Err(StoreError::Other(anyhow::anyhow!(
            "{entries} audit entries to chain but {} read back; nothing recorded",
            head.seq - before
        )));
    }
    Ok(head)
}

/// Entries chained and written by one statement of [`AuditRows::record`].
const AUDIT_BATCH: i64 = 10_000;

/// The place and hash of the last entry of the chain: what an external copy keeps to prove
/// the history up to it (`tahsil audit head`, the daily log line, evidence packs). Written
/// `SEQ:HASH`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditHead {
    /// The entry's place in the chain (0: nothing chained yet).
    pub seq: i64,
    /// Its hash, 64 hexadecimal digits (before the first entry: the anchor of what was
    /// written before the chain, or [`GENESIS`]).
    pub hash: String,
}

impl std::fmt::Display for AuditHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for AuditHead {
    type Err = String;

    /// `SEQ:HASH`, as [`AuditHead`] prints it.
    fn from_str(text: &str) -> Result<AuditHead, String> {
        let wrong = || {
            format!(
                "{text:?} is not an audit anchor: write it SEQ:HASH as `tahsil audit head` \
                 prints it (a number, a colon, 64 hexadecimal digits)"
            )
        };
        let (seq, hash) = text.trim().split_once(':').ok_or_else(wrong)?;
        let seq: i64 = seq.parse().map_err(|_| wrong())?;
        let hash = hash.to_ascii_lowercase();
        if seq < 0 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(wrong());
        }
        Ok(AuditHead { seq, hash })
    }
}

/// The hash before the first link of a chain with nothing before it.
pub(super) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry's hash covers besides its place and the hash before it, as stored.
#[derive(Clone, Copy, Debug)]
pub(super) struct Link<'a> {
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub detail: &'a str,
}

/// The hash of the entry at place `seq` after the hash `prev`: SHA-256, in hexadecimal, of
/// a version tag and then each field (`prev`, `seq` in decimal, at, actor, action, entity,
/// entity id, detail) as its length in bytes (8 bytes, big-endian) and its UTF-8 bytes —
/// so no two different entries encode alike, whatever their text holds.
pub(super) fn link_hash(prev: &str, seq: i64, entry: &Link<'_>) -> String {
    chain_digest(b"tahsil audit entry v1", prev, seq, entry)
}

/// The same for an entry written before the chain (0017), by its `id`: folded in id order
/// into the hash the first chained entry follows.
pub(super) fn legacy_hash(prev: &str, id: i64, entry: &Link<'_>) -> String {
    chain_digest(b"tahsil audit legacy v1", prev, id, entry)
}

fn chain_digest(tag: &[u8], prev: &str, number: i64, entry: &Link<'_>) -> String {
    let number = number.to_string();
    let mut digest = Sha256::new();
    digest.update(tag);
    for field in [
        prev,
        &number,
        entry.at,
        entry.actor,
        entry.action,
        entry.entity,
        entry.entity_id,
        entry.detail,
    ] {
        digest.update(u64::try_from(field.len()).unwrap_or(u64::MAX).to_be_bytes());
        digest.update(field.as_bytes());
    }
    hex::encode(digest.finalize())
}

/// Takes the head of the chain for the caller's transaction: a no-op `UPDATE … RETURNING`,
/// which on PostgreSQL keeps the row locked until the transaction ends (a concurrent
/// appender waits, then reads the head this one leaves) and on SQLite is inside the one
/// write transaction. The first time after migration 0017 it anchors the entries written
/// before the chain ([`legacy_anchor`]).
pub(super) async fn take_head(conn: &mut AnyConnection) -> StoreResult<AuditHead> {
    let (seq, hash): (i64, String) =
        sqlx::query_as("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
            .fetch_one(&mut *conn)
            .await?;
    if !hash.is_empty() {
        return Ok(AuditHead { seq, hash });
    }
    let hash = legacy_anchor(conn).await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut *conn)
        .await?;
    Ok(AuditHead { seq, hash })
}

/// Moves the head to the entry just written (in the transaction that took it).
async fn move_head(conn: &mut AnyConnection, head: &AuditHead) -> StoreResult<()> {
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(head.seq)
        .bind(&head.hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Entries read at a time by the walks over the trail.
pub(super) const AUDIT_PAGE: i64 = 10_000;

/// The hash the chain starts from: the entries written before migration 0017 (no `seq`,
/// `id` up to `audit_head.legacy_through`) folded in id order from [`GENESIS`]; GENESIS
/// itself on a database created since.
pub(super) async fn legacy_anchor(conn: &mut AnyConnection) -> StoreResult<String> {
    Ok(legacy_entries(conn).await?.0)
}

/// [`legacy_anchor`] and the number of entries it folds.
pub(super) async fn legacy_entries(conn: &mut AnyConnection) -> StoreResult<(String, i64)> {
    let through: i64 = sqlx::query_scalar("SELECT legacy_through FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let (mut hash, mut count, mut after) = (GENESIS.to_owned(), 0, 0_i64);
    loop {
        let page: Vec<AuditEntry> = sqlx::query_as(
            "SELECT id, at, actor, action, entity, entity_id, detail FROM audit_log \
             WHERE id > $1 AND id <= $2 AND seq IS NULL ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(through)
        .bind(AUDIT_PAGE)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = page.last() else {
            return Ok((hash, count));
        };
        after = last.id;
        for entry in &page {
            hash = legacy_hash(&hash, entry.id, &entry.link());
            count += 1;
        }
    }
}

impl AuditEntry {
    /// What the entry's hash covers, besides its place.
    pub(super) fn link(&self) -> Link<'_> {
        Link {
            at: &self.at,
            actor: &self.actor,
            action: &self.action,
            entity: &self.entity,
            entity_id: &self.entity_id,
            detail: &self.detail,
        }
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
    /// Anchors the entries written before the chain, once (after migrating).
    pub(super) async fn anchor_audit_chain(&self) -> StoreResult<()> {
        let hash: String = sqlx::query_scalar("SELECT hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        if hash.is_empty() {
            let mut tx = self.begin_write().await?;
            take_head(&mut tx).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// The head of the audit chain: the last entry's place and hash.
    pub async fn audit_head(&self) -> StoreResult<AuditHead> {
        let (seq, hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(AuditHead { seq, hash })
    }

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
             UNION ALL {} UNION ALL {} UNION ALL {} UNION ALL {} UNION ALL {}) t ORDER BY id DESC LIMIT $3",
            owned("worksite", "worksites"),
            owned("mandate", "mandates"),
            owned("declaration", "declarations"),
            owned("notice_event", "notice_events"),
            owned("attestation", "attestations"),
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
    use super::{AuditHead, GENESIS, Link, detail_sql, legacy_hash, link_hash};

    const ENTRY: Link<'static> = Link {
        at: "2026-12-07T08:00:00Z",
        actor: "cli",
        action: "mandate.signed",
        entity: "mandate",
        entity_id: "7",
        detail: "{}",
    };

    #[test]
    fn a_link_hash_covers_every_field_and_no_two_encodings_meet() {
        let hash = link_hash(GENESIS, 1, &ENTRY);
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, link_hash(GENESIS, 1, &ENTRY), "deterministic");
        assert_ne!(hash, link_hash(GENESIS, 2, &ENTRY), "the place counts");
        assert_ne!(
            hash,
            link_hash(&hash, 1, &ENTRY),
            "the previous hash counts"
        );
        assert_ne!(
            hash,
            legacy_hash(GENESIS, 1, &ENTRY),
            "legacy entries hash apart"
        );
        let changed = [
            Link {
                at: "2026-12-07T08:00:01Z",
                ..ENTRY
            },
            Link {
                actor: "api",
                ..ENTRY
            },
            Link {
                action: "mandate.revoked",
                ..ENTRY
            },
            Link {
                entity: "employer",
                ..ENTRY
            },
            Link {
                entity_id: "8",
                ..ENTRY
            },
            Link {
                detail: "{\"a\":1}",
                ..ENTRY
            },
        ];
        for entry in &changed {
            assert_ne!(hash, link_hash(GENESIS, 1, entry), "{entry:?}");
        }
        // Text moved from one field to the next is another entry (lengths are encoded).
        let shifted = Link {
            action: "mandate.signedmandate",
            entity: "",
            ..ENTRY
        };
        let split = Link {
            action: "mandate.signed",
            entity: "mandate",
            ..ENTRY
        };
        assert_ne!(
            link_hash(GENESIS, 1, &shifted),
            link_hash(GENESIS, 1, &split)
        );
    }

    #[test]
    fn an_anchor_reads_back_as_it_prints_and_refuses_anything_else() {
        let head = AuditHead {
            seq: 42,
            hash: "ab".repeat(32),
        };
        assert_eq!(head.to_string().parse::<AuditHead>(), Ok(head.clone()));
        assert_eq!(
            format!("42:{}", "AB".repeat(32)).parse::<AuditHead>(),
            Ok(head)
        );
        for wrong in [
            "",
            "42",
            "42:abc",
            "x:00",
            &format!("-1:{GENESIS}"),
            &format!("1:{}", "g".repeat(64)),
        ] {
            let err = wrong.parse::<AuditHead>().unwrap_err();
            assert!(err.contains("SEQ:HASH"), "{err}");
        }
    }

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
