//! `GET /api/v1/openapi.json`: the OpenAPI 3 document of the JSON API, written by hand in
//! `openapi.json` beside this file and compiled in. The tests below keep it honest: every
//! path the API's files route (`mod.rs`, `admin.rs`, `employer.rs`, `bank.rs`) is
//! documented, and every documented path is routed.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The document, as served.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

pub(super) async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::OPENAPI_JSON;

    /// The `.route("…", …)` paths of a router's source, with the prefix it is nested under.
    fn routes(source: &str, prefix: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut rest = source;
        while let Some(start) = rest.find(".route(") {
            rest = &rest[start + ".route(".len()..];
            let literal = rest.trim_start();
            if let Some(body) = literal.strip_prefix('"')
                && let Some(end) = body.find('"')
            {
                found.push(format!("{prefix}{}", &body[..end]));
            }
        }
        found
    }

    fn documented() -> (serde_json::Value, BTreeSet<String>) {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI_JSON).expect("valid JSON");
        let paths = doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .cloned()
            .collect();
        (doc, paths)
    }

    #[test]
    fn every_routed_api_path_is_documented_and_every_documented_path_routed() {
        let mut routed: BTreeSet<String> = routes(include_str!("mod.rs"), "/api/v1")
            .into_iter()
            .collect();
        routed.extend(routes(include_str!("admin.rs"), "/api/v1"));
        routed.extend(routes(include_str!("bank.rs"), "/api/v1/bank"));
        routed.extend(routes(include_str!("employer.rs"), "/api/v1"));
        assert!(routed.len() >= 14, "the scan finds the routes: {routed:?}");
        assert!(routed.contains("/api/v1/employers/{id}/declarations"));
        assert!(routed.contains("/api/v1/bank/reports"));
        let (_, documented) = documented();
        assert_eq!(
            routed, documented,
            "src/web/api/openapi.json must describe exactly the routed /api/v1 paths"
        );
    }

    #[test]
    fn the_document_is_openapi_3_with_resolvable_references() {
        let (doc, _) = documented();
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
        assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
        // Every operation answers something, and every $ref points at a component.
        let text = OPENAPI_JSON;
        let mut rest = text;
        let mut refs = 0;
        while let Some(i) = rest.find("\"$ref\": \"#/components/") {
            rest = &rest[i + "\"$ref\": \"#/components/".len()..];
            let end = rest.find('"').expect("closing quote");
            let mut node = &doc["components"];
            for part in rest[..end].split('/') {
                node = &node[part];
            }
            assert!(!node.is_null(), "unresolved #/components/{}", &rest[..end]);
            refs += 1;
        }
        assert!(refs > 20, "{refs} references");
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                assert!(
                    ["get", "post", "put", "delete", "patch"].contains(&method.as_str()),
                    "{path}: {method}"
                );
                assert!(
                    operation["responses"]
                        .as_object()
                        .is_some_and(|r| !r.is_empty()),
                    "{method} {path} has responses"
                );
            }
        }
    }
}
