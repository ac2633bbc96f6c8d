//! Databases for tests: a fresh one per test, on SQLite and on PostgreSQL.
//!
//! PostgreSQL comes from `TAHSIL_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test creates its own database and
//! drops it afterwards. When PostgreSQL is unreachable the PostgreSQL half of each test is
//! skipped with a printed reason — except under CI (`CI=true`), where that is a failure.

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, Executor, PgConnection};
use tahsil::clock::Clock;
use tahsil::crypto::AccountCipher;
use tahsil::store::Store;

pub const TEST_KEY: [u8; 32] = [42u8; 32];

/// [`TEST_KEY`] as `TAHSIL_ENCRYPTION_KEY` takes it.
pub fn test_key_base64() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(TEST_KEY)
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn admin_url() -> String {
    std::env::var("TAHSIL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// Prints why something is skipped, or fails when running under CI.
pub fn skip(reason: &str) {
    if in_ci() {
        panic!("CI=true but {reason}");
    }
    // Written to the real stderr (not the captured test output) once per run, so the
    // reason is visible in a plain `cargo test`.
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "skipped: {reason}");
    });
}

/// One fresh database for one test; dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDb {
    pub url: String,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tahsil.db");
        // The database exists, empty, as a created PostgreSQL database does: commands
        // other than `migrate`/`demo`/`serve`/`seed` refuse a SQLite file that is not there.
        std::fs::File::create(&path).expect("create the test database file");
        let url = format!("sqlite://{}", path.display());
        TestDb {
            url,
            backend: "sqlite",
            _dir: Some(dir),
            pg_name: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (after printing why) when unreachable.
    pub async fn postgres() -> Option<TestDb> {
        let admin = admin_url();
        let mut conn = match PgConnection::connect(&admin).await {
            Ok(conn) => conn,
            Err(err) => {
                skip(&format!(
                    "PostgreSQL is not reachable at {admin} ({err}); set TAHSIL_TEST_POSTGRES_URL to run the PostgreSQL half"
                ));
                return None;
            }
        };
        let name = format!(
            "tahsil_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand_suffix()
        );
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        Some(TestDb {
            url: format!("{base}/{name}"),
            backend: "postgres",
            _dir: None,
            pg_name: Some(name),
        })
    }

    /// A migrated store on this database with the test key, on the real time.
    pub async fn store(&self) -> Store {
        self.store_with_clock(Clock::system()).await
    }

    /// A migrated store on this database with the test key, reading `clock` (a test moves
    /// it by hand: every clone of the clock moves with it).
    pub async fn store_with_clock(&self, clock: Clock) -> Store {
        let store = Store::connect(
            &self.url,
            5,
            AccountCipher::from_key(&TEST_KEY),
            mandates::BankTable::algeria_default(),
        )
        .await
        .expect("connect")
        .with_clock(clock);
        store.migrate().await.expect("migrate");
        store
    }
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()))
        .unwrap_or(0)
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop runs outside any runtime guarantee: use a private thread and runtime.
        let admin = admin_url();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let _ = conn
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}
