//! `tahsil attestation issue --employer AFFILIATION --out FILE`: issues the employer a
//! certificate of being up to date (the store's policy: nothing owed that has fallen due)
//! and writes it as a PDF in Arabic and French, privately (0600). An employer not up to
//! date, or unknown, exits 1 saying why; nothing is issued or written then.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::receipts::write_private;
use crate::app;
use crate::config::Config;
use crate::documents::{AttestationFacts, attestation_pdf, verify_url};
use crate::locale::digits;
use crate::store::{Actor, AttestationPolicy, Issuance};

#[derive(Debug, Subcommand)]
pub(super) enum AttestationCommand {
    /// Issue a certificate to the employer AFFILIATION if it is up to date, as a PDF to FILE.
    Issue {
        #[arg(long, value_name = "AFFILIATION")]
        employer: String,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

pub(super) async fn attestation(
    config: Config,
    command: AttestationCommand,
) -> anyhow::Result<ExitCode> {
    let AttestationCommand::Issue { employer, out } = command;
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let Some(found) = store.employer_by_affiliation(&employer).await? else {
        store.close().await;
        println!(
            "no employer has the affiliation number {:?}: check the number (as on its declarations)",
            employer.trim()
        );
        return Ok(ExitCode::from(1));
    };
    let policy = AttestationPolicy {
        validity_months: config.attestation_validity_months,
    };
    let issued = store
        .issue_attestation(&Actor::new("cli"), found.id, policy)
        .await;
    store.close().await;
    let attestation = match issued? {
        Issuance::Issued(attestation) => *attestation,
        Issuance::NotUpToDate { owed } => {
            println!(
                "employer {} is not up to date: it owes {} DA fallen due (its statement: tahsil statement --employer {}); no certificate was issued",
                found.affiliation_number,
                digits(owed),
                found.affiliation_number
            );
            return Ok(ExitCode::from(1));
        }
    };
    let url = verify_url(config.portal_url.as_deref(), &attestation.code);
    let pdf = attestation_pdf(&AttestationFacts {
        fund: &config.creditor_name,
        attestation: &attestation,
        employer: &found,
        verify_url: &url,
    })?;
    write_private(&out, &pdf)?;
    println!(
        "certificate {} of employer {} (valid until {}) written to {} ({} bytes); verification: {url}",
        attestation.number,
        found.affiliation_number,
        crate::locale::written_day_of(&attestation.valid_until),
        out.display(),
        pdf.len()
    );
    Ok(ExitCode::SUCCESS)
}
