//! "Check the account" records nothing (issue 20 point 7): it shows the bank, the consent
//! text with the reference the mandate will get, and a sealed proposal; the mandate is
//! recorded only when signed, exactly once, with the text shown. A changed, foreign or
//! stale proposal is refused. Before signing a replacement, the page says which planned
//! debits follow the new account and which are too close (issue 20 point 1), in French
//! and Arabic. Both databases.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use tahsil::clock::{Clock, start_of_algiers_day};
use tahsil::store::{Role, Store};

use crate::both_backends;
use crate::harness::fixtures::{
    actor, add_user, d, declare, employer_with_worksites, signed_mandate,
};
use crate::harness::{Browser, TestDb, WebApp, proposal_of};

const ACCOUNT: &str = "004 00174 4010010504 86";

/// Noon (Algiers) on a day of December 2026.
fn december(day: u32) -> DateTime<Utc> {
    start_of_algiers_day(d(2026, 12, day)) + chrono::Duration::hours(12)
}

async fn audit_entries(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn in_french(browser: &Browser) {
    let (status, _, _) = browser
        .post("/language", &[("lang", "fr"), ("back", "/")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

/// Signs the proposal `sealed` for `employer`, the box ticked and a name typed.
async fn sign_with(
    browser: &Browser,
    employer: i64,
    sealed: &str,
) -> (StatusCode, String, Option<String>) {
    browser
        .post(
            &format!("/portal/{employer}/mandate/sign"),
            &[
                ("proposal", sealed),
                ("consent", "yes"),
                ("signer", "Karim Benali"),
            ],
        )
        .await
}

/// The text of the element with `id` in `page` (up to its closing tag).
fn text_of(page: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = page.find(&marker).map(|i| i + marker.len()).unwrap();
    let end = page[start..].find('<').unwrap();
    page[start..start + end].to_owned()
}

both_backends!(
    checking_records_nothing_and_signing_records_exactly_one_mandate,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let e = employer_with_worksites(&app.store, "16000041", &["W1"]).await;
        add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000041"]).await;
        let browser = app.signed_in("gerant@a.dz").await;
        in_french(&browser).await;
        let audit_before = audit_entries(&app.store).await;

        // Checked twice, and another account once: nothing recorded, no audit entry.
        let check = format!("/portal/{e}/mandate");
        let mut pages = Vec::new();
        for account in [ACCOUNT, ACCOUNT, "001 00001 0000000001 44"] {
            let (status, page, _) = browser.post(&check, &[("account", account)]).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert!(proposal_of(&page).is_some(), "a form to sign: {page}");
            pages.push(page);
        }
        assert!(app.store.list_mandates(e).await.unwrap().is_empty());
        assert_eq!(
            audit_entries(&app.store).await,
            audit_before,
            "no audit junk"
        );
        let reference = app.store.next_mandate_reference(e).await.unwrap();
        let shown = text_of(&pages[1], "consent-text");
        assert!(shown.contains(&reference), "{reference} in {shown}");

        // Signed: exactly one mandate, with the reference and the text shown.
        let proposal = proposal_of(&pages[1]).unwrap();
        let sign = format!("/portal/{e}/mandate/sign");
        let form = [
            ("proposal", proposal.as_str()),
            ("consent", "yes"),
            ("signer", "Karim Benali"),
        ];
        let (status, page, location) = browser.post(&sign, &form).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(
            location.as_deref(),
            Some(format!("/portal/{e}/mandate?done=signed").as_str())
        );
        let mandates = app.store.list_mandates(e).await.unwrap();
        assert_eq!(mandates.len(), 1);
        let signed = &mandates[0];
        assert_eq!(signed.status.as_str(), "active");
        assert_eq!(signed.reference, reference);
        assert_eq!(signed.account_masked, "****************0486");
        let text = signed.consent_text.clone().unwrap();
        assert_eq!(
            text.replace('\'', "&#39;"),
            shown,
            "the text signed is the text shown"
        );
        assert_eq!(
            signed.consent_text_sha256.as_deref(),
            Some(tahsil::store::consent_text_sha256(&text).as_str())
        );
        assert_eq!(signed.consent_version.as_deref(), Some("2026-01-fr"));
        let trail: Vec<String> = app
            .store
            .audit_trail("mandate", signed.id)
            .await
            .unwrap()
            .into_iter()
            .map(|entry| entry.action)
            .collect();
        assert_eq!(trail, ["mandate.created", "mandate.signed"]);

        // The same form again (back button, double click): refused, still one mandate.
        let (status, page, _) = browser.post(&sign, &form).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            page.contains("Ce mandat n&#39;attend plus de signature"),
            "{page}"
        );
        // A proposal checked before the signature carries a reference now taken.
        let other = proposal_of(&pages[2]).unwrap();
        let (status, _, _) = browser
            .post(
                &sign,
                &[
                    ("proposal", other.as_str()),
                    ("consent", "yes"),
                    ("signer", "Karim Benali"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(app.store.list_mandates(e).await.unwrap().len(), 1);
    }
);

both_backends!(
    a_changed_foreign_or_stale_proposal_is_refused,
    |db: TestDb| async move {
        let clock = Clock::fixed(december(1));
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        let a = employer_with_worksites(&app.store, "16000042", &["W1"]).await;
        let b = employer_with_worksites(&app.store, "16000043", &["W1"]).await;
        add_user(
            &app.store,
            "cabinet@a.dz",
            Role::Employer,
            &["16000042", "16000043"],
        )
        .await;
        add_user(&app.store, "autre@a.dz", Role::Employer, &["16000042"]).await;
        let browser = app.signed_in("cabinet@a.dz").await;
        in_french(&browser).await;
        let (_, page, _) = browser
            .post(&format!("/portal/{a}/mandate"), &[("account", ACCOUNT)])
            .await;
        let proposal = proposal_of(&page).unwrap();
        let refused = "Ce formulaire de signature n&#39;est plus valable";

        // One character changed anywhere: refused, nothing recorded.
        let mut tampered: Vec<char> = proposal.chars().collect();
        let middle = tampered.len() / 2;
        tampered[middle] = if tampered[middle] == 'A' { 'B' } else { 'A' };
        let tampered: String = tampered.into_iter().collect();
        for sealed in [tampered, String::new(), "v1:AAAA".to_owned()] {
            let (status, page, _) = sign_with(&browser, a, &sealed).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(page.contains(refused), "{page}");
        }
        // Made for employer A: refused for employer B, though the user acts for both.
        let (status, page, _) = sign_with(&browser, b, &proposal).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains(refused), "{page}");
        // Made for this user: refused for another user of the same employer.
        let other = app.signed_in("autre@a.dz").await;
        let (status, _, _) = sign_with(&other, a, &proposal).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // Older than a day: refused, check again.
        clock.advance(chrono::Duration::hours(25));
        let browser = app.signed_in("cabinet@a.dz").await;
        let (status, page, _) = sign_with(&browser, a, &proposal).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("trop ancien"), "{page}");
        for employer in [a, b] {
            assert!(app.store.list_mandates(employer).await.unwrap().is_empty());
        }
    }
);

both_backends!(
    before_signing_a_replacement_the_page_says_which_planned_debits_follow,
    |db: TestDb| async move {
        let clock = Clock::fixed(december(1));
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        let e = employer_with_worksites(&app.store, "16000044", &["W1"]).await;
        add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000044"]).await;
        signed_mandate(&app.store, e, ACCOUNT, None).await;
        declare(&app.store, e, "2026-11", &[("W1", "100000.00")]).await;
        let plan = app
            .store
            .plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 1))
            .await
            .unwrap();
        assert_eq!(plan.planned, 1);
        let new_account = [("account", "001 00001 0000000001 44")];
        let check = format!("/portal/{e}/mandate");

        // On 1 December the debit of the 15th can be announced again: it follows.
        let browser = app.signed_in("gerant@a.dz").await;
        in_french(&browser).await;
        let (status, page, _) = browser.post(&check, &new_account).await;
        assert_eq!(status, StatusCode::OK);
        let fr = tahsil::web::format_money(plan.amount, "fr").unwrap();
        let follow = &page[page.find("id=\"handover-follow\"").expect("follows")..];
        assert!(
            follow.contains("15/12/2026") && follow.contains(&fr),
            "{page}"
        );
        assert!(page.contains("passeront sur le nouveau compte"), "{page}");
        assert!(!page.contains("id=\"handover-stay\""), "{page}");

        // On 12 December it is too close: it stays and is said so, in Arabic too.
        clock.set(december(12));
        let browser = app.signed_in("gerant@a.dz").await;
        let (status, page, _) = browser
            .post("/language", &[("lang", "ar"), ("back", "/")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let (status, page, _) = browser.post(&check, &new_account).await;
        assert_eq!(status, StatusCode::OK);
        let ar = tahsil::web::format_money(plan.amount, "ar").unwrap();
        let stay = &page[page.find("id=\"handover-stay\"").expect("stays")..];
        assert!(stay.contains("15/12/2026") && stay.contains(&ar), "{page}");
        assert!(page.contains("قريبة جدًا"), "{page}");
        assert!(!page.contains("id=\"handover-follow\""), "{page}");
        assert_eq!(
            app.store.list_mandates(e).await.unwrap().len(),
            1,
            "nothing recorded"
        );

        // Signed: what the page said happens — the debit stays on the old mandate.
        let proposal = proposal_of(&page).unwrap();
        let (status, _, _) = browser
            .post(
                &format!("/portal/{e}/mandate/sign"),
                &[
                    ("proposal", proposal.as_str()),
                    ("consent", "yes"),
                    ("signer", "Karim Benali"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let mandates = app.store.list_mandates(e).await.unwrap();
        assert_eq!(mandates.len(), 2);
        let old = mandates
            .iter()
            .find(|m| m.status.as_str() == "superseded")
            .unwrap();
        let on: i64 =
            sqlx::query_scalar("SELECT mandate_id FROM collections WHERE employer_id = $1")
                .bind(e)
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert_eq!(on, old.id);
    }
);
