//! Certificates of being up to date (issue 16, item 4), on both databases:
//! `tahsil attestation issue --employer AFF --out FILE` refuses an employer that owes
//! contributions fallen due (exit 1, the reason, nothing written) and writes the PDF of one
//! that owes nothing (0600), whose text (`pdftotext`) gives back the Arabic name in
//! logical order, the number, the dates, the verification code and address; a rendering is
//! kept under `target/tmp/documents/`. The public `/verify/CODE` answers valid, revoked
//! (staff, with a reason, audited), expired (the clock driven past the last valid day) and
//! unknown (nothing else said), and stops answering an address that tries too many codes.
//! The portal issues to the employer's own users alone, and refuses an employer in arrears.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;
use tahsil::clock::Clock;
use tahsil::store::{
    Actor, AttestationPolicy, Issuance, MAX_UNKNOWN_VERIFICATIONS_PER_ADDRESS, Role,
};

use crate::both_backends;
use crate::harness::fixtures::{add_user, one_cycle};
use crate::harness::{TestDb, WebApp, skip, test_key_base64};

/// The day the tests believe it is: the day after `one_cycle`'s settlement (A has paid
/// everything fallen due; B's debit was rejected).
const NOW: &str = "2026-12-16T10:00:00+01:00";

fn clock() -> Clock {
    Clock::fixed(Utc.with_ymd_and_hms(2026, 12, 16, 9, 0, 0).unwrap())
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn tahsil(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .arg("--database-url")
        .arg(&db.url)
        .args(args)
        .env_remove("TAHSIL_DATABASE_URL")
        .env("TAHSIL_ENCRYPTION_KEY", test_key_base64())
        .env("TAHSIL_CLOCK", NOW)
        .env("TAHSIL_PORTAL_URL", "https://portail.example.dz/")
        .output()
        .expect("run tahsil")
}

/// A poppler tool, or `None` (skipped with its reason; a failure under CI=true).
fn poppler(tool: &str) -> Option<Command> {
    match Command::new(tool).arg("-v").output() {
        Ok(_) => Some(Command::new(tool)),
        Err(_) => {
            skip(&format!(
                "{tool} is not installed (Debian: apt-get install poppler-utils); the PDF's text and rendering are not checked"
            ));
            None
        }
    }
}

fn artefacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("documents");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

both_backends!(
    the_cli_issues_a_certificate_pdf_only_to_an_employer_up_to_date,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, clock()).await;
        let cycle = one_cycle(&app).await;
        let today = app.store.clock().today();
        assert!(
            app.store
                .employer_balance(cycle.a, Some(today))
                .await
                .unwrap()
                .total
                <= mandates::Amount::ZERO
        );
        let owed_b = app
            .store
            .employer_balance(cycle.b, Some(today))
            .await
            .unwrap()
            .total;
        assert!(owed_b > mandates::Amount::ZERO);
        let dir = tempfile::tempdir().unwrap();

        // B's debit was rejected: it owes, no certificate, nothing written.
        let refused = dir.path().join("b.pdf");
        let output = tahsil(
            &db,
            &[
                "attestation",
                "issue",
                "--employer",
                "16000002",
                "--out",
                refused.to_str().unwrap(),
            ],
        );
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        let said = String::from_utf8_lossy(&output.stdout).replace(['\u{a0}', '\u{202f}'], " ");
        assert!(
            said.contains("not up to date")
                && said.contains(&tahsil::locale::digits(owed_b).replace('\u{a0}', " ")),
            "{said}"
        );
        assert!(!refused.exists());
        assert!(
            app.store
                .employer_attestations(cycle.b)
                .await
                .unwrap()
                .is_empty()
        );

        // An unknown affiliation number: exit 1, said.
        let output = tahsil(
            &db,
            &[
                "attestation",
                "issue",
                "--employer",
                "99999999",
                "--out",
                refused.to_str().unwrap(),
            ],
        );
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert!(String::from_utf8_lossy(&output.stdout).contains("no employer"));

        // A paid everything fallen due.
        let out = dir.path().join("a.pdf");
        let output = tahsil(
            &db,
            &[
                "attestation",
                "issue",
                "--employer",
                "16000001",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(output.status.success(), "{output:?}");
        let issued = app.store.employer_attestations(cycle.a).await.unwrap();
        assert_eq!(issued.len(), 1);
        let a = &issued[0];
        assert_eq!(a.number, format!("AT-2026-{:08}", a.id));
        assert_eq!(
            (a.issued_on.as_str(), a.valid_until.as_str()),
            ("2026-12-16", "2027-03-16")
        );
        assert_eq!(a.code.len(), 24);
        let url = format!("https://portail.example.dz/verify/{}", a.code);
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(said.contains(&a.number) && said.contains(&url), "{said}");
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the certificate names the employer: private");
        }
        let audit = app.store.employer_audit(cycle.a, 50).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "attestation.issued" && e.actor == "cli"),
            "{audit:?}"
        );

        let Some(mut pdftotext) = poppler("pdftotext") else {
            return;
        };
        let text = pdftotext.arg(&out).arg("-").output().unwrap();
        let text = String::from_utf8(text.stdout)
            .unwrap()
            .replace('\u{a0}', " ");
        let grouped: Vec<String> = a
            .code
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        for expected in [
            "شركة البناء الجنوبية",
            "SARL Bâtiment du Sud",
            "16000001",
            a.number.as_str(),
            "Attestation de mise à jour des cotisations",
            "رمز التحقق",
            "صالحة إلى غاية",
            "16/12/2026",
            "16/03/2027",
            &grouped.join("-"),
            &url,
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
        if let Some(mut pdftoppm) = poppler("pdftoppm") {
            let prefix = artefacts().join(format!("attestation-{}", db.backend));
            let output = pdftoppm
                .args(["-png", "-r", "110", "-singlefile"])
                .arg(&out)
                .arg(&prefix)
                .output()
                .unwrap();
            assert!(output.status.success(), "{output:?}");
            let png = prefix.with_extension("png");
            assert!(std::fs::metadata(&png).unwrap().len() > 10_000, "{png:?}");
        }
        // The QR code, decoded from a rendering of the page, points to /verify/CODE.
        if let Some(decoded) = qr_of(&out, &format!("attestation-qr-{}", db.backend)) {
            assert_eq!(decoded, [url], "the QR code says where to verify");
        }
    }
);

/// The QR codes of a PDF's first page: rendered to PNG (`pdftoppm`, 200 dpi, kept beside
/// the other artefacts as `NAME.png`) and decoded (`zbarimg`, Debian `zbar-tools`), one
/// string per code found. `None` when a tool is absent (skipped; a failure under CI=true).
fn qr_of(pdf: &Path, name: &str) -> Option<Vec<String>> {
    if Command::new("zbarimg").arg("--version").output().is_err() {
        skip(
            "zbarimg is not installed (Debian: apt-get install zbar-tools); the certificate's QR code is not decoded",
        );
        return None;
    }
    let mut pdftoppm = poppler("pdftoppm")?;
    let prefix = artefacts().join(name);
    let output = pdftoppm
        .args(["-png", "-r", "200", "-singlefile", "-f", "1", "-l", "1"])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let png = prefix.with_extension("png");
    let output = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "zbarimg found no QR code in {png:?}: {output:?}"
    );
    Some(
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .filter(|l| !l.is_empty())
            .collect(),
    )
}

both_backends!(
    verify_says_valid_revoked_expired_or_only_unknown,
    |db: TestDb| async move {
        let clock = clock();
        let app = WebApp::spawn_with_clock(&db, clock.clone()).await;
        let cycle = one_cycle(&app).await;
        let policy = AttestationPolicy { validity_months: 3 };
        let issue = || async {
            match app
                .store
                .issue_attestation(&Actor::new("test"), cycle.a, policy)
                .await
                .unwrap()
            {
                Issuance::Issued(a) => *a,
                other => panic!("{other:?}"),
            }
        };
        let first = issue().await;
        let second = issue().await;
        assert_ne!(first.code, second.code);
        assert_ne!(first.number, second.number);
        let anonymous = app.browser();
        let verify = |code: String| {
            let request = anonymous.get(app.url(&format!("/verify/{code}")));
            async move {
                let response = request.send().await.unwrap();
                (response.status(), response.text().await.unwrap())
            }
        };

        // Valid: the state, the employer's names and affiliation number, the last day.
        let (status, page) = verify(first.code.clone()).await;
        assert_eq!(status, StatusCode::OK);
        for expected in [
            "verdict-valid",
            "16000001",
            "SARL Bâtiment du Sud",
            "16/03/2027",
        ] {
            assert!(page.contains(expected), "{expected} missing: {page}");
        }
        let employer = app.store.employer(cycle.a).await.unwrap();
        assert!(!page.contains(&employer.email), "{page}");
        assert!(
            !page.contains("0486") && !page.contains("150 000"),
            "{page}"
        );
        // As read out from the paper: lower case, in groups.
        let typed = first
            .code
            .to_lowercase()
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect::<Vec<_>>()
            .join("-");
        assert!(verify(typed).await.1.contains("verdict-valid"));

        // Revoked by staff, with a reason (none: refused), audited.
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let finance = app.signed_in("finance@fund.dz").await;
        let (status, page) = finance
            .get(&format!("/console/employers/{}/attestations", cycle.a))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&first.number) && page.contains(&second.number),
            "{page}"
        );
        let revoke = format!("/console/attestations/{}/revoke", first.id);
        let (status, page, _) = finance.post(&revoke, &[("reason", "  ")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(verify(first.code.clone()).await.1.contains("verdict-valid"));
        let (status, _, location) = finance
            .post(&revoke, &[("reason", "Chèque impayé après délivrance")])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            location.as_deref(),
            Some(format!("/console/employers/{}/attestations?done=revoked", cycle.a).as_str())
        );
        let (status, page) = verify(first.code.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("verdict-revoked"), "{page}");
        assert!(
            !page.contains("Chèque impayé"),
            "the reason is the fund's: {page}"
        );
        let (status, _, _) = finance.post(&revoke, &[("reason", "again")]).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let audit = app.store.employer_audit(cycle.a, 50).await.unwrap();
        let revoked: Vec<_> = audit
            .iter()
            .filter(|e| e.action == "attestation.revoked")
            .collect();
        assert_eq!(revoked.len(), 1, "{audit:?}");
        assert!(revoked[0].detail.contains("Chèque impayé"), "{revoked:?}");
        assert!(revoked[0].actor.starts_with("user:"), "{revoked:?}");

        // The second one is valid through its last day, expired the day after.
        clock.advance(Duration::days(90));
        assert_eq!(app.store.clock().today().to_string(), "2027-03-16");
        assert!(
            verify(second.code.clone())
                .await
                .1
                .contains("verdict-valid")
        );
        clock.advance(Duration::days(1));
        let (status, page) = verify(second.code.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("verdict-expired") && page.contains("16000001"),
            "{page}"
        );

        // Unknown: "unknown" and nothing else.
        for code in ["0000000000000000000000000".to_owned(), "x".to_owned()] {
            let (status, page) = verify(code).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert!(page.contains("verdict-unknown"), "{page}");
            assert!(
                !page.contains("16000001") && !page.contains("id=\"certificate\""),
                "{page}"
            );
        }

        // Trying codes in bulk from one address stops being answered, even a good code.
        for _ in 0..MAX_UNKNOWN_VERIFICATIONS_PER_ADDRESS {
            verify("ZZZZZZZZZZZZZZZZZZZZZZZZ".to_owned()).await;
        }
        let (status, page) = verify(second.code.clone()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(!page.contains("16000001"), "{page}");
    }
);

both_backends!(
    the_portal_gives_a_certificate_to_an_employer_up_to_date_and_its_own_users_alone,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, clock()).await;
        let cycle = one_cycle(&app).await;
        let (a, b) = (cycle.a, cycle.b);
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        add_user(&app.store, "b@b.dz", Role::Employer, &["16000002"]).await;
        let user_a = app.signed_in("a@a.dz").await;
        let user_b = app.signed_in("b@b.dz").await;

        // B owes: refused, with the amount, nothing issued.
        let (status, page, _) = user_b.post(&format!("/portal/{b}/attestations"), &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(page.contains("id=\"error\""), "{page}");
        assert!(app.store.employer_attestations(b).await.unwrap().is_empty());
        // Nor may B ask for A.
        let (status, _, _) = user_b.post(&format!("/portal/{a}/attestations"), &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(app.store.employer_attestations(a).await.unwrap().is_empty());

        let (status, _, location) = user_a.post(&format!("/portal/{a}/attestations"), &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = location.unwrap();
        let (status, page) = user_a.get(&location).await;
        assert_eq!(status, StatusCode::OK);
        let issued = app.store.employer_attestations(a).await.unwrap();
        assert_eq!(issued.len(), 1);
        let pdf = format!("/portal/{a}/attestations/{}/pdf", issued[0].id);
        assert!(page.contains(&format!("href=\"{pdf}\"")), "{page}");
        assert!(page.contains(&issued[0].number), "{page}");
        assert!(
            !page.contains(&issued[0].code),
            "the code is on the paper only: {page}"
        );

        let response = user_a.client.get(app.url(&pdf)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        assert!(response.bytes().await.unwrap().starts_with(b"%PDF-"));
        for path in [
            pdf.clone(),
            format!("/portal/{b}/attestations/{}/pdf", issued[0].id),
        ] {
            let response = user_b.client.get(app.url(&path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }
);

both_backends!(
    a_mandate_pdf_carries_its_evidence_and_text_to_its_employer_and_staff,
    |db: TestDb| async move {
        let app = WebApp::spawn_with_clock(&db, clock()).await;
        let cycle = one_cycle(&app).await;
        let (a, b) = (cycle.a, cycle.b);
        let mandate = app.store.list_mandates(a).await.unwrap().remove(0);
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        add_user(&app.store, "b@b.dz", Role::Employer, &["16000002"]).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let user_a = app.signed_in("a@a.dz").await;
        let user_b = app.signed_in("b@b.dz").await;
        let finance = app.signed_in("finance@fund.dz").await;

        let portal_path = format!("/portal/{a}/mandate/{}/pdf", mandate.id);
        let (_, page) = user_a.get(&format!("/portal/{a}/mandate")).await;
        assert!(page.contains(&format!("href=\"{portal_path}\"")), "{page}");
        let console_path = format!("/console/mandates/{}/pdf", mandate.id);
        let (_, page) = finance.get(&format!("/console/employers/{a}")).await;
        assert!(page.contains(&format!("href=\"{console_path}\"")), "{page}");

        let download = |client: &reqwest::Client, path: &str| {
            let request = client.get(app.url(path));
            async move {
                let response = request.send().await.unwrap();
                let status = response.status();
                (status, response.bytes().await.unwrap())
            }
        };
        let (status, portal_pdf) = download(&user_a.client, &portal_path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(portal_pdf.starts_with(b"%PDF-"));
        let (status, console_pdf) = download(&finance.client, &console_path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(portal_pdf, console_pdf, "the same document either way");
        for (who, path) in [
            (&user_b, portal_path.clone()),
            (&user_b, format!("/portal/{b}/mandate/{}/pdf", mandate.id)),
            (&user_a, console_path.clone()),
        ] {
            let (status, body) = download(&who.client, &path).await;
            assert_ne!(status, StatusCode::OK, "{path}");
            assert!(!body.starts_with(b"%PDF-"), "{path}");
        }

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("mandate.pdf");
        std::fs::write(&file, &portal_pdf).unwrap();
        let Some(mut pdftotext) = poppler("pdftotext") else {
            return;
        };
        let text = pdftotext.arg(&file).arg("-").output().unwrap();
        let text = String::from_utf8(text.stdout)
            .unwrap()
            .replace('\u{a0}', " ");
        let sha = mandate.consent_text_sha256.clone().unwrap();
        for expected in [
            mandate.reference.as_str(),
            "شركة البناء الجنوبية",
            "16000001",
            "Autorisation de prélèvement",
            "Gérant",
            "192.0.2.1",
            "2026-01-fr",
            &sha[..32],
            &sha[32..],
            "Le texte du mandat signé dans ce test.",
            mandate.account_masked.as_str(),
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
        assert!(
            !text.contains("4010010504"),
            "the account in clear:\n{text}"
        );
        if let Some(mut pdftoppm) = poppler("pdftoppm") {
            let prefix = artefacts().join(format!("mandate-{}", db.backend));
            let output = pdftoppm
                .args(["-png", "-r", "110", "-singlefile"])
                .arg(&file)
                .arg(&prefix)
                .output()
                .unwrap();
            assert!(output.status.success(), "{output:?}");
        }
    }
);

/// Every entry of a ZIP, unpacked with the system's `unzip` (or `None`, skipped).
fn unzip(zip: &Path, into: &Path) -> Option<Vec<PathBuf>> {
    let Ok(output) = Command::new("unzip")
        .arg("-q")
        .arg(zip)
        .arg("-d")
        .arg(into)
        .output()
    else {
        skip(
            "unzip is not installed (Debian: apt-get install unzip); the evidence pack is not opened",
        );
        return None;
    };
    assert!(output.status.success(), "{output:?}");
    let mut files = Vec::new();
    let mut dirs = vec![into.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Some(files)
}

both_backends!(
    an_evidence_pack_holds_one_employers_evidence_with_a_manifest_of_its_hashes,
    |db: TestDb| async move {
        use sha2::Digest;
        let app = WebApp::spawn_with_clock(&db, clock()).await;
        let cycle = one_cycle(&app).await;
        let (a, b) = (cycle.a, cycle.b);
        // Send what is queued (mandate signatures, the outcomes) to a folder.
        let mail = tempfile::tempdir().unwrap();
        let mailer = tahsil::notices::Mailer::new(
            tahsil::notices::Transport::Folder(mail.path().to_path_buf()),
            "CACOBATPH <avis@cacobatph.dz>",
            None,
        )
        .unwrap();
        tahsil::notices::deliver_all(
            &app.store,
            &mailer,
            &tahsil::notices::NoticeSettings::default(),
            "test",
            std::time::Duration::from_secs(5),
        )
        .await
        .unwrap();
        let sent_a: Vec<_> = app
            .store
            .notices_for_employer(a, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.message_id.is_some())
            .collect();
        assert!(!sent_a.is_empty());
        let sent_b: Vec<String> = app
            .store
            .notices_for_employer(b, 100)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|n| n.message_id)
            .collect();
        assert!(!sent_b.is_empty());

        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        let finance = app.signed_in("finance@fund.dz").await;
        let user_a = app.signed_in("a@a.dz").await;
        let (_, page) = finance.get(&format!("/console/employers/{a}")).await;
        let path = format!("/console/employers/{a}/evidence.zip");
        assert!(page.contains(&format!("action=\"{path}\"")), "{page}");
        // Staff only, and only by the form (its CSRF token).
        let (status, _, _) = user_a.post(&path, &[]).await;
        assert_ne!(status, StatusCode::OK);
        let response = finance
            .client
            .post(app.url(&path))
            .form(&[("csrf", "wrong")])
            .send()
            .await
            .unwrap();
        assert_ne!(response.status(), StatusCode::OK);

        let response = finance
            .client
            .post(app.url(&path))
            .form(&[("csrf", finance.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/zip");
        let bytes = response.bytes().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("pack.zip");
        std::fs::write(&zip, &bytes).unwrap();
        std::fs::copy(
            &zip,
            artefacts().join(format!("evidence-{}.zip", db.backend)),
        )
        .unwrap();
        let audit = app.store.employer_audit(a, 100).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "employer.evidence_pack" && e.actor.starts_with("user:")),
            "{audit:?}"
        );

        let root = dir.path().join("pack");
        let Some(files) = unzip(&zip, &root) else {
            return;
        };
        let name = |p: &PathBuf| {
            p.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        };
        let names: Vec<String> = files.iter().map(name).collect();
        let mandate = app.store.list_mandates(a).await.unwrap().remove(0);
        let receipt = app.store.receipt(a, cycle.a_settled).await.unwrap();
        for expected in [
            "manifest-sha256.txt".to_owned(),
            "releve-de-compte.csv".to_owned(),
            "journal-d-audit.csv".to_owned(),
            "banque/prelevements-presentes.csv".to_owned(),
            "banque/elements-des-releves.csv".to_owned(),
            format!("mandats/{}.pdf", mandate.reference),
            format!("mandats/{}-texte-signe.txt", mandate.reference),
            format!("mandats/{}-preuve-signature.txt", mandate.reference),
            format!("recus/{}.pdf", receipt.number),
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        let emls: Vec<&String> = names.iter().filter(|n| n.ends_with(".eml")).collect();
        assert_eq!(emls.len(), sent_a.len(), "{names:?}");

        // The manifest names every other file once, with its SHA-256.
        let manifest = std::fs::read_to_string(root.join("manifest-sha256.txt")).unwrap();
        let mut listed = Vec::new();
        for line in manifest.lines() {
            let (hash, file) = line.split_once("  ").unwrap();
            let bytes = std::fs::read(root.join(file)).unwrap();
            assert_eq!(hash, hex::encode(sha2::Sha256::digest(&bytes)), "{file}");
            listed.push(file.to_owned());
        }
        listed.sort();
        let mut others: Vec<String> = names
            .iter()
            .filter(|n| n.as_str() != "manifest-sha256.txt")
            .cloned()
            .collect();
        others.sort();
        assert_eq!(listed, others);

        // Every CSV reads back whole: each row with its header's fields.
        for file in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "csv"))
        {
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(b';')
                .from_path(file)
                .unwrap();
            let width = reader.headers().unwrap().len();
            let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
            assert!(rows.iter().all(|r| r.len() == width), "{}", name(file));
        }
        let audit_csv = std::fs::read_to_string(root.join("journal-d-audit.csv")).unwrap();
        let taken = audit_csv
            .lines()
            .find(|l| l.contains("employer.evidence_pack"))
            .unwrap_or_else(|| panic!("{audit_csv}"));
        assert!(taken.contains("Dossier de preuves téléchargé"), "{taken}");
        assert!(!audit_csv.contains("Z;"), "UTC moments: {audit_csv}");

        // Its own data, and nothing of B's.
        let mut every = app.store.collections_on(d(2026, 12, 15)).await.unwrap();
        every.extend(app.store.collections_on(d(2026, 12, 22)).await.unwrap());
        let collections = |e: i64| {
            every
                .iter()
                .filter(|c| c.employer_id == e)
                .cloned()
                .collect::<Vec<_>>()
        };
        let debits =
            std::fs::read_to_string(root.join("banque/prelevements-presentes.csv")).unwrap();
        assert!(!collections(a).is_empty() && !collections(b).is_empty());
        for c in collections(a) {
            assert!(debits.contains(&c.end_to_end_id), "{debits}");
        }
        let items = std::fs::read_to_string(root.join("banque/elements-des-releves.csv")).unwrap();
        assert_eq!(
            items.lines().count(),
            2,
            "the header and A's settlement: {items}"
        );
        let b_mandate = app.store.list_mandates(b).await.unwrap().remove(0);
        let mut foreign: Vec<String> = vec!["16000002".to_owned(), b_mandate.reference];
        foreign.extend(collections(b).into_iter().map(|c| c.end_to_end_id));
        foreign.extend(sent_b);
        for file in &files {
            let text = if file.extension().is_some_and(|e| e == "pdf") {
                let Some(mut pdftotext) = poppler("pdftotext") else {
                    continue;
                };
                String::from_utf8(pdftotext.arg(file).arg("-").output().unwrap().stdout).unwrap()
            } else {
                String::from_utf8(std::fs::read(file).unwrap()).unwrap()
            };
            for other in &foreign {
                assert!(!text.contains(other.as_str()), "{other} in {}", name(file));
            }
            assert!(
                !text.contains("4010010504"),
                "an account in clear in {}",
                name(file)
            );
        }
    }
);
