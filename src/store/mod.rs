//! The store: the only module that runs SQL.
//!
//! One set of queries serves SQLite and PostgreSQL through sqlx's `Any` driver, with `$N`
//! placeholders and portable column types (see `migrations/README.md`); the few places
//! where the engines take different paths are named in `dialect`. Row structs stay in
//! here; callers get plain records. Every state change writes its audit entry in the
//! same transaction.
//!
//! One file (or folder) per concept, named with the product's words; everything public
//! is re-exported here, so callers write `crate::store::X`. This file keeps what they all
//! share: connecting and migrating, [`Actor`], [`StoreError`], and the text forms of
//! timestamps.
//!
//! Must not know: HTTP, HTML, email or the command line.

mod assessments;
mod attestations;
mod audit;
mod audit_verify;
mod bank_files;
mod calendar;
mod colleagues;
mod collection_totals;
mod collections;
mod daily_jobs;
mod day_summary;
mod declarations;
mod dialect;
mod dispute_effects;
mod disputes;
mod employers;
mod enrolment;
mod evidence;
mod exceptions;
mod incoming_credits;
mod jobs;
mod leases;
mod ledger;
mod mandates;
mod notice_events;
mod notices;
mod password_resets;
mod payment_plans;
mod payments;
mod profile;
mod quarantine;
mod rates;
mod receipts;
mod receivables;
mod reconcile;
mod reference;
mod refund_answers;
mod refunds;
mod refusal;
mod runs;
mod search;
mod secrets;
mod seed;
mod sessions;
mod statistics;
mod surcharges;
mod throttle;
mod tokens;
mod two_factor;
mod users;
mod webhooks;
mod write_offs;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions};

use crate::clock::Clock;

pub use ::mandates::NewDeclarationLine;
pub use ::mandates::dispute::DisputeRefusal;
pub use assessments::{AssessmentStatus, AssessmentSummary, FundAssessment, ProvisionalAssessment};
pub use attestations::{
    Attestation, AttestationPolicy, AttestationState, Issuance,
    MAX_UNKNOWN_VERIFICATIONS_PER_ADDRESS, Revocation, VERIFY_WINDOW_MINUTES, Verification,
    normalized_code,
};
pub use audit::{AuditEntry, AuditHead};
pub use audit_verify::{AuditBreak, AuditVerification};
pub use bank_files::{BankFileRecord, FileTransaction, Institution};
pub use calendar::{
    CalendarAction, CalendarChange, CalendarHistoryEntry, CalendarOutcome, MovedRun,
};
pub use colleagues::{Capacity, Colleague, Duty};
pub use collection_totals::CollectionTotal;
pub use collections::CollectionRecord;
pub use collections::actions::{ACTION_REASON_MAX, ActionOutcome, DebitRecord};
pub use collections::history::{CollectionDetail, CollectionView, CollectionWorksite, NextAttempt};
pub use collections::list::{DEBIT_PAGE_MAX, DebitCursor, DebitFilter, DebitListItem, DebitTotals};
pub use collections::planning::PlanSummary;
pub use collections::shortfalls::CeilingShortfall;
pub use collections::timeline::{DebitChange, ItemOutcome, TimelineEntry, TimelineEvent, Who};
pub use collections::upcoming::{UpcomingDebit, UpcomingLine};
pub use day_summary::DaySummary;
pub use declarations::{
    Declaration, DeclarationLine, DeclarationStatus, LineState, NewDeclaration,
};
pub use disputes::{
    ContestKind, Contested, DisputeAction, DisputeMessage, DisputeOutcome, DisputeReason,
    DisputeRecord, DisputeState, DisputeStatus, MessageAuthor,
};
pub use employers::{Employer, NewEmployer, NewWorksite, Worksite};
pub use enrolment::{
    ENROLMENT_CODE_DAYS, ENROLMENT_WINDOW_MINUTES, Enrolment, IssuedCode,
    MAX_ENROLMENTS_PER_EMPLOYER,
};
pub use evidence::{EmployerReportItem, EvidenceRecords, PresentedDebit};
pub use exceptions::{ExceptionKind, ExceptionRecord, ExceptionStatus};
pub use incoming_credits::{WAITING_POSSIBLE_REPEAT, WAITING_TRANSFER_RECORDED, WaitingCredit};
pub use jobs::{ClaimedJob, JobCount, JobRecord, JobStatus, scrub_error};
pub use ledger::{
    Aging, Balance, EntryKind, LEDGER_CHECK_LIMIT, LedgerCheck, LedgerDifference, LedgerEntry,
    Statement, StatementLine,
};
pub use mandates::{
    MandateProposal, MandateRecord, NewMandate, OpenedProposal, PlannedDebitFate, SignMandate,
    consent_text_sha256,
};
pub use notice_events::NoticeKind;
pub use notices::delivery::{ClaimedNotice, NoticeFailure, PendingNotices, SentNotice};
pub use notices::facts::{
    BreakdownLine, CollectionFacts, DisputeFacts, HandedOverDebit, MandateFacts, NoticeFacts,
    NoticeRecipient, NoticeSubject, PlanNoticeFacts, ReplacedMandate, ShortfallFacts,
    SurchargeNoticeFacts,
};
pub use notices::{NoticeRecord, NoticeStatus};
pub use password_resets::PasswordResetEmail;
pub use password_resets::ResetRequest;
pub use payment_plans::{
    ArrearLine, PLAN_MAX_INSTALMENTS, PLAN_NOTE_MAX, PaymentPlan, PlanInstalment, PlanReview,
    PlanStatus, SetPlan, split_into_instalments,
};
pub use payments::{AllocationOrder, NewPayment, PaymentChannel, PaymentOutcome, PaymentRecord};
pub use profile::EMAIL_CHANGE_HOURS;
pub use quarantine::QuarantinedFile;
pub use rates::{NewRate, RateRecord};
pub use receipts::Receipt;
pub use receivables::{
    AgeBuckets, EmployerOwing, JOURNAL_PAGE, JournalEntry, JournalTotal, OWING_PAGE_MAX,
    Receivables,
};
pub use reconcile::{
    Effect, ITEM_CHUNK, ImportSummary, IncomingCredit, ItemFacts, Meaning, NewReport,
    ReconcilePolicy, ReportApplication, ReportHead, ReportItem, ReportRecord, ReportStart,
};
pub use reference::{CALENDAR_YEARS_AHEAD, CalendarYearsLoaded};
pub use refund_answers::{RefundAnswer, RefundAnswerItem, RefundAnswerSummary};
pub use refunds::{
    NewRefundFile, REFUND_NOTE_MAX, RefundFileRecord, RefundRecord, RefundRequester, RefundStatus,
    RefundToSend, RefundsSent, refund_end_to_end_id,
};
pub use refusal::Refusal;
pub use runs::debits::{DebitDetail, FileBlock};
pub use runs::recheck::RecheckSummary;
pub use runs::recording::{FileRecording, NewBankFile};
pub use runs::{RunLock, RunStatus, UnfinishedRun};
pub use search::{DebitHit, MandateHit, SEARCH_HITS_MAX, SearchHits, SearchTotals, UserHit};
pub use secrets::{PasswordGate, random_token, token_hash};
pub use seed::{SeedCounts, SeedEmployer, SeedWorksite};
pub use sessions::{
    DEVICE_DAYS, FAILURE_WINDOW_MINUTES, MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_EMAIL,
    SESSION_HOURS, Session, SignIn, SignInAttempt,
};
pub use statistics::{
    CollectionCount, DateOutcome, FailureCount, FailureReason, NextRun, NoticeCount,
    ReportOverview, RunHeader, RunLine, RunOutcome,
};
pub use surcharges::{
    AccrualSummary, AmnestyPreview, AmnestyRecord, AmnestyStatus, NewAmnesty, NewSurchargeRule,
    SurchargeFacts, SurchargeKind, SurchargePolicy, SurchargeRecord, SurchargeRule,
    WAIVER_REASON_MAX, WaiverRecord, WaiverStatus,
};
pub use tokens::{
    ApiClient, ApiTokenRecord, ApiUser, NewToken, USER_TOKEN_PREFIX, UserApiTokenRecord,
};
pub use two_factor::{CHALLENGE_MINUTES, SecondFactor, TotpSetup};
pub use users::{Grant, NewUser, Role, User, UserOverview};
pub use webhooks::{
    ClaimedWebhook, WEBHOOK_ENDPOINTS_MAX, WEBHOOK_URL_MAX, WebhookAttempt, WebhookDelivery,
    WebhookEndpoint, WebhookOutcome, WebhookStatus, WebhookTargets, WebhookUrlProblem,
    is_public_ip, webhook_url_problem,
};
pub use write_offs::{
    NewWriteOff, WRITE_OFF_REASON_MAX, WriteOffCandidate, WriteOffOutcome, WriteOffRequest,
};

use ::mandates::LineProblem;

use crate::crypto::AccountCipher;

/// Which database engine a URL points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!(
                "unsupported database URL {:?}: use sqlite://FILE (embedded) or postgres://USER@HOST/DB",
                redact_url(url)
            )
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Who did something, for the audit trail: `api`, `cli`, `system`, later `user:42`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    pub fn new(name: impl Into<String>) -> Actor {
        Actor(name.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What can go wrong in the store, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} {id} does not exist")]
    NotFound { entity: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    /// A refusal with a stable code (see [`Refusal`]): pages say it in the viewer's
    /// language, the English `message` stays for logs, the CLI and the JSON API (a
    /// conflict or an invalid request there, as [`Refusal::is_conflict`] says).
    #[error("{message}")]
    Refused { refusal: Refusal, message: String },
    /// Several problems found at once, each naming its line and field.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidLines(Vec<LineProblem>),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// A stored code that names no state (a row written by something else): a server error.
impl From<::mandates::UnknownCode> for StoreError {
    fn from(err: ::mandates::UnknownCode) -> StoreError {
        StoreError::Other(anyhow::Error::new(err).context("reading a stored code"))
    }
}

impl StoreError {
    /// A coded refusal with its English text.
    fn refused(refusal: Refusal, message: impl Into<String>) -> StoreError {
        StoreError::Refused {
            refusal,
            message: message.into(),
        }
    }

    fn not_found(entity: &'static str, id: impl ToString) -> StoreError {
        StoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }
}

/// Turns a unique-key violation into a `Conflict` with a message for the user.
fn conflict_on_unique(err: sqlx::Error, message: impl FnOnce() -> String) -> StoreError {
    match err.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::Conflict(message()),
        _ => StoreError::Database(err),
    }
}

/// Like [`conflict_on_unique`], with a stable code.
fn refused_on_unique(
    err: sqlx::Error,
    refusal: Refusal,
    message: impl FnOnce() -> String,
) -> StoreError {
    match err.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::refused(refusal, message()),
        _ => StoreError::Database(err),
    }
}

/// `text` for a LIKE pattern, its wildcards escaped (with `ESCAPE '\'`).
pub(super) fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `text` as an SQL string literal (quotes doubled), for codes written into set-based
/// statements.
pub(super) fn sql_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A value bound to one `$N` of a set-based statement that a builder completes (see
/// `audit::AuditRows`, `notice_events::NoticeEvents`): the caller's SQL numbers its own
/// values `$1`, `$2`, … in the order given, and the builder binds its own after them.
#[derive(Clone, Copy, Debug)]
pub(super) enum Bind<'a> {
    Int(i64),
    Text(&'a str),
}

impl Bind<'_> {
    /// `query` with `binds` bound in order, as `$1`, `$2`, ….
    fn all<'q>(
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
        binds: &[Bind<'_>],
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        binds.iter().fold(query, |query, bind| match *bind {
            Bind::Int(value) => query.bind(value),
            Bind::Text(value) => query.bind(value),
        })
    }
}

/// A nullable stored code read as its enum: `#[sqlx(try_from = "OptionalCode")]` on an
/// `Option<…>` field of a row (a required code reads with `try_from = "String"`); an
/// unknown code is an error naming it.
#[derive(sqlx::Type)]
#[sqlx(transparent)]
pub(super) struct OptionalCode(Option<String>);

impl<T: std::str::FromStr<Err = ::mandates::UnknownCode>> TryFrom<OptionalCode> for Option<T> {
    type Error = ::mandates::UnknownCode;
    fn try_from(code: OptionalCode) -> Result<Option<T>, ::mandates::UnknownCode> {
        code.0.as_deref().map(str::parse).transpose()
    }
}

/// A stored `YYYY-MM-DD` date; `field` names it in the error.
pub(super) fn parse_date(field: &str, text: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| StoreError::Invalid(format!("stored {field} {text:?} is not a date")))
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Handle to the database. Cheap to clone. Every timestamp it writes, and every expiry it
/// judges (sessions, resets, leases, locks), comes from its one [`Clock`].
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    cipher: AccountCipher,
    banks: Arc<::mandates::BankTable>,
    clock: Clock,
    /// The advance-notice period (calendar days): an announcement recorded on a day allows
    /// debiting from that day + this many days on (`earliest_debit_date`).
    notice_days: u32,
    /// The bounded room where passwords are checked (argon2 costs ~19 MiB a check).
    password_gate: secrets::PasswordGate,
    /// Which webhook endpoints are accepted and reached (`webhooks`).
    webhook_targets: webhooks::WebhookTargets,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects (creating an SQLite file if missing, in WAL mode).
    pub async fn connect(
        url: &str,
        max_connections: u32,
        cipher: AccountCipher,
        banks: ::mandates::BankTable,
    ) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let url = match backend {
            Backend::Sqlite => {
                dialect::prepare_sqlite_file(url).await?;
                url.to_owned()
            }
            Backend::Postgres => url.to_owned(),
        };
        let options: AnyConnectOptions = url
            .parse()
            .with_context(|| format!("invalid database URL {}", redact_url(&url)))?;
        let options = options.disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .with_context(|| {
                format!(
                    "cannot connect to the database at {}; check that it is running and the URL is right",
                    redact_url(&url)
                )
            })?;
        Ok(Store {
            pool,
            backend,
            cipher,
            banks: Arc::new(banks),
            clock: Clock::system(),
            notice_days: ::mandates::ChannelPolicy::default().notice_days,
            password_gate: secrets::PasswordGate::default(),
            webhook_targets: webhooks::WebhookTargets::default(),
        })
    }

    /// The same store checking passwords through `gate` (its size and queue timeout come
    /// from the configuration: `login_concurrency`, `login_queue_ms`).
    pub fn with_password_gate(mut self, gate: PasswordGate) -> Store {
        self.password_gate = gate;
        self
    }

    /// The same store reading its time from `clock` (a simulated clock, or a test's).
    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }

    /// The same store with the configured advance-notice period (`notice_days`; the default
    /// is `mandates::ChannelPolicy`'s).
    pub fn with_notice_days(mut self, notice_days: u32) -> Store {
        self.notice_days = notice_days;
        self
    }

    /// The advance-notice period this store announces debits with.
    pub fn notice_days(&self) -> u32 {
        self.notice_days
    }

    /// The clock every timestamp of the store comes from: the service's one "now", for
    /// whoever holds the store (scheduler, workers, pages).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Applies the migrations of this backend, then the reference data (default rates,
    /// calendar) where missing. Safe to run from several instances at once.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .context("applying database migrations failed")?;
        self.ensure_reference_data()
            .await
            .context("loading the default rates and calendar failed")?;
        self.anchor_audit_chain()
            .await
            .context("anchoring the audit trail's earlier entries failed")?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The most connections the pool opens.
    pub fn max_connections(&self) -> u32 {
        self.pool.options().get_max_connections()
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn banks(&self) -> &::mandates::BankTable {
        &self.banks
    }

    /// The CSRF token of the sign-in forms for one pre-session id (a random cookie): keyed
    /// by the fund's key, so a cookie and token pair planted by another site never match.
    pub fn presession_csrf_token(&self, presession: &str) -> String {
        self.cipher.derived_token("presession-csrf", presession)
    }

    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Begins a transaction that writes (see [`Backend::begin_write`]).
    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Any>> {
        self.backend.begin_write(&self.pool).await
    }

    fn now_text(&self) -> String {
        timestamp(self.now())
    }
}

/// The one text form of timestamps in the database: RFC 3339, UTC, seconds, `Z`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A stored timestamp (any RFC 3339 text) as the instant it names, when it reads as one.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// Lease expiries, to the millisecond (leases are short and compared as text: every
/// lease column uses this one format).
pub fn lease_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The path of an SQLite URL's file, for locating the generated key beside it.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    use sqlx::sqlite::SqliteConnectOptions;
    let options: SqliteConnectOptions = url.parse().ok()?;
    Some(options.get_filename().to_path_buf())
}

/// A database URL with any password replaced, fit for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.local:5432/tahsil"),
            "postgres://app:***@db.local:5432/tahsil"
        );
        assert_eq!(redact_url("sqlite://tahsil.db"), "sqlite://tahsil.db");
    }

    #[test]
    fn backends_are_recognised_from_the_url() {
        assert_eq!(Backend::of_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::of_url("postgres://p@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::of_url("mysql://h/db").is_err());
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_escaped("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(like_escaped("SARL"), "SARL");
    }
}
