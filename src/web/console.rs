//! The finance console (finance staff and administrators only): a dashboard, runs and
//! files (with download), exceptions with an audited resolution, quarantined files. The
//! other screens (runs, reports, employers, calendar, rates, users) are in
//! [`super::console_views`].

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use mandates::Amount;
use serde::Deserialize;

use super::WebState;
use super::i18n::money;
use super::session::{Chrome, NavLink, PageResult, Refusal, Viewer, see_other};
use crate::cycle::exchange::{self, Folder};
use crate::store::Actor;

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console", get(dashboard))
        .route("/console/files", get(files))
        .route("/console/files/{id}/download", get(download))
        .route("/console/exceptions", get(exceptions))
        .route("/console/exceptions/{id}/resolve", post(resolve))
        .route("/console/quarantine", get(quarantine))
}

pub(super) fn nav(viewer: &Viewer, current: &str) -> Vec<NavLink> {
    let t = viewer.texts();
    [
        ("dashboard", "/console", t.dashboard),
        ("files", "/console/files", t.runs_files),
        ("exceptions", "/console/exceptions", t.exceptions),
        ("quarantine", "/console/quarantine", t.quarantine),
        ("disputes", "/console/disputes", t.disputes),
    ]
    .into_iter()
    .chain(super::console_views::nav_entries(viewer))
    .map(|(key, href, label)| NavLink {
        href: href.to_owned(),
        label,
        current: key == current,
    })
    .collect()
}

struct CountRow {
    channel: String,
    status: String,
    count: i64,
    amount: String,
}

/// A file as `_files_table.html` shows it (the files page and a run's page).
pub(super) struct FileRow {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) institution: String,
    pub(super) format: String,
    pub(super) sequence: i64,
    pub(super) date: String,
    pub(super) transactions: i64,
    pub(super) control_sum: String,
    pub(super) sha256: String,
    pub(super) downloaded: String,
}

#[derive(Template)]
#[template(path = "web/console_dashboard.html")]
struct DashboardPage {
    c: Chrome,
    counts: Vec<CountRow>,
    open_exceptions: i64,
    quarantined: i64,
    files: Vec<FileRow>,
    extras: super::console_views::DashboardExtras,
}

pub(super) fn file_rows(viewer: &Viewer, files: Vec<crate::store::BankFileRecord>) -> Vec<FileRow> {
    files
        .into_iter()
        .map(|f| FileRow {
            id: f.id,
            name: f.file_name,
            institution: f.institution,
            format: f.format,
            sequence: f.sequence,
            date: f.collection_date,
            transactions: f.transactions,
            control_sum: money(Amount::from_centimes(f.control_sum_centimes), viewer.lang),
            sha256: f.sha256,
            downloaded: f.downloaded_at.unwrap_or_default(),
        })
        .collect()
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
        super::console_views::dashboard_extras(&state, &viewer),
    )?;
    let counts = counts
        .into_iter()
        .map(|(channel, status, count, amount)| CountRow {
            channel,
            status,
            count,
            amount: money(Amount::from_centimes(amount), viewer.lang),
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

#[derive(Template)]
#[template(path = "web/console_files.html")]
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
        .folder(&file.institution, Folder::Outbox)
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

struct ExceptionRow {
    id: i64,
    kind: String,
    detail: String,
    created: String,
    open: bool,
    resolution: String,
    resolved_by: String,
}

/// Exceptions shown per page (newest first; the page links to the older ones).
const EXCEPTIONS_PER_PAGE: i64 = 100;

#[derive(Template)]
#[template(path = "web/console_exceptions.html")]
struct ExceptionsPage {
    c: Chrome,
    rows: Vec<ExceptionRow>,
    open: i64,
    /// The id to page on from, when older exceptions remain.
    older: Option<i64>,
    /// True on a page other than the newest.
    paged: bool,
    error: Option<String>,
}

/// `?before=ID`; anything else shows the newest page.
#[derive(Deserialize)]
struct ExceptionsQuery {
    before: Option<String>,
}

async fn render_exceptions(
    state: &WebState,
    viewer: &Viewer,
    status: StatusCode,
    before: Option<i64>,
    error: Option<String>,
) -> PageResult {
    let store = state.store();
    let fail = |e| viewer.fail(e);
    let (mut found, open) = tokio::try_join!(
        async {
            store
                .exceptions_before(before, EXCEPTIONS_PER_PAGE + 1)
                .await
                .map_err(fail)
        },
        async { store.open_exception_count().await.map_err(fail) },
    )?;
    let more = found.len() as i64 > EXCEPTIONS_PER_PAGE;
    found.truncate(EXCEPTIONS_PER_PAGE as usize);
    let older = more.then(|| found.last().map(|e| e.id)).flatten();
    let rows = found
        .into_iter()
        .map(|e| ExceptionRow {
            id: e.id,
            kind: e.kind,
            detail: e.detail,
            created: e.created_at,
            open: e.status == "open",
            resolution: e.resolution.unwrap_or_default(),
            resolved_by: e.resolved_by.unwrap_or_default(),
        })
        .collect();
    let page = ExceptionsPage {
        c: viewer.chrome(nav(viewer, "exceptions")),
        rows,
        open,
        older,
        paged: before.is_some(),
        error,
    };
    viewer.page(status, &page)
}

async fn exceptions(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<ExceptionsQuery>,
) -> PageResult {
    viewer.staff()?;
    let before = query.before.and_then(|id| id.parse::<i64>().ok());
    render_exceptions(&state, &viewer, StatusCode::OK, before, None).await
}

#[derive(Deserialize)]
struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    resolution: String,
}

async fn resolve(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<ResolveForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let actor = Actor::new(format!("user:{}", session.user.id));
    match state
        .store()
        .resolve_exception(&actor, id, &form.resolution)
        .await
    {
        Ok(_) => Ok(see_other("/console/exceptions")),
        Err(err) => match super::i18n_refusals::refusal_message(viewer.lang, &err) {
            Some(message) => {
                render_exceptions(
                    &state,
                    &viewer,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    Some(message),
                )
                .await
            }
            None => Err(viewer.fail(err)),
        },
    }
}

#[derive(Template)]
#[template(path = "web/console_quarantine.html")]
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
        .map(|(id, name, _path, error)| (id, name, error))
        .collect();
    let page = QuarantinePage {
        c: viewer.chrome(nav(&viewer, "quarantine")),
        rows,
    };
    viewer.page(StatusCode::OK, &page)
}
