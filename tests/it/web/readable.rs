//! Issue 20, "Done when": a whole demo fund — `tahsil demo` run as a person runs it —
//! then every page its logins reach (following every link, as each of them) and every
//! e-mail it sent, read for what a person must never see: a raw state code, a UTC
//! timestamp, an internal actor, audit JSON, Rust debug text, a day written the machines'
//! way (`2026-12-15`); on Arabic pages an account mask not isolated left to right; a
//! debit's state that is not a badge. Payment plans are requested on the demo fund first,
//! so the plan pages are read with plans on them. The demo's own summary (the command line,
//! read by people) must carry no debug text either.
//!
//! SQLite only: what is checked is the words on screens, the same on both databases.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use tahsil::store::Store;

use super::internals::{
    assert_command_line_reads_well, assert_command_table_reads_well, other_currency_spellings,
    visible_internals,
};
use crate::harness::csrf_of;

/// Pages of one shape (digits replaced: `/console/debits/N`) read per login: enough to
/// meet every state the demo produces, not every one of its debits.
const PER_SHAPE: usize = 12;
/// Pages read per login at most.
const PER_LOGIN: usize = 400;

/// `tahsil demo` into `dir`: its summary.
pub(crate) fn demo(dir: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .args(["demo", "--dir"])
        .arg(dir)
        .args(["--employers", "12"])
        .env_remove("TAHSIL_DATABASE_URL")
        .env_remove("TAHSIL_ENCRYPTION_KEY")
        .env_remove("TAHSIL_MAIL_DIR")
        .env_remove("TAHSIL_SMTP_URL")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The text a person reads on a page: no tags, no attribute values, entities decoded, and
/// without the technical detail kept out of sight (`<details class="technical">`).
pub fn visible_text(html: &str) -> String {
    let mut html = html.to_owned();
    while let Some(start) = html.find("<details class=\"technical\">") {
        let end = html[start..]
            .find("</details>")
            .map_or(html.len(), |e| start + e + "</details>".len());
        html.replace_range(start..end, " ");
    }
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
}

/// The attributes a person reads or hears — a tooltip (`title`), an accessible name
/// (`aria-label`), an image's text (`alt`), a field's hint (`placeholder`) — one a line,
/// entities decoded. `visible_text` leaves every attribute out.
pub(crate) fn spoken_attributes(html: &str) -> String {
    let mut said = String::new();
    for name in [" title=\"", " aria-label=\"", " alt=\"", " placeholder=\""] {
        for (at, _) in html.match_indices(name) {
            let value = &html[at + name.len()..];
            let value = value.split('"').next().unwrap_or_default();
            said.push_str(&visible_text(value));
            said.push('\n');
        }
    }
    said
}

/// The same-site links of a page worth following (GET pages; not downloads, the API or
/// the stylesheet).
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .filter(|href| href.starts_with('/') && !href.starts_with("//"))
        .map(|href| href.split('#').next().unwrap_or_default().to_owned())
        .filter(|href| {
            !href.is_empty()
                && !href.contains("/download")
                && !href.starts_with("/api/")
                && !href.starts_with("/static/")
                && !href.ends_with(".csv")
                && !href.ends_with(".pdf")
                && !href.contains("/csv")
        })
        .collect()
}

/// `/console/debits/17?year=2025` → `/console/debits/N?year` (pages of one template).
pub(crate) fn shape(path: &str) -> String {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut out = String::new();
    let mut digits = false;
    for c in path.chars() {
        if c.is_ascii_digit() {
            if !digits {
                out.push('N');
            }
            digits = true;
        } else {
            digits = false;
            out.push(c);
        }
    }
    let mut keys: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .filter(|key| !key.is_empty())
        .collect();
    keys.sort_unstable();
    format!("{out}?{}", keys.join("&"))
}

/// The logins of the demo fund, one per kind of person.
pub(crate) const DEMO_LOGINS: [&str; 5] = [
    "finance@demo.tahsil.dz",
    "admin@demo.tahsil.dz",
    "employeur1@demo.tahsil.dz",
    "employeur2@demo.tahsil.dz",
    "cabinet@demo.tahsil.dz",
];

/// Serves the demo fund of `demo_dir` on a free loopback port: its base URL.
pub(crate) async fn serve_demo(demo_dir: &Path) -> String {
    let store = demo_store(demo_dir).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = tahsil::web::AppState {
        store,
        admin_token: None,
    };
    tokio::spawn(tahsil::web::serve(listener, state, std::future::pending()));
    base
}

/// One page a crawl read: its path and status, and its HTML.
pub(crate) struct CrawledPage {
    pub path: String,
    pub status: StatusCode,
    pub html: Option<String>,
}

/// A crawl of the pages one login reaches: its cookies (the session, to hand to a
/// browser) and the pages read.
pub(crate) struct Crawl {
    pub cookies: std::sync::Arc<reqwest::cookie::Jar>,
    pub pages: Vec<CrawledPage>,
}

/// Signs in as `email`, reading `lang`, and reads every page reachable from the first
/// one, at most `per_shape` of each shape and `per_login` in all. Pages that are not
/// HTML (downloads) come with no `html`.
pub(crate) async fn crawl(
    base: &str,
    email: &str,
    lang: &str,
    per_shape: usize,
    per_login: usize,
) -> Crawl {
    let cookies = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(cookies.clone())
        .build()
        .unwrap();
    let login = client
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let signed_in = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf_of(&login).as_str()),
            ("email", email),
            ("password", tahsil::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::OK, "{email} signs in");
    let first = signed_in.url().path().to_owned();
    let page = signed_in.text().await.unwrap();
    let switched = client
        .post(format!("{base}/language"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("lang", lang),
            ("back", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), StatusCode::OK, "{email} reads {lang}");
    let mut queue = VecDeque::from([first]);
    let mut seen = HashSet::new();
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    let mut pages = Vec::new();
    let mut read = 0;
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || read >= per_login {
            continue;
        }
        let per = shapes.entry(shape(&path)).or_default();
        if *per >= per_shape {
            continue;
        }
        *per += 1;
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        let status = response.status();
        let html_page = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        let body = response.text().await.unwrap();
        let html = (html_page && !status.is_server_error()).then_some(body);
        if let Some(html) = &html {
            read += 1;
            queue.extend(links(html));
        }
        pages.push(CrawledPage { path, status, html });
    }
    Crawl { cookies, pages }
}

/// Signs in as `email`, reading `lang`, and reads every page reachable from the first
/// one: how many, and per page the internals found (only pages with some). Pages
/// answering 5xx are reported too.
async fn read_every_page(
    base: &str,
    email: &str,
    lang: &str,
) -> (usize, BTreeMap<String, Vec<String>>) {
    let crawl = crawl(base, email, lang, PER_SHAPE, PER_LOGIN).await;
    let mut found = BTreeMap::new();
    let mut read = 0;
    for page in crawl.pages {
        if page.status.is_server_error() {
            found.insert(page.path, vec![format!("answered {}", page.status)]);
            continue;
        }
        let Some(html) = page.html else { continue };
        read += 1;
        let text = visible_text(&html);
        let mut problems = visible_internals(&text);
        problems.extend(iso_days(&text));
        problems.extend(other_currency_spellings(&text));
        // What assistive technology and tooltips read out is read too.
        let said = spoken_attributes(&html);
        problems.extend(visible_internals(&said));
        problems.extend(iso_days(&said));
        problems.extend(other_currency_spellings(&said));
        if lang == "ar" {
            problems.extend(unisolated_masks(&html));
        }
        problems.extend(debit_rows_without_badge(&html));
        if !problems.is_empty() {
            found.insert(page.path, problems);
        }
    }
    (read, found)
}

/// Payment plans on the demo fund (the demo makes none), so that the plan pages of the
/// portal and the console are read with plans on them: one requested by every employer.
/// (The demo's employers owe nothing outside a debit, so none can be set; the plan set
/// with its instalments is looked at in `browser/screens.rs`.)
async fn with_payment_plans(demo_dir: &Path) {
    let store = demo_store(demo_dir).await;
    let staff = tahsil::store::Actor::new("user:1");
    let mut requested = 0;
    for employer in store.list_employers(0, 100).await.unwrap() {
        store
            .request_payment_plan(&staff, employer.id, Some("Trésorerie tendue"))
            .await
            .unwrap();
        requested += 1;
    }
    assert!(requested > 3, "{requested} plans requested");
}

/// The e-mails a demo cycle does not send, asked for on the demo fund as people ask for
/// them, then sent by `tahsil notices --send` into the demo's mail folder with the rest:
/// a password reset in Arabic (the employer's owner) and in French (finance), a
/// colleague's invitation (no language chosen yet: both), the confirmation of a new
/// address (the administrator, in French); and a payment plan's request refused.
/// Returns the subjects the account e-mails must carry.
async fn with_account_emails(demo_dir: &Path) -> Vec<&'static str> {
    // On the demo fund's clock, as `tahsil notices --send` runs (its configuration's): a
    // link asked for on the machine's day would have expired by then.
    let config = std::fs::read_to_string(demo_dir.join("tahsil.toml")).unwrap();
    let instant = config
        .lines()
        .find_map(|line| line.strip_prefix("clock = "))
        .unwrap_or_else(|| panic!("a clock in {config}"))
        .trim_matches('"');
    let now = chrono::DateTime::parse_from_rfc3339(instant)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let store = demo_store(demo_dir)
        .await
        .with_clock(tahsil::clock::Clock::fixed(now));
    let mut logins = Vec::new();
    for email in [
        "employeur1@demo.tahsil.dz",
        "finance@demo.tahsil.dz",
        "admin@demo.tahsil.dz",
    ] {
        logins.push(store.user_by_email(email).await.unwrap().unwrap());
    }
    let Ok([owner, finance, admin]) = <[_; 3]>::try_from(logins) else {
        unreachable!("three logins")
    };
    store
        .set_user_language(owner.id, mandates::Lang::Ar)
        .await
        .unwrap();
    store
        .set_user_language(finance.id, mandates::Lang::Fr)
        .await
        .unwrap();
    store
        .set_user_language(admin.id, mandates::Lang::Fr)
        .await
        .unwrap();
    for login in [&owner, &finance] {
        assert!(store.request_password_reset(&login.email).await.unwrap());
    }
    store
        .invite_colleague(
            &owner,
            owner.employer_ids[0],
            "collegue.comptable@exemple.dz",
            tahsil::store::Capacity::Declare,
        )
        .await
        .unwrap();
    store
        .request_email_change(admin.id, "nouvelle.adresse@demo.tahsil.dz")
        .await
        .unwrap();
    // A request for a payment plan refused: its notice, with staff's reason.
    let plans = store.payment_plans().await.unwrap();
    let refused = plans.last().expect("plans requested first");
    store
        .end_payment_plan(
            &tahsil::store::Actor::new("user:1"),
            refused.id,
            "Dossier incomplet : joindre le dernier relevé bancaire",
            false,
        )
        .await
        .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .arg("--config")
        .arg(demo_dir.join("tahsil.toml"))
        .args(["notices", "--send"])
        .env_remove("TAHSIL_DATABASE_URL")
        .env_remove("TAHSIL_ENCRYPTION_KEY")
        .env_remove("TAHSIL_MAIL_DIR")
        .env_remove("TAHSIL_SMTP_URL")
        .env_remove("TAHSIL_CLOCK")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_command_line_reads_well(&format!("$ tahsil notices --send\n{stdout}"));
    assert!(
        store.password_reset_emails().await.unwrap().is_empty(),
        "every account e-mail sent: {stdout}"
    );
    let counts = store.notice_counts().await.unwrap();
    assert!(
        counts
            .iter()
            .any(|c| c.kind == tahsil::store::NoticeKind::PlanRefused
                && c.status == tahsil::store::NoticeStatus::Sent),
        "the refusal sent: {counts:?}"
    );
    vec![
        "Réinitialisation de votre mot de passe",
        "إعادة تعيين كلمة المرور",
        "Confirmez votre nouvelle adresse e-mail",
    ]
}

/// The commands a person runs next on the demo fund (the summary suggests `exceptions`),
/// through the demo's own configuration: their answers carry no ISO day, no `DZD`, no
/// debug text (issue 20).
async fn commands_read_well(demo_dir: &Path) {
    let store = demo_store(demo_dir).await;
    let employer = store.list_employers(0, 1).await.unwrap().remove(0);
    let config = demo_dir.join("tahsil.toml");
    let affiliation = employer.affiliation_number.as_str();
    for args in [
        vec!["exceptions"],
        vec!["ledger", "check"],
        vec!["statement", "--employer", affiliation],
        vec!["receivables"],
        vec!["plans", "list"],
        vec!["plans", "show", "1"],
        vec!["notices", "--failed"],
        vec!["jobs", "--failed"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_tahsil"))
            .arg("--config")
            .arg(&config)
            .args(&args)
            .env_remove("TAHSIL_DATABASE_URL")
            .env_remove("TAHSIL_ENCRYPTION_KEY")
            .env_remove("TAHSIL_MAIL_DIR")
            .env_remove("TAHSIL_SMTP_URL")
            .env_remove("TAHSIL_CLOCK")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "tahsil {args:?}: {stdout}{stderr}");
        assert!(!stdout.trim().is_empty(), "tahsil {args:?} answers");
        // Standard output, what the command answers (standard error carries the logs).
        let answer = format!("$ tahsil {}\n{stdout}", args.join(" "));
        if ["notices", "jobs"].contains(&args[0]) {
            // Tables of states: each in its word, never its code.
            assert_command_table_reads_well(&answer);
        } else {
            assert_command_line_reads_well(&answer);
        }
    }
}

/// The demo fund's store (its database and key in `demo_dir`).
async fn demo_store(demo_dir: &Path) -> Store {
    Store::connect(
        &format!("sqlite://{}", demo_dir.join("tahsil.db").display()),
        2,
        tahsil::crypto::AccountCipher::from_key_file(&demo_dir.join("tahsil.db.key")).unwrap(),
        mandates::BankTable::algeria_default(),
    )
    .await
    .unwrap()
}

/// Days written the machines' way (`2026-12-15`) in text a person reads: pages and
/// e-mails write `15/12/2026` in both languages (issue 20, one date style). A date glued
/// to a name (`run:2026-12-15`, `releve-…-2026-12-01.csv`) is part of that name.
pub(crate) fn iso_days(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for at in 0..bytes.len().saturating_sub(9) {
        let w = &bytes[at..at + 10];
        let digits = |r: std::ops::Range<usize>| r.into_iter().all(|k| w[k].is_ascii_digit());
        if !(digits(0..4) && w[4] == b'-' && digits(5..7) && w[7] == b'-' && digits(8..10)) {
            continue;
        }
        let glued_before = at
            .checked_sub(1)
            .is_some_and(|k| bytes[k].is_ascii_alphanumeric() || b"-_:/.#=".contains(&bytes[k]));
        // A colon or a full stop ends a day standing alone (`2026-12-15: 3 réglés`, a
        // chart's tooltip) unless a name goes on after it (`2026-12-15:3`, `….csv`).
        let glued_after = bytes.get(at + 10).is_some_and(|&b| {
            b.is_ascii_alphanumeric()
                || b"-_/".contains(&b)
                || (b".:".contains(&b) && bytes.get(at + 11).is_some_and(u8::is_ascii_alphanumeric))
        });
        if !glued_before && !glued_after {
            let from = (0..=at.saturating_sub(30))
                .rev()
                .find(|&k| text.is_char_boundary(k))
                .unwrap_or(0);
            found.push(format!("ISO day: …{}…", &text[from..at + 10]));
        }
    }
    found
}

/// Masked accounts (`****0486`) in an Arabic page's text that are not isolated left to
/// right — the innermost element around them without `dir="ltr"`, and no U+2066 before
/// them — and so read reversed (`0486****`) in right-to-left text (issue 20).
pub(crate) fn unisolated_masks(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = html[from..].find("****") {
        let at = from + offset;
        let run_end = at
            + html[at..]
                .find(|c: char| c != '*')
                .unwrap_or(html.len() - at);
        from = run_end;
        let before = &html[..at];
        let (Some(open), close) = (before.rfind('<'), before.rfind('>')) else {
            continue;
        };
        if close.is_none_or(|close| close < open) {
            continue; // Inside a tag: an attribute, not text.
        }
        let tag = &before[open..];
        let text = &before[close.unwrap_or(open) + 1..];
        // `dir="auto"` around text that starts in Latin letters (a French notice) is
        // left to right too.
        let starts_latin = text
            .chars()
            .find(|c| c.is_alphabetic())
            .is_some_and(|c| c.is_ascii_alphabetic());
        let in_ltr = !tag.starts_with("</")
            && (tag.contains("dir=\"ltr\"") || (tag.contains("dir=\"auto\"") && starts_latin));
        let isolated = text.matches('\u{2066}').count() > text.matches('\u{2069}').count();
        if !in_ltr && !isolated {
            let end = (run_end + 12..=html.len())
                .find(|&k| html.is_char_boundary(k))
                .unwrap_or(html.len());
            found.push(format!("account mask not isolated: …{}…", &html[open..end]));
        }
    }
    found
}

/// Rows listing a debit (`<tr id="collection-N">`, `<tr id="debit-N">`, or with the
/// `#debit-N` link) and the debit page's state whose state is not a badge (issue 20).
pub(crate) fn debit_rows_without_badge(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for row in html.split("<tr").skip(1) {
        let row = row.split("</tr>").next().unwrap_or_default();
        let lists_debit = ["id=\"collection-", "id=\"debit-"].iter().any(|id| {
            row.split(id)
                .skip(1)
                .any(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        });
        if (lists_debit || row.contains("id=\"debit-status\"")) && !row.contains("class=\"badge ") {
            found.push(format!(
                "debit state without a badge: <tr{}",
                row.chars().take(160).collect::<String>()
            ));
        }
    }
    found
}

#[test]
fn the_readers_checks_can_fail() {
    assert_eq!(iso_days("le 2026-12-15 à 10:30").len(), 1);
    assert_eq!(iso_days("2026-12-15: 3 Réglés / 4 Présentés").len(), 1);
    assert!(iso_days("plan:2026-12-15:3").is_empty());
    assert_eq!(
        spoken_attributes(
            r#"<rect title="2026-12-15 &amp; co"><a aria-label="x" href="/2026-12-15">"#
        ),
        "2026-12-15 & co\nx\n"
    );
    assert!(iso_days("le 15/12/2026, run:2026-12-15, releve-1-2026-12-01.csv, 2026-11").is_empty());
    assert_eq!(unisolated_masks("<td><bdi>****0486</bdi></td>").len(), 1);
    assert!(unisolated_masks(r#"<td><bdi dir="ltr">****0486</bdi></td>"#).is_empty());
    assert!(unisolated_masks("<pre>الحساب \u{2066}****0486\u{2069}</pre>").is_empty());
    assert!(unisolated_masks(r#"<input value="****0486">"#).is_empty());
    assert_eq!(
        debit_rows_without_badge(r#"<tr id="collection-4"><td>Payé</td></tr>"#).len(),
        1
    );
    assert!(
        debit_rows_without_badge(
            r#"<tr id="debit-4"><td><span class="badge good">Payé</span></td></tr><tr id="debit-filters"></tr>"#
        )
        .is_empty()
    );
}

/// The notices a demo fund does not send (mandates, disputes, surcharges, a ceiling, plans…)
/// read as carefully as those it does: every kind, rendered from the shipped sample facts
/// (`tahsil::notices::render::samples`) in Arabic, French and both, subject, text and
/// HTML, through the same detectors as the crawl.
#[test]
fn every_kind_of_notice_reads_without_internals() {
    use tahsil::locale::NoticeLanguage;
    use tahsil::notices::render::samples;
    use tahsil::store::NoticeKind;

    let mut everything = BTreeMap::new();
    let mut read = 0;
    for language in [NoticeLanguage::Ar, NoticeLanguage::Fr, NoticeLanguage::Both] {
        let all = samples::every_kind(language);
        assert_eq!(all.len(), NoticeKind::ALL.len());
        for facts in all {
            let notice = tahsil::notices::render(&facts, &samples::context()).unwrap();
            let text = format!(
                "{}\n{}\n{}",
                notice.subject,
                notice.text,
                visible_text(&notice.html)
            );
            let mut problems = visible_internals(&text);
            problems.extend(iso_days(&text));
            problems.extend(other_currency_spellings(&text));
            if !problems.is_empty() {
                everything.insert(format!("{:?} {:?}", facts.kind, language), problems);
            }
            read += 1;
        }
    }
    assert_eq!(read, 3 * NoticeKind::ALL.len());
    assert!(
        everything.is_empty(),
        "internals in {} of {read} notices:\n{everything:#?}",
        everything.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_and_email_of_a_demo_fund_reads_without_internals() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let summary = demo(&demo_dir);
    for debug in ["Some(", "None", "Ok(", "Err(", "{\""] {
        assert!(!summary.contains(debug), "debug text {debug:?}: {summary}");
    }
    assert_command_line_reads_well(&summary);
    // Its tables of states — the debits' outcome and the notices — write each state's
    // word, never its code.
    let tables: String = summary
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("outcome on"))
        .take_while(|l| !l.trim_start().starts_with("retries planned"))
        .chain(
            summary
                .lines()
                .skip_while(|l| !l.trim_start().starts_with("notices:"))
                .skip(1)
                .take_while(|l| l.starts_with("    ")),
        )
        .collect::<Vec<_>>()
        .join("\n");
    assert!(tables.lines().count() > 4, "{summary}");
    assert_command_table_reads_well(&tables);
    let base = serve_demo(&demo_dir).await;
    with_payment_plans(&demo_dir).await;
    commands_read_well(&demo_dir).await;
    let account_subjects = with_account_emails(&demo_dir).await;

    let mut everything = BTreeMap::new();
    let mut pages = 0;
    for email in DEMO_LOGINS {
        for lang in ["ar", "fr"] {
            let (read, found) = read_every_page(&base, email, lang).await;
            pages += read;
            for (path, problems) in found {
                everything.insert(format!("{email} {lang} {path}"), problems);
            }
        }
    }
    assert!(pages > 60, "the crawl reached only {pages} pages");

    let mut emails = 0;
    let mut subjects = Vec::new();
    for entry in std::fs::read_dir(demo_dir.join("mail")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let raw = std::fs::read(&path).unwrap();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        subjects.push(message.subject().unwrap_or_default().to_owned());
        let mut text = message.subject().unwrap_or_default().to_owned();
        text.push('\n');
        text.push_str(&message.body_text(0).unwrap_or_default());
        text.push('\n');
        text.push_str(&visible_text(&message.body_html(0).unwrap_or_default()));
        let mut problems = visible_internals(&text);
        problems.extend(iso_days(&text));
        problems.extend(other_currency_spellings(&text));
        if !problems.is_empty() {
            everything.insert(path.display().to_string(), problems);
        }
        emails += 1;
    }
    assert!(emails > 12, "the demo sent only {emails} e-mails");
    // The account e-mails were read too: a password reset in each language, the
    // invitation in both, the confirmation of a new address.
    for wanted in account_subjects {
        assert!(
            subjects.iter().any(|s| s.contains(wanted)),
            "no e-mail {wanted:?} among {subjects:#?}"
        );
    }
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("Réinitialisation") && s.contains(" / ")),
        "the invitation, in both languages: {subjects:#?}"
    );
    assert!(
        everything.is_empty(),
        "internals on {} of {pages} pages and {emails} e-mails:\n{everything:#?}",
        everything.len()
    );
}
