//! An employer's write-offs (`/console/employers/{id}/write-offs`, finance staff and
//! administrators): the owed lines outside a bank file, the form that writes some or all
//! of them off (reason required), and the requests above the four-eyes amount waiting for
//! a second member of staff, who approves or refuses them here. Everything goes through
//! [`crate::store::Store::write_off_lines`], `approve_write_off` and `refuse_write_off`,
//! audited as the staff member.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use mandates::Amount;

use super::{actor, actor_words, amount, nav};
use crate::locale::{Lang, page_moment};
use crate::store::{NewWriteOff, StoreError, WriteOffOutcome};
use crate::web::WebState;
use crate::web::i18n::{WriteOffTexts, employer_name, money, refusals};
use crate::web::session::{Chrome, PageResult, Refusal, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/console/employers/{id}/write-offs",
            get(page).post(write_off),
        )
        .route("/console/write-offs/{id}/approve", post(approve))
        .route("/console/write-offs/{id}/refuse", post(refuse))
}

struct LineRow {
    id: i64,
    period: String,
    worksite: String,
    amount: String,
    debit: String,
}

struct RequestRow {
    id: i64,
    requested_at: String,
    requested_by: String,
    amount: String,
    reason: String,
    lines: usize,
}

#[derive(Template)]
#[template(path = "web/console/write_offs.html")]
struct WriteOffsPage {
    c: Chrome,
    t: &'static WriteOffTexts,
    id: i64,
    name: String,
    affiliation: String,
    four_eyes: String,
    lines: Vec<LineRow>,
    requests: Vec<RequestRow>,
    notice: Vec<String>,
    error: Option<String>,
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    status: StatusCode,
    id: i64,
    notice: Vec<String>,
    error: Option<String>,
) -> PageResult {
    let lang = viewer.lang;
    let store = state.store();
    let employer = match store.employer(id).await {
        Ok(employer) => employer,
        Err(StoreError::NotFound { .. }) => return Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => return Err(viewer.fail(err)),
    };
    let four_eyes = store
        .write_off_four_eyes()
        .await
        .map_err(|e| viewer.fail(e))?;
    let lines = store
        .write_off_candidates(id)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|l| LineRow {
            id: l.id,
            period: l.period,
            worksite: l.worksite_code,
            amount: amount(l.total_centimes, lang),
            debit: l.collection_id.map(|c| format!("#{c}")).unwrap_or_default(),
        })
        .collect();
    let pending = store
        .pending_write_offs(id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let who = actor_words(
        store,
        pending.iter().map(|r| r.requested_by.clone()).collect(),
        lang,
    )
    .await;
    let requests = pending
        .into_iter()
        .map(|r| RequestRow {
            id: r.id,
            requested_at: page_moment(&r.requested_at),
            requested_by: format!(
                "{} ({})",
                r.decided_by_name,
                who.get(&r.requested_by).cloned().unwrap_or_default()
            ),
            amount: amount(r.amount_centimes, lang),
            lines: r.lines().len(),
            reason: r.reason,
        })
        .collect();
    let page = WriteOffsPage {
        c: viewer.chrome(nav(viewer, "employers")),
        t: WriteOffTexts::of(lang),
        id,
        name: employer_name(&employer, lang),
        affiliation: employer.affiliation_number.clone(),
        four_eyes: money(four_eyes, lang),
        lines,
        requests,
        notice,
        error,
    };
    viewer.page(status, &page)
}

async fn page(State(state): State<WebState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    viewer.staff()?;
    render(&state, &viewer, StatusCode::OK, id, Vec::new(), None).await
}

/// The value of `key` in a posted form, or "".
fn field<'a>(form: &'a [(String, String)], key: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// What a write-off did, in sentences.
fn describe(outcome: &WriteOffOutcome, lead: &str, lang: Lang) -> Vec<String> {
    let t = WriteOffTexts::of(lang);
    let ids = |ids: &[i64]| {
        ids.iter()
            .map(|id| format!("#{id}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let total = money(Amount::from_centimes(outcome.amount_centimes), lang);
    if outcome.pending_request.is_some() {
        return vec![format!("{} {total}", t.requested)];
    }
    let mut out = vec![format!("{lead} {total}")];
    for (words, list) in [
        (t.debits_reduced, &outcome.debits_reduced),
        (t.debits_cancelled, &outcome.debits_cancelled),
        (t.already, &outcome.already),
    ] {
        if !list.is_empty() {
            out.push(format!("{words} {}", ids(list)));
        }
    }
    out
}

/// The page again after an action: its outcome, or the refusal in the viewer's language.
async fn after(
    state: &WebState,
    viewer: &Viewer,
    id: i64,
    result: Result<Vec<String>, StoreError>,
) -> PageResult {
    match result {
        Ok(notice) => render(state, viewer, StatusCode::OK, id, notice, None).await,
        Err(StoreError::NotFound { .. }) => Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => {
                render(
                    state,
                    viewer,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    id,
                    Vec::new(),
                    Some(message),
                )
                .await
            }
            None => Err(viewer.fail(err)),
        },
    }
}

/// Writes off the lines ticked (`line`, repeated; none: every line listed), with the
/// reason; by the signed-in staff member.
async fn write_off(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(field(&form, "csrf"))?;
    let lines: Option<Vec<i64>> = form
        .iter()
        .filter(|(k, _)| k == "line")
        .map(|(_, v)| v.trim().parse().ok())
        .collect();
    let Some(lines) = lines else {
        return Err(viewer.refuse(Refusal::BadForm));
    };
    let by = if session.user.display_name.trim().is_empty() {
        session.user.email.clone()
    } else {
        session.user.display_name.clone()
    };
    let result = state
        .store()
        .write_off_lines(
            &actor(session),
            NewWriteOff {
                employer_id: id,
                lines,
                reason: field(&form, "reason").to_owned(),
                by,
            },
        )
        .await
        .map(|outcome| {
            describe(
                &outcome,
                WriteOffTexts::of(viewer.lang).written,
                viewer.lang,
            )
        });
    after(&state, &viewer, id, result).await
}

#[derive(serde::Deserialize)]
struct ReviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// What the second member of staff decides on a write-off request.
#[derive(Clone, Copy)]
enum Decision {
    Approve,
    Refuse,
}

async fn approve(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(request): Path<i64>,
    Form(form): Form<ReviewForm>,
) -> PageResult {
    review(&state, &viewer, request, &form, Decision::Approve).await
}

async fn refuse(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(request): Path<i64>,
    Form(form): Form<ReviewForm>,
) -> PageResult {
    review(&state, &viewer, request, &form, Decision::Refuse).await
}

/// Approves or refuses (with the form's reason) a pending write-off `request`, by the
/// signed-in staff member; then its employer's page with the outcome.
async fn review(
    state: &WebState,
    viewer: &Viewer,
    request: i64,
    form: &ReviewForm,
    decision: Decision,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let store = state.store();
    let employer = match store.write_off_request(request).await {
        Ok(r) => r.employer_id,
        Err(StoreError::NotFound { .. }) => return Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => return Err(viewer.fail(err)),
    };
    let t = WriteOffTexts::of(viewer.lang);
    let result = match decision {
        Decision::Approve => store
            .approve_write_off(&actor(session), request)
            .await
            .map(|outcome| describe(&outcome, t.approved, viewer.lang)),
        Decision::Refuse => store
            .refuse_write_off(&actor(session), request, &form.reason)
            .await
            .map(|()| vec![t.refused.to_owned()]),
    };
    after(state, viewer, employer, result).await
}
