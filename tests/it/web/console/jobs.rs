//! The console's jobs page and `tahsil jobs`, over real HTTP and the real command, on both
//! databases: a job that fails its last allowed attempt is shown failed with its error (on
//! the page and by the command), staff put it back (audited, with CSRF), and it runs.

use std::process::{Command, Output};

use chrono::Duration;
use reqwest::StatusCode;
use tahsil::cycle::scheduler::{QueuePolicy, work_queue};
use tahsil::store::{Role, Store};

use super::french;
use crate::both_backends;
use crate::harness::fixtures::{
    add_user, employer_with_worksites, failed_run_job, scalar, unblock_outboxes, work_queue_now,
};
use crate::harness::{TestDb, WebApp, csrf_of, get_text, test_key_base64};

fn tahsil_jobs(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .args(["--database-url", &db.url, "jobs"])
        .args(args)
        .env("TAHSIL_ENCRYPTION_KEY", test_key_base64())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn status_of(store: &Store, id: i64) -> String {
    sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

both_backends!(
    a_job_that_fails_for_good_is_shown_with_its_error_and_runs_once_put_back,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let (finance_id, finance) = french(&app, "finance@fund.dz", Role::Finance).await;
        let (_, page) = finance.get("/console/jobs").await;
        assert!(page.contains("id=\"no-failed-jobs\""), "{page}");
        assert!(page.contains("href=\"/console/jobs\""), "in the navigation");

        // A due date whose files cannot be written: its run job fails every attempt.
        let id = failed_run_job(&app.store, &app.settings, 6).await;
        let attempts = scalar(
            &app.store,
            &format!("SELECT attempts FROM jobs WHERE id = {id}"),
        )
        .await;
        assert_eq!(attempts, 5, "the last allowed attempt");
        let error: String = sqlx::query_scalar("SELECT last_error FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        assert!(error.contains("outbox"), "{error}");

        // The page counts it and lists it, with its kind in words, key, attempts and error.
        let (status, page) = finance.get("/console/jobs").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("<tr id=\"jobs-failed\"><td>En échec</td><td class=\"num\">1</td></tr>"),
            "{page}"
        );
        let row = &page[page
            .find(&format!("<tr id=\"job-{id}\">"))
            .expect("the failed job's row")..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains("Remise des fichiers d&#39;une date"), "{row}");
        assert!(row.contains(">run:2026-12-15<"), "{row}");
        assert!(row.contains("<td class=\"num\">5</td>"), "{row}");
        assert!(row.contains(&askama_escaped(&error)), "{row}");
        assert!(row.contains(&format!("id=\"retry-{id}\"")), "{row}");
        // In Arabic too: the words, right to left.
        let (_, arabic_user) = (
            add_user(&app.store, "admin@fund.dz", Role::Admin, &[]).await,
            app.signed_in("admin@fund.dz").await,
        );
        let (status, page) = arabic_user.get("/console/jobs").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("dir=\"rtl\""));
        assert!(
            page.contains("إعداد ملفات تاريخ الاقتطاع") && page.contains("فاشل"),
            "{page}"
        );

        // The command line lists it too.
        let output = tahsil_jobs(&db, &["--failed"]);
        assert!(output.status.success(), "{output:?}");
        let text = stdout(&output);
        // The state in its word, as on the console, never its code (issue 20).
        assert!(
            text.contains(&format!("{:<8} {:<12} {:>8}", "run", "En échec", 1)),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "#{id} run:2026-12-15: En échec after 5 attempts, at "
            )),
            "{text}"
        );
        assert!(text.contains(&error), "{text}");

        // Without this session's CSRF token the retry is refused and changes nothing.
        let response = finance
            .client
            .post(app.url(&format!("/console/jobs/{id}/retry")))
            .form(&[("csrf", "forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(status_of(&app.store, id).await, "failed");

        // The cause is fixed; staff put the job back: audited as them.
        unblock_outboxes(&app.settings);
        let (status, _, location) = finance
            .post(&format!("/console/jobs/{id}/retry"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some(&*format!("/console/jobs?retried={id}"))
        );
        assert_eq!(status_of(&app.store, id).await, "queued");
        let trail = app.store.audit_trail("job", id).await.unwrap();
        assert_eq!(trail.len(), 1);
        assert_eq!(
            (trail[0].actor.clone(), trail[0].action.as_str()),
            (format!("user:{finance_id}"), "job.retried")
        );
        let (_, page) = finance.get(&format!("/console/jobs?retried={id}")).await;
        assert!(
            page.contains(&format!("Le travail n° {id} est de nouveau dans la file")),
            "{page}"
        );
        assert!(page.contains("id=\"no-failed-jobs\""), "{page}");
        // Twice is refused, saying why.
        let (status, page, _) = finance
            .post(&format!("/console/jobs/{id}/retry"), &[])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Ce travail n&#39;est pas en échec"), "{page}");

        // It runs: the files are written, the job is done.
        assert_eq!(work_queue_now(&app.store, &app.settings).await, 1);
        assert_eq!(status_of(&app.store, id).await, "done");
        assert!(!app.store.bank_files(None).await.unwrap().is_empty());
        let output = tahsil_jobs(&db, &["--retry", &id.to_string()]);
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(error.contains("is done, not failed"), "{error}");

        // A row this version cannot read fails the same way; the command line puts it
        // back, audited as `cli`.
        app.store
            .enqueue_job("import", "import:x", "x")
            .await
            .unwrap();
        assert_eq!(work_queue_now(&app.store, &app.settings).await, 5);
        let unknown = scalar(
            &app.store,
            "SELECT id FROM jobs WHERE dedupe_key = 'import:x'",
        )
        .await;
        let (_, page) = finance.get("/console/jobs").await;
        assert!(
            page.contains("Type inconnu de cette version (import)"),
            "{page}"
        );
        let output = tahsil_jobs(&db, &["--retry", &unknown.to_string()]);
        assert!(output.status.success(), "{output:?}");
        assert!(
            stdout(&output).contains(&format!(
                "job {unknown} (import:x) is queued again after 5 failed attempts"
            )),
            "{output:?}"
        );
        let trail = app.store.audit_trail("job", unknown).await.unwrap();
        assert_eq!(
            (trail[0].actor.as_str(), trail[0].action.as_str()),
            ("cli", "job.retried")
        );
    }
);

/// `text` as askama writes it into a page.
fn askama_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

both_backends!(
    only_staff_see_the_jobs_page_and_put_jobs_back,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        employer_with_worksites(&app.store, "16000001", &["W1"]).await;
        add_user(&app.store, "gerant@a.dz", Role::Employer, &["16000001"]).await;
        app.store
            .enqueue_job("import", "import:x", "x")
            .await
            .unwrap();
        let policy = QueuePolicy {
            retry_in: Duration::zero(),
            max_attempts: 1,
            ..QueuePolicy::default()
        };
        work_queue(&app.store, &app.settings, "worker", &policy)
            .await
            .unwrap();
        let id = scalar(&app.store, "SELECT id FROM jobs WHERE status = 'failed'").await;
        let retry = format!("/console/jobs/{id}/retry");

        // An employer's user: forbidden, the page and the form (even with its own token).
        let employer = app.signed_in("gerant@a.dz").await;
        assert_eq!(employer.get("/console/jobs").await.0, StatusCode::FORBIDDEN);
        let (status, _, _) = employer.post(&retry, &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Nobody signed in: sent to sign in.
        let anonymous = app.browser();
        for response in [
            anonymous
                .get(app.url("/console/jobs"))
                .send()
                .await
                .unwrap(),
            anonymous
                .post(app.url(&retry))
                .form(&[("csrf", "x")])
                .send()
                .await
                .unwrap(),
        ] {
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            assert_eq!(response.headers()["location"], "/login");
        }
        // A staff member's form posted with a token that is not the session's: refused.
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let (_, login) = get_text(&anonymous, &app.url("/login")).await;
        let finance = app.signed_in("finance@fund.dz").await;
        let response = finance
            .client
            .post(app.url(&retry))
            .form(&[("csrf", csrf_of(&login).as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let response = finance.client.post(app.url(&retry)).send().await.unwrap();
        assert!(response.status().is_client_error(), "no form at all");
        assert_eq!(status_of(&app.store, id).await, "failed");
        assert!(app.store.audit_trail("job", id).await.unwrap().is_empty());
        // A job that does not exist: not found.
        let (status, _, _) = finance.post("/console/jobs/999999/retry", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);
