//! The run: for one collection date, the debit files of every channel, written whole or
//! not at all, recorded with their hashes and totals (see `store::runs` for the order of
//! steps and why a crash at any point is safe).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use anyhow::{Context, bail};
use bank_formats::iso20022::{
    AccountIdentifier, Agent, DirectDebit, GroupHeader, Pain008Writer, PaymentInfo, SequenceType,
};
use bank_formats::layout::{LayoutWriter, Record, RecordRole, Value};
use chrono::{NaiveDate, NaiveDateTime};
use mandates::Amount;
use serde::Serialize;

use super::exchange::{self, Folder, HashingWriter};
use super::{CycleSettings, DebitFormat, Institution};
use crate::store::{
    Actor, BankFileRecord, DebitDetail, NewBankFile, RecheckSummary, RunItem, Store,
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
    pub institution: String,
    pub channel: String,
    pub path: PathBuf,
    pub format: String,
    pub transactions: i64,
    pub control_sum: Amount,
    pub sha256: String,
}

impl RunSummary {
    pub fn transactions(&self, channel: &str) -> i64 {
        self.files
            .iter()
            .filter(|f| f.channel == channel)
            .map(|f| f.transactions)
            .sum()
    }
    pub fn amount(&self, channel: &str) -> Amount {
        Amount::checked_sum(
            self.files
                .iter()
                .filter(|f| f.channel == channel)
                .map(|f| f.control_sum),
        )
        .unwrap_or(Amount::ZERO)
    }
}

/// One file to write: its identity and the slice of run items it holds.
#[derive(Clone, Debug)]
struct FilePlan {
    sequence: i64,
    file_name: String,
    message_id: String,
    created_at: NaiveDateTime,
    items: Vec<RunItem>,
}

impl FilePlan {
    fn total(&self) -> Amount {
        Amount::checked_sum(self.items.iter().map(|i| i.amount)).unwrap_or(Amount::ZERO)
    }
    /// (sequence type, first id, last id, count, sum) per block, in order.
    fn blocks(&self) -> Vec<(String, i64, i64, u64, Amount)> {
        let mut blocks: Vec<(String, i64, i64, u64, Amount)> = Vec::new();
        for item in &self.items {
            match blocks.last_mut() {
                Some(block) if block.0 == item.sequence_type => {
                    block.2 = item.id;
                    block.3 += 1;
                    block.4 = block.4.checked_add(item.amount).unwrap_or(block.4);
                }
                _ => blocks.push((item.sequence_type.clone(), item.id, item.id, 1, item.amount)),
            }
        }
        blocks
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
        institution.name.to_uppercase(),
        date.format("%Y%m%d")
    )
}

/// Algiers local time (UTC+1, no daylight saving), to the second.
fn algiers_now() -> NaiveDateTime {
    use chrono::Timelike;
    let now = (chrono::Utc::now() + chrono::Duration::hours(1)).naive_utc();
    now.with_nanosecond(0).unwrap_or(now)
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
            &settings.folder(institution.name, Folder::Outbox),
            &format!("{}-{compact}-", institution.name),
        )?;
    }
    let started = std::time::Instant::now();
    summary.recheck = store
        .recheck_planned(actor, date, settings.policy.latest_notice_date(date))
        .await?;
    tracing::info!(elapsed = ?started.elapsed(), "run: re-checked planned collections");

    let created_at = algiers_now();
    let mut written: Vec<(NewBankFile, PathBuf)> = Vec::new();
    let outcome: anyhow::Result<()> = async {
        for institution in &settings.institutions {
            let items = store.run_items(date, institution.channel).await?;
            if items.is_empty() {
                continue;
            }
            let first_sequence = store.next_file_sequence(institution.name).await?;
            let plans: Vec<FilePlan> = items
                .chunks(settings.policy.max_per_file.max(1) as usize)
                .zip(first_sequence..)
                .map(|(chunk, sequence)| FilePlan {
                    sequence,
                    file_name: file_name(institution, date, sequence),
                    message_id: message_id(institution, date, sequence),
                    created_at,
                    items: chunk.to_vec(),
                })
                .collect();
            let files = write_channel(store, settings, actor, institution, date, &plans).await?;
            tracing::info!(elapsed = ?started.elapsed(), channel = institution.channel, files = files.len(), "run: files written");
            written.extend(files);
        }
        Ok(())
    }
    .await;
    if let Err(err) = outcome {
        discard(&written);
        return Err(err);
    }
    let new_files: Vec<NewBankFile> = written.iter().map(|(f, _)| f.clone()).collect();
    let records = match store.record_files(actor, &lock, &new_files).await {
        Ok(records) => records,
        Err(err) => {
            discard(&written);
            return Err(err.into());
        }
    };
    tracing::info!(elapsed = ?started.elapsed(), "run: files recorded");
    for (record, (_, path)) in records.iter().zip(&written) {
        exchange::publish(path, &record.sha256)?;
        summary.files.push(run_file(record, path.clone()));
    }
    store.complete_run(&lock).await?;
    Ok(summary)
}

fn run_file(record: &BankFileRecord, path: PathBuf) -> RunFile {
    RunFile {
        institution: record.institution.clone(),
        channel: record.channel.clone(),
        path,
        format: record.format.clone(),
        transactions: record.transactions,
        control_sum: Amount::from_centimes(record.control_sum_centimes),
        sha256: record.sha256.clone(),
    }
}

fn discard(written: &[(NewBankFile, PathBuf)]) {
    for (_, path) in written {
        let _ = std::fs::remove_file(exchange::temporary_path(path));
    }
}

/// Writes one channel's files from the database stream, checking the stream is the list
/// the split was planned on.
async fn write_channel(
    store: &Store,
    settings: &CycleSettings,
    actor: &Actor,
    institution: &Institution,
    date: NaiveDate,
    plans: &[FilePlan],
) -> anyhow::Result<Vec<(NewBankFile, PathBuf)>> {
    let outbox = settings.folder(institution.name, Folder::Outbox);
    let mut done: Vec<(NewBankFile, PathBuf)> = Vec::new();
    let mut current: Option<FileBuilder> = None;
    let mut plan_index = 0usize;
    let mut item_index = 0usize;
    store
        .for_each_debit(actor, date, institution.channel, |detail| {
            loop {
                let Some(plan) = plans.get(plan_index) else {
                    bail!("more collections than planned for {date}: run again");
                };
                if item_index == plan.items.len() {
                    if let Some(builder) = current.take() {
                        done.push(builder.close()?);
                    }
                    plan_index += 1;
                    item_index = 0;
                    continue;
                }
                if plan.items[item_index].id != detail.id {
                    bail!(
                        "the collections of {date} changed while the files were written: run again"
                    );
                }
                if current.is_none() {
                    current = Some(FileBuilder::open(
                        settings,
                        institution,
                        date,
                        plan,
                        outbox.join(&plan.file_name),
                    )?);
                }
                if let Some(builder) = current.as_mut() {
                    builder.add(&detail)?;
                }
                item_index += 1;
                return Ok(());
            }
        })
        .await?;
    if let Some(builder) = current.take() {
        done.push(builder.close()?);
        plan_index += 1;
    }
    if plan_index != plans.len() {
        discard(&done);
        bail!("fewer collections than planned for {date}: run again");
    }
    Ok(done)
}

enum Output {
    Iso(Box<Pain008Writer<HashingWriter<BufWriter<File>>>>),
    Layout(Box<LayoutWriter<'static, HashingWriter<BufWriter<File>>>>),
}

/// One file being written under its temporary name.
struct FileBuilder {
    output: Output,
    new_file: NewBankFile,
    path: PathBuf,
    blocks: Vec<(String, i64, i64, u64, Amount)>,
    block: Option<String>,
    payment_prefix: String,
    date: NaiveDate,
    settings_creditor: super::Creditor,
    layout_detail: Option<bank_formats::layout::RecordDef>,
}

impl FileBuilder {
    fn open(
        settings: &CycleSettings,
        institution: &Institution,
        date: NaiveDate,
        plan: &FilePlan,
        path: PathBuf,
    ) -> anyhow::Result<FileBuilder> {
        let out = exchange::create_temporary(&path)?;
        let total = plan.total();
        let count = plan.items.len() as u64;
        let creditor = &settings.creditor;
        let output = match institution.format {
            DebitFormat::Iso(version, charset) => Output::Iso(Box::new(Pain008Writer::new(
                out,
                version,
                charset,
                GroupHeader {
                    message_id: plan.message_id.clone(),
                    created_at: plan.created_at,
                    number_of_transactions: count,
                    control_sum: total,
                    initiating_party: creditor.name.clone(),
                },
            )?)),
            DebitFormat::Layout(layout) => {
                let mut writer = LayoutWriter::new(layout, out);
                let def = layout.header();
                let mut header = Record::new(RecordRole::Header);
                let mut set = |name: &str, value: Value| {
                    if def.has_field(name) {
                        header.set(name, value);
                    }
                };
                set("file_reference", Value::text(&plan.message_id));
                set("creation_date", Value::Date(plan.created_at.date()));
                set("collection_date", Value::Date(date));
                set("creditor_account", Value::digits(creditor.account.digits()));
                set("creditor_id", Value::text(&creditor.id));
                set("creditor_name", Value::text(&creditor.name));
                set("currency", Value::text("DZD"));
                writer.write_header(&header)?;
                Output::Layout(Box::new(writer))
            }
        };
        Ok(FileBuilder {
            output,
            new_file: NewBankFile {
                institution: institution.name.to_owned(),
                channel: institution.channel.to_owned(),
                sequence: plan.sequence,
                file_name: plan.file_name.clone(),
                format: institution.format.name(),
                message_id: plan.message_id.clone(),
                created_at: plan.created_at,
                transactions: count,
                control_sum: total,
                sha256: String::new(),
                size_bytes: 0,
                blocks: Vec::new(),
            },
            path,
            blocks: plan.blocks(),
            block: None,
            payment_prefix: plan.message_id.clone(),
            date,
            settings_creditor: creditor.clone(),
            layout_detail: match institution.format {
                DebitFormat::Layout(layout) => Some(layout.detail().clone()),
                DebitFormat::Iso(..) => None,
            },
        })
    }

    fn add(&mut self, detail: &DebitDetail) -> anyhow::Result<()> {
        match &mut self.output {
            Output::Iso(writer) => {
                if self.block.as_deref() != Some(detail.sequence_type.as_str()) {
                    let Some(block) = self.blocks.iter().find(|b| b.0 == detail.sequence_type)
                    else {
                        bail!("collection {} is not in the planned blocks", detail.id);
                    };
                    let creditor = &self.settings_creditor;
                    writer.begin_payment(&PaymentInfo {
                        payment_id: format!("{}-{}", self.payment_prefix, block.0),
                        collection_date: self.date,
                        sequence_type: SequenceType::from_code(&block.0)
                            .unwrap_or(SequenceType::Recurrent),
                        creditor_name: creditor.name.clone(),
                        creditor_account: AccountIdentifier::from(&creditor.account),
                        creditor_agent: Agent::Code(creditor.account.bank_code().to_owned()),
                        creditor_scheme_id: creditor.id.clone(),
                        batch_booking: true,
                        number_of_transactions: block.3,
                        control_sum: block.4,
                    })?;
                    self.block = Some(detail.sequence_type.clone());
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
            Output::Layout(writer) => {
                let def = self.layout_detail.as_ref();
                let mut record = Record::new(RecordRole::Detail);
                let mut set = |name: &str, value: Value| {
                    if def.is_some_and(|d| d.has_field(name)) {
                        record.set(name, value);
                    }
                };
                set("account", Value::digits(detail.account.digits()));
                set("debtor_name", Value::text(&detail.debtor_name));
                set("amount", Value::Amount(detail.amount));
                set("end_to_end_id", Value::text(&detail.end_to_end_id));
                set("mandate_reference", Value::text(&detail.mandate_reference));
                set("collection_date", Value::Date(self.date));
                writer.write_detail(&record)?;
            }
        }
        Ok(())
    }

    /// Finishes the file (trailer, totals checked), syncs it; returns it ready to record.
    fn close(mut self) -> anyhow::Result<(NewBankFile, PathBuf)> {
        let hashing = match self.output {
            Output::Iso(writer) => (*writer).finish()?,
            Output::Layout(writer) => {
                let trailer = Record::new(RecordRole::Trailer)
                    .with("file_reference", Value::text(&self.new_file.message_id));
                // The layout writer owns its output; it hands it back through `finish`
                // only as totals, so it writes through to the hashing writer we keep.
                return finish_layout(*writer, trailer, self.new_file, self.blocks, self.path);
            }
        };
        let (buffered, sha256, size) = hashing.finish();
        exchange::sync_temporary(buffered)?;
        self.new_file.sha256 = sha256;
        self.new_file.size_bytes = size;
        self.new_file.blocks = self
            .blocks
            .iter()
            .map(|b| (b.0.clone(), b.1, b.2, b.3))
            .collect();
        Ok((self.new_file, self.path))
    }
}

fn finish_layout(
    writer: LayoutWriter<'static, HashingWriter<BufWriter<File>>>,
    trailer: Record,
    mut new_file: NewBankFile,
    blocks: Vec<(String, i64, i64, u64, Amount)>,
    path: PathBuf,
) -> anyhow::Result<(NewBankFile, PathBuf)> {
    let (totals, hashing) = writer.finish_into(&trailer)?;
    if totals.details != new_file.transactions || totals.control_sum != new_file.control_sum {
        bail!(
            "{}: wrote {} debits for {} but planned {} for {}",
            new_file.file_name,
            totals.details,
            totals.control_sum,
            new_file.transactions,
            new_file.control_sum
        );
    }
    let (buffered, sha256, size) = hashing.finish();
    exchange::sync_temporary(buffered)?;
    new_file.sha256 = sha256;
    new_file.size_bytes = size;
    new_file.blocks = blocks
        .iter()
        .map(|b| (b.0.clone(), b.1, b.2, b.3))
        .collect();
    Ok((new_file, path))
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
            .folder(&record.institution, Folder::Outbox)
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
            )?;
            fixed += 1;
            continue;
        }
        let tmp = exchange::temporary_path(&path);
        if !(tmp.exists() && exchange::sha256_of(&tmp)? == record.sha256) {
            regenerate(store, settings, actor, &record, &path).await?;
        }
        exchange::publish(&path, &record.sha256)?;
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
        .institution(&record.institution)
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
    let items = store.file_items(record.id).await?;
    let plan = FilePlan {
        sequence: record.sequence,
        file_name: record.file_name.clone(),
        message_id: record.message_id.clone(),
        created_at,
        items,
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
