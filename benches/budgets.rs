//! `cargo bench`: measures the budgets of docs/performance.md that can be measured on
//! this machine and prints them. Timing lives here, never in tests.
//!
//! - a bundle built + signed + stored durably (synchronous=FULL, one
//!   transaction each): mean and p99 over 1,000;
//! - the agent's own time per cycle (Poll/Attest/Flush with an in-process
//!   MCP fake, no checks): mean over 200 cycles;
//! - peak RSS of the real binary while it flushes a 20,000-bundle backlog to
//!   the test MCP over mTLS on loopback;
//! - the size of the binary that ran.
#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code: a panic is a failed run

#[path = "../tests/support/mod.rs"]
mod support;

use compliance_agent::checks::CheckName;
use compliance_agent::evidence::{Kind, Outcome, Record};
use compliance_agent::keys::SigningKey;
use std::time::{Duration, Instant};
use support::env::TestEnv;
use support::mcp::McpServer;

fn writer() -> compliance_agent::evidence::attest::Writer {
    support::env::test_writer(CheckName::ALL.to_vec())
}

fn cycle_record(t: i64) -> Record {
    let mut r = Record::new(Kind::Cycle, Outcome::Success, t);
    r.results = Some(serde_json::json!({
        "patching": {"drift": false, "revision": "0f3c2a1b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b", "duration_ms": 12},
        "services": {"drift": false, "units": {"sshd.service": "active"}, "duration_ms": 4},
        "backups": {"drift": false, "age_hours": 3, "duration_ms": 1},
        "firewall": {"drift": false, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "duration_ms": 9},
        "logging": {"drift": false, "canary": "ca-1f2e3d", "duration_ms": 30},
        "encryption": {"drift": false, "volumes": {"cryptroot": "active"}, "duration_ms": 6},
    }));
    r
}

fn bundle_write() {
    let env = TestEnv::new();
    let store = compliance_agent::store::Store::open_in(&env.state_dir()).unwrap();
    let w = writer();
    let mut times = Vec::with_capacity(1000);
    for i in 0..1000 {
        let t0 = Instant::now();
        w.append(&store, &cycle_record(1_795_305_600_000 + i), None, 1_795_305_600_000 + i).unwrap();
        times.push(t0.elapsed());
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "bundle build+sign+store (durable): mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms  [budget < 2 ms]",
        ms(mean),
        ms(times[500]),
        ms(times[990])
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak RSS (VmHWM) of the real binary flushing a 20,000-bundle backlog.
fn flush_rss() {
    let env = TestEnv::new();
    {
        let store = compliance_agent::store::Store::open_in(&env.state_dir()).unwrap();
        let w = writer();
        for i in 0..20_000 {
            w.append(&store, &cycle_record(1_795_305_600_000 + i), None, 1_795_305_600_000 + i).unwrap();
        }
    }
    let server = McpServer::start();
    env.set_mcp_url(&server.url());
    env.patch(|v| v["evidence"] = serde_json::json!({"flush_max_per_cycle": 20000, "flush_time_budget_secs": 600}));
    let started = Instant::now();
    let mut child = std::process::Command::new(support::env::agent_bin())
        .arg("--config")
        .arg(&env.config)
        .arg("--once")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            if let Some(v) = s.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                peak_kib = peak_kib.max(v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0));
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = started.elapsed();
    let received = server.evidence().len();
    println!(
        "flush of a 20,000-bundle backlog: {received} received in {:.1} s, peak RSS {:.1} MiB  [budget < 10 MiB]",
        took.as_secs_f64(),
        peak_kib as f64 / 1024.0
    );
    let bin = support::env::agent_bin();
    let size = std::fs::metadata(&bin).unwrap().len();
    println!("binary {}: {:.2} MiB  [budget < 6 MiB stripped release]", bin.display(), size as f64 / (1024.0 * 1024.0));
}

/// All six checks against the simulated host, through the release binary's
/// `check --json`: wall time, and the agent's own share (wall time minus the
/// time its tools ran).
fn six_checks() {
    let env = TestEnv::new();
    let dir = env.path().to_path_buf();
    // Backups: a manifest and a status file that matches it.
    let manifest = dir.join("manifest.txt");
    std::fs::write(&manifest, "file list\n").unwrap();
    let sum = compliance_agent::encoding::sha256_hex(b"file list\n");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let status = dir.join("last-success");
    std::fs::write(
        &status,
        format!(r#"{{"timestamp": {now}, "checksum": "sha256:{sum}", "manifest": "{}"}}"#, manifest.display()),
    )
    .unwrap();
    // Firewall: a signed baseline (the simulated nft stores what it loads).
    let baseline = dir.join("firewall.nft");
    let rules = "flush ruleset\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n";
    std::fs::write(&baseline, rules).unwrap();
    std::fs::write(dir.join("firewall.nft.sig"), SigningKey::from_seed([9u8; 32]).sign(rules.as_bytes())).unwrap();
    env.host.set_nft_ruleset(rules);
    let (b, st) = (baseline.display().to_string(), status.display().to_string());
    let unshare = ["/usr/bin/unshare", "/bin/unshare"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("/usr/bin/unshare");
    env.patch(move |v| {
        v["checks"] = serde_json::json!({
            "patching": {"flake_ref": "github:clinic/appliance#appl-01", "allowed_flake_prefixes": ["github:clinic/appliance"],
                         "expected_revision": support::simhost::REVISION},
            "services": {"units": ["sshd.service", "backup.service"]},
            "backups": {"status_file": st, "unit": "backup.service"},
            "firewall": {"baseline_file": b, "baseline_sig_file": format!("{b}.sig")},
            "logging": {},
            "encryption": {"volumes": ["cryptroot"]},
        });
        v["tools"]["unshare"] = serde_json::json!(unshare);
    });
    let mut walls = Vec::new();
    let mut own = Vec::new();
    for _ in 0..10 {
        let t0 = Instant::now();
        let out = env.run(&["check", "--json"]);
        let wall = t0.elapsed();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["compliant"], serde_json::json!(true), "{v}");
        let tools: u64 = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["commands"].as_array().unwrap().iter())
            .map(|c| c["duration_ms"].as_u64().unwrap())
            .sum();
        walls.push(wall);
        own.push(wall.saturating_sub(Duration::from_millis(tools)));
    }
    walls.sort();
    own.sort();
    println!(
        "six checks against the simulated host (check --json, process start included): median {:.1} ms, max {:.1} ms; agent's own share median {:.1} ms  [seed budget < 10 s]",
        ms(walls[5]),
        ms(walls[9]),
        ms(own[5])
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing
    // useful: only run when asked to benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    bundle_write();
    six_checks();
    flush_rss();
}
