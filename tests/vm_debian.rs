//! The VM tier: the agent under a real systemd, in a Debian guest booted
//! with QEMU (TCG), running the units the NixOS module renders.
//!
//! `vm-tests/debian/build-image.sh` builds (and caches) the guest from
//! Debian's packages; `vm-tests/debian/render.nix` renders the module's
//! units, wrappers, egress filter and config.json with Debian's paths; the
//! guest gets them, the agent binary under test and
//! `vm-tests/debian/guest/driver.sh` through a 9p shared folder and acts
//! out the scenarios against its real systemd, journald, nftables and
//! dm-crypt. This test is the MCP (support::mcp, mutual TLS on the host's
//! loopback); the guest reaches it only through QEMU user networking with
//! `restrict=on` and one `guestfwd`. It answers the driver's requests
//! (orders to list, the MCP down and up, "has this evidence arrived?") and
//! at the end checks every bundle the guest's database holds arrived once,
//! byte for byte, with seqs 1..=tip and the chain and signatures verified.
//! vm-tests/debian/README.md says what is real and what is simulated.
//!
//! Slow (minutes, a whole VM under TCG), so `#[ignore]`: `.ci/run` runs it
//! with `cargo test --test vm_debian -- --ignored`. Without QEMU, mmdebstrap,
//! socat or nix-instantiate it says so and passes, except under CI (`CI`
//! set), where `.ci/run` installs them and a missing one fails.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::evidence::verify::{Item, Verifier};
use compliance_agent::keys::SigningKey;
use compliance_agent::orders::dsse::sign;
use compliance_agent::store::Store;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::child::Guard;
use support::env::{agent_bin, EVIDENCE_SEED, ORDER_KEY_B64};
use support::mcp::{pki, reserved_port, McpServer};
use support::simhost::TempDir;

/// The whole run, boot to power-off (two boots, under TCG, and one restart
/// of the agent by systemd's watchdog).
const RUN_LIMIT: Duration = Duration::from_secs(1200);
/// How long an `await` request of the guest may wait for evidence.
const AWAIT_LIMIT: Duration = Duration::from_secs(180);

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn on_path(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

/// The host tools, or None (and why) when one is missing.
fn tools() -> Option<()> {
    let missing: Vec<&str> = ["qemu-system-x86_64", "mmdebstrap", "mkfs.ext4", "socat", "nix-instantiate"]
        .into_iter()
        .filter(|t| on_path(t).is_none())
        .collect();
    if missing.is_empty() {
        return Some(());
    }
    assert!(std::env::var_os("CI").is_none(), "VM tier: missing under CI: {missing:?} (.ci/run installs them)");
    eprintln!("VM tier skipped: missing {missing:?} (apt-get install qemu-system-x86 mmdebstrap socat nix-bin)");
    None
}

fn write(path: &Path, bytes: &[u8], mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The cached guest: (rootfs.raw, vmlinuz, initrd.img)'s directory.
fn guest_image() -> PathBuf {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("vm-debian");
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(repo().join("vm-tests/debian/build-image.sh"))
        .arg(&cache)
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(out.status.success(), "build-image.sh failed");
    let dir = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    eprintln!("VM tier: guest image {} ready in {:?}", dir.display(), started.elapsed());
    dir
}

/// `vm-tests/debian/render.nix`: the module's units, wrappers, egress
/// filter and config for the guest.
fn render() -> Value {
    let out = Command::new("nix-instantiate")
        .args(["--eval", "--strict", "--json", "--argstr", "orderKey", ORDER_KEY_B64])
        .arg(repo().join("vm-tests/debian/render.nix"))
        .env("NIX_CONFIG", "build-users-group =")
        .output()
        .unwrap();
    assert!(out.status.success(), "render.nix: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The firewall baseline the guest loads at boot, signed by the order key.
const BASELINE: &[u8] = b"table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tct state established,related accept\n\t\tiifname \"lo\" accept\n\t}\n}\n";

/// Fills the shared folder: guest/ (the driver), install/ (what it installs).
fn fill_share(share: &Path, r: &Value) {
    write(
        &share.join("guest/driver.sh"),
        &std::fs::read(repo().join("vm-tests/debian/guest/driver.sh")).unwrap(),
        0o755,
    );
    let i = share.join("install");
    write(&i.join("compliance-agent"), &std::fs::read(agent_bin()).unwrap(), 0o755);
    // The two simulated NixOS tools of the simulated host, and the guest's
    // glue that runs them against the guest's simulated profile.
    for tool in ["common.sh", "nixos-version", "nixos-rebuild"] {
        let text = std::fs::read(repo().join("tests/simhost/tools").join(tool)).unwrap();
        write(&i.join("sim/tools").join(tool), &text, 0o644);
    }
    for glue in ["nixos-version", "nixos-rebuild"] {
        let text = std::fs::read(repo().join("vm-tests/debian/guest").join(glue)).unwrap();
        write(&i.join("sim").join(glue), &text, 0o755);
    }
    for (name, text) in r["units"].as_object().unwrap() {
        write(&i.join("units").join(name), text.as_str().unwrap().as_bytes(), 0o644);
    }
    for (name, text) in r["wrappers"].as_object().unwrap() {
        write(&i.join("wrappers").join(name), text.as_str().unwrap().as_bytes(), 0o755);
    }
    write(&i.join("egress/egress.nft"), r["egress"]["ruleset"].as_str().unwrap().as_bytes(), 0o644);
    write(&i.join("egress/load"), r["egress"]["load"].as_str().unwrap().as_bytes(), 0o755);
    write(&i.join("egress/add"), r["egress"]["add"].as_str().unwrap().as_bytes(), 0o755);
    let config = serde_json::to_string_pretty(&r["settings"]).unwrap();
    write(&i.join("config.json"), config.as_bytes(), 0o644);
    for (from, mode) in [("ca.pem", 0o644), ("client.pem", 0o644), ("client.key", 0o600)] {
        write(&i.join(from), &std::fs::read(pki(from)).unwrap(), mode);
    }
    write(&i.join("evidence.key"), &EVIDENCE_SEED, 0o600);
    write(&i.join("firewall.nft"), BASELINE, 0o644);
    write(&i.join("firewall.nft.sig"), &SigningKey::from_seed([9; 32]).sign(BASELINE), 0o644);
    std::fs::create_dir_all(share.join("ctl")).unwrap();
    std::fs::create_dir_all(share.join("out")).unwrap();
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn payload(id: &str, issued_at: i64) -> Value {
    json!({"order_id": id, "site_id": "clinic-042", "appliance_id": "appl-01", "issued_at": issued_at,
           "ttl_secs": 900, "action": "restart_service", "params": {"unit": "clinic-emr.service"}})
}

/// Daemon cases 1 and 2: an order signed by another key under the trusted
/// key id, and one issued 1000 s ago with a 900 s TTL.
fn bad_orders() -> Vec<Vec<u8>> {
    let forged =
        sign(payload("o-forged", now()).to_string().as_bytes(), &[("test-2026a", &SigningKey::from_seed([4; 32]))]);
    let expired =
        sign(payload("o-old", now() - 1000).to_string().as_bytes(), &[("test-2026a", &SigningKey::from_seed([9; 32]))]);
    vec![forged, expired]
}

/// Whether a received bundle matches every `key=value` (`key^=prefix`)
/// condition of an `await` request.
fn matches(b: &Value, conds: &[(String, bool, String)]) -> bool {
    conds.iter().all(|(k, prefix, v)| {
        let field = b[k.as_str()].as_str().unwrap_or("");
        if *prefix {
            field.starts_with(v.as_str())
        } else {
            field == v
        }
    })
}

/// The MCP side of the run: the server (down while `None`) and its port.
struct Mcp {
    port: u16,
    server: Option<McpServer>,
    /// Everything received, across restarts of the server.
    received: Vec<support::mcp::Received>,
    deliveries: Vec<String>,
}

impl Mcp {
    fn collect(&mut self) {
        if let Some(s) = &self.server {
            for r in s.evidence() {
                if !self.received.iter().any(|x| x.bundle_id == r.bundle_id && x.bundle == r.bundle) {
                    self.received.push(r);
                }
            }
        }
    }

    fn bundles(&mut self) -> Vec<Value> {
        self.collect();
        self.received.iter().map(|r| serde_json::from_slice(&r.bundle).unwrap()).collect()
    }

    /// Answers one request of the guest's driver.
    fn answer(&mut self, request: &str) -> String {
        let words: Vec<&str> = request.split_whitespace().collect();
        match words.as_slice() {
            ["orders"] => {
                self.server.as_ref().unwrap().set_orders(bad_orders());
                "ok listed".into()
            }
            ["mcp-down"] => {
                self.collect();
                let s = self.server.take().unwrap();
                self.deliveries.extend(s.deliveries());
                drop(s);
                "ok down".into()
            }
            ["mcp-up"] => {
                self.server = Some(McpServer::start_on(self.port));
                "ok up".into()
            }
            ["await", conds @ ..] => {
                let mut want = 1;
                let mut parsed = Vec::new();
                for c in conds {
                    if let Some(n) = c.strip_prefix("count=") {
                        want = n.parse().unwrap();
                    } else if let Some((k, v)) = c.split_once("^=") {
                        parsed.push((k.to_string(), true, v.to_string()));
                    } else if let Some((k, v)) = c.split_once('=') {
                        parsed.push((k.to_string(), false, v.to_string()));
                    }
                }
                let deadline = Instant::now() + AWAIT_LIMIT;
                loop {
                    let n = self.bundles().iter().filter(|b| matches(b, &parsed)).count();
                    if n >= want {
                        return format!("ok {n} received");
                    }
                    if Instant::now() > deadline {
                        return format!("fail {n} of {want} within {AWAIT_LIMIT:?}");
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
            _ => format!("fail unknown request {request:?}"),
        }
    }
}

/// Every bundle the guest's database holds arrived exactly once (counting
/// the deliveries before and after the outage), byte for byte with its
/// signature and a receipt; seqs 1..=tip; chain and signatures verify.
fn check_delivery(db: &Path, mcp: &mut Mcp) -> Vec<Value> {
    mcp.collect();
    if let Some(s) = &mcp.server {
        mcp.deliveries.extend(s.deliveries());
    }
    let stored = Store::open_read_only(db).unwrap().bundles_after(0, 1_000_000).unwrap();
    let seqs: Vec<u64> = stored.iter().map(|b| b.seq).collect();
    assert_eq!(seqs, (1..=stored.len() as u64).collect::<Vec<_>>(), "a seq gap in the guest's database");
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    for id in &mcp.deliveries {
        *times.entry(id.clone()).or_default() += 1;
    }
    let received: BTreeMap<&str, &support::mcp::Received> =
        mcp.received.iter().map(|r| (r.bundle_id.as_str(), r)).collect();
    let mut verifier = Verifier::new(SigningKey::from_seed(EVIDENCE_SEED).public());
    let mut out = Vec::new();
    for b in &stored {
        let n = times.remove(&b.bundle_id).unwrap_or(0);
        assert_eq!(n, 1, "seq {} ({}) was delivered {n} times", b.seq, b.kind);
        assert!(b.pushed_ms.is_some(), "seq {} has no receipt", b.seq);
        let r = received[b.bundle_id.as_str()];
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
    out
}

/// The driver's results that must all be there, in this order.
const EXPECTED: &[&str] = &[
    "luks-volume",
    "config-check",
    "start",
    "active",
    "watchdog",
    "no-capabilities",
    "no-new-privs",
    "seccomp",
    "cgroup",
    "egress-loaded",
    "status-text",
    "evidence-at-mcp",
    "no-listening",
    "journal",
    "orders",
    "order-forged",
    "order-expired",
    "service-restarted",
    "service-evidence",
    "rule-added",
    "rule-removed",
    "firewall-evidence",
    "egress-survives",
    "journald-stopped",
    "journald-restarted",
    "logging-evidence",
    "luks-alert",
    "luks-cycles",
    "luks-untouched",
    "egress-control",
    "egress-dropped",
    "egress-logged",
    "dns-failing",
    "dns-alert",
    "stop-clean",
    "stop-fast",
    "stopping-sent",
    "restart",
    "system-running",
    "patching-compliant",
    "drift-rogue",
    "hang-injected",
    "hang-main-pid",
    "watchdog-kill",
    "watchdog-restart",
    "watchdog-nrestarts",
    "hang-resolved",
    "hang-patched",
    "drift-again",
    "rebuild-degraded",
    "rolled-back",
    "rollback-running",
    "rollback-evidence",
    "rollback-same-agent",
    "patching-back",
    "mcp-down",
    "mcp-failing",
    "heal-while-down",
    "backlog",
    "boot-start",
    "backlog-kept",
    "mcp-up",
    "drained",
    "heal-evidence",
    "final-stop",
];

#[test]
#[ignore = "boots a VM for minutes; .ci/run runs it (cargo test --test vm_debian -- --ignored)"]
fn debian_guest_runs_the_rendered_units_under_real_systemd() {
    let Some(()) = tools() else { return };
    let started = Instant::now();
    let image = guest_image();
    let rendered = render();
    let dir = TempDir::new("vm-debian");
    let share = dir.path().join("share");
    fill_share(&share, &rendered);
    let port = reserved_port();
    let mut mcp = Mcp { port, server: Some(McpServer::start_on(port)), received: Vec::new(), deliveries: Vec::new() };
    let serial = dir.path().join("serial.log");
    let mut qemu = Command::new("qemu-system-x86_64");
    qemu.args(["-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2", "-m", "1024"])
        .args(["-display", "none", "-monitor", "none", "-snapshot"])
        .arg("-serial")
        .arg(format!("file:{}", serial.display()))
        .arg("-kernel")
        .arg(image.join("vmlinuz"))
        .arg("-initrd")
        .arg(image.join("initrd.img"))
        .args(["-append", "root=/dev/vda rw console=ttyS0 quiet"])
        .arg("-drive")
        .arg(format!("file={},format=raw,if=virtio", image.join("rootfs.raw").display()))
        .arg("-virtfs")
        .arg(format!("local,path={},mount_tag=host,security_model=none", share.display()))
        // The guest's only way out: 10.0.2.100:443 is the MCP on the host's
        // loopback (socat per connection); restrict=on drops the rest.
        .arg("-netdev")
        .arg(format!(
            "user,id=n0,restrict=on,guestfwd=tcp:10.0.2.100:443-cmd:socat -lf /dev/null - TCP:127.0.0.1:{port}"
        ))
        .args(["-device", "virtio-net-pci,netdev=n0,romfile="]);
    let mut vm = Guard::spawn_logged(&mut qemu);
    let mut next = 1;
    let exited = loop {
        let req = share.join(format!("ctl/{next}.req"));
        if let Ok(text) = std::fs::read_to_string(&req) {
            let answer = mcp.answer(text.trim());
            eprintln!("VM tier: [{:>4}s] guest asked {:?}: {answer}", started.elapsed().as_secs(), text.trim());
            std::fs::write(share.join(format!("ctl/{next}.tmp")), format!("{answer}\n")).unwrap();
            std::fs::rename(share.join(format!("ctl/{next}.tmp")), share.join(format!("ctl/{next}.ack"))).unwrap();
            next += 1;
            continue;
        }
        if let Some(status) = vm.wait_timeout(Duration::from_millis(200)) {
            break Some(status);
        }
        if started.elapsed() > RUN_LIMIT {
            break None;
        }
    };
    let console = std::fs::read_to_string(&serial).unwrap_or_default();
    let results = std::fs::read_to_string(share.join("out/results")).unwrap_or_default();
    let journal = std::fs::read_to_string(share.join("out/journal.txt")).unwrap_or_default();
    let agent_lines: Vec<&str> = journal.lines().filter(|l| l.contains("compliance-agent")).collect();
    let report = format!(
        "results:\n{results}\nthe guest's journal, compliance-agent lines (end):\n{}\nserial console (end):\n{}\nqemu: {}",
        agent_lines[agent_lines.len().saturating_sub(60)..].join("\n"),
        console.lines().rev().take(80).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n"),
        vm.log()
    );
    assert!(exited.is_some(), "the guest did not power off within {RUN_LIMIT:?}\n{report}");
    eprintln!("VM tier: guest powered off after {:?}", started.elapsed());
    let failed: Vec<&str> = results.lines().filter(|l| !l.starts_with("ok ")).collect();
    assert!(failed.is_empty(), "failed in the guest: {failed:#?}\n{report}");
    let names: Vec<&str> = results.lines().filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert_eq!(names, EXPECTED, "{report}");
    assert!(share.join("out/done").is_file(), "{report}");

    // The evidence: complete, once, verified; and what the scenarios left.
    let bundles = check_delivery(&share.join("out/agent.db"), &mut mcp);
    let count = |f: &dyn Fn(&Value) -> bool| bundles.iter().filter(|b| f(b)).count();
    let field = |b: &Value, k: &str| b[k].as_str().unwrap_or("").to_string();
    let orders: Vec<(String, String)> =
        bundles.iter().filter(|b| b["kind"] == "order").map(|b| (field(b, "outcome"), field(b, "reason"))).collect();
    assert_eq!(orders.len(), 2, "each refused envelope once: {orders:?}");
    assert_eq!(
        count(&|b| b["kind"] == "remediation" && b["check"] == "services" && b["outcome"] == "success"),
        2,
        "clinic-emr healed twice"
    );
    assert!(count(&|b| b["kind"] == "remediation" && b["check"] == "firewall" && b["outcome"] == "success") >= 1);
    assert!(count(&|b| b["kind"] == "remediation" && b["check"] == "logging" && b["outcome"] == "success") >= 1);
    // Encryption is never healed: alerts only.
    assert_eq!(count(&|b| b["kind"] == "remediation" && b["check"] == "encryption"), 0);
    // The patching remediations: the rebuild interrupted by the watchdog's
    // kill, resolved by the restarted agent as healthy; then the rebuild
    // that degraded the real system, rolled back. Nothing else.
    let patching: Vec<(String, String, String)> = bundles
        .iter()
        .filter(|b| b["kind"] == "remediation" && b["check"] == "patching")
        .map(|b| (field(b, "outcome"), field(b, "reason"), field(b, "detail")))
        .collect();
    assert_eq!(patching.len(), 2, "{patching:#?}");
    assert_eq!((patching[0].0.as_str(), patching[0].1.as_str()), ("success", "interrupted"), "{patching:#?}");
    assert_eq!(patching[1].0, "reverted", "{patching:#?}");
    assert!(patching[1].2.contains("degraded"), "rolled back for the real system's state: {patching:#?}");
    assert_eq!(count(&|b| b["check"] == "patching" && b["outcome"] == "failed"), 0);
    // Nothing from the forged order's payload reached evidence.
    for b in bundles.iter().filter(|b| b["kind"] == "order") {
        assert!(!b.to_string().contains("o-forged"), "{b}");
    }
    // Two boots of the guest appear in the evidence.
    let boots: std::collections::BTreeSet<String> =
        bundles.iter().filter_map(|b| b["host"]["boot_id"].as_str().map(String::from)).collect();
    assert_eq!(boots.len(), 2, "{boots:?}");
    eprintln!(
        "VM tier: {} scenarios passed, {} bundles delivered once and verified, in {:?}",
        names.len(),
        bundles.len(),
        started.elapsed()
    );
}
