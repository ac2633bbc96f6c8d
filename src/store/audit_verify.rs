//! The walk that checks the audit chain (`tahsil audit verify`): every entry in place order,
//! its content re-hashed, its link to the entry before it, no place missing, and the end of
//! the chain where the head — and, when given, an anchor kept outside the database — says
//! it is. The first broken link is named; the chain itself is written by `audit.rs`.
//!
//! Must not know: how a break is worded for people (the CLI says it).

use sqlx::FromRow;

use super::audit::{AUDIT_PAGE, AuditEntry, AuditHead, Link, legacy_entries, link_hash};
use super::{Store, StoreResult};

/// The first broken link of the chain, in place order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditBreak {
    /// The entries written before the chain (migration 0017; ids up to `through`) no longer
    /// hash to the anchor the first chained entry follows: one was edited, removed or added.
    EarlierEntriesChanged { through: i64 },
    /// Places `from` to `to` are missing: those entries were deleted.
    Missing { from: i64, to: i64 },
    /// The entry at place `seq` (row `id`) no longer hashes to its stored hash: its content
    /// (time, actor, action, subject or detail) or its hash was edited.
    Edited { seq: i64, id: i64 },
    /// The entry at place `seq` (row `id`) does not carry the hash of the entry before it:
    /// that one was replaced with a re-computed hash, or this one was put in.
    Relinked { seq: i64, id: i64 },
    /// The entry at the anchor's place has another hash than the anchor kept outside:
    /// the history up to the anchor was rewritten.
    AnchorDiffers { anchor: AuditHead, found: String },
    /// The chain ends at `last`, before the place an anchor kept outside the database
    /// names: entries at its end were removed (truncated).
    TruncatedBeforeAnchor { last: AuditHead, anchor: AuditHead },
    /// The chain ends at `last`, before the head recorded with the last append: entries at
    /// its end were removed (truncated).
    Truncated { last: AuditHead, head: AuditHead },
    /// The recorded head names another entry than the chain's last (`last`): the head was
    /// edited.
    HeadDiffers { last: AuditHead, head: AuditHead },
    /// Row `id` has no place in the chain although written after it started: it was
    /// inserted around the store.
    Unchained { id: i64 },
}

/// What the walk found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditVerification {
    /// Chained entries walked.
    pub entries: i64,
    /// Entries written before the chain, folded into its start.
    pub earlier_entries: i64,
    /// The chain's last entry as walked (place 0 and the starting hash when empty).
    pub last: AuditHead,
    /// The first broken link, if any.
    pub broken: Option<AuditBreak>,
}

/// One chained entry as stored.
#[derive(Debug, FromRow)]
struct ChainedEntry {
    #[sqlx(flatten)]
    entry: AuditEntry,
    seq: i64,
    prev_hash: Option<String>,
    hash: Option<String>,
}

impl Store {
    /// Walks the audit chain up to its head, checking it against `anchor` too when given
    /// (a head printed earlier and kept outside the database).
    pub async fn verify_audit(&self, anchor: Option<&AuditHead>) -> StoreResult<AuditVerification> {
        let mut conn = self.pool.acquire().await?;
        // The head first: every entry up to it was committed with it; later appends are
        // left for the next walk.
        let head = self.audit_head().await?;
        let (start, earlier_entries) = legacy_entries(&mut conn).await?;
        let through: i64 = sqlx::query_scalar("SELECT legacy_through FROM audit_head WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
        let mut last = AuditHead {
            seq: 0,
            hash: start.clone(),
        };
        let mut entries = 0;
        let verification = |last: AuditHead, entries, broken| AuditVerification {
            entries,
            earlier_entries,
            last,
            broken,
        };
        let stop = head.seq.max(anchor.map_or(0, |a| a.seq));
        loop {
            let page: Vec<ChainedEntry> = sqlx::query_as(
                "SELECT id, at, actor, action, entity, entity_id, detail, seq, prev_hash, hash \
                 FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            )
            .bind(last.seq)
            .bind(stop)
            .bind(AUDIT_PAGE)
            .fetch_all(&mut *conn)
            .await?;
            if page.is_empty() {
                break;
            }
            for row in page {
                let (seq, id) = (row.seq, row.entry.id);
                let broken = if seq != last.seq + 1 {
                    Some(AuditBreak::Missing {
                        from: last.seq + 1,
                        to: seq - 1,
                    })
                } else if row.prev_hash.as_deref() != Some(last.hash.as_str()) {
                    Some(if last.seq == 0 && earlier_entries > 0 {
                        AuditBreak::EarlierEntriesChanged { through }
                    } else {
                        AuditBreak::Relinked { seq, id }
                    })
                } else if row.hash.as_deref()
                    != Some(link_hash(&last.hash, seq, &row.link()).as_str())
                {
                    Some(AuditBreak::Edited { seq, id })
                } else {
                    anchor
                        .filter(|a| a.seq == seq && Some(&a.hash) != row.hash.as_ref())
                        .map(|a| AuditBreak::AnchorDiffers {
                            anchor: a.clone(),
                            found: row.hash.clone().unwrap_or_default(),
                        })
                };
                if broken.is_some() {
                    return Ok(verification(last, entries, broken));
                }
                last = AuditHead {
                    seq,
                    hash: row.hash.unwrap_or_default(),
                };
                entries += 1;
            }
        }
        let broken = match anchor {
            Some(a) if a.seq > last.seq => Some(AuditBreak::TruncatedBeforeAnchor {
                last: last.clone(),
                anchor: a.clone(),
            }),
            Some(a) if a.seq == 0 && a.hash != start => Some(AuditBreak::AnchorDiffers {
                anchor: a.clone(),
                found: start.clone(),
            }),
            _ if head.seq > last.seq => Some(AuditBreak::Truncated {
                last: last.clone(),
                head,
            }),
            _ if head != last && !(head.seq == 0 && head.hash.is_empty()) => {
                Some(AuditBreak::HeadDiffers {
                    last: last.clone(),
                    head,
                })
            }
            _ => None,
        };
        if broken.is_some() {
            return Ok(verification(last, entries, broken));
        }
        let unchained: Option<i64> =
            sqlx::query_scalar("SELECT MIN(id) FROM audit_log WHERE seq IS NULL AND id > $1")
                .bind(through)
                .fetch_one(&mut *conn)
                .await?;
        Ok(verification(
            last,
            entries,
            unchained.map(|id| AuditBreak::Unchained { id }),
        ))
    }
}

impl ChainedEntry {
    fn link(&self) -> Link<'_> {
        self.entry.link()
    }
}
