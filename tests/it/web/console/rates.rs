//! The console's contribution rates over real HTTP, on both databases: administrators
//! add dated rates, which declarations then use.

use chrono::{Datelike, NaiveDate};
use reqwest::StatusCode;
use tahsil::store::{NewDeclaration, NewDeclarationLine, Role};

use super::french;
use crate::both_backends;
use crate::harness::fixtures::{actor, d, employer_with_worksites};
use crate::harness::{Browser, TestDb, WebApp};

async fn post_rate(
    browser: &Browser,
    rate: &str,
    valid_from: &str,
) -> (StatusCode, String, Option<String>) {
    browser
        .post(
            "/console/rates",
            &[
                ("scheme", "paid_leave"),
                ("rate", rate),
                ("valid_from", valid_from),
                ("source", "Décret exécutif test"),
            ],
        )
        .await
}

/// The first day of the month after the fund's today.
fn next_month() -> NaiveDate {
    let today = (chrono::Utc::now() + chrono::Duration::hours(1)).date_naive();
    let (y, m) = if today.month() == 12 {
        (today.year() + 1, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    d(y, m, 1)
}

both_backends!(
    administrators_add_dated_rates_that_declarations_then_use,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (admin_id, admin) = french(&app, "admin@fund.dz", Role::Admin).await;
        let (status, page) = finance.get("/console/rates").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("<bdi>12,21</bdi>") && page.contains("Congés payés"));
        assert!(
            page.contains("Seuls les administrateurs peuvent ajouter un taux.")
                && !page.contains("id=\"add-rate\"")
        );
        let from = next_month();
        let (status, _, _) = post_rate(&finance, "12,5", &from.to_string()).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "finance staff may not add rates"
        );
        assert_eq!(app.store.contribution_rates().await.unwrap().len(), 3);

        // Refused: not a rate, in the past, not the first of a month.
        for (rate, date, expected) in [
            ("douze", from.to_string(), "Taux invalide"),
            (
                "12,5",
                "2020-01-01".to_owned(),
                "Un nouveau taux doit commencer après aujourd&#39;hui",
            ),
            (
                "12,5",
                (from + chrono::Duration::days(1)).to_string(),
                "Un taux commence le premier jour d&#39;un mois",
            ),
            ("12,5", "2027-13-01".to_owned(), "Date invalide"),
        ] {
            let (status, page, _) = post_rate(&admin, rate, &date).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rate} {date}");
            assert!(page.contains(expected), "{expected}: {page}");
        }
        assert_eq!(app.store.contribution_rates().await.unwrap().len(), 3);

        let (status, _, location) = post_rate(&admin, "12,5", &from.to_string()).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = admin.get(location.as_deref().unwrap()).await;
        assert!(page.contains("Taux ajouté."));
        assert!(page.contains("<bdi>12,5</bdi>") && page.contains("Décret exécutif test"));
        let day_before = (from - chrono::Duration::days(1))
            .format("%d/%m/%Y")
            .to_string();
        assert!(
            page.contains(&format!("<td><bdi>{day_before}</bdi></td>")),
            "the old rate ends the day before"
        );
        let rates = app.store.contribution_rates().await.unwrap();
        let added = rates.iter().find(|r| r.rate_ppm == 125_000).unwrap();
        assert_eq!(added.valid_from, from.to_string());
        let trail = app
            .store
            .audit_trail("contribution_rate", added.id)
            .await
            .unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0].action.as_str(), "rate.added");
        assert_eq!(trail[0].actor, format!("user:{admin_id}"));
        // The same start again: refused.
        let (status, page, _) = post_rate(&admin, "13", &from.to_string()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("ajoutez les taux dans l&#39;ordre des dates"),
            "{page}"
        );

        // A declaration for a period from then on is computed with the new rate.
        let e = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        let period = format!("{:04}-{:02}", from.year(), from.month());
        let declaration = app
            .store
            .submit_declaration(
                &actor(),
                e,
                NewDeclaration {
                    period: period.parse().unwrap(),
                    lines: vec![NewDeclarationLine {
                        worksite_code: "W1".to_owned(),
                        headcount: 1,
                        wage_bill: mandates::Amount::parse("100000.00").unwrap(),
                        bad_weather_base: mandates::Amount::ZERO,
                    }],
                },
            )
            .await
            .unwrap();
        assert_eq!(
            declaration.lines[0].paid_leave.centimes(),
            1_250_000,
            "12.5 % of 100,000.00"
        );
    }
);
