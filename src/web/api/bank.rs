//! The bank clients' API: `Authorization: Bearer <institution token>` (made by `tahsil
//! tokens add --institution bank|poste`). An institution lists and downloads its own debit
//! files and uploads its reports; another institution's file is answered as not found.
//!
//! - `GET  /api/v1/bank/files` — the institution's files, newest first.
//! - `GET  /api/v1/bank/files/{id}` — the bytes (checked against the recorded SHA-256);
//!   the first download is recorded.
//! - `POST /api/v1/bank/reports?name=FILE` — the raw report as the body: imported exactly
//!   like `tahsil import` (one transaction, or quarantined with its error → 422). The body
//!   is streamed to a file, never held in memory; more than `max_report_bytes` → 413
//!   (announced by `Content-Length`: nothing read nor kept; found while streaming: cut off
//!   there, the part received kept in quarantine with the reason), more than
//!   `max_concurrent_uploads` at once → 503.

use std::path::PathBuf;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::TryStreamExt;
use mandates::Amount;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::ApiError;
use crate::cycle::exchange::{self, Folder};
use crate::cycle::import::{self, ImportOutcome, import_file};
use crate::store::{Actor, ApiClient, BankFileRecord};
use crate::web::WebState;
use chrono::{DateTime, Utc};

pub(super) fn router(state: WebState) -> Router<WebState> {
    Router::new()
        .route("/files", get(list_files))
        .route("/files/{id}", get(download_file))
        .route(
            "/reports",
            post(upload_report).layer(DefaultBodyLimit::disable()),
        )
        .layer(middleware::from_fn_with_state(state, require_institution))
}

/// Resolves the bearer token to its institution, or refuses with 401.
async fn require_institution(
    State(state): State<WebState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let given = crate::web::session::bearer_token(request.headers());
    if given.is_empty() {
        return Err(unauthorized());
    }
    let Some(client) = state.store().api_client(given).await? else {
        return Err(unauthorized());
    };
    // Recorded at most once a minute, so that reads do not queue for the write lock.
    if client.stale_use
        && let Err(err) = state.store().touch_api_token(client.token_id).await
    {
        tracing::warn!(error = %err, token_id = client.token_id, "could not record token use");
    }
    request.extensions_mut().insert(client);
    Ok(next.run(request).await)
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "send your institution's API token as `Authorization: Bearer <token>` (made by `tahsil tokens add`)",
    )
}

fn file_not_found(id: i64) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("debit file {id} does not exist for your institution"),
    )
}

/// A debit file as a bank client sees it. Amounts as decimal strings.
#[derive(Debug, Serialize)]
struct FileView {
    id: i64,
    name: String,
    format: String,
    sequence: i64,
    collection_date: String,
    transactions: i64,
    control_sum: Amount,
    sha256: String,
    size_bytes: i64,
    created_at: String,
    downloaded_at: Option<String>,
    download: String,
}

impl From<BankFileRecord> for FileView {
    fn from(file: BankFileRecord) -> FileView {
        FileView {
            download: format!("/api/v1/bank/files/{}", file.id),
            id: file.id,
            name: file.file_name,
            format: file.format,
            sequence: file.sequence,
            collection_date: file.collection_date,
            transactions: file.transactions,
            control_sum: Amount::from_centimes(file.control_sum_centimes),
            sha256: file.sha256,
            size_bytes: file.size_bytes,
            created_at: file.created_at,
            downloaded_at: file.downloaded_at,
        }
    }
}

async fn list_files(
    State(state): State<WebState>,
    axum::Extension(client): axum::Extension<ApiClient>,
) -> Result<Json<Vec<FileView>>, ApiError> {
    let files = state.store().bank_files(Some(client.institution)).await?;
    Ok(Json(files.into_iter().map(FileView::from).collect()))
}

fn cycle(state: &WebState) -> Result<&crate::cycle::CycleSettings, ApiError> {
    state.options.cycle.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "exchange_unavailable",
            "this server has no exchange folders configured",
        )
    })
}

async fn download_file(
    State(state): State<WebState>,
    axum::Extension(client): axum::Extension<ApiClient>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let settings = cycle(&state)?;
    let file = match state.store().bank_file(id).await {
        Ok(file) if file.institution == client.institution => file,
        Ok(_) | Err(crate::store::StoreError::NotFound { .. }) => return Err(file_not_found(id)),
        Err(err) => return Err(err.into()),
    };
    let path = settings
        .folder(file.institution.as_str(), Folder::Outbox)
        .join(&file.file_name);
    let bytes = tokio::fs::read(&path).await.map_err(|err| {
        tracing::error!(file_id = id, error = %err, "a recorded debit file cannot be read");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "file_unavailable",
            "the file is recorded but cannot be read on the server; the fund has been alerted",
        )
    })?;
    if exchange::sha256_hex(&bytes) != file.sha256 {
        tracing::error!(
            file_id = id,
            "a debit file no longer matches its recorded SHA-256"
        );
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "file_altered",
            "the file on the server does not match its recorded SHA-256; it is withheld and the fund has been alerted",
        ));
    }
    state.store().mark_downloaded(id).await?;
    tracing::info!(file_id = id, institution = %client.institution, "debit file downloaded");
    let content_type = if file.file_name.ends_with(".xml") {
        "application/xml"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.file_name))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&file.sha256) {
        headers.insert("x-content-sha256", value);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct UploadQuery {
    #[serde(default)]
    name: Option<String>,
}

/// A safe file name: letters, digits, `.`, `-`, `_`; not hidden; at most 120 characters.
fn safe_name(given: Option<&str>, now: DateTime<Utc>) -> Result<String, ApiError> {
    let name = match given.map(str::trim) {
        None | Some("") => format!("upload-{}.dat", now.format("%Y%m%dT%H%M%S%3f")),
        Some(name) => name.to_owned(),
    };
    let ok = name.len() <= 120
        && !name.starts_with('.')
        && !name.ends_with(".sha256")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(name)
    } else {
        Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
            "name: use letters, digits, '.', '-' and '_' only (at most 120), not starting with '.'",
        ))
    }
}

async fn upload_report(
    State(state): State<WebState>,
    axum::Extension(client): axum::Extension<ApiClient>,
    Query(query): Query<UploadQuery>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let settings = cycle(&state)?;
    // A bounded number of uploads at once: the rest are told to come back, not queued.
    let Ok(_slot) = settings.upload_slots.clone().try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "too many reports are being uploaded at this moment: send this one again in a minute",
        ));
    };
    let name = safe_name(query.name.as_deref(), state.store().clock().now())?;
    if let Some(length) = content_length(&headers)
        && length > settings.max_report_bytes
    {
        return Err(too_large(settings.max_report_bytes, false));
    }
    // Received into a folder nobody watches, then imported from there: the import moves
    // it to `archive` (applied) or `quarantine` (refused), exactly as from the inbox.
    let uploads: PathBuf = settings
        .exchange_dir
        .join(client.institution.as_str())
        .join("uploads");
    let Received {
        path: received,
        cut_off,
    } = receive(body, &uploads, &name, settings).await?;
    if cut_off {
        let kept = import::quarantine_oversized_upload(
            state.store(),
            settings,
            &received,
            client.institution,
            &name,
        )
        .await;
        if let Some(folder) = received.parent() {
            let _ = tokio::fs::remove_dir(folder).await;
        }
        let quarantined = kept.is_ok();
        if let Err(err) = kept {
            tracing::error!(error = %format!("{err:#}"), "cannot quarantine an oversized upload");
            let _ = tokio::fs::remove_file(&received).await;
        }
        return Err(too_large(settings.max_report_bytes, quarantined));
    }
    if let Err(refusal) = check_answers_own_file(&state, settings, &client, &received).await {
        let _ = tokio::fs::remove_file(&received).await;
        if let Some(folder) = received.parent() {
            let _ = tokio::fs::remove_dir(folder).await;
        }
        return Err(refusal);
    }
    let actor = Actor::new(format!(
        "bank-api:{}:{}",
        client.institution, client.token_id
    ));
    let outcome = import_file(
        state.store(),
        settings,
        &actor,
        &received,
        Some(client.institution),
        state.store().clock().today(),
    )
    .await
    .map_err(|err| {
        tracing::error!(error = %format!("{err:#}"), "importing an uploaded report failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "import_failed",
            "the report could not be imported because of a server problem; nothing was applied, send it again later",
        )
    })?;
    // The upload was moved to `archive` or `quarantine`: its private folder is empty now.
    if let Some(folder) = received.parent() {
        let _ = tokio::fs::remove_dir(folder).await;
    }
    match outcome {
        ImportOutcome::Quarantined { file, error, .. } => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "report_quarantined",
            format!(
                "{file} was not imported and is kept in quarantine for the fund's staff: {error}"
            ),
        )),
        outcome @ (ImportOutcome::AlreadyImported { .. } | ImportOutcome::Empty { .. }) => {
            Ok((StatusCode::OK, Json(outcome)).into_response())
        }
        outcome @ ImportOutcome::Applied { .. } => {
            Ok((StatusCode::CREATED, Json(without_paths(outcome))).into_response())
        }
    }
}

/// A report that names the debit file it answers (pain.002's original message id) must
/// answer one of this institution's files. Reports that name none are matched by
/// EndToEndId in the import, whichever institution sent them (see the README).
async fn check_answers_own_file(
    state: &WebState,
    settings: &crate::cycle::CycleSettings,
    client: &ApiClient,
    path: &std::path::Path,
) -> Result<(), ApiError> {
    let Ok(bytes) = tokio::fs::read(path).await else {
        return Ok(());
    };
    // Unreadable files go on to the import, which quarantines them with the reason.
    let Ok(inspection) = bank_formats::inspect::inspect_with(&bytes, settings.layouts) else {
        return Ok(());
    };
    let Some(Some(original)) = inspection.original_message_id else {
        return Ok(());
    };
    match state.store().bank_file_by_message_id(&original).await? {
        Some(file) if file.institution != client.institution => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "other_institution",
            "this report answers a file sent to another institution: send only reports on your own files",
        )),
        _ => Ok(()),
    }
}

/// No server paths in answers.
fn without_paths(outcome: ImportOutcome) -> ImportOutcome {
    match outcome {
        ImportOutcome::Quarantined { file, error, .. } => ImportOutcome::Quarantined {
            file,
            moved_to: None,
            error,
        },
        other => other,
    }
}

fn content_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn too_large(max: u64, quarantined: bool) -> ApiError {
    let kept = if quarantined {
        "its first bytes are kept in quarantine for the fund's staff, nothing was imported"
    } else {
        "nothing was kept"
    };
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!(
            "a report may be at most {max} bytes (max_report_bytes); {kept}: split it, or ask the fund to raise the limit"
        ),
    )
}

/// Streams the body into `dir/name` under a unique hidden name (private, whatever the
/// umask), returning the final path; stops at `max_report_bytes` (the part received is
/// kept, marked cut off, for the quarantine).
async fn receive(
    body: Body,
    dir: &std::path::Path,
    name: &str,
    settings: &crate::cycle::CycleSettings,
) -> Result<Received, ApiError> {
    let server = |err: std::io::Error| {
        tracing::error!(error = %err, "cannot store an uploaded report");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "upload_failed",
            "the upload could not be stored on the server; send it again later",
        )
    };
    let access = settings.access;
    access.create_dir_all(dir).map_err(server)?;
    let unique = crate::store::random_token();
    let partial = dir.join(format!(".{unique}.part"));
    let target_dir = dir.join(&unique[..16]);
    let mut file = tokio::fs::File::from_std(access.create_new(&partial).map_err(server)?);
    let mut stream = body.into_data_stream();
    let mut size: u64 = 0;
    let mut cut_off = false;
    loop {
        let chunk = match stream.try_next().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(err) => {
                let _ = tokio::fs::remove_file(&partial).await;
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "upload_interrupted",
                    format!("the upload was interrupted: {err}"),
                ));
            }
        };
        if size + chunk.len() as u64 > settings.max_report_bytes {
            // Cut off at the limit: what came so far is kept for the quarantine, the rest
            // of the body is not read.
            let room = usize::try_from(settings.max_report_bytes - size).unwrap_or(0);
            file.write_all(&chunk[..room.min(chunk.len())])
                .await
                .map_err(server)?;
            cut_off = true;
            break;
        }
        size += chunk.len() as u64;
        file.write_all(&chunk).await.map_err(server)?;
    }
    if size == 0 {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty",
            "the request body is empty: send the report's bytes as the body",
        ));
    }
    file.sync_all().await.map_err(server)?;
    drop(file);
    // Each upload in its own folder, so the file keeps the name the bank gave it.
    access.create_dir_all(&target_dir).map_err(server)?;
    let target = target_dir.join(name);
    tokio::fs::rename(&partial, &target).await.map_err(server)?;
    Ok(Received {
        path: target,
        cut_off,
    })
}

/// An upload received: where it is, and whether it was cut off at `max_report_bytes`.
struct Received {
    path: PathBuf,
    cut_off: bool,
}

#[cfg(test)]
mod tests {
    use super::safe_name;

    #[test]
    fn upload_names_cannot_escape_or_hide_and_unnamed_ones_are_named_by_the_clock() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-10T08:00:01.250Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            safe_name(Some("camt054-0001.xml"), now).unwrap(),
            "camt054-0001.xml"
        );
        assert!(safe_name(Some("../outbox/x.xml"), now).is_err());
        assert!(safe_name(Some(".hidden"), now).is_err());
        assert!(safe_name(Some("a/b"), now).is_err());
        assert_eq!(
            safe_name(None, now).unwrap(),
            "upload-20261210T080001250.dat"
        );
    }
}
