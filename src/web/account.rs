//! The account pages anyone reaches: sign in and out, password forgot/reset, the language
//! switch, the stylesheet, and `/` (which sends each role to its home). Knows no portal or
//! console page beyond their addresses.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::WebState;
use super::i18n::refusals;
use super::session::{
    CHALLENGE_COOKIE, Chrome, CsrfForm, DEVICE_COOKIE, LANG_COOKIE, PageResult, Refusal,
    SESSION_COOKIE, Viewer, cookie, see_other,
};
use crate::locale::Lang;
use crate::store::{DEVICE_DAYS, ResetRequest, SESSION_HOURS, SignIn, SignInAttempt};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/password/forgot", get(forgot_page).post(forgot))
        .route("/password/reset", get(reset_page).post(reset))
        .route("/language", post(language))
        .route("/static/app.css", get(stylesheet))
}

async fn stylesheet() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

async fn home(viewer: Viewer) -> PageResult {
    let session = viewer.signed_in()?;
    Ok(if session.user.role.is_staff() {
        see_other("/console")
    } else {
        see_other("/portal")
    })
}

#[derive(Template)]
#[template(path = "web/account/login.html")]
struct LoginPage {
    c: Chrome,
    s: &'static super::i18n::SelfServiceTexts,
    email: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct LoginQuery {
    #[serde(default)]
    reset: Option<String>,
    #[serde(default)]
    enrolled: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

async fn login_page(viewer: Viewer, Query(query): Query<LoginQuery>) -> PageResult {
    if viewer.session.is_some() {
        return Ok(see_other("/"));
    }
    let page = LoginPage {
        c: viewer.chrome(Vec::new()),
        s: super::i18n::SelfServiceTexts::of(viewer.lang),
        email: String::new(),
        error: None,
        notice: match (query.reset, query.enrolled, query.email) {
            (Some(_), _, _) => Some(viewer.texts().reset_done),
            (None, Some(_), _) => Some(super::i18n::SelfServiceTexts::of(viewer.lang).enrol_done),
            (None, None, Some(_)) => {
                Some(super::i18n::SelfServiceTexts::of(viewer.lang).email_done)
            }
            (None, None, None) => None,
        },
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(state): State<WebState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> PageResult {
    viewer.check_csrf(&form.csrf)?;
    let device = cookie(&headers, DEVICE_COOKIE);
    let outcome = state
        .store()
        .sign_in_attempt(SignInAttempt {
            email: &form.email,
            password: &form.password,
            address: &viewer.ip,
            device: device.as_deref(),
        })
        .await
        .map_err(|e| viewer.fail(e))?;
    let (status, error) = match outcome {
        SignIn::Accepted {
            token,
            session,
            device,
        } => {
            let mut response = see_other("/");
            viewer.set_cookie(
                response.headers_mut(),
                SESSION_COOKIE,
                &token,
                Some(SESSION_HOURS * 3600),
            );
            if let Some(device) = device {
                viewer.set_cookie(
                    response.headers_mut(),
                    DEVICE_COOKIE,
                    &device,
                    Some(DEVICE_DAYS * 24 * 3600),
                );
            }
            tracing::info!(user_id = session.user.id, "signed in");
            return Ok(response);
        }
        SignIn::SecondFactor { challenge, device } => {
            let mut response = see_other("/login/code");
            viewer.set_cookie(
                response.headers_mut(),
                CHALLENGE_COOKIE,
                &challenge,
                Some(super::self_service::CHALLENGE_SECONDS),
            );
            if let Some(device) = device {
                viewer.set_cookie(
                    response.headers_mut(),
                    DEVICE_COOKIE,
                    &device,
                    Some(DEVICE_DAYS * 24 * 3600),
                );
            }
            return Ok(response);
        }
        SignIn::Refused => (StatusCode::UNAUTHORIZED, viewer.texts().sign_in_refused),
        SignIn::Throttled => (
            StatusCode::TOO_MANY_REQUESTS,
            viewer.texts().sign_in_throttled,
        ),
        SignIn::Busy => {
            let page = LoginPage {
                c: viewer.chrome(Vec::new()),
                s: super::i18n::SelfServiceTexts::of(viewer.lang),
                email: form.email.trim().chars().take(254).collect(),
                error: Some(viewer.texts().sign_in_busy),
                notice: None,
            };
            let mut response = viewer.page(StatusCode::SERVICE_UNAVAILABLE, &page)?;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            return Ok(response);
        }
    };
    let page = LoginPage {
        c: viewer.chrome(Vec::new()),
        s: super::i18n::SelfServiceTexts::of(viewer.lang),
        email: form.email.trim().chars().take(254).collect(),
        error: Some(error),
        notice: None,
    };
    let mut response = viewer.page(status, &page)?;
    if status == StatusCode::TOO_MANY_REQUESTS {
        let seconds = crate::store::FAILURE_WINDOW_MINUTES * 60;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Ok(response)
}

async fn logout(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let Some(token) = &viewer.session_token else {
        return Ok(see_other("/login"));
    };
    if viewer.session.is_some() {
        viewer.check_csrf(&form.csrf)?;
    }
    state
        .store()
        .end_session(token)
        .await
        .map_err(|e| viewer.fail(e))?;
    let mut response = see_other("/login");
    viewer.set_cookie(response.headers_mut(), SESSION_COOKIE, "", Some(0));
    Ok(response)
}

#[derive(Template)]
#[template(path = "web/account/forgot.html")]
struct ForgotPage {
    c: Chrome,
    sent: bool,
}

async fn forgot_page(viewer: Viewer) -> PageResult {
    let page = ForgotPage {
        c: viewer.chrome(Vec::new()),
        sent: false,
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// Every answer of `/password/forgot` takes at least this long, so its timing does not
/// tell whether the address has an account (nor whether it was throttled).
const FORGOT_MIN_DURATION: std::time::Duration = std::time::Duration::from_millis(250);

async fn forgot(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<ForgotForm>,
) -> PageResult {
    viewer.check_csrf(&form.csrf)?;
    // Pacing, not business time: a monotonic instant, never the clock's "now".
    let answer_at = tokio::time::Instant::now() + FORGOT_MIN_DURATION;
    // The same answer (and time) whether the address has an account, has none, or asked
    // too often (then nothing is sent). Only an existing account's request writes an
    // audit entry, which waits for the audit chain's head while another transaction holds
    // it: so the answer never waits for the work past the floor. The work runs on its own
    // task, which logs its own failure; the page answers at the floor, and a request still
    // waiting then finishes after the answer. A request done in time answers as before.
    let store = state.store().clone();
    let (email, address) = (form.email, viewer.ip.clone());
    let work = tokio::spawn(async move {
        let outcome = store.request_password_reset_from(&email, &address).await;
        match &outcome {
            Ok(ResetRequest::Throttled) => tracing::info!("password reset request throttled"),
            Ok(_) => {}
            Err(err) => tracing::error!(error = %err, "password reset request failed"),
        }
        outcome.is_ok()
    });
    let outcome = tokio::time::timeout_at(answer_at, work).await;
    tokio::time::sleep_until(answer_at).await;
    match outcome {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => return Err(viewer.refuse(Refusal::Internal)),
        Ok(Err(panicked)) => {
            tracing::error!(error = %panicked, "password reset request failed");
            return Err(viewer.refuse(Refusal::Internal));
        }
        // Still running at the floor: it finishes on its own task.
        Err(_) => tracing::debug!("password reset request still running at the answer"),
    }
    let page = ForgotPage {
        c: viewer.chrome(Vec::new()),
        sent: true,
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "web/account/reset.html")]
struct ResetPage {
    c: Chrome,
    token: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct ResetQuery {
    #[serde(default)]
    token: String,
}

async fn reset_page(viewer: Viewer, Query(query): Query<ResetQuery>) -> PageResult {
    let page = ResetPage {
        c: viewer.chrome(Vec::new()),
        token: query.token,
        error: None,
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

async fn reset(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<ResetForm>,
) -> PageResult {
    viewer.check_csrf(&form.csrf)?;
    match state
        .store()
        .reset_password(&form.token, &form.password)
        .await
    {
        Ok(_) => Ok(see_other("/login?reset=done")),
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => {
                let page = ResetPage {
                    c: viewer.chrome(Vec::new()),
                    token: form.token,
                    error: Some(message),
                };
                viewer.page(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
            None => Err(viewer.fail(err)),
        },
    }
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// Only a path on this site is followed back (no open redirect): `back` is parsed as a URI
/// reference and must be a path alone — starting with one `/`, with no scheme or
/// authority, no backslash, no control or space character anywhere (browsers drop a tab or
/// a line break, so `/\t/evil.example/` would become `//evil.example/`). Anything else goes
/// to `/`.
fn local_path(back: &str) -> String {
    const HOME: &str = "/";
    if !back.starts_with('/')
        || back.starts_with("//")
        || back
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
    {
        return HOME.to_owned();
    }
    let Ok(uri) = back.parse::<axum::http::Uri>() else {
        return HOME.to_owned();
    };
    match uri.path_and_query() {
        Some(path)
            if uri.scheme().is_none()
                && uri.authority().is_none()
                && path.path().starts_with('/')
                && !path.path().starts_with("//") =>
        {
            path.as_str().to_owned()
        }
        _ => HOME.to_owned(),
    }
}

async fn language(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<LanguageForm>,
) -> PageResult {
    viewer.check_csrf(&form.csrf)?;
    let Ok(lang) = Lang::parse(form.lang.trim()) else {
        return Err(viewer.refuse(Refusal::NotFound));
    };
    if let Some(session) = &viewer.session {
        state
            .store()
            .set_user_language(session.user.id, lang)
            .await
            .map_err(|e| viewer.fail(e))?;
    }
    let mut response = see_other(&local_path(&form.back));
    viewer.set_cookie(
        response.headers_mut(),
        LANG_COOKIE,
        lang.as_str(),
        Some(365 * 24 * 3600),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn the_language_switch_only_goes_back_to_local_pages() {
        for local in ["/", "/portal/3?x=1", "/console/employers?q=a%20b", "/login"] {
            assert_eq!(local_path(local), local);
        }
        for hostile in [
            "",
            "portal",
            "//evil.example/",
            "///evil.example/",
            "https://evil.example/",
            "http:/evil.example/",
            "javascript:alert(1)",
            "/\\evil.example/",
            "\\\\evil.example/",
            "/\t/evil.example/",
            "/\t\t/evil.example",
            "/\n/evil.example/",
            "/\r\n//evil.example/",
            "/portal\nSet-Cookie: x=1",
            "/\u{0}/evil",
            "/\u{85}/evil",
            "/ /evil.example/",
            " //evil.example/",
            "/\u{3000}/evil",
        ] {
            assert_eq!(local_path(hostile), "/", "{hostile:?}");
        }
    }
}
