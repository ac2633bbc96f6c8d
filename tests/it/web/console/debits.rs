//! The console's list of every debit, its CSV export and a debit's timeline, over real
//! HTTP on both databases: each filter against the same question asked in SQL, paging
//! across pages with nothing repeated or missed, the CSV's bytes and columns, who may see
//! them, and the story of a failed and re-presented debit with a named staff member.

use reqwest::StatusCode;
use tahsil::store::{Actor, NewUser, Role};

use super::{french, money, whole_cycle};
use crate::both_backends;
use crate::harness::fixtures::{add_user, one_cycle};
use crate::harness::{Browser, PASSWORD, TestDb, WebApp};

/// Every debit id a list shows, following its next-page links from `path`, and the totals
/// line of its first page. Fails on a page shown twice or a row repeated.
async fn every_page(browser: &Browser, path: &str) -> (Vec<i64>, String, usize) {
    let mut ids = Vec::new();
    let mut next = Some(path.to_owned());
    let mut totals = String::new();
    let mut pages = 0;
    while let Some(path) = next.take() {
        let (status, page) = browser.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        pages += 1;
        assert!(pages < 100, "paging never ends");
        if totals.is_empty() {
            totals = between(&page, "<p id=\"totals\"><strong>", "</strong>")
                .expect("the totals")
                .to_owned();
        }
        ids.extend(rows(&page));
        // `<a href="LINK" id="next-page">`
        next = page.find("\" id=\"next-page\"").map(|end| {
            let start = page[..end].rfind("href=\"").unwrap() + "href=\"".len();
            page[start..end].replace("&amp;", "&").replace("&#38;", "&")
        });
    }
    let mut seen = std::collections::HashSet::new();
    for id in &ids {
        assert!(seen.insert(*id), "debit {id} shown twice");
    }
    (ids, totals, pages)
}

/// The text between `start` and the next `end`.
fn between<'a>(page: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = page.find(start)? + start.len();
    let to = page[from..].find(end)?;
    Some(&page[from..from + to])
}

/// The ids of the rows of a list page, in order.
fn rows(page: &str) -> Vec<i64> {
    page.match_indices("<tr id=\"debit-")
        .map(|(at, _)| {
            let rest = &page[at + "<tr id=\"debit-".len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

/// The ids SQL finds for `condition`, in the list's order, with their count and sum.
async fn expected(app: &WebApp, condition: &str) -> (Vec<i64>, i64, i64) {
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT c.id FROM collections c JOIN employers e ON e.id = c.employer_id \
         WHERE {condition} ORDER BY c.collection_date DESC, c.id DESC"
    )))
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    let sum: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(COALESCE(SUM(c.amount_centimes), 0) AS BIGINT) FROM collections c \
         JOIN employers e ON e.id = c.employer_id WHERE {condition}"
    )))
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    let count = ids.len() as i64;
    (ids, count, sum)
}

/// The totals line the page writes for `count` debits and `sum` centimes (French).
fn totals_line(count: i64, sum: i64) -> String {
    let count = count.to_string();
    let mut grouped = String::new();
    for (i, c) in count.chars().enumerate() {
        if i > 0 && (count.len() - i).is_multiple_of(3) {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    format!("{grouped} prélèvement(s), pour un total de {}", money(sum))
}

both_backends!(
    finance_staff_filter_every_debit_and_page_through_it_without_repeats_or_misses,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        whole_cycle(&app, 130).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        // An employer to find by name and by number: the one with the most debits.
        let (employer, affiliation, name): (i64, String, String) = sqlx::query_as(
            "SELECT e.id, e.affiliation_number, e.name FROM employers e \
             JOIN collections c ON c.employer_id = e.id GROUP BY e.id, e.affiliation_number, e.name \
             ORDER BY COUNT(*) DESC, e.id LIMIT 1",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        let (low, high): (i64, i64) =
            sqlx::query_as("SELECT MIN(amount_centimes), MAX(amount_centimes) FROM collections")
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        let (mid_low, mid_high) = (low + (high - low) / 4, high - (high - low) / 4);
        // A word of its name, typed in capitals (the search ignores case).
        let word = name
            .split(' ')
            .rev()
            .find(|w| w.is_ascii() && w.len() >= 4)
            .unwrap_or("SARL");
        let name_part = word.to_uppercase();
        let cases = [
            ("/console/debits".to_owned(), "1 = 1".to_owned()),
            (
                "/console/debits?from=2026-12-15&to=2026-12-15".to_owned(),
                "c.collection_date = '2026-12-15'".to_owned(),
            ),
            (
                "/console/debits?from=2026-12-16".to_owned(),
                "c.collection_date >= '2026-12-16'".to_owned(),
            ),
            (
                "/console/debits?channel=postal".to_owned(),
                "c.channel = 'postal'".to_owned(),
            ),
            (
                "/console/debits?status=rejected&channel=bank".to_owned(),
                "c.status = 'rejected' AND c.channel = 'bank'".to_owned(),
            ),
            (
                "/console/debits?reason=insufficient_funds".to_owned(),
                "c.reason_category = 'insufficient_funds'".to_owned(),
            ),
            (
                format!("/console/debits?employer={affiliation}"),
                format!("c.employer_id = {employer}"),
            ),
            (
                format!("/console/debits?employer={}", name_part.replace(' ', "%20")),
                format!(
                    "LOWER(e.name) LIKE '%{}%'",
                    name_part.to_lowercase().replace('\'', "''")
                ),
            ),
            (
                format!(
                    "/console/debits?min={},{:02}&max={}",
                    mid_low / 100,
                    mid_low % 100,
                    mid_high / 100
                ),
                format!(
                    "c.amount_centimes >= {mid_low} AND c.amount_centimes <= {}",
                    mid_high / 100 * 100
                ),
            ),
        ];
        let mut paged_somewhere = false;
        for (path, condition) in &cases {
            let (ids, totals, pages) = every_page(&finance, path).await;
            let (want, count, sum) = expected(&app, condition).await;
            assert!(!want.is_empty(), "{path} finds something to compare");
            assert_eq!(ids, want, "{path}");
            assert_eq!(totals, totals_line(count, sum), "{path}");
            paged_somewhere |= pages > 2;
        }
        assert!(paged_somewhere, "the whole list spans several pages");
        // A filter that takes nothing says so, with zero totals.
        let (status, page) = finance.get("/console/debits?min=999999999").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"no-debits\""), "{page}");
        assert!(page.contains(&totals_line(0, 0)), "{page}");
        // States, channels and reasons in words, never their codes.
        let (_, page) = finance.get("/console/debits?status=rejected").await;
        assert!(page.contains("Rejeté"));
        assert!(!page.contains(">rejected<") && !page.contains(">insufficient_funds<"));
        // Bad filters: each problem said, nothing listed.
        let (status, page) = finance
            .get("/console/debits?from=15%2F12%2F2026&min=douze&max=1")
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("« 15/12/2026 » n&#39;est pas une date")
                || page.contains("« 15/12/2026 » n'est pas une date"),
            "{page}"
        );
        assert!(page.contains("douze"), "{page}");
        assert!(rows(&page).is_empty());
        let (status, _) = finance
            .get("/console/debits?from=2026-12-31&to=2026-12-01")
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        // The console's navigation leads to it.
        let (_, dashboard) = finance.get("/console").await;
        assert!(dashboard.contains("href=\"/console/debits\""));
    }
);

both_backends!(
    the_csv_export_is_excel_ready_streamed_whole_and_masks_accounts,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        whole_cycle(&app, 40).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let response = finance
            .client
            .get(app.url("/console/debits.csv?channel=bank"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"debits-")
        );
        let bytes = response.bytes().await.unwrap();
        assert_eq!(
            &bytes[..3],
            b"\xef\xbb\xbf",
            "UTF-8 with its byte-order mark"
        );
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        assert_eq!(
            lines[0],
            "N°;Date de prélèvement;N° d'affiliation;Employeur;Canal;Montant;État;Motif d'échec;Code du motif;Tentative;Fichier;Compte"
        );
        let (want, _, _) = expected(&app, "c.channel = 'bank'").await;
        assert_eq!(lines.len() - 1, want.len());
        let amounts: Vec<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT c.id, c.amount_centimes, c.collection_date, e.affiliation_number FROM collections c \
             JOIN employers e ON e.id = c.employer_id WHERE c.channel = 'bank' \
             ORDER BY c.collection_date DESC, c.id DESC",
        )
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        for (line, (id, centimes, date, affiliation)) in lines[1..].iter().zip(&amounts) {
            let fields: Vec<&str> = line.split(';').collect();
            assert_eq!(fields.len(), 12, "{line}");
            assert_eq!(fields[0], id.to_string());
            let (y, m, day) = (&date[..4], &date[5..7], &date[8..10]);
            assert_eq!(fields[1], format!("{day}/{m}/{y}"));
            assert_eq!(fields[2], affiliation);
            assert_eq!(fields[4], "Banque");
            assert_eq!(
                fields[5],
                format!("{},{:02}", centimes / 100, centimes % 100)
            );
            let account = fields[11];
            assert!(
                account.len() == 8
                    && account.starts_with("****")
                    && account[4..].bytes().all(|b| b.is_ascii_digit()),
                "masked: {account}"
            );
        }
        // Refused filters are said on the list page, not as a broken file.
        let (status, page) = finance.get("/console/debits.csv?to=demain").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("demain"));
    }
);

both_backends!(
    a_csv_export_longer_than_one_read_has_every_debit_once,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        // More debits than the export reads at once (1,000), so it crosses a page.
        crate::harness::fixtures::planned(&app.store, 1_150).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (status, text) = finance.get("/console/debits.csv").await;
        assert_eq!(status, StatusCode::OK);
        let ids: Vec<i64> = text
            .trim_start_matches('\u{feff}')
            .split_terminator("\r\n")
            .skip(1)
            .map(|line| line.split(';').next().unwrap().parse().unwrap())
            .collect();
        let (want, count, _) = expected(&app, "1 = 1").await;
        assert_eq!(count, 1_150);
        assert_eq!(ids, want);
    }
);

both_backends!(
    only_finance_staff_and_administrators_see_the_debits,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let cycle = one_cycle(&app).await;
        add_user(&app.store, "admin@fund.dz", Role::Admin, &[]).await;
        add_user(&app.store, "boss@a.dz", Role::Employer, &["16000001"]).await;
        let admin = app.signed_in("admin@fund.dz").await;
        let employer = app.signed_in("boss@a.dz").await;
        let paths = [
            "/console/debits".to_owned(),
            "/console/debits?employer=16000001".to_owned(),
            "/console/debits.csv".to_owned(),
            format!("/console/debits/{}", cycle.a_settled),
        ];
        let anonymous = app.browser();
        for path in &paths {
            assert_eq!(admin.get(path).await.0, StatusCode::OK, "admin {path}");
            let (status, page) = employer.get(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "employer {path}");
            assert!(!page.contains("16000002"), "nothing leaks: {path}");
            let response = anonymous.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "anonymous {path}");
            assert_eq!(response.headers()["location"], "/login");
        }
    }
);

both_backends!(
    a_debits_timeline_tells_its_story_with_names_and_algiers_times,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let cycle = one_cycle(&app).await;
        app.store
            .create_user(
                &Actor::new("test"),
                NewUser {
                    email: "amina@fund.dz".to_owned(),
                    display_name: "Amina Benali".to_owned(),
                    role: Role::Finance,
                    password: PASSWORD.to_owned(),
                    employers: vec![],
                },
            )
            .await
            .unwrap();
        let amina = app.signed_in("amina@fund.dz").await;
        let (status, _, _) = amina
            .post("/language", &[("lang", "fr"), ("back", "/console")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        // The failed debit: planned, announced, in a file, rejected by the report, told.
        let (status, page) = amina
            .get(&format!("/console/debits/{}", cycle.b_rejected))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("id=\"debit-employer\"><bdi>16000002 — "),
            "the employer by number and name: {page}"
        );
        let timeline = &page[page.find("id=\"timeline\"").expect("a timeline")..];
        let order = [
            "Planifié",
            "Préavis envoyé à l&#39;employeur (version 1)",
            "Inclus dans le fichier n° ",
            "Compte rendu de la banque report.xml",
            "Rejeté — Provision insuffisante (AM04), appliqué",
            "Avis d&#39;échec",
        ];
        let mut at = 0;
        for step in order {
            let found = timeline[at..]
                .find(step)
                .unwrap_or_else(|| panic!("{step} after {at} in {timeline}"));
            at += found + step.len();
        }
        let file_id: i64 = sqlx::query_scalar("SELECT bank_file_id FROM collections WHERE id = $1")
            .bind(cycle.b_rejected)
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        assert!(timeline.contains(&format!("href=\"/console/files/{file_id}/download\"")));
        // A staff action on its next attempt: who by name, when in Algiers time.
        let (status, _, _) = amina
            .post(
                &format!("/console/debits/{}/hold", cycle.b_retry),
                &[("reason", "Employer called: paying by transfer")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = amina
            .get(&format!("/console/debits/{}", cycle.b_retry))
            .await;
        let timeline = &page[page.find("id=\"timeline\"").expect("a timeline")..];
        let held_at: String = sqlx::query_scalar(
            "SELECT at FROM audit_log WHERE entity = 'collection' AND entity_id = $1 \
             AND action = 'collection.held'",
        )
        .bind(cycle.b_retry.to_string())
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        let utc = chrono::DateTime::parse_from_rfc3339(&held_at).unwrap();
        let algiers = (utc + chrono::Duration::hours(1))
            .format("%d/%m/%Y %H:%M")
            .to_string();
        let row = timeline
            .split("<tr>")
            .find(|row| row.contains("Suspendu"))
            .unwrap_or_else(|| panic!("the hold in {timeline}"));
        assert!(row.contains(&algiers), "{row} at {algiers}");
        assert!(row.contains("Amina Benali"), "{row}");
        assert!(row.contains("Employer called: paying by transfer"), "{row}");
        assert!(!timeline.contains("user:"), "no raw actor: {timeline}");
        assert!(!timeline.contains(&held_at), "no UTC timestamp: {timeline}");
        assert!(
            !timeline.contains("collection."),
            "no raw action: {timeline}"
        );
    }
);

both_backends!(
    the_list_its_csv_and_a_timeline_read_in_arabic,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let cycle = one_cycle(&app).await;
        add_user(&app.store, "malika@fund.dz", Role::Finance, &[]).await;
        let reader = app.signed_in("malika@fund.dz").await;
        let (status, _, _) = reader
            .post("/language", &[("lang", "ar"), ("back", "/console")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, page) = reader.get("/console/debits?status=settled").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("dir=\"rtl\""));
        assert!(page.contains("جميع الاقتطاعات"), "{page}");
        assert!(page.contains("1 اقتطاع، بمبلغ إجمالي قدره"), "{page}");
        assert!(
            page.contains("<td><span class=\"badge good\">مسوّى</span></td>"),
            "{page}"
        );
        assert_eq!(rows(&page), vec![cycle.a_settled]);
        let (status, text) = reader.get("/console/debits.csv").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            text.starts_with("\u{feff}الرقم;تاريخ الاقتطاع;رقم الانتساب;"),
            "{text}"
        );
        assert!(text.contains(";رصيد غير كاف;AM04;"), "{text}");
        let (_, page) = reader
            .get(&format!("/console/debits/{}", cycle.b_rejected))
            .await;
        assert!(page.contains("السجل"));
        assert!(
            page.contains("إشعار مسبق أُرسل إلى المستخدِم (النسخة 1)"),
            "{page}"
        );
        assert!(page.contains("تقرير البنك report.xml"), "{page}");
        assert!(page.contains("الخدمة (آلياً)"));
    }
);

both_backends!(
    small_pages_cross_dates_and_a_debit_added_meanwhile_shifts_nothing,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        whole_cycle(&app, 60).await;
        let (want, _, _) = expected(&app, "1 = 1").await;
        let dates: std::collections::HashSet<String> =
            sqlx::query_scalar("SELECT DISTINCT collection_date FROM collections")
                .fetch_all(app.store.pool())
                .await
                .unwrap()
                .into_iter()
                .collect();
        assert!(dates.len() >= 2, "debits on several dates: {dates:?}");
        let filter = tahsil::store::DebitFilter::default();
        let mut seen = Vec::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            let page = app
                .store
                .list_debits(&filter, after.as_ref(), 7)
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            pages += 1;
            if pages == 2 {
                // A debit planned meanwhile on a later date: it belongs before the pages
                // already read, so the pages that follow neither repeat nor skip a row.
                sqlx::query(
                    "INSERT INTO collections (employer_id, mandate_id, channel, collection_date, \
                     amount_centimes, status, attempt, end_to_end_id, noticed_on, created_at, updated_at, \
                     announced_centimes, earliest_debit_date) \
                     SELECT employer_id, mandate_id, channel, '2027-01-15', amount_centimes, 'planned', 1, \
                     'T20270115M' || CAST(mandate_id AS TEXT), '2027-01-05', created_at, updated_at, \
                     amount_centimes, '2027-01-10' FROM collections WHERE id = $1",
                )
                .bind(want[want.len() / 2])
                .execute(app.store.pool())
                .await
                .unwrap();
            }
            after = page.last().map(|d| d.cursor());
            seen.extend(page.iter().map(|d| d.id));
        }
        assert_eq!(seen, want);
    }
);
