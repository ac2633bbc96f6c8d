//! The web surface over real HTTP, on both databases: a harness that serves with the
//! exchange folders (for the bank API) and signs people in, plus tests of accounts and
//! sessions. Bank API: `web_bank.rs`; pages and the access matrix: `web_pages.rs`.

use std::path::Path;
use std::sync::Arc;

use reqwest::StatusCode;
use tahsil::cycle::CycleSettings;
use tahsil::store::{Actor, NewUser, Role, Store};
use tahsil::web::{self, AppState, WebOptions};

use crate::both_backends;
use crate::harness::TestDb;

pub const PASSWORD: &str = "correct horse battery";

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
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = Arc::new(crate::run::settings(exchange.path(), 50_000));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = AppState {
            store: store.clone(),
            admin_token: admin_token.map(|t| Arc::new(tahsil::config::Secret::new(t))),
        };
        let options = WebOptions {
            cycle: Some(settings.clone()),
            secure_cookies: false,
        };
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
        let client = self.browser();
        let csrf = csrf_of(&get_text(&client, &self.url("/login")).await.1);
        let response = client
            .post(self.url("/login"))
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
        // The session's own CSRF token, from any page with a form.
        let (_, page) = get_text(&client, &self.url("/password/forgot")).await;
        Browser {
            client,
            csrf: csrf_of(&page),
            base: self.url(""),
        }
    }
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

pub async fn add_user(store: &Store, email: &str, role: Role, employers: &[&str]) -> i64 {
    store
        .create_user(
            &Actor::new("test"),
            NewUser {
                email: email.to_owned(),
                display_name: String::new(),
                role,
                password: PASSWORD.to_owned(),
                employers: employers.iter().map(|s| (*s).to_owned()).collect(),
            },
        )
        .await
        .unwrap()
        .id
}

async fn sign_in_status(app: &WebApp, email: &str, password: &str) -> StatusCode {
    let client = app.browser();
    let (_, page) = get_text(&client, &app.url("/login")).await;
    client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

both_backends!(
    users_sign_in_with_argon2id_passwords_and_secure_cookies,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        crate::store::employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        add_user(
            &app.store,
            "gerant@example.dz",
            Role::Employer,
            &["16000001"],
        )
        .await;

        let stored: String = sqlx::query_scalar("SELECT password_hash FROM users")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains(PASSWORD));

        let client = app.browser();
        let (status, page) = get_text(&client, &app.url("/login")).await;
        assert_eq!(status, StatusCode::OK);
        let csrf = csrf_of(&page);
        let response = client
            .post(app.url("/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", "Gerant@Example.dz"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("tahsil_session="))
            .expect("a session cookie");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert!(!cookie.contains("Secure"), "not configured here: {cookie}");
        // Only the token's hash is in the database.
        let token = cookie
            .trim_start_matches("tahsil_session=")
            .split(';')
            .next()
            .unwrap();
        let hashes: Vec<String> = sqlx::query_scalar("SELECT token_sha256 FROM sessions")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        assert_eq!(hashes, vec![tahsil::store::token_hash(token)]);

        // Signed in: `/` leads to the portal; signing out ends the session.
        let (status, _) = get_text(&client, &app.url("/")).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = get_text(&client, &app.url("/password/forgot")).await;
        let response = client
            .post(app.url("/logout"))
            .form(&[("csrf", csrf_of(&page).as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        assert_eq!(count, 0);
        let response = client.get(app.url("/")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/login");
    }
);

both_backends!(
    a_form_without_the_right_csrf_token_is_refused,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let client = app.browser();
        // No token at all, then a token that is not this visitor's.
        let response = client
            .post(app.url("/login"))
            .form(&[("email", "finance@fund.dz"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let (_, page) = get_text(&client, &app.url("/login")).await;
        let mut wrong = csrf_of(&page);
        wrong.replace_range(0..1, if wrong.starts_with('A') { "B" } else { "A" });
        let response = client
            .post(app.url("/login"))
            .form(&[
                ("csrf", wrong.as_str()),
                ("email", "finance@fund.dz"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        // Signed in, a form posted with the pre-sign-in token is refused too.
        let browser = app.signed_in("finance@fund.dz").await;
        let response = browser
            .client
            .post(app.url("/language"))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("lang", "fr"),
                ("back", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let (status, _, _) = browser
            .post("/language", &[("lang", "fr"), ("back", "/console")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
);

both_backends!(
    repeated_wrong_passwords_are_throttled_even_for_the_right_one,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        assert_eq!(
            sign_in_status(&app, "nobody@fund.dz", PASSWORD).await,
            StatusCode::UNAUTHORIZED
        );
        for _ in 0..5 {
            assert_eq!(
                sign_in_status(&app, "finance@fund.dz", "wrong password!").await,
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(
            sign_in_status(&app, "finance@fund.dz", PASSWORD).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        // The failures are kept as hashes only.
        let keys: Vec<String> = sqlx::query_scalar("SELECT email_key FROM login_failures")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        assert!(keys.iter().all(|k| k.len() == 64 && !k.contains('@')));
    }
);

both_backends!(
    a_password_reset_token_works_once_and_signs_out_everywhere,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let signed_in = app.signed_in("finance@fund.dz").await;

        let client = app.browser();
        let (_, page) = get_text(&client, &app.url("/password/forgot")).await;
        let csrf = csrf_of(&page);
        for email in ["finance@fund.dz", "unknown@fund.dz"] {
            let response = client
                .post(app.url("/password/forgot"))
                .form(&[("csrf", csrf.as_str()), ("email", email)])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            // The same answer for an unknown address.
            assert!(response.text().await.unwrap().contains("class=\"notice\""));
        }
        let emails = app.store.password_reset_emails().await.unwrap();
        assert_eq!(emails.len(), 1, "one email, for the known address");
        let token = emails[0].token.clone();
        let stored: Vec<String> = sqlx::query_scalar("SELECT token_sha256 FROM password_resets")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        assert_eq!(stored, vec![tahsil::store::token_hash(&token)]);
        app.store
            .mark_password_reset_sent(emails[0].reset_id)
            .await
            .unwrap();
        assert!(app.store.password_reset_emails().await.unwrap().is_empty());

        let new_password = "a new long password";
        let reset = |password: &'static str| {
            let client = client.clone();
            let csrf = csrf.clone();
            let token = token.clone();
            let url = app.url("/password/reset");
            async move {
                client
                    .post(url)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("token", token.as_str()),
                        ("password", password),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(reset("short").await, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reset(new_password).await, StatusCode::SEE_OTHER);
        assert_eq!(
            reset(new_password).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "once only"
        );
        // Signed out everywhere; the new password works, the old one not.
        // (the sign-in page sends a signed-in visitor home; a signed-out one sees it)
        let (status, _) = signed_in.get("/login").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            sign_in_status(&app, "finance@fund.dz", PASSWORD).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            sign_in_status(&app, "finance@fund.dz", new_password).await,
            StatusCode::SEE_OTHER
        );
    }
);

both_backends!(
    every_response_carries_the_security_headers_and_a_request_id,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        for path in [
            "/login",
            "/healthz",
            "/api/v1/bank/files",
            "/static/app.css",
        ] {
            let response = reqwest::get(app.url(path)).await.unwrap();
            let headers = response.headers();
            let csp = headers["content-security-policy"].to_str().unwrap();
            assert!(
                csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'none'"),
                "{path}: {csp}"
            );
            assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(headers["x-frame-options"], "DENY", "{path}");
            assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
            let id = headers["x-request-id"].to_str().unwrap();
            assert!(
                id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
                "{path}: {id}"
            );
        }
        // A caller's own request id is kept (and a malformed one replaced).
        let client = reqwest::Client::new();
        let kept = client
            .get(app.url("/healthz"))
            .header("x-request-id", "proxy-7f3a_01")
            .send()
            .await
            .unwrap();
        assert_eq!(kept.headers()["x-request-id"], "proxy-7f3a_01");
        let replaced = client
            .get(app.url("/healthz"))
            .header("x-request-id", "two words")
            .send()
            .await
            .unwrap();
        assert_ne!(replaced.headers()["x-request-id"], "two words");
    }
);
