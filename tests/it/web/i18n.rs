//! The pages' languages over real HTTP, on both databases: Arabic right to left or
//! French, by the user's preference, then the browser's; and the store's refusals shown
//! in the viewer's language, never the store's English sentence — replayed mandate forms
//! (sign twice, revoke twice) and console changes the store refuses (a rate starting in
//! the past, a holiday that is not in the calendar).

use reqwest::StatusCode;
use tahsil::store::Role;

use crate::both_backends;
use crate::harness::fixtures::{add_user, employer_with_worksites};
use crate::harness::{Browser, TestDb, WebApp, get_text};

fn french(app: &WebApp) -> reqwest::header::HeaderMap {
    let _ = app;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("accept-language", "fr-DZ,fr;q=0.9".parse().unwrap());
    headers
}

both_backends!(
    pages_are_arabic_right_to_left_or_french_by_preference_then_browser,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let client = app.browser();
        let (_, page) = get_text(&client, &app.url("/login")).await;
        assert!(
            page.contains("<html lang=\"ar\" dir=\"rtl\">"),
            "Arabic by default"
        );
        assert!(page.contains("تسجيل الدخول"));
        assert!(page.contains("id=\"switch-language\" lang=\"fr\">Français<"));
        let response = client
            .get(app.url("/login"))
            .headers(french(&app))
            .send()
            .await
            .unwrap();
        let page = response.text().await.unwrap();
        assert!(page.contains("<html lang=\"fr\" dir=\"ltr\">"));
        assert!(page.contains("Se connecter"));

        // A signed-in user's choice wins over the browser's.
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let browser = app.signed_in("finance@fund.dz").await;
        browser
            .post("/language", &[("lang", "ar"), ("back", "/console")])
            .await;
        let response = browser
            .client
            .get(app.url("/console"))
            .headers(french(&app))
            .send()
            .await
            .unwrap();
        let page = response.text().await.unwrap();
        assert!(
            page.contains("dir=\"rtl\"") && page.contains("وحدة المالية"),
            "{page}"
        );
    }
);

/// A signed-in user who chose `lang` ("fr" or "ar").
async fn reading(app: &WebApp, email: &str, role: Role, employers: &[&str], lang: &str) -> Browser {
    add_user(&app.store, email, role, employers).await;
    let browser = app.signed_in(email).await;
    let (status, _, _) = browser
        .post("/language", &[("lang", lang), ("back", "/")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    browser
}

/// The English texts the store gives these refusals (for logs and the JSON API).
const ENGLISH: &[&str] = &[
    "mandate cannot be",
    "a new rate must start after today",
    "there is no holiday",
    "reload and try again",
    "calendar list",
];

fn no_english(page: &str) {
    for sentence in ENGLISH {
        assert!(
            !page.contains(sentence),
            "English {sentence:?} shown: {page}"
        );
    }
}

both_backends!(
    replayed_mandate_forms_are_refused_in_the_viewers_language,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        for (n, lang, signed_twice, revoked_twice) in [
            (
                1,
                "fr",
                "Ce mandat n&#39;attend plus de signature",
                "Ce mandat a déjà pris fin",
            ),
            (
                2,
                "ar",
                "هذا التفويض لم يعد في انتظار التوقيع",
                "هذا التفويض انتهى من قبل",
            ),
        ] {
            let affiliation = format!("1600000{n}");
            let e = employer_with_worksites(&app.store, &affiliation, &["W1"]).await;
            let browser = reading(
                &app,
                &format!("gerant{n}@a.dz"),
                Role::Employer,
                &[affiliation.as_str()],
                lang,
            )
            .await;
            let (status, page, _) = browser
                .post(
                    &format!("/portal/{e}/mandate"),
                    &[("account", "004 00174 4010010504 86")],
                )
                .await;
            assert_eq!(status, StatusCode::OK);
            let proposal = crate::harness::proposal_of(&page).expect("a form to sign");
            let sign = format!("/portal/{e}/mandate/sign");
            let form = [
                ("proposal", proposal.as_str()),
                ("consent", "yes"),
                ("signer", "Karim Benali"),
            ];
            let (status, _, _) = browser.post(&sign, &form).await;
            assert_eq!(status, StatusCode::SEE_OTHER);
            let mandate = app.store.list_mandates(e).await.unwrap().remove(0);

            // The same form posted again (back button, double click): refused, translated.
            let (status, page, _) = browser.post(&sign, &form).await;
            assert_eq!(status, StatusCode::CONFLICT, "{lang}");
            assert!(page.contains(signed_twice), "{lang}: {page}");
            no_english(&page);
            assert_eq!(
                app.store.mandate(mandate.id).await.unwrap().status.as_str(),
                "active"
            );

            let revoke = format!("/portal/{e}/mandate/{}/revoke", mandate.id);
            let reason = [("reason", "other_payment")];
            let (status, _, _) = browser.post(&revoke, &reason).await;
            assert_eq!(status, StatusCode::SEE_OTHER);
            let (status, page, _) = browser.post(&revoke, &reason).await;
            assert_eq!(status, StatusCode::CONFLICT, "{lang}");
            assert!(page.contains(revoked_twice), "{lang}: {page}");
            no_english(&page);
            // Signing the revoked mandate: the same refusal as signing twice.
            let (status, page, _) = browser.post(&sign, &form).await;
            assert_eq!(status, StatusCode::CONFLICT);
            assert!(page.contains(signed_twice), "{lang}: {page}");
            let by_id = format!("/portal/{e}/mandate/{}/sign", mandate.id);
            let (status, page, _) = browser
                .post(&by_id, &[("consent", "yes"), ("signer", "Karim Benali")])
                .await;
            assert_eq!(status, StatusCode::CONFLICT);
            assert!(page.contains(signed_twice), "{lang}: {page}");
            assert_eq!(
                app.store.mandate(mandate.id).await.unwrap().status.as_str(),
                "revoked"
            );
        }
    }
);

both_backends!(
    console_refusals_from_the_store_are_in_the_viewers_language,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        for (lang, past_rate, missing_holiday) in [
            (
                "fr",
                "Un nouveau taux doit commencer après aujourd&#39;hui",
                "Ce jour férié ne figure pas au calendrier à cette date",
            ),
            (
                "ar",
                "يجب أن تبدأ النسبة الجديدة بعد اليوم",
                "هذه العطلة غير موجودة في الرزنامة بهذا التاريخ",
            ),
        ] {
            let admin = reading(
                &app,
                &format!("admin-{lang}@fund.dz"),
                Role::Admin,
                &[],
                lang,
            )
            .await;
            let rates = app.store.contribution_rates().await.unwrap().len();
            let (status, page, _) = admin
                .post(
                    "/console/rates",
                    &[
                        ("scheme", "paid_leave"),
                        ("rate", "12,5"),
                        ("valid_from", "2020-01-01"),
                        ("source", "Décret exécutif test"),
                    ],
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
            assert!(page.contains(past_rate), "{lang}: {page}");
            no_english(&page);
            assert_eq!(app.store.contribution_rates().await.unwrap().len(), rates);

            let history = app.store.calendar_history(100).await.unwrap().len();
            let (status, page, _) = admin
                .post(
                    "/console/calendar/shift",
                    &[
                        ("date", "2026-12-20"),
                        ("name", "Nothing"),
                        ("to", "2026-12-21"),
                    ],
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{lang}");
            assert!(page.contains(missing_holiday), "{lang}: {page}");
            no_english(&page);
            assert_eq!(
                app.store.calendar_history(100).await.unwrap().len(),
                history
            );
        }
    }
);
