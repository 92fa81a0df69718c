//! `status` with the real binary: a fresh box, a healthy appliance, a stale
//! or undelivered last cycle, drift, the daemon's lock, alert check names,
//! certificates, the metrics textfile — and that `status` changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::{EXIT_CONFIG, EXIT_DRIFT, EXIT_NOINPUT, EXIT_OK, EXIT_UNAVAILABLE};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::process::{Command, Output};
use std::time::Duration;
use support::child::Guard;
use support::env::{agent_bin, TestEnv};
use support::mcp::McpServer;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn once(env: &TestEnv) -> Output {
    let out = env.run(&["--once"]);
    assert!(text(&out.stderr).contains("state flush -> idle"), "cycle did not complete:\n{}", text(&out.stderr));
    out
}

/// `status` as text: exit status and stdout.
fn status(env: &TestEnv) -> (Option<i32>, String) {
    let out = env.run(&["status"]);
    (out.status.code(), text(&out.stdout))
}

/// `status --json`: exit status and the one JSON object on stdout.
fn status_json(env: &TestEnv) -> (Option<i32>, Value) {
    let out = env.run(&["status", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", text(&out.stdout), text(&out.stderr)));
    assert_eq!(out.status.code(), v["exit_code"].as_i64().map(|c| c as i32), "{v}");
    (out.status.code(), v)
}

/// Every file under `state_dir`: name → (size, mtime, inode).
fn snapshot(env: &TestEnv) -> BTreeMap<String, (u64, i64, i64, u64)> {
    let mut out = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir(env.state_dir()) else { return out };
    for e in dir {
        let e = e.unwrap();
        let m = std::fs::symlink_metadata(e.path()).unwrap();
        out.insert(e.file_name().to_string_lossy().into_owned(), (m.len(), m.mtime(), m.mtime_nsec(), m.ino()));
    }
    out
}

/// Rewrites the recorded end of the last cycle to `ago` before now.
fn age_last_cycle(env: &TestEnv, ago: Duration) {
    let store = compliance_agent::store::Store::open(&env.db()).unwrap();
    let key = compliance_agent::status::LAST_CYCLE;
    let mut c: Value = serde_json::from_str(&store.get_state(key).unwrap().unwrap()).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let then = now - ago.as_millis() as i64;
    c["finished_ms"] = json!(then);
    c["finished_at"] = json!(compliance_agent::clock::rfc3339_ms(then));
    store.set_state(key, &c.to_string()).unwrap();
}

#[test]
fn a_fresh_box_says_so_in_one_line_and_creates_nothing() {
    let env = TestEnv::new();
    assert!(!env.state_dir().exists());
    let out = env.run(&["status"]);
    assert_eq!(out.status.code(), Some(EXIT_NOINPUT), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert_eq!(t.lines().count(), 1, "{t}");
    assert!(t.starts_with("no cycle has run on this appliance yet (no database at "), "{t}");
    assert!(t.contains(&env.db().display().to_string()), "{t}");
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    let (code, v) = status_json(&env);
    assert_eq!(code, Some(EXIT_NOINPUT));
    assert_eq!(v["state"], "fresh", "{v}");
    assert_eq!(v["daemon"]["state"], "never_ran", "{v}");
    assert_eq!((v["site_id"].as_str(), v["appliance_id"].as_str()), (Some("clinic-042"), Some("appl-01")));
    assert_eq!(v["agent"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(!env.state_dir().exists(), "status created the state directory");
    // A state directory with no database yet is fresh too.
    std::fs::create_dir(env.state_dir()).unwrap();
    assert_eq!(status(&env).0, Some(EXIT_NOINPUT));
    assert!(snapshot(&env).is_empty(), "{:?}", snapshot(&env));
}

#[test]
fn json_is_always_json_even_for_a_configuration_error() {
    let env = TestEnv::new();
    env.write_config("{ not json");
    let out = env.run(&["status", "--json"]);
    assert_eq!(out.status.code(), Some(EXIT_CONFIG));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exit_code"], EXIT_CONFIG);
    assert!(v["error"].as_str().unwrap().contains("configuration error"), "{v}");
    // Text: the error on stderr, nothing on stdout.
    let out = env.run(&["status"]);
    assert_eq!(out.status.code(), Some(EXIT_CONFIG));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("configuration error"), "{}", text(&out.stderr));
}

#[test]
fn a_healthy_appliance_is_ok_until_its_last_cycle_is_stale() {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    once(&env);
    let before = snapshot(&env);
    let (code, t) = status(&env);
    assert_eq!(code, Some(EXIT_OK), "{t}");
    for want in [
        "site:            clinic-042, appliance appl-01\n",
        &format!("agent:           compliance-agent {} (git ", env!("CARGO_PKG_VERSION")),
        "daemon:          not running\n",
        "MCP reachable:   yes\n",
        "backlog:         0 unpushed\n",
        "client cert:     valid until 2126-11-01T08:54:28.000Z (",
        "CN \"clinic-042 appl-01\"",
        "CA:              valid until 2126-11-01T08:54:28.000Z (",
        "CN \"compliance-agent test MCP CA\"",
        "open alerts:     none\n",
        "verdict:         ok (exit 0)\n",
    ] {
        assert!(t.contains(want), "{want:?} not in:\n{t}");
    }
    assert!(t.lines().any(|l| l.starts_with("last cycle:") && l.ends_with(" ago (compliant)")), "{t}");
    let (code, v) = status_json(&env);
    assert_eq!(code, Some(EXIT_OK));
    assert_eq!(v["state"], "ok");
    assert_eq!(v["stale_after_secs"], 180);
    assert!(v["last_cycle_age_secs"].as_u64().unwrap() < 180, "{v}");
    assert_eq!(v["certificates"]["client"]["subject_cn"], "clinic-042 appl-01");
    assert_eq!(v["certificates"]["ca"]["not_after"], "2126-11-01T08:54:28.000Z");
    assert_eq!(v["certificates"]["ca"]["expired"], false);
    assert_eq!(v["daemon"]["state"], "stopped");
    // status created and changed nothing in the state directory.
    assert_eq!(snapshot(&env), before);

    // Three poll intervals (60 s) without a cycle: stale.
    age_last_cycle(&env, Duration::from_secs(181));
    let (code, t) = status(&env);
    assert_eq!(code, Some(EXIT_UNAVAILABLE), "{t}");
    assert!(t.contains("verdict:         stale (exit 69): the last cycle ended "), "{t}");
    assert!(t.contains(" ago; cycles should end every 60 s (stale after 3 min)"), "{t}");
    let (_, v) = status_json(&env);
    assert_eq!(v["state"], "stale");
    assert!(v["last_cycle_age_secs"].as_u64().unwrap() >= 180, "{v}");
    // Under three intervals (with a minute to spare for a slow machine):
    // fresh again.
    age_last_cycle(&env, Duration::from_secs(120));
    assert_eq!(status(&env).0, Some(EXIT_OK));
    // A longer poll interval moves the line.
    age_last_cycle(&env, Duration::from_secs(600));
    env.patch(|v| v["poll_interval_secs"] = json!(300));
    assert_eq!(status(&env).0, Some(EXIT_OK));
}

#[test]
fn an_unreachable_mcp_or_unpushed_evidence_is_exit_69() {
    let env = TestEnv::new(); // MCP down
    let out = once(&env);
    assert_eq!(out.status.code(), Some(EXIT_UNAVAILABLE), "{}", text(&out.stderr));
    let (code, t) = status(&env);
    assert_eq!(code, Some(EXIT_UNAVAILABLE), "{t}");
    assert!(t.contains("MCP reachable:   no\n"), "{t}");
    assert!(t.contains("verdict:         undelivered (exit 69): the last cycle did not reach the MCP; "), "{t}");
    assert!(t.contains("evidence bundles wait to be delivered"), "{t}");
    // The MCP alert names no check.
    assert!(t.lines().any(|l| l.starts_with("  mcp_") && l.contains("(mcp_unreachable) since ")), "{t}");
    let (_, v) = status_json(&env);
    assert_eq!(v["state"], "undelivered");
    assert_eq!(v["alerts"][0]["check"], Value::Null);
    assert!(v["evidence"]["unpushed"].as_u64().unwrap() >= 2);
}

#[test]
fn drift_and_check_errors_are_exit_1_and_alerts_name_their_check() {
    let env = TestEnv::new();
    let metrics = env.path().join("metrics.prom");
    let m = metrics.display().to_string();
    env.patch(move |v| v["metrics_textfile"] = json!(m));
    env.host.set_unit("sshd.service", "failed");
    env.host.fail_starts("sshd.service", true);
    env.host.behave("lsblk", "garbage");
    once(&env);
    // Drift outranks the unreachable MCP.
    let (code, t) = status(&env);
    assert_eq!(code, Some(EXIT_DRIFT), "{t}");
    assert!(t.contains("(drift or failed action)\n"), "{t}");
    assert!(t.lines().any(|l| l.starts_with("  encryption   ERROR  ")), "{t}");
    assert!(t.lines().any(|l| l.starts_with("  services     DRIFT  ")), "{t}");
    assert!(
        t.lines().any(|l| l.starts_with("  heal_failed_services (") && l.contains(", check=services) since ")),
        "{t}"
    );
    assert!(t.lines().any(|l| l.starts_with("  check_error_encryption (check_error, check=encryption) since ")), "{t}");
    assert!(
        t.contains(
            "verdict:         drift (exit 1): the last cycle left drift or a failed action (encryption, services)"
        ),
        "{t}"
    );
    let (_, v) = status_json(&env);
    assert_eq!(v["state"], "drift");
    let checks: BTreeMap<String, Value> = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["key"].as_str().unwrap().to_string(), a["check"].clone()))
        .collect();
    assert_eq!(checks["heal_failed_services"], "services", "{v}");
    assert_eq!(checks["check_error_encryption"], "encryption", "{v}");

    let prom = std::fs::read_to_string(&metrics).unwrap();
    for want in [
        &format!("compliance_agent_build_info{{version=\"{}\",build=\"sha256:", env!("CARGO_PKG_VERSION")),
        "compliance_agent_compliant 0\n",
        "compliance_agent_mcp_reachable 0\n",
        "compliance_agent_check_drift{check=\"services\"} 1\n",
        "compliance_agent_check_drift{check=\"logging\"} 0\n",
        "compliance_agent_check_error{check=\"encryption\"} 1\n",
        "compliance_agent_check_error{check=\"services\"} 0\n",
        "# TYPE compliance_agent_last_cycle_timestamp_seconds gauge\n",
    ] {
        assert!(prom.contains(want), "{want:?} not in:\n{prom}");
    }
    assert!(!prom.contains("compliance_agent_check_drift{check=\"encryption\"}"), "{prom}");
}

#[test]
fn a_running_daemon_is_seen_by_its_lock() {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    let mut daemon = Guard::spawn_logged(Command::new(agent_bin()).arg("--config").arg(&env.config));
    assert!(daemon.wait_log("flush -> idle", Duration::from_secs(20)), "{}", daemon.log());
    let (code, t) = status(&env);
    assert!(t.contains("daemon:          running (it holds agent.lock)\n"), "{t}");
    assert_eq!(code, Some(EXIT_OK), "{t}");
    assert_eq!(status_json(&env).1["daemon"]["state"], "running");
    // status's look at the lock did not disturb the daemon: it still runs
    // and stops cleanly.
    daemon.signal("TERM");
    let st = daemon.wait_timeout(Duration::from_secs(20)).expect("daemon stops on SIGTERM");
    assert_eq!(st.code(), Some(0), "{}", daemon.log());
    let (_, t) = status(&env);
    assert!(t.contains("daemon:          not running\n"), "{t}");
}

#[test]
fn an_unreadable_database_is_json_with_an_error() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.state_dir()).unwrap();
    std::fs::write(env.db(), b"not a database, not at all, but long enough to look like a file").unwrap();
    let before = snapshot(&env);
    let out = env.run(&["status", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "error", "{v}");
    assert_eq!(out.status.code(), v["exit_code"].as_i64().map(|c| c as i32));
    assert!(v["error"].as_str().unwrap().contains("agent.db"), "{v}");
    let out = env.run(&["status"]);
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).starts_with("compliance-agent: status: cannot read the state database: "),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(snapshot(&env), before);
}
