//! Debit mandates and the accounts they cover. Account numbers are encrypted before they
//! reach SQL and only their masked form comes back out, except through
//! [`Store::mandate_account_for_bank_file`], the one audited way to the digits.

use ::mandates::{
    AccountId, AccountKind, Amount, Mandate, MandateError, MandateReference, MandateStatus,
    SignatureEvidence,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, FromRow};

use super::notice_events::{NoticeEvent, NoticeKind};
use super::{
    Actor, Refusal, Store, StoreError, StoreResult, audit::Audit, conflict_on_unique,
    refused_on_unique, timestamp,
};

/// A mandate as shown to people: the account only masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MandateRecord {
    pub id: i64,
    pub employer_id: i64,
    pub reference: String,
    pub status: MandateStatus,
    pub status_reason: Option<String>,
    pub account_kind: AccountKind,
    pub bank_code: String,
    pub bank_name: Option<String>,
    /// All but the last 4 digits hidden.
    pub account_masked: String,
    pub ceiling: Option<Amount>,
    pub signed_at: Option<String>,
    pub signed_by: Option<String>,
    pub signature_ip: Option<String>,
    pub signature_user_agent: Option<String>,
    pub consent_version: Option<String>,
    pub consent_text_sha256: Option<String>,
    /// The exact text signed (kept once per text in `consent_texts`, by its SHA-256).
    pub consent_text: Option<String>,
    pub superseded_by: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// A new mandate on an account, already parsed and checked.
#[derive(Clone, Debug)]
pub struct NewMandate {
    pub account: AccountId,
    pub ceiling: Option<Amount>,
}

/// The evidence of a signature, gathered by the surface that received it: the exact
/// consent text shown, whose SHA-256 the store computes and under which it keeps the text.
#[derive(Clone, Debug, Deserialize)]
pub struct SignMandate {
    pub signer: String,
    pub ip: String,
    pub user_agent: String,
    /// A consent version the fund published (the surface checks it against its list).
    pub consent_version: String,
    pub consent_text: String,
}

/// The SHA-256 (hex) of a consent text, as a signature records it.
pub fn consent_text_sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[derive(FromRow)]
struct MandateRow {
    id: i64,
    employer_id: i64,
    reference: String,
    #[sqlx(try_from = "String")]
    status: MandateStatus,
    status_reason: Option<String>,
    #[sqlx(try_from = "String")]
    kind: AccountKind,
    bank_code: String,
    masked: String,
    ceiling_centimes: Option<i64>,
    signed_at: Option<String>,
    signed_by: Option<String>,
    signature_ip: Option<String>,
    signature_user_agent: Option<String>,
    consent_version: Option<String>,
    consent_text_sha256: Option<String>,
    consent_text: Option<String>,
    superseded_by: Option<i64>,
    created_at: String,
    updated_at: String,
}

const MANDATE_SELECT: &str = "SELECT m.id, m.employer_id, m.reference, m.status, m.status_reason, \
     a.kind, a.bank_code, a.masked, m.ceiling_centimes, m.signed_at, m.signed_by, m.signature_ip, \
     m.signature_user_agent, m.consent_version, m.consent_text_sha256, c.text AS consent_text, \
     m.superseded_by, m.created_at, m.updated_at FROM mandates m JOIN accounts a ON a.id = m.account_id \
     LEFT JOIN consent_texts c ON c.hash = m.consent_text_sha256";

impl Store {
    fn mandate_record(&self, row: MandateRow) -> MandateRecord {
        MandateRecord {
            bank_name: self.banks.name(&row.bank_code).map(str::to_owned),
            id: row.id,
            employer_id: row.employer_id,
            reference: row.reference,
            status: row.status,
            status_reason: row.status_reason,
            account_kind: row.kind,
            bank_code: row.bank_code,
            account_masked: row.masked,
            ceiling: row.ceiling_centimes.map(Amount::from_centimes),
            signed_at: row.signed_at,
            signed_by: row.signed_by,
            signature_ip: row.signature_ip,
            signature_user_agent: row.signature_user_agent,
            consent_version: row.consent_version,
            consent_text_sha256: row.consent_text_sha256,
            consent_text: row.consent_text,
            superseded_by: row.superseded_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }

    async fn mandate_row(conn: &mut AnyConnection, id: i64) -> StoreResult<MandateRow> {
        sqlx::query_as::<_, MandateRow>(sqlx::AssertSqlSafe(format!(
            "{MANDATE_SELECT} WHERE m.id = $1"
        )))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| StoreError::not_found("mandate", id))
    }

    pub async fn mandate(&self, id: i64) -> StoreResult<MandateRecord> {
        let mut conn = self.pool.acquire().await?;
        let row = Self::mandate_row(&mut conn, id).await?;
        Ok(self.mandate_record(row))
    }

    pub async fn list_mandates(&self, employer_id: i64) -> StoreResult<Vec<MandateRecord>> {
        self.employer(employer_id).await?;
        let rows = sqlx::query_as::<_, MandateRow>(sqlx::AssertSqlSafe(format!(
            "{MANDATE_SELECT} WHERE m.employer_id = $1 ORDER BY m.id DESC"
        )))
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| self.mandate_record(r)).collect())
    }

    /// Records a pending mandate on an account. The bank code must be in the bank table.
    /// A previous pending (unsigned) mandate of the employer is superseded by this one; an
    /// active one stays active until this one is signed, so collection never has a gap.
    pub async fn create_mandate(
        &self,
        actor: &Actor,
        employer_id: i64,
        new: NewMandate,
    ) -> StoreResult<MandateRecord> {
        self.employer(employer_id).await?;
        self.banks
            .check(&new.account)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        if let Some(ceiling) = new.ceiling
            && !ceiling.is_positive()
        {
            return Err(StoreError::refused(
                Refusal::MandateCeiling,
                "the ceiling must be a positive amount, or absent for no ceiling",
            ));
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let inserted = self
            .insert_pending_mandate(&mut tx, employer_id, &new, None, &now)
            .await
            .map_err(|e| {
                conflict_on_unique(e, || {
                    "another mandate was being created for this employer at the same time; try again"
                        .to_owned()
                })
            })?;
        inserted
            .audit(actor, employer_id, &new, &mut tx, &now)
            .await?;
        let row = Self::mandate_row(&mut tx, inserted.id).await?;
        tx.commit().await?;
        Ok(self.mandate_record(row))
    }

    /// The reference the employer's next mandate gets (its affiliation number and the
    /// count of its mandates so far, plus one). Reads only: "check the account" shows it in
    /// the consent text before anything is recorded.
    pub async fn next_mandate_reference(&self, employer_id: i64) -> StoreResult<String> {
        let employer = self.employer(employer_id).await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mandates WHERE employer_id = $1")
            .bind(employer_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(
            MandateReference::generate(&employer.affiliation_number, next_sequence(count))
                .as_str()
                .to_owned(),
        )
    }

    /// Writes the account (once per employer and number) and a pending mandate on it, with
    /// `reference` or the employer's next one, superseding the employer's pending one.
    /// Row writes only: the caller records the audit entries last ([`InsertedMandate::audit`]).
    async fn insert_pending_mandate(
        &self,
        tx: &mut AnyConnection,
        employer_id: i64,
        new: &NewMandate,
        reference: Option<&str>,
        now: &str,
    ) -> Result<InsertedMandate, sqlx::Error> {
        let digits = new.account.digits();
        let index = self.cipher.blind_index(digits);
        let existing_account: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM accounts WHERE employer_id = $1 AND number_index = $2",
        )
        .bind(employer_id)
        .bind(&index)
        .fetch_optional(&mut *tx)
        .await?;
        let account_id = match existing_account {
            Some(id) => id,
            None => {
                sqlx::query_scalar(
                    "INSERT INTO accounts (employer_id, kind, bank_code, number_encrypted, number_index, masked, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(employer_id)
                .bind(new.account.kind().as_str())
                .bind(new.account.bank_code())
                .bind(self.cipher.encrypt(digits))
                .bind(&index)
                .bind(new.account.masked())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
            }
        };

        let previous_pending: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM mandates WHERE employer_id = $1 AND status = 'pending'",
        )
        .bind(employer_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(previous) = previous_pending {
            sqlx::query(
                "UPDATE mandates SET status = 'superseded', status_reason = $2, updated_at = $3 \
                 WHERE id = $1",
            )
            .bind(previous)
            .bind("replaced by a newer unsigned mandate")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }

        let reference = match reference {
            Some(reference) => reference.to_owned(),
            None => {
                let affiliation: String =
                    sqlx::query_scalar("SELECT affiliation_number FROM employers WHERE id = $1")
                        .bind(employer_id)
                        .fetch_one(&mut *tx)
                        .await?;
                let count: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM mandates WHERE employer_id = $1")
                        .bind(employer_id)
                        .fetch_one(&mut *tx)
                        .await?;
                MandateReference::generate(&affiliation, next_sequence(count))
                    .as_str()
                    .to_owned()
            }
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO mandates (employer_id, account_id, reference, status, ceiling_centimes, created_at, updated_at) \
             VALUES ($1, $2, $3, 'pending', $4, $5, $5) RETURNING id",
        )
        .bind(employer_id)
        .bind(account_id)
        .bind(&reference)
        .bind(new.ceiling.map(Amount::centimes))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(previous) = previous_pending {
            sqlx::query("UPDATE mandates SET superseded_by = $2 WHERE id = $1")
                .bind(previous)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(InsertedMandate {
            id,
            reference,
            previous_pending,
        })
    }

    /// Signs a pending mandate with its evidence; the employer's previously active mandate,
    /// if any, is superseded in the same transaction.
    pub async fn sign_mandate(
        &self,
        actor: &Actor,
        mandate_id: i64,
        evidence: SignMandate,
    ) -> StoreResult<MandateRecord> {
        let (version, consent_sha256) = checked_evidence(&evidence)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        // A replacement takes over planned debits: it takes turns with planning, payments,
        // debit actions and imports (PostgreSQL; SQLite has one writer), first, before any
        // row lock.
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let signed = self
            .sign_pending_mandate(
                &mut tx,
                mandate_id,
                &evidence,
                &version,
                &consent_sha256,
                now,
            )
            .await?;
        signed
            .audit(
                actor,
                mandate_id,
                &evidence,
                &version,
                &consent_sha256,
                &mut tx,
                &timestamp(now),
            )
            .await?;
        let row = Self::mandate_row(&mut tx, mandate_id).await?;
        tx.commit().await?;
        Ok(self.mandate_record(row))
    }

    /// Records and signs, in one transaction, the mandate that "check the account"
    /// proposed: the account, the reference shown in the consent text, the evidence. Until
    /// this, nothing was recorded; a second submission of the same form (back button,
    /// double click) finds the reference taken and is refused, so exactly one mandate is
    /// recorded. An active mandate is superseded and hands over its planned debits as in
    /// [`Store::sign_mandate`]; a pending one (made by staff) is superseded.
    pub async fn sign_new_mandate(
        &self,
        actor: &Actor,
        employer_id: i64,
        new: NewMandate,
        reference: &str,
        evidence: SignMandate,
    ) -> StoreResult<MandateRecord> {
        let (version, consent_sha256) = checked_evidence(&evidence)?;
        self.employer(employer_id).await?;
        self.banks
            .check(&new.account)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        MandateReference::parse(reference)
            .map_err(|e| StoreError::Invalid(format!("the mandate reference is invalid: {e}")))?;
        let now = self.now();
        let now_text = timestamp(now);
        let mut tx = self.begin_write().await?;
        if let Some(lock) = self.backend.planning_lock() {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM mandates WHERE reference = $1")
            .bind(reference)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::refused(
                Refusal::MandateNotPending,
                format!(
                    "the mandate {reference} is no longer waiting for a signature: it was signed \
                     already (the form was sent twice) or another mandate took its reference; \
                     reload the page and check the account again if needed"
                ),
            ));
        }
        let inserted = self
            .insert_pending_mandate(&mut tx, employer_id, &new, Some(reference), &now_text)
            .await
            .map_err(|e| {
                refused_on_unique(e, Refusal::MandateSignedMeanwhile, || {
                    "another mandate of this employer was signed at the same time; reload and try again"
                        .to_owned()
                })
            })?;
        let signed = self
            .sign_pending_mandate(
                &mut tx,
                inserted.id,
                &evidence,
                &version,
                &consent_sha256,
                now,
            )
            .await?;
        inserted
            .audit(actor, employer_id, &new, &mut tx, &now_text)
            .await?;
        signed
            .audit(
                actor,
                inserted.id,
                &evidence,
                &version,
                &consent_sha256,
                &mut tx,
                &now_text,
            )
            .await?;
        let row = Self::mandate_row(&mut tx, inserted.id).await?;
        tx.commit().await?;
        Ok(self.mandate_record(row))
    }

    /// The row writes of a signature (the mandate active with its evidence, the text kept,
    /// the previous active mandate superseded with its planned debits handed over, the
    /// notice); the caller holds the planning lock and records the audit entries after.
    async fn sign_pending_mandate(
        &self,
        tx: &mut AnyConnection,
        mandate_id: i64,
        evidence: &SignMandate,
        version: &str,
        consent_sha256: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<SignedMandate> {
        let now_text = timestamp(now);
        let row = Self::mandate_row(&mut *tx, mandate_id).await?;
        let mut mandate = self.domain_mandate(&row)?;
        mandate
            .sign(SignatureEvidence {
                signer: evidence.signer.clone(),
                signed_at: now.naive_utc(),
                ip: evidence.ip.clone(),
                user_agent: evidence.user_agent.clone(),
                consent_text_sha256: consent_sha256.to_owned(),
            })
            .map_err(|e| {
                let refusal = match e {
                    MandateError::Evidence(_) => Refusal::MandateEvidence,
                    _ => Refusal::MandateNotPending,
                };
                StoreError::refused(refusal, e.to_string())
            })?;

        let previous_active: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM mandates WHERE employer_id = $1 AND status = 'active'",
        )
        .bind(row.employer_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(previous) = previous_active {
            sqlx::query(
                "UPDATE mandates SET status = 'superseded', status_reason = $2, superseded_by = $3, \
                 updated_at = $4 WHERE id = $1",
            )
            .bind(previous)
            .bind("replaced by a newly signed mandate")
            .bind(mandate_id)
            .bind(&now_text)
            .execute(&mut *tx)
            .await?;
        }
        let handed_over = match previous_active {
            Some(previous) => {
                let (today, open_from) = (self.clock.today().to_string(), self.open_from());
                let days = (today.as_str(), open_from.as_str());
                hand_over_planned_debits(&mut *tx, previous, mandate_id, row.kind, days, &now_text)
                    .await?
            }
            None => Vec::new(),
        };
        // The text itself, once per text: a second signature of the same text keeps the
        // first record (the table refuses changes).
        sqlx::query(
            "INSERT INTO consent_texts (hash, version, text, published_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(consent_sha256)
        .bind(version)
        .bind(&evidence.consent_text)
        .bind(&now_text)
        .execute(&mut *tx)
        .await?;
        let updated = sqlx::query(
            "UPDATE mandates SET status = 'active', status_reason = NULL, signed_at = $2, signed_by = $3, \
             signature_ip = $4, signature_user_agent = $5, consent_version = $6, consent_text_sha256 = $7, \
             updated_at = $2 WHERE id = $1 AND status = 'pending'",
        )
        .bind(mandate_id)
        .bind(&now_text)
        .bind(&evidence.signer)
        .bind(&evidence.ip)
        .bind(&evidence.user_agent)
        .bind(version)
        .bind(consent_sha256)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            refused_on_unique(e, Refusal::MandateSignedMeanwhile, || {
                "another mandate of this employer was signed at the same time; reload and try again"
                    .to_owned()
            })
        })?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::refused(
                Refusal::MandateChanged,
                "the mandate changed while it was being signed; reload and try again",
            ));
        }
        // The employer is told in the same transaction (outbox): a first mandate is
        // "signed", one that supersedes an active mandate "replaced".
        let kind = if previous_active.is_some() {
            NoticeKind::MandateReplaced
        } else {
            NoticeKind::MandateSigned
        };
        NoticeEvent::new(kind, row.employer_id, mandate_id)
            .record(&mut *tx, &now_text)
            .await?;
        Ok(SignedMandate {
            previous_active,
            handed_over,
        })
    }

    /// Sets, raises, lowers or removes (`None`) the ceiling per debit of a live (pending or
    /// active) mandate, at the employer's request; audited with the previous ceiling. A
    /// ceiling raised before a date's notice deadline lets the next planning pass debit
    /// what it had skipped. A ceiling must be positive.
    pub async fn set_mandate_ceiling(
        &self,
        actor: &Actor,
        mandate_id: i64,
        ceiling: Option<Amount>,
    ) -> StoreResult<MandateRecord> {
        if let Some(ceiling) = ceiling
            && !ceiling.is_positive()
        {
            return Err(StoreError::refused(
                Refusal::MandateCeiling,
                "the ceiling must be a positive amount, or absent for no ceiling",
            ));
        }
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let row = Self::mandate_row(&mut tx, mandate_id).await?;
        if !matches!(row.status, MandateStatus::Pending | MandateStatus::Active) {
            return Err(StoreError::refused(
                Refusal::MandateEnded,
                "this mandate has ended: its ceiling can no longer be changed; sign a new mandate",
            ));
        }
        let previous = row.ceiling_centimes;
        let updated = sqlx::query(
            "UPDATE mandates SET ceiling_centimes = $2, updated_at = $3 WHERE id = $1 AND status = $4",
        )
        .bind(mandate_id)
        .bind(ceiling.map(Amount::centimes))
        .bind(&now)
        .bind(row.status.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::refused(
                Refusal::MandateChanged,
                "the mandate changed while its ceiling was being changed; reload and try again",
            ));
        }
        Audit::new(actor, "mandate.ceiling_changed")
            .on("mandate", mandate_id)
            .detail(json!({
                "previous": previous.map(|c| Amount::from_centimes(c).to_string()),
                "ceiling": ceiling.map(|c| c.to_string()),
            }))
            .record(&mut tx, &now)
            .await?;
        let row = Self::mandate_row(&mut tx, mandate_id).await?;
        tx.commit().await?;
        Ok(self.mandate_record(row))
    }

    /// Revokes a mandate at the employer's request.
    pub async fn revoke_mandate(
        &self,
        actor: &Actor,
        mandate_id: i64,
        reason: &str,
    ) -> StoreResult<MandateRecord> {
        let now = self.now();
        let now_text = timestamp(now);
        let mut tx = self.begin_write().await?;
        let row = Self::mandate_row(&mut tx, mandate_id).await?;
        let mut mandate = self.domain_mandate(&row)?;
        mandate
            .revoke(now.naive_utc())
            .map_err(|e| StoreError::refused(Refusal::MandateEnded, e.to_string()))?;
        let reason = reason.trim();
        let reason = if reason.is_empty() {
            "revoked by the employer"
        } else {
            reason
        };
        let updated = sqlx::query(
            "UPDATE mandates SET status = 'revoked', status_reason = $2, updated_at = $3 \
             WHERE id = $1 AND status = $4",
        )
        .bind(mandate_id)
        .bind(reason)
        .bind(&now_text)
        .bind(row.status.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::refused(
                Refusal::MandateChanged,
                "the mandate changed while it was being revoked; reload and try again",
            ));
        }
        NoticeEvent::new(NoticeKind::MandateRevoked, row.employer_id, mandate_id)
            .record(&mut tx, &now_text)
            .await?;
        Audit::new(actor, "mandate.revoked")
            .on("mandate", mandate_id)
            .detail(json!({ "reason": reason, "previous_status": row.status }))
            .record(&mut tx, &now_text)
            .await?;
        let row = Self::mandate_row(&mut tx, mandate_id).await?;
        tx.commit().await?;
        Ok(self.mandate_record(row))
    }

    /// The account digits of a mandate, decrypted, for writing a bank file. Every call is
    /// recorded in the audit trail (loi 18-07: access to account numbers is logged).
    pub async fn mandate_account_for_bank_file(
        &self,
        actor: &Actor,
        mandate_id: i64,
        purpose: &str,
    ) -> StoreResult<AccountId> {
        let mut tx = self.begin_write().await?;
        let encrypted: String = sqlx::query_scalar(
            "SELECT a.number_encrypted FROM mandates m JOIN accounts a ON a.id = m.account_id \
             WHERE m.id = $1",
        )
        .bind(mandate_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("mandate", mandate_id))?;
        let digits = self.cipher.decrypt(&encrypted)?;
        let account = AccountId::parse(&digits)
            .map_err(|e| StoreError::Invalid(format!("stored account is invalid: {e}")))?;
        Audit::new(actor, "account.read")
            .on("mandate", mandate_id)
            .detail(json!({ "purpose": purpose }))
            .record(&mut tx, &self.now_text())
            .await?;
        tx.commit().await?;
        Ok(account)
    }

    /// Rebuilds the domain mandate to let it judge a transition. The account digits are
    /// decrypted in memory only; they never leave this function.
    fn domain_mandate(&self, row: &MandateRow) -> StoreResult<Mandate> {
        let status = row.status;
        let reference = MandateReference::parse(&row.reference)
            .map_err(|e| StoreError::Invalid(format!("stored reference is invalid: {e}")))?;
        let signed_at = row
            .signed_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc).naive_utc());
        Ok(Mandate::restore(
            reference,
            status,
            row.ceiling_centimes.map(Amount::from_centimes),
            signed_at,
        ))
    }
}

/// How long the signing form of a "check the account" stays valid.
const PROPOSAL_HOURS: i64 = 24;

/// What "check the account" shows to sign, with nothing recorded: the reference the
/// mandate will get, the account masked, the bank, and `sealed`, the hidden field that
/// carries the proposal to the signature (encrypted and authenticated with the store's
/// key, bound to the employer and the user, valid [`PROPOSAL_HOURS`]).
#[derive(Clone, Debug)]
pub struct MandateProposal {
    pub reference: String,
    pub account_masked: String,
    pub bank_code: String,
    pub bank_name: Option<String>,
    pub sealed: String,
}

/// A proposal opened at signing time: what it proposed, unchanged.
#[derive(Clone, Debug)]
pub struct OpenedProposal {
    pub account: AccountId,
    pub reference: String,
    /// The language the consent text was shown in.
    pub lang: String,
}

#[derive(Serialize, Deserialize)]
struct ProposalBody {
    employer: i64,
    user: i64,
    account: String,
    reference: String,
    lang: String,
    at: String,
}

/// A debit planned on the employer's active mandate, and what a replacement signed now
/// would do with it: follow the new account (`follows`), or stay on the old mandate and be
/// cancelled because it is too close to announce again (the hand-over rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedDebitFate {
    pub collection_id: i64,
    pub collection_date: String,
    pub amount: Amount,
    pub follows: bool,
}

impl Store {
    /// Proposes a mandate on a checked account: nothing is written, the reference is the
    /// employer's next one. The bank code must be in the bank table.
    pub async fn propose_mandate(
        &self,
        employer_id: i64,
        user_id: i64,
        account: &AccountId,
        lang: &str,
    ) -> StoreResult<MandateProposal> {
        self.banks
            .check(account)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let reference = self.next_mandate_reference(employer_id).await?;
        let body = ProposalBody {
            employer: employer_id,
            user: user_id,
            account: account.digits().to_owned(),
            reference: reference.clone(),
            lang: lang.to_owned(),
            at: self.now_text(),
        };
        let text = serde_json::to_string(&body)
            .map_err(|e| StoreError::Invalid(format!("cannot write a mandate proposal: {e}")))?;
        Ok(MandateProposal {
            reference,
            account_masked: account.masked(),
            bank_code: account.bank_code().to_owned(),
            bank_name: self.banks.name(account.bank_code()).map(str::to_owned),
            sealed: self.cipher.seal_mandate_proposal(&text),
        })
    }

    /// Opens a proposal's hidden field for `employer_id` and `user_id`: `None` when it was
    /// altered, made for another employer or user, or is older than [`PROPOSAL_HOURS`].
    pub fn open_mandate_proposal(
        &self,
        sealed: &str,
        employer_id: i64,
        user_id: i64,
    ) -> Option<OpenedProposal> {
        let text = self.cipher.open_mandate_proposal(sealed.trim()).ok()?;
        let body: ProposalBody = serde_json::from_str(&text).ok()?;
        if body.employer != employer_id || body.user != user_id {
            return None;
        }
        let at = DateTime::parse_from_rfc3339(&body.at)
            .ok()?
            .with_timezone(&Utc);
        let age = self.now().signed_duration_since(at);
        if age < chrono::Duration::zero() || age > chrono::Duration::hours(PROPOSAL_HOURS) {
            return None;
        }
        Some(OpenedProposal {
            account: AccountId::parse(&body.account).ok()?,
            reference: body.reference,
            lang: body.lang,
        })
    }

    /// The debits planned on the employer's active mandate, by date, each with what a
    /// replacement signed now would do with it (the rule of the hand-over at signing: a
    /// date at least the notice period away, no run of that date being built).
    pub async fn replacement_fates(&self, employer_id: i64) -> StoreResult<Vec<PlannedDebitFate>> {
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT c.id, c.collection_date, c.amount_centimes, \
             CAST(CASE WHEN c.collection_date >= $2 AND NOT EXISTS (SELECT 1 FROM runs r \
             WHERE r.collection_date = c.collection_date AND r.status = 'building') THEN 1 ELSE 0 END AS BIGINT) \
             FROM collections c JOIN mandates m ON m.id = c.mandate_id \
             WHERE m.employer_id = $1 AND m.status = 'active' AND c.status = 'planned' \
             ORDER BY c.collection_date, c.id",
        )
        .bind(employer_id)
        .bind(self.open_from())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, date, centimes, follows)| PlannedDebitFate {
                collection_id: id,
                collection_date: date,
                amount: Amount::from_centimes(centimes),
                follows: follows == 1,
            })
            .collect())
    }
}

/// The sequence number of an employer's next mandate reference, after `count` mandates.
fn next_sequence(count: i64) -> u64 {
    u64::try_from(count + 1).unwrap_or(1)
}

/// The consent version (trimmed) and the SHA-256 of the text of a signature's evidence, or
/// the refusal when either is missing.
fn checked_evidence(evidence: &SignMandate) -> StoreResult<(String, String)> {
    let version = evidence.consent_version.trim();
    if version.is_empty() || version.chars().count() > 40 || evidence.consent_text.is_empty() {
        return Err(StoreError::refused(
            Refusal::MandateEvidence,
            "a signature needs the consent version and the exact consent text shown",
        ));
    }
    Ok((
        version.to_owned(),
        consent_text_sha256(&evidence.consent_text),
    ))
}

/// A pending mandate just written, with what its audit entries say.
struct InsertedMandate {
    id: i64,
    reference: String,
    previous_pending: Option<i64>,
}

impl InsertedMandate {
    async fn audit(
        &self,
        actor: &Actor,
        employer_id: i64,
        new: &NewMandate,
        conn: &mut AnyConnection,
        now: &str,
    ) -> StoreResult<()> {
        if let Some(previous) = self.previous_pending {
            Audit::new(actor, "mandate.superseded")
                .on("mandate", previous)
                .detail(json!({ "superseded_by": self.id }))
                .record(&mut *conn, now)
                .await?;
        }
        Audit::new(actor, "mandate.created")
            .on("mandate", self.id)
            .detail(json!({
                "employer_id": employer_id,
                "reference": self.reference,
                "account": new.account.masked(),
                "ceiling": new.ceiling.map(|c| c.to_string()),
            }))
            .record(&mut *conn, now)
            .await
    }
}

/// A signature's row writes done, with what its audit entries say.
struct SignedMandate {
    previous_active: Option<i64>,
    handed_over: Vec<i64>,
}

impl SignedMandate {
    #[allow(clippy::too_many_arguments)]
    async fn audit(
        &self,
        actor: &Actor,
        mandate_id: i64,
        evidence: &SignMandate,
        version: &str,
        consent_sha256: &str,
        conn: &mut AnyConnection,
        now: &str,
    ) -> StoreResult<()> {
        // The audit entries last, after every row write: each takes the chain's head and
        // holds it until commit (a row locked after one could deadlock on PostgreSQL).
        if let Some(previous) = self.previous_active {
            Audit::new(actor, "mandate.superseded")
                .on("mandate", previous)
                .detail(json!({
                    "superseded_by": mandate_id,
                    "debits_handed_over": self.handed_over,
                }))
                .record(&mut *conn, now)
                .await?;
        }
        Audit::new(actor, "mandate.signed")
            .on("mandate", mandate_id)
            .detail(json!({
                "signer": evidence.signer,
                "ip": evidence.ip,
                "consent_version": version,
                "consent_text_sha256": consent_sha256,
            }))
            .record(&mut *conn, now)
            .await
    }
}

/// The debits planned on a replaced mandate and not yet in a file follow the mandate that
/// replaces it (issue 20 point 1; review 1 findings 2 and 3) when they can still be
/// announced for the new account: same date, same amount, a collection date at least the
/// notice period away (`open_from`), and no run of that date being built (its file streams
/// may already have read the old account; `lock_run` takes turns with this through the
/// planning lock). Each is announced again for the new account — a new advance notice
/// (`notice_version` + 1, today's notice, its earliest debit date today + the notice
/// period), the unsent previous one withdrawn. Their channel becomes the new account's,
/// and a sequence type already stamped `FRST` (the new mandate has never been debited);
/// the totals move with them. The others stay on the replaced mandate, where the run's
/// re-check cancels them (`mandate_inactive`) and gives their lines back; the replacement
/// notice says which debit went which way. Returns the ids of those handed over (in the
/// `mandate.superseded` audit entry).
async fn hand_over_planned_debits(
    tx: &mut AnyConnection,
    previous: i64,
    replacement: i64,
    kind: AccountKind,
    (today, open_from): (&str, &str),
    now: &str,
) -> StoreResult<Vec<i64>> {
    use super::Bind;
    use super::collection_totals::{Shift, shift};
    use super::notice_events::{NoticeEvents, withdraw_unsent_advance_notices};
    let planned = "collections c WHERE c.mandate_id = $1 AND c.status = 'planned' AND c.collection_date >= $2 \
         AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.collection_date = c.collection_date AND r.status = 'building')";
    let ids: Vec<i64> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT c.id FROM {planned}")))
            .bind(previous)
            .bind(open_from)
            .fetch_all(&mut *tx)
            .await?;
    if ids.is_empty() {
        return Ok(ids);
    }
    let list = ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    // (The ids come from the database; `$1` is the earliest date, so the statements bind it.)
    let these = format!("c.collection_date >= $1 AND c.id IN ({list})");
    let binds = [Bind::Text(open_from)];
    let from = format!("collections c WHERE {these}");
    withdraw_unsent_advance_notices(&mut *tx, &these, open_from).await?;
    shift(&mut *tx, Shift::Remove, &from, &binds).await?;
    let moved: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "UPDATE collections SET mandate_id = $2, channel = $3, updated_at = $4, \
         sequence_type = CASE WHEN sequence_type IS NULL THEN NULL ELSE 'FRST' END, \
         announced_centimes = amount_centimes, earliest_debit_date = $1, noticed_on = $5, \
         notice_version = notice_version + 1 \
         WHERE status = 'planned' AND collection_date >= $1 AND id IN ({list}) RETURNING id"
    )))
    .bind(open_from)
    .bind(replacement)
    .bind(kind.as_str())
    .bind(now)
    .bind(today)
    .fetch_all(&mut *tx)
    .await?;
    shift(&mut *tx, Shift::Add, &from, &binds).await?;
    // Announcement n > 1: dedupe key `advance_notice:ID:vN`, like an amended debit.
    NoticeEvents::new(NoticeKind::AdvanceNotice, "c", &from)
        .again("'v' || CAST(c.notice_version AS TEXT)")
        .record(&mut *tx, now, &binds)
        .await?;
    Ok(moved)
}
