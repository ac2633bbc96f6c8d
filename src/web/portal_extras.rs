//! More of the employer portal: the "API access" page (personal API tokens: create — shown
//! once —, list with label, creation and last use, revoke), the printable receipt of a
//! settled debit, and the notices sent to the employer (list, and each one's text).
//!
//! Access as in [`super::portal`]: every route takes the employer from the path and goes
//! through `portal::employer_for`; a token is only ever the signed-in user's own.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::WebState;
use super::i18n::money;
use super::i18n_extras::{ExtraTexts, extras};
use super::portal::{employer_for, employer_name, nav};
use super::session::{Chrome, NavLink, PageResult, Viewer, see_other};
use crate::store::{Actor, Session, StoreError};

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
        .route("/portal/{employer}/receipts/{collection}", get(receipt))
        .route("/portal/{employer}/notices", get(notices))
        .route("/portal/{employer}/notices/{notice}", get(notice))
}

/// The portal navigation's links to these pages (after the main ones).
pub(super) fn nav_links(viewer: &Viewer, employer_id: i64, current: &str) -> Vec<NavLink> {
    let x = extras(viewer.lang);
    vec![
        NavLink {
            href: format!("/portal/{employer_id}/notices"),
            label: x.notices,
            current: current == "notices",
        },
        NavLink {
            href: format!("/portal/{employer_id}/api-access"),
            label: x.api_access,
            current: current == "api-access",
        },
    ]
}

/// `2026-11-27T10:05:00Z` → `2026-11-27 10:05 UTC`.
fn when(timestamp: &str) -> String {
    match (timestamp.get(..10), timestamp.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => timestamp.to_owned(),
    }
}

struct TokenRow {
    id: i64,
    label: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "web/portal_api_access.html")]
struct ApiAccessPage {
    c: Chrome,
    x: &'static ExtraTexts,
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
    let x = extras(viewer.lang);
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

#[derive(Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
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
        .map(|_| extras(viewer.lang).token_revoked);
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
    let x = extras(viewer.lang);
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
        Ok((_, token)) => ApiFeedback {
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

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
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

struct ReceiptRow {
    worksite: String,
    period: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "web/portal_receipt.html")]
struct ReceiptPage {
    c: Chrome,
    x: &'static ExtraTexts,
    fund: String,
    number: String,
    employer: String,
    affiliation: String,
    paid_on: String,
    collection_date: String,
    amount: String,
    account: String,
    institution: String,
    mandate: String,
    issued_on: String,
    rows: Vec<ReceiptRow>,
}

/// `2026-12-15` (or a timestamp starting with it) → `15/12/2026`.
fn day(iso: &str) -> String {
    crate::notices::render::date(iso)
}

/// The receipt of a settled debit, printable (the stylesheet's `@media print` leaves only
/// the receipt). Another employer's debit, or one not settled, is "not found".
async fn receipt(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, collection_id)): Path<(i64, i64)>,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
    let receipt = state
        .store()
        .receipt(employer_id, collection_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let x = extras(viewer.lang);
    let c = &receipt.collection;
    let bank = state.store().banks().name(&c.bank_code);
    let institution = match (c.account_kind.as_str(), viewer.lang, bank) {
        ("postal", super::i18n::Lang::Fr, _) => "Algérie Poste".to_owned(),
        ("postal", super::i18n::Lang::Ar, _) => "بريد الجزائر".to_owned(),
        (_, _, Some(name)) => name.to_owned(),
        (_, _, None) => c.bank_code.clone(),
    };
    let fund = state
        .options
        .cycle
        .as_ref()
        .map_or_else(|| "CACOBATPH".to_owned(), |s| s.creditor.name.clone());
    let page = ReceiptPage {
        c: viewer.chrome(nav(&viewer, &session, employer_id, "history")),
        x,
        fund,
        number: receipt.number.clone(),
        employer: employer_name(&employer, viewer.lang),
        affiliation: employer.affiliation_number.clone(),
        paid_on: day(c.settled_on.as_deref().unwrap_or(&c.collection_date)),
        collection_date: day(&c.collection_date),
        amount: money(c.amount, viewer.lang),
        account: c.account_masked.clone(),
        institution,
        mandate: c.mandate_reference.clone(),
        issued_on: day(&receipt.issued_at),
        rows: c
            .worksites
            .iter()
            .map(|w| ReceiptRow {
                worksite: format!("{} — {}", w.worksite_code, w.worksite_name),
                period: w.period.clone(),
                amount: money(w.amount, viewer.lang),
            })
            .collect(),
    };
    viewer.page(StatusCode::OK, &page)
}

struct NoticeRow {
    id: i64,
    sent_at: String,
    kind: String,
    subject: String,
}

#[derive(Template)]
#[template(path = "web/portal_notices.html")]
struct NoticesPage {
    c: Chrome,
    x: &'static ExtraTexts,
    employer_id: i64,
    rows: Vec<NoticeRow>,
}

/// The notices sent to the employer, newest first (those not sent yet are not listed).
async fn notices(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    let x = extras(viewer.lang);
    let rows = state
        .store()
        .notices_for_employer(employer_id, 500)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .filter_map(|n| {
            Some(NoticeRow {
                id: n.id,
                sent_at: when(n.sent_at.as_deref()?),
                kind: x.notice_kind(&n.kind),
                subject: n.subject?,
            })
        })
        .collect();
    let page = NoticesPage {
        c: viewer.chrome(nav(&viewer, &session, employer_id, "notices")),
        x,
        employer_id,
        rows,
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "web/portal_notice.html")]
struct NoticePage {
    c: Chrome,
    x: &'static ExtraTexts,
    employer_id: i64,
    subject: String,
    kind: String,
    sent_at: String,
    recipient: String,
    body: String,
}

/// One notice as it was sent: its plain-text version (the HTML one says the same).
async fn notice(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, notice_id)): Path<(i64, i64)>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    let n = state
        .store()
        .sent_notice(employer_id, notice_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let x = extras(viewer.lang);
    let page = NoticePage {
        c: viewer.chrome(nav(&viewer, &session, employer_id, "notices")),
        x,
        employer_id,
        subject: n.subject.unwrap_or_default(),
        kind: x.notice_kind(&n.kind),
        sent_at: n.sent_at.as_deref().map(when).unwrap_or_default(),
        recipient: n.recipient.unwrap_or_default(),
        body: n.body_text.unwrap_or_default(),
    };
    viewer.page(StatusCode::OK, &page)
}
