//! `tahsil receipts pdf NUMBER --out FILE`: the receipt that bears NUMBER as a PDF in
//! Arabic and French (the document is `crate::documents`'), written privately (0600).
//! An unknown number exits 1 saying so; nothing is written then.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::app;
use crate::config::Config;
use crate::documents::{ReceiptFacts, receipt_pdf};
use crate::private::Access;

#[derive(Debug, Subcommand)]
pub(super) enum ReceiptsCommand {
    /// Write the receipt numbered NUMBER (RC-YYYY-NNNNNNNN) as a PDF to FILE.
    Pdf {
        #[arg(value_name = "NUMBER")]
        number: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

pub(super) async fn receipts(config: Config, command: ReceiptsCommand) -> anyhow::Result<ExitCode> {
    let ReceiptsCommand::Pdf { number, out } = command;
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let found = store.receipt_by_number(&number).await;
    let Some(receipt) = found? else {
        store.close().await;
        println!(
            "no receipt is numbered {:?}: check the number (RC-YYYY-NNNNNNNN, as on the receipt e-mail or the portal's receipt page)",
            number.trim()
        );
        return Ok(ExitCode::from(1));
    };
    let employer = store.employer(receipt.collection.employer_id).await;
    let bank_name = store
        .banks()
        .name(&receipt.collection.bank_code)
        .map(str::to_owned);
    store.close().await;
    let employer = employer?;
    let pdf = receipt_pdf(&ReceiptFacts {
        fund: &config.creditor_name,
        receipt: &receipt,
        employer: &employer,
        bank_name: bank_name.as_deref(),
    })?;
    write_private(&out, &pdf)?;
    println!(
        "receipt {} of employer {} written to {} ({} bytes)",
        receipt.number,
        employer.affiliation_number,
        out.display(),
        pdf.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `bytes` into `path`, readable by its owner alone.
pub(super) fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut file = Access::PRIVATE
        .create(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}
