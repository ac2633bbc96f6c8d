//! Account identifiers: a bank RIB, a postal RIP, and the CCP number (with its clé) that a
//! RIP is derived from. Parsed once, through fallible constructors that check the keys of
//! `algeria.md`; errors say which part is wrong but never what the right key would be.

use std::fmt;

/// Why a piece of text is not a valid account identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("the account identifier is empty")]
    Empty,
    #[error(
        "found {found} digits where a RIB or RIP has 20 (bank 3, agency 5, account 10, key 2); check for a missing or extra digit"
    )]
    Length { found: usize },
    #[error(
        "character {character:?} at position {position} is not a digit; use only digits, with spaces or dashes between groups"
    )]
    NotADigit { character: char, position: usize },
    #[error(
        "the key (last 2 digits) does not match the agency and account number; check the digits against the bank statement"
    )]
    Key,
    #[error(
        "a CCP number has 1 to 10 digits followed by its 2-digit clé (e.g. \"NUMBER KEY\" or \"NUMBER/KEY\"); found {found} digits in the number"
    )]
    CcpLength { found: usize },
    #[error("the clé does not match the CCP number; check both against the chequebook")]
    CcpKey,
    #[error("a postal RIP starts with 007 99999; this one has bank {bank} and agency {agency}")]
    NotPostal { bank: String, agency: String },
    #[error(
        "bank code {0} is not in the bank table; check the first 3 digits (or correct the table)"
    )]
    UnknownBank(String),
}

/// The key shared by RIB and RIP: `97 − ((agency ‖ account) × 100 mod 97)`, 97 for 0.
/// The bank code is deliberately not part of it.
pub fn rib_key(agency: &str, account: &str) -> u8 {
    let r: u64 = agency
        .bytes()
        .chain(account.bytes())
        .fold(0, |acc, b| acc * 10 + u64::from(b - b'0'));
    let rest = (r % 97) * 100 % 97;
    (97 - rest) as u8
}

/// The CCP clé: `Σ digit_i × (4 + i) mod 100`, digits of the 10-digit padded number from
/// the right (i = 0..9).
pub fn ccp_key(number: u64) -> u8 {
    let mut n = number;
    let mut sum = 0u64;
    for i in 0..10 {
        sum += (n % 10) * (4 + i);
        n /= 10;
    }
    (sum % 100) as u8
}

/// Strips single spaces or dashes between digits; anything else is an error naming it.
fn digits_only(text: &str) -> Result<String, AccountError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(AccountError::Empty);
    }
    let mut out = String::with_capacity(20);
    for (index, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            ' ' | '-' => {}
            other => {
                return Err(AccountError::NotADigit {
                    character: other,
                    position: index + 1,
                });
            }
        }
    }
    Ok(out)
}

fn twenty_digits(text: &str) -> Result<String, AccountError> {
    let digits = digits_only(text)?;
    if digits.len() != 20 {
        return Err(AccountError::Length {
            found: digits.len(),
        });
    }
    if format!("{:02}", rib_key(&digits[3..8], &digits[8..18])) != digits[18..20] {
        return Err(AccountError::Key);
    }
    Ok(digits)
}

/// Masks all but the last 4 digits: `****************0486`.
pub fn mask_digits(digits: &str) -> String {
    let count = digits.chars().count();
    digits
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < count { '*' } else { c })
        .collect()
}

fn group(digits: &str) -> String {
    format!(
        "{} {} {} {}",
        &digits[0..3],
        &digits[3..8],
        &digits[8..18],
        &digits[18..20]
    )
}

/// A bank account identifier (RIB): bank 3 + agency 5 + account 10 + key 2 digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Rib(String);

impl Rib {
    pub fn parse(text: &str) -> Result<Rib, AccountError> {
        twenty_digits(text).map(Rib)
    }

    /// Builds a RIB from its parts, computing the key (for generated and test data).
    pub fn from_parts(bank: &str, agency: &str, account: &str) -> Result<Rib, AccountError> {
        let body = format!("{bank}{agency}{account}");
        let digits = digits_only(&body)?;
        if bank.len() != 3 || agency.len() != 5 || account.len() != 10 {
            return Err(AccountError::Length {
                found: digits.len() + 2,
            });
        }
        let key = rib_key(agency, account);
        Ok(Rib(format!("{digits}{key:02}")))
    }

    pub fn bank_code(&self) -> &str {
        &self.0[0..3]
    }
    pub fn agency(&self) -> &str {
        &self.0[3..8]
    }
    pub fn account_number(&self) -> &str {
        &self.0[8..18]
    }
    pub fn key(&self) -> &str {
        &self.0[18..20]
    }
    pub fn digits(&self) -> &str {
        &self.0
    }
}

/// A postal account identifier (RIP): `007` + `99999` + CCP number on 10 digits + key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Rip(String);

impl Rip {
    pub fn parse(text: &str) -> Result<Rip, AccountError> {
        let digits = digits_only(text)?;
        if digits.len() == 20 && !digits.starts_with("00799999") {
            return Err(AccountError::NotPostal {
                bank: digits[0..3].to_owned(),
                agency: digits[3..8].to_owned(),
            });
        }
        twenty_digits(&digits).map(Rip)
    }
    pub fn ccp_number(&self) -> u64 {
        self.0[8..18].parse().unwrap_or(0)
    }
    pub fn digits(&self) -> &str {
        &self.0
    }
    /// The CCP number and clé this RIP stands for.
    pub fn to_ccp(&self) -> Ccp {
        let number = self.ccp_number();
        Ccp {
            number,
            key: ccp_key(number),
        }
    }
}

/// How a masked postal account begins ([`Ccp::masked`]).
pub const CCP_MASK_PREFIX: &str = "CCP ";

/// A CCP number with its clé, as printed on a postal chequebook (`200 12`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ccp {
    number: u64,
    key: u8,
}

impl Ccp {
    /// Parses `NUMBER KEY` or `NUMBER/KEY`.
    pub fn parse(text: &str) -> Result<Ccp, AccountError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(AccountError::Empty);
        }
        let (number, key) = trimmed
            .rsplit_once(['/', ' '])
            .map(|(n, k)| (n.trim(), k.trim()))
            .ok_or(AccountError::CcpLength { found: 0 })?;
        let number_digits = digits_only(number)?;
        let key_digits = digits_only(key)?;
        if number_digits.is_empty() || number_digits.len() > 10 {
            return Err(AccountError::CcpLength {
                found: number_digits.len(),
            });
        }
        if key_digits.len() != 2 {
            return Err(AccountError::CcpKey);
        }
        let number: u64 = number_digits.parse().map_err(|_| AccountError::CcpKey)?;
        let key: u8 = key_digits.parse().map_err(|_| AccountError::CcpKey)?;
        if ccp_key(number) != key {
            return Err(AccountError::CcpKey);
        }
        Ok(Ccp { number, key })
    }

    /// A CCP from its number alone, computing the clé (for generated and test data).
    pub fn from_number(number: u64) -> Result<Ccp, AccountError> {
        if number == 0 || number >= 10_000_000_000 {
            return Err(AccountError::CcpLength {
                found: number.to_string().len(),
            });
        }
        Ok(Ccp {
            number,
            key: ccp_key(number),
        })
    }

    pub fn number(&self) -> u64 {
        self.number
    }
    pub fn key(&self) -> u8 {
        self.key
    }

    /// `CCP ****07 clé 32`: the number's last 2 digits and the clé (see
    /// [`AccountId::masked`]); the prefix `CCP ` marks this form wherever a masked
    /// account is shortened for display.
    pub fn masked(&self) -> String {
        let number = format!("{:02}", self.number);
        format!(
            "{CCP_MASK_PREFIX}****{} clé {:02}",
            &number[number.len() - 2..],
            self.key
        )
    }

    /// The RIP of this postal account.
    pub fn to_rip(&self) -> Rip {
        let agency = "99999";
        let account = format!("{:010}", self.number);
        Rip(format!("00799999{account}{:02}", rib_key(agency, &account)))
    }
}

impl fmt::Display for Ccp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:02}", self.number, self.key)
    }
}

impl fmt::Debug for Ccp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ccp({})", mask_digits(&self.number.to_string()))
    }
}

crate::stored_codes! {
    /// Bank (RIB) or postal (RIP) account.
    pub enum AccountKind("account kind") {
        Bank = "bank",
        Postal = "postal",
    }
}

/// The account a mandate debits: a bank RIB or a postal RIP.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum AccountId {
    Bank(Rib),
    Postal(Rip),
}

impl AccountId {
    /// A 20-digit RIB or RIP (spaces or dashes between groups allowed), or a CCP written
    /// `NUMBER KEY` / `NUMBER/KEY`, which becomes its RIP.
    pub fn parse(text: &str) -> Result<AccountId, AccountError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(AccountError::Empty);
        }
        let looks_like_ccp = trimmed.contains('/')
            || (!trimmed.contains('-') && {
                let groups: Vec<&str> = trimmed.split_whitespace().collect();
                groups.len() == 2 && groups[1].len() == 2 && groups[0].len() <= 10
            });
        if looks_like_ccp {
            return Ccp::parse(trimmed).map(|ccp| AccountId::Postal(ccp.to_rip()));
        }
        let digits = twenty_digits(trimmed)?;
        if digits.starts_with("00799999") {
            Ok(AccountId::Postal(Rip(digits)))
        } else {
            Ok(AccountId::Bank(Rib(digits)))
        }
    }

    pub fn kind(&self) -> AccountKind {
        match self {
            AccountId::Bank(_) => AccountKind::Bank,
            AccountId::Postal(_) => AccountKind::Postal,
        }
    }

    /// The normalised 20 digits.
    pub fn digits(&self) -> &str {
        match self {
            AccountId::Bank(rib) => rib.digits(),
            AccountId::Postal(rip) => rip.digits(),
        }
    }

    pub fn bank_code(&self) -> &str {
        &self.digits()[0..3]
    }

    /// Hidden but recognisable, for display anywhere: a RIB with all but its last 4
    /// digits hidden; a postal account as its owner knows it — the CCP number of the
    /// chequebook with all but its last 2 digits hidden, and its clé (`CCP ****07 clé 32`),
    /// never digits of the RIP, which the owner does not see.
    pub fn masked(&self) -> String {
        match self {
            AccountId::Bank(rib) => mask_digits(rib.digits()),
            AccountId::Postal(rip) => rip.to_ccp().masked(),
        }
    }

    /// `004 00174 4010010504 86`.
    pub fn grouped(&self) -> String {
        group(self.digits())
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.digits())
    }
}

/// Masked: an account number never reaches a log through `{:?}`.
impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId::{:?}({})", self.kind(), self.masked())
    }
}

impl fmt::Debug for Rib {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rib({})", mask_digits(&self.0))
    }
}

impl fmt::Debug for Rip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rip({})", mask_digits(&self.0))
    }
}

impl serde::Serialize for AccountId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.digits())
    }
}

impl<'de> serde::Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        AccountId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One row of the bank table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankEntry {
    pub code: String,
    pub short_name: String,
    pub full_name: String,
}

impl BankEntry {
    /// `CPA — Crédit Populaire d'Algérie`, or just the short name when they coincide.
    pub fn display_name(&self) -> String {
        if self.full_name.is_empty() || self.full_name == self.short_name {
            self.short_name.clone()
        } else {
            format!("{} — {}", self.short_name, self.full_name)
        }
    }
}

/// The bank-code table, as data the fund can correct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankTable {
    entries: Vec<BankEntry>,
}

/// Why a bank table file is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bank table line {line}: {message}")]
pub struct BankTableError {
    pub line: usize,
    pub message: String,
}

impl BankTable {
    /// The built-in table (`mandates/data/banks.tsv`).
    pub fn algeria_default() -> BankTable {
        BankTable::parse(include_str!("../data/banks.tsv"))
            .expect("the built-in bank table is valid")
    }

    /// Parses `code<TAB>short name<TAB>full name` lines; `#` starts a comment line.
    pub fn parse(text: &str) -> Result<BankTable, BankTableError> {
        let mut entries: Vec<BankEntry> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let raw = raw.trim_end();
            if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
                continue;
            }
            let mut fields = raw.split('\t');
            let code = fields.next().unwrap_or("").trim();
            let short = fields.next().unwrap_or("").trim();
            let full = fields.next().unwrap_or("").trim();
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BankTableError {
                    line,
                    message: format!("code {code:?} must be 3 digits"),
                });
            }
            if short.is_empty() {
                return Err(BankTableError {
                    line,
                    message: "the short name (second tab-separated field) is missing".to_owned(),
                });
            }
            if entries.iter().any(|e| e.code == code) {
                return Err(BankTableError {
                    line,
                    message: format!("code {code} appears twice"),
                });
            }
            entries.push(BankEntry {
                code: code.to_owned(),
                short_name: short.to_owned(),
                full_name: full.to_owned(),
            });
        }
        if entries.is_empty() {
            return Err(BankTableError {
                line: 0,
                message: "the table has no bank".to_owned(),
            });
        }
        Ok(BankTable { entries })
    }

    pub fn entry(&self, code: &str) -> Option<&BankEntry> {
        self.entries.iter().find(|e| e.code == code)
    }

    pub fn name(&self, code: &str) -> Option<&str> {
        self.entry(code).map(|e| e.short_name.as_str())
    }

    /// Refuses an account whose bank code is not in the table.
    pub fn check(&self, account: &AccountId) -> Result<&BankEntry, AccountError> {
        self.entry(account.bank_code())
            .ok_or_else(|| AccountError::UnknownBank(account.bank_code().to_owned()))
    }

    pub fn entries(&self) -> &[BankEntry] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_rib_example_of_algeria_md_is_valid() {
        let account = AccountId::parse("004 00174 4010010504 86").unwrap();
        assert_eq!(account.kind(), AccountKind::Bank);
        assert_eq!(account.digits(), "00400174401001050486");
        assert_eq!(rib_key("00174", "4010010504"), 86);
        let AccountId::Bank(rib) = &account else {
            panic!()
        };
        assert_eq!(
            (
                rib.bank_code(),
                rib.agency(),
                rib.account_number(),
                rib.key()
            ),
            ("004", "00174", "4010010504", "86")
        );
    }

    #[test]
    fn the_key_computed_with_the_bank_code_is_rejected() {
        // Including the bank code would give 31, which is wrong.
        assert_eq!(
            AccountId::parse("00400174401001050431"),
            Err(AccountError::Key)
        );
    }

    #[test]
    fn the_worked_ccp_examples_of_algeria_md_convert_to_their_rip() {
        assert_eq!(ccp_key(200), 12);
        assert_eq!(ccp_key(23115007), 32);
        let ccp = Ccp::parse("200 12").unwrap();
        assert_eq!(ccp.to_rip().digits(), "00799999000000020091");
        let ccp = Ccp::parse("23115007/32").unwrap();
        // r × 100 mod 97 = 0, so the key is written 97.
        assert_eq!(ccp.to_rip().digits(), "00799999002311500797");
        assert_eq!(
            AccountId::parse("200/12").unwrap().digits(),
            "00799999000000020091"
        );
        let rip = AccountId::parse("007 99999 0023115007 97").unwrap();
        assert_eq!(rip.kind(), AccountKind::Postal);
        let AccountId::Postal(rip) = rip else {
            panic!()
        };
        assert_eq!(rip.to_ccp().to_string(), "23115007 32");
    }

    #[test]
    fn separators_between_groups_are_accepted() {
        for text in [
            "00400174401001050486",
            "004 00174 4010010504 86",
            "004-00174-4010010504-86",
            "  004 00174 4010010504 86  ",
        ] {
            assert_eq!(
                AccountId::parse(text).unwrap().digits(),
                "00400174401001050486"
            );
        }
    }

    #[test]
    fn errors_name_the_wrong_part_without_the_right_key() {
        assert_eq!(
            AccountId::parse("0040017440100105048"),
            Err(AccountError::Length { found: 19 })
        );
        assert!(matches!(
            AccountId::parse("004 00174 40100105O4 86"),
            Err(AccountError::NotADigit { character: 'O', .. })
        ));
        let message = AccountId::parse("004 00174 4010010504 87")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("key") && !message.contains("86"),
            "{message}"
        );
        let message = Ccp::parse("200 13").unwrap_err().to_string();
        assert!(
            message.contains("clé") && !message.contains("12"),
            "{message}"
        );
        assert!(matches!(
            Rip::parse("00400174401001050486"),
            Err(AccountError::NotPostal { .. })
        ));
    }

    #[test]
    fn masking_keeps_only_the_last_four_digits() {
        let account = AccountId::parse("004 00174 4010010504 86").unwrap();
        assert_eq!(account.masked(), "****************0486");
        let debug = format!("{account:?}");
        assert!(!debug.contains("4010010504"), "{debug}");
    }

    #[test]
    fn a_postal_account_is_masked_as_its_ccp_and_cle_not_its_rip() {
        // Typed as a CCP or as its RIP: the same chequebook form, no RIP digits
        // (the RIP's last four are 0797: two of the CCP's and the RIP's own key).
        for typed in ["23115007 32", "00799999002311500797"] {
            let account = AccountId::parse(typed).unwrap();
            assert_eq!(account.masked(), "CCP ****07 clé 32", "{typed}");
        }
        assert_eq!(
            AccountId::parse("200/12").unwrap().masked(),
            "CCP ****00 clé 12"
        );
        assert_eq!(Ccp::from_number(7).unwrap().masked(), "CCP ****07 clé 28");
    }

    #[test]
    fn the_bank_table_names_known_banks_and_refuses_unknown_ones() {
        let table = BankTable::algeria_default();
        let account = AccountId::parse("004 00174 4010010504 86").unwrap();
        assert_eq!(table.check(&account).unwrap().short_name, "CPA");
        let unknown = AccountId::parse("099 00174 4010010504 86").unwrap();
        assert_eq!(
            table.check(&unknown),
            Err(AccountError::UnknownBank("099".to_owned()))
        );
        let err = BankTable::parse("001\tBNA\n01\tX\n").unwrap_err();
        assert_eq!(err.line, 2);
    }
}
