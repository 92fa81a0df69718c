//! When the whole database file is checked. `PRAGMA quick_check` reads
//! every page: about 150 ms at 100,000 bundles, most of a start. It runs:
//!
//! - **at start**, when the file may have changed since it was last known
//!   good: no record of a clean close (`agent.db.clean` beside it is
//!   missing or unreadable — the last run crashed, was killed, lost its
//!   database, or was an older agent), a `-wal` beside it, the file's
//!   device, inode, size, modification or change time differ from what the
//!   clean close recorded (replaced, restored, edited, written by anything
//!   else), or the last full check is 24 hours old or more (or in the
//!   future: the clock was set back);
//! - **while the agent runs**, at the first cycle 24 hours after the last
//!   full check (the daemon; a `--once` run at start, by the rule above).
//!
//! Every start, checked or not, reads the header, the schema and
//! `application_id`, checks that the file is not shorter than the pages
//! its header counts, and that the chain reaches the seq and hash in
//! `chain.head` ([`super::judge`]). Damage found at start is loss (moved
//! aside, a new chain starting with a `store_corrupt` alert); damage found
//! by the scheduled check stops the agent (`store_lost`, exit 74) without
//! recording a clean close, so the restart checks it in full and recovers.
//! Damage on a page SQLite reads meanwhile is reported by SQLite itself
//! ("database disk image is malformed") on that read.
//!
//! Owns: the `agent.db.clean` file. Must never: skip the check for a file
//! it cannot tie to a clean close by this agent, or follow a symlink.

use super::{Store, DB_FILE};
use std::path::Path;

/// The record of the last clean close, beside the database.
pub const CLEAN_FILE: &str = "agent.db.clean";

/// How often the whole file is checked, at most this long apart.
pub const INTERVAL_SECS: i64 = 24 * 60 * 60;

/// A last check this far in the future is believed (clock steps of a few
/// minutes); beyond it the clock was set back and the check is due.
const FUTURE_SLACK_SECS: i64 = 300;

pub(super) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What identifies the file's contents without reading them.
fn identity(meta: &std::fs::Metadata) -> String {
    crate::fsutil::content_identity(meta)
}

fn due(last: i64, now: i64) -> bool {
    now.saturating_sub(last) >= INTERVAL_SECS || last > now.saturating_add(FUTURE_SLACK_SECS)
}

/// When the database `meta` describes was last checked in full, if that
/// check still vouches for it (see the module docs); None: check it now.
pub(super) fn last_check(state_dir: &Path, meta: &std::fs::Metadata, now: i64) -> Option<i64> {
    let db = state_dir.join(DB_FILE);
    if ["-wal", "-journal"].iter().any(|s| std::fs::symlink_metadata(format!("{}{s}", db.display())).is_ok()) {
        return None;
    }
    let text = crate::fsutil::read_text_capped(&state_dir.join(CLEAN_FILE), 256, crate::fsutil::Follow::Never).ok()?;
    let mut lines = text.lines();
    let (recorded, checked) = (lines.next()?, lines.next()?.parse::<i64>().ok()?);
    (lines.next().is_none() && recorded == identity(meta) && !due(checked, now)).then_some(checked)
}

/// Removes the record of a clean close: from now on the file changes.
pub(super) fn forget(state_dir: &Path) {
    let path = state_dir.join(CLEAN_FILE);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        // It then no longer matches the file, which changes on every write.
        Err(e) => log::warn!("cannot remove {}: {e}", path.display()),
    }
}

/// Writes the record a clean close would write for the database in
/// `state_dir` as it is now, last checked in full at `checked_secs`: for
/// tests of damage that leaves the file's metadata unchanged (a silent disk
/// fault), which a test cannot otherwise produce. The agent never calls it.
#[doc(hidden)]
pub fn vouch_for_tests(state_dir: &Path, checked_secs: i64) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(state_dir.join(DB_FILE))?;
    std::fs::write(state_dir.join(CLEAN_FILE), format!("{}\n{checked_secs}\n", identity(&meta)))
}

impl Store {
    /// True when the last full check of this database is [`INTERVAL_SECS`]
    /// old (or the clock was set back past it).
    pub fn integrity_due(&self, now_secs: i64) -> bool {
        self.checked_at.get().is_none_or(|last| due(last, now_secs))
    }

    /// The scheduled full check: `quick_check` through this connection
    /// (the file and its WAL as the agent sees them). Err names the damage;
    /// the store then records no clean close ([`Store::close`]). An I/O
    /// error or a lock cannot tell: logged, and tried again next time.
    pub fn check_integrity(&self, now_secs: i64) -> Result<(), String> {
        match self.quick_check() {
            Ok(()) => {
                self.checked_at.set(Some(now_secs));
                log::info!("{}: quick_check ok", self.path.display());
                Ok(())
            }
            Err(super::judge::Judged::NotOurs(why)) => {
                self.damaged.set(true);
                Err(format!("{}: the database is damaged ({why})", self.path.display()))
            }
            Err(super::judge::Judged::Failed(e)) => {
                log::warn!("cannot check the database: {e}; trying again next cycle");
                Ok(())
            }
        }
    }

    /// Closes the database and, when this process left it intact and in
    /// place (not damaged, not replaced, no `-wal` left because another
    /// reader held it), records the clean close in `agent.db.clean`: the
    /// file's identity and when it was last checked in full. The next
    /// start then skips `quick_check` while both still hold.
    pub fn close(self) {
        let intact = !self.damaged.get() && self.still_in_place().is_ok();
        let checked = self.checked_at.get();
        let path = self.path.clone();
        let Store { conn, .. } = self;
        if let Err((_, e)) = conn.close() {
            log::warn!("{}: closing: {e}", path.display());
            return;
        }
        let (Some(checked), true) = (checked, intact) else { return };
        let dir = path.parent().unwrap_or(Path::new("."));
        if std::fs::symlink_metadata(format!("{}-wal", path.display())).is_ok() {
            return;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else { return };
        if !meta.file_type().is_file() {
            return;
        }
        let record = format!("{}\n{checked}\n", identity(&meta));
        if let Err(e) = crate::fsutil::write_atomic(&dir.join(CLEAN_FILE), record.as_bytes(), 0o600) {
            log::warn!("cannot record the clean close in {}: {e}", dir.join(CLEAN_FILE).display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewBundle;
    use std::io::{Seek, SeekFrom, Write};
    use std::path::PathBuf;

    fn dir(tag: &str) -> PathBuf {
        std::env::temp_dir().join(format!("integrity-{tag}-{}-{}", std::process::id(), crate::rand::u64()))
    }

    /// A closed-cleanly store of 300 bundles of 3 KB (about 250 pages).
    fn big_store(tag: &str) -> PathBuf {
        let d = dir(tag);
        let (s, r) = Store::open_or_recover(&d).unwrap();
        assert!(r.is_none());
        for _ in 0..300 {
            s.append_bundle(None, |seq, _| NewBundle {
                bundle_id: format!("b-{seq}"),
                kind: "cycle".into(),
                bytes: vec![b'x'; 3000],
                signature: [0u8; 64],
                created_ms: 1_000 + seq as i64,
            })
            .unwrap();
        }
        s.sync_head();
        s.close();
        assert!(d.join(CLEAN_FILE).exists(), "a clean close is recorded");
        d
    }

    /// Overwrites the page in the middle of the file, as a disk fault would.
    fn damage_middle_page(d: &Path) {
        let db = d.join(DB_FILE);
        let len = std::fs::metadata(&db).unwrap().len();
        let page = (len / 4096) / 2;
        let mut f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
        f.seek(SeekFrom::Start(page * 4096)).unwrap();
        f.write_all(&[0xA5; 4096]).unwrap();
        f.sync_all().unwrap();
    }

    /// Writes the record a clean close would have written for the file as
    /// it is now, checked at `checked`: damage that left no trace in the
    /// file's metadata (a silent disk fault).
    fn vouch(d: &Path, checked: i64) {
        vouch_for_tests(d, checked).unwrap();
    }

    #[test]
    fn a_damaged_page_the_start_did_not_read_is_caught_by_the_daily_check() {
        let d = big_store("daily");
        damage_middle_page(&d);
        let now = now_secs();
        vouch(&d, now - 60);
        // The start trusts the clean close and reads only the header,
        // schema and chain tip: it opens.
        let (s, r) = Store::open_or_recover(&d).unwrap();
        assert!(r.is_none(), "{r:?}");
        assert!(!d.join(CLEAN_FILE).exists(), "the record is removed once the file may change");
        // Not due until 24 hours after the last full check; then found.
        assert!(!s.integrity_due(now));
        assert!(s.integrity_due(now - 60 + INTERVAL_SECS));
        let e = s.check_integrity(now - 60 + INTERVAL_SECS).unwrap_err();
        assert!(e.contains("the database is damaged"), "{e}");
        // No clean close is recorded for a damaged file: the next start
        // checks it in full and it is loss.
        s.close();
        assert!(!d.join(CLEAN_FILE).exists());
        let (_s, r) = Store::open_or_recover(&d).unwrap();
        let r = r.expect("the damaged database is moved aside");
        assert!(r.error.contains("quick_check") || r.error.contains("malformed"), "{}", r.error);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn the_start_checks_in_full_whatever_the_clean_close_does_not_vouch_for() {
        let now = now_secs();
        // Each case: damage, then what makes the record not vouch for it.
        type Spoil = fn(&Path, i64);
        let cases: [(&str, Spoil); 6] = [
            // The file changed after the clean close (its ctime moved).
            ("changed", |_, _| {}),
            ("stale", |d, now| vouch(d, now - INTERVAL_SECS - 1)),
            ("future", |d, now| vouch(d, now + 3600)),
            ("wal", |d, now| {
                vouch(d, now);
                std::fs::write(format!("{}-wal", d.join(DB_FILE).display()), b"").unwrap();
            }),
            ("missing", |d, _| std::fs::remove_file(d.join(CLEAN_FILE)).unwrap()),
            ("symlink", |d, now| {
                vouch(d, now);
                let elsewhere = d.join("elsewhere");
                std::fs::rename(d.join(CLEAN_FILE), &elsewhere).unwrap();
                std::os::unix::fs::symlink(&elsewhere, d.join(CLEAN_FILE)).unwrap();
            }),
        ];
        for (tag, spoil) in cases {
            let d = big_store(tag);
            damage_middle_page(&d);
            spoil(&d, now);
            let (_s, r) = Store::open_or_recover(&d).unwrap();
            let r = r.unwrap_or_else(|| panic!("{tag}: the damage was not found at start"));
            assert!(r.error.contains("quick_check") || r.error.contains("malformed"), "{tag}: {}", r.error);
            std::fs::remove_dir_all(&d).unwrap();
        }
    }

    #[test]
    fn an_intact_database_closed_cleanly_reopens_without_a_full_check_and_is_vouched_for_again() {
        let d = big_store("intact");
        let (s, r) = Store::open_or_recover(&d).unwrap();
        assert!(r.is_none());
        let now = now_secs();
        assert!(!s.integrity_due(now));
        assert!(s.check_integrity(now).is_ok());
        s.close();
        let text = std::fs::read_to_string(d.join(CLEAN_FILE)).unwrap();
        assert_eq!(text.lines().nth(1), Some(now.to_string().as_str()), "{text}");
        // A file cut short is found at every start, checked in full or not.
        let db = d.join(DB_FILE);
        let len = std::fs::metadata(&db).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(&db).unwrap().set_len(len - 8192).unwrap();
        vouch(&d, now);
        let (_s, r) = Store::open_or_recover(&d).unwrap();
        let r = r.expect("a truncated database is loss");
        assert!(r.error.contains("cut short") || r.error.contains("malformed"), "{}", r.error);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
