//! The employer users' webhooks through the JSON API (their routes are in
//! [`super::employer`], behind the same personal token): list the endpoints of the
//! employers the token acts for, add one (its signing secret in the answer), delete one.
//! The same store calls as the portal's webhooks page, so the same rules: an address the
//! store refuses (not HTTPS, not public) is 422, one the employer already has or one too
//! many is 409, another employer's endpoint is the same 404 as an unknown one.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::employer::{Filter, filter, one_employer, scope};
use super::{ApiError, ApiResult};
use crate::store::{Actor, ApiUser, StoreError, WebhookEndpoint};
use crate::web::WebState;

/// Who acts, in the audit trail: the token's user and the token.
fn actor(user: &ApiUser) -> Actor {
    Actor::new(format!("api-user:{}:{}", user.user.id, user.token_id))
}

/// `GET /api/v1/webhooks` (`?employer=`): the live endpoints, oldest first, without
/// their secrets (shown when added, and on the portal's webhooks page).
pub(super) async fn list(
    State(state): State<WebState>,
    Extension(user): Extension<ApiUser>,
    query: Result<Query<Filter>, QueryRejection>,
) -> ApiResult<Json<Vec<WebhookEndpoint>>> {
    let f = filter(query)?;
    let mut out = Vec::new();
    for employer_id in scope(&user, f.employer.as_deref())? {
        out.extend(state.store().webhook_endpoints(employer_id).await?);
    }
    Ok(Json(out))
}

#[derive(Deserialize)]
pub(super) struct NewEndpoint {
    /// Needed when the user acts for several employers.
    #[serde(default)]
    employer: Option<i64>,
    url: String,
}

/// An endpoint just added, with the secret that signs its deliveries.
#[derive(Serialize)]
pub(super) struct AddedEndpoint {
    #[serde(flatten)]
    endpoint: WebhookEndpoint,
    secret: String,
}

/// `POST /api/v1/webhooks` `{"url": …, "employer": …}`: 201 with the endpoint and its
/// signing secret.
pub(super) async fn add(
    State(state): State<WebState>,
    Extension(user): Extension<ApiUser>,
    payload: Result<Json<NewEndpoint>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<AddedEndpoint>)> {
    let body = payload
        .map(|Json(b)| b)
        .map_err(|rejection| ApiError::invalid(rejection.body_text()))?;
    let employer_id = one_employer(&user, body.employer)?;
    let store = state.store();
    let endpoint = store
        .add_webhook_endpoint(&actor(&user), employer_id, &body.url)
        .await?;
    let secret = store.webhook_secret(employer_id, endpoint.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(AddedEndpoint { endpoint, secret }),
    ))
}

/// `DELETE /api/v1/webhooks/{id}`: 204; it gets no new deliveries, and those still
/// pending fail (the delivery log keeps them).
pub(super) async fn delete(
    State(state): State<WebState>,
    Extension(user): Extension<ApiUser>,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let store = state.store();
    for &employer_id in &user.user.employer_ids {
        match store
            .remove_webhook_endpoint(&actor(&user), employer_id, id)
            .await
        {
            Ok(()) => return Ok(StatusCode::NO_CONTENT),
            Err(StoreError::NotFound { .. }) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "webhook endpoint {id} is not one of your employers' live endpoints; GET /api/v1/webhooks lists them"
        ),
    ))
}
