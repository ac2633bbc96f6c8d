//! Transliteration to the restricted Latin set that old bank systems accept:
//! `A-Z a-z 0-9 space / - ? : ( ) . , ' +`.
//!
//! Accented Latin letters lose their accents (é → e, œ → oe); Arabic letters get the
//! French-style spelling usual in Algerian civil records (ج → DJ, ش → CH, و → OU), which
//! is deterministic but not a romanisation standard — names in files are for the
//! bank's eyes, our records keep the original. Anything else becomes a space, and runs
//! of spaces collapse to one.

use super::Charset;
use super::Encoding;

/// Whether `c` is in the restricted set.
pub fn is_restricted(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            ' ' | '/' | '-' | '?' | ':' | '(' | ')' | '.' | ',' | '\'' | '+'
        )
}

/// Makes `text` fit the layout's charset and encoding. Control characters always become
/// spaces (a newline inside a name would break the record structure).
pub fn fit_text(text: &str, charset: Charset, encoding: Encoding) -> String {
    let needs_restricted = charset == Charset::Restricted;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let keep = if c.is_control() {
            false
        } else if needs_restricted {
            is_restricted(c)
        } else {
            match encoding {
                Encoding::Ascii => c.is_ascii(),
                Encoding::Latin1 => (c as u32) <= 0xFF,
                Encoding::Utf8 => true,
            }
        };
        if keep {
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            match transliterate_char(c) {
                Some(latin) => out.push_str(latin),
                None => out.push(' '),
            }
        }
    }
    if needs_restricted || out.contains("  ") {
        collapse_spaces(&out)
    } else {
        out
    }
}

/// Runs of spaces become one space; leading and trailing spaces go.
fn collapse_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The restricted-set spelling of one character, if it has one.
pub fn transliterate_char(c: char) -> Option<&'static str> {
    Some(match c {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "A",
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'Æ' => "AE",
        'æ' => "ae",
        'Ç' => "C",
        'ç' => "c",
        'È' | 'É' | 'Ê' | 'Ë' => "E",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'Ì' | 'Í' | 'Î' | 'Ï' => "I",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'Ñ' => "N",
        'ñ' => "n",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "O",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
        'Œ' => "OE",
        'œ' => "oe",
        'Ù' | 'Ú' | 'Û' | 'Ü' => "U",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'Ý' | 'Ÿ' => "Y",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        '’' | '‘' | '`' | '´' => "'",
        '«' | '»' | '"' | '“' | '”' => "'",
        '–' | '—' | '_' => "-",
        '&' => "+",
        // Arabic letters, French-style as in Algerian civil records.
        'ا' | 'أ' | 'آ' | 'ٱ' | 'ى' | 'ة' => "A",
        'إ' => "I",
        'ب' => "B",
        'ت' => "T",
        'ث' => "TH",
        'ج' => "DJ",
        'ح' => "H",
        'خ' => "KH",
        'د' => "D",
        'ذ' => "DH",
        'ر' => "R",
        'ز' => "Z",
        'س' => "S",
        'ش' => "CH",
        'ص' => "S",
        'ض' => "D",
        'ط' => "T",
        'ظ' => "DH",
        'ع' => "A",
        'غ' => "GH",
        'ف' => "F",
        'ق' => "K",
        'ك' => "K",
        'ل' => "L",
        'م' => "M",
        'ن' => "N",
        'ه' => "H",
        'و' => "OU",
        'ي' => "I",
        'ء' => "",
        'ؤ' => "OU",
        'ئ' => "I",
        'پ' => "P",
        'ڤ' => "V",
        'گ' => "G",
        '،' => ",",
        '؟' => "?",
        '٠' => "0",
        '١' => "1",
        '٢' => "2",
        '٣' => "3",
        '٤' => "4",
        '٥' => "5",
        '٦' => "6",
        '٧' => "7",
        '٨' => "8",
        '٩' => "9",
        // Harakat (short vowel marks), tatweel: dropped.
        '\u{064B}'..='\u{0652}' | 'ـ' => "",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_arabic_become_restricted_latin() {
        let out = fit_text(
            "Société Bâtiment Œuvre & Fils",
            Charset::Restricted,
            Encoding::Ascii,
        );
        assert_eq!(out, "Societe Batiment OEuvre + Fils");
        let out = fit_text("شركة بن علي للبناء", Charset::Restricted, Encoding::Ascii);
        assert!(out.chars().all(is_restricted), "{out}");
        assert_eq!(out, "CHRKA BN ALI LLBNA");
    }

    #[test]
    fn control_characters_never_reach_a_record() {
        assert_eq!(fit_text("A\r\nB", Charset::Any, Encoding::Utf8), "A B");
    }
}
