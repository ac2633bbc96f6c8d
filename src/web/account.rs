//! The account pages anyone reaches: sign in and out, password forgot/reset, the language
//! switch, the stylesheet, and `/` (which sends each role to its home). Knows no portal or
//! console page beyond their addresses.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::WebState;
use super::i18n::refusals;
use super::session::{
    Chrome, CsrfForm, LANG_COOKIE, PageResult, Refusal, SESSION_COOKIE, Viewer, see_other,
};
use crate::locale::Lang;
use crate::store::{SESSION_HOURS, SignIn};

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
    email: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct LoginQuery {
    #[serde(default)]
    reset: Option<String>,
}

async fn login_page(viewer: Viewer, Query(query): Query<LoginQuery>) -> PageResult {
    if viewer.session.is_some() {
        return Ok(see_other("/"));
    }
    let page = LoginPage {
        c: viewer.chrome(Vec::new()),
        email: String::new(),
        error: None,
        notice: query.reset.map(|_| viewer.texts().reset_done),
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
    Form(form): Form<LoginForm>,
) -> PageResult {
    viewer.check_csrf(&form.csrf)?;
    let outcome = state
        .store()
        .sign_in(&form.email, &form.password, &viewer.ip)
        .await
        .map_err(|e| viewer.fail(e))?;
    let (status, error) = match outcome {
        SignIn::Accepted { token, session } => {
            let mut response = see_other("/");
            viewer.set_cookie(
                response.headers_mut(),
                SESSION_COOKIE,
                &token,
                Some(SESSION_HOURS * 3600),
            );
            tracing::info!(user_id = session.user.id, "signed in");
            return Ok(response);
        }
        SignIn::Refused => (StatusCode::UNAUTHORIZED, viewer.texts().sign_in_refused),
        SignIn::Throttled => (
            StatusCode::TOO_MANY_REQUESTS,
            viewer.texts().sign_in_throttled,
        ),
    };
    let page = LoginPage {
        c: viewer.chrome(Vec::new()),
        email: form.email.trim().chars().take(254).collect(),
        error: Some(error),
        notice: None,
    };
    viewer.page(status, &page)
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

async fn forgot(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<ForgotForm>,
) -> PageResult {
    viewer.check_csrf(&form.csrf)?;
    // The same answer whether or not the address has an account.
    state
        .store()
        .request_password_reset(&form.email)
        .await
        .map_err(|e| viewer.fail(e))?;
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
