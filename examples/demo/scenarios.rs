//! The scenarios: what each injects, what the agent should do, and how the
//! demo sees that it did (from what reaches the MCP, verified, and from the
//! agent's own status).

use crate::appliance::{lock, now_ms, write_backup_status, Demo, Picture, KEYID, UNIT};
use crate::simhost::{Volume, FLAKE_REF, ROOT_VOLUME};
use crate::stub::{Arrival, Verdict};
use crate::web::Web;
use compliance_agent::keys::SigningKey;
use compliance_agent::orders::dsse::sign;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Scenario {
    pub name: &'static str,
    pub label: &'static str,
    pub expect: &'static str,
}

pub const SCENARIOS: &[Scenario] = &[
    Scenario { name: "stop-service", label: "Stop a critical service",
        expect: "sshd.service stops. At its next poll the services check finds it inactive; the agent restarts it and sends remediation evidence: success." },
    Scenario { name: "stale-backup", label: "Make the backup stale",
        expect: "The newest backup is made 3 days old. The backups check finds it too old; the agent starts backup.service, which writes a fresh one: remediation, success." },
    Scenario { name: "firewall-rule", label: "Add a firewall rule",
        expect: "Someone opens tcp port 23 by hand. The ruleset no longer matches the signed baseline; the agent re-applies the baseline atomically: remediation, success." },
    Scenario { name: "lose-canary", label: "Lose the journald canary",
        expect: "journald silently drops every log line until it is restarted. The logging check's canary never arrives, twice; the agent restarts journald and a new canary gets through: remediation, success." },
    Scenario { name: "close-volume", label: "Close the encrypted volume",
        expect: "cryptroot is closed. The agent never touches disk encryption: it sends an alert for a human. (The demo re-opens the volume once the alert arrived.)" },
    Scenario { name: "failing-rebuild", label: "Make the next rebuild fail",
        expect: "The next nixos-rebuild comes up degraded, and a signed order asks for a rebuild (the window is always open here). The agent rolls back to the system it recorded, verifies it, and reports reverted: health_check_failed." },
    Scenario { name: "valid-order", label: "Send a valid order",
        expect: "A restart_service order signed by the MSP's key: verified, run, order evidence: success." },
    Scenario { name: "forged-order", label: "Send a forged order",
        expect: "Signed under the trusted key id, but by another key: refused before its payload is read, nothing runs; order evidence: rejected, bad_signature." },
    Scenario { name: "expired-order", label: "Send an expired order",
        expect: "Issued 1000 s ago with a 900 s lifetime: not run; order evidence: expired, ttl_elapsed." },
    Scenario { name: "replayed-order", label: "Replay an order",
        expect: "An order already run comes back re-signed (same order_id, other bytes): refused; order evidence: rejected, replay." },
    Scenario { name: "mcp-down", label: "Take the MCP down",
        expect: "The MCP's port refuses connections. The agent goes on checking and healing, keeps its signed evidence queued (the backlog grows) and writes one alert, not one per cycle." },
    Scenario { name: "mcp-up", label: "Bring the MCP back",
        expect: "At its next poll the agent reaches the MCP and delivers the whole backlog, the outage alert included; each bundle's signature and chain link verify." },
    Scenario { name: "break-dns", label: "Break DNS",
        expect: "The MCP's name stops resolving (the demo's DNS answers NXDOMAIN). Evidence is queued and one alert (dns: …) is written; nothing else is contacted." },
    Scenario { name: "fix-dns", label: "Fix DNS",
        expect: "The name resolves again: the queued evidence, the dns alert included, arrives and verifies." },
];

pub fn names() -> Vec<&'static str> {
    SCENARIOS.iter().map(|s| s.name).collect()
}

pub fn names_find(name: &str) -> &'static str {
    SCENARIOS.iter().find(|s| s.name == name).map_or("", |s| s.name)
}

/// The last valid order's payload, for the replay.
static LAST_VALID: Mutex<Option<Value>> = Mutex::new(None);

enum Outcome {
    Passed(String),
    Skipped(String),
}

type Step = Result<Outcome, String>;

struct Ctx<'a> {
    demo: &'a Demo,
    stop: &'a AtomicBool,
    limit: Duration,
}

impl Ctx<'_> {
    /// Waits until `cond` holds for the picture; an error after the limit.
    fn wait<T>(&self, what: &str, mut cond: impl FnMut(&Picture) -> Option<T>) -> Result<T, String> {
        let deadline = Instant::now() + self.limit;
        let (state, cv) = &*self.demo.shared;
        let mut p = state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(v) = cond(&p) {
                return Ok(v);
            }
            if let Some(exit) = &p.agent_exit {
                return Err(format!("{what}: {exit}"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stop.load(Ordering::SeqCst) {
                return Err(format!("{what}: not seen within {} s", self.limit.as_secs()));
            }
            p = cv.wait_timeout(p, left.min(Duration::from_millis(200))).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Waits for a bundle received after `since` for which `pred` holds;
    /// it must have verified (signature and chain link).
    fn bundle(&self, what: &str, since: usize, pred: impl Fn(&Arrival) -> bool) -> Result<Arrival, String> {
        let a = self.wait(what, |p| p.received.iter().skip(since).map(|r| &r.arrival).find(|a| pred(a)).cloned())?;
        match &a.verdict {
            Verdict::Verified | Verdict::ChainStartsHere | Verdict::Again => Ok(a),
            Verdict::Refused(why) => Err(format!("{what}: arrived but the MCP refused it: {why}")),
        }
    }

    fn received(&self) -> usize {
        lock(&self.demo.shared).received.len()
    }

    fn backlog(p: &Picture) -> Option<u64> {
        p.status["backlog"].as_u64()
    }
}

fn describe(a: &Arrival) -> String {
    format!(
        "seq {} {}{} {}{} (signature and chain link verified)",
        a.seq.unwrap_or(0),
        a.kind,
        a.check.as_deref().map(|c| format!("/{c}")).unwrap_or_default(),
        a.outcome,
        a.reason.as_deref().map(|r| format!(", {r}")).unwrap_or_default()
    )
}

fn now_secs() -> i64 {
    now_ms() / 1000
}

fn order_payload(action: &str, params: Value) -> Value {
    json!({"order_id": format!("demo-{:016x}", compliance_agent::rand::u64()), "site_id": crate::appliance::SITE,
           "appliance_id": crate::appliance::APPLIANCE, "issued_at": now_secs(), "ttl_secs": 900,
           "action": action, "params": params})
}

impl Ctx<'_> {
    /// Lists an envelope, waits for its order evidence, and takes it off the list.
    fn order(&self, payload: &Value, key: &SigningKey, pred: impl Fn(&Arrival) -> bool) -> Result<Arrival, String> {
        let envelope = sign(payload.to_string().as_bytes(), &[(KEYID, key)]);
        let name = format!("{}-{:08x}", now_ms(), compliance_agent::rand::u64() as u32);
        let since = self.received();
        self.demo.list_order(&name, &envelope)?;
        let result = self.bundle("the order's evidence", since, |a| a.kind == "order" && pred(a));
        let _ = std::fs::remove_file(self.demo.dir().join(format!("mcp/orders/{name}.json")));
        result
    }
}

fn run_one(ctx: &Ctx, name: &str) -> Step {
    let d = ctx.demo;
    let h = &d.host;
    let remediation =
        |check: &'static str| move |a: &Arrival| a.kind == "remediation" && a.check.as_deref() == Some(check);
    let heal = |check: &'static str, since: usize| -> Step {
        let a = ctx.bundle(&format!("{check} remediation evidence"), since, remediation(check))?;
        if a.outcome == "success" {
            Ok(Outcome::Passed(describe(&a)))
        } else {
            Err(format!("expected success, got {}", describe(&a)))
        }
    };
    let since = ctx.received();
    match name {
        "stop-service" => {
            h.set_unit(UNIT, "inactive");
            let step = heal("services", since)?;
            ctx.wait("sshd.service active again", |_| (h.unit_state(UNIT) == "active").then_some(()))?;
            Ok(step)
        }
        "stale-backup" => {
            let a = d.appliance();
            write_backup_status(&a.join("backup-status.json"), &a.join("backup-manifest"), now_secs() - 3 * 86_400)?;
            heal("backups", since)
        }
        "firewall-rule" => {
            let ruleset = h.nft_ruleset();
            let Some(line) = ruleset.lines().find(|l| l.trim() == "tcp dport 22 accept") else {
                return Err(format!("the live ruleset has no `tcp dport 22 accept` line:\n{ruleset}"));
            };
            let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
            h.set_nft_ruleset(&ruleset.replacen(line, &format!("{line}\n{indent}tcp dport 23 accept"), 1));
            let step = heal("firewall", since)?;
            if h.nft_ruleset().contains("dport 23") {
                return Err("the rule is still loaded after the heal".into());
            }
            Ok(step)
        }
        "lose-canary" => {
            // Until journald restarts (its hook, set up with the host,
            // clears this), every line sent to it is lost.
            h.behave("logger", "empty");
            heal("logging", since)
        }
        "close-volume" => {
            let mut closed = Volume::luks2("/dev/vda2");
            closed.active = false;
            closed.in_use = false;
            closed.mountpoint = None;
            h.set_volume(ROOT_VOLUME, &closed);
            let result = ctx.bundle("the encryption alert", since, |a| {
                a.check.as_deref() == Some("encryption") && (a.kind == "alert" || a.outcome == "alert")
            });
            h.set_volume(ROOT_VOLUME, &Volume::luks2("/dev/vda2"));
            lock(&d.shared).event("cryptroot re-opened (as the clinic's admin would)");
            Ok(Outcome::Passed(describe(&result?)))
        }
        "failing-rebuild" => {
            h.behave_once("nixos-rebuild-switch", "degrade");
            let order = order_payload("nixos_rebuild", json!({"flake_ref": FLAKE_REF}));
            let envelope = sign(order.to_string().as_bytes(), &[(KEYID, &d.order_key)]);
            let file = format!("{}-rebuild", now_ms());
            d.list_order(&file, &envelope)?;
            let result = ctx.bundle("the rebuild's evidence", since, |a| a.outcome == "reverted");
            let _ = std::fs::remove_file(d.dir().join(format!("mcp/orders/{file}.json")));
            h.clear_behaviour("nixos-rebuild-switch");
            let a = result?;
            if a.reason.as_deref() != Some("health_check_failed") {
                return Err(format!("expected health_check_failed, got {}", describe(&a)));
            }
            Ok(Outcome::Passed(describe(&a)))
        }
        "valid-order" => {
            let p = order_payload("restart_service", json!({"unit": UNIT}));
            let a = ctx.order(&p, &d.order_key, |_| true)?;
            if a.outcome != "success" {
                return Err(format!("expected success, got {}", describe(&a)));
            }
            *LAST_VALID.lock().unwrap_or_else(|e| e.into_inner()) = Some(p);
            Ok(Outcome::Passed(describe(&a)))
        }
        "forged-order" => {
            let mut seed = [0u8; 32];
            compliance_agent::rand::fill(&mut seed);
            let p = order_payload("restart_service", json!({"unit": UNIT}));
            let a = ctx.order(&p, &SigningKey::from_seed(seed), |_| true)?;
            expect(&a, "rejected", "bad_signature")
        }
        "expired-order" => {
            let mut p = order_payload("restart_service", json!({"unit": UNIT}));
            p["issued_at"] = json!(now_secs() - 1000);
            let a = ctx.order(&p, &d.order_key, |_| true)?;
            expect(&a, "expired", "ttl_elapsed")
        }
        "replayed-order" => {
            let last = LAST_VALID.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let original = match last {
                Some(p) => p,
                None => {
                    run_one(ctx, "valid-order")?;
                    LAST_VALID.lock().unwrap_or_else(|e| e.into_inner()).clone().ok_or("no valid order was run")?
                }
            };
            let mut copy = original.clone();
            copy["issued_at"] = json!(original["issued_at"].as_i64().unwrap_or(0) - 1);
            let a = ctx.order(&copy, &d.order_key, |_| true)?;
            expect(&a, "rejected", "replay")
        }
        "mcp-down" => {
            d.mcp.down();
            ctx.wait("a cycle that could not reach the MCP, and a backlog", |p| {
                (p.status["mcp_reachable"] == json!(false) && Ctx::backlog(p).unwrap_or(0) > 0).then_some(())
            })?;
            let alert = ctx.wait("the open mcp_unreachable alert", |p| {
                p.status["alerts"].as_array()?.iter().find(|a| a["reason"] == "mcp_unreachable").cloned()
            })?;
            let backlog = Ctx::backlog(&lock(&d.shared)).unwrap_or(0);
            Ok(Outcome::Passed(format!(
                "{backlog} bundle(s) queued; alert: {}",
                alert["detail"].as_str().unwrap_or("")
            )))
        }
        "mcp-up" => {
            let was_up = lock(&d.shared).mcp_up;
            d.mcp.up()?;
            if !was_up {
                ctx.bundle("the outage alert at the MCP", since, |a| {
                    a.kind == "alert" && a.reason.as_deref() == Some("mcp_unreachable")
                })?;
            }
            ctx.wait("an empty backlog", |p| {
                (Ctx::backlog(p) == Some(0) && p.status["mcp_reachable"] == json!(true)).then_some(())
            })?;
            let n = ctx.received() - since;
            Ok(Outcome::Passed(format!("{n} bundle(s) delivered and verified; backlog 0")))
        }
        "break-dns" | "fix-dns" => {
            let Some(dns) = &d.dns else {
                return Ok(Outcome::Skipped(d.dns_absent_why.clone().unwrap_or_default()));
            };
            if name == "break-dns" {
                dns.resolve(None);
                lock(&d.shared).dns = "broken: NXDOMAIN".into();
                let alert = ctx.wait("the dns alert", |p| {
                    p.status["alerts"]
                        .as_array()?
                        .iter()
                        .find(|a| {
                            a["reason"] == "mcp_unreachable"
                                && a["detail"].as_str().is_some_and(|t| t.starts_with("dns"))
                        })
                        .cloned()
                })?;
                ctx.wait("a backlog", |p| (Ctx::backlog(p).unwrap_or(0) > 0).then_some(()))?;
                Ok(Outcome::Passed(format!("alert: {}", alert["detail"].as_str().unwrap_or(""))))
            } else {
                dns.resolve(Some((crate::appliance::MCP_NAME, std::net::Ipv4Addr::LOCALHOST)));
                lock(&d.shared).dns = "resolving".into();
                let a = ctx.bundle("the dns alert at the MCP", since, |a| {
                    a.kind == "alert" && a.detail.as_deref().is_some_and(|t| t.starts_with("dns"))
                })?;
                ctx.wait("an empty backlog", |p| (Ctx::backlog(p) == Some(0)).then_some(()))?;
                Ok(Outcome::Passed(describe(&a)))
            }
        }
        other => Err(format!("no scenario {other:?}")),
    }
}

fn expect(a: &Arrival, outcome: &str, reason: &str) -> Step {
    if a.outcome == outcome && a.reason.as_deref() == Some(reason) {
        Ok(Outcome::Passed(describe(a)))
    } else {
        Err(format!("expected {outcome}, {reason}; got {}", describe(a)))
    }
}

/// Runs one scenario, recording its progress in the picture.
fn run(demo: &Demo, stop: &AtomicBool, name: &str) -> bool {
    let limit = Duration::from_secs((demo.poll_secs * 8).max(40));
    let ctx = Ctx { demo, stop, limit };
    set(demo, name, "running", "");
    lock(&demo.shared).event(format!("scenario {name}: started"));
    let (status, note) = match run_one(&ctx, name) {
        Ok(Outcome::Passed(note)) => ("passed", note),
        Ok(Outcome::Skipped(why)) => ("skipped", why),
        Err(why) => ("failed", why),
    };
    set(demo, name, status, &note);
    lock(&demo.shared).event(format!("scenario {name}: {status}: {note}"));
    status != "failed"
}

fn set(demo: &Demo, name: &str, status: &str, note: &str) {
    let mut p = lock(&demo.shared);
    let entry = p.progress.entry(name.to_string()).or_default();
    entry.status = status.to_string();
    entry.note = note.to_string();
    p.version += 1;
    drop(p);
    demo.shared.1.notify_all();
}

/// `--scenario`: each in turn, then every bundle the MCP received must have
/// verified and the agent's own `evidence verify` must pass.
pub fn run_headless(demo: &Demo, names: &[&str], stop: &AtomicBool) -> bool {
    // Let the first cycle's evidence arrive first.
    let ctx = Ctx { demo, stop, limit: Duration::from_secs(60) };
    if let Err(e) = ctx.wait("the first delivery", |p| (!p.received.is_empty()).then_some(())) {
        println!("FAIL start: {e}\n{}", demo.agent_log_tail(30));
        return false;
    }
    let mut ok = true;
    for name in names {
        if stop.load(Ordering::SeqCst) {
            println!("FAIL {name}: interrupted");
            return false;
        }
        let passed = run(demo, stop, name);
        let p = lock(&demo.shared);
        let progress = p.progress.get(*name).cloned().unwrap_or_default();
        println!("{} {name}: {}", progress.status.to_uppercase(), progress.note);
        ok &= passed;
    }
    let refused: Vec<String> = lock(&demo.shared)
        .received
        .iter()
        .filter(|r| !r.arrival.verdict.accepted())
        .map(|r| r.arrival.to_string())
        .collect();
    if !refused.is_empty() {
        println!("FAIL verification: the MCP refused bundles:\n{}", refused.join("\n"));
        ok = false;
    }
    let n = lock(&demo.shared).received.len();
    let out = std::process::Command::new(&demo.agent)
        .args(["evidence", "verify", "--db"])
        .arg(demo.db())
        .arg("--pubkey")
        .arg(demo.appliance().join("evidence.key.pub.pem"))
        .output();
    match out {
        Ok(o) if o.status.success() => {
            println!(
                "PASSED verification: {n} bundles received, each verified on arrival; evidence verify: {}",
                String::from_utf8_lossy(&o.stdout).trim()
            );
        }
        Ok(o) => {
            println!("FAIL evidence verify: {}", String::from_utf8_lossy(&o.stdout));
            ok = false;
        }
        Err(e) => {
            println!("FAIL evidence verify: {e}");
            ok = false;
        }
    }
    if !ok {
        println!("the agent's log, last lines:\n{}", demo.agent_log_tail(40));
    }
    println!("{}", if ok { "all scenarios behaved" } else { "SOME SCENARIOS DID NOT BEHAVE" });
    ok
}

/// The page's buttons: one scenario at a time, in the order clicked, until
/// Ctrl-C.
pub fn serve_requests(demo: &Demo, web: &Web, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        if let Some(name) = web.next_request(Duration::from_millis(200)) {
            run(demo, stop, &name);
        }
    }
}
