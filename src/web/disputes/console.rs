//! The fund's side of disputes (staff only): the queue by deadline with overdue cases
//! marked, a case with its collection (account masked to its last 4 digits) and the
//! answer form (outcome and message; audited, emailed to the employer).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{
    CaseView, MessageForm, MessageView, Options, case_view, message_views, outcome_options, refusal,
};
use crate::locale::{Word, last4};
use crate::store::{Actor, DisputeAction, StoreError};
use crate::web::WebState;
use crate::web::console::nav;
use crate::web::i18n::{RefundTexts, money};
use crate::web::session::{Chrome, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/disputes", get(queue))
        .route("/console/disputes/{dispute}", get(console_case))
        .route("/console/disputes/{dispute}/answer", post(answer))
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

/// Answered cases listed under the open ones in the queue.
const ANSWERED_SHOWN: i64 = 100;

#[derive(Template)]
#[template(path = "web/console/disputes.html")]
struct QueuePage {
    c: Chrome,
    cases: Vec<CaseView>,
    console: bool,
    base: &'static str,
}

async fn queue(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    viewer.staff()?;
    let cases = state
        .store()
        .dispute_queue(ANSWERED_SHOWN)
        .await
        .map_err(|e| viewer.fail(e))?;
    let today = state.store().clock().today();
    let page = QueuePage {
        c: viewer.chrome(nav(&viewer, "disputes")),
        cases: cases.iter().map(|c| case_view(&viewer, c, today)).collect(),
        console: true,
        base: "/console/disputes/",
    };
    viewer.page(StatusCode::OK, &page)
}

/// The collection of a case as staff see it: the account masked to its last 4 digits.
struct CollectionView {
    channel: &'static str,
    attempt: i64,
    failure: String,
    mandate: String,
    account: String,
    bank: String,
    lines: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "web/console/dispute.html")]
struct ConsoleCasePage {
    c: Chrome,
    case: CaseView,
    collection: CollectionView,
    messages: Vec<MessageView>,
    notice: Option<&'static str>,
    error: Option<String>,
    outcomes: Options,
    message: String,
    r: &'static RefundTexts,
    /// What an upheld answer may do about the money (those that fit the debit).
    actions: Options,
}

async fn render_console_case(
    state: &WebState,
    viewer: &Viewer,
    dispute_id: i64,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
    form: Option<MessageForm>,
) -> PageResult {
    let store = state.store();
    let case = store
        .dispute(dispute_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let messages = store
        .dispute_messages(dispute_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let facts = store
        .collection_facts(case.collection_id, false)
        .await
        .map_err(|e| viewer.fail(e))?;
    let collection = CollectionView {
        channel: facts.channel.word(viewer.lang),
        attempt: facts.attempt,
        failure: [
            facts
                .reason_category
                .map(|category| category.word(viewer.lang).to_owned()),
            facts.reason_code,
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" / "),
        mandate: facts.mandate_reference,
        account: last4(&facts.account_masked),
        bank: facts.bank_name.unwrap_or(facts.bank_code),
        lines: facts
            .lines
            .into_iter()
            .map(|l| {
                (
                    format!("{} — {}", l.worksite_code, l.worksite_name),
                    l.period,
                    money(l.amount, viewer.lang),
                )
            })
            .collect(),
    };
    let (outcome, message, action) = form
        .map(|f| (f.outcome, f.message, f.action))
        .unwrap_or_default();
    let actions = store
        .dispute_actions(dispute_id)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|a| (a.as_str(), a.word(viewer.lang), a.as_str() == action))
        .collect();
    let page = ConsoleCasePage {
        c: viewer.chrome(nav(viewer, "disputes")),
        case: case_view(viewer, &case, store.clock().today()),
        collection,
        messages: message_views(viewer, messages),
        notice,
        error,
        outcomes: outcome_options(viewer.lang, &outcome),
        message,
        r: RefundTexts::of(viewer.lang),
        actions,
    };
    viewer.page(status, &page)
}

async fn console_case(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(dispute_id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    viewer.staff()?;
    let notice = query
        .done
        .filter(|d| d == "answered")
        .map(|_| viewer.texts().answer_recorded);
    render_console_case(
        &state,
        &viewer,
        dispute_id,
        StatusCode::OK,
        notice,
        None,
        None,
    )
    .await
}

async fn answer(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(dispute_id): Path<i64>,
    Form(form): Form<MessageForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let actor = Actor::new(format!("user:{}", session.user.id));
    let action = match form.action.trim() {
        "" => None,
        text => Some(DisputeAction::parse(text).map_err(|_| {
            viewer.fail(StoreError::Invalid(format!(
                "unknown action {text:?}: choose one of the actions offered"
            )))
        })?),
    };
    let result = state
        .store()
        .answer_dispute(
            &actor,
            dispute_id,
            &form.outcome,
            &form.message,
            action,
            &state.channel_policy(),
        )
        .await;
    let result = match result {
        Err(StoreError::Conflict(_) | StoreError::Invalid(_)) => {
            let text = RefundTexts::of(viewer.lang).action_refused.to_owned();
            return render_console_case(
                &state,
                &viewer,
                dispute_id,
                StatusCode::CONFLICT,
                None,
                Some(text),
                Some(form),
            )
            .await;
        }
        other => other.map_err(|e| viewer.fail(e))?,
    };
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/console/disputes/{dispute_id}?done=answered"
        ))),
        Err(refused) => {
            let (status, text) = refusal(viewer.texts(), &refused);
            render_console_case(
                &state,
                &viewer,
                dispute_id,
                status,
                None,
                Some(text),
                Some(form),
            )
            .await
        }
    }
}
