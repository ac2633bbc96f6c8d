//! People who may use tahsil: users with a role (argon2id passwords, see `secrets`), the
//! employers an employer user acts for, creating and inviting them, their language, the
//! overview administrators search, and enabling or disabling them.
//!
//! Must not know: sessions, reset links or tokens beyond what creating or disabling a user
//! does to them (an invitation is a reset link; disabling ends the sessions).

use chrono::Duration;
use mandates::Lang;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::colleagues::{Capacity, Duty};
use super::secrets::{check_password, hash_password, random_token, token_hash};
use super::{
    Actor, OptionalCode, Refusal, Store, StoreError, StoreResult, audit::Audit, conflict_on_unique,
    like_escaped, timestamp,
};

::mandates::stored_codes! {
    /// What a user may do.
    pub enum Role("role") {
        /// Acts for one or more employers (its own company, or an accountant's clients).
        Employer = "employer",
        /// Finance staff: the console (runs, files, reconciliation, exceptions).
        Finance = "finance",
        /// Everything finance staff can do, and more.
        Admin = "admin",
    }
}

impl Role {
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
    /// Preferred language, when chosen.
    pub language: Option<Lang>,
    pub disabled: bool,
    /// The employers an employer user acts for (empty for staff).
    pub employer_ids: Vec<i64>,
    /// What the user may do for each of them (the same employers, in the same order).
    pub grants: Vec<Grant>,
    /// Signs in with a second factor (TOTP) after the password.
    pub totp_enabled: bool,
}

/// What one employer user may do for one employer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub employer_id: i64,
    pub capacity: Capacity,
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

    /// What this user may do for `employer_id`, if anything.
    pub fn capacity_for(&self, employer_id: i64) -> Option<Capacity> {
        match self.role {
            Role::Employer => self
                .grants
                .iter()
                .find(|g| g.employer_id == employer_id)
                .map(|g| g.capacity),
            Role::Finance | Role::Admin => None,
        }
    }

    /// True when this user may do `duty` for `employer_id`.
    pub fn may(&self, employer_id: i64, duty: Duty) -> bool {
        self.capacity_for(employer_id)
            .is_some_and(|capacity| capacity.allows(duty))
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

/// A user checked and ready to insert ([`Store::prepare_user`]).
pub(super) struct PreparedUser {
    email: String,
    display_name: String,
    role: Role,
    password_hash: Option<String>,
    employer_ids: Vec<i64>,
}

/// A user as administrators list them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserOverview {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
    pub last_sign_in: Option<String>,
    /// Affiliation numbers of the employers an employer user acts for.
    pub employers: Vec<String>,
    /// Signs in with a second factor (an administrator may reset it).
    pub totp_enabled: bool,
}

/// An invitation's link (a new user choosing a password) works this long.
pub const INVITE_HOURS: i64 = 72;

#[derive(FromRow)]
struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    #[sqlx(try_from = "String")]
    role: Role,
    #[sqlx(try_from = "OptionalCode")]
    language: Option<Lang>,
    disabled: i64,
    totp_enabled: i64,
}

#[derive(FromRow)]
struct GrantRow {
    employer_id: i64,
    #[sqlx(try_from = "String")]
    capacity: Capacity,
}

#[derive(FromRow)]
struct UserOverviewRow {
    id: i64,
    email: String,
    display_name: String,
    #[sqlx(try_from = "String")]
    role: Role,
    disabled: i64,
    created_at: String,
    last_sign_in: Option<String>,
    totp_enabled: i64,
}

const USER_COLUMNS: &str = "id, email, display_name, role, language, disabled, totp_enabled";

pub(super) fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Store {
    fn user_from_row(row: UserRow, grants: Vec<Grant>) -> StoreResult<User> {
        Ok(User {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            role: row.role,
            language: row.language,
            disabled: row.disabled != 0,
            employer_ids: grants.iter().map(|g| g.employer_id).collect(),
            grants,
            totp_enabled: row.totp_enabled != 0,
        })
    }

    async fn load_user(&self, row: UserRow) -> StoreResult<User> {
        let grants: Vec<GrantRow> = sqlx::query_as(
            "SELECT employer_id, capacity FROM user_employers WHERE user_id = $1 ORDER BY employer_id",
        )
        .bind(row.id)
        .fetch_all(&self.pool)
        .await?;
        let grants = grants
            .into_iter()
            .map(|g| Grant {
                employer_id: g.employer_id,
                capacity: g.capacity,
            })
            .collect();
        Self::user_from_row(row, grants)
    }

    /// Creates a user. Employer users need at least one employer (by affiliation number);
    /// staff have none.
    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> StoreResult<User> {
        Ok(self.add_user(actor, new, false, Capacity::Owner).await?.0)
    }

    /// Creates a user without a password (`new.password` is ignored): a reset link valid
    /// [`INVITE_HOURS`] is queued for the mailer ([`Store::password_reset_emails`]), with
    /// which the person chooses one. Audited like [`Store::create_user`].
    pub async fn invite_user(&self, actor: &Actor, new: NewUser) -> StoreResult<User> {
        Ok(self.add_user(actor, new, true, Capacity::Owner).await?.0)
    }

    /// Creates a user (invited: no password, a link to choose one) acting for its
    /// employers with `capacity`, in one transaction with its audit entry.
    pub(super) async fn add_user(
        &self,
        actor: &Actor,
        new: NewUser,
        invite: bool,
        capacity: Capacity,
    ) -> StoreResult<(User, Option<i64>)> {
        let prepared = self.prepare_user(new, invite).await?;
        let mut tx = self.begin_write().await?;
        let (id, reset_id) = self
            .insert_user(&mut tx, actor, &prepared, invite, capacity)
            .await?;
        tx.commit().await?;
        Ok((self.user(id).await?, reset_id))
    }

    /// Checks a user to create (its address, name, password unless invited, employers)
    /// and hashes its password: everything done before the transaction that inserts it.
    pub(super) async fn prepare_user(
        &self,
        new: NewUser,
        invite: bool,
    ) -> StoreResult<PreparedUser> {
        // Checked as typed (a trailing line break is refused, not trimmed away): the
        // address and the name go into e-mail headers.
        if let Err(e) = ::mandates::parse_email(&new.email) {
            return Err(StoreError::refused(
                Refusal::EmailInvalid,
                format!("the email address is not valid: {e}"),
            ));
        }
        if let Err(e) = ::mandates::check_header_text(&new.display_name, 200) {
            return Err(StoreError::refused(
                Refusal::EmailInvalid,
                format!("the name is not valid: {e}"),
            ));
        }
        let email = normalise_email(&new.email);
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
        Ok(PreparedUser {
            email,
            display_name,
            role: new.role,
            password_hash,
            employer_ids,
        })
    }

    /// Inserts a prepared user, its employers with `capacity`, its invitation link when
    /// invited and its audit entry, in `tx`: its id and the link's.
    pub(super) async fn insert_user(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: &Actor,
        prepared: &PreparedUser,
        invite: bool,
        capacity: Capacity,
    ) -> StoreResult<(i64, Option<i64>)> {
        let PreparedUser {
            email,
            display_name,
            role,
            password_hash,
            employer_ids,
        } = prepared;
        let now = self.now();
        let now_text = timestamp(now);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, display_name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(email)
        .bind(display_name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(&now_text)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || "a user with this email already exists".to_owned())
        })?;
        for employer_id in employer_ids {
            sqlx::query(
                "INSERT INTO user_employers (user_id, employer_id, capacity) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(employer_id)
            .bind(capacity.as_str())
            .execute(&mut **tx)
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
                .fetch_one(&mut **tx)
                .await?,
            )
        } else {
            None
        };
        Audit::new(actor, "user.created").on("user", id).detail(json!({ "role": role.as_str(), "employer_ids": employer_ids, "invited": invite, "reset_id": reset_id, "capacity": capacity.as_str() })).record(tx, &now_text).await?;
        Ok((id, reset_id))
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

    pub async fn set_user_language(&self, user_id: i64, language: Lang) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE users SET language = $2 WHERE id = $1")
            .bind(user_id)
            .bind(language.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Users whose email or name contains `query`, by id after `after_id`, at most
    /// `limit`, with their last sign-in (from the audit trail) and employers.
    pub async fn user_overviews(
        &self,
        query: &str,
        after_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<UserOverview>> {
        let contains = format!("%{}%", like_escaped(&query.trim().to_lowercase()));
        let rows = sqlx::query_as::<_, UserOverviewRow>(
            "SELECT u.id, u.email, u.display_name, u.role, u.disabled, u.created_at, u.totp_enabled, \
             (SELECT MAX(a.at) FROM audit_log a WHERE a.entity = 'user' AND a.entity_id = CAST(u.id AS TEXT) \
              AND a.action = 'user.signed_in') AS last_sign_in \
             FROM users u WHERE u.id > $1 AND (u.email LIKE $2 ESCAPE '\\' OR LOWER(u.display_name) LIKE $2 ESCAPE '\\') \
             ORDER BY u.id LIMIT $3",
        )
        .bind(after_id)
        .bind(contains)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let employers: Vec<String> = sqlx::query_scalar(
                "SELECT e.affiliation_number FROM user_employers ue JOIN employers e ON e.id = ue.employer_id \
                 WHERE ue.user_id = $1 ORDER BY e.affiliation_number",
            )
            .bind(row.id)
            .fetch_all(&self.pool)
            .await?;
            out.push(UserOverview {
                id: row.id,
                email: row.email,
                display_name: row.display_name,
                role: row.role,
                disabled: row.disabled != 0,
                created_at: row.created_at,
                last_sign_in: row.last_sign_in,
                employers,
                totp_enabled: row.totp_enabled != 0,
            });
        }
        Ok(out)
    }

    /// Disables (signing the user out everywhere) or enables a user. Audited.
    pub async fn set_user_disabled(
        &self,
        actor: &Actor,
        user_id: i64,
        disabled: bool,
    ) -> StoreResult<()> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let changed =
            sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1 AND disabled <> $2")
                .bind(user_id)
                .bind(i64::from(disabled))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if changed == 0 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            return match exists {
                None => Err(StoreError::not_found("user", user_id)),
                Some(_) => Ok(()),
            };
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        Audit::new(
            actor,
            if disabled {
                "user.disabled"
            } else {
                "user.enabled"
            },
        )
        .on("user", user_id)
        .record(&mut tx, &now)
        .await?;
        tx.commit().await?;
        Ok(())
    }
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
                .to_string()
                .contains("employer, finance or admin")
        );
    }
}
