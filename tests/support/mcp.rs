//! A test MCP: HTTPS with client-certificate verification on 127.0.0.1,
//! built from std and rustls's own server side. It serves scripted order
//! envelopes, stores posted evidence and answers with receipts signed by
//! the receipt key ([`RECEIPT_SEED`], docs/protocol.md), and can be told
//! to misbehave. Test-only: never part of the agent binary.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The committed test PKI.
pub fn pki(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pki").join(name)
}

/// The seed of the key the server signs receipts with.
pub const RECEIPT_SEED: [u8; 32] = [12u8; 32];
/// Its key id.
pub const RECEIPT_KEYID: &str = "mcp-receipts-test";

/// The receipt key as `mcp.receipt_keys` takes it.
pub fn receipt_key_json() -> serde_json::Value {
    let key = compliance_agent::keys::SigningKey::from_seed(RECEIPT_SEED);
    serde_json::json!([{
        "keyid": RECEIPT_KEYID,
        "public_key": compliance_agent::encoding::base64_encode(key.public().as_ref()),
    }])
}

/// How the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// As the protocol says.
    Normal,
    /// Every request gets this status and an empty JSON body.
    Status(u16),
    /// Wait this long before answering.
    Slow(Duration),
    /// The orders reply is a JSON array larger than 1 MiB.
    Oversized,
    /// The orders reply is not JSON.
    Malformed,
    /// The orders reply holds this many (empty) envelopes.
    TooMany(usize),
    /// Redirect every request elsewhere.
    Redirect,
    /// Receipts carry a wrong sha256.
    WrongReceipts,
    /// Receipts carry no signature.
    UnsignedReceipts,
    /// Receipts are signed by a key other than the receipt key (under its
    /// key id).
    ForeignReceiptSignatures,
}

/// A bundle the server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub bundle_id: String,
    pub bundle: Vec<u8>,
    pub signature: Vec<u8>,
}

#[derive(Debug)]
struct State {
    orders: Vec<Vec<u8>>,
    behaviour: Behaviour,
    evidence: Vec<Received>,
    /// (bundle id, SHA-256 of its bytes) of every bundle in `evidence`: the
    /// idempotency check in constant time, so a 100,000-bundle backlog
    /// (the benchmark's) costs the server linear, not quadratic, time.
    stored: std::collections::HashSet<(String, String)>,
    deliveries: Vec<String>,
    requests: Vec<String>,
    handshake_errors: Vec<String>,
    /// Keep connections open between requests (HTTP/1.1 keep-alive), each
    /// on its own thread.
    keep_alive: bool,
    /// TCP connections accepted.
    accepts: usize,
    /// Of those, TLS handshakes that resumed a session.
    resumed: usize,
    /// Bumped by [`McpServer::close_idle`]: open connections close.
    close_generation: u64,
    /// Close a reused connection when a request arrives on it, without
    /// answering (a server timing out the connection just as the request
    /// comes), this many times.
    drop_reused: usize,
}

/// A running test MCP.
pub struct McpServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl McpServer {
    /// Starts with the test CA's server certificate, requiring client
    /// certificates from the test CA.
    pub fn start() -> McpServer {
        Self::start_with(&pki("server.pem"), &pki("server.key"), &pki("ca.pem"))
    }

    /// Starts with the given server certificate and client CA.
    pub fn start_with(cert: &Path, key: &Path, client_ca: &Path) -> McpServer {
        Self::start_at(cert, key, client_ca, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts on `port` of 127.0.0.1 (an MCP coming back where it was:
    /// see [`reserved_port`]).
    pub fn start_on(port: u16) -> McpServer {
        Self::start_at(&pki("server.pem"), &pki("server.key"), &pki("ca.pem"), SocketAddr::from(([127, 0, 0, 1], port)))
    }

    fn start_at(cert: &Path, key: &Path, client_ca: &Path, at: SocketAddr) -> McpServer {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(cert).unwrap().collect::<Result<_, _>>().unwrap();
        let key = PrivateKeyDer::from_pem_file(key).unwrap();
        let mut roots = RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(client_ca).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build().unwrap();
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(certs, key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind(at).unwrap_or_else(|e| panic!("bind {at}: {e}"));
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            orders: Vec::new(),
            behaviour: Behaviour::Normal,
            evidence: Vec::new(),
            stored: std::collections::HashSet::new(),
            deliveries: Vec::new(),
            requests: Vec::new(),
            handshake_errors: Vec::new(),
            keep_alive: false,
            accepts: 0,
            resumed: 0,
            close_generation: 0,
            drop_reused: 0,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || serve(listener, config, state, stop))
        };
        McpServer { addr, state, stop, thread: Some(thread) }
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Replaces the order list (raw envelope bytes).
    pub fn set_orders(&self, orders: Vec<Vec<u8>>) {
        self.state.lock().unwrap().orders = orders;
    }

    /// Changes how the server answers.
    pub fn behave(&self, b: Behaviour) {
        self.state.lock().unwrap().behaviour = b;
    }

    /// Bundles received so far.
    pub fn evidence(&self) -> Vec<Received> {
        self.state.lock().unwrap().evidence.clone()
    }

    /// The bundle id of every item posted, in arrival order, re-sent ones
    /// again each time (what [`McpServer::evidence`] keeps only once).
    pub fn deliveries(&self) -> Vec<String> {
        self.state.lock().unwrap().deliveries.clone()
    }

    /// Request lines received (`GET /api/v1/orders?...`).
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Keeps connections open after each answer (keep-alive) instead of
    /// closing them; each connection is served on its own thread.
    pub fn keep_alive(&self) {
        self.state.lock().unwrap().keep_alive = true;
    }

    /// TCP connections accepted so far.
    pub fn accepts(&self) -> usize {
        self.state.lock().unwrap().accepts
    }

    /// TLS handshakes so far that resumed an earlier session (the rest were
    /// full handshakes).
    pub fn resumed(&self) -> usize {
        self.state.lock().unwrap().resumed
    }

    /// Closes every connection kept open, as a server timing out idle
    /// connections does (close_notify, then FIN), and waits until they are
    /// closed.
    pub fn close_idle(&self) {
        self.state.lock().unwrap().close_generation += 1;
        // Connection threads look at the generation every 20 ms.
        std::thread::sleep(Duration::from_millis(200));
    }

    /// The next `n` requests that arrive on a reused connection are met by
    /// closing that connection without an answer.
    pub fn drop_reused_requests(&self, n: usize) {
        self.state.lock().unwrap().drop_reused = n;
    }

    /// TLS handshakes that failed (e.g. a client without a certificate).
    pub fn handshake_errors(&self) -> Vec<String> {
        self.state.lock().unwrap().handshake_errors.clone()
    }
}

impl Drop for McpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A loopback address where nothing listens (an MCP that is down).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A port of 127.0.0.1 where nothing listens now and where a server can
/// be started later: outside the kernel's ephemeral range, so no outgoing
/// connection and no `bind(…:0)` of another test takes it meanwhile.
pub fn reserved_port() -> u16 {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let low: u16 = range.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(32768);
    assert!(low > 2048, "the ephemeral port range starts at {low}: no room below it");
    let span = u32::from(low - 1024);
    let mut seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
        ^ std::process::id().rotate_left(12);
    for _ in 0..100 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let port = 1024 + u16::try_from((seed >> 8) % span).unwrap();
        // Free now (a listener could bind it): then nothing listens there.
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port below {low}");
}

fn serve(listener: TcpListener, config: Arc<ServerConfig>, state: Arc<Mutex<State>>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((sock, _)) => {
                let keep_alive = {
                    let mut s = state.lock().unwrap();
                    s.accepts += 1;
                    s.keep_alive
                };
                if keep_alive {
                    let (config, state, stop) = (config.clone(), state.clone(), stop.clone());
                    std::thread::spawn(move || serve_kept(sock, &config, &state, &stop));
                } else {
                    handle(sock, &config, &state, &stop)
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Serves requests on one connection until the client closes it, the test
/// closes idle connections, or 10 s pass without a request.
fn serve_kept(sock: TcpStream, config: &Arc<ServerConfig>, state: &Mutex<State>, stop: &AtomicBool) {
    let _ = sock.set_nonblocking(false);
    let _ = sock.set_read_timeout(Some(Duration::from_millis(20)));
    let Ok(conn) = ServerConnection::new(config.clone()) else { return };
    let mut tls = StreamOwned::new(conn, sock);
    let generation = state.lock().unwrap().close_generation;
    let mut served = 0usize;
    let mut counted = false;
    loop {
        let (head, body) = match read_request_polling(&mut tls, state, stop, generation) {
            Ok(Some(r)) => r,
            Ok(None) => {
                // Closed by the test (idle timeout): close_notify, then FIN.
                tls.conn.send_close_notify();
                let _ = tls.flush();
                return;
            }
            Err(e) => {
                if served == 0 {
                    state.lock().unwrap().handshake_errors.push(e.to_string());
                }
                return;
            }
        };
        if !counted {
            counted = true;
            if tls.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
                state.lock().unwrap().resumed += 1;
            }
        }
        if served > 0 {
            let mut s = state.lock().unwrap();
            if s.drop_reused > 0 {
                s.drop_reused -= 1;
                // Gone without a word: the client sees end of file.
                let _ = tls.sock.shutdown(std::net::Shutdown::Both);
                return;
            }
        }
        served += 1;
        let (status, reply) = answer(&head, &body, state);
        let header = format!(
            "HTTP/1.1 {status} Status\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            reply.len()
        );
        let _ = tls.write_all(header.as_bytes());
        let _ = tls.write_all(&reply);
        let _ = tls.flush();
    }
}

/// The answer of a normal server (keep-alive mode).
fn answer(head: &str, body: &[u8], state: &Mutex<State>) -> (u16, Vec<u8>) {
    let request_line = head.lines().next().unwrap_or("").to_string();
    state.lock().unwrap().requests.push(request_line.clone());
    if request_line.starts_with("GET /api/v1/orders?") {
        (200, orders_reply(&Behaviour::Normal, state))
    } else if request_line.starts_with("POST /api/v1/evidence ") {
        let (status, _, reply) = evidence_reply(body, &Behaviour::Normal, state);
        (status, reply)
    } else {
        (404, b"{}".to_vec())
    }
}

/// [`read_request`] on a socket with a short read timeout: between reads,
/// gives up (`None`) when the test closes idle connections or drops the
/// server; at most 10 s idle.
fn read_request_polling(
    tls: &mut StreamOwned<ServerConnection, TcpStream>,
    state: &Mutex<State>,
    stop: &AtomicBool,
    generation: u64,
) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head_end = p + 4;
            let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= head_end + len {
                return Ok(Some((head, buf[head_end..head_end + len].to_vec())));
            }
        }
        if buf.is_empty()
            && (stop.load(Ordering::SeqCst)
                || state.lock().unwrap().close_generation != generation
                || std::time::Instant::now() > deadline)
        {
            return Ok(None);
        }
        match tls.read(&mut chunk) {
            Ok(0) => return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed before a request")),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted
                ) =>
            {
                if std::time::Instant::now() > deadline + Duration::from_secs(10) {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

fn handle(sock: TcpStream, config: &Arc<ServerConfig>, state: &Mutex<State>, stop: &AtomicBool) {
    let _ = sock.set_nonblocking(false);
    let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
    let conn = match ServerConnection::new(config.clone()) {
        Ok(c) => c,
        Err(_) => return,
    };
    let mut tls = StreamOwned::new(conn, sock);
    let (head, body) = match read_request(&mut tls) {
        Ok(r) => r,
        Err(e) => {
            state.lock().unwrap().handshake_errors.push(e.to_string());
            return;
        }
    };
    let request_line = head.lines().next().unwrap_or("").to_string();
    let behaviour = {
        let mut s = state.lock().unwrap();
        s.requests.push(request_line.clone());
        s.behaviour.clone()
    };
    if let Behaviour::Slow(d) = &behaviour {
        // Sleep in small steps so dropping the server is not held up.
        let end = std::time::Instant::now() + *d;
        while std::time::Instant::now() < end && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let (status, extra, reply): (u16, &str, Vec<u8>) = match &behaviour {
        Behaviour::Status(code) => (*code, "", b"{}".to_vec()),
        Behaviour::Redirect => (302, "Location: https://127.0.0.1:1/elsewhere\r\n", Vec::new()),
        _ if request_line.starts_with("GET /api/v1/orders?") => (200, "", orders_reply(&behaviour, state)),
        _ if request_line.starts_with("POST /api/v1/evidence ") => evidence_reply(&body, &behaviour, state),
        _ => (404, "", b"{}".to_vec()),
    };
    let reason = match status {
        200 => "OK",
        302 => "Found",
        404 => "Not Found",
        _ => "Status",
    };
    let header = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
        reply.len()
    );
    let _ = tls.write_all(header.as_bytes());
    let _ = tls.write_all(&reply);
    let _ = tls.flush();
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

fn orders_reply(behaviour: &Behaviour, state: &Mutex<State>) -> Vec<u8> {
    match behaviour {
        Behaviour::Oversized => {
            let filler = format!("\"{}\"", "x".repeat(1 << 20));
            format!("[{filler}]").into_bytes()
        }
        Behaviour::Malformed => b"<html>not json</html>".to_vec(),
        Behaviour::TooMany(n) => format!("[{}]", vec!["{}"; *n].join(",")).into_bytes(),
        _ => {
            let s = state.lock().unwrap();
            let mut out = b"[".to_vec();
            for (i, o) in s.orders.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(o);
            }
            out.push(b']');
            out
        }
    }
}

fn evidence_reply(body: &[u8], behaviour: &Behaviour, state: &Mutex<State>) -> (u16, &'static str, Vec<u8>) {
    use compliance_agent::encoding::{base64_decode, sha256_hex};
    let Ok(serde_json::Value::Array(items)) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (400, "", b"{\"error\":\"body is not a JSON array\"}".to_vec());
    };
    let mut receipts = Vec::new();
    let mut s = state.lock().unwrap();
    for item in items {
        let id = item["bundle_id"].as_str().unwrap_or("").to_string();
        let (Some(b), Some(sig)) = (item["bundle"].as_str(), item["signature"].as_str()) else {
            return (400, "", b"{\"error\":\"item without bundle or signature\"}".to_vec());
        };
        let (Ok(bundle), Ok(signature)) = (base64_decode(b), base64_decode(sig)) else {
            return (400, "", b"{\"error\":\"bad base64\"}".to_vec());
        };
        let real_sha = sha256_hex(&bundle);
        let sha = if *behaviour == Behaviour::WrongReceipts { "0".repeat(64) } else { real_sha.clone() };
        let received_at = "2026-11-25T00:00:00Z";
        let mut receipt = serde_json::json!({"bundle_id": id, "sha256": sha, "received_at": received_at});
        // Signed for the appliance the bundle names (the client certificate
        // names it too).
        let v: serde_json::Value = serde_json::from_slice(&bundle).unwrap_or_default();
        let (site, appliance) = (v["site_id"].as_str().unwrap_or(""), v["appliance_id"].as_str().unwrap_or(""));
        let seed = if *behaviour == Behaviour::ForeignReceiptSignatures { [13u8; 32] } else { RECEIPT_SEED };
        if *behaviour != Behaviour::UnsignedReceipts {
            let key = compliance_agent::keys::SigningKey::from_seed(seed);
            receipt["keyid"] = RECEIPT_KEYID.into();
            receipt["signature"] =
                compliance_agent::evidence::receipts::sign(site, appliance, &id, &sha, received_at, &key).into();
        }
        receipts.push(receipt);
        s.deliveries.push(id.clone());
        // Idempotent: a re-sent bundle is stored once.
        if s.stored.insert((id.clone(), real_sha)) {
            s.evidence.push(Received { bundle_id: id, bundle, signature });
        }
    }
    (200, "", serde_json::json!({"receipts": receipts}).to_string().into_bytes())
}

/// Reads one HTTP/1.1 request: head text and body (Content-Length only).
/// One read, retried when interrupted: a read with a timeout (SO_RCVTIMEO)
/// fails with EINTR when the test process is stopped and continued (see
/// support::notify), which is not the client going away.
fn read_some(tls: &mut StreamOwned<ServerConnection, TcpStream>, chunk: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match tls.read(chunk) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn read_request(tls: &mut StreamOwned<ServerConnection, TcpStream>) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = read_some(tls, &mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed before a request"));
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > 64 * 1024 {
            return Err(std::io::Error::other("request head too large"));
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = read_some(tls, &mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok((head, body))
}
