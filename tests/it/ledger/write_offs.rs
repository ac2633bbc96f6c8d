//! Write-offs (issue 15 point 1): a line written off leaves planning and the ledger agrees;
//! a line in a bank file is refused; twice writes once; a planned debit loses the lines
//! written off; the command line. On both databases.

use mandates::Amount;
use tahsil::clock::Clock;
use tahsil::store::{NewWriteOff, Refusal, Role, Store, StoreError, WriteOffOutcome};

use super::{assert_balanced, line_totals, of, tahsil, two_employers};
use crate::both_backends;
use crate::harness::TestDb;
use crate::harness::fixtures::{actor, add_user, d, scalar};

/// The employer's declared line ids, oldest first.
async fn line_ids(store: &Store, employer: i64) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT l.id FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
         WHERE d.employer_id = {employer} ORDER BY d.due_from, d.period, l.id"
    )))
    .fetch_all(store.pool())
    .await
    .unwrap()
}

async fn write_off(
    store: &Store,
    employer: i64,
    lines: &[i64],
) -> Result<WriteOffOutcome, StoreError> {
    store
        .write_off_lines(
            &actor(),
            NewWriteOff {
                employer_id: employer,
                lines: lines.to_vec(),
                reason: "entreprise liquidée".to_owned(),
                by: "agent recouvrement".to_owned(),
            },
        )
        .await
}

/// The store refused with this code (and wrote nothing, which the callers check).
fn assert_refused(result: Result<WriteOffOutcome, StoreError>, expected: Refusal) {
    match result {
        Err(StoreError::Refused { refusal, .. }) => assert_eq!(refusal, expected),
        other => panic!("expected {}: {other:?}", expected.code()),
    }
}

async fn state(store: &Store, line: i64) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT state FROM declaration_line_states WHERE declaration_line_id = {line}"
    )))
    .fetch_one(store.pool())
    .await
    .unwrap()
}

both_backends!(
    a_line_written_off_leaves_the_next_plan_once_and_a_line_in_a_file_is_refused,
    |db: TestDb| async move {
        let app =
            crate::harness::WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, _b) = two_employers(store).await;
        let totals = line_totals(store, a).await;
        let ids = line_ids(store, a).await;
        let before = store.employer_balance(a, None).await.unwrap().total;

        let done = write_off(store, a, &[ids[0]]).await.unwrap();
        assert_eq!(done.written_off, vec![ids[0]]);
        assert_eq!(done.amount_centimes, totals[0]);
        assert!(done.already.is_empty() && done.debits_reduced.is_empty());
        assert_eq!(state(store, ids[0]).await, "written_off");
        let after = store.employer_balance(a, None).await.unwrap().total;
        assert_eq!(after.centimes(), before.centimes() - totals[0]);
        assert_balanced(store).await;

        // Twice: nothing written again.
        let again = write_off(store, a, &[ids[0]]).await.unwrap();
        assert_eq!(again.written_off, Vec::<i64>::new());
        assert_eq!(again.already, vec![ids[0]]);
        assert_eq!(
            scalar(store, "SELECT COUNT(*) FROM line_write_offs").await,
            1
        );
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'write_off'"
            )
            .await,
            1
        );
        assert_eq!(
            scalar(
                store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.write_off'"
            )
            .await,
            1
        );
        assert_balanced(store).await;

        // The next plan collects the other line alone.
        let date = d(2026, 12, 15);
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        let planned = store.collections_on(date).await.unwrap();
        assert_eq!(of(&planned, a).unwrap().amount.centimes(), totals[1]);
        assert_eq!(
            scalar(
                store,
                &format!(
                    "SELECT COUNT(*) FROM collection_lines WHERE declaration_line_id = {}",
                    ids[0]
                )
            )
            .await,
            0
        );

        // Once the debit is in a file, its line is the bank's: refused, nothing written.
        tahsil::cycle::run::run_date(store, &app.settings, &actor(), date, "test")
            .await
            .unwrap();
        let refused = write_off(store, a, &[ids[1]]).await;
        match refused {
            Err(StoreError::Refused { refusal, message }) => {
                assert_eq!(refusal, Refusal::WriteOffLineInFile);
                assert!(refusal.is_conflict());
                assert!(message.contains("bank file"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        // Without lines named, nothing is left outside the file: refused too.
        let nothing = write_off(store, a, &[]).await;
        assert_refused(nothing, Refusal::WriteOffNothingOwed);
        // A line of another employer, or unknown, is refused.
        let unknown = write_off(store, a, &[999_999]).await;
        assert_refused(unknown, Refusal::WriteOffLineNotOwed);
        // Without a reason, or without who decided it: refused before anything is read.
        let mut blank = NewWriteOff {
            employer_id: a,
            lines: Vec::new(),
            reason: "  ".to_owned(),
            by: "agent recouvrement".to_owned(),
        };
        assert_refused(
            store.write_off_lines(&actor(), blank.clone()).await,
            Refusal::WriteOffReason,
        );
        blank.reason = "entreprise liquidée".to_owned();
        blank.by = String::new();
        assert_refused(
            store.write_off_lines(&actor(), blank).await,
            Refusal::WriteOffBy,
        );
        assert_eq!(
            scalar(store, "SELECT COUNT(*) FROM line_write_offs").await,
            1
        );
        assert_eq!(state(store, ids[1]).await, "scheduled");
        assert_balanced(store).await;
    }
);

both_backends!(
    a_write_off_of_every_line_cancels_the_planned_debit_holding_them,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let (a, b) = two_employers(&store).await;
        let date = d(2026, 12, 15);
        store
            .plan_collections(&actor(), date, d(2026, 12, 1))
            .await
            .unwrap();
        let planned = store.collections_on(date).await.unwrap();
        let (ca, cb) = (of(&planned, a).unwrap().id, of(&planned, b).unwrap().id);
        // Both advance notices went out.
        sqlx::query("UPDATE notice_events SET status = 'sent' WHERE kind = 'advance_notice'")
            .execute(store.pool())
            .await
            .unwrap();
        let totals = line_totals(&store, a).await;
        let ids = line_ids(&store, a).await;

        // A's first line: its debit keeps the second.
        let done = write_off(&store, a, &[ids[0]]).await.unwrap();
        assert_eq!(done.debits_reduced, vec![ca]);
        let amount = scalar(
            &store,
            &format!("SELECT amount_centimes FROM collections WHERE id = {ca}"),
        )
        .await;
        assert_eq!(amount, totals[1]);
        assert_balanced(&store).await;

        // All of B's lines (none named): its debit is cancelled.
        let done = write_off(&store, b, &[]).await.unwrap();
        assert_eq!(done.debits_cancelled, vec![cb]);
        // With its own reason (not "paid otherwise"), and B told.
        let reason: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT reason_code FROM collections WHERE id = {cb} AND status = 'cancelled'"
        )))
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(reason, "written_off");
        assert_eq!(
            scalar(
                &store,
                &format!(
                    "SELECT COUNT(*) FROM notice_events WHERE kind = 'debit_cancelled' AND subject_id = {cb}"
                )
            )
            .await,
            1
        );
        assert_eq!(
            store.employer_balance(b, None).await.unwrap().total,
            Amount::ZERO
        );
        assert_balanced(&store).await;
        // No line is both written off and in a live debit.
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM line_write_offs w JOIN collection_lines cl \
                 ON cl.declaration_line_id = w.declaration_line_id AND cl.live = 1"
            )
            .await,
            0
        );
        // A payment afterwards never pays a line written off.
        let rest = Amount::from_centimes(totals[1]);
        let paid = crate::ledger::pay(&store, a, rest, "VIR-WO").await;
        assert_eq!((paid.lines_paid, paid.unallocated), (1, Amount::ZERO));
        assert_balanced(&store).await;
    }
);

both_backends!(
    the_command_line_writes_off_lines_and_the_ledger_stays_balanced,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let (a, _b) = two_employers(&store).await;
        let ids = line_ids(&store, a).await;
        let line = ids[1].to_string();
        let args = [
            "ledger",
            "write-off",
            "--employer",
            "16000001",
            "--line",
            &line,
            "--reason",
            "faillite prononcée",
            "--by",
            "Mme Benali",
        ];
        let output = tahsil(&db, &args);
        assert!(output.status.success(), "{output:?}");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(text.contains("1 declared line(s)"), "{text}");
        let again = tahsil(&db, &args);
        assert!(again.status.success(), "{again:?}");
        assert!(
            String::from_utf8_lossy(&again.stdout).contains("already written off"),
            "{again:?}"
        );
        let no_reason = tahsil(
            &db,
            &[
                "ledger",
                "write-off",
                "--employer",
                "16000001",
                "--reason",
                " ",
                "--by",
                "x",
            ],
        );
        assert!(!no_reason.status.success());
        assert!(String::from_utf8_lossy(&no_reason.stderr).contains("reason"));
        assert_eq!(
            scalar(&store, "SELECT COUNT(*) FROM line_write_offs").await,
            1
        );
        // Every write-off needs a second person from now on: the next one only asks.
        let four_eyes = tahsil(&db, &["ledger", "write-off-four-eyes", "--amount", "0.00"]);
        assert!(four_eyes.status.success(), "{four_eyes:?}");
        let line = ids[0].to_string();
        let asked = tahsil(
            &db,
            &[
                "ledger",
                "write-off",
                "--employer",
                "16000001",
                "--line",
                &line,
                "--reason",
                "faillite",
                "--by",
                "Mme Benali",
            ],
        );
        assert!(asked.status.success(), "{asked:?}");
        assert!(
            String::from_utf8_lossy(&asked.stdout).contains("waits for a second member of staff"),
            "{asked:?}"
        );
        assert_eq!(state(&store, ids[0]).await, "submitted");
        assert_eq!(
            scalar(
                &store,
                "SELECT COUNT(*) FROM write_off_requests WHERE status = 'pending'"
            )
            .await,
            1
        );
        let check = tahsil(&db, &["ledger", "check"]);
        assert!(check.status.success(), "{check:?}");
        assert_balanced(&store).await;
    }
);

/// A staff member's browser on the write-offs page: posts and what it answered.
async fn staff_post(
    staff: &crate::harness::Browser,
    path: &str,
    fields: &[(&str, &str)],
) -> (reqwest::StatusCode, String) {
    let (status, page, _) = staff.post(path, fields).await;
    (status, page)
}

both_backends!(
    the_console_writes_off_with_a_reason_and_a_second_person_above_the_amount,
    |db: TestDb| async move {
        let app =
            crate::harness::WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, b) = two_employers(store).await;
        let totals = line_totals(store, a).await;
        let ids = line_ids(store, a).await;
        let first = add_user(store, "recouvrement@fund.dz", Role::Finance, &[]).await;
        let second = add_user(store, "chef@fund.dz", Role::Finance, &[]).await;
        let one = app.signed_in("recouvrement@fund.dz").await;
        let two = app.signed_in("chef@fund.dz").await;
        // Up to A's first line alone, no second person.
        store
            .set_write_off_four_eyes(&actor(), Amount::from_centimes(totals[0]))
            .await
            .unwrap();
        let page_path = format!("/console/employers/{a}/write-offs");
        let (status, page) = one.get(&format!("/console/employers/{a}/account")).await;
        assert_eq!(status, reqwest::StatusCode::OK);
        assert!(page.contains(&page_path), "{page}");
        let (status, page) = one.get(&page_path).await;
        assert_eq!(status, reqwest::StatusCode::OK);
        assert!(page.contains("id=\"write-off-form\""), "{page}");
        for id in &ids {
            assert!(page.contains(&format!("id=\"line-{id}\"")), "{page}");
        }

        // Without a reason: refused in words, nothing written.
        let first_line = ids[0].to_string();
        let (status, page) = staff_post(
            &one,
            &page_path,
            &[("line", first_line.as_str()), ("reason", "  ")],
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("Indiquez pourquoi la dette") || page.contains("اذكروا سبب تعذّر"),
            "{page}"
        );
        assert_eq!(
            scalar(store, "SELECT COUNT(*) FROM line_write_offs").await,
            0
        );

        // At the amount: written off at once.
        let (status, page) = staff_post(
            &one,
            &page_path,
            &[
                ("line", first_line.as_str()),
                ("reason", "entreprise liquidée"),
            ],
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{page}");
        assert_eq!(state(store, ids[0]).await, "written_off");
        let written_by: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT written_off_by FROM line_write_offs WHERE declaration_line_id = {}",
            ids[0]
        )))
        .fetch_one(store.pool())
        .await
        .unwrap();
        // Decided by the signed-in staff member, by name.
        let name = store.user(first).await.unwrap().display_name;
        assert_eq!(written_by, name);

        // The second line: with the first (last 30 days) above the amount, it waits.
        let second_line = ids[1].to_string();
        let (status, page) = staff_post(
            &one,
            &page_path,
            &[
                ("line", second_line.as_str()),
                ("reason", "entreprise liquidée"),
            ],
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{page}");
        let request = scalar(
            store,
            "SELECT id FROM write_off_requests WHERE status = 'pending'",
        )
        .await;
        assert!(
            page.contains(&format!("id=\"approve-write-off-{request}\"")),
            "{page}"
        );
        assert_eq!(state(store, ids[1]).await, "submitted");
        let entries = "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'write_off'";
        assert_eq!(scalar(store, entries).await, 1);
        assert_balanced(store).await;

        // Who asked cannot approve.
        let approve = format!("/console/write-offs/{request}/approve");
        let (status, page) = staff_post(&one, &approve, &[]).await;
        assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("un autre membre du personnel doit l'approuver")
                || page.contains("يجب أن يوافق عليه عون آخر"),
            "{page}"
        );
        assert_eq!(state(store, ids[1]).await, "submitted");

        // A second person approves: written off then, both names kept, audited.
        let (status, page) = staff_post(&two, &approve, &[]).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{page}");
        assert_eq!(state(store, ids[1]).await, "written_off");
        let (by, approved_by, from): (String, Option<String>, Option<i64>) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT written_off_by, approved_by, request_id FROM line_write_offs \
                 WHERE declaration_line_id = {}",
                ids[1]
            )))
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(by, name);
        assert_eq!(approved_by, Some(format!("user:{second}")));
        assert_eq!(from, Some(request));
        let (asked_by, reviewed_by): (String, Option<String>) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT requested_by, reviewed_by FROM write_off_requests WHERE id = {request}"
            )))
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(asked_by, format!("user:{first}"));
        assert_eq!(reviewed_by, Some(format!("user:{second}")));
        assert_eq!(scalar(store, entries).await, 2);
        for action in ["ledger.write_off_requested", "ledger.write_off_approved"] {
            assert_eq!(
                scalar(
                    store,
                    &format!("SELECT COUNT(*) FROM audit_log WHERE action = '{action}'")
                )
                .await,
                1,
                "{action}"
            );
        }
        // Twice: already decided.
        let (status, _) = staff_post(&two, &approve, &[]).await;
        assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        assert_balanced(store).await;

        // B, every line (none ticked), above the amount: refused by the second person with
        // a reason; B still owes them.
        let owed_b = store.employer_balance(b, None).await.unwrap().total;
        store
            .set_write_off_four_eyes(&actor(), Amount::ZERO)
            .await
            .unwrap();
        let (status, page) = staff_post(
            &two,
            &format!("/console/employers/{b}/write-offs"),
            &[("reason", "introuvable")],
        )
        .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{page}");
        let request_b = scalar(
            store,
            &format!(
                "SELECT id FROM write_off_requests WHERE employer_id = {b} AND status = 'pending'"
            ),
        )
        .await;
        let refuse = format!("/console/write-offs/{request_b}/refuse");
        let (status, _) = staff_post(&one, &refuse, &[("reason", "")]).await;
        assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
        let (status, page) = staff_post(&one, &refuse, &[("reason", "adresse retrouvée")]).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{page}");
        let status_b: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT status FROM write_off_requests WHERE id = {request_b}"
        )))
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(status_b, "refused");
        assert_eq!(store.employer_balance(b, None).await.unwrap().total, owed_b);
        assert_eq!(scalar(store, entries).await, 2);
        assert_balanced(store).await;
    }
);
