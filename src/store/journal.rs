//! The remediation journal (docs/healing.md): a row is written before a
//! remediation acts, records the step it reached, and is closed by the
//! remediation's closing evidence bundle in the same transaction
//! ([`Store::append_bundle_closing`], in `chain`). Rows never closed are
//! what a crash or kill left half done; heal recovers them at the next
//! start.
//!
//! Owns: opening journal rows, their steps, and listing the open ones. Must
//! never: close a row here (only its closing bundle does, so a remediation
//! has exactly one), or delete or rewrite a row's snapshot (recovery and
//! rollback read it).

use super::connection::Cached;
use super::{Store, StoreError};
use rusqlite::params;

/// An open (or just opened) heal journal row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    /// Row id.
    pub id: i64,
    /// What is being remediated.
    pub target: String,
    /// `drift` or `order`.
    pub source: String,
    /// The order's envelope hash, for orders.
    pub envelope: Option<String>,
    /// JSON snapshot.
    pub snapshot: String,
    /// Last step reached.
    pub step: String,
    /// When it began.
    pub started_ms: i64,
}

impl Store {
    /// Opens a journal row before a remediation acts.
    pub fn journal_open(
        &self,
        target: &str,
        source: &str,
        envelope: Option<&str>,
        snapshot: &str,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        self.conn
            .exec(
                "INSERT INTO journal (target, source, envelope, snapshot, step, started_ms) VALUES (?1, ?2, ?3, ?4, 'journaled', ?5)",
                params![target, source, envelope, snapshot, now_ms],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records the step a remediation reached.
    pub fn journal_step(&self, id: i64, step: &str) -> Result<(), StoreError> {
        self.conn
            .exec("UPDATE journal SET step = ?2 WHERE id = ?1", params![id, step])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Journal rows never closed (a crash or kill mid-remediation).
    pub fn journal_open_rows(&self) -> Result<Vec<JournalRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, target, source, envelope, snapshot, step, started_ms FROM journal WHERE closed_ms IS NULL ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(JournalRow {
                    id: r.get(0)?,
                    target: r.get(1)?,
                    source: r.get(2)?,
                    envelope: r.get(3)?,
                    snapshot: r.get(4)?,
                    step: r.get(5)?,
                    started_ms: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }
}
