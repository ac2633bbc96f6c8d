//! The employer's payment plans (`/portal/{employer}/plans`): the fund's rule in a few
//! sentences, the request form (for a user who may declare or sign for the employer, and
//! only while no request or plan is open), and the employer's plans with their
//! instalments and what paid them. A request still waiting for the fund's answer can be
//! withdrawn by the same users, on a confirmation page of its own (like revoking a
//! mandate): `/portal/{employer}/plans/{plan}/withdraw`, audited by the store.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;

use super::{DoneQuery, employer_for, nav};
use crate::store::{Actor, Duty, PlanStatus, Session, StoreError};
use crate::web::WebState;
use crate::web::i18n::PlanTexts;
use crate::web::plans::{PlanRow, plan_rows};
use crate::web::session::{Chrome, PageError, PageResult, Refusal, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/portal/{employer}/plans", get(plans).post(request))
        .route(
            "/portal/{employer}/plans/{plan}/withdraw",
            get(withdraw_page).post(withdraw),
        )
}

/// Why the employer withdrew, as kept with the plan and in the audit trail.
pub(crate) const WITHDRAWN_REASON: &str = "withdrawn by the employer in the portal";

#[derive(Template)]
#[template(path = "web/portal/plans.html")]
struct PlansPage {
    c: Chrome,
    p: &'static PlanTexts,
    employer_id: i64,
    rows: Vec<PlanRow>,
    staff: bool,
    may_request: bool,
    /// The request waiting for the fund's answer that the user may withdraw.
    withdrawable: Option<i64>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "web/portal/plan_withdraw.html")]
struct WithdrawPage {
    c: Chrome,
    p: &'static PlanTexts,
    employer_id: i64,
    rows: Vec<PlanRow>,
    staff: bool,
    plan_id: i64,
}

/// Whether the user may ask for a plan: who may declare or sign for the employer.
fn may_request(session: &Session, employer_id: i64) -> bool {
    session.user.may(employer_id, Duty::Declare) || session.user.may(employer_id, Duty::Sign)
}

/// The plans page for a user who may not ask for (nor withdraw) a plan: 403, saying so.
async fn refuse_request(state: &WebState, viewer: &Viewer, employer_id: i64) -> PageResult {
    let refusal = PlanTexts::of(viewer.lang).may_not_request;
    render(
        state,
        viewer,
        employer_id,
        StatusCode::FORBIDDEN,
        None,
        Some(refusal),
    )
    .await
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    employer_id: i64,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> PageResult {
    let (session, _) = employer_for(state, viewer, employer_id).await?;
    let store = state.store();
    let plans = store
        .employer_payment_plans(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let open = plans
        .iter()
        .any(|p| matches!(p.status, PlanStatus::Requested | PlanStatus::Active));
    let page = PlansPage {
        c: viewer.chrome(nav(viewer, &session, employer_id, "plans")),
        p: PlanTexts::of(viewer.lang),
        employer_id,
        rows: plan_rows(store, &plans, viewer.lang)
            .await
            .map_err(|e| viewer.fail(e))?,
        staff: false,
        may_request: !open && may_request(&session, employer_id),
        withdrawable: plans
            .iter()
            .find(|p| p.status == PlanStatus::Requested)
            .filter(|_| may_request(&session, employer_id))
            .map(|p| p.id),
        notice,
        error,
    };
    viewer.page(status, &page)
}

async fn plans(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let p = PlanTexts::of(viewer.lang);
    let notice = match query.done.as_deref() {
        Some("requested") => Some(p.requested_done),
        Some("withdrawn") => Some(p.withdrawn_done),
        _ => None,
    };
    render(&state, &viewer, employer_id, StatusCode::OK, notice, None).await
}

#[derive(Deserialize)]
struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

async fn request(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Form(form): Form<RequestForm>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    viewer.check_csrf(&form.csrf)?;
    let p = PlanTexts::of(viewer.lang);
    let refused = |error| {
        render(
            &state,
            &viewer,
            employer_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(error),
        )
    };
    if !may_request(&session, employer_id) {
        return refuse_request(&state, &viewer, employer_id).await;
    }
    let actor = Actor::new(format!("user:{}", session.user.id));
    let note = form
        .note
        .chars()
        .take(crate::store::PLAN_NOTE_MAX)
        .collect::<String>();
    match state
        .store()
        .request_payment_plan(&actor, employer_id, Some(&note))
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/portal/{employer_id}/plans?done=requested"
        ))),
        Err(StoreError::Conflict(_)) => refused(p.already_open).await,
        Err(err) => Err(viewer.fail(err)),
    }
}

/// The employer's plan `plan_id`; another employer's (or none) is "not found".
async fn own_plan(
    state: &WebState,
    viewer: &Viewer,
    employer_id: i64,
    plan_id: i64,
) -> Result<crate::store::PaymentPlan, PageError> {
    match state.store().payment_plan(plan_id).await {
        Ok(plan) if plan.employer_id == employer_id => Ok(plan),
        Ok(_) | Err(StoreError::NotFound { .. }) => Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => Err(viewer.fail(err)),
    }
}

/// The confirmation page: the request, what withdrawing it means, a button apart.
async fn withdraw_page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, plan_id)): Path<(i64, i64)>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    let plan = own_plan(&state, &viewer, employer_id, plan_id).await?;
    let p = PlanTexts::of(viewer.lang);
    if !may_request(&session, employer_id) {
        return refuse_request(&state, &viewer, employer_id).await;
    }
    if plan.status != PlanStatus::Requested {
        // Nothing to withdraw: the plans page shows where it stands.
        return Ok(see_other(&format!("/portal/{employer_id}/plans")));
    }
    let page = WithdrawPage {
        c: viewer.chrome(nav(&viewer, &session, employer_id, "plans")),
        p,
        employer_id,
        rows: plan_rows(state.store(), std::slice::from_ref(&plan), viewer.lang)
            .await
            .map_err(|e| viewer.fail(e))?,
        staff: false,
        plan_id,
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct WithdrawForm {
    #[serde(default)]
    csrf: String,
}

async fn withdraw(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, plan_id)): Path<(i64, i64)>,
    Form(form): Form<WithdrawForm>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    viewer.check_csrf(&form.csrf)?;
    own_plan(&state, &viewer, employer_id, plan_id).await?;
    let p = PlanTexts::of(viewer.lang);
    if !may_request(&session, employer_id) {
        return refuse_request(&state, &viewer, employer_id).await;
    }
    let actor = Actor::new(format!("user:{}", session.user.id));
    match state
        .store()
        .end_payment_plan(&actor, plan_id, WITHDRAWN_REASON, true)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/portal/{employer_id}/plans?done=withdrawn"
        ))),
        Err(StoreError::Conflict(_)) => {
            render(
                &state,
                &viewer,
                employer_id,
                StatusCode::CONFLICT,
                None,
                Some(p.not_withdrawable),
            )
            .await
        }
        Err(err) => Err(viewer.fail(err)),
    }
}
