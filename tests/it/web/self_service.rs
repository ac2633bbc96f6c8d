//! Self-service over real HTTP, on both databases (issue 20 point 3): an employer enrols
//! with the activation code the fund issued (a wrong, expired or reused code refused, the
//! attempts throttled); its owner invites colleagues with a capacity that every portal
//! action checks, and changes a colleague's capacity in place; the profile changes the
//! password and the e-mail address (confirmed by a link first); staff sign in with a TOTP
//! second step, required for administrators, a code never accepted twice; finance staff
//! turn theirs off with a fresh code, administrators cannot, and reset another user's
//! (audited).

use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::store::{Actor, MAX_ENROLMENTS_PER_EMPLOYER, Role};

use crate::both_backends;
use crate::harness::fixtures::{add_user, employer_with_worksites, one_cycle};
use crate::harness::{
    Browser, PASSWORD, TestDb, WebApp, csrf_of, get_text, text_of_id, upload_csv,
};

/// Posts the enrolment form from a fresh browser: status, page and redirect.
async fn enrol(
    app: &WebApp,
    affiliation: &str,
    code: &str,
    email: &str,
) -> (StatusCode, String, Option<String>) {
    let client = app.browser();
    let (_, page) = get_text(&client, &app.url("/enrol")).await;
    let response = client
        .post(app.url("/enrol"))
        .header("accept-language", "fr")
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("affiliation", affiliation),
            ("code", code),
            ("name", "Gérant"),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, response.text().await.unwrap(), location)
}

/// The link the mailer would send to `email` (its token), taken from the store's queue.
async fn queued_token(app: &WebApp, email: &str) -> (String, bool) {
    let queued = app.store.password_reset_emails().await.unwrap();
    let link = queued
        .iter()
        .rev()
        .find(|e| e.email == email)
        .unwrap_or_else(|| panic!("a link queued for {email}"));
    (link.token.clone(), link.confirms_email)
}

both_backends!(
    an_employer_enrols_with_its_code_once_and_wrong_expired_or_used_codes_are_refused,
    |db: TestDb| async move {
        let clock = Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap());
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        let employer = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        employer_with_worksites(&app.store, "16000002", &["W1"]).await;
        let fund = Actor::new("test");
        let issued = app
            .store
            .issue_enrolment_code(&fund, "16000001")
            .await
            .unwrap();
        let other = app
            .store
            .issue_enrolment_code(&fund, "16000002")
            .await
            .unwrap();
        // Only the hash is kept.
        let stored: Vec<String> = sqlx::query_scalar("SELECT code_sha256 FROM enrolment_codes")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        assert!(
            stored
                .iter()
                .all(|h| h.len() == 64 && !h.contains(&issued.code))
        );

        // A wrong code, and another employer's code: refused in words, nothing created.
        let (status, page, _) = enrol(&app, "16000001", "AAAA-BBBB-CCCC", "a@a.dz").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("ne correspondent à aucun code valable"),
            "{page}"
        );
        assert!(page.contains("value=\"a@a.dz\""), "what was typed stays");
        let (status, _, _) = enrol(&app, "16000001", &other.code, "a@a.dz").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(app.store.user_by_email("a@a.dz").await.unwrap().is_none());

        // The right code, typed in lower case with spaces: the employer's owner.
        let typed = issued.code.to_lowercase().replace('-', " ");
        let (status, _, location) = enrol(&app, "16000001", &typed, "a@a.dz").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/login?enrolled=1"));
        let owner = app.store.user_by_email("a@a.dz").await.unwrap().unwrap();
        assert_eq!(owner.employer_ids, vec![employer]);
        assert!(owner.may(employer, tahsil::store::Duty::Manage));
        let browser = app.signed_in("a@a.dz").await;
        let (status, page) = browser.get(&format!("/portal/{employer}/colleagues")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("a@a.dz"));

        // Used: refused the second time.
        let (status, _, _) = enrol(&app, "16000001", &issued.code, "b@a.dz").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(app.store.user_by_email("b@a.dz").await.unwrap().is_none());

        // Expired: a code works ENROLMENT_CODE_DAYS.
        let late = app
            .store
            .issue_enrolment_code(&fund, "16000002")
            .await
            .unwrap();
        clock.advance(Duration::days(tahsil::store::ENROLMENT_CODE_DAYS) + Duration::minutes(1));
        let (status, _, _) = enrol(&app, "16000002", &late.code, "c@a.dz").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(app.store.user_by_email("c@a.dz").await.unwrap().is_none());

        // Guessing is throttled per affiliation number: beyond the limit even the right
        // code is not checked.
        let fresh = app
            .store
            .issue_enrolment_code(&fund, "16000002")
            .await
            .unwrap();
        for _ in 0..MAX_ENROLMENTS_PER_EMPLOYER {
            enrol(&app, "16000002", "WRON-GCOD-EXXX", "d@a.dz").await;
        }
        let (status, page, _) = enrol(&app, "16000002", &fresh.code, "d@a.dz").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.contains("Trop de tentatives"), "{page}");
        assert!(app.store.user_by_email("d@a.dz").await.unwrap().is_none());
    }
);

both_backends!(
    an_owner_invites_a_colleague_who_declares_and_a_view_only_colleague_cannot,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let employer = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        let other = employer_with_worksites(&app.store, "16000002", &["W1"]).await;
        add_user(&app.store, "owner@a.dz", Role::Employer, &["16000001"]).await;
        // An accountant who already acts for another employer.
        add_user(&app.store, "cabinet@a.dz", Role::Employer, &["16000002"]).await;
        let owner = app.signed_in("owner@a.dz").await;
        let colleagues = format!("/portal/{employer}/colleagues");

        for (email, capacity) in [("decl@a.dz", "declare"), ("cabinet@a.dz", "view")] {
            let (status, _, location) = owner
                .post(&colleagues, &[("email", email), ("capacity", capacity)])
                .await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{email}");
            assert_eq!(location.unwrap(), format!("{colleagues}?done=invited"));
        }
        // The same person twice, or as owner: refused.
        let (status, _, _) = owner
            .post(&colleagues, &[("email", "decl@a.dz"), ("capacity", "sign")])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _, _) = owner
            .post(&colleagues, &[("email", "x@a.dz"), ("capacity", "owner")])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // The new colleague chooses a password with the invitation link, then declares.
        let (token, confirms) = queued_token(&app, "decl@a.dz").await;
        assert!(!confirms);
        app.store.reset_password(&token, PASSWORD).await.unwrap();
        let declarer = app.signed_in("decl@a.dz").await;
        let (status, _, _) =
            upload_csv(&declarer, &app, employer, "2026-10", "W1;4;100000,00;0\n").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.store.list_declarations(employer).await.unwrap().len(),
            1
        );
        // …but cannot sign a mandate, nor invite.
        let (status, _, _) = declarer
            .post(
                &format!("/portal/{employer}/mandate"),
                &[("account", "004 00174 4010010504 86")],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = declarer
            .post(&colleagues, &[("email", "y@a.dz"), ("capacity", "view")])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // The accountant sees the employer, named as the current one, but cannot declare.
        let cabinet = app.signed_in("cabinet@a.dz").await;
        let (status, page) = cabinet.get(&format!("/portal/{employer}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"current-employer\""), "{page}");
        assert!(page.contains("16000001"));
        let (status, _, _) =
            upload_csv(&cabinet, &app, employer, "2026-11", "W1;4;100000,00;0\n").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = cabinet
            .get(&format!("/portal/{employer}/declarations/form"))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Nor ask for a refund, nor withdraw one: money leaving is for who may sign.
        for choice in ["refund", "keep"] {
            let (status, _, _) = cabinet
                .post(
                    &format!("/portal/{employer}/refunds"),
                    &[("choice", choice)],
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{choice}");
        }
        // For its own client it still does everything.
        let (status, _, _) =
            upload_csv(&cabinet, &app, other, "2026-10", "W1;4;100000,00;0\n").await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.store.list_declarations(employer).await.unwrap().len(),
            1
        );

        // Revoked: the declarer's next action is refused at once.
        let declarer_id = app
            .store
            .user_by_email("decl@a.dz")
            .await
            .unwrap()
            .unwrap()
            .id;
        let (status, _, _) = owner
            .post(&format!("{colleagues}/{declarer_id}/revoke"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) = declarer.get(&format!("/portal/{employer}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // An owner is not revoked from the portal.
        let owner_id = app
            .store
            .user_by_email("owner@a.dz")
            .await
            .unwrap()
            .unwrap()
            .id;
        let (status, _, _) = owner
            .post(&format!("{colleagues}/{owner_id}/revoke"), &[])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
);

both_backends!(
    the_profile_changes_the_password_and_an_email_only_once_confirmed,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        add_user(&app.store, "old@a.dz", Role::Employer, &["16000001"]).await;
        let browser = app.signed_in("old@a.dz").await;
        browser
            .post("/language", &[("lang", "fr"), ("back", "/account")])
            .await;

        // The password: the current one first.
        let (status, page, _) = browser
            .post(
                "/account/password",
                &[
                    ("current", "not the password"),
                    ("password", "a new password 1"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("id=\"error\""), "{page}");
        let (status, _, location) = browser
            .post(
                "/account/password",
                &[("current", PASSWORD), ("password", "a new password 1")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/account?done=password"));
        // This session stays; the new password signs in.
        let (status, _) = browser.get("/account").await;
        assert_eq!(status, StatusCode::OK);
        assert!(matches!(
            app.store
                .sign_in("old@a.dz", "a new password 1", "127.0.0.9")
                .await
                .unwrap(),
            tahsil::store::SignIn::Accepted { .. }
        ));

        // The address: a link to the new one; nothing changes before it is opened.
        let (status, _, location) = browser
            .post("/account/email", &[("email", "New@B.dz")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/account?done=email-sent"));
        let user = app.store.user_by_email("old@a.dz").await.unwrap().unwrap();
        assert_eq!(user.email, "old@a.dz");
        let (token, confirms) = queued_token(&app, "new@b.dz").await;
        assert!(confirms, "a confirmation, sent to the new address");
        // The link is no reset link.
        assert!(
            app.store
                .reset_password(&token, "whatever 12345")
                .await
                .is_err()
        );
        let (status, _, location) = browser
            .post("/account/email", &[("email", "old@a.dz")])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{location:?}");
        let (status, _) = browser
            .get(&format!("/account/email/confirm?token={token}"))
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let user = app.store.user(user.id).await.unwrap();
        assert_eq!(user.email, "new@b.dz");
        // Once only.
        let (status, page) = browser
            .get(&format!("/account/email/confirm?token={token}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("plus valable"), "{page}");
    }
);

/// Signs in with a password; the redirect (`/login/code` when a code is awaited).
async fn password_step(client: &reqwest::Client, app: &WebApp, email: &str) -> String {
    let (_, page) = get_text(client, &app.url("/login")).await;
    let response = client
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn code_step(client: &reqwest::Client, app: &WebApp, code: &str) -> StatusCode {
    let (_, page) = get_text(client, &app.url("/login/code")).await;
    client
        .post(app.url("/login/code"))
        .form(&[("csrf", csrf_of(&page).as_str()), ("code", code)])
        .send()
        .await
        .unwrap()
        .status()
}

both_backends!(
    staff_sign_in_with_a_totp_code_once_and_administrators_must_set_it_up,
    |db: TestDb| async move {
        let clock = Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 10).unwrap());
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let user_id = add_user(&app.store, "admin@fund.dz", Role::Admin, &[]).await;

        // An administrator without a second factor is sent to set it up first.
        let admin = app.browser();
        assert_eq!(password_step(&admin, &app, "admin@fund.dz").await, "/");
        for path in ["/console", "/console/users"] {
            let response = admin.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
            assert_eq!(
                response.headers()["location"],
                "/account?two_factor=required"
            );
        }
        let (_, page) = get_text(&admin, &app.url("/account")).await;
        assert!(page.contains("id=\"two-factor-required\""));
        let csrf = csrf_of(&page);
        admin
            .post(app.url("/account/two-factor"))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        let (_, page) = get_text(&admin, &app.url("/account")).await;
        let secret = text_of_id(&page, "totp-secret");
        let bytes = tahsil::totp::from_base32(&secret).unwrap();
        let code_now =
            || tahsil::totp::code_at(&bytes, tahsil::totp::step_of(clock.now().timestamp()));
        // The secret is stored encrypted, never in clear.
        let stored: String = sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        assert!(!stored.contains(&secret));
        // A wrong code does not enable it.
        let response = admin
            .post(app.url("/account/two-factor/confirm"))
            .form(&[("csrf", csrf.as_str()), ("code", "000000")])
            .send()
            .await
            .unwrap();
        let wrong = if code_now() == "000000" {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(response.status(), wrong);
        let first = code_now();
        let response = admin
            .post(app.url("/account/two-factor/confirm"))
            .form(&[("csrf", csrf.as_str()), ("code", first.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let page = response.text().await.unwrap();
        let recovery: Vec<String> = page
            .split("<li><code>")
            .skip(1)
            .map(|rest| rest.split('<').next().unwrap().to_owned())
            .collect();
        assert_eq!(recovery.len(), 10);
        let response = admin.get(app.url("/console")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);

        // Signing in again: the password alone opens no session.
        let again = app.browser();
        assert_eq!(
            password_step(&again, &app, "admin@fund.dz").await,
            "/login/code"
        );
        let response = again.get(app.url("/console")).send().await.unwrap();
        assert_eq!(response.headers()["location"], "/login");
        // The code that enabled it, in the same time step: a replay, refused.
        assert_eq!(
            code_step(&again, &app, &first).await,
            StatusCode::UNAUTHORIZED
        );
        // The next step's code: accepted, once.
        clock.advance(Duration::seconds(30));
        let second = code_now();
        assert_ne!(second, first);
        assert_eq!(
            code_step(&again, &app, &second).await,
            StatusCode::SEE_OTHER
        );
        let response = again.get(app.url("/console")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let third = app.browser();
        assert_eq!(
            password_step(&third, &app, "admin@fund.dz").await,
            "/login/code"
        );
        assert_eq!(
            code_step(&third, &app, &second).await,
            StatusCode::UNAUTHORIZED
        );
        // A recovery code works once.
        assert_eq!(
            code_step(&third, &app, &recovery[0]).await,
            StatusCode::SEE_OTHER
        );
        let fourth = app.browser();
        password_step(&fourth, &app, "admin@fund.dz").await;
        assert_eq!(
            code_step(&fourth, &app, &recovery[0]).await,
            StatusCode::UNAUTHORIZED
        );

        // Finance staff: optional, the password alone signs in.
        let finance = app.browser();
        assert_eq!(password_step(&finance, &app, "finance@fund.dz").await, "/");
        let response = finance.get(app.url("/console")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
);

both_backends!(
    an_owner_changes_a_colleagues_role_in_place_and_it_applies_at_once,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let employer = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        let owner_id = add_user(&app.store, "owner@a.dz", Role::Employer, &["16000001"]).await;
        let owner = app.signed_in("owner@a.dz").await;
        owner
            .post("/language", &[("lang", "fr"), ("back", "/account")])
            .await;
        let colleagues = format!("/portal/{employer}/colleagues");
        let (status, _, _) = owner
            .post(&colleagues, &[("email", "aide@a.dz"), ("capacity", "view")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (token, _) = queued_token(&app, "aide@a.dz").await;
        app.store.reset_password(&token, PASSWORD).await.unwrap();
        let aide = app.signed_in("aide@a.dz").await;
        let aide_id = app
            .store
            .user_by_email("aide@a.dz")
            .await
            .unwrap()
            .unwrap()
            .id;
        let csv = "W1;4;100000,00;0\n";
        // View only: no declaration.
        let (status, _, _) = upload_csv(&aide, &app, employer, "2026-10", csv).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The owner's page offers the change on the colleague's row, its role selected;
        // the owner's own row has none.
        let (_, page) = owner.get(&colleagues).await;
        let row = page
            .split(&format!("id=\"colleague-{aide_id}\""))
            .nth(1)
            .unwrap()
            .split("</tr>")
            .next()
            .unwrap();
        assert!(row.contains(&format!("id=\"capacity-{aide_id}\"")), "{row}");
        assert!(row.contains("<option value=\"view\" selected>"), "{row}");
        assert!(!page.contains(&format!("id=\"capacity-{owner_id}\"")));

        // Changed to declare: the colleague's same session declares at once.
        let change = format!("{colleagues}/{aide_id}/capacity");
        let (status, _, location) = owner.post(&change, &[("capacity", "declare")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some(format!("{colleagues}?done=capacity").as_str())
        );
        let (_, page) = owner.get(&format!("{colleagues}?done=capacity")).await;
        assert!(page.contains("id=\"notice\""), "{page}");
        let (status, _, _) = upload_csv(&aide, &app, employer, "2026-10", csv).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.store.list_declarations(employer).await.unwrap().len(),
            1
        );
        // Audited, with the role before and after and who changed it.
        let trail = app.store.audit_trail("user", aide_id).await.unwrap();
        let changed = trail
            .iter()
            .find(|e| e.action == "colleague.capacity_changed")
            .expect("the change is audited");
        assert_eq!(changed.actor, format!("user:{owner_id}"));
        assert!(
            changed.detail.contains("\"from\":\"view\"")
                && changed.detail.contains("\"to\":\"declare\""),
            "{}",
            changed.detail
        );

        // Nobody is made owner, the owner's role does not change, a colleague does not
        // change roles: each refused with words, the role unchanged.
        for (who, path, capacity) in [
            (&owner, change.clone(), "owner"),
            (&owner, format!("{colleagues}/{owner_id}/capacity"), "view"),
            (&aide, change.clone(), "sign"),
            (&owner, change.clone(), "nonsense"),
        ] {
            let (status, page, _) = who.post(&path, &[("capacity", capacity)]).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path} {capacity}"
            );
            assert!(page.contains("id=\"error\""), "{page}");
        }
        let kept: Vec<_> = app
            .store
            .colleagues(employer)
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.user_id, c.capacity))
            .collect();
        assert!(kept.contains(&(aide_id, tahsil::store::Capacity::Declare)));
        assert!(kept.contains(&(owner_id, tahsil::store::Capacity::Owner)));
    }
);

/// Sets up a second factor for the signed-in `browser` as a person would (the secret
/// read from the profile, the code of the service's time `now`): the secret.
async fn set_up_two_factor(browser: &Browser, now: i64) -> String {
    let (status, _, _) = browser.post("/account/two-factor", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = browser.get("/account").await;
    let secret = text_of_id(&page, "totp-secret");
    let code = totp_at(&secret, now);
    let (status, _, _) = browser
        .post("/account/two-factor/confirm", &[("code", code.as_str())])
        .await;
    assert_eq!(status, StatusCode::OK);
    secret
}

/// The code of a base32 secret at `now` (Unix seconds).
fn totp_at(secret: &str, now: i64) -> String {
    let bytes = tahsil::totp::from_base32(secret).unwrap();
    tahsil::totp::code_at(&bytes, tahsil::totp::step_of(now))
}

async fn totp_on(app: &WebApp, user_id: i64) -> bool {
    app.store.user(user_id).await.unwrap().totp_enabled
}

both_backends!(
    finance_staff_turn_their_second_factor_off_with_a_fresh_code_and_an_administrator_resets_anothers,
    |db: TestDb| async move {
        let clock = Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 10).unwrap());
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        let finance_id = add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let admin_id = add_user(&app.store, "admin@fund.dz", Role::Admin, &[]).await;
        let other_id = add_user(&app.store, "other@fund.dz", Role::Admin, &[]).await;

        // A finance officer sets it up, then turns it off from the profile.
        let finance = app.signed_in("finance@fund.dz").await;
        finance
            .post("/language", &[("lang", "fr"), ("back", "/account")])
            .await;
        let secret = set_up_two_factor(&finance, clock.now().timestamp()).await;
        assert!(totp_on(&app, finance_id).await);
        let (_, page) = finance.get("/account").await;
        assert!(page.contains("id=\"disable-two-factor\""), "{page}");
        let code_now = || totp_at(&secret, clock.now().timestamp());
        // The code that turned it on (same time step) does not turn it off, nor a wrong one.
        let wrong = if code_now() == "000000" { "111111" } else { "000000" };
        for code in [code_now(), wrong.to_owned()] {
            let (status, page, _) = finance
                .post("/account/two-factor/disable", &[("code", code.as_str())])
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(page.contains("code actuel"), "{page}");
        }
        assert!(totp_on(&app, finance_id).await);
        clock.advance(Duration::seconds(30));
        let (status, _, location) = finance
            .post("/account/two-factor/disable", &[("code", code_now().as_str())])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/account?done=two-factor-off"));
        assert!(!totp_on(&app, finance_id).await);
        let (_, page) = finance.get("/account?done=two-factor-off").await;
        assert!(page.contains("id=\"start-two-factor\""), "{page}");
        assert!(page.contains("id=\"notice\""), "{page}");
        // The password alone signs in again; the recovery codes are gone; audited.
        assert_eq!(
            password_step(&app.browser(), &app, "finance@fund.dz").await,
            "/"
        );
        let left: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1")
                .bind(finance_id)
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert_eq!(left, 0);
        let trail = app.store.audit_trail("user", finance_id).await.unwrap();
        assert!(trail.iter().any(|e| e.action == "user.totp_disabled"));
        // Off already: nothing to turn off.
        let (status, _, _) = finance
            .post("/account/two-factor/disable", &[("code", code_now().as_str())])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // An administrator cannot turn theirs off: no form, and the post is refused.
        let admin = app.signed_in("admin@fund.dz").await;
        // The other administrator signs in once: its second factor is set up then.
        app.signed_in("other@fund.dz").await;
        admin
            .post("/language", &[("lang", "fr"), ("back", "/account")])
            .await;
        let (_, page) = admin.get("/account").await;
        assert!(page.contains("id=\"two-factor-kept\""), "{page}");
        assert!(!page.contains("id=\"disable-two-factor\""), "{page}");
        clock.advance(Duration::seconds(30));
        let (status, page, _) = admin
            .post("/account/two-factor/disable", &[("code", "123456")])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("autre administrateur"), "{page}");
        assert!(totp_on(&app, admin_id).await);

        // It resets another's (not its own), audited; that one signs in with the password
        // and is sent to set it up again.
        let (_, page) = admin.get("/console/users").await;
        assert!(page.contains(&format!("id=\"reset-two-factor-{other_id}\"")));
        assert!(!page.contains(&format!("id=\"reset-two-factor-{admin_id}\"")));
        assert!(!page.contains(&format!("id=\"reset-two-factor-{finance_id}\"")));
        let (status, page, _) = admin
            .post(&format!("/console/users/{admin_id}/two-factor/reset"), &[])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("id=\"error\""), "{page}");
        assert!(totp_on(&app, admin_id).await);
        let (status, _, location) = admin
            .post(&format!("/console/users/{other_id}/two-factor/reset"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some("/console/users?done=two-factor-reset")
        );
        let (_, page) = admin.get("/console/users?done=two-factor-reset").await;
        assert!(page.contains("id=\"notice\""), "{page}");
        assert!(!totp_on(&app, other_id).await);
        let trail = app.store.audit_trail("user", other_id).await.unwrap();
        let reset = trail
            .iter()
            .find(|e| e.action == "user.totp_reset")
            .expect("the reset is audited");
        assert_eq!(reset.actor, format!("user:{admin_id}"));
        let again = app.browser();
        assert_eq!(password_step(&again, &app, "other@fund.dz").await, "/");
        let response = again.get(app.url("/console")).send().await.unwrap();
        assert_eq!(
            response.headers()["location"],
            "/account?two_factor=required"
        );
        // Nothing to reset any more; and finance staff reset nobody's.
        let (status, _, _) = admin
            .post(&format!("/console/users/{other_id}/two-factor/reset"), &[])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let finance = app.signed_in("finance@fund.dz").await;
        let (status, _, _) = finance
            .post(&format!("/console/users/{admin_id}/two-factor/reset"), &[])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(totp_on(&app, admin_id).await);
    }
);

both_backends!(
    a_postal_account_shows_as_the_ccp_and_cle_its_owner_knows_never_digits_of_its_rip,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        // B's mandate was given as the CCP "200 12", whose RIP is 00799999000000020091.
        let cycle = one_cycle(&app).await;
        let mandate = app.store.list_mandates(cycle.b).await.unwrap().remove(0);
        assert_eq!(mandate.account_masked, "CCP ****00 clé 12");
        add_user(&app.store, "gerant@b.dz", Role::Employer, &["16000002"]).await;
        let owner = app.signed_in("gerant@b.dz").await;
        for path in [
            format!("/portal/{}/mandate", cycle.b),
            format!("/portal/{}", cycle.b),
        ] {
            let (status, page) = owner.get(&path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(page.contains("CCP ****00 clé 12"), "{path}: {page}");
            assert!(
                !page.contains("****0091"),
                "no RIP digits on {path}: {page}"
            );
        }
        // Staff find it by the CCP's last two digits, shown the same way.
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let staff = app.signed_in("finance@fund.dz").await;
        let (_, page) = staff.get("/console/search?q=00").await;
        assert!(page.contains(&mandate.reference), "{page}");
        assert!(page.contains("CCP ****00 clé 12"), "{page}");
        assert!(!page.contains("****0091"), "{page}");
    }
);
