//! The `mcp` section: where evidence and orders come from and go to, and
//! which keys may sign an order.
//!
//! Owns: [`McpConfig`] and [`OrderKey`] and their validation: an https base
//! URL with a host and nothing that could redirect the request elsewhere
//! (user info, query, fragment), absolute certificate paths, at least one
//! order key, each a distinct `keyid` and a valid Ed25519 public key; and
//! the optional receipt keys, read the same way.
//! Must never: open the certificate or key files (the MCP client does, when
//! it starts) or touch the network.

use super::reader::{Obj, Read};
use crate::encoding::base64_decode;
use std::path::PathBuf;

/// One trusted order-signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKey {
    /// The DSSE `keyid` it is published under.
    pub keyid: String,
    /// Raw Ed25519 public key.
    pub public_key: [u8; 32],
}

/// A key the MCP signs evidence receipts with (the same shape as an order
/// key: `keyid` and raw base64 public key).
pub type ReceiptKey = OrderKey;

/// Where evidence and orders come from and go to.
#[derive(Debug, Clone)]
pub struct McpConfig {
    /// `https://host[:port][/prefix]`, without a trailing slash.
    pub base_url: String,
    /// The only CA the server certificate may chain to.
    pub ca_file: PathBuf,
    /// Our client certificate (PEM chain).
    pub client_cert_file: PathBuf,
    /// Our client key (PEM).
    pub client_key_file: PathBuf,
    /// Keys whose signatures make an order valid.
    pub order_keys: Vec<OrderKey>,
    /// Keys whose signature makes an evidence receipt count; empty: receipts
    /// are not signed (docs/protocol.md).
    pub receipt_keys: Vec<ReceiptKey>,
    /// TCP+TLS connect limit.
    pub connect_timeout_secs: u64,
    /// Whole-request limit.
    pub request_timeout_secs: u64,
    /// A client certificate or CA expiring within this many days raises an
    /// alert (and `config check` warns).
    pub cert_expiry_warn_days: u64,
}

/// Reads `mcp`, which is required.
pub(super) fn read(root: &Obj<'_>) -> Read<McpConfig> {
    root.obj("mcp")?.read_then_finish(|m| {
        let base_url = m.str("base_url").and_then(|url| m.check("base_url", validate_base_url(&url).map(|()| url)));
        let order_keys = order_keys(m);
        let receipt_keys = if m.opt_array_given("receipt_keys") { key_list(m, "receipt_keys") } else { Ok(Vec::new()) };
        let ca_file = m.abs_path("ca_file");
        let client_cert_file = m.abs_path("client_cert_file");
        let client_key_file = m.abs_path("client_key_file");
        let connect_timeout_secs = m.positive_or("connect_timeout_secs", 10);
        let request_timeout_secs = m.positive_or("request_timeout_secs", 30);
        let cert_expiry_warn_days = m.positive_or("cert_expiry_warn_days", 30);
        Ok(McpConfig {
            base_url: base_url?.trim_end_matches('/').to_string(),
            ca_file: ca_file?,
            client_cert_file: client_cert_file?,
            client_key_file: client_key_file?,
            order_keys: order_keys?,
            receipt_keys: receipt_keys?,
            connect_timeout_secs: connect_timeout_secs?,
            request_timeout_secs: request_timeout_secs?,
            cert_expiry_warn_days: cert_expiry_warn_days?,
        })
    })
}

/// `mcp.order_keys`: at least one (see [`key_list`]).
fn order_keys(m: &Obj<'_>) -> Read<Vec<OrderKey>> {
    if m.array("order_keys")?.is_empty() {
        return Err(m.fail("order_keys", "at least one order key is required".to_string()));
    }
    key_list(m, "order_keys")
}

/// A list of `{keyid, public_key}`: every element is read, and a `keyid` is
/// a duplicate when an earlier element has the same valid one.
fn key_list(m: &Obj<'_>, name: &str) -> Read<Vec<OrderKey>> {
    let keys = m.array(name)?;
    let mut keyids: Vec<String> = Vec::with_capacity(keys.len());
    let read: Vec<Read<OrderKey>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            m.child(&format!("{name}[{i}]"), k)?.read_then_finish(|k| {
                let keyid = k.str("keyid").and_then(|keyid| {
                    if keyid.is_empty() || keyid.len() > 128 || keyid.chars().any(|c| c.is_control()) {
                        return Err(k.fail("keyid", "must be 1-128 printable characters".to_string()));
                    }
                    if keyids.contains(&keyid) {
                        return Err(k.fail("keyid", format!("{keyid:?} appears twice")));
                    }
                    keyids.push(keyid.clone());
                    Ok(keyid)
                });
                let public_key = k.str("public_key").and_then(|b64| k.check("public_key", public_key(&b64)));
                Ok(OrderKey { keyid: keyid?, public_key: public_key? })
            })
        })
        .collect();
    read.into_iter().collect()
}

/// Standard base64 of a valid 32-byte Ed25519 public key.
fn public_key(b64: &str) -> Result<[u8; 32], String> {
    let raw = base64_decode(b64).map_err(|e| format!("{e}"))?;
    let key: [u8; 32] = raw
        .as_slice()
        .try_into()
        .map_err(|_| format!("decodes to {} bytes; an Ed25519 public key is 32", raw.len()))?;
    ed25519_compact::PublicKey::from_slice(&key).map_err(|e| e.to_string())?;
    Ok(key)
}

/// `https://host[:port][/path]` with no user info, query or fragment.
fn validate_base_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("https://").ok_or_else(|| format!("{url:?} must start with https://"))?;
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    if url.contains(['?', '#', '@', ' ', '\\']) || url.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(format!("{url:?} may not contain user info, a query, a fragment, spaces or non-ASCII"));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, Some(p)),
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    if let Some(p) = port {
        if p.parse::<u16>().ok().filter(|p| *p > 0).is_none() {
            return Err(format!("{url:?} has an invalid port {p:?}"));
        }
    }
    Ok(())
}
