//! Debit mandates: the unique mandate reference (UMR) and the lifecycle
//! `pending → active → suspended / revoked / expired`, `superseded` on account change.
//! Transitions are named business events returning `Result`; terminal states refuse all.

use std::fmt;

use chrono::NaiveDateTime;

use crate::Amount;

/// The unique mandate reference: 1 to 35 characters of the ISO 20022 restricted set.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MandateReference(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("a mandate reference has 1 to 35 characters; found {0}")]
    Length(usize),
    #[error(
        "character {0:?} is not allowed in a mandate reference (letters, digits and / - ? : ( ) . , ' + only)"
    )]
    Character(char),
    #[error("a mandate reference must not start or end with a space")]
    Space,
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c)
}

impl MandateReference {
    pub fn parse(text: &str) -> Result<MandateReference, ReferenceError> {
        let count = text.chars().count();
        if count == 0 || count > 35 {
            return Err(ReferenceError::Length(count));
        }
        if let Some(c) = text.chars().find(|c| !allowed(*c)) {
            return Err(ReferenceError::Character(c));
        }
        if text.starts_with(' ') || text.ends_with(' ') {
            return Err(ReferenceError::Space);
        }
        Ok(MandateReference(text.to_owned()))
    }

    /// `TSL-<affiliation>-<sequence>`: deterministic, unique per employer and sequence,
    /// bounded to 35 characters (long affiliation numbers are cut from the left).
    pub fn generate(affiliation: &str, sequence: u64) -> MandateReference {
        let clean: String = affiliation
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let tail = format!("-{sequence:06}");
        let room = 35 - 4 - tail.len();
        let start = clean.len().saturating_sub(room);
        MandateReference(format!("TSL-{}{tail}", &clean[start..]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MandateReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MandateReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MandateReference({})", self.0)
    }
}

crate::stored_codes! {
    /// Where a mandate is in its life.
    pub enum MandateStatus("mandate status") {
        Pending = "pending",
        Active = "active",
        Suspended = "suspended",
        Revoked = "revoked",
        Expired = "expired",
        Superseded = "superseded",
    }
}

impl MandateStatus {
    /// Revoked, expired and superseded mandates never change again.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            MandateStatus::Revoked | MandateStatus::Expired | MandateStatus::Superseded
        )
    }
}

/// What proves the employer signed: who, when, from where, and which consent text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureEvidence {
    pub signer: String,
    pub signed_at: NaiveDateTime,
    pub ip: String,
    pub user_agent: String,
    /// SHA-256 (hex) of the consent text the signer was shown.
    pub consent_text_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MandateError {
    #[error("a {status} mandate cannot be {event}")]
    Transition {
        status: MandateStatus,
        event: &'static str,
    },
    #[error("the signature evidence is incomplete: {0}")]
    Evidence(&'static str),
    #[error("the mandate is {0}, not active: it cannot be debited")]
    NotActive(MandateStatus),
    #[error("{amount} DZD is above the mandate's ceiling of {ceiling} DZD")]
    AboveCeiling { amount: Amount, ceiling: Amount },
}

/// A mandate's state, as the rules see it (the account itself lives with the store).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mandate {
    reference: MandateReference,
    status: MandateStatus,
    ceiling: Option<Amount>,
    signed_at: Option<NaiveDateTime>,
    ended_at: Option<NaiveDateTime>,
    status_reason: Option<String>,
}

impl Mandate {
    /// A new, unsigned mandate.
    pub fn new(reference: MandateReference, ceiling: Option<Amount>) -> Mandate {
        Mandate {
            reference,
            status: MandateStatus::Pending,
            ceiling,
            signed_at: None,
            ended_at: None,
            status_reason: None,
        }
    }

    /// Rebuilds a mandate from stored state.
    pub fn restore(
        reference: MandateReference,
        status: MandateStatus,
        ceiling: Option<Amount>,
        signed_at: Option<NaiveDateTime>,
    ) -> Mandate {
        Mandate {
            reference,
            status,
            ceiling,
            signed_at,
            ended_at: None,
            status_reason: None,
        }
    }

    pub fn reference(&self) -> &MandateReference {
        &self.reference
    }
    pub fn status(&self) -> MandateStatus {
        self.status
    }
    pub fn ceiling(&self) -> Option<Amount> {
        self.ceiling
    }
    pub fn signed_at(&self) -> Option<NaiveDateTime> {
        self.signed_at
    }
    pub fn status_reason(&self) -> Option<&str> {
        self.status_reason.as_deref()
    }

    fn refuse(&self, event: &'static str) -> MandateError {
        MandateError::Transition {
            status: self.status,
            event,
        }
    }

    /// pending → active, with the signature evidence.
    pub fn sign(&mut self, evidence: SignatureEvidence) -> Result<(), MandateError> {
        if self.status != MandateStatus::Pending {
            return Err(self.refuse("signed"));
        }
        if evidence.signer.trim().is_empty() {
            return Err(MandateError::Evidence("the signer's name is missing"));
        }
        if evidence.consent_text_sha256.len() != 64 {
            return Err(MandateError::Evidence(
                "the consent text hash must be a SHA-256 in 64 hexadecimal digits",
            ));
        }
        self.status = MandateStatus::Active;
        self.signed_at = Some(evidence.signed_at);
        Ok(())
    }

    /// active → suspended, after a hard return (e.g. account closed): needs a new account.
    pub fn suspend(&mut self, reason: &str) -> Result<(), MandateError> {
        if self.status != MandateStatus::Active {
            return Err(self.refuse("suspended"));
        }
        self.status = MandateStatus::Suspended;
        self.status_reason = Some(reason.to_owned());
        Ok(())
    }

    /// pending / active / suspended → revoked, at the employer's request.
    pub fn revoke(&mut self, at: NaiveDateTime) -> Result<(), MandateError> {
        if self.status.is_terminal() {
            return Err(self.refuse("revoked"));
        }
        self.status = MandateStatus::Revoked;
        self.ended_at = Some(at);
        Ok(())
    }

    /// active → expired, after the dormancy period without a collection.
    pub fn expire(&mut self, at: NaiveDateTime) -> Result<(), MandateError> {
        if self.status != MandateStatus::Active {
            return Err(self.refuse("expired"));
        }
        self.status = MandateStatus::Expired;
        self.ended_at = Some(at);
        Ok(())
    }

    /// pending / active / suspended → superseded, when a new account replaces this one.
    pub fn supersede(&mut self) -> Result<(), MandateError> {
        if self.status.is_terminal() {
            return Err(self.refuse("superseded"));
        }
        self.status = MandateStatus::Superseded;
        Ok(())
    }

    /// Whether `amount` may be debited under this mandate now.
    pub fn can_collect(&self, amount: Amount) -> Result<(), MandateError> {
        if self.status != MandateStatus::Active {
            return Err(MandateError::NotActive(self.status));
        }
        match self.ceiling {
            Some(ceiling) if amount > ceiling => {
                Err(MandateError::AboveCeiling { amount, ceiling })
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 24)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    fn evidence() -> SignatureEvidence {
        SignatureEvidence {
            signer: "Karima Benali".to_owned(),
            signed_at: at(),
            ip: "192.0.2.1".to_owned(),
            user_agent: "test".to_owned(),
            consent_text_sha256: "a".repeat(64),
        }
    }

    fn in_state(status: MandateStatus) -> Mandate {
        Mandate::restore(
            MandateReference::generate("16001234", 1),
            status,
            None,
            None,
        )
    }

    /// Every state × every event: allowed transitions land where the lifecycle says,
    /// all others are refused and leave the mandate unchanged.
    #[test]
    fn the_transition_table() {
        use MandateStatus::*;
        type Event = fn(&mut Mandate) -> Result<(), MandateError>;
        type Allowed = &'static [(MandateStatus, MandateStatus)];
        let events: [(&str, Event, Allowed); 5] = [
            ("sign", |m| m.sign(evidence()), &[(Pending, Active)]),
            (
                "suspend",
                |m| m.suspend("account closed"),
                &[(Active, Suspended)],
            ),
            (
                "revoke",
                |m| m.revoke(at()),
                &[(Pending, Revoked), (Active, Revoked), (Suspended, Revoked)],
            ),
            ("expire", |m| m.expire(at()), &[(Active, Expired)]),
            (
                "supersede",
                |m| m.supersede(),
                &[
                    (Pending, Superseded),
                    (Active, Superseded),
                    (Suspended, Superseded),
                ],
            ),
        ];
        for (name, event, allowed) in events {
            for from in MandateStatus::ALL {
                let mut mandate = in_state(from);
                let result = event(&mut mandate);
                match allowed.iter().find(|(f, _)| *f == from) {
                    Some((_, to)) => {
                        assert_eq!(result, Ok(()), "{name} from {from}");
                        assert_eq!(mandate.status(), *to, "{name} from {from}");
                    }
                    None => {
                        assert!(result.is_err(), "{name} from {from} must be refused");
                        assert_eq!(mandate.status(), from, "{name} from {from} changed state");
                    }
                }
            }
        }
    }

    #[test]
    fn collection_needs_an_active_mandate_under_its_ceiling() {
        let mut mandate = Mandate::new(
            MandateReference::generate("1", 1),
            Some(Amount::from_centimes(100_000)),
        );
        assert_eq!(
            mandate.can_collect(Amount::from_centimes(1)),
            Err(MandateError::NotActive(MandateStatus::Pending))
        );
        mandate.sign(evidence()).unwrap();
        assert_eq!(mandate.can_collect(Amount::from_centimes(100_000)), Ok(()));
        assert!(matches!(
            mandate.can_collect(Amount::from_centimes(100_001)),
            Err(MandateError::AboveCeiling { .. })
        ));
    }

    #[test]
    fn signing_needs_complete_evidence() {
        let mut mandate = in_state(MandateStatus::Pending);
        let mut bad = evidence();
        bad.signer = " ".to_owned();
        assert!(matches!(mandate.sign(bad), Err(MandateError::Evidence(_))));
        assert_eq!(mandate.status(), MandateStatus::Pending);
    }

    #[test]
    fn references_are_bounded_and_restricted() {
        let long = MandateReference::generate(&"9".repeat(50), 123);
        assert!(long.as_str().len() <= 35, "{long}");
        assert!(MandateReference::parse(long.as_str()).is_ok());
        assert_eq!(
            MandateReference::generate("16001234", 7).as_str(),
            "TSL-16001234-000007"
        );
        assert!(MandateReference::parse("").is_err());
        assert!(MandateReference::parse(&"A".repeat(36)).is_err());
        assert_eq!(
            MandateReference::parse("TSL_1"),
            Err(ReferenceError::Character('_'))
        );
        for status in MandateStatus::ALL {
            assert_eq!(status.as_str().parse::<MandateStatus>(), Ok(status));
        }
    }
}
