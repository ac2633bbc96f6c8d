//! Months in service: the real `serve` (scheduler loop, workers, web, inbox watcher,
//! notices to a real SMTP server) driven day by day on a clock moved by hand, from
//! 10 February to 3 June 2027 — three consecutive due dates (15 March, 15 April, and 15
//! May, a Saturday collected on Sunday the 16th until Aïd el-Adha closes it). Eight
//! employers declare early, late (planned into the date still open, announced again),
//! too late (the next date), correct a declaration while its date is open, go over their
//! ceiling (told, shown to staff) and raise it in the portal; the simulated bank answers every file through the inbox with rejects
//! (retried) and returns, and once sends no bookings at all (the settlement window
//! settles). At the end, from the database, the files and the mailbox: every line is
//! paid or owed once, every debit fell on a business day after its notice for no more
//! than the notice announced, and the e-mails are the notice events. On SQLite and
//! PostgreSQL; and with two instances on one PostgreSQL database, the same end state.
//!
//! Staff re-present a debit rejected for a technical reason from the exceptions page, and
//! hold a debit (admin API) that then misses its date when released (console).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use mandates::account::{Rib, ccp_key};
use mandates::{AccountId, Amount};
use reqwest::StatusCode;
use tahsil::cycle::banksim::BankSim;
use tahsil::store::{
    NewDeclaration, NewDeclarationLine, NewEmployer, NewWorksite, Role, StoreError,
};

use crate::both_backends;
use crate::harness::fixtures::{actor, add_user, assert_totals_kept, d, scalar, signed_mandate};
use crate::harness::fund::{
    EndState, Fund, check_days, check_debits, check_emails, check_lines, end_state,
};
use crate::harness::{TestDb, in_ci};

const FIRST_DAY: (i32, u32, u32) = (2027, 2, 10);
const LAST_DAY: (i32, u32, u32) = (2027, 6, 3);

/// The employers of the fund, by the part they play.
#[derive(Clone, Copy, Debug)]
struct Employers {
    /// Bank account, declares every month before the date's first plan.
    early: i64,
    /// Postal account, declares early too.
    postal: i64,
    /// Declares January after the 15 March date was first planned, before its deadline.
    late: i64,
    /// Declares after the 15 March and 15 April deadlines.
    too_late: i64,
    /// Declares February wrongly and corrects it.
    corrects: i64,
    /// Owes more than its ceiling, then raises it.
    ceiling: i64,
    /// Bank account, two worksites.
    big: i64,
    /// Postal account.
    small: i64,
}

impl Employers {
    fn regulars(&self) -> [i64; 4] {
        [self.early, self.postal, self.big, self.small]
    }
}

both_backends!(
    ninety_days_of_serve_on_a_moved_clock,
    |db: TestDb| async move {
        let started = std::time::Instant::now();
        let Some(end) = scenario(&db, 1).await else {
            return;
        };
        eprintln!(
            "{}: 113 days of serve in {:.1} s: {end:?}",
            db.backend,
            started.elapsed().as_secs_f64()
        );
    }
);

/// Two instances of `serve` on one PostgreSQL database end where one instance ends, and
/// nothing is done twice (the checks of [`scenario`] find no duplicate file, debit or
/// e-mail).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_postgres_database_end_in_the_same_state() {
    let (Some(one), Some(two)) = (TestDb::postgres().await, TestDb::postgres().await) else {
        return;
    };
    let started = std::time::Instant::now();
    let (alone, together) = tokio::join!(scenario(&one, 1), scenario(&two, 2));
    let (Some(alone), Some(together)) = (alone, together) else {
        assert!(!in_ci());
        return;
    };
    eprintln!(
        "postgres, one and two instances side by side: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(alone, together);
}

/// The whole scenario on `db` with `instances` instances of `serve`, checked; its end
/// state. `None` when no SMTP server can be started (outside CI).
async fn scenario(db: &TestDb, instances: usize) -> Option<EndState> {
    let first = d(FIRST_DAY.0, FIRST_DAY.1, FIRST_DAY.2);
    let fund = Fund::open(db, first, instances).await?;
    // On 10 February the 15 February date was planned (its notice deadline is today) with
    // nothing to collect; the fund's employers arrive after that pass.
    let e = employers(&fund).await;
    for employer in e.regulars() {
        declare(&fund, employer, "2027-01", 1).await;
    }
    declare(&fund, e.corrects, "2027-01", 1).await;
    declare(&fund, e.ceiling, "2027-01", 3).await;
    let sims = Sims::new();

    let mut day = first;
    let last = d(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2);
    while day < last {
        day = day.succ_opt().unwrap();
        fund.day(day).await;
        on(&fund, &e, &sims, day).await;
    }

    check_story(&fund, &e).await;
    // After the three dates, their returns, retries, the settlement window, the calendar
    // move, the corrections and staff's actions: the totals kept per date are exact.
    assert_totals_kept(&fund.store).await;
    check_lines(&fund).await;
    let debits = check_debits(&fund).await;
    assert!(debits >= 20, "{debits} debits in the files");
    let emails = check_emails(&fund).await;
    for kind in [
        "mandate_signed",
        "over_ceiling",
        "advance_notice",
        "receipt",
        "failure_notice",
        "mandate_suspended",
        "debit_cancelled",
    ] {
        assert!(emails.contains_key(kind), "no {kind} e-mail: {emails:?}");
    }
    check_days(&fund, first, last).await;
    let end = end_state(&fund).await;
    assert!(end.reports > 0, "{end:?}");
    fund.stop().await;
    Some(end)
}

/// The banks' behaviour, date by date (which debits fail is a hash of the seed and the
/// EndToEndId: the same on every database and with any number of instances).
struct Sims {
    march: BankSim,
    april: BankSim,
    may: BankSim,
    /// Every later presentation settles.
    retries: BankSim,
}

impl Sims {
    fn new() -> Sims {
        let sim = |reject_per_mille, return_per_mille, seed| BankSim {
            reject_per_mille,
            return_per_mille,
            transfer_reject_per_mille: 0,
            seed,
            today: d(2027, 1, 1),
            layouts: &[],
        };
        Sims {
            march: sim(250, 0, 7),
            april: sim(250, 200, 11),
            may: sim(200, 150, 13),
            retries: sim(0, 0, 1),
        }
    }
}

/// What happens on `day`, after the service's morning pass: the employers' and staff's
/// doings, then the bank's answers to the files collected today.
async fn on(fund: &Fund, e: &Employers, sims: &Sims, day: NaiveDate) {
    let store = &fund.store;
    match (day.month(), day.day()) {
        (2, 11) => {
            // The 15 March date is planned: everyone who declared January and is within
            // their ceiling.
            assert_eq!(
                planned_on(fund, "2027-03-15").await,
                BTreeSet::from([e.early, e.postal, e.corrects, e.big, e.small])
            );
            // The employer over its ceiling is told (nothing is debited), staff see it on
            // the console's dashboard, the employer on its own.
            assert_eq!(notices_of(fund, e.ceiling, "over_ceiling").await, 1);
            add_user(store, "finance@fund.dz", Role::Finance, &[]).await;
            let staff = fund.signed_in("finance@fund.dz").await;
            let (status, page) = staff.get("/console").await;
            assert_eq!(status, StatusCode::OK);
            assert!(
                page.contains(&format!("id=\"over-ceiling-{}\"", e.ceiling)),
                "{page}"
            );
            add_user(store, "gerant6@employeur.dz", Role::Employer, &["16000006"]).await;
            let employer = fund.signed_in("gerant6@employeur.dz").await;
            let (status, page) = employer.get(&format!("/portal/{}", e.ceiling)).await;
            assert_eq!(status, StatusCode::OK);
            assert!(page.contains("id=\"over-ceiling\""), "{page}");
        }
        (2, 20) => {
            // Late: after the 15 March date was first planned, before its notice deadline.
            declare(fund, e.late, "2027-01", 1).await;
        }
        (2, 21) => {
            // The date is still open: the late lines were planned into it, and announced.
            assert!(planned_on(fund, "2027-03-15").await.contains(&e.late));
            assert_eq!(notices_of(fund, e.late, "advance_notice").await, 1);
        }
        (2, 25) => {
            // The employer over its ceiling raises it in the portal.
            let employer = fund.signed_in("gerant6@employeur.dz").await;
            let mandate = scalar(
                store,
                &format!(
                    "SELECT id FROM mandates WHERE employer_id = {} AND status = 'active'",
                    e.ceiling
                ),
            )
            .await;
            let (status, _, location) = employer
                .post(
                    &format!("/portal/{}/mandate/{mandate}/ceiling", e.ceiling),
                    &[("ceiling", "5 000 000,00")],
                )
                .await;
            assert_eq!(status, StatusCode::SEE_OTHER);
            assert!(location.unwrap().ends_with("?done=ceiling"));
        }
        (2, 26) => {
            // The next pass planned what it had skipped, while the date is open.
            assert!(planned_on(fund, "2027-03-15").await.contains(&e.ceiling));
        }
        (3, 1) => {
            // February, declared early in March: into the 15 March debits (amended, each
            // announced again with its new total).
            for employer in e.regulars() {
                declare(fund, employer, "2027-02", 1).await;
            }
            // A wrong wage bill (900,000 DA), planned and announced tomorrow ...
            declare(fund, e.corrects, "2027-02", 9).await;
        }
        (3, 3) => {
            // ... and corrected (200,000 DA) while the date is open: the debit is amended
            // and announced again, for less.
            let (_, corrected) = store
                .submit_or_correct_declaration(&actor(), e.corrects, declaration("2027-02", 2))
                .await
                .unwrap();
            assert!(corrected);
        }
        (3, 12) => {
            // Too late for 15 March: its notice deadline was the 10th.
            declare(fund, e.too_late, "2027-01", 1).await;
            // The 15 March date is closed: its declarations can no longer change.
            let refused = store
                .submit_or_correct_declaration(&actor(), e.corrects, declaration("2027-02", 3))
                .await;
            assert!(
                matches!(refused, Err(StoreError::Conflict(_))),
                "{refused:?}"
            );
        }
        (3, 13) => {
            // The too-late lines went to the next date.
            assert!(!planned_on(fund, "2027-03-15").await.contains(&e.too_late));
            assert!(planned_on(fund, "2027-04-15").await.contains(&e.too_late));
        }
        (4, 1) => {
            for employer in e.regulars() {
                declare(fund, employer, "2027-03", 1).await;
            }
            declare(fund, e.corrects, "2027-03", 2).await;
            declare(fund, e.late, "2027-02", 1).await;
            declare(fund, e.ceiling, "2027-02", 3).await;
        }
        (4, 12) => {
            // Too late for 15 April: its notice deadline was the 10th.
            declare(fund, e.too_late, "2027-02", 1).await;
        }
        (5, 2) => {
            for employer in e.regulars() {
                declare(fund, employer, "2027-04", 1).await;
            }
        }
        (5, 9) => {
            // A week before the 16 May collection date, Aïd el-Adha is announced a day
            // before its estimate (17 to 19 May): 16 to 18 May. The debits planned for the
            // 16th move to the next business day, the 19th, with a new advance notice.
            let planned = planned_on(fund, "2027-05-16").await;
            assert!(!planned.is_empty(), "debits planned for 16 May");
            let mut adha: Vec<mandates::Holiday> = mandates::estimated_lunar_holidays(2027)
                .into_iter()
                .filter(|h| h.name.starts_with("Aïd el-Adha"))
                .collect();
            assert_eq!(adha.first().map(|h| h.date), Some(d(2027, 5, 17)));
            // Staff shift each day on the console (of the last instance): the last day
            // first, so the 16th closes with the rest of the feast in place and the debits
            // move once.
            let staff = fund.signed_in("finance@fund.dz").await;
            adha.reverse();
            let mut page = String::new();
            for holiday in adha {
                let (from, to) = (holiday.date, holiday.date.pred_opt().unwrap());
                let (status, answer, location) = staff
                    .post(
                        "/console/calendar/shift",
                        &[
                            ("date", &from.to_string()),
                            ("name", &holiday.name),
                            ("to", &to.to_string()),
                        ],
                    )
                    .await;
                // Post/redirect/get: what moved is on the page the change leads to.
                assert_eq!(status, StatusCode::SEE_OTHER, "{answer}");
                let (status, answer) = staff.get(&location.unwrap()).await;
                assert_eq!(status, StatusCode::OK, "{answer}");
                page = answer;
            }
            assert!(
                page.contains(&format!(
                    "<li>{} prélèvement(s) planifié(s) déplacé(s) du <bdi>16/05/2027</bdi> au <bdi>19/05/2027</bdi></li>",
                    planned.len()
                )),
                "{page}"
            );
            assert!(planned_on(fund, "2027-05-16").await.is_empty());
            assert_eq!(planned_on(fund, "2027-05-19").await, planned);
            // The employer's dashboard shows the new date.
            add_user(store, "gerant@employeur.dz", Role::Employer, &["16000001"]).await;
            let employer = fund.signed_in("gerant@employeur.dz").await;
            let (status, page) = employer.get(&format!("/portal/{}", e.early)).await;
            assert_eq!(status, StatusCode::OK);
            assert!(
                page.contains("id=\"upcoming-date\"><bdi>19/05/2027</bdi>"),
                "{page}"
            );
        }
        (5, 10) => {
            // Staff hold the early employer's 19 May debit (through the admin API of the
            // first instance): it is kept out of the file built on the 12th.
            let debit = debit_of(fund, e.early, "2027-05-19").await;
            let response = reqwest::Client::new()
                .post(fund.instances[0].url(&format!("/api/v1/collections/{debit}/hold")))
                .bearer_auth("admin-test-token")
                .json(&serde_json::json!({ "reason": "the employer disputes the amount" }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
        (5, 12) => {
            assert!(
                debited_on(fund, "2027-05-19").await.len() >= 2,
                "the file is built"
            );
            let debit = debit_of(fund, e.early, "2027-05-19").await;
            let held = scalar(
                store,
                &format!("SELECT COUNT(*) FROM collections WHERE id = {debit} AND status = 'planned' AND held_at IS NOT NULL"),
            )
            .await;
            assert_eq!(held, 1, "the held debit is not in the file");
        }
        (5, 13) => {
            // Released after its file was built, it cannot go out on its date: cancelled,
            // its lines owed again for the next date (on the console).
            let debit = debit_of(fund, e.early, "2027-05-19").await;
            let staff = fund.signed_in("finance@fund.dz").await;
            let (status, page, _) = staff
                .post(
                    &format!("/console/debits/{debit}/release"),
                    &[("reason", "dispute settled: the amount stands")],
                )
                .await;
            assert!(
                status.is_redirection() || status.is_success(),
                "{status}: {page}"
            );
            assert_eq!(
                store.debit(debit).await.unwrap().status.as_str(),
                "cancelled"
            );
        }
        _ => {}
    }
    let (sim, keep): (&BankSim, fn(&str) -> bool) = match (day.month(), day.day()) {
        // The bank sends its rejects but no bookings: the rest settle by the window.
        (3, 15) => (&sims.march, |name| !name.contains("camt054")),
        (4, 15) => (&sims.april, |_| true),
        (5, 19) => (&sims.may, |_| true),
        // Later presentations (retries) settle.
        _ => (&sims.retries, |_| true),
    };
    let dropped = fund.bank_answers(sim, keep).await;
    if matches!((day.month(), day.day()), (3, 15) | (4, 15) | (5, 19)) {
        assert!(!dropped.is_empty(), "the bank answers on {day}");
    }
    if (day.month(), day.day()) == (3, 15) {
        // The late employer and the one that raised its ceiling are debited with the
        // early ones; the too-late one is not.
        let debited = debited_on(fund, "2027-03-15").await;
        assert!(debited.contains(&e.late) && debited.contains(&e.ceiling));
        assert!(!debited.contains(&e.too_late), "too late for 15 March");
    }
    if (day.month(), day.day()) == (3, 15) {
        // A debit rejected for a technical reason waits for staff (an open exception).
        // Before the next pass plans its lines into the next date, a clerk re-presents it
        // from the exceptions page: a new attempt on the first date the notice allows,
        // announced; the exception is resolved by the action.
        let exceptions: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT x.id, c.id FROM exceptions x JOIN collections c ON c.id = x.collection_id \
             WHERE x.status = 'open' AND c.status = 'rejected' AND c.collection_date = '2027-03-15'",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        let &[(exception, debit)] = exceptions.as_slice() else {
            panic!("one technical reject on 15 March: {exceptions:?}");
        };
        let staff = fund.signed_in("finance@fund.dz").await;
        let (status, _, location) = staff
            .post(
                &format!("/console/debits/{debit}/represent"),
                &[
                    ("reason", "the bank fixed its file"),
                    ("from", "exceptions"),
                ],
            )
            .await;
        assert_eq!(
            (status, location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/console/exceptions"))
        );
        let how: Option<String> =
            sqlx::query_scalar("SELECT resolved_by_action FROM exceptions WHERE id = $1")
                .bind(exception)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(how.as_deref(), Some("represent"));
        let again = store.debit(debit).await.unwrap();
        assert!(again.next_attempt.is_some(), "{again:?}");
        // A debit has one next attempt: re-presenting it again is refused.
        let (status, _, _) = staff
            .post(
                &format!("/console/debits/{debit}/represent"),
                &[("reason", "twice")],
            )
            .await;
        assert!(status.is_client_error(), "{status}");
    }
    if (day.month(), day.day()) == (4, 15) {
        assert!(debited_on(fund, "2027-04-15").await.contains(&e.too_late));
    }
}

/// The id of the employer's debit on `date`.
async fn debit_of(fund: &Fund, employer: i64, date: &str) -> i64 {
    scalar(
        &fund.store,
        &format!("SELECT id FROM collections WHERE employer_id = {employer} AND collection_date = '{date}'"),
    )
    .await
}

/// How many notices of `kind` the employer was sent.
async fn notices_of(fund: &Fund, employer: i64, kind: &str) -> i64 {
    scalar(
        &fund.store,
        &format!(
            "SELECT COUNT(*) FROM notice_events WHERE employer_id = {employer} AND kind = '{kind}' AND status = 'sent'"
        ),
    )
    .await
}

/// The employers, their worksites and signed mandates (sent `mandate_signed` notices).
async fn employers(fund: &Fund) -> Employers {
    let mut ids = Vec::new();
    for n in 1..=8_i64 {
        let store = &fund.store;
        let employer = store
            .create_employer(
                &actor(),
                NewEmployer {
                    affiliation_number: format!("1600000{n}"),
                    name: format!("SARL Bâtiment {n}"),
                    name_ar: None,
                    email: format!("compta{n}@employeur.dz"),
                    language: Some("fr".to_owned()),
                    period_kind: None,
                },
            )
            .await
            .unwrap()
            .id;
        let sites: &[&str] = if n == 7 { &["W1", "W2"] } else { &["W1"] };
        for code in sites {
            store
                .create_worksite(
                    &actor(),
                    employer,
                    NewWorksite {
                        code: (*code).to_owned(),
                        name: format!("Chantier {code}"),
                        wilaya: Some("Alger".to_owned()),
                    },
                )
                .await
                .unwrap();
        }
        let ceiling = (n == 6).then_some("1000.00");
        signed_mandate(store, employer, &account(n, employer), ceiling).await;
        ids.push(employer);
    }
    Employers {
        early: ids[0],
        postal: ids[1],
        late: ids[2],
        too_late: ids[3],
        corrects: ids[4],
        ceiling: ids[5],
        big: ids[6],
        small: ids[7],
    }
}

/// The account of the `n`th employer: postal for the 2nd and 8th, a bank's for the rest.
fn account(n: i64, employer: i64) -> String {
    let postal = matches!(n, 2 | 8) || (n > 8 && employer % 2 == 0);
    if postal {
        let number = 1_000_000 + u64::try_from(employer).unwrap();
        format!("{number} {:02}", ccp_key(number))
    } else {
        let rib =
            Rib::from_parts("004", "00174", &format!("{:010}", 4_010_010_500 + employer)).unwrap();
        AccountId::parse(rib.digits()).unwrap();
        rib.digits().to_owned()
    }
}

/// A declaration of `period`: 4 workers per worksite, a wage bill of `scale` × 100,000 DA.
fn declaration(period: &str, scale: i64) -> NewDeclaration {
    declaration_of(period, scale, &["W1"])
}

fn declaration_of(period: &str, scale: i64, sites: &[&str]) -> NewDeclaration {
    NewDeclaration {
        period: period.parse().unwrap(),
        lines: sites
            .iter()
            .map(|code| NewDeclarationLine {
                worksite_code: (*code).to_owned(),
                headcount: 4,
                wage_bill: Amount::from_centimes(scale * 10_000_000),
                bad_weather_base: Amount::ZERO,
            })
            .collect(),
    }
}

async fn declare(fund: &Fund, employer: i64, period: &str, scale: i64) {
    let sites: Vec<String> = fund
        .store
        .list_worksites(employer)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.code)
        .collect();
    let sites: Vec<&str> = sites.iter().map(String::as_str).collect();
    fund.store
        .submit_declaration(&actor(), employer, declaration_of(period, scale, &sites))
        .await
        .unwrap();
}

/// The employers with a debit planned on `date`.
async fn planned_on(fund: &Fund, date: &str) -> BTreeSet<i64> {
    employers_where(
        fund,
        &format!("collection_date = '{date}' AND status = 'planned'"),
    )
    .await
}

/// The employers whose debit on `date` went into a file.
async fn debited_on(fund: &Fund, date: &str) -> BTreeSet<i64> {
    employers_where(
        fund,
        &format!("collection_date = '{date}' AND status NOT IN ('planned', 'cancelled')"),
    )
    .await
}

async fn employers_where(fund: &Fund, condition: &str) -> BTreeSet<i64> {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
        "SELECT employer_id FROM collections WHERE {condition}"
    )))
    .fetch_all(fund.store.pool())
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// What the story of each employer left behind.
async fn check_story(fund: &Fund, e: &Employers) {
    let store = &fund.store;
    // The correction: the February debit of the employer who corrected its declaration
    // carried the corrected lines (a wage bill of 200,000 DA, not 900,000).
    let lines = |period: &str| {
        format!(
            "SELECT CAST(COALESCE(SUM(cl.amount_centimes), 0) AS BIGINT) FROM collection_lines cl \
             JOIN declaration_lines l ON l.id = cl.declaration_line_id \
             JOIN declarations x ON x.id = l.declaration_id \
             WHERE x.employer_id = {} AND x.period = '{period}' AND cl.live = 1",
            e.corrects
        )
    };
    let january = scalar(store, &lines("2027-01")).await;
    assert!(january > 0);
    assert_eq!(scalar(store, &lines("2027-02")).await, 2 * january);
    // Over its ceiling, the employer was never debited above it; it was once it raised it.
    assert_eq!(
        scalar(
            store,
            &format!(
                "SELECT COUNT(*) FROM collections c JOIN mandates m ON m.id = c.mandate_id \
                 WHERE c.employer_id = {} AND m.ceiling_centimes < c.amount_centimes",
                e.ceiling
            )
        )
        .await,
        0
    );
    // The feast: nothing filed for 16 to 18 May, the debits of the 16th went on the 19th.
    assert_eq!(
        scalar(
            store,
            "SELECT COUNT(*) FROM collections WHERE collection_date BETWEEN '2027-05-16' AND '2027-05-18'"
        )
        .await,
        0
    );
    assert!(!debited_on(fund, "2027-05-19").await.is_empty());
    // The bank's answers: rejects, returns, retries that settled, a suspension, and the
    // 15 March debits with no booking settled by the window (no report settled them).
    let count = |condition: &'static str| async move {
        scalar(
            store,
            &format!("SELECT COUNT(*) FROM collections WHERE {condition}"),
        )
        .await
    };
    assert!(count("status IN ('rejected', 'retry_planned')").await > 0);
    assert!(count("status = 'returned'").await > 0);
    assert!(count("attempt > 1 AND status = 'settled'").await > 0);
    assert!(
        count("status = 'settled' AND report_id IS NULL AND collection_date = '2027-03-15'").await
            > 0
    );
    assert!(
        scalar(
            store,
            "SELECT COUNT(*) FROM mandates WHERE status = 'suspended'"
        )
        .await
            > 0
    );
    // Staff's actions: the re-presentation settled, its exception resolved by it; the held
    // debit, released too late, was cancelled and its lines planned for the next date.
    assert_eq!(
        count(
            "status = 'settled' AND retry_of IN \
             (SELECT x.collection_id FROM exceptions x WHERE x.resolved_by_action = 'represent')"
        )
        .await,
        1
    );
    let after_may = scalar(
        store,
        &format!(
            "SELECT COUNT(*) FROM collections WHERE employer_id = {} AND status = 'planned' \
             AND collection_date > '2027-05-19'",
            e.early
        ),
    )
    .await;
    assert_eq!(after_may, 1, "the held debit's lines are planned for June");
}
