//! The jobs page: the scheduler's queue counted by state, and the jobs that failed for
//! good — kind, key, attempts, last error (scrubbed by the store), when — each with a
//! *Retry* button that puts it back in the queue, audited as the staff member.
//!
//! The words of a job's kind are here, beside the one page that shows them: the kinds are
//! the cycle's ([`JobKind`]) and `locale` sits below the cycle.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{actor, nav};
use crate::cycle::jobs::JobKind;
use crate::cycle::scheduler::QueuePolicy;
use crate::locale::{Lang, Word, page_time, stored_algiers_time};
use crate::store::JobStatus;
use crate::web::WebState;
use crate::web::i18n::{ConsoleTexts, PageTexts, refusals};
use crate::web::session::{Chrome, CsrfForm, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/jobs", get(jobs))
        .route("/console/jobs/{id}/retry", post(retry))
}

impl Word for JobKind {
    fn word(self, lang: Lang) -> &'static str {
        let (fr, ar) = match self {
            JobKind::Plan => (
                "Planification d'une date de prélèvement",
                "برمجة تاريخ اقتطاع",
            ),
            JobKind::Run => (
                "Remise des fichiers d'une date",
                "إعداد ملفات تاريخ الاقتطاع",
            ),
            JobKind::Settle => (
                "Règlement des prélèvements échus",
                "تسوية الاقتطاعات المستحقة",
            ),
            JobKind::Summary => ("Bilan de la journée écoulée", "حصيلة اليوم المنقضي"),
            JobKind::Surcharges => ("Calcul des majorations de retard", "حساب زيادات التأخير"),
        };
        lang.pick(fr, ar)
    }
}

/// Failed jobs listed (the latest first); the count above says how many there are.
const FAILED_SHOWN: i64 = 100;

struct CountRow {
    code: &'static str,
    status: &'static str,
    count: i64,
}

struct FailedRow {
    id: i64,
    kind: String,
    key: String,
    attempts: i64,
    error: String,
    failed_at: String,
}

#[derive(Template)]
#[template(path = "web/console/jobs.html")]
struct JobsPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    hint: String,
    counts: Vec<CountRow>,
    rows: Vec<FailedRow>,
    /// More jobs failed than the list shows.
    more: bool,
    notice: Option<String>,
    error: Option<String>,
}

/// `?retried=ID` after a retry.
#[derive(Deserialize)]
struct JobsQuery {
    retried: Option<String>,
}

async fn render_jobs(
    state: &WebState,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    let store = state.store();
    let fail = |e| viewer.fail(e);
    let (counts, failed) =
        tokio::try_join!(async { store.job_counts().await.map_err(fail) }, async {
            store.failed_jobs(FAILED_SHOWN).await.map_err(fail)
        },)?;
    let k = viewer.lang.console();
    let policy = QueuePolicy::default();
    let counts = JobStatus::ALL
        .into_iter()
        .map(|status| CountRow {
            code: status.as_str(),
            status: status.word(viewer.lang),
            count: counts
                .iter()
                .filter(|c| c.status == status)
                .map(|c| c.count)
                .sum(),
        })
        .collect::<Vec<_>>();
    let failed_count = counts
        .iter()
        .find(|c| c.code == JobStatus::Failed.as_str())
        .map_or(0, |c| c.count);
    let rows = failed
        .into_iter()
        .map(|job| FailedRow {
            id: job.id,
            kind: match JobKind::parse(&job.kind) {
                Ok(kind) => kind.word(viewer.lang).to_owned(),
                Err(_) => format!("{} ({})", k.unknown_job_kind, job.kind),
            },
            key: job.dedupe_key,
            attempts: job.attempts,
            error: job.last_error.unwrap_or_default(),
            failed_at: job
                .finished_at
                .map(|at| stored_algiers_time(&at).map_or(at, page_time))
                .unwrap_or_default(),
        })
        .collect::<Vec<_>>();
    let page = JobsPage {
        c: viewer.chrome(nav(viewer, "jobs")),
        k,
        hint: k.jobs_hint(policy.retry_in.num_minutes(), policy.max_attempts),
        more: failed_count > rows.len() as i64,
        counts,
        rows,
        notice,
        error,
    };
    viewer.page(status, &page)
}

async fn jobs(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<JobsQuery>,
) -> PageResult {
    viewer.staff()?;
    let notice = query
        .retried
        .and_then(|id| id.parse::<i64>().ok())
        .map(|id| viewer.lang.console().job_retried(id));
    render_jobs(&state, &viewer, StatusCode::OK, notice, None).await
}

async fn retry(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    match state.store().retry_job(&actor(session), id).await {
        Ok(_) => Ok(see_other(&format!("/console/jobs?retried={id}"))),
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => {
                render_jobs(
                    &state,
                    &viewer,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    Some(message),
                )
                .await
            }
            None => Err(viewer.fail(err)),
        },
    }
}
