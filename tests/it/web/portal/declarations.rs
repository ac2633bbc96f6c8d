//! The declarations page over real HTTP, on both databases: a declaration is corrected
//! (replaced) by a new CSV until it is planned into a debit, then refused with the
//! debit's date; sharp changes from the previous periods are flagged, not refused.

use reqwest::StatusCode;
use serde_json::json;
use tahsil::clock::Clock;
use tahsil::store::{Actor, Role};

use crate::both_backends;
use crate::harness::fixtures::{
    add_user, d, declare, employer_with_worksites, signed_mandate, user_token,
};
use crate::harness::{TestDb, WebApp, call, upload_csv};

both_backends!(
    declarations_stay_correctable_until_planned_and_sharp_changes_are_flagged,
    |db: TestDb| async move {
        // 11 December: the debit of the 15th planned below is past its notice deadline
        // (the 10th), so what it holds can no longer be corrected.
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 11))).await;
        let a = employer_with_worksites(&app.store, "16000001", &["W1", "W2"]).await;
        signed_mandate(&app.store, a, "004 00174 4010010504 86", None).await;
        for period in ["2026-07", "2026-08", "2026-09"] {
            declare(
                &app.store,
                a,
                period,
                &[("W1", "100000.00"), ("W2", "50000.00")],
            )
            .await;
        }
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        let browser = app.signed_in("a@a.dz").await;
        browser
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;

        // W1 ten times its usual amount: recorded, with a warning (not a refusal).
        let (status, _, location) = upload_csv(
            &browser,
            &app,
            a,
            "2026-10",
            "W1;4;1000000,00;0\nW2;4;50000,00;0\n",
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = location.unwrap();
        assert!(location.ends_with("done=recorded"), "{location}");
        let (_, page) = browser.get(&location).await;
        assert!(page.contains("id=\"warnings\""), "{page}");
        assert!(page.contains("Chantier W1, période 2026-10"), "{page}");
        assert!(
            !page.contains("Chantier W2, période"),
            "W2 is as usual: {page}"
        );
        assert!(page.contains("Modifiable"));

        // Corrected by a new upload of the period: replaced, audited, the warning gone.
        let before = app.store.list_declarations(a).await.unwrap();
        let id = before.iter().find(|d| d.period == "2026-10").unwrap().id;
        let (status, _, location) = upload_csv(
            &browser,
            &app,
            a,
            "2026-10",
            "W1;4;110000,00;0\nW2;4;50000,00;0\n",
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(location.as_deref().unwrap().ends_with("done=corrected"));
        let corrected = app.store.declaration(id).await.unwrap();
        assert_eq!(corrected.lines[0].wage_bill.to_string(), "110000.00");
        assert_eq!(
            app.store.list_declarations(a).await.unwrap().len(),
            4,
            "replaced, not added"
        );
        let (_, page) = browser
            .get(&format!("/portal/{a}/declarations?done=corrected"))
            .await;
        assert!(
            page.contains("Déclaration corrigée") && !page.contains("id=\"warnings\""),
            "{page}"
        );
        let trail = app.store.audit_trail("declaration", id).await.unwrap();
        assert!(
            trail.iter().any(|e| e.action == "declaration.corrected"),
            "{trail:?}"
        );

        // The API corrects the same way, and says what to check.
        let (_, token) = user_token(&app, "api@a.dz", &["16000001"]).await;
        let (status, body) = call(
            &app,
            reqwest::Method::POST,
            "/api/v1/declarations",
            Some(&token),
            Some(json!({"period": "2026-10", "lines": [
                {"worksite_code": "W1", "headcount": 4, "wage_bill": "100000.00"},
                {"worksite_code": "W2", "headcount": 4, "wage_bill": "10000.00"}
            ]})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["replaced"], true);
        assert_eq!(body["id"], id);
        assert_eq!(body["warnings"].as_array().unwrap().len(), 1, "{body}");
        assert_eq!(body["warnings"][0]["worksite_code"], "W2");
        assert_eq!(body["warnings"][0]["previous_average"], "6105.00");

        // The cut-off: once planned (the advance notice records the amount), no more changes.
        app.store
            .plan_collections(&Actor::new("test"), d(2026, 12, 15), d(2026, 12, 1))
            .await
            .unwrap();
        let locked_lines = app.store.declaration(id).await.unwrap().lines;
        let (status, page, _) = upload_csv(
            &browser,
            &app,
            a,
            "2026-10",
            "W1;4;120000,00;0\nW2;4;50000,00;0\n",
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            page.contains("ne peut plus être corrigée") && page.contains("15/12/2026"),
            "{page}"
        );
        assert_eq!(
            app.store.declaration(id).await.unwrap().lines,
            locked_lines,
            "nothing changed"
        );
        assert!(
            page.contains("Verrouillée : comprise dans le prélèvement du 15/12/2026"),
            "{page}"
        );
        browser
            .post("/language", &[("lang", "ar"), ("back", "/")])
            .await;
        let (status, page, _) =
            upload_csv(&browser, &app, a, "2026-10", "W1;4;120000,00;0\n").await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            page.contains("لم يعد ممكنا تصحيح تصريح الفترة 2026-10"),
            "{page}"
        );
        let (status, body) = call(
            &app,
            reqwest::Method::POST,
            "/api/v1/declarations",
            Some(&token),
            Some(json!({"period": "2026-10", "lines": [{"worksite_code": "W1", "headcount": 4, "wage_bill": "1.00"}]})),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("conflict")),
            "{body}"
        );
        assert_eq!(app.store.declaration(id).await.unwrap().lines, locked_lines);
        // A new period is still declared as usual.
        let (status, _, location) =
            upload_csv(&browser, &app, a, "2026-11", "W1;4;100000,00;0\n").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(location.unwrap().ends_with("done=recorded"));
    }
);
