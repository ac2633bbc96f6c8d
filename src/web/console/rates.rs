//! Dated contribution rates: staff see them (which are in force today), administrators
//! add one (scheme, rate, first day, source); declarations then use the rate in force at
//! the start of their period.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use mandates::{Rate, Scheme};
use serde::Deserialize;

use super::{PageQuery, actor, admin, form_date, is_admin, nav};
use crate::locale::Lang;
use crate::store::NewRate;
use crate::web::WebState;
use crate::web::i18n::{ConsoleTexts, PageTexts, refusals};
use crate::web::session::{Chrome, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/console/rates", get(rates).post(add_rate))
}

struct RateRow {
    scheme: &'static str,
    rate: String,
    valid_from: String,
    valid_to: String,
    source: String,
    in_force: bool,
}

#[derive(Template)]
#[template(path = "web/console/rates.html")]
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
    let today = state.store().clock().today().to_string();
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
        .add_contribution_rate(&actor(session), &new, state.store().clock().today())
        .await
    {
        Ok(_) => Ok(see_other("/console/rates?added=1")),
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
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
