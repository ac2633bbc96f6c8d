//! The scheduler and workers of `serve`. Every instance runs a worker; exactly one — the
//! holder of the `scheduler` lease in the database — decides what is due and queues it as
//! idempotent jobs ([`Job`]: `plan:DATE`, `run:DATE`, `settle:DATE`). A holder that dies
//! stops renewing its lease and another instance takes over when it expires.
//!
//! A collection date stays open until its notice deadline (the date − the notice period):
//! every pass, the next open date is planned again when what planning would take in has
//! changed — a declaration submitted or corrected, a ceiling raised. The plan job's key is
//! `plan:DATE:MARK`, MARK a fingerprint of the collectible lines and of the amounts not yet
//! announced (`Store::planning_mark`): a new job exactly when something changed, none on
//! the passes in between (plain `plan:DATE` when the date has nothing to plan). Planning is
//! idempotent and amends what it planned before, so the jobs of one date may run in any
//! order. After the deadline the date is no longer the next open one: new lines wait for
//! the next date. Reports are
//! not a job: every instance imports the inboxes on each pass (a report is applied once,
//! by its hash).
//!
//! Time is the store's clock: what is due, and today, are judged by it; only the pause
//! between passes is real time. A clock moved by hand (a test, a training session) wakes
//! the loop at once. When a day has ended, its summary is queued (`summary:DAY`): the job
//! records it in the audit trail and logs it, once, whichever instance claims it.

use std::time::Duration as StdDuration;

use chrono::{Days, Duration, NaiveDate};

use super::CycleSettings;
use super::collect::{Planning, plan_if_notice_allows};
use super::jobs::Job;
use crate::progress::Progress;
use crate::store::{Actor, AuditHead, DaySummary, Store, scrub_error};

pub const SCHEDULER_LEASE: &str = "scheduler";

/// How the queue is worked: how long a claim holds a job (then another worker may take it
/// over: its worker is taken for dead), how long a failed attempt waits before the next,
/// and after how many attempts a job fails for good and waits for staff (the console's
/// jobs page, `tahsil jobs --retry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuePolicy {
    pub lock: Duration,
    pub retry_in: Duration,
    pub max_attempts: i64,
}

impl Default for QueuePolicy {
    fn default() -> QueuePolicy {
        QueuePolicy {
            lock: Duration::minutes(15),
            retry_in: Duration::minutes(5),
            max_attempts: 5,
        }
    }
}

/// One scheduling pass, by the lease holder only: queues what is due today. Returns the
/// jobs queued now (already queued ones are not queued again).
pub async fn schedule(
    store: &Store,
    settings: &CycleSettings,
    schedule: &mandates::DueDateSchedule,
    today: NaiveDate,
) -> anyhow::Result<Vec<Job>> {
    // The calendar reaches ten years ahead: a new year's holidays load as the horizon
    // moves (one small read when there is nothing to load).
    let loaded = store
        .load_calendar_years(&Actor::new("scheduler"), today)
        .await?;
    if !loaded.years.is_empty() {
        tracing::info!(years = ?loaded.years, fixed = loaded.fixed, lunar = loaded.lunar, moved = loaded.moved.len(), "calendar years loaded");
    }
    let calendar = store.calendar().await?;
    let mut due: Vec<Job> = days_to_summarise(store.last_day_summarised().await?, today)
        .into_iter()
        .map(|day| Job::Summary { day })
        .collect();
    let mut queued = Vec::new();
    // The next open date: planned again whenever what it would take in changed.
    if let Some(next) = schedule.next_collection_date(today, &calendar, &settings.policy) {
        let job = Job::Plan {
            date: next.collection_date,
        };
        match store.planning_mark(next.collection_date).await? {
            Some(mark) => {
                if job.enqueue_marked(store, &mark).await? {
                    queued.push(job);
                }
            }
            None => due.push(job),
        }
    }
    // Runs: every date with planned collections whose file day has come.
    for date in store.planned_dates().await? {
        if settings.policy.file_date(date, &calendar) <= today && date >= today {
            due.push(Job::Run { date });
        }
    }
    due.push(Job::Settle { day: today });
    // The daily surcharge job: each day after its watermark, in order (a service stopped
    // for days catches up day by day).
    let last = store.daily_job_last_day(SURCHARGE_JOB).await?;
    due.extend(
        days_to_catch_up(last, today)
            .into_iter()
            .map(|day| Job::Surcharges { day }),
    );
    for job in due {
        if job.enqueue(store).await? {
            queued.push(job);
        }
    }
    Ok(queued)
}

/// The days that ended since the last one summarised: none before yesterday when no day
/// has been yet (a new fund), and at most a month back (a service stopped for long).
fn days_to_summarise(last: Option<NaiveDate>, today: NaiveDate) -> Vec<NaiveDate> {
    let Some(yesterday) = today.pred_opt() else {
        return Vec::new();
    };
    let oldest = today.checked_sub_days(Days::new(31)).unwrap_or(yesterday);
    let first = last
        .and_then(|day| day.succ_opt())
        .unwrap_or(yesterday)
        .max(oldest);
    first
        .iter_days()
        .take_while(|day| *day <= yesterday)
        .collect()
}

/// The daily job whose watermark (`Store::daily_job_last_day`) the surcharge jobs keep.
pub const SURCHARGE_JOB: &str = "surcharges";

/// The most days a daily job catches up after a stop: a year.
pub const CATCH_UP_DAYS: u64 = 366;

/// The days a daily job still has to do, oldest first: each day after the last it
/// completed up to `today` (at most [`CATCH_UP_DAYS`] back); only today when it never ran
/// (a new fund, or the first run of a version keeping the watermark).
pub fn days_to_catch_up(last: Option<NaiveDate>, today: NaiveDate) -> Vec<NaiveDate> {
    let oldest = today
        .checked_sub_days(Days::new(CATCH_UP_DAYS - 1))
        .unwrap_or(today);
    let first = last
        .and_then(|day| day.succ_opt())
        .unwrap_or(today)
        .max(oldest);
    first.iter_days().take_while(|day| *day <= today).collect()
}

/// The daily surcharge job of `day`: the plans' review, then the surcharges, for each day
/// after the watermark up to `day` (never past `today`), in order, the watermark moving
/// after each. A day at or before the watermark is done: nothing is redone.
async fn surcharge_days(
    store: &Store,
    actor: &Actor,
    day: NaiveDate,
    today: NaiveDate,
) -> anyhow::Result<String> {
    let last = store.daily_job_last_day(SURCHARGE_JOB).await?;
    let days = days_to_catch_up(last, day.min(today));
    if days.is_empty() {
        return Ok(format!("{day} already done"));
    }
    let (mut surcharges, mut employers, mut assessments) = (0, 0, 0);
    for one in &days {
        let accrued = store.accrue_surcharges(actor, *one).await?;
        surcharges += accrued.surcharges;
        employers += accrued.employers;
        // Declarations missing past their deadline are assessed provisionally.
        assessments += store
            .assess_missing_declarations(actor, *one)
            .await?
            .assessments;
        store.record_daily_job_day(SURCHARGE_JOB, *one).await?;
    }
    Ok(format!(
        "{surcharges} surcharges recorded for {employers} employers, \
         {assessments} provisional assessments ({} day(s) to {})",
        days.len(),
        days[days.len() - 1]
    ))
}

/// Executes one claimed job.
pub async fn execute(
    store: &Store,
    settings: &CycleSettings,
    job: Job,
    holder: &str,
) -> anyhow::Result<String> {
    let actor = Actor::new("scheduler");
    let today = store.clock().today();
    match job {
        Job::Plan { date } => {
            let planning = plan_if_notice_allows(
                store,
                &settings.policy,
                &actor,
                date,
                today,
                &Progress::default(),
            )
            .await?;
            Ok(match planning {
                Planning::Planned(plan) => format!(
                    "planned {} collections, amended {}, {} over their ceiling",
                    plan.planned, plan.amended, plan.over_ceiling
                ),
                Planning::TooLateToNotice { notice_days } => format!(
                    "{date} is less than {notice_days} days away: nothing planned (advance notice)"
                ),
            })
        }
        Job::Run { date } => {
            let summary = super::run::run_date(store, settings, &actor, date, holder).await?;
            Ok(format!("{} files written", summary.files.len()))
        }
        // Settles by the day it runs on (a late job settles what has elapsed by then).
        Job::Settle { day: _ } => {
            let calendar = store.calendar().await?;
            let last =
                calendar.business_days_before(today, settings.policy.settlement_business_days);
            let settled = store.settle_elapsed(&actor, last, today).await?;
            Ok(format!("{settled} settled by the window"))
        }
        Job::Surcharges { day } => surcharge_days(store, &actor, day, today).await,
        Job::Summary { day } => {
            let (summary, recorded) = store.record_day_summary(&actor, day).await?;
            if recorded {
                // The chain's head as of the day's own entry (or a little later): in the
                // log, outside the database, it anchors the history up to it.
                log_day(day, &summary, &store.audit_head().await?);
            }
            Ok(format!("summary of {day} recorded"))
        }
    }
}

/// The one line a day in the log: counts only, never a name, an amount or an account; and
/// the audit chain's head (`audit_head` = SEQ:HASH, for `tahsil audit verify --anchor`).
fn log_day(day: NaiveDate, s: &DaySummary, head: &AuditHead) {
    tracing::info!(
        %day,
        planned = s.planned,
        files = s.files,
        debits = s.debits,
        reports = s.reports,
        items = s.items,
        settled = s.settled,
        rejected = s.rejected,
        returned = s.returned,
        notices_sent = s.notices_sent,
        notices_failed = s.notices_failed,
        exceptions = s.exceptions,
        quarantined = s.quarantined,
        jobs_failed = s.jobs_failed,
        audit_head = %head,
        "the day in summary"
    );
}

/// The loop of `serve`: every `tick` (or at once when the clock is moved by hand), take or
/// renew the lease and schedule if held; then import the inboxes (any instance may: a
/// report is applied once, by hash, in one transaction) and work the queue. Ends when
/// `shutdown` resolves.
pub async fn run_loop(
    store: Store,
    settings: CycleSettings,
    due_dates: mandates::DueDateSchedule,
    instance: String,
    tick: StdDuration,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let lease_ttl = Duration::seconds(i64::try_from(tick.as_secs()).unwrap_or(30).max(5) * 3);
    let mut moved = store.clock().moved();
    loop {
        if *shutdown.borrow() {
            break;
        }
        if let Err(err) = pass(&store, &settings, &due_dates, &instance, lease_ttl).await {
            tracing::error!(error = %format!("{err:#}"), "scheduler pass failed");
        }
        let mut shutdown = shutdown.clone();
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            _ = shutdown.changed() => {}
            _ = moved.changed() => {}
        }
    }
    let _ = store.release_lease(SCHEDULER_LEASE, &instance).await;
}

pub async fn pass(
    store: &Store,
    settings: &CycleSettings,
    due_dates: &mandates::DueDateSchedule,
    instance: &str,
    lease_ttl: Duration,
) -> anyhow::Result<()> {
    let today = store.clock().today();
    if store
        .acquire_lease(SCHEDULER_LEASE, instance, lease_ttl)
        .await?
    {
        let queued = schedule(store, settings, due_dates, today).await?;
        if !queued.is_empty() {
            let keys: Vec<String> = queued.iter().map(Job::dedupe_key).collect();
            tracing::info!(jobs = ?keys, "scheduled");
        }
        // Approved refunds go out on the next pass, one file per institution (sending is
        // idempotent: what was sent is never sent again).
        for step in
            super::refund::send_refunds(store, settings, &Actor::new("scheduler"), today).await?
        {
            if let Some(file) = &step.file {
                tracing::info!(file = %file.file_name, transfers = file.transactions, "refund file written");
            }
            if !step.lapsed.is_empty() {
                tracing::warn!(refunds = ?step.lapsed, "refunds lapsed: the credit was used meanwhile");
            }
        }
    }
    for outcome in
        super::import::import_inboxes(store, settings, &Actor::new("inbox"), today).await?
    {
        tracing::info!(outcome = %outcome.line(), "report imported");
    }
    work_queue(store, settings, instance, &QueuePolicy::default()).await?;
    Ok(())
}

/// Claims and executes ready jobs until none is left, as worker `instance`; returns how
/// many it worked. A failed attempt goes back in the queue after `policy.retry_in`, and
/// fails for good at `policy.max_attempts`; its error is logged and kept scrubbed of
/// personal data (a file writer may quote the account number it refused).
pub async fn work_queue(
    store: &Store,
    settings: &CycleSettings,
    instance: &str,
    policy: &QueuePolicy,
) -> anyhow::Result<u64> {
    let mut worked = 0;
    while let Some(job) = store.claim_job(instance, policy.lock).await? {
        // A row this version cannot read fails like a job that failed (and is retried).
        let result = match Job::parse(&job.kind, &job.payload) {
            Ok(parsed) => execute(store, settings, parsed, instance).await,
            Err(err) => Err(err.into()),
        };
        let error = match &result {
            Ok(what) => {
                tracing::info!(job = %job.dedupe_key, %what, "job done");
                None
            }
            Err(err) => {
                let error = scrub_error(&format!("{err:#}"));
                tracing::warn!(job = %job.dedupe_key, attempt = job.attempts, %error, "job failed");
                Some(error)
            }
        };
        store
            .finish_job(
                &job,
                instance,
                error.as_deref(),
                policy.retry_in,
                policy.max_attempts,
            )
            .await?;
        worked += 1;
    }
    Ok(worked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn every_day_that_ended_since_the_last_summary_is_summarised_once() {
        let today = d(2026, 12, 10);
        assert_eq!(days_to_summarise(None, today), vec![d(2026, 12, 9)]);
        assert_eq!(days_to_summarise(Some(d(2026, 12, 9)), today), vec![]);
        assert_eq!(
            days_to_summarise(Some(d(2026, 12, 6)), today),
            vec![d(2026, 12, 7), d(2026, 12, 8), d(2026, 12, 9)]
        );
        let long_ago = days_to_summarise(Some(d(2026, 1, 1)), today);
        assert_eq!(long_ago.len(), 31);
        assert_eq!(long_ago.last(), Some(&d(2026, 12, 9)));
        // A clock set back: nothing again.
        assert_eq!(days_to_summarise(Some(d(2026, 12, 20)), today), vec![]);
    }

    #[test]
    fn the_daily_job_catches_up_each_day_after_its_watermark_once_in_order() {
        let today = d(2026, 12, 10);
        assert_eq!(days_to_catch_up(None, today), vec![today]);
        assert_eq!(days_to_catch_up(Some(today), today), vec![]);
        assert_eq!(days_to_catch_up(Some(d(2026, 12, 20)), today), vec![]);
        assert_eq!(
            days_to_catch_up(Some(d(2026, 12, 7)), today),
            vec![d(2026, 12, 8), d(2026, 12, 9), today]
        );
        let long_ago = days_to_catch_up(Some(d(2024, 1, 1)), today);
        assert_eq!(long_ago.len(), 366);
        assert_eq!(long_ago.last(), Some(&today));
    }
}
