//! Throughput of the ISO 20022 writer and reader at national scale.
//!
//! ```sh
//! cargo run --release -p bank-formats --example bench           # write, then stream, 100,000
//! cargo build --release -p bank-formats --example bench
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench write 100000   # pain.008, to a file
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench read 100000    # camt.054 read from memory
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench stream 100000  # camt.054 streamed from disk
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench quickxml 100000 # the same through quick-xml
//! ```
//! `quickxml` is the tokenizer question of issue 18: the same file streamed through
//! quick-xml's `Reader` (on the same 256 KB `BufReader`, no end-name checks, no trimming, no
//! decoding beyond what its events do) into the same `Entry` values, by the same paths.
//! Results are recorded in bank-formats/README.md.

use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use bank_formats::iso20022::{
    AccountIdentifier, Agent, CharsetPolicy, DirectDebit, Entry, EntryTransaction, GroupHeader,
    Pain008Version, Pain008Writer, PaymentInfo, SequenceType, for_each_camt_entry,
    for_each_camt_entry_in,
};
use chrono::NaiveDate;
use mandates::Amount;

fn amount(i: u64) -> Amount {
    Amount::from_centimes(10_000 + (i as i64 * 7_919) % 90_000_000)
}

// Floats only format throughput figures here; money stays in `Amount`.
#[allow(clippy::disallowed_types, clippy::float_arithmetic)]
fn write(count: u64) -> std::io::Result<()> {
    let date = NaiveDate::from_ymd_opt(2026, 12, 15).expect("date");
    let total = Amount::checked_sum((0..count).map(amount)).expect("sum");
    let path = std::env::temp_dir().join("tahsil-bench-pain008.xml");
    let out = BufWriter::with_capacity(256 * 1024, std::fs::File::create(&path)?);
    let started = Instant::now();
    let mut writer = Pain008Writer::new(
        out,
        Pain008Version::V08,
        CharsetPolicy::LatinRestricted,
        GroupHeader {
            message_id: "TSL-BENCH-0001".to_owned(),
            created_at: date.and_hms_opt(8, 0, 0).expect("time"),
            number_of_transactions: count,
            control_sum: total,
            initiating_party: "CACOBATPH".to_owned(),
        },
    )
    .map_err(std::io::Error::other)?;
    writer
        .begin_payment(&PaymentInfo {
            payment_id: "PMT-1".to_owned(),
            collection_date: date,
            sequence_type: SequenceType::Recurrent,
            creditor_name: "CACOBATPH".to_owned(),
            creditor_account: AccountIdentifier::Domestic("00100123012345678935".to_owned()),
            creditor_agent: Agent::Code("001".to_owned()),
            creditor_scheme_id: "DZ00ZZZCACOBATPH".to_owned(),
            batch_booking: true,
            number_of_transactions: count,
            control_sum: total,
        })
        .map_err(std::io::Error::other)?;
    let mut debit = DirectDebit {
        end_to_end_id: String::new(),
        amount: Amount::ZERO,
        mandate_id: String::new(),
        mandate_signed_on: NaiveDate::from_ymd_opt(2026, 1, 10).expect("date"),
        debtor_name: "SARL Bâtiment et Travaux Publics du Sud".to_owned(),
        debtor_account: AccountIdentifier::Domestic("00400174401001050486".to_owned()),
        debtor_agent: Agent::Code("004".to_owned()),
        remittance: String::new(),
    };
    for i in 0..count {
        debit.end_to_end_id = format!("T20261215E{i:010}");
        debit.mandate_id = format!("TSL-{:08}-000001", 16_000_000 + i);
        debit.amount = amount(i);
        debit.remittance = format!("CACOBATPH cotisations 2026-11 avis {i}");
        writer.add(&debit).map_err(std::io::Error::other)?;
    }
    writer.finish().map_err(std::io::Error::other)?;
    let elapsed = started.elapsed();
    let size = std::fs::metadata(&path)?.len();
    println!(
        "pain.008.001.08: wrote {count} transactions ({:.1} MB) in {:.3} s = {:.0} tx/s",
        size as f64 / 1e6,
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

/// How the camt.054 is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Memory,
    Stream,
    QuickXml,
}

/// The camt reader's work on quick-xml's events: the open local names, each element's text,
/// and the same fields of the same paths into the same `Entry` values (the amounts by the
/// same parser). What it leaves out (DTD and entity refusal, bounds, positions) only makes
/// it faster, so the comparison favours quick-xml.
fn quick_xml_entries(
    input: impl std::io::BufRead,
    mut on_entry: impl FnMut(Entry),
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(input);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = false;
    let mut buf = Vec::with_capacity(64 * 1024);
    // The open local names in one buffer, each name's end in `ends`: no allocation per
    // element (as the walker does).
    let mut names = String::with_capacity(256);
    let mut ends: Vec<usize> = Vec::with_capacity(32);
    let mut text = String::new();
    // The last `Ccy` read, in a reused buffer.
    let mut ccy = String::new();
    let mut has_ccy = false;
    let mut entry: Option<Entry> = None;
    let mut tx: Option<EntryTransaction> = None;
    let at = |names: &str, ends: &[usize], suffix: &[&str]| {
        if ends.len() < suffix.len() {
            return false;
        }
        let mut end = names.len();
        for (i, name) in suffix.iter().rev().enumerate() {
            let index = ends.len() - 1 - i;
            let start = if index == 0 { 0 } else { ends[index - 1] };
            if &names[start..end] != *name {
                return false;
            }
            end = start;
        }
        true
    };
    loop {
        let event = reader.read_event_into(&mut buf)?;
        let (start, close) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            Event::End(_) => (None, true),
            Event::Text(t) => {
                text.push_str(t);
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        if let Some(e) = start {
            let local = e.local_name();
            let name: &str = local.as_ref();
            names.push_str(name);
            ends.push(names.len());
            text.clear();
            has_ccy = false;
            if name.ends_with("Amt") {
                for attribute in e.attributes().flatten() {
                    let key: &str = attribute.key.as_ref();
                    if key == "Ccy" {
                        ccy.clear();
                        ccy.push_str(
                            &attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0)?,
                        );
                        has_ccy = true;
                    }
                }
            }
            match name {
                "Ntry" => entry = Some(Entry::default()),
                "TxDtls" => tx = Some(EntryTransaction::default()),
                _ => {}
            }
        }
        if !close {
            continue;
        }
        let value = text.trim();
        let leaf_start = ends.len().checked_sub(2).map_or(0, |i| ends[i]);
        let leaf = &names[leaf_start..];
        let at = |suffix: &[&str]| at(&names, &ends, suffix);
        if let Some(t) = tx.as_mut() {
            match leaf {
                "EndToEndId" if at(&["Refs", "EndToEndId"]) => {
                    t.end_to_end_id = Some(value.to_owned())
                }
                "MndtId" if at(&["Refs", "MndtId"]) => t.mandate_id = Some(value.to_owned()),
                "Amt" if at(&["TxDtls", "AmtDtls", "TxAmt", "Amt"]) => {
                    t.amount = Some(Amount::parse(value)?);
                    t.currency = has_ccy.then(|| ccy.clone());
                }
                "Cd" if at(&["RtrInf", "Rsn", "Cd"]) => t.return_reason = Some(value.to_owned()),
                "TxDtls" => {
                    if let (Some(t), Some(e)) = (tx.take(), entry.as_mut()) {
                        e.transactions.push(t);
                    }
                }
                _ => {}
            }
        } else if let Some(e) = entry.as_mut() {
            match leaf {
                "Amt" if at(&["Ntry", "Amt"]) => {
                    e.amount = Some(Amount::parse(value)?);
                    e.currency = has_ccy.then(|| ccy.clone());
                }
                "CdtDbtInd" => e.credit_debit = Some(value.to_owned()),
                "Sts" => e.status = Some(value.to_owned()),
                "Dt" if at(&["BookgDt", "Dt"]) => e.booking_date = Some(value.to_owned()),
                "Ntry" => {
                    if let Some(e) = entry.take() {
                        on_entry(e);
                    }
                }
                _ => {}
            }
        }
        ends.pop();
        names.truncate(ends.last().copied().unwrap_or(0));
        text.clear();
        buf.clear();
    }
    Ok(())
}

#[allow(clippy::disallowed_types, clippy::float_arithmetic)]
fn read(count: u64, mode: Mode) -> std::io::Result<()> {
    let in_memory = mode == Mode::Memory;
    let path = std::env::temp_dir().join("tahsil-bench-camt054.xml");
    {
        let mut out = BufWriter::new(std::fs::File::create(&path)?);
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            out,
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.02\"><BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>BENCH-054</MsgId><CreDtTm>2026-12-16T06:00:00</CreDtTm></GrpHdr><Ntfctn><Id>N1</Id><CreDtTm>2026-12-16T06:00:00</CreDtTm><Acct><Id><Othr><Id>00100123012345678935</Id></Othr></Id></Acct>"
        )?;
        for i in 0..count {
            let returned = i % 10 == 0;
            writeln!(
                out,
                "<Ntry><Amt Ccy=\"DZD\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-12-15</Dt></BookgDt><BkTxCd/><NtryDtls><TxDtls><Refs><EndToEndId>T20261215E{i:010}</EndToEndId><MndtId>TSL-{:08}-000001</MndtId></Refs><AmtDtls><TxAmt><Amt Ccy=\"DZD\">{}</Amt></TxAmt></AmtDtls>{}</TxDtls></NtryDtls></Ntry>",
                amount(i),
                if returned { "DBIT" } else { "CRDT" },
                16_000_000 + i,
                amount(i),
                if returned {
                    "<RtrInf><Rsn><Cd>AM04</Cd></Rsn></RtrInf>"
                } else {
                    ""
                }
            )?;
        }
        writeln!(out, "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>")?;
    }
    let size = std::fs::metadata(&path)?.len();
    let started = Instant::now();
    let mut entries = 0u64;
    let mut returns = 0u64;
    let mut total = Amount::ZERO;
    let on_entry = |entry: Entry| {
        entries += 1;
        if entry.transactions.iter().any(|t| t.return_reason.is_some()) {
            returns += 1;
        }
        total = total
            .checked_add(entry.amount.unwrap_or(Amount::ZERO))
            .unwrap_or(total);
        Ok(())
    };
    if mode == Mode::QuickXml {
        let input = BufReader::with_capacity(256 * 1024, std::fs::File::open(&path)?);
        let mut on_entry = on_entry;
        quick_xml_entries(input, |e| {
            let _ = on_entry(e);
        })
        .map_err(std::io::Error::other)?;
    } else if in_memory {
        // As an import does: the file is read whole (it is hashed and kept anyway).
        let bytes = std::fs::read(&path)?;
        for_each_camt_entry_in(&bytes, on_entry).map_err(std::io::Error::other)?;
    } else {
        let input = BufReader::with_capacity(256 * 1024, std::fs::File::open(&path)?);
        for_each_camt_entry(input, on_entry).map_err(std::io::Error::other)?;
    }
    let elapsed = started.elapsed();
    let how = match mode {
        Mode::Memory => "read from memory",
        Mode::Stream => "streamed from disk",
        Mode::QuickXml => "streamed from disk through quick-xml",
    };
    println!(
        "camt.054.001.02: {how}: {entries} entries ({returns} returns, {total} DZD, {:.1} MB) in {:.3} s = {:.0} tx/s",
        size as f64 / 1e6,
        elapsed.as_secs_f64(),
        entries as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let count = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    match args.get(1).map(String::as_str) {
        Some("write") => write(count),
        Some("read") => read(count, Mode::Memory),
        Some("stream") => read(count, Mode::Stream),
        Some("quickxml") => read(count, Mode::QuickXml),
        None => {
            write(count)?;
            read(count, Mode::Stream)
        }
        _ => {
            eprintln!("usage: bench [write|read|stream|quickxml] [COUNT]");
            std::process::exit(2);
        }
    }
}
