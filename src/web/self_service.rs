//! Self-service pages anyone signed in (or about to be) reaches: enrolment of an employer
//! with its activation code (`/enrol`), the second step of a sign-in (`/login/code`), and
//! the profile (`/account`: password, e-mail with confirmation, language, two-step
//! sign-in — set up, or turned off with a current code by finance staff; an
//! administrator's stays on). Throttled in the store like sign-ins; every form carries CSRF and answers
//! with a redirect (POST/redirect/GET) or the form again with what was wrong.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde::Deserialize;

use super::WebState;
use super::i18n::{SelfServiceTexts, refusals};
use super::session::{
    CHALLENGE_COOKIE, Chrome, CsrfForm, NavLink, PageError, PageResult, SESSION_COOKIE, Viewer,
    cookie, see_other,
};
use crate::locale::Lang;
use crate::store::{
    CHALLENGE_MINUTES, Enrolment, SESSION_HOURS, SecondFactor, Session, StoreError, TotpSetup,
};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/enrol", get(enrol_page).post(enrol))
        .route("/login/code", get(second_page).post(second))
        .route("/account", get(profile))
        .route("/account/password", post(change_password))
        .route("/account/email", post(change_email))
        .route("/account/email/confirm", get(confirm_email))
        .route("/account/language", post(set_language))
        .route("/account/two-factor", post(start_two_factor))
        .route("/account/two-factor/confirm", post(confirm_two_factor))
        .route("/account/two-factor/disable", post(disable_two_factor))
}

/// A refusal of the store in the viewer's words, or the error page.
fn refused_words(viewer: &Viewer, err: StoreError) -> Result<String, PageError> {
    refusals::refusal_message(viewer.lang, &err).ok_or_else(|| viewer.fail(err))
}

// ----- Enrolment -----

#[derive(Template)]
#[template(path = "web/account/enrol.html")]
struct EnrolPage {
    c: Chrome,
    s: &'static SelfServiceTexts,
    affiliation: String,
    email: String,
    name: String,
    error: Option<String>,
}

async fn enrol_page(viewer: Viewer) -> PageResult {
    let page = EnrolPage {
        c: viewer.chrome(Vec::new()),
        s: SelfServiceTexts::of(viewer.lang),
        affiliation: String::new(),
        email: String::new(),
        name: String::new(),
        error: None,
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct EnrolForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    affiliation: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn enrol(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<EnrolForm>,
) -> PageResult {
    viewer.check_csrf(&form.csrf)?;
    let outcome = state
        .store()
        .enrol(Enrolment {
            affiliation_number: &form.affiliation,
            code: &form.code,
            email: &form.email,
            display_name: &form.name,
            password: &form.password,
            address: &viewer.ip,
        })
        .await;
    match outcome {
        Ok(user) => {
            tracing::info!(user_id = user.id, "employer enrolled");
            Ok(see_other("/login?enrolled=1"))
        }
        Err(err) => {
            let status = match &err {
                StoreError::Refused {
                    refusal: crate::store::Refusal::EnrolmentThrottled,
                    ..
                } => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let page = EnrolPage {
                c: viewer.chrome(Vec::new()),
                s: SelfServiceTexts::of(viewer.lang),
                affiliation: form.affiliation.trim().chars().take(40).collect(),
                email: form.email.trim().chars().take(254).collect(),
                name: form.name.trim().chars().take(200).collect(),
                error: Some(refused_words(&viewer, err)?),
            };
            viewer.page(status, &page)
        }
    }
}

// ----- The second step of a sign-in -----

#[derive(Template)]
#[template(path = "web/account/second_factor.html")]
struct SecondPage {
    c: Chrome,
    s: &'static SelfServiceTexts,
    error: Option<&'static str>,
}

async fn second_page(viewer: Viewer) -> PageResult {
    let page = SecondPage {
        c: viewer.chrome(Vec::new()),
        s: SelfServiceTexts::of(viewer.lang),
        error: None,
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

async fn second(
    State(state): State<WebState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> PageResult {
    viewer.check_csrf(&form.csrf)?;
    let s = SelfServiceTexts::of(viewer.lang);
    let challenge = cookie(
        &headers,
        &super::session::cookie_name(CHALLENGE_COOKIE, viewer.secure_cookies),
    )
    .unwrap_or_default();
    let outcome = state
        .store()
        .complete_second_factor(&challenge, &form.code)
        .await
        .map_err(|e| viewer.fail(e))?;
    let (status, error) = match outcome {
        SecondFactor::Accepted { token, session } => {
            let mut response = see_other("/");
            viewer.set_cookie(
                response.headers_mut(),
                SESSION_COOKIE,
                &token,
                Some(SESSION_HOURS * 3600),
            );
            viewer.set_cookie(response.headers_mut(), CHALLENGE_COOKIE, "", Some(0));
            tracing::info!(user_id = session.user.id, "signed in with a second factor");
            return Ok(response);
        }
        SecondFactor::Refused => (StatusCode::UNAUTHORIZED, s.second_refused),
        SecondFactor::Throttled => (StatusCode::TOO_MANY_REQUESTS, s.second_throttled),
    };
    let page = SecondPage {
        c: viewer.chrome(Vec::new()),
        s,
        error: Some(error),
    };
    viewer.page(status, &page)
}

/// The cookie of a challenge lasts as long as the challenge.
pub(super) const CHALLENGE_SECONDS: i64 = CHALLENGE_MINUTES * 60;

// ----- The profile -----

#[derive(Template)]
#[template(path = "web/account/profile.html")]
struct ProfilePage {
    c: Chrome,
    s: &'static SelfServiceTexts,
    email: String,
    is_staff: bool,
    is_admin: bool,
    two_factor_on: bool,
    two_factor_required: bool,
    setup: Option<TotpSetup>,
    recovery: Vec<String>,
    langs: Vec<(&'static str, &'static str, bool)>,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct ProfileQuery {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    two_factor: Option<String>,
}

/// The navigation of the profile: home, and the profile itself.
fn profile_nav(viewer: &Viewer, session: &Session) -> Vec<NavLink> {
    let t = viewer.texts();
    vec![
        NavLink {
            href: if session.user.role.is_staff() {
                "/console".to_owned()
            } else {
                "/portal".to_owned()
            },
            label: t.dashboard,
            current: false,
        },
        NavLink {
            href: "/account".to_owned(),
            label: SelfServiceTexts::of(viewer.lang).profile,
            current: true,
        },
    ]
}

struct ProfileFeedback {
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
    recovery: Vec<String>,
    required: bool,
}

async fn render_profile(
    state: &WebState,
    viewer: &Viewer,
    session: &Session,
    feedback: ProfileFeedback,
) -> PageResult {
    let s = SelfServiceTexts::of(viewer.lang);
    let user = &session.user;
    let setup = if user.role.is_staff() && !user.totp_enabled {
        state
            .store()
            .pending_totp(user.id, &user.email)
            .await
            .map_err(|e| viewer.fail(e))?
    } else {
        None
    };
    let chosen = user.language.unwrap_or(viewer.lang);
    let page = ProfilePage {
        c: viewer.chrome(profile_nav(viewer, session)),
        s,
        email: user.email.clone(),
        is_staff: user.role.is_staff(),
        is_admin: user.role == crate::store::Role::Admin,
        two_factor_on: user.totp_enabled,
        two_factor_required: feedback.required,
        setup,
        recovery: feedback.recovery,
        langs: [(Lang::Ar, "العربية"), (Lang::Fr, "Français")]
            .into_iter()
            .map(|(lang, name)| (lang.as_str(), name, lang == chosen))
            .collect(),
        notice: feedback.notice,
        error: feedback.error,
    };
    viewer.page(feedback.status, &page)
}

async fn profile(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<ProfileQuery>,
) -> PageResult {
    let session = viewer.signed_in()?;
    let s = SelfServiceTexts::of(viewer.lang);
    let notice = match query.done.as_deref() {
        Some("password") => Some(s.password_done),
        Some("email-sent") => Some(s.email_sent),
        Some("email") => Some(s.email_done),
        Some("language") => Some(s.language_done),
        Some("two-factor-off") => Some(s.two_factor_disabled),
        _ => None,
    };
    let required = query.two_factor.is_some()
        || (session.user.role == crate::store::Role::Admin && !session.user.totp_enabled);
    let feedback = ProfileFeedback {
        status: StatusCode::OK,
        notice,
        error: None,
        recovery: Vec::new(),
        required,
    };
    render_profile(&state, &viewer, session, feedback).await
}

/// The profile again with a refusal of the store.
async fn profile_refused(
    state: &WebState,
    viewer: &Viewer,
    session: &Session,
    err: StoreError,
) -> PageResult {
    let feedback = ProfileFeedback {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        notice: None,
        error: Some(refused_words(viewer, err)?),
        recovery: Vec::new(),
        required: false,
    };
    render_profile(state, viewer, session, feedback).await
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
}

async fn change_password(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let session = viewer.signed_in()?;
    viewer.check_csrf(&form.csrf)?;
    match state
        .store()
        .change_password(session.user.id, session.id, &form.current, &form.password)
        .await
    {
        Ok(()) => Ok(see_other("/account?done=password")),
        Err(err) => profile_refused(&state, &viewer, session, err).await,
    }
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

async fn change_email(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<EmailForm>,
) -> PageResult {
    let session = viewer.signed_in()?;
    viewer.check_csrf(&form.csrf)?;
    match state
        .store()
        .request_email_change(session.user.id, &form.email)
        .await
    {
        Ok(()) => Ok(see_other("/account?done=email-sent")),
        Err(err) => profile_refused(&state, &viewer, session, err).await,
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Template)]
#[template(path = "web/message.html")]
struct ConfirmedPage {
    c: Chrome,
    title: &'static str,
    text: String,
    other: Option<(&'static str, &'static str, &'static str, &'static str)>,
    home: &'static str,
}

/// The link of the confirmation e-mail: the address changes, then the profile (or the
/// sign-in page) says so; a stale link says what to do.
async fn confirm_email(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<TokenQuery>,
) -> PageResult {
    match state.store().confirm_email_change(&query.token).await {
        Ok(_) if viewer.session.is_some() => Ok(see_other("/account?done=email")),
        Ok(_) => Ok(see_other("/login?email=changed")),
        Err(err) => {
            let s = SelfServiceTexts::of(viewer.lang);
            let page = ConfirmedPage {
                c: viewer.chrome(Vec::new()),
                title: s.email_section,
                text: refused_words(&viewer, err)?,
                other: None,
                home: super::i18n::ScreenTexts::of(viewer.lang).home,
            };
            viewer.page(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
}

async fn set_language(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<LanguageForm>,
) -> PageResult {
    let session = viewer.signed_in()?;
    viewer.check_csrf(&form.csrf)?;
    let Ok(lang) = Lang::parse(form.lang.trim()) else {
        return Err(viewer.refuse(super::session::Refusal::NotFound));
    };
    state
        .store()
        .set_user_language(session.user.id, lang)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(see_other("/account?done=language"))
}

async fn start_two_factor(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let session = viewer.signed_in()?;
    viewer.check_csrf(&form.csrf)?;
    if !session.user.role.is_staff() {
        return Err(viewer.refuse(super::session::Refusal::Forbidden));
    }
    match state
        .store()
        .start_totp(session.user.id, &session.user.email)
        .await
    {
        Ok(_) => Ok(see_other("/account")),
        Err(err) => profile_refused(&state, &viewer, session, err).await,
    }
}

async fn confirm_two_factor(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<CodeForm>,
) -> PageResult {
    let session = viewer.signed_in()?;
    viewer.check_csrf(&form.csrf)?;
    match state.store().enable_totp(session.user.id, &form.code).await {
        // The recovery codes are shown in this answer only (the page is `no-store`).
        Ok(codes) => {
            let mut session = session.clone();
            session.user.totp_enabled = true;
            let feedback = ProfileFeedback {
                status: StatusCode::OK,
                notice: Some(SelfServiceTexts::of(viewer.lang).two_factor_done),
                error: None,
                recovery: codes,
                required: false,
            };
            render_profile(&state, &viewer, &session, feedback).await
        }
        Err(err) => profile_refused(&state, &viewer, session, err).await,
    }
}

/// A finance officer turns their own two-step sign-in off with the current code (the
/// store refuses an administrator, a wrong or replayed code).
async fn disable_two_factor(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<CodeForm>,
) -> PageResult {
    let session = viewer.signed_in()?;
    viewer.check_csrf(&form.csrf)?;
    match state
        .store()
        .disable_own_totp(&session.user, &form.code)
        .await
    {
        Ok(()) => {
            tracing::info!(user_id = session.user.id, "two-step sign-in turned off");
            Ok(see_other("/account?done=two-factor-off"))
        }
        Err(err) => profile_refused(&state, &viewer, session, err).await,
    }
}
