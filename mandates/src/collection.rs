//! Collections: one debit of one employer on one collection date, and the network it goes
//! through. A collection is `planned` (with its advance notice), `submitted` once in a
//! file, then `settled`, or `rejected` (before settlement) / `returned` (after), then
//! `retry_planned` when a new attempt is planned for it; `cancelled` when it is dropped
//! before reaching a file.

use crate::AccountKind;

crate::stored_codes! {
    /// Where a collection is in its life.
    pub enum CollectionStatus("collection status") {
        /// Planned for its date, the employer told in advance.
        Planned = "planned",
        /// Written to a file for the bank or the post office.
        Submitted = "submitted",
        Settled = "settled",
        /// Refused before settlement.
        Rejected = "rejected",
        /// Reversed after settlement.
        Returned = "returned",
        /// Failed, and presented again as a collection of its own.
        RetryPlanned = "retry_planned",
        /// Dropped before reaching a file (never presented).
        Cancelled = "cancelled",
    }
}

impl CollectionStatus {
    /// Rejected, returned, or failed and presented again.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            CollectionStatus::Rejected
                | CollectionStatus::Returned
                | CollectionStatus::RetryPlanned
        )
    }
}

/// The network a collection goes through: the bank network for a bank (RIB) account, the
/// post office for a postal (RIP/CCP) one. The mandate's account kind decides it, with
/// the same codes (`bank`, `postal`), so it is that same enum.
pub type Channel = AccountKind;

crate::stored_codes! {
    /// What finance staff can do to a debit, each with a reason (audited). The code is
    /// what an exception resolved by the action records.
    pub enum DebitAction("debit action") {
        /// Keep a planned debit out of the files until released.
        Hold = "hold",
        /// Put a held debit back to normal.
        Release = "release",
        /// Never present a planned debit: its lines are owed again.
        Cancel = "cancel",
        /// Present a rejected or returned debit again, on the next possible date.
        Represent = "represent",
    }
}

/// Where a debit stands for the staff's actions: its status, and whether it is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DebitState {
    pub status: CollectionStatus,
    pub held: bool,
}

/// An action the debit's state does not allow: what state it is in and what is possible.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{action} is not possible: the debit is {}{}; {}", .state.status, if .state.held { " and held" } else { "" }, possible_text(.state))]
pub struct ActionRefused {
    pub action: DebitAction,
    pub state: DebitState,
}

impl DebitState {
    /// The actions this state allows, in the order staff see them.
    pub fn possible_actions(self) -> Vec<DebitAction> {
        DebitAction::ALL
            .into_iter()
            .filter(|action| self.allows(*action))
            .collect()
    }

    /// Whether `action` may be taken in this state: a planned debit (not yet in a file)
    /// can be held, or released when held, and cancelled either way; a rejected or
    /// returned one (its lines already owed again) can be presented again. A debit in a
    /// file, settled, cancelled or already presented again takes none.
    pub fn allows(self, action: DebitAction) -> bool {
        use CollectionStatus as S;
        match action {
            DebitAction::Hold => self.status == S::Planned && !self.held,
            DebitAction::Release => self.status == S::Planned && self.held,
            DebitAction::Cancel => self.status == S::Planned,
            DebitAction::Represent => matches!(self.status, S::Rejected | S::Returned),
        }
    }

    /// `Ok` when `action` is allowed, else the refusal saying the state and what is possible.
    pub fn check(self, action: DebitAction) -> Result<(), ActionRefused> {
        if self.allows(action) {
            Ok(())
        } else {
            Err(ActionRefused {
                action,
                state: self,
            })
        }
    }
}

fn possible_text(state: &DebitState) -> String {
    let possible = state.possible_actions();
    if possible.is_empty() {
        "no staff action is possible in that state".to_owned()
    } else {
        let names: Vec<&str> = possible.iter().map(|a| a.as_str()).collect();
        format!("possible: {}", names.join(", "))
    }
}

/// The first day a debit presented again today may be collected: a business day that an
/// advance notice recorded today announces in time (never earlier than the notice period).
pub fn representation_date(
    today: chrono::NaiveDate,
    calendar: &crate::Calendar,
    policy: &crate::ChannelPolicy,
) -> chrono::NaiveDate {
    let mut date = calendar.next_business_day(today);
    while !policy.notice_respected(today, date) {
        date = calendar.next_business_day_after(date);
    }
    date
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn state(status: CollectionStatus, held: bool) -> DebitState {
        DebitState { status, held }
    }

    #[test]
    fn a_planned_debit_can_be_held_or_cancelled_and_a_held_one_released_or_cancelled() {
        use DebitAction::*;
        assert_eq!(
            state(CollectionStatus::Planned, false).possible_actions(),
            vec![Hold, Cancel]
        );
        assert_eq!(
            state(CollectionStatus::Planned, true).possible_actions(),
            vec![Release, Cancel]
        );
    }

    #[test]
    fn only_a_failed_debit_not_yet_presented_again_can_be_re_presented() {
        for status in CollectionStatus::ALL {
            let allowed = state(status, false).allows(DebitAction::Represent);
            assert_eq!(
                allowed,
                matches!(
                    status,
                    CollectionStatus::Rejected | CollectionStatus::Returned
                ),
                "{status}"
            );
        }
    }

    #[test]
    fn a_debit_in_a_file_or_done_with_takes_no_action_and_the_refusal_says_so() {
        for status in [
            CollectionStatus::Submitted,
            CollectionStatus::Settled,
            CollectionStatus::Cancelled,
            CollectionStatus::RetryPlanned,
        ] {
            assert!(
                state(status, false).possible_actions().is_empty(),
                "{status}"
            );
        }
        let refused = state(CollectionStatus::Submitted, false)
            .check(DebitAction::Hold)
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "hold is not possible: the debit is submitted; no staff action is possible in that state"
        );
        let refused = state(CollectionStatus::Planned, true)
            .check(DebitAction::Hold)
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "hold is not possible: the debit is planned and held; possible: release, cancel"
        );
    }

    #[test]
    fn a_re_presentation_respects_the_notice_period_and_business_days() {
        let calendar = crate::Calendar::new(Vec::new());
        let policy = crate::ChannelPolicy::default(); // 5 days' notice
        // Monday 7 December 2026: 12 December is a Saturday (weekend Friday–Saturday in
        // Algeria), so Sunday 13th.
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let date = representation_date(today, &calendar, &policy);
        assert!(policy.notice_respected(today, date));
        assert!(calendar.is_business_day(date));
        assert_eq!(date, NaiveDate::from_ymd_opt(2026, 12, 13).unwrap());
    }
}
