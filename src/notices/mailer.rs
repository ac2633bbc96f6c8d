//! Turning a rendered notice into an email and handing it over: SMTP (lettre, over tokio,
//! TLS by rustls) or a folder of `.eml` files. The only module that knows lettre.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::smtp::SmtpPool;

use super::render::RenderedNotice;
use crate::config::Config;

/// Where notices go.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP server (relay or submission), connections pooled ([`SmtpPool`]).
    Smtp {
        transport: std::sync::Arc<SmtpPool>,
        /// The URL without its password, for messages.
        display: String,
    },
    /// A folder of `.eml` files, one per notice, named after it: writing a notice again
    /// replaces its file, so the folder holds each notice once.
    Folder(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Transport {
    /// Where notices go, for people: `smtp://host:port` (never a password) or the folder.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp { display, .. } => display.clone(),
            Transport::Folder(dir) => dir.display().to_string(),
        }
    }

    /// `smtp` or `folder`, as recorded with each sent notice.
    pub fn kind(&self) -> &'static str {
        match self {
            Transport::Smtp { .. } => "smtp",
            Transport::Folder(_) => "folder",
        }
    }
}

/// Why a notice was not handed over.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth retrying: the server is unreachable, timed out, or answered 4xx.
    #[error("{0}")]
    Transient(String),
    /// Retrying will not help: a 5xx answer, an unusable address.
    #[error("{0}")]
    Permanent(String),
}

/// The sender side of notices: transport, From, Reply-To, the Message-ID domain.
#[derive(Clone, Debug)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    message_id_domain: String,
}

impl Mailer {
    /// From the configuration: SMTP when `smtp_url` is set, else the `.eml` folder
    /// (`mail_dir`, or `default_dir`). Bad values stop with what to write instead.
    /// Call it inside the tokio runtime (the SMTP connection pool lives there).
    pub fn from_config(config: &Config, default_dir: &Path) -> anyhow::Result<Mailer> {
        let from: Mailbox = config.mail_from.parse().map_err(|e| {
            anyhow::anyhow!(
                "TAHSIL_MAIL_FROM (or `mail_from`) {:?} is not a sender address ({e}): write it like `CACOBATPH <avis@cacobatph.dz>`",
                config.mail_from
            )
        })?;
        let reply_to = match &config.mail_reply_to {
            None => None,
            Some(text) => Some(text.parse::<Mailbox>().map_err(|e| {
                anyhow::anyhow!(
                    "TAHSIL_MAIL_REPLY_TO (or `mail_reply_to`) {text:?} is not an address ({e}): write it like `Réclamations <reclamations@cacobatph.dz>`"
                )
            })?),
        };
        let transport = match &config.smtp_url {
            Some(url) => smtp_transport(url.expose(), config.mail_connections)?,
            None => Transport::Folder(
                config
                    .mail_dir
                    .clone()
                    .unwrap_or_else(|| default_dir.to_path_buf()),
            ),
        };
        Ok(Mailer {
            message_id_domain: from.email.domain().to_owned(),
            transport,
            from,
            reply_to,
        })
    }

    /// A mailer on an explicit transport (tests, benchmarks).
    pub fn new(transport: Transport, from: &str, reply_to: Option<&str>) -> anyhow::Result<Mailer> {
        let from: Mailbox = from.parse().context("the sender address")?;
        let reply_to = reply_to
            .map(|r| r.parse::<Mailbox>().context("the reply-to address"))
            .transpose()?;
        Ok(Mailer {
            message_id_domain: from.email.domain().to_owned(),
            transport,
            from,
            reply_to,
        })
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    pub fn reply_to(&self) -> Option<String> {
        self.reply_to.as_ref().map(|m| m.email.to_string())
    }

    /// The Message-ID of a notice event, the same on every attempt: a resend after a crash
    /// is recognisable as the same message (and dropped by servers that deduplicate).
    pub fn message_id(&self, event_id: i64, dedupe_key: &str) -> String {
        let key: String = dedupe_key
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
            .collect();
        format!("<notice.{event_id}.{key}@{}>", self.message_id_domain)
    }

    /// A Message-ID for a message that is not a notice event (a password reset):
    /// `<LOCAL@domain>`, the same on every attempt.
    pub fn message_id_for(&self, local: &str) -> String {
        format!("<{local}@{}>", self.message_id_domain)
    }

    /// Builds the email of a notice, dated `date` (the clock's now).
    pub fn build(
        &self,
        message_id: &str,
        to_name: &str,
        to_address: &str,
        notice: &RenderedNotice,
        date: chrono::DateTime<chrono::Utc>,
    ) -> Result<Message, SendError> {
        let address = to_address.trim().parse().map_err(|_| {
            SendError::Permanent("the employer's email address is not valid".to_owned())
        })?;
        let to = Mailbox::new(Some(to_name.to_owned()), address);
        let mut builder = Message::builder()
            .message_id(Some(message_id.to_owned()))
            // The clock's time: left unset, lettre would stamp the system time.
            .date(std::time::SystemTime::from(date))
            .from(self.from.clone())
            .to(to)
            .subject(notice.subject.clone());
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(notice.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(notice.html.clone()),
                    ),
            )
            .map_err(|e| SendError::Permanent(format!("the email could not be built: {e}")))
    }

    /// Hands an email over. `file_stem` names the `.eml` file in the folder transport.
    pub async fn send(&self, email: &Message, file_stem: &str) -> Result<(), SendError> {
        match &self.transport {
            Transport::Smtp { transport, .. } => match transport.send(email).await {
                Ok(_) => Ok(()),
                Err(err) if err.is_permanent() => Err(SendError::Permanent(super::scrub(
                    &format!("the mail server refused the notice: {err}"),
                ))),
                Err(err) => Err(SendError::Transient(super::scrub(&format!(
                    "the mail server did not take the notice: {}",
                    error_chain(&err)
                )))),
            },
            Transport::Folder(dir) => {
                let bytes = email.formatted();
                let path = dir.join(format!("{file_stem}.eml"));
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || write_atomically(&dir, &path, &bytes))
                    .await
                    .map_err(|e| SendError::Transient(format!("writing the notice failed: {e}")))?
                    .map_err(|e| SendError::Transient(format!("{e:#}")))
            }
        }
    }
}

/// An error and its sources on one line (lettre's top error alone says little).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn smtp_transport(url: &str, connections: u32) -> anyhow::Result<Transport> {
    let display = crate::store::redact_url(url);
    if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
        anyhow::bail!(
            "TAHSIL_SMTP_URL {display:?} is not an SMTP URL: write it like smtp://127.0.0.1:2525, \
             smtp://HOST:587?tls=required or smtps://USER:PASSWORD@HOST"
        );
    }
    let pool = SmtpPool::from_url(url, connections.max(1), Duration::from_secs(30)).map_err(|e| {
        anyhow::anyhow!(
            "TAHSIL_SMTP_URL {display:?} cannot be used ({e}): write it like smtp://127.0.0.1:2525, \
             smtp://HOST:587?tls=required or smtps://USER:PASSWORD@HOST"
        )
    })?;
    Ok(Transport::Smtp {
        transport: std::sync::Arc::new(pool),
        display,
    })
}

/// Writes a file whole or not at all: a temporary name, fsync, then rename. The folder
/// and the files are private (0700/0600) whatever the umask: notices hold live links.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let access = crate::private::Access::PRIVATE;
    access
        .create_dir_all(dir)
        .with_context(|| format!("cannot create the mail folder {}", dir.display()))?;
    let tmp = path.with_extension("eml.tmp");
    let mut file = access
        .create(&tmp)
        .with_context(|| format!("cannot write in the mail folder {}", dir.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot write in the mail folder {}", dir.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_and_name_the_event() {
        let mailer = Mailer::new(
            Transport::Folder(PathBuf::from("/tmp")),
            "CACOBATPH <avis@cacobatph.dz>",
            None,
        )
        .unwrap();
        let id = mailer.message_id(42, "advance_notice:17");
        assert_eq!(id, "<notice.42.advance.notice.17@cacobatph.dz>");
        assert_eq!(id, mailer.message_id(42, "advance_notice:17"));
    }

    #[test]
    fn a_bad_smtp_url_says_how_to_write_one_without_the_password() {
        let mut config = Config::default();
        config.smtp_url = Some(crate::config::Secret::new(
            "imap://user:hunter2@mail.example".to_owned(),
        ));
        let err = Mailer::from_config(&config, Path::new("mail")).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("smtp://127.0.0.1:2525"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn a_bad_sender_is_refused_with_an_example() {
        let config = Config {
            mail_from: "not an address".to_owned(),
            ..Config::default()
        };
        let err = Mailer::from_config(&config, Path::new("mail")).unwrap_err();
        assert!(format!("{err:#}").contains("TAHSIL_MAIL_FROM"), "{err:#}");
    }

    // The pooled transport starts its pool on the runtime: build it inside one.
    #[tokio::test]
    async fn the_smtp_transport_describes_itself_without_the_password() {
        let transport = smtp_transport("smtps://user:hunter2@mail.example", 2).unwrap();
        assert_eq!(transport.describe(), "smtps://user:***@mail.example");
        assert!(!format!("{transport:?}").contains("hunter2"));
    }
}
