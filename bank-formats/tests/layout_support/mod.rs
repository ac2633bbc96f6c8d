//! Shared builders for the layout tests.
#![allow(dead_code, clippy::unwrap_used)]

use bank_formats::layout::*;
use chrono::NaiveDate;
use mandates::Amount;

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn layout(name: &str) -> &'static Layout {
    shipped_layout(name).unwrap_or_else(|| panic!("no shipped layout {name}"))
}

pub fn debit_header(postal: bool) -> DebitFileHeader {
    DebitFileHeader {
        file_reference: "TAH-20260315-0001".into(),
        creation_date: date(2026, 3, 10),
        collection_date: date(2026, 3, 15),
        creditor_name: "CACOBATPH".into(),
        creditor_account: if postal {
            "00799999000000020091"
        } else {
            "00400174401001050486"
        }
        .into(),
        creditor_id: "CACO000123".into(),
    }
}

pub fn instruction(n: usize, centimes: i64) -> DebitInstruction {
    DebitInstruction {
        end_to_end_id: format!("TAH-20260315-0001-{n:05}"),
        account_digits: "00400174401001050486".into(),
        debtor_name: format!("ENTREPRISE {n}"),
        amount: Amount::from_centimes(centimes),
        mandate_reference: format!("CACO-16-{n:07}-0001"),
        collection_date: date(2026, 3, 15),
    }
}

/// A valid debit file of `n` instructions in `layout_name`.
pub fn debit_file(layout_name: &str, n: usize) -> Vec<u8> {
    let layout = layout(layout_name);
    let instructions: Vec<_> = (1..=n)
        .map(|i| instruction(i, 1000 * i as i64 + 5))
        .collect();
    let mut out = Vec::new();
    write_debit_file(
        layout,
        &debit_header(layout_name.starts_with("postal")),
        &instructions,
        &mut out,
    )
    .unwrap();
    out
}

pub fn return_record(n: usize, status: ReturnStatus, code: &str) -> ReturnRecord {
    ReturnRecord {
        end_to_end_id: format!("TAH-20260315-0001-{n:05}"),
        account_digits: "00400174401001050486".into(),
        amount: Amount::from_centimes(1000 * n as i64 + 5),
        status,
        return_code: code.into(),
        date: date(2026, 3, 17),
        mandate_reference: Some(format!("CACO-16-{n:07}-0001")),
    }
}

pub fn return_header() -> ReturnFileHeader {
    ReturnFileHeader {
        file_reference: "RET-20260317-042".into(),
        original_file_reference: "TAH-20260315-0001".into(),
        creation_date: date(2026, 3, 17),
    }
}

/// A valid return file in `layout_name`: accepted, rejected with the layout's first
/// code, returned with its second.
pub fn return_file(layout_name: &str) -> Vec<u8> {
    let layout = layout(layout_name);
    let codes = layout.return_codes();
    let records = vec![
        return_record(1, ReturnStatus::Accepted, ""),
        return_record(2, ReturnStatus::Rejected, &codes[0].code),
        return_record(3, ReturnStatus::Returned, &codes[1].code),
    ];
    let mut out = Vec::new();
    write_return_file(layout, &return_header(), &records, &mut out).unwrap();
    out
}

/// Any valid file of the layout.
pub fn sample_file(layout: &Layout) -> Vec<u8> {
    match layout.kind() {
        FileKind::Debit => debit_file(layout.name(), 3),
        FileKind::Return => return_file(layout.name()),
    }
}

/// Replaces `text` at 1-based `position` of 1-based `line` (CRLF/LF files).
pub fn patch(bytes: &[u8], line: usize, position: usize, text: &str) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let target = &mut lines[line - 1];
    target[position - 1..position - 1 + text.len()].copy_from_slice(text.as_bytes());
    lines.join(&b'\n')
}
