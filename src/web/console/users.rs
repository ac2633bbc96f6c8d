//! User management (administrators only): the users with their role, employers and last
//! sign-in (searched, paged); invite one (an email to set the password); disable and
//! enable (never oneself); reset another user's two-step sign-in (a lost phone; audited).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{PAGE, PageQuery, actor, admin, nav, paged, query_part};
use crate::locale::Word;
use crate::store::{NewUser, Role, StoreError};
use crate::web::WebState;
use crate::web::i18n::{ConsoleTexts, PageTexts, SelfServiceTexts, refusals};
use crate::web::session::{Chrome, CsrfForm, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/users", get(users).post(create_user))
        .route("/console/users/{id}/disable", post(disable_user))
        .route("/console/users/{id}/enable", post(enable_user))
        .route(
            "/console/users/{id}/two-factor/reset",
            post(reset_two_factor),
        )
}

struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    employers: String,
    last_sign_in: String,
    disabled: bool,
    state: String,
    is_self: bool,
    /// Signs in with a second factor: another administrator may reset it.
    two_factor: bool,
}

#[derive(Clone, Default, Deserialize)]
struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    employers: String,
}

#[derive(Template)]
#[template(path = "web/console/users.html")]
struct UsersPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    s: &'static SelfServiceTexts,
    q: String,
    rows: Vec<UserRow>,
    next: Option<String>,
    first: Option<String>,
    /// (code, label) of each role for the form.
    roles: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    notice: Option<&'static str>,
    form: UserForm,
}

async fn render_users(
    state: &WebState,
    viewer: &Viewer,
    query: &PageQuery,
    status: StatusCode,
    error: Option<String>,
    form: UserForm,
    notice: Option<&'static str>,
) -> PageResult {
    let session = admin(viewer)?;
    let k = viewer.lang.console();
    let q: String = query.q.trim().chars().take(100).collect();
    let found = state
        .store()
        .user_overviews(&q, query.after.max(0), PAGE + 1)
        .await
        .map_err(|e| viewer.fail(e))?;
    let (found, next) = paged(found, PAGE, |u| {
        format!("/console/users?q={}&after={}", query_part(&q), u.id)
    });
    let rows = found
        .into_iter()
        .map(|u| UserRow {
            is_self: u.id == session.user.id,
            two_factor: u.totp_enabled,
            id: u.id,
            email: u.email,
            name: u.display_name,
            role: u.role.word(viewer.lang).to_owned(),
            employers: u.employers.join(" "),
            last_sign_in: u
                .last_sign_in
                .as_deref()
                .map_or_else(|| k.never.to_owned(), crate::locale::page_moment),
            state: if u.disabled {
                k.account_disabled
            } else {
                k.account_active
            }
            .to_owned(),
            disabled: u.disabled,
        })
        .collect();
    let page = UsersPage {
        c: viewer.chrome(nav(viewer, "users")),
        k,
        s: SelfServiceTexts::of(viewer.lang),
        first: (query.after > 0).then(|| format!("/console/users?q={}", query_part(&q))),
        q,
        rows,
        next,
        roles: [Role::Finance, Role::Admin, Role::Employer]
            .into_iter()
            .map(|r| (r.as_str(), r.word(viewer.lang)))
            .collect(),
        error,
        notice: notice.or_else(|| query.created.as_ref().map(|_| k.user_created)),
        form,
    };
    viewer.page(status, &page)
}

/// The first page of users again, refused: `message` says why, above the user form as
/// it was posted (`form`).
async fn refused_page(
    state: &WebState,
    viewer: &Viewer,
    message: String,
    form: UserForm,
) -> PageResult {
    render_users(
        state,
        viewer,
        &no_query(),
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(message),
        form,
        None,
    )
    .await
}

fn no_query() -> PageQuery {
    PageQuery {
        q: String::new(),
        after: 0,
        before: 0,
        created: None,
        added: None,
        year: None,
    }
}

#[derive(Deserialize)]
struct UsersDone {
    #[serde(default)]
    done: Option<String>,
}

async fn users(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
    Query(done): Query<UsersDone>,
) -> PageResult {
    admin(&viewer)?;
    let notice = (done.done.as_deref() == Some("two-factor-reset"))
        .then(|| SelfServiceTexts::of(viewer.lang).two_factor_reset_done);
    render_users(
        &state,
        &viewer,
        &query,
        StatusCode::OK,
        None,
        UserForm::default(),
        notice,
    )
    .await
}

async fn create_user(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<UserForm>,
) -> PageResult {
    let session = admin(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let k = viewer.lang.console();
    let email = form.email.trim().to_owned();
    let role = Role::parse(form.role.trim()).ok();
    let employers: Vec<String> = form
        .employers
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let kept = UserForm {
        csrf: String::new(),
        email: email.chars().take(254).collect(),
        display_name: form.display_name.chars().take(120).collect(),
        role: form.role.chars().take(20).collect(),
        employers: form.employers.chars().take(500).collect(),
    };
    let problem = match role {
        _ if !email.contains('@') || email.contains(char::is_whitespace) || email.len() > 254 => {
            Some(k.bad_email.to_owned())
        }
        None => Some(k.bad_role.to_owned()),
        Some(Role::Employer) if employers.is_empty() => Some(k.employers_needed.to_owned()),
        Some(Role::Finance | Role::Admin) if !employers.is_empty() => {
            Some(k.staff_no_employers.to_owned())
        }
        _ => None,
    };
    let query = no_query();
    let (Some(role), None) = (role, &problem) else {
        return render_users(
            &state,
            &viewer,
            &query,
            StatusCode::UNPROCESSABLE_ENTITY,
            problem,
            kept,
            None,
        )
        .await;
    };
    let new = NewUser {
        email,
        display_name: form.display_name.trim().chars().take(120).collect(),
        role,
        password: String::new(),
        employers,
    };
    let refused = |message: String| refused_page(&state, &viewer, message, kept.clone());
    match state.store().invite_user(&actor(session), new).await {
        Ok(user) => Ok(see_other(&format!("/console/users?created={}", user.id))),
        Err(StoreError::NotFound {
            entity: "employer",
            id,
        }) => refused(format!("{} {id}", k.unknown_employer)).await,
        Err(StoreError::Conflict(_)) => refused(k.email_taken.to_owned()).await,
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => refused(message).await,
            None => Err(viewer.fail(err)),
        },
    }
}

async fn set_disabled(
    state: &WebState,
    viewer: &Viewer,
    id: i64,
    form: &CsrfForm,
    disabled: bool,
) -> PageResult {
    let session = admin(viewer)?;
    viewer.check_csrf(&form.csrf)?;
    if disabled && id == session.user.id {
        let message = viewer.lang.console().cannot_disable_self.to_owned();
        return refused_page(state, viewer, message, UserForm::default()).await;
    }
    state
        .store()
        .set_user_disabled(&actor(session), id, disabled)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(see_other("/console/users"))
}

async fn disable_user(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    set_disabled(&state, &viewer, id, &form, true).await
}

async fn enable_user(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    set_disabled(&state, &viewer, id, &form, false).await
}

/// An administrator resets another user's two-step sign-in (a lost phone): the user signs
/// in with the password and sets it up again. The store refuses one's own and audits it.
async fn reset_two_factor(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let session = admin(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    match state.store().reset_totp(&session.user, id).await {
        Ok(()) => Ok(see_other("/console/users?done=two-factor-reset")),
        Err(err) => {
            let message =
                refusals::refusal_message(viewer.lang, &err).ok_or_else(|| viewer.fail(err))?;
            refused_page(&state, &viewer, message, UserForm::default()).await
        }
    }
}
