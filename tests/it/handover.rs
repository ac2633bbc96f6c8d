//! A new account while a debit is planned (issue 20 point 1), on both databases: the debit
//! announced on the replaced mandate is presented on the new one — same date, same amount,
//! the new account's channel — the run's re-check keeps it, planning again adds nothing,
//! the totals follow, the audit names it, and the replacement notice says so in both
//! languages.

use tahsil::store::{NoticeKind, RecheckSummary};

use crate::both_backends;
use crate::harness::TestDb;
use crate::harness::fixtures::{
    actor, assert_totals_kept, d, declare, employer_with_worksites, signed_mandate,
};

both_backends!(
    a_new_mandate_takes_over_the_debits_planned_on_the_one_it_replaces,
    |db: TestDb| async move {
        let store = db.store().await;
        let employer = employer_with_worksites(&store, "16000001", &["W1"]).await;
        let old = signed_mandate(&store, employer, "004 00174 4010010504 86", None).await;
        declare(&store, employer, "2026-11", &[("W1", "100000.00")]).await;
        let date = d(2026, 12, 15);
        let plan = store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        assert_eq!(plan.planned, 1);
        // A postal account replaces the bank one.
        let new = signed_mandate(&store, employer, "23115007 32", None).await;

        let (mandate, channel, status, amount): (i64, String, String, i64) = sqlx::query_as(
            "SELECT mandate_id, channel, status, amount_centimes FROM collections WHERE employer_id = $1",
        )
        .bind(employer)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(
            (mandate, channel.as_str(), status.as_str(), amount),
            (new, "postal", "planned", plan.amount.centimes())
        );
        assert_totals_kept(&store).await;
        let superseded = store
            .audit_trail("mandate", old)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.action == "mandate.superseded")
            .unwrap();
        let detail: serde_json::Value = serde_json::from_str(&superseded.detail).unwrap();
        assert_eq!(detail["debits_handed_over"].as_array().unwrap().len(), 1);

        // Planning the date again adds nothing; the run's re-check keeps the debit.
        let again = store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        assert_eq!((again.planned, again.amended), (0, 0));
        let recheck = store
            .recheck_planned(&actor(), date, d(2026, 12, 10))
            .await
            .unwrap();
        assert_eq!(recheck, RecheckSummary::default());
        let status: String =
            sqlx::query_scalar("SELECT status FROM collections WHERE employer_id = $1")
                .bind(employer)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(status, "planned");
        assert_totals_kept(&store).await;

        // The replacement notice names the debit that follows, in both languages.
        let mails = tempfile::tempdir().unwrap();
        tahsil::notices::deliver_all(
            &store,
            &crate::web::folder_mailer(mails.path()),
            &crate::web::notice_settings(None),
            "test",
            std::time::Duration::from_secs(20),
        )
        .await
        .unwrap();
        let replaced = store
            .notices_for_employer(employer, 50)
            .await
            .unwrap()
            .into_iter()
            .find(|n| n.kind == NoticeKind::MandateReplaced)
            .unwrap();
        let text = replaced.body_text.unwrap();
        let fr = tahsil::web::format_money(plan.amount, "fr").unwrap();
        let ar = tahsil::web::format_money(plan.amount, "ar").unwrap();
        assert!(
            text.contains(&format!(
                "Le prélèvement du 15/12/2026 ({fr}), déjà annoncé, sera présenté sur ce nouveau compte"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("سيُقدَّم اقتطاع 15/12/2026 ({ar})")),
            "{text}"
        );
    }
);
