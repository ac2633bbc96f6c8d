//! The printable receipt of a settled debit (the stylesheet's `@media print` leaves only
//! the receipt). Another employer's debit, or one not settled, is "not found".

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

use super::{employer_for, nav};
use crate::web::WebState;
use mandates::AccountKind;

use crate::locale::{Word, written_day_of};
use crate::store::Institution;
use crate::web::i18n::{PageTexts, PortalTexts, employer_name, money};
use crate::web::session::{Chrome, PageResult, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new()
        .route("/portal/{employer}/receipts/{collection}", get(receipt))
        .route(
            "/portal/{employer}/receipts/{collection}/pdf",
            get(receipt_pdf),
        )
}

/// The same receipt as a PDF in Arabic and French, for the employer's own debits only.
async fn receipt_pdf(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, collection_id)): Path<(i64, i64)>,
) -> PageResult {
    employer_for(&state, &viewer, employer_id).await?;
    crate::web::pdf::receipt_download(&state, &viewer, employer_id, collection_id).await
}

struct ReceiptRow {
    worksite: String,
    period: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "web/portal/receipt.html")]
struct ReceiptPage {
    c: Chrome,
    x: &'static PortalTexts,
    fund: String,
    number: String,
    employer: String,
    affiliation: String,
    paid_on: String,
    collection_date: String,
    amount: String,
    account: String,
    institution: String,
    mandate: String,
    issued_on: String,
    rows: Vec<ReceiptRow>,
    pdf: String,
}

/// The receipt of a settled debit, printable (the stylesheet's `@media print` leaves only
/// the receipt). Another employer's debit, or one not settled, is "not found".
async fn receipt(
    State(state): State<WebState>,
    viewer: Viewer,
    Path((employer_id, collection_id)): Path<(i64, i64)>,
) -> PageResult {
    let (session, employer) = employer_for(&state, &viewer, employer_id).await?;
    let receipt = state
        .store()
        .receipt(employer_id, collection_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let x = viewer.lang.portal();
    let c = &receipt.collection;
    let bank = state.store().banks().name(&c.bank_code);
    let institution = match (c.account_kind, bank) {
        (AccountKind::Postal, _) => Institution::Poste.word(viewer.lang).to_owned(),
        (AccountKind::Bank, Some(name)) => name.to_owned(),
        (AccountKind::Bank, None) => c.bank_code.clone(),
    };
    let fund = state
        .options
        .cycle
        .as_ref()
        .map_or_else(|| "CACOBATPH".to_owned(), |s| s.creditor.name.clone());
    let page = ReceiptPage {
        c: viewer.chrome(nav(&viewer, &session, employer_id, "history")),
        x,
        fund,
        number: receipt.number.clone(),
        employer: employer_name(&employer, viewer.lang),
        affiliation: employer.affiliation_number.clone(),
        paid_on: written_day_of(c.settled_on.as_deref().unwrap_or(&c.collection_date)),
        collection_date: written_day_of(&c.collection_date),
        amount: money(c.amount, viewer.lang),
        account: c.account_masked.clone(),
        institution,
        mandate: c.mandate_reference.clone(),
        issued_on: crate::locale::written_day_of_moment(&receipt.issued_at),
        pdf: format!("/portal/{employer_id}/receipts/{collection_id}/pdf"),
        rows: c
            .worksites
            .iter()
            .map(|w| ReceiptRow {
                worksite: format!("{} — {}", w.worksite_code, w.worksite_name),
                period: w.period.clone(),
                amount: money(w.amount, viewer.lang),
            })
            .collect(),
    };
    viewer.page(StatusCode::OK, &page)
}
