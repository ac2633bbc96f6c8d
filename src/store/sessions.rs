//! Signing in and out: sessions (the cookie's token kept as SHA-256, a CSRF token per
//! session) and the throttling of failed sign-ins, counted by the hashes of the email and
//! of the client's address.
//!
//! Must not know: how pages use a session (cookies, forms); only the records.

use chrono::Duration;
use sqlx::FromRow;

use super::secrets::{random_token, token_hash, verify_password};
use super::users::normalise_email;
use super::{Actor, Store, StoreError, StoreResult, User, audit::Audit, timestamp};

/// A signed-in session.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: i64,
    pub user: User,
    /// The token every form of this session must post back.
    pub csrf_token: String,
    pub expires_at: String,
}

/// The result of a sign-in attempt.
#[derive(Clone, Debug)]
pub enum SignIn {
    /// Right password: a new session, its token (for the cookie) and the user.
    Accepted { token: String, session: Session },
    /// Wrong email or password (the same answer for both).
    Refused,
    /// Too many recent failures for this email or address: try again later.
    Throttled,
}

/// Sessions last this long from sign-in.
pub const SESSION_HOURS: i64 = 12;
/// Failed sign-ins counted over this window…
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
/// …at most this many for one email…
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// …and this many from one address.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 30;

#[derive(FromRow)]
struct SessionRow {
    id: i64,
    user_id: i64,
    csrf_token: String,
    expires_at: String,
}

impl Store {
    /// Checks an email and password and opens a session. `address` is the client's IP
    /// (only its hash is kept, with the email's, to count failures).
    pub async fn sign_in(&self, email: &str, password: &str, address: &str) -> StoreResult<SignIn> {
        let email = normalise_email(email);
        let email_key = token_hash(&format!("email:{email}"));
        let ip_key = token_hash(&format!("ip:{address}"));
        let now = self.now();
        let since = timestamp(now - Duration::minutes(FAILURE_WINDOW_MINUTES));
        let (by_email, by_address): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM login_failures WHERE email_key = $1 AND at > $3), \
                    (SELECT COUNT(*) FROM login_failures WHERE ip_key = $2 AND at > $3)",
        )
        .bind(&email_key)
        .bind(&ip_key)
        .bind(&since)
        .fetch_one(&self.pool)
        .await?;
        if by_email >= MAX_FAILURES_PER_EMAIL || by_address >= MAX_FAILURES_PER_ADDRESS {
            return Ok(SignIn::Throttled);
        }
        let stored: Option<(i64, Option<String>, i64)> =
            sqlx::query_as("SELECT id, password_hash, disabled FROM users WHERE email = $1")
                .bind(&email)
                .fetch_optional(&self.pool)
                .await?;
        let (user_id, hash, disabled) = match stored {
            Some((id, hash, disabled)) => (Some(id), hash, disabled != 0),
            None => (None, None, false),
        };
        let right = verify_password(password.to_owned(), hash).await;
        let now_text = timestamp(now);
        let user_id = match user_id {
            Some(id) if right && !disabled => id,
            _ => {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO login_failures (email_key, ip_key, at) VALUES ($1, $2, $3)",
                )
                .bind(&email_key)
                .bind(&ip_key)
                .bind(&now_text)
                .execute(&mut *tx)
                .await?;
                // Old failures no longer count: keep the table small.
                sqlx::query("DELETE FROM login_failures WHERE at < $1")
                    .bind(timestamp(now - Duration::days(1)))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                return Ok(SignIn::Refused);
            }
        };
        let token = random_token();
        let csrf = random_token();
        let expires_at = timestamp(now + Duration::hours(SESSION_HOURS));
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM login_failures WHERE email_key = $1")
            .bind(&email_key)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(&now_text)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_sha256, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(&csrf)
        .bind(&now_text)
        .bind(&expires_at)
        .execute(&mut *tx)
        .await?;
        Audit::new(&Actor::new(format!("user:{user_id}")), "user.signed_in")
            .on("user", user_id)
            .record(&mut tx, &now_text)
            .await?;
        tx.commit().await?;
        let session = self
            .session(&token)
            .await?
            .ok_or_else(|| StoreError::Other(anyhow::anyhow!("the new session vanished")))?;
        Ok(SignIn::Accepted { token, session })
    }

    /// The live session of a cookie token, if any (expired sessions and disabled users
    /// have none).
    pub async fn session(&self, token: &str) -> StoreResult<Option<Session>> {
        let row = sqlx::query_as::<_, SessionRow>(
            "SELECT id, user_id, csrf_token, expires_at FROM sessions WHERE token_sha256 = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        if row.expires_at <= self.now_text() {
            return Ok(None);
        }
        let user = self.user(row.user_id).await?;
        if user.disabled {
            return Ok(None);
        }
        Ok(Some(Session {
            id: row.id,
            user,
            csrf_token: row.csrf_token,
            expires_at: row.expires_at,
        }))
    }

    /// Ends a session (signing out).
    pub async fn end_session(&self, token: &str) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1")
            .bind(token_hash(token))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
