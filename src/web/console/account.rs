//! An employer's account (`/console/employers/{id}/account`): its balance by scheme, its
//! statement for a period (entries with the running balance, what it owes by age; the
//! portal's, shared through `crate::web::statement`) with its CSV and PDF downloads, its
//! payments by other channels, and the form that records a payment (finance staff and
//! administrators; the employer page carries the same form). Recording goes through
//! [`crate::store::Store::record_payment`], audited as the staff member.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::NaiveDate;
use mandates::Amount;
use serde::Deserialize;

use super::{actor, nav};
use crate::locale::Word;
use crate::store::{NewPayment, PaymentChannel, PaymentOutcome, StoreError};
use crate::web::WebState;
use crate::web::i18n::{
    LedgerTexts, StatementTexts, WriteOffTexts, employer_name, money, refusals,
};
use crate::web::session::{Chrome, PageResult, Refusal, Viewer};
use crate::web::statement::{
    PeriodQuery, StatementRow, aging_rows, csv_download, pdf_download, statement_rows,
};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/employers/{id}/account", get(account))
        .route("/console/employers/{id}/statement.csv", get(statement_csv))
        .route("/console/employers/{id}/statement.pdf", get(statement_pdf))
        .route("/console/employers/{id}/payments", post(record))
}

struct PaymentRow {
    date: String,
    channel: &'static str,
    reference: String,
    amount: String,
    note: String,
}

#[derive(Template)]
#[template(path = "web/console/account.html")]
struct AccountPage {
    c: Chrome,
    l: &'static LedgerTexts,
    s: &'static StatementTexts,
    /// The write-offs page's link.
    w: &'static WriteOffTexts,
    /// The employer's provisional assessments' link.
    assessments: &'static str,
    id: i64,
    name: String,
    affiliation: String,
    /// (label, amount) per scheme, then unallocated and the total.
    balance: Vec<(&'static str, String)>,
    aging: Vec<(&'static str, String)>,
    /// The statement's period filter and lines (`web/partials/statement.html`).
    action: String,
    download: String,
    q: PeriodQuery,
    links: String,
    rows: Vec<StatementRow>,
    period_error: Option<&'static str>,
    payments: Vec<PaymentRow>,
    /// The channels of the form: (code, word).
    channels: Vec<(&'static str, &'static str)>,
    today: String,
    notice: Vec<String>,
    error: Option<String>,
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    status: StatusCode,
    id: i64,
    notice: Vec<String>,
    error: Option<String>,
    q: PeriodQuery,
) -> PageResult {
    let lang = viewer.lang;
    let (period, period_error, status) = match q.read(lang) {
        Ok(period) => (period, None, status),
        Err(problem) => (
            Default::default(),
            Some(problem),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let l = LedgerTexts::of(lang);
    let store = state.store();
    let employer = match store.employer(id).await {
        Ok(employer) => employer,
        Err(StoreError::NotFound { .. }) => return Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => return Err(viewer.fail(err)),
    };
    let today = store.clock().today();
    let statement = store
        .statement_between(id, period.from, period.to, today)
        .await
        .map_err(|e| viewer.fail(e))?;
    let balance = store
        .employer_balance(id, None)
        .await
        .map_err(|e| viewer.fail(e))?;
    let payments = store
        .employer_payments(id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let page = AccountPage {
        c: viewer.chrome(nav(viewer, "employers")),
        l,
        s: StatementTexts::of(lang),
        w: WriteOffTexts::of(lang),
        assessments: lang.pick(
            "Taxations provisoires de l'employeur",
            "التقديرات المؤقتة للمستخدِم",
        ),
        id,
        name: employer_name(&employer, lang),
        affiliation: employer.affiliation_number.clone(),
        balance: vec![
            (l.paid_leave, money(balance.paid_leave, lang)),
            (
                l.bad_weather_employer,
                money(balance.bad_weather_employer, lang),
            ),
            (
                l.bad_weather_employee,
                money(balance.bad_weather_employee, lang),
            ),
            (l.unallocated, money(balance.unallocated, lang)),
            (l.total, money(balance.total, lang)),
        ],
        aging: aging_rows(&statement, lang),
        action: format!("/console/employers/{id}/account"),
        download: format!("/console/employers/{id}/statement"),
        links: q.link(&period),
        q,
        rows: statement_rows(&statement, lang),
        period_error,
        payments: payments
            .into_iter()
            .map(|p| PaymentRow {
                date: p.received_on,
                channel: p.channel.word(lang),
                reference: p.reference,
                amount: money(p.amount, lang),
                note: p.note.unwrap_or_default(),
            })
            .collect(),
        channels: PaymentChannel::ALL
            .iter()
            .map(|c| (c.as_str(), c.word(lang)))
            .collect(),
        today: today.to_string(),
        notice,
        error,
    };
    viewer.page(status, &page)
}

async fn account(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> PageResult {
    viewer.staff()?;
    render(&state, &viewer, StatusCode::OK, id, Vec::new(), None, q).await
}

/// The employer and its statement for the period asked (an unreadable period: the whole
/// statement, as the page says).
async fn employer_statement(
    state: &WebState,
    viewer: &Viewer,
    id: i64,
    q: &PeriodQuery,
) -> Result<
    (crate::store::Employer, crate::store::Statement, NaiveDate),
    crate::web::session::PageError,
> {
    viewer.staff()?;
    let store = state.store();
    let employer = match store.employer(id).await {
        Ok(employer) => employer,
        Err(StoreError::NotFound { .. }) => return Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => return Err(viewer.fail(err)),
    };
    let period = q.read(viewer.lang).unwrap_or_default();
    let today = store.clock().today();
    let statement = store
        .statement_between(id, period.from, period.to, today)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok((employer, statement, today))
}

/// The statement as CSV (see `crate::locale::statement`), as an attachment.
async fn statement_csv(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, crate::web::session::PageError> {
    let (employer, statement, today) = employer_statement(&state, &viewer, id, &q).await?;
    Ok(csv_download(&employer, &statement, today))
}

/// The statement as a PDF in French and Arabic, as an attachment.
async fn statement_pdf(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, crate::web::session::PageError> {
    let (employer, statement, today) = employer_statement(&state, &viewer, id, &q).await?;
    pdf_download(&state, &viewer, employer, statement, today).await
}

#[derive(Deserialize)]
struct PaymentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    note: String,
}

/// An amount as staff type it: `1234,50`, `1 234.50`.
fn typed_amount(text: &str) -> Option<Amount> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    Amount::parse(&cleaned).ok()
}

async fn record(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<PaymentForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let l = LedgerTexts::of(viewer.lang);
    let invalid = |message: &str| Some(message.to_owned());
    let problem = match (
        typed_amount(&form.amount),
        NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d"),
        form.channel.parse::<PaymentChannel>(),
    ) {
        (None, ..) => invalid(l.amount_invalid),
        (_, Err(_), _) => invalid(l.date_invalid),
        (.., Err(_)) => invalid(l.channel_invalid),
        (Some(amount), Ok(received_on), Ok(channel)) => {
            let note = form.note.trim();
            let recorded = state
                .store()
                .record_payment(
                    &actor(session),
                    NewPayment {
                        employer_id: id,
                        amount,
                        received_on,
                        channel,
                        reference: form.reference.clone(),
                        note: (!note.is_empty()).then(|| note.to_owned()),
                    },
                )
                .await;
            match recorded {
                Ok(outcome) => {
                    let notice = describe(&outcome, viewer.lang);
                    return render(
                        &state,
                        &viewer,
                        StatusCode::OK,
                        id,
                        notice,
                        None,
                        PeriodQuery::default(),
                    )
                    .await;
                }
                Err(StoreError::NotFound { .. }) => return Err(viewer.refuse(Refusal::NotFound)),
                Err(err) => match refusals::refusal_message(viewer.lang, &err) {
                    Some(message) => Some(message),
                    None => return Err(viewer.fail(err)),
                },
            }
        }
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    render(
        &state,
        &viewer,
        status,
        id,
        Vec::new(),
        problem,
        PeriodQuery::default(),
    )
    .await
}

/// What a recorded payment did, in sentences.
fn describe(outcome: &PaymentOutcome, lang: crate::locale::Lang) -> Vec<String> {
    let l = LedgerTexts::of(lang);
    let ids = |ids: &[i64]| {
        ids.iter()
            .map(|id| format!("#{id}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = vec![
        l.recorded.to_owned(),
        format!(
            "{} {} ({})",
            l.lines_paid,
            outcome.lines_paid,
            money(outcome.allocated, lang)
        ),
    ];
    if !outcome.debits_reduced.is_empty() {
        out.push(format!(
            "{} {}",
            l.debits_reduced,
            ids(&outcome.debits_reduced)
        ));
    }
    if !outcome.debits_cancelled.is_empty() {
        out.push(format!(
            "{} {}",
            l.debits_cancelled,
            ids(&outcome.debits_cancelled)
        ));
    }
    if outcome.unallocated > Amount::ZERO {
        out.push(format!(
            "{} {}",
            l.credit_kept,
            money(outcome.unallocated, lang)
        ));
    }
    out
}
