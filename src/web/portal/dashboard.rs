//! The portal's front pages: the list of the user's employers (`/portal`, straight to the
//! one when there is one) and an employer's dashboard — its upcoming debit (date, amount,
//! per-worksite breakdown) and its active mandate.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use mandates::{Amount, CollectionStatus};

use super::{employer_for, nav};
use crate::web::WebState;
use crate::web::i18n::{CeilingTexts, ScreenTexts, employer_name, money};
use crate::web::session::{Chrome, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/portal", get(home))
        .route("/portal/{employer}", get(dashboard))
}

#[derive(Template)]
#[template(path = "web/portal/home.html")]
struct HomePage {
    c: Chrome,
    employers: Vec<(i64, String, String)>,
}

async fn home(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    let session = viewer.employer_user()?;
    if let [only] = session.user.employer_ids.as_slice() {
        return Ok(see_other(&format!("/portal/{only}")));
    }
    let mut employers = Vec::new();
    for id in &session.user.employer_ids {
        let employer = state
            .store()
            .employer(*id)
            .await
            .map_err(|e| viewer.fail(e))?;
        employers.push((
            employer.id,
            employer_name(&employer, viewer.lang),
            employer.affiliation_number,
        ));
    }
    let page = HomePage {
        c: viewer.chrome(Vec::new()),
        employers,
    };
    viewer.page(StatusCode::OK, &page)
}

/// A line of a breakdown, formatted.
struct BreakdownRow {
    worksite: String,
    period: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "web/portal/dashboard.html")]
struct DashboardPage {
    c: Chrome,
    employer: String,
    affiliation: String,
    /// (date or empty, amount, planned?)
    /// Date, amount, planned, already in a file sent to the bank.
    upcoming: Option<(String, String, bool, bool)>,
    breakdown: Vec<BreakdownRow>,
    mandate: Option<String>,
    employer_id: i64,
    k: &'static CeilingTexts,
    s: &'static ScreenTexts,
    /// No active mandate because the last one was suspended (a bank refused a debit).
    suspended: bool,
    /// Debits not presented because what is owed is above the mandate's ceiling.
    over_ceiling: Vec<OverCeilingRow>,
}

/// A debit left out over the ceiling, formatted.
struct OverCeilingRow {
    date: String,
    owed: String,
    ceiling: String,
    deadline: String,
}

async fn dashboard(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
    let store = state.store();
    let upcoming = store
        .upcoming_debit(employer_id, store.clock().today())
        .await
        .map_err(|e| viewer.fail(e))?;
    let mandates = store
        .list_mandates(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let over_ceiling = store
        .employer_ceiling_shortfalls(employer_id, store.clock().today())
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|s| OverCeilingRow {
            date: s.collection_date,
            owed: money(s.amount, viewer.lang),
            ceiling: money(s.ceiling, viewer.lang),
            deadline: s.deadline,
        })
        .collect();
    let mandate = mandates
        .iter()
        .find(|m| m.status == mandates::MandateStatus::Active)
        .map(|m| {
            format!(
                "{} — {} ({})",
                m.account_masked,
                m.bank_name.clone().unwrap_or_else(|| m.bank_code.clone()),
                m.reference
            )
        });
    let suspended = mandate.is_none()
        && mandates
            .iter()
            .any(|m| m.status == mandates::MandateStatus::Suspended);
    let breakdown = upcoming
        .as_ref()
        .map(|u| {
            u.lines
                .iter()
                .map(|l| BreakdownRow {
                    worksite: format!("{} — {}", l.worksite_code, l.worksite_name),
                    period: l.period.clone(),
                    amount: money(Amount::from_centimes(l.amount_centimes), viewer.lang),
                })
                .collect()
        })
        .unwrap_or_default();
    let page = DashboardPage {
        c: viewer.chrome(nav(&viewer, &session, employer_id, "dashboard")),
        employer: employer_name(&employer, viewer.lang),
        affiliation: employer.affiliation_number,
        upcoming: upcoming.map(|u| {
            (
                u.collection_date.clone().unwrap_or_default(),
                money(u.amount, viewer.lang),
                u.collection_id.is_some(),
                u.status == Some(CollectionStatus::Submitted),
            )
        }),
        breakdown,
        mandate,
        employer_id,
        k: CeilingTexts::of(viewer.lang),
        s: ScreenTexts::of(viewer.lang),
        suspended,
        over_ceiling,
    };
    viewer.page(StatusCode::OK, &page)
}
