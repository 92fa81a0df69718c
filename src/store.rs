//! The agent's SQLite database in `state_dir` (design §6).
//!
//! Owns: opening the database with the durability settings the evidence
//! guarantee needs (WAL, `synchronous=FULL`, foreign keys, busy timeout),
//! schema migrations by `user_version`, and the typed queries every other
//! module uses. Must never: hand out the raw connection for ad-hoc SQL from
//! other modules, or delete anything the retention rules do not allow.

use rusqlite::{params, Connection, OptionalExtension};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// File name of the database inside `state_dir`.
pub const DB_FILE: &str = "agent.db";

/// A store failure, with the database path.
#[derive(Debug)]
pub struct StoreError {
    /// The database file.
    pub path: PathBuf,
    /// What failed.
    pub what: String,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.what)
    }
}

impl std::error::Error for StoreError {}

/// Schema migrations; index + 1 is the `user_version` after applying it.
const MIGRATIONS: &[&str] = &[
    // 1: orders seen (replay and duplicate defence, queue of accepted orders).
    "CREATE TABLE orders (
        envelope_sha256 TEXT PRIMARY KEY,
        order_id        TEXT,             -- only once the signature verified
        state           TEXT NOT NULL,    -- queued | running | done | failed | rejected | expired
        reason          TEXT,             -- refusal reason, if refused
        action          TEXT,
        keyid           TEXT,
        expires_at      INTEGER,
        envelope        BLOB,             -- accepted orders only; re-verified before use
        first_seen      INTEGER NOT NULL,
        keep_until      INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX orders_by_id ON orders(order_id) WHERE order_id IS NOT NULL;
    CREATE INDEX orders_by_state ON orders(state);",
];

/// The open database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// An order waiting to run, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedOrder {
    /// Hex SHA-256 of the envelope.
    pub envelope_sha256: String,
    /// The envelope bytes, to be verified again before use.
    pub envelope: Vec<u8>,
}

/// A row to remember an envelope by.
#[derive(Debug, Clone)]
pub struct SeenOrder<'a> {
    /// Hex SHA-256 of the envelope bytes.
    pub envelope_sha256: &'a str,
    /// Verified order id, if any.
    pub order_id: Option<&'a str>,
    /// `queued`, `rejected` or `expired`.
    pub state: &'a str,
    /// Refusal reason.
    pub reason: Option<&'a str>,
    /// Verified action name.
    pub action: Option<&'a str>,
    /// Verifying key id.
    pub keyid: Option<&'a str>,
    /// Order expiry.
    pub expires_at: Option<i64>,
    /// Envelope bytes (accepted orders only).
    pub envelope: Option<&'a [u8]>,
    /// When first seen.
    pub now: i64,
    /// Forget the row after this time.
    pub keep_until: i64,
}

impl Store {
    /// Opens (creating if needed) `state_dir/agent.db`.
    pub fn open_in(state_dir: &Path) -> Result<Store, StoreError> {
        let err = |what: String| StoreError { path: state_dir.to_path_buf(), what };
        if !state_dir.exists() {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(state_dir)
                .map_err(|e| err(format!("cannot create state_dir: {e}")))?;
        }
        Self::open(&state_dir.join(DB_FILE))
    }

    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|e| StoreError { path: path.to_path_buf(), what: e.to_string() })?;
        let store = Store { conn, path: path.to_path_buf() };
        store.setup()?;
        Ok(store)
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError { path: self.path.clone(), what: e.to_string() }
    }

    fn setup(&self) -> Result<(), StoreError> {
        self.conn.busy_timeout(Duration::from_secs(5)).map_err(|e| self.err(e))?;
        let mode: String = self.conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(|e| self.err(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError {
                path: self.path.clone(),
                what: format!("cannot enable WAL (journal_mode is {mode})"),
            });
        }
        self.conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;").map_err(|e| self.err(e))?;
        let version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| self.err(e))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError {
                path: self.path.clone(),
                what: format!("schema version {version} is newer than this agent's {known}; refusing to touch it"),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
            tx.execute_batch(sql).map_err(|e| self.err(e))?;
            tx.pragma_update(None, "user_version", i as i64 + 1).map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True if this exact envelope was seen before.
    pub fn envelope_seen(&self, envelope_sha256: &str) -> Result<bool, StoreError> {
        self.conn
            .query_row("SELECT 1 FROM orders WHERE envelope_sha256 = ?1", [envelope_sha256], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(|e| self.err(e))
    }

    /// True if a verified envelope with this order id but a different hash
    /// was seen before.
    pub fn order_id_seen_with_other_bytes(&self, order_id: &str, envelope_sha256: &str) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM orders WHERE order_id = ?1 AND envelope_sha256 <> ?2 LIMIT 1",
                [order_id, envelope_sha256],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(|e| self.err(e))
    }

    /// Remembers an envelope (accepted or refused).
    pub fn remember_order(&self, o: &SeenOrder<'_>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO orders (envelope_sha256, order_id, state, reason, action, keyid, expires_at, envelope, first_seen, keep_until)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![o.envelope_sha256, o.order_id, o.state, o.reason, o.action, o.keyid, o.expires_at, o.envelope, o.now, o.keep_until],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Accepted orders not yet finished, oldest first.
    pub fn queued_orders(&self) -> Result<Vec<QueuedOrder>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT envelope_sha256, envelope FROM orders WHERE state IN ('queued', 'running') AND envelope IS NOT NULL ORDER BY first_seen, rowid")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok(QueuedOrder { envelope_sha256: r.get(0)?, envelope: r.get(1)? }))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Moves an order to a new state (`running`, `done`, `failed`, `expired`).
    pub fn set_order_state(&self, envelope_sha256: &str, state: &str) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE orders SET state = ?2 WHERE envelope_sha256 = ?1", [envelope_sha256, state])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The state of an order by envelope hash.
    pub fn order_state(&self, envelope_sha256: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT state FROM orders WHERE envelope_sha256 = ?1", [envelope_sha256], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Forgets finished order rows whose `keep_until` has passed. Queued
    /// orders are kept until they ran or were recorded as expired.
    pub fn prune_orders(&self, now: i64) -> Result<usize, StoreError> {
        self.conn
            .execute("DELETE FROM orders WHERE keep_until < ?1 AND state NOT IN ('queued', 'running')", [now])
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db() -> (PathBuf, Store) {
        let dir = std::env::temp_dir().join(format!(
            "store-test-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
        ));
        let s = Store::open_in(&dir).unwrap();
        (dir, s)
    }

    fn seen<'a>(hash: &'a str, id: Option<&'a str>, state: &'a str) -> SeenOrder<'a> {
        SeenOrder {
            envelope_sha256: hash,
            order_id: id,
            state,
            reason: None,
            action: Some("run_checks"),
            keyid: None,
            expires_at: Some(100),
            envelope: Some(b"{}"),
            now: 1,
            keep_until: 200,
        }
    }

    #[test]
    fn settings_and_migrations() {
        let (dir, s) = temp_db();
        let mode: String = s.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = s.conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
        let v: i64 = s.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        drop(s);
        // Reopening is a no-op migration.
        Store::open_in(&dir).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn newer_schema_is_refused() {
        let (dir, s) = temp_db();
        s.conn.pragma_update(None, "user_version", 999).unwrap();
        drop(s);
        let e = Store::open_in(&dir).unwrap_err();
        assert!(e.what.contains("newer"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn orders_seen_queue_and_prune() {
        let (dir, s) = temp_db();
        s.remember_order(&seen("h1", Some("o1"), "queued")).unwrap();
        assert!(s.envelope_seen("h1").unwrap());
        assert!(!s.envelope_seen("h2").unwrap());
        assert!(s.order_id_seen_with_other_bytes("o1", "h2").unwrap());
        assert!(!s.order_id_seen_with_other_bytes("o1", "h1").unwrap());
        assert_eq!(s.queued_orders().unwrap().len(), 1);
        // Queued rows survive pruning; finished ones go after keep_until.
        assert_eq!(s.prune_orders(1000).unwrap(), 0);
        s.set_order_state("h1", "done").unwrap();
        assert_eq!(s.order_state("h1").unwrap().as_deref(), Some("done"));
        assert!(s.queued_orders().unwrap().is_empty());
        assert_eq!(s.prune_orders(150).unwrap(), 0);
        assert_eq!(s.prune_orders(1000).unwrap(), 1);
        // A duplicate insert is an error, not a silent overwrite.
        s.remember_order(&seen("h3", None, "rejected")).unwrap();
        assert!(s.remember_order(&seen("h3", None, "rejected")).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
