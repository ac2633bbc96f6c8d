//! The bank clients' API: per-institution tokens, listing and downloading debit files,
//! uploading reports through the import path (quarantine on a bad file), and refusal of
//! anything belonging to another institution.

use std::path::PathBuf;

use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::Value;
use tahsil::cycle::banksim::BankSim;
use tahsil::cycle::exchange::{Folder, sha256_hex, waiting_files};
use tahsil::cycle::run::run_date;
use tahsil::store::Actor;

use crate::both_backends;
use crate::harness::fixtures::planned;
use crate::harness::{TestDb, WebApp};

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()
}

/// 40 seeded employers planned and run for the date: files for the bank and the post.
async fn files_written(app: &WebApp) {
    let planned = planned(&app.store, 40).await;
    assert_eq!(planned, 40);
    let run = run_date(
        &app.store,
        &app.settings,
        &Actor::new("test"),
        date(),
        "web-test",
    )
    .await
    .unwrap();
    assert!(
        run.transactions(mandates::Channel::Bank) > 0
            && run.transactions(mandates::Channel::Postal) > 0
    );
}

async fn token(app: &WebApp, institution: &str) -> String {
    app.store
        .create_api_token(&Actor::new("test"), institution, "test client")
        .await
        .unwrap()
        .token
}

async fn get_json(app: &WebApp, path: &str, token: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn upload(app: &WebApp, token: &str, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/bank/reports?name={name}")))
        .bearer_auth(token)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// The simulated bank's answers to an institution's files, written outside the inbox.
fn reports_for(app: &WebApp, institution: &str) -> Vec<PathBuf> {
    let out = app.exchange_dir().join(format!("sim-{institution}"));
    let sim = BankSim {
        reject_per_mille: 200,
        return_per_mille: 0,
        transfer_reject_per_mille: 0,
        seed: 5,
        today: date(),
        layouts: app.settings.layouts,
    };
    sim.answer(&app.settings.folder(institution, Folder::Outbox), &out)
        .unwrap();
    waiting_files(&out)
}

both_backends!(
    an_institution_lists_and_downloads_only_its_own_files,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        files_written(&app).await;
        let bank = token(&app, "bank").await;
        let poste = token(&app, "poste").await;
        let stored: Vec<String> = sqlx::query_scalar("SELECT token_sha256 FROM api_tokens")
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        assert!(!stored.contains(&bank) && stored.contains(&tahsil::store::token_hash(&bank)));

        let (status, bank_files) = get_json(&app, "/api/v1/bank/files", &bank).await;
        assert_eq!(status, StatusCode::OK, "{bank_files}");
        let (_, poste_files) = get_json(&app, "/api/v1/bank/files", &poste).await;
        let bank_files = bank_files.as_array().unwrap().clone();
        let poste_files = poste_files.as_array().unwrap().clone();
        assert!(!bank_files.is_empty() && !poste_files.is_empty());
        let records = app.store.bank_files(None).await.unwrap();
        for (files, institution) in [(&bank_files, "bank"), (&poste_files, "poste")] {
            for file in files {
                let record = records
                    .iter()
                    .find(|r| r.id == file["id"].as_i64().unwrap())
                    .unwrap();
                assert_eq!(record.institution.as_str(), institution);
                assert_eq!(file["name"], record.file_name.as_str());
                assert_eq!(file["sha256"], record.sha256.as_str());
                assert_eq!(file["transactions"], record.transactions);
                assert_eq!(
                    file["control_sum"],
                    mandates::Amount::from_centimes(record.control_sum_centimes).to_string()
                );
                assert!(file["downloaded_at"].is_null());
            }
        }

        // Downloading: the recorded bytes, marked downloaded.
        let own = bank_files[0]["id"].as_i64().unwrap();
        let response = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/bank/files/{own}")))
            .bearer_auth(&bank)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["x-content-sha256"],
            bank_files[0]["sha256"].as_str().unwrap()
        );
        let bytes = response.bytes().await.unwrap();
        assert_eq!(
            sha256_hex(&bytes),
            bank_files[0]["sha256"].as_str().unwrap()
        );
        assert!(
            app.store
                .bank_file(own)
                .await
                .unwrap()
                .downloaded_at
                .is_some()
        );

        // The other institution's file: not found for it, and not marked downloaded.
        let theirs = poste_files[0]["id"].as_i64().unwrap();
        let (status, body) = get_json(&app, &format!("/api/v1/bank/files/{theirs}"), &bank).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error"]["code"], "not_found");
        assert!(
            app.store
                .bank_file(theirs)
                .await
                .unwrap()
                .downloaded_at
                .is_none()
        );
        let (status, _) = get_json(&app, "/api/v1/bank/files/999999", &bank).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    the_bank_api_refuses_missing_wrong_revoked_and_admin_tokens,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let bank = token(&app, "bank").await;
        for given in ["", "tahsil_bank_not-a-token", "admin-test-token"] {
            let (status, body) = get_json(&app, "/api/v1/bank/files", given).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{given:?}");
            assert_eq!(body["error"]["code"], "unauthorized");
        }
        let (status, _) = get_json(&app, "/api/v1/bank/files", &bank).await;
        assert_eq!(status, StatusCode::OK);
        let id = app.store.api_tokens().await.unwrap()[0].id;
        app.store
            .revoke_api_token(&Actor::new("test"), id)
            .await
            .unwrap();
        let (status, _) = get_json(&app, "/api/v1/bank/files", &bank).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // And a bank token is no admin token.
        let (status, _) = get_json(&app, "/api/v1/employers", &bank).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
);

both_backends!(
    an_uploaded_report_is_imported_once_and_a_bad_one_is_quarantined,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        files_written(&app).await;
        let bank = token(&app, "bank").await;
        let reports = reports_for(&app, "bank");
        assert!(!reports.is_empty());
        let first = std::fs::read(&reports[0]).unwrap();
        let name = reports[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();

        let (status, body) = upload(&app, &bank, &name, first.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["outcome"], "applied");
        assert!(body["summary"]["items"].as_u64().unwrap() > 0);
        let report_id = body["summary"]["report_id"].as_i64().unwrap();
        let reports_now = app.store.reports().await.unwrap();
        assert_eq!(reports_now.len(), 1);
        assert_eq!(reports_now[0].institution.map(|i| i.as_str()), Some("bank"));
        assert!(reports_now[0].imported_by.starts_with("bank-api:bank:"));
        // Archived like an inbox import; nothing left in the upload area.
        assert!(
            app.settings
                .folder("bank", Folder::Archive)
                .join(&name)
                .exists()
        );
        assert!(waiting_files(&app.exchange_dir().join("bank").join("uploads")).is_empty());

        let (status, body) = upload(&app, &bank, &name, first).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["outcome"], "already_imported");
        assert_eq!(body["report_id"], report_id);

        // A file that is no report: quarantined with its error, nothing applied.
        let (status, body) = upload(
            &app,
            &bank,
            "garbage.xml",
            b"<Document>not a report".to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["code"], "report_quarantined");
        assert!(
            !body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(app.exchange_dir().to_str().unwrap())
        );
        assert_eq!(app.store.reports().await.unwrap().len(), 1);
        let quarantined = app.store.quarantined().await.unwrap();
        assert_eq!(quarantined.len(), 1);
        assert_eq!(quarantined[0].file_name, "garbage.xml");
        // Kept under a name of its own (moment, hash prefix, name): never overwritten.
        let kept = std::path::Path::new(&quarantined[0].stored_path);
        assert!(kept.exists(), "{kept:?}");
        assert_eq!(
            kept.parent().unwrap(),
            app.settings.folder("bank", Folder::Quarantine)
        );
        assert!(kept.to_str().unwrap().ends_with("-garbage.xml"), "{kept:?}");

        // A debit file sent back as a "report" is refused the same way.
        let debit =
            std::fs::read(waiting_files(&app.settings.folder("bank", Folder::Outbox))[0].clone())
                .unwrap();
        let (status, body) = upload(&app, &bank, "debit-back.xml", debit).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(app.store.reports().await.unwrap().len(), 1);

        // Bad names and empty bodies never reach the import.
        let (status, body) = upload(&app, &bank, "..%2Fescape.xml", b"x".to_vec()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "invalid_name");
        let (status, body) = upload(&app, &bank, "empty.xml", Vec::new()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "empty");
    }
);

both_backends!(
    an_institution_cannot_upload_a_report_on_another_institutions_file,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        files_written(&app).await;
        let poste = token(&app, "poste").await;
        // pain.002 rejects name the bank file they answer.
        let pain002 = reports_for(&app, "bank")
            .into_iter()
            .find(|p| {
                std::fs::read_to_string(p)
                    .unwrap_or_default()
                    .contains("pain.002")
            })
            .expect("a pain.002 among the bank's reports");
        let (status, body) = upload(
            &app,
            &poste,
            "pain002.xml",
            std::fs::read(&pain002).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "other_institution");
        assert!(app.store.reports().await.unwrap().is_empty());
        assert!(app.store.quarantined().await.unwrap().is_empty());
    }
);

both_backends!(
    uploads_beyond_the_concurrent_limit_are_answered_503_and_kept_private,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let bank = token(&app, "bank").await;
        // Every upload slot taken (as by uploads in flight): the next is told to come back.
        let slots = app.settings.upload_slots.clone();
        let held = slots
            .clone()
            .acquire_many_owned(slots.available_permits() as u32)
            .await
            .unwrap();
        let (status, body) = upload(&app, &bank, "busy.xml", b"<x/>".to_vec()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"]["code"], "busy");
        assert!(
            app.store.quarantined().await.unwrap().is_empty(),
            "nothing kept"
        );
        drop(held);
        let (status, body) = upload(&app, &bank, "garbage.xml", b"garbage".to_vec()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let kept = &app.store.quarantined().await.unwrap()[0].stored_path;
            let mode = std::fs::metadata(kept).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{kept}");
        }
    }
);

both_backends!(
    an_upload_found_too_large_while_streaming_is_cut_off_and_quarantined_with_the_reason,
    |db: TestDb| async move {
        // A small limit, and a body sent in chunks (no Content-Length announces its size).
        let app = WebApp::spawn_adjusted(&db, None, None, |options| {
            let mut cycle = (**options.cycle.as_ref().unwrap()).clone();
            cycle.max_report_bytes = 1_000;
            options.cycle = Some(std::sync::Arc::new(cycle));
        })
        .await;
        let bank = token(&app, "bank").await;
        let chunk = format!("<Document>{}</Document>", "A".repeat(700));
        let mut request = format!(
            "POST /api/v1/bank/reports?name=huge.xml HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {bank}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            app.url("").trim_start_matches("http://")
        );
        for _ in 0..5 {
            request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
        }
        request.push_str("0\r\n\r\n");
        let address = app.url("").trim_start_matches("http://").to_owned();
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("kept in quarantine"), "{answer}");

        let kept = app.store.quarantined().await.unwrap();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(
            kept[0].error.contains("max_report_bytes"),
            "{}",
            kept[0].error
        );
        let bytes = std::fs::read(&kept[0].stored_path).unwrap();
        assert_eq!(bytes.len(), 1_000, "the first max_report_bytes are kept");
        assert!(
            app.store.reports().await.unwrap().is_empty(),
            "nothing imported"
        );
    }
);
