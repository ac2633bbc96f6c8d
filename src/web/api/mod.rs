//! The JSON API under `/api/v1`, one file per audience, each behind its own bearer token:
//! [`admin`] (the admin token: employers, worksites, mandates, declarations, audit),
//! [`employer`] (an employer user's personal token: its own employers only, and their
//! webhook endpoints through [`webhooks`]) and [`bank`]
//! (an institution's token: its own files and reports); [`openapi`] serves the document
//! that describes them all, [`error`] is their one error type. JSON only: no page, no
//! cookie (the tokens are read with `session::bearer_token`).

mod admin;
mod bank;
mod employer;
mod error;
mod openapi;
mod plans;
mod webhooks;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

pub use error::ApiError;
pub use openapi::OPENAPI_JSON;

use super::WebState;

type ApiResult<T> = Result<T, ApiError>;

/// The admin API (behind the admin token), then the employer users' API and the bank
/// clients' API (behind their own tokens), the public description, then a JSON 404 for
/// anything else.
pub(super) fn router(web: WebState) -> Router<WebState> {
    admin::router(web.clone())
        // Employer users' personal tokens (their own middleware).
        .merge(employer::router(web.clone()))
        // Public, like the README: the description of the API, not its data.
        .route("/openapi.json", get(openapi::document))
        .nest("/bank", bank::router(web))
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such API endpoint; see the README for the list",
    )
}
