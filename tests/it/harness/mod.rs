//! Test harness: a fresh database per test on SQLite and on PostgreSQL ([`db`]), the
//! service spawned on port 0 and the clients that drive it ([`app`]), and the set-up
//! helpers several test files share ([`fixtures`]). `both_backends!` runs a test once on
//! each database.

mod app;
mod db;
pub mod fixtures;

pub use app::{
    Browser, PASSWORD, TestApp, WebApp, call, csrf_of, get, get_text, settings, upload_csv,
};
pub use db::{TEST_KEY, TestDb, in_ci, skip};

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
