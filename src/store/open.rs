//! Opening the database, and deciding whether what is on disk is this
//! agent's history.
//!
//! ```text
//!  agent.db missing ── chain.head, or a WAL/journal left behind? ── yes ─► loss
//!        │                                                      └─ no ──► fresh install
//!  agent.db present ─► judged read-only: ours? (application_id, schema,
//!                      header fits the file, quick_check when due,
//!                      chain tip agrees with chain.head)
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

use super::connection::{connect, Cached, Locking};
use super::integrity;
use super::judge::{judge, read_head, Head, Judged};
use super::{ChainTip, Store, StoreError, DB_FILE, HEAD_FILE, MIGRATIONS, ORDERS_NOT_BEFORE};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};

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
        match judge(path, &Head::Absent, true) {
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
        let now = integrity::now_secs();
        let last_check = integrity::last_check(state_dir, &meta, now);
        match judge(&db, &head, last_check.is_none()) {
            Ok(()) => {}
            Err(Judged::NotOurs(why)) => return Self::recover(state_dir, why, &head),
            Err(Judged::Failed(e)) => return Err(e),
        }
        // From here the file changes: only a clean close vouches for it
        // again (`writable` removes the record).
        let store = Self::writable(&db)?;
        store.checked_at.set(Some(last_check.unwrap_or(now)));
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
    /// verify, status), and without creating or changing a file: while an
    /// agent has it open (its `-wal` and `-shm` exist) through the shared
    /// WAL index, so what the agent committed is seen; otherwise as an
    /// immutable file (a read-only connection would leave a `-wal` and
    /// `-shm` behind). Refuses anything that is not an agent database, or
    /// whose `quick_check` fails (`verify` and `export` read every bundle;
    /// checking every page first costs them little).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        Self::read_only(path, true)
    }

    /// [`Store::open_read_only`] without `quick_check` (`status`, `check`,
    /// `plan`: a look at a few rows, whose cost must not grow with the
    /// database). Damage on a page it reads is still an error on that read.
    pub fn open_to_look(path: &Path) -> Result<Store, StoreError> {
        Self::read_only(path, false)
    }

    fn read_only(path: &Path, full: bool) -> Result<Store, StoreError> {
        let in_use =
            [sidecar(path, "-wal"), sidecar(path, "-shm")].iter().all(|p| std::fs::symlink_metadata(p).is_ok());
        let locking = if in_use { Locking::Shared } else { Locking::Immutable };
        let store = connect(path, OpenFlags::SQLITE_OPEN_READ_ONLY, locking)?;
        match store.identify().and_then(|()| if full { store.quick_check() } else { Ok(()) }) {
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
    /// Every way here passed a full check or made the file anew; the
    /// agent's start ([`Store::open_or_recover`]) may say otherwise.
    pub(super) fn writable(path: &Path) -> Result<Store, StoreError> {
        integrity::forget(path.parent().unwrap_or(Path::new(".")));
        let store = connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE, Locking::Shared)?;
        store.checked_at.set(Some(integrity::now_secs()));
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }
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
                .exec("INSERT INTO state (key, value) VALUES (?1, ?2)", [ORDERS_NOT_BEFORE, &t.to_string()])
                .map_err(|e| store.err(e))?;
        }
        let Store { conn, .. } = store;
        conn.close().map_err(|(_, e)| StoreError::sqlite(&tmp, e))?;
        if let Some(s) = ["-wal", "-journal"].iter().find(|s| std::fs::symlink_metadata(sidecar(&tmp, s)).is_ok()) {
            return Err(StoreError::new(&tmp, format!("the new database left a {s} file behind; not using it")));
        }
        // Read it back: the file alone must be a complete agent database.
        let check = connect(&tmp, OpenFlags::SQLITE_OPEN_READ_ONLY, Locking::Shared)?;
        let complete = check.identify().and_then(|()| check.quick_check()).is_ok()
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
