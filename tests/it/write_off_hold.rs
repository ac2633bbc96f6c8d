//! A write-off request waiting for a second member of staff holds its lines out of bank
//! files: planning leaves them out of new debits, a planned debit carrying them is held
//! (the run files it not) until the request is approved — the lines written off, the debit
//! reduced (and released unless its date's run has been) — or refused — the debit
//! released, the lines collectable again. On both databases.

use mandates::Amount;
use tahsil::clock::Clock;
use tahsil::store::{Actor, NewWriteOff, Store};

use crate::both_backends;
use crate::harness::fixtures::{actor, d, declare, scalar};
use crate::harness::{TestDb, settings};
use crate::ledger::{assert_balanced, line_totals, of, two_employers};

async fn ask(store: &Store, employer: i64, line: i64) -> i64 {
    let outcome = store
        .write_off_lines(
            &actor(),
            NewWriteOff {
                employer_id: employer,
                lines: vec![line],
                reason: "entreprise liquidée".to_owned(),
                by: "agent recouvrement".to_owned(),
            },
        )
        .await
        .unwrap();
    assert!(outcome.written_off.is_empty(), "{outcome:?}");
    outcome.pending_request.expect("a request waiting")
}

/// The employer's line ids of `period`, by id.
async fn lines_of(store: &Store, employer: i64, period: &str) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT l.id FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
         WHERE d.employer_id = $1 AND d.period = $2 ORDER BY l.id",
    )
    .bind(employer)
    .bind(period)
    .fetch_all(store.pool())
    .await
    .unwrap()
}

async fn in_live_debit(store: &Store, line: i64) -> i64 {
    scalar(
        store,
        &format!(
            "SELECT COUNT(*) FROM collection_lines WHERE declaration_line_id = {line} AND live = 1"
        ),
    )
    .await
}

both_backends!(
    a_waiting_write_off_request_keeps_its_lines_out_of_bank_files,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let (a, b) = two_employers(&store).await;
        declare(&store, a, "2026-11", &[("W1", "10000.00")]).await;
        store
            .set_write_off_four_eyes(&actor(), Amount::ZERO)
            .await
            .unwrap();
        let october = lines_of(&store, a, "2026-10").await;
        let november = lines_of(&store, a, "2026-11").await;
        let totals = line_totals(&store, a).await;

        // Asked before planning: the November line stays out of the debit.
        let first = ask(&store, a, november[0]).await;
        let date = d(2026, 12, 15);
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        let planned = store.collections_on(date).await.unwrap();
        let ca = of(&planned, a).unwrap().clone();
        assert_eq!(ca.amount.centimes(), totals[0] + totals[1], "{ca:?}");
        assert_eq!(in_live_debit(&store, november[0]).await, 0);

        // Asked while planned: A's debit is held, the run files B's alone.
        let second = ask(&store, a, october[0]).await;
        let held = |id: i64| {
            format!("SELECT COUNT(*) FROM collections WHERE id = {id} AND held_at IS NOT NULL")
        };
        assert_eq!(scalar(&store, &held(ca.id)).await, 1);
        assert_eq!(
            store.write_off_request(second).await.unwrap().status,
            "pending"
        );
        let exchange = tempfile::tempdir().unwrap();
        let settings = settings(exchange.path(), 1000);
        tahsil::cycle::run::run_date(&store, &settings, &actor(), date, "test")
            .await
            .unwrap();
        let filed = store.collections_on(date).await.unwrap();
        assert_eq!(of(&filed, a).unwrap().status.as_str(), "planned");
        assert_eq!(of(&filed, b).unwrap().status.as_str(), "submitted");
        assert_balanced(&store).await;

        // Approved by a second person: written off, the debit reduced. Its date's run has
        // been: it stays held for staff (whose release cancels it, its date missed).
        let chef = Actor::new("chef");
        let approved = store.approve_write_off(&chef, second).await.unwrap();
        assert_eq!(approved.written_off, vec![october[0]]);
        assert_eq!(approved.debits_reduced, vec![ca.id]);
        assert_eq!(scalar(&store, &held(ca.id)).await, 1);
        let amount = scalar(
            &store,
            &format!(
                "SELECT amount_centimes FROM collections WHERE id = {} AND status = 'planned'",
                ca.id
            ),
        )
        .await;
        assert_eq!(amount, totals[1]);
        assert_balanced(&store).await;

        // Refused: the November line is collectable again by the next plan.
        store
            .refuse_write_off(&chef, first, "l'entreprise a repris son activité")
            .await
            .unwrap();
        let next = d(2027, 1, 15);
        store
            .plan_collections(&actor(), next, d(2026, 12, 1))
            .await
            .unwrap();
        let planned = store.collections_on(next).await.unwrap();
        assert_eq!(
            of(&planned, a).unwrap().amount.centimes(),
            totals[2],
            "{planned:?}"
        );
        assert_eq!(in_live_debit(&store, november[0]).await, 1);
        assert_balanced(&store).await;
    }
);

both_backends!(
    a_debit_held_by_two_requests_stays_held_until_the_last_is_decided,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let (a, _b) = two_employers(&store).await;
        store
            .set_write_off_four_eyes(&actor(), Amount::ZERO)
            .await
            .unwrap();
        let october = lines_of(&store, a, "2026-10").await;
        let date = d(2026, 12, 15);
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        let ca = of(&store.collections_on(date).await.unwrap(), a)
            .unwrap()
            .id;
        let held =
            format!("SELECT COUNT(*) FROM collections WHERE id = {ca} AND held_at IS NOT NULL");
        let first = ask(&store, a, october[0]).await;
        let second = ask(&store, a, october[1]).await;
        assert_eq!(scalar(&store, &held).await, 1);
        let chef = Actor::new("chef");
        store
            .refuse_write_off(&chef, first, "pas encore")
            .await
            .unwrap();
        // The second request still waits: the debit stays held, then is released.
        assert_eq!(scalar(&store, &held).await, 1);
        store
            .refuse_write_off(&chef, second, "pas encore")
            .await
            .unwrap();
        assert_eq!(scalar(&store, &held).await, 0);
        assert_balanced(&store).await;
    }
);
