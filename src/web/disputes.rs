//! Disputes in the pages. Employer users (portal, through `portal::employer_for`, so only
//! their own employers' collections and cases): contest a collection from the history (a
//! reason from the list and a plain-text message), get the case number in the response,
//! follow the case (status, deadline, messages, the fund's answer), write again. Staff
//! (console): the queue by deadline with overdue cases marked, a case with its collection
//! (account masked) and the answer form (outcome and message; audited, emailed).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use mandates::Amount;
use serde::Deserialize;

use super::WebState;
use super::i18n::{Texts, money};
use super::session::{Chrome, PageResult, Refusal, Viewer, see_other};
use crate::notices::render::last4;
use crate::store::{
    Actor, ContestKind, DisputeMessage, DisputeOutcome, DisputeReason, DisputeRecord,
    DisputeRefusal, DisputeState,
};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/portal/{employer}/disputes", get(portal_list))
        .route("/portal/{employer}/disputes/{dispute}", get(portal_case))
        .route(
            "/portal/{employer}/collections/{collection}/dispute",
            get(contest_page).post(contest),
        )
        .route("/console/disputes", get(queue))
        .route("/console/disputes/{dispute}", get(console_case))
        .route("/console/disputes/{dispute}/answer", post(answer))
}

pub(super) fn reason_label(t: &Texts, code: &str) -> &'static str {
    match DisputeReason::from_code(code) {
        Some(DisputeReason::AmountWrong) => t.reason_amount_wrong,
        Some(DisputeReason::AlreadyPaid) => t.reason_already_paid,
        Some(DisputeReason::NotAuthorised) => t.reason_not_authorised,
        Some(DisputeReason::DuplicateDebit) => t.reason_duplicate_debit,
        Some(DisputeReason::Other) | None => t.reason_other,
    }
}

fn outcome_label(t: &Texts, code: &str) -> &'static str {
    match DisputeOutcome::from_code(code) {
        Some(DisputeOutcome::Upheld) => t.upheld,
        _ => t.rejected,
    }
}

/// A refusal in the reader's language, and the status it is answered with: 422 for what
/// was typed, 409 for the state of the collection or case.
fn refusal(t: &Texts, refusal: &DisputeRefusal) -> (StatusCode, String) {
    let input = StatusCode::UNPROCESSABLE_ENTITY;
    let state = StatusCode::CONFLICT;
    match refusal {
        DisputeRefusal::UnknownReason => (input, t.err_reason.to_owned()),
        DisputeRefusal::UnknownOutcome => (input, t.err_outcome.to_owned()),
        DisputeRefusal::EmptyMessage => (input, t.err_message_empty.to_owned()),
        DisputeRefusal::MessageTooLong { chars } => {
            (input, format!("{} {chars}", t.err_message_long))
        }
        DisputeRefusal::NotPlainText => (input, t.err_message_plain.to_owned()),
        DisputeRefusal::NotContestable { .. } => (state, t.err_cancelled.to_owned()),
        DisputeRefusal::Closed { .. } => (state, t.err_closed.to_owned()),
        DisputeRefusal::TooManyMessages { .. } => (state, t.err_too_many.to_owned()),
        DisputeRefusal::NotOpen { .. } => (state, t.err_not_open.to_owned()),
    }
}

/// `2026-12-16T09:30:00Z` → `2026-12-16 10:30` (Africa/Algiers, UTC+1).
fn algiers_time(timestamp: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(timestamp)
        .map(|t| {
            (t.with_timezone(&chrono::Utc) + chrono::Duration::hours(1))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| timestamp.to_owned())
}

/// A case as the pages show it.
struct CaseView {
    id: i64,
    number: String,
    collection_id: i64,
    collection_date: String,
    amount: String,
    collection_status: String,
    employer: String,
    affiliation: String,
    reason: &'static str,
    /// `open`, `answered` or `closed` (a CSS class and a test hook).
    state: &'static str,
    state_label: &'static str,
    overdue: bool,
    outcome: &'static str,
    deadline_label: &'static str,
    deadline: String,
    opened_on: String,
    messages: i64,
}

fn case_view(viewer: &Viewer, case: &DisputeRecord) -> CaseView {
    let t = viewer.texts();
    let (state, state_label, overdue, deadline_label) = match case.state(super::algiers_today()) {
        DisputeState::Open { overdue } => ("open", t.dispute_open, overdue, t.answer_by),
        DisputeState::Answered => ("answered", t.dispute_answered, false, t.write_again_until),
        DisputeState::Closed => ("closed", t.dispute_closed, false, t.case_closed_since),
    };
    CaseView {
        id: case.id,
        number: case.case_number.clone(),
        collection_id: case.collection_id,
        collection_date: case.collection_date.clone(),
        amount: money(Amount::from_centimes(case.amount_centimes), viewer.lang),
        collection_status: case.collection_status.clone(),
        employer: case.employer_name.clone(),
        affiliation: case.affiliation_number.clone(),
        reason: reason_label(t, &case.reason),
        state,
        state_label,
        overdue,
        outcome: case
            .outcome
            .as_deref()
            .map(|o| outcome_label(t, o))
            .unwrap_or(""),
        deadline_label,
        deadline: case.deadline.clone(),
        opened_on: algiers_time(&case.opened_at),
        messages: case.messages,
    }
}

struct MessageView {
    id: i64,
    from_fund: bool,
    author: &'static str,
    at: String,
    /// The reason (employer) or the outcome (fund), when given.
    label: &'static str,
    body: String,
}

fn message_views(viewer: &Viewer, messages: Vec<DisputeMessage>) -> Vec<MessageView> {
    let t = viewer.texts();
    messages
        .into_iter()
        .map(|m| {
            let from_fund = m.author == "fund";
            let label = match (&m.reason, &m.outcome) {
                (_, Some(outcome)) => outcome_label(t, outcome),
                (Some(reason), None) => reason_label(t, reason),
                (None, None) => "",
            };
            MessageView {
                id: m.id,
                from_fund,
                author: if from_fund {
                    t.from_fund
                } else {
                    t.from_employer
                },
                at: algiers_time(&m.created_at),
                label,
                body: m.body,
            }
        })
        .collect()
}

/// The options of a select: (code, label, selected).
type Options = Vec<(&'static str, &'static str, bool)>;

fn reason_options(t: &Texts, selected: &str) -> Options {
    DisputeReason::ALL
        .into_iter()
        .map(|r| (r.code(), reason_label(t, r.code()), r.code() == selected))
        .collect()
}

fn outcome_options(t: &Texts, selected: &str) -> Options {
    DisputeOutcome::ALL
        .into_iter()
        .map(|o| (o.code(), outcome_label(t, o.code()), o.code() == selected))
        .collect()
}

#[derive(Deserialize)]
struct MessageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

// ---- Portal -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "web/portal_disputes.html")]
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
    let (session, _) = super::portal::employer_for(&state, &viewer, employer_id).await?;
    let cases = state
        .store()
        .employer_disputes(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let page = PortalListPage {
        c: viewer.chrome(super::portal::nav(
            &viewer,
            &session,
            employer_id,
            "disputes",
        )),
        employer_id,
        cases: cases.iter().map(|c| case_view(&viewer, c)).collect(),
        console: false,
        base: format!("/portal/{employer_id}/disputes/"),
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "web/portal_contest.html")]
struct ContestPage {
    c: Chrome,
    employer_id: i64,
    collection_id: i64,
    date: String,
    amount: String,
    status: String,
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
    let (session, _) = super::portal::employer_for(state, viewer, employer_id).await?;
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
    let blocked = if collection.status == "cancelled" {
        Some(t.err_cancelled)
    } else if case
        .as_ref()
        .is_some_and(|c| c.state(super::algiers_today()) == DisputeState::Closed)
    {
        Some(t.err_closed)
    } else {
        None
    };
    let page = ContestPage {
        c: viewer.chrome(super::portal::nav(
            viewer,
            &session,
            employer_id,
            "disputes",
        )),
        employer_id,
        collection_id,
        date: collection.collection_date,
        amount: money(
            Amount::from_centimes(collection.amount_centimes),
            viewer.lang,
        ),
        status: collection.status,
        existing: case.map(|c| (c.id, c.case_number)),
        blocked,
        error,
        reasons: reason_options(t, reason),
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
    let (session, _) = super::portal::employer_for(&state, &viewer, employer_id).await?;
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
    let t = viewer.texts();
    match result {
        Ok(contested) => {
            let (status, banner, emailed) = match contested.kind {
                ContestKind::Opened => (StatusCode::CREATED, t.dispute_opened, true),
                ContestKind::Reopened => (StatusCode::OK, t.dispute_reopened, true),
                ContestKind::Joined => (StatusCode::OK, t.dispute_joined, false),
                ContestKind::Repeated => (StatusCode::OK, t.dispute_repeated, false),
            };
            render_portal_case(
                &state,
                &viewer,
                employer_id,
                contested.dispute_id,
                status,
                Some((banner, emailed)),
            )
            .await
        }
        Err(refused) => {
            let (status, text) = refusal(t, &refused);
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
#[template(path = "web/portal_dispute.html")]
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
    let (session, _) = super::portal::employer_for(state, viewer, employer_id).await?;
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
        c: viewer.chrome(super::portal::nav(
            viewer,
            &session,
            employer_id,
            "disputes",
        )),
        employer_id,
        case: case_view(viewer, &case),
        messages: message_views(viewer, messages),
        banner,
        reasons: reason_options(viewer.texts(), &case.reason),
        message: String::new(),
    };
    viewer.page(status, &page)
}

async fn portal_case(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, dispute_id)): Path<(i64, i64)>,
) -> PageResult {
    render_portal_case(
        &state,
        &viewer,
        employer_id,
        dispute_id,
        StatusCode::OK,
        None,
    )
    .await
}

// ---- Console ------------------------------------------------------------------------

/// Answered cases listed under the open ones in the queue.
const ANSWERED_SHOWN: i64 = 100;

#[derive(Template)]
#[template(path = "web/console_disputes.html")]
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
    let page = QueuePage {
        c: viewer.chrome(super::console::nav(&viewer, "disputes")),
        cases: cases.iter().map(|c| case_view(&viewer, c)).collect(),
        console: true,
        base: "/console/disputes/",
    };
    viewer.page(StatusCode::OK, &page)
}

/// The collection of a case as staff see it: the account masked to its last 4 digits.
struct CollectionView {
    channel: String,
    attempt: i64,
    failure: String,
    mandate: String,
    account: String,
    bank: String,
    lines: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "web/console_dispute.html")]
struct ConsoleCasePage {
    c: Chrome,
    case: CaseView,
    collection: CollectionView,
    messages: Vec<MessageView>,
    notice: Option<&'static str>,
    error: Option<String>,
    outcomes: Options,
    message: String,
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
        channel: facts.channel,
        attempt: facts.attempt,
        failure: [facts.reason_category, facts.reason_code]
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
    let (outcome, message) = form.map(|f| (f.outcome, f.message)).unwrap_or_default();
    let page = ConsoleCasePage {
        c: viewer.chrome(super::console::nav(viewer, "disputes")),
        case: case_view(viewer, &case),
        collection,
        messages: message_views(viewer, messages),
        notice,
        error,
        outcomes: outcome_options(viewer.texts(), &outcome),
        message,
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
    let result = state
        .store()
        .answer_dispute(&actor, dispute_id, &form.outcome, &form.message)
        .await
        .map_err(|e| viewer.fail(e))?;
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
