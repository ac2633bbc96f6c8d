//! The CSV exports written as they read (a page at a time) give the same bytes as the
//! whole-file layouts built from everything read at once, as before: `tahsil receivables
//! --csv`, `tahsil journal --out`, the console's receivables and journal downloads; and
//! the journal's pages, however small, add up to the whole journal. On both databases.

use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::locale::statement::{journal_csv, receivables_csv};
use tahsil::store::{OWING_PAGE_MAX, Role, Store};

use crate::both_backends;
use crate::harness::fixtures::{actor, add_user, d, declare};
use crate::harness::{TestDb, WebApp};
use crate::ledger::{pay, tahsil, two_employers};

/// The receivables CSV as it was built before: the fund's total from one grouped query,
/// every employer owing read first.
async fn receivables_as_before(store: &Store) -> String {
    let today = d(2026, 12, 1);
    let summary = store.receivables(today).await.unwrap();
    let employers = store
        .employers_owing(today, None, OWING_PAGE_MAX)
        .await
        .unwrap();
    receivables_csv(&summary, &employers)
}

both_backends!(
    streamed_exports_write_the_same_bytes_as_before,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, b) = two_employers(store).await;
        declare(store, a, "2026-08", &[("W1", "12345.67")]).await;
        declare(store, b, "2026-09", &[("S1", "2000.00")]).await;
        pay(
            store,
            b,
            mandates::Amount::parse("100.00").unwrap(),
            "VIR-EXPORT",
        )
        .await;
        store
            .plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 1))
            .await
            .unwrap();
        let from = d(2026, 1, 1);
        let to = d(2026, 12, 31);
        let journal = store.journal(from, to).await.unwrap();
        assert!(journal.len() >= 6, "{journal:?}");

        // Pages of two entries, one after the other, make the whole journal.
        let mut paged = Vec::new();
        let mut after: Option<(String, i64)> = None;
        loop {
            let page = store
                .journal_page(from, to, after.as_ref().map(|(d, i)| (d.as_str(), *i)), 2)
                .await
                .unwrap();
            assert!(page.len() <= 2);
            after = page.last().map(|e| (e.entry_date.clone(), e.id));
            let done = page.len() < 2;
            paged.extend(page);
            if done {
                break;
            }
        }
        assert_eq!(paged, journal);

        // The command line.
        let expected = receivables_as_before(store).await;
        assert!(expected.lines().count() >= 4, "{expected}");
        let output = tahsil(&db, &["receivables", "--csv"]);
        assert!(output.status.success(), "{output:?}");
        assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("journal.csv");
        let output = tahsil(
            &db,
            &[
                "journal",
                "--from",
                "2026-01-01",
                "--to",
                "2026-12-31",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(output.status.success(), "{output:?}");
        let expected_journal = journal_csv(&journal);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), expected_journal);
        assert!(
            String::from_utf8_lossy(&output.stderr)
                .contains(&format!("({} line(s))", journal.len())),
            "{output:?}"
        );
        // To standard output: the same bytes.
        let output = tahsil(
            &db,
            &["journal", "--from", "2026-01-01", "--to", "2026-12-31"],
        );
        assert!(output.status.success(), "{output:?}");
        assert_eq!(String::from_utf8(output.stdout).unwrap(), expected_journal);

        // The console's downloads.
        add_user(store, "finance@fund.dz", Role::Finance, &[]).await;
        let staff = app.signed_in("finance@fund.dz").await;
        let csv = staff
            .client
            .get(app.url("/console/receivables.csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), StatusCode::OK);
        assert_eq!(csv.bytes().await.unwrap(), expected.as_bytes());
        let csv = staff
            .client
            .get(app.url("/console/journal.csv?from=2026-01-01&to=2026-12-31"))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), StatusCode::OK);
        assert_eq!(csv.bytes().await.unwrap(), expected_journal.as_bytes());
    }
);
