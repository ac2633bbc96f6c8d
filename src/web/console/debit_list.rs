//! Every debit (`/console/debits`, finance staff and administrators): filters (collection
//! dates, channel, state, failure reason, employer, amount range), the count and sum of
//! what they take, pages by keyset (newest date first, then newest id; the next page
//! starts after the last row shown, so rows never repeat or go missing between pages),
//! and the same filtered list as CSV (`/console/debits.csv`: UTF-8 with a byte-order
//! mark, `;` between fields, as Excel in Algeria opens it), streamed a page at a time.
//! Each row links to the debit's page (its timeline and the staff's actions).

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use bank_formats::reasons::ReasonCategory;
use mandates::{Amount, Channel, CollectionStatus};
use serde::Deserialize;

use super::{form_date, nav, query_part};
use crate::locale::words::cancel_reason_word;
use crate::locale::{Lang, Word, employer_name, last4, written_day_of};
use crate::store::{DEBIT_PAGE_MAX, DebitCursor, DebitFilter, DebitListItem, Store};
use crate::web::WebState;
use crate::web::i18n::{DebitListTexts, money};
use crate::web::session::{Chrome, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/debits", get(list))
        .route("/console/debits.csv", get(csv))
}

/// Rows per page of the list.
const PAGE: i64 = 50;

/// The filters as typed (the form's fields and the paging links), each checked once by
/// [`Filters::read`].
#[derive(Clone, Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    employer: String,
    #[serde(default)]
    min: String,
    #[serde(default)]
    max: String,
    /// Where the page starts: after the debit of this date…
    #[serde(default)]
    after_date: String,
    /// …and this id.
    #[serde(default)]
    after_id: String,
}

/// The filters read: the store's filter, the page's start, and what was wrong, in words.
struct Filters {
    filter: DebitFilter,
    after: Option<DebitCursor>,
    problems: Vec<String>,
    /// The filters as a query string (for the paging and export links), as typed.
    query: String,
}

impl Filters {
    fn read(q: &ListQuery, lang: Lang) -> Filters {
        let t = DebitListTexts::of(lang);
        let mut problems = Vec::new();
        let mut date = |text: &str| {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let day = form_date(text);
            if day.is_none() {
                problems.push(t.bad_date(&clip(text)));
            }
            day
        };
        let from = date(&q.from);
        let to = date(&q.to);
        let mut amount = |text: &str| {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let amount = typed_amount(text);
            if amount.is_none() {
                problems.push(t.bad_amount(&clip(text)));
            }
            amount
        };
        let min_amount = amount(&q.min);
        let max_amount = amount(&q.max);
        let mut choice_refused = false;
        let choice = |text: &str| -> Option<String> {
            let text = text.trim();
            (!text.is_empty()).then(|| text.to_owned())
        };
        let channel = choice(&q.channel)
            .and_then(|c| Channel::parse(&c).map_err(|_| choice_refused = true).ok());
        let status = choice(&q.status).and_then(|c| {
            CollectionStatus::parse(&c)
                .map_err(|_| choice_refused = true)
                .ok()
        });
        let reason = choice(&q.reason).and_then(|c| {
            ReasonCategory::parse(&c)
                .map_err(|_| choice_refused = true)
                .ok()
        });
        if choice_refused {
            problems.push(t.bad_choice.to_owned());
        }
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            problems.push(t.dates_reversed.to_owned());
        }
        if let (Some(min), Some(max)) = (min_amount, max_amount)
            && min > max
        {
            problems.push(t.amounts_reversed.to_owned());
        }
        let employer: String = q.employer.trim().chars().take(100).collect();
        let after = match (q.after_date.trim(), q.after_id.trim()) {
            ("", "") => None,
            (day, id) => match (form_date(day), id.parse::<i64>()) {
                (Some(day), Ok(id)) => Some(DebitCursor {
                    collection_date: day.to_string(),
                    id,
                }),
                _ => {
                    problems.push(t.bad_page.to_owned());
                    None
                }
            },
        };
        let fields = [
            ("from", q.from.trim()),
            ("to", q.to.trim()),
            ("channel", q.channel.trim()),
            ("status", q.status.trim()),
            ("reason", q.reason.trim()),
            ("employer", employer.as_str()),
            ("min", q.min.trim()),
            ("max", q.max.trim()),
        ];
        let query = fields
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| format!("{name}={}", query_part(value)))
            .collect::<Vec<_>>()
            .join("&");
        Filters {
            filter: DebitFilter {
                from,
                to,
                channel,
                status,
                reason,
                employer: (!employer.is_empty()).then_some(employer),
                min_amount,
                max_amount,
            },
            after,
            problems,
            query,
        }
    }
}

/// At most 40 characters of what was typed, for an error message.
fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

/// An amount as staff type it: `1234,50`, `1 234.5`, `1234` (spaces, no-break spaces and
/// a decimal comma allowed); never negative.
fn typed_amount(text: &str) -> Option<Amount> {
    let plain: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    Amount::parse(&plain).ok().filter(|a| a.centimes() >= 0)
}

/// A choice of a select: its code, its words, and whether it is the one chosen.
struct Choice {
    code: &'static str,
    word: &'static str,
    selected: bool,
}

fn choices<T: Word>(
    all: &[T],
    code: fn(T) -> &'static str,
    chosen: &str,
    lang: Lang,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            code: code(*v),
            word: v.word(lang),
            selected: code(*v) == chosen.trim(),
        })
        .collect()
}

/// One row of the list as the page shows it.
struct Row {
    id: i64,
    date: String,
    employer_id: i64,
    affiliation: String,
    employer: String,
    channel: &'static str,
    amount: String,
    status: crate::web::display::DebitBadge,
    held: bool,
    attempt: i64,
    reason: String,
    file: String,
}

#[derive(Template)]
#[template(path = "web/console/debit_list.html")]
struct ListPage {
    c: Chrome,
    t: &'static DebitListTexts,
    q: ListQuery,
    channels: Vec<Choice>,
    statuses: Vec<Choice>,
    reasons: Vec<Choice>,
    problems: Vec<String>,
    /// The count and sum of the filter, in words (none when the filters were refused).
    totals: Option<String>,
    rows: Vec<Row>,
    export: String,
    next: Option<String>,
    first: Option<String>,
}

/// The reason of a debit in words: a failure's category (with the bank's code beside
/// it), or why it was cancelled before any file.
fn reason_words(item: &DebitListItem, lang: Lang) -> String {
    match (item.reason_category, item.reason_code.as_deref()) {
        (Some(category), Some(code)) => format!("{} ({code})", category.word(lang)),
        (Some(category), None) => category.word(lang).to_owned(),
        (None, Some(code)) => cancel_reason_word(code, lang).map_or(code.to_owned(), str::to_owned),
        (None, None) => String::new(),
    }
}

async fn list(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> PageResult {
    viewer.staff()?;
    render(&state, &viewer, q).await
}

async fn render(state: &WebState, viewer: &Viewer, q: ListQuery) -> PageResult {
    let lang = viewer.lang;
    let t = DebitListTexts::of(lang);
    let filters = Filters::read(&q, lang);
    let (status, totals, rows, next) = if filters.problems.is_empty() {
        let store = state.store();
        let found = store
            .list_debits(&filters.filter, filters.after.as_ref(), PAGE + 1)
            .await
            .map_err(|e| viewer.fail(e))?;
        let totals = store
            .debit_totals(&filters.filter)
            .await
            .map_err(|e| viewer.fail(e))?;
        let more = found.len() as i64 > PAGE;
        let shown: Vec<DebitListItem> = found.into_iter().take(PAGE as usize).collect();
        let next = if more {
            shown.last().map(|last| {
                let cursor = last.cursor();
                format!(
                    "/console/debits?{}{}after_date={}&after_id={}",
                    filters.query,
                    if filters.query.is_empty() { "" } else { "&" },
                    cursor.collection_date,
                    cursor.id
                )
            })
        } else {
            None
        };
        let rows = shown
            .iter()
            .map(|d| Row {
                id: d.id,
                date: d.collection_date.clone(),
                employer_id: d.employer_id,
                affiliation: d.affiliation_number.clone(),
                employer: employer_name(lang, &d.employer_name, d.employer_name_ar.as_deref())
                    .to_owned(),
                channel: d.channel.word(lang),
                amount: money(d.amount, lang),
                status: crate::web::display::DebitBadge::staff(d.status, lang),
                held: d.held,
                attempt: d.attempt,
                reason: reason_words(d, lang),
                file: d.bank_file.clone().unwrap_or_default(),
            })
            .collect();
        let totals = t.totals(&grouped(totals.count), &money(totals.amount, lang));
        (StatusCode::OK, Some(totals), rows, next)
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, None, Vec::new(), None)
    };
    let base = if filters.query.is_empty() {
        String::new()
    } else {
        format!("?{}", filters.query)
    };
    let page = ListPage {
        c: viewer.chrome(nav(viewer, "debits")),
        t,
        channels: choices(&Channel::ALL, Channel::as_str, &q.channel, lang),
        statuses: choices(
            &CollectionStatus::ALL,
            CollectionStatus::as_str,
            &q.status,
            lang,
        ),
        reasons: choices(
            &ReasonCategory::ALL,
            ReasonCategory::as_str,
            &q.reason,
            lang,
        ),
        problems: filters.problems,
        totals,
        rows,
        export: format!("/console/debits.csv{base}"),
        first: filters
            .after
            .is_some()
            .then(|| format!("/console/debits{base}")),
        next,
        q,
    };
    viewer.page(status, &page)
}

/// A count with its thousands grouped by no-break spaces, as amounts are.
fn grouped(count: i64) -> String {
    let digits = count.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if count < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

/// The filtered list as CSV, every page of it, streamed: nothing but one page of rows is
/// held at a time. Refused filters get the list page with their problems (422).
async fn csv(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> PageResult {
    viewer.staff()?;
    let filters = Filters::read(&q, viewer.lang);
    if !filters.problems.is_empty() {
        return render(&state, &viewer, q).await;
    }
    let lang = viewer.lang;
    let store = state.store().clone();
    let today = store.clock().today();
    let head = csv_header(lang);
    let stream = futures_util::stream::unfold(Export::Header(head, filters.filter), move |step| {
        let store = store.clone();
        async move { step.next(&store, lang).await }
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"debits-{today}.csv\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Where the export is: the header line to send, then the pages after a cursor, then done.
enum Export {
    Header(String, DebitFilter),
    Page(DebitFilter, Option<DebitCursor>),
    Done,
}

impl Export {
    /// The next piece of the file and what follows it; `None` at the end. A failure ends
    /// the download with an error (the browser shows it incomplete), logged once here.
    async fn next(
        self,
        store: &Store,
        lang: Lang,
    ) -> Option<(Result<Bytes, std::io::Error>, Export)> {
        match self {
            Export::Header(head, filter) => {
                Some((Ok(Bytes::from(head)), Export::Page(filter, None)))
            }
            Export::Page(filter, after) => {
                match store
                    .list_debits(&filter, after.as_ref(), DEBIT_PAGE_MAX)
                    .await
                {
                    Ok(items) if items.is_empty() => None,
                    Ok(items) => {
                        let mut out = String::with_capacity(items.len() * 160);
                        for item in &items {
                            csv_row(&mut out, item, lang);
                        }
                        let following = if (items.len() as i64) < DEBIT_PAGE_MAX {
                            Export::Done
                        } else {
                            Export::Page(filter, items.last().map(DebitListItem::cursor))
                        };
                        Some((Ok(Bytes::from(out)), following))
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "the debit export failed");
                        Some((
                            Err(std::io::Error::other("the debit export failed")),
                            Export::Done,
                        ))
                    }
                }
            }
            Export::Done => None,
        }
    }
}

/// The byte-order mark (Excel reads the file as UTF-8 only with it) and the header line.
fn csv_header(lang: Lang) -> String {
    let t = DebitListTexts::of(lang);
    let mut out = String::from("\u{feff}");
    let fields = [
        t.number,
        t.date,
        t.affiliation,
        t.employer_name,
        t.channel,
        t.amount,
        t.status,
        t.reason,
        t.reason_code,
        t.attempt,
        t.file,
        t.account,
    ];
    push_fields(&mut out, fields.iter().map(|f| (*f).to_owned()));
    out
}

/// One debit as a line: dates as `15/12/2026`, amounts as `1234,56` (a number to Excel
/// in a French-speaking locale), words in `lang`, the account as `****0486`.
fn csv_row(out: &mut String, item: &DebitListItem, lang: Lang) {
    let held = if item.held {
        format!(" ({})", DebitListTexts::of(lang).held)
    } else {
        String::new()
    };
    let fields = [
        item.id.to_string(),
        written_day_of(&item.collection_date),
        item.affiliation_number.clone(),
        employer_name(lang, &item.employer_name, item.employer_name_ar.as_deref()).to_owned(),
        item.channel.word(lang).to_owned(),
        plain_amount(item.amount),
        format!("{}{held}", item.status.word(lang)),
        match item.reason_category {
            Some(category) => category.word(lang).to_owned(),
            None => item
                .reason_code
                .as_deref()
                .and_then(|code| cancel_reason_word(code, lang))
                .unwrap_or_default()
                .to_owned(),
        },
        item.reason_code.clone().unwrap_or_default(),
        item.attempt.to_string(),
        item.bank_file.clone().unwrap_or_default(),
        last4(&item.account_masked),
    ];
    push_fields(out, fields.into_iter());
}

/// `1234,56`: no grouping, a decimal comma.
fn plain_amount(amount: Amount) -> String {
    let centimes = amount.centimes();
    let sign = if centimes < 0 { "-" } else { "" };
    let abs = centimes.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

/// Fields joined by `;`, the line ended by CRLF. A field with `;`, a quote or a line
/// break is quoted (quotes doubled); one that a spreadsheet would take for a formula
/// (`=`, `+`, `-`, `@` first) is prefixed with `'`, so a name is never run as one.
fn push_fields(out: &mut String, fields: impl Iterator<Item = String>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(';');
        }
        let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{field}")
        } else {
            field
        };
        if field.contains([';', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&field);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_staff_type_them() {
        let centimes = |t: &str| typed_amount(t).map(Amount::centimes);
        assert_eq!(centimes("1234,50"), Some(123_450));
        assert_eq!(centimes("1\u{a0}234.5"), Some(123_450));
        assert_eq!(centimes("12"), Some(1_200));
        assert_eq!(centimes("-5"), None);
        assert_eq!(centimes("12,345"), None);
        assert_eq!(centimes("douze"), None);
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        let mut out = String::new();
        push_fields(
            &mut out,
            ["a;b", "say \"hi\"", "=SUM(A1)", "-12", "plain"]
                .into_iter()
                .map(str::to_owned),
        );
        assert_eq!(out, "\"a;b\";\"say \"\"hi\"\"\";'=SUM(A1);'-12;plain\r\n");
        assert_eq!(
            plain_amount(Amount::from_centimes(123_456_789)),
            "1234567,89"
        );
        assert_eq!(plain_amount(Amount::from_centimes(5)), "0,05");
    }

    #[test]
    fn counts_are_grouped() {
        assert_eq!(grouped(1_000_000), "1\u{a0}000\u{a0}000");
        assert_eq!(grouped(999), "999");
    }

    #[test]
    fn refused_filters_say_each_problem() {
        let q = ListQuery {
            from: "15/12/2026".into(),
            to: "2026-12-01".into(),
            min: "abc".into(),
            status: "paid".into(),
            after_date: "2026-12-15".into(),
            after_id: "x".into(),
            ..ListQuery::default()
        };
        let f = Filters::read(&q, Lang::Fr);
        assert_eq!(f.problems.len(), 4, "{:?}", f.problems);
        assert!(f.problems[0].contains("15/12/2026"));
        let ok = Filters::read(
            &ListQuery {
                from: "2026-12-01".into(),
                to: "2026-12-31".into(),
                channel: "postal".into(),
                employer: " SARL ".into(),
                ..ListQuery::default()
            },
            Lang::Ar,
        );
        assert!(ok.problems.is_empty());
        assert_eq!(ok.filter.channel, Some(Channel::Postal));
        assert_eq!(ok.filter.employer.as_deref(), Some("SARL"));
        assert_eq!(
            ok.query,
            "from=2026-12-01&to=2026-12-31&channel=postal&employer=SARL"
        );
    }
}
