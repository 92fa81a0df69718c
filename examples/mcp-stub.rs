//! mcp-stub: a small MCP to run the agent against, speaking the two
//! requests of docs/protocol.md over HTTPS with client certificates.
//!
//! ```text
//! cargo run --release --offline --example mcp-stub -- \
//!     --listen 127.0.0.1:8443 --cert server.pem --key server.key \
//!     --client-ca ca.pem --evidence-keys DIR [--orders DIR] \
//!     [--receipt-key PEM [--receipt-keyid ID]]
//! ```
//!
//! - `GET /api/v1/orders?site_id=S&appliance_id=A`: a JSON array of the
//!   envelopes in `DIR`, each `*.json` file one DSSE envelope, served byte
//!   for byte in file-name order (`[]` without `--orders` or files). Every
//!   appliance gets the same list; the agent refuses what is not its own.
//! - `POST /api/v1/evidence`: verifies each bundle as it arrives — its
//!   Ed25519 signature over the exact bundle bytes with the appliance's
//!   evidence public key from `--evidence-keys DIR`, and its chain link
//!   (`seq` one more than the last bundle held, `prev_sha256` the SHA-256
//!   of that bundle's bytes) — prints one line per bundle (seq, kind,
//!   outcome, reason, verdict) and answers with a receipt (SHA-256 of the
//!   exact bundle bytes) for each bundle that verified. A refused bundle
//!   gets no receipt: the agent keeps it and sends it again.
//!
//!   With `--receipt-key` (an Ed25519 private key as `compliance-agent
//!   keygen` writes it) every receipt is signed under `--receipt-keyid`
//!   (default `mcp-receipts`), as docs/protocol.md specifies, for agents
//!   with `mcp.receipt_keys`.
//!
//! Evidence keys: `DIR/<site_id>.<appliance_id>.pub.pem`. A `key_rotation`
//! bundle that verifies names the key of every later bundle, and the stub
//! follows it; a stub started after a rotation can be given
//! `DIR/<site_id>.<appliance_id>.from-seq-<N>.pub.pem` for the bundles
//! from seq N on (docs/provisioning.md, "Rotating keys").
//!
//! It keeps the chain heads in memory only and writes nothing to disk: it
//! is for a first run (docs/provisioning.md) and the demo, not for keeping
//! evidence. One connection at a time (a client silent for 10 s is
//! dropped), requests within the protocol's limits; Ctrl-C ends it.

use compliance_agent::clock::{rfc3339_ms, Clock, SystemClock};
use compliance_agent::encoding::{base64_decode, sha256_hex};
use compliance_agent::keys::{parse_public_key_pem, SigningKey};
use ed25519_compact::{PublicKey, Signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The protocol's limits: request and reply bodies, envelopes, bundles.
const MAX_BODY: usize = 1 << 20;
const MAX_ENVELOPES: usize = 64;
const MAX_BUNDLES: usize = 256;
/// Largest request line plus headers.
const MAX_HEAD: usize = 16 * 1024;

const USAGE: &str = "usage: mcp-stub --listen ADDR:PORT --cert PEM --key PEM --client-ca PEM --evidence-keys DIR \
                     [--orders DIR] [--receipt-key PEM [--receipt-keyid ID]]";

struct Args {
    listen: String,
    cert: PathBuf,
    key: PathBuf,
    client_ca: PathBuf,
    evidence_keys: PathBuf,
    orders: Option<PathBuf>,
    /// Signs receipts: key id and key.
    receipts: Option<(String, SigningKey)>,
}

/// One item of a `POST /api/v1/evidence` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    bundle_id: String,
    bundle: String,
    signature: String,
}

/// What an HTTP reply needs.
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, value: serde_json::Value) -> Reply {
        Reply { status, body: value.to_string().into_bytes() }
    }

    fn error(status: u16, message: &str) -> Reply {
        eprintln!("mcp-stub: refused ({status}): {message}");
        Reply::json(status, serde_json::json!({ "error": message }))
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("mcp-stub: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<()> {
    let args = parse_args(std::env::args().skip(1))?;
    let config = tls_config(&args.cert, &args.key, &args.client_ca)?;
    let listener = TcpListener::bind(&args.listen).map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let orders = args.orders.as_ref().map_or("none".to_string(), |d| d.display().to_string());
    println!(
        "listening on https://{} (client certificates from {}; orders from {orders})",
        listener.local_addr()?,
        args.client_ca.display()
    );
    let mut ledger = Ledger::new(&args.evidence_keys);
    ledger.receipt_signer = args.receipts;
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                eprintln!("mcp-stub: accept: {e}");
                continue;
            }
        };
        let peer = stream.peer_addr().map_or("?".to_string(), |a| a.to_string());
        match serve(stream, &config, args.orders.as_deref(), &mut ledger) {
            Ok(arrivals) => arrivals.iter().for_each(|a| println!("{a}")),
            Err(e) => eprintln!("mcp-stub: {peer}: {e}"),
        }
    }
    Ok(())
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args> {
    let (mut listen, mut cert, mut key, mut client_ca, mut keys, mut orders) = (None, None, None, None, None, None);
    let (mut receipt_key, mut receipt_keyid) = (None, None);
    while let Some(flag) = argv.next() {
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = argv.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--listen" => listen = Some(value),
            "--cert" => cert = Some(PathBuf::from(value)),
            "--key" => key = Some(PathBuf::from(value)),
            "--client-ca" => client_ca = Some(PathBuf::from(value)),
            "--evidence-keys" => keys = Some(PathBuf::from(value)),
            "--orders" => orders = Some(PathBuf::from(value)),
            "--receipt-key" => receipt_key = Some(PathBuf::from(value)),
            "--receipt-keyid" => receipt_keyid = Some(value),
            _ => return Err(format!("unknown option {flag}\n{USAGE}").into()),
        }
    }
    let need = |v: Option<PathBuf>, name: &str| v.ok_or_else(|| format!("{name} is required\n{USAGE}"));
    Ok(Args {
        listen: listen.ok_or_else(|| format!("--listen is required\n{USAGE}"))?,
        cert: need(cert, "--cert")?,
        key: need(key, "--key")?,
        client_ca: need(client_ca, "--client-ca")?,
        evidence_keys: need(keys, "--evidence-keys")?,
        orders,
        receipts: match (receipt_key, receipt_keyid) {
            (Some(path), id) => Some((
                id.unwrap_or_else(|| "mcp-receipts".to_string()),
                SigningKey::load(&path).map_err(|e| format!("--receipt-key: {e}"))?,
            )),
            (None, Some(_)) => return Err(format!("--receipt-keyid needs --receipt-key\n{USAGE}").into()),
            (None, None) => None,
        },
    })
}

/// TLS 1.2/1.3 with the server certificate, requiring a client certificate
/// that chains to `--client-ca`.
pub fn tls_config(cert: &Path, key: &Path, client_ca: &Path) -> Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = |path: &Path| -> Result<Vec<CertificateDer<'static>>> {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("{}: no certificate in it", path.display()).into());
        }
        Ok(certs)
    };
    let mut roots = RootCertStore::empty();
    for ca in certs(client_ca)? {
        roots.add(ca).map_err(|e| format!("{}: {e}", client_ca.display()))?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build()?;
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs(cert)?, key_der)
        .map_err(|e| format!("{} and {}: {e}", cert.display(), key.display()))?;
    Ok(Arc::new(config))
}

/// One connection: one request, one reply. Returns the bundles that
/// arrived with it, each with its verdict.
pub fn serve(
    stream: TcpStream,
    config: &Arc<ServerConfig>,
    orders: Option<&Path>,
    ledger: &mut Ledger,
) -> Result<Vec<Arrival>> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut tls = StreamOwned::new(ServerConnection::new(config.clone())?, stream);
    let mut arrivals = Vec::new();
    let reply = match read_request(&mut tls)? {
        Err(reply) => reply,
        Ok((method, target, body)) => match (method.as_str(), target.split_once('?')) {
            ("GET", Some(("/api/v1/orders", query))) => orders_reply(query, orders),
            ("POST", None) if target == "/api/v1/evidence" => evidence_reply(&body, ledger, &mut arrivals),
            _ => Reply::error(404, &format!("no such endpoint: {method} {target}")),
        },
    };
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.status,
        if reply.status == 200 { "OK" } else { "Error" },
        reply.body.len()
    );
    tls.write_all(head.as_bytes())?;
    tls.write_all(&reply.body)?;
    tls.conn.send_close_notify();
    tls.flush()?;
    Ok(arrivals)
}

type Request = (String, String, Vec<u8>);

/// Reads the request line, headers and body, within the limits. The outer
/// error is a broken connection (TLS, timeout); the inner one a request to
/// refuse with a reply.
fn read_request(tls: &mut StreamOwned<ServerConnection, TcpStream>) -> Result<std::result::Result<Request, Reply>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buf.len() > MAX_HEAD {
            return Ok(Err(Reply::error(431, "request head over 16 KiB")));
        }
        match tls.read(&mut chunk)? {
            0 => return Err("connection closed before a whole request".into()),
            n => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut words = head.split_whitespace();
    let (method, target) = (words.next().unwrap_or("").to_string(), words.next().unwrap_or("").to_string());
    let mut length = 0;
    for line in head.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else { continue };
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return Ok(Err(Reply::error(411, "send a Content-Length, not a chunked body")));
        }
        if name.eq_ignore_ascii_case("content-length") {
            match value.trim().parse::<usize>() {
                Ok(n) if n <= MAX_BODY => length = n,
                _ => return Ok(Err(Reply::error(413, "body over 1 MiB"))),
            }
        }
    }
    let mut body = buf.split_off(head_end);
    while body.len() < length {
        match tls.read(&mut chunk)? {
            0 => return Err("connection closed inside the body".into()),
            n => body.extend_from_slice(&chunk[..n]),
        }
    }
    body.truncate(length);
    Ok(Ok((method, target, body)))
}

/// `GET /api/v1/orders`: the envelope files, as a JSON array.
fn orders_reply(query: &str, dir: Option<&Path>) -> Reply {
    let param = |name: &str| query.split('&').find_map(|p| p.strip_prefix(name)?.strip_prefix('='));
    let (Some(site), Some(appliance)) = (param("site_id"), param("appliance_id")) else {
        return Reply::error(400, "site_id and appliance_id are required");
    };
    let envelopes = match dir.map_or(Ok(Vec::new()), envelope_files) {
        Ok(e) => e,
        Err(e) => return Reply::error(500, &e.to_string()),
    };
    let mut body = b"[".to_vec();
    for (i, envelope) in envelopes.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(envelope);
    }
    body.push(b']');
    if body.len() > MAX_BODY {
        return Reply::error(500, "the orders reply would be over 1 MiB, which the agent refuses");
    }
    println!("orders for site {site} appliance {appliance}: {} envelope(s)", envelopes.len());
    Reply { status: 200, body }
}

/// The `*.json` files of `dir` in name order, each checked to be a JSON
/// object (it is sent as is: the agent hashes and verifies those bytes).
fn envelope_files(dir: &Path) -> Result<Vec<Vec<u8>>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("--orders {}: {e}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|x| x == "json") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    if paths.len() > MAX_ENVELOPES {
        return Err(format!("{} holds {} envelopes; the agent takes at most 64", dir.display(), paths.len()).into());
    }
    let mut envelopes = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes).is_err() {
            return Err(format!("{}: not a JSON object (one DSSE envelope per file)", path.display()).into());
        }
        envelopes.push(bytes);
    }
    Ok(envelopes)
}

/// `POST /api/v1/evidence`: each bundle verified, in the order sent; a
/// receipt for each one that verified.
fn evidence_reply(body: &[u8], ledger: &mut Ledger, arrivals: &mut Vec<Arrival>) -> Reply {
    let items: Vec<Item> = match serde_json::from_slice(body) {
        Ok(items) => items,
        Err(e) => return Reply::error(400, &format!("body is not a JSON array of evidence items: {e}")),
    };
    if items.len() > MAX_BUNDLES {
        return Reply::error(400, &format!("{} items; at most 256 per request", items.len()));
    }
    let received_at = rfc3339_ms(SystemClock.now_ms());
    let mut receipts = Vec::new();
    for item in &items {
        let (Ok(bundle), Ok(signature)) = (base64_decode(&item.bundle), base64_decode(&item.signature)) else {
            return Reply::error(400, &format!("{}: bundle or signature is not strict base64", item.bundle_id));
        };
        let arrival = ledger.receive(&item.bundle_id, &bundle, &signature);
        if arrival.verdict.accepted() {
            let sha256 = sha256_hex(&bundle);
            let mut receipt =
                serde_json::json!({"bundle_id": item.bundle_id, "sha256": sha256, "received_at": received_at});
            if let Some((keyid, key)) = &ledger.receipt_signer {
                // It verified, so it is a bundle naming its appliance.
                let fields: serde_json::Value = serde_json::from_slice(&bundle).unwrap_or_default();
                let field = |name: &str| fields[name].as_str().unwrap_or_default().to_string();
                receipt["keyid"] = keyid.as_str().into();
                receipt["signature"] = compliance_agent::evidence::receipts::sign(
                    &field("site_id"),
                    &field("appliance_id"),
                    &item.bundle_id,
                    &sha256,
                    &received_at,
                    key,
                )
                .into();
            }
            receipts.push(receipt);
        }
        arrivals.push(arrival);
    }
    Reply::json(200, serde_json::json!({ "receipts": receipts }))
}

/// The fields of a bundle the stub reads (docs/evidence.md).
#[derive(Deserialize)]
struct Header {
    bundle_id: String,
    seq: u64,
    prev_sha256: String,
    site_id: String,
    appliance_id: String,
    kind: String,
    check: Option<String>,
    outcome: String,
    reason: Option<String>,
    detail: Option<String>,
    /// For `key_rotation`: the key that signs every later bundle.
    rotation: Option<Rotation>,
}

/// The part of a `key_rotation` bundle the stub follows.
#[derive(Deserialize)]
struct Rotation {
    /// Base64 DER SubjectPublicKeyInfo: the body of the new key's PEM.
    new_public_key: String,
}

/// What became of one bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Signature verified, and the chain link to the bundle before it (or
    /// to 64 zeros for seq 1).
    Verified,
    /// Signature verified; the first bundle this server holds from the
    /// appliance, after seq 1: the bundles before it went to another
    /// server, so its link cannot be checked here.
    ChainStartsHere,
    /// The very bytes received before: acknowledged again, stored once.
    Again,
    /// Not stored and no receipt; why.
    Refused(String),
}

impl Verdict {
    /// Whether the bundle gets a receipt.
    pub fn accepted(&self) -> bool {
        !matches!(self, Verdict::Refused(_))
    }
}

/// One bundle as it arrived.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub bundle_id: String,
    pub seq: Option<u64>,
    pub kind: String,
    pub check: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub detail: Option<String>,
    pub verdict: Verdict,
}

impl std::fmt::Display for Arrival {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seq = self.seq.map_or("?".to_string(), |s| s.to_string());
        let reason = self.reason.as_deref().unwrap_or("-");
        write!(f, "bundle seq={seq} kind={} outcome={} reason={reason} ", self.kind, self.outcome)?;
        match &self.verdict {
            Verdict::Verified => write!(f, "(signature and chain link verified)"),
            Verdict::ChainStartsHere => write!(f, "(signature verified; first bundle held, link not checkable)"),
            Verdict::Again => write!(f, "(again)"),
            Verdict::Refused(why) => write!(f, "REFUSED: {why}"),
        }
    }
}

/// Every bundle held, per appliance: its SHA-256 by seq. A real MCP keeps
/// this (and the bundles) in a database.
#[derive(Debug)]
pub struct Ledger {
    keys_dir: PathBuf,
    chains: HashMap<(String, String), BTreeMap<u64, String>>,
    /// Keys learnt from verified `key_rotation` bundles, per appliance:
    /// the key from that seq on.
    rotations: HashMap<(String, String), BTreeMap<u64, PublicKey>>,
    /// Signs receipts (`--receipt-key`): key id and key.
    pub receipt_signer: Option<(String, SigningKey)>,
}

impl Ledger {
    /// An empty ledger verifying with the public keys in `keys_dir`.
    pub fn new(keys_dir: &Path) -> Ledger {
        Ledger {
            keys_dir: keys_dir.to_path_buf(),
            chains: HashMap::new(),
            rotations: HashMap::new(),
            receipt_signer: None,
        }
    }

    /// Verifies one bundle and, if it holds, records it.
    pub fn receive(&mut self, bundle_id: &str, bundle: &[u8], signature: &[u8]) -> Arrival {
        let Ok(h) = serde_json::from_slice::<Header>(bundle) else {
            let why = "not a bundle (JSON with bundle_id, seq, prev_sha256, site_id, appliance_id, kind, outcome)";
            return refused(bundle_id, why.to_string());
        };
        let verdict = self.judge(bundle_id, &h, bundle, signature);
        let Header { seq, kind, check, outcome, reason, detail, .. } = h;
        Arrival { bundle_id: bundle_id.to_string(), seq: Some(seq), kind, check, outcome, reason, detail, verdict }
    }

    fn judge(&mut self, bundle_id: &str, h: &Header, bundle: &[u8], signature: &[u8]) -> Verdict {
        if h.bundle_id != bundle_id {
            return Verdict::Refused("the bundle carries another bundle_id".into());
        }
        let appliance = (h.site_id.clone(), h.appliance_id.clone());
        let (from, mut key) = match self.key_for(&h.site_id, &h.appliance_id, h.seq) {
            Ok(found) => found,
            Err(why) => return Verdict::Refused(why),
        };
        // A rotation this stub saw and verified outranks an older key file.
        let learnt = self.rotations.get(&appliance).and_then(|r| r.range(..=h.seq).next_back());
        if let Some((_, learnt)) = learnt.filter(|(at, _)| **at > from) {
            key = *learnt;
        }
        let signed = Signature::from_slice(signature).is_ok_and(|s| key.verify(bundle, &s).is_ok());
        if !signed {
            return Verdict::Refused("the signature does not verify with the appliance's evidence key".into());
        }
        let sha256 = sha256_hex(bundle);
        let chain = self.chains.entry(appliance.clone()).or_default();
        if let Some(held) = chain.get(&h.seq) {
            return if *held == sha256 {
                Verdict::Again
            } else {
                Verdict::Refused(format!("another bundle with seq {} is held: the chain forks", h.seq))
            };
        }
        let verdict = match (h.seq, h.seq.checked_sub(1).and_then(|s| chain.get(&s))) {
            (0, _) => return Verdict::Refused("seq 0: seqs start at 1".into()),
            (1, _) if h.prev_sha256 == "0".repeat(64) => Verdict::Verified,
            (1, _) => return Verdict::Refused("seq 1 must have 64 zeros as prev_sha256".into()),
            (_, Some(prev)) if *prev == h.prev_sha256 => Verdict::Verified,
            (seq, Some(_)) => return Verdict::Refused(format!("prev_sha256 is not the SHA-256 of seq {}", seq - 1)),
            (_, None) if chain.is_empty() => Verdict::ChainStartsHere,
            (seq, None) => return Verdict::Refused(format!("seq {} is missing: the chain has a gap", seq - 1)),
        };
        // Signed by the current key and naming the next one: from the next
        // seq on, bundles are signed by the new key (docs/evidence.md).
        if h.kind == "key_rotation" {
            let pem = h
                .rotation
                .as_ref()
                .map(|r| format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", r.new_public_key));
            let Some(Ok(next)) = pem.as_deref().map(parse_public_key_pem) else {
                return Verdict::Refused("a key_rotation bundle without a readable new key".into());
            };
            self.rotations.entry(appliance).or_default().insert(h.seq + 1, next);
        }
        chain.insert(h.seq, sha256);
        verdict
    }

    /// The appliance's evidence key for `seq` and the seq it applies from:
    /// `<site>.<appliance>.pub.pem` (from 1), or the
    /// `….from-seq-<N>.pub.pem` with the largest N ≤ seq.
    fn key_for(&self, site: &str, appliance: &str, seq: u64) -> std::result::Result<(u64, PublicKey), String> {
        let safe = |id: &str| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
        if !safe(site) || !safe(appliance) {
            return Err(format!("site_id {site:?} or appliance_id {appliance:?} is not a plain name"));
        }
        let stem = format!("{site}.{appliance}.");
        let mut best: Option<(u64, PathBuf)> = None;
        let entries = std::fs::read_dir(&self.keys_dir).map_err(|e| format!("{}: {e}", self.keys_dir.display()))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(&stem).and_then(|r| r.strip_suffix("pub.pem")) else { continue };
            let from = match rest.strip_prefix("from-seq-").and_then(|n| n.strip_suffix('.')) {
                None if rest.is_empty() => 1,
                Some(n) => match n.parse::<u64>() {
                    Ok(n) => n,
                    Err(_) => continue,
                },
                None => continue,
            };
            if from <= seq && best.as_ref().is_none_or(|(b, _)| from > *b) {
                best = Some((from, entry.path()));
            }
        }
        let (from, path) = best.ok_or_else(|| format!("no evidence key {}/{stem}pub.pem", self.keys_dir.display()))?;
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let key = parse_public_key_pem(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok((from, key))
    }
}

fn refused(bundle_id: &str, why: String) -> Arrival {
    Arrival {
        bundle_id: bundle_id.to_string(),
        seq: None,
        kind: "?".into(),
        check: None,
        outcome: "?".into(),
        reason: None,
        detail: None,
        verdict: Verdict::Refused(why),
    }
}
