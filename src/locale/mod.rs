//! What people read, in Arabic and French, written once: the one [`Lang`] (with the
//! browser's choice, [`accept_language`]) and the employers' [`NoticeLanguage`], [`money`],
//! days and Algiers times, masked accounts, the one [`today_in_algiers`], and in [`words`]
//! the ar/fr word of every state (one exhaustive table per enum, so a new state cannot
//! silently show its raw code).
//!
//! `Lang`, `NoticeLanguage` and the Algiers day are pure and the store needs them too, so
//! they are defined in the domain crate (`mandates`) and re-exported here: the store stays
//! below this module, whose words name the store's states. The web's page texts
//! (`web::i18n`), the notices and the command line use what is here.
//! Must not know: HTTP, SQL or email.

use chrono::{NaiveDate, NaiveDateTime};
use mandates::Amount;

pub mod actors;
pub mod audit;
pub mod report_items;
pub mod statement;
pub mod words;

pub use actors::actor_word;
pub use audit::{audit_action, audit_entity};
pub use report_items::report_item_detail;
pub use words::{EmployerWord, Word};

pub use mandates::{Lang, NoticeLanguage, algiers_time, today_in_algiers};

/// The first of `ar`/`fr` in an `Accept-Language` header, by quality.
pub fn accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(Lang, u16)> = None;
    for part in header.split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .map(quality_millis)
            .unwrap_or(1000);
        let primary = tag.split('-').next().unwrap_or("");
        if let Ok(lang) = Lang::parse(primary)
            && best.is_none_or(|(_, q)| quality > q)
        {
            best = Some((lang, quality));
        }
    }
    best.map(|(lang, _)| lang)
}

/// A quality value (`q=0.8`) in thousandths, exactly; anything unreadable counts as 0.
fn quality_millis(text: &str) -> u16 {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1000,
        _ => return 0,
    };
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let padded = format!("{fraction:0<3}");
    (whole + padded.parse::<u16>().unwrap_or(0)).min(1000)
}

/// Where an amount is read. The currency is spelled one way per language wherever it is
/// read (`DA`, `د.ج`): the medium is kept so that a medium may differ in layout later, not
/// in spelling (issue 20: four spellings confused readers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Medium {
    Page,
    Notice,
}

/// An amount for people, exactly from its centimes: thousands grouped with no-break
/// spaces, a decimal comma, then the currency as `medium` spells it in `lang`
/// (`1 234 567,89 DA`). Never through a float.
pub fn money(amount: Amount, lang: Lang, medium: Medium) -> String {
    let currency = match medium {
        Medium::Page | Medium::Notice => currency(lang),
    };
    format!("{}\u{a0}{currency}", digits(amount))
}

/// The dinar as a person reads it (issue 20: DA, DZD, د.ج and دج confused readers): `DA`
/// in French — and on the command line —, `د.ج` in Arabic, as Algerian invoices and the
/// banks' statements write it. `DZD` (ISO 4217) only in machine formats: the bank files'
/// `Ccy`, the JSON API, the OpenAPI document, webhooks.
pub fn currency(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "DA",
        Lang::Ar => "د.ج",
    }
}

/// An amount on the command line: `1234.50 DA` — the number as the commands take it back
/// (`--amount 1234.50`: a decimal point, no grouping), the currency as [`currency`] spells
/// it in French.
pub fn command_line_money(amount: Amount) -> String {
    format!("{amount} {}", currency(Lang::Fr))
}

/// The number part of [`money`]: `1 234 567,89`.
pub fn digits(amount: Amount) -> String {
    let centimes = amount.centimes();
    let sign = if centimes < 0 { "-" } else { "" };
    let abs = centimes.unsigned_abs();
    let units = (abs / 100).to_string();
    let mut grouped = String::with_capacity(units.len() + units.len() / 3);
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{:02}", abs % 100)
}

/// A stored timestamp as the Algiers time it was, when it reads as one.
pub fn stored_algiers_time(timestamp: &str) -> Option<NaiveDateTime> {
    crate::store::parse_timestamp(timestamp).map(algiers_time)
}

/// A day written out for readers, in both languages and everywhere people read one:
/// `15/12/2026` (pages, tables and sentences alike, notices, e-mails, PDFs, the command
/// line's summaries). ISO `2026-12-15` stays only in machine text: bank files, the JSON
/// API, webhooks, CSV columns documented as ISO (issue 20: four date styles).
pub fn written_day(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// A stored `YYYY-MM-DD` (or a timestamp starting with one) as [`written_day`] writes it;
/// text that is no date is kept as it is.
pub fn written_day_of(iso: &str) -> String {
    match NaiveDate::parse_from_str(iso.get(..10).unwrap_or(iso), "%Y-%m-%d") {
        Ok(day) => written_day(day),
        Err(_) => iso.to_owned(),
    }
}

/// A stored UTC timestamp as the Algiers day it was, written out (`2026-12-15T23:30:00Z` is
/// `16/12/2026`); text that is no timestamp goes through [`written_day_of`].
pub fn written_day_of_moment(timestamp: &str) -> String {
    stored_algiers_time(timestamp)
        .map_or_else(|| written_day_of(timestamp), |at| written_day(at.date()))
}

/// A time of day written out for readers: `11:05`.
pub fn clock(at: NaiveDateTime) -> String {
    at.format("%H:%M").to_string()
}

/// A moment as people read it: `16/12/2026 10:30` (Algiers time; the day as
/// [`written_day`] writes it).
pub fn page_time(at: NaiveDateTime) -> String {
    at.format("%d/%m/%Y %H:%M").to_string()
}

/// A stored UTC timestamp (`2026-12-16T09:30:00Z`) as the pages show it: the Algiers time
/// it was, as [`page_time`] writes it. The one way a stored moment reaches a page, so no
/// UTC timestamp is ever shown; text that is no timestamp (already a day) is kept.
pub fn page_moment(stored: &str) -> String {
    stored_algiers_time(stored).map_or_else(|| stored.to_owned(), page_time)
}

/// `****************0486` → `****0486`: a stored masked account shortened to its last 4
/// digits and nothing else (the digits never pass through here). A postal account masked
/// as its CCP (`CCP ****07 clé 32`) is already short, and stays as its owner knows it.
pub fn last4(masked: &str) -> String {
    if masked.starts_with(mandates::CCP_MASK_PREFIX) {
        return masked.to_owned();
    }
    let tail: String = masked
        .chars()
        .rev()
        .filter(char::is_ascii_digit)
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("****{tail}")
}

/// Left-to-right isolate: opens a run of Latin letters or digits in Arabic plain text.
pub const LRI: char = '\u{2066}';
/// Pop directional isolate: closes what [`LRI`] opened.
pub const PDI: char = '\u{2069}';

/// Arabic plain text (a notice's text part) with every run of Latin letters and digits —
/// an amount's digits (`31 746,00`), a masked account (`****0486`, `CCP ****07 clé 32`), a
/// reference, a date, an address — between [`LRI`] and [`PDI`], so that a right-to-left
/// reader shows it in its own order: without them an amount's digit groups and a mask's
/// stars come out reversed (issue 20). Where HTML can say it, the pages and the HTML part
/// use `<bdi dir="ltr">`/`dir="ltr"` instead. A run ends before trailing punctuation (the
/// sentence's, not the run's); text already isolated is left as it is.
pub fn isolate_ltr_runs(text: &str) -> String {
    if text.contains(LRI) {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    let starts = |c: char| c.is_ascii_alphanumeric() || c == '*' || latin_letter(c);
    // Inside a run: these join two parts of it (`TSL-E2E-9`, `31 746,00`, `15/12/2026`).
    let joins = |c: char| "*.,:/-_@+'\u{a0} ".contains(c);
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        if !starts(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: from here to its last Latin letter, digit or star, over joiners
        // that are followed by more of it.
        let mut end = i + 1;
        let mut k = i + 1;
        while k < chars.len() && (starts(chars[k]) || joins(chars[k])) {
            if starts(chars[k]) {
                end = k + 1;
            } else if chars[k] == ' ' && !chars.get(k + 1).copied().is_some_and(starts) {
                break;
            }
            k += 1;
        }
        out.push(LRI);
        out.extend(&chars[i..end]);
        out.push(PDI);
        i = end;
    }
    out
}

/// A Latin letter outside ASCII (`é` in `clé`). The range first: `is_alphabetic` is a
/// table look-up that every Arabic letter of a notice would otherwise pay (3 % of the
/// notice worker's time, issue 19).
fn latin_letter(c: char) -> bool {
    ('\u{c0}'..='\u{24f}').contains(&c) && c.is_alphabetic()
}

/// An employer's name as a reader of `lang` sees it: its Arabic name for Arabic readers
/// when it has one, else its registered name.
pub fn employer_name<'a>(lang: Lang, name: &'a str, name_ar: Option<&'a str>) -> &'a str {
    match (lang, name_ar) {
        (Lang::Ar, Some(name_ar)) if !name_ar.trim().is_empty() => name_ar,
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(text: &str) -> Amount {
        Amount::parse(text).unwrap()
    }

    #[test]
    fn the_command_line_spells_the_dinar_as_the_french_pages_do() {
        assert_eq!(command_line_money(a("-1234.5")), "-1234.50 DA");
        assert_eq!(currency(Lang::Ar), "د.ج");
        assert!(money(a("1"), Lang::Fr, Medium::Page).ends_with(currency(Lang::Fr)));
    }

    #[test]
    fn amounts_are_grouped_exactly() {
        assert_eq!(
            money(Amount::from_centimes(123_456_789), Lang::Fr, Medium::Page),
            "1\u{a0}234\u{a0}567,89\u{a0}DA"
        );
        assert_eq!(
            money(Amount::from_centimes(5), Lang::Fr, Medium::Page),
            "0,05\u{a0}DA"
        );
        assert_eq!(
            money(Amount::from_centimes(-100_000), Lang::Ar, Medium::Page),
            "-1\u{a0}000,00\u{a0}د.ج"
        );
    }

    #[test]
    fn amounts_are_written_exactly_from_centimes() {
        assert_eq!(digits(Amount::from_centimes(0)), "0,00");
        assert_eq!(digits(Amount::from_centimes(5)), "0,05");
        assert_eq!(digits(Amount::from_centimes(123_456)), "1\u{a0}234,56");
        assert_eq!(
            digits(Amount::from_centimes(12_345_678_901)),
            "123\u{a0}456\u{a0}789,01"
        );
        assert_eq!(
            digits(Amount::from_centimes(i64::MAX)),
            "92\u{a0}233\u{a0}720\u{a0}368\u{a0}547\u{a0}758,07"
        );
        assert_eq!(digits(Amount::from_centimes(-100_000)), "-1\u{a0}000,00");
        assert_eq!(
            money(a("31746.00"), Lang::Fr, Medium::Notice),
            "31\u{a0}746,00\u{a0}DA"
        );
        assert_eq!(
            money(a("31746.00"), Lang::Ar, Medium::Notice),
            "31\u{a0}746,00\u{a0}د.ج"
        );
    }

    #[test]
    fn qualities_are_read_exactly() {
        assert_eq!(quality_millis("0.8"), 800);
        assert_eq!(quality_millis("1"), 1000);
        assert_eq!(quality_millis("0.125"), 125);
        assert_eq!(quality_millis("x"), 0);
    }

    #[test]
    fn the_browser_language_is_taken_by_quality() {
        assert_eq!(accept_language("fr-DZ,fr;q=0.9,ar;q=0.8"), Some(Lang::Fr));
        assert_eq!(
            accept_language("en;q=1,ar-DZ;q=0.9,fr;q=0.5"),
            Some(Lang::Ar)
        );
        assert_eq!(accept_language("en-US,en"), None);
    }

    #[test]
    fn masks_keep_only_the_last_four_digits() {
        assert_eq!(last4("****************0486"), "****0486");
        assert_eq!(last4("**********1244"), "****1244");
        assert_eq!(last4("CCP ****07 clé 32"), "CCP ****07 clé 32");
    }

    #[test]
    fn latin_and_digit_runs_are_isolated_in_arabic_text() {
        let (l, p) = (LRI, PDI);
        assert_eq!(
            isolate_ltr_runs("مبلغ 31\u{a0}746,00\u{a0}د.ج بتاريخ 15/12/2026 من الحساب ****0486."),
            format!(
                "مبلغ {l}31\u{a0}746,00{p}\u{a0}د.ج بتاريخ {l}15/12/2026{p} من الحساب {l}****0486{p}."
            )
        );
        assert_eq!(
            isolate_ltr_runs("الحساب CCP ****07 clé 32، (الترخيص TSL-E2E-9)"),
            format!("الحساب {l}CCP ****07 clé 32{p}، (الترخيص {l}TSL-E2E-9{p})")
        );
        assert_eq!(isolate_ltr_runs("بدون أرقام"), "بدون أرقام");
        let once = isolate_ltr_runs("مبلغ 12,00");
        assert_eq!(isolate_ltr_runs(&once), once);
    }

    #[test]
    fn algiers_times_are_written_per_medium() {
        let reset = stored_algiers_time("2026-11-27T10:05:00Z").unwrap();
        assert_eq!(
            (clock(reset), written_day(reset.date())),
            ("11:05".to_owned(), "27/11/2026".to_owned())
        );
        assert_eq!(
            page_time(stored_algiers_time("2026-12-16T09:30:00Z").unwrap()),
            "16/12/2026 10:30"
        );
        assert_eq!(written_day_of("2026-12-15T08:00:00Z"), "15/12/2026");
        assert_eq!(page_moment("2026-12-02T18:28:55Z"), "02/12/2026 19:28");
        assert_eq!(page_moment("2026-12-02"), "2026-12-02");
        assert_eq!(written_day_of("soon"), "soon");
        // Algiers is UTC+1: late evening in UTC is the next day there.
        assert_eq!(written_day_of_moment("2026-12-15T23:30:00Z"), "16/12/2026");
        assert_eq!(written_day_of_moment("2026-12-15T08:00:00Z"), "15/12/2026");
    }
}
