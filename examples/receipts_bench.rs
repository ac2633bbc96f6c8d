//! Benchmark: N receipt PDFs (3 worksites each, Arabic and Latin names) made on T threads,
//! each written to a folder; prints the time and the bytes. Peak memory from the outside:
//!
//! `/usr/bin/time -v target/release/examples/receipts_bench 10000 2 /tmp/receipts`
//!
//! (see BENCHMARKS.md). The receipts are built in memory, not read from a database: this
//! measures the documents, which is what `tahsil receipts pdf` and the portal add.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Instant;

use mandates::{AccountKind, Amount, CollectionStatus, NoticeLanguage, PeriodKind};
use tahsil::documents::{ReceiptFacts, receipt_pdf};
use tahsil::store::{CollectionDetail, CollectionWorksite, Employer, Receipt};

fn receipt(i: usize) -> (Receipt, Employer) {
    let worksites: Vec<CollectionWorksite> = (1..=3)
        .map(|w| CollectionWorksite {
            worksite_code: format!("W{w}"),
            worksite_name: if w == 2 {
                format!("ورشة {w} للأشغال العمومية")
            } else {
                format!("Chantier {w} — Blida")
            },
            period: "2026-10".to_owned(),
            amount: Amount::from_centimes(1_234_500 + i64::try_from(i * 7 + w).unwrap()),
        })
        .collect();
    let total = worksites.iter().map(|w| w.amount.centimes()).sum();
    let number = format!("RC-2026-{i:08}");
    let collection = CollectionDetail {
        id: i64::try_from(i).unwrap(),
        employer_id: i64::try_from(i).unwrap(),
        collection_date: "2026-12-15".to_owned(),
        channel: AccountKind::Bank,
        amount: Amount::from_centimes(total),
        status: CollectionStatus::Settled,
        attempt: 1,
        retry_of: None,
        noticed_on: "2026-12-01".to_owned(),
        settled_on: Some("2026-12-16".to_owned()),
        reason_code: None,
        reason_category: None,
        next_attempt: None,
        receipt_number: Some(number.clone()),
        mandate_reference: format!("TSL-{:08}-000001", 16_000_000 + i),
        account_kind: AccountKind::Bank,
        bank_code: "004".to_owned(),
        account_masked: "****************0486".to_owned(),
        worksites,
    };
    let employer = Employer {
        id: i64::try_from(i).unwrap(),
        affiliation_number: format!("{}", 16_000_000 + i),
        name: format!("SARL Bâtiment du Sud {i}"),
        name_ar: Some(format!("شركة البناء الجنوبية {i}")),
        email: "a@a.dz".to_owned(),
        language: NoticeLanguage::Both,
        period_kind: PeriodKind::Monthly,
        created_at: "2026-11-01T08:00:00Z".to_owned(),
    };
    let receipt = Receipt {
        number,
        issued_at: "2026-12-16T09:00:00Z".to_owned(),
        collection,
    };
    (receipt, employer)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map_or(10_000, |a| a.parse().unwrap());
    let threads: usize = args.next().map_or(2, |a| a.parse().unwrap());
    let out = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "/tmp/tahsil-receipts".to_owned()),
    );
    std::fs::create_dir_all(&out).unwrap();
    let started = Instant::now();
    let bytes: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let out = &out;
                scope.spawn(move || {
                    let mut bytes = 0;
                    for i in (t..count).step_by(threads) {
                        let (receipt, employer) = receipt(i);
                        let pdf = receipt_pdf(&ReceiptFacts {
                            fund: "CACOBATPH",
                            receipt: &receipt,
                            employer: &employer,
                            bank_name: Some("CPA"),
                        })
                        .unwrap();
                        bytes += pdf.len();
                        std::fs::write(out.join(format!("{}.pdf", receipt.number)), &pdf).unwrap();
                    }
                    bytes
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    let elapsed = started.elapsed();
    println!(
        "{count} receipt PDFs on {threads} threads in {} ms ({} bytes, {} bytes each on average)",
        elapsed.as_millis(),
        bytes,
        bytes / count.max(1)
    );
}
