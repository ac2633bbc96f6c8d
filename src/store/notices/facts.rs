//! The facts a notice is written from: its recipient, and its subject (a collection with
//! its breakdown, a mandate, a dispute) as the notice describes it, the account only
//! masked. Receipts get their number here, once.
//!
//! Must not know: the words of a notice (`crate::notices` writes them).

use bank_formats::reasons::ReasonCategory;
use mandates::{Amount, Channel, CollectionStatus, NoticeLanguage};
use sqlx::FromRow;

use super::delivery::ClaimedNotice;
use crate::store::notice_events::NoticeKind;
use crate::store::{
    DisputeOutcome, MandateRecord, NextAttempt, OptionalCode, Store, StoreError, StoreResult,
};

/// Who a notice goes to, and in which language(s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeRecipient {
    pub employer_id: i64,
    pub affiliation_number: String,
    pub name: String,
    pub name_ar: Option<String>,
    pub email: String,
    pub language: NoticeLanguage,
}

/// One line of a collection's breakdown: a worksite's contributions for a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakdownLine {
    pub worksite_code: String,
    pub worksite_name: String,
    pub period: String,
    pub amount: Amount,
    pub paid_leave: Amount,
    pub bad_weather_employer: Amount,
    pub bad_weather_employee: Amount,
}

/// A collection as its notices describe it. The account only masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionFacts {
    pub id: i64,
    pub employer_id: i64,
    pub collection_date: String,
    pub amount: Amount,
    pub attempt: i64,
    /// How many times this debit was announced (2 and more: amended after its first
    /// advance notice; the notice says it replaces the previous one).
    pub notice_version: i64,
    pub channel: Channel,
    pub status: CollectionStatus,
    pub reason_code: Option<String>,
    pub reason_category: Option<ReasonCategory>,
    pub settled_on: Option<String>,
    pub mandate_reference: String,
    pub bank_code: String,
    pub bank_name: Option<String>,
    /// All but the last 4 digits hidden (the stored masked form).
    pub account_masked: String,
    pub lines: Vec<BreakdownLine>,
    /// The retry planned after this failure.
    pub next_attempt: Option<NextAttempt>,
    /// Receipts only: the number given once to this collection's receipt.
    pub receipt_number: Option<String>,
}

/// A mandate as its notices describe it: the mandate as shown to people, and what the
/// replacement and suspension notices add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MandateFacts {
    pub mandate: MandateRecord,
    /// The mandate this one superseded, for `mandate_replaced`.
    pub replaced: Option<ReplacedMandate>,
    /// The reason category of the return that suspended it, for `mandate_suspended`.
    pub suspension_reason: Option<ReasonCategory>,
}

/// The mandate a newly signed one superseded: its reference and masked account, and the
/// debits planned on it that the new one took over (`Store::sign_mandate`).
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct ReplacedMandate {
    pub reference: String,
    #[sqlx(rename = "masked")]
    pub account_masked: String,
    #[sqlx(skip)]
    pub handed_over: Vec<HandedOverDebit>,
    /// The debits announced on it too close to their date to be announced again for the
    /// new account: not presented on either (cancelled, their contributions still owed).
    #[sqlx(skip)]
    pub not_handed_over: Vec<HandedOverDebit>,
}

/// A debit announced on the replaced mandate: its date and amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandedOverDebit {
    pub collection_date: String,
    pub amount: Amount,
}

/// A dispute as its notices describe it, from the case message the notice is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisputeFacts {
    pub case_number: String,
    pub collection_date: String,
    pub amount: Amount,
    pub opened_on: String,
    /// The date by which the fund answers (acknowledgement) or the employer may appeal.
    pub deadline: String,
    /// The answer, for `dispute_answered`: upheld (refund) or rejected.
    pub outcome: Option<DisputeOutcome>,
    pub answer_fr: Option<String>,
    pub answer_ar: Option<String>,
}

/// An employer over its mandate's ceiling for a collection date, as its notice says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShortfallFacts {
    pub collection_date: String,
    /// What the employer owes for the date.
    pub amount: Amount,
    pub ceiling: Amount,
    /// The last day a raised ceiling still lets the debit be planned for the date.
    pub deadline: String,
    pub mandate_reference: String,
}

/// A surcharge, as its notice says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurchargeNoticeFacts {
    pub amount: Amount,
    pub accrued_on: String,
    pub facts: crate::store::SurchargeFacts,
}

/// A payment plan, as its notices say it: its instalments (days, amounts, what paid
/// them) or the staff's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanNoticeFacts {
    pub plan_id: i64,
    pub status: crate::store::PlanStatus,
    pub requested_on: String,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    /// The arrears it covers (a plan set).
    pub total: Option<Amount>,
    /// The staff's reason (refused, cancelled); `instalment_missed` for a broken plan.
    pub end_reason: Option<String>,
    pub instalments: Vec<crate::store::PlanInstalment>,
    /// The fund's grace after an instalment's day (the surcharge policy's).
    pub grace_days: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoticeSubject {
    Collection(Box<CollectionFacts>),
    Shortfall(Box<ShortfallFacts>),
    Surcharge(Box<SurchargeNoticeFacts>),
    Plan(Box<PlanNoticeFacts>),
    Mandate(Box<MandateFacts>),
    Dispute(Box<DisputeFacts>),
}

/// Everything a notice is written from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeFacts {
    pub event_id: i64,
    pub kind: NoticeKind,
    pub dedupe_key: String,
    pub recipient: NoticeRecipient,
    pub subject: NoticeSubject,
}

#[derive(FromRow)]
struct CollectionRow {
    id: i64,
    employer_id: i64,
    collection_date: String,
    amount_centimes: i64,
    attempt: i64,
    notice_version: i64,
    #[sqlx(try_from = "String")]
    channel: Channel,
    #[sqlx(try_from = "String")]
    status: CollectionStatus,
    reason_code: Option<String>,
    #[sqlx(try_from = "OptionalCode")]
    reason_category: Option<ReasonCategory>,
    settled_on: Option<String>,
    reference: String,
    bank_code: String,
    masked: String,
}

#[derive(FromRow)]
struct LineRow {
    code: String,
    name: String,
    period: String,
    amount_centimes: i64,
    paid_leave_centimes: i64,
    bad_weather_employer_centimes: i64,
    bad_weather_employee_centimes: i64,
}

#[derive(FromRow)]
struct RecipientRow {
    id: i64,
    affiliation_number: String,
    name: String,
    name_ar: Option<String>,
    email: String,
    #[sqlx(try_from = "String")]
    language: NoticeLanguage,
}

impl Store {
    /// The facts a notice is written from. Receipts get their number here, once.
    /// Errors other than [`StoreError::Database`] mean the notice cannot be written
    /// (unknown kind, missing subject) and will not become writable by waiting.
    pub async fn notice_facts(&self, notice: &ClaimedNotice) -> StoreResult<NoticeFacts> {
        let kind = notice.kind;
        let recipient = sqlx::query_as::<_, RecipientRow>(
            "SELECT id, affiliation_number, name, name_ar, email, language FROM employers WHERE id = $1",
        )
        .bind(notice.employer_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("employer", notice.employer_id))?;
        let recipient = NoticeRecipient {
            employer_id: recipient.id,
            affiliation_number: recipient.affiliation_number,
            name: recipient.name,
            name_ar: recipient.name_ar,
            email: recipient.email,
            language: recipient.language,
        };
        let (subject, owner) = match kind {
            NoticeKind::AdvanceNotice
            | NoticeKind::Receipt
            | NoticeKind::FailureNotice
            | NoticeKind::DebitCancelled => {
                let facts = self
                    .collection_facts(notice.subject_id, kind == NoticeKind::Receipt)
                    .await?;
                let owner = facts.employer_id;
                (NoticeSubject::Collection(Box::new(facts)), owner)
            }
            NoticeKind::MandateSigned
            | NoticeKind::MandateReplaced
            | NoticeKind::MandateRevoked
            | NoticeKind::MandateSuspended => {
                let facts = self.mandate_facts(notice.subject_id).await?;
                let owner = facts.mandate.employer_id;
                (NoticeSubject::Mandate(Box::new(facts)), owner)
            }
            NoticeKind::DisputeAcknowledged | NoticeKind::DisputeAnswered => {
                let (owner, facts) = self.dispute_facts(notice.subject_id).await?;
                (NoticeSubject::Dispute(Box::new(facts)), owner)
            }
            NoticeKind::OverCeiling => {
                let (owner, facts) = self.shortfall_facts(notice.subject_id).await?;
                (NoticeSubject::Shortfall(Box::new(facts)), owner)
            }
            NoticeKind::SurchargeNotice => {
                let (owner, facts) = self.surcharge_notice_facts(notice.subject_id).await?;
                (NoticeSubject::Surcharge(Box::new(facts)), owner)
            }
            NoticeKind::ProvisionalAssessment => {
                let (owner, facts) = self.assessment_notice_facts(notice.subject_id).await?;
                (NoticeSubject::Surcharge(Box::new(facts)), owner)
            }
            NoticeKind::PlanSet
            | NoticeKind::PlanRefused
            | NoticeKind::PlanBroken
            | NoticeKind::PlanCancelled
            | NoticeKind::PlanCompleted => {
                let (owner, facts) = self.plan_notice_facts(notice.subject_id).await?;
                (NoticeSubject::Plan(Box::new(facts)), owner)
            }
        };
        // A notice is only ever written to the employer its subject belongs to.
        if owner != notice.employer_id {
            return Err(StoreError::Invalid(format!(
                "notice {} is about another employer's {}",
                notice.id, notice.kind
            )));
        }
        Ok(NoticeFacts {
            event_id: notice.id,
            kind,
            dedupe_key: notice.dedupe_key.clone(),
            recipient,
            subject,
        })
    }

    pub(crate) async fn collection_facts(
        &self,
        id: i64,
        with_receipt: bool,
    ) -> StoreResult<CollectionFacts> {
        let row = sqlx::query_as::<_, CollectionRow>(
            "SELECT c.id, c.employer_id, c.collection_date, c.amount_centimes, c.attempt, c.notice_version, c.channel, c.status, \
             c.reason_code, c.reason_category, c.settled_on, m.reference, a.bank_code, a.masked \
             FROM collections c JOIN mandates m ON m.id = c.mandate_id JOIN accounts a ON a.id = m.account_id \
             WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("collection", id))?;
        let lines = sqlx::query_as::<_, LineRow>(
            "SELECT w.code, w.name, d.period, cl.amount_centimes, l.paid_leave_centimes, \
             l.bad_weather_employer_centimes, l.bad_weather_employee_centimes \
             FROM collection_lines cl JOIN declaration_lines l ON l.id = cl.declaration_line_id \
             JOIN declarations d ON d.id = l.declaration_id JOIN worksites w ON w.id = l.worksite_id \
             WHERE cl.collection_id = $1 ORDER BY w.code, d.period",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let next_attempt: Option<(i64, String, i64)> = sqlx::query_as(
            "SELECT id, collection_date, amount_centimes FROM collections WHERE retry_of = $1 \
             AND status <> 'cancelled' ORDER BY id LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let receipt_number = if with_receipt {
            Some(self.receipt_number(id, &row.collection_date).await?)
        } else {
            None
        };
        Ok(CollectionFacts {
            id: row.id,
            employer_id: row.employer_id,
            collection_date: row.collection_date,
            amount: Amount::from_centimes(row.amount_centimes),
            attempt: row.attempt,
            notice_version: row.notice_version,
            channel: row.channel,
            status: row.status,
            reason_code: row.reason_code,
            reason_category: row.reason_category,
            settled_on: row.settled_on,
            mandate_reference: row.reference,
            bank_name: self.banks.name(&row.bank_code).map(str::to_owned),
            bank_code: row.bank_code,
            account_masked: row.masked,
            lines: lines
                .into_iter()
                .map(|l| BreakdownLine {
                    worksite_code: l.code,
                    worksite_name: l.name,
                    period: l.period,
                    amount: Amount::from_centimes(l.amount_centimes),
                    paid_leave: Amount::from_centimes(l.paid_leave_centimes),
                    bad_weather_employer: Amount::from_centimes(l.bad_weather_employer_centimes),
                    bad_weather_employee: Amount::from_centimes(l.bad_weather_employee_centimes),
                })
                .collect(),
            next_attempt: next_attempt.map(|(id, date, centimes)| NextAttempt {
                collection_id: id,
                collection_date: date,
                amount: Amount::from_centimes(centimes),
            }),
            receipt_number,
        })
    }

    async fn shortfall_facts(&self, id: i64) -> StoreResult<(i64, ShortfallFacts)> {
        let row: Option<(i64, String, i64, i64, String, String)> = sqlx::query_as(
            "SELECT s.employer_id, s.collection_date, s.amount_centimes, s.ceiling_centimes, s.deadline, \
             m.reference FROM ceiling_shortfalls s JOIN mandates m ON m.id = s.mandate_id WHERE s.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let (owner, collection_date, amount, ceiling, deadline, mandate_reference) =
            row.ok_or_else(|| StoreError::not_found("ceiling shortfall", id))?;
        Ok((
            owner,
            ShortfallFacts {
                collection_date,
                amount: Amount::from_centimes(amount),
                ceiling: Amount::from_centimes(ceiling),
                deadline,
                mandate_reference,
            },
        ))
    }

    /// The debits of a replacement notice: `which` binds the new mandate ($1) and its
    /// signing time ($2).
    async fn replaced_debits(
        &self,
        which: &str,
        mandate_id: i64,
        signed: &str,
    ) -> StoreResult<Vec<HandedOverDebit>> {
        let debits: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT collection_date, amount_centimes FROM collections WHERE {which} ORDER BY collection_date"
        )))
        .bind(mandate_id)
        .bind(signed)
        .fetch_all(&self.pool)
        .await?;
        Ok(debits
            .into_iter()
            .map(|(collection_date, amount)| HandedOverDebit {
                collection_date,
                amount: Amount::from_centimes(amount),
            })
            .collect())
    }

    async fn mandate_facts(&self, id: i64) -> StoreResult<MandateFacts> {
        let mandate = self.mandate(id).await?;
        let replaced = sqlx::query_as::<_, ReplacedMandate>(
            "SELECT m.reference, a.masked FROM mandates m JOIN accounts a ON a.id = m.account_id \
             WHERE m.superseded_by = $1 AND m.signed_at IS NOT NULL ORDER BY m.id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let replaced = match replaced {
            Some(mut replaced) => {
                // Planned before the signing (so announced on the old account), still to
                // be presented or in a file: the debits the new mandate took over.
                let signed = mandate.signed_at.as_deref().unwrap_or(&mandate.updated_at);
                replaced.handed_over = self
                    .replaced_debits(
                        "mandate_id = $1 AND status IN ('planned', 'submitted') AND created_at <= $2",
                        id,
                        signed,
                    )
                    .await?;
                // Left on the replaced mandate: waiting for the run's re-check, or cancelled
                // by it since.
                replaced.not_handed_over = self
                    .replaced_debits(
                        "mandate_id = (SELECT m.id FROM mandates m WHERE m.superseded_by = $1 \
                         AND m.signed_at IS NOT NULL ORDER BY m.id DESC LIMIT 1) AND created_at <= $2 \
                         AND (status = 'planned' OR (status = 'cancelled' AND reason_code = 'mandate_inactive'))",
                        id,
                        signed,
                    )
                    .await?;
                Some(replaced)
            }
            None => None,
        };
        let suspension_reason: Option<String> = sqlx::query_scalar(
            "SELECT reason_category FROM collections WHERE mandate_id = $1 AND reason_category IS NOT NULL \
             ORDER BY id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(MandateFacts {
            mandate,
            replaced,
            suspension_reason: suspension_reason
                .as_deref()
                .map(ReasonCategory::parse)
                .transpose()?,
        })
    }
}
