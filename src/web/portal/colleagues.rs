//! The "colleagues" page: who acts for the employer and with what capacity; its owner
//! invites a colleague by e-mail with a capacity (view only, declare, sign mandates),
//! changes a colleague's capacity in place, revokes one, and chooses the language of the employer's notices. Everyone who acts
//! for the employer sees the list; only the owner sees the forms (the store refuses the
//! others anyway).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use mandates::NoticeLanguage;
use serde::Deserialize;

use super::{DoneQuery, employer_for, nav};
use crate::store::{Capacity, Duty, Employer, Session, StoreError};
use crate::web::WebState;
use crate::web::i18n::{SelfServiceTexts, employer_name, refusals};
use crate::web::session::{Chrome, CsrfForm, PageError, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/portal/{employer}/colleagues",
            get(colleagues_page).post(invite),
        )
        .route("/portal/{employer}/colleagues/{user}/revoke", post(revoke))
        .route(
            "/portal/{employer}/colleagues/{user}/capacity",
            post(change_capacity),
        )
        .route("/portal/{employer}/notice-language", post(notice_language))
}

struct Row {
    user_id: i64,
    name: String,
    email: String,
    capacity: &'static str,
    /// The capacity's code (the one selected in the row's form).
    code: &'static str,
    invited: bool,
    revocable: bool,
}

#[derive(Template)]
#[template(path = "web/portal/colleagues.html")]
struct ColleaguesPage {
    c: Chrome,
    s: &'static SelfServiceTexts,
    employer_id: i64,
    employer: String,
    owner: bool,
    rows: Vec<Row>,
    capacities: Vec<(&'static str, &'static str)>,
    languages: Vec<(&'static str, &'static str, bool)>,
    email: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

/// What the page says back: its status, a notice or an error, the address typed.
struct Said {
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
    email: String,
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    session: &Session,
    employer: &Employer,
    said: Said,
) -> PageResult {
    let Said {
        status,
        notice,
        error,
        email,
    } = said;
    let s = SelfServiceTexts::of(viewer.lang);
    let colleagues = state
        .store()
        .colleagues(employer.id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let owner = session.user.may(employer.id, Duty::Manage);
    let page = ColleaguesPage {
        c: viewer.chrome(nav(viewer, session, employer.id, "colleagues")),
        s,
        employer_id: employer.id,
        employer: format!(
            "{} {}",
            employer_name(employer, viewer.lang),
            employer.affiliation_number
        ),
        owner,
        rows: colleagues
            .into_iter()
            .map(|c| Row {
                user_id: c.user_id,
                name: c.display_name,
                email: c.email,
                capacity: s.capacity(c.capacity),
                code: c.capacity.as_str(),
                invited: c.invited,
                revocable: owner && c.capacity != Capacity::Owner,
            })
            .collect(),
        capacities: Capacity::INVITABLE
            .iter()
            .map(|c| (c.as_str(), s.capacity(*c)))
            .collect(),
        languages: NoticeLanguage::ALL
            .iter()
            .map(|l| (l.as_str(), s.notice_language(*l), *l == employer.language))
            .collect(),
        email,
        notice,
        error,
    };
    viewer.page(status, &page)
}

async fn colleagues_page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
    let s = SelfServiceTexts::of(viewer.lang);
    let notice = match query.done.as_deref() {
        Some("invited") => Some(s.invited_done),
        Some("revoked") => Some(s.revoked_done),
        Some("capacity") => Some(s.capacity_done),
        Some("language") => Some(s.notice_language_done),
        _ => None,
    };
    render(
        &state,
        &viewer,
        &session,
        &employer,
        Said {
            status: StatusCode::OK,
            notice,
            error: None,
            email: String::new(),
        },
    )
    .await
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    capacity: String,
}

async fn invite(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Form(form): Form<InviteForm>,
) -> PageResult {
    let posted = Posted::checked(&state, &viewer, employer_id, &form.csrf).await?;
    let capacity = Capacity::parse(form.capacity.trim())
        .ok()
        .filter(|c| Capacity::INVITABLE.contains(c));
    let outcome = match chosen_capacity(capacity) {
        Ok(capacity) => {
            state
                .store()
                .invite_colleague(&posted.session.user, employer_id, &form.email, capacity)
                .await
        }
        Err(refused) => Err(refused),
    };
    let typed = form.email.trim().chars().take(254).collect();
    posted.answer(outcome, "invited", typed).await
}

/// The capacity a form chose, or the refusal saying which to choose.
fn chosen_capacity(capacity: Option<Capacity>) -> Result<Capacity, StoreError> {
    capacity.ok_or_else(|| StoreError::Invalid("choose a role: view, declare or sign".to_owned()))
}

/// A form of this page posted for the employer by the signed-in user, its CSRF token
/// checked: what its answer needs.
struct Posted<'a> {
    state: &'a WebState,
    viewer: &'a Viewer,
    session: Session,
    employer: Employer,
}

impl<'a> Posted<'a> {
    /// The employer the viewer acts for (refused otherwise), once the form's `csrf` is
    /// checked.
    async fn checked(
        state: &'a WebState,
        viewer: &'a Viewer,
        employer_id: i64,
        csrf: &str,
    ) -> Result<Posted<'a>, PageError> {
        let (session, employer) = employer_for(state, viewer, employer_id).await?;
        viewer.check_csrf(csrf)?;
        Ok(Posted {
            state,
            viewer,
            session,
            employer,
        })
    }

    /// What the form answers: back to the page saying `done`, or the page again with the
    /// refusal in the viewer's words (and the address typed, when there was one).
    async fn answer(
        &self,
        outcome: Result<(), StoreError>,
        done: &str,
        email: String,
    ) -> PageResult {
        let Posted {
            state,
            viewer,
            session,
            employer,
        } = self;
        match outcome {
            Ok(()) => Ok(see_other(&format!(
                "/portal/{}/colleagues?done={done}",
                employer.id
            ))),
            Err(err) => {
                let error =
                    refusals::refusal_message(viewer.lang, &err).ok_or_else(|| viewer.fail(err))?;
                let said = Said {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    notice: None,
                    error: Some(error),
                    email,
                };
                render(state, viewer, session, employer, said).await
            }
        }
    }
}

async fn revoke(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, user_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let posted = Posted::checked(&state, &viewer, employer_id, &form.csrf).await?;
    let outcome = state
        .store()
        .revoke_colleague(&posted.session.user, employer_id, user_id)
        .await;
    posted.answer(outcome, "revoked", String::new()).await
}

#[derive(Deserialize)]
struct CapacityForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    capacity: String,
}

/// The owner changes a colleague's capacity in place (view, declare, sign).
async fn change_capacity(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, user_id)): Path<(i64, i64)>,
    Form(form): Form<CapacityForm>,
) -> PageResult {
    let posted = Posted::checked(&state, &viewer, employer_id, &form.csrf).await?;
    let outcome = match chosen_capacity(Capacity::parse(form.capacity.trim()).ok()) {
        Ok(capacity) => {
            state
                .store()
                .change_colleague_capacity(&posted.session.user, employer_id, user_id, capacity)
                .await
        }
        Err(refused) => Err(refused),
    };
    posted.answer(outcome, "capacity", String::new()).await
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    language: String,
}

async fn notice_language(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Form(form): Form<LanguageForm>,
) -> PageResult {
    let posted = Posted::checked(&state, &viewer, employer_id, &form.csrf).await?;
    let outcome = match NoticeLanguage::parse(form.language.trim()) {
        Ok(language) => {
            state
                .store()
                .set_notice_language(&posted.session.user, employer_id, language)
                .await
        }
        Err(_) => Err(StoreError::Invalid(
            "choose the language of the notices".to_owned(),
        )),
    };
    posted.answer(outcome, "language", String::new()).await
}
