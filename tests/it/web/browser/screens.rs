//! Screens looked at in a browser, in Arabic and French (issue 20): the pages staff and
//! employers act on — one debit and its staff actions, the exceptions with their action
//! forms, the dashboard's over-ceiling list, an employer's page with the audit head, the
//! portal's over-ceiling warning and ceiling form, a revocation's confirmation — each
//! kept as a whole-page screenshot under `<target>/screenshots/screen_<page>_<lang>.png`,
//! and each checked for what a person must never read there: a raw state code, a UTC
//! timestamp, an internal actor (`user:4`), horizontal overflow.

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
    let _ = chrome.client.set_window_size(1280, 900).await;
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
