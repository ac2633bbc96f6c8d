//! The employer portal over real HTTP, on both databases, one file per page family as in
//! `src/web/portal`. Here: the employer's whole path — a mandate (key check, consent,
//! signature evidence), a CSV declaration with every error at once, the upcoming debit.

mod api_access;
mod declaration_form;
mod declarations;
mod excel;
mod mandate_check;
mod receipts;

use chrono::NaiveDate;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tahsil::store::{Actor, Role};

use crate::both_backends;
use crate::harness::fixtures::{add_user, employer_with_worksites};
use crate::harness::{TestDb, WebApp, proposal_of, upload_csv};

both_backends!(
    an_employer_signs_a_mandate_declares_by_csv_and_sees_the_upcoming_debit,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let a = employer_with_worksites(&app.store, "16000001", &["W1", "W2"]).await;
        let user = add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
        let browser = app.signed_in("gerant@a.dz").await;
        browser
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;

        let (status, _, location) = browser
            .post("/language", &[("lang", "fr"), ("back", "/portal")])
            .await;
        assert_eq!(
            (status, location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/portal"))
        );
        let response = browser.client.get(app.url("/portal")).send().await.unwrap();
        assert_eq!(
            response.headers()["location"],
            format!("/portal/{a}").as_str()
        );
        let (status, page) = browser.get(&format!("/portal/{a}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Aucun prélèvement prévu"), "{page}");
        assert!(page.contains("Aucun mandat actif"));

        // The key is checked: a wrong key is refused with the reason, nothing recorded.
        let (status, page, _) = browser
            .post(
                &format!("/portal/{a}/mandate"),
                &[("account", "004 00174 4010010504 87")],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("id=\"error\""), "{page}");
        assert!(app.store.list_mandates(a).await.unwrap().is_empty());
        // The right key: the bank named and the consent text shown, nothing recorded.
        let (status, page, _) = browser
            .post(
                &format!("/portal/{a}/mandate"),
                &[("account", "004 00174 4010010504 86")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(app.store.list_mandates(a).await.unwrap().is_empty());
        let bank = app
            .store
            .banks()
            .name("004")
            .expect("the bank table names 004")
            .to_owned();
        assert!(
            page.contains(&format!("id=\"pending-bank\">{bank}<")),
            "bank named: {page}"
        );
        assert!(
            page.contains("****************0486") && !page.contains("4010010504"),
            "masked"
        );
        let proposal = proposal_of(&page).expect("a form to sign");
        assert!(!proposal.contains("4010010504"), "the digits sealed");
        // Signing needs the consent box ticked.
        let sign = format!("/portal/{a}/mandate/sign");
        let (status, page, _) = browser
            .post(
                &sign,
                &[
                    ("proposal", proposal.as_str()),
                    ("signer", "Karim Benali, gérant"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(proposal_of(&page).is_some(), "still there to sign");
        assert!(app.store.list_mandates(a).await.unwrap().is_empty());
        let (status, _, _) = browser
            .post(
                &sign,
                &[
                    ("proposal", proposal.as_str()),
                    ("consent", "yes"),
                    ("signer", "Karim Benali, gérant"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let mut mandates = app.store.list_mandates(a).await.unwrap();
        assert_eq!(mandates.len(), 1, "signing records exactly one mandate");
        let mandate = mandates.remove(0);
        let signed = app.store.mandate(mandate.id).await.unwrap();
        assert_eq!(signed.status.as_str(), "active");
        assert_eq!(
            signed.signed_by.as_deref(),
            Some(format!("Karim Benali, gérant (user {user})").as_str())
        );
        assert_eq!(signed.signature_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(signed.consent_version.as_deref(), Some("2026-01-fr"));
        let shown = tahsil::web::consent_text("fr", "SARL Bâtiment du Sud", &signed).unwrap();
        assert_eq!(
            signed.consent_text_sha256.as_deref(),
            Some(hex::encode(Sha256::digest(shown.as_bytes())).as_str())
        );
        assert_eq!(
            signed.consent_text.as_deref(),
            Some(shown.as_str()),
            "the exact text shown is kept with the signature"
        );

        // A CSV with one bad line: every problem shown, nothing recorded.
        let bad = "code;effectif;masse_salariale;intemperies\nW1;12;1 250 000,00;600 000\nW2;douze;80000,5;0\n";
        let (status, page, _) = upload_csv(&browser, &app, a, "2026-10", bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("Ligne 3, champ effectif (headcount) : « douze » n"),
            "the line and field, in French: {page}"
        );
        assert!(
            app.store.list_declarations(a).await.unwrap().is_empty(),
            "nothing half-imported"
        );
        let good = bad.replace("douze", "12");
        let (status, _, _) = upload_csv(&browser, &app, a, "2026-10", &good).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let declarations = app.store.list_declarations(a).await.unwrap();
        assert_eq!(declarations.len(), 1);
        assert_eq!(declarations[0].lines.len(), 2);
        assert_eq!(declarations[0].lines[0].wage_bill.centimes(), 125_000_000);
        assert_eq!(declarations[0].lines[1].wage_bill.centimes(), 8_000_050);

        // The amount owed, then the planned debit, with the per-worksite breakdown.
        let total = tahsil::web::format_money(declarations[0].total, "fr").unwrap();
        let (_, page) = browser.get(&format!("/portal/{a}")).await;
        assert!(page.contains(&total), "{total} in {page}");
        app.store
            .plan_collections(
                &Actor::new("test"),
                NaiveDate::from_ymd_opt(2099, 1, 15).unwrap(),
                NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(),
            )
            .await
            .unwrap();
        let (_, page) = browser.get(&format!("/portal/{a}")).await;
        assert!(
            page.contains("id=\"upcoming-date\"><bdi>15/01/2099</bdi>"),
            "{page}"
        );
        assert!(page.contains(&total));
        for line in &declarations[0].lines {
            assert!(page.contains(&tahsil::web::format_money(line.total, "fr").unwrap()));
            assert!(page.contains(&line.worksite_code));
        }
        let (status, page) = browser.get(&format!("/portal/{a}/history")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("15/01/2099") && page.contains("Prévu"));
    }
);
