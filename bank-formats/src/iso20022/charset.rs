//! Character-set policy per bank profile: UTF-8 as is (Arabic names travel intact), or the
//! restricted Latin set of the EPC guidelines (a–z A–Z 0–9 / - ? : ( ) . , ' + space), with
//! accents stripped and Arabic transliterated.

/// What characters a bank accepts in names and remittance text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CharsetPolicy {
    Utf8,
    LatinRestricted,
}

fn latin_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/-?:().,'+ ".contains(c)
}

/// A Latin rendering of one character (accents stripped, Arabic transliterated).
fn transliterate(c: char) -> &'static str {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => "a",
        'À' | 'Á' | 'Â' | 'Ä' | 'Ã' | 'Å' => "A",
        'ç' => "c",
        'Ç' => "C",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'È' | 'É' | 'Ê' | 'Ë' => "E",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' => "I",
        'ñ' => "n",
        'Ñ' => "N",
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Ö' | 'Õ' => "O",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' => "U",
        'ÿ' | 'ý' => "y",
        'œ' => "oe",
        'Œ' => "OE",
        'æ' => "ae",
        'Æ' => "AE",
        'ß' => "ss",
        '&' => "+",
        '’' | '‘' | '`' => "'",
        '«' | '»' | '"' => "'",
        '_' | '–' | '—' => "-",
        // Arabic letters, a simple phonetic transliteration.
        'ا' | 'أ' | 'إ' | 'آ' | 'ى' => "a",
        'ء' | 'ئ' | 'ؤ' => "'",
        'ب' => "b",
        'ت' | 'ة' => "t",
        'ث' => "th",
        'ج' => "dj",
        'ح' => "h",
        'خ' => "kh",
        'د' => "d",
        'ذ' => "dh",
        'ر' => "r",
        'ز' => "z",
        'س' => "s",
        'ش' => "ch",
        'ص' => "s",
        'ض' => "d",
        'ط' => "t",
        'ظ' => "dh",
        'ع' => "a",
        'غ' => "gh",
        'ف' => "f",
        'ق' => "k",
        'ك' => "k",
        'ل' => "l",
        'م' => "m",
        'ن' => "n",
        'ه' => "h",
        'و' => "ou",
        'ي' => "i",
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
        '،' => ",",
        // Harakat and tatweel carry no letter.
        '\u{064B}'..='\u{065F}' | 'ـ' => "",
        _ => " ",
    }
}

/// Cleans `text` for the policy and cuts it to `max` characters (on a character
/// boundary), collapsing runs of spaces and trimming.
pub fn clean_text(text: &str, policy: CharsetPolicy, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    let push = |piece: &str, out: &mut String| {
        for c in piece.chars() {
            if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
                continue;
            }
            out.push(c);
        }
    };
    for c in text.chars() {
        match policy {
            CharsetPolicy::Utf8 => {
                let c = if c.is_control() { ' ' } else { c };
                push(c.encode_utf8(&mut [0u8; 4]), &mut out);
            }
            CharsetPolicy::LatinRestricted => {
                if latin_allowed(c) {
                    push(c.encode_utf8(&mut [0u8; 4]), &mut out);
                } else {
                    push(transliterate(c), &mut out);
                }
            }
        }
    }
    let trimmed: String = out.trim().chars().take(max).collect();
    trimmed.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(arabic.chars().all(latin_allowed), "{arabic}");
        assert_eq!(arabic, "chrkt albna'");
    }

    #[test]
    fn utf8_policy_keeps_arabic_and_cuts_on_characters() {
        let text = "مؤسسة الأشغال العمومية";
        assert_eq!(clean_text(text, CharsetPolicy::Utf8, 70), text);
        assert_eq!(clean_text(text, CharsetPolicy::Utf8, 5).chars().count(), 5);
    }
}
