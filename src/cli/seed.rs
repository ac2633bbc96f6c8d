//! `tahsil seed`: realistic employers generated into the configured database, for trials
//! and benchmarks (the generator is the demo's: `super::demo::seed`).

use std::process::ExitCode;

use crate::app;
use crate::config::Config;

/// `tahsil seed`: seeds the configured database, with progress on a terminal.
pub(super) async fn seed(
    config: Config,
    employers: u64,
    worksites: u64,
    period: String,
    seed: u64,
) -> anyhow::Result<ExitCode> {
    use std::io::{IsTerminal, Write};
    if employers == 0 {
        anyhow::bail!("--employers must be at least 1");
    }
    mandates::Period::parse(&period).map_err(anyhow::Error::msg)?;
    let store = app::create_or_open_store(&config).await?;
    store.migrate().await?;
    let started = std::time::Instant::now();
    // Progress only on a terminal; scripts and logs get the summary alone.
    let on_terminal = std::io::stderr().is_terminal();
    let summary = super::demo::seed(&store, employers, worksites, &period, seed, |done| {
        if on_terminal {
            eprint!("\rseeding: {done}/{employers} employers");
            let _ = std::io::stderr().flush();
        }
    })
    .await?;
    if on_terminal {
        eprintln!();
    }
    store.close().await;
    println!(
        "seeded {} employers with {} worksites ({} RIB, {} CCP mandates, all active) and their {} declarations ({}) in {} into {}",
        summary.employers,
        summary.worksites,
        summary.bank_mandates,
        summary.postal_mandates,
        summary.period,
        super::money(summary.declared_total),
        super::seconds(started.elapsed()),
        crate::store::redact_url(&config.database_url)
    );
    Ok(ExitCode::SUCCESS)
}
