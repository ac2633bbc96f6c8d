//! A fund run by the real `serve` for weeks of simulated time: one or more instances on
//! one database and one clock moved by hand ([`Fund::day`]), notices delivered to a real
//! SMTP server on loopback, and the simulated bank answering each debit file on its
//! collection date by dropping its reports into the inbox the service watches
//! ([`Fund::bank_answers`]). Between moves the test waits for the service to be idle —
//! the day's pass done, its jobs worked, the inboxes emptied, its notices sent — never
//! for a blind amount of time.
//!
//! What the fund did is read back from the database, the files and the mailbox: every
//! debit in the files ([`Fund::debits`]), every e-mail received ([`Fund::emails`]); and
//! [`checks`] holds what every fund must have done, whatever its story.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use mail_parser::MessageParser;
use mandates::Amount;
use tahsil::clock::{Clock, start_of_algiers_day};
use tahsil::config::Secret;
use tahsil::cycle::CycleSettings;
use tahsil::cycle::banksim::BankSim;
use tahsil::cycle::exchange::{self, Folder};
use tahsil::store::Store;

mod checks;

pub use checks::{EndState, check_days, check_debits, check_emails, check_lines, end_state};

use super::fixtures::scalar;
use super::smtp::SmtpServer;
use super::{Browser, Served, TestDb, sign_in_at, wait_until};

/// The hour of the day (Africa/Algiers) the fund's day starts at in these tests.
const MORNING: i64 = 8;

/// A fund: its instances of `serve`, its clock, its exchange folders and mail server.
pub struct Fund {
    pub clock: Clock,
    /// A store of the test's own on the fund's database and clock.
    pub store: Store,
    pub settings: CycleSettings,
    pub smtp: SmtpServer,
    pub instances: Vec<Served>,
    pub folder: tempfile::TempDir,
}

/// One debit as written in a bank file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FiledDebit {
    pub end_to_end_id: String,
    pub collection_date: NaiveDate,
    pub amount: Amount,
    /// The file it is in.
    pub file: String,
}

/// One e-mail received by the SMTP server, tied to the notice event it was sent for by
/// its Message-ID (`<notice.ID.…@domain>`, see `Mailer::message_id`).
#[derive(Clone, Debug)]
pub struct Email {
    pub event_id: i64,
    pub to: String,
    pub date: DateTime<Utc>,
    pub text: String,
}

impl Fund {
    /// `instances` instances of `serve` on `db`, on a clock standing on `first` at
    /// [`MORNING`], delivering notices to a fresh SMTP server. `None` (after saying why)
    /// when no SMTP server can be started outside CI.
    pub async fn open(db: &TestDb, first: NaiveDate, instances: usize) -> Option<Fund> {
        let folder = tempfile::tempdir().unwrap();
        let smtp = SmtpServer::start(folder.path(), 0, None)?;
        let mut config = Served::config(db, folder.path());
        config.smtp_url = Some(Secret::new(smtp.url()));
        config.mail_dir = None;
        config.mail_from = "CACOBATPH <avis@cacobatph.dz>".to_owned();
        let settings = CycleSettings::from_config(&config).unwrap();
        let clock = Clock::fixed(morning_of(first));
        let mut served = Vec::new();
        for n in 0..instances {
            let name = format!("instance-{n}");
            served.push(Served::start(db, config.clone(), &clock, &name).await);
        }
        let store = served[0].store.clone();
        let fund = Fund {
            clock,
            store,
            settings,
            smtp,
            instances: served,
            folder,
        };
        fund.idle().await;
        Some(fund)
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// Moves the clock to the morning of `day` (a later day) and waits for the service to
    /// have done that day's pass and be idle. Waits for it to be idle first: what the test
    /// did since (a staff change that writes notices, say) is finished before time jumps.
    /// (A jump of a day expires every lock at once: a notice one instance's worker has
    /// sent but not yet marked sent would be claimed and sent again by another.)
    pub async fn day(&self, day: NaiveDate) {
        assert!(day > self.today(), "{day} is not after {}", self.today());
        self.idle().await;
        self.clock.set(morning_of(day));
        self.idle().await;
    }

    /// An hour later on the same day: one more pass of every instance (what a test just
    /// wrote or dropped in an inbox is taken up), then idle.
    pub async fn later(&self) {
        self.clock.advance(Duration::hours(1));
        self.idle().await;
    }

    /// Waits until today's pass has been done (its `settle:` job, queued last, is done),
    /// no job is ready or running, the inboxes are empty and every notice is sent.
    pub async fn idle(&self) {
        let store = &self.store;
        let settle = format!("settle:{}", self.today());
        let inboxes: Vec<PathBuf> = self
            .settings
            .institutions
            .iter()
            .map(|i| self.settings.folder(i.name.as_str(), Folder::Inbox))
            .collect();
        let what = format!("the fund idle on {}", self.today());
        wait_until(&what, || {
            let settle = settle.clone();
            let inboxes = inboxes.clone();
            async move {
                let busy = scalar(
                    store,
                    &format!(
                        "SELECT (SELECT COUNT(*) FROM jobs WHERE dedupe_key = '{settle}' AND status <> 'done') \
                         + (SELECT COUNT(*) FROM jobs WHERE status = 'running' OR (status = 'queued' AND attempts = 0)) \
                         + (SELECT COUNT(*) FROM notice_events WHERE status = 'pending') \
                         + (1 - (SELECT COUNT(*) FROM jobs WHERE dedupe_key = '{settle}'))"
                    ),
                )
                .await;
                busy == 0
                    && inboxes
                        .iter()
                        .all(|inbox| exchange::waiting_files(inbox).is_empty())
            }
        })
        .await;
    }

    /// The simulated bank answers every file of the fund whose collection date is today:
    /// its reports (made from the file alone, as a bank would) are dropped into the
    /// institution's inbox, except those `keep` refuses (a report the bank never sends).
    /// Then one more pass imports them. Returns the names of the reports dropped.
    pub async fn bank_answers(&self, bank: &BankSim, keep: impl Fn(&str) -> bool) -> Vec<String> {
        // What the test did before is finished first (see `day`).
        self.idle().await;
        let today = self.today();
        let files: Vec<(String, String)> = sqlx::query_as(
            "SELECT institution, file_name FROM bank_files WHERE collection_date = $1 ORDER BY id",
        )
        .bind(today.to_string())
        .fetch_all(self.store.pool())
        .await
        .unwrap();
        let bank = BankSim {
            today,
            ..bank.clone()
        };
        let mut dropped = Vec::new();
        for (institution, file_name) in files {
            let outbox = self.settings.folder(&institution, Folder::Outbox);
            let inbox = self.settings.folder(&institution, Folder::Inbox);
            // The bank's own desk: the one file, and the reports it writes about it.
            let desk = self.folder.path().join("bank").join(&file_name);
            let (received, answers) = (desk.join("received"), desk.join("answers"));
            std::fs::create_dir_all(&received).unwrap();
            std::fs::create_dir_all(&answers).unwrap();
            std::fs::copy(outbox.join(&file_name), received.join(&file_name)).unwrap();
            for report in bank.answer(&received, &answers).unwrap() {
                let name = report.file_name().unwrap().to_string_lossy().into_owned();
                if keep(&name) {
                    std::fs::create_dir_all(&inbox).unwrap();
                    std::fs::rename(&report, inbox.join(&name)).unwrap();
                    dropped.push(name);
                }
            }
        }
        if !dropped.is_empty() {
            self.later().await;
        }
        dropped
    }

    /// Every debit in every file the fund wrote (read back from the outboxes), and checks
    /// that the files in the outboxes are exactly the recorded ones.
    pub fn debits(&self) -> Vec<FiledDebit> {
        let mut debits = Vec::new();
        for institution in &self.settings.institutions {
            let outbox = self
                .settings
                .folder(institution.name.as_str(), Folder::Outbox);
            for path in exchange::waiting_files(&outbox) {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if name.ends_with(".sha256") {
                    continue;
                }
                debits.extend(self.read_debit_file(&path, &name));
            }
        }
        debits.sort();
        debits
    }

    fn read_debit_file(&self, path: &Path, name: &str) -> Vec<FiledDebit> {
        let bytes = std::fs::read(path).unwrap();
        if bytes.starts_with(b"<") {
            let document = bank_formats::iso20022::read_pain008_slice(&bytes).unwrap();
            document
                .payments
                .iter()
                .flat_map(|payment| {
                    let date: NaiveDate = payment.collection_date.parse().unwrap();
                    payment.transactions.iter().map(move |debit| FiledDebit {
                        end_to_end_id: debit.end_to_end_id.clone(),
                        collection_date: date,
                        amount: debit.amount.unwrap(),
                        file: name.to_owned(),
                    })
                })
                .collect()
        } else {
            let layout =
                tahsil::cycle::import::debit_layout_of(&bytes, self.settings.layouts).unwrap();
            let file = bank_formats::layout::read_debit_file(layout, &bytes[..]).unwrap();
            file.instructions
                .into_iter()
                .map(|debit| FiledDebit {
                    end_to_end_id: debit.end_to_end_id,
                    collection_date: debit.collection_date,
                    amount: debit.amount,
                    file: name.to_owned(),
                })
                .collect()
        }
    }

    /// Every e-mail the SMTP server received, with the notice event its Message-ID names.
    pub fn emails(&self) -> Vec<Email> {
        self.smtp
            .messages()
            .iter()
            .map(|raw| {
                let message = MessageParser::default().parse(raw).unwrap();
                let id = message.message_id().expect("a Message-ID");
                let event_id = id
                    .strip_prefix("notice.")
                    .and_then(|rest| rest.split('.').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("not a notice's Message-ID: {id}"));
                let date = message.date().expect("a Date");
                Email {
                    event_id,
                    to: message
                        .to()
                        .and_then(|a| a.first())
                        .and_then(|a| a.address())
                        .unwrap_or_default()
                        .to_owned(),
                    date: DateTime::from_timestamp(date.to_timestamp(), 0).unwrap(),
                    text: message.body_text(0).unwrap_or_default().into_owned(),
                }
            })
            .collect()
    }

    /// A browser signed in as `email` (a user with the test password) on the web of the
    /// last instance, reading French.
    pub async fn signed_in(&self, email: &str) -> Browser {
        let base = self.instances.last().unwrap().url("");
        let browser = sign_in_at(&base, email, self.clock.now().timestamp()).await;
        let (status, _, _) = browser
            .post("/language", &[("lang", "fr"), ("back", "/")])
            .await;
        assert_eq!(status, reqwest::StatusCode::SEE_OTHER);
        browser
    }

    /// Stops every instance cleanly.
    pub async fn stop(self) {
        for served in self.instances {
            served.stop().await;
        }
    }
}

/// [`MORNING`] in Algiers on `day`.
pub fn morning_of(day: NaiveDate) -> DateTime<Utc> {
    start_of_algiers_day(day) + Duration::hours(MORNING)
}

/// How many of each `kind` (a count per key).
pub fn count_by<T, K: Ord>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> BTreeMap<K, i64> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(key(&item)).or_insert(0) += 1;
    }
    counts
}
