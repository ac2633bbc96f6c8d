//! One collection date taken through: planned while the advance notice still allows it,
//! then run. `tahsil run`, `tahsil demo` and the scheduler's jobs all go through here, so
//! the rule "new debits are planned for a date only while a notice recorded today still
//! reaches the employer in time; what is planned already runs anyway" is written once.
//!
//! Prints nothing: the callers say what happened (the command line to people, the
//! scheduler to its log). Knows nothing of the web or of the queue.

use std::sync::Arc;

use chrono::{Days, NaiveDate};
use mandates::{ChannelPolicy, DueDateSchedule};

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

/// Why a date is the next one with work (`tahsil run` without `--date`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextWork {
    /// A due date an advance notice recorded today still announces in time, with
    /// collectible lines: this many employers to debit once planned.
    ToPlan { date: NaiveDate, debits: u64 },
    /// A date with debits planned already.
    Planned { date: NaiveDate },
}

impl NextWork {
    pub fn date(&self) -> NaiveDate {
        match *self {
            NextWork::ToPlan { date, .. } | NextWork::Planned { date } => date,
        }
    }
}

/// The next collection date that has work from `today` on: the earlier of the first due
/// date (within a year) that the notice still allows planning into and that has
/// collectible lines, and the first date with planned debits. `None`: nothing to do.
pub async fn next_date_with_work(
    store: &Store,
    policy: &ChannelPolicy,
    schedule: &DueDateSchedule,
    today: NaiveDate,
) -> anyhow::Result<Option<NextWork>> {
    let planned = store
        .planned_dates()
        .await?
        .into_iter()
        .find(|date| *date >= today)
        .map(|date| NextWork::Planned { date });
    let calendar = store.calendar().await?;
    let mut to_plan = None;
    if let (Some(first), Some(from), Some(until)) = (
        schedule.next_collection_date(today, &calendar, policy),
        // A due date's nominal day can lie before the business day it is collected on.
        today.checked_sub_days(Days::new(21)),
        today.checked_add_days(Days::new(366)),
    ) {
        let first = first.collection_date;
        for due in schedule.due_dates(from, until, &calendar) {
            let date = due.collection_date;
            if planned.is_some_and(|p| p.date() <= date) {
                break;
            }
            if date < first {
                continue;
            }
            let debits = store.collectible_debits(date).await?;
            if debits > 0 {
                to_plan = Some(NextWork::ToPlan { date, debits });
                break;
            }
        }
    }
    Ok(match (to_plan, planned) {
        (Some(plan), Some(planned)) if planned.date() <= plan.date() => Some(planned),
        (Some(plan), _) => Some(plan),
        (None, planned) => planned,
    })
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
