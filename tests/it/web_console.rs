//! The finance console's screens over real HTTP, on both databases, with real data: the
//! dashboard's next runs and charts after a whole cycle, runs and their files, imported
//! reports, employers, the calendar (a change moves planned debits and says so), dated
//! rates (administrators add them, declarations use them) and user management
//! (administrators only). The role × endpoint matrix is in `web_pages.rs`.

use chrono::{Datelike, NaiveDate};
use reqwest::StatusCode;
use tahsil::cycle::banksim::BankSim;
use tahsil::cycle::exchange::Folder;
use tahsil::cycle::import::import_inboxes;
use tahsil::cycle::run::run_date;
use tahsil::store::{Actor, NewDeclaration, NewDeclarationLine, Role, Store};

use crate::both_backends;
use crate::harness::TestDb;
use crate::store::employer_with_worksites;
use crate::web::{Browser, PASSWORD, WebApp, add_user, csrf_of, get_text};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn actor() -> Actor {
    Actor::new("test")
}

async fn planned_on(store: &Store, date: &str) -> i64 {
    count(
        store,
        &format!("SELECT COUNT(*) FROM collections WHERE status = 'planned' AND collection_date = '{date}'"),
    )
    .await
}

/// A signed-in staff member reading pages in French.
async fn french(app: &WebApp, email: &str, role: Role) -> (i64, Browser) {
    let id = add_user(&app.store, email, role, &[]).await;
    let browser = app.signed_in(email).await;
    let (status, _, _) = browser
        .post("/language", &[("lang", "fr"), ("back", "/console")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    (id, browser)
}

/// `employers` seeded employers planned for 2026-12-15, run, answered by the simulated
/// bank (with rejects and returns) and imported.
async fn whole_cycle(app: &WebApp, employers: u64) {
    crate::run::planned(&app.store, employers).await;
    let date = d(2026, 12, 15);
    run_date(&app.store, &app.settings, &actor(), date, "console")
        .await
        .unwrap();
    let sim = BankSim {
        reject_per_mille: 250,
        return_per_mille: 150,
        seed: 11,
        today: date,
        layouts: app.settings.layouts,
    };
    for institution in &app.settings.institutions {
        sim.answer(
            &app.settings.folder(institution.name, Folder::Outbox),
            &app.settings.folder(institution.name, Folder::Inbox),
        )
        .unwrap();
    }
    import_inboxes(&app.store, &app.settings, &actor(), date)
        .await
        .unwrap();
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

fn money(centimes: i64) -> String {
    tahsil::web::format_money(mandates::Amount::from_centimes(centimes), "fr").unwrap()
}

both_backends!(
    the_dashboard_charts_collection_rate_and_failure_reasons_of_a_real_cycle,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (status, page) = finance.get("/console").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Aucun prélèvement planifié."), "{page}");
        assert!(page.contains("Aucun prélèvement présenté pour l&#39;instant."));

        whole_cycle(&app, 40).await;
        let presented = count(
            &app.store,
            "SELECT COUNT(*) FROM collections WHERE collection_date = '2026-12-15' AND bank_file_id IS NOT NULL",
        )
        .await;
        let settled = count(
            &app.store,
            "SELECT COUNT(*) FROM collections WHERE collection_date = '2026-12-15' AND status = 'settled'",
        )
        .await;
        assert_eq!(presented, 40);
        assert!(
            settled > 0 && settled < presented,
            "{settled} of {presented}"
        );
        let permille = (settled * 2000 + presented) / (2 * presented);
        let rate = format!("{},{}\u{a0}%", permille / 10, permille % 10);

        let (status, page) = finance.get("/console").await;
        assert_eq!(status, StatusCode::OK);
        // The collection-rate chart: an SVG with a text alternative, the bar's own title,
        // the value drawn above it and the same figures in the data table.
        assert!(
            page.contains("<svg class=\"chart\" id=\"rate-chart\" role=\"img\""),
            "{page}"
        );
        assert!(page.contains(
            "<title id=\"rate-chart-title\">Taux de recouvrement par date de prélèvement</title>"
        ));
        assert!(
            page.contains(&format!(
                "<title>2026-12-15: {settled} Réglés / {presented} Présentés ({rate})</title>"
            )),
            "bar title with {rate}: {page}"
        );
        assert!(page.contains(&format!(
            "text-anchor=\"middle\" fill=\"#1a1a1a\">{rate}</text>"
        )));
        let settled_sum = count(
            &app.store,
            "SELECT CAST(SUM(amount_centimes) AS BIGINT) FROM collections WHERE collection_date = '2026-12-15' AND status = 'settled'",
        )
        .await;
        assert!(
            page.contains(&format!(
                "<td class=\"num\">{presented}</td><td class=\"num\">{settled}</td><td class=\"num\">{}</td><td class=\"num\"><bdi>{rate}</bdi></td>",
                presented - settled
            )),
            "data table row: {page}"
        );
        assert!(page.contains(&money(settled_sum)), "settled amount, exact");

        // Failure reasons: one stacked segment per reason, counted as in the database.
        let reasons: Vec<(String, i64)> = sqlx::query_as(
            "SELECT COALESCE(reason_category, 'other'), COUNT(*) FROM collections \
             WHERE collection_date = '2026-12-15' AND status IN ('rejected', 'returned', 'retry_planned') \
             GROUP BY COALESCE(reason_category, 'other')",
        )
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        assert!(!reasons.is_empty());
        assert!(page.contains("id=\"failure-chart\""));
        for (category, n) in &reasons {
            let label = match category.as_str() {
                "insufficient_funds" => "Provision insuffisante",
                "account_closed" => "Compte clôturé ou inconnu",
                "account_blocked" => "Compte bloqué",
                "no_or_invalid_mandate" => "Mandat absent ou invalide",
                "debtor_refused" => "Refus du débiteur",
                "amount_or_limit" => "Montant ou plafond",
                "duplicate" => "Doublon",
                "technical_or_format" => "Technique ou format",
                "regulatory" => "Motif réglementaire",
                _ => "Autre motif",
            };
            assert!(
                page.contains(&format!("<title>2026-12-15 — {label}: {n}</title>")),
                "{category} ({label}) × {n}: {page}"
            );
        }
        let failed: i64 = reasons.iter().map(|(_, n)| n).sum();
        assert!(page.contains(&format!("<td class=\"num\">{failed}</td></tr>")));

        // Next runs: the retries planned by the import, by date and channel.
        let planned: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT collection_date, channel, COUNT(*), CAST(SUM(amount_centimes) AS BIGINT) \
             FROM collections WHERE status = 'planned' GROUP BY collection_date, channel",
        )
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        assert!(
            !planned.is_empty(),
            "insufficient funds are presented again"
        );
        let channel = |c: &str| if c == "bank" { "Banque" } else { "Poste (CCP)" };
        for (date, ch, n, sum) in &planned {
            assert!(
                page.contains(&format!(
                    "<tr><td><bdi>{date}</bdi></td><td>{}</td><td class=\"num\">{n}</td><td class=\"num\"><bdi>{}</bdi></td></tr>",
                    channel(ch),
                    money(*sum)
                )),
                "next run {date} {ch}: {page}"
            );
        }
        // No script, no inline style: the charts are attributes only (the CSP forbids both).
        assert!(!page.contains("<script") && !page.contains("style="));

        // In Arabic the page is right to left and the chart keeps its own direction.
        finance
            .post("/language", &[("lang", "ar"), ("back", "/console")])
            .await;
        let (_, page) = finance.get("/console").await;
        assert!(page.contains("dir=\"rtl\""));
        assert!(page.contains("direction=\"ltr\""));
        assert!(page.contains("نسبة التحصيل حسب تاريخ الاقتطاع"));
        assert!(page.contains(&format!(
            "<title>2026-12-15: {settled} المسوّاة / {presented} المقدَّمة"
        )));
    }
);

both_backends!(
    runs_list_their_files_and_reports_their_matches,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (_, page) = finance.get("/console/runs").await;
        assert!(page.contains("Aucune remise pour l&#39;instant."));
        let (_, page) = finance.get("/console/reports").await;
        assert!(page.contains("Aucun compte rendu importé."));

        whole_cycle(&app, 30).await;
        let run_id: i64 = count(
            &app.store,
            "SELECT id FROM runs WHERE collection_date = '2026-12-15'",
        )
        .await;
        let files = app.store.bank_files(None).await.unwrap();
        let (status, page) = finance.get("/console/runs").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&format!(
                "<a href=\"/console/runs/{run_id}\"><bdi>2026-12-15</bdi></a>"
            )),
            "{page}"
        );
        for (institution, label) in [("bank", "Banque"), ("poste", "Algérie Poste")] {
            let mine: Vec<_> = files
                .iter()
                .filter(|f| f.institution == institution)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let transactions: i64 = mine.iter().map(|f| f.transactions).sum();
            let sum: i64 = mine.iter().map(|f| f.control_sum_centimes).sum();
            assert!(
                page.contains(&format!(
                    "<td>{label}</td><td class=\"num\">{}</td><td class=\"num\">{transactions}</td><td class=\"num\"><bdi>{}</bdi></td>",
                    mine.len(),
                    money(sum)
                )),
                "{institution}: {page}"
            );
        }

        let (status, page) = finance.get(&format!("/console/runs/{run_id}")).await;
        assert_eq!(status, StatusCode::OK);
        let (settled, sum): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(amount_centimes) AS BIGINT) FROM collections WHERE status = 'settled' AND bank_file_id IS NOT NULL",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        assert!(
            page.contains(&format!("<tr><td>Réglé</td><td class=\"num\">{settled}</td><td class=\"num\"><bdi>{}</bdi></td></tr>", money(sum))),
            "{page}"
        );
        for file in &files {
            assert!(page.contains(&format!("/console/files/{}/download", file.id)));
            assert!(page.contains(&file.file_name));
        }
        assert_eq!(
            finance.get("/console/runs/999999").await.0,
            StatusCode::NOT_FOUND
        );

        // Reports: items, matched and unmatched as recorded.
        let reports = app.store.reports().await.unwrap();
        assert!(!reports.is_empty());
        let (status, page) = finance.get("/console/reports").await;
        assert_eq!(status, StatusCode::OK);
        for report in &reports {
            let matched = count(
                &app.store,
                &format!("SELECT COUNT(*) FROM report_items WHERE report_id = {} AND collection_id IS NOT NULL", report.id),
            )
            .await;
            assert!(page.contains(&report.file_name));
            assert!(
                page.contains(&format!(
                    "<td class=\"num\">{}</td><td class=\"num matched\">{matched}</td><td class=\"num unmatched\">0</td>",
                    report.items
                )),
                "report {}: {page}",
                report.id
            );
        }
        // A report with items we never sent: unmatched, with their exceptions.
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO reports (institution, file_name, sha256, format, items, applied, exceptions, imported_at, imported_by) \
             VALUES ('bank', 'stray-camt054.xml', 'ab', 'camt.054', 3, 1, 2, '2026-12-16T09:00:00Z', 'user:9') RETURNING id",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        let collection = count(&app.store, "SELECT MIN(id) FROM collections").await;
        for (item, collection_id, outcome) in [
            (1, Some(collection), "duplicate"),
            (2, None, "unmatched"),
            (3, None, "unmatched"),
        ] {
            sqlx::query(
                "INSERT INTO report_items (report_id, item, effect, collection_id, outcome) VALUES ($1, $2, 'settle', $3, $4)",
            )
            .bind(id)
            .bind(item)
            .bind(collection_id)
            .bind(outcome)
            .execute(app.store.pool())
            .await
            .unwrap();
        }
        for item in [2, 3] {
            sqlx::query(
                "INSERT INTO exceptions (kind, report_id, item, detail, status, created_at) \
                 VALUES ('unmatched', $1, $2, 'not ours', $3, '2026-12-16T09:00:00Z')",
            )
            .bind(id)
            .bind(item)
            .bind(if item == 2 { "open" } else { "resolved" })
            .execute(app.store.pool())
            .await
            .unwrap();
        }
        let (_, page) = finance.get("/console/reports").await;
        assert!(
            page.contains(&format!(
                "<tr id=\"report-{id}\"><td class=\"num\">{id}</td><td dir=\"ltr\">stray-camt054.xml</td><td>Banque</td>"
            )),
            "{page}"
        );
        assert!(page.contains(
            "<td class=\"num\">3</td><td class=\"num matched\">1</td><td class=\"num unmatched\">2</td><td class=\"num\"><a href=\"/console/exceptions\">2 (1)</a></td>"
        ));
    }
);

both_backends!(
    an_employer_is_found_and_shown_whole_to_staff,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        tahsil::demo::seed(&app.store, 55, 1, "2026-10", 3, |_| {})
            .await
            .unwrap();
        let a = employer_with_worksites(&app.store, "16999001", &["W1", "W2"]).await;
        crate::cycle::signed_mandate(&app.store, a, "004 00174 4010010504 86", Some("500000.00"))
            .await;
        app.store
            .submit_declaration(
                &actor(),
                a,
                NewDeclaration {
                    period: "2026-10".to_owned(),
                    lines: vec![NewDeclarationLine {
                        worksite_code: "W1".to_owned(),
                        headcount: 4,
                        wage_bill: mandates::Amount::parse("100000.00").unwrap(),
                        bad_weather_base: mandates::Amount::parse("40000.00").unwrap(),
                    }],
                },
            )
            .await
            .unwrap();
        app.store
            .plan_collections(&actor(), d(2026, 12, 15), d(2026, 12, 1))
            .await
            .unwrap();
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;

        // Paginated: 56 employers, 50 a page.
        let (status, page) = finance.get("/console/employers").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page.matches("<a href=\"/console/employers/").count(), 50);
        let next = page
            .split("id=\"next-page\"")
            .next()
            .and_then(|s| s.rsplit("href=\"").next())
            .map(|s| {
                s.trim_end_matches("\" ")
                    .trim_end_matches('"')
                    .replace("&#38;", "&")
            })
            .unwrap();
        let (_, page) = finance.get(&next).await;
        assert_eq!(
            page.matches("<a href=\"/console/employers/").count(),
            6,
            "{next}"
        );
        assert!(page.contains(&format!("/console/employers/{a}\"")));
        assert!(!page.contains("id=\"next-page\""));
        // By affiliation number, or by a part of the name.
        let (_, page) = finance.get("/console/employers?q=16999001").await;
        assert_eq!(page.matches("<a href=\"/console/employers/").count(), 1);
        let (_, page) = finance.get("/console/employers?q=b%C3%A2timent%20DU").await;
        assert!(
            page.contains(&format!("/console/employers/{a}\"")),
            "{page}"
        );
        let (_, page) = finance.get("/console/employers?q=%25%25nothing").await;
        assert!(page.contains("Aucun employeur ne correspond."));

        let (status, page) = finance.get(&format!("/console/employers/{a}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("16999001") && page.contains("SARL Bâtiment du Sud"));
        assert!(page.contains("شركة البناء الجنوبية"), "the other name too");
        assert!(page.contains("<td><bdi>W1</bdi></td>") && page.contains("<td><bdi>W2</bdi></td>"));
        // The mandate: masked account, status and the signature's evidence.
        let mandate = app.store.list_mandates(a).await.unwrap().remove(0);
        assert!(page.contains(&mandate.account_masked) && !page.contains("4010010504"));
        assert!(page.contains("<td class=\"status\">Actif</td>"));
        assert!(page.contains("192.0.2.1") && page.contains(&"b".repeat(64)));
        assert!(page.contains(&money(50_000_000)), "ceiling");
        // Declaration, planned collection, notices and the audit trail.
        let declaration = app.store.list_declarations(a).await.unwrap().remove(0);
        assert!(page.contains(&money(declaration.total.centimes())));
        assert!(
            page.contains("<td><bdi>2026-12-15</bdi></td><td>Banque</td>"),
            "{page}"
        );
        assert!(page.contains("<td>Planifié</td>"));
        assert!(
            page.contains("<td>Préavis</td><td>En attente</td>"),
            "{page}"
        );
        for action in [
            "employer.created",
            "worksite.created",
            "mandate.signed",
            "declaration.submitted",
        ] {
            assert!(
                page.contains(&format!("<td dir=\"ltr\">{action}</td>")),
                "{action}"
            );
        }
        // Another employer's trail is not in this one.
        employer_with_worksites(&app.store, "16999002", &["W1"]).await;
        let (_, page) = finance.get(&format!("/console/employers/{a}")).await;
        assert_eq!(
            page.matches("<td dir=\"ltr\">employer.created</td>")
                .count(),
            1
        );
        assert_eq!(
            finance.get("/console/employers/999999").await.0,
            StatusCode::NOT_FOUND
        );
    }
);

both_backends!(
    calendar_changes_move_planned_debits_and_say_so,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        crate::run::planned(&app.store, 5).await;
        let (finance_id, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (status, page) = finance.get("/console/calendar?year=2026").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("<td><bdi>2026-07-05</bdi></td>"),
            "Independence Day: {page}"
        );

        // A lunar holiday announced on the collection date: the 5 debits move to the 16th.
        let (status, page, _) = finance
            .post(
                "/console/calendar/add",
                &[
                    ("date", "2026-12-15"),
                    ("name", "Fête test"),
                    ("kind", "lunar_provisional"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(
            page.contains("<li>5 prélèvement(s) planifié(s) déplacé(s) du <bdi>2026-12-15</bdi> au <bdi>2026-12-16</bdi></li>"),
            "{page}"
        );
        assert_eq!(
            (
                planned_on(&app.store, "2026-12-15").await,
                planned_on(&app.store, "2026-12-16").await
            ),
            (0, 5)
        );
        assert!(page.contains("Lunaire, provisoire") && page.contains("id=\"confirm-"));
        let trail = app.store.calendar_history(10).await.unwrap();
        assert_eq!(trail.len(), 2);
        assert_eq!(trail[1].action, "calendar.holiday_added");
        assert_eq!(trail[0].action, "collections.rescheduled");
        assert!(
            trail
                .iter()
                .all(|e| e.actor == format!("user:{finance_id}"))
        );
        // The history says it in words.
        assert!(page.contains("<td>Prélèvements déplacés</td><td>5 prélèvement(s) planifié(s) déplacé(s) du 2026-12-15 au 2026-12-16</td>"), "{page}");

        // Confirmed, then shifted onto the new date: the debits move again, to the 17th.
        let (status, page, _) = finance
            .post(
                "/console/calendar/confirm",
                &[("date", "2026-12-15"), ("name", "Fête test")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"nothing-moved\""));
        let (status, page, _) = finance
            .post(
                "/console/calendar/shift",
                &[
                    ("date", "2026-12-15"),
                    ("name", "Fête test"),
                    ("to", "2026-12-16"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("<li>5 prélèvement(s) planifié(s) déplacé(s) du <bdi>2026-12-16</bdi> au <bdi>2026-12-17</bdi></li>"), "{page}");
        assert_eq!(planned_on(&app.store, "2026-12-17").await, 5);
        // Removing it moves nothing back (later dates keep their notice valid).
        let (status, page, _) = finance
            .post(
                "/console/calendar/remove",
                &[("date", "2026-12-16"), ("name", "Fête test")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"nothing-moved\""));
        assert_eq!(planned_on(&app.store, "2026-12-17").await, 5);

        // Refusals say what is wrong, and change nothing.
        let before = app.store.calendar_history(100).await.unwrap().len();
        let (status, page, _) = finance
            .post(
                "/console/calendar/add",
                &[("date", "15/12/2026"), ("name", "x"), ("kind", "fixed")],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Date invalide"));
        let (status, page, _) = finance
            .post(
                "/console/calendar/add",
                &[("date", "2026-12-20"), ("name", " "), ("kind", "fixed")],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Indiquez le nom du jour férié."));
        let (status, page, _) = finance
            .post(
                "/console/calendar/shift",
                &[
                    ("date", "2026-12-20"),
                    ("name", "Nothing"),
                    ("to", "2026-12-21"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("id=\"error\""), "{page}");
        let response = finance
            .client
            .post(app.url("/console/calendar/add"))
            .form(&[
                ("date", "2026-12-20"),
                ("name", "No token"),
                ("kind", "fixed"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "no CSRF token");
        assert_eq!(app.store.calendar_history(100).await.unwrap().len(), before);
    }
);

async fn post_rate(
    browser: &Browser,
    rate: &str,
    valid_from: &str,
) -> (StatusCode, String, Option<String>) {
    browser
        .post(
            "/console/rates",
            &[
                ("scheme", "paid_leave"),
                ("rate", rate),
                ("valid_from", valid_from),
                ("source", "Décret exécutif test"),
            ],
        )
        .await
}

/// The first day of the month after the fund's today.
fn next_month() -> NaiveDate {
    let today = (chrono::Utc::now() + chrono::Duration::hours(1)).date_naive();
    let (y, m) = if today.month() == 12 {
        (today.year() + 1, 1)
    } else {
        (today.year(), today.month() + 1)
    };
    d(y, m, 1)
}

both_backends!(
    administrators_add_dated_rates_that_declarations_then_use,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (admin_id, admin) = french(&app, "admin@fund.dz", Role::Admin).await;
        let (status, page) = finance.get("/console/rates").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("<bdi>12,21</bdi>") && page.contains("Congés payés"));
        assert!(
            page.contains("Seuls les administrateurs peuvent ajouter un taux.")
                && !page.contains("id=\"add-rate\"")
        );
        let from = next_month();
        let (status, _, _) = post_rate(&finance, "12,5", &from.to_string()).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "finance staff may not add rates"
        );
        assert_eq!(app.store.contribution_rates().await.unwrap().len(), 3);

        // Refused: not a rate, in the past, not the first of a month.
        for (rate, date, expected) in [
            ("douze", from.to_string(), "Taux invalide"),
            (
                "12,5",
                "2020-01-01".to_owned(),
                "Un nouveau taux doit commencer après aujourd&#39;hui",
            ),
            (
                "12,5",
                (from + chrono::Duration::days(1)).to_string(),
                "Un taux commence le premier jour d&#39;un mois",
            ),
            ("12,5", "2027-13-01".to_owned(), "Date invalide"),
        ] {
            let (status, page, _) = post_rate(&admin, rate, &date).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rate} {date}");
            assert!(page.contains(expected), "{expected}: {page}");
        }
        assert_eq!(app.store.contribution_rates().await.unwrap().len(), 3);

        let (status, _, location) = post_rate(&admin, "12,5", &from.to_string()).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = admin.get(location.as_deref().unwrap()).await;
        assert!(page.contains("Taux ajouté."));
        assert!(page.contains("<bdi>12,5</bdi>") && page.contains("Décret exécutif test"));
        let day_before = (from - chrono::Duration::days(1)).to_string();
        assert!(
            page.contains(&format!("<td><bdi>{day_before}</bdi></td>")),
            "the old rate ends the day before"
        );
        let rates = app.store.contribution_rates().await.unwrap();
        let added = rates.iter().find(|r| r.rate_ppm == 125_000).unwrap();
        assert_eq!(added.valid_from, from.to_string());
        let trail = app
            .store
            .audit_trail("contribution_rate", added.id)
            .await
            .unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0].action, "rate.added");
        assert_eq!(trail[0].actor, format!("user:{admin_id}"));
        // The same start again: refused.
        let (status, page, _) = post_rate(&admin, "13", &from.to_string()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("ajoutez les taux dans l&#39;ordre des dates"),
            "{page}"
        );

        // A declaration for a period from then on is computed with the new rate.
        let e = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        let period = format!("{:04}-{:02}", from.year(), from.month());
        let declaration = app
            .store
            .submit_declaration(
                &actor(),
                e,
                NewDeclaration {
                    period,
                    lines: vec![NewDeclarationLine {
                        worksite_code: "W1".to_owned(),
                        headcount: 1,
                        wage_bill: mandates::Amount::parse("100000.00").unwrap(),
                        bad_weather_base: mandates::Amount::ZERO,
                    }],
                },
            )
            .await
            .unwrap();
        assert_eq!(
            declaration.lines[0].paid_leave.centimes(),
            1_250_000,
            "12.5 % of 100,000.00"
        );
    }
);

both_backends!(
    administrators_invite_disable_and_enable_users,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        let (finance_id, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (admin_id, admin) = french(&app, "admin@fund.dz", Role::Admin).await;
        let never = add_user(&app.store, "dormant@fund.dz", Role::Finance, &[]).await;

        // Finance staff: no user management, not even in the navigation.
        let (_, page) = finance.get("/console").await;
        assert!(!page.contains("/console/users"));
        assert_eq!(finance.get("/console/users").await.0, StatusCode::FORBIDDEN);
        let (status, _, _) = finance
            .post(
                "/console/users",
                &[("email", "x@fund.dz"), ("role", "admin")],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = finance
            .post(&format!("/console/users/{admin_id}/disable"), &[])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            app.store
                .user_by_email("x@fund.dz")
                .await
                .unwrap()
                .is_none()
        );
        assert!(!app.store.user(admin_id).await.unwrap().disabled);

        let (status, page) = admin.get("/console").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("href=\"/console/users\""));
        let (status, page) = admin.get("/console/users").await;
        assert_eq!(status, StatusCode::OK);
        let signed_in: String = sqlx::query_scalar(
            "SELECT MAX(at) FROM audit_log WHERE action = 'user.signed_in' AND entity_id = $1",
        )
        .bind(finance_id.to_string())
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        assert!(
            page.contains(&format!(
                "<td><bdi>{signed_in}</bdi></td><td class=\"state\">Actif</td>"
            )),
            "{page}"
        );
        assert!(
            page.contains(&format!("id=\"user-{never}\"")) && page.contains("<bdi>Jamais</bdi>")
        );
        assert!(
            !page.contains(&format!("id=\"disable-{admin_id}\"")),
            "not oneself"
        );

        // Create: every problem said, nothing recorded.
        for (fields, expected) in [
            (
                vec![("email", "not-an-email"), ("role", "finance")],
                "Adresse e-mail invalide.",
            ),
            (
                vec![("email", "e@cabinet.dz"), ("role", "employer")],
                "au moins un employeur",
            ),
            (
                vec![
                    ("email", "e@cabinet.dz"),
                    ("role", "finance"),
                    ("employers", "16000001"),
                ],
                "laissez ce champ vide",
            ),
            (
                vec![
                    ("email", "e@cabinet.dz"),
                    ("role", "employer"),
                    ("employers", "16000001 16999999"),
                ],
                "Aucun employeur n",
            ),
            (
                vec![("email", "e@cabinet.dz"), ("role", "root")],
                "Choisissez un rôle",
            ),
            (
                vec![("email", "Finance@fund.dz"), ("role", "finance")],
                "Un utilisateur a déjà cette adresse e-mail.",
            ),
        ] {
            let (status, page, _) = admin.post("/console/users", &fields).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
            assert!(page.contains(expected), "{expected}: {page}");
        }
        assert!(
            app.store
                .user_by_email("e@cabinet.dz")
                .await
                .unwrap()
                .is_none()
        );

        let (status, _, location) = admin
            .post(
                "/console/users",
                &[
                    ("email", "e@cabinet.dz"),
                    ("display_name", "Cabinet E"),
                    ("role", "employer"),
                    ("employers", "16000001"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = admin.get(location.as_deref().unwrap()).await;
        assert!(page.contains("Utilisateur créé."));
        let created = app
            .store
            .user_by_email("e@cabinet.dz")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (created.role, created.employer_ids.len()),
            (Role::Employer, 1)
        );
        let trail = app.store.audit_trail("user", created.id).await.unwrap();
        assert_eq!(trail[0].action, "user.created");
        assert_eq!(trail[0].actor, format!("user:{admin_id}"));
        // No password was typed by anyone: the person sets one through the queued link.
        let hash: Option<String> =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(created.id)
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert!(hash.is_none());
        let email = app
            .store
            .password_reset_emails()
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.user_id == created.id)
            .expect("an invitation queued");
        let expires = chrono::DateTime::parse_from_rfc3339(&email.expires_at).unwrap();
        assert!(expires > chrono::Utc::now() + chrono::Duration::hours(71));
        let client = app.browser();
        let (_, login) = get_text(&client, &app.url("/login")).await;
        let response = client
            .post(app.url("/login"))
            .form(&[
                ("csrf", csrf_of(&login).as_str()),
                ("email", "e@cabinet.dz"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_ne!(response.status(), StatusCode::SEE_OTHER, "no password yet");
        app.store
            .reset_password(&email.token, PASSWORD)
            .await
            .unwrap();
        let employer_user = app.signed_in("e@cabinet.dz").await;
        assert_eq!(
            employer_user.get("/console/users").await.0,
            StatusCode::FORBIDDEN
        );

        // Disable: the session ends at once; enable: signing in works again.
        let (status, _, _) = admin
            .post(&format!("/console/users/{finance_id}/disable"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) = finance.get("/console").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "signed out");
        let (_, page) = admin.get("/console/users").await;
        assert!(page.contains(&format!("id=\"enable-{finance_id}\"")));
        let (status, _, _) = admin
            .post(&format!("/console/users/{finance_id}/enable"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let again = app.signed_in("finance@fund.dz").await;
        assert_eq!(again.get("/console").await.0, StatusCode::OK);
        let actions: Vec<String> = app
            .store
            .audit_trail("user", finance_id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .filter(|a| a != "user.signed_in")
            .collect();
        assert_eq!(actions, ["user.created", "user.disabled", "user.enabled"]);
        // Not oneself.
        let (status, page, _) = admin
            .post(&format!("/console/users/{admin_id}/disable"), &[])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Vous ne pouvez pas désactiver votre propre compte."));
        assert!(!app.store.user(admin_id).await.unwrap().disabled);
    }
);

both_backends!(
    exceptions_are_paged_newest_first_with_the_open_count_on_every_page,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        // 130 exceptions without a report (ids 1 …130); every third one resolved.
        for n in 1..=130 {
            sqlx::query(
                "INSERT INTO exceptions (kind, detail, status, created_at) \
                 VALUES ('needs_staff', $1, $2, '2026-12-16T09:00:00Z')",
            )
            .bind(format!("case {n}"))
            .bind(if n % 3 == 0 { "resolved" } else { "open" })
            .execute(app.store.pool())
            .await
            .unwrap();
        }
        let ids = |page: &str| -> Vec<i64> {
            page.match_indices("<tr id=\"exception-")
                .map(|(at, _)| {
                    let rest = &page[at + "<tr id=\"exception-".len()..];
                    rest[..rest.find('"').unwrap()].parse().unwrap()
                })
                .collect()
        };
        let open = "<strong id=\"open-exceptions\">87</strong>";
        let (status, first) = finance.get("/console/exceptions").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&first), (31..=130).rev().collect::<Vec<_>>());
        assert!(first.contains(open), "{first}");
        assert!(first.contains("href=\"/console/exceptions?before=31\""));
        assert!(!first.contains("id=\"newest\""));

        let (status, second) = finance.get("/console/exceptions?before=31").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&second), (1..=30).rev().collect::<Vec<_>>());
        assert!(second.contains(open));
        assert!(
            !second.contains("id=\"older\""),
            "the oldest page ends the list"
        );
        assert!(second.contains("<a id=\"newest\" href=\"/console/exceptions\">"));

        // A page number that is not one shows the newest page.
        let (status, odd) = finance.get("/console/exceptions?before=x").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&odd), ids(&first));

        // The dashboard counts them without reading them all.
        let (_, dashboard) = finance.get("/console").await;
        assert!(dashboard.contains(open), "{dashboard}");
    }
);
