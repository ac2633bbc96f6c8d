//! The portal's extras over real HTTP, on both databases: printable receipts, failures
//! explained on the history page, the notices received, declarations corrected until the
//! cut-off with plausibility warnings, and password-reset emails with a working link.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tahsil::notices::{Mailer, NoticeSettings, RenderContext, Transport};
use tahsil::store::{Actor, Role};

use crate::both_backends;
use crate::cycle::signed_mandate;
use crate::harness::TestDb;
use crate::store::employer_with_worksites;
use crate::web::{PASSWORD, WebApp, add_user, csrf_of, get_text, upload_csv};
use crate::web_employer_api::{call, d, declare, one_cycle, user_token};

fn folder_mailer(dir: &std::path::Path) -> Mailer {
    Mailer::new(
        Transport::Folder(dir.to_path_buf()),
        "CACOBATPH <avis@cacobatph.dz>",
        None,
    )
    .unwrap()
}

fn settings(portal_url: Option<String>) -> NoticeSettings {
    NoticeSettings {
        poll: Duration::from_millis(100),
        render: RenderContext {
            portal_url,
            reply_to: None,
            notice_days: 5,
        },
        ..NoticeSettings::default()
    }
}

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
            &settings(None),
            "t",
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        let (status, page) = user_a.get(&format!("/portal/{a}/notices")).await;
        assert_eq!(status, StatusCode::OK);
        let notices_a = app.store.notices_for_employer(a, 100).await.unwrap();
        let receipt_notice = notices_a.iter().find(|n| n.kind == "receipt").unwrap();
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
            .find(|n| n.kind == "failure_notice")
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

both_backends!(
    declarations_stay_correctable_until_planned_and_sharp_changes_are_flagged,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
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

both_backends!(
    a_reset_request_leads_to_an_email_with_a_working_link,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let user = add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        app.store.set_user_language(user, "fr").await.unwrap();
        let client = app.browser();
        let (_, page) = get_text(&client, &app.url("/password/forgot")).await;
        let response = client
            .post(app.url("/password/forgot"))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("email", "finance@fund.dz"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);

        // The notice worker of `serve`, on the .eml folder.
        let mail = tempfile::tempdir().unwrap();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(tahsil::notices::run_loop(
            app.store.clone(),
            folder_mailer(mail.path()),
            settings(Some(app.url(""))),
            "worker".to_owned(),
            stopped,
        ));
        let deadline = Instant::now() + Duration::from_secs(20);
        let file = loop {
            let found = std::fs::read_dir(mail.path())
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|e| e == "eml"));
            if let Some(file) = found {
                break file;
            }
            assert!(Instant::now() < deadline, "no reset email written");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let raw = std::fs::read(&file).unwrap();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address()),
            Some("finance@fund.dz")
        );
        assert!(message.subject().unwrap().contains("Réinitialisation"));
        let text = message.body_text(0).unwrap().into_owned();
        let start = text
            .find(&app.url("/password/reset?token="))
            .expect("an absolute link");
        let link: String = text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        assert!(
            message
                .body_html(0)
                .unwrap()
                .contains(&format!("href=\"{link}\""))
        );
        // Sent: the token is no longer kept in any form but its hash.
        let (status, encrypted): (String, Option<String>) =
            sqlx::query_as("SELECT status, token_encrypted FROM password_resets")
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert_eq!((status.as_str(), encrypted), ("sent", None));

        // The link works: the reset page, a new password, sign in with it.
        let (status, page) = get_text(&client, &link).await;
        assert_eq!(status, StatusCode::OK);
        let token = link.rsplit("token=").next().unwrap();
        assert!(page.contains(token), "the form carries the token");
        let response = client
            .post(app.url("/password/reset"))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("token", token),
                ("password", "a brand new password"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let signed_in = app
            .store
            .sign_in("finance@fund.dz", "a brand new password", "127.0.0.1")
            .await
            .unwrap();
        assert!(matches!(signed_in, tahsil::store::SignIn::Accepted { .. }));
        assert!(matches!(
            app.store
                .sign_in("finance@fund.dz", PASSWORD, "127.0.0.1")
                .await
                .unwrap(),
            tahsil::store::SignIn::Refused
        ));

        // Sent once: the worker kept running and wrote nothing more.
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.send(true).unwrap();
        worker.await.unwrap();
        assert_eq!(std::fs::read_dir(mail.path()).unwrap().count(), 1);
    }
);
