//! The online declaration form over real HTTP, on both databases: one row per worksite,
//! every bad row reported at once in the user's language with nothing recorded and the
//! typed values kept, exact amounts from the dated rates, correction until the cut-off,
//! then read-only with the reason and POSTs refused.

use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::store::{Actor, Role};

use crate::both_backends;
use crate::harness::fixtures::{add_user, d, employer_with_worksites, signed_mandate};
use crate::harness::{Browser, TestDb, WebApp};

/// The form's fields for rows `(code, headcount, wage bill, bad-weather base)`, as the
/// page posts them (`code.N` hidden, then the three inputs of row N).
fn rows<'a>(
    period: &'a str,
    rows: &[(&'a str, &'a str, &'a str, &'a str)],
) -> Vec<(String, String)> {
    let mut fields = vec![("period".to_owned(), period.to_owned())];
    for (i, (code, headcount, wage_bill, bad_weather)) in rows.iter().enumerate() {
        fields.push((format!("code.{i}"), (*code).to_owned()));
        fields.push((format!("headcount.{i}"), (*headcount).to_owned()));
        fields.push((format!("wage_bill.{i}"), (*wage_bill).to_owned()));
        fields.push((format!("bad_weather_base.{i}"), (*bad_weather).to_owned()));
    }
    fields
}

async fn submit(
    browser: &Browser,
    employer: i64,
    fields: &[(String, String)],
) -> (StatusCode, String, Option<String>) {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    browser
        .post(&format!("/portal/{employer}/declarations/form"), &fields)
        .await
}

/// The money as the French pages print it: no-break spaces, decimal comma, "DA".
fn fr(centimes: i64) -> String {
    tahsil::web::format_money(mandates::Amount::from_centimes(centimes), "fr").unwrap()
}

both_backends!(
    the_declaration_form_checks_every_row_records_exact_amounts_and_locks_at_the_cut_off,
    |db: TestDb| async move {
        // 11 December: the debit of the 15th planned below is past its notice deadline
        // (the 10th), so what it holds can no longer be corrected.
        let app = WebApp::spawn_with_clock(&db, Clock::fixed_on(d(2026, 12, 11))).await;
        let a = employer_with_worksites(&app.store, "16000001", &["W1", "W2", "W3"]).await;
        signed_mandate(&app.store, a, "004 00174 4010010504 86", None).await;
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        let browser = app.signed_in("a@a.dz").await;
        browser
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;
        let form = format!("/portal/{a}/declarations/form?period=2026-10");

        // One row per worksite of the employer, empty: nothing declared yet.
        let (status, page) = browser.get(&form).await;
        assert_eq!(status, StatusCode::OK);
        for (i, code) in ["W1", "W2", "W3"].iter().enumerate() {
            assert!(
                page.contains(&format!("name=\"code.{i}\" value=\"{code}\"")),
                "{code}: {page}"
            );
            assert!(page.contains(&format!("{code}</bdi> — Chantier {code}")));
            assert!(page.contains(&format!(
                "name=\"wage_bill.{i}\" id=\"wage_bill-{i}\" value=\"\""
            )));
        }
        assert!(!page.contains("id=\"prefilled\"") && !page.contains("id=\"locked\""));
        let (_, list) = browser.get(&format!("/portal/{a}/declarations")).await;
        assert!(
            list.contains("id=\"open-form\""),
            "the list leads to the form"
        );

        // Two bad rows (W3 left blank: not declared): both errors, in French, nothing
        // recorded, the typed values shown again.
        let bad = rows(
            "2026-10",
            &[
                ("W1", "douze", "1234,50", "1000"),
                ("W2", "2", "12,345", ""),
                ("W3", "", "", ""),
            ],
        );
        let (status, page, _) = submit(&browser, a, &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(
            page.contains("Chantier W1, champ effectif (headcount) : « douze » n"),
            "{page}"
        );
        assert!(
            page.contains("Chantier W2, champ masse salariale (wage_bill) : « 12,345 » n"),
            "{page}"
        );
        assert!(
            page.contains("Rien n&#39;a été enregistré")
                || page.contains("Rien n'a été enregistré")
        );
        assert!(page.contains("name=\"headcount.0\" id=\"headcount-0\" value=\"douze\""));
        assert!(page.contains("name=\"wage_bill.0\" id=\"wage_bill-0\" value=\"1234,50\""));
        assert!(page.contains("name=\"wage_bill.1\" id=\"wage_bill-1\" value=\"12,345\""));
        assert!(page.contains("id=\"headcount-0\" value=\"douze\" inputmode=\"numeric\" size=\"6\" dir=\"ltr\" aria-labelledby=\"ws-0 col-headcount\" aria-invalid=\"true\""));
        assert!(app.store.list_declarations(a).await.unwrap().is_empty());

        // The same in Arabic.
        browser
            .post("/language", &[("lang", "ar"), ("back", "/")])
            .await;
        let (status, page, _) = submit(&browser, a, &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.contains("الورشة W1، الحقل عدد العمال (headcount): «douze»"),
            "{page}"
        );
        assert!(
            page.contains("الورشة W2، الحقل كتلة الأجور (wage_bill): «12,345»"),
            "{page}"
        );
        assert!(page.contains("لم يُسجَّل أي شيء"));
        assert!(app.store.list_declarations(a).await.unwrap().is_empty());
        browser
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;

        // Right: recorded; decimal comma or point alike; a blank bad-weather base is 0.
        let good = rows(
            "2026-10",
            &[
                ("W1", "4", "1 234,50", "1000.00"),
                ("W2", "2", "100000", ""),
                ("W3", "", "", ""),
            ],
        );
        let (status, _, location) = submit(&browser, a, &good).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = location.unwrap();
        assert_eq!(
            location,
            format!("/portal/{a}/declarations/form?period=2026-10&done=recorded")
        );
        let declarations = app.store.list_declarations(a).await.unwrap();
        assert_eq!(declarations.len(), 1);
        let declaration = &declarations[0];
        assert_eq!(declaration.period, "2026-10");
        assert_eq!(declaration.lines.len(), 2, "W3 left blank is not declared");
        // The default rates: paid leave 12.21 % of the wage bill, bad weather 0.375 %
        // (employer) + 0.375 % (employee) of its base; each rounded to the centime.
        // W1: 123 450 c × 12.21 % = 15 073.245 → 15 073; 100 000 c × 0.375 % = 375 (twice).
        let w1 = &declaration.lines[0];
        assert_eq!(
            (
                w1.worksite_code.as_str(),
                w1.headcount,
                w1.wage_bill.centimes()
            ),
            ("W1", 4, 123_450)
        );
        assert_eq!(w1.paid_leave.centimes(), 15_073);
        assert_eq!(w1.bad_weather_employer.centimes(), 375);
        assert_eq!(w1.bad_weather_employee.centimes(), 375);
        assert_eq!(w1.total.centimes(), 15_823);
        // W2: 10 000 000 c × 12.21 % = 1 221 000; no bad-weather base.
        let w2 = &declaration.lines[1];
        assert_eq!(w2.bad_weather_base.centimes(), 0);
        assert_eq!(w2.total.centimes(), 1_221_000);
        assert_eq!(declaration.total.centimes(), 1_236_823);

        // The page after it: the amounts per worksite and in total, prefilled for correction.
        let (status, page) = browser.get(&location).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Déclaration enregistrée"), "{page}");
        assert!(page.contains(&fr(15_823)) && page.contains(&fr(1_221_000)));
        assert!(
            page.contains(&format!("id=\"total\"><bdi>{}</bdi>", fr(1_236_823))),
            "{page}"
        );
        assert!(page.contains("id=\"wage_bill-0\" value=\"1234.50\""));
        assert!(page.contains("id=\"headcount-2\" value=\"\""));

        // Corrected while not planned: the same declaration, replaced.
        let corrected = rows(
            "2026-10",
            &[
                ("W1", "4", "2000,00", "1000"),
                ("W2", "2", "100000", "0"),
                ("W3", "1", "500", ""),
            ],
        );
        let (status, _, location) = submit(&browser, a, &corrected).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(location.unwrap().ends_with("done=corrected"));
        let declarations = app.store.list_declarations(a).await.unwrap();
        assert_eq!(declarations.len(), 1, "replaced, not added");
        assert_eq!(declarations[0].id, declaration.id);
        assert_eq!(declarations[0].lines.len(), 3);
        assert_eq!(declarations[0].lines[0].wage_bill.centimes(), 200_000);
        let trail = app
            .store
            .audit_trail("declaration", declaration.id)
            .await
            .unwrap();
        assert!(trail.iter().any(|e| e.action == "declaration.corrected"));
        let (_, page) = browser.get(&form).await;
        assert!(page.contains("id=\"prefilled\""), "{page}");
        assert!(page.contains("id=\"wage_bill-2\" value=\"500.00\""));

        // The cut-off: planned into a debit, the form is read-only and says why…
        app.store
            .plan_collections(&Actor::new("test"), d(2026, 12, 15), d(2026, 12, 1))
            .await
            .unwrap();
        let locked_lines = app.store.declaration(declaration.id).await.unwrap().lines;
        let (status, page) = browser.get(&form).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("id=\"locked\"")
                && page.contains("ne peut plus être corrigée")
                && page.contains("15/12/2026"),
            "{page}"
        );
        assert!(
            !page.contains("name=\"wage_bill.0\"") && !page.contains("id=\"save-declaration\"")
        );
        assert!(page.contains("2000.00"), "the declared values, read-only");
        // …and a POST is refused with the reason, changing nothing.
        let (status, page, _) = submit(&browser, a, &good).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            page.contains("La déclaration de 2026-10 ne peut plus être corrigée"),
            "{page}"
        );
        browser
            .post("/language", &[("lang", "ar"), ("back", "/")])
            .await;
        let (status, page, _) = submit(&browser, a, &good).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            page.contains("لم يعد ممكنا تصحيح تصريح الفترة 2026-10"),
            "{page}"
        );
        assert_eq!(
            app.store.declaration(declaration.id).await.unwrap().lines,
            locked_lines
        );

        // A period this employer does not declare (quarters) or cannot be read: said so.
        let (status, page) = browser
            .get(&format!("/portal/{a}/declarations/form?period=2026-Q3"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("يصرّح صاحب العمل هذا كل شهر"), "{page}");
        let (status, _, _) = submit(&browser, a, &rows("octobre", &[("W1", "1", "1", "")])).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.store.list_declarations(a).await.unwrap().len(), 1);
    }
);
