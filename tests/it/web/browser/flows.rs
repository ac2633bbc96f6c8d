//! The self-service flows of issue 20 in a browser, each in Arabic and in French, each page
//! a person acts on kept as a screenshot (`screen_flow_<step>_<lang>.png`, checked like every
//! screen for internals and sideways scrolling): an employer enrols with the activation code
//! the fund issued; an owner invites a colleague, who chooses a password with the link and
//! declares; an employer changes its account while a debit is planned — the debit follows
//! the new mandate and the replacement notice, on the portal and in the e-mail, says so; an
//! address that does not exist. (Revoking with its confirmation page, the CSV files and the
//! period picker, and the webhook log have their own tests beside this one.)

use chrono::NaiveDate;
use tahsil::clock::Clock;
use tahsil::notices::{Mailer, NoticeSettings};
use tahsil::store::{Actor, NoticeKind, Role, Store};

use super::Chrome;
use super::screens::look_at;
use crate::harness::fixtures::{add_user, d, declare, employer_with_worksites, signed_mandate};
use crate::harness::{PASSWORD, TestDb, WebApp};

/// Looks at the page shown in Arabic then in French (`<name>_ar`, `<name>_fr`), through the
/// language switch, and leaves it in French.
async fn look_in_both(chrome: &Chrome, name: &str) {
    chrome.wait_for("html[lang=ar]").await;
    look_at(chrome, &format!("flow_{name}_ar")).await;
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=fr]").await;
    look_at(chrome, &format!("flow_{name}_fr")).await;
}

/// Back to Arabic (the language switch on the page shown).
async fn to_arabic(chrome: &Chrome) {
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=ar]").await;
}

async fn sign_out(chrome: &Chrome) {
    chrome.click("#sign-out").await;
    chrome.wait_for("#sign-in").await;
}

/// Sends every pending notice (as `.eml` files: the mailer's folder).
async fn deliver(store: &Store, mailer: &Mailer, settings: &NoticeSettings) {
    tahsil::notices::deliver_all(
        store,
        mailer,
        settings,
        "browser",
        std::time::Duration::from_secs(20),
    )
    .await
    .unwrap();
}

/// Fills the enrolment form as a person does and sends it.
async fn enrol(chrome: &Chrome, app: &WebApp, affiliation: &str, code: &str, email: &str) {
    chrome.goto(app, "/login").await;
    chrome.click("#enrol-link").await;
    chrome.wait_for("#enrol").await;
    chrome.type_into("#affiliation", affiliation).await;
    chrome.type_into("#code", code).await;
    chrome.type_into("#name", "Karim Benali").await;
    chrome.type_into("#email", email).await;
    chrome.type_into("#password", PASSWORD).await;
    chrome.click("#enrol").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_an_employer_enrols_with_its_activation_code_in_arabic_and_french() {
    let db = TestDb::sqlite().await;
    let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 7))).await;
    let a = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
    let b = employer_with_worksites(&app.store, "16000002", &["W1"]).await;
    let fund = Actor::new("test");
    let code_a = app
        .store
        .issue_enrolment_code(&fund, "16000001")
        .await
        .unwrap()
        .code;
    let code_b = app
        .store
        .issue_enrolment_code(&fund, "16000002")
        .await
        .unwrap()
        .code;
    let Some(chrome) = Chrome::start().await else {
        return;
    };

    // Arabic: a mistyped code is refused in words, what was typed stays, nothing created.
    enrol(&chrome, &app, "16000001", "AAAA-BBBB-CCCC", "gerant@a.dz").await;
    let error = chrome.wait_for("#enrol-error").await.text().await.unwrap();
    assert!(!error.is_empty() && !error.is_ascii(), "in Arabic: {error}");
    assert_eq!(
        chrome
            .find("#email")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("gerant@a.dz")
    );
    assert!(
        app.store
            .user_by_email("gerant@a.dz")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(chrome.text("h1").await, "تسجيل مؤسستكم");
    look_at(&chrome, "flow_enrol_refused_ar").await;
    // The code as printed on the fund's letter: the account is created, said so.
    enrol(&chrome, &app, "16000001", &code_a, "gerant@a.dz").await;
    chrome.wait_for_path("/login").await;
    assert!(chrome.text("p.notice").await.contains("أُنشئ حساب مؤسستكم"),);
    look_at(&chrome, "flow_enrolled_ar").await;
    chrome.sign_in(&app, "gerant@a.dz").await;
    assert_eq!(chrome.path().await, format!("/portal/{a}"));
    assert!(chrome.text("h1").await.contains("شركة البناء الجنوبية"));
    look_at(&chrome, "flow_enrolled_portal_ar").await;
    sign_out(&chrome).await;
    // An address that does not exist: a page in the visitor's language, with a way home.
    chrome.goto(&app, "/nowhere").await;
    chrome.wait_for("#home").await;
    let arabic = chrome.text("h1").await;
    assert!(!arabic.is_ascii(), "{arabic}");
    look_at(&chrome, "flow_not_found_ar").await;

    // French: the code typed in lower case with spaces, as people copy it.
    chrome.goto(&app, "/login").await;
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=fr]").await;
    let typed = code_b.to_lowercase().replace('-', " ");
    enrol(&chrome, &app, "16000002", &typed, "gerant@b.dz").await;
    chrome.wait_for_path("/login").await;
    assert_eq!(
        chrome.text("p.notice").await,
        "Le compte de votre entreprise est créé : connectez-vous avec votre adresse et votre mot de passe."
    );
    look_at(&chrome, "flow_enrolled_fr").await;
    chrome.sign_in(&app, "gerant@b.dz").await;
    assert_eq!(chrome.path().await, format!("/portal/{b}"));
    assert!(chrome.text("h1").await.contains("SARL Bâtiment du Sud"));
    // The owner: the colleagues page offers to invite.
    chrome.goto(&app, &format!("/portal/{b}/colleagues")).await;
    assert_eq!(chrome.count("#invite").await, 1);
    look_at(&chrome, "flow_enrolled_owner_fr").await;
    let owner = app
        .store
        .user_by_email("gerant@b.dz")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.employer_ids, vec![b]);

    // The same letter's code again: used, refused in French.
    sign_out(&chrome).await;
    enrol(&chrome, &app, "16000002", &code_b, "autre@b.dz").await;
    let error = chrome.wait_for("#enrol-error").await.text().await.unwrap();
    assert!(
        error.contains("ne correspondent à aucun code valable"),
        "{error}"
    );
    assert_eq!(chrome.text("h1").await, "Inscrire votre entreprise");
    look_at(&chrome, "flow_enrol_refused_fr").await;

    // The same address in French.
    chrome.goto(&app, "/nowhere").await;
    chrome.wait_for("html[lang=fr] #home").await;
    let french = chrome.text("h1").await;
    assert!(arabic != french, "{french}");
    look_at(&chrome, "flow_not_found_fr").await;
    chrome.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_an_owner_invites_a_colleague_who_then_declares() {
    let db = TestDb::sqlite().await;
    // 7 December 2026: November is the period the form offers first.
    let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 7))).await;
    let a = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
    add_user(&app.store, "owner@a.dz", Role::Employer, &["16000001"]).await;
    let Some(chrome) = Chrome::start().await else {
        return;
    };

    // The owner, in Arabic: invites someone to declare.
    chrome.sign_in(&app, "owner@a.dz").await;
    chrome
        .click(&format!("nav a[href='/portal/{a}/colleagues']"))
        .await;
    chrome.wait_for("#invite").await;
    chrome.type_into("#email", "decl@a.dz").await;
    chrome.choose("#capacity", "declare").await;
    chrome.click("#invite").await;
    let notice = chrome.wait_for("#notice").await.text().await.unwrap();
    assert!(notice.starts_with("أُرسلت الدعوة"), "{notice}");
    let row = chrome.text("#colleagues").await;
    assert!(
        row.contains("decl@a.dz") && row.contains("دعوة في الانتظار"),
        "{row}"
    );
    look_in_both(&chrome, "invited").await;
    let row = chrome.text("#colleagues").await;
    assert!(row.contains("invitation en attente"), "{row}");
    sign_out(&chrome).await;

    // The colleague, in French: the invitation's link, a password, then the portal.
    let invitation = app
        .store
        .password_reset_emails()
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.email == "decl@a.dz")
        .expect("an invitation queued");
    chrome
        .goto(&app, &format!("/password/reset?token={}", invitation.token))
        .await;
    chrome.wait_for("html[lang=fr]").await;
    chrome.type_into("#password", PASSWORD).await;
    chrome.click("main form button[type=submit]").await;
    chrome.wait_for_path("/login").await;
    chrome.sign_in(&app, "decl@a.dz").await;
    assert_eq!(chrome.path().await, format!("/portal/{a}"));
    assert!(chrome.text("h1").await.contains("SARL Bâtiment du Sud"));

    // Declares November in the online form.
    chrome
        .goto(&app, &format!("/portal/{a}/declarations/form"))
        .await;
    chrome.wait_for("#declaration-form").await;
    chrome.type_into("#headcount-0", "4").await;
    chrome.type_into("#wage_bill-0", "100 000,00").await;
    chrome.type_into("#bad_weather_base-0", "0").await;
    chrome.click("#save-declaration").await;
    chrome.wait_for("#notice").await;
    assert_eq!(chrome.count("#errors").await, 0);
    let declared = app
        .store
        .declaration_for_period(a, "2026-11")
        .await
        .unwrap()
        .expect("declared by the colleague");
    assert_eq!(declared.lines[0].wage_bill.centimes(), 10_000_000);
    let total = super::visible(&tahsil::web::format_money(declared.total, "fr").unwrap());
    assert_eq!(chrome.text("#total").await, total);
    look_at(&chrome, "flow_colleague_declared_fr").await;
    to_arabic(&chrome).await;
    look_at(&chrome, "flow_colleague_declared_ar").await;
    // Declaring is what was given: the colleagues page is the owner's.
    chrome.goto(&app, &format!("/portal/{a}/colleagues")).await;
    assert_eq!(chrome.count("#invite").await, 0);
    chrome.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_an_account_change_takes_the_planned_debit_along_and_says_so() {
    let db = TestDb::sqlite().await;
    let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 2))).await;
    let s = &app.store;
    let a = employer_with_worksites(s, "16000001", &["W1"]).await;
    add_user(s, "gerant@a.dz", Role::Employer, &["16000001"]).await;
    let old = signed_mandate(s, a, "004 00174 4010010504 86", None).await;
    declare(s, a, "2026-11", &[("W1", "100000.00")]).await;
    let date = NaiveDate::from_ymd_opt(2026, 12, 15).unwrap();
    s.plan_collections(&Actor::new("test"), date, d(2026, 12, 2))
        .await
        .unwrap();
    let mails = tempfile::tempdir().unwrap();
    let mailer = crate::web::folder_mailer(mails.path());
    let settings = crate::web::notice_settings(None);
    // The advance notice went out, naming the old account.
    deliver(s, &mailer, &settings).await;
    let Some(chrome) = Chrome::start().await else {
        return;
    };

    chrome.sign_in(&app, "gerant@a.dz").await;
    assert!(chrome.text("#upcoming-account").await.contains("0486"));
    chrome
        .click(&format!("nav a[href='/portal/{a}/mandate']"))
        .await;
    chrome.wait_for("#account").await;
    chrome
        .type_into("#account", "001 00001 0000000001 44")
        .await;
    chrome.click("#check-account").await;
    chrome.wait_for("#consent-text").await;
    // Before signing, the page says the planned debit follows the new account.
    assert_eq!(chrome.count("#handover-follow tbody tr").await, 1);
    chrome.click("#consent").await;
    chrome.type_into("#signer", "Karim Benali, gérant").await;
    chrome.click("#sign").await;
    chrome.wait_for("#notice").await;

    // The planned debit is the new mandate's now: same date, same amount, still planned.
    let new = s
        .list_mandates(a)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.status.as_str() == "active")
        .unwrap();
    assert_ne!(new.id, old);
    let (mandate, status, amount): (i64, String, i64) = sqlx::query_as(
        "SELECT mandate_id, status, amount_centimes FROM collections WHERE employer_id = $1",
    )
    .bind(a)
    .fetch_one(s.pool())
    .await
    .unwrap();
    assert_eq!((mandate, status.as_str()), (new.id, "planned"));

    // The dashboard: the same debit, on the new account.
    chrome.click(&format!("nav a[href='/portal/{a}']")).await;
    let account = chrome
        .wait_for("#upcoming-account")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        account.contains("0144") && !account.contains("0486"),
        "{account}"
    );
    let shown = super::visible(
        &tahsil::web::format_money(mandates::Amount::from_centimes(amount), "ar").unwrap(),
    );
    assert_eq!(chrome.text("#upcoming-amount").await, shown);
    look_in_both(&chrome, "account_changed_dashboard").await;

    // The replacement notice, as sent: the debit named, on the new account.
    deliver(s, &mailer, &settings).await;
    let sent = s
        .notices_for_employer(a, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.kind == NoticeKind::MandateReplaced)
        .expect("a replacement notice");
    let money_fr = super::visible(
        &tahsil::web::format_money(mandates::Amount::from_centimes(amount), "fr").unwrap(),
    );
    let follows_fr = format!(
        "Le prélèvement du 15/12/2026 ({money_fr}), déjà annoncé, sera présenté sur ce nouveau compte"
    );
    let follows_ar = format!("سيُقدَّم اقتطاع 15/12/2026 ({shown})");
    chrome
        .goto(&app, &format!("/portal/{a}/notices/{}", sent.id))
        .await;
    // The Arabic text isolates its Latin and digit runs (U+2066 … U+2069): read without.
    let body = super::visible(&chrome.wait_for("#notice-text").await.text().await.unwrap())
        .replace(['\u{2066}', '\u{2069}'], "");
    assert!(body.contains(&follows_fr), "{body}");
    assert!(body.contains(&follows_ar), "{body}");
    assert!(
        body.contains("****0144") && body.contains("****0486"),
        "{body}"
    );
    // A plain screenshot: the notice's text says the mandate "est active" (French), which
    // the internals detector would take for the state code.
    chrome
        .screenshot("screen_flow_account_changed_notice_fr")
        .await;
    to_arabic(&chrome).await;
    chrome
        .screenshot("screen_flow_account_changed_notice_ar")
        .await;

    // The e-mail itself: both parts say it; in the HTML, date and amount isolated
    // left to right inside the Arabic text.
    let mut found = false;
    for entry in std::fs::read_dir(mails.path()).unwrap() {
        let raw = std::fs::read(entry.unwrap().path()).unwrap();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        if !message
            .subject()
            .is_some_and(|s| s.contains("Nouveau compte de prélèvement"))
        {
            continue;
        }
        found = true;
        let text =
            super::visible(&message.body_text(0).unwrap()).replace(['\u{2066}', '\u{2069}'], "");
        assert!(
            text.contains(&follows_fr) && text.contains(&follows_ar),
            "{text}"
        );
        let html = message.body_html(0).unwrap();
        assert!(
            html.contains("سيُقدَّم اقتطاع <span dir=\"ltr\">15/12/2026</span>"),
            "{html}"
        );
    }
    assert!(found, "the replacement e-mail was written");
    chrome.finish().await;
}
