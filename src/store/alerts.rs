//! Alert episodes (the `alerts` table): one row per open condition, with
//! when it started and when evidence about it was last written, so that an
//! alert is written when a condition starts and then at most once per
//! summary interval (docs/evidence.md), never every cycle.
//!
//! Owns: opening, refreshing, listing and closing episodes. Must never:
//! decide when evidence is written (attest does; this records when it
//! was), or let a `%` or `_` in a key prefix act as a `LIKE` wildcard.

use super::connection::Cached;
use super::{Store, StoreError};
use rusqlite::{params, OptionalExtension};

/// An open alert episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEpisode {
    /// Condition key.
    pub key: String,
    /// Evidence reason.
    pub reason: String,
    /// Last detail.
    pub detail: Option<String>,
    /// When the condition was first seen, Unix ms.
    pub first_ms: i64,
    /// When it was last written as evidence, Unix ms.
    pub last_alert_ms: i64,
}

impl Store {
    /// The open alert episode for `key`, if any.
    pub fn alert(&self, key: &str) -> Result<Option<AlertEpisode>, StoreError> {
        self.conn
            .row("SELECT key, reason, detail, first_ms, last_alert_ms FROM alerts WHERE key = ?1", [key], row_to_alert)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Opens or refreshes an alert episode; `alerted` says whether evidence
    /// was written now (then `last_alert_ms` moves).
    pub fn touch_alert(
        &self,
        key: &str,
        reason: &str,
        detail: Option<&str>,
        now_ms: i64,
        alerted: bool,
    ) -> Result<(), StoreError> {
        self.conn
            .exec(
                "INSERT INTO alerts (key, reason, detail, first_ms, last_alert_ms) VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT(key) DO UPDATE SET reason = excluded.reason, detail = excluded.detail,
                   last_alert_ms = CASE WHEN ?5 THEN excluded.last_alert_ms ELSE alerts.last_alert_ms END",
                params![key, reason, detail, now_ms, alerted],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Closes the episodes whose keys start with `prefix`; returns them.
    pub fn clear_alerts(&self, prefix: &str) -> Result<Vec<AlertEpisode>, StoreError> {
        let like = format!("{}%", prefix.replace('%', "").replace('_', "\\_"));
        let open = {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT key, reason, detail, first_ms, last_alert_ms FROM alerts WHERE key LIKE ?1 ESCAPE '\\'",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt.query_map([&like], row_to_alert).map_err(|e| self.err(e))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))?
        };
        self.conn.exec("DELETE FROM alerts WHERE key LIKE ?1 ESCAPE '\\'", [&like]).map_err(|e| self.err(e))?;
        Ok(open)
    }

    /// All open alert episodes.
    pub fn open_alerts(&self) -> Result<Vec<AlertEpisode>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, reason, detail, first_ms, last_alert_ms FROM alerts ORDER BY first_ms")
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], row_to_alert).map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }
}

fn row_to_alert(r: &rusqlite::Row<'_>) -> rusqlite::Result<AlertEpisode> {
    Ok(AlertEpisode {
        key: r.get(0)?,
        reason: r.get(1)?,
        detail: r.get(2)?,
        first_ms: r.get(3)?,
        last_alert_ms: r.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_episodes_open_refresh_and_clear_by_prefix() {
        let dir = std::env::temp_dir().join(format!("store-alerts-{}", std::process::id()));
        let s = Store::open_in(&dir).unwrap();
        s.touch_alert("mcp_unreachable", "mcp_unreachable", Some("x"), 10, true).unwrap();
        s.touch_alert("evidence_backlog", "evidence_backlog", None, 10, true).unwrap();
        s.touch_alert("mcp_unreachable", "mcp_unreachable", Some("y"), 20, false).unwrap();
        let a = s.alert("mcp_unreachable").unwrap().unwrap();
        assert_eq!((a.first_ms, a.last_alert_ms, a.detail.as_deref()), (10, 10, Some("y")));
        // `_` in the prefix is literal, not a LIKE wildcard.
        assert!(s.clear_alerts("mcpXunreachable").unwrap().is_empty());
        assert_eq!(s.clear_alerts("evidence_backlog").unwrap().len(), 1);
        assert_eq!(s.open_alerts().unwrap().len(), 1);
        assert_eq!(s.clear_alerts("mcp_").unwrap().len(), 1);
        assert!(s.open_alerts().unwrap().is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
