//! Disputes over real HTTP, on both databases: an employer contests a debit and gets the
//! case number in the response, a second contest joins the case, staff answer from the
//! queue (audited, emailed), bad input records nothing, and the part of the role ×
//! endpoint matrix about disputes (called from `access.rs`).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use mail_parser::MessageParser;
use mandates::Amount;
use reqwest::StatusCode;
use tahsil::config::Config;
use tahsil::notices::NoticeSettings;
use tahsil::store::{Actor, NewDeclaration, NewDeclarationLine, Role, Store};

use crate::both_backends;
use crate::harness::fixtures::{
    actor, add_user, employer_with_worksites, scalar as count, signed_mandate,
};
use crate::harness::{Browser, TestDb, WebApp};

/// An employer with a signed mandate on `account`, one declaration and its collection
/// planned for 2099-01-15, then marked `status`. Returns (employer, collection).
async fn employer_with_collection(
    store: &Store,
    affiliation: &str,
    account: &str,
    status: &str,
) -> (i64, i64) {
    let employer = employer_with_worksites(store, affiliation, &["W1"]).await;
    signed_mandate(store, employer, account, None).await;
    store
        .submit_declaration(
            &actor(),
            employer,
            NewDeclaration {
                period: "2026-10".parse().unwrap(),
                lines: vec![NewDeclarationLine {
                    worksite_code: "W1".to_owned(),
                    headcount: 3,
                    wage_bill: Amount::parse("90000.00").unwrap(),
                    bad_weather_base: Amount::ZERO,
                }],
            },
        )
        .await
        .unwrap();
    store
        .plan_collections(
            &actor(),
            NaiveDate::from_ymd_opt(2099, 1, 15).unwrap(),
            NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(),
        )
        .await
        .unwrap();
    let collection: i64 = sqlx::query_scalar("SELECT id FROM collections WHERE employer_id = $1")
        .bind(employer)
        .fetch_one(store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE collections SET status = $2 WHERE id = $1")
        .bind(collection)
        .bind(status)
        .execute(store.pool())
        .await
        .unwrap();
    (employer, collection)
}

/// Dispute rows, messages, dispute notices and dispute audit entries: what a refused
/// request must leave as it was.
async fn footprint(store: &Store) -> [i64; 4] {
    [
        count(store, "SELECT COUNT(*) FROM disputes").await,
        count(store, "SELECT COUNT(*) FROM dispute_messages").await,
        count(
            store,
            "SELECT COUNT(*) FROM notice_events WHERE kind LIKE 'dispute%'",
        )
        .await,
        count(
            store,
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'dispute'",
        )
        .await,
    ]
}

/// Whether a page shows `text` (askama escapes apostrophes).
fn shows(page: &str, text: &str) -> bool {
    page.contains(&text.replace('\'', "&#39;")) || page.contains(&text.replace('\'', "&#x27;"))
}

fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(1)).date_naive()
}

async fn in_french(browser: &Browser) {
    let (status, _, _) = browser
        .post("/language", &[("lang", "fr"), ("back", "/")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

/// A contest answered by a redirect to its case page (post/redirect/get) saying `done`:
/// the page it leads to.
async fn contested(
    browser: &crate::harness::Browser,
    status: StatusCode,
    page: String,
    location: Option<String>,
    done: &str,
) -> String {
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let location = location.expect("a redirect");
    assert!(location.ends_with(&format!("?done={done}")), "{location}");
    let (status, page) = browser.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    page
}

both_backends!(
    an_employer_contests_a_debit_gets_the_case_number_at_once_and_a_second_contest_joins_it,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let (a, collection) =
            employer_with_collection(&app.store, "16000001", "004 00174 4010010504 86", "settled")
                .await;
        let user = add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
        let browser = app.signed_in("gerant@a.dz").await;
        in_french(&browser).await;

        // The history offers to contest the debit; the form shows it.
        let contest = format!("/portal/{a}/collections/{collection}/dispute");
        let (status, page) = browser.get(&format!("/portal/{a}/history")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!("href=\"{contest}\"")), "{page}");
        let (status, page) = browser.get(&contest).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("15/01/2099") && page.contains("id=\"send-dispute\""));
        assert!(page.contains("Prélèvement en double"), "reasons in French");

        // Opening: the answer leads to the case page (post/redirect/get), with its number.
        let first = "Le chantier W1 était fermé en octobre :\r\naucun salarié déclaré.";
        let (status, page, location) = browser
            .post(&contest, &[("reason", "amount_wrong"), ("message", first)])
            .await;
        let page = contested(&browser, status, page, location, "opened").await;
        let case = app
            .store
            .collection_dispute(collection)
            .await
            .unwrap()
            .expect("a case");
        let number = case.case_number.clone();
        assert_eq!(
            number,
            format!("RCL-{}-{:06}", today().format("%Y"), case.id)
        );
        assert!(
            page.contains(&format!("id=\"case-number\" dir=\"ltr\">{number}<")),
            "{page}"
        );
        assert!(page.contains("Réclamation enregistrée") && page.contains("Montant erroné"));
        assert_eq!(case.status.as_str(), "open");
        assert_eq!(case.reason.as_str(), "amount_wrong");
        let answer_by = (today() + chrono::Duration::days(30)).to_string();
        assert_eq!(case.deadline, answer_by);
        assert!(page.contains(&format!(
            "id=\"case-deadline\">{}<",
            tahsil::locale::written_day_of(&answer_by)
        )));
        let messages = app.store.dispute_messages(case.id).await.unwrap();
        assert_eq!(messages.len(), 1);
        assert_eq!(
            messages[0].body,
            "Le chantier W1 était fermé en octobre :\naucun salarié déclaré."
        );
        assert_eq!(messages[0].actor, format!("user:{user}"));
        // Acknowledged by a notice recorded with it, about this message; audited.
        let events: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT kind, subject_id, employer_id FROM notice_events WHERE kind LIKE 'dispute%'",
        )
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        assert_eq!(
            events,
            vec![("dispute_acknowledged".to_owned(), messages[0].id, a)]
        );
        let trail = app.store.audit_trail("dispute", case.id).await.unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(trail[0].action.as_str(), "dispute.opened");
        assert_eq!(trail[0].actor, format!("user:{user}"));

        // The history now links the case instead of offering a second one.
        let (_, page) = browser.get(&format!("/portal/{a}/history")).await;
        assert!(page.contains(&number) && !page.contains(&format!("href=\"{contest}\"")));
        let (_, page) = browser.get(&contest).await;
        assert!(page.contains("id=\"existing\""), "{page}");

        // A second contest of the same debit joins the case: same number, two messages,
        // no second acknowledgement (no date changed).
        let (status, page, location) = browser
            .post(
                &contest,
                &[
                    ("reason", "duplicate_debit"),
                    ("message", "Débité deux fois le même jour."),
                ],
            )
            .await;
        let page = contested(&browser, status, page, location, "joined").await;
        assert!(page.contains("ajouté au dossier déjà ouvert"), "{page}");
        assert!(page.contains(&format!("id=\"case-number\" dir=\"ltr\">{number}<")));
        assert!(page.contains("Débité deux fois le même jour.") && page.contains("aucun salarié"));
        assert_eq!(
            count(&app.store, "SELECT COUNT(*) FROM disputes").await,
            1,
            "one case per collection"
        );
        let messages = app.store.dispute_messages(case.id).await.unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(
            messages[1].reason.map(|r| r.as_str()),
            Some("duplicate_debit")
        );
        assert_eq!(footprint(&app.store).await, [1, 2, 1, 2]);
        // The same form sent twice records it once.
        let (status, page, location) = browser
            .post(
                &contest,
                &[
                    ("reason", "duplicate_debit"),
                    ("message", "Débité deux fois le même jour."),
                ],
            )
            .await;
        let page = contested(&browser, status, page, location, "repeated").await;
        assert!(page.contains("déjà enregistré"), "{page}");
        assert_eq!(footprint(&app.store).await, [1, 2, 1, 2]);

        // The employer's list of cases.
        let (status, page) = browser.get(&format!("/portal/{a}/disputes")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!("href=\"/portal/{a}/disputes/{}\"", case.id)));
        assert!(page.contains(&number) && shows(&page, "En cours d'examen"));
    }
);

both_backends!(
    staff_answer_from_the_queue_by_deadline_audited_and_the_employer_is_emailed,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let (a, ca) = employer_with_collection(
            &app.store,
            "16000001",
            "004 00174 4010010504 86",
            "returned",
        )
        .await;
        let (b, cb) =
            employer_with_collection(&app.store, "16000002", "00100001000000000144", "settled")
                .await;
        add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
        let finance = add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let employer = |id: i64| Actor::new(format!("user:e{id}"));
        let first = app
            .store
            .contest_collection(&employer(a), a, ca, "not_authorised", "Je n'ai rien signé.")
            .await
            .unwrap()
            .unwrap();
        let second = app
            .store
            .contest_collection(&employer(b), b, cb, "already_paid", "Payé au guichet.")
            .await
            .unwrap()
            .unwrap();
        // B's case is past its answer date: first in the queue, marked overdue.
        sqlx::query("UPDATE disputes SET deadline = '2026-01-05' WHERE id = $1")
            .bind(second.dispute_id)
            .execute(app.store.pool())
            .await
            .unwrap();

        let staff = app.signed_in("finance@fund.dz").await;
        in_french(&staff).await;
        let (status, page) = staff.get("/console/disputes").await;
        assert_eq!(status, StatusCode::OK);
        let (at_b, at_a) = (
            page.find(&second.case_number).expect("B's case"),
            page.find(&first.case_number).expect("A's case"),
        );
        assert!(at_b < at_a, "ordered by deadline: {page}");
        assert!(
            page.contains(&format!(
                "id=\"dispute-{}\" class=\"state-open overdue\"",
                second.dispute_id
            )),
            "{page}"
        );
        assert!(page.contains(&format!(
            "id=\"dispute-{}\" class=\"state-open\"",
            first.dispute_id
        )));

        // The case page: the collection with the account masked, the message, the form.
        let case_page = format!("/console/disputes/{}", first.dispute_id);
        let (status, page) = staff.get(&case_page).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"account\">****0486<"), "{page}");
        assert!(!page.contains("4010010504"), "never the digits");
        assert!(shows(&page, "Je n'ai rien signé."), "{page}");
        assert!(page.contains("W1 — Chantier W1") && page.contains("id=\"send-answer\""));

        // Bad answers record nothing and say what is wrong.
        let answer = format!("/console/disputes/{}/answer", first.dispute_id);
        let before = footprint(&app.store).await;
        for (fields, expected) in [
            (
                vec![("outcome", "rejected"), ("message", "  \r\n ")],
                "Le message est vide",
            ),
            (
                vec![("outcome", "maybe"), ("message", "Vu.")],
                "Choisissez la décision",
            ),
            (
                vec![("outcome", ""), ("message", "Vu.")],
                "Choisissez la décision",
            ),
        ] {
            let (status, page, _) = staff.post(&answer, &fields).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
            assert!(shows(&page, "Rien n'a été enregistré."), "{page}");
            assert!(page.contains(expected), "{expected}: {page}");
        }
        let long = "x".repeat(2001);
        let (status, page, _) = staff
            .post(&answer, &[("outcome", "rejected"), ("message", &long)])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("dépasse 2 000 caractères") && page.contains("2001"));
        assert_eq!(footprint(&app.store).await, before);
        assert_eq!(
            app.store
                .dispute(first.dispute_id)
                .await
                .unwrap()
                .status
                .as_str(),
            "open"
        );

        // The answer: status, outcome, deadline to write again, audit, notice.
        let text = "Le mandat a été signé le 3 mars par votre gérant ; le prélèvement est dû.";
        let (status, _, location) = staff
            .post(&answer, &[("outcome", "rejected"), ("message", text)])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(location.unwrap(), format!("{case_page}?done=answered"));
        let case = app.store.dispute(first.dispute_id).await.unwrap();
        assert_eq!(case.status.as_str(), "answered");
        assert_eq!(case.outcome.map(|o| o.as_str()), Some("rejected"));
        let write_again_until = (today() + chrono::Duration::days(30)).to_string();
        assert_eq!(case.deadline, write_again_until);
        let trail = app
            .store
            .audit_trail("dispute", first.dispute_id)
            .await
            .unwrap();
        let answered = trail.last().unwrap();
        assert_eq!(answered.action.as_str(), "dispute.answered");
        assert_eq!(answered.actor, format!("user:{finance}"));
        assert!(answered.detail.contains("\"outcome\":\"rejected\""));
        let messages = app.store.dispute_messages(first.dispute_id).await.unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[1].author.as_str(), "fund");
        let answered_event: (String, i64, String) = sqlx::query_as(
            "SELECT kind, employer_id, status FROM notice_events WHERE subject_id = $1 AND kind LIKE 'dispute%'",
        )
        .bind(messages[1].id)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        assert_eq!(
            answered_event,
            ("dispute_answered".to_owned(), a, "pending".to_owned())
        );
        let (_, page) = staff.get(&format!("{case_page}?done=answered")).await;
        assert!(page.contains("id=\"notice\"") && !page.contains("id=\"send-answer\""));
        // Answered once: a second answer is refused, nothing recorded.
        let before = footprint(&app.store).await;
        let (status, page, _) = staff
            .post(
                &answer,
                &[("outcome", "upheld"), ("message", "Finalement oui.")],
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(page.contains("déjà reçu une réponse"), "{page}");
        assert_eq!(footprint(&app.store).await, before);

        // The notice worker delivers the acknowledgements and the answer (.eml folder).
        let mail = tempfile::tempdir().unwrap();
        let config = Config {
            mail_dir: Some(mail.path().to_path_buf()),
            mail_from: "CACOBATPH <avis@cacobatph.dz>".to_owned(),
            ..Config::default()
        };
        let mailer = tahsil::notices::mailer_from_config(&config).unwrap();
        let report = tahsil::notices::deliver_all(
            &app.store,
            &mailer,
            &NoticeSettings::default(),
            "worker-1",
            Duration::from_secs(20),
        )
        .await
        .unwrap();
        let dispute_notices = count(
            &app.store,
            "SELECT COUNT(*) FROM notice_events WHERE kind LIKE 'dispute%' AND status = 'sent'",
        )
        .await;
        assert_eq!(
            dispute_notices, 3,
            "two acknowledgements, one answer: {report:?}"
        );
        assert_eq!(
            count(
                &app.store,
                "SELECT COUNT(*) FROM notice_events WHERE status <> 'sent'"
            )
            .await,
            0
        );
        let mut sent: BTreeMap<String, (String, String)> = BTreeMap::new();
        for entry in std::fs::read_dir(mail.path()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.contains("dispute") {
                continue;
            }
            let raw = std::fs::read(&path).unwrap();
            let message = MessageParser::default().parse(&raw).unwrap();
            sent.insert(
                name,
                (
                    message.subject().unwrap().to_owned(),
                    message.body_text(0).unwrap().into_owned(),
                ),
            );
        }
        assert_eq!(sent.len(), 3, "{:?}", sent.keys());
        let answer_mail = sent
            .values()
            .find(|(subject, _)| subject.contains("Réponse à votre réclamation"))
            .expect("the answer emailed");
        assert!(
            answer_mail.0.contains(&first.case_number),
            "{}",
            answer_mail.0
        );
        assert!(answer_mail.1.contains(text), "{}", answer_mail.1);
        assert!(
            answer_mail.1.contains("pas été retenue"),
            "{}",
            answer_mail.1
        );
        let [y, m, d] = [
            &write_again_until[..4],
            &write_again_until[5..7],
            &write_again_until[8..],
        ];
        assert!(
            answer_mail.1.contains(&format!("{d}/{m}/{y}")),
            "{}",
            answer_mail.1
        );
        let ack = sent
            .values()
            .find(|(subject, _)| subject.contains("reçue") && subject.contains(&second.case_number))
            .expect("B's acknowledgement");
        let answer_by = (today() + chrono::Duration::days(30))
            .format("%d/%m/%Y")
            .to_string();
        assert!(
            ack.1.contains(&answer_by),
            "the answer date as opened: {}",
            ack.1
        );

        // The employer reads the answer, and writes again: the case reopens with a new
        // answer date and a new acknowledgement.
        let gerant = app.signed_in("gerant@a.dz").await;
        in_french(&gerant).await;
        let (status, page) = gerant
            .get(&format!("/portal/{a}/disputes/{}", first.dispute_id))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Non retenue") && page.contains("le prélèvement est dû"));
        assert!(page.contains("class=\"from-fund\""));
        let contest = format!("/portal/{a}/collections/{ca}/dispute");
        let (status, page, location) = gerant
            .post(
                &contest,
                &[
                    ("reason", "not_authorised"),
                    ("message", "Ce gérant n'était plus en poste en mars."),
                ],
            )
            .await;
        let page = contested(&gerant, status, page, location, "reopened").await;
        assert!(page.contains("Le dossier est rouvert"), "{page}");
        let case = app.store.dispute(first.dispute_id).await.unwrap();
        assert_eq!((case.status.as_str(), case.outcome), ("open", None));
        assert_eq!(
            count(
                &app.store,
                "SELECT COUNT(*) FROM notice_events WHERE kind = 'dispute_acknowledged'"
            )
            .await,
            3
        );
        assert_eq!(
            app.store
                .audit_trail("dispute", first.dispute_id)
                .await
                .unwrap()
                .last()
                .unwrap()
                .action,
            "dispute.reopened"
        );

        // Answered again, and the time to write again over: the case is closed.
        let (status, _, _) = staff
            .post(
                &answer,
                &[
                    ("outcome", "upheld"),
                    ("message", "Vous avez raison : remboursement."),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        sqlx::query("UPDATE disputes SET deadline = '2026-01-05' WHERE id = $1")
            .bind(first.dispute_id)
            .execute(app.store.pool())
            .await
            .unwrap();
        let (_, page) = gerant
            .get(&format!("/portal/{a}/disputes/{}", first.dispute_id))
            .await;
        assert!(
            page.contains("class=\"state-closed\"") && page.contains("Fondée"),
            "{page}"
        );
        assert!(!page.contains("id=\"send-dispute\""));
        let before = footprint(&app.store).await;
        let (status, page, _) = gerant
            .post(
                &contest,
                &[("reason", "other"), ("message", "Et le remboursement ?")],
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(page.contains("Ce dossier est clos"), "{page}");
        assert_eq!(footprint(&app.store).await, before);
    }
);

both_backends!(
    bad_contests_say_what_is_wrong_and_record_nothing,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let (a, collection) = employer_with_collection(
            &app.store,
            "16000001",
            "004 00174 4010010504 86",
            "rejected",
        )
        .await;
        add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
        let browser = app.signed_in("gerant@a.dz").await;
        in_french(&browser).await;
        let contest = format!("/portal/{a}/collections/{collection}/dispute");
        let too_long = "é".repeat(2001);
        for (fields, expected) in [
            (
                vec![("reason", "amount_wrong"), ("message", " \r\n\t ")],
                "Le message est vide",
            ),
            (vec![("reason", "amount_wrong")], "Le message est vide"),
            (
                vec![("reason", "because"), ("message", "Le montant est faux.")],
                "Choisissez un motif dans la liste.",
            ),
            (
                vec![("reason", ""), ("message", "Le montant est faux.")],
                "Choisissez un motif dans la liste.",
            ),
            (
                vec![("reason", "other"), ("message", too_long.as_str())],
                "dépasse 2 000 caractères",
            ),
            (
                vec![("reason", "other"), ("message", "bell \u{7} here")],
                "caractères de contrôle",
            ),
        ] {
            let (status, page, _) = browser.post(&contest, &fields).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
            assert!(page.contains(expected), "{expected}: {page}");
            assert!(page.contains("id=\"error\""));
        }
        // What was typed is shown again to be corrected.
        let (_, page, _) = browser
            .post(
                &contest,
                &[("reason", "because"), ("message", "Le montant est faux.")],
            )
            .await;
        assert!(page.contains(">Le montant est faux.</textarea>"), "{page}");
        assert_eq!(footprint(&app.store).await, [0, 0, 0, 0]);
        // Without the form's CSRF token: refused.
        let response = browser
            .client
            .post(app.url(&contest))
            .form(&[("reason", "other"), ("message", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);

        // A cancelled debit never reached the bank: nothing to contest, said plainly.
        sqlx::query("UPDATE collections SET status = 'cancelled' WHERE id = $1")
            .bind(collection)
            .execute(app.store.pool())
            .await
            .unwrap();
        let (status, page) = browser.get(&contest).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"blocked\"") && !page.contains("id=\"send-dispute\""));
        let (status, page, _) = browser
            .post(&contest, &[("reason", "other"), ("message", "Pourquoi ?")])
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(shows(&page, "a été annulé avant d'être présenté"), "{page}");
        let (_, page) = browser.get(&format!("/portal/{a}/history")).await;
        assert!(!page.contains(&format!("href=\"{contest}\"")));
        assert_eq!(footprint(&app.store).await, [0, 0, 0, 0]);
        // Nor a collection that does not exist.
        let (status, _, _) = browser
            .post(
                &format!("/portal/{a}/collections/999999/dispute"),
                &[("reason", "other"), ("message", "x")],
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

/// The disputes part of the role × endpoint matrix (`access.rs`): B's collection is
/// contested by the accountant acting for B; employer A's user can neither see, contest
/// nor read it (404, through B's paths or B's ids in A's), staff reach the console's
/// pages and not the portal's, nobody signed in is sent to sign in; nothing changes.
pub async fn matrix(
    app: &WebApp,
    (a, b): (i64, i64),
    accountant: &Browser,
    a_user: &Browser,
    staff: &[&Browser],
    anonymous: &reqwest::Client,
) {
    app.store
        .plan_collections(
            &actor(),
            NaiveDate::from_ymd_opt(2099, 1, 15).unwrap(),
            NaiveDate::from_ymd_opt(2099, 1, 1).unwrap(),
        )
        .await
        .unwrap();
    let cb: i64 = sqlx::query_scalar("SELECT id FROM collections WHERE employer_id = $1")
        .bind(b)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let (status, _, _) = accountant
        .post(
            &format!("/portal/{b}/collections/{cb}/dispute"),
            &[("reason", "amount_wrong"), ("message", "Effectif faux.")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the accountant contests for B"
    );
    let case = app.store.collection_dispute(cb).await.unwrap().unwrap();
    let db = case.id;
    let before = footprint(&app.store).await;

    for path in [
        format!("/portal/{b}/disputes/{db}"),
        format!("/portal/{a}/disputes/{db}"),
        format!("/portal/{b}/collections/{cb}/dispute"),
        format!("/portal/{a}/collections/{cb}/dispute"),
    ] {
        let (status, page) = a_user.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "A -> {path}");
        assert!(
            !page.contains(&case.case_number),
            "nothing of B leaks: {path}"
        );
    }
    let (_, page) = a_user.get(&format!("/portal/{a}/disputes")).await;
    assert!(!page.contains(&case.case_number));
    for path in [
        format!("/portal/{b}/collections/{cb}/dispute"),
        format!("/portal/{a}/collections/{cb}/dispute"),
    ] {
        let (status, _, _) = a_user
            .post(&path, &[("reason", "other"), ("message", "mine")])
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "A -> POST {path}");
    }
    for path in [
        "/console/disputes".to_owned(),
        format!("/console/disputes/{db}"),
    ] {
        assert_eq!(
            a_user.get(&path).await.0,
            StatusCode::FORBIDDEN,
            "A -> {path}"
        );
    }
    let answer = format!("/console/disputes/{db}/answer");
    let (status, _, _) = a_user
        .post(
            &answer,
            &[("outcome", "upheld"), ("message", "self-served")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    for staff in staff {
        assert_eq!(
            staff.get(&format!("/console/disputes/{db}")).await.0,
            StatusCode::OK
        );
        for path in [
            format!("/portal/{b}/disputes/{db}"),
            format!("/portal/{b}/collections/{cb}/dispute"),
        ] {
            assert_eq!(
                staff.get(&path).await.0,
                StatusCode::FORBIDDEN,
                "staff -> {path}"
            );
        }
    }

    for path in [
        format!("/portal/{b}/disputes/{db}"),
        format!("/portal/{b}/collections/{cb}/dispute"),
        format!("/console/disputes/{db}"),
    ] {
        let response = anonymous.get(app.url(&path)).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "anonymous -> {path}"
        );
        assert_eq!(response.headers()["location"], "/login");
    }
    for (path, fields) in [
        (
            format!("/portal/{b}/collections/{cb}/dispute"),
            [("reason", "other"), ("message", "anon")],
        ),
        (answer.clone(), [("outcome", "upheld"), ("message", "anon")]),
    ] {
        let response = anonymous
            .post(app.url(&path))
            .form(&[("csrf", "x"), fields[0], fields[1]])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "anonymous -> POST {path}"
        );
    }
    assert_eq!(footprint(&app.store).await, before, "nothing changed");
    assert_eq!(app.store.dispute(db).await.unwrap().status.as_str(), "open");
}
