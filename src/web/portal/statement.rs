//! The employer's statement of account: from the opening balance of the chosen period,
//! every entry with its date, its plain label and the balance after it, to the closing
//! balance, then what is owed by age; downloads as CSV and as PDF in French and Arabic
//! (`crate::web::statement`). Another employer's statement is "not found".

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;

use super::{employer_for, nav};
use crate::web::WebState;
use crate::web::i18n::{StatementTexts, employer_name};
use crate::web::session::{Chrome, PageResult, Viewer};
use crate::web::statement::{
    PeriodQuery, StatementRow, aging_rows, csv_download, pdf_download, statement_rows,
};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/portal/{employer}/statement", get(page))
        .route("/portal/{employer}/statement.csv", get(csv))
        .route("/portal/{employer}/statement.pdf", get(pdf))
}

#[derive(Template)]
#[template(path = "web/portal/statement.html")]
struct StatementPage {
    c: Chrome,
    s: &'static StatementTexts,
    employer: String,
    affiliation: String,
    action: String,
    download: String,
    q: PeriodQuery,
    links: String,
    rows: Vec<StatementRow>,
    aging: Vec<(&'static str, String)>,
    period_error: Option<&'static str>,
}

async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
    let lang = viewer.lang;
    let (period, period_error, status) = match q.read(lang) {
        Ok(period) => (period, None, StatusCode::OK),
        Err(problem) => (
            Default::default(),
            Some(problem),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let store = state.store();
    let today = store.clock().today();
    let statement = store
        .statement_between(employer_id, period.from, period.to, today)
        .await
        .map_err(|e| viewer.fail(e))?;
    let page = StatementPage {
        c: viewer.chrome(nav(&viewer, &session, employer_id, "statement")),
        s: StatementTexts::of(lang),
        employer: employer_name(&employer, lang),
        affiliation: employer.affiliation_number.clone(),
        action: format!("/portal/{employer_id}/statement"),
        download: format!("/portal/{employer_id}/statement"),
        links: q.link(&period),
        q,
        rows: statement_rows(&statement, lang),
        aging: aging_rows(&statement, lang),
        period_error,
    };
    viewer.page(status, &page)
}

async fn csv(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let (_, employer) = employer_for(&state, &viewer, employer_id).await?;
    let period = q.read(viewer.lang).unwrap_or_default();
    let store = state.store();
    let today = store.clock().today();
    let statement = store
        .statement_between(employer_id, period.from, period.to, today)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(csv_download(&employer, &statement, today))
}

async fn pdf(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    let (_, employer) = employer_for(&state, &viewer, employer_id).await?;
    let period = q.read(viewer.lang).unwrap_or_default();
    let store = state.store();
    let today = store.clock().today();
    let statement = store
        .statement_between(employer_id, period.from, period.to, today)
        .await
        .map_err(|e| viewer.fail(e))?;
    pdf_download(&state, &viewer, employer, statement, today).await
}
