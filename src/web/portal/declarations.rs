//! The declarations page: the employer's declarations (whether each can still be
//! corrected, or the debit that locked it; plausibility warnings) and the CSV upload —
//! every bad line and field reported at once, nothing half-recorded; a period already
//! declared is corrected (replaced) until it is planned into a debit.

use std::collections::HashSet;

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use mandates::declaration::{LineInput, line_problems, merge_problems, plausibility};
use mandates::{LineProblem, NewDeclarationLine, ProblemKind};

use super::{
    Blank, DoneQuery, Feedback, Submission, check_period, employer_for, nav, read_figures,
    submit_declaration,
};
use crate::store::{NewDeclaration, Session};
use crate::web::WebState;
use crate::web::i18n::{DeclarationTexts, PageTexts, Place, money};
use crate::web::session::{Chrome, PageResult, Refusal, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new().route(
        "/portal/{employer}/declarations",
        get(declarations_page).post(upload_declaration),
    )
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
    period: String,
    errors: Vec<String>,
    /// The errors are lines to correct (not a refusal of the whole declaration).
    line_errors: bool,
    notice: Option<&'static str>,
}

async fn render_declarations(
    state: &WebState,
    viewer: &Viewer,
    session: &Session,
    employer_id: i64,
    feedback: Feedback,
) -> PageResult {
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
        period: feedback.value,
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
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    let notice = match query.done.as_deref() {
        Some("recorded") => Some(viewer.texts().declaration_recorded),
        Some("corrected") => Some(viewer.lang.declarations().declaration_corrected),
        _ => None,
    };
    render_declarations(&state, &viewer, &session, employer_id, Feedback::ok(notice)).await
}

/// Largest CSV accepted (hundreds of worksites are a few tens of kilobytes).
const MAX_CSV_BYTES: usize = 2 * 1024 * 1024;

async fn upload_declaration(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    mut multipart: Multipart,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
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
            employer_id,
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
    let Ok(text) = String::from_utf8(bytes) else {
        return refused(vec![d.not_utf8.to_owned()]).await;
    };
    let checked_period = check_period(&employer, &period, viewer.lang);
    let worksites = state
        .store()
        .worksite_codes(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let parsed = parse_declaration_csv(&text, &worksites);
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
                employer_id,
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

/// A declaration CSV read and checked: its right lines (with the file line each came
/// from), and every problem of the file, its reading's and the rules'.
#[derive(Debug, Default)]
pub struct ParsedCsv {
    pub lines: Vec<NewDeclarationLine>,
    /// `file_lines[i]` is the line of the file `lines[i]` came from.
    pub file_lines: Vec<usize>,
    pub errors: Vec<LineProblem>,
}

/// Reads `worksite_code;headcount;wage_bill;bad_weather_base` lines (`;` with decimal
/// commas, or `,` with decimal points; an optional header) and checks them by the
/// declaration rules (all but the contributions, which need the period's rates): every
/// problem with its file line and field.
pub fn parse_declaration_csv(text: &str, worksites: &HashSet<String>) -> ParsedCsv {
    let (inputs, reading) = read_csv(text, worksites);
    let errors = merge_problems(reading, line_problems(worksites, &inputs));
    let wrong: HashSet<usize> = errors.iter().map(|p| p.line).collect();
    let mut out = ParsedCsv {
        errors,
        ..ParsedCsv::default()
    };
    for input in inputs.iter().filter(|i| !wrong.contains(&i.line)) {
        if let Some(line) = input.complete() {
            out.lines.push(line);
            out.file_lines.push(input.line);
        }
    }
    out
}

/// The file's lines as typed (numbered as in the file), and the problems of reading them.
fn read_csv(text: &str, worksites: &HashSet<String>) -> (Vec<LineInput>, Vec<LineProblem>) {
    let text = text.trim_start_matches('\u{feff}');
    let separator = match text.lines().find(|l| !l.trim().is_empty()) {
        Some(first) if first.contains(';') => ';',
        _ => ',',
    };
    let decimal = if separator == ';' { ',' } else { '.' };
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    let mut first_content = true;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let fields: Vec<String> = raw
            .split(separator)
            .map(|f| f.trim().trim_matches('"').trim().to_owned())
            .collect();
        if first_content {
            first_content = false;
            let header = fields
                .get(1)
                .is_some_and(|f| !f.is_empty() && !f.bytes().all(|b| b.is_ascii_digit()))
                && fields.first().is_some_and(|f| !worksites.contains(f));
            if header {
                continue;
            }
        }
        if !(3..=4).contains(&fields.len()) {
            problems.push(LineProblem::new(
                number,
                None,
                ProblemKind::FieldCount {
                    found: fields.len(),
                    separator,
                },
            ));
            inputs.push(LineInput::new(number));
            continue;
        }
        let mut input = LineInput::new(number);
        if fields[0].is_empty() {
            problems.push(LineProblem::new(
                number,
                Some("worksite_code"),
                ProblemKind::Empty,
            ));
        } else {
            input.worksite_code = Some(fields[0].clone());
        }
        let bad_weather_base = fields.get(3).map(String::as_str).unwrap_or("");
        let figures = [fields[1].as_str(), fields[2].as_str(), bad_weather_base];
        read_figures(&mut input, figures, decimal, Blank::Text, &mut problems);
        inputs.push(input);
    }
    (inputs, problems)
}

#[cfg(test)]
mod tests {
    use mandates::Amount;

    use super::*;

    fn sites() -> HashSet<String> {
        ["W1", "W2", "W3"].iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_bad_line_and_field_is_reported_at_once() {
        let csv =
            "code;effectif;masse;intemperies\nW1;4;125 000,50;1000\nW9;x;12,345;\nW1;2;-5;0\n";
        let parsed = parse_declaration_csv(csv, &sites());
        assert_eq!(parsed.lines.len(), 1);
        assert_eq!(parsed.lines[0].wage_bill.centimes(), 12_500_050);
        let errors: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            vec![
                "line 3, field worksite_code: \"W9\" is not a worksite of this employer",
                "line 3, field headcount: \"x\" is not a whole number of workers",
                "line 3, field wage_bill: \"12,345\" is not an amount in dinars (like 125000,50)",
                "line 4, field worksite_code: W1 is already declared on line 2",
                "line 4, field wage_bill: must not be negative",
            ]
        );
    }

    #[test]
    fn comma_files_use_decimal_points_and_need_no_header() {
        let parsed = parse_declaration_csv("W2,3,1000.5\nW3,0,0,0\n", &sites());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.lines.len(), 2);
        assert_eq!(parsed.file_lines, vec![1, 2]);
        assert_eq!(parsed.lines[0].bad_weather_base, Amount::ZERO);
    }
}
