//! Refunds of employers' credit on the command line: `tahsil refunds list`, `request`,
//! `approve`, `refuse` (staff, named with `--by`: whoever asked does not approve) and
//! `send` (the cycle's refund step: the approved refunds as one pain.001 file per
//! institution in its outbox). The rules are `crate::store`'s and `crate::cycle::refund`'s.

use std::process::ExitCode;

use clap::Subcommand;
use mandates::Amount;

use crate::app;
use crate::config::Config;
use crate::store::{Actor, RefundRecord, RefundRequester, RefundStatus};

#[derive(Debug, Subcommand)]
pub(super) enum RefundsCommand {
    /// List refunds (newest first), optionally of one employer or in one state
    /// (requested, approved, refused, withdrawn, sent, lapsed, settled, rejected).
    List {
        #[arg(long, value_name = "AFFILIATION")]
        employer: Option<String>,
        #[arg(long, value_name = "STATE", value_parser = parse_status)]
        status: Option<RefundStatus>,
    },
    /// Ask, as staff, for a refund of an employer's credit (another member of staff
    /// approves it).
    Request {
        #[arg(long, value_name = "AFFILIATION")]
        employer: String,
        /// In dinars with a decimal point (default: the whole credit).
        #[arg(long, value_name = "AMOUNT", value_parser = super::ledger::parse_amount)]
        amount: Option<Amount>,
        /// Who asks (kept in the audit trail).
        #[arg(long, value_name = "NAME")]
        by: String,
    },
    /// Approve a requested refund: it goes in the next refund file.
    Approve {
        id: i64,
        /// Who approves (not the one who asked).
        #[arg(long, value_name = "NAME")]
        by: String,
    },
    /// Refuse a requested refund, with the reason the employer will see.
    Refuse {
        id: i64,
        #[arg(long, value_name = "NAME")]
        by: String,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Write the approved refunds, one pain.001 file per institution, to its outbox
    /// (recorded with their ledger entries); what was sent is never sent again.
    Send {
        /// The requested execution date (default: today, Africa/Algiers).
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<chrono::NaiveDate>,
    },
}

fn parse_status(text: &str) -> Result<RefundStatus, String> {
    text.parse()
        .map_err(|err: mandates::UnknownCode| err.to_string())
}

fn staff(by: &str) -> anyhow::Result<Actor> {
    let by = by.trim();
    anyhow::ensure!(
        !by.is_empty(),
        "--by needs the name of the member of staff acting"
    );
    Ok(Actor::new(format!("cli:{by}")))
}

fn line(r: &RefundRecord) -> String {
    format!(
        "refund #{} employer id {}: {}, {}{}{}",
        r.id,
        r.employer_id,
        crate::locale::command_line_money(r.amount),
        r.status,
        r.end_to_end_id
            .as_deref()
            .map(|e| format!(", end-to-end id {e}"))
            .unwrap_or_default(),
        r.decision_note
            .as_deref()
            .map(|n| format!(", reason: {n}"))
            .unwrap_or_default()
    )
}

pub(super) async fn refunds(config: Config, command: RefundsCommand) -> anyhow::Result<ExitCode> {
    let settings = match command {
        RefundsCommand::Send { .. } => Some(crate::cycle::CycleSettings::from_config(&config)?),
        _ => None,
    };
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let result = run(&store, settings.as_ref(), command).await;
    store.close().await;
    super::write_out(&result?)?;
    Ok(ExitCode::SUCCESS)
}

async fn run(
    store: &crate::store::Store,
    settings: Option<&crate::cycle::CycleSettings>,
    command: RefundsCommand,
) -> anyhow::Result<String> {
    Ok(match command {
        RefundsCommand::List { employer, status } => {
            let employer_id = match employer {
                Some(a) => Some(store.employer_id_by_affiliation(&a).await?),
                None => None,
            };
            let refunds = store.refunds(employer_id, status).await?;
            if refunds.is_empty() {
                "no refund\n".to_owned()
            } else {
                refunds.iter().map(|r| line(r) + "\n").collect()
            }
        }
        RefundsCommand::Request {
            employer,
            amount,
            by,
        } => {
            let employer_id = store.employer_id_by_affiliation(&employer).await?;
            let refund = store
                .request_refund(&staff(&by)?, employer_id, amount, RefundRequester::Staff)
                .await?;
            format!(
                "{}\nanother member of staff approves it: tahsil refunds approve {} --by NAME\n",
                line(&refund),
                refund.id
            )
        }
        RefundsCommand::Approve { id, by } => {
            let refund = store.decide_refund(&staff(&by)?, id, true, None).await?;
            format!(
                "{}\nit goes in the next refund file: tahsil refunds send\n",
                line(&refund)
            )
        }
        RefundsCommand::Refuse { id, by, reason } => {
            let refund = store
                .decide_refund(&staff(&by)?, id, false, Some(&reason))
                .await?;
            format!("{}\n", line(&refund))
        }
        RefundsCommand::Send { date } => {
            let Some(settings) = settings else {
                anyhow::bail!("the cycle's settings are needed to send refunds");
            };
            let date = date.unwrap_or_else(|| store.clock().today());
            let steps =
                crate::cycle::refund::send_refunds(store, settings, &Actor::new("cli"), date)
                    .await?;
            let mut out = String::new();
            for step in steps {
                if let Some(file) = &step.file {
                    out.push_str(&format!(
                        "{}: refund file {} written to its outbox: {} transfer(s), {}\n",
                        step.institution,
                        file.file_name,
                        file.transactions,
                        crate::locale::command_line_money(Amount::from_centimes(
                            file.control_sum_centimes
                        ))
                    ));
                }
                for id in &step.lapsed {
                    out.push_str(&format!(
                        "refund #{id} lapsed: the employer's credit was used meanwhile; nothing sent\n"
                    ));
                }
                if step.waiting > 0 {
                    out.push_str(&format!(
                        "{}: {} approved refund(s) wait: its profile takes no refund file\n",
                        step.institution, step.waiting
                    ));
                }
            }
            if out.is_empty() {
                out.push_str("no approved refund to send\n");
            }
            out
        }
    })
}
