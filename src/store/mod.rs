//! The agent's SQLite database in `state_dir`: evidence and its outbox,
//! orders seen, alerts, check state and the heal journal (durability and
//! retention: docs/evidence.md, "Storage, push and retention").
//!
//! Owns: opening the database with the durability settings the evidence
//! guarantee needs (WAL, `synchronous=FULL`, foreign keys, busy timeout),
//! schema migrations by `user_version`, and the typed queries every other
//! module uses. Must never: hand out the raw connection for ad-hoc SQL from
//! other modules, or delete anything the retention rules do not allow.
//!
//! One file per concern, each adding the methods of its tables to the one
//! [`Store`]; the sub-modules are private and what they make public is
//! re-exported here, so callers name everything `store::…`. `Store`'s
//! fields are private to this module and its sub-modules.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | [`Store`], [`StoreError`], the file names, re-exports |
//! | `open` | opening: is this our history, recovery after a loss, degraded mode on a full disk |
//! | `integrity` | when the whole file is checked (`quick_check`), the record of a clean close |
//! | `schema` | the migrations and the `application_id` they set |
//! | `orders` | orders seen: replay and duplicate defence, the queue, claims, interrupted orders |
//! | `chain` | the evidence chain and outbox, receipts, pruning, `chain.head` |
//! | `journal` | the remediation journal |
//! | `state` | small key-value state, kept in memory while the disk is full |
//! | `alerts` | alert episodes |
//!
//! A transaction that spans concerns belongs to the bundle that commits
//! it: a closing bundle closes its journal row and settles its order in
//! `chain` ([`Store::append_bundle_closing`]).

mod alerts;
mod chain;
mod connection;
mod integrity;
mod journal;
mod judge;
mod open;
mod orders;
mod schema;
mod state;

pub use alerts::AlertEpisode;
pub use chain::{Backlog, ChainTip, Closing, NewBundle, StoredBundle};
pub use integrity::{vouch_for_tests, CLEAN_FILE, INTERVAL_SECS as INTEGRITY_INTERVAL_SECS};
pub use journal::JournalRow;
pub use judge::APPLICATION_ID;
pub use open::Recovery;
pub use orders::{InterruptedOrder, QueuedOrder, SeenOrder};
use rusqlite::Connection;
use schema::MIGRATIONS;
use std::fmt;
use std::path::{Path, PathBuf};

/// File name of the database inside `state_dir`.
pub const DB_FILE: &str = "agent.db";

/// The file beside the database that remembers the chain tip, so that a
/// replacement chain can name where the old one ended.
pub const HEAD_FILE: &str = "chain.head";

/// State key: orders issued before this Unix time are refused as possible
/// replays (set when a new database replaces a lost history).
pub const ORDERS_NOT_BEFORE: &str = "orders.not_before";

/// A store failure, with the database path.
#[derive(Debug)]
pub struct StoreError {
    /// The database file.
    pub path: PathBuf,
    /// What failed.
    pub what: String,
    /// SQLite's result code, when SQLite said it.
    pub code: Option<rusqlite::ErrorCode>,
    /// SQLite's extended result code, when SQLite said it.
    pub extended: Option<i32>,
}

impl StoreError {
    /// An error about `path` that SQLite did not report.
    pub fn new(path: &Path, what: impl Into<String>) -> StoreError {
        StoreError { path: path.to_path_buf(), what: what.into(), code: None, extended: None }
    }

    /// An error SQLite reported about `path`.
    pub fn sqlite(path: &Path, e: rusqlite::Error) -> StoreError {
        let code = e.sqlite_error_code();
        let extended = match &e {
            rusqlite::Error::SqliteFailure(f, _) => Some(f.extended_code),
            _ => None,
        };
        StoreError { path: path.to_path_buf(), what: e.to_string(), code, extended }
    }

    /// The file system is full: SQLITE_FULL, or the shared-memory index
    /// that could not be sized (how a full disk shows at open). Other I/O
    /// errors are not called full (records still wait in memory for any
    /// refused write, but only a full disk gets the degraded mode and the
    /// `disk_full` note).
    pub fn is_full(&self) -> bool {
        /// SQLITE_IOERR_SHMSIZE.
        const IOERR_SHMSIZE: i32 = 10 | (19 << 8);
        self.code == Some(rusqlite::ErrorCode::DiskFull) || self.extended == Some(IOERR_SHMSIZE)
    }

    /// The file is damaged or not a database at all.
    pub fn is_corruption(&self) -> bool {
        matches!(self.code, Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase))
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.what)
    }
}

impl std::error::Error for StoreError {}

/// The open database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Opened in exclusive locking mode because the file system was full.
    exclusive: bool,
    /// Reopening failed ([`Store::leave_degraded`]): the connection is a
    /// placeholder and must not be used; [`Store::still_in_place`] says so.
    poisoned: bool,
    /// Device and inode of the file when it was opened.
    identity: Option<(u64, u64)>,
    /// Small-state writes the file system refused (full): kept in memory,
    /// read back first, written when space returns.
    overlay: std::cell::RefCell<std::collections::BTreeMap<String, String>>,
    /// The seq this process last wrote to `chain.head`.
    head_written: std::cell::Cell<Option<u64>>,
    /// When the whole file was last found intact (`quick_check`), Unix
    /// seconds; None: not known to this connection.
    checked_at: std::cell::Cell<Option<i64>>,
    /// The scheduled check found damage: no clean close is recorded.
    damaged: std::cell::Cell<bool>,
}

impl Store {
    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::sqlite(&self.path, e)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Caps the database at `pages` pages (`PRAGMA max_page_count`), so
    /// writes beyond it fail with SQLITE_FULL exactly as on a full disk.
    /// For tests of the disk-full path; the agent never calls it.
    #[doc(hidden)]
    pub fn simulate_full_disk(&self, pages: u64) -> Result<(), StoreError> {
        self.conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(())).map_err(|e| self.err(e))
    }
}

/// What the store's unit tests share.
#[cfg(test)]
mod testing {
    use super::Store;
    use std::path::PathBuf;

    /// A new database in a directory of its own.
    pub(super) fn temp_db() -> (PathBuf, Store) {
        let dir = std::env::temp_dir().join(format!(
            "store-test-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
        ));
        let s = Store::open_in(&dir).unwrap();
        (dir, s)
    }
}
