//! Bank profiles in the service: the default bank profile writes domestic pain.008 (no
//! SEPA code), a bank configured `sepa` gets SEPA Core, the postal header carries the
//! fund's RIP, and the simulated bank answers a refund file (pain.001) with a pain.002.

use std::path::{Path, PathBuf};
use std::process::Command;

use bank_formats::inspect::inspect;
use bank_formats::iso20022::{AccountIdentifier, Agent, CreditTransfer, CreditTransferBatch};
use bank_formats::layout::{read_debit_file, shipped_layout};
use bank_formats::profile::write_credit_transfer;
use chrono::NaiveDate;
use mandates::Amount;
use tahsil::config::Config;
use tahsil::cycle::CycleSettings;
use tahsil::cycle::banksim::BankSim;
use tahsil::cycle::exchange::{Access, Folder, stage, waiting_files};
use tahsil::cycle::run::run_date;

use crate::both_backends;
use crate::harness::TestDb;
use crate::harness::fixtures::{PLANNED_DATE, actor, planned};

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(PLANNED_DATE.0, PLANNED_DATE.1, PLANNED_DATE.2).unwrap()
}

fn settings_with(exchange: &Path, bank_profile: &str) -> CycleSettings {
    CycleSettings::from_config(&Config {
        exchange_dir: exchange.to_path_buf(),
        bank_profile: bank_profile.to_owned(),
        ..Config::default()
    })
    .unwrap()
}

/// `xmllint` against the official schema, or why it cannot run (a failure under CI=true).
pub fn schema_check(file: &Path, schema: &str) {
    let xsd = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/iso20022/xsd")
        .join(format!("{schema}.xsd"));
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !xsd.exists() {
        assert!(!ci, "CI=true but {} is absent", xsd.display());
        eprintln!("skipped: {} is absent", xsd.display());
        return;
    }
    match Command::new("xmllint")
        .args(["--noout", "--stream", "--schema"])
        .arg(&xsd)
        .arg(file)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "{} is not valid {schema}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => {
            assert!(!ci, "CI=true but xmllint is not installed");
            eprintln!("skipped: xmllint is not installed");
        }
    }
}

both_backends!(
    the_default_profiles_write_domestic_bank_files_and_the_funds_rip_in_postal_headers,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let config = Config::default();
        let settings = settings_with(exchange.path(), &config.bank_profile);
        assert_eq!(planned(&store, 24).await, 24);
        let run = run_date(&store, &settings, &actor(), date(), "profiles")
            .await
            .unwrap();
        let (mut bank_files, mut postal_files) = (0, 0);
        for file in &run.files {
            let bytes = std::fs::read(&file.path).unwrap();
            if file.channel.as_str() == "bank" {
                bank_files += 1;
                let text = String::from_utf8(bytes).unwrap();
                assert_eq!(file.format, "pain.008.001.02");
                for sepa in ["<SvcLvl>", "<LclInstrm>", ">SEPA<", ">CORE<", "<PrvtId>"] {
                    assert!(!text.contains(sepa), "the default bank file has {sepa}");
                }
                assert!(text.contains("<OrgId><Othr><Id>CACOBATPH</Id></Othr></OrgId>"));
                schema_check(&file.path, "pain.008.001.02");
            } else {
                postal_files += 1;
                let layout = shipped_layout("postal-ccp-debit").unwrap();
                let read = read_debit_file(layout, &bytes).unwrap();
                // The postal layout's header says the fund's RIP: the postal account,
                // never the bank RIB of creditor_account.
                assert_eq!(read.header.creditor_account, config.creditor_postal_account);
                assert_ne!(read.header.creditor_account, config.creditor_account);
                assert!(read.header.creditor_account.starts_with("00799999"));
            }
        }
        assert!(bank_files > 0 && postal_files > 0, "{:?}", run.files);
    }
);

both_backends!(
    a_bank_configured_sepa_gets_sepa_core_files,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings_with(exchange.path(), "sepa");
        assert_eq!(planned(&store, 8).await, 8);
        let run = run_date(&store, &settings, &actor(), date(), "sepa")
            .await
            .unwrap();
        let bank = run
            .files
            .iter()
            .find(|f| f.channel.as_str() == "bank")
            .expect("a bank file");
        let text = std::fs::read_to_string(&bank.path).unwrap();
        assert!(
            text.contains("<SvcLvl><Cd>SEPA</Cd></SvcLvl><LclInstrm><Cd>CORE</Cd></LclInstrm>")
        );
        assert!(text.contains(
            "<PrvtId><Othr><Id>CACOBATPH</Id><SchmeNm><Prtry>SEPA</Prtry></SchmeNm></Othr></PrvtId>"
        ));
        schema_check(&bank.path, "pain.008.001.02");
    }
);

#[test]
fn a_profile_or_postal_account_that_cannot_be_used_stops_startup_saying_why() {
    let error = CycleSettings::from_config(&Config {
        bank_profile: "atlantis".to_owned(),
        ..Config::default()
    })
    .unwrap_err();
    assert!(
        format!("{error:#}").contains("neither a shipped profile"),
        "{error:#}"
    );
    let error = CycleSettings::from_config(&Config {
        creditor_postal_account: Config::default().creditor_account,
        ..Config::default()
    })
    .unwrap_err();
    assert!(format!("{error:#}").contains("a RIP"), "{error:#}");
    // A bank's own profile file is read from its path.
    let folder = tempfile::tempdir().unwrap();
    let own = folder.path().join("my-bank.toml");
    std::fs::write(
        &own,
        "name = \"my-bank\"\ntitle = \"Mine\"\ncharset = \"utf8\"\nmax_transactions_per_file = 7\n\
         lead_business_days = 3\ncut_off = \"10:00\"\nreports = [\"camt.053\"]\n\
         [debit]\nformat = \"pain.008.001.08\"\nlocal_instrument = { proprietary = \"PRLV\" }\n",
    )
    .unwrap();
    let settings = CycleSettings::from_config(&Config {
        bank_profile: own.display().to_string(),
        ..Config::default()
    })
    .unwrap();
    let bank = settings
        .institution(tahsil::store::Institution::Bank)
        .unwrap();
    assert_eq!(bank.profile.name(), "my-bank");
    assert_eq!(bank.format.name(), "pain.008.001.08");
    assert_eq!(
        bank.max_per_file, 7,
        "the profile's limit is below max_per_file"
    );
    assert_eq!(
        settings.policy.lead_business_days, 3,
        "the longest lead time"
    );
}

/// A refund batch of `count` transfers from the fund to employers.
fn refund_batch(count: usize) -> CreditTransferBatch {
    CreditTransferBatch {
        message_id: format!("TSL-REFUND-{count}"),
        created_at: date().and_hms_opt(9, 0, 0).unwrap(),
        initiating_party: "CACOBATPH".to_owned(),
        payment_id: format!("TSL-REFUND-{count}-P"),
        execution_date: date(),
        debtor_name: "CACOBATPH".to_owned(),
        debtor_account: AccountIdentifier::Domestic("00400174401001050486".to_owned()),
        debtor_agent: Agent::Code("004".to_owned()),
        transfers: (0..count)
            .map(|i| CreditTransfer {
                end_to_end_id: format!("R{count}E{i:06}"),
                amount: Amount::from_centimes(10_000 + i as i64),
                creditor_name: "Entreprise Benali".to_owned(),
                creditor_account: AccountIdentifier::Domestic("00799999000000020091".to_owned()),
                creditor_agent: Agent::Code("007".to_owned()),
                remittance: "Remboursement".to_owned(),
            })
            .collect(),
    }
}

#[test]
fn the_simulated_bank_answers_a_refund_file_with_a_status_report() {
    let exchange = tempfile::tempdir().unwrap();
    let settings = settings_with(exchange.path(), "dz-domestic");
    let bank = settings
        .institution(tahsil::store::Institution::Bank)
        .unwrap();
    let outbox = settings.folder("bank", Folder::Outbox);
    let inbox = settings.folder("bank", Folder::Inbox);
    for (count, reject_per_mille, group) in
        [(40, 0, "ACCP"), (40, 1000, "RJCT"), (200, 300, "PART")]
    {
        let bytes = write_credit_transfer(&bank.profile, &refund_batch(count)).unwrap();
        // Landing in the outbox: staged (hidden, synced, hashed), then published.
        let name = format!("bank-refund-{count}-{reject_per_mille}.xml");
        let staged = stage(&outbox.join(&name), &bytes, Access::PRIVATE).unwrap();
        assert!(
            waiting_files(&outbox).iter().all(|p| !p.ends_with(&name)),
            "not visible yet"
        );
        staged.publish(Access::PRIVATE).unwrap();
        let sum = std::fs::read_to_string(outbox.join(format!("{name}.sha256"))).unwrap();
        assert_eq!(sum, format!("{}  {name}\n", staged.sha256));
        assert_eq!(staged.size_bytes, bytes.len() as u64);
        schema_check(&outbox.join(&name), "pain.001.001.03");

        let sim = BankSim {
            reject_per_mille: 0,
            return_per_mille: 0,
            transfer_reject_per_mille: reject_per_mille,
            seed: 7,
            today: date(),
            layouts: settings.layouts,
        };
        let written = sim.answer(&outbox, &inbox).unwrap();
        assert_eq!(written.len(), 1, "one pain.002 for {name}: {written:?}");
        let report = inspect(&std::fs::read(&written[0]).unwrap()).unwrap();
        assert_eq!(report.format, "pain.002.001.03");
        assert_eq!(report.status, Some(Some(group.to_owned())), "{name}");
        assert_eq!(
            report.original_message_id,
            Some(Some(format!("TSL-REFUND-{count}")))
        );
        assert_eq!(report.transactions.len(), count);
        let rejected = report
            .transactions
            .iter()
            .filter(|t| t.status.as_deref() == Some("RJCT"))
            .inspect(|t| {
                let reason = t.reason.as_deref().unwrap();
                assert!(["AC01", "AC04", "AC06"].contains(&reason), "{reason}");
            })
            .count();
        assert!(
            report
                .transactions
                .iter()
                .all(|t| matches!(t.status.as_deref(), Some("ACSC" | "RJCT")))
        );
        match group {
            "ACCP" => assert_eq!(rejected, 0),
            "RJCT" => assert_eq!(rejected, count),
            _ => assert!((30..=90).contains(&rejected), "{rejected} of 200 at 30 %"),
        }
        // Answered once: a second pass writes nothing more.
        assert!(sim.answer(&outbox, &inbox).unwrap().is_empty());
    }
}

fn tahsil(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .args(args)
        .output()
        .expect("run tahsil")
}

#[test]
fn files_inspect_and_validate_read_a_refund_file() {
    let folder = tempfile::tempdir().unwrap();
    let profile = bank_formats::profile::shipped_profile("sepa").unwrap();
    let file = folder.path().join("refunds.xml");
    std::fs::write(
        &file,
        write_credit_transfer(profile, &refund_batch(3)).unwrap(),
    )
    .unwrap();
    let output = tahsil(&["files", "inspect", "--json", file.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["format"], "pain.001.001.09");
    assert_eq!(json["message_id"], "TSL-REFUND-3");
    let transactions = json["transactions"].as_array().unwrap();
    assert_eq!(transactions.len(), 3);
    assert_eq!(transactions[1]["end_to_end_id"], "R3E000001");
    assert_eq!(transactions[1]["amount"], "100.01");
    assert_eq!(transactions[1]["status"], serde_json::Value::Null);

    let output = tahsil(&["files", "validate", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("valid pain.001.001.09"), "{text}");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        assert!(
            text.contains("XSD: valid against"),
            "the CLI checks the official schema: {text}"
        );
    }
    // A wrong control sum is named, and the exit code says so.
    let broken = std::fs::read_to_string(&file)
        .unwrap()
        .replacen("<CtrlSum>", "<CtrlSum>9", 1);
    std::fs::write(&file, broken).unwrap();
    let output = tahsil(&["files", "validate", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("group header: CtrlSum says 9"), "{text}");
}

#[test]
fn a_refund_file_is_staged_in_the_banks_outbox_from_the_funds_account() {
    use tahsil::cycle::refund::{RefundBatch, stage_refund_file};
    use tahsil::store::Institution;

    let exchange = tempfile::tempdir().unwrap();
    let settings = settings_with(exchange.path(), "dz-domestic");
    let batch = RefundBatch {
        sequence: 1,
        execution_date: date(),
        created_at: date().and_hms_opt(9, 30, 0).unwrap(),
        transfers: refund_batch(5).transfers,
    };
    let staged = stage_refund_file(&settings, Institution::Bank, &batch).unwrap();
    assert_eq!(staged.format, "pain.001.001.03");
    assert_eq!(staged.transactions, 5);
    assert_eq!(
        staged.control_sum,
        Amount::from_centimes(5 * 10_000 + (1 + 2 + 3 + 4))
    );
    let outbox = settings.folder("bank", Folder::Outbox);
    assert!(waiting_files(&outbox).is_empty(), "staged, not yet visible");
    staged.file.publish(Access::PRIVATE).unwrap();
    let path = outbox.join(&staged.file_name);
    assert_eq!(waiting_files(&outbox), vec![path.clone()]);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        tahsil::cycle::exchange::sha256_hex(&bytes),
        staged.file.sha256
    );
    schema_check(&path, "pain.001.001.03");
    let read = bank_formats::iso20022::read_pain001_slice(&bytes).unwrap();
    assert_eq!(read.message_id, staged.message_id);
    let payment = &read.payments[0];
    // The fund's bank account pays the refunds, through its own bank.
    assert_eq!(
        payment.debtor_account,
        Some(AccountIdentifier::Domestic(
            Config::default().creditor_account
        ))
    );
    assert_eq!(payment.debtor_agent, Some(Agent::Code("004".to_owned())));
    assert_eq!(payment.payment_type, Default::default(), "no SEPA codes");
    // Algérie Poste's profile takes no refund files: said, nothing written.
    let error = stage_refund_file(&settings, Institution::Poste, &batch).unwrap_err();
    assert!(
        format!("{error:#}").contains("takes no refund files"),
        "{error:#}"
    );
    assert!(waiting_files(&settings.folder("poste", Folder::Outbox)).is_empty());
}

both_backends!(
    a_bank_profile_naming_a_batched_layout_gets_a_batch_per_debtor_bank,
    |db: TestDb| async move {
        use bank_formats::inspect::{inspect_among, validate_among};
        use bank_formats::layout::{AnyLayout, Part};
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        // The institution's own batched layout, in the layouts folder, named by the profile.
        let own = include_str!("../../bank-formats/layouts/example-batched-debit.toml")
            .replace("name = \"example-batched-debit\"", "name = \"bna-batched\"")
            .replace("value = \"EXAMPLEBAT\"", "value = \"BNABATCHED\"");
        let Ok(AnyLayout::Batched(layout)) = AnyLayout::from_toml(&own) else {
            panic!("the batched layout loads");
        };
        let layouts = exchange.path().join("layouts");
        std::fs::create_dir(&layouts).unwrap();
        std::fs::write(layouts.join("bna-batched.toml"), &own).unwrap();
        let settings = CycleSettings::from_config(&Config {
            exchange_dir: exchange.path().to_path_buf(),
            layouts_dir: Some(layouts),
            bank_format: Some("bna-batched".to_owned()),
            ..Config::default()
        })
        .unwrap();
        assert_eq!(planned(&store, 24).await, 24);
        let run = run_date(&store, &settings, &actor(), date(), "batched")
            .await
            .unwrap();
        let bank: Vec<_> = run
            .files
            .iter()
            .filter(|f| f.channel.as_str() == "bank")
            .collect();
        assert!(!bank.is_empty(), "{:?}", run.files);
        let mut written = 0;
        let mut banks_seen = std::collections::BTreeSet::new();
        for file in bank {
            assert_eq!(file.format, "bna-batched");
            let bytes = std::fs::read(&file.path).unwrap();
            // Renamed into place whole, with its hash.
            assert!(!tahsil::cycle::exchange::temporary_path(&file.path).exists());
            let sum_line =
                std::fs::read_to_string(format!("{}.sha256", file.path.display())).unwrap();
            assert!(sum_line.starts_with(&file.sha256));
            let slice = std::slice::from_ref(&layout);
            let validation = validate_among(&bytes, &[], slice);
            assert_eq!(validation.format.as_deref(), Some("bna-batched"));
            assert_eq!(validation.problems, Vec::<String>::new());
            let view = inspect_among(&bytes, &[], slice).unwrap();
            assert_eq!(view.transactions.len() as i64, file.transactions);
            // Dropped into an inbox, it is a debit file, never a report (nor the example's).
            let refused = tahsil::cycle::import::classify(&view, &settings).unwrap_err();
            assert!(
                refused.contains("this is a debit file (bna-batched), not a report"),
                "{refused}"
            );
            let example = bank_formats::inspect::Inspection {
                format: "example-batched-debit".to_owned(),
                ..view.clone()
            };
            assert!(tahsil::cycle::import::classify(&example, &settings).is_err());
            // One batch per debtor bank, banks in ascending order, each debit in its bank's.
            let read = layout.read(&bytes).unwrap();
            let codes: Vec<String> = read
                .batches
                .iter()
                .map(|b| b.header.text("debtor_bank").unwrap().to_owned())
                .collect();
            let mut sorted = codes.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(codes, sorted, "one batch per bank, in code order");
            let mut total = Amount::ZERO;
            for batch in &read.batches {
                let code = batch.header.text("debtor_bank").unwrap();
                banks_seen.insert(code.to_owned());
                assert_eq!(batch.header.date("collection_date"), Some(date()));
                for detail in &batch.details {
                    if detail.kind == "debit" {
                        written += 1;
                        let account = detail.record.text("account").unwrap();
                        assert!(account.starts_with(code), "{account} in batch {code}");
                        total = total
                            .checked_add(detail.record.amount("amount").unwrap())
                            .unwrap();
                    } else {
                        assert_eq!(detail.kind, "reference");
                        assert!(detail.record.text("mandate_reference").is_some());
                    }
                }
            }
            assert_eq!(total, file.control_sum);
            assert_eq!(
                read.file_trailer.amount("total_amount"),
                Some(file.control_sum)
            );
            assert!(
                layout
                    .single(Part::FileHeader)
                    .def()
                    .has_field("file_reference")
            );
        }
        assert_eq!(written, run.transactions(mandates::Channel::Bank));
        let bank_collections: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM collections WHERE channel = 'bank' AND collection_date = $1",
        )
        .bind(date().format("%Y-%m-%d").to_string())
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(written, bank_collections);
        // Nothing to tell batches apart if the fixtures used one bank only.
        assert!(banks_seen.len() > 1, "debtor banks: {banks_seen:?}");

        // Lost after recording (a crash before the rename), the files are written again
        // byte for byte: the batches come out in the same order.
        let paths: Vec<PathBuf> = run.files.iter().map(|f| f.path.clone()).collect();
        let originals = crate::run::lose_files_after_recording(&store, &paths).await;
        let again = run_date(&store, &settings, &actor(), date(), "batched-2")
            .await
            .unwrap();
        assert!(again.files.is_empty(), "{:?}", again.files);
        assert_eq!(again.recovered as usize, originals.len());
        for (path, bytes) in paths.iter().zip(&originals) {
            assert_eq!(&std::fs::read(path).unwrap(), bytes, "{}", path.display());
        }
    }
);
