//! What a request's span may say about its address: the path without its query string
//! (password-reset links carry their token there, searches carry names), and with every
//! segment that could be a secret or an account number replaced by `…`. One function,
//! [`loggable_path`], used by every span the web opens (`web::mod`'s trace layer).

use axum::extract::Request;
use axum::http::Uri;

/// Segments at least this long made only of token characters are redacted: our tokens are
/// 43 characters, account numbers 20 digits, ids and dates are far shorter.
const SECRET_LENGTH: usize = 16;

/// Path segments whose *next* segment is a secret whatever its length.
const BEFORE_A_SECRET: &[&str] = &["reset", "invite", "token"];

/// The path of `uri` as logs may show it: no query, no fragment, secret-looking segments
/// as `…`.
pub(crate) fn loggable_path(uri: &Uri) -> String {
    let mut out = String::with_capacity(uri.path().len());
    let mut secret_next = false;
    for (i, segment) in uri.path().split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let redact = (secret_next && !segment.is_empty()) || looks_secret(segment);
        out.push_str(if redact { "…" } else { segment });
        secret_next = BEFORE_A_SECRET.contains(&segment.to_ascii_lowercase().as_str());
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

fn looks_secret(segment: &str) -> bool {
    segment.len() >= SECRET_LENGTH
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'%' | b'=' | b'.'))
        && (segment.bytes().any(|b| b.is_ascii_digit())
            || (segment.bytes().any(|b| b.is_ascii_uppercase())
                && segment.bytes().any(|b| b.is_ascii_lowercase())))
}

/// The span of one request for `tower_http`'s trace layer: method and redacted path, never
/// the URI as received.
pub(crate) fn request_span(request: &Request) -> tracing::Span {
    tracing::debug_span!(
        "http",
        method = %request.method(),
        path = %loggable_path(request.uri()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> String {
        loggable_path(&text.parse::<Uri>().unwrap())
    }

    #[test]
    fn queries_and_secret_segments_never_reach_a_span() {
        let token = "Xq3v9_kLm0Pz-4RtYb7NcW2eHs8Ua1DfGj5Io6QwErT";
        let cases: Vec<(String, &str)> = vec![
            ("/".into(), "/"),
            ("/portal/3/mandate".into(), "/portal/3/mandate"),
            (
                "/console/runs/2026-01-15".into(),
                "/console/runs/2026-01-15",
            ),
            (
                "/console/declaration-forms".into(),
                "/console/declaration-forms",
            ),
            (format!("/password/reset?token={token}"), "/password/reset"),
            (format!("/password/reset/{token}"), "/password/reset/…"),
            ("/password/reset/short1".into(), "/password/reset/…"),
            (format!("/invite/{token}/accept"), "/invite/…/accept"),
            (
                "/console/employers?q=Entreprise+Benali".into(),
                "/console/employers",
            ),
            (
                "/api/v1/mandates/00400174401001050486".into(),
                "/api/v1/mandates/…",
            ),
            (
                format!("/api/v1/bank/tahsil_user_{token}/x"),
                "/api/v1/bank/…/x",
            ),
            ("http://host:8080/login?next=/x".into(), "/login"),
        ];
        for (uri, expected) in cases {
            let logged = path(&uri);
            assert_eq!(logged, expected, "{uri}");
            assert!(!logged.contains(token), "{uri}");
        }
    }
}
