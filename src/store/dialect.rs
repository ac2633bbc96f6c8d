//! Where SQLite and PostgreSQL take different paths, each under a name that says why.
//!
//! Every other statement of the store is the same text on both engines. A place that needs
//! the engines to differ asks [`Backend`] here, so `grep Backend::` leads to this file (and
//! to connecting and migrating in `mod.rs`: one migration folder per engine, and the SQLite
//! file prepared below). Each branch is run by the test suite on both engines.
//!
//! Some shared statements are written to suit one engine's planner without branching; they
//! say so where they stand: `plan_collections`' `CROSS JOIN` (SQLite's join order),
//! `release_lines`' `live <> 0` (PostgreSQL's choice of index), and the `MATERIALIZED`
//! common table expressions of `claim_notices` and `apply_report`.
//!
//! Must not know: what the tables mean. It names statement shapes, not business rules.

use std::path::PathBuf;

use anyhow::Context;
use sqlx::{AnyPool, ConnectOptions, Connection};

use super::{Backend, StoreResult};

/// How the file writers read the debits of a run (`Store::for_each_debit_in_blocks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DebitReads {
    /// One query per block, its rows streamed (PostgreSQL).
    RowStream,
    /// Chunks of debits (`DETAIL_CHUNK` of them), each chunk one JSON array in one row
    /// (SQLite).
    JsonChunks,
}

/// A JSON array bound as `$2`, unpacked by the database into one row `j` per element:
/// `from` is the table expression, `position` the element's number, from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct JsonArrayRows {
    pub from: &'static str,
    pub position: &'static str,
}

impl Backend {
    /// The engine behind a connection, for the few builders that get only the caller's
    /// transaction (the audit trail's batches, [`Backend::json_array_rows`]).
    pub(super) fn of_connection(conn: &sqlx::AnyConnection) -> Backend {
        match conn.backend_name() {
            "PostgreSQL" => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails with
    /// "database is locked" without waiting when another connection wrote in between,
    /// whereas an immediate one waits its turn (busy timeout). PostgreSQL needs nothing.
    pub(super) async fn begin_write(
        self,
        pool: &AnyPool,
    ) -> StoreResult<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self {
            Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => pool.begin().await?,
        })
    }

    /// The statement that makes planning transactions take turns, run first in each. On
    /// PostgreSQL two plans of one date side by side (two `tahsil run`s) would both insert
    /// the same (employer, date) collections and the second would fail on the unique key
    /// with a raw "duplicate key" error; behind a transaction-scoped advisory lock the
    /// second waits, then sees the first's collections and plans nothing, and its run meets
    /// the run lock's conflict message, as on SQLite. SQLite's write transaction
    /// ([`Backend::begin_write`]) already excludes every other.
    pub(super) fn planning_lock(self) -> Option<&'static str> {
        match self {
            // The key is arbitrary but fixed: "tahsil planning".
            Backend::Postgres => Some("SELECT pg_advisory_xact_lock(7268657)"),
            Backend::Sqlite => None,
        }
    }

    /// The suffix of a `SELECT` that keeps the rows it read locked until the transaction
    /// ends: `FOR UPDATE` on PostgreSQL, where writers run side by side; nothing on SQLite,
    /// where a write transaction ([`Backend::begin_write`]) already excludes every other.
    pub(super) fn lock_rows(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// The suffix of a `SELECT … LIMIT n` that picks rows to claim (jobs, notices), so
    /// concurrent workers skip each other's rows instead of queueing behind them and then
    /// finding them taken (`FOR UPDATE SKIP LOCKED` on PostgreSQL): a worker comes back
    /// empty only when no ready row is left. SQLite has one writer at a time, and a
    /// statement that writes takes the write lock before it reads, so its pick already
    /// sees every earlier claim: nothing to skip. The claim's own condition, re-checked on
    /// the row, is what makes a row claimed once; this spreads the work.
    pub(super) fn skip_locked_rows(self) -> &'static str {
        match self {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// Whether a temporary table filled in a transaction gets an index for the joins that
    /// follow in it. PostgreSQL plans those joins without statistics for rows inserted in
    /// the very transaction, so an index makes every join order cheap whatever it
    /// estimates. SQLite is told the order (`CROSS JOIN`) and joins through the other
    /// table's index: it does without, and saves the index's writes.
    pub(super) fn indexes_temporary_tables(self) -> bool {
        match self {
            Backend::Postgres => true,
            Backend::Sqlite => false,
        }
    }

    /// How the file writers read debits. SQLite: 1,000 at a time as one JSON array per
    /// query, because sqlx hands every SQLite row from the connection's thread to the
    /// writer's task, and at 100,000 rows that cost more than the rows themselves (measured:
    /// the 100,000-debit run went from 2.73 – 2.94 s to 2.36 – 2.48 s). PostgreSQL's row
    /// stream is cheap and building the JSON only added server work: it streams rows.
    pub(super) fn debit_reads(self) -> DebitReads {
        match self {
            Backend::Postgres => DebitReads::RowStream,
            Backend::Sqlite => DebitReads::JsonChunks,
        }
    }

    /// The statement that reads a page of a set-based audit batch (`audit_batch` rows `n`
    /// in `$1 < n <= $2`) to chain it: one JSON array `[[n, action, entity_id, detail], …]`
    /// in one row (NULL or `[]` when empty), not a row per entry — on SQLite every row
    /// crosses from the connection's thread to the task, which at 100,000 entries cost more
    /// than the entries (see `debit_reads`). The functions differ.
    pub(super) fn audit_batch_page(self) -> &'static str {
        match self {
            Backend::Sqlite => {
                "SELECT json_group_array(json_array(n, action, entity_id, detail)) \
                 FROM audit_batch WHERE n > $1 AND n <= $2"
            }
            Backend::Postgres => {
                "SELECT CAST(json_agg(json_build_array(n, action, entity_id, detail)) AS TEXT) \
                 FROM audit_batch WHERE n > $1 AND n <= $2"
            }
        }
    }

    /// [`Backend::json_array_rows`]' table expression with the array bound as `$1`, for a
    /// statement whose only parameter it is (PostgreSQL refuses a parameter it cannot type,
    /// so an unused `$1` is not an option): the notice worker's look-ups of a batch.
    pub(super) fn json_array_rows_first(self) -> &'static str {
        match self {
            Backend::Sqlite => "json_each($1) j",
            Backend::Postgres => {
                "jsonb_array_elements(CAST($1 AS jsonb)) WITH ORDINALITY AS j(value, key)"
            }
        }
    }

    /// A report's items, bound as one JSON array (`$2`) and unpacked by the database: a
    /// 100,000-item report is one statement instead of a thousand multi-row INSERTs. The
    /// functions differ: SQLite's `json_each` numbers elements from 0, PostgreSQL's
    /// `jsonb_array_elements … WITH ORDINALITY` from 1.
    pub(super) fn json_array_rows(self) -> JsonArrayRows {
        match self {
            Backend::Sqlite => JsonArrayRows {
                from: "json_each($2) j",
                position: "j.key + 1",
            },
            Backend::Postgres => JsonArrayRows {
                from: "jsonb_array_elements(CAST($2 AS jsonb)) WITH ORDINALITY AS j(value, key)",
                position: "j.key",
            },
        }
    }
}

/// Creates the SQLite file if missing (with 16 KiB pages) and switches it to WAL (a property
/// of the file, so it is set once here rather than on every pooled connection). PostgreSQL
/// has nothing to prepare: the server holds the database.
pub(super) async fn prepare_sqlite_file(url: &str) -> anyhow::Result<()> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
    let options: SqliteConnectOptions = url
        .parse()
        .with_context(|| format!("invalid SQLite URL {url:?}: write it like sqlite://tahsil.db"))?;
    let path: PathBuf = options.get_filename().to_path_buf();
    let access = crate::private::Access::PRIVATE;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        access
            .create_dir_all(parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
    }
    // Created private (an empty file is an empty database), whatever the umask; SQLite
    // gives its -wal and -shm the database file's mode, and they are set again below.
    let on_disk = path.as_os_str() != ":memory:";
    if on_disk && !path.exists() {
        access
            .create_new(&path)
            .with_context(|| format!("cannot create the SQLite database {}", path.display()))?;
    }
    let conn = options
        .create_if_missing(true)
        // Only takes effect when the file is created. 16 KiB pages instead of 4 KiB: a
        // due-date run reads and writes hundreds of thousands of rows, and each page is one
        // read system call and one B-tree cell array (measured in the README: fewer system
        // calls, the run faster).
        .page_size(16_384)
        .journal_mode(SqliteJournalMode::Wal)
        .connect()
        .await
        .with_context(|| format!("cannot open the SQLite database {}", path.display()))?;
    conn.close().await?;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let file = PathBuf::from(file);
        if on_disk && file.exists() {
            access
                .apply_to_file(&file)
                .with_context(|| format!("cannot make {} private (0600)", file.display()))?;
        }
    }
    Ok(())
}
