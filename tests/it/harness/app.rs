//! The service for tests, on an ephemeral port: [`TestApp`] (the JSON API with an admin
//! token) and [`WebApp`] (with exchange folders, for the pages and the bank API), and the
//! clients that drive them over HTTP — a signed-in [`Browser`], plain and JSON requests.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::Value;
use tahsil::clock::Clock;
use tahsil::config::Config;
use tahsil::cycle::CycleSettings;
use tahsil::store::Store;
use tahsil::web::{self, AppState, WebOptions};

use super::TestDb;

/// Every test user's password (see `fixtures::add_user`).
pub const PASSWORD: &str = "correct horse battery";

/// The `/metrics` token of a [`WebApp`].
pub const METRICS_TOKEN: &str = "metrics-test-token";

/// The cycle's settings over the exchange folder `exchange`, at most `max_per_file`
/// transactions a file.
pub fn settings(exchange: &Path, max_per_file: u32) -> CycleSettings {
    let config = Config {
        exchange_dir: exchange.to_path_buf(),
        max_per_file,
        ..Config::default()
    };
    CycleSettings::from_config(&config).unwrap()
}

/// The service running on an ephemeral port.
pub struct TestApp {
    pub address: SocketAddr,
    pub store: Store,
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn(db: &TestDb, token: Option<&str>) -> TestApp {
        Self::spawn_with_clock(db, token, Clock::system()).await
    }

    /// The service reading `clock` (the test moves it by hand).
    pub async fn spawn_with_clock(db: &TestDb, token: Option<&str>, clock: Clock) -> TestApp {
        let store = db.store_with_clock(clock).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = AppState {
            store: store.clone(),
            admin_token: token.map(|t| Arc::new(tahsil::config::Secret::new(t))),
        };
        tokio::spawn(async move {
            let _ = web::serve(listener, state, async move {
                let _ = rx.await;
            })
            .await;
        });
        TestApp {
            address,
            store,
            client: reqwest::Client::new(),
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The service with its exchange folders, on an ephemeral port.
pub struct WebApp {
    pub address: std::net::SocketAddr,
    pub store: Store,
    pub settings: Arc<CycleSettings>,
    pub exchange: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl WebApp {
    pub async fn spawn(db: &TestDb) -> WebApp {
        Self::spawn_with(db, Some("admin-test-token")).await
    }

    pub async fn spawn_with(db: &TestDb, admin_token: Option<&str>) -> WebApp {
        Self::start(db, admin_token, Clock::system(), None, |_| {}).await
    }

    /// The service reading `clock` (the test moves it by hand), with the admin token.
    pub async fn spawn_with_clock(db: &TestDb, clock: Clock) -> WebApp {
        Self::start(db, Some("admin-test-token"), clock, None, |_| {}).await
    }

    /// The service with the web options `adjust` changes (trusted proxies, the metrics
    /// token…) and, when given, its own password gate.
    pub async fn spawn_adjusted(
        db: &TestDb,
        admin_token: Option<&str>,
        gate: Option<tahsil::store::PasswordGate>,
        adjust: impl FnOnce(&mut WebOptions),
    ) -> WebApp {
        Self::start(db, admin_token, Clock::system(), gate, adjust).await
    }

    async fn start(
        db: &TestDb,
        admin_token: Option<&str>,
        clock: Clock,
        gate: Option<tahsil::store::PasswordGate>,
        adjust: impl FnOnce(&mut WebOptions),
    ) -> WebApp {
        let store = db.store_with_clock(clock).await;
        let store = match gate {
            Some(gate) => store.with_password_gate(gate),
            None => store,
        };
        let exchange = tempfile::tempdir().unwrap();
        let settings = Arc::new(settings(exchange.path(), 50_000));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = AppState {
            store: store.clone(),
            admin_token: admin_token.map(|t| Arc::new(tahsil::config::Secret::new(t))),
        };
        let mut options = WebOptions {
            cycle: Some(settings.clone()),
            secure_cookies: false,
            due_dates: Some(
                mandates::DueDateSchedule::parse(tahsil::config::DEFAULT_DUE_DATE_SCHEDULE)
                    .unwrap(),
            ),
            metrics_token: Some(Arc::new(tahsil::config::Secret::new(METRICS_TOKEN))),
            ..WebOptions::default()
        };
        adjust(&mut options);
        tokio::spawn(async move {
            let _ = web::serve_with(listener, state, options, async move {
                let _ = rx.await;
            })
            .await;
        });
        WebApp {
            address,
            store,
            settings,
            exchange,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub fn exchange_dir(&self) -> &Path {
        self.exchange.path()
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A signed-in browser for `email` (password [`PASSWORD`]).
    pub async fn signed_in(&self, email: &str) -> Browser {
        sign_in_at(&self.url(""), email, self.store.clock().now().timestamp()).await
    }
}

/// A browser signed in as `email` (password [`PASSWORD`]) on the service at `base`
/// (`http://address`): keeps cookies, does not follow redirects.
pub async fn sign_in(base: &str, email: &str) -> Browser {
    sign_in_at(base, email, chrono::Utc::now().timestamp()).await
}

/// [`sign_in`] to a service whose clock reads `now` (Unix seconds): an administrator's
/// second factor is set up with the code of the service's time, not the system's.
pub async fn sign_in_at(base: &str, email: &str, now: i64) -> Browser {
    let url = |path: &str| format!("{base}{path}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let csrf = csrf_of(&get_text(&client, &url("/login")).await.1);
    let response = client
        .post(url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "sign-in of {email}"
    );
    let key = format!("{base} {email}");
    if response.headers()["location"] == "/login/code" {
        // Signed in before with a second factor (an administrator): one of the recovery
        // codes kept when it was set up.
        let code = RECOVERY
            .lock()
            .unwrap()
            .get_mut(&key)
            .and_then(Vec::pop)
            .expect("a recovery code kept for this user");
        let csrf = csrf_of(&get_text(&client, &url("/login/code")).await.1);
        let response = client
            .post(url("/login/code"))
            .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "second step of {email}"
        );
    }
    // An administrator without a second factor is sent to set it up first: done here as a
    // person would, the code computed from the secret on the page, the recovery codes kept.
    let response = client.get(url("/console")).send().await.unwrap();
    if response
        .headers()
        .get("location")
        .is_some_and(|l| l == "/account?two_factor=required")
    {
        let (_, page) = get_text(&client, &url("/account")).await;
        let csrf = csrf_of(&page);
        let response = client
            .post(url("/account/two-factor"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (_, page) = get_text(&client, &url("/account")).await;
        let secret = text_of_id(&page, "totp-secret");
        let code = totp_at(&secret, now);
        let response = client
            .post(url("/account/two-factor/confirm"))
            .form(&[("csrf", csrf.as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let page = response.text().await.unwrap();
        let codes: Vec<String> = page
            .split("<li><code>")
            .skip(1)
            .map(|rest| rest.split('<').next().unwrap().to_owned())
            .collect();
        assert_eq!(codes.len(), 10, "recovery codes shown");
        RECOVERY.lock().unwrap().insert(key, codes);
    }
    // The session's own CSRF token, from any page with a form.
    let (_, page) = get_text(&client, &url("/password/forgot")).await;
    Browser {
        client,
        csrf: csrf_of(&page),
        base: base.to_owned(),
    }
}

/// The recovery codes of the administrators [`sign_in`] set a second factor up for, by
/// service and e-mail.
static RECOVERY: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, Vec<String>>>,
> = std::sync::LazyLock::new(Default::default);

/// The text of the element with this `id` (up to its first tag end).
pub fn text_of_id(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let after = &html[start..];
    let open = after.find('>').unwrap() + 1;
    let close = after[open..].find('<').unwrap();
    after[open..open + close].to_owned()
}

/// The TOTP code of a base32 secret at `now` (Unix seconds).
pub fn totp_at(secret: &str, now: i64) -> String {
    let bytes = tahsil::totp::from_base32(secret).expect("a base32 secret");
    tahsil::totp::code_at(&bytes, tahsil::totp::step_of(now))
}

impl Drop for WebApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A signed-in client and its session's CSRF token.
pub struct Browser {
    pub client: reqwest::Client,
    pub csrf: String,
    base: String,
}

impl Browser {
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        get_text(&self.client, &format!("{}{path}", self.base)).await
    }

    /// Posts a form with the session's CSRF token added.
    pub async fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let mut form: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, response.text().await.unwrap(), location)
    }
}

pub async fn get_text(client: &reqwest::Client, url: &str) -> (StatusCode, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// The CSRF token in a page's forms.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("a form with a CSRF token");
    let end = html[start..].find('"').unwrap();
    html[start..start + end].to_owned()
}

/// The sealed mandate proposal in a page "check the account" answered (the signing form's
/// hidden `proposal` field), unescaped; `None` when the page has nothing to sign.
pub fn proposal_of(html: &str) -> Option<String> {
    let marker = "name=\"proposal\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    let mut value = html[start..start + end].to_owned();
    for (entity, text) in [
        ("&#x2f;", "/"),
        ("&#x2F;", "/"),
        ("&#47;", "/"),
        ("&#x2b;", "+"),
        ("&#43;", "+"),
        ("&#x3d;", "="),
        ("&#61;", "="),
        ("&amp;", "&"),
    ] {
        value = value.replace(entity, text);
    }
    Some(value)
}

impl Browser {
    /// "Check the account" on the employer's mandate page, then sign what it proposes with
    /// `fields` (`consent`, `signer`): the check's status and page, and the signature's
    /// status and page (`None` when the check proposed nothing).
    pub async fn check_and_sign(
        &self,
        employer: i64,
        account: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, Option<(StatusCode, String)>) {
        let (status, page, _) = self
            .post(
                &format!("/portal/{employer}/mandate"),
                &[("account", account)],
            )
            .await;
        let Some(proposal) = proposal_of(&page) else {
            return (status, page, None);
        };
        let mut form = vec![("proposal", proposal.as_str())];
        form.extend_from_slice(fields);
        let (signed, answer, _) = self
            .post(&format!("/portal/{employer}/mandate/sign"), &form)
            .await;
        (status, page, Some((signed, answer)))
    }
}

/// Posts a declaration CSV as the portal's form does (multipart): status, body and the
/// redirect's location, if any.
pub async fn upload_csv(
    browser: &Browser,
    app: &WebApp,
    employer: i64,
    period: &str,
    csv: &str,
) -> (StatusCode, String, Option<String>) {
    let form = reqwest::multipart::Form::new()
        .text("csrf", browser.csrf.clone())
        .text("period", period.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                .file_name("declaration.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let response = browser
        .client
        .post(app.url(&format!("/portal/{employer}/declarations")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, response.text().await.unwrap(), location)
}

/// A JSON request with an optional bearer token: the status and the JSON answer.
pub async fn call(
    app: &WebApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}")),
    )
}

pub async fn get(app: &WebApp, path: &str, token: &str) -> (StatusCode, Value) {
    call(app, reqwest::Method::GET, path, Some(token), None).await
}
