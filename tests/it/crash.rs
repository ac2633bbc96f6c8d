//! Crash tests: `tahsil run` and `tahsil import` killed with SIGKILL at many points, then
//! restarted; the invariants of product.md hold after every kill and at the end.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::NaiveDate;
use tahsil::cycle::banksim::BankSim;
use tahsil::cycle::exchange::{Folder, waiting_files};

use crate::both_backends;
use crate::harness::fixtures::planned;
use crate::harness::{TestDb, settings, test_key_base64};
use crate::run::check_invariants;

fn spawn(db: &TestDb, exchange: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .arg("--database-url")
        .arg(&db.url)
        .args(args)
        .env("TAHSIL_ENCRYPTION_KEY", test_key_base64())
        .env("TAHSIL_EXCHANGE_DIR", exchange)
        .env("TAHSIL_MAX_PER_FILE", "40")
        .env("TAHSIL_RUN_LEASE_SECONDS", "1")
        .env("TAHSIL_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tahsil")
}

/// Kill delays spread over the run, from a fixed seed (so failures reproduce).
fn delays(n: usize, max_ms: u64) -> Vec<Duration> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Duration::from_millis(x % max_ms)
        })
        .collect()
}

both_backends!(
    killing_runs_and_imports_at_random_points_breaks_no_invariant,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 40);
        let employers = planned(&store, 1200).await;
        let date = "2026-12-15";

        // 1. The run, killed again and again.
        // Kill after a delay that grows by a random step each time, until a run gets to the
        // end by itself: the kills land at every stage, from start-up to the last rename.
        let mut killed = 0;
        let mut delay = Duration::ZERO;
        for step in delays(400, 12) {
            delay += step + Duration::from_millis(2);
            let mut child = spawn(&db, exchange.path(), &["run", "--date", date]);
            std::thread::sleep(delay);
            let finished = child.try_wait().unwrap();
            if finished.is_none() {
                child.kill().unwrap();
                killed += 1;
            }
            child.wait().unwrap();
            check_invariants(&store, exchange.path()).await;
            if let Some(status) = finished {
                assert!(
                    status.success(),
                    "a run after {killed} kills failed: {status}"
                );
                break;
            }
            // Let the dead holder's lease expire.
            std::thread::sleep(Duration::from_millis(1100));
        }
        assert!(
            killed > 3,
            "the kills should land inside the run ({killed} did)"
        );
        let status = spawn(&db, exchange.path(), &["run", "--date", date])
            .wait()
            .unwrap();
        assert!(status.success());
        check_invariants(&store, exchange.path()).await;
        let submitted: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM collections WHERE status = 'submitted'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(
            submitted as u64, employers,
            "every planned debit is in exactly one file"
        );
        let building: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status = 'building'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(building, 0);

        // 2. The import of the bank's reports, killed again and again.
        let sim = BankSim {
            reject_per_mille: 100,
            return_per_mille: 50,
            transfer_reject_per_mille: 0,
            seed: 5,
            today: NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
            layouts: settings.layouts,
        };
        for institution in &settings.institutions {
            sim.answer(
                &settings.folder(institution.name.as_str(), Folder::Outbox),
                &settings.folder(institution.name.as_str(), Folder::Inbox),
            )
            .unwrap();
        }
        let reports: Vec<_> = settings
            .institutions
            .iter()
            .flat_map(|i| waiting_files(&settings.folder(i.name.as_str(), Folder::Inbox)))
            .collect();
        assert!(!reports.is_empty());
        let mut delay = Duration::ZERO;
        for (n, step) in delays(200, 40).into_iter().enumerate() {
            delay += step + Duration::from_millis(3);
            let report = &reports[n % reports.len()];
            let mut child = spawn(
                &db,
                exchange.path(),
                &["import", "--today", date, &report.display().to_string()],
            );
            std::thread::sleep(delay);
            let finished = child.try_wait().unwrap().is_some();
            let _ = child.kill();
            child.wait().unwrap();
            check_invariants(&store, exchange.path()).await;
            if finished {
                break;
            }
        }
        for report in &reports {
            let status = spawn(
                &db,
                exchange.path(),
                &["import", "--today", date, &report.display().to_string()],
            )
            .wait()
            .unwrap();
            assert!(status.success(), "{}", report.display());
        }
        check_invariants(&store, exchange.path()).await;
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reports")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(
            applied as usize,
            reports.len(),
            "each report applied exactly once"
        );
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM collections WHERE status = 'submitted'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        // Bank debits are settled by camt, postal ones by the return file: none left in flight.
        assert_eq!(pending, 0);
    }
);
