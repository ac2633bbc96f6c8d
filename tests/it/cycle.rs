//! The collection cycle on both databases: planning.

use crate::both_backends;
use crate::harness::TestDb;
use crate::harness::fixtures::{actor, d, declare, employer_with_worksites, signed_mandate};

both_backends!(
    planning_makes_one_collection_per_employer_for_all_its_worksites,
    |db: TestDb| async move {
        let store = db.store().await;
        // A: two periods, three worksites, a RIB mandate: one collection for everything due.
        let a = employer_with_worksites(&store, "16100001", &["W1", "W2", "W3"]).await;
        signed_mandate(&store, a, "004 00174 4010010504 86", None).await;
        declare(
            &store,
            a,
            "2026-10",
            &[("W1", "100000.00"), ("W2", "50000.00"), ("W3", "10000.00")],
        )
        .await;
        declare(&store, a, "2026-11", &[("W1", "100000.00")]).await;
        // A's December declaration is not due by 15 December: it waits.
        declare(&store, a, "2026-12", &[("W1", "999.00")]).await;
        // B: a CCP mandate.
        let b = employer_with_worksites(&store, "16100002", &["S1"]).await;
        signed_mandate(&store, b, "200 12", None).await;
        declare(&store, b, "2026-11", &[("S1", "20000.00")]).await;
        // C: its total is above its mandate's ceiling: left out, and counted.
        let c = employer_with_worksites(&store, "16100003", &["S1"]).await;
        signed_mandate(&store, c, "23115007 32", Some("100.00")).await;
        declare(&store, c, "2026-11", &[("S1", "20000.00")]).await;
        // D: its mandate was revoked: nothing to collect.
        let e = employer_with_worksites(&store, "16100004", &["S1"]).await;
        let revoked = signed_mandate(&store, e, "001 00001 0000000001 44", None).await;
        store
            .revoke_mandate(&actor(), revoked, "test")
            .await
            .unwrap();
        declare(&store, e, "2026-11", &[("S1", "20000.00")]).await;

        let date = d(2026, 12, 15);
        let summary = store
            .plan_collections(&actor(), date, d(2026, 12, 8))
            .await
            .unwrap();
        assert_eq!(summary.planned, 2, "{summary:?}");
        assert_eq!(summary.lines, 5, "{summary:?}");
        assert_eq!(summary.over_ceiling, 1, "{summary:?}");
        // 12.21 % of 260,000.00 (A) and of 20,000.00 (B).
        assert_eq!(summary.amount.to_string(), "34188.00");

        let collections = store.collections_on(date).await.unwrap();
        assert_eq!(collections.len(), 2);
        let (ca, cb) = (&collections[0], &collections[1]);
        assert_eq!(
            (ca.employer_id, ca.channel.as_str(), ca.amount.to_string()),
            (a, "bank", "31746.00".to_owned())
        );
        assert_eq!(
            (cb.employer_id, cb.channel.as_str(), cb.amount.to_string()),
            (b, "postal", "2442.00".to_owned())
        );
        assert_eq!(ca.status.as_str(), "planned");
        assert_eq!(ca.noticed_on, "2026-12-08");

        // The breakdown adds up, lines are scheduled, one notice per collection was recorded.
        let sum: i64 = sqlx::query_scalar(
        "SELECT CAST(SUM(amount_centimes) AS BIGINT) FROM collection_lines WHERE collection_id = $1",
    )
    .bind(ca.id)
    .fetch_one(store.pool())
    .await
    .unwrap();
        assert_eq!(sum, ca.amount.centimes());
        let scheduled: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM declaration_line_states WHERE state = 'scheduled'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(scheduled, 5);
        let notices: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM notice_events WHERE kind = 'advance_notice'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(notices, 2);

        // Planning the same date again changes nothing.
        let again = store
            .plan_collections(&actor(), date, d(2026, 12, 9))
            .await
            .unwrap();
        assert_eq!((again.planned, again.lines), (0, 0), "{again:?}");
        assert_eq!(store.collections_on(date).await.unwrap(), collections);
        let notices_after: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM notice_events WHERE kind = 'advance_notice'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(notices_after, 2);
        let audits: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'collection.planned'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(audits, 2);

        // A later date takes only what is newly due (A's December), never a scheduled line twice.
        let january = store
            .plan_collections(&actor(), d(2027, 1, 17), d(2027, 1, 10))
            .await
            .unwrap();
        assert_eq!((january.planned, january.lines), (1, 1), "{january:?}");
    }
);

both_backends!(
    a_declaration_line_cannot_be_in_two_live_collections,
    |db: TestDb| async move {
        let store = db.store().await;
        let a = employer_with_worksites(&store, "16200001", &["W1"]).await;
        signed_mandate(&store, a, "004 00174 4010010504 86", None).await;
        declare(&store, a, "2026-10", &[("W1", "1000.00")]).await;
        store
            .plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 8))
            .await
            .unwrap();
        let (line, collection): (i64, i64) =
            sqlx::query_as("SELECT declaration_line_id, collection_id FROM collection_lines")
                .fetch_one(store.pool())
                .await
                .unwrap();
        // Forcing a second live row for the same line is refused by the database itself.
        let duplicate = sqlx::query(
        "INSERT INTO collections (employer_id, mandate_id, channel, collection_date, amount_centimes, status, \
         end_to_end_id, noticed_on, created_at, updated_at) \
         SELECT employer_id, mandate_id, channel, '2027-01-17', amount_centimes, 'planned', 'DUP', noticed_on, created_at, updated_at \
         FROM collections WHERE id = $1",
    )
    .bind(collection)
    .execute(store.pool())
    .await
    .unwrap();
        assert_eq!(duplicate.rows_affected(), 1);
        let second: i64 =
            sqlx::query_scalar("SELECT id FROM collections WHERE end_to_end_id = 'DUP'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        let refused = sqlx::query(
        "INSERT INTO collection_lines (collection_id, declaration_line_id, amount_centimes, live) VALUES ($1, $2, 1, 1)",
    )
    .bind(second)
    .bind(line)
    .execute(store.pool())
    .await;
        assert!(
            refused
                .unwrap_err()
                .as_database_error()
                .unwrap()
                .is_unique_violation()
        );
    }
);

both_backends!(
    a_holiday_moves_planned_debits_to_the_next_business_day_and_says_which,
    |db: TestDb| async move {
        use tahsil::store::CalendarChange;
        let store = db.store().await;
        let a = employer_with_worksites(&store, "16200001", &["W1", "W2"]).await;
        signed_mandate(&store, a, "004 00174 4010010504 86", None).await;
        declare(
            &store,
            a,
            "2026-10",
            &[("W1", "1000.00"), ("W2", "2000.00")],
        )
        .await;
        let c = employer_with_worksites(&store, "16200002", &["W1"]).await;
        signed_mandate(&store, c, "001 00001 0000000001 44", None).await;
        declare(&store, c, "2026-10", &[("W1", "5000.00")]).await;

        // Tuesday 15 December for both; then C's next period on Wednesday 16.
        let (tuesday, wednesday) = (d(2026, 12, 15), d(2026, 12, 16));
        let first = store
            .plan_collections(&actor(), tuesday, d(2026, 12, 1))
            .await
            .unwrap();
        assert_eq!(first.planned, 2);
        declare(&store, c, "2026-11", &[("W1", "6000.00")]).await;
        let second = store
            .plan_collections(&actor(), wednesday, d(2026, 12, 1))
            .await
            .unwrap();
        assert_eq!(second.planned, 1, "only C has lines left");

        // An unconfirmed lunar holiday is announced for the Tuesday.
        let outcome = store
            .change_calendar(
                &actor(),
                &CalendarChange::Add {
                    date: tuesday,
                    name: "Test holiday".to_owned(),
                    lunar: true,
                    confirmed: false,
                },
            )
            .await
            .unwrap();
        assert_eq!(outcome.moved.len(), 1, "{outcome:?}");
        let moved = &outcome.moved[0];
        assert_eq!(
            (
                moved.from.as_str(),
                moved.to.as_str(),
                moved.moved,
                moved.released
            ),
            ("2026-12-15", "2026-12-16", 1, 1),
            "A moves; C already has Wednesday's debit, so its Tuesday one gives its lines back"
        );
        assert!(
            store
                .collections_on(tuesday)
                .await
                .unwrap()
                .iter()
                .all(|c| c.status.as_str() == "cancelled")
        );
        let on_wednesday = store.collections_on(wednesday).await.unwrap();
        let moved_a = on_wednesday.iter().find(|c| c.employer_id == a).unwrap();
        assert_eq!(moved_a.status.as_str(), "planned");
        assert!(
            moved_a.end_to_end_id.starts_with("T20261216M"),
            "{}",
            moved_a.end_to_end_id
        );
        assert_eq!(moved_a.amount.to_string(), "366.30", "12.21 % of 3,000.00");
        // A new advance notice carries the new date; C's released lines are collectible again.
        let notices: Vec<String> = sqlx::query_scalar(
            "SELECT dedupe_key FROM notice_events WHERE kind = 'advance_notice' AND subject_id = $1",
        )
        .bind(moved_a.id)
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(
            notices,
            vec![format!("advance_notice:{}:2026-12-16", moved_a.id)],
            "the unsent notice of the old date is withdrawn, the new date's replaces it"
        );
        let released: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM declaration_line_states s JOIN declarations d ON d.id = s.declaration_id \
             WHERE d.employer_id = $1 AND s.state = 'unpaid'",
        )
        .bind(c)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(released, 1);
        assert!(!store.calendar().await.unwrap().is_business_day(tuesday));

        // Confirming it moves nothing more; an unknown holiday is a clear error; the
        // change is in the audit trail.
        let again = store
            .change_calendar(
                &actor(),
                &CalendarChange::Confirm {
                    date: tuesday,
                    name: "Test holiday".to_owned(),
                },
            )
            .await
            .unwrap();
        assert!(again.moved.is_empty());
        let err = store
            .change_calendar(
                &actor(),
                &CalendarChange::Remove {
                    date: wednesday,
                    name: "No such day".to_owned(),
                },
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("tahsil calendar list"), "{err}");
        let trail = store.audit_trail("calendar", 0).await.unwrap();
        let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"calendar.holiday_added"), "{actions:?}");
        assert!(
            actions.contains(&"calendar.holiday_confirmed"),
            "{actions:?}"
        );
    }
);
