//! What the fund is owed and its accounting journal on the command line: `tahsil
//! receivables` (owed by age, in total and per scheme, then the employers owing; `--csv`
//! for a spreadsheet) and `tahsil journal --from D --to D` (one CSV line per ledger entry,
//! or `--totals` per day and kind; `--out FILE` writes it readable by its owner alone). The
//! computations are `crate::store::receivables`'s; the CSV layouts `crate::locale::statement`'s.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;

use crate::app;
use crate::config::Config;
use crate::store::{AgeBuckets, OWING_PAGE_MAX};

pub(super) async fn receivables(config: Config, csv: bool) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let today = store.clock().today();
    let result = async {
        let summary = store.receivables(today).await?;
        let mut employers = Vec::new();
        let mut after = None;
        loop {
            let page = store.employers_owing(today, after, OWING_PAGE_MAX).await?;
            after = page.last().map(|e| e.employer_id);
            let done = (page.len() as i64) < OWING_PAGE_MAX;
            employers.extend(page);
            if done {
                break;
            }
        }
        Ok::<_, crate::store::StoreError>((summary, employers))
    }
    .await;
    store.close().await;
    let (summary, employers) = result?;
    let text = if csv {
        crate::locale::statement::receivables_csv(&summary, &employers)
    } else {
        let row = |label: &str, b: &AgeBuckets| {
            format!(
                "{label:<28}  {:>16}  {:>16}  {:>16}  {:>16}  {:>16}\n",
                b.up_to_30.to_string(),
                b.from_31_to_90.to_string(),
                b.from_91_to_180.to_string(),
                b.over_180.to_string(),
                b.total.to_string()
            )
        };
        let mut out = format!(
            "owed to the fund on {today}: {} line(s) of {} employer(s), DZD by days since due\n",
            summary.lines, summary.employers
        );
        out.push_str(&format!(
            "{:<28}  {:>16}  {:>16}  {:>16}  {:>16}  {:>16}\n",
            "", "0-30", "31-90", "91-180", "over 180", "total"
        ));
        out.push_str(&row("paid leave", &summary.paid_leave));
        out.push_str(&row("bad weather, employer", &summary.bad_weather_employer));
        out.push_str(&row("bad weather, employee", &summary.bad_weather_employee));
        out.push_str(&row("total", &summary.total));
        out.push_str("\nemployers owing:\n");
        for e in &employers {
            out.push_str(&row(&e.affiliation_number, &e.owed));
        }
        out
    };
    super::write_out(&text)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn journal(
    config: Config,
    from: NaiveDate,
    to: NaiveDate,
    totals: bool,
    out: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    if to < from {
        anyhow::bail!("--to {to} is before --from {from}: give the first day, then the last");
    }
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let text = if totals {
        store
            .journal_totals(from, to)
            .await
            .map(|t| crate::locale::statement::journal_totals_csv(&t))
    } else {
        store
            .journal(from, to)
            .await
            .map(|e| crate::locale::statement::journal_csv(&e))
    };
    store.close().await;
    let text = text?;
    match out {
        Some(path) => {
            super::receipts::write_private(&path, text.as_bytes())?;
            eprintln!(
                "journal from {from} to {to} written to {} ({} line(s))",
                path.display(),
                text.lines().count().saturating_sub(1)
            );
        }
        None => super::write_out(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}
