//! tahsil's pure domain: account identifiers, money, mandates, collections, declarations with
//! their periods and rules, the rules of disputes, the calendar (and the Algiers day) with
//! the estimated dates of the Hijri months,
//! contribution rates, the fund's two languages, the e-mail addresses and names that go into
//! headers, and the closed sets of states they are
//! stored as. No IO, no clock ("now" and "today" are always parameters), no async.
#![forbid(unsafe_code)]

pub mod account;
pub mod amount;
pub mod calendar;
pub mod code;
pub mod collection;
pub mod contact;
pub mod declaration;
pub mod dispute;
pub mod hijri;
pub mod language;
pub mod mandate;
pub mod period;
pub mod rates;
pub mod schedule;

pub use account::{
    AccountError, AccountId, AccountKind, BankEntry, BankTable, BankTableError, CCP_MASK_PREFIX,
    Ccp, Rib, Rip, ccp_key, mask_digits, rib_key,
};
pub use amount::{Amount, AmountError};
pub use calendar::{Calendar, Holiday, HolidayKind, algiers_time, today_in_algiers};
pub use code::UnknownCode;
pub use collection::{
    ActionRefused, Channel, CollectionStatus, DebitAction, DebitState, representation_date,
};
pub use contact::{ContactError, check_header_text, parse_email};
pub use declaration::{LineProblem, NewDeclarationLine, ProblemKind};
pub use hijri::{HijriMonth, estimated_lunar_holidays};
pub use language::{Lang, NoticeLanguage};
pub use mandate::{
    Mandate, MandateError, MandateReference, MandateStatus, ReferenceError, SignatureEvidence,
};
pub use period::{Period, PeriodError, PeriodKind};
pub use rates::{
    ContributionRate, LineAmounts, LineBases, Rate, RateBase, RateError, RateTable, Scheme,
    compute_line,
};
pub use schedule::{
    ChannelPolicy, CycleDate, DueDate, DueDateSchedule, NEAR_ESTIMATE_DAYS, NearEstimate,
    ScheduleError, dates_near_estimates,
};

/// For [`stored_codes!`]: the enums it declares serialize as their codes.
#[doc(hidden)]
pub use serde as __serde;
