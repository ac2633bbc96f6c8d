//! Follow-ups on ceilings and open dates (issue 14): a shortfall is shown only until its
//! notice deadline, and a debit planning cancelled for the ceiling is planned again on its
//! date once the ceiling allows. On both databases.

use mandates::Amount;
use tahsil::clock::Clock;

use super::{Debit, advance_notices, correct, debit, declared, more_passes, pass, planning_state};
use crate::both_backends;
use crate::harness::fixtures::{
    actor, add_user, d, declare, employer_with_worksites, scalar, signed_mandate,
};
use crate::harness::{TestDb, WebApp};
use tahsil::store::Role;

both_backends!(
    a_shortfall_is_shown_until_its_deadline_then_the_amounts_wait_for_the_next_date,
    |db: TestDb| async move {
        let clock = Clock::fixed_on(d(2026, 12, 2));
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        let s = &app.store;
        let c = employer_with_worksites(s, "16000003", &["W1"]).await;
        signed_mandate(s, c, "004 00174 4010010504 86", Some("1000.00")).await;
        declare(s, c, "2026-11", &[("W1", "100000.00")]).await;
        pass(&app).await;
        add_user(s, "finance@fund.dz", Role::Finance, &[]).await;
        add_user(s, "gerant@c.dz", Role::Employer, &["16000003"]).await;
        let dates = |list: Vec<tahsil::store::CeilingShortfall>| {
            list.into_iter()
                .map(|x| (x.collection_date, x.deadline))
                .collect::<Vec<_>>()
        };
        let december = ("2026-12-15".to_owned(), "2026-12-10".to_owned());

        // On the deadline day a raised ceiling still makes the 15th: shown.
        clock.set(d(2026, 12, 10).and_hms_opt(9, 0, 0).unwrap().and_utc());
        let today = clock.today();
        assert_eq!(
            dates(s.ceiling_shortfalls(today).await.unwrap()),
            vec![december.clone()]
        );
        let staff = app.signed_in("finance@fund.dz").await;
        let (_, page) = staff.get("/console").await;
        assert!(page.contains("id=\"over-ceiling-count\">1<"), "{page}");
        assert!(page.contains("10/12/2026"), "{page}");
        let employer = app.signed_in("gerant@c.dz").await;
        let (_, page) = employer.get(&format!("/portal/{c}")).await;
        assert_eq!(page.matches("id=\"over-ceiling\"").count(), 1, "{page}");
        assert!(page.contains("15/12/2026"), "{page}");

        // The day after: the 15th can no longer be made, its shortfall is no longer shown;
        // the amounts wait for January, whose plan records a shortfall of its own.
        clock.set(d(2026, 12, 11).and_hms_opt(9, 0, 0).unwrap().and_utc());
        let today = clock.today();
        assert_eq!(
            dates(s.ceiling_shortfalls(today).await.unwrap()),
            Vec::<(String, String)>::new()
        );
        assert_eq!(
            dates(s.employer_ceiling_shortfalls(c, today).await.unwrap()),
            Vec::<(String, String)>::new()
        );
        pass(&app).await;
        let open = dates(s.ceiling_shortfalls(today).await.unwrap());
        assert_eq!(open.len(), 1, "{open:?}");
        assert!(open[0].0.starts_with("2027-01"), "{open:?}");
        assert_eq!(
            dates(s.employer_ceiling_shortfalls(c, today).await.unwrap()),
            open
        );
        let staff = app.signed_in("finance@fund.dz").await;
        let (_, page) = staff.get("/console").await;
        assert!(page.contains("id=\"over-ceiling-count\">1<"), "{page}");
        assert!(!page.contains("10/12/2026"), "the missed deadline: {page}");
        assert!(
            page.contains(&tahsil::locale::written_day_of(&open[0].1)),
            "January's deadline: {page}"
        );
        let employer = app.signed_in("gerant@c.dz").await;
        let (_, page) = employer.get(&format!("/portal/{c}")).await;
        assert_eq!(page.matches("id=\"over-ceiling\"").count(), 1, "{page}");
        assert!(!page.contains("10/12/2026"), "{page}");
        assert!(
            page.contains(&tahsil::locale::written_day_of(&open[0].0)),
            "{page}"
        );
        assert_eq!(
            debit(s, c, "2026-12-15").await,
            None,
            "never debited on the 15th"
        );
    }
);

both_backends!(
    a_debit_cancelled_over_the_ceiling_is_planned_again_on_its_date_once_raised,
    |db: TestDb| async move {
        let clock = Clock::fixed_on(d(2026, 12, 2));
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        let s = &app.store;
        let c = employer_with_worksites(s, "16000003", &["W1"]).await;
        let mandate = signed_mandate(s, c, "004 00174 4010010504 86", Some("1000.00")).await;
        declare(s, c, "2026-11", &[("W1", "1000.00")]).await;
        pass(&app).await;
        let first = debit(s, c, "2026-12-15").await.expect("within the ceiling");
        assert_eq!((first.status.as_str(), first.version), ("planned", 1));
        sqlx::query("UPDATE notice_events SET status = 'sent' WHERE kind = 'advance_notice'")
            .execute(s.pool())
            .await
            .unwrap();

        // 4 December: November corrected upwards, above the ceiling: the debit, left
        // without lines, is cancelled.
        clock.set(d(2026, 12, 4).and_hms_opt(9, 0, 0).unwrap().and_utc());
        correct(s, c, "2026-11", &[("W1", "100000.00")]).await;
        pass(&app).await;
        let owed = declared(s, c, "2026-11").await;
        assert!(owed > 100_000, "above the ceiling: {owed}");
        let cancelled = debit(s, c, "2026-12-15").await.unwrap();
        assert_eq!(
            (cancelled.id, cancelled.status.as_str()),
            (first.id, "cancelled")
        );
        let reason: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT reason_code FROM collections WHERE id = {}",
            first.id
        )))
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!(reason, "over_ceiling");

        // 6 December, before the deadline (the 10th): the ceiling raised, the next pass
        // plans the employer on the 15th after all — the same row, announced again.
        clock.set(d(2026, 12, 6).and_hms_opt(9, 0, 0).unwrap().and_utc());
        s.set_mandate_ceiling(
            &actor(),
            mandate,
            Some(Amount::parse("1000000.00").unwrap()),
        )
        .await
        .unwrap();
        pass(&app).await;
        let revived = debit(s, c, "2026-12-15").await.expect("planned again");
        assert_eq!(
            revived,
            Debit {
                id: first.id,
                amount: owed,
                status: "planned".to_owned(),
                version: cancelled.version + 1,
                announced: Some(owed),
                earliest: Some("2026-12-11".to_owned()),
            }
        );
        let live: i64 = scalar(
            s,
            &format!(
                "SELECT CAST(SUM(amount_centimes) AS BIGINT) FROM collection_lines \
                 WHERE collection_id = {} AND live = 1",
                first.id
            ),
        )
        .await;
        assert_eq!(live, owed, "its amount is the sum of its live lines");
        let notices = advance_notices(s, first.id).await;
        assert_eq!(
            notices.last(),
            Some(&(
                format!("advance_notice:{}:v{}", first.id, revived.version),
                "pending".to_owned()
            )),
            "announced again: {notices:?}"
        );
        assert!(
            s.ceiling_shortfalls(clock.today())
                .await
                .unwrap()
                .is_empty(),
            "the shortfall is resolved"
        );
        let settled_state = planning_state(s).await;
        more_passes(&app, &clock).await;
        assert_eq!(
            planning_state(s).await,
            settled_state,
            "passes plan nothing twice"
        );

        // The file day: it is filed for what was announced.
        clock.set(d(2026, 12, 13).and_hms_opt(9, 0, 0).unwrap().and_utc());
        pass(&app).await;
        assert_eq!(debit(s, c, "2026-12-15").await.unwrap().status, "submitted");
    }
);
