//! Provisional assessments for staff (issue 16): `/console/assessments` lists the fund's
//! assessments newest first — employer, period, base, increase, state, day — paged by
//! keyset (`before`, the last id shown), filtered by state (`state`) and by employer
//! (`employer`, the link from an employer's account). Reads only: an assessment is made by
//! the daily job and replaced by the employer's declaration.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use mandates::Amount;
use serde::Deserialize;

use super::{PAGE, nav, paged, query_part};
use crate::locale::statement::rate_words;
use crate::locale::{Lang, Word, employer_name, written_day_of};
use crate::store::AssessmentStatus;
use crate::web::WebState;
use crate::web::i18n::money;
use crate::web::session::{Chrome, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/console/assessments", get(list))
}

/// The page's words, French then Arabic.
pub(super) struct Texts {
    pub title: &'static str,
    hint: &'static str,
    state: &'static str,
    all: &'static str,
    show: &'static str,
    employer: &'static str,
    period: &'static str,
    base: &'static str,
    increase: &'static str,
    day: &'static str,
    none: &'static str,
    next: &'static str,
    first: &'static str,
    only_employer: &'static str,
    every_employer: &'static str,
}

const FR: Texts = Texts {
    title: "Taxations provisoires",
    hint: "Une déclaration manquante après son délai est taxée d'office : la base est la dernière déclaration de l'employeur, majorée selon la règle confirmée. Elle n'est pas prélevée ; la déclaration de la période la remplace.",
    state: "État",
    all: "Tous",
    show: "Afficher",
    employer: "Employeur",
    period: "Période",
    base: "Base",
    increase: "Majoration",
    day: "Date",
    none: "Aucune taxation provisoire.",
    next: "Page suivante",
    first: "Première page",
    only_employer: "Les taxations d'un seul employeur.",
    every_employer: "Tous les employeurs",
};

const AR: Texts = Texts {
    title: "التقديرات المؤقتة",
    hint: "يُفرض تقدير تلقائي على كل تصريح ناقص بعد أجله: الأساس هو آخر تصريح للمستخدِم مضافاً إليه زيادة حسب القاعدة المؤكدة. لا يُقتطع، ويحل محله تصريح الفترة.",
    state: "الحالة",
    all: "الكل",
    show: "عرض",
    employer: "المستخدِم",
    period: "الفترة",
    base: "الأساس",
    increase: "الزيادة",
    day: "التاريخ",
    none: "لا توجد تقديرات مؤقتة.",
    next: "الصفحة التالية",
    first: "الصفحة الأولى",
    only_employer: "تقديرات مستخدِم واحد.",
    every_employer: "كل المستخدِمين",
};

pub(super) fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Fr => &FR,
        Lang::Ar => &AR,
    }
}

struct Row {
    id: i64,
    employer_id: i64,
    employer: String,
    affiliation: String,
    period: String,
    base: String,
    increase: String,
    rate: String,
    state: &'static str,
    /// `warn` while assessed (owed), none once replaced.
    tone: &'static str,
    /// The day assessed, or the day replaced.
    day: String,
}

#[derive(Template)]
#[template(path = "web/console/assessments.html")]
struct ListPage {
    c: Chrome,
    t: &'static Texts,
    rows: Vec<Row>,
    /// (code, word, chosen) of the state filter; the empty code is every state.
    states: Vec<(&'static str, &'static str, bool)>,
    employer: Option<i64>,
    next: Option<String>,
    first: Option<String>,
}

#[derive(Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    employer: Option<i64>,
    #[serde(default)]
    before: Option<i64>,
}

async fn list(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> PageResult {
    viewer.staff()?;
    let lang = viewer.lang;
    // An unknown state (a hand-edited address) shows every state rather than an error.
    let status = AssessmentStatus::parse(query.state.trim()).ok();
    let employer = query.employer.filter(|id| *id > 0);
    let found = state
        .store()
        .assessments_page(status, employer, query.before, PAGE + 1)
        .await
        .map_err(|e| viewer.fail(e))?;
    let (found, next_before) = paged(found, PAGE, |a| a.assessment.id);
    let filters = |before: Option<i64>| {
        let mut parts = Vec::new();
        if let Some(status) = status {
            parts.push(format!("state={}", status.as_str()));
        }
        if let Some(employer) = employer {
            parts.push(format!("employer={employer}"));
        }
        if let Some(before) = before {
            parts.push(format!("before={before}"));
        }
        if parts.is_empty() {
            "/console/assessments".to_owned()
        } else {
            format!("/console/assessments?{}", query_part_join(&parts))
        }
    };
    let rows = found
        .into_iter()
        .map(|f| {
            let a = f.assessment;
            let replaced = a.status == AssessmentStatus::Replaced;
            Row {
                id: a.id,
                employer_id: a.employer_id,
                employer: employer_name(lang, &f.employer_name, f.employer_name_ar.as_deref())
                    .to_owned(),
                affiliation: f.affiliation_number,
                period: a.period,
                base: money(Amount::from_centimes(a.base_centimes), lang),
                increase: money(Amount::from_centimes(a.increase_centimes), lang),
                rate: rate_words(a.rate_bp),
                state: a.status.word(lang),
                tone: if replaced { "" } else { "warn" },
                day: written_day_of(if replaced {
                    a.replaced_on.as_deref().unwrap_or(&a.assessed_on)
                } else {
                    &a.assessed_on
                }),
            }
        })
        .collect();
    let t = texts(lang);
    let mut states = vec![("", t.all, status.is_none())];
    states.extend(
        AssessmentStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.word(lang), status == Some(*s))),
    );
    let page = ListPage {
        c: viewer.chrome(nav(&viewer, "assessments")),
        t,
        rows,
        states,
        employer,
        next: next_before.map(|before| filters(Some(before))),
        first: query.before.map(|_| filters(None)),
    };
    viewer.page(StatusCode::OK, &page)
}

/// The parts of a query joined, each value percent-encoded.
fn query_part_join(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| match p.split_once('=') {
            Some((key, value)) => format!("{key}={}", query_part(value)),
            None => query_part(p),
        })
        .collect::<Vec<_>>()
        .join("&")
}
