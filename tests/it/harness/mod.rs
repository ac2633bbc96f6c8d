//! Test harness: a fresh database per test on SQLite and on PostgreSQL ([`db`]), the
//! service spawned on port 0 and the clients that drive it ([`app`]), `serve` itself on a
//! clock moved by hand ([`serve`]), a real SMTP server on loopback ([`smtp`]), a whole
//! fund run by `serve` day by day with the simulated bank answering through its inboxes
//! ([`fund`]), and the set-up helpers several test files share ([`fixtures`]).
//! `both_backends!` runs a test once on each database.

mod app;
mod db;
pub mod fixtures;
pub mod fund;
mod serve;
pub mod smtp;

pub use app::{
    Browser, METRICS_TOKEN, PASSWORD, TestApp, WebApp, call, csrf_of, get, get_text, proposal_of,
    settings, sign_in, sign_in_at, text_of_id, upload_csv,
};
pub use db::{TestDb, in_ci, skip, test_key_base64};
pub use serve::{Served, wait_until};

/// Defines a test that runs once on SQLite and once on PostgreSQL, each on a fresh
/// database: `both_backends!(name, |db| async move { ... });`
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::harness::TestDb::sqlite().await;
                ($body)(db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::harness::TestDb::postgres().await else {
                    return;
                };
                ($body)(db).await;
            }
        }
    };
}
