//! Employers (debtors, identified by their affiliation number) and their worksites, and
//! the staff's search for an employer.

use std::collections::HashSet;

use mandates::{NoticeLanguage, PeriodKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::FromRow;

use super::{
    Actor, Store, StoreError, StoreResult, audit::Audit, conflict_on_unique, like_escaped,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct Employer {
    pub id: i64,
    pub affiliation_number: String,
    pub name: String,
    pub name_ar: Option<String>,
    pub email: String,
    /// What its notices are written in.
    #[sqlx(try_from = "String")]
    pub language: NoticeLanguage,
    /// How often it declares.
    #[sqlx(try_from = "String")]
    pub period_kind: PeriodKind,
    pub created_at: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEmployer {
    pub affiliation_number: String,
    pub name: String,
    #[serde(default)]
    pub name_ar: Option<String>,
    pub email: String,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub period_kind: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, FromRow)]
pub struct Worksite {
    pub id: i64,
    pub employer_id: i64,
    pub code: String,
    pub name: String,
    pub wilaya: Option<String>,
    pub created_at: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWorksite {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub wilaya: Option<String>,
}

macro_rules! employer_columns {
    () => {
        "id, affiliation_number, name, name_ar, email, language, period_kind, created_at"
    };
}
macro_rules! worksite_columns {
    () => {
        "id, employer_id, code, name, wilaya, created_at"
    };
}

fn required(field: &str, value: &str, max: usize) -> StoreResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(StoreError::Invalid(format!("{field} is required")));
    }
    if value.chars().count() > max {
        return Err(StoreError::Invalid(format!(
            "{field} is longer than {max} characters"
        )));
    }
    Ok(value.to_owned())
}

/// A name that goes into e-mail headers beside the address: one line, at most 200
/// characters.
pub(super) fn header_text(field: &str, value: &str) -> StoreResult<()> {
    ::mandates::check_header_text(value, 200)
        .map_err(|e| StoreError::Invalid(format!("{field}: {e}")))
}

fn one_of(
    field: &str,
    value: Option<&str>,
    allowed: &[&str],
    default: &str,
) -> StoreResult<String> {
    match value {
        None => Ok(default.to_owned()),
        Some(v) if allowed.contains(&v) => Ok(v.to_owned()),
        Some(v) => Err(StoreError::Invalid(format!(
            "{field} {v:?} is not one of {}",
            allowed.join(", ")
        ))),
    }
}

impl NewEmployer {
    fn validated(self) -> StoreResult<NewEmployer> {
        let affiliation_number = required("affiliation_number", &self.affiliation_number, 20)?;
        if !affiliation_number
            .chars()
            .all(|c| c.is_ascii_alphanumeric())
        {
            return Err(StoreError::Invalid(
                "affiliation_number may contain only letters and digits".to_owned(),
            ));
        }
        // The address and the names go into e-mail headers: checked as typed, so a line
        // break is refused here rather than by the mailer later.
        let email = ::mandates::parse_email(&self.email)
            .map_err(|e| StoreError::Invalid(format!("email: {e}")))?
            .to_owned();
        header_text("name", &self.name)?;
        if let Some(name_ar) = &self.name_ar {
            header_text("name_ar", name_ar)?;
        }
        Ok(NewEmployer {
            affiliation_number,
            name: required("name", &self.name, 200)?,
            name_ar: self
                .name_ar
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
            email,
            language: Some(one_of(
                "language",
                self.language.as_deref(),
                &["ar", "fr", "both"],
                "both",
            )?),
            period_kind: Some(one_of(
                "period_kind",
                self.period_kind.as_deref(),
                &["monthly", "quarterly"],
                "monthly",
            )?),
        })
    }
}

impl Store {
    pub async fn create_employer(&self, actor: &Actor, new: NewEmployer) -> StoreResult<Employer> {
        let new = new.validated()?;
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let employer = sqlx::query_as::<_, Employer>(concat!("INSERT INTO employers (affiliation_number, name, name_ar, email, language, period_kind, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ", employer_columns!()))
        .bind(&new.affiliation_number)
        .bind(&new.name)
        .bind(&new.name_ar)
        .bind(&new.email)
        .bind(&new.language)
        .bind(&new.period_kind)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || {
                format!(
                    "an employer with affiliation number {} already exists",
                    new.affiliation_number
                )
            })
        })?;
        Audit::new(actor, "employer.created")
            .on("employer", employer.id)
            .detail(json!({ "affiliation_number": employer.affiliation_number }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(employer)
    }

    pub async fn employer(&self, id: i64) -> StoreResult<Employer> {
        sqlx::query_as::<_, Employer>(concat!(
            "SELECT ",
            employer_columns!(),
            " FROM employers WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("employer", id))
    }

    /// Employers by id, `limit` at a time, after `after_id` (keyset pagination).
    pub async fn list_employers(&self, after_id: i64, limit: i64) -> StoreResult<Vec<Employer>> {
        Ok(sqlx::query_as::<_, Employer>(concat!(
            "SELECT ",
            employer_columns!(),
            " FROM employers WHERE id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn create_worksite(
        &self,
        actor: &Actor,
        employer_id: i64,
        new: NewWorksite,
    ) -> StoreResult<Worksite> {
        let code = required("code", &new.code, 30)?;
        let name = required("name", &new.name, 200)?;
        let wilaya = new
            .wilaya
            .map(|w| w.trim().to_owned())
            .filter(|w| !w.is_empty());
        self.employer(employer_id).await?;
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let worksite = sqlx::query_as::<_, Worksite>(concat!(
            "INSERT INTO worksites (employer_id, code, name, wilaya, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING ",
            worksite_columns!()
        ))
        .bind(employer_id)
        .bind(&code)
        .bind(&name)
        .bind(&wilaya)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || {
                format!("this employer already has a worksite with code {code}")
            })
        })?;
        Audit::new(actor, "worksite.created")
            .on("worksite", worksite.id)
            .detail(json!({ "employer_id": employer_id, "code": code }))
            .record(&mut tx, &now)
            .await?;
        tx.commit().await?;
        Ok(worksite)
    }

    pub async fn list_worksites(&self, employer_id: i64) -> StoreResult<Vec<Worksite>> {
        self.employer(employer_id).await?;
        Ok(sqlx::query_as::<_, Worksite>(concat!(
            "SELECT ",
            worksite_columns!(),
            " FROM worksites WHERE employer_id = $1 ORDER BY code"
        ))
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The codes of an employer's worksites: those its declaration lines may name.
    pub async fn worksite_codes(&self, employer_id: i64) -> StoreResult<HashSet<String>> {
        Ok(self
            .list_worksites(employer_id)
            .await?
            .into_iter()
            .map(|w| w.code)
            .collect())
    }

    /// Employers whose affiliation number starts with `query` or whose name (French or
    /// Arabic) contains it, by id after `after_id`, at most `limit`. An empty query lists all.
    pub async fn search_employers(
        &self,
        query: &str,
        after_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<Employer>> {
        let query = query.trim();
        let prefix = format!("{}%", like_escaped(query));
        let contains = format!("%{}%", like_escaped(&query.to_lowercase()));
        Ok(sqlx::query_as::<_, Employer>(
            "SELECT id, affiliation_number, name, name_ar, email, language, period_kind, created_at \
             FROM employers WHERE id > $1 AND ($2 = '' OR affiliation_number LIKE $3 ESCAPE '\\' \
             OR LOWER(name) LIKE $4 ESCAPE '\\' OR COALESCE(name_ar, '') LIKE $4 ESCAPE '\\') \
             ORDER BY id LIMIT $5",
        )
        .bind(after_id)
        .bind(query)
        .bind(prefix)
        .bind(contains)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
