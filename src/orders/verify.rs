//! Envelope verification: a pure function from (bytes, policy, now) to a
//! [`Verdict`]. Easy to fuzz; knows nothing of the network or the store.
//!
//! Order of checks, each refusal with its reason (docs/protocol.md, "What
//! the agent does with each envelope"):
//! 1. envelope JSON shape, payload type, strict base64     → `malformed`
//! 2. a signature by a configured key id                   → `unknown_key`
//! 3. one of those signatures verifies over PAE            → `bad_signature`
//!    (only now is the payload parsed at all)
//! 4. payload JSON shape                                   → `malformed`
//! 5. `site_id` (and `appliance_id` if present) are ours   → `wrong_site`
//! 6. `issued_at` not beyond `max_clock_skew_secs` ahead   → `future_dated`
//! 7. `ttl_secs` ≤ `max_order_ttl_secs`                    → `ttl_too_long`
//! 8. not past `issued_at + ttl_secs`                      → outcome `expired`
//! 9. action on the allowlist                              → `unknown_action`
//! 10. parameters valid                                    → `invalid_params`
//!
//! Replay (`same order_id, different bytes`) needs history and is decided by
//! `orders::intake` after this function accepts.

use super::action::{Action, ActionError, ActionPolicy};
use super::dsse::{pae, Envelope, MAX_SIGNATURES, PAYLOAD_TYPE};
use crate::config::{Config, OrderKey};
use crate::encoding::{base64_decode, sha256_hex};
use crate::validate::{escaped, quoted};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;

/// Why an envelope was refused (the evidence `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Not a well-formed envelope or payload.
    Malformed,
    /// A signature by a known key did not verify.
    BadSignature,
    /// No signature is by a configured key.
    UnknownKey,
    /// For another site or appliance.
    WrongSite,
    /// Issued too far in the future.
    FutureDated,
    /// TTL above the configured maximum.
    TtlTooLong,
    /// Same order id seen before with different bytes.
    Replay,
    /// Not on the allowlist.
    UnknownAction,
    /// Parameters not acceptable.
    InvalidParams,
    /// Past its TTL (outcome `expired`, not `rejected`).
    TtlElapsed,
}

impl Reason {
    /// The evidence spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::BadSignature => "bad_signature",
            Reason::UnknownKey => "unknown_key",
            Reason::WrongSite => "wrong_site",
            Reason::FutureDated => "future_dated",
            Reason::TtlTooLong => "ttl_too_long",
            Reason::Replay => "replay",
            Reason::UnknownAction => "unknown_action",
            Reason::InvalidParams => "invalid_params",
            Reason::TtlElapsed => "ttl_elapsed",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused envelope, as evidence describes it. The order fields are
/// filled only once the signature verified; nothing else of the envelope's
/// bytes is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Why.
    pub reason: Reason,
    /// Hex SHA-256 of the envelope bytes.
    pub envelope_sha256: String,
    /// The verified order id, if the signature verified.
    pub order_id: Option<String>,
    /// The key that verified, if any.
    pub keyid: Option<String>,
    /// The verified action name (possibly not on the allowlist, so shown
    /// through [`escaped`]: cut to 64 characters, controls escaped).
    pub action: Option<String>,
    /// Order expiry (Unix seconds), if the signature verified.
    pub expires_at: Option<i64>,
    /// A short human explanation (never raw payload bytes: any value from
    /// the envelope or payload in it went through [`escaped`] or [`quoted`]).
    pub detail: String,
}

/// An accepted order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The MCP's id for it.
    pub order_id: String,
    /// The key whose signature verified.
    pub keyid: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// `issued_at + ttl_secs`.
    pub expires_at: i64,
    /// What to do.
    pub action: Action,
    /// Hex SHA-256 of the envelope bytes.
    pub envelope_sha256: String,
}

/// The result of verifying one envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Valid; still subject to the replay check.
    Accepted(Order),
    /// Refused with a reason (outcome `rejected`, or `expired` for
    /// [`Reason::TtlElapsed`]).
    Refused(Refusal),
}

/// Everything verification needs from configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Our site.
    pub site_id: String,
    /// Our appliance.
    pub appliance_id: String,
    /// Trusted order keys.
    pub keys: Vec<OrderKey>,
    /// How far ahead `issued_at` may be.
    pub max_clock_skew_secs: u64,
    /// Largest acceptable `ttl_secs`.
    pub max_order_ttl_secs: u64,
    /// What actions may ask for.
    pub actions: ActionPolicy,
}

impl Policy {
    /// The policy a configuration implies.
    pub fn from_config(c: &Config) -> Self {
        Policy {
            site_id: c.site_id.as_str().to_string(),
            appliance_id: c.appliance_id.as_str().to_string(),
            keys: c.mcp.order_keys.clone(),
            max_clock_skew_secs: c.max_clock_skew_secs,
            max_order_ttl_secs: c.max_order_ttl_secs,
            actions: ActionPolicy::from_config(c),
        }
    }
}

/// The signed payload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    order_id: String,
    site_id: String,
    #[serde(default)]
    appliance_id: Option<String>,
    issued_at: i64,
    ttl_secs: u64,
    action: String,
    #[serde(default, deserialize_with = "unique_keys")]
    params: Map<String, Value>,
}

/// A JSON object whose keys are all distinct: `{"unit":"a","unit":"b"}` is
/// refused rather than read as its last value (a policy engine at the MCP
/// might have read the first).
fn unique_keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Map<String, Value>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object with distinct keys")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Map::new();
            while let Some((k, v)) = map.next_entry::<String, Value>()? {
                if out.contains_key(&k) {
                    // Raw, in serde's own backticks: the whole message is
                    // escaped once where it becomes a refusal detail.
                    let k: String = k.chars().take(crate::validate::SHOWN_CHARS).collect();
                    return Err(serde::de::Error::custom(format!("duplicate key `{k}` in params")));
                }
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(V)
}

fn order_id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Verifies one envelope at time `now` (Unix seconds).
pub fn verify(bytes: &[u8], policy: &Policy, now: i64) -> Verdict {
    let envelope_sha256 = sha256_hex(bytes);
    let refuse = |reason: Reason, detail: String| Verdict::Refused(refusal_base(reason, &envelope_sha256, detail));

    // 1. Shape.
    let env: Envelope = match serde_json::from_slice(bytes) {
        Ok(e) => e,
        Err(e) => return refuse(Reason::Malformed, format!("not a DSSE envelope: {}", escaped(&e.to_string()))),
    };
    if env.payload_type != PAYLOAD_TYPE {
        return refuse(Reason::Malformed, format!("payloadType {} is not {PAYLOAD_TYPE}", quoted(&env.payload_type)));
    }
    if env.signatures.is_empty() || env.signatures.len() > MAX_SIGNATURES {
        return refuse(
            Reason::Malformed,
            format!("{} signatures (1..={MAX_SIGNATURES} allowed)", env.signatures.len()),
        );
    }
    let payload = match base64_decode(&env.payload) {
        Ok(p) => p,
        Err(e) => return refuse(Reason::Malformed, format!("payload: {e}")),
    };

    // 2-3. Signatures: any configured key whose signature verifies.
    let message = pae(&env.payload_type, &payload);
    let mut known_key_seen = false;
    let mut verified_by: Option<String> = None;
    for s in &env.signatures {
        let Some(key) = policy.keys.iter().find(|k| k.keyid == s.keyid) else { continue };
        known_key_seen = true;
        let Ok(sig) = base64_decode(&s.sig) else { continue };
        let Ok(sig) = ed25519_compact::Signature::from_slice(&sig) else { continue };
        let Ok(pk) = ed25519_compact::PublicKey::from_slice(&key.public_key) else { continue };
        if pk.verify(&message, &sig).is_ok() {
            verified_by = Some(key.keyid.clone());
            break;
        }
    }
    let Some(keyid) = verified_by else {
        return if known_key_seen {
            refuse(Reason::BadSignature, "no signature by a configured key verifies".into())
        } else {
            let ids: Vec<String> = env.signatures.iter().map(|s| quoted(&s.keyid)).collect();
            refuse(Reason::UnknownKey, format!("signed only by unknown key ids [{}]", ids.join(", ")))
        };
    };

    // From here on the payload is authentic: its fields may go into evidence.
    let p: Payload = match serde_json::from_slice(&payload) {
        Ok(p) => p,
        Err(e) => {
            return Verdict::Refused(Refusal {
                keyid: Some(keyid),
                ..refusal_base(Reason::Malformed, &envelope_sha256, format!("payload: {}", escaped(&e.to_string())))
            })
        }
    };
    let expires_at = p.issued_at.saturating_add(i64::try_from(p.ttl_secs).unwrap_or(i64::MAX));
    let verified = |reason: Reason, detail: String| {
        Verdict::Refused(Refusal {
            reason,
            envelope_sha256: envelope_sha256.clone(),
            order_id: order_id_ok(&p.order_id).then(|| p.order_id.clone()),
            keyid: Some(keyid.clone()),
            action: Some(escaped(&p.action)),
            expires_at: Some(expires_at),
            detail,
        })
    };
    if !order_id_ok(&p.order_id) {
        return verified(Reason::Malformed, "order_id must be 1-128 of A-Z a-z 0-9 - _ . :".into());
    }
    if p.ttl_secs == 0 || p.issued_at < 0 {
        return verified(Reason::Malformed, "ttl_secs must be > 0 and issued_at >= 0".into());
    }

    // 5. Binding.
    if p.site_id != policy.site_id {
        return verified(Reason::WrongSite, format!("for site {}", quoted(&p.site_id)));
    }
    if let Some(a) = &p.appliance_id {
        if *a != policy.appliance_id {
            return verified(Reason::WrongSite, format!("for appliance {}", quoted(a)));
        }
    }
    // 6-8. Time.
    let skew = i64::try_from(policy.max_clock_skew_secs).unwrap_or(i64::MAX);
    if p.issued_at > now.saturating_add(skew) {
        return verified(Reason::FutureDated, format!("issued {} s in the future", p.issued_at - now));
    }
    if p.ttl_secs > policy.max_order_ttl_secs {
        return verified(Reason::TtlTooLong, format!("ttl_secs {} > {}", p.ttl_secs, policy.max_order_ttl_secs));
    }
    if now > expires_at {
        return verified(Reason::TtlElapsed, format!("expired {} s ago", now - expires_at));
    }
    // 9-10. Action.
    let action = match Action::parse(&p.action, &p.params, &policy.actions) {
        Ok(a) => a,
        Err(ActionError::Unknown) => return verified(Reason::UnknownAction, format!("action {}", quoted(&p.action))),
        Err(ActionError::InvalidParams(why)) => return verified(Reason::InvalidParams, why),
    };
    Verdict::Accepted(Order {
        order_id: p.order_id,
        keyid,
        issued_at: p.issued_at,
        expires_at,
        action,
        envelope_sha256,
    })
}

fn refusal_base(reason: Reason, envelope_sha256: &str, detail: String) -> Refusal {
    Refusal {
        reason,
        envelope_sha256: envelope_sha256.to_string(),
        order_id: None,
        keyid: None,
        action: None,
        expires_at: None,
        detail,
    }
}

#[cfg(test)]
mod tests;
