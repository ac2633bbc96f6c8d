//! Prometheus `GET /metrics`, in the text exposition format, rendered by hand (no metrics
//! crate): the fund's state read from the store at scrape time (runs, files, collections by
//! state, notices, exceptions, quarantined files, jobs) and the latency of the requests
//! this process served, per method and route, as a histogram.
//!
//! Behind its own token (`metrics_token`); off (404) without one. No floats: latencies
//! are counted in microseconds and written as decimal seconds.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::WebState;
use crate::store::NoticeStatus;

/// Upper bounds of the latency buckets, in microseconds (1 ms to 10 s).
const BUCKETS_MICROS: [u64; 12] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    10_000_000,
];

/// One histogram: cumulative counts are computed when rendering.
#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS_MICROS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, micros: u64) {
        if let Some(i) = BUCKETS_MICROS.iter().position(|&b| micros <= b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

/// Request latencies by (method, route pattern). Routes are the router's patterns
/// (`/portal/{employer}`), so the label set stays small; unrouted requests count as
/// `unmatched`.
#[derive(Debug, Default)]
pub(crate) struct RequestMetrics {
    by_route: Mutex<BTreeMap<(String, String), std::sync::Arc<Histogram>>>,
}

impl RequestMetrics {
    fn histogram(&self, method: &str, route: &str) -> std::sync::Arc<Histogram> {
        let mut map = self
            .by_route
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry((method.to_owned(), route.to_owned()))
            .or_default()
            .clone()
    }

    fn render(&self, out: &mut String) {
        let map = self
            .by_route
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let name = "tahsil_http_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to answer an HTTP request, by method and route."
        );
        let _ = writeln!(out, "# TYPE {name} histogram");
        for ((method, route), histogram) in map.iter() {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
            let mut cumulative = 0;
            for (i, bound) in BUCKETS_MICROS.iter().enumerate() {
                cumulative += histogram.buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "{name}_bucket{{{labels},le=\"{}\"}} {cumulative}",
                    seconds(*bound)
                );
            }
            let count = histogram.count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
            let _ = writeln!(
                out,
                "{name}_sum{{{labels}}} {}",
                seconds(histogram.sum_micros.load(Ordering::Relaxed))
            );
            let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
        }
    }
}

/// Microseconds as decimal seconds: 2500 -> "0.0025".
fn seconds(micros: u64) -> String {
    let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    let text = text.trim_end_matches('0');
    text.strip_suffix('.').unwrap_or(text).to_owned()
}

/// A label value as the text format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The middleware that times every request.
pub(super) async fn track(State(state): State<WebState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let histogram = state.requests.histogram(&method, &route);
    let response = next.run(request).await;
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    histogram.observe(micros);
    response
}

/// `GET /metrics`: only with the metrics token (`metrics_token`; the admin token does not
/// open it — a scraper holds no more than it needs). Without a configured token the route
/// is off: 404, as if it did not exist.
pub(super) async fn metrics(
    State(state): State<WebState>,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some(expected) = &state.options.metrics_token else {
        return super::ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "metrics are off: set metrics_token (TAHSIL_METRICS_TOKEN) to scrape them",
        )
        .into_response();
    };
    let given = super::session::bearer_token(&headers);
    if given.is_empty()
        || !super::session::constant_time_eq(given.as_bytes(), expected.expose().as_bytes())
    {
        return super::ApiError::unauthorized().into_response();
    }
    match render(&state).await {
        Ok(text) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "metrics: reading the store failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}

fn gauge_header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

async fn render(state: &WebState) -> Result<String, crate::store::StoreError> {
    let store = state.store();
    let mut out = String::with_capacity(4096);

    let files = store.bank_files(None).await?;
    let runs: BTreeSet<i64> = files.iter().map(|f| f.run_id).collect();
    let unfinished = store.unfinished_runs().await?;
    gauge_header(
        &mut out,
        "tahsil_runs",
        "Collection runs that wrote files, and runs still building.",
    );
    let _ = writeln!(out, "tahsil_runs{{state=\"with_files\"}} {}", runs.len());
    let _ = writeln!(
        out,
        "tahsil_runs{{state=\"building\"}} {}",
        unfinished.len()
    );

    let mut by_file: BTreeMap<(&str, String, bool), (i64, i64)> = BTreeMap::new();
    for f in &files {
        let entry = by_file
            .entry((
                f.institution.as_str(),
                f.format.clone(),
                f.downloaded_at.is_some(),
            ))
            .or_default();
        entry.0 += 1;
        entry.1 += f.transactions;
    }
    gauge_header(
        &mut out,
        "tahsil_bank_files",
        "Debit files written, by institution, format and whether the institution downloaded them.",
    );
    for ((institution, format, downloaded), (count, _)) in &by_file {
        let _ = writeln!(
            out,
            "tahsil_bank_files{{institution=\"{}\",format=\"{}\",downloaded=\"{downloaded}\"}} {count}",
            escape(institution),
            escape(format)
        );
    }
    gauge_header(
        &mut out,
        "tahsil_bank_file_transactions",
        "Debits in the files written, by institution, format and whether downloaded.",
    );
    for ((institution, format, downloaded), (_, transactions)) in &by_file {
        let _ = writeln!(
            out,
            "tahsil_bank_file_transactions{{institution=\"{}\",format=\"{}\",downloaded=\"{downloaded}\"}} {transactions}",
            escape(institution),
            escape(format)
        );
    }

    let collections = store.collection_counts(None).await?;
    gauge_header(
        &mut out,
        "tahsil_collections",
        "Collections (one debit of an employer on a date), by channel and state.",
    );
    for c in &collections {
        let _ = writeln!(
            out,
            "tahsil_collections{{channel=\"{}\",state=\"{}\"}} {}",
            c.channel, c.status, c.count
        );
    }
    gauge_header(
        &mut out,
        "tahsil_collections_amount_centimes",
        "Sum of the collections' amounts in centimes (exact), by channel and state.",
    );
    for c in &collections {
        let _ = writeln!(
            out,
            "tahsil_collections_amount_centimes{{channel=\"{}\",state=\"{}\"}} {}",
            c.channel, c.status, c.amount_centimes
        );
    }

    let notices = store.notice_counts().await?;
    gauge_header(
        &mut out,
        "tahsil_notices",
        "Notices to employers, by kind and state (pending: not sent yet).",
    );
    for c in &notices {
        let _ = writeln!(
            out,
            "tahsil_notices{{kind=\"{}\",state=\"{}\"}} {}",
            c.kind, c.status, c.count
        );
    }
    let pending: i64 = notices
        .iter()
        .filter(|c| c.status == NoticeStatus::Pending)
        .map(|c| c.count)
        .sum();
    gauge_header(
        &mut out,
        "tahsil_notices_pending",
        "Notices recorded and not sent yet.",
    );
    let _ = writeln!(out, "tahsil_notices_pending {pending}");

    let open = store.open_exception_count().await?;
    gauge_header(
        &mut out,
        "tahsil_exceptions_open",
        "Reconciliation exceptions waiting for staff.",
    );
    let _ = writeln!(out, "tahsil_exceptions_open {open}");
    let quarantined = store.quarantined_count().await?;
    gauge_header(
        &mut out,
        "tahsil_quarantined_files",
        "Report files refused at import and kept in quarantine.",
    );
    let _ = writeln!(out, "tahsil_quarantined_files {quarantined}");

    let jobs = store.job_counts().await?;
    gauge_header(&mut out, "tahsil_jobs", "Queued jobs, by kind and state.");
    for crate::store::JobCount {
        kind,
        status,
        count,
    } in &jobs
    {
        let _ = writeln!(
            out,
            "tahsil_jobs{{kind=\"{}\",state=\"{}\"}} {count}",
            escape(kind),
            status
        );
    }

    state.requests.render(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microseconds_are_written_as_decimal_seconds() {
        assert_eq!(seconds(1_000), "0.001");
        assert_eq!(seconds(2_500), "0.0025");
        assert_eq!(seconds(1_000_000), "1");
        assert_eq!(seconds(10_000_000), "10");
        assert_eq!(seconds(0), "0");
        assert_eq!(seconds(1_234_567), "1.234567");
    }

    #[test]
    fn a_histogram_counts_each_request_in_its_bucket_and_renders_cumulatively() {
        let metrics = RequestMetrics::default();
        let h = metrics.histogram("GET", "/portal/{employer}");
        h.observe(800);
        h.observe(3_000);
        h.observe(20_000_000);
        let mut out = String::new();
        metrics.render(&mut out);
        let labels = "method=\"GET\",route=\"/portal/{employer}\"";
        for (le, n) in [
            ("0.001", 1),
            ("0.0025", 1),
            ("0.005", 2),
            ("10", 2),
            ("+Inf", 3),
        ] {
            let line = format!(
                "tahsil_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {n}\n"
            );
            assert!(out.contains(&line), "{line} in {out}");
        }
        assert!(out.contains(&format!(
            "tahsil_http_request_duration_seconds_sum{{{labels}}} 20.0038\n"
        )));
        assert!(out.contains(&format!(
            "tahsil_http_request_duration_seconds_count{{{labels}}} 3\n"
        )));
    }
}
