//! Who may do what, over real HTTP on both databases: a form without this visitor's CSRF
//! token is refused, and the role × endpoint matrix — every forbidden access (another
//! employer's ids, staff pages for employer users, portal pages for staff, anything for
//! nobody signed in) is refused and changes nothing.

use chrono::NaiveDate;
use reqwest::StatusCode;
use tahsil::store::{Actor, Role};

use crate::both_backends;
use crate::harness::fixtures::{add_user, employer_with_worksites, planned};
use crate::harness::{PASSWORD, TestDb, WebApp, csrf_of, get_text, upload_csv};

both_backends!(
    a_form_without_the_right_csrf_token_is_refused,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let client = app.browser();
        // No token at all, then a token that is not this visitor's.
        let response = client
            .post(app.url("/login"))
            .form(&[("email", "finance@fund.dz"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let (_, page) = get_text(&client, &app.url("/login")).await;
        let mut wrong = csrf_of(&page);
        wrong.replace_range(0..1, if wrong.starts_with('A') { "B" } else { "A" });
        let response = client
            .post(app.url("/login"))
            .form(&[
                ("csrf", wrong.as_str()),
                ("email", "finance@fund.dz"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        // Signed in, a form posted with the pre-sign-in token is refused too.
        let browser = app.signed_in("finance@fund.dz").await;
        let response = browser
            .client
            .post(app.url("/language"))
            .form(&[
                ("csrf", csrf_of(&page).as_str()),
                ("lang", "fr"),
                ("back", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let (status, _, _) = browser
            .post("/language", &[("lang", "fr"), ("back", "/console")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
);

/// What one request got: status and where it was sent.
async fn status_of(
    client: &reqwest::Client,
    request: reqwest::RequestBuilder,
) -> (StatusCode, String) {
    let _ = client;
    let response = request.send().await.unwrap();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (response.status(), location)
}

both_backends!(
    each_role_reaches_only_what_it_may_and_forbidden_requests_change_nothing,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        // Files for the console download.
        planned(&app.store, 5).await;
        tahsil::cycle::run::run_date(
            &app.store,
            &app.settings,
            &Actor::new("test"),
            NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(),
            "matrix",
        )
        .await
        .unwrap();
        let file_id = app.store.bank_files(None).await.unwrap()[0].id;
        let run_id = app.store.bank_files(None).await.unwrap()[0].run_id;
        let a = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        let b = employer_with_worksites(&app.store, "16000002", &["W1"]).await;
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        add_user(
            &app.store,
            "acct@cabinet.dz",
            Role::Employer,
            &["16000001", "16000002"],
        )
        .await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        add_user(&app.store, "admin@fund.dz", Role::Admin, &[]).await;
        // B has an active mandate and a declaration.
        let accountant = app.signed_in("acct@cabinet.dz").await;
        let (_, _, signed) = accountant
            .check_and_sign(
                b,
                "004 00174 4010010504 86",
                &[("consent", "yes"), ("signer", "Comptable")],
            )
            .await;
        let (status, _) = signed.expect("a proposal to sign");
        assert_eq!(status, StatusCode::SEE_OTHER, "the accountant acts for B");
        let mb = app.store.list_mandates(b).await.unwrap()[0].id;
        let (status, _, _) = upload_csv(&accountant, &app, b, "2026-10", "W1;3;90000,00;0\n").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, page) = accountant.get("/portal").await;
        assert_eq!(status, StatusCode::OK, "several employers: a list");
        assert!(page.contains(&format!("/portal/{a}")) && page.contains(&format!("/portal/{b}")));

        let a_user = app.signed_in("a@a.dz").await;
        let finance = app.signed_in("finance@fund.dz").await;
        let admin = app.signed_in("admin@fund.dz").await;
        let anonymous = app.browser();
        let exception: i64 = sqlx::query_scalar(
            "INSERT INTO exceptions (kind, detail, status, created_at) \
             VALUES ('unmatched', 'x', 'open', '2026-12-15T10:00:00Z') RETURNING id",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();

        let employer_pages = |e: i64| {
            vec![
                format!("/portal/{e}"),
                format!("/portal/{e}/mandate"),
                format!("/portal/{e}/declarations"),
                format!("/portal/{e}/declarations/form"),
                format!("/portal/{e}/declarations/form?period=2026-10"),
                format!("/portal/{e}/history"),
                format!("/portal/{e}/api-access"),
                format!("/portal/{e}/notices"),
                format!("/portal/{e}/disputes"),
            ]
        };
        let console_pages = vec![
            "/console".to_owned(),
            "/console/files".to_owned(),
            "/console/exceptions".to_owned(),
            "/console/quarantine".to_owned(),
            "/console/disputes".to_owned(),
            format!("/console/files/{file_id}/download"),
            "/console/runs".to_owned(),
            format!("/console/runs/{run_id}"),
            "/console/reports".to_owned(),
            "/console/employers".to_owned(),
            format!("/console/employers/{b}"),
            "/console/calendar".to_owned(),
            "/console/rates".to_owned(),
            "/console/jobs".to_owned(),
            "/console/credits".to_owned(),
        ];

        // Employer A's user: its own pages yes; B's pages look nonexistent; console forbidden.
        for path in employer_pages(a) {
            assert_eq!(a_user.get(&path).await.0, StatusCode::OK, "A -> {path}");
        }
        for path in employer_pages(b) {
            let (status, page) = a_user.get(&path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "A -> {path}");
            assert!(!page.contains("16000002"), "nothing of B leaks: {path}");
        }
        for path in &console_pages {
            assert_eq!(
                a_user.get(path).await.0,
                StatusCode::FORBIDDEN,
                "A -> {path}"
            );
        }
        // …and cannot change anything of B's, by B's path or by smuggling B's ids into A's.
        for (path, fields) in [
            (
                format!("/portal/{b}/mandate"),
                vec![("account", "004 00174 4010010504 86")],
            ),
            (format!("/portal/{b}/mandate/{mb}/revoke"), vec![]),
            (
                format!("/portal/{b}/declarations/form"),
                vec![
                    ("period", "2026-10"),
                    ("code.0", "W1"),
                    ("headcount.0", "9"),
                    ("wage_bill.0", "1,00"),
                ],
            ),
            (
                format!("/portal/{b}/declarations/form"),
                vec![
                    ("period", "2026-11"),
                    ("code.0", "W1"),
                    ("headcount.0", "9"),
                    ("wage_bill.0", "1,00"),
                ],
            ),
            (format!("/portal/{a}/mandate/{mb}/revoke"), vec![]),
            (
                format!("/portal/{b}/mandate/{mb}/sign"),
                vec![("consent", "yes"), ("signer", "x")],
            ),
            (
                format!("/portal/{a}/mandate/{mb}/sign"),
                vec![("consent", "yes"), ("signer", "x")],
            ),
            (
                format!("/portal/{b}/mandate/sign"),
                vec![("proposal", "x"), ("consent", "yes"), ("signer", "x")],
            ),
        ] {
            let (status, _, _) = a_user.post(&path, &fields).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "A -> POST {path}");
        }
        let (status, _, _) = upload_csv(&a_user, &app, b, "2026-11", "W1;3;90000,00;0\n").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = a_user
            .post(
                &format!("/console/exceptions/{exception}/resolve"),
                &[("resolution", "mine")],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Nor any console form: calendar, rates, users.
        let calendar = app.store.calendar().await.unwrap();
        let finance_id = app
            .store
            .user_by_email("finance@fund.dz")
            .await
            .unwrap()
            .unwrap()
            .id;
        for (path, fields) in [
            (
                "/console/calendar/add".to_owned(),
                vec![("date", "2026-12-15"), ("name", "x"), ("kind", "fixed")],
            ),
            (
                "/console/calendar/remove".to_owned(),
                vec![("date", "2026-07-05"), ("name", "x")],
            ),
            (
                "/console/rates".to_owned(),
                vec![
                    ("scheme", "paid_leave"),
                    ("rate", "50"),
                    ("valid_from", "2030-01-01"),
                    ("source", "x"),
                ],
            ),
            (
                "/console/users".to_owned(),
                vec![("email", "evil@a.dz"), ("role", "admin")],
            ),
            (format!("/console/users/{finance_id}/disable"), vec![]),
        ] {
            let (status, _, _) = a_user.post(&path, &fields).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "A -> POST {path}");
        }
        assert_eq!(app.store.calendar().await.unwrap(), calendar);
        assert_eq!(app.store.contribution_rates().await.unwrap().len(), 3);
        assert!(
            app.store
                .user_by_email("evil@a.dz")
                .await
                .unwrap()
                .is_none()
        );
        assert!(!app.store.user(finance_id).await.unwrap().disabled);
        // User management is the administrators' only.
        assert_eq!(a_user.get("/console/users").await.0, StatusCode::FORBIDDEN);
        assert_eq!(finance.get("/console/users").await.0, StatusCode::FORBIDDEN);
        assert_eq!(admin.get("/console/users").await.0, StatusCode::OK);
        let mandates_b = app.store.list_mandates(b).await.unwrap();
        assert_eq!(mandates_b.len(), 1);
        assert_eq!(
            mandates_b[0].status.as_str(),
            "active",
            "B's mandate untouched"
        );
        let declarations_b = app.store.list_declarations(b).await.unwrap();
        assert_eq!(declarations_b.len(), 1, "no declaration added to B");
        assert_eq!(
            declarations_b[0].lines[0].wage_bill.centimes(),
            9_000_000,
            "B's declaration unchanged"
        );
        assert_eq!(app.store.exceptions(true).await.unwrap().len(), 1);
        // A session is no API credential.
        for path in [
            format!("/api/v1/employers/{b}"),
            "/api/v1/bank/files".to_owned(),
            format!("/api/v1/bank/files/{file_id}"),
        ] {
            let (status, _) = status_of(&a_user.client, a_user.client.get(app.url(&path))).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "A -> {path}");
        }

        // Staff: the console yes, the portal no.
        for staff in [&finance, &admin] {
            for path in &console_pages {
                assert_eq!(staff.get(path).await.0, StatusCode::OK, "staff -> {path}");
            }
            for path in employer_pages(a) {
                assert_eq!(
                    staff.get(&path).await.0,
                    StatusCode::FORBIDDEN,
                    "staff -> {path}"
                );
            }
        }
        // The console download did not count as the bank's download.
        assert!(
            app.store
                .bank_file(file_id)
                .await
                .unwrap()
                .downloaded_at
                .is_none()
        );

        // Nobody signed in: every page sends to sign in; forms too, changing nothing.
        for path in employer_pages(a).iter().chain(console_pages.iter()).chain(
            [
                "/portal".to_owned(),
                "/".to_owned(),
                "/console/users".to_owned(),
            ]
            .iter(),
        ) {
            let (status, location) = status_of(&anonymous, anonymous.get(app.url(path))).await;
            assert_eq!(
                (status, location.as_str()),
                (StatusCode::SEE_OTHER, "/login"),
                "anonymous -> {path}"
            );
        }
        let (status, location) = status_of(
            &anonymous,
            anonymous
                .post(app.url(&format!("/portal/{b}/mandate/{mb}/revoke")))
                .form(&[("csrf", "x")]),
        )
        .await;
        assert_eq!(
            (status, location.as_str()),
            (StatusCode::SEE_OTHER, "/login")
        );
        let (status, location) = status_of(
            &anonymous,
            anonymous
                .post(app.url(&format!("/portal/{b}/declarations/form")))
                .form(&[
                    ("csrf", "x"),
                    ("period", "2026-10"),
                    ("code.0", "W1"),
                    ("headcount.0", "1"),
                    ("wage_bill.0", "1"),
                ]),
        )
        .await;
        assert_eq!(
            (status, location.as_str()),
            (StatusCode::SEE_OTHER, "/login")
        );
        let (status, _) = status_of(
            &anonymous,
            anonymous
                .post(app.url(&format!("/console/exceptions/{exception}/resolve")))
                .form(&[("csrf", "x"), ("resolution", "anon")]),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.store.list_mandates(b).await.unwrap()[0].status.as_str(),
            "active"
        );
        assert_eq!(app.store.exceptions(true).await.unwrap().len(), 1);

        crate::web::disputes::matrix(
            &app,
            (a, b),
            &accountant,
            &a_user,
            &[&finance, &admin],
            &anonymous,
        )
        .await;

        // The accountant, acting for B, can revoke B's mandate (with its CSRF token only).
        let (status, _) = status_of(
            &accountant.client,
            accountant
                .client
                .post(app.url(&format!("/portal/{b}/mandate/{mb}/revoke")))
                .form(&[("csrf", a_user.csrf.as_str())]),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "another session's CSRF token"
        );
        let (status, _, _) = accountant
            .post(
                &format!("/portal/{b}/mandate/{mb}/revoke"),
                &[("reason", "account_closed")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.store.list_mandates(b).await.unwrap()[0].status.as_str(),
            "revoked"
        );
    }
);
