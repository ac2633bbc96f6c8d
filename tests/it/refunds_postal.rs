//! Refunds to postal accounts (issue 15 leftovers): an employer debited on its CCP, in
//! credit, is refunded by an interbank credit transfer to its RIP in the fund's bank's
//! pain.001 (Algérie Poste's shipped profile takes no refund file) — XSD-valid, the RIP as
//! creditor account and Algérie Poste's bank code (007) as creditor agent, read back by
//! `files inspect --json` — and the bank's answer settles it. On both databases.

use mandates::{AccountId, Amount, Ccp};
use tahsil::clock::Clock;
use tahsil::cycle::banksim::BankSim;
use tahsil::cycle::exchange::Folder;
use tahsil::cycle::import::{ImportOutcome, import_file};
use tahsil::cycle::refund::{refund_route, send_refunds};
use tahsil::store::{Actor, Effect, Institution, RefundRequester, RefundStatus};

use crate::both_backends;
use crate::harness::fixtures::{actor, d, scalar};
use crate::harness::{TestDb, WebApp};
use crate::ledger::{assert_balanced, of, pay, policy, report, two_employers};
use crate::profiles::schema_check;

both_backends!(
    a_ccp_employer_in_credit_is_refunded_to_its_rip_through_the_banks_file,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        // B's mandate is on CCP 200 clé 12.
        let (_a, b) = two_employers(store).await;
        let date = d(2026, 12, 15);
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        tahsil::cycle::run::run_date(store, &app.settings, &actor(), date, "test")
            .await
            .unwrap();
        let fb = of(&store.collections_on(date).await.unwrap(), b)
            .unwrap()
            .clone();
        assert_eq!(fb.status.as_str(), "submitted");
        // Paid again by transfer, then the postal debit settles: B is in credit.
        pay(store, b, fb.amount, "VIR-CCP-TWICE").await;
        store
            .apply_report(
                &actor(),
                &report("p", &[(&fb, Effect::Settle)]),
                policy(date),
            )
            .await
            .unwrap();
        assert_eq!(store.refundable_credit(b).await.unwrap(), fb.amount);
        let rip = Ccp::parse("200 12").unwrap().to_rip();
        assert_eq!(rip.digits(), "00799999000000020091");
        let masked = store.refund_destination(b).await.unwrap().unwrap();
        assert_eq!(masked, AccountId::Postal(rip.clone()).masked());

        // With the shipped profiles, the bank's file carries postal refunds.
        assert_eq!(
            refund_route(&app.settings, Institution::Bank),
            vec![mandates::Channel::Bank, mandates::Channel::Postal]
        );
        assert!(refund_route(&app.settings, Institution::Poste).is_empty());

        let asked = store
            .request_refund(&Actor::new("user:7"), b, None, RefundRequester::Employer)
            .await
            .unwrap();
        store
            .decide_refund(&Actor::new("user:102"), asked.id, true, None)
            .await
            .unwrap();
        let steps = send_refunds(store, &app.settings, &actor(), date)
            .await
            .unwrap();
        let poste = steps
            .iter()
            .find(|s| s.institution == Institution::Poste)
            .unwrap();
        assert!(poste.file.is_none() && poste.waiting == 0, "{poste:?}");
        let bank = steps
            .iter()
            .find(|s| s.institution == Institution::Bank)
            .unwrap();
        let record = bank.file.as_ref().expect("a refund file at the bank");
        let file = app
            .settings
            .folder("bank", Folder::Outbox)
            .join(&record.file_name);
        let sent = store.refund(asked.id).await.unwrap();
        assert_eq!(sent.status, RefundStatus::Sent);
        let e2e = sent.end_to_end_id.clone().unwrap();
        // Sending again sends nothing.
        let again = send_refunds(store, &app.settings, &actor(), date)
            .await
            .unwrap();
        assert!(again.iter().all(|s| s.file.is_none()), "{again:?}");
        assert_eq!(scalar(store, "SELECT COUNT(*) FROM refund_files").await, 1);

        // XSD-valid; the RIP as creditor account, Algérie Poste's code as its agent.
        schema_check(&file, "pain.001.001.03");
        let read =
            bank_formats::iso20022::read_pain001_slice(&std::fs::read(&file).unwrap()).unwrap();
        let transfers: Vec<_> = read.payments.iter().flat_map(|p| &p.transfers).collect();
        assert_eq!(transfers.len(), 1);
        assert_eq!(transfers[0].end_to_end_id, e2e);
        assert_eq!(transfers[0].amount, Some(fb.amount));
        assert_eq!(
            transfers[0].creditor_account.as_ref().map(|a| a.as_str()),
            Some(rip.digits())
        );
        assert_eq!(
            transfers[0].creditor_agent,
            Some(bank_formats::iso20022::Agent::Code("007".to_owned()))
        );
        let inspected = std::process::Command::new(env!("CARGO_BIN_EXE_tahsil"))
            .args(["files", "inspect", "--json", file.to_str().unwrap()])
            .env_remove("TAHSIL_DATABASE_URL")
            .output()
            .unwrap();
        assert!(inspected.status.success(), "{inspected:?}");
        let json: serde_json::Value = serde_json::from_slice(&inspected.stdout).unwrap();
        assert_eq!(json["format"], "pain.001.001.03", "{json}");
        assert!(json.to_string().contains(&e2e), "{json}");

        // Refunded: B's account back to zero; the bank's answer settles the refund.
        assert_eq!(
            store.employer_balance(b, None).await.unwrap().total,
            Amount::ZERO
        );
        assert_balanced(store).await;
        let sim = BankSim {
            reject_per_mille: 0,
            return_per_mille: 0,
            transfer_reject_per_mille: 0,
            seed: 7,
            today: d(2026, 12, 16),
            layouts: app.settings.layouts,
        };
        let answers: Vec<_> = sim
            .answer(
                &app.settings.folder("bank", Folder::Outbox),
                &app.settings.folder("bank", Folder::Inbox),
            )
            .unwrap()
            .into_iter()
            .filter(|p| p.to_string_lossy().contains("refund"))
            .collect();
        assert_eq!(answers.len(), 1, "{answers:?}");
        let outcome = import_file(
            store,
            &app.settings,
            &actor(),
            &answers[0],
            Some(Institution::Bank),
            d(2026, 12, 16),
        )
        .await
        .unwrap();
        let ImportOutcome::Applied { summary, .. } = &outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!((summary.settled, summary.rejected), (1, 0), "{summary:?}");
        assert_eq!(
            store.refund(asked.id).await.unwrap().status,
            RefundStatus::Settled
        );
        assert_balanced(store).await;
    }
);
