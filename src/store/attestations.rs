//! Certificates of being up to date (attestations de mise à jour des cotisations, شهادة
//! أداء الاشتراكات): issued to an employer that owes nothing fallen due, valid for a set
//! number of months, each with a number (`AT-YYYY-NNNNNNNN`, from its row) and a
//! verification code (120 random bits, not derived from the number) that the public page
//! `/verify/CODE` answers for; revoked by staff with a reason. Issuing and revoking are
//! audited in their own transaction.
//!
//! **The policy** ([`Store::issue_attestation`]): an employer is up to date when its
//! ledger balance counting the entries dated today or before is zero or below — every
//! contribution whose due day has come is paid (by a settled debit or another payment), a
//! debit still in the bank's hands counting only once it settles. Contributions not yet
//! due do not count. **A payment plan honoured counts as paid**: the lines of the
//! employer's plan in force (set, no instalment missed past the grace) still unpaid are
//! taken out of that balance (`payment_plans::planned_unpaid`); surcharges and any other
//! arrears are not. A broken or cancelled plan covers nothing.
//!
//! Must not know: how a certificate is drawn (`crate::documents`), HTTP or the CLI.

use chrono::{Months, NaiveDate};
use mandates::Amount;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::audit::Audit;
use super::{Actor, Employer, Store, StoreError, StoreResult, throttle};

/// Lookups of unknown codes one client address may make in
/// [`VERIFY_WINDOW_MINUTES`] before `/verify` stops answering it (as sign-in counts its
/// failures per address): codes cannot be guessed, nor tried in bulk.
pub const MAX_UNKNOWN_VERIFICATIONS_PER_ADDRESS: i64 = 30;
pub const VERIFY_WINDOW_MINUTES: i64 = 15;

/// The fund's rule for certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttestationPolicy {
    /// A certificate is valid from the day it is issued until that day plus this many
    /// months (inclusive).
    pub validity_months: u32,
}

impl Default for AttestationPolicy {
    fn default() -> AttestationPolicy {
        AttestationPolicy {
            validity_months: crate::config::DEFAULT_ATTESTATION_MONTHS,
        }
    }
}

/// One certificate as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct Attestation {
    pub id: i64,
    pub number: String,
    /// The verification code printed on the certificate and in its QR code.
    pub code: String,
    pub employer_id: i64,
    pub issued_at: String,
    /// The Algiers day it was issued on (`YYYY-MM-DD`).
    pub issued_on: String,
    /// The last day it is valid (`YYYY-MM-DD`).
    pub valid_until: String,
    pub issued_by: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

/// Where a certificate stands on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AttestationState {
    Valid,
    Expired,
    Revoked,
}

impl Attestation {
    /// Its state on `today`: revoked above all, else expired after its last valid day.
    pub fn state_on(&self, today: NaiveDate) -> AttestationState {
        if self.revoked_at.is_some() {
            AttestationState::Revoked
        } else if today.to_string() > self.valid_until {
            AttestationState::Expired
        } else {
            AttestationState::Valid
        }
    }
}

/// What asking for a certificate gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Issuance {
    Issued(Box<Attestation>),
    /// The employer owes `owed` fallen due: no certificate.
    NotUpToDate {
        owed: Amount,
    },
}

/// What revoking gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revocation {
    Revoked(Attestation),
    /// No reason given: nothing done.
    ReasonMissing,
    /// It was revoked before (the first revocation stands).
    AlreadyRevoked(Attestation),
}

/// What the public page may say about a code: only the state, the employer's name and
/// affiliation number, and the last valid day — nothing for a code it does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verification {
    Known {
        state: AttestationState,
        number: String,
        employer_name: String,
        employer_name_ar: Option<String>,
        affiliation_number: String,
        valid_until: String,
    },
    Unknown,
    /// Too many unknown codes from this address lately.
    Throttled,
}

const COLUMNS: &str = "id, number, code, employer_id, issued_at, issued_on, valid_until, \
     issued_by, revoked_at, revoked_by, revoke_reason";

/// A fresh verification code: 15 random bytes (120 bits) in Crockford's base32, 24
/// characters (no I, L, O or U to misread).
fn new_code() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bytes: [u8; 15] = rand::random();
    let mut out = String::with_capacity(24);
    for chunk in bytes.chunks(5) {
        let mut bits: u64 = 0;
        for byte in chunk {
            bits = (bits << 8) | u64::from(*byte);
        }
        for i in (0..8).rev() {
            let index = usize::try_from((bits >> (i * 5)) & 31).unwrap_or(0);
            out.push(char::from(ALPHABET[index]));
        }
    }
    out
}

/// A code as someone typed or scanned it: upper case, without spaces or dashes, and
/// Crockford's look-alikes read as the digits they stand for.
pub fn normalized_code(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

impl Store {
    /// Issues a certificate to `employer_id` if it is up to date today (see the module's
    /// policy), valid `policy.validity_months` months; audited as `actor`. The balance is
    /// read in the transaction that writes the certificate.
    pub async fn issue_attestation(
        &self,
        actor: &Actor,
        employer_id: i64,
        policy: AttestationPolicy,
    ) -> StoreResult<Issuance> {
        self.employer(employer_id).await?;
        let today = self.clock().today();
        let valid_until = today
            .checked_add_months(Months::new(policy.validity_months.max(1)))
            .ok_or_else(|| StoreError::Invalid("validity beyond the calendar".to_owned()))?;
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let owed: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(amount_centimes), 0) AS BIGINT) FROM ledger_entries \
             WHERE employer_id = $1 AND entry_date <= $2",
        )
        .bind(employer_id)
        .bind(today.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let planned = super::payment_plans::planned_unpaid(&mut tx, employer_id).await?;
        let owed = owed.saturating_sub(planned.centimes());
        if owed > 0 {
            tx.rollback().await?;
            return Ok(Issuance::NotUpToDate {
                owed: Amount::from_centimes(owed),
            });
        }
        let code = new_code();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attestations (code, employer_id, issued_at, issued_on, valid_until, issued_by) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&code)
        .bind(employer_id)
        .bind(&now)
        .bind(today.to_string())
        .bind(valid_until.to_string())
        .bind(actor.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let number = format!("AT-{}-{id:08}", today.format("%Y"));
        sqlx::query("UPDATE attestations SET number = $2 WHERE id = $1")
            .bind(id)
            .bind(&number)
            .execute(&mut *tx)
            .await?;
        Audit::new(actor, "attestation.issued")
            .on("attestation", id)
            .detail(json!({
                "number": number,
                "employer_id": employer_id,
                "valid_until": valid_until.to_string(),
                "balance_centimes": owed,
            }))
            .record(&mut tx, &now)
            .await?;
        let attestation = fetch(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Issuance::Issued(Box::new(attestation)))
    }

    /// The certificate `id`; "not found" when there is none.
    pub async fn attestation(&self, id: i64) -> StoreResult<Attestation> {
        let mut conn = self.pool.acquire().await?;
        fetch(&mut conn, id).await
    }

    /// The employer's certificates, newest first.
    pub async fn employer_attestations(&self, employer_id: i64) -> StoreResult<Vec<Attestation>> {
        Ok(
            sqlx::query_as::<_, Attestation>(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM attestations WHERE employer_id = $1 AND number IS NOT NULL \
             ORDER BY id DESC"
            )))
            .bind(employer_id)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// Revokes certificate `id` for `reason` (required), audited as `actor`.
    pub async fn revoke_attestation(
        &self,
        actor: &Actor,
        id: i64,
        reason: &str,
    ) -> StoreResult<Revocation> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Ok(Revocation::ReasonMissing);
        }
        let reason: String = reason.chars().take(500).collect();
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE attestations SET revoked_at = $2, revoked_by = $3, revoke_reason = $4 \
             WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(&now)
        .bind(actor.as_str())
        .bind(&reason)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let attestation = fetch(&mut tx, id).await?;
        if changed == 0 {
            tx.rollback().await?;
            return Ok(Revocation::AlreadyRevoked(attestation));
        }
        Audit::new(actor, "attestation.revoked")
            .on("attestation", id)
            .detail(json!({
                "number": attestation.number,
                "employer_id": attestation.employer_id,
                "reason": reason,
            }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(Revocation::Revoked(attestation))
    }

    /// What the public page says about `code`, asked from `address`. Unknown codes count
    /// against the address (a known one is given back), and past
    /// [`MAX_UNKNOWN_VERIFICATIONS_PER_ADDRESS`] in the window the answer is
    /// [`Verification::Throttled`] whatever the code.
    pub async fn verify_attestation(&self, code: &str, address: &str) -> StoreResult<Verification> {
        let code = normalized_code(code);
        let now = self.now();
        let bucket = throttle::bucket("verify:address", address);
        let mut tx = self.begin_write().await?;
        let rank = throttle::bump(
            &mut tx,
            &bucket,
            now,
            chrono::Duration::minutes(VERIFY_WINDOW_MINUTES),
        )
        .await?;
        if rank > MAX_UNKNOWN_VERIFICATIONS_PER_ADDRESS {
            tx.commit().await?;
            return Ok(Verification::Throttled);
        }
        let found: Option<i64> = if code.len() == 24
            && code.chars().all(|c| c.is_ascii_alphanumeric())
        {
            sqlx::query_scalar("SELECT id FROM attestations WHERE code = $1 AND number IS NOT NULL")
                .bind(&code)
                .fetch_optional(&mut *tx)
                .await?
        } else {
            None
        };
        let Some(id) = found else {
            tx.commit().await?;
            return Ok(Verification::Unknown);
        };
        throttle::refund(&mut tx, &bucket).await?;
        let attestation = fetch(&mut tx, id).await?;
        tx.commit().await?;
        let employer: Employer = self.employer(attestation.employer_id).await?;
        Ok(Verification::Known {
            state: attestation.state_on(self.clock().today()),
            number: attestation.number,
            employer_name: employer.name,
            employer_name_ar: employer.name_ar.filter(|n| !n.trim().is_empty()),
            affiliation_number: employer.affiliation_number,
            valid_until: attestation.valid_until,
        })
    }

    /// The employer whose affiliation number is `affiliation`, if any.
    pub async fn employer_by_affiliation(
        &self,
        affiliation: &str,
    ) -> StoreResult<Option<Employer>> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM employers WHERE affiliation_number = $1")
                .bind(affiliation.trim())
                .fetch_optional(&self.pool)
                .await?;
        match id {
            Some(id) => Ok(Some(self.employer(id).await?)),
            None => Ok(None),
        }
    }
}

async fn fetch(conn: &mut sqlx::AnyConnection, id: i64) -> StoreResult<Attestation> {
    sqlx::query_as::<_, Attestation>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM attestations WHERE id = $1 AND number IS NOT NULL"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| StoreError::not_found("attestation", id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_random_24_characters_of_crockford_base32() {
        let a = new_code();
        let b = new_code();
        assert_eq!(a.len(), 24);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c))),
            "{a}"
        );
        assert_eq!(normalized_code(&a.to_lowercase()), a);
        assert_eq!(normalized_code("ab-cd o1l"), "ABCD011");
    }
}
