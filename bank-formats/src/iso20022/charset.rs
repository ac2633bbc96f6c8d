//! Character-set policy per bank profile: UTF-8 as is (Arabic names travel intact), or the
//! restricted Latin set of the EPC guidelines (a–z A–Z 0–9 / - ? : ( ) . , ' + space), with
//! accents stripped and Arabic transliterated — by the same table the fixed-width layouts
//! use (`layout::transliterate_char`), so a name reads the same in every file we send.

use crate::layout::{Charset, Encoding, fit_text};

/// What characters a bank accepts in names and remittance text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CharsetPolicy {
    Utf8,
    LatinRestricted,
}

/// Cleans `text` for the policy (control characters become spaces, runs of spaces collapse)
/// and cuts it to `max` characters on a character boundary.
pub fn clean_text(text: &str, policy: CharsetPolicy, max: usize) -> String {
    // U+FFFE and U+FFFF are not characters XML 1.0 can carry.
    let owned;
    let text = if text.contains(['\u{fffe}', '\u{ffff}']) {
        owned = text.replace(['\u{fffe}', '\u{ffff}'], " ");
        owned.as_str()
    } else {
        text
    };
    let fitted = match policy {
        CharsetPolicy::Utf8 => fit_text(text, Charset::Any, Encoding::Utf8),
        CharsetPolicy::LatinRestricted => fit_text(text, Charset::Restricted, Encoding::Ascii),
    };
    let cut: String = fitted.trim().chars().take(max).collect();
    cut.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::is_restricted;

    #[test]
    fn latin_policy_strips_accents_and_transliterates_arabic() {
        assert_eq!(
            clean_text(
                "Société Générale & Fils",
                CharsetPolicy::LatinRestricted,
                70
            ),
            "Societe Generale + Fils"
        );
        let arabic = clean_text("شركة البناء", CharsetPolicy::LatinRestricted, 70);
        assert!(
            !arabic.is_empty() && arabic.chars().all(is_restricted),
            "{arabic}"
        );
    }

    #[test]
    fn utf8_policy_keeps_arabic_and_cuts_on_characters() {
        let text = "مؤسسة الأشغال العمومية";
        assert_eq!(clean_text(text, CharsetPolicy::Utf8, 70), text);
        assert_eq!(clean_text(text, CharsetPolicy::Utf8, 5).chars().count(), 5);
        assert_eq!(clean_text("a\u{7}b\n c", CharsetPolicy::Utf8, 70), "a b c");
    }
}
