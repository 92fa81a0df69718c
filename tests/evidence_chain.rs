//! The evidence chain through the library: bundles, the chain, the outbox
//! with receipts, back-off, retention, alert episodes, a full disk, and the
//! verifier catching every kind of tampering.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::checks::CheckName;
use compliance_agent::encoding::sha256_hex;
use compliance_agent::evidence::attest::{Attestor, Writer};
use compliance_agent::evidence::flush::{flush, FlushLimits, MAX_BATCH_ITEMS};
use compliance_agent::evidence::retention::prune;
use compliance_agent::evidence::verify::verify_db;
use compliance_agent::evidence::{Kind, Outcome, Record};
use compliance_agent::keys::SigningKey;
use compliance_agent::mcp::{EvidenceItem, McpError, Receipt, Transport};
use compliance_agent::store::Store;
use std::cell::RefCell;
use std::time::Duration;
use support::simhost::TempDir;

const T0: i64 = 1_795_305_600_000; // 2026-11-22T00:00:00Z
const DAY: i64 = 86_400_000;

fn key() -> SigningKey {
    SigningKey::from_seed(support::env::EVIDENCE_SEED)
}

fn writer() -> Writer {
    support::env::test_writer(vec![CheckName::Services])
}

fn store() -> (TempDir, Store) {
    let dir = TempDir::new("evidence-chain");
    let s = Store::open_in(&dir.path().join("state")).unwrap();
    (dir, s)
}

fn rec(i: usize, t: i64) -> Record {
    Record::new(Kind::Order, Outcome::Success, t).reason("test").detail(format!("record {i}"))
}

fn fill(s: &Store, w: &Writer, n: usize, t: i64) {
    for i in 0..n {
        w.append(s, &rec(i, t), None, t).unwrap();
    }
}

/// A fake MCP that receipts what it gets (optionally wrongly or failing).
#[derive(Default)]
struct FakeMcp {
    batches: RefCell<Vec<Vec<EvidenceItem>>>,
    fail: RefCell<bool>,
    wrong_for: RefCell<Option<String>>,
}

impl Transport for FakeMcp {
    fn fetch_orders(&self) -> Result<Vec<Vec<u8>>, McpError> {
        Ok(vec![])
    }
    fn post_evidence(&self, items: &[EvidenceItem]) -> Result<Vec<Receipt>, McpError> {
        if *self.fail.borrow() {
            return Err(McpError::Connect("refused".into()));
        }
        self.batches.borrow_mut().push(items.to_vec());
        Ok(items
            .iter()
            .map(|i| {
                let bytes = compliance_agent::encoding::base64_decode(&i.bundle).unwrap();
                let sha = if self.wrong_for.borrow().as_deref() == Some(i.bundle_id.as_str()) {
                    "0".repeat(64)
                } else {
                    sha256_hex(&bytes)
                };
                Receipt {
                    bundle_id: i.bundle_id.clone(),
                    sha256: sha,
                    received_at: "2026-11-22T00:00:00Z".into(),
                    keyid: None,
                    signature: None,
                }
            })
            .collect())
    }
}

fn limits() -> FlushLimits {
    FlushLimits {
        batch_items: 256,
        max_per_flush: 100_000,
        time_budget: Duration::from_secs(600),
        backoff_initial: Duration::from_secs(30),
        backoff_max: Duration::from_secs(600),
    }
}

#[test]
fn bundles_chain_and_verify() {
    let (_d, s) = store();
    let w = writer();
    fill(&s, &w, 40, T0);
    let all = s.bundles_after(0, 1000).unwrap();
    assert_eq!(all.iter().map(|b| b.seq).collect::<Vec<_>>(), (1..=40).collect::<Vec<_>>());
    let first: serde_json::Value = serde_json::from_slice(&all[0].bytes).unwrap();
    assert_eq!(first["prev_sha256"], "0".repeat(64));
    assert_eq!(first["schema"], "compliance-agent/evidence/v1");
    for pair in all.windows(2) {
        let next: serde_json::Value = serde_json::from_slice(&pair[1].bytes).unwrap();
        assert_eq!(next["prev_sha256"], pair[0].sha256);
    }
    let v = verify_db(s.path(), key().public()).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    assert_eq!(v.checked, 40);
    // The wrong key fails every bundle.
    let v = verify_db(s.path(), SigningKey::from_seed([8u8; 32]).public()).unwrap();
    assert_eq!(v.problems.len(), 40);
}

#[test]
fn bundle_fields_per_design() {
    let (_d, s) = store();
    let w = writer();
    let mut r = Record::new(Kind::Remediation, Outcome::Reverted, T0).reason("health_check_failed");
    r.check = Some(CheckName::Services);
    r.finished_ms = T0 + 1500;
    let b = w.append(&s, &r, None, T0).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&b.bytes).unwrap();
    for field in [
        "schema",
        "bundle_id",
        "seq",
        "prev_sha256",
        "site_id",
        "appliance_id",
        "deployment_mode",
        "agent",
        "kind",
        "check",
        "controls",
        "order",
        "outcome",
        "reason",
        "started_at",
        "finished_at",
        "clock",
        "pre_state",
        "post_state",
        "actions",
        "results",
    ] {
        assert!(v.get(field).is_some(), "bundle lacks {field}: {v}");
    }
    assert_eq!(v["kind"], "remediation");
    assert_eq!(v["outcome"], "reverted");
    assert_eq!(v["check"], "services");
    assert_eq!(
        v["controls"],
        serde_json::json!(["164.308(a)(7)(ii)(B)", "164.308(a)(7)(ii)(C)", "164.308(a)(1)(ii)(D)"])
    );
    assert_eq!(v["nist_controls"], serde_json::json!(["CP-10", "SI-4"]));
    assert_eq!(v["started_at"], "2026-11-22T00:00:00.000Z");
    assert_eq!(v["finished_at"], "2026-11-22T00:00:01.500Z");
    assert!(v["clock"]["synchronized"].is_boolean());
    assert_eq!(v["agent"]["version"], "test");
    // Compact serialisation: the stored bytes are exactly what serde_json writes.
    assert_eq!(serde_json::to_vec(&v).unwrap().len(), b.bytes.len());
}

#[test]
fn flush_batches_receipts_and_backoff() {
    let (_d, s) = store();
    let w = writer();
    fill(&s, &w, 600, T0);
    let mcp = FakeMcp::default();
    *mcp.wrong_for.borrow_mut() = Some(s.bundles_after(9, 1).unwrap()[0].bundle_id.clone());
    let r = flush(&s, &mcp, &limits(), T0, false).unwrap();
    assert_eq!(r.pushed, 599);
    assert_eq!(r.mismatched, 1);
    assert!(mcp.batches.borrow().iter().all(|b| b.len() <= MAX_BATCH_ITEMS));
    assert_eq!(mcp.batches.borrow().len(), 3);
    // In seq order, each bundle once.
    let sent: Vec<String> = mcp.batches.borrow().iter().flatten().map(|i| i.bundle_id.clone()).collect();
    let stored: Vec<String> = s.bundles_after(0, 1000).unwrap().into_iter().map(|b| b.bundle_id).collect();
    assert_eq!(sent, stored);
    // The mismatched one stays unpushed and is re-sent next time.
    assert_eq!(s.backlog().unwrap().unpushed, 1);
    *mcp.wrong_for.borrow_mut() = None;
    let r = flush(&s, &mcp, &limits(), T0, false).unwrap();
    assert_eq!((r.pushed, r.batches), (1, 1));
    assert_eq!(s.backlog().unwrap().unpushed, 0);

    // A failure backs off; a forced flush (the MCP answered a poll) does not wait.
    fill(&s, &w, 3, T0);
    *mcp.fail.borrow_mut() = true;
    let r = flush(&s, &mcp, &limits(), T0, false).unwrap();
    assert!(r.error.is_some());
    let r = flush(&s, &mcp, &limits(), T0 + 1000, false).unwrap();
    assert!(r.backing_off);
    *mcp.fail.borrow_mut() = false;
    let r = flush(&s, &mcp, &limits(), T0 + 1000, false).unwrap();
    assert!(r.backing_off, "still inside the back-off window");
    let r = flush(&s, &mcp, &limits(), T0 + 31_000, false).unwrap();
    assert_eq!(r.pushed, 3, "back-off of at most 30 s after one failure");
}

#[test]
fn flush_respects_rate_and_byte_limits() {
    let (_d, s) = store();
    let w = writer();
    // Big bundles: about 60 KiB each, so 1 MiB holds far fewer than 256.
    for i in 0..40 {
        let mut r = rec(i, T0);
        r.pre_state = Some(serde_json::Value::String("x".repeat(60_000)));
        w.append(&s, &r, None, T0).unwrap();
    }
    let mcp = FakeMcp::default();
    let lim = FlushLimits { max_per_flush: 30, ..limits() };
    let r = flush(&s, &mcp, &lim, T0, false).unwrap();
    assert_eq!(r.pushed, 30);
    assert!(r.budget_exhausted);
    for b in mcp.batches.borrow().iter() {
        let body = serde_json::to_vec(b).unwrap();
        assert!(body.len() <= 1 << 20, "batch of {} bytes", body.len());
    }
    let r = flush(&s, &mcp, &lim, T0, false).unwrap();
    assert_eq!(r.pushed, 10);
    assert!(!r.budget_exhausted);
}

#[test]
fn retention_prunes_only_pushed_old_bundles_and_the_chain_still_verifies() {
    let (_d, s) = store();
    let w = writer();
    fill(&s, &w, 20, T0); // old
    fill(&s, &w, 10, T0 + 40 * DAY); // young
    let mcp = FakeMcp::default();
    // Push only the first 15.
    let lim = FlushLimits { max_per_flush: 15, ..limits() };
    flush(&s, &mcp, &lim, T0, false).unwrap();
    let now = T0 + 41 * DAY;
    let checkpoint = prune(&s, &w, now, 30).unwrap().expect("something to prune");
    assert_eq!(checkpoint.seq, 31);
    let remaining: Vec<u64> = s.bundles_after(0, 100).unwrap().iter().map(|b| b.seq).collect();
    assert_eq!(remaining, (16..=31).collect::<Vec<_>>(), "unpushed 16..20 must stay although old");
    let v = verify_db(s.path(), key().public()).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    // Nothing more is prunable until more is pushed.
    assert!(prune(&s, &w, now, 30).unwrap().is_none());
    // Push the rest, age everything, prune again: the newest prune
    // checkpoint explains the new start.
    flush(&s, &mcp, &limits(), now, true).unwrap();
    let later = now + 60 * DAY;
    let cp = prune(&s, &w, later, 30).unwrap().unwrap();
    let remaining: Vec<u64> = s.bundles_after(0, 100).unwrap().iter().map(|b| b.seq).collect();
    assert_eq!(remaining, vec![cp.seq]);
    let v = verify_db(s.path(), key().public()).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
}

#[test]
fn deleting_a_prefix_without_a_checkpoint_is_detected() {
    let (_d, s) = store();
    fill(&s, &writer(), 10, T0);
    let path = s.path().to_path_buf();
    drop(s);
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute("DELETE FROM bundles WHERE seq <= 3", []).unwrap();
    let v = verify_db(&path, key().public()).unwrap();
    assert!(!v.ok());
    assert!(v.problems.iter().any(|p| p.contains("starts at seq 4")), "{:?}", v.problems);
}

#[test]
fn tampering_in_the_database_is_detected() {
    for attack in ["edit", "delete", "swap", "resign", "truncate"] {
        let (_d, s) = store();
        fill(&s, &writer(), 10, T0);
        let path = s.path().to_path_buf();
        drop(s);
        let c = rusqlite::Connection::open(&path).unwrap();
        match attack {
            "edit" => {
                let b: Vec<u8> = c.query_row("SELECT bytes FROM bundles WHERE seq = 5", [], |r| r.get(0)).unwrap();
                let edited = String::from_utf8(b).unwrap().replace("record 4", "record X");
                c.execute("UPDATE bundles SET bytes = ?1 WHERE seq = 5", [edited.as_bytes()]).unwrap();
            }
            "delete" => {
                c.execute("DELETE FROM bundles WHERE seq = 5", []).unwrap();
            }
            "truncate" => {
                // The newest bundles removed: only the chain tip can tell.
                c.execute("DELETE FROM bundles WHERE seq > 7", []).unwrap();
            }
            "swap" => {
                c.execute_batch(
                    "UPDATE bundles SET seq = 100 WHERE seq = 5; UPDATE bundles SET seq = 5 WHERE seq = 6; UPDATE bundles SET seq = 6 WHERE seq = 100;",
                )
                .unwrap();
            }
            _ => {
                // Edit and re-sign with another key: the signature check fails.
                let other = SigningKey::from_seed([9u8; 32]);
                let b: Vec<u8> = c.query_row("SELECT bytes FROM bundles WHERE seq = 5", [], |r| r.get(0)).unwrap();
                let edited = String::from_utf8(b).unwrap().replace("record 4", "record Y").into_bytes();
                let sig = other.sign(&edited);
                c.execute("UPDATE bundles SET bytes = ?1, signature = ?2 WHERE seq = 5", (&edited, &sig[..])).unwrap();
            }
        }
        let v = verify_db(&path, key().public()).unwrap();
        assert!(!v.ok(), "{attack} went unnoticed");
    }
}

#[test]
fn persisting_alerts_are_written_once_per_interval() {
    let (_d, s) = store();
    let mut a = Attestor::new(writer(), 3600);
    for minute in 0..120 {
        let t = T0 + minute * 60_000;
        a.queue([Record::alert("mcp_unreachable", "mcp_unreachable", "connect: refused", t)]);
        a.attest(&s, t);
    }
    // Minute 0 and minute 60.
    assert_eq!(s.chain_tip().unwrap().seq, 2);
    // Once the condition clears, a new failure alerts at once.
    s.clear_alerts("mcp_").unwrap();
    a.queue([Record::alert("mcp_unreachable", "mcp_unreachable", "again", T0 + 121 * 60_000)]);
    let r = a.attest(&s, T0 + 121 * 60_000);
    assert_eq!(r.written, 1);
}

#[test]
fn cycle_bundles_on_change_and_hourly_summary() {
    let (_d, s) = store();
    let mut a = Attestor::new(writer(), 3600);
    let cycle = |t: i64, drift: bool| {
        let mut r = Record::new(Kind::Cycle, Outcome::Success, t);
        r.results = Some(serde_json::json!({"services": {"drift": drift}}));
        r
    };
    let mut written = 0;
    for minute in 0..180 {
        let t = T0 + minute * 60_000;
        a.cycle(&s, cycle(t, (60..65).contains(&minute)), t);
        written += a.attest(&s, t).written;
    }
    // First cycle, change at 60, change back at 65, then summaries at 125
    // (an hour after 65) and nothing else before 180.
    assert_eq!(written, 4);
}

#[test]
fn a_full_disk_keeps_records_pending_and_loses_nothing_stored() {
    let (_d, s) = store();
    let mut a = Attestor::new(writer(), 3600);
    a.queue((0..5).map(|i| rec(i, T0)));
    assert_eq!(a.attest(&s, T0).written, 5);
    let pages: u64 = {
        let c = rusqlite::Connection::open(s.path()).unwrap();
        c.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap()
    };
    s.simulate_full_disk(pages).unwrap();
    for i in 0..200 {
        let mut r = rec(i, T0);
        r.pre_state = Some(serde_json::Value::String("y".repeat(4000)));
        a.queue([r]);
    }
    let r = a.attest(&s, T0);
    assert!(r.error.as_deref().unwrap_or("").contains("full"), "{r:?}");
    assert!(r.pending > 0);
    let stored_before = s.chain_tip().unwrap().seq;
    // Space comes back: everything pending is written, in order, nothing
    // lost, after one alert that says how long the store was full.
    s.simulate_full_disk(1 << 30).unwrap();
    let r = a.attest(&s, T0 + 60_000);
    assert!(r.error.is_none());
    assert_eq!(s.chain_tip().unwrap().seq, 5 + 200 + 1);
    assert!(stored_before < 206);
    let note = s.bundles_after(stored_before, 1).unwrap();
    let note: serde_json::Value = serde_json::from_slice(&note[0].bytes).unwrap();
    assert_eq!((note["kind"].as_str(), note["reason"].as_str()), (Some("alert"), Some("disk_full")), "{note}");
    assert!(note["detail"].as_str().unwrap().contains("records waited in memory"), "{note}");
    // One note per episode.
    a.queue([rec(999, T0)]);
    a.attest(&s, T0 + 120_000);
    assert_eq!(s.chain_tip().unwrap().seq, 5 + 200 + 2);
    let v = verify_db(s.path(), key().public()).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
}

#[test]
fn records_dropped_during_a_long_full_disk_are_counted_exactly() {
    let (_d, s) = store();
    let mut a = Attestor::new(writer(), 3600);
    a.queue([rec(0, T0)]);
    a.attest(&s, T0);
    let pages: u64 = {
        let c = rusqlite::Connection::open(s.path()).unwrap();
        c.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap()
    };
    s.simulate_full_disk(pages).unwrap();
    // 30 cycles of 400 records each: 12,000, of which 10,000 fit in memory.
    for cycle in 0..30 {
        let t = T0 + cycle * 60_000;
        a.queue((0..400).map(|i| rec(i, t)));
        assert!(a.attest(&s, t).error.is_some());
    }
    s.simulate_full_disk(1 << 30).unwrap();
    a.attest(&s, T0 + DAY);
    let all: Vec<serde_json::Value> =
        s.bundles_after(0, 100_000).unwrap().iter().map(|b| serde_json::from_slice(&b.bytes).unwrap()).collect();
    let stored = all.iter().filter(|b| b["kind"] == "order").count();
    let notes: Vec<&serde_json::Value> = all.iter().filter(|b| b["kind"] == "alert").collect();
    assert_eq!(notes.len(), 2, "{notes:#?}");
    assert!(notes.iter().any(|n| n["reason"] == "disk_full"), "{notes:#?}");
    let dropped = notes.iter().find(|n| n["reason"] == "evidence_dropped").unwrap();
    // Every record is either in the chain or counted as dropped.
    let said: usize = dropped["detail"].as_str().unwrap().split(' ').next().unwrap().parse().unwrap();
    assert_eq!(stored + said, 1 + 12_000, "{dropped}");
    assert!(said >= 1_000, "{dropped}");
}
