//! Logs: `tracing` with human-readable output by default and JSON lines by option.
//! Always on standard error, so command output on standard output stays clean for scripts.
//!
//! No personal data goes into logs: account numbers only ever appear masked
//! (`mandates::AccountId`'s `Debug` is masked), names and emails are not logged, ids are.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Safe to call more than once (later calls are ignored),
/// which keeps tests that build several apps simple.
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
