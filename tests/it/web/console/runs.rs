//! The console's runs and reports over real HTTP, on both databases: runs list their
//! files, and imported reports their matches.

use reqwest::StatusCode;
use tahsil::store::Role;

use super::{french, money, whole_cycle};
use crate::both_backends;
use crate::harness::fixtures::scalar as count;
use crate::harness::{TestDb, WebApp};

both_backends!(
    runs_list_their_files_and_reports_their_matches,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (_, page) = finance.get("/console/runs").await;
        assert!(page.contains("Aucune remise pour l&#39;instant."));
        let (_, page) = finance.get("/console/reports").await;
        assert!(page.contains("Aucun compte rendu importé."));

        whole_cycle(&app, 30).await;
        let run_id: i64 = count(
            &app.store,
            "SELECT id FROM runs WHERE collection_date = '2026-12-15'",
        )
        .await;
        let files = app.store.bank_files(None).await.unwrap();
        let (status, page) = finance.get("/console/runs").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&format!(
                "<a href=\"/console/runs/{run_id}\"><bdi>15/12/2026</bdi></a>"
            )),
            "{page}"
        );
        for (institution, label) in [("bank", "Banque"), ("poste", "Algérie Poste")] {
            let mine: Vec<_> = files
                .iter()
                .filter(|f| f.institution.as_str() == institution)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let transactions: i64 = mine.iter().map(|f| f.transactions).sum();
            let sum: i64 = mine.iter().map(|f| f.control_sum_centimes).sum();
            assert!(
                page.contains(&format!(
                    "<td>{label}</td><td class=\"num\">{}</td><td class=\"num\">{transactions}</td><td class=\"num\"><bdi>{}</bdi></td>",
                    mine.len(),
                    money(sum)
                )),
                "{institution}: {page}"
            );
        }

        let (status, page) = finance.get(&format!("/console/runs/{run_id}")).await;
        assert_eq!(status, StatusCode::OK);
        let (settled, sum): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(amount_centimes) AS BIGINT) FROM collections WHERE status = 'settled' AND bank_file_id IS NOT NULL",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        assert!(
            page.contains(&format!("<tr><td>Réglé</td><td class=\"num\">{settled}</td><td class=\"num\"><bdi>{}</bdi></td></tr>", money(sum))),
            "{page}"
        );
        for file in &files {
            assert!(page.contains(&format!("/console/files/{}/download", file.id)));
            assert!(page.contains(&file.file_name));
        }
        assert_eq!(
            finance.get("/console/runs/999999").await.0,
            StatusCode::NOT_FOUND
        );

        // Reports: items, matched and unmatched as recorded.
        let reports = app.store.reports().await.unwrap();
        assert!(!reports.is_empty());
        let (status, page) = finance.get("/console/reports").await;
        assert_eq!(status, StatusCode::OK);
        for report in &reports {
            let matched = count(
                &app.store,
                &format!("SELECT COUNT(*) FROM report_items WHERE report_id = {} AND collection_id IS NOT NULL", report.id),
            )
            .await;
            assert!(page.contains(&report.file_name));
            assert!(
                page.contains(&format!(
                    "<td class=\"num\">{}</td><td class=\"num matched\">{matched}</td><td class=\"num unmatched\">0</td>",
                    report.items
                )),
                "report {}: {page}",
                report.id
            );
        }
        // A report with items we never sent: unmatched, with their exceptions.
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO reports (institution, file_name, sha256, format, items, applied, exceptions, imported_at, imported_by) \
             VALUES ('bank', 'stray-camt054.xml', 'ab', 'camt.054', 3, 1, 2, '2026-12-16T09:00:00Z', 'user:9') RETURNING id",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        let collection = count(&app.store, "SELECT MIN(id) FROM collections").await;
        for (item, collection_id, outcome) in [
            (1, Some(collection), "duplicate"),
            (2, None, "unmatched"),
            (3, None, "unmatched"),
        ] {
            sqlx::query(
                "INSERT INTO report_items (report_id, item, effect, collection_id, outcome) VALUES ($1, $2, 'settle', $3, $4)",
            )
            .bind(id)
            .bind(item)
            .bind(collection_id)
            .bind(outcome)
            .execute(app.store.pool())
            .await
            .unwrap();
        }
        for item in [2, 3] {
            sqlx::query(
                "INSERT INTO exceptions (kind, report_id, item, detail, status, created_at) \
                 VALUES ('unmatched', $1, $2, 'not ours', $3, '2026-12-16T09:00:00Z')",
            )
            .bind(id)
            .bind(item)
            .bind(if item == 2 { "open" } else { "resolved" })
            .execute(app.store.pool())
            .await
            .unwrap();
        }
        let (_, page) = finance.get("/console/reports").await;
        assert!(
            page.contains(&format!(
                "<tr id=\"report-{id}\"><td class=\"num\">{id}</td><td dir=\"ltr\">stray-camt054.xml</td><td>Banque</td>"
            )),
            "{page}"
        );
        assert!(page.contains(
            "<td class=\"num\">3</td><td class=\"num matched\">1</td><td class=\"num unmatched\">2</td><td class=\"num\"><a href=\"/console/exceptions\">2 (1)</a></td>"
        ));
        // Informational items and the credits kept for the ledger, counted (none here).
        assert!(page.contains(
            "(1)</a></td><td class=\"num informational\">0</td><td class=\"num incoming-credits\">0</td></tr>"
        ));
        assert!(
            page.contains("<th scope=\"col\">Pour information</th>"),
            "{page}"
        );
    }
);
