//! Writing text into XML: escaping element content and appending one-line elements. Used by
//! the writers (pain.008, pain.002, camt.054); knows nothing of reading.

/// Escapes text for XML element content (control characters other than tab and line
/// breaks become spaces: XML 1.0 cannot carry them).
pub(crate) fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => out.push(' '),
            '\u{fffe}' | '\u{ffff}' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// Appends `<tag>value</tag>`, escaped.
pub(crate) fn element(out: &mut String, tag: &str, value: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    escape(value, out);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}
