//! Issue 17, findings 7, 9, 13, 15 and 17, each repeated as the attacker tried it, on both
//! databases: a live reset token in debug logs, the language switch's redirect, an e-mail
//! address with a line break, a planted sign-in cookie pair, and a signature under a
//! consent text the fund never published.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tahsil::store::{Actor, NewUser, Refusal, Role, SeedEmployer, SeedWorksite, StoreError};
use tahsil::web::{self, AppState, WebOptions};

use crate::both_backends;
use crate::harness::fixtures::{add_user, employer_with_worksites, scalar, signed_mandate};
use crate::harness::{PASSWORD, TestDb, WebApp, call, csrf_of, get_text, test_key_base64};

const ADMIN: &str = "admin-test-token";

/// The first line of `serve`'s standard output names its address.
fn address_of(line: &str) -> String {
    line.split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_owned()
}

// Finding 7: the request span recorded the full URI, so `RUST_LOG=debug` wrote every
// password-reset link in clear.
both_backends!(
    debug_logs_never_show_a_live_reset_token,
    |db: TestDb| async move {
        use std::io::{BufRead, BufReader};
        let store = db.store().await;
        add_user(&store, "finance@fund.dz", Role::Finance, &[]).await;
        let work = tempfile::tempdir().unwrap();
        let mail = work.path().join("mail");
        let log_path = work.path().join("serve.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tahsil"))
            .args([
                "--database-url",
                &db.url,
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .current_dir(work.path())
            .env("TAHSIL_LOG", "debug")
            .env("RUST_LOG", "debug")
            .env("TAHSIL_ENCRYPTION_KEY", test_key_base64())
            .env(
                "TAHSIL_ADMIN_TOKEN",
                "a-long-admin-token-for-this-test-only-0123",
            )
            .env("TAHSIL_MAIL_DIR", &mail)
            .env_remove("TAHSIL_CLOCK")
            .env_remove("TAHSIL_PORTAL_URL")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = address_of(&line);

        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let (_, page) = get_text(&client, &format!("{url}/password/forgot")).await;
        let response = client
            .post(format!("{url}/password/forgot"))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("email", "finance@fund.dz"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);

        let deadline = Instant::now() + Duration::from_secs(30);
        let file = loop {
            let found = std::fs::read_dir(&mail).ok().and_then(|dir| {
                dir.flatten()
                    .map(|e| e.path())
                    .find(|p| p.extension().is_some_and(|e| e == "eml"))
            });
            if let Some(file) = found {
                break file;
            }
            assert!(Instant::now() < deadline, "no reset email written");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let raw = std::fs::read(&file).unwrap();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let text = message.body_text(0).unwrap().into_owned();
        let start = text.find("/password/reset?token=").expect("a reset link") + 22;
        let token: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        assert!(token.len() >= 40, "{token}");

        // The link is used as a browser would: the page, then the new password; and the
        // same token as a path segment, as a guessed address.
        let (status, page) =
            get_text(&client, &format!("{url}/password/reset?token={token}")).await;
        assert_eq!(status, StatusCode::OK);
        let response = client
            .post(format!("{url}/password/reset"))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("token", token.as_str()),
                ("password", "a brand new password"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        get_text(&client, &format!("{url}/password/reset/{token}")).await;
        get_text(&client, &format!("{url}/login?next={token}")).await;

        Command::new("kill")
            .arg(child.id().to_string())
            .status()
            .unwrap();
        child.wait().unwrap();
        let logs = std::fs::read_to_string(&log_path).unwrap();
        assert!(
            logs.contains("/password/reset"),
            "the requests were logged at debug level: {logs}"
        );
        assert!(
            !logs.contains(&token),
            "the live token is in the logs:\n{}",
            logs.lines()
                .filter(|l| l.contains(&token))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
);

// Finding 9: `/\t/evil.example/` went through (browsers drop the tab: `//evil.example/`)
// and a line break answered 500.
both_backends!(
    the_language_switch_goes_back_only_to_a_local_path,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let client = app.browser();
        let (_, page) = get_text(&client, &app.url("/login")).await;
        let csrf = csrf_of(&page);
        for (back, expected) in [
            ("/console/employers?q=a", "/console/employers?q=a"),
            ("/\t/evil.example/", "/"),
            ("/\n", "/"),
            ("/\r\nLocation: https://evil.example/", "/"),
            ("//evil.example/", "/"),
            ("/\\evil.example/", "/"),
            ("https://evil.example/", "/"),
            ("/%0d%0aSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1"),
        ] {
            let response = client
                .post(app.url("/language"))
                .form(&[("csrf", csrf.as_str()), ("lang", "fr"), ("back", back)])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{back:?}");
            assert_eq!(
                response.headers()["location"].to_str().unwrap(),
                expected,
                "{back:?}"
            );
        }
    }
);

// Finding 13: an employer e-mail with CRLF was accepted, and refused by the mailer later.
both_backends!(
    addresses_and_names_with_line_breaks_are_refused_where_they_enter,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        for (field, value) in [
            ("email", "compta@a.dz\r\nBcc: all@evil.example"),
            ("email", "compta@a.dz\n"),
            ("email", "compta@@a.dz"),
            ("email", "compta@a"),
            ("name", "SARL Sud\r\nBcc: all@evil.example"),
            ("name_ar", "شركة\nBcc: x@evil.example"),
        ] {
            let mut body = json!({
                "affiliation_number": "16000001",
                "name": "SARL Sud",
                "email": "compta@a.dz",
            });
            body[field] = json!(value);
            let (status, answer) = call(
                &app,
                reqwest::Method::POST,
                "/api/v1/employers",
                Some(ADMIN),
                Some(body),
            )
            .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{value:?}");
            let message = answer["error"]["message"].as_str().unwrap();
            assert!(message.starts_with(field), "{value:?}: {message}");
        }
        assert_eq!(
            scalar(&app.store, "SELECT COUNT(*) FROM employers").await,
            0
        );

        // Users: the console and `tahsil users add` go through the same store method.
        for (email, name) in [
            ("finance@fund.dz\r\n", ""),
            ("finance@fund.dz\r\nBcc: x@evil.example", ""),
            ("finance@fund.dz", "Finance\r\nBcc: x@evil.example"),
        ] {
            let refused = app
                .store
                .create_user(
                    &Actor::new("test"),
                    NewUser {
                        email: email.to_owned(),
                        display_name: name.to_owned(),
                        role: Role::Finance,
                        password: PASSWORD.to_owned(),
                        employers: Vec::new(),
                    },
                )
                .await
                .unwrap_err();
            assert!(
                matches!(
                    refused,
                    StoreError::Refused {
                        refusal: Refusal::EmailInvalid,
                        ..
                    }
                ),
                "{email:?}: {refused:?}"
            );
        }
        assert_eq!(scalar(&app.store, "SELECT COUNT(*) FROM users").await, 0);

        // The seed.
        let seed = SeedEmployer {
            affiliation_number: "16000002".to_owned(),
            name: "SARL Seed".to_owned(),
            name_ar: "شركة".to_owned(),
            email: "seed@a.dz\r\nBcc: x@evil.example".to_owned(),
            language: mandates::NoticeLanguage::Both,
            account: mandates::AccountId::parse("004 00174 4010010504 86").unwrap(),
            worksites: vec![SeedWorksite {
                code: "W1".to_owned(),
                name: "Chantier".to_owned(),
                wilaya: "Alger".to_owned(),
                headcount: 3,
                wage_bill: mandates::Amount::from_centimes(10_000_000),
                bad_weather_base: mandates::Amount::from_centimes(0),
            }],
        };
        let refused = app
            .store
            .seed_batch(
                &Actor::new("test"),
                "2026-10".parse().unwrap(),
                std::slice::from_ref(&seed),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, StoreError::Invalid(m) if m.contains("line break")),
            "{refused:?}"
        );
        assert_eq!(
            scalar(&app.store, "SELECT COUNT(*) FROM employers").await,
            0
        );
    }
);

/// The service with `cookie_secure` on (behind HTTPS in production; plain HTTP here, so
/// the test carries the cookies by hand).
async fn spawn_secure(db: &TestDb) -> (String, tahsil::store::Store) {
    let store = db.store().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState {
        store: store.clone(),
        admin_token: Some(Arc::new(tahsil::config::Secret::new(ADMIN))),
    };
    let options = WebOptions {
        secure_cookies: true,
        ..WebOptions::default()
    };
    tokio::spawn(async move {
        let _ = web::serve_with(listener, state, options, std::future::pending()).await;
    });
    (url, store)
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        c.strip_prefix(&format!("{name}="))
            .map(|rest| rest.split(';').next().unwrap().to_owned())
    })
}

/// Posts the sign-in form with exactly this `Cookie` header and CSRF token.
async fn sign_in_with(url: &str, cookie: &str, csrf: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{url}/login"))
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf),
            ("email", "finance@fund.dz"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap()
}

// Finding 15: any matching cookie and form pair signed in (a cookie planted by a sibling
// site was enough), and cookies had no `__Host-` prefix.
both_backends!(
    a_planted_sign_in_cookie_pair_is_refused,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let url = app.url("");
        let planted = "PlantedByASiblingSite0123456789abcdefghijk";
        for cookie in [
            format!("tahsil_csrf={planted}"),
            format!("tahsil_presession={planted}"),
            format!("tahsil_csrf={planted}; tahsil_presession={planted}"),
        ] {
            let response = sign_in_with(&url, &cookie, planted).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{cookie}");
            assert!(
                cookie_value(&set_cookies(&response), "tahsil_session").is_none(),
                "{cookie}"
            );
        }
        // A real pre-session's token is not another pre-session's.
        let client = app.browser();
        let (_, page) = get_text(&client, &app.url("/login")).await;
        let response = sign_in_with(
            &url,
            &format!("tahsil_presession={planted}"),
            &csrf_of(&page),
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        // The browser that got the page signs in.
        let response = client
            .post(app.url("/login"))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("email", "finance@fund.dz"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);

        // Under cookie_secure: `__Host-` names, Secure, Path=/, no Domain; an unprefixed
        // cookie (which another origin could set) is not read.
        let (secure_url, store) = spawn_secure(&db).await;
        let _ = store;
        let response = reqwest::get(format!("{secure_url}/login")).await.unwrap();
        let cookies = set_cookies(&response);
        let page = response.text().await.unwrap();
        let presession = cookie_value(&cookies, "__Host-tahsil_presession")
            .unwrap_or_else(|| panic!("a __Host- pre-session cookie: {cookies:?}"));
        for cookie in &cookies {
            assert!(cookie.starts_with("__Host-"), "{cookie}");
            assert!(
                cookie.contains("; Secure") && cookie.contains("Path=/"),
                "{cookie}"
            );
            assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
        }
        let csrf = csrf_of(&page);
        let response = sign_in_with(
            &secure_url,
            &format!("tahsil_presession={presession}"),
            &csrf,
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "unprefixed");
        let response = sign_in_with(
            &secure_url,
            &format!("__Host-tahsil_presession={presession}"),
            &csrf,
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let cookies = set_cookies(&response);
        let session = cookie_value(&cookies, "__Host-tahsil_session")
            .unwrap_or_else(|| panic!("a __Host- session cookie: {cookies:?}"));
        let home = |cookie: String| {
            let secure_url = secure_url.clone();
            async move {
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap()
                    .get(format!("{secure_url}/"))
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap()
                    .headers()["location"]
                    .to_str()
                    .unwrap()
                    .to_owned()
            }
        };
        assert_eq!(
            home(format!("__Host-tahsil_session={session}")).await,
            "/console"
        );
        assert_eq!(home(format!("tahsil_session={session}")).await, "/login");
    }
);

// Finding 17: the text of a signature was not kept (only a version and a hash), and the
// API's `sign` took any version and any hash.
both_backends!(
    a_signature_keeps_its_text_under_a_published_version_only,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let employer = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        let (status, mandate) = call(
            &app,
            reqwest::Method::POST,
            &format!("/api/v1/employers/{employer}/mandates"),
            Some(ADMIN),
            Some(json!({ "account": "004 00174 4010010504 86" })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{mandate}");
        let sign = format!("/api/v1/mandates/{}/sign", mandate["id"]);
        for (body, says) in [
            (
                json!({ "signer": "K. Benali", "consent_version": "2026-01",
                        "consent_text_sha256": "0123456789abcdef".repeat(4) }),
                "not a consent version the fund published",
            ),
            (
                json!({ "signer": "K. Benali", "consent_version": "1999-01-fr" }),
                "2026-01-ar, 2026-01-fr",
            ),
            (
                json!({ "signer": "K. Benali", "consent_version": "2026-01-fr",
                        "consent_text_sha256": "0123456789abcdef".repeat(4) }),
                "consent_text_sha256: not the SHA-256",
            ),
        ] {
            let (status, answer) =
                call(&app, reqwest::Method::POST, &sign, Some(ADMIN), Some(body)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
            let message = answer["error"]["message"].as_str().unwrap();
            assert!(message.contains(says), "{message}");
        }
        assert_eq!(
            scalar(&app.store, "SELECT COUNT(*) FROM consent_texts").await,
            0
        );

        let (status, signed) = call(
            &app,
            reqwest::Method::POST,
            &sign,
            Some(ADMIN),
            Some(json!({ "signer": "K. Benali", "consent_version": "2026-01-fr" })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{signed}");
        let text = signed["consent_text"].as_str().expect("the text signed");
        assert!(
            text.contains("SARL Bâtiment du Sud")
                && text.contains(signed["reference"].as_str().unwrap())
                && text.contains("****************0486")
                && text.contains("version 2026-01"),
            "{text}"
        );
        assert_eq!(signed["consent_version"], "2026-01-fr");
        assert_eq!(
            signed["consent_text_sha256"].as_str().unwrap(),
            tahsil::store::consent_text_sha256(text)
        );
        let (kept, version): (String, String) =
            sqlx::query_as("SELECT text, version FROM consent_texts WHERE hash = $1")
                .bind(signed["consent_text_sha256"].as_str().unwrap())
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert_eq!((kept.as_str(), version.as_str()), (text, "2026-01-fr"));

        // The staff's evidence page shows the exact text.
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let finance = app.signed_in("finance@fund.dz").await;
        let (status, page) = finance.get(&format!("/console/employers/{employer}")).await;
        assert_eq!(status, StatusCode::OK);
        let sentence = "Chaque prélèvement est annoncé au moins cinq jours";
        assert!(text.contains(sentence), "{text}");
        assert!(page.contains(sentence), "{page}");

        // Kept once per text, and never changed.
        let other = employer_with_worksites(&app.store, "16000002", &["W1"]).await;
        let third = employer_with_worksites(&app.store, "16000003", &["W1"]).await;
        let a = signed_mandate(&app.store, other, "004 00174 4010010504 86", None).await;
        let b = signed_mandate(&app.store, third, "004 00174 4010010504 86", None).await;
        assert_eq!(
            scalar(&app.store, "SELECT COUNT(*) FROM consent_texts").await,
            2
        );
        let a = app.store.mandate(a).await.unwrap();
        let b = app.store.mandate(b).await.unwrap();
        assert_eq!(a.consent_text, b.consent_text);
        assert!(a.consent_text.is_some());
        for change in [
            "UPDATE consent_texts SET text = 'something else'",
            "DELETE FROM consent_texts",
        ] {
            assert!(
                sqlx::query(change).execute(app.store.pool()).await.is_err(),
                "{change}"
            );
        }
    }
);
