//! An employer's certificates of being up to date, for staff
//! (`/console/employers/{id}/attestations`): the list with each one's state and PDF, the
//! form that issues one (refused, with the amount, when the employer owes contributions
//! fallen due), and on each certificate not yet revoked the form that revokes it — a
//! reason required, the revocation audited as the staff member and shown at once by the
//! public `/verify` page.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{actor, nav};
use crate::store::{Issuance, Revocation, StoreError};
use crate::web::WebState;
use crate::web::attestations::{AttestationRow, attestation_rows};
use crate::web::i18n::{AttestationTexts, employer_name, money};
use crate::web::session::{Chrome, PageResult, Refusal, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/console/employers/{id}/attestations",
            get(attestations).post(issue),
        )
        .route("/console/attestations/{id}/revoke", post(revoke))
        .route("/console/attestations/{id}/pdf", get(attestation_pdf))
}

#[derive(Template)]
#[template(path = "web/console/attestations.html")]
struct AttestationsPage {
    c: Chrome,
    a: &'static AttestationTexts,
    id: i64,
    name: String,
    affiliation: String,
    rows: Vec<AttestationRow>,
    staff: bool,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    id: i64,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> PageResult {
    let store = state.store();
    let employer = match store.employer(id).await {
        Ok(employer) => employer,
        Err(StoreError::NotFound { .. }) => return Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => return Err(viewer.fail(err)),
    };
    let list = store
        .employer_attestations(id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let page = AttestationsPage {
        c: viewer.chrome(nav(viewer, "employers")),
        a: AttestationTexts::of(viewer.lang),
        id,
        name: employer_name(&employer, viewer.lang),
        affiliation: employer.affiliation_number,
        rows: attestation_rows(&list, store.clock().today(), viewer.lang, |x| {
            format!("/console/attestations/{x}/pdf")
        }),
        staff: true,
        notice,
        error,
    };
    viewer.page(status, &page)
}

#[derive(Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn attestations(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    viewer.staff()?;
    let a = AttestationTexts::of(viewer.lang);
    let notice = match query.done.as_deref() {
        Some("issued") => Some(a.issued),
        Some("revoked") => Some(a.revoked_done),
        _ => None,
    };
    render(&state, &viewer, id, StatusCode::OK, notice, None).await
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn issue(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let issued = state
        .store()
        .issue_attestation(&actor(session), id, state.options.attestations)
        .await;
    match issued {
        Ok(Issuance::Issued(_)) => Ok(see_other(&format!(
            "/console/employers/{id}/attestations?done=issued"
        ))),
        Ok(Issuance::NotUpToDate { owed }) => {
            let a = AttestationTexts::of(viewer.lang);
            let error = format!(
                "{} {} {}",
                a.not_up_to_date,
                money(owed, viewer.lang),
                a.not_up_to_date_then
            );
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(&state, &viewer, id, status, None, Some(error)).await
        }
        Err(StoreError::NotFound { .. }) => Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => Err(viewer.fail(err)),
    }
}

#[derive(Deserialize)]
struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn revoke(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<RevokeForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let store = state.store();
    let employer_id = match store.attestation(id).await {
        Ok(a) => a.employer_id,
        Err(StoreError::NotFound { .. }) => return Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => return Err(viewer.fail(err)),
    };
    let a = AttestationTexts::of(viewer.lang);
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    match store
        .revoke_attestation(&actor(session), id, &form.reason)
        .await
        .map_err(|e| viewer.fail(e))?
    {
        Revocation::Revoked(_) => Ok(see_other(&format!(
            "/console/employers/{employer_id}/attestations?done=revoked"
        ))),
        Revocation::ReasonMissing => {
            let error = Some(a.reason_missing.to_owned());
            render(&state, &viewer, employer_id, refused, None, error).await
        }
        Revocation::AlreadyRevoked(_) => {
            let error = Some(a.already_revoked.to_owned());
            render(
                &state,
                &viewer,
                employer_id,
                StatusCode::CONFLICT,
                None,
                error,
            )
            .await
        }
    }
}

/// Any employer's certificate as a PDF, for staff.
async fn attestation_pdf(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    viewer.staff()?;
    let attestation = match state.store().attestation(id).await {
        Ok(a) => a,
        Err(StoreError::NotFound { .. }) => return Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => return Err(viewer.fail(err)),
    };
    crate::web::pdf::attestation_download(&state, &viewer, attestation).await
}
