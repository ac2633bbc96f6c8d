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
