//! The connection: opening without writing, the durability settings,
//! migrations, the fallback to exclusive locking on a full file system and
//! back, and whether the open file is still the one at its path.
//!
//! Owns: how the `Store` holds its SQLite connection. Must never: write to a
//! file on connecting (settings and migrations come only once it is judged
//! ours), or let a failed reopen leave a usable-looking store.

use super::{Store, StoreError, MIGRATIONS};
use rusqlite::{Connection, OpenFlags};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

/// Free space needed before a degraded store goes back to shared mode.
const MIN_FREE_BYTES: u64 = 1 << 20;

/// Compiled statements each connection keeps (rusqlite's LRU statement
/// cache, keyed by the SQL text). The store uses about 35 distinct
/// statements; 64 holds all of them, so a cycle compiles none after the
/// first (compiling was over a third of a quiet cycle's instructions).
const STATEMENT_CACHE: usize = 64;

/// The one way the store runs a statement: compiled once per connection
/// and taken from the statement cache afterwards. SQL built at run time
/// (`format!`) must not go through it: every variant would take a slot.
pub(super) trait Cached {
    /// `execute` through the statement cache.
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// `query_row` through the statement cache.
    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// How the connection locks the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Locking {
    /// WAL with a shared-memory index: readers (`status`) work alongside.
    Shared,
    /// The file system is full: the WAL index lives in this process's
    /// memory, other readers wait.
    Exclusive,
    /// None at all (SQLite's `immutable`): the file is read as it is, with
    /// no lock and no `-wal`/`-shm` created — for a read-only look at a
    /// database no agent has open (see [`Store::open_read_only`]).
    Immutable,
}

impl Store {
    /// The durability settings: WAL, `synchronous=FULL`, foreign keys, a
    /// small page cache.
    pub(super) fn configure(&self) -> Result<(), StoreError> {
        let mode: String = self.conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(|e| self.err(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::new(&self.path, format!("cannot enable WAL (journal_mode is {mode})")));
        }
        // A 1 MiB page cache (SQLite's default is 2 MiB): the agent reads the
        // outbox sequentially and has a 10 MiB memory budget.
        self.conn
            .execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-1024;")
            .map_err(|e| self.err(e))
    }

    pub(super) fn user_version(&self) -> rusqlite::Result<i64> {
        self.conn.row("PRAGMA user_version", [], |r| r.get(0))
    }

    /// Applies the migrations this database lacks; refuses a newer schema.
    pub(super) fn migrate(&self) -> Result<(), StoreError> {
        let version = self.user_version().map_err(|e| self.err(e))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::new(
                &self.path,
                format!("schema version {version} is newer than this agent's {known}; refusing to touch it"),
            ));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
            tx.execute_batch(sql).map_err(|e| self.err(e))?;
            tx.pragma_update(None, "user_version", i as i64 + 1).map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// True when the store was opened in exclusive mode because the file
    /// system was full.
    pub fn degraded(&self) -> bool {
        self.exclusive
    }

    /// For a degraded store: reopens in the normal (shared) mode once the
    /// file system has room again, so `status` can read beside the agent.
    /// Ok(true) when it did. An error leaves the store unusable for good
    /// ([`Store::still_in_place`] reports it): the caller must stop, and
    /// systemd's restart opens it afresh.
    pub fn leave_degraded(&mut self) -> Result<bool, StoreError> {
        if !self.exclusive {
            return Ok(false);
        }
        let dir = self.path.parent().unwrap_or(Path::new(".")).to_path_buf();
        if crate::sys::free_bytes(&dir).map_or(true, |f| f < MIN_FREE_BYTES) {
            return Ok(false);
        }
        // The exclusive lock is released only by closing the connection.
        let placeholder = Connection::open_in_memory().map_err(|e| self.err(e))?;
        drop(std::mem::replace(&mut self.conn, placeholder));
        let fresh = Self::writable(&self.path).or_else(|_| {
            // Not better off: back to where we were, if even that works.
            let s = connect(&self.path, OpenFlags::SQLITE_OPEN_READ_WRITE, Locking::Exclusive)?;
            s.configure()?;
            Ok::<Store, StoreError>(s)
        });
        match fresh {
            Ok(fresh) => {
                self.conn = fresh.conn;
                self.exclusive = fresh.exclusive;
                if !self.exclusive {
                    log::info!("{}: space is back; the database is shared with readers again", self.path.display());
                }
                Ok(!self.exclusive)
            }
            Err(e) => {
                self.poisoned = true;
                Err(e)
            }
        }
    }

    /// Checks that the open database is still the file at its path: not
    /// deleted (with its directory, say) and not replaced. Evidence written
    /// into an unlinked file could never be read.
    pub fn still_in_place(&self) -> Result<(), String> {
        if self.poisoned {
            return Err(format!("{}: the connection could not be reopened", self.path.display()));
        }
        let Some((dev, ino)) = self.identity else { return Ok(()) };
        match std::fs::symlink_metadata(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(format!("{} was deleted while the agent had it open", self.path.display()))
            }
            Err(e) => Err(format!("{}: {e}", self.path.display())),
            Ok(m) if m.dev() != dev || m.ino() != ino => {
                Err(format!("{} was replaced by another file while the agent had it open", self.path.display()))
            }
            Ok(_) => Ok(()),
        }
    }

    pub(super) fn from_parts(conn: Connection, path: &Path, exclusive: bool) -> Store {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let identity = std::fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()));
        Store {
            conn,
            path: path.to_path_buf(),
            exclusive,
            poisoned: false,
            identity,
            overlay: std::cell::RefCell::new(std::collections::BTreeMap::new()),
            head_written: std::cell::Cell::new(None),
            checked_at: std::cell::Cell::new(None),
            damaged: std::cell::Cell::new(false),
        }
    }
}

/// Connects without writing anything; on a file system too full for the
/// WAL index, falls back to exclusive locking (see the module docs).
pub(super) fn connect(path: &Path, access: OpenFlags, locking: Locking) -> Result<Store, StoreError> {
    match connect_once(path, access, locking) {
        Ok(store) => Ok(store),
        Err(e) if locking == Locking::Shared && e.is_full() => {
            log::warn!(
                "{}: the file system is full ({}); opening it in exclusive mode: evidence waits in memory until space returns, and `status` cannot read it meanwhile",
                path.display(),
                e.what
            );
            connect_once(path, access, Locking::Exclusive)
        }
        Err(e) => Err(e),
    }
}

/// One connection attempt: open, then a first read (a WAL database on a
/// file system too full for its shared-memory index fails here).
pub(super) fn connect_once(path: &Path, access: OpenFlags, locking: Locking) -> Result<Store, StoreError> {
    let flags = access | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_NOFOLLOW;
    let conn = if locking == Locking::Immutable {
        Connection::open_with_flags(immutable_uri(path), flags | OpenFlags::SQLITE_OPEN_URI)
    } else {
        Connection::open_with_flags(path, flags)
    }
    .map_err(|e| StoreError::sqlite(path, e))?;
    let store = Store::from_parts(conn, path, locking == Locking::Exclusive);
    let probe = (|| {
        store.conn.busy_timeout(Duration::from_secs(5))?;
        if locking == Locking::Exclusive {
            // Before the first access: then SQLite never needs the -shm file.
            store.conn.execute_batch("PRAGMA locking_mode=EXCLUSIVE;")?;
        }
        store.user_version().map(|_| ())
    })()
    .map_err(|e| store.err(e));
    probe.map(|()| store)
}

/// `file:<path>?immutable=1`, the path percent-encoded (a `?`, `#` or `%`
/// in a directory name must not end the path or start a parameter).
fn immutable_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/._~-".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immutable_uris_escape_what_would_end_the_path() {
        assert_eq!(immutable_uri(Path::new("/var/lib/a-b_c.d/agent.db")), "file:/var/lib/a-b_c.d/agent.db?immutable=1");
        assert_eq!(immutable_uri(Path::new("/x/a?b#c%d e/agent.db")), "file:/x/a%3Fb%23c%25d%20e/agent.db?immutable=1");
    }

    fn names(dir: &Path) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (e.file_name().to_string_lossy().into_owned(), e.metadata().unwrap().len())
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_read_only_look_creates_no_file_and_sees_a_live_writer() {
        let dir = std::env::temp_dir().join(format!("store-ro-{}-{}", std::process::id(), crate::rand::u64()));
        let db = dir.join(super::super::DB_FILE);
        {
            let s = Store::open_in(&dir).unwrap();
            s.set_state("k", "closed").unwrap();
        }
        let before = names(&dir);
        assert!(!before.iter().any(|(n, _)| n.ends_with("-wal") || n.ends_with("-shm")), "{before:?}");
        {
            let r = Store::open_read_only(&db).unwrap();
            assert_eq!(r.get_state("k").unwrap().as_deref(), Some("closed"));
        }
        assert_eq!(names(&dir), before, "the read-only look created or changed a file");
        // An agent has it open: the reader sees what it committed.
        let w = Store::open(&db).unwrap();
        w.set_state("k", "live").unwrap();
        let r = Store::open_read_only(&db).unwrap();
        assert_eq!(r.get_state("k").unwrap().as_deref(), Some("live"));
        drop((r, w));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
