//! Password resets: a link by email to choose a new password (and the invitation of a new
//! user, which is the same link living longer). The token is kept as SHA-256 and, until
//! the mailer has sent it, encrypted for the mailer; one live link per user; claimed by
//! one mailer at a time.
//!
//! Must not know: how the email is written or sent (`crate::notices`).

use chrono::Duration;
use mandates::Lang;
use serde_json::json;
use sqlx::FromRow;

use super::secrets::{check_password, hash_password, random_token, token_hash};
use super::users::normalise_email;
use super::{
    Actor, OptionalCode, Refusal, Store, StoreError, StoreResult, User, audit::Audit, throttle,
    timestamp,
};

/// A password-reset email waiting for the mailer.
#[derive(Clone)]
pub struct PasswordResetEmail {
    pub reset_id: i64,
    pub user_id: i64,
    pub email: String,
    pub language: Option<Lang>,
    /// The token to put in the link (`/password/reset?token=…`).
    pub token: String,
    pub expires_at: String,
    /// A link confirming this new address (sent to it, `email` is then that address)
    /// rather than a reset.
    pub confirms_email: bool,
}

impl std::fmt::Debug for PasswordResetEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordResetEmail")
            .field("reset_id", &self.reset_id)
            .finish_non_exhaustive()
    }
}

/// Reset links work this long.
pub const RESET_MINUTES: i64 = 60;
/// Reset requests counted over this window…
pub const RESET_WINDOW_MINUTES: i64 = 60;
/// …at most this many for one email…
pub const MAX_RESETS_PER_ACCOUNT: i64 = 3;
/// …and this many from one address.
pub const MAX_RESETS_PER_ADDRESS: i64 = 10;

/// What became of a reset request (the web answers the same for all three).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResetRequest {
    /// A link is on its way.
    Queued,
    /// No enabled account has this email: nothing sent.
    NoAccount,
    /// Too many requests for this email or from this address: nothing sent.
    Throttled,
}

#[derive(FromRow)]
struct ResetRow {
    id: i64,
    user_id: i64,
    email: String,
    #[sqlx(try_from = "OptionalCode")]
    language: Option<Lang>,
    token_encrypted: Option<String>,
    expires_at: String,
    confirms_email: i64,
}

impl Store {
    /// Records a reset token for the user with this email and the email to send (for the
    /// mailer: [`Store::password_reset_emails`]). Unknown or disabled emails do nothing,
    /// and the caller answers the same either way. Not throttled: staff tools and tests;
    /// the web's form goes through [`Store::request_password_reset_from`].
    pub async fn request_password_reset(&self, email: &str) -> StoreResult<bool> {
        let email = normalise_email(email);
        let mut tx = self.begin_write().await?;
        let queued = self.queue_password_reset(&mut tx, &email).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// [`Store::request_password_reset`] from the web's form, throttled: at most
    /// [`MAX_RESETS_PER_ACCOUNT`] requests for one email and [`MAX_RESETS_PER_ADDRESS`]
    /// from one address in [`RESET_WINDOW_MINUTES`], counted and decided in the same
    /// transaction as the request. Beyond, nothing is queued (no email goes out, the live
    /// link stays). The same work (the same statements) whether or not the account exists.
    pub async fn request_password_reset_from(
        &self,
        email: &str,
        address: &str,
    ) -> StoreResult<ResetRequest> {
        let email = normalise_email(email);
        let now = self.now();
        let window = Duration::minutes(RESET_WINDOW_MINUTES);
        let mut tx = self.begin_write().await?;
        let by_account = throttle::bump(
            &mut tx,
            &throttle::bucket("forgot:account", &email),
            now,
            window,
        )
        .await?;
        let by_address = throttle::bump(
            &mut tx,
            &throttle::bucket("forgot:address", address),
            now,
            window,
        )
        .await?;
        if by_account > MAX_RESETS_PER_ACCOUNT || by_address > MAX_RESETS_PER_ADDRESS {
            tx.commit().await?;
            return Ok(ResetRequest::Throttled);
        }
        let queued = self.queue_password_reset(&mut tx, &email).await?;
        tx.commit().await?;
        Ok(if queued {
            ResetRequest::Queued
        } else {
            ResetRequest::NoAccount
        })
    }

    /// Queues a reset link for the enabled user with this (normalised) email, in `tx`.
    async fn queue_password_reset(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        email: &str,
    ) -> StoreResult<bool> {
        let user: Option<(i64, i64)> =
            sqlx::query_as("SELECT id, disabled FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&mut **tx)
                .await?;
        let Some((user_id, 0)) = user else {
            return Ok(false);
        };
        let now = self.now();
        let now_text = timestamp(now);
        let expires_at = timestamp(now + Duration::minutes(RESET_MINUTES));
        let id = self
            .queue_link(tx, user_id, None, &now_text, expires_at)
            .await?;
        Audit::new(&Actor::new("web"), "user.password_reset_requested")
            .on("user", user_id)
            .detail(json!({ "reset_id": id }))
            .record(tx, &now_text)
            .await?;
        Ok(true)
    }

    /// Queues a link for `user_id` in `tx`, with a new token, working until `expires_at`:
    /// a password reset, or with `new_email` the confirmation of that address. The user's
    /// live link of the same kind stops working (one at a time). Returns the link's id.
    pub(super) async fn queue_link(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        user_id: i64,
        new_email: Option<&str>,
        now_text: &str,
        expires_at: String,
    ) -> StoreResult<i64> {
        let older = if new_email.is_some() {
            "UPDATE password_resets SET status = 'expired', token_encrypted = NULL \
             WHERE user_id = $1 AND new_email IS NOT NULL AND status IN ('pending', 'sent')"
        } else {
            "UPDATE password_resets SET status = 'expired', token_encrypted = NULL \
             WHERE user_id = $1 AND new_email IS NULL AND status IN ('pending', 'sent')"
        };
        sqlx::query(older).bind(user_id).execute(&mut **tx).await?;
        let token = random_token();
        Ok(sqlx::query_scalar(
            "INSERT INTO password_resets (user_id, token_sha256, token_encrypted, status, created_at, expires_at, new_email) \
             VALUES ($1, $2, $3, 'pending', $4, $5, $6) RETURNING id",
        )
        .bind(user_id)
        .bind(token_hash(&token))
        .bind(self.cipher.encrypt(&token))
        .bind(now_text)
        .bind(expires_at)
        .bind(new_email)
        .fetch_one(&mut **tx)
        .await?)
    }

    /// Reset emails waiting to be sent, oldest first, with their tokens decrypted.
    pub async fn password_reset_emails(&self) -> StoreResult<Vec<PasswordResetEmail>> {
        let rows: Vec<ResetRow> = sqlx::query_as(
            "SELECT r.id, r.user_id, COALESCE(r.new_email, u.email) AS email, u.language, r.token_encrypted, r.expires_at, \
                 CAST(CASE WHEN r.new_email IS NULL THEN 0 ELSE 1 END AS BIGINT) AS confirms_email \
                 FROM password_resets r JOIN users u ON u.id = r.user_id \
                 WHERE r.status = 'pending' ORDER BY r.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(encrypted) = row.token_encrypted else {
                continue;
            };
            out.push(PasswordResetEmail {
                reset_id: row.id,
                user_id: row.user_id,
                email: row.email,
                language: row.language,
                token: self.cipher.decrypt(&encrypted)?,
                expires_at: row.expires_at,
                confirms_email: row.confirms_email != 0,
            });
        }
        Ok(out)
    }

    /// The mailer sent this reset email: the token is no longer kept in any form but its hash.
    pub async fn mark_password_reset_sent(&self, reset_id: i64) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE password_resets SET status = 'sent', token_encrypted = NULL \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(reset_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims a pending reset email for one worker until `lock` from now: true when this
    /// worker may send it (nobody holds it, or the holder's claim expired).
    pub async fn claim_password_reset(
        &self,
        reset_id: i64,
        worker: &str,
        lock: Duration,
    ) -> StoreResult<bool> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let claimed = sqlx::query(
            "UPDATE password_resets SET locked_by = $2, locked_until = $3 \
             WHERE id = $1 AND status = 'pending' AND (locked_until IS NULL OR locked_until < $4)",
        )
        .bind(reset_id)
        .bind(worker)
        .bind(super::lease_timestamp(now + lock))
        .bind(super::lease_timestamp(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(claimed == 1)
    }

    /// A reset email that will not be sent (expired while waiting, or an address the mail
    /// server refuses): the link is dropped with its token; the user may ask again.
    pub async fn drop_password_reset(&self, reset_id: i64) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE password_resets SET status = 'expired', token_encrypted = NULL \
             WHERE id = $1 AND status = 'pending'",
        )
        .bind(reset_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password with a reset token (once, before it expires), and signs the
    /// user out everywhere.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> StoreResult<User> {
        check_password(new_password)?;
        let now_text = self.now_text();
        let found: Option<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT id, user_id, status, expires_at FROM password_resets \
             WHERE token_sha256 = $1 AND new_email IS NULL",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        let invalid = || {
            StoreError::refused(
                Refusal::ResetLinkInvalid,
                "this reset link is not valid any more: ask for a new one",
            )
        };
        let Some((reset_id, user_id, status, expires_at)) = found else {
            return Err(invalid());
        };
        if !matches!(status.as_str(), "pending" | "sent") || expires_at <= now_text {
            return Err(invalid());
        }
        let hash = hash_password(new_password.to_owned()).await?;
        let mut tx = self.begin_write().await?;
        if !use_link(&mut tx, reset_id, &now_text).await? {
            return Err(invalid());
        }
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user_id)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        Audit::new(
            &Actor::new(format!("user:{user_id}")),
            "user.password_reset",
        )
        .on("user", user_id)
        .detail(json!({ "reset_id": reset_id }))
        .record(&mut tx, &now_text)
        .await?;
        tx.commit().await?;
        self.user(user_id).await
    }
}

/// Uses the link `link_id` at `now_text` (its token forgotten, so it works once); false
/// when it was used or replaced meanwhile.
pub(super) async fn use_link(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    link_id: i64,
    now_text: &str,
) -> StoreResult<bool> {
    let used = sqlx::query(
        "UPDATE password_resets SET status = 'used', used_at = $2, token_encrypted = NULL \
         WHERE id = $1 AND status IN ('pending', 'sent')",
    )
    .bind(link_id)
    .bind(now_text)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(used == 1)
}
