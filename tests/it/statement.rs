//! Statements and what the fund is owed (issue 15 points 6 and 8, issue 16 point 5), on
//! both databases: owed lines aged by the days since their due date (bucket edges on the
//! day), fund-wide and per employer (keyset pages), the same as an employer's statement
//! counts; the accounting journal (one line per ledger entry, totals per day and kind that
//! add up); the command line (`receivables`, `journal`, `statement --to`), the JSON API
//! (`GET /api/v1/statement`), the portal's statement page with its period filter and its
//! CSV and PDF (read back with `pdftotext`), the console's account and receivables pages;
//! and the CSV files read by LibreOffice as a spreadsheet in French reads them.

use std::path::Path;
use std::process::{Command, Output};

use mandates::Amount;
use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::store::{Role, Store};

use crate::both_backends;
use crate::harness::fixtures::{
    add_user, d, declare, employer_with_worksites, scalar, signed_mandate,
};
use crate::harness::{TestDb, WebApp, skip, test_key_base64};
use crate::ledger::{assert_balanced, pay};

/// `tahsil` on `db`, believing it is 1 December 2026.
fn tahsil(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .arg("--database-url")
        .arg(&db.url)
        .args(args)
        .env_remove("TAHSIL_DATABASE_URL")
        .env("TAHSIL_ENCRYPTION_KEY", test_key_base64())
        .env("TAHSIL_CLOCK", "2026-12-01T10:00:00+01:00")
        .output()
        .expect("run tahsil")
}

/// A CSV amount (`-1234,50`) in centimes.
fn centimes(text: &str) -> i64 {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text),
    };
    let (units, cents) = digits.split_once(',').expect("a decimal comma");
    assert_eq!(cents.len(), 2, "{text}");
    sign * (units.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap())
}

/// A line's total in centimes for `employer`'s declaration of `period`.
async fn owed_of(store: &Store, employer: i64, period: &str) -> i64 {
    scalar(
        store,
        &format!(
            "SELECT CAST(SUM(l.total_centimes) AS BIGINT) FROM declaration_lines l \
             JOIN declarations d ON d.id = l.declaration_id WHERE d.employer_id = {employer} AND d.period = '{period}'"
        ),
    )
    .await
}

/// A owes one declaration in each age bucket on 1 December 2026 (2026-10 due 1 November:
/// 30 days; 2026-09: 61; 2026-06: 153; 2026-04: 214); B owes 2026-10; C declared 2026-10
/// and paid it by transfer, so owes nothing.
async fn three_employers(store: &Store) -> (i64, i64, i64) {
    let a = employer_with_worksites(store, "16000001", &["W1"]).await;
    let b = employer_with_worksites(store, "16000002", &["S1"]).await;
    let c = employer_with_worksites(store, "16000003", &["T1"]).await;
    for (employer, rib) in [(a, "004 00174 4010010504 86"), (b, "200 12"), (c, "200 12")] {
        signed_mandate(store, employer, rib, None).await;
    }
    for (period, wage) in [
        ("2026-04", "40000.00"),
        ("2026-06", "60000.00"),
        ("2026-09", "90000.00"),
        ("2026-10", "100000.00"),
    ] {
        declare(store, a, period, &[("W1", wage)]).await;
    }
    declare(store, b, "2026-10", &[("S1", "20000.00")]).await;
    declare(store, c, "2026-10", &[("T1", "30000.00")]).await;
    let owed = Amount::from_centimes(owed_of(store, c, "2026-10").await);
    pay(store, c, owed, "VIR-C-1").await;
    (a, b, c)
}

both_backends!(
    owed_lines_are_aged_by_days_since_due_fund_wide_per_scheme_and_per_employer,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let (a, b, _c) = three_employers(&store).await;
        let of = |period| owed_of(&store, a, period);
        let (apr, jun, sep, oct) = (
            of("2026-04").await,
            of("2026-06").await,
            of("2026-09").await,
            of("2026-10").await,
        );
        let b_oct = owed_of(&store, b, "2026-10").await;

        let today = d(2026, 12, 1);
        let fund = store.receivables(today).await.unwrap();
        assert_eq!((fund.employers, fund.lines), (2, 5));
        let cents = |x: Amount| x.centimes();
        assert_eq!(cents(fund.total.up_to_30), oct + b_oct, "30 days is 0-30");
        assert_eq!(cents(fund.total.from_31_to_90), sep);
        assert_eq!(cents(fund.total.from_91_to_180), jun);
        assert_eq!(cents(fund.total.over_180), apr);
        assert_eq!(cents(fund.total.total), apr + jun + sep + oct + b_oct);
        // The schemes add up to the total, bucket by bucket, and match the lines' columns.
        let paid_leave = scalar(
            &store,
            "SELECT CAST(SUM(l.paid_leave_centimes) AS BIGINT) FROM declaration_lines l \
             JOIN declarations d ON d.id = l.declaration_id WHERE d.employer_id <> (SELECT id FROM employers WHERE affiliation_number = '16000003')",
        )
        .await;
        assert_eq!(cents(fund.paid_leave.total), paid_leave);
        assert!(paid_leave > 0);
        for (t, parts) in [
            (
                fund.total.up_to_30,
                [
                    fund.paid_leave.up_to_30,
                    fund.bad_weather_employer.up_to_30,
                    fund.bad_weather_employee.up_to_30,
                ],
            ),
            (
                fund.total.over_180,
                [
                    fund.paid_leave.over_180,
                    fund.bad_weather_employer.over_180,
                    fund.bad_weather_employee.over_180,
                ],
            ),
        ] {
            assert_eq!(cents(t), parts.iter().map(|p| p.centimes()).sum::<i64>());
        }

        // One day later the October lines are 31 days old.
        let later = store.receivables(d(2026, 12, 2)).await.unwrap();
        assert_eq!(cents(later.total.up_to_30), 0);
        assert_eq!(cents(later.total.from_31_to_90), sep + oct + b_oct);

        // Per employer, by keyset pages of one: A, then B; C paid everything.
        let first = store.employers_owing(today, None, 1).await.unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].employer_id, a);
        assert_eq!(first[0].lines, 4);
        let second = store
            .employers_owing(today, Some(first[0].employer_id), 1)
            .await
            .unwrap();
        assert_eq!(second[0].employer_id, b);
        assert_eq!(cents(second[0].owed.total), b_oct);
        let none = store.employers_owing(today, Some(b), 10).await.unwrap();
        assert!(none.is_empty(), "{none:?}");
        // The statement counts A's lines by age as the report does.
        let statement = store.statement(a, None, today).await.unwrap();
        let owed = &first[0].owed;
        assert_eq!(
            [
                statement.aging.up_to_30,
                statement.aging.from_31_to_90,
                statement.aging.from_91_to_180,
                statement.aging.over_180
            ],
            [
                owed.up_to_30,
                owed.from_31_to_90,
                owed.from_91_to_180,
                owed.over_180
            ]
        );
        assert_balanced(&store).await;
    }
);

both_backends!(
    the_journal_lists_each_ledger_entry_once_and_its_day_totals_add_up,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let (_a, _b, c) = three_employers(&store).await;
        let (from, to) = (d(2026, 5, 1), d(2026, 12, 31));
        let entries = store.journal(from, to).await.unwrap();
        let in_range = scalar(
            &store,
            "SELECT COUNT(*) FROM ledger_entries WHERE entry_date >= '2026-05-01' AND entry_date <= '2026-12-31'",
        )
        .await;
        assert_eq!(entries.len() as i64, in_range);
        assert!(in_range >= 6, "dues, then C's payment and allocation");
        // The range leaves out April's due (dated 1 May is in; none before it here).
        let all = scalar(&store, "SELECT COUNT(*) FROM ledger_entries").await;
        let narrow = store.journal(d(2026, 5, 2), to).await.unwrap();
        assert_eq!(
            narrow.len() as i64,
            all - 1,
            "the due of 2026-04 is dated 1 May"
        );
        let payment = entries
            .iter()
            .find(|e| e.kind == tahsil::store::EntryKind::PaymentReceived)
            .unwrap();
        assert_eq!(payment.reference, "VIR-C-1");
        assert_eq!(payment.affiliation_number, "16000003");
        let due = entries
            .iter()
            .find(|e| e.kind == tahsil::store::EntryKind::Due)
            .unwrap();
        assert!(due.reference.starts_with("2026-"), "{due:?}");

        let totals = store.journal_totals(from, to).await.unwrap();
        assert_eq!(
            totals.iter().map(|t| t.entries).sum::<u64>(),
            entries.len() as u64
        );
        for t in &totals {
            let mine: Vec<_> = entries
                .iter()
                .filter(|e| e.entry_date == t.entry_date && e.kind == t.kind)
                .collect();
            assert_eq!(mine.len() as u64, t.entries);
            let sum = |f: fn(&tahsil::store::JournalEntry) -> Amount| {
                mine.iter().map(|e| f(e).centimes()).sum::<i64>()
            };
            assert_eq!(sum(|e| e.amount), t.amount.centimes());
            assert_eq!(sum(|e| e.paid_leave), t.paid_leave.centimes());
            assert_eq!(sum(|e| e.unallocated), t.unallocated.centimes());
        }

        // The command line: the same lines into a private file, the totals, a wrong range.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("journal.csv");
        let output = tahsil(
            &db,
            &[
                "journal",
                "--from",
                "2026-05-01",
                "--to",
                "2026-12-31",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(output.status.success(), "{output:?}");
        let csv = std::fs::read_to_string(&out).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the journal names employers: private");
        }
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!("\u{feff}{}", tahsil::locale::statement::JOURNAL_COLUMNS)
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(';').collect()).collect();
        assert_eq!(rows.len(), entries.len());
        for (row, entry) in rows.iter().zip(&entries) {
            assert_eq!(row.len(), 12, "{row:?}");
            assert_eq!(row[1], entry.id.to_string());
            assert_eq!(centimes(row[5]), entry.amount.centimes());
            // The amount is the sum of its schemes and the unallocated part.
            assert_eq!(
                centimes(row[5]),
                (6..10).map(|i| centimes(row[i])).sum::<i64>()
            );
            assert!(!row[3].contains('_'), "a plain word, not a code: {row:?}");
        }
        let payment_row = rows.iter().find(|r| r[11] == "VIR-C-1").unwrap();
        assert_eq!(payment_row[2], "16000003");
        assert_eq!(payment_row[3], "Paiement reçu");

        let output = tahsil(
            &db,
            &[
                "journal",
                "--from",
                "2026-05-01",
                "--to",
                "2026-12-31",
                "--totals",
            ],
        );
        assert!(output.status.success(), "{output:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        assert_eq!(text.lines().count(), 1 + totals.len(), "{text}");
        let grand: i64 = text
            .lines()
            .skip(1)
            .map(|l| centimes(l.split(';').nth(4).unwrap()))
            .sum();
        assert_eq!(
            grand,
            entries.iter().map(|e| e.amount.centimes()).sum::<i64>()
        );

        let backwards = tahsil(
            &db,
            &["journal", "--from", "2026-12-31", "--to", "2026-05-01"],
        );
        assert!(!backwards.status.success());
        assert!(
            String::from_utf8_lossy(&backwards.stderr).contains("is before --from"),
            "{backwards:?}"
        );
        let _ = c;
    }
);

both_backends!(
    the_command_line_and_the_api_report_what_the_fund_is_owed,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, b, _c) = three_employers(store).await;
        let fund = store.receivables(d(2026, 12, 1)).await.unwrap();

        let output = tahsil(&db, &["receivables"]);
        assert!(output.status.success(), "{output:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(
            text.contains("5 line(s) of 2 employer(s)") && text.contains("16000001"),
            "{text}"
        );
        assert!(!text.contains("16000003"), "C owes nothing: {text}");
        let output = tahsil(&db, &["receivables", "--csv"]);
        assert!(output.status.success(), "{output:?}");
        let csv = String::from_utf8(output.stdout).unwrap();
        assert!(csv.starts_with('\u{feff}'));
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 1 + 2 + 1, "{csv}");
        let total: Vec<&str> = lines[3].split(';').collect();
        assert_eq!(total[0], "Total");
        assert_eq!(centimes(total[8]), fund.total.total.centimes());
        assert_eq!(centimes(total[7]), fund.total.over_180.centimes());
        let statement = tahsil(
            &db,
            &[
                "statement",
                "--employer",
                "16000001",
                "--from",
                "2026-09-01",
                "--to",
                "2026-10-31",
            ],
        );
        assert!(statement.status.success(), "{statement:?}");
        let text = String::from_utf8(statement.stdout).unwrap();
        // Only 2026-06's due (1 July) before, and 2026-09's (1 October) within.
        let before = owed_of(store, a, "2026-04").await + owed_of(store, a, "2026-06").await;
        let within = owed_of(store, a, "2026-09").await;
        assert!(
            text.contains(&format!(
                "closing balance: {} DA",
                Amount::from_centimes(before + within)
            )),
            "{text}"
        );

        let client = reqwest::Client::new();
        let get = |query: String| {
            client
                .get(app.url(&format!("/api/v1/statement{query}")))
                .bearer_auth("admin-test-token")
                .send()
        };
        let page: serde_json::Value = get("?limit=1".to_owned())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["receivables"]["employers"], 2, "{page}");
        assert_eq!(
            page["receivables"]["total"]["total"],
            fund.total.total.to_string().as_str()
        );
        assert_eq!(page["employers"][0]["employer_id"], a);
        assert_eq!(page["next_after"], a);
        let next: serde_json::Value = get(format!("?limit=1&after={a}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(next["employers"][0]["employer_id"], b);
        let last: serde_json::Value = get(format!("?limit=1&after={b}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(last["employers"], serde_json::json!([]));
        assert_eq!(last["next_after"], serde_json::Value::Null);
        let wrong = get("?limit=0".to_owned()).await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().await.unwrap().contains("give 1 to 1000"));
        let nobody = client
            .get(app.url("/api/v1/statement"))
            .send()
            .await
            .unwrap();
        assert_eq!(nobody.status(), StatusCode::UNAUTHORIZED);
        // The employer's statement by the API takes the same period.
        let one: serde_json::Value = client
            .get(app.url(&format!(
                "/api/v1/employers/{a}/statement?from=2026-09-01&to=2026-10-31"
            )))
            .bearer_auth("admin-test-token")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            one["opening"],
            Amount::from_centimes(before).to_string().as_str()
        );
        assert_eq!(one["lines"].as_array().unwrap().len(), 1, "{one}");
        assert_eq!(one["to"], "2026-10-31");
    }
);

/// The PDF's text as `pdftotext` reads it (no-break spaces as plain ones), or `None` when
/// poppler is absent (skipped with its reason; a failure under CI=true).
fn pdf_text(bytes: &[u8]) -> Option<String> {
    if Command::new("pdftotext").arg("-v").output().is_err() {
        skip(
            "pdftotext is not installed (Debian: apt-get install poppler-utils); the statement PDF's text is not checked",
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("statement.pdf");
    std::fs::write(&path, bytes).unwrap();
    let output = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    Some(
        String::from_utf8(output.stdout)
            .unwrap()
            .replace('\u{a0}', " "),
    )
}

both_backends!(
    the_portal_shows_an_employer_its_own_statement_for_a_period_with_csv_and_pdf,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, b, _c) = three_employers(store).await;
        add_user(store, "a@a.dz", Role::Employer, &["16000001"]).await;
        let user = app.signed_in("a@a.dz").await;

        let (status, page) = user.get(&format!("/portal/{a}/statement")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("كشف الحساب"), "{page}");
        assert!(
            page.contains(&format!("href=\"/portal/{a}/statement\"")),
            "in the navigation"
        );
        assert!(
            page.contains("اشتراكات مصرّح بها"),
            "the entries' plain words"
        );
        assert!(page.contains("<bdi>"), "digits isolated");
        assert!(
            !page.contains(">due<") && !page.contains("payment_received"),
            "{page}"
        );
        // Opening, four dues, closing.
        assert_eq!(page.matches("<tr><td><bdi>").count(), 6, "{page}");

        let closing = Amount::from_centimes(
            owed_of(store, a, "2026-04").await + owed_of(store, a, "2026-06").await,
        );
        let (status, page) = user
            .get(&format!(
                "/portal/{a}/statement?from=2026-06-01&to=2026-07-31"
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("value=\"2026-06-01\""),
            "the filter keeps its dates"
        );
        assert_eq!(page.matches("<tr><td><bdi>").count(), 3, "{page}");
        let closing_text = tahsil::locale::money(
            closing,
            tahsil::locale::Lang::Ar,
            tahsil::locale::Medium::Page,
        );
        assert!(page.contains(&closing_text), "{closing_text} in {page}");
        assert!(
            page.replace("&#38;", "&").contains(&format!(
                "/portal/{a}/statement.pdf?from=2026-06-01&to=2026-07-31"
            )),
            "{page}"
        );
        assert!(
            page.contains("<bdi>2026-06</bdi>"),
            "the period isolated: {page}"
        );

        let (status, page) = user
            .get(&format!("/portal/{a}/statement?from=2026-13-45"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("id=\"period-error\""), "{page}");
        let (status, page) = user
            .get(&format!(
                "/portal/{a}/statement?from=2026-08-01&to=2026-07-01"
            ))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("اعكسوهما"), "{page}");

        let csv = user
            .client
            .get(app.url(&format!(
                "/portal/{a}/statement.csv?from=2026-06-01&to=2026-07-31"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), StatusCode::OK);
        assert!(
            csv.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("releve-16000001-2026-12-01.csv")
        );
        let csv = csv.text().await.unwrap();
        let last = csv.lines().last().unwrap();
        assert!(
            last.ends_with(&closing.to_string().replace('.', ",")),
            "{csv}"
        );

        let pdf = user
            .client
            .get(app.url(&format!("/portal/{a}/statement.pdf")))
            .send()
            .await
            .unwrap();
        assert_eq!(pdf.status(), StatusCode::OK);
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        assert_eq!(pdf.headers()["cache-control"], "no-store");
        let bytes = pdf.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        if let Some(text) = pdf_text(&bytes) {
            let total = store.employer_balance(a, None).await.unwrap().total;
            for expected in [
                "Relevé de compte".to_owned(),
                "كشف الحساب".to_owned(),
                "16000001".to_owned(),
                "Cotisations déclarées 2026-04".to_owned(),
                "الرصيد الختامي".to_owned(),
                "Plus de 180 jours".to_owned(),
                tahsil::locale::digits(total).replace('\u{a0}', " "),
            ] {
                assert!(
                    text.contains(&expected),
                    "{expected:?} missing from:\n{text}"
                );
            }
        }

        // Another employer's statement does not exist for this user.
        for path in [
            format!("/portal/{b}/statement"),
            format!("/portal/{b}/statement.csv"),
            format!("/portal/{b}/statement.pdf"),
        ] {
            let (status, _) = user.get(&path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
    }
);

both_backends!(
    the_console_shows_receivables_statements_and_the_journal_to_staff_only,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 1))).await;
        let store = &app.store;
        let (a, b, _c) = three_employers(store).await;
        add_user(store, "finance@fund.dz", Role::Finance, &[]).await;
        add_user(store, "a@a.dz", Role::Employer, &["16000001"]).await;
        let staff = app.signed_in("finance@fund.dz").await;
        let employer = app.signed_in("a@a.dz").await;

        let (status, page) = staff.get("/console/receivables").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("id=\"receivables-summary\""), "{page}");
        assert!(
            page.contains(&format!("/console/employers/{a}/account")),
            "{page}"
        );
        assert!(
            page.contains(&format!("/console/employers/{b}/account")),
            "{page}"
        );
        assert!(!page.contains("16000003"), "C owes nothing");
        let fund = store.receivables(d(2026, 12, 1)).await.unwrap();
        let total = tahsil::locale::money(
            fund.total.total,
            tahsil::locale::Lang::Ar,
            tahsil::locale::Medium::Page,
        );
        assert!(page.contains(&total), "{total} in {page}");

        let csv = staff
            .client
            .get(app.url("/console/receivables.csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), StatusCode::OK);
        let csv = csv.text().await.unwrap();
        assert_eq!(csv.lines().count(), 4, "{csv}");

        let journal = staff
            .client
            .get(app.url("/console/journal.csv?from=2026-05-01&to=2026-12-31"))
            .send()
            .await
            .unwrap();
        assert_eq!(journal.status(), StatusCode::OK);
        let journal = journal.text().await.unwrap();
        let entries = scalar(store, "SELECT COUNT(*) FROM ledger_entries").await;
        assert_eq!(journal.lines().count() as i64, 1 + entries, "{journal}");
        let totals = staff
            .client
            .get(app.url("/console/journal-totals.csv?from=2026-05-01&to=2026-12-31"))
            .send()
            .await
            .unwrap();
        assert_eq!(totals.status(), StatusCode::OK);
        let (status, page) = staff.get("/console/journal.csv?from=&to=2026-12-31").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("id=\"journal-error\""), "{page}");

        let (status, page) = staff
            .get(&format!("/console/employers/{a}/account?from=2026-09-01"))
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("id=\"statement\""), "{page}");
        assert!(
            page.contains(&format!(
                "/console/employers/{a}/statement.pdf?from=2026-09-01"
            )),
            "{page}"
        );
        let pdf = staff
            .client
            .get(app.url(&format!(
                "/console/employers/{a}/statement.pdf?from=2026-09-01"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(pdf.status(), StatusCode::OK);
        assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));

        for path in [
            "/console/receivables",
            "/console/receivables.csv",
            "/console/journal.csv?from=2026-05-01&to=2026-12-31",
        ] {
            let (status, body) = employer.get(path).await;
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "{path}: {status}"
            );
            assert!(!body.contains("16000002"), "{path}");
        }
    }
);

/// `csv` opened by LibreOffice as a spreadsheet set to French opens a `;`-separated UTF-8
/// file, then saved as plain CSV (`,`, English numbers): what it read as numbers comes back
/// as `-1234.5`, what it read as text comes back as typed. `None` when LibreOffice is absent
/// (skipped with its reason; a failure under CI=true).
fn read_by_libreoffice(csv: &str, name: &str) -> Option<Vec<Vec<String>>> {
    if Command::new("soffice").arg("--version").output().is_err() {
        skip(
            "soffice is not installed (Debian: apt-get install libreoffice-calc-nogui); the CSV files are not opened in a spreadsheet",
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join(format!("{name}.csv"));
    std::fs::write(&input, csv).unwrap();
    let out = dir.path().join("out");
    let profile = format!("file://{}", dir.path().join("profile").display());
    let output = Command::new("soffice")
        .arg(format!("-env:UserInstallation={profile}"))
        .args(["--headless", "--infilter=CSV:59,34,76,1,,1036"])
        .args([
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033",
        ])
        .arg("--outdir")
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(Path::new(&out).join(format!("{name}.csv")))
        .unwrap_or_else(|e| panic!("LibreOffice wrote nothing ({e}): {output:?}"));
    Some(text.lines().map(split_comma_csv).collect())
}

/// One line of a `,`-separated CSV with `"` quoting.
fn split_comma_csv(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// An amount as LibreOffice writes a number in English: `-1234.5`, `0.05`, `12`.
fn as_number(centimes: i64) -> String {
    let sign = if centimes < 0 { "-" } else { "" };
    let abs = centimes.unsigned_abs();
    let (units, cents) = (abs / 100, abs % 100);
    match cents {
        0 => format!("{sign}{units}"),
        c if c % 10 == 0 => format!("{sign}{units}.{}", c / 10),
        c => format!("{sign}{units}.{c:02}"),
    }
}

both_backends!(
    a_spreadsheet_in_french_reads_the_statement_and_journal_csv_columns_and_amounts,
    |db: TestDb| async move {
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let (a, _b, c) = three_employers(&store).await;
        // A credit: C pays more than it owes, so the statement has a negative balance.
        pay(&store, c, Amount::from_centimes(12_345), "VIR-C-2").await;
        let statement = store.statement(c, None, d(2026, 12, 1)).await.unwrap();
        assert!(statement.closing < Amount::ZERO);
        let csv = tahsil::locale::statement::statement_csv(&statement);
        let Some(sheet) = read_by_libreoffice(&csv, "statement") else {
            return;
        };
        assert_eq!(sheet.len(), 2 + statement.lines.len(), "{sheet:?}");
        let header = &sheet[0];
        assert_eq!(header[0], "date");
        assert_eq!(header[2], "البيان", "UTF-8 read as such");
        for row in &sheet {
            assert_eq!(row.len(), header.len(), "{row:?}");
        }
        for (row, line) in sheet[2..].iter().zip(&statement.lines) {
            assert_eq!(row[5], as_number(line.entry.amount.centimes()), "{row:?}");
            assert_eq!(row[6], as_number(line.balance.centimes()), "{row:?}");
        }
        assert_eq!(
            sheet.last().unwrap()[6],
            as_number(statement.closing.centimes()),
            "a credit read as a negative number"
        );

        let entries = store.journal(d(2026, 1, 1), d(2026, 12, 31)).await.unwrap();
        let csv = tahsil::locale::statement::journal_csv(&entries);
        let Some(sheet) = read_by_libreoffice(&csv, "journal") else {
            return;
        };
        assert_eq!(sheet.len(), 1 + entries.len());
        assert_eq!(sheet[0].len(), 12, "{:?}", sheet[0]);
        for (row, entry) in sheet[1..].iter().zip(&entries) {
            assert_eq!(row.len(), 12, "{row:?}");
            assert_eq!(row[1], entry.id.to_string());
            assert_eq!(row[2], entry.affiliation_number, "the number stays text");
            assert_eq!(row[5], as_number(entry.amount.centimes()), "{row:?}");
            assert_eq!(row[6], as_number(entry.paid_leave.centimes()), "{row:?}");
        }
        let _ = a;
    }
);

/// The fund's receivables on `day` are the sum of every employer's statement aging, and
/// each employer owing (read by keyset pages of `page`) owes what its statement ages.
async fn receivables_add_up(store: &Store, day: chrono::NaiveDate, page: i64) {
    let fund = store.receivables(day).await.unwrap();
    let employers: Vec<i64> = sqlx::query_scalar("SELECT id FROM employers ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let mut summed = [0i64; 4];
    let mut owing = Vec::new();
    for employer in employers {
        let aging = store.statement(employer, None, day).await.unwrap().aging;
        let buckets = [
            aging.up_to_30,
            aging.from_31_to_90,
            aging.from_91_to_180,
            aging.over_180,
        ]
        .map(|a| a.centimes());
        for (s, b) in summed.iter_mut().zip(buckets) {
            *s += b;
        }
        if buckets.iter().any(|b| *b != 0) {
            owing.push((employer, buckets));
        }
    }
    let of = |b: &tahsil::store::AgeBuckets| {
        [b.up_to_30, b.from_31_to_90, b.from_91_to_180, b.over_180].map(|a| a.centimes())
    };
    assert_eq!(of(&fund.total), summed, "on {day}");
    assert_eq!(fund.total.total.centimes(), summed.iter().sum::<i64>());
    assert_eq!(fund.employers, owing.len() as u64, "on {day}");
    // The schemes add up to the total, bucket by bucket.
    let schemes = [
        fund.paid_leave,
        fund.bad_weather_employer,
        fund.bad_weather_employee,
    ];
    for (n, want) in summed.iter().enumerate() {
        assert_eq!(schemes.iter().map(|s| of(s)[n]).sum::<i64>(), *want);
    }
    // Page after page, the employers owing: each as its statement, and every item once.
    let mut listed = Vec::new();
    let mut items = 0;
    let mut after = None;
    loop {
        let rows = store.employers_owing(day, after, page).await.unwrap();
        assert!(rows.len() as i64 <= page);
        let Some(last) = rows.last() else { break };
        after = Some(last.employer_id);
        for row in rows {
            items += row.lines;
            assert_eq!(row.owed.total.centimes(), of(&row.owed).iter().sum::<i64>());
            listed.push((row.employer_id, of(&row.owed)));
        }
    }
    assert_eq!(listed, owing, "on {day}");
    assert_eq!(items, fund.lines, "on {day}");
}

both_backends!(
    the_fund_wide_receivables_are_the_sum_of_every_statement_aging_with_surcharges_a_payment_a_write_off_and_a_waiver,
    |db: TestDb| async move {
        use crate::surcharges::{accrue_on, confirm, on};
        use tahsil::store::{NewPayment, NewWriteOff, PaymentChannel, SurchargeKind, WaiverStatus};
        let store = db.store_with_clock(Clock::fixed_on(d(2026, 12, 1))).await;
        let actor = crate::harness::fixtures::actor();
        on(&store, d(2026, 12, 1));
        // A and B: one line of 2026-10 each; C two lines, the first written off; E pays
        // its line in time; `later` declares 2026-10 once the rules are confirmed.
        let a = employer_with_worksites(&store, "16000001", &["W1"]).await;
        let b = employer_with_worksites(&store, "16000002", &["W1"]).await;
        let c = employer_with_worksites(&store, "16000003", &["W1", "W2"]).await;
        let e = employer_with_worksites(&store, "16000004", &["W1"]).await;
        let later = employer_with_worksites(&store, "16000005", &["W1"]).await;
        for employer in [a, b, e] {
            declare(&store, employer, "2026-10", &[("W1", "100000.00")]).await;
        }
        declare(&store, c, "2026-10", &[("W1", "100000.00"), ("W2", "50000.00")]).await;
        let e_owed = Amount::from_centimes(owed_of(&store, e, "2026-10").await);
        pay(&store, e, e_owed, "VIR-E-1").await;
        let c_first: i64 = scalar(
            &store,
            &format!(
                "SELECT MIN(l.id) FROM declaration_lines l JOIN declarations d ON d.id = l.declaration_id \
                 WHERE d.employer_id = {c}"
            ),
        )
        .await;
        store
            .write_off_lines(
                &actor,
                NewWriteOff {
                    employer_id: c,
                    lines: vec![c_first],
                    reason: "entreprise liquidée".to_owned(),
                    by: "agent recouvrement".to_owned(),
                },
            )
            .await
            .unwrap();
        // Receivables before any surcharge: lines only.
        receivables_add_up(&store, d(2026, 12, 1), 2).await;

        confirm(&store, SurchargeKind::LatePayment).await;
        confirm(&store, SurchargeKind::ProvisionalAssessment).await;
        // Nobody declares 2026-11: each employer with a declaration before it is assessed
        // provisionally on 1 January 2027 (E too), then late-payment surcharges accrue.
        declare(&store, later, "2026-10", &[("W1", "70000.00")]).await;
        on(&store, d(2027, 1, 1));
        let assessed = store
            .assess_missing_declarations(&actor, d(2027, 1, 1))
            .await
            .unwrap()
            .assessments;
        assert!(assessed >= 3, "{assessed} assessments");
        for day in [d(2027, 1, 16), d(2027, 2, 1), d(2027, 3, 1)] {
            assert!(accrue_on(&store, day).await > 0, "surcharges on {day}");
        }
        // A pays its line and its first surcharge; B's first surcharge is waived.
        let a_line = owed_of(&store, a, "2026-10").await;
        let a_surcharges = store.employer_surcharges(a).await.unwrap();
        store
            .record_payment(
                &actor,
                NewPayment {
                    employer_id: a,
                    amount: Amount::from_centimes(a_line + a_surcharges[0].amount.centimes()),
                    received_on: d(2027, 3, 1),
                    channel: PaymentChannel::Transfer,
                    reference: "VIR-A-1".to_owned(),
                    note: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            scalar(
                &store,
                &format!(
                    "SELECT COUNT(*) FROM surcharge_allocations WHERE surcharge_id = {}",
                    a_surcharges[0].id
                )
            )
            .await,
            1,
            "the payment paid A's first surcharge"
        );
        let b_first = store.employer_surcharges(b).await.unwrap()[0].id;
        let waiver = store
            .request_waiver(&actor, b, &[b_first], "error of the fund's calendar")
            .await
            .unwrap();
        assert_eq!(waiver.status, WaiverStatus::Applied);
        assert_balanced(&store).await;

        // Surcharges and provisional assessments are counted: more than the lines alone.
        let lines_only = {
            let fund = store.receivables(d(2027, 3, 1)).await.unwrap();
            let lines: i64 = scalar(
                &store,
                "SELECT CAST(COALESCE(SUM(l.total_centimes), 0) AS BIGINT) FROM declaration_lines l \
                 JOIN declarations d ON d.id = l.declaration_id WHERE d.status = 'submitted' \
                 AND NOT EXISTS (SELECT 1 FROM payment_allocations a WHERE a.declaration_line_id = l.id) \
                 AND NOT EXISTS (SELECT 1 FROM line_write_offs w WHERE w.declaration_line_id = l.id)",
            )
            .await;
            assert!(fund.total.total.centimes() > lines, "{fund:?}");
            lines
        };
        assert!(lines_only > 0);
        for (day, page) in [
            (d(2027, 3, 1), 1),
            (d(2027, 3, 1), 2),
            (d(2027, 1, 31), 3),
            (d(2027, 6, 15), 1000),
        ] {
            receivables_add_up(&store, day, page).await;
        }
    }
);
