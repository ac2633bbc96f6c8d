//! Which character encoding a document is in, from its first bytes, as XML 1.0 (appendix F)
//! says: a byte-order mark, the `<?` of a UTF-16 document without one, else the `encoding`
//! of the XML declaration, else UTF-8. Decoding itself happens in `source`, while reading.
//! Knows nothing of elements.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// What the first bytes of a document say about its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniff {
    /// Not enough bytes yet to know (only while more may come).
    NeedMore,
    /// UTF-8 (the default), after a byte-order mark of `bom` bytes.
    Utf8,
    /// Another encoding tahsil decodes, its byte-order mark (`bom` bytes, not decoded)
    /// first.
    Other {
        encoding: &'static Encoding,
        bom: usize,
    },
    /// An encoding tahsil does not decode, or a declaration its bytes contradict.
    Refused(Refusal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The declaration names an encoding no reader knows (the name, as bytes, cut).
    Unknown { name: [u8; 40], len: usize },
    /// A known encoding that is neither UTF-8, UTF-16 nor a single-byte one.
    Unsupported(&'static Encoding),
    /// The declaration says UTF-16, but the bytes are not (no byte-order mark, no `<\0`).
    NotUtf16,
}

impl Refusal {
    pub(crate) fn message(&self) -> String {
        const WHAT: &str = "ask the bank for the file in UTF-8 (tahsil also reads UTF-16, \
                            ISO-8859-1/-15, Windows-1252, Windows-1256 and the other \
                            single-byte encodings)";
        match self {
            Refusal::Unknown { name, len } => format!(
                "the XML declaration names the encoding {:?}, which tahsil does not know: {WHAT}",
                String::from_utf8_lossy(&name[..*len])
            ),
            Refusal::Unsupported(encoding) => format!(
                "the file is in {}, an encoding tahsil does not read: {WHAT}",
                encoding.name()
            ),
            Refusal::NotUtf16 => "the XML declaration says UTF-16, but the file has no UTF-16 \
                                  byte-order mark and its first characters are not UTF-16: \
                                  the declaration is wrong or the file was damaged"
                .to_owned(),
        }
    }
}

/// How far the XML declaration is looked for.
const DECLARATION_MAX: usize = 1024;

/// The encoding of the document starting with `head`; `complete` when nothing follows.
pub(crate) fn sniff(head: &[u8], complete: bool) -> Sniff {
    let other = |encoding, bom| Sniff::Other { encoding, bom };
    if head.starts_with(b"\xEF\xBB\xBF") {
        return Sniff::Utf8;
    }
    if head.starts_with(b"\xFF\xFE") {
        return other(UTF_16LE, 2);
    }
    if head.starts_with(b"\xFE\xFF") {
        return other(UTF_16BE, 2);
    }
    if head.starts_with(b"<\0?\0") {
        return other(UTF_16LE, 0);
    }
    if head.starts_with(b"\0<\0?") {
        return other(UTF_16BE, 0);
    }
    const DECLARATION: &[u8] = b"<?xml";
    if head.len() < DECLARATION.len() && !complete {
        return Sniff::NeedMore;
    }
    if !head.starts_with(DECLARATION) {
        return Sniff::Utf8;
    }
    let Some(end) = head
        .windows(2)
        .take(DECLARATION_MAX)
        .position(|w| w == b"?>")
    else {
        return if complete || head.len() >= DECLARATION_MAX {
            Sniff::Utf8
        } else {
            Sniff::NeedMore
        };
    };
    let Some(name) = declared_encoding(&head[DECLARATION.len()..end.max(DECLARATION.len())]) else {
        return Sniff::Utf8;
    };
    match Encoding::for_label(name) {
        None => {
            let mut cut = [0u8; 40];
            let len = name.len().min(cut.len());
            cut[..len].copy_from_slice(&name[..len]);
            Sniff::Refused(Refusal::Unknown { name: cut, len })
        }
        Some(encoding) if encoding == UTF_8 => Sniff::Utf8,
        Some(encoding) if encoding == UTF_16LE || encoding == UTF_16BE => {
            Sniff::Refused(Refusal::NotUtf16)
        }
        Some(encoding) if encoding.is_single_byte() => other(encoding, 0),
        Some(encoding) => Sniff::Refused(Refusal::Unsupported(encoding)),
    }
}

/// The value of `encoding="…"` in the XML declaration's pseudo-attributes.
fn declared_encoding(declaration: &[u8]) -> Option<&[u8]> {
    let at = declaration.windows(8).position(|w| w == b"encoding")?;
    let rest = &declaration[at + 8..];
    let rest = rest
        .trim_ascii_start()
        .strip_prefix(b"=")?
        .trim_ascii_start();
    let quote = *rest.first().filter(|&&q| q == b'"' || q == b'\'')?;
    let value = &rest[1..];
    let end = value.iter().position(|&b| b == quote)?;
    Some(value[..end].trim_ascii())
}

/// True when the document starting with `bytes` is read as UTF-8 as it is.
pub(crate) fn is_utf8(bytes: &[u8]) -> bool {
    matches!(sniff(bytes, true), Sniff::Utf8)
}

/// How many bytes of the document `c` took in `encoding` (one per character in a
/// single-byte encoding; two, or four for a surrogate pair, in UTF-16).
pub(crate) fn width(encoding: &'static Encoding, c: char) -> u64 {
    if encoding == UTF_16LE || encoding == UTF_16BE {
        if (c as u32) < 0x1_0000 { 2 } else { 4 }
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_come_from_the_mark_or_the_declaration() {
        let declared = |e: &str| format!("<?xml version=\"1.0\" encoding=\"{e}\"?><a/>");
        assert_eq!(sniff(b"<a/>", true), Sniff::Utf8);
        assert_eq!(sniff(b"\xEF\xBB\xBF<a/>", true), Sniff::Utf8);
        assert_eq!(sniff(declared("utf-8").as_bytes(), true), Sniff::Utf8);
        assert_eq!(sniff(b"<?xml version='1.0'?><a/>", true), Sniff::Utf8);
        assert_eq!(sniff(b"<?x", false), Sniff::NeedMore);
        assert_eq!(sniff(b"<?xml version='1.0' enc", false), Sniff::NeedMore);
        assert_eq!(
            sniff(b"\xFF\xFE<\0", true),
            Sniff::Other {
                encoding: UTF_16LE,
                bom: 2
            }
        );
        assert_eq!(
            sniff(b"\0<\0?\0x", true),
            Sniff::Other {
                encoding: UTF_16BE,
                bom: 0
            }
        );
        for (label, name) in [
            ("ISO-8859-1", "windows-1252"),
            ("iso-8859-15", "ISO-8859-15"),
            ("Windows-1252", "windows-1252"),
            ("windows-1256", "windows-1256"),
        ] {
            match sniff(declared(label).as_bytes(), true) {
                Sniff::Other { encoding, bom: 0 } => assert_eq!(encoding.name(), name),
                other => panic!("{label}: {other:?}"),
            }
        }
        assert!(matches!(
            sniff(declared("EBCDIC-XX").as_bytes(), true),
            Sniff::Refused(Refusal::Unknown { .. })
        ));
        assert!(matches!(
            sniff(declared("Shift_JIS").as_bytes(), true),
            Sniff::Refused(Refusal::Unsupported(_))
        ));
        assert_eq!(
            sniff(declared("UTF-16").as_bytes(), true),
            Sniff::Refused(Refusal::NotUtf16)
        );
    }
}
