//! The console's employers over real HTTP, on both databases: found by search and shown
//! whole to staff.

use reqwest::StatusCode;
use tahsil::store::{NewDeclaration, NewDeclarationLine, Role};

use super::{french, money};
use crate::both_backends;
use crate::harness::fixtures::{actor, d, employer_with_worksites, signed_mandate};
use crate::harness::{TestDb, WebApp};

both_backends!(
    an_employer_is_found_and_shown_whole_to_staff,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        tahsil::demo::seed(&app.store, 55, 1, "2026-10", 3, |_| {})
            .await
            .unwrap();
        let a = employer_with_worksites(&app.store, "16999001", &["W1", "W2"]).await;
        signed_mandate(&app.store, a, "004 00174 4010010504 86", Some("500000.00")).await;
        app.store
            .submit_declaration(
                &actor(),
                a,
                NewDeclaration {
                    period: "2026-10".parse().unwrap(),
                    lines: vec![NewDeclarationLine {
                        worksite_code: "W1".to_owned(),
                        headcount: 4,
                        wage_bill: mandates::Amount::parse("100000.00").unwrap(),
                        bad_weather_base: mandates::Amount::parse("40000.00").unwrap(),
                    }],
                },
            )
            .await
            .unwrap();
        app.store
            .plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 1))
            .await
            .unwrap();
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;

        // Paginated: 56 employers, 50 a page.
        let (status, page) = finance.get("/console/employers").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page.matches("<a href=\"/console/employers/").count(), 50);
        let next = page
            .split("id=\"next-page\"")
            .next()
            .and_then(|s| s.rsplit("href=\"").next())
            .map(|s| {
                s.trim_end_matches("\" ")
                    .trim_end_matches('"')
                    .replace("&#38;", "&")
            })
            .unwrap();
        let (_, page) = finance.get(&next).await;
        assert_eq!(
            page.matches("<a href=\"/console/employers/").count(),
            6,
            "{next}"
        );
        assert!(page.contains(&format!("/console/employers/{a}\"")));
        assert!(!page.contains("id=\"next-page\""));
        // By affiliation number, or by a part of the name.
        let (_, page) = finance.get("/console/employers?q=16999001").await;
        assert_eq!(page.matches("<a href=\"/console/employers/").count(), 1);
        let (_, page) = finance.get("/console/employers?q=b%C3%A2timent%20DU").await;
        assert!(
            page.contains(&format!("/console/employers/{a}\"")),
            "{page}"
        );
        let (_, page) = finance.get("/console/employers?q=%25%25nothing").await;
        assert!(page.contains("Aucun employeur ne correspond."));

        let (status, page) = finance.get(&format!("/console/employers/{a}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("16999001") && page.contains("SARL Bâtiment du Sud"));
        assert!(page.contains("شركة البناء الجنوبية"), "the other name too");
        assert!(page.contains("<td><bdi>W1</bdi></td>") && page.contains("<td><bdi>W2</bdi></td>"));
        // The mandate: masked account, status and the signature's evidence.
        let mandate = app.store.list_mandates(a).await.unwrap().remove(0);
        assert!(page.contains(&mandate.account_masked) && !page.contains("4010010504"));
        assert!(page.contains("<td class=\"status\">Actif</td>"));
        assert!(
            page.contains("192.0.2.1")
                && page.contains(mandate.consent_text_sha256.as_deref().unwrap())
        );
        assert!(
            page.contains(mandate.consent_text.as_deref().unwrap()),
            "the exact text signed"
        );
        assert!(page.contains(&money(50_000_000)), "ceiling");
        // Declaration, planned collection, notices and the audit trail.
        let declaration = app.store.list_declarations(a).await.unwrap().remove(0);
        assert!(page.contains(&money(declaration.total.centimes())));
        assert!(
            page.contains("<td><bdi>15/12/2026</bdi></td><td>Banque</td>"),
            "{page}"
        );
        assert!(page.contains("<td><span class=\"badge plain\">Planifié</span></td>"));
        assert!(
            page.contains("<td>Préavis</td><td>En attente</td>"),
            "{page}"
        );
        // In words, the stored code kept in the collapsed technical detail.
        for (action, words) in [
            ("employer.created", "Employeur créé"),
            ("worksite.created", "Chantier ajouté"),
            ("mandate.signed", "Mandat signé"),
            ("declaration.submitted", "Déclaration déposée"),
        ] {
            assert!(page.contains(&format!("<td>{words}</td>")), "{action}");
            assert!(
                page.contains(&format!("<code dir=\"ltr\">{action} ")),
                "{action}"
            );
        }
        // Another employer's trail is not in this one.
        employer_with_worksites(&app.store, "16999002", &["W1"]).await;
        let (_, page) = finance.get(&format!("/console/employers/{a}")).await;
        assert_eq!(
            page.matches("<code dir=\"ltr\">employer.created ").count(),
            1
        );
        assert_eq!(
            finance.get("/console/employers/999999").await.0,
            StatusCode::NOT_FOUND
        );
    }
);
