//! The employer's side of disputes (through `portal::employer_for`, so only its own
//! employers' collections and cases): the list of its cases, contesting a collection from
//! the history (a reason from the list and a plain-text message), answered by a redirect
//! to the case's page with its number (post/redirect/get), and a case followed and
//! written to again.

use crate::store::Duty;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use mandates::{Amount, CollectionStatus};
use serde::Deserialize;

use super::{
    CaseView, MessageForm, MessageView, Options, case_view, message_views, reason_options, refusal,
};
use crate::locale::EmployerWord;
use crate::store::{Actor, ContestKind, DisputeState};
use crate::web::WebState;
use crate::web::i18n::money;
use crate::web::portal::{employer_for, employer_to, nav};
use crate::web::session::{Chrome, PageResult, Refusal, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/portal/{employer}/disputes", get(portal_list))
        .route("/portal/{employer}/disputes/{dispute}", get(portal_case))
        .route(
            "/portal/{employer}/collections/{collection}/dispute",
            get(contest_page).post(contest),
        )
}

#[derive(Template)]
#[template(path = "web/portal/disputes.html")]
struct PortalListPage {
    c: Chrome,
    employer_id: i64,
    cases: Vec<CaseView>,
    console: bool,
    base: String,
}

async fn portal_list(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    let cases = state
        .store()
        .employer_disputes(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let today = state.store().clock().today();
    let page = PortalListPage {
        c: viewer.chrome(nav(&viewer, &session, employer_id, "disputes")),
        employer_id,
        cases: cases.iter().map(|c| case_view(&viewer, c, today)).collect(),
        console: false,
        base: format!("/portal/{employer_id}/disputes/"),
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "web/portal/contest.html")]
struct ContestPage {
    c: Chrome,
    employer_id: i64,
    collection_id: i64,
    date: String,
    amount: String,
    status: &'static str,
    /// The collection's case, when it has one (the message joins it).
    existing: Option<(i64, String)>,
    /// Why this collection cannot be contested (no form then).
    blocked: Option<&'static str>,
    error: Option<String>,
    reasons: Options,
    message: String,
}

#[allow(clippy::too_many_arguments)]
async fn render_contest(
    state: &WebState,
    viewer: &Viewer,
    employer_id: i64,
    collection_id: i64,
    status: StatusCode,
    error: Option<String>,
    reason: &str,
    message: String,
) -> PageResult {
    let (session, _) = employer_for(state, viewer, employer_id).await?;
    let store = state.store();
    let collection = store
        .employer_collection(employer_id, collection_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let case = store
        .collection_dispute(collection_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let t = viewer.texts();
    let blocked = if collection.status == CollectionStatus::Cancelled {
        Some(t.err_cancelled)
    } else if case
        .as_ref()
        .is_some_and(|c| c.state(store.clock().today()) == DisputeState::Closed)
    {
        Some(t.err_closed)
    } else {
        None
    };
    let page = ContestPage {
        c: viewer.chrome(nav(viewer, &session, employer_id, "disputes")),
        employer_id,
        collection_id,
        date: collection.collection_date,
        amount: money(
            Amount::from_centimes(collection.amount_centimes),
            viewer.lang,
        ),
        status: collection.status.employer_word(viewer.lang),
        existing: case.map(|c| (c.id, c.case_number)),
        blocked,
        error,
        reasons: reason_options(viewer.lang, reason),
        message,
    };
    viewer.page(status, &page)
}

async fn contest_page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, collection_id)): Path<(i64, i64)>,
) -> PageResult {
    render_contest(
        &state,
        &viewer,
        employer_id,
        collection_id,
        StatusCode::OK,
        None,
        "",
        String::new(),
    )
    .await
}

async fn contest(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, collection_id)): Path<(i64, i64)>,
    Form(form): Form<MessageForm>,
) -> PageResult {
    let (session, _) = employer_to(&state, &viewer, employer_id, Duty::Declare).await?;
    viewer.check_csrf(&form.csrf)?;
    let actor = Actor::new(format!("user:{}", session.user.id));
    let result = state
        .store()
        .contest_collection(
            &actor,
            employer_id,
            collection_id,
            &form.reason,
            &form.message,
        )
        .await
        .map_err(|e| viewer.fail(e))?;
    match result {
        // Post/redirect/get: the case page says what happened, and a refresh does not
        // contest again.
        Ok(contested) => {
            let done = match contested.kind {
                ContestKind::Opened => "opened",
                ContestKind::Reopened => "reopened",
                ContestKind::Joined => "joined",
                ContestKind::Repeated => "repeated",
            };
            Ok(see_other(&format!(
                "/portal/{employer_id}/disputes/{}?done={done}",
                contested.dispute_id
            )))
        }
        Err(refused) => {
            let (status, text) = refusal(viewer.texts(), &refused);
            render_contest(
                &state,
                &viewer,
                employer_id,
                collection_id,
                status,
                Some(text),
                &form.reason,
                form.message,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "web/portal/dispute.html")]
struct PortalCasePage {
    c: Chrome,
    employer_id: i64,
    case: CaseView,
    messages: Vec<MessageView>,
    /// What the form just did, and whether a confirmation is emailed.
    banner: Option<(&'static str, bool)>,
    reasons: Options,
    /// The message field, empty.
    message: String,
}

async fn render_portal_case(
    state: &WebState,
    viewer: &Viewer,
    employer_id: i64,
    dispute_id: i64,
    status: StatusCode,
    banner: Option<(&'static str, bool)>,
) -> PageResult {
    let (session, _) = employer_for(state, viewer, employer_id).await?;
    let store = state.store();
    let case = store
        .dispute(dispute_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    if case.employer_id != employer_id {
        return Err(viewer.refuse(Refusal::NotFound));
    }
    let messages = store
        .dispute_messages(dispute_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let page = PortalCasePage {
        c: viewer.chrome(nav(viewer, &session, employer_id, "disputes")),
        employer_id,
        case: case_view(viewer, &case, store.clock().today()),
        messages: message_views(viewer, messages),
        banner,
        reasons: reason_options(viewer.lang, case.reason.as_str()),
        message: String::new(),
    };
    viewer.page(status, &page)
}

/// `?done=opened|reopened|joined|repeated` after a contest.
#[derive(Deserialize)]
struct CaseQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn portal_case(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, dispute_id)): Path<(i64, i64)>,
    Query(query): Query<CaseQuery>,
) -> PageResult {
    let t = viewer.texts();
    let banner = match query.done.as_deref() {
        Some("opened") => Some((t.dispute_opened, true)),
        Some("reopened") => Some((t.dispute_reopened, true)),
        Some("joined") => Some((t.dispute_joined, false)),
        Some("repeated") => Some((t.dispute_repeated, false)),
        _ => None,
    };
    render_portal_case(
        &state,
        &viewer,
        employer_id,
        dispute_id,
        StatusCode::OK,
        banner,
    )
    .await
}
