//! Documents as PDF, made in-process: the receipt of a settled debit, in Arabic and French
//! on one page (more pages for a long list of worksites), an employer's statement of
//! account (`statement`), the certificate of being up to date with its QR code, a mandate
//! with its signature evidence and consent text; and an employer's evidence pack (a ZIP of
//! these with its notices, bank lines, statement, audit extract and a manifest of SHA-256s).
//!
//! The stack (compared in ARCHITECTURE.md): krilla writes the PDF — fonts embedded and
//! subset, each glyph mapped back to its text —, unicode-bidi orders each line, rustybuzz
//! shapes each directional run, and the font (DejaVu Sans, Latin and Arabic) is compiled in
//! from the `dejavu` crate. Positions are integer hundredths of a point (`geometry`), so the
//! same receipt always gives the same bytes.
//!
//! Must not know: SQL, HTTP or sending e-mail. It takes the store's records and returns
//! bytes (the pack's `.eml` files are text rebuilt from the recorded notices).

mod attestation;
mod evidence;
mod geometry;
mod mandate;
mod receipt;
mod statement;
mod text;
mod unhinted;

pub use attestation::{AttestationFacts, attestation_pdf, verify_url};
pub use evidence::{EvidenceFacts, MANIFEST, evidence_zip};
pub use mandate::{MandateFacts, mandate_pdf};
pub use receipt::{ReceiptFacts, receipt_pdf};
pub use statement::{StatementFacts, statement_pdf};

/// Why a document could not be made. Neither happens with the fonts compiled in; they are
/// errors rather than panics so that a server answers 500 instead of dying.
#[derive(Clone, Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the document font could not be read")]
    Font,
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

#[cfg(test)]
mod tests;
