//! mcp-stub: a small MCP to run the agent against, speaking the two
//! requests of docs/protocol.md over HTTPS with client certificates.
//!
//! ```text
//! cargo run --release --offline --example mcp-stub -- \
//!     --listen 127.0.0.1:8443 --cert server.pem --key server.key \
//!     --client-ca ca.pem [--orders DIR]
//! ```
//!
//! - `GET /api/v1/orders?site_id=S&appliance_id=A`: a JSON array of the
//!   envelopes in `DIR`, each `*.json` file one DSSE envelope, served byte
//!   for byte in file-name order (`[]` without `--orders` or files). Every
//!   appliance gets the same list; the agent refuses what is not its own.
//! - `POST /api/v1/evidence`: checks each item's base64 and that its
//!   signature is 64 bytes, prints one line per bundle (seq, kind,
//!   outcome, reason) and answers with receipts (SHA-256 of the exact
//!   bundle bytes).
//!
//! It writes nothing to disk and does not verify evidence signatures: it
//! is for a first run (docs/provisioning.md), not for keeping evidence.
//! One connection at a time (a client silent for 10 s is dropped),
//! requests within the protocol's limits; Ctrl-C ends it.

use compliance_agent::clock::{rfc3339_ms, Clock, SystemClock};
use compliance_agent::encoding::{base64_decode, sha256_hex};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};
use serde::Deserialize;
use std::collections::HashSet;
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

const USAGE: &str = "usage: mcp-stub --listen ADDR:PORT --cert PEM --key PEM --client-ca PEM [--orders DIR]";

struct Args {
    listen: String,
    cert: PathBuf,
    key: PathBuf,
    client_ca: PathBuf,
    orders: Option<PathBuf>,
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
    let config = tls_config(&args)?;
    let listener = TcpListener::bind(&args.listen).map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let orders = args.orders.as_ref().map_or("none".to_string(), |d| d.display().to_string());
    println!(
        "listening on https://{} (client certificates from {}; orders from {orders})",
        listener.local_addr()?,
        args.client_ca.display()
    );
    // Bundles already receipted: a re-sent one is acknowledged again.
    let mut seen = HashSet::new();
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                eprintln!("mcp-stub: accept: {e}");
                continue;
            }
        };
        let peer = stream.peer_addr().map_or("?".to_string(), |a| a.to_string());
        if let Err(e) = serve(stream, &config, args.orders.as_deref(), &mut seen) {
            eprintln!("mcp-stub: {peer}: {e}");
        }
    }
    Ok(())
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args> {
    let (mut listen, mut cert, mut key, mut client_ca, mut orders) = (None, None, None, None, None);
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
            "--orders" => orders = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {flag}\n{USAGE}").into()),
        }
    }
    let need = |v: Option<PathBuf>, name: &str| v.ok_or_else(|| format!("{name} is required\n{USAGE}"));
    Ok(Args {
        listen: listen.ok_or_else(|| format!("--listen is required\n{USAGE}"))?,
        cert: need(cert, "--cert")?,
        key: need(key, "--key")?,
        client_ca: need(client_ca, "--client-ca")?,
        orders,
    })
}

/// TLS 1.2/1.3 with the server certificate, requiring a client certificate
/// that chains to `--client-ca`.
fn tls_config(args: &Args) -> Result<Arc<ServerConfig>> {
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
    for ca in certs(&args.client_ca)? {
        roots.add(ca).map_err(|e| format!("{}: {e}", args.client_ca.display()))?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build()?;
    let key = PrivateKeyDer::from_pem_file(&args.key).map_err(|e| format!("{}: {e}", args.key.display()))?;
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs(&args.cert)?, key)
        .map_err(|e| format!("{} and {}: {e}", args.cert.display(), args.key.display()))?;
    Ok(Arc::new(config))
}

/// One connection: one request, one reply.
fn serve(
    stream: TcpStream,
    config: &Arc<ServerConfig>,
    orders: Option<&Path>,
    seen: &mut HashSet<(String, String)>,
) -> Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut tls = StreamOwned::new(ServerConnection::new(config.clone())?, stream);
    let reply = match read_request(&mut tls)? {
        Err(reply) => reply,
        Ok((method, target, body)) => match (method.as_str(), target.split_once('?')) {
            ("GET", Some(("/api/v1/orders", query))) => orders_reply(query, orders),
            ("POST", None) if target == "/api/v1/evidence" => evidence_reply(&body, seen),
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
    Ok(())
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

/// `POST /api/v1/evidence`: one line and one receipt per bundle.
fn evidence_reply(body: &[u8], seen: &mut HashSet<(String, String)>) -> Reply {
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
        let bundle = match (base64_decode(&item.bundle), base64_decode(&item.signature)) {
            (Ok(b), Ok(sig)) if sig.len() == 64 => b,
            (Ok(_), Ok(sig)) => {
                return Reply::error(400, &format!("{}: signature of {} bytes", item.bundle_id, sig.len()))
            }
            _ => return Reply::error(400, &format!("{}: bundle or signature is not strict base64", item.bundle_id)),
        };
        let Ok(fields) = serde_json::from_slice::<serde_json::Value>(&bundle) else {
            return Reply::error(400, &format!("{}: the bundle is not JSON", item.bundle_id));
        };
        if fields["bundle_id"].as_str() != Some(item.bundle_id.as_str()) {
            return Reply::error(400, &format!("{}: the bundle carries another bundle_id", item.bundle_id));
        }
        let sha256 = sha256_hex(&bundle);
        let again = if seen.insert((item.bundle_id.clone(), sha256.clone())) { "" } else { " (again)" };
        let field = |name: &str| fields[name].as_str().unwrap_or("-").to_string();
        println!(
            "bundle seq={} kind={} outcome={} reason={}{again}",
            fields["seq"],
            field("kind"),
            field("outcome"),
            field("reason")
        );
        receipts.push(serde_json::json!({"bundle_id": item.bundle_id, "sha256": sha256, "received_at": received_at}));
    }
    Reply::json(200, serde_json::json!({ "receipts": receipts }))
}
