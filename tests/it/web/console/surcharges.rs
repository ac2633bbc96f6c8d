//! The console's surcharges screen over real HTTP, on both databases: rules confirmed by
//! an administrator, a waiver asked by one member of staff and approved by another (not
//! by the one who asked), an amnesty previewed and applied.

use chrono::Duration;
use reqwest::StatusCode;
use tahsil::clock::{Clock, start_of_algiers_day};
use tahsil::store::{Role, SurchargeKind, WaiverStatus};

use super::french;
use crate::both_backends;
use crate::harness::fixtures::{actor, d, declare, employer_with_worksites};
use crate::harness::{TestDb, WebApp};
use crate::ledger::assert_balanced;

both_backends!(
    staff_confirm_rules_waive_with_four_eyes_and_apply_an_amnesty_on_the_console,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let employer = employer_with_worksites(store, "16000001", &["W1"]).await;
        declare(store, employer, "2026-10", &[("W1", "100000.00")]).await;
        store
            .clock()
            .set(start_of_algiers_day(d(2027, 3, 1)) + Duration::hours(12));
        let (admin_id, admin) = french(&app, "admin@fund.dz", Role::Admin).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;

        let (status, page) = finance.get("/console/surcharges").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("Provisoire : ne s&#39;applique pas avant confirmation"),
            "{page}"
        );
        assert!(page.contains("loi 04-17 art. 16"));
        assert!(!page.contains("id=\"add-rule\"") && !page.contains("id=\"confirm-"));
        let rule = store
            .surcharge_rules()
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.kind == SurchargeKind::LatePayment)
            .unwrap();
        let confirm = format!("/console/surcharges/rules/{}/confirm", rule.id);
        assert_eq!(finance.post(&confirm, &[]).await.0, StatusCode::FORBIDDEN);
        let (status, _, location) = admin.post(&confirm, &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/console/surcharges?done=1"));
        let trail = store.audit_trail("surcharge_rule", rule.id).await.unwrap();
        assert_eq!(trail[0].actor, format!("user:{admin_id}"));
        let (status, page, _) = admin.post(&confirm, &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Déjà traité"), "{page}");

        // Three months late by 1 March 2027: 854.70 DA; above the four-eyes amount.
        let accrued = store
            .accrue_surcharges(&actor(), d(2027, 3, 1))
            .await
            .unwrap();
        assert_eq!(accrued.surcharges, 3);
        let (status, _, _) = admin
            .post(
                "/console/surcharges/policy",
                &[
                    ("payment_days", "60"),
                    ("declaration_days", "30"),
                    ("grace_days", "15"),
                    ("four_eyes", "500,00"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _, _) = finance
            .post(
                "/console/surcharges/waivers",
                &[("affiliation", "16000001"), ("reason", "dossier 2027/4")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = finance.get("/console/surcharges").await;
        assert!(page.contains("854,70"), "{page}");
        assert!(page.contains("dossier 2027/4"));
        let waiver = store.pending_waivers().await.unwrap()[0].0.id;
        let approve = format!("/console/surcharges/waivers/{waiver}/approve");
        let (status, page, _) = finance.post(&approve, &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("une autre personne doit l&#39;approuver"),
            "{page}"
        );
        assert_eq!(
            store.waiver(waiver).await.unwrap().status,
            WaiverStatus::Pending
        );
        let (status, _, _) = admin.post(&approve, &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            store.waiver(waiver).await.unwrap().status,
            WaiverStatus::Applied
        );
        assert_balanced(store).await;

        // An amnesty: previewed on the page (nothing left to waive), applied by an administrator.
        let (status, _, _) = admin
            .post(
                "/console/surcharges/amnesties",
                &[
                    ("name", "Amnistie 2027"),
                    ("accrued_from", "2027-01-01"),
                    ("accrued_to", "2027-12-31"),
                    ("principal_paid_by", "2027-03-31"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = admin.get("/console/surcharges").await;
        assert!(page.contains("0 employeur(s), 0 majoration(s)"), "{page}");
        let amnesty = store.amnesties().await.unwrap()[0].id;
        let apply = format!("/console/surcharges/amnesties/{amnesty}/apply");
        // Its creator cannot apply it: a second member of staff does.
        let (status, page, _) = admin.post(&apply, &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("une autre personne doit l&#39;appliquer"),
            "{page}"
        );
        store
            .apply_amnesty(&tahsil::store::Actor::new("cli:karim"), amnesty)
            .await
            .unwrap();
        let (_, page) = admin.get("/console/surcharges").await;
        assert!(page.contains("Appliquée"), "{page}");
        assert_balanced(store).await;
    }
);
