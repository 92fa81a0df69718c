//! The DSSE envelope format (in-toto's Dead Simple Signing Envelope) and its
//! pre-authentication encoding (PAE).

use crate::encoding::base64_encode;
use serde::Deserialize;

/// The only payload type the agent accepts.
pub const PAYLOAD_TYPE: &str = "application/vnd.compliance-agent.order+json";
/// More signatures than this on one envelope is malformed (bounds the work
/// an envelope can cause).
pub const MAX_SIGNATURES: usize = 8;

/// An envelope as it arrives (fields still untrusted).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Must be [`PAYLOAD_TYPE`].
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Standard base64 of the payload bytes.
    pub payload: String,
    /// One or more signatures over PAE(payloadType, payload).
    pub signatures: Vec<Signature>,
}

/// One signature entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Which configured key made it.
    pub keyid: String,
    /// Standard base64 of the 64-byte Ed25519 signature.
    pub sig: String,
}

/// `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths in ASCII
/// decimal bytes.
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload_type.len() + body.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(body);
    out
}

/// Builds a signed envelope (what the MCP does). The agent itself never
/// signs orders; this is the reference for server implementers
/// (docs/protocol.md) and for the test MCP.
pub fn sign(payload: &[u8], signers: &[(&str, &crate::keys::SigningKey)]) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        #[serde(rename = "payloadType")]
        payload_type: &'a str,
        payload: String,
        signatures: Vec<Sig<'a>>,
    }
    #[derive(serde::Serialize)]
    struct Sig<'a> {
        keyid: &'a str,
        sig: String,
    }
    let message = pae(PAYLOAD_TYPE, payload);
    let signatures =
        signers.iter().map(|(keyid, key)| Sig { keyid, sig: base64_encode(&key.sign(&message)) }).collect();
    let out = Out { payload_type: PAYLOAD_TYPE, payload: base64_encode(payload), signatures };
    // Serialising plain strings into a Vec cannot fail.
    serde_json::to_vec(&out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec_example() {
        // From the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }
}
