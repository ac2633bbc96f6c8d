//! Activation codes from the console: staff issue one for an employer (its page has the
//! button) and the answer shows it once, to print on the letter. The same as
//! `tahsil enrolment codes`; the code is kept hashed.

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;

use super::{actor, nav};
use crate::locale::page_moment;
use crate::web::WebState;
use crate::web::i18n::SelfServiceTexts;
use crate::web::session::{Chrome, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/console/enrolment-codes", post(issue))
}

#[derive(Template)]
#[template(path = "web/console/enrolment_code.html")]
struct CodePage {
    c: Chrome,
    s: &'static SelfServiceTexts,
    employer_id: i64,
    affiliation: String,
    code: String,
    expires: String,
}

#[derive(Deserialize)]
struct IssueForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    affiliation: String,
}

async fn issue(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<IssueForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let issued = state
        .store()
        .issue_enrolment_code(&actor(session), &form.affiliation)
        .await
        .map_err(|e| viewer.fail(e))?;
    // Shown in this answer only (the page is `no-store`); the database keeps its hash.
    let page = CodePage {
        c: viewer.chrome(nav(&viewer, "employers")),
        s: SelfServiceTexts::of(viewer.lang),
        employer_id: issued.employer_id,
        affiliation: issued.affiliation_number.clone(),
        code: issued.code.clone(),
        expires: page_moment(&issued.expires_at),
    };
    viewer.page(StatusCode::OK, &page)
}
