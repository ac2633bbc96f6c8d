//! The word for every state, in Arabic and French: one exhaustive `match` per enum (no
//! wildcard), so a new state is a compile error here until it has its words, never its
//! raw code on a page, in a notice or on the command line.
//!
//! Staff (the console, the command line) read [`Word::word`]; where employers read a
//! plainer word (the portal), the same table gives it as [`EmployerWord::employer_word`].

use super::Lang;

/// The word for a state in each language.
pub trait Word: Copy {
    fn word(self, lang: Lang) -> &'static str;
}

/// The word an employer reads for a state, where it is plainer than the staff's.
pub trait EmployerWord: Copy {
    fn employer_word(self, lang: Lang) -> &'static str;
}
