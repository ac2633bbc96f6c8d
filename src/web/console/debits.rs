//! The debit page (`/console/debits/{id}`): one debit's state, where it went, its attempts,
//! and a form per action its state allows (hold, release, cancel, re-present), each with
//! its required reason, audited as the staff member. The exceptions page posts the same
//! forms (`from=exceptions` brings it back there). Below them, the debit's timeline:
//! planned, each advance notice, the file it went out in, what the banks' reports said,
//! settled or failed, the notices sent, and every staff action with who made it, at
//! Algiers time.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use mandates::{CollectionStatus, DebitAction};
use serde::Deserialize;

use super::{ActionButton, actor, buttons, nav};
use crate::locale::words::cancel_reason_word;
use crate::locale::{Lang, Word, page_time, stored_algiers_time};
use crate::store::{StoreError, TimelineEntry, TimelineEvent, Who};
use crate::web::WebState;
use crate::web::i18n::{DebitListTexts, DebitTexts, employer_name, money, refusals};
use crate::web::session::{Chrome, PageResult, Refusal, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/debits/{id}", get(debit))
        .route("/console/debits/{id}/receipt.pdf", get(receipt_pdf))
        .route("/console/debits/{id}/{action}", post(act))
}

#[derive(Template)]
#[template(path = "web/console/debit.html")]
struct DebitPage {
    c: Chrome,
    d: &'static DebitTexts,
    id: i64,
    employer_id: i64,
    /// The employer's affiliation number and name, as staff look for it.
    employer: String,
    date: String,
    amount: String,
    status: crate::web::display::DebitBadge,
    held: bool,
    attempt: i64,
    bank_file: Option<String>,
    retry_of: Option<i64>,
    next_attempt: Option<i64>,
    /// A settled debit's receipt as a PDF.
    receipt_pdf: Option<String>,
    buttons: Vec<ActionButton>,
    notice: Option<String>,
    error: Option<String>,
    l: &'static DebitListTexts,
    timeline: Vec<Moment>,
}

/// One line of the timeline as the page shows it.
struct Moment {
    /// Algiers time, `16/12/2026 10:30`.
    when: String,
    what: String,
    detail: String,
    /// A link beside the detail (the file's download), with its text.
    link: Option<(String, String)>,
    by: String,
}

/// A stored UTC timestamp as the pages write a moment (Algiers time).
fn algiers(at: &str) -> String {
    stored_algiers_time(at).map_or_else(|| at.to_owned(), page_time)
}

fn moments(entries: Vec<TimelineEntry>, lang: Lang) -> Vec<Moment> {
    let l = DebitListTexts::of(lang);
    let sent = |status: crate::store::NoticeStatus, sent_at: Option<String>| match sent_at {
        Some(at) => format!("{} — {} {}", status.word(lang), l.sent_at, algiers(&at)),
        None => status.word(lang).to_owned(),
    };
    entries
        .into_iter()
        .map(|entry| {
            let when = algiers(&entry.at);
            let service = l.service.to_owned();
            let (what, detail, link, by) = match entry.event {
                TimelineEvent::Changed {
                    change,
                    who,
                    reason,
                } => (
                    change.map_or(l.other_change, |c| c.word(lang)).to_owned(),
                    reason
                        .map(|r| cancel_reason_word(&r, lang).map_or(r, str::to_owned))
                        .unwrap_or_default(),
                    None,
                    match who {
                        Who::Person(name) => name,
                        Who::Service => service,
                    },
                ),
                TimelineEvent::Announced {
                    version,
                    status,
                    sent_at,
                } => (
                    version.map_or_else(|| l.announced_moved.to_owned(), |v| l.announced(v)),
                    sent(status, sent_at),
                    None,
                    service,
                ),
                TimelineEvent::Notice {
                    kind,
                    status,
                    sent_at,
                } => (
                    kind.word(lang).to_owned(),
                    sent(status, sent_at),
                    None,
                    service,
                ),
                TimelineEvent::InFile {
                    file_id,
                    file_name,
                    sequence,
                    ..
                } => (
                    l.in_file(sequence),
                    String::new(),
                    Some((format!("/console/files/{file_id}/download"), file_name)),
                    service,
                ),
                TimelineEvent::Reported {
                    report_file,
                    effect,
                    reason_code,
                    reason_category,
                    outcome,
                    ..
                } => {
                    let mut detail = effect.word(lang).to_owned();
                    if let Some(category) = reason_category {
                        detail.push_str(" — ");
                        detail.push_str(category.word(lang));
                    }
                    if let Some(code) = reason_code {
                        detail.push_str(&format!(" ({code})"));
                    }
                    if let Some(outcome) = outcome {
                        detail.push_str(", ");
                        detail.push_str(outcome.word(lang));
                    }
                    (l.reported(&report_file), detail, None, service)
                }
            };
            Moment {
                when,
                what,
                detail,
                link,
                by,
            }
        })
        .collect()
}

/// `?done=ACTION` after an action (`&missed=1` when a release came too late).
#[derive(Deserialize)]
struct DebitQuery {
    done: Option<String>,
    missed: Option<String>,
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    status: StatusCode,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    let debit = match state.store().debit(id).await {
        Ok(debit) => debit,
        Err(StoreError::NotFound { .. }) => return Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => return Err(viewer.fail(err)),
    };
    let timeline = state
        .store()
        .debit_timeline(id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let employer = state
        .store()
        .employer(debit.employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let page = DebitPage {
        l: DebitListTexts::of(viewer.lang),
        timeline: moments(timeline, viewer.lang),
        c: viewer.chrome(nav(viewer, "debits")),
        d: DebitTexts::of(viewer.lang),
        id: debit.id,
        employer_id: debit.employer_id,
        employer: format!(
            "{} — {}",
            employer.affiliation_number,
            employer_name(&employer, viewer.lang)
        ),
        date: debit.collection_date.clone(),
        amount: money(debit.amount, viewer.lang),
        status: crate::web::display::DebitBadge::staff(debit.status, viewer.lang),
        held: debit.held,
        attempt: debit.attempt,
        bank_file: debit.bank_file.clone(),
        retry_of: debit.retry_of,
        next_attempt: debit.next_attempt,
        receipt_pdf: (debit.status == CollectionStatus::Settled)
            .then(|| format!("/console/debits/{}/receipt.pdf", debit.id)),
        buttons: buttons(&debit, viewer, true),
        notice,
        error,
    };
    viewer.page(status, &page)
}

async fn debit(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(query): Query<DebitQuery>,
) -> PageResult {
    viewer.staff()?;
    let d = DebitTexts::of(viewer.lang);
    let notice = query
        .done
        .and_then(|code| DebitAction::parse(&code).ok())
        .map(|action| {
            if query.missed.is_some() {
                d.missed_its_date.to_owned()
            } else {
                d.done(action.word(viewer.lang))
            }
        });
    render(&state, &viewer, StatusCode::OK, id, notice, None).await
}

/// A settled debit's receipt as a PDF, for staff (any employer's).
async fn receipt_pdf(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    viewer.staff()?;
    let debit = state.store().debit(id).await.map_err(|e| viewer.fail(e))?;
    crate::web::pdf::receipt_download(&state, &viewer, debit.employer_id, id).await
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    /// `exceptions` to come back to the exceptions page.
    #[serde(default)]
    from: String,
}

async fn act(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<ActionForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let Ok(action) = DebitAction::parse(&action) else {
        return Err(viewer.refuse(Refusal::NotFound));
    };
    let policy = state.channel_policy();
    match state
        .store()
        .act_on_debit(&actor(session), id, action, &form.reason, &policy)
        .await
    {
        Ok(_) if form.from == "exceptions" => Ok(see_other("/console/exceptions")),
        Ok(outcome) => Ok(see_other(&format!(
            "/console/debits/{id}?done={}{}",
            action.as_str(),
            if outcome.missed_its_date {
                "&missed=1"
            } else {
                ""
            }
        ))),
        Err(StoreError::NotFound { .. }) => Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => {
                let status = if matches!(err, StoreError::Conflict(_)) {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                render(&state, &viewer, status, id, None, Some(message)).await
            }
            None => Err(viewer.fail(err)),
        },
    }
}
