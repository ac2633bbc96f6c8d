//! The console's calendar over real HTTP, on both databases: a change moves the planned
//! debits it touches and says so; lunar estimates are marked, and the dashboard warns of
//! collection and file dates a day from one.

use chrono::{Datelike, NaiveDate};
use mandates::DueDateSchedule;
use reqwest::StatusCode;
use tahsil::config::DEFAULT_DUE_DATE_SCHEDULE;
use tahsil::store::{CalendarChange, Role, Store};

use super::french;
use crate::both_backends;
use crate::harness::fixtures::{actor, planned, scalar as count};
use crate::harness::{TestDb, WebApp};

async fn planned_on(store: &Store, date: &str) -> i64 {
    count(
        store,
        &format!("SELECT COUNT(*) FROM collections WHERE status = 'planned' AND collection_date = '{date}'"),
    )
    .await
}

/// A calendar change answered by a redirect to the calendar (post/redirect/get): the
/// page it leads to.
async fn after_change(
    browser: &crate::harness::Browser,
    status: StatusCode,
    page: String,
    location: Option<String>,
) -> String {
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let location = location.expect("a redirect");
    assert!(
        location.starts_with("/console/calendar?year="),
        "{location}"
    );
    let (status, page) = browser.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    page
}

both_backends!(
    calendar_changes_move_planned_debits_and_say_so,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        planned(&app.store, 5).await;
        let (finance_id, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (status, page) = finance.get("/console/calendar?year=2026").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("<td><bdi>05/07/2026</bdi></td>"),
            "Independence Day: {page}"
        );

        // A lunar holiday announced on the collection date: the 5 debits move to the 16th.
        let (status, page, location) = finance
            .post(
                "/console/calendar/add",
                &[
                    ("date", "2026-12-15"),
                    ("name", "Fête test"),
                    ("kind", "lunar_provisional"),
                ],
            )
            .await;
        // Post/redirect/get: the result is a page of its own, safe to refresh.
        let page = after_change(&finance, status, page, location).await;
        assert!(
            page.contains("<li>5 prélèvement(s) planifié(s) déplacé(s) du <bdi>15/12/2026</bdi> au <bdi>16/12/2026</bdi></li>"),
            "{page}"
        );
        assert_eq!(
            (
                planned_on(&app.store, "2026-12-15").await,
                planned_on(&app.store, "2026-12-16").await
            ),
            (0, 5)
        );
        assert!(page.contains("Lunaire, estimé — à confirmer") && page.contains("id=\"confirm-"));
        let trail = app.store.calendar_history(10).await.unwrap();
        assert_eq!(trail.len(), 2);
        assert_eq!(trail[1].action.as_str(), "calendar.holiday_added");
        assert_eq!(trail[0].action.as_str(), "collections.rescheduled");
        assert!(
            trail
                .iter()
                .all(|e| e.actor == format!("user:{finance_id}"))
        );
        // The history says it in words.
        assert!(page.contains("<td>Prélèvements déplacés</td><td>5 prélèvement(s) planifié(s) déplacé(s) du 15/12/2026 au 16/12/2026</td>"), "{page}");

        // Confirmed, then shifted onto the new date: the debits move again, to the 17th.
        let (status, page, location) = finance
            .post(
                "/console/calendar/confirm",
                &[("date", "2026-12-15"), ("name", "Fête test")],
            )
            .await;
        let page = after_change(&finance, status, page, location).await;
        assert!(page.contains("id=\"nothing-moved\""));
        let (status, page, location) = finance
            .post(
                "/console/calendar/shift",
                &[
                    ("date", "2026-12-15"),
                    ("name", "Fête test"),
                    ("to", "2026-12-16"),
                ],
            )
            .await;
        let page = after_change(&finance, status, page, location).await;
        assert!(page.contains("<li>5 prélèvement(s) planifié(s) déplacé(s) du <bdi>16/12/2026</bdi> au <bdi>17/12/2026</bdi></li>"), "{page}");
        assert_eq!(planned_on(&app.store, "2026-12-17").await, 5);
        // Removing it asks first, on a page of its own; then moves nothing back (later
        // dates keep their notice valid).
        let (status, page) = finance
            .get("/console/calendar/remove?date=2026-12-16&name=F%C3%AAte%20test")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("id=\"remove-form\"") && page.contains("Fête test"),
            "{page}"
        );
        assert_eq!(planned_on(&app.store, "2026-12-17").await, 5, "not yet");
        let (status, page, location) = finance
            .post(
                "/console/calendar/remove",
                &[("date", "2026-12-16"), ("name", "Fête test")],
            )
            .await;
        let page = after_change(&finance, status, page, location).await;
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

/// A date `days` after `date`, or before for a negative count.
fn days_from(date: NaiveDate, days: i64) -> NaiveDate {
    date + chrono::TimeDelta::days(days)
}

both_backends!(
    the_dashboard_warns_of_cycle_dates_a_day_from_an_unconfirmed_estimate,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let store = &app.store;
        let today = mandates::today_in_algiers(chrono::Utc::now());
        let calendar = store.calendar().await.unwrap();
        let schedule = DueDateSchedule::parse(DEFAULT_DUE_DATE_SCHEDULE).unwrap();
        let due: Vec<NaiveDate> = schedule
            .due_dates(today, days_from(today, 60), &calendar)
            .into_iter()
            .map(|due| due.collection_date)
            .collect();
        // Debits planned on a business day three weeks ahead, away from the due dates.
        let mut planned_on = calendar.next_business_day(days_from(today, 21));
        while due.iter().any(|d| (*d - planned_on).num_days().abs() <= 3) {
            planned_on = calendar.next_business_day_after(planned_on);
        }
        tahsil::demo::seed(store, 3, 2, "2026-10", 7, |_| {})
            .await
            .unwrap();
        let plan = store
            .plan_collections(&actor(), planned_on, today)
            .await
            .unwrap();
        assert_eq!(plan.planned, 3);
        let file_date = app.settings.policy.file_date(planned_on, &calendar);
        // Three estimates announced unconfirmed: the day after the planned date, the day
        // before its files go, and the day after the schedule's first due date.
        let estimates = [
            ("Fête essai A", days_from(planned_on, 1)),
            ("Fête essai B", days_from(file_date, -1)),
            ("Fête essai C", days_from(due[0], 1)),
        ];
        for (name, date) in estimates {
            store
                .change_calendar(
                    &actor(),
                    &CalendarChange::Add {
                        date,
                        name: name.to_owned(),
                        lunar: true,
                        confirmed: false,
                    },
                )
                .await
                .unwrap();
        }

        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (status, page) = finance.get("/console").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("<section class=\"warning\" id=\"near-estimates\""),
            "{page}"
        );
        assert!(
            page.contains("Dates proches d&#39;une fête lunaire non confirmée"),
            "{page}"
        );
        let link = |date: NaiveDate| {
            format!(
                "<a href=\"/console/calendar?year={0}\">Voir le calendrier <bdi>{0}</bdi></a>",
                date.year()
            )
        };
        let (a, b, c) = (estimates[0].1, estimates[1].1, estimates[2].1);
        for line in [
            format!(
                "<strong>Prélèvement du <bdi>{planned_on}</bdi></strong> — <bdi>Fête essai A</bdi> — estimé le <bdi>{a}</bdi> — {}",
                link(a)
            ),
            format!(
                "<strong>Envoi des fichiers du <bdi>{file_date}</bdi></strong> (pour le prélèvement du <bdi>{planned_on}</bdi>) — <bdi>Fête essai B</bdi> — estimé le <bdi>{b}</bdi> — {}",
                link(b)
            ),
            format!(
                "<strong>Prélèvement du <bdi>{}</bdi></strong> — <bdi>Fête essai C</bdi> — estimé le <bdi>{c}</bdi> — {}",
                due[0],
                link(c)
            ),
        ] {
            let line = written(&line);
            assert!(page.contains(&line), "{line}\n{page}");
        }

        // Confirmed, a holiday is a holiday: its warning goes, the others stay.
        let (status, page, location) = finance
            .post(
                "/console/calendar/confirm",
                &[("date", &a.to_string()), ("name", "Fête essai A")],
            )
            .await;
        after_change(&finance, status, page, location).await;
        let (_, page) = finance.get("/console").await;
        assert!(!page.contains("Fête essai A"), "{page}");
        assert!(page.contains("Fête essai B") && page.contains("Fête essai C"));

        // In Arabic, right to left.
        let (status, _, _) = finance
            .post("/language", &[("lang", "ar"), ("back", "/console")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = finance.get("/console").await;
        assert!(page.contains("dir=\"rtl\""));
        assert!(page.contains("تواريخ قريبة من عيد قمري غير مؤكَّد"), "{page}");
        assert!(
            page.contains(&written(&format!(
                "<strong>إرسال الملفات يوم <bdi>{file_date}</bdi></strong> (لاقتطاع يوم <bdi>{planned_on}</bdi>) — <bdi>Fête essai B</bdi> — المقدَّر يوم <bdi>{b}</bdi>"
            ))),
            "{page}"
        );
    }
);

both_backends!(
    the_calendar_page_marks_estimates_and_shows_the_years_loaded,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let today = mandates::today_in_algiers(chrono::Utc::now());
        // A year later: the scheduler (here, the store's step) loads one more year.
        let loaded = app
            .store
            .load_calendar_years(&actor(), today + chrono::Months::new(12))
            .await
            .unwrap();
        assert_eq!(loaded.years.len(), 1);
        let (_, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let next_year = today.year() + 1;
        let (status, page) = finance
            .get(&format!("/console/calendar?year={next_year}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"estimates-hint\""), "{page}");
        let fitr = mandates::estimated_lunar_holidays(next_year)
            .into_iter()
            .find(|h| h.name.starts_with("Aïd el-Fitr (1)"))
            .unwrap();
        assert!(
            page.contains(&format!(
                "<tr class=\"estimate\"><td><bdi>{}</bdi></td>",
                tahsil::locale::written_day(fitr.date)
            )),
            "{page}"
        );
        assert!(page.contains("<strong>Lunaire, estimé — à confirmer</strong>"));
        assert!(page.contains(">Fête du travail / عيد العمال</td><td>Date fixe</td>"));
        // The load is in the history, in words.
        let year = loaded.years[0];
        assert!(
            page.contains(&format!(
                "<td>Années à venir chargées</td><td>{year} : {} estimation(s) lunaire(s) à confirmer, 5 jour(s) férié(s) fixe(s)</td>",
                loaded.lunar
            )),
            "{page}"
        );

        // In Arabic.
        let (status, _, _) = finance
            .post("/language", &[("lang", "ar"), ("back", "/console")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = finance
            .get(&format!("/console/calendar?year={next_year}"))
            .await;
        assert!(
            page.contains("<strong>قمري، تاريخ تقديري — في انتظار التأكيد</strong>"),
            "{page}"
        );
        assert!(page.contains("تحميل السنوات القادمة"), "{page}");
    }
);

/// `<bdi>2026-12-28</bdi>` as the pages write it: `<bdi>28/12/2026</bdi>`.
fn written(html: &str) -> String {
    html.split("<bdi>")
        .enumerate()
        .map(|(i, part)| match (i, part.split_once("</bdi>")) {
            (0, _) | (_, None) => part.to_owned(),
            (_, Some((inner, rest))) => {
                format!("{}</bdi>{rest}", tahsil::locale::written_day_of(inner))
            }
        })
        .collect::<Vec<_>>()
        .join("<bdi>")
}
