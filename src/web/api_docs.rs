//! `GET /api/docs`: the JSON API's documentation as a page, rendered on the server from
//! the OpenAPI document the API serves (`api/openapi.json`, so the page cannot drift from
//! it): each operation by tag — method, path, summary, parameters, request body and
//! responses, schemas linked by anchor — then every schema, and the webhooks (body,
//! headers, signature). Public like the document; no script. The frame is in the
//! visitor's language; the document's own descriptions are in English, as written.

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::Value;

use super::WebState;
use super::api::OPENAPI_JSON;
use super::i18n::ApiDocsTexts;
use super::session::{Chrome, NavLink, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/api/docs", get(api_docs))
}

/// A type as the page writes it: `Name` (linked to its schema), `array of Name`, `string`…
struct TypeRef {
    text: String,
    /// The schema's anchor, when it names one.
    anchor: Option<String>,
}

struct Parameter {
    name: String,
    place: String,
    required: bool,
    kind: TypeRef,
    description: String,
}

struct Answer {
    code: String,
    description: String,
    kind: Option<TypeRef>,
}

struct Operation {
    id: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    parameters: Vec<Parameter>,
    body: Option<TypeRef>,
    answers: Vec<Answer>,
}

struct Tag {
    name: String,
    operations: Vec<Operation>,
}

struct Schema {
    name: String,
    text: String,
}

#[derive(Template)]
#[template(path = "web/api_docs.html")]
struct ApiDocsPage {
    c: Chrome,
    d: &'static ApiDocsTexts,
    title: String,
    version: String,
    description: String,
    tags: Vec<Tag>,
    schemas: Vec<Schema>,
    webhook_example: String,
}

fn schema_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}

/// The type a schema object names.
fn type_ref(schema: &Value) -> TypeRef {
    if let Some(name) = schema["$ref"].as_str().and_then(schema_name) {
        return TypeRef {
            text: name.to_owned(),
            anchor: Some(format!("schema-{name}")),
        };
    }
    match schema["type"].as_str() {
        Some("array") => {
            let item = type_ref(&schema["items"]);
            TypeRef {
                text: format!("[{}]", item.text),
                anchor: item.anchor,
            }
        }
        Some(kind) => TypeRef {
            text: match schema["format"].as_str() {
                Some(format) => format!("{kind} ({format})"),
                None => kind.to_owned(),
            },
            anchor: None,
        },
        None => TypeRef {
            text: "object".to_owned(),
            anchor: None,
        },
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// The document, read into what the page shows.
fn read(doc: &Value) -> (Vec<Tag>, Vec<Schema>) {
    let mut tags: Vec<Tag> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| Tag {
            name: text(&t["name"]),
            operations: Vec::new(),
        })
        .collect();
    let responses = &doc["components"]["responses"];
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let op = &item[method];
            if op.is_null() {
                continue;
            }
            let parameters = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| Parameter {
                    name: text(&p["name"]),
                    place: text(&p["in"]),
                    required: p["required"].as_bool().unwrap_or(false),
                    kind: type_ref(&p["schema"]),
                    description: text(&p["description"]),
                })
                .collect();
            let body = op["requestBody"]["content"]
                .as_object()
                .and_then(|content| content.values().next())
                .map(|media| type_ref(&media["schema"]));
            let answers = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(code, answer)| {
                    let answer = match answer["$ref"]
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/responses/"))
                    {
                        Some(name) => &responses[name],
                        None => answer,
                    };
                    Answer {
                        code: code.clone(),
                        description: text(&answer["description"]),
                        kind: answer["content"]
                            .as_object()
                            .and_then(|content| content.values().next())
                            .map(|media| type_ref(&media["schema"])),
                    }
                })
                .collect();
            let operation = Operation {
                id: text(&op["operationId"]),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(&op["summary"]),
                description: text(&op["description"]),
                parameters,
                body,
                answers,
            };
            let tag = op["tags"][0].as_str().unwrap_or("meta").to_owned();
            match tags.iter_mut().find(|t| t.name == tag) {
                Some(t) => t.operations.push(operation),
                None => tags.push(Tag {
                    name: tag,
                    operations: vec![operation],
                }),
            }
        }
    }
    tags.retain(|t| !t.operations.is_empty());
    let schemas = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| Schema {
            name: name.clone(),
            text: serde_json::to_string_pretty(schema).unwrap_or_default(),
        })
        .collect();
    (tags, schemas)
}

/// An example webhook body (the shape `webhooks::payload` writes).
const WEBHOOK_EXAMPLE: &str = r#"POST /your/endpoint HTTP/1.1
Content-Type: application/json
Tahsil-Signature: t=1765094400,v1=5f0c…(64 hex digits)
Tahsil-Event-Id: 4711
Tahsil-Event-Type: advance_notice
Tahsil-Delivery-Id: 93

{
  "schema": "tahsil.webhook.v1",
  "id": 4711,
  "type": "advance_notice",
  "created_at": "2026-12-07T08:00:00Z",
  "employer": { "id": 12, "affiliation_number": "16-0001234" },
  "data": {
    "object": "debit",
    "debit_id": 5120,
    "collection_date": "2026-12-15",
    "amount": "125000.50",
    "amount_centimes": 12500050,
    "attempt": 1,
    "notice_version": 1,
    "channel": "bank",
    "status": "planned",
    "reason_code": null,
    "reason_category": null,
    "settled_on": null,
    "receipt_number": null,
    "mandate_reference": "TSL-0000012-01",
    "bank_code": "004",
    "account_masked": "****0486",
    "next_attempt": null,
    "lines": [
      { "worksite_code": "W1", "period": "2026-11",
        "amount": "125000.50", "amount_centimes": 12500050,
        "paid_leave": "…", "paid_leave_centimes": 0,
        "bad_weather_employer": "…", "bad_weather_employer_centimes": 0,
        "bad_weather_employee": "…", "bad_weather_employee_centimes": 0 }
    ]
  }
}

Check: HMAC-SHA256(secret, t + "." + raw body) == v1 (hex), compared in constant
time, and |now − t| ≤ 300 seconds. Answer 2xx once stored; anything else (or no
answer within 10 s) is retried after 1, 2, 4, 8… minutes (at most 6 hours apart),
8 attempts in all. Redirects are not followed. De-duplicate by "id"."#;

async fn api_docs(viewer: Viewer) -> PageResult {
    let doc: Value = serde_json::from_str(OPENAPI_JSON).map_err(|err| {
        tracing::error!(error = %err, "the OpenAPI document does not read");
        viewer.refuse(super::session::Refusal::Internal)
    })?;
    let (tags, schemas) = read(&doc);
    let d = ApiDocsTexts::of(viewer.lang);
    let nav = vec![NavLink {
        href: "/".to_owned(),
        label: viewer.texts().dashboard,
        current: false,
    }];
    let page = ApiDocsPage {
        c: viewer.chrome(nav),
        d,
        title: text(&doc["info"]["title"]),
        version: text(&doc["info"]["version"]),
        description: text(&doc["info"]["description"]),
        tags,
        schemas,
        webhook_example: WEBHOOK_EXAMPLE.to_owned(),
    };
    viewer.page(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_operation_and_schema_is_on_the_page() {
        let doc: Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        let (tags, schemas) = read(&doc);
        let operations: usize = tags.iter().map(|t| t.operations.len()).sum();
        let documented: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| item.as_object().unwrap().len())
            .sum();
        assert_eq!(operations, documented);
        assert_eq!(
            schemas.len(),
            doc["components"]["schemas"].as_object().unwrap().len()
        );
        let sign = tags
            .iter()
            .flat_map(|t| &t.operations)
            .find(|o| o.path == "/api/v1/mandates/{id}/sign")
            .unwrap();
        assert_eq!(sign.method, "POST");
        assert_eq!(
            sign.body.as_ref().unwrap().anchor.as_deref(),
            Some("schema-SignMandate")
        );
        assert!(
            sign.answers
                .iter()
                .any(|a| a.code == "409" && !a.description.is_empty())
        );
    }
}
