//! Screens looked at in a browser, in Arabic and French (issue 20): the pages staff and
//! employers act on — one debit and its staff actions, the exceptions with their action
//! forms, the dashboard's over-ceiling list, an employer's page with the audit head, the
//! portal's over-ceiling warning and ceiling form, a revocation's confirmation — each
//! kept as a whole-page screenshot under `<target>/screenshots/screen_<page>_<lang>.png`
//! (and `…_360.png`, on a phone), and each checked for what a person must never read
//! there: a raw state code, a UTC timestamp, an internal actor (`user:4`), horizontal
//! overflow at 1280 px and at 360 px. Then the payment plans, a write-off page, the paged
//! search and the form that turns the second factor off, the same way.

use chrono::Duration;
use tahsil::clock::Clock;
use tahsil::store::Role;

use super::Chrome;
use crate::harness::fixtures::{
    add_user, d, declare, employer_with_worksites, one_cycle, signed_mandate,
};
use crate::harness::{TestDb, WebApp};

/// The page's visible text must not show internals, and the page must not scroll sideways
/// at 1280 px; then a screenshot of the whole page.
pub(super) async fn look_at(chrome: &Chrome, name: &str) {
    let text = chrome
        .script("return document.body.innerText")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let raw = crate::web::internals::visible_internals(&text);
    assert!(
        raw.is_empty(),
        "{name}: internals on screen {raw:?}\n{text}"
    );
    let overflow = chrome
        .script("return document.documentElement.scrollWidth > window.innerWidth")
        .await;
    assert_eq!(overflow, false, "{name} scrolls sideways");
    let height = chrome
        .script("return document.documentElement.scrollHeight")
        .await
        .as_u64()
        .unwrap_or(900)
        .clamp(600, 4000);
    let _ = chrome
        .client
        .set_window_size(1280, u32::try_from(height).unwrap_or(900) + 140)
        .await;
    chrome.screenshot(&format!("screen_{name}")).await;
    on_a_phone(chrome, name).await;
    let _ = chrome.client.set_window_size(1280, 900).await;
}

/// The page on a phone (360 px wide, issue 20): a wide table scrolls inside itself, the
/// page never sideways; then a screenshot `screen_<name>_360`.
async fn on_a_phone(chrome: &Chrome, name: &str) {
    let _ = chrome.client.set_window_size(360, 800).await;
    let width = chrome.script("return window.innerWidth").await.as_u64();
    assert!(
        width.is_some_and(|w| w <= 400),
        "{name}: the window is {width:?} px wide, not a phone's"
    );
    // What sticks out of the screen, outside the tables (which scroll on their own).
    let wider = chrome
        .script(
            "const w = document.documentElement.clientWidth; const out = []; \
             for (const e of document.querySelectorAll('body *')) { \
               if (e.parentElement && e.parentElement.closest('table')) continue; \
               const r = e.getBoundingClientRect(); \
               if (r.right > w + 1 || r.left < -1) \
                 out.push(e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right)); \
             } \
             return document.documentElement.scrollWidth > window.innerWidth ? out.slice(0, 8).join(' | ') || 'the page' : '';",
        )
        .await;
    assert_eq!(
        wider.as_str().unwrap_or_default(),
        "",
        "{name} scrolls sideways at 360 px"
    );
    let height = chrome
        .script("return document.documentElement.scrollHeight")
        .await
        .as_u64()
        .unwrap_or(800)
        .clamp(600, 6000);
    let _ = chrome
        .client
        .set_window_size(360, u32::try_from(height).unwrap_or(800) + 140)
        .await;
    chrome.screenshot(&format!("screen_{name}_360")).await;
}

/// Each page in Arabic (the default), then in French through the language switch, then
/// back to Arabic for the next.
pub(super) async fn both_languages(chrome: &Chrome, app: &WebApp, path: &str, name: &str) {
    chrome.goto(app, path).await;
    chrome.wait_for("html[lang=ar]").await;
    look_at(chrome, &format!("{name}_ar")).await;
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=fr]").await;
    look_at(chrome, &format!("{name}_fr")).await;
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=ar]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_screens_staff_and_employers_act_on() {
    let db = TestDb::sqlite().await;
    let clock = Clock::fixed_on(d(2026, 12, 2));
    let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
    let s = &app.store;
    // A settled, B rejected with a retry planned; C over its ceiling for the 15th.
    let cycle = one_cycle(&app).await;
    let c = employer_with_worksites(s, "16000003", &["W1"]).await;
    signed_mandate(s, c, "004 00174 4010010504 86", Some("1000.00")).await;
    declare(s, c, "2026-11", &[("W1", "100000.00")]).await;
    let schedule =
        mandates::DueDateSchedule::parse(tahsil::config::DEFAULT_DUE_DATE_SCHEDULE).unwrap();
    tahsil::cycle::scheduler::pass(s, &app.settings, &schedule, "a", Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(s.ceiling_shortfalls(clock.today()).await.unwrap().len(), 1);
    // An exception on B's planned retry: its action forms show on the exceptions page.
    sqlx::query(
        "INSERT INTO exceptions (kind, collection_id, detail, status, created_at) \
         VALUES ('needs_staff', $1, 'end_to_end_id TSL-E2E-9, amount 244200 centimes, status RJCT, \
         reason MS03, effect reject', 'open', '2026-12-02T08:00:00Z')",
    )
    .bind(cycle.b_retry)
    .execute(s.pool())
    .await
    .unwrap();
    add_user(s, "finance@fund.dz", Role::Finance, &[]).await;
    add_user(s, "gerant@c.dz", Role::Employer, &["16000003"]).await;
    add_user(s, "gerant@b.dz", Role::Employer, &["16000002"]).await;
    let Some(chrome) = Chrome::start().await else {
        return;
    };

    chrome.sign_in(&app, "finance@fund.dz").await;
    both_languages(&chrome, &app, "/console", "console_dashboard").await;
    assert_eq!(chrome.count("#over-ceiling-list tbody tr").await, 1);
    let debit = format!("/console/debits/{}", cycle.b_retry);
    both_languages(&chrome, &app, &debit, "console_debit_planned").await;
    assert_eq!(chrome.count("#form-hold").await, 1);
    let rejected = format!("/console/debits/{}", cycle.b_rejected);
    both_languages(&chrome, &app, &rejected, "console_debit_rejected").await;
    both_languages(&chrome, &app, "/console/exceptions", "console_exceptions").await;
    let detail = chrome.text("#exceptions tbody tr").await;
    assert!(
        detail.contains("المرجع TSL-E2E-9") && !detail.contains("end_to_end_id"),
        "{detail}"
    );
    let employer = format!("/console/employers/{}", cycle.b);
    both_languages(&chrome, &app, &employer, "console_employer").await;
    assert_eq!(chrome.count("#audit-head").await, 1);
    // Removing a holiday asks first, on a page of its own; keeping it changes nothing.
    chrome.goto(&app, "/console/calendar?year=2026").await;
    let holidays = chrome.count("#holidays tbody tr").await;
    chrome.click("#remove-0").await;
    chrome.wait_for("#remove-form").await;
    look_at(&chrome, "console_holiday_remove_ar").await;
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=fr]").await;
    assert_eq!(chrome.count("#remove-form button.danger").await, 1);
    look_at(&chrome, "console_holiday_remove_fr").await;
    chrome.click("#keep").await;
    chrome.wait_for("#holidays").await;
    assert_eq!(chrome.count("#holidays tbody tr").await, holidays);
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=ar]").await;
    chrome.click("#sign-out").await;

    chrome.sign_in(&app, "gerant@c.dz").await;
    both_languages(
        &chrome,
        &app,
        &format!("/portal/{c}"),
        "portal_over_ceiling",
    )
    .await;
    assert_eq!(chrome.count("#over-ceiling").await, 1);
    let mandate = format!("/portal/{c}/mandate");
    both_languages(&chrome, &app, &mandate, "portal_mandate_ceiling").await;
    assert_eq!(chrome.count("#ceiling-amount").await, 1);
    chrome.click("#sign-out").await;

    chrome.sign_in(&app, "gerant@b.dz").await;
    let b = cycle.b;
    both_languages(&chrome, &app, &format!("/portal/{b}"), "portal_dashboard").await;
    both_languages(
        &chrome,
        &app,
        &format!("/portal/{b}/history"),
        "portal_history",
    )
    .await;
    // Revoking asks first: what stays owed, the planned debit that will not be presented,
    // a reason; the red button stands apart from "check the account".
    chrome.goto(&app, &format!("/portal/{b}/mandate")).await;
    assert_eq!(chrome.count("form #revoke").await, 0, "no one-click revoke");
    chrome.click("#revoke-link").await;
    chrome.wait_for("#revoke-form").await;
    assert_eq!(chrome.count("#planned-debits tbody tr").await, 1);
    look_at(&chrome, "portal_revoke_ar").await;
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=fr]").await;
    look_at(&chrome, "portal_revoke_fr").await;
    // Without a reason the browser does not send it; with one, revoked and said so.
    chrome.click("#revoke").await;
    assert_eq!(
        chrome.path().await,
        format!("/portal/{b}/mandate/{}/revoke", mandate_of(s, b).await)
    );
    chrome.click("#reason-account_closed").await;
    chrome.click("#revoke").await;
    let notice = chrome.wait_for("#notice").await.text().await.unwrap();
    assert!(notice.starts_with("Mandat révoqué"), "{notice}");
    assert_eq!(chrome.count("#revoke-link").await, 0);
    look_at(&chrome, "portal_revoked_fr").await;

    // An address that does not exist, and a form's address opened as a page: real pages,
    // both languages, a link home.
    chrome.goto(&app, "/nowhere").await;
    chrome.wait_for("#home").await;
    look_at(&chrome, "not_found").await;
    chrome
        .goto(&app, &format!("/portal/{b}/mandate/1/sign"))
        .await;
    chrome.wait_for("#home").await;
    assert!(chrome.text("main").await.contains("لا تُفتح هذه الصفحة"));
    look_at(&chrome, "method_not_allowed").await;
    chrome.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_screens_plans_write_offs_search_and_second_factor() {
    let db = TestDb::sqlite().await;
    let clock = Clock::fixed_on(d(2026, 12, 1));
    let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
    let s = &app.store;
    // Three employers owing 2026-10 on three worksites: one with a plan set, one with a
    // plan requested, one with a mandate (its account found by its last digits); 25 more
    // of the same name, so the search by name has two pages.
    let lines = [("W1", "100000.00"), ("W2", "50000.00"), ("W3", "20000.00")];
    let mut owing = Vec::new();
    for affiliation in ["16000001", "16000002", "16000003"] {
        let e = employer_with_worksites(s, affiliation, &["W1", "W2", "W3"]).await;
        declare(s, e, "2026-10", &lines).await;
        owing.push(e);
    }
    for n in 0..25 {
        employer_with_worksites(s, &format!("161{n:05}"), &["W1"]).await;
    }
    signed_mandate(s, owing[2], "004 00174 4010010504 86", None).await;
    let finance = add_user(s, "finance@fund.dz", Role::Finance, &[]).await;
    add_user(s, "gerant@a.dz", Role::Employer, &["16000001"]).await;
    let staff = tahsil::store::Actor::new(format!("user:{finance}"));
    let set = s
        .request_payment_plan(&staff, owing[0], Some("Trésorerie tendue"))
        .await
        .unwrap();
    s.set_payment_plan(
        &staff,
        set.id,
        tahsil::store::SetPlan {
            lines: Vec::new(),
            due_dates: vec![d(2027, 1, 20), d(2027, 2, 20), d(2027, 3, 20)],
        },
    )
    .await
    .unwrap();
    s.request_payment_plan(&staff, owing[1], None)
        .await
        .unwrap();
    let Some(chrome) = Chrome::start().await else {
        return;
    };

    chrome.sign_in(&app, "finance@fund.dz").await;
    both_languages(&chrome, &app, "/console/plans", "console_plans").await;
    let plan = format!("/console/plans/{}", set.id);
    both_languages(&chrome, &app, &plan, "console_plan").await;
    let write_offs = format!("/console/employers/{}/write-offs", owing[2]);
    both_languages(&chrome, &app, &write_offs, "console_write_offs").await;
    both_languages(&chrome, &app, "/console/search?q=Sud", "console_search").await;
    assert_eq!(chrome.count("#found-employers tbody tr").await, 25);
    both_languages(
        &chrome,
        &app,
        "/console/search?q=Sud&page=2",
        "console_search_page_2",
    )
    .await;
    chrome.goto(&app, "/console/search?q=0486").await;
    chrome.wait_for("#found-mandates").await;
    let source = chrome.client.source().await.unwrap();
    let masks = crate::web::readable::unisolated_masks(&source);
    assert!(masks.is_empty(), "{masks:?}");
    look_at(&chrome, "console_search_account_ar").await;
    // The second factor on, as a person sets it up; then the form that turns it off.
    chrome.goto(&app, "/account").await;
    chrome.click("#start-two-factor").await;
    let secret = chrome.text("#totp-secret").await;
    let bytes = tahsil::totp::from_base32(&secret).unwrap();
    let code = tahsil::totp::code_at(&bytes, tahsil::totp::step_of(clock.now().timestamp()));
    chrome.type_into("#totp-code", &code).await;
    chrome.click("#confirm-two-factor").await;
    chrome.wait_for("#totp-off-code").await;
    both_languages(&chrome, &app, "/account", "account_second_factor_off").await;
    assert_eq!(chrome.count("#disable-two-factor").await, 1);
    chrome.click("#sign-out").await;

    chrome.sign_in(&app, "gerant@a.dz").await;
    let plans = format!("/portal/{}/plans", owing[0]);
    both_languages(&chrome, &app, &plans, "portal_plans").await;
    chrome.finish().await;
}

/// The employer's active mandate.
async fn mandate_of(store: &tahsil::store::Store, employer: i64) -> i64 {
    store
        .list_mandates(employer)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.status.as_str() == "active")
        .unwrap()
        .id
}
