//! `tahsil files inspect|validate` and `tahsil accounts check`: thin wrappers over
//! `bank_formats::inspect`, plus the XSD check of our own XML with `xmllint` when it and the
//! schemas are available; and what an account identifier is (`mandates`' parsing and bank
//! table). No database.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::Context;
use bank_formats::inspect::{inspect_among, validate_among};
use bank_formats::layout::{BatchedLayout, Layout};
use clap::Subcommand;
use mandates::{AccountId, AccountKind, BankTable};

#[derive(Debug, Subcommand)]
pub(super) enum FilesCommand {
    /// Parse any supported bank file and show it (a table, or JSON with --json).
    Inspect {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Check a bank file; exit 1 listing every problem.
    Validate { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub(super) enum AccountsCommand {
    /// Validate a RIB, RIP or CCP number and say what it is.
    Check {
        /// The identifier: 20 digits (spaces or dashes allowed), or a CCP as `NUMBER KEY` / `NUMBER/KEY`.
        #[arg(num_args = 1.., required = true)]
        id: Vec<String>,
    },
}

/// Where the official ISO 20022 schemas are looked for, in order.
fn xsd_dirs(configured: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = configured {
        dirs.push(dir.to_path_buf());
    }
    dirs.push(PathBuf::from("../shared/iso20022/xsd"));
    dirs.push(PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/iso20022/xsd"
    )));
    dirs
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// `tahsil files inspect`: a table, or JSON.
pub(super) fn inspect_command(
    path: &Path,
    json: bool,
    layouts: &[Layout],
    batched: &[BatchedLayout],
) -> anyhow::Result<ExitCode> {
    let bytes = read(path)?;
    let inspection = inspect_among(&bytes, layouts, batched).map_err(|e| {
        anyhow::anyhow!("{} is not a bank file tahsil can read: {e}", path.display())
    })?;
    let text = if json {
        let mut text =
            serde_json::to_string_pretty(&inspection).context("cannot render the inspection")?;
        text.push('\n');
        text
    } else {
        inspection.to_table()
    };
    super::write_out(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `tahsil files validate`: exit 1 listing every problem.
pub(super) fn validate_command(
    path: &Path,
    xsd_dir: Option<&Path>,
    layouts: &[Layout],
    batched: &[BatchedLayout],
) -> anyhow::Result<ExitCode> {
    let bytes = read(path)?;
    let validation = validate_among(&bytes, layouts, batched);
    let mut problems = validation.problems.clone();
    let mut notes = Vec::new();
    if validation.format.is_some() && !validation.readable {
        // A schema check of a file tahsil cannot read would only contradict it.
        notes.push("XSD: not checked (the file could not be read)".to_owned());
    } else if let Some((schema, variant)) = validation.schema.as_ref() {
        match xsd_check(path, schema, *variant, xsd_dir) {
            XsdOutcome::Valid(schema) => notes.push(format!("XSD: valid against {schema}")),
            XsdOutcome::Invalid(lines) => problems.extend(lines),
            XsdOutcome::Skipped(reason) => notes.push(format!("XSD: not checked ({reason})")),
        }
    } else if validation.format.is_some() && bytes.trim_ascii_start().starts_with(b"<") {
        notes.push(
            "XSD: not checked (the document has no namespace, so no schema applies to it)"
                .to_owned(),
        );
    }
    let format = validation.format.as_deref().unwrap_or("unknown format");
    if problems.is_empty() {
        println!("{}: valid {format}", path.display());
        for note in notes {
            println!("  {note}");
        }
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{}: {} problem(s) in {format}",
            path.display(),
            problems.len()
        );
        for problem in problems {
            println!("{problem}");
        }
        for note in notes {
            println!("  {note}");
        }
        Ok(ExitCode::from(1))
    }
}

enum XsdOutcome {
    Valid(String),
    Invalid(Vec<String>),
    Skipped(String),
}

/// Validates `path` against the schema file `file_name`; `variant`: a national variant's
/// own schema (`pain.002.001.03.ch.02.xsd`), never replaced by the plain ISO one, which
/// such files do not follow.
fn xsd_check(path: &Path, file_name: &str, variant: bool, configured: Option<&Path>) -> XsdOutcome {
    let Some(schema) = xsd_dirs(configured)
        .into_iter()
        .map(|d| d.join(file_name))
        .find(|p| p.exists())
    else {
        if variant {
            return XsdOutcome::Skipped(format!(
                "no schema for this variant: the file follows a national variant whose \
                 schema, {file_name}, is not among the schemas (TAHSIL_XSD_DIR); this says \
                 nothing against the file"
            ));
        }
        return XsdOutcome::Skipped(format!(
            "no {file_name} found; set TAHSIL_XSD_DIR to the folder of the official schemas"
        ));
    };
    let output = match Command::new("xmllint")
        .args(["--noout", "--stream", "--schema"])
        .arg(&schema)
        .arg(path)
        .output()
    {
        Ok(output) => output,
        Err(_) => {
            return XsdOutcome::Skipped(
                "xmllint is not installed (Debian: apt-get install libxml2-utils)".to_owned(),
            );
        }
    };
    if output.status.success() {
        return XsdOutcome::Valid(file_name.to_owned());
    }
    let lines = xmllint_problems(&String::from_utf8_lossy(&output.stderr));
    if lines.is_empty() {
        XsdOutcome::Invalid(vec![format!(
            "XSD: the file does not validate against {file_name}"
        )])
    } else {
        XsdOutcome::Invalid(lines)
    }
}

/// Prints what an identifier is. The number shown is the one the user typed, normalised;
/// the bank is named so a person can see a wrong (but existing) bank code, which no key
/// can catch.
pub(super) fn accounts_check(input: &str, banks: &BankTable) -> ExitCode {
    let account = match AccountId::parse(input) {
        Ok(account) => account,
        Err(err) => {
            println!("invalid: {err}");
            return ExitCode::from(1);
        }
    };
    let bank = match banks.check(&account) {
        Ok(entry) => entry,
        Err(err) => {
            println!("invalid: {err}");
            return ExitCode::from(1);
        }
    };
    let kind = match account.kind() {
        AccountKind::Bank => "bank account (RIB)",
        AccountKind::Postal => "postal account (RIP)",
    };
    println!("valid {kind}");
    println!(
        "  bank:        {} {}",
        account.bank_code(),
        bank.display_name()
    );
    println!("  normalised:  {}", account.digits());
    println!("  grouped:     {}", account.grouped());
    if let AccountId::Postal(rip) = &account {
        println!("  CCP:         {}", rip.to_ccp());
    }
    ExitCode::SUCCESS
}

/// xmllint's complaints said in words (`XSD: line 12, <InstdAmt>: the value '0' is less
/// than the minimum value allowed ('0.01')`): the file's path, namespaces, the
/// `Schemas validity error` labels and the source excerpt with its caret are noise to a
/// reader; the line (and the column, from the caret) and the element are kept.
fn xmllint_problems(stderr: &str) -> Vec<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut problems = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.trim().is_empty() || line.ends_with("fails to validate") {
            continue;
        }
        // `PATH:LINE: rest`; anything else (a caret line, an excerpt) is not a problem.
        let Some((line_no, rest)) = located(line) else {
            continue;
        };
        // A parser error is followed by the excerpt and a caret under the column.
        let column = match (lines.get(i), lines.get(i + 1)) {
            (Some(_excerpt), Some(caret)) if caret.trim() == "^" => {
                i += 2;
                Some(caret.chars().count())
            }
            _ => None,
        };
        let place = match column {
            Some(column) => format!("line {line_no}, column {column}"),
            None => format!("line {line_no}"),
        };
        problems.push(format!("XSD: {place}{}", in_words(rest)));
    }
    problems
}

/// `PATH:LINE: rest` → (LINE, rest).
fn located(line: &str) -> Option<(u64, &str)> {
    let mut parts = line.splitn(3, ':');
    let (_path, number, rest) = (parts.next()?, parts.next()?, parts.next()?);
    let number = number.trim().parse().ok()?;
    Some((number, rest.trim()))
}

/// One of xmllint's messages without its labels and namespaces: `, <Element>: what`.
fn in_words(message: &str) -> String {
    let without_namespaces = strip_namespaces(message);
    let mut text = without_namespaces.as_str();
    // `element InstdAmt: Schemas validity error : Element 'InstdAmt': …`
    let mut element = None;
    if let Some(rest) = text.strip_prefix("element ")
        && let Some((name, rest)) = rest.split_once(':')
    {
        element = Some(name.trim().to_owned());
        text = rest.trim();
    }
    for label in [
        "Schemas validity error :",
        "Schemas parser error :",
        "parser error :",
        "validity error :",
    ] {
        if let Some(rest) = text.strip_prefix(label) {
            text = rest.trim();
        }
    }
    if let Some(rest) = text.strip_prefix("Element '")
        && let Some((name, rest)) = rest.split_once("':")
    {
        element = Some(name.to_owned());
        text = rest.trim();
    }
    if let Some(rest) = text.strip_prefix("[facet '")
        && let Some((_, rest)) = rest.split_once("'] ")
    {
        text = rest.trim();
    }
    let said = match text {
        "This element is not expected." => "this element is not expected here".to_owned(),
        _ => {
            if let Some(expected) = text
                .strip_prefix("This element is not expected. Expected is ")
                .or_else(|| text.strip_prefix("This element is not expected. Expected is one of "))
            {
                format!(
                    "this element is not expected here; expected: {}",
                    expected.trim_end_matches('.').trim_matches(['(', ')', ' '])
                )
            } else if let Some(expected) =
                text.strip_prefix("Missing child element(s). Expected is ")
            {
                format!(
                    "a required element is missing: {}",
                    expected.trim_end_matches('.').trim_matches(['(', ')', ' '])
                )
            } else {
                let mut said = text.trim_end_matches('.').to_owned();
                if let Some(first) = said.get(..1) {
                    said = format!("{}{}", first.to_lowercase(), &said[1..]);
                }
                said
            }
        }
    };
    match element {
        Some(element) => format!(", <{element}>: {said}"),
        None => format!(": {said}"),
    }
}

/// `'{urn:iso:std:iso:20022:tech:xsd:pain.008.001.02}InstdAmt'` → `'InstdAmt'`.
fn strip_namespaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmllint_noise_becomes_a_sentence_with_its_line() {
        let stderr = "/tmp/x/debits.xml:12: element InstdAmt: Schemas validity error : Element \
'{urn:iso:std:iso:20022:tech:xsd:pain.008.001.02}InstdAmt': [facet 'minInclusive'] The value '0' \
is less than the minimum value allowed ('0.01').\n\
/tmp/x/debits.xml:20: element Foo: Schemas validity error : Element \
'{urn:iso:std:iso:20022:tech:xsd:pain.008.001.02}Foo': This element is not expected. Expected is \
( {urn:iso:std:iso:20022:tech:xsd:pain.008.001.02}DrctDbtTx ).\n\
/tmp/x/debits.xml fails to validate\n";
        assert_eq!(
            xmllint_problems(stderr),
            vec![
                "XSD: line 12, <InstdAmt>: the value '0' is less than the minimum value allowed ('0.01')",
                "XSD: line 20, <Foo>: this element is not expected here; expected: DrctDbtTx",
            ]
        );
    }

    #[test]
    fn xmllint_stream_mode_reads_the_same() {
        // As `xmllint --stream` prints it (no `element X:` part).
        let stderr = concat!(
            "bad.xml:3: Schemas validity error : Element ",
            "'{urn:iso:std:iso:20022:tech:xsd:pain.008.001.02}Foo': This element is not ",
            "expected. Expected is ( {urn:iso:std:iso:20022:tech:xsd:pain.008.001.02}FwdgAgt ).\n",
            "bad.xml fails to validate\n",
        );
        assert_eq!(
            xmllint_problems(stderr),
            vec!["XSD: line 3, <Foo>: this element is not expected here; expected: FwdgAgt"]
        );
    }

    #[test]
    fn a_parser_error_keeps_its_column_from_the_caret() {
        let stderr = concat!(
            "/tmp/x/bad.xml:3: parser error : Opening and ending tag mismatch: A line 2 and B\n",
            "<B></C>\n",
            "     ^\n",
        );
        assert_eq!(
            xmllint_problems(stderr),
            vec!["XSD: line 3, column 6: opening and ending tag mismatch: A line 2 and B"]
        );
    }
}
