//! The employer's account (issue 15): the ledger written with each event, payments by
//! other channels and their allocation (before planning, between planning and the run,
//! after submission), `ledger check` against the source records and against tampering,
//! the surfaces (CLI, JSON API, console form), and a property test over random sequences
//! of declarations, plans, runs, reports and payments. On both databases.

use bank_formats::reasons::{ReasonCategory, RetryClass};
use mandates::Amount;
use tahsil::clock::Clock;
use tahsil::store::{
    CollectionRecord, Effect, NewPayment, NewReport, PaymentChannel, PaymentOutcome,
    ReconcilePolicy, ReportItem, Role, Store, StoreError,
};

use crate::both_backends;
use crate::harness::fixtures::{
    actor, add_user, d, declare, employer_with_worksites, one_cycle, scalar, signed_mandate,
};
use crate::harness::{TestDb, WebApp};

mod credits;
mod incoming;
mod property;
mod write_offs;

pub const RIB: &str = "004 00174 4010010504 86";
pub const CCP: &str = "200 12";

/// A payment of `amount` by transfer received on 1 December 2026.
pub async fn pay(store: &Store, employer: i64, amount: Amount, reference: &str) -> PaymentOutcome {
    pay_result(store, employer, amount, reference)
        .await
        .unwrap()
}

pub async fn pay_result(
    store: &Store,
    employer: i64,
    amount: Amount,
    reference: &str,
) -> Result<PaymentOutcome, StoreError> {
    store
        .record_payment(
            &actor(),
            NewPayment {
                employer_id: employer,
                amount,
                received_on: d(2026, 12, 1),
                channel: PaymentChannel::Transfer,
                reference: reference.to_owned(),
                note: None,
            },
        )
        .await
}

/// The employer's declared lines' totals, oldest first (as allocation orders them).
pub async fn line_totals(store: &Store, employer: i64) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT l.total_centimes FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
         WHERE d.employer_id = {employer} ORDER BY d.due_from, d.period, l.id"
    )))
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// `ledger check` finds nothing to say.
pub async fn assert_balanced(store: &Store) {
    let checked = store.check_ledger().await.unwrap();
    assert!(checked.differences.is_empty(), "{:#?}", checked.differences);
    // And the console's totals (migration 0022) kept through payments' changes to debits.
    assert_eq!(
        store.collection_totals().await.unwrap(),
        store.recounted_collection_totals().await.unwrap(),
        "the kept totals differ from a count of the debits"
    );
}

/// Two employers declared for 2026-10: A (two worksites, a RIB), B (one, a CCP).
pub async fn two_employers(store: &Store) -> (i64, i64) {
    let a = employer_with_worksites(store, "16000001", &["W1", "W2"]).await;
    let b = employer_with_worksites(store, "16000002", &["S1"]).await;
    signed_mandate(store, a, RIB, None).await;
    signed_mandate(store, b, CCP, None).await;
    declare(
        store,
        a,
        "2026-10",
        &[("W1", "100000.00"), ("W2", "50000.00")],
    )
    .await;
    declare(store, b, "2026-10", &[("S1", "20000.00")]).await;
    (a, b)
}

pub fn of(collections: &[CollectionRecord], employer: i64) -> Option<&CollectionRecord> {
    collections.iter().find(|c| c.employer_id == employer)
}

/// A report settling (or failing) `collections`, each by its EndToEndId.
pub fn report(sha: &str, items: &[(&CollectionRecord, Effect)]) -> NewReport {
    NewReport {
        institution: None,
        file_name: format!("{sha}.xml"),
        sha256: sha.repeat(64 / sha.len()),
        format: "test".to_owned(),
        message_id: None,
        original_message_id: None,
        items: items
            .iter()
            .map(|(c, effect)| {
                let failed = *effect != Effect::Settle;
                ReportItem {
                    end_to_end_id: Some(c.end_to_end_id.clone()),
                    mandate_reference: None,
                    amount: Some(c.amount),
                    status: Some(if failed { "RJCT" } else { "ACSC" }.to_owned()),
                    reason_code: failed.then(|| "AM04".to_owned()),
                    reason_category: failed.then_some(ReasonCategory::InsufficientFunds),
                    retry_class: failed.then_some(RetryClass::RetryLater),
                    effect: *effect,
                    facts: Default::default(),
                }
            })
            .collect(),
    }
}

pub fn policy(today: chrono::NaiveDate) -> ReconcilePolicy {
    ReconcilePolicy {
        today,
        retry_date: d(2027, 1, 5),
        max_attempts: 3,
    }
}

both_backends!(
    a_payment_recorded_before_planning_keeps_the_employer_out_of_the_file,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let (a, b) = two_employers(&store).await;
        let owed = store.employer_balance(a, None).await.unwrap();
        let totals = line_totals(&store, a).await;
        assert_eq!(owed.total.centimes(), totals.iter().sum::<i64>());
        assert!(owed.paid_leave > Amount::ZERO && owed.unallocated == Amount::ZERO);
        assert_balanced(&store).await;

        let outcome = pay(&store, a, owed.total, "VIR-2026-001").await;
        assert_eq!(
            (outcome.lines_paid, outcome.allocated, outcome.unallocated),
            (2, owed.total, Amount::ZERO)
        );
        assert!(outcome.debits_reduced.is_empty() && outcome.debits_cancelled.is_empty());
        let after = store.employer_balance(a, None).await.unwrap();
        assert_eq!(after, tahsil::store::Balance::default(), "{after:?}");
        assert_balanced(&store).await;
        // Its lines read as paid; the portal's next debit has nothing.
        let declaration = store.list_declarations(a).await.unwrap().remove(0);
        assert!(
            declaration
                .lines
                .iter()
                .all(|l| l.status.as_str() == "paid"),
            "{declaration:?}"
        );
        assert!(
            store
                .upcoming_debit(a, d(2026, 12, 1))
                .await
                .unwrap()
                .is_none()
        );

        let plan = store
            .plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 1))
            .await
            .unwrap();
        assert_eq!(plan.planned, 1, "{plan:?}");
        let collections = store.collections_on(d(2026, 12, 15)).await.unwrap();
        assert!(of(&collections, a).is_none(), "{collections:?}");
        assert!(of(&collections, b).is_some());
        assert_balanced(&store).await;

        // The same reference again for the same employer and channel is refused, with
        // nothing recorded; by cheque it is another payment.
        let again = pay_result(&store, a, Amount::parse("10.00").unwrap(), " VIR-2026-001 ").await;
        match again {
            Err(StoreError::Refused { refusal, message }) => {
                assert_eq!(refusal, tahsil::store::Refusal::PaymentDuplicate);
                assert!(
                    message.contains("VIR-2026-001") && message.contains("16000001"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM payments").await, 1);
        let cheque = store
            .record_payment(
                &actor(),
                NewPayment {
                    employer_id: a,
                    amount: Amount::parse("10.00").unwrap(),
                    received_on: d(2026, 12, 1),
                    channel: PaymentChannel::Cheque,
                    reference: "VIR-2026-001".to_owned(),
                    note: Some("chèque déposé au guichet".to_owned()),
                },
            )
            .await
            .unwrap();
        assert_eq!(cheque.lines_paid, 0);
        assert_eq!(cheque.unallocated, Amount::parse("10.00").unwrap());
        assert_eq!(
            store.employer_balance(a, None).await.unwrap().total,
            Amount::parse("-10.00").unwrap()
        );
        assert_balanced(&store).await;
        // A date in the future and a zero amount are refused.
        let future = store
            .record_payment(
                &actor(),
                NewPayment {
                    employer_id: a,
                    amount: Amount::parse("10.00").unwrap(),
                    received_on: d(2026, 12, 2),
                    channel: PaymentChannel::Counter,
                    reference: "R1".to_owned(),
                    note: None,
                },
            )
            .await;
        assert!(
            matches!(future, Err(StoreError::Refused { .. })),
            "{future:?}"
        );
        let zero = pay_result(&store, a, Amount::ZERO, "R2").await;
        assert!(matches!(zero, Err(StoreError::Refused { .. })), "{zero:?}");
    }
);

both_backends!(
    a_payment_between_planning_and_the_run_reduces_or_cancels_the_debit_with_a_revised_notice,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, b) = two_employers(store).await;
        let date = d(2026, 12, 15);
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        let planned = store.collections_on(date).await.unwrap();
        let (ca, cb) = (
            of(&planned, a).unwrap().clone(),
            of(&planned, b).unwrap().clone(),
        );
        // Both advance notices went out.
        sqlx::query("UPDATE notice_events SET status = 'sent' WHERE kind = 'advance_notice'")
            .execute(store.pool())
            .await
            .unwrap();
        let totals = line_totals(store, a).await;

        // A pays its first line (and 1 DA more): the debit keeps the second, announced again.
        let first = Amount::from_centimes(totals[0] + 100);
        let outcome = pay(store, a, first, "VIR-A").await;
        assert_eq!(outcome.lines_paid, 1);
        assert_eq!(outcome.debits_reduced, vec![ca.id]);
        assert_eq!(outcome.unallocated, Amount::parse("1.00").unwrap());
        let (amount, announced, version, status): (i64, i64, i64, String) = sqlx::query_as(
            sqlx::AssertSqlSafe(format!(
                "SELECT amount_centimes, announced_centimes, notice_version, status FROM collections WHERE id = {}",
                ca.id
            )),
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(
            (amount, announced, version, status.as_str()),
            (totals[1], totals[1], 2, "planned")
        );
        let revised = scalar(
            store,
            &format!(
                "SELECT COUNT(*) FROM notice_events WHERE dedupe_key = 'advance_notice:{}:v2' AND status = 'pending'",
                ca.id
            ),
        )
        .await;
        assert_eq!(revised, 1);
        assert_balanced(store).await;

        // B pays all it owes: its debit is cancelled, and B told.
        let owed_b = store.employer_balance(b, None).await.unwrap().total;
        let outcome = pay(store, b, owed_b, "GUICHET-7").await;
        assert_eq!(outcome.debits_cancelled, vec![cb.id]);
        let (status, reason): (String, String) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT status, reason_code FROM collections WHERE id = {}",
            cb.id
        )))
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(
            (status.as_str(), reason.as_str()),
            ("cancelled", "paid_otherwise")
        );
        assert_eq!(
            scalar(
                store,
                &format!(
                    "SELECT COUNT(*) FROM notice_events WHERE kind = 'debit_cancelled' AND subject_id = {}",
                    cb.id
                )
            )
            .await,
            1
        );
        assert_balanced(store).await;

        // The run files A's reduced debit alone.
        tahsil::cycle::run::run_date(store, &app.settings, &actor(), date, "test")
            .await
            .unwrap();
        let filed = store.collections_on(date).await.unwrap();
        let fa = of(&filed, a).unwrap();
        assert_eq!(
            (fa.status.as_str(), fa.amount.centimes()),
            ("submitted", totals[1])
        );
        assert_eq!(of(&filed, b).unwrap().status.as_str(), "cancelled");
        let presented = scalar(
            store,
            &format!(
                "SELECT memo_centimes FROM ledger_entries WHERE kind = 'debit_presented' AND collection_id = {}",
                ca.id
            ),
        )
        .await;
        assert_eq!(presented, totals[1]);
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'debit_presented'"
            )
            .await,
            1
        );
        // The file settles: A owes nothing and keeps its 1 DA of credit.
        store
            .apply_report(
                &actor(),
                &report("a", &[(fa, Effect::Settle)]),
                policy(date),
            )
            .await
            .unwrap();
        let balance = store.employer_balance(a, None).await.unwrap();
        assert_eq!(
            balance.total,
            Amount::parse("-1.00").unwrap(),
            "{balance:?}"
        );
        assert_eq!(balance.paid_leave, Amount::ZERO);
        assert_balanced(store).await;
        // No line is both paid by a payment and in a live debit.
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM payment_allocations a JOIN collection_lines cl \
                 ON cl.declaration_line_id = a.declaration_line_id AND cl.live = 1"
            )
            .await,
            0
        );
    }
);

both_backends!(
    a_payment_after_submission_leaves_the_employer_in_credit,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, b) = two_employers(store).await;
        let date = d(2026, 12, 15);
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        tahsil::cycle::run::run_date(store, &app.settings, &actor(), date, "test")
            .await
            .unwrap();
        let filed = store.collections_on(date).await.unwrap();
        let fa = of(&filed, a).unwrap().clone();
        assert_eq!(fa.status.as_str(), "submitted");

        let outcome = pay(store, a, fa.amount, "VIR-AFTER").await;
        assert_eq!((outcome.lines_paid, outcome.unallocated), (0, fa.amount));
        assert!(outcome.debits_reduced.is_empty() && outcome.debits_cancelled.is_empty());
        assert_eq!(
            scalar(
                store,
                "SELECT memo_centimes FROM ledger_entries WHERE kind = 'credit'"
            )
            .await,
            fa.amount.centimes()
        );
        // Owed, paid by transfer, and the debit still with the bank: nothing owed yet.
        assert_eq!(
            store.employer_balance(a, None).await.unwrap().total,
            Amount::ZERO
        );
        assert_balanced(store).await;

        store
            .apply_report(
                &actor(),
                &report("b", &[(&fa, Effect::Settle)]),
                policy(date),
            )
            .await
            .unwrap();
        let balance = store.employer_balance(a, None).await.unwrap();
        assert_eq!(balance.total, Amount::from_centimes(-fa.amount.centimes()));
        assert_eq!(balance.unallocated, balance.total, "{balance:?}");
        assert_balanced(store).await;
        // The settlement window passing later settles B's debit, and writes nothing more
        // for A's (settled once).
        store
            .settle_elapsed(&actor(), date, d(2026, 12, 20))
            .await
            .unwrap();
        let settled = |id: i64| {
            format!(
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'settled' AND collection_id = {id}"
            )
        };
        assert_eq!(scalar(store, &settled(fa.id)).await, 1);
        let fb = of(&filed, b).unwrap();
        assert_eq!(scalar(store, &settled(fb.id)).await, 1);
        assert_eq!(
            store.employer_balance(b, None).await.unwrap().total,
            Amount::ZERO
        );
        assert_balanced(store).await;
        // Returned after settlement: owed again, and paid by the credit at once — no
        // retry is presented for lines the employer has already paid.
        let summary = store
            .apply_report(
                &actor(),
                &report("c", &[(&fa, Effect::Return)]),
                policy(d(2026, 12, 20)),
            )
            .await
            .unwrap();
        assert_eq!(summary.retries_planned, 0, "{summary:?}");
        let balance = store.employer_balance(a, None).await.unwrap();
        assert_eq!(balance, tahsil::store::Balance::default(), "{balance:?}");
        assert_balanced(store).await;
    }
);

both_backends!(
    ledger_check_agrees_after_a_whole_cycle_and_names_a_tampered_employer,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let store = &app.store;
        let cycle = one_cycle(&app).await;
        let checked = store.check_ledger().await.unwrap();
        assert!(checked.differences.is_empty(), "{checked:?}");
        assert_eq!(checked.employers, 2);
        let kinds: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT kind FROM ledger_entries ORDER BY kind")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert_eq!(kinds, ["debit_presented", "due", "rejected", "settled"]);
        assert_eq!(
            store.employer_balance(cycle.a, None).await.unwrap().total,
            Amount::ZERO
        );
        assert!(store.employer_balance(cycle.b, None).await.unwrap().total > Amount::ZERO);
        // The balance at a date: before the dues were due, nothing.
        assert_eq!(
            store
                .employer_balance(cycle.a, Some(d(2026, 10, 31)))
                .await
                .unwrap()
                .total,
            Amount::ZERO
        );

        // Entries cannot be changed or removed…
        for change in [
            "UPDATE ledger_entries SET amount_centimes = 0, paid_leave_centimes = 0, \
             bad_weather_employer_centimes = 0, bad_weather_employee_centimes = 0, unallocated_centimes = 0",
            "DELETE FROM ledger_entries",
        ] {
            let refused = sqlx::query(change).execute(store.pool()).await;
            assert!(refused.is_err(), "{change}");
        }
        // …but one added behind tahsil's back is found, naming its employer.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
             paid_leave_centimes, recorded_at) VALUES ({}, 'write_off', 'tampered', '2026-12-20', -100, -100, 'x')",
            cycle.a
        )))
        .execute(store.pool())
        .await
        .unwrap();
        let checked = store.check_ledger().await.unwrap();
        assert_eq!(checked.differences.len(), 1, "{checked:?}");
        let difference = &checked.differences[0];
        assert_eq!(difference.affiliation_number, "16000001");
        assert_eq!(
            difference.ledger.paid_leave.centimes() - difference.sources.paid_leave.centimes(),
            -100
        );
    }
);

/// `tahsil` on `db` as a user runs it, believing it is 1 December 2026.
pub fn tahsil(db: &TestDb, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .arg("--database-url")
        .arg(&db.url)
        .args(args)
        .env_remove("TAHSIL_DATABASE_URL")
        .env("TAHSIL_ENCRYPTION_KEY", crate::harness::test_key_base64())
        .env("TAHSIL_CLOCK", "2026-12-01T10:00:00+01:00")
        .output()
        .expect("run tahsil")
}

both_backends!(
    the_command_line_records_payments_prints_statements_and_checks_the_ledger,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let (a, _b) = two_employers(&store).await;
        let totals = line_totals(&store, a).await;
        let first = Amount::from_centimes(totals[0]).to_string();
        let record = |reference: &str| {
            tahsil(
                &db,
                &[
                    "payments",
                    "record",
                    "--employer",
                    "16000001",
                    "--amount",
                    &first,
                    "--date",
                    "2026-11-30",
                    "--channel",
                    "transfer",
                    "--reference",
                    reference,
                ],
            )
        };
        let output = record("VIR-CLI-1");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{output:?}");
        assert!(text.contains("1 declared line(s)"), "{text}");
        let again = record("VIR-CLI-1");
        assert!(!again.status.success());
        let error = String::from_utf8_lossy(&again.stderr).into_owned();
        assert!(
            error.contains("already recorded") && error.contains("VIR-CLI-1"),
            "{error}"
        );
        let bad = tahsil(
            &db,
            &[
                "payments",
                "record",
                "--employer",
                "16000001",
                "--amount",
                "12,5x",
                "--date",
                "2026-11-30",
                "--channel",
                "wire",
                "--reference",
                "X",
            ],
        );
        assert!(!bad.status.success());

        let statement = tahsil(&db, &["statement", "--employer", "16000001"]);
        assert!(statement.status.success(), "{statement:?}");
        let text = String::from_utf8_lossy(&statement.stdout).into_owned();
        let rest = Amount::from_centimes(totals[1]).to_string();
        assert!(
            text.contains(&format!("closing balance: {rest} DA")),
            "{text}"
        );
        assert!(text.contains("Paiement reçu"), "{text}");
        let csv = tahsil(&db, &["statement", "--employer", "16000001", "--csv"]);
        assert!(csv.status.success());
        assert!(csv.stdout.starts_with("\u{feff}date;".as_bytes()));
        let csv = String::from_utf8(csv.stdout).unwrap();
        let last = csv.lines().last().unwrap();
        assert!(last.ends_with(&rest.replace('.', ",")), "{csv}");
        assert_eq!(
            csv.lines().count(),
            2 + 4,
            "opening, 2 dues, payment, allocation: {csv}"
        );

        let check = tahsil(&db, &["ledger", "check"]);
        assert!(check.status.success(), "{check:?}");
        assert!(String::from_utf8_lossy(&check.stdout).contains("ledger balanced"));
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO ledger_entries (employer_id, kind, entry_key, entry_date, amount_centimes, \
             unallocated_centimes, recorded_at) VALUES ({a}, 'payment_received', 'forged', '2026-12-01', -500, -500, 'x')"
        )))
        .execute(store.pool())
        .await
        .unwrap();
        let check = tahsil(&db, &["ledger", "check"]);
        assert_eq!(check.status.code(), Some(1), "{check:?}");
        let error = String::from_utf8_lossy(&check.stderr).into_owned();
        assert!(error.contains("employer 16000001"), "{error}");
    }
);

both_backends!(
    the_api_and_the_console_record_payments_for_staff,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, _b) = two_employers(store).await;
        let client = reqwest::Client::new();
        let post = |body: serde_json::Value| {
            client
                .post(app.url("/api/v1/payments"))
                .bearer_auth("admin-test-token")
                .json(&body)
                .send()
        };
        let body = serde_json::json!({
            "employer": "16000001", "amount": "1000.00", "date": "2026-12-01",
            "channel": "cheque", "reference": "CHQ-42"
        });
        let response = post(body.clone()).await.unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        let outcome: serde_json::Value = response.json().await.unwrap();
        assert_eq!(outcome["payment"]["amount"], "1000.00");
        assert_eq!(outcome["unallocated"], "1000.00");
        let again = post(body).await.unwrap();
        assert_eq!(again.status(), reqwest::StatusCode::CONFLICT);
        let wrong = post(serde_json::json!({
            "employer": "16000001", "amount": "10.00", "date": "2026-12-01",
            "channel": "wire", "reference": "W"
        }))
        .await
        .unwrap();
        assert_eq!(wrong.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let nobody = client
            .post(app.url("/api/v1/payments"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(nobody.status(), reqwest::StatusCode::UNAUTHORIZED);

        let statement: serde_json::Value = client
            .get(app.url(&format!("/api/v1/employers/{a}/statement")))
            .bearer_auth("admin-test-token")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let owed = store.employer_balance(a, None).await.unwrap().total;
        assert_eq!(
            statement["closing"],
            owed.to_string().as_str(),
            "{statement}"
        );
        assert_eq!(statement["unallocated"], "-1000.00", "{statement}");
        assert_eq!(
            statement["lines"][2]["entry"]["kind"], "payment_received",
            "{statement}"
        );

        add_user(store, "finance@fund.dz", Role::Finance, &[]).await;
        let staff = app.signed_in("finance@fund.dz").await;
        let (status, page) = staff.get(&format!("/console/employers/{a}")).await;
        assert_eq!(status, reqwest::StatusCode::OK);
        assert!(page.contains("id=\"payment-form\""), "{page}");
        let owed = store.employer_balance(a, None).await.unwrap().total;
        let typed = owed.to_string().replace('.', ",");
        let (status, page, _) = staff
            .post(
                &format!("/console/employers/{a}/payments"),
                &[
                    ("amount", typed.as_str()),
                    ("date", "2026-12-01"),
                    ("channel", "counter"),
                    ("reference", "REC-9"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{page}");
        assert!(
            page.contains("Paiement enregistré") || page.contains("سُجّل الدفع"),
            "{page}"
        );
        // The cheque's 1,000 DA waited as credit; with this payment every line is paid.
        assert_eq!(
            store.employer_balance(a, None).await.unwrap(),
            tahsil::store::Balance::default()
        );
        let (status, page, _) = staff
            .post(
                &format!("/console/employers/{a}/payments"),
                &[
                    ("amount", "5,00"),
                    ("date", "2026-12-01"),
                    ("channel", "counter"),
                    ("reference", "REC-9"),
                ],
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert!(!page.contains("already recorded"), "{page}");
        let csv = staff
            .client
            .get(app.url(&format!("/console/employers/{a}/statement.csv")))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), reqwest::StatusCode::OK);
        let csv = csv.bytes().await.unwrap();
        assert!(csv.starts_with("\u{feff}date;libellé;".as_bytes()));
        assert_balanced(store).await;
    }
);

both_backends!(
    ledger_check_passes_after_the_demo_fund_s_whole_cycle,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().unwrap();
        let demo = std::process::Command::new(env!("CARGO_BIN_EXE_tahsil"))
            .arg("--database-url")
            .arg(&db.url)
            .args(["demo", "--employers", "40", "--dir"])
            .arg(dir.path())
            .env_remove("TAHSIL_DATABASE_URL")
            .env("TAHSIL_ENCRYPTION_KEY", crate::harness::test_key_base64())
            .env("TAHSIL_CLOCK", "2026-12-01T10:00:00+01:00")
            .output()
            .unwrap();
        assert!(demo.status.success(), "{demo:?}");
        let check = tahsil(&db, &["ledger", "check"]);
        assert!(check.status.success(), "{check:?}");
        let store = db.store().await;
        // The demo's cycle wrote every kind of its events: dues, debits presented, settled,
        // and failures.
        for kind in ["due", "debit_presented", "settled"] {
            let count = scalar(
                &store,
                &format!("SELECT COUNT(*) FROM ledger_entries WHERE kind = '{kind}'"),
            )
            .await;
            assert!(count > 0, "{kind}");
        }
    }
);

both_backends!(
    the_migration_writes_the_ledger_of_what_happened_before_it,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let store = &app.store;
        one_cycle(&app).await;
        let before: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT entry_key, kind, amount_centimes FROM ledger_entries ORDER BY entry_key",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        // The ledger as a database migrated from 0017 would have it: empty, then the
        // migration's own statements for what came before.
        let (off, on) = match db.backend {
            "sqlite" => (
                "DROP TRIGGER ledger_entries_no_delete",
                "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries \
                 BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END",
            ),
            _ => (
                "ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only",
                "ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only",
            ),
        };
        let mut conn = store.pool().acquire().await.unwrap();
        sqlx::query(off).execute(&mut *conn).await.unwrap();
        sqlx::query("DELETE FROM ledger_entries")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query(on).execute(&mut *conn).await.unwrap();
        let migration = std::fs::read_to_string(format!(
            "{}/migrations/{}/0018_ledger.sql",
            env!("CARGO_MANIFEST_DIR"),
            db.backend
        ))
        .unwrap();
        let backfill = migration
            .split_once("-- What happened before this migration")
            .unwrap()
            .1;
        let backfill = backfill.split_once('\n').unwrap().1;
        for statement in backfill.split(';').filter(|s| s.contains("INSERT")) {
            let statement = statement
                .lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            sqlx::query(sqlx::AssertSqlSafe(statement))
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        drop(conn);
        assert_balanced(store).await;
        let after: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT entry_key, kind, amount_centimes FROM ledger_entries ORDER BY entry_key",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        // The same entries as the events wrote (B's rejected debit included).
        assert_eq!(after, before);
    }
);

both_backends!(
    a_line_paid_by_another_channel_is_never_in_a_later_attempt_of_its_debit,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, b) = two_employers(store).await;
        let date = d(2026, 12, 15);
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        let totals = line_totals(store, a).await;
        // A pays its first line while its debit is planned; the debit goes out for the
        // second and is rejected for insufficient funds: the retry takes the second alone.
        pay(store, a, Amount::from_centimes(totals[0]), "VIR-1").await;
        tahsil::cycle::run::run_date(store, &app.settings, &actor(), date, "test")
            .await
            .unwrap();
        let filed = store.collections_on(date).await.unwrap();
        let (fa, fb) = (
            of(&filed, a).unwrap().clone(),
            of(&filed, b).unwrap().clone(),
        );
        let mut rejected = report("d", &[(&fa, Effect::Reject), (&fb, Effect::Reject)]);
        // B's reject needs staff: no automatic retry.
        rejected.items[1].retry_class = Some(RetryClass::NeedsStaff);
        store
            .apply_report(&actor(), &rejected, policy(date))
            .await
            .unwrap();
        let retry = store.collections_on(d(2027, 1, 5)).await.unwrap();
        let ra = of(&retry, a).unwrap();
        assert_eq!(ra.amount.centimes(), totals[1]);
        assert_eq!(
            scalar(
                store,
                &format!(
                    "SELECT COUNT(*) FROM collection_lines WHERE collection_id = {}",
                    ra.id
                )
            )
            .await,
            1
        );
        // B pays what it owes after the reject; staff then cannot present the debit again.
        let owed_b = store.employer_balance(b, None).await.unwrap().total;
        let outcome = pay(store, b, owed_b, "GUICHET-1").await;
        assert_eq!(outcome.lines_paid, 1);
        let again = store
            .act_on_debit(
                &actor(),
                fb.id,
                mandates::DebitAction::Represent,
                "paid at the counter, checking",
                &mandates::ChannelPolicy::default(),
            )
            .await;
        assert!(
            matches!(&again, Err(StoreError::Conflict(m)) if m.contains("nothing left")),
            "{again:?}"
        );
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM payment_allocations a JOIN collection_lines cl \
                 ON cl.declaration_line_id = a.declaration_line_id AND cl.live = 1"
            )
            .await,
            0
        );
        assert_balanced(store).await;
    }
);
