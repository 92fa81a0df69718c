//! The MCP client (docs/protocol.md): mutual TLS with a pinned CA, two requests.
//!
//! Owns: the HTTPS agent (ureq on rustls with the ring provider), reading
//! the CA, client certificate and key, `GET /api/v1/orders` and
//! `POST /api/v1/evidence`, and classifying every failure (dns, connect,
//! tls, timeout, http status, body too large, malformed). One connection
//! is kept between requests ([`MAX_CONNECTION_REUSE`], docs/protocol.md
//! "Connection reuse").
//! Must never: trust a root that is not the configured CA, follow a
//! redirect, use a proxy from the environment, read an unbounded body,
//! spawn a thread (name resolution is done inline; see [`InlineResolver`]),
//! keep using a connection or session after its TLS files changed, or
//! probe over a kept connection.

use crate::config::McpConfig;
use crate::validate::escaped;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::cell::RefCell;
use std::fmt;
use std::net::ToSocketAddrs;
use std::time::{Duration, Instant};
use tls::{tls_config, tls_files, ureq_agent, FileId};
use ureq::tls::TlsConfig;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

mod tls;

/// Largest orders response read.
pub const MAX_ORDERS_BYTES: u64 = 1 << 20;
/// Most envelopes in one orders response.
pub const MAX_ENVELOPES: usize = 64;
/// Largest evidence receipt response read.
pub const MAX_RECEIPTS_BYTES: u64 = 1 << 20;

/// Why talking to the MCP failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum McpError {
    /// The host name did not resolve.
    Dns(String),
    /// TCP connection refused, reset or unreachable.
    Connect(String),
    /// TLS handshake or certificate verification failed.
    Tls(String),
    /// A connect or request deadline passed.
    Timeout(String),
    /// The server answered with a non-200 status.
    Status(u16),
    /// The body exceeded its cap.
    TooLarge(u64),
    /// The reply was not what the protocol says.
    Malformed(String),
}

impl McpError {
    /// The failure class, as logs and evidence `detail` name it.
    pub fn class(&self) -> &'static str {
        match self {
            McpError::Dns(_) => "dns",
            McpError::Connect(_) => "connect",
            McpError::Tls(_) => "tls",
            McpError::Timeout(_) => "timeout",
            McpError::Status(_) => "http_status",
            McpError::TooLarge(_) => "body_too_large",
            McpError::Malformed(_) => "malformed",
        }
    }

    /// The evidence `reason`: `mcp_unreachable` when no answer came back
    /// (dns, connect, timeout), `mcp_tls` for TLS failures, `mcp_bad_reply`
    /// when the server answered wrongly.
    pub fn reason(&self) -> &'static str {
        match self {
            McpError::Dns(_) | McpError::Connect(_) | McpError::Timeout(_) => "mcp_unreachable",
            McpError::Tls(_) => "mcp_tls",
            McpError::Status(_) | McpError::TooLarge(_) | McpError::Malformed(_) => "mcp_bad_reply",
        }
    }
}

impl fmt::Display for McpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            McpError::Dns(m) | McpError::Connect(m) | McpError::Tls(m) | McpError::Timeout(m) => f.write_str(m),
            McpError::Status(s) => write!(f, "http status {s}"),
            McpError::TooLarge(n) => write!(f, "body larger than {n} bytes"),
            McpError::Malformed(m) => write!(f, "malformed reply: {m}"),
        }
    }
}

impl std::error::Error for McpError {}

/// Why the client could not be built (a configuration problem: exit 78).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError {
    /// The config key (`mcp.ca_file` …).
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// One bundle as posted (an item of `POST /api/v1/evidence`, docs/protocol.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvidenceItem {
    /// The bundle's id.
    pub bundle_id: String,
    /// Standard base64 of the exact bundle bytes.
    pub bundle: String,
    /// Standard base64 of the 64-byte signature.
    pub signature: String,
}

/// The server's acknowledgement of one bundle.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Receipt {
    /// Which bundle.
    pub bundle_id: String,
    /// Hex SHA-256 of the bundle bytes as the server received them.
    pub sha256: String,
    /// RFC 3339 time of receipt.
    pub received_at: String,
    /// The receipt key that signed it (`mcp.receipt_keys[].keyid`), if signed.
    #[serde(default)]
    pub keyid: Option<String>,
    /// Base64 Ed25519 signature over the receipt encoding
    /// (`evidence::receipts`), if signed.
    #[serde(default)]
    pub signature: Option<String>,
}

#[derive(Deserialize)]
struct ReceiptsReply {
    receipts: Vec<Receipt>,
}

/// The HTTP side of the MCP, behind a trait so the agent loop can be tested
/// with a fake and integration tests use the real client against the test
/// server.
pub trait Transport {
    /// The raw bytes of each envelope in the order list.
    fn fetch_orders(&self) -> Result<Vec<Vec<u8>>, McpError>;
    /// Posts bundles; returns the receipts.
    fn post_evidence(&self, items: &[EvidenceItem]) -> Result<Vec<Receipt>, McpError>;
    /// Posts a request body already encoded as the JSON array of items
    /// (`evidence::flush::request_body`); returns the receipts. The real
    /// client sends it as it is; the default decodes it for
    /// [`Transport::post_evidence`].
    fn post_evidence_body(&self, body: &[u8]) -> Result<Vec<Receipt>, McpError> {
        let items: Vec<EvidenceItem> =
            serde_json::from_slice(body).map_err(|e| McpError::Malformed(format!("cannot decode request: {e}")))?;
        self.post_evidence(&items)
    }
    /// Checks that the MCP answers on a fresh connection (health checks
    /// after a firewall change or a rebuild).
    fn probe(&self) -> Result<(), McpError> {
        self.fetch_orders().map(|_| ())
    }
}

/// How long one set of TLS connections (and the TLS session tickets the
/// client keeps) is reused before the client reads its TLS material again
/// and makes a full handshake: the longest a connection goes on trusting a
/// server certificate that has meanwhile expired or a CA that was replaced.
/// See docs/protocol.md, "Connection reuse".
pub const MAX_CONNECTION_REUSE: Duration = Duration::from_secs(600);

/// The real client.
#[derive(Debug)]
pub struct McpClient {
    cfg: McpConfig,
    /// The pooled agent with the TLS material it was built from.
    current: RefCell<Pooled>,
    orders_url: String,
    evidence_url: String,
    site_id: String,
    appliance_id: String,
}

/// One generation of TLS material and the agent that keeps connections
/// made with it.
#[derive(Debug)]
struct Pooled {
    /// Keeps at most one idle connection (keep-alive) for
    /// [`MAX_CONNECTION_REUSE`].
    agent: ureq::Agent,
    /// What the agent was built from, for a fresh agent (probes).
    tls: TlsConfig,
    built: Instant,
    files: [Option<FileId>; 3],
}

impl McpClient {
    /// Builds the client: reads the CA, the client certificate chain and
    /// key. Any problem names the config key.
    pub fn new(cfg: &McpConfig, site_id: &str, appliance_id: &str) -> Result<McpClient, SetupError> {
        let current = Pooled::build(cfg)?;
        Ok(McpClient {
            cfg: cfg.clone(),
            current: RefCell::new(current),
            orders_url: format!("{}/api/v1/orders", cfg.base_url),
            evidence_url: format!("{}/api/v1/evidence", cfg.base_url),
            site_id: site_id.to_string(),
            appliance_id: appliance_id.to_string(),
        })
    }

    /// The pooled agent, rebuilt from the files first when one of the CA,
    /// client certificate or key file was replaced or changed (a rotation)
    /// or when [`MAX_CONNECTION_REUSE`] has passed. Dropping the old agent
    /// closes its connections and forgets its session tickets, so the next
    /// request makes a full handshake with the new material.
    fn agent(&self) -> Result<ureq::Agent, McpError> {
        let files = tls_files(&self.cfg);
        let mut current = self.current.borrow_mut();
        if current.files != files || current.built.elapsed() >= MAX_CONNECTION_REUSE {
            match Pooled::build(&self.cfg) {
                Ok(next) => {
                    if current.files != files {
                        log::info!("mcp: the TLS material changed; new connections use it");
                    }
                    *current = next;
                }
                Err(e) => {
                    // Never go on with material that was replaced: the old
                    // CA or certificate may be the reason for the rotation.
                    return Err(McpError::Tls(format!("cannot use the new TLS material: {e}")));
                }
            }
        }
        Ok(current.agent.clone())
    }

    /// Sends a request; when it fails because the server had closed the
    /// reused connection (end of file, reset or broken pipe before an
    /// answer), sends it once more, which takes a new connection, within
    /// what is left of the request time limit. Both requests are idempotent
    /// (docs/protocol.md: a re-sent bundle gets the same receipt).
    fn send<T>(
        &self,
        mut call: impl FnMut(&ureq::Agent, Option<Duration>) -> Result<T, ureq::Error>,
    ) -> Result<T, McpError> {
        let whole = Duration::from_secs(self.cfg.request_timeout_secs);
        let started = Instant::now();
        let agent = self.agent()?;
        // The first attempt runs with the agent's own limits: a request-level
        // configuration would make ureq build a new rustls configuration,
        // without the agent's session cache.
        match call(&agent, None) {
            Err(e) if closed_under_us(&e) => {
                let left = whole.saturating_sub(started.elapsed());
                if left.is_zero() {
                    return Err(classify(e));
                }
                log::debug!("mcp: the server closed the kept connection ({e}); trying once on a new one");
                call(&agent, Some(left)).map_err(classify)
            }
            other => other.map_err(classify),
        }
    }
}

impl Pooled {
    fn build(cfg: &McpConfig) -> Result<Pooled, SetupError> {
        // Identity first: a file replaced while it is read is read again
        // at the next request.
        let files = tls_files(cfg);
        let tls = tls_config(cfg)?;
        let agent = ureq_agent(cfg, &tls, 1);
        Ok(Pooled { agent, tls, built: Instant::now(), files })
    }
}

/// The request failed because the server closed a connection it had kept
/// (it timed out its idle connection just as we sent): the connection, not
/// the server, is gone. A refused or timed-out connect is not this.
fn closed_under_us(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as K;
    match e {
        ureq::Error::Io(io) => {
            io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()).is_none()
                && matches!(io.kind(), K::UnexpectedEof | K::ConnectionReset | K::BrokenPipe | K::ConnectionAborted)
        }
        _ => false,
    }
}

impl Transport for McpClient {
    fn fetch_orders(&self) -> Result<Vec<Vec<u8>>, McpError> {
        let body = self.send(|agent, limit| {
            let mut req = agent
                .get(&self.orders_url)
                .query("site_id", &self.site_id)
                .query("appliance_id", &self.appliance_id)
                .header("Accept", "application/json");
            if let Some(limit) = limit {
                req = req.config().timeout_global(Some(limit)).build();
            }
            let mut resp = req.call()?;
            let status = resp.status().as_u16();
            if status != 200 {
                return Ok(Err(McpError::Status(status)));
            }
            resp.body_mut().with_config().limit(MAX_ORDERS_BYTES).read_to_vec().map(Ok)
        })??;
        parse_orders(&body)
    }

    /// A new agent each time, without a pool and without session tickets:
    /// a new TCP connection and a full handshake, which is what proves a
    /// changed firewall still lets the MCP be reached.
    fn probe(&self) -> Result<(), McpError> {
        let tls = self.agent().map(|_| self.current.borrow().tls.clone())?;
        let fresh = ureq_agent(&self.cfg, &tls, 0);
        let mut resp = fresh
            .get(&self.orders_url)
            .query("site_id", &self.site_id)
            .query("appliance_id", &self.appliance_id)
            .call()
            .map_err(classify)?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(McpError::Status(status));
        }
        resp.body_mut().with_config().limit(MAX_ORDERS_BYTES).read_to_vec().map_err(classify)?;
        Ok(())
    }

    fn post_evidence(&self, items: &[EvidenceItem]) -> Result<Vec<Receipt>, McpError> {
        let body = serde_json::to_vec(items).map_err(|e| McpError::Malformed(format!("cannot encode request: {e}")))?;
        self.post_evidence_body(&body)
    }

    fn post_evidence_body(&self, body: &[u8]) -> Result<Vec<Receipt>, McpError> {
        let reply = self.send(|agent, limit| {
            let mut req = agent
                .post(&self.evidence_url)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json");
            if let Some(limit) = limit {
                req = req.config().timeout_global(Some(limit)).build();
            }
            let mut resp = req.send(body)?;
            let status = resp.status().as_u16();
            if status != 200 {
                return Ok(Err(McpError::Status(status)));
            }
            resp.body_mut().with_config().limit(MAX_RECEIPTS_BYTES).read_to_vec().map(Ok)
        })??;
        parse_receipts(&reply)
    }
}

/// Parses an evidence reply (`{"receipts": [...]}`) into its receipts; which
/// of them count is `evidence::receipts`' decision.
pub fn parse_receipts(reply: &[u8]) -> Result<Vec<Receipt>, McpError> {
    let parsed: ReceiptsReply = serde_json::from_slice(reply)
        .map_err(|e| McpError::Malformed(format!("receipts: {}", escaped(&e.to_string()))))?;
    Ok(parsed.receipts)
}

/// Splits an orders reply into the exact bytes of each envelope (so the
/// envelope hash is over what the server sent, not a re-serialisation).
pub fn parse_orders(body: &[u8]) -> Result<Vec<Vec<u8>>, McpError> {
    let list: Limited = serde_json::from_slice(body)
        .map_err(|e| McpError::Malformed(format!("orders reply refused: {}", escaped(&e.to_string()))))?;
    Ok(list.0.into_iter().map(|raw| raw.get().as_bytes().to_vec()).collect())
}

/// A JSON array of at most [`MAX_ENVELOPES`] raw values; parsing stops at
/// the first element too many (a 1 MiB `[1,1,1,…]` never becomes half a
/// million allocations).
struct Limited(Vec<Box<RawValue>>);

impl<'de> Deserialize<'de> for Limited {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Limited;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a JSON array of at most {MAX_ENVELOPES} envelopes")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Limited, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Box<RawValue>>()? {
                    if out.len() == MAX_ENVELOPES {
                        return Err(serde::de::Error::custom(format!(
                            "more than {MAX_ENVELOPES} envelopes in one reply"
                        )));
                    }
                    out.push(item);
                }
                Ok(Limited(out))
            }
        }
        d.deserialize_seq(V)
    }
}

fn classify(e: ureq::Error) -> McpError {
    use std::error::Error as _;
    match e {
        ureq::Error::HostNotFound => McpError::Dns("host name did not resolve".into()),
        ureq::Error::Timeout(t) => McpError::Timeout(format!("{t:?} deadline passed")),
        ureq::Error::StatusCode(s) => McpError::Status(s),
        ureq::Error::BodyExceedsLimit(n) => McpError::TooLarge(n),
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => {
            McpError::Malformed("the server redirected; redirects are not followed".into())
        }
        ureq::Error::Tls(m) => McpError::Tls(m.to_string()),
        ureq::Error::Rustls(r) => McpError::Tls(r.to_string()),
        ureq::Error::Io(io) => {
            use std::io::ErrorKind as K;
            if let Some(inner) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return McpError::Tls(inner.to_string());
            }
            match io.kind() {
                K::TimedOut | K::WouldBlock => McpError::Timeout(io.to_string()),
                K::ConnectionRefused
                | K::ConnectionReset
                | K::ConnectionAborted
                | K::NotConnected
                | K::AddrNotAvailable => McpError::Connect(io.to_string()),
                K::UnexpectedEof | K::BrokenPipe => McpError::Connect(format!("connection closed: {io}")),
                _ => {
                    let text = io.to_string();
                    let source = io.source().map(|s| s.to_string()).unwrap_or_default();
                    if text.contains("tls") || text.contains("certificate") || source.contains("certificate") {
                        McpError::Tls(text)
                    } else {
                        McpError::Connect(text)
                    }
                }
            }
        }
        ureq::Error::ConnectionFailed => McpError::Connect("connection failed".into()),
        ureq::Error::Protocol(p) => McpError::Malformed(format!("HTTP protocol: {p}")),
        other => McpError::Malformed(other.to_string()),
    }
}

/// Resolves names on the calling thread with the system resolver
/// (`getaddrinfo`), bounded by resolv.conf's own timeouts. ureq's default
/// resolver would spawn a thread to enforce its timeout; the agent is
/// single-threaded by design, and a slow lookup only delays this cycle.
#[derive(Debug)]
pub struct InlineResolver;

impl Resolver for InlineResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().ok_or(ureq::Error::HostNotFound)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(443);
        let addrs = (host, port).to_socket_addrs().map_err(|_| ureq::Error::HostNotFound)?;
        let mut out = self.empty();
        // ResolvedSocketAddrs holds 16; keep at most that many.
        for a in addrs.take(16) {
            out.push(a);
        }
        if out.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_reply_keeps_exact_envelope_bytes() {
        let body = br#"[ {"a": 1,  "b":[2]} , {"c":"d"} ]"#;
        let list = parse_orders(body).unwrap();
        assert_eq!(list, vec![br#"{"a": 1,  "b":[2]}"#.to_vec(), br#"{"c":"d"}"#.to_vec()]);
        assert_eq!(parse_orders(b"[]").unwrap().len(), 0);
    }

    #[test]
    fn bad_orders_replies() {
        for bad in [&b"{}"[..], b"", b"[1,", b"null", b"<html>"] {
            assert!(matches!(parse_orders(bad), Err(McpError::Malformed(_))), "{bad:?}");
        }
        let many = format!("[{}]", vec!["{}"; 65].join(","));
        assert!(
            matches!(parse_orders(many.as_bytes()), Err(McpError::Malformed(m)) if m.contains("more than 64 envelopes"))
        );
        let exactly = format!("[{}]", vec!["{}"; 64].join(","));
        assert_eq!(parse_orders(exactly.as_bytes()).unwrap().len(), 64);
        // A reply that is one huge string is reported escaped and cut, not
        // copied whole into the alert.
        let huge = format!("\"\\u0000{}\"", "x".repeat(100_000));
        let Err(McpError::Malformed(m)) = parse_orders(huge.as_bytes()) else { panic!() };
        assert!(m.len() < 200 && m.ends_with('…') && !m.contains('\0'), "{m}");
        // Elements need not be objects to be split; verification refuses them.
        assert_eq!(parse_orders(b"[1, \"x\"]").unwrap().len(), 2);
    }

    #[test]
    fn reasons() {
        assert_eq!(McpError::Dns("x".into()).reason(), "mcp_unreachable");
        assert_eq!(McpError::Tls("x".into()).reason(), "mcp_tls");
        assert_eq!(McpError::Status(500).reason(), "mcp_bad_reply");
        assert_eq!(McpError::TooLarge(1).class(), "body_too_large");
    }
}
