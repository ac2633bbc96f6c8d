//! Issue 17, findings 2, 3, 4 and 8: throttles that hold. Each test repeats an attack that
//! worked against `serve` and fails if it works again, on both databases: parallel wrong
//! passwords beyond the limit, parallel guesses at the address limit, the lockout of
//! everyone behind a proxy, the lockout of a known user, sign-ins beyond the password
//! checks' room, and `/password/forgot` unthrottled.
//!
//! Password checks are counted by their evidence: one `login_failures` row per checked
//! wrong password (a throttled attempt checks nothing and writes none).

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::StatusCode;
use tahsil::config::IpRange;
use tahsil::store::{MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_EMAIL, PasswordGate, Role};

use crate::both_backends;
use crate::harness::fixtures::{add_user, scalar};
use crate::harness::{PASSWORD, TestDb, WebApp, csrf_of, get_text};

/// A cookie-keeping client with its anonymous CSRF token (the double-submit pair).
async fn anonymous(app: &WebApp) -> (reqwest::Client, String) {
    let client = app.browser();
    let csrf = csrf_of(&get_text(&client, &app.url("/login")).await.1);
    (client, csrf)
}

/// One sign-in through `client`, optionally as forwarded for `forwarded_for`.
async fn sign_in(
    app: &WebApp,
    (client, csrf): &(reqwest::Client, String),
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut request = client.post(app.url("/login")).form(&[
        ("csrf", csrf.as_str()),
        ("email", email),
        ("password", password),
    ]);
    if let Some(ip) = forwarded_for {
        request = request.header("x-forwarded-for", ip);
    }
    request.send().await.unwrap()
}

async fn checked_failures(app: &WebApp) -> i64 {
    scalar(&app.store, "SELECT COUNT(*) FROM login_failures").await
}

both_backends!(
    forty_parallel_wrong_passwords_for_one_email_check_at_most_the_limit,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let browser = anonymous(&app).await;
        let statuses: Vec<StatusCode> = join_all((0..40).map(|i| {
            let (app, browser) = (&app, &browser);
            async move {
                sign_in(app, browser, "finance@fund.dz", &format!("wrong {i}"), None)
                    .await
                    .status()
            }
        }))
        .await;
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count();
        let throttled = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        // On a loaded machine some attempts wait past the password checks' queue and are
        // answered 503 (busy) without a check: they count as neither, and prove nothing here.
        let busy = statuses
            .iter()
            .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
            .count();
        assert_eq!(refused + throttled + busy, 40, "{statuses:?}");
        assert!(
            refused as i64 <= MAX_FAILURES_PER_EMAIL,
            "{refused} checked"
        );
        assert!(checked_failures(&app).await <= MAX_FAILURES_PER_EMAIL);
        // And the right password now waits like everyone (no device signed in before).
        let fresh = anonymous(&app).await;
        let response = sign_in(&app, &fresh, "finance@fund.dz", PASSWORD, None).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(response.headers().contains_key("retry-after"));
    }
);

both_backends!(
    at_the_last_address_failure_parallel_guesses_check_at_most_one,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let browser = anonymous(&app).await;
        for i in 0..MAX_FAILURES_PER_ADDRESS - 1 {
            let response =
                sign_in(&app, &browser, &format!("x{i}@nowhere.dz"), "wrong", None).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "failure {i}");
        }
        let before = checked_failures(&app).await;
        assert_eq!(before, MAX_FAILURES_PER_ADDRESS - 1);
        // 25 guesses at once, one of them right.
        let statuses: Vec<StatusCode> = join_all((0..25).map(|i| {
            let (app, browser) = (&app, &browser);
            async move {
                let (email, password) = if i == 12 {
                    ("finance@fund.dz".to_owned(), PASSWORD.to_owned())
                } else {
                    (format!("guess{i}@nowhere.dz"), format!("guess {i}"))
                };
                sign_in(app, browser, &email, &password, None)
                    .await
                    .status()
            }
        }))
        .await;
        let evaluated = statuses
            .iter()
            .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert!(evaluated <= 1, "{evaluated} evaluated: {statuses:?}");
        let sessions = scalar(&app.store, "SELECT COUNT(*) FROM sessions").await;
        assert!(
            checked_failures(&app).await - before + sessions <= 1,
            "at most one password checked"
        );
    }
);

both_backends!(
    failures_through_a_trusted_proxy_do_not_lock_out_other_clients,
    |db: TestDb| async move {
        let app = WebApp::spawn_adjusted(&db, Some("admin-test-token"), None, |options| {
            options.trusted_proxies = vec![IpRange::parse("127.0.0.0/8").unwrap()];
        })
        .await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let browser = anonymous(&app).await;
        // 35 failures for random emails, each from its own client behind the proxy.
        for i in 0..35 {
            let ip = format!("203.0.113.{}", i + 1);
            let response = sign_in(
                &app,
                &browser,
                &format!("r{i}@nowhere.dz"),
                "wrong",
                Some(&ip),
            )
            .await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "failure {i}");
        }
        // A different client, through the same proxy, with the right password.
        let other = anonymous(&app).await;
        let response = sign_in(
            &app,
            &other,
            "finance@fund.dz",
            PASSWORD,
            Some("6.6.6.6, 198.51.100.7"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        // One client that fails from one address is still throttled there.
        for _ in 0..MAX_FAILURES_PER_ADDRESS {
            sign_in(
                &app,
                &browser,
                "nobody@nowhere.dz",
                "wrong",
                Some("192.0.2.50"),
            )
            .await;
        }
        let response = sign_in(
            &app,
            &browser,
            "someone@nowhere.dz",
            "wrong",
            Some("192.0.2.50"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    }
);

both_backends!(
    forwarding_headers_from_an_untrusted_peer_do_not_escape_the_address_throttle,
    |db: TestDb| async move {
        // No trusted proxy: a client that writes a new X-Forwarded-For each time is still
        // counted by its own address.
        let app = WebApp::spawn(&db).await;
        let browser = anonymous(&app).await;
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            let ip = format!("203.0.113.{}", i + 1);
            let response = sign_in(
                &app,
                &browser,
                &format!("r{i}@nowhere.dz"),
                "wrong",
                Some(&ip),
            )
            .await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "failure {i}");
        }
        let response = sign_in(
            &app,
            &browser,
            "last@nowhere.dz",
            "wrong",
            Some("198.51.100.99"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    }
);

both_backends!(
    a_known_user_is_not_locked_out_on_the_device_it_signed_in_from,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        // The owner signed in once from this browser: it keeps a device cookie.
        let owner = anonymous(&app).await;
        let response = sign_in(&app, &owner, "finance@fund.dz", PASSWORD, None).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let device_cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("tahsil_device=") && v.contains("HttpOnly"));
        assert!(device_cookie, "a device cookie is issued");
        let owner = (owner.0.clone(), {
            // Signed in: the session's CSRF token.
            csrf_of(&get_text(&owner.0, &app.url("/password/forgot")).await.1)
        });
        let response = owner
            .0
            .post(app.url("/logout"))
            .form(&[("csrf", owner.1.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let owner = (
            owner.0.clone(),
            csrf_of(&get_text(&owner.0, &app.url("/login")).await.1),
        );

        // Anyone knowing the email fails more than the limit.
        let attacker = anonymous(&app).await;
        for _ in 0..=MAX_FAILURES_PER_EMAIL {
            sign_in(&app, &attacker, "finance@fund.dz", "wrong password!", None).await;
        }
        let response = sign_in(&app, &attacker, "finance@fund.dz", PASSWORD, None).await;
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "locked for devices that never signed in"
        );
        // The owner's device still passes with the right password.
        let response = sign_in(&app, &owner, "finance@fund.dz", PASSWORD, None).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        // A made-up device cookie counts for nobody.
        let stranger = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let jar_cookie = format!("tahsil_device={}", "A".repeat(43));
        // The sign-in form's own pre-session cookie and token, with the made-up device.
        let form = stranger.get(app.url("/login")).send().await.unwrap();
        let presession: Vec<String> = form
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next().map(str::to_owned))
            .collect();
        let csrf = csrf_of(&form.text().await.unwrap());
        let response = stranger
            .post(app.url("/login"))
            .header("cookie", format!("{jar_cookie}; {}", presession.join("; ")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", "finance@fund.dz"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    }
);

both_backends!(
    sign_ins_beyond_the_password_checks_room_are_answered_busy_at_once,
    |db: TestDb| async move {
        // One check at a time, and no waiting for a turn.
        let app = WebApp::spawn_adjusted(
            &db,
            Some("admin-test-token"),
            Some(PasswordGate::new(1, 0)),
            |_| {},
        )
        .await;
        let browser = anonymous(&app).await;
        let started = Instant::now();
        let responses = join_all((0..20).map(|i| {
            let (app, browser) = (&app, &browser);
            async move {
                let response =
                    sign_in(app, browser, &format!("b{i}@nowhere.dz"), "wrong", None).await;
                let retry = response.headers().get("retry-after").cloned();
                (response.status(), retry)
            }
        }))
        .await;
        let elapsed = started.elapsed();
        let busy: Vec<_> = responses
            .iter()
            .filter(|(status, _)| *status == StatusCode::SERVICE_UNAVAILABLE)
            .collect();
        assert!(!busy.is_empty(), "{responses:?}");
        assert!(busy.iter().all(|(_, retry)| retry.is_some()), "Retry-After");
        assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
        // What was not checked is not counted: the address may still try.
        let checked = checked_failures(&app).await;
        let refused = responses
            .iter()
            .filter(|(status, _)| *status == StatusCode::UNAUTHORIZED)
            .count() as i64;
        assert_eq!(checked, refused);
        let hits = scalar(
            &app.store,
            "SELECT COALESCE(MAX(hits), 0) FROM throttle_counters WHERE bucket LIKE 'signin:address:%'",
        )
        .await;
        assert_eq!(hits, refused, "busy attempts are given back");
    }
);

/// Posts `/password/forgot` for `email`: the status and the page.
async fn forgot(
    app: &WebApp,
    browser: &(reqwest::Client, String),
    email: &str,
) -> (StatusCode, String) {
    let response = browser
        .0
        .post(app.url("/password/forgot"))
        .form(&[("csrf", browser.1.as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn resets_of(app: &WebApp, email: &str) -> i64 {
    let user = app.store.user_by_email(email).await.unwrap().unwrap();
    scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM password_resets WHERE user_id = {}",
            user.id
        ),
    )
    .await
}

both_backends!(
    password_reset_requests_are_throttled_and_answer_alike,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        for email in ["a@fund.dz", "b@fund.dz", "c@fund.dz"] {
            add_user(&app.store, email, Role::Finance, &[]).await;
        }
        let browser = anonymous(&app).await;
        // 30 requests at once for one account: at most 3 links (each cancelling the last).
        let answers = join_all((0..30).map(|_| forgot(&app, &browser, "a@fund.dz"))).await;
        assert!(answers.iter().all(|(status, _)| *status == StatusCode::OK));
        let notice = |page: &str| page.contains("class=\"notice\"");
        assert!(
            answers.iter().all(|(_, page)| notice(page)),
            "the same answer"
        );
        assert_eq!(resets_of(&app, "a@fund.dz").await, 3);
        // The address is spent too (30 asks, 10 allowed): another account gets nothing from
        // here…
        let (status, page) = forgot(&app, &browser, "b@fund.dz").await;
        assert_eq!(status, StatusCode::OK);
        assert!(notice(&page));
        assert_eq!(resets_of(&app, "b@fund.dz").await, 0);
        // …and the live links are those from before: nothing was sent for throttled asks.
        let emails = app.store.password_reset_emails().await.unwrap();
        assert_eq!(emails.len(), 1, "one live link, for a@");

        // Known, unknown, throttled: all take at least the same floor of time.
        for email in ["c@fund.dz", "nobody@fund.dz"] {
            let started = Instant::now();
            let (status, page) = forgot(&app, &browser, email).await;
            assert_eq!(status, StatusCode::OK);
            assert!(notice(&page));
            assert!(
                started.elapsed() >= Duration::from_millis(250),
                "{email}: {:?}",
                started.elapsed()
            );
        }
    }
);
