//! The collection cycle around the store: runs that write debit files, planning a date
//! then running it (`collect`), the exchange folders, report import and reconciliation,
//! refund files staged for the outbox (`refund`), the simulated bank, the scheduler and its
//! jobs.

pub mod banksim;
pub mod collect;
pub mod exchange;
pub mod import;
pub mod jobs;
pub mod refund;
pub mod run;
pub mod scheduler;

use std::path::PathBuf;

use anyhow::{Context, bail};
use bank_formats::iso20022::{CharsetPolicy, DebitRules, Pain008Version};
use bank_formats::layout::{
    BatchedLayout, FileKind, Layout, example_batched_layout, shipped_layout,
};
use bank_formats::profile::{BankProfile, DebitProfile, shipped_profile};
use mandates::{AccountId, AccountKind, ChannelPolicy};

use crate::config::Config;

/// How an institution wants its debit files (from its bank profile).
#[derive(Clone, Debug)]
pub enum DebitFormat {
    Iso(Pain008Version, CharsetPolicy, DebitRules),
    Layout(&'static Layout),
    /// A batched layout: a batch per debtor bank.
    Batched(&'static BatchedLayout),
}

impl DebitFormat {
    pub fn name(&self) -> String {
        match self {
            DebitFormat::Iso(version, ..) => version.name().to_owned(),
            DebitFormat::Layout(layout) => layout.name().to_owned(),
            DebitFormat::Batched(layout) => layout.name().to_owned(),
        }
    }
    pub fn extension(&self) -> &'static str {
        match self {
            DebitFormat::Iso(..) => "xml",
            DebitFormat::Layout(_) | DebitFormat::Batched(_) => "txt",
        }
    }
}

/// Where one channel's debits go (`name.channel()`), in which format.
#[derive(Clone, Debug)]
pub struct Institution {
    /// Which one: its code is its folder and file-name prefix.
    pub name: crate::store::Institution,
    /// Its bank profile (`bank_profile` / `postal_profile`), as configured.
    pub profile: BankProfile,
    pub format: DebitFormat,
    /// The fund's account its debit files credit: the bank RIB (`creditor_account`) or
    /// the postal RIP (`creditor_postal_account`).
    pub creditor_account: AccountId,
    /// At most this many debits per file: `max_per_file`, within the profile's limit.
    pub max_per_file: u32,
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
        let batched: &'static [BatchedLayout] =
            Box::leak(crate::app::institution_batched_layouts(config)?.into_boxed_slice());
        let format = |key: &str, profile: &BankProfile| -> anyhow::Result<DebitFormat> {
            match profile.debit() {
                DebitProfile::Iso { version, rules } => {
                    Ok(DebitFormat::Iso(*version, profile.charset(), rules.clone()))
                }
                DebitProfile::Layout(name) => {
                    // A batched layout: an institution's own, or the example.
                    let batched_layout = batched
                        .iter()
                        .find(|l| l.name() == name.as_str())
                        .or_else(|| {
                            Some(example_batched_layout()).filter(|l| l.name() == name.as_str())
                        });
                    if let Some(layout) = batched_layout {
                        if layout.kind() != FileKind::Debit {
                            bail!("{key}: {name:?} is a return layout, not a debit layout");
                        }
                        return Ok(DebitFormat::Batched(layout));
                    }
                    let layout = layouts
                        .iter()
                        .find(|l| l.name() == name.as_str())
                        .or_else(|| shipped_layout(name))
                        .with_context(|| {
                            format!(
                                "{key}: {name:?} is neither pain.008.001.02, pain.008.001.08 nor a known layout"
                            )
                        })?;
                    if layout.kind() != FileKind::Debit {
                        bail!("{key}: {name:?} is a return layout, not a debit layout");
                    }
                    Ok(DebitFormat::Layout(layout))
                }
            }
        };
        let bank_profile = profile_of("bank_profile", &config.bank_profile, &config.bank_format)?;
        let postal_profile = profile_of(
            "postal_profile",
            &config.postal_profile,
            &config.postal_format,
        )?;
        let account = AccountId::parse(&config.creditor_account)
            .map_err(|e| anyhow::anyhow!("creditor_account is not a valid RIB/RIP: {e}"))?;
        let postal_account = AccountId::parse(&config.creditor_postal_account)
            .map_err(|e| anyhow::anyhow!("creditor_postal_account is not a valid RIP: {e}"))?;
        if postal_account.kind() != AccountKind::Postal {
            bail!(
                "creditor_postal_account must be the fund's postal account (a RIP, 007 99999 …), not a bank RIB"
            );
        }
        let institution =
            |name, key: &str, profile: BankProfile, creditor_account| -> anyhow::Result<_> {
                Ok(Institution {
                    name,
                    format: format(key, &profile)?,
                    max_per_file: config.max_per_file.min(profile.max_transactions_per_file()),
                    profile,
                    creditor_account,
                })
            };
        let institutions = vec![
            institution(
                crate::store::Institution::Bank,
                "bank_profile",
                bank_profile,
                account.clone(),
            )?,
            institution(
                crate::store::Institution::Poste,
                "postal_profile",
                postal_profile,
                postal_account,
            )?,
        ];
        // One run per date writes every channel's files: it starts early enough for the
        // institution that needs the longest lead time.
        let lead_business_days = institutions
            .iter()
            .map(|i| i.profile.lead_business_days())
            .max()
            .unwrap_or(ChannelPolicy::default().lead_business_days);
        Ok(CycleSettings {
            exchange_dir: config.exchange_dir.clone(),
            institutions,
            policy: ChannelPolicy {
                lead_business_days,
                notice_days: config.notice_days,
                settlement_business_days: config.settlement_business_days,
                max_per_file: config.max_per_file,
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

/// The profile `value` names (a shipped profile, or a `….toml` file), with the debit
/// format overridden when the configuration says one (`bank_format`, `postal_format`).
fn profile_of(key: &str, value: &str, format: &Option<String>) -> anyhow::Result<BankProfile> {
    let profile = if value.ends_with(".toml") {
        let text = std::fs::read_to_string(value)
            .with_context(|| format!("{key}: cannot read the profile {value}"))?;
        BankProfile::from_toml(&text)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("{key}: the profile {value} is not valid"))?
    } else {
        shipped_profile(value).cloned().with_context(|| {
            format!(
                "{key} = {value:?} is neither a shipped profile (dz-domestic, sepa, dz-postal) nor a profile file (….toml)"
            )
        })?
    };
    Ok(match format {
        Some(format) => profile.with_debit_format(format),
        None => profile,
    })
}
