//! The employer's certificates of being up to date (`/portal/{employer}/attestations`):
//! the fund's rule in a sentence, the request form, the certificates issued with their
//! state and PDF. A request from an employer that owes contributions fallen due is refused
//! with the amount and what to do; nothing is issued then.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;

use super::{DoneQuery, employer_for, nav};
use crate::store::{Actor, Issuance, StoreError};
use crate::web::WebState;
use crate::web::attestations::{AttestationRow, attestation_rows};
use crate::web::i18n::{AttestationTexts, money};
use crate::web::session::{Chrome, PageResult, Refusal, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/portal/{employer}/attestations",
            get(attestations).post(request),
        )
        .route(
            "/portal/{employer}/attestations/{attestation}/pdf",
            get(attestation_pdf),
        )
}

#[derive(Template)]
#[template(path = "web/portal/attestations.html")]
struct AttestationsPage {
    c: Chrome,
    a: &'static AttestationTexts,
    employer_id: i64,
    rows: Vec<AttestationRow>,
    staff: bool,
    notice: Option<&'static str>,
    error: Option<String>,
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    employer_id: i64,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> PageResult {
    let (session, _) = employer_for(state, viewer, employer_id).await?;
    let store = state.store();
    let list = store
        .employer_attestations(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let page = AttestationsPage {
        c: viewer.chrome(nav(viewer, &session, employer_id, "attestations")),
        a: AttestationTexts::of(viewer.lang),
        employer_id,
        rows: attestation_rows(&list, store.clock().today(), viewer.lang, |id| {
            format!("/portal/{employer_id}/attestations/{id}/pdf")
        }),
        staff: false,
        notice,
        error,
    };
    viewer.page(status, &page)
}

async fn attestations(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let notice = (query.done.as_deref() == Some("issued"))
        .then_some(AttestationTexts::of(viewer.lang).issued);
    render(&state, &viewer, employer_id, StatusCode::OK, notice, None).await
}

#[derive(Deserialize)]
struct RequestForm {
    #[serde(default)]
    csrf: String,
}

async fn request(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Form(form): Form<RequestForm>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    viewer.check_csrf(&form.csrf)?;
    let actor = Actor::new(format!("user:{}", session.user.id));
    let issued = state
        .store()
        .issue_attestation(&actor, employer_id, state.options.attestations)
        .await
        .map_err(|e| viewer.fail(e))?;
    match issued {
        Issuance::Issued(_) => Ok(see_other(&format!(
            "/portal/{employer_id}/attestations?done=issued"
        ))),
        Issuance::NotUpToDate { owed } => {
            let a = AttestationTexts::of(viewer.lang);
            let error = format!(
                "{} {} {}",
                a.not_up_to_date,
                money(owed, viewer.lang),
                a.not_up_to_date_then
            );
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(&state, &viewer, employer_id, status, None, Some(error)).await
        }
    }
}

/// One of the employer's own certificates as a PDF; another employer's is "not found".
async fn attestation_pdf(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, attestation_id)): Path<(i64, i64)>,
) -> PageResult {
    employer_for(&state, &viewer, employer_id).await?;
    let attestation = match state.store().attestation(attestation_id).await {
        Ok(a) if a.employer_id == employer_id => a,
        Ok(_) | Err(StoreError::NotFound { .. }) => return Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => return Err(viewer.fail(err)),
    };
    crate::web::pdf::attestation_download(&state, &viewer, attestation).await
}
