//! The SMTP connections notices go out on: a small pool of lettre's own connections
//! (`AsyncSmtpConnection`: its EHLO, STARTTLS, AUTH and DATA handling), opened by tahsil
//! on TCP sockets with Nagle's algorithm off.
//!
//! Why not lettre's pooled `AsyncSmtpTransport`: it writes a message and its end-of-data
//! marker (`CRLF.CRLF`) in two writes on a socket with Nagle on, so the marker waited for
//! the server's delayed ACK (40 – 90 ms a message a connection: 86 – 195 notices/s to a
//! loopback server); and it checked every pooled connection with a `NOOP` round trip
//! before each message. Here each write leaves at once, and a connection is checked only
//! after it sat idle (a server closes idle connections). See BENCHMARKS.md (notices).
//!
//! The URL is read as lettre reads it: `smtp://HOST[:25]` plain, `?tls=required` (STARTTLS
//! or fail, port 587 by default), `?tls=opportunistic` (STARTTLS when offered), `smtps://`
//! (TLS from the first byte, port 465), `USER:PASSWORD@` for AUTH (PLAIN or LOGIN), a path
//! for the EHLO name.

use std::fmt;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
#[allow(deprecated)]
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Semaphore;

/// A connection idle longer than this is checked (`NOOP`) before it carries a message.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(10);

/// How the connection is secured.
#[derive(Clone)]
enum Security {
    None,
    /// STARTTLS, or no connection.
    Required(TlsParameters),
    /// STARTTLS when the server offers it.
    Opportunistic(TlsParameters),
    /// TLS from the first byte (`smtps://`).
    Wrapper(TlsParameters),
}

/// Up to `size` SMTP connections to one server, kept open between messages.
pub struct SmtpPool {
    host: String,
    port: u16,
    security: Security,
    hello: ClientId,
    credentials: Option<Credentials>,
    /// For connecting and for each message.
    timeout: Duration,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    slots: Semaphore,
}

impl fmt::Debug for SmtpPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the credentials.
        f.debug_struct("SmtpPool")
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Why a message was not handed over: lettre's error, or a timeout.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error(transparent)]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("the mail server did not answer within {0:?}")]
    TimedOut(Duration),
    #[error("{0}: {1}")]
    Io(&'static str, std::io::Error),
}

impl SmtpError {
    /// A 5xx answer: sending again will not help.
    pub fn is_permanent(&self) -> bool {
        match self {
            SmtpError::Smtp(err) => err.is_permanent(),
            SmtpError::TimedOut(_) | SmtpError::Io(..) => false,
        }
    }
}

impl SmtpPool {
    /// The pool a URL describes (see the module's documentation); connects lazily.
    pub fn from_url(url: &str, size: u32, timeout: Duration) -> Result<SmtpPool, String> {
        let parsed = url::Url::parse(url).map_err(|e| e.to_string())?;
        let host = parsed
            .host_str()
            .ok_or_else(|| "it names no host".to_owned())?
            .trim_matches(['[', ']'])
            .to_owned();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let params = || TlsParameters::new(host.clone()).map_err(|e| e.to_string());
        let (security, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::None, 25),
            ("smtp", Some("required")) => (Security::Required(params()?), 587),
            ("smtp", Some("opportunistic")) => (Security::Opportunistic(params()?), 587),
            ("smtps", _) => (Security::Wrapper(params()?), 465),
            (scheme, tls) => {
                return Err(format!(
                    "unknown scheme {scheme:?} or tls parameter {:?}",
                    tls.unwrap_or_default()
                ));
            }
        };
        let hello = match parsed.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|e| e.to_string())
        };
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(
                decode(parsed.username())?,
                decode(password)?,
            )),
            None => None,
        };
        Ok(SmtpPool {
            port: parsed.port().unwrap_or(default_port),
            host,
            security,
            hello,
            credentials,
            timeout,
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(usize::try_from(size.max(1)).unwrap_or(1)),
        })
    }

    /// Sends one message on a pooled connection (a new one if none is free). A connection
    /// that failed is dropped, never reused.
    pub async fn send(&self, email: &Message) -> Result<(), SmtpError> {
        let _slot = self.slots.acquire().await.ok();
        let mut connection = self.connection().await?;
        let bytes = email.formatted();
        match tokio::time::timeout(self.timeout, connection.send(email.envelope(), &bytes)).await {
            Ok(Ok(_)) => {
                self.give_back(connection);
                Ok(())
            }
            Ok(Err(err)) => {
                // lettre has already sent QUIT and closed a connection an error broke.
                if !connection.has_broken() {
                    self.give_back(connection);
                }
                Err(err.into())
            }
            Err(_) => Err(SmtpError::TimedOut(self.timeout)),
        }
    }

    fn give_back(&self, connection: AsyncSmtpConnection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push((connection, Instant::now()));
        }
    }

    /// A free connection that still answers, or a new one.
    async fn connection(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        loop {
            let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some((mut connection, since)) = pooled else {
                break;
            };
            if since.elapsed() < CHECK_AFTER_IDLE {
                return Ok(connection);
            }
            let alive = tokio::time::timeout(self.timeout, connection.test_connected()).await;
            if alive == Ok(true) {
                return Ok(connection);
            }
        }
        match tokio::time::timeout(self.timeout, self.connect()).await {
            Ok(connected) => connected,
            Err(_) => Err(SmtpError::TimedOut(self.timeout)),
        }
    }

    /// Connects, says EHLO, secures the connection as configured and authenticates.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        let socket = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| SmtpError::Io("connecting to the mail server failed", e))?;
        // The point of this module: a message's last write leaves at once.
        socket
            .set_nodelay(true)
            .map_err(|e| SmtpError::Io("setting TCP_NODELAY failed", e))?;
        let mut connection = match &self.security {
            Security::Wrapper(tls) => {
                #[allow(deprecated)]
                let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(socket));
                stream.upgrade_tls(tls.clone()).await?;
                AsyncSmtpConnection::connect_with_transport(Box::new(Secured(stream)), &self.hello)
                    .await?
            }
            _ => AsyncSmtpConnection::connect_with_transport(Box::new(socket), &self.hello).await?,
        };
        match &self.security {
            Security::Required(tls) => connection.starttls(tls.clone(), &self.hello).await?,
            Security::Opportunistic(tls) if connection.can_starttls() => {
                connection.starttls(tls.clone(), &self.hello).await?;
            }
            _ => {}
        }
        if let Some(credentials) = &self.credentials {
            connection.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(connection)
    }
}

/// A TLS stream lettre set up (`smtps://`), handed back to lettre as a plain stream: lettre
/// opens a connection on an existing stream only before TLS, so the TLS-wrapped one goes
/// in as the "socket". (lettre's `AsyncNetworkStream` is public but deprecated, "not meant
/// to be made public": it is the one way to lettre's TLS set-up on a socket of our own.)
#[allow(deprecated)]
struct Secured(AsyncNetworkStream);

impl fmt::Debug for Secured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secured")
    }
}

impl AsyncTokioStream for Secured {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.peer_addr()
    }
}

impl AsyncRead for Secured {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let unfilled = buf.initialize_unfilled();
        match futures_io::AsyncRead::poll_read(Pin::new(&mut self.0), cx, unfilled) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Secured {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        futures_io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        futures_io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_as_lettre_reads_them() {
        let pool = SmtpPool::from_url("smtp://127.0.0.1:2525", 2, Duration::from_secs(1)).unwrap();
        assert_eq!((pool.host.as_str(), pool.port), ("127.0.0.1", 2525));
        assert!(matches!(pool.security, Security::None));
        assert!(pool.credentials.is_none());

        let pool = SmtpPool::from_url(
            "smtp://us%40er:p%3Ass@mail.example?tls=required",
            2,
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(pool.port, 587);
        assert!(matches!(pool.security, Security::Required(_)));
        assert!(pool.credentials.is_some());

        let pool = SmtpPool::from_url("smtps://mail.example", 2, Duration::from_secs(1)).unwrap();
        assert_eq!(pool.port, 465);
        assert!(matches!(pool.security, Security::Wrapper(_)));

        assert!(
            SmtpPool::from_url("smtp://mail.example?tls=maybe", 2, Duration::from_secs(1)).is_err()
        );
        assert!(!format!("{pool:?}").contains("p:ss"));
    }
}
