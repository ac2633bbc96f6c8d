//! The console's payment allocation order (`/console/allocation-order`) over real HTTP, on
//! both databases: finance staff read the order in force and what each choice means, in
//! French and in Arabic; only an administrator changes it (finance staff and employers
//! get 403, a form without its CSRF token changes nothing), and each change is audited and
//! listed with its day as pages write it.

use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::store::{AllocationOrder, Role};

use super::french;
use crate::both_backends;
use crate::harness::fixtures::{add_user, d, employer_with_worksites};
use crate::harness::{TestDb, WebApp};
use crate::web::readable::visible_text;

/// The words a person reads on `html`, one space between each.
pub fn read(html: &str) -> String {
    visible_text(html)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The order's codes, which a reader must never see.
const CODES: [&str; 3] = ["principal_first", "oldest_first", "surcharges_first"];

both_backends!(
    finance_read_the_allocation_order_and_only_an_administrator_changes_it_audited,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 15))).await;
        let store = &app.store;
        let (admin_id, admin) = french(&app, "admin@fund.dz", Role::Admin).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;

        // Reached from the surcharges page.
        let (_, surcharges) = finance.get("/console/surcharges").await;
        assert!(surcharges.contains("href=\"/console/allocation-order\""));
        let (status, page) = finance.get("/console/allocation-order").await;
        assert_eq!(status, StatusCode::OK);
        let text = read(&page);
        assert!(
            text.contains("Ordre en vigueur : Le principal d'abord"),
            "{text}"
        );
        for choice in [
            "Toutes les cotisations dues d'abord",
            "Cotisations et majorations ensemble, par date",
            "Les majorations d'abord, les plus anciennes en premier",
        ] {
            assert!(text.contains(choice), "{choice}: {text}");
        }
        assert!(text.contains("Jamais modifié"), "{text}");
        assert!(text.contains("Seuls les administrateurs"), "{text}");
        assert!(!page.contains("id=\"save-order\""), "no button for finance");
        for code in CODES {
            assert!(!text.contains(code), "{code} shown: {text}");
        }

        // Finance staff and employers may not change it; nor may a form without its token.
        let change = [("order", "surcharges_first")];
        let (status, _, _) = finance.post("/console/allocation-order", &change).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        employer_with_worksites(store, "16000001", &["W1"]).await;
        add_user(store, "boss@a.dz", Role::Employer, &["16000001"]).await;
        let employer = app.signed_in("boss@a.dz").await;
        assert_eq!(
            employer.get("/console/allocation-order").await.0,
            StatusCode::FORBIDDEN
        );
        let (status, _, _) = employer.post("/console/allocation-order", &change).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let forged = admin
            .client
            .post(app.url("/console/allocation-order"))
            .form(&[("csrf", "forged"), ("order", "surcharges_first")])
            .send()
            .await
            .unwrap();
        assert!(!forged.status().is_success() && !forged.status().is_redirection());
        assert_eq!(
            store.allocation_order().await.unwrap(),
            AllocationOrder::PrincipalFirst
        );
        assert!(
            store
                .audit_trail("allocation_policy", 1)
                .await
                .unwrap()
                .is_empty()
        );

        // An unknown order is refused in words.
        let (status, page, _) = admin
            .post("/console/allocation-order", &[("order", "newest_first")])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("Choisissez l&#39;un des trois ordres"),
            "{page}"
        );

        // An administrator changes it: audited as them, listed with its day.
        let (status, _, location) = admin
            .post("/console/allocation-order", &[("order", "oldest_first")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some("/console/allocation-order?done=1")
        );
        assert_eq!(
            store.allocation_order().await.unwrap(),
            AllocationOrder::OldestFirst
        );
        let trail = store.audit_trail("allocation_policy", 1).await.unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0].action, "allocation_policy.changed");
        assert_eq!(trail[0].actor, format!("user:{admin_id}"));
        assert!(trail[0].detail.contains("oldest_first"), "{:?}", trail[0]);
        let (status, page) = admin.get("/console/allocation-order?done=1").await;
        assert_eq!(status, StatusCode::OK);
        let text = read(&page);
        assert!(text.contains("Ordre d'imputation enregistré."), "{text}");
        assert!(
            text.contains("Ordre en vigueur : Le plus ancien d'abord"),
            "{text}"
        );
        let history = text.split("Modifications").nth(1).unwrap_or_default();
        // When (15/12/2026 at noon in Algiers), who (the administrator), which order.
        assert!(
            history.contains("15/12/2026 12:00 admin Le plus ancien d'abord"),
            "{history}"
        );
        assert!(!text.contains("2026-12-15"), "{text}");
        for code in CODES {
            assert!(!text.contains(code), "{code} shown: {text}");
        }
        assert!(page.contains("id=\"order-oldest_first\" value=\"oldest_first\" checked"));

        // In Arabic.
        let (status, _, _) = finance
            .post("/language", &[("lang", "ar"), ("back", "/console")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, page) = finance.get("/console/allocation-order").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("lang=\"ar\""));
        let text = read(&page);
        for words in [
            "ترتيب تخصيص المدفوعات",
            "الترتيب الساري: الأقدم أولاً",
            "الأصل أولاً",
            "الزيادات أولاً",
            "15/12/2026",
        ] {
            assert!(text.contains(words), "{words}: {text}");
        }
        for code in CODES {
            assert!(!text.contains(code), "{code} shown: {text}");
        }
    }
);
