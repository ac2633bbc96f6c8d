//! Bytes on the wire: ISO 20022 debit and refund files and bank reports, data-driven
//! fixed-width layouts, bank profiles, and the one reason taxonomy. No database, HTTP, email or clock.
#![forbid(unsafe_code)]

pub mod inspect;
pub mod iso20022;
pub mod layout;
pub mod profile;
pub mod reasons;
