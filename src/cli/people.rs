//! `tahsil users` and `tahsil tokens`: the people who sign in to the portal and console,
//! and the API tokens of bank clients and employer users. Reads the password from standard
//! input; knows nothing of the web surface that checks what it creates.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use super::moment;
use crate::app;
use crate::config::Config;
use crate::store::NewToken;

#[derive(Debug, Subcommand)]
pub(super) enum UsersCommand {
    /// Create a user; the password is read from standard input (one line).
    Add {
        /// employer, finance or admin.
        #[arg(long, value_name = "ROLE")]
        role: String,
        #[arg(long, value_name = "EMAIL")]
        email: String,
        /// Name shown on pages (default: the part of the email before @).
        #[arg(long, value_name = "NAME", default_value = "")]
        name: String,
        /// For an employer user: the affiliation number of an employer it acts for
        /// (repeat for an accountant acting for several).
        #[arg(long = "employer", value_name = "AFFILIATION")]
        employers: Vec<String>,
    },
    /// List users (id, role, email, employers).
    List,
}

#[derive(Debug, Subcommand)]
pub(super) enum TokensCommand {
    /// Create a token and print it (shown only this once): for an institution's client
    /// (`--institution`), or an employer user's personal API token (`--user`).
    Add {
        /// bank or poste.
        #[arg(
            long,
            value_name = "INSTITUTION",
            required_unless_present = "user",
            conflicts_with = "user"
        )]
        institution: Option<String>,
        /// The email of an employer user: its token reaches that user's employers only.
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
        #[arg(long, value_name = "TEXT", default_value = "")]
        label: String,
    },
    /// List tokens (never the tokens themselves); personal ones are marked `user ID`.
    List,
    /// Revoke a token: it stops working at once.
    Revoke {
        #[arg(value_name = "ID")]
        id: i64,
        /// ID is an employer user's personal token (`user …` in the list).
        #[arg(long)]
        user: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum EnrolmentCommand {
    /// Issue an activation code for an employer and print it, for a paper letter: with
    /// its affiliation number, whoever holds it creates the employer's first account on
    /// the portal (`/enrol`). Kept hashed; works once, until it expires.
    Codes {
        /// The employer's affiliation number.
        #[arg(long = "employer", value_name = "AFFILIATION")]
        employer: String,
    },
}

/// `tahsil enrolment codes`.
pub(super) async fn enrolment(
    config: Config,
    command: EnrolmentCommand,
) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let actor = crate::store::Actor::new("cli");
    match command {
        EnrolmentCommand::Codes { employer } => {
            let issued = store.issue_enrolment_code(&actor, &employer).await?;
            println!(
                "activation code for employer {}: {}\nvalid until {} (Algiers time), once; enrol at /enrol on the portal",
                issued.affiliation_number,
                issued.code,
                crate::locale::page_moment(&issued.expires_at)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a password from standard input: one line, without its line ending.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        eprint!("password (at least 10 characters; typing is visible): ");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        anyhow::bail!(
            "no password on standard input: pipe it in, e.g. `printf '%s\\n' \"$PASSWORD\" | tahsil users add …`"
        );
    }
    Ok(password)
}

/// `tahsil users add|list`.
pub(super) async fn users(config: Config, command: UsersCommand) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let actor = crate::store::Actor::new("cli");
    match command {
        UsersCommand::Add {
            role,
            email,
            name,
            employers,
        } => {
            let role = crate::store::Role::parse(role.trim()).map_err(anyhow::Error::msg)?;
            let password = read_password()?;
            let user = store
                .create_user(
                    &actor,
                    crate::store::NewUser {
                        email,
                        display_name: name,
                        role,
                        password,
                        employers,
                    },
                )
                .await?;
            println!(
                "user {} created: {} ({}){}",
                user.id,
                user.email,
                user.role.as_str(),
                if user.employer_ids.is_empty() {
                    String::new()
                } else {
                    format!(", acting for {} employer(s)", user.employer_ids.len())
                }
            );
        }
        UsersCommand::List => {
            for user in store.users().await? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    user.id,
                    user.role.as_str(),
                    user.email,
                    user.employer_ids
                        .iter()
                        .map(|id| id.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                    if user.disabled { "\tdisabled" } else { "" }
                );
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `tahsil tokens add|list|revoke`: a new token goes to standard output, alone.
pub(super) async fn tokens(config: Config, command: TokensCommand) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let actor = crate::store::Actor::new("cli");
    match command {
        TokensCommand::Add {
            user: Some(email),
            label,
            ..
        } => {
            let Some(user) = store.user_by_email(&email).await? else {
                anyhow::bail!("no user with this email: create it with `tahsil users add` first");
            };
            let label = match label.trim() {
                "" => "cli",
                text => text,
            };
            let NewToken { record, token } =
                store.create_user_api_token(&actor, user.id, label).await?;
            eprintln!(
                "personal token {} for user {} ({}); it is shown only now, keep it safe:",
                record.id, user.id, record.label
            );
            println!("{token}");
        }
        TokensCommand::Add {
            institution, label, ..
        } => {
            let institution = institution.unwrap_or_default();
            let NewToken { record, token } = store
                .create_api_token(&actor, institution.trim(), &label)
                .await?;
            eprintln!(
                "token {} for {} ({}); it is shown only now, keep it safe:",
                record.id, record.institution, record.label
            );
            println!("{token}");
        }
        TokensCommand::List => {
            for t in store.api_tokens().await? {
                println!(
                    "{}\t{}\t{}\tcreated {}\tlast used {}{}",
                    t.id,
                    t.institution,
                    t.label,
                    moment(&t.created_at),
                    t.last_used_at
                        .as_deref()
                        .map_or_else(|| "never".to_owned(), moment),
                    t.revoked_at
                        .map(|at| format!("\trevoked {}", moment(&at)))
                        .unwrap_or_default()
                );
            }
            for t in store.all_user_api_tokens().await? {
                println!(
                    "{}\tuser {}\t{}\tcreated {}\tlast used {}{}",
                    t.id,
                    t.user_id,
                    t.label,
                    moment(&t.created_at),
                    t.last_used_at
                        .as_deref()
                        .map_or_else(|| "never".to_owned(), moment),
                    t.revoked_at
                        .map(|at| format!("\trevoked {}", moment(&at)))
                        .unwrap_or_default()
                );
            }
        }
        TokensCommand::Revoke { id, user: true } => {
            store.revoke_user_api_token(&actor, None, id).await?;
            println!("personal token {id} revoked");
        }
        TokensCommand::Revoke { id, user: false } => {
            store.revoke_api_token(&actor, id).await?;
            println!("token {id} revoked");
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
