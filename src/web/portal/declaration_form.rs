//! The online declaration form: for one period, one row per worksite of the employer
//! (headcount, wage bill, bad-weather base — the CSV's fields, read by the same parsers),
//! without JavaScript. A period already declared and still correctable comes prefilled;
//! past the cut-off (planned into a debit) it is shown read-only with the reason. A
//! submission is checked whole by the declaration rules (`mandates::declaration`) — every
//! row's problems at once, in the page's language, nothing recorded, the typed values
//! kept — then goes through the store's
//! [`submit_or_correct_declaration`](crate::store::Store::submit_or_correct_declaration),
//! the path of the CSV upload and the API.

use crate::store::Duty;
use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use mandates::declaration::{LineInput, line_problems, merge_problems, plausibility};
use mandates::{LineProblem, Period};
use serde::Deserialize;

use super::{
    Blank, PeriodChoice, Submission, check_period, conflict_message, employer_to, locked_text, nav,
    period_choices, read_figures, submit_declaration,
};
use crate::store::{Employer, NewDeclaration, Session};
use crate::web::WebState;
use crate::web::i18n::{DeclarationTexts, PageTexts, Place, money};
use crate::web::session::{Chrome, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new().route(
        "/portal/{employer}/declarations/form",
        get(form_page).post(submit_form),
    )
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
    /// The picker's periods: those open to declaration (and the one shown).
    periods: Vec<PeriodChoice>,
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
                warnings = plausibility(&history, &declaration.period)
                    .iter()
                    .map(|w| d.plausibility(w, lang))
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
    let periods = period_choices(state, viewer, view.employer, view.period).await?;
    let page = FormPage {
        c: viewer.chrome(nav(viewer, view.session, employer_id, "declarations")),
        periods,
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
    let (session, employer) = employer_to(&state, &viewer, employer_id, Duty::Declare).await?;
    let period_text = query
        .period
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| {
            // The period just ended: the usual one to declare.
            Period::containing(employer.period_kind, state.store().clock().today())
                .previous()
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
    let (session, employer) = employer_to(&state, &viewer, employer_id, Duty::Declare).await?;
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

    let worksites = state
        .store()
        .worksite_codes(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let mut typed = Typed::default();
    // Problems are numbered by row (1 = the first row posted); `row_codes` names them.
    let row_codes: Vec<String> = posted.iter().map(|(_, r)| r.code.clone()).collect();
    let mut reading: Vec<LineProblem> = Vec::new();
    let mut inputs = Vec::new();
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
        let mut input = LineInput::new(number);
        input.worksite_code = Some(row.code.clone());
        let figures = [
            row.headcount.as_str(),
            row.wage_bill.as_str(),
            row.bad_weather_base.as_str(),
        ];
        read_figures(&mut input, figures, ',', Blank::Empty, &mut reading);
        inputs.push(input);
    }
    let problems = merge_problems(reading, line_problems(&worksites, &inputs));
    let refuse = |typed: Typed, problems: &[LineProblem], place: &Place<'_>, codes: &[String]| {
        let mut typed = typed;
        let mut errors = Vec::with_capacity(problems.len());
        for problem in problems {
            errors.push(d.problem(place, problem));
            // Shown on its row too, unless it is the whole declaration's.
            let Some(code) = problem.line.checked_sub(1).and_then(|i| codes.get(i)) else {
                continue;
            };
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
                .entry(code.clone())
                .or_default()
                .push((problem.field, short));
        }
        (typed, errors)
    };
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
    let lines: Vec<_> = inputs.iter().filter_map(LineInput::complete).collect();
    let line_codes: Vec<String> = lines.iter().map(|l| l.worksite_code.clone()).collect();

    match submit_declaration(
        &state,
        &viewer,
        &session,
        employer_id,
        NewDeclaration { period, lines },
    )
    .await?
    {
        Submission::Recorded(corrected) => Ok(see_other(&format!(
            "/portal/{employer_id}/declarations/form?period={period}&done={}",
            if corrected { "corrected" } else { "recorded" }
        ))),
        Submission::Locked(message) => {
            let page = view(Some(period), None, StatusCode::CONFLICT, vec![message]);
            render(&state, &viewer, page).await
        }
        Submission::Lines(problems) => {
            let (typed, errors) = refuse(typed, &problems, &Place::Form(&line_codes), &line_codes);
            let page = view(
                Some(period),
                Some(typed),
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            );
            render(&state, &viewer, page).await
        }
        Submission::Refused(message) => {
            let page = view(
                Some(period),
                Some(typed),
                StatusCode::UNPROCESSABLE_ENTITY,
                vec![message],
            );
            render(&state, &viewer, page).await
        }
    }
}
