//! The declarations page: the employer's declarations (whether each can still be
//! corrected, or the debit that locked it; plausibility warnings) and the CSV upload —
//! every bad line and field reported at once, nothing half-recorded; a period already
//! declared is corrected (replaced) until it is planned into a debit.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use mandates::Amount;

use super::{
    DoneQuery, Feedback, check_period, conflict_message, employer_for, nav, parse_amount,
    parse_headcount,
};
use crate::store::{
    Actor, LineProblem, NewDeclaration, NewDeclarationLine, ProblemKind, Session, StoreError,
};
use crate::web::WebState;
use crate::web::i18n::{DeclarationTexts, PageTexts, Place, money, refusals};
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
                for w in crate::store::plausibility(&history, &d.period) {
                    warnings.push(
                        texts
                            .plausibility_line
                            .replace("{worksite}", &w.worksite_code)
                            .replace("{period}", &w.period)
                            .replace("{amount}", &money(w.amount, viewer.lang))
                            .replace("{average}", &money(w.previous_average, viewer.lang))
                            .replace("{count}", &w.previous_periods.to_string()),
                    );
                }
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
    let worksites: HashSet<String> = state
        .store()
        .list_worksites(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|w| w.code)
        .collect();
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
    let actor = Actor::new(format!("user:{}", session.user.id));
    let new = NewDeclaration {
        period: checked_period.to_string(),
        lines: parsed.lines,
    };
    // A period already declared is corrected (replaced) while none of it is planned.
    match state
        .store()
        .submit_or_correct_declaration(&actor, employer_id, new)
        .await
    {
        Ok((_, corrected)) => Ok(see_other(&format!(
            "/portal/{employer_id}/declarations?done={}",
            if corrected { "corrected" } else { "recorded" }
        ))),
        Err(StoreError::Conflict(message)) => {
            let message = conflict_message(&state, employer_id, &checked_period, viewer.lang)
                .await
                .unwrap_or_else(|| format!("{} ({message})", refusals::generic_lead(viewer.lang)));
            render_declarations(
                &state,
                &viewer,
                &session,
                employer_id,
                Feedback::refused(StatusCode::CONFLICT, period.clone(), vec![message]),
            )
            .await
        }
        Err(StoreError::InvalidLines(lines)) => {
            refused(lines.iter().map(|l| d.problem(&place, l)).collect()).await
        }
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => refused(vec![message]).await,
            None => Err(viewer.fail(err)),
        },
    }
}

/// A declaration CSV read: its lines (with the file line each came from), or every problem.
#[derive(Debug, Default)]
pub struct ParsedCsv {
    pub lines: Vec<NewDeclarationLine>,
    /// `file_lines[i]` is the line of the file `lines[i]` came from.
    pub file_lines: Vec<usize>,
    pub errors: Vec<LineProblem>,
}

/// Reads `worksite_code;headcount;wage_bill;bad_weather_base` lines (`;` with decimal
/// commas, or `,` with decimal points; an optional header), checking every field and
/// every worksite code, and reporting all problems with their line and field.
pub fn parse_declaration_csv(text: &str, worksites: &HashSet<String>) -> ParsedCsv {
    let text = text.trim_start_matches('\u{feff}');
    let separator = match text.lines().find(|l| !l.trim().is_empty()) {
        Some(first) if first.contains(';') => ';',
        _ => ',',
    };
    let decimal = if separator == ';' { ',' } else { '.' };
    let mut out = ParsedCsv::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
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
            out.errors.push(LineProblem::new(
                number,
                None,
                ProblemKind::FieldCount {
                    found: fields.len(),
                    separator,
                },
            ));
            continue;
        }
        let mut problem = |field, kind| {
            out.errors.push(LineProblem::new(number, Some(field), kind));
        };
        let mut bad = false;
        let code = fields[0].clone();
        if code.is_empty() {
            problem("worksite_code", ProblemKind::Empty);
            bad = true;
        } else if !worksites.contains(&code) {
            problem("worksite_code", ProblemKind::UnknownWorksite(code.clone()));
            bad = true;
        } else if let Some(first_line) = seen.insert(code.clone(), number) {
            problem(
                "worksite_code",
                ProblemKind::Repeated {
                    code: code.clone(),
                    first_line,
                },
            );
            bad = true;
        }
        let headcount = parse_headcount(&fields[1])
            .map_err(|kind| problem("headcount", kind))
            .ok();
        let wage_bill = parse_amount(&fields[2], decimal)
            .map_err(|kind| problem("wage_bill", kind))
            .ok();
        let bad_weather = match fields.get(3).map(String::as_str).unwrap_or("") {
            "" => Some(Amount::ZERO),
            text => parse_amount(text, decimal)
                .map_err(|kind| problem("bad_weather_base", kind))
                .ok(),
        };
        if let (false, Some(headcount), Some(wage_bill), Some(bad_weather_base)) =
            (bad, headcount, wage_bill, bad_weather)
        {
            out.lines.push(NewDeclarationLine {
                worksite_code: code,
                headcount,
                wage_bill,
                bad_weather_base,
            });
            out.file_lines.push(number);
        }
    }
    if out.errors.is_empty() && out.lines.is_empty() {
        out.errors
            .push(LineProblem::new(0, Some("file"), ProblemKind::NoLines));
    }
    out
}

#[cfg(test)]
mod tests {
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
