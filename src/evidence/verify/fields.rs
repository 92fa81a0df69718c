//! The per-bundle hot path of `evidence verify`: the header fields read
//! from a bundle without copying them, the chain-link comparison without
//! formatting hex, and the unavoidable work (signature and hash) on its own
//! so the benchmark can set verify's rate beside it.
//!
//! Owns: [`raw_signature_and_hash`] and the borrowed header. Must never:
//! accept an upper-case or short `prev_sha256` as a match.

use crate::evidence::bundle::{Prune, Rotation};
use ed25519_compact::{PublicKey, Signature};
use std::borrow::Cow;

/// The header fields verification reads, borrowed from the bundle bytes
/// where JSON escaping allows (no allocation per bundle for them).
#[derive(serde::Deserialize)]
pub(super) struct Fields<'a> {
    #[serde(borrow)]
    pub(super) schema: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) bundle_id: Cow<'a, str>,
    pub(super) seq: u64,
    #[serde(borrow)]
    pub(super) prev_sha256: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) kind: Cow<'a, str>,
    #[serde(default)]
    pub(super) prune: Option<Prune>,
    #[serde(default, borrow)]
    pub(super) site_id: Cow<'a, str>,
    #[serde(default, borrow)]
    pub(super) appliance_id: Cow<'a, str>,
    #[serde(default, borrow)]
    pub(super) started_at: Cow<'a, str>,
    #[serde(default, borrow)]
    pub(super) finished_at: Cow<'a, str>,
    #[serde(default)]
    pub(super) rotation: Option<Rotation>,
}

/// True when `text` is the lowercase hex of `hash` (what the agent writes).
pub(super) fn is_hex_of(text: &str, hash: &[u8; 32]) -> bool {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let t = text.as_bytes();
    t.len() == 64
        && hash
            .iter()
            .zip(t.chunks_exact(2))
            .all(|(b, pair)| pair[0] == DIGITS[usize::from(b >> 4)] && pair[1] == DIGITS[usize::from(b & 15)])
}

/// The work `evidence verify` cannot avoid for one bundle, and nothing
/// else: the Ed25519 signature check and the SHA-256 of the bytes (the
/// chain link). `cargo bench` measures its rate beside [`verify_db`]'s.
pub fn raw_signature_and_hash(key: &PublicKey, bytes: &[u8], signature: &[u8]) -> (bool, [u8; 32]) {
    let ok = Signature::from_slice(signature).is_ok_and(|s| key.verify(bytes, &s).is_ok());
    (ok, crate::encoding::sha256(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_comparison_is_exact_and_lowercase() {
        let h = crate::encoding::sha256(b"abc");
        let hex = crate::encoding::hex(&h);
        assert!(is_hex_of(&hex, &h));
        assert!(!is_hex_of(&hex.to_uppercase(), &h));
        assert!(!is_hex_of(&hex[..63], &h));
        assert!(!is_hex_of(&format!("{hex}0"), &h));
        let mut other = hex.into_bytes();
        other[63] = if other[63] == b'0' { b'1' } else { b'0' };
        assert!(!is_hex_of(std::str::from_utf8(&other).unwrap(), &h));
    }

    #[test]
    fn raw_check_is_signature_and_hash() {
        let key = crate::keys::SigningKey::from_seed([3; 32]);
        let sig = key.sign(b"bundle");
        let pk = key.public();
        assert_eq!(raw_signature_and_hash(&pk, b"bundle", &sig), (true, crate::encoding::sha256(b"bundle")));
        assert!(!raw_signature_and_hash(&pk, b"bundlf", &sig).0);
        assert!(!raw_signature_and_hash(&pk, b"bundle", &[0; 63]).0);
    }
}
