//! The public page `/verify/CODE` that a certificate's QR code points to: without signing
//! in, it says whether the certificate is valid, expired or revoked, for which employer
//! (its name and affiliation number, nothing else) and until when; an unknown code gets
//! "unknown" and nothing more. Unknown codes count against the client's address as failed
//! sign-ins do (`store::attestations`), so codes cannot be tried in bulk.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

use super::WebState;
use super::client::ClientAddr;
use super::i18n::AttestationTexts;
use super::session::{Chrome, PageResult, Viewer};
use crate::locale::written_day_of;
use crate::store::{AttestationState, Verification};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/verify/{code}", get(verify))
}

#[derive(Template)]
#[template(path = "web/verify.html")]
struct VerifyPage {
    c: Chrome,
    a: &'static AttestationTexts,
    /// `valid`, `expired`, `revoked`, `unknown` or `throttled` (the answer's element id).
    state: &'static str,
    verdict: &'static str,
    number: String,
    employer: String,
    employer_other: String,
    affiliation: String,
    valid_until: String,
}

async fn verify(
    State(state): State<WebState>,
    viewer: Viewer,
    client: ClientAddr,
    Path(code): Path<String>,
) -> PageResult {
    let a = AttestationTexts::of(viewer.lang);
    let answer = state
        .store()
        .verify_attestation(&code, &client.to_string())
        .await
        .map_err(|e| viewer.fail(e))?;
    let mut page = VerifyPage {
        c: viewer.chrome(Vec::new()),
        a,
        state: "unknown",
        verdict: a.verify_unknown,
        number: String::new(),
        employer: String::new(),
        employer_other: String::new(),
        affiliation: String::new(),
        valid_until: String::new(),
    };
    let status = match answer {
        Verification::Unknown => StatusCode::NOT_FOUND,
        Verification::Throttled => {
            page.state = "throttled";
            page.verdict = a.verify_throttled;
            StatusCode::TOO_MANY_REQUESTS
        }
        Verification::Known {
            state: known,
            number,
            employer_name,
            employer_name_ar,
            affiliation_number,
            valid_until,
        } => {
            (page.state, page.verdict) = match known {
                AttestationState::Valid => ("valid", a.verify_valid),
                AttestationState::Expired => ("expired", a.verify_expired),
                AttestationState::Revoked => ("revoked", a.verify_revoked),
            };
            let (first, other) = match (viewer.lang, employer_name_ar) {
                (crate::locale::Lang::Ar, Some(ar)) => (ar, employer_name),
                (_, Some(ar)) => (employer_name, ar),
                (_, None) => (employer_name, String::new()),
            };
            page.number = number;
            page.employer = first;
            page.employer_other = other;
            page.affiliation = affiliation_number;
            page.valid_until = written_day_of(&valid_until);
            StatusCode::OK
        }
    };
    viewer.page(status, &page)
}
