//! How secrets are made and kept: random tokens and their SHA-256 (session, reset and API
//! tokens are stored and looked up by hash), and passwords as argon2id PHC strings with the
//! rule a new one must follow.
//!
//! Secrets never reach the database in clear, and a clear password goes no further than
//! these functions. Must not know: users, sessions or tokens as records, only the secrets.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::{Refusal, StoreError, StoreResult};

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A fresh random token: 32 bytes, URL-safe base64.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The hex SHA-256 of a secret, as stored and looked up.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new password's rule: at least [`MIN_PASSWORD_CHARS`] characters, at most 1024 bytes.
pub(super) fn check_password(password: &str) -> StoreResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StoreError::refused(
            Refusal::PasswordTooShort,
            format!("the password is too short: use at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > 1024 {
        return Err(StoreError::refused(
            Refusal::PasswordTooLong,
            "the password is too long: use at most 1024 bytes",
        ));
    }
    Ok(())
}

/// Hashes a password with argon2id (default parameters, random salt), off the async threads.
pub(super) async fn hash_password(password: String) -> StoreResult<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| StoreError::Other(anyhow::anyhow!("hashing a password failed: {e}")))
    })
    .await
    .map_err(|e| StoreError::Other(anyhow::anyhow!("hashing a password failed: {e}")))?
}

/// A hash of a random password, verified against when the email is unknown so both answers
/// take the same time.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$JXo0GwfXq2Tu3sc3Hl9x1vWjbWBQ5N2kxCu8oTqYRlw";

/// Whether `password` matches the stored hash; false for an unknown user (`None`), after
/// the same work as for a known one.
pub(super) async fn verify_password(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let text = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&text) else {
            return false;
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && known
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_is_a_valid_argon2id_hash() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
    }

    #[test]
    fn tokens_are_long_random_and_stored_only_hashed() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
