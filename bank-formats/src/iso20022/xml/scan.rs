//! The tokenizer: where the next piece of markup or text ends, by quick-xml 0.42's rules (so
//! documents are accepted and refused alike, with its error messages). Works on bytes at
//! hand and says when it needs more; knows nothing of where the bytes come from or of
//! element names and text.

use quick_xml::errors::{Error as QuickError, IllFormedError, SyntaxError};

/// One piece of markup or text, by its length from where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
    /// Character data up to `<`, `&` or the end of the input; `cr` if it holds a `\r`.
    Text { len: usize, cr: bool },
    /// `&name;`.
    Ref(usize),
    /// `<name …>`, or `<name …/>` when `empty`.
    Start { len: usize, empty: bool },
    /// `</name>`.
    End(usize),
    /// `<![CDATA[…]]>`.
    CData(usize),
    /// A comment, processing instruction or XML declaration: nothing we read.
    Skip(usize),
    /// `<!DOCTYPE`: refused as soon as it is seen.
    Doctype,
    /// Markup that is complete but wrong: refused once its bytes are known to be UTF-8
    /// (quick-xml decodes first, so a decoding error takes precedence).
    Refused { len: usize, error: Refusal },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    UnclosedReference,
    UnclosedComment,
    UnclosedCData,
    UnclosedPI,
}

impl From<Refusal> for QuickError {
    fn from(refusal: Refusal) -> QuickError {
        match refusal {
            Refusal::UnclosedReference => IllFormedError::UnclosedReference.into(),
            Refusal::UnclosedComment => SyntaxError::UnclosedComment.into(),
            Refusal::UnclosedCData => SyntaxError::UnclosedCData.into(),
            Refusal::UnclosedPI => SyntaxError::UnclosedPI.into(),
        }
    }
}

impl Token {
    pub(super) fn len(self) -> usize {
        match self {
            Token::Text { len: n, .. }
            | Token::Ref(n)
            | Token::Start { len: n, .. }
            | Token::End(n)
            | Token::CData(n)
            | Token::Skip(n)
            | Token::Refused { len: n, .. } => n,
            Token::Doctype => 0,
        }
    }
}

#[derive(Debug)]
pub(super) enum Scan {
    Token(Token),
    /// The token goes on past the bytes at hand (never when `eof`).
    NeedMore,
    Error(QuickError),
}

pub(super) fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\r' | b'\n' | b'\t')
}

/// The token at the start of `b` (not empty). `eof`: nothing follows `b`.
/// The rules are quick-xml 0.42's, so documents are accepted and refused alike.
#[inline(always)]
pub(super) fn scan(b: &[u8], eof: bool) -> Scan {
    let need_more = |error: QuickError| {
        if eof {
            Scan::Error(error)
        } else {
            Scan::NeedMore
        }
    };
    let Some(&first) = b.first() else {
        return Scan::NeedMore;
    };
    match first {
        b'<' => {
            let Some(&second) = b.get(1) else {
                return need_more(SyntaxError::UnclosedTag.into());
            };
            match second {
                b'!' => scan_bang(b, eof),
                b'?' => {
                    // Ends at the first `?>` (the opening `?` counts: `<?>` is refused below).
                    let Some(i) = (2..b.len()).find(|&i| b[i] == b'>' && b[i - 1] == b'?') else {
                        return need_more(pi_error(b).into());
                    };
                    if i + 1 > 3 {
                        Scan::Token(Token::Skip(i + 1))
                    } else {
                        // `<?>`.
                        Scan::Token(Token::Refused {
                            len: i + 1,
                            error: Refusal::UnclosedPI,
                        })
                    }
                }
                _ => {
                    // Up to the first `>` outside quoted attribute values.
                    let mut from = 1;
                    let len = loop {
                        let Some(i) = find(b, from, [b'>', b'"', b'\'']) else {
                            return need_more(SyntaxError::UnclosedTag.into());
                        };
                        let quote = b[i];
                        if quote == b'>' {
                            break i + 1;
                        }
                        let Some(close) = find(b, i + 1, [quote]) else {
                            return need_more(
                                if quote == b'\'' {
                                    SyntaxError::UnclosedSingleQuotedAttributeValue
                                } else {
                                    SyntaxError::UnclosedDoubleQuotedAttributeValue
                                }
                                .into(),
                            );
                        };
                        from = close + 1;
                    };
                    if second == b'/' {
                        Scan::Token(Token::End(len))
                    } else {
                        Scan::Token(Token::Start {
                            len,
                            empty: b[len - 2] == b'/',
                        })
                    }
                }
            }
        }
        b'&' => {
            let unclosed = |len| {
                Scan::Token(Token::Refused {
                    len,
                    error: Refusal::UnclosedReference,
                })
            };
            match find(b, 1, [b';', b'&', b'<']) {
                Some(i) if b[i] == b';' => Scan::Token(Token::Ref(i + 1)),
                Some(i) => unclosed(i),
                None if eof => unclosed(b.len()),
                None => Scan::NeedMore,
            }
        }
        _ => {
            // Line ends are normalized only in texts that have a `\r`.
            let mut cr = first == b'\r';
            let mut from = 1;
            loop {
                return match find(b, from, [b'<', b'&', b'\r']) {
                    Some(i) if b[i] == b'\r' => {
                        cr = true;
                        from = i + 1;
                        continue;
                    }
                    Some(len) => Scan::Token(Token::Text { len, cr }),
                    None if eof => Scan::Token(Token::Text { len: b.len(), cr }),
                    None => Scan::NeedMore,
                };
            }
        }
    }
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `word` that equals `byte` (exact for the lowest one).
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (LOW_BITS * u64::from(byte));
    x.wrapping_sub(LOW_BITS) & !x & HIGH_BITS
}

/// The first index from `from` on whose byte is one of `needles`, eight bytes at a time
/// (tags and values are short: this beats both a byte loop and a SIMD `memchr` call).
#[inline(always)]
pub(super) fn find<const N: usize>(b: &[u8], from: usize, needles: [u8; N]) -> Option<usize> {
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_le_bytes(word);
        let hits = needles
            .iter()
            .fold(0, |hits, &needle| hits | bytes_equal(word, needle));
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|c| needles.contains(c))
        .map(|p| i + p)
}

fn pi_error(b: &[u8]) -> SyntaxError {
    let declaration =
        b.starts_with(b"<?xml") && b.get(5).is_none_or(|&c| is_whitespace(c) || c == b'?');
    if declaration {
        SyntaxError::UnclosedXmlDecl
    } else {
        SyntaxError::UnclosedPI
    }
}

/// `<!…`: comment, CDATA section or DOCTYPE.
fn scan_bang(b: &[u8], eof: bool) -> Scan {
    let need_more = |error: SyntaxError| {
        if eof {
            Scan::Error(error.into())
        } else {
            Scan::NeedMore
        }
    };
    let Some(&third) = b.get(2) else {
        return need_more(SyntaxError::InvalidBangMarkup);
    };
    let closing = |tail: &[u8], min: usize| {
        (0..b.len()).find(|&i| b[i] == b'>' && i > min && b[..i].ends_with(tail))
    };
    match third {
        b'-' => match closing(b"--", 5) {
            Some(i) if b.starts_with(b"<!--") => Scan::Token(Token::Skip(i + 1)),
            Some(i) => Scan::Token(Token::Refused {
                len: i + 1,
                error: Refusal::UnclosedComment,
            }),
            None => need_more(SyntaxError::UnclosedComment),
        },
        b'[' => match closing(b"]]", 0) {
            Some(i) if b.starts_with(b"<![CDATA[") => Scan::Token(Token::CData(i + 1)),
            Some(i) => Scan::Token(Token::Refused {
                len: i + 1,
                error: Refusal::UnclosedCData,
            }),
            None => need_more(SyntaxError::UnclosedCData),
        },
        b'D' | b'd' => match b.get(..9) {
            Some(start) if start.eq_ignore_ascii_case(b"<!DOCTYPE") => Scan::Token(Token::Doctype),
            Some(_) => Scan::Error(SyntaxError::UnclosedDoctype.into()),
            None => need_more(SyntaxError::UnclosedDoctype),
        },
        _ => Scan::Error(SyntaxError::InvalidBangMarkup.into()),
    }
}

/// The error quick-xml gave for a token that is not all UTF-8 (`raw` runs from its start
/// to the end of the input): it read the token whole, then failed to decode it — unless
/// its markup was wrong first.
pub(super) fn undecodable_token(raw: &[u8]) -> QuickError {
    let token = match scan(raw, true) {
        Scan::Error(e) => return e,
        Scan::Token(token) => Some(token),
        Scan::NeedMore => None,
    };
    let end = token.map_or(raw.len(), |t| t.len().min(raw.len()));
    match (std::str::from_utf8(&raw[..end]), token) {
        (Err(e), _) => e.into(),
        (Ok(_), Some(Token::Refused { error, .. })) => error.into(),
        (Ok(_), _) => match std::str::from_utf8(raw) {
            Err(e) => e.into(),
            Ok(_) => SyntaxError::UnclosedTag.into(),
        },
    }
}
