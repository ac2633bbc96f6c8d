//! The facts a notice is written from: its recipient, and its subject (a collection with
//! its breakdown, a mandate, a dispute) as the notice describes it, the account only
//! masked. Receipts get their number here, once.
//!
//! Must not know: the words of a notice (`crate::notices` writes them).

use std::collections::HashMap;

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

/// A breakdown line with the collection it belongs to (the lines of a batch are read together).
#[derive(FromRow)]
struct BatchLineRow {
    collection_id: i64,
    #[sqlx(flatten)]
    line: LineRow,
}

/// The notice kinds whose subject is a collection.
fn about_a_collection(kind: NoticeKind) -> bool {
    matches!(
        kind,
        NoticeKind::AdvanceNotice
            | NoticeKind::Receipt
            | NoticeKind::FailureNotice
            | NoticeKind::DebitCancelled
    )
}

/// Ids as one JSON array (`[[7],[9]]`), bound as `$1` and unpacked by the database
/// ([`Backend::json_array_rows_first`](crate::store::Backend)): a batch's look-up is one
/// statement whatever its size.
fn json_ids(ids: &[i64]) -> String {
    let rows: Vec<[i64; 1]> = ids.iter().map(|id| [*id]).collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".to_owned())
}

impl Store {
    /// The facts a notice is written from. Receipts get their number here, once.
    /// Errors other than [`StoreError::Database`] mean the notice cannot be written
    /// (unknown kind, missing subject) and will not become writable by waiting.
    pub async fn notice_facts(&self, notice: &ClaimedNotice) -> StoreResult<NoticeFacts> {
        self.notice_facts_batch(std::slice::from_ref(notice))
            .await?
            .pop()
            .unwrap_or_else(|| Err(StoreError::not_found("notice event", notice.id)))
    }

    /// The facts of each notice of a batch, in the batch's order (the delivery worker's):
    /// the recipients, and the collections with their breakdowns and next attempts, read
    /// by one query each for the whole batch; the other subjects (mandates, disputes,
    /// plans…, rarer) one notice at a time. The outer error is a database failure of the
    /// batch's queries; an inner one is that notice's, as [`Store::notice_facts`] says.
    pub async fn notice_facts_batch(
        &self,
        notices: &[ClaimedNotice],
    ) -> StoreResult<Vec<StoreResult<NoticeFacts>>> {
        let employers: Vec<i64> = notices.iter().map(|n| n.employer_id).collect();
        let recipients = self.recipients(&employers).await?;
        let collections: Vec<i64> = notices
            .iter()
            .filter(|n| about_a_collection(n.kind))
            .map(|n| n.subject_id)
            .collect();
        let collections = self.collections_facts(&collections).await?;
        let mut facts = Vec::with_capacity(notices.len());
        for notice in notices {
            facts.push(self.facts_of(notice, &recipients, &collections).await);
        }
        Ok(facts)
    }

    /// One notice's facts, its recipient and collection taken from the batch's look-ups.
    async fn facts_of(
        &self,
        notice: &ClaimedNotice,
        recipients: &HashMap<i64, NoticeRecipient>,
        collections: &HashMap<i64, CollectionFacts>,
    ) -> StoreResult<NoticeFacts> {
        let kind = notice.kind;
        let recipient = recipients
            .get(&notice.employer_id)
            .cloned()
            .ok_or_else(|| StoreError::not_found("employer", notice.employer_id))?;
        let (subject, owner) = match kind {
            NoticeKind::AdvanceNotice
            | NoticeKind::Receipt
            | NoticeKind::FailureNotice
            | NoticeKind::DebitCancelled => {
                let mut facts = collections
                    .get(&notice.subject_id)
                    .cloned()
                    .ok_or_else(|| StoreError::not_found("collection", notice.subject_id))?;
                if kind == NoticeKind::Receipt {
                    facts.receipt_number = Some(
                        self.receipt_number(facts.id, &facts.collection_date)
                            .await?,
                    );
                }
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

    /// The recipients of the employers `ids`, by employer.
    async fn recipients(&self, ids: &[i64]) -> StoreResult<HashMap<i64, NoticeRecipient>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = sqlx::query_as::<_, RecipientRow>(sqlx::AssertSqlSafe(format!(
            "SELECT id, affiliation_number, name, name_ar, email, language FROM employers \
             WHERE id IN (SELECT CAST(j.value ->> 0 AS BIGINT) FROM {})",
            self.backend.json_array_rows_first()
        )))
        .bind(json_ids(ids))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    NoticeRecipient {
                        employer_id: r.id,
                        affiliation_number: r.affiliation_number,
                        name: r.name,
                        name_ar: r.name_ar,
                        email: r.email,
                        language: r.language,
                    },
                )
            })
            .collect())
    }

    pub(crate) async fn collection_facts(
        &self,
        id: i64,
        with_receipt: bool,
    ) -> StoreResult<CollectionFacts> {
        let mut facts = self
            .collections_facts(&[id])
            .await?
            .remove(&id)
            .ok_or_else(|| StoreError::not_found("collection", id))?;
        if with_receipt {
            facts.receipt_number = Some(self.receipt_number(id, &facts.collection_date).await?);
        }
        Ok(facts)
    }

    /// The collections `ids` as their notices describe them (no receipt number: that one
    /// is given by [`Store::receipt_number`], a write), by id; three queries whatever the
    /// number of ids.
    async fn collections_facts(&self, ids: &[i64]) -> StoreResult<HashMap<i64, CollectionFacts>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let source = self.backend.json_array_rows_first();
        let ids = json_ids(ids);
        let rows = sqlx::query_as::<_, CollectionRow>(sqlx::AssertSqlSafe(format!(
            "SELECT c.id, c.employer_id, c.collection_date, c.amount_centimes, c.attempt, c.notice_version, c.channel, c.status, \
             c.reason_code, c.reason_category, c.settled_on, m.reference, a.bank_code, a.masked \
             FROM collections c JOIN mandates m ON m.id = c.mandate_id JOIN accounts a ON a.id = m.account_id \
             WHERE c.id IN (SELECT CAST(j.value ->> 0 AS BIGINT) FROM {source})"
        )))
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        let lines = sqlx::query_as::<_, BatchLineRow>(sqlx::AssertSqlSafe(format!(
            "SELECT cl.collection_id, w.code, w.name, d.period, cl.amount_centimes, l.paid_leave_centimes, \
             l.bad_weather_employer_centimes, l.bad_weather_employee_centimes \
             FROM collection_lines cl JOIN declaration_lines l ON l.id = cl.declaration_line_id \
             JOIN declarations d ON d.id = l.declaration_id JOIN worksites w ON w.id = l.worksite_id \
             WHERE cl.collection_id IN (SELECT CAST(j.value ->> 0 AS BIGINT) FROM {source}) \
             ORDER BY cl.collection_id, w.code, d.period"
        )))
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        // The next attempt of a failed debit: its retry (one at most, a unique key).
        let next_attempts: Vec<(i64, i64, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT retry_of, id, collection_date, amount_centimes FROM collections \
             WHERE retry_of IS NOT NULL AND retry_of IN (SELECT CAST(j.value ->> 0 AS BIGINT) FROM {source}) \
             AND status <> 'cancelled' ORDER BY id"
        )))
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        let mut facts: HashMap<i64, CollectionFacts> = rows
            .into_iter()
            .map(|row| {
                (
                    row.id,
                    CollectionFacts {
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
                        lines: Vec::new(),
                        next_attempt: None,
                        receipt_number: None,
                    },
                )
            })
            .collect();
        for BatchLineRow {
            collection_id,
            line: l,
        } in lines
        {
            if let Some(collection) = facts.get_mut(&collection_id) {
                collection.lines.push(BreakdownLine {
                    worksite_code: l.code,
                    worksite_name: l.name,
                    period: l.period,
                    amount: Amount::from_centimes(l.amount_centimes),
                    paid_leave: Amount::from_centimes(l.paid_leave_centimes),
                    bad_weather_employer: Amount::from_centimes(l.bad_weather_employer_centimes),
                    bad_weather_employee: Amount::from_centimes(l.bad_weather_employee_centimes),
                });
            }
        }
        for (retry_of, id, date, centimes) in next_attempts {
            if let Some(collection) = facts.get_mut(&retry_of) {
                collection.next_attempt.get_or_insert(NextAttempt {
                    collection_id: id,
                    collection_date: date,
                    amount: Amount::from_centimes(centimes),
                });
            }
        }
        Ok(facts)
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
