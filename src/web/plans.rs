//! What the portal's and the console's payment-plan pages share: a plan as a block of
//! their list (`partials/plans_table.html`) with its state in words, its dates as the
//! pages write them and its instalments with what paid them.

use mandates::Amount;

use crate::locale::{Lang, written_day_of};
use crate::store::{PaymentPlan, PlanStatus, Store, StoreResult};
use crate::web::i18n::{PlanTexts, money};

/// One instalment in a table.
pub(crate) struct InstalmentRow {
    pub number: i64,
    pub due_on: String,
    pub amount: String,
    pub paid: String,
}

/// One plan with its instalments.
pub(crate) struct PlanRow {
    pub id: i64,
    pub affiliation: String,
    pub status: &'static str,
    pub requested_on: String,
    pub note: String,
    pub total: String,
    pub since: String,
    pub ended_on: String,
    /// The staff's reason (refused or cancelled).
    pub reason: String,
    pub broken: bool,
    pub instalments: Vec<InstalmentRow>,
}

/// The rows of `plans`, with their instalments read from the store.
pub(crate) async fn plan_rows(
    store: &Store,
    plans: &[PaymentPlan],
    lang: Lang,
) -> StoreResult<Vec<PlanRow>> {
    let p = PlanTexts::of(lang);
    let mut rows = Vec::with_capacity(plans.len());
    for plan in plans {
        let instalments = store
            .plan_instalments(plan.id)
            .await?
            .into_iter()
            .map(|i| InstalmentRow {
                number: i.number,
                due_on: written_day_of(&i.due_on),
                amount: money(Amount::from_centimes(i.amount_centimes), lang),
                paid: money(Amount::from_centimes(i.paid_centimes), lang),
            })
            .collect();
        let staff_reason = matches!(plan.status, PlanStatus::Refused | PlanStatus::Cancelled);
        rows.push(PlanRow {
            id: plan.id,
            affiliation: plan.affiliation_number.clone(),
            status: p.status(plan.status),
            requested_on: written_day_of(&plan.requested_on),
            note: plan.request_note.clone().unwrap_or_default(),
            total: plan
                .total_centimes
                .map(|c| money(Amount::from_centimes(c), lang))
                .unwrap_or_default(),
            since: plan
                .started_on
                .as_deref()
                .map(written_day_of)
                .unwrap_or_default(),
            ended_on: plan
                .ended_on
                .as_deref()
                .map(written_day_of)
                .unwrap_or_default(),
            reason: if staff_reason {
                plan.end_reason.clone().unwrap_or_default()
            } else {
                String::new()
            },
            broken: plan.status == PlanStatus::Broken,
            instalments,
        });
    }
    Ok(rows)
}
