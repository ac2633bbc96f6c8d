//! Wiring: from a [`Config`] to an open [`Store`] with its encryption key, bank table and
//! clock.

use std::path::PathBuf;

use anyhow::{Context, bail};
use bank_formats::layout::{AnyLayout, BatchedLayout, Layout};
use mandates::BankTable;

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::AccountCipher;
use crate::store::{Backend, Store, sqlite_path};

/// The encryption key: configured (`TAHSIL_ENCRYPTION_KEY`), or a key file — given, or
/// generated beside the SQLite file for the embedded default. PostgreSQL (production)
/// never gets a generated key: a lost key file would make every account unreadable.
pub fn account_cipher(config: &Config) -> anyhow::Result<AccountCipher> {
    if let Some(key) = &config.encryption_key {
        return AccountCipher::from_base64(key.expose())
            .context("TAHSIL_ENCRYPTION_KEY (or `encryption_key` in the configuration file)");
    }
    if let Some(path) = &config.key_file {
        return AccountCipher::from_key_file(path);
    }
    match Backend::of_url(&config.database_url)? {
        Backend::Sqlite => {
            let db = sqlite_path(&config.database_url)
                .context("cannot find the SQLite file in the database URL")?;
            let mut key_path: PathBuf = db.clone();
            key_path.as_mut_os_string().push(".key");
            AccountCipher::from_key_file(&key_path)
        }
        Backend::Postgres => bail!(
            "no encryption key for account numbers: set TAHSIL_ENCRYPTION_KEY to base64 of 32 random bytes \
             (e.g. `openssl rand -base64 32`) and keep it safe; PostgreSQL deployments never use a generated key file"
        ),
    }
}

pub fn bank_table(config: &Config) -> anyhow::Result<BankTable> {
    match &config.bank_table_file {
        None => Ok(BankTable::algeria_default()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the bank table {}", path.display()))?;
            BankTable::parse(&text)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("the bank table {} is not valid", path.display()))
        }
    }
}

/// The institutions' own fixed-width layouts: every `*.toml` in `layouts_dir`, in name
/// order, single-batch ones (see [`institution_batched_layouts`] for the batched ones). A
/// description that does not load stops startup, naming its file.
pub fn institution_layouts(config: &Config) -> anyhow::Result<Vec<Layout>> {
    Ok(institution_layout_files(config)?
        .into_iter()
        .filter_map(|layout| match layout {
            AnyLayout::Single(layout) => Some(*layout),
            AnyLayout::Batched(_) => None,
        })
        .collect())
}

/// The institutions' own batched layouts (a `[batch_header]` in their description), from
/// the same folder as [`institution_layouts`].
pub fn institution_batched_layouts(config: &Config) -> anyhow::Result<Vec<BatchedLayout>> {
    Ok(institution_layout_files(config)?
        .into_iter()
        .filter_map(|layout| match layout {
            AnyLayout::Batched(layout) => Some(layout),
            AnyLayout::Single(_) => None,
        })
        .collect())
}

/// Every description in `layouts_dir`, in name order, of either structure.
fn institution_layout_files(config: &Config) -> anyhow::Result<Vec<AnyLayout>> {
    let Some(dir) = &config.layouts_dir else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the layouts folder {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the layout {}", path.display()))?;
            AnyLayout::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("{e}"))
                .with_context(|| format!("the layout {} is not valid", path.display()))
        })
        .collect()
}

/// The configured clock: the real time, or (`clock`, `TAHSIL_CLOCK`, `serve --clock`) one
/// that starts at the configured instant and runs on from there.
pub fn clock(config: &Config) -> Clock {
    match config.clock {
        None => Clock::system(),
        Some(at) => Clock::starting_at(at.with_timezone(&chrono::Utc)),
    }
}

/// Opens the store of an existing database (without migrating), on the configured clock.
/// A SQLite file that is not there is refused (a mistyped `--database-url` must not become
/// an empty database answering "nothing to do"): only `migrate`, `demo`, `serve` and `seed`
/// create one ([`create_or_open_store`]).
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    open_store_with_clock(config, clock(config)).await
}

/// [`open_store`] on `clock` (a command's own, a test's).
pub async fn open_store_with_clock(config: &Config, clock: Clock) -> anyhow::Result<Store> {
    require_existing_database(config)?;
    create_or_open_store_with_clock(config, clock).await
}

/// Opens the store, creating the SQLite file when missing: for the commands that set a
/// database up (`migrate`, `demo`, `serve`, `seed`).
pub async fn create_or_open_store(config: &Config) -> anyhow::Result<Store> {
    create_or_open_store_with_clock(config, clock(config)).await
}

/// The SQLite file must exist; PostgreSQL refuses a database that does not by itself.
fn require_existing_database(config: &Config) -> anyhow::Result<()> {
    if Backend::of_url(&config.database_url)? != Backend::Sqlite {
        return Ok(());
    }
    let Some(path) = sqlite_path(&config.database_url) else {
        return Ok(());
    };
    if path.as_os_str() != ":memory:" && !path.exists() {
        bail!(
            "there is no database at {}: check --database-url (or TAHSIL_DATABASE_URL, `database_url` in tahsil.toml); \
             to create one, run `tahsil migrate` (or `tahsil demo` for a demo fund)",
            path.display()
        );
    }
    Ok(())
}

/// Opens (creating a missing SQLite file) on `clock`. A simulated clock is logged: nobody
/// should take its dates for the real ones.
pub async fn create_or_open_store_with_clock(
    config: &Config,
    clock: Clock,
) -> anyhow::Result<Store> {
    let cipher = account_cipher(config)?;
    let banks = bank_table(config)?;
    if clock.is_simulated() {
        tracing::warn!(now = %clock.now(), today = %clock.today(), "the clock is simulated: dates and times are not the real ones");
    }
    Ok(Store::connect(
        &config.database_url,
        config.database_max_connections,
        cipher,
        banks,
    )
    .await?
    .with_clock(clock)
    .with_notice_days(config.notice_days)
    .with_webhook_targets(if config.webhooks_allow_loopback {
        crate::store::WebhookTargets::AllowLoopback
    } else {
        crate::store::WebhookTargets::PublicOnly
    }))
}
