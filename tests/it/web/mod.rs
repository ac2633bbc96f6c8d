//! The web surface over real HTTP, on both databases, one file per room of `src/web`:
//! [`account`] (sign-in, passwords), [`access`] (CSRF and the role × endpoint matrix),
//! [`i18n`] (languages, refusals in words), [`portal`], [`console`], [`disputes`], [`api`],
//! [`metrics`], [`hygiene`] (issue 17: secrets out of logs, the redirect, addresses,
//! cookies, consent texts), and [`browser`] (the same flows in headless Chromium). The service and
//! its clients are in `harness::app`. Here: the middleware every response goes through,
//! and the notice set-up the account and portal tests share.

mod access;
mod account;
mod api;
mod browser;
mod console;
mod disputes;
mod hygiene;
mod i18n;
pub(crate) mod internals;
mod metrics;
mod portal;
mod readable;
mod rough_edges;
mod security_access;
mod security_throttle;
mod self_service;

use std::time::Duration;

use tahsil::notices::{Mailer, NoticeSettings, RenderContext, Transport};

use crate::both_backends;
use crate::harness::{TestDb, WebApp};

/// A mailer writing each notice as an `.eml` file into `dir`.
pub fn folder_mailer(dir: &std::path::Path) -> Mailer {
    Mailer::new(
        Transport::Folder(dir.to_path_buf()),
        "CACOBATPH <avis@cacobatph.dz>",
        None,
    )
    .unwrap()
}

/// Notice delivery settings for tests: a fast poll, links to `portal_url` when given.
pub fn notice_settings(portal_url: Option<String>) -> NoticeSettings {
    NoticeSettings {
        poll: Duration::from_millis(100),
        render: RenderContext {
            portal_url,
            reply_to: None,
            notice_days: 5,
        },
        ..NoticeSettings::default()
    }
}

both_backends!(
    every_response_carries_the_security_headers_and_a_request_id,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        for path in [
            "/login",
            "/healthz",
            "/api/v1/bank/files",
            "/static/app.css",
        ] {
            let response = reqwest::get(app.url(path)).await.unwrap();
            let headers = response.headers();
            let csp = headers["content-security-policy"].to_str().unwrap();
            assert!(
                csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'none'"),
                "{path}: {csp}"
            );
            assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(headers["x-frame-options"], "DENY", "{path}");
            assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
            let id = headers["x-request-id"].to_str().unwrap();
            assert!(
                id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
                "{path}: {id}"
            );
        }
        // A caller's own request id is kept (and a malformed one replaced).
        let client = reqwest::Client::new();
        let kept = client
            .get(app.url("/healthz"))
            .header("x-request-id", "proxy-7f3a_01")
            .send()
            .await
            .unwrap();
        assert_eq!(kept.headers()["x-request-id"], "proxy-7f3a_01");
        let replaced = client
            .get(app.url("/healthz"))
            .header("x-request-id", "two words")
            .send()
            .await
            .unwrap();
        assert_ne!(replaced.headers()["x-request-id"], "two words");
    }
);
