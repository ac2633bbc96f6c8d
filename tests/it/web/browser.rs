//! Browser tests: headless Chromium, driven through chromedriver (WebDriver, `fantoccini`),
//! against the real server on an ephemeral port. They replay the flows of `portal/mod.rs`,
//! `console/exceptions.rs` and `i18n.rs` as a person does them — typing, ticking, choosing
//! a file, clicking — and assert on what the page shows. Each flow keeps a screenshot under `<target>/screenshots/<flow>.png`.
//!
//! SQLite only: what the browser adds (HTML forms, validation, the file input, layout and
//! direction) does not depend on the database, and the `web` tests run the same flows over
//! HTTP on both databases.
//!
//! Each test starts its own chromedriver (a free port, its own process group) and Chromium
//! (a fresh profile); a guard kills the whole process group when the test ends, passes or
//! fails. Without Chromium or chromedriver the tests print `skipped: <reason>` and pass —
//! except under CI (`CI=true`), where that is a failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tahsil::clock::Clock;
use tahsil::store::{Actor, Role};

use crate::harness::fixtures::{add_user, employer_with_worksites};
use crate::harness::{PASSWORD, TestDb, WebApp, in_ci};

// Generous: the suite runs these beside every other test on a shared 2-core machine.
const WAIT: Duration = Duration::from_secs(30);

fn chromium_path() -> PathBuf {
    std::env::var_os("TAHSIL_CHROMIUM").map_or_else(|| "/usr/bin/chromium".into(), PathBuf::from)
}

fn chromedriver_path() -> PathBuf {
    std::env::var_os("TAHSIL_CHROMEDRIVER")
        .map_or_else(|| "/usr/bin/chromedriver".into(), PathBuf::from)
}

/// Where the screenshots go: `<target>/screenshots`, `<target>` being the folder of the
/// test binary's `debug/deps`.
fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}

/// A running chromedriver with one headless Chromium session. Dropping it kills the
/// driver's process group (chromedriver and every Chromium process it started).
struct Chrome {
    client: Client,
    // Declared before the profile: the processes die before their profile is deleted.
    _driver: DriverGuard,
    _profile: tempfile::TempDir,
}

impl Chrome {
    /// Starts chromedriver and Chromium, or `None` (after saying why) when either is not
    /// installed.
    async fn start() -> Option<Chrome> {
        static ONCE: Once = Once::new();
        for tool in [chromium_path(), chromedriver_path()] {
            if !tool.exists() {
                let reason = format!(
                    "browser tests need {} (apt-get install chromium chromium-driver)",
                    tool.display()
                );
                assert!(!in_ci(), "CI=true but {reason}");
                ONCE.call_once(|| {
                    use std::io::Write;
                    let _ = writeln!(std::io::stderr(), "skipped: {reason}");
                });
                return None;
            }
        }
        // A free port can be taken by someone else between the probe and chromedriver's
        // bind: try a few.
        let mut last_error = String::new();
        for _ in 0..3 {
            match Self::try_start().await {
                Ok(chrome) => return Some(chrome),
                Err(err) => last_error = err,
            }
        }
        panic!("could not start chromedriver and Chromium: {last_error}");
    }

    async fn try_start() -> Result<Chrome, String> {
        use std::os::unix::process::CommandExt;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let driver = Command::new(chromedriver_path())
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("chromedriver: {e}"))?;
        // The guard exists from here on, so a failure below still kills the driver.
        let guard = DriverGuard(Some(driver));
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!("chromedriver did not listen on port {port}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": chromium_path(),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-quic",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,900",
                    // A browser asking for neither Arabic nor French: the pages fall back to Arabic.
                    "--lang=en-US",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .map_err(|e| format!("new WebDriver session: {e}"))?;
        Ok(Chrome {
            client,
            _driver: guard,
            _profile: profile,
        })
    }

    async fn goto(&self, app: &WebApp, path: &str) {
        self.client.goto(&app.url(path)).await.unwrap();
    }

    /// The path of the page shown now.
    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Waits until the page shown is at `path` (after a form's redirect).
    async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.path().await;
            if now == path {
                return;
            }
            assert!(Instant::now() < deadline, "still at {now}, expected {path}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for an element to appear (the page after a submit).
    async fn wait_for(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(err) => {
                let source = self.client.source().await.unwrap_or_default();
                panic!("no {css} on {}: {err}\n{source}", self.path().await)
            }
        }
    }

    async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(err) => {
                let source = self.client.source().await.unwrap_or_default();
                panic!("no {css} on {}: {err}\n{source}", self.path().await)
            }
        }
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    /// Clears a field and types into it.
    async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Chooses the option of a `<select>` whose value is `value`.
    async fn choose(&self, css: &str, value: &str) {
        self.find(css).await.select_by_value(value).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    async fn script(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Signs in through the sign-in page as a person does.
    async fn sign_in(&self, app: &WebApp, email: &str) {
        self.goto(app, "/login").await;
        self.type_into("#email", email).await;
        self.type_into("#password", PASSWORD).await;
        self.click("#sign-in").await;
        self.wait_for("#sign-out").await;
    }

    /// Keeps a picture of the page as the flow's test artefact.
    async fn screenshot(&self, flow: &str) {
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{flow}.png")), png).unwrap();
    }

    /// Ends the session politely (Chromium quits); the drop then kills what is left.
    async fn finish(self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.client.clone().close()).await;
    }
}

/// Kills chromedriver's process group (it and every Chromium process) on drop.
struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            kill_group(&mut child);
        }
    }
}

/// SIGKILL to the process group led by `child` (started with `process_group(0)`), then
/// reaps it. Idempotent: a second call finds nothing to kill.
fn kill_group(child: &mut Child) {
    if matches!(child.try_wait(), Ok(None)) || Path::new(&format!("/proc/{}", child.id())).exists()
    {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Text as WebDriver reads it from the page: no-break spaces (between thousands and
/// before the currency) come back as plain spaces.
fn visible(text: &str) -> String {
    text.replace('\u{a0}', " ")
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A CSV file for the file input (a browser uploads files from disk).
fn csv_file(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_an_employer_signs_a_mandate() {
    let db = TestDb::sqlite().await;
    let app = WebApp::spawn(&db).await;
    let a = employer_with_worksites(&app.store, "16000001", &["W1", "W2"]).await;
    add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
    let Some(chrome) = Chrome::start().await else {
        return;
    };
    chrome.sign_in(&app, "gerant@a.dz").await;
    // One employer: straight to its dashboard, in Arabic (the browser asks for English).
    assert_eq!(chrome.path().await, format!("/portal/{a}"));
    assert_eq!(
        chrome.script("return document.documentElement.lang").await,
        "ar"
    );
    // The visible switch: French from now on.
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=fr]").await;
    assert_eq!(
        chrome.path().await,
        format!("/portal/{a}"),
        "back where we were"
    );
    assert!(
        chrome
            .text("#upcoming")
            .await
            .contains("Aucun prélèvement prévu")
    );

    chrome
        .click(&format!("nav a[href='/portal/{a}/mandate']"))
        .await;
    chrome.wait_for("#account").await;
    assert!(chrome.text("main").await.contains("Aucun mandat actif"));

    // A wrong key: the reason is shown, what was typed is kept, nothing is recorded.
    chrome
        .type_into("#account", "004 00174 4010010504 87")
        .await;
    chrome.click("#check-account").await;
    let error = chrome.wait_for("#error").await.text().await.unwrap();
    // In the page's language (French here), from the account check's stable code.
    assert!(error.contains("La clé"), "{error}");
    assert_eq!(
        chrome
            .find("#account")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("004 00174 4010010504 87")
    );
    assert_eq!(chrome.count("#consent").await, 0, "nothing to sign");
    assert!(app.store.list_mandates(a).await.unwrap().is_empty());

    // The right key: the bank is named and the consent text is there to read.
    chrome
        .type_into("#account", "004 00174 4010010504 86")
        .await;
    chrome.click("#check-account").await;
    let bank = chrome.wait_for("#pending-bank").await.text().await.unwrap();
    assert!(
        app.store.list_mandates(a).await.unwrap().is_empty(),
        "checking records nothing"
    );
    assert_eq!(Some(bank.as_str()), app.store.banks().name("004"));
    assert!(!bank.is_empty() && bank != "004", "a name: {bank}");
    assert_eq!(chrome.count("#error").await, 0);
    let consent = chrome.text("#consent-text").await;
    assert!(consent.contains("SARL Bâtiment du Sud"), "{consent}");
    assert!(
        consent.contains("****0486"),
        "the masked account: {consent}"
    );
    assert!(!chrome.text("main").await.contains("4010010504"), "masked");

    // Signing without ticking the box: the browser does not send the form.
    chrome.type_into("#signer", "Karim Benali, gérant").await;
    chrome.click("#sign").await;
    assert_eq!(
        chrome
            .script("return document.querySelector('#consent').validity.valueMissing")
            .await,
        true
    );
    assert!(app.store.list_mandates(a).await.unwrap().is_empty());
    // Ticked: signed, and the page says so.
    chrome.click("#consent").await;
    chrome.click("#sign").await;
    let notice = chrome.wait_for("#notice").await.text().await.unwrap();
    let mandate = app.store.list_mandates(a).await.unwrap().remove(0);
    assert_eq!(notice, "Mandat signé : il est actif.");
    let row = format!("#mandate-{} .status", mandate.id);
    assert_eq!(chrome.text(&row).await, "Actif");
    assert!(
        chrome
            .text(&format!("#mandate-{}", mandate.id))
            .await
            .contains("Karim Benali, gérant"),
    );
    let signed = app.store.mandate(mandate.id).await.unwrap();
    assert_eq!(signed.status.as_str(), "active");
    assert!(
        signed
            .signature_user_agent
            .as_deref()
            .is_some_and(|ua| ua.contains("Chrome")),
        "the browser's user agent is in the evidence: {:?}",
        signed.signature_user_agent
    );
    assert_eq!(signed.consent_version.as_deref(), Some("2026-01-fr"));
    assert_eq!(chrome.count("#consent").await, 0, "nothing left to sign");
    chrome.screenshot("employer_mandate").await;

    // The dashboard shows the active mandate.
    chrome.click(&format!("nav a[href='/portal/{a}']")).await;
    let active = chrome
        .wait_for("#active-mandate")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        active.contains(&bank) && active.contains(&signed.reference),
        "{active}"
    );
    chrome.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_an_employer_fixes_a_csv_and_sees_the_upcoming_debit() {
    let db = TestDb::sqlite().await;
    // 7 December 2026: October is among the periods the picker offers.
    let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(day(2026, 12, 7))).await;
    let a = employer_with_worksites(&app.store, "16000001", &["W1", "W2"]).await;
    add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
    // An active mandate, so that the declaration can be planned for a debit.
    let actor = Actor::new("test");
    let mandate = app
        .store
        .create_mandate(
            &actor,
            a,
            tahsil::store::NewMandate {
                account: mandates::AccountId::parse("004 00174 4010010504 86").unwrap(),
                ceiling: None,
            },
        )
        .await
        .unwrap();
    app.store
        .sign_mandate(
            &actor,
            mandate.id,
            tahsil::store::SignMandate {
                signer: "Karim Benali".to_owned(),
                ip: "127.0.0.1".to_owned(),
                user_agent: "test".to_owned(),
                consent_version: "2026-01-fr".to_owned(),
                consent_text: "Le texte du mandat signé dans ce test.".to_owned(),
            },
        )
        .await
        .unwrap();
    let files = tempfile::tempdir().unwrap();
    let Some(chrome) = Chrome::start().await else {
        return;
    };
    // This flow stays in Arabic, the default.
    chrome.sign_in(&app, "gerant@a.dz").await;
    chrome
        .click(&format!("nav a[href='/portal/{a}/declarations']"))
        .await;
    chrome.wait_for("#file").await;
    assert_eq!(
        chrome.script("return document.documentElement.dir").await,
        "rtl"
    );

    // One bad line: the line and the field are shown, nothing is recorded.
    let bad = "code;effectif;masse_salariale;intemperies\nW1;12;1 250 000,00;600 000\nW2;douze;80000,5;0\n";
    chrome.choose("#period", "2026-10").await;
    chrome
        .find("#file")
        .await
        .send_keys(&csv_file(files.path(), "declaration.csv", bad))
        .await
        .unwrap();
    chrome.click("#upload").await;
    let errors = chrome.wait_for("#errors").await;
    let items = errors.find_all(Locator::Css("li")).await.unwrap();
    assert_eq!(items.len(), 1, "one bad line, one error");
    let message = items[0].text().await.unwrap();
    assert!(
        message.contains("السطر 3") && message.contains("(headcount): «douze»"),
        "the line and field, in Arabic: {message}"
    );
    assert!(
        errors.text().await.unwrap().contains("لم يُسجَّل أي شيء"),
        "the refusal is explained in Arabic"
    );
    assert!(app.store.list_declarations(a).await.unwrap().is_empty());
    chrome.screenshot("declaration_csv_error").await;

    // Fixed and uploaded again: recorded.
    let good = bad.replace("douze", "12");
    chrome.choose("#period", "2026-10").await;
    chrome
        .find("#file")
        .await
        .send_keys(&csv_file(files.path(), "declaration-fixed.csv", &good))
        .await
        .unwrap();
    chrome.click("#upload").await;
    chrome.wait_for("#declarations").await;
    assert_eq!(chrome.count("#errors").await, 0);
    let declarations = app.store.list_declarations(a).await.unwrap();
    assert_eq!(declarations.len(), 1);
    assert_eq!(declarations[0].lines.len(), 2);
    let total = visible(&tahsil::web::format_money(declarations[0].total, "ar").unwrap());
    let row = chrome.text("#declarations tbody tr").await;
    assert!(row.contains("2026-10") && row.contains(&total), "{row}");

    // The same period in the online form: prefilled, corrected in place, no JavaScript.
    chrome
        .click(&format!(
            "#declarations a[href='/portal/{a}/declarations/form?period=2026-10']"
        ))
        .await;
    chrome.wait_for("#declaration-form").await;
    assert_eq!(
        chrome
            .script("return document.getElementById('wage_bill-0').value")
            .await,
        "1250000.00"
    );
    chrome.type_into("#wage_bill-0", "1 300 000,00").await;
    chrome.click("#save-declaration").await;
    chrome.wait_for("#notice").await;
    let declarations = app.store.list_declarations(a).await.unwrap();
    assert_eq!(declarations.len(), 1, "corrected, not added");
    assert_eq!(declarations[0].lines[0].wage_bill.centimes(), 130_000_000);
    let total = visible(&tahsil::web::format_money(declarations[0].total, "ar").unwrap());
    assert_eq!(chrome.text("#total").await, total);
    chrome.screenshot("declaration_form_corrected").await;

    // Planned for a debit (as the cycle does), the dashboard shows it with its breakdown.
    app.store
        .plan_collections(
            &actor,
            NaiveDate::from_ymd_opt(2099, 1, 15).unwrap(),
            NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(),
        )
        .await
        .unwrap();
    chrome.click(&format!("nav a[href='/portal/{a}']")).await;
    let date = chrome
        .wait_for("#upcoming-date")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(date, "15/01/2099");
    assert_eq!(chrome.text("#upcoming-amount").await, total);
    let rows = chrome
        .client
        .find_all(Locator::Css("#breakdown tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "one row per worksite");
    for (row, line) in rows.iter().zip(&declarations[0].lines) {
        let text = row.text().await.unwrap();
        let amount = visible(&tahsil::web::format_money(line.total, "ar").unwrap());
        assert!(
            text.contains(&format!(
                "{} — Chantier {}",
                line.worksite_code, line.worksite_code
            )) && text.contains("2026-10")
                && text.contains(&amount),
            "{text} for {} {amount}",
            line.worksite_code
        );
    }
    chrome.screenshot("declaration_upcoming_debit").await;
    chrome.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_a_finance_officer_resolves_an_exception() {
    let db = TestDb::sqlite().await;
    let app = WebApp::spawn(&db).await;
    let finance = add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
    // As the import path records a report item it cannot match.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO exceptions (kind, detail, status, created_at) \
         VALUES ('unmatched', 'E2E T1 not sent by us', 'open', '2026-12-15T10:00:00Z') RETURNING id",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    let Some(chrome) = Chrome::start().await else {
        return;
    };
    chrome.sign_in(&app, "finance@fund.dz").await;
    assert_eq!(chrome.path().await, "/console");
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=fr]").await;
    assert_eq!(chrome.text("#open-exceptions").await, "1");

    chrome.click("main a[href='/console/exceptions']").await;
    let row = chrome.wait_for(&format!("#exception-{id}")).await;
    assert!(row.text().await.unwrap().contains("E2E T1 not sent by us"));
    // Blank (spaces only): refused by the server, with the reason.
    chrome.type_into(&format!("#resolution-{id}"), "   ").await;
    chrome.click(&format!("#resolve-{id}")).await;
    let error = chrome.wait_for("#error").await.text().await.unwrap();
    assert!(!error.is_empty());
    assert_eq!(
        app.store.exceptions(true).await.unwrap().len(),
        1,
        "still open"
    );
    // A real resolution: recorded, shown with who resolved it, audited.
    chrome
        .type_into(&format!("#resolution-{id}"), "Bank confirmed a test item")
        .await;
    chrome.click(&format!("#resolve-{id}")).await;
    let resolved = chrome
        .wait_for(&format!("#exception-{id} .resolved"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(resolved, "Bank confirmed a test item");
    // Who resolved it, by name, never as `user:ID`.
    let name = app.store.user(finance).await.unwrap().display_name;
    let row = chrome.text(&format!("#exception-{id}")).await;
    assert!(
        row.contains(&name) && !row.contains("user:"),
        "{name}: {row}"
    );
    assert_eq!(chrome.count(&format!("#resolve-{id}")).await, 0);
    let trail = app.store.audit_trail("exception", id).await.unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].actor, format!("user:{finance}"));
    chrome.screenshot("finance_exception").await;

    chrome.click("nav a[href='/console']").await;
    chrome.wait_for("#counts").await;
    assert_eq!(chrome.text("#open-exceptions").await, "0");
    chrome.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_a_finance_officer_puts_a_failed_job_back() {
    use crate::harness::fixtures::{failed_run_job, unblock_outboxes};

    let db = TestDb::sqlite().await;
    let app = WebApp::spawn(&db).await;
    add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
    // A due date whose files cannot be written: its run job failed every attempt.
    let id = failed_run_job(&app.store, &app.settings, 4).await;
    let Some(chrome) = Chrome::start().await else {
        return;
    };
    chrome.sign_in(&app, "finance@fund.dz").await;
    // Arabic first, right to left: reached from the navigation.
    chrome.click("nav a[href='/console/jobs']").await;
    let row = chrome.wait_for(&format!("#job-{id}")).await;
    assert!(
        row.text()
            .await
            .unwrap()
            .contains("إعداد ملفات تاريخ الاقتطاع")
    );
    assert_eq!(chrome.text("#jobs-failed td.num").await, "1");
    assert_eq!(
        chrome
            .script("return getComputedStyle(document.body).direction")
            .await,
        "rtl"
    );
    chrome.screenshot("jobs_ar").await;

    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=fr]").await;
    let text = chrome.text(&format!("#job-{id}")).await;
    assert!(text.contains("Remise des fichiers d'une date"), "{text}");
    assert!(
        text.contains("run:2026-12-15") && text.contains("outbox"),
        "{text}"
    );
    chrome.screenshot("jobs_fr").await;

    // The cause fixed, the job put back: said so, listed no more, counted as queued.
    unblock_outboxes(&app.settings);
    chrome.click(&format!("#retry-{id}")).await;
    let notice = chrome.wait_for("#notice").await.text().await.unwrap();
    assert!(notice.contains(&format!("n° {id}")), "{notice}");
    assert_eq!(chrome.count(&format!("#job-{id}")).await, 0);
    assert_eq!(chrome.text("#jobs-queued td.num").await, "1");
    chrome.screenshot("jobs_fr_retried").await;
    chrome.finish().await;
}

/// The page's language, direction (attribute and computed style) and which side the
/// brand (first in the header, pushed away by `margin-inline-end: auto`) is on.
async fn layout(chrome: &Chrome) -> Value {
    chrome
        .script(
            "const brand = document.querySelector('.brand').getBoundingClientRect();\
             return {\
               lang: document.documentElement.lang,\
               dir: document.documentElement.dir,\
               direction: getComputedStyle(document.body).direction,\
               brand_on_right: brand.left > window.innerWidth / 2,\
               brand_on_left: brand.right < window.innerWidth / 2,\
             };",
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_pages_render_right_to_left_in_arabic_and_the_switch_works() {
    let db = TestDb::sqlite().await;
    let app = WebApp::spawn(&db).await;
    let a = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
    add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
    let Some(chrome) = Chrome::start().await else {
        return;
    };
    let arabic = json!({
        "lang": "ar", "dir": "rtl", "direction": "rtl",
        "brand_on_right": true, "brand_on_left": false,
    });
    let french = json!({
        "lang": "fr", "dir": "ltr", "direction": "ltr",
        "brand_on_right": false, "brand_on_left": true,
    });

    // Signed out, a browser asking for English gets Arabic, laid out right to left.
    chrome.goto(&app, "/login").await;
    assert_eq!(layout(&chrome).await, arabic);
    assert_eq!(chrome.text("h1").await, "تسجيل الدخول");
    assert_eq!(chrome.text("#switch-language").await, "Français");
    // The stylesheet is applied (the header's layout above depends on it too).
    let display = chrome
        .script("return getComputedStyle(document.querySelector('.stack')).display")
        .await;
    assert_eq!(display, "grid");

    // Signed in: the dashboard is Arabic and right to left too.
    chrome.sign_in(&app, "gerant@a.dz").await;
    assert_eq!(chrome.path().await, format!("/portal/{a}"));
    assert_eq!(layout(&chrome).await, arabic);
    assert!(
        chrome.text("h1").await.contains("شركة البناء الجنوبية"),
        "the Arabic name"
    );
    chrome.screenshot("arabic_rtl").await;

    // The switch: French, left to right, on the same page; kept on the next pages.
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=fr]").await;
    assert_eq!(chrome.path().await, format!("/portal/{a}"));
    assert_eq!(layout(&chrome).await, french);
    assert!(chrome.text("h1").await.contains("SARL Bâtiment du Sud"));
    assert_eq!(chrome.text("#switch-language").await, "العربية");
    chrome
        .click(&format!("nav a[href='/portal/{a}/history']"))
        .await;
    chrome.wait_for_path(&format!("/portal/{a}/history")).await;
    assert_eq!(layout(&chrome).await, french);
    chrome.screenshot("french_ltr").await;

    // And back to Arabic.
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=ar]").await;
    assert_eq!(chrome.path().await, format!("/portal/{a}/history"));
    assert_eq!(layout(&chrome).await, arabic);
    chrome.finish().await;
}

/// Issue 20: the period picker and CSV files as Excel saves them, in Arabic then French —
/// a Windows-1256 file from Arabic Windows and a Windows-1252 one from French Excel, each
/// with the trailing empty row Excel leaves, chosen in the file input and recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_the_period_picker_and_excel_csv_files_in_arabic_and_french() {
    let db = TestDb::sqlite().await;
    let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(day(2026, 12, 7))).await;
    let a = employer_with_worksites(&app.store, "16000001", &["W1", "W2"]).await;
    add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
    let files = tempfile::tempdir().unwrap();
    let Some(chrome) = Chrome::start().await else {
        return;
    };
    chrome.sign_in(&app, "gerant@a.dz").await;

    // Arabic: the picker names the month (its code is the value); no free text.
    chrome
        .goto(&app, &format!("/portal/{a}/declarations/form"))
        .await;
    chrome.wait_for("select#period").await;
    let picked = chrome
        .script("const s = document.getElementById('period'); return [s.value, s.options[s.selectedIndex].text, s.options.length];")
        .await;
    assert_eq!(picked, json!(["2026-11", "نوفمبر 2026", 12]));
    assert_eq!(chrome.count("input#period").await, 0);
    chrome.screenshot("period_picker_ar").await;

    // A Windows-1256 file (Arabic header) with a trailing empty row, lower-case codes.
    let (bytes, _, _) = encoding_rs::WINDOWS_1256
        .encode("رمز الورشة;عدد العمال;كتلة الأجور;وعاء البطالة الجوية\r\nw1;4;100 000,00;0\r\nw2;2;50 000,50;\r\n;;;\r\n");
    let path = files.path().join("declaration-ar.csv");
    std::fs::write(&path, &bytes).unwrap();
    chrome
        .click(&format!("nav a[href='/portal/{a}/declarations']"))
        .await;
    chrome.wait_for("#file").await;
    assert!(
        chrome.count("a#template").await == 1,
        "the template beside the upload"
    );
    chrome.choose("#period", "2026-11").await;
    chrome
        .find("#file")
        .await
        .send_keys(&path.display().to_string())
        .await
        .unwrap();
    chrome.click("#upload").await;
    chrome.wait_for("#declarations").await;
    assert_eq!(chrome.count("#errors").await, 0);
    let november = app
        .store
        .declaration_for_period(a, "2026-11")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(november.lines.len(), 2);
    assert_eq!(november.lines[1].wage_bill.centimes(), 5_000_050);
    chrome.screenshot("declaration_csv_windows_1256_ar").await;

    // French: the same picker in French, then a Windows-1252 file.
    chrome.click("#switch-language").await;
    chrome.wait_for("html[lang=fr]").await;
    chrome
        .goto(
            &app,
            &format!("/portal/{a}/declarations/form?period=2026-10"),
        )
        .await;
    chrome.wait_for("select#period").await;
    let picked = chrome
        .script(
            "const s = document.getElementById('period'); return s.options[s.selectedIndex].text;",
        )
        .await;
    assert_eq!(picked, json!("octobre 2026 (2026-10)"));
    chrome.screenshot("period_picker_fr").await;
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(
        "Code chantier;Effectif;Masse salariale;Assiette intempéries\r\nW1;3;\"90 000,00\";1 000\r\n;;;\r\n;;;\r\n",
    );
    let path = files.path().join("declaration-fr.csv");
    std::fs::write(&path, &bytes).unwrap();
    chrome
        .click(&format!("nav a[href='/portal/{a}/declarations']"))
        .await;
    chrome.wait_for("#file").await;
    chrome.choose("#period", "2026-10").await;
    chrome
        .find("#file")
        .await
        .send_keys(&path.display().to_string())
        .await
        .unwrap();
    chrome.click("#upload").await;
    chrome.wait_for("#declarations").await;
    assert_eq!(chrome.count("#errors").await, 0);
    let october = app
        .store
        .declaration_for_period(a, "2026-10")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(october.lines[0].bad_weather_base.centimes(), 100_000);
    chrome.screenshot("declaration_csv_windows_1252_fr").await;
    chrome.finish().await;
}

mod accessibility;
mod flows;
mod screens;
mod webhooks;
