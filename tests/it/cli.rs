//! The command line, run as a user would run it.

use std::process::{Command, Output};

use crate::harness::TestDb;

fn tahsil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .args(args)
        .env_remove("TAHSIL_DATABASE_URL")
        .env_remove("TAHSIL_ENCRYPTION_KEY")
        .env_remove("TAHSIL_CLOCK")
        .output()
        .expect("run tahsil")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn accounts_check_names_the_bank_of_a_valid_rib() {
    let output = tahsil(&["accounts", "check", "004 00174 4010010504 86"]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    assert!(text.contains("valid bank account (RIB)"), "{text}");
    assert!(text.contains("004") && text.contains("CPA"), "{text}");
    assert!(text.contains("00400174401001050486"), "{text}");
}

#[test]
fn accounts_check_turns_a_ccp_into_its_rip() {
    for (input, rip) in [
        ("200 12", "00799999000000020091"),
        ("200/12", "00799999000000020091"),
        ("23115007 32", "00799999002311500797"),
        ("00799999002311500797", "00799999002311500797"),
    ] {
        let output = tahsil(&["accounts", "check", input]);
        assert!(output.status.success(), "{input}: {output:?}");
        let text = stdout(&output);
        assert!(text.contains("postal account (RIP)"), "{input}: {text}");
        assert!(text.contains(rip), "{input}: {text}");
        assert!(text.contains("Algérie Poste"), "{input}: {text}");
    }
}

#[test]
fn accounts_check_explains_a_wrong_key_in_one_line_and_exits_1() {
    let output = tahsil(&["accounts", "check", "004 00174 4010010504 31"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("invalid:") && text.contains("key"),
        "{text}"
    );
    assert!(
        !text.contains("86"),
        "must not suggest the right key: {text}"
    );

    let output = tahsil(&["accounts", "check", "200 13"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("clé"), "{output:?}");

    let output = tahsil(&["accounts", "check", "0040017440100105048"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("19"), "{output:?}");
}

#[test]
fn accounts_check_refuses_an_unknown_bank_code() {
    let output = tahsil(&["accounts", "check", "099 00174 4010010504 86"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("099"), "{output:?}");
}

#[tokio::test]
async fn migrate_creates_the_embedded_database_and_its_key() {
    let db = TestDb::sqlite().await;
    let output = tahsil(&["--database-url", &db.url, "migrate"]);
    assert!(output.status.success(), "{output:?}");
    let path = tahsil::store::sqlite_path(&db.url).unwrap();
    assert!(path.exists());
    let mut key = path.clone().into_os_string();
    key.push(".key");
    let key = std::path::PathBuf::from(key);
    assert!(
        key.exists(),
        "a local key file is generated for the embedded default"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the key file is private to its owner");
    }
    // Running it again changes nothing and succeeds.
    assert!(
        tahsil(&["--database-url", &db.url, "migrate"])
            .status
            .success()
    );
}

#[test]
fn postgres_without_an_encryption_key_fails_fast_with_advice() {
    let output = tahsil(&[
        "--database-url",
        "postgres://postgres@127.0.0.1:1/none",
        "migrate",
    ]);
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(text.trim().lines().count(), 1, "{text}");
    assert!(text.contains("TAHSIL_ENCRYPTION_KEY"), "{text}");
}

#[test]
fn a_bad_configuration_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tahsil.toml");
    std::fs::write(&file, "listen = \"everywhere\"\n").unwrap();
    let output = tahsil(&["--config", file.to_str().unwrap(), "migrate"]);
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("tahsil.toml") && text.contains("listen"),
        "{text}"
    );
    assert!(
        !text.contains("panicked") && !text.contains("backtrace"),
        "{text}"
    );
}

#[tokio::test]
async fn serve_migrates_then_answers_health_checks_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let db = TestDb::sqlite().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .args([
            "--database-url",
            &db.url,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--insecure-open-admin-api-on-loopback",
        ])
        .env_remove("TAHSIL_ADMIN_TOKEN")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start serve");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    let health = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    // No admin token: only the development flag opens the admin API, to loopback.
    let employers = reqwest::get(format!("{url}/api/v1/employers"))
        .await
        .unwrap();
    assert_eq!(employers.text().await.unwrap(), "[]");
    let forwarded = reqwest::Client::new()
        .get(format!("{url}/api/v1/employers"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(forwarded.status(), reqwest::StatusCode::UNAUTHORIZED);
    Command::new("kill")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}

#[test]
fn serve_refuses_the_open_admin_api_flag_on_a_public_address() {
    let output = Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .args([
            "--database-url",
            "sqlite::memory:",
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--insecure-open-admin-api-on-loopback",
        ])
        .env_remove("TAHSIL_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("insecure_open_admin_api_on_loopback") && text.contains("TAHSIL_ADMIN_TOKEN"),
        "{text}"
    );
}

#[test]
fn serve_refuses_an_admin_token_shorter_than_32_characters() {
    let run = |token: &str| {
        Command::new(env!("CARGO_BIN_EXE_tahsil"))
            .args([
                "--database-url",
                "sqlite::memory:",
                "serve",
                "--listen",
                "127.0.0.1:0",
            ])
            .env("TAHSIL_ADMIN_TOKEN", token)
            .output()
            .unwrap()
    };
    let output = run("admin-test-token-of-31-characte");
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("TAHSIL_ADMIN_TOKEN")
            && text.contains("has 31 characters")
            && text.contains("at least 32")
            && text.contains("openssl rand"),
        "says what is wrong and what to do: {text}"
    );
    assert!(
        !text.contains("admin-test-token"),
        "never the token: {text}"
    );
}

#[tokio::test]
async fn seed_generates_employers_ready_to_collect_and_refuses_to_seed_twice() {
    let db = TestDb::sqlite().await;
    let output = tahsil(&[
        "--database-url",
        &db.url,
        "seed",
        "--employers",
        "30",
        "--worksites",
        "2",
    ]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    assert!(
        text.starts_with("seeded 30 employers with 60 worksites"),
        "{text}"
    );

    let store = db.store().await;
    let employers = store.list_employers(0, 100).await.unwrap();
    assert_eq!(employers.len(), 30);
    let mandates = store.list_mandates(employers[0].id).await.unwrap();
    assert_eq!(mandates.len(), 1);
    assert_eq!(mandates[0].status.as_str(), "active");
    let declarations = store.list_declarations(employers[0].id).await.unwrap();
    assert_eq!(declarations.len(), 1);
    assert_eq!(declarations[0].lines.len(), 2);
    // The seeded employers are collectible: planning picks every one of them.
    let date = chrono::NaiveDate::from_ymd_opt(2030, 1, 15).unwrap();
    let noticed = chrono::NaiveDate::from_ymd_opt(2030, 1, 2).unwrap();
    let plan = store
        .plan_collections(&tahsil::store::Actor::new("test"), date, noticed)
        .await
        .unwrap();
    assert_eq!((plan.planned, plan.lines), (30, 60), "{plan:?}");
    store.close().await;

    let again = tahsil(&["--database-url", &db.url, "seed", "--employers", "5"]);
    assert!(!again.status.success());
    let error = String::from_utf8_lossy(&again.stderr);
    assert!(error.contains("fresh database"), "{error}");
}

/// `tahsil` as in a trial: the clock starts at `clock` (`TAHSIL_CLOCK`), the exchange
/// folders are `exchange`.
fn tahsil_at(clock: &str, exchange: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .args(args)
        .env_remove("TAHSIL_DATABASE_URL")
        .env_remove("TAHSIL_ENCRYPTION_KEY")
        .env("TAHSIL_CLOCK", clock)
        .env("TAHSIL_EXCHANGE_DIR", exchange)
        .output()
        .expect("run tahsil")
}

#[tokio::test]
async fn run_without_a_date_plans_and_runs_the_next_date_with_work_after_seed() {
    let db = TestDb::sqlite().await;
    let exchange = tempfile::tempdir().unwrap();
    // 2 December 2026: the next due date the notice allows is the 15th.
    let at = "2026-12-02T09:00:00+01:00";
    let run = || tahsil_at(at, exchange.path(), &["--database-url", &db.url, "run"]);

    let nothing = run();
    assert!(nothing.status.success(), "{nothing:?}");
    assert!(
        stdout(&nothing).starts_with("nothing to run"),
        "{nothing:?}"
    );

    // `seed` declares the month before the clock's (November).
    let seeded = tahsil_at(
        at,
        exchange.path(),
        &["--database-url", &db.url, "seed", "--employers", "30"],
    );
    assert!(seeded.status.success(), "{seeded:?}");
    let ran = run();
    assert!(ran.status.success(), "{ran:?}");
    let text = stdout(&ran);
    assert!(
        text.contains("next collection date with work: 15/12/2026 (30 employers to debit"),
        "{text}"
    );
    assert!(
        text.contains("planned 30 collections for 15/12/2026"),
        "{text}"
    );
    let stderr = String::from_utf8_lossy(&ran.stderr);
    assert!(stderr.contains("the clock is simulated"), "{stderr}");
    let written: usize = ["bank", "poste"]
        .iter()
        .map(|institution| {
            std::fs::read_dir(exchange.path().join(institution).join("outbox"))
                .map(|dir| dir.count())
                .unwrap_or(0)
        })
        .sum();
    assert!(written >= 2, "a file per channel in the outboxes: {text}");
    let store = db.store().await;
    let submitted: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM collections WHERE collection_date = '2026-12-15' \
         AND status = 'submitted' AND noticed_on = '2026-12-02'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(submitted, 30, "noticed on the clock's day, filed");
    store.close().await;

    // Everything is filed: nothing left to run.
    let again = run();
    assert!(again.status.success(), "{again:?}");
    assert!(stdout(&again).starts_with("nothing to run"), "{again:?}");
}

#[test]
fn serve_refuses_a_clock_that_is_not_an_instant_and_shows_one() {
    let output = tahsil(&[
        "--database-url",
        "sqlite::memory:",
        "serve",
        "--clock",
        "2026-12-10 08:00",
    ]);
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("--clock") && text.contains("2026-12-10T08:00:00+01:00"),
        "{text}"
    );
}

/// The demo leaves its own configuration beside its database (private), and every command it
/// suggests runs from any folder on the demo's database and exchange folders: `serve` finds
/// the files the demo wrote without an undocumented environment variable.
#[test]
fn the_demo_writes_a_configuration_that_finds_its_database_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    let demo = || {
        let output = Command::new(env!("CARGO_BIN_EXE_tahsil"))
            .args(["demo", "--employers", "6", "--dir"])
            .arg(dir.path())
            .env_remove("TAHSIL_DATABASE_URL")
            .env_remove("TAHSIL_ENCRYPTION_KEY")
            .env_remove("TAHSIL_MAIL_DIR")
            .env_remove("TAHSIL_SMTP_URL")
            .env_remove("TAHSIL_EXCHANGE_DIR")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        stdout(&output)
    };
    let first = demo();
    assert!(first.contains("report #1 applied"), "{first}");
    // A second demo in the same folder starts afresh, its files answered like the first's.
    let summary = demo();
    assert!(summary.contains("report #1 applied"), "{summary}");
    let file = dir.path().join("tahsil.toml");
    let absolute = std::path::absolute(&file).unwrap();
    assert!(
        summary.contains(&format!("--config {} serve", absolute.display()))
            || summary.contains(&format!("--config {} serve", file.display())),
        "{summary}"
    );
    assert!(!summary.contains("TAHSIL_EXCHANGE_DIR"), "{summary}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("exchange_dir"), "{text}");
    // The demo's clock ends on the collection date the bank answered on, and its
    // configuration keeps it: nothing is paid after the demo fund's today.
    let instant = text
        .lines()
        .find_map(|line| line.strip_prefix("clock = "))
        .unwrap_or_else(|| panic!("a clock in {text}"))
        .trim_matches('"');
    let today = chrono::DateTime::parse_from_rfc3339(instant)
        .unwrap()
        .date_naive();
    let collected = summary
        .lines()
        .find_map(|line| line.trim().strip_prefix("outcome on "))
        .unwrap_or_else(|| panic!("an outcome in {summary}"))
        .trim_end_matches(':');
    let collected = chrono::NaiveDate::parse_from_str(collected, "%d/%m/%Y").unwrap();
    assert!(
        collected <= today,
        "paid on {collected}, the demo's today {today}"
    );
    assert!(
        summary.contains(&format!(
            "the demo fund's today is {}",
            today.format("%d/%m/%Y")
        )),
        "{summary}"
    );
    // From another folder, the configuration alone reaches the demo's fund: its six
    // employers' ledgers are checked (an empty database would check none).
    let elsewhere = tempfile::tempdir().unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_tahsil"))
        .arg("--config")
        .arg(&absolute)
        .args(["ledger", "check"])
        .current_dir(elsewhere.path())
        .env_remove("TAHSIL_DATABASE_URL")
        .env_remove("TAHSIL_ENCRYPTION_KEY")
        .env_remove("TAHSIL_EXCHANGE_DIR")
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    let checked = stdout(&check);
    assert!(checked.contains("6 employer"), "{checked}");
    assert!(
        std::fs::read_dir(elsewhere.path())
            .unwrap()
            .next()
            .is_none(),
        "nothing written into the current folder"
    );
}

/// A mistyped SQLite path is refused by every command that reads the fund, saying what to
/// do, and creates nothing; `migrate` creates the database.
#[test]
fn a_missing_sqlite_database_is_refused_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    let url = format!("sqlite://{}", path.display());
    for args in [
        vec!["exceptions"],
        vec!["ledger", "check"],
        vec!["run", "--date", "2026-12-15"],
    ] {
        let mut all = vec!["--database-url", &url];
        all.extend(args.iter().copied());
        let output = tahsil(&all);
        assert!(!output.status.success(), "{args:?}: {output:?}");
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(
            err.contains("there is no database at") && err.contains("tahsil migrate"),
            "{args:?}: {err}"
        );
        assert!(!path.exists(), "{args:?} created {}", path.display());
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_none(),
            "{args:?} left a file (a key?) beside the missing database"
        );
    }
    let migrated = tahsil(&["--database-url", &url, "migrate"]);
    assert!(migrated.status.success(), "{migrated:?}");
    assert!(path.exists());
    let listed = tahsil(&["--database-url", &url, "exceptions"]);
    assert!(listed.status.success(), "{listed:?}");
}

/// A deployment upgraded with an ISO `bank_format` and no `bank_profile` is told at start
/// that its files no longer carry SEPA's codes, and how to keep them; naming the profile
/// silences it.
#[test]
fn serve_warns_when_a_bank_format_is_set_without_a_profile() {
    use std::io::{BufRead, BufReader, Read};
    let started = |profile: Option<&str>| {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let mut command = Command::new(env!("CARGO_BIN_EXE_tahsil"));
        command
            .args(["--database-url", &url, "serve", "--listen", "127.0.0.1:0"])
            .env_remove("TAHSIL_ENCRYPTION_KEY")
            .env_remove("TAHSIL_BANK_PROFILE")
            .env("TAHSIL_BANK_FORMAT", "pain.008.001.02")
            .env("TAHSIL_EXCHANGE_DIR", dir.path().join("exchange"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(profile) = profile {
            command.env("TAHSIL_BANK_PROFILE", profile);
        }
        let mut child = command.spawn().expect("start serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("http://"), "{line:?}");
        Command::new("kill")
            .arg(child.id().to_string())
            .status()
            .unwrap();
        let mut log = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        child.wait().unwrap();
        log
    };
    let log = started(None);
    assert!(
        log.contains("bank_format is set without bank_profile") && log.contains("sepa"),
        "{log}"
    );
    let log = started(Some("sepa"));
    assert!(!log.contains("without bank_profile"), "{log}");
}
