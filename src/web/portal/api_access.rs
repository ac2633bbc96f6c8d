//! The "API access" page: the signed-in user's personal API tokens — create (shown once),
//! list with label, creation and last use, revoke. A token is only ever the signed-in
//! user's own; it reaches the employers that user acts for (listed on the page).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{DoneQuery, employer_for, nav, when};
use crate::store::{Actor, NewToken, Session, StoreError};
use crate::web::WebState;
use crate::web::i18n::{PageTexts, PortalTexts, employer_name};
use crate::web::session::{Chrome, CsrfForm, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/portal/{employer}/api-access",
            get(api_access).post(create_token),
        )
        .route(
            "/portal/{employer}/api-access/{token}/revoke",
            post(revoke_token),
        )
}

struct TokenRow {
    id: i64,
    label: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "web/portal/api_access.html")]
struct ApiAccessPage {
    c: Chrome,
    x: &'static PortalTexts,
    employer_id: i64,
    employers: Vec<String>,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    label: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

struct ApiFeedback {
    status: StatusCode,
    new_token: Option<String>,
    label: String,
    error: Option<&'static str>,
    notice: Option<&'static str>,
}

async fn render_api_access(
    state: &WebState,
    viewer: &Viewer,
    session: &Session,
    employer_id: i64,
    feedback: ApiFeedback,
) -> PageResult {
    let store = state.store();
    let tokens = store
        .user_api_tokens(session.user.id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let x = viewer.lang.portal();
    let mut employers = Vec::new();
    for id in &session.user.employer_ids {
        let employer = store.employer(*id).await.map_err(|e| viewer.fail(e))?;
        employers.push(format!(
            "{} — {}",
            employer.affiliation_number,
            employer_name(&employer, viewer.lang)
        ));
    }
    let page = ApiAccessPage {
        c: viewer.chrome(nav(viewer, session, employer_id, "api-access")),
        x,
        employer_id,
        employers,
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id,
                label: t.label,
                created: when(&t.created_at),
                last_used: t.last_used_at.as_deref().map_or(x.never.to_owned(), when),
                revoked: t.revoked_at.as_deref().map(when),
            })
            .collect(),
        new_token: feedback.new_token,
        label: feedback.label,
        error: feedback.error,
        notice: feedback.notice,
    };
    viewer.page(feedback.status, &page)
}

async fn api_access(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    let notice = query
        .done
        .filter(|d| d == "revoked")
        .map(|_| viewer.lang.portal().token_revoked);
    render_api_access(
        &state,
        &viewer,
        &session,
        employer_id,
        ApiFeedback {
            status: StatusCode::OK,
            new_token: None,
            label: String::new(),
            error: None,
            notice,
        },
    )
    .await
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
}

async fn create_token(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Form(form): Form<TokenForm>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    viewer.check_csrf(&form.csrf)?;
    let x = viewer.lang.portal();
    let label = form.label.trim();
    let refused = |error: &'static str| ApiFeedback {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        new_token: None,
        label: label.chars().take(80).collect(),
        error: Some(error),
        notice: None,
    };
    if label.is_empty() || label.chars().count() > 80 {
        let feedback = refused(x.token_label_invalid);
        return render_api_access(&state, &viewer, &session, employer_id, feedback).await;
    }
    let actor = Actor::new(format!("user:{}", session.user.id));
    let feedback = match state
        .store()
        .create_user_api_token(&actor, session.user.id, label)
        .await
    {
        // Shown in this answer only (the page is `no-store`); the database keeps its hash.
        Ok(NewToken { token, .. }) => ApiFeedback {
            status: StatusCode::OK,
            new_token: Some(token),
            label: String::new(),
            error: None,
            notice: Some(x.token_created),
        },
        Err(StoreError::Conflict(_)) => refused(x.token_too_many),
        Err(StoreError::Invalid(_)) => refused(x.token_label_invalid),
        Err(err) => return Err(viewer.fail(err)),
    };
    render_api_access(&state, &viewer, &session, employer_id, feedback).await
}

async fn revoke_token(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, token_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    viewer.check_csrf(&form.csrf)?;
    let actor = Actor::new(format!("user:{}", session.user.id));
    // Another user's token (or one already revoked) is "not found", like any other id.
    state
        .store()
        .revoke_user_api_token(&actor, Some(session.user.id), token_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(see_other(&format!(
        "/portal/{employer_id}/api-access?done=revoked"
    )))
}
