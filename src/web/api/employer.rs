//! The employer users' JSON API: `Authorization: Bearer <personal token>` (made on the
//! portal's "API access" page or by `tahsil tokens add --user EMAIL`). A token acts as its
//! user and reaches only the employers that user acts for; `?employer=ID` narrows to one of
//! them, and any other id — someone else's or none at all — is the same 404.
//!
//! - `GET  /api/v1/me` — the token's user and its employers (their ids for `employer`).
//! - `GET  /api/v1/mandates` — mandates, accounts masked.
//! - `GET  /api/v1/declarations` (`?period=`) — declarations with lines and amounts.
//! - `POST /api/v1/declarations` — submit one as JSON: every bad line and field is listed
//!   (`invalid_lines`) and nothing is recorded until all are right. A period already
//!   declared is corrected (200, `replaced`) until its lines are planned into a debit
//!   (409 after); `warnings` names worksites far from their previous periods.
//! - `GET  /api/v1/collections` — debits with their per-worksite breakdown, state, the
//!   bank's reason in plain words when one failed, the next attempt, the receipt number.
//! - `GET|POST /api/v1/webhooks`, `DELETE /api/v1/webhooks/{id}` — the employer's webhook
//!   endpoints (handlers in [`super::webhooks`]).
//! - `GET  /api/v1/plans` (`?status=`), `GET /api/v1/plans/{id}` — payment plans with their
//!   instalments (handlers in [`super::plans`]).
//! - `GET  /api/v1/refunds` (`?status=`), `GET /api/v1/refunds/{id}` — refunds of the
//!   employer's credit: amount, state, who asked (the employer, staff or a dispute's answer),
//!   the decision's note, the transfer's end-to-end id once sent; never staff's names.
//!
//! The admin token has no employer: on these routes it gets 403, as a personal token
//! does on the admin routes (see `admin::require_token`).

use std::collections::HashSet;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get};
use axum::{Extension, Json, Router};
use mandates::declaration::{
    FIELDS, LineInput, PlausibilityWarning, field_position, line_problems,
};
use mandates::{
    AccountKind, Amount, LineProblem, MandateStatus, NewDeclarationLine, Period, ProblemKind,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ApiError, ApiResult};
use crate::locale::Lang;
use crate::locale::words::reason_explanation;
use crate::store::{
    Actor, ApiUser, CollectionDetail, Declaration, MandateRecord, NewDeclaration, RefundRecord,
    RefundStatus,
};
use crate::web::WebState;

pub(super) fn router(state: WebState) -> Router<WebState> {
    Router::new()
        .route("/me", get(me))
        .route("/mandates", get(mandates))
        .route("/declarations", get(declarations).post(submit_declaration))
        .route("/collections", get(collections))
        .route(
            "/webhooks",
            get(super::webhooks::list).post(super::webhooks::add),
        )
        .route("/webhooks/{id}", delete(super::webhooks::delete))
        .route("/refunds", get(refunds))
        .route("/refunds/{id}", get(refund))
        .route("/plans", get(super::plans::my_plans))
        .route("/plans/{id}", get(super::plans::my_plan))
        .layer(middleware::from_fn_with_state(state, require_user))
}

/// Resolves the bearer token to its employer user, or refuses (401; 403 for the admin token).
async fn require_user(
    State(state): State<WebState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let given = crate::web::session::bearer_token(request.headers()).to_owned();
    let user = if given.is_empty() {
        None
    } else {
        state.store().api_user(&given).await?
    };
    let Some(user) = user else {
        let is_admin = state.app.admin_token.as_ref().is_some_and(|expected| {
            crate::web::session::constant_time_eq(given.as_bytes(), expected.expose().as_bytes())
        });
        if is_admin {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "the admin token acts for no employer: use /api/v1/employers/{id}/… with it, \
                 or an employer user's personal token here",
            ));
        }
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send your personal API token as `Authorization: Bearer <token>` \
             (portal → API access); a revoked token no longer works",
        ));
    };
    if user.stale_use
        && let Err(err) = state.store().touch_user_api_token(user.token_id).await
    {
        tracing::warn!(error = %err, token_id = user.token_id, "could not record token use");
    }
    request.extensions_mut().insert(user);
    Ok(next.run(request).await)
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Filter {
    #[serde(default)]
    pub(super) employer: Option<String>,
    #[serde(default)]
    period: Option<String>,
}

pub(super) fn filter(query: Result<Query<Filter>, QueryRejection>) -> ApiResult<Filter> {
    query
        .map(|Query(f)| f)
        .map_err(|rejection| ApiError::invalid(rejection.body_text()))
}

fn not_yours(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "employer {id} is not one of the employers this token acts for; GET /api/v1/me lists them"
        ),
    )
}

/// The one employer a request that changes something acts for: the one named in its body
/// (when the user acts for it), or the user's only one.
pub(super) fn one_employer(user: &ApiUser, employer: Option<i64>) -> ApiResult<i64> {
    match (employer, user.user.employer_ids.as_slice()) {
        (Some(id), _) if user.user.may_act_for(id) => Ok(id),
        (Some(id), _) => Err(not_yours(&id.to_string())),
        (None, [only]) => Ok(*only),
        (None, _) => Err(ApiError::invalid(
            "employer: this token acts for several employers; say which one (GET /api/v1/me lists them)",
        )),
    }
}

/// The employers a request covers: the one asked for (when the user acts for it) or all
/// of the user's.
pub(super) fn scope(user: &ApiUser, employer: Option<&str>) -> ApiResult<Vec<i64>> {
    match employer.map(str::trim) {
        None | Some("") => Ok(user.user.employer_ids.clone()),
        Some(text) => match text.parse::<i64>() {
            Ok(id) if user.user.may_act_for(id) => Ok(vec![id]),
            Ok(_) => Err(not_yours(text)),
            Err(_) => Err(ApiError::invalid(format!(
                "employer: {text:?} is not an employer id (a number; GET /api/v1/me lists yours)"
            ))),
        },
    }
}

#[derive(Serialize)]
struct EmployerView {
    id: i64,
    affiliation_number: String,
    name: String,
    name_ar: Option<String>,
}

#[derive(Serialize)]
struct MeView {
    user_id: i64,
    display_name: String,
    token_id: i64,
    employers: Vec<EmployerView>,
}

async fn me(
    State(state): State<WebState>,
    Extension(user): Extension<ApiUser>,
) -> ApiResult<Json<MeView>> {
    let mut employers = Vec::new();
    for id in &user.user.employer_ids {
        let e = state.store().employer(*id).await?;
        employers.push(EmployerView {
            id: e.id,
            affiliation_number: e.affiliation_number,
            name: e.name,
            name_ar: e.name_ar,
        });
    }
    Ok(Json(MeView {
        user_id: user.user.id,
        display_name: user.user.display_name.clone(),
        token_id: user.token_id,
        employers,
    }))
}

/// A mandate as its employer sees it through the API: the account masked.
#[derive(Serialize)]
struct MandateView {
    id: i64,
    employer_id: i64,
    reference: String,
    status: MandateStatus,
    status_reason: Option<String>,
    account_kind: AccountKind,
    bank_code: String,
    bank_name: Option<String>,
    account_masked: String,
    ceiling: Option<Amount>,
    signed_at: Option<String>,
    signed_by: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<MandateRecord> for MandateView {
    fn from(m: MandateRecord) -> MandateView {
        MandateView {
            id: m.id,
            employer_id: m.employer_id,
            reference: m.reference,
            status: m.status,
            status_reason: m.status_reason,
            account_kind: m.account_kind,
            bank_code: m.bank_code,
            bank_name: m.bank_name,
            account_masked: m.account_masked,
            ceiling: m.ceiling,
            signed_at: m.signed_at,
            signed_by: m.signed_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

async fn mandates(
    State(state): State<WebState>,
    Extension(user): Extension<ApiUser>,
    query: Result<Query<Filter>, QueryRejection>,
) -> ApiResult<Json<Vec<MandateView>>> {
    let filter = filter(query)?;
    let mut out = Vec::new();
    for id in scope(&user, filter.employer.as_deref())? {
        out.extend(
            state
                .store()
                .list_mandates(id)
                .await?
                .into_iter()
                .map(MandateView::from),
        );
    }
    Ok(Json(out))
}

async fn declarations(
    State(state): State<WebState>,
    Extension(user): Extension<ApiUser>,
    query: Result<Query<Filter>, QueryRejection>,
) -> ApiResult<Json<Vec<Declaration>>> {
    let filter = filter(query)?;
    let period = filter.period.as_deref().map(str::trim).unwrap_or("");
    let mut out = Vec::new();
    for id in scope(&user, filter.employer.as_deref())? {
        out.extend(
            state
                .store()
                .list_declarations(id)
                .await?
                .into_iter()
                .filter(|d| period.is_empty() || d.period == period),
        );
    }
    Ok(Json(out))
}

/// The body of `POST /api/v1/declarations`. Lines are read one by one so that every bad
/// line and field is reported, not only the first one serde meets.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitDeclaration {
    /// Needed when the user acts for several employers.
    #[serde(default)]
    employer: Option<i64>,
    period: String,
    lines: Vec<Value>,
}

async fn submit_declaration(
    State(state): State<WebState>,
    Extension(user): Extension<ApiUser>,
    payload: Result<Json<SubmitDeclaration>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<SubmittedDeclaration>)> {
    let body = payload
        .map(|Json(b)| b)
        .map_err(|rejection| ApiError::invalid(rejection.body_text()))?;
    let employer_id = one_employer(&user, body.employer)?;
    // The token acts with its user's capacity: a view-only (or sign-only) colleague's
    // token reads, it does not declare.
    if !user.user.may(employer_id, crate::store::Duty::Declare) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "your role for employer {employer_id} does not allow declaring: ask the employer's owner for the declare role"
            ),
        ));
    }
    let worksites = state.store().worksite_codes(employer_id).await?;
    let (lines, problems) = parse_lines(&body.lines, &worksites);
    match problems.as_slice() {
        [] => {}
        // No line at all: the declaration as a whole is refused, not line by line.
        [only] if body.lines.is_empty() => return Err(ApiError::invalid(only.clone())),
        _ => return Err(ApiError::invalid_lines(problems)),
    }
    let period = Period::parse(&body.period).map_err(|e| ApiError::invalid(e.to_string()))?;
    let actor = Actor::new(format!("api-user:{}:{}", user.user.id, user.token_id));
    let (declaration, replaced) = state
        .store()
        .submit_or_correct_declaration(&actor, employer_id, NewDeclaration { period, lines })
        .await?;
    let warnings = state
        .store()
        .plausibility_warnings(employer_id, &declaration.period)
        .await?;
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(SubmittedDeclaration {
            declaration,
            replaced,
            warnings,
        }),
    ))
}

/// A submitted declaration, whether it replaced an earlier one of its period, and the
/// worksites whose amounts differ sharply from their previous periods (to check; not a
/// refusal).
#[derive(Serialize)]
struct SubmittedDeclaration {
    #[serde(flatten)]
    declaration: Declaration,
    replaced: bool,
    warnings: Vec<PlausibilityWarning>,
}

/// Reads JSON lines `{worksite_code, headcount, wage_bill, bad_weather_base}` and checks
/// them by the declaration rules (all but the contributions, which the store computes with
/// the period's rates): the right lines, and every problem of every line and field, each
/// naming its line (from 1) and field, in order.
fn parse_lines(
    lines: &[Value],
    worksites: &HashSet<String>,
) -> (Vec<NewDeclarationLine>, Vec<String>) {
    // What reading the JSON found wrong, placed among the rules' problems by line and field.
    let mut problems: Vec<((usize, usize), String)> = Vec::new();
    let mut inputs = Vec::with_capacity(lines.len());
    for (index, value) in lines.iter().enumerate() {
        let number = index + 1;
        let at = |field: &str| (number, field_position(field));
        // The line's own problems (not an object, unknown fields) come before its fields'.
        let whole = (number, 0);
        let Some(object) = value.as_object() else {
            problems.push((whole, format!(
                "line {number}: an object {{\"worksite_code\", \"headcount\", \"wage_bill\", \"bad_weather_base\"}} is expected"
            )));
            inputs.push(LineInput::new(number));
            continue;
        };
        for key in object.keys() {
            if !FIELDS.contains(&key.as_str()) {
                problems.push((
                    whole,
                    format!(
                        "line {number}, field {key}: unknown field (expected {})",
                        FIELDS.join(", ")
                    ),
                ));
            }
        }
        let mut input = LineInput::new(number);
        input.worksite_code =
            match object.get("worksite_code").and_then(Value::as_str) {
                Some(code) => Some(code.to_owned()),
                None => {
                    problems.push((at("worksite_code"), format!(
                    "line {number}, field worksite_code: required, a worksite code as a string"
                )));
                    None
                }
            };
        input.headcount = match object.get("headcount").and_then(Value::as_i64) {
            Some(n) => Some(n),
            None => {
                let given = shown(object.get("headcount"));
                problems.push((at("headcount"), not_whole_number(number, &given)));
                None
            }
        };
        let mut amount = |field: &str, required: bool| -> Option<Amount> {
            match object.get(field) {
                None | Some(Value::Null) if !required => Some(Amount::ZERO),
                Some(Value::String(text)) => match Amount::parse(text.trim()) {
                    Ok(a) => Some(a),
                    Err(_) => {
                        problems.push((at(field), format!(
                            "line {number}, field {field}: {text:?} is not an amount in dinars (like \"125000.50\")"
                        )));
                        None
                    }
                },
                other => {
                    problems.push((at(field), format!(
                        "line {number}, field {field}: {} is not an amount: write it as a decimal string like \"125000.50\"",
                        shown(other)
                    )));
                    None
                }
            }
        };
        input.wage_bill = amount("wage_bill", true);
        input.bad_weather_base = amount("bad_weather_base", false);
        inputs.push(input);
    }
    let rules = line_problems(worksites, &inputs);
    problems.extend(rules.iter().map(|p| (p.position(), api_text(p))));
    problems.sort_by_key(|(position, _)| *position);
    let wrong: HashSet<usize> = problems.iter().map(|((line, _), _)| *line).collect();
    let lines = inputs
        .iter()
        .filter(|input| !wrong.contains(&input.line))
        .filter_map(LineInput::complete)
        .collect();
    (lines, problems.into_iter().map(|(_, text)| text).collect())
}

/// A rule's problem in the API's words: its English text, the headcount's said as the
/// JSON reader says it.
fn api_text(problem: &LineProblem) -> String {
    match &problem.kind {
        ProblemKind::NotWholeNumber(text) => not_whole_number(problem.line, text),
        ProblemKind::NoLines => "lines: a declaration needs at least one worksite line".to_owned(),
        _ => problem.to_string(),
    }
}

fn not_whole_number(line: usize, shown: &str) -> String {
    format!("line {line}, field headcount: {shown} is not a whole number of workers (0 or more)")
}

fn shown(value: Option<&Value>) -> String {
    match value {
        None => "missing".to_owned(),
        Some(v) => {
            let text = v.to_string();
            if text.chars().count() > 40 {
                format!("{}…", text.chars().take(40).collect::<String>())
            } else {
                text
            }
        }
    }
}

/// The taxonomy's plain words for a failure: what happened and what to do.
#[derive(Serialize)]
struct ReasonText {
    fr: &'static str,
    ar: &'static str,
}

#[derive(Serialize)]
struct CollectionOut {
    #[serde(flatten)]
    detail: CollectionDetail,
    reason_text: Option<ReasonText>,
}

async fn collections(
    State(state): State<WebState>,
    Extension(user): Extension<ApiUser>,
    query: Result<Query<Filter>, QueryRejection>,
) -> ApiResult<Json<Vec<CollectionOut>>> {
    let filter = filter(query)?;
    let mut out = Vec::new();
    for id in scope(&user, filter.employer.as_deref())? {
        for detail in state.store().collection_details(id).await? {
            let reason_text = detail.reason_category.map(|category| ReasonText {
                fr: reason_explanation(category, Lang::Fr),
                ar: reason_explanation(category, Lang::Ar),
            });
            out.push(CollectionOut {
                detail,
                reason_text,
            });
        }
    }
    Ok(Json(out))
}

/// `?employer=ID&status=` of the refunds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundFilter {
    #[serde(default)]
    employer: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// A refund as its employer sees it: who asked as a kind, never a staff member's name.
#[derive(Serialize)]
struct RefundOut {
    id: i64,
    employer_id: i64,
    amount: Amount,
    status: &'static str,
    /// `employer`, `staff` or `dispute` (an upheld dispute's answer).
    asked_by: &'static str,
    requested_at: String,
    dispute_id: Option<i64>,
    decided_at: Option<String>,
    /// Why staff refused it, or their note.
    decision_note: Option<String>,
    /// The credit transfer's end-to-end id, once in a file.
    end_to_end_id: Option<String>,
    /// The bank's reason when it rejected the transfer, or why it lapsed.
    reason_code: Option<String>,
    updated_at: String,
}

impl From<RefundRecord> for RefundOut {
    fn from(r: RefundRecord) -> RefundOut {
        RefundOut {
            id: r.id,
            employer_id: r.employer_id,
            amount: r.amount,
            status: r.status.as_str(),
            asked_by: match (r.dispute_id, r.requested_by_staff) {
                (Some(_), _) => "dispute",
                (None, true) => "staff",
                (None, false) => "employer",
            },
            requested_at: r.requested_at,
            dispute_id: r.dispute_id,
            decided_at: r.decided_at,
            decision_note: r.decision_note,
            end_to_end_id: r.end_to_end_id,
            reason_code: r.reason_code,
            updated_at: r.updated_at,
        }
    }
}

/// The refund state asked for (`?status=`), or a 422 listing the states.
pub(super) fn refund_status(status: Option<&str>) -> ApiResult<Option<RefundStatus>> {
    match status.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => RefundStatus::parse(text).map(Some).map_err(|_| {
            ApiError::invalid(format!(
                "status: {text:?} is not a refund state; give one of {}",
                RefundStatus::ALL.map(RefundStatus::as_str).join(", ")
            ))
        }),
    }
}

/// `GET /api/v1/refunds`: the refunds of the token's employers (or the one asked for),
/// newest first.
async fn refunds(
    State(state): State<WebState>,
    Extension(user): Extension<ApiUser>,
    query: Result<Query<RefundFilter>, QueryRejection>,
) -> ApiResult<Json<Vec<RefundOut>>> {
    let filter = query
        .map(|Query(f)| f)
        .map_err(|rejection| ApiError::invalid(rejection.body_text()))?;
    let status = refund_status(filter.status.as_deref())?;
    let mut out = Vec::new();
    for id in scope(&user, filter.employer.as_deref())? {
        out.extend(
            state
                .store()
                .refunds(Some(id), status)
                .await?
                .into_iter()
                .map(RefundOut::from),
        );
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.id));
    Ok(Json(out))
}

/// `GET /api/v1/refunds/{id}`: one refund of the token's employers (another's: 404, as an
/// unknown one).
async fn refund(
    State(state): State<WebState>,
    Extension(user): Extension<ApiUser>,
    Path(id): Path<i64>,
) -> ApiResult<Json<RefundOut>> {
    let refund = state.store().refund(id).await?;
    if !user.user.may_act_for(refund.employer_id) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("refund {id} does not exist"),
        ));
    }
    Ok(Json(RefundOut::from(refund)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_line_and_field_of_a_json_declaration_is_reported() {
        let sites: HashSet<String> = ["W1", "W2"].iter().map(|s| (*s).to_owned()).collect();
        let lines: Vec<Value> = serde_json::from_str(
            r#"[
              {"worksite_code": "W1", "headcount": 3, "wage_bill": "1000.50"},
              {"worksite_code": "W9", "headcount": -1, "wage_bill": 12.5},
              {"worksite_code": "W1", "headcount": 2, "wage_bill": "abc", "extra": 1},
              "W2"
            ]"#,
        )
        .unwrap();
        let (ok, problems) = parse_lines(&lines, &sites);
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].wage_bill.centimes(), 100_050);
        assert_eq!(ok[0].bad_weather_base, Amount::ZERO);
        assert_eq!(
            problems,
            vec![
                "line 2, field worksite_code: \"W9\" is not a worksite of this employer",
                "line 2, field headcount: -1 is not a whole number of workers (0 or more)",
                "line 2, field wage_bill: 12.5 is not an amount: write it as a decimal string like \"125000.50\"",
                "line 3, field extra: unknown field (expected worksite_code, headcount, wage_bill, bad_weather_base)",
                "line 3, field worksite_code: W1 is already declared on line 1",
                "line 3, field wage_bill: \"abc\" is not an amount in dinars (like \"125000.50\")",
                "line 4: an object {\"worksite_code\", \"headcount\", \"wage_bill\", \"bad_weather_base\"} is expected",
            ]
        );
    }
}
