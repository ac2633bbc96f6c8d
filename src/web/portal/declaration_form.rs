//! The online declaration form: for one period, one row per worksite of the employer
//! (headcount, wage bill, bad-weather base — the CSV's fields, read by the same parsers),
//! without JavaScript. A period already declared and still correctable comes prefilled;
//! past the cut-off (planned into a debit) it is shown read-only with the reason. A
//! submission is checked whole — every row's problems at once, in the page's language,
//! nothing recorded, the typed values kept — then goes through the store's
//! [`submit_or_correct_declaration`](crate::store::Store::submit_or_correct_declaration),
//! the path of the CSV upload and the API, so the rules live in one place.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use chrono::Datelike;
use mandates::Amount;
use serde::Deserialize;

use super::{
    check_period, conflict_message, employer_for, locked_text, nav, parse_amount, parse_headcount,
};
use crate::period::Period;
use crate::store::{
    Actor, Employer, LineProblem, NewDeclaration, NewDeclarationLine, ProblemKind, Session,
    StoreError,
};
use crate::web::WebState;
use crate::web::i18n::{DeclarationTexts, PageTexts, Place, money, refusals};
use crate::web::session::{Chrome, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new().route(
        "/portal/{employer}/declarations/form",
        get(form_page).post(submit_form),
    )
}

/// The period before the one `today` is in, of the employer's kind: the usual one to declare.
fn previous_period(period_kind: &str, today: chrono::NaiveDate) -> Period {
    let (year, month) = (today.year(), today.month());
    if period_kind == "quarterly" {
        match (month - 1) / 3 + 1 {
            1 => Period::Quarter {
                year: year - 1,
                quarter: 4,
            },
            q => Period::Quarter {
                year,
                quarter: q - 1,
            },
        }
    } else if month == 1 {
        Period::Month {
            year: year - 1,
            month: 12,
        }
    } else {
        Period::Month {
            year,
            month: month - 1,
        }
    }
}

struct FormRow {
    index: usize,
    code: String,
    name: String,
    headcount: String,
    wage_bill: String,
    bad_weather_base: String,
    /// This row's problems, in the page's language (field, then what is wrong).
    errors: Vec<String>,
    /// The fields with a problem (marked `aria-invalid`).
    bad_fields: Vec<&'static str>,
    /// The contributions computed for the declared line, formatted; empty when not declared.
    amount: String,
}

impl FormRow {
    fn invalid(&self, field: &str) -> bool {
        self.bad_fields.contains(&field)
    }
}

#[derive(Template)]
#[template(path = "web/portal/declaration_form.html")]
struct FormPage {
    c: Chrome,
    d: &'static DeclarationTexts,
    employer_id: i64,
    /// The period as typed (or the canonical form once read).
    period: String,
    /// The period could be read: the rows are shown.
    period_ok: bool,
    rows: Vec<FormRow>,
    errors: Vec<String>,
    /// The errors are fields to correct (not a refusal of the whole declaration).
    field_errors: bool,
    /// Past the cut-off: why the declaration is read-only.
    locked: Option<String>,
    /// The rows show a recorded declaration.
    declared: bool,
    total: Option<String>,
    warnings: Vec<String>,
    notice: Option<&'static str>,
}

/// What the person typed, to show again with the problems of each row.
#[derive(Default)]
struct Typed {
    values: HashMap<String, [String; 3]>,
    problems: HashMap<String, Vec<(Option<&'static str>, String)>>,
}

struct View<'a> {
    session: &'a Session,
    employer: &'a Employer,
    period_text: String,
    period: Option<Period>,
    typed: Option<Typed>,
    status: StatusCode,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

async fn render(state: &WebState, viewer: &Viewer, view: View<'_>) -> PageResult {
    let store = state.store();
    let lang = viewer.lang;
    let d = lang.declarations();
    let employer_id = view.employer.id;
    let field_errors = view.typed.is_some() && view.status == StatusCode::UNPROCESSABLE_ENTITY;
    let mut rows = Vec::new();
    let mut locked = None;
    let mut declared = false;
    let mut total = None;
    let mut warnings = Vec::new();
    if let Some(period) = &view.period {
        let worksites = store
            .list_worksites(employer_id)
            .await
            .map_err(|e| viewer.fail(e))?;
        let declaration = store
            .declaration_for_period(employer_id, &period.to_string())
            .await
            .map_err(|e| viewer.fail(e))?;
        if let Some(declaration) = &declaration
            && let Some(date) = store
                .declaration_locked_by(declaration.id)
                .await
                .map_err(|e| viewer.fail(e))?
        {
            locked = Some(locked_text(lang, period, &date));
        }
        // Typed values are shown back unless the declaration is locked (then: what is recorded).
        let typed = view.typed.filter(|_| locked.is_none());
        if let (Some(declaration), None) = (&declaration, &typed) {
            declared = true;
            total = Some(money(declaration.total, lang));
            if locked.is_none() {
                let history = store
                    .declared_history(employer_id)
                    .await
                    .map_err(|e| viewer.fail(e))?;
                warnings = crate::store::plausibility(&history, &declaration.period)
                    .into_iter()
                    .map(|w| {
                        d.plausibility_line
                            .replace("{worksite}", &w.worksite_code)
                            .replace("{period}", &w.period)
                            .replace("{amount}", &money(w.amount, lang))
                            .replace("{average}", &money(w.previous_average, lang))
                            .replace("{count}", &w.previous_periods.to_string())
                    })
                    .collect();
            }
        }
        for (index, worksite) in worksites.into_iter().enumerate() {
            let mut row = FormRow {
                index,
                code: worksite.code.clone(),
                name: worksite.name.clone(),
                headcount: String::new(),
                wage_bill: String::new(),
                bad_weather_base: String::new(),
                errors: Vec::new(),
                bad_fields: Vec::new(),
                amount: String::new(),
            };
            if let Some(typed) = &typed {
                if let Some([h, w, b]) = typed.values.get(&worksite.code) {
                    row.headcount = h.clone();
                    row.wage_bill = w.clone();
                    row.bad_weather_base = b.clone();
                }
                for (field, message) in typed.problems.get(&worksite.code).into_iter().flatten() {
                    row.errors.push(message.clone());
                    if let Some(field) = field {
                        row.bad_fields.push(field);
                    }
                }
            } else if let Some(line) = declaration
                .as_ref()
                .and_then(|d| d.lines.iter().find(|l| l.worksite_id == worksite.id))
            {
                row.headcount = line.headcount.to_string();
                row.wage_bill = line.wage_bill.to_string();
                row.bad_weather_base = line.bad_weather_base.to_string();
                row.amount = money(line.total, lang);
            }
            if locked.is_some() && row.headcount.is_empty() {
                continue;
            }
            rows.push(row);
        }
    }
    let page = FormPage {
        c: viewer.chrome(nav(viewer, view.session, employer_id, "declarations")),
        d,
        employer_id,
        period: view
            .period
            .map(|p| p.to_string())
            .unwrap_or(view.period_text),
        period_ok: view.period.is_some(),
        rows,
        field_errors,
        errors: view.errors,
        locked,
        declared,
        total,
        warnings,
        notice: view.notice,
    };
    viewer.page(view.status, &page)
}

#[derive(Deserialize)]
struct FormQuery {
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

async fn form_page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(query): Query<FormQuery>,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
    let period_text = query
        .period
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| {
            previous_period(
                employer.period_kind.as_str(),
                crate::locale::today_in_algiers(chrono::Utc::now()),
            )
            .to_string()
        });
    let notice = match query.done.as_deref() {
        Some("recorded") => Some(viewer.texts().declaration_recorded),
        Some("corrected") => Some(viewer.lang.declarations().declaration_corrected),
        _ => None,
    };
    let (period, status, errors) = match check_period(&employer, &period_text, viewer.lang) {
        Ok(period) => (Some(period), StatusCode::OK, Vec::new()),
        Err(message) => (None, StatusCode::UNPROCESSABLE_ENTITY, vec![message]),
    };
    render(
        &state,
        &viewer,
        View {
            session: &session,
            employer: &employer,
            period_text,
            period,
            typed: None,
            status,
            errors,
            notice,
        },
    )
    .await
}

/// A row as posted: `code.N`, `headcount.N`, `wage_bill.N`, `bad_weather_base.N`.
#[derive(Default)]
struct PostedRow {
    code: String,
    headcount: String,
    wage_bill: String,
    bad_weather_base: String,
}

async fn submit_form(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    viewer.check_csrf(field("csrf"))?;
    let lang = viewer.lang;
    let d = lang.declarations();
    let period_text = field("period").trim().to_owned();
    let view = |period, typed, status, errors| View {
        session: &session,
        employer: &employer,
        period_text: period_text.clone(),
        period,
        typed,
        status,
        errors,
        notice: None,
    };
    let period = match check_period(&employer, &period_text, lang) {
        Ok(period) => period,
        Err(message) => {
            let page = view(None, None, StatusCode::UNPROCESSABLE_ENTITY, vec![message]);
            return render(&state, &viewer, page).await;
        }
    };
    // Past the cut-off nothing typed matters: say why straight away (the store refuses too).
    if let Some(message) = conflict_message(&state, employer_id, &period, lang).await {
        let page = view(Some(period), None, StatusCode::CONFLICT, vec![message]);
        return render(&state, &viewer, page).await;
    }

    let mut posted: Vec<(usize, PostedRow)> = Vec::new();
    let mut by_index: HashMap<usize, usize> = HashMap::new();
    for (key, value) in &fields {
        let Some((name, index)) = key.split_once('.') else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        let slot = *by_index.entry(index).or_insert_with(|| {
            posted.push((index, PostedRow::default()));
            posted.len() - 1
        });
        let row = &mut posted[slot].1;
        match name {
            "code" => row.code = value.trim().to_owned(),
            "headcount" => row.headcount = value.trim().to_owned(),
            "wage_bill" => row.wage_bill = value.trim().to_owned(),
            "bad_weather_base" => row.bad_weather_base = value.trim().to_owned(),
            _ => {}
        }
    }
    posted.sort_by_key(|(index, _)| *index);

    let worksites: HashSet<String> = state
        .store()
        .list_worksites(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|w| w.code)
        .collect();
    let mut typed = Typed::default();
    // Problems are numbered by row (1 = the first row posted); `row_codes` names them.
    let row_codes: Vec<String> = posted.iter().map(|(_, r)| r.code.clone()).collect();
    let mut problems: Vec<LineProblem> = Vec::new();
    let mut lines = Vec::new();
    let mut line_codes = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (position, (_, row)) in posted.iter().enumerate() {
        let number = position + 1;
        typed.values.insert(
            row.code.clone(),
            [
                row.headcount.clone(),
                row.wage_bill.clone(),
                row.bad_weather_base.clone(),
            ],
        );
        if row.headcount.is_empty() && row.wage_bill.is_empty() && row.bad_weather_base.is_empty() {
            // A worksite left blank is not declared this period.
            continue;
        }
        let before = problems.len();
        let mut problem = |field, kind| problems.push(LineProblem::new(number, Some(field), kind));
        if !worksites.contains(&row.code) {
            problem(
                "worksite_code",
                ProblemKind::UnknownWorksite(row.code.clone()),
            );
        } else if let Some(first_line) = seen.insert(row.code.as_str(), number) {
            problem(
                "worksite_code",
                ProblemKind::Repeated {
                    code: row.code.clone(),
                    first_line,
                },
            );
        }
        let headcount = match row.headcount.as_str() {
            "" => Err(ProblemKind::Empty),
            text => parse_headcount(text),
        }
        .map_err(|kind| problem("headcount", kind))
        .ok();
        let wage_bill = match row.wage_bill.as_str() {
            "" => Err(ProblemKind::Empty),
            text => parse_amount(text, ','),
        }
        .map_err(|kind| problem("wage_bill", kind))
        .ok();
        let bad_weather_base = match row.bad_weather_base.as_str() {
            "" => Ok(Amount::ZERO),
            text => parse_amount(text, ','),
        }
        .map_err(|kind| problem("bad_weather_base", kind))
        .ok();
        if let (true, Some(headcount), Some(wage_bill), Some(bad_weather_base)) = (
            problems.len() == before,
            headcount,
            wage_bill,
            bad_weather_base,
        ) {
            lines.push(NewDeclarationLine {
                worksite_code: row.code.clone(),
                headcount,
                wage_bill,
                bad_weather_base,
            });
            line_codes.push(row.code.clone());
        }
    }
    let refuse = |typed: Typed, problems: &[LineProblem], place: &Place<'_>, codes: &[String]| {
        let mut typed = typed;
        let mut errors = Vec::with_capacity(problems.len());
        for problem in problems {
            errors.push(d.problem(place, problem));
            let code = problem
                .line
                .checked_sub(1)
                .and_then(|i| codes.get(i))
                .cloned()
                .unwrap_or_default();
            let short = match problem.field {
                Some(field) => format!(
                    "{}{}{}",
                    d.field(field),
                    d.colon,
                    d.problem_text(place, &problem.kind)
                ),
                _ => d.problem_text(place, &problem.kind),
            };
            typed
                .problems
                .entry(code)
                .or_default()
                .push((problem.field, short));
        }
        (typed, errors)
    };
    if problems.is_empty() && lines.is_empty() {
        let page = view(
            Some(period),
            Some(typed),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![d.no_lines.to_owned()],
        );
        return render(&state, &viewer, page).await;
    }
    if !problems.is_empty() {
        let (typed, errors) = refuse(typed, &problems, &Place::Form(&row_codes), &row_codes);
        let page = view(
            Some(period),
            Some(typed),
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
        );
        return render(&state, &viewer, page).await;
    }

    let actor = Actor::new(format!("user:{}", session.user.id));
    let new = NewDeclaration {
        period: period.to_string(),
        lines,
    };
    match state
        .store()
        .submit_or_correct_declaration(&actor, employer_id, new)
        .await
    {
        Ok((_, corrected)) => Ok(see_other(&format!(
            "/portal/{employer_id}/declarations/form?period={period}&done={}",
            if corrected { "corrected" } else { "recorded" }
        ))),
        Err(StoreError::Conflict(message)) => {
            let message = conflict_message(&state, employer_id, &period, lang)
                .await
                .unwrap_or_else(|| format!("{} ({message})", refusals::generic_lead(lang)));
            let page = view(Some(period), None, StatusCode::CONFLICT, vec![message]);
            render(&state, &viewer, page).await
        }
        Err(StoreError::InvalidLines(problems)) => {
            let (typed, errors) = refuse(typed, &problems, &Place::Form(&line_codes), &line_codes);
            let page = view(
                Some(period),
                Some(typed),
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            );
            render(&state, &viewer, page).await
        }
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => {
                let page = view(
                    Some(period),
                    Some(typed),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    vec![message],
                );
                render(&state, &viewer, page).await
            }
            None => Err(viewer.fail(err)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_form_opens_on_the_period_just_ended() {
        assert_eq!(
            previous_period("monthly", day(2026, 11, 3)).to_string(),
            "2026-10"
        );
        assert_eq!(
            previous_period("monthly", day(2026, 1, 31)).to_string(),
            "2025-12"
        );
        assert_eq!(
            previous_period("quarterly", day(2026, 5, 1)).to_string(),
            "2026-Q1"
        );
        assert_eq!(
            previous_period("quarterly", day(2026, 2, 1)).to_string(),
            "2025-Q4"
        );
    }
}
