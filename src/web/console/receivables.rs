//! What the fund is owed (`/console/receivables`): today's receivables by days since due,
//! in total and per scheme, the employers owing (paged by keyset on their id, each linked
//! to its account), the same as CSV, and the accounting journal's downloads for a range of
//! days (one line per ledger entry, or totals per day and kind). Staff only. The figures
//! are `crate::store::receivables`'s, the CSV layouts `crate::locale::statement`'s; the
//! receivables and journal CSVs are streamed, written a page at a time as they are read.

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;

use super::nav;
use crate::store::{AgeBuckets, JOURNAL_PAGE, OWING_PAGE_MAX, Store, StoreError};
use crate::web::WebState;
use crate::web::i18n::{StatementTexts, money};
use crate::web::session::{Chrome, PageError, PageResult, Viewer};
use crate::web::statement::{PeriodQuery, attachment, csv_attachment};

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

/// Every employer owing as CSV, then the fund's total, written as the pages are read
/// (one page of employers held at a time).
async fn csv(State(state): State<WebState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.staff()?;
    let store = state.store().clone();
    let today = store.clock().today();
    let summary = store.receivables(today).await.map_err(|e| viewer.fail(e))?;
    let total = crate::locale::statement::receivables_csv_total(&summary);
    let first = Export::Receivables {
        head: Some(crate::locale::statement::receivables_csv_head()),
        after: None,
        total,
    };
    Ok(csv_stream(store, first, &format!("creances-{today}.csv")))
}

/// A CSV attachment written as `first` and the steps after it produce it.
fn csv_stream(store: Store, first: Export, name: &str) -> Response {
    let stream = futures_util::stream::unfold(first, move |step| {
        let store = store.clone();
        async move { step.next(&store).await }
    });
    attachment(Body::from_stream(stream), "text/csv; charset=utf-8", name)
}

/// Where a streamed export is: its header (sent first), then the pages after a cursor,
/// then its last line, if any.
enum Export {
    Receivables {
        head: Option<String>,
        after: Option<i64>,
        /// The fund's total, the last line.
        total: String,
    },
    Journal {
        head: Option<String>,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<(String, i64)>,
    },
    Last(String),
    Done,
}

impl Export {
    /// The next piece of the file and what follows it; `None` at the end. A failure ends
    /// the download with an error (the browser shows it incomplete), logged once here.
    async fn next(self, store: &Store) -> Option<(Result<Bytes, std::io::Error>, Export)> {
        let failed = |err: StoreError| {
            tracing::error!(error = %err, "a CSV export failed");
            Some((
                Err(std::io::Error::other("the export failed")),
                Export::Done,
            ))
        };
        match self {
            Export::Receivables {
                head: Some(head),
                after,
                total,
            } => Some((
                Ok(Bytes::from(head)),
                Export::Receivables {
                    head: None,
                    after,
                    total,
                },
            )),
            Export::Receivables {
                head: None,
                after,
                total,
            } => {
                let today = store.clock().today();
                let page = match store.employers_owing(today, after, OWING_PAGE_MAX).await {
                    Ok(page) => page,
                    Err(err) => return failed(err),
                };
                let mut out = String::with_capacity(page.len() * 120);
                crate::locale::statement::receivables_csv_rows(&mut out, &page);
                let following = match page.last() {
                    Some(last) if page.len() as i64 >= OWING_PAGE_MAX => Export::Receivables {
                        head: None,
                        after: Some(last.employer_id),
                        total,
                    },
                    _ => Export::Last(total),
                };
                Some((Ok(Bytes::from(out)), following))
            }
            Export::Journal {
                head: Some(head),
                from,
                to,
                after,
            } => Some((
                Ok(Bytes::from(head)),
                Export::Journal {
                    head: None,
                    from,
                    to,
                    after,
                },
            )),
            Export::Journal {
                head: None,
                from,
                to,
                after,
            } => {
                let cursor = after.as_ref().map(|(d, id)| (d.as_str(), *id));
                let page = match store.journal_page(from, to, cursor, JOURNAL_PAGE).await {
                    Ok(page) => page,
                    Err(err) => return failed(err),
                };
                if page.is_empty() {
                    return None;
                }
                let mut out = String::with_capacity(page.len() * 160);
                crate::locale::statement::journal_csv_rows(&mut out, &page);
                let following = match page.last() {
                    Some(last) if page.len() as i64 >= JOURNAL_PAGE => Export::Journal {
                        head: None,
                        from,
                        to,
                        after: Some((last.entry_date.clone(), last.id)),
                    },
                    _ => Export::Done,
                };
                Some((Ok(Bytes::from(out)), following))
            }
            Export::Last(text) => Some((Ok(Bytes::from(text)), Export::Done)),
            Export::Done => None,
        }
    }
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
    let first = Export::Journal {
        head: Some(crate::locale::statement::journal_csv_head()),
        from,
        to,
        after: None,
    };
    Ok(csv_stream(
        state.store().clone(),
        first,
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
