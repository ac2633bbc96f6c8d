//! The last step of every page ([`session::Viewer::page`](super::session::Viewer::page)):
//! one way to show a day (issue 20, item 4: "four date styles"). The store and many view
//! models carry days as stored, `2026-12-15`; a person reads `15/12/2026` in both
//! languages ([`locale::written_day`]), in tables and sentences alike. Rewriting the
//! finished page's text, rather than each field of each page, keeps the rule in one place
//! and holds for the pages other changes add.
//!
//! Only text a person reads changes: never a tag or an attribute (a form's `value`, a
//! link's query, a date input), nor what is machine text on purpose — `<code>`, `<pre>`,
//! `<textarea>` (JSON examples, the API documentation). A date glued to other characters
//! (`run:2026-12-15`, `releve-…-2026-12-01.csv`, `2026-12-15T08:00`) is not a day on its
//! own and stays as it is. Must not know: the store.

use std::fmt;

use chrono::NaiveDate;
use mandates::CollectionStatus;

use crate::locale::{EmployerWord, Lang, Word, written_day};

/// A debit's state as a badge (issue 20): its one word for the reader — staff read
/// [`Word`], employers [`EmployerWord`] — in a `span.badge` toned by what it means (paid:
/// good; rejected, returned: bad; a retry coming: warn; the rest plain). Written as HTML
/// by itself, so a page shows `{{ row.status }}` and gets the badge; the same on every
/// page listing debits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DebitBadge {
    word: &'static str,
    tone: &'static str,
}

impl DebitBadge {
    /// The badge staff read (the console).
    pub fn staff(status: CollectionStatus, lang: Lang) -> DebitBadge {
        DebitBadge {
            word: status.word(lang),
            tone: tone(status),
        }
    }

    /// The badge an employer reads (the portal).
    pub fn employer(status: CollectionStatus, lang: Lang) -> DebitBadge {
        DebitBadge {
            word: status.employer_word(lang),
            tone: tone(status),
        }
    }
}

fn tone(status: CollectionStatus) -> &'static str {
    match status {
        CollectionStatus::Settled => "good",
        CollectionStatus::Rejected | CollectionStatus::Returned => "bad",
        CollectionStatus::RetryPlanned => "warn",
        CollectionStatus::Planned | CollectionStatus::Submitted | CollectionStatus::Cancelled => {
            "plain"
        }
    }
}

impl fmt::Display for DebitBadge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<span class=\"badge {}\">", self.tone)?;
        for c in self.word.chars() {
            match c {
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '&' => f.write_str("&amp;")?,
                '"' => f.write_str("&quot;")?,
                _ => fmt::Write::write_char(f, c)?,
            }
        }
        f.write_str("</span>")
    }
}

/// Its `Display` is HTML already, its word escaped: askama writes it as it is.
impl askama::filters::HtmlSafe for DebitBadge {}

/// Elements whose text is kept verbatim.
const VERBATIM: [&str; 3] = ["code", "pre", "textarea"];

/// `html` with every stand-alone ISO day in its text written as people read it.
pub fn written_days(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    // How deep inside verbatim elements the text now is.
    let mut verbatim = 0usize;
    while let Some(lt) = rest.find('<') {
        let (text, tag_onwards) = rest.split_at(lt);
        if verbatim == 0 {
            rewrite_text(text, &mut out);
        } else {
            out.push_str(text);
        }
        let end = tag_onwards.find('>').map_or(tag_onwards.len(), |e| e + 1);
        let tag = &tag_onwards[..end];
        // The tag's name, read in place: this runs for every tag of every page.
        let named = tag.trim_start_matches('<').trim_start_matches('/');
        let name = &named[..named.bytes().take_while(u8::is_ascii_alphanumeric).count()];
        if VERBATIM.iter().any(|v| v.eq_ignore_ascii_case(name)) {
            if tag.starts_with("</") {
                verbatim = verbatim.saturating_sub(1);
            } else {
                verbatim += 1;
            }
        }
        out.push_str(tag);
        rest = &tag_onwards[end..];
    }
    if verbatim == 0 {
        rewrite_text(rest, &mut out);
    } else {
        out.push_str(rest);
    }
    out
}

/// Text between tags: each `YYYY-MM-DD` standing alone (not part of a longer word, name
/// or timestamp) written as [`written_day`] writes it.
fn rewrite_text(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let mut copied = 0;
    let mut at = 0;
    while at + 10 <= bytes.len() {
        if is_day_at(bytes, at)
            && let Ok(day) = NaiveDate::parse_from_str(&text[at..at + 10], "%Y-%m-%d")
        {
            out.push_str(&text[copied..at]);
            out.push_str(&written_day(day));
            at += 10;
            copied = at;
            continue;
        }
        at += 1;
    }
    out.push_str(&text[copied..]);
}

/// Whether `bytes[at..at + 10]` is `NNNN-NN-NN` with nothing glued on either side.
fn is_day_at(bytes: &[u8], at: usize) -> bool {
    let w = &bytes[at..at + 10];
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|k| w[k].is_ascii_digit());
    if !(digits(0..4) && w[4] == b'-' && digits(5..7) && w[7] == b'-' && digits(8..10)) {
        return false;
    }
    let glued_before = at
        .checked_sub(1)
        .map(|k| bytes[k])
        .is_some_and(|b| b.is_ascii_alphanumeric() || b"-_:/.#=".contains(&b));
    // A colon or a full stop after it ends a sentence's day (`2026-12-15: 3 réglés`)
    // unless a name goes on (`2026-12-15:3`, `2026-12-15.csv`).
    let glued_after = bytes.get(at + 10).is_some_and(|&b| {
        b.is_ascii_alphanumeric()
            || b"-_/".contains(&b)
            || (b".:".contains(&b) && bytes.get(at + 11).is_some_and(u8::is_ascii_alphanumeric))
    });
    !glued_before && !glued_after
}

#[cfg(test)]
mod tests {
    use super::{CollectionStatus, DebitBadge, Lang, written_days};

    #[test]
    fn a_debit_state_is_a_badge_with_its_one_word() {
        assert_eq!(
            DebitBadge::employer(CollectionStatus::Settled, Lang::Fr).to_string(),
            "<span class=\"badge good\">Payé</span>"
        );
        assert_eq!(
            DebitBadge::staff(CollectionStatus::Rejected, Lang::Ar).to_string(),
            "<span class=\"badge bad\">مرفوض</span>"
        );
        #[derive(askama::Template)]
        #[template(source = "<td>{{ b }}</td>", ext = "html")]
        struct Cell {
            b: DebitBadge,
        }
        let cell = Cell {
            b: DebitBadge::staff(CollectionStatus::RetryPlanned, Lang::Fr),
        };
        assert_eq!(
            askama::Template::render(&cell).unwrap(),
            "<td><span class=\"badge warn\">Échec, nouvelle tentative prévue</span></td>"
        );
    }

    #[test]
    fn days_in_text_are_written_out_and_nothing_else_changes() {
        assert_eq!(
            written_days("<td><bdi>2026-12-15</bdi></td><p>du 2026-12-15 au 2026-12-16.</p>"),
            "<td><bdi>15/12/2026</bdi></td><p>du 15/12/2026 au 16/12/2026.</p>"
        );
        // Attributes, machine text and glued dates stay.
        let kept = concat!(
            r#"<input type="date" name="from" value="2026-12-15">"#,
            r#"<a href="/console/debits?from=2026-12-15">x</a>"#,
            "<code>{\"date\": \"2026-12-15\"}</code><pre>2026-12-15</pre>",
            "<td>run:2026-12-15</td><td>releve-1-2026-12-01.csv</td><td>plan:2026-12-15:3</td>",
            "<td>2026-12-15T08:00:00Z</td><td>2026-11</td><td>2026-13-45</td>"
        );
        assert_eq!(written_days(kept), kept);
        assert_eq!(
            written_days("<option value=\"2026-12-15\">2026-12-15</option>"),
            "<option value=\"2026-12-15\">15/12/2026</option>"
        );
        assert_eq!(
            written_days("<title>2026-12-15: 3 réglés</title>"),
            "<title>15/12/2026: 3 réglés</title>"
        );
        assert_eq!(
            written_days("<pre>a</pre> 2026-01-02, <code>2026-01-02</code>"),
            "<pre>a</pre> 02/01/2026, <code>2026-01-02</code>"
        );
    }
}
