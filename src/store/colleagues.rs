//! Colleagues: the people who act for an employer and what each may do there (its
//! [`Capacity`]), invited and revoked by the employer's owner — delegation the employer
//! grants, not only the fund. An invited colleague without an account gets one without
//! password and the invitation link (a reset link, see `users`); one who already acts for
//! other employers (an accountant) is linked as they are.
//!
//! Must not know: pages; the web asks [`User::may`] before every portal action.

use serde_json::json;
use sqlx::FromRow;

use super::users::normalise_email;
use super::{
    Actor, NewUser, Refusal, Role, Store, StoreError, StoreResult, User, audit::Audit,
    refused_on_unique,
};

::mandates::stored_codes! {
    /// What one user may do for one employer.
    pub enum Capacity("capacity") {
        /// Everything, and invites or revokes colleagues (the employer's first user).
        Owner = "owner",
        /// Looks, and signs or revokes the employer's mandate.
        Sign = "sign",
        /// Looks, and sends declarations.
        Declare = "declare",
        /// Looks only.
        View = "view",
    }
}

/// What a portal action needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Duty {
    /// See the employer's pages.
    View,
    /// Send or correct a declaration, upload a CSV, contest a debit.
    Declare,
    /// Sign, replace or revoke the mandate.
    Sign,
    /// Invite and revoke colleagues, set the notice language.
    Manage,
}

impl Capacity {
    /// Whether this capacity covers `duty`.
    pub fn allows(self, duty: Duty) -> bool {
        match (self, duty) {
            (Capacity::Owner, _) | (_, Duty::View) => true,
            (Capacity::Sign, Duty::Sign) | (Capacity::Declare, Duty::Declare) => true,
            (Capacity::Sign | Capacity::Declare | Capacity::View, _) => false,
        }
    }

    /// The capacities an owner may give a colleague (an owner is made by enrolment or
    /// by staff, never by invitation).
    pub const INVITABLE: [Capacity; 3] = [Capacity::View, Capacity::Declare, Capacity::Sign];
}

/// One person acting for an employer.
#[derive(Clone, PartialEq, Eq)]
pub struct Colleague {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub capacity: Capacity,
    /// Has not chosen a password yet (the invitation is pending).
    pub invited: bool,
}

impl std::fmt::Debug for Colleague {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Colleague")
            .field("user_id", &self.user_id)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[derive(FromRow)]
struct ColleagueRow {
    user_id: i64,
    email: String,
    display_name: String,
    #[sqlx(try_from = "String")]
    capacity: Capacity,
    invited: i64,
}

fn owner_only(by: &User, employer_id: i64) -> StoreResult<()> {
    if by.may(employer_id, Duty::Manage) {
        Ok(())
    } else {
        Err(StoreError::refused(
            Refusal::OwnerOnly,
            "only the employer's owner may manage its colleagues",
        ))
    }
}

/// What `user_id` may do for `employer_id`, read in `tx`; "not found" when nothing.
async fn colleague_capacity(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    employer_id: i64,
    user_id: i64,
) -> StoreResult<Capacity> {
    let capacity: Option<String> = sqlx::query_scalar(
        "SELECT capacity FROM user_employers WHERE user_id = $1 AND employer_id = $2",
    )
    .bind(user_id)
    .bind(employer_id)
    .fetch_optional(&mut **tx)
    .await?;
    capacity
        .and_then(|c| Capacity::parse(&c).ok())
        .ok_or_else(|| StoreError::not_found("colleague", user_id))
}

impl Store {
    /// The people acting for an employer, owners first, then by address.
    pub async fn colleagues(&self, employer_id: i64) -> StoreResult<Vec<Colleague>> {
        let rows: Vec<ColleagueRow> = sqlx::query_as(
            "SELECT u.id AS user_id, u.email, u.display_name, ue.capacity, \
             CAST(CASE WHEN u.password_hash IS NULL THEN 1 ELSE 0 END AS BIGINT) AS invited \
             FROM user_employers ue JOIN users u ON u.id = ue.user_id \
             WHERE ue.employer_id = $1 AND u.disabled = 0 \
             ORDER BY CASE WHEN ue.capacity = 'owner' THEN 0 ELSE 1 END, u.email",
        )
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Colleague {
                user_id: r.user_id,
                email: r.email,
                display_name: r.display_name,
                capacity: r.capacity,
                invited: r.invited != 0,
            })
            .collect())
    }

    /// The owner `by` invites `email` to act for `employer_id` with `capacity` (not
    /// owner). A new address gets an account and the invitation e-mail (a link to choose
    /// a password, [`super::users::INVITE_HOURS`]); an employer user who already has an
    /// account is linked at once. Staff addresses are refused. Audited, one transaction.
    pub async fn invite_colleague(
        &self,
        by: &User,
        employer_id: i64,
        email: &str,
        capacity: Capacity,
    ) -> StoreResult<()> {
        owner_only(by, employer_id)?;
        if capacity == Capacity::Owner {
            return Err(StoreError::Invalid(
                "a colleague is invited to view, declare or sign, not as owner".to_owned(),
            ));
        }
        let actor = Actor::new(format!("user:{}", by.id));
        let existing = self.user_by_email(email).await?;
        match existing {
            None => {
                let affiliation: String =
                    sqlx::query_scalar("SELECT affiliation_number FROM employers WHERE id = $1")
                        .bind(employer_id)
                        .fetch_optional(&self.pool)
                        .await?
                        .ok_or_else(|| StoreError::not_found("employer", employer_id))?;
                let new = NewUser {
                    email: email.to_owned(),
                    display_name: String::new(),
                    role: Role::Employer,
                    password: String::new(),
                    employers: vec![affiliation],
                };
                self.add_user(&actor, new, true, capacity).await?;
                Ok(())
            }
            Some(user) if user.role != Role::Employer => Err(StoreError::refused(
                Refusal::ColleagueNotEmployerUser,
                "this address belongs to the fund's staff: invite another address",
            )),
            Some(user) => {
                let now = self.now_text();
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO user_employers (user_id, employer_id, capacity) VALUES ($1, $2, $3)",
                )
                .bind(user.id)
                .bind(employer_id)
                .bind(capacity.as_str())
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    refused_on_unique(e, Refusal::ColleagueAlready, || {
                        format!(
                            "{} already acts for this employer",
                            normalise_email(email)
                        )
                    })
                })?;
                Audit::new(&actor, "colleague.invited")
                    .on("user", user.id)
                    .detail(json!({ "employer_id": employer_id, "capacity": capacity.as_str() }))
                    .record(&mut tx, &now)
                    .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    }

    /// The owner `by` changes, in place, what the colleague `user_id` may do for
    /// `employer_id` (view, declare or sign; at once: the next page that person opens
    /// follows it). An owner's capacity is not changed, nor anyone made owner, this way.
    /// Audited with the capacity before and after; the same capacity again changes nothing.
    pub async fn change_colleague_capacity(
        &self,
        by: &User,
        employer_id: i64,
        user_id: i64,
        capacity: Capacity,
    ) -> StoreResult<()> {
        owner_only(by, employer_id)?;
        let fixed = || {
            StoreError::refused(
                Refusal::OwnerCapacityFixed,
                "an owner's capacity is not changed here, nor an owner made: ask the fund",
            )
        };
        if !Capacity::INVITABLE.contains(&capacity) {
            return Err(fixed());
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let before = colleague_capacity(&mut tx, employer_id, user_id).await?;
        if before == Capacity::Owner {
            return Err(fixed());
        }
        if before == capacity {
            return Ok(());
        }
        sqlx::query(
            "UPDATE user_employers SET capacity = $3 WHERE user_id = $1 AND employer_id = $2",
        )
        .bind(user_id)
        .bind(employer_id)
        .bind(capacity.as_str())
        .execute(&mut *tx)
        .await?;
        Audit::new(
            &Actor::new(format!("user:{}", by.id)),
            "colleague.capacity_changed",
        )
        .on("user", user_id)
        .detail(json!({
            "employer_id": employer_id,
            "from": before.as_str(),
            "to": capacity.as_str(),
        }))
        .record(&mut tx, &now)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The owner `by` revokes what `user_id` may do for `employer_id` (at once: the next
    /// page that person opens for it is refused). Owners are not revoked this way.
    pub async fn revoke_colleague(
        &self,
        by: &User,
        employer_id: i64,
        user_id: i64,
    ) -> StoreResult<()> {
        owner_only(by, employer_id)?;
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let capacity = colleague_capacity(&mut tx, employer_id, user_id).await?;
        if capacity == Capacity::Owner {
            return Err(StoreError::refused(
                Refusal::OwnerNotRevocable,
                "an owner is not revoked here: ask the fund",
            ));
        }
        sqlx::query("DELETE FROM user_employers WHERE user_id = $1 AND employer_id = $2")
            .bind(user_id)
            .bind(employer_id)
            .execute(&mut *tx)
            .await?;
        Audit::new(&Actor::new(format!("user:{}", by.id)), "colleague.revoked")
            .on("user", user_id)
            .detail(json!({ "employer_id": employer_id, "capacity": capacity.as_str() }))
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
    fn each_capacity_allows_its_own_duty_only() {
        for duty in [Duty::View, Duty::Declare, Duty::Sign, Duty::Manage] {
            assert!(Capacity::Owner.allows(duty));
        }
        assert!(Capacity::View.allows(Duty::View));
        assert!(!Capacity::View.allows(Duty::Declare));
        assert!(!Capacity::View.allows(Duty::Sign));
        assert!(Capacity::Declare.allows(Duty::Declare));
        assert!(!Capacity::Declare.allows(Duty::Sign));
        assert!(Capacity::Sign.allows(Duty::Sign));
        assert!(!Capacity::Sign.allows(Duty::Declare));
        assert!(!Capacity::Sign.allows(Duty::Manage));
    }
}
