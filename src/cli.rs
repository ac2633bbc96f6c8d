//! The command line (a contract: see product.md). Errors end as one readable line on
//! standard error and a non-zero exit, never a backtrace.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mandates::{AccountId, AccountKind, BankTable};

use crate::config::{Config, LogFormat};
use crate::web::AppState;
use crate::{app, telemetry, web};

#[derive(Debug, Parser)]
#[command(
    name = "tahsil",
    version,
    about = "Automated direct-debit collection for social funds"
)]
pub struct Cli {
    /// Database URL: sqlite://FILE (embedded, the default) or postgres://USER@HOST/DB.
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Configuration file (default: ./tahsil.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log format on standard error: pretty or json.
    #[arg(long, global = true, value_name = "FORMAT")]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (and later the portal, console, scheduler and workers).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080, or TAHSIL_LISTEN).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Apply database migrations and load default reference data.
    Migrate,
    /// Seed a demo fund in an embedded database in DIR and print a summary.
    Demo {
        /// Folder for the demo database and its files.
        #[arg(long, default_value = "tahsil-demo", value_name = "DIR")]
        dir: PathBuf,
        /// Number of employers to create.
        #[arg(long, default_value_t = 200, value_name = "N")]
        employers: u64,
        /// Worksites per employer.
        #[arg(long, default_value_t = 3, value_name = "K")]
        worksites: u64,
    },
    /// Generate realistic employers (worksites, active mandates, a period of declarations)
    /// in the configured database, for trials and benchmarks.
    Seed {
        /// Number of employers to create.
        #[arg(long, value_name = "N")]
        employers: u64,
        /// Worksites per employer.
        #[arg(long, default_value_t = 3, value_name = "K")]
        worksites: u64,
        /// Period declared (default: last month).
        #[arg(long, value_name = "PERIOD")]
        period: Option<String>,
        /// Seed of the generator: the same seed makes the same employers.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Bank files: inspect or validate.
    Files {
        #[command(subcommand)]
        command: FilesCommand,
    },
    /// Account identifiers.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum FilesCommand {
    /// Parse any supported bank file and show it (a table, or JSON with --json).
    Inspect {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Check a bank file; exit 1 listing every problem.
    Validate { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum AccountsCommand {
    /// Validate a RIB, RIP or CCP number and say what it is.
    Check {
        /// The identifier: 20 digits (spaces or dashes allowed), or a CCP as `NUMBER KEY` / `NUMBER/KEY`.
        #[arg(num_args = 1.., required = true)]
        id: Vec<String>,
    },
}

/// Entry point used by `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line: "cannot read X: permission denied".
fn one_line(err: &anyhow::Error) -> String {
    err.chain()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(cli.config.as_deref(), |name| std::env::var(name).ok())?;
    let cli_database_url_given = cli.database_url.is_some();
    if let Some(url) = cli.database_url {
        config.database_url = url;
    }
    if let Some(format) = cli.log_format {
        config.log_format = format;
    }
    match cli.command {
        Command::Accounts {
            command: AccountsCommand::Check { id },
        } => {
            let banks = app::bank_table(&config)?;
            Ok(accounts_check(&id.join(" "), &banks))
        }
        Command::Files {
            command: FilesCommand::Inspect { file, json },
        } => crate::files::inspect_command(&file, json, &app::institution_layouts(&config)?),
        Command::Files {
            command: FilesCommand::Validate { file },
        } => crate::files::validate_command(
            &file,
            config.xsd_dir.as_deref(),
            &app::institution_layouts(&config)?,
        ),
        Command::Migrate => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(async {
                let store = app::open_store(&config).await?;
                store.migrate().await?;
                println!(
                    "migrations applied to the {} database",
                    store.backend().as_str()
                );
                store.close().await;
                Ok(ExitCode::SUCCESS)
            })
        }
        Command::Demo {
            dir,
            employers,
            worksites,
        } => {
            telemetry::init(config.log_format, &config.log_filter);
            let explicit_database = cli_database_url_given;
            runtime()?.block_on(demo(config, dir, employers, worksites, explicit_database))
        }
        Command::Seed {
            employers,
            worksites,
            period,
            seed,
        } => {
            telemetry::init(config.log_format, &config.log_filter);
            let period = period.unwrap_or_else(|| previous_month(algiers_today()));
            runtime()?.block_on(seed_command(config, employers, worksites, period, seed))
        }
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(serve(config))
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    if config.admin_token.is_none() && !config.listen.ip().is_loopback() {
        anyhow::bail!(
            "refusing to serve the API on {} without a token: set TAHSIL_ADMIN_TOKEN, or listen on 127.0.0.1",
            config.listen
        );
    }
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    if config.admin_token.is_none() {
        tracing::warn!("no TAHSIL_ADMIN_TOKEN: the API is open to anyone on this machine");
    }
    tracing::info!(%address, backend = store.backend().as_str(), "tahsil is serving");
    println!("tahsil is serving on http://{address} (Ctrl-C to stop)");
    let state = AppState {
        store: store.clone(),
        admin_token: config.admin_token.clone().map(Arc::new),
    };
    web::serve(listener, state, shutdown_signal()).await?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn seed_command(
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
    crate::period::Period::parse(&period).map_err(anyhow::Error::msg)?;
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let started = std::time::Instant::now();
    // Progress only on a terminal; scripts and logs get the summary alone.
    let on_terminal = std::io::stderr().is_terminal();
    let summary = crate::demo::seed(&store, employers, worksites, &period, seed, |done| {
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
        "seeded {} employers with {} worksites ({} RIB, {} CCP mandates, all active) and their {} declarations ({} DZD) in {:.1?} into {}",
        summary.employers,
        summary.worksites,
        summary.bank_mandates,
        summary.postal_mandates,
        summary.period,
        summary.declared_total,
        started.elapsed(),
        crate::store::redact_url(&config.database_url)
    );
    Ok(ExitCode::SUCCESS)
}

async fn demo(
    mut config: Config,
    dir: PathBuf,
    employers: u64,
    worksites: u64,
    explicit_database: bool,
) -> anyhow::Result<ExitCode> {
    if employers == 0 {
        anyhow::bail!("--employers must be at least 1");
    }
    if !explicit_database {
        let db = crate::demo::reset_demo_database(&dir)?;
        config.database_url = format!("sqlite://{}", db.display());
        config.key_file = None;
        config.encryption_key = None;
    }
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let period = previous_month(algiers_today());
    let started = std::time::Instant::now();
    let summary = crate::demo::seed(&store, employers, worksites, &period, 2026, |_| {}).await?;
    let seeded_in = started.elapsed();
    let calendar = store.calendar().await?;
    let policy = mandates::ChannelPolicy::default();
    let due = config
        .due_date_schedule
        .next_collection_date(algiers_today(), &calendar, &policy)
        .context("the due-date schedule has no date within a year")?;
    let plan = store
        .plan_collections(
            &crate::store::Actor::new("demo"),
            due.collection_date,
            algiers_today(),
        )
        .await?;
    let planned_in = started.elapsed() - seeded_in;
    let planned = store.collections_on(due.collection_date).await?;
    let by_channel = |channel: &str| planned.iter().filter(|c| c.channel == channel).count();
    store.close().await;
    let url = crate::store::redact_url(&config.database_url);
    println!("tahsil demo: a demo fund, seeded in {seeded_in:.1?} and planned in {planned_in:.1?}");
    println!("  database:      {url}");
    println!(
        "  employers:     {} with {} worksites",
        summary.employers, summary.worksites
    );
    println!(
        "  mandates:      {} bank (RIB), {} postal (CCP), all signed",
        summary.bank_mandates, summary.postal_mandates
    );
    println!(
        "  declarations:  {} for {}, total {} DZD",
        summary.declarations, summary.period, summary.declared_total
    );
    println!(
        "  planned:       {} collections for {} (due {}), total {} DZD: {} bank, {} postal; {} advance notices recorded",
        plan.planned,
        due.collection_date,
        due.nominal,
        plan.amount,
        by_channel("bank"),
        by_channel("postal"),
        plan.planned
    );
    println!("browse it:");
    println!("  cargo run --release -- --database-url {url} serve");
    println!("  curl http://127.0.0.1:8080/api/v1/employers");
    println!(
        "not built yet: bank files, the simulated bank and reconciliation (see the open issues)"
    );
    Ok(ExitCode::SUCCESS)
}

/// Today in Africa/Algiers (UTC+1 all year: no daylight saving time).
fn algiers_today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(1)).date_naive()
}

/// `2026-10` for any day of November 2026: the period a due date in this month collects.
fn previous_month(today: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let (year, month) = if today.month() == 1 {
        (today.year() - 1, 12)
    } else {
        (today.year(), today.month() - 1)
    };
    format!("{year}-{month:02}")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Prints what an identifier is. The number shown is the one the user typed, normalised;
/// the bank is named so a person can see a wrong (but existing) bank code, which no key
/// can catch.
fn accounts_check(input: &str, banks: &BankTable) -> ExitCode {
    let account = match AccountId::parse(input) {
        Ok(account) => account,
        Err(err) => {
            println!("invalid: {err}");
            return ExitCode::from(1);
        }
    };
    let bank = match banks.check(&account) {
        Ok(entry) => entry,
        Err(err) => {
            println!("invalid: {err}");
            return ExitCode::from(1);
        }
    };
    let kind = match account.kind() {
        AccountKind::Bank => "bank account (RIB)",
        AccountKind::Postal => "postal account (RIP)",
    };
    println!("valid {kind}");
    println!(
        "  bank:        {} {}",
        account.bank_code(),
        bank.display_name()
    );
    println!("  normalised:  {}", account.digits());
    println!("  grouped:     {}", account.grouped());
    if let AccountId::Postal(rip) = &account {
        println!("  CCP:         {}", rip.to_ccp());
    }
    ExitCode::SUCCESS
}
