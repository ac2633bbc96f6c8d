//! The console's user management over real HTTP, on both databases: administrators
//! invite, disable and enable users; finance staff cannot.

use reqwest::StatusCode;
use tahsil::store::Role;

use super::french;
use crate::both_backends;
use crate::harness::fixtures::{add_user, employer_with_worksites};
use crate::harness::{PASSWORD, TestDb, WebApp, csrf_of, get_text};

both_backends!(
    administrators_invite_disable_and_enable_users,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        let (finance_id, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (admin_id, admin) = french(&app, "admin@fund.dz", Role::Admin).await;
        let never = add_user(&app.store, "dormant@fund.dz", Role::Finance, &[]).await;

        // Finance staff: no user management, not even in the navigation.
        let (_, page) = finance.get("/console").await;
        assert!(!page.contains("/console/users"));
        assert_eq!(finance.get("/console/users").await.0, StatusCode::FORBIDDEN);
        let (status, _, _) = finance
            .post(
                "/console/users",
                &[("email", "x@fund.dz"), ("role", "admin")],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = finance
            .post(&format!("/console/users/{admin_id}/disable"), &[])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            app.store
                .user_by_email("x@fund.dz")
                .await
                .unwrap()
                .is_none()
        );
        assert!(!app.store.user(admin_id).await.unwrap().disabled);

        let (status, page) = admin.get("/console").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("href=\"/console/users\""));
        let (status, page) = admin.get("/console/users").await;
        assert_eq!(status, StatusCode::OK);
        let signed_in: String = sqlx::query_scalar(
            "SELECT MAX(at) FROM audit_log WHERE action = 'user.signed_in' AND entity_id = $1",
        )
        .bind(finance_id.to_string())
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        // As the Algiers time it was, never the stored UTC timestamp.
        let signed_in = tahsil::locale::page_moment(&signed_in);
        assert!(
            page.contains(&format!(
                "<td><bdi>{signed_in}</bdi></td><td class=\"state\">Actif</td>"
            )),
            "{page}"
        );
        assert!(
            page.contains(&format!("id=\"user-{never}\"")) && page.contains("<bdi>Jamais</bdi>")
        );
        assert!(
            !page.contains(&format!("id=\"disable-{admin_id}\"")),
            "not oneself"
        );

        // Create: every problem said, nothing recorded.
        for (fields, expected) in [
            (
                vec![("email", "not-an-email"), ("role", "finance")],
                "Adresse e-mail invalide.",
            ),
            (
                vec![("email", "e@cabinet.dz"), ("role", "employer")],
                "au moins un employeur",
            ),
            (
                vec![
                    ("email", "e@cabinet.dz"),
                    ("role", "finance"),
                    ("employers", "16000001"),
                ],
                "laissez ce champ vide",
            ),
            (
                vec![
                    ("email", "e@cabinet.dz"),
                    ("role", "employer"),
                    ("employers", "16000001 16999999"),
                ],
                "Aucun employeur n",
            ),
            (
                vec![("email", "e@cabinet.dz"), ("role", "root")],
                "Choisissez un rôle",
            ),
            (
                vec![("email", "Finance@fund.dz"), ("role", "finance")],
                "Un utilisateur a déjà cette adresse e-mail.",
            ),
        ] {
            let (status, page, _) = admin.post("/console/users", &fields).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
            assert!(page.contains(expected), "{expected}: {page}");
        }
        assert!(
            app.store
                .user_by_email("e@cabinet.dz")
                .await
                .unwrap()
                .is_none()
        );

        let (status, _, location) = admin
            .post(
                "/console/users",
                &[
                    ("email", "e@cabinet.dz"),
                    ("display_name", "Cabinet E"),
                    ("role", "employer"),
                    ("employers", "16000001"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = admin.get(location.as_deref().unwrap()).await;
        assert!(page.contains("Utilisateur créé."));
        let created = app
            .store
            .user_by_email("e@cabinet.dz")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (created.role, created.employer_ids.len()),
            (Role::Employer, 1)
        );
        let trail = app.store.audit_trail("user", created.id).await.unwrap();
        assert_eq!(trail[0].action.as_str(), "user.created");
        assert_eq!(trail[0].actor, format!("user:{admin_id}"));
        // No password was typed by anyone: the person sets one through the queued link.
        let hash: Option<String> =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(created.id)
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert!(hash.is_none());
        let email = app
            .store
            .password_reset_emails()
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.user_id == created.id)
            .expect("an invitation queued");
        let expires = chrono::DateTime::parse_from_rfc3339(&email.expires_at).unwrap();
        assert!(expires > chrono::Utc::now() + chrono::Duration::hours(71));
        let client = app.browser();
        let (_, login) = get_text(&client, &app.url("/login")).await;
        let response = client
            .post(app.url("/login"))
            .form(&[
                ("csrf", csrf_of(&login).as_str()),
                ("email", "e@cabinet.dz"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_ne!(response.status(), StatusCode::SEE_OTHER, "no password yet");
        app.store
            .reset_password(&email.token, PASSWORD)
            .await
            .unwrap();
        let employer_user = app.signed_in("e@cabinet.dz").await;
        assert_eq!(
            employer_user.get("/console/users").await.0,
            StatusCode::FORBIDDEN
        );

        // Disable: the session ends at once; enable: signing in works again.
        let (status, _, _) = admin
            .post(&format!("/console/users/{finance_id}/disable"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) = finance.get("/console").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "signed out");
        let (_, page) = admin.get("/console/users").await;
        assert!(page.contains(&format!("id=\"enable-{finance_id}\"")));
        let (status, _, _) = admin
            .post(&format!("/console/users/{finance_id}/enable"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let again = app.signed_in("finance@fund.dz").await;
        assert_eq!(again.get("/console").await.0, StatusCode::OK);
        let actions: Vec<String> = app
            .store
            .audit_trail("user", finance_id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .filter(|a| a != "user.signed_in")
            .collect();
        assert_eq!(actions, ["user.created", "user.disabled", "user.enabled"]);
        // Not oneself.
        let (status, page, _) = admin
            .post(&format!("/console/users/{admin_id}/disable"), &[])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Vous ne pouvez pas désactiver votre propre compte."));
        assert!(!app.store.user(admin_id).await.unwrap().disabled);
    }
);
