//! What the portal's and the console's certificate pages share: a certificate as a row of
//! their table (`partials/attestations_table.html`), its state on today in words, its dates
//! as the pages write them, the link to its PDF under the room's own address.

use crate::locale::{Lang, written_day_of};
use crate::store::{Attestation, AttestationState};
use crate::web::i18n::AttestationTexts;

/// One certificate in a table.
pub(crate) struct AttestationRow {
    pub id: i64,
    pub number: String,
    pub issued_on: String,
    pub valid_until: String,
    pub state: &'static str,
    /// Still valid: staff may revoke it.
    pub revocable: bool,
    pub revoke_reason: String,
    pub pdf: String,
}

/// The rows of `attestations` on `today`, each PDF at `pdf(id)`.
pub(crate) fn attestation_rows(
    attestations: &[Attestation],
    today: chrono::NaiveDate,
    lang: Lang,
    pdf: impl Fn(i64) -> String,
) -> Vec<AttestationRow> {
    let a = AttestationTexts::of(lang);
    attestations
        .iter()
        .map(|x| {
            let state = x.state_on(today);
            AttestationRow {
                id: x.id,
                number: x.number.clone(),
                issued_on: written_day_of(&x.issued_on),
                valid_until: written_day_of(&x.valid_until),
                state: a.state(state),
                revocable: state != AttestationState::Revoked,
                revoke_reason: x.revoke_reason.clone().unwrap_or_default(),
                pdf: pdf(x.id),
            }
        })
        .collect()
}
