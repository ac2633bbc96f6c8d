//! What answering a dispute does about the money and the debit (issue 15 point 5): the
//! actions that fit a case's debit, the hold a case puts on a planned debit while it is
//! open, and an upheld answer's credit or refund, written in the answer's transaction
//! (`Store::answer_dispute` in `disputes.rs` calls these). See ARCHITECTURE, "Refunds,
//! and disputes with money effects".

use mandates::{Amount, CollectionStatus};
use serde_json::json;

use super::audit::Audit;
use super::collection_totals::{Shift, shift};
use super::disputes::{DisputeAction, DisputeOutcome, algiers_day};
use super::refunds::{RefundRequester, request_refund_in};
use super::{Actor, Bind, StoreError, StoreResult, conflict_on_unique};

/// The actions that fit a debit in `status` (see [`Store::dispute_actions`]).
pub(super) fn actions_for(status: CollectionStatus) -> Vec<DisputeAction> {
    match status {
        CollectionStatus::Settled => vec![DisputeAction::Refund, DisputeAction::Credit],
        CollectionStatus::Planned => vec![DisputeAction::CancelDebit, DisputeAction::HoldDebit],
        _ => Vec::new(),
    }
}

/// A planned debit held by the case opened on it (kept out of the files until the
/// answer), unless already held; the console's totals follow.
pub(super) async fn hold_for_dispute(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    (collection_id, dispute_id): (i64, i64),
    now: &str,
    lock_rows: &str,
) -> StoreResult<()> {
    // The row locked until the end (PostgreSQL): a run filing it meanwhile wins, and
    // then there is nothing to hold.
    let planned: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM collections WHERE id = $1 AND status = 'planned' AND held_at IS NULL{lock_rows}"
    )))
    .bind(collection_id)
    .fetch_optional(&mut *tx)
    .await?;
    if planned.is_none() {
        return Ok(());
    }
    let this = "collections c WHERE c.id = $1";
    shift(&mut *tx, Shift::Remove, this, &[Bind::Int(collection_id)]).await?;
    let held = sqlx::query(
        "UPDATE collections SET held_at = $2, updated_at = $2 \
         WHERE id = $1 AND status = 'planned' AND held_at IS NULL",
    )
    .bind(collection_id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    shift(&mut *tx, Shift::Add, this, &[Bind::Int(collection_id)]).await?;
    if held == 1 {
        sqlx::query("UPDATE disputes SET held_debit = 1 WHERE id = $1")
            .bind(dispute_id)
            .execute(&mut *tx)
            .await?;
        Audit::new(actor, "collection.held")
            .on("collection", collection_id)
            .detail(json!({ "reason": "dispute", "dispute_id": dispute_id }))
            .record(&mut *tx, now)
            .await?;
    }
    Ok(())
}

/// The case's debit as the answer found it.
pub(super) struct AnsweredDebit {
    pub(super) collection_id: i64,
    pub(super) planned: bool,
    /// Held by the case (not by staff) and still held.
    pub(super) held_by_case: bool,
}

/// The money effects of an answer, in its transaction: the action checked (upheld only,
/// one that fits the debit) and recorded; a credit (`account_credits`, a `credit` ledger
/// entry of the disputed amount into `unallocated`), and for a refund its request,
/// approved by the answerer.
pub(super) async fn answer_effects(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    (dispute_id, case_number, employer_id): (i64, &str, i64),
    outcome: DisputeOutcome,
    action: Option<DisputeAction>,
    now: &str,
    lock_rows: &str,
) -> StoreResult<AnsweredDebit> {
    // The debit's row locked until the end (PostgreSQL): a report returning it meanwhile
    // waits, then finds the credit and reverses it (`reverse_for_failures`); a report
    // that returned it first makes a credit no longer fit.
    let (collection_id, amount, status, held_debit, held_at): (
        i64,
        i64,
        String,
        i64,
        Option<String>,
    ) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.id, c.amount_centimes, c.status, d.held_debit, c.held_at FROM disputes d \
             JOIN collections c ON c.id = d.collection_id WHERE d.id = $1{lock_rows}"
    )))
    .bind(dispute_id)
    .fetch_one(&mut *tx)
    .await?;
    let status = CollectionStatus::parse(&status)?;
    let debit = AnsweredDebit {
        collection_id,
        planned: status == CollectionStatus::Planned,
        held_by_case: held_debit != 0 && held_at.is_some(),
    };
    if debit.held_by_case {
        sqlx::query("UPDATE disputes SET held_debit = 0 WHERE id = $1")
            .bind(dispute_id)
            .execute(&mut *tx)
            .await?;
    }
    let Some(action) = action else {
        return Ok(debit);
    };
    if outcome != DisputeOutcome::Upheld {
        return Err(StoreError::Invalid(format!(
            "case {case_number}: only an upheld answer takes an action ({action}); answer without one"
        )));
    }
    let fits = actions_for(status);
    if !fits.contains(&action) {
        return Err(StoreError::Conflict(format!(
            "case {case_number}: {action} does not fit a {status} debit (possible: {}); nothing recorded",
            if fits.is_empty() {
                "none".to_owned()
            } else {
                fits.iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )));
    }
    sqlx::query("UPDATE disputes SET action = $2 WHERE id = $1")
        .bind(dispute_id)
        .bind(action.as_str())
        .execute(&mut *tx)
        .await?;
    if matches!(action, DisputeAction::Refund | DisputeAction::Credit) {
        sqlx::query(
            "INSERT INTO account_credits (employer_id, dispute_id, amount_centimes, granted_by, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(employer_id)
        .bind(dispute_id)
        .bind(amount)
        .bind(actor.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            conflict_on_unique(e, || {
                format!("case {case_number} already credited the employer; nothing recorded")
            })
        })?;
        let today = algiers_day(now);
        sqlx::query(
            "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
             unallocated_centimes, collection_id, recorded_at) \
             VALUES ($1, 'credit', $2, $3, $4, $4, $5, $6)",
        )
        .bind(employer_id)
        .bind(format!("dispute_credit:{dispute_id}"))
        .bind(&today)
        .bind(amount.saturating_neg())
        .bind(collection_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Audit::new(actor, "dispute.credited")
            .on("dispute", dispute_id)
            .detail(json!({
                "case_number": case_number,
                "collection_id": collection_id,
                "amount_centimes": amount,
            }))
            .record(&mut *tx, now)
            .await?;
        if action == DisputeAction::Refund {
            request_refund_in(
                tx,
                actor,
                employer_id,
                Some(Amount::from_centimes(amount)),
                RefundRequester::DisputeAnswer(dispute_id),
                now,
            )
            .await?;
        }
    }
    Ok(debit)
}

/// A dispute credit on a debit the report failed after settlement (a return, or a reject
/// of a settled debit), undone in the report's transaction, before the employer's credit
/// pays anything: a `credit` ledger entry of the opposite sign (`dispute_credit_reversed:`,
/// counted by `check_ledger` from the debit's status), so the returned lines are owed
/// again in full. The case's refund, if only approved, lapses; if already sent, staff get
/// an exception (the money left twice). Reads `report_failures` of `report_id`.
pub(super) async fn reverse_for_failures(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    report_id: i64,
    today: &str,
    now: &str,
) -> StoreResult<u64> {
    let credited: Vec<(i64, i64, String, i64, i64)> = sqlx::query_as(
        "SELECT k.dispute_id, k.employer_id, d.case_number, k.amount_centimes, c.id \
         FROM report_failures f JOIN collections c ON c.id = f.collection_id \
         JOIN disputes d ON d.collection_id = c.id JOIN account_credits k ON k.dispute_id = d.id \
         WHERE f.report_id = $1 AND c.status IN ('rejected', 'returned') ORDER BY k.dispute_id",
    )
    .bind(report_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut reversed = 0;
    for (dispute_id, employer_id, case_number, amount, collection_id) in credited {
        let written = sqlx::query(
            "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
             unallocated_centimes, collection_id, recorded_at) \
             VALUES ($1, 'credit', $2, $3, $4, $4, $5, $6) ON CONFLICT (entry_key) DO NOTHING",
        )
        .bind(employer_id)
        .bind(format!("dispute_credit_reversed:{dispute_id}"))
        .bind(today)
        .bind(amount)
        .bind(collection_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if written == 0 {
            continue;
        }
        reversed += 1;
        let lapsed: Vec<i64> = sqlx::query_scalar(
            "UPDATE refunds SET status = 'lapsed', reason_code = 'debit_returned', updated_at = $2 \
             WHERE dispute_id = $1 AND status IN ('requested', 'approved') RETURNING id",
        )
        .bind(dispute_id)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        for refund_id in &lapsed {
            Audit::new(actor, "refund.lapsed")
                .on("refund", *refund_id)
                .detail(json!({ "reason": "debit_returned", "dispute_id": dispute_id }))
                .record(&mut *tx, now)
                .await?;
        }
        let sent: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, status FROM refunds WHERE dispute_id = $1 AND status IN ('sent', 'settled') ORDER BY id",
        )
        .bind(dispute_id)
        .fetch_all(&mut *tx)
        .await?;
        for (refund_id, _) in &sent {
            sqlx::query(
                "INSERT INTO exceptions (kind, report_id, item, collection_id, detail, created_at) \
                 VALUES ('needs_staff', $1, NULL, $2, $3, $4)",
            )
            .bind(report_id)
            .bind(collection_id)
            .bind(format!(
                "case {case_number}: the disputed debit was returned after its refund {refund_id} \
                 was sent ({amount} centimes paid back twice): recover it from the employer"
            ))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        Audit::new(actor, "dispute.credit_reversed")
            .on("dispute", dispute_id)
            .detail(json!({
                "case_number": case_number,
                "collection_id": collection_id,
                "amount_centimes": amount,
                "report_id": report_id,
                "refunds_lapsed": lapsed,
                "refunds_already_sent": sent.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            }))
            .record(&mut *tx, now)
            .await?;
    }
    Ok(reversed)
}
