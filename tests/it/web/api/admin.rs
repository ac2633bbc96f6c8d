//! The admin JSON API over real HTTP, on both databases: declarations read back exactly
//! (and identically on both databases), errors as JSON with a code, the admin token.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::harness::{TestApp, TestDb};

/// The admin token these tests' service runs with (the admin API has no open door).
const TOKEN: &str = "admin-api-test-token";

async fn post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url(path))
        .header("user-agent", "tahsil-tests/1.0")
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.expect("json body"))
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.expect("json body"))
}

/// Employer, two worksites, a signed mandate and a declaration, through the API only.
/// Returns the declaration as created.
async fn declare_through_the_api(app: &TestApp) -> Value {
    let (status, employer) = post(
        app,
        "/api/v1/employers",
        json!({
            "affiliation_number": "31000777",
            "name": "ETB Hydraulique Oran",
            "name_ar": "مؤسسة الأشغال المائية وهران",
            "email": "finance@etb-oran.example.dz",
            "language": "both"
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{employer}");
    let id = employer["id"].as_i64().unwrap();
    for (code, name) in [
        ("ORN-01", "Station de pompage"),
        ("ORN-02", "Réservoir Est"),
    ] {
        let (status, body) = post(
            app,
            &format!("/api/v1/employers/{id}/worksites"),
            json!({ "code": code, "name": name, "wilaya": "Oran" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, mandate) = post(
        app,
        &format!("/api/v1/employers/{id}/mandates"),
        json!({ "account": "004-00174-4010010504-86", "ceiling": "2000000.00" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{mandate}");
    assert_eq!(mandate["account_masked"], "****************0486");
    assert_eq!(mandate["ceiling"], "2000000.00");
    let mandate_id = mandate["id"].as_i64().unwrap();
    let (status, signed) = post(
        app,
        &format!("/api/v1/mandates/{mandate_id}/sign"),
        json!({
            "signer": "Yacine Haddad",
            "consent_version": "2026-01-fr"
        }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{signed}");
    assert_eq!(signed["status"], "active");
    assert_eq!(signed["signature_ip"], "127.0.0.1");
    assert_eq!(signed["signature_user_agent"], "tahsil-tests/1.0");

    let (status, declaration) = post(
        app,
        &format!("/api/v1/employers/{id}/declarations"),
        json!({
            "period": "2026-11",
            "lines": [
                { "worksite_code": "ORN-01", "headcount": 25, "wage_bill": "2500000.55", "bad_weather_base": "1200000.10" },
                { "worksite_code": "ORN-02", "headcount": 3, "wage_bill": "99999.99", "bad_weather_base": "0" }
            ]
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{declaration}");
    declaration
}

/// Removes what legitimately differs between two runs (timestamps).
fn without_timestamps(mut value: Value) -> Value {
    if let Some(object) = value.as_object_mut() {
        object.remove("created_at");
        object.remove("submitted_at");
    }
    value
}

both_backends!(
    a_declaration_made_through_the_api_reads_back_exactly,
    |db: TestDb| async move {
        let app = TestApp::spawn(&db, Some(TOKEN)).await;
        let declaration = declare_through_the_api(&app).await;
        // 2 500 000.55 × 12.21 % = 305 250.067155 → 305 250.07
        // 1 200 000.10 × 0.375 % = 4 500.000375 → 4 500.00 (each side)
        // 99 999.99 × 12.21 % = 12 209.998779 → 12 210.00
        let lines = declaration["lines"].as_array().unwrap();
        assert_eq!(lines[0]["paid_leave"], "305250.07");
        assert_eq!(lines[0]["bad_weather_employer"], "4500.00");
        assert_eq!(lines[0]["bad_weather_employee"], "4500.00");
        assert_eq!(lines[0]["total"], "314250.07");
        assert_eq!(lines[1]["paid_leave"], "12210.00");
        assert_eq!(lines[1]["total"], "12210.00");
        assert_eq!(declaration["total"], "326460.07");

        let id = declaration["id"].as_i64().unwrap();
        let (status, read_back) = get(&app, &format!("/api/v1/declarations/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read_back, declaration);
        let employer = declaration["employer_id"].as_i64().unwrap();
        let (_, listed) = get(&app, &format!("/api/v1/employers/{employer}/declarations")).await;
        assert_eq!(listed, json!([declaration]));

        // The account is only ever stored encrypted.
        let stored: Vec<String> = sqlx::query_scalar("SELECT number_encrypted FROM accounts")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        assert_eq!(stored.len(), 1);
        assert!(stored[0].starts_with("v1:") && !stored[0].contains("4010010504"));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declaration_reads_back_identically_on_both_databases() {
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let sqlite = TestDb::sqlite().await;
    let on_sqlite = declare_through_the_api(&TestApp::spawn(&sqlite, Some(TOKEN)).await).await;
    let on_postgres = declare_through_the_api(&TestApp::spawn(&pg, Some(TOKEN)).await).await;
    assert_eq!(
        without_timestamps(on_sqlite),
        without_timestamps(on_postgres)
    );
}

both_backends!(
    errors_are_json_with_a_code_and_a_readable_message,
    |db: TestDb| async move {
        let app = TestApp::spawn(&db, Some(TOKEN)).await;
        let (status, body) = post(
            &app,
            "/api/v1/employers",
            json!({ "affiliation_number": "1", "name": "x", "email": "not-an-email" }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "invalid");
        assert!(
            body["error"]["message"].as_str().unwrap().contains("email"),
            "{body}"
        );

        let (status, body) = get(&app, "/api/v1/employers/999").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "not_found");

        let (status, body) = post(&app, "/api/v1/employers", json!({ "name": 3 })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        let (_, employer) = post(
            &app,
            "/api/v1/employers",
            json!({ "affiliation_number": "42", "name": "E", "email": "e@example.dz" }),
        )
        .await;
        let id = employer["id"].as_i64().unwrap();
        let (status, body) = post(
            &app,
            &format!("/api/v1/employers/{id}/mandates"),
            json!({ "account": "004 00174 4010010504 87" }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("key"), "{message}");
        assert!(
            !message.contains("86"),
            "the right key must not be suggested: {message}"
        );

        let (status, body) = post(
        &app,
        &format!("/api/v1/employers/{id}/declarations"),
        json!({ "period": "2026-11", "lines": [ { "worksite_code": "NOPE", "headcount": 1, "wage_bill": "1.00" } ] }),
    )
    .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "invalid_lines");
        assert!(
            body["error"]["details"][0]
                .as_str()
                .unwrap()
                .starts_with("line 1, field worksite_code")
        );
    }
);

both_backends!(
    the_api_token_is_required_when_configured,
    |db: TestDb| async move {
        let app = TestApp::spawn(&db, Some("s3cret-token")).await;
        let response = app
            .client
            .get(app.url("/api/v1/employers"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let response = app
            .client
            .get(app.url("/api/v1/employers"))
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let response = app
            .client
            .get(app.url("/api/v1/employers"))
            .bearer_auth("s3cret-token")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        // Health checks stay open for load balancers.
        let health = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
    }
);

async fn put(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let response = app
        .client
        .put(app.url(path))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    (status, response.json().await.expect("json body"))
}

both_backends!(
    a_mandate_ceiling_is_set_and_removed_through_the_api_and_audited,
    |db: TestDb| async move {
        let app = TestApp::spawn(&db, Some(TOKEN)).await;
        let declaration = declare_through_the_api(&app).await;
        let employer = declaration["employer_id"].as_i64().unwrap();
        let (_, mandates) = get(&app, &format!("/api/v1/employers/{employer}/mandates")).await;
        let mandate = mandates[0]["id"].as_i64().unwrap();
        let path = format!("/api/v1/mandates/{mandate}/ceiling");

        let (status, body) = put(&app, &path, json!({ "ceiling": "500000.00" })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["ceiling"], "500000.00");
        let (status, body) = put(&app, &path, json!({ "ceiling": null })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["ceiling"], Value::Null);
        let (_, read) = get(&app, &format!("/api/v1/mandates/{mandate}")).await;
        assert_eq!(read["ceiling"], Value::Null);

        // Refused, with the reason: not an amount, not positive, a number, no field.
        for bad in [
            json!({ "ceiling": "beaucoup" }),
            json!({ "ceiling": "0" }),
            json!({ "ceiling": "-5.00" }),
            json!({ "ceiling": 500000 }),
            json!({}),
        ] {
            let (status, body) = put(&app, &path, bad.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
            assert!(body["error"]["message"].as_str().is_some(), "{body}");
        }
        let (status, body) = put(
            &app,
            "/api/v1/mandates/999999/ceiling",
            json!({ "ceiling": "1.00" }),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

        // Audited through the store, as from the portal: the two changes, not the refusals.
        let (status, trail) = get(&app, &format!("/api/v1/audit/mandate/{mandate}")).await;
        assert_eq!(status, StatusCode::OK, "{trail}");
        let changes = trail
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "mandate.ceiling_changed")
            .count();
        assert_eq!(changes, 2, "{trail}");

        // Without the admin token: refused.
        let response = app
            .client
            .put(app.url(&path))
            .json(&json!({ "ceiling": "1.00" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
);
