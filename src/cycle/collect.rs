//! One collection date taken through: planned while the advance notice still allows it,
//! then run. `tahsil run`, `tahsil demo` and the scheduler's jobs all go through here, so
//! the rule "new debits are planned for a date only while a notice recorded today still
//! reaches the employer in time; what is planned already runs anyway" is written once.
//!
//! Prints nothing: the callers say what happened (the command line to people, the
//! scheduler to its log). Knows nothing of the web or of the queue.

use std::sync::Arc;

use chrono::NaiveDate;
use mandates::ChannelPolicy;

use super::CycleSettings;
use super::run::{RunSummary, run_date_with_progress};
use crate::progress::Progress;
use crate::store::{Actor, PlanSummary, Store};

/// What planning did for a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Planning {
    /// The notice allowed planning: what it did (nothing new when already planned).
    Planned(PlanSummary),
    /// The date is less than `notice_days` away: no new debit can be planned for it.
    TooLateToNotice { notice_days: u32 },
}

/// A date planned (if the notice allowed) and run.
#[derive(Clone, Debug)]
pub struct PlannedRun {
    pub planning: Planning,
    pub run: RunSummary,
}

/// Plans the collections of `date` if a notice recorded `today` still allows debiting on
/// it (`ChannelPolicy::notice_respected`); otherwise plans nothing.
pub async fn plan_if_notice_allows(
    store: &Store,
    policy: &ChannelPolicy,
    actor: &Actor,
    date: NaiveDate,
    today: NaiveDate,
    progress: &Progress,
) -> anyhow::Result<Planning> {
    if !policy.notice_respected(today, date) {
        return Ok(Planning::TooLateToNotice {
            notice_days: policy.notice_days,
        });
    }
    progress.stage(format!("planning {date}"), 0);
    let plan = store.plan_collections(actor, date, today).await?;
    Ok(Planning::Planned(plan))
}

/// Plans `date` if the notice still allows it, then runs it (the files of everything
/// planned for it, newly or before). `after_planning` is told what planning did before the
/// run starts (a run can take minutes; people see the planning first).
#[allow(clippy::too_many_arguments)]
pub async fn plan_and_run(
    store: &Store,
    settings: &CycleSettings,
    actor: &Actor,
    date: NaiveDate,
    today: NaiveDate,
    holder: &str,
    progress: &Arc<Progress>,
    after_planning: impl FnOnce(&Planning),
) -> anyhow::Result<PlannedRun> {
    let planning =
        plan_if_notice_allows(store, &settings.policy, actor, date, today, progress).await?;
    after_planning(&planning);
    let run = run_date_with_progress(store, settings, actor, date, holder, progress).await?;
    Ok(PlannedRun { planning, run })
}
