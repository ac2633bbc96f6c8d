//! The bank's answers to refund files (issue 15 point 4): a pain.002 on a pain.001
//! settles (`ACSC`) or rejects (`RJCT`, the credit back with a second `refund` entry) the
//! refunds it names, recorded as a report with its items; and a statement's booking of a
//! transfer (a `DBIT` entry with a sent refund's end-to-end id) settles it. See
//! `refunds.rs` for the rest of a refund's life.

use chrono::NaiveDate;
use mandates::Amount;
use serde::Serialize;
use serde_json::json;

use super::audit::Audit;
use super::{Actor, Institution, Store, StoreResult, conflict_on_unique};

/// One transaction of a bank's answer to a refund file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundAnswerItem {
    pub end_to_end_id: Option<String>,
    pub amount: Option<Amount>,
    /// `ACSC` settles, `RJCT` rejects; anything else is informational.
    pub status: Option<String>,
    pub reason_code: Option<String>,
}

/// A bank's answer to a refund file (a pain.002 on a pain.001), to apply.
#[derive(Clone, Debug)]
pub struct RefundAnswer {
    pub institution: Option<Institution>,
    pub file_name: String,
    pub sha256: String,
    pub format: String,
    pub message_id: Option<String>,
    pub original_message_id: Option<String>,
    pub items: Vec<RefundAnswerItem>,
}

/// What applying a refund answer did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RefundAnswerSummary {
    pub report_id: i64,
    pub already_imported: bool,
    pub items: u64,
    pub settled: u64,
    pub rejected: u64,
    /// Items naming no refund in a file (or one already settled or rejected).
    pub unmatched: u64,
}

impl Store {
    /// Applies a bank's answer to a refund file: `ACSC` settles a sent refund, `RJCT`
    /// rejects it and puts the credit back (a `refund` entry, the opposite of the first,
    /// dated `today`). Recorded as a report (the same bytes twice apply once), with its
    /// items; one transaction.
    pub async fn apply_refund_answer(
        &self,
        actor: &Actor,
        answer: &RefundAnswer,
        today: NaiveDate,
    ) -> StoreResult<RefundAnswerSummary> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let before: Option<i64> = sqlx::query_scalar("SELECT id FROM reports WHERE sha256 = $1")
            .bind(&answer.sha256)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(report_id) = before {
            return Ok(RefundAnswerSummary {
                report_id,
                already_imported: true,
                ..RefundAnswerSummary::default()
            });
        }
        let report_id: i64 = sqlx::query_scalar(
            "INSERT INTO reports (institution, file_name, sha256, format, message_id, original_message_id, \
             items, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(answer.institution.map(Institution::as_str))
        .bind(&answer.file_name)
        .bind(&answer.sha256)
        .bind(&answer.format)
        .bind(answer.message_id.clone())
        .bind(answer.original_message_id.clone())
        .bind(answer.items.len() as i64)
        .bind(&now)
        .bind(actor.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || {
                "this report is being imported by another instance".to_owned()
            })
        })?;
        let mut summary = RefundAnswerSummary {
            report_id,
            items: answer.items.len() as u64,
            ..RefundAnswerSummary::default()
        };
        let today = today.to_string();
        for (n, item) in answer.items.iter().enumerate() {
            let (effect, status) = match item.status.as_deref() {
                Some("ACSC") => ("settle", "settled"),
                Some("RJCT") => ("reject", "rejected"),
                _ => ("info", ""),
            };
            let mut outcome = "info";
            if !status.is_empty()
                && let Some(e2e) = item.end_to_end_id.as_deref()
            {
                let refund: Option<(i64, i64, i64)> = sqlx::query_as(
                    "UPDATE refunds SET status = $2, report_id = $3, reason_code = $4, updated_at = $5 \
                     WHERE end_to_end_id = $1 AND status = 'sent' RETURNING id, employer_id, amount_centimes",
                )
                .bind(e2e)
                .bind(status)
                .bind(report_id)
                .bind(item.reason_code.clone())
                .bind(&now)
                .fetch_optional(&mut *tx)
                .await?;
                match refund {
                    Some((id, employer_id, amount)) => {
                        outcome = "applied";
                        if status == "rejected" {
                            summary.rejected += 1;
                            sqlx::query(
                                "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, \
                                 amount_centimes, unallocated_centimes, report_id, recorded_at) \
                                 VALUES ($1, 'refund', $2, $3, $4, $4, $5, $6) ON CONFLICT (entry_key) DO NOTHING",
                            )
                            .bind(employer_id)
                            .bind(format!("refund_rejected:{id}"))
                            .bind(&today)
                            .bind(amount.saturating_neg())
                            .bind(report_id)
                            .bind(&now)
                            .execute(&mut *tx)
                            .await?;
                        } else {
                            summary.settled += 1;
                        }
                        Audit::new(
                            actor,
                            if status == "rejected" {
                                "refund.rejected"
                            } else {
                                "refund.settled"
                            },
                        )
                        .on("refund", id)
                        .detail(json!({
                            "report_id": report_id,
                            "reason_code": item.reason_code,
                        }))
                        .record(&mut tx, &now)
                        .await?;
                    }
                    None => {
                        outcome = "unmatched";
                        summary.unmatched += 1;
                    }
                }
            }
            sqlx::query(
                "INSERT INTO report_items (report_id, item, end_to_end_id, amount_centimes, status, reason_code, \
                 effect, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(report_id)
            .bind(n as i64 + 1)
            .bind(item.end_to_end_id.clone())
            .bind(item.amount.map(Amount::centimes))
            .bind(item.status.clone())
            .bind(item.reason_code.clone())
            .bind(effect)
            .bind(outcome)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE reports SET applied = $2, exceptions = $3 WHERE id = $1")
            .bind(report_id)
            .bind((summary.settled + summary.rejected) as i64)
            .bind(0_i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(summary)
    }
}

impl Store {
    /// The refunds (end-to-end id, amount) of the refund file whose message id is
    /// `message_id`, in the file's order; None when no refund file has it.
    pub async fn refunds_of_file_message(
        &self,
        message_id: &str,
    ) -> StoreResult<Option<Vec<(String, Amount)>>> {
        let file: Option<i64> =
            sqlx::query_scalar("SELECT id FROM refund_files WHERE message_id = $1")
                .bind(message_id)
                .fetch_optional(&self.pool)
                .await?;
        let Some(file_id) = file else {
            return Ok(None);
        };
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT end_to_end_id, amount_centimes FROM refunds WHERE refund_file_id = $1 ORDER BY id",
        )
        .bind(file_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(
            rows.into_iter()
                .map(|(e2e, amount)| (e2e, Amount::from_centimes(amount)))
                .collect(),
        ))
    }

    /// The refunds a bank statement shows leaving the fund's account: a booked debit entry
    /// (`DBIT`) of report `report_id` carrying a sent refund's end-to-end id settles it.
    /// Returns how many; a refund already settled or rejected is not touched.
    pub async fn settle_booked_refunds(&self, actor: &Actor, report_id: i64) -> StoreResult<u64> {
        let now = self.now_text();
        let mut tx = self.begin_write().await?;
        let settled: Vec<i64> = sqlx::query_scalar(
            "UPDATE refunds SET status = 'settled', report_id = $1, updated_at = $2 \
             WHERE status = 'sent' AND end_to_end_id IN (SELECT i.end_to_end_id FROM report_items i \
               WHERE i.report_id = $1 AND i.credit_debit = 'DBIT' AND i.end_to_end_id IS NOT NULL \
               AND (i.status IS NULL OR i.status = 'BOOK')) \
             RETURNING id",
        )
        .bind(report_id)
        .bind(&now)
        .fetch_all(&mut *tx)
        .await?;
        for id in &settled {
            Audit::new(actor, "refund.settled")
                .on("refund", *id)
                .detail(json!({ "report_id": report_id, "booked": true }))
                .record(&mut tx, &now)
                .await?;
        }
        tx.commit().await?;
        Ok(settled.len() as u64)
    }
}
