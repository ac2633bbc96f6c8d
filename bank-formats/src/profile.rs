//! Bank profiles as data: what one institution wants of the files tahsil sends it — the
//! debit format (a pain.008 version with its payment type codes, charge bearer and
//! creditor identifier, or a fixed-width layout), the credit-transfer (refund) message,
//! the character set, the largest file, the lead time and cut-off, and the reports it
//! sends back. Described in TOML (`bank-formats/profiles/`, documented in the crate
//! README); three ship: `dz-domestic` (the default for banks: no SEPA codes), `sepa`, and
//! `dz-postal` (Algérie Poste).

use std::sync::LazyLock;

use chrono::NaiveTime;
use serde::Deserialize;

use crate::iso20022::{
    CharsetPolicy, CreditTransferBatch, CreditorIdRule, DebitRules, Pain001Version, Pain008Version,
    PaymentType, TransferFormat, TransferRules, TypeCode, WriteError, credit_transfer_bytes,
};

/// Why a profile description was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("the profile is not valid TOML or has an unknown key: {0}")]
    Toml(String),
    #[error("profile {profile}: {message}")]
    Invalid { profile: String, message: String },
}

/// How the institution wants its debits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DebitProfile {
    /// ISO 20022 pain.008 in `version`, with the profile's codes.
    Iso {
        version: Pain008Version,
        rules: DebitRules,
    },
    /// A fixed-width debit layout, by name (shipped or the institution's own; the service
    /// resolves it).
    Layout(String),
}

/// One institution's profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankProfile {
    name: String,
    title: String,
    charset: CharsetPolicy,
    debit: DebitProfile,
    credit_transfer: Option<TransferFormat>,
    max_transactions_per_file: u32,
    lead_business_days: u32,
    cut_off: NaiveTime,
    reports: Vec<String>,
}

impl BankProfile {
    /// Loads and checks a profile description.
    pub fn from_toml(text: &str) -> Result<BankProfile, ProfileError> {
        let file: ProfileFile =
            toml::from_str(text).map_err(|e| ProfileError::Toml(e.message().to_owned()))?;
        file.into_profile()
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn title(&self) -> &str {
        &self.title
    }
    /// What characters names and remittance text may hold in this institution's files.
    pub fn charset(&self) -> CharsetPolicy {
        self.charset
    }
    pub fn debit(&self) -> &DebitProfile {
        &self.debit
    }
    /// The debit format's name: a pain.008 version or a layout's name.
    pub fn debit_format_name(&self) -> &str {
        match &self.debit {
            DebitProfile::Iso { version, .. } => version.name(),
            DebitProfile::Layout(name) => name,
        }
    }
    /// How refunds are sent to this institution, if it takes credit transfers from us.
    pub fn credit_transfer(&self) -> Option<&TransferFormat> {
        self.credit_transfer.as_ref()
    }
    /// At most this many transactions in one file; more are split.
    pub fn max_transactions_per_file(&self) -> u32 {
        self.max_transactions_per_file
    }
    /// Files must reach the institution this many business days before the collection date.
    pub fn lead_business_days(&self) -> u32 {
        self.lead_business_days
    }
    /// The latest time of day (Africa/Algiers) a file counts as received that day.
    pub fn cut_off(&self) -> NaiveTime {
        self.cut_off
    }
    /// The reports the institution sends back (`pain.002`, `camt.054`, a return layout…).
    pub fn reports(&self) -> &[String] {
        &self.reports
    }

    /// The same profile with another debit format (a deployment's `bank_format` override):
    /// an ISO version keeps the profile's codes (a layout profile gets none), a layout
    /// drops them.
    pub fn with_debit_format(mut self, format: &str) -> BankProfile {
        self.debit = match (Pain008Version::from_name(format), self.debit) {
            (Some(version), DebitProfile::Iso { rules, .. }) => {
                DebitProfile::Iso { version, rules }
            }
            (Some(version), DebitProfile::Layout(_)) => DebitProfile::Iso {
                version,
                rules: DebitRules {
                    payment_type: PaymentType::default(),
                    charge_bearer: None,
                    creditor_id: CreditorIdRule::default(),
                },
            },
            (None, _) => DebitProfile::Layout(format.to_owned()),
        };
        self
    }
}

/// The refund file for `batch` as `profile`'s institution wants it: pain.001.001.03 or
/// .09, its charset and payment type codes. Refused when the profile names no
/// `[credit_transfer]`.
pub fn write_credit_transfer(
    profile: &BankProfile,
    batch: &CreditTransferBatch,
) -> Result<Vec<u8>, WriteError> {
    let format = profile
        .credit_transfer()
        .ok_or_else(|| WriteError::NotInProfile {
            profile: profile.name().to_owned(),
            what: "credit_transfer format",
        })?;
    credit_transfer_bytes(format, batch)
}

const SHIPPED_SOURCES: [(&str, &str); 3] = [
    ("dz-domestic", include_str!("../profiles/dz-domestic.toml")),
    ("sepa", include_str!("../profiles/sepa.toml")),
    ("dz-postal", include_str!("../profiles/dz-postal.toml")),
];

static SHIPPED: LazyLock<Vec<BankProfile>> = LazyLock::new(|| {
    SHIPPED_SOURCES
        .iter()
        .map(|(name, text)| match BankProfile::from_toml(text) {
            Ok(profile) => profile,
            // The shipped profiles are checked by the crate's tests.
            Err(e) => panic!("shipped profile {name} is invalid: {e}"),
        })
        .collect()
});

/// The profiles tahsil ships: `dz-domestic`, `sepa`, `dz-postal`.
pub fn shipped_profiles() -> &'static [BankProfile] {
    &SHIPPED
}

/// A shipped profile by name.
pub fn shipped_profile(name: &str) -> Option<&'static BankProfile> {
    SHIPPED.iter().find(|p| p.name == name)
}

/// The file form: every key named, unknown keys refused (a typo must not be ignored).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    name: String,
    title: String,
    charset: CharsetName,
    max_transactions_per_file: u32,
    lead_business_days: u32,
    cut_off: String,
    reports: Vec<String>,
    debit: DebitSection,
    credit_transfer: Option<TransferSection>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum CharsetName {
    Utf8,
    LatinRestricted,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DebitSection {
    format: String,
    service_level: Option<TypeCode>,
    local_instrument: Option<TypeCode>,
    category_purpose: Option<TypeCode>,
    charge_bearer: Option<String>,
    creditor_id: Option<CreditorIdRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferSection {
    format: String,
    service_level: Option<TypeCode>,
    local_instrument: Option<TypeCode>,
    category_purpose: Option<TypeCode>,
    charge_bearer: Option<String>,
}

impl ProfileFile {
    fn into_profile(self) -> Result<BankProfile, ProfileError> {
        let name = self.name.clone();
        let invalid = |message: String| ProfileError::Invalid {
            profile: name.clone(),
            message,
        };
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid(
                "name must be lower-case letters, digits and dashes".to_owned(),
            ));
        }
        if self.max_transactions_per_file == 0 {
            return Err(invalid(
                "max_transactions_per_file must be at least 1".to_owned(),
            ));
        }
        let cut_off = NaiveTime::parse_from_str(&self.cut_off, "%H:%M").map_err(|_| {
            invalid(format!(
                "cut_off {:?} is not a time of day as HH:MM (Africa/Algiers)",
                self.cut_off
            ))
        })?;
        if self.reports.iter().any(|r| r.trim().is_empty()) {
            return Err(invalid("reports holds an empty name".to_owned()));
        }
        let charset = match self.charset {
            CharsetName::Utf8 => CharsetPolicy::Utf8,
            CharsetName::LatinRestricted => CharsetPolicy::LatinRestricted,
        };
        let d = self.debit;
        let debit = match Pain008Version::from_name(&d.format) {
            Some(version) => {
                let rules = DebitRules {
                    payment_type: PaymentType {
                        service_level: d.service_level,
                        local_instrument: d.local_instrument,
                        category_purpose: d.category_purpose,
                    },
                    charge_bearer: d.charge_bearer,
                    creditor_id: d.creditor_id.unwrap_or_default(),
                };
                rules
                    .check()
                    .map_err(|e| invalid(format!("[debit]: {e}")))?;
                DebitProfile::Iso { version, rules }
            }
            None if d.format.starts_with("pain.") => {
                return Err(invalid(format!(
                    "[debit] format {:?} is not pain.008.001.02 or pain.008.001.08",
                    d.format
                )));
            }
            None => {
                if d.service_level.is_some()
                    || d.local_instrument.is_some()
                    || d.category_purpose.is_some()
                    || d.charge_bearer.is_some()
                    || d.creditor_id.is_some()
                {
                    return Err(invalid(format!(
                        "[debit] format {:?} is a fixed-width layout: payment type codes, charge bearer and creditor_id apply to pain.008 only",
                        d.format
                    )));
                }
                if d.format.trim().is_empty() {
                    return Err(invalid("[debit] format is empty".to_owned()));
                }
                DebitProfile::Layout(d.format)
            }
        };
        let credit_transfer = match self.credit_transfer {
            None => None,
            Some(t) => {
                let version = Pain001Version::from_name(&t.format).ok_or_else(|| {
                    invalid(format!(
                        "[credit_transfer] format {:?} is not pain.001.001.03 or pain.001.001.09",
                        t.format
                    ))
                })?;
                let rules = TransferRules {
                    payment_type: PaymentType {
                        service_level: t.service_level,
                        local_instrument: t.local_instrument,
                        category_purpose: t.category_purpose,
                    },
                    charge_bearer: t.charge_bearer,
                };
                rules
                    .check()
                    .map_err(|e| invalid(format!("[credit_transfer]: {e}")))?;
                Some(TransferFormat {
                    version,
                    charset,
                    rules,
                })
            }
        };
        Ok(BankProfile {
            name: self.name,
            title: self.title,
            charset,
            debit,
            credit_transfer,
            max_transactions_per_file: self.max_transactions_per_file,
            lead_business_days: self.lead_business_days,
            cut_off,
            reports: self.reports,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_profile_loads() {
        let names: Vec<&str> = shipped_profiles().iter().map(|p| p.name()).collect();
        assert_eq!(names, ["dz-domestic", "sepa", "dz-postal"]);
    }

    #[test]
    fn mistakes_in_a_profile_are_named() {
        let base = |debit: &str| {
            format!(
                "name = \"x\"\ntitle = \"X\"\ncharset = \"utf8\"\nmax_transactions_per_file = 10\n\
                 lead_business_days = 1\ncut_off = \"14:00\"\nreports = [\"pain.002\"]\n[debit]\n{debit}\n"
            )
        };
        let cases = [
            (
                base("format = \"pain.008.001.05\""),
                "is not pain.008.001.02",
            ),
            (
                base("format = \"pain.008.001.02\"\nservice_level = { code = \"TOOLONG\" }"),
                "service level",
            ),
            (
                base("format = \"interbank-debit\"\nlocal_instrument = { code = \"CORE\" }"),
                "fixed-width layout",
            ),
            (
                base("format = \"pain.008.001.02\"\ncharge_bearer = \"XXXX\""),
                "charge bearer",
            ),
            (base("format = \"pain.008.001.02\"\ncolour = 1"), "unknown"),
            (
                base("format = \"pain.008.001.02\"").replace("14:00", "2pm"),
                "cut_off",
            ),
        ];
        for (text, expected) in cases {
            let error = BankProfile::from_toml(&text).unwrap_err().to_string();
            assert!(error.contains(expected), "{error} should say {expected}");
        }
    }
}
