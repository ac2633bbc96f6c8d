//! An employer's evidence pack for staff (`POST /console/employers/{id}/evidence.zip`, a
//! form on the employer's page): one ZIP with its mandates, notices, bank lines, receipts,
//! statement, audit extract and a manifest of SHA-256s (`crate::documents::evidence`).
//! Taking it is audited as the staff member (`employer.evidence_pack`), so it is a form
//! with its CSRF token, not a link.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::routing::post;
use serde::Deserialize;

use super::actor;
use crate::documents::{EvidenceFacts, evidence_zip};
use crate::store::StoreError;
use crate::web::WebState;
use crate::web::pdf::{download_response, fund_name};
use crate::web::session::{PageResult, Refusal, Viewer};

pub(super) fn router() -> Router<WebState> {
    Router::new().route("/console/employers/{id}/evidence.zip", post(evidence))
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn evidence(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    let session = viewer.staff()?;
    viewer.check_csrf(&form.csrf)?;
    let store = state.store();
    let records = match store.evidence_records(&actor(session), id).await {
        Ok(records) => records,
        Err(StoreError::NotFound { .. }) => return Err(viewer.refuse(Refusal::NotFound)),
        Err(err) => return Err(viewer.fail(err)),
    };
    let fund = fund_name(&state);
    let bank_names: std::collections::BTreeMap<String, String> = records
        .receipts
        .iter()
        .filter_map(|r| {
            let code = &r.collection.bank_code;
            Some((code.clone(), store.banks().name(code)?.to_owned()))
        })
        .collect();
    let file_name = format!(
        "preuves-{}-{}.zip",
        records
            .employer
            .affiliation_number
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>(),
        store.clock().today()
    );
    let made = tokio::task::spawn_blocking(move || {
        evidence_zip(&EvidenceFacts {
            fund: &fund,
            records: &records,
            bank_names: &bank_names,
        })
    })
    .await;
    download_response(&viewer, made, &file_name, "application/zip", id)
}
