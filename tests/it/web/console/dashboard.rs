//! The console's dashboard over real HTTP, on both databases: next runs and the two
//! charts (collection rate, failures by reason) after a whole cycle.

use reqwest::StatusCode;
use tahsil::store::Role;

use super::{french, money, whole_cycle};
use crate::both_backends;
use crate::harness::fixtures::scalar as count;
use crate::harness::{TestDb, WebApp};

both_backends!(
    the_dashboard_charts_collection_rate_and_failure_reasons_of_a_real_cycle,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (status, page) = finance.get("/console").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Aucun prélèvement planifié."), "{page}");
        assert!(page.contains("Aucun prélèvement présenté pour l&#39;instant."));

        whole_cycle(&app, 40).await;
        let presented = count(
            &app.store,
            "SELECT COUNT(*) FROM collections WHERE collection_date = '2026-12-15' AND bank_file_id IS NOT NULL",
        )
        .await;
        let settled = count(
            &app.store,
            "SELECT COUNT(*) FROM collections WHERE collection_date = '2026-12-15' AND status = 'settled'",
        )
        .await;
        assert_eq!(presented, 40);
        assert!(
            settled > 0 && settled < presented,
            "{settled} of {presented}"
        );
        let permille = (settled * 2000 + presented) / (2 * presented);
        let rate = format!("{},{}\u{a0}%", permille / 10, permille % 10);

        let (status, page) = finance.get("/console").await;
        assert_eq!(status, StatusCode::OK);
        // The collection-rate chart: an SVG with a text alternative, the bar's own title,
        // the value drawn above it and the same figures in the data table.
        assert!(
            page.contains("<svg class=\"chart\" id=\"rate-chart\" role=\"img\""),
            "{page}"
        );
        assert!(page.contains(
            "<title id=\"rate-chart-title\">Taux de recouvrement par date de prélèvement</title>"
        ));
        assert!(
            page.contains(&format!(
                "<title>15/12/2026: {settled} Réglés / {presented} Présentés ({rate})</title>"
            )),
            "bar title with {rate}, its day written as people read it: {page}"
        );
        // Under the bar, its day and month the same way (never `12-15`).
        assert!(
            page.contains("text-anchor=\"middle\" fill=\"#555555\">15/12</text>"),
            "{page}"
        );
        assert!(!page.contains(">12-15<"), "{page}");
        assert!(page.contains(&format!(
            "text-anchor=\"middle\" fill=\"#1a1a1a\">{rate}</text>"
        )));
        let settled_sum = count(
            &app.store,
            "SELECT CAST(SUM(amount_centimes) AS BIGINT) FROM collections WHERE collection_date = '2026-12-15' AND status = 'settled'",
        )
        .await;
        assert!(
            page.contains(&format!(
                "<td class=\"num\">{presented}</td><td class=\"num\">{settled}</td><td class=\"num\">{}</td><td class=\"num\"><bdi>{rate}</bdi></td>",
                presented - settled
            )),
            "data table row: {page}"
        );
        assert!(page.contains(&money(settled_sum)), "settled amount, exact");

        // Failure reasons: one stacked segment per reason, counted as in the database.
        let reasons: Vec<(String, i64)> = sqlx::query_as(
            "SELECT COALESCE(reason_category, 'other'), COUNT(*) FROM collections \
             WHERE collection_date = '2026-12-15' AND status IN ('rejected', 'returned', 'retry_planned') \
             GROUP BY COALESCE(reason_category, 'other')",
        )
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        assert!(!reasons.is_empty());
        assert!(page.contains("id=\"failure-chart\""));
        for (category, n) in &reasons {
            let label = match category.as_str() {
                "insufficient_funds" => "Provision insuffisante",
                "account_closed" => "Compte clôturé ou inconnu",
                "account_blocked" => "Compte bloqué",
                "no_or_invalid_mandate" => "Mandat absent ou invalide",
                "debtor_refused" => "Refus du débiteur",
                "amount_or_limit" => "Montant ou plafond",
                "duplicate" => "Doublon",
                "technical_or_format" => "Technique ou format",
                "regulatory" => "Motif réglementaire",
                _ => "Autre motif",
            };
            assert!(
                page.contains(&format!("<title>15/12/2026 — {label}: {n}</title>")),
                "{category} ({label}) × {n}: {page}"
            );
        }
        let failed: i64 = reasons.iter().map(|(_, n)| n).sum();
        assert!(page.contains(&format!("<td class=\"num\">{failed}</td></tr>")));

        // Next runs: the retries planned by the import, by date and channel.
        let planned: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT collection_date, channel, COUNT(*), CAST(SUM(amount_centimes) AS BIGINT) \
             FROM collections WHERE status = 'planned' GROUP BY collection_date, channel",
        )
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        assert!(
            !planned.is_empty(),
            "insufficient funds are presented again"
        );
        let channel = |c: &str| if c == "bank" { "Banque" } else { "Poste (CCP)" };
        for (date, ch, n, sum) in &planned {
            assert!(
                page.contains(&format!(
                    "<tr><td><bdi>{}</bdi></td><td>{}</td><td class=\"num\">{n}</td><td class=\"num\"><bdi>{}</bdi></td></tr>",
                    tahsil::locale::written_day_of(date),
                    channel(ch),
                    money(*sum)
                )),
                "next run {date} {ch}: {page}"
            );
        }
        // No script, no inline style: the charts are attributes only (the CSP forbids both).
        assert!(!page.contains("<script") && !page.contains("style="));

        // In Arabic the page is right to left and the chart keeps its own direction.
        finance
            .post("/language", &[("lang", "ar"), ("back", "/console")])
            .await;
        let (_, page) = finance.get("/console").await;
        assert!(page.contains("dir=\"rtl\""));
        assert!(page.contains("direction=\"ltr\""));
        assert!(page.contains("نسبة التحصيل حسب تاريخ الاقتطاع"));
        assert!(page.contains(&format!(
            "<title>15/12/2026: {settled} المسوّاة / {presented} المقدَّمة"
        )));
    }
);
