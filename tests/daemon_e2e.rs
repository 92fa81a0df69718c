//! The seed plan's five failure cases, and a day compressed, as daemon-level
//! tests: the agent binary runs as the daemon (not `--once`), with
//! `NOTIFY_SOCKET` on a socket this test reads and a watchdog period,
//! polling every second against the simulated host and the test MCP over
//! mutual TLS. Each test asserts on what the MCP received (outcomes and
//! reasons; every stored bundle exactly once with a receipt, byte for byte,
//! no seq gap, the chain and every signature verified), on the
//! notifications (READY=1 once, STATUS and WATCHDOG never stalled), that
//! the daemon never held a socket anyone could connect or send to, and ends
//! with SIGTERM: STOPPING=1 and exit 0 within 3 s.
//!
//! The `--once` forms of the same cases are in orders_mtls.rs, heal.rs and
//! evidence_cli.rs; these run the loop: the state carried from cycle to
//! cycle (alert episodes, back-off, the outbox, the seen orders).
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::encoding::sha256_hex;
use compliance_agent::evidence::verify::{Item, Verifier};
use compliance_agent::keys::SigningKey;
use compliance_agent::orders::dsse::sign;
use compliance_agent::store::Store;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::child::{output_within, Guard, RUN_LIMIT};
use support::dns::{with_resolv_conf, FakeDns};
use support::env::{agent_bin, TestEnv, EVIDENCE_SEED};
use support::mcp::{reserved_port, McpServer};
use support::notify::NotifyCollector;
use support::simhost::{FLAKE_REF, OTHER_REVISION, REVISION};
use support::sockets::{Seen, SocketWatch};

/// `WATCHDOG_USEC` for the daemon: it should ping every half of it, and
/// systemd would kill it after a whole one without a ping.
const WATCHDOG: Duration = Duration::from_secs(6);
/// The daemon's `poll_interval_secs` (the least the config allows; no jitter).
const POLL_SECS: u64 = 1;
/// The longest anything a test waits for may take (slow, loaded CI).
const WAIT: Duration = Duration::from_secs(60);
/// After SIGTERM the daemon is gone within this.
const STOP_LIMIT: Duration = Duration::from_secs(3);
/// The longest the daemon may go without a new `STATUS=` (one idle pause
/// plus a cycle's work on the simulated host, with room for load), unless
/// the status names long work in progress (`heal: rebuilding the system`):
/// that may last as long as the work, while WATCHDOG=1 says it is alive.
const STATUS_SILENCE: Duration = Duration::from_secs(POLL_SECS + 7);

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// An order signed by the key the config trusts (`test-2026a`, seed 9).
fn envelope(p: &Value) -> Vec<u8> {
    sign(p.to_string().as_bytes(), &[("test-2026a", &SigningKey::from_seed([9u8; 32]))])
}

fn payload(id: &str, action: &str, params: Value) -> Value {
    json!({"order_id": id, "site_id": "clinic-042", "appliance_id": "appl-01",
           "issued_at": now(), "ttl_secs": 900, "action": action, "params": params})
}

/// An appliance whose daemon cycles every second against `mcp_url`.
fn daemon_env(mcp_url: &str) -> TestEnv {
    let env = TestEnv::new();
    env.set_mcp_url(mcp_url);
    env.patch(|v| {
        v["poll_interval_secs"] = json!(POLL_SECS);
        v["jitter_percent"] = json!(0);
    });
    env
}

/// Host calls that change something (the checks' reads and the logging
/// canary do not).
fn changing_calls(env: &TestEnv) -> Vec<String> {
    env.host
        .calls()
        .into_iter()
        .filter(|c| {
            let w: Vec<&str> = c.split_whitespace().collect();
            match w.first().copied() {
                Some("nixos-rebuild") => true,
                Some("systemctl") => w
                    .iter()
                    .any(|a| matches!(*a, "start" | "restart" | "stop" | "reload" | "try-restart" | "reset-failed")),
                Some("nft") => w.iter().any(|a| matches!(*a, "-f" | "flush" | "add" | "delete" | "insert" | "replace")),
                Some("cryptsetup") => w.iter().any(|a| matches!(*a, "open" | "close" | "luksOpen" | "luksClose")),
                _ => false,
            }
        })
        .collect()
}

/// Waits (bounded) until `cond` holds; fails with the daemon's log.
fn wait_for(what: &str, d: &Daemon, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {WAIT:?}\n{}", d.tail());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The agent running as the daemon, its notify socket and a watch on its
/// sockets.
struct Daemon {
    child: Guard,
    notify: NotifyCollector,
    sockets: SocketWatch,
}

/// What a stopped daemon left behind.
struct Stopped {
    log: String,
    sockets: Seen,
    /// Every `STATUS=` value, in order.
    statuses: Vec<String>,
}

impl Daemon {
    fn start(env: &TestEnv) -> Daemon {
        Self::start_with(env, Command::new(agent_bin()), &[])
    }

    /// Runs `cmd` (the agent, perhaps behind a wrapper that execs it) as
    /// the daemon with `vars` in its environment; returns after READY=1.
    fn start_with(env: &TestEnv, mut cmd: Command, vars: &[(&str, &str)]) -> Daemon {
        let notify = NotifyCollector::bind(env.path());
        cmd.arg("--config")
            .arg(&env.config)
            .env("NOTIFY_SOCKET", notify.path())
            .env("WATCHDOG_USEC", WATCHDOG.as_micros().to_string());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let child = Guard::spawn_logged(&mut cmd);
        // From the first moment: a wrapper execs the agent in place.
        let sockets = SocketWatch::start(child.id());
        let d = Daemon { child, notify, sockets };
        assert!(d.notify.wait_count("READY=1", 1, WAIT), "no READY=1\n{}", d.tail());
        d
    }

    /// Cycles completed so far (`STATUS=idle` after each Flush; READY=1
    /// carries the first one).
    fn cycles(&self) -> usize {
        self.notify.count("STATUS=idle").saturating_sub(1)
    }

    /// Waits for `n` more complete cycles.
    fn wait_cycles(&self, n: usize) {
        let want = self.cycles() + n + 1;
        assert!(self.notify.wait_count("STATUS=idle", want, WAIT), "{n} more cycles did not come\n{}", self.tail());
    }

    /// The end of the log, for failure messages.
    fn tail(&self) -> String {
        let log = self.child.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// SIGTERM, and what every scenario asserts at the end: STOPPING=1,
    /// exit 0 within [`STOP_LIMIT`], READY=1 once and first, WATCHDOG and
    /// STATUS never silent for long, no socket that accepts.
    fn stop(mut self) -> Stopped {
        let sent = Instant::now();
        self.child.signal("TERM");
        let status = self.child.wait_within(WAIT, "agent after SIGTERM");
        let took = sent.elapsed();
        let log = self.child.log();
        assert_eq!(status.code(), Some(0), "{log}");
        assert!(took < STOP_LIMIT, "exit took {took:?}\n{log}");
        assert!(log.contains("stop requested"), "{log}");
        let sockets = self.sockets.finish();
        // Everything it sent is queued by now; the reader needs a moment.
        let drained = Duration::from_secs(5);
        assert!(self.notify.wait_count("STOPPING=1", 1, drained), "no STOPPING=1: {:?}", self.notify.lines());
        let (first, stopping_at, status_gap) = self.notify.with(|r| {
            let stopping_at = r.datagrams.iter().find(|(_, m)| m.lines().any(|l| l == "STOPPING=1")).unwrap().0;
            let statuses: Vec<(Instant, &str)> = r
                .datagrams
                .iter()
                .filter(|(t, _)| *t <= stopping_at)
                .filter_map(|(t, m)| m.lines().find_map(|l| l.strip_prefix("STATUS=")).map(|s| (*t, s)))
                .collect();
            let gap = statuses
                .windows(2)
                .filter(|p| !p[0].1.starts_with("heal: "))
                .map(|p| p[1].0.duration_since(p[0].0))
                .max()
                .unwrap_or_default();
            (r.lines.first().cloned(), stopping_at, gap)
        });
        assert_eq!(first.as_deref(), Some("READY=1"));
        assert_eq!(self.notify.count("READY=1"), 1);
        assert_eq!(self.notify.count("STOPPING=1"), 1);
        // systemd's rule: a ping (READY=1 counts as the first) at least
        // once per WATCHDOG_USEC, right up to the stop.
        let ping = self.notify.longest_gap(|l| l == "READY=1" || l == "WATCHDOG=1", stopping_at).unwrap();
        assert!(ping < WATCHDOG, "{ping:?} without WATCHDOG=1 (WATCHDOG_USEC is {WATCHDOG:?})");
        assert!(status_gap < STATUS_SILENCE, "{status_gap:?} without a STATUS= update");
        assert!(sockets.samples >= 10, "only {} samples of the daemon's sockets", sockets.samples);
        assert!(sockets.accepting().is_empty(), "the daemon held sockets that accept: {:?}", sockets.accepting());
        let statuses =
            self.notify.lines().iter().filter_map(|l| l.strip_prefix("STATUS=")).map(str::to_string).collect();
        Stopped { log, sockets, statuses }
    }
}

/// What the MCP received, against the database of the stopped daemon:
/// every stored bundle arrived exactly once, byte for byte and with its
/// signature, and has its receipt; seqs run 1..=tip without a gap; the
/// chain and every signature verify (the library's verifier over what the
/// MCP received, and `evidence verify` over the database). The received
/// bundles, parsed, in seq order.
fn delivered(server: &McpServer, env: &TestEnv) -> Vec<Value> {
    let stored = Store::open_read_only(&env.db()).unwrap().bundles_after(0, 1_000_000).unwrap();
    let seqs: Vec<u64> = stored.iter().map(|b| b.seq).collect();
    assert_eq!(seqs, (1..=stored.len() as u64).collect::<Vec<_>>(), "a seq gap in the database");
    let received: BTreeMap<String, support::mcp::Received> =
        server.evidence().into_iter().map(|r| (r.bundle_id.clone(), r)).collect();
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    for id in server.deliveries() {
        *times.entry(id).or_default() += 1;
    }
    let mut verifier = Verifier::new(SigningKey::from_seed(EVIDENCE_SEED).public());
    let mut out = Vec::new();
    for b in &stored {
        let n = times.remove(&b.bundle_id).unwrap_or(0);
        assert_eq!(n, 1, "seq {} ({}) was delivered {n} times", b.seq, b.kind);
        assert!(b.pushed_ms.is_some(), "seq {} has no receipt", b.seq);
        let r = &received[&b.bundle_id];
        assert!(r.bundle == b.bytes && r.signature == b.signature, "seq {} differs from what was stored", b.seq);
        verifier.push(&Item {
            origin: format!("received seq {}", b.seq),
            seq: b.seq,
            bundle_id: r.bundle_id.clone(),
            bytes: r.bundle.clone(),
            signature: r.signature.clone(),
        });
        out.push(serde_json::from_slice::<Value>(&r.bundle).unwrap());
    }
    assert!(times.is_empty(), "the MCP received bundles the database does not hold: {times:?}");
    let verdict = verifier.finish();
    assert!(verdict.ok(), "{:#?}", verdict.problems);
    let cli = output_within(
        Command::new(agent_bin())
            .args(["evidence", "verify", "--db"])
            .arg(env.db())
            .arg("--pubkey")
            .arg(env.pubkey_pem()),
        RUN_LIMIT,
    );
    assert_eq!(cli.status.code(), Some(0), "{}", String::from_utf8_lossy(&cli.stdout));
    out
}

/// The received bundles of `kind`.
fn of_kind<'a>(bundles: &'a [Value], kind: &str) -> Vec<&'a Value> {
    bundles.iter().filter(|b| b["kind"] == kind).collect()
}

/// Whether the MCP holds a bundle for which `pred` holds.
fn received(server: &McpServer, pred: impl Fn(&Value) -> bool) -> bool {
    server.evidence().iter().any(|r| serde_json::from_slice::<Value>(&r.bundle).is_ok_and(|v| pred(&v)))
}

/// Checks every received signature with `openssl pkeyutl` and every
/// `prev_sha256` with `openssl dgst`, from files, as an auditor would.
fn verify_with_openssl(env: &TestEnv, server: &McpServer) {
    let dir = env.path().join("openssl");
    std::fs::create_dir(&dir).unwrap();
    let public = env.pubkey_pem();
    let mut by_seq: BTreeMap<u64, std::path::PathBuf> = BTreeMap::new();
    for r in server.evidence() {
        let seq = serde_json::from_slice::<Value>(&r.bundle).unwrap()["seq"].as_u64().unwrap();
        let file = dir.join(format!("{seq}.json"));
        std::fs::write(&file, &r.bundle).unwrap();
        std::fs::write(dir.join(format!("{seq}.sig")), &r.signature).unwrap();
        let o = output_within(
            Command::new("openssl")
                .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
                .arg(&public)
                .args(["-rawin", "-in"])
                .arg(&file)
                .arg("-sigfile")
                .arg(dir.join(format!("{seq}.sig"))),
            RUN_LIMIT,
        );
        let said = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success() && said.contains("Signature Verified Successfully"), "seq {seq}: {said}");
        by_seq.insert(seq, file);
    }
    let o = output_within(Command::new("openssl").args(["dgst", "-sha256", "-r"]).args(by_seq.values()), RUN_LIMIT);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let digests: Vec<String> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(digests.len(), by_seq.len());
    let mut prev = "0".repeat(64);
    for ((seq, file), digest) in by_seq.iter().zip(&digests) {
        let v: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        assert_eq!(v["prev_sha256"], json!(prev), "seq {seq}");
        prev = digest.clone();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_forged_order_is_discarded_and_rejected_once_while_the_daemon_polls_on() {
    // Seed plan case 1: the key id the config trusts, another key; for a
    // real action that would change the host.
    let server = McpServer::start();
    let env = daemon_env(&server.url());
    let forged = sign(
        payload("o-forged", "restart_service", json!({"unit": "sshd.service"})).to_string().as_bytes(),
        &[("test-2026a", &SigningKey::from_seed([4u8; 32]))],
    );
    server.set_orders(vec![forged.clone()]);
    let d = Daemon::start(&env);
    wait_for("the order's evidence at the MCP", &d, || received(&server, |b| b["kind"] == "order"));
    // The MCP keeps listing it: three more polls report nothing new.
    let gets = || server.requests().iter().filter(|r| r.starts_with("GET ")).count();
    let polls = gets();
    wait_for("three more polls", &d, || gets() >= polls + 3);
    d.wait_cycles(1);
    let stopped = d.stop();
    let bundles = delivered(&server, &env);
    let orders = of_kind(&bundles, "order");
    assert_eq!(orders.len(), 1, "{orders:#?}");
    let o = orders[0];
    assert_eq!((o["outcome"].as_str(), o["reason"].as_str()), (Some("rejected"), Some("bad_signature")), "{o}");
    assert_eq!(o["order"]["envelope_sha256"], json!(sha256_hex(&forged)));
    // Nothing from a payload no key vouched for reaches evidence.
    let text = serde_json::to_string(o).unwrap();
    assert!(!text.contains("o-forged") && !text.contains("restart_service"), "{text}");
    assert!(changing_calls(&env).is_empty(), "the forged order reached the host: {:?}", changing_calls(&env));
    assert_eq!(env.host.unit_state("sshd.service"), "active");
    assert!(stopped.log.contains("already seen"), "the re-listed envelope was not recognised");
}

#[test]
fn an_expired_order_is_discarded_as_expired_once_while_the_daemon_polls_on() {
    // Seed plan case 2: issued 1000 s ago with a 900 s TTL.
    let server = McpServer::start();
    let env = daemon_env(&server.url());
    let mut p = payload("o-old", "restart_service", json!({"unit": "sshd.service"}));
    p["issued_at"] = json!(now() - 1000);
    server.set_orders(vec![envelope(&p)]);
    let d = Daemon::start(&env);
    wait_for("the order's evidence at the MCP", &d, || received(&server, |b| b["kind"] == "order"));
    let gets = || server.requests().iter().filter(|r| r.starts_with("GET ")).count();
    let polls = gets();
    wait_for("three more polls", &d, || gets() >= polls + 3);
    d.wait_cycles(1);
    d.stop();
    let bundles = delivered(&server, &env);
    let orders = of_kind(&bundles, "order");
    assert_eq!(orders.len(), 1, "{orders:#?}");
    let o = orders[0];
    assert_eq!((o["outcome"].as_str(), o["reason"].as_str()), (Some("expired"), Some("ttl_elapsed")), "{o}");
    assert_eq!(o["order"]["order_id"], "o-old");
    assert!(changing_calls(&env).is_empty(), "the expired order reached the host: {:?}", changing_calls(&env));
}

#[test]
fn mcp_down_for_many_cycles_while_a_heal_happens_then_every_bundle_arrives_once() {
    // Seed plan case 3. Nothing listens where the MCP should be.
    let port = reserved_port();
    let env = daemon_env(&format!("https://127.0.0.1:{port}"));
    let d = Daemon::start(&env);
    d.wait_cycles(3);
    // Drift during the outage: healed locally, its evidence queued.
    env.host.set_unit("sshd.service", "inactive");
    wait_for("sshd restarted", &d, || env.host.unit_state("sshd.service") == "active");
    d.wait_cycles(3);
    let down_cycles = d.cycles();
    let queued = Store::open_read_only(&env.db()).unwrap().bundles_after(0, 1_000_000).unwrap();
    assert!(queued.iter().all(|b| b.pushed_ms.is_none()), "a receipt while the MCP was down");
    assert!(queued.iter().any(|b| b.kind == "remediation"), "the heal's evidence is not queued");
    let tip = queued.len();

    // The MCP comes back where it was: the queue is flushed at once.
    let server = McpServer::start_on(port);
    wait_for("everything queued during the outage at the MCP", &d, || server.evidence().len() >= tip);
    d.wait_cycles(1);
    let stopped = d.stop();
    let bundles = delivered(&server, &env);
    verify_with_openssl(&env, &server);
    assert!(down_cycles >= 6, "{down_cycles} cycles while the MCP was down");
    assert!(stopped.log.contains("MCP reachable again"), "{}", stopped.log);
    // One alert for the whole outage, not one per cycle.
    let alerts: Vec<&Value> = bundles.iter().filter(|b| b["reason"] == "mcp_unreachable").collect();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert!(alerts[0]["detail"].as_str().unwrap().starts_with("connect: "), "{}", alerts[0]);
    let heals = of_kind(&bundles, "remediation");
    assert_eq!(heals.len(), 1, "{heals:#?}");
    assert_eq!((heals[0]["check"].as_str(), heals[0]["outcome"].as_str()), (Some("services"), Some("success")));
    assert!(heals[0]["seq"].as_u64().unwrap() <= tip as u64, "the heal was not written during the outage");
    let restarts = env.host.calls().iter().filter(|c| *c == "systemctl restart sshd.service").count();
    assert_eq!(restarts, 1);
}

#[test]
fn a_rebuild_that_breaks_the_system_is_rolled_back_and_reported_reverted() {
    // Seed plan case 4: the approved revision activates, but the system
    // comes up degraded.
    let server = McpServer::start();
    let env = daemon_env(&server.url());
    env.host.add_flake(FLAKE_REF, OTHER_REVISION);
    let link = env.host.current_system();
    let l = link.display().to_string();
    env.patch(move |v| {
        v["checks"]["patching"] = json!({
            "flake_ref": FLAKE_REF, "allowed_flake_prefixes": ["github:clinic/appliance"],
            "expected_revision": OTHER_REVISION, "current_system": l,
        });
        v["maintenance_window"] =
            json!({"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "duration_minutes": 1440});
    });
    env.host.behave("nixos-rebuild-switch", "degrade");
    // The rollback takes longer than WATCHDOG_USEC: the daemon must keep
    // pinging while it waits for it.
    env.host.behave("nixos-rebuild-rollback", &format!("slow {}", WATCHDOG.as_secs() + 1));
    let recorded = std::fs::read_link(&link).unwrap();
    let generation = env.host.running_generation();
    let d = Daemon::start(&env);
    wait_for("the rebuild's evidence at the MCP", &d, || {
        received(&server, |b| b["kind"] == "remediation" && b["check"] == "patching")
    });
    // Later cycles leave it to the back-off: no second rebuild.
    d.wait_cycles(2);
    let stopped = d.stop();
    let bundles = delivered(&server, &env);
    let rebuilds: Vec<&Value> =
        of_kind(&bundles, "remediation").into_iter().filter(|b| b["check"] == "patching").collect();
    assert_eq!(rebuilds.len(), 1, "{rebuilds:#?}");
    let r = rebuilds[0];
    assert_eq!((r["outcome"].as_str(), r["reason"].as_str()), (Some("reverted"), Some("health_check_failed")), "{r}");
    // It names the system it recorded before the switch, and verified it.
    let detail = r["detail"].as_str().unwrap();
    assert!(detail.ends_with(&format!("rolled back to {} and verified", recorded.display())), "{detail}");
    assert_eq!(r["post_state"]["configuration_revision"], REVISION, "{r}");
    // The system is back on the recorded generation, and healthy.
    assert_eq!(std::fs::read_link(&link).unwrap(), recorded);
    assert_eq!(env.host.running_generation(), generation);
    assert_eq!(env.host.current_revision(), REVISION);
    assert_eq!(env.host.system_state(), "running");
    let calls = env.host.calls_to("nixos-rebuild");
    assert_eq!(calls, [format!("nixos-rebuild switch --flake {FLAKE_REF}"), "nixos-rebuild switch --rollback".into()]);
    assert!(stopped.log.contains("back-off"), "{}", stopped.log);
    // systemctl status said what was going on, in order.
    let said: Vec<String> = stopped.statuses.into_iter().filter(|s| s.starts_with("heal: ")).collect();
    assert_eq!(
        said,
        ["heal: rebuilding the system", "heal: checking the rebuilt system", "heal: rolling back the system"]
    );
}

#[test]
fn dns_failure_means_no_egress_one_alert_and_local_heals_then_delivery_when_names_resolve() {
    // Seed plan case 5. The MCP runs, but its name does not resolve: the
    // daemon's only resolver is a loopback server of this test's that
    // answers NXDOMAIN (in a mount namespace of the daemon's own, so no
    // query leaves loopback).
    let dns = FakeDns::start();
    let server = McpServer::start();
    let env = daemon_env(&format!("https://mcp.test:{}", server.port()));
    let conf = env.path().join("resolv.conf");
    std::fs::write(&conf, dns.resolv_conf()).unwrap();
    let d = Daemon::start_with(&env, with_resolv_conf(&conf, &agent_bin()), &[]);
    d.wait_cycles(3);
    // Local healing goes on.
    env.host.set_unit("sshd.service", "inactive");
    wait_for("sshd restarted", &d, || env.host.unit_state("sshd.service") == "active");
    d.wait_cycles(3);

    // No egress: nothing reached the MCP, the daemon held no TCP socket,
    // and its only datagrams went to the resolver, asking for the MCP.
    let failing = d.sockets.seen();
    let failed_polls = d.child.log().matches("poll: MCP dns failure").count();
    assert!(server.requests().is_empty() && server.handshake_errors().is_empty(), "{:?}", server.requests());
    let inet = failing.inet();
    assert!(
        inet.iter().all(|s| s.proto == "udp" && s.remote == dns.proc_net_addr()),
        "egress other than the resolver: {inet:?}"
    );
    let queries = dns.queries();
    assert!(!queries.is_empty(), "the daemon never asked the resolver");
    assert!(queries.iter().all(|q| q.name == "mcp.test" && matches!(q.qtype, 1 | 28)), "{queries:?}");
    // Evidence so far: one alert for the whole failure, not one per cycle.
    let alerts = || {
        Store::open_read_only(&env.db())
            .unwrap()
            .bundles_after(0, 1_000_000)
            .unwrap()
            .into_iter()
            .map(|b| serde_json::from_slice::<Value>(&b.bytes).unwrap())
            .filter(|b| b["reason"] == "mcp_unreachable")
            .count()
    };
    assert!(failed_polls >= 6, "{failed_polls} failed polls");
    assert_eq!(alerts(), 1, "the alert was repeated while the name did not resolve");

    // The name resolves again: what waited is delivered.
    dns.resolve(Some(("mcp.test", Ipv4Addr::LOCALHOST)));
    wait_for("the queued heal at the MCP", &d, || received(&server, |b| b["kind"] == "remediation"));
    d.wait_cycles(1);
    let stopped = d.stop();
    let bundles = delivered(&server, &env);
    assert!(stopped.log.contains("MCP reachable again"), "{}", stopped.log);
    let alerts: Vec<&Value> = bundles.iter().filter(|b| b["reason"] == "mcp_unreachable").collect();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0]["kind"], "alert");
    assert!(alerts[0]["detail"].as_str().unwrap().starts_with("dns: "), "{}", alerts[0]);
    let heals = of_kind(&bundles, "remediation");
    assert_eq!(heals.len(), 1, "{heals:#?}");
    assert_eq!((heals[0]["check"].as_str(), heals[0]["outcome"].as_str()), (Some("services"), Some("success")));
    // Once the name resolved, what the daemon reached was the resolver and the MCP.
    let mcp = format!("0100007F:{:04X}", server.port());
    let inet = stopped.sockets.inet();
    assert!(inet.iter().all(|s| s.remote == mcp || s.remote == dns.proc_net_addr()), "{inet:?}");
}

/// Open descriptors and resident memory (KiB) of `pid`.
fn footprint(pid: u32) -> (usize, u64) {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    (fds, rss)
}

#[test]
fn a_day_of_cycles_with_the_mcp_down_then_drained_with_nothing_lost() {
    // 24 hours at the default poll interval (60 s) are 1,440 cycles. They
    // run here back to back: the debug build's COMPLIANCE_AGENT_TEST_IDLE_MS
    // cuts the idle pause (only the pause: see src/crashpoint.rs; a
    // release build has no such hook). What a day is made of in time is
    // scaled 3600:1 where the config allows it: an evidence summary and a
    // re-alert of the outage every "hour" (summary_interval_secs 1, not
    // 3600) and the checks at most every second (interval_secs 1, not
    // every cycle: 1,440 runs of every check on the simulated host would
    // take minutes). A real day writes about 24 cycle summaries and 24
    // re-alerts while the MCP is down; this one writes one of each per
    // second of the run, plus two heals.
    const DAY: usize = 1440;
    let port = reserved_port();
    let env = daemon_env(&format!("https://127.0.0.1:{port}"));
    env.patch(|v| {
        v["poll_interval_secs"] = json!(60);
        v["jitter_percent"] = json!(10);
        v["evidence"] = json!({"summary_interval_secs": 1});
        for check in ["services", "logging", "encryption"] {
            v["checks"][check]["interval_secs"] = json!(1);
        }
        v["log"]["level"] = json!("info");
    });
    let started = Instant::now();
    let d = Daemon::start_with(&env, Command::new(agent_bin()), &[("COMPLIANCE_AGENT_TEST_IDLE_MS", "1")]);
    let pid = d.child.id();
    // The day is judged on progress, not speed: it fails when the daemon
    // stops cycling (no new cycle for STALL), never because a loaded machine
    // ran the cycles slowly.
    const STALL: Duration = Duration::from_secs(60);
    let wait_until_cycle = |n: usize| {
        let mut seen = d.notify.count("STATUS=idle");
        while seen < n + 1 {
            assert!(
                d.notify.wait_count("STATUS=idle", seen + 1, STALL),
                "no cycle for {STALL:?} after cycle {} of {n} (an agent built without debug assertions, such as \
                 COMPLIANCE_AGENT_BIN naming a release build, has no idle hook and polls every 60 s)\n{}",
                seen.saturating_sub(1),
                d.tail()
            );
            seen = d.notify.count("STATUS=idle");
        }
    };
    wait_until_cycle(60);
    let early = footprint(pid);
    // Drift twice in the day (at 08:00 and 16:00), healed locally.
    for at in [DAY / 3, 2 * DAY / 3] {
        wait_until_cycle(at);
        env.host.set_unit("sshd.service", "inactive");
        wait_for("sshd restarted", &d, || env.host.unit_state("sshd.service") == "active");
    }
    wait_until_cycle(DAY);
    let day = started.elapsed();
    let late = footprint(pid);
    let queued = Store::open_read_only(&env.db()).unwrap().bundles_after(0, 1_000_000).unwrap();
    let tip = queued.len();
    assert!(queued.iter().all(|b| b.pushed_ms.is_none()), "a receipt while the MCP was down");
    let kinds = |k: &str| queued.iter().filter(|b| b.kind == k).count();
    let (summaries, alerts) = (kinds("cycle"), kinds("alert"));
    eprintln!(
        "a day of {DAY} cycles took {day:?}: {tip} bundles queued ({summaries} cycle, {alerts} alert, {} remediation); \
         descriptors {} -> {}, RSS {} -> {} KiB",
        kinds("remediation"),
        early.0,
        late.0,
        early.1,
        late.1
    );
    // Once per summary interval, not once per cycle.
    let secs = usize::try_from(day.as_secs()).unwrap() + 2;
    assert!(alerts >= 2 && alerts <= secs, "{alerts} alerts in {day:?}");
    assert!(summaries <= secs + 4, "{summaries} cycle bundles in {day:?}");
    assert_eq!(kinds("remediation"), 2);
    // A day of cycles leaks neither descriptors nor memory.
    assert!(late.0 <= early.0, "descriptors grew from {} to {}", early.0, late.0);
    assert!(late.1 < early.1 + 8 * 1024, "RSS grew from {} to {} KiB", early.1, late.1);

    // The MCP comes back: the whole day is delivered, once.
    let server = McpServer::start_on(port);
    wait_for("the day's evidence at the MCP", &d, || server.evidence().len() >= tip);
    d.wait_cycles(1);
    let stopped = d.stop();
    assert!(stopped.log.contains("MCP reachable again"));
    let bundles = delivered(&server, &env);
    assert!(bundles.len() >= tip);
}
