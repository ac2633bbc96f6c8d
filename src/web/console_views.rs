//! More of the finance console (staff only, like [`super::console`]): the dashboard's next
//! runs and charts (server-rendered SVG, no script), runs with their files, imported
//! reports, employers (search and a full view), the calendar (changes re-plan debits and
//! say what moved), dated contribution rates (administrators add them) and user
//! management (administrators only).

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use mandates::{Amount, Rate, Scheme};
use serde::Deserialize;

use super::WebState;
use super::console::{FileRow, file_rows, nav};
use super::i18n::{ConsoleTexts, Lang, money};
use super::portal::employer_name;
use super::session::{Chrome, PageError, PageResult, Refusal, Viewer, see_other};
use crate::store::{
    Actor, AuditEntry, CalendarChange, CalendarOutcome, NewRate, NewUser, Role, Session, StoreError,
};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/runs", get(runs))
        .route("/console/runs/{id}", get(run))
        .route("/console/reports", get(reports))
        .route("/console/employers", get(employers))
        .route("/console/employers/{id}", get(employer))
        .route("/console/calendar", get(calendar))
        .route("/console/calendar/add", post(calendar_add))
        .route("/console/calendar/confirm", post(calendar_confirm))
        .route("/console/calendar/shift", post(calendar_shift))
        .route("/console/calendar/remove", post(calendar_remove))
        .route("/console/rates", get(rates).post(add_rate))
        .route("/console/users", get(users).post(create_user))
        .route("/console/users/{id}/disable", post(disable_user))
        .route("/console/users/{id}/enable", post(enable_user))
}

/// This module's screens in the console navigation: (key, path, label).
pub(super) fn nav_entries(viewer: &Viewer) -> Vec<(&'static str, &'static str, &'static str)> {
    let k = viewer.lang.console();
    let mut entries = vec![
        ("runs", "/console/runs", k.nav_runs),
        ("reports", "/console/reports", k.nav_reports),
        ("employers", "/console/employers", k.nav_employers),
        ("calendar", "/console/calendar", k.nav_calendar),
        ("rates", "/console/rates", k.nav_rates),
    ];
    if is_admin(viewer) {
        entries.push(("users", "/console/users", k.nav_users));
    }
    entries
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

fn actor(session: &Session) -> Actor {
    Actor::new(format!("user:{}", session.user.id))
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

/// A share in thousandths as a percentage with one decimal ("95,2 %"), exactly rounded
/// half up from the two counts.
fn percent(part: i64, whole: i64) -> (i64, String) {
    if whole <= 0 {
        return (0, "—".to_owned());
    }
    let permille = (part * 2000 + whole) / (2 * whole);
    (
        permille,
        format!("{},{}\u{a0}%", permille / 10, permille % 10),
    )
}

// ---------------------------------------------------------------------------------------
// Dashboard: next runs and the two charts.

/// Dates shown in the charts.
const CHART_DATES: i64 = 12;
/// Collection dates listed under "next runs".
const NEXT_RUN_DATES: i64 = 6;

/// One bar (or stacked segment) of a chart, in SVG user units.
pub(super) struct Bar {
    pub(super) x: i64,
    pub(super) y: i64,
    pub(super) w: i64,
    pub(super) h: i64,
    pub(super) fill: &'static str,
    pub(super) title: String,
}

/// A text drawn in a chart.
pub(super) struct Label {
    pub(super) x: i64,
    pub(super) y: i64,
    pub(super) text: String,
}

/// A horizontal grid line with its value.
pub(super) struct Tick {
    pub(super) y: i64,
    pub(super) label: String,
}

/// A bar chart drawn on the server: geometry only, the template writes the SVG.
pub(super) struct Chart {
    pub(super) width: i64,
    pub(super) height: i64,
    pub(super) plot_x1: i64,
    pub(super) plot_x2: i64,
    pub(super) tick_x: i64,
    pub(super) tick_anchor: &'static str,
    pub(super) ticks: Vec<Tick>,
    pub(super) bars: Vec<Bar>,
    pub(super) values: Vec<Label>,
    pub(super) dates: Vec<Label>,
}

const WIDTH: i64 = 640;
const HEIGHT: i64 = 250;
const TOP: i64 = 22;
const BASELINE: i64 = 214;
const AXIS: i64 = 56;
const PAD: i64 = 12;

/// Where things go: right to left mirrors the time axis (oldest on the right) and puts
/// the value axis on the right.
struct Frame {
    rtl: bool,
    slots: i64,
}

impl Frame {
    fn plot(&self) -> (i64, i64) {
        if self.rtl {
            (PAD, WIDTH - AXIS)
        } else {
            (AXIS, WIDTH - PAD)
        }
    }
    /// The centre and bar width of slot `index` (0 = oldest).
    fn slot(&self, index: i64) -> (i64, i64) {
        let (x1, x2) = self.plot();
        let slot = (x2 - x1) / self.slots.max(1);
        let position = if self.rtl {
            self.slots - 1 - index
        } else {
            index
        };
        (x1 + slot * position + slot / 2, (slot * 3 / 5).clamp(2, 48))
    }
    fn y(value: i64, max: i64) -> i64 {
        BASELINE - value * (BASELINE - TOP) / max.max(1)
    }
    fn chart(&self, ticks: Vec<Tick>, dates: &[String]) -> Chart {
        let (plot_x1, plot_x2) = self.plot();
        let (tick_x, tick_anchor) = if self.rtl {
            (plot_x2 + 6, "start")
        } else {
            (plot_x1 - 6, "end")
        };
        let dates = dates
            .iter()
            .enumerate()
            .map(|(i, date)| Label {
                x: self.slot(i as i64).0,
                y: BASELINE + 18,
                // Month and day under the bar; the full date is in the titles and table.
                text: date.get(5..).unwrap_or(date).to_owned(),
            })
            .collect();
        Chart {
            width: WIDTH,
            height: HEIGHT,
            plot_x1,
            plot_x2,
            tick_x,
            tick_anchor,
            ticks,
            bars: Vec::new(),
            values: Vec::new(),
            dates,
        }
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at least `at_least`.
fn nice_step(at_least: i64) -> i64 {
    let mut power = 1;
    loop {
        for factor in [1, 2, 5] {
            if factor * power >= at_least {
                return factor * power;
            }
        }
        power *= 10;
    }
}

/// The colour of each internal reason, in the taxonomy's order.
const REASON_COLOURS: [(&str, &str); 10] = [
    ("insufficient_funds", "#e69f00"),
    ("account_closed", "#d55e00"),
    ("account_blocked", "#cc79a7"),
    ("no_or_invalid_mandate", "#0072b2"),
    ("debtor_refused", "#56b4e9"),
    ("amount_or_limit", "#009e73"),
    ("duplicate", "#f0e442"),
    ("technical_or_format", "#555555"),
    ("regulatory", "#8c564b"),
    ("other", "#999999"),
];

pub(super) struct NextRunRow {
    pub(super) date: String,
    pub(super) channel: String,
    pub(super) count: i64,
    pub(super) amount: String,
}

pub(super) struct OutcomeRow {
    pub(super) date: String,
    pub(super) presented: i64,
    pub(super) settled: i64,
    pub(super) failed: i64,
    pub(super) rate: String,
    pub(super) presented_amount: String,
    pub(super) settled_amount: String,
}

pub(super) struct LegendItem {
    pub(super) colour: &'static str,
    pub(super) label: &'static str,
}

pub(super) struct FailureRow {
    pub(super) date: String,
    pub(super) counts: Vec<i64>,
    pub(super) total: i64,
}

/// What the dashboard shows besides the counts and files: next runs and the charts.
pub(super) struct DashboardExtras {
    pub(super) k: &'static ConsoleTexts,
    pub(super) next_runs: Vec<NextRunRow>,
    pub(super) rate_chart: Option<Chart>,
    pub(super) outcomes: Vec<OutcomeRow>,
    pub(super) failure_chart: Option<Chart>,
    pub(super) legend: Vec<LegendItem>,
    pub(super) failures: Vec<FailureRow>,
}

pub(super) async fn dashboard_extras(
    state: &WebState,
    viewer: &Viewer,
) -> Result<DashboardExtras, PageError> {
    let store = state.store();
    let lang = viewer.lang;
    let k = lang.console();
    let next_runs = store
        .next_runs(NEXT_RUN_DATES)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|r| NextRunRow {
            channel: k.code("channel", &r.channel).to_owned(),
            date: r.collection_date,
            count: r.count,
            amount: amount(r.amount_centimes, lang),
        })
        .collect();
    let outcomes = store
        .date_outcomes(CHART_DATES)
        .await
        .map_err(|e| viewer.fail(e))?;
    let dates: Vec<String> = outcomes.iter().map(|o| o.collection_date.clone()).collect();
    let frame = Frame {
        rtl: lang == Lang::Ar,
        slots: dates.len() as i64,
    };

    // Collection rate: settled / presented, in thousandths.
    let rate_chart = (!dates.is_empty()).then(|| {
        let ticks = (0..=4)
            .map(|i| Tick {
                y: Frame::y(i * 250, 1000),
                label: format!("{}\u{a0}%", i * 25),
            })
            .collect();
        let mut chart = frame.chart(ticks, &dates);
        for (i, o) in outcomes.iter().enumerate() {
            let (permille, text) = percent(o.settled, o.presented);
            let (centre, width) = frame.slot(i as i64);
            let top = Frame::y(permille, 1000);
            chart.bars.push(Bar {
                x: centre - width / 2,
                y: top,
                w: width,
                h: BASELINE - top,
                fill: "#0b5394",
                title: format!(
                    "{}: {} {} / {} {} ({text})",
                    o.collection_date, o.settled, k.settled, o.presented, k.presented
                ),
            });
            chart.values.push(Label {
                x: centre,
                y: top - 4,
                text,
            });
        }
        chart
    });
    let outcome_rows = outcomes
        .iter()
        .map(|o| OutcomeRow {
            date: o.collection_date.clone(),
            presented: o.presented,
            settled: o.settled,
            failed: o.failed,
            rate: percent(o.settled, o.presented).1,
            presented_amount: amount(o.presented_centimes, lang),
            settled_amount: amount(o.settled_centimes, lang),
        })
        .collect();

    // Failures by internal reason, stacked per date.
    let mut by_date: BTreeMap<String, BTreeMap<&'static str, i64>> = BTreeMap::new();
    if let Some(first) = dates.first() {
        for f in store
            .failures_by_reason(first)
            .await
            .map_err(|e| viewer.fail(e))?
        {
            // A category the taxonomy does not know (never expected) counts as "other".
            let category = REASON_COLOURS
                .iter()
                .find(|(code, _)| *code == f.category)
                .map_or("other", |(code, _)| code);
            *by_date
                .entry(f.collection_date)
                .or_default()
                .entry(category)
                .or_default() += f.count;
        }
    }
    let used: Vec<(&'static str, &'static str)> = REASON_COLOURS
        .iter()
        .copied()
        .filter(|(code, _)| by_date.values().any(|m| m.contains_key(code)))
        .collect();
    let failures: Vec<FailureRow> = dates
        .iter()
        .map(|date| {
            let mut counts = vec![0; used.len()];
            if let Some(m) = by_date.get(date) {
                for (i, (code, _)) in used.iter().enumerate() {
                    counts[i] = m.get(code).copied().unwrap_or(0);
                }
            }
            FailureRow {
                date: date.clone(),
                total: counts.iter().sum(),
                counts,
            }
        })
        .collect();
    let highest = failures.iter().map(|f| f.total).max().unwrap_or(0);
    let failure_chart = (highest > 0).then(|| {
        let step = nice_step((highest + 3) / 4);
        let top = step * ((highest + step - 1) / step);
        let ticks = (0..=top / step)
            .map(|i| Tick {
                y: Frame::y(i * step, top),
                label: (i * step).to_string(),
            })
            .collect();
        let mut chart = frame.chart(ticks, &dates);
        for (i, row) in failures.iter().enumerate() {
            let (centre, width) = frame.slot(i as i64);
            let mut below = 0;
            for (j, count) in row.counts.iter().enumerate() {
                if *count == 0 {
                    continue;
                }
                let (code, colour) = used[j];
                let y_low = Frame::y(below, top);
                let y_high = Frame::y(below + count, top);
                chart.bars.push(Bar {
                    x: centre - width / 2,
                    y: y_high,
                    w: width,
                    h: (y_low - y_high).max(1),
                    fill: colour,
                    title: format!("{} — {}: {count}", row.date, k.code("reason", code)),
                });
                below += count;
            }
            if row.total > 0 {
                chart.values.push(Label {
                    x: centre,
                    y: Frame::y(row.total, top) - 4,
                    text: row.total.to_string(),
                });
            }
        }
        chart
    });
    let legend = used
        .iter()
        .map(|(code, colour)| LegendItem {
            colour,
            label: k.code("reason", code),
        })
        .collect();
    Ok(DashboardExtras {
        k,
        next_runs,
        rate_chart,
        outcomes: outcome_rows,
        failure_chart,
        legend,
        failures: if highest > 0 { failures } else { Vec::new() },
    })
}

// ---------------------------------------------------------------------------------------
// Runs and their files.

struct RunRow {
    id: i64,
    date: String,
    state: String,
    started: String,
    /// (institution, files, transactions, amount) per institution.
    lines: Vec<(String, i64, i64, String)>,
}

#[derive(Template)]
#[template(path = "web/console_runs.html")]
struct RunsPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    runs: Vec<RunRow>,
}

async fn outcome_lines(
    state: &WebState,
    viewer: &Viewer,
    run_id: i64,
) -> Result<Vec<(String, i64, String)>, PageError> {
    let k = viewer.lang.console();
    Ok(state
        .store()
        .run_outcome(run_id)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|o| {
            (
                k.code("collection", &o.status).to_owned(),
                o.count,
                amount(o.amount_centimes, viewer.lang),
            )
        })
        .collect())
}

async fn runs(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    viewer.staff()?;
    let k = viewer.lang.console();
    let lines = state
        .store()
        .run_lines(100)
        .await
        .map_err(|e| viewer.fail(e))?;
    let mut rows: Vec<RunRow> = Vec::new();
    for line in lines {
        if rows.last().is_none_or(|r| r.id != line.run_id) {
            rows.push(RunRow {
                id: line.run_id,
                date: line.collection_date.clone(),
                state: k.code("run", &line.status).to_owned(),
                started: line.started_at.clone(),
                lines: Vec::new(),
            });
        }
        if let (Some(row), Some(institution)) = (rows.last_mut(), line.institution) {
            row.lines.push((
                k.code("institution", &institution).to_owned(),
                line.files,
                line.transactions,
                amount(line.amount_centimes, viewer.lang),
            ));
        }
    }
    let page = RunsPage {
        c: viewer.chrome(nav(&viewer, "runs")),
        k,
        runs: rows,
    };
    viewer.page(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "web/console_run.html")]
struct RunPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    date: String,
    state: String,
    files: Vec<FileRow>,
    outcome: Vec<(String, i64, String)>,
}

async fn run(State(state): State<WebState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    viewer.staff()?;
    let k = viewer.lang.console();
    let store = state.store();
    let (date, status) = store.run_header(id).await.map_err(|e| viewer.fail(e))?;
    let mut files = file_rows(
        &viewer,
        store
            .bank_files_of_run(id)
            .await
            .map_err(|e| viewer.fail(e))?,
    );
    for file in &mut files {
        file.institution = k.code("institution", &file.institution).to_owned();
    }
    let outcome = outcome_lines(&state, &viewer, id).await?;
    let page = RunPage {
        c: viewer.chrome(nav(&viewer, "runs")),
        k,
        date,
        state: k.code("run", &status).to_owned(),
        files,
        outcome,
    };
    viewer.page(StatusCode::OK, &page)
}

// ---------------------------------------------------------------------------------------
// Imported reports.

const PAGE: i64 = 50;

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

struct ReportRow {
    id: i64,
    name: String,
    institution: String,
    format: String,
    imported_at: String,
    imported_by: String,
    items: i64,
    matched: i64,
    unmatched: i64,
    exceptions: i64,
    open_exceptions: i64,
}

#[derive(Template)]
#[template(path = "web/console_reports.html")]
struct ReportsPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    rows: Vec<ReportRow>,
    next: Option<String>,
    paged: bool,
}

async fn reports(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> PageResult {
    viewer.staff()?;
    let k = viewer.lang.console();
    let mut found = state
        .store()
        .report_overviews(query.before.max(0), PAGE + 1)
        .await
        .map_err(|e| viewer.fail(e))?;
    let more = found.len() as i64 > PAGE;
    found.truncate(PAGE as usize);
    let next = more
        .then(|| {
            found
                .last()
                .map(|r| format!("/console/reports?before={}", r.id))
        })
        .flatten();
    let rows = found
        .into_iter()
        .map(|r| ReportRow {
            id: r.id,
            name: r.file_name,
            institution: r
                .institution
                .map(|i| k.code("institution", &i).to_owned())
                .unwrap_or_default(),
            format: r.format,
            imported_at: r.imported_at,
            imported_by: r.imported_by,
            items: r.items,
            matched: r.matched,
            unmatched: r.unmatched,
            exceptions: r.exceptions,
            open_exceptions: r.open_exceptions,
        })
        .collect();
    let page = ReportsPage {
        c: viewer.chrome(nav(&viewer, "reports")),
        k,
        rows,
        next,
        paged: query.before > 0,
    };
    viewer.page(StatusCode::OK, &page)
}

// ---------------------------------------------------------------------------------------
// Employers.

#[derive(Template)]
#[template(path = "web/console_employers.html")]
struct EmployersPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    q: String,
    /// (id, affiliation number, name, email, period kind)
    rows: Vec<(i64, String, String, String, String)>,
    next: Option<String>,
    first: Option<String>,
}

async fn employers(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> PageResult {
    viewer.staff()?;
    let k = viewer.lang.console();
    let q: String = query.q.trim().chars().take(100).collect();
    let mut found = state
        .store()
        .search_employers(&q, query.after.max(0), PAGE + 1)
        .await
        .map_err(|e| viewer.fail(e))?;
    let more = found.len() as i64 > PAGE;
    found.truncate(PAGE as usize);
    let next = more
        .then(|| {
            found
                .last()
                .map(|e| format!("/console/employers?q={}&after={}", query_part(&q), e.id))
        })
        .flatten();
    let rows = found
        .iter()
        .map(|e| {
            (
                e.id,
                e.affiliation_number.clone(),
                employer_name(e, viewer.lang),
                e.email.clone(),
                k.code("period", &e.period_kind).to_owned(),
            )
        })
        .collect();
    let page = EmployersPage {
        c: viewer.chrome(nav(&viewer, "employers")),
        k,
        first: (query.after > 0).then(|| format!("/console/employers?q={}", query_part(&q))),
        q,
        rows,
        next,
    };
    viewer.page(StatusCode::OK, &page)
}

struct MandateView {
    reference: String,
    status: String,
    account: String,
    bank: String,
    ceiling: String,
    signed_at: String,
    signer: String,
    ip: String,
    browser: String,
    consent: String,
    created: String,
}

struct DeclarationView {
    period: String,
    status: String,
    submitted_at: String,
    lines: usize,
    total: String,
}

struct CollectionRow {
    date: String,
    channel: String,
    amount: String,
    status: String,
    attempt: i64,
    reason: String,
    settled_on: String,
}

struct NoticeRow {
    kind: String,
    status: String,
    created: String,
    sent_at: String,
    subject: String,
}

struct AuditRow {
    at: String,
    actor: String,
    action: String,
    entity: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "web/console_employer.html")]
struct EmployerPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    affiliation: String,
    name: String,
    name_other: String,
    email: String,
    language: String,
    period_kind: String,
    created: String,
    /// (code, name, wilaya)
    worksites: Vec<(String, String, String)>,
    mandates: Vec<MandateView>,
    declarations: Vec<DeclarationView>,
    collections: Vec<CollectionRow>,
    notices: Vec<NoticeRow>,
    audit: Vec<AuditRow>,
}

async fn employer(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    viewer.staff()?;
    let lang = viewer.lang;
    let k = lang.console();
    let store = state.store();
    let fail = |e| viewer.fail(e);
    let employer = store.employer(id).await.map_err(fail)?;
    let worksites = store
        .list_worksites(id)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|w| (w.code, w.name, w.wilaya.unwrap_or_default()))
        .collect();
    let mandates = store
        .list_mandates(id)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|m| MandateView {
            reference: m.reference,
            status: k.code("mandate", &m.status).to_owned(),
            account: m.account_masked,
            bank: m.bank_name.unwrap_or(m.bank_code),
            ceiling: m.ceiling.map(|c| money(c, lang)).unwrap_or_default(),
            signed_at: m.signed_at.unwrap_or_default(),
            signer: m.signed_by.unwrap_or_default(),
            ip: m.signature_ip.unwrap_or_default(),
            browser: m.signature_user_agent.unwrap_or_default(),
            consent: match (m.consent_version, m.consent_text_sha256) {
                (Some(version), Some(sha)) => format!("{version}, {sha}"),
                _ => String::new(),
            },
            created: m.created_at,
        })
        .collect();
    let declarations = store
        .list_declarations(id)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|d| DeclarationView {
            status: k.code("declaration", &d.status).to_owned(),
            period: d.period,
            submitted_at: d.submitted_at.unwrap_or_default(),
            lines: d.lines.len(),
            total: money(d.total, lang),
        })
        .collect();
    let collections = store
        .employer_collections(id)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|c| CollectionRow {
            date: c.collection_date,
            channel: k.code("channel", &c.channel).to_owned(),
            amount: amount(c.amount_centimes, lang),
            status: k.code("collection", &c.status).to_owned(),
            attempt: c.attempt,
            reason: match (c.reason_category, c.reason_code) {
                (Some(category), Some(code)) => {
                    format!("{} ({code})", k.code("reason", &category))
                }
                (Some(category), None) => k.code("reason", &category).to_owned(),
                (None, Some(code)) => code,
                (None, None) => String::new(),
            },
            settled_on: c.settled_on.unwrap_or_default(),
        })
        .collect();
    let notices = store
        .notices_for_employer(id, 100)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|n| NoticeRow {
            kind: k.code("notice_kind", &n.kind).to_owned(),
            status: k.code("notice", &n.status).to_owned(),
            created: n.created_at,
            sent_at: n.sent_at.unwrap_or_default(),
            subject: n.subject.unwrap_or_default(),
        })
        .collect();
    let audit = store
        .employer_audit(id, 200)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|a: AuditEntry| AuditRow {
            at: a.at,
            actor: a.actor,
            action: a.action,
            entity: format!("{} {}", a.entity, a.entity_id),
            detail: a.detail,
        })
        .collect();
    let (name, name_other) = match lang {
        Lang::Ar => (
            employer_name(&employer, lang),
            if employer
                .name_ar
                .as_deref()
                .is_some_and(|n| !n.trim().is_empty())
            {
                employer.name.clone()
            } else {
                String::new()
            },
        ),
        Lang::Fr => (
            employer.name.clone(),
            employer.name_ar.clone().unwrap_or_default(),
        ),
    };
    let page = EmployerPage {
        c: viewer.chrome(nav(&viewer, "employers")),
        k,
        affiliation: employer.affiliation_number,
        name,
        name_other,
        email: employer.email,
        language: k.code("language", &employer.language).to_owned(),
        period_kind: k.code("period", &employer.period_kind).to_owned(),
        created: employer.created_at,
        worksites,
        mandates,
        declarations,
        collections,
        notices,
        audit,
    };
    viewer.page(StatusCode::OK, &page)
}

// ---------------------------------------------------------------------------------------
// Calendar.

struct HolidayRow {
    index: usize,
    date: String,
    name: String,
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
#[template(path = "web/console_calendar.html")]
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
}

/// One history line in words: a holiday (date and name) or debits moved.
fn change_detail(k: &ConsoleTexts, entry: &AuditEntry) -> String {
    let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap_or_default();
    let text = |key: &str| {
        detail
            .get(key)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .unwrap_or_default()
    };
    match entry.action.as_str() {
        "collections.rescheduled" => {
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
        "calendar.holiday_shifted" => {
            format!("{} : {} → {}", text("name"), text("from"), text("to"))
        }
        _ => format!("{} : {}", text("name"), text("date")),
    }
}

async fn render_calendar(
    state: &WebState,
    viewer: &Viewer,
    year: Option<i32>,
    status: StatusCode,
    changed: Option<CalendarOutcome>,
    error: Option<String>,
    add: (String, String),
) -> PageResult {
    let k = viewer.lang.console();
    let store = state.store();
    let calendar = store.calendar().await.map_err(|e| viewer.fail(e))?;
    let year = year.unwrap_or_else(|| super::algiers_today().year());
    let mut years: Vec<i32> = calendar.holidays().iter().map(|h| h.date.year()).collect();
    years.push(year);
    years.sort_unstable();
    years.dedup();
    let holidays = calendar
        .holidays()
        .iter()
        .filter(|h| h.date.year() == year)
        .enumerate()
        .map(|(index, h)| {
            let (kind, provisional) = match h.kind {
                mandates::HolidayKind::Fixed => ("fixed", false),
                mandates::HolidayKind::Lunar { confirmed: true } => ("lunar_confirmed", false),
                mandates::HolidayKind::Lunar { confirmed: false } => ("lunar_provisional", true),
            };
            HolidayRow {
                index,
                date: h.date.to_string(),
                name: h.name.clone(),
                kind: k.code("holiday", kind),
                provisional,
            }
        })
        .collect();
    let history = store
        .calendar_history(30)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|entry| ChangeRow {
            detail: change_detail(k, &entry),
            action: k.code("audit", &entry.action).to_owned(),
            at: entry.at,
            actor: entry.actor,
        })
        .collect();
    let page = CalendarPage {
        c: viewer.chrome(nav(viewer, "calendar")),
        k,
        year,
        years,
        holidays,
        changed: changed.map(|o| {
            o.moved
                .into_iter()
                .map(|m| MovedRow {
                    moved: m.moved,
                    from: m.from,
                    to: m.to,
                    released: m.released,
                })
                .collect()
        }),
        error,
        history,
        add_date: add.0,
        add_name: add.1,
    };
    viewer.page(status, &page)
}

async fn calendar(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> PageResult {
    viewer.staff()?;
    let year = query.year.filter(|y| (2000..=2100).contains(y));
    render_calendar(
        &state,
        &viewer,
        year,
        StatusCode::OK,
        None,
        None,
        Default::default(),
    )
    .await
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

fn form_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
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
        Ok(outcome) => {
            render_calendar(
                state,
                viewer,
                Some(shown_year),
                StatusCode::OK,
                Some(outcome),
                None,
                Default::default(),
            )
            .await
        }
        Err(err) => match super::i18n_refusals::refusal_message(viewer.lang, &err) {
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
    let (lunar, confirmed) = match form.kind.as_str() {
        "lunar_provisional" => (true, false),
        "lunar_confirmed" => (true, true),
        _ => (false, true),
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

// ---------------------------------------------------------------------------------------
// Contribution rates.

struct RateRow {
    scheme: &'static str,
    rate: String,
    valid_from: String,
    valid_to: String,
    source: String,
    in_force: bool,
}

#[derive(Template)]
#[template(path = "web/console_rates.html")]
struct RatesPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    rows: Vec<RateRow>,
    admin: bool,
    /// (code, label) of each scheme for the form.
    schemes: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    notice: Option<&'static str>,
    form: RateForm,
}

#[derive(Clone, Default, Deserialize)]
struct RateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    scheme: String,
    #[serde(default)]
    rate: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    source: String,
}

fn scheme_label(scheme: Scheme, lang: Lang) -> &'static str {
    match lang {
        Lang::Ar => scheme.label_ar(),
        Lang::Fr => scheme.label_fr(),
    }
}

/// A stored rate as people read it: "12,21".
fn rate_text(ppm: i64) -> String {
    Rate::from_ppm(u32::try_from(ppm).unwrap_or(0))
        .to_string()
        .replace('.', ",")
}

async fn render_rates(
    state: &WebState,
    viewer: &Viewer,
    status: StatusCode,
    error: Option<String>,
    notice: Option<&'static str>,
    form: RateForm,
) -> PageResult {
    let k = viewer.lang.console();
    let today = super::algiers_today().to_string();
    let rows = state
        .store()
        .contribution_rates()
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|r| RateRow {
            scheme: r
                .scheme
                .parse::<Scheme>()
                .map_or("?", |s| scheme_label(s, viewer.lang)),
            rate: rate_text(r.rate_ppm),
            in_force: r.valid_from <= today
                && r.valid_to.as_deref().is_none_or(|to| to >= today.as_str()),
            valid_from: r.valid_from,
            valid_to: r.valid_to.unwrap_or_default(),
            source: r.source,
        })
        .collect();
    let page = RatesPage {
        c: viewer.chrome(nav(viewer, "rates")),
        k,
        rows,
        admin: is_admin(viewer),
        schemes: Scheme::ALL
            .iter()
            .map(|s| (s.as_str(), scheme_label(*s, viewer.lang)))
            .collect(),
        error,
        notice,
        form,
    };
    viewer.page(status, &page)
}

async fn rates(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> PageResult {
    viewer.staff()?;
    let notice = query.added.map(|_| viewer.lang.console().rate_added);
    render_rates(
        &state,
        &viewer,
        StatusCode::OK,
        None,
        notice,
        RateForm::default(),
    )
    .await
}

async fn add_rate(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<RateForm>,
) -> PageResult {
    let session = admin(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let k = viewer.lang.console();
    let scheme = form.scheme.parse::<Scheme>().ok();
    let rate = Rate::parse_percent(&form.rate.replace(',', ".")).ok();
    let valid_from = form_date(&form.valid_from);
    let problem = match (scheme, rate, valid_from) {
        (None, _, _) => Some(k.bad_scheme),
        (_, None, _) => Some(k.bad_rate),
        (_, _, None) => Some(k.bad_date),
        _ if form.source.trim().is_empty() => Some(k.source_required),
        _ => None,
    };
    let kept = RateForm {
        csrf: String::new(),
        scheme: form.scheme.chars().take(40).collect(),
        rate: form.rate.chars().take(20).collect(),
        valid_from: form.valid_from.chars().take(10).collect(),
        source: form.source.chars().take(300).collect(),
    };
    let (Some(scheme), Some(rate), Some(valid_from), None) = (scheme, rate, valid_from, problem)
    else {
        return render_rates(
            &state,
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            problem.map(str::to_owned),
            None,
            kept,
        )
        .await;
    };
    let new = NewRate {
        scheme,
        rate,
        valid_from,
        source: form.source.trim().to_owned(),
    };
    match state
        .store()
        .add_contribution_rate(&actor(session), &new, super::algiers_today())
        .await
    {
        Ok(_) => Ok(see_other("/console/rates?added=1")),
        Err(err) => match super::i18n_refusals::refusal_message(viewer.lang, &err) {
            Some(message) => {
                render_rates(
                    &state,
                    &viewer,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(message),
                    None,
                    kept,
                )
                .await
            }
            None => Err(viewer.fail(err)),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Users (administrators only).

struct UserRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    employers: String,
    last_sign_in: String,
    disabled: bool,
    state: String,
    is_self: bool,
}

#[derive(Clone, Default, Deserialize)]
struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    employers: String,
}

#[derive(Template)]
#[template(path = "web/console_users.html")]
struct UsersPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    q: String,
    rows: Vec<UserRow>,
    next: Option<String>,
    first: Option<String>,
    /// (code, label) of each role for the form.
    roles: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    notice: Option<&'static str>,
    form: UserForm,
}

async fn render_users(
    state: &WebState,
    viewer: &Viewer,
    query: &PageQuery,
    status: StatusCode,
    error: Option<String>,
    form: UserForm,
) -> PageResult {
    let session = admin(viewer)?;
    let k = viewer.lang.console();
    let q: String = query.q.trim().chars().take(100).collect();
    let mut found = state
        .store()
        .user_overviews(&q, query.after.max(0), PAGE + 1)
        .await
        .map_err(|e| viewer.fail(e))?;
    let more = found.len() as i64 > PAGE;
    found.truncate(PAGE as usize);
    let next = more
        .then(|| {
            found
                .last()
                .map(|u| format!("/console/users?q={}&after={}", query_part(&q), u.id))
        })
        .flatten();
    let rows = found
        .into_iter()
        .map(|u| UserRow {
            is_self: u.id == session.user.id,
            id: u.id,
            email: u.email,
            name: u.display_name,
            role: k.code("role", &u.role).to_owned(),
            employers: u.employers.join(" "),
            last_sign_in: u.last_sign_in.unwrap_or_else(|| k.never.to_owned()),
            state: k
                .code("account", if u.disabled { "disabled" } else { "active" })
                .to_owned(),
            disabled: u.disabled,
        })
        .collect();
    let page = UsersPage {
        c: viewer.chrome(nav(viewer, "users")),
        k,
        first: (query.after > 0).then(|| format!("/console/users?q={}", query_part(&q))),
        q,
        rows,
        next,
        roles: ["finance", "admin", "employer"]
            .into_iter()
            .map(|r| (r, k.code("role", r)))
            .collect(),
        error,
        notice: query.created.as_ref().map(|_| k.user_created),
        form,
    };
    viewer.page(status, &page)
}

fn no_query() -> PageQuery {
    PageQuery {
        q: String::new(),
        after: 0,
        before: 0,
        created: None,
        added: None,
        year: None,
    }
}

async fn users(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> PageResult {
    admin(&viewer)?;
    render_users(
        &state,
        &viewer,
        &query,
        StatusCode::OK,
        None,
        UserForm::default(),
    )
    .await
}

async fn create_user(
    State(state): State<WebState>,
    viewer: Viewer,
    Form(form): Form<UserForm>,
) -> PageResult {
    let session = admin(&viewer)?;
    viewer.check_csrf(&form.csrf)?;
    let k = viewer.lang.console();
    let email = form.email.trim().to_owned();
    let role = Role::parse(&form.role).ok();
    let employers: Vec<String> = form
        .employers
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let kept = UserForm {
        csrf: String::new(),
        email: email.chars().take(254).collect(),
        display_name: form.display_name.chars().take(120).collect(),
        role: form.role.chars().take(20).collect(),
        employers: form.employers.chars().take(500).collect(),
    };
    let problem = match role {
        _ if !email.contains('@') || email.contains(char::is_whitespace) || email.len() > 254 => {
            Some(k.bad_email.to_owned())
        }
        None => Some(k.bad_role.to_owned()),
        Some(Role::Employer) if employers.is_empty() => Some(k.employers_needed.to_owned()),
        Some(Role::Finance | Role::Admin) if !employers.is_empty() => {
            Some(k.staff_no_employers.to_owned())
        }
        _ => None,
    };
    let query = no_query();
    let (Some(role), None) = (role, &problem) else {
        return render_users(
            &state,
            &viewer,
            &query,
            StatusCode::UNPROCESSABLE_ENTITY,
            problem,
            kept,
        )
        .await;
    };
    let new = NewUser {
        email,
        display_name: form.display_name.trim().chars().take(120).collect(),
        role,
        password: String::new(),
        employers,
    };
    let refused = |message: String| {
        render_users(
            &state,
            &viewer,
            &query,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message),
            kept.clone(),
        )
    };
    match state.store().invite_user(&actor(session), new).await {
        Ok(user) => Ok(see_other(&format!("/console/users?created={}", user.id))),
        Err(StoreError::NotFound {
            entity: "employer",
            id,
        }) => refused(format!("{} {id}", k.unknown_employer)).await,
        Err(StoreError::Conflict(_)) => refused(k.email_taken.to_owned()).await,
        Err(err) => match super::i18n_refusals::refusal_message(viewer.lang, &err) {
            Some(message) => refused(message).await,
            None => Err(viewer.fail(err)),
        },
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn set_disabled(
    state: &WebState,
    viewer: &Viewer,
    id: i64,
    form: &CsrfForm,
    disabled: bool,
) -> PageResult {
    let session = admin(viewer)?;
    viewer.check_csrf(&form.csrf)?;
    if disabled && id == session.user.id {
        let k = viewer.lang.console();
        return render_users(
            state,
            viewer,
            &no_query(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(k.cannot_disable_self.to_owned()),
            UserForm::default(),
        )
        .await;
    }
    state
        .store()
        .set_user_disabled(&actor(session), id, disabled)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok(see_other("/console/users"))
}

async fn disable_user(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    set_disabled(&state, &viewer, id, &form, true).await
}

async fn enable_user(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    set_disabled(&state, &viewer, id, &form, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_rounded_half_up_from_counts() {
        assert_eq!(percent(57, 60).1, "95,0\u{a0}%");
        assert_eq!(percent(2, 3), (667, "66,7\u{a0}%".to_owned()));
        assert_eq!(percent(0, 0).1, "—");
        assert_eq!(percent(1, 2000).0, 1, "0.05 % rounds up to 0.1 %");
    }

    #[test]
    fn steps_are_one_two_or_five() {
        assert_eq!(nice_step(1), 1);
        assert_eq!(nice_step(3), 5);
        assert_eq!(nice_step(7), 10);
        assert_eq!(nice_step(11), 20);
        assert_eq!(nice_step(260), 500);
    }

    #[test]
    fn right_to_left_mirrors_the_time_axis() {
        let ltr = Frame {
            rtl: false,
            slots: 4,
        };
        let rtl = Frame {
            rtl: true,
            slots: 4,
        };
        assert!(ltr.slot(0).0 < ltr.slot(3).0, "oldest on the left");
        assert!(rtl.slot(0).0 > rtl.slot(3).0, "oldest on the right");
        assert_eq!(Frame::y(0, 10), BASELINE);
        assert_eq!(Frame::y(10, 10), TOP);
    }

    #[test]
    fn query_parts_are_percent_encoded() {
        assert_eq!(query_part("SARL a&b"), "SARL%20a%26b");
        assert_eq!(query_part("é"), "%C3%A9");
    }
}
