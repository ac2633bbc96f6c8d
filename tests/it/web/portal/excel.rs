//! Declarations as people make them, over real HTTP on both databases: CSV files as Excel
//! writes them (Windows-1252 in French, Windows-1256 in Arabic, tab-separated, quoted,
//! lower-case codes, trailing empty rows), the template pre-filled with the employer's
//! worksites read back after filling, and the period picker offering the open periods
//! only — each accepted by the form it sits in.

use encoding_rs::{WINDOWS_1252, WINDOWS_1256};
use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::store::{Actor, Role};

use crate::both_backends;
use crate::harness::fixtures::{add_user, d, declare, employer_with_worksites, signed_mandate};
use crate::harness::{Browser, TestDb, WebApp};

/// Uploads `bytes` as the declaration file of `period`, as the page's form does.
async fn upload(
    browser: &Browser,
    app: &WebApp,
    employer: i64,
    period: &str,
    bytes: Vec<u8>,
) -> (StatusCode, String, Option<String>) {
    let form = reqwest::multipart::Form::new()
        .text("csrf", browser.csrf.clone())
        .text("period", period.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name("declaration.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let response = browser
        .client
        .post(app.url(&format!("/portal/{employer}/declarations")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, response.text().await.unwrap(), location)
}

/// The declared wage bills of `period`, by worksite code, in centimes.
async fn declared(app: &WebApp, employer: i64, period: &str) -> Vec<(String, i64, i64)> {
    let declaration = app
        .store
        .declaration_for_period(employer, period)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{period} declared"));
    declaration
        .lines
        .iter()
        .map(|l| (l.worksite_code.clone(), l.headcount, l.wage_bill.centimes()))
        .collect()
}

/// The `(value, label, selected)` of each option of the `<select id="{id}">` of a page.
fn options(page: &str, id: &str) -> Vec<(String, String, bool)> {
    let start = page
        .find(&format!("<select id=\"{id}\""))
        .unwrap_or_else(|| panic!("a select #{id} in {page}"));
    let end = start + page[start..].find("</select>").unwrap();
    page[start..end]
        .split("<option value=\"")
        .skip(1)
        .map(|option| {
            let (value, rest) = option.split_once('"').unwrap();
            let (_, label) = rest.split_once('>').unwrap();
            let label = label.split("</option>").next().unwrap();
            (
                value.to_owned(),
                label.to_owned(),
                rest.starts_with(" selected"),
            )
        })
        .collect()
}

both_backends!(
    csv_files_are_read_as_excel_writes_them_and_the_template_round_trips,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 7))).await;
        let a = employer_with_worksites(&app.store, "16000001", &["W1", "W2", "Sud-3"]).await;
        let b = employer_with_worksites(&app.store, "16000002", &["X1"]).await;
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        let browser = app.signed_in("a@a.dz").await;
        browser
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;

        // French Excel: Windows-1252 (accents in the header), `;`, decimal commas,
        // lower-case codes, a quoted amount, and the trailing empty rows Excel leaves.
        let french = "Code chantier;Effectif;Masse salariale;Assiette intempéries\r\n\
                      w1;4;125 000,50;1 000,00\r\nSUD-3;2;\"80 000,00\";\r\n;;;\r\n;;;\r\n";
        let (bytes, _, unmappable) = WINDOWS_1252.encode(french);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8 on purpose");
        let (status, page, location) = upload(&browser, &app, a, "2026-11", bytes.into()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert!(location.unwrap().ends_with("done=recorded"));
        assert_eq!(
            declared(&app, a, "2026-11").await,
            vec![
                ("Sud-3".to_owned(), 2, 8_000_000),
                ("W1".to_owned(), 4, 12_500_050)
            ]
        );

        // Arabic Windows: Windows-1256 with an Arabic header and a trailing empty row.
        let arabic = "رمز الورشة;عدد العمال;كتلة الأجور;وعاء البطالة الجوية\r\n\
                      W2;7;300000,00;0\r\n;;;\r\n";
        let (bytes, _, unmappable) = WINDOWS_1256.encode(arabic);
        assert!(!unmappable);
        let (status, page, _) = upload(&browser, &app, a, "2026-10", bytes.into()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(
            declared(&app, a, "2026-10").await,
            vec![("W2".to_owned(), 7, 30_000_000)]
        );

        // Tab-separated (a text export), and commas with quoted fields holding commas.
        let tabs = b"code\teffectif\tmasse\tintemperies\nw2\t3\t1 500,25\t\n".to_vec();
        let (status, page, _) = upload(&browser, &app, a, "2026-09", tabs).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(
            declared(&app, a, "2026-09").await,
            vec![("W2".to_owned(), 3, 150_025)]
        );
        let quoted = b"\"Chantier, code\",\"Effectif\",\"Masse\",\"Intemperies\"\n\
                       \"w1\",\"5\",\"12 000,75\",\"1,5\"\n,,,\n"
            .to_vec();
        let (status, page, _) = upload(&browser, &app, a, "2026-08", quoted).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(
            declared(&app, a, "2026-08").await,
            vec![("W1".to_owned(), 5, 1_200_075)]
        );

        // Errors still name the file's line and the field, and nothing is recorded.
        let (bytes, _, _) = WINDOWS_1252.encode(
            "Chantier;Effectif;Masse;Intempéries\r\nw1;douze;1,00;\r\n;;;\r\nW9;1;1,00;\r\n",
        );
        let (status, page, _) = upload(&browser, &app, a, "2026-07", bytes.into()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("Ligne 2, champ effectif (headcount) : « douze »"),
            "{page}"
        );
        assert!(
            page.contains("Ligne 4, champ code chantier (worksite_code) : « W9 »"),
            "{page}"
        );
        assert_eq!(
            page.matches("<li dir=\"auto\">").count(),
            2,
            "the empty row says nothing: {page}"
        );
        assert!(
            app.store
                .declaration_for_period(a, "2026-07")
                .await
                .unwrap()
                .is_none()
        );

        // A workbook sent instead of its CSV: said so, with how to save the CSV.
        let mut xlsx = b"PK\x03\x04".to_vec();
        xlsx.extend_from_slice(&[0x14, 0, 0, 0, 8, 0, 0xff, 0xfe]);
        let (status, page, _) = upload(&browser, &app, a, "2026-07", xlsx).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("c&#39;est un classeur") || page.contains("c'est un classeur"),
            "{page}"
        );
        assert_eq!(page.matches("<li dir=\"auto\">").count(), 1, "{page}");

        // The template: offered beside the upload, the employer's worksites pre-filled,
        // UTF-8 with a byte order mark and `;`; filled in and sent back as it is.
        let (_, page) = browser.get(&format!("/portal/{a}/declarations")).await;
        assert!(
            page.contains(&format!(
                "href=\"/portal/{a}/declarations/template.csv\" id=\"template\""
            )),
            "{page}"
        );
        let response = browser
            .client
            .get(app.url(&format!("/portal/{a}/declarations/template.csv")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "text/csv; charset=utf-8"
        );
        assert_eq!(
            response.headers()["content-disposition"],
            "attachment; filename=\"declaration-16000001.csv\""
        );
        let template = response.bytes().await.unwrap().to_vec();
        let text = std::str::from_utf8(&template).unwrap();
        assert_eq!(
            text,
            "\u{feff}code_chantier;effectif;masse_salariale;assiette_intemperies\r\n\
             Sud-3;;;\r\nW1;;;\r\nW2;;;\r\n"
        );
        let filled = text
            .replace("W1;;;", "W1;6;61 000,10;2 000")
            .replace("W2;;;", "W2;1;5000;");
        let (status, page, _) = upload(&browser, &app, a, "2026-07", filled.into_bytes()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(
            declared(&app, a, "2026-07").await,
            vec![
                ("W1".to_owned(), 6, 6_100_010),
                ("W2".to_owned(), 1, 500_000)
            ],
            "Sud-3 left empty: not declared"
        );

        // In Arabic the header is Arabic; another employer's template does not exist.
        browser
            .post("/language", &[("lang", "ar"), ("back", "/")])
            .await;
        let arabic_template = browser
            .client
            .get(app.url(&format!("/portal/{a}/declarations/template.csv")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            arabic_template.starts_with("\u{feff}رمز_الورشة;عدد_العمال;"),
            "{arabic_template}"
        );
        let (status, _) = browser
            .get(&format!("/portal/{b}/declarations/template.csv"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    the_period_picker_offers_the_open_periods_and_the_forms_accept_each,
    |db: TestDb| async move {
        // 11 December: the debit of the 15th planned below is past its notice deadline
        // (the 10th), so 2026-10, which it holds, is no longer open.
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 11))).await;
        let a = employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        signed_mandate(&app.store, a, "004 00174 4010010504 86", None).await;
        declare(&app.store, a, "2026-10", &[("W1", "100000.00")]).await;
        app.store
            .plan_collections(&Actor::new("test"), d(2026, 12, 15), d(2026, 12, 1))
            .await
            .unwrap();
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        let browser = app.signed_in("a@a.dz").await;
        browser
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;

        // The year of ended months, newest first, less the locked one; not December,
        // which has not ended; the one just ended chosen.
        let (status, page) = browser.get(&format!("/portal/{a}/declarations/form")).await;
        assert_eq!(status, StatusCode::OK);
        let listed = options(&page, "period");
        let values: Vec<&str> = listed.iter().map(|(v, _, _)| v.as_str()).collect();
        assert_eq!(
            values,
            vec![
                "2026-11", "2026-09", "2026-08", "2026-07", "2026-06", "2026-05", "2026-04",
                "2026-03", "2026-02", "2026-01", "2025-12"
            ]
        );
        assert_eq!(
            listed[0],
            (
                "2026-11".to_owned(),
                "novembre 2026 (2026-11)".to_owned(),
                true
            )
        );
        assert!(!page.contains("(2026-11, 2026-Q4)"), "the old hint is gone");
        assert!(!page.contains("<script"), "no JavaScript");

        // The upload's picker and the list's lists the same periods.
        let (_, list) = browser.get(&format!("/portal/{a}/declarations")).await;
        for id in ["period", "form-period"] {
            let there: Vec<String> = options(&list, id).into_iter().map(|(v, _, _)| v).collect();
            assert_eq!(there, values, "#{id}");
        }
        assert!(!list.contains("(2026-11, 2026-Q4)"));

        // What the picker lists, each form accepts: the form shows its rows, saving
        // records it; the upload records it.
        for value in [values[0], values[values.len() - 1]] {
            let (status, page) = browser
                .get(&format!("/portal/{a}/declarations/form?period={value}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert!(page.contains("id=\"declaration-form\""), "{page}");
            let chosen: Vec<String> = options(&page, "period")
                .into_iter()
                .filter(|(_, _, selected)| *selected)
                .map(|(v, _, _)| v)
                .collect();
            assert_eq!(chosen, vec![value.to_owned()]);
            let (status, page, _) = browser
                .post(
                    &format!("/portal/{a}/declarations/form"),
                    &[
                        ("period", value),
                        ("code.0", "W1"),
                        ("headcount.0", "3"),
                        ("wage_bill.0", "1000,00"),
                        ("bad_weather_base.0", ""),
                    ],
                )
                .await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{value}: {page}");
            assert!(declared(&app, a, value).await.len() == 1);
        }
        let (status, page, _) =
            upload(&browser, &app, a, values[1], b"W1;2;10,00;0\n".to_vec()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");

        // The locked period, reached by its link, is shown chosen (read-only), not offered
        // as open on the other pages.
        let (_, page) = browser
            .get(&format!("/portal/{a}/declarations/form?period=2026-10"))
            .await;
        assert!(page.contains("id=\"locked\""), "{page}");
        assert!(options(&page, "period").contains(&(
            "2026-10".to_owned(),
            "octobre 2026 (2026-10)".to_owned(),
            true
        )));

        // In Arabic: the month's Algerian name (no code beside it: it would read reversed).
        browser
            .post("/language", &[("lang", "ar"), ("back", "/")])
            .await;
        let (_, page) = browser.get(&format!("/portal/{a}/declarations/form")).await;
        assert_eq!(options(&page, "period")[0].1, "نوفمبر 2026");
    }
);
