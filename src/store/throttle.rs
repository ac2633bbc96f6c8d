//! Throttles that hold: a counter per bucket (the hash of what is counted — an account, a
//! device, a client address — under a purpose such as `signin` or `forgot`), bumped and
//! read back in ONE statement (`INSERT … ON CONFLICT DO UPDATE … RETURNING hits`). The
//! decision is taken on the value that statement returns, so parallel attempts each see
//! their own rank and at most `limit` of them go through, on SQLite (one writer at a time)
//! as on PostgreSQL (the conflicting row is locked until the transaction ends).
//!
//! A counter starts again at 1 once its window has passed (a fixed window from the first
//! attempt). Attempts that turn out not to be failures are given back ([`refund`]).
//!
//! Must not know: what is throttled beyond the bucket's name; no clear e-mail or address
//! reaches the database (buckets are SHA-256 hashes).

use chrono::{DateTime, Duration, Utc};

use super::secrets::token_hash;
use super::{StoreResult, timestamp};

/// One thing counted: `purpose` (`signin:account`, `forgot:address`…) and the value it
/// counts, kept only as a hash.
pub(super) fn bucket(purpose: &str, value: &str) -> String {
    format!("{purpose}:{}", token_hash(&format!("{purpose}:{value}")))
}

/// Counts one more attempt in `bucket` and returns its rank in the window (1 for the
/// first): the caller goes on only when the rank is within its limit.
pub(super) async fn bump(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    bucket: &str,
    now: DateTime<Utc>,
    window: Duration,
) -> StoreResult<i64> {
    let hits: i64 = sqlx::query_scalar(
        "INSERT INTO throttle_counters (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket) DO UPDATE SET \
           hits = CASE WHEN throttle_counters.window_start <= $3 THEN 1 \
                       ELSE throttle_counters.hits + 1 END, \
           window_start = CASE WHEN throttle_counters.window_start <= $3 THEN $2 \
                               ELSE throttle_counters.window_start END \
         RETURNING hits",
    )
    .bind(bucket)
    .bind(timestamp(now))
    .bind(timestamp(now - window))
    .fetch_one(&mut **tx)
    .await?;
    Ok(hits)
}

/// Gives one attempt back (it was not a failure, or it was never evaluated).
pub(super) async fn refund(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    bucket: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE throttle_counters SET hits = hits - 1 WHERE bucket = $1 AND hits > 0")
        .bind(bucket)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Forgets a bucket (the account's owner signed in).
pub(super) async fn clear(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    bucket: &str,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM throttle_counters WHERE bucket = $1")
        .bind(bucket)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Drops counters whose window ended long ago (keeps the table small).
pub(super) async fn prune(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM throttle_counters WHERE window_start < $1")
        .bind(timestamp(now - Duration::days(1)))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
