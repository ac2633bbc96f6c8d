//! The exceptions page: newest first, paged, with the open count on every page, and the
//! audited resolution of one: by a note, or by an action on its debit (hold, cancel,
//! re-present — the debit page's forms, with their reason); a resolved one says which.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{ActionButton, actor_words, buttons, nav, paged};
use crate::locale::{Word, page_moment};
use crate::store::{Actor, ExceptionStatus};
use crate::web::WebState;
use crate::web::i18n::{DebitTexts, refusals};
use crate::web::session::{Chrome, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/exceptions", get(exceptions))
        .route("/console/exceptions/{id}/resolve", post(resolve))
}

struct ExceptionRow {
    id: i64,
    kind: &'static str,
    detail: String,
    created: String,
    open: bool,
    resolution: String,
    resolved_by: String,
    /// The debit it is about, with the actions that would resolve it (open ones).
    collection_id: Option<i64>,
    actions: Vec<ActionButton>,
    /// How it was resolved: by which action, or by a note.
    resolved_how: String,
}

/// Exceptions shown per page (newest first; the page links to the older ones).
const EXCEPTIONS_PER_PAGE: i64 = 100;

#[derive(Template)]
#[template(path = "web/console/exceptions.html")]
struct ExceptionsPage {
    c: Chrome,
    d: &'static DebitTexts,
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
    let (found, open) = tokio::try_join!(
        async {
            store
                .exceptions_before(before, EXCEPTIONS_PER_PAGE + 1)
                .await
                .map_err(fail)
        },
        async { store.open_exception_count().await.map_err(fail) },
    )?;
    let (found, older) = paged(found, EXCEPTIONS_PER_PAGE, |e| e.id);
    let d = DebitTexts::of(viewer.lang);
    let codes = found.iter().filter_map(|e| e.resolved_by.clone()).collect();
    let actors = actor_words(store, codes, viewer.lang).await;
    let mut rows = Vec::with_capacity(found.len());
    for e in found {
        let open = e.status == ExceptionStatus::Open;
        // The actions its debit allows now (only for an open one: a page of at most
        // `EXCEPTIONS_PER_PAGE`, most of them resolved).
        let actions = match (open, e.collection_id) {
            (true, Some(id)) => match store.debit(id).await {
                Ok(debit) => buttons(&debit, viewer, false),
                Err(err) => return Err(fail(err)),
            },
            _ => Vec::new(),
        };
        let resolved_how = match e.resolved_by_action {
            _ if open => String::new(),
            Some(action) => format!("{} : {}", d.resolved_by_action, action.word(viewer.lang)),
            None => d.resolved_by_note.to_owned(),
        };
        rows.push(ExceptionRow {
            id: e.id,
            kind: e.kind.word(viewer.lang),
            detail: crate::locale::report_item_detail(&e.detail, viewer.lang),
            created: page_moment(&e.created_at),
            open,
            resolution: e.resolution.unwrap_or_default(),
            resolved_by: e
                .resolved_by
                .and_then(|code| actors.get(&code).cloned())
                .unwrap_or_default(),
            collection_id: e.collection_id,
            actions,
            resolved_how,
        });
    }
    let page = ExceptionsPage {
        c: viewer.chrome(nav(viewer, "exceptions")),
        d,
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
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
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
