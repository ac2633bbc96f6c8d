//! The history page: every debit of the employer with its state, a failed one's reason in
//! the taxonomy's plain words and its next attempt, a settled one's receipt, and whether
//! it may be contested (or its dispute case).

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

use super::{employer_for, nav};
use crate::locale::words::reason_explanation;
use crate::locale::written_day_of;
use crate::web::WebState;
use crate::web::i18n::{PageTexts, PortalTexts, money};
use crate::web::session::{Chrome, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/portal/{employer}/history", get(history))
}

struct HistoryRow {
    id: i64,
    /// The collection's case, else whether it may be contested (see `disputes`).
    dispute: Option<(i64, String)>,
    contest: Option<i64>,
    date: String,
    amount: String,
    status: crate::web::display::DebitBadge,
    attempt: i64,
    /// A failed debit: the taxonomy's plain words (what happened, what to do)…
    reason: String,
    reason_code: String,
    /// …and the next attempt, or that none is planned.
    next: String,
    /// A settled debit: its receipt page.
    receipt: Option<String>,
}

#[derive(Template)]
#[template(path = "web/portal/history.html")]
struct HistoryPage {
    c: Chrome,
    x: &'static PortalTexts,
    employer_id: i64,
    rows: Vec<HistoryRow>,
}

async fn history(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
) -> PageResult {
    use bank_formats::reasons::ReasonCategory;
    use mandates::CollectionStatus;
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    let x = viewer.lang.portal();
    let disputes: HashMap<i64, (i64, String)> = state
        .store()
        .employer_disputes(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|d| (d.collection_id, (d.id, d.case_number)))
        .collect();
    let rows = state
        .store()
        .collection_details(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|c| {
            let failed = c.status.is_failure();
            let reason = if failed {
                let category = c.reason_category.unwrap_or(ReasonCategory::Other);
                reason_explanation(category, viewer.lang).to_owned()
            } else {
                String::new()
            };
            let next = match (&c.next_attempt, failed) {
                (Some(n), true) => x
                    .next_attempt_on
                    .replace("{date}", &written_day_of(&n.collection_date))
                    .replace("{amount}", &money(n.amount, viewer.lang)),
                (None, true) => x.no_retry.to_owned(),
                _ => String::new(),
            };
            HistoryRow {
                id: c.id,
                dispute: disputes.get(&c.id).cloned(),
                contest: (c.status != CollectionStatus::Cancelled).then_some(c.id),
                date: c.collection_date,
                amount: money(c.amount, viewer.lang),
                status: crate::web::display::DebitBadge::employer(c.status, viewer.lang),
                attempt: c.attempt,
                reason,
                reason_code: if failed {
                    c.reason_code.unwrap_or_default()
                } else {
                    String::new()
                },
                next,
                receipt: (c.status == CollectionStatus::Settled)
                    .then(|| format!("/portal/{employer_id}/receipts/{}", c.id)),
            }
        })
        .collect();
    let page = HistoryPage {
        c: viewer.chrome(nav(&viewer, &session, employer_id, "history")),
        x,
        employer_id,
        rows,
    };
    viewer.page(StatusCode::OK, &page)
}
