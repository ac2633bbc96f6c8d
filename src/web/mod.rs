//! HTTP: the only module that knows axum and HTML. `GET /healthz`, the JSON API under
//! `/api/v1` (admin token), the bank clients' API under `/api/v1/bank` (per-institution
//! tokens), and the server-rendered pages: sign-in, the employer portal (`/portal`) and
//! the finance console (`/console`), in Arabic and French.
//!
//! Access rules live in one place each: [`session::Viewer`] (who is asking: a session
//! cookie, CSRF on every form POST), [`portal`] (an employer user reaches only its own
//! employers: every portal route goes through `portal::employer_for`), [`console`]
//! (staff only), [`api`] (the admin token, an employer user's personal token, an
//! institution's token: each reaches only its own); [`disputes`] has pages on both sides
//! and uses the portal's and the console's checks.
//!
//! The rooms: [`account`] (sign-in and the pages anyone reaches), [`portal`],
//! [`console`], [`disputes`], [`api`], [`metrics`]; under them [`session`] (the visitor,
//! cookies, CSRF, page responses) and [`i18n`] (the words and formats of both
//! languages). This file holds the router, the state every handler reaches, the
//! middleware (request id, security headers) and `serve`. Everything here reads and
//! writes through the store, never SQL.

mod account;
mod api;
mod api_docs;
mod attestations;
mod client;
mod consent;
mod console;
mod display;
mod disputes;
mod i18n;
mod metrics;
mod pdf;
mod plans;
mod portal;
mod redact;
mod refunds;
mod self_service;
mod session;
mod statement;
mod verify;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use crate::config::Secret;
use crate::cycle::CycleSettings;
use crate::locale::Lang;
use crate::store::Store;

pub use api::ApiError;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    /// The admin API's `Authorization: Bearer <token>`. Without it the admin API answers
    /// 401 to everyone (unless [`WebOptions::open_admin_api_on_loopback`]).
    pub admin_token: Option<Arc<Secret>>,
}

/// How the web surface is set up beyond the store.
#[derive(Clone, Debug, Default)]
pub struct WebOptions {
    /// The exchange folders and formats, for the bank API (without them it answers 503).
    pub cycle: Option<Arc<CycleSettings>>,
    /// Mark cookies `Secure` (behind HTTPS) and send `Strict-Transport-Security`.
    pub secure_cookies: bool,
    /// The due dates, for the dashboard's look 60 days ahead (without them it sees only
    /// the dates already planned).
    pub due_dates: Option<mandates::DueDateSchedule>,
    /// The bearer token of `/metrics`; without it `/metrics` answers 404.
    pub metrics_token: Option<Arc<Secret>>,
    /// Development only: with no admin token, the admin API answers requests from a
    /// loopback peer that came through no proxy without a token (`serve` refuses it
    /// unless it listens on loopback, and warns).
    pub open_admin_api_on_loopback: bool,
    /// The proxies whose forwarding headers are believed (see [`client`]).
    pub trusted_proxies: Vec<crate::config::IpRange>,
    /// The portal's public address, for the certificates' verification links and QR codes
    /// (`{portal_url}/verify/CODE`).
    pub portal_url: Option<String>,
    /// How long a certificate of being up to date is valid.
    pub attestations: crate::store::AttestationPolicy,
}

/// The router's state: the shared [`AppState`] and the web options.
#[derive(Clone, Debug)]
pub(crate) struct WebState {
    pub app: AppState,
    pub options: Arc<WebOptions>,
    /// Request latencies for `/metrics`.
    pub requests: Arc<metrics::RequestMetrics>,
}

impl FromRef<WebState> for AppState {
    fn from_ref(state: &WebState) -> AppState {
        state.app.clone()
    }
}

impl WebState {
    pub fn store(&self) -> &Store {
        &self.app.store
    }

    /// The channels' timing (notice period, file day): the configured one, else the default.
    pub fn channel_policy(&self) -> mandates::ChannelPolicy {
        self.options
            .cycle
            .as_ref()
            .map(|cycle| cycle.policy)
            .unwrap_or_default()
    }
}

pub fn router(state: AppState) -> Router {
    router_with(state, WebOptions::default())
}

pub fn router_with(state: AppState, options: WebOptions) -> Router {
    let secure = options.secure_cookies;
    let web = WebState {
        app: state,
        options: Arc::new(options),
        requests: Arc::default(),
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::metrics))
        .nest("/api/v1", api::router(web.clone()))
        .merge(pages())
        .layer(middleware::from_fn(move |request, next| {
            security_headers(request, next, secure)
        }))
        .layer(middleware::from_fn_with_state(web.clone(), metrics::track))
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(redact::request_span))
        .layer(middleware::from_fn_with_state(web.clone(), request_id))
        .with_state(web)
}

/// The pages people open: sign-in and account, the portal, the console, the disputes.
/// An address no page has answers with a page (404), and a page's address asked with a
/// method it does not take — a form's address opened after a language switch or a
/// refresh — with a page too (405), never an empty body.
fn pages() -> Router<WebState> {
    Router::new()
        .merge(account::router())
        .merge(self_service::router())
        .merge(portal::router())
        .merge(console::router())
        .merge(disputes::router())
        .merge(api_docs::router())
        .merge(refunds::router())
        .merge(verify::router())
        .method_not_allowed_fallback(session::method_not_allowed_page)
        .fallback(session::not_found_page)
}

/// Every request gets an id, in the span of everything logged while serving it and in
/// the `X-Request-Id` response header (a caller's own id is kept when it is a short
/// token), so a user's report, a proxy's log line and ours can be matched. The client's
/// address ([`client::ClientAddr`]) is computed here once, kept for the handlers and
/// logged in the span.
async fn request_id(State(web): State<WebState>, mut request: Request, next: Next) -> Response {
    use tracing::Instrument;
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| {
            use rand::RngCore;
            format!("{:016x}", rand::rng().next_u64())
        });
    let client = client::ClientAddr(client::client_address(
        client::peer(request.extensions()),
        request.headers(),
        &web.options.trusted_proxies,
    ));
    request.extensions_mut().insert(client);
    let span = tracing::info_span!("request", id = %id, client = %client);
    let mut response = next.run(request).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Headers on every response: no framing, no sniffing, a strict content policy (no
/// inline script or style: pages work without JavaScript), no referrer leaks.
async fn security_headers(request: Request, next: Next, secure: bool) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    );
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if secure {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(err) => {
            tracing::error!(error = %err, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
        }
    }
}

/// Serves until `shutdown` resolves. The listener is injected so tests bind port 0.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with(listener, state, WebOptions::default(), shutdown).await
}

/// [`serve`] with the web options (exchange folders for the bank API, secure cookies).
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    options: WebOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = router_with(state, options).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// The consent text the mandate page shows for `mandate` in `lang` (`ar` or `fr`): what a
/// signature's `consent_text_sha256` covers (the text is kept with the signature).
pub fn consent_text(
    lang: &str,
    employer_name: &str,
    mandate: &crate::store::MandateRecord,
) -> Option<String> {
    Lang::parse(lang)
        .ok()
        .map(|lang| consent::consent_text(lang, employer_name, mandate))
}

/// An amount as the pages show it in `lang` (`ar` or `fr`).
pub fn format_money(amount: mandates::Amount, lang: &str) -> Option<String> {
    Lang::parse(lang).ok().map(|lang| i18n::money(amount, lang))
}
