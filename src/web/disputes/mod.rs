//! Disputes in the pages. Employer users (portal, through `portal::employer_for`, so only
//! their own employers' collections and cases): contest a collection from the history (a
//! reason from the list and a plain-text message), get the case number in the response,
//! follow the case (status, deadline, messages, the fund's answer), write again. Staff
//! (console): the queue by deadline with overdue cases marked, a case with its collection
//! (account masked) and the answer form (outcome and message; audited, emailed).
//!
//! This file holds what both sides show the same way (a case, its messages, the reason
//! and outcome words, the refusals); [`portal`] and [`console`] hold each side's pages and
//! routes, and neither uses the other.

mod console;
mod portal;

use axum::Router;
use axum::http::StatusCode;
use chrono::NaiveDate;
use mandates::{Amount, CollectionStatus};
use serde::Deserialize;

use super::WebState;
use super::i18n::{Texts, money};
use super::session::Viewer;
use crate::locale::{EmployerWord, Lang, Word, page_time, stored_algiers_time};
use crate::store::{
    DisputeMessage, DisputeOutcome, DisputeReason, DisputeRecord, DisputeRefusal, DisputeState,
    MessageAuthor,
};

/// The dispute pages of both sides.
pub(super) fn router() -> Router<WebState> {
    Router::new()
        .merge(portal::router())
        .merge(console::router())
}

/// A collection's state as the viewer reads it: staff's word in the console, the
/// employer's in the portal.
fn collection_status(viewer: &Viewer, status: CollectionStatus) -> &'static str {
    let staff = viewer
        .session
        .as_ref()
        .is_some_and(|s| s.user.role.is_staff());
    if staff {
        status.word(viewer.lang)
    } else {
        status.employer_word(viewer.lang)
    }
}

/// A refusal in the reader's language, and the status it is answered with: 422 for what
/// was typed, 409 for the state of the collection or case.
fn refusal(t: &Texts, refusal: &DisputeRefusal) -> (StatusCode, String) {
    let input = StatusCode::UNPROCESSABLE_ENTITY;
    let state = StatusCode::CONFLICT;
    match refusal {
        DisputeRefusal::UnknownReason => (input, t.err_reason.to_owned()),
        DisputeRefusal::UnknownOutcome => (input, t.err_outcome.to_owned()),
        DisputeRefusal::EmptyMessage => (input, t.err_message_empty.to_owned()),
        DisputeRefusal::MessageTooLong { chars } => {
            (input, format!("{} {chars}", t.err_message_long))
        }
        DisputeRefusal::NotPlainText => (input, t.err_message_plain.to_owned()),
        DisputeRefusal::NotContestable { .. } => (state, t.err_cancelled.to_owned()),
        DisputeRefusal::Closed { .. } => (state, t.err_closed.to_owned()),
        DisputeRefusal::TooManyMessages { .. } => (state, t.err_too_many.to_owned()),
        DisputeRefusal::NotOpen { .. } => (state, t.err_not_open.to_owned()),
    }
}

/// `2026-12-16T09:30:00Z` → `16/12/2026 10:30` (Africa/Algiers).
fn algiers_time(timestamp: &str) -> String {
    stored_algiers_time(timestamp).map_or_else(|| timestamp.to_owned(), page_time)
}

/// A case as the pages show it.
struct CaseView {
    id: i64,
    number: String,
    collection_id: i64,
    collection_date: String,
    amount: String,
    collection_status: &'static str,
    employer: String,
    affiliation: String,
    reason: &'static str,
    /// `open`, `answered` or `closed` (a CSS class and a test hook).
    state: &'static str,
    state_label: &'static str,
    overdue: bool,
    outcome: &'static str,
    deadline_label: &'static str,
    deadline: String,
    opened_on: String,
    messages: i64,
}

/// A case as both sides see it, its state (overdue or not) as of `today`.
fn case_view(viewer: &Viewer, case: &DisputeRecord, today: NaiveDate) -> CaseView {
    let t = viewer.texts();
    let lang = viewer.lang;
    let case_state = case.state(today);
    let (state, overdue, deadline_label) = match case_state {
        DisputeState::Open { overdue } => ("open", overdue, t.answer_by),
        DisputeState::Answered => ("answered", false, t.write_again_until),
        DisputeState::Closed => ("closed", false, t.case_closed_since),
    };
    CaseView {
        id: case.id,
        number: case.case_number.clone(),
        collection_id: case.collection_id,
        collection_date: case.collection_date.clone(),
        amount: money(Amount::from_centimes(case.amount_centimes), viewer.lang),
        collection_status: collection_status(viewer, case.collection_status),
        employer: case.employer_name.clone(),
        affiliation: case.affiliation_number.clone(),
        reason: case.reason.word(lang),
        state,
        state_label: case_state.word(lang),
        overdue,
        outcome: case.outcome.map_or("", |o| o.word(lang)),
        deadline_label,
        deadline: case.deadline.clone(),
        opened_on: algiers_time(&case.opened_at),
        messages: case.messages,
    }
}

struct MessageView {
    id: i64,
    from_fund: bool,
    author: &'static str,
    at: String,
    /// The reason (employer) or the outcome (fund), when given.
    label: &'static str,
    body: String,
}

fn message_views(viewer: &Viewer, messages: Vec<DisputeMessage>) -> Vec<MessageView> {
    let lang = viewer.lang;
    messages
        .into_iter()
        .map(|m| {
            let label = match (m.reason, m.outcome) {
                (_, Some(outcome)) => outcome.word(lang),
                (Some(reason), None) => reason.word(lang),
                (None, None) => "",
            };
            MessageView {
                id: m.id,
                from_fund: m.author == MessageAuthor::Fund,
                author: m.author.word(lang),
                at: algiers_time(&m.created_at),
                label,
                body: m.body,
            }
        })
        .collect()
}

/// The options of a select: (code, label, selected).
type Options = Vec<(&'static str, &'static str, bool)>;

fn reason_options(lang: Lang, selected: &str) -> Options {
    DisputeReason::ALL
        .into_iter()
        .map(|r| (r.as_str(), r.word(lang), r.as_str() == selected))
        .collect()
}

fn outcome_options(lang: Lang, selected: &str) -> Options {
    DisputeOutcome::ALL
        .into_iter()
        .map(|o| (o.as_str(), o.word(lang), o.as_str() == selected))
        .collect()
}

#[derive(Deserialize)]
struct MessageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    message: String,
    /// Staff's answer: what an upheld answer does about the money (empty: nothing).
    #[serde(default)]
    action: String,
}
