//! The employer users' JSON API and personal tokens over real HTTP, on both databases:
//! a token sees only its user's employers, another employer's id answers 404 with nothing
//! of it, revoked tokens answer 401, tokens are stored hashed, a bad JSON declaration lists
//! every line's problem and records nothing; admin and personal tokens stay on their routes.

use chrono::NaiveDate;
use mandates::Amount;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tahsil::store::{Actor, Effect, NewReport, ReconcilePolicy, ReportItem, Role, Store};

use crate::both_backends;
use crate::cycle::signed_mandate;
use crate::harness::TestDb;
use crate::store::employer_with_worksites;
use crate::web::{WebApp, add_user};

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Two employers after one collection date: A (two worksites, a RIB) settled, B (one
/// worksite, a CCP) rejected for insufficient funds with a retry planned on 22 December.
pub struct Cycle {
    pub a: i64,
    pub b: i64,
    /// A's settled collection and B's rejected one and its retry.
    pub a_settled: i64,
    pub b_rejected: i64,
    pub b_retry: i64,
}

pub async fn declare(store: &Store, employer: i64, period: &str, lines: &[(&str, &str)]) {
    store
        .submit_declaration(
            &Actor::new("test"),
            employer,
            tahsil::store::NewDeclaration {
                period: period.to_owned(),
                lines: lines
                    .iter()
                    .map(|(code, wage)| tahsil::store::NewDeclarationLine {
                        worksite_code: (*code).to_owned(),
                        headcount: 4,
                        wage_bill: Amount::parse(wage).unwrap(),
                        bad_weather_base: Amount::ZERO,
                    })
                    .collect(),
            },
        )
        .await
        .unwrap();
}

pub async fn one_cycle(app: &WebApp) -> Cycle {
    let store = &app.store;
    let actor = Actor::new("test");
    let a = employer_with_worksites(store, "16000001", &["W1", "W2"]).await;
    let b = employer_with_worksites(store, "16000002", &["S1"]).await;
    signed_mandate(store, a, "004 00174 4010010504 86", None).await;
    signed_mandate(store, b, "200 12", None).await;
    declare(
        store,
        a,
        "2026-10",
        &[("W1", "100000.00"), ("W2", "50000.00")],
    )
    .await;
    declare(store, b, "2026-10", &[("S1", "20000.00")]).await;
    let date = d(2026, 12, 15);
    store
        .plan_collections(&actor, date, d(2026, 12, 1))
        .await
        .unwrap();
    tahsil::cycle::run::run_date(store, &app.settings, &actor, date, "test")
        .await
        .unwrap();
    let collections = store.collections_on(date).await.unwrap();
    let of = |e: i64| collections.iter().find(|c| c.employer_id == e).unwrap();
    let (ca, cb) = (of(a), of(b));
    assert_eq!(
        (ca.status.as_str(), cb.status.as_str()),
        ("submitted", "submitted")
    );
    let item =
        |c: &tahsil::store::CollectionRecord, effect, reason: Option<&'static str>| ReportItem {
            end_to_end_id: Some(c.end_to_end_id.clone()),
            mandate_reference: None,
            amount: Some(c.amount),
            status: Some(if reason.is_some() { "RJCT" } else { "ACSC" }.to_owned()),
            reason_code: reason.map(|_| "AM04".to_owned()),
            reason_category: reason,
            retry_class: reason.map(|_| "retry_later"),
            effect,
        };
    let summary = store
        .apply_report(
            &actor,
            &NewReport {
                institution: None,
                file_name: "report.xml".to_owned(),
                sha256: "c".repeat(64),
                format: "test".to_owned(),
                message_id: None,
                original_message_id: None,
                items: vec![
                    item(ca, Effect::Settle, None),
                    item(cb, Effect::Reject, Some("insufficient_funds")),
                ],
            },
            ReconcilePolicy {
                today: date,
                retry_date: d(2026, 12, 22),
                max_attempts: 3,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (summary.settled, summary.rejected, summary.retries_planned),
        (1, 1, 1)
    );
    let b_retry = store.collections_on(d(2026, 12, 22)).await.unwrap()[0].id;
    Cycle {
        a,
        b,
        a_settled: ca.id,
        b_rejected: cb.id,
        b_retry,
    }
}

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

pub async fn user_token(app: &WebApp, email: &str, employers: &[&str]) -> (i64, String) {
    let user = add_user(&app.store, email, Role::Employer, employers).await;
    let (_, token) = app
        .store
        .create_user_api_token(&Actor::new("test"), user, "tests")
        .await
        .unwrap();
    (user, token)
}

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
        let (_, bank_token) = app
            .store
            .create_api_token(&Actor::new("test"), "bank", "gateway")
            .await
            .unwrap();
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

both_backends!(
    employer_users_make_list_and_revoke_their_tokens_in_the_portal,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let a = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        let b = employer_with_worksites(&app.store, "16000002", &["W1"]).await;
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        add_user(&app.store, "b@b.dz", Role::Employer, &["16000002"]).await;
        let browser = app.signed_in("a@a.dz").await;
        browser
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;
        let page_path = format!("/portal/{a}/api-access");
        let (status, page) = browser.get(&page_path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("Aucun jeton.") && page.contains("16000001"),
            "{page}"
        );
        assert!(
            page.contains(&format!(
                "href=\"/portal/{a}/api-access\" aria-current=\"page\""
            )),
            "in the navigation"
        );

        let (status, page, _) = browser.post(&page_path, &[("label", "  ")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Donnez un nom au jeton"), "{page}");
        let (status, page, _) = browser
            .post(&page_path, &[("label", "Logiciel de paie")])
            .await;
        assert_eq!(status, StatusCode::OK);
        let marker = "id=\"new-token\" dir=\"ltr\">";
        let start = page.find(marker).expect("the new token, shown once") + marker.len();
        let token = page[start..start + page[start..].find('<').unwrap()].to_owned();
        assert!(token.starts_with("tahsil_user_"), "{token}");
        assert!(page.contains("il ne sera plus jamais affiché"));

        let (status, me) = get(&app, "/api/v1/me", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["employers"][0]["id"], a);
        let (_, page) = browser.get(&page_path).await;
        assert!(!page.contains(&token), "never shown again");
        assert!(
            page.contains("Logiciel de paie") && !page.contains("jamais</bdi>"),
            "used: {page}"
        );

        // Employer B's user: does not see A's token, cannot open A's page or revoke it.
        let token_id = app.store.all_user_api_tokens().await.unwrap()[0].id;
        let other = app.signed_in("b@b.dz").await;
        let (status, page) = other.get(&format!("/portal/{b}/api-access")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!page.contains("Logiciel de paie"));
        assert_eq!(other.get(&page_path).await.0, StatusCode::NOT_FOUND);
        for path in [
            format!("/portal/{b}/api-access/{token_id}/revoke"),
            format!("/portal/{a}/api-access/{token_id}/revoke"),
        ] {
            let (status, _, _) = other.post(&path, &[]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        let (status, _, _) = other.post(&page_path, &[("label", "intrus")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, "/api/v1/me", &token).await.0, StatusCode::OK);

        // Arabic too.
        browser
            .post("/language", &[("lang", "ar"), ("back", "/")])
            .await;
        let (_, page) = browser.get(&page_path).await;
        assert!(
            page.contains("الوصول عبر واجهة البرمجة") && page.contains("إلغاء"),
            "{page}"
        );

        let (status, _, location) = browser
            .post(&format!("/portal/{a}/api-access/{token_id}/revoke"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.unwrap(),
            format!("/portal/{a}/api-access?done=revoked")
        );
        assert_eq!(
            get(&app, "/api/v1/me", &token).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (_, page) = browser.get(&format!("{page_path}?done=revoked")).await;
        assert!(
            page.contains("تم إلغاء الرمز") && page.contains("أُلغي في"),
            "{page}"
        );
        let trail = app
            .store
            .audit_trail("user_api_token", token_id)
            .await
            .unwrap();
        assert_eq!(trail.len(), 2, "created and revoked, audited");
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
        listed.contains(&format!("user:{}\tPaie", user.user.id)),
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
