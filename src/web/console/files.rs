//! The console's files: every debit file written (a staff download is checked against
//! its hash and is not the bank's download), and the quarantined reports with their error.

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::{FileRow, file_rows, nav};
use crate::cycle::exchange::{self, Folder};
use crate::web::WebState;
use crate::web::session::{Chrome, PageResult, Refusal, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/files", get(files))
        .route("/console/files/{id}/download", get(download))
        .route("/console/quarantine", get(quarantine))
}

#[derive(Template)]
#[template(path = "web/console/files.html")]
struct FilesPage {
    c: Chrome,
    files: Vec<FileRow>,
}

async fn files(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    viewer.staff()?;
    let files = state
        .store()
        .bank_files(None)
        .await
        .map_err(|e| viewer.fail(e))?;
    let page = FilesPage {
        c: viewer.chrome(nav(&viewer, "files")),
        files: file_rows(&viewer, files),
    };
    viewer.page(StatusCode::OK, &page)
}

/// Staff download a debit file (checked against its hash). This is not the bank's
/// download: it does not mark the file downloaded.
async fn download(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    let session = viewer.staff()?;
    let Some(settings) = state.options.cycle.as_deref() else {
        return Err(viewer.refuse(Refusal::NotFound));
    };
    let file = state
        .store()
        .bank_file(id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let path = settings
        .folder(file.institution.as_str(), Folder::Outbox)
        .join(&file.file_name);
    let bytes = tokio::fs::read(&path).await.map_err(|err| {
        tracing::error!(file_id = id, error = %err, "a recorded debit file cannot be read");
        viewer.refuse(Refusal::Internal)
    })?;
    if exchange::sha256_hex(&bytes) != file.sha256 {
        tracing::error!(
            file_id = id,
            "a debit file no longer matches its recorded SHA-256"
        );
        return Err(viewer.refuse(Refusal::Internal));
    }
    // Debit files hold account numbers: who took one is logged (ids only).
    tracing::info!(
        file_id = id,
        user_id = session.user.id,
        "debit file downloaded from the console"
    );
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.file_name))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "web/console/quarantine.html")]
struct QuarantinePage {
    c: Chrome,
    rows: Vec<(i64, String, String)>,
}

async fn quarantine(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    viewer.staff()?;
    let rows = state
        .store()
        .quarantined()
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .rev()
        .map(|file| (file.id, file.file_name, file.error))
        .collect();
    let page = QuarantinePage {
        c: viewer.chrome(nav(&viewer, "quarantine")),
        rows,
    };
    viewer.page(StatusCode::OK, &page)
}
