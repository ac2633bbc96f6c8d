//! `tahsil run`, `tahsil import`, `tahsil exceptions` and `tahsil bank-sim`: the collection
//! cycle by hand — debit files built for a date, bank reports imported, reconciliation
//! exceptions listed or resolved, the simulated bank answering. The work is
//! `crate::cycle`'s; this file chooses the date, shows progress and prints the outcome.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::app;
use crate::config::Config;
use crate::cycle::collect::{NextWork, Planning, next_date_with_work, plan_and_run};
use crate::locale::{command_line_money, written_day, written_day_of};

use super::instance_name;

/// `tahsil run`: builds the files of `date` (default: the next collection date that has
/// work — see `cycle::collect::next_date_with_work`).
pub(super) async fn run(
    config: Config,
    date: Option<chrono::NaiveDate>,
) -> anyhow::Result<ExitCode> {
    let settings = crate::cycle::CycleSettings::from_config(&config)?;
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let today = store.clock().today();
    let actor = crate::store::Actor::new("cli");
    let started = std::time::Instant::now();
    let date = match date {
        Some(date) => date,
        None => {
            match next_date_with_work(&store, &settings.policy, &config.due_date_schedule, today)
                .await?
            {
                Some(next) => {
                    match next {
                        NextWork::ToPlan { date, debits } => println!(
                            "next collection date with work: {} ({debits} employers to debit, planned now)",
                            written_day(date)
                        ),
                        NextWork::Planned { date } => {
                            println!(
                                "next collection date with work: {} (debits planned)",
                                written_day(date)
                            )
                        }
                    }
                    next.date()
                }
                None => {
                    println!(
                        "nothing to run: no collectible declaration for a date the advance notice still allows, and no collection planned from {} on (use --date to run a date)",
                        written_day(today)
                    );
                    store.close().await;
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    };
    let progress = crate::progress::Progress::new();
    let display = crate::progress::Display::start(&progress);
    // People read days one way (`15/12/2026`); `--date` takes them as ISO.
    let day = written_day(date);
    let outcome = plan_and_run(
        &store,
        &settings,
        &actor,
        date,
        today,
        &instance_name(),
        &progress,
        |planning| match planning {
            Planning::Planned(plan) => {
                if plan.planned > 0 {
                    display.clear_line();
                    println!(
                        "planned {} collections for {day} ({}) in {}, advance notices recorded",
                        plan.planned,
                        command_line_money(plan.amount),
                        super::seconds(started.elapsed())
                    );
                }
                if plan.amended > 0 {
                    display.clear_line();
                    println!(
                        "amended {} collections planned before for {day} (lines declared or corrected since), announced again",
                        plan.amended
                    );
                }
                if plan.over_ceiling > 0 {
                    display.clear_line();
                    println!(
                        "{} employers owe more than their mandate's ceiling for {day}: not debited, told by notice",
                        plan.over_ceiling
                    );
                }
            }
            Planning::TooLateToNotice { notice_days } => println!(
                "{day} is less than {notice_days} days away: no new collection can be planned for it (advance notice); running what is planned"
            ),
        },
    )
    .await?;
    drop(display);
    store.close().await;
    print_run(&outcome.run);
    println!("done in {}", super::seconds(started.elapsed()));
    Ok(ExitCode::SUCCESS)
}

/// What a run did, one file a line.
fn print_run(summary: &crate::cycle::run::RunSummary) {
    let r = &summary.recheck;
    if r.mandate_inactive + r.over_ceiling + r.notice_late > 0 {
        println!(
            "cancelled before the run: {} mandate no longer active, {} above the mandate's ceiling, {} notice too late (their lines go to the next date)",
            r.mandate_inactive, r.over_ceiling, r.notice_late
        );
    }
    if summary.recovered > 0 {
        println!(
            "put {} files of an interrupted run in place",
            summary.recovered
        );
    }
    if summary.files.is_empty() {
        println!(
            "run of {}: no new debit to file (already run, or nothing planned)",
            written_day_of(&summary.collection_date)
        );
    }
    for file in &summary.files {
        println!(
            "{}  {} debits  {}  {}  sha256 {}",
            file.path.display(),
            file.transactions,
            command_line_money(file.control_sum),
            file.format,
            file.sha256
        );
    }
}

/// `tahsil import`: applies each report in turn; exit 1 when one was quarantined.
pub(super) async fn import(
    config: Config,
    files: Vec<PathBuf>,
    today: Option<chrono::NaiveDate>,
) -> anyhow::Result<ExitCode> {
    let settings = crate::cycle::CycleSettings::from_config(&config)?;
    // `--today` is a clock standing on that day for this one command.
    let clock = match today {
        Some(day) => crate::clock::Clock::fixed_on(day),
        None => app::clock(&config),
    };
    let store = app::open_store_with_clock(&config, clock).await?;
    store.migrate().await?;
    let actor = crate::store::Actor::new("cli");
    let today = store.clock().today();
    let mut refused = false;
    let progress = crate::progress::Progress::new();
    for (index, file) in files.iter().enumerate() {
        progress.stage(
            format!(
                "importing {}/{}: {}",
                index + 1,
                files.len(),
                file.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            0,
        );
        let display = crate::progress::Display::start(&progress);
        let outcome =
            crate::cycle::import::import_file(&store, &settings, &actor, file, None, today).await;
        drop(display);
        let outcome = outcome?;
        refused |= matches!(
            outcome,
            crate::cycle::import::ImportOutcome::Quarantined { .. }
        );
        println!("{}", outcome.line());
    }
    store.close().await;
    Ok(if refused {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `tahsil exceptions`: lists the open exceptions, or resolves one with a note.
pub(super) async fn exceptions(
    config: Config,
    resolve: Option<i64>,
    note: Option<String>,
) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    if let (Some(id), Some(note)) = (resolve, note) {
        let resolved = store
            .resolve_exception(&crate::store::Actor::new("cli"), id, &note)
            .await?;
        println!(
            "exception {} resolved: {}",
            resolved.id,
            resolved.resolution.unwrap_or_default()
        );
    } else {
        let open = store.exceptions(true).await?;
        if open.is_empty() {
            println!("no open exception");
        }
        for e in open {
            // Read by people: the kind in words, and only the links it has (never
            // `Some(2)`/`None`).
            let mut links = Vec::new();
            if let Some(report) = e.report_id {
                links.push(format!("report #{report}"));
            }
            if let Some(debit) = e.collection_id {
                links.push(format!("debit #{debit}"));
            }
            let links = if links.is_empty() {
                String::new()
            } else {
                format!(" ({})", links.join(", "))
            };
            println!(
                "#{} {}{links}: {}",
                e.id,
                e.kind.as_str().replace('_', " "),
                crate::locale::report_item_detail(&e.detail, crate::locale::Lang::Fr)
            );
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// How often the simulated bank refuses, per thousand.
#[derive(Clone, Copy, Debug)]
pub(super) struct SimRates {
    pub reject_per_mille: u64,
    pub return_per_mille: u64,
    pub transfer_reject_per_mille: u64,
}

/// The simulated bank: answers every debit file in `outbox` with reports in `inbox`, once
/// or (`watch`) every two seconds until interrupted.
pub(super) fn bank_sim(
    config: &Config,
    outbox: &Path,
    inbox: &Path,
    rates: SimRates,
    seed: u64,
    watch: bool,
) -> anyhow::Result<ExitCode> {
    let SimRates {
        reject_per_mille,
        return_per_mille,
        transfer_reject_per_mille,
    } = rates;
    if reject_per_mille + return_per_mille > 1000 {
        anyhow::bail!("--reject-per-mille and --return-per-mille add up to more than 1000");
    }
    if transfer_reject_per_mille > 1000 {
        anyhow::bail!("--transfer-reject-per-mille is more than 1000");
    }
    let sim = crate::cycle::banksim::BankSim {
        reject_per_mille,
        return_per_mille,
        transfer_reject_per_mille,
        seed,
        today: app::clock(config).today(),
        layouts: crate::cycle::CycleSettings::from_config(config)?.layouts,
    };
    loop {
        for path in sim.answer(outbox, inbox)? {
            println!("wrote {}", path.display());
        }
        if !watch {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    Ok(ExitCode::SUCCESS)
}
