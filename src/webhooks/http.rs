//! One webhook POST: a small HTTP/1.1 client of our own on tokio's sockets (TLS by rustls,
//! the Mozilla roots of `webpki-roots`), because what it must refuse matters more than
//! what it supports:
//!
//! - the host is resolved here and **every** address it resolves to must be public
//!   (`store::is_public_ip`) — loopback only where the configuration allows it — and the
//!   connection goes to the address that was checked (no second look-up a DNS answer
//!   could change: no rebinding);
//! - no redirect is followed (a 3xx is an answer that did not deliver);
//! - one deadline for the whole exchange (connect, TLS, send, the answer's status line);
//! - only the status line of the answer is read (at most 8 KiB), never a body.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::store::{WebhookTargets, is_public_ip, webhook_url_problem};

/// Longest status line read from an answer.
const MAX_STATUS_LINE: usize = 8 * 1024;

/// Why a POST could not be made or answered. No personal data (the URL is the employer's
/// own endpoint and is not repeated here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostError {
    /// The target is refused (a private address, a bad URL): retrying will not help
    /// unless the employer's DNS changes, so it is retried like any failure but said so.
    Refused(String),
    /// The network or the receiver failed (refused connection, TLS, timeout, no answer).
    Failed(String),
}

impl std::fmt::Display for PostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PostError::Refused(why) | PostError::Failed(why) => f.write_str(why),
        }
    }
}

/// POSTs `body` as JSON with `headers` to `url`; the answer's status code.
pub async fn post(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    targets: WebhookTargets,
    timeout: Duration,
) -> Result<u16, PostError> {
    match tokio::time::timeout(timeout, post_within(url, headers, body, targets)).await {
        Ok(result) => result,
        Err(_) => Err(PostError::Failed(format!(
            "no answer within {} seconds",
            timeout.as_secs()
        ))),
    }
}

async fn post_within(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    targets: WebhookTargets,
) -> Result<u16, PostError> {
    if let Some(problem) = webhook_url_problem(url, targets) {
        return Err(PostError::Refused(problem.to_string()));
    }
    let parsed = url::Url::parse(url).map_err(|e| PostError::Refused(e.to_string()))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| PostError::Refused("the address names no host".to_owned()))?
        .to_owned();
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| PostError::Refused("the address names no port".to_owned()))?;
    let address = resolve(&host, port, targets).await?;
    let stream = TcpStream::connect(address)
        .await
        .map_err(|e| PostError::Failed(format!("cannot connect: {}", e.kind())))?;
    let _ = stream.set_nodelay(true);
    let mut target = parsed.path().to_owned();
    if let Some(query) = parsed.query() {
        target.push('?');
        target.push_str(query);
    }
    let host_header = match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    let mut request = format!(
        "POST {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: tahsil-webhooks/1\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(name);
        request.push_str(": ");
        request.push_str(value);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    if parsed.scheme() == "https" {
        let name = rustls::pki_types::ServerName::try_from(
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
        )
        .map_err(|_| PostError::Refused("the host is not a valid TLS server name".to_owned()))?;
        let tls = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, stream)
            .await
            .map_err(|e| PostError::Failed(format!("TLS handshake failed: {e}")))?;
        exchange(tls, request.as_bytes(), body).await
    } else {
        exchange(stream, request.as_bytes(), body).await
    }
}

/// The address to connect to: every address `host` resolves to must be allowed.
async fn resolve(host: &str, port: u16, targets: WebhookTargets) -> Result<SocketAddr, PostError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|e| PostError::Failed(format!("cannot resolve the host: {e}")))?
        .collect();
    let Some(first) = addresses.first().copied() else {
        return Err(PostError::Failed(
            "the host resolves to no address".to_owned(),
        ));
    };
    for address in &addresses {
        let ip = address.ip();
        let allowed =
            is_public_ip(ip) || (targets == WebhookTargets::AllowLoopback && ip.is_loopback());
        if !allowed {
            return Err(PostError::Refused(format!(
                "the host resolves to {ip}, a private, local or reserved address: deliveries only go to public addresses"
            )));
        }
    }
    Ok(first)
}

/// Sends the request and reads the answer's status code.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    head: &[u8],
    body: &[u8],
) -> Result<u16, PostError> {
    let failed = |e: std::io::Error| PostError::Failed(format!("sending failed: {}", e.kind()));
    stream.write_all(head).await.map_err(failed)?;
    stream.write_all(body).await.map_err(failed)?;
    stream.flush().await.map_err(failed)?;
    let mut line = Vec::with_capacity(64);
    let mut buf = [0u8; 512];
    loop {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| PostError::Failed(format!("reading the answer failed: {}", e.kind())))?;
        if n == 0 {
            break;
        }
        line.extend_from_slice(&buf[..n]);
        if line.windows(2).any(|w| w == b"\r\n") || line.len() >= MAX_STATUS_LINE {
            break;
        }
    }
    parse_status_line(&line)
}

/// `HTTP/1.1 204 No Content` → 204.
fn parse_status_line(answer: &[u8]) -> Result<u16, PostError> {
    let text = String::from_utf8_lossy(answer);
    let first = text.lines().next().unwrap_or_default();
    let mut parts = first.split_whitespace();
    match (parts.next(), parts.next().map(str::parse::<u16>)) {
        (Some(version), Some(Ok(code)))
            if version.starts_with("HTTP/1.") && (100..600).contains(&code) =>
        {
            Ok(code)
        }
        _ if answer.is_empty() => Err(PostError::Failed(
            "the connection closed without an answer".to_owned(),
        )),
        _ => Err(PostError::Failed("the answer is not HTTP/1.x".to_owned())),
    }
}

fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            Arc::new(
                rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .expect("the ring provider supports the default TLS versions")
                    .with_root_certificates(roots)
                    .with_no_client_auth(),
            )
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read_and_anything_else_refused() {
        assert_eq!(parse_status_line(b"HTTP/1.1 204 No Content\r\n"), Ok(204));
        assert_eq!(parse_status_line(b"HTTP/1.0 500 Oops\r\nX: y"), Ok(500));
        assert!(parse_status_line(b"").is_err());
        assert!(parse_status_line(b"SSH-2.0-OpenSSH\r\n").is_err());
        assert!(parse_status_line(b"HTTP/1.1 abc\r\n").is_err());
    }

    #[tokio::test]
    async fn a_private_target_is_refused_before_connecting() {
        let refused = post(
            "https://10.0.0.1/hook",
            &[],
            b"{}",
            WebhookTargets::AllowLoopback,
            Duration::from_secs(2),
        )
        .await;
        assert!(matches!(refused, Err(PostError::Refused(_))), "{refused:?}");
        let refused = post(
            "http://127.0.0.1:9/hook",
            &[],
            b"{}",
            WebhookTargets::PublicOnly,
            Duration::from_secs(2),
        )
        .await;
        assert!(matches!(refused, Err(PostError::Refused(_))), "{refused:?}");
        // `localhost` is looked up, and what it resolves to is checked.
        assert!(matches!(
            resolve("localhost", 80, WebhookTargets::PublicOnly).await,
            Err(PostError::Refused(_)) | Err(PostError::Failed(_))
        ));
    }
}
