//! Enrolment of an employer by itself: the fund issues an activation code for an employer
//! (printed on a paper letter, or sent by staff); whoever holds the affiliation number and
//! the code chooses an e-mail address and a password and becomes the employer's first
//! owner. Codes are kept as SHA-256 only, used once, expire; wrong attempts are throttled
//! per affiliation number and per client address like sign-ins.
//!
//! Must not know: the letter or the page; only the records.

use chrono::Duration;
use serde_json::json;

use super::colleagues::Capacity;
use super::secrets::token_hash;
use super::{
    Actor, NewUser, Refusal, Role, Store, StoreError, StoreResult, User, audit::Audit, throttle,
    timestamp,
};

/// An activation code works this many days from its issue.
pub const ENROLMENT_CODE_DAYS: i64 = 60;
/// Enrolment attempts counted over this window…
pub const ENROLMENT_WINDOW_MINUTES: i64 = 15;
/// …at most this many for one affiliation number…
pub const MAX_ENROLMENTS_PER_EMPLOYER: i64 = 5;
/// …and this many from one address.
pub const MAX_ENROLMENTS_PER_ADDRESS: i64 = 20;

/// Letters of a code: no 0/O, 1/I/L, so a code read off paper is typed right.
const CODE_ALPHABET: &[u8; 30] = b"ABCDEFGHJKMNPQRSTUVWXYZ2345679";

/// A code just issued (shown once: only its hash is kept).
#[derive(Clone)]
pub struct IssuedCode {
    pub employer_id: i64,
    pub affiliation_number: String,
    /// `XXXX-XXXX-XXXX`.
    pub code: String,
    pub expires_at: String,
}

impl std::fmt::Debug for IssuedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCode")
            .field("employer_id", &self.employer_id)
            .finish_non_exhaustive()
    }
}

/// What an employer types to enrol.
#[derive(Clone, Copy)]
pub struct Enrolment<'a> {
    pub affiliation_number: &'a str,
    pub code: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    /// The client's address (for the throttle).
    pub address: &'a str,
}

impl std::fmt::Debug for Enrolment<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment").finish_non_exhaustive()
    }
}

/// A code as typed (any case, spaces and dashes anywhere) in its stored form.
fn canonical_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn new_code() -> String {
    let bytes = rand::random::<[u8; 12]>();
    let letters: Vec<char> = bytes
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()]))
        .collect();
    letters
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn code_hash(code: &str) -> String {
    token_hash(&format!("enrolment:{}", canonical_code(code)))
}

impl Store {
    /// Issues an activation code for the employer with this affiliation number. Audited.
    pub async fn issue_enrolment_code(
        &self,
        actor: &Actor,
        affiliation_number: &str,
    ) -> StoreResult<IssuedCode> {
        let affiliation = affiliation_number.trim();
        let employer_id: i64 =
            sqlx::query_scalar("SELECT id FROM employers WHERE affiliation_number = $1")
                .bind(affiliation)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::not_found("employer", affiliation))?;
        let code = new_code();
        let now = self.now();
        let now_text = timestamp(now);
        let expires_at = timestamp(now + Duration::days(ENROLMENT_CODE_DAYS));
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO enrolment_codes (employer_id, code_sha256, issued_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(employer_id)
        .bind(code_hash(&code))
        .bind(actor.as_str())
        .bind(&now_text)
        .bind(&expires_at)
        .fetch_one(&mut *tx)
        .await?;
        Audit::new(actor, "enrolment.code_issued")
            .on("employer", employer_id)
            .detail(json!({ "code_id": id, "expires_at": expires_at }))
            .record(&mut tx, &now_text)
            .await?;
        tx.commit().await?;
        Ok(IssuedCode {
            employer_id,
            affiliation_number: affiliation.to_owned(),
            code,
            expires_at,
        })
    }

    /// Enrols: with the right, unused, unexpired code of this affiliation number, creates
    /// the employer's owner (the chosen e-mail and password) and uses the code up, in one
    /// transaction. A wrong, used or expired code gets the same refusal; beyond
    /// [`MAX_ENROLMENTS_PER_EMPLOYER`] attempts for one affiliation number or
    /// [`MAX_ENROLMENTS_PER_ADDRESS`] from one address in [`ENROLMENT_WINDOW_MINUTES`],
    /// nothing is checked.
    pub async fn enrol(&self, enrolment: Enrolment<'_>) -> StoreResult<User> {
        let affiliation = enrolment.affiliation_number.trim();
        let now = self.now();
        let now_text = timestamp(now);
        let window = Duration::minutes(ENROLMENT_WINDOW_MINUTES);
        let employer_bucket = throttle::bucket("enrol:employer", affiliation);
        let address_bucket = throttle::bucket("enrol:address", enrolment.address);
        let mut tx = self.begin_write().await?;
        let by_employer = throttle::bump(&mut tx, &employer_bucket, now, window).await?;
        let by_address = throttle::bump(&mut tx, &address_bucket, now, window).await?;
        tx.commit().await?;
        if by_employer > MAX_ENROLMENTS_PER_EMPLOYER || by_address > MAX_ENROLMENTS_PER_ADDRESS {
            return Err(StoreError::refused(
                Refusal::EnrolmentThrottled,
                "too many enrolment attempts: wait a quarter of an hour and try again",
            ));
        }
        let invalid = || {
            StoreError::refused(
                Refusal::EnrolmentCodeInvalid,
                "this affiliation number and activation code do not match a valid code: check both, or ask the fund for a new code",
            )
        };
        let found: Option<(i64, i64)> = sqlx::query_as(
            "SELECT c.id, c.employer_id FROM enrolment_codes c JOIN employers e ON e.id = c.employer_id \
             WHERE c.code_sha256 = $1 AND e.affiliation_number = $2 AND c.used_at IS NULL AND c.expires_at > $3",
        )
        .bind(code_hash(enrolment.code))
        .bind(affiliation)
        .bind(&now_text)
        .fetch_optional(&self.pool)
        .await?;
        let Some((code_id, employer_id)) = found else {
            return Err(invalid());
        };
        let prepared = self
            .prepare_user(
                NewUser {
                    email: enrolment.email.to_owned(),
                    display_name: enrolment.display_name.to_owned(),
                    role: Role::Employer,
                    password: enrolment.password.to_owned(),
                    employers: vec![affiliation.to_owned()],
                },
                false,
            )
            .await?;
        let mut tx = self.begin_write().await?;
        // Used once: the second of two racing enrolments finds it used.
        let used = sqlx::query(
            "UPDATE enrolment_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL",
        )
        .bind(code_id)
        .bind(&now_text)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if used == 0 {
            return Err(invalid());
        }
        let actor = Actor::new("enrolment");
        let (user_id, _) = self
            .insert_user(&mut tx, &actor, &prepared, false, Capacity::Owner)
            .await?;
        sqlx::query("UPDATE enrolment_codes SET user_id = $2 WHERE id = $1")
            .bind(code_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        throttle::clear(&mut tx, &employer_bucket).await?;
        Audit::new(&actor, "enrolment.completed")
            .on("employer", employer_id)
            .detail(json!({ "code_id": code_id, "user_id": user_id }))
            .record(&mut tx, &now_text)
            .await?;
        tx.commit().await?;
        self.user(user_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typed_back_in_any_case_and_spacing() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        let typed = format!(" {} ", code.to_lowercase().replace('-', " "));
        assert_eq!(code_hash(&typed), code_hash(&code));
        assert_ne!(code_hash(&new_code()), code_hash(&code));
    }
}
