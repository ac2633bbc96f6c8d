//! What the portal's statement page and the console's account page share: the period
//! filter (`?from=&to=`, each optional), the statement's lines as the pages show them (plain
//! words, amounts in the page's language), and its downloads — CSV
//! (`crate::locale::statement`) and PDF (`crate::documents`, made off the async workers) —
//! sent as attachments with `no-store`. The caller has checked who may see the employer.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use mandates::Amount;
use serde::Deserialize;

use crate::documents::{StatementFacts, statement_pdf};
use crate::locale::{Lang, written_day_of};
use crate::store::{Employer, Statement};
use crate::web::WebState;
use crate::web::i18n::{StatementTexts, money};
use crate::web::session::{PageError, Refusal, Viewer};

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD` as typed (an unreadable date is said, not dropped).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct PeriodQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

/// The period read from a [`PeriodQuery`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Period {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl PeriodQuery {
    /// The period, or what is wrong with it in `lang`'s words.
    pub fn read(&self, lang: Lang) -> Result<Period, &'static str> {
        let t = StatementTexts::of(lang);
        let day = |text: &str| -> Result<Option<NaiveDate>, &'static str> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| t.date_invalid)
        };
        let period = Period {
            from: day(&self.from)?,
            to: day(&self.to)?,
        };
        if let (Some(from), Some(to)) = (period.from, period.to)
            && to < from
        {
            return Err(t.period_backwards);
        }
        Ok(period)
    }

    /// `?from=…&to=…` for the download links (only the parts given; dates are URL-safe).
    pub fn link(&self, period: &Period) -> String {
        let mut parts = Vec::new();
        if let Some(from) = period.from {
            parts.push(format!("from={from}"));
        }
        if let Some(to) = period.to {
            parts.push(format!("to={to}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// One line of the statement as a page shows it.
pub(crate) struct StatementRow {
    pub date: String,
    pub label: String,
    /// The declared period the entry is about (shown in `<bdi>`), or empty.
    pub period: String,
    /// A memo entry's amount (shown in `<bdi>`), or empty.
    pub memo: String,
    pub amount: String,
    pub balance: String,
}

/// The statement's lines for a page: the opening balance, each entry (its plain label
/// with the period it is about and a memo's amount), the closing balance.
pub(crate) fn statement_rows(statement: &Statement, lang: Lang) -> Vec<StatementRow> {
    let t = StatementTexts::of(lang);
    let mut rows = Vec::with_capacity(statement.lines.len() + 2);
    rows.push(StatementRow {
        date: statement
            .from
            .as_deref()
            .map(written_day_of)
            .unwrap_or_default(),
        label: t.opening.to_owned(),
        period: String::new(),
        memo: String::new(),
        amount: String::new(),
        balance: money(statement.opening, lang),
    });
    for line in &statement.lines {
        let e = &line.entry;
        rows.push(StatementRow {
            date: written_day_of(&e.entry_date),
            label: crate::locale::statement::entry_label(e, lang),
            period: e.period.clone().unwrap_or_default(),
            memo: if e.memo == Amount::ZERO {
                String::new()
            } else {
                money(e.memo, lang)
            },
            amount: money(e.amount, lang),
            balance: money(line.balance, lang),
        });
    }
    rows.push(StatementRow {
        date: statement
            .to
            .as_deref()
            .map(written_day_of)
            .unwrap_or_default(),
        label: t.closing.to_owned(),
        period: String::new(),
        memo: String::new(),
        amount: String::new(),
        balance: money(statement.closing, lang),
    });
    rows
}

/// What is owed by age, as (label, amount) for a page, then the unallocated money when
/// there is some.
pub(crate) fn aging_rows(statement: &Statement, lang: Lang) -> Vec<(&'static str, String)> {
    let t = StatementTexts::of(lang);
    let a = &statement.aging;
    let mut rows: Vec<(&'static str, String)> = t
        .buckets
        .iter()
        .zip([a.up_to_30, a.from_31_to_90, a.from_91_to_180, a.over_180])
        .map(|(label, amount)| (*label, money(amount, lang)))
        .collect();
    if statement.unallocated != Amount::ZERO {
        rows.push((t.unallocated, money(statement.unallocated, lang)));
    }
    rows
}

/// The file name of a download: `releve-AFFILIATION-DAY.EXT` (the number's letters and
/// digits only).
fn file_name(employer: &Employer, today: NaiveDate, ext: &str) -> String {
    let number: String = employer
        .affiliation_number
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("releve-{number}-{today}.{ext}")
}

pub(crate) fn attachment(body: Body, content_type: &'static str, name: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The statement as CSV, as an attachment.
pub(crate) fn csv_download(
    employer: &Employer,
    statement: &Statement,
    today: NaiveDate,
) -> Response {
    attachment(
        Body::from(crate::locale::statement::statement_csv(statement)),
        "text/csv; charset=utf-8",
        &file_name(employer, today, "csv"),
    )
}

/// Any CSV text as an attachment named `name`.
pub(crate) fn csv_attachment(text: String, name: &str) -> Response {
    attachment(Body::from(text), "text/csv; charset=utf-8", name)
}

/// The statement as a PDF in French and Arabic, as an attachment.
pub(crate) async fn pdf_download(
    state: &WebState,
    viewer: &Viewer,
    employer: Employer,
    statement: Statement,
    today: NaiveDate,
) -> Result<Response, PageError> {
    let fund = state
        .options
        .cycle
        .as_ref()
        .map_or_else(|| "CACOBATPH".to_owned(), |s| s.creditor.name.clone());
    let name = file_name(&employer, today, "pdf");
    let employer_id = employer.id;
    let made = tokio::task::spawn_blocking(move || {
        statement_pdf(&StatementFacts {
            fund: &fund,
            statement: &statement,
            employer: &employer,
            today,
        })
    })
    .await;
    match made {
        Ok(Ok(bytes)) => Ok(attachment(Body::from(bytes), "application/pdf", &name)),
        Ok(Err(err)) => {
            tracing::error!(employer_id, error = %err, "a statement PDF could not be made");
            Err(viewer.refuse(Refusal::Internal))
        }
        Err(err) => {
            tracing::error!(employer_id, error = %err, "the statement PDF task failed");
            Err(viewer.refuse(Refusal::Internal))
        }
    }
}
