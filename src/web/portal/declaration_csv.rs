//! A declaration file as spreadsheets write it, read into lines (not a page: the upload of
//! [`super::declarations`] uses it). Excel saves "CSV" in the Windows code page of its
//! language — Windows-1252 in French, Windows-1256 in Arabic — or in UTF-8 with a byte
//! order mark ("CSV UTF-8"), or UTF-16 ("Unicode text", tab-separated); the separator is
//! `;` in French settings, `,` elsewhere, a tab in text exports, sometimes announced by a
//! first `sep=;` line. All of that is accepted: the encoding and the separator are
//! detected, fields are read by the `csv` crate (quotes, separators and line breaks inside
//! quotes), rows with nothing in them are ignored (a spreadsheet's trailing `;;;`), and a
//! worksite code matches whatever its case.
//!
//! Every problem still names its line (the file's, as a spreadsheet numbers it) and field.

use std::collections::{HashMap, HashSet};

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252, WINDOWS_1256};
use mandates::declaration::{LineInput, line_problems, merge_problems};
use mandates::{LineProblem, NewDeclarationLine, ProblemKind};

use super::{Blank, read_figures};

/// A declaration file read and checked: its right lines (with the file line each came
/// from), and every problem of the file, its reading's and the rules'.
#[derive(Debug, Default)]
pub struct ParsedCsv {
    pub lines: Vec<NewDeclarationLine>,
    /// `file_lines[i]` is the line of the file `lines[i]` came from.
    pub file_lines: Vec<usize>,
    pub errors: Vec<LineProblem>,
}

/// Reads the bytes of a declaration file (any encoding [`decode`] knows) as
/// [`parse_declaration_csv`] does.
pub fn parse_declaration_file(bytes: &[u8], worksites: &HashSet<String>) -> ParsedCsv {
    parse_declaration_csv(&decode(bytes).0, worksites)
}

/// Reads `worksite_code;headcount;wage_bill;bad_weather_base` lines (separated by `;`, `,`
/// or a tab, whichever the first line uses; amounts with a decimal comma or point; an
/// optional header) and checks them by the declaration rules (all but the contributions,
/// which need the period's rates): every problem with its file line and field. A line
/// whose cells are all empty is skipped; so is one naming a worksite with every figure
/// left empty (a template row not filled: that worksite is not declared, as on the form).
pub fn parse_declaration_csv(text: &str, worksites: &HashSet<String>) -> ParsedCsv {
    let (inputs, reading) = read_csv(text, worksites);
    let errors = merge_problems(reading, line_problems(worksites, &inputs));
    let wrong: HashSet<usize> = errors.iter().map(|p| p.line).collect();
    let mut out = ParsedCsv {
        errors,
        ..ParsedCsv::default()
    };
    for input in inputs.iter().filter(|i| !wrong.contains(&i.line)) {
        if let Some(line) = input.complete() {
            out.lines.push(line);
            out.file_lines.push(input.line);
        }
    }
    out
}

/// Whether `bytes` are a spreadsheet workbook rather than text: a zip (.xlsx, .ods) or an
/// OLE compound file (.xls) — sent by mistake instead of the CSV saved from it.
pub fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
}

/// The text of a file and the encoding it was read in: the one its byte order mark names
/// (UTF-8, UTF-16); else UTF-8 when it is valid UTF-8; else Windows-1256 when read so it
/// is mostly Arabic words, Windows-1252 otherwise. Never fails: every byte means something
/// in Windows-1252, and a wrong guess shows as a wrong code or number on its line.
pub fn decode(bytes: &[u8]) -> (String, &'static Encoding) {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let rest = bytes.get(bom..).unwrap_or_default();
        let (text, _) = encoding.decode_without_bom_handling(rest);
        return (text.into_owned(), encoding);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_owned(), UTF_8);
    }
    let encoding = if mostly_arabic_words(bytes) {
        WINDOWS_1256
    } else {
        WINDOWS_1252
    };
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    (text.into_owned(), encoding)
}

/// Whether `bytes` read as Windows-1256 are mostly Arabic letters next to other Arabic
/// letters (words). French text in Windows-1252 reads the same in both code pages for its
/// usual letters (é, è, à, ç, ô… sit at the same places); its capitals with accents turn
/// into lone Arabic letters in Windows-1256, almost never into two in a row.
fn mostly_arabic_words(bytes: &[u8]) -> bool {
    let (text, _) = WINDOWS_1256.decode_without_bom_handling(bytes);
    let arabic = |c: char| ('\u{0600}'..='\u{06ff}').contains(&c);
    let chars: Vec<char> = text.chars().collect();
    let mut high = 0usize;
    let mut in_words = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii() {
            continue;
        }
        high += 1;
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let after = chars.get(i + 1).copied();
        if arabic(c) && (before.is_some_and(arabic) || after.is_some_and(arabic)) {
            in_words += 1;
        }
    }
    in_words > 0 && in_words * 2 >= high
}

/// The separators a declaration file may use, in the order a tie is settled.
const SEPARATORS: [u8; 3] = [b';', b'\t', b','];

/// The separator of `text`: the one a first `sep=X` line names (then skipped), else the
/// one the first line with any uses most, outside quotes; `;` when none is used. Returns
/// the separator and the text left to read.
fn separator(text: &str) -> (u8, &str) {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if let Some(named) = first.trim().strip_prefix("sep=")
        && let [byte] = named.as_bytes()
        && SEPARATORS.contains(byte)
    {
        let start = text.find(first).unwrap_or(0) + first.len();
        return (*byte, text.get(start..).unwrap_or(""));
    }
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for byte in first.bytes() {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = SEPARATORS.iter().position(|s| *s == byte) {
            counts[i] += 1;
        }
    }
    let mut best = 0;
    for i in 1..SEPARATORS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    (SEPARATORS[best], text)
}

/// The employer's worksite codes by their lower case, to find the code whatever the case
/// it is typed in; `None` when two codes differ only by case (then only the exact one).
fn codes_by_case(worksites: &HashSet<String>) -> HashMap<String, Option<&str>> {
    let mut by_case: HashMap<String, Option<&str>> = HashMap::new();
    for code in worksites {
        by_case
            .entry(code.to_lowercase())
            .and_modify(|known| *known = None)
            .or_insert(Some(code.as_str()));
    }
    by_case
}

/// The file's lines as typed (numbered as in the file), and the problems of reading them.
fn read_csv(text: &str, worksites: &HashSet<String>) -> (Vec<LineInput>, Vec<LineProblem>) {
    let text = text.trim_start_matches('\u{feff}');
    let (separator, text) = separator(text);
    // After a `sep=` line the text left starts with that line's end: numbers stay the file's.
    let decimal = if separator == b',' { '.' } else { ',' };
    let by_case = codes_by_case(worksites);
    let worksite = |typed: &str| -> Option<String> {
        if worksites.contains(typed) {
            return Some(typed.to_owned());
        }
        by_case
            .get(&typed.to_lowercase())
            .copied()
            .flatten()
            .map(str::to_owned)
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    let mut first_content = true;
    let mut record = csv::StringRecord::new();
    let mut lines = Lines::new(text);
    loop {
        let number = lines.of(reader.position().byte() as usize);
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(_) => {
                // Only IO or UTF-8 can fail, and the text is in memory and UTF-8 already.
                problems.push(LineProblem::new(number, Some("file"), ProblemKind::Empty));
                break;
            }
        }
        let number = record
            .position()
            .map_or(number, |p| lines.of(p.byte() as usize));
        let fields: Vec<&str> = record.iter().collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        if first_content {
            first_content = false;
            let header = fields
                .get(1)
                .is_some_and(|f| !f.is_empty() && !f.bytes().all(|b| b.is_ascii_digit()))
                && fields.first().is_some_and(|f| worksite(f).is_none());
            if header {
                continue;
            }
        }
        let separator = char::from(separator);
        if !(3..=4).contains(&fields.len()) {
            problems.push(LineProblem::new(
                number,
                None,
                ProblemKind::FieldCount {
                    found: fields.len(),
                    separator,
                },
            ));
            inputs.push(LineInput::new(number));
            continue;
        }
        if !fields[0].is_empty() && fields[1..].iter().all(|f| f.is_empty()) {
            // A worksite left blank (a template row not filled): not declared this period.
            continue;
        }
        let mut input = LineInput::new(number);
        if fields[0].is_empty() {
            problems.push(LineProblem::new(
                number,
                Some("worksite_code"),
                ProblemKind::Empty,
            ));
        } else {
            input.worksite_code = Some(worksite(fields[0]).unwrap_or_else(|| fields[0].to_owned()));
        }
        let bad_weather_base = fields.get(3).copied().unwrap_or("");
        let figures = [fields[1], fields[2], bad_weather_base];
        read_figures(&mut input, figures, decimal, Blank::Text, &mut problems);
        inputs.push(input);
    }
    (inputs, problems)
}

/// The line numbers of `text` as a spreadsheet numbers them: `\r\n`, `\n` and a lone `\r`
/// each end a line. (The csv crate's own line count drifts over `\r\n` and skipped blank
/// lines; its byte offsets do not.) Records come in order, so counting goes on from the
/// last one: the whole file is walked once.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        Lines {
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// The line of the record starting at `byte` (after any line ends the reader skipped).
    fn of(&mut self, byte: usize) -> usize {
        let bytes = self.bytes;
        let mut start = byte.min(bytes.len());
        while bytes.get(start).is_some_and(|b| *b == b'\r' || *b == b'\n') {
            start += 1;
        }
        while self.at < start {
            match bytes[self.at] {
                b'\n' => self.line += 1,
                b'\r' if bytes.get(self.at + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
            self.at += 1;
        }
        self.line
    }
}

/// The template offered for download: UTF-8 with a byte order mark (so Excel opens it as
/// UTF-8 whatever its language), `;`-separated with decimal commas (French settings), a
/// header, and one row per worksite of the employer with its figures to fill in.
pub fn template(header: [&str; 4], codes: &[String]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let mut rows: Vec<[&str; 4]> = vec![header];
    rows.extend(codes.iter().map(|code| [code.as_str(), "", "", ""]));
    for row in rows {
        // Writing into a Vec cannot fail.
        let _ = writer.write_record(row);
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use mandates::Amount;

    use super::*;

    fn sites() -> HashSet<String> {
        ["W1", "W2", "W3"].iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_bad_line_and_field_is_reported_at_once() {
        let csv =
            "code;effectif;masse;intemperies\nW1;4;125 000,50;1000\nW9;x;12,345;\nW1;2;-5;0\n";
        let parsed = parse_declaration_csv(csv, &sites());
        assert_eq!(parsed.lines.len(), 1);
        assert_eq!(parsed.lines[0].wage_bill.centimes(), 12_500_050);
        let errors: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            vec![
                "line 3, field worksite_code: \"W9\" is not a worksite of this employer",
                "line 3, field headcount: \"x\" is not a whole number of workers",
                "line 3, field wage_bill: \"12,345\" is not an amount in dinars (like 125000,50)",
                "line 4, field worksite_code: W1 is already declared on line 2",
                "line 4, field wage_bill: must not be negative",
            ]
        );
    }

    #[test]
    fn comma_files_use_decimal_points_and_need_no_header() {
        let parsed = parse_declaration_csv("W2,3,1000.5\nW3,0,0,0\n", &sites());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.lines.len(), 2);
        assert_eq!(parsed.file_lines, vec![1, 2]);
        assert_eq!(parsed.lines[0].bad_weather_base, Amount::ZERO);
    }

    #[test]
    fn empty_rows_are_ignored_and_lines_keep_their_file_numbers() {
        let csv = "code;effectif;masse;intemperies\r\nW1;4;1000,00;0\r\n;;;\r\n\r\nW2;1;10,00;\r\n;;;\r\n;;;\r\n";
        let parsed = parse_declaration_csv(csv, &sites());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.file_lines, vec![2, 5]);
    }

    #[test]
    fn tab_separated_lower_case_and_quoted_fields_are_read() {
        let tabs = parse_declaration_csv("w1\t4\t1 000,50\t0\nW2\t2\t\"2,00\"\t\n", &sites());
        assert!(tabs.errors.is_empty(), "{:?}", tabs.errors);
        assert_eq!(
            tabs.lines[0].worksite_code, "W1",
            "the code as the fund knows it"
        );
        assert_eq!(tabs.lines[0].wage_bill.centimes(), 100_050);
        assert_eq!(tabs.lines[1].wage_bill.centimes(), 200);

        // A comma file whose amounts have decimal commas inside quotes, and a header
        // whose quoted name holds the separator.
        let quoted =
            "\"code, chantier\",effectif,masse,intemperies\n\"w3\",\"12\",\"125 000,50\",\"1,5\"\n";
        let parsed = parse_declaration_csv(quoted, &sites());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.lines[0].worksite_code, "W3");
        assert_eq!(parsed.lines[0].wage_bill.centimes(), 12_500_050);
        assert_eq!(parsed.lines[0].bad_weather_base.centimes(), 150);

        // A line break inside a quoted cell: the next line keeps the file's number.
        let broken = "W1;\"4\n\";10;0\nW2;x;1;0\n";
        let parsed = parse_declaration_csv(broken, &sites());
        let errors: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            vec!["line 3, field headcount: \"x\" is not a whole number of workers"]
        );
    }

    #[test]
    fn a_code_differing_only_by_case_from_two_worksites_matches_only_exactly() {
        let sites: HashSet<String> = ["Ab", "AB"].iter().map(|s| (*s).to_owned()).collect();
        let parsed = parse_declaration_csv("AB;1;1;0\nab;1;1;0\n", &sites);
        assert_eq!(parsed.lines.len(), 1);
        assert_eq!(parsed.lines[0].worksite_code, "AB");
        assert_eq!(
            parsed.errors[0].to_string(),
            "line 2, field worksite_code: \"ab\" is not a worksite of this employer"
        );
    }

    #[test]
    fn excel_sep_line_names_the_separator() {
        let parsed = parse_declaration_csv("sep=,\nW1,4,\"1,5\",0\nW2,x,1,0\n", &sites());
        assert_eq!(parsed.lines[0].wage_bill.centimes(), 150);
        assert_eq!(
            parsed.errors[0].to_string(),
            "line 3, field headcount: \"x\" is not a whole number of workers"
        );
    }

    #[test]
    fn encodings_are_detected() {
        // French Excel: Windows-1252, "é" and "É" in the header.
        let (bytes, _, _) = WINDOWS_1252
            .encode("Chantier;Effectif;Masse salariale;Intempéries (É)\nW1;4;1000,00;0\n");
        let (text, encoding) = decode(&bytes);
        assert_eq!(encoding, WINDOWS_1252);
        assert!(text.contains("Intempéries (É)"), "{text}");
        // Arabic Windows: Windows-1256.
        let (bytes, _, _) =
            WINDOWS_1256.encode("رمز الورشة;عدد العمال;كتلة الأجور;وعاء البطالة\nW1;4;1000,00;0\n");
        let (text, encoding) = decode(&bytes);
        assert_eq!(encoding, WINDOWS_1256);
        assert!(text.starts_with("رمز الورشة;"), "{text}");
        // UTF-8 with and without its byte order mark; UTF-16 (Excel's "Unicode text").
        let (text, encoding) = decode("\u{feff}Intempéries;x".as_bytes());
        assert_eq!((text.as_str(), encoding), ("Intempéries;x", UTF_8));
        assert_eq!(decode("Intempéries".as_bytes()).1, UTF_8);
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("W1\t4\t1,00\t0\n".encode_utf16().flat_map(u16::to_le_bytes));
        let parsed = parse_declaration_file(&utf16, &sites());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.lines[0].wage_bill.centimes(), 100);
    }

    #[test]
    fn the_template_reads_back_and_rows_left_empty_are_not_declared() {
        let codes = vec!["W1".to_owned(), "W2".to_owned(), "W3".to_owned()];
        let bytes = template(
            [
                "code_chantier",
                "effectif",
                "masse_salariale",
                "assiette_intemperies",
            ],
            &codes,
        );
        assert!(bytes.starts_with(b"\xEF\xBB\xBFcode_chantier;effectif;"));
        let empty = parse_declaration_file(&bytes, &sites());
        assert_eq!(
            empty.errors[0].to_string(),
            "no worksite line found",
            "nothing filled: nothing declared"
        );
        let (text, _) = decode(&bytes);
        let filled = text.replace("W2;;;", "W2;3;4500,50;");
        let parsed = parse_declaration_file(filled.as_bytes(), &sites());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.file_lines, vec![3]);
        assert_eq!(parsed.lines[0].wage_bill.centimes(), 450_050);
    }
}
