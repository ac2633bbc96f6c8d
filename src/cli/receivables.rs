//! What the fund is owed and its accounting journal on the command line: `tahsil
//! receivables` (owed by age, in total and per scheme, then the employers owing; `--csv`
//! for a spreadsheet) and `tahsil journal --from D --to D` (one CSV line per ledger entry,
//! or `--totals` per day and kind; `--out FILE` writes it readable by its owner alone). The
//! computations are `crate::store::receivables`'s; the CSV layouts `crate::locale::statement`'s.
//! Both write as they read: a page of employers (keyset on their id) or of ledger entries
//! (keyset on date and id) at a time, so memory stays flat whatever the fund's size.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;

use crate::app;
use crate::config::Config;
use crate::locale::statement as layout;
use crate::private::Access;
use crate::store::{AgeBuckets, JOURNAL_PAGE, OWING_PAGE_MAX, Store};

/// Standard output, a broken pipe (the reader stopped) ending the output quietly.
struct Stdout {
    out: std::io::BufWriter<std::io::Stdout>,
    closed: bool,
}

impl Stdout {
    fn new() -> Stdout {
        Stdout {
            out: std::io::BufWriter::new(std::io::stdout()),
            closed: false,
        }
    }

    fn write(&mut self, text: &str) -> anyhow::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.out.write_all(text.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other.map_err(|e| anyhow::anyhow!("cannot write to standard output: {e}")),
        }
    }

    fn finish(mut self) -> anyhow::Result<()> {
        match self.out.flush() {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe && !self.closed => {
                Err(anyhow::anyhow!("cannot write to standard output: {e}"))
            }
            _ => Ok(()),
        }
    }
}

pub(super) async fn receivables(config: Config, csv: bool) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let written = write_receivables(&store, csv).await;
    store.close().await;
    written?;
    Ok(ExitCode::SUCCESS)
}

async fn write_receivables(store: &Store, csv: bool) -> anyhow::Result<()> {
    let today = store.clock().today();
    let summary = store.receivables(today).await?;
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
    let mut out = Stdout::new();
    if csv {
        out.write(&layout::receivables_csv_head())?;
    } else {
        let mut head = format!(
            "owed to the fund on {}: {} line(s) of {} employer(s), in DA by days since due\n",
            super::day(today),
            summary.lines,
            summary.employers
        );
        head.push_str(&format!(
            "{:<28}  {:>16}  {:>16}  {:>16}  {:>16}  {:>16}\n",
            "", "0-30", "31-90", "91-180", "over 180", "total"
        ));
        head.push_str(&row("paid leave", &summary.paid_leave));
        head.push_str(&row("bad weather, employer", &summary.bad_weather_employer));
        head.push_str(&row("bad weather, employee", &summary.bad_weather_employee));
        head.push_str(&row("total", &summary.total));
        head.push_str("\nemployers owing:\n");
        out.write(&head)?;
    }
    let mut after = None;
    loop {
        let page = store.employers_owing(today, after, OWING_PAGE_MAX).await?;
        after = page.last().map(|e| e.employer_id);
        let mut text = String::new();
        if csv {
            layout::receivables_csv_rows(&mut text, &page);
        } else {
            for e in &page {
                text.push_str(&row(&e.affiliation_number, &e.owed));
            }
        }
        out.write(&text)?;
        if (page.len() as i64) < OWING_PAGE_MAX {
            break;
        }
    }
    if csv {
        out.write(&layout::receivables_csv_total(&summary))?;
    }
    out.finish()
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
    let lines = match &out {
        Some(path) => {
            let file = Access::PRIVATE
                .create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let mut file = std::io::BufWriter::new(file);
            let mut sink = |text: &str| {
                file.write_all(text.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))
            };
            let lines = write_journal(&store, from, to, totals, &mut sink).await;
            let synced = file
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all())
                .with_context(|| format!("cannot write {}", path.display()));
            lines.and_then(|n| synced.map(|()| n))
        }
        None => {
            let mut stdout = Stdout::new();
            let lines = write_journal(&store, from, to, totals, &mut |text: &str| {
                stdout.write(text)
            })
            .await;
            lines.and_then(|n| stdout.finish().map(|()| n))
        }
    };
    store.close().await;
    let lines = lines?;
    if let Some(path) = out {
        eprintln!(
            "journal from {} to {} written to {} ({lines} line(s))",
            super::day(from),
            super::day(to),
            path.display(),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The journal (or its totals) written to `sink` a page at a time; returns how many lines
/// follow the header.
async fn write_journal(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
    totals: bool,
    sink: &mut dyn FnMut(&str) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    if totals {
        // One line per day and kind: small whatever the number of entries.
        let totals = store.journal_totals(from, to).await?;
        sink(&layout::journal_totals_csv(&totals))?;
        return Ok(totals.len() as u64);
    }
    sink(&layout::journal_csv_head())?;
    let mut lines = 0u64;
    let mut after: Option<(String, i64)> = None;
    loop {
        let page = store
            .journal_page(
                from,
                to,
                after.as_ref().map(|(d, id)| (d.as_str(), *id)),
                JOURNAL_PAGE,
            )
            .await?;
        let mut text = String::with_capacity(page.len() * 160);
        layout::journal_csv_rows(&mut text, &page);
        sink(&text)?;
        lines += page.len() as u64;
        after = page.last().map(|e| (e.entry_date.clone(), e.id));
        if (page.len() as i64) < JOURNAL_PAGE {
            return Ok(lines);
        }
    }
}
