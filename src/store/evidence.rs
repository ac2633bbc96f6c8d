//! What an employer's evidence pack is made of (issue 16, item 6), gathered for staff: its
//! mandates, the notices sent to it (as recorded when sent), its debits as the bank files
//! presented them and the bank report items about them, the receipts of its settled
//! debits, its statement and its audit extract. Asking for the pack is audited first, in
//! its own transaction, so the extract shows who took it.
//!
//! Must not know: how the pack is written (`crate::documents::evidence`).

use mandates::Amount;
use serde_json::json;
use sqlx::FromRow;

use super::audit::Audit;
use super::{
    Actor, AuditEntry, Employer, MandateRecord, NoticeRecord, Receipt, Statement, Store,
    StoreResult,
};

/// At most this many notices and audit entries go into one pack.
const PACK_ROWS: i64 = 100_000;

/// One of the employer's debits as a bank file presented it (the account masked: the pack
/// is not a bank file).
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct PresentedDebit {
    pub collection_id: i64,
    pub collection_date: String,
    pub attempt: i64,
    pub end_to_end_id: String,
    pub amount_centimes: i64,
    pub status: String,
    pub sequence_type: Option<String>,
    pub mandate_reference: String,
    pub file_name: String,
    pub file_message_id: String,
    pub file_sha256: String,
    pub file_created_at: String,
}

/// One bank report item about one of the employer's debits.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct EmployerReportItem {
    pub report_file_name: String,
    pub report_sha256: String,
    pub imported_at: String,
    pub item: i64,
    pub collection_id: i64,
    pub end_to_end_id: Option<String>,
    pub mandate_reference: Option<String>,
    pub amount_centimes: Option<i64>,
    pub status: Option<String>,
    pub reason_code: Option<String>,
    pub reason_category: Option<String>,
    pub effect: String,
    pub outcome: Option<String>,
}

/// Everything an evidence pack holds, as records.
#[derive(Clone, Debug)]
pub struct EvidenceRecords {
    pub employer: Employer,
    pub mandates: Vec<MandateRecord>,
    /// The notices sent (with what was sent), oldest first.
    pub notices: Vec<NoticeRecord>,
    pub debits: Vec<PresentedDebit>,
    pub report_items: Vec<EmployerReportItem>,
    pub receipts: Vec<Receipt>,
    pub statement: Statement,
    /// Oldest first.
    pub audit: Vec<AuditEntry>,
    /// When the pack was asked for (stored form).
    pub made_at: String,
}

impl PresentedDebit {
    pub fn amount(&self) -> Amount {
        Amount::from_centimes(self.amount_centimes)
    }
}

impl Store {
    /// The evidence pack's records for `employer_id`, its taking audited as `actor` first.
    pub async fn evidence_records(
        &self,
        actor: &Actor,
        employer_id: i64,
    ) -> StoreResult<EvidenceRecords> {
        let employer = self.employer(employer_id).await?;
        let made_at = self.now_text();
        let mut tx = self.begin_write().await?;
        Audit::new(actor, "employer.evidence_pack")
            .on("employer", employer_id)
            .detail(json!({ "affiliation_number": employer.affiliation_number }))
            .record(&mut tx, &made_at)
            .await?;
        tx.commit().await?;

        let mandates = self.list_mandates(employer_id).await?;
        let mut notices: Vec<NoticeRecord> = self
            .notices_for_employer(employer_id, PACK_ROWS)
            .await?
            .into_iter()
            .filter(|n| n.body_text.is_some() && n.sent_at.is_some())
            .collect();
        notices.reverse();
        let debits = sqlx::query_as::<_, PresentedDebit>(
            "SELECT c.id AS collection_id, c.collection_date, CAST(c.attempt AS BIGINT) AS attempt, \
             c.end_to_end_id, c.amount_centimes, c.status, c.sequence_type, \
             m.reference AS mandate_reference, f.file_name, f.message_id AS file_message_id, \
             f.sha256 AS file_sha256, f.created_at AS file_created_at \
             FROM collections c JOIN mandates m ON m.id = c.mandate_id \
             JOIN bank_files f ON f.id = c.bank_file_id \
             WHERE c.employer_id = $1 ORDER BY c.id",
        )
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        let report_items = sqlx::query_as::<_, EmployerReportItem>(
            "SELECT r.file_name AS report_file_name, r.sha256 AS report_sha256, r.imported_at, \
             CAST(i.item AS BIGINT) AS item, c.id AS collection_id, i.end_to_end_id, \
             i.mandate_reference, i.amount_centimes, i.status, i.reason_code, i.reason_category, \
             i.effect, i.outcome \
             FROM report_items i JOIN reports r ON r.id = i.report_id \
             JOIN collections c ON c.id = i.collection_id \
             WHERE c.employer_id = $1 ORDER BY r.id, i.item",
        )
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        let settled: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM collections WHERE employer_id = $1 AND status = 'settled' ORDER BY id",
        )
        .bind(employer_id)
        .fetch_all(&self.pool)
        .await?;
        let mut receipts = Vec::with_capacity(settled.len());
        for collection_id in settled {
            receipts.push(self.receipt(employer_id, collection_id).await?);
        }
        let statement = self
            .statement(employer_id, None, self.clock().today())
            .await?;
        let mut audit = self.employer_audit(employer_id, PACK_ROWS).await?;
        audit.reverse();
        Ok(EvidenceRecords {
            employer,
            mandates,
            notices,
            debits,
            report_items,
            receipts,
            statement,
            audit,
            made_at,
        })
    }
}
