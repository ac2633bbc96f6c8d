//! The employer users' JSON API and personal tokens over real HTTP, on both databases:
//! a token sees only its user's employers, another employer's id answers 404 with nothing
//! of it, revoked tokens answer 401, tokens are stored hashed, a bad JSON declaration lists
//! every line's problem and records nothing; admin and personal tokens stay on their routes.

use mandates::Amount;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tahsil::store::{Actor, Role};

use crate::both_backends;
use crate::harness::fixtures::{add_user, employer_with_worksites, one_cycle, user_token};
use crate::harness::{TestDb, WebApp, call, get};

both_backends!(
    a_personal_token_sees_only_its_users_employers,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let cycle = one_cycle(&app).await;
        let (a, b) = (cycle.a, cycle.b);
        let (_, token_a) = user_token(&app, "a@a.dz", &["16000001"]).await;
        let (_, token_b) = user_token(&app, "b@b.dz", &["16000002"]).await;
        let (_, token_ab) = user_token(&app, "acct@cabinet.dz", &["16000001", "16000002"]).await;

        let (status, me) = get(&app, "/api/v1/me", &token_a).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        assert_eq!(me["employers"].as_array().unwrap().len(), 1);
        assert_eq!(me["employers"][0]["id"], a);
        assert_eq!(me["employers"][0]["affiliation_number"], "16000001");

        // Mandates: A's only, the account masked.
        let (status, mandates) = get(&app, "/api/v1/mandates", &token_a).await;
        assert_eq!(status, StatusCode::OK);
        let mandates = mandates.as_array().unwrap();
        assert_eq!(mandates.len(), 1);
        assert_eq!(mandates[0]["employer_id"], a);
        assert_eq!(mandates[0]["account_masked"], "****************0486");
        assert!(!mandates[0].to_string().contains("4010010504"));
        assert!(mandates[0].get("signature_ip").is_none());

        // Collections: A's settled debit with its per-worksite breakdown, amounts as strings.
        let (status, collections) = get(&app, "/api/v1/collections", &token_a).await;
        assert_eq!(status, StatusCode::OK);
        let collections = collections.as_array().unwrap();
        assert_eq!(collections.len(), 1, "{collections:?}");
        let c = &collections[0];
        assert_eq!(
            (c["id"].as_i64(), c["status"].as_str()),
            (Some(cycle.a_settled), Some("settled"))
        );
        assert!(c["amount"].is_string(), "{c}");
        let worksites = c["worksites"].as_array().unwrap();
        assert_eq!(
            worksites
                .iter()
                .map(|w| w["worksite_code"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["W1", "W2"]
        );
        let sum: i64 = worksites
            .iter()
            .map(|w| {
                Amount::parse(w["amount"].as_str().unwrap())
                    .unwrap()
                    .centimes()
            })
            .sum();
        assert_eq!(
            Amount::from_centimes(sum).to_string(),
            c["amount"].as_str().unwrap()
        );
        assert!(c["reason_text"].is_null() && c["next_attempt"].is_null());
        assert_eq!(c["account_masked"], "****************0486");

        // B: the rejected debit, its reason in plain words and the next attempt.
        let (_, collections) = get(&app, "/api/v1/collections", &token_b).await;
        let rejected = collections
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == cycle.b_rejected)
            .unwrap()
            .clone();
        assert_eq!(
            rejected["status"], "retry_planned",
            "failed, presented again"
        );
        assert_eq!(rejected["reason_category"], "insufficient_funds");
        assert_eq!(
            rejected["reason_text"]["fr"],
            bank_formats::reasons::ReasonCategory::InsufficientFunds.text_fr()
        );
        assert_eq!(rejected["next_attempt"]["collection_id"], cycle.b_retry);
        assert_eq!(rejected["next_attempt"]["collection_date"], "2026-12-22");
        assert!(!collections.to_string().contains("16000001"));

        // Asking for B with A's token: 404, and nothing of B in the answer.
        for path in [
            format!("/api/v1/mandates?employer={b}"),
            format!("/api/v1/declarations?employer={b}"),
            format!("/api/v1/collections?employer={b}"),
            "/api/v1/collections?employer=987654".to_owned(),
        ] {
            let (status, body) = get(&app, &path, &token_a).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
            assert_eq!(body["error"]["code"], "not_found");
            let text = body.to_string();
            assert!(
                !text.contains("16000002") && !text.contains("200 12") && !text.contains("S1"),
                "{text}"
            );
        }
        let (status, body) = get(&app, "/api/v1/collections?employer=abc", &token_a).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
        );

        // The accountant: both, or one when asked.
        let (_, all) = get(&app, "/api/v1/mandates", &token_ab).await;
        assert_eq!(all.as_array().unwrap().len(), 2);
        let (_, only_b) = get(
            &app,
            &format!("/api/v1/collections?employer={b}"),
            &token_ab,
        )
        .await;
        assert!(
            only_b
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["employer_id"] == b)
        );
        assert_eq!(
            only_b.as_array().unwrap().len(),
            2,
            "the rejected debit and its retry"
        );

        // Use is recorded; the token itself is stored only as its SHA-256.
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT token_sha256, label, last_used_at FROM user_api_tokens ORDER BY id",
        )
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        assert_eq!(rows[0].0, tahsil::store::token_hash(&token_a));
        for (hash, label, last_used) in &rows {
            for token in [&token_a, &token_b, &token_ab] {
                assert!(!hash.contains(token.as_str()) && !label.contains(token.as_str()));
            }
            assert!(last_used.is_some());
        }

        // Routes stay with their tokens: personal → admin routes 403, admin → personal
        // routes 403, none or a bank token → 401.
        let (status, body) = get(&app, "/api/v1/employers", &token_a).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden"))
        );
        let (status, _) = get(&app, &format!("/api/v1/employers/{b}/mandates"), &token_a).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = get(&app, "/api/v1/mandates", "admin-test-token").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden"))
        );
        let (status, _) = get(&app, "/api/v1/employers", "admin-test-token").await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = call(
            &app,
            reqwest::Method::GET,
            "/api/v1/collections",
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let bank_token = app
            .store
            .create_api_token(&Actor::new("test"), "bank", "gateway")
            .await
            .unwrap()
            .token;
        let (status, _) = get(&app, "/api/v1/collections", &bank_token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = get(&app, "/api/v1/bank/files", &token_a).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Revoked: 401 at once; the user's other tokens and other users' keep working.
        let id_a = app
            .store
            .user_api_tokens(app.store.user_by_email("a@a.dz").await.unwrap().unwrap().id)
            .await
            .unwrap()[0]
            .id;
        let b_user = app.store.user_by_email("b@b.dz").await.unwrap().unwrap().id;
        assert!(
            app.store
                .revoke_user_api_token(&Actor::new("test"), Some(b_user), id_a)
                .await
                .is_err(),
            "B cannot revoke A's token"
        );
        let (status, _) = get(&app, "/api/v1/me", &token_a).await;
        assert_eq!(status, StatusCode::OK);
        app.store
            .revoke_user_api_token(&Actor::new("test"), None, id_a)
            .await
            .unwrap();
        let (status, body) = get(&app, "/api/v1/me", &token_a).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized"))
        );
        let (status, _) = get(&app, "/api/v1/employers", &token_a).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "a revoked token is no token"
        );
        assert_eq!(get(&app, "/api/v1/me", &token_b).await.0, StatusCode::OK);
    }
);

both_backends!(
    a_json_declaration_lists_every_bad_line_and_records_nothing,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let a = employer_with_worksites(&app.store, "16000001", &["W1", "W2", "W3"]).await;
        let b = employer_with_worksites(&app.store, "16000002", &["W1"]).await;
        let (_, token) = user_token(&app, "a@a.dz", &["16000001"]).await;
        let (_, token_ab) = user_token(&app, "acct@cabinet.dz", &["16000001", "16000002"]).await;
        let post = |token: String, body: Value| {
            let app = &app;
            async move {
                call(
                    app,
                    reqwest::Method::POST,
                    "/api/v1/declarations",
                    Some(&token),
                    Some(body),
                )
                .await
            }
        };

        let bad = json!({
            "period": "2026-10",
            "lines": [
                {"worksite_code": "W1", "headcount": 12, "wage_bill": "1250000.00", "bad_weather_base": "600000.00"},
                {"worksite_code": "W9", "headcount": "douze", "wage_bill": "80000.50"},
                {"worksite_code": "W3", "headcount": 2, "wage_bill": 125000}
            ]
        });
        let (status, body) = post(token.clone(), bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "invalid_lines");
        let details: Vec<&str> = body["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        assert_eq!(details.len(), 3, "{details:?}");
        assert!(
            details[0].starts_with("line 2, field worksite_code"),
            "{details:?}"
        );
        assert!(
            details[1].starts_with("line 2, field headcount"),
            "{details:?}"
        );
        assert!(
            details[2].starts_with("line 3, field wage_bill"),
            "{details:?}"
        );
        assert!(
            app.store.list_declarations(a).await.unwrap().is_empty(),
            "nothing recorded"
        );

        // Another employer's id: 404, nothing recorded there either.
        let (status, body) = post(
            token.clone(),
            json!({"employer": b, "period": "2026-10", "lines": [{"worksite_code": "W1", "headcount": 1, "wage_bill": "100.00"}]}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert!(app.store.list_declarations(b).await.unwrap().is_empty());
        // Several employers: say which.
        let (status, body) = post(
            token_ab.clone(),
            json!({"period": "2026-10", "lines": [{"worksite_code": "W1", "headcount": 1, "wage_bill": "100.00"}]}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("employer:"),
            "{body}"
        );
        // A quarterly period for a monthly declarer: refused with the reason.
        let (status, body) = post(
            token.clone(),
            json!({"period": "2026-Q3", "lines": [{"worksite_code": "W1", "headcount": 1, "wage_bill": "100.00"}]}),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
        );

        let good = json!({
            "period": "2026-10",
            "lines": [
                {"worksite_code": "W1", "headcount": 12, "wage_bill": "1250000.00", "bad_weather_base": "600000.00"},
                {"worksite_code": "W2", "headcount": 3, "wage_bill": "80000.50"}
            ]
        });
        let (status, declaration) = post(token.clone(), good).await;
        assert_eq!(status, StatusCode::CREATED, "{declaration}");
        assert_eq!(declaration["employer_id"], a);
        assert!(declaration["total"].is_string());
        assert_eq!(declaration["lines"].as_array().unwrap().len(), 2);
        let recorded = app.store.list_declarations(a).await.unwrap();
        assert_eq!(recorded.len(), 1);
        assert_eq!(
            recorded[0].total.to_string(),
            declaration["total"].as_str().unwrap()
        );
        let audit = app
            .store
            .audit_trail("declaration", recorded[0].id)
            .await
            .unwrap();
        assert!(
            audit[0].actor.starts_with("api-user:"),
            "{:?}",
            audit[0].actor
        );

        let (status, list) = get(&app, "/api/v1/declarations?period=2026-10", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 1);
        let (_, list) = get(&app, "/api/v1/declarations?period=2026-11", &token).await;
        assert!(list.as_array().unwrap().is_empty());
    }
);

#[tokio::test]
async fn tahsil_tokens_add_user_prints_a_personal_token_once() {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    employer_with_worksites(&store, "16000001", &["W1"]).await;
    add_user(&store, "a@a.dz", Role::Employer, &["16000001"]).await;
    add_user(&store, "finance@fund.dz", Role::Finance, &[]).await;
    let tahsil = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tahsil"))
            .args(["--database-url", &db.url])
            .args(args)
            .env_remove("TAHSIL_DATABASE_URL")
            .output()
            .unwrap()
    };
    let output = tahsil(&["tokens", "add", "--user", "a@a.dz", "--label", "Paie"]);
    assert!(output.status.success(), "{output:?}");
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("tahsil_user_"), "{token}");
    let user = store.api_user(&token).await.unwrap().expect("a live token");
    assert_eq!(user.user.email, "a@a.dz");
    let listed = String::from_utf8(tahsil(&["tokens", "list"]).stdout).unwrap();
    assert!(
        listed.contains(&format!("user {}\tPaie", user.user.id)),
        "{listed}"
    );
    assert!(!listed.contains(&token), "never listed");

    let refused = tahsil(&["tokens", "add", "--user", "finance@fund.dz"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("admin token"),
        "{refused:?}"
    );
    let refused = tahsil(&["tokens", "add", "--user", "nobody@a.dz"]);
    assert!(!refused.status.success());

    let output = tahsil(&["tokens", "revoke", "--user", &user.token_id.to_string()]);
    assert!(output.status.success(), "{output:?}");
    assert!(store.api_user(&token).await.unwrap().is_none());
}
