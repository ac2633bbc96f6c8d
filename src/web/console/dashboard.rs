//! The console's dashboard: collections by channel and state, open exceptions,
//! quarantined files, the latest files, the next runs, and the [`super::charts`].

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use mandates::Amount;

use super::charts::{self, Chart, FailureRow, LegendItem, OutcomeRow};
use super::{FileRow, amount, file_rows, nav};
use crate::locale::Word;
use crate::web::WebState;
use crate::web::i18n::{ConsoleTexts, PageTexts, money};
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
}

async fn dashboard(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    viewer.staff()?;
    let store = state.store();
    // The parts are independent reads: side by side, on their own pooled connections, the
    // page takes as long as its slowest part (the counts and the charts each read many
    // collections) rather than their sum.
    let fail = |e| viewer.fail(e);
    let (counts, open_exceptions, quarantined, mut files, extras) = tokio::try_join!(
        async { store.collection_counts(None).await.map_err(fail) },
        async { store.open_exception_count().await.map_err(fail) },
        async { store.quarantined_count().await.map_err(fail) },
        async { store.bank_files(None).await.map_err(fail) },
        dashboard_extras(&state, &viewer),
    )?;
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
