//! `tahsil files inspect|validate`: thin wrappers over `bank_formats::inspect`, plus the
//! XSD check of our own XML with `xmllint` when it and the schemas are available.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::Context;
use bank_formats::inspect::{inspect_with, validate_with};
use bank_formats::layout::Layout;

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

pub fn inspect_command(path: &Path, json: bool, layouts: &[Layout]) -> anyhow::Result<ExitCode> {
    let bytes = read(path)?;
    let inspection = inspect_with(&bytes, layouts).map_err(|e| {
        anyhow::anyhow!("{} is not a bank file tahsil can read: {e}", path.display())
    })?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&inspection).context("cannot render the inspection")?
        );
    } else {
        print!("{}", inspection.to_table());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn validate_command(
    path: &Path,
    xsd_dir: Option<&Path>,
    layouts: &[Layout],
) -> anyhow::Result<ExitCode> {
    let bytes = read(path)?;
    let validation = validate_with(&bytes, layouts);
    let mut problems = validation.problems.clone();
    let mut notes = Vec::new();
    if let Some(format) = validation.format.as_deref()
        && bytes.trim_ascii_start().starts_with(b"<")
    {
        match xsd_check(path, format, xsd_dir) {
            XsdOutcome::Valid(schema) => notes.push(format!("XSD: valid against {schema}")),
            XsdOutcome::Invalid(lines) => problems.extend(lines),
            XsdOutcome::Skipped(reason) => notes.push(format!("XSD: not checked ({reason})")),
        }
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

fn xsd_check(path: &Path, format: &str, configured: Option<&Path>) -> XsdOutcome {
    let file_name = format!("{format}.xsd");
    let Some(schema) = xsd_dirs(configured)
        .into_iter()
        .map(|d| d.join(&file_name))
        .find(|p| p.exists())
    else {
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
        return XsdOutcome::Valid(file_name);
    }
    let lines: Vec<String> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.ends_with("fails to validate"))
        .map(|l| format!("XSD: {l}"))
        .collect();
    if lines.is_empty() {
        XsdOutcome::Invalid(vec![format!(
            "XSD: the file does not validate against {file_name}"
        )])
    } else {
        XsdOutcome::Invalid(lines)
    }
}
