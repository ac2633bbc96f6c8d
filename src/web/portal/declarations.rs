//! The declarations page: the employer's declarations (whether each can still be
//! corrected, or the debit that locked it; plausibility warnings) and the CSV upload —
//! every bad line and field reported at once, nothing half-recorded; a period already
//! declared is corrected (replaced) until it is planned into a debit.

use crate::store::Duty;
use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use mandates::declaration::plausibility;

use super::declaration_csv::{is_workbook, parse_declaration_file, template};
use super::{
    DoneQuery, Feedback, PeriodChoice, Submission, check_period, employer_for, employer_to, nav,
    period_choices, submit_declaration,
};
use crate::store::{Employer, NewDeclaration, Session};
use crate::web::WebState;
use crate::web::i18n::{DeclarationTexts, PageTexts, Place, money};
use crate::web::session::{Chrome, PageResult, Refusal, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/portal/{employer}/declarations",
            get(declarations_page).post(upload_declaration),
        )
        .route(
            "/portal/{employer}/declarations/template.csv",
            get(download_template),
        )
}

/// The declaration template: the employer's worksites, one per row, the figures to fill
/// in; UTF-8 with a byte order mark and `;` (what French Excel opens as it is), the header
/// in the viewer's language. The upload reads it back as it comes.
async fn download_template(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
) -> PageResult {
    let (_, employer) = employer_for(&state, &viewer, employer_id).await?;
    let worksites = state
        .store()
        .list_worksites(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let codes: Vec<String> = worksites.into_iter().map(|w| w.code).collect();
    let bytes = template(viewer.lang.declarations().template_header, &codes);
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The affiliation number is the fund's (digits): safe in a header.
    let name: String = employer
        .affiliation_number
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"declaration-{name}.csv\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

struct DeclarationRow {
    period: String,
    status: String,
    lines: usize,
    total: String,
    /// Whether it can still be corrected, or the debit that locked it.
    correction: String,
}

#[derive(Template)]
#[template(path = "web/portal/declarations.html")]
struct DeclarationsPage {
    c: Chrome,
    d: &'static DeclarationTexts,
    employer_id: i64,
    declarations: Vec<DeclarationRow>,
    /// Plausibility warnings of the declarations still open to correction.
    warnings: Vec<String>,
    /// The pickers' periods: those open to declaration (and the one just sent).
    periods: Vec<PeriodChoice>,
    errors: Vec<String>,
    /// The errors are lines to correct (not a refusal of the whole declaration).
    line_errors: bool,
    notice: Option<&'static str>,
}

async fn render_declarations(
    state: &WebState,
    viewer: &Viewer,
    session: &Session,
    employer: &Employer,
    feedback: Feedback,
) -> PageResult {
    let employer_id = employer.id;
    let sent = mandates::Period::parse(&feedback.value).ok();
    let periods = period_choices(state, viewer, employer, sent).await?;
    let store = state.store();
    let declarations = store
        .list_declarations(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let texts = viewer.lang.declarations();
    let history = store
        .declared_history(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let mut rows = Vec::with_capacity(declarations.len());
    let mut warnings = Vec::new();
    for d in declarations {
        let locked_by = store
            .declaration_locked_by(d.id)
            .await
            .map_err(|e| viewer.fail(e))?;
        let correction = match &locked_by {
            Some(date) => texts
                .locked
                .replace("{date}", &crate::locale::written_day_of(date)),
            None => {
                warnings.extend(
                    plausibility(&history, &d.period)
                        .iter()
                        .map(|w| texts.plausibility(w, viewer.lang)),
                );
                texts.editable.to_owned()
            }
        };
        rows.push(DeclarationRow {
            period: d.period,
            status: crate::locale::Word::word(d.status, viewer.lang).to_owned(),
            lines: d.lines.len(),
            total: money(d.total, viewer.lang),
            correction,
        });
    }
    let page = DeclarationsPage {
        c: viewer.chrome(nav(viewer, session, employer_id, "declarations")),
        d: texts,
        employer_id,
        declarations: rows,
        warnings,
        line_errors: feedback.status != StatusCode::CONFLICT,
        periods,
        errors: feedback.errors,
        notice: feedback.notice,
    };
    viewer.page(feedback.status, &page)
}

async fn declarations_page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
    let notice = match query.done.as_deref() {
        Some("recorded") => Some(viewer.texts().declaration_recorded),
        Some("corrected") => Some(viewer.lang.declarations().declaration_corrected),
        _ => None,
    };
    render_declarations(&state, &viewer, &session, &employer, Feedback::ok(notice)).await
}

/// Largest CSV accepted (hundreds of worksites are a few tens of kilobytes).
const MAX_CSV_BYTES: usize = 2 * 1024 * 1024;

async fn upload_declaration(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    mut multipart: Multipart,
) -> PageResult {
    let (session, employer) = employer_to(&state, &viewer, employer_id, Duty::Declare).await?;
    let mut csrf = String::new();
    let mut period = String::new();
    let mut csv: Option<Vec<u8>> = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or("").to_owned();
        let Ok(bytes) = field.bytes().await else {
            return Err(viewer.refuse(Refusal::BadForm));
        };
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "period" => period = String::from_utf8_lossy(&bytes).trim().to_owned(),
            "file" => csv = Some(bytes.to_vec()),
            _ => {}
        }
    }
    viewer.check_csrf(&csrf)?;
    let d = viewer.lang.declarations();
    let refused = |errors: Vec<String>| {
        render_declarations(
            &state,
            &viewer,
            &session,
            &employer,
            Feedback::refused(StatusCode::UNPROCESSABLE_ENTITY, period.clone(), errors),
        )
    };
    let Some(bytes) = csv.filter(|b| !b.is_empty()) else {
        return refused(vec![d.choose_file.to_owned()]).await;
    };
    if bytes.len() > MAX_CSV_BYTES {
        return refused(vec![
            d.file_too_big.replace("{max}", &MAX_CSV_BYTES.to_string()),
        ])
        .await;
    }
    if is_workbook(&bytes) {
        return refused(vec![d.workbook.to_owned()]).await;
    }
    let checked_period = check_period(&employer, &period, viewer.lang);
    let worksites = state
        .store()
        .worksite_codes(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let parsed = parse_declaration_file(&bytes, &worksites);
    let place = Place::Csv(&parsed.file_lines);
    let checked_period = match checked_period {
        Ok(p) if parsed.errors.is_empty() => p,
        checked => {
            // Every problem at once: the period's and the file's.
            let messages = checked
                .err()
                .into_iter()
                .chain(parsed.errors.iter().map(|p| d.problem(&Place::Csv(&[]), p)))
                .collect();
            return refused(messages).await;
        }
    };
    let new = NewDeclaration {
        period: checked_period,
        lines: parsed.lines,
    };
    match submit_declaration(&state, &viewer, &session, employer_id, new).await? {
        Submission::Recorded(corrected) => Ok(see_other(&format!(
            "/portal/{employer_id}/declarations?done={}",
            if corrected { "corrected" } else { "recorded" }
        ))),
        Submission::Locked(message) => {
            render_declarations(
                &state,
                &viewer,
                &session,
                &employer,
                Feedback::refused(StatusCode::CONFLICT, period.clone(), vec![message]),
            )
            .await
        }
        Submission::Lines(lines) => {
            refused(lines.iter().map(|l| d.problem(&place, l)).collect()).await
        }
        Submission::Refused(message) => refused(vec![message]).await,
    }
}
