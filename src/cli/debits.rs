//! `tahsil debits hold|release|cancel|represent ID --reason TEXT`: finance staff's actions
//! on one debit, audited as `cli` with the reason. What each state allows, and the action
//! itself, are the store's (`Store::act_on_debit`); a refusal is one line saying the
//! debit's state and what is possible.

use std::process::ExitCode;

use clap::Subcommand;
use mandates::DebitAction;

use crate::app;
use crate::config::Config;
use crate::store::Actor;

#[derive(Debug, Subcommand)]
pub(super) enum DebitsCommand {
    /// Keep a planned debit out of the files until it is released.
    Hold {
        id: i64,
        /// Why (kept in the audit trail).
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Put a held debit back to normal (after its date's files: cancelled, lines owed again).
    Release {
        id: i64,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Never present a planned debit: its lines are owed again, for the next date.
    Cancel {
        id: i64,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Present a rejected or returned debit again on the next possible date (with notice).
    Represent {
        id: i64,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

/// `tahsil debits …`: takes the action and says what it did.
pub(super) async fn debits(config: Config, command: DebitsCommand) -> anyhow::Result<ExitCode> {
    let (action, id, reason) = match command {
        DebitsCommand::Hold { id, reason } => (DebitAction::Hold, id, reason),
        DebitsCommand::Release { id, reason } => (DebitAction::Release, id, reason),
        DebitsCommand::Cancel { id, reason } => (DebitAction::Cancel, id, reason),
        DebitsCommand::Represent { id, reason } => (DebitAction::Represent, id, reason),
    };
    let policy = crate::cycle::CycleSettings::from_config(&config)?.policy;
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let outcome = store
        .act_on_debit(&Actor::new("cli"), id, action, &reason, &policy)
        .await;
    store.close().await;
    let outcome = outcome?;
    let debit = &outcome.debit;
    match action {
        DebitAction::Hold => println!(
            "debit {id} ({}, {}) is held: it stays out of the files until released",
            crate::locale::written_day_of(&debit.collection_date),
            crate::locale::command_line_money(debit.amount)
        ),
        DebitAction::Release if outcome.missed_its_date => println!(
            "debit {id} was released after the files of {} were built: it is cancelled, its lines are owed again for the next date",
            crate::locale::written_day_of(&debit.collection_date)
        ),
        DebitAction::Release => println!(
            "debit {id} is released: it goes out on {} as planned",
            crate::locale::written_day_of(&debit.collection_date)
        ),
        DebitAction::Cancel => println!(
            "debit {id} is cancelled: its lines are owed again and will be collected at the next date"
        ),
        DebitAction::Represent => {
            if let Some(next) = &outcome.next_attempt {
                println!(
                    "debit {id} is presented again as #{} on {} for {} (attempt {}), the employer notified in advance",
                    next.id,
                    crate::locale::written_day_of(&next.collection_date),
                    crate::locale::command_line_money(next.amount),
                    next.attempt
                );
            }
        }
    }
    for exception in &outcome.exceptions_resolved {
        println!("exception {exception} resolved by this {action}");
    }
    Ok(ExitCode::SUCCESS)
}
