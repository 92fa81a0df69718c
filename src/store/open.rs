//! Opening the database, and deciding whether what is on disk is this
//! agent's history.
//!
//! ```text
//!  agent.db missing ──── chain.head present? ── yes ─► loss: new chain, alert
//!        │                                     └─ no ──► fresh install
//!  agent.db present ─► ours? (application_id, schema, quick_check,
//!                            chain tip agrees with chain.head)
//!        ├─ yes ─► open (migrate if older)
//!        ├─ newer schema ─► refuse (never touched)
//!        └─ no ──► loss: moved aside (never deleted, with its chain.head),
//!                  new chain whose first bundle is a store_corrupt alert
//! ```
//!
//! Anything that is not exactly this agent's database with an intact chain
//! is loss, never a fresh start: a zero-length file, a valid SQLite file of
//! another schema, a database whose chain ends before the seq `chain.head`
//! recorded (an older copy restored over it), or one whose bundle at that
//! seq has another hash (another appliance's chain). A new database is
//! built beside the old name and renamed into place, so the agent itself
//! never leaves a zero-length `agent.db` behind.
//!
//! When the file system is full, opening normally fails (SQLite cannot size
//! the `-shm` file). The store then opens in exclusive locking mode, which
//! keeps the WAL index in memory: reads work, writes fail with "disk full"
//! and the agent keeps its evidence in memory until space returns (see
//! [`Store::degraded`]). `status` waits for the lock meanwhile.
//!
//! Must never: delete or overwrite a database or `chain.head` it did not
//! just create, or follow a symlink planted in the state directory.

use super::{ChainTip, Recovery, Store, StoreError, DB_FILE, HEAD_FILE, MIGRATIONS};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `PRAGMA application_id` of an agent database ("CAG1"): what makes a
/// SQLite file ours rather than any database that happens to parse.
pub const APPLICATION_ID: i64 = 0x4341_4731;

/// Free space needed before a degraded store goes back to shared mode.
const MIN_FREE_BYTES: u64 = 1 << 20;

/// Tables every agent database has from schema 2 on.
const CORE_TABLES: [&str; 4] = ["orders", "bundles", "chain", "state"];

/// How the connection locks the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Locking {
    /// WAL with a shared-memory index: readers (`status`) work alongside.
    Shared,
    /// The file system is full: the WAL index lives in this process's
    /// memory, other readers wait.
    Exclusive,
}

/// Why a database on disk is not this agent's intact history.
struct NotOurs(String);

impl Store {
    /// Opens (creating if needed) `state_dir/agent.db`, without the loss
    /// checks of [`Store::open_or_recover`] (tests and benchmarks).
    pub fn open_in(state_dir: &Path) -> Result<Store, StoreError> {
        create_dir(state_dir)?;
        Self::open(&state_dir.join(DB_FILE))
    }

    /// Opens the database at `path`, creating it if it does not exist, and
    /// migrates it. Refuses a file that is not an agent database.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if std::fs::symlink_metadata(path).is_err() {
            create_fresh(path)?;
        }
        let store = Self::connect(path, Locking::Shared)?;
        if let Err(NotOurs(why)) = store.identify() {
            return Err(StoreError::new(path, why));
        }
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens `state_dir/agent.db` for the agent. Whatever is not this
    /// agent's intact history is moved aside (never deleted) and a new
    /// database starts; the [`Recovery`] says what was lost. See the module
    /// docs for the rules.
    pub fn open_or_recover(state_dir: &Path) -> Result<(Store, Option<Recovery>), StoreError> {
        create_dir(state_dir)?;
        let db = state_dir.join(DB_FILE);
        let head = read_head(state_dir);
        let meta = match std::fs::symlink_metadata(&db) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create_fresh(&db)?;
                let store = Self::connect(&db, Locking::Shared)?;
                store.configure()?;
                store.migrate()?;
                // A database that vanished while its chain.head remains is
                // not a fresh install: the history is gone and must be said so.
                let recovery = head.map(|last| Recovery {
                    moved_to: db.clone(),
                    error: "the database file is missing".into(),
                    last_known: Some(last),
                });
                return Ok((store, recovery));
            }
            Err(e) => return Err(StoreError::new(&db, e.to_string())),
        };
        if !meta.file_type().is_file() {
            let what = if meta.file_type().is_symlink() { "a symbolic link" } else { "not a regular file" };
            return Self::recover(state_dir, format!("{DB_FILE} is {what}"));
        }
        let store = match Self::connect(&db, Locking::Shared) {
            Ok(s) => s,
            Err(e) if e.is_corruption() => return Self::recover(state_dir, e.what),
            Err(e) => return Err(e),
        };
        match store.identify().and_then(|()| store.chain_agrees(head.as_ref())) {
            Ok(()) => {}
            Err(NotOurs(why)) => {
                drop(store);
                return Self::recover(state_dir, why);
            }
        }
        store.configure()?;
        store.migrate()?;
        if head.is_none() {
            // An intact database whose chain.head was lost: write it again.
            store.sync_head();
        }
        Ok((store, None))
    }

    /// Moves the damaged database (and its WAL, shared memory and the
    /// `chain.head` it belonged with) aside under a name never used before,
    /// then starts a fresh one.
    fn recover(state_dir: &Path, error: String) -> Result<(Store, Option<Recovery>), StoreError> {
        let db = state_dir.join(DB_FILE);
        let stamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let taken = |p: &Path| {
            ["", "-wal", "-shm", ".head"]
                .iter()
                .any(|s| std::fs::symlink_metadata(format!("{}{s}", p.display())).is_ok())
        };
        // Never overwrite an earlier corrupt copy (a flapping disk can fail
        // twice within a second).
        let moved_to = (0..1000)
            .map(|n| state_dir.join(format!("{DB_FILE}.corrupt-{stamp}-{}-{n}", std::process::id())))
            .find(|p| !taken(p))
            .ok_or_else(|| {
                StoreError::new(
                    &db,
                    format!("database is unusable ({error}) and there is no free name to move it aside"),
                )
            })?;
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", db.display()));
            if std::fs::symlink_metadata(&from).is_ok() {
                let to = PathBuf::from(format!("{}{suffix}", moved_to.display()));
                std::fs::rename(&from, &to).map_err(|e| {
                    StoreError::new(&from, format!("database is unusable ({error}) and cannot be moved aside: {e}"))
                })?;
            }
        }
        let last_known = read_head(state_dir);
        // Keep the head that described the old chain beside it: the new
        // chain will write its own.
        let head = state_dir.join(HEAD_FILE);
        if std::fs::symlink_metadata(&head).is_ok() {
            let to = PathBuf::from(format!("{}.head", moved_to.display()));
            if let Err(e) = std::fs::rename(&head, &to) {
                log::warn!("cannot keep {} beside the old database: {e}", head.display());
            }
        }
        create_fresh(&db)?;
        let store = Self::connect(&db, Locking::Shared)?;
        store.configure()?;
        store.migrate()?;
        Ok((store, Some(Recovery { moved_to, error, last_known })))
    }

    /// Opens an existing database read-only, without migrating (export,
    /// verify, status). Refuses anything that is not an agent database.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let flags =
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::sqlite(path, e))?;
        let store = Store::from_parts(conn, path, false);
        store.conn.busy_timeout(Duration::from_secs(5)).map_err(|e| store.err(e))?;
        if let Err(NotOurs(why)) = store.identify() {
            return Err(StoreError::new(path, why));
        }
        let version = store.user_version().map_err(|e| store.err(e))?;
        if version < 2 {
            return Err(StoreError::new(
                path,
                format!("an agent database too old to hold evidence (schema {version})"),
            ));
        }
        Ok(store)
    }

    /// Connects without writing anything (a file that is not ours must
    /// stay as it is until it is judged); on a full file system, falls back
    /// to exclusive locking (see the module docs). [`Store::configure`]
    /// comes once the file is known to be ours.
    fn connect(path: &Path, locking: Locking) -> Result<Store, StoreError> {
        let flags =
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::sqlite(path, e))?;
        let store = Store::from_parts(conn, path, locking == Locking::Exclusive);
        let probe = (|| {
            store.conn.busy_timeout(Duration::from_secs(5))?;
            if locking == Locking::Exclusive {
                // Before the first access: then SQLite never needs the -shm file.
                store.conn.execute_batch("PRAGMA locking_mode=EXCLUSIVE;")?;
            }
            // The first read: a WAL database on a file system too full for
            // its shared-memory index fails here, where the fallback is
            // decided.
            store.user_version().map(|_| ())
        })()
        .map_err(|e| store.err(e));
        match probe {
            Ok(()) => Ok(store),
            Err(e) if locking == Locking::Shared && e.is_full() => {
                drop(store);
                log::warn!(
                    "{}: the file system is full ({}); opening it in exclusive mode: evidence waits in memory until space returns, and `status` waits for the agent",
                    path.display(),
                    e.what
                );
                Self::connect(path, Locking::Exclusive)
            }
            Err(e) => Err(e),
        }
    }

    /// The durability settings: WAL, `synchronous=FULL`, foreign keys, a
    /// small page cache.
    fn configure(&self) -> Result<(), StoreError> {
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

    fn user_version(&self) -> rusqlite::Result<i64> {
        self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))
    }

    /// Is this an agent database of a schema we know (or a newer one, which
    /// `migrate` refuses by name)? Checks the application id — or, for
    /// databases made before the id was set, the tables — and the pages.
    fn identify(&self) -> Result<(), NotOurs> {
        let sql = |e: rusqlite::Error| NotOurs(format!("cannot read it as a database: {e}"));
        let app: i64 = self.conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(sql)?;
        let version = self.user_version().map_err(sql)?;
        if app != APPLICATION_ID {
            if app != 0 {
                return Err(NotOurs(format!("not an agent database (application_id {app:#x})")));
            }
            // Made by an agent before the id existed: the schema tells.
            let tables: Vec<String> = {
                let mut stmt = self.conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").map_err(sql)?;
                let rows = stmt.query_map([], |r| r.get(0)).map_err(sql)?;
                rows.collect::<Result<_, _>>().map_err(sql)?
            };
            let expected: &[&str] = if version >= 2 { &CORE_TABLES } else { &CORE_TABLES[..1] };
            let missing: Vec<&str> = expected.iter().copied().filter(|t| !tables.iter().any(|x| x == t)).collect();
            if version < 1 || !missing.is_empty() {
                return Err(NotOurs(if tables.is_empty() {
                    "not an agent database (empty: no schema at all)".to_string()
                } else {
                    format!("not an agent database (schema {version}; tables {tables:?}, missing {missing:?})")
                }));
            }
        }
        self.quick_check().map_err(NotOurs)
    }

    /// `PRAGMA quick_check`: catches page-level corruption at start-up.
    fn quick_check(&self) -> Result<(), String> {
        let mut stmt = self.conn.prepare("PRAGMA quick_check").map_err(|e| e.to_string())?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| e.to_string())?
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        if rows == ["ok"] {
            Ok(())
        } else {
            Err(format!("quick_check: {}", rows.join("; ")))
        }
    }

    /// The chain in the database reaches the seq `chain.head` recorded, with
    /// the same hash there (if that bundle was not pruned).
    fn chain_agrees(&self, head: Option<&ChainTip>) -> Result<(), NotOurs> {
        let Some(head) = head else { return Ok(()) };
        if self.user_version().unwrap_or(0) < 2 {
            return Err(NotOurs(format!(
                "{HEAD_FILE} records seq {} but the database holds no evidence chain",
                head.seq
            )));
        }
        let tip = self.chain_tip().map_err(|e| NotOurs(e.what))?;
        if tip.seq < head.seq {
            return Err(NotOurs(format!(
                "the chain ends at seq {} but {HEAD_FILE} records seq {}: bundles are missing (an older copy?)",
                tip.seq, head.seq
            )));
        }
        let at: Option<String> = self
            .conn
            .query_row("SELECT sha256 FROM bundles WHERE seq = ?1", [head.seq as i64], |r| r.get(0))
            .optional()
            .map_err(|e| NotOurs(e.to_string()))?;
        let same =
            if tip.seq == head.seq { tip.sha256 == head.sha256 } else { at.as_ref().is_none_or(|s| *s == head.sha256) };
        if !same {
            return Err(NotOurs(format!(
                "the bundle at seq {} does not have the hash {HEAD_FILE} records: this is another chain",
                head.seq
            )));
        }
        Ok(())
    }

    /// Applies the migrations this database lacks; refuses a newer schema.
    fn migrate(&self) -> Result<(), StoreError> {
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
    /// Ok(true) when it did. An error leaves the store unusable: the caller
    /// must stop (systemd restarts the agent, which opens it afresh).
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
        let fresh = Self::connect(&self.path, Locking::Shared)?;
        fresh.configure()?;
        self.conn = fresh.conn;
        self.exclusive = fresh.exclusive;
        if !self.exclusive {
            log::info!("{}: space is back; the database is shared with readers again", self.path.display());
        }
        Ok(!self.exclusive)
    }

    /// Checks that the open database is still the file at its path: not
    /// deleted (with its directory, say) and not replaced. Evidence written
    /// into an unlinked file could never be read.
    pub fn still_in_place(&self) -> Result<(), String> {
        let Some((dev, ino)) = self.identity else { return Ok(()) };
        match std::fs::symlink_metadata(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(format!("{} was deleted while the agent had it open", self.path.display()))
            }
            Err(e) => Err(format!("{}: {e}", self.path.display())),
            Ok(m) if m.dev() != dev || m.ino() != ino => {
                Err(format!("{} was replaced by another file while the agent had it open", self.path.display()))
            }
            Ok(m) if m.nlink() == 0 => Err(format!("{} was unlinked", self.path.display())),
            Ok(_) => Ok(()),
        }
    }

    fn from_parts(conn: Connection, path: &Path, exclusive: bool) -> Store {
        let identity = std::fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()));
        Store {
            conn,
            path: path.to_path_buf(),
            exclusive,
            identity,
            overlay: std::cell::RefCell::new(std::collections::BTreeMap::new()),
            head_written: std::cell::Cell::new(None),
        }
    }
}

fn create_dir(state_dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    if std::fs::symlink_metadata(state_dir).is_err() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(state_dir)
            .map_err(|e| StoreError::new(state_dir, format!("cannot create state_dir: {e}")))?;
    }
    Ok(())
}

/// Builds a new, migrated database beside `path` and renames it into place
/// (never over an existing file), so a crash or a full disk can leave a
/// stray temporary, never a zero-length `agent.db`.
fn create_fresh(path: &Path) -> Result<(), StoreError> {
    let tmp = PathBuf::from(format!("{}.new-{}", path.display(), std::process::id()));
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    let result = (|| {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(&tmp, flags).map_err(|e| StoreError::sqlite(&tmp, e))?;
        let store = Store::from_parts(conn, &tmp, false);
        store.configure()?;
        store.migrate()?;
        // Closing checkpoints the WAL into the file and removes it.
        let Store { conn, .. } = store;
        conn.close().map_err(|(_, e)| StoreError::sqlite(&tmp, e))?;
        std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| StoreError::new(&tmp, e.to_string()))?;
        // link(2) fails if `path` appeared meanwhile: never replace a file.
        std::fs::hard_link(&tmp, path).map_err(|e| StoreError::new(path, format!("cannot create: {e}")))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| StoreError::new(dir, e.to_string()))
    })();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    result
}

/// The chain tip recorded in `chain.head` beside the database, if readable.
pub(super) fn read_head(state_dir: &Path) -> Option<ChainTip> {
    let text = crate::fsutil::read_text_capped(&state_dir.join(HEAD_FILE), 256, crate::fsutil::Follow::Never).ok()?;
    let (seq, sha) = text.trim().split_once(' ')?;
    let sha = sha.trim();
    let seq = seq.parse().ok()?;
    (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then(|| ChainTip { seq, sha256: sha.to_string() })
}
