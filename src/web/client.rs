//! Who is at the other end: the client's IP address, computed once per request by
//! [`client_address`] and read everywhere through the [`ClientAddr`] extractor — the
//! sign-in and reset throttles, the signature evidence of a mandate, the request's log span.
//!
//! The TCP peer is the client unless it is one of the configured `trusted_proxies`; then
//! the proxies' own record of the hops is read — `X-Forwarded-For` when the request has
//! one, else the `for=` of `Forwarded` — and the client is the right-most hop that is not
//! a trusted proxy (every hop left of it could have been written by the client itself).
//! Headers from a peer that is not a trusted proxy are ignored.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName};

use super::WebState;
use crate::config::IpRange;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const FORWARDED: HeaderName = HeaderName::from_static("forwarded");

/// The client's address of this request (see the module's rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether a request says it came through a proxy (either forwarding header).
pub fn forwarded(headers: &HeaderMap) -> bool {
    headers.contains_key(X_FORWARDED_FOR) || headers.contains_key(FORWARDED)
}

/// The TCP peer of a request (unspecified when the server was not given it).
pub fn peer(parts_extensions: &axum::http::Extensions) -> IpAddr {
    parts_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the right-most
/// hop of the forwarding header that is not a trusted proxy (the left-most hop when all
/// are; the last trusted hop reached when the next one does not read as an address).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|range| range.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<String> = if headers.contains_key(X_FORWARDED_FOR) {
        headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|hop| hop.trim().to_owned())
            .collect()
    } else {
        headers
            .get_all(FORWARDED)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    key.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| value.trim().to_owned())
                })
            })
            .collect()
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if is_trusted(ip) => client = ip,
            Some(ip) => return ip,
            None => return client,
        }
    }
    client
}

/// One hop: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, quoted or not.
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (host, port) = text.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

impl FromRequestParts<WebState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Infallible> {
        if let Some(known) = parts.extensions.get::<ClientAddr>() {
            return Ok(*known);
        }
        Ok(ClientAddr(client_address(
            peer(&parts.extensions),
            &parts.headers,
            &state.options.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let trusted = [IpRange::parse("10.0.0.0/8").unwrap()];
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(
            client_address(ip("203.0.113.9"), &spoofed, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &spoofed, &[]),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &spoofed, &trusted),
            ip("1.2.3.4")
        );
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let trusted = [
            IpRange::parse("10.0.0.0/8").unwrap(),
            IpRange::parse("192.168.0.1").unwrap(),
        ];
        // The client wrote "6.6.6.6" itself; the proxies appended the real hops.
        let chain = headers(&[
            ("x-forwarded-for", "6.6.6.6, 198.51.100.7"),
            ("x-forwarded-for", "192.168.0.1"),
        ]);
        assert_eq!(
            client_address(ip("10.1.1.1"), &chain, &trusted),
            ip("198.51.100.7")
        );
        let all_trusted = headers(&[("x-forwarded-for", "10.9.9.9, 192.168.0.1")]);
        assert_eq!(
            client_address(ip("10.1.1.1"), &all_trusted, &trusted),
            ip("10.9.9.9")
        );
        let garbage = headers(&[("x-forwarded-for", "198.51.100.7, not-an-ip, 10.2.2.2")]);
        assert_eq!(
            client_address(ip("10.1.1.1"), &garbage, &trusted),
            ip("10.2.2.2")
        );
        let forwarded = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https, For=10.3.3.3",
        )]);
        assert_eq!(
            client_address(ip("10.1.1.1"), &forwarded, &trusted),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(parse_hop("198.51.100.7:8080"), Some(ip("198.51.100.7")));
        assert_eq!(parse_hop("unknown"), None);
    }
}
