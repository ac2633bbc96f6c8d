//! The second factor of a sign-in: TOTP (RFC 6238, `crate::totp`), optional for finance
//! staff and required for administrators. The secret is kept encrypted with the fund's key
//! (`crypto`), enabled once a first code matched; the last accepted time step is kept so
//! the same code is never accepted twice (a single `UPDATE … WHERE last_step < step`); ten
//! one-time recovery codes, kept as SHA-256. After the right password, a challenge (a
//! short-lived token, hashed) awaits the code; only then is a session opened.
//!
//! Must not know: pages or cookies; only the records.

use chrono::{DateTime, Duration, Utc};

use super::secrets::{random_token, token_hash};
use super::sessions::open_session;
use super::{
    Actor, Refusal, Role, Session, Store, StoreError, StoreResult, User, audit::Audit, throttle,
    timestamp,
};
use crate::totp;

/// A challenge (password accepted, code awaited) lasts this long.
pub const CHALLENGE_MINUTES: i64 = 5;
/// Wrong codes counted per user over this window…
pub const CODE_WINDOW_MINUTES: i64 = 15;
/// …at most this many.
pub const MAX_WRONG_CODES: i64 = 5;
/// Recovery codes given when TOTP is enabled.
pub const RECOVERY_CODES: usize = 10;

/// What became of a code given after the password.
#[derive(Clone, Debug)]
pub enum SecondFactor {
    /// The code (or an unused recovery code) is right: a session and its token.
    Accepted { token: String, session: Session },
    /// Wrong code, a code already used, or no live challenge.
    Refused,
    /// Too many wrong codes for this user: try again later. Nothing was checked.
    Throttled,
}

/// A TOTP secret being set up: shown to the user (base32 and `otpauth://`) until a first
/// code confirms it.
#[derive(Clone)]
pub struct TotpSetup {
    pub secret_base32: String,
    pub uri: String,
}

impl std::fmt::Debug for TotpSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSetup(***)")
    }
}

/// Records a challenge for `user_id` in `tx`: its token.
pub(super) async fn open_challenge(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<String> {
    let token = random_token();
    sqlx::query("DELETE FROM sign_in_challenges WHERE expires_at < $1")
        .bind(timestamp(now))
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO sign_in_challenges (token_sha256, user_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(timestamp(now))
    .bind(timestamp(now + Duration::minutes(CHALLENGE_MINUTES)))
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// Erases `user_id`'s second factor in `tx` when it is on: the secret, the last step, the
/// recovery codes and any challenge awaiting a code. Whether it was on.
async fn erase_second_factor(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: i64,
    later_than_step: Option<i64>,
) -> StoreResult<bool> {
    // With a step (a code typed by the user), only a code later than the last accepted one
    // counts: the code that opened the session does not turn the second factor off.
    let changed = sqlx::query(
        "UPDATE users SET totp_enabled = 0, totp_secret = NULL, totp_last_step = NULL \
         WHERE id = $1 AND totp_enabled = 1 \
         AND ($2 < 0 OR totp_last_step IS NULL OR totp_last_step < $2)",
    )
    .bind(user_id)
    .bind(later_than_step.unwrap_or(-1))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    for erase in [
        "DELETE FROM recovery_codes WHERE user_id = $1",
        "DELETE FROM sign_in_challenges WHERE user_id = $1",
    ] {
        sqlx::query(erase).bind(user_id).execute(&mut **tx).await?;
    }
    Ok(true)
}

fn totp_not_on() -> StoreError {
    StoreError::refused(
        Refusal::TotpNotOn,
        "two-step sign-in is not on for this account: there is nothing to turn off",
    )
}

/// A recovery code as typed, in its stored form.
fn recovery_hash(code: &str) -> String {
    let canonical: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    token_hash(&format!("recovery:{canonical}"))
}

impl Store {
    fn totp_step(&self) -> i64 {
        totp::step_of(self.now().timestamp())
    }

    async fn totp_secret(&self, user_id: i64) -> StoreResult<Option<Vec<u8>>> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten();
        match stored {
            None => Ok(None),
            Some(encrypted) => {
                let text = self.cipher.decrypt(&encrypted)?;
                totp::from_base32(&text).map(Some).ok_or_else(|| {
                    StoreError::Other(anyhow::anyhow!("a stored TOTP secret is not base32"))
                })
            }
        }
    }

    /// A new TOTP secret for `user_id` (not enabled before a first code confirms it:
    /// [`Store::enable_totp`]). Refused when TOTP is already on.
    pub async fn start_totp(&self, user_id: i64, account: &str) -> StoreResult<TotpSetup> {
        let secret = totp::new_secret();
        let text = totp::base32(&secret);
        let mut tx = self.begin_write().await?;
        let changed =
            sqlx::query("UPDATE users SET totp_secret = $2 WHERE id = $1 AND totp_enabled = 0")
                .bind(user_id)
                .bind(self.cipher.encrypt(&text))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        if changed == 0 {
            return Err(StoreError::refused(
                Refusal::TotpAlreadyOn,
                "two-step sign-in is already on for this account",
            ));
        }
        Ok(TotpSetup {
            uri: totp::otpauth_uri("tahsil", account, &secret),
            secret_base32: text,
        })
    }

    /// The TOTP secret being set up for `user_id`, to show again (`None` when there is
    /// none or it is already enabled).
    pub async fn pending_totp(
        &self,
        user_id: i64,
        account: &str,
    ) -> StoreResult<Option<TotpSetup>> {
        let enabled: i64 = sqlx::query_scalar("SELECT totp_enabled FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?;
        if enabled != 0 {
            return Ok(None);
        }
        Ok(self.totp_secret(user_id).await?.map(|secret| TotpSetup {
            uri: totp::otpauth_uri("tahsil", account, &secret),
            secret_base32: totp::base32(&secret),
        }))
    }

    /// Enables TOTP for `user_id` when `code` is the current code of its pending secret:
    /// the recovery codes, shown once. Audited.
    pub async fn enable_totp(&self, user_id: i64, code: &str) -> StoreResult<Vec<String>> {
        let wrong = || {
            StoreError::refused(
                Refusal::TotpCodeWrong,
                "this code is not the one the application shows now: type the current code",
            )
        };
        let Some(secret) = self.totp_secret(user_id).await? else {
            return Err(wrong());
        };
        let Some(step) = totp::matching_step(&secret, code, self.totp_step()) else {
            return Err(wrong());
        };
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| {
                let raw = hex::encode(rand::random::<[u8; 5]>());
                format!("{}-{}", &raw[..5], &raw[5..])
            })
            .collect();
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE users SET totp_enabled = 1, totp_last_step = $2 WHERE id = $1 AND totp_enabled = 0",
        )
        .bind(user_id)
        .bind(step)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::refused(
                Refusal::TotpAlreadyOn,
                "two-step sign-in is already on for this account",
            ));
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for code in &codes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_sha256) VALUES ($1, $2)")
                .bind(user_id)
                .bind(recovery_hash(code))
                .execute(&mut *tx)
                .await?;
        }
        Audit::new(&Actor::new(format!("user:{user_id}")), "user.totp_enabled")
            .on("user", user_id)
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// `user` turns its own two-step sign-in off with a current code of its application
    /// (a code later than the last one accepted: the one that opened the session is not
    /// enough). Optional for finance staff only: an administrator's is required and stays
    /// on. The secret, the recovery codes and any waiting challenge are erased. Audited.
    pub async fn disable_own_totp(&self, user: &User, code: &str) -> StoreResult<()> {
        if user.role == Role::Admin {
            return Err(StoreError::refused(
                Refusal::TotpRequired,
                "administrators must keep two-step sign-in: it cannot be turned off",
            ));
        }
        if !self.user(user.id).await?.totp_enabled {
            return Err(totp_not_on());
        }
        let wrong = || {
            StoreError::refused(
                Refusal::TotpCodeWrong,
                "this code is not the one the application shows now: type the current code",
            )
        };
        let step = self
            .totp_secret(user.id)
            .await?
            .and_then(|secret| totp::matching_step(&secret, code, self.totp_step()))
            .ok_or_else(wrong)?;
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        if !erase_second_factor(&mut tx, user.id, Some(step)).await? {
            return Err(wrong());
        }
        Audit::new(
            &Actor::new(format!("user:{}", user.id)),
            "user.totp_disabled",
        )
        .on("user", user.id)
        .record(&mut tx, &now)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The administrator `by` resets the two-step sign-in of another user (a lost phone):
    /// the secret and recovery codes erased, so the user signs in with the password and
    /// sets it up again (at once for an administrator, who is sent to do so). Never one's
    /// own. Audited with the administrator as actor.
    pub async fn reset_totp(&self, by: &User, user_id: i64) -> StoreResult<()> {
        if by.role != Role::Admin {
            return Err(StoreError::Invalid(
                "only an administrator resets another user's two-step sign-in".to_owned(),
            ));
        }
        if by.id == user_id {
            return Err(StoreError::refused(
                Refusal::TotpResetSelf,
                "an administrator does not reset their own two-step sign-in: ask another administrator",
            ));
        }
        if !self.user(user_id).await?.totp_enabled {
            return Err(totp_not_on());
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        if !erase_second_factor(&mut tx, user_id, None).await? {
            // Turned off meanwhile.
            return Err(totp_not_on());
        }
        Audit::new(&Actor::new(format!("user:{}", by.id)), "user.totp_reset")
            .on("user", user_id)
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The code given after the password, for the challenge `challenge`: a TOTP code of
    /// the user's secret not older than its last accepted one (the same code twice is
    /// refused), or one of its unused recovery codes. Right: the challenge ends and a
    /// session opens, in one transaction. Wrong codes are throttled per user.
    pub async fn complete_second_factor(
        &self,
        challenge: &str,
        code: &str,
    ) -> StoreResult<SecondFactor> {
        let now = self.now();
        let now_text = timestamp(now);
        let found: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, user_id FROM sign_in_challenges WHERE token_sha256 = $1 AND expires_at > $2",
        )
        .bind(token_hash(challenge))
        .bind(&now_text)
        .fetch_optional(&self.pool)
        .await?;
        let Some((challenge_id, user_id)) = found else {
            return Ok(SecondFactor::Refused);
        };
        let bucket = throttle::bucket("totp:user", &user_id.to_string());
        let mut tx = self.begin_write().await?;
        let attempts = throttle::bump(
            &mut tx,
            &bucket,
            now,
            Duration::minutes(CODE_WINDOW_MINUTES),
        )
        .await?;
        tx.commit().await?;
        if attempts > MAX_WRONG_CODES {
            return Ok(SecondFactor::Throttled);
        }
        let secret = self.totp_secret(user_id).await?;
        let step = secret
            .as_deref()
            .and_then(|secret| totp::matching_step(secret, code, self.totp_step()));
        let mut tx = self.begin_write().await?;
        let accepted = match step {
            // Replay: only a step later than the last accepted one moves it.
            Some(step) => sqlx::query(
                "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_enabled = 1 \
                 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            )
            .bind(user_id)
            .bind(step)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1,
            None => sqlx::query(
                "UPDATE recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_sha256 = $2 AND used_at IS NULL",
            )
            .bind(user_id)
            .bind(recovery_hash(code))
            .bind(&now_text)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1,
        };
        let ended = sqlx::query("DELETE FROM sign_in_challenges WHERE id = $1")
            .bind(challenge_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if !accepted || ended == 0 {
            // A wrong code does not end the challenge: rolled back.
            return Ok(SecondFactor::Refused);
        }
        throttle::clear(&mut tx, &bucket).await?;
        if step.is_none() {
            Audit::new(
                &Actor::new(format!("user:{user_id}")),
                "user.recovery_code_used",
            )
            .on("user", user_id)
            .record(&mut tx, &now_text)
            .await?;
        }
        let token = open_session(&mut tx, user_id, now).await?;
        tx.commit().await?;
        let session = self
            .session(&token)
            .await?
            .ok_or_else(|| StoreError::Other(anyhow::anyhow!("the new session vanished")))?;
        Ok(SecondFactor::Accepted { token, session })
    }
}

#[cfg(test)]
mod tests {
    use super::recovery_hash;

    #[test]
    fn recovery_codes_are_typed_back_in_any_case_and_spacing() {
        assert_eq!(recovery_hash("ab12c-3d4e5"), recovery_hash(" AB12C 3D4E5 "));
        assert_ne!(recovery_hash("ab12c-3d4e5"), recovery_hash("ab12c-3d4e6"));
    }
}
