//! Streaming import of the big reports (camt.052/053/054, one entry per debit): the file
//! is read once, hashed as it goes by, and its entries are classified and handed to the
//! store a chunk at a time ([`crate::store::ITEM_CHUNK`] items), inside the report's one
//! transaction — so memory does not grow with the report, and a report that turns out
//! unreadable at its last byte leaves nothing behind (the transaction rolls back and the
//! file goes to quarantine, as before). Other formats (pain.002, fixed-width returns) are
//! read whole, within `max_report_bytes`.
//!
//! Reading (a blocking thread: the XML walker and the hash) and recording (the database)
//! run side by side, joined by a channel of two chunks.

use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::Context;
use bank_formats::inspect::camt_entry_transactions;
use bank_formats::iso20022::{Position, XmlError, for_each_camt_entry, identify};
use chrono::NaiveDate;

use super::{
    CycleSettings, ImportOutcome, ImportedFile, camt_item, conclude, reconcile_policy, too_large,
};
use crate::cycle::exchange::{self, Hashing};
use crate::store::{Actor, ITEM_CHUNK, ImportSummary, ReportHead, ReportItem, ReportStart, Store};

/// How much of a file is looked at to tell whether it is streamed.
const SNIFF_BYTES: u64 = 64 * 1024;

/// The camt format of the file at `path` when it is one (by its message element, within
/// its first 64 KiB): such a report is streamed. `None` for any other file, read whole.
pub(super) fn streamed_format(path: &Path) -> anyhow::Result<Option<String>> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(SNIFF_BYTES).read_to_end(&mut head))
        .with_context(|| format!("cannot read {}", path.display()))?;
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    if !text.trim_ascii_start().starts_with(b"<") {
        return Ok(None);
    }
    Ok(match identify(&head) {
        Ok(Some(identified)) if identified.family.starts_with("camt.") => Some(identified.format),
        _ => None,
    })
}

/// Why a streamed report could not be read to its end.
enum Unread {
    /// Over `max_report_bytes` (it grew since its size was looked at): its size so far.
    TooLarge(u64),
    Xml(XmlError),
    Io(std::io::Error),
    /// The store stopped taking items (its error is the one reported).
    Stopped,
}

/// What was read of a whole report, besides its items.
struct WholeReport {
    sha256: String,
    message_id: Option<String>,
}

/// Imports a camt report as it streams by (see the module docs).
pub(super) async fn import_streamed(
    store: &Store,
    settings: &CycleSettings,
    actor: &Actor,
    mut file: ImportedFile<'_>,
    format: String,
    today: NaiveDate,
) -> anyhow::Result<ImportOutcome> {
    let started = std::time::Instant::now();
    let policy = reconcile_policy(store, settings, today).await?;
    let head = ReportHead {
        institution: file.institution,
        file_name: file.file_name.clone(),
        format,
        message_id: None,
        original_message_id: None,
    };
    let mut application = match store.begin_report(actor, head, None).await? {
        ReportStart::Begun(application) => *application,
        ReportStart::AlreadyImported(report_id) => {
            // Never without a hash to look for; the same outcome as with one.
            let summary = already_imported(report_id);
            return conclude(store, settings, actor, file, Ok(summary)).await;
        }
    };
    let input = std::fs::File::open(file.path)
        .with_context(|| format!("cannot read {}", file.path.display()))?;
    let (sender, mut chunks) = tokio::sync::mpsc::channel::<Vec<ReportItem>>(2);
    let max = settings.max_report_bytes;
    let creditor_id = settings.creditor.id.clone();
    let reader =
        tokio::task::spawn_blocking(move || read_report(input, max, &creditor_id, &sender));
    let mut recorded = Ok(());
    while let Some(chunk) = chunks.recv().await {
        if let Err(err) = application.add_items(&chunk).await {
            recorded = Err(err);
            break;
        }
    }
    // A store error stops the reader (its next chunk finds no one to take it).
    drop(chunks);
    let read = reader.await.context("the report reader stopped")?;
    recorded?;
    tracing::debug!(elapsed = ?started.elapsed(), items = application.items(), "import_file: read and recorded");
    let read = match read {
        Ok(read) => read,
        Err(unread) => {
            // Nothing of it is kept: its transaction rolls back.
            drop(application);
            let error = match unread {
                Unread::TooLarge(size) => too_large(size, max),
                Unread::Xml(err) => format!("cannot read it: {err}"),
                Unread::Io(err) => {
                    return Err(err)
                        .with_context(|| format!("cannot read {}", file.path.display()));
                }
                Unread::Stopped => anyhow::bail!("the report reader stopped before its end"),
            };
            file.sha256 = exchange::sha256_of(file.path)?;
            return file.quarantine(store, settings, &error).await;
        }
    };
    file.sha256 = read.sha256;
    if let Some(report_id) = application.identify(&file.sha256, read.message_id).await? {
        drop(application);
        let summary = already_imported(report_id);
        return conclude(store, settings, actor, file, Ok(summary)).await;
    }
    let applied = application.finish(actor, policy).await;
    conclude(store, settings, actor, file, applied).await
}

/// What the store says of a report imported before, as report `report_id`.
fn already_imported(report_id: i64) -> ImportSummary {
    ImportSummary {
        report_id,
        already_imported: true,
        ..ImportSummary::default()
    }
}

/// Reads a camt report from `input` (at most `max` bytes), hashing every byte, and sends
/// its classified items a chunk at a time.
fn read_report(
    input: std::fs::File,
    max: u64,
    creditor_id: &str,
    sender: &tokio::sync::mpsc::Sender<Vec<ReportItem>>,
) -> Result<WholeReport, Unread> {
    let mut reader = BufReader::with_capacity(64 * 1024, Hashing::new(input.take(max + 1)));
    let mut chunk = Vec::with_capacity(ITEM_CHUNK);
    let mut transactions = Vec::new();
    let mut stopped = false;
    let walked = for_each_camt_entry(&mut reader, |entry| {
        transactions.clear();
        camt_entry_transactions(&entry, &mut transactions);
        chunk.extend(transactions.iter().map(|tx| camt_item(tx, creditor_id)));
        if chunk.len() >= ITEM_CHUNK {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(ITEM_CHUNK));
            if sender.blocking_send(full).is_err() {
                stopped = true;
                // Ends the walk; the reason is `stopped`.
                return Err(XmlError::Content {
                    position: Position::default(),
                    message: "the store stopped taking items".to_owned(),
                });
            }
        }
        Ok(())
    });
    if stopped {
        return Err(Unread::Stopped);
    }
    // The rest of the file (after the document, or after an error) is hashed too, up to
    // the limit: the hash is the file's.
    std::io::copy(&mut reader, &mut std::io::sink()).map_err(Unread::Io)?;
    let hashing = reader.into_inner();
    if hashing.bytes_read() > max {
        return Err(Unread::TooLarge(hashing.bytes_read()));
    }
    let header = walked.map_err(Unread::Xml)?;
    if !chunk.is_empty() && sender.blocking_send(chunk).is_err() {
        return Err(Unread::Stopped);
    }
    Ok(WholeReport {
        sha256: hashing.hex(),
        message_id: Some(header.message_id).filter(|id| !id.is_empty()),
    })
}
