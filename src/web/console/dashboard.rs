//! The console's dashboard: collections by channel and state, open exceptions,
//! quarantined files, the latest files, the next runs, the [`super::charts`], and a warning
//! when a collection or file date of the next 60 days is a day from a lunar holiday that is
//! still an estimate.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{Datelike, Days, NaiveDate};
use mandates::{Amount, CycleDate};

use super::charts::{self, Chart, FailureRow, LegendItem, OutcomeRow};
use super::{FileRow, amount, file_rows, nav};
use crate::locale::Word;
use crate::web::WebState;
use crate::web::i18n::{CeilingTexts, ConsoleTexts, PageTexts, money};
use crate::web::session::{Chrome, PageError, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/console", get(dashboard))
}

struct CountRow {
    channel: &'static str,
    status: &'static str,
    count: i64,
    amount: String,
}

#[derive(Template)]
#[template(path = "web/console/dashboard.html")]
struct DashboardPage {
    c: Chrome,
    counts: Vec<CountRow>,
    open_exceptions: i64,
    quarantined: i64,
    files: Vec<FileRow>,
    extras: DashboardExtras,
    near_estimates: Vec<NearEstimateRow>,
    k: &'static CeilingTexts,
    /// Employers whose debit is not presented: over their mandate's ceiling.
    over_ceiling: Vec<OverCeilingRow>,
}

/// An employer over its ceiling for a coming collection date, formatted.
struct OverCeilingRow {
    employer_id: i64,
    employer: String,
    affiliation: String,
    date: String,
    owed: String,
    ceiling: String,
    deadline: String,
}

async fn dashboard(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    viewer.staff()?;
    let store = state.store();
    // The parts are independent reads: side by side, on their own pooled connections, the
    // page takes as long as its slowest part (the counts and the charts each read many
    // collections) rather than their sum.
    let fail = |e| viewer.fail(e);
    let (counts, open_exceptions, quarantined, mut files, extras, near_estimates, shortfalls) = tokio::try_join!(
        async { store.collection_counts(None).await.map_err(fail) },
        async { store.open_exception_count().await.map_err(fail) },
        async { store.quarantined_count().await.map_err(fail) },
        async { store.bank_files(None).await.map_err(fail) },
        dashboard_extras(&state, &viewer),
        async { near_estimates(&state, &viewer).await.map_err(fail) },
        async {
            store
                .ceiling_shortfalls(store.clock().today())
                .await
                .map_err(fail)
        },
    )?;
    let over_ceiling = shortfalls
        .into_iter()
        .map(|s| OverCeilingRow {
            employer_id: s.employer_id,
            employer: s.employer_name,
            affiliation: s.affiliation_number,
            date: s.collection_date,
            owed: money(s.amount, viewer.lang),
            ceiling: money(s.ceiling, viewer.lang),
            deadline: s.deadline,
        })
        .collect();
    let counts = counts
        .into_iter()
        .map(|c| CountRow {
            channel: c.channel.word(viewer.lang),
            status: c.status.word(viewer.lang),
            count: c.count,
            amount: money(Amount::from_centimes(c.amount_centimes), viewer.lang),
        })
        .collect();
    files.truncate(10);
    let page = DashboardPage {
        c: viewer.chrome(nav(&viewer, "dashboard")),
        counts,
        open_exceptions,
        quarantined,
        files: file_rows(&viewer, files),
        extras,
        near_estimates,
        k: CeilingTexts::of(viewer.lang),
        over_ceiling,
    };
    viewer.page(StatusCode::OK, &page)
}

/// Collection dates listed under "next runs".
const NEXT_RUN_DATES: i64 = 6;

struct NextRunRow {
    date: String,
    channel: String,
    count: i64,
    amount: String,
}

/// What the dashboard shows besides the counts and files: next runs and the charts.
struct DashboardExtras {
    k: &'static ConsoleTexts,
    next_runs: Vec<NextRunRow>,
    rate_chart: Option<Chart>,
    outcomes: Vec<OutcomeRow>,
    failure_chart: Option<Chart>,
    legend: Vec<LegendItem>,
    failures: Vec<FailureRow>,
}

async fn dashboard_extras(state: &WebState, viewer: &Viewer) -> Result<DashboardExtras, PageError> {
    let store = state.store();
    let lang = viewer.lang;
    let k = lang.console();
    let next_runs = store
        .next_runs(NEXT_RUN_DATES)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|r| NextRunRow {
            channel: r.channel.word(lang).to_owned(),
            date: r.collection_date,
            count: r.count,
            amount: amount(r.amount_centimes, lang),
        })
        .collect();
    let charts = charts::charts(state, viewer).await?;
    Ok(DashboardExtras {
        k,
        next_runs,
        rate_chart: charts.rate_chart,
        outcomes: charts.outcomes,
        failure_chart: charts.failure_chart,
        legend: charts.legend,
        failures: charts.failures,
    })
}

/// How far ahead the dashboard looks for cycle dates next to an unconfirmed estimate.
const NEAR_ESTIMATE_HORIZON_DAYS: u64 = 60;

/// A collection or file date a day from a lunar holiday still estimated.
struct NearEstimateRow {
    /// "Collection on" or "files sent on", and the date.
    what: &'static str,
    date: String,
    /// For a file date: the collection date it serves.
    collection_date: Option<String>,
    holiday: String,
    holiday_date: String,
    /// The calendar page's year for the holiday.
    year: i32,
}

/// The planned collection dates and the schedule's next due dates (with their file dates)
/// that fall within a day of an unconfirmed lunar estimate in the next 60 days.
async fn near_estimates(
    state: &WebState,
    viewer: &Viewer,
) -> Result<Vec<NearEstimateRow>, crate::store::StoreError> {
    let store = state.store();
    let k = viewer.lang.console();
    let today = store.clock().today();
    let until = today + Days::new(NEAR_ESTIMATE_HORIZON_DAYS);
    let calendar = store.calendar().await?;
    let mut dates: Vec<NaiveDate> = store.planned_dates().await?;
    if let Some(schedule) = &state.options.due_dates {
        // A little past the window: a later collection's files may go inside it, and a
        // nominal date a little before today may have rolled into it.
        let from = today.checked_sub_days(Days::new(21)).unwrap_or(today);
        let beyond = until + Days::new(21);
        dates.extend(
            schedule
                .due_dates(from, beyond, &calendar)
                .into_iter()
                .map(|due| due.collection_date),
        );
    }
    let policy = state.channel_policy();
    Ok(
        mandates::dates_near_estimates(&dates, &calendar, &policy, today, until)
            .into_iter()
            .map(|near| NearEstimateRow {
                what: match near.what {
                    CycleDate::Collection => k.near_collection_date,
                    CycleDate::File => k.near_file_date,
                },
                date: near.date.to_string(),
                collection_date: (near.what == CycleDate::File)
                    .then(|| near.collection_date.to_string()),
                year: near.holiday.date.year(),
                holiday_date: near.holiday.date.to_string(),
                holiday: near.holiday.name,
            })
            .collect(),
    )
}
