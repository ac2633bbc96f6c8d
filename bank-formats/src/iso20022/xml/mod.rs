//! A small streaming walker over XML: element local names (namespaces ignored, so every
//! version and national variant reads alike), leaf text, and the few attributes we need.
//! Refuses DTDs and any entity but the five predefined ones; every error carries the byte
//! offset where it was found. Also the two helpers the writers use to put text into XML.
//!
//! The tokenizer is our own (it follows quick-xml 0.42's rules and reuses its error
//! messages, attribute parser and character references): UTF-8 is validated once per
//! document (or once per chunk when streaming) instead of once per event, and names are
//! compared as bytes where they lie, so the hot path neither allocates nor re-decodes.
//! Two deliberate differences from the quick-xml walker it replaced (kept in
//! `reference.rs` as the tests' oracle): positions count a UTF-8 byte-order mark, and
//! `<!DOCTYPE` is refused as a DTD as soon as it is seen.
//!
//! One concept a file, each depending only on those above it:
//! - `error`: [`Position`] and [`XmlError`];
//! - `escape`: escaping text and writing one element (the writers' side);
//! - `encoding`: which encoding a document is in (byte-order mark, XML declaration);
//! - `scan`: the tokenizer, over the bytes at hand;
//! - `source`: where the bytes come from (a `BufRead`, or a slice in memory);
//! - `walker`: the steps the readers see, built from the tokens of a source;
//! - `reference` and `tests` (tests only): the quick-xml walker kept as the oracle, and the
//!   properties that compare the two.
//!
//! No ISO message is known here: the readers (`pain008`, `pain002`, `camt`) sit above.

mod encoding;
mod error;
mod escape;
#[cfg(test)]
#[allow(dead_code)]
mod reference;
mod scan;
mod source;
#[cfg(test)]
mod tests;
mod walker;

pub(crate) use encoding::is_utf8;
pub(crate) use error::{MAX4, MAX35, MAX140, MAX500};
pub use error::{Position, XmlError};
pub(crate) use escape::{element, escape};
pub(crate) use source::Source;
pub(crate) use walker::{Step, Walker};
