//! Accounts over real HTTP, on both databases: sign-in with argon2id passwords and
//! secure cookies, throttling of repeated wrong passwords, password-reset tokens (once,
//! signing out everywhere) and the reset email with a working link.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tahsil::store::Role;

use super::{folder_mailer, notice_settings};
use crate::both_backends;
use crate::harness::fixtures::{add_user, employer_with_worksites};
use crate::harness::{PASSWORD, TestDb, WebApp, csrf_of, get_text};

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
        employer_with_worksites(&app.store, "16000001", &["W1"]).await;
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
    a_reset_request_leads_to_an_email_with_a_working_link,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let user = add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        app.store
            .set_user_language(user, mandates::Lang::Fr)
            .await
            .unwrap();
        let client = app.browser();
        let (_, page) = get_text(&client, &app.url("/password/forgot")).await;
        let response = client
            .post(app.url("/password/forgot"))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("email", "finance@fund.dz"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);

        // The notice worker of `serve`, on the .eml folder.
        let mail = tempfile::tempdir().unwrap();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(tahsil::notices::run_loop(
            app.store.clone(),
            folder_mailer(mail.path()),
            notice_settings(Some(app.url(""))),
            "worker".to_owned(),
            stopped,
        ));
        let deadline = Instant::now() + Duration::from_secs(20);
        let file = loop {
            let found = std::fs::read_dir(mail.path())
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|e| e == "eml"));
            if let Some(file) = found {
                break file;
            }
            assert!(Instant::now() < deadline, "no reset email written");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let raw = std::fs::read(&file).unwrap();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address()),
            Some("finance@fund.dz")
        );
        assert!(message.subject().unwrap().contains("Réinitialisation"));
        let text = message.body_text(0).unwrap().into_owned();
        let start = text
            .find(&app.url("/password/reset?token="))
            .expect("an absolute link");
        let link: String = text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        assert!(
            message
                .body_html(0)
                .unwrap()
                .contains(&format!("href=\"{link}\""))
        );
        // Sent: the token is no longer kept in any form but its hash.
        let (status, encrypted): (String, Option<String>) =
            sqlx::query_as("SELECT status, token_encrypted FROM password_resets")
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert_eq!((status.as_str(), encrypted), ("sent", None));

        // The link works: the reset page, a new password, sign in with it.
        let (status, page) = get_text(&client, &link).await;
        assert_eq!(status, StatusCode::OK);
        let token = link.rsplit("token=").next().unwrap();
        assert!(page.contains(token), "the form carries the token");
        let response = client
            .post(app.url("/password/reset"))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("token", token),
                ("password", "a brand new password"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let signed_in = app
            .store
            .sign_in("finance@fund.dz", "a brand new password", "127.0.0.1")
            .await
            .unwrap();
        assert!(matches!(signed_in, tahsil::store::SignIn::Accepted { .. }));
        assert!(matches!(
            app.store
                .sign_in("finance@fund.dz", PASSWORD, "127.0.0.1")
                .await
                .unwrap(),
            tahsil::store::SignIn::Refused
        ));

        // Sent once: the worker kept running and wrote nothing more.
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.send(true).unwrap();
        worker.await.unwrap();
        assert_eq!(std::fs::read_dir(mail.path()).unwrap().count(), 1);
    }
);

/// `/password/forgot` while another transaction holds the audit chain's head (PostgreSQL,
/// where writers run side by side): only a known address's request writes an audit entry,
/// so if the answer waited for it, its time would say the account exists. Both answer at
/// the floor; the known address's link is queued once the head is free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_request_answers_at_its_floor_while_the_audit_head_is_held() {
    use sqlx::{Connection, Executor, PgConnection};
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let app = WebApp::spawn(&db).await;
    add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
    let client = app.browser();
    let (_, page) = get_text(&client, &app.url("/password/forgot")).await;
    let csrf = csrf_of(&page);

    let mut holder = PgConnection::connect(&db.url).await.unwrap();
    holder.execute("BEGIN").await.unwrap();
    holder
        .execute("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
        .await
        .unwrap();
    for email in ["finance@fund.dz", "unknown@fund.dz"] {
        let started = Instant::now();
        let response = tokio::time::timeout(
            Duration::from_secs(3),
            client
                .post(app.url("/password/forgot"))
                .form(&[("csrf", csrf.as_str()), ("email", email)])
                .send(),
        )
        .await
        .unwrap_or_else(|_| panic!("{email}: no answer while the audit head is held"))
        .unwrap();
        let took = started.elapsed();
        assert_eq!(response.status(), StatusCode::OK, "{email}");
        assert!(response.text().await.unwrap().contains("class=\"notice\""));
        assert!(
            took >= Duration::from_millis(250) && took < Duration::from_secs(2),
            "{email}: answered in {took:?}"
        );
    }
    assert!(app.store.password_reset_emails().await.unwrap().is_empty());
    holder.execute("COMMIT").await.unwrap();
    for _ in 0..100 {
        if !app.store.password_reset_emails().await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let emails = app.store.password_reset_emails().await.unwrap();
    assert_eq!(emails.len(), 1, "one email, for the known address");
}
