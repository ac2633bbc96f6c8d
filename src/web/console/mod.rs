//! The finance console (`/console`, finance staff and administrators only): the
//! [`dashboard`] with its [`charts`], [`runs`] and their [`files`] (with download, and the
//! quarantined reports), imported [`reports`], [`exceptions`] with an audited resolution
//! (a note, or a staff action on its debit: [`debits`]), every debit filtered, totalled,
//! paged and exported as CSV ([`debit_list`]),
//! [`employers`] (search and a full view) and an employer's [`account`] (balance, entries,
//! payments by other channels) and its [`write_offs`] (four eyes above an amount), the incoming [`credits`] waiting for staff, the [`calendar`] (changes re-plan debits and
//! say what moved), dated contribution [`rates`] (administrators add them), [`surcharges`]
//! and the payment [`allocation_order`] (administrators change it), the provisional
//! [`assessments`], the scheduler's [`jobs`] (failed ones put back in the queue) and [`users`] (administrators
//! only). The disputes queue is in [`super::disputes`].
//!
//! This file holds what the screens share (the navigation, the staff and administrator
//! checks, the file table's rows, paging, small formats); each screen's file uses it and
//! none uses another, but for the dashboard drawing its [`charts`]. Nothing here knows the
//! portal.

mod account;
mod allocation_order;
mod assessments;
mod attestations;
mod calendar;
mod charts;
mod credits;
mod dashboard;
mod debit_list;
mod debits;
mod employers;
mod enrolment;
mod evidence;
mod exceptions;
mod files;
mod jobs;
mod plans;
mod rates;
mod receivables;
mod reports;
mod runs;
mod search;
mod surcharges;
mod users;
mod write_offs;

use axum::Router;
use chrono::NaiveDate;
use mandates::{Amount, DebitAction};
use serde::Deserialize;

use super::WebState;
use super::i18n::{PageTexts, money};
use super::session::{NavLink, PageError, Refusal, Viewer};
use crate::locale::Lang;
use crate::locale::Word;
use crate::store::{Actor, DebitRecord, Role, Session};

/// Every console screen's routes.
pub(super) fn router() -> Router<WebState> {
    Router::new()
        .merge(dashboard::router())
        .merge(files::router())
        .merge(exceptions::router())
        .merge(debit_list::router())
        .merge(debits::router())
        .merge(runs::router())
        .merge(reports::router())
        .merge(employers::router())
        .merge(enrolment::router())
        .merge(account::router())
        .merge(write_offs::router())
        .merge(credits::router())
        .merge(receivables::router())
        .merge(calendar::router())
        .merge(rates::router())
        .merge(surcharges::router())
        .merge(allocation_order::router())
        .merge(assessments::router())
        .merge(plans::router())
        .merge(jobs::router())
        .merge(users::router())
        .merge(search::router())
        .merge(attestations::router())
        .merge(evidence::router())
}

/// The console's navigation, the `current` screen marked (users: administrators only).
pub(super) fn nav(viewer: &Viewer, current: &str) -> Vec<NavLink> {
    let t = viewer.texts();
    let k = viewer.lang.console();
    let mut entries = vec![
        ("dashboard", "/console", t.dashboard),
        ("files", "/console/files", t.runs_files),
        ("exceptions", "/console/exceptions", t.exceptions),
        (
            "debits",
            "/console/debits",
            super::i18n::DebitListTexts::of(viewer.lang).nav,
        ),
        ("quarantine", "/console/quarantine", t.quarantine),
        ("disputes", "/console/disputes", t.disputes),
        (
            "refunds",
            "/console/refunds",
            super::i18n::RefundTexts::of(viewer.lang).queue_title,
        ),
        ("runs", "/console/runs", k.nav_runs),
        ("reports", "/console/reports", k.nav_reports),
        (
            "credits",
            "/console/credits",
            super::i18n::CreditTexts::of(viewer.lang).nav,
        ),
        ("employers", "/console/employers", k.nav_employers),
        (
            "receivables",
            "/console/receivables",
            super::i18n::StatementTexts::of(viewer.lang).receivables,
        ),
        ("calendar", "/console/calendar", k.nav_calendar),
        ("rates", "/console/rates", k.nav_rates),
        (
            "surcharges",
            "/console/surcharges",
            viewer.lang.pick("Majorations", "الزيادات"),
        ),
        (
            "assessments",
            "/console/assessments",
            assessments::texts(viewer.lang).title,
        ),
        (
            "plans",
            "/console/plans",
            super::i18n::PlanTexts::of(viewer.lang).title,
        ),
        ("jobs", "/console/jobs", k.nav_jobs),
    ];
    if is_admin(viewer) {
        entries.push(("users", "/console/users", k.nav_users));
    }
    entries.push((
        "profile",
        "/account",
        super::i18n::SelfServiceTexts::of(viewer.lang).profile,
    ));
    entries
        .into_iter()
        .map(|(key, href, label)| NavLink {
            href: href.to_owned(),
            label,
            current: key == current,
        })
        .collect()
}

fn is_admin(viewer: &Viewer) -> bool {
    viewer
        .session
        .as_ref()
        .is_some_and(|s| s.user.role == Role::Admin)
}

/// An administrator's session, or a refusal (finance staff: forbidden).
fn admin(viewer: &Viewer) -> Result<&Session, PageError> {
    let session = viewer.staff()?;
    if session.user.role == Role::Admin {
        Ok(session)
    } else {
        Err(viewer.refuse(Refusal::Forbidden))
    }
}

/// An action form: the action's code (in its URL) and its word (the button).
struct ActionButton {
    code: &'static str,
    word: &'static str,
}

/// The forms of the actions a debit's state allows (without release: `with_release`).
fn buttons(debit: &DebitRecord, viewer: &Viewer, with_release: bool) -> Vec<ActionButton> {
    debit
        .possible_actions
        .iter()
        .filter(|a| with_release || **a != DebitAction::Release)
        .map(|a| ActionButton {
            code: a.as_str(),
            word: a.word(viewer.lang),
        })
        .collect()
}

fn actor(session: &Session) -> Actor {
    Actor::new(format!("user:{}", session.user.id))
}

/// Who did something, in words, for each actor code of `codes` (`user:4` → the user's
/// name, else e-mail; `scheduler` → what it is): looked up once per distinct user.
async fn actor_words(
    store: &crate::store::Store,
    codes: Vec<String>,
    lang: Lang,
) -> std::collections::HashMap<String, String> {
    let mut words = std::collections::HashMap::new();
    for code in codes {
        if words.contains_key(&code) {
            continue;
        }
        let name = match crate::locale::actors::Actor::parse(&code).user_id() {
            Some(id) => store.user(id).await.ok().map(|user| {
                if user.display_name.trim().is_empty() {
                    user.email
                } else {
                    user.display_name
                }
            }),
            None => None,
        };
        let word = crate::locale::actor_word(&code, name.as_deref(), lang);
        words.insert(code, word);
    }
    words
}

fn amount(centimes: i64, lang: Lang) -> String {
    money(Amount::from_centimes(centimes), lang)
}

/// A part of a URL query, percent-encoded.
fn query_part(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A file as `partials/files_table.html` shows it (the files page and a run's page).
struct FileRow {
    id: i64,
    name: String,
    institution: String,
    format: String,
    sequence: i64,
    date: String,
    transactions: i64,
    control_sum: String,
    sha256: String,
    downloaded: String,
}

fn file_rows(viewer: &Viewer, files: Vec<crate::store::BankFileRecord>) -> Vec<FileRow> {
    files
        .into_iter()
        .map(|f| FileRow {
            id: f.id,
            name: f.file_name,
            institution: f.institution.word(viewer.lang).to_owned(),
            format: f.format,
            sequence: f.sequence,
            date: f.collection_date,
            transactions: f.transactions,
            control_sum: money(Amount::from_centimes(f.control_sum_centimes), viewer.lang),
            sha256: f.sha256,
            downloaded: f
                .downloaded_at
                .as_deref()
                .map(crate::locale::page_moment)
                .unwrap_or_default(),
        })
        .collect()
}

/// Rows per page of the paged lists (reports, employers, users).
const PAGE: i64 = 50;

/// One page of a list read with one row more than `per_page` (`limit = per_page + 1`): the
/// rows to show, and where the next page starts (from the last row) when there is more.
fn paged<T, N>(mut found: Vec<T>, per_page: i64, next: impl Fn(&T) -> N) -> (Vec<T>, Option<N>) {
    let more = found.len() as i64 > per_page;
    found.truncate(usize::try_from(per_page).unwrap_or(0));
    let link = if more { found.last().map(next) } else { None };
    (found, link)
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: i64,
    #[serde(default)]
    before: i64,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    added: Option<String>,
    #[serde(default)]
    year: Option<i32>,
}

/// A date typed in a form (`YYYY-MM-DD`).
fn form_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parts_are_percent_encoded() {
        assert_eq!(query_part("SARL a&b"), "SARL%20a%26b");
        assert_eq!(query_part("é"), "%C3%A9");
    }
}
