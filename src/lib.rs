//! tahsil: automated direct-debit collection for a social fund.
//!
//! The service crate: configuration, the store (all SQL), the web surface and the command
//! line. The domain lives in `mandates`, the bytes on the wire in `bank-formats`.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod cycle;
pub mod documents;
pub mod locale;
pub mod notices;
pub mod private;
pub mod progress;
pub mod store;
pub mod telemetry;
pub mod totp;
pub mod web;
pub mod webhooks;

/// The demo fund's generator (`tahsil demo`, `tahsil seed`), also seeded by the tests.
pub use cli::demo;
