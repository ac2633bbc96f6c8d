//! Revoking a mandate, on a page of its own (issue 20): what it means, what stays owed,
//! which planned debits will not be presented, a reason to choose, and a destructive
//! button apart from everything else — never one click beside "check the account".

use crate::store::Duty;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use mandates::{Amount, CollectionStatus, MandateStatus};
use serde::Deserialize;

use super::{employer_to, nav};
use crate::locale::Word;
use crate::store::{Actor, Employer, LineState, MandateRecord, Session};
use crate::web::WebState;
use crate::web::i18n::{ScreenTexts, money, refusals};
use crate::web::session::{Chrome, PageError, PageResult, Refusal, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new().route(
        "/portal/{employer}/mandate/{mandate}/revoke",
        get(revoke_page).post(revoke),
    )
}

struct PlannedRow {
    date: String,
    amount: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "web/portal/revoke.html")]
struct RevokePage {
    c: Chrome,
    s: &'static ScreenTexts,
    employer_id: i64,
    mandate_id: i64,
    reference: String,
    bank: String,
    account: String,
    /// What stays owed (empty: nothing).
    owed: String,
    planned: Vec<PlannedRow>,
    /// Debits already sent to the bank: they will still be debited.
    in_bank: Vec<PlannedRow>,
    reasons: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

/// The employer's mandate `mandate_id`; another employer's is "not found".
async fn own_mandate(
    state: &WebState,
    viewer: &Viewer,
    employer_id: i64,
    mandate_id: i64,
) -> Result<MandateRecord, PageError> {
    match state.store().mandate(mandate_id).await {
        Ok(m) if m.employer_id == employer_id => Ok(m),
        Ok(_) => Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => Err(viewer.fail(err)),
    }
}

async fn render(
    state: &WebState,
    viewer: &Viewer,
    session: &Session,
    employer: &Employer,
    mandate: MandateRecord,
    status: StatusCode,
    error: Option<String>,
) -> PageResult {
    let store = state.store();
    let lang = viewer.lang;
    let owed_lines = store
        .list_declarations(employer.id)
        .await
        .map_err(|e| viewer.fail(e))?
        .iter()
        .flat_map(|d| &d.lines)
        .filter(|line| {
            matches!(
                line.status,
                LineState::Submitted | LineState::Scheduled | LineState::Unpaid
            )
        })
        .try_fold(Amount::ZERO, |sum, line| sum.checked_add(line.total))
        .unwrap_or(Amount::ZERO);
    let collections = store
        .employer_collections(employer.id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let rows = |status: CollectionStatus| -> Vec<PlannedRow> {
        collections
            .iter()
            .filter(|c| c.status == status)
            .map(|c| PlannedRow {
                date: c.collection_date.clone(),
                amount: money(Amount::from_centimes(c.amount_centimes), lang),
                status: c.status.word(lang),
            })
            .collect()
    };
    let planned = rows(CollectionStatus::Planned);
    // A debit already in a file goes to the bank whatever happens to the mandate: its lines
    // are not "owed, to pay by other means" (paying them again would pay twice).
    let in_bank = rows(CollectionStatus::Submitted);
    let in_bank_total = collections
        .iter()
        .filter(|c| c.status == CollectionStatus::Submitted)
        .map(|c| Amount::from_centimes(c.amount_centimes))
        .try_fold(Amount::ZERO, |sum, a| sum.checked_add(a))
        .unwrap_or(Amount::ZERO);
    let owed = owed_lines
        .checked_sub(in_bank_total)
        .filter(|a| a.is_positive())
        .unwrap_or(Amount::ZERO);
    let s = ScreenTexts::of(lang);
    let page = RevokePage {
        c: viewer.chrome(nav(viewer, session, employer.id, "mandate")),
        s,
        employer_id: employer.id,
        mandate_id: mandate.id,
        reference: mandate.reference,
        bank: mandate.bank_name.unwrap_or(mandate.bank_code),
        account: crate::locale::last4(&mandate.account_masked),
        owed: if owed.is_positive() {
            money(owed, lang)
        } else {
            String::new()
        },
        planned,
        in_bank,
        reasons: s.revoke_reasons.to_vec(),
        error,
    };
    viewer.page(status, &page)
}

async fn revoke_page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, mandate_id)): Path<(i64, i64)>,
) -> PageResult {
    let (session, employer) = employer_to(&state, &viewer, employer_id, Duty::Sign).await?;
    let mandate = own_mandate(&state, &viewer, employer_id, mandate_id).await?;
    if mandate.status != MandateStatus::Active {
        // Nothing to revoke (already ended, or not signed): the mandate page says why.
        return Ok(see_other(&format!("/portal/{employer_id}/mandate")));
    }
    render(
        &state,
        &viewer,
        &session,
        &employer,
        mandate,
        StatusCode::OK,
        None,
    )
    .await
}

#[derive(Deserialize)]
struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn revoke(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, mandate_id)): Path<(i64, i64)>,
    Form(form): Form<RevokeForm>,
) -> PageResult {
    let (session, employer) = employer_to(&state, &viewer, employer_id, Duty::Sign).await?;
    viewer.check_csrf(&form.csrf)?;
    // Whatever its state: the store refuses one that ended, in words.
    let mandate = own_mandate(&state, &viewer, employer_id, mandate_id).await?;
    let s = ScreenTexts::of(viewer.lang);
    // The reason is one of the page's choices, kept by its code.
    let Some((code, _)) = s
        .revoke_reasons
        .iter()
        .find(|(code, _)| *code == form.reason)
    else {
        return render(
            &state,
            &viewer,
            &session,
            &employer,
            mandate,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(s.revoke_reason.to_owned()),
        )
        .await;
    };
    let actor = Actor::new(format!("user:{}", session.user.id));
    let reason = format!("revoked by the employer in the portal: {code}");
    match state
        .store()
        .revoke_mandate(&actor, mandate_id, &reason)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/portal/{employer_id}/mandate?done=revoked"
        ))),
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => {
                render(
                    &state,
                    &viewer,
                    &session,
                    &employer,
                    mandate,
                    StatusCode::CONFLICT,
                    Some(message),
                )
                .await
            }
            None => Err(viewer.fail(err)),
        },
    }
}
