//! A receipt or a certificate of being up to date as a PDF download, for the portal (the employer's own, after its access rule)
//! and the console (staff): made by `crate::documents` off the async workers, sent with
//! `Content-Disposition: attachment` and `no-store` (it names the employer and its account,
//! masked).

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

use crate::documents::{
    AttestationFacts, DocumentError, MandateFacts, ReceiptFacts, attestation_pdf, mandate_pdf,
    receipt_pdf, verify_url,
};
use crate::store::{Attestation, MandateRecord};
use crate::web::WebState;
use crate::web::session::{PageResult, Refusal, Viewer};

/// The receipt of `employer_id`'s settled debit `collection_id` as a PDF; "not found" for
/// another employer's debit or one not settled (the caller has checked who may ask).
pub(crate) async fn receipt_download(
    state: &WebState,
    viewer: &Viewer,
    employer_id: i64,
    collection_id: i64,
) -> PageResult {
    let store = state.store();
    let receipt = store
        .receipt(employer_id, collection_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let employer = store
        .employer(employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let bank_name = store
        .banks()
        .name(&receipt.collection.bank_code)
        .map(str::to_owned);
    let fund = fund_name(state);
    let file_name = format!("{}.pdf", receipt.number);
    let made = tokio::task::spawn_blocking(move || {
        receipt_pdf(&ReceiptFacts {
            fund: &fund,
            receipt: &receipt,
            employer: &employer,
            bank_name: bank_name.as_deref(),
        })
    })
    .await;
    download_response(viewer, made, &file_name, "application/pdf", collection_id)
}

/// The certificate `attestation` as a PDF (the caller has checked who may ask for it).
pub(crate) async fn attestation_download(
    state: &WebState,
    viewer: &Viewer,
    attestation: Attestation,
) -> PageResult {
    let employer = state
        .store()
        .employer(attestation.employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let fund = fund_name(state);
    let url = verify_url(state.options.portal_url.as_deref(), &attestation.code);
    let file_name = format!("{}.pdf", attestation.number);
    let id = attestation.id;
    let made = tokio::task::spawn_blocking(move || {
        attestation_pdf(&AttestationFacts {
            fund: &fund,
            attestation: &attestation,
            employer: &employer,
            verify_url: &url,
        })
    })
    .await;
    download_response(viewer, made, &file_name, "application/pdf", id)
}

/// The mandate `mandate` with its signature evidence and consent text as a PDF (the caller
/// has checked who may ask for it).
pub(crate) async fn mandate_download(
    state: &WebState,
    viewer: &Viewer,
    mandate: MandateRecord,
) -> PageResult {
    let employer = state
        .store()
        .employer(mandate.employer_id)
        .await
        .map_err(|e| viewer.fail(e))?;
    let fund = fund_name(state);
    let file_name = format!(
        "mandat-{}.pdf",
        mandate
            .reference
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
    );
    let id = mandate.id;
    let made = tokio::task::spawn_blocking(move || {
        mandate_pdf(&MandateFacts {
            fund: &fund,
            mandate: &mandate,
            employer: &employer,
        })
    })
    .await;
    download_response(viewer, made, &file_name, "application/pdf", id)
}

/// The fund's short name as its documents print it: the creditor's name.
pub(crate) fn fund_name(state: &WebState) -> String {
    state
        .options
        .cycle
        .as_ref()
        .map_or_else(|| "CACOBATPH".to_owned(), |s| s.creditor.name.clone())
}

/// The document a blocking task made (a PDF, the evidence pack's ZIP), as an attachment
/// that caches do not keep; a 500 page when it could not be made.
pub(crate) fn download_response(
    viewer: &Viewer,
    made: Result<Result<Vec<u8>, DocumentError>, tokio::task::JoinError>,
    file_name: &str,
    content_type: &'static str,
    id: i64,
) -> PageResult {
    let bytes = match made {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(err)) => {
            tracing::error!(id, error = %err, "a document could not be made");
            return Err(viewer.refuse(Refusal::Internal));
        }
        Err(err) => {
            tracing::error!(id, error = %err, "the document task failed");
            return Err(viewer.refuse(Refusal::Internal));
        }
    };
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
