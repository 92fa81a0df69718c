//! The scenario page: plain HTML, CSS and JavaScript from demo/web/, a JSON
//! long-poll endpoint with the whole picture, one POST per button, and the
//! evidence export as a download. std only, 127.0.0.1 only.

use crate::appliance::{lock, Demo, Picture, Shared, APPLIANCE, SITE};
use crate::scenarios::SCENARIOS;
use crate::stub::Verdict;
use crate::Result;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const INDEX: &str = include_str!("../../demo/web/index.html");
const SCRIPT: &str = include_str!("../../demo/web/app.js");
const STYLE: &str = include_str!("../../demo/web/style.css");

pub struct Web {
    addr: SocketAddr,
    requests: Mutex<Receiver<String>>,
}

#[derive(Clone)]
struct Ctx {
    shared: Shared,
    requests: Sender<String>,
    agent: PathBuf,
    db: PathBuf,
    pubkey: PathBuf,
    /// The evidence key: it signs the export's manifest.
    key: PathBuf,
    work: PathBuf,
    poll_secs: u64,
    mcp_port: u16,
}

impl Web {
    /// Listens on 127.0.0.1:`port`, or the next free port above it.
    pub fn start(demo: &Demo, port: u16) -> Result<Web> {
        let listener = (0..100u16)
            .filter_map(|i| port.checked_add(i))
            .find_map(|p| TcpListener::bind(("127.0.0.1", p)).ok())
            .ok_or_else(|| format!("no free port from {port} to {}", port.saturating_add(99)))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (tx, rx) = channel();
        let ctx = Ctx {
            shared: Arc::clone(&demo.shared),
            requests: tx,
            agent: demo.agent.clone(),
            db: demo.db(),
            pubkey: demo.appliance().join("evidence.key.pub.pem"),
            key: demo.appliance().join("evidence.key"),
            work: demo.dir().join("export"),
            poll_secs: demo.poll_secs,
            mcp_port: demo.mcp.port(),
        };
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let ctx = ctx.clone();
                std::thread::spawn(move || {
                    if let Err(e) = handle(stream, &ctx) {
                        eprintln!("web: {e}");
                    }
                });
            }
        });
        Ok(Web { addr, requests: Mutex::new(rx) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The next button pressed, if one comes within `wait`.
    pub fn next_request(&self, wait: Duration) -> Option<String> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).recv_timeout(wait).ok()
    }
}

fn handle(stream: TcpStream, ctx: &Ctx) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.by_ref().take(8192).read_line(&mut line)?;
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.by_ref().take(8192).read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0).min(4096);
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let mut words = line.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut out = stream;
    match (method, path) {
        ("GET", "/") => reply(&mut out, 200, "text/html; charset=utf-8", INDEX.as_bytes()),
        ("GET", "/app.js") => reply(&mut out, 200, "text/javascript; charset=utf-8", SCRIPT.as_bytes()),
        ("GET", "/style.css") => reply(&mut out, 200, "text/css; charset=utf-8", STYLE.as_bytes()),
        ("GET", "/api/state") => {
            let since: u64 =
                query.split('&').find_map(|p| p.strip_prefix("since=")).and_then(|v| v.parse().ok()).unwrap_or(0);
            let state = wait_state(ctx, since);
            reply(&mut out, 200, "application/json", state.to_string().as_bytes())
        }
        ("POST", p) if p.starts_with("/api/run/") => {
            let name = &p["/api/run/".len()..];
            if !SCENARIOS.iter().any(|s| s.name == name) {
                return reply(&mut out, 404, "application/json", b"{\"error\":\"no such scenario\"}");
            }
            {
                let mut pic = lock(&ctx.shared);
                let entry = pic.progress.entry(name.to_string()).or_default();
                entry.status = "queued".into();
                entry.note = String::new();
                pic.version += 1;
            }
            ctx.shared.1.notify_all();
            let _ = ctx.requests.send(name.to_string());
            reply(&mut out, 202, "application/json", b"{\"queued\":true}")
        }
        ("GET", "/evidence-export.tar.gz") => match export(ctx) {
            Ok(bytes) => reply(&mut out, 200, "application/gzip", &bytes),
            Err(e) => reply(&mut out, 500, "text/plain; charset=utf-8", e.as_bytes()),
        },
        _ => reply(&mut out, 404, "text/plain; charset=utf-8", b"not found"),
    }
}

fn reply(out: &mut TcpStream, status: u16, kind: &str, body: &[u8]) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        if status < 300 { "OK" } else { "Error" },
        body.len()
    );
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()
}

/// The picture once its version is past `since`, or after 20 s anyway.
fn wait_state(ctx: &Ctx, since: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    let (state, cv) = &*ctx.shared;
    let mut p = state.lock().unwrap_or_else(|e| e.into_inner());
    while p.version <= since {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        p = cv.wait_timeout(p, left).unwrap_or_else(|e| e.into_inner()).0;
    }
    to_json(&p, ctx)
}

fn to_json(p: &Picture, ctx: &Ctx) -> Value {
    let received: Vec<Value> = p
        .received
        .iter()
        .rev()
        .take(300)
        .map(|r| {
            let a = &r.arrival;
            let (verified, note) = match &a.verdict {
                Verdict::Verified => (true, "signature and chain link verified".to_string()),
                Verdict::ChainStartsHere => (true, "signature verified; first bundle this MCP holds".to_string()),
                Verdict::Again => (true, "sent again; acknowledged again".to_string()),
                Verdict::Refused(why) => (false, format!("REFUSED: {why}")),
            };
            json!({"at_ms": r.at_ms, "seq": a.seq, "kind": a.kind, "check": a.check, "outcome": a.outcome,
                   "reason": a.reason, "detail": a.detail, "verified": verified, "note": note, "bundle_id": a.bundle_id})
        })
        .collect();
    let scenarios: Vec<Value> = SCENARIOS
        .iter()
        .map(|s| {
            let pr = p.progress.get(s.name).cloned().unwrap_or_default();
            let status = if pr.status.is_empty() { "idle".to_string() } else { pr.status };
            json!({"name": s.name, "label": s.label, "expect": s.expect, "status": status, "note": pr.note})
        })
        .collect();
    let pubkey = ctx.pubkey.display();
    json!({
        "version": p.version,
        "site": SITE, "appliance": APPLIANCE, "poll_secs": ctx.poll_secs,
        "agent_state": p.agent_state,
        "agent_exit": p.agent_exit,
        "mcp": {"up": p.mcp_up, "url": format!("https://127.0.0.1:{}", ctx.mcp_port)},
        "dns": p.dns,
        "status": p.status,
        "checks": p.checks,
        "received": received,
        "received_total": p.received.len(),
        "notify": p.notify.iter().rev().take(40).map(|(t, l)| json!({"at_ms": t, "line": l})).collect::<Vec<_>>(),
        "events": p.events.iter().rev().take(40).map(|(t, l)| json!({"at_ms": t, "text": l})).collect::<Vec<_>>(),
        "scenarios": scenarios,
        "verify": {
            "unpack": "mkdir evidence-export && tar -xzf evidence-export.tar.gz -C evidence-export",
            "agent": format!("{} evidence verify evidence-export/evidence --pubkey evidence-export/evidence.key.pub.pem", ctx.agent.display()),
            "openssl": "f=$(ls evidence-export/evidence/*.json | head -n 1); openssl pkeyutl -verify -pubin -inkey evidence-export/evidence.key.pub.pem -rawin -in \"$f\" -sigfile \"$f.sig\"",
            "chain": "# the whole chain and its signed manifest, bash and OpenSSL only (the script in docs/evidence.md):\nbash verify-chain.sh evidence-export/evidence evidence-export/evidence.key.pub.pem",
            "db": format!("{} evidence verify --db {} --pubkey {pubkey}", ctx.agent.display(), ctx.db.display()),
        }
    })
}

/// `evidence export` of the agent's database plus the public key, as a
/// .tar.gz made by `tar`.
fn export(ctx: &Ctx) -> std::result::Result<Vec<u8>, String> {
    let stamp = crate::appliance::now_ms();
    let dir = ctx.work.join(stamp.to_string());
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = std::process::Command::new(&ctx.agent)
        .args(["evidence", "export", "--db"])
        .arg(&ctx.db)
        .arg("--key")
        .arg(&ctx.key)
        .arg(dir.join("evidence"))
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("evidence export: {}", String::from_utf8_lossy(&out.stderr)));
    }
    std::fs::copy(&ctx.pubkey, dir.join("evidence.key.pub.pem")).map_err(|e| e.to_string())?;
    let tar = std::process::Command::new("tar")
        .arg("-czf")
        .arg("-")
        .arg("-C")
        .arg(&dir)
        .args(["evidence", "evidence.key.pub.pem"])
        .output()
        .map_err(|e| format!("tar: {e}"))?;
    let _ = std::fs::remove_dir_all(&dir);
    if tar.status.success() {
        Ok(tar.stdout)
    } else {
        Err(format!("tar: {}", String::from_utf8_lossy(&tar.stderr)))
    }
}
