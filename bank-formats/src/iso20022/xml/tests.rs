//! The walker against the quick-xml walker it replaced (`reference.rs`): the same steps,
//! texts, currencies, positions and errors on XML-shaped noise, arbitrary bytes, mangled
//! documents and the shared samples, in memory and streamed with reads cut at every size.

use std::io::BufReader;

use proptest::prelude::*;

use super::{Position, Source, Step, Walker, XmlError, reference};

/// Everything a reader can see of a walk, step by step.
fn trace_new<S: Source>(mut walker: Walker<S>) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        match walker.next() {
            Ok(step) => {
                let done = matches!(step, Step::Eof);
                out.push(format!(
                    "{step:?} depth={} current={:?} text={:?} ccy={:?} at={:?} {:?}",
                    walker.depth(),
                    walker.current(),
                    walker.text(),
                    walker.last_ccy().map(str::to_owned),
                    walker.position(),
                    walker.at(&["Ntry", "Amt"]),
                ));
                if done {
                    break;
                }
            }
            Err(e) => {
                out.push(describe(&e));
                break;
            }
        }
    }
    out
}

fn trace_old<S: reference::Source>(mut walker: reference::Walker<S>) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        match walker.next() {
            Ok(step) => {
                let done = matches!(step, Step::Eof);
                out.push(format!(
                    "{step:?} depth={} current={:?} text={:?} ccy={:?} at={:?} {:?}",
                    walker.depth(),
                    walker.current(),
                    walker.text(),
                    walker.last_ccy,
                    walker.position(),
                    walker.at(&["Ntry", "Amt"]),
                ));
                if done {
                    break;
                }
            }
            Err(e) => {
                out.push(describe(&e));
                break;
            }
        }
    }
    out
}

/// A DOCTYPE is refused as such even when quick-xml would first have found it
/// malformed (unclosed, or without a name): the same refusal at the same place.
fn describe(e: &XmlError) -> String {
    match e {
        XmlError::Malformed { position, message } if message.contains("DOCTYPE") => {
            format!(
                "{:?}",
                XmlError::Dtd {
                    position: *position
                }
            )
        }
        other => format!("{other:?}"),
    }
}

/// Equal traces, but for a DOCTYPE that quick-xml first found malformed or not UTF-8:
/// refused here as a DTD at the same byte.
fn same(new: &[String], old: &[String]) -> bool {
    new == old
        || (new.len() == old.len()
            && new[..new.len() - 1] == old[..old.len() - 1]
            && new.last().zip(old.last()).is_some_and(|(n, o)| {
                n.starts_with("Dtd {")
                    && o.starts_with("Malformed {")
                    && o.contains(n.trim_start_matches("Dtd { ").trim_end_matches(" }"))
            }))
}

/// The old and new walkers agree on `bytes`, in memory and streamed through reads of
/// every size.
fn agree(bytes: &[u8]) -> Result<(), TestCaseError> {
    // quick-xml did not count a byte-order mark in positions; we do.
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Ok(());
    }
    // quick-xml (without its `encoding` feature) read UTF-8 only; we decode the others.
    if !super::is_utf8(bytes) {
        return Ok(());
    }
    let old = trace_old(reference::Walker::slice(bytes));
    for ahead in [1, 2, 5, 64 * 1024] {
        let new = trace_new(Walker::slicing(bytes, ahead));
        prop_assert!(
            same(&new, &old),
            "in memory by {}:\n{:?}\n{:?}",
            ahead,
            new,
            old
        );
    }
    // Streamed, positions carry no line.
    let old_streamed = trace_old(reference::Walker::new(BufReader::with_capacity(7, bytes)));
    for (capacity, read_ahead) in [(1, 1), (3, 2), (7, 5), (4096, 64 * 1024)] {
        let new = trace_new(Walker::reading(
            BufReader::with_capacity(capacity, bytes),
            read_ahead,
        ));
        prop_assert!(
            same(&new, &old_streamed),
            "streamed by {}:\n{:?}\n{:?}",
            capacity,
            new,
            old_streamed
        );
    }
    Ok(())
}

const PIECES: &[&[u8]] = &[
    b"<",
    b">",
    b"/",
    b"/>",
    b"</",
    b"a",
    b"Amt",
    b"ns:Amt",
    b"Ntry",
    b" ",
    b"\"",
    b"'",
    b"=",
    b" Ccy=\"DZD\"",
    b" Ccy='E&amp;R'",
    b" xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\"",
    b"&",
    b";",
    b"&amp;",
    b"&lt;",
    b"&#x41;",
    b"&#65;",
    b"&#0;",
    b"&foo;",
    b"<!--",
    b"-->",
    b"--",
    b"<!-",
    b"<![CDATA[",
    b"]]>",
    b"]]",
    b"<!",
    b"<![",
    b"<?",
    b"?>",
    b"<?xml version=\"1.0\"?>",
    b"<?xml",
    b"<!DOCTYPE",
    b"<!doctype x>",
    b"<!Dx>",
    b"\r\n",
    b"\r",
    b"\n",
    b"\t",
    b"\xC3\xA9",
    b"\xE2\x82\xAC",
    b"\xFF",
    b"\xE2\x82",
    b"\xC3",
    b"<a>",
    b"</a>",
    b"<Ntry>",
    b"</Ntry>",
    b"<Amt Ccy=\"DZD\">12.50</Amt>",
    b"<b:Ntry>",
    b"</b:Ntry >",
    b"<Ntry/>",
    b"<Ntry />",
    b"< a>",
    b"</>",
    b"<>",
    b"text",
];

fn noise() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|pieces| pieces.concat())
}

const DOCUMENT: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.02\"><BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>M&amp;1</MsgId></GrpHdr><Ntfctn><!-- c --><Ntry><Amt Ccy=\"DZD\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><NtryDtls><TxDtls><Refs><EndToEndId>E&#x41;\u{e9}</EndToEndId></Refs><RtrInf><Rsn><Cd><![CDATA[AM04]]></Cd></Rsn></RtrInf></TxDtls></NtryDtls><AddtlNtryInf>a\r\nb\rc</AddtlNtryInf></Ntry>\n</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_walk_is_the_one_quick_xml_gave_on_noise(bytes in noise()) {
        agree(&bytes)?;
    }

    #[test]
    fn the_walk_is_the_one_quick_xml_gave_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        agree(&bytes)?;
    }

    #[test]
    fn the_walk_is_the_one_quick_xml_gave_on_mangled_documents(
        cut in 0usize..700,
        at in 0usize..700,
        insert in prop::sample::select(PIECES),
        replace in any::<bool>(),
    ) {
        let mut bytes = DOCUMENT.as_bytes().to_vec();
        let at = at.min(bytes.len());
        if replace && at < bytes.len() {
            bytes.remove(at);
        }
        bytes.splice(at..at, insert.iter().copied());
        bytes.truncate(cut.max(1));
        agree(&bytes)?;
    }
}

#[test]
fn positions_count_a_byte_order_mark() {
    let bytes = b"\xEF\xBB\xBF<a></b>";
    let position = |e: XmlError| e.position().byte;
    let mut old = reference::Walker::slice(bytes);
    old.next().unwrap();
    assert_eq!(
        position(old.next().unwrap_err()),
        3,
        "quick-xml left the mark out"
    );
    let mut new = Walker::slice(bytes);
    new.next().unwrap();
    assert_eq!(position(new.next().unwrap_err()), 6);
    let mut streamed = Walker::new(&bytes[..]);
    streamed.next().unwrap();
    assert_eq!(position(streamed.next().unwrap_err()), 6);
}

#[test]
fn whole_documents_walk_as_before() {
    agree(DOCUMENT.as_bytes()).unwrap();
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/iso20022/samples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            for inner in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                if inner.path().extension().is_some_and(|e| e == "xml") {
                    agree(&std::fs::read(inner.path()).unwrap()).unwrap();
                    seen += 1;
                }
            }
        } else if path.extension().is_some_and(|e| e == "xml") {
            agree(&std::fs::read(&path).unwrap()).unwrap();
            seen += 1;
        }
    }
    eprintln!("{seen} shared samples walked alike");
}

/// What a walk shows, with each position apart (so another encoding's can be compared).
fn trace_at<S: Source>(mut walker: Walker<S>) -> Vec<(String, Position)> {
    let mut out = Vec::new();
    for _ in 0..10_000 {
        match walker.next() {
            Ok(step) => {
                let done = matches!(step, Step::Eof);
                out.push((
                    format!(
                        "{step:?} depth={} current={:?} text={:?} ccy={:?}",
                        walker.depth(),
                        walker.current(),
                        walker.text(),
                        walker.last_ccy().map(str::to_owned),
                    ),
                    walker.position(),
                ));
                if done {
                    break;
                }
            }
            Err(mut e) => {
                let position = e.position();
                e.set_position(Position::default());
                out.push((format!("{e:?}"), position));
                break;
            }
        }
    }
    out
}

/// Text pieces only (every character a Latin-1 one or beyond the BMP, none of the C1
/// controls that Windows-1252 reads otherwise), for documents that exist in every encoding.
fn text_noise() -> impl Strategy<Value = String> {
    let pieces: Vec<&'static str> = PIECES
        .iter()
        .filter_map(|p| std::str::from_utf8(p).ok())
        .chain(["é", "Ç", "ÿ", "<Nm>Société</Nm>", "\u{1D11E}", "رد", "€"])
        .collect();
    prop::collection::vec(prop::sample::select(pieces), 0..40).prop_map(|p| p.concat())
}

/// The UTF-8 walk of `text`, positions moved to where they are in the file that
/// `prefix` bytes start and that takes `width(c)` bytes a character.
fn expected(text: &str, prefix: u64, width: impl Fn(char) -> u64) -> Vec<(String, Position)> {
    trace_at(Walker::slice(text.as_bytes()))
        .into_iter()
        .map(|(step, at)| {
            let utf8 = usize::try_from(at.byte).unwrap();
            let byte = prefix + text[..utf8].chars().map(&width).sum::<u64>();
            (step, Position { byte, ..at })
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// A document in UTF-16 or ISO-8859-1 walks as its UTF-8 form does, step by step, with
    /// the file's own positions (bytes and lines), in memory and through reads of every size.
    #[test]
    fn other_encodings_walk_as_their_utf8_form(text in text_noise()) {
        let mut utf16 = b"\xFF\xFE".to_vec();
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let want16 = expected(&text, 2, |c| if (c as u32) < 0x1_0000 { 2 } else { 4 });
        for capacity in [1, 2, 3, 7, 4096] {
            let got = trace_at(Walker::reading(BufReader::with_capacity(capacity, &utf16[..]), capacity));
            prop_assert_eq!(&got, &want16, "UTF-16 by {}", capacity);
        }
        if text.chars().all(|c| (c as u32) < 0x100) {
            let declaration = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>";
            let mut latin1 = declaration.as_bytes().to_vec();
            latin1.extend(text.chars().map(|c| c as u32 as u8));
            let whole = format!("{declaration}{text}");
            let want = expected(&whole, 0, |_| 1);
            for capacity in [1, 5, 4096] {
                let got = trace_at(Walker::reading(BufReader::with_capacity(capacity, &latin1[..]), capacity));
                prop_assert_eq!(&got, &want, "ISO-8859-1 by {}", capacity);
            }
        }
    }
}
