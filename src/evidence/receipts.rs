//! Signed evidence receipts (docs/protocol.md, "Receipt signatures").
//!
//! With `mcp.receipt_keys` configured, a receipt counts only when it
//! carries an Ed25519 signature, by one of those keys, over its receipt
//! encoding: whoever holds the MCP's TLS identity alone can then no longer
//! acknowledge bundles the MCP never stored (after which the agent would
//! prune them). Without receipt keys, receipts are unsigned as before.
//!
//! Must never: count a receipt whose signature is missing, by an unknown
//! key, or does not verify, while receipt keys are configured.

use crate::config::ReceiptKey;
use crate::encoding::{base64_decode, base64_encode};
use crate::keys::SigningKey;
use crate::mcp::Receipt;
use ed25519_compact::{PublicKey, Signature};

/// The first line of the receipt encoding.
pub const RECEIPT_CONTEXT: &str = "compliance-agent/receipt/v1";

/// The bytes a receipt signature covers: six lines joined by `\n` (no
/// trailing newline) — [`RECEIPT_CONTEXT`], `site_id`, `appliance_id`,
/// `bundle_id`, `sha256` (lowercase hex) and `received_at` exactly as the
/// receipt carries it. Only the last line is free text, so the split is
/// unambiguous.
pub fn encoding(site_id: &str, appliance_id: &str, bundle_id: &str, sha256: &str, received_at: &str) -> Vec<u8> {
    [RECEIPT_CONTEXT, site_id, appliance_id, bundle_id, &sha256.to_ascii_lowercase(), received_at]
        .join("\n")
        .into_bytes()
}

/// The `signature` value for a receipt (base64 of the raw Ed25519
/// signature over [`encoding`]): what an MCP computes.
pub fn sign(
    site_id: &str,
    appliance_id: &str,
    bundle_id: &str,
    sha256: &str,
    received_at: &str,
    key: &SigningKey,
) -> String {
    base64_encode(&key.sign(&encoding(site_id, appliance_id, bundle_id, sha256, received_at)))
}

/// Which receipts count.
#[derive(Debug, Clone, Default)]
pub struct ReceiptCheck {
    /// Trusted receipt keys; empty: receipts need no signature.
    pub keys: Vec<ReceiptKey>,
    /// This appliance's site.
    pub site_id: String,
    /// This appliance.
    pub appliance_id: String,
}

impl ReceiptCheck {
    /// Whether receipts must be signed.
    pub fn required(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Ok when `r` counts; otherwise why not (for logs and the alert).
    pub fn verify(&self, r: &Receipt) -> Result<(), String> {
        if !self.required() {
            return Ok(());
        }
        let (Some(keyid), Some(sig)) = (r.keyid.as_deref(), r.signature.as_deref()) else {
            return Err("unsigned".to_string());
        };
        let Some(key) = self.keys.iter().find(|k| k.keyid == keyid) else {
            return Err(format!("signed by unknown key id {}", crate::validate::escaped(keyid)));
        };
        let sig = base64_decode(sig)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok())
            .ok_or_else(|| "signature is not base64 of 64 bytes".to_string())?;
        let pk = PublicKey::from_slice(&key.public_key).map_err(|e| e.to_string())?;
        let msg = encoding(&self.site_id, &self.appliance_id, &r.bundle_id, &r.sha256, &r.received_at);
        pk.verify(&msg, &sig).map_err(|_| format!("signature by {keyid} does not verify"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(keyid: Option<&str>, signature: Option<String>) -> Receipt {
        Receipt {
            bundle_id: "b1".into(),
            sha256: "ab".repeat(32),
            received_at: "2026-11-25T00:00:00Z".into(),
            keyid: keyid.map(str::to_string),
            signature,
        }
    }

    #[test]
    fn signed_receipts_count_and_others_do_not() {
        let key = SigningKey::from_seed([4; 32]);
        let check = ReceiptCheck {
            keys: vec![ReceiptKey { keyid: "r1".into(), public_key: *key.public() }],
            site_id: "s".into(),
            appliance_id: "a".into(),
        };
        let good = sign("s", "a", "b1", &"ab".repeat(32), "2026-11-25T00:00:00Z", &key);
        assert_eq!(check.verify(&receipt(Some("r1"), Some(good.clone()))), Ok(()));
        assert_eq!(check.verify(&receipt(None, None)), Err("unsigned".into()));
        assert!(check.verify(&receipt(Some("r2"), Some(good.clone()))).unwrap_err().contains("unknown key id"));
        let other = sign("s", "a", "b1", &"ab".repeat(32), "2026-11-25T00:00:00Z", &SigningKey::from_seed([5; 32]));
        assert!(check.verify(&receipt(Some("r1"), Some(other))).unwrap_err().contains("does not verify"));
        // Another appliance's receipt for the same bytes does not count.
        let elsewhere = sign("s", "x", "b1", &"ab".repeat(32), "2026-11-25T00:00:00Z", &key);
        assert!(check.verify(&receipt(Some("r1"), Some(elsewhere))).is_err());
        assert!(check.verify(&receipt(Some("r1"), Some("!!".into()))).is_err());
        // No receipt keys: anything counts (as before receipts were signed).
        assert_eq!(ReceiptCheck::default().verify(&receipt(None, None)), Ok(()));
        assert_eq!(encoding("s", "a", "b1", "AB", "t"), b"compliance-agent/receipt/v1\ns\na\nb1\nab\nt".to_vec());
    }
}
