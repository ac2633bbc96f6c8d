//! Imported reports, newest first and paged: their items, how many matched, how many
//! were informational (pending, another currency, not a collection) and how many booked
//! credits not ours were kept for the ledger, and their exceptions (open ones counted).

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;

use super::{PAGE, PageQuery, nav, paged};
use crate::locale::Word;
use crate::web::WebState;
use crate::web::i18n::{ConsoleTexts, PageTexts};
use crate::web::session::{Chrome, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/console/reports", get(reports))
}

struct ReportRow {
    id: i64,
    name: String,
    institution: String,
    format: String,
    imported_at: String,
    imported_by: String,
    items: i64,
    matched: i64,
    unmatched: i64,
    informational: i64,
    incoming_credits: i64,
    exceptions: i64,
    open_exceptions: i64,
}

#[derive(Template)]
#[template(path = "web/console/reports.html")]
struct ReportsPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    rows: Vec<ReportRow>,
    next: Option<String>,
    paged: bool,
}

async fn reports(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> PageResult {
    viewer.staff()?;
    let k = viewer.lang.console();
    let found = state
        .store()
        .report_overviews(query.before.max(0), PAGE + 1)
        .await
        .map_err(|e| viewer.fail(e))?;
    let (found, next) = paged(found, PAGE, |r| format!("/console/reports?before={}", r.id));
    let codes = found.iter().map(|r| r.imported_by.clone()).collect();
    let actors = super::actor_words(state.store(), codes, viewer.lang).await;
    let rows = found
        .into_iter()
        .map(|r| ReportRow {
            id: r.id,
            name: r.file_name,
            institution: r
                .institution
                .map(|i| i.word(viewer.lang).to_owned())
                .unwrap_or_default(),
            format: r.format,
            imported_at: crate::locale::page_moment(&r.imported_at),
            imported_by: actors.get(&r.imported_by).cloned().unwrap_or_default(),
            items: r.items,
            matched: r.matched,
            unmatched: r.unmatched,
            informational: r.informational,
            incoming_credits: r.incoming_credits,
            exceptions: r.exceptions,
            open_exceptions: r.open_exceptions,
        })
        .collect();
    let page = ReportsPage {
        c: viewer.chrome(nav(&viewer, "reports")),
        k,
        rows,
        next,
        paged: query.before > 0,
    };
    viewer.page(StatusCode::OK, &page)
}
