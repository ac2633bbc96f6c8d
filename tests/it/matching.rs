//! How a report's items find their debits and what happens to those that do not fit:
//! matched by EndToEndId, else by mandate reference and amount; a wrong amount, an
//! unknown transaction and a repeat of what was already applied become exceptions and
//! change nothing; a booking and its reversal in one report end as a return.

use bank_formats::reasons::classify_iso;
use chrono::NaiveDate;
use mandates::Amount;
use tahsil::cycle::run::run_date;
use tahsil::store::{Actor, Effect, NewReport, ReconcilePolicy, ReportItem, Store};

use crate::both_backends;
use crate::harness::fixtures::{planned, scalar};
use crate::harness::{TestDb, settings};
use crate::run::check_invariants;

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()
}

/// A submitted debit: (id, EndToEndId, amount in centimes, mandate reference).
type Debit = (i64, String, i64, String);

async fn submitted(store: &Store) -> Vec<Debit> {
    sqlx::query_as(
        "SELECT c.id, c.end_to_end_id, c.amount_centimes, m.reference FROM collections c \
         JOIN mandates m ON m.id = c.mandate_id WHERE c.status = 'submitted' ORDER BY c.id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

fn item(
    end_to_end_id: Option<&str>,
    mandate: Option<&str>,
    centimes: i64,
    effect: Effect,
    reason: Option<&str>,
) -> ReportItem {
    let classified = reason.map(classify_iso);
    ReportItem {
        end_to_end_id: end_to_end_id.map(str::to_owned),
        mandate_reference: mandate.map(str::to_owned),
        amount: Some(Amount::from_centimes(centimes)),
        status: Some(
            if effect == Effect::Reject {
                "RJCT"
            } else {
                "BOOK"
            }
            .to_owned(),
        ),
        reason_code: reason.map(str::to_owned),
        reason_category: classified.as_ref().map(|r| r.category),
        retry_class: classified.as_ref().map(|r| r.retry_class),
        effect,
        facts: Default::default(),
    }
}

fn report(name: &str, items: Vec<ReportItem>) -> NewReport {
    NewReport {
        institution: None,
        file_name: name.to_owned(),
        sha256: format!("{name:0>64}"),
        format: "camt.054.001.02".to_owned(),
        message_id: Some(name.to_owned()),
        original_message_id: None,
        items,
    }
}

async fn status(store: &Store, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM collections WHERE id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn exception_kinds(store: &Store) -> Vec<(String, Option<i64>)> {
    sqlx::query_as("SELECT kind, collection_id FROM exceptions ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

both_backends!(
    items_match_by_end_to_end_id_then_mandate_and_amount_and_misfits_become_exceptions,
    |db: TestDb| async move {
        let store = db.store().await;
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        planned(&store, 6).await;
        let actor = Actor::new("test");
        run_date(&store, &settings, &actor, date(), "t")
            .await
            .unwrap();
        let debits = submitted(&store).await;
        assert!(debits.len() >= 5, "{debits:?}");
        let [a, b, c, d, ..] = &debits[..] else {
            unreachable!()
        };
        let policy = ReconcilePolicy {
            today: date(),
            retry_date: NaiveDate::from_ymd_opt(2026, 12, 22).unwrap(),
            max_attempts: 3,
        };

        let first = report(
            "first",
            vec![
                // a: booked, matched by its EndToEndId.
                item(Some(&a.1), None, a.2, Effect::Settle, None),
                // b: returned for insufficient funds; the bank lost the EndToEndId, the
                // mandate and the amount still identify the debit.
                item(
                    Some("NOTOURS-1"),
                    Some(&b.3),
                    b.2,
                    Effect::Return,
                    Some("AM04"),
                ),
                // c: booked for one centime more than was asked: nothing is applied.
                item(Some(&c.1), None, c.2 + 1, Effect::Settle, None),
                // Something tahsil never sent.
                item(Some("NOTOURS-2"), None, 12_345, Effect::Settle, None),
                // d: booked, then reversed (account closed) in the same report.
                item(Some(&d.1), None, d.2, Effect::Settle, None),
                item(Some(&d.1), None, d.2, Effect::Return, Some("AC04")),
            ],
        );
        let summary = store.apply_report(&actor, &first, policy).await.unwrap();
        assert_eq!(
            (
                summary.items,
                summary.settled,
                summary.returned,
                summary.rejected
            ),
            (6, 2, 2, 0),
            "{summary:?}"
        );
        assert_eq!(
            (summary.retries_planned, summary.mandates_suspended),
            (1, 1),
            "{summary:?}"
        );
        assert_eq!(status(&store, a.0).await, "settled");
        assert_eq!(status(&store, b.0).await, "retry_planned");
        assert_eq!(status(&store, c.0).await, "submitted");
        assert_eq!(status(&store, d.0).await, "returned");
        let matched: Vec<(i64, Option<i64>, String)> = sqlx::query_as(
            "SELECT item, collection_id, outcome FROM report_items WHERE report_id = $1 ORDER BY item",
        )
        .bind(summary.report_id)
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(
            matched,
            vec![
                (1, Some(a.0), "applied".to_owned()),
                (2, Some(b.0), "applied".to_owned()),
                (3, Some(c.0), "amount_mismatch".to_owned()),
                (4, None, "unmatched".to_owned()),
                (5, Some(d.0), "applied".to_owned()),
                (6, Some(d.0), "applied".to_owned()),
            ]
        );
        assert_eq!(
            exception_kinds(&store).await,
            vec![
                ("amount_mismatch".to_owned(), Some(c.0)),
                ("unmatched".to_owned(), None)
            ]
        );
        // The retry of b carries b's amount; d's lines are owed again, its mandate is
        // suspended, and it got one failure notice and no receipt.
        let (b_id, d_id) = (b.0, d.0);
        for (sql, expected) in [
            (
                format!("SELECT amount_centimes FROM collections WHERE retry_of = {b_id}"),
                b.2,
            ),
            (
                format!(
                    "SELECT COUNT(*) FROM collection_lines WHERE collection_id = {d_id} AND live = 1"
                ),
                0,
            ),
            (
                format!(
                    "SELECT COUNT(*) FROM mandates m JOIN collections c ON c.mandate_id = m.id \
                     WHERE c.id = {d_id} AND m.status = 'suspended'"
                ),
                1,
            ),
            (
                format!(
                    "SELECT COUNT(*) FROM notice_events WHERE subject_id = {d_id} AND kind = 'receipt'"
                ),
                0,
            ),
            (
                format!(
                    "SELECT COUNT(*) FROM notice_events WHERE subject_id = {d_id} AND kind = 'failure_notice'"
                ),
                1,
            ),
        ] {
            assert_eq!(scalar(&store, &sql).await, expected, "{sql}");
        }

        // A later report repeating a's booking and b's return changes nothing: each is a
        // duplicate for staff to see.
        let second = report(
            "second",
            vec![
                item(Some(&a.1), None, a.2, Effect::Settle, None),
                item(Some(&b.1), None, b.2, Effect::Return, Some("AM04")),
            ],
        );
        let summary = store.apply_report(&actor, &second, policy).await.unwrap();
        assert_eq!(
            (summary.settled, summary.returned, summary.retries_planned),
            (0, 0, 0),
            "{summary:?}"
        );
        assert_eq!(summary.exceptions, 2, "{summary:?}");
        assert_eq!(status(&store, a.0).await, "settled");
        assert_eq!(status(&store, b.0).await, "retry_planned");
        let kinds = exception_kinds(&store).await;
        assert_eq!(
            &kinds[2..],
            &[
                ("duplicate".to_owned(), Some(a.0)),
                ("duplicate".to_owned(), Some(b.0))
            ]
        );
        check_invariants(&store, exchange.path()).await;
    }
);
