//! People and machines who may use tahsil: users (argon2id passwords, a role, the
//! employers an employer user acts for), their sessions, password resets, failed
//! sign-ins for rate limiting, and bank clients' API tokens.
//!
//! Secrets never reach the database in clear: passwords as argon2id PHC strings, session,
//! reset and API tokens as SHA-256 (looked up by hash). Passwords are hashed here, so a
//! clear password never leaves this module either.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

use super::{Actor, Refusal, Store, StoreError, StoreResult, audit, conflict_on_unique, timestamp};

/// What a user may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Acts for one or more employers (its own company, or an accountant's clients).
    Employer,
    /// Finance staff: the console (runs, files, reconciliation, exceptions).
    Finance,
    /// Everything finance staff can do, and more.
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Result<Role, String> {
        match text.trim() {
            "employer" => Ok(Role::Employer),
            "finance" => Ok(Role::Finance),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role {other:?}: use employer, finance or admin"
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employer => "employer",
            Role::Finance => "finance",
            Role::Admin => "admin",
        }
    }
    /// Finance staff and administrators see the console.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Finance | Role::Admin)
    }
}

/// A user as the rest of the service sees it (never the password hash).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Preferred language (`ar` or `fr`), when chosen.
    pub language: Option<String>,
    pub disabled: bool,
    /// The employers an employer user acts for (empty for staff).
    pub employer_ids: Vec<i64>,
}

impl std::fmt::Debug for User {
    // No email or name in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl User {
    /// True when this user may see and act on `employer_id`'s data.
    pub fn may_act_for(&self, employer_id: i64) -> bool {
        match self.role {
            Role::Employer => self.employer_ids.contains(&employer_id),
            Role::Finance | Role::Admin => false,
        }
    }
}

/// A user to create.
#[derive(Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    /// Affiliation numbers of the employers an employer user acts for.
    pub employers: Vec<String>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

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

/// A password-reset email waiting for the mailer.
#[derive(Clone)]
pub struct PasswordResetEmail {
    pub reset_id: i64,
    pub user_id: i64,
    pub email: String,
    pub language: Option<String>,
    /// The token to put in the link (`/password/reset?token=…`).
    pub token: String,
    pub expires_at: String,
}

impl std::fmt::Debug for PasswordResetEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordResetEmail")
            .field("reset_id", &self.reset_id)
            .finish_non_exhaustive()
    }
}

/// A bank client's token as listed (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct ApiTokenRecord {
    pub id: i64,
    pub institution: String,
    pub label: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A bank client authenticated by its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiClient {
    pub token_id: i64,
    pub institution: String,
    /// The last use was recorded more than a minute ago (or never): worth recording now.
    pub stale_use: bool,
}

/// Sessions last this long from sign-in.
pub const SESSION_HOURS: i64 = 12;
/// Reset links work this long.
pub const RESET_MINUTES: i64 = 60;
/// An invitation's link (a new user choosing a password) works this long.
pub const INVITE_HOURS: i64 = 72;
/// Failed sign-ins counted over this window…
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
/// …at most this many for one email…
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// …and this many from one address.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 30;
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Institutions that have API tokens.
pub const INSTITUTIONS: &[&str] = &["bank", "poste"];

#[derive(FromRow)]
struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    language: Option<String>,
    disabled: i64,
}

#[derive(FromRow)]
struct SessionRow {
    id: i64,
    user_id: i64,
    csrf_token: String,
    expires_at: String,
}

#[derive(FromRow)]
struct ResetRow {
    id: i64,
    user_id: i64,
    email: String,
    language: Option<String>,
    token_encrypted: Option<String>,
    expires_at: String,
}

const USER_COLUMNS: &str = "id, email, display_name, role, language, disabled";

/// A fresh random token: 32 bytes, URL-safe base64.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The hex SHA-256 of a secret, as stored and looked up.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn check_password(password: &str) -> StoreResult<()> {
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
async fn hash_password(password: String) -> StoreResult<String> {
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

async fn verify_password(password: String, stored: Option<String>) -> bool {
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

impl Store {
    fn user_from_row(row: UserRow, employer_ids: Vec<i64>) -> StoreResult<User> {
        Ok(User {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            role: Role::parse(&row.role).map_err(StoreError::Invalid)?,
            language: row.language,
            disabled: row.disabled != 0,
            employer_ids,
        })
    }

    async fn load_user(&self, row: UserRow) -> StoreResult<User> {
        let employer_ids: Vec<i64> = sqlx::query_scalar(
            "SELECT employer_id FROM user_employers WHERE user_id = $1 ORDER BY employer_id",
        )
        .bind(row.id)
        .fetch_all(&self.pool)
        .await?;
        Self::user_from_row(row, employer_ids)
    }

    /// Creates a user. Employer users need at least one employer (by affiliation number);
    /// staff have none.
    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> StoreResult<User> {
        Ok(self.add_user(actor, new, false).await?.0)
    }

    /// Creates a user without a password (`new.password` is ignored): a reset link valid
    /// [`INVITE_HOURS`] is queued for the mailer ([`Store::password_reset_emails`]), with
    /// which the person chooses one. Audited like [`Store::create_user`].
    pub async fn invite_user(&self, actor: &Actor, new: NewUser) -> StoreResult<User> {
        Ok(self.add_user(actor, new, true).await?.0)
    }

    async fn add_user(
        &self,
        actor: &Actor,
        new: NewUser,
        invite: bool,
    ) -> StoreResult<(User, Option<i64>)> {
        let email = normalise_email(&new.email);
        if !email.contains('@') || email.len() > 254 || email.contains(char::is_whitespace) {
            return Err(StoreError::refused(
                Refusal::EmailInvalid,
                "the email address is not valid",
            ));
        }
        if !invite {
            check_password(&new.password)?;
        }
        match (new.role, new.employers.is_empty()) {
            (Role::Employer, true) => {
                return Err(StoreError::refused(
                    Refusal::EmployerUserNeedsEmployer,
                    "an employer user needs at least one employer (--employer AFFILIATION)",
                ));
            }
            (Role::Finance | Role::Admin, false) => {
                return Err(StoreError::refused(
                    Refusal::StaffUserWithEmployer,
                    "only employer users are linked to employers",
                ));
            }
            _ => {}
        }
        let mut employer_ids = Vec::with_capacity(new.employers.len());
        for affiliation in &new.employers {
            let id: Option<i64> =
                sqlx::query_scalar("SELECT id FROM employers WHERE affiliation_number = $1")
                    .bind(affiliation.trim())
                    .fetch_optional(&self.pool)
                    .await?;
            match id {
                Some(id) if !employer_ids.contains(&id) => employer_ids.push(id),
                Some(_) => {}
                None => return Err(StoreError::not_found("employer", affiliation.trim())),
            }
        }
        let display_name = match new.display_name.trim() {
            "" => email.split('@').next().unwrap_or_default().to_owned(),
            name => name.to_owned(),
        };
        let password_hash = match invite {
            false => Some(hash_password(new.password).await?),
            true => None,
        };
        let now = self.now();
        let now_text = timestamp(now);
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, display_name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&email)
        .bind(&display_name)
        .bind(new.role.as_str())
        .bind(&password_hash)
        .bind(&now_text)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || "a user with this email already exists".to_owned())
        })?;
        for employer_id in &employer_ids {
            sqlx::query("INSERT INTO user_employers (user_id, employer_id) VALUES ($1, $2)")
                .bind(id)
                .bind(employer_id)
                .execute(&mut *tx)
                .await?;
        }
        let reset_id = if invite {
            let token = random_token();
            Some(
                sqlx::query_scalar::<_, i64>(
                    "INSERT INTO password_resets (user_id, token_sha256, token_encrypted, status, created_at, expires_at) \
                     VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING id",
                )
                .bind(id)
                .bind(token_hash(&token))
                .bind(self.cipher.encrypt(&token))
                .bind(&now_text)
                .bind(timestamp(now + Duration::hours(INVITE_HOURS)))
                .fetch_one(&mut *tx)
                .await?,
            )
        } else {
            None
        };
        audit::record(
            &mut tx,
            &now_text,
            actor,
            "user.created",
            "user",
            id,
            json!({ "role": new.role.as_str(), "employer_ids": employer_ids, "invited": invite, "reset_id": reset_id }),
        )
        .await?;
        tx.commit().await?;
        Ok((self.user(id).await?, reset_id))
    }

    pub async fn user(&self, id: i64) -> StoreResult<User> {
        let row = sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("user", id))?;
        self.load_user(row).await
    }

    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
        )))
        .bind(normalise_email(email))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.load_user(row).await?)),
            None => Ok(None),
        }
    }

    /// Every user, by id (for administrators and the demo summary).
    pub async fn users(&self) -> StoreResult<Vec<User>> {
        let rows = sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?;
        let mut users = Vec::with_capacity(rows.len());
        for row in rows {
            users.push(self.load_user(row).await?);
        }
        Ok(users)
    }

    pub async fn set_user_language(&self, user_id: i64, language: &str) -> StoreResult<()> {
        if !matches!(language, "ar" | "fr") {
            return Err(StoreError::Invalid("language: ar or fr".to_owned()));
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET language = $2 WHERE id = $1")
            .bind(user_id)
            .bind(language)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

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
        audit::record(
            &mut tx,
            &now_text,
            &Actor::new(format!("user:{user_id}")),
            "user.signed_in",
            "user",
            user_id,
            json!({}),
        )
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

    /// Records a reset token for the user with this email and the email to send (for the
    /// mailer: [`Store::password_reset_emails`]). Unknown or disabled emails do nothing,
    /// and the caller answers the same either way.
    pub async fn request_password_reset(&self, email: &str) -> StoreResult<bool> {
        let Some(user) = self.user_by_email(email).await? else {
            return Ok(false);
        };
        if user.disabled {
            return Ok(false);
        }
        let token = random_token();
        let now = self.now();
        let now_text = timestamp(now);
        let mut tx = self.begin_write().await?;
        // One live link at a time: older ones stop working.
        sqlx::query(
            "UPDATE password_resets SET status = 'expired', token_encrypted = NULL \
             WHERE user_id = $1 AND status IN ('pending', 'sent')",
        )
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO password_resets (user_id, token_sha256, token_encrypted, status, created_at, expires_at) \
             VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING id",
        )
        .bind(user.id)
        .bind(token_hash(&token))
        .bind(self.cipher.encrypt(&token))
        .bind(&now_text)
        .bind(timestamp(now + Duration::minutes(RESET_MINUTES)))
        .fetch_one(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            &now_text,
            &Actor::new("web"),
            "user.password_reset_requested",
            "user",
            user.id,
            json!({ "reset_id": id }),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Reset emails waiting to be sent, oldest first, with their tokens decrypted.
    pub async fn password_reset_emails(&self) -> StoreResult<Vec<PasswordResetEmail>> {
        let rows: Vec<ResetRow> = sqlx::query_as(
            "SELECT r.id, r.user_id, u.email, u.language, r.token_encrypted, r.expires_at \
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
            "SELECT id, user_id, status, expires_at FROM password_resets WHERE token_sha256 = $1",
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
        let used = sqlx::query(
            "UPDATE password_resets SET status = 'used', used_at = $2, token_encrypted = NULL \
             WHERE id = $1 AND status IN ('pending', 'sent')",
        )
        .bind(reset_id)
        .bind(&now_text)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if used == 0 {
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
        audit::record(
            &mut tx,
            &now_text,
            &Actor::new(format!("user:{user_id}")),
            "user.password_reset",
            "user",
            user_id,
            json!({ "reset_id": reset_id }),
        )
        .await?;
        tx.commit().await?;
        self.user(user_id).await
    }

    /// Creates an API token for a bank client and returns it: the only time it is seen.
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        institution: &str,
        label: &str,
    ) -> StoreResult<(ApiTokenRecord, String)> {
        if !INSTITUTIONS.contains(&institution) {
            return Err(StoreError::Invalid(format!(
                "unknown institution {institution:?}: use {}",
                INSTITUTIONS.join(" or ")
            )));
        }
        let token = format!("tahsil_{institution}_{}", random_token());
        let now = self.now_text();
        let label = match label.trim() {
            "" => institution.to_owned(),
            text => text.to_owned(),
        };
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (institution, label, token_sha256, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(institution)
        .bind(&label)
        .bind(token_hash(&token))
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        audit::record(
            &mut tx,
            &now,
            actor,
            "api_token.created",
            "api_token",
            id,
            json!({ "institution": institution, "label": label }),
        )
        .await?;
        tx.commit().await?;
        let record = self
            .api_tokens()
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| StoreError::not_found("api token", id))?;
        Ok((record, token))
    }

    pub async fn api_tokens(&self) -> StoreResult<Vec<ApiTokenRecord>> {
        Ok(sqlx::query_as::<_, ApiTokenRecord>(
            "SELECT id, institution, label, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Revokes a token (audited); it stops working at once.
    pub async fn revoke_api_token(&self, actor: &Actor, id: i64) -> StoreResult<()> {
        self.revoke_token(actor, TokenKind::Bank, id, None).await
    }

    /// Revokes a live token of `kind` (audited as `<entity>.revoked`): it stops working at
    /// once. With `owner`, only that user's token; another's, or one already revoked, is
    /// "not found".
    pub(super) async fn revoke_token(
        &self,
        actor: &Actor,
        kind: TokenKind,
        id: i64,
        owner: Option<i64>,
    ) -> StoreResult<()> {
        let (table, entity) = match kind {
            TokenKind::Bank => ("api_tokens", "api_token"),
            TokenKind::Personal => ("user_api_tokens", "user_api_token"),
        };
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let owned = if owner.is_some() {
            " AND user_id = $3"
        } else {
            ""
        };
        let mut update = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL{owned}"
        )))
        .bind(id)
        .bind(&now);
        if let Some(owner) = owner {
            update = update.bind(owner);
        }
        if update.execute(&mut *tx).await?.rows_affected() == 0 {
            return Err(StoreError::not_found("live api token", id));
        }
        audit::record(
            &mut tx,
            &now,
            actor,
            &format!("{entity}.revoked"),
            entity,
            id,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The bank client a bearer token belongs to, if it is a live token.
    pub async fn api_client(&self, token: &str) -> StoreResult<Option<ApiClient>> {
        let found: Option<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT id, institution, last_used_at FROM api_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        let minute_ago = timestamp(self.now() - Duration::minutes(1));
        Ok(
            found.map(|(token_id, institution, last_used_at)| ApiClient {
                token_id,
                institution,
                stale_use: last_used_at.is_none_or(|at| at < minute_ago),
            }),
        )
    }

    /// Notes that a token was used (at most once a minute, to keep API reads cheap).
    pub async fn touch_api_token(&self, token_id: i64) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 \
             AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(token_id)
        .bind(timestamp(now))
        .bind(timestamp(now - Duration::minutes(1)))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The two kinds of API token: a bank client's (per institution) and an employer user's
/// personal one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TokenKind {
    Bank,
    Personal,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_their_names_only() {
        assert_eq!(Role::parse("finance").unwrap(), Role::Finance);
        assert!(
            Role::parse("root")
                .unwrap_err()
                .contains("employer, finance or admin")
        );
    }

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
