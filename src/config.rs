//! Typed configuration: defaults in code → `tahsil.toml` (optional) → `TAHSIL_*`
//! environment variables → command-line flags. Every value is parsed once, here, and a bad
//! value stops startup with a message naming where it came from and what to write instead.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use mandates::DueDateSchedule;
use serde::Deserialize;

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
    /// Bearer token for the JSON API until user accounts land. Required when `serve`
    /// listens on anything but loopback.
    pub admin_token: Option<Secret>,
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
            database_max_connections: 8,
            xsd_dir: None,
            layouts_dir: None,
            due_date_schedule: DueDateSchedule::parse(DEFAULT_DUE_DATE_SCHEDULE)
                .expect("the default schedule is a valid cron expression"),
        }
    }
}

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
    database_max_connections: Option<u32>,
    xsd_dir: Option<PathBuf>,
    layouts_dir: Option<PathBuf>,
    due_date_schedule: Option<String>,
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
    "TAHSIL_DATABASE_MAX_CONNECTIONS",
    "TAHSIL_XSD_DIR",
    "TAHSIL_LAYOUTS_DIR",
    "TAHSIL_DUE_DATE_SCHEDULE",
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
        if self.database_max_connections == 0 {
            bail!("database_max_connections must be at least 1");
        }
        Ok(())
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
    fn secrets_do_not_show_in_debug_output() {
        let mut config = Config::default();
        config
            .apply_env(env_of(&[("TAHSIL_ENCRYPTION_KEY", "c2VjcmV0LXZhbHVl")]))
            .unwrap();
        assert!(!format!("{config:?}").contains("c2VjcmV0LXZhbHVl"));
    }
}
