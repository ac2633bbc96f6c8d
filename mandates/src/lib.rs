//! tahsil's pure domain: account identifiers, money, mandates, calendar, contribution
//! rates, declarations with their periods and rules, and the rules of disputes. No IO, no
//! clock ("today" is always a parameter), no async.
#![forbid(unsafe_code)]

pub mod account;
pub mod amount;
pub mod calendar;
pub mod declaration;
pub mod dispute;
pub mod mandate;
pub mod period;
pub mod rates;
pub mod schedule;

pub use account::{
    AccountError, AccountId, AccountKind, BankEntry, BankTable, BankTableError, Ccp, Rib, Rip,
    ccp_key, mask_digits, rib_key,
};
pub use amount::{Amount, AmountError};
pub use calendar::{Calendar, Holiday, HolidayKind};
pub use declaration::{LineProblem, NewDeclarationLine, ProblemKind};
pub use mandate::{
    Mandate, MandateError, MandateReference, MandateStatus, ReferenceError, SignatureEvidence,
};
pub use period::{Period, PeriodError};
pub use rates::{
    ContributionRate, LineAmounts, LineBases, Rate, RateBase, RateError, RateTable, Scheme,
    compute_line,
};
pub use schedule::{ChannelPolicy, DueDate, DueDateSchedule, ScheduleError};
