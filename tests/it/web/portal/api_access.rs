//! The portal's "API access" page over real HTTP, on both databases: an employer user
//! makes, lists and revokes personal tokens (shown once, stored hashed), which then work
//! on the employer API until revoked.

use reqwest::StatusCode;
use tahsil::store::Role;

use crate::both_backends;
use crate::harness::fixtures::{add_user, employer_with_worksites};
use crate::harness::{TestDb, WebApp, get};

both_backends!(
    employer_users_make_list_and_revoke_their_tokens_in_the_portal,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let a = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        let b = employer_with_worksites(&app.store, "16000002", &["W1"]).await;
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        add_user(&app.store, "b@b.dz", Role::Employer, &["16000002"]).await;
        let browser = app.signed_in("a@a.dz").await;
        browser
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;
        let page_path = format!("/portal/{a}/api-access");
        let (status, page) = browser.get(&page_path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("Aucun jeton.") && page.contains("16000001"),
            "{page}"
        );
        assert!(
            page.contains(&format!(
                "href=\"/portal/{a}/api-access\" aria-current=\"page\""
            )),
            "in the navigation"
        );

        let (status, page, _) = browser.post(&page_path, &[("label", "  ")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Donnez un nom au jeton"), "{page}");
        let (status, page, _) = browser
            .post(&page_path, &[("label", "Logiciel de paie")])
            .await;
        assert_eq!(status, StatusCode::OK);
        let marker = "id=\"new-token\" dir=\"ltr\">";
        let start = page.find(marker).expect("the new token, shown once") + marker.len();
        let token = page[start..start + page[start..].find('<').unwrap()].to_owned();
        assert!(token.starts_with("tahsil_user_"), "{token}");
        assert!(page.contains("il ne sera plus jamais affiché"));

        let (status, me) = get(&app, "/api/v1/me", &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["employers"][0]["id"], a);
        let (_, page) = browser.get(&page_path).await;
        assert!(!page.contains(&token), "never shown again");
        assert!(
            page.contains("Logiciel de paie") && !page.contains("jamais</bdi>"),
            "used: {page}"
        );

        // Employer B's user: does not see A's token, cannot open A's page or revoke it.
        let token_id = app.store.all_user_api_tokens().await.unwrap()[0].id;
        let other = app.signed_in("b@b.dz").await;
        let (status, page) = other.get(&format!("/portal/{b}/api-access")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!page.contains("Logiciel de paie"));
        assert_eq!(other.get(&page_path).await.0, StatusCode::NOT_FOUND);
        for path in [
            format!("/portal/{b}/api-access/{token_id}/revoke"),
            format!("/portal/{a}/api-access/{token_id}/revoke"),
        ] {
            let (status, _, _) = other.post(&path, &[]).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        let (status, _, _) = other.post(&page_path, &[("label", "intrus")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(get(&app, "/api/v1/me", &token).await.0, StatusCode::OK);

        // Arabic too.
        browser
            .post("/language", &[("lang", "ar"), ("back", "/")])
            .await;
        let (_, page) = browser.get(&page_path).await;
        assert!(
            page.contains("الوصول عبر واجهة البرمجة") && page.contains("إلغاء"),
            "{page}"
        );

        let (status, _, location) = browser
            .post(&format!("/portal/{a}/api-access/{token_id}/revoke"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.unwrap(),
            format!("/portal/{a}/api-access?done=revoked")
        );
        assert_eq!(
            get(&app, "/api/v1/me", &token).await.0,
            StatusCode::UNAUTHORIZED
        );
        let (_, page) = browser.get(&format!("{page_path}?done=revoked")).await;
        assert!(
            page.contains("تم إلغاء الرمز") && page.contains("أُلغي في"),
            "{page}"
        );
        let trail = app
            .store
            .audit_trail("user_api_token", token_id)
            .await
            .unwrap();
        assert_eq!(trail.len(), 2, "created and revoked, audited");
    }
);
