//! `tahsil notices`: notices to employers counted by kind and status, the failures listed
//! for staff, a failed one queued again, every pending one sent now. Rendering and delivery
//! are `crate::notices`'.

use std::process::ExitCode;

use crate::app;
use crate::config::Config;
use crate::locale::{Lang, Word};

use super::instance_name;

/// `tahsil notices`: requeues, sends (`--send`), then counts and lists (`--failed`).
pub(super) async fn notices(
    config: Config,
    failed: bool,
    send: bool,
    requeue: Option<i64>,
) -> anyhow::Result<ExitCode> {
    let mailer = if send {
        Some(crate::notices::mailer_from_config(&config)?)
    } else {
        None
    };
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    if let Some(id) = requeue {
        store
            .requeue_notice(&crate::store::Actor::new("cli"), id)
            .await?;
        println!("notice {id} is queued again");
    }
    if let Some(mailer) = mailer {
        let settings = crate::notices::settings_from_config(&config, &mailer);
        let started = std::time::Instant::now();
        let report = crate::notices::deliver_all(
            &store,
            &mailer,
            &settings,
            &format!("{}:notices", instance_name()),
            std::time::Duration::ZERO,
        )
        .await?;
        let elapsed = started.elapsed();
        println!(
            "sent {} notices to {} in {} ({} per second); {} to retry later, {} given up",
            report.sent,
            mailer.transport().describe(),
            super::seconds(elapsed),
            per_second(report.sent, elapsed),
            report.postponed,
            report.failed
        );
    }
    let counts = store.notice_counts().await?;
    if counts.is_empty() {
        println!("no notice recorded");
    }
    for c in &counts {
        // The state in the one word the command line uses for it (French, as in the
        // console), never its stored code (issue 20).
        println!(
            "{:<24} {:<14} {:>8}",
            c.kind.word(Lang::Fr),
            c.status.word(Lang::Fr),
            c.count
        );
    }
    if failed {
        let failures = store.notice_failures(false, 1000).await?;
        if failures.is_empty() {
            println!("every notice was delivered: none is waiting for a retry or given up");
        }
        for f in failures {
            println!(
                "#{} employer {} {} ({}): {} attempts{}, {}",
                f.id,
                f.employer_id,
                f.kind.word(Lang::Fr),
                f.status.word(Lang::Fr),
                f.attempts,
                f.next_attempt_at
                    .map(|at| format!(", next at {}", super::moment(&at)))
                    .unwrap_or_default(),
                f.last_error.unwrap_or_default()
            );
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// A rate for people, counted in whole units over a duration (display only).
fn per_second(count: u64, elapsed: std::time::Duration) -> u128 {
    let millis = elapsed.as_millis().max(1);
    u128::from(count) * 1000 / millis
}
