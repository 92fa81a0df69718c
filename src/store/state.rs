//! Small key-value state (the `state` table): what other modules keep
//! between cycles, such as the replay watermark
//! [`super::ORDERS_NOT_BEFORE`], heal attempt counters and the refusal
//! window. A value the file system refuses because it is full is kept in
//! memory (the store's overlay), read back from there first, and written by
//! [`Store::write_pending_state`] once space returns.
//!
//! Owns: the `state` table and its in-memory overlay. Must never: fail a
//! write only because the disk is full (the value waits in memory), serve
//! the database's value while a newer one waits in memory, or hide any
//! other error.

use super::connection::Cached;
use super::{Store, StoreError};
use rusqlite::OptionalExtension;

impl Store {
    /// A small state value (one the file system refused is read from
    /// memory).
    pub fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        if let Some(v) = self.overlay.borrow().get(key) {
            return Ok(Some(v.clone()));
        }
        self.conn.row("SELECT value FROM state WHERE key = ?1", [key], |r| r.get(0)).optional().map_err(|e| self.err(e))
    }

    /// Sets a small state value. When the file system is full the value is
    /// kept in memory (and read back from there) until
    /// [`Store::write_pending_state`] manages to store it.
    pub fn set_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        match self.write_state(key, value) {
            Ok(()) => {
                self.overlay.borrow_mut().remove(key);
                Ok(())
            }
            Err(e) if e.is_full() => {
                self.overlay.borrow_mut().insert(key.to_string(), value.to_string());
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn write_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO state (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut stmt| stmt.execute([key, value]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Writes the state values kept in memory while the file system was
    /// full, in one transaction. Returns how many are still waiting.
    pub fn write_pending_state(&self) -> usize {
        let pending: Vec<(String, String)> =
            self.overlay.borrow().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        if pending.is_empty() {
            return 0;
        }
        let written = (|| {
            let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
            for (k, v) in &pending {
                self.write_state(k, v)?;
            }
            tx.commit().map_err(|e| self.err(e))
        })();
        if written.is_ok() {
            self.overlay.borrow_mut().clear();
        }
        self.overlay.borrow().len()
    }
}
