//! Issue 20 over real HTTP, on both databases: revoking a mandate asks first on a page of
//! its own (what stays owed, the planned debits, a reason), a wrong address and a form's
//! address opened as a page answer real pages in both languages, and a page shown in
//! answer to a refused form switches language back to the page the form was on.

use reqwest::StatusCode;
use tahsil::store::Role;

use crate::both_backends;
use crate::harness::fixtures::{add_user, one_cycle};
use crate::harness::{TestDb, WebApp};

both_backends!(
    revoking_a_mandate_asks_first_and_says_what_it_leaves,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        // B: a CCP mandate, a debit rejected and its retry planned on the 22nd.
        let cycle = one_cycle(&app).await;
        let b = cycle.b;
        add_user(&app.store, "gerant@b.dz", Role::Employer, &["16000002"]).await;
        let browser = app.signed_in("gerant@b.dz").await;
        browser
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;
        let mandate = app.store.list_mandates(b).await.unwrap().remove(0);
        let (status, page) = browser.get(&format!("/portal/{b}/mandate")).await;
        assert_eq!(status, StatusCode::OK);
        let confirm = format!("/portal/{b}/mandate/{}/revoke", mandate.id);
        assert!(
            page.contains(&format!("href=\"{confirm}\" id=\"revoke-link\"")),
            "a link to the confirmation, not a one-click form: {page}"
        );
        assert!(!page.contains(&format!("action=\"{confirm}\"")), "{page}");

        let (status, page) = browser.get(&confirm).await;
        assert_eq!(status, StatusCode::OK);
        let retry = app.store.debit(cycle.b_retry).await.unwrap();
        let amount = tahsil::web::format_money(retry.amount, "fr").unwrap();
        let planned = page
            .split("id=\"planned-debits\"")
            .nth(1)
            .expect("the planned debits listed");
        assert!(
            planned.contains("<bdi>22/12/2026</bdi>") && planned.contains(&amount),
            "{page}"
        );
        assert!(
            page.contains("id=\"owed\">Ce qui reste dû") && page.contains(&amount),
            "what stays owed: {page}"
        );
        assert!(page.contains("class=\"danger\""), "{page}");

        // No reason: refused, nothing changed.
        let (status, page, _) = browser.post(&confirm, &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert_eq!(
            app.store.mandate(mandate.id).await.unwrap().status.as_str(),
            "active"
        );
        // A reason: revoked, said so on the mandate page; its confirmation is gone.
        let (status, _, location) = browser
            .post(&confirm, &[("reason", "account_closed")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = location.unwrap();
        assert_eq!(location, format!("/portal/{b}/mandate?done=revoked"));
        let (_, page) = browser.get(&location).await;
        assert!(page.contains("id=\"notice\">Mandat révoqué"), "{page}");
        assert!(!page.contains("id=\"revoke-link\""), "{page}");
        let revoked = app.store.mandate(mandate.id).await.unwrap();
        assert_eq!(revoked.status.as_str(), "revoked");
        let (status, _) = browser.get(&confirm).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "nothing left to confirm");
        let reason: String = sqlx::query_scalar("SELECT status_reason FROM mandates WHERE id = $1")
            .bind(mandate.id)
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        assert!(reason.ends_with("account_closed"), "{reason}");
    }
);

both_backends!(
    wrong_addresses_and_methods_answer_pages_in_both_languages,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let client = app.browser();
        for (path, status) in [
            ("/nowhere", StatusCode::NOT_FOUND),
            ("/portal/1/mandate/1/sign", StatusCode::METHOD_NOT_ALLOWED),
            ("/console/calendar/add", StatusCode::METHOD_NOT_ALLOWED),
        ] {
            let response = client
                .get(app.url(path))
                .header("accept-language", "fr")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), status, "{path}");
            let page = response.text().await.unwrap();
            assert!(page.contains("<html lang=\"fr\""), "{path}: {page}");
            assert!(
                page.contains("lang=\"ar\" dir=\"rtl\" class=\"other-language\""),
                "the other language too: {page}"
            );
            assert!(page.contains("href=\"/\" id=\"home\""), "{page}");
        }
        // The JSON API keeps its own JSON answer.
        let response = client.get(app.url("/api/v1/nowhere")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(
            response
                .headers()
                .get("content-type")
                .is_some_and(|v| v.to_str().unwrap().starts_with("application/json"))
        );
    }
);

both_backends!(
    a_refused_form_switches_language_back_to_the_page_it_was_on,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let finance = app.signed_in("finance@fund.dz").await;
        let response = finance
            .client
            .post(app.url("/console/calendar/add"))
            .header("referer", app.url("/console/calendar?year=2027"))
            .form(&[
                ("csrf", finance.csrf.as_str()),
                ("date", "not a date"),
                ("name", "x"),
                ("kind", "fixed"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await.unwrap();
        assert!(
            page.contains("name=\"back\" value=\"/console/calendar?year=2027\""),
            "{page}"
        );
        // Another site's address is never followed back.
        let response = finance
            .client
            .post(app.url("/console/calendar/add"))
            .header("referer", "https://elsewhere.example/console")
            .form(&[
                ("csrf", finance.csrf.as_str()),
                ("date", "not a date"),
                ("name", "x"),
            ])
            .send()
            .await
            .unwrap();
        let page = response.text().await.unwrap();
        assert!(page.contains("name=\"back\" value=\"/\""), "{page}");
    }
);
