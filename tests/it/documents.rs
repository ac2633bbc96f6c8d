//! Receipts as PDF (issue 16, item 5), on both databases: `tahsil receipts pdf NUMBER --out
//! FILE` writes a PDF whose text (`pdftotext`, poppler-utils) gives back the employer's
//! Arabic name in logical order, its French name, the affiliation number and the amounts,
//! with every font embedded (`pdffonts`) and the account number nowhere in clear; a
//! rendering (`pdftoppm`) is kept under `target/tmp/documents/` to look at. The portal
//! serves it to the employer alone, the console to staff, and nothing for a debit not
//! settled.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use reqwest::StatusCode;
use tahsil::store::Role;

use crate::both_backends;
use crate::harness::fixtures::{add_user, one_cycle};
use crate::harness::{TestDb, WebApp, skip, test_key_base64};

fn tahsil(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .arg("--database-url")
        .arg(&db.url)
        .args(args)
        .env_remove("TAHSIL_DATABASE_URL")
        .env("TAHSIL_ENCRYPTION_KEY", test_key_base64())
        .env_remove("TAHSIL_CLOCK")
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

/// The PDF's text as `pdftotext` reads it, with no-break spaces as plain ones.
fn pdf_text(pdf: &Path) -> Option<String> {
    let output = poppler("pdftotext")?.arg(pdf).arg("-").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    Some(
        String::from_utf8(output.stdout)
            .unwrap()
            .replace('\u{a0}', " "),
    )
}

/// Where the tests keep what a person may want to look at.
fn artefacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("documents");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

both_backends!(
    a_receipt_pdf_reads_back_in_arabic_and_french,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let cycle = one_cycle(&app).await;
        let receipt = app.store.receipt(cycle.a, cycle.a_settled).await.unwrap();
        let out_dir = tempfile::tempdir().unwrap();
        let out = out_dir.path().join("receipt.pdf");

        let output = tahsil(
            &db,
            &[
                "receipts",
                "pdf",
                &receipt.number,
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(output.status.success(), "{output:?}");
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(
            said.contains(&receipt.number) && said.contains("16000001"),
            "{said}"
        );
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the receipt names the employer: private");
        }

        // An unknown number: exit 1, said in words, nothing written.
        let missing = out_dir.path().join("missing.pdf");
        let output = tahsil(
            &db,
            &[
                "receipts",
                "pdf",
                "RC-2026-99999999",
                "--out",
                missing.to_str().unwrap(),
            ],
        );
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("no receipt is numbered"),
            "{output:?}"
        );
        assert!(!missing.exists());

        let Some(text) = pdf_text(&out) else { return };
        let collection = &receipt.collection;
        let amount = |a| tahsil::locale::digits(a).replace('\u{a0}', " ");
        let mut expected = vec![
            // The Arabic name in logical order (as typed), the French one, the numbers.
            "شركة البناء الجنوبية".to_owned(),
            "SARL Bâtiment du Sud".to_owned(),
            "16000001".to_owned(),
            receipt.number.clone(),
            format!("{} DA", amount(collection.amount)),
            "وصل رقم".to_owned(),
            "Reçu n°".to_owned(),
            "المجموع".to_owned(),
            "0486".to_owned(),
        ];
        assert_eq!(collection.worksites.len(), 2);
        for w in &collection.worksites {
            expected.push(amount(w.amount));
            expected.push(format!("{} — {}", w.worksite_code, w.worksite_name));
        }
        for expected in expected {
            assert!(
                text.contains(&expected),
                "{expected:?} missing from:\n{text}"
            );
        }
        assert!(
            !text.contains("4010010504"),
            "the account number in clear:\n{text}"
        );

        // Every font embedded (and subset), none left to the reader's machine.
        let fonts = poppler("pdffonts").map(|mut c| c.arg(&out).output().unwrap());
        if let Some(fonts) = fonts {
            let listing = String::from_utf8_lossy(&fonts.stdout).into_owned();
            let rows: Vec<&str> = listing.lines().skip(2).collect();
            assert!(!rows.is_empty(), "{listing}");
            for row in rows {
                let columns: Vec<&str> = row.split_whitespace().collect();
                let n = columns.len();
                assert!(n >= 5, "{listing}");
                assert_eq!(
                    &columns[n - 5..n - 2],
                    ["yes", "yes", "yes"],
                    "emb sub uni: {listing}"
                );
            }
        }

        // A rendering kept to look at.
        if let Some(mut pdftoppm) = poppler("pdftoppm") {
            let prefix = artefacts().join(format!("receipt-{}", db.backend));
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
    }
);

both_backends!(
    the_portal_gives_an_employer_its_own_receipt_pdf_and_staff_any,
    |db: TestDb| async move {
        let app = WebApp::spawn(&db).await;
        let cycle = one_cycle(&app).await;
        let (a, b) = (cycle.a, cycle.b);
        add_user(&app.store, "a@a.dz", Role::Employer, &["16000001"]).await;
        add_user(&app.store, "b@b.dz", Role::Employer, &["16000002"]).await;
        add_user(&app.store, "finance@fund.dz", Role::Finance, &[]).await;
        let user_a = app.signed_in("a@a.dz").await;
        let user_b = app.signed_in("b@b.dz").await;
        let finance = app.signed_in("finance@fund.dz").await;
        let fetch = |client: &reqwest::Client, path: String| {
            let request = client.get(app.url(&path));
            async move {
                let response = request.send().await.unwrap();
                let status = response.status();
                let headers = response.headers().clone();
                (status, headers, response.bytes().await.unwrap())
            }
        };

        // The receipt page and the history link to the PDF.
        let pdf_path = format!("/portal/{a}/receipts/{}/pdf", cycle.a_settled);
        let (_, page) = user_a
            .get(&format!("/portal/{a}/receipts/{}", cycle.a_settled))
            .await;
        assert!(page.contains(&format!("href=\"{pdf_path}\"")), "{page}");
        let (_, page) = user_a.get(&format!("/portal/{a}/history")).await;
        assert!(page.contains(&format!("href=\"{pdf_path}\"")), "{page}");

        let (status, headers, body) = fetch(&user_a.client, pdf_path.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/pdf");
        let number = app.store.receipt(a, cycle.a_settled).await.unwrap().number;
        assert_eq!(
            headers["content-disposition"],
            format!("attachment; filename=\"{number}.pdf\"").as_str()
        );
        assert_eq!(headers["cache-control"], "no-store");
        assert!(body.starts_with(b"%PDF-"));

        // Nobody else's, and none for a debit not settled.
        for (who, path) in [
            (&user_b, pdf_path.clone()),
            (
                &user_b,
                format!("/portal/{b}/receipts/{}/pdf", cycle.a_settled),
            ),
            (
                &user_b,
                format!("/portal/{b}/receipts/{}/pdf", cycle.b_rejected),
            ),
            (
                &user_a,
                format!("/portal/{a}/receipts/{}/pdf", cycle.b_rejected),
            ),
        ] {
            let (status, headers, body) = fetch(&who.client, path.clone()).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert_ne!(headers["content-type"], "application/pdf", "{path}");
            assert!(!body.starts_with(b"%PDF-"), "{path}");
        }

        // Staff: from the debit's page, any employer's settled debit; not a rejected one.
        let (_, page) = finance
            .get(&format!("/console/debits/{}", cycle.a_settled))
            .await;
        let console_path = format!("/console/debits/{}/receipt.pdf", cycle.a_settled);
        assert!(page.contains(&format!("href=\"{console_path}\"")), "{page}");
        let (_, page) = finance
            .get(&format!("/console/debits/{}", cycle.b_rejected))
            .await;
        assert!(!page.contains("receipt.pdf"), "{page}");
        let (status, headers, body) = fetch(&finance.client, console_path.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/pdf");
        assert!(body.starts_with(b"%PDF-"));
        let (status, _, _) = fetch(
            &finance.client,
            format!("/console/debits/{}/receipt.pdf", cycle.b_rejected),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // An employer is not staff.
        let (status, _, body) = fetch(&user_a.client, console_path).await;
        assert_ne!(status, StatusCode::OK);
        assert!(!body.starts_with(b"%PDF-"));
    }
);
