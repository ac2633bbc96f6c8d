//! Who is asking, for the pages: the session cookie (HttpOnly, SameSite=Lax; under
//! `cookie_secure` Secure and named `__Host-…`, so no other origin can plant it), the CSRF
//! token every form must post back (the session's, or before sign-in one derived with the
//! fund's key from a random pre-session cookie, so a planted pair never matches), the
//! language, and the page/error responses.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::WebState;
use super::client::ClientAddr;
use super::i18n::{PageTexts, Texts};
use crate::locale::{Lang, accept_language};
use crate::store::{Role, Session, StoreError};

pub const SESSION_COOKIE: &str = "tahsil_session";
/// Before sign-in: a random id the sign-in forms' CSRF token is derived from.
pub const PRESESSION_COOKIE: &str = "tahsil_presession";
pub const LANG_COOKIE: &str = "tahsil_lang";
/// A browser that signed in before (see `store::sessions`: it passes an account's lockout).
pub const DEVICE_COOKIE: &str = "tahsil_device";
/// Right password, second factor awaited (see `store::two_factor`): the challenge's token.
pub const CHALLENGE_COOKIE: &str = "tahsil_challenge";

/// The request's visitor: signed in or not, language, CSRF token, address and browser.
#[derive(Debug)]
pub struct Viewer {
    pub session: Option<Session>,
    pub session_token: Option<String>,
    pub lang: Lang,
    /// The token this page's forms carry.
    pub csrf: String,
    /// A new pre-session id to issue with the response (its cookie was missing).
    new_presession: Option<String>,
    pub secure_cookies: bool,
    /// The client's address ([`ClientAddr`]).
    pub ip: String,
    pub user_agent: String,
    /// Path and query of this request (for the language switch to come back to).
    pub path: String,
    /// On a portal page of a user acting for several employers (an accountant): the
    /// employer the page is about, named in the header.
    pub current_employer: Option<String>,
}

/// A cookie's name as sent: under `cookie_secure`, with the `__Host-` prefix (browsers
/// accept it only Secure, on `Path=/`, without `Domain`: set by this origin alone).
pub fn cookie_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// The value of one cookie in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// The token of an `Authorization: Bearer …` header ("" when there is none).
pub(super) fn bearer_token(headers: &axum::http::HeaderMap) -> &str {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("")
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<WebState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let ip = ClientAddr::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {})
            .to_string();
        let headers = &parts.headers;
        let secure = state.options.secure_cookies;
        let named = |name: &str| cookie(headers, &cookie_name(name, secure));
        let session_token = named(SESSION_COOKIE);
        let session = match &session_token {
            Some(token) => match state.store().session(token).await {
                Ok(session) => session,
                Err(err) => {
                    tracing::error!(error = %err, "reading a session failed");
                    return Err((StatusCode::INTERNAL_SERVER_ERROR, "server error").into_response());
                }
            },
            None => None,
        };
        let lang = session
            .as_ref()
            .and_then(|s| s.user.language)
            .or_else(|| named(LANG_COOKIE).and_then(|code| Lang::parse(code.trim()).ok()))
            .or_else(|| {
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(accept_language)
            })
            .unwrap_or(Lang::Ar);
        // Before sign-in the token is not in the cookie: it is derived from the
        // pre-session id with the fund's key, so a pair planted by another site is refused.
        let (csrf, new_presession) = match &session {
            Some(session) => (session.csrf_token.clone(), None),
            None => match named(PRESESSION_COOKIE) {
                Some(id) if (32..=128).contains(&id.len()) => {
                    (state.store().presession_csrf_token(&id), None)
                }
                _ => {
                    let id = crate::store::random_token();
                    (state.store().presession_csrf_token(&id), Some(id))
                }
            },
        };
        let user_agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(400)
            .collect();
        // A page answering a form (a refusal shown in place) lives at an address that
        // only takes the form: its language switch goes back to the page the form was
        // on (the same-origin `Referer`), never to the form's address (a 405).
        let path = if matches!(parts.method, Method::GET | Method::HEAD) {
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".to_owned())
        } else {
            referer_path(headers).unwrap_or_else(|| "/".to_owned())
        };
        let current_employer = match &session {
            Some(session) if session.user.employer_ids.len() > 1 => {
                current_employer(state, session, parts.uri.path(), lang).await
            }
            _ => None,
        };
        Ok(Viewer {
            current_employer,
            session,
            session_token,
            lang,
            csrf,
            new_presession,
            secure_cookies: secure,
            ip,
            user_agent,
            path,
        })
    }
}

/// "Current employer: name (affiliation)" for a portal path `/portal/{id}/…` of an
/// employer the user acts for.
async fn current_employer(
    state: &WebState,
    session: &Session,
    path: &str,
    lang: Lang,
) -> Option<String> {
    let id: i64 = path
        .strip_prefix("/portal/")?
        .split('/')
        .next()?
        .parse()
        .ok()?;
    if !session.user.may_act_for(id) {
        return None;
    }
    let employer = state.store().employer(id).await.ok()?;
    Some(format!(
        "{} {}",
        super::i18n::employer_name(&employer, lang),
        employer.affiliation_number
    ))
}

/// The path and query of a same-origin `Referer` (its host is the request's `Host`).
fn referer_path(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer
        .strip_prefix("https://")
        .or_else(|| referer.strip_prefix("http://"))?;
    let (authority, path) = rest.split_at(rest.find('/')?);
    (authority.eq_ignore_ascii_case(host) && !path.starts_with("//")).then(|| path.to_owned())
}

/// One link of the navigation bar.
#[derive(Clone, Debug)]
pub struct NavLink {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// What every page's frame needs: language, direction, texts, the signed-in user, the
/// CSRF token for its forms, the navigation.
#[derive(Clone, Debug)]
pub struct Chrome {
    pub lang: &'static str,
    pub dir: &'static str,
    pub t: &'static Texts,
    pub other_lang: &'static str,
    pub user_name: Option<String>,
    pub csrf: String,
    pub back: String,
    pub nav: Vec<NavLink>,
    /// The console's search box in the header (staff only).
    pub search: Option<&'static super::i18n::SearchTexts>,
    /// The label and the name of the current employer ([`Viewer::current_employer`]).
    pub current_employer: Option<(&'static str, String)>,
}

/// Why a page is not shown.
#[derive(Debug)]
pub enum Refusal {
    /// Not signed in: go to the sign-in page.
    SignInNeeded,
    /// Signed in, but this role may not open the page.
    Forbidden,
    /// An administrator without a second factor: sent to set it up before anything else.
    SecondFactorNeeded,
    /// No such thing — or not this user's (the same answer, so nothing leaks).
    NotFound,
    /// The form's CSRF token is missing or wrong.
    BadForm,
    /// The address exists but not for this method (a form's address opened as a page).
    MethodNotAllowed,
    /// A server problem (logged once, here).
    Internal,
}

/// A refusal, rendered in the visitor's language.
#[derive(Debug)]
pub struct PageError {
    pub refusal: Refusal,
    pub lang: Lang,
}

pub type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "web/message.html")]
struct MessagePage {
    c: Chrome,
    title: &'static str,
    text: &'static str,
    /// The same in the other language (lang, dir, title, text): a visitor who reached a
    /// wrong address reads it whatever language was guessed.
    other: Option<(&'static str, &'static str, &'static str, &'static str)>,
    home: &'static str,
}

/// The words of a refusal page in `lang`: status, title, text.
fn refusal_words(refusal: &Refusal, lang: Lang) -> (StatusCode, &'static str, &'static str) {
    let t = lang.texts();
    let s = super::i18n::ScreenTexts::of(lang);
    match refusal {
        Refusal::SignInNeeded | Refusal::Forbidden | Refusal::SecondFactorNeeded => {
            (StatusCode::FORBIDDEN, t.forbidden_title, t.forbidden_text)
        }
        Refusal::NotFound => (StatusCode::NOT_FOUND, t.not_found_title, t.not_found_text),
        Refusal::MethodNotAllowed => (
            StatusCode::METHOD_NOT_ALLOWED,
            s.method_title,
            s.method_text,
        ),
        Refusal::BadForm => (StatusCode::FORBIDDEN, t.bad_form_title, t.bad_form_text),
        Refusal::Internal => (
            StatusCode::INTERNAL_SERVER_ERROR,
            t.error_title,
            t.error_text,
        ),
    }
}

/// The page of an address that does not exist (the router's fallback): 404, in the
/// visitor's language and the other, with a link home.
pub async fn not_found_page(viewer: Viewer) -> Response {
    viewer.refuse(Refusal::NotFound).into_response()
}

/// The page of a form's address opened as a page (or any method an address does not
/// take): 405, in both languages, with a link home.
pub async fn method_not_allowed_page(viewer: Viewer) -> Response {
    viewer.refuse(Refusal::MethodNotAllowed).into_response()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let Refusal::SignInNeeded = self.refusal {
            return Redirect::to("/login").into_response();
        }
        if let Refusal::SecondFactorNeeded = self.refusal {
            return Redirect::to("/account?two_factor=required").into_response();
        }
        let t = self.lang.texts();
        let (status, title, text) = refusal_words(&self.refusal, self.lang);
        let other =
            matches!(self.refusal, Refusal::NotFound | Refusal::MethodNotAllowed).then(|| {
                let lang = self.lang.other();
                let (_, title, text) = refusal_words(&self.refusal, lang);
                (lang.as_str(), lang.dir(), title, text)
            });
        let page = MessagePage {
            c: Chrome {
                lang: self.lang.as_str(),
                dir: self.lang.dir(),
                t,
                other_lang: self.lang.other().as_str(),
                user_name: None,
                // No form on a refusal page: its language switch is left out.
                csrf: String::new(),
                back: "/".to_owned(),
                nav: vec![NavLink {
                    href: "/".to_owned(),
                    label: t.dashboard,
                    current: false,
                }],
                search: None,
                current_employer: None,
            },
            title,
            text,
            other,
            home: super::i18n::ScreenTexts::of(self.lang).home,
        };
        let mut response = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, title).into_response(),
        };
        if let Refusal::MethodNotAllowed = self.refusal {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
        }
        response
    }
}

impl Viewer {
    pub fn texts(&self) -> &'static Texts {
        self.lang.texts()
    }

    pub fn refuse(&self, refusal: Refusal) -> PageError {
        PageError {
            refusal,
            lang: self.lang,
        }
    }

    /// A store error as a page: not found stays not found, the rest is logged.
    pub fn fail(&self, err: StoreError) -> PageError {
        match err {
            StoreError::NotFound { .. } => self.refuse(Refusal::NotFound),
            other => {
                tracing::error!(error = %other, "page failed");
                self.refuse(Refusal::Internal)
            }
        }
    }

    /// The session, or a redirect to sign in.
    pub fn signed_in(&self) -> Result<&Session, PageError> {
        self.session
            .as_ref()
            .ok_or_else(|| self.refuse(Refusal::SignInNeeded))
    }

    /// A staff session (finance or admin), or a refusal. An administrator without a
    /// second factor is sent to set it up first (`/account`).
    pub fn staff(&self) -> Result<&Session, PageError> {
        let session = self.signed_in()?;
        if session.user.role == Role::Admin && !session.user.totp_enabled {
            return Err(self.refuse(Refusal::SecondFactorNeeded));
        }
        if session.user.role.is_staff() {
            Ok(session)
        } else {
            Err(self.refuse(Refusal::Forbidden))
        }
    }

    /// An employer user's session, or a refusal.
    pub fn employer_user(&self) -> Result<&Session, PageError> {
        let session = self.signed_in()?;
        if session.user.role == Role::Employer {
            Ok(session)
        } else {
            Err(self.refuse(Refusal::Forbidden))
        }
    }

    /// Checks a posted CSRF token against this visitor's.
    pub fn check_csrf(&self, posted: &str) -> Result<(), PageError> {
        let expected_ok = !self.csrf.is_empty() && self.new_presession.is_none();
        if expected_ok && constant_time_eq(posted.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(self.refuse(Refusal::BadForm))
        }
    }

    pub fn chrome(&self, nav: Vec<NavLink>) -> Chrome {
        Chrome {
            lang: self.lang.as_str(),
            dir: self.lang.dir(),
            t: self.texts(),
            other_lang: self.lang.other().as_str(),
            user_name: self.session.as_ref().map(|s| s.user.display_name.clone()),
            csrf: self.csrf.clone(),
            back: self.path.clone(),
            nav,
            search: self
                .session
                .as_ref()
                .filter(|s| s.user.role.is_staff())
                .map(|_| super::i18n::SearchTexts::of(self.lang)),
            current_employer: self.current_employer.clone().map(|name| {
                (
                    super::i18n::SelfServiceTexts::of(self.lang).current_employer,
                    name,
                )
            }),
        }
    }

    /// Renders a page with a status, issuing the pre-session cookie when needed.
    pub fn page(&self, status: StatusCode, template: &impl Template) -> PageResult {
        let html = template.render().map_err(|err| {
            tracing::error!(error = %err, "rendering a page failed");
            self.refuse(Refusal::Internal)
        })?;
        let html = super::display::written_days(&html);
        let mut response = (status, Html(html)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(id) = &self.new_presession {
            self.set_cookie(headers, PRESESSION_COOKIE, id, None);
        }
        Ok(response)
    }

    /// Adds a `Set-Cookie`: HttpOnly, SameSite=Lax, Path=/, no Domain; when configured
    /// Secure and named with the `__Host-` prefix.
    pub fn set_cookie(
        &self,
        headers: &mut HeaderMap,
        name: &str,
        value: &str,
        max_age: Option<i64>,
    ) {
        let name = cookie_name(name, self.secure_cookies);
        let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if let Some(seconds) = max_age {
            text.push_str(&format!("; Max-Age={seconds}"));
        }
        if self.secure_cookies {
            text.push_str("; Secure");
        }
        if let Ok(value) = HeaderValue::from_str(&text) {
            headers.append(header::SET_COOKIE, value);
        }
    }
}

/// A form that posts nothing but its CSRF token (sign out, revoke, disable…).
#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// A 303 to `to` (after a form POST).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("tahsil_session_x=1; tahsil_session=abc; other=2"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, PRESESSION_COOKIE), None);
    }

    #[test]
    fn secure_cookies_carry_the_host_prefix() {
        assert_eq!(cookie_name(SESSION_COOKIE, false), "tahsil_session");
        assert_eq!(cookie_name(SESSION_COOKIE, true), "__Host-tahsil_session");
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("tahsil_session=planted; __Host-tahsil_session=own"),
        );
        assert_eq!(
            cookie(&headers, &cookie_name(SESSION_COOKIE, true)).as_deref(),
            Some("own")
        );
    }
}
