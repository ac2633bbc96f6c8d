//! What a bank profile asks of an ISO 20022 payment block, beyond the schema: the payment
//! type codes (`PmtTpInf`: service level, local instrument, category purpose — SEPA's, the
//! bank's own, or none), the charge bearer, and how the creditor identifier is dressed
//! (`CdtrSchmeId`). The writers take these as data; `profile` loads them from TOML.

use serde::Deserialize;

use super::pain008::WriteError;
use super::xml::element;

/// One code of a `…Choice` element: an ISO external code (`Cd`) or the bank's own
/// (`Prtry`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TypeCode {
    /// `<Cd>`: an ISO external code list value (e.g. `SEPA`, `CORE`, `SUPP`).
    Code(String),
    /// `<Prtry>`: the bank's own code, up to 35 characters.
    Proprietary(String),
}

impl TypeCode {
    fn check(&self, what: &'static str, max_code: usize) -> Result<(), WriteError> {
        let (value, max) = match self {
            TypeCode::Code(c) => (c, max_code),
            TypeCode::Proprietary(p) => (p, 35),
        };
        if value.trim().is_empty() {
            return Err(WriteError::Empty { what });
        }
        if value.chars().count() > max {
            return Err(WriteError::TooLong {
                what,
                value: value.clone(),
                max,
            });
        }
        Ok(())
    }

    fn write(&self, out: &mut String, tag: &str) {
        out.push('<');
        out.push_str(tag);
        out.push('>');
        match self {
            TypeCode::Code(c) => element(out, "Cd", c),
            TypeCode::Proprietary(p) => element(out, "Prtry", p),
        }
        out.push_str("</");
        out.push_str(tag);
        out.push('>');
    }
}

/// `PmtTpInf` of a payment block: each part written only when the profile names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentType {
    pub service_level: Option<TypeCode>,
    pub local_instrument: Option<TypeCode>,
    pub category_purpose: Option<TypeCode>,
}

impl PaymentType {
    /// SEPA Core direct debit: `SvcLvl/Cd SEPA`, `LclInstrm/Cd CORE`.
    pub fn sepa_core_debit() -> PaymentType {
        PaymentType {
            service_level: Some(TypeCode::Code("SEPA".to_owned())),
            local_instrument: Some(TypeCode::Code("CORE".to_owned())),
            category_purpose: None,
        }
    }

    /// Checks every code against the schema's lengths (`Cd` of a service level and of a
    /// category purpose is 1–4 characters, of a local instrument 1–35; `Prtry` 1–35).
    pub fn check(&self) -> Result<(), WriteError> {
        if let Some(code) = &self.service_level {
            code.check("service level", 4)?;
        }
        if let Some(code) = &self.local_instrument {
            code.check("local instrument", 35)?;
        }
        if let Some(code) = &self.category_purpose {
            code.check("category purpose", 4)?;
        }
        Ok(())
    }

    /// Writes `<PmtTpInf>` in schema order, with `sequence_type` (`SeqTp`, debits only)
    /// between the local instrument and the category purpose. Nothing at all when there
    /// is nothing to say.
    pub(crate) fn write(&self, out: &mut String, sequence_type: Option<&str>) {
        if self.service_level.is_none()
            && self.local_instrument.is_none()
            && self.category_purpose.is_none()
            && sequence_type.is_none()
        {
            return;
        }
        out.push_str("<PmtTpInf>");
        if let Some(code) = &self.service_level {
            code.write(out, "SvcLvl");
        }
        if let Some(code) = &self.local_instrument {
            code.write(out, "LclInstrm");
        }
        if let Some(code) = sequence_type {
            element(out, "SeqTp", code);
        }
        if let Some(code) = &self.category_purpose {
            code.write(out, "CtgyPurp");
        }
        out.push_str("</PmtTpInf>");
    }
}

/// Under which party identification the creditor identifier is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditorIdParty {
    /// `Id/OrgId/Othr`: an organisation's number (a domestic issuer number).
    #[default]
    Organisation,
    /// `Id/PrvtId/Othr`: where the EPC rulebook puts the SEPA creditor identifier.
    Private,
}

/// How `CdtrSchmeId` is written: `<Id><{OrgId|PrvtId}><Othr><Id>…</Id>` then, when
/// given, `<SchmeNm><Prtry>{scheme}</Prtry></SchmeNm>` and `<Issr>{issuer}</Issr>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditorIdRule {
    #[serde(default)]
    pub party: CreditorIdParty,
    /// The scheme name (`SchmeNm/Prtry`): `SEPA` for a SEPA creditor identifier, the
    /// bank's own name of its scheme, or none.
    pub scheme: Option<String>,
    /// Who issued the identifier (`Issr`), or none.
    pub issuer: Option<String>,
}

impl CreditorIdRule {
    /// The SEPA creditor identifier: `PrvtId/Othr` with `SchmeNm/Prtry SEPA`.
    pub fn sepa() -> CreditorIdRule {
        CreditorIdRule {
            party: CreditorIdParty::Private,
            scheme: Some("SEPA".to_owned()),
            issuer: None,
        }
    }

    pub fn check(&self) -> Result<(), WriteError> {
        for (what, value) in [
            ("creditor id scheme", &self.scheme),
            ("creditor id issuer", &self.issuer),
        ] {
            if let Some(value) = value {
                TypeCode::Proprietary(value.clone()).check(what, 35)?;
            }
        }
        Ok(())
    }

    pub(crate) fn write(&self, out: &mut String, id: &str) {
        let party = match self.party {
            CreditorIdParty::Organisation => "OrgId",
            CreditorIdParty::Private => "PrvtId",
        };
        out.push_str("<CdtrSchmeId><Id><");
        out.push_str(party);
        out.push_str("><Othr>");
        element(out, "Id", id);
        if let Some(scheme) = &self.scheme {
            out.push_str("<SchmeNm>");
            element(out, "Prtry", scheme);
            out.push_str("</SchmeNm>");
        }
        if let Some(issuer) = &self.issuer {
            element(out, "Issr", issuer);
        }
        out.push_str("</Othr></");
        out.push_str(party);
        out.push_str("></Id></CdtrSchmeId>\n");
    }
}

/// Everything a profile decides in a pain.008 payment block.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DebitRules {
    pub payment_type: PaymentType,
    /// `ChrgBr` (`SLEV`, `SHAR`, …), or none.
    pub charge_bearer: Option<String>,
    pub creditor_id: CreditorIdRule,
}

impl DebitRules {
    /// SEPA Core, as tahsil wrote every pain.008 before bank profiles existed.
    pub fn sepa_core() -> DebitRules {
        DebitRules {
            payment_type: PaymentType::sepa_core_debit(),
            charge_bearer: Some("SLEV".to_owned()),
            creditor_id: CreditorIdRule::sepa(),
        }
    }

    pub fn check(&self) -> Result<(), WriteError> {
        self.payment_type.check()?;
        self.creditor_id.check()?;
        check_charge_bearer(self.charge_bearer.as_deref())
    }
}

/// Everything a profile decides in a pain.001 payment block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TransferRules {
    pub payment_type: PaymentType,
    pub charge_bearer: Option<String>,
}

impl TransferRules {
    /// SEPA Credit Transfer: `SvcLvl/Cd SEPA`, charges `SLEV`.
    pub fn sepa() -> TransferRules {
        TransferRules {
            payment_type: PaymentType {
                service_level: Some(TypeCode::Code("SEPA".to_owned())),
                local_instrument: None,
                category_purpose: None,
            },
            charge_bearer: Some("SLEV".to_owned()),
        }
    }

    pub fn check(&self) -> Result<(), WriteError> {
        self.payment_type.check()?;
        check_charge_bearer(self.charge_bearer.as_deref())
    }
}

/// The schema's `ChargeBearerType1Code`.
fn check_charge_bearer(code: Option<&str>) -> Result<(), WriteError> {
    match code {
        None | Some("DEBT" | "CRED" | "SHAR" | "SLEV") => Ok(()),
        Some(other) => Err(WriteError::Invalid {
            what: "charge bearer",
            value: other.to_owned(),
            kind: "ChrgBr code (DEBT, CRED, SHAR or SLEV)",
        }),
    }
}
