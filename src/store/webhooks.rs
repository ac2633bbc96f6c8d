//! Webhooks (migration 0029): an employer's endpoints, and the delivery of each notice it
//! is sent as a signed POST to each of them.
//!
//! Every notice event gets one delivery per live endpoint of its employer, written by the
//! statement that records the event, in the same transaction ([`record_deliveries`], called
//! by `notice_events`), once per (endpoint, event) by the table's unique key. A worker
//! claims deliveries with an expiring lock (the notices' pattern), and records each attempt
//! with its outcome in one transaction: delivered, retried after a backoff, or failed for
//! good once the attempts are spent. A delivered one is never claimed again; the
//! employer may ask for a delivery again from the portal (audited).
//!
//! The signing secret is encrypted at rest with the fund's key (its own purpose, see
//! `crypto`); the portal shows it to the employer, who may rotate it.
//!
//! Must not know: HTTP, the JSON body or its signature (`crate::webhooks`).

use chrono::Duration;
use serde::Serialize;
use serde_json::json;
use sqlx::{AnyConnection, FromRow};

use super::leases::Queue;
use super::secrets::random_token;
use super::{
    Actor, ClaimedNotice, NoticeFacts, NoticeKind, Store, StoreError, StoreResult, audit::Audit,
    lease_timestamp,
};

/// Most live endpoints per employer.
pub const WEBHOOK_ENDPOINTS_MAX: i64 = 5;
/// Longest endpoint URL accepted.
pub const WEBHOOK_URL_MAX: usize = 500;

::mandates::stored_codes! {
    /// Where a webhook delivery is.
    pub enum WebhookStatus("webhook delivery status") {
        /// To deliver, or to retry at `next_attempt_at`.
        Pending = "pending",
        /// The endpoint answered 2xx.
        Delivered = "delivered",
        /// Every attempt failed: the employer may ask for it again.
        Failed = "failed",
    }
}

/// Which targets a webhook may reach. The fund's deployments reach only public HTTPS
/// addresses; tests and development may allow `http` on loopback
/// (`webhooks_allow_loopback`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WebhookTargets {
    #[default]
    PublicOnly,
    AllowLoopback,
}

/// An endpoint as the portal lists it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub employer_id: i64,
    pub url: String,
    pub created_at: String,
    pub secret_set_at: String,
}

/// A delivery as the portal's log lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct WebhookDelivery {
    pub id: i64,
    pub endpoint_id: i64,
    pub url: String,
    pub event_id: i64,
    #[sqlx(try_from = "String")]
    pub kind: NoticeKind,
    #[sqlx(try_from = "String")]
    pub status: WebhookStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub last_status_code: Option<i64>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

/// One attempt of a delivery: when, the answer's status code, or the error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct WebhookAttempt {
    pub id: i64,
    pub delivery_id: i64,
    pub attempted_at: String,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A delivery claimed by one worker, with what it takes to send it: the endpoint's URL
/// and its secret (decrypted).
#[derive(Clone, Debug)]
pub struct ClaimedWebhook {
    pub id: i64,
    pub endpoint_id: i64,
    pub employer_id: i64,
    pub event_id: i64,
    pub kind: NoticeKind,
    pub subject_id: i64,
    /// Attempts made before this one.
    pub attempts: i64,
    /// When the notice event was recorded (the event's time in the body).
    pub event_created_at: String,
    pub url: String,
    pub secret: String,
}

#[derive(FromRow)]
struct ClaimedRow {
    id: i64,
    endpoint_id: i64,
    employer_id: i64,
    event_id: i64,
    kind: String,
    subject_id: i64,
    attempts: i64,
    created_at: String,
    url: String,
    secret_encrypted: String,
}

/// What an attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// A 2xx answer.
    Delivered { status_code: u16 },
    /// Anything else: retried after `retry_in`, or failed for good when `retry_in` is
    /// `None` (the attempts are spent). `error` holds no personal data.
    NotDelivered {
        status_code: Option<u16>,
        error: String,
        retry_in: Option<Duration>,
    },
}

/// Writes one delivery per live endpoint for each notice event with an id above `after`
/// recorded at `now`, in the caller's transaction: the events the statement before just
/// wrote (any event of another transaction in that range already has its deliveries, so
/// the unique key keeps one). Called by the one statement that records notice events.
pub(super) async fn record_deliveries(
    conn: &mut AnyConnection,
    after: i64,
    now: &str,
) -> StoreResult<u64> {
    Ok(sqlx::query(
        "INSERT INTO webhook_deliveries (endpoint_id, employer_id, event_id, kind, subject_id, created_at) \
         SELECT w.id, n.employer_id, n.id, n.kind, n.subject_id, $2 FROM notice_events n \
         JOIN webhook_endpoints w ON w.employer_id = n.employer_id AND w.removed_at IS NULL \
         WHERE n.id > $1 AND n.created_at = $2 \
         ON CONFLICT (endpoint_id, event_id) DO NOTHING",
    )
    .bind(after)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}

/// The highest notice event id now (0 when there is none): what [`record_deliveries`]
/// counts from.
pub(super) async fn last_event_id(conn: &mut AnyConnection) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) FROM notice_events")
            .fetch_one(conn)
            .await?,
    )
}

/// Drops the deliveries not attempted yet of the notice events about to be withdrawn
/// (`events`: SQL selecting their ids, `$1` bound to `param`): the employer's software is
/// not told of a debit its notice no longer announces. One attempted or delivered stays.
pub(super) async fn withdraw_unsent_deliveries(
    conn: &mut AnyConnection,
    events: &str,
    param: &str,
) -> StoreResult<u64> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM webhook_deliveries WHERE status = 'pending' AND attempts = 0 \
         AND locked_by IS NULL AND event_id IN ({events})"
    )))
    .bind(param)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Why an address cannot be a webhook endpoint; its `Display` is the English sentence
/// (logs, API), the portal says it in the viewer's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookUrlProblem {
    Empty,
    TooLong,
    NotAnAddress,
    Credentials,
    Fragment,
    /// A loopback address where the configuration does not allow one.
    Loopback,
    NotHttps,
    /// An IP address given as the host that is private, local or reserved.
    PrivateAddress,
}

impl std::fmt::Display for WebhookUrlProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WebhookUrlProblem::Empty => "the endpoint address is empty: give an https:// address",
            WebhookUrlProblem::TooLong => "the endpoint address is longer than 500 characters",
            WebhookUrlProblem::NotAnAddress => {
                "this is not a web address: give an https:// address such as https://paie.example.dz/tahsil"
            }
            WebhookUrlProblem::Credentials => {
                "the endpoint address must not hold a user name or password: the signature authenticates tahsil"
            }
            WebhookUrlProblem::Fragment => "the endpoint address must not hold a fragment (#…)",
            WebhookUrlProblem::Loopback => {
                "a loopback address (127.0.0.1, localhost) is not reachable from the fund's servers: give your software's public https:// address"
            }
            WebhookUrlProblem::NotHttps => {
                "the endpoint address must start with https://: deliveries are only sent encrypted"
            }
            WebhookUrlProblem::PrivateAddress => {
                "this is a private, local or reserved address: give your software's public https:// address"
            }
        })
    }
}

/// Why `url` cannot be a webhook endpoint under `targets`, or `None`. Only the address's
/// form is checked here (a host name is resolved and checked at each delivery):
/// `https://` with a host, no user or password in it, no fragment; an IP address given
/// as the host must be public. `http://` is only for loopback (`127.0.0.1`, `[::1]`,
/// `localhost`) where the configuration allows it.
pub fn webhook_url_problem(url: &str, targets: WebhookTargets) -> Option<WebhookUrlProblem> {
    let url = url.trim();
    if url.is_empty() {
        return Some(WebhookUrlProblem::Empty);
    }
    if url.len() > WEBHOOK_URL_MAX {
        return Some(WebhookUrlProblem::TooLong);
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return Some(WebhookUrlProblem::NotAnAddress);
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return Some(WebhookUrlProblem::NotHttps);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Some(WebhookUrlProblem::Credentials);
    }
    if parsed.fragment().is_some() {
        return Some(WebhookUrlProblem::Fragment);
    }
    let Some(host) = parsed.host() else {
        return Some(WebhookUrlProblem::NotAnAddress);
    };
    let ip = match host {
        url::Host::Domain(name) if name.eq_ignore_ascii_case("localhost") => {
            Some(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
        }
        url::Host::Domain(_) => None,
        url::Host::Ipv4(ip) => Some(std::net::IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(std::net::IpAddr::V6(ip)),
    };
    if ip.is_some_and(|ip| ip.is_loopback()) {
        return match targets {
            WebhookTargets::AllowLoopback => None,
            WebhookTargets::PublicOnly => Some(WebhookUrlProblem::Loopback),
        };
    }
    if parsed.scheme() != "https" {
        return Some(WebhookUrlProblem::NotHttps);
    }
    if ip.is_some_and(|ip| !is_public_ip(ip)) {
        return Some(WebhookUrlProblem::PrivateAddress);
    }
    None
}

/// An address reachable on the public internet: not private, loopback, link-local,
/// shared (CGNAT), documentation, multicast, broadcast or unspecified; IPv6 unique-local
/// and link-local too, and an IPv4 address mapped into IPv6 is judged as itself.
pub fn is_public_ip(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_ip(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || (first == 0x0064 && v6.segments()[1] == 0xff9b))
        }
    }
}

/// A fresh signing secret: `whsec_` and 32 random bytes (base64url).
fn new_secret() -> String {
    format!("whsec_{}", random_token())
}

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, w.url, d.event_id, d.kind, d.status, d.attempts, \
     d.next_attempt_at, d.last_status_code, d.created_at, d.delivered_at";

impl Store {
    /// The same store accepting and reaching the webhook targets `targets` allows.
    pub fn with_webhook_targets(mut self, targets: WebhookTargets) -> Store {
        self.webhook_targets = targets;
        self
    }

    /// Which webhook targets this store accepts (and its worker reaches).
    pub fn webhook_targets(&self) -> WebhookTargets {
        self.webhook_targets
    }

    /// The live endpoints of an employer, oldest first.
    pub async fn webhook_endpoints(&self, employer_id: i64) -> StoreResult<Vec<WebhookEndpoint>> {
        Ok(sqlx::query_as::<_, WebhookEndpoint>(
            "SELECT id, employer_id, url, created_at, secret_set_at FROM webhook_endpoints \
             WHERE employer_id = $1 AND removed_at IS NULL ORDER BY id",
        )
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// An endpoint's signing secret, decrypted (shown to its employer on the portal).
    /// "Not found" for another employer's endpoint or one removed.
    pub async fn webhook_secret(&self, employer_id: i64, endpoint_id: i64) -> StoreResult<String> {
        let stored = sqlx::query_scalar::<_, String>(
            "SELECT secret_encrypted FROM webhook_endpoints WHERE id = $1 AND employer_id = $2 \
             AND removed_at IS NULL",
        )
        .bind(endpoint_id)
        .bind(employer_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("webhook endpoint", endpoint_id))?;
        Ok(self.cipher.decrypt_webhook_secret(&stored)?)
    }

    /// Adds an endpoint for `employer_id` with a fresh secret (audited). Refused: an
    /// address [`webhook_url_problem`] refuses, one the employer already has, more than
    /// [`WEBHOOK_ENDPOINTS_MAX`].
    pub async fn add_webhook_endpoint(
        &self,
        actor: &Actor,
        employer_id: i64,
        url: &str,
    ) -> StoreResult<WebhookEndpoint> {
        let url = url.trim();
        if let Some(problem) = webhook_url_problem(url, self.webhook_targets) {
            return Err(StoreError::Invalid(problem.to_string()));
        }
        self.employer(employer_id).await?;
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let live: Vec<String> = sqlx::query_scalar(
            "SELECT url FROM webhook_endpoints WHERE employer_id = $1 AND removed_at IS NULL",
        )
        .bind(employer_id)
        .fetch_all(&mut *tx)
        .await?;
        if live.iter().any(|u| u == url) {
            return Err(StoreError::Conflict(format!(
                "{url} is already one of this employer's endpoints"
            )));
        }
        if i64::try_from(live.len()).unwrap_or(i64::MAX) >= WEBHOOK_ENDPOINTS_MAX {
            return Err(StoreError::Conflict(format!(
                "an employer has at most {WEBHOOK_ENDPOINTS_MAX} endpoints: remove one first"
            )));
        }
        let secret = self.cipher.encrypt_webhook_secret(&new_secret());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhook_endpoints (employer_id, url, secret_encrypted, created_at, secret_set_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(employer_id)
        .bind(url)
        .bind(&secret)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        Audit::new(actor, "webhook.endpoint_added")
            .on("webhook_endpoint", id)
            .detail(json!({ "employer_id": employer_id, "url": url }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(WebhookEndpoint {
            id,
            employer_id,
            url: url.to_owned(),
            created_at: now.clone(),
            secret_set_at: now,
        })
    }

    /// A new secret for an endpoint (audited): deliveries signed from now on use it.
    pub async fn rotate_webhook_secret(
        &self,
        actor: &Actor,
        employer_id: i64,
        endpoint_id: i64,
    ) -> StoreResult<()> {
        let now = self.now_text();
        let secret = self.cipher.encrypt_webhook_secret(&new_secret());
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE webhook_endpoints SET secret_encrypted = $3, secret_set_at = $4 \
             WHERE id = $1 AND employer_id = $2 AND removed_at IS NULL",
        )
        .bind(endpoint_id)
        .bind(employer_id)
        .bind(&secret)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::not_found("webhook endpoint", endpoint_id));
        }
        Audit::new(actor, "webhook.secret_rotated")
            .on("webhook_endpoint", endpoint_id)
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes an endpoint (audited): it gets no new deliveries, and those still pending
    /// fail (the log keeps them).
    pub async fn remove_webhook_endpoint(
        &self,
        actor: &Actor,
        employer_id: i64,
        endpoint_id: i64,
    ) -> StoreResult<()> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE webhook_endpoints SET removed_at = $3 \
             WHERE id = $1 AND employer_id = $2 AND removed_at IS NULL",
        )
        .bind(endpoint_id)
        .bind(employer_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::not_found("webhook endpoint", endpoint_id));
        }
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, \
             last_error = 'endpoint removed' WHERE endpoint_id = $1 AND status = 'pending'",
        )
        .bind(endpoint_id)
        .execute(&mut *tx)
        .await?;
        Audit::new(actor, "webhook.endpoint_removed")
            .on("webhook_endpoint", endpoint_id)
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest deliveries of an employer, newest first, with their attempts.
    pub async fn webhook_deliveries(
        &self,
        employer_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<(WebhookDelivery, Vec<WebhookAttempt>)>> {
        let deliveries = sqlx::query_as::<_, WebhookDelivery>(sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
             JOIN webhook_endpoints w ON w.id = d.endpoint_id \
             WHERE d.employer_id = $1 ORDER BY d.id DESC LIMIT $2"
        )))
        .bind(employer_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let Some(oldest) = deliveries.last().map(|d| d.id) else {
            return Ok(Vec::new());
        };
        let attempts = sqlx::query_as::<_, WebhookAttempt>(
            "SELECT a.id, a.delivery_id, a.attempted_at, a.status_code, a.error, a.duration_ms \
             FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
             WHERE d.employer_id = $1 AND d.id >= $2 ORDER BY a.id",
        )
        .bind(employer_id)
        .bind(oldest)
        .fetch_all(&self.pool)
        .await?;
        Ok(deliveries
            .into_iter()
            .map(|d| {
                let mine = attempts
                    .iter()
                    .filter(|a| a.delivery_id == d.id)
                    .cloned()
                    .collect();
                (d, mine)
            })
            .collect())
    }

    /// Queues a delivered or failed delivery again, attempts counted afresh (audited).
    /// A pending one is already queued: a conflict.
    pub async fn redeliver_webhook(
        &self,
        actor: &Actor,
        employer_id: i64,
        delivery_id: i64,
    ) -> StoreResult<()> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let status: Option<String> = sqlx::query_scalar(
            "SELECT d.status FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id \
             WHERE d.id = $1 AND d.employer_id = $2 AND w.removed_at IS NULL",
        )
        .bind(delivery_id)
        .bind(employer_id)
        .fetch_optional(&mut *tx)
        .await?;
        match status.as_deref() {
            None => return Err(StoreError::not_found("webhook delivery", delivery_id)),
            Some("pending") => {
                return Err(StoreError::Conflict(format!(
                    "webhook delivery {delivery_id} is already queued"
                )));
            }
            Some(_) => {}
        }
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = NULL, \
             locked_by = NULL, locked_until = NULL WHERE id = $1 AND status <> 'pending'",
        )
        .bind(delivery_id)
        .execute(&mut *tx)
        .await?;
        Audit::new(actor, "webhook.redelivery_requested")
            .on("webhook_delivery", delivery_id)
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` deliveries ready to send (pending, due, not locked by a live
    /// worker, to a live endpoint), oldest first, for `worker` until now + `lock`.
    pub async fn claim_webhooks(
        &self,
        worker: &str,
        lock: Duration,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedWebhook>> {
        let claimed: Vec<(i64,)> = self
            .claim_ready(Queue::Webhooks, "id", worker, lock, limit)
            .await?;
        let mut out = Vec::with_capacity(claimed.len());
        for (id,) in claimed {
            let row = sqlx::query_as::<_, ClaimedRow>(
                "SELECT d.id, d.endpoint_id, d.employer_id, d.event_id, d.kind, d.subject_id, d.attempts, \
                 COALESCE(n.created_at, d.created_at) AS created_at, w.url, w.secret_encrypted \
                 FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id \
                 LEFT JOIN notice_events n ON n.id = d.event_id WHERE d.id = $1",
            )
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
            out.push(ClaimedWebhook {
                id: row.id,
                endpoint_id: row.endpoint_id,
                employer_id: row.employer_id,
                event_id: row.event_id,
                kind: NoticeKind::parse(&row.kind)?,
                subject_id: row.subject_id,
                attempts: row.attempts,
                event_created_at: row.created_at,
                url: row.url,
                secret: self.cipher.decrypt_webhook_secret(&row.secret_encrypted)?,
            });
        }
        out.sort_by_key(|w| w.id);
        Ok(out)
    }

    /// The facts of the notice a delivery is about (the same the e-mail is written from).
    pub async fn webhook_facts(&self, claimed: &ClaimedWebhook) -> StoreResult<NoticeFacts> {
        self.notice_facts(&ClaimedNotice {
            id: claimed.event_id,
            employer_id: claimed.employer_id,
            kind: claimed.kind,
            subject_id: claimed.subject_id,
            dedupe_key: String::new(),
            attempts: claimed.attempts,
            created_at: claimed.event_created_at.clone(),
            locked_until: String::new(),
        })
        .await
    }

    /// Records an attempt and its outcome in one transaction. False when the delivery
    /// was no longer this worker's (its lock expired and another took it): nothing is
    /// changed then.
    pub async fn record_webhook_attempt(
        &self,
        delivery_id: i64,
        worker: &str,
        duration_ms: i64,
        outcome: &WebhookOutcome,
    ) -> StoreResult<bool> {
        let now = self.now();
        let at = lease_timestamp(now);
        let mut tx = self.begin_write().await?;
        let (status, code, error, next) = match outcome {
            WebhookOutcome::Delivered { status_code } => {
                (WebhookStatus::Delivered, Some(*status_code), None, None)
            }
            WebhookOutcome::NotDelivered {
                status_code,
                error,
                retry_in,
            } => match retry_in {
                Some(delay) => (
                    WebhookStatus::Pending,
                    *status_code,
                    Some(error.as_str()),
                    Some(lease_timestamp(now + *delay)),
                ),
                None => (
                    WebhookStatus::Failed,
                    *status_code,
                    Some(error.as_str()),
                    None,
                ),
            },
        };
        let delivered_at = (status == WebhookStatus::Delivered).then(|| at.clone());
        let updated = sqlx::query(
            "UPDATE webhook_deliveries SET status = $3, attempts = attempts + 1, last_status_code = $4, \
             last_error = $5, next_attempt_at = $6, delivered_at = $7, locked_by = NULL, locked_until = NULL \
             WHERE id = $1 AND locked_by = $2 AND status = 'pending'",
        )
        .bind(delivery_id)
        .bind(worker)
        .bind(status.as_str())
        .bind(code.map(i64::from))
        .bind(error.map(str::to_owned))
        .bind(next)
        .bind(delivered_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(delivery_id)
        .bind(&at)
        .bind(code.map(i64::from))
        .bind(error.map(str::to_owned))
        .bind(duration_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Gives back claimed deliveries not attempted (the worker stops).
    pub async fn release_webhooks(&self, worker: &str, ids: &[i64]) -> StoreResult<()> {
        self.release_claimed(Queue::Webhooks, worker, ids).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_addresses_unless_loopback_is_allowed() {
        let public = WebhookTargets::PublicOnly;
        let dev = WebhookTargets::AllowLoopback;
        assert_eq!(
            webhook_url_problem("https://paie.example.dz/hook", public),
            None
        );
        for refused in [
            "http://paie.example.dz/hook",
            "https://10.0.0.4/hook",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://[fd00::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://user:pass@paie.example.dz/",
            "http://127.0.0.1:8080/hook",
            "ftp://paie.example.dz/",
            "paie.example.dz",
            "",
        ] {
            assert!(webhook_url_problem(refused, public).is_some(), "{refused}");
        }
        assert_eq!(webhook_url_problem("http://127.0.0.1:8080/hook", dev), None);
        assert_eq!(webhook_url_problem("http://localhost:8080/hook", dev), None);
        assert!(webhook_url_problem("http://10.0.0.4/hook", dev).is_some());
        assert!(webhook_url_problem("http://paie.example.dz/hook", dev).is_some());
    }

    #[test]
    fn public_addresses_are_told_from_private_ones() {
        for public in ["41.111.2.3", "8.8.8.8", "2a00:1450:4007::1"] {
            assert!(is_public_ip(public.parse().unwrap()), "{public}");
        }
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fc00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public_ip(private.parse().unwrap()), "{private}");
        }
    }
}
