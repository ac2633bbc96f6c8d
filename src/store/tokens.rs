//! API tokens, the two kinds in one place: a bank client's (per institution, made by staff
//! or `tahsil tokens add --institution`) and an employer user's personal one (migration
//! 0009: made by the user on the portal's "API access" page or `tahsil tokens add --user
//! EMAIL`). Each is shown once, kept as SHA-256, listed with its label and last use, and
//! revocable (audited). A personal token acts as its user: it reaches the employers the
//! user acts for at the time of each request, and nothing once the user is disabled.
//!
//! Must not know: how requests carry a token (`Authorization` headers are the web's).

use chrono::Duration;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;

use super::secrets::{random_token, token_hash};
use super::{
    Actor, Institution, Role, Store, StoreError, StoreResult, User, audit::Audit, timestamp,
};

/// A bank client's token as listed (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct ApiTokenRecord {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub institution: Institution,
    pub label: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A bank client authenticated by its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiClient {
    pub token_id: i64,
    pub institution: Institution,
    /// The last use was recorded more than a minute ago (or never): worth recording now.
    pub stale_use: bool,
}

/// A token just made, with its record: the only time the token itself is seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken<R> {
    pub record: R,
    pub token: String,
}

/// A user's token as listed (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct UserApiTokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub label: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// An employer user authenticated by a personal token.
#[derive(Clone, Debug)]
pub struct ApiUser {
    pub token_id: i64,
    pub user: User,
    /// The last use was recorded more than a minute ago (or never).
    pub stale_use: bool,
}

/// Live tokens one user may hold at once.
pub const MAX_LIVE_USER_TOKENS: i64 = 10;
/// Every personal token starts with this (tells it apart from bank tokens and the admin token).
pub const USER_TOKEN_PREFIX: &str = "tahsil_user_";

const TOKEN_COLUMNS: &str = "id, user_id, label, created_at, last_used_at, revoked_at";

/// The two kinds of API token: a bank client's (per institution) and an employer user's
/// personal one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokenKind {
    Bank,
    Personal,
}

impl TokenKind {
    /// The table of this kind's tokens.
    fn table(self) -> &'static str {
        match self {
            TokenKind::Bank => "api_tokens",
            TokenKind::Personal => "user_api_tokens",
        }
    }

    /// The audit trail's name for one of them.
    fn entity(self) -> &'static str {
        match self {
            TokenKind::Bank => "api_token",
            TokenKind::Personal => "user_api_token",
        }
    }
}

impl Store {
    /// Creates an API token for a bank client and returns it: the only time it is seen.
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        institution: &str,
        label: &str,
    ) -> StoreResult<NewToken<ApiTokenRecord>> {
        let institution = Institution::parse(institution)
            .map_err(|e| StoreError::Invalid(e.to_string()))?
            .as_str();
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
        Audit::new(actor, "api_token.created")
            .on("api_token", id)
            .detail(json!({ "institution": institution, "label": label }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        let record = self
            .api_tokens()
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| StoreError::not_found("api token", id))?;
        Ok(NewToken { record, token })
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

    /// The bank client a bearer token belongs to, if it is a live token.
    pub async fn api_client(&self, token: &str) -> StoreResult<Option<ApiClient>> {
        let found: Option<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT id, institution, last_used_at FROM api_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        found
            .map(|(token_id, institution, last_used_at)| {
                Ok(ApiClient {
                    token_id,
                    institution: Institution::parse(&institution)?,
                    stale_use: self.stale_use(last_used_at),
                })
            })
            .transpose()
    }

    /// Notes that a token was used (at most once a minute, to keep API reads cheap).
    pub async fn touch_api_token(&self, token_id: i64) -> StoreResult<()> {
        self.touch_token(TokenKind::Bank, token_id).await
    }

    /// Creates a personal API token for an employer user and returns it: the only time it
    /// is seen. Staff have the admin token instead; disabled users get none.
    pub async fn create_user_api_token(
        &self,
        actor: &Actor,
        user_id: i64,
        label: &str,
    ) -> StoreResult<NewToken<UserApiTokenRecord>> {
        let user = self.user(user_id).await?;
        if user.role != Role::Employer {
            return Err(StoreError::Invalid(
                "personal API tokens are for employer users; staff use the admin token".to_owned(),
            ));
        }
        if user.disabled {
            return Err(StoreError::Invalid(
                "this user is disabled and cannot have API tokens".to_owned(),
            ));
        }
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 80 {
            return Err(StoreError::Invalid(
                "label: name the token (1 to 80 characters), e.g. the program that will use it"
                    .to_owned(),
            ));
        }
        let token = format!("{USER_TOKEN_PREFIX}{}", random_token());
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_api_tokens WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        if live >= MAX_LIVE_USER_TOKENS {
            return Err(StoreError::Conflict(format!(
                "at most {MAX_LIVE_USER_TOKENS} live tokens per user: revoke one you no longer use first"
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO user_api_tokens (user_id, label, token_sha256, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user_id)
        .bind(label)
        .bind(token_hash(&token))
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        Audit::new(actor, "user_api_token.created")
            .on("user_api_token", id)
            .detail(json!({ "user_id": user_id, "label": label }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        let record = self
            .user_api_tokens(user_id)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| StoreError::not_found("api token", id))?;
        Ok(NewToken { record, token })
    }

    /// A user's tokens, live first then revoked, newest first.
    pub async fn user_api_tokens(&self, user_id: i64) -> StoreResult<Vec<UserApiTokenRecord>> {
        Ok(
            sqlx::query_as::<_, UserApiTokenRecord>(sqlx::AssertSqlSafe(format!(
                "SELECT {TOKEN_COLUMNS} FROM user_api_tokens WHERE user_id = $1 \
                 ORDER BY CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END, id DESC"
            )))
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// Every personal token (for `tahsil tokens list`), by id.
    pub async fn all_user_api_tokens(&self) -> StoreResult<Vec<UserApiTokenRecord>> {
        Ok(
            sqlx::query_as::<_, UserApiTokenRecord>(sqlx::AssertSqlSafe(format!(
                "SELECT {TOKEN_COLUMNS} FROM user_api_tokens ORDER BY id"
            )))
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// Revokes one of `user_id`'s live tokens (audited): it stops working at once. Another
    /// user's token, or one already revoked, is "not found".
    pub async fn revoke_user_api_token(
        &self,
        actor: &Actor,
        user_id: Option<i64>,
        token_id: i64,
    ) -> StoreResult<()> {
        self.revoke_token(actor, TokenKind::Personal, token_id, user_id)
            .await
    }

    /// The employer user a bearer token belongs to: a live personal token of an enabled
    /// employer user, else `None`.
    pub async fn api_user(&self, token: &str) -> StoreResult<Option<ApiUser>> {
        if !token.starts_with(USER_TOKEN_PREFIX) {
            return Ok(None);
        }
        let found: Option<(i64, i64, Option<String>)> = sqlx::query_as(
            "SELECT id, user_id, last_used_at FROM user_api_tokens \
             WHERE token_sha256 = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some((token_id, user_id, last_used_at)) = found else {
            return Ok(None);
        };
        let user = self.user(user_id).await?;
        if user.disabled || user.role != Role::Employer {
            return Ok(None);
        }
        Ok(Some(ApiUser {
            token_id,
            user,
            stale_use: self.stale_use(last_used_at),
        }))
    }

    /// Notes that a personal token was used (at most once a minute, to keep reads cheap).
    pub async fn touch_user_api_token(&self, token_id: i64) -> StoreResult<()> {
        self.touch_token(TokenKind::Personal, token_id).await
    }

    /// Revokes a live token of `kind` (audited as `<entity>.revoked`): it stops working at
    /// once. With `owner`, only that user's token; another's, or one already revoked, is
    /// "not found".
    async fn revoke_token(
        &self,
        actor: &Actor,
        kind: TokenKind,
        id: i64,
        owner: Option<i64>,
    ) -> StoreResult<()> {
        let (table, entity) = (kind.table(), kind.entity());
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
        Audit::new(actor, &format!("{entity}.revoked"))
            .on(entity, id)
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Notes that a token of `kind` was used, at most once a minute.
    async fn touch_token(&self, kind: TokenKind, token_id: i64) -> StoreResult<()> {
        let now = self.now();
        let table = kind.table();
        let mut tx = self.begin_write().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET last_used_at = $2 WHERE id = $1 \
             AND (last_used_at IS NULL OR last_used_at < $3)"
        )))
        .bind(token_id)
        .bind(timestamp(now))
        .bind(timestamp(now - Duration::minutes(1)))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether a token's last recorded use is more than a minute old (or none): worth
    /// recording now.
    fn stale_use(&self, last_used_at: Option<String>) -> bool {
        let minute_ago = timestamp(self.now() - Duration::minutes(1));
        last_used_at.is_none_or(|at| at < minute_ago)
    }
}
