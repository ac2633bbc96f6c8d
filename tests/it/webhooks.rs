//! Webhooks end to end, on both databases: a receiver on loopback (a tokio listener in the
//! test, answering what the test says) gets each notice as signed JSON; the test checks the
//! signature as an employer's software would, reads the delivery log in the portal, drives
//! the clock through the retries of a failing receiver until the worker gives up, and
//! restarts `serve` to see that a delivered webhook is not sent again. Endpoints managed
//! through the JSON API too. Also the console's search by each kind of id, paged with
//! its totals.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::store::{Actor, Role, WebhookStatus, WebhookTargets};
use tahsil::webhooks::{SIGNATURE_HEADER, WebhookSettings, deliver_batch, verify};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::both_backends;
use crate::harness::fixtures::{
    add_user, d, employer_with_worksites, one_cycle, signed_mandate, user_token,
};
use crate::harness::{Served, TestDb, WebApp, call, get, get_text, sign_in, wait_until};

/// What the receiver got: the request's headers (names lower-cased) and its body.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An employer's software on loopback: records each request, answers `answer`.
pub struct Receiver {
    pub address: SocketAddr,
    pub got: Arc<Mutex<Vec<Received>>>,
    pub answer: Arc<AtomicU16>,
}

impl Receiver {
    pub async fn start(answer: u16) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(answer));
        let (got_in, status_in) = (Arc::clone(&got), Arc::clone(&status));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (got, status) = (Arc::clone(&got_in), Arc::clone(&status_in));
                tokio::spawn(handle(stream, got, status));
            }
        });
        Receiver {
            address,
            got,
            answer: status,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook?from=tahsil", self.address.port())
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

async fn handle(
    mut stream: tokio::net::TcpStream,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    assert!(
        request_line.starts_with("POST /hook?from=tahsil HTTP/1.1"),
        "{request_line}"
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let body = data[head_end..(head_end + length).min(data.len())].to_vec();
    got.lock().unwrap().push(Received { headers, body });
    let code = status.load(Ordering::SeqCst);
    let answer = format!("HTTP/1.1 {code} Test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The (only) delivery's status and attempts.
async fn delivery_of(
    store: &tahsil::store::Store,
    employer: i64,
) -> (WebhookStatus, i64, Option<String>) {
    let log = store.webhook_deliveries(employer, 10).await.unwrap();
    assert_eq!(log.len(), 1, "one delivery: {log:?}");
    let (d, _) = &log[0];
    (d.status, d.attempts, d.next_attempt_at.clone())
}

both_backends!(
    a_notice_is_delivered_signed_to_a_loopback_receiver_logged_and_not_sent_again_after_a_restart,
    |db: TestDb| async move {
        let folder = tempfile::tempdir().unwrap();
        let mut config = Served::config(&db, folder.path());
        config.webhooks_allow_loopback = true;
        let clock = Clock::fixed(
            chrono::DateTime::parse_from_rfc3339("2026-12-07T08:00:00Z")
                .unwrap()
                .to_utc(),
        );
        let served = Served::start(&db, config.clone(), &clock, "a").await;
        let store = served.store.clone();
        let employer = employer_with_worksites(&store, "16000001", &["W1"]).await;
        add_user(&store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
        let receiver = Receiver::start(204).await;

        // The employer adds its endpoint on the portal and reads its secret there.
        let browser = sign_in(&served.url(""), "gerant@a.dz").await;
        browser
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;
        let page_path = format!("/portal/{employer}/webhooks");
        let (status, page, _) = browser
            .post(&page_path, &[("url", "ftp://paie.example.dz/")])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("doit commencer par https"), "{page}");
        let url = receiver.url();
        let (status, _, location) = browser.post(&page_path, &[("url", url.as_str())]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some(&*format!("{page_path}?done=added"))
        );
        let (_, page) = browser.get(&format!("{page_path}?done=added")).await;
        let endpoint = store.webhook_endpoints(employer).await.unwrap()[0].id;
        let marker = format!("id=\"secret-{endpoint}\" dir=\"ltr\">");
        let start = page.find(&marker).expect("the secret on the page") + marker.len();
        let secret = page[start..start + page[start..].find('<').unwrap()].to_owned();
        assert!(
            secret.starts_with("whsec_") && secret.len() > 30,
            "{secret}"
        );
        // Encrypted at rest: the database holds no clear secret.
        let stored: String = sqlx::query_scalar("SELECT secret_encrypted FROM webhook_endpoints")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(!stored.contains(&secret[6..]), "encrypted at rest");

        // A notice (the mandate signed) is recorded: its webhook is delivered by `serve`.
        signed_mandate(&store, employer, "004 00174 4010010504 86", None).await;
        wait_until("the receiver got the webhook", || async {
            receiver.received().len() == 1
        })
        .await;
        wait_until("the delivery is recorded", || async {
            delivery_of(&store, employer).await.0 == WebhookStatus::Delivered
        })
        .await;
        let got = &receiver.received()[0];
        let signature = got.header(SIGNATURE_HEADER).expect("signed");
        let now = clock.now().timestamp();
        assert!(
            verify(&secret, signature, &got.body, now, 300),
            "{signature}"
        );
        assert!(!verify("whsec_other", signature, &got.body, now, 300));
        let body: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
        assert_eq!(body["schema"], "tahsil.webhook.v1");
        assert_eq!(body["type"], "mandate_signed");
        assert_eq!(body["employer"]["affiliation_number"], "16000001");
        assert_eq!(body["data"]["object"], "mandate");
        assert_eq!(body["data"]["status"], "active");
        assert_eq!(body["data"]["account_masked"], "****0486");
        assert_eq!(got.header("tahsil-event-type"), Some("mandate_signed"));
        let id = body["id"].to_string();
        assert_eq!(got.header("tahsil-event-id"), Some(id.as_str()));
        let text = String::from_utf8_lossy(&got.body);
        assert!(!text.contains("4010010504"), "no account number: {text}");
        assert!(
            !text.contains("compta@example.dz"),
            "no e-mail address: {text}"
        );

        // The delivery log: delivered, HTTP 204, in Algiers time (09:00, not 08:00 UTC).
        let (status, page) = browser.get(&page_path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"deliveries\""), "{page}");
        assert!(
            page.contains("Livré") && page.contains("HTTP 204"),
            "{page}"
        );
        assert!(
            page.contains("09:00") && !page.contains("08:00:00Z"),
            "{page}"
        );

        // A restart: the delivered webhook is not sent again.
        served.stop().await;
        let served = Served::start(&db, config, &clock, "a").await;
        clock.advance(chrono::Duration::days(1));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(receiver.received().len(), 1, "sent once");
        assert_eq!(delivery_of(&store, employer).await.1, 1);
        served.stop().await;
    }
);

both_backends!(
    a_failing_receiver_is_retried_with_backoff_then_given_up_and_may_be_sent_again,
    |db: TestDb| async move {
        let clock = Clock::fixed(
            chrono::DateTime::parse_from_rfc3339("2026-12-07T08:00:00Z")
                .unwrap()
                .to_utc(),
        );
        let store = db
            .store_with_clock(clock.clone())
            .await
            .with_webhook_targets(WebhookTargets::AllowLoopback);
        let employer = employer_with_worksites(&store, "16000001", &["W1"]).await;
        let receiver = Receiver::start(500).await;
        let actor = Actor::new("test");
        store
            .add_webhook_endpoint(&actor, employer, &receiver.url())
            .await
            .unwrap();
        signed_mandate(&store, employer, "004 00174 4010010504 86", None).await;
        let settings = WebhookSettings {
            max_attempts: 3,
            retry_base: Duration::from_secs(60),
            retry_max: Duration::from_secs(3600),
            timeout: Duration::from_secs(5),
            ..WebhookSettings::default()
        };
        let batch = || deliver_batch(&store, &settings, "worker");

        // 1st attempt: 500, retried a minute later.
        let report = batch().await.unwrap();
        assert_eq!((report.claimed, report.retrying), (1, 1));
        let (status, attempts, next) = delivery_of(&store, employer).await;
        assert_eq!((status, attempts), (WebhookStatus::Pending, 1));
        assert_eq!(next.as_deref(), Some("2026-12-07T08:01:00.000Z"));
        assert_eq!(batch().await.unwrap().claimed, 0, "not due yet");
        clock.advance(chrono::Duration::seconds(59));
        assert_eq!(batch().await.unwrap().claimed, 0, "still not due");
        // 2nd attempt a minute after the 1st, then two minutes later.
        clock.advance(chrono::Duration::seconds(1));
        assert_eq!(batch().await.unwrap().retrying, 1);
        let (_, attempts, next) = delivery_of(&store, employer).await;
        assert_eq!(attempts, 2);
        assert_eq!(next.as_deref(), Some("2026-12-07T08:03:00.000Z"));
        clock.advance(chrono::Duration::seconds(119));
        assert_eq!(batch().await.unwrap().claimed, 0);
        clock.advance(chrono::Duration::seconds(1));
        // 3rd and last attempt: given up.
        let report = batch().await.unwrap();
        assert_eq!((report.claimed, report.failed), (1, 1));
        let (status, attempts, next) = delivery_of(&store, employer).await;
        assert_eq!((status, attempts, next), (WebhookStatus::Failed, 3, None));
        clock.advance(chrono::Duration::days(2));
        assert_eq!(batch().await.unwrap().claimed, 0, "given up for good");
        assert_eq!(receiver.received().len(), 3);
        let log = store.webhook_deliveries(employer, 10).await.unwrap();
        let codes: Vec<Option<i64>> = log[0].1.iter().map(|a| a.status_code).collect();
        assert_eq!(codes, vec![Some(500); 3]);

        // The employer asks for it again once its software is fixed: delivered.
        receiver.answer.store(200, Ordering::SeqCst);
        let delivery = log[0].0.id;
        store
            .redeliver_webhook(&actor, employer, delivery)
            .await
            .unwrap();
        assert!(
            store
                .redeliver_webhook(&actor, employer, delivery)
                .await
                .is_err(),
            "already queued"
        );
        assert_eq!(batch().await.unwrap().delivered, 1);
        assert_eq!(
            delivery_of(&store, employer).await.0,
            WebhookStatus::Delivered
        );
        assert_eq!(receiver.received().len(), 4);
        // Another employer's delivery is not found.
        let other = employer_with_worksites(&store, "16000002", &["W1"]).await;
        assert!(
            store
                .redeliver_webhook(&actor, other, delivery)
                .await
                .is_err()
        );
    }
);

both_backends!(
    one_delivery_per_endpoint_and_event_and_none_without_an_endpoint,
    |db: TestDb| async move {
        let store = db
            .store()
            .await
            .with_webhook_targets(WebhookTargets::AllowLoopback);
        let a = employer_with_worksites(&store, "16000001", &["W1"]).await;
        let b = employer_with_worksites(&store, "16000002", &["W1"]).await;
        let actor = Actor::new("test");
        store
            .add_webhook_endpoint(&actor, a, "http://127.0.0.1:9/one")
            .await
            .unwrap();
        store
            .add_webhook_endpoint(&actor, a, "http://127.0.0.1:9/two")
            .await
            .unwrap();
        assert!(
            store
                .add_webhook_endpoint(&actor, a, "http://127.0.0.1:9/two")
                .await
                .is_err(),
            "the same address twice"
        );
        signed_mandate(&store, a, "004 00174 4010010504 86", None).await;
        signed_mandate(&store, b, "004 00174 4010010504 86", None).await;
        let count = |sql: &'static str| {
            let store = store.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(store.pool())
                    .await
                    .unwrap()
            }
        };
        let notices = count("SELECT COUNT(*) FROM notice_events WHERE employer_id IN (SELECT id FROM employers WHERE affiliation_number = '16000001')").await;
        assert!(notices >= 1);
        assert_eq!(
            count("SELECT COUNT(*) FROM webhook_deliveries").await,
            2 * notices,
            "each of A's notices once per endpoint, none for B"
        );
        // The unique key holds against a second write of the same (endpoint, event).
        let again = sqlx::query(
            "INSERT INTO webhook_deliveries (endpoint_id, employer_id, event_id, kind, subject_id, created_at) \
             SELECT endpoint_id, employer_id, event_id, kind, subject_id, created_at FROM webhook_deliveries",
        )
        .execute(store.pool())
        .await;
        assert!(again.is_err(), "one delivery per endpoint and event");
        // A public-only store refuses loopback and private addresses.
        let public = db.store().await;
        for refused in [
            "http://127.0.0.1:9/x",
            "https://10.0.0.1/x",
            "http://paie.example.dz/x",
        ] {
            assert!(
                public
                    .add_webhook_endpoint(&actor, b, refused)
                    .await
                    .is_err(),
                "{refused}"
            );
        }
    }
);

both_backends!(
    the_console_search_finds_by_each_kind_of_id,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 2))).await;
        let cycle = one_cycle(&app).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
        let reference: String =
            sqlx::query_scalar("SELECT reference FROM mandates WHERE employer_id = $1")
                .bind(cycle.a)
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        let e2e: String = sqlx::query_scalar("SELECT end_to_end_id FROM collections WHERE id = $1")
            .bind(cycle.a_settled)
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        let staff = app.signed_in("finance@fund.dz").await;
        let (_, dashboard) = staff.get("/console").await;
        assert!(
            dashboard.contains("action=\"/console/search\""),
            "the box in the header"
        );
        let search = |q: String| {
            let staff = &staff;
            async move {
                let path = format!(
                    "/console/search?q={}",
                    percent_encoding::utf8_percent_encode(&q, percent_encoding::NON_ALPHANUMERIC)
                );
                let (status, page) = staff.get(&path).await;
                assert_eq!(status, StatusCode::OK, "{q}");
                page
            }
        };
        // A debit by its id and by its bank reference.
        let page = search(cycle.a_settled.to_string()).await;
        assert!(
            page.contains(&format!("href=\"/console/debits/{}\"", cycle.a_settled)),
            "{page}"
        );
        // Its state is the badge every page listing debits shows (paid: good), not a word.
        let row_at = page
            .find(&format!("<tr id=\"debit-{}\">", cycle.a_settled))
            .expect("the debit's row");
        let row = &page[row_at..row_at + page[row_at..].find("</tr>").unwrap()];
        assert!(row.contains("<span class=\"badge good\">"), "{row}");
        let page = search(e2e).await;
        assert!(
            page.contains(&format!("href=\"/console/debits/{}\"", cycle.a_settled)),
            "{page}"
        );
        // A mandate by its reference (any case), and by the account's last digits, masked.
        let page = search(reference.to_lowercase()).await;
        assert!(
            page.contains("id=\"found-mandates\"") && page.contains(&reference),
            "{page}"
        );
        let page = search("0486".to_owned()).await;
        assert!(
            page.contains(&reference) && page.contains("****0486"),
            "{page}"
        );
        assert!(!page.contains("4010010504"), "never the account in clear");
        // The whole number finds it too (by the blind index), still masked.
        // (The box shows back what was typed; the results show the account masked.)
        let page = search("00400174401001050486".to_owned()).await;
        let start = page.find("id=\"found-mandates\"").expect("mandates found");
        let found = &page[start..start + page[start..].find("</table>").unwrap()];
        assert!(
            found.contains(&reference)
                && found.contains("****0486")
                && !found.contains("4010010504"),
            "{found}"
        );
        // An employer by its affiliation number and by its e-mail; a user by e-mail.
        let page = search("16000002".to_owned()).await;
        assert!(
            page.contains(&format!("href=\"/console/employers/{}\"", cycle.b)),
            "{page}"
        );
        let page = search("COMPTA@example.dz".to_owned()).await;
        assert!(
            page.contains(&format!("href=\"/console/employers/{}\"", cycle.a)),
            "{page}"
        );
        let page = search("gerant@a.dz".to_owned()).await;
        assert!(
            page.contains("id=\"found-users\"") && page.contains("gerant@a.dz"),
            "{page}"
        );
        // Nothing found says so; an employer user may not search.
        let page = search("no-such-thing-xyz".to_owned()).await;
        assert!(page.contains("id=\"nothing\""), "{page}");
        let employer = app.signed_in("gerant@a.dz").await;
        let (status, _) = employer.get("/console/search?q=16000001").await;
        assert_ne!(status, StatusCode::OK);
        let (_, portal) = employer.get(&format!("/portal/{}", cycle.a)).await;
        assert!(!portal.contains("/console/search"), "no box for employers");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_documentation_is_a_page_linked_from_the_api_access_page() {
    let db = TestDb::sqlite().await;
    let app = WebApp::spawn(&db).await;
    let a = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
    add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
    let browser = app.signed_in("gerant@a.dz").await;
    let (_, page) = browser.get(&format!("/portal/{a}/api-access")).await;
    assert!(page.contains("href=\"/api/docs\""), "{page}");
    let (status, docs) = browser.get("/api/docs").await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "<code>/api/v1/mandates/{id}/sign</code>",
        "id=\"schema-SignMandate\"",
        "href=\"#schema-SignMandate\"",
        "id=\"webhooks\"",
        "Tahsil-Signature",
    ] {
        assert!(docs.contains(expected), "{expected}");
    }
    assert!(!docs.contains("<script"), "no script");
}

/// A DELETE with a bearer token: the status and the body (empty on 204).
async fn delete(app: &WebApp, path: &str, token: &str) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

both_backends!(
    employer_software_lists_adds_and_deletes_its_webhook_endpoints_through_the_json_api,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let a = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        let b = employer_with_worksites(&app.store, "16000002", &["W1"]).await;
        let (_, token_a) = user_token(&app, "a@a.dz", &["16000001"]).await;
        let (_, token_b) = user_token(&app, "b@b.dz", &["16000002"]).await;
        let post = |token: &str, body: serde_json::Value| {
            let token = token.to_owned();
            let app = &app;
            async move {
                call(
                    app,
                    reqwest::Method::POST,
                    "/api/v1/webhooks",
                    Some(&token),
                    Some(body),
                )
                .await
            }
        };

        // Refused addresses, with the reason: not http(s), loopback on a public deployment.
        for url in ["ftp://paie.example.dz/", "http://127.0.0.1:9/hook", ""] {
            let (status, body) = post(&token_a, serde_json::json!({ "url": url })).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
            assert_eq!(body["error"]["code"], "invalid");
        }
        // Another employer's id: 404, as for the other routes.
        let (status, _) = post(
            &token_a,
            serde_json::json!({ "url": "https://paie.example.dz/tahsil", "employer": b }),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Added: 201 with the secret that signs the deliveries (the one the worker uses).
        let url = "https://paie.example.dz/tahsil";
        let (status, added) = post(&token_a, serde_json::json!({ "url": url })).await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        let id = added["id"].as_i64().unwrap();
        assert_eq!(added["employer_id"], a);
        assert_eq!(added["url"], url);
        let secret = added["secret"].as_str().unwrap();
        assert!(secret.starts_with("whsec_"), "{secret}");
        assert_eq!(app.store.webhook_secret(a, id).await.unwrap(), secret);
        // The same address again: a conflict.
        let (status, body) = post(&token_a, serde_json::json!({ "url": url })).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");

        // Listed for its employer only, never with the secret.
        let (status, list) = get(&app, "/api/v1/webhooks", &token_a).await;
        assert_eq!(status, StatusCode::OK);
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["id"], id);
        assert!(list[0].get("secret").is_none(), "{list:?}");
        let (_, other) = get(&app, "/api/v1/webhooks", &token_b).await;
        assert_eq!(other, serde_json::json!([]));
        let (status, _) = get(&app, &format!("/api/v1/webhooks?employer={b}"), &token_a).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The admin token acts for no employer here.
        let (status, _) = get(&app, "/api/v1/webhooks", "admin-test-token").await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Another employer's token cannot delete it; its own does, once (audited).
        let path = format!("/api/v1/webhooks/{id}");
        let (status, _) = delete(&app, &path, &token_b).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(app.store.webhook_endpoints(a).await.unwrap().len(), 1);
        let (status, body) = delete(&app, &path, &token_a).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert!(app.store.webhook_endpoints(a).await.unwrap().is_empty());
        let (status, _) = delete(&app, &path, &token_a).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let trail = app.store.audit_trail("webhook_endpoint", id).await.unwrap();
        let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["webhook.endpoint_added", "webhook.endpoint_removed"]
        );
        assert!(trail.iter().all(|e| e.actor.starts_with("api-user:")));

        // The human-readable documentation shows them.
        let (status, docs) = get_text(&reqwest::Client::new(), &app.url("/api/docs")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            docs.contains("/api/v1/webhooks") && docs.contains("/api/v1/webhooks/{id}"),
            "{docs}"
        );
    }
);

/// The ids of the employers a search page lists.
fn employers_listed(page: &str) -> Vec<i64> {
    let Some(start) = page.find("id=\"found-employers\"") else {
        return Vec::new();
    };
    let table = &page[start..start + page[start..].find("</table>").unwrap()];
    table
        .split("href=\"/console/employers/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().parse().unwrap())
        .collect()
}

both_backends!(
    the_console_search_pages_through_many_hits_and_says_how_many_there_are,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let mut created = Vec::new();
        for n in 1..=30 {
            created.push(employer_with_worksites(&app.store, &format!("161{n:05}"), &["W1"]).await);
        }
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let staff = app.signed_in("finance@fund.dz").await;
        staff
            .post("/language", &[("lang", "fr"), ("back", "/console")])
            .await;

        // The first page: 25 of the 30, the total said, a link to the next page.
        let (status, first) = staff.get("/console/search?q=161").await;
        assert_eq!(status, StatusCode::OK);
        assert!(first.contains("id=\"page-of\">Page 1 sur 2<"), "{first}");
        assert!(first.contains("1–25 sur 30"), "{first}");
        assert!(
            first.contains("href=\"/console/search?q=161&#38;page=2\" id=\"next-page\""),
            "{first}"
        );
        assert!(!first.contains("id=\"previous-page\""));
        let mut seen = employers_listed(&first);
        assert_eq!(seen.len(), 25);

        // The second: the other 5, a way back, no further page.
        let (_, second) = staff.get("/console/search?q=161&page=2").await;
        assert!(second.contains("Page 2 sur 2"), "{second}");
        assert!(second.contains("26–30 sur 30"), "{second}");
        assert!(second.contains("id=\"previous-page\""), "{second}");
        assert!(!second.contains("id=\"next-page\""), "{second}");
        seen.extend(employers_listed(&second));
        seen.sort_unstable();
        assert_eq!(seen, created, "each employer once over the two pages");

        // A page number that is not one reads the first page; past the last, nothing
        // listed but the way back.
        let (_, odd) = staff.get("/console/search?q=161&page=zero").await;
        assert_eq!(employers_listed(&odd).len(), 25);
        let (_, past) = staff.get("/console/search?q=161&page=9").await;
        assert!(employers_listed(&past).is_empty());
        assert!(
            past.contains("href=\"/console/search?q=161&#38;page=2\" id=\"previous-page\""),
            "{past}"
        );
        // One page only: no page line, no links.
        let (_, one) = staff.get("/console/search?q=16100001").await;
        assert_eq!(employers_listed(&one).len(), 1);
        assert!(one.contains("1 sur 1"), "{one}");
        assert!(!one.contains("id=\"page-of\"") && !one.contains("id=\"next-page\""));
    }
);
