//! Notices through a real SMTP server: Python's aiosmtpd (`harness::smtp`), started by
//! each test on loopback, storing what it receives in a Maildir that the test reads back
//! and parses.
//! Without aiosmtpd the tests print `skipped: …` and pass, except under CI.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mail_parser::{MessageParser, MimeHeaders};
use mandates::Amount;
use tahsil::config::{Config, Secret};
use tahsil::notices::{Mailer, NoticeSettings, RenderContext};
use tahsil::store::{NewDeclaration, NewDeclarationLine, NewEmployer, NewWorksite, Store};

use crate::both_backends;
use crate::harness::TestDb;
use crate::harness::fixtures::{actor, d, signed_mandate};
use crate::harness::smtp::SmtpServer;

/// A received message, parsed: what the tests look at.
#[derive(Debug)]
struct Received {
    raw: String,
    message_id: String,
    to: String,
    subject: String,
    text: String,
    html: String,
    content_type: String,
}

fn parse(raw: &[u8]) -> Received {
    let message = MessageParser::default()
        .parse(raw)
        .expect("a parseable message");
    let content_type = message
        .content_type()
        .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
        .unwrap_or_default();
    assert_eq!(message.text_body_count(), 1, "one text part");
    assert_eq!(message.html_body_count(), 1, "one HTML part");
    Received {
        raw: String::from_utf8_lossy(raw).into_owned(),
        message_id: message.message_id().expect("a Message-ID").to_owned(),
        to: message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .expect("a To address")
            .to_owned(),
        subject: message.subject().expect("a subject").to_owned(),
        text: message.body_text(0).unwrap().into_owned(),
        html: message.body_html(0).unwrap().into_owned(),
        content_type,
    }
}

/// A mailer on the test server, built from configuration as `serve` builds it.
async fn smtp_mailer(url: &str) -> Mailer {
    let config = Config {
        smtp_url: Some(Secret::new(url.to_owned())),
        mail_from: "CACOBATPH <avis@cacobatph.dz>".to_owned(),
        mail_reply_to: Some("Réclamations <reclamations@cacobatph.dz>".to_owned()),
        ..Config::default()
    };
    tahsil::notices::mailer_from_config(&config).unwrap()
}

/// Fast retries, so an outage of a second is seen and outlived within a test.
fn fast_settings(batch: i64) -> NoticeSettings {
    NoticeSettings {
        batch,
        lock: Duration::from_secs(60),
        concurrency: 4,
        retry_base: Duration::from_millis(200),
        retry_max: Duration::from_millis(800),
        poll: Duration::from_millis(100),
        render: RenderContext {
            portal_url: Some("https://portail.cacobatph.dz".to_owned()),
            reply_to: Some("reclamations@cacobatph.dz".to_owned()),
            notice_days: 5,
        },
    }
}

async fn employer(store: &Store, affiliation: &str, email: &str, language: &str) -> i64 {
    let employer = store
        .create_employer(
            &actor(),
            NewEmployer {
                affiliation_number: affiliation.to_owned(),
                name: format!("SARL Travaux {affiliation}"),
                name_ar: Some("شركة الأشغال".to_owned()),
                email: email.to_owned(),
                language: Some(language.to_owned()),
                period_kind: None,
            },
        )
        .await
        .unwrap();
    employer.id
}

async fn worksite(store: &Store, employer: i64, code: &str, name: &str) {
    store
        .create_worksite(
            &actor(),
            employer,
            NewWorksite {
                code: code.to_owned(),
                name: name.to_owned(),
                wilaya: Some("Oran".to_owned()),
            },
        )
        .await
        .unwrap();
}

async fn declare(store: &Store, employer: i64, lines: &[(&str, &str)]) {
    store
        .submit_declaration(
            &actor(),
            employer,
            NewDeclaration {
                period: "2026-10".parse().unwrap(),
                lines: lines
                    .iter()
                    .map(|(code, wage)| NewDeclarationLine {
                        worksite_code: (*code).to_owned(),
                        headcount: 4,
                        wage_bill: Amount::parse(wage).unwrap(),
                        bad_weather_base: Amount::parse("10000.00").unwrap(),
                    })
                    .collect(),
            },
        )
        .await
        .unwrap();
}

async fn statuses(store: &Store) -> BTreeMap<String, i64> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM notice_events GROUP BY status")
            .fetch_all(store.pool())
            .await
            .unwrap();
    rows.into_iter().collect()
}

async fn event_ids(store: &Store) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT id, dedupe_key FROM notice_events ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

const FIRST_ACCOUNT: &str = "00400174401001050486";
const SECOND_ACCOUNT: &str = "00100001000000000144";

both_backends!(
    notices_reach_a_real_smtp_server_in_the_employers_languages,
    |db: TestDb| async move {
        let store = db.store().await;
        let dir = tempfile::tempdir().unwrap();
        let Some(server) = SmtpServer::start(dir.path(), 0, None) else {
            return;
        };
        // A: both languages, two worksites; its account is replaced before the collection.
        let a = employer(&store, "31000001", "compta.a@example.dz", "both").await;
        worksite(&store, a, "W1", "Logements LPL Bir El Djir").await;
        worksite(&store, a, "W2", "Lycée Es Senia").await;
        signed_mandate(&store, a, FIRST_ACCOUNT, None).await;
        signed_mandate(&store, a, SECOND_ACCOUNT, None).await;
        declare(&store, a, &[("W1", "100000.00"), ("W2", "50000.00")]).await;
        // B: French only. C: Arabic only, revokes its mandate.
        let b = employer(&store, "31000002", "compta.b@example.dz", "fr").await;
        worksite(&store, b, "S1", "Barrage").await;
        signed_mandate(&store, b, "200 12", None).await;
        declare(&store, b, &[("S1", "20000.00")]).await;
        let c = employer(&store, "31000003", "compta.c@example.dz", "ar").await;
        let revoked = signed_mandate(&store, c, "23115007 32", None).await;
        store
            .revoke_mandate(&actor(), revoked, "test")
            .await
            .unwrap();
        store
            .plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 8))
            .await
            .unwrap();

        let mailer = smtp_mailer(&server.url()).await;
        let report = tahsil::notices::deliver_all(
            &store,
            &mailer,
            &fast_settings(10),
            "worker-1",
            Duration::from_secs(20),
        )
        .await
        .unwrap();
        // A: signed, replaced, advance notice; B: signed, advance notice; C: signed, revoked.
        assert_eq!(report.sent, 7, "{report:?}");
        assert_eq!(
            statuses(&store).await,
            BTreeMap::from([("sent".to_owned(), 7)])
        );

        let received: Vec<Received> = server.messages().iter().map(|m| parse(m)).collect();
        assert_eq!(received.len(), 7);
        // Each message carries its event's Message-ID, to the employer it is about.
        let ids: BTreeSet<&str> = received.iter().map(|m| m.message_id.as_str()).collect();
        let expected: BTreeSet<String> = event_ids(&store)
            .await
            .iter()
            .map(|(id, key)| {
                mailer
                    .message_id(*id, key)
                    .trim_matches(['<', '>'])
                    .to_owned()
            })
            .collect();
        assert_eq!(
            ids,
            expected.iter().map(String::as_str).collect::<BTreeSet<_>>()
        );
        let mut envelope = server.envelope_recipients();
        envelope.sort();
        let mut headers: Vec<String> = received.iter().map(|m| m.to.clone()).collect();
        headers.sort();
        assert_eq!(envelope, headers);
        assert_eq!(
            headers
                .iter()
                .filter(|t| *t == "compta.a@example.dz")
                .count(),
            3
        );
        for m in &received {
            assert_eq!(m.content_type, "multipart/alternative", "{}", m.raw);
            for digits in [FIRST_ACCOUNT, SECOND_ACCOUNT, "0000000001"] {
                for part in [&m.raw, &m.text, &m.html, &m.subject] {
                    assert!(!part.contains(digits), "account digits in {}", m.subject);
                }
            }
        }

        // A's advance notice: both languages, the breakdown, the new account masked.
        let advance = received
            .iter()
            .find(|m| m.to == "compta.a@example.dz" && m.subject.contains("Avis de prélèvement"))
            .expect("A's advance notice");
        assert!(
            advance.subject.contains("إشعار مسبق بالاقتطاع"),
            "{}",
            advance.subject
        );
        // 12.21 % of 100,000.00 and of 50,000.00, plus bad weather on 10,000.00 per line.
        let total: i64 =
            sqlx::query_scalar("SELECT amount_centimes FROM collections WHERE employer_id = $1")
                .bind(a)
                .fetch_one(store.pool())
                .await
                .unwrap();
        let total_text = tahsil::locale::digits(Amount::from_centimes(total));
        // The Arabic text part isolates its Latin and digit runs (U+2066 … U+2069, issue
        // 20): read here without them.
        assert!(
            advance
                .text
                .contains(&format!("\u{2066}{total_text}\u{2069}\u{a0}د.ج")),
            "{}",
            advance.text
        );
        let advance_text = advance.text.replace(['\u{2066}', '\u{2069}'], "");
        for body in [&advance_text, &advance.html] {
            assert!(body.contains(&format!("{total_text}\u{a0}DA")), "{body}");
            assert!(body.contains(&format!("{total_text}\u{a0}د.ج")), "{body}");
            assert!(body.contains("15/12/2026"));
            assert!(body.contains("W1") && body.contains("Logements LPL Bir El Djir"));
            assert!(body.contains("W2") && body.contains("Lycée Es Senia"));
            assert!(body.contains("Congés payés") && body.contains("العطل المدفوعة الأجر"));
            assert!(body.contains("Chômage-intempéries (part employeur)"));
            assert!(body.contains("****0144"), "the new account, masked");
            assert!(
                body.contains("avant le 14/12/2026"),
                "how to contest, and by when"
            );
        }
        assert!(advance.html.contains(r#"dir="rtl" lang="ar""#));
        assert!(advance.html.contains(r#"dir="ltr" lang="fr""#));
        // In the Arabic part, amounts and dates are isolated left to right (issue 20):
        // `1 234,56 د.ج` would otherwise show its digit groups in reverse order.
        assert!(
            advance.html.contains(&format!(
                "<strong><span dir=\"ltr\">{total_text}\u{a0}د.ج</span></strong> بتاريخ <strong><span dir=\"ltr\">15/12/2026</span></strong>"
            )),
            "{}",
            advance.html
        );
        assert!(advance.raw.contains("Reply-To: "), "{}", advance.raw);

        let replaced = received
            .iter()
            .find(|m| m.subject.contains("Nouveau compte de prélèvement"))
            .expect("A's replacement notice");
        assert!(replaced.text.contains("****0486") && replaced.text.contains("****0144"));

        // B reads French only; C Arabic only.
        for m in received.iter().filter(|m| m.to == "compta.b@example.dz") {
            assert!(
                !m.text.contains("د.ج") && !m.html.contains(r#"lang="ar""#),
                "{}",
                m.text
            );
        }
        let for_c: Vec<&Received> = received
            .iter()
            .filter(|m| m.to == "compta.c@example.dz")
            .collect();
        assert_eq!(for_c.len(), 2);
        for m in &for_c {
            assert!(!m.text.contains("Madame") && m.html.contains(r#"<html lang="ar" dir="rtl">"#));
        }
        assert!(
            for_c
                .iter()
                .any(|m| m.subject.contains("إلغاء ترخيص الاقتطاع"))
        );

        // What was sent is kept for the portal.
        let listed = store.notices_for_employer(a, 50).await.unwrap();
        assert_eq!(listed.len(), 3);
        for notice in &listed {
            assert_eq!(notice.status.as_str(), "sent");
            assert_eq!(notice.recipient.as_deref(), Some("compta.a@example.dz"));
            assert_eq!(notice.language.map(|l| l.as_str()), Some("both"));
            let text = notice.body_text.as_deref().unwrap();
            assert!(!text.contains(FIRST_ACCOUNT) && !text.contains(SECOND_ACCOUNT));
            assert!(
                received
                    .iter()
                    .any(|m| Some(format!("<{}>", m.message_id)) == notice.message_id)
            );
        }
        assert_eq!(listed[0].kind.as_str(), "advance_notice");

        // Nothing is sent twice: another pass finds nothing to do.
        let again = tahsil::notices::deliver_batch(&store, &mailer, &fast_settings(10), "worker-1")
            .await
            .unwrap();
        assert_eq!(again.claimed, 0);
        assert_eq!(server.messages().len(), 7);
    }
);

/// Seeds `employers` employers and plans their collections: one advance notice each.
async fn advance_notices(store: &Store, employers: u64) {
    tahsil::demo::seed(store, employers, 2, "2026-10", 11, |_| {})
        .await
        .unwrap();
    let plan = store
        .plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 8))
        .await
        .unwrap();
    assert_eq!(plan.planned, employers);
}

both_backends!(
    an_smtp_outage_mid_batch_delays_notices_but_each_arrives_once,
    |db: TestDb| async move {
        let store = db.store().await;
        let dir = tempfile::tempdir().unwrap();
        advance_notices(&store, 30).await;
        // The server takes 8 messages, then stops in the middle of the worker's batches.
        let Some(mut server) = SmtpServer::start(dir.path(), 0, Some(8)) else {
            return;
        };
        let mailer = smtp_mailer(&server.url()).await;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(tahsil::notices::run_loop(
            store.clone(),
            mailer.clone(),
            fast_settings(10),
            "worker-1".to_owned(),
            stopped,
        ));
        server.wait_for_exit(Duration::from_secs(30));
        // While it is down the worker keeps trying, and says why.
        let deadline = Instant::now() + Duration::from_secs(10);
        let waiting = loop {
            let waiting = store.notice_failures(false, 100).await.unwrap();
            if waiting.iter().any(|f| f.attempts >= 2) || Instant::now() > deadline {
                break waiting;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(
            waiting.iter().any(|f| f.attempts >= 2),
            "retried during the outage: {waiting:?}"
        );
        assert!(
            waiting.iter().all(|f| f.status.as_str() == "pending"),
            "{waiting:?}"
        );
        assert!(
            waiting
                .iter()
                .all(|f| f.last_error.as_deref().is_some_and(|e| !e.contains('@'))),
            "{waiting:?}"
        );
        let during = server.messages().len();
        assert!(
            (8..30).contains(&during),
            "{during} received before the outage"
        );

        server.restart();
        let deadline = Instant::now() + Duration::from_secs(60);
        while statuses(&store).await.get("sent") != Some(&30) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = stop.send(true);
        worker.await.unwrap();

        assert_eq!(
            statuses(&store).await,
            BTreeMap::from([("sent".to_owned(), 30)])
        );
        let received: Vec<Received> = server.messages().iter().map(|m| parse(m)).collect();
        let ids: BTreeSet<String> = received.iter().map(|m| m.message_id.clone()).collect();
        assert_eq!(received.len(), 30, "every notice once, none twice");
        assert_eq!(ids.len(), 30);
        let expected: BTreeSet<String> = event_ids(&store)
            .await
            .iter()
            .map(|(id, key)| {
                mailer
                    .message_id(*id, key)
                    .trim_matches(['<', '>'])
                    .to_owned()
            })
            .collect();
        assert_eq!(ids, expected);
    }
);

both_backends!(
    two_workers_on_one_database_send_each_notice_once,
    |db: TestDb| async move {
        let first = db.store().await;
        let second = db.store().await;
        let dir = tempfile::tempdir().unwrap();
        advance_notices(&first, 60).await;

        // The claim alone: four claimers racing take every notice exactly once.
        let mut claimers = Vec::new();
        for n in 0..4 {
            let store = if n % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            claimers.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store
                        .claim_notices(&format!("claimer-{n}"), chrono::Duration::seconds(60), 3)
                        .await
                        .unwrap();
                    assert!(batch.len() <= 3, "a claim takes at most its limit");
                    if batch.is_empty() {
                        break mine;
                    }
                    mine.extend(batch.iter().map(|c| c.id));
                }
            }));
        }
        let mut claimed = Vec::new();
        for claimer in claimers {
            claimed.extend(claimer.await.unwrap());
        }
        claimed.sort();
        let all: Vec<i64> = event_ids(&first).await.iter().map(|(id, _)| *id).collect();
        assert_eq!(claimed, all, "each notice claimed by exactly one claimer");
        // Give them back (as an expired lock would).
        sqlx::query("UPDATE notice_events SET locked_by = NULL, locked_until = NULL")
            .execute(first.pool())
            .await
            .unwrap();

        // Two delivery workers, each with its own pool, through one server.
        let Some(server) = SmtpServer::start(dir.path(), 0, None) else {
            return;
        };
        let mailer = smtp_mailer(&server.url()).await;
        let settings = fast_settings(5);
        let (one, two) = tokio::join!(
            tahsil::notices::deliver_all(
                &first,
                &mailer,
                &settings,
                "worker-1",
                Duration::from_secs(30)
            ),
            tahsil::notices::deliver_all(
                &second,
                &mailer,
                &settings,
                "worker-2",
                Duration::from_secs(30)
            ),
        );
        let (one, two) = (one.unwrap(), two.unwrap());
        assert_eq!(one.sent + two.sent, 60, "{one:?} {two:?}");
        assert!(one.sent > 0 && two.sent > 0, "both worked: {one:?} {two:?}");
        let received: Vec<Received> = server.messages().iter().map(|m| parse(m)).collect();
        let ids: BTreeSet<String> = received.iter().map(|m| m.message_id.clone()).collect();
        assert_eq!(received.len(), 60);
        assert_eq!(ids.len(), 60);
        assert_eq!(
            statuses(&first).await,
            BTreeMap::from([("sent".to_owned(), 60)])
        );
    }
);

both_backends!(
    a_refused_address_fails_for_good_and_a_deferred_one_is_retried,
    |db: TestDb| async move {
        let store = db.store().await;
        let dir = tempfile::tempdir().unwrap();
        let Some(server) = SmtpServer::start(dir.path(), 0, None) else {
            return;
        };
        let refused = employer(&store, "32000001", "reject.me@example.dz", "fr").await;
        let deferred = employer(&store, "32000002", "tempfail@example.dz", "fr").await;
        let fine = employer(&store, "32000003", "ok@example.dz", "fr").await;
        for (e, account) in [
            (refused, FIRST_ACCOUNT),
            (deferred, SECOND_ACCOUNT),
            (fine, "200 12"),
        ] {
            signed_mandate(&store, e, account, None).await;
        }
        let mailer = smtp_mailer(&server.url()).await;
        tahsil::notices::deliver_all(
            &store,
            &mailer,
            &fast_settings(10),
            "w",
            Duration::from_secs(20),
        )
        .await
        .unwrap();
        let rows: Vec<(i64, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT employer_id, status, attempts, last_error FROM notice_events ORDER BY employer_id",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(rows[0].0, refused);
        assert_eq!((rows[0].1.as_str(), rows[0].2), ("failed", 1), "{rows:?}");
        let error = rows[0].3.as_deref().unwrap();
        assert!(
            error.contains("550") && !error.contains("reject.me"),
            "{error}"
        );
        assert_eq!(
            (rows[1].1.as_str(), rows[1].2),
            ("sent", 3),
            "two 451s, then sent: {rows:?}"
        );
        assert_eq!((rows[2].1.as_str(), rows[2].2), ("sent", 1), "{rows:?}");
        assert_eq!(server.messages().len(), 2);

        // Staff see it, without the address.
        let output = Command::new(env!("CARGO_BIN_EXE_tahsil"))
            .args(["--database-url", &db.url, "notices", "--failed"])
            .env("TAHSIL_ENCRYPTION_KEY", crate::harness::test_key_base64())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        assert!(
            !stdout.contains("mandate_signed") && stdout.contains("Échec d'envoi"),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!(
                "employer {refused} {} (Échec d'envoi)",
                tahsil::locale::Word::word(
                    tahsil::store::NoticeKind::MandateSigned,
                    tahsil::locale::Lang::Fr
                )
            )),
            "{stdout}"
        );
        assert!(
            stdout.contains("550") && !stdout.contains("reject.me"),
            "{stdout}"
        );
    }
);

fn demo(dir: &Path, smtp: Option<&str>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tahsil"));
    command
        .args(["demo", "--dir"])
        .arg(dir)
        .args(["--employers", "40"])
        .env_remove("TAHSIL_DATABASE_URL")
        .env_remove("TAHSIL_ENCRYPTION_KEY")
        .env_remove("TAHSIL_MAIL_DIR")
        .env_remove("TAHSIL_SMTP_URL");
    if let Some(url) = smtp {
        command.env("TAHSIL_SMTP_URL", url);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The stored code of the notice kind whose word (French, the command line's) is `word`.
fn notice_code(word: &str) -> String {
    use tahsil::locale::{Lang, Word};
    use tahsil::store::NoticeKind;
    NoticeKind::ALL
        .iter()
        .find(|kind| kind.word(Lang::Fr) == word)
        .unwrap_or_else(|| panic!("no notice kind is called {word:?}"))
        .as_str()
        .to_owned()
}

/// `kind status count` lines of the demo's notice section.
fn notice_counts(summary: &str) -> BTreeMap<String, i64> {
    summary
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("notices:"))
        .skip(1)
        .map_while(|l| {
            // `Avis d'échec     Envoyé     3`: the kind in its word, its state's, the count.
            let parts: Vec<&str> = l.split_whitespace().collect();
            match parts.as_slice() {
                [kind @ .., "Envoyé", n] if !kind.is_empty() => {
                    Some((notice_code(&kind.join(" ")), n.parse().unwrap()))
                }
                _ => None,
            }
        })
        .collect()
}

#[test]
fn the_demo_delivers_every_notice_of_its_cycle_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = SmtpServer::start(dir.path(), 0, None) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // Through SMTP.
    let summary = demo(&dir.path().join("demo"), Some(&server.url()));
    let counts = notice_counts(&summary);
    let sent: i64 = counts.values().sum();
    assert!(
        summary.contains(&format!("{sent} sent through {}", server.url())),
        "{summary}"
    );
    assert!(counts.get("receipt").is_some_and(|n| *n > 20), "{summary}");
    // Its logins: staff (finance and an administrator) and employer users.
    for login in [
        "finance@demo.tahsil.dz       finance",
        "admin@demo.tahsil.dz         admin",
        "employeur1@demo.tahsil.dz    employer",
    ] {
        assert!(summary.contains(login), "{login} in {summary}");
    }
    assert!(
        counts.get("failure_notice").is_some_and(|n| *n > 0),
        "{summary}"
    );
    let received: Vec<Received> = server.messages().iter().map(|m| parse(m)).collect();
    assert_eq!(received.len() as i64, sent);

    // Receipts: numbered once, uniquely. Failure notices: the reason of their collection.
    let store = runtime.block_on(async {
        let db = dir.path().join("demo").join("tahsil.db");
        Store::connect(
            &format!("sqlite://{}", db.display()),
            2,
            tahsil::crypto::AccountCipher::from_key_file(
                &dir.path().join("demo").join("tahsil.db.key"),
            )
            .unwrap(),
            mandates::BankTable::algeria_default(),
        )
        .await
        .unwrap()
    });
    // One advance notice per debit (retries included), a receipt per settled one, a
    // failure notice per rejected or returned one.
    let by_status: BTreeMap<String, i64> = runtime.block_on(async {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM collections GROUP BY status")
                .fetch_all(store.pool())
                .await
                .unwrap();
        rows.into_iter().collect()
    });
    let status = |s: &str| by_status.get(s).copied().unwrap_or(0);
    assert_eq!(
        counts["advance_notice"],
        by_status.values().sum::<i64>(),
        "{by_status:?}"
    );
    assert!(counts["advance_notice"] >= 40);
    assert_eq!(counts["receipt"], status("settled"), "{by_status:?}");
    assert_eq!(
        counts["failure_notice"],
        status("rejected") + status("returned") + status("retry_planned"),
        "{by_status:?}"
    );
    let receipts: Vec<String> = runtime.block_on(async {
        sqlx::query_scalar("SELECT number FROM receipts ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap()
    });
    assert_eq!(receipts.len() as i64, counts["receipt"]);
    assert_eq!(
        receipts.iter().collect::<BTreeSet<_>>().len(),
        receipts.len()
    );
    for number in &receipts {
        assert_eq!(
            received
                .iter()
                .filter(|m| m.subject.contains(number.as_str()))
                .count(),
            1,
            "receipt {number}"
        );
    }
    let failures: Vec<(String, String, String)> = runtime.block_on(async {
        sqlx::query_as(
            "SELECT m.message_id, COALESCE(c.reason_category, 'other'), e.language FROM notice_events n \
             JOIN notice_messages m ON m.event_id = n.id JOIN collections c ON c.id = n.subject_id \
             JOIN employers e ON e.id = n.employer_id WHERE n.kind = 'failure_notice'",
        )
        .fetch_all(store.pool())
        .await
        .unwrap()
    });
    assert_eq!(failures.len() as i64, counts["failure_notice"]);
    for (message_id, category, language) in failures {
        let message = received
            .iter()
            .find(|m| format!("<{}>", m.message_id) == message_id)
            .unwrap();
        let category = bank_formats::reasons::ReasonCategory::parse(&category).unwrap();
        if language != "ar" {
            assert!(
                message.text.contains(category.text_fr()),
                "{}",
                message.text
            );
        }
        if language != "fr" {
            assert!(
                message.text.contains(category.text_ar()),
                "{}",
                message.text
            );
        }
    }

    // Without SMTP: the same notices as .eml files in DIR/mail.
    let folder_dir = dir.path().join("folder-demo");
    let summary = demo(&folder_dir, None);
    let mail = folder_dir.join("mail");
    assert!(
        summary.contains(&format!("written as .eml files into {}", mail.display())),
        "{summary}"
    );
    let files: Vec<Vec<u8>> = std::fs::read_dir(&mail)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(
        files.len() as i64,
        notice_counts(&summary).values().sum::<i64>()
    );
    for file in &files {
        parse(file);
    }
    // A second demo in the same folder replaces the first one's notices.
    let summary = demo(&folder_dir, None);
    assert_eq!(
        std::fs::read_dir(&mail).unwrap().count() as i64,
        notice_counts(&summary).values().sum::<i64>()
    );
}

both_backends!(
    a_dead_workers_notices_are_taken_over_and_a_resend_keeps_its_message_id,
    |db: TestDb| async move {
        let store = db.store().await;
        let dir = tempfile::tempdir().unwrap();
        advance_notices(&store, 3).await;
        // A worker claims everything with a short lock, then dies.
        let dead = store
            .claim_notices("dead-worker", chrono::Duration::milliseconds(800), 10)
            .await
            .unwrap();
        assert_eq!(dead.len(), 3);
        assert!(
            store
                .claim_notices("live-worker", chrono::Duration::seconds(60), 10)
                .await
                .unwrap()
                .is_empty(),
            "locked notices are not claimed twice"
        );
        tokio::time::sleep(Duration::from_millis(900)).await;
        let config = Config {
            mail_dir: Some(dir.path().join("mail")),
            mail_from: "CACOBATPH <avis@cacobatph.dz>".to_owned(),
            ..Config::default()
        };
        let mailer = tahsil::notices::mailer_from_config(&config).unwrap();
        let report = tahsil::notices::deliver_all(
            &store,
            &mailer,
            &fast_settings(10),
            "live-worker",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!(
            report.sent, 3,
            "taken over once the lock expired: {report:?}"
        );
        let files = || -> BTreeMap<String, String> {
            std::fs::read_dir(dir.path().join("mail"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .map(|p| {
                    let raw = std::fs::read(&p).unwrap();
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        parse(&raw).message_id,
                    )
                })
                .collect()
        };
        let first = files();
        assert_eq!(first.len(), 3);

        // A crash after the hand-over and before the sent mark leaves a notice pending: it is
        // sent again with the same Message-ID, and the folder still holds it once.
        sqlx::query("UPDATE notice_events SET status = 'pending' WHERE id = (SELECT MIN(id) FROM notice_events)")
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::query(
            "DELETE FROM notice_messages WHERE event_id = (SELECT MIN(id) FROM notice_events)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let again = tahsil::notices::deliver_all(
            &store,
            &mailer,
            &fast_settings(10),
            "live-worker",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!(again.sent, 1);
        assert_eq!(files(), first, "same files, same Message-IDs");
    }
);

both_backends!(
    password_reset_emails_go_through_smtp_once_with_a_working_link,
    |db: TestDb| async move {
        let store = db.store().await;
        let dir = tempfile::tempdir().unwrap();
        let Some(server) = SmtpServer::start(dir.path(), 0, None) else {
            return;
        };
        store
            .create_user(
                &actor(),
                tahsil::store::NewUser {
                    email: "finance@fund.dz".to_owned(),
                    display_name: "Finance".to_owned(),
                    role: tahsil::store::Role::Finance,
                    password: "correct horse battery".to_owned(),
                    employers: Vec::new(),
                },
            )
            .await
            .unwrap();
        assert!(
            store
                .request_password_reset("finance@fund.dz")
                .await
                .unwrap()
        );
        let mailer = smtp_mailer(&server.url()).await;
        for _ in 0..2 {
            tahsil::notices::deliver_all(
                &store,
                &mailer,
                &fast_settings(10),
                "w",
                Duration::from_secs(5),
            )
            .await
            .unwrap();
        }
        let messages = server.messages();
        assert_eq!(messages.len(), 1, "sent once");
        let m = parse(&messages[0]);
        assert_eq!(m.to, "finance@fund.dz");
        assert!(
            m.message_id.starts_with("password-reset."),
            "{}",
            m.message_id
        );
        assert!(
            m.subject.contains("Réinitialisation") && m.subject.contains("إعادة تعيين"),
            "no language chosen: both"
        );
        let marker = "https://portail.cacobatph.dz/password/reset?token=";
        let start = m.text.find(marker).expect("the link") + marker.len();
        let token: String = m.text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        assert!(m.html.contains(&format!("href=\"{marker}{token}\"")));
        assert!(store.password_reset_emails().await.unwrap().is_empty());
        store
            .reset_password(&token, "a brand new password")
            .await
            .unwrap();
    }
);

both_backends!(
    a_crash_mid_batch_resends_nothing_marked_and_loses_nothing,
    |db: TestDb| async move {
        let store = db.store().await;
        let dir = tempfile::tempdir().unwrap();
        advance_notices(&store, 300).await;
        let Some(server) = SmtpServer::start(dir.path(), 0, None) else {
            return;
        };
        // `tahsil notices --send`, killed (SIGKILL) in the middle of its first batch: once
        // the server holds some of its messages, while marks are being committed.
        let mut child = Command::new(env!("CARGO_BIN_EXE_tahsil"))
            .args(["--database-url", &db.url, "notices", "--send"])
            .env("TAHSIL_ENCRYPTION_KEY", crate::harness::test_key_base64())
            .env("TAHSIL_SMTP_URL", server.url())
            .env("TAHSIL_MAIL_FROM", "CACOBATPH <avis@cacobatph.dz>")
            .env("TAHSIL_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while server.messages().len() < 40 && Instant::now() < deadline {
            assert!(
                child.try_wait().unwrap().is_none(),
                "the send ended before the kill"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // A message the dead process was writing is never stored without its 250.
        std::thread::sleep(Duration::from_millis(300));
        let received_ids = |server: &SmtpServer| -> Vec<String> {
            server
                .messages()
                .iter()
                .map(|m| format!("<{}>", parse(m).message_id))
                .collect()
        };
        let at_kill: BTreeSet<String> = received_ids(&server).into_iter().collect();
        let marked: BTreeSet<String> = sqlx::query_scalar(
            "SELECT m.message_id FROM notice_events e JOIN notice_messages m ON m.event_id = e.id \
             WHERE e.status = 'sent'",
        )
        .fetch_all(store.pool())
        .await
        .unwrap()
        .into_iter()
        .collect();
        assert!(
            at_kill.len() < 300,
            "killed mid-way: {} received",
            at_kill.len()
        );
        // No notice is marked sent before its server accepted it.
        assert!(
            marked.is_subset(&at_kill),
            "marked but never received: {:?}",
            marked.difference(&at_kill).collect::<Vec<_>>()
        );
        // Accepted and not marked: what is sent again, at most the marks' window.
        let unmarked = at_kill.len() - marked.len();
        assert!(
            unmarked <= tahsil::notices::worker::MARK_WINDOW,
            "{unmarked} accepted and not marked"
        );

        // The dead worker's locks expire; another worker sends the rest.
        sqlx::query("UPDATE notice_events SET locked_by = NULL, locked_until = NULL")
            .execute(store.pool())
            .await
            .unwrap();
        let mailer = smtp_mailer(&server.url()).await;
        let report = tahsil::notices::deliver_all(
            &store,
            &mailer,
            &fast_settings(50),
            "worker-2",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
        assert_eq!(report.sent as usize, 300 - marked.len(), "{report:?}");
        assert_eq!(
            statuses(&store).await,
            BTreeMap::from([("sent".to_owned(), 300)])
        );
        let received = received_ids(&server);
        let mut times: BTreeMap<&str, usize> = BTreeMap::new();
        for id in &received {
            *times.entry(id.as_str()).or_default() += 1;
        }
        // Nothing lost: every notice arrived, with its own Message-ID.
        let expected: BTreeSet<String> = event_ids(&store)
            .await
            .iter()
            .map(|(id, key)| mailer.message_id(*id, key))
            .collect();
        assert_eq!(
            times
                .keys()
                .map(|k| (*k).to_owned())
                .collect::<BTreeSet<_>>(),
            expected
        );
        // Nothing marked before the crash was sent again; the only repeats are the
        // notices accepted and not yet marked when it died, each repeated once.
        for id in &marked {
            assert_eq!(times[id.as_str()], 1, "{id} was marked and sent again");
        }
        let repeated: BTreeSet<String> = times
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(id, _)| (*id).to_owned())
            .collect();
        assert!(repeated.iter().all(|id| times[id.as_str()] == 2));
        assert_eq!(
            repeated,
            at_kill
                .difference(&marked)
                .cloned()
                .collect::<BTreeSet<_>>()
        );
        // Each notice's mark is audited once, and the chain holds.
        let audited: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'notice.sent'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(audited, 300);
        assert!(store.verify_audit(None).await.unwrap().broken.is_none());
    }
);
