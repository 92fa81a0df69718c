//! Bundle bytes (docs/evidence.md; a contract: fields are added, never
//! renamed): one compact JSON object, serialised once; those exact bytes
//! are hashed, signed, stored and sent.
//!
//! Field order is fixed by the struct below, every field is always present
//! (`null` or `[]` where it does not apply), so auditors' tools see one
//! shape. Fields added since the format was first fixed: `detail`,
//! `nist_controls`, `host` (boot id and running NixOS system: AU-3
//! "where"), `prune`, `rotation`.

use super::controls;
use super::{Kind, OrderRef, Outcome, Record};
use crate::checks::CheckName;
use crate::clock::rfc3339_ms;
use crate::exec::CommandRecord;
use crate::sys::ClockState;
use serde::Serialize;
use serde_json::Value;

/// The schema name.
pub const SCHEMA: &str = "compliance-agent/evidence/v1";
/// Bundles larger than this have their bulky parts (`pre_state`,
/// `post_state`, `results`, `actions`) replaced by a truncation note, so one
/// bundle always fits a push batch.
pub const MAX_BUNDLE_BYTES: usize = 256 * 1024;

/// Where and by what a bundle was made; the same for a whole process.
#[derive(Debug, Clone)]
pub struct Context {
    /// `site_id`.
    pub site_id: String,
    /// `appliance_id`.
    pub appliance_id: String,
    /// `deployment_mode`.
    pub deployment_mode: &'static str,
    /// Crate version.
    pub version: &'static str,
    /// Build id (executable hash or git revision).
    pub build: String,
    /// `/proc/sys/kernel/random/boot_id`.
    pub boot_id: Option<String>,
    /// Checks enabled (for a cycle bundle's citations).
    pub enabled_checks: Vec<CheckName>,
}

/// What varies per bundle besides the record.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// Random unique id.
    pub bundle_id: String,
    /// Position in the chain.
    pub seq: u64,
    /// Hex SHA-256 of the previous bundle.
    pub prev_sha256: String,
    /// Kernel clock state when written.
    pub clock: Option<ClockState>,
    /// `/run/current-system` target when written.
    pub system: Option<String>,
}

/// A prune checkpoint: everything up to `through_seq` is gone; the bundle
/// at `through_seq` had hash `through_sha256`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Prune {
    /// First pruned seq in this operation.
    pub from_seq: u64,
    /// Last pruned seq.
    pub through_seq: u64,
    /// SHA-256 of the bundle at `through_seq`.
    pub through_sha256: String,
}

/// An evidence key rotation (a `key_rotation` bundle, signed by the old
/// key): from the next bundle on, the chain is signed by `new_public_key`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Rotation {
    /// Fingerprint of the key that signs this bundle (and signed the chain
    /// so far): hex SHA-256 of its DER SubjectPublicKeyInfo.
    pub old_key_sha256: String,
    /// Fingerprint of the new key.
    pub new_key_sha256: String,
    /// The new key: base64 DER SubjectPublicKeyInfo (the body of its PEM).
    pub new_public_key: String,
}

impl Rotation {
    /// The rotation from `old` to `new`.
    pub fn new(old: &ed25519_compact::PublicKey, new: &ed25519_compact::PublicKey) -> Rotation {
        Rotation {
            old_key_sha256: crate::keys::fingerprint(old),
            new_key_sha256: crate::keys::fingerprint(new),
            new_public_key: crate::encoding::base64_encode(&crate::keys::public_key_der(new)),
        }
    }
}

#[derive(Serialize)]
struct Agent<'a> {
    version: &'a str,
    build: &'a str,
}

#[derive(Serialize)]
struct Host<'a> {
    boot_id: Option<&'a str>,
    system: Option<&'a str>,
}

#[derive(Serialize)]
struct Clock {
    synchronized: bool,
    max_error_us: Option<i64>,
}

#[derive(Serialize)]
struct Out<'a> {
    schema: &'static str,
    bundle_id: &'a str,
    seq: u64,
    prev_sha256: &'a str,
    site_id: &'a str,
    appliance_id: &'a str,
    deployment_mode: &'a str,
    agent: Agent<'a>,
    host: Host<'a>,
    kind: Kind,
    check: Option<CheckName>,
    controls: Vec<&'static str>,
    nist_controls: Vec<&'static str>,
    order: Option<&'a OrderRef>,
    outcome: Outcome,
    reason: Option<&'a str>,
    detail: Option<&'a str>,
    started_at: String,
    finished_at: String,
    clock: Clock,
    pre_state: Option<&'a Value>,
    post_state: Option<&'a Value>,
    actions: &'a [CommandRecord],
    results: Option<&'a Value>,
    prune: Option<&'a Prune>,
    rotation: Option<&'a Rotation>,
}

/// Serialises a record into bundle bytes.
pub fn serialise(ctx: &Context, stamp: &Stamp, rec: &Record, prune: Option<&Prune>) -> Vec<u8> {
    let checks: Vec<CheckName> = match (rec.check, rec.kind) {
        (Some(c), _) => vec![c],
        (None, Kind::Cycle) => ctx.enabled_checks.clone(),
        (None, _) => Vec::new(),
    };
    let truncated = Value::String("truncated: bundle exceeded the size limit".into());
    let detail = rec.detail.as_deref().map(|d| cap(d, 4096));
    let reason = rec.reason.as_deref().map(|r| cap(r, 128));
    let mut out = Out {
        schema: SCHEMA,
        bundle_id: &stamp.bundle_id,
        seq: stamp.seq,
        prev_sha256: &stamp.prev_sha256,
        site_id: &ctx.site_id,
        appliance_id: &ctx.appliance_id,
        deployment_mode: ctx.deployment_mode,
        agent: Agent { version: ctx.version, build: &ctx.build },
        host: Host { boot_id: ctx.boot_id.as_deref(), system: stamp.system.as_deref() },
        kind: rec.kind,
        check: rec.check,
        controls: controls::union(&checks, controls::hipaa),
        nist_controls: controls::union(&checks, controls::nist),
        order: rec.order.as_ref(),
        outcome: rec.outcome,
        reason: reason.as_deref(),
        detail: detail.as_deref(),
        started_at: rfc3339_ms(rec.started_ms),
        finished_at: rfc3339_ms(rec.finished_ms.max(rec.started_ms)),
        clock: match stamp.clock {
            Some(c) => Clock { synchronized: c.synchronized, max_error_us: Some(c.max_error_us) },
            None => Clock { synchronized: false, max_error_us: None },
        },
        pre_state: rec.pre_state.as_ref(),
        post_state: rec.post_state.as_ref(),
        actions: &rec.actions,
        results: rec.results.as_ref(),
        prune,
        rotation: rec.rotation.as_ref(),
    };
    // Serialising these types (strings, numbers, serde_json values) cannot
    // fail; an empty Vec would fail verification loudly rather than pass.
    let bytes = serde_json::to_vec(&out).unwrap_or_default();
    if bytes.len() <= MAX_BUNDLE_BYTES {
        return bytes;
    }
    out.pre_state = Some(&truncated);
    out.post_state = Some(&truncated);
    out.results = Some(&truncated);
    out.actions = &[];
    serde_json::to_vec(&out).unwrap_or_default()
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn cap(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The fields `evidence verify` reads back from bundle bytes.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Header {
    /// Must be [`SCHEMA`].
    pub schema: String,
    /// Unique id.
    pub bundle_id: String,
    /// Position in the chain.
    pub seq: u64,
    /// Hash of the previous bundle.
    pub prev_sha256: String,
    /// Bundle kind.
    pub kind: String,
    /// Prune checkpoint, for `prune` bundles.
    #[serde(default)]
    pub prune: Option<Prune>,
    /// Where (for `evidence verify`'s summary).
    #[serde(default)]
    pub site_id: String,
    /// Which appliance.
    #[serde(default)]
    pub appliance_id: String,
    /// When the work started (RFC 3339).
    #[serde(default)]
    pub started_at: String,
    /// When the bundle was written (RFC 3339).
    #[serde(default)]
    pub finished_at: String,
    /// Key rotation, for `key_rotation` bundles.
    #[serde(default)]
    pub rotation: Option<Rotation>,
}
