//! Staff actions on a debit through the admin API, the console and the command line, on
//! both databases: clear answers (404, 409 saying the state and what is possible, 422),
//! the roles of the other finance actions, one-line errors.

use bank_formats::reasons::RetryClass;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tahsil::store::Role;

use super::{date, first_of_december, reject, run, set_day};
use crate::both_backends;
use crate::harness::fixtures::{actor, add_user, d, planned};
use crate::harness::{TestDb, WebApp, call, test_key_base64};

both_backends!(
    the_admin_api_acts_on_a_debit_with_clear_answers,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, first_of_december()).await;
        planned(&app.store, 2).await;
        let c = app.store.collections_on(date()).await.unwrap();
        let token = Some("admin-test-token");
        let post = |path: String, body: serde_json::Value| {
            let app = &app;
            async move { call(app, Method::POST, &path, token, Some(body)).await }
        };
        let reason = json!({ "reason": "employer asked for a week" });
        let (status, body) = post(
            format!("/api/v1/collections/{}/hold", c[0].id),
            reason.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["debit"]["held"], json!(true));
        assert_eq!(
            body["debit"]["possible_actions"],
            json!(["release", "cancel"])
        );
        let (status, body) = post(
            format!("/api/v1/collections/{}/hold", c[0].id),
            reason.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("planned and held") && message.contains("possible: release, cancel"),
            "{message}"
        );
        let (status, body) = post(
            format!("/api/v1/collections/{}/release", c[0].id),
            reason.clone(),
        )
        .await;
        assert_eq!(
            (status, &body["debit"]["held"]),
            (StatusCode::OK, &json!(false)),
            "{body}"
        );
        let (status, body) = post(
            format!("/api/v1/collections/{}/represent", c[1].id),
            reason.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("possible: hold, cancel"),
            "{body}"
        );
        let (status, body) = post(
            format!("/api/v1/collections/{}/cancel", c[1].id),
            reason.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["debit"]["status"], json!("cancelled"));
        let (status, body) =
            post("/api/v1/collections/999999/hold".to_owned(), reason.clone()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{body}"
        );
        let (status, body) = post(format!("/api/v1/collections/{}/hold", c[0].id), json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = post(
            format!("/api/v1/collections/{}/hold", c[0].id),
            json!({ "reason": " " }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, _) = call(
            &app,
            Method::POST,
            &format!("/api/v1/collections/{}/hold", c[0].id),
            None,
            Some(reason),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let trail = app.store.audit_trail("collection", c[0].id).await.unwrap();
        assert!(
            trail
                .iter()
                .any(|e| e.action == "collection.held" && e.actor == "api")
        );
    }
);

both_backends!(
    the_console_acts_on_a_debit_and_the_exceptions_page_says_how_each_was_resolved,
    |db: TestDb| async move {
        let clock = first_of_december();
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        let finance = add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let browser = app.signed_in("finance@fund.dz").await;
        let (status, _, _) = browser
            .post("/language", &[("lang", "fr"), ("back", "/console")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        planned(&app.store, 2).await;
        let c = app.store.collections_on(date()).await.unwrap();

        // Reached from the employer's page.
        let (_, html) = browser
            .get(&format!("/console/employers/{}", c[0].employer_id))
            .await;
        assert!(
            html.contains(&format!("href=\"/console/debits/{}\"", c[0].id)),
            "{html}"
        );
        let page = format!("/console/debits/{}", c[0].id);
        let (status, html) = browser.get(&page).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("id=\"form-hold\"") && html.contains("id=\"form-cancel\""),
            "{html}"
        );
        assert!(!html.contains("id=\"form-represent\""));
        let (status, _, location) = browser
            .post(&format!("{page}/hold"), &[("reason", "à vérifier")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some(format!("{page}?done=hold").as_str())
        );
        let (_, html) = browser.get(&format!("{page}?done=hold")).await;
        assert!(
            html.contains("id=\"held\"") && html.contains("id=\"form-release\""),
            "{html}"
        );
        assert!(html.contains("Action effectuée : Suspendre."), "{html}");
        let (status, html, _) = browser
            .post(&format!("{page}/hold"), &[("reason", "encore")])
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(html.contains("id=\"error\""), "{html}");
        let (status, _, _) = browser
            .post(&format!("{page}/hold"), &[("reason", " ")])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let trail = app.store.audit_trail("collection", c[0].id).await.unwrap();
        assert!(
            trail
                .iter()
                .any(|e| e.action == "collection.held" && e.actor == format!("user:{finance}"))
        );

        // The other debit is filed, rejected for a technical reason: an exception.
        run(&app.store, &app.settings, date()).await;
        let today = d(2026, 12, 16);
        set_day(&clock, today);
        reject(
            &app.store,
            &c[1],
            RetryClass::NeedsStaff,
            "technical",
            today,
        )
        .await;
        let exception = app.store.exceptions(true).await.unwrap().remove(0);
        // Two weeks on, the session has expired: signed in again.
        let browser = app.signed_in("finance@fund.dz").await;
        let (status, _, _) = browser
            .post("/language", &[("lang", "fr"), ("back", "/console")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let noted: i64 = sqlx::query_scalar(
            "INSERT INTO exceptions (kind, detail, status, created_at) \
             VALUES ('unmatched', 'E2E T9 not ours', 'open', '2026-12-16T10:00:00Z') RETURNING id",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        app.store
            .resolve_exception(&actor(), noted, "bank test item")
            .await
            .unwrap();
        let (status, html) = browser.get("/console/exceptions").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let e = exception.id;
        assert!(html.contains(&format!("id=\"represent-{e}\"")), "{html}");
        assert!(
            !html.contains(&format!("id=\"hold-{e}\"")),
            "a rejected debit cannot be held"
        );
        assert!(
            html.contains(&format!(
                "id=\"resolved-how-{noted}\">Résolue par une note<"
            )),
            "{html}"
        );
        let (status, _, location) = browser
            .post(
                &format!("/console/debits/{}/represent", c[1].id),
                &[("reason", "fichier corrigé"), ("from", "exceptions")],
            )
            .await;
        assert_eq!(
            (status, location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/console/exceptions"))
        );
        let (_, html) = browser.get("/console/exceptions").await;
        assert!(
            html.contains(&format!(
                "id=\"resolved-how-{e}\">Résolue par l&#39;action : Représenter maintenant<"
            )),
            "{html}"
        );
        let (_, html) = browser.get(&format!("/console/debits/{}", c[1].id)).await;
        assert!(html.contains("id=\"next-attempt\""), "{html}");

        // An employer user reaches none of it.
        let affiliation: String =
            sqlx::query_scalar("SELECT affiliation_number FROM employers WHERE id = $1")
                .bind(c[0].employer_id)
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        add_user(
            &app.store,
            "boss@example.dz",
            Role::Employer,
            &[&affiliation],
        )
        .await;
        let employer = app.signed_in("boss@example.dz").await;
        let (status, _) = employer.get(&page).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = employer
            .post(&format!("{page}/release"), &[("reason", "x")])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
);

both_backends!(
    the_command_line_acts_on_a_debit_in_one_line,
    |db: TestDb| async move {
        let store = db.store_with_clock(first_of_december()).await;
        planned(&store, 1).await;
        let id = store.collections_on(date()).await.unwrap()[0]
            .id
            .to_string();
        let tahsil = |args: &[&str]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_tahsil"))
                .arg("--database-url")
                .arg(&db.url)
                .args(args)
                .env_remove("TAHSIL_DATABASE_URL")
                .env("TAHSIL_ENCRYPTION_KEY", test_key_base64())
                .env("TAHSIL_CLOCK", "2026-12-01T12:00:00+01:00")
                .output()
                .unwrap()
        };
        let held = tahsil(&["debits", "hold", &id, "--reason", "employer on the phone"]);
        assert!(held.status.success(), "{held:?}");
        let text = String::from_utf8_lossy(&held.stdout);
        assert!(
            text.contains(&format!("debit {id} (15/12/2026,")) && text.contains("is held"),
            "{text}"
        );
        let again = tahsil(&["debits", "hold", &id, "--reason", "again"]);
        assert!(!again.status.success());
        let error = String::from_utf8_lossy(&again.stderr);
        let line = error
            .lines()
            .find(|l| l.starts_with("error:"))
            .unwrap_or_default();
        assert!(
            line.contains("planned and held") && line.contains("possible: release, cancel"),
            "{error}"
        );
        let released = tahsil(&["debits", "release", &id, "--reason", "agreed"]);
        assert!(released.status.success(), "{released:?}");
        assert!(String::from_utf8_lossy(&released.stdout).contains("goes out on 15/12/2026"));
        let unknown = tahsil(&["debits", "cancel", "999999", "--reason", "x"]);
        assert!(!unknown.status.success());
        assert!(
            String::from_utf8_lossy(&unknown.stderr).contains("collection 999999 does not exist")
        );
        let cancelled = tahsil(&["debits", "cancel", &id, "--reason", "paid at the counter"]);
        assert!(cancelled.status.success(), "{cancelled:?}");
        let trail = store
            .audit_trail("collection", id.parse().unwrap())
            .await
            .unwrap();
        assert!(
            trail
                .iter()
                .any(|e| e.action == "collection.cancelled" && e.actor == "cli")
        );
    }
);
