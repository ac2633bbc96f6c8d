//! Accessibility (issue 20, "Done when"): axe-core run in headless Chromium over every page
//! of a demo fund — the public pages (sign-in, enrolment, password, verification, the API
//! documentation, a page not found) and every page each demo login reaches (one per
//! shape: `/console/debits/N` once) — in Arabic and in French. Any violation axe rates
//! serious or critical fails the test, listed with its rule, its elements and its page.
//!
//! axe-core comes from npm (`.ci/run` installs it under `.ci/axe/`, git-ignored; or set
//! `TAHSIL_AXE_JS` to an `axe.min.js`). It is injected with WebDriver's execute, which the
//! pages' CSP does not govern; the pages themselves still carry no script. Without it
//! the test prints `skipped: <reason>` and passes — except under CI (`CI=true`).

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use fantoccini::cookies::Cookie;
use reqwest::cookie::CookieStore;
use serde_json::Value;

use super::Chrome;
use crate::harness::in_ci;
use crate::web::readable::{DEMO_LOGINS, crawl, demo, serve_demo, shape};

/// The public pages: what a visitor reaches without signing in.
const PUBLIC_PAGES: &[&str] = &[
    "/login",
    "/enrol",
    "/password/forgot",
    "/password/reset?token=unknown",
    "/verify/AT-0000-UNKNOWN",
    "/api/docs",
    "/no-such-page",
];

/// Pages of one shape checked per language (the same template with other data).
const PER_SHAPE: usize = 1;
/// Pages crawled per login at most.
const PER_LOGIN: usize = 200;

/// axe-core's script: from `TAHSIL_AXE_JS`, else where `.ci/run` installs it.
fn axe_source() -> Option<String> {
    let path = std::env::var_os("TAHSIL_AXE_JS").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(".ci/axe/node_modules/axe-core/axe.min.js")
        },
        PathBuf::from,
    );
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(err) => {
            let reason = format!(
                "the accessibility check needs axe-core at {} ({err}); \
                 run `npm install --prefix .ci/axe axe-core@4` or set TAHSIL_AXE_JS",
                path.display()
            );
            assert!(!in_ci(), "CI=true but {reason}");
            eprintln!("skipped: {reason}");
            None
        }
    }
}

/// Runs axe on the page shown: its serious and critical violations, one line each
/// (rule, what it asks, the first elements concerned).
async fn serious_violations(chrome: &Chrome, axe: &str) -> Vec<String> {
    chrome
        .client
        .execute(&format!("{axe}\n;return typeof axe;"), vec![])
        .await
        .unwrap();
    let result = chrome
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {
               runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
               resultTypes: ['violations'],
             }).then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.impact + ' ' + v.id + ' (' + v.help + '): '
                   + v.nodes.slice(0, 4).map(n => n.target.join(' ')
                       + (n.failureSummary ? ' [' + n.failureSummary.replace(/\\s+/g, ' ').slice(0, 160) + ']' : ''))
                     .join(' | '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    match result {
        Value::Array(lines) => lines
            .into_iter()
            .map(|l| l.as_str().unwrap_or_default().to_owned())
            .collect(),
        other => vec![format!("axe answered {other}")],
    }
}

/// A cookie of the site under test (on 127.0.0.1) for every path. Domain and
/// `SameSite=Lax` said outright: fantoccini sends a null domain and `SameSite=None`
/// otherwise, which chromedriver and Chromium refuse.
fn cookie(name: &str, value: &str) -> Cookie<'static> {
    Cookie::parse(format!(
        "{name}={value}; Domain=127.0.0.1; Path=/; SameSite=Lax"
    ))
    .unwrap()
}

/// Hands the crawl's cookies (the session) to the browser, which must show a page of
/// the same site.
async fn take_cookies(chrome: &Chrome, base: &str, jar: &reqwest::cookie::Jar) {
    chrome.client.delete_all_cookies().await.unwrap();
    let url = reqwest::Url::parse(base).unwrap();
    let Some(header) = jar.cookies(&url) else {
        return;
    };
    for pair in header.to_str().unwrap().split(';') {
        if let Some((name, value)) = pair.trim().split_once('=') {
            chrome.client.add_cookie(cookie(name, value)).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_every_page_passes_axe_in_both_languages() {
    let Some(axe) = axe_source() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    demo(&demo_dir);
    let base = serve_demo(&demo_dir).await;
    let Some(chrome) = Chrome::start().await else {
        return;
    };
    chrome
        .client
        .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
            Some(Duration::from_secs(180)),
            Some(Duration::from_secs(60)),
            None,
        ))
        .await
        .unwrap();

    // The check can fail: a field without a label, added to a page, is found.
    chrome.client.goto(&format!("{base}/login")).await.unwrap();
    chrome
        .script("document.querySelector('main').append(document.createElement('input'))")
        .await;
    let found = serious_violations(&chrome, &axe).await;
    assert!(
        found.iter().any(|v| v.starts_with("critical label ")),
        "axe misses a field without a label: {found:?}"
    );

    let mut violations: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut checked = 0;
    for lang in ["ar", "fr"] {
        // The public pages, in the language a visitor chose (the switch's cookie).
        chrome.client.goto(&format!("{base}/login")).await.unwrap();
        chrome.client.delete_all_cookies().await.unwrap();
        chrome
            .client
            .add_cookie(cookie("tahsil_lang", lang))
            .await
            .unwrap();
        let mut shapes = HashSet::new();
        let mut pages = Vec::new();
        for path in PUBLIC_PAGES {
            shapes.insert(shape(path));
            pages.push((*path).to_owned());
        }
        check_pages(
            &chrome,
            &axe,
            &base,
            lang,
            "visitor",
            &pages,
            &mut violations,
        )
        .await;
        checked += pages.len();
        // Each login's pages not met yet under another login.
        for email in DEMO_LOGINS {
            let crawl = crawl(&base, email, lang, PER_SHAPE, PER_LOGIN).await;
            let pages: Vec<String> = crawl
                .pages
                .into_iter()
                .filter(|p| p.html.is_some() && shapes.insert(shape(&p.path)))
                .map(|p| p.path)
                .collect();
            take_cookies(&chrome, &base, &crawl.cookies).await;
            check_pages(&chrome, &axe, &base, lang, email, &pages, &mut violations).await;
            checked += pages.len();
        }
    }
    chrome.finish().await;
    assert!(checked > 60, "only {checked} pages checked");
    assert!(
        violations.is_empty(),
        "serious or critical accessibility violations on {} of {checked} pages:\n{violations:#?}",
        violations.len()
    );
}

/// Shows each page and runs axe on it; what it finds goes to `violations` under
/// `<lang> <who> <path>`. The page must be in `lang`.
async fn check_pages(
    chrome: &Chrome,
    axe: &str,
    base: &str,
    lang: &str,
    who: &str,
    pages: &[String],
    violations: &mut BTreeMap<String, Vec<String>>,
) {
    for path in pages {
        chrome.client.goto(&format!("{base}{path}")).await.unwrap();
        let shown = chrome.script("return document.documentElement.lang").await;
        let mut found = serious_violations(chrome, axe).await;
        if shown != lang {
            found.push(format!("the page is in {shown}, not {lang}"));
        }
        if !found.is_empty() {
            violations.insert(format!("{lang} {who} {path}"), found);
        }
    }
}
