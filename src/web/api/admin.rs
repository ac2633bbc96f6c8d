//! The admin API under `/api/v1` (behind the admin token): employers, worksites, mandates,
//! declarations, a mandate's ceiling, the audit trail, an employer's refunds, and staff actions on a debit (hold, release, cancel,
//! re-present, each with `{"reason": …}`: 404 unknown, 409 when its state does not allow
//! it, saying the state and what is possible). Amounts travel as decimal strings ("1234.50"), never
//! as JSON numbers. Knows nothing of the employer users' or the banks' tokens beyond
//! refusing a personal token here.

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use mandates::{AccountId, Amount, DebitAction, NewDeclarationLine, Period};
use serde::Deserialize;

use super::{ApiError, ApiResult};
use crate::store::{
    ActionOutcome, Actor, AuditEntry, Declaration, Employer, MandateRecord, NewDeclaration,
    NewEmployer, NewMandate, NewPayment, NewWorksite, PaymentChannel, PaymentOutcome, RefundRecord,
    SignMandate, Statement, Worksite,
};
use crate::web::client::{ClientAddr, forwarded, peer};
use crate::web::consent;
use crate::web::i18n::employer_name;
use crate::web::session::constant_time_eq;
use crate::web::{AppState, WebState};

/// The admin routes, each behind [`require_token`].
pub(super) fn router(state: WebState) -> Router<WebState> {
    Router::new()
        .route("/employers", get(list_employers).post(create_employer))
        .route("/employers/{id}", get(get_employer))
        .route(
            "/employers/{id}/worksites",
            get(list_worksites).post(create_worksite),
        )
        .route(
            "/employers/{id}/mandates",
            get(list_mandates).post(create_mandate),
        )
        .route(
            "/employers/{id}/declarations",
            get(list_declarations).post(submit_declaration),
        )
        .route("/mandates/{id}", get(get_mandate))
        .route("/mandates/{id}/sign", post(sign_mandate))
        .route("/mandates/{id}/revoke", post(revoke_mandate))
        .route("/mandates/{id}/ceiling", put(set_ceiling))
        .route("/declarations/{id}", get(get_declaration))
        .route("/audit/{entity}/{id}", get(audit_trail))
        .route("/collections/{id}/hold", post(hold_collection))
        .route("/collections/{id}/release", post(release_collection))
        .route("/collections/{id}/cancel", post(cancel_collection))
        .route("/collections/{id}/represent", post(represent_collection))
        .route("/payments", post(record_payment))
        .route("/employers/{id}/statement", get(employer_statement))
        .route("/statement", get(fund_statement))
        .route("/employers/{id}/refunds", get(employer_refunds))
        .route("/employers/{id}/refunds/{refund}", get(employer_refund))
        .route("/employers/{id}/plans", get(super::plans::employer_plans))
        .route(
            "/employers/{id}/plans/{plan}",
            get(super::plans::employer_plan),
        )
        .layer(middleware::from_fn_with_state(state, require_token))
}

const API_ACTOR: &str = "api";

fn actor() -> Actor {
    Actor::new(API_ACTOR)
}

/// Every admin request needs the admin token (compared in constant time), whatever the
/// listen address: without a configured token the admin API answers 401 to everyone. An
/// employer user's personal token is refused here (403): it reaches only its own
/// employers' routes. A wrong or absent token is 401, never the anonymous path. The one
/// exception is the development flag `insecure_open_admin_api_on_loopback`: with no admin
/// token configured, a request with no token from a loopback peer that came through no
/// proxy is let in.
async fn require_token(
    State(web): State<WebState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let state = &web.app;
    let given = crate::web::session::bearer_token(request.headers());
    if given.starts_with(crate::store::USER_TOKEN_PREFIX) {
        return Err(match state.store.api_user(given).await? {
            Some(_) => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "an employer user's token reaches only /api/v1/me, /api/v1/mandates, \
                 /api/v1/declarations, /api/v1/collections and /api/v1/refunds",
            ),
            None => ApiError::unauthorized(),
        });
    }
    let allowed = match &state.admin_token {
        Some(expected) => {
            !given.is_empty() && constant_time_eq(given.as_bytes(), expected.expose().as_bytes())
        }
        None => {
            web.options.open_admin_api_on_loopback
                && given.is_empty()
                && peer(request.extensions()).is_loopback()
                && !forwarded(request.headers())
        }
    };
    if !allowed {
        return Err(match state.admin_token {
            Some(_) => ApiError::unauthorized(),
            None => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the admin API needs a token: set admin_token (TAHSIL_ADMIN_TOKEN) where tahsil \
                 runs and send it as `Authorization: Bearer <token>`",
            ),
        });
    }
    Ok(next.run(request).await)
}

fn body<T>(payload: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    payload
        .map(|Json(value)| value)
        .map_err(|rejection| ApiError::invalid(rejection.body_text()))
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    100
}

async fn list_employers(
    State(state): State<AppState>,
    Query(page): Query<Page>,
) -> ApiResult<Json<Vec<Employer>>> {
    let limit = page.limit.clamp(1, 1000);
    Ok(Json(state.store.list_employers(page.after, limit).await?))
}

async fn create_employer(
    State(state): State<AppState>,
    payload: Result<Json<NewEmployer>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Employer>)> {
    let new = body(payload)?;
    let employer = state.store.create_employer(&actor(), new).await?;
    Ok((StatusCode::CREATED, Json(employer)))
}

async fn get_employer(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Employer>> {
    Ok(Json(state.store.employer(id).await?))
}

async fn list_worksites(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Worksite>>> {
    Ok(Json(state.store.list_worksites(id).await?))
}

async fn create_worksite(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    payload: Result<Json<NewWorksite>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Worksite>)> {
    let new = body(payload)?;
    let worksite = state.store.create_worksite(&actor(), id, new).await?;
    Ok((StatusCode::CREATED, Json(worksite)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateMandate {
    /// A RIB, a RIP, or a CCP written `NUMBER KEY` / `NUMBER/KEY`.
    account: String,
    #[serde(default)]
    ceiling: Option<Amount>,
}

async fn list_mandates(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<MandateRecord>>> {
    Ok(Json(state.store.list_mandates(id).await?))
}

async fn create_mandate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    payload: Result<Json<CreateMandate>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<MandateRecord>)> {
    let request = body(payload)?;
    let account = AccountId::parse(&request.account)
        .map_err(|e| ApiError::invalid(format!("account: {e}")))?;
    let mandate = state
        .store
        .create_mandate(
            &actor(),
            id,
            NewMandate {
                account,
                ceiling: request.ceiling,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(mandate)))
}

async fn get_mandate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<MandateRecord>> {
    Ok(Json(state.store.mandate(id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignRequest {
    signer: String,
    /// A version the fund published (`2026-01-fr`): tahsil writes the text itself.
    consent_version: String,
    /// Optional: when given, it must be the SHA-256 of that text for this mandate.
    #[serde(default)]
    consent_text_sha256: Option<String>,
}

async fn sign_mandate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    client: ClientAddr,
    headers: HeaderMap,
    payload: Result<Json<SignRequest>, JsonRejection>,
) -> ApiResult<Json<MandateRecord>> {
    let request = body(payload)?;
    let signer = request.signer.trim();
    if signer.is_empty() {
        return Err(ApiError::invalid(
            "signer: the name of the person signing is required",
        ));
    }
    // Only a version the fund published, and its text for this mandate as tahsil writes
    // it: the hash is computed here, never taken from the caller.
    let version = request.consent_version.trim();
    let Some(lang) = consent::published_lang(version) else {
        return Err(ApiError::invalid(format!(
            "consent_version: {:?} is not a consent version the fund published; use one of {}",
            version.chars().take(40).collect::<String>(),
            consent::published_versions().join(", ")
        )));
    };
    let mandate = state.store.mandate(id).await?;
    let employer = state.store.employer(mandate.employer_id).await?;
    let text = consent::consent_text(lang, &employer_name(&employer, lang), &mandate);
    if let Some(given) = &request.consent_text_sha256 {
        let expected = crate::store::consent_text_sha256(&text);
        if !given.trim().eq_ignore_ascii_case(&expected) {
            return Err(ApiError::invalid(format!(
                "consent_text_sha256: not the SHA-256 of the text of consent version {version} for \
                 this mandate ({expected}); leave it out and tahsil computes it"
            )));
        }
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(400)
        .collect();
    let evidence = SignMandate {
        signer: signer.to_owned(),
        ip: client.to_string(),
        user_agent,
        consent_version: version.to_owned(),
        consent_text: text,
    };
    Ok(Json(
        state.store.sign_mandate(&actor(), id, evidence).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RevokeRequest {
    #[serde(default)]
    reason: String,
}

async fn revoke_mandate(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    payload: Result<Json<RevokeRequest>, JsonRejection>,
) -> ApiResult<Json<MandateRecord>> {
    let request = body(payload)?;
    Ok(Json(
        state
            .store
            .revoke_mandate(&actor(), id, &request.reason)
            .await?,
    ))
}

/// The body of `POST /api/v1/payments`: a payment received by another channel.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentRequest {
    /// The employer's affiliation number.
    employer: String,
    amount: Amount,
    /// The day it was received, `YYYY-MM-DD`.
    date: chrono::NaiveDate,
    /// transfer, cheque, counter or other.
    channel: String,
    reference: String,
    #[serde(default)]
    note: Option<String>,
}

/// Records a payment and allocates it (the oldest owed lines first), through the same
/// store method as the CLI and the console ([`crate::store::Store::record_payment`]): 201
/// with what it paid, 409 for a reference already recorded for the employer and channel.
async fn record_payment(
    State(state): State<AppState>,
    payload: Result<Json<PaymentRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<PaymentOutcome>)> {
    let request = body(payload)?;
    let channel: PaymentChannel = request
        .channel
        .parse()
        .map_err(|e: mandates::UnknownCode| ApiError::invalid(format!("channel: {e}")))?;
    let employer_id = state
        .store
        .employer_id_by_affiliation(&request.employer)
        .await?;
    let outcome = state
        .store
        .record_payment(
            &actor(),
            NewPayment {
                employer_id,
                amount: request.amount,
                received_on: request.date,
                channel,
                reference: request.reference,
                note: request.note,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(outcome)))
}

/// `?from=YYYY-MM-DD` of a statement: entries before it make the opening balance.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementQuery {
    #[serde(default)]
    from: Option<chrono::NaiveDate>,
    #[serde(default)]
    to: Option<chrono::NaiveDate>,
}

/// The employer's account: opening balance, entries with the running balance, what is
/// owed by age (as `tahsil statement`).
async fn employer_statement(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<StatementQuery>,
) -> ApiResult<Json<Statement>> {
    state.store.employer(id).await?;
    let today = state.store.clock().today();
    Ok(Json(
        state
            .store
            .statement_between(id, query.from, query.to, today)
            .await?,
    ))
}

/// `?after=ID&limit=N` of the fund-wide statement: the page of employers owing after
/// employer id `after` (keyset), at most `limit` (default 100, at most 1000).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OwingQuery {
    #[serde(default)]
    after: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

/// What the whole fund is owed today: by age in total and per scheme, and one page of
/// the employers owing.
#[derive(serde::Serialize)]
struct FundStatement {
    receivables: crate::store::Receivables,
    employers: Vec<crate::store::EmployerOwing>,
    /// The `after` of the next page, when this one is full.
    next_after: Option<i64>,
}

/// `GET /api/v1/statement`: the fund-wide receivables and aging (as `tahsil receivables`).
async fn fund_statement(
    State(state): State<AppState>,
    Query(query): Query<OwingQuery>,
) -> ApiResult<Json<FundStatement>> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=crate::store::OWING_PAGE_MAX).contains(&limit) {
        return Err(ApiError::invalid(format!(
            "limit: {limit} is out of range; give 1 to {}",
            crate::store::OWING_PAGE_MAX
        )));
    }
    let today = state.store.clock().today();
    let receivables = state.store.receivables(today).await?;
    let employers = state
        .store
        .employers_owing(today, query.after, limit)
        .await?;
    let next_after = if employers.len() as i64 == limit {
        employers.last().map(|e| e.employer_id)
    } else {
        None
    };
    Ok(Json(FundStatement {
        receivables,
        employers,
        next_after,
    }))
}

/// The body of `PUT /api/v1/mandates/{id}/ceiling`: `{"ceiling": "500000.00"}`, or
/// `{"ceiling": null}` for no ceiling (the field is required: a body without it is refused
/// rather than taken as "no ceiling").
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CeilingRequest {
    ceiling: serde_json::Value,
}

/// Sets, raises, lowers or removes a mandate's ceiling through the same audited store
/// method as the portal ([`crate::store::Store::set_mandate_ceiling`]).
async fn set_ceiling(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    payload: Result<Json<CeilingRequest>, JsonRejection>,
) -> ApiResult<Json<MandateRecord>> {
    let request = body(payload)?;
    let ceiling = match request.ceiling {
        serde_json::Value::Null => None,
        value => Some(serde_json::from_value::<Amount>(value).map_err(|e| {
            ApiError::invalid(format!(
                "ceiling: {e}; give a decimal string in dinars such as \"500000.00\", or null for no ceiling"
            ))
        })?),
    };
    Ok(Json(
        state
            .store
            .set_mandate_ceiling(&actor(), id, ceiling)
            .await?,
    ))
}

async fn list_declarations(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<Declaration>>> {
    Ok(Json(state.store.list_declarations(id).await?))
}

/// The body of `POST /api/v1/employers/{id}/declarations` (named as its errors always
/// named it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "NewDeclaration")]
struct DeclarationBody {
    /// `2026-10` for a month, `2026-Q3` for a quarter.
    period: String,
    lines: Vec<NewDeclarationLine>,
}

async fn submit_declaration(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    payload: Result<Json<DeclarationBody>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Declaration>)> {
    let body = body(payload)?;
    // An unknown employer is "not found" before its period is looked at.
    state.store.employer(id).await?;
    let period = Period::parse(&body.period).map_err(|e| ApiError::invalid(e.to_string()))?;
    let new = NewDeclaration {
        period,
        lines: body.lines,
    };
    let declaration = state.store.submit_declaration(&actor(), id, new).await?;
    Ok((StatusCode::CREATED, Json(declaration)))
}

async fn get_declaration(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Declaration>> {
    Ok(Json(state.store.declaration(id).await?))
}

async fn audit_trail(
    State(state): State<AppState>,
    Path((entity, id)): Path<(String, i64)>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    Ok(Json(state.store.audit_trail(&entity, id).await?))
}

/// The body of a staff action on a debit.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionRequest {
    /// Why (required; kept in the audit trail and on the exceptions it resolves).
    reason: String,
}

async fn act(
    state: &WebState,
    id: i64,
    action: DebitAction,
    payload: Result<Json<ActionRequest>, JsonRejection>,
) -> ApiResult<Json<ActionOutcome>> {
    let request = body(payload)?;
    // The debit's channel timing (notice period, file day): the configured one.
    let policy = state.channel_policy();
    Ok(Json(
        state
            .store()
            .act_on_debit(&actor(), id, action, &request.reason, &policy)
            .await?,
    ))
}

async fn hold_collection(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    payload: Result<Json<ActionRequest>, JsonRejection>,
) -> ApiResult<Json<ActionOutcome>> {
    act(&state, id, DebitAction::Hold, payload).await
}

async fn release_collection(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    payload: Result<Json<ActionRequest>, JsonRejection>,
) -> ApiResult<Json<ActionOutcome>> {
    act(&state, id, DebitAction::Release, payload).await
}

async fn cancel_collection(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    payload: Result<Json<ActionRequest>, JsonRejection>,
) -> ApiResult<Json<ActionOutcome>> {
    act(&state, id, DebitAction::Cancel, payload).await
}

async fn represent_collection(
    State(state): State<WebState>,
    Path(id): Path<i64>,
    payload: Result<Json<ActionRequest>, JsonRejection>,
) -> ApiResult<Json<ActionOutcome>> {
    act(&state, id, DebitAction::Represent, payload).await
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn token_comparison_needs_the_exact_token() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}

/// `?status=` of an employer's refunds.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundQuery {
    #[serde(default)]
    status: Option<String>,
}

/// `GET /api/v1/employers/{id}/refunds`: the employer's refunds, newest first, as
/// recorded (who asked and decided included).
async fn employer_refunds(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<RefundQuery>,
) -> ApiResult<Json<Vec<RefundRecord>>> {
    state.store.employer(id).await?;
    let status = super::employer::refund_status(query.status.as_deref())?;
    Ok(Json(state.store.refunds(Some(id), status).await?))
}

/// `GET /api/v1/employers/{id}/refunds/{refund}`: one refund of the employer.
async fn employer_refund(
    State(state): State<AppState>,
    Path((id, refund)): Path<(i64, i64)>,
) -> ApiResult<Json<RefundRecord>> {
    let found = state.store.refund(refund).await?;
    if found.employer_id != id {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("refund {refund} is not one of employer {id}'s"),
        ));
    }
    Ok(Json(found))
}
