//! Judging a database file: is it this agent's intact history? Its
//! `application_id` (or, for databases made before it, the agent's tables),
//! a header that fits the file, a clean `quick_check` when one is due
//! ([`super::integrity`] says when), and a chain that reaches the seq and
//! hash in `chain.head`. Only damage or a mismatch is loss; an I/O error or a lock
//! is "cannot tell" and stops the start.
//!
//! Owns: the verdict and reading `chain.head`. Must never: write to the
//! file it judges (it is judged through a read-only connection, or without
//! checkpoint-on-close on a full disk).

use super::connection::{connect_once, Cached, Locking};
use super::{ChainTip, Store, StoreError, HEAD_FILE};
use rusqlite::{OpenFlags, OptionalExtension};
use std::path::Path;

/// `PRAGMA application_id` of an agent database ("CAG1"): what makes a
/// SQLite file ours rather than any database that happens to parse.
pub const APPLICATION_ID: i64 = 0x4341_4731;

/// Tables every agent database has from schema 2 on.
pub(super) const CORE_TABLES: [&str; 4] = ["orders", "bundles", "chain", "state"];

/// The verdict on a file that could not be accepted.
pub(super) enum Judged {
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
    pub(super) fn tip(&self) -> Option<&ChainTip> {
        match self {
            Head::At(t) => Some(t),
            _ => None,
        }
    }
}

impl Store {
    /// Is this an agent database of a schema we know (or a newer one, which
    /// `migrate` refuses by name)? Checks the application id — or, for
    /// databases made before the id was set, the tables — and the pages.
    pub(super) fn identify(&self) -> Result<(), Judged> {
        let app: i64 = self.conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(|e| self.judged(e))?;
        let version = self.user_version().map_err(|e| self.judged(e))?;
        if app != APPLICATION_ID {
            if app != 0 {
                return Err(Judged::NotOurs(format!("not an agent database (application_id {app:#x})")));
            }
            // Made by an agent before the id existed: the schema tells.
            let tables: Vec<String> = (|| {
                let mut stmt = self.conn.prepare_cached("SELECT name FROM sqlite_master WHERE type = 'table'")?;
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
        Ok(())
    }

    /// `PRAGMA quick_check`: every page of the file is read and the
    /// structure of every table and index checked (not that indexes match
    /// their tables). Its cost grows with the database (about 150 ms at
    /// 100,000 bundles), so the agent runs it only when due (see
    /// [`super::integrity`]).
    pub(super) fn quick_check(&self) -> Result<(), Judged> {
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

    /// The header's page count fits the file: a file shorter than the
    /// pages its header claims was truncated (a copy cut short). Only
    /// meaningful with no `-wal` beside it (pages may live in the WAL).
    fn header_agrees(&self, file_len: u64) -> Result<(), Judged> {
        let pages: i64 = self.conn.row("PRAGMA page_count", [], |r| r.get(0)).map_err(|e| self.judged(e))?;
        let size: i64 = self.conn.row("PRAGMA page_size", [], |r| r.get(0)).map_err(|e| self.judged(e))?;
        let want = u64::try_from(pages.saturating_mul(size)).unwrap_or(0);
        if file_len < want {
            return Err(Judged::NotOurs(format!(
                "the file is {file_len} bytes but its header counts {pages} pages of {size} bytes: it was cut short"
            )));
        }
        Ok(())
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
            .row("SELECT sha256 FROM bundles WHERE seq = ?1", [head.seq as i64], |r| r.get(0))
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
}

/// Judges the file at `path` through a read-only connection, which can
/// neither write it nor checkpoint its WAL into it. A read-only connection
/// cannot open a WAL database on a file system too full for its index; then
/// a read-write one in exclusive mode judges, with checkpoint-on-close off,
/// so closing it leaves the file and its WAL as they were.
///
/// `full`: also `quick_check` (every page). Without it, the header, the
/// schema, the chain tip and the bundle `chain.head` names are read, and
/// the file's length is checked against its header when no `-wal` is
/// beside it.
pub(super) fn judge(path: &Path, head: &Head, full: bool) -> Result<(), Judged> {
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
    let wal = std::fs::symlink_metadata(format!("{}-wal", path.display())).is_ok();
    if !wal {
        let len =
            std::fs::symlink_metadata(path).map_err(|e| Judged::Failed(StoreError::new(path, e.to_string())))?.len();
        store.header_agrees(len)?;
    }
    if full {
        store.quick_check()?;
    }
    store.chain_agrees(head)
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
