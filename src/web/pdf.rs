//! A receipt as a PDF download, for the portal (the employer's own, after its access rule)
//! and the console (staff): made by `crate::documents` off the async workers, sent with
//! `Content-Disposition: attachment` and `no-store` (it names the employer and its account,
//! masked).

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

use crate::documents::{ReceiptFacts, receipt_pdf};
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
    let fund = state
        .options
        .cycle
        .as_ref()
        .map_or_else(|| "CACOBATPH".to_owned(), |s| s.creditor.name.clone());
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
    let bytes = match made {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(err)) => {
            tracing::error!(collection_id, error = %err, "a receipt PDF could not be made");
            return Err(viewer.refuse(Refusal::Internal));
        }
        Err(err) => {
            tracing::error!(collection_id, error = %err, "the receipt PDF task failed");
            return Err(viewer.refuse(Refusal::Internal));
        }
    };
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
