//! Throughput of the ISO 20022 writer and reader at national scale.
//!
//! ```sh
//! cargo run --release -p bank-formats --example bench           # write, then stream, 100,000
//! cargo build --release -p bank-formats --example bench
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench write 100000   # pain.008, to a file
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench read 100000    # camt.054 read from memory
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench stream 100000  # camt.054 streamed from disk
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench quickxml 100000 # the same through quick-xml
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench stream053 1000000 # a camt.053 statement, streamed
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench writeqx 100000 # pain.008 through quick-xml's Writer
//! ```
//! Every mode prints its peak resident memory (`VmHWM` of `/proc/self/status`, Linux).
//! `writeqx` writes the same pain.008 as `write` through quick-xml's `Writer`, to
//! `tahsil-bench-pain008-qx.xml` beside it: `cmp` the two files (byte-identical); it
//! leaves out the writer's checks of ids, accounts and totals (which only favours
//! quick-xml).
//! `quickxml` is the tokenizer question of issue 18: the same file streamed through
//! quick-xml's `Reader` (on the same 256 KB `BufReader`, no end-name checks, no trimming, no
//! decoding beyond what its events do) into the same `Entry` values, by the same paths.
//! Results are recorded in bank-formats/README.md.

use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use bank_formats::iso20022::{
    AccountIdentifier, Agent, CharsetPolicy, DirectDebit, Entry, EntryTransaction, GroupHeader,
    Pain008Version, Pain008Writer, PaymentInfo, SequenceType, clean_text, for_each_camt_entry,
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
        "pain.008.001.08: wrote {count} transactions ({:.1} MB) in {:.3} s = {:.0} tx/s; peak memory {}",
        size as f64 / 1e6,
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        peak_memory()
    );
    Ok(())
}

/// pain.008.001.08 as `write` writes it (SEPA Core codes, restricted Latin), through
/// quick-xml's `Writer`: the same elements, texts (cleaned by the same `clean_text`) and
/// line breaks, so the output is byte for byte the same.
#[allow(clippy::disallowed_types, clippy::float_arithmetic)]
fn write_quick_xml(count: u64) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    use quick_xml::Writer;
    use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
    let date = NaiveDate::from_ymd_opt(2026, 12, 15).expect("date");
    let total = Amount::checked_sum((0..count).map(amount)).expect("sum");
    let path = std::env::temp_dir().join("tahsil-bench-pain008-qx.xml");
    let out = BufWriter::with_capacity(256 * 1024, std::fs::File::create(&path)?);
    let started = Instant::now();
    let mut w = Writer::new(out);
    let policy = CharsetPolicy::LatinRestricted;
    fn leaf<W: Write>(w: &mut Writer<W>, tag: &str, text: &str) -> std::io::Result<()> {
        w.write_event(Event::Start(BytesStart::new(tag)))?;
        w.write_event(Event::Text(BytesText::new(text)))?;
        w.write_event(Event::End(BytesEnd::new(tag)))
    }
    fn open<W: Write>(w: &mut Writer<W>, tag: &str) -> std::io::Result<()> {
        w.write_event(Event::Start(BytesStart::new(tag)))
    }
    fn close<W: Write>(w: &mut Writer<W>, tag: &str) -> std::io::Result<()> {
        w.write_event(Event::End(BytesEnd::new(tag)))
    }
    fn newline<W: Write>(w: &mut Writer<W>) -> std::io::Result<()> {
        w.write_event(Event::Text(BytesText::from_escaped("\n")))
    }
    fn othr_id<W: Write>(
        w: &mut Writer<W>,
        tag: &str,
        inner: &str,
        id: &str,
    ) -> std::io::Result<()> {
        open(w, tag)?;
        open(w, inner)?;
        open(w, "Othr")?;
        leaf(w, "Id", id)?;
        close(w, "Othr")?;
        close(w, inner)?;
        close(w, tag)
    }
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    newline(&mut w)?;
    w.write_event(Event::Start(BytesStart::new("Document").with_attributes([
        ("xmlns", Pain008Version::V08.namespace()),
        ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
    ])))?;
    newline(&mut w)?;
    open(&mut w, "CstmrDrctDbtInitn")?;
    newline(&mut w)?;
    open(&mut w, "GrpHdr")?;
    leaf(&mut w, "MsgId", "TSL-BENCH-0001")?;
    leaf(
        &mut w,
        "CreDtTm",
        &date
            .and_hms_opt(8, 0, 0)
            .expect("time")
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string(),
    )?;
    leaf(&mut w, "NbOfTxs", &count.to_string())?;
    leaf(&mut w, "CtrlSum", &total.to_string())?;
    open(&mut w, "InitgPty")?;
    leaf(&mut w, "Nm", &clean_text("CACOBATPH", policy, 70))?;
    close(&mut w, "InitgPty")?;
    close(&mut w, "GrpHdr")?;
    newline(&mut w)?;
    open(&mut w, "PmtInf")?;
    leaf(&mut w, "PmtInfId", "PMT-1")?;
    leaf(&mut w, "PmtMtd", "DD")?;
    leaf(&mut w, "BtchBookg", "true")?;
    leaf(&mut w, "NbOfTxs", &count.to_string())?;
    leaf(&mut w, "CtrlSum", &total.to_string())?;
    open(&mut w, "PmtTpInf")?;
    open(&mut w, "SvcLvl")?;
    leaf(&mut w, "Cd", "SEPA")?;
    close(&mut w, "SvcLvl")?;
    open(&mut w, "LclInstrm")?;
    leaf(&mut w, "Cd", "CORE")?;
    close(&mut w, "LclInstrm")?;
    leaf(&mut w, "SeqTp", SequenceType::Recurrent.code())?;
    close(&mut w, "PmtTpInf")?;
    leaf(&mut w, "ReqdColltnDt", &date.format("%Y-%m-%d").to_string())?;
    open(&mut w, "Cdtr")?;
    leaf(&mut w, "Nm", &clean_text("CACOBATPH", policy, 70))?;
    close(&mut w, "Cdtr")?;
    othr_id(&mut w, "CdtrAcct", "Id", "00100123012345678935")?;
    othr_id(&mut w, "CdtrAgt", "FinInstnId", "001")?;
    leaf(&mut w, "ChrgBr", "SLEV")?;
    open(&mut w, "CdtrSchmeId")?;
    open(&mut w, "Id")?;
    open(&mut w, "PrvtId")?;
    open(&mut w, "Othr")?;
    leaf(&mut w, "Id", "DZ00ZZZCACOBATPH")?;
    open(&mut w, "SchmeNm")?;
    leaf(&mut w, "Prtry", "SEPA")?;
    close(&mut w, "SchmeNm")?;
    close(&mut w, "Othr")?;
    close(&mut w, "PrvtId")?;
    close(&mut w, "Id")?;
    close(&mut w, "CdtrSchmeId")?;
    newline(&mut w)?;
    let signed = NaiveDate::from_ymd_opt(2026, 1, 10).expect("date");
    let debtor_name = "SARL Bâtiment et Travaux Publics du Sud";
    for i in 0..count {
        // The same per-debit work as `write`: ids and texts built, names cleaned.
        let end_to_end_id = format!("T20261215E{i:010}");
        let mandate_id = format!("TSL-{:08}-000001", 16_000_000 + i);
        let remittance = format!("CACOBATPH cotisations 2026-11 avis {i}");
        open(&mut w, "DrctDbtTxInf")?;
        open(&mut w, "PmtId")?;
        leaf(&mut w, "EndToEndId", &end_to_end_id)?;
        close(&mut w, "PmtId")?;
        w.write_event(Event::Start(
            BytesStart::new("InstdAmt").with_attributes([("Ccy", "DZD")]),
        ))?;
        w.write_event(Event::Text(BytesText::new(&amount(i).to_string())))?;
        close(&mut w, "InstdAmt")?;
        open(&mut w, "DrctDbtTx")?;
        open(&mut w, "MndtRltdInf")?;
        leaf(&mut w, "MndtId", &mandate_id)?;
        leaf(&mut w, "DtOfSgntr", &signed.format("%Y-%m-%d").to_string())?;
        close(&mut w, "MndtRltdInf")?;
        close(&mut w, "DrctDbtTx")?;
        othr_id(&mut w, "DbtrAgt", "FinInstnId", "004")?;
        open(&mut w, "Dbtr")?;
        leaf(&mut w, "Nm", &clean_text(debtor_name, policy, 70))?;
        close(&mut w, "Dbtr")?;
        othr_id(&mut w, "DbtrAcct", "Id", "00400174401001050486")?;
        let remittance = clean_text(&remittance, policy, 140);
        if !remittance.is_empty() {
            open(&mut w, "RmtInf")?;
            leaf(&mut w, "Ustrd", &remittance)?;
            close(&mut w, "RmtInf")?;
        }
        close(&mut w, "DrctDbtTxInf")?;
        newline(&mut w)?;
    }
    close(&mut w, "PmtInf")?;
    newline(&mut w)?;
    close(&mut w, "CstmrDrctDbtInitn")?;
    newline(&mut w)?;
    close(&mut w, "Document")?;
    newline(&mut w)?;
    w.into_inner().flush()?;
    let elapsed = started.elapsed();
    let size = std::fs::metadata(&path)?.len();
    println!(
        "pain.008.001.08 through quick-xml's Writer: wrote {count} transactions ({:.1} MB) in {:.3} s = {:.0} tx/s",
        size as f64 / 1e6,
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

/// Peak resident memory of this process so far (`VmHWM`, Linux), for the figures.
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Which statement message the read modes generate.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Message {
    /// camt.054.001.02, a debit/credit notification.
    Camt054,
    /// camt.053.001.02, an account statement (with its opening and closing balances).
    Camt053,
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
fn read(count: u64, mode: Mode, message: Message) -> std::io::Result<()> {
    let in_memory = mode == Mode::Memory;
    let (name, root, report) = match message {
        Message::Camt054 => ("camt.054.001.02", "BkToCstmrDbtCdtNtfctn", "Ntfctn"),
        Message::Camt053 => ("camt.053.001.02", "BkToCstmrStmt", "Stmt"),
    };
    let path = std::env::temp_dir().join(format!("tahsil-bench-{}.xml", &name[..8]));
    let balance = |code: &str| {
        format!(
            "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"DZD\">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-15</Dt></Dt></Bal>"
        )
    };
    {
        let mut out = BufWriter::new(std::fs::File::create(&path)?);
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            out,
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:{name}\"><{root}><GrpHdr><MsgId>BENCH-{}</MsgId><CreDtTm>2026-12-16T06:00:00</CreDtTm></GrpHdr><{report}><Id>N1</Id><CreDtTm>2026-12-16T06:00:00</CreDtTm><Acct><Id><Othr><Id>00100123012345678935</Id></Othr></Id></Acct>{}",
            &name[5..8],
            if message == Message::Camt053 {
                balance("OPBD")
            } else {
                String::new()
            }
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
        if message == Message::Camt053 {
            writeln!(out, "{}", balance("CLBD"))?;
        }
        writeln!(out, "</{report}></{root}></Document>")?;
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
        "{name}: {how}: {entries} entries ({returns} returns, {total} DZD, {:.1} MB) in {:.3} s = {:.0} tx/s; peak memory {}",
        size as f64 / 1e6,
        elapsed.as_secs_f64(),
        entries as f64 / elapsed.as_secs_f64(),
        peak_memory()
    );
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let count = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    match args.get(1).map(String::as_str) {
        Some("write") => write(count),
        Some("writeqx") => write_quick_xml(count).map_err(std::io::Error::other),
        Some("read") => read(count, Mode::Memory, Message::Camt054),
        Some("stream") => read(count, Mode::Stream, Message::Camt054),
        Some("quickxml") => read(count, Mode::QuickXml, Message::Camt054),
        Some("read053") => read(count, Mode::Memory, Message::Camt053),
        Some("stream053") => read(count, Mode::Stream, Message::Camt053),
        None => {
            write(count)?;
            read(count, Mode::Stream, Message::Camt054)
        }
        _ => {
            eprintln!(
                "usage: bench [write|writeqx|read|stream|quickxml|read053|stream053] [COUNT]"
            );
            std::process::exit(2);
        }
    }
}
