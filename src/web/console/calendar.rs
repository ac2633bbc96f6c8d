//! The calendar: the holidays of a year, and the changes staff make to it (add, confirm a
//! lunar date, shift, remove) — each re-plans the debits it touches and the page says what
//! moved — with the history of changes.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use mandates::HolidayKind;
use serde::Deserialize;

use super::{PageQuery, actor, actor_words, form_date, nav};
use crate::locale::{Word, page_moment};
use crate::store::{CalendarAction, CalendarChange, CalendarHistoryEntry, CalendarOutcome};
use crate::web::WebState;
use crate::web::i18n::{ConsoleTexts, PageTexts, ScreenTexts, refusals};
use crate::web::session::{Chrome, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/calendar", get(calendar))
        .route("/console/calendar/add", post(calendar_add))
        .route("/console/calendar/confirm", post(calendar_confirm))
        .route("/console/calendar/shift", post(calendar_shift))
        .route(
            "/console/calendar/remove",
            get(remove_page).post(calendar_remove),
        )
}

struct HolidayRow {
    index: usize,
    date: String,
    name: String,
    /// The name as a part of the removal page's address.
    name_query: String,
    kind: &'static str,
    provisional: bool,
}

struct MovedRow {
    moved: u64,
    from: String,
    to: String,
    released: u64,
}

struct ChangeRow {
    at: String,
    actor: String,
    action: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "web/console/calendar.html")]
struct CalendarPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    year: i32,
    years: Vec<i32>,
    holidays: Vec<HolidayRow>,
    /// After a change: what moved (empty: nothing did).
    changed: Option<Vec<MovedRow>>,
    error: Option<String>,
    history: Vec<ChangeRow>,
    /// The add form's values, kept after an error.
    add_date: String,
    add_name: String,
    /// The add form's kinds of holiday: (form value, words).
    kinds: Vec<(&'static str, &'static str)>,
}

/// The kinds of holiday the add form offers, by their form value.
const HOLIDAY_KINDS: [(&str, HolidayKind); 3] = [
    ("fixed", HolidayKind::Fixed),
    ("lunar_provisional", HolidayKind::Lunar { confirmed: false }),
    ("lunar_confirmed", HolidayKind::Lunar { confirmed: true }),
];

/// One history line in words: a holiday (date and name) or debits moved.
fn change_detail(k: &ConsoleTexts, entry: &CalendarHistoryEntry) -> String {
    let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap_or_default();
    let text = |key: &str| {
        detail
            .get(key)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .unwrap_or_default()
    };
    match entry.action {
        CalendarAction::CollectionsRescheduled => {
            let mut line = format!(
                "{} {} {} {} {}",
                text("moved"),
                k.moved_from,
                text("from"),
                k.moved_to,
                text("to")
            );
            if text("released") != "0" {
                line.push_str(&format!(" — {} {}", text("released"), k.released));
            }
            line
        }
        CalendarAction::HolidayShifted => {
            format!("{} : {} → {}", text("name"), text("from"), text("to"))
        }
        CalendarAction::HolidayAdded
        | CalendarAction::HolidayConfirmed
        | CalendarAction::HolidayRemoved => format!("{} : {}", text("name"), text("date")),
        CalendarAction::YearsLoaded => {
            let years: Vec<i64> = detail
                .get("years")
                .and_then(|v| v.as_array())
                .map(|years| years.iter().filter_map(serde_json::Value::as_i64).collect())
                .unwrap_or_default();
            let span = match (years.first(), years.last()) {
                (Some(first), Some(last)) if first != last => format!("{first}–{last}"),
                (Some(first), _) => first.to_string(),
                _ => String::new(),
            };
            format!(
                "{span} : {} {}, {} {}",
                text("lunar"),
                k.loaded_lunar,
                text("fixed"),
                k.loaded_fixed
            )
        }
    }
}

async fn render_calendar(
    state: &WebState,
    viewer: &Viewer,
    year: Option<i32>,
    status: StatusCode,
    changed: Option<Vec<MovedRow>>,
    error: Option<String>,
    add: (String, String),
) -> PageResult {
    let k = viewer.lang.console();
    let store = state.store();
    let calendar = store.calendar().await.map_err(|e| viewer.fail(e))?;
    let year = year.unwrap_or_else(|| store.clock().today().year());
    let mut years: Vec<i32> = calendar.holidays().iter().map(|h| h.date.year()).collect();
    years.push(year);
    years.sort_unstable();
    years.dedup();
    let holidays = calendar
        .holidays()
        .iter()
        .filter(|h| h.date.year() == year)
        .enumerate()
        .map(|(index, h)| HolidayRow {
            index,
            date: h.date.to_string(),
            name: h.name.clone(),
            name_query: super::query_part(&h.name),
            kind: h.kind.word(viewer.lang),
            provisional: h.kind == HolidayKind::Lunar { confirmed: false },
        })
        .collect();
    let entries = store
        .calendar_history(30)
        .await
        .map_err(|e| viewer.fail(e))?;
    let codes = entries.iter().map(|e| e.actor.clone()).collect();
    let actors = actor_words(store, codes, viewer.lang).await;
    let history = entries
        .into_iter()
        .map(|entry| ChangeRow {
            detail: change_detail(k, &entry),
            action: entry.action.word(viewer.lang).to_owned(),
            at: page_moment(&entry.at),
            actor: actors.get(&entry.actor).cloned().unwrap_or_default(),
        })
        .collect();
    let page = CalendarPage {
        c: viewer.chrome(nav(viewer, "calendar")),
        k,
        year,
        years,
        holidays,
        changed,
        error,
        history,
        add_date: add.0,
        add_name: add.1,
        kinds: HOLIDAY_KINDS
            .iter()
            .map(|(value, kind)| (*value, kind.word(viewer.lang)))
            .collect(),
    };
    viewer.page(status, &page)
}

/// After a change (post/redirect/get), what moved: `changed=none`, or
/// `changed=5_2026-12-15_2026-12-16_0.…` (moved, from, to, released per date).
#[derive(Deserialize)]
struct ChangedQuery {
    #[serde(default)]
    changed: Option<String>,
}

/// What moved, written into the address the change redirects to.
fn changed_param(outcome: &CalendarOutcome) -> String {
    if outcome.moved.is_empty() {
        return "none".to_owned();
    }
    outcome
        .moved
        .iter()
        .map(|m| format!("{}_{}_{}_{}", m.moved, m.from, m.to, m.released))
        .collect::<Vec<_>>()
        .join(".")
}

/// [`changed_param`] read back; anything malformed shows nothing.
fn parse_changed(param: &str) -> Option<Vec<MovedRow>> {
    if param == "none" {
        return Some(Vec::new());
    }
    param
        .split('.')
        .map(|row| {
            let mut parts = row.split('_');
            let moved = parts.next()?.parse().ok()?;
            let from = form_date(parts.next()?)?.to_string();
            let to = form_date(parts.next()?)?.to_string();
            let released = parts.next()?.parse().ok()?;
            parts.next().is_none().then_some(MovedRow {
                moved,
                from,
                to,
                released,
            })
        })
        .collect()
}

async fn calendar(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
    Query(changed): Query<ChangedQuery>,
) -> PageResult {
    viewer.staff()?;
    let year = query.year.filter(|y| (2000..=2100).contains(y));
    render_calendar(
        &state,
        &viewer,
        year,
        StatusCode::OK,
        changed.changed.as_deref().and_then(parse_changed),
        None,
        Default::default(),
    )
    .await
}

#[derive(Template)]
#[template(path = "web/console/calendar_remove.html")]
struct RemovePage {
    c: Chrome,
    k: &'static ConsoleTexts,
    s: &'static ScreenTexts,
    date: String,
    year: i32,
    name: String,
    kind: &'static str,
}

#[derive(Deserialize)]
struct RemoveQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    name: String,
}

/// Removing a holiday asks first, on a page of its own: the holiday, what removing it
/// does, a destructive button and a way back. A holiday not in the calendar goes back
/// to the calendar.
async fn remove_page(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<RemoveQuery>,
) -> PageResult {
    viewer.staff()?;
    let calendar = state.store().calendar().await.map_err(|e| viewer.fail(e))?;
    let date = form_date(&query.date);
    let Some(holiday) = calendar
        .holidays()
        .iter()
        .find(|h| Some(h.date) == date && h.name == query.name)
    else {
        return Ok(see_other("/console/calendar"));
    };
    let page = RemovePage {
        c: viewer.chrome(nav(&viewer, "calendar")),
        k: viewer.lang.console(),
        s: ScreenTexts::of(viewer.lang),
        date: holiday.date.to_string(),
        year: holiday.date.year(),
        name: holiday.name.clone(),
        kind: holiday.kind.word(viewer.lang),
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct HolidayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

/// Checks a calendar form, applies the change and shows the calendar with what moved.
async fn change_calendar(
    state: &WebState,
    viewer: &Viewer,
    form: HolidayForm,
    change: impl FnOnce(NaiveDate, Option<NaiveDate>, String) -> CalendarChange,
    needs_to: bool,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let k = viewer.lang.console();
    let kept = (
        form.date.chars().take(10).collect::<String>(),
        form.name.chars().take(100).collect::<String>(),
    );
    let name = form.name.trim().to_owned();
    let date = form_date(&form.date);
    let to = form_date(&form.to);
    let problem = if date.is_none() || (needs_to && to.is_none()) {
        Some(k.bad_date)
    } else if name.is_empty() || name.chars().count() > 100 {
        Some(k.name_required)
    } else {
        None
    };
    let (Some(date), None) = (date, problem) else {
        return render_calendar(
            state,
            viewer,
            date.map(|d| d.year()),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            problem.map(str::to_owned),
            kept,
        )
        .await;
    };
    let change = change(date, to, name);
    let shown_year = to.unwrap_or(date).year();
    match state
        .store()
        .change_calendar(&actor(session), &change)
        .await
    {
        Ok(outcome) => Ok(see_other(&format!(
            "/console/calendar?year={shown_year}&changed={}",
            changed_param(&outcome)
        ))),
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => {
                render_calendar(
                    state,
                    viewer,
                    Some(date.year()),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    Some(message),
                    kept,
                )
                .await
            }
            None => Err(viewer.fail(err)),
        },
    }
}

async fn calendar_add(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<HolidayForm>,
) -> PageResult {
    let kind = HOLIDAY_KINDS
        .iter()
        .find(|(value, _)| *value == form.kind)
        .map_or(HolidayKind::Fixed, |(_, kind)| *kind);
    let (lunar, confirmed) = match kind {
        HolidayKind::Fixed => (false, true),
        HolidayKind::Lunar { confirmed } => (true, confirmed),
    };
    change_calendar(
        &state,
        &viewer,
        form,
        |date, _, name| CalendarChange::Add {
            date,
            name,
            lunar,
            confirmed,
        },
        false,
    )
    .await
}

async fn calendar_confirm(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<HolidayForm>,
) -> PageResult {
    change_calendar(
        &state,
        &viewer,
        form,
        |date, _, name| CalendarChange::Confirm { date, name },
        false,
    )
    .await
}

async fn calendar_shift(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<HolidayForm>,
) -> PageResult {
    change_calendar(
        &state,
        &viewer,
        form,
        |from, to, name| CalendarChange::Shift {
            name,
            from,
            to: to.unwrap_or(from),
        },
        true,
    )
    .await
}

async fn calendar_remove(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<HolidayForm>,
) -> PageResult {
    change_calendar(
        &state,
        &viewer,
        form,
        |date, _, name| CalendarChange::Remove { date, name },
        false,
    )
    .await
}
