//! The OpenAPI document over real HTTP, on both databases: served, and every path it lists
//! is answered by a route, not by the API's "no such endpoint".

use reqwest::StatusCode;

use crate::both_backends;
use crate::harness::{TestDb, WebApp};

const ADMIN: &str = "Bearer admin-test-token";

both_backends!(
    the_openapi_document_is_served_and_each_of_its_paths_is_routed,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let client = reqwest::Client::new();
        // Public: no token needed to read the description.
        let response = client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let doc: serde_json::Value = response.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() >= 14);
        // The API's fallback for unknown paths, to tell routed paths from unrouted ones.
        let unknown = client
            .get(app.url("/api/v1/nothing-here"))
            .header("authorization", ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        let fallback = unknown.text().await.unwrap();
        assert!(fallback.contains("no such API endpoint"), "{fallback}");
        for (path, item) in paths {
            let url = app.url(&path.replace("{id}", "1").replace("{entity}", "employer"));
            for method in item.as_object().unwrap().keys() {
                let request = match method.as_str() {
                    "get" => client.get(&url),
                    "post" => client.post(&url).json(&serde_json::json!({})),
                    "put" => client.put(&url).json(&serde_json::json!({})),
                    "delete" => client.delete(&url),
                    other => panic!("{other} {path}: add it to this test"),
                };
                let response = request.header("authorization", ADMIN).send().await.unwrap();
                let status = response.status();
                let body = response.text().await.unwrap();
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
                assert!(
                    !body.contains("no such API endpoint"),
                    "{method} {path} is documented but not routed"
                );
            }
        }
    }
);
