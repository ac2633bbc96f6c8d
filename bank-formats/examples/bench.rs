//! Throughput of the ISO 20022 writer and reader at national scale.
//!
//! ```sh
//! cargo run --release -p bank-formats --example bench           # write, then stream, 100,000
//! cargo build --release -p bank-formats --example bench
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench write 100000   # pain.008, to a file
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench read 100000    # camt.054 read from memory
//! /usr/bin/time -f "%e s %M KB" target/release/examples/bench stream 100000  # camt.054 streamed from disk
//! ```
//! Results are recorded in bank-formats/README.md.

use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use bank_formats::iso20022::{
    AccountIdentifier, Agent, CharsetPolicy, DirectDebit, Entry, GroupHeader, Pain008Version,
    Pain008Writer, PaymentInfo, SequenceType, for_each_camt_entry, for_each_camt_entry_in,
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

#[allow(clippy::disallowed_types, clippy::float_arithmetic)]
fn read(count: u64, in_memory: bool) -> std::io::Result<()> {
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
    if in_memory {
        // As an import does: the file is read whole (it is hashed and kept anyway).
        let bytes = std::fs::read(&path)?;
        for_each_camt_entry_in(&bytes, on_entry).map_err(std::io::Error::other)?;
    } else {
        let input = BufReader::with_capacity(256 * 1024, std::fs::File::open(&path)?);
        for_each_camt_entry(input, on_entry).map_err(std::io::Error::other)?;
    }
    let elapsed = started.elapsed();
    let how = if in_memory {
        "read from memory"
    } else {
        "streamed from disk"
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
        Some("read") => read(count, true),
        Some("stream") => read(count, false),
        None => {
            write(count)?;
            read(count, false)
        }
        _ => {
            eprintln!("usage: bench [write|read|stream] [COUNT]");
            std::process::exit(2);
        }
    }
}
