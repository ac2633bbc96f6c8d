//! The employer's payment plans (`/portal/{employer}/plans`): the fund's rule in a few
//! sentences, the request form (for a user who may declare or sign for the employer, and
//! only while no request or plan is open), and the employer's plans with their
//! instalments and what paid them.

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
use crate::web::session::{Chrome, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/portal/{employer}/plans", get(plans).post(request))
}

#[derive(Template)]
#[template(path = "web/portal/plans.html")]
struct PlansPage {
    c: Chrome,
    p: &'static PlanTexts,
    employer_id: i64,
    rows: Vec<PlanRow>,
    staff: bool,
    may_request: bool,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

/// Whether the user may ask for a plan: who may declare or sign for the employer.
fn may_request(session: &Session, employer_id: i64) -> bool {
    session.user.may(employer_id, Duty::Declare) || session.user.may(employer_id, Duty::Sign)
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
    let notice = (query.done.as_deref() == Some("requested"))
        .then_some(PlanTexts::of(viewer.lang).requested_done);
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
        return render(
            &state,
            &viewer,
            employer_id,
            StatusCode::FORBIDDEN,
            None,
            Some(p.may_not_request),
        )
        .await;
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
