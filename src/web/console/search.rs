//! The console's search: the box in every console page's header sends here whatever staff
//! typed — a debit's id or bank reference, a mandate's reference, an e-mail address, an
//! affiliation number or name, the last digits of an account — and this page lists what
//! it names, by kind, each linked to its page, with how many of each there are in all and
//! the pages to go through them (`?page=`). Accounts masked.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;

use super::{nav, query_part};
use crate::locale::{Word, last4, written_day_of};
use crate::store::SEARCH_HITS_MAX;
use crate::web::WebState;
use crate::web::display::DebitBadge;
use crate::web::i18n::{SearchTexts, employer_name, money};
use crate::web::session::{Chrome, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/console/search", get(search))
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    /// The page of results, from 1 (anything else: the first).
    #[serde(default)]
    page: String,
}

struct Row {
    href: String,
    cells: Vec<String>,
    /// A debit's state, shown as every page listing debits shows it (a badge); the last
    /// cell of a debit's row.
    badge: Option<DebitBadge>,
}

/// One kind's results on this page: its rows and what the heading says of them
/// (`26–50 sur 61`).
struct Found {
    rows: Vec<Row>,
    shown: String,
}

impl Found {
    fn new(rows: Vec<Row>, total: i64, offset: i64, s: &SearchTexts) -> Found {
        let first = offset + 1;
        let last = offset + i64::try_from(rows.len()).unwrap_or(0);
        Found {
            shown: s.shown(first, last, total),
            rows,
        }
    }
}

#[derive(Template)]
#[template(path = "web/console/search.html")]
struct SearchPage {
    c: Chrome,
    s: &'static SearchTexts,
    q: String,
    searched: bool,
    /// Nothing on any page.
    nothing: bool,
    debits: Found,
    mandates: Found,
    employers: Found,
    users: Found,
    /// `Page 2 sur 3`, when there is more than one.
    page_of: Option<String>,
    previous: Option<String>,
    next: Option<String>,
}

async fn search(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<SearchQuery>,
) -> PageResult {
    let session = viewer.staff()?.clone();
    let lang = viewer.lang;
    let q: String = query.q.trim().chars().take(100).collect();
    let page = query
        .page
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let hits = state
        .store()
        .search_everything(&q, page)
        .await
        .map_err(|e| viewer.fail(e))?;
    let s = SearchTexts::of(lang);
    let totals = hits.totals;
    let pages = totals.pages();
    let offset = (page - 1).saturating_mul(SEARCH_HITS_MAX);
    let link = |to: i64| format!("/console/search?q={}&page={to}", query_part(&q));
    let debits = hits
        .debits
        .iter()
        .map(|d| Row {
            href: format!("/console/debits/{}", d.id),
            cells: vec![
                d.id.to_string(),
                d.affiliation_number.clone(),
                written_day_of(&d.collection_date),
                money(d.amount(), lang),
            ],
            badge: Some(DebitBadge::staff(d.status, lang)),
        })
        .collect();
    let mandates = hits
        .mandates
        .iter()
        .map(|m| Row {
            href: format!("/console/employers/{}", m.employer_id),
            cells: vec![
                m.reference.clone(),
                m.affiliation_number.clone(),
                last4(&m.account_masked),
                m.status.word(lang).to_owned(),
            ],
            badge: None,
        })
        .collect();
    let employers = hits
        .employers
        .iter()
        .map(|e| Row {
            href: format!("/console/employers/{}", e.id),
            cells: vec![
                e.affiliation_number.clone(),
                employer_name(e, lang),
                e.email.clone(),
            ],
            badge: None,
        })
        .collect();
    // The users list is the administrators'; finance staff see who it is, unlinked.
    let users_page = if session.user.role == crate::store::Role::Admin {
        "/console/users"
    } else {
        ""
    };
    let users = hits
        .users
        .iter()
        .map(|u| Row {
            href: users_page.to_owned(),
            cells: vec![
                u.email.clone(),
                u.display_name.clone(),
                u.role.word(lang).to_owned(),
            ],
            badge: None,
        })
        .collect();
    let page = SearchPage {
        c: viewer.chrome(nav(&viewer, "search")),
        s,
        searched: !q.is_empty(),
        nothing: hits.is_empty(),
        debits: Found::new(debits, totals.debits, offset, s),
        mandates: Found::new(mandates, totals.mandates, offset, s),
        employers: Found::new(employers, totals.employers, offset, s),
        users: Found::new(users, totals.users, offset, s),
        page_of: (pages > 1).then(|| s.page_of(page, pages)),
        previous: (page > 1).then(|| link((page - 1).min(pages))),
        next: (page < pages).then(|| link(page + 1)),
        q,
    };
    viewer.page(StatusCode::OK, &page)
}
