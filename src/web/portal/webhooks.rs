//! The webhooks page: the employer's endpoints (add, show or rotate the signing secret,
//! remove) and the delivery log — each delivery with its attempts (Algiers time, the
//! answer's status code or the error), its next retry, and a button to send it again.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{DoneQuery, employer_for, nav, when};
use crate::locale::{EmployerWord, Word};
use crate::store::{Actor, Session, StoreError, webhook_url_problem};
use crate::web::WebState;
use crate::web::i18n::WebhookTexts;
use crate::web::session::{Chrome, CsrfForm, PageResult, Viewer, see_other};

/// Deliveries shown in the log.
const LOG_ROWS: i64 = 100;

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/portal/{employer}/webhooks",
            get(webhooks_page).post(add_endpoint),
        )
        .route(
            "/portal/{employer}/webhooks/{endpoint}/rotate",
            post(rotate_secret),
        )
        .route(
            "/portal/{employer}/webhooks/{endpoint}/remove",
            post(remove_endpoint),
        )
        .route(
            "/portal/{employer}/webhooks/deliveries/{delivery}/redeliver",
            post(redeliver),
        )
}

struct EndpointRow {
    id: i64,
    url: String,
    added: String,
    secret: String,
    secret_set: String,
}

struct AttemptRow {
    at: String,
    status_code: Option<i64>,
    /// Without an answer: what failed (connection, TLS, time-out), technical, for the
    /// employer's IT.
    detail: String,
    duration_ms: i64,
}

struct DeliveryRow {
    id: i64,
    event: &'static str,
    url: String,
    created: String,
    status: &'static str,
    attempts: i64,
    next_retry: String,
    tries: Vec<AttemptRow>,
    may_redeliver: bool,
}

#[derive(Template)]
#[template(path = "web/portal/webhooks.html")]
struct WebhooksPage {
    c: Chrome,
    w: &'static WebhookTexts,
    employer_id: i64,
    endpoints: Vec<EndpointRow>,
    deliveries: Vec<DeliveryRow>,
    url: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

/// What the page says back: its status, the address to show again, an error or a notice.
struct Said {
    status: StatusCode,
    url: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    session: &Session,
    employer_id: i64,
    said: Said,
) -> PageResult {
    let Said {
        status,
        url,
        error,
        notice,
    } = said;
    let store = state.store();
    let w = WebhookTexts::of(viewer.lang);
    let mut endpoints = Vec::new();
    for e in store
        .webhook_endpoints(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?
    {
        let secret = store
            .webhook_secret(employer_id, e.id)
            .await
            .map_err(|e| viewer.fail(e))?;
        endpoints.push(EndpointRow {
            id: e.id,
            url: e.url,
            added: when(&e.created_at),
            secret,
            secret_set: when(&e.secret_set_at),
        });
    }
    let deliveries = store
        .webhook_deliveries(employer_id, LOG_ROWS)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|(d, attempts)| DeliveryRow {
            id: d.id,
            event: d.kind.employer_word(viewer.lang),
            url: d.url,
            created: when(&d.created_at),
            status: d.status.word(viewer.lang),
            attempts: d.attempts,
            next_retry: d.next_attempt_at.as_deref().map(when).unwrap_or_default(),
            tries: attempts
                .into_iter()
                .map(|a| AttemptRow {
                    at: when(&a.attempted_at),
                    status_code: a.status_code,
                    detail: a.error.unwrap_or_default(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
            may_redeliver: d.status != crate::store::WebhookStatus::Pending,
        })
        .collect();
    let page = WebhooksPage {
        c: viewer.chrome(nav(viewer, session, employer_id, "webhooks")),
        w,
        employer_id,
        endpoints,
        deliveries,
        url,
        error,
        notice,
    };
    viewer.page(status, &page)
}

async fn webhooks_page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    let w = WebhookTexts::of(viewer.lang);
    let notice = match query.done.as_deref() {
        Some("added") => Some(w.added),
        Some("rotated") => Some(w.rotated),
        Some("removed") => Some(w.removed),
        Some("redelivered") => Some(w.redelivered),
        Some("queued") => Some(w.already_queued),
        _ => None,
    };
    render(
        &state,
        &viewer,
        &session,
        employer_id,
        Said {
            status: StatusCode::OK,
            url: String::new(),
            error: None,
            notice,
        },
    )
    .await
}

#[derive(Deserialize)]
struct EndpointForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    url: String,
}

async fn add_endpoint(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Form(form): Form<EndpointForm>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    viewer.check_csrf(&form.csrf)?;
    let w = WebhookTexts::of(viewer.lang);
    let url = form.url.trim().to_owned();
    let shown: String = url.chars().take(500).collect();
    let store = state.store();
    if let Some(problem) = webhook_url_problem(&url, store.webhook_targets()) {
        let error = WebhookTexts::url_problem(viewer.lang, problem);
        return render(
            &state,
            &viewer,
            &session,
            employer_id,
            Said {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                url: shown,
                error: Some(error),
                notice: None,
            },
        )
        .await;
    }
    let actor = Actor::new(format!("user:{}", session.user.id));
    match store.add_webhook_endpoint(&actor, employer_id, &url).await {
        Ok(_) => Ok(see_other(&format!(
            "/portal/{employer_id}/webhooks?done=added"
        ))),
        Err(StoreError::Conflict(message)) => {
            let error = if message.contains("at most") {
                w.too_many
            } else {
                w.duplicate
            };
            render(
                &state,
                &viewer,
                &session,
                employer_id,
                Said {
                    status: StatusCode::CONFLICT,
                    url: shown,
                    error: Some(error),
                    notice: None,
                },
            )
            .await
        }
        Err(err) => Err(viewer.fail(err)),
    }
}

async fn rotate_secret(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, endpoint_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    viewer.check_csrf(&form.csrf)?;
    let actor = Actor::new(format!("user:{}", session.user.id));
    state
        .store()
        .rotate_webhook_secret(&actor, employer_id, endpoint_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(see_other(&format!(
        "/portal/{employer_id}/webhooks?done=rotated"
    )))
}

async fn remove_endpoint(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, endpoint_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    viewer.check_csrf(&form.csrf)?;
    let actor = Actor::new(format!("user:{}", session.user.id));
    state
        .store()
        .remove_webhook_endpoint(&actor, employer_id, endpoint_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(see_other(&format!(
        "/portal/{employer_id}/webhooks?done=removed"
    )))
}

async fn redeliver(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, delivery_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    viewer.check_csrf(&form.csrf)?;
    let actor = Actor::new(format!("user:{}", session.user.id));
    let done = match state
        .store()
        .redeliver_webhook(&actor, employer_id, delivery_id)
        .await
    {
        Ok(()) => "redelivered",
        Err(StoreError::Conflict(_)) => "queued",
        Err(err) => return Err(viewer.fail(err)),
    };
    Ok(see_other(&format!(
        "/portal/{employer_id}/webhooks?done={done}"
    )))
}
