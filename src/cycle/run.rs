//! The run: for one collection date, the debit files of every channel, written whole or
//! not at all, recorded with their hashes and totals (see `store::runs` for the order of
//! steps and why a crash at any point is safe).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use bank_formats::iso20022::{
    AccountIdentifier, Agent, DirectDebit, GroupHeader, Pain008Writer, PaymentInfo, SequenceType,
};
use bank_formats::layout::{
    BatchedDebitWriter, DebitFileHeader, DebitFileWriter, DebitInstruction,
};
use chrono::{NaiveDate, NaiveDateTime};
use mandates::{Amount, Channel};
use serde::Serialize;

use super::exchange::{self, Folder, HashingWriter};
use super::{CycleSettings, DebitFormat, Institution};
use crate::locale::algiers_time;
use crate::progress::Progress;
use crate::store::{
    Actor, BankFileRecord, DebitDetail, FileBlock, NewBankFile, RecheckSummary, Store,
};

/// What a run did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunSummary {
    pub collection_date: String,
    pub recheck: RecheckSummary,
    /// Files this pass wrote (a second run of the same date writes none).
    pub files: Vec<RunFile>,
    /// Files of an interrupted earlier run put in place by this one.
    pub recovered: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunFile {
    pub institution: crate::store::Institution,
    pub channel: Channel,
    pub path: PathBuf,
    pub format: String,
    pub transactions: i64,
    pub control_sum: Amount,
    pub sha256: String,
}

impl RunSummary {
    pub fn transactions(&self, channel: Channel) -> i64 {
        self.files
            .iter()
            .filter(|f| f.channel == channel)
            .map(|f| f.transactions)
            .sum()
    }
    pub fn amount(&self, channel: Channel) -> Amount {
        Amount::checked_sum(
            self.files
                .iter()
                .filter(|f| f.channel == channel)
                .map(|f| f.control_sum),
        )
        .unwrap_or(Amount::ZERO)
    }
}

/// One file to write: its identity and its blocks (one per sequence type).
#[derive(Clone, Debug)]
struct FilePlan {
    institution: Institution,
    sequence: i64,
    file_name: String,
    message_id: String,
    created_at: NaiveDateTime,
    blocks: Vec<FileBlock>,
}

impl FilePlan {
    /// Where the file goes: its institution's outbox.
    fn path(&self, settings: &CycleSettings) -> PathBuf {
        settings
            .folder(self.institution.name.as_str(), Folder::Outbox)
            .join(&self.file_name)
    }
    /// The file as planned: hash and size unknown until written.
    fn new_file(&self) -> NewBankFile {
        NewBankFile {
            institution: self.institution.name,
            channel: self.institution.name.channel(),
            sequence: self.sequence,
            file_name: self.file_name.clone(),
            format: self.institution.format.name(),
            message_id: self.message_id.clone(),
            created_at: self.created_at,
            transactions: self.count(),
            control_sum: self.total(),
            sha256: String::new(),
            size_bytes: 0,
            blocks: self.blocks.clone(),
        }
    }
    fn total(&self) -> Amount {
        Amount::checked_sum(self.blocks.iter().map(|b| b.amount)).unwrap_or(Amount::ZERO)
    }
    fn count(&self) -> u64 {
        self.blocks.iter().map(|b| b.count).sum()
    }
}

fn file_name(institution: &Institution, date: NaiveDate, sequence: i64) -> String {
    format!(
        "{}-{}-{sequence:06}.{}",
        institution.name,
        date.format("%Y%m%d"),
        institution.format.extension()
    )
}

fn message_id(institution: &Institution, date: NaiveDate, sequence: i64) -> String {
    format!(
        "TSL-{}-{}-{sequence:06}",
        institution.name.as_str().to_uppercase(),
        date.format("%Y%m%d")
    )
}

/// Builds the files of `date`: see the module docs. Running a date again writes nothing
/// new unless new collections were planned for it since.
pub async fn run_date(
    store: &Store,
    settings: &CycleSettings,
    actor: &Actor,
    date: NaiveDate,
    holder: &str,
) -> anyhow::Result<RunSummary> {
    run_date_with_progress(store, settings, actor, date, holder, &Progress::new()).await
}

/// [`run_date`], reporting its stages and the debits written into `progress`.
pub async fn run_date_with_progress(
    store: &Store,
    settings: &CycleSettings,
    actor: &Actor,
    date: NaiveDate,
    holder: &str,
    progress: &Arc<Progress>,
) -> anyhow::Result<RunSummary> {
    progress.stage(format!("run of {date}: locking"), 0);
    let lock = store.lock_run(date, holder, settings.run_lease).await?;
    let mut summary = RunSummary {
        collection_date: date.to_string(),
        ..RunSummary::default()
    };
    // A previous holder died after recording: put its files in place first.
    summary.recovered = finish_recorded(store, settings, actor, lock.run_id).await?;
    let compact = date.format("%Y%m%d").to_string();
    for institution in &settings.institutions {
        exchange::remove_temporaries(
            &settings.folder(institution.name.as_str(), Folder::Outbox),
            &format!("{}-{compact}-", institution.name),
        )?;
    }
    let started = std::time::Instant::now();
    progress.stage("re-checking planned debits", 0);
    summary.recheck = store
        .recheck_planned(actor, date, settings.policy.latest_notice_date(date))
        .await?;
    tracing::debug!(elapsed = ?started.elapsed(), "run: re-checked planned collections");

    let created_at = algiers_time(store.clock().now());
    // Each channel's split into files, computed by the database for both channels at once.
    let channel_blocks =
        futures_util::future::try_join_all(settings.institutions.iter().map(|institution| {
            store.run_blocks(date, institution.name.channel(), institution.max_per_file)
        }))
        .await?;
    let mut plans: Vec<FilePlan> = Vec::new();
    for (institution, blocks) in settings.institutions.iter().zip(channel_blocks) {
        let Some(last) = blocks.last().map(|b| b.file) else {
            continue;
        };
        let first_sequence = store.next_file_sequence(institution.name).await?;
        for (file, sequence) in (0..=last).zip(first_sequence..) {
            plans.push(FilePlan {
                institution: institution.clone(),
                sequence,
                file_name: file_name(institution, date, sequence),
                message_id: message_id(institution, date, sequence),
                created_at,
                blocks: blocks.iter().filter(|b| b.file == file).cloned().collect(),
            });
        }
    }
    // Every file at once, each from its own stream: the database, the decryption and
    // the writers of several files share the cores. Meanwhile one transaction records the
    // files as planned and marks their collections submitted (the streams read the
    // committed, still planned, rows); it commits only once every file is written and
    // matches its plan. With a pool of one connection, it records after writing.
    let purposes: Vec<String> = plans
        .iter()
        .map(|plan| format!("debit file {}", plan.file_name))
        .collect();
    store.audit_decryption(actor, &purposes).await?;
    tracing::debug!(elapsed = ?started.elapsed(), files = plans.len(), "run: files planned");
    let planned: Vec<NewBankFile> = plans.iter().map(FilePlan::new_file).collect();
    progress.stage(
        format!("writing {} debit files", plans.len()),
        plans.iter().map(FilePlan::count).sum(),
    );
    // One connection per file stream, and one for the recording: never more streams at
    // once than the pool has connections to spare (the rest wait their turn).
    let streams = Arc::new(tokio::sync::Semaphore::new(
        store.max_connections().saturating_sub(1).max(1) as usize,
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, plan) in plans.iter().cloned().enumerate() {
        let (store, settings) = (store.clone(), settings.clone());
        let progress = Arc::clone(progress);
        let streams = Arc::clone(&streams);
        tasks.spawn(async move {
            let _stream = streams.acquire_owned().await;
            let written = write_file(&store, &settings, date, &plan, &progress).await;
            (index, written)
        });
    }
    let write_all = async {
        let mut written: Vec<Option<(NewBankFile, PathBuf)>> = vec![None; plans.len()];
        let mut failure: Option<anyhow::Error> = None;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, Ok(file))) => written[index] = Some(file),
                Ok((_, Err(err))) => failure = failure.or(Some(err)),
                Err(err) => {
                    failure = failure.or(Some(anyhow::anyhow!("writing a file failed: {err}")));
                }
            }
        }
        (written, failure)
    };
    let (recording, (written, failure)) = if store.max_connections() > 1 {
        let recording = async {
            let recording = store.begin_recording(actor, &lock, &planned).await;
            tracing::debug!(elapsed = ?started.elapsed(), "run: collections marked submitted");
            recording
        };
        let (recording, written) = tokio::join!(recording, write_all);
        (Some(recording), written)
    } else {
        (None, write_all.await)
    };
    tracing::debug!(elapsed = ?started.elapsed(), files = plans.len(), "run: files written");
    let written: Vec<(NewBankFile, PathBuf)> = written.into_iter().flatten().collect();
    // On any failure, every plan's temporary file goes (a writer that panicked left its own).
    let discard = || {
        for plan in &plans {
            let _ = std::fs::remove_file(exchange::temporary_path(&plan.path(settings)));
        }
    };
    if let Some(err) = failure {
        discard();
        return Err(err);
    }
    progress.stage("recording the files", 0);
    let recording = match recording {
        Some(recording) => recording,
        None => store.begin_recording(actor, &lock, &planned).await,
    };
    let new_files: Vec<NewBankFile> = written.iter().map(|(f, _)| f.clone()).collect();
    let records = match recording {
        Ok(recording) => recording.finish(&new_files).await,
        Err(err) => Err(err),
    };
    let records = match records {
        Ok(records) => records,
        Err(err) => {
            discard();
            return Err(err.into());
        }
    };
    tracing::debug!(elapsed = ?started.elapsed(), "run: files recorded");
    for (record, (_, path)) in records.iter().zip(&written) {
        exchange::publish(path, &record.sha256, settings.access)?;
        summary.files.push(run_file(record, path.clone()));
    }
    store.complete_run(&lock).await?;
    Ok(summary)
}

fn run_file(record: &BankFileRecord, path: PathBuf) -> RunFile {
    RunFile {
        institution: record.institution,
        channel: record.channel,
        path,
        format: record.format.clone(),
        transactions: record.transactions,
        control_sum: Amount::from_centimes(record.control_sum_centimes),
        sha256: record.sha256.clone(),
    }
}

/// Writes one planned file from its database stream; the builder checks the stream
/// against the plan's blocks (counts and sums).
async fn write_file(
    store: &Store,
    settings: &CycleSettings,
    date: NaiveDate,
    plan: &FilePlan,
    progress: &Progress,
) -> anyhow::Result<(NewBankFile, PathBuf)> {
    let institution = &plan.institution;
    let path = plan.path(settings);
    let mut builder = FileBuilder::open(settings, institution, date, plan, path.clone())?;
    let streamed = store
        .for_each_debit_in_blocks(date, institution.name.channel(), &plan.blocks, |detail| {
            progress.advance(1);
            builder.add(&detail)
        })
        .await;
    let closed = streamed
        .map_err(anyhow::Error::from)
        .and_then(|()| builder.close());
    if closed.is_err() {
        let _ = std::fs::remove_file(exchange::temporary_path(&path));
    }
    closed
}

enum Output {
    Iso(Box<Pain008Writer<HashingWriter<BufWriter<File>>>>),
    Layout(Box<DebitFileWriter<'static, HashingWriter<BufWriter<File>>>>),
    Batched(Box<BatchedDebitWriter<'static, HashingWriter<BufWriter<File>>>>),
}

/// One file being written under its temporary name.
struct FileBuilder {
    output: Output,
    new_file: NewBankFile,
    path: PathBuf,
    blocks: Vec<FileBlock>,
    /// Debits written so far per block (count, sum): checked against the plan at close.
    written: Vec<(u64, Amount)>,
    /// Index of the block being written.
    block: Option<usize>,
    payment_prefix: String,
    date: NaiveDate,
    settings_creditor: super::Creditor,
}

impl FileBuilder {
    fn open(
        settings: &CycleSettings,
        institution: &Institution,
        date: NaiveDate,
        plan: &FilePlan,
        path: PathBuf,
    ) -> anyhow::Result<FileBuilder> {
        let out = exchange::create_temporary(&path, settings.access)?;
        let total = plan.total();
        let count = plan.count();
        // The fund as this institution's files name it: its account there (the bank RIB,
        // or the postal RIP the postal layout asks for).
        let creditor = &super::Creditor {
            account: institution.creditor_account.clone(),
            ..settings.creditor.clone()
        };
        let output = match &institution.format {
            DebitFormat::Iso(version, charset, rules) => {
                Output::Iso(Box::new(Pain008Writer::with_rules(
                    out,
                    *version,
                    *charset,
                    rules.clone(),
                    GroupHeader {
                        message_id: plan.message_id.clone(),
                        created_at: plan.created_at,
                        number_of_transactions: count,
                        control_sum: total,
                        initiating_party: creditor.name.clone(),
                    },
                )?))
            }
            DebitFormat::Layout(layout) => Output::Layout(Box::new(DebitFileWriter::new(
                layout,
                &layout_header(plan, date, creditor),
                out,
            )?)),
            DebitFormat::Batched(layout) => Output::Batched(Box::new(BatchedDebitWriter::new(
                layout,
                &layout_header(plan, date, creditor),
                out,
            )?)),
        };
        Ok(FileBuilder {
            output,
            new_file: plan.new_file(),
            path,
            blocks: plan.blocks.clone(),
            written: vec![(0, Amount::ZERO); plan.blocks.len()],
            block: None,
            payment_prefix: plan.message_id.clone(),
            date,
            settings_creditor: creditor.clone(),
        })
    }

    fn add(&mut self, detail: &DebitDetail) -> anyhow::Result<()> {
        let Some(index) = self.blocks.iter().position(|b| {
            b.sequence_type == detail.sequence_type && (b.first_id..=b.last_id).contains(&detail.id)
        }) else {
            bail!(
                "collection {} is not in the planned blocks of {}: run again",
                detail.id,
                self.new_file.file_name
            );
        };
        let written = &mut self.written[index];
        written.0 += 1;
        written.1 = written.1.checked_add(detail.amount).unwrap_or(written.1);
        let new_block = self.block != Some(index);
        if new_block && written.0 != 1 {
            bail!(
                "{}: the debits came out of file order",
                self.new_file.file_name
            );
        }
        self.block = Some(index);
        match &mut self.output {
            Output::Iso(writer) => {
                if new_block {
                    let block = &self.blocks[index];
                    let creditor = &self.settings_creditor;
                    writer.begin_payment(&PaymentInfo {
                        payment_id: format!("{}-{}", self.payment_prefix, block.sequence_type),
                        collection_date: self.date,
                        sequence_type: SequenceType::from_code(&block.sequence_type)
                            .unwrap_or(SequenceType::Recurrent),
                        creditor_name: creditor.name.clone(),
                        creditor_account: AccountIdentifier::from(&creditor.account),
                        creditor_agent: Agent::Code(creditor.account.bank_code().to_owned()),
                        creditor_scheme_id: creditor.id.clone(),
                        batch_booking: true,
                        number_of_transactions: block.count,
                        control_sum: block.amount,
                    })?;
                }
                writer.add(&DirectDebit {
                    end_to_end_id: detail.end_to_end_id.clone(),
                    amount: detail.amount,
                    mandate_id: detail.mandate_reference.clone(),
                    mandate_signed_on: detail.mandate_signed_on,
                    debtor_name: detail.debtor_name.clone(),
                    debtor_account: AccountIdentifier::from(&detail.account),
                    debtor_agent: Agent::Code(detail.account.bank_code().to_owned()),
                    remittance: remittance(detail, self.date),
                })?;
            }
            Output::Layout(writer) => writer.add(&instruction(detail, self.date))?,
            Output::Batched(writer) => writer.add(&instruction(detail, self.date))?,
        }
        Ok(())
    }

    /// Finishes the file (trailer, totals checked), syncs it; returns it ready to record.
    fn close(mut self) -> anyhow::Result<(NewBankFile, PathBuf)> {
        for (block, (count, sum)) in self.blocks.iter().zip(&self.written) {
            if *count != block.count || *sum != block.amount {
                bail!(
                    "the collections changed while {} was written ({} {} debits for {} written, {} for {} planned): nothing recorded, run again",
                    self.new_file.file_name,
                    count,
                    block.sequence_type,
                    sum,
                    block.count,
                    block.amount
                );
            }
        }
        let hashing = match self.output {
            Output::Iso(writer) => (*writer).finish()?,
            // The trailer's count and sum are computed from what was written.
            Output::Layout(writer) => planned_totals(&self.new_file, (*writer).finish_into()?)?,
            Output::Batched(writer) => planned_totals(&self.new_file, (*writer).finish_into()?)?,
        };
        let (buffered, sha256, size) = hashing.finish();
        exchange::sync_temporary(buffered)?;
        self.new_file.sha256 = sha256;
        self.new_file.size_bytes = size;
        Ok((self.new_file, self.path))
    }
}

/// The output of a fixed-width file, once its written count and sum are the planned ones.
fn planned_totals<W>(
    new_file: &NewBankFile,
    (totals, out): (bank_formats::layout::FileTotals, W),
) -> anyhow::Result<W> {
    if totals.count != new_file.transactions || totals.total != new_file.control_sum {
        bail!(
            "{}: wrote {} debits for {} but planned {} for {}",
            new_file.file_name,
            totals.count,
            totals.total,
            new_file.transactions,
            new_file.control_sum
        );
    }
    Ok(out)
}

/// The header of a fixed-width debit file (single-batch or batched) of `plan`.
fn layout_header(plan: &FilePlan, date: NaiveDate, creditor: &super::Creditor) -> DebitFileHeader {
    DebitFileHeader {
        file_reference: plan.message_id.clone(),
        creation_date: plan.created_at.date(),
        collection_date: date,
        creditor_name: creditor.name.clone(),
        creditor_account: creditor.account.digits().to_owned(),
        creditor_id: creditor.id.clone(),
    }
}

/// One debit as the fixed-width layouts write it.
fn instruction(detail: &DebitDetail, date: NaiveDate) -> DebitInstruction {
    DebitInstruction {
        end_to_end_id: detail.end_to_end_id.clone(),
        account_digits: detail.account.digits().to_owned(),
        debtor_name: detail.debtor_name.clone(),
        amount: detail.amount,
        mandate_reference: detail.mandate_reference.clone(),
        collection_date: date,
    }
}

/// The remittance line: who, which due date, and the reference to the breakdown the
/// employer received in its advance notice (bounded well under the 140 characters).
fn remittance(detail: &DebitDetail, date: NaiveDate) -> String {
    format!(
        "CACOBATPH cotisations aff {} echeance {} ref {}",
        detail.affiliation_number,
        date.format("%Y-%m-%d"),
        detail.end_to_end_id
    )
}

/// Puts the recorded files of a run in place (after a crash between recording and
/// renaming): the temporary file when its hash matches, else the same bytes regenerated
/// from the records, checked against the recorded hash. Returns how many it fixed.
pub async fn finish_recorded(
    store: &Store,
    settings: &CycleSettings,
    actor: &Actor,
    run_id: i64,
) -> anyhow::Result<u64> {
    let mut fixed = 0;
    for record in store.bank_files_of_run(run_id).await? {
        let path = settings
            .folder(record.institution.as_str(), Folder::Outbox)
            .join(&record.file_name);
        let sum_path = path.with_file_name(format!("{}.sha256", record.file_name));
        if path.exists() && sum_path.exists() {
            continue;
        }
        if path.exists() {
            if exchange::sha256_of(&path)? != record.sha256 {
                bail!(
                    "{} does not match its recorded hash: it was changed after it was written",
                    path.display()
                );
            }
            exchange::write_atomically(
                &sum_path,
                format!("{}  {}\n", record.sha256, record.file_name).as_bytes(),
                settings.access,
            )?;
            fixed += 1;
            continue;
        }
        let tmp = exchange::temporary_path(&path);
        if !(tmp.exists() && exchange::sha256_of(&tmp)? == record.sha256) {
            regenerate(store, settings, actor, &record, &path).await?;
        }
        exchange::publish(&path, &record.sha256, settings.access)?;
        fixed += 1;
    }
    Ok(fixed)
}

async fn regenerate(
    store: &Store,
    settings: &CycleSettings,
    actor: &Actor,
    record: &BankFileRecord,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let institution = settings
        .institution(record.institution)
        .with_context(|| format!("{} is not a configured institution", record.institution))?;
    if institution.format.name() != record.format {
        bail!(
            "{} was written as {} but {} is now configured as {}: cannot regenerate it",
            record.file_name,
            record.format,
            record.institution,
            institution.format.name()
        );
    }
    let date = NaiveDate::parse_from_str(&record.collection_date, "%Y-%m-%d")?;
    let created_at = NaiveDateTime::parse_from_str(&record.created_at, "%Y-%m-%dT%H:%M:%S")?;
    let blocks = store.file_blocks(record.id).await?;
    let plan = FilePlan {
        institution: institution.clone(),
        sequence: record.sequence,
        file_name: record.file_name.clone(),
        message_id: record.message_id.clone(),
        created_at,
        blocks,
    };
    let mut builder = Some(FileBuilder::open(
        settings,
        institution,
        date,
        &plan,
        path.to_path_buf(),
    )?);
    store
        .for_each_debit_in_file(actor, record, |detail| match builder.as_mut() {
            Some(b) => b.add(&detail),
            None => bail!("file already closed"),
        })
        .await?;
    let Some(builder) = builder else {
        bail!("file already closed");
    };
    let (new_file, _) = builder.close()?;
    if new_file.sha256 != record.sha256 {
        let _ = std::fs::remove_file(exchange::temporary_path(path));
        bail!(
            "{}: regenerating it gave different bytes than recorded (hash {} instead of {}); staff must look at it",
            record.file_name,
            new_file.sha256,
            record.sha256
        );
    }
    Ok(())
}
