//! Refunds of an employer's credit and disputes with money effects (issue 15 points 4 and
//! 5): a payment after submission leaves a credit once the debit settles; the employer
//! asks for a refund, staff approve it, the refund step writes one pain.001 per
//! institution (XSD-valid, read back by `files inspect --json`), the simulated bank
//! answers it and the answer settles or rejects the refund (the credit back). Double
//! approval, double send and a payment racing the send make one transfer; an upheld
//! dispute refunds, credits, cancels or holds; a dispute holds a planned debit until
//! answered. `ledger check` stays clean throughout. On both databases.

use std::path::{Path, PathBuf};

use mandates::Amount;
use tahsil::clock::Clock;
use tahsil::cycle::banksim::BankSim;
use tahsil::cycle::exchange::Folder;
use tahsil::cycle::import::{ImportOutcome, import_file};
use tahsil::cycle::refund::send_refunds;
use tahsil::store::{
    Actor, CollectionRecord, DisputeAction, Effect, Institution, RefundRecord, RefundRequester,
    RefundStatus, StoreError,
};

use crate::both_backends;
use crate::harness::fixtures::{actor, d, declare, scalar, user_token};
use crate::harness::{TestDb, WebApp, get as api_get};
use crate::ledger::{assert_balanced, pay, policy, report, two_employers};
use crate::profiles::schema_check;

const DATE: (i32, u32, u32) = (2026, 12, 15);

fn employer_user() -> Actor {
    Actor::new("user:7")
}

fn staff(n: u32) -> Actor {
    Actor::new(format!("user:10{n}"))
}

/// The app of these tests, on a clock fixed at 1 December 2026.
async fn app_on_1_december(db: &TestDb) -> WebApp {
    WebApp::spawn_with_clock(db, Clock::fixed_on(d(2026, 12, 1))).await
}

/// The debits of 15 December 2026 of `a` and of `b` among `debits`.
fn debits_of(debits: &[CollectionRecord], a: i64, b: i64) -> (CollectionRecord, CollectionRecord) {
    let of = |employer: i64| {
        debits
            .iter()
            .find(|c| c.employer_id == employer)
            .unwrap()
            .clone()
    };
    (of(a), of(b))
}

/// Employers A and B, their debits of 15 December 2026 planned (on 1 December).
/// Returns (A, B, A's debit, B's debit).
async fn planned_debits(app: &WebApp) -> (i64, i64, CollectionRecord, CollectionRecord) {
    let store = &app.store;
    let (a, b) = two_employers(store).await;
    let date = d(DATE.0, DATE.1, DATE.2);
    store
        .plan_collections(&actor(), date, d(2026, 12, 1))
        .await
        .unwrap();
    let (pa, pb) = debits_of(&store.collections_on(date).await.unwrap(), a, b);
    (a, b, pa, pb)
}

/// [`planned_debits`], then run: both debits in a file, with the bank.
async fn filed_debits(app: &WebApp) -> (i64, i64, CollectionRecord, CollectionRecord) {
    let store = &app.store;
    let (a, b, _, _) = planned_debits(app).await;
    let date = d(DATE.0, DATE.1, DATE.2);
    tahsil::cycle::run::run_date(store, &app.settings, &actor(), date, "test")
        .await
        .unwrap();
    let (fa, fb) = debits_of(&store.collections_on(date).await.unwrap(), a, b);
    (a, b, fa, fb)
}

/// [`filed_debits`], then both settled by the bank's report.
async fn settled_debits(app: &WebApp) -> (i64, i64, CollectionRecord, CollectionRecord) {
    let (a, b, fa, fb) = filed_debits(app).await;
    app.store
        .apply_report(
            &actor(),
            &report("s", &[(&fa, Effect::Settle), (&fb, Effect::Settle)]),
            policy(d(DATE.0, DATE.1, DATE.2)),
        )
        .await
        .unwrap();
    (a, b, fa, fb)
}

/// Employer A's debit of 15 December 2026 in a file, paid again by transfer, then settled:
/// A is in credit by the debit's amount. Returns (A, B, A's debit, B's debit).
async fn credit_after_settlement(app: &WebApp) -> (i64, i64, CollectionRecord, CollectionRecord) {
    let store = &app.store;
    let (a, b, fa, fb) = filed_debits(app).await;
    let date = d(DATE.0, DATE.1, DATE.2);
    pay(store, a, fa.amount, "VIR-TWICE").await;
    // Paid twice, the debit still with the bank: nothing refundable yet (it may fail).
    assert_eq!(store.refundable_credit(a).await.unwrap(), Amount::ZERO);
    let refused = store
        .request_refund(&employer_user(), a, None, RefundRequester::Employer)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("no credit to refund"),
        "{refused}"
    );
    store
        .apply_report(
            &actor(),
            &report("s", &[(&fa, Effect::Settle)]),
            policy(date),
        )
        .await
        .unwrap();
    assert_eq!(store.refundable_credit(a).await.unwrap(), fa.amount);
    assert_balanced(store).await;
    (a, b, fa, fb)
}

/// Employer `a`'s refund of its whole credit, asked by the employer, approved by staff.
async fn approved_refund(app: &WebApp, a: i64) -> RefundRecord {
    let asked = app
        .store
        .request_refund(&employer_user(), a, None, RefundRequester::Employer)
        .await
        .unwrap();
    app.store
        .decide_refund(&staff(1), asked.id, true, None)
        .await
        .unwrap()
}

/// The files the simulated bank wrote answering the refund files in the bank's outbox.
fn bank_answers(app: &WebApp, reject_per_mille: u64) -> Vec<PathBuf> {
    let sim = BankSim {
        reject_per_mille: 0,
        return_per_mille: 0,
        transfer_reject_per_mille: reject_per_mille,
        seed: 7,
        today: d(2026, 12, 16),
        layouts: app.settings.layouts,
    };
    let written = sim
        .answer(
            &app.settings.folder("bank", Folder::Outbox),
            &app.settings.folder("bank", Folder::Inbox),
        )
        .unwrap();
    written
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("refund"))
        .collect()
}

async fn import_answer(app: &WebApp, path: &Path) -> ImportOutcome {
    import_file(
        &app.store,
        &app.settings,
        &actor(),
        path,
        Some(Institution::Bank),
        d(2026, 12, 16),
    )
    .await
    .unwrap()
}

/// Approved refunds sent; returns the bank's file (its path) when one was written.
async fn send(app: &WebApp) -> Option<PathBuf> {
    let steps = send_refunds(&app.store, &app.settings, &actor(), d(2026, 12, 15))
        .await
        .unwrap();
    assert_eq!(steps.len(), 2, "{steps:?}");
    let poste = steps
        .iter()
        .find(|s| s.institution == Institution::Poste)
        .unwrap();
    assert!(poste.file.is_none(), "Algérie Poste takes no refund file");
    let bank = steps
        .iter()
        .find(|s| s.institution == Institution::Bank)
        .unwrap();
    bank.file.as_ref().map(|f| {
        app.settings
            .folder("bank", Folder::Outbox)
            .join(&f.file_name)
    })
}

fn tahsil(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .args(args)
        .env_remove("TAHSIL_DATABASE_URL")
        .output()
        .expect("run tahsil")
}

both_backends!(
    a_credit_is_refunded_by_a_pain001_file_that_the_banks_answer_settles,
    |db: TestDb| async move {
        let app = app_on_1_december(&db).await;
        let store = &app.store;
        let (a, _, fa, _) = credit_after_settlement(&app).await;

        // The employer chooses "refund to my account": the whole credit, waiting for staff.
        let asked = store
            .request_refund(&employer_user(), a, None, RefundRequester::Employer)
            .await
            .unwrap();
        assert_eq!(
            (asked.status, asked.amount),
            (RefundStatus::Requested, fa.amount)
        );
        // One open request per employer.
        let twice = store
            .request_refund(&employer_user(), a, None, RefundRequester::Employer)
            .await
            .unwrap_err();
        assert!(matches!(twice, StoreError::Conflict(_)), "{twice}");
        // More than the credit is refused, saying the credit.
        let withdrawn = store
            .withdraw_refund(&employer_user(), asked.id)
            .await
            .unwrap();
        assert_eq!(withdrawn.status, RefundStatus::Withdrawn);
        let above = store
            .request_refund(
                &employer_user(),
                a,
                Some(Amount::from_centimes(fa.amount.centimes() + 1)),
                RefundRequester::Employer,
            )
            .await
            .unwrap_err();
        assert!(
            above.to_string().contains("at most the employer's credit"),
            "{above}"
        );
        // Refusing needs a reason; staff asking cannot approve their own request.
        let by_staff = store
            .request_refund(&staff(1), a, None, RefundRequester::Staff)
            .await
            .unwrap();
        let own = store
            .decide_refund(&staff(1), by_staff.id, true, None)
            .await
            .unwrap_err();
        assert!(own.to_string().contains("another member of staff"), "{own}");
        let no_reason = store
            .decide_refund(&staff(2), by_staff.id, false, Some("  "))
            .await
            .unwrap_err();
        assert!(matches!(no_reason, StoreError::Invalid(_)), "{no_reason}");
        // Approved once; the second click decides nothing.
        let approved = store
            .decide_refund(&staff(2), by_staff.id, true, None)
            .await
            .unwrap();
        assert_eq!(approved.status, RefundStatus::Approved);
        let again = store
            .decide_refund(&staff(3), by_staff.id, true, None)
            .await
            .unwrap_err();
        assert!(again.to_string().contains("already approved"), "{again}");
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM audit_log WHERE action IN ('refund.requested', 'refund.approved')"
            )
            .await,
            3,
            "two requests (the employer's, then staff's) and one approval"
        );

        // The refund step: one file, XSD-valid, read back; sending again sends nothing.
        let file = send(&app).await.expect("a refund file");
        assert!(file.exists(), "{}", file.display());
        assert!(send(&app).await.is_none(), "sent once");
        let sent = store.refund(by_staff.id).await.unwrap();
        assert_eq!(sent.status, RefundStatus::Sent);
        let e2e = sent.end_to_end_id.clone().unwrap();
        assert_eq!(
            scalar(store, "SELECT COUNT(*) FROM refund_files").await,
            1,
            "one file"
        );
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'refund'"
            )
            .await,
            1
        );
        // Refunded: the employer's account is back to zero.
        let balance = store.employer_balance(a, None).await.unwrap();
        assert_eq!(
            (balance.total, balance.unallocated),
            (Amount::ZERO, Amount::ZERO)
        );
        assert_eq!(store.refundable_credit(a).await.unwrap(), Amount::ZERO);
        assert_balanced(store).await;
        schema_check(&file, "pain.001.001.03");
        let read =
            bank_formats::iso20022::read_pain001_slice(&std::fs::read(&file).unwrap()).unwrap();
        let transfers: Vec<_> = read.payments.iter().flat_map(|p| &p.transfers).collect();
        assert_eq!(transfers.len(), 1);
        assert_eq!(transfers[0].end_to_end_id, e2e);
        assert_eq!(transfers[0].amount, Some(fa.amount));
        let inspected = tahsil(&["files", "inspect", "--json", file.to_str().unwrap()]);
        assert!(inspected.status.success(), "{inspected:?}");
        let json: serde_json::Value = serde_json::from_slice(&inspected.stdout).unwrap();
        assert_eq!(json["format"], "pain.001.001.03", "{json}");
        assert!(json.to_string().contains(&e2e), "{json}");

        // The bank accepts it: the refund is settled, nothing else moves.
        let answers = bank_answers(&app, 0);
        assert_eq!(answers.len(), 1, "{answers:?}");
        let outcome = import_answer(&app, &answers[0]).await;
        let ImportOutcome::Applied { summary, .. } = &outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!((summary.settled, summary.rejected), (1, 0), "{summary:?}");
        assert_eq!(
            store.refund(sent.id).await.unwrap().status,
            RefundStatus::Settled
        );
        assert_eq!(
            store.employer_balance(a, None).await.unwrap().total,
            Amount::ZERO
        );
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM collections WHERE status = 'settled'"
            )
            .await,
            1,
            "the refund's answer touches no debit"
        );
        assert_balanced(store).await;
    }
);

both_backends!(
    a_refund_the_bank_rejects_puts_the_credit_back,
    |db: TestDb| async move {
        let app = app_on_1_december(&db).await;
        let store = &app.store;
        let (a, _, fa, _) = credit_after_settlement(&app).await;
        let asked = approved_refund(&app, a).await;
        send(&app).await.expect("a refund file");
        assert_eq!(store.refundable_credit(a).await.unwrap(), Amount::ZERO);
        let answers = bank_answers(&app, 1000);
        let bytes = std::fs::read(&answers[0]).unwrap();
        let outcome = import_answer(&app, &answers[0]).await;
        let ImportOutcome::Applied { summary, .. } = &outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!((summary.settled, summary.rejected), (0, 1), "{summary:?}");
        let rejected = store.refund(asked.id).await.unwrap();
        assert_eq!(rejected.status, RefundStatus::Rejected);
        assert!(rejected.reason_code.is_some());
        // The credit is back, with its ledger entry; the same answer again changes nothing.
        assert_eq!(store.refundable_credit(a).await.unwrap(), fa.amount);
        let balance = store.employer_balance(a, None).await.unwrap();
        assert_eq!(balance.unallocated.centimes(), -fa.amount.centimes());
        assert_balanced(store).await;
        let copy = answers[0].with_file_name("again-pain002.xml");
        std::fs::write(&copy, &bytes).unwrap();
        let again = import_answer(&app, &copy).await;
        assert!(
            matches!(again, ImportOutcome::AlreadyImported { .. }),
            "{again:?}"
        );
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'refund'"
            )
            .await,
            2
        );
        // The employer may ask again.
        store
            .request_refund(&employer_user(), a, None, RefundRequester::Employer)
            .await
            .unwrap();
    }
);

both_backends!(
    a_payment_and_two_refund_steps_racing_send_one_transfer,
    |db: TestDb| async move {
        let app = app_on_1_december(&db).await;
        let store = &app.store;
        let (a, _, fa, _) = credit_after_settlement(&app).await;
        let asked = approved_refund(&app, a).await;
        // Owed again meanwhile: November's lines, less than the credit.
        declare(store, a, "2026-11", &[("W1", "10000.00")]).await;
        let step_actor = actor();
        let send_once = || send_refunds(store, &app.settings, &step_actor, d(2026, 12, 15));
        let small = Amount::from_centimes(100);
        let (one, two, paid) = tokio::join!(send_once(), send_once(), async {
            pay(store, a, small, "VIR-RACE").await
        });
        let files = [one.unwrap(), two.unwrap()]
            .iter()
            .flatten()
            .filter(|s| s.file.is_some())
            .count();
        let refund = store.refund(asked.id).await.unwrap();
        // The credit shrank to below the approved amount: the refund lapses, never sent
        // beyond what the employer has; and never sent twice.
        match refund.status {
            RefundStatus::Lapsed => assert_eq!(files, 0),
            RefundStatus::Sent => assert_eq!(files, 1),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            refund.status,
            RefundStatus::Lapsed,
            "the credit ({}) was partly owed again (November): the approved {} no longer fits",
            fa.amount,
            refund.amount
        );
        assert!(paid.payment.id > 0);
        let balance = store.employer_balance(a, None).await.unwrap();
        assert!(
            balance.unallocated <= Amount::ZERO,
            "no credit spent twice: {balance:?}"
        );
        assert_balanced(store).await;
        // Asked again, for what is left: sent once, whichever step runs it.
        let left = store.refundable_credit(a).await.unwrap();
        assert!(left > Amount::ZERO);
        let again = store
            .request_refund(&staff(1), a, None, RefundRequester::Staff)
            .await
            .unwrap();
        assert_eq!(again.amount, left);
        store
            .decide_refund(&staff(2), again.id, true, None)
            .await
            .unwrap();
        let (one, two, _) = tokio::join!(send_once(), send_once(), async {
            pay(store, a, small, "VIR-RACE-2").await
        });
        let files = [one.unwrap(), two.unwrap()]
            .iter()
            .flatten()
            .filter(|s| s.file.is_some())
            .count();
        assert_eq!(files, 1, "one transfer");
        assert_eq!(
            store.refund(again.id).await.unwrap().status,
            RefundStatus::Sent
        );
        let balance = store.employer_balance(a, None).await.unwrap();
        assert!(balance.unallocated <= Amount::ZERO, "{balance:?}");
        assert!(balance.total <= Amount::ZERO, "{balance:?}");
        assert_balanced(store).await;
    }
);

both_backends!(
    an_upheld_dispute_refunds_the_settled_debit,
    |db: TestDb| async move {
        let app = app_on_1_december(&db).await;
        let store = &app.store;
        let (a, b, fa, fb) = settled_debits(&app).await;
        let case = store
            .contest_collection(
                &employer_user(),
                a,
                fa.id,
                "duplicate_debit",
                "Déjà payé par virement.",
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            store.dispute_actions(case.dispute_id).await.unwrap(),
            vec![DisputeAction::Refund, DisputeAction::Credit]
        );
        let policy = app.settings.policy;
        // An action that does not fit, or on a rejected answer, is refused: nothing recorded.
        let wrong = store
            .answer_dispute(
                &staff(1),
                case.dispute_id,
                "upheld",
                "Vous avez raison.",
                Some(DisputeAction::CancelDebit),
                &policy,
            )
            .await
            .unwrap_err();
        assert!(wrong.to_string().contains("does not fit"), "{wrong}");
        let not_upheld = store
            .answer_dispute(
                &staff(1),
                case.dispute_id,
                "rejected",
                "Non.",
                Some(DisputeAction::Refund),
                &policy,
            )
            .await
            .unwrap_err();
        assert!(
            not_upheld.to_string().contains("only an upheld"),
            "{not_upheld}"
        );
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM dispute_messages WHERE author = 'fund'"
            )
            .await,
            0
        );
        store
            .answer_dispute(
                &staff(1),
                case.dispute_id,
                "upheld",
                "Vous avez raison : nous vous remboursons.",
                Some(DisputeAction::Refund),
                &policy,
            )
            .await
            .unwrap()
            .unwrap();
        let refunds = store.refunds(Some(a), None).await.unwrap();
        assert_eq!(refunds.len(), 1);
        let refund = &refunds[0];
        assert_eq!(
            (refund.status, refund.amount, refund.dispute_id),
            (RefundStatus::Approved, fa.amount, Some(case.dispute_id))
        );
        assert_eq!(refund.decided_by.as_deref(), Some(staff(1).as_str()));
        assert_eq!(store.refundable_credit(a).await.unwrap(), fa.amount);
        assert_balanced(store).await;
        let file = send(&app).await.expect("a refund file");
        schema_check(&file, "pain.001.001.03");
        assert_eq!(
            store.employer_balance(a, None).await.unwrap().total,
            Amount::ZERO
        );
        assert_balanced(store).await;

        // B's upheld case credits it instead: kept for its next due dates.
        let case_b = store
            .contest_collection(
                &employer_user(),
                b,
                fb.id,
                "amount_wrong",
                "Montant erroné.",
            )
            .await
            .unwrap()
            .unwrap();
        store
            .answer_dispute(
                &staff(1),
                case_b.dispute_id,
                "upheld",
                "Crédité.",
                Some(DisputeAction::Credit),
                &policy,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(store.refundable_credit(b).await.unwrap(), fb.amount);
        assert!(store.refunds(Some(b), None).await.unwrap().is_empty());
        assert_balanced(store).await;
    }
);

both_backends!(
    a_dispute_holds_the_planned_debit_until_answered,
    |db: TestDb| async move {
        let app = app_on_1_december(&db).await;
        let store = &app.store;
        let (a, b, pa, pb) = planned_debits(&app).await;
        let date = d(DATE.0, DATE.1, DATE.2);
        let held = |id: i64| {
            format!("SELECT COUNT(*) FROM collections WHERE id = {id} AND held_at IS NOT NULL")
        };
        for (employer, debit) in [(a, &pa), (b, &pb)] {
            let case = store
                .contest_collection(
                    &employer_user(),
                    employer,
                    debit.id,
                    "amount_wrong",
                    "Erreur.",
                )
                .await
                .unwrap()
                .unwrap();
            assert_eq!(scalar(store, &held(debit.id)).await, 1, "held while open");
            assert_eq!(
                store.dispute_actions(case.dispute_id).await.unwrap(),
                vec![DisputeAction::CancelDebit, DisputeAction::HoldDebit]
            );
        }
        let policy = app.settings.policy;
        let case_a = store.collection_dispute(pa.id).await.unwrap().unwrap();
        let case_b = store.collection_dispute(pb.id).await.unwrap().unwrap();
        // Upheld, cancel: A's debit cancelled, its lines owed again.
        store
            .answer_dispute(
                &staff(1),
                case_a.id,
                "upheld",
                "Annulé.",
                Some(DisputeAction::CancelDebit),
                &policy,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            scalar(
                store,
                &format!(
                    "SELECT COUNT(*) FROM collections WHERE id = {} AND status = 'cancelled'",
                    pa.id
                )
            )
            .await,
            1
        );
        // Rejected: B's debit released, and it goes in the file.
        store
            .answer_dispute(
                &staff(1),
                case_b.id,
                "rejected",
                "Le montant est juste.",
                None,
                &policy,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            scalar(store, &held(pb.id)).await,
            0,
            "released by the answer"
        );
        tahsil::cycle::run::run_date(store, &app.settings, &actor(), date, "test")
            .await
            .unwrap();
        let filed = store.collections_on(date).await.unwrap();
        let fb = filed.iter().find(|c| c.id == pb.id).unwrap();
        assert_eq!(fb.status.as_str(), "submitted");
        assert_balanced(store).await;
    }
);

both_backends!(
    the_portal_choice_and_the_console_decision_over_http,
    |db: TestDb| async move {
        use reqwest::StatusCode;
        use tahsil::store::Role;

        use crate::harness::fixtures::add_user;

        let app = app_on_1_december(&db).await;
        let store = &app.store;
        let (a, _, fa, _) = credit_after_settlement(&app).await;
        add_user(store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
        let finance = add_user(store, "finance@fund.dz", Role::Finance, &[]).await;
        let employer = app.signed_in("gerant@a.dz").await;
        let (status, _, _) = employer
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let page_path = format!("/portal/{a}/refunds");
        let (status, page) = employer.get(&page_path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"credit\""), "{page}");
        assert!(page.contains("Me le rembourser sur mon compte"), "{page}");
        assert!(
            page.contains(&format!("href=\"{page_path}\"")),
            "in the nav"
        );

        // Refund, then keep (the request withdrawn), then refund again: each a redirect.
        for (choice, done) in [("refund", "asked"), ("keep", "kept"), ("refund", "asked")] {
            let (status, _, location) = employer.post(&page_path, &[("choice", choice)]).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{choice}");
            assert_eq!(location.unwrap(), format!("{page_path}?done={done}"));
        }
        let (_, page) = employer.get(&format!("{page_path}?done=asked")).await;
        assert!(page.contains("id=\"notice\""), "{page}");
        assert!(page.contains("Demandé, en attente de validation"), "{page}");
        // Refunding twice is refused in words, nothing recorded.
        let (status, page, _) = employer.post(&page_path, &[("choice", "refund")]).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(page.contains("id=\"error\""), "{page}");
        let waiting = store
            .refunds(Some(a), Some(RefundStatus::Requested))
            .await
            .unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].amount, fa.amount);

        // Staff approve it on the console (Arabic by default), once.
        let staff = app.signed_in("finance@fund.dz").await;
        let (status, page) = staff.get("/console/refunds").await;
        assert_eq!(status, StatusCode::OK);
        let id = waiting[0].id;
        assert!(page.contains(&format!("id=\"approve-{id}\"")), "{page}");
        // Where it would go: the active mandate's account, masked.
        let masked = store.refund_destination(a).await.unwrap().unwrap();
        assert!(
            page.contains(&format!("id=\"destination-{id}\"><bdi>{masked}</bdi>")),
            "{page}"
        );
        assert!(page.contains("موافقة"), "{page}");
        let approve = format!("/console/refunds/{id}/approve");
        let (status, _, location) = staff.post(&approve, &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), "/console/refunds?done=approved");
        let (status, page, _) = staff.post(&approve, &[]).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(page.contains("id=\"error\""), "{page}");
        let approved = store.refund(id).await.unwrap();
        assert_eq!(approved.status, RefundStatus::Approved);
        assert_eq!(
            approved.decided_by.as_deref(),
            Some(format!("user:{finance}").as_str())
        );
        // The employer cannot reach the console's decision.
        let (status, _, _) = employer.post(&approve, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_balanced(store).await;
    }
);

/// `tahsil` on `db` as staff run it, believing it is 1 December 2026, with `exchange` as
/// its exchange folder.
fn tahsil_on(db: &TestDb, exchange: &Path, args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .arg("--database-url")
        .arg(&db.url)
        .args(args)
        .env_remove("TAHSIL_DATABASE_URL")
        .env("TAHSIL_ENCRYPTION_KEY", crate::harness::test_key_base64())
        .env("TAHSIL_CLOCK", "2026-12-01T10:00:00+01:00")
        .env("TAHSIL_EXCHANGE_DIR", exchange)
        .output()
        .expect("run tahsil");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

both_backends!(
    the_command_line_requests_approves_and_sends_a_refund_once,
    |db: TestDb| async move {
        let app = app_on_1_december(&db).await;
        let (_, _, fa, _) = credit_after_settlement(&app).await;
        let exchange = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| tahsil_on(&db, exchange.path(), args);
        let (code, out, err) = run(&[
            "refunds",
            "request",
            "--employer",
            "16000001",
            "--by",
            "alice",
        ]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains(&fa.amount.to_string()), "{out}");
        let id = app.store.refunds(None, None).await.unwrap()[0]
            .id
            .to_string();
        let (code, _, err) = run(&["refunds", "approve", &id, "--by", "alice"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("another member of staff"), "{err}");
        let (code, out, err) = run(&["refunds", "approve", &id, "--by", "bob"]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, out, err) = run(&["refunds", "send", "--date", "2026-12-15"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("bank-refund-20261215-000001.xml written to its outbox: 1 transfer(s)"),
            "{out}"
        );
        assert!(
            exchange
                .path()
                .join("bank/outbox/bank-refund-20261215-000001.xml")
                .exists()
        );
        let (code, out, _) = run(&["refunds", "send", "--date", "2026-12-15"]);
        assert_eq!((code, out.as_str()), (0, "no approved refund to send\n"));
        let (code, out, _) = run(&["refunds", "list", "--employer", "16000001"]);
        assert_eq!(code, 0);
        assert!(out.contains(", sent, end-to-end id TSL-RF-"), "{out}");
        let (code, out, _) = run(&["ledger", "check"]);
        assert_eq!(code, 0, "{out}");
    }
);

both_backends!(
    a_return_after_an_upheld_dispute_undoes_its_credit,
    |db: TestDb| async move {
        let app = app_on_1_december(&db).await;
        let store = &app.store;
        let (a, b, fa, fb) = settled_debits(&app).await;
        let date = d(DATE.0, DATE.1, DATE.2);
        let policy_web = app.settings.policy;
        // A's case refunds, and the refund is sent; B's is refunded and approved, not sent
        // (Algérie Poste takes no refund file).
        for (employer, debit) in [(a, &fa), (b, &fb)] {
            let case = store
                .contest_collection(
                    &employer_user(),
                    employer,
                    debit.id,
                    "duplicate_debit",
                    "Déjà payé.",
                )
                .await
                .unwrap()
                .unwrap();
            store
                .answer_dispute(
                    &staff(1),
                    case.dispute_id,
                    "upheld",
                    "Remboursé.",
                    Some(DisputeAction::Refund),
                    &policy_web,
                )
                .await
                .unwrap()
                .unwrap();
            if employer == a {
                send(&app).await.expect("A's refund file");
            }
        }
        assert_balanced(store).await;
        // Both debits come back from the bank after settlement.
        store
            .apply_report(
                &actor(),
                &report("r", &[(&fa, Effect::Return), (&fb, Effect::Return)]),
                policy(date),
            )
            .await
            .unwrap();
        // B: the credit is undone (its lines are owed again, nothing pays them), the
        // approved refund lapses and is never sent.
        assert_eq!(store.refundable_credit(b).await.unwrap(), Amount::ZERO);
        assert_eq!(
            store.employer_balance(b, None).await.unwrap().total,
            fb.amount
        );
        let refunds_b = store.refunds(Some(b), None).await.unwrap();
        assert_eq!(refunds_b.len(), 1);
        assert_eq!(refunds_b[0].status, RefundStatus::Lapsed);
        assert!(
            send(&app).await.is_none(),
            "no refund file after the return"
        );
        // A: its refund had left; the credit is undone too and staff get an exception.
        assert_eq!(store.refundable_credit(a).await.unwrap(), Amount::ZERO);
        assert_eq!(
            scalar(
                store,
                &format!(
                    "SELECT COUNT(*) FROM exceptions WHERE kind = 'needs_staff' AND status = 'open' \
                     AND collection_id = {} AND detail LIKE '%paid back twice%'",
                    fa.id
                )
            )
            .await,
            1
        );
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM ledger_entries WHERE entry_key LIKE 'dispute_credit_reversed:%'"
            )
            .await,
            2
        );
        assert_balanced(store).await;
    }
);

both_backends!(
    a_refund_file_rejected_as_a_whole_puts_every_credit_back,
    |db: TestDb| async move {
        use bank_formats::iso20022::{StatusReport, read_pain001_slice, write_pain002};
        let app = app_on_1_december(&db).await;
        let store = &app.store;
        let (a, _, fa, _) = credit_after_settlement(&app).await;
        let asked = approved_refund(&app, a).await;
        let file = send(&app).await.expect("a refund file");
        let sent = read_pain001_slice(&std::fs::read(&file).unwrap()).unwrap();
        let inbox = app.settings.folder("bank", Folder::Inbox);
        let created = d(2026, 12, 16).and_hms_opt(9, 0, 0).unwrap();
        // The bank rejects the whole file at group level, listing no transaction.
        let whole = |message_id: &str, original: &str| {
            let report = StatusReport {
                version: "pain.002.001.03".to_owned(),
                message_id: message_id.to_owned(),
                original_message_id: Some(original.to_owned()),
                original_message_name: Some(sent.version.clone()),
                group_status: Some("RJCT".to_owned()),
                group_reasons: vec!["AM05".to_owned()],
                payments: Vec::new(),
            };
            write_pain002(Vec::new(), &report, created, "Banque").unwrap()
        };
        // One naming none of our refund files is quarantined, nothing applied.
        std::fs::create_dir_all(&inbox).unwrap();
        let stray = inbox.join("stray-pain002.xml");
        std::fs::write(&stray, whole("BANK-STRAY", "NOT-OURS-1")).unwrap();
        let outcome = import_answer(&app, &stray).await;
        assert!(
            matches!(outcome, ImportOutcome::Quarantined { .. }),
            "{outcome:?}"
        );
        assert_eq!(
            store.refund(asked.id).await.unwrap().status,
            RefundStatus::Sent
        );
        let answer = inbox.join("whole-pain002.xml");
        std::fs::write(&answer, whole("BANK-WHOLE", &sent.message_id)).unwrap();
        let outcome = import_answer(&app, &answer).await;
        let ImportOutcome::Applied { summary, .. } = &outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(summary.rejected, 1, "{summary:?}");
        let rejected = store.refund(asked.id).await.unwrap();
        assert_eq!(rejected.status, RefundStatus::Rejected);
        assert_eq!(rejected.reason_code.as_deref(), Some("AM05"));
        assert_eq!(store.refundable_credit(a).await.unwrap(), fa.amount);
        assert_balanced(store).await;
    }
);

both_backends!(
    a_refund_goes_only_to_an_active_mandates_account,
    |db: TestDb| async move {
        let app = app_on_1_december(&db).await;
        let store = &app.store;
        let (a, _, _, _) = credit_after_settlement(&app).await;
        let masked = store
            .refund_destination(a)
            .await
            .unwrap()
            .expect("an active mandate");
        assert!(
            masked.starts_with("****") && !masked.ends_with('*'),
            "{masked}"
        );
        let asked = approved_refund(&app, a).await;
        // The mandate revoked meanwhile: its account may be closed; the refund waits.
        for mandate in store.list_mandates(a).await.unwrap() {
            if mandate.status.as_str() != "active" {
                continue;
            }
            store
                .revoke_mandate(&actor(), mandate.id, "test")
                .await
                .unwrap();
        }
        assert_eq!(store.refund_destination(a).await.unwrap(), None);
        assert_eq!(
            store.approved_refunds_for(Institution::Bank).await.unwrap(),
            0
        );
        assert!(
            send(&app).await.is_none(),
            "no file to a revoked mandate's account"
        );
        assert_eq!(
            store.refund(asked.id).await.unwrap().status,
            RefundStatus::Approved
        );
        assert_balanced(store).await;
    }
);

both_backends!(
    a_refund_file_recorded_but_not_published_is_published_by_the_next_step,
    |db: TestDb| async move {
        let app = app_on_1_december(&db).await;
        let store = &app.store;
        let (a, _, _, _) = credit_after_settlement(&app).await;
        approved_refund(&app, a).await;
        let file = send(&app).await.expect("a refund file");
        let bytes = std::fs::read(&file).unwrap();
        // As if the step had died after the store's commit, before the publish: the file
        // still under its hidden staged name, no .sha256.
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let staged = file.with_file_name(format!(".{name}.tmp"));
        let sum = file.with_file_name(format!("{name}.sha256"));
        std::fs::rename(&file, &staged).unwrap();
        std::fs::remove_file(&sum).unwrap();
        let steps = send_refunds(store, &app.settings, &actor(), d(2026, 12, 16))
            .await
            .unwrap();
        let bank = steps
            .iter()
            .find(|s| s.institution == Institution::Bank)
            .unwrap();
        assert_eq!(bank.republished, vec![name.clone()]);
        assert!(bank.file.is_none(), "nothing sent twice");
        assert_eq!(std::fs::read(&file).unwrap(), bytes);
        assert!(sum.exists() && !staged.exists());
        // Once: the next step finds it in place.
        let steps = send_refunds(store, &app.settings, &actor(), d(2026, 12, 16))
            .await
            .unwrap();
        assert!(steps.iter().all(|s| s.republished.is_empty()));
        // A staged copy that is not what was recorded is never published.
        std::fs::rename(&file, &staged).unwrap();
        std::fs::remove_file(&sum).unwrap();
        std::fs::write(&staged, b"<changed/>").unwrap();
        let err = send_refunds(store, &app.settings, &actor(), d(2026, 12, 16))
            .await
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("does not match its recorded SHA-256"),
            "{err:#}"
        );
        assert!(!file.exists());
        assert_balanced(store).await;
    }
);

both_backends!(
    the_json_api_lists_refunds_for_staff_and_for_the_employer_s_own_token,
    |db: TestDb| async move {
        let app = app_on_1_december(&db).await;
        let store = &app.store;
        let (a, b, fa, _) = credit_after_settlement(&app).await;
        let asked = store
            .request_refund(&employer_user(), a, None, RefundRequester::Employer)
            .await
            .unwrap();
        let admin = "admin-test-token";
        let amount = fa.amount.to_string();

        // Staff: the employer's refunds as recorded, filtered by state.
        let (status, list) = api_get(&app, &format!("/api/v1/employers/{a}/refunds"), admin).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{list}");
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        assert_eq!(list[0]["id"], asked.id, "{list}");
        assert_eq!(list[0]["amount"], amount.as_str(), "{list}");
        assert_eq!(list[0]["status"], "requested", "{list}");
        assert_eq!(list[0]["requested_by"], "user:7", "{list}");
        let (_, none) = api_get(
            &app,
            &format!("/api/v1/employers/{a}/refunds?status=approved"),
            admin,
        )
        .await;
        assert_eq!(none, serde_json::json!([]));
        let (status, wrong) = api_get(
            &app,
            &format!("/api/v1/employers/{a}/refunds?status=paid"),
            admin,
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{wrong}");
        assert!(wrong.to_string().contains("requested"), "{wrong}");
        let one = format!("/api/v1/employers/{a}/refunds/{}", asked.id);
        let (status, refund) = api_get(&app, &one, admin).await;
        assert_eq!(
            (status, &refund["id"]),
            (reqwest::StatusCode::OK, &serde_json::json!(asked.id))
        );
        let (status, _) = api_get(
            &app,
            &format!("/api/v1/employers/{b}/refunds/{}", asked.id),
            admin,
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::NOT_FOUND);

        // The employer's own token: its refunds, who asked as a kind, no staff names.
        let (_, token_a) = user_token(&app, "compta@a.dz", &["16000001"]).await;
        let (_, token_b) = user_token(&app, "compta@b.dz", &["16000002"]).await;
        let (status, mine) = api_get(&app, "/api/v1/refunds", &token_a).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{mine}");
        assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
        assert_eq!(mine[0]["asked_by"], "employer", "{mine}");
        assert_eq!(mine[0]["amount"], amount.as_str(), "{mine}");
        assert!(mine[0].get("requested_by").is_none(), "{mine}");
        let own = format!("/api/v1/refunds/{}", asked.id);
        let (status, _) = api_get(&app, &own, &token_a).await;
        assert_eq!(status, reqwest::StatusCode::OK);
        // Another employer's: nothing listed, and the same 404 as an unknown refund.
        let (_, theirs) = api_get(&app, "/api/v1/refunds", &token_b).await;
        assert_eq!(theirs, serde_json::json!([]));
        let (status, _) = api_get(&app, &own, &token_b).await;
        assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
        let (status, _) = api_get(&app, "/api/v1/refunds/999999", &token_a).await;
        assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
        // Each token on its own routes only.
        let (status, _) = api_get(&app, "/api/v1/refunds", admin).await;
        assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
        let (status, _) = api_get(&app, &one, &token_a).await;
        assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    }
);
