//! The console's search: the box in every console page's header sends here whatever staff
//! typed — a debit's id or bank reference, a mandate's reference, an e-mail address, an
//! affiliation number or name, the last digits of an account — and this page lists what
//! it names, by kind, each linked to its page. Accounts masked.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;

use super::nav;
use crate::locale::{Word, last4, written_day_of};
use crate::web::WebState;
use crate::web::i18n::{SearchTexts, employer_name, money};
use crate::web::session::{Chrome, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/console/search", get(search))
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

struct Row {
    href: String,
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/console/search.html")]
struct SearchPage {
    c: Chrome,
    s: &'static SearchTexts,
    q: String,
    searched: bool,
    debits: Vec<Row>,
    mandates: Vec<Row>,
    employers: Vec<Row>,
    users: Vec<Row>,
}

async fn search(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<SearchQuery>,
) -> PageResult {
    let session = viewer.staff()?.clone();
    let lang = viewer.lang;
    let q: String = query.q.trim().chars().take(100).collect();
    let hits = state
        .store()
        .search_everything(&q)
        .await
        .map_err(|e| viewer.fail(e))?;
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
                d.status.word(lang).to_owned(),
            ],
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
        })
        .collect();
    let page = SearchPage {
        c: viewer.chrome(nav(&viewer, "search")),
        s: SearchTexts::of(lang),
        searched: !q.is_empty(),
        q,
        debits,
        mandates,
        employers,
        users,
    };
    viewer.page(StatusCode::OK, &page)
}
