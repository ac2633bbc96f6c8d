//! The incoming credits waiting for staff (`/console/credits`): transfers on the fund's
//! statement whose remittance information named no employer, oldest first, each with its
//! amount, booking date, payer's name, remittance text and masked account, and two forms —
//! allocate it to an employer by affiliation number (recorded as that employer's payment:
//! [`crate::store::Store::allocate_incoming_credit`]) or set it aside as not for the fund
//! with the reason. Both audited as the staff member; POST, then a redirect to the list.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::{actor, nav};
use crate::store::StoreError;
use crate::web::WebState;
use crate::web::i18n::{CreditTexts, money, refusals};
use crate::web::session::{Chrome, PageResult, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/credits", get(credits))
        .route("/console/credits/{id}/allocate", post(allocate))
        .route("/console/credits/{id}/dismiss", post(dismiss))
}

/// Waiting credits shown (oldest first).
const CREDITS_SHOWN: i64 = 200;

struct CreditRow {
    id: i64,
    amount: String,
    date: String,
    payer: String,
    remittance: String,
    account: String,
    reference: String,
    /// Why the import left it although it names an employer.
    why: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "web/console/credits.html")]
struct CreditsPage {
    c: Chrome,
    k: &'static CreditTexts,
    rows: Vec<CreditRow>,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct CreditsQuery {
    done: Option<String>,
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> PageResult {
    let lang = viewer.lang;
    let k = CreditTexts::of(lang);
    let waiting = state
        .store()
        .waiting_credits(CREDITS_SHOWN)
        .await
        .map_err(|e| viewer.fail(e))?;
    let rows = waiting
        .into_iter()
        .map(|w| CreditRow {
            id: w.id,
            amount: match w.amount {
                Some(amount) => money(amount, lang),
                // As the bank wrote it (another currency, or not a whole number of
                // centimes); the dinar still spelled as the reader's language spells it.
                None => match w.currency.as_deref() {
                    Some(c) if c.trim().eq_ignore_ascii_case("DZD") => {
                        format!("{} {}", w.amount_text, crate::locale::currency(lang))
                    }
                    other => format!("{} {}", w.amount_text, other.unwrap_or_default()),
                },
            },
            date: w.booked_on.unwrap_or_default(),
            payer: w.debtor_name.unwrap_or_default(),
            remittance: w.remittance.unwrap_or_default(),
            account: w.account_masked.unwrap_or_default(),
            reference: w.entry_reference.unwrap_or_default(),
            why: match w.waiting_reason.as_deref() {
                Some(crate::store::WAITING_TRANSFER_RECORDED) => Some(k.transfer_recorded),
                Some(crate::store::WAITING_POSSIBLE_REPEAT) => Some(k.possible_repeat),
                _ => None,
            },
        })
        .collect();
    let page = CreditsPage {
        c: viewer.chrome(nav(viewer, "credits")),
        k,
        rows,
        notice,
        error,
    };
    viewer.page(status, &page)
}

async fn credits(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<CreditsQuery>,
) -> PageResult {
    viewer.staff()?;
    let k = CreditTexts::of(viewer.lang);
    let notice = match query.done.as_deref() {
        Some("allocated") => Some(k.allocated),
        Some("dismissed") => Some(k.dismissed),
        _ => None,
    };
    render(&state, &viewer, StatusCode::OK, notice, None).await
}

#[derive(Deserialize)]
struct AllocateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    affiliation: String,
}

#[derive(Deserialize)]
struct DismissForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// A refusal shown on the list (422); anything else is the page's failure.
async fn refused(state: &WebState, viewer: &Viewer, err: StoreError) -> PageResult {
    let message = match &err {
        StoreError::NotFound { entity, .. } if entity.starts_with("employer") => {
            CreditTexts::of(viewer.lang).unknown_employer.to_owned()
        }
        _ => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => message,
            None => return Err(viewer.fail(err)),
        },
    };
    render(
        state,
        viewer,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        Some(message),
    )
    .await
}

async fn allocate(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<AllocateForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    match state
        .store()
        .allocate_incoming_credit(&actor(session), id, &form.affiliation)
        .await
    {
        Ok(_) => Ok(see_other("/console/credits?done=allocated")),
        Err(err) => refused(&state, &viewer, err).await,
    }
}

async fn dismiss(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<DismissForm>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    match state
        .store()
        .dismiss_incoming_credit(&actor(session), id, &form.reason)
        .await
    {
        Ok(()) => Ok(see_other("/console/credits?done=dismissed")),
        Err(err) => refused(&state, &viewer, err).await,
    }
}
