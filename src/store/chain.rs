//! The evidence chain and its outbox (docs/evidence.md, "Storage, push
//! and retention"). A bundle's seq, previous hash, bytes, signature and
//! outbox entry commit in one transaction with the new chain tip; the same
//! transaction may delete a pushed prefix (a retention checkpoint) or close
//! a heal's journal row and settle its order (a closing bundle, see
//! [`Closing`]). Flush reads unpushed bundles in seq order and marks one
//! pushed on a matching receipt; status and alerts read the backlog;
//! `chain.head` beside the database follows the tip.
//!
//! Owns: the `bundles` and `chain` tables and the `chain.head` file. Must
//! never: change a stored bundle's bytes, signature or seq, or leave a gap
//! in seq; mark a bundle pushed unless the receipt names the SHA-256 of
//! exactly its bytes; delete an unpushed bundle, or delete pushed ones
//! outside the transaction that writes their prune checkpoint.

use super::connection::Cached;
use super::{Store, StoreError, HEAD_FILE};
use rusqlite::params;
use std::path::Path;

/// A bundle as the chain writer hands it to the store.
#[derive(Debug, Clone)]
pub struct NewBundle {
    /// Unique id.
    pub bundle_id: String,
    /// Bundle kind (for queries and status).
    pub kind: String,
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// Raw Ed25519 signature over `bytes`.
    pub signature: [u8; 64],
    /// Creation time, Unix ms.
    pub created_ms: i64,
}

/// A stored bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBundle {
    /// Position in the chain.
    pub seq: u64,
    /// Unique id.
    pub bundle_id: String,
    /// Bundle kind.
    pub kind: String,
    /// Hex SHA-256 of `bytes`.
    pub sha256: String,
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// Raw signature.
    pub signature: Vec<u8>,
    /// Creation time, Unix ms.
    pub created_ms: i64,
    /// When a matching receipt arrived, Unix ms.
    pub pushed_ms: Option<i64>,
}

/// The end of the chain: the last seq written and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainTip {
    /// 0 before the first bundle.
    pub seq: u64,
    /// 64 zeros before the first bundle.
    pub sha256: String,
}

/// Outbox figures for status and alerts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Backlog {
    /// Bundles without a matching receipt.
    pub unpushed: u64,
    /// Creation time of the oldest of them, Unix ms.
    pub oldest_unpushed_ms: Option<i64>,
    /// Bundles stored locally in all.
    pub stored: u64,
}

/// What a closing bundle settles in the same transaction.
#[derive(Debug, Clone, Copy, Default)]
pub struct Closing<'a> {
    /// The heal journal row to close.
    pub journal: Option<i64>,
    /// An order to move to a final state: (envelope hash, state).
    pub order: Option<(&'a str, &'a str)>,
}

impl Store {
    /// The current chain tip.
    pub fn chain_tip(&self) -> Result<ChainTip, StoreError> {
        self.conn
            .row("SELECT seq, sha256 FROM chain WHERE id = 1", [], |r| {
                Ok(ChainTip { seq: r.get::<_, i64>(0)? as u64, sha256: r.get(1)? })
            })
            .map_err(|e| self.err(e))
    }

    /// Appends one bundle in a single transaction: `build` gets the next seq
    /// and the previous hash and returns the signed bundle; the row, the new
    /// chain tip (and with it the outbox entry) commit together or not at
    /// all. Optionally deletes the pruned prefix `..=prune_through` in the
    /// same transaction (the prune bundle and the deletion are atomic).
    pub fn append_bundle(
        &self,
        prune_through: Option<u64>,
        build: impl FnOnce(u64, &str) -> NewBundle,
    ) -> Result<StoredBundle, StoreError> {
        self.append_bundle_closing(prune_through, None, build)
    }

    /// [`Store::append_bundle`], also closing heal journal row `journal`
    /// (and, for orders, moving the order to a final state) in the same
    /// transaction: a remediation has exactly one closing bundle.
    pub fn append_bundle_closing(
        &self,
        prune_through: Option<u64>,
        journal: Option<&Closing<'_>>,
        build: impl FnOnce(u64, &str) -> NewBundle,
    ) -> Result<StoredBundle, StoreError> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let tip: ChainTip = tx
            .row("SELECT seq, sha256 FROM chain WHERE id = 1", [], |r| {
                Ok(ChainTip { seq: r.get::<_, i64>(0)? as u64, sha256: r.get(1)? })
            })
            .map_err(|e| self.err(e))?;
        let seq = tip.seq + 1;
        let b = build(seq, &tip.sha256);
        let sha256 = crate::encoding::sha256_hex(&b.bytes);
        if let Some(through) = prune_through {
            tx.exec("DELETE FROM bundles WHERE seq <= ?1 AND pushed_ms IS NOT NULL", [through as i64])
                .map_err(|e| self.err(e))?;
        }
        tx.exec(
            "INSERT INTO bundles (seq, bundle_id, kind, sha256, bytes, signature, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![seq as i64, b.bundle_id, b.kind, sha256, b.bytes, &b.signature[..], b.created_ms],
        )
        .map_err(|e| self.err(e))?;
        tx.exec("UPDATE chain SET seq = ?1, sha256 = ?2 WHERE id = 1", params![seq as i64, sha256])
            .map_err(|e| self.err(e))?;
        if let Some(c) = journal {
            if let Some(id) = c.journal {
                let n = tx
                    .exec(
                        "UPDATE journal SET closed_ms = ?2 WHERE id = ?1 AND closed_ms IS NULL",
                        params![id, b.created_ms],
                    )
                    .map_err(|e| self.err(e))?;
                if n != 1 {
                    // Already closed: this would be a second closing bundle.
                    return Err(StoreError::new(&self.path, format!("journal row {id} is not open")));
                }
            }
            if let Some((envelope, state)) = c.order {
                tx.exec("UPDATE orders SET state = ?2 WHERE envelope_sha256 = ?1", params![envelope, state])
                    .map_err(|e| self.err(e))?;
            }
        }
        crate::crashpoint::hit("attest-before-commit");
        tx.commit().map_err(|e| self.err(e))?;
        crate::crashpoint::hit("attest-after-commit");
        Ok(StoredBundle {
            seq,
            bundle_id: b.bundle_id,
            kind: b.kind,
            sha256,
            bytes: b.bytes,
            signature: b.signature.to_vec(),
            created_ms: b.created_ms,
            pushed_ms: None,
        })
    }

    /// Up to `limit` unpushed bundles in seq order, starting after `after`.
    pub fn unpushed(&self, after: u64, limit: usize) -> Result<Vec<StoredBundle>, StoreError> {
        self.bundles_where("WHERE pushed_ms IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2", after, limit)
    }

    /// Bundles with seq > `after`, in order, at most `limit` (export, verify).
    pub fn bundles_after(&self, after: u64, limit: usize) -> Result<Vec<StoredBundle>, StoreError> {
        self.bundles_where("WHERE seq > ?1 ORDER BY seq LIMIT ?2", after, limit)
    }

    fn bundles_where(&self, clause: &str, after: u64, limit: usize) -> Result<Vec<StoredBundle>, StoreError> {
        let sql = format!(
            "SELECT seq, bundle_id, kind, sha256, bytes, signature, created_ms, pushed_ms FROM bundles {clause}"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![after as i64, limit as i64], |r| {
                Ok(StoredBundle {
                    seq: r.get::<_, i64>(0)? as u64,
                    bundle_id: r.get(1)?,
                    kind: r.get(2)?,
                    sha256: r.get(3)?,
                    bytes: r.get(4)?,
                    signature: r.get(5)?,
                    created_ms: r.get(6)?,
                    pushed_ms: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Records a receipt: marks the bundle pushed if `sha256` matches what
    /// was stored. Returns false (and changes nothing) on a mismatch.
    pub fn mark_pushed(
        &self,
        bundle_id: &str,
        sha256: &str,
        received_at: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn
            .exec(
                "UPDATE bundles SET pushed_ms = ?4, receipt_at = ?3 WHERE bundle_id = ?1 AND sha256 = ?2 AND pushed_ms IS NULL",
                params![bundle_id, sha256.to_ascii_lowercase(), received_at, now_ms],
            )
            .map_err(|e| self.err(e))?;
        Ok(n == 1)
    }

    /// Records the receipts of one POST in one transaction (one disk sync
    /// for the batch instead of one per bundle): `mark_pushed` for each
    /// `(bundle_id, sha256, received_at)`, the answers in the same order.
    /// An error rolls back every mark: the bundles stay unpushed and are
    /// sent again, which the MCP takes as a duplicate.
    pub fn mark_pushed_all(&self, receipts: &[(&str, &str, &str)], now_ms: i64) -> Result<Vec<bool>, StoreError> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let mut matched = Vec::with_capacity(receipts.len());
        for (bundle_id, sha256, received_at) in receipts {
            matched.push(self.mark_pushed(bundle_id, sha256, received_at, now_ms)?);
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(matched)
    }

    /// Outbox figures: from the counters the `outbox` triggers keep and
    /// the index of unpushed bundles by age, so the cost does not grow with
    /// the backlog; a database older than those (read without migrating)
    /// is counted the slow way.
    pub fn backlog(&self) -> Result<Backlog, StoreError> {
        let fast = self.user_version().map_err(|e| self.err(e))? >= super::schema::OUTBOX_SCHEMA;
        let sql = if fast {
            "SELECT unpushed, (SELECT min(created_ms) FROM bundles WHERE pushed_ms IS NULL), stored
             FROM outbox WHERE id = 1"
        } else {
            "SELECT (SELECT count(*) FROM bundles WHERE pushed_ms IS NULL),
                    (SELECT min(created_ms) FROM bundles WHERE pushed_ms IS NULL),
                    (SELECT count(*) FROM bundles)"
        };
        self.conn
            .row(sql, [], |r| {
                Ok(Backlog {
                    unpushed: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                    oldest_unpushed_ms: r.get(1)?,
                    stored: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                })
            })
            .map_err(|e| self.err(e))
    }

    /// The longest prefix of the chain that is pushed and created before
    /// `before_ms`: `(first seq, last seq, last sha256)`, or None.
    pub fn prunable_prefix(&self, before_ms: i64) -> Result<Option<(u64, u64, String)>, StoreError> {
        let first: Option<i64> =
            self.conn.row("SELECT min(seq) FROM bundles", [], |r| r.get(0)).map_err(|e| self.err(e))?;
        let Some(first) = first else { return Ok(None) };
        // The first bundle that must stay: unpushed, or too young.
        let stop: Option<i64> = self
            .conn
            .row("SELECT min(seq) FROM bundles WHERE pushed_ms IS NULL OR created_ms >= ?1", [before_ms], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let last = match stop {
            Some(s) => s - 1,
            None => {
                self.conn.row("SELECT max(seq) FROM bundles", [], |r| r.get::<_, i64>(0)).map_err(|e| self.err(e))?
            }
        };
        if last < first {
            return Ok(None);
        }
        let sha: String = self
            .conn
            .row("SELECT sha256 FROM bundles WHERE seq = ?1", [last], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        Ok(Some((first as u64, last as u64, sha)))
    }

    /// Writes `chain.head` beside the database (atomically, fsync'd) so a
    /// replacement chain can name where this one ended.
    pub fn write_head(&self, tip: &ChainTip) -> std::io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        crate::fsutil::write_atomic(&dir.join(HEAD_FILE), format!("{} {}\n", tip.seq, tip.sha256).as_bytes(), 0o600)?;
        self.head_written.set(Some(tip.seq));
        Ok(())
    }

    /// Brings `chain.head` up to the chain tip if bundles were appended
    /// since it was last written (by Attest, a heal's closing bundle, a
    /// prune checkpoint — whichever path appended them). Called once per
    /// cycle: the file trails the tip by at most one cycle after a crash,
    /// which the start-up check allows.
    pub fn sync_head(&self) {
        let Ok(tip) = self.chain_tip() else { return };
        if tip.seq == 0 || self.head_written.get() == Some(tip.seq) {
            return;
        }
        if let Err(e) = self.write_head(&tip) {
            log::warn!("cannot update {}: {e}", HEAD_FILE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::temp_db;

    fn bundle(seq: u64) -> NewBundle {
        NewBundle {
            bundle_id: format!("b-{seq}"),
            kind: "cycle".into(),
            bytes: format!("bundle {seq}").into_bytes(),
            signature: [0u8; 64],
            created_ms: 1_000 + seq as i64,
        }
    }

    /// The figures as a scan of every row finds them.
    fn scanned(s: &Store) -> Backlog {
        s.conn
            .query_row(
                "SELECT (SELECT count(*) FROM bundles WHERE pushed_ms IS NULL),
                        (SELECT min(created_ms) FROM bundles WHERE pushed_ms IS NULL),
                        (SELECT count(*) FROM bundles)",
                [],
                |r| {
                    Ok(Backlog {
                        unpushed: r.get::<_, i64>(0)? as u64,
                        oldest_unpushed_ms: r.get(1)?,
                        stored: r.get::<_, i64>(2)? as u64,
                    })
                },
            )
            .unwrap()
    }

    fn push(s: &Store, seq: u64) -> bool {
        let sha = crate::encoding::sha256_hex(format!("bundle {seq}").as_bytes());
        s.mark_pushed(&format!("b-{seq}"), &sha, "2026-11-26T00:00:00Z", 5_000).unwrap()
    }

    #[test]
    fn the_outbox_counters_follow_inserts_receipts_prunes_and_rollbacks() {
        let (dir, s) = temp_db();
        assert_eq!(s.backlog().unwrap(), Backlog::default());
        for _ in 0..10 {
            s.append_bundle(None, |seq, _| bundle(seq)).unwrap();
        }
        assert_eq!(s.backlog().unwrap(), Backlog { unpushed: 10, oldest_unpushed_ms: Some(1_001), stored: 10 });
        for seq in [1, 2, 3, 7] {
            assert!(push(&s, seq));
        }
        // A second receipt for the same bundle changes nothing.
        assert!(!push(&s, 2));
        assert_eq!(s.backlog().unwrap(), Backlog { unpushed: 6, oldest_unpushed_ms: Some(1_004), stored: 10 });
        // A prune through seq 5 deletes only the pushed 1..=3; 7 stays.
        s.append_bundle(Some(5), |seq, _| bundle(seq)).unwrap();
        assert_eq!(s.backlog().unwrap(), Backlog { unpushed: 7, oldest_unpushed_ms: Some(1_004), stored: 8 });
        // A transaction that fails (the journal row is not open) leaves
        // the counters where the rows are.
        let closing = Closing { journal: Some(999), order: None };
        assert!(s.append_bundle_closing(Some(10), Some(&closing), |seq, _| bundle(seq)).is_err());
        assert_eq!(s.backlog().unwrap(), scanned(&s));
        for seq in 4..=11 {
            push(&s, seq);
        }
        assert_eq!(s.backlog().unwrap(), Backlog { unpushed: 0, oldest_unpushed_ms: None, stored: 8 });
        assert_eq!(s.backlog().unwrap(), scanned(&s));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn one_posts_receipts_are_marked_together_and_each_answered() {
        let (dir, s) = temp_db();
        for _ in 0..4 {
            s.append_bundle(None, |seq, _| bundle(seq)).unwrap();
        }
        let sha = |seq: u64| crate::encoding::sha256_hex(format!("bundle {seq}").as_bytes());
        let (s1, s3) = (sha(1), sha(3));
        let at = "2026-11-26T00:00:00Z";
        // Bundle 2's receipt names other bytes; bundle 9 does not exist.
        let receipts =
            [("b-1", s1.as_str(), at), ("b-2", s3.as_str(), at), ("b-3", s3.as_str(), at), ("b-9", &*s1, at)];
        assert_eq!(s.mark_pushed_all(&receipts, 5_000).unwrap(), vec![true, false, true, false]);
        assert_eq!(s.backlog().unwrap(), Backlog { unpushed: 2, oldest_unpushed_ms: Some(1_002), stored: 4 });
        assert_eq!(s.backlog().unwrap(), scanned(&s));
        // Again: nothing left to mark.
        assert_eq!(s.mark_pushed_all(&receipts, 6_000).unwrap(), vec![false; 4]);
        assert_eq!(s.mark_pushed_all(&[], 6_000).unwrap(), Vec::<bool>::new());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn migration_5_counts_what_an_older_database_already_holds() {
        let (dir, s) = temp_db();
        for _ in 0..5 {
            s.append_bundle(None, |seq, _| bundle(seq)).unwrap();
        }
        push(&s, 2);
        // Back to schema 4, as an earlier agent left it.
        s.conn
            .execute_batch(
                "DROP TRIGGER outbox_insert; DROP TRIGGER outbox_delete; DROP TRIGGER outbox_push;
                 DROP INDEX bundles_unpushed_age; DROP TABLE outbox; PRAGMA user_version = 4;",
            )
            .unwrap();
        // Unmigrated (a read-only look), the figures are still right.
        assert_eq!(s.backlog().unwrap(), Backlog { unpushed: 4, oldest_unpushed_ms: Some(1_001), stored: 5 });
        drop(s);
        let s = Store::open_in(&dir).unwrap();
        assert_eq!(s.user_version().unwrap(), crate::store::MIGRATIONS.len() as i64);
        assert_eq!(s.backlog().unwrap(), Backlog { unpushed: 4, oldest_unpushed_ms: Some(1_001), stored: 5 });
        s.append_bundle(None, |seq, _| bundle(seq)).unwrap();
        assert_eq!(s.backlog().unwrap(), scanned(&s));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
