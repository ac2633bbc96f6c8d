//! Employers: the search (affiliation number, name or email; paged), and one employer
//! shown whole to staff — worksites, mandates with their signature evidence,
//! declarations, collections, notices and the audit trail, with the audit chain's head.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;

use super::{PAGE, PageQuery, actor_words, amount, nav, paged, query_part};
use crate::locale::{Lang, Word, audit_action, audit_entity, page_moment};
use crate::store::{AuditEntry, PaymentChannel};
use crate::web::WebState;
use crate::web::i18n::{ConsoleTexts, LedgerTexts, PageTexts, ScreenTexts, employer_name, money};
use crate::web::session::{Chrome, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/console/employers", get(employers))
        .route("/console/employers/{id}", get(employer))
        .route("/console/mandates/{id}/pdf", get(mandate_pdf))
}

#[derive(Template)]
#[template(path = "web/console/employers.html")]
struct EmployersPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    q: String,
    /// (id, affiliation number, name, email, period kind)
    rows: Vec<(i64, String, String, String, String)>,
    next: Option<String>,
    first: Option<String>,
}

async fn employers(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> PageResult {
    viewer.staff()?;
    let k = viewer.lang.console();
    let q: String = query.q.trim().chars().take(100).collect();
    let found = state
        .store()
        .search_employers(&q, query.after.max(0), PAGE + 1)
        .await
        .map_err(|e| viewer.fail(e))?;
    let (found, next) = paged(found, PAGE, |e| {
        format!("/console/employers?q={}&after={}", query_part(&q), e.id)
    });
    let rows = found
        .iter()
        .map(|e| {
            (
                e.id,
                e.affiliation_number.clone(),
                employer_name(e, viewer.lang),
                e.email.clone(),
                e.period_kind.word(viewer.lang).to_owned(),
            )
        })
        .collect();
    let page = EmployersPage {
        c: viewer.chrome(nav(&viewer, "employers")),
        k,
        first: (query.after > 0).then(|| format!("/console/employers?q={}", query_part(&q))),
        q,
        rows,
        next,
    };
    viewer.page(StatusCode::OK, &page)
}

struct MandateView {
    /// For the link to its PDF.
    id: i64,
    reference: String,
    status: String,
    account: String,
    bank: String,
    ceiling: String,
    signed_at: String,
    signer: String,
    ip: String,
    browser: String,
    consent: String,
    /// The exact text signed, when it was kept (signatures since migration 0016).
    consent_text: String,
    created: String,
}

struct DeclarationView {
    period: String,
    status: String,
    submitted_at: String,
    lines: usize,
    total: String,
}

struct CollectionRow {
    /// Its page, with the staff's actions on it.
    id: i64,
    date: String,
    channel: String,
    amount: String,
    status: crate::web::display::DebitBadge,
    attempt: i64,
    reason: String,
    settled_on: String,
}

struct NoticeRow {
    kind: String,
    status: String,
    created: String,
    sent_at: String,
    subject: String,
}

struct AuditRow {
    at: String,
    actor: String,
    action: &'static str,
    entity: String,
    /// The stored action code and detail (JSON), shown on demand as technical detail.
    code: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "web/console/employer.html")]
struct EmployerPage {
    c: Chrome,
    k: &'static ConsoleTexts,
    s: &'static ScreenTexts,
    affiliation: String,
    name: String,
    name_other: String,
    email: String,
    language: String,
    period_kind: String,
    created: String,
    /// (code, name, wilaya)
    worksites: Vec<(String, String, String)>,
    mandates: Vec<MandateView>,
    declarations: Vec<DeclarationView>,
    collections: Vec<CollectionRow>,
    notices: Vec<NoticeRow>,
    audit: Vec<AuditRow>,
    /// The audit chain's head (`SEQ:HASH`) as the page was made: this page is the
    /// employer's evidence (signatures and trail), and the head anchors it.
    audit_head: String,
    /// The account: its balance, and the payment form (`payment_form.html`).
    id: i64,
    l: &'static LedgerTexts,
    balance: String,
    channels: Vec<(&'static str, &'static str)>,
    today: String,
    /// The link to the employer's certificates of being up to date.
    at: &'static crate::web::i18n::AttestationTexts,
}

async fn employer(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    viewer.staff()?;
    let lang = viewer.lang;
    let k = lang.console();
    let store = state.store();
    let fail = |e| viewer.fail(e);
    let employer = store.employer(id).await.map_err(fail)?;
    let mandates = store.list_mandates(id).await.map_err(fail)?;
    let entries = store.employer_audit(id, 200).await.map_err(fail)?;
    let mut codes: Vec<String> = mandates
        .iter()
        .filter_map(|m| crate::locale::actors::signer(m.signed_by.as_deref()?).1)
        .map(|user| format!("user:{user}"))
        .collect();
    codes.extend(entries.iter().map(|a| a.actor.clone()));
    let actors = actor_words(store, codes, lang).await;
    let worksites = store
        .list_worksites(id)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|w| (w.code, w.name, w.wilaya.unwrap_or_default()))
        .collect();
    let mandates = mandates
        .into_iter()
        .map(|m| MandateView {
            id: m.id,
            reference: m.reference,
            status: m.status.word(lang).to_owned(),
            account: m.account_masked,
            bank: m.bank_name.unwrap_or(m.bank_code),
            ceiling: m.ceiling.map(|c| money(c, lang)).unwrap_or_default(),
            signed_at: m.signed_at.as_deref().map(page_moment).unwrap_or_default(),
            signer: m
                .signed_by
                .as_deref()
                .map(|by| match crate::locale::actors::signer(by) {
                    (name, Some(user)) => format!(
                        "{name} ({} {})",
                        ScreenTexts::of(lang).signed_in_as,
                        actors
                            .get(&format!("user:{user}"))
                            .map_or("", String::as_str)
                    ),
                    (name, None) => name.to_owned(),
                })
                .unwrap_or_default(),
            ip: m.signature_ip.unwrap_or_default(),
            browser: m.signature_user_agent.unwrap_or_default(),
            consent: match (m.consent_version, m.consent_text_sha256) {
                (Some(version), Some(sha)) => format!("{version}, {sha}"),
                _ => String::new(),
            },
            consent_text: m.consent_text.unwrap_or_default(),
            created: page_moment(&m.created_at),
        })
        .collect();
    let declarations = store
        .list_declarations(id)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|d| DeclarationView {
            status: d.status.word(lang).to_owned(),
            period: d.period,
            submitted_at: d
                .submitted_at
                .as_deref()
                .map(page_moment)
                .unwrap_or_default(),
            lines: d.lines.len(),
            total: money(d.total, lang),
        })
        .collect();
    let collections = store
        .employer_collections(id)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|c| CollectionRow {
            id: c.id,
            date: c.collection_date,
            channel: c.channel.word(lang).to_owned(),
            amount: amount(c.amount_centimes, lang),
            status: crate::web::display::DebitBadge::staff(c.status, lang),
            attempt: c.attempt,
            reason: match (c.reason_category, c.reason_code) {
                (Some(category), Some(code)) => {
                    format!("{} ({code})", category.word(lang))
                }
                (Some(category), None) => category.word(lang).to_owned(),
                (None, Some(code)) => crate::locale::words::cancel_reason_word(&code, lang)
                    .map_or(code, str::to_owned),
                (None, None) => String::new(),
            },
            settled_on: c.settled_on.unwrap_or_default(),
        })
        .collect();
    let notices = store
        .notices_for_employer(id, 100)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|n| NoticeRow {
            kind: n.kind.word(lang).to_owned(),
            status: n.status.word(lang).to_owned(),
            created: page_moment(&n.created_at),
            sent_at: n.sent_at.as_deref().map(page_moment).unwrap_or_default(),
            subject: n.subject.unwrap_or_default(),
        })
        .collect();
    let audit = entries
        .into_iter()
        .map(|a: AuditEntry| AuditRow {
            at: page_moment(&a.at),
            actor: actors.get(&a.actor).cloned().unwrap_or_default(),
            action: audit_action(&a.action, lang),
            entity: format!("{} n° {}", audit_entity(&a.entity, lang), a.entity_id),
            code: a.action,
            detail: a.detail,
        })
        .collect();
    let audit_head = store.audit_head().await.map_err(fail)?.to_string();
    let balance = store.employer_balance(id, None).await.map_err(fail)?.total;
    let (name, name_other) = match lang {
        Lang::Ar => (
            employer_name(&employer, lang),
            if employer
                .name_ar
                .as_deref()
                .is_some_and(|n| !n.trim().is_empty())
            {
                employer.name.clone()
            } else {
                String::new()
            },
        ),
        Lang::Fr => (
            employer.name.clone(),
            employer.name_ar.clone().unwrap_or_default(),
        ),
    };
    let page = EmployerPage {
        c: viewer.chrome(nav(&viewer, "employers")),
        k,
        s: ScreenTexts::of(lang),
        affiliation: employer.affiliation_number,
        name,
        name_other,
        email: employer.email,
        language: employer.language.word(lang).to_owned(),
        period_kind: employer.period_kind.word(lang).to_owned(),
        created: page_moment(&employer.created_at),
        worksites,
        mandates,
        declarations,
        collections,
        notices,
        audit,
        audit_head,
        id,
        l: LedgerTexts::of(lang),
        balance: money(balance, lang),
        channels: PaymentChannel::ALL
            .iter()
            .map(|c| (c.as_str(), c.word(lang)))
            .collect(),
        today: store.clock().today().to_string(),
        at: crate::web::i18n::AttestationTexts::of(lang),
    };
    viewer.page(StatusCode::OK, &page)
}

/// Any employer's mandate as a PDF with its signature evidence and consent text, for staff.
async fn mandate_pdf(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    viewer.staff()?;
    let mandate = match state.store().mandate(id).await {
        Ok(m) => m,
        Err(crate::store::StoreError::NotFound { .. }) => {
            return Err(viewer.refuse(crate::web::session::Refusal::NotFound));
        }
        Err(err) => return Err(viewer.fail(err)),
    };
    crate::web::pdf::mandate_download(&state, &viewer, mandate).await
}
