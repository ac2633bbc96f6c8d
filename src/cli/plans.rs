//! Payment plans (échéanciers) on the command line, read only: `tahsil plans list
//! [--employer AFFILIATION] [--status STATE]` (one line per plan, requests first, then the
//! newest) and `tahsil plans show ID` (the plan, who asked, set and ended it, and each
//! instalment with what paid it). An unknown employer or plan exits 1 saying so. Setting,
//! refusing and cancelling a plan are the console's (`/console/plans`).

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::Subcommand;
use mandates::Amount;

use crate::app;
use crate::config::Config;
use crate::store::{PaymentPlan, PlanInstalment, PlanStatus, Store, StoreError};

#[derive(Debug, Subcommand)]
pub(super) enum PlansCommand {
    /// List payment plans (requests first, then the newest), optionally of one employer or
    /// in one state (requested, active, refused, withdrawn, completed, broken, cancelled).
    List {
        #[arg(long, value_name = "AFFILIATION")]
        employer: Option<String>,
        #[arg(long, value_name = "STATE", value_parser = parse_status)]
        status: Option<PlanStatus>,
    },
    /// Show one payment plan with its instalments and what paid them.
    Show { id: i64 },
}

fn parse_status(text: &str) -> Result<PlanStatus, String> {
    text.parse()
        .map_err(|err: mandates::UnknownCode| err.to_string())
}

/// A plan's state in the command line's words.
fn state(status: PlanStatus) -> &'static str {
    match status {
        PlanStatus::Requested => "requested, waiting for staff",
        PlanStatus::Active => "in force, honoured",
        PlanStatus::Refused => "refused",
        PlanStatus::Withdrawn => "withdrawn by the employer",
        PlanStatus::Completed => "completed (every line paid)",
        PlanStatus::Broken => "broken (an instalment unpaid past the grace)",
        PlanStatus::Cancelled => "cancelled by staff",
    }
}

fn amount(centimes: i64) -> String {
    super::money(Amount::from_centimes(centimes))
}

/// One line of the list.
fn line(p: &PaymentPlan) -> String {
    let mut out = format!(
        "plan #{} employer {}: {}, requested on {}",
        p.id,
        p.affiliation_number,
        state(p.status),
        super::day(&p.requested_on)
    );
    if let (Some(total), Some(n)) = (p.total_centimes, p.instalments) {
        let _ = write!(out, ", {} in {n} instalment(s)", amount(total));
    }
    if let Some(since) = &p.started_on {
        let _ = write!(out, " from {}", super::day(since));
    }
    if let Some(ended) = &p.ended_on {
        let _ = write!(out, ", ended on {}", super::day(ended));
    }
    out
}

/// The whole plan, for `show`.
fn details(p: &PaymentPlan, instalments: &[PlanInstalment]) -> String {
    let mut out = format!(
        "payment plan #{} of employer {}\nstate: {}\nrequested on {} by {}\n",
        p.id,
        p.affiliation_number,
        state(p.status),
        super::day(&p.requested_on),
        super::who(&p.requested_by)
    );
    if let Some(note) = &p.request_note {
        let _ = writeln!(out, "note: {note}");
    }
    if let (Some(since), Some(by)) = (&p.started_on, &p.set_by) {
        let _ = writeln!(out, "set on {} by {}", super::day(since), super::who(by));
    }
    if let Some(total) = p.total_centimes {
        let _ = writeln!(out, "covers: {}", amount(total));
    }
    if p.ended_on.is_some() || p.ended_by.is_some() {
        let _ = writeln!(
            out,
            "ended{}{}{}",
            p.ended_on
                .as_deref()
                .map(|d| format!(" on {}", super::day(d)))
                .unwrap_or_default(),
            p.ended_by
                .as_deref()
                .map(|b| format!(" by {}", super::who(b)))
                .unwrap_or_default(),
            p.end_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
    }
    if instalments.is_empty() {
        out.push_str("no instalments yet (staff set them on /console/plans)\n");
    } else {
        out.push_str("instalments:\n");
        for i in instalments {
            let _ = writeln!(
                out,
                "  {}. {}: {}, paid {} ({} line(s))",
                i.number,
                super::day(&i.due_on),
                amount(i.amount_centimes),
                amount(i.paid_centimes),
                i.lines
            );
        }
    }
    out
}

pub(super) async fn plans(config: Config, command: PlansCommand) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let result = run(&store, command).await;
    store.close().await;
    match result? {
        Ok(text) => {
            super::write_out(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(refusal) => {
            println!("{refusal}");
            Ok(ExitCode::from(1))
        }
    }
}

/// The answer, or what was not found (exit 1).
async fn run(store: &Store, command: PlansCommand) -> anyhow::Result<Result<String, String>> {
    Ok(match command {
        PlansCommand::List { employer, status } => {
            let plans = match employer {
                Some(affiliation) => match store.employer_by_affiliation(&affiliation).await? {
                    Some(found) => store.employer_payment_plans(found.id).await?,
                    None => {
                        return Ok(Err(format!(
                            "no employer has the affiliation number {:?}: check the number (as on its declarations)",
                            affiliation.trim()
                        )));
                    }
                },
                None => store.payment_plans().await?,
            };
            let lines: String = plans
                .iter()
                .filter(|p| status.is_none_or(|s| s == p.status))
                .map(|p| line(p) + "\n")
                .collect();
            Ok(if lines.is_empty() {
                "no payment plan\n".to_owned()
            } else {
                lines
            })
        }
        PlansCommand::Show { id } => match store.payment_plan(id).await {
            Ok(plan) => {
                let instalments = store.plan_instalments(id).await?;
                Ok(details(&plan, &instalments))
            }
            Err(StoreError::NotFound { .. }) => Err(format!(
                "no payment plan #{id}: `tahsil plans list` shows them"
            )),
            Err(err) => return Err(err.into()),
        },
    })
}
