//! `tahsil calendar`: the business-day calendar, listed or changed (a holiday added,
//! confirmed, shifted or removed); a change says which planned debits it moved. The moving
//! itself is the store's.

use std::process::ExitCode;

use clap::Subcommand;

use crate::app;
use crate::config::Config;
use crate::locale::{Lang, Word};

#[derive(Debug, Subcommand)]
pub(super) enum CalendarCommand {
    /// The holidays of a year (default: this year and next); lunar estimates are marked
    /// "estimated — to be confirmed".
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

/// `tahsil calendar …`: lists the holidays, or changes one and says what moved.
pub(super) async fn calendar(config: Config, command: CalendarCommand) -> anyhow::Result<ExitCode> {
    use crate::store::CalendarChange;
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let change = match command {
        CalendarCommand::List { year } => {
            use chrono::Datelike;
            let this_year = store.clock().today().year();
            let years = year.map_or(this_year..=this_year + 1, |y| y..=y);
            let calendar = store.calendar().await?;
            for holiday in calendar
                .holidays()
                .iter()
                .filter(|h| years.contains(&h.date.year()))
            {
                // Like the holidays' names, in French and Arabic. The day stays ISO: it is
                // what `calendar confirm|shift|remove --date` take back.
                let kind = holiday.kind;
                println!(
                    "{}  {:<40} {} / {}",
                    holiday.date,
                    holiday.name,
                    kind.word(Lang::Fr),
                    kind.word(Lang::Ar)
                );
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
            super::day(&run.from),
            super::day(&run.to),
            if run.released > 0 {
                format!(
                    "; {} employers already debited on {}: their lines go to the next planning",
                    run.released,
                    super::day(&run.to)
                )
            } else {
                String::new()
            }
        );
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
