//! The command line (a contract: see product.md). Errors end as one readable line on
//! standard error and a non-zero exit, never a backtrace.
//!
//! This file holds the clap definitions of every command, the dispatch, and what the
//! commands share (the async runtime, the one-line error, this process's name); each
//! command group has its own file, with its subcommands beside their handlers. Only this
//! module prints for people: the rest of the crate returns values and logs with `tracing`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Config, LogFormat};
use crate::{app, telemetry};

mod attestation;
mod audit;
mod calendar;
mod cycle;
mod debits;
pub mod demo;
mod files;
mod jobs;
mod ledger;
mod notices;
mod people;
mod plans;
mod receipts;
mod receivables;
mod refunds;
mod seed;
pub mod serve;
mod surcharges;

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
    /// Run the fund: the employer portal (/portal), the finance console (/console), the
    /// JSON API (/api/v1) and the banks' API, the scheduler (plans, files, imports the
    /// inboxes, settles) and the notice worker, until interrupted. Migrates first.
    ///
    /// Settings come from tahsil.toml and TAHSIL_* variables (see the README's
    /// Configuration): the admin and metrics tokens, the portal's address for links in
    /// e-mails, the exchange folders, SMTP or a mail folder. Several instances may serve
    /// one PostgreSQL database.
    #[command(
        after_help = "Example: tahsil --database-url sqlite://tahsil.db serve --listen 127.0.0.1:8080"
    )]
    Serve {
        /// Address to listen on (default 127.0.0.1:8080, or TAHSIL_LISTEN).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Trials and training: start believing it is INSTANT (RFC 3339 with its offset,
        /// like 2026-12-10T08:00:00+01:00) and run on from there (or TAHSIL_CLOCK).
        #[arg(long, value_name = "INSTANT", value_parser = parse_clock)]
        clock: Option<chrono::DateTime<chrono::FixedOffset>>,
        /// Development only: with no admin token, open the admin API to requests from this
        /// machine (loopback, through no proxy). Refused unless listening on loopback; logged
        /// as a warning (or TAHSIL_INSECURE_OPEN_ADMIN_API_ON_LOOPBACK).
        #[arg(long)]
        insecure_open_admin_api_on_loopback: bool,
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
        /// Credit transfers (refund files, pain.001) rejected, per thousand.
        #[arg(long, default_value_t = 0, value_name = "N")]
        transfer_reject_per_mille: u64,
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
    /// Staff actions on one debit, with a reason (audited): hold, release, cancel, or
    /// represent a rejected or returned one.
    Debits {
        #[command(subcommand)]
        command: debits::DebitsCommand,
    },
    /// The business-day calendar: list it, or add, confirm, shift or remove a holiday.
    /// A change moves the planned debits that would fall on a closed day, and says which.
    Calendar {
        #[command(subcommand)]
        command: calendar::CalendarCommand,
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
    /// The scheduler's jobs: counts by kind and state; the failed ones; put one back.
    Jobs {
        /// List the jobs that failed for good, with their last error (no personal data).
        #[arg(long)]
        failed: bool,
        /// Put a failed job back in the queue (after fixing its cause), with its attempts
        /// counted afresh.
        #[arg(long, value_name = "ID")]
        retry: Option<i64>,
    },
    /// The employers' ledger: check every balance against the source records.
    Ledger {
        #[command(subcommand)]
        command: ledger::LedgerCommand,
    },
    /// Payments received by other channels (transfer, cheque, counter).
    Payments {
        #[command(subcommand)]
        command: ledger::PaymentsCommand,
    },
    /// Refunds of employers' credit: list, request, approve or refuse (staff), and send
    /// the approved ones as refund files (pain.001) to the institutions' outboxes.
    Refunds {
        #[command(subcommand)]
        command: refunds::RefundsCommand,
    },
    /// Surcharges: dated rules, the fund's policy, the daily computation, waivers, amnesties.
    Surcharges {
        #[command(subcommand)]
        command: surcharges::SurchargesCommand,
    },
    /// Payment plans (échéanciers): list them, or show one with its instalments.
    Plans {
        #[command(subcommand)]
        command: plans::PlansCommand,
    },
    /// An employer's account: entries, running balance, amounts owed by age.
    Statement {
        /// The employer's affiliation number.
        #[arg(long, value_name = "AFFILIATION")]
        employer: String,
        /// List entries from this day on (those before make the opening balance).
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<chrono::NaiveDate>,
        /// List entries up to this day (those after are left out).
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: Option<chrono::NaiveDate>,
        /// CSV for a spreadsheet (UTF-8 with BOM, `;`, decimal commas).
        #[arg(long)]
        csv: bool,
    },
    /// What the fund is owed: by days since due (0-30, 31-90, 91-180, over 180), in total
    /// and per scheme, then each employer owing.
    Receivables {
        /// CSV for a spreadsheet (UTF-8 with BOM, `;`, decimal commas): one line per
        /// employer owing, then the total.
        #[arg(long)]
        csv: bool,
    },
    /// The accounting journal: one CSV line per ledger entry dated in the range.
    Journal {
        /// The first day (included).
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: chrono::NaiveDate,
        /// The last day (included).
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: chrono::NaiveDate,
        /// Totals per day and kind of entry instead of one line per entry.
        #[arg(long)]
        totals: bool,
        /// Write to this file (readable by its owner alone) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// The audit trail's hash chain: check it, or print its head.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// Certificates of being up to date: issue one as a PDF in Arabic and French.
    Attestation {
        #[command(subcommand)]
        command: attestation::AttestationCommand,
    },
    /// Receipts of settled debits: as a PDF in Arabic and French.
    Receipts {
        #[command(subcommand)]
        command: receipts::ReceiptsCommand,
    },
    /// Bank files: inspect or validate.
    Files {
        #[command(subcommand)]
        command: files::FilesCommand,
    },
    /// Account identifiers.
    Accounts {
        #[command(subcommand)]
        command: files::AccountsCommand,
    },
    /// People who sign in to the portal and console.
    Users {
        #[command(subcommand)]
        command: people::UsersCommand,
    },
    /// Activation codes with which an employer enrols itself on the portal.
    Enrolment {
        #[command(subcommand)]
        command: people::EnrolmentCommand,
    },
    /// API tokens: bank clients' (per institution) and employer users' personal ones.
    Tokens {
        #[command(subcommand)]
        command: people::TokensCommand,
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

/// The configuration (file, environment, then global flags), then the command.
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
            command: files::AccountsCommand::Check { id },
        } => {
            let banks = app::bank_table(&config)?;
            Ok(files::accounts_check(&id.join(" "), &banks))
        }
        Command::Files {
            command: files::FilesCommand::Inspect { file, json },
        } => files::inspect_command(
            &file,
            json,
            &app::institution_layouts(&config)?,
            &app::institution_batched_layouts(&config)?,
        ),
        Command::Files {
            command: files::FilesCommand::Validate { file },
        } => files::validate_command(
            &file,
            config.xsd_dir.as_deref(),
            &app::institution_layouts(&config)?,
            &app::institution_batched_layouts(&config)?,
        ),
        Command::Migrate => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(serve::migrate(config))
        }
        Command::Demo {
            dir,
            employers,
            worksites,
        } => {
            telemetry::init(config.log_format, &config.log_filter);
            let explicit_database = cli_database_url_given;
            runtime()?.block_on(demo::demo(
                config,
                dir,
                employers,
                worksites,
                explicit_database,
            ))
        }
        Command::Seed {
            employers,
            worksites,
            period,
            seed,
        } => {
            telemetry::init(config.log_format, &config.log_filter);
            let period = period.unwrap_or_else(|| previous_month(app::clock(&config).today()));
            runtime()?.block_on(seed::seed(config, employers, worksites, period, seed))
        }
        Command::Run { date } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(cycle::run(config, date))
        }
        Command::Import { files, today } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(cycle::import(config, files, today))
        }
        Command::BankSim {
            outbox,
            inbox,
            reject_per_mille,
            return_per_mille,
            transfer_reject_per_mille,
            seed,
            watch,
        } => {
            telemetry::init(config.log_format, &config.log_filter);
            cycle::bank_sim(
                &config,
                &outbox,
                &inbox,
                cycle::SimRates {
                    reject_per_mille,
                    return_per_mille,
                    transfer_reject_per_mille,
                },
                seed,
                watch,
            )
        }
        Command::Calendar { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(calendar::calendar(config, command))
        }
        Command::Debits { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(debits::debits(config, command))
        }
        Command::Exceptions { resolve, note } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(cycle::exceptions(config, resolve, note))
        }
        Command::Users { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(people::users(config, command))
        }
        Command::Enrolment { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(people::enrolment(config, command))
        }
        Command::Tokens { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(people::tokens(config, command))
        }
        Command::Notices {
            failed,
            send,
            requeue,
        } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(notices::notices(config, failed, send, requeue))
        }
        Command::Jobs { failed, retry } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(jobs::jobs(config, failed, retry))
        }
        Command::Ledger { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(ledger::ledger(config, command))
        }
        Command::Payments { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(ledger::payments(config, command))
        }
        Command::Refunds { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(refunds::refunds(config, command))
        }
        Command::Surcharges { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(surcharges::surcharges(config, command))
        }
        Command::Plans { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(plans::plans(config, command))
        }
        Command::Statement {
            employer,
            from,
            to,
            csv,
        } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(ledger::statement(config, employer, from, to, csv))
        }
        Command::Receivables { csv } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(receivables::receivables(config, csv))
        }
        Command::Journal {
            from,
            to,
            totals,
            out,
        } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(receivables::journal(config, from, to, totals, out))
        }
        Command::Attestation { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(attestation::attestation(config, command))
        }
        Command::Receipts { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(receipts::receipts(config, command))
        }
        Command::Audit { command } => {
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(audit::audit(config, command))
        }
        Command::Serve {
            listen,
            clock,
            insecure_open_admin_api_on_loopback,
        } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if insecure_open_admin_api_on_loopback {
                config.insecure_open_admin_api_on_loopback = true;
            }
            if clock.is_some() {
                config.clock = clock;
            }
            telemetry::init(config.log_format, &config.log_filter);
            runtime()?.block_on(serve::serve(config))
        }
    }
}

/// The async runtime of the commands that reach the database.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// This process, for leases and run locks: host and process id.
fn instance_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "host".to_owned());
    format!("{host}:{}", std::process::id())
}

/// `--clock`: an instant with its offset, or a message showing how to write one.
fn parse_clock(text: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, String> {
    crate::clock::parse_instant(text).map_err(|err| format!("{err:#}"))
}

/// `2026-10` for any day of November 2026: the period a due date in this month collects.
fn previous_month(today: chrono::NaiveDate) -> String {
    mandates::Period::containing(mandates::PeriodKind::Monthly, today)
        .previous()
        .to_string()
}

/// Writes a command's whole answer to standard output. A reader that stops early (`| head`)
/// closes the pipe: that ends the answer quietly, as with other command-line tools, where
/// `print!` would panic.
pub(super) fn write_out(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}

/// A day as the command line writes it for people, `15/12/2026` (issue 20: one date style),
/// from a stored `2026-12-15` or a `NaiveDate`; `--date` and the other arguments still take
/// ISO days, and file names and `--json` output keep them.
pub(super) fn day(stored: impl std::fmt::Display) -> String {
    crate::locale::written_day_of(&stored.to_string())
}

/// A stored UTC timestamp as the command line writes it for people: the Algiers time it
/// was, `16/12/2026 10:30` ([`crate::locale::page_moment`]), never `2026-12-16T09:30:00Z`.
pub(super) fn moment(stored: &str) -> String {
    crate::locale::page_moment(stored)
}

/// An amount as the command line writes it: `1234.50 DA` ([`crate::locale::command_line_money`]).
pub(super) fn money(amount: mandates::Amount) -> String {
    crate::locale::command_line_money(amount)
}

/// Who did something, as the command line writes it: a member of staff acting here by name
/// (`cli:Amina` → `Amina`), anyone else in words ([`crate::locale::actor_word`]), never the
/// stored code (`user:4`).
pub(super) fn who(actor: &str) -> String {
    match actor.strip_prefix("cli:") {
        Some(name) if !name.trim().is_empty() => name.trim().to_owned(),
        _ => crate::locale::actor_word(actor, None, crate::locale::Lang::Fr),
    }
}

/// A duration as the command line writes it for people: seconds with two decimals,
/// `0.23 s`, `12.40 s` (issue 20: never Rust's debug form, `231.3ms`). Display only;
/// no float: whole centiseconds, truncated.
pub(super) fn seconds(elapsed: std::time::Duration) -> String {
    let centis = elapsed.as_millis() / 10;
    format!("{}.{:02} s", centis / 100, centis % 100)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn durations_are_written_in_seconds() {
        assert_eq!(super::seconds(Duration::from_micros(231_300)), "0.23 s");
        assert_eq!(super::seconds(Duration::from_millis(12_405)), "12.40 s");
        assert_eq!(super::seconds(Duration::ZERO), "0.00 s");
        assert_eq!(super::seconds(Duration::from_secs(125)), "125.00 s");
    }
}
