//! The store on both databases: records, transitions, audit, encryption at rest.

use mandates::{AccountId, Amount};
use tahsil::store::{
    NewDeclaration, NewDeclarationLine, NewEmployer, NewMandate, SignMandate, StoreError,
};

use crate::both_backends;
use crate::harness::TestDb;
use crate::harness::fixtures::{actor, employer_with_worksites};

const RIB: &str = "004 00174 4010010504 86";
const RIB_DIGITS: &str = "00400174401001050486";

fn evidence() -> SignMandate {
    SignMandate {
        signer: "Karima Benali".to_owned(),
        ip: "192.0.2.10".to_owned(),
        user_agent: "test-agent".to_owned(),
        consent_version: "2026-01-fr".to_owned(),
        consent_text: "Le texte du mandat signé dans ce test.".to_owned(),
    }
}

both_backends!(
    employers_are_unique_by_affiliation_number,
    |db: TestDb| async move {
        let store = db.store().await;
        employer_with_worksites(&store, "16001234", &["W1"]).await;
        let err = store
            .create_employer(
                &actor(),
                NewEmployer {
                    affiliation_number: "16001234".to_owned(),
                    name: "Another".to_owned(),
                    name_ar: None,
                    email: "x@example.dz".to_owned(),
                    language: None,
                    period_kind: None,
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict(ref m) if m.contains("16001234")),
            "{err}"
        );
        assert_eq!(store.list_employers(0, 10).await.unwrap().len(), 1);
    }
);

both_backends!(
    a_mandate_is_signed_then_replaced_without_a_gap,
    |db: TestDb| async move {
        let store = db.store().await;
        let employer = employer_with_worksites(&store, "16000001", &["W1"]).await;
        let first = store
            .create_mandate(
                &actor(),
                employer,
                NewMandate {
                    account: AccountId::parse(RIB).unwrap(),
                    ceiling: Some(Amount::parse("500000.00").unwrap()),
                },
            )
            .await
            .unwrap();
        assert_eq!(first.status.as_str(), "pending");
        assert_eq!(first.account_masked, "****************0486");
        assert_eq!(first.bank_code, "004");
        let first = store
            .sign_mandate(&actor(), first.id, evidence())
            .await
            .unwrap();
        assert_eq!(first.status.as_str(), "active");
        assert_eq!(first.signature_ip.as_deref(), Some("192.0.2.10"));

        // Signing twice is refused by the domain.
        let again = store
            .sign_mandate(&actor(), first.id, evidence())
            .await
            .unwrap_err();
        assert!(
            matches!(
                again,
                StoreError::Refused {
                    refusal: tahsil::store::Refusal::MandateNotPending,
                    ..
                }
            ),
            "{again}"
        );

        // A replacement stays pending while the first remains active...
        let second = store
            .create_mandate(
                &actor(),
                employer,
                NewMandate {
                    account: AccountId::parse("200 12").unwrap(),
                    ceiling: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(second.account_kind.as_str(), "postal");
        assert_eq!(
            store.mandate(first.id).await.unwrap().status.as_str(),
            "active"
        );
        // ...and signing it supersedes the first in the same transaction.
        let second = store
            .sign_mandate(&actor(), second.id, evidence())
            .await
            .unwrap();
        assert_eq!(second.status.as_str(), "active");
        let first = store.mandate(first.id).await.unwrap();
        assert_eq!(first.status.as_str(), "superseded");
        assert_eq!(first.superseded_by, Some(second.id));

        let revoked = store.revoke_mandate(&actor(), second.id, "").await.unwrap();
        assert_eq!(revoked.status.as_str(), "revoked");
        let trail: Vec<String> = store
            .audit_trail("mandate", first.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            trail,
            ["mandate.created", "mandate.signed", "mandate.superseded"]
        );
    }
);

both_backends!(an_unknown_bank_code_is_refused, |db: TestDb| async move {
    let store = db.store().await;
    let employer = employer_with_worksites(&store, "16000002", &["W1"]).await;
    // Valid key (the bank code is outside it) but bank 099 is not in the table.
    let account = AccountId::parse("099 00174 4010010504 86").unwrap();
    let err = store
        .create_mandate(
            &actor(),
            employer,
            NewMandate {
                account,
                ceiling: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(ref m) if m.contains("099")),
        "{err}"
    );
});

both_backends!(
    account_numbers_are_not_stored_in_clear,
    |db: TestDb| async move {
        let store = db.store().await;
        let employer = employer_with_worksites(&store, "16000003", &["W1"]).await;
        let mandate = store
            .create_mandate(
                &actor(),
                employer,
                NewMandate {
                    account: AccountId::parse(RIB).unwrap(),
                    ceiling: None,
                },
            )
            .await
            .unwrap();
        // No text column of any table holds the digits (or the grouped form).
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT number_encrypted, masked FROM accounts")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert_eq!(rows.len(), 1);
        for (encrypted, masked) in &rows {
            assert!(!encrypted.contains(RIB_DIGITS) && !encrypted.contains("4010010504"));
            assert!(!masked.contains("4010010504"));
        }
        let audit: Vec<String> = sqlx::query_scalar("SELECT detail FROM audit_log")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert!(audit.iter().all(|d| !d.contains("4010010504")), "{audit:?}");
        // The one audited way back to the digits, for bank files.
        let account = store
            .mandate_account_for_bank_file(&actor(), mandate.id, "test")
            .await
            .unwrap();
        assert_eq!(account.digits(), RIB_DIGITS);
        let trail = store.audit_trail("mandate", mandate.id).await.unwrap();
        assert!(trail.iter().any(|e| e.action == "account.read"));
        if db.backend == "sqlite" {
            // Not even the raw database file holds the digits.
            store.close().await;
            let path = tahsil::store::sqlite_path(&db.url).unwrap();
            for file in [path.clone(), path.with_extension("db-wal")] {
                if let Ok(bytes) = std::fs::read(&file) {
                    let text = String::from_utf8_lossy(&bytes);
                    assert!(
                        !text.contains(RIB_DIGITS),
                        "digits in clear in {}",
                        file.display()
                    );
                }
            }
        }
    }
);

both_backends!(the_audit_trail_refuses_changes, |db: TestDb| async move {
    let store = db.store().await;
    employer_with_worksites(&store, "16000004", &[]).await;
    let update = sqlx::query("UPDATE audit_log SET actor = 'someone else'")
        .execute(store.pool())
        .await;
    assert!(update.is_err(), "UPDATE on audit_log must fail");
    let delete = sqlx::query("DELETE FROM audit_log")
        .execute(store.pool())
        .await;
    assert!(delete.is_err(), "DELETE on audit_log must fail");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(count >= 1);
});

both_backends!(
    declaration_amounts_follow_the_dated_rates_to_the_centime,
    |db: TestDb| async move {
        let store = db.store().await;
        let employer = employer_with_worksites(&store, "16000005", &["A", "B"]).await;
        let declaration = store
            .submit_declaration(
                &actor(),
                employer,
                NewDeclaration {
                    period: "2026-10".parse().unwrap(),
                    lines: vec![
                        NewDeclarationLine {
                            worksite_code: "A".to_owned(),
                            headcount: 12,
                            wage_bill: Amount::parse("1000000.00").unwrap(),
                            bad_weather_base: Amount::parse("400000.00").unwrap(),
                        },
                        NewDeclarationLine {
                            worksite_code: "B".to_owned(),
                            headcount: 1,
                            // 12.21 % of 0.04 = 0.004884 → 0.00; 0.375 % of 0.04 → 0.00015 → 0.00
                            wage_bill: Amount::parse("123.45").unwrap(),
                            bad_weather_base: Amount::parse("0.00").unwrap(),
                        },
                    ],
                },
            )
            .await
            .unwrap();
        let a = &declaration.lines[0];
        assert_eq!(a.worksite_code, "A");
        assert_eq!(a.paid_leave.to_string(), "122100.00");
        assert_eq!(a.bad_weather_employer.to_string(), "1500.00");
        assert_eq!(a.bad_weather_employee.to_string(), "1500.00");
        assert_eq!(a.total.to_string(), "125100.00");
        let b = &declaration.lines[1];
        // 123.45 × 12.21 % = 15.073245 → 15.07 (half-up to the centime)
        assert_eq!(b.paid_leave.to_string(), "15.07");
        assert_eq!(b.total.to_string(), "15.07");
        assert_eq!(declaration.total.to_string(), "125115.07");
        assert_eq!(
            store.declaration(declaration.id).await.unwrap(),
            declaration
        );
    }
);

both_backends!(
    a_declaration_with_bad_lines_names_every_line_and_records_nothing,
    |db: TestDb| async move {
        let store = db.store().await;
        let employer = employer_with_worksites(&store, "16000006", &["A", "B"]).await;
        let line = |code: &str, wage: &str| NewDeclarationLine {
            worksite_code: code.to_owned(),
            headcount: 1,
            wage_bill: Amount::parse(wage).unwrap(),
            bad_weather_base: Amount::ZERO,
        };
        let err = store
            .submit_declaration(
                &actor(),
                employer,
                NewDeclaration {
                    period: "2026-10".parse().unwrap(),
                    lines: vec![line("A", "10.00"), line("Z", "10.00"), line("A", "5.00")],
                },
            )
            .await
            .unwrap_err();
        let StoreError::InvalidLines(problems) = err else {
            panic!("{err}")
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0]
                .to_string()
                .starts_with("line 2, field worksite_code"),
            "{problems:?}"
        );
        assert!(
            problems[1]
                .to_string()
                .starts_with("line 3, field worksite_code"),
            "{problems:?}"
        );
        assert!(store.list_declarations(employer).await.unwrap().is_empty());
    }
);

both_backends!(
    reference_data_is_loaded_once_and_kept,
    |db: TestDb| async move {
        let store = db.store().await;
        store.migrate().await.expect("migrating twice is harmless");
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contribution_rates")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(count, 3);
        let calendar = store.calendar().await.unwrap();
        let may_day = chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        assert!(!calendar.is_business_day(may_day));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_migrations_define_the_same_tables_views_and_columns() {
    let Some(pg) = TestDb::postgres().await else {
        return;
    };
    let sqlite = TestDb::sqlite().await;
    let on_sqlite = sqlite.store().await;
    let on_postgres = pg.store().await;
    let mut sqlite_columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
    )
    .fetch_all(on_sqlite.pool())
    .await
    .unwrap();
    let mut postgres_columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(on_postgres.pool())
    .await
    .unwrap();
    sqlite_columns.sort();
    postgres_columns.sort();
    assert!(sqlite_columns.len() > 50, "{sqlite_columns:?}");
    assert_eq!(sqlite_columns, postgres_columns);
}
