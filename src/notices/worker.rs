//! The delivery worker: claims pending notices, writes and sends them, marks them sent.
//!
//! Each notice is sent once: it is claimed by one worker (an expiring lock in the
//! database), its Message-ID is derived from the event so every attempt carries the same
//! one, and it is marked sent — with what was sent — in the transaction right after the
//! server accepted it. A worker never starts sending a claimed notice once its lock is
//! close to expiring (another worker could take it over): it gives the rest back.
//!
//! The marks are group-committed: the notices whose server answered while the previous
//! marking transaction ran are marked together in the next one (one commit for many), and
//! each sender waits for its notice's mark before it sends another. So the window is what
//! it was with one transaction per notice: a crash (or a lost database) after the server
//! accepted a message and before its mark commits leaves the notice pending — at most one
//! notice per connection, `concurrency` in all — and it is sent again, with the same
//! Message-ID, when its lock expires. See the README (Notices).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::mailer::{Mailer, SendError};
use super::render::{RenderContext, render};
use super::scrub;
use crate::store::{ClaimedNotice, SentNotice, Store, StoreError};

/// How the worker paces itself.
#[derive(Clone, Debug)]
pub struct NoticeSettings {
    /// Notices claimed at once.
    pub batch: i64,
    /// How long a claim holds; a dead worker's notices are taken over after it.
    pub lock: Duration,
    /// Notices in flight at once (SMTP connections are pooled).
    pub concurrency: usize,
    /// First retry delay after a transient failure, doubled each attempt…
    pub retry_base: Duration,
    /// …up to this.
    pub retry_max: Duration,
    /// How often an idle worker looks for new notices.
    pub poll: Duration,
    pub render: RenderContext,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        NoticeSettings {
            batch: 50,
            lock: Duration::from_secs(300),
            concurrency: 4,
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            poll: Duration::from_secs(5),
            render: RenderContext {
                portal_url: None,
                reply_to: None,
                notice_days: 5,
            },
        }
    }
}

impl NoticeSettings {
    /// The delay before attempt `attempts + 1`, after `attempts` failed ones.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        self.retry_base
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.retry_max)
    }
}

/// What a pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub claimed: u64,
    pub sent: u64,
    /// Failed for now, to retry after a delay.
    pub postponed: u64,
    /// Failed for good, recorded for staff.
    pub failed: u64,
    /// Claimed but given back unattempted (the lock was running short).
    pub released: u64,
}

impl DeliveryReport {
    fn add(&mut self, other: DeliveryReport) {
        self.claimed += other.claimed;
        self.sent += other.sent;
        self.postponed += other.postponed;
        self.failed += other.failed;
        self.released += other.released;
    }
}

enum Outcome {
    Sent,
    Postponed,
    Failed,
}

/// Claims one batch and delivers it.
pub async fn deliver_batch(
    store: &Store,
    mailer: &Mailer,
    settings: &NoticeSettings,
    worker: &str,
) -> anyhow::Result<DeliveryReport> {
    let lock = chrono::Duration::from_std(settings.lock)?;
    // The lock is judged by the clock (the database's expiry is written by it).
    let claimed_at = store.clock().now();
    let claimed = store.claim_notices(worker, lock, settings.batch).await?;
    let mut report = DeliveryReport {
        claimed: claimed.len() as u64,
        ..DeliveryReport::default()
    };
    // Start nothing in the last quarter of the lock: a send started then could still be
    // running when another worker takes the notice over.
    let start_by = claimed_at + (lock - lock / 4);
    let (marks, marker) = Marks::start(store.clone(), settings.concurrency.max(1));
    let shared = Arc::new((
        store.clone(),
        mailer.clone(),
        settings.clone(),
        worker.to_owned(),
        marks,
    ));
    let mut running = JoinSet::new();
    let mut unstarted = Vec::new();
    let mut first_error = None;
    for notice in claimed {
        if store.clock().now() >= start_by {
            unstarted.push(notice.id);
            continue;
        }
        while running.len() >= settings.concurrency.max(1) {
            collect(running.join_next().await, &mut report, &mut first_error);
        }
        let shared = Arc::clone(&shared);
        running.spawn(async move {
            let (store, mailer, settings, worker, marks) = &*shared;
            deliver_one(store, mailer, settings, worker, marks, notice).await
        });
    }
    while let Some(done) = running.join_next().await {
        collect(Some(done), &mut report, &mut first_error);
    }
    // Every sender is done: the marker's queue closes and it ends.
    drop(shared);
    if let Err(err) = marker.await {
        first_error.get_or_insert(anyhow::anyhow!("the notice marker died: {err}"));
    }
    if !unstarted.is_empty() {
        report.released = unstarted.len() as u64;
        store.release_notices(worker, &unstarted).await?;
    }
    if report.claimed > 0 {
        // Per batch: debug (a national run is hundreds of batches); failures and
        // postponements are logged where they happen.
        tracing::debug!(
            worker,
            claimed = report.claimed,
            sent = report.sent,
            postponed = report.postponed,
            failed = report.failed,
            released = report.released,
            "notices delivered"
        );
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(report),
    }
}

fn collect(
    done: Option<Result<anyhow::Result<Outcome>, tokio::task::JoinError>>,
    report: &mut DeliveryReport,
    first_error: &mut Option<anyhow::Error>,
) {
    match done {
        Some(Ok(Ok(Outcome::Sent))) => report.sent += 1,
        Some(Ok(Ok(Outcome::Postponed))) => report.postponed += 1,
        Some(Ok(Ok(Outcome::Failed))) => report.failed += 1,
        Some(Ok(Err(err))) => {
            first_error.get_or_insert(err);
        }
        Some(Err(err)) => {
            first_error.get_or_insert(anyhow::anyhow!("a notice delivery task died: {err}"));
        }
        None => {}
    }
}

async fn deliver_one(
    store: &Store,
    mailer: &Mailer,
    settings: &NoticeSettings,
    worker: &str,
    marks: &Marks,
    notice: ClaimedNotice,
) -> anyhow::Result<Outcome> {
    let (id, kind, attempts) = (notice.id, notice.kind.as_str(), notice.attempts + 1);
    let postpone = |error: String| async move {
        let delay = settings.backoff(attempts);
        tracing::warn!(
            notice = id,
            kind,
            attempts,
            retry_in_seconds = delay.as_secs(),
            error = error.as_str(),
            "notice not sent, will retry"
        );
        store
            .postpone_notice(id, worker, &error, chrono::Duration::from_std(delay)?)
            .await?;
        anyhow::Ok(Outcome::Postponed)
    };
    let fail = |error: String| async move {
        tracing::error!(
            notice = id,
            kind,
            error = error.as_str(),
            "notice failed for good; listed by `tahsil notices --failed`"
        );
        store.fail_notice(id, worker, &error).await?;
        anyhow::Ok(Outcome::Failed)
    };

    let facts = match store.notice_facts(&notice).await {
        Ok(facts) => facts,
        Err(StoreError::Database(err)) => {
            return postpone(format!("reading the notice's facts failed: {err}")).await;
        }
        Err(err) => return fail(scrub(&format!("the notice cannot be written: {err}"))).await,
    };
    let rendered = match render(&facts, &settings.render) {
        Ok(rendered) => rendered,
        Err(err) => return fail(format!("the notice cannot be written: {err}")).await,
    };
    let message_id = mailer.message_id(notice.id, &notice.dedupe_key);
    let recipient = &facts.recipient;
    let built = mailer.build(
        &message_id,
        &recipient.name,
        &recipient.email,
        &rendered,
        store.clock().now(),
    );
    let email = match built {
        Ok(email) => email,
        Err(err) => return fail(err.to_string()).await,
    };
    let file_stem = format!("notice-{:08}-{}", notice.id, notice.kind);
    match mailer.send(&email, &file_stem).await {
        Ok(()) => {}
        Err(SendError::Transient(error)) => return postpone(error).await,
        Err(SendError::Permanent(error)) => return fail(error).await,
    }
    let sent = SentNotice {
        message_id,
        recipient: recipient.email.clone(),
        subject: rendered.subject,
        language: rendered.language,
        body_text: rendered.text,
        transport: mailer.transport().kind().to_owned(),
    };
    // The server has the message: the mark must land, or the notice would be sent again.
    // This sender waits for it (group-committed with the others' marks, see `Marks`).
    if let Err(err) = marks.mark(notice.id, sent).await {
        return Err(anyhow::anyhow!(
            "notice {} was accepted by the mail server but could not be marked sent ({err}); it will be sent again",
            notice.id
        ));
    }
    tracing::debug!(
        notice = notice.id,
        kind = notice.kind.as_str(),
        "notice sent"
    );
    Ok(Outcome::Sent)
}

/// Most marks committed in one transaction.
const MARK_GROUP: usize = 256;

/// The sent marks of one batch, committed by one task in groups: each transaction marks
/// every notice whose server answered while the one before ran (a group commit, no
/// waiting for a group to fill). A sender waits for its own mark.
struct Marks {
    queue: mpsc::Sender<PendingMark>,
}

struct PendingMark {
    id: i64,
    sent: SentNotice,
    done: oneshot::Sender<Result<(), String>>,
}

impl Marks {
    fn start(store: Store, senders: usize) -> (Marks, tokio::task::JoinHandle<()>) {
        let (queue, received) = mpsc::channel(senders.max(1));
        (Marks { queue }, tokio::spawn(mark_groups(store, received)))
    }

    /// Marks the notice sent; returns once the mark is committed.
    async fn mark(&self, id: i64, sent: SentNotice) -> Result<(), String> {
        let (done, committed) = oneshot::channel();
        self.queue
            .send(PendingMark { id, sent, done })
            .await
            .map_err(|_| "the marker stopped".to_owned())?;
        committed
            .await
            .unwrap_or_else(|_| Err("the marker stopped".to_owned()))
    }
}

async fn mark_groups(store: Store, mut received: mpsc::Receiver<PendingMark>) {
    while let Some(first) = received.recv().await {
        let mut group = vec![first];
        while group.len() < MARK_GROUP {
            match received.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let notices: Vec<(i64, SentNotice)> =
            group.iter().map(|m| (m.id, m.sent.clone())).collect();
        // A database that hiccups gets a few chances before the senders give up.
        let mut tries = 0;
        let result = loop {
            match store.mark_notices_sent(&notices).await {
                Ok(_) => break Ok(()),
                Err(err) if tries < 5 => {
                    tries += 1;
                    tracing::warn!(notices = notices.len(), error = %err, "marking sent notices failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
                Err(err) => break Err(err.to_string()),
            }
        };
        for mark in group {
            let _ = mark.done.send(result.clone());
        }
    }
}

/// Delivers until nothing is pending, waiting for retries that fall due within `max_wait`.
/// Returns the totals; what is still pending after that stays queued for `serve`.
pub async fn deliver_all(
    store: &Store,
    mailer: &Mailer,
    settings: &NoticeSettings,
    worker: &str,
    max_wait: Duration,
) -> anyhow::Result<DeliveryReport> {
    let give_up = Instant::now() + max_wait;
    let mut total = DeliveryReport::default();
    send_password_resets(store, mailer, settings, worker).await;
    loop {
        let report = deliver_batch(store, mailer, settings, worker).await?;
        total.add(report);
        if report.claimed > 0 && report.postponed == 0 {
            continue;
        }
        let pending = store.pending_notices().await?.count;
        if pending == 0 || Instant::now() >= give_up {
            return Ok(total);
        }
        if report.claimed == 0 || report.postponed > 0 {
            tokio::time::sleep(
                settings
                    .poll
                    .min(give_up.saturating_duration_since(Instant::now())),
            )
            .await;
        }
    }
}

/// The worker loop of `serve`: delivers as long as there is work, polls when idle, stops
/// when `stop` turns true (after the batch in hand).
pub async fn run_loop(
    store: Store,
    mailer: Mailer,
    settings: NoticeSettings,
    worker: String,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    tracing::info!(worker = worker.as_str(), transport = %mailer.transport().describe(), "notice worker started");
    loop {
        if *stop.borrow() {
            break;
        }
        // Reset links first: a person is waiting for each one.
        send_password_resets(&store, &mailer, &settings, &worker).await;
        let busy = match deliver_batch(&store, &mailer, &settings, &worker).await {
            Ok(report) => report.claimed == u64::try_from(settings.batch).unwrap_or(0),
            Err(err) => {
                tracing::warn!(error = %format!("{err:#}"), "notice delivery failed; retrying later");
                false
            }
        };
        if busy {
            continue;
        }
        tokio::select! {
            _ = stop.changed() => {}
            () = tokio::time::sleep(settings.poll) => {}
        }
    }
    tracing::info!(worker = worker.as_str(), "notice worker stopped");
}

/// One pass over the pending password-reset emails; a failure is logged and retried on
/// the next pass.
async fn send_password_resets(
    store: &Store,
    mailer: &Mailer,
    settings: &NoticeSettings,
    worker: &str,
) {
    let portal_url = settings.render.portal_url.as_deref();
    if let Err(err) =
        super::password_reset::deliver_password_resets(store, mailer, portal_url, worker).await
    {
        tracing::warn!(error = %format!("{err:#}"), "password reset emails: delivery failed; retrying later");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_a_ceiling() {
        let settings = NoticeSettings {
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(600),
            ..NoticeSettings::default()
        };
        assert_eq!(settings.backoff(1), Duration::from_secs(30));
        assert_eq!(settings.backoff(2), Duration::from_secs(60));
        assert_eq!(settings.backoff(3), Duration::from_secs(120));
        assert_eq!(settings.backoff(6), Duration::from_secs(600));
        assert_eq!(settings.backoff(1000), Duration::from_secs(600));
    }
}
