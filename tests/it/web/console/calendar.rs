//! The console's calendar over real HTTP, on both databases: a change moves the planned
//! debits it touches and says so.

use reqwest::StatusCode;
use tahsil::store::{Role, Store};

use super::french;
use crate::both_backends;
use crate::harness::fixtures::{planned, scalar as count};
use crate::harness::{TestDb, WebApp};

async fn planned_on(store: &Store, date: &str) -> i64 {
    count(
        store,
        &format!("SELECT COUNT(*) FROM collections WHERE status = 'planned' AND collection_date = '{date}'"),
    )
    .await
}

both_backends!(
    calendar_changes_move_planned_debits_and_say_so,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        planned(&app.store, 5).await;
        let (finance_id, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (status, page) = finance.get("/console/calendar?year=2026").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("<td><bdi>2026-07-05</bdi></td>"),
            "Independence Day: {page}"
        );

        // A lunar holiday announced on the collection date: the 5 debits move to the 16th.
        let (status, page, _) = finance
            .post(
                "/console/calendar/add",
                &[
                    ("date", "2026-12-15"),
                    ("name", "Fête test"),
                    ("kind", "lunar_provisional"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            page.contains("<li>5 prélèvement(s) planifié(s) déplacé(s) du <bdi>2026-12-15</bdi> au <bdi>2026-12-16</bdi></li>"),
            "{page}"
        );
        assert_eq!(
            (
                planned_on(&app.store, "2026-12-15").await,
                planned_on(&app.store, "2026-12-16").await
            ),
            (0, 5)
        );
        assert!(page.contains("Lunaire, estimé — à confirmer") && page.contains("id=\"confirm-"));
        let trail = app.store.calendar_history(10).await.unwrap();
        assert_eq!(trail.len(), 2);
        assert_eq!(trail[1].action.as_str(), "calendar.holiday_added");
        assert_eq!(trail[0].action.as_str(), "collections.rescheduled");
        assert!(
            trail
                .iter()
                .all(|e| e.actor == format!("user:{finance_id}"))
        );
        // The history says it in words.
        assert!(page.contains("<td>Prélèvements déplacés</td><td>5 prélèvement(s) planifié(s) déplacé(s) du 2026-12-15 au 2026-12-16</td>"), "{page}");

        // Confirmed, then shifted onto the new date: the debits move again, to the 17th.
        let (status, page, _) = finance
            .post(
                "/console/calendar/confirm",
                &[("date", "2026-12-15"), ("name", "Fête test")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"nothing-moved\""));
        let (status, page, _) = finance
            .post(
                "/console/calendar/shift",
                &[
                    ("date", "2026-12-15"),
                    ("name", "Fête test"),
                    ("to", "2026-12-16"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("<li>5 prélèvement(s) planifié(s) déplacé(s) du <bdi>2026-12-16</bdi> au <bdi>2026-12-17</bdi></li>"), "{page}");
        assert_eq!(planned_on(&app.store, "2026-12-17").await, 5);
        // Removing it moves nothing back (later dates keep their notice valid).
        let (status, page, _) = finance
            .post(
                "/console/calendar/remove",
                &[("date", "2026-12-16"), ("name", "Fête test")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"nothing-moved\""));
        assert_eq!(planned_on(&app.store, "2026-12-17").await, 5);

        // Refusals say what is wrong, and change nothing.
        let before = app.store.calendar_history(100).await.unwrap().len();
        let (status, page, _) = finance
            .post(
                "/console/calendar/add",
                &[("date", "15/12/2026"), ("name", "x"), ("kind", "fixed")],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Date invalide"));
        let (status, page, _) = finance
            .post(
                "/console/calendar/add",
                &[("date", "2026-12-20"), ("name", " "), ("kind", "fixed")],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Indiquez le nom du jour férié."));
        let (status, page, _) = finance
            .post(
                "/console/calendar/shift",
                &[
                    ("date", "2026-12-20"),
                    ("name", "Nothing"),
                    ("to", "2026-12-21"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("id=\"error\""), "{page}");
        let response = finance
            .client
            .post(app.url("/console/calendar/add"))
            .form(&[
                ("date", "2026-12-20"),
                ("name", "No token"),
                ("kind", "fixed"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "no CSRF token");
        assert_eq!(app.store.calendar_history(100).await.unwrap().len(), before);
    }
);
