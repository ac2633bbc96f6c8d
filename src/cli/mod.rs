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

pub mod demo;
mod files;

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
    /// Build the collection files for a collection date now (plans it first when the
    /// advance notice still allows). Without --date: the next date with planned debits.
    Run {
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<chrono::NaiveDate>,
    },
    /// Import bank reports (pain.002, camt.052/053/054, return layouts; detected).
    Import {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The day the reports are applied on (default: today, Africa/Algiers).
        #[arg(long, value_name = "YYYY-MM-DD")]
        today: Option<chrono::NaiveDate>,
    },
    /// The simulated bank: answers every debit file in OUTBOX with reports in INBOX.
    BankSim {
        #[arg(long, value_name = "DIR")]
        outbox: PathBuf,
        #[arg(long, value_name = "DIR")]
        inbox: PathBuf,
        /// Debits refused before settlement, per thousand.
        #[arg(long, default_value_t = 50, value_name = "N")]
        reject_per_mille: u64,
        /// Debits returned after settlement, per thousand.
        #[arg(long, default_value_t = 20, value_name = "N")]
        return_per_mille: u64,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Keep answering new files every few seconds until interrupted.
        #[arg(long)]
        watch: bool,
    },
    /// Exceptions from reconciliation: list them, or resolve one.
    Exceptions {
        /// Resolve this exception…
        #[arg(long, value_name = "ID", requires = "note")]
        resolve: Option<i64>,
        /// …with this note (kept in the audit trail).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// The business-day calendar: list it, or add, confirm, shift or remove a holiday.
    /// A change moves the planned debits that would fall on a closed day, and says which.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Notices to employers: counts by kind and status; failures for staff; send now.
    Notices {
        /// List the notices that failed for good and those waiting for a retry, with
        /// their error (ids only, no personal data).
        #[arg(long)]
        failed: bool,
        /// Send every pending notice now (TAHSIL_SMTP_URL, else the mail folder), then exit.
        #[arg(long)]
        send: bool,
        /// Put a failed notice back in the queue (after fixing its cause).
        #[arg(long, value_name = "ID")]
        requeue: Option<i64>,
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
    /// People who sign in to the portal and console.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// API tokens: bank clients' (per institution) and employer users' personal ones.
    Tokens {
        #[command(subcommand)]
        command: TokensCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// Create a user; the password is read from standard input (one line).
    Add {
        /// employer, finance or admin.
        #[arg(long, value_name = "ROLE")]
        role: String,
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// Name shown on pages (default: the part of the email before @).
        #[arg(long, value_name = "NAME", default_value = "")]
        name: String,
        /// For an employer user: the affiliation number of an employer it acts for
        /// (repeat for an accountant acting for several).
        #[arg(long = "employer", value_name = "AFFILIATION")]
        employers: Vec<String>,
    },
    /// List users (id, role, email, employers).
    List,
}

#[derive(Debug, Subcommand)]
enum TokensCommand {
    /// Create a token and print it (shown only this once): for an institution's client
    /// (`--institution`), or an employer user's personal API token (`--user`).
    Add {
        /// bank or poste.
        #[arg(
            long,
            value_name = "INSTITUTION",
            required_unless_present = "user",
            conflicts_with = "user"
        )]
        institution: Option<String>,
        /// The email of an employer user: its token reaches that user's employers only.
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
        #[arg(long, value_name = "TEXT", default_value = "")]
        label: String,
    },
    /// List tokens (never the tokens themselves); personal ones are marked `user:ID`.
    List,
    /// Revoke a token: it stops working at once.
    Revoke {
        #[arg(value_name = "ID")]
        id: i64,
        /// ID is an employer user's personal token (`user:…` in the list).
        #[arg(long)]
        user: bool,
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
enum CalendarCommand {
    /// The holidays of a year (default: this year and next).
    List {
        #[arg(long)]
        year: Option<i32>,
    },
    /// Add a holiday; lunar ones announced ahead may be --unconfirmed.
    Add {
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: chrono::NaiveDate,
        #[arg(long)]
        name: String,
        #[arg(long)]
        lunar: bool,
        #[arg(long, requires = "lunar")]
        unconfirmed: bool,
    },
    /// Confirm a lunar holiday on its announced date.
    Confirm {
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: chrono::NaiveDate,
        #[arg(long)]
        name: String,
    },
    /// Move a holiday to another date (confirming it).
    Shift {
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: chrono::NaiveDate,
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: chrono::NaiveDate,
    },
    /// Withdraw a holiday.
    Remove {
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: chrono::NaiveDate,
        #[arg(long)]
        name: String,
    },
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
        } => files::inspect_command(&file, json, &app::institution_layouts(&config)?),
        Command::Files {
            command: FilesCommand::Validate { file },
        } => files::validate_command(
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
        Command::Run { date } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(run_command(config, date))
        }
        Command::Import { files, today } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(import_command(config, files, today))
        }
        Command::BankSim {
            outbox,
            inbox,
            reject_per_mille,
            return_per_mille,
            seed,
            watch,
        } => {
            telemetry::init(config.log_format, &config.log_filter);
            if reject_per_mille + return_per_mille > 1000 {
                anyhow::bail!("--reject-per-mille and --return-per-mille add up to more than 1000");
            }
            let sim = crate::cycle::banksim::BankSim {
                reject_per_mille,
                return_per_mille,
                seed,
                today: algiers_today(),
                layouts: crate::cycle::CycleSettings::from_config(&config)?.layouts,
            };
            loop {
                for path in sim.answer(&outbox, &inbox)? {
                    println!("wrote {}", path.display());
                }
                if !watch {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(calendar_command(config, command))
        }
        Command::Exceptions { resolve, note } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(exceptions_command(config, resolve, note))
        }
        Command::Users { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(users_command(config, command))
        }
        Command::Tokens { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(tokens_command(config, command))
        }
        Command::Notices {
            failed,
            send,
            requeue,
        } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(notices_command(config, failed, send, requeue))
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
    let settings = crate::cycle::CycleSettings::from_config(&config)?;
    let mailer = crate::notices::mailer_from_config(&config)?;
    let notice_settings = crate::notices::settings_from_config(&config, &mailer);
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let web_options = web::WebOptions {
        cycle: Some(Arc::new(settings.clone())),
        secure_cookies: config.cookie_secure,
    };
    let (stop_scheduler, stopped) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(crate::cycle::scheduler::run_loop(
        store.clone(),
        settings,
        config.due_date_schedule.clone(),
        instance_name(),
        std::time::Duration::from_secs(30),
        stopped.clone(),
    ));
    let notices = tokio::spawn(crate::notices::run_loop(
        store.clone(),
        mailer,
        notice_settings,
        format!("{}:notices", instance_name()),
        stopped,
    ));
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
    web::serve_with(listener, state, web_options, shutdown_signal()).await?;
    let _ = stop_scheduler.send(true);
    let _ = scheduler.await;
    let _ = notices.await;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Reads a password from standard input: one line, without its line ending.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        eprint!("password (at least 10 characters; typing is visible): ");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        anyhow::bail!(
            "no password on standard input: pipe it in, e.g. `printf '%s\\n' \"$PASSWORD\" | tahsil users add …`"
        );
    }
    Ok(password)
}

async fn users_command(config: Config, command: UsersCommand) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let actor = crate::store::Actor::new("cli");
    match command {
        UsersCommand::Add {
            role,
            email,
            name,
            employers,
        } => {
            let role = crate::store::Role::parse(&role).map_err(anyhow::Error::msg)?;
            let password = read_password()?;
            let user = store
                .create_user(
                    &actor,
                    crate::store::NewUser {
                        email,
                        display_name: name,
                        role,
                        password,
                        employers,
                    },
                )
                .await?;
            println!(
                "user {} created: {} ({}){}",
                user.id,
                user.email,
                user.role.as_str(),
                if user.employer_ids.is_empty() {
                    String::new()
                } else {
                    format!(", acting for {} employer(s)", user.employer_ids.len())
                }
            );
        }
        UsersCommand::List => {
            for user in store.users().await? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    user.id,
                    user.role.as_str(),
                    user.email,
                    user.employer_ids
                        .iter()
                        .map(|id| id.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                    if user.disabled { "\tdisabled" } else { "" }
                );
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn tokens_command(config: Config, command: TokensCommand) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let actor = crate::store::Actor::new("cli");
    match command {
        TokensCommand::Add {
            user: Some(email),
            label,
            ..
        } => {
            let Some(user) = store.user_by_email(&email).await? else {
                anyhow::bail!("no user with this email: create it with `tahsil users add` first");
            };
            let label = match label.trim() {
                "" => "cli",
                text => text,
            };
            let (record, token) = store.create_user_api_token(&actor, user.id, label).await?;
            eprintln!(
                "personal token {} for user {} ({}); it is shown only now, keep it safe:",
                record.id, user.id, record.label
            );
            println!("{token}");
        }
        TokensCommand::Add {
            institution, label, ..
        } => {
            let institution = institution.unwrap_or_default();
            let (record, token) = store
                .create_api_token(&actor, institution.trim(), &label)
                .await?;
            eprintln!(
                "token {} for {} ({}); it is shown only now, keep it safe:",
                record.id, record.institution, record.label
            );
            println!("{token}");
        }
        TokensCommand::List => {
            for t in store.api_tokens().await? {
                println!(
                    "{}\t{}\t{}\tcreated {}\tlast used {}{}",
                    t.id,
                    t.institution,
                    t.label,
                    t.created_at,
                    t.last_used_at.as_deref().unwrap_or("never"),
                    t.revoked_at
                        .map(|at| format!("\trevoked {at}"))
                        .unwrap_or_default()
                );
            }
            for t in store.all_user_api_tokens().await? {
                println!(
                    "{}\tuser:{}\t{}\tcreated {}\tlast used {}{}",
                    t.id,
                    t.user_id,
                    t.label,
                    t.created_at,
                    t.last_used_at.as_deref().unwrap_or("never"),
                    t.revoked_at
                        .map(|at| format!("\trevoked {at}"))
                        .unwrap_or_default()
                );
            }
        }
        TokensCommand::Revoke { id, user: true } => {
            store.revoke_user_api_token(&actor, None, id).await?;
            println!("personal token {id} revoked");
        }
        TokensCommand::Revoke { id, user: false } => {
            store.revoke_api_token(&actor, id).await?;
            println!("token {id} revoked");
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn run_command(config: Config, date: Option<chrono::NaiveDate>) -> anyhow::Result<ExitCode> {
    let settings = crate::cycle::CycleSettings::from_config(&config)?;
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let today = algiers_today();
    let actor = crate::store::Actor::new("cli");
    let started = std::time::Instant::now();
    let date = match date {
        Some(date) => date,
        None => match store
            .planned_dates()
            .await?
            .into_iter()
            .find(|d| *d >= today)
        {
            Some(date) => date,
            None => {
                println!(
                    "nothing to run: no collection is planned from {today} on (use --date to plan and run a date)"
                );
                store.close().await;
                return Ok(ExitCode::SUCCESS);
            }
        },
    };
    let progress = crate::progress::Progress::new();
    let display = crate::progress::Display::start(&progress);
    if settings.policy.notice_respected(today, date) {
        progress.stage(format!("planning {date}"), 0);
        let plan = store.plan_collections(&actor, date, today).await?;
        if plan.planned > 0 {
            display.clear_line();
            println!(
                "planned {} collections for {date} ({} DZD) in {:.2?}, advance notices recorded",
                plan.planned,
                plan.amount,
                started.elapsed()
            );
        }
    } else {
        println!(
            "{date} is less than {} days away: no new collection can be planned for it (advance notice); running what is planned",
            settings.policy.notice_days
        );
    }
    let summary = crate::cycle::run::run_date_with_progress(
        &store,
        &settings,
        &actor,
        date,
        &instance_name(),
        &progress,
    )
    .await?;
    drop(display);
    store.close().await;
    print_run(&summary);
    println!("done in {:.2?}", started.elapsed());
    Ok(ExitCode::SUCCESS)
}

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
            summary.collection_date
        );
    }
    for file in &summary.files {
        println!(
            "{}  {} debits  {} DZD  {}  sha256 {}",
            file.path.display(),
            file.transactions,
            file.control_sum,
            file.format,
            file.sha256
        );
    }
}

/// This process, for leases and run locks: host and process id.
fn instance_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".to_owned());
    format!("{host}:{}", std::process::id())
}

async fn import_command(
    config: Config,
    files: Vec<PathBuf>,
    today: Option<chrono::NaiveDate>,
) -> anyhow::Result<ExitCode> {
    let settings = crate::cycle::CycleSettings::from_config(&config)?;
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let actor = crate::store::Actor::new("cli");
    let today = today.unwrap_or_else(algiers_today);
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

async fn exceptions_command(
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
            println!(
                "#{} {} (report {:?}, collection {:?}): {}",
                e.id, e.kind, e.report_id, e.collection_id, e.detail
            );
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn calendar_command(config: Config, command: CalendarCommand) -> anyhow::Result<ExitCode> {
    use crate::store::CalendarChange;
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let change = match command {
        CalendarCommand::List { year } => {
            use chrono::Datelike;
            let this_year = crate::cycle::scheduler::algiers_today().year();
            let years = year.map_or(this_year..=this_year + 1, |y| y..=y);
            let calendar = store.calendar().await?;
            for holiday in calendar
                .holidays()
                .iter()
                .filter(|h| years.contains(&h.date.year()))
            {
                let kind = match holiday.kind {
                    mandates::HolidayKind::Fixed => "fixed",
                    mandates::HolidayKind::Lunar { confirmed: true } => "lunar, confirmed",
                    mandates::HolidayKind::Lunar { confirmed: false } => "lunar, NOT confirmed",
                };
                println!("{}  {:<40} {kind}", holiday.date, holiday.name);
            }
            store.close().await;
            return Ok(ExitCode::SUCCESS);
        }
        CalendarCommand::Add {
            date,
            name,
            lunar,
            unconfirmed,
        } => CalendarChange::Add {
            date,
            name,
            lunar,
            confirmed: !unconfirmed,
        },
        CalendarCommand::Confirm { date, name } => CalendarChange::Confirm { date, name },
        CalendarCommand::Shift { name, from, to } => CalendarChange::Shift { name, from, to },
        CalendarCommand::Remove { date, name } => CalendarChange::Remove { date, name },
    };
    let outcome = store
        .change_calendar(&crate::store::Actor::new("cli"), &change)
        .await?;
    println!("calendar changed");
    if outcome.moved.is_empty() {
        println!("no planned debit falls on a closed day: nothing moved");
    }
    for run in &outcome.moved {
        println!(
            "moved {} planned debits from {} to {} (new advance notices recorded){}",
            run.moved,
            run.from,
            run.to,
            if run.released > 0 {
                format!(
                    "; {} employers already debited on {}: their lines go to the next planning",
                    run.released, run.to
                )
            } else {
                String::new()
            }
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn notices_command(
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
            "sent {} notices to {} in {elapsed:.2?} ({} per second); {} to retry later, {} failed for good",
            report.sent,
            mailer.transport().describe(),
            per_second(report.sent, elapsed),
            report.postponed,
            report.failed
        );
    }
    let counts = store.notice_counts().await?;
    if counts.is_empty() {
        println!("no notice recorded");
    }
    for (kind, status, n) in &counts {
        println!("{kind:<22} {status:<8} {n:>8}");
    }
    if failed {
        let failures = store.notice_failures(false, 1000).await?;
        if failures.is_empty() {
            println!("no notice failed or waiting for a retry");
        }
        for f in failures {
            println!(
                "#{} employer {} {} {}: {} attempts{}, {}",
                f.id,
                f.employer_id,
                f.kind,
                f.status,
                f.attempts,
                f.next_attempt_at
                    .map(|at| format!(", next at {at}"))
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
    let summary = demo::seed(&store, employers, worksites, &period, seed, |done| {
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
    if config.mail_dir.is_none() {
        config.mail_dir = Some(dir.join("mail"));
    }
    let mailer = crate::notices::mailer_from_config(&config)?;
    if !explicit_database {
        let db = demo::reset_demo_database(&dir)?;
        config.database_url = format!("sqlite://{}", db.display());
        config.key_file = None;
        config.encryption_key = None;
    }
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let period = previous_month(algiers_today());
    let started = std::time::Instant::now();
    let summary = demo::seed(&store, employers, worksites, &period, 2026, |_| {}).await?;
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
    config.exchange_dir = dir.join("exchange");
    let settings = crate::cycle::CycleSettings::from_config(&config)?;
    let actor = crate::store::Actor::new("demo");
    let date = due.collection_date;
    let run =
        crate::cycle::run::run_date(&store, &settings, &actor, date, &instance_name()).await?;
    // The simulated bank answers on the collection date; its reports are imported then.
    let sim = crate::cycle::banksim::BankSim {
        reject_per_mille: 50,
        return_per_mille: 20,
        seed: 2026,
        today: date,
        layouts: settings.layouts,
    };
    let mut reports = 0;
    for institution in &settings.institutions {
        reports += sim
            .answer(
                &settings.folder(institution.name, crate::cycle::exchange::Folder::Outbox),
                &settings.folder(institution.name, crate::cycle::exchange::Folder::Inbox),
            )?
            .len();
    }
    let imports = crate::cycle::import::import_inboxes(&store, &settings, &actor, date).await?;
    let cycle_in = started.elapsed() - seeded_in - planned_in;
    // Every notice of the cycle is delivered before the demo ends (a mail server that is
    // down gets a minute; what it did not take stays queued for `serve`).
    let notice_settings = crate::notices::settings_from_config(&config, &mailer);
    crate::notices::deliver_all(
        &store,
        &mailer,
        &notice_settings,
        &format!("{}:notices", instance_name()),
        std::time::Duration::from_secs(60),
    )
    .await?;
    let mailed_in = started.elapsed() - seeded_in - planned_in - cycle_in;
    let counts = store.collection_counts(Some(date)).await?;
    let reasons = store.failure_reasons(date).await?;
    let notices = store.notice_counts().await?;
    let exceptions = store.exceptions(true).await?;
    let logins = demo::create_demo_users(&store).await?;
    let retries: i64 = store
        .collection_counts(None)
        .await?
        .iter()
        .filter(|(_, status, _, _)| status == "planned")
        .map(|(_, _, n, _)| n)
        .sum();
    store.close().await;
    let url = crate::store::redact_url(&config.database_url);
    println!(
        "tahsil demo: one collection cycle of a demo fund (seeded in {seeded_in:.1?}, planned in {planned_in:.1?}, filed, answered and reconciled in {cycle_in:.1?})"
    );
    println!("  database:      {url}");
    println!(
        "  employers:     {} with {} worksites; mandates: {} bank (RIB), {} postal (CCP), all signed",
        summary.employers, summary.worksites, summary.bank_mandates, summary.postal_mandates
    );
    println!(
        "  declarations:  {} for {}, total {} DZD",
        summary.declarations, summary.period, summary.declared_total
    );
    println!(
        "  collection:    {} debits on {} (due {}), {} DZD: one per employer for all its worksites",
        plan.planned, date, due.nominal, plan.amount
    );
    for channel in ["bank", "postal"] {
        println!(
            "    {channel:<7} {} debits, {} DZD",
            run.transactions(channel),
            run.amount(channel)
        );
    }
    println!("  files written:");
    for file in &run.files {
        println!(
            "    {}  ({}, {} debits, sha256 {}…)",
            file.path.display(),
            file.format,
            file.transactions,
            &file.sha256[..12]
        );
    }
    println!("  simulated bank: {reports} reports; imported:");
    for outcome in &imports {
        println!("    {}", outcome.line());
    }
    println!("  outcome on {date}:");
    for (channel, status, n, amount) in &counts {
        println!(
            "    {channel:<7} {status:<14} {n:>6}  {} DZD",
            mandates::Amount::from_centimes(*amount)
        );
    }
    for (status, category, n) in &reasons {
        println!("    {status} because {category}: {n}");
    }
    println!("  retries planned: {retries} debits re-presented later (insufficient funds)");
    println!("  exceptions for finance staff: {}", exceptions.len());
    let sent: i64 = notices
        .iter()
        .filter(|(_, status, _)| status == "sent")
        .map(|(_, _, n)| n)
        .sum();
    match mailer.transport() {
        crate::notices::Transport::Smtp { .. } => println!(
            "  notices:       {sent} sent through {} in {mailed_in:.1?}, by kind:",
            mailer.transport().describe()
        ),
        crate::notices::Transport::Folder(mail_dir) => println!(
            "  notices:       {sent} written as .eml files into {} in {mailed_in:.1?}, by kind:",
            mail_dir.display()
        ),
    }
    for (kind, status, n) in &notices {
        println!("    {kind:<18} {status:<8} {n:>6}");
    }
    let undelivered: i64 = notices
        .iter()
        .filter(|(_, status, _)| status != "sent")
        .map(|(_, _, n)| n)
        .sum();
    if undelivered > 0 {
        println!(
            "    ({undelivered} not delivered: `tahsil notices --failed` lists them; `tahsil serve` retries the pending ones)"
        );
    }
    println!("browse it:");
    println!("  cargo run --release -- --database-url {url} serve");
    println!(
        "  (with TAHSIL_EXCHANGE_DIR={} for file downloads), then http://127.0.0.1:8080/login — password {} for every demo login:",
        dir.join("exchange").display(),
        demo::DEMO_PASSWORD
    );
    for (email, role, sees) in &logins {
        println!("    {email:<28} {role:<9} {sees}");
    }
    println!("  curl http://127.0.0.1:8080/api/v1/employers");
    println!("  cargo run --release -- --database-url {url} exceptions");
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
