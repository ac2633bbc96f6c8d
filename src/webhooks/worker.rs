//! The webhook worker of `serve`: claims the deliveries due, sends each (body, signature,
//! POST) and records the attempt — delivered on a 2xx; otherwise retried after an
//! exponential backoff (`retry_base` × 2^(attempt−1), at most `retry_max`) until
//! `max_attempts` are spent, then failed (the employer may ask for it again).
//!
//! A delivery is claimed by one worker with an expiring lock; a delivered one is never
//! claimed again, so a restart does not send it twice. A crash between the receiver's
//! answer and the attempt's record leaves it pending: it is sent again (at least once —
//! receivers de-duplicate by the event `id`, which every attempt carries).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::http::{self, PostError};
use super::{SIGNATURE_HEADER, payload, sign};
use crate::store::{ClaimedWebhook, Store, StoreError, WebhookOutcome};

/// How the worker paces and bounds its deliveries.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// One POST's deadline: connect, TLS, send, the answer's status line.
    pub timeout: Duration,
    /// The pause after the first failed attempt; doubled after each next one.
    pub retry_base: Duration,
    /// The longest pause between two attempts.
    pub retry_max: Duration,
    /// Attempts before a delivery fails for good.
    pub max_attempts: i64,
    /// Deliveries claimed at once, and sent at once.
    pub batch: i64,
    pub concurrency: usize,
    /// How long a claim holds.
    pub lock: Duration,
    /// How often an idle worker looks for work.
    pub poll: Duration,
}

impl Default for WebhookSettings {
    fn default() -> WebhookSettings {
        WebhookSettings {
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(6 * 3600),
            max_attempts: 8,
            batch: 50,
            concurrency: 8,
            lock: Duration::from_secs(120),
            poll: Duration::from_secs(2),
        }
    }
}

impl WebhookSettings {
    /// The pause after the `attempt`-th failed attempt (1 = the first).
    pub fn backoff(&self, attempt: i64) -> Duration {
        let exponent = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(30);
        self.retry_base
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.retry_max)
            .min(self.retry_max)
    }
}

/// What one batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebhookReport {
    pub claimed: u64,
    pub delivered: u64,
    pub retrying: u64,
    pub failed: u64,
}

/// Claims the deliveries due and sends them; what it did.
pub async fn deliver_batch(
    store: &Store,
    settings: &WebhookSettings,
    worker: &str,
) -> anyhow::Result<WebhookReport> {
    let lock = chrono::Duration::from_std(settings.lock)?;
    let claimed = store.claim_webhooks(worker, lock, settings.batch).await?;
    let mut report = WebhookReport {
        claimed: claimed.len() as u64,
        ..WebhookReport::default()
    };
    let shared = Arc::new((store.clone(), settings.clone(), worker.to_owned()));
    let mut running = JoinSet::new();
    let mut first_error = None;
    for delivery in claimed {
        while running.len() >= settings.concurrency.max(1) {
            tally(running.join_next().await, &mut report, &mut first_error);
        }
        let shared = Arc::clone(&shared);
        running.spawn(async move {
            let (store, settings, worker) = &*shared;
            deliver_one(store, settings, worker, delivery).await
        });
    }
    while let Some(done) = running.join_next().await {
        tally(Some(done), &mut report, &mut first_error);
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(report),
    }
}

type Done = Option<Result<anyhow::Result<Option<bool>>, tokio::task::JoinError>>;

fn tally(done: Done, report: &mut WebhookReport, first_error: &mut Option<anyhow::Error>) {
    match done {
        Some(Ok(Ok(Some(true)))) => report.delivered += 1,
        Some(Ok(Ok(Some(false)))) => report.retrying += 1,
        Some(Ok(Ok(None))) => report.failed += 1,
        Some(Ok(Err(err))) => {
            first_error.get_or_insert(err);
        }
        Some(Err(err)) => {
            first_error.get_or_insert(anyhow::anyhow!("a webhook delivery task died: {err}"));
        }
        None => {}
    }
}

/// Sends one delivery and records the attempt: `Some(true)` delivered, `Some(false)` to
/// retry, `None` failed for good.
async fn deliver_one(
    store: &Store,
    settings: &WebhookSettings,
    worker: &str,
    delivery: ClaimedWebhook,
) -> anyhow::Result<Option<bool>> {
    let attempt = delivery.attempts + 1;
    let facts = match store.webhook_facts(&delivery).await {
        Ok(facts) => facts,
        Err(StoreError::Database(err)) => {
            store.release_webhooks(worker, &[delivery.id]).await?;
            return Err(anyhow::anyhow!(
                "reading webhook {}'s facts failed: {err}",
                delivery.id
            ));
        }
        Err(err) => {
            let outcome = WebhookOutcome::NotDelivered {
                status_code: None,
                error: crate::store::scrub_error(&format!("the event cannot be described: {err}")),
                retry_in: None,
            };
            store
                .record_webhook_attempt(delivery.id, worker, 0, &outcome)
                .await?;
            return Ok(None);
        }
    };
    let body = serde_json::to_vec(&payload(&facts, &delivery.event_created_at))?;
    let timestamp = store.clock().now().timestamp();
    let headers = [
        (SIGNATURE_HEADER, sign(&delivery.secret, timestamp, &body)),
        ("Tahsil-Event-Id", delivery.event_id.to_string()),
        ("Tahsil-Event-Type", delivery.kind.as_str().to_owned()),
        ("Tahsil-Delivery-Id", delivery.id.to_string()),
    ];
    let started = Instant::now();
    let answer = http::post(
        &delivery.url,
        &headers,
        &body,
        store.webhook_targets(),
        settings.timeout,
    )
    .await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let retry_in = (attempt < settings.max_attempts)
        .then(|| chrono::Duration::from_std(settings.backoff(attempt)))
        .transpose()?;
    let outcome = match answer {
        Ok(code) if (200..300).contains(&code) => WebhookOutcome::Delivered { status_code: code },
        Ok(code) => WebhookOutcome::NotDelivered {
            status_code: Some(code),
            error: if (300..400).contains(&code) {
                format!("answered {code}, a redirect: redirects are not followed")
            } else {
                format!("answered {code}")
            },
            retry_in,
        },
        Err(err @ (PostError::Refused(_) | PostError::Failed(_))) => WebhookOutcome::NotDelivered {
            status_code: None,
            error: crate::store::scrub_error(&err.to_string()),
            retry_in,
        },
    };
    let result = match &outcome {
        WebhookOutcome::Delivered { .. } => Some(true),
        WebhookOutcome::NotDelivered {
            retry_in: Some(_), ..
        } => Some(false),
        WebhookOutcome::NotDelivered { retry_in: None, .. } => None,
    };
    if let WebhookOutcome::NotDelivered { error, .. } = &outcome {
        tracing::warn!(
            webhook = delivery.id,
            event = delivery.event_id,
            kind = delivery.kind.as_str(),
            attempt,
            gives_up = result.is_none(),
            error = error.as_str(),
            "webhook not delivered"
        );
    }
    store
        .record_webhook_attempt(delivery.id, worker, duration_ms, &outcome)
        .await?;
    Ok(result)
}

/// The worker loop of `serve`: delivers as long as there is work, polls when idle (and
/// at once when the clock is moved by hand), stops when `stop` turns true.
pub async fn run_loop(
    store: Store,
    settings: WebhookSettings,
    worker: String,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    tracing::info!(worker = worker.as_str(), "webhook worker started");
    let mut moved = store.clock().moved();
    loop {
        if *stop.borrow() {
            break;
        }
        let busy = match deliver_batch(&store, &settings, &worker).await {
            Ok(report) => report.claimed == u64::try_from(settings.batch).unwrap_or(0),
            Err(err) => {
                tracing::warn!(error = %format!("{err:#}"), "webhook delivery failed; retrying later");
                false
            }
        };
        if busy {
            continue;
        }
        tokio::select! {
            _ = stop.changed() => {}
            _ = moved.changed() => {}
            () = tokio::time::sleep(settings.poll) => {}
        }
    }
    tracing::info!(worker = worker.as_str(), "webhook worker stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_a_ceiling() {
        let settings = WebhookSettings {
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(3600),
            ..WebhookSettings::default()
        };
        assert_eq!(settings.backoff(1), Duration::from_secs(60));
        assert_eq!(settings.backoff(2), Duration::from_secs(120));
        assert_eq!(settings.backoff(3), Duration::from_secs(240));
        assert_eq!(settings.backoff(7), Duration::from_secs(3600));
        assert_eq!(settings.backoff(1000), Duration::from_secs(3600));
    }
}
