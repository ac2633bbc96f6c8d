//! What a person must never read on a page, in an e-mail or in CLI output meant for
//! people (issue 20, item 4): a raw state code (`needs_staff`, `submitted`), a UTC
//! timestamp (`2026-12-02T18:28:55Z`), an internal actor (`user:1`, `(user 4)`), audit
//! JSON, Rust debug text (`Some(2)`, `None`). One detector, used by the browser's screens
//! and by the test that renders every page and e-mail of a whole fund.

/// The stored codes of every state a page or e-mail talks about, as they are stored
/// (English, lower case). A code with an underscore is caught by its shape anyway.
const STATE_CODES: &[&str] = &[
    "planned",
    "submitted",
    "settled",
    "rejected",
    "returned",
    "cancelled",
    "superseded",
    "pending",
    "active",
    "revoked",
    "suspended",
    "resolved",
    "queued",
    "running",
    "failed",
    "withdrawn",
    "corrected",
    "unmatched",
    "duplicate",
    "conflict",
    "represented",
];

/// State codes that are also French words: found only alone on their line.
const FRENCH_HOMOGRAPHS: &[&str] = &["active"];

/// Every internal found in `text` (empty: none), each with a little of its context.
pub fn visible_internals(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let context = |at: usize, len: usize| -> String {
        let from = at.saturating_sub(30);
        let to = (at + len + 30).min(chars.len());
        chars[from..to]
            .iter()
            .collect::<String>()
            .replace('\n', " ")
    };
    // Words: runs of ASCII letters, digits and underscores.
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_alphanumeric() || chars[i] == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let before = start.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i).copied();
            // Inside an e-mail address, a path or a file name it is not a word on its own.
            let part_of_name = matches!(before, Some('@' | '.' | '/' | '-' | ':' | '='))
                || matches!(after, Some('@' | '/' | '-' | '='))
                || (after == Some('.')
                    && chars.get(i + 1).is_some_and(char::is_ascii_alphanumeric));
            let is_code = word.contains('_')
                && word.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && !word.starts_with('_')
                && !word.ends_with('_');
            // `active` is also French ("est active depuis"): a code only when it stands
            // alone on its line, as a cell or a badge would show it.
            let french_word = FRENCH_HOMOGRAPHS.contains(&word.as_str()) && {
                let line_start = chars[..start]
                    .iter()
                    .rposition(|&c| c == '\n')
                    .map_or(0, |k| k + 1);
                let line_end = chars[i..]
                    .iter()
                    .position(|&c| c == '\n')
                    .map_or(chars.len(), |k| i + k);
                !(chars[line_start..start].iter().all(|c| c.is_whitespace())
                    && chars[i..line_end].iter().all(|c| c.is_whitespace()))
            };
            if !part_of_name && !french_word && (is_code || STATE_CODES.contains(&word.as_str())) {
                found.push(format!(
                    "state code {word:?}: …{}…",
                    context(start, i - start)
                ));
            }
            if word == "user" && matches!(after, Some(':')) {
                found.push(format!("internal actor: …{}…", context(start, 8)));
            }
            if (word == "Some" || word == "Ok" || word == "Err") && after == Some('(') {
                found.push(format!("debug text: …{}…", context(start, 8)));
            }
            if word == "None" {
                found.push(format!("debug text: …{}…", context(start, 4)));
            }
            continue;
        }
        i += 1;
    }
    for (at, _) in text.match_indices("(user ") {
        found.push(format!("internal actor: …{}…", snippet(text, at)));
    }
    for (at, _) in text.match_indices("{\"") {
        found.push(format!("JSON: …{}…", snippet(text, at)));
    }
    // `2026-12-02T18:28:55Z`, `2026-12-02T18:28`: a date, `T`, two digits, `:`.
    let bytes = text.as_bytes();
    for at in 0..bytes.len().saturating_sub(15) {
        let w = &bytes[at..at + 16];
        let digits = |r: std::ops::Range<usize>| r.into_iter().all(|k| w[k].is_ascii_digit());
        if digits(0..4)
            && w[4] == b'-'
            && digits(5..7)
            && w[7] == b'-'
            && digits(8..10)
            && w[10] == b'T'
            && digits(11..13)
            && w[13] == b':'
            && digits(14..16)
        {
            found.push(format!("UTC timestamp: …{}…", snippet(text, at)));
        }
    }
    found
}

/// Spellings of the dinar other than the one each language reads (`DA` in French and on
/// the command line, `د.ج` in Arabic; issue 20: DA, DZD, د.ج and دج confused readers):
/// `DZD` — ISO 4217, for bank files, the JSON API and webhooks only — `دج`, `د. ج`, `د ج`.
pub fn other_currency_spellings(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("DZD") {
        let before = text[..at].chars().next_back();
        let after = text[at + 3..].chars().next();
        let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !glued(before) && !glued(after) {
            found.push(format!("currency spelled DZD: …{}…", snippet(text, at)));
        }
    }
    for spelling in ["دج", "د. ج", "د ج"] {
        for (at, _) in text.match_indices(spelling) {
            // A word of its own, not two letters inside an Arabic word.
            let before = text[..at].chars().next_back();
            let after = text[at + spelling.len()..].chars().next();
            if !before.is_some_and(char::is_alphabetic) && !after.is_some_and(char::is_alphabetic) {
                found.push(format!(
                    "currency spelled {spelling}: …{}…",
                    snippet(text, at)
                ));
            }
        }
    }
    found
}

/// What a person must not read in the command line's answers (issue 20): Rust debug text,
/// a UTC timestamp, an internal actor, JSON, a day written the machines' way, another
/// spelling of the dinar. (Its tables of codes — `tahsil notices`, `tahsil jobs` — are
/// the operator's, so state codes are not looked for here.) Empty: none.
pub fn command_line_problems(text: &str) -> Vec<String> {
    let mut found: Vec<String> = visible_internals(text)
        .into_iter()
        .filter(|p| !p.starts_with("state code"))
        .collect();
    found.extend(crate::web::readable::iso_days(text));
    found.extend(other_currency_spellings(text));
    found
}

/// The stored codes of the states the command line's tables count (notices: `pending`,
/// `sent`, `failed`; jobs: `queued`, `running`, `done`, `failed`; debits), beyond
/// [`STATE_CODES`]: in those tables a person reads each state's word, as on the console.
const TABLE_STATE_CODES: &[&str] = &["sent", "done"];

/// What [`command_line_problems`] finds, and also any state written as its stored code
/// (`sent`, `retry_planned`, `advance_notice`): for the command line's tables of states
/// (`tahsil notices`, `tahsil jobs`, the demo's outcome and notices), whose prose is
/// worded around those codes. Empty: none.
pub fn command_table_problems(text: &str) -> Vec<String> {
    let mut found: Vec<String> = visible_internals(text)
        .into_iter()
        .filter(|p| p.starts_with("state code"))
        .collect();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if TABLE_STATE_CODES.contains(&word) {
            found.push(format!("state code {word:?} in: {text}"));
        }
    }
    found.extend(command_line_problems(text));
    found
}

/// Panics naming what [`command_table_problems`] finds in `text`.
#[track_caller]
pub fn assert_command_table_reads_well(text: &str) {
    let found = command_table_problems(text);
    assert!(found.is_empty(), "{found:#?}\nin:\n{text}");
}

/// Panics naming what [`command_line_problems`] finds in `text`.
#[track_caller]
pub fn assert_command_line_reads_well(text: &str) {
    let found = command_line_problems(text);
    assert!(found.is_empty(), "{found:#?}\nin:\n{text}");
}

fn snippet(text: &str, at: usize) -> String {
    let from = (0..=at.saturating_sub(30))
        .rev()
        .find(|&k| text.is_char_boundary(k))
        .unwrap_or(0);
    let to = (at + 40..=text.len())
        .find(|&k| text.is_char_boundary(k))
        .unwrap_or(text.len());
    text[from..to].replace('\n', " ")
}

#[test]
fn other_spellings_of_the_dinar_are_found_and_the_two_right_ones_are_not() {
    assert!(other_currency_spellings("1\u{a0}234,56\u{a0}DA — 1\u{a0}234,56\u{a0}د.ج").is_empty());
    assert!(other_currency_spellings("ADZDB, dzd_code").is_empty());
    assert!(
        other_currency_spellings("مدجج").is_empty(),
        "inside an Arabic word"
    );
    let found = other_currency_spellings("12,00 DZD; 12,00 دج; 12,00 د. ج; (DZD)");
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(command_line_problems("planned 3 collections for 15/12/2026 (12.00 DA)").is_empty());
    let found = command_line_problems(
        "planned 3 for 2026-12-15 (12.00 DZD) report Some(2) at 2026-12-02T18:28:55Z",
    );
    assert_eq!(found.len(), 4, "{found:#?}");
}

#[test]
fn state_codes_in_the_command_line_tables_are_found_and_their_words_are_not() {
    assert_eq!(command_table_problems("receipt   sent   3").len(), 1);
    assert_eq!(command_table_problems("run      done     2").len(), 1);
    assert_eq!(command_table_problems("    retry_planned  4").len(), 1);
    assert_eq!(command_table_problems("advance_notice  failed  1").len(), 2);
    assert!(command_table_problems("Reçu    Envoyé   3\nrun   Terminé   2").is_empty());
}

#[test]
fn internals_are_found_and_plain_words_are_not() {
    assert!(visible_internals("Statut : Soumis au fichier le 15/12/2026 à 10:30").is_empty());
    assert!(visible_internals("finance@fund.dz compta_sud@example.dz run.xml").is_empty());
    assert!(visible_internals("Votre autorisation est active depuis le 02/11/2026.").is_empty());
    assert_eq!(visible_internals("Mandat\n  active \n15/12/2026").len(), 1);
    let found = visible_internals(
        "état needs_staff, submitted 2026-12-02T18:28:55Z par user:1 (user 4) report Some(2) {\"a\":1}",
    );
    assert_eq!(found.len(), 7, "{found:#?}");
}
