//! The console's exceptions over real HTTP, on both databases: resolved with an audited
//! note, and paged newest first with the open count on every page.

use reqwest::StatusCode;
use tahsil::store::Role;

use super::french;
use crate::both_backends;
use crate::harness::fixtures::add_user;
use crate::harness::{TestDb, WebApp};

both_backends!(
    finance_staff_resolve_exceptions_with_an_audited_note,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let finance = add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO exceptions (kind, detail, status, created_at) \
             VALUES ('unmatched', 'E2E T1 not sent by us', 'open', '2026-12-15T10:00:00Z') RETURNING id",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        let browser = app.signed_in("finance@fund.dz").await;
        let (status, page) = browser.get("/console").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"open-exceptions\">1<"), "{page}");
        let (_, page) = browser.get("/console/exceptions").await;
        assert!(page.contains("E2E T1 not sent by us"));
        let resolve = format!("/console/exceptions/{id}/resolve");
        let (status, _, _) = browser.post(&resolve, &[("resolution", "  ")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _, _) = browser
            .post(&resolve, &[("resolution", "Bank confirmed a test item")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let resolved = app.store.exceptions(false).await.unwrap().remove(0);
        assert_eq!(resolved.status.as_str(), "resolved");
        assert_eq!(resolved.resolved_by, Some(format!("user:{finance}")));
        let trail = app.store.audit_trail("exception", id).await.unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0].actor, format!("user:{finance}"));
        let (status, _, _) = browser.post(&resolve, &[("resolution", "again")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "already resolved");
        for path in ["/console/files", "/console/quarantine"] {
            let (status, _) = browser.get(path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
        }
    }
);

both_backends!(
    exceptions_are_paged_newest_first_with_the_open_count_on_every_page,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        // 130 exceptions without a report (ids 1 …130); every third one resolved.
        for n in 1..=130 {
            sqlx::query(
                "INSERT INTO exceptions (kind, detail, status, created_at) \
                 VALUES ('needs_staff', $1, $2, '2026-12-16T09:00:00Z')",
            )
            .bind(format!("case {n}"))
            .bind(if n % 3 == 0 { "resolved" } else { "open" })
            .execute(app.store.pool())
            .await
            .unwrap();
        }
        let ids = |page: &str| -> Vec<i64> {
            page.match_indices("<tr id=\"exception-")
                .map(|(at, _)| {
                    let rest = &page[at + "<tr id=\"exception-".len()..];
                    rest[..rest.find('"').unwrap()].parse().unwrap()
                })
                .collect()
        };
        let open = "<strong id=\"open-exceptions\">87</strong>";
        let (status, first) = finance.get("/console/exceptions").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&first), (31..=130).rev().collect::<Vec<_>>());
        assert!(first.contains(open), "{first}");
        assert!(first.contains("href=\"/console/exceptions?before=31\""));
        assert!(!first.contains("id=\"newest\""));

        let (status, second) = finance.get("/console/exceptions?before=31").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&second), (1..=30).rev().collect::<Vec<_>>());
        assert!(second.contains(open));
        assert!(
            !second.contains("id=\"older\""),
            "the oldest page ends the list"
        );
        assert!(second.contains("<a id=\"newest\" href=\"/console/exceptions\">"));

        // A page number that is not one shows the newest page.
        let (status, odd) = finance.get("/console/exceptions?before=x").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&odd), ids(&first));

        // The dashboard counts them without reading them all.
        let (_, dashboard) = finance.get("/console").await;
        assert!(dashboard.contains(open), "{dashboard}");
    }
);
