//! The collection cycle around the store: runs that write debit files, planning a date
//! then running it (`collect`), the exchange folders, report import and reconciliation,
//! the simulated bank, the scheduler and its jobs.

pub mod banksim;
pub mod collect;
pub mod exchange;
pub mod import;
pub mod jobs;
pub mod run;
pub mod scheduler;

use std::path::PathBuf;

use anyhow::{Context, bail};
use bank_formats::iso20022::{CharsetPolicy, Pain008Version};
use bank_formats::layout::{FileKind, Layout, shipped_layout};
use mandates::{AccountId, ChannelPolicy};

use crate::config::Config;

/// How an institution wants its debit files.
#[derive(Clone, Copy, Debug)]
pub enum DebitFormat {
    Iso(Pain008Version, CharsetPolicy),
    Layout(&'static Layout),
}

impl DebitFormat {
    pub fn name(&self) -> String {
        match self {
            DebitFormat::Iso(version, _) => version.name().to_owned(),
            DebitFormat::Layout(layout) => layout.name().to_owned(),
        }
    }
    pub fn extension(&self) -> &'static str {
        match self {
            DebitFormat::Iso(..) => "xml",
            DebitFormat::Layout(_) => "txt",
        }
    }
}

/// Where one channel's debits go (`name.channel()`), in which format.
#[derive(Clone, Debug)]
pub struct Institution {
    /// Which one: its code is its folder and file-name prefix.
    pub name: crate::store::Institution,
    pub format: DebitFormat,
}

/// The fund as creditor.
#[derive(Clone, Debug)]
pub struct Creditor {
    pub name: String,
    pub account: AccountId,
    pub id: String,
}

/// Everything the cycle needs from the configuration, checked once.
#[derive(Clone, Debug)]
pub struct CycleSettings {
    pub exchange_dir: PathBuf,
    pub institutions: Vec<Institution>,
    pub policy: ChannelPolicy,
    pub retry_business_days: u32,
    pub max_attempts: u32,
    pub creditor: Creditor,
    /// Institutions' own layouts, recognised on import before the shipped ones.
    pub layouts: &'static [Layout],
    /// How long a run holds its date's lock (a dead holder loses it after this).
    pub run_lease: chrono::Duration,
    /// Who may read the exchange folders and their files: the owner alone, or with the
    /// bank's transfer account's group (`exchange_group`).
    pub access: exchange::Access,
    /// The largest report imported (`max_report_bytes`); a larger one is quarantined.
    pub max_report_bytes: u64,
    /// Report uploads received at once by the bank API (`max_concurrent_uploads`), shared
    /// by every clone of these settings.
    pub upload_slots: std::sync::Arc<tokio::sync::Semaphore>,
}

impl CycleSettings {
    pub fn from_config(config: &Config) -> anyhow::Result<CycleSettings> {
        // Loaded once per process and kept for its lifetime (layouts are borrowed by writers).
        let layouts: &'static [Layout] =
            Box::leak(crate::app::institution_layouts(config)?.into_boxed_slice());
        let format = |key: &str, value: &str| -> anyhow::Result<DebitFormat> {
            match value {
                "pain.008.001.02" => Ok(DebitFormat::Iso(
                    Pain008Version::V02,
                    CharsetPolicy::LatinRestricted,
                )),
                "pain.008.001.08" => Ok(DebitFormat::Iso(
                    Pain008Version::V08,
                    CharsetPolicy::LatinRestricted,
                )),
                name => {
                    let layout = layouts
                        .iter()
                        .find(|l| l.name() == name)
                        .or_else(|| shipped_layout(name))
                        .with_context(|| {
                            format!(
                                "{key} = {name:?} is neither pain.008.001.02, pain.008.001.08 nor a known layout"
                            )
                        })?;
                    if layout.kind() != FileKind::Debit {
                        bail!("{key} = {name:?} is a return layout, not a debit layout");
                    }
                    Ok(DebitFormat::Layout(layout))
                }
            }
        };
        let account = AccountId::parse(&config.creditor_account)
            .map_err(|e| anyhow::anyhow!("creditor_account is not a valid RIB/RIP: {e}"))?;
        Ok(CycleSettings {
            exchange_dir: config.exchange_dir.clone(),
            institutions: vec![
                Institution {
                    name: crate::store::Institution::Bank,
                    format: format("bank_format", &config.bank_format)?,
                },
                Institution {
                    name: crate::store::Institution::Poste,
                    format: format("postal_format", &config.postal_format)?,
                },
            ],
            policy: ChannelPolicy {
                notice_days: config.notice_days,
                settlement_business_days: config.settlement_business_days,
                max_per_file: config.max_per_file,
                ..ChannelPolicy::default()
            },
            retry_business_days: config.retry_business_days,
            max_attempts: config.max_attempts,
            creditor: Creditor {
                name: config.creditor_name.clone(),
                account,
                id: config.creditor_id.clone(),
            },
            layouts,
            run_lease: chrono::Duration::seconds(i64::from(config.run_lease_seconds.max(1))),
            access: match &config.exchange_group {
                None => exchange::Access::PRIVATE,
                Some(group) => exchange::Access::shared_with(crate::private::group_id(group)?),
            },
            max_report_bytes: config.max_report_bytes,
            upload_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(
                config.max_concurrent_uploads.max(1) as usize,
            )),
        })
    }

    pub fn institution(&self, name: crate::store::Institution) -> Option<&Institution> {
        self.institutions.iter().find(|i| i.name == name)
    }

    pub fn folder(&self, institution: &str, which: exchange::Folder) -> PathBuf {
        self.exchange_dir.join(institution).join(which.as_str())
    }
}
