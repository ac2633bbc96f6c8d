//! Runs: each collection run with its files, transactions and amounts per institution,
//! and one run's page with its files and the outcome of its collections.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

use super::{FileRow, amount, file_rows, nav};
use crate::locale::Word;
use crate::web::WebState;
use crate::web::i18n::{ConsoleTexts, PageTexts};
use crate::web::session::{Chrome, PageError, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/runs", get(runs))
        .route("/console/runs/{id}", get(run))
}

struct RunRow {
    id: i64,
    date: String,
    state: String,
    started: String,
    /// (institution, files, transactions, amount) per institution.
    lines: Vec<(String, i64, i64, String)>,
}

#[derive(Template)]
#[template(path = "web/console/runs.html")]
struct RunsPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    runs: Vec<RunRow>,
}

async fn outcome_lines(
    state: &WebState,
    viewer: &Viewer,
    run_id: i64,
) -> Result<Vec<(String, i64, String)>, PageError> {
    Ok(state
        .store()
        .run_outcome(run_id)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|o| {
            (
                o.status.word(viewer.lang).to_owned(),
                o.count,
                amount(o.amount_centimes, viewer.lang),
            )
        })
        .collect())
}

async fn runs(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    viewer.staff()?;
    let k = viewer.lang.console();
    let lines = state
        .store()
        .run_lines(100)
        .await
        .map_err(|e| viewer.fail(e))?;
    let mut rows: Vec<RunRow> = Vec::new();
    for line in lines {
        if rows.last().is_none_or(|r| r.id != line.run_id) {
            rows.push(RunRow {
                id: line.run_id,
                date: line.collection_date.clone(),
                state: line.status.word(viewer.lang).to_owned(),
                started: crate::locale::page_moment(&line.started_at),
                lines: Vec::new(),
            });
        }
        if let (Some(row), Some(institution)) = (rows.last_mut(), line.institution) {
            row.lines.push((
                institution.word(viewer.lang).to_owned(),
                line.files,
                line.transactions,
                amount(line.amount_centimes, viewer.lang),
            ));
        }
    }
    let page = RunsPage {
        c: viewer.chrome(nav(&viewer, "runs")),
        k,
        runs: rows,
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "web/console/run.html")]
struct RunPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    date: String,
    state: String,
    files: Vec<FileRow>,
    outcome: Vec<(String, i64, String)>,
}

async fn run(State(state): State<WebState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    viewer.staff()?;
    let k = viewer.lang.console();
    let store = state.store();
    let header = store.run_header(id).await.map_err(|e| viewer.fail(e))?;
    let files = file_rows(
        &viewer,
        store
            .bank_files_of_run(id)
            .await
            .map_err(|e| viewer.fail(e))?,
    );
    let outcome = outcome_lines(&state, &viewer, id).await?;
    let page = RunPage {
        c: viewer.chrome(nav(&viewer, "runs")),
        k,
        date: header.collection_date,
        state: header.status.word(viewer.lang).to_owned(),
        files,
        outcome,
    };
    viewer.page(StatusCode::OK, &page)
}
