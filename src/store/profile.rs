//! A user's own profile: the password (the current one asked first), the e-mail address
//! (the new one confirmed by a link sent to it before it takes effect — the link is a row
//! of `password_resets` carrying the address, sent by the same mailer), and for an
//! employer's owner the language of the employer's notices.
//!
//! Must not know: pages or e-mails; only the records.

use chrono::Duration;
use mandates::NoticeLanguage;
use serde_json::json;

use super::colleagues::Duty;
use super::password_resets::use_link;
use super::secrets::{check_password, hash_password, token_hash};
use super::users::normalise_email;
use super::{
    Actor, Refusal, Store, StoreError, StoreResult, User, audit::Audit, refused_on_unique,
    throttle, timestamp,
};

/// A link confirming a new e-mail address works this long.
pub const EMAIL_CHANGE_HOURS: i64 = 24;
/// Wrong current passwords counted per user over this window…
const PASSWORD_WINDOW_MINUTES: i64 = 15;
/// …at most this many.
const MAX_WRONG_CURRENT_PASSWORDS: i64 = 5;

impl Store {
    /// Changes the password of `user_id` when `current` is its password now; every other
    /// session of the user ends (`keep_session` stays). Wrong current passwords are
    /// throttled per user like sign-ins.
    pub async fn change_password(
        &self,
        user_id: i64,
        keep_session: i64,
        current: &str,
        new_password: &str,
    ) -> StoreResult<()> {
        check_password(new_password)?;
        let Some(turn) = self.password_gate.enter().await else {
            return Err(StoreError::Other(anyhow::anyhow!(
                "the password checks are all busy: try again in a moment"
            )));
        };
        let now = self.now();
        let bucket = throttle::bucket("password:user", &user_id.to_string());
        let mut tx = self.begin_write().await?;
        let attempts = throttle::bump(
            &mut tx,
            &bucket,
            now,
            Duration::minutes(PASSWORD_WINDOW_MINUTES),
        )
        .await?;
        tx.commit().await?;
        let wrong = || {
            StoreError::refused(
                Refusal::CurrentPasswordWrong,
                "the current password is not right: type it again",
            )
        };
        if attempts > MAX_WRONG_CURRENT_PASSWORDS {
            return Err(wrong());
        }
        let stored: Option<String> =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten();
        if !self
            .password_gate
            .check(turn, current.to_owned(), stored)
            .await
        {
            return Err(wrong());
        }
        let hash = hash_password(new_password.to_owned()).await?;
        let now_text = timestamp(now);
        let mut tx = self.begin_write().await?;
        throttle::clear(&mut tx, &bucket).await?;
        sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(user_id)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep_session)
            .execute(&mut *tx)
            .await?;
        Audit::new(
            &Actor::new(format!("user:{user_id}")),
            "user.password_changed",
        )
        .on("user", user_id)
        .record(&mut tx, &now_text)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Asks to change the address of `user_id` to `new_email`: a confirmation link is
    /// queued for the mailer, sent to the new address; the address changes only when the
    /// link is opened ([`Store::confirm_email_change`]). One live request per user.
    pub async fn request_email_change(&self, user_id: i64, new_email: &str) -> StoreResult<()> {
        if let Err(e) = ::mandates::parse_email(new_email) {
            return Err(StoreError::refused(
                Refusal::EmailInvalid,
                format!("the email address is not valid: {e}"),
            ));
        }
        let email = normalise_email(new_email);
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(&email)
            .fetch_optional(&self.pool)
            .await?;
        if taken.is_some() {
            return Err(StoreError::refused(
                Refusal::EmailTaken,
                "this address is already the address of an account",
            ));
        }
        let now = self.now();
        let now_text = timestamp(now);
        let expires_at = timestamp(now + Duration::hours(EMAIL_CHANGE_HOURS));
        let mut tx = self.begin_write().await?;
        let id = self
            .queue_link(&mut tx, user_id, Some(&email), &now_text, expires_at)
            .await?;
        Audit::new(
            &Actor::new(format!("user:{user_id}")),
            "user.email_change_requested",
        )
        .on("user", user_id)
        .detail(json!({ "link_id": id }))
        .record(&mut tx, &now_text)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Confirms a new address with the token of its link (once, before it expires): the
    /// user's address becomes it.
    pub async fn confirm_email_change(&self, token: &str) -> StoreResult<User> {
        let now_text = self.now_text();
        let invalid = || {
            StoreError::refused(
                Refusal::EmailLinkInvalid,
                "this confirmation link is not valid any more: ask for the change again",
            )
        };
        let found: Option<(i64, i64, String)> = sqlx::query_as(
            "SELECT id, user_id, new_email FROM password_resets \
             WHERE token_sha256 = $1 AND new_email IS NOT NULL \
             AND status IN ('pending', 'sent') AND expires_at > $2",
        )
        .bind(token_hash(token))
        .bind(&now_text)
        .fetch_optional(&self.pool)
        .await?;
        let Some((link_id, user_id, new_email)) = found else {
            return Err(invalid());
        };
        let mut tx = self.begin_write().await?;
        if !use_link(&mut tx, link_id, &now_text).await? {
            return Err(invalid());
        }
        sqlx::query("UPDATE users SET email = $2 WHERE id = $1")
            .bind(user_id)
            .bind(&new_email)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                refused_on_unique(e, Refusal::EmailTaken, || {
                    "this address became the address of another account meanwhile".to_owned()
                })
            })?;
        Audit::new(&Actor::new(format!("user:{user_id}")), "user.email_changed")
            .on("user", user_id)
            .detail(json!({ "link_id": link_id }))
            .record(&mut tx, &now_text)
            .await?;
        tx.commit().await?;
        self.user(user_id).await
    }

    /// The owner `by` sets the language of `employer_id`'s notices. Audited.
    pub async fn set_notice_language(
        &self,
        by: &User,
        employer_id: i64,
        language: NoticeLanguage,
    ) -> StoreResult<()> {
        if !by.may(employer_id, Duty::Manage) {
            return Err(StoreError::refused(
                Refusal::OwnerOnly,
                "only the employer's owner may change the language of its notices",
            ));
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE employers SET language = $2 WHERE id = $1")
            .bind(employer_id)
            .bind(language.as_str())
            .execute(&mut *tx)
            .await?;
        Audit::new(
            &Actor::new(format!("user:{}", by.id)),
            "employer.notice_language_set",
        )
        .on("employer", employer_id)
        .detail(json!({ "language": language.as_str() }))
        .record(&mut tx, &now)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
