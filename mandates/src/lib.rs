//! tahsil's pure domain: account identifiers, money, mandates, calendar and contribution
//! rates. No IO, no clock ("today" is always a parameter), no async.
#![forbid(unsafe_code)]

pub mod amount;

pub use amount::{Amount, AmountError};
