//! What can go wrong reading XML, and where: [`Position`] (byte offset, and the line when the
//! document is in memory) and [`XmlError`]. Knows nothing of how documents are read.

use std::fmt;

/// Where in a document: the byte offset in the file, and the 1-based line when the document
/// is in memory or not in UTF-8 (counting lines through a streamed UTF-8 `BufRead` would
/// cost the hot path; a document in another encoding is decoded, and counted, as it is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub byte: u64,
    pub line: Option<u64>,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line} (byte {})", self.byte),
            None => write!(f, "byte {}", self.byte),
        }
    }
}

/// Why an XML document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("at {position}: the XML is malformed: {message}")]
    Malformed { position: Position, message: String },
    #[error("at {position}: DTDs (<!DOCTYPE …>) are refused in bank files")]
    Dtd { position: Position },
    #[error(
        "at {position}: entity &{name}; is refused (only &amp; &lt; &gt; &apos; &quot; and character references are allowed)"
    )]
    Entity { position: Position, name: String },
    #[error("at {position}: elements are nested deeper than {MAX_DEPTH} levels")]
    TooDeep { position: Position },
    #[error("at {position}: the document ends before its root element is closed")]
    Truncated { position: Position },
    #[error("at {position}: {message}")]
    Content { position: Position, message: String },
}

impl XmlError {
    pub(super) fn set_position(&mut self, to: Position) {
        match self {
            XmlError::Malformed { position, .. }
            | XmlError::Dtd { position }
            | XmlError::Entity { position, .. }
            | XmlError::TooDeep { position }
            | XmlError::Truncated { position }
            | XmlError::Content { position, .. } => *position = to,
        }
    }

    pub fn position(&self) -> Position {
        match self {
            XmlError::Malformed { position, .. }
            | XmlError::Dtd { position }
            | XmlError::Entity { position, .. }
            | XmlError::TooDeep { position }
            | XmlError::Truncated { position }
            | XmlError::Content { position, .. } => *position,
        }
    }
}

/// How deep elements may nest before a document is refused.
pub(super) const MAX_DEPTH: usize = 64;

/// The most bytes one piece of text or markup may take (a tag with its attributes, a run
/// of text between two tags). ISO 20022 fields are at most a few hundred characters; this
/// only keeps a hostile file from filling memory.
pub(super) const MAX_TOKEN: usize = 64 * 1024;

/// The most bytes the text of one element may take, pieces (references, CDATA) included.
pub(super) const MAX_TEXT: usize = 64 * 1024;

/// Field lengths of the ISO 20022 schemas (`Max35Text`, …), checked by the readers on the
/// fields they keep.
pub(crate) const MAX4: usize = 4;
pub(crate) const MAX35: usize = 35;
pub(crate) const MAX140: usize = 140;
pub(crate) const MAX500: usize = 500;
