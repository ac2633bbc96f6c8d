//! Notices: emails to employers about their mandates, collections and disputes, in Arabic
//! and French, each sent once.
//!
//! State changes record notice events in their own transaction (the outbox, in the store).
//! The delivery worker ([`worker`]) claims them with an expiring lock, writes each one
//! ([`render`], templates compiled in from `templates/notices/`), hands it to the transport
//! ([`mailer`]: SMTP or a folder of `.eml` files) and marks it sent with what was sent.
//!
//! Architecture invariant: this is the only module that knows lettre, and nothing here
//! logs a name, an address or an account number — events are logged by id and kind.

pub mod mailer;
pub mod password_reset;
pub mod render;
pub mod smtp;
pub mod worker;

pub use mailer::{Mailer, SendError, Transport};
pub use password_reset::{ResetReport, deliver_password_resets};
pub use render::{RenderContext, RenderedNotice, render};
pub use worker::{DeliveryReport, NoticeSettings, deliver_all, deliver_batch, run_loop};

/// The mailer the configuration describes: SMTP when `TAHSIL_SMTP_URL` is set, else the
/// `.eml` folder — `mail_dir`, or `mail` beside the SQLite file (`./mail` with PostgreSQL).
pub fn mailer_from_config(config: &crate::config::Config) -> anyhow::Result<Mailer> {
    let default_dir = match crate::store::Backend::of_url(&config.database_url) {
        Ok(crate::store::Backend::Sqlite) => crate::store::sqlite_path(&config.database_url)
            .and_then(|db| db.parent().map(|p| p.join("mail")))
            .unwrap_or_else(|| std::path::PathBuf::from("mail")),
        _ => std::path::PathBuf::from("mail"),
    };
    Mailer::from_config(config, &default_dir)
}

/// The worker's settings from the configuration (the rest are defaults).
pub fn settings_from_config(config: &crate::config::Config, mailer: &Mailer) -> NoticeSettings {
    NoticeSettings {
        render: RenderContext {
            portal_url: config.portal_url.clone(),
            reply_to: mailer.reply_to(),
            notice_days: config.notice_days,
        },
        concurrency: usize::try_from(config.mail_connections).unwrap_or(1),
        // A batch ends when its slowest notice is sent and its last marks are committed:
        // many rounds per batch keep the connections busy, and its facts are read and
        // its claim made once for all of it.
        batch: i64::from(config.mail_connections)
            .saturating_mul(128)
            .clamp(200, 1000),
        ..NoticeSettings::default()
    }
}

/// An error text fit for logs and the staff list: every word that looks like an email
/// address is replaced (SMTP servers quote the recipient in their refusals), as in every
/// error kept for staff (`store::scrub_error`, which also masks account numbers).
pub fn scrub(text: &str) -> String {
    crate::store::scrub_error(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_scrubbed_from_errors() {
        assert_eq!(
            scrub("550 5.1.1 <compta@example.dz>: Recipient address rejected"),
            "550 5.1.1 <address> Recipient address rejected"
        );
        assert_eq!(scrub("connection refused"), "connection refused");
    }
}
