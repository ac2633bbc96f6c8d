//! The notices sent to the employer: the list (newest first; those not sent yet are not
//! listed) and each one's text as it was sent.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

use super::{employer_for, nav, when};
use crate::locale::EmployerWord;
use crate::web::WebState;
use crate::web::i18n::{PageTexts, PortalTexts};
use crate::web::session::{Chrome, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/portal/{employer}/notices", get(notices))
        .route("/portal/{employer}/notices/{notice}", get(notice))
}

struct NoticeRow {
    id: i64,
    sent_at: String,
    kind: &'static str,
    subject: String,
}

#[derive(Template)]
#[template(path = "web/portal/notices.html")]
struct NoticesPage {
    c: Chrome,
    x: &'static PortalTexts,
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
    let x = viewer.lang.portal();
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
                kind: n.kind.employer_word(viewer.lang),
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
#[template(path = "web/portal/notice.html")]
struct NoticePage {
    c: Chrome,
    x: &'static PortalTexts,
    employer_id: i64,
    subject: String,
    kind: &'static str,
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
    let x = viewer.lang.portal();
    let page = NoticePage {
        c: viewer.chrome(nav(&viewer, &session, employer_id, "notices")),
        x,
        employer_id,
        subject: n.subject.unwrap_or_default(),
        kind: n.kind.employer_word(viewer.lang),
        sent_at: n.sent_at.as_deref().map(when).unwrap_or_default(),
        recipient: n.recipient.unwrap_or_default(),
        body: n.body_text.unwrap_or_default(),
    };
    viewer.page(StatusCode::OK, &page)
}
