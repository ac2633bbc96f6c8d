//! The mandate page: enter a RIB/CCP (the key checked, the bank named), read the consent
//! text, sign it (with the evidence: who, when, from where, which browser, the exact text,
//! kept with its SHA-256), set, raise or remove the ceiling per debit, revoke. The consent
//! text itself is in `web::consent`.

use crate::store::Duty;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use mandates::{AccountId, MandateStatus};
use serde::Deserialize;

use super::{DoneQuery, Feedback, employer_for, employer_to, nav, parse_amount};
use crate::locale::{Lang, Word};
use crate::store::{Actor, Employer, MandateRecord, NewMandate, Session, SignMandate};
use crate::web::WebState;
use crate::web::consent::{consent_text, published_version};
use crate::web::i18n::{CeilingTexts, ScreenTexts, employer_name, money, refusals};
use crate::web::session::{Chrome, PageError, PageResult, Refusal, Viewer, see_other};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/portal/{employer}/mandate",
            get(mandate_page).post(new_mandate),
        )
        .route("/portal/{employer}/mandate/{mandate}/sign", post(sign))
        .route("/portal/{employer}/mandate/{mandate}/pdf", get(mandate_pdf))
        .route(
            "/portal/{employer}/mandate/{mandate}/ceiling",
            post(ceiling),
        )
}

struct MandateRow {
    id: i64,
    reference: String,
    status: &'static str,
    account: String,
    bank: String,
    signed: String,
}

#[derive(Template)]
#[template(path = "web/portal/mandate.html")]
struct MandatePage {
    c: Chrome,
    employer_id: i64,
    mandates: Vec<MandateRow>,
    has_active: bool,
    /// A pending mandate to sign: (id, bank, consent text).
    pending: Option<(i64, String, String)>,
    active_id: Option<i64>,
    account: String,
    error: Option<String>,
    notice: Option<&'static str>,
    k: &'static CeilingTexts,
    s: &'static ScreenTexts,
    /// The live mandate whose ceiling the form changes (the active one, else the pending
    /// one), and its ceiling as shown (empty: none).
    ceiling_of: Option<(i64, String)>,
}

async fn render_mandate_page(
    state: &WebState,
    viewer: &Viewer,
    session: &Session,
    employer: &Employer,
    feedback: Feedback,
) -> PageResult {
    let mandates = state
        .store()
        .list_mandates(employer.id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let name = employer_name(employer, viewer.lang);
    let pending = mandates
        .iter()
        .find(|m| m.status == MandateStatus::Pending)
        .map(|m| {
            (
                m.id,
                m.bank_name.clone().unwrap_or_else(|| m.bank_code.clone()),
                consent_text(viewer.lang, &name, m),
            )
        });
    let active_id = mandates
        .iter()
        .find(|m| m.status == MandateStatus::Active)
        .map(|m| m.id);
    let ceiling_of = [MandateStatus::Active, MandateStatus::Pending]
        .iter()
        .find_map(|status| mandates.iter().find(|m| m.status == *status))
        .map(|m| {
            (
                m.id,
                m.ceiling.map(|c| money(c, viewer.lang)).unwrap_or_default(),
            )
        });
    let page = MandatePage {
        c: viewer.chrome(nav(viewer, session, employer.id, "mandate")),
        employer_id: employer.id,
        has_active: active_id.is_some(),
        active_id,
        pending,
        mandates: mandates
            .into_iter()
            .map(|m| MandateRow {
                id: m.id,
                reference: m.reference,
                status: m.status.word(viewer.lang),
                account: m.account_masked,
                bank: m.bank_name.unwrap_or(m.bank_code),
                signed: match (m.signed_at, m.signed_by) {
                    (Some(at), Some(by)) => format!(
                        "{} — {}",
                        crate::locale::page_moment(&at),
                        crate::locale::actors::signer(&by).0
                    ),
                    _ => String::new(),
                },
            })
            .collect(),
        account: feedback.value,
        error: feedback.errors.into_iter().next(),
        notice: feedback.notice,
        k: CeilingTexts::of(viewer.lang),
        s: ScreenTexts::of(viewer.lang),
        ceiling_of,
    };
    viewer.page(feedback.status, &page)
}

async fn mandate_page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
    let notice = query.done.as_deref().and_then(|done| match done {
        "signed" => Some(viewer.texts().mandate_signed),
        "ceiling" => Some(CeilingTexts::of(viewer.lang).form_saved),
        "revoked" => Some(ScreenTexts::of(viewer.lang).revoke_done),
        _ => None,
    });
    render_mandate_page(&state, &viewer, &session, &employer, Feedback::ok(notice)).await
}

#[derive(Deserialize)]
struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    account: String,
}

async fn new_mandate(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Form(form): Form<AccountForm>,
) -> PageResult {
    let (session, employer) = employer_to(&state, &viewer, employer_id, Duty::Sign).await?;
    viewer.check_csrf(&form.csrf)?;
    let refused = |message: String| {
        render_mandate_page(
            &state,
            &viewer,
            &session,
            &employer,
            Feedback::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                form.account.chars().take(40).collect(),
                vec![message],
            ),
        )
    };
    let account = match AccountId::parse(&form.account) {
        Ok(account) => account,
        Err(err) => {
            return refused(refusals::account_error(viewer.lang, &err)).await;
        }
    };
    if let Err(err) = state.store().banks().check(&account) {
        return refused(refusals::account_error(viewer.lang, &err)).await;
    }
    let actor = Actor::new(format!("user:{}", session.user.id));
    match state
        .store()
        .create_mandate(
            &actor,
            employer_id,
            NewMandate {
                account,
                ceiling: None,
            },
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!("/portal/{employer_id}/mandate"))),
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => refused(message).await,
            None => Err(viewer.fail(err)),
        },
    }
}

/// The mandate `mandate_id` if it is this employer's; "not found" otherwise.
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

#[derive(Deserialize)]
struct SignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    consent: String,
    #[serde(default)]
    signer: String,
}

async fn sign(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, mandate_id)): Path<(i64, i64)>,
    Form(form): Form<SignForm>,
) -> PageResult {
    let (session, employer) = employer_to(&state, &viewer, employer_id, Duty::Sign).await?;
    viewer.check_csrf(&form.csrf)?;
    let mandate = own_mandate(&state, &viewer, employer_id, mandate_id).await?;
    let signer = form.signer.trim();
    if form.consent != "yes" || signer.is_empty() {
        let message = match viewer.lang {
            Lang::Fr => "Cochez la case d'autorisation et indiquez le nom du signataire.",
            Lang::Ar => "ضع علامة في خانة الترخيص واكتب اسم الموقّع.",
        };
        return render_mandate_page(
            &state,
            &viewer,
            &session,
            &employer,
            Feedback::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                vec![message.to_owned()],
            ),
        )
        .await;
    }
    // The evidence: who (the user and the name typed), when (the store's clock), from
    // where, with which browser, and the hash of the exact text shown.
    let text = consent_text(
        viewer.lang,
        &employer_name(&employer, viewer.lang),
        &mandate,
    );
    let evidence = SignMandate {
        signer: format!(
            "{} (user {})",
            signer.chars().take(120).collect::<String>(),
            session.user.id
        ),
        ip: viewer.ip.clone(),
        user_agent: viewer.user_agent.clone(),
        consent_version: published_version(viewer.lang),
        consent_text: text,
    };
    let actor = Actor::new(format!("user:{}", session.user.id));
    match state
        .store()
        .sign_mandate(&actor, mandate_id, evidence)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/portal/{employer_id}/mandate?done=signed"
        ))),
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => {
                render_mandate_page(
                    &state,
                    &viewer,
                    &session,
                    &employer,
                    Feedback::refused(StatusCode::CONFLICT, String::new(), vec![message]),
                )
                .await
            }
            None => Err(viewer.fail(err)),
        },
    }
}

#[derive(Deserialize)]
struct CeilingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ceiling: String,
}

/// Sets, raises, lowers or removes (empty) the ceiling of the employer's live mandate:
/// a positive amount in dinars, at most two decimals. Audited by the store.
async fn ceiling(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, mandate_id)): Path<(i64, i64)>,
    Form(form): Form<CeilingForm>,
) -> PageResult {
    let (session, employer) = employer_to(&state, &viewer, employer_id, Duty::Sign).await?;
    viewer.check_csrf(&form.csrf)?;
    own_mandate(&state, &viewer, employer_id, mandate_id).await?;
    let refused = |message: String| {
        render_mandate_page(
            &state,
            &viewer,
            &session,
            &employer,
            Feedback::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                vec![message],
            ),
        )
    };
    let text = form.ceiling.trim();
    let ceiling = if text.is_empty() {
        None
    } else {
        match parse_amount(text, ',') {
            Ok(amount) if amount.is_positive() => Some(amount),
            _ => {
                return refused(CeilingTexts::of(viewer.lang).form_invalid.to_owned()).await;
            }
        }
    };
    let actor = Actor::new(format!("user:{}", session.user.id));
    match state
        .store()
        .set_mandate_ceiling(&actor, mandate_id, ceiling)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/portal/{employer_id}/mandate?done=ceiling"
        ))),
        Err(err) => match refusals::refusal_message(viewer.lang, &err) {
            Some(message) => refused(message).await,
            None => Err(viewer.fail(err)),
        },
    }
}

/// One of the employer's own mandates as a PDF, with its signature evidence and the text
/// signed; another employer's is "not found".
async fn mandate_pdf(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, mandate_id)): Path<(i64, i64)>,
) -> PageResult {
    employer_for(&state, &viewer, employer_id).await?;
    let mandate = match state.store().mandate(mandate_id).await {
        Ok(m) if m.employer_id == employer_id => m,
        Ok(_) | Err(crate::store::StoreError::NotFound { .. }) => {
            return Err(viewer.refuse(Refusal::NotFound));
        }
        Err(err) => return Err(viewer.fail(err)),
    };
    crate::web::pdf::mandate_download(&state, &viewer, mandate).await
}
