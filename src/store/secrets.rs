//! How secrets are made and kept: random tokens and their SHA-256 (session, reset and API
//! tokens are stored and looked up by hash), and passwords as argon2id PHC strings with the
//! rule a new one must follow.
//!
//! Secrets never reach the database in clear, and a clear password goes no further than
//! these functions. Must not know: users, sessions or tokens as records, only the secrets.

use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
/// the same work as for a known one. The argon2 memory is `memory` (grown to the hash's
/// size when smaller), reused from one check to the next: a check allocates nothing big,
/// so the memory of many sign-ins stays that of the gate's permits (allocating ~19 MiB a
/// check from many threads left the allocator holding hundreds of MB).
fn password_matches(password: &str, stored: Option<String>, memory: &mut Vec<Block>) -> bool {
    let known = stored.is_some();
    let text = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
    let Ok(parsed) = PasswordHash::new(&text) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm.as_str()),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut computed = vec![0u8; expected.as_ref().len()];
    let ok = Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt.as_ref(),
            &mut computed,
            &mut memory[..blocks],
        )
        .is_ok()
        && same_bytes(&computed, expected.as_ref());
    ok && known
}

/// Equal bytes, compared in constant time for equal lengths.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The bounded room where passwords are checked: argon2id takes ~19 MiB and tens of
/// milliseconds a check, so at most `permits` checks run at once and a caller waits at most
/// `queue` for its turn — then it is told the service is busy ([`PasswordGate::verify`]
/// answers `None`) instead of queueing without end. Memory stays at `permits` × 19 MiB
/// whatever the number of sign-ins in flight.
#[derive(Clone, Debug)]
pub struct PasswordGate {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    queue: std::time::Duration,
    /// The argon2 memories of the checks, one per permit at most, kept between checks.
    memories: std::sync::Arc<std::sync::Mutex<Vec<Vec<Block>>>>,
}

/// Password checks at once by default…
pub const DEFAULT_PASSWORD_CHECKS: u32 = 4;
/// …and how long one waits for its turn by default.
pub const DEFAULT_PASSWORD_QUEUE_MS: u32 = 500;

impl Default for PasswordGate {
    fn default() -> Self {
        PasswordGate::new(DEFAULT_PASSWORD_CHECKS, DEFAULT_PASSWORD_QUEUE_MS)
    }
}

impl PasswordGate {
    /// At most `permits` (at least 1) checks at once, waiting at most `queue_ms` for a turn.
    pub fn new(permits: u32, queue_ms: u32) -> PasswordGate {
        PasswordGate {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(permits.max(1) as usize)),
            queue: std::time::Duration::from_millis(u64::from(queue_ms)),
            memories: std::sync::Arc::default(),
        }
    }

    /// A turn in the room: `None` when none freed up within the queue timeout. A sign-in
    /// takes its turn before anything else (the throttles' write, the check), so at most
    /// `permits` sign-ins reach the database and argon2 at once and the others are answered
    /// at once when the room stays full.
    pub(super) async fn enter(&self) -> Option<GateTurn> {
        let permit = tokio::time::timeout(self.queue, self.permits.clone().acquire_owned())
            .await
            .ok()?
            .ok()?;
        Some(GateTurn { _permit: permit })
    }

    /// Whether `password` matches `stored` (false for an unknown user, `None`, after the
    /// same work), in `turn`.
    pub(super) async fn check(
        &self,
        turn: GateTurn,
        password: String,
        stored: Option<String>,
    ) -> bool {
        // The turn goes with the work: a caller that gives up does not free it early.
        let memories = self.memories.clone();
        let checked = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let taken = memories
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop();
            let mut memory = taken.unwrap_or_default();
            let right = password_matches(&password, stored, &mut memory);
            memories
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(memory);
            right
        });
        checked.await.unwrap_or(false)
    }
}

/// One turn in the [`PasswordGate`] (freed when dropped).
#[derive(Debug)]
pub(super) struct GateTurn {
    _permit: tokio::sync::OwnedSemaphorePermit,
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
    fn checks_in_reused_memory_agree_with_argon2() {
        let hash = Argon2::default()
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
        let mut memory = Vec::new();
        assert!(password_matches(
            "correct horse battery",
            Some(hash.clone()),
            &mut memory
        ));
        let size = memory.len();
        assert!(size > 0);
        assert!(!password_matches(
            "correct horse battery!",
            Some(hash),
            &mut memory
        ));
        assert!(!password_matches("anything", None, &mut memory));
        assert_eq!(memory.len(), size, "the same memory, reused");
        assert!(!password_matches(
            "x",
            Some("not a hash".to_owned()),
            &mut memory
        ));
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
