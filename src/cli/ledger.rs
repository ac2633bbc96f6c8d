//! The employer's account on the command line: `tahsil ledger check` (every balance
//! recomputed from the source records; exit 1 naming the first differences), `tahsil
//! payments record` (a payment received by another channel, allocated at once) and `tahsil
//! statement` (entries, running balance, aging; `--csv` for a spreadsheet). The
//! computations are `crate::store`'s.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;
use mandates::{Amount, Lang};

use crate::app;
use crate::config::Config;
use crate::locale::Word;
use crate::store::{Actor, Balance, NewPayment, NewWriteOff, PaymentChannel, Statement};

#[derive(Debug, Subcommand)]
pub(super) enum LedgerCommand {
    /// Recompute every employer's balance from declarations, debits and payments and
    /// compare it with its ledger; exit 1 naming the first differences.
    Check,
    /// Write off owed declaration lines of an employer (uncollectable debt): they are no
    /// longer owed and never collected; a line in a bank file is refused.
    WriteOff {
        /// The employer's affiliation number.
        #[arg(long, value_name = "AFFILIATION")]
        employer: String,
        /// A declaration line to write off (repeat for several); none: every owed line
        /// not in a bank file.
        #[arg(long = "line", value_name = "ID")]
        lines: Vec<i64>,
        /// Why the debt cannot be collected.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// The staff member who decided it.
        #[arg(long, value_name = "NAME")]
        by: String,
    },
    /// Set the amount above which a write-off waits for a second member of staff (who
    /// approves it on the employer's write-off page); the employer's write-offs of the
    /// last 30 days count together.
    WriteOffFourEyes {
        /// The amount in dinars with a decimal point (100000.00); 0: every write-off.
        #[arg(long, value_name = "AMOUNT", value_parser = parse_amount)]
        amount: Amount,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum PaymentsCommand {
    /// Record a payment received by another channel; it pays the oldest owed lines first.
    Record {
        /// The employer's affiliation number.
        #[arg(long, value_name = "AFFILIATION")]
        employer: String,
        /// The amount received, in dinars with a decimal point (1234.50).
        #[arg(long, value_name = "AMOUNT", value_parser = parse_amount)]
        amount: Amount,
        /// The day the fund received it.
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: NaiveDate,
        /// transfer, cheque, counter or other.
        #[arg(long, value_name = "CHANNEL", value_parser = parse_channel)]
        channel: PaymentChannel,
        /// The transfer, cheque or receipt number (unique per employer and channel).
        #[arg(long, value_name = "REF")]
        reference: String,
        /// A note for staff (optional).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
}

pub(super) fn parse_amount(text: &str) -> Result<Amount, String> {
    Amount::parse(text).map_err(|err| {
        format!("{err}: write the amount in dinars with a decimal point, like 1234.50")
    })
}

fn parse_channel(text: &str) -> Result<PaymentChannel, String> {
    text.parse()
        .map_err(|err: mandates::UnknownCode| err.to_string())
}

pub(super) async fn ledger(config: Config, command: LedgerCommand) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    if let LedgerCommand::WriteOff {
        employer,
        lines,
        reason,
        by,
    } = command
    {
        return write_off(&store, employer, lines, reason, by).await;
    }
    if let LedgerCommand::WriteOffFourEyes { amount } = command {
        let set = store
            .set_write_off_four_eyes(&Actor::new("cli"), amount)
            .await;
        store.close().await;
        set?;
        println!(
            "write-offs above {} now wait for a second member of staff",
            super::money(amount)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let checked = store.check_ledger().await;
    store.close().await;
    let checked = checked?;
    if checked.differences.is_empty() {
        println!(
            "ledger balanced: {} entries of {} employers agree with the declarations, debits and payments",
            checked.entries, checked.employers
        );
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "ledger differs from the source records for {}{} employer(s); the first:",
        checked.differences.len(),
        if checked.differences.len() as i64 >= crate::store::LEDGER_CHECK_LIMIT {
            " or more"
        } else {
            ""
        }
    );
    for difference in checked.differences.iter().take(10) {
        eprintln!(
            "  employer {} (id {}): ledger {}, sources {}",
            difference.affiliation_number,
            difference.employer_id,
            describe(&difference.ledger),
            describe(&difference.sources)
        );
    }
    Ok(ExitCode::FAILURE)
}

/// A balance in one line: the total and its parts.
fn describe(balance: &Balance) -> String {
    format!(
        "{} (paid leave {}, bad weather employer {}, bad weather employee {}, unallocated {})",
        super::money(balance.total),
        balance.paid_leave,
        balance.bad_weather_employer,
        balance.bad_weather_employee,
        balance.unallocated
    )
}

async fn write_off(
    store: &crate::store::Store,
    employer: String,
    lines: Vec<i64>,
    reason: String,
    by: String,
) -> anyhow::Result<ExitCode> {
    let done = async {
        let employer_id = store.employer_id_by_affiliation(&employer).await?;
        store
            .write_off_lines(
                &Actor::new(format!("cli:{}", by.trim())),
                NewWriteOff {
                    employer_id,
                    lines,
                    reason,
                    by,
                },
            )
            .await
    }
    .await;
    store.close().await;
    let done = done?;
    if let Some(request) = done.pending_request {
        println!(
            "write-off of {} for employer {employer} is above the four-eyes amount: nothing written off yet; \
             request {request} waits for a second member of staff (console, the employer's write-offs)",
            super::money(Amount::from_centimes(done.amount_centimes))
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} declared line(s) of employer {employer} written off for {}",
        done.written_off.len(),
        super::money(Amount::from_centimes(done.amount_centimes))
    );
    for id in &done.already {
        println!("line {id} was already written off: nothing written again");
    }
    for id in &done.debits_reduced {
        println!(
            "planned debit {id} reduced by the lines written off; the employer gets a revised advance notice"
        );
    }
    for id in &done.debits_cancelled {
        println!("planned debit {id} cancelled: every line it held is written off");
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn payments(config: Config, command: PaymentsCommand) -> anyhow::Result<ExitCode> {
    let PaymentsCommand::Record {
        employer,
        amount,
        date,
        channel,
        reference,
        note,
    } = command;
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let recorded = async {
        let employer_id = store.employer_id_by_affiliation(&employer).await?;
        store
            .record_payment(
                &Actor::new("cli"),
                NewPayment {
                    employer_id,
                    amount,
                    received_on: date,
                    channel,
                    reference,
                    note,
                },
            )
            .await
    }
    .await;
    store.close().await;
    let outcome = recorded?;
    println!(
        "payment #{} recorded for employer {employer}: {} by {} on {}",
        outcome.payment.id,
        super::money(outcome.payment.amount),
        channel.word(Lang::Fr).to_lowercase(),
        super::day(&outcome.payment.received_on)
    );
    println!(
        "it pays {} declared line(s) for {}",
        outcome.lines_paid,
        super::money(outcome.allocated)
    );
    for id in &outcome.debits_reduced {
        println!(
            "planned debit {id} reduced by the lines paid; the employer gets a revised advance notice"
        );
    }
    for id in &outcome.debits_cancelled {
        println!("planned debit {id} cancelled: every line it held is paid");
    }
    if outcome.unallocated > Amount::ZERO {
        println!(
            "{} not allocated: kept as the employer's credit",
            super::money(outcome.unallocated)
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn statement(
    config: Config,
    employer: String,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    csv: bool,
) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let today = store.clock().today();
    let result = async {
        let employer_id = store.employer_id_by_affiliation(&employer).await?;
        store.statement_between(employer_id, from, to, today).await
    }
    .await;
    store.close().await;
    let statement = result?;
    let text = if csv {
        crate::locale::statement::statement_csv(&statement)
    } else {
        statement_text(&employer, &statement, today)
    };
    super::write_out(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn statement_text(employer: &str, statement: &Statement, today: NaiveDate) -> String {
    let mut out = format!(
        "statement of employer {employer} on {} (positive: owed to the fund; negative: in credit)\n",
        super::day(today)
    );
    out.push_str(&format!(
        "{:<10}  {:<36}  {:>16}  {:>16}\n",
        "date", "entry", "amount DA", "balance DA"
    ));
    out.push_str(&format!(
        "{:<10}  {:<36}  {:>16}  {:>16}\n",
        statement
            .from
            .as_deref()
            .map(super::day)
            .unwrap_or_default(),
        "opening balance",
        "",
        statement.opening.to_string()
    ));
    for line in &statement.lines {
        let e = &line.entry;
        let mut label = e.kind.word(Lang::Fr).to_owned();
        let explained = e
            .surcharge
            .as_ref()
            .map(|f| crate::locale::statement::surcharge_explanation(f, Lang::Fr));
        if let Some(period) = &e.period {
            label.push_str(&format!(" {period}"));
        }
        if e.memo != Amount::ZERO {
            label.push_str(&format!(" ({})", e.memo));
        }
        out.push_str(&format!(
            "{:<10}  {:<36}  {:>16}  {:>16}\n",
            super::day(&e.entry_date),
            label,
            e.amount.to_string(),
            line.balance.to_string()
        ));
        if let Some(explained) = explained {
            out.push_str(&format!("{:<10}  {explained}\n", ""));
        }
    }
    out.push_str(&format!(
        "closing balance: {}\n",
        super::money(statement.closing)
    ));
    if statement.unallocated != Amount::ZERO {
        out.push_str(&format!(
            "received and not allocated to a line: {}\n",
            super::money(statement.unallocated)
        ));
    }
    let a = &statement.aging;
    out.push_str(&format!(
        "owed by age: 0-30 days {} / 31-90 days {} / 91-180 days {} / over 180 days {}\n",
        a.up_to_30, a.from_31_to_90, a.from_91_to_180, a.over_180
    ));
    out
}
