//! The portal's webhooks page in a browser, in Arabic and French (issue 20): a webhook
//! delivered to a receiver on loopback, and another still failing with its next retry,
//! shown in the delivery log — screenshots `screen_portal_webhooks_{ar,fr}.png`, checked
//! like every screen for internals on the page.

use tahsil::clock::Clock;
use tahsil::store::{Actor, Role, WebhookTargets};
use tahsil::webhooks::{WebhookSettings, deliver_batch};

use super::Chrome;
use super::screens::both_languages;
use crate::harness::fixtures::{add_user, d, employer_with_worksites, signed_mandate};
use crate::harness::{TestDb, WebApp};
use crate::webhooks::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_the_webhook_delivery_log() {
    let db = TestDb::sqlite().await;
    let clock = Clock::fixed_on(d(2026, 12, 2));
    let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
    // The worker's store may reach loopback (the receiver); the pages' store is the app's.
    let store = app
        .store
        .clone()
        .with_webhook_targets(WebhookTargets::AllowLoopback);
    let employer = employer_with_worksites(&store, "16000001", &["W1"]).await;
    add_user(&store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
    let good = Receiver::start(204).await;
    let bad = Receiver::start(503).await;
    for url in [good.url(), bad.url()] {
        store
            .add_webhook_endpoint(&Actor::new("test"), employer, &url)
            .await
            .unwrap();
    }
    signed_mandate(&store, employer, "004 00174 4010010504 86", None).await;
    let report = deliver_batch(&store, &WebhookSettings::default(), "worker")
        .await
        .unwrap();
    assert_eq!((report.delivered, report.retrying), (1, 1));
    assert_eq!((good.received().len(), bad.received().len()), (1, 1));

    let Some(chrome) = Chrome::start().await else {
        return;
    };
    chrome.sign_in(&app, "gerant@a.dz").await;
    let path = format!("/portal/{employer}/webhooks");
    both_languages(&chrome, &app, &path, "portal_webhooks").await;
    assert_eq!(chrome.count("#deliveries tbody tr").await, 2);
    assert_eq!(chrome.count("#endpoints tbody tr").await, 2);
}
