//! The employer portal: an employer user's employers, each with its upcoming debit (date,
//! amount, per-worksite breakdown), its mandate (enter a RIB/CCP with the key checked and
//! the bank named, read the consent text, sign, revoke), its declarations (CSV upload:
//! every bad line and field at once, nothing half-recorded) and its history.
//!
//! Access: every route takes the employer id from the path and goes through
//! [`employer_for`], which answers "not found" unless the signed-in employer user acts for
//! that employer — so another employer's pages, forms and ids all look nonexistent.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::Router;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use mandates::{AccountId, Amount};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::WebState;
use super::i18n::{Lang, money};
use super::session::{Chrome, NavLink, PageError, PageResult, Refusal, Viewer, see_other};
use crate::store::{
    Actor, Employer, LineProblem, MandateRecord, NewDeclaration, NewDeclarationLine, NewMandate,
    ProblemKind, Session, SignMandate, StoreError,
};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/portal", get(home))
        .route("/portal/{employer}", get(dashboard))
        .route(
            "/portal/{employer}/mandate",
            get(mandate_page).post(new_mandate),
        )
        .route("/portal/{employer}/mandate/{mandate}/sign", post(sign))
        .route("/portal/{employer}/mandate/{mandate}/revoke", post(revoke))
        .route(
            "/portal/{employer}/declarations",
            get(declarations_page).post(upload_declaration),
        )
        .route("/portal/{employer}/history", get(history))
}

/// The version of the consent text below; stored with each signature with its SHA-256.
pub const CONSENT_VERSION: &str = "2026-01";

/// The consent text shown for one mandate, in one language: what is signed.
pub fn consent_text(lang: Lang, employer: &str, mandate: &MandateRecord) -> String {
    let bank = mandate
        .bank_name
        .clone()
        .unwrap_or_else(|| mandate.bank_code.clone());
    match lang {
        Lang::Fr => format!(
            "En signant ce mandat (référence {reference}), {employer} autorise la CACOBATPH à présenter \
             des prélèvements sur le compte {account} ({bank}) pour les cotisations de congés payés et \
             de chômage-intempéries qu'elle déclare, et autorise sa banque ou Algérie Poste à débiter ce \
             compte. Chaque prélèvement est annoncé au moins cinq jours à l'avance, avec sa date et son \
             montant. Le mandat peut être révoqué à tout moment depuis cet espace ; une contestation peut \
             être formée auprès de la caisse. (Texte version {CONSENT_VERSION})",
            reference = mandate.reference,
            account = mandate.account_masked,
        ),
        Lang::Ar => format!(
            "بتوقيع هذا التفويض (المرجع {reference})، ترخّص {employer} للصندوق الوطني للعطل المدفوعة الأجر \
             والبطالة الناجمة عن سوء الأحوال الجوية (كاكوباث) بتقديم اقتطاعات من الحساب {account} ({bank}) \
             لتسديد الاشتراكات التي تصرّح بها، وترخّص لبنكها أو لبريد الجزائر بخصم هذا الحساب. يُعلَن عن كل \
             اقتطاع قبل خمسة أيام على الأقل بتاريخه ومبلغه. يمكن إلغاء التفويض في أي وقت من هذا الفضاء، \
             ويمكن تقديم اعتراض لدى الصندوق. (نص الإصدار {CONSENT_VERSION})",
            reference = mandate.reference,
            account = mandate.account_masked,
        ),
    }
}

/// The employer `employer_id` if the signed-in user acts for it; "not found" otherwise.
pub(super) async fn employer_for(
    state: &WebState,
    viewer: &Viewer,
    employer_id: i64,
) -> Result<(Session, Employer), PageError> {
    let session = viewer.employer_user()?.clone();
    if !session.user.may_act_for(employer_id) {
        return Err(viewer.refuse(Refusal::NotFound));
    }
    let employer = state
        .store()
        .employer(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    Ok((session, employer))
}

pub(super) fn nav(
    viewer: &Viewer,
    session: &Session,
    employer_id: i64,
    current: &str,
) -> Vec<NavLink> {
    let t = viewer.texts();
    let mut links = Vec::new();
    if session.user.employer_ids.len() > 1 {
        links.push(NavLink {
            href: "/portal".to_owned(),
            label: t.your_employers,
            current: current == "home",
        });
    }
    for (key, path, label) in [
        ("dashboard", String::new(), t.dashboard),
        ("mandate", "/mandate".to_owned(), t.mandate),
        ("declarations", "/declarations".to_owned(), t.declarations),
        ("history", "/history".to_owned(), t.history),
        ("disputes", "/disputes".to_owned(), t.disputes),
    ] {
        links.push(NavLink {
            href: format!("/portal/{employer_id}{path}"),
            label,
            current: key == current,
        });
    }
    links.extend(super::portal_extras::nav_links(
        viewer,
        employer_id,
        current,
    ));
    links
}

pub(super) fn employer_name(employer: &Employer, lang: Lang) -> String {
    match (lang, &employer.name_ar) {
        (Lang::Ar, Some(name)) if !name.trim().is_empty() => name.clone(),
        _ => employer.name.clone(),
    }
}

#[derive(Template)]
#[template(path = "web/portal_home.html")]
struct HomePage {
    c: Chrome,
    employers: Vec<(i64, String, String)>,
}

async fn home(State(state): State<WebState>, viewer: Viewer) -> PageResult {
    let session = viewer.employer_user()?;
    if let [only] = session.user.employer_ids.as_slice() {
        return Ok(see_other(&format!("/portal/{only}")));
    }
    let mut employers = Vec::new();
    for id in &session.user.employer_ids {
        let employer = state
            .store()
            .employer(*id)
            .await
            .map_err(|e| viewer.fail(e))?;
        employers.push((
            employer.id,
            employer_name(&employer, viewer.lang),
            employer.affiliation_number,
        ));
    }
    let page = HomePage {
        c: viewer.chrome(Vec::new()),
        employers,
    };
    viewer.page(StatusCode::OK, &page)
}

/// A line of a breakdown, formatted.
struct BreakdownRow {
    worksite: String,
    period: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "web/portal_dashboard.html")]
struct DashboardPage {
    c: Chrome,
    employer: String,
    affiliation: String,
    /// (date or empty, amount, planned?)
    upcoming: Option<(String, String, bool)>,
    breakdown: Vec<BreakdownRow>,
    mandate: Option<String>,
}

async fn dashboard(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
    let store = state.store();
    let upcoming = store
        .upcoming_debit(employer_id, super::algiers_today())
        .await
        .map_err(|e| viewer.fail(e))?;
    let mandates = store
        .list_mandates(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let mandate = mandates.iter().find(|m| m.status == "active").map(|m| {
        format!(
            "{} — {} ({})",
            m.account_masked,
            m.bank_name.clone().unwrap_or_else(|| m.bank_code.clone()),
            m.reference
        )
    });
    let breakdown = upcoming
        .as_ref()
        .map(|u| {
            u.lines
                .iter()
                .map(|l| BreakdownRow {
                    worksite: format!("{} — {}", l.worksite_code, l.worksite_name),
                    period: l.period.clone(),
                    amount: money(Amount::from_centimes(l.amount_centimes), viewer.lang),
                })
                .collect()
        })
        .unwrap_or_default();
    let page = DashboardPage {
        c: viewer.chrome(nav(&viewer, &session, employer_id, "dashboard")),
        employer: employer_name(&employer, viewer.lang),
        affiliation: employer.affiliation_number,
        upcoming: upcoming.map(|u| {
            (
                u.collection_date.clone().unwrap_or_default(),
                money(u.amount, viewer.lang),
                u.collection_id.is_some(),
            )
        }),
        breakdown,
        mandate,
    };
    viewer.page(StatusCode::OK, &page)
}

/// What a page says back after a form: its status, the value to show again, the
/// problems (every one) or a notice.
struct Feedback {
    status: StatusCode,
    value: String,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

impl Feedback {
    fn ok(notice: Option<&'static str>) -> Feedback {
        Feedback {
            status: StatusCode::OK,
            value: String::new(),
            errors: Vec::new(),
            notice,
        }
    }
    fn refused(status: StatusCode, value: String, errors: Vec<String>) -> Feedback {
        Feedback {
            status,
            value,
            errors,
            notice: None,
        }
    }
}

struct MandateRow {
    id: i64,
    reference: String,
    status: String,
    account: String,
    bank: String,
    signed: String,
}

#[derive(Template)]
#[template(path = "web/portal_mandate.html")]
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
}

#[derive(Deserialize)]
struct NoticeQuery {
    #[serde(default)]
    done: Option<String>,
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
    let pending = mandates.iter().find(|m| m.status == "pending").map(|m| {
        (
            m.id,
            m.bank_name.clone().unwrap_or_else(|| m.bank_code.clone()),
            consent_text(viewer.lang, &name, m),
        )
    });
    let active_id = mandates.iter().find(|m| m.status == "active").map(|m| m.id);
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
                status: m.status,
                account: m.account_masked,
                bank: m.bank_name.unwrap_or(m.bank_code),
                signed: match (m.signed_at, m.signed_by) {
                    (Some(at), Some(by)) => format!("{at} — {by}"),
                    _ => String::new(),
                },
            })
            .collect(),
        account: feedback.value,
        error: feedback.errors.into_iter().next(),
        notice: feedback.notice,
    };
    viewer.page(feedback.status, &page)
}

async fn mandate_page(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
    let notice = query
        .done
        .filter(|d| d == "signed")
        .map(|_| viewer.texts().mandate_signed);
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
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
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
            return refused(super::i18n_refusals::account_error(viewer.lang, &err)).await;
        }
    };
    if let Err(err) = state.store().banks().check(&account) {
        return refused(super::i18n_refusals::account_error(viewer.lang, &err)).await;
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
        Err(err) => match super::i18n_refusals::refusal_message(viewer.lang, &err) {
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
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
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
        consent_version: format!("{CONSENT_VERSION}-{}", viewer.lang.code()),
        consent_text_sha256: hex::encode(Sha256::digest(text.as_bytes())),
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
        Err(err) => match super::i18n_refusals::refusal_message(viewer.lang, &err) {
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
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn revoke(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, mandate_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
    viewer.check_csrf(&form.csrf)?;
    own_mandate(&state, &viewer, employer_id, mandate_id).await?;
    let actor = Actor::new(format!("user:{}", session.user.id));
    match state
        .store()
        .revoke_mandate(&actor, mandate_id, "revoked by the employer in the portal")
        .await
    {
        Ok(_) => Ok(see_other(&format!("/portal/{employer_id}/mandate"))),
        Err(err) => match super::i18n_refusals::refusal_message(viewer.lang, &err) {
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

struct DeclarationRow {
    period: String,
    status: String,
    lines: usize,
    total: String,
    /// Whether it can still be corrected, or the debit that locked it.
    correction: String,
}

#[derive(Template)]
#[template(path = "web/portal_declarations.html")]
struct DeclarationsPage {
    c: Chrome,
    x: &'static super::i18n_extras::ExtraTexts,
    d: &'static super::i18n_declarations::DeclarationTexts,
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
    let x = super::i18n_extras::extras(viewer.lang);
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
            Some(date) => x
                .locked
                .replace("{date}", &crate::notices::render::date(date)),
            None => {
                for w in crate::store::plausibility(&history, &d.period) {
                    warnings.push(
                        x.plausibility_line
                            .replace("{worksite}", &w.worksite_code)
                            .replace("{period}", &w.period)
                            .replace("{amount}", &money(w.amount, viewer.lang))
                            .replace("{average}", &money(w.previous_average, viewer.lang))
                            .replace("{count}", &w.previous_periods.to_string()),
                    );
                }
                x.editable.to_owned()
            }
        };
        rows.push(DeclarationRow {
            period: d.period,
            status: d.status,
            lines: d.lines.len(),
            total: money(d.total, viewer.lang),
            correction,
        });
    }
    let page = DeclarationsPage {
        c: viewer.chrome(nav(viewer, session, employer_id, "declarations")),
        x,
        d: super::i18n_declarations::texts(viewer.lang),
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
    Query(query): Query<NoticeQuery>,
) -> PageResult {
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    let notice = match query.done.as_deref() {
        Some("recorded") => Some(viewer.texts().declaration_recorded),
        Some("corrected") => Some(super::i18n_extras::extras(viewer.lang).declaration_corrected),
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
    let d = super::i18n_declarations::texts(viewer.lang);
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
    let checked_period = super::portal_declare::check_period(&employer, &period, viewer.lang);
    let worksites: HashSet<String> = state
        .store()
        .list_worksites(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|w| w.code)
        .collect();
    let parsed = parse_declaration_csv(&text, &worksites);
    let place = super::i18n_declarations::Place::Csv(&parsed.file_lines);
    let checked_period = match checked_period {
        Ok(p) if parsed.errors.is_empty() => p,
        checked => {
            // Every problem at once: the period's and the file's.
            let messages = checked
                .err()
                .into_iter()
                .chain(
                    parsed
                        .errors
                        .iter()
                        .map(|p| d.problem(&super::i18n_declarations::Place::Csv(&[]), p)),
                )
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
            let message = super::portal_declare::conflict_message(
                &state,
                employer_id,
                &checked_period,
                viewer.lang,
            )
            .await
            .unwrap_or_else(|| {
                format!(
                    "{} ({message})",
                    super::i18n_refusals::generic_lead(viewer.lang)
                )
            });
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
        Err(err) => match super::i18n_refusals::refusal_message(viewer.lang, &err) {
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

/// A headcount as typed: a whole number of workers, 0 or more.
pub(super) fn parse_headcount(text: &str) -> Result<i64, ProblemKind> {
    match text.trim().parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(ProblemKind::NotWholeNumber(text.trim().to_owned())),
    }
}

/// An amount in dinars as typed: spaces (thousands) ignored, a decimal comma or point
/// ("1 234,50", "1234.50"), at most two decimals, never negative; read exactly into
/// centimes. `decimal` is the mark of the example shown when it cannot be read.
pub(super) fn parse_amount(text: &str, decimal: char) -> Result<Amount, ProblemKind> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    match Amount::parse(&cleaned) {
        Ok(a) if a.centimes() >= 0 => Ok(a),
        Ok(_) => Err(ProblemKind::Negative),
        Err(_) => Err(ProblemKind::NotAmount {
            text: text.trim().to_owned(),
            decimal,
        }),
    }
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

struct HistoryRow {
    id: i64,
    /// The collection's case, else whether it may be contested (see `disputes`).
    dispute: Option<(i64, String)>,
    contest: Option<i64>,
    date: String,
    amount: String,
    status: String,
    attempt: i64,
    /// A failed debit: the taxonomy's plain words (what happened, what to do)…
    reason: String,
    reason_code: String,
    /// …and the next attempt, or that none is planned.
    next: String,
    /// A settled debit: its receipt page.
    receipt: Option<String>,
}

#[derive(Template)]
#[template(path = "web/portal_history.html")]
struct HistoryPage {
    c: Chrome,
    x: &'static super::i18n_extras::ExtraTexts,
    employer_id: i64,
    rows: Vec<HistoryRow>,
}

async fn history(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(employer_id): Path<i64>,
) -> PageResult {
    use bank_formats::reasons::ReasonCategory;
    let (session, _) = employer_for(&state, &viewer, employer_id).await?;
    let x = super::i18n_extras::extras(viewer.lang);
    let disputes: HashMap<i64, (i64, String)> = state
        .store()
        .employer_disputes(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|d| (d.collection_id, (d.id, d.case_number)))
        .collect();
    let rows = state
        .store()
        .collection_details(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?
        .into_iter()
        .map(|c| {
            let failed = matches!(c.status.as_str(), "rejected" | "returned" | "retry_planned");
            let category = c
                .reason_category
                .as_deref()
                .map(|code| ReasonCategory::from_code(code).unwrap_or(ReasonCategory::Other));
            let reason = match (failed, category, viewer.lang) {
                (true, Some(category), Lang::Fr) => category.text_fr().to_owned(),
                (true, Some(category), Lang::Ar) => category.text_ar().to_owned(),
                (true, None, Lang::Fr) => ReasonCategory::Other.text_fr().to_owned(),
                (true, None, Lang::Ar) => ReasonCategory::Other.text_ar().to_owned(),
                (false, _, _) => String::new(),
            };
            let next = match (&c.next_attempt, failed) {
                (Some(n), true) => x
                    .next_attempt_on
                    .replace("{date}", &crate::notices::render::date(&n.collection_date))
                    .replace("{amount}", &money(n.amount, viewer.lang)),
                (None, true) => x.no_retry.to_owned(),
                _ => String::new(),
            };
            HistoryRow {
                id: c.id,
                dispute: disputes.get(&c.id).cloned(),
                contest: (c.status != "cancelled").then_some(c.id),
                date: c.collection_date,
                amount: money(c.amount, viewer.lang),
                status: x.status(&c.status),
                attempt: c.attempt,
                reason,
                reason_code: if failed {
                    c.reason_code.unwrap_or_default()
                } else {
                    String::new()
                },
                next,
                receipt: (c.status == "settled")
                    .then(|| format!("/portal/{employer_id}/receipts/{}", c.id)),
            }
        })
        .collect();
    let page = HistoryPage {
        c: viewer.chrome(nav(&viewer, &session, employer_id, "history")),
        x,
        employer_id,
        rows,
    };
    viewer.page(StatusCode::OK, &page)
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
