//! Prometheus `/metrics` over real HTTP, on both databases: the fund's counts as the store
//! has them, and request latencies by route.

use chrono::NaiveDate;
use reqwest::StatusCode;
use tahsil::store::{Actor, Role};

use crate::both_backends;
use crate::harness::fixtures::{add_user, employer_with_worksites, planned};
use crate::harness::{METRICS_TOKEN, TestDb, WebApp};

/// The value of the one sample `name{labels}` (or `name` alone) in a metrics text.
fn sample(text: &str, series: &str) -> Option<i64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.trim().parse().unwrap())
}

both_backends!(
    metrics_show_the_funds_counts_and_request_latencies_by_route,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        planned(&app.store, 5).await;
        tahsil::cycle::run::run_date(
            &app.store,
            &app.settings,
            &Actor::new("test"),
            NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
            "metrics",
        )
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO exceptions (kind, detail, status, created_at) \
             VALUES ('unmatched', 'x', 'open', '2026-12-15T10:00:00Z')",
        )
        .execute(app.store.pool())
        .await
        .unwrap();
        // Some page traffic to time, on a route with a parameter.
        let a = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
        let browser = app.signed_in("gerant@a.dz").await;
        for _ in 0..3 {
            assert_eq!(browser.get(&format!("/portal/{a}")).await.0, StatusCode::OK);
        }

        let client = reqwest::Client::new();
        let refused = client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(
            refused.status(),
            StatusCode::UNAUTHORIZED,
            "behind the metrics token"
        );
        let response = client
            .get(app.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        let text = response.text().await.unwrap();

        // The counts are the store's.
        for c in app.store.collection_counts(None).await.unwrap() {
            let (count, centimes) = (c.count, c.amount_centimes);
            let labels = format!("{{channel=\"{}\",state=\"{}\"}}", c.channel, c.status);
            assert_eq!(
                sample(&text, &format!("tahsil_collections{labels}")),
                Some(count),
                "{labels} in {text}"
            );
            assert_eq!(
                sample(
                    &text,
                    &format!("tahsil_collections_amount_centimes{labels}")
                ),
                Some(centimes)
            );
        }
        let submitted: i64 = text
            .lines()
            .filter(|l| l.starts_with("tahsil_collections{") && l.contains("state=\"submitted\""))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<i64>().unwrap())
            .sum();
        assert!(submitted > 0, "the run submitted debits: {text}");
        let files = app.store.bank_files(None).await.unwrap();
        assert!(!files.is_empty());
        let files_in_metrics: i64 = text
            .lines()
            .filter(|l| l.starts_with("tahsil_bank_files{"))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<i64>().unwrap())
            .sum();
        assert_eq!(files_in_metrics, files.len() as i64);
        assert_eq!(sample(&text, "tahsil_runs{state=\"with_files\"}"), Some(1));
        assert_eq!(sample(&text, "tahsil_runs{state=\"building\"}"), Some(0));
        let pending: i64 = app
            .store
            .notice_counts()
            .await
            .unwrap()
            .iter()
            .filter(|c| c.status.as_str() == "pending")
            .map(|c| c.count)
            .sum();
        assert!(pending > 0, "planning recorded advance notices");
        assert_eq!(sample(&text, "tahsil_notices_pending"), Some(pending));
        assert_eq!(sample(&text, "tahsil_exceptions_open"), Some(1));
        assert_eq!(sample(&text, "tahsil_quarantined_files"), Some(0));

        // Latencies by route pattern (not by id), counted per request.
        let route = "method=\"GET\",route=\"/portal/{employer}\"";
        assert_eq!(
            sample(
                &text,
                &format!("tahsil_http_request_duration_seconds_count{{{route}}}")
            ),
            Some(3),
            "{text}"
        );
        assert_eq!(
            sample(
                &text,
                &format!("tahsil_http_request_duration_seconds_bucket{{{route},le=\"+Inf\"}}")
            ),
            Some(3)
        );
        assert!(
            !text.contains(&format!("/portal/{a}\"")),
            "no ids as labels"
        );
        assert!(text.contains("# TYPE tahsil_http_request_duration_seconds histogram"));
    }
);
