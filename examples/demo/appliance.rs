//! The demo's parts: throw-away PKI, the simulated appliance, the MCP stub,
//! the agent daemon, and the shared picture the page and the scenarios read.

use crate::dns::{with_resolv_conf, FakeDns};
use crate::mcp::Mcp;
use crate::notify::NotifyCollector;
use crate::simhost::{SimHost, TempDir, FLAKE_REF, REVISION, ROOT_VOLUME};
use crate::Result;
use compliance_agent::encoding::sha256_hex;
use compliance_agent::keys::SigningKey;
use compliance_agent::status::Status;
use compliance_agent::store::Store;
use serde_json::{json, Value};
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const SITE: &str = "clinic-042";
pub const APPLIANCE: &str = "appl-01";
/// The order key id the appliance trusts.
pub const KEYID: &str = "demo-msp-2026a";
/// The critical unit the services check watches.
pub const UNIT: &str = "sshd.service";
/// The name the agent resolves for the MCP when the demo owns DNS.
pub const MCP_NAME: &str = "mcp.demo";
pub const BASELINE: &str = "flush ruleset
table inet filter {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tct state established,related accept
\t\tiif \"lo\" accept
\t\ttcp dport 22 accept
\t}
}
";

/// One bundle as the MCP received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub at_ms: i64,
    pub arrival: crate::stub::Arrival,
}

/// A scenario's progress, as the page shows it.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// `idle`, `running`, `passed`, `failed`, `skipped`.
    pub status: String,
    pub note: String,
}

/// Everything the page shows; `version` grows with every change.
#[derive(Debug, Default)]
pub struct Picture {
    pub version: u64,
    pub received: Vec<Received>,
    pub notify: Vec<(i64, String)>,
    pub agent_state: String,
    pub checks: Value,
    pub status: Value,
    pub mcp_up: bool,
    pub dns: String,
    pub progress: std::collections::BTreeMap<String, Progress>,
    pub events: Vec<(i64, String)>,
    pub agent_exit: Option<String>,
}

impl Picture {
    pub fn event(&mut self, text: impl Into<String>) {
        let text = text.into();
        println!("demo: {text}");
        self.events.push((now_ms(), text));
        self.version += 1;
    }
}

pub type Shared = Arc<(Mutex<Picture>, Condvar)>;

/// Locks the picture; a poisoned lock (a panicked thread) still holds it.
pub fn lock(shared: &Shared) -> MutexGuard<'_, Picture> {
    shared.0.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The whole demo.
pub struct Demo {
    pub host: Arc<SimHost>,
    dir: TempDir,
    pub agent: PathBuf,
    pub poll_secs: u64,
    pub order_key: SigningKey,
    pub mcp: Mcp,
    pub dns: Option<FakeDns>,
    pub dns_absent_why: Option<String>,
    pub shared: Shared,
    child: Arc<Mutex<Child>>,
    stop: Arc<AtomicBool>,
    monitor: Mutex<Option<JoinHandle<()>>>,
    _notify: Arc<NotifyCollector>,
}

/// The agent binary: `--agent`, or the one cargo builds beside this example.
pub fn agent_binary(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = given {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(format!("--agent {}: no such file", path.display()))
        };
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    // target/<profile>/examples/demo -> target/<profile>
    let profile_dir = exe.parent().and_then(Path::parent).ok_or("cannot tell the target directory")?.to_path_buf();
    let bin = profile_dir.join("compliance-agent");
    if let Some(cargo) = std::env::var_os("CARGO") {
        let target_dir = profile_dir.parent().ok_or("cannot tell the target directory")?;
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "--offline", "--bin", "compliance-agent", "--manifest-path"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .env("CARGO_TARGET_DIR", target_dir);
        if profile_dir.ends_with("release") {
            cmd.arg("--release");
        }
        println!("demo: building the agent ({})", bin.display());
        let ok = cmd.status().map_err(|e| format!("cargo build: {e}"))?.success();
        if !ok {
            return Err("cargo build of the agent failed".into());
        }
    }
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("{} is missing: build it with `cargo build --release --offline`, or pass --agent", bin.display()))
    }
}

fn openssl(dir: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("openssl (needed to make the demo's certificates): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)))
    }
}

fn write(path: &Path, text: &str, mode: u32) -> Result<()> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// CA, MCP server certificate, appliance client certificate (ECDSA P-256),
/// and the MSP's Ed25519 order key: as docs/provisioning.md makes them.
fn make_pki(dir: &Path) -> Result<()> {
    let ec = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"];
    for key in ["ca.key", "server.key", "client.key"] {
        openssl(dir, &[&ec[..], &[key]].concat())?;
    }
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "ca.key",
            "-sha256",
            "-days",
            "365",
            "-subj",
            "/O=Demo MSP/CN=Demo CA (DEV ONLY)",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            "ca.pem",
        ],
    )?;
    let leaf = |name: &str, cn: &str, ext: &str| -> Result<()> {
        write(&dir.join(format!("{name}.ext")), ext, 0o644)?;
        openssl(dir, &["req", "-new", "-key", &format!("{name}.key"), "-subj", cn, "-out", &format!("{name}.csr")])?;
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "90",
                "-sha256",
                "-extfile",
                &format!("{name}.ext"),
                "-out",
                &format!("{name}.pem"),
            ],
        )
    };
    leaf(
        "server",
        "/CN=localhost",
        &format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
        extendedKeyUsage=serverAuth\nsubjectAltName=DNS:{MCP_NAME},DNS:localhost,IP:127.0.0.1\n"
        ),
    )?;
    leaf(
        "client",
        &format!("/O=Demo MSP/CN={APPLIANCE}.{SITE}"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
    )?;
    openssl(dir, &["genpkey", "-algorithm", "ed25519", "-out", "order.key"])?;
    for key in ["ca.key", "server.key", "client.key", "order.key"] {
        std::fs::set_permissions(dir.join(key), std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{key}: {e}"))?;
    }
    Ok(())
}

/// The firewall check learns how the kernel lists the baseline by loading
/// it with `nft` in a throw-away network namespace (`unshare --net`). Here
/// `nft` is the simulated one, whose "kernel" is the simulated host's state:
/// this wrapper runs the real `unshare` but hands the agent a simulated nft
/// over a scratch state of its own, so the check never touches the live
/// (simulated) ruleset.
fn scratch_unshare(root: &Path, nft: &Path) -> Result<PathBuf> {
    let real = ["/usr/bin/unshare", "/bin/unshare", "/usr/sbin/unshare"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .ok_or("unshare (util-linux) is needed: the firewall check uses a network namespace")?;
    let path = root.join("unshare-scratch");
    let script = format!(
        r#"#!/bin/bash
# demo (DEV ONLY): the real unshare, with the simulated nft on a scratch state.
scratch=$(mktemp -d) || exit 1
mkdir -p "$scratch/nft" "$scratch/behaviour" && : > "$scratch/nft/ruleset" && : > "$scratch/calls.log"
printf '#!/bin/bash
SIMHOST_DIR=%q PATH="$PATH":%q exec /bin/bash %q "$@"
' "$scratch" "$PATH" '{tools}/nft' > "$scratch/nft-scratch"
chmod 755 "$scratch/nft-scratch"
args=()
for a in "$@"; do if [[ $a == '{nft}' ]]; then args+=("$scratch/nft-scratch"); else args+=("$a"); fi; done
user=()
[[ $(id -u) == 0 ]] || user=(--map-root-user)
{real} "${{user[@]}}" "${{args[@]}}"
rc=$?
rm -rf "$scratch"
exit $rc
"#,
        tools = crate::simhost::TOOLS_DIR,
        nft = nft.display(),
    );
    write(&path, &script, 0o755)?;
    Ok(path)
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
}

impl Demo {
    /// Sets everything up and starts the MCP and the agent; returns once
    /// the agent said READY=1.
    pub fn start(agent: &Path, poll_secs: u64) -> Result<Demo> {
        let dir = TempDir::new("compliance-demo");
        let root = dir.path().to_path_buf();
        let pki = root.join("pki");
        let appliance = root.join("appliance");
        let mcp_dir = root.join("mcp");
        for d in [&pki, &appliance, &mcp_dir.join("orders"), &mcp_dir.join("evidence-keys")] {
            std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
        }
        println!("demo: making throw-away keys and certificates with openssl in {}", pki.display());
        make_pki(&pki)?;
        let order_key = SigningKey::load(&pki.join("order.key")).map_err(|e| format!("order.key: {e}"))?;
        // The appliance's evidence key, made by the agent itself; the MCP
        // learns its public half out of band.
        let key = appliance.join("evidence.key");
        let out = Command::new(agent)
            .arg("keygen")
            .arg("--out")
            .arg(&key)
            .output()
            .map_err(|e| format!("{}: {e}", agent.display()))?;
        if !out.status.success() {
            return Err(format!("keygen: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let public = appliance.join("evidence.key.pub.pem");
        std::fs::copy(&public, mcp_dir.join(format!("evidence-keys/{SITE}.{APPLIANCE}.pub.pem")))
            .map_err(|e| format!("{e}"))?;

        let host = SimHost::new();
        // Firewall: the signed baseline, loaded as the live ruleset.
        let baseline = appliance.join("firewall.nft");
        write(&baseline, BASELINE, 0o644)?;
        std::fs::write(appliance.join("firewall.nft.sig"), order_key.sign(BASELINE.as_bytes()))
            .map_err(|e| e.to_string())?;
        let loaded = host.command("nft").arg("-f").arg(&baseline).status().map_err(|e| e.to_string())?;
        if !loaded.success() {
            return Err("the simulated nft did not load the baseline".into());
        }
        // Backups: a status file the backup unit rewrites when started.
        let manifest = appliance.join("backup-manifest");
        write(&manifest, "patients.db\nimaging/\n", 0o644)?;
        let status_file = appliance.join("backup-status.json");
        write_backup_status(&status_file, &manifest, now_ms() / 1000)?;
        host.hook(
            "backup.service",
            &format!(
                "printf '{{\"timestamp\": %s, \"checksum\": \"{}\", \"manifest\": \"{}\"}}' \"$(date +%s)\" > '{}'",
                sha256_hex(b"patients.db\nimaging/\n"),
                manifest.display(),
                status_file.display()
            ),
        );

        // A journald that loses lines (the lose-canary scenario) is well
        // again once restarted.
        host.hook("systemd-journald.service", "rm -f \"$SIMHOST_DIR/behaviour/logger\"");
        let (dns, dns_absent_why) = if is_root() {
            let dns = FakeDns::start();
            dns.resolve(Some((MCP_NAME, Ipv4Addr::LOCALHOST)));
            (Some(dns), None)
        } else {
            (None, Some("not simulated: needs root (a DNS server on port 53, a private mount namespace)".to_string()))
        };
        let shared: Shared = Arc::new((Mutex::new(Picture::default()), Condvar::new()));
        let mcp = Mcp::new(&pki, &mcp_dir, Arc::clone(&shared))?;
        mcp.up()?;
        let host_name = if dns.is_some() { MCP_NAME } else { "127.0.0.1" };
        let mut config = json!({
            "site_id": SITE, "appliance_id": APPLIANCE, "deployment_mode": "direct",
            "state_dir": appliance.join("state"),
            "signing_key_file": key,
            "poll_interval_secs": poll_secs, "jitter_percent": 0,
            "mcp": {
                "base_url": format!("https://{host_name}:{}", mcp.port()),
                "connect_timeout_secs": 2, "request_timeout_secs": 5,
                "ca_file": pki.join("ca.pem"), "client_cert_file": pki.join("client.pem"), "client_key_file": pki.join("client.key"),
                "order_keys": [{"keyid": KEYID, "public_key": compliance_agent::encoding::base64_encode(order_key.public().as_ref())}]
            },
            "maintenance_window": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "duration_minutes": 1440},
            "checks": {
                "patching": {"flake_ref": FLAKE_REF, "allowed_flake_prefixes": ["github:clinic/appliance"],
                             "expected_revision": REVISION, "current_system": host.current_system()},
                "services": {"units": [UNIT]},
                "backups": {"status_file": status_file, "unit": "backup.service", "max_age_hours": 26},
                "firewall": {"baseline_file": baseline, "baseline_sig_file": appliance.join("firewall.nft.sig")},
                "logging": {},
                "encryption": {"volumes": [ROOT_VOLUME]}
            },
            "log": {"target": "stderr", "level": "info"}
        });
        let mut tools: Value = serde_json::from_str(&host.tools_json()).map_err(|e| e.to_string())?;
        tools["unshare"] = json!(scratch_unshare(&root, &host.tool_path("nft"))?);
        config["tools"] = tools;
        let config_path = appliance.join("config.json");
        write(&config_path, &serde_json::to_string_pretty(&config).map_err(|e| e.to_string())?, 0o644)?;

        let notify = Arc::new(NotifyCollector::bind(&root));
        let mut cmd = match &dns {
            Some(d) => {
                let conf = root.join("resolv.conf");
                write(&conf, &d.resolv_conf(), 0o644)?;
                with_resolv_conf(&conf, agent)
            }
            None => Command::new(agent),
        };
        let log = std::fs::File::create(root.join("agent.log")).map_err(|e| e.to_string())?;
        cmd.arg("--config").arg(&config_path).arg("run").env("NOTIFY_SOCKET", notify.path());
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log).process_group(0);
        println!("demo: starting the agent daemon: {} --config {} run", agent.display(), config_path.display());
        let child = cmd.spawn().map_err(|e| format!("{}: {e}", agent.display()))?;
        let stop = Arc::new(AtomicBool::new(false));
        {
            let mut p = lock(&shared);
            p.dns = match &dns_absent_why {
                None => "resolving".into(),
                Some(why) => why.clone(),
            };
            p.agent_state = "starting".into();
        }
        let demo = Demo {
            host: Arc::new(host),
            dir,
            agent: agent.to_path_buf(),
            poll_secs,
            order_key,
            mcp,
            dns,
            dns_absent_why,
            shared: Arc::clone(&shared),
            child: Arc::new(Mutex::new(child)),
            stop: Arc::clone(&stop),
            monitor: Mutex::new(None),
            _notify: Arc::clone(&notify),
        };
        if !notify.wait_count("READY=1", 1, Duration::from_secs(60)) {
            demo.stop();
            return Err(format!("the agent did not say READY=1 within 60 s; its log:\n{}", demo.agent_log_tail(40)));
        }
        let handle = monitor(&demo, notify);
        *demo.monitor.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        lock(&shared).event("the agent is up (READY=1)");
        Ok(demo)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn appliance(&self) -> PathBuf {
        self.dir().join("appliance")
    }

    pub fn db(&self) -> PathBuf {
        self.appliance().join("state/agent.db")
    }

    pub fn agent_log_tail(&self, n: usize) -> String {
        let log = std::fs::read_to_string(self.dir().join("agent.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Writes an order envelope where the MCP lists it.
    pub fn list_order(&self, name: &str, envelope: &[u8]) -> Result<()> {
        let path = self.dir().join(format!("mcp/orders/{name}.json"));
        std::fs::write(&path, envelope).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Stops the agent (SIGTERM, then SIGKILL of its group after 10 s),
    /// the monitor and the MCP.
    pub fn stop(&self) {
        // The monitor takes this lock too: released before it is joined.
        {
            let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
            if matches!(child.try_wait(), Ok(None)) {
                let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
                let deadline = Instant::now() + Duration::from_secs(10);
                while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
                if matches!(child.try_wait(), Ok(None)) {
                    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
                    let _ = child.wait();
                }
            }
        }
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.monitor.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = h.join();
        }
        self.mcp.down();
    }
}

pub fn write_backup_status(status_file: &Path, manifest: &Path, timestamp: i64) -> Result<()> {
    let sum = sha256_hex(&std::fs::read(manifest).map_err(|e| e.to_string())?);
    write(
        status_file,
        &format!(r#"{{"timestamp": {timestamp}, "checksum": "{sum}", "manifest": "{}"}}"#, manifest.display()),
        0o644,
    )
}

/// What the simulated host's tools say now, check by check: the truth the
/// agent is checking (red when drifted), beside what the agent last said.
fn host_truth(h: &SimHost, appliance: &Path, last_cycle: Option<&Value>) -> Value {
    let unit = h.unit_state(UNIT);
    let status: Value =
        serde_json::from_str(&std::fs::read_to_string(appliance.join("backup-status.json")).unwrap_or_default())
            .unwrap_or(Value::Null);
    let age_h = (now_ms() / 1000 - status["timestamp"].as_i64().unwrap_or(0)) / 3600;
    let ruleset = h.nft_ruleset();
    let extra: Vec<&str> = ruleset.lines().filter(|l| !BASELINE.lines().any(|b| b.trim() == l.trim())).collect();
    let journald = h.unit_state("systemd-journald.service");
    let canary_lost = h.path("behaviour/logger").exists();
    let volume = h.read(&format!("crypt/{ROOT_VOLUME}"));
    let volume_active = volume.lines().any(|l| l == "state=active");
    let revision = h.current_revision();
    let system = h.system_state();
    let rows = [
        (
            "patching",
            revision == REVISION && system == "running",
            format!("revision {}…, system {system}", &revision[..revision.len().min(10)]),
        ),
        ("services", unit == "active", format!("{UNIT} {unit}")),
        ("backups", age_h < 26, format!("last backup {age_h} h ago (limit 26 h)")),
        (
            "firewall",
            extra.is_empty(),
            if extra.is_empty() {
                "ruleset = signed baseline".to_string()
            } else {
                format!("extra: {}", extra.join("; ").trim())
            },
        ),
        (
            "logging",
            journald == "active" && !canary_lost,
            if canary_lost { "journald loses every line".to_string() } else { format!("journald {journald}") },
        ),
        (
            "encryption",
            volume_active,
            format!("{ROOT_VOLUME} {}", if volume_active { "open (LUKS2)" } else { "closed" }),
        ),
    ];
    let results = last_cycle.map(|c| &c["results"]);
    Value::Array(
        rows.iter()
            .map(|(name, ok, host)| {
                let r = results.map(|r| &r[*name]).unwrap_or(&Value::Null);
                let agent = match r["verdict"].as_str() {
                    Some(v) => format!(
                        "{v}{}",
                        r["detail"].as_str().filter(|d| !d.is_empty()).map(|d| format!(": {d}")).unwrap_or_default()
                    ),
                    None => "no cycle yet".to_string(),
                };
                json!({"name": name, "ok": ok, "host": host, "agent": agent})
            })
            .collect(),
    )
}

/// Every 200 ms: the notify messages, the simulated host and the agent's
/// own status (read-only from its database) into the picture.
fn monitor(demo: &Demo, notify: Arc<NotifyCollector>) -> JoinHandle<()> {
    let shared = Arc::clone(&demo.shared);
    let stop = Arc::clone(&demo.stop);
    let host = Arc::clone(&demo.host);
    let child = Arc::clone(&demo.child);
    let (appliance, db) = (demo.appliance(), demo.db());
    std::thread::spawn(move || {
        let mut seen_lines = 0;
        let mut last = String::new();
        while !stop.load(Ordering::SeqCst) {
            let lines = notify.lines();
            let status = Store::open_read_only(&db).ok().and_then(|s| Status::read(&s).ok());
            let checks = host_truth(&host, &appliance, status.as_ref().and_then(|s| s.last_cycle.as_ref()));
            let status_json = status.as_ref().map_or(Value::Null, |s| {
                json!({
                    "backlog": s.backlog.unpushed,
                    "stored": s.backlog.stored,
                    "chain_seq": s.chain_seq,
                    "mcp_reachable": s.last_cycle.as_ref().map(|c| c["mcp_reachable"].clone()),
                    "last_cycle": s.last_cycle.as_ref().map(|c| c["finished_at"].clone()),
                    "alerts": s.alerts.iter().map(|a| json!({"reason": a.reason, "detail": a.detail})).collect::<Vec<_>>(),
                })
            });
            let exited = child.lock().unwrap_or_else(|e| e.into_inner()).try_wait().ok().flatten();
            let mut p = lock(&shared);
            for line in lines.iter().skip(seen_lines) {
                if let Some(state) = line.strip_prefix("STATUS=") {
                    p.agent_state = state.to_string();
                }
                if line != "WATCHDOG=1" {
                    p.notify.push((now_ms(), line.clone()));
                    p.version += 1;
                }
            }
            seen_lines = lines.len();
            let excess = p.notify.len().saturating_sub(200);
            p.notify.drain(..excess);
            let now = format!("{checks}{status_json}");
            if now != last {
                p.checks = checks;
                p.status = status_json;
                p.version += 1;
                last = now;
            }
            if let (None, Some(code)) = (&p.agent_exit, exited) {
                p.agent_exit = Some(format!("the agent exited: {code}"));
                p.version += 1;
            }
            drop(p);
            shared.1.notify_all();
            std::thread::sleep(Duration::from_millis(200));
        }
    })
}
