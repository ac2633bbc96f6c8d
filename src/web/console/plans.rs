//! Payment plans for staff: `/console/plans` lists the requests (first) and the plans,
//! with a form that opens one for an employer by affiliation number; `/console/plans/{id}`
//! shows one — for a request, the employer's arrears (each line to tick) and the
//! instalments' days, which set it, or a refusal with its reason; for a plan in force, its
//! cancellation with a reason. Every change is audited as the staff member.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::NaiveDate;
use mandates::Amount;
use serde::Deserialize;

use super::{actor, nav};
use crate::locale::written_day_of;
use crate::store::{PlanStatus, SetPlan, StoreError};
use crate::web::WebState;
use crate::web::i18n::{PlanTexts, money};
use crate::web::plans::{PlanRow, plan_rows};
use crate::web::session::{Chrome, PageResult, Refusal, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/plans", get(list).post(open))
        .route("/console/plans/{id}", get(plan))
        .route("/console/plans/{id}/set", post(set))
        .route("/console/plans/{id}/end", post(end))
}

#[derive(Template)]
#[template(path = "web/console/plans.html")]
struct ListPage {
    c: Chrome,
    p: &'static PlanTexts,
    rows: Vec<PlanRow>,
    staff: bool,
    error: Option<&'static str>,
}

/// An arrear line to tick.
struct ArrearRow {
    line_id: i64,
    period: String,
    worksite: String,
    due_from: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "web/console/plan.html")]
struct PlanPage {
    c: Chrome,
    p: &'static PlanTexts,
    id: i64,
    rows: Vec<PlanRow>,
    staff: bool,
    requested: bool,
    active: bool,
    arrears: Vec<ArrearRow>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn render_list(
    state: &WebState,
    viewer: &Viewer,
    status: StatusCode,
    error: Option<&'static str>,
) -> PageResult {
    let store = state.store();
    let plans = store.payment_plans().await.map_err(|e| viewer.fail(e))?;
    let page = ListPage {
        c: viewer.chrome(nav(viewer, "plans")),
        p: PlanTexts::of(viewer.lang),
        rows: plan_rows(store, &plans, viewer.lang)
            .await
            .map_err(|e| viewer.fail(e))?,
        staff: true,
        error,
    };
    viewer.page(status, &page)
}

async fn list(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    viewer.staff()?;
    render_list(&state, &viewer, StatusCode::OK, None).await
}

#[derive(Deserialize)]
struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    affiliation: String,
}

/// Opens a plan for an employer (a request by staff), then shows it to be set.
async fn open(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<OpenForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let p = PlanTexts::of(viewer.lang);
    let store = state.store();
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    let employer = match store.employer_id_by_affiliation(&form.affiliation).await {
        Ok(id) => id,
        Err(StoreError::NotFound { .. }) => {
            return render_list(&state, &viewer, refused, Some(p.unknown_employer)).await;
        }
        Err(err) => return Err(viewer.fail(err)),
    };
    match store
        .request_payment_plan(&actor(session), employer, None)
        .await
    {
        Ok(plan) => Ok(see_other(&format!("/console/plans/{}", plan.id))),
        Err(StoreError::Conflict(_)) => {
            render_list(&state, &viewer, refused, Some(p.already_done)).await
        }
        Err(err) => Err(viewer.fail(err)),
    }
}

async fn render_plan(
    state: &WebState,
    viewer: &Viewer,
    id: i64,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> PageResult {
    let store = state.store();
    let plan = match store.payment_plan(id).await {
        Ok(plan) => plan,
        Err(StoreError::NotFound { .. }) => return Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => return Err(viewer.fail(err)),
    };
    let requested = plan.status == PlanStatus::Requested;
    let arrears = if requested {
        store
            .plan_arrears(plan.employer_id)
            .await
            .map_err(|e| viewer.fail(e))?
            .into_iter()
            .map(|l| ArrearRow {
                line_id: l.line_id,
                period: l.period,
                worksite: l.worksite_code,
                due_from: written_day_of(&l.due_from),
                amount: money(Amount::from_centimes(l.total_centimes), viewer.lang),
            })
            .collect()
    } else {
        Vec::new()
    };
    let active = plan.status == PlanStatus::Active;
    let page = PlanPage {
        c: viewer.chrome(nav(viewer, "plans")),
        p: PlanTexts::of(viewer.lang),
        id,
        rows: plan_rows(store, std::slice::from_ref(&plan), viewer.lang)
            .await
            .map_err(|e| viewer.fail(e))?,
        staff: false,
        requested,
        active,
        arrears,
        notice,
        error,
    };
    viewer.page(status, &page)
}

async fn plan(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    viewer.staff()?;
    let p = PlanTexts::of(viewer.lang);
    let notice = match query.done.as_deref() {
        Some("set") => Some(p.set_done),
        Some("ended") => Some(p.ended_done),
        _ => None,
    };
    render_plan(&state, &viewer, id, StatusCode::OK, notice, None).await
}

/// The refusals of a staff form in words (what the store said, without its English text).
fn refusal_words(p: &'static PlanTexts, err: &StoreError) -> Option<&'static str> {
    Some(match err {
        StoreError::Conflict(_) => p.already_done,
        StoreError::Invalid(m) if m.contains("whole lines") => p.too_many,
        StoreError::Invalid(m) if m.contains("is not an arrear") || m.contains("no arrears") => {
            p.not_arrears
        }
        StoreError::Invalid(m) if m.contains("reason") => p.reason_missing,
        StoreError::Invalid(_) => p.bad_dates,
        _ => return None,
    })
}

/// Sets a requested plan: the lines ticked (`line`, repeated) and the days (`dates`).
async fn set(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = viewer.staff()?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    viewer.check_csrf(field("csrf"))?;
    let p = PlanTexts::of(viewer.lang);
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    let lines: Result<Vec<i64>, _> = fields
        .iter()
        .filter(|(k, _)| k == "line")
        .map(|(_, v)| v.trim().parse::<i64>())
        .collect();
    let dates: Result<Vec<NaiveDate>, _> = field("dates")
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|t| !t.is_empty())
        .map(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d"))
        .collect();
    let (Ok(lines), Ok(due_dates)) = (lines, dates) else {
        return render_plan(&state, &viewer, id, refused, None, Some(p.bad_dates)).await;
    };
    if lines.is_empty() {
        return render_plan(&state, &viewer, id, refused, None, Some(p.not_arrears)).await;
    }
    match state
        .store()
        .set_payment_plan(&actor(session), id, SetPlan { lines, due_dates })
        .await
    {
        Ok(_) => Ok(see_other(&format!("/console/plans/{id}?done=set"))),
        Err(err) => match refusal_words(p, &err) {
            Some(words) => render_plan(&state, &viewer, id, refused, None, Some(words)).await,
            None => Err(viewer.fail(err)),
        },
    }
}

#[derive(Deserialize)]
struct EndForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Refuses a request or cancels a plan in force, with the reason.
async fn end(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<EndForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let p = PlanTexts::of(viewer.lang);
    match state
        .store()
        .end_payment_plan(&actor(session), id, &form.reason, false)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/console/plans/{id}?done=ended"))),
        Err(err) => match refusal_words(p, &err) {
            Some(words) => {
                render_plan(
                    &state,
                    &viewer,
                    id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    Some(words),
                )
                .await
            }
            None => Err(viewer.fail(err)),
        },
    }
}
