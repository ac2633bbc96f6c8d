//! Every shape of file a bank really sends, read right: the small files in `tests/reading/`
//! (written for tahsil by `make.py` there, each beside its `.facts.json`) are inspected and
//! compared with their facts; `validate` gives the same format as `inspect`; each reads
//! alike in memory and streamed through reads of every size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::BufReader;
use std::path::{Path, PathBuf};

use bank_formats::inspect::{inspect, validate};
use bank_formats::iso20022::{
    for_each_camt_entry, for_each_camt_entry_in, identify, read_pain002, read_pain002_slice,
};
use serde_json::Value;

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reading")
}

/// Every fixture with its facts; a fixture without facts fails the test.
fn fixtures() -> Vec<(String, Vec<u8>, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(folder()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "xml") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let facts_path = path.with_extension("facts.json");
        let facts = std::fs::read(&facts_path)
            .unwrap_or_else(|_| panic!("{name} has no {}", facts_path.display()));
        out.push((
            name,
            std::fs::read(&path).unwrap(),
            serde_json::from_slice(&facts).unwrap(),
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 17, "the fixtures are missing: {}", out.len());
    out
}

#[test]
fn every_file_reads_as_its_facts_say() {
    for (name, bytes, facts) in fixtures() {
        match facts.get("error").and_then(Value::as_str) {
            Some(expected) => {
                let error = inspect(&bytes).expect_err(&name).to_string();
                assert!(error.contains(expected), "{name}: {error}");
            }
            None => {
                let inspection = inspect(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
                let mut read = serde_json::to_value(&inspection).unwrap();
                // The facts are the contract's fields; what a camt entry means beyond them
                // (`entry`, tested in camt_meaning.rs) must agree on the currency shown.
                for t in read["transactions"].as_array_mut().unwrap() {
                    let t = t.as_object_mut().unwrap();
                    let entry = t.remove("entry");
                    assert_eq!(entry.is_some(), name.starts_with("camt"), "{name}");
                    if let Some(entry) = entry
                        && !t["currency"].is_null()
                    {
                        assert_eq!(entry["currency"], t["currency"], "{name}");
                    }
                }
                assert_eq!(read, facts, "{name}");
            }
        }
    }
}

#[test]
fn validate_and_inspect_name_the_same_format() {
    for (name, bytes, facts) in fixtures() {
        let validation = validate(&bytes);
        if facts.get("error").is_some() {
            assert!(!validation.readable, "{name}: {validation:?}");
            assert!(!validation.problems.is_empty(), "{name}");
            continue;
        }
        assert_eq!(
            validation.format.as_deref(),
            facts["format"].as_str(),
            "{name}: {validation:?}"
        );
        assert!(validation.readable, "{name}: {validation:?}");
        assert_eq!(validation.problems, Vec::<String>::new(), "{name}");
    }
}

/// Point 1: a pain.002 without a namespace is a pain.002 whatever file it answers.
#[test]
fn a_report_is_known_by_its_message_element_never_by_the_name_it_refers_to() {
    for name in [
        "pain002-no-namespace-answering-pain008.xml",
        "pain002-no-namespace-answering-pain001.xml",
    ] {
        let bytes = std::fs::read(folder().join(name)).unwrap();
        let identified = identify(&bytes).unwrap().unwrap();
        assert_eq!(identified.family, "pain.002", "{name}");
        assert_eq!(identified.namespace, None);
        assert_eq!(identified.schema(), None);
        let report = read_pain002_slice(&bytes).unwrap();
        assert_eq!(report.version, "pain.002");
        assert_eq!(report.payments[0].transactions.len(), 2);
    }
}

/// Points 7 and 10: the namespace of a prefixed root; a national variant's own schema.
#[test]
fn schemas_come_from_the_namespace_a_variant_its_own() {
    let schema = |name: &str| {
        identify(&std::fs::read(folder().join(name)).unwrap())
            .unwrap()
            .unwrap()
            .schema()
    };
    assert_eq!(
        schema("pain002-ns2-prefixed.xml"),
        Some(("pain.002.001.03.xsd".to_owned(), false))
    );
    assert_eq!(
        schema("camt053-ns2-prefixed.xml"),
        Some(("camt.053.001.02.xsd".to_owned(), false))
    );
    assert_eq!(
        schema("pain002-six-ch02.xml"),
        Some(("pain.002.001.03.ch.02.xsd".to_owned(), true))
    );
    assert_eq!(
        validate(&std::fs::read(folder().join("pain002-six-ch02.xml")).unwrap()).schema,
        Some(("pain.002.001.03.ch.02.xsd".to_owned(), true))
    );
}

/// Point 2: another encoding is decoded while streaming, whatever the reads' sizes, and
/// gives what the in-memory read gives; its errors carry the file's byte and line.
#[test]
fn other_encodings_stream_alike_through_reads_of_every_size() {
    for (name, bytes, facts) in fixtures() {
        if facts.get("error").is_some() {
            continue;
        }
        if name.starts_with("pain002") {
            let whole = read_pain002_slice(&bytes).unwrap();
            for capacity in [1, 2, 3, 7, 64, 8192] {
                let streamed = read_pain002(BufReader::with_capacity(capacity, &bytes[..]))
                    .unwrap_or_else(|e| panic!("{name} by {capacity}: {e}"));
                assert_eq!(streamed, whole, "{name} by {capacity}");
            }
        } else {
            let mut whole = Vec::new();
            for_each_camt_entry_in(&bytes, |e| {
                whole.push(e);
                Ok(())
            })
            .unwrap();
            for capacity in [1, 3, 8192] {
                let mut streamed = Vec::new();
                for_each_camt_entry(BufReader::with_capacity(capacity, &bytes[..]), |e| {
                    streamed.push(e);
                    Ok(())
                })
                .unwrap();
                assert_eq!(streamed, whole, "{name} by {capacity}");
            }
        }
    }
}

#[test]
fn a_broken_utf16_file_is_refused_at_the_byte_and_line_of_the_bad_bytes() {
    let bytes = std::fs::read(folder().join("broken-utf-16le-unpaired-surrogate.xml")).unwrap();
    // Where the two bytes of the unpaired surrogate are, and the line they are on.
    let at = (0..bytes.len() - 1)
        .step_by(2)
        .find(|&i| bytes[i..i + 2] == [0x00, 0xD8])
        .unwrap();
    let line = 1 + bytes[..at]
        .chunks(2)
        .filter(|unit| unit == &[b'\n', 0])
        .count() as u64;
    let error = read_pain002_slice(&bytes).unwrap_err();
    assert_eq!(error.position().byte, at as u64, "{error}");
    assert_eq!(error.position().line, Some(line), "{error}");
    for capacity in [1, 5, 8192] {
        let streamed = read_pain002(BufReader::with_capacity(capacity, &bytes[..])).unwrap_err();
        assert_eq!(streamed, error, "by {capacity}");
    }
}

/// A malformed document in another encoding is refused where it is in the file (bytes
/// of the file, not of the decoded text).
#[test]
fn errors_in_a_decoded_document_point_into_the_file() {
    let text = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<Document><CstmrPmtStsRpt><GrpHdr><MsgId>ÉÉÉÉ</MsgId></GrpHdr>\n</Oops></Document>\n";
    let latin1: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
    let at = latin1.windows(6).position(|w| w == b"</Oops").unwrap() as u64;
    let error = read_pain002_slice(&latin1).unwrap_err();
    assert_eq!(error.position().byte, at, "{error}");
    assert_eq!(error.position().line, Some(3), "{error}");
    // UTF-16: two bytes a character, after the mark.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let at16 = 2 + 2 * text[..text.find("</Oops").unwrap()].encode_utf16().count() as u64;
    let error = read_pain002_slice(&utf16).unwrap_err();
    assert_eq!(error.position().byte, at16, "{error}");
    assert_eq!(error.position().line, Some(3), "{error}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// Bytes after a UTF-16 mark or a declaration of another encoding go through the
    /// decoder: whatever they are, every reader answers (an error or a reading), never a
    /// panic, in memory and streamed.
    #[test]
    fn decoded_noise_never_panics(
        prefix in proptest::sample::select(vec![
            &b"\xFF\xFE"[..],
            &b"\xFE\xFF"[..],
            &b"<\0?\0"[..],
            &b"\0<\0?"[..],
            &b"<?xml version='1.0' encoding='windows-1256'?>"[..],
            &b"<?xml version=\"1.0\" encoding=\"UTF-16\"?>"[..],
            &b"<?xml version=\"1.0\" encoding=\"x-unknown\"?>"[..],
        ]),
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        capacity in 1usize..9,
    ) {
        let mut bytes = prefix.to_vec();
        bytes.extend(body);
        let _ = inspect(&bytes);
        let _ = validate(&bytes);
        let _ = identify(&bytes);
        let _ = read_pain002(BufReader::with_capacity(capacity, &bytes[..]));
        let _ = for_each_camt_entry(BufReader::with_capacity(capacity, &bytes[..]), |_| Ok(()));
    }
}
