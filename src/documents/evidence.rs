//! An employer's evidence pack as one ZIP file (issue 16, item 6), for staff to hand to a
//! court or an inspector: its mandates (PDF, the exact consent text signed, the signature
//! evidence), every notice sent (`.eml`), its debits as the bank files presented them and
//! the bank report items about them (CSV), the receipts of its settled debits (PDF), its
//! statement (CSV from the ledger), its audit extract (CSV), and `manifest-sha256.txt`
//! listing every other file's SHA-256 (`sha256sum -c manifest-sha256.txt` checks them).
//!
//! The ZIP is written here (deflate through `flate2` and its CRC-32, both already in the
//! build through krilla) rather than with the `zip` crate: a pack needs only writing, in
//! memory, without ZIP64 (refused past 4 GiB). A notice's `.eml` is rebuilt from what was
//! recorded when it was sent (Message-ID, recipient, subject, date, text part), not a copy
//! of the SMTP bytes. Accounts stay masked: the pack is not a bank file.

use std::io::Write;

use flate2::Compression;
use flate2::write::DeflateEncoder;
use sha2::{Digest, Sha256};

use super::{DocumentError, MandateFacts, ReceiptFacts, mandate_pdf, receipt_pdf};
use crate::locale::statement::{csv_amount, statement_csv};
use bank_formats::reasons::ReasonCategory;

use crate::locale::report_items::effect_word;
use crate::locale::{Lang, Word, audit_action, audit_entity, page_moment};
use crate::store::EvidenceRecords;

/// What the pack is made from beyond the store's records.
#[derive(Clone, Copy, Debug)]
pub struct EvidenceFacts<'a> {
    /// The fund's short name (the creditor's name).
    pub fund: &'a str,
    pub records: &'a EvidenceRecords,
    /// The banks' names by code, for the receipts (a code missing: the receipt shows it).
    pub bank_names: &'a std::collections::BTreeMap<String, String>,
}

/// The name of the manifest inside the pack.
pub const MANIFEST: &str = "manifest-sha256.txt";

/// The evidence pack as ZIP bytes.
pub fn evidence_zip(facts: &EvidenceFacts<'_>) -> Result<Vec<u8>, DocumentError> {
    let r = facts.records;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    files.push(("LISEZMOI.txt".to_owned(), readme(facts).into_bytes()));
    for m in &r.mandates {
        let stem = format!("mandats/{}", safe(&m.reference));
        files.push((
            format!("{stem}.pdf"),
            mandate_pdf(&MandateFacts {
                fund: facts.fund,
                mandate: m,
                employer: &r.employer,
            })?,
        ));
        if let Some(text) = &m.consent_text {
            files.push((format!("{stem}-texte-signe.txt"), text.clone().into_bytes()));
        }
        let evidence = [
            ("reference", Some(m.reference.clone())),
            ("etat", Some(m.status.word(Lang::Fr).to_owned())),
            ("compte (masque)", Some(m.account_masked.clone())),
            (
                "banque",
                Some(m.bank_name.clone().unwrap_or(m.bank_code.clone())),
            ),
            ("cree_le", Some(page_moment(&m.created_at))),
            ("signe_le", m.signed_at.as_deref().map(page_moment)),
            ("signataire", m.signed_by.clone()),
            ("adresse_ip", m.signature_ip.clone()),
            ("navigateur", m.signature_user_agent.clone()),
            ("version_du_texte", m.consent_version.clone()),
            ("sha256_du_texte", m.consent_text_sha256.clone()),
        ]
        .iter()
        .map(|(key, value)| format!("{key}: {}\r\n", value.as_deref().unwrap_or("")))
        .collect::<String>();
        files.push((
            format!("{stem}-preuve-signature.txt"),
            evidence.into_bytes(),
        ));
    }
    for n in &r.notices {
        files.push((
            format!("avis/{:06}-{}.eml", n.id, n.kind.as_str()),
            eml(n).into_bytes(),
        ));
    }
    files.push((
        "banque/prelevements-presentes.csv".to_owned(),
        debits_csv(r)?,
    ));
    files.push((
        "banque/elements-des-releves.csv".to_owned(),
        report_items_csv(r)?,
    ));
    for receipt in &r.receipts {
        let bank_name = facts.bank_names.get(&receipt.collection.bank_code);
        files.push((
            format!("recus/{}.pdf", safe(&receipt.number)),
            receipt_pdf(&ReceiptFacts {
                fund: facts.fund,
                receipt,
                employer: &r.employer,
                bank_name: bank_name.map(String::as_str),
            })?,
        ));
    }
    files.push((
        "releve-de-compte.csv".to_owned(),
        statement_csv(&r.statement).into_bytes(),
    ));
    files.push(("journal-d-audit.csv".to_owned(), audit_csv(r)?));

    let mut manifest = String::new();
    for (name, bytes) in &files {
        manifest.push_str(&format!("{}  {name}\n", hex::encode(Sha256::digest(bytes))));
    }
    files.push((MANIFEST.to_owned(), manifest.into_bytes()));
    let mut zip = ZipWriter::new(dos_time(&r.made_at));
    for (name, bytes) in &files {
        zip.add(name, bytes)?;
    }
    zip.finish()
}

/// A reference or number as a file name: letters, digits, `-` and `_` only.
fn safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn readme(facts: &EvidenceFacts<'_>) -> String {
    let e = &facts.records.employer;
    format!(
        "Dossier de preuves — {fund}\r\nEmployeur : {name} ({aff})\r\nConstitué le : {at}\r\n\r\n\
         mandats/ : chaque mandat (PDF), le texte signé et la preuve de signature\r\n\
         avis/ : chaque avis envoyé (.eml, reconstitué à partir de ce qui a été enregistré à l'envoi)\r\n\
         banque/ : les prélèvements tels que présentés dans les fichiers bancaires, et les éléments des relevés de la banque\r\n\
         recus/ : les reçus des prélèvements réglés (PDF)\r\n\
         releve-de-compte.csv : le relevé de compte de l'employeur\r\n\
         journal-d-audit.csv : l'extrait du journal d'audit\r\n\
         {manifest} : l'empreinte SHA-256 de chaque fichier (sha256sum -c {manifest})\r\n\r\n\
         ملف الإثبات — {fund}\r\nصاحب العمل: {name_ar} ({aff})\r\n\
         يحتوي على التفويضات ونصوصها الموقعة وإثبات التوقيع، والإشعارات المرسلة، والاقتطاعات كما قدمت في الملفات البنكية وعناصر كشوف البنك، والوصولات، وكشف الحساب، ومستخرج سجل التدقيق، وبصمة SHA-256 لكل ملف في {manifest}.\r\n",
        fund = facts.fund,
        name = e.name,
        name_ar = e.name_ar.as_deref().unwrap_or(&e.name),
        aff = e.affiliation_number,
        at = page_moment(&facts.records.made_at),
        manifest = MANIFEST,
    )
}

/// A notice as an RFC 5322 message from what was recorded when it was sent.
fn eml(n: &crate::store::NoticeRecord) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let date = n
        .sent_at
        .as_deref()
        .and_then(crate::store::parse_timestamp)
        .map(|at| at.to_rfc2822())
        .unwrap_or_default();
    let subject = n.subject.as_deref().unwrap_or("");
    let body = STANDARD.encode(n.body_text.as_deref().unwrap_or("").as_bytes());
    let mut wrapped = String::new();
    for chunk in body.as_bytes().chunks(76) {
        wrapped.push_str(&String::from_utf8_lossy(chunk));
        wrapped.push_str("\r\n");
    }
    format!(
        "Message-ID: {}\r\nDate: {date}\r\nTo: {}\r\nSubject: =?UTF-8?B?{}?=\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{wrapped}",
        n.message_id.as_deref().unwrap_or(""),
        n.recipient.as_deref().unwrap_or(""),
        STANDARD.encode(subject.as_bytes()),
    )
}

/// Rows as CSV for a spreadsheet (a byte-order mark, `;`), like the statement.
/// Every row must have the header's fields: a mismatch is an error, not a broken file.
fn csv(header: &[&str], rows: Vec<Vec<String>>) -> Result<Vec<u8>, DocumentError> {
    let failed = |e: &dyn std::fmt::Display| DocumentError::Pdf(format!("CSV: {e}"));
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xef\xbb\xbf".to_vec());
    writer.write_record(header).map_err(|e| failed(&e))?;
    for row in rows {
        writer.write_record(&row).map_err(|e| failed(&e))?;
    }
    writer.into_inner().map_err(|e| failed(&e))
}

fn debits_csv(r: &EvidenceRecords) -> Result<Vec<u8>, DocumentError> {
    csv(
        &[
            "prelevement",
            "date",
            "tentative",
            "end_to_end_id",
            "montant",
            "etat",
            "sequence",
            "mandat",
            "fichier",
            "message_id_du_fichier",
            "sha256_du_fichier",
            "fichier_cree_le",
        ],
        r.debits
            .iter()
            .map(|d| {
                vec![
                    d.collection_id.to_string(),
                    d.collection_date.clone(),
                    d.attempt.to_string(),
                    d.end_to_end_id.clone(),
                    csv_amount(d.amount()),
                    d.status
                        .parse::<mandates::CollectionStatus>()
                        .map_or_else(|_| d.status.clone(), |s| s.word(Lang::Fr).to_owned()),
                    d.sequence_type.clone().unwrap_or_default(),
                    d.mandate_reference.clone(),
                    d.file_name.clone(),
                    d.file_message_id.clone(),
                    d.file_sha256.clone(),
                    page_moment(&d.file_created_at),
                ]
            })
            .collect(),
    )
}

fn report_items_csv(r: &EvidenceRecords) -> Result<Vec<u8>, DocumentError> {
    csv(
        &[
            "releve",
            "sha256_du_releve",
            "importe_le",
            "element",
            "prelevement",
            "end_to_end_id",
            "mandat",
            "montant",
            "statut_bancaire",
            "code_motif",
            "motif",
            "effet",
        ],
        r.report_items
            .iter()
            .map(|i| {
                vec![
                    i.report_file_name.clone(),
                    i.report_sha256.clone(),
                    page_moment(&i.imported_at),
                    i.item.to_string(),
                    i.collection_id.to_string(),
                    i.end_to_end_id.clone().unwrap_or_default(),
                    i.mandate_reference.clone().unwrap_or_default(),
                    i.amount_centimes
                        .map(|a| csv_amount(mandates::Amount::from_centimes(a)))
                        .unwrap_or_default(),
                    i.status.clone().unwrap_or_default(),
                    i.reason_code.clone().unwrap_or_default(),
                    i.reason_category
                        .as_deref()
                        .map(|c| {
                            c.parse::<ReasonCategory>()
                                .map_or_else(|_| c.to_owned(), |r| r.word(Lang::Fr).to_owned())
                        })
                        .unwrap_or_default(),
                    effect_word(&i.effect, Lang::Fr).to_owned(),
                ]
            })
            .collect(),
    )
}

fn audit_csv(r: &EvidenceRecords) -> Result<Vec<u8>, DocumentError> {
    csv(
        &[
            "id",
            "moment (heure d'Alger)",
            "acteur",
            "action",
            "code_action",
            "objet",
            "objet_id",
            "detail",
        ],
        r.audit
            .iter()
            .map(|a| {
                vec![
                    a.id.to_string(),
                    page_moment(&a.at),
                    a.actor.clone(),
                    audit_action(&a.action, Lang::Fr).to_owned(),
                    a.action.clone(),
                    audit_entity(&a.entity, Lang::Fr).to_owned(),
                    a.entity_id.clone(),
                    a.detail.clone(),
                ]
            })
            .collect(),
    )
}

/// A stored timestamp as the MS-DOS date and time a ZIP entry carries (Algiers time).
fn dos_time(stored: &str) -> (u16, u16) {
    use chrono::{Datelike, Timelike};
    let Some(at) = crate::locale::stored_algiers_time(stored) else {
        return (0, (1 << 5) | 1);
    };
    let year = u16::try_from(at.year().clamp(1980, 2107) - 1980).unwrap_or(0);
    let date = (year << 9)
        | (u16::try_from(at.month()).unwrap_or(1) << 5)
        | u16::try_from(at.day()).unwrap_or(1);
    let time = (u16::try_from(at.hour()).unwrap_or(0) << 11)
        | (u16::try_from(at.minute()).unwrap_or(0) << 5)
        | u16::try_from(at.second() / 2).unwrap_or(0);
    (time, date)
}

/// A ZIP archive written in memory: deflated entries, UTF-8 names, no ZIP64.
struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
    /// (time, date) in MS-DOS form, the same for every entry.
    when: (u16, u16),
}

fn too_big() -> DocumentError {
    DocumentError::Pdf("the evidence pack is larger than a ZIP without ZIP64 holds".to_owned())
}

impl ZipWriter {
    fn new(when: (u16, u16)) -> ZipWriter {
        ZipWriter {
            out: Vec::new(),
            central: Vec::new(),
            entries: 0,
            when,
        }
    }

    fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), DocumentError> {
        let mut crc = flate2::Crc::new();
        crc.update(bytes);
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder
            .write_all(bytes)
            .map_err(|e| DocumentError::Pdf(format!("deflate: {e}")))?;
        let deflated = encoder
            .finish()
            .map_err(|e| DocumentError::Pdf(format!("deflate: {e}")))?;
        let offset = u32::try_from(self.out.len()).map_err(|_| too_big())?;
        let compressed = u32::try_from(deflated.len()).map_err(|_| too_big())?;
        let size = u32::try_from(bytes.len()).map_err(|_| too_big())?;
        let name_len = u16::try_from(name.len()).map_err(|_| too_big())?;
        let (time, date) = self.when;
        // Version 2.0, bit 11: the name is UTF-8; method 8: deflate.
        let common = |buf: &mut Vec<u8>| {
            buf.extend_from_slice(&20u16.to_le_bytes());
            buf.extend_from_slice(&0x0800u16.to_le_bytes());
            buf.extend_from_slice(&8u16.to_le_bytes());
            buf.extend_from_slice(&time.to_le_bytes());
            buf.extend_from_slice(&date.to_le_bytes());
            buf.extend_from_slice(&crc.sum().to_le_bytes());
            buf.extend_from_slice(&compressed.to_le_bytes());
            buf.extend_from_slice(&size.to_le_bytes());
            buf.extend_from_slice(&name_len.to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes());
        };
        self.out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut self.out);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(&deflated);

        self.central
            .extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        // Made by: version 2.0 on Unix (so the permissions below are read).
        self.central.extend_from_slice(&0x0314u16.to_le_bytes());
        common(&mut self.central);
        self.central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        self.central.extend_from_slice(&0u16.to_le_bytes()); // disk number
        self.central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        // External attributes: a regular file, rw------- (the pack names people).
        self.central
            .extend_from_slice(&(0o100_600u32 << 16).to_le_bytes());
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(name.as_bytes());
        self.entries = self.entries.checked_add(1).ok_or_else(too_big)?;
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<u8>, DocumentError> {
        let offset = u32::try_from(self.out.len()).map_err(|_| too_big())?;
        let size = u32::try_from(self.central.len()).map_err(|_| too_big())?;
        self.out.extend_from_slice(&self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&offset.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes());
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_time_is_the_algiers_moment() {
        // 2026-12-16 09:00 UTC is 10:00 in Algiers.
        let (time, date) = dos_time("2026-12-16T09:00:00Z");
        assert_eq!(date, (46 << 9) | (12 << 5) | 16);
        assert_eq!(time, 10 << 11);
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(safe("MDT-2026/00 1"), "MDT-2026_00_1");
    }
}
