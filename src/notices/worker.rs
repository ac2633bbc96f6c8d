//! The delivery worker: claims pending notices, writes and sends them, marks them sent.
//!
//! Each notice is sent once: it is claimed by one worker (an expiring lock in the
//! database), its Message-ID is derived from the event so every attempt carries the same
//! one, and it is marked sent — with what was sent — once the server accepted it. A worker
//! never starts sending a claimed notice once its lock is close to expiring (another
//! worker could take it over): it gives the rest back.
//!
//! A batch costs the database a few statements, not a few per notice: it is claimed in
//! one statement, its facts read by one query per table for the whole batch
//! (`Store::notice_facts_batch`), and the sent marks are group-committed — one set-based
//! transaction marks every notice whose server answered while the one before ran. A
//! sender does not wait for its mark: it goes on to its next notice as long as fewer than
//! [`MARK_WINDOW`] notices are accepted and not yet marked, and waits when that many are.
//! So the window is bounded as before, only wider: a crash (or a lost database) after
//! servers accepted messages and before their marks commit leaves at most
//! [`MARK_WINDOW`] notices pending, and they are sent again, with the same Message-IDs,
//! when their lock expires; a notice whose mark committed is never sent again, and no
//! notice is marked before its server accepted it. See the README (Notices).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;

use super::mailer::{Mailer, SendError};
use super::render::{RenderContext, render};
use super::scrub;
use crate::store::{ClaimedNotice, NoticeFacts, SentNotice, Store, StoreError};

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
    /// Accepted by the server, its mark queued.
    Sent,
    Postponed,
    Failed,
    /// Not attempted (the marker gave up on the database): given back.
    NotStarted(i64),
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
    if claimed.is_empty() {
        return Ok(report);
    }
    // Start nothing in the last quarter of the lock: a send started then could still be
    // running when another worker takes the notice over.
    let start_by = claimed_at + (lock - lock / 4);
    // The batch's facts in a few queries; a database failure postpones each notice.
    let facts: Vec<Facts> = match store.notice_facts_batch(&claimed).await {
        Ok(facts) => facts.into_iter().map(Facts::from).collect(),
        Err(err) => claimed.iter().map(|_| Facts::unread(&err)).collect(),
    };
    let (marks, marker) = Marks::start(store.clone());
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
    for (notice, facts) in claimed.into_iter().zip(facts) {
        if store.clock().now() >= start_by || shared.4.broken() {
            unstarted.push(notice.id);
            continue;
        }
        while running.len() >= settings.concurrency.max(1) {
            collect(
                running.join_next().await,
                &mut report,
                &mut unstarted,
                &mut first_error,
            );
        }
        let shared = Arc::clone(&shared);
        running.spawn(async move {
            let (store, mailer, settings, worker, marks) = &*shared;
            deliver_one(store, mailer, settings, worker, marks, notice, facts).await
        });
    }
    while let Some(done) = running.join_next().await {
        collect(Some(done), &mut report, &mut unstarted, &mut first_error);
    }
    // Every sender is done: the marker's queue closes, it commits what is left and ends.
    drop(shared);
    match marker.await {
        Ok(marked) => {
            report.sent = marked.marked;
            if let Some(err) = marked.error {
                first_error.get_or_insert(anyhow::anyhow!(
                    "{} notices were accepted by the mail server but could not be marked sent ({err}); \
                     they will be sent again",
                    marked.unmarked
                ));
            }
        }
        Err(err) => {
            first_error.get_or_insert(anyhow::anyhow!("the notice marker died: {err}"));
        }
    }
    if !unstarted.is_empty() {
        report.released = unstarted.len() as u64;
        store.release_notices(worker, &unstarted).await?;
    }
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
    match first_error {
        Some(err) => Err(err),
        None => Ok(report),
    }
}

/// A notice's facts as the batch read them.
enum Facts {
    Read(Box<NoticeFacts>),
    /// The database failed: retried later.
    Unread(String),
    /// The notice cannot be written (unknown kind, missing subject): failed for good.
    Unwritable(String),
}

impl From<Result<NoticeFacts, StoreError>> for Facts {
    fn from(facts: Result<NoticeFacts, StoreError>) -> Facts {
        match facts {
            Ok(facts) => Facts::Read(Box::new(facts)),
            Err(StoreError::Database(err)) => Facts::unread(&err),
            Err(err) => Facts::Unwritable(scrub(&format!("the notice cannot be written: {err}"))),
        }
    }
}

impl Facts {
    /// A database error (the batch's look-ups, or this notice's).
    fn unread(err: &dyn std::fmt::Display) -> Facts {
        Facts::Unread(format!("reading the notice's facts failed: {err}"))
    }
}

fn collect(
    done: Option<Result<anyhow::Result<Outcome>, tokio::task::JoinError>>,
    report: &mut DeliveryReport,
    unstarted: &mut Vec<i64>,
    first_error: &mut Option<anyhow::Error>,
) {
    match done {
        // Counted by the marker, once its mark is committed.
        Some(Ok(Ok(Outcome::Sent))) => {}
        Some(Ok(Ok(Outcome::Postponed))) => report.postponed += 1,
        Some(Ok(Ok(Outcome::Failed))) => report.failed += 1,
        Some(Ok(Ok(Outcome::NotStarted(id)))) => unstarted.push(id),
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
    facts: Facts,
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

    let facts = match facts {
        Facts::Read(facts) => facts,
        Facts::Unread(error) => return postpone(error).await,
        Facts::Unwritable(error) => return fail(error).await,
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
    // A place in the window of accepted, not yet marked notices, held until the mark
    // commits (see `Marks`).
    let Some(place) = marks.place().await else {
        return Ok(Outcome::NotStarted(notice.id));
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
    // Queued for the marker's next group; the place is given back once it commits.
    if marks.queue(notice.id, sent, place).await.is_err() {
        return Err(anyhow::anyhow!(
            "notice {} was accepted by the mail server but the marker had stopped; it will be sent again",
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

/// Most notices accepted by the server and not yet marked sent, across the worker's
/// connections: what a crash at the worst instant sends twice (with the same Message-ID).
pub const MARK_WINDOW: usize = 128;

/// The sent marks of one batch, committed by one task in groups: each transaction marks
/// every notice whose server answered while the one before ran (a group commit, no
/// waiting for a group to fill). A sender holds a place in the window from before it
/// sends until its mark commits; with the window full, senders wait.
struct Marks {
    queue: mpsc::UnboundedSender<PendingMark>,
    window: Arc<Semaphore>,
}

struct PendingMark {
    id: i64,
    sent: SentNotice,
    /// Given back when the group holding this mark is committed (or given up).
    place: OwnedSemaphorePermit,
}

/// What the marker did.
struct Marked {
    /// Notices marked sent (or found not pending any more).
    marked: u64,
    /// Accepted by the server but not marked: the marker gave up on the database.
    unmarked: u64,
    error: Option<String>,
}

impl Marks {
    fn start(store: Store) -> (Marks, tokio::task::JoinHandle<Marked>) {
        let (queue, received) = mpsc::unbounded_channel();
        let window = Arc::new(Semaphore::new(MARK_WINDOW));
        let marker = tokio::spawn(mark_groups(store, received, Arc::clone(&window)));
        (Marks { queue, window }, marker)
    }

    /// A place in the window; `None` once the marker gave up (send nothing more).
    async fn place(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.window).acquire_owned().await.ok()
    }

    /// Whether the marker gave up on the database: nothing more is sent.
    fn broken(&self) -> bool {
        self.window.is_closed()
    }

    /// Queues the mark of an accepted notice.
    async fn queue(
        &self,
        id: i64,
        sent: SentNotice,
        place: OwnedSemaphorePermit,
    ) -> Result<(), ()> {
        self.queue
            .send(PendingMark { id, sent, place })
            .map_err(|_| ())
    }
}

async fn mark_groups(
    store: Store,
    mut received: mpsc::UnboundedReceiver<PendingMark>,
    window: Arc<Semaphore>,
) -> Marked {
    let mut done = Marked {
        marked: 0,
        unmarked: 0,
        error: None,
    };
    while let Some(first) = received.recv().await {
        let mut group = vec![first];
        while let Ok(next) = received.try_recv() {
            group.push(next);
        }
        if done.error.is_some() {
            done.unmarked += group.len() as u64;
            continue;
        }
        // The group's places are given back once its marks are committed (below).
        let (notices, places): (Vec<(i64, SentNotice)>, Vec<OwnedSemaphorePermit>) =
            group.into_iter().map(|m| ((m.id, m.sent), m.place)).unzip();
        // A database that hiccups gets a few chances before the senders give up.
        let mut tries = 0;
        loop {
            match store.mark_notices_sent(&notices).await {
                Ok(_) => {
                    done.marked += notices.len() as u64;
                    break;
                }
                Err(err) if tries < 5 => {
                    tries += 1;
                    tracing::warn!(notices = notices.len(), error = %err, "marking sent notices failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
                Err(err) => {
                    // Nothing more is sent in this batch: the window closes.
                    window.close();
                    done.unmarked += notices.len() as u64;
                    done.error = Some(err.to_string());
                    break;
                }
            }
        }
        drop(places);
    }
    done
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
