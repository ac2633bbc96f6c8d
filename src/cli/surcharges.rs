//! Surcharges on the command line (`tahsil surcharges …`): the dated rules (list, add,
//! confirm), the fund's policy (deadlines, grace, four-eyes amount), the order in which
//! payments pay lines and surcharges, a pass of the daily job, an employer's surcharges, waivers (ask, approve, refuse) and amnesties (create,
//! preview, apply, reverse). Staff name themselves with `--staff` so that the audit trail
//! says who, and a second person can approve. The computations are `crate::store`'s.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;
use mandates::{Amount, Lang};

use crate::app;
use crate::config::Config;
use crate::locale::statement::{rate_words, surcharge_explanation};
use crate::store::{
    Actor, AllocationOrder, AmnestyPreview, NewAmnesty, NewSurchargeRule, Store, SurchargeFacts,
    SurchargeKind, SurchargePolicy, WaiverRecord,
};

#[derive(Debug, Subcommand)]
pub(super) enum SurchargesCommand {
    /// List the surcharge rules (provisional ones compute nothing until confirmed).
    Rules,
    /// Add a dated rule; the rule of its kind in force ends the day before.
    AddRule {
        /// late_declaration, late_payment or provisional_assessment.
        #[arg(long, value_parser = parse_kind)]
        kind: SurchargeKind,
        /// The penalty, or the first month's surcharge, in basis points (500 = 5 %).
        #[arg(long, value_name = "BP")]
        first_bp: i64,
        /// Each further month's surcharge in basis points (late payment only).
        #[arg(long, value_name = "BP", default_value_t = 0)]
        monthly_bp: i64,
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: NaiveDate,
        /// The legal text and article.
        #[arg(long, value_name = "TEXT")]
        source: String,
        #[arg(long, value_name = "NAME")]
        staff: String,
    },
    /// The fund confirms a rule: from then on the daily job applies it.
    ConfirmRule {
        id: i64,
        #[arg(long, value_name = "NAME")]
        staff: String,
    },
    /// Show the policy, or change it with any of the options.
    Policy {
        /// Days after contributions fall due within which they must be paid.
        #[arg(long)]
        payment_days: Option<u32>,
        /// Days after contributions fall due within which they must be declared.
        #[arg(long)]
        declaration_days: Option<u32>,
        /// Days after the payment deadline within which a payment escapes any surcharge.
        #[arg(long)]
        grace_days: Option<u32>,
        /// A waiver above this amount (dinars) needs a second member of staff.
        #[arg(long, value_name = "AMOUNT", value_parser = parse_amount)]
        four_eyes: Option<Amount>,
        #[arg(long, value_name = "NAME")]
        staff: Option<String>,
    },
    /// Show the order in which money received pays lines and surcharges, or change it
    /// (principal_first, oldest_first or surcharges_first).
    AllocationOrder {
        #[arg(long, value_parser = parse_order)]
        set: Option<AllocationOrder>,
        #[arg(long, value_name = "NAME")]
        staff: Option<String>,
    },
    /// Run the daily computation now (the scheduler runs it every day): surcharges, then
    /// provisional assessments of declarations missing past their deadline.
    Accrue,
    /// An employer's surcharges, each with what explains it.
    List {
        #[arg(long, value_name = "AFFILIATION")]
        employer: String,
    },
    /// Waive surcharges of an employer (all not yet waived, or those given by --surcharge).
    Waive {
        #[arg(long, value_name = "AFFILIATION")]
        employer: String,
        #[arg(long = "surcharge", value_name = "ID")]
        surcharges: Vec<i64>,
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[arg(long, value_name = "NAME")]
        staff: String,
    },
    /// Approve a waiver waiting for a second member of staff.
    Approve {
        waiver: i64,
        #[arg(long, value_name = "NAME")]
        staff: String,
    },
    /// Refuse a waiver waiting for approval.
    Refuse {
        waiver: i64,
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[arg(long, value_name = "NAME")]
        staff: String,
    },
    /// Amnesties: surcharges waived en masse under conditions.
    Amnesty {
        #[command(subcommand)]
        command: AmnestyCommand,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum AmnestyCommand {
    /// Record an amnesty (a draft: nothing is waived until it is applied).
    Create {
        #[arg(long, value_name = "TEXT")]
        name: String,
        /// Surcharges recorded from this day…
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: NaiveDate,
        /// …to this day.
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: NaiveDate,
        /// Condition: the employer's surcharged contributions paid by this day.
        #[arg(long, value_name = "YYYY-MM-DD")]
        principal_paid_by: NaiveDate,
        /// Condition (or): a payment plan requested by this day, not refused, withdrawn, broken or cancelled.
        #[arg(long, value_name = "YYYY-MM-DD")]
        plan_requested_by: Option<NaiveDate>,
        #[arg(long, value_name = "NAME")]
        staff: String,
    },
    /// How many employers and how much applying it now would waive.
    Preview { id: i64 },
    /// Apply it, in one transaction.
    Apply {
        id: i64,
        #[arg(long, value_name = "NAME")]
        staff: String,
    },
    /// Reverse an applied amnesty (opposite entries; nothing is deleted).
    Reverse {
        id: i64,
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[arg(long, value_name = "NAME")]
        staff: String,
    },
}

fn parse_kind(text: &str) -> Result<SurchargeKind, String> {
    text.parse().map_err(|err: mandates::UnknownCode| {
        format!("{err}: use late_declaration, late_payment or provisional_assessment")
    })
}

fn parse_order(text: &str) -> Result<AllocationOrder, String> {
    text.parse().map_err(|err: mandates::UnknownCode| {
        format!("{err}: use principal_first, oldest_first or surcharges_first")
    })
}

fn parse_amount(text: &str) -> Result<Amount, String> {
    Amount::parse(text).map_err(|err| {
        format!("{err}: write the amount in dinars with a decimal point, like 1234.50")
    })
}

fn staff(name: &str) -> anyhow::Result<Actor> {
    let name = name.trim();
    anyhow::ensure!(
        !name.is_empty(),
        "--staff needs your name: the audit trail records who did it"
    );
    Ok(Actor::new(format!("cli:{name}")))
}

pub(super) async fn surcharges(
    config: Config,
    command: SurchargesCommand,
) -> anyhow::Result<ExitCode> {
    let store = app::open_store(&config).await?;
    store.migrate().await?;
    let mut out = String::new();
    let result = run(&store, command, &mut out).await;
    store.close().await;
    result?;
    super::write_out(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn waiver_line(w: &WaiverRecord) -> String {
    let state = match w.status {
        crate::store::WaiverStatus::Pending => {
            "waiting for a second member of staff to approve (tahsil surcharges approve)"
        }
        crate::store::WaiverStatus::Applied => "applied: the surcharges are written off",
        crate::store::WaiverStatus::Refused => "refused: the surcharges stay owed",
        crate::store::WaiverStatus::Reversed => "reversed: the surcharges are owed again",
    };
    format!(
        "waiver #{} for {}: {state}\n",
        w.id,
        super::money(Amount::from_centimes(w.amount_centimes))
    )
}

fn preview_text(p: &AmnestyPreview) -> String {
    let mut out = format!(
        "amnesty #{}: {} employer(s), {} surcharge(s), {}\n",
        p.amnesty_id,
        p.employers,
        p.surcharges,
        super::money(p.amount)
    );
    for (_, affiliation, count, amount) in &p.by_employer {
        out.push_str(&format!(
            "  {affiliation}: {count} surcharge(s), {}\n",
            super::money(*amount)
        ));
    }
    out
}

async fn run(store: &Store, command: SurchargesCommand, out: &mut String) -> anyhow::Result<()> {
    match command {
        SurchargesCommand::Rules => {
            for r in store.surcharge_rules().await? {
                let monthly = if r.kind == SurchargeKind::LatePayment {
                    format!(" then {} per further month", rate_words(r.monthly_bp))
                } else {
                    String::new()
                };
                out.push_str(&format!(
                    "#{} {} {}{monthly}, from {} to {}: {}\n    source: {}\n",
                    r.id,
                    r.kind,
                    rate_words(r.first_bp),
                    super::day(&r.valid_from),
                    r.valid_to
                        .as_deref()
                        .map_or_else(|| "(open)".to_owned(), super::day),
                    match &r.confirmed_by {
                        Some(by) => format!("confirmed by {}", super::who(by)),
                        None =>
                            "PROVISIONAL, computes nothing until the fund confirms it".to_owned(),
                    },
                    r.source
                ));
            }
        }
        SurchargesCommand::AddRule {
            kind,
            first_bp,
            monthly_bp,
            from,
            source,
            staff: name,
        } => {
            let id = store
                .add_surcharge_rule(
                    &staff(&name)?,
                    NewSurchargeRule {
                        kind,
                        first_bp,
                        monthly_bp,
                        valid_from: from,
                        source,
                    },
                )
                .await?;
            out.push_str(&format!(
                "rule #{id} added (provisional until confirmed: tahsil surcharges confirm-rule {id})\n"
            ));
        }
        SurchargesCommand::ConfirmRule { id, staff: name } => {
            store.confirm_surcharge_rule(&staff(&name)?, id).await?;
            out.push_str(&format!("rule #{id} confirmed: the daily job applies it\n"));
        }
        SurchargesCommand::Policy {
            payment_days,
            declaration_days,
            grace_days,
            four_eyes,
            staff: name,
        } => {
            let mut policy = store.surcharge_policy().await?;
            let changes = payment_days.is_some()
                || declaration_days.is_some()
                || grace_days.is_some()
                || four_eyes.is_some();
            if changes {
                let name = name.ok_or_else(|| {
                    anyhow::anyhow!("--staff needs your name to change the policy")
                })?;
                policy = SurchargePolicy {
                    payment_days: payment_days.unwrap_or(policy.payment_days),
                    declaration_days: declaration_days.unwrap_or(policy.declaration_days),
                    grace_days: grace_days.unwrap_or(policy.grace_days),
                    four_eyes: four_eyes.unwrap_or(policy.four_eyes),
                };
                store.set_surcharge_policy(&staff(&name)?, policy).await?;
            }
            out.push_str(&format!(
                "contributions to pay within {} days of falling due, to declare within {} days; \
                 grace {} days after the payment deadline; waivers above {} need a second member of staff\n",
                policy.payment_days,
                policy.declaration_days,
                policy.grace_days,
                super::money(policy.four_eyes)
            ));
        }
        SurchargesCommand::AllocationOrder { set, staff: name } => {
            if let Some(order) = set {
                let name = name.ok_or_else(|| {
                    anyhow::anyhow!("--staff needs your name to change the allocation order")
                })?;
                store.set_allocation_order(&staff(&name)?, order).await?;
            }
            out.push_str(&format!(
                "payments pay owed lines and surcharges in the order {}\n",
                store.allocation_order().await?
            ));
        }
        SurchargesCommand::Accrue => {
            let today = store.clock().today();
            let s = store.accrue_surcharges(&Actor::new("cli"), today).await?;
            out.push_str(&format!(
                "{} surcharge(s) recorded for {} employer(s), {}\n",
                s.surcharges,
                s.employers,
                super::money(s.amount)
            ));
            let a = store
                .assess_missing_declarations(&Actor::new("cli"), today)
                .await?;
            out.push_str(&format!(
                "{} provisional assessment(s) of missing declarations for {} employer(s), {}\n",
                a.assessments,
                a.employers,
                super::money(a.amount)
            ));
        }
        SurchargesCommand::List { employer } => {
            let id = store.employer_id_by_affiliation(&employer).await?;
            for s in store.employer_surcharges(id).await? {
                let facts = SurchargeFacts {
                    kind: s.kind,
                    month: s.month,
                    base: s.base,
                    rate_bp: s.rate_bp,
                    deadline: s.deadline.clone(),
                    days_late: s.days_late,
                    period: s.period.clone(),
                    rule_source: s.rule_source.clone(),
                };
                out.push_str(&format!(
                    "#{} {} {}{}\n    {}\n",
                    s.id,
                    super::day(&s.accrued_on),
                    super::money(s.amount),
                    s.waiver_id
                        .map(|w| format!(" (waiver #{w})"))
                        .unwrap_or_default(),
                    surcharge_explanation(&facts, Lang::Fr)
                ));
            }
        }
        SurchargesCommand::Waive {
            employer,
            surcharges,
            reason,
            staff: name,
        } => {
            let id = store.employer_id_by_affiliation(&employer).await?;
            let waiver = store
                .request_waiver(&staff(&name)?, id, &surcharges, &reason)
                .await?;
            out.push_str(&waiver_line(&waiver));
        }
        SurchargesCommand::Approve {
            waiver,
            staff: name,
        } => {
            let waiver = store.approve_waiver(&staff(&name)?, waiver).await?;
            out.push_str(&waiver_line(&waiver));
        }
        SurchargesCommand::Refuse {
            waiver,
            reason,
            staff: name,
        } => {
            let waiver = store.refuse_waiver(&staff(&name)?, waiver, &reason).await?;
            out.push_str(&waiver_line(&waiver));
        }
        SurchargesCommand::Amnesty { command } => match command {
            AmnestyCommand::Create {
                name,
                from,
                to,
                principal_paid_by,
                plan_requested_by,
                staff: who,
            } => {
                let id = store
                    .create_amnesty(
                        &staff(&who)?,
                        NewAmnesty {
                            name,
                            accrued_from: from,
                            accrued_to: to,
                            principal_paid_by,
                            plan_requested_by,
                        },
                    )
                    .await?;
                out.push_str(&format!(
                    "amnesty #{id} recorded as a draft: preview it (tahsil surcharges amnesty preview {id}), then apply it\n"
                ));
            }
            AmnestyCommand::Preview { id } => {
                out.push_str(&preview_text(&store.preview_amnesty(id).await?));
            }
            AmnestyCommand::Apply { id, staff: name } => {
                let applied = store.apply_amnesty(&staff(&name)?, id).await?;
                out.push_str("applied: ");
                out.push_str(&preview_text(&applied));
            }
            AmnestyCommand::Reverse {
                id,
                reason,
                staff: name,
            } => {
                let n = store.reverse_amnesty(&staff(&name)?, id, &reason).await?;
                out.push_str(&format!(
                    "amnesty #{id} reversed: {n} waiver(s) reversed, the surcharges are owed again\n"
                ));
            }
        },
    }
    Ok(())
}
