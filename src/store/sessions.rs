//! Signing in and out: sessions (the cookie's token kept as SHA-256, a CSRF token per
//! session), the devices a user signed in from, and the throttling of sign-ins, counted
//! by the hashes of the account (or known device) and of the client's address.
//!
//! Must not know: how pages use a session (cookies, forms); only the records.

use chrono::Duration;
use sqlx::FromRow;

use super::secrets::{random_token, token_hash};
use super::users::normalise_email;
use super::{Actor, Store, StoreError, StoreResult, User, audit::Audit, throttle, timestamp};

/// A signed-in session.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: i64,
    pub user: User,
    /// The token every form of this session must post back.
    pub csrf_token: String,
    pub expires_at: String,
}

/// One sign-in attempt: what the form posted, the client's address (see
/// `web::client`) and the device cookie, when the browser has one.
#[derive(Clone, Copy)]
pub struct SignInAttempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub address: &'a str,
    pub device: Option<&'a str>,
}

impl std::fmt::Debug for SignInAttempt<'_> {
    // No email, password, address or device token in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInAttempt").finish_non_exhaustive()
    }
}

/// The result of a sign-in attempt.
#[derive(Clone, Debug)]
pub enum SignIn {
    /// Right password: a new session, its token (for the cookie) and the user; `device`
    /// is the token of a device cookie to keep when this browser had none for the user.
    Accepted {
        token: String,
        session: Session,
        device: Option<String>,
    },
    /// Right password for a user who signs in with a second factor: no session yet; the
    /// challenge's token (for a short-lived cookie) awaits the code
    /// ([`Store::complete_second_factor`]). `device` as for `Accepted`.
    SecondFactor {
        challenge: String,
        device: Option<String>,
    },
    /// Wrong email or password (the same answer for both).
    Refused,
    /// Too many recent failures for this account (from unknown devices), this device or
    /// this address: try again later. Nothing was checked.
    Throttled,
    /// Every turn of the password gate is taken and none freed up in time: try again in a
    /// moment. Nothing was read, checked or counted.
    Busy,
}

/// Sessions last this long from sign-in.
pub const SESSION_HOURS: i64 = 12;
/// Failed sign-ins counted over this window…
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
/// …at most this many for one email (from devices that never signed in to it), or for
/// one known device…
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// …and this many from one address.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 30;
/// A device cookie lasts this long (renewed at each sign-in from it).
pub const DEVICE_DAYS: i64 = 365;

#[derive(FromRow)]
struct SessionRow {
    id: i64,
    user_id: i64,
    csrf_token: String,
    expires_at: String,
}

/// Opens a session for `user_id` in `tx` (expired ones dropped) with its audit entry:
/// the cookie's token.
pub(super) async fn open_session(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> StoreResult<String> {
    let token = random_token();
    let csrf = random_token();
    let now_text = timestamp(now);
    let expires_at = timestamp(now + Duration::hours(SESSION_HOURS));
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(&now_text)
        .execute(&mut **tx)
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
    .execute(&mut **tx)
    .await?;
    Audit::new(&Actor::new(format!("user:{user_id}")), "user.signed_in")
        .on("user", user_id)
        .record(tx, &now_text)
        .await?;
    Ok(token)
}

impl Store {
    /// Checks an email and password and opens a session, from no known device.
    pub async fn sign_in(&self, email: &str, password: &str, address: &str) -> StoreResult<SignIn> {
        self.sign_in_attempt(SignInAttempt {
            email,
            password,
            address,
            device: None,
        })
        .await
    }

    /// Checks an email and password and opens a session.
    ///
    /// The throttles (decision and recorded attempt in one statement each, see
    /// `throttle`): at most [`MAX_FAILURES_PER_ADDRESS`] attempts from one address and
    /// [`MAX_FAILURES_PER_EMAIL`] for one account in [`FAILURE_WINDOW_MINUTES`]; beyond,
    /// the answer is [`SignIn::Throttled`] without checking anything. A browser that signed
    /// in to this account before (its device cookie) is counted on its own instead of on
    /// the account: failures from elsewhere lock out only the devices that never proved
    /// they know the password, never the owner's. The whole attempt runs in a turn of the
    /// store's [`super::PasswordGate`] ([`SignIn::Busy`] when it stays full). Only hashes of
    /// the email, address and device are kept.
    pub async fn sign_in_attempt(&self, attempt: SignInAttempt<'_>) -> StoreResult<SignIn> {
        // First a turn in the gate: nothing is read, counted or checked without one.
        let Some(turn) = self.password_gate.enter().await else {
            return Ok(SignIn::Busy);
        };
        let email = normalise_email(attempt.email);
        let email_key = token_hash(&format!("email:{email}"));
        let ip_key = token_hash(&format!("ip:{}", attempt.address));
        let now = self.now();
        let window = Duration::minutes(FAILURE_WINDOW_MINUTES);
        let stored: Option<(i64, Option<String>, i64, i64)> = sqlx::query_as(
            "SELECT id, password_hash, disabled, totp_enabled FROM users WHERE email = $1",
        )
        .bind(&email)
        .fetch_optional(&self.pool)
        .await?;
        let (user_id, hash, disabled, second_factor) = match stored {
            Some((id, hash, disabled, totp)) => (Some(id), hash, disabled != 0, totp != 0),
            None => (None, None, false, false),
        };
        // A device is known only to the user it signed in as (the same query either way).
        let device_hash = attempt.device.map(token_hash);
        let known_device = match &device_hash {
            Some(device_hash) => sqlx::query_scalar::<_, i64>(
                "SELECT id FROM known_devices WHERE token_sha256 = $1 AND user_id = $2",
            )
            .bind(device_hash)
            .bind(user_id.unwrap_or(-1))
            .fetch_optional(&self.pool)
            .await?
            .is_some(),
            None => false,
        };
        let account_bucket = match (&device_hash, known_device) {
            (Some(device_hash), true) => throttle::bucket("signin:device", device_hash),
            _ => throttle::bucket("signin:account", &email),
        };
        let address_bucket = throttle::bucket("signin:address", attempt.address);
        let mut tx = self.begin_write().await?;
        let by_account = throttle::bump(&mut tx, &account_bucket, now, window).await?;
        let by_address = throttle::bump(&mut tx, &address_bucket, now, window).await?;
        tx.commit().await?;
        if by_account > MAX_FAILURES_PER_EMAIL || by_address > MAX_FAILURES_PER_ADDRESS {
            return Ok(SignIn::Throttled);
        }
        let right = self
            .password_gate
            .check(turn, attempt.password.to_owned(), hash)
            .await;
        let now_text = timestamp(now);
        let user_id = match user_id {
            Some(id) if right && !disabled => id,
            _ => {
                let mut tx = self.begin_write().await?;
                // The evidence of each checked failure (hashes only).
                sqlx::query(
                    "INSERT INTO login_failures (email_key, ip_key, at) VALUES ($1, $2, $3)",
                )
                .bind(&email_key)
                .bind(&ip_key)
                .bind(&now_text)
                .execute(&mut *tx)
                .await?;
                // Old failures and counters no longer count: keep the tables small.
                sqlx::query("DELETE FROM login_failures WHERE at < $1")
                    .bind(timestamp(now - Duration::days(1)))
                    .execute(&mut *tx)
                    .await?;
                throttle::prune(&mut tx, now).await?;
                tx.commit().await?;
                return Ok(SignIn::Refused);
            }
        };
        let mut tx = self.begin_write().await?;
        // The right password: this attempt was no failure. An account's count starts
        // again only when it signed in from no known device (a known device's success
        // says nothing of the others).
        throttle::clear(&mut tx, &account_bucket).await?;
        throttle::refund(&mut tx, &address_bucket).await?;
        if !known_device {
            sqlx::query("DELETE FROM login_failures WHERE email_key = $1")
                .bind(&email_key)
                .execute(&mut *tx)
                .await?;
        }
        let device = match (&device_hash, known_device) {
            (Some(device_hash), true) => {
                sqlx::query("UPDATE known_devices SET last_used_at = $2 WHERE token_sha256 = $1")
                    .bind(device_hash)
                    .bind(&now_text)
                    .execute(&mut *tx)
                    .await?;
                None
            }
            _ => {
                let device = random_token();
                sqlx::query(
                    "INSERT INTO known_devices (user_id, token_sha256, created_at, last_used_at) \
                     VALUES ($1, $2, $3, $3)",
                )
                .bind(user_id)
                .bind(token_hash(&device))
                .bind(&now_text)
                .execute(&mut *tx)
                .await?;
                Some(device)
            }
        };
        sqlx::query("DELETE FROM known_devices WHERE last_used_at < $1")
            .bind(timestamp(now - Duration::days(DEVICE_DAYS)))
            .execute(&mut *tx)
            .await?;
        if second_factor {
            let challenge = super::two_factor::open_challenge(&mut tx, user_id, now).await?;
            Audit::new(
                &Actor::new(format!("user:{user_id}")),
                "user.password_accepted",
            )
            .on("user", user_id)
            .record(&mut tx, &now_text)
            .await?;
            tx.commit().await?;
            return Ok(SignIn::SecondFactor { challenge, device });
        }
        let token = open_session(&mut tx, user_id, now).await?;
        tx.commit().await?;
        let session = self
            .session(&token)
            .await?
            .ok_or_else(|| StoreError::Other(anyhow::anyhow!("the new session vanished")))?;
        Ok(SignIn::Accepted {
            token,
            session,
            device,
        })
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
