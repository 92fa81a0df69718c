//! Evidence end to end with the real binary: export and verify (with the
//! agent and with openssl), tampering, the MCP-down queue and its drain,
//! kill -9 at every step of a bundle write and a flush, a corrupt
//! database, a compressed 24-hour outage, and `status`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::encoding::sha256_hex;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use support::env::{agent_bin, TestEnv};
use support::mcp::{receipt_key_json, Behaviour, McpServer, Received};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn once(env: &TestEnv) -> Output {
    let out = env.run(&["--once"]);
    assert!(text(&out.stderr).contains("state flush -> idle"), "cycle did not complete:\n{}", text(&out.stderr));
    out
}

fn agent(args: &[&str]) -> Output {
    support::child::output_within(Command::new(agent_bin()).args(args), support::child::RUN_LIMIT)
}

fn verify_db(env: &TestEnv) -> Output {
    agent(&["evidence", "verify", "--db", env.db().to_str().unwrap(), "--pubkey", env.pubkey_pem().to_str().unwrap()])
}

/// Bundles the server holds, by seq; fails on two different bundles with
/// the same seq.
fn by_seq(received: &[Received]) -> BTreeMap<u64, Received> {
    let mut out = BTreeMap::new();
    for r in received {
        let v: Value = serde_json::from_slice(&r.bundle).unwrap();
        let seq = v["seq"].as_u64().unwrap();
        if let Some(prev) = out.insert(seq, r.clone()) {
            assert_eq!(prev.bundle, r.bundle, "two different bundles with seq {seq}");
        }
    }
    out
}

/// A signed `run_checks` order for the test site (key `test-2026a`).
fn run_checks_order(id: &str) -> Vec<u8> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let p = json!({"order_id": id, "site_id": "clinic-042", "issued_at": now, "ttl_secs": 900, "action": "run_checks"});
    compliance_agent::orders::dsse::sign(
        p.to_string().as_bytes(),
        &[("test-2026a", &compliance_agent::keys::SigningKey::from_seed([9u8; 32]))],
    )
}

fn unpushed(env: &TestEnv) -> u64 {
    let out = env.run(&["status", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["evidence"]["unpushed"].as_u64().unwrap()
}

#[test]
fn export_verifies_with_the_agent_and_with_openssl_and_tampering_fails() {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    server.set_orders(vec![run_checks_order("o-export")]);
    once(&env); // cycle + order bundles
    env.set_mcp_url("https://127.0.0.1:1"); // down: an alert bundle too
    once(&env);
    once(&env);

    let out = verify_db(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).starts_with("OK "), "{}", text(&out.stdout));

    let dir = env.path().join("export");
    let out = agent(&[
        "evidence",
        "export",
        "--db",
        env.db().to_str().unwrap(),
        "--key",
        env.key.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut bundles: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    bundles.sort();
    assert!(bundles.len() >= 3, "{bundles:?}");
    let pubkey = dir.join("evidence.pub.pem");
    assert_eq!(std::fs::read_to_string(&pubkey).unwrap(), std::fs::read_to_string(env.pubkey_pem()).unwrap());
    // The auditor's command, exactly as docs/evidence.md gives it.
    for b in &bundles {
        let name = b.file_name().unwrap().to_str().unwrap();
        let (seq, id) = name.trim_end_matches(".json").split_once('-').unwrap();
        let v: Value = serde_json::from_slice(&std::fs::read(b).unwrap()).unwrap();
        assert_eq!((v["seq"].as_u64().unwrap(), v["bundle_id"].as_str().unwrap()), (seq.parse().unwrap(), id));
        let sig = format!("{}.sig", b.display());
        let o = Command::new("openssl")
            .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
            .arg(&pubkey)
            .arg("-rawin")
            .arg("-in")
            .arg(b)
            .args(["-sigfile", &sig])
            .output()
            .unwrap();
        assert!(o.status.success(), "openssl rejects {name}: {}{}", text(&o.stdout), text(&o.stderr));
        assert!(text(&o.stdout).contains("Signature Verified Successfully"));
    }
    let verify_dir =
        |d: &Path| agent(&["evidence", "verify", d.to_str().unwrap(), "--pubkey", pubkey.to_str().unwrap()]);
    assert_eq!(verify_dir(&dir).status.code(), Some(0), "{}", text(&verify_dir(&dir).stdout));

    // Tampered: one byte changed.
    let copy = |name: &str| {
        let d = env.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, d.join(p.file_name().unwrap())).unwrap();
        }
        d
    };
    let t = copy("tampered");
    let victim = t.join(bundles[1].file_name().unwrap());
    let edited = std::fs::read_to_string(&victim).unwrap().replacen("\"outcome\":\"", "\"outcome\":\"x", 1);
    std::fs::write(&victim, edited).unwrap();
    let out = verify_dir(&t);
    assert_eq!(out.status.code(), Some(65), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("signature does not verify"), "{}", text(&out.stdout));
    // Deleted: a middle bundle gone.
    let d = copy("deleted");
    std::fs::remove_file(d.join(bundles[1].file_name().unwrap())).unwrap();
    let out = verify_dir(&d);
    assert_eq!(out.status.code(), Some(65));
    assert!(text(&out.stdout).contains("missing"), "{}", text(&out.stdout));
    // Reordered: two bundles swap names (and signatures).
    let r = copy("reordered");
    let (a, b) = (bundles[0].file_name().unwrap().to_str().unwrap(), bundles[1].file_name().unwrap().to_str().unwrap());
    let (sa, ida) = a.trim_end_matches(".json").split_once('-').unwrap();
    let (sb, idb) = b.trim_end_matches(".json").split_once('-').unwrap();
    std::fs::rename(r.join(a), r.join(format!("{sb}-{ida}.json"))).unwrap();
    std::fs::rename(r.join(format!("{a}.sig")), r.join(format!("{sb}-{ida}.json.sig"))).unwrap();
    std::fs::rename(r.join(b), r.join(format!("{sa}-{idb}.json"))).unwrap();
    std::fs::rename(r.join(format!("{b}.sig")), r.join(format!("{sa}-{idb}.json.sig"))).unwrap();
    assert_eq!(verify_dir(&r).status.code(), Some(65));
    // Wrong public key.
    let other = env.path().join("other.pub.pem");
    std::fs::write(
        &other,
        compliance_agent::keys::public_key_pem(&compliance_agent::keys::SigningKey::from_seed([1; 32]).public()),
    )
    .unwrap();
    let out = agent(&["evidence", "verify", dir.to_str().unwrap(), "--pubkey", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(65));
}

#[test]
fn mcp_down_queues_locally_then_flushes_with_receipts() {
    // Seed plan case 3.
    let env = TestEnv::new(); // MCP down
    for _ in 0..3 {
        let out = once(&env);
        assert_eq!(out.status.code(), Some(compliance_agent::EXIT_UNAVAILABLE));
    }
    let queued = unpushed(&env);
    assert!(queued >= 2, "cycle + alert bundles queued: {queued}");
    let server = McpServer::start();
    env.set_mcp_url(&server.url());
    let out = once(&env);
    assert!(text(&out.stderr).contains("MCP reachable again"), "{}", text(&out.stderr));
    assert_eq!(unpushed(&env), 0);
    // Compliant and delivered: exit 0, and the closing line says so.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("MCP reached; "), "{}", text(&out.stdout));
    let got = by_seq(&server.evidence());
    let tip = {
        let out = env.run(&["status", "--json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["evidence"]["chain_seq"].as_u64().unwrap()
    };
    assert_eq!(got.keys().copied().collect::<Vec<_>>(), (1..=tip).collect::<Vec<_>>(), "every bundle, once, no gap");
    // Receipts are stored: a further cycle re-sends nothing old.
    let before = server.evidence().len();
    once(&env);
    let after = server.evidence();
    let new: Vec<u64> = by_seq(&after[before..]).keys().copied().collect();
    assert!(new.iter().all(|s| *s > tip), "re-sent old bundles: {new:?}");
    // The status says when the last push was.
    let st: Value = serde_json::from_slice(&env.run(&["status", "--json"]).stdout).unwrap();
    assert!(st["evidence"]["last_push_at"].is_string(), "{st}");
}

#[test]
fn kill_9_at_every_step_of_a_write_or_flush_loses_and_duplicates_nothing() {
    for point in
        ["attest-before-commit", "attest-after-commit", "flush-before-post", "flush-after-post", "flush-after-receipts"]
    {
        let server = McpServer::start();
        let env = TestEnv::new();
        env.set_mcp_url(&server.url());
        once(&env);
        // Something to attest and push in the crashing run: a new order.
        server.set_orders(vec![run_checks_order(&format!("o-{point}"))]);
        let crashed = env.run_crashing_at(point);
        assert!(!crashed.status.success(), "{point}: did not crash");
        assert!(text(&crashed.stderr).contains(&format!("crashpoint {point}")), "{point}: {}", text(&crashed.stderr));
        // Restart (twice: the second drains whatever the first queued).
        once(&env);
        once(&env);
        let v = verify_db(&env);
        assert_eq!(v.status.code(), Some(0), "{point}: {}", text(&v.stdout));
        assert_eq!(unpushed(&env), 0, "{point}");
        let got = by_seq(&server.evidence());
        let tip = *got.keys().last().unwrap();
        assert_eq!(
            got.keys().copied().collect::<Vec<_>>(),
            (1..=tip).collect::<Vec<_>>(),
            "{point}: gap in what the MCP holds"
        );
        // Each stored bundle is the one the server has, byte for byte.
        let dir = env.path().join("export");
        agent(&["evidence", "export", "--db", env.db().to_str().unwrap(), dir.to_str().unwrap()]);
        for (seq, r) in &got {
            let name = compliance_agent::evidence::verify::bundle_file_name(*seq, &r.bundle_id);
            let local = std::fs::read(dir.join(name)).unwrap();
            assert_eq!(sha256_hex(&local), sha256_hex(&r.bundle), "{point}: seq {seq} differs");
        }
    }
}

#[test]
fn corrupt_database_is_moved_aside_and_the_new_chain_names_it() {
    let env = TestEnv::new();
    once(&env);
    once(&env);
    let head = std::fs::read_to_string(env.state_dir().join("chain.head")).unwrap();
    let (seq, sha) = head.trim().split_once(' ').unwrap();
    // Overwrite the database with garbage (and drop its WAL).
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.db().display()));
    }
    std::fs::write(env.db(), vec![0xA5u8; 64 * 1024]).unwrap();
    let out = once(&env);
    assert!(text(&out.stderr).contains("moved to"), "{}", text(&out.stderr));
    let moved: Vec<_> = std::fs::read_dir(env.state_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with("agent.db.corrupt-") && ![".head", "-wal", "-shm", "-journal"].iter().any(|s| n.ends_with(s))
        })
        .collect();
    assert_eq!(moved.len(), 1, "{moved:?}");
    // Never deleted: the garbage is still there, byte for byte.
    assert_eq!(std::fs::read(env.state_dir().join(&moved[0])).unwrap(), vec![0xA5u8; 64 * 1024]);
    // The chain.head that described the old chain is kept beside it, not
    // overwritten by the new chain's.
    let kept = std::fs::read_to_string(env.state_dir().join(format!("{}.head", moved[0]))).unwrap();
    assert_eq!(kept, head);
    // The new chain verifies and its first bundle names the old file and hash.
    assert_eq!(verify_db(&env).status.code(), Some(0));
    let dir = env.path().join("export");
    agent(&["evidence", "export", "--db", env.db().to_str().unwrap(), dir.to_str().unwrap()]);
    let first = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).find(|p| {
        let n = p.file_name().unwrap().to_str().unwrap();
        n.starts_with(&format!("{:020}-", 1)) && n.ends_with(".json")
    });
    let v: Value = serde_json::from_slice(&std::fs::read(first.unwrap()).unwrap()).unwrap();
    assert_eq!(v["kind"], "alert");
    assert_eq!(v["reason"], "store_corrupt");
    assert_eq!(v["pre_state"]["last_known_seq"], json!(seq.parse::<u64>().unwrap()));
    assert_eq!(v["pre_state"]["last_known_sha256"], json!(sha));
    assert!(v["pre_state"]["old_database"].as_str().unwrap().ends_with(&moved[0]));
}

#[test]
fn a_compressed_24_hour_outage_drains_completely() {
    use compliance_agent::evidence::{Kind, Outcome, Record};
    let env = TestEnv::new();
    once(&env); // create the database
                // 24 h of a cycle bundle and an alert every minute: 2,880 bundles.
    {
        let store = compliance_agent::store::Store::open(&env.db()).unwrap();
        let w = support::env::test_writer(vec![]);
        let t0 = 1_795_305_600_000i64;
        for minute in 0..1440 {
            let t = t0 + minute * 60_000;
            let mut c = Record::new(Kind::Cycle, Outcome::Success, t);
            c.results = Some(json!({"services": {"drift": false}}));
            w.append(&store, &c, None, t).unwrap();
            w.append(&store, &Record::alert("mcp_unreachable", "mcp_unreachable", "connect: refused", t), None, t)
                .unwrap();
        }
    }
    let backlog = unpushed(&env);
    assert!(backlog >= 2880);
    let server = McpServer::start();
    env.set_mcp_url(&server.url());
    env.patch(|v| v["evidence"] = json!({"flush_max_per_cycle": 1000}));
    let mut cycles = 0;
    while unpushed(&env) > 0 {
        cycles += 1;
        assert!(cycles <= 5, "backlog did not drain at 1000 per cycle");
        let out = once(&env);
        assert!(text(&out.stderr).contains("bundles pushed"), "{}", text(&out.stderr));
    }
    assert!(cycles >= 3, "drained in {cycles} cycles: the rate limit was not applied");
    let got = by_seq(&server.evidence());
    let tip = *got.keys().last().unwrap();
    assert_eq!(got.len() as u64, tip);
    assert_eq!(verify_db(&env).status.code(), Some(0));
}

/// Ends the flush back-off now, as its time running out would: the agent
/// reads when the next attempt may start from the store's state.
fn end_flush_backoff(env: &TestEnv) {
    let store = compliance_agent::store::Store::open(&env.db()).unwrap();
    store.set_state("flush.next_attempt_ms", "0").unwrap();
}

#[test]
fn wrong_receipts_leave_bundles_unpushed() {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    server.behave(Behaviour::WrongReceipts);
    once(&env);
    assert!(unpushed(&env) >= 1);
    // No receipt counted: the next cycle backs off (15 to 30 s after one
    // failure) instead of sending the whole backlog again.
    let sent = server.evidence().len();
    let out = once(&env);
    assert!(text(&out.stderr).contains("backing off"), "{}", text(&out.stderr));
    assert_eq!(server.evidence().len(), sent, "re-sent inside the back-off");
    // The back-off over (the time it waits for set to now, rather than a
    // test that sleeps 30 s), a good MCP gets everything.
    end_flush_backoff(&env);
    server.behave(Behaviour::Normal);
    once(&env);
    assert_eq!(unpushed(&env), 0);
}

#[test]
fn with_receipt_keys_unsigned_or_wrongly_signed_receipts_leave_bundles_unpushed_and_alert() {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    env.patch(|v| v["mcp"]["receipt_keys"] = receipt_key_json());
    // A run whose receipts all fail backs off; the next run here must not.
    let backoff_over = || end_flush_backoff(&env);
    for (behaviour, why) in [
        (Behaviour::UnsignedReceipts, "unsigned"),
        (Behaviour::ForeignReceiptSignatures, "signature by mcp-receipts-test does not verify"),
    ] {
        server.behave(behaviour);
        let out = once(&env);
        assert_eq!(out.status.code(), Some(support::env::UNDELIVERED), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(&format!(": {why}; the bundle stays unpushed")), "{}", text(&out.stderr));
        assert!(unpushed(&env) >= 1);
        backoff_over();
    }
    // Signed receipts: everything waiting is pushed, the alert included.
    server.behave(Behaviour::Normal);
    let out = once(&env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(unpushed(&env), 0);
    let alerts: Vec<Value> = by_seq(&server.evidence())
        .into_values()
        .map(|r| serde_json::from_slice::<Value>(&r.bundle).unwrap())
        .filter(|v| v["reason"] == "receipt_unverified")
        .collect();
    assert!(!alerts.is_empty(), "no receipt_unverified alert reached the MCP");
    assert!(alerts[0]["detail"].as_str().unwrap().contains("not signed by a key in mcp.receipt_keys"), "{}", alerts[0]);
    assert_eq!(verify_db(&env).status.code(), Some(0));

    // Without receipt keys, unsigned receipts count as they always did.
    let plain = TestEnv::new();
    plain.set_mcp_url(&server.url());
    server.behave(Behaviour::UnsignedReceipts);
    once(&plain);
    assert_eq!(unpushed(&plain), 0);
}

#[test]
fn status_text_json_and_metrics() {
    let env = TestEnv::new();
    let metrics = env.path().join("metrics.prom");
    let m = metrics.display().to_string();
    env.patch(move |v| v["metrics_textfile"] = json!(m));
    once(&env);
    let out = env.run(&["status"]);
    // Compliant, but the MCP is down and the evidence undelivered.
    assert_eq!(out.status.code(), Some(compliance_agent::EXIT_UNAVAILABLE), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.contains("last cycle:") && t.contains("compliant") && t.contains("open alerts:     1"), "{t}");
    assert!(t.contains("mcp_unreachable"), "{t}");
    let j: Value = serde_json::from_slice(&env.run(&["status", "--json"]).stdout).unwrap();
    assert_eq!(j["last_cycle"]["mcp_reachable"], json!(false));
    assert!(j["evidence"]["unpushed"].as_u64().unwrap() >= 2);
    assert_eq!(j["alerts"][0]["reason"], "mcp_unreachable");
    let prom = std::fs::read_to_string(&metrics).unwrap();
    assert!(prom.contains("compliance_agent_compliant 1"), "{prom}");
    assert!(prom.contains("compliance_agent_open_alerts 1"), "{prom}");
    assert!(prom.contains("# TYPE compliance_agent_evidence_unpushed_bundles gauge"), "{prom}");
    assert!(prom.contains("compliance_agent_mcp_reachable 0"), "{prom}");
    // status opens no socket and needs no network: it works with the MCP
    // unreachable, and says so in one line before any state exists.
    let fresh = TestEnv::new();
    let out = fresh.run(&["status"]);
    assert_eq!(out.status.code(), Some(compliance_agent::EXIT_NOINPUT));
    assert!(text(&out.stdout).contains("agent.db"), "{}", text(&out.stdout));
}

#[test]
fn a_deleted_database_is_reported_and_old_orders_are_refused_as_possible_replays() {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    once(&env);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.db().display()));
    }
    // An order issued before the history was lost could be a replay of one
    // that already ran.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let p = json!({"order_id": "o-old", "site_id": "clinic-042", "issued_at": now - 30, "ttl_secs": 900, "action": "run_checks"});
    let old = compliance_agent::orders::dsse::sign(
        p.to_string().as_bytes(),
        &[("test-2026a", &compliance_agent::keys::SigningKey::from_seed([9u8; 32]))],
    );
    server.set_orders(vec![old]);
    let out = once(&env);
    let err = text(&out.stderr);
    assert!(err.contains("reason=store_corrupt") && err.contains("database file is missing"), "{err}");
    assert!(err.contains("order/rejected") && err.contains("reason=replay") && err.contains("order=o-old"), "{err}");
    // A fresh order (issued after) is accepted.
    server.set_orders(vec![run_checks_order("o-new")]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = once(&env);
    assert!(text(&out.stderr).contains("order/success"), "{}", text(&out.stderr));
}

#[test]
fn a_quiet_compliant_host_writes_one_cycle_bundle_per_summary_interval() {
    let env = TestEnv::new();
    // Logging's canary is random and every check's duration varies: none
    // of that is a change.
    for _ in 0..4 {
        once(&env);
    }
    let store = compliance_agent::store::Store::open_read_only(&env.db()).unwrap();
    let cycles: Vec<Value> = store
        .bundles_after(0, 1000)
        .unwrap()
        .into_iter()
        .filter(|b| b.kind == "cycle")
        .map(|b| serde_json::from_slice(&b.bytes).unwrap())
        .collect();
    assert_eq!(cycles.len(), 1, "{cycles:#?}");
    // A real change is written at once.
    drop(store);
    env.host.set_unit("sshd.service", "failed");
    env.host.fail_starts("sshd.service", true);
    once(&env);
    let store = compliance_agent::store::Store::open_read_only(&env.db()).unwrap();
    let n = store.bundles_after(0, 1000).unwrap().iter().filter(|b| b.kind == "cycle").count();
    assert_eq!(n, 2);
}
