//! Orders the agent has seen: the replay and duplicate defence (every
//! envelope by its hash, every verified order id), the queue of accepted
//! orders, claiming one before it runs, the orders a crash left running, and
//! forgetting rows whose time has passed.
//!
//! Owns: the `orders` table. Must never: forget a queued or running order,
//! or a verified envelope's row before its `keep_until` (replay defence
//! rests on them); overwrite a remembered envelope (a second insert is an
//! error); claim an order that is not `queued` (an order runs at most once);
//! hand back an envelope as trusted (the caller verifies it again).

use super::connection::Cached;
use super::{Store, StoreError};
use rusqlite::{params, OptionalExtension};

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

/// An order waiting to run, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedOrder {
    /// Hex SHA-256 of the envelope.
    pub envelope_sha256: String,
    /// The envelope bytes, to be verified again before use.
    pub envelope: Vec<u8>,
}

/// An order that was running when the agent died.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterruptedOrder {
    /// Hex SHA-256 of the envelope.
    pub envelope_sha256: String,
    /// The order id.
    pub order_id: Option<String>,
    /// The action name.
    pub action: Option<String>,
}

impl Store {
    /// True if this exact envelope was seen before.
    pub fn envelope_seen(&self, envelope_sha256: &str) -> Result<bool, StoreError> {
        self.conn
            .row("SELECT 1 FROM orders WHERE envelope_sha256 = ?1", [envelope_sha256], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(|e| self.err(e))
    }

    /// True if a verified envelope with this order id but a different hash
    /// was seen before.
    pub fn order_id_seen_with_other_bytes(&self, order_id: &str, envelope_sha256: &str) -> Result<bool, StoreError> {
        self.conn
            .row(
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
            .exec(
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
            .prepare_cached("SELECT envelope_sha256, envelope FROM orders WHERE state = 'queued' AND envelope IS NOT NULL ORDER BY first_seen, rowid")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok(QueuedOrder { envelope_sha256: r.get(0)?, envelope: r.get(1)? }))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Claims a queued order for execution: `queued` → `running`. False if
    /// it was not queued (already claimed, finished or refused).
    pub fn claim_order(&self, envelope_sha256: &str) -> Result<bool, StoreError> {
        self.conn
            .exec(
                "UPDATE orders SET state = 'running' WHERE envelope_sha256 = ?1 AND state = 'queued'",
                [envelope_sha256],
            )
            .map(|n| n == 1)
            .map_err(|e| self.err(e))
    }

    /// Orders left `running` by a process that died mid-action, marked
    /// `failed` (they are never run again).
    pub fn fail_interrupted_orders(&self) -> Result<Vec<InterruptedOrder>, StoreError> {
        let rows = {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT envelope_sha256, order_id, action FROM orders WHERE state = 'running'
                     AND envelope_sha256 NOT IN (SELECT envelope FROM journal WHERE closed_ms IS NULL AND envelope IS NOT NULL)",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(InterruptedOrder { envelope_sha256: r.get(0)?, order_id: r.get(1)?, action: r.get(2)? })
                })
                .map_err(|e| self.err(e))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))?
        };
        self.conn
            .exec(
                "UPDATE orders SET state = 'failed' WHERE state = 'running'
                 AND envelope_sha256 NOT IN (SELECT envelope FROM journal WHERE closed_ms IS NULL AND envelope IS NOT NULL)",
                [],
            )
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Moves an order to a new state (`running`, `done`, `failed`, `expired`).
    pub fn set_order_state(&self, envelope_sha256: &str, state: &str) -> Result<(), StoreError> {
        self.conn
            .exec("UPDATE orders SET state = ?2 WHERE envelope_sha256 = ?1", [envelope_sha256, state])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The state of an order by envelope hash.
    pub fn order_state(&self, envelope_sha256: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .row("SELECT state FROM orders WHERE envelope_sha256 = ?1", [envelope_sha256], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Keeps at most `max` rows of envelopes no signature vouched for
    /// (`keyid` unset), forgetting the oldest. Their rows only spare a
    /// re-listed junk envelope a second report; replay defence rests on the
    /// rows of envelopes whose signature verified, which this never touches.
    pub fn cap_unsigned_orders(&self, max: u64) -> Result<usize, StoreError> {
        self.conn
            .prepare_cached(
                "DELETE FROM orders WHERE keyid IS NULL AND rowid IN (
                   SELECT rowid FROM orders WHERE keyid IS NULL ORDER BY first_seen DESC, rowid DESC
                   LIMIT -1 OFFSET ?1)",
            )
            .and_then(|mut stmt| stmt.execute([max as i64]))
            .map_err(|e| self.err(e))
    }

    /// Forgets finished order rows whose `keep_until` has passed. Queued
    /// orders are kept until they ran or were recorded as expired.
    pub fn prune_orders(&self, now: i64) -> Result<usize, StoreError> {
        self.conn
            .exec("DELETE FROM orders WHERE keep_until < ?1 AND state NOT IN ('queued', 'running')", [now])
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::temp_db;

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

    #[test]
    fn unsigned_refusals_are_capped_and_verified_orders_never_touched() {
        let dir = std::env::temp_dir().join(format!("store-unsigned-{}", std::process::id()));
        let s = Store::open_in(&dir).unwrap();
        fn row<'a>(hash: &'a str, id: Option<&'a str>, keyid: Option<&'a str>, t: i64) -> SeenOrder<'a> {
            SeenOrder {
                envelope_sha256: hash,
                order_id: id,
                state: "rejected",
                reason: Some("unknown_key"),
                action: None,
                keyid,
                expires_at: None,
                envelope: None,
                now: t,
                keep_until: t + 1000,
            }
        }
        s.remember_order(&row("signed", Some("o-1"), Some("k"), 0)).unwrap();
        // Signed, but its payload was refused before an order id was read.
        s.remember_order(&row("signed-malformed", None, Some("k"), 0)).unwrap();
        for i in 0..10 {
            s.remember_order(&row(&format!("junk-{i}"), None, None, i)).unwrap();
        }
        assert_eq!(s.cap_unsigned_orders(4).unwrap(), 6);
        // The newest four junk rows and both signed envelopes remain.
        assert!(s.envelope_seen("signed").unwrap() && s.envelope_seen("signed-malformed").unwrap());
        assert!(s.envelope_seen("junk-9").unwrap() && s.envelope_seen("junk-6").unwrap());
        assert!(!s.envelope_seen("junk-5").unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
