//! Typed configuration: defaults in code → `tahsil.toml` (optional) → `TAHSIL_*`
//! environment variables → command-line flags. Every value is parsed once, here, and a bad
//! value stops startup with a message naming where it came from and what to write instead.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use chrono::{DateTime, FixedOffset};
use mandates::DueDateSchedule;
use serde::Deserialize;

use crate::clock::parse_instant;

/// How logs are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, coloured when on a terminal.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pretty" => Ok(LogFormat::Pretty),
            "json" => Ok(LogFormat::Json),
            other => Err(format!(
                "unknown log format {other:?}: use \"pretty\" or \"json\""
            )),
        }
    }
}

/// How many months a certificate of being up to date is valid unless configured.
pub const DEFAULT_ATTESTATION_MONTHS: u32 = 3;

/// A secret string whose `Debug` never shows the value.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The whole configuration of one tahsil process.
#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://FILE` (the embedded default) or `postgres://…`.
    pub database_url: String,
    /// Address `serve` listens on.
    pub listen: SocketAddr,
    pub log_format: LogFormat,
    /// A `tracing` filter such as `info` or `tahsil=debug,sqlx=warn`.
    pub log_filter: String,
    /// Base64 of 32 random bytes: the key that encrypts account numbers at rest.
    pub encryption_key: Option<Secret>,
    /// Where the embedded default keeps a generated key (default: beside the SQLite file).
    pub key_file: Option<PathBuf>,
    /// A corrected bank-code table (`code<TAB>short name<TAB>full name` per line).
    pub bank_table_file: Option<PathBuf>,
    /// Bearer token of the admin JSON API. Without it the admin API answers 401 to
    /// everyone, whatever the listen address (see `insecure_open_admin_api_on_loopback`).
    pub admin_token: Option<Secret>,
    /// Bearer token of `GET /metrics` (for the scraper; the admin token does not open it).
    /// Without it `/metrics` answers 404.
    pub metrics_token: Option<Secret>,
    /// Development only: with no `admin_token`, let requests from loopback (and through no
    /// proxy) use the admin API without a token. Refused unless `serve` listens on
    /// loopback; logged as a warning at startup. Never on by default.
    pub insecure_open_admin_api_on_loopback: bool,
    /// The proxies whose `X-Forwarded-For` (or `Forwarded`) is believed: IP addresses or
    /// CIDR ranges. The client's address is the right-most hop that is not one of them.
    pub trusted_proxies: Vec<IpRange>,
    /// Password checks (argon2id, ~19 MiB each) running at once…
    pub login_concurrency: u32,
    /// …and how long a sign-in waits for one before it is answered 503 (milliseconds).
    pub login_queue_ms: u32,
    /// Maximum connections in the database pool.
    pub database_max_connections: u32,
    /// Folder of the official ISO 20022 XSDs used by `files validate`.
    pub xsd_dir: Option<PathBuf>,
    /// Folder of institutions' own fixed-width layouts (`*.toml`), recognised before the
    /// shipped ones.
    pub layouts_dir: Option<PathBuf>,
    /// When contributions fall due (cron, seconds first, Africa/Algiers), rolled forward to
    /// a business day.
    pub due_date_schedule: DueDateSchedule,
    /// The exchange folders: `<exchange_dir>/<institution>/{outbox,inbox,quarantine,archive}`.
    pub exchange_dir: PathBuf,
    /// The group of the bank's transfer account (a name or a number): exchange folders and
    /// files are then 0750/0640 with that group instead of 0700/0600.
    pub exchange_group: Option<String>,
    /// The largest report imported, in bytes (`tahsil import`, the inboxes, the bank API);
    /// a larger one is quarantined (or refused with 413 when uploaded).
    pub max_report_bytes: u64,
    /// Report uploads received at once by the bank API; more are answered 503.
    pub max_concurrent_uploads: u32,
    /// The bank channel's profile (`bank_formats::profile`): a shipped profile's name
    /// (`dz-domestic`, the default: no SEPA codes; `sepa`) or the path of a profile file
    /// (`….toml`). It says the debit and refund formats, codes, charset, file size, lead
    /// time, cut-off and reports.
    pub bank_profile: String,
    /// The postal channel's profile (default: the shipped `dz-postal`).
    pub postal_profile: String,
    /// Overrides the bank profile's debit format: `pain.008.001.02`, `pain.008.001.08`,
    /// or a fixed-width debit layout's name (shipped or in `layouts_dir`; a batched one
    /// writes a batch per debtor bank).
    pub bank_format: Option<String>,
    /// Overrides the postal profile's debit format.
    pub postal_format: Option<String>,
    /// At most this many transactions per file (and never more than the institution's
    /// profile allows); more are split into several files.
    pub max_per_file: u32,
    /// Insufficient funds: re-present after this many business days…
    pub retry_business_days: u32,
    /// …up to this many attempts in all (the first included).
    pub max_attempts: u32,
    /// Business days after the collection date with no reject for a debit to count as settled.
    pub settlement_business_days: u32,
    /// Advance notice: employers are told amount and date at least this many days before.
    pub notice_days: u32,
    /// The fund as creditor: name, account (RIB/RIP credited) and creditor identifier.
    pub creditor_name: String,
    pub creditor_account: String,
    pub creditor_id: String,
    /// The fund's postal account (a RIP), credited by the postal debit files.
    pub creditor_postal_account: String,
    /// How long a run holds its date's lock; a holder that dies loses it after this.
    pub run_lease_seconds: u32,
    /// Mark session cookies `Secure` and send HSTS: set when served over HTTPS (behind a
    /// TLS-terminating proxy).
    pub cookie_secure: bool,
    /// Notices by SMTP: `smtp://HOST:PORT` (plain, for a relay on loopback),
    /// `smtp://HOST?tls=required` (STARTTLS) or `smtps://USER:PASS@HOST` (TLS). Without
    /// it notices are written as `.eml` files into `mail_dir`.
    pub smtp_url: Option<Secret>,
    /// Where notices go without SMTP (default: `mail` beside the SQLite file, else `./mail`).
    pub mail_dir: Option<PathBuf>,
    /// The sender of notices, `Name <address>`; its domain names the Message-IDs.
    pub mail_from: String,
    /// Where employers' replies go (a monitored mailbox), `Name <address>`.
    pub mail_reply_to: Option<String>,
    /// The employer portal's address, shown in notices (never with a token or an id).
    pub portal_url: Option<String>,
    /// How many months a certificate of being up to date is valid (default 3).
    pub attestation_validity_months: u32,
    /// Notices in flight at once, and SMTP connections kept open for them.
    pub mail_connections: u32,
    /// Trials and training: the instant the service starts believing it is, running on
    /// from there (`serve --clock`); `None` is the real time.
    pub clock: Option<DateTime<FixedOffset>>,
    /// Development and tests only: webhooks may go to `http://` loopback addresses
    /// (`127.0.0.1`, `localhost`). Off, endpoints must be public `https://` addresses.
    pub webhooks_allow_loopback: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://tahsil.db".to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log_format: LogFormat::Pretty,
            log_filter: "info".to_owned(),
            encryption_key: None,
            key_file: None,
            bank_table_file: None,
            admin_token: None,
            metrics_token: None,
            insecure_open_admin_api_on_loopback: false,
            trusted_proxies: Vec::new(),
            login_concurrency: 4,
            login_queue_ms: 500,
            database_max_connections: 8,
            xsd_dir: None,
            layouts_dir: None,
            due_date_schedule: DueDateSchedule::parse(DEFAULT_DUE_DATE_SCHEDULE)
                .expect("the default schedule is a valid cron expression"),
            exchange_dir: PathBuf::from("exchange"),
            exchange_group: None,
            max_report_bytes: DEFAULT_MAX_REPORT_BYTES,
            max_concurrent_uploads: 4,
            bank_profile: "dz-domestic".to_owned(),
            postal_profile: "dz-postal".to_owned(),
            bank_format: None,
            postal_format: None,
            max_per_file: 50_000,
            retry_business_days: 5,
            max_attempts: 3,
            settlement_business_days: 5,
            notice_days: 5,
            creditor_name: "CACOBATPH".to_owned(),
            creditor_account: "00400174401001050486".to_owned(),
            creditor_id: "CACOBATPH".to_owned(),
            creditor_postal_account: "00799999000099887702".to_owned(),
            run_lease_seconds: 300,
            cookie_secure: false,
            smtp_url: None,
            mail_dir: None,
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
            mail_reply_to: None,
            portal_url: None,
            attestation_validity_months: DEFAULT_ATTESTATION_MONTHS,
            mail_connections: 8,
            clock: None,
            webhooks_allow_loopback: false,
        }
    }
}

/// 64 MiB: a 100,000-transaction camt.054 is about 60 MB.
pub const DEFAULT_MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// The demo's sender; a deployment sets its own (`TAHSIL_MAIL_FROM`).
pub const DEFAULT_MAIL_FROM: &str = "CACOBATPH <avis@cacobatph.invalid>";

/// The file form: every field optional, unknown keys refused (a typo must not be ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    listen: Option<String>,
    log_format: Option<LogFormat>,
    log_filter: Option<String>,
    encryption_key: Option<Secret>,
    key_file: Option<PathBuf>,
    bank_table_file: Option<PathBuf>,
    admin_token: Option<Secret>,
    metrics_token: Option<Secret>,
    insecure_open_admin_api_on_loopback: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
    login_concurrency: Option<u32>,
    login_queue_ms: Option<u32>,
    database_max_connections: Option<u32>,
    xsd_dir: Option<PathBuf>,
    layouts_dir: Option<PathBuf>,
    due_date_schedule: Option<String>,
    exchange_dir: Option<PathBuf>,
    exchange_group: Option<String>,
    max_report_bytes: Option<u64>,
    max_concurrent_uploads: Option<u32>,
    bank_profile: Option<String>,
    postal_profile: Option<String>,
    bank_format: Option<String>,
    postal_format: Option<String>,
    max_per_file: Option<u32>,
    retry_business_days: Option<u32>,
    max_attempts: Option<u32>,
    settlement_business_days: Option<u32>,
    notice_days: Option<u32>,
    creditor_name: Option<String>,
    creditor_account: Option<String>,
    creditor_id: Option<String>,
    creditor_postal_account: Option<String>,
    run_lease_seconds: Option<u32>,
    cookie_secure: Option<bool>,
    smtp_url: Option<Secret>,
    mail_dir: Option<PathBuf>,
    mail_from: Option<String>,
    mail_reply_to: Option<String>,
    portal_url: Option<String>,
    attestation_validity_months: Option<u32>,
    mail_connections: Option<u32>,
    clock: Option<String>,
    webhooks_allow_loopback: Option<bool>,
}

/// The environment variables read, in the order they are documented in the README.
pub const ENVIRONMENT_VARIABLES: &[&str] = &[
    "TAHSIL_DATABASE_URL",
    "TAHSIL_LISTEN",
    "TAHSIL_LOG_FORMAT",
    "TAHSIL_LOG",
    "TAHSIL_ENCRYPTION_KEY",
    "TAHSIL_KEY_FILE",
    "TAHSIL_BANK_TABLE_FILE",
    "TAHSIL_ADMIN_TOKEN",
    "TAHSIL_METRICS_TOKEN",
    "TAHSIL_INSECURE_OPEN_ADMIN_API_ON_LOOPBACK",
    "TAHSIL_TRUSTED_PROXIES",
    "TAHSIL_LOGIN_CONCURRENCY",
    "TAHSIL_LOGIN_QUEUE_MS",
    "TAHSIL_DATABASE_MAX_CONNECTIONS",
    "TAHSIL_XSD_DIR",
    "TAHSIL_LAYOUTS_DIR",
    "TAHSIL_DUE_DATE_SCHEDULE",
    "TAHSIL_EXCHANGE_DIR",
    "TAHSIL_EXCHANGE_GROUP",
    "TAHSIL_MAX_REPORT_BYTES",
    "TAHSIL_MAX_CONCURRENT_UPLOADS",
    "TAHSIL_BANK_PROFILE",
    "TAHSIL_POSTAL_PROFILE",
    "TAHSIL_BANK_FORMAT",
    "TAHSIL_POSTAL_FORMAT",
    "TAHSIL_MAX_PER_FILE",
    "TAHSIL_RETRY_BUSINESS_DAYS",
    "TAHSIL_MAX_ATTEMPTS",
    "TAHSIL_SETTLEMENT_BUSINESS_DAYS",
    "TAHSIL_NOTICE_DAYS",
    "TAHSIL_CREDITOR_NAME",
    "TAHSIL_CREDITOR_ACCOUNT",
    "TAHSIL_CREDITOR_ID",
    "TAHSIL_CREDITOR_POSTAL_ACCOUNT",
    "TAHSIL_RUN_LEASE_SECONDS",
    "TAHSIL_COOKIE_SECURE",
    "TAHSIL_SMTP_URL",
    "TAHSIL_MAIL_DIR",
    "TAHSIL_MAIL_FROM",
    "TAHSIL_MAIL_REPLY_TO",
    "TAHSIL_PORTAL_URL",
    "TAHSIL_MAIL_CONNECTIONS",
    "TAHSIL_CLOCK",
    "TAHSIL_WEBHOOKS_ALLOW_LOOPBACK",
];

/// The 15th of every month.
pub const DEFAULT_DUE_DATE_SCHEDULE: &str = "0 0 0 15 * *";

impl Config {
    /// Loads the configuration. `explicit_file` (from `--config`) must exist; otherwise
    /// `tahsil.toml` in the working directory is read when present. `env` is the process
    /// environment, passed in so tests do not depend on it.
    pub fn load(
        explicit_file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Config> {
        let mut config = Config::default();
        let file = match explicit_file {
            Some(path) => Some(path.to_path_buf()),
            None => Some(PathBuf::from("tahsil.toml")).filter(|p| p.exists()),
        };
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!("cannot read the configuration file {}", path.display())
            })?;
            config.apply_file(&text).with_context(|| {
                format!("the configuration file {} is not valid", path.display())
            })?;
        }
        config.apply_env(env)?;
        Ok(config)
    }

    fn apply_file(&mut self, text: &str) -> anyhow::Result<()> {
        let file: FileConfig = toml::from_str(text)?;
        if let Some(v) = file.database_url {
            self.database_url = v;
        }
        if let Some(v) = file.listen {
            self.listen = parse_listen(&v).context("key `listen`")?;
        }
        if let Some(v) = file.log_format {
            self.log_format = v;
        }
        if let Some(v) = file.log_filter {
            self.log_filter = v;
        }
        if file.encryption_key.is_some() {
            self.encryption_key = file.encryption_key;
        }
        if file.key_file.is_some() {
            self.key_file = file.key_file;
        }
        if file.bank_table_file.is_some() {
            self.bank_table_file = file.bank_table_file;
        }
        if file.admin_token.is_some() {
            self.admin_token = file.admin_token;
        }
        if file.metrics_token.is_some() {
            self.metrics_token = file.metrics_token;
        }
        if let Some(list) = file.trusted_proxies {
            self.trusted_proxies = list
                .iter()
                .map(|text| IpRange::parse(text))
                .collect::<anyhow::Result<_>>()
                .context("key `trusted_proxies`")?;
        }
        if let Some(v) = file.database_max_connections {
            self.database_max_connections = v;
        }
        if file.xsd_dir.is_some() {
            self.xsd_dir = file.xsd_dir;
        }
        if file.layouts_dir.is_some() {
            self.layouts_dir = file.layouts_dir;
        }
        if let Some(v) = file.due_date_schedule {
            self.due_date_schedule =
                DueDateSchedule::parse(&v).context("key `due_date_schedule`")?;
        }
        macro_rules! take {
            ($($field:ident),*) => { $(if let Some(v) = file.$field { self.$field = v; })* };
        }
        if file.exchange_group.is_some() {
            self.exchange_group = file.exchange_group;
        }
        if file.bank_format.is_some() {
            self.bank_format = file.bank_format;
        }
        if file.postal_format.is_some() {
            self.postal_format = file.postal_format;
        }
        take!(
            exchange_dir,
            max_report_bytes,
            max_concurrent_uploads,
            bank_profile,
            postal_profile,
            max_per_file,
            retry_business_days,
            max_attempts,
            settlement_business_days,
            notice_days,
            creditor_name,
            creditor_account,
            creditor_id,
            creditor_postal_account,
            run_lease_seconds,
            attestation_validity_months,
            cookie_secure,
            mail_from,
            mail_connections,
            insecure_open_admin_api_on_loopback,
            login_concurrency,
            login_queue_ms,
            webhooks_allow_loopback
        );
        if file.smtp_url.is_some() {
            self.smtp_url = file.smtp_url;
        }
        if file.mail_dir.is_some() {
            self.mail_dir = file.mail_dir;
        }
        if file.mail_reply_to.is_some() {
            self.mail_reply_to = file.mail_reply_to;
        }
        if file.portal_url.is_some() {
            self.portal_url = file.portal_url;
        }
        if let Some(v) = file.clock {
            self.clock = Some(parse_instant(&v).context("key `clock`")?);
        }
        Ok(())
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("TAHSIL_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("TAHSIL_LISTEN") {
            self.listen = parse_listen(&v).context("environment variable TAHSIL_LISTEN")?;
        }
        if let Some(v) = get("TAHSIL_LOG_FORMAT") {
            self.log_format = v
                .parse()
                .map_err(anyhow::Error::msg)
                .context("environment variable TAHSIL_LOG_FORMAT")?;
        }
        if let Some(v) = get("TAHSIL_LOG") {
            self.log_filter = v;
        }
        if let Some(v) = get("TAHSIL_ENCRYPTION_KEY") {
            self.encryption_key = Some(Secret::new(v));
        }
        if let Some(v) = get("TAHSIL_KEY_FILE") {
            self.key_file = Some(PathBuf::from(v));
        }
        if let Some(v) = get("TAHSIL_BANK_TABLE_FILE") {
            self.bank_table_file = Some(PathBuf::from(v));
        }
        if let Some(v) = get("TAHSIL_ADMIN_TOKEN") {
            self.admin_token = Some(Secret::new(v));
        }
        if let Some(v) = get("TAHSIL_METRICS_TOKEN") {
            self.metrics_token = Some(Secret::new(v));
        }
        if let Some(v) = get("TAHSIL_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .map(IpRange::parse)
                .collect::<anyhow::Result<_>>()
                .context("environment variable TAHSIL_TRUSTED_PROXIES")?;
        }
        if let Some(v) = get("TAHSIL_DATABASE_MAX_CONNECTIONS") {
            self.database_max_connections = v.trim().parse().map_err(|_| {
                anyhow::anyhow!(
                    "environment variable TAHSIL_DATABASE_MAX_CONNECTIONS: {v:?} is not a whole number"
                )
            })?;
        }
        if let Some(v) = get("TAHSIL_XSD_DIR") {
            self.xsd_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = get("TAHSIL_LAYOUTS_DIR") {
            self.layouts_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = get("TAHSIL_DUE_DATE_SCHEDULE") {
            self.due_date_schedule = DueDateSchedule::parse(&v)
                .context("environment variable TAHSIL_DUE_DATE_SCHEDULE")?;
        }
        if let Some(v) = get("TAHSIL_EXCHANGE_DIR") {
            self.exchange_dir = PathBuf::from(v);
        }
        if let Some(v) = get("TAHSIL_EXCHANGE_GROUP") {
            self.exchange_group = Some(v);
        }
        if let Some(v) = get("TAHSIL_MAX_REPORT_BYTES") {
            self.max_report_bytes = v.trim().parse().map_err(|_| {
                anyhow::anyhow!(
                    "environment variable TAHSIL_MAX_REPORT_BYTES: {v:?} is not a whole number of bytes"
                )
            })?;
        }
        if let Some(v) = get("TAHSIL_SMTP_URL") {
            self.smtp_url = Some(Secret::new(v));
        }
        if let Some(v) = get("TAHSIL_MAIL_DIR") {
            self.mail_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = get("TAHSIL_MAIL_FROM") {
            self.mail_from = v;
        }
        if let Some(v) = get("TAHSIL_MAIL_REPLY_TO") {
            self.mail_reply_to = Some(v);
        }
        if let Some(v) = get("TAHSIL_PORTAL_URL") {
            self.portal_url = Some(v);
        }
        if let Some(v) = get("TAHSIL_CLOCK") {
            self.clock = Some(parse_instant(&v).context("environment variable TAHSIL_CLOCK")?);
        }
        for (name, slot) in [
            ("TAHSIL_BANK_FORMAT", &mut self.bank_format),
            ("TAHSIL_POSTAL_FORMAT", &mut self.postal_format),
        ] {
            if let Some(v) = get(name) {
                *slot = Some(v);
            }
        }
        for (name, slot) in [
            ("TAHSIL_BANK_PROFILE", &mut self.bank_profile),
            ("TAHSIL_POSTAL_PROFILE", &mut self.postal_profile),
            ("TAHSIL_CREDITOR_NAME", &mut self.creditor_name),
            ("TAHSIL_CREDITOR_ACCOUNT", &mut self.creditor_account),
            ("TAHSIL_CREDITOR_ID", &mut self.creditor_id),
            (
                "TAHSIL_CREDITOR_POSTAL_ACCOUNT",
                &mut self.creditor_postal_account,
            ),
        ] {
            if let Some(v) = get(name) {
                *slot = v;
            }
        }
        for (name, slot) in [
            ("TAHSIL_MAX_PER_FILE", &mut self.max_per_file),
            ("TAHSIL_RETRY_BUSINESS_DAYS", &mut self.retry_business_days),
            ("TAHSIL_MAX_ATTEMPTS", &mut self.max_attempts),
            (
                "TAHSIL_SETTLEMENT_BUSINESS_DAYS",
                &mut self.settlement_business_days,
            ),
            ("TAHSIL_NOTICE_DAYS", &mut self.notice_days),
            ("TAHSIL_RUN_LEASE_SECONDS", &mut self.run_lease_seconds),
            (
                "TAHSIL_ATTESTATION_VALIDITY_MONTHS",
                &mut self.attestation_validity_months,
            ),
            ("TAHSIL_MAIL_CONNECTIONS", &mut self.mail_connections),
            (
                "TAHSIL_MAX_CONCURRENT_UPLOADS",
                &mut self.max_concurrent_uploads,
            ),
            ("TAHSIL_LOGIN_CONCURRENCY", &mut self.login_concurrency),
            ("TAHSIL_LOGIN_QUEUE_MS", &mut self.login_queue_ms),
        ] {
            if let Some(v) = get(name) {
                *slot = v.trim().parse().map_err(|_| {
                    anyhow::anyhow!("environment variable {name}: {v:?} is not a whole number")
                })?;
            }
        }
        for (name, slot) in [
            ("TAHSIL_COOKIE_SECURE", &mut self.cookie_secure),
            (
                "TAHSIL_INSECURE_OPEN_ADMIN_API_ON_LOOPBACK",
                &mut self.insecure_open_admin_api_on_loopback,
            ),
            (
                "TAHSIL_WEBHOOKS_ALLOW_LOOPBACK",
                &mut self.webhooks_allow_loopback,
            ),
        ] {
            if let Some(v) = get(name) {
                *slot = match v.trim() {
                    "1" | "true" | "yes" => true,
                    "0" | "false" | "no" => false,
                    _ => bail!("environment variable {name}: {v:?} is not true or false"),
                };
            }
        }
        if !(1..=24).contains(&self.attestation_validity_months) {
            bail!(
                "attestation_validity_months must be between 1 and 24 (months a certificate of being up to date is valid)"
            );
        }
        if self.login_concurrency == 0 {
            bail!("login_concurrency must be at least 1 (password checks at once)");
        }
        if self.max_per_file == 0 {
            bail!("max_per_file must be at least 1");
        }
        if self.max_report_bytes == 0 {
            bail!(
                "max_report_bytes must be at least 1 (the default is {DEFAULT_MAX_REPORT_BYTES})"
            );
        }
        if self.max_concurrent_uploads == 0 {
            bail!("max_concurrent_uploads must be at least 1");
        }
        if self.max_attempts == 0 {
            bail!("max_attempts must be at least 1 (the first presentation)");
        }
        if self.mail_connections == 0 {
            bail!("mail_connections must be at least 1");
        }
        if self.database_max_connections == 0 {
            bail!("database_max_connections must be at least 1");
        }
        Ok(())
    }
}

/// An IP address or a CIDR range (`10.0.0.0/8`, `fd00::/8`), for `trusted_proxies`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(text: &str) -> anyhow::Result<IpRange> {
        let text = text.trim();
        let bad = || {
            anyhow::anyhow!(
                "{text:?} is not an IP address or range: write it like 10.0.0.1, 10.0.0.0/8 or fd00::/8"
            )
        };
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse().map_err(|_| bad())?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(bad)?,
            None => bits,
        };
        Ok(IpRange { network, prefix })
    }

    /// Whether `ip` is in this range (an IPv4 address mapped into IPv6 counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn parse_listen(value: &str) -> anyhow::Result<SocketAddr> {
    value.trim().parse().map_err(|_| {
        anyhow::anyhow!("{value:?} is not an address to listen on: write it like 127.0.0.1:8080")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn environment_overrides_the_file_which_overrides_defaults() {
        let mut config = Config::default();
        config
            .apply_file("database_url = \"sqlite://from-file.db\"\nlisten = \"127.0.0.1:9000\"\n")
            .unwrap();
        config
            .apply_env(env_of(&[
                ("TAHSIL_LISTEN", "0.0.0.0:7000"),
                ("TAHSIL_LOG_FORMAT", "json"),
            ]))
            .unwrap();
        assert_eq!(config.database_url, "sqlite://from-file.db");
        assert_eq!(config.listen.to_string(), "0.0.0.0:7000");
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn a_typo_in_the_file_is_refused() {
        let err = Config::default()
            .apply_file("databse_url = \"x\"")
            .unwrap_err();
        assert!(format!("{err:#}").contains("databse_url"), "{err:#}");
    }

    #[test]
    fn a_bad_environment_value_names_the_variable() {
        let err = Config::default()
            .apply_env(env_of(&[("TAHSIL_LISTEN", "everywhere")]))
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("TAHSIL_LISTEN") && text.contains("127.0.0.1:8080"),
            "{text}"
        );
    }

    #[test]
    fn a_bad_schedule_says_how_to_write_one() {
        let err = Config::default()
            .apply_env(env_of(&[("TAHSIL_DUE_DATE_SCHEDULE", "every 15th")]))
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("TAHSIL_DUE_DATE_SCHEDULE") && text.contains("0 0 0 15 * *"),
            "{text}"
        );
    }

    #[test]
    fn mail_settings_come_from_the_environment_and_the_smtp_password_stays_hidden() {
        let mut config = Config::default();
        config
            .apply_env(env_of(&[
                ("TAHSIL_SMTP_URL", "smtps://avis:hunter2@smtp.example.dz"),
                ("TAHSIL_MAIL_FROM", "CACOBATPH <avis@example.dz>"),
                ("TAHSIL_MAIL_REPLY_TO", "reclamations@example.dz"),
                ("TAHSIL_MAIL_DIR", "/var/mail/tahsil"),
                ("TAHSIL_MAIL_CONNECTIONS", "16"),
            ]))
            .unwrap();
        assert_eq!(config.mail_from, "CACOBATPH <avis@example.dz>");
        assert_eq!(
            config.mail_reply_to.as_deref(),
            Some("reclamations@example.dz")
        );
        assert_eq!(config.mail_dir, Some(PathBuf::from("/var/mail/tahsil")));
        assert_eq!(config.mail_connections, 16);
        assert!(!format!("{config:?}").contains("hunter2"));
        let err = Config::default()
            .apply_env(env_of(&[("TAHSIL_MAIL_CONNECTIONS", "0")]))
            .unwrap_err();
        assert!(format!("{err:#}").contains("mail_connections"), "{err:#}");
    }

    #[test]
    fn a_simulated_clock_comes_from_the_file_or_the_environment_with_its_offset() {
        let mut config = Config::default();
        assert_eq!(config.clock, None, "the real time by default");
        config
            .apply_file("clock = \"2026-12-10T08:00:00+01:00\"\n")
            .unwrap();
        assert_eq!(
            config.clock.map(|at| at.to_rfc3339()),
            Some("2026-12-10T08:00:00+01:00".to_owned())
        );
        config
            .apply_env(env_of(&[("TAHSIL_CLOCK", "2027-01-15T09:30:00Z")]))
            .unwrap();
        assert_eq!(
            config.clock.map(|at| at.to_rfc3339()),
            Some("2027-01-15T09:30:00+00:00".to_owned())
        );
        let err = Config::default()
            .apply_env(env_of(&[("TAHSIL_CLOCK", "2026-12-10 08:00")]))
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("TAHSIL_CLOCK") && text.contains("2026-12-10T08:00:00+01:00"),
            "{text}"
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        let mut config = Config::default();
        config
            .apply_env(env_of(&[(
                "TAHSIL_TRUSTED_PROXIES",
                "10.0.0.0/8, 192.168.1.7,fd00::/8",
            )]))
            .unwrap();
        let [range, single, v6] = config.trusted_proxies[..] else {
            panic!("three ranges: {:?}", config.trusted_proxies);
        };
        assert!(range.contains("10.200.3.4".parse().unwrap()));
        assert!(range.contains("::ffff:10.0.0.1".parse().unwrap()));
        assert!(!range.contains("11.0.0.1".parse().unwrap()));
        assert!(single.contains("192.168.1.7".parse().unwrap()));
        assert!(!single.contains("192.168.1.8".parse().unwrap()));
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        assert!(
            IpRange::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        let err = Config::default()
            .apply_env(env_of(&[("TAHSIL_TRUSTED_PROXIES", "10.0.0.0/33")]))
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("TAHSIL_TRUSTED_PROXIES") && text.contains("10.0.0.0/8"),
            "{text}"
        );
        let mut config = Config::default();
        config
            .apply_file("trusted_proxies = [\"127.0.0.1\"]\ninsecure_open_admin_api_on_loopback = true\nmetrics_token = \"m\"\n")
            .unwrap();
        assert_eq!(config.trusted_proxies.len(), 1);
        assert!(config.insecure_open_admin_api_on_loopback);
        assert!(config.metrics_token.is_some());
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let mut config = Config::default();
        config
            .apply_env(env_of(&[("TAHSIL_ENCRYPTION_KEY", "c2VjcmV0LXZhbHVl")]))
            .unwrap();
        assert!(!format!("{config:?}").contains("c2VjcmV0LXZhbHVl"));
    }
}
