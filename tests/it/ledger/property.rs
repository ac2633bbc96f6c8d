//! A property over random sequences of what happens to two employers' accounts —
//! declarations and corrections, planning, runs, bank reports (settled, rejected,
//! returned), the settlement window, payments by other channels (paying lines and
//! surcharges), refunds of a credit (asked, approved, sent in a file, settled or rejected
//! by the bank), the daily surcharge job and its provisional assessments, waivers of surcharges and write-offs of lines — checked after every
//! step: every employer's ledger balance equals what `ledger check` recomputes from the
//! source records, no declaration line is both paid (by a payment) or written off and in a
//! live debit, none both paid and written off, and
//! no employer's credit sits beside a planned debit of the line it would pay first,
//! and no employer's unallocated money is ever above zero (no credit refunded or spent twice).
//! Each case runs on a fresh database, both employers declared first: 16 cases of 8 to 20
//! steps on SQLite (about 6 s), 4 on PostgreSQL (a fresh PostgreSQL database costs about a
//! second).

use chrono::NaiveDate;
use mandates::Amount;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tahsil::clock::Clock;
use tahsil::store::{
    Actor, Effect, NewDeclaration, NewDeclarationLine, NewPayment, PaymentChannel, RefundAnswer,
    RefundAnswerItem, RefundRequester, RefundStatus, Store,
};

use super::{CCP, RIB, policy};
use crate::harness::fixtures::{actor, d, employer_with_worksites, scalar, signed_mandate};
use crate::harness::{TestDb, settings};

#[derive(Clone, Debug)]
enum Step {
    /// Declare (or correct) a period with these wage bills per worksite (in dinars).
    Declare {
        employer: usize,
        period: usize,
        wages: Vec<u32>,
    },
    Plan {
        date: usize,
    },
    Run {
        date: usize,
    },
    /// A report on one filed debit (the `pick`-th, modulo how many there are).
    Report {
        pick: usize,
        effect: usize,
    },
    SettleWindow {
        date: usize,
    },
    /// A payment: the first owed line exactly, everything owed, or 1,234.50 DA.
    Pay {
        employer: usize,
        how: usize,
    },
    /// A refund of the employer's whole credit (when it has one), approved and sent, then
    /// settled or rejected by the bank's answer.
    Refund {
        employer: usize,
        reject: bool,
    },
    /// The daily surcharge job on one of [`ACCRUAL_DAYS`].
    Accrue {
        day: usize,
    },
    /// A waiver of every surcharge of an employer not yet waived (approved by a second
    /// person when above the four-eyes amount).
    Waive {
        employer: usize,
    },
    /// A write-off of one of the employer's lines (the `pick`-th of its declared lines,
    /// modulo how many): refused when it is not owed or is in a bank file.
    WriteOff {
        employer: usize,
        pick: usize,
    },
}

const ACCRUAL_DAYS: [(i32, u32, u32); 3] = [(2027, 1, 20), (2027, 3, 1), (2027, 6, 1)];

const PERIODS: [&str; 3] = ["2026-09", "2026-10", "2026-11"];
const EFFECTS: [Effect; 3] = [Effect::Settle, Effect::Reject, Effect::Return];

fn dates() -> [NaiveDate; 2] {
    [d(2026, 12, 15), d(2027, 1, 14)]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..2usize, 0..3usize, prop::collection::vec(0..400_000u32, 1..=2))
            .prop_map(|(employer, period, wages)| Step::Declare { employer, period, wages }),
        3 => (0..2usize).prop_map(|date| Step::Plan { date }),
        3 => (0..2usize).prop_map(|date| Step::Run { date }),
        4 => (0..4usize, 0..3usize).prop_map(|(pick, effect)| Step::Report { pick, effect }),
        1 => (0..2usize).prop_map(|date| Step::SettleWindow { date }),
        3 => (0..2usize, 0..3usize).prop_map(|(employer, how)| Step::Pay { employer, how }),
        2 => (0..2usize, any::<bool>()).prop_map(|(employer, reject)| Step::Refund { employer, reject }),
        2 => (0..3usize).prop_map(|day| Step::Accrue { day }),
        1 => (0..2usize).prop_map(|employer| Step::Waive { employer }),
        2 => (0..2usize, 0..6usize).prop_map(|(employer, pick)| Step::WriteOff { employer, pick }),
    ]
}

/// What must hold after every step.
async fn check(store: &Store, steps: &[Step], at: usize) -> Result<(), TestCaseError> {
    let kept = store.collection_totals().await.unwrap();
    let counted = store.recounted_collection_totals().await.unwrap();
    prop_assert_eq!(
        kept,
        counted,
        "the console's totals differ from a count after step {} of {:?}",
        at,
        steps
    );
    let checked = store.check_ledger().await.unwrap();
    prop_assert!(
        checked.differences.is_empty(),
        "after step {at} of {steps:?}: {:#?}",
        checked.differences
    );
    // Paid by a payment or written off, and still collectable: never.
    let both = scalar(
        store,
        "SELECT COUNT(*) FROM payment_allocations a JOIN collection_lines cl \
         ON cl.declaration_line_id = a.declaration_line_id AND cl.live = 1",
    )
    .await
        + scalar(
            store,
            "SELECT COUNT(*) FROM line_write_offs w JOIN collection_lines cl \
             ON cl.declaration_line_id = w.declaration_line_id AND cl.live = 1",
        )
        .await
        + scalar(
            store,
            "SELECT COUNT(*) FROM line_write_offs w JOIN payment_allocations a \
             ON a.declaration_line_id = w.declaration_line_id",
        )
        .await;
    prop_assert_eq!(
        both,
        0,
        "a line paid and collectable after step {} of {:?}",
        at,
        steps
    );
    // A credit is never left beside a planned debit of a line it could pay: an employer
    // in credit whose oldest owed line (the one allocation would pay first) sits in a
    // planned debit has a credit smaller than that line.
    let idle = scalar(
        store,
        "SELECT COUNT(*) FROM (SELECT e.employer_id, -SUM(e.unallocated_centimes) AS credit \
           FROM ledger_entries e GROUP BY e.employer_id HAVING SUM(e.unallocated_centimes) < 0) k \
         JOIN declaration_lines l ON l.id = (SELECT o.id FROM declaration_lines o \
             JOIN declarations od ON od.id = o.declaration_id \
             LEFT JOIN collection_lines ocl ON ocl.declaration_line_id = o.id AND ocl.live = 1 \
             LEFT JOIN collections oc ON oc.id = ocl.collection_id \
             WHERE od.employer_id = k.employer_id AND od.status = 'submitted' AND o.status = 'submitted' \
             AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = o.id) \
             AND NOT EXISTS (SELECT 1 FROM line_write_offs w WHERE w.declaration_line_id = o.id) \
             AND (oc.id IS NULL OR oc.status = 'planned') \
             ORDER BY od.due_from, od.period, o.id LIMIT 1) \
         JOIN collection_lines cl ON cl.declaration_line_id = l.id AND cl.live = 1 \
         JOIN collections c ON c.id = cl.collection_id AND c.status = 'planned' \
         WHERE l.total_centimes <= k.credit",
    )
    .await;
    prop_assert_eq!(
        idle,
        0,
        "a credit left beside a planned debit it could pay, after step {} of {:?}",
        at,
        steps
    );
    let overspent = scalar(
        store,
        "SELECT COUNT(*) FROM (SELECT employer_id FROM ledger_entries GROUP BY employer_id \
         HAVING SUM(unallocated_centimes) > 0) x",
    )
    .await;
    prop_assert_eq!(
        overspent,
        0,
        "unallocated money above zero after step {} of {:?}",
        at,
        steps
    );
    Ok(())
}

async fn run_case(db: TestDb, steps: Vec<Step>) -> Result<(), TestCaseError> {
    let store = db.store_with_clock(Clock::fixed_on(d(2027, 2, 1))).await;
    let exchange = tempfile::tempdir().unwrap();
    let settings = settings(exchange.path(), 1000);
    let employers = [
        employer_with_worksites(&store, "16000001", &["W1", "W2"]).await,
        employer_with_worksites(&store, "16000002", &["W1", "W2"]).await,
    ];
    signed_mandate(&store, employers[0], RIB, None).await;
    signed_mandate(&store, employers[1], CCP, None).await;
    // Surcharges: every rule confirmed (late payment, late declaration, provisional
    // assessment of a period not declared).
    for rule in store.surcharge_rules().await.unwrap() {
        store
            .confirm_surcharge_rule(&actor(), rule.id)
            .await
            .unwrap();
    }
    // Both start with a declaration, so most sequences have something to collect.
    let opening = [0, 1].map(|employer| Step::Declare {
        employer,
        period: 0,
        wages: vec![120_000, 45_000],
    });
    let steps: Vec<Step> = opening.into_iter().chain(steps).collect();
    for (at, step) in steps.iter().enumerate() {
        match step {
            Step::Declare {
                employer,
                period,
                wages,
            } => {
                // A correction of a declaration already in a closed debit is refused: fine.
                let _ = store
                    .submit_or_correct_declaration(
                        &actor(),
                        employers[*employer],
                        NewDeclaration {
                            period: PERIODS[*period].parse().unwrap(),
                            lines: wages
                                .iter()
                                .zip(["W1", "W2"])
                                .map(|(wage, code)| NewDeclarationLine {
                                    worksite_code: code.to_owned(),
                                    headcount: 3,
                                    wage_bill: Amount::from_centimes(i64::from(*wage) * 100),
                                    bad_weather_base: Amount::from_centimes(i64::from(*wage) * 50),
                                })
                                .collect(),
                        },
                    )
                    .await;
            }
            Step::Plan { date } => {
                let date = dates()[*date];
                let noticed = date.checked_sub_days(chrono::Days::new(20)).unwrap();
                store
                    .plan_collections(&actor(), date, noticed)
                    .await
                    .unwrap();
            }
            Step::Run { date } => {
                // A date already run, or with nothing to run, refuses or does nothing.
                let _ = tahsil::cycle::run::run_date(
                    &store,
                    &settings,
                    &actor(),
                    dates()[*date],
                    "prop",
                )
                .await;
            }
            Step::Report { pick, effect } => {
                let mut filed = Vec::new();
                for date in dates().into_iter().chain([d(2027, 1, 5)]) {
                    filed.extend(
                        store
                            .collections_on(date)
                            .await
                            .unwrap()
                            .into_iter()
                            .filter(|c| matches!(c.status.as_str(), "submitted" | "settled")),
                    );
                }
                if !filed.is_empty() {
                    let c = &filed[pick % filed.len()];
                    let report = super::report(&format!("{at:02x}"), &[(c, EFFECTS[*effect])]);
                    let _ = store
                        .apply_report(&actor(), &report, policy(c_date(c)))
                        .await;
                }
            }
            Step::SettleWindow { date } => {
                store
                    .settle_elapsed(&actor(), dates()[*date], d(2027, 2, 1))
                    .await
                    .unwrap();
            }
            Step::Pay { employer, how } => {
                let id = employers[*employer];
                let owed: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT l.total_centimes FROM declaration_lines l \
                     JOIN declarations d ON d.id = l.declaration_id \
                     JOIN declaration_line_states s ON s.declaration_line_id = l.id \
                     WHERE d.employer_id = {id} AND s.state IN ('submitted', 'unpaid', 'scheduled') \
                     ORDER BY d.due_from, d.period, l.id"
                )))
                .fetch_all(store.pool())
                .await
                .unwrap();
                let amount = match how {
                    0 => owed.first().copied().unwrap_or(1),
                    1 => owed.iter().sum::<i64>().max(1),
                    _ => 123_450,
                };
                store
                    .record_payment(
                        &actor(),
                        NewPayment {
                            employer_id: id,
                            amount: Amount::from_centimes(amount.max(1)),
                            received_on: d(2026, 12, 1),
                            channel: PaymentChannel::Transfer,
                            reference: format!("P{at}"),
                            note: None,
                        },
                    )
                    .await
                    .unwrap();
            }
            Step::Refund { employer, reject } => {
                let id = employers[*employer];
                // No credit, or a request already open: refused, nothing recorded.
                if let Ok(asked) = store
                    .request_refund(&actor(), id, None, RefundRequester::Staff)
                    .await
                {
                    store
                        .decide_refund(&Actor::new("approver"), asked.id, true, None)
                        .await
                        .unwrap();
                }
                tahsil::cycle::refund::send_refunds(&store, &settings, &actor(), d(2027, 2, 1))
                    .await
                    .unwrap();
                let sent = store
                    .refunds(Some(id), Some(RefundStatus::Sent))
                    .await
                    .unwrap();
                if !sent.is_empty() {
                    let answer = RefundAnswer {
                        institution: None,
                        file_name: format!("answer-{at}.xml"),
                        sha256: format!("ff{at:062x}"),
                        format: "pain.002.001.03".to_owned(),
                        message_id: None,
                        original_message_id: None,
                        items: sent
                            .iter()
                            .map(|r| RefundAnswerItem {
                                end_to_end_id: r.end_to_end_id.clone(),
                                amount: Some(r.amount),
                                status: Some(if *reject { "RJCT" } else { "ACSC" }.to_owned()),
                                reason_code: reject.then(|| "AC04".to_owned()),
                            })
                            .collect(),
                    };
                    store
                        .apply_refund_answer(&actor(), &answer, d(2027, 2, 1))
                        .await
                        .unwrap();
                }
            }
            Step::Accrue { day } => {
                let (y, m, dd) = ACCRUAL_DAYS[*day];
                store
                    .accrue_surcharges(&actor(), d(y, m, dd))
                    .await
                    .unwrap();
                store
                    .assess_missing_declarations(&actor(), d(y, m, dd))
                    .await
                    .unwrap();
            }
            Step::Waive { employer } => {
                // Nothing left to waive is refused: fine.
                if let Ok(waiver) = store
                    .request_waiver(&actor(), employers[*employer], &[], "prop")
                    .await
                    && waiver.status == tahsil::store::WaiverStatus::Pending
                {
                    store
                        .approve_waiver(&tahsil::store::Actor::new("second"), waiver.id)
                        .await
                        .unwrap();
                }
            }
            Step::WriteOff { employer, pick } => {
                let id = employers[*employer];
                let lines: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT l.id FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
                     WHERE d.employer_id = {id} ORDER BY d.due_from, d.period, l.id"
                )))
                .fetch_all(store.pool())
                .await
                .unwrap();
                if !lines.is_empty() {
                    // A line paid, cancelled or in a file is refused, nothing written: fine.
                    let _ = store
                        .write_off_lines(
                            &actor(),
                            tahsil::store::NewWriteOff {
                                employer_id: id,
                                lines: vec![lines[pick % lines.len()]],
                                reason: "prop".to_owned(),
                                by: "prop".to_owned(),
                            },
                        )
                        .await;
                }
            }
        }
        check(&store, &steps, at).await?;
    }
    store.close().await;
    Ok(())
}

fn c_date(c: &tahsil::store::CollectionRecord) -> NaiveDate {
    c.collection_date.parse().unwrap()
}

/// Runs `cases` random sequences, each on a fresh database from `fresh`.
fn run_property<F, Fut>(cases: u32, fresh: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<TestDb>>,
{
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases,
        max_shrink_iters: 32,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(step(), 8..20), |steps| {
        tokio::task::block_in_place(|| {
            handle.block_on(async {
                match fresh().await {
                    Some(db) => run_case(db, steps).await,
                    None => Ok(()),
                }
            })
        })
    });
    if let Err(err) = result {
        panic!("{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sequences_keep_every_balance_equal_to_its_recomputation_sqlite() {
    run_property(16, || async { Some(TestDb::sqlite().await) });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sequences_keep_every_balance_equal_to_its_recomputation_postgres() {
    run_property(4, TestDb::postgres);
}
