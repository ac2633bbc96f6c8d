//! Payment plans (échéanciers) in the JSON API, read only: staff's
//! `GET /api/v1/employers/{id}/plans` and `…/plans/{plan}` (routed in `admin.rs`, behind the
//! admin token), and an employer user's `GET /api/v1/plans` and `/api/v1/plans/{id}` (routed
//! in `employer.rs`, its own employers only: another employer's plan is the same 404 as an
//! unknown one). A plan with its instalments (day, amount, what paid it); amounts as decimal
//! strings. Staff also see who asked, set and ended it; employers do not.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use mandates::Amount;
use serde::{Deserialize, Serialize};

use super::employer::scope;
use super::{ApiError, ApiResult};
use crate::store::{ApiUser, PaymentPlan, PlanInstalment, PlanStatus, Store, StoreError};
use crate::web::{AppState, WebState};

/// `?employer=ID&status=` of the plans (`employer` for the employer users' list only).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PlanFilter {
    #[serde(default)]
    employer: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// One instalment: its day, amount, and what paid it so far.
#[derive(Serialize)]
struct InstalmentOut {
    number: i64,
    due_on: String,
    amount: Amount,
    /// Its lines paid (settled debit, payment, write-off).
    paid: Amount,
    lines: i64,
}

impl From<PlanInstalment> for InstalmentOut {
    fn from(i: PlanInstalment) -> InstalmentOut {
        InstalmentOut {
            number: i.number,
            due_on: i.due_on,
            amount: Amount::from_centimes(i.amount_centimes),
            paid: Amount::from_centimes(i.paid_centimes),
            lines: i.lines,
        }
    }
}

/// A plan as the API gives it.
#[derive(Serialize)]
pub(super) struct PlanOut {
    id: i64,
    employer_id: i64,
    affiliation_number: String,
    status: &'static str,
    requested_on: String,
    request_note: Option<String>,
    /// The arrears covered, once set.
    total: Option<Amount>,
    started_on: Option<String>,
    ended_on: Option<String>,
    /// The staff's reason (refused, cancelled), `instalment_missed` (broken), or the
    /// employer's withdrawal.
    end_reason: Option<String>,
    instalments: Vec<InstalmentOut>,
    /// Staff only: who asked (`user:ID`, `api`, `cli:NAME`), set and ended it.
    #[serde(skip_serializing_if = "Option::is_none")]
    requested_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    set_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_by: Option<String>,
}

async fn plan_out(store: &Store, plan: PaymentPlan, staff: bool) -> ApiResult<PlanOut> {
    let instalments = store
        .plan_instalments(plan.id)
        .await?
        .into_iter()
        .map(InstalmentOut::from)
        .collect();
    Ok(PlanOut {
        id: plan.id,
        employer_id: plan.employer_id,
        affiliation_number: plan.affiliation_number,
        status: plan.status.as_str(),
        requested_on: plan.requested_on,
        request_note: plan.request_note,
        total: plan.total_centimes.map(Amount::from_centimes),
        started_on: plan.started_on,
        ended_on: plan.ended_on,
        end_reason: plan.end_reason,
        instalments,
        requested_by: staff.then_some(plan.requested_by),
        set_by: if staff { plan.set_by } else { None },
        ended_by: if staff { plan.ended_by } else { None },
    })
}

fn filter(query: Result<Query<PlanFilter>, QueryRejection>) -> ApiResult<PlanFilter> {
    query
        .map(|Query(f)| f)
        .map_err(|rejection| ApiError::invalid(rejection.body_text()))
}

/// The plan state asked for (`?status=`), or a 422 listing the states.
fn plan_status(status: Option<&str>) -> ApiResult<Option<PlanStatus>> {
    match status.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => PlanStatus::parse(text).map(Some).map_err(|_| {
            ApiError::invalid(format!(
                "status: {text:?} is not a payment plan state; give one of {}",
                PlanStatus::ALL.map(PlanStatus::as_str).join(", ")
            ))
        }),
    }
}

/// The same 404 for a plan that does not exist and one of another employer.
fn unknown_plan(id: i64) -> ApiError {
    ApiError::from(StoreError::NotFound {
        entity: "payment plan",
        id: id.to_string(),
    })
}

async fn plans_of(
    store: &Store,
    employer_id: i64,
    status: Option<PlanStatus>,
    staff: bool,
) -> ApiResult<Vec<PlanOut>> {
    let mut out = Vec::new();
    for plan in store.employer_payment_plans(employer_id).await? {
        if status.is_none_or(|s| s == plan.status) {
            out.push(plan_out(store, plan, staff).await?);
        }
    }
    Ok(out)
}

/// `GET /api/v1/employers/{id}/plans` (admin token): the employer's plans, newest first.
pub(super) async fn employer_plans(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    query: Result<Query<PlanFilter>, QueryRejection>,
) -> ApiResult<Json<Vec<PlanOut>>> {
    let filter = filter(query)?;
    if filter.employer.is_some() {
        return Err(ApiError::invalid(
            "employer: the employer is in the path here (/api/v1/employers/{id}/plans)",
        ));
    }
    let status = plan_status(filter.status.as_deref())?;
    state.store.employer(id).await?;
    Ok(Json(plans_of(&state.store, id, status, true).await?))
}

/// `GET /api/v1/employers/{id}/plans/{plan}` (admin token): one plan of the employer.
pub(super) async fn employer_plan(
    State(state): State<AppState>,
    Path((id, plan)): Path<(i64, i64)>,
) -> ApiResult<Json<PlanOut>> {
    state.store.employer(id).await?;
    let found = match state.store.payment_plan(plan).await {
        Ok(found) if found.employer_id == id => found,
        Ok(_) | Err(StoreError::NotFound { .. }) => return Err(unknown_plan(plan)),
        Err(err) => return Err(err.into()),
    };
    Ok(Json(plan_out(&state.store, found, true).await?))
}

/// `GET /api/v1/plans` (personal token): the plans of the token's employers (or the one
/// asked for), newest first.
pub(super) async fn my_plans(
    State(state): State<WebState>,
    Extension(user): Extension<ApiUser>,
    query: Result<Query<PlanFilter>, QueryRejection>,
) -> ApiResult<Json<Vec<PlanOut>>> {
    let filter = filter(query)?;
    let status = plan_status(filter.status.as_deref())?;
    let mut out = Vec::new();
    for id in scope(&user, filter.employer.as_deref())? {
        out.extend(plans_of(state.store(), id, status, false).await?);
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.id));
    Ok(Json(out))
}

/// `GET /api/v1/plans/{id}` (personal token): one plan of the token's employers; another
/// employer's is the same 404 as an unknown one.
pub(super) async fn my_plan(
    State(state): State<WebState>,
    Extension(user): Extension<ApiUser>,
    Path(id): Path<i64>,
) -> ApiResult<Json<PlanOut>> {
    let plan = match state.store().payment_plan(id).await {
        Ok(plan) if user.user.may_act_for(plan.employer_id) => plan,
        Ok(_) | Err(StoreError::NotFound { .. }) => return Err(unknown_plan(id)),
        Err(err) => return Err(err.into()),
    };
    Ok(Json(plan_out(state.store(), plan, false).await?))
}
