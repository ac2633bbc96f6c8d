//! The employer portal (`/portal`): an employer user's employers, each with its upcoming
//! debit ([`dashboard`]), its mandate ([`mandate`]), its declarations by CSV
//! ([`declarations`]) or online form ([`declaration_form`]), its history of debits
//! ([`history`]) with their receipts ([`receipts`]), the notices sent to it ([`notices`]),
//! the user's personal API tokens ([`api_access`]) and the employer's webhooks
//! ([`webhooks`]: endpoints, signing secret, delivery log). The disputes pages are in
//! [`super::disputes`].
//!
//! Access: every route takes the employer id from the path and goes through
//! [`employer_for`], which answers "not found" unless the signed-in employer user acts for
//! that employer — so another employer's pages, forms and ids all look nonexistent.
//!
//! This file holds what the pages share (access, navigation, form feedback, and for the
//! CSV upload and the form alike: reading a declaration's period and figures, sending it
//! to the store and saying how the store took it; the rules the lines are checked by are
//! `mandates::declaration`'s); each page file uses it and none uses another. Nothing here
//! knows the console.

mod api_access;
mod attestations;
mod colleagues;
mod dashboard;
mod declaration_csv;
mod declaration_form;
mod declarations;
mod history;
mod mandate;
mod notices;
mod plans;
mod receipts;
mod revoke;
mod statement;
mod webhooks;

use axum::Router;
use axum::http::StatusCode;
use mandates::declaration::{LineInput, check_period_kind};
use mandates::{Amount, LineProblem, Period, ProblemKind};
use serde::Deserialize;

use super::WebState;
use super::i18n::{PageTexts, refusals};
use super::session::{NavLink, PageError, Refusal, Viewer};
use crate::locale::Lang;
use crate::store::{Actor, Duty, Employer, NewDeclaration, Session, StoreError};

/// Every portal page's routes.
pub(super) fn router() -> Router<WebState> {
    Router::new()
        .merge(dashboard::router())
        .merge(mandate::router())
        .merge(declarations::router())
        .merge(declaration_form::router())
        .merge(history::router())
        .merge(receipts::router())
        .merge(notices::router())
        .merge(api_access::router())
        .merge(revoke::router())
        .merge(statement::router())
        .merge(webhooks::router())
        .merge(attestations::router())
        .merge(plans::router())
        .merge(colleagues::router())
}

/// The employer `employer_id` if the signed-in user acts for it; "not found" otherwise.
pub(super) async fn employer_for(
    state: &WebState,
    viewer: &Viewer,
    employer_id: i64,
) -> Result<(Session, Employer), PageError> {
    let session = viewer.employer_user()?.clone();
    if !session.user.may_act_for(employer_id) {
        return Err(viewer.refuse(Refusal::NotFound));
    }
    let employer = state
        .store()
        .employer(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok((session, employer))
}

/// [`employer_for`], and the user's capacity there must cover `duty` (a view-only
/// colleague cannot declare; only who may sign signs or revokes a mandate): refused
/// otherwise, on the page and on its form alike.
pub(super) async fn employer_to(
    state: &WebState,
    viewer: &Viewer,
    employer_id: i64,
    duty: Duty,
) -> Result<(Session, Employer), PageError> {
    let (session, employer) = employer_for(state, viewer, employer_id).await?;
    if !session.user.may(employer_id, duty) {
        return Err(viewer.refuse(Refusal::Forbidden));
    }
    Ok((session, employer))
}

/// The portal's navigation for one employer, the `current` page marked.
pub(super) fn nav(
    viewer: &Viewer,
    session: &Session,
    employer_id: i64,
    current: &str,
) -> Vec<NavLink> {
    let t = viewer.texts();
    let p = viewer.lang.portal();
    let mut links = Vec::new();
    if session.user.employer_ids.len() > 1 {
        links.push(NavLink {
            href: "/portal".to_owned(),
            label: t.your_employers,
            current: current == "home",
        });
    }
    let profile = NavLink {
        href: "/account".to_owned(),
        label: super::i18n::SelfServiceTexts::of(viewer.lang).profile,
        current: false,
    };
    for (key, path, label) in [
        ("dashboard", String::new(), t.dashboard),
        ("mandate", "/mandate".to_owned(), t.mandate),
        ("declarations", "/declarations".to_owned(), t.declarations),
        ("history", "/history".to_owned(), t.history),
        (
            "statement",
            "/statement".to_owned(),
            super::i18n::StatementTexts::of(viewer.lang).title,
        ),
        ("disputes", "/disputes".to_owned(), t.disputes),
        (
            "refunds",
            "/refunds".to_owned(),
            super::i18n::RefundTexts::of(viewer.lang).nav,
        ),
        ("notices", "/notices".to_owned(), p.notices),
        ("api-access", "/api-access".to_owned(), p.api_access),
        (
            "webhooks",
            "/webhooks".to_owned(),
            super::i18n::WebhookTexts::of(viewer.lang).title,
        ),
        (
            "attestations",
            "/attestations".to_owned(),
            super::i18n::AttestationTexts::of(viewer.lang).nav,
        ),
        (
            "plans",
            "/plans".to_owned(),
            super::i18n::PlanTexts::of(viewer.lang).nav,
        ),
        (
            "colleagues",
            "/colleagues".to_owned(),
            super::i18n::SelfServiceTexts::of(viewer.lang).colleagues,
        ),
    ] {
        links.push(NavLink {
            href: format!("/portal/{employer_id}{path}"),
            label,
            current: key == current,
        });
    }
    links.push(profile);
    links
}

/// What a page says back after a form: its status, the value to show again, the
/// problems (every one) or a notice.
struct Feedback {
    status: StatusCode,
    value: String,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

impl Feedback {
    fn ok(notice: Option<&'static str>) -> Feedback {
        Feedback {
            status: StatusCode::OK,
            value: String::new(),
            errors: Vec::new(),
            notice,
        }
    }
    fn refused(status: StatusCode, value: String, errors: Vec<String>) -> Feedback {
        Feedback {
            status,
            value,
            errors,
            notice: None,
        }
    }
}

/// `?done=…`: what the form before the redirect did.
#[derive(Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

/// A stored moment as the pages show it: the Algiers time it was (never UTC).
fn when(timestamp: &str) -> String {
    crate::locale::page_moment(timestamp)
}

// ---------------------------------------------------------------------------------------
// Declaration input, read the same way by the CSV upload and the online form (the rules
// the lines read are then checked by are `mandates::declaration`'s).

/// `text` as a period this employer declares, or why not (in `lang`).
fn check_period(employer: &Employer, text: &str, lang: Lang) -> Result<Period, String> {
    let d = lang.declarations();
    let period = Period::parse(text).map_err(|_| d.bad_period.replace("{text}", text.trim()))?;
    check_period_kind(employer.period_kind, period).map_err(|_| {
        if employer.period_kind == mandates::PeriodKind::Quarterly {
            d.quarterly_only
        } else {
            d.monthly_only
        }
        .to_owned()
    })
}

/// How many ended periods back the period picker offers: a year of months or of quarters.
const PICKER_YEARS: i32 = 1;

/// One choice of the period picker: the period's code (the value posted) and its name in
/// the page's language.
struct PeriodChoice {
    value: String,
    label: String,
    selected: bool,
}

/// The periods open to declaration, newest first: the employer's periods that have ended
/// in the last year, less those whose declaration is planned into a debit (locked). The
/// `current` period (as typed or linked to) is kept in the list, selected, even when it is
/// not open, so the page shows what it is about; the store's checks stay the ones that
/// decide.
async fn period_choices(
    state: &WebState,
    viewer: &Viewer,
    employer: &Employer,
    current: Option<Period>,
) -> Result<Vec<PeriodChoice>, PageError> {
    let store = state.store();
    let today = store.clock().today();
    let per_year = match employer.period_kind {
        mandates::PeriodKind::Monthly => 12,
        mandates::PeriodKind::Quarterly => 4,
    };
    let mut open = Vec::new();
    let mut period = Period::containing(employer.period_kind, today);
    for _ in 0..per_year * PICKER_YEARS {
        period = period.previous();
        let declared = store
            .declaration_for_period(employer.id, &period.to_string())
            .await
            .map_err(|e| viewer.fail(e))?;
        let locked = match declared {
            Some(declaration) => store
                .declaration_locked_by(declaration.id)
                .await
                .map_err(|e| viewer.fail(e))?
                .is_some(),
            None => false,
        };
        if !locked {
            open.push(period);
        }
    }
    if let Some(current) = current
        && !open.contains(&current)
    {
        open.push(current);
        open.sort_by(|a, b| b.cmp(a));
    }
    let selected = current.or_else(|| open.first().copied());
    let d = viewer.lang.declarations();
    Ok(open
        .into_iter()
        .map(|p| PeriodChoice {
            value: p.to_string(),
            label: d.period_name(p),
            selected: Some(p) == selected,
        })
        .collect())
}

/// How the store took a declaration sent from the CSV upload or the form.
enum Submission {
    /// Recorded; `true` when it corrected (replaced) the period's earlier declaration.
    Recorded(bool),
    /// Past the cut-off: why it can no longer be corrected, in the viewer's language.
    Locked(String),
    /// Refused as a whole, the reason in the viewer's language.
    Refused(String),
    /// Lines to correct, numbered as the declaration sent them (the rules' problems the
    /// page could not see before: no rate in force for the period…).
    Lines(Vec<LineProblem>),
}

/// Submits or corrects `new` as the signed-in user, and says how the store took it.
async fn submit_declaration(
    state: &WebState,
    viewer: &Viewer,
    session: &Session,
    employer_id: i64,
    new: NewDeclaration,
) -> Result<Submission, PageError> {
    let actor = Actor::new(format!("user:{}", session.user.id));
    let period = new.period;
    // A period already declared is corrected (replaced) while none of it is planned.
    match state
        .store()
        .submit_or_correct_declaration(&actor, employer_id, new)
        .await
    {
        Ok((_, corrected)) => Ok(Submission::Recorded(corrected)),
        Err(StoreError::Conflict(message)) => {
            let message = conflict_message(state, employer_id, &period, viewer.lang)
                .await
                .unwrap_or_else(|| format!("{} ({message})", refusals::generic_lead(viewer.lang)));
            Ok(Submission::Locked(message))
        }
        Err(StoreError::InvalidLines(problems)) => Ok(Submission::Lines(problems)),
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => Ok(Submission::Refused(message)),
            None => Err(viewer.fail(err)),
        },
    }
}

/// Why the employer's declaration of `period` can no longer be corrected (in `lang`), if
/// it is locked: the date of the debit it was planned into.
async fn conflict_message(
    state: &WebState,
    employer_id: i64,
    period: &Period,
    lang: Lang,
) -> Option<String> {
    let store = state.store();
    let declaration = store
        .declaration_for_period(employer_id, &period.to_string())
        .await
        .ok()??;
    let date = store.declaration_locked_by(declaration.id).await.ok()??;
    Some(locked_text(lang, period, &date))
}

fn locked_text(lang: Lang, period: &Period, date: &str) -> String {
    lang.declarations()
        .correction_refused
        .replace("{period}", &period.to_string())
        .replace("{date}", &crate::locale::written_day_of(date))
}

/// What an empty headcount or wage bill is when read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Blank {
    /// Nothing given: "to fill in" (the form's fields).
    Empty,
    /// Text like any other, which is no number (a CSV file's cells).
    Text,
}

/// Reads a line's figures as typed — headcount, wage bill, bad-weather base (empty: 0) —
/// into `input`, amounts with a decimal comma or point (`decimal` is the mark of the
/// example shown when one cannot be read); each problem goes to `problems` with its line
/// and field.
fn read_figures(
    input: &mut LineInput,
    [headcount, wage_bill, bad_weather_base]: [&str; 3],
    decimal: char,
    blank: Blank,
    problems: &mut Vec<LineProblem>,
) {
    let line = input.line;
    let mut problem = |field, kind| problems.push(LineProblem::new(line, Some(field), kind));
    let missing = |text: &str| blank == Blank::Empty && text.is_empty();
    input.headcount = if missing(headcount) {
        Err(ProblemKind::Empty)
    } else {
        parse_headcount(headcount)
    }
    .map_err(|kind| problem("headcount", kind))
    .ok();
    input.wage_bill = if missing(wage_bill) {
        Err(ProblemKind::Empty)
    } else {
        parse_amount(wage_bill, decimal)
    }
    .map_err(|kind| problem("wage_bill", kind))
    .ok();
    input.bad_weather_base = match bad_weather_base {
        "" => Ok(Amount::ZERO),
        text => parse_amount(text, decimal),
    }
    .map_err(|kind| problem("bad_weather_base", kind))
    .ok();
}

/// A headcount as typed: a whole number (the rules want it 0 or more).
fn parse_headcount(text: &str) -> Result<i64, ProblemKind> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| ProblemKind::NotWholeNumber(text.trim().to_owned()))
}

/// An amount in dinars as typed: spaces (thousands) ignored, a decimal comma or point
/// ("1 234,50", "1234.50"), at most two decimals; read exactly into centimes (the rules
/// want it not negative). `decimal` is the mark of the example shown when it cannot be
/// read.
pub(super) fn parse_amount(text: &str, decimal: char) -> Result<Amount, ProblemKind> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    Amount::parse(&cleaned).map_err(|_| ProblemKind::NotAmount {
        text: text.trim().to_owned(),
        decimal,
    })
}
