//! `tahsil audit verify`: walks the audit trail's hash chain and names the first broken link
//! (exit 1), or prints the head it checked (exit 0); `--anchor SEQ:HASH` checks it against a
//! head kept outside the database too (one printed earlier by `audit head`, logged by
//! `serve` or carried by an evidence pack), so a history cut back and re-headed is caught.
//! `tahsil audit head` prints the head as `SEQ:HASH`. The walk is `crate::store`'s.

use std::process::ExitCode;

use clap::Subcommand;

use crate::app;
use crate::config::Config;
use crate::store::{AuditBreak, AuditHead};

#[derive(Debug, Subcommand)]
pub(super) enum AuditCommand {
    /// Walk the chain; exit 1 naming the first broken link, else print its head.
    Verify {
        /// A head printed earlier (`tahsil audit head`, the daily log line, an evidence
        /// pack), written SEQ:HASH: the chain must still reach it, through the same hash.
        #[arg(long, value_name = "SEQ:HASH", value_parser = parse_anchor)]
        anchor: Option<AuditHead>,
    },
    /// Print the chain's head (SEQ:HASH), to keep outside the database.
    Head,
}

fn parse_anchor(text: &str) -> Result<AuditHead, String> {
    text.parse()
}

pub(super) async fn audit(config: Config, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let code = match command {
        AuditCommand::Head => {
            println!("{}", store.audit_head().await?);
            ExitCode::SUCCESS
        }
        AuditCommand::Verify { anchor } => {
            let walked = store.verify_audit(anchor.as_ref()).await?;
            let earlier = if walked.earlier_entries > 0 {
                format!(
                    " (after {} entries written before the chain)",
                    walked.earlier_entries
                )
            } else {
                String::new()
            };
            match walked.broken {
                None => {
                    println!(
                        "audit chain intact: {} entries{earlier}; head {}",
                        walked.entries, walked.last
                    );
                    ExitCode::SUCCESS
                }
                Some(broken) => {
                    eprintln!(
                        "audit chain broken: {}; the chain holds up to {}",
                        describe(&broken),
                        walked.last
                    );
                    ExitCode::FAILURE
                }
            }
        }
    };
    store.close().await;
    Ok(code)
}

/// The first broken link in words.
fn describe(broken: &AuditBreak) -> String {
    match broken {
        AuditBreak::EarlierEntriesChanged { through } => format!(
            "the entries written before the chain (ids up to {through}) were edited, removed \
             or added: they no longer hash to the start of the chain"
        ),
        AuditBreak::Missing { from, to } if from == to => {
            format!("entry {from} is missing (deleted): a gap in the sequence")
        }
        AuditBreak::Missing { from, to } => {
            format!("entries {from} to {to} are missing (deleted): a gap in the sequence")
        }
        AuditBreak::Edited { seq, id } => {
            format!("entry {seq} (row {id}) was edited: its content no longer matches its hash")
        }
        AuditBreak::Relinked { seq, id } => format!(
            "entry {seq} (row {id}) does not carry the hash of entry {}: that entry was \
             replaced with a re-computed hash, or this one was put in",
            seq - 1
        ),
        AuditBreak::AnchorDiffers { anchor, found } => format!(
            "entry {} has the hash {found}, not the anchor's {}: the history up to the \
             anchor was rewritten",
            anchor.seq, anchor.hash
        ),
        AuditBreak::TruncatedBeforeAnchor { last, anchor } => format!(
            "truncated: the anchor names entry {} but the chain ends at entry {}",
            anchor.seq, last.seq
        ),
        AuditBreak::Truncated { last, head } => format!(
            "truncated: the head names entry {} ({}) but the chain ends at entry {}",
            head.seq, head.hash, last.seq
        ),
        AuditBreak::HeadDiffers { last, head } => {
            format!("the recorded head {head} does not match the chain's last entry {last}")
        }
        AuditBreak::Unchained { id } => {
            format!("row {id} has no place in the chain: it was written around the store")
        }
    }
}
