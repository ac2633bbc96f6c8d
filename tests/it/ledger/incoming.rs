//! Credits on the fund's own statement that are not its collections find their employer:
//! by the affiliation number or a mandate reference in the remittance information (never
//! by the payer's name alone), recorded as its transfer in the import's transaction; the
//! rest wait for staff, who allocate one to an employer or set it aside. On both databases.

use mandates::Amount;
use tahsil::clock::Clock;
use tahsil::store::{
    Effect, IncomingCredit, ItemFacts, Meaning, NewPayment, NewReport, PaymentChannel, Refusal,
    ReportItem, Store, StoreError, WAITING_POSSIBLE_REPEAT, WAITING_TRANSFER_RECORDED,
};

use super::{assert_balanced, policy, two_employers};
use crate::both_backends;
use crate::harness::TestDb;
use crate::harness::fixtures::{actor, d, employer_with_worksites, scalar};

/// A booked credit in dinars, not one of our collections.
fn credit(key: &str, amount: &str, name: &str, remittance: &str) -> ReportItem {
    ReportItem {
        end_to_end_id: None,
        mandate_reference: None,
        amount: Some(Amount::parse(amount).unwrap()),
        status: Some("BOOK".to_owned()),
        reason_code: None,
        reason_category: None,
        retry_class: None,
        effect: Effect::Info,
        facts: ItemFacts {
            meaning: Some(Meaning::OtherTransaction),
            booked_on: Some(d(2026, 12, 16)),
            value_date: Some(d(2026, 12, 16)),
            credit_debit: Some("CRDT".to_owned()),
            currency: Some("DZD".to_owned()),
            amount_text: None,
            incoming_credit: Some(IncomingCredit {
                entry_key: Some(key.to_owned()),
                entry_reference: Some(format!("N-{key}")),
                end_to_end_id: None,
                debtor_name: Some(name.to_owned()),
                debtor_account: Some("0079 9999 0001 2345 6789".to_owned()),
                remittance: Some(remittance.to_owned()),
            }),
        },
    }
}

fn statement(sha: &str, items: Vec<ReportItem>) -> NewReport {
    NewReport {
        institution: None,
        file_name: format!("camt053-{sha}.xml"),
        sha256: sha.repeat(64 / sha.len()),
        format: "camt.053".to_owned(),
        message_id: Some(format!("STMT-{sha}")),
        original_message_id: None,
        items,
    }
}

both_backends!(
    statement_credits_are_matched_by_affiliation_or_reference_and_the_rest_wait_for_staff,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 16))).await;
        let (a, b) = two_employers(&store).await;
        let owed_a = store.employer_balance(a, None).await.unwrap().total;
        let reference_b: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT reference FROM mandates WHERE employer_id = {b}"
        )))
        .fetch_one(store.pool())
        .await
        .unwrap();
        let name_a = store.employer(a).await.unwrap().name;
        let items = vec![
            credit(
                "BK-1",
                &owed_a.to_string(),
                "Quelqu'un",
                "Cotisations oct. affiliation 16-000001",
            ),
            credit(
                "BK-2",
                "5000.00",
                "Autre payeur",
                &format!("prelevement {reference_b} solde"),
            ),
            // The payer's name is A's, exactly: not enough.
            credit("BK-3", "777.00", &name_a, "facture 2026/118"),
        ];
        let summary = store
            .apply_report(
                &actor(),
                &statement("a1", items.clone()),
                policy(d(2026, 12, 16)),
            )
            .await
            .unwrap();
        assert_eq!(
            (summary.incoming_credits, summary.incoming_credits_matched),
            (3, 2),
            "{summary:?}"
        );
        // A's transfer paid its lines; B's is a credit (nothing declared beyond its line).
        let payments_a = store.employer_payments(a).await.unwrap();
        assert_eq!(payments_a.len(), 1);
        // Its reference is the credit's own; the bank's are kept in the note.
        assert!(
            payments_a[0].reference.starts_with("CRDT-"),
            "{:?}",
            payments_a[0]
        );
        assert_eq!(
            payments_a[0].note.as_deref(),
            Some("NtryRef N-BK-1, AcctSvcrRef BK-1")
        );
        assert_eq!(payments_a[0].received_on, "2026-12-16");
        assert_eq!(payments_a[0].channel.as_str(), "transfer");
        assert_eq!(
            store.employer_balance(a, None).await.unwrap(),
            tahsil::store::Balance::default()
        );
        let payments_b = store.employer_payments(b).await.unwrap();
        assert_eq!(payments_b.len(), 1);
        assert_eq!(payments_b[0].amount, Amount::parse("5000.00").unwrap());
        assert_balanced(&store).await;

        // The third waits, shown to staff with what identifies it (account masked).
        let waiting = store.waiting_credits(100).await.unwrap();
        assert_eq!(waiting.len(), 1, "{waiting:?}");
        let w = &waiting[0];
        assert_eq!(w.amount, Some(Amount::parse("777.00").unwrap()));
        assert_eq!(w.debtor_name.as_deref(), Some(name_a.as_str()));
        assert_eq!(w.remittance.as_deref(), Some("facture 2026/118"));
        assert_eq!(w.booked_on.as_deref(), Some("2026-12-16"));
        let masked = w.account_masked.clone().unwrap();
        assert!(
            masked.ends_with("6789") && !masked.contains("0079"),
            "{masked}"
        );

        // The same statement again changes nothing (refused by its bytes), nor do the same
        // entries in another report (an intraday one, then the day's statement).
        let again = store
            .apply_report(
                &actor(),
                &statement("a1", items.clone()),
                policy(d(2026, 12, 16)),
            )
            .await
            .unwrap();
        assert!(again.already_imported);
        let other = store
            .apply_report(&actor(), &statement("b2", items), policy(d(2026, 12, 17)))
            .await
            .unwrap();
        assert_eq!(
            (other.incoming_credits, other.incoming_credits_matched),
            (0, 0),
            "{other:?}"
        );
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM payments").await, 2);
        assert_eq!(store.waiting_credits(100).await.unwrap().len(), 1);

        // Staff: setting it aside needs a reason; allocating it to B records B's payment.
        let no_reason = store.dismiss_incoming_credit(&actor(), w.id, "  ").await;
        assert!(
            matches!(
                no_reason,
                Err(StoreError::Refused {
                    refusal: Refusal::IncomingCreditReason,
                    ..
                })
            ),
            "{no_reason:?}"
        );
        let unknown = store
            .allocate_incoming_credit(&actor(), w.id, "99999999")
            .await;
        assert!(
            matches!(unknown, Err(StoreError::NotFound { .. })),
            "{unknown:?}"
        );
        let outcome = store
            .allocate_incoming_credit(&actor(), w.id, "16000002")
            .await
            .unwrap();
        assert_eq!(outcome.payment.employer_id, b);
        assert_eq!(outcome.payment.reference, format!("CRDT-{}", w.id));
        assert!(store.waiting_credits(100).await.unwrap().is_empty());
        assert_eq!(store.employer_payments(b).await.unwrap().len(), 2);
        // Handled once: a second allocation or a dismissal is refused, nothing recorded.
        let twice = store
            .allocate_incoming_credit(&actor(), w.id, "16000002")
            .await;
        assert!(
            matches!(
                twice,
                Err(StoreError::Refused {
                    refusal: Refusal::IncomingCreditHandled,
                    ..
                })
            ),
            "{twice:?}"
        );
        let dismissed = store
            .dismiss_incoming_credit(&actor(), w.id, "erreur")
            .await;
        assert!(dismissed.is_err(), "{dismissed:?}");
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM payments").await, 3);
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action IN ('incoming_credit.matched', 'incoming_credit.allocated')"
            )
            .await,
            3
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM incoming_credits WHERE payment_id IS NOT NULL"
            )
            .await,
            3
        );
        assert_balanced(&store).await;
    }
);

both_backends!(
    a_credit_not_for_the_fund_is_set_aside_with_its_reason,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 16))).await;
        two_employers(&store).await;
        let summary = store
            .apply_report(
                &actor(),
                &statement(
                    "c3",
                    vec![credit("BK-9", "120.00", "Banque", "frais 2026-12")],
                ),
                policy(d(2026, 12, 16)),
            )
            .await
            .unwrap();
        assert_eq!(summary.incoming_credits_matched, 0);
        let waiting = store.waiting_credits(100).await.unwrap();
        store
            .dismiss_incoming_credit(&actor(), waiting[0].id, "remboursement de frais bancaires")
            .await
            .unwrap();
        assert!(store.waiting_credits(100).await.unwrap().is_empty());
        let (status, reason): (String, String) =
            sqlx::query_as("SELECT status, dismissed_reason FROM incoming_credits")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(
            (status.as_str(), reason.as_str()),
            ("dismissed", "remboursement de frais bancaires")
        );
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM payments").await, 0);
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'incoming_credit.dismissed'"
            )
            .await,
            1
        );
    }
);

both_backends!(
    staff_allocate_a_waiting_credit_in_the_console,
    |db: TestDb| async move {
        let app =
            crate::harness::WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 16))).await;
        let store = &app.store;
        let (_, b) = two_employers(store).await;
        store
            .apply_report(
                &actor(),
                &statement(
                    "d4",
                    vec![
                        credit("BK-7", "20000.00", "Payeur Inconnu", "cotisation novembre"),
                        credit("BK-8", "50.00", "Banque", "frais"),
                    ],
                ),
                policy(d(2026, 12, 16)),
            )
            .await
            .unwrap();
        let waiting = store.waiting_credits(100).await.unwrap();
        let (first, second) = (waiting[0].id, waiting[1].id);
        crate::harness::fixtures::add_user(
            store,
            "finance@fund.dz",
            tahsil::store::Role::Finance,
            &[],
        )
        .await;
        let staff = app.signed_in("finance@fund.dz").await;
        let (status, page) = staff.get("/console/credits").await;
        assert_eq!(status, reqwest::StatusCode::OK);
        assert!(page.contains(&format!("id=\"credit-{first}\"")), "{page}");
        assert!(
            page.contains("Payeur Inconnu") && page.contains("cotisation novembre"),
            "{page}"
        );
        assert!(
            page.contains("****") && !page.contains("0079 9999"),
            "{page}"
        );
        // An unknown affiliation number: said so, nothing recorded.
        let (status, page, _) = staff
            .post(
                &format!("/console/credits/{first}/allocate"),
                &[("affiliation", "12345678")],
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("id=\"error\""), "{page}");
        assert_eq!(scalar(store, "SELECT COUNT(*) FROM payments").await, 0);
        // Allocated to B: B's payment, then the list without it (POST, redirect, GET).
        let (status, _, location) = staff
            .post(
                &format!("/console/credits/{first}/allocate"),
                &[("affiliation", "16000002")],
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some("/console/credits?done=allocated"));
        assert_eq!(store.employer_payments(b).await.unwrap().len(), 1);
        // Set aside without a reason: refused; with one: gone from the list.
        let (status, _, _) = staff
            .post(
                &format!("/console/credits/{second}/dismiss"),
                &[("reason", "")],
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let (status, _, location) = staff
            .post(
                &format!("/console/credits/{second}/dismiss"),
                &[("reason", "frais bancaires")],
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::SEE_OTHER);
        let (_, page) = staff.get(location.as_deref().unwrap()).await;
        assert!(
            page.contains("id=\"notice\"") && page.contains("id=\"no-credits\""),
            "{page}"
        );
        // Without the CSRF token: refused.
        let refused = staff
            .client
            .post(app.url(&format!("/console/credits/{second}/dismiss")))
            .form(&[("reason", "x")])
            .send()
            .await
            .unwrap();
        assert!(refused.status().is_client_error(), "{}", refused.status());
        assert_balanced(store).await;
    }
);

/// The reference of employer `employer`'s mandate.
async fn mandate_reference(store: &Store, employer: i64) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT reference FROM mandates WHERE employer_id = {employer}"
    )))
    .fetch_one(store.pool())
    .await
    .unwrap()
}

/// The waiting reason of the credit the bank referenced `key`.
async fn waiting_reason(store: &Store, key: &str) -> (String, Option<String>) {
    sqlx::query_as(
        "SELECT status, waiting_reason FROM incoming_credits WHERE entry_reference = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(key)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

both_backends!(
    a_date_or_an_amount_in_the_remittance_never_names_an_employer_nor_do_two_employers,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 16))).await;
        let (a, b) = two_employers(&store).await;
        // Employers whose affiliation numbers read like a date and an amount.
        employer_with_worksites(&store, "16102026", &["X1"]).await;
        employer_with_worksites(&store, "16000456", &["X2"]).await;
        let reference_b = mandate_reference(&store, b).await;
        // Many words before the real number: all are looked up (no cap).
        let padding: String = (10..60).map(|n| format!("LOT{n} ")).collect();
        let items = vec![
            credit("BK-D", "300.00", "Payeur", "Cotisations du 16/10/2026"),
            credit("BK-M", "400.00", "Payeur", "montant 16.000.456,00 DA"),
            credit(
                "BK-Y",
                "450.00",
                "Payeur",
                "periode 2026-12-16 et 16000456,00",
            ),
            // A's affiliation number and B's mandate reference: two employers, waits.
            credit(
                "BK-2",
                "500.00",
                "Payeur",
                &format!("AFF 16000001 mandat {reference_b}"),
            ),
            credit(
                "BK-S",
                "600.00",
                "Payeur",
                &format!("{padding}affiliation 16 000002 novembre"),
            ),
            credit("BK-H", "650.00", "Payeur", "cotisations 16-000001."),
        ];
        let summary = store
            .apply_report(&actor(), &statement("e1", items), policy(d(2026, 12, 16)))
            .await
            .unwrap();
        assert_eq!(
            (summary.incoming_credits, summary.incoming_credits_matched),
            (6, 2),
            "{summary:?}"
        );
        for key in ["N-BK-D", "N-BK-M", "N-BK-Y", "N-BK-2"] {
            assert_eq!(
                waiting_reason(&store, key).await,
                ("waiting".to_owned(), None),
                "{key}"
            );
        }
        let paid_b = store.employer_payments(b).await.unwrap();
        assert_eq!(paid_b.len(), 1);
        assert_eq!(paid_b[0].amount, Amount::parse("600.00").unwrap());
        let paid_a = store.employer_payments(a).await.unwrap();
        assert_eq!(paid_a.len(), 1);
        assert_eq!(paid_a[0].amount, Amount::parse("650.00").unwrap());
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM payments").await, 2);
        assert_balanced(&store).await;
    }
);

both_backends!(
    a_transfer_recorded_by_hand_makes_the_same_money_on_the_statement_wait,
    |db: TestDb| async move {
        let app =
            crate::harness::WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 16))).await;
        let store = &app.store;
        let (a, _) = two_employers(store).await;
        let by_hand = |amount: &str, on| NewPayment {
            employer_id: a,
            amount: Amount::parse(amount).unwrap(),
            received_on: on,
            channel: PaymentChannel::Transfer,
            reference: format!("VIR-STAFF-{amount}"),
            note: None,
        };
        // Staff record a transfer of 1234.00 received on the 10th (six days before the
        // booking), and one of 999.00 received on the 1st (fifteen days before).
        store
            .record_payment(&actor(), by_hand("1234.00", d(2026, 12, 10)))
            .await
            .unwrap();
        store
            .record_payment(&actor(), by_hand("999.00", d(2026, 12, 1)))
            .await
            .unwrap();
        let items = vec![
            credit("BK-R", "1234.00", "Payeur", "affiliation 16000001"),
            credit("BK-F", "999.00", "Payeur", "affiliation 16000001"),
        ];
        let summary = store
            .apply_report(&actor(), &statement("f2", items), policy(d(2026, 12, 16)))
            .await
            .unwrap();
        assert_eq!(summary.incoming_credits_matched, 1, "{summary:?}");
        assert_eq!(
            waiting_reason(store, "N-BK-R").await,
            (
                "waiting".to_owned(),
                Some(WAITING_TRANSFER_RECORDED.to_owned())
            )
        );
        assert_eq!(waiting_reason(store, "N-BK-F").await.0, "matched");
        assert_eq!(store.employer_payments(a).await.unwrap().len(), 3);
        // The console says why it waits.
        crate::harness::fixtures::add_user(
            store,
            "finance@fund.dz",
            tahsil::store::Role::Finance,
            &[],
        )
        .await;
        let staff = app.signed_in("finance@fund.dz").await;
        let (_, page) = staff.get("/console/credits").await;
        let waiting = store.waiting_credits(100).await.unwrap();
        assert_eq!(waiting.len(), 1);
        assert!(
            page.contains(&format!("id=\"why-{}\"", waiting[0].id))
                && (page.contains("Un virement de ce montant est déjà enregistré")
                    || page.contains("سبق تسجيل تحويل بهذا المبلغ")),
            "{page}"
        );
        assert_balanced(store).await;
    }
);

both_backends!(
    the_same_transfer_in_an_intraday_report_and_the_day_statement_is_paid_once,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 16))).await;
        let (_, b) = two_employers(&store).await;
        // No AcctSvcrRef, the payer's EndToEndId; the bank numbers entries per report.
        let mut e2e = credit("unused", "700.00", "Payeur", "affiliation 16000002");
        let c = e2e.facts.incoming_credit.as_mut().unwrap();
        c.entry_key = None;
        c.entry_reference = Some("1".to_owned());
        c.end_to_end_id = Some("E2E-77".to_owned());
        // No reference at all.
        let mut bare = credit("unused", "800.00", "Payeur", "affiliation 16000002");
        let c = bare.facts.incoming_credit.as_mut().unwrap();
        c.entry_key = None;
        c.entry_reference = Some("2".to_owned());
        let intraday = store
            .apply_report(
                &actor(),
                &statement("a5", vec![e2e.clone(), bare.clone()]),
                policy(d(2026, 12, 16)),
            )
            .await
            .unwrap();
        assert_eq!(
            (intraday.incoming_credits, intraday.incoming_credits_matched),
            (2, 2)
        );
        let day = store
            .apply_report(
                &actor(),
                &statement("b6", vec![e2e, bare]),
                policy(d(2026, 12, 17)),
            )
            .await
            .unwrap();
        // The first is the same transfer (kept once); the second may be: staff decide.
        assert_eq!(
            (day.incoming_credits, day.incoming_credits_matched),
            (1, 0),
            "{day:?}"
        );
        assert_eq!(store.employer_payments(b).await.unwrap().len(), 2);
        let waiting = store.waiting_credits(100).await.unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(
            waiting[0].waiting_reason.as_deref(),
            Some(WAITING_POSSIBLE_REPEAT)
        );
        assert_balanced(&store).await;
    }
);
