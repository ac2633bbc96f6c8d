//! What the fund is owed (`/console/receivables`): today's receivables by days since due,
//! in total and per scheme, the employers owing (paged by keyset on their id, each linked
//! to its account), the same as CSV, and the accounting journal's downloads for a range of
//! days (one line per ledger entry, or totals per day and kind). Staff only. The figures
//! are `crate::store::receivables`'s, the CSV layouts `crate::locale::statement`'s.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::nav;
use crate::store::{AgeBuckets, OWING_PAGE_MAX, StoreError};
use crate::web::WebState;
use crate::web::i18n::{StatementTexts, money};
use crate::web::session::{Chrome, PageError, PageResult, Viewer};
use crate::web::statement::{PeriodQuery, csv_attachment};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/receivables", get(page))
        .route("/console/receivables.csv", get(csv))
        .route("/console/journal.csv", get(journal))
        .route("/console/journal-totals.csv", get(journal_totals))
}

/// Employers per page.
const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default)]
    after: Option<i64>,
}

struct BucketRow {
    label: &'static str,
    cells: [String; 5],
}

struct OwingRow {
    id: i64,
    affiliation: String,
    name: String,
    lines: u64,
    cells: [String; 5],
}

#[derive(Template)]
#[template(path = "web/console/receivables.html")]
struct ReceivablesPage {
    c: Chrome,
    s: &'static StatementTexts,
    on: String,
    employers: u64,
    lines: u64,
    summary: Vec<BucketRow>,
    owing: Vec<OwingRow>,
    next: Option<i64>,
    q: PeriodQuery,
    journal_error: Option<&'static str>,
}

fn cells(b: &AgeBuckets, lang: crate::locale::Lang) -> [String; 5] {
    [
        b.up_to_30,
        b.from_31_to_90,
        b.from_91_to_180,
        b.over_180,
        b.total,
    ]
    .map(|a| money(a, lang))
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    after: Option<i64>,
    q: PeriodQuery,
    journal_error: Option<&'static str>,
) -> PageResult {
    viewer.staff()?;
    let lang = viewer.lang;
    let s = StatementTexts::of(lang);
    let store = state.store();
    let today = store.clock().today();
    let summary = store.receivables(today).await.map_err(|e| viewer.fail(e))?;
    let found = store
        .employers_owing(today, after, PER_PAGE + 1)
        .await
        .map_err(|e| viewer.fail(e))?;
    let (found, next) = super::paged(found, PER_PAGE, |e| e.employer_id);
    let page = ReceivablesPage {
        c: viewer.chrome(nav(viewer, "receivables")),
        s,
        on: crate::locale::written_day(today),
        employers: summary.employers,
        lines: summary.lines,
        summary: vec![
            BucketRow {
                label: s.schemes[0],
                cells: cells(&summary.paid_leave, lang),
            },
            BucketRow {
                label: s.schemes[1],
                cells: cells(&summary.bad_weather_employer, lang),
            },
            BucketRow {
                label: s.schemes[2],
                cells: cells(&summary.bad_weather_employee, lang),
            },
            BucketRow {
                label: s.total,
                cells: cells(&summary.total, lang),
            },
        ],
        owing: found
            .iter()
            .map(|e| OwingRow {
                id: e.employer_id,
                affiliation: e.affiliation_number.clone(),
                name: employer_name_of(e, lang),
                lines: e.lines,
                cells: cells(&e.owed, lang),
            })
            .collect(),
        next,
        q,
        journal_error,
    };
    let status = if journal_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    viewer.page(status, &page)
}

/// The employer's name in `lang` (its Arabic name in Arabic, when it has one).
fn employer_name_of(e: &crate::store::EmployerOwing, lang: crate::locale::Lang) -> String {
    crate::locale::employer_name(lang, &e.name, e.name_ar.as_deref()).to_owned()
}

async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> PageResult {
    render(&state, &viewer, query.after, PeriodQuery::default(), None).await
}

/// Every employer owing as CSV, then the fund's total.
async fn csv(State(state): State<WebState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.staff()?;
    let store = state.store();
    let today = store.clock().today();
    let all = async {
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
        Ok::<_, StoreError>((summary, employers))
    }
    .await;
    let (summary, employers) = all.map_err(|e| viewer.fail(e))?;
    Ok(csv_attachment(
        crate::locale::statement::receivables_csv(&summary, &employers),
        &format!("creances-{today}.csv"),
    ))
}

/// The journal's range: both days needed, the first not after the last.
async fn range(
    state: &WebState,
    viewer: &Viewer,
    q: &PeriodQuery,
) -> Result<Result<(chrono::NaiveDate, chrono::NaiveDate), Response>, PageError> {
    viewer.staff()?;
    let s = StatementTexts::of(viewer.lang);
    let problem = match q.read(viewer.lang) {
        Ok(period) => match (period.from, period.to) {
            (Some(from), Some(to)) => return Ok(Ok((from, to))),
            _ => s.date_invalid,
        },
        Err(problem) => problem,
    };
    render(state, viewer, None, q.clone(), Some(problem))
        .await
        .map(Err)
}

async fn journal(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let (from, to) = match range(&state, &viewer, &q).await? {
        Ok(range) => range,
        Err(page) => return Ok(page),
    };
    let entries = state
        .store()
        .journal(from, to)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(csv_attachment(
        crate::locale::statement::journal_csv(&entries),
        &format!("journal-{from}-{to}.csv"),
    ))
}

async fn journal_totals(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let (from, to) = match range(&state, &viewer, &q).await? {
        Ok(range) => range,
        Err(page) => return Ok(page),
    };
    let totals = state
        .store()
        .journal_totals(from, to)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(csv_attachment(
        crate::locale::statement::journal_totals_csv(&totals),
        &format!("journal-totaux-{from}-{to}.csv"),
    ))
}
