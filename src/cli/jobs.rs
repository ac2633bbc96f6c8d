//! `tahsil jobs`: the scheduler's queue counted by kind and state, the jobs that failed for
//! good listed with their error (`--failed`), one put back in the queue (`--retry ID`,
//! audited as `cli`). The queue is `crate::store`'s; the work is `crate::cycle`'s.

use std::process::ExitCode;

use crate::app;
use crate::config::Config;
use crate::store::Actor;

/// Failed jobs listed at most.
const FAILED_LISTED: i64 = 1000;

/// `tahsil jobs`: puts a failed job back (`--retry`), then counts and lists (`--failed`).
pub(super) async fn jobs(
    config: Config,
    failed: bool,
    retry: Option<i64>,
) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    if let Some(id) = retry {
        let job = store.retry_job(&Actor::new("cli"), id).await?;
        println!(
            "job {id} ({}) is queued again after {} failed attempts: the scheduler's next pass runs it",
            job.dedupe_key, job.attempts
        );
    }
    let counts = store.job_counts().await?;
    if counts.is_empty() {
        println!("no job queued yet");
    }
    for c in &counts {
        println!("{:<8} {:<8} {:>8}", c.kind, c.status, c.count);
    }
    if failed {
        let jobs = store.failed_jobs(FAILED_LISTED).await?;
        if jobs.is_empty() {
            println!("no job failed");
        }
        for job in jobs {
            println!(
                "#{} {} failed after {} attempts at {}: {}",
                job.id,
                job.dedupe_key,
                job.attempts,
                super::moment(&job.finished_at.unwrap_or_default()),
                job.last_error.unwrap_or_default()
            );
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
