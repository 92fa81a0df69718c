//! Opening the database, and deciding whether what is on disk is this
//! agent's history.
//!
//! ```text
//!  agent.db missing ── chain.head, or a WAL/journal left behind? ── yes ─► loss
//!        │                                                      └─ no ──► fresh install
//!  agent.db present ─► judged read-only: ours? (application_id, schema,
//!                      quick_check, chain tip agrees with chain.head)
//!        ├─ yes ─────────► open read-write (migrate if older)
//!        ├─ newer schema ► refuse (never touched)
//!        ├─ cannot tell (I/O error, locked) ► refuse to start (never a loss)
//!        └─ no ──────────► loss
//!  loss: the file and its -wal/-shm/-journal are moved aside (never
//!        deleted), chain.head is copied beside them and left in place
//!        until the new chain's first bundle (a store_corrupt alert, written
//!        by the agent at start) replaces it.
//! ```
//!
//! Anything that is not exactly this agent's database with an intact chain
//! is loss, never a fresh start: a zero-length file, a valid SQLite file of
//! another schema, a database whose chain ends before the seq `chain.head`
//! recorded (an older copy restored over it), one whose bundle at that seq
//! has another hash (another appliance's chain), a symlink. The file is
//! judged through a read-only connection, so judging never changes it (a
//! read-write connection would checkpoint its WAL into it on close). A new
//! database is built under a temporary name in rollback-journal mode,
//! checked, and linked into place, so the agent never leaves a zero-length
//! or half-written `agent.db` behind; after a loss it already holds the
//! replay watermark (`orders.not_before`).
//!
//! When the file system is full, opening normally fails (SQLite cannot size
//! the `-shm` file). The store then opens in exclusive locking mode, which
//! keeps the WAL index in memory: reads work, writes fail with "disk full"
//! and the agent keeps its evidence in memory until space returns (see
//! [`Store::degraded`]). `status` cannot read the database meanwhile.
//!
//! Must never: delete or overwrite a database or `chain.head` it did not
//! just create, write to a file before judging it, or follow a symlink
//! planted in the state directory.

use super::{ChainTip, Store, StoreError, DB_FILE, HEAD_FILE, MIGRATIONS, ORDERS_NOT_BEFORE};
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

/// The files SQLite keeps beside a database.
const SIDECARS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// What a corrupt database was replaced by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Where the unusable database (and whatever SQLite kept beside it) now
    /// is; None when there was nothing to move (the file was missing).
    pub moved_to: Option<PathBuf>,
    /// Why it was unreadable.
    pub error: String,
    /// The last chain tip recorded beside it (`chain.head`), if any.
    pub last_known: Option<ChainTip>,
}

/// How the connection locks the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Locking {
    /// WAL with a shared-memory index: readers (`status`) work alongside.
    Shared,
    /// The file system is full: the WAL index lives in this process's
    /// memory, other readers wait.
    Exclusive,
}

/// The verdict on a file that could not be accepted.
enum Judged {
    /// Not this agent's intact history: loss.
    NotOurs(String),
    /// Could not tell (an I/O error, a lock): start-up stops, nothing moves.
    Failed(StoreError),
}

/// What `chain.head` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Head {
    /// No such file: no history was ever recorded here.
    Absent,
    /// The last seq and hash recorded.
    At(ChainTip),
    /// A file that cannot be read or parsed: history existed.
    Unreadable(String),
}

impl Head {
    fn tip(&self) -> Option<&ChainTip> {
        match self {
            Head::At(t) => Some(t),
            _ => None,
        }
    }
}

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
            create_fresh(path, None)?;
        }
        match judge(path, &Head::Absent) {
            Ok(()) => {}
            Err(Judged::NotOurs(why)) => return Err(StoreError::new(path, why)),
            Err(Judged::Failed(e)) => return Err(e),
        }
        Self::writable(path)
    }

    /// Opens `state_dir/agent.db` for the agent. Whatever is not this
    /// agent's intact history is moved aside (never deleted) and a new
    /// database starts; the [`Recovery`] says what was lost. See the module
    /// docs for the rules.
    pub fn open_or_recover(state_dir: &Path) -> Result<(Store, Option<Recovery>), StoreError> {
        create_dir(state_dir)?;
        let db = state_dir.join(DB_FILE);
        let head = read_head(state_dir);
        let sidecars: Vec<String> = SIDECARS
            .iter()
            .filter(|s| std::fs::symlink_metadata(sidecar(&db, s)).is_ok())
            .map(|s| s.to_string())
            .collect();
        let meta = match std::fs::symlink_metadata(&db) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A database that vanished while its chain.head (or its WAL)
                // remains is not a fresh install: the history is gone and
                // must be said so.
                if head != Head::Absent || !sidecars.is_empty() {
                    let mut why = "the database file is missing".to_string();
                    if !sidecars.is_empty() {
                        why.push_str(&format!(" ({} left behind)", sidecars.join(", ")));
                    }
                    return Self::recover(state_dir, why, &head);
                }
                create_fresh(&db, None)?;
                return Ok((Self::writable(&db)?, None));
            }
            Err(e) => return Err(StoreError::new(&db, e.to_string())),
        };
        if !meta.file_type().is_file() {
            let what = if meta.file_type().is_symlink() { "a symbolic link" } else { "not a regular file" };
            return Self::recover(state_dir, format!("{DB_FILE} is {what}"), &head);
        }
        for s in &sidecars {
            let p = sidecar(&db, s);
            let odd = std::fs::symlink_metadata(&p).map(|m| !m.file_type().is_file()).unwrap_or(false);
            if odd || s == "-journal" {
                // Our database is always in WAL mode: a rollback journal, or
                // a sidecar that is not a plain file, was put there by
                // something else.
                return Self::recover(
                    state_dir,
                    format!("{} is beside it, not written by this agent", p.display()),
                    &head,
                );
            }
        }
        if let Head::Unreadable(why) = &head {
            log::warn!("{HEAD_FILE}: {why}; the database is judged without it and the file is written again");
        }
        match judge(&db, &head) {
            Ok(()) => {}
            Err(Judged::NotOurs(why)) => return Self::recover(state_dir, why, &head),
            Err(Judged::Failed(e)) => return Err(e),
        }
        let store = Self::writable(&db)?;
        if head.tip().is_none() {
            // An intact database whose chain.head was lost: write it again.
            store.sync_head();
        }
        Ok((store, None))
    }

    /// Moves the damaged database and its -wal, -shm and -journal aside
    /// under a name never used before, keeps a copy of `chain.head` beside
    /// them (the original stays until the new chain's first bundle replaces
    /// it, so a crash before then is detected again), and starts a fresh
    /// database that already refuses orders issued before now.
    fn recover(state_dir: &Path, error: String, head: &Head) -> Result<(Store, Option<Recovery>), StoreError> {
        let db = state_dir.join(DB_FILE);
        let stamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let taken = |p: &Path| {
            ["", "-wal", "-shm", "-journal", ".head"]
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
        let mut moved = false;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let from = sidecar(&db, suffix);
            if std::fs::symlink_metadata(&from).is_ok() {
                let to = sidecar(&moved_to, suffix);
                std::fs::rename(&from, &to).map_err(|e| {
                    StoreError::new(&from, format!("database is unusable ({error}) and cannot be moved aside: {e}"))
                })?;
                moved = true;
            }
        }
        let head_file = state_dir.join(HEAD_FILE);
        if let Ok(bytes) = crate::fsutil::read_capped(&head_file, 256, crate::fsutil::Follow::Never) {
            let copy = sidecar(&moved_to, ".head");
            if let Err(e) = crate::fsutil::write_atomic(&copy, &bytes, 0o600) {
                log::warn!("cannot keep a copy of {} beside the old database: {e}", head_file.display());
            }
        }
        let now = i64::try_from(stamp).unwrap_or(i64::MAX);
        create_fresh(&db, Some(now))?;
        let store = Self::writable(&db)?;
        Ok((store, Some(Recovery { moved_to: moved.then_some(moved_to), error, last_known: head.tip().cloned() })))
    }

    /// Opens an existing database read-only, without migrating (export,
    /// verify, status). Refuses anything that is not an agent database.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let store = connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY, Locking::Shared)?;
        match store.identify() {
            Ok(()) => {}
            Err(Judged::NotOurs(why)) => return Err(StoreError::new(path, why)),
            Err(Judged::Failed(e)) => return Err(e),
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

    /// The read-write connection of a database judged ours: durability
    /// settings, then migrations (a newer schema is refused).
    fn writable(path: &Path) -> Result<Store, StoreError> {
        let store = connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE, Locking::Shared)?;
        store.configure()?;
        store.migrate()?;
        Ok(store)
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
    fn identify(&self) -> Result<(), Judged> {
        let app: i64 = self.conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(|e| self.judged(e))?;
        let version = self.user_version().map_err(|e| self.judged(e))?;
        if app != APPLICATION_ID {
            if app != 0 {
                return Err(Judged::NotOurs(format!("not an agent database (application_id {app:#x})")));
            }
            // Made by an agent before the id existed: the schema tells.
            let tables: Vec<String> = (|| {
                let mut stmt = self.conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect::<Result<_, _>>()
            })()
            .map_err(|e| self.judged(e))?;
            let expected: &[&str] = if version >= 2 { &CORE_TABLES } else { &CORE_TABLES[..1] };
            let missing: Vec<&str> = expected.iter().copied().filter(|t| !tables.iter().any(|x| x == t)).collect();
            if version < 1 || !missing.is_empty() {
                return Err(Judged::NotOurs(if tables.is_empty() {
                    "not an agent database (empty: no schema at all)".to_string()
                } else {
                    format!("not an agent database (schema {version}; tables {tables:?}, missing {missing:?})")
                }));
            }
        }
        let rows: Vec<String> = (|| {
            let mut stmt = self.conn.prepare("PRAGMA quick_check")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()
        })()
        .map_err(|e| self.judged(e))?;
        if rows == ["ok"] {
            Ok(())
        } else {
            Err(Judged::NotOurs(format!("quick_check: {}", rows.join("; "))))
        }
    }

    /// Damage is loss; anything else (I/O, locks, memory) is "cannot tell".
    fn judged(&self, e: rusqlite::Error) -> Judged {
        let err = self.err(e);
        if err.is_corruption() {
            Judged::NotOurs(format!("cannot read it as a database: {}", err.what))
        } else {
            Judged::Failed(err)
        }
    }

    /// The chain in the database reaches the seq `chain.head` recorded, with
    /// the same hash there (if that bundle was not pruned).
    fn chain_agrees(&self, head: &Head) -> Result<(), Judged> {
        let Head::At(head) = head else { return Ok(()) };
        if self.user_version().map_err(|e| self.judged(e))? < 2 {
            return Err(Judged::NotOurs(format!(
                "{HEAD_FILE} records seq {} but the database holds no evidence chain",
                head.seq
            )));
        }
        let tip =
            self.chain_tip()
                .map_err(|e| if e.is_corruption() { Judged::NotOurs(e.what) } else { Judged::Failed(e) })?;
        if tip.seq < head.seq {
            return Err(Judged::NotOurs(format!(
                "the chain ends at seq {} but {HEAD_FILE} records seq {}: bundles are missing (an older copy?)",
                tip.seq, head.seq
            )));
        }
        let at: Option<String> = self
            .conn
            .query_row("SELECT sha256 FROM bundles WHERE seq = ?1", [head.seq as i64], |r| r.get(0))
            .optional()
            .map_err(|e| self.judged(e))?;
        let same =
            if tip.seq == head.seq { tip.sha256 == head.sha256 } else { at.as_ref().is_none_or(|s| *s == head.sha256) };
        if !same {
            return Err(Judged::NotOurs(format!(
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

    fn from_parts(conn: Connection, path: &Path, exclusive: bool) -> Store {
        let identity = std::fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()));
        Store {
            conn,
            path: path.to_path_buf(),
            exclusive,
            poisoned: false,
            identity,
            overlay: std::cell::RefCell::new(std::collections::BTreeMap::new()),
            head_written: std::cell::Cell::new(None),
        }
    }
}

/// Connects without writing anything; on a file system too full for the
/// WAL index, falls back to exclusive locking (see the module docs).
fn connect(path: &Path, access: OpenFlags, locking: Locking) -> Result<Store, StoreError> {
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
fn connect_once(path: &Path, access: OpenFlags, locking: Locking) -> Result<Store, StoreError> {
    let flags = access | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_NOFOLLOW;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::sqlite(path, e))?;
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

/// Judges the file at `path` through a read-only connection, which can
/// neither write it nor checkpoint its WAL into it. A read-only connection
/// cannot open a WAL database on a file system too full for its index; then
/// a read-write one in exclusive mode judges, with checkpoint-on-close off,
/// so closing it leaves the file and its WAL as they were.
fn judge(path: &Path, head: &Head) -> Result<(), Judged> {
    let failed = |e: StoreError| if e.is_corruption() { Judged::NotOurs(e.what) } else { Judged::Failed(e) };
    let store = match connect_once(path, OpenFlags::SQLITE_OPEN_READ_ONLY, Locking::Shared) {
        Ok(s) => s,
        Err(e) if e.is_full() => {
            let s = connect_once(path, OpenFlags::SQLITE_OPEN_READ_WRITE, Locking::Exclusive).map_err(failed)?;
            s.conn
                .set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
                .map_err(|e| Judged::Failed(s.err(e)))?;
            s
        }
        Err(e) => return Err(failed(e)),
    };
    store.identify()?;
    store.chain_agrees(head)
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", db.display()))
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

/// Builds a new, migrated database beside `path` and links it into place
/// (never over an existing file). It is built in rollback-journal mode, so
/// once committed and closed the one file holds everything; it is checked
/// before it is linked. A crash or a full disk leaves a stray temporary,
/// never a zero-length or half-written `agent.db`. `not_before` (after a
/// loss) is stored in it from the start: orders issued earlier are refused.
fn create_fresh(path: &Path, not_before: Option<i64>) -> Result<(), StoreError> {
    let tmp = PathBuf::from(format!("{}.new-{}", path.display(), std::process::id()));
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(sidecar(&tmp, suffix));
    }
    let result = (|| {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        let conn = Connection::open_with_flags(&tmp, flags).map_err(|e| StoreError::sqlite(&tmp, e))?;
        let store = Store::from_parts(conn, &tmp, false);
        store.conn.execute_batch("PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;").map_err(|e| store.err(e))?;
        store.migrate()?;
        if let Some(t) = not_before {
            store
                .conn
                .execute("INSERT INTO state (key, value) VALUES (?1, ?2)", [ORDERS_NOT_BEFORE, &t.to_string()])
                .map_err(|e| store.err(e))?;
        }
        let Store { conn, .. } = store;
        conn.close().map_err(|(_, e)| StoreError::sqlite(&tmp, e))?;
        if let Some(s) = ["-wal", "-journal"].iter().find(|s| std::fs::symlink_metadata(sidecar(&tmp, s)).is_ok()) {
            return Err(StoreError::new(&tmp, format!("the new database left a {s} file behind; not using it")));
        }
        // Read it back: the file alone must be a complete agent database.
        let check = connect(&tmp, OpenFlags::SQLITE_OPEN_READ_ONLY, Locking::Shared)?;
        let complete = check.identify().is_ok()
            && check.user_version().ok() == Some(MIGRATIONS.len() as i64)
            && not_before.is_none_or(|t| check.get_state(ORDERS_NOT_BEFORE).ok().flatten() == Some(t.to_string()));
        drop(check);
        if !complete {
            return Err(StoreError::new(&tmp, "the new database does not read back complete (disk full?)"));
        }
        std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| StoreError::new(&tmp, e.to_string()))?;
        // link(2) fails if `path` appeared meanwhile: never replace a file.
        std::fs::hard_link(&tmp, path).map_err(|e| StoreError::new(path, format!("cannot create: {e}")))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| StoreError::new(dir, e.to_string()))
    })();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(sidecar(&tmp, suffix));
    }
    result
}

/// What `chain.head` beside the database says.
pub(super) fn read_head(state_dir: &Path) -> Head {
    let path = state_dir.join(HEAD_FILE);
    let text = match crate::fsutil::read_text_capped(&path, 256, crate::fsutil::Follow::Never) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Head::Absent,
        Err(e) => return Head::Unreadable(format!("{}: {e}", path.display())),
    };
    let parsed = text.trim().split_once(' ').and_then(|(seq, sha)| {
        let sha = sha.trim();
        let seq = seq.parse().ok()?;
        (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| ChainTip { seq, sha256: sha.to_string() })
    });
    match parsed {
        Some(t) => Head::At(t),
        None => Head::Unreadable(format!("{} is not `<seq> <sha256>`", path.display())),
    }
}
