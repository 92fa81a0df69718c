//! The database schema: the migrations, applied in order by `user_version`
//! (`Store::migrate` in [`super::open`] runs them, one transaction each).
//!
//! Migration 4 sets `PRAGMA application_id` to [`super::APPLICATION_ID`]
//! ("CAG1", `0x4341_4731`), which `open` checks to tell our files from any
//! SQLite database. The SQL spells the number in decimal (`1128351537`): a
//! migration is fixed text, and a `const` string cannot embed the constant;
//! a test holds the two equal. A file with `application_id` 0 and the
//! agent's tables was made before migration 4 and is still accepted (and
//! then migrated).
//!
//! Owns: the tables, indexes and `application_id` of every agent database.
//! Must never: change or reorder a migration that has shipped (databases
//! already past it would never see the change; add a new one instead), or
//! drop a table or column that holds evidence, orders or the journal.

/// Schema migrations; index + 1 is the `user_version` after applying it.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: orders seen (replay and duplicate defence, queue of accepted orders).
    "CREATE TABLE orders (
        envelope_sha256 TEXT PRIMARY KEY,
        order_id        TEXT,             -- only once the signature verified
        state           TEXT NOT NULL,    -- queued | running | done | failed | rejected | expired
        reason          TEXT,             -- refusal reason, if refused
        action          TEXT,
        keyid           TEXT,
        expires_at      INTEGER,
        envelope        BLOB,             -- accepted orders only; re-verified before use
        first_seen      INTEGER NOT NULL,
        keep_until      INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX orders_by_id ON orders(order_id) WHERE order_id IS NOT NULL;
    CREATE INDEX orders_by_state ON orders(state);",
    // 2: the evidence chain and outbox, receipts, small state, alert episodes.
    "CREATE TABLE bundles (
        seq         INTEGER PRIMARY KEY,  -- 1, 2, 3 … no gaps (except pruned prefixes)
        bundle_id   TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL,
        sha256      TEXT NOT NULL,        -- hex SHA-256 of bytes
        bytes       BLOB NOT NULL,        -- exactly what was signed and is sent
        signature   BLOB NOT NULL,        -- raw 64-byte Ed25519
        created_ms  INTEGER NOT NULL,
        pushed_ms   INTEGER,              -- set only on a matching receipt
        receipt_at  TEXT                  -- the server's received_at
    ) STRICT;
    CREATE INDEX bundles_unpushed ON bundles(seq) WHERE pushed_ms IS NULL;
    CREATE TABLE chain (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        seq    INTEGER NOT NULL,
        sha256 TEXT NOT NULL
    ) STRICT;
    INSERT INTO chain (id, seq, sha256) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
    CREATE TABLE state (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;
    CREATE TABLE alerts (
        key           TEXT PRIMARY KEY,   -- e.g. mcp_unreachable, drift:services
        reason        TEXT NOT NULL,
        detail        TEXT,
        first_ms      INTEGER NOT NULL,
        last_alert_ms INTEGER NOT NULL
    ) STRICT;",
    // 3: the heal journal: a row is written before a remediation acts and
    // closed in the same transaction as its closing evidence bundle.
    "CREATE TABLE journal (
        id          INTEGER PRIMARY KEY,
        target      TEXT NOT NULL,        -- services:<unit> | backups | logging | patching | firewall
        source      TEXT NOT NULL,        -- drift | order
        envelope    TEXT,                 -- the order's envelope hash, for orders
        snapshot    TEXT NOT NULL,        -- JSON: what rollback and recovery need
        step        TEXT NOT NULL,        -- journaled | acted | verified
        started_ms  INTEGER NOT NULL,
        closed_ms   INTEGER
    ) STRICT;
    CREATE INDEX journal_open ON journal(id) WHERE closed_ms IS NULL;",
    // 4: mark the file as an agent database (store::open::APPLICATION_ID,
    // "CAG1"), and index refusals of envelopes no signature vouched for
    // (their number is capped).
    "PRAGMA application_id = 1128351537;
    CREATE INDEX orders_unsigned ON orders(first_seen) WHERE keyid IS NULL;",
    // 5: the outbox figures without scanning the outbox (`Store::backlog`
    // runs twice a cycle, and a week's outage is 10,000 unpushed bundles):
    // counts kept by triggers, so every insert, receipt and prune changes
    // them in its own transaction, whichever code path it comes from; the
    // oldest unpushed bundle found through an index of the unpushed only.
    "CREATE TABLE outbox (
        id       INTEGER PRIMARY KEY CHECK (id = 1),
        stored   INTEGER NOT NULL,    -- rows in bundles
        unpushed INTEGER NOT NULL     -- rows in bundles with pushed_ms NULL
    ) STRICT;
    INSERT INTO outbox (id, stored, unpushed)
        SELECT 1, count(*), count(*) FILTER (WHERE pushed_ms IS NULL) FROM bundles;
    CREATE TRIGGER outbox_insert AFTER INSERT ON bundles BEGIN
        UPDATE outbox SET stored = stored + 1, unpushed = unpushed + (NEW.pushed_ms IS NULL) WHERE id = 1;
    END;
    CREATE TRIGGER outbox_delete AFTER DELETE ON bundles BEGIN
        UPDATE outbox SET stored = stored - 1, unpushed = unpushed - (OLD.pushed_ms IS NULL) WHERE id = 1;
    END;
    CREATE TRIGGER outbox_push AFTER UPDATE OF pushed_ms ON bundles BEGIN
        UPDATE outbox SET unpushed = unpushed + (NEW.pushed_ms IS NULL) - (OLD.pushed_ms IS NULL) WHERE id = 1;
    END;
    CREATE INDEX bundles_unpushed_age ON bundles(created_ms) WHERE pushed_ms IS NULL;",
];

/// The first schema with the `outbox` counters (migration 5); a database
/// read without migrating (`status`, `evidence verify` on an old copy) may
/// be older.
pub(super) const OUTBOX_SCHEMA: i64 = 5;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::temp_db;
    use crate::store::{Store, APPLICATION_ID};

    #[test]
    fn settings_and_migrations() {
        let (dir, s) = temp_db();
        let mode: String = s.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = s.conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
        let v: i64 = s.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
        drop(s);
        // Reopening is a no-op migration.
        Store::open_in(&dir).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn newer_schema_is_refused() {
        let (dir, s) = temp_db();
        s.conn.pragma_update(None, "user_version", 999).unwrap();
        drop(s);
        let e = Store::open_in(&dir).unwrap_err();
        assert!(e.what.contains("newer"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn migration_4_sets_the_application_id() {
        assert!(MIGRATIONS[3].contains(&format!("PRAGMA application_id = {APPLICATION_ID};")));
        let (dir, s) = temp_db();
        let app: i64 = s.conn.query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
        assert_eq!(app, APPLICATION_ID);
        drop(s);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
