//! Issue 17, findings 1 and 4 (evidence): no open door. Each test repeats an attack that
//! worked against `serve` on loopback and fails if it works again, on both databases.
//! The admin API needs its token whatever the listen address; a refused token stays refused
//! when the header is left out; `/metrics` needs its own token; the client address behind
//! a trusted proxy is the one the proxy saw, in the signature evidence.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;
use tahsil::clock::Clock;
use tahsil::config::{IpRange, Secret};
use tahsil::store::{Actor, MandateRecord, NewMandate, Role};

use crate::both_backends;
use crate::harness::fixtures::{add_user, employer_with_worksites, user_token};
use crate::harness::{PASSWORD, Served, TestDb, WebApp, csrf_of, get_text};

async fn status_of(request: reqwest::RequestBuilder) -> StatusCode {
    request.send().await.unwrap().status()
}

both_backends!(
    serve_on_loopback_without_an_admin_token_answers_401_to_anonymous_admin_requests,
    |db: TestDb| async move {
        let folder = tempfile::tempdir().unwrap();
        let mut config = Served::config(&db, folder.path());
        config.admin_token = None;
        let served = Served::start(&db, config, &Clock::system(), "open-door").await;
        let base = format!("http://{}", served.address);
        let client = reqwest::Client::new();
        let employer = employer_with_worksites(&served.store, "16000001", &["W1"]).await;
        // What the attacker did: read every employer and audit trail, create a mandate on
        // a RIB of their choice.
        for path in [
            "/api/v1/employers".to_owned(),
            format!("/api/v1/employers/{employer}"),
            format!("/api/v1/audit/employer/{employer}"),
        ] {
            assert_eq!(
                status_of(client.get(format!("{base}{path}"))).await,
                StatusCode::UNAUTHORIZED,
                "{path}"
            );
        }
        let created = client
            .post(format!("{base}/api/v1/employers/{employer}/mandates"))
            .json(&json!({ "account": "004 00174 4010010504 86" }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::UNAUTHORIZED);
        let body: serde_json::Value = created.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("TAHSIL_ADMIN_TOKEN"),
            "says what to do: {body}"
        );
        assert!(
            served
                .store
                .list_mandates(employer)
                .await
                .unwrap()
                .is_empty()
        );
        // Any token is wrong when none is configured.
        assert_eq!(
            status_of(
                client
                    .get(format!("{base}/api/v1/employers"))
                    .bearer_auth("guess")
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
        // Nor is /metrics open.
        assert_ne!(
            status_of(client.get(format!("{base}/metrics"))).await,
            StatusCode::OK
        );
        served.stop().await;
    }
);

both_backends!(
    the_development_flag_opens_the_admin_api_to_loopback_only_and_never_through_a_proxy,
    |db: TestDb| async move {
        let app = WebApp::spawn_adjusted(&db, None, None, |options| {
            options.open_admin_api_on_loopback = true;
        })
        .await;
        let client = reqwest::Client::new();
        let url = app.url("/api/v1/employers");
        assert_eq!(status_of(client.get(&url)).await, StatusCode::OK);
        // A request a local proxy forwarded is not this machine's.
        assert_eq!(
            status_of(client.get(&url).header("x-forwarded-for", "203.0.113.9")).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status_of(client.get(&url).header("forwarded", "for=203.0.113.9")).await,
            StatusCode::UNAUTHORIZED
        );
        // A wrong token is refused, never read as "no token".
        assert_eq!(
            status_of(client.get(&url).bearer_auth("wrong")).await,
            StatusCode::UNAUTHORIZED
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_the_development_flag_off_loopback() {
    let db = TestDb::sqlite().await;
    let folder = tempfile::tempdir().unwrap();
    let mut config = Served::config(&db, folder.path());
    config.admin_token = None;
    config.insecure_open_admin_api_on_loopback = true;
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let options = tahsil::cli::serve::ServeOptions {
        clock: Clock::system(),
        instance: "flag".to_owned(),
        tick: std::time::Duration::from_secs(3600),
        notice_poll: std::time::Duration::from_secs(3600),
    };
    let err = tahsil::cli::serve::serve_with(config, options, listener, async {}, |_| {})
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("insecure_open_admin_api_on_loopback"),
        "{err:#}"
    );
}

both_backends!(
    a_refused_employer_token_stays_refused_when_the_header_is_left_out,
    |db: TestDb| async move {
        // No admin token configured: the deployment the README recommended.
        let app = WebApp::spawn_with(&db, None).await;
        employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        let (_, token) = user_token(&app, "gerant@a.dz", &["16000001"]).await;
        let client = reqwest::Client::new();
        for path in ["/api/v1/employers", "/api/v1/audit/employer/1"] {
            let url = app.url(path);
            assert_eq!(
                status_of(client.get(&url).bearer_auth(&token)).await,
                StatusCode::FORBIDDEN,
                "{path}"
            );
            assert_eq!(
                status_of(client.get(&url)).await,
                StatusCode::UNAUTHORIZED,
                "{path} without the header"
            );
            assert_eq!(
                status_of(
                    client
                        .get(&url)
                        .header("authorization", "Basic Zm9vOmJhcg==")
                )
                .await,
                StatusCode::UNAUTHORIZED,
                "{path} with another scheme"
            );
        }
        // The employer routes: an absent or wrong token is 401, the token itself works.
        assert_eq!(
            status_of(client.get(app.url("/api/v1/me"))).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status_of(
                client
                    .get(app.url("/api/v1/me"))
                    .bearer_auth("tahsil_u_wrong")
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status_of(client.get(app.url("/api/v1/me")).bearer_auth(&token)).await,
            StatusCode::OK
        );
    }
);

both_backends!(
    metrics_need_their_own_token_and_are_off_without_one,
    |db: TestDb| async move {
        let client = reqwest::Client::new();
        // No metrics token: off, whatever is sent (the admin token does not open it).
        let off = WebApp::spawn_adjusted(&db, Some("admin-test-token"), None, |options| {
            options.metrics_token = None;
        })
        .await;
        for token in [None, Some("admin-test-token"), Some("")] {
            let mut request = client.get(off.url("/metrics"));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            assert_eq!(status_of(request).await, StatusCode::NOT_FOUND, "{token:?}");
        }
        drop(off);
        let on = WebApp::spawn_adjusted(&db, Some("admin-test-token"), None, |options| {
            options.metrics_token = Some(Arc::new(Secret::new("scrape-me")));
        })
        .await;
        let url = on.url("/metrics");
        assert_eq!(status_of(client.get(&url)).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            status_of(client.get(&url).bearer_auth("admin-test-token")).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status_of(client.get(&url).bearer_auth("scrape-me")).await,
            StatusCode::OK
        );
    }
);

/// A browser behind the proxy at 127.0.0.1 that forwards for `client_ip`, signed in as
/// `email`: the client and its session's CSRF token.
async fn signed_in_through_proxy(
    app: &WebApp,
    email: &str,
    client_ip: &str,
) -> (reqwest::Client, String) {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", client_ip.parse().unwrap());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap();
    let csrf = csrf_of(&get_text(&client, &app.url("/login")).await.1);
    let response = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let csrf = csrf_of(&get_text(&client, &app.url("/password/forgot")).await.1);
    (client, csrf)
}

/// An employer signs a mandate through a client saying it is forwarded for `client_ip`
/// (`X-Forwarded-For`): the mandate as signed.
async fn sign_a_mandate_forwarded_for(app: &WebApp, client_ip: &str) -> MandateRecord {
    let a = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
    add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
    let mandate = app
        .store
        .create_mandate(
            &Actor::new("test"),
            a,
            NewMandate {
                account: mandates::AccountId::parse("004 00174 4010010504 86").unwrap(),
                ceiling: None,
            },
        )
        .await
        .unwrap();
    let (client, csrf) = signed_in_through_proxy(app, "gerant@a.dz", client_ip).await;
    let response = client
        .post(app.url(&format!("/portal/{a}/mandate/{}/sign", mandate.id)))
        .form(&[
            ("csrf", csrf.as_str()),
            ("consent", "yes"),
            ("signer", "Karim Benali, gérant"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.store.mandate(mandate.id).await.unwrap()
}

both_backends!(
    signature_evidence_records_the_client_behind_a_trusted_proxy_not_the_proxy,
    |db: TestDb| async move {
        let app = WebApp::spawn_adjusted(&db, Some("admin-test-token"), None, |options| {
            options.trusted_proxies = vec![IpRange::parse("127.0.0.1").unwrap()];
        })
        .await;
        let signed = sign_a_mandate_forwarded_for(&app, "198.51.100.23").await;
        assert_eq!(signed.signature_ip.as_deref(), Some("198.51.100.23"));
    }
);

both_backends!(
    forwarding_headers_from_an_untrusted_peer_are_ignored_in_the_evidence,
    |db: TestDb| async move {
        // No trusted proxy: what a client writes in X-Forwarded-For is its own word.
        let app = WebApp::spawn(&db).await;
        let signed = sign_a_mandate_forwarded_for(&app, "198.51.100.23").await;
        assert_eq!(signed.signature_ip.as_deref(), Some("127.0.0.1"));
    }
);
