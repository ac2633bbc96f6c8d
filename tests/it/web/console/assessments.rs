//! The console's provisional assessments (`/console/assessments`) over real HTTP, on both
//! databases: the fund-wide list (employer, period, base, increase, state as a badge, day
//! as pages write it) in French and in Arabic, filtered by state and by employer (the link
//! from the employer's account), paged by keyset; finance staff read it, an employer gets
//! 403.

use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::store::{Role, SurchargeKind};

use super::allocation_order::read;
use super::french;
use crate::both_backends;
use crate::harness::fixtures::{actor, add_user, d, declare, employer_with_worksites};
use crate::harness::{TestDb, WebApp};
use crate::surcharges::{confirm, on};

/// The rows of an assessments page.
fn rows(page: &str) -> usize {
    page.matches("<tr id=\"assessment-").count()
}

both_backends!(
    staff_list_provisional_assessments_by_state_and_employer_in_pages,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        // 51 employers declared 2026-10 and none 2026-11: one more than a page.
        let a = employer_with_worksites(store, "16000001", &["W1"]).await;
        declare(store, a, "2026-10", &[("W1", "100000.00")]).await;
        for n in 0..50 {
            let e = employer_with_worksites(store, &format!("1600{:04}", 1000 + n), &["W1"]).await;
            declare(store, e, "2026-10", &[("W1", "100000.00")]).await;
        }
        confirm(store, SurchargeKind::ProvisionalAssessment).await;
        on(store, d(2027, 1, 1));
        let assessed = store
            .assess_missing_declarations(&actor(), d(2027, 1, 1))
            .await
            .unwrap();
        assert_eq!(assessed.assessments, 51);
        // A declares 2026-11 on 10 January: its assessment is replaced.
        on(store, d(2027, 1, 10));
        declare(store, a, "2026-11", &[("W1", "80000.00")]).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;

        // In the navigation; the first page newest first, then the rest by its link.
        let (status, page) = finance.get("/console/assessments").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("href=\"/console/assessments\""),
            "in the navigation"
        );
        assert_eq!(rows(&page), 50);
        let text = read(&page);
        for words in [
            "Taxations provisoires",
            "Appliquée",
            "01/01/2027",
            "12 210,00",
            "610,50",
            "5,00 %",
        ] {
            assert!(text.contains(words), "{words}: {text}");
        }
        assert!(page.contains("<span class=\"badge warn\">Appliquée</span>"));
        for raw in ["2027-01-01", "assessed", "replaced"] {
            assert!(!text.contains(raw), "{raw} shown: {text}");
        }
        let next = page
            .split("id=\"next-page\"")
            .next()
            .and_then(|before| before.rsplit("href=\"").next())
            .and_then(|rest| rest.split('"').next())
            .expect("a next page link")
            .replace("&amp;", "&");
        assert!(next.starts_with("/console/assessments?before="), "{next}");
        let (status, second) = finance.get(&next).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(rows(&second), 1, "51 in all");
        assert!(!second.contains("id=\"next-page\""));
        assert!(second.contains("id=\"first-page\""));
        // A was assessed first: the last row, on the second page, replaced.
        let text = read(&second);
        assert!(text.contains("16000001"), "{text}");
        assert!(text.contains("Remplacée par la déclaration"), "{text}");
        assert!(text.contains("10/01/2027"), "{text}");
        assert!(!page.contains(">16000001<"), "not on the first page twice");

        // By state: only the replaced one; only the others.
        let (_, replaced) = finance.get("/console/assessments?state=replaced").await;
        assert_eq!(rows(&replaced), 1);
        assert!(replaced.contains("<option value=\"replaced\" selected>"));
        let (_, still) = finance.get("/console/assessments?state=assessed").await;
        assert_eq!(rows(&still), 50);
        assert!(!read(&still).contains("16000001"));
        assert!(!still.contains("id=\"next-page\""), "exactly a page");

        // From the employer's account, its own only.
        let (status, account) = finance
            .get(&format!("/console/employers/{a}/account"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let link = format!("/console/assessments?employer={a}");
        assert!(account.contains(&format!("href=\"{link}\"")), "{account}");
        let (_, own) = finance.get(&link).await;
        assert_eq!(rows(&own), 1);
        assert!(read(&own).contains("16000001"));

        // In Arabic.
        let (status, _, _) = finance
            .post("/language", &[("lang", "ar"), ("back", "/console")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, page) = finance.get(&link).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("lang=\"ar\""));
        let text = read(&page);
        for words in ["التقديرات المؤقتة", "استُبدل بالتصريح", "10/01/2027"]
        {
            assert!(text.contains(words), "{words}: {text}");
        }
        for raw in ["2027-01-10", "assessed", "replaced"] {
            assert!(!text.contains(raw), "{raw} shown: {text}");
        }

        // Not an employer's.
        add_user(store, "boss@a.dz", Role::Employer, &["16000001"]).await;
        let employer = app.signed_in("boss@a.dz").await;
        assert_eq!(
            employer.get("/console/assessments").await.0,
            StatusCode::FORBIDDEN
        );
    }
);
