//! What an employer received, over real HTTP on both databases: printable receipts of
//! settled debits (numbered once), failures explained on the history page with the next
//! attempt, and the notices received — each employer its own, nobody else's.

use std::time::Duration;

use reqwest::StatusCode;
use tahsil::store::Role;

use super::super::{folder_mailer, notice_settings};
use crate::both_backends;
use crate::harness::fixtures::{add_user, one_cycle};
use crate::harness::{TestDb, WebApp, get_text};

both_backends!(
    receipts_failures_and_notices_received_each_employer_its_own,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let cycle = one_cycle(&app).await;
        let (a, b) = (cycle.a, cycle.b);
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        add_user(&app.store, "b@b.dz", Role::Employer, &["16000002"]).await;
        let user_a = app.signed_in("a@a.dz").await;
        let user_b = app.signed_in("b@b.dz").await;
        user_a
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;

        // History: the settled debit links to its receipt.
        let (status, page) = user_a.get(&format!("/portal/{a}/history")).await;
        assert_eq!(status, StatusCode::OK);
        let receipt_path = format!("/portal/{a}/receipts/{}", cycle.a_settled);
        assert!(
            page.contains(&format!("href=\"{receipt_path}\"")) && page.contains("Payé"),
            "{page}"
        );

        // The receipt, before the receipt notice went out: its number is given now, once.
        let (status, page) = user_a.get(&receipt_path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let number: String =
            sqlx::query_scalar("SELECT number FROM receipts WHERE collection_id = $1")
                .bind(cycle.a_settled)
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert!(
            number.starts_with("RC-2026-") && number.len() == 16,
            "{number}"
        );
        assert!(
            page.contains(&format!("id=\"receipt-number\">{number}<")),
            "{page}"
        );
        let collection = app
            .store
            .collection_detail(a, cycle.a_settled)
            .await
            .unwrap();
        let amount = tahsil::web::format_money(collection.amount, "fr").unwrap();
        assert!(
            page.contains(&format!("id=\"receipt-amount\">{amount}<")),
            "{page}"
        );
        for w in &collection.worksites {
            assert!(page.contains(&tahsil::web::format_money(w.amount, "fr").unwrap()));
            assert!(page.contains(&format!(
                "{} — Chantier {}",
                w.worksite_code, w.worksite_code
            )));
        }
        assert!(
            page.contains("id=\"receipt-account\">****************0486<")
                && !page.contains("4010010504")
        );
        assert!(
            page.contains("CACOBATPH")
                && page.contains("SARL Bâtiment du Sud")
                && page.contains("16000001")
        );
        assert!(
            page.contains("class=\"no-print\""),
            "the print hint hides when printed"
        );
        assert!(
            !page.contains("style=") && !page.contains("<script"),
            "CSP: no inline style or script"
        );
        let (_, css) = get_text(&user_a.client, &app.url("/static/app.css")).await;
        assert!(
            css.contains("@media print") && css.contains(".no-print"),
            "{css}"
        );
        assert_eq!(
            user_a.get(&receipt_path).await.1.matches(&number).count(),
            2,
            "same number again (title and heading)"
        );

        // Nobody else's receipts, and no receipt for a debit not settled.
        for path in [
            format!("/portal/{a}/receipts/{}", cycle.b_rejected),
            format!("/portal/{b}/receipts/{}", cycle.a_settled),
            format!("/portal/{b}/receipts/{}", cycle.b_rejected),
        ] {
            let (status, page) = user_a.get(&path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "A -> {path}");
            assert!(!page.contains("16000002"));
        }
        assert_eq!(user_b.get(&receipt_path).await.0, StatusCode::NOT_FOUND);
        let (status, _) = user_b
            .get(&format!("/portal/{b}/receipts/{}", cycle.b_rejected))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "rejected: no receipt");

        // B's failure on its history: the reason in plain words, what to do, the next attempt.
        user_b
            .post("/language", &[("lang", "ar"), ("back", "/")])
            .await;
        let (_, page) = user_b.get(&format!("/portal/{b}/history")).await;
        use bank_formats::reasons::ReasonCategory;
        assert!(
            page.contains(ReasonCategory::InsufficientFunds.text_ar()),
            "{page}"
        );
        assert!(
            page.contains("AM04") && page.contains("22/12/2026"),
            "{page}"
        );
        assert!(
            page.contains("لم يتم، تقديم جديد مبرمج"),
            "state in Arabic: {page}"
        );
        user_b
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;
        let (_, page) = user_b.get(&format!("/portal/{b}/history")).await;
        assert!(
            page.contains(ReasonCategory::InsufficientFunds.text_fr()),
            "{page}"
        );
        assert!(
            page.contains("Nouvelle présentation le 22/12/2026"),
            "{page}"
        );
        assert!(!page.contains("/receipts/"), "no receipt for B");

        // Notices received: deliver them (the .eml transport), then each employer lists its own.
        let mail = tempfile::tempdir().unwrap();
        tahsil::notices::deliver_all(
            &app.store,
            &folder_mailer(mail.path()),
            &notice_settings(None),
            "t",
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        let (status, page) = user_a.get(&format!("/portal/{a}/notices")).await;
        assert_eq!(status, StatusCode::OK);
        let notices_a = app.store.notices_for_employer(a, 100).await.unwrap();
        let receipt_notice = notices_a
            .iter()
            .find(|n| n.kind.as_str() == "receipt")
            .unwrap();
        assert!(
            receipt_notice.subject.as_deref().unwrap().contains(&number),
            "the emailed receipt has the same number"
        );
        for n in &notices_a {
            assert!(
                page.contains(&format!("/portal/{a}/notices/{}", n.id)),
                "{page}"
            );
        }
        assert!(
            page.contains("Reçu") && page.contains("Avis de prélèvement"),
            "{page}"
        );
        let (status, page) = user_a
            .get(&format!("/portal/{a}/notices/{}", receipt_notice.id))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("id=\"notice-text\"") && page.contains(&number),
            "{page}"
        );
        let notices_b = app.store.notices_for_employer(b, 100).await.unwrap();
        let failure = notices_b
            .iter()
            .find(|n| n.kind.as_str() == "failure_notice")
            .unwrap();
        for (user, path) in [
            (&user_a, format!("/portal/{a}/notices/{}", failure.id)),
            (&user_a, format!("/portal/{b}/notices/{}", failure.id)),
            (
                &user_b,
                format!("/portal/{b}/notices/{}", receipt_notice.id),
            ),
            (&user_b, format!("/portal/{a}/notices")),
        ] {
            let (status, page) = user.get(&path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(!page.contains(&number) && !page.contains("AM04"), "{path}");
        }
        let (_, page) = user_b.get(&format!("/portal/{b}/notices")).await;
        assert!(
            page.contains("Prélèvement non abouti") && !page.contains(&number),
            "{page}"
        );
    }
);
