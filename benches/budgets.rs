//! `cargo bench`: measures the budgets of docs/performance.md on this
//! machine and prints them. Timing lives here, never in tests: nothing here
//! fails because something is slow, but every group fails loudly when a
//! correctness property breaks (a bundle lost or sent twice, a good chain
//! rejected, a daemon that never becomes ready).
//!
//! Groups (select some with `cargo bench -- verify flush`, or with
//! `BENCH_ONLY=verify,flush`; all run when none is named):
//!
//! - `write`: a bundle built + signed + stored durably, in-process;
//! - `checks`: all six checks against the simulated host (`check --json`);
//! - `units`: agent-own time with 1, 10 and 100 services units;
//! - `verify`: `evidence verify --db` on 10,000 and 100,000 bundles beside
//!   the raw Ed25519 + SHA-256 rate of the same libraries;
//! - `flush`: `--once` flushing 1,000 / 10,000 / 100,000 bundles to the
//!   test MCP over mTLS on loopback;
//! - `outage`: a 7-day outage at one-minute cycles, drained;
//! - `startup`: process start to READY=1 on an empty and a 100,000-bundle
//!   store;
//! - `quiet`: daemon CPU per quiet cycle and RSS over 500 cycles (runs in
//!   the background beside the other groups: see [`quiet`]);
//! - `size`: binary size and the crate count.
//!
//! Every figure is a median with min–max over n repetitions. CPU time of
//! the agent is its own (`/proc/<pid>/schedstat`, read from the exited,
//! not yet reaped process: utime+stime of the agent alone, at nanosecond
//! resolution, excluding every child it ran). Peak RSS is VmHWM of
//! `/proc/<pid>/status`, sampled every 2 ms until the process exits.
#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark code: a panic is a failed run

#[path = "../tests/support/mod.rs"]
mod support;

use compliance_agent::checks::CheckName;
use compliance_agent::evidence::{Kind, Outcome, Record};
use compliance_agent::keys::SigningKey;
use compliance_agent::store::Store;
use serde_json::json;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::child::Guard;
use support::env::{agent_bin, TestEnv};
use support::mcp::McpServer;
use support::notify::{NotifyCollector, NotifySocket};
use support::simhost::TempDir;

const GROUPS: [&str; 9] = ["write", "checks", "units", "verify", "flush", "outage", "startup", "quiet", "size"];

// ---- output --------------------------------------------------------------

static START: OnceLock<Instant> = OnceLock::new();

/// Progress on stderr, with the time since the run started.
fn progress(msg: &str) {
    let t = START.get_or_init(Instant::now).elapsed();
    eprintln!("[bench {:>6.1} s] {msg}", t.as_secs_f64());
}

/// Median, min and max of samples.
#[derive(Debug, Clone, Copy)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
    n: usize,
}

fn spread(samples: &[f64]) -> Spread {
    assert!(!samples.is_empty());
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    Spread { median, min: v[0], max: v[n - 1], n }
}

/// `12.3 unit (11.9–13.0, n=5)` with `prec` decimals.
fn show(s: Spread, prec: usize, unit: &str) -> String {
    format!("{:.prec$} {unit} ({:.prec$}–{:.prec$}, n={})", s.median, s.min, s.max, s.n)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn now_ms() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

// ---- measuring a process ---------------------------------------------------

/// One finished agent process and what it cost.
struct Run {
    wall: Duration,
    /// Its own CPU time (user + system), children excluded.
    cpu: Duration,
    /// Peak RSS (VmHWM), KiB.
    hwm_kib: u64,
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// `VmHWM`/`VmRSS` (KiB) of `pid`, if it still has memory.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU time `pid` has run itself (its thread group leader: the agent is
/// single-threaded), from `/proc/<pid>/schedstat`.
fn cpu_of(pid: u32) -> Duration {
    let s = std::fs::read_to_string(format!("/proc/{pid}/schedstat"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/schedstat: {e}"));
    Duration::from_nanos(s.split_whitespace().next().unwrap().parse().unwrap())
}

/// Runs `cmd` to completion (at most `limit`), sampling its peak RSS, and
/// reads its CPU time once it has exited but before it is reaped.
fn run_measured(cmd: &mut Command, limit: Duration) -> Run {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut g = Guard::spawn(cmd);
    let pid = g.id();
    let mut out = g.child().stdout.take().unwrap();
    let mut err = g.child().stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let mut hwm = 0;
    loop {
        if let Some(v) = status_kib(pid, "VmHWM:") {
            hwm = hwm.max(v);
        }
        if compliance_agent::sys::has_exited(pid).unwrap() {
            break;
        }
        assert!(started.elapsed() < limit, "{cmd:?} still running after {limit:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
    let wall = started.elapsed();
    let cpu = cpu_of(pid);
    let status = g.wait_timeout(Duration::from_secs(5)).unwrap();
    drop(g);
    Run { wall, cpu, hwm_kib: hwm, status, stdout: t_out.join().unwrap(), stderr: t_err.join().unwrap() }
}

/// The agent with `--config <env's config>` and `args`.
fn agent(env: &TestEnv, args: &[&str]) -> Command {
    let mut c = Command::new(agent_bin());
    c.arg("--config").arg(&env.config).args(args);
    c
}

const LIMIT: Duration = Duration::from_secs(600);

// ---- stores ------------------------------------------------------------------

fn writer() -> compliance_agent::evidence::attest::Writer {
    support::env::test_writer(CheckName::ALL.to_vec())
}

/// A cycle bundle with all six checks' results, as the daemon writes it.
fn cycle_record(t: i64) -> Record {
    let mut r = Record::new(Kind::Cycle, Outcome::Success, t);
    r.results = Some(json!({
        "patching": {"drift": false, "revision": "0f3c2a1b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b", "duration_ms": 12},
        "services": {"drift": false, "units": {"sshd.service": "active"}, "duration_ms": 4},
        "backups": {"drift": false, "age_hours": 3, "duration_ms": 1},
        "firewall": {"drift": false, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "duration_ms": 9},
        "logging": {"drift": false, "canary": "ca-1f2e3d", "duration_ms": 30},
        "encryption": {"drift": false, "volumes": {"cryptroot": "active"}, "duration_ms": 6},
    }));
    r
}

/// Copies a state directory (regular files and directories, modes kept).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::set_permissions(to, std::fs::metadata(from).unwrap().permissions()).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let ty = e.file_type().unwrap();
        let dst = to.join(e.file_name());
        if ty.is_dir() {
            copy_dir(&e.path(), &dst);
        } else if ty.is_file() {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// Bytes of the database and its WAL in a state dir.
fn db_bytes(state: &Path) -> (u64, u64) {
    let len = |n: &str| std::fs::metadata(state.join(n)).map_or(0, |m| m.len());
    (len("agent.db"), len("agent.db-wal"))
}

/// State directories holding 1,000, 10,000 and 100,000 cycle bundles,
/// written once through the agent's own bundle writer (one durable
/// transaction each) and copied for every run that changes them.
struct Stores {
    _dir: TempDir,
    by_size: Vec<(usize, PathBuf)>,
    seeded_in: Duration,
}

impl Stores {
    fn get(&self, n: usize) -> &Path {
        &self.by_size.iter().find(|(k, _)| *k == n).unwrap().1
    }
}

static STORES: OnceLock<Stores> = OnceLock::new();

/// A scratch directory on tmpfs (`/dev/shm`) when there is one, removed on
/// drop: seeding writes one durable transaction per bundle, and an fsync
/// there costs nothing, so seeding measures signing and SQLite, not the disk.
/// The stores are then copied to the ordinary temp dir, where every run
/// uses them.
struct Scratch(PathBuf);

impl Scratch {
    fn new(prefix: &str) -> Scratch {
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() { base.to_path_buf() } else { std::env::temp_dir() };
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
        let p = base.join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn stores() -> &'static Stores {
    STORES.get_or_init(|| {
        let dir = TempDir::new("bench-stores");
        let scratch = Scratch::new("bench-seed");
        let work = scratch.0.join("state");
        let w = writer();
        let sizes = [1_000usize, 10_000, 100_000];
        let t0 = now_ms() - 100_000 * 1000;
        let started = Instant::now();
        let mut by_size = Vec::new();
        let mut done = 0usize;
        for n in sizes {
            progress(&format!("seeding a {n}-bundle store on tmpfs (once, reused by copies)"));
            {
                let store = Store::open_in(&work).unwrap();
                for i in done..n {
                    let t = t0 + i as i64 * 1000;
                    w.append(&store, &cycle_record(t), None, t).unwrap();
                }
            }
            done = n;
            let snap = dir.path().join(format!("store-{n}"));
            copy_dir(&work, &snap);
            by_size.push((n, snap));
        }
        let seeded_in = started.elapsed();
        progress(&format!("stores seeded in {:.1} s", seeded_in.as_secs_f64()));
        Stores { _dir: dir, by_size, seeded_in }
    })
}

// ---- write -------------------------------------------------------------------

fn bundle_write() {
    let env = TestEnv::new();
    let store = Store::open_in(&env.state_dir()).unwrap();
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
        "bundle build+sign+store (durable, in-process): mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms over 1,000",
        ms(mean),
        ms(times[500]),
        ms(times[990])
    );
    // What one durable commit cannot go below on this disk: a 4 KiB write
    // and fdatasync in the same directory (a WAL commit is one of these).
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::File::create(env.state_dir().join("fsync-probe")).unwrap();
    let page = [0x5au8; 4096];
    let mut syncs = Vec::with_capacity(1000);
    for i in 0..1000u64 {
        let t0 = Instant::now();
        f.seek(SeekFrom::Start((i % 256) * 4096)).unwrap();
        f.write_all(&page).unwrap();
        f.sync_data().unwrap();
        syncs.push(t0.elapsed());
    }
    syncs.sort();
    let sync_mean = syncs.iter().sum::<Duration>() / syncs.len() as u32;
    println!(
        "one 4 KiB write + fdatasync on the same disk: mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms; a bundle costs {:.2}x of it (means)",
        ms(sync_mean),
        ms(syncs[500]),
        ms(syncs[990]),
        mean.as_secs_f64() / sync_mean.as_secs_f64()
    );
}

// ---- checks and units ----------------------------------------------------------

/// A simulated host where all six checks pass.
fn six_check_env() -> TestEnv {
    let env = TestEnv::new();
    let dir = env.path().to_path_buf();
    let manifest = dir.join("manifest.txt");
    std::fs::write(&manifest, "file list\n").unwrap();
    let sum = compliance_agent::encoding::sha256_hex(b"file list\n");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let status = dir.join("last-success");
    std::fs::write(
        &status,
        format!(r#"{{"timestamp": {now}, "checksum": "sha256:{sum}", "manifest": "{}"}}"#, manifest.display()),
    )
    .unwrap();
    let baseline = dir.join("firewall.nft");
    let rules = "flush ruleset\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n";
    std::fs::write(&baseline, rules).unwrap();
    std::fs::write(dir.join("firewall.nft.sig"), SigningKey::from_seed([9u8; 32]).sign(rules.as_bytes())).unwrap();
    env.host.set_nft_ruleset(rules);
    let (b, st) = (baseline.display().to_string(), status.display().to_string());
    let unshare =
        ["/usr/bin/unshare", "/bin/unshare"].into_iter().find(|p| Path::new(p).exists()).unwrap_or("/usr/bin/unshare");
    env.patch(move |v| {
        v["checks"] = json!({
            "patching": {"flake_ref": "github:clinic/appliance#appl-01", "allowed_flake_prefixes": ["github:clinic/appliance"],
                         "expected_revision": support::simhost::REVISION},
            "services": {"units": ["sshd.service", "backup.service"]},
            "backups": {"status_file": st, "unit": "backup.service"},
            "firewall": {"baseline_file": b, "baseline_sig_file": format!("{b}.sig")},
            "logging": {},
            "encryption": {"volumes": ["cryptroot"]},
        });
        v["tools"]["unshare"] = json!(unshare);
        v["log"]["level"] = json!("info");
    });
    env
}

/// `check --json` `reps` times: wall, the agent's own CPU, and wall minus
/// the time its tools ran (as the agent reports it).
fn check_runs(env: &TestEnv, reps: usize) -> (Spread, Spread, Spread) {
    let (mut walls, mut cpus, mut own) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..reps {
        let r = run_measured(&mut agent(env, &["check", "--json"]), LIMIT);
        let v: serde_json::Value = serde_json::from_slice(&r.stdout)
            .unwrap_or_else(|e| panic!("check --json: {e}\n{}", String::from_utf8_lossy(&r.stderr)));
        assert_eq!(v["compliant"], json!(true), "{v}");
        let tools: u64 = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["commands"].as_array().unwrap().iter())
            .map(|c| c["duration_ms"].as_u64().unwrap())
            .sum();
        walls.push(ms(r.wall));
        cpus.push(ms(r.cpu));
        own.push(ms(r.wall.saturating_sub(Duration::from_millis(tools))));
    }
    (spread(&walls), spread(&cpus), spread(&own))
}

fn six_checks() {
    let env = six_check_env();
    let (wall, cpu, own) = check_runs(&env, 10);
    println!("six checks against the simulated host (check --json, process start included):");
    println!("  wall                               {}", show(wall, 1, "ms"));
    println!("  agent CPU (own process, no children) {}", show(cpu, 1, "ms"));
    println!("  wall minus tool time               {}", show(own, 1, "ms"));
}

fn units() {
    println!("agent-own time by services units configured (check --json; services, logging, encryption):");
    for n in [1usize, 10, 100] {
        progress(&format!("units: {n}"));
        let env = TestEnv::new();
        let names: Vec<String> = (0..n).map(|i| format!("clinic-{i:03}.service")).collect();
        for u in &names {
            env.host.set_unit(u, "active");
        }
        env.patch(|v| {
            v["checks"]["services"]["units"] = json!(names);
            v["log"]["level"] = json!("info");
        });
        let (wall, cpu, own) = check_runs(&env, 5);
        println!(
            "  {n:>3} units: agent CPU {}; wall minus tool time {}; wall {}",
            show(cpu, 1, "ms"),
            show(own, 1, "ms"),
            show(wall, 1, "ms")
        );
    }
}

// ---- verify ------------------------------------------------------------------

fn verify() {
    let stores = stores();
    let pk = SigningKey::from_seed(support::env::EVIDENCE_SEED).public();
    let pem_dir = TempDir::new("bench-verify");
    let pem = pem_dir.path().join("evidence.pub.pem");
    std::fs::write(&pem, compliance_agent::keys::public_key_pem(&pk)).unwrap();
    println!("evidence verify (--db, the CLI as an auditor runs it) beside the raw Ed25519 + SHA-256 rate:");
    for (n, reps) in [(10_000usize, 5), (100_000, 3)] {
        progress(&format!("verify: {n} bundles, {reps} runs of the CLI"));
        let db = stores.get(n).join("agent.db");
        let (mut rates, mut cpu_rates, mut walls, mut peak) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..reps {
            let r = run_measured(
                Command::new(agent_bin()).args(["evidence", "verify", "--db"]).arg(&db).arg("--pubkey").arg(&pem),
                LIMIT,
            );
            assert_eq!(
                r.status.code(),
                Some(0),
                "verify rejected a good chain of {n}:\n{}{}",
                String::from_utf8_lossy(&r.stdout),
                String::from_utf8_lossy(&r.stderr)
            );
            walls.push(r.wall.as_secs_f64());
            rates.push(n as f64 / r.wall.as_secs_f64());
            cpu_rates.push(n as f64 / r.cpu.as_secs_f64());
            peak.push(mib(r.hwm_kib));
        }
        // The same messages, in-process: SHA-256 (ring) and an Ed25519
        // verify (ed25519-compact) of each stored bundle.
        progress(&format!("verify: raw rate on the same {n} bundles"));
        let rows = Store::open_read_only(&db).unwrap().bundles_after(0, n + 1).unwrap();
        assert_eq!(rows.len(), n);
        let mean_len = rows.iter().map(|b| b.bytes.len()).sum::<usize>() / n;
        let (mut raw, mut raw_cpu) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let t0 = Instant::now();
            let c0 = thread_cpu();
            let mut good = 0usize;
            for b in &rows {
                let d = ring::digest::digest(&ring::digest::SHA256, &b.bytes);
                let sig = ed25519_compact::Signature::from_slice(&b.signature).unwrap();
                if pk.verify(&b.bytes, &sig).is_ok() && d.as_ref()[0] == hex_byte(&b.sha256) {
                    good += 1;
                }
            }
            let (took, cpu) = (t0.elapsed(), thread_cpu() - c0);
            assert_eq!(good, n, "raw verify rejected stored bundles");
            raw.push(n as f64 / took.as_secs_f64());
            raw_cpu.push(n as f64 / cpu.as_secs_f64());
        }
        let (rate, raw_rate) = (spread(&rates), spread(&raw));
        let (cpu_rate, raw_cpu_rate) = (spread(&cpu_rates), spread(&raw_cpu));
        println!(
            "  {n:>7} bundles ({mean_len} B each on average), CLI: {} per wall second, {} per CPU second (wall {}, peak RSS {})",
            show(rate, 0, "bundles/s"),
            show(cpu_rate, 0, "bundles/s"),
            show(spread(&walls), 2, "s"),
            show(spread(&peak), 1, "MiB")
        );
        println!(
            "  {n:>7} bundles, raw Ed25519 verify + SHA-256 in-process: {} per wall second, {} per CPU second",
            show(raw_rate, 0, "bundles/s"),
            show(raw_cpu_rate, 0, "bundles/s"),
        );
        println!(
            "  {n:>7} bundles: the CLI at {:.0} % of the raw rate per CPU second ({:.0} % per wall second; medians)",
            100.0 * cpu_rate.median / raw_cpu_rate.median,
            100.0 * rate.median / raw_rate.median
        );
    }
}

/// CPU time of the calling thread (`/proc/thread-self/schedstat`).
fn thread_cpu() -> Duration {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    Duration::from_nanos(s.split_whitespace().next().unwrap().parse().unwrap())
}

/// The first byte of a hex digest.
fn hex_byte(hex: &str) -> u8 {
    u8::from_str_radix(&hex[..2], 16).unwrap()
}

// ---- flush -------------------------------------------------------------------

/// Seqs received by the server, checked: each of `1..=at_least` (and
/// every other) exactly once, nothing posted twice. Returns the tip.
fn assert_delivered_once(server: &McpServer, at_least: u64, what: &str) -> u64 {
    let got = server.evidence();
    let deliveries = server.deliveries();
    let mut seqs: Vec<u64> = got
        .iter()
        .map(|r| serde_json::from_slice::<serde_json::Value>(&r.bundle).unwrap()["seq"].as_u64().unwrap())
        .collect();
    seqs.sort_unstable();
    let tip = *seqs.last().unwrap_or(&0);
    assert!(tip >= at_least, "{what}: the MCP got bundles up to seq {tip}, not {at_least}");
    assert!(seqs.iter().copied().eq(1..=tip), "{what}: seqs received are not 1..={tip} each once");
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for d in &deliveries {
        *ids.entry(d.as_str()).or_default() += 1;
    }
    let twice = ids.values().filter(|&&c| c > 1).count();
    assert_eq!(twice, 0, "{what}: {twice} bundles were posted more than once");
    assert_eq!(deliveries.len(), got.len(), "{what}: deliveries and stored bundles differ");
    tip
}

/// An env whose MCP is `server`, checks as [`TestEnv::new`], info logging.
fn env_with_mcp(server: &McpServer) -> TestEnv {
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    env.patch(|v| v["log"]["level"] = json!("info"));
    env
}

fn flush() {
    let stores = stores();
    // The same --once cycle with nothing to flush: its cost is subtracted
    // to give the flush's own CPU per bundle.
    progress("flush: baseline --once with an empty backlog");
    let (mut base_cpu, mut base_wall) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let server = McpServer::start();
        let env = env_with_mcp(&server);
        let r = run_measured(&mut agent(&env, &["--once"]), LIMIT);
        assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
        base_cpu.push(ms(r.cpu));
        base_wall.push(ms(r.wall));
    }
    let base = spread(&base_cpu);
    println!("flush over mTLS to the test MCP (--once; the cycle's checks run on the simulated host):");
    println!(
        "  a --once cycle with nothing to flush: agent CPU {}, wall {}",
        show(base, 1, "ms"),
        show(spread(&base_wall), 1, "ms")
    );
    // Last, 10,000 again with `mcp.receipt_keys` set: every receipt's
    // Ed25519 signature verified, as a deployment with receipt keys does.
    for (n, reps, signed) in [(1_000usize, 5, false), (10_000, 3, false), (100_000, 2, false), (10_000, 3, true)] {
        progress(&format!("flush: {n} bundles x {reps}{}", if signed { ", receipts verified" } else { "" }));
        let (mut walls, mut rss, mut per, mut marginal) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..reps {
            let server = McpServer::start();
            let env = env_with_mcp(&server);
            copy_dir(stores.get(n), &env.state_dir());
            env.patch(|v| {
                v["evidence"] = json!({"flush_max_per_cycle": n + 100, "flush_time_budget_secs": 600});
                if signed {
                    v["mcp"]["receipt_keys"] = support::mcp::receipt_key_json();
                }
            });
            let r = run_measured(&mut agent(&env, &["--once"]), LIMIT);
            assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
            assert_delivered_once(&server, n as u64, &format!("flush of {n}"));
            let left = Store::open_read_only(&env.db()).unwrap().backlog().unwrap().unpushed;
            assert_eq!(left, 0, "flush of {n}: {left} bundles left unpushed");
            // The agent's log of the last run of each size, for a look at
            // where its wall time went.
            let log = std::env::temp_dir().join(format!("compliance-agent-bench-flush-{n}.log"));
            std::fs::write(&log, &r.stderr).unwrap();
            walls.push(r.wall.as_secs_f64());
            rss.push(mib(r.hwm_kib));
            per.push(r.cpu.as_secs_f64() * 1e6 / n as f64);
            marginal.push((ms(r.cpu) - base.median) * 1e3 / n as f64);
        }
        if signed {
            println!("  with mcp.receipt_keys set (each receipt's signature verified; the rows above set none):");
        }
        println!(
            "  {n:>7} bundles: wall {}; peak RSS {}; agent CPU per bundle {} (minus the empty cycle: {})",
            show(spread(&walls), 2, "s"),
            show(spread(&rss), 1, "MiB"),
            show(spread(&per), 1, "µs"),
            show(spread(&marginal), 1, "µs")
        );
    }
}

// ---- outage ------------------------------------------------------------------

fn outage() {
    const MINUTES: i64 = 7 * 24 * 60;
    progress("outage: writing 7 days of one-minute cycles (a cycle bundle and an alert each)");
    let dir = TempDir::new("bench-outage");
    let scratch = Scratch::new("bench-outage");
    let snap = dir.path().join("state");
    let started = Instant::now();
    let (db, wal);
    {
        let store = Store::open_in(&scratch.0.join("state")).unwrap();
        let w = writer();
        let t0 = now_ms() - MINUTES * 60_000;
        for minute in 0..MINUTES {
            let t = t0 + minute * 60_000;
            w.append(&store, &cycle_record(t), None, t).unwrap();
            w.append(&store, &Record::alert("mcp_unreachable", "mcp_unreachable", "connect: refused", t), None, t)
                .unwrap();
        }
        (db, wal) = db_bytes(&scratch.0.join("state"));
    }
    let seeded = started.elapsed();
    copy_dir(&scratch.0.join("state"), &snap);
    drop(scratch);
    let produced = Store::open_read_only(&snap.join("agent.db")).unwrap().backlog().unwrap();
    assert_eq!(produced.unpushed, 2 * MINUTES as u64);
    let (db_closed, wal_closed) = db_bytes(&snap);
    let (mut cycles, mut drain_wall, mut drain_cpu, mut rss) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for rep in 0..3 {
        progress(&format!("outage: draining with --once cycles, run {}", rep + 1));
        let server = McpServer::start();
        let env = env_with_mcp(&server);
        copy_dir(&snap, &env.state_dir());
        let (mut n, mut wall, mut cpu, mut hwm) = (0usize, Duration::ZERO, Duration::ZERO, 0u64);
        loop {
            let left = Store::open_read_only(&env.db()).unwrap().backlog().unwrap().unpushed;
            if left == 0 {
                break;
            }
            n += 1;
            assert!(n <= 20, "outage: {left} bundles still unpushed after 20 cycles");
            let r = run_measured(&mut agent(&env, &["--once"]), LIMIT);
            assert!(
                matches!(r.status.code(), Some(0) | Some(support::env::UNDELIVERED)),
                "{}",
                String::from_utf8_lossy(&r.stderr)
            );
            wall += r.wall;
            cpu += r.cpu;
            hwm = hwm.max(r.hwm_kib);
        }
        assert_delivered_once(&server, produced.unpushed, "outage drain");
        let v = run_measured(
            Command::new(agent_bin())
                .args(["evidence", "verify", "--db"])
                .arg(env.db())
                .arg("--pubkey")
                .arg(env.pubkey_pem()),
            LIMIT,
        );
        assert_eq!(v.status.code(), Some(0), "verify after the drain: {}", String::from_utf8_lossy(&v.stdout));
        cycles.push(n as f64);
        drain_wall.push(wall.as_secs_f64());
        drain_cpu.push(cpu.as_secs_f64());
        rss.push(mib(hwm));
    }
    let cyc = spread(&cycles);
    println!(
        "7-day outage at one-minute cycles (store seeded through the agent's bundle writer, not by 10,080 daemon cycles):"
    );
    println!(
        "  bundles produced {} ({} cycle + {} alert, the summary written every cycle: the worst case), written in {:.1} s on tmpfs",
        produced.unpushed,
        MINUTES,
        MINUTES,
        seeded.as_secs_f64()
    );
    println!(
        "  disk used: db {:.1} MiB + wal {:.1} MiB while open; db {:.1} MiB + wal {:.1} MiB closed",
        db as f64 / 1048576.0,
        wal as f64 / 1048576.0,
        db_closed as f64 / 1048576.0,
        wal_closed as f64 / 1048576.0
    );
    println!(
        "  drain at the default flush_max_per_cycle (4096): {} cycles, i.e. about {:.0} min at one-minute cycles; agent busy {} (CPU {}), peak RSS {}",
        show(cyc, 0, ""),
        (cyc.median - 1.0).max(0.0),
        show(spread(&drain_wall), 2, "s"),
        show(spread(&drain_cpu), 2, "s"),
        show(spread(&rss), 1, "MiB")
    );
    println!("  nothing lost: every seq received exactly once, the chain verifies (3 of 3 drains)");
}

// ---- startup -------------------------------------------------------------------

/// Starts the daemon, returns the time to READY=1 and the CPU time it had
/// used when READY=1 was read (a little of the first cycle may be in it),
/// stops it.
fn time_to_ready(env: &TestEnv) -> (Duration, Duration) {
    let notify_dir = TempDir::new("bench-notify");
    let mut sock = NotifySocket::bind(notify_dir.path());
    let mut cmd = agent(env, &[]);
    cmd.env("NOTIFY_SOCKET", sock.path());
    let t0 = Instant::now();
    let mut g = Guard::spawn_logged(&mut cmd);
    let ready = sock.wait_for("READY=1", Duration::from_secs(60));
    let took = t0.elapsed();
    let cpu = cpu_of(g.id());
    assert!(ready, "no READY=1 within 60 s:\n{}", g.log());
    g.signal("TERM");
    let st = g.wait_within(Duration::from_secs(60), "daemon after SIGTERM");
    assert_eq!(st.code(), Some(0), "{}", g.log());
    (took, cpu)
}

fn startup() {
    // A first start creates the database, checks it in full and hashes
    // the executable for the build id; later starts find the clean-close
    // record and the remembered build id, which is the appliance's
    // every-day case (a restart, a `--once` run).
    progress("startup: empty store");
    let (mut first, mut first_cpu, mut empty, mut empty_cpu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..3 {
        let env = TestEnv::new();
        env.patch(|v| v["log"]["level"] = json!("info"));
        let (wall, cpu) = time_to_ready(&env);
        first.push(ms(wall));
        first_cpu.push(ms(cpu));
        for _ in 0..4 {
            let (wall, cpu) = time_to_ready(&env);
            empty.push(ms(wall));
            empty_cpu.push(ms(cpu));
        }
    }
    let stores = stores();
    progress("startup: 100,000-bundle store");
    let env = TestEnv::new();
    env.patch(|v| v["log"]["level"] = json!("info"));
    copy_dir(stores.get(100_000), &env.state_dir());
    let (first_large, first_large_cpu) = time_to_ready(&env);
    let (mut large, mut large_cpu) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        let (wall, cpu) = time_to_ready(&env);
        large.push(ms(wall));
        large_cpu.push(ms(cpu));
    }
    println!("start-up to READY=1 (spawn to the datagram; MCP down):");
    println!(
        "  first start (creates the database, hashes the executable): wall {}; agent CPU by then {}",
        show(spread(&first), 1, "ms"),
        show(spread(&first_cpu), 1, "ms")
    );
    println!(
        "  empty store, later starts:           wall {}; agent CPU by then {}",
        show(spread(&empty), 1, "ms"),
        show(spread(&empty_cpu), 1, "ms")
    );
    println!(
        "  100,000-bundle store, first start (no clean-close record: full check): wall {:.1} ms; agent CPU {:.1} ms",
        ms(first_large),
        ms(first_large_cpu)
    );
    println!(
        "  100,000-bundle store, later starts:  wall {}; agent CPU by then {}",
        show(spread(&large), 1, "ms"),
        show(spread(&large_cpu), 1, "ms")
    );
}

// ---- quiet ---------------------------------------------------------------------

/// utime + stime of `pid` from /proc/<pid>/stat, in clock ticks.
fn stat_ticks(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &s[s.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of stat(5); `rest` starts at field 3.
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// The daemon at `poll_interval_secs` 1 (jitter 0) with the MCP up and no
/// orders: CPU per quiet cycle and RSS across `cycles` cycles after a
/// warm-up of 10. A release build cannot compress the interval (the idle
/// hook exists in debug builds only), so this takes `cycles` seconds and
/// runs beside the other groups; returns the lines to print.
fn quiet(cycles: usize, checks_due: bool) -> String {
    let server = McpServer::start();
    let env = env_with_mcp(&server);
    env.patch(|v| {
        v["poll_interval_secs"] = json!(1);
        v["jitter_percent"] = json!(0);
        if !checks_due {
            // Checks run at start-up (in the warm-up), then not again:
            // what is left is the cycle itself (poll, attest, flush).
            for (_, c) in v["checks"].as_object_mut().unwrap().iter_mut() {
                c["interval_secs"] = json!(86_400);
            }
        }
    });
    let notify = NotifyCollector::bind(env.path());
    let mut cmd = agent(&env, &[]);
    cmd.env("NOTIFY_SOCKET", notify.path());
    let mut g = Guard::spawn_logged(&mut cmd);
    let pid = g.id();
    let idle = |n: usize| {
        // READY=1 carries the first STATUS=idle: n cycles done at n + 1.
        assert!(
            notify.wait_count("STATUS=idle", n + 1, Duration::from_secs(120)),
            "quiet daemon: cycle {n} did not come\n{}",
            g.log()
        );
    };
    idle(10);
    let (cpu0, ticks0, rss0) = (cpu_of(pid), stat_ticks(pid), status_kib(pid, "VmRSS:").unwrap());
    let mut at = 10;
    let mut rss_max = rss0;
    // CPU per cycle over each stretch of 50 cycles: the spread.
    let (mut chunks, mut last) = (Vec::new(), cpu0);
    while at < 10 + cycles {
        let step = 50.min(10 + cycles - at);
        at += step;
        idle(at);
        let now = cpu_of(pid);
        chunks.push((now - last).as_secs_f64() * 1000.0 / step as f64);
        last = now;
        rss_max = rss_max.max(status_kib(pid, "VmRSS:").unwrap());
    }
    let (cpu1, ticks1, rss1, hwm) =
        (cpu_of(pid), stat_ticks(pid), status_kib(pid, "VmRSS:").unwrap(), status_kib(pid, "VmHWM:").unwrap());
    g.signal("TERM");
    let st = g.wait_within(Duration::from_secs(60), "quiet daemon after SIGTERM");
    assert_eq!(st.code(), Some(0), "{}", g.log());
    let pushed = server.evidence().len();
    assert!(pushed >= 1, "quiet daemon pushed nothing");
    let per = (cpu1 - cpu0).as_secs_f64() * 1000.0 / cycles as f64;
    let per_ticks = (ticks1 - ticks0) as f64 * 10.0 / cycles as f64;
    let checks =
        if checks_due { "the three default checks every cycle" } else { "no check due: poll, attest, flush only" };
    format!(
        "daemon over {cycles} quiet cycles (poll_interval_secs 1, jitter 0, MCP up, no orders, {checks}):\n  \
         agent CPU per cycle {per:.2} ms overall; per stretch of 50 cycles {} (schedstat; utime+stime from stat at 10 ms resolution: {per_ticks:.2} ms)\n  \
         RSS {:.1} MiB after the warm-up, {:.1} MiB at the end, highest sample {:.1} MiB, VmHWM {:.1} MiB; {pushed} bundles pushed",
        show(spread(&chunks), 2, "ms"),
        mib(rss0),
        mib(rss1),
        mib(rss_max),
        mib(hwm)
    )
}

// ---- size ----------------------------------------------------------------------

fn size() {
    let bin = agent_bin();
    let bytes = std::fs::read(&bin).unwrap();
    let stripped = !bytes.windows(7).any(|w| w == b".symtab");
    println!(
        "binary {}: {:.2} MiB ({} bytes, {})",
        bin.display(),
        bytes.len() as f64 / 1048576.0,
        bytes.len(),
        if stripped { "stripped" } else { "NOT stripped" }
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "-e", "normal", "--prefix", "none", "--offline", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo tree: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.replace(" (*)", "").replace(" (proc-macro)", ""))
        .collect();
    lines.sort();
    lines.dedup();
    let mut names: Vec<&str> = lines.iter().filter_map(|l| l.split_whitespace().next()).collect();
    names.dedup();
    println!(
        "crates in the normal dependency tree (cargo tree -e normal --prefix none | sed ... | sort -u): {} lines, {} distinct names, the agent included",
        lines.len(),
        names.len()
    );
}

// ---- main ----------------------------------------------------------------------

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // useful: only run when asked to benchmark.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    START.get_or_init(Instant::now);
    // The seeded stores live in a static, which is never dropped: remove
    // them when main returns or unwinds.
    struct RemoveStores;
    impl Drop for RemoveStores {
        fn drop(&mut self) {
            if let Some(s) = STORES.get() {
                let _ = std::fs::remove_dir_all(s._dir.path());
            }
        }
    }
    let _remove_stores = RemoveStores;
    let mut wanted: Vec<String> = args.iter().filter(|a| !a.starts_with('-')).cloned().collect();
    if let Ok(v) = std::env::var("BENCH_ONLY") {
        wanted.extend(v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from));
    }
    for w in &wanted {
        assert!(GROUPS.contains(&w.as_str()), "unknown group {w:?}; groups: {}", GROUPS.join(" "));
    }
    let on = |g: &str| wanted.is_empty() || wanted.iter().any(|w| w == g);
    println!("agent binary: {}", agent_bin().display());
    let machine_at_start = machine();
    println!("machine at start: {}", machine_at_start.0);
    // The quiet daemon takes real seconds: start it first, beside the rest.
    let quiet_cycles: usize = std::env::var("BENCH_QUIET_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    let quiet = on("quiet").then(|| {
        progress(&format!("quiet: daemon started for {quiet_cycles} one-second cycles, in the background"));
        // Two daemons side by side: checks due every cycle, and none due.
        let due = std::thread::spawn(move || quiet(quiet_cycles, true));
        let none = std::thread::spawn(move || quiet(quiet_cycles, false));
        [due, none]
    });
    let steps: [(&str, fn()); 8] = [
        ("size", size),
        ("write", bundle_write),
        ("checks", six_checks),
        ("units", units),
        ("startup", startup),
        ("verify", verify),
        ("flush", flush),
        ("outage", outage),
    ];
    for (name, f) in steps {
        if on(name) {
            progress(name);
            f();
        }
    }
    if let Some(daemons) = quiet {
        progress("quiet: waiting for the background daemons' cycles");
        for q in daemons {
            match q.join() {
                Ok(text) => println!("{text}"),
                Err(e) => std::panic::resume_unwind(e),
            }
        }
    }
    if let Some(s) = STORES.get() {
        println!(
            "(stores of 1,000 / 10,000 / 100,000 bundles seeded once through the agent's bundle writer, on tmpfs, in {:.1} s)",
            s.seeded_in.as_secs_f64()
        );
    }
    let (text, cpu1) = machine();
    let (busy, steal) = (cpu1.0 - machine_at_start.1 .0, cpu1.1 - machine_at_start.1 .1);
    println!(
        "machine at the end: {text}; over the run {:.0} % of both CPUs busy, {:.1} % stolen by the hypervisor",
        100.0 * busy as f64 / (cpu1.2 - machine_at_start.1 .2).max(1) as f64,
        100.0 * steal as f64 / (cpu1.2 - machine_at_start.1 .2).max(1) as f64
    );
    progress("done");
}

/// The load average and CPU count as text, and (busy, steal, total)
/// jiffies from /proc/stat: wall-clock figures depend on what else ran.
fn machine() -> (String, (u64, u64, u64)) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cpu: Vec<u64> =
        stat.lines().next().unwrap_or("").split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let get = |i: usize| cpu.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal
    let total: u64 = (0..8).map(get).sum();
    let busy = total - get(3) - get(4);
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    (format!("{cpus} CPUs, load average {}", load.join(" ")), (busy, get(7), total))
}
