//! Refunds on the web (issue 15 point 4). The portal: the employer's refundable credit and
//! its choice — keep it for the next due date, or have it refunded to its account (a
//! request staff approve) — with its refunds and their states. The console: the requests
//! waiting for a decision (approve, or refuse with a reason; whoever asked on the staff
//! side does not approve) and the latest refunds. Forms with CSRF, post/redirect/get.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::locale::{Word, page_moment};
use crate::store::Duty;
use crate::store::{Actor, RefundRecord, RefundRequester, RefundStatus, StoreError};
use crate::web::WebState;
use crate::web::i18n::{RefundTexts, money};
use crate::web::portal::{employer_for, employer_to, nav as portal_nav};
use crate::web::session::{Chrome, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/portal/{employer}/refunds",
            get(portal_page).post(portal_choice),
        )
        .route("/console/refunds", get(console_page))
        .route("/console/refunds/{id}/approve", post(approve))
        .route("/console/refunds/{id}/refuse", post(refuse))
}

/// Refunds listed on the console's page besides those waiting.
const RECENT_SHOWN: usize = 50;

/// One refund as the pages show it.
struct RefundRow {
    id: i64,
    employer: String,
    date: String,
    amount: String,
    status: &'static str,
    requested_by: &'static str,
    note: String,
    /// The console's waiting requests: the masked account the refund would go to, or why
    /// it would wait.
    destination: String,
}

fn row(viewer: &Viewer, r: &RefundRecord, employer: String) -> RefundRow {
    let t = RefundTexts::of(viewer.lang);
    RefundRow {
        id: r.id,
        employer,
        date: page_moment(&r.requested_at),
        amount: money(r.amount, viewer.lang),
        status: r.status.word(viewer.lang),
        requested_by: match (r.dispute_id, r.requested_by_staff) {
            (Some(_), _) => t.by_dispute,
            (None, true) => t.by_staff,
            (None, false) => t.by_employer,
        },
        note: r.decision_note.clone().unwrap_or_default(),
        destination: String::new(),
    }
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "web/portal/refunds.html")]
struct PortalPage {
    c: Chrome,
    r: &'static RefundTexts,
    employer_id: i64,
    credit: String,
    has_credit: bool,
    /// The request waiting for staff, if any (the employer may still keep its credit).
    waiting: Option<i64>,
    rows: Vec<RefundRow>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

async fn render_portal(
    state: &WebState,
    viewer: &Viewer,
    employer_id: i64,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> PageResult {
    let (session, _) = employer_for(state, viewer, employer_id).await?;
    let store = state.store();
    let credit = store
        .refundable_credit(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let refunds = store
        .refunds(Some(employer_id), None)
        .await
        .map_err(|e| viewer.fail(e))?;
    let waiting = refunds
        .iter()
        .find(|r| r.status == RefundStatus::Requested)
        .map(|r| r.id);
    let page = PortalPage {
        c: viewer.chrome(portal_nav(viewer, &session, employer_id, "refunds")),
        r: RefundTexts::of(viewer.lang),
        employer_id,
        credit: money(credit, viewer.lang),
        has_credit: credit > mandates::Amount::ZERO,
        waiting,
        rows: refunds
            .iter()
            .map(|r| row(viewer, r, String::new()))
            .collect(),
        notice,
        error,
    };
    viewer.page(status, &page)
}

async fn portal_page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let r = RefundTexts::of(viewer.lang);
    let notice = match query.done.as_deref() {
        Some("asked") => Some(r.asked),
        Some("kept") => Some(r.withdrawn),
        _ => None,
    };
    render_portal(&state, &viewer, employer_id, StatusCode::OK, notice, None).await
}

#[derive(Deserialize)]
struct ChoiceForm {
    #[serde(default)]
    csrf: String,
    /// `refund` or `keep`.
    #[serde(default)]
    choice: String,
}

/// The employer's choice: a refund request of the whole credit, or the credit kept (a
/// request still waiting is withdrawn).
async fn portal_choice(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Form(form): Form<ChoiceForm>,
) -> PageResult {
    // Asking for money to leave, or withdrawing the request: who may sign the mandate (a
    // view-only colleague is refused).
    let (session, _) = employer_to(&state, &viewer, employer_id, Duty::Sign).await?;
    viewer.check_csrf(&form.csrf)?;
    let actor = Actor::new(format!("user:{}", session.user.id));
    let store = state.store();
    let result = match form.choice.as_str() {
        "refund" => store
            .request_refund(&actor, employer_id, None, RefundRequester::Employer)
            .await
            .map(|_| "asked"),
        "keep" => {
            let waiting = store
                .refunds(Some(employer_id), Some(RefundStatus::Requested))
                .await
                .map_err(|e| viewer.fail(e))?;
            match waiting.first() {
                Some(r) => store.withdraw_refund(&actor, r.id).await.map(|_| "kept"),
                None => Ok("kept"),
            }
        }
        _ => Err(StoreError::Invalid("choose keep or refund".to_owned())),
    };
    match result {
        Ok(done) => Ok(see_other(&format!(
            "/portal/{employer_id}/refunds?done={done}"
        ))),
        Err(StoreError::Conflict(_) | StoreError::Invalid(_)) => {
            let r = RefundTexts::of(viewer.lang);
            render_portal(
                &state,
                &viewer,
                employer_id,
                StatusCode::CONFLICT,
                None,
                Some(r.refused_request),
            )
            .await
        }
        Err(err) => Err(viewer.fail(err)),
    }
}

#[derive(Template)]
#[template(path = "web/console/refunds.html")]
struct ConsolePage {
    c: Chrome,
    r: &'static RefundTexts,
    waiting: Vec<RefundRow>,
    recent: Vec<RefundRow>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

async fn render_console(
    state: &WebState,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> PageResult {
    viewer.staff()?;
    let store = state.store();
    let all = store
        .refunds(None, None)
        .await
        .map_err(|e| viewer.fail(e))?;
    let mut waiting = Vec::new();
    let mut recent = Vec::new();
    for refund in &all {
        let is_waiting = refund.status == RefundStatus::Requested;
        if !is_waiting && recent.len() >= RECENT_SHOWN {
            continue;
        }
        let employer = store
            .employer(refund.employer_id)
            .await
            .map_err(|e| viewer.fail(e))?;
        let mut shown = row(
            viewer,
            refund,
            format!("{} ({})", employer.name, employer.affiliation_number),
        );
        if is_waiting {
            shown.destination = store
                .refund_destination(refund.employer_id)
                .await
                .map_err(|e| viewer.fail(e))?
                .unwrap_or_else(|| RefundTexts::of(viewer.lang).no_destination.to_owned());
            waiting.push(shown);
        } else {
            recent.push(shown);
        }
    }
    let page = ConsolePage {
        c: viewer.chrome(super::console::nav(viewer, "refunds")),
        r: RefundTexts::of(viewer.lang),
        waiting,
        recent,
        notice,
        error,
    };
    viewer.page(status, &page)
}

async fn console_page(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let r = RefundTexts::of(viewer.lang);
    let notice = match query.done.as_deref() {
        Some("approved") => Some(r.approved),
        Some("refused") => Some(r.refused),
        _ => None,
    };
    render_console(&state, &viewer, StatusCode::OK, notice, None).await
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn decide(
    state: WebState,
    viewer: Viewer,
    id: i64,
    form: DecisionForm,
    approve: bool,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let actor = Actor::new(format!("user:{}", session.user.id));
    let note = (!approve).then_some(form.reason.as_str());
    match state.store().decide_refund(&actor, id, approve, note).await {
        Ok(_) => Ok(see_other(if approve {
            "/console/refunds?done=approved"
        } else {
            "/console/refunds?done=refused"
        })),
        Err(StoreError::Conflict(_) | StoreError::Invalid(_)) => {
            let r = RefundTexts::of(viewer.lang);
            render_console(
                &state,
                &viewer,
                StatusCode::CONFLICT,
                None,
                Some(r.decision_refused),
            )
            .await
        }
        Err(err) => Err(viewer.fail(err)),
    }
}

async fn approve(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    decide(state, viewer, id, form, true).await
}

async fn refuse(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    decide(state, viewer, id, form, false).await
}
