//! `evidence verify`: what an auditor runs (`evidence export` is in
//! `evidence::export`; its items are re-exported here).
//!
//! Verification checks every signature against the chain's key, that
//! each bundle's embedded `seq` and `bundle_id` match where it was found,
//! that seqs are contiguous, that each `prev_sha256` is the SHA-256 of the
//! previous bundle's bytes (64 zeros for seq 1), and that a chain which
//! starts after seq 1 is explained by a signed `prune` checkpoint (or, for
//! an export of a period, by its signed manifest). The chain's key is the
//! given key that signed the first bundle; it changes only at a
//! `key_rotation` bundle the current key signed. An export's manifest must
//! be signed and match the first and last bundles present, so a removed
//! tail is caught. It streams: memory stays flat however long the chain.

use super::bundle::{Prune, Rotation, SCHEMA};
pub use super::export::{
    bundle_file_name, export, export_with, ExportOptions, Exported, Manifest, MANIFEST_FILE, MANIFEST_SCHEMA,
    SEQ_DIGITS,
};
use crate::keys::{fingerprint, public_key_pem};
use crate::store::Store;
use ed25519_compact::{PublicKey, Signature};
use std::path::{Path, PathBuf};

mod fields;
pub use fields::raw_signature_and_hash;
use fields::{is_hex_of, Fields};

/// One bundle to check, from a database row or a pair of files.
#[derive(Debug)]
pub struct Item {
    /// Where it was found (for messages); empty for a database row, which
    /// messages name by seq and bundle id ([`Item::place`]).
    pub origin: String,
    /// The seq it was stored or named under.
    pub seq: u64,
    /// The id it was stored or named under.
    pub bundle_id: String,
    /// Bundle bytes.
    pub bytes: Vec<u8>,
    /// Signature bytes.
    pub signature: Vec<u8>,
}

impl Item {
    /// Where the bundle was found, for a message (formatted only when there
    /// is something to say: verification allocates nothing per bundle for
    /// it).
    pub fn place(&self) -> String {
        if self.origin.is_empty() {
            format!("seq {} ({})", self.seq, self.bundle_id)
        } else {
            self.origin.clone()
        }
    }
}

/// Where the chain's key changed: a `key_rotation` bundle signed by the
/// old key naming the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    /// The `key_rotation` bundle's seq; the new key signs from `seq + 1`.
    pub seq: u64,
    /// Fingerprint of the old key.
    pub from: String,
    /// Fingerprint of the new key.
    pub to: String,
}

/// The verdict.
#[derive(Debug, Default)]
pub struct Verification {
    /// Bundles checked.
    pub checked: u64,
    /// First and last seq seen.
    pub range: Option<(u64, u64)>,
    /// Every problem found, in order.
    pub problems: Vec<String>,
    /// Every distinct `site_id`, in order of appearance.
    pub site_ids: Vec<String>,
    /// Every distinct `appliance_id`, in order of appearance.
    pub appliance_ids: Vec<String>,
    /// Earliest `started_at` and latest `finished_at` (RFC 3339 UTC).
    pub time_range: Option<(String, String)>,
    /// Fingerprint of the key that signed the first bundle.
    pub first_key: Option<String>,
    /// Key rotations followed, in order.
    pub key_changes: Vec<KeyChange>,
    /// What the export manifest says (directories only).
    pub manifest: Option<String>,
}

impl Verification {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.checked > 0
    }

    /// What the verified evidence is, one `label  value` line each: site,
    /// appliance, seq and time range, the keys and the export manifest.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        let list = |v: &[String]| if v.is_empty() { "(none)".to_string() } else { v.join(", ") };
        out.push(format!("site       {}", list(&self.site_ids)));
        out.push(format!("appliance  {}", list(&self.appliance_ids)));
        if let Some((a, b)) = self.range {
            out.push(format!("seq        {a}..={b} ({} bundles)", self.checked));
        }
        if let Some((a, b)) = &self.time_range {
            out.push(format!("time       {a} .. {b}"));
        }
        if let Some(k) = &self.first_key {
            out.push(format!("key        {k}"));
        }
        for c in &self.key_changes {
            out.push(format!("key change after seq {}: {} -> {}", c.seq, c.from, c.to));
        }
        if let Some(m) = &self.manifest {
            out.push(format!("manifest   {m}"));
        }
        out
    }
}

/// Streaming chain verifier. The chain's key is the first key given; it
/// changes only at a `key_rotation` bundle that it signed.
#[derive(Debug)]
pub struct Verifier {
    key: PublicKey,
    given: Vec<PublicKey>,
    started: bool,
    prev: Option<(u64, [u8; 32])>,
    first: Option<(u64, String)>,
    prunes: Vec<Prune>,
    start_explained: Option<(u64, String)>,
    result: Verification,
}

impl Verifier {
    /// A verifier for bundles signed by `key` (and keys it rotates to).
    pub fn new(key: PublicKey) -> Verifier {
        Verifier::with_keys(vec![key])
    }

    /// A verifier whose chain starts with the first of `keys` (`keys` must
    /// not be empty); the others only vouch for an export's manifest or
    /// name the key a bundle was signed by when the chain's key fails.
    pub fn with_keys(keys: Vec<PublicKey>) -> Verifier {
        let key = keys.first().copied().unwrap_or_else(|| {
            // No key at all: one nothing verifies with.
            PublicKey::new([0u8; 32])
        });
        Verifier {
            key,
            given: keys,
            started: false,
            prev: None,
            first: None,
            prunes: Vec::new(),
            start_explained: None,
            result: Verification::default(),
        }
    }

    /// Accepts a chain starting at `seq` whose first bundle names
    /// `prev_sha256` (an export of a period, vouched for by its signed
    /// manifest) without a prune checkpoint.
    pub fn explain_start(&mut self, seq: u64, prev_sha256: String) {
        self.start_explained = Some((seq, prev_sha256));
    }

    /// The chain's current key (after every rotation followed so far).
    pub fn key(&self) -> PublicKey {
        self.key
    }

    /// Every key known: given ones and those rotated to.
    pub fn known_keys(&self) -> Vec<PublicKey> {
        let mut keys = self.given.clone();
        if !keys.contains(&self.key) {
            keys.push(self.key);
        }
        keys
    }

    /// Checks the next bundle (items must come in increasing seq order).
    pub fn push(&mut self, item: &Item) {
        let sig = Signature::from_slice(&item.signature).ok();
        let verifies = |k: &PublicKey| sig.as_ref().is_some_and(|s| k.verify(&item.bytes, s).is_ok());
        if !self.started {
            // The chain starts with the first key given, never with
            // whichever given key happens to verify: a later key must not
            // be able to stand in for an earlier one's era. Other keys are
            // reached only through key_rotation bundles (and may vouch for
            // an export's manifest).
            self.started = true;
            self.result.first_key = Some(fingerprint(&self.key));
        }
        let r = &mut self.result;
        r.checked += 1;
        r.range = Some(match r.range {
            None => (item.seq, item.seq),
            Some((a, _)) => (a, item.seq),
        });
        let sha = crate::encoding::sha256(&item.bytes);
        let sig_ok = verifies(&self.key);
        if !sig_ok {
            let other = self.given.iter().find(|k| **k != self.key && verifies(k));
            r.problems.push(match other {
                Some(k) => format!(
                    "{}: signed by key {}, but the chain's key is {} and no key_rotation bundle it signed names the other: the key changed without a rotation",
                    item.place(),
                    fingerprint(k),
                    fingerprint(&self.key)
                ),
                None => format!("{}: signature does not verify with the given public key", item.place()),
            });
        }
        match serde_json::from_slice::<Fields<'_>>(&item.bytes) {
            Err(e) => r.problems.push(format!("{}: not a bundle: {e}", item.place())),
            Ok(h) => {
                if h.schema != SCHEMA {
                    r.problems.push(format!("{}: schema {:?} is not {SCHEMA}", item.place(), h.schema));
                }
                if h.seq != item.seq {
                    r.problems.push(format!("{}: says seq {} but is stored as seq {}", item.place(), h.seq, item.seq));
                }
                if h.bundle_id != item.bundle_id {
                    r.problems.push(format!(
                        "{}: says bundle_id {} but is stored as {}",
                        item.place(),
                        h.bundle_id,
                        item.bundle_id
                    ));
                }
                if !r.site_ids.iter().any(|s| *s == h.site_id) {
                    r.site_ids.push(h.site_id.to_string());
                }
                if !r.appliance_ids.iter().any(|a| *a == h.appliance_id) {
                    r.appliance_ids.push(h.appliance_id.to_string());
                }
                // RFC 3339 UTC with milliseconds, as the agent writes them,
                // order as strings.
                if !h.started_at.is_empty() && !h.finished_at.is_empty() {
                    match &mut r.time_range {
                        None => r.time_range = Some((h.started_at.to_string(), h.finished_at.to_string())),
                        Some((a, b)) => {
                            if *h.started_at < **a {
                                *a = h.started_at.to_string();
                            }
                            if *h.finished_at > **b {
                                *b = h.finished_at.to_string();
                            }
                        }
                    }
                }
                match &self.prev {
                    Some((pseq, psha)) => {
                        if item.seq <= *pseq {
                            r.problems.push(format!(
                                "{}: seq {} repeats or goes backwards after {pseq}",
                                item.place(),
                                item.seq
                            ));
                        } else if item.seq != pseq + 1 {
                            r.problems.push(format!(
                                "{}: bundles {}..={} are missing",
                                item.place(),
                                pseq + 1,
                                item.seq - 1
                            ));
                        } else if !is_hex_of(&h.prev_sha256, psha) {
                            r.problems.push(format!(
                                "{}: prev_sha256 {} is not the hash of seq {pseq} ({}): a bundle was changed, removed or reordered",
                                item.place(),
                                h.prev_sha256,
                                crate::encoding::hex(psha)
                            ));
                        }
                    }
                    None => {
                        if item.seq == 1 && h.prev_sha256 != "0".repeat(64) {
                            r.problems.push(format!("{}: seq 1 must have prev_sha256 of 64 zeros", item.place()));
                        }
                        self.first = Some((item.seq, h.prev_sha256.to_string()));
                    }
                }
                if h.kind == "prune" {
                    match h.prune {
                        Some(p) => self.prunes.push(p),
                        None => r.problems.push(format!("{}: prune bundle without a prune checkpoint", item.place())),
                    }
                }
                if h.kind == "key_rotation" {
                    match (&h.rotation, sig_ok) {
                        (None, _) => {
                            r.problems.push(format!("{}: key_rotation bundle without a rotation", item.place()))
                        }
                        (Some(_), false) => r.problems.push(format!(
                            "{}: key_rotation not signed by the chain's key {}: not followed",
                            item.place(),
                            fingerprint(&self.key)
                        )),
                        (Some(rot), true) => match follow(&self.key, rot) {
                            Ok(new) => {
                                r.key_changes.push(KeyChange {
                                    seq: item.seq,
                                    from: fingerprint(&self.key),
                                    to: fingerprint(&new),
                                });
                                self.key = new;
                            }
                            Err(why) => r.problems.push(format!("{}: key_rotation {why}: not followed", item.place())),
                        },
                    }
                }
            }
        }
        self.prev = Some((item.seq, sha));
    }

    /// The last bundle seen: seq and hash.
    pub fn last(&self) -> Option<(u64, String)> {
        self.prev.as_ref().map(|(seq, sha)| (*seq, crate::encoding::hex(sha)))
    }

    /// Bundles checked so far, and their first and last seq.
    pub fn seen(&self) -> (u64, Option<(u64, u64)>) {
        (self.result.checked, self.result.range)
    }

    /// Notes what the export manifest vouches for (for the summary).
    pub fn set_manifest(&mut self, what: String) {
        self.result.manifest = Some(what);
    }

    /// Records a problem found outside the bundles themselves.
    pub fn problem(&mut self, p: String) {
        self.result.problems.push(p);
    }

    /// Final checks (the pruned prefix) and the verdict.
    pub fn finish(mut self) -> Verification {
        if let Some((first, prev)) = &self.first {
            if *first > 1 {
                let explained = self.prunes.iter().any(|p| p.through_seq + 1 == *first && p.through_sha256 == *prev)
                    || self.start_explained.as_ref() == Some(&(*first, prev.clone()));
                if !explained {
                    self.result.problems.push(format!(
                        "the chain starts at seq {first}, and no prune checkpoint names seq {} with hash {prev}: earlier bundles were removed",
                        first - 1
                    ));
                }
            }
        }
        if self.result.checked == 0 {
            self.result.problems.push("no bundles found".to_string());
        }
        self.result
    }
}

/// The key a rotation signed by `current` moves to, or why not.
fn follow(current: &PublicKey, rot: &Rotation) -> Result<PublicKey, String> {
    let new = crate::keys::parse_public_key_der_base64(&rot.new_public_key)
        .map_err(|e| format!("new_public_key is unusable ({e})"))?;
    if rot.old_key_sha256 != fingerprint(current) {
        return Err(format!("names old key {} but is signed by {}", rot.old_key_sha256, fingerprint(current)));
    }
    if rot.new_key_sha256 != fingerprint(&new) {
        return Err(format!(
            "new_key_sha256 {} is not the new key's fingerprint {}",
            rot.new_key_sha256,
            fingerprint(&new)
        ));
    }
    Ok(new)
}

/// Verifies every bundle in a database.
pub fn verify_db(db: &Path, key: PublicKey) -> Result<Verification, String> {
    verify_db_keys(db, vec![key])
}

/// [`verify_db`] with several candidate keys for the chain's first bundle.
pub fn verify_db_keys(db: &Path, keys: Vec<PublicKey>) -> Result<Verification, String> {
    let store = Store::open_read_only(db).map_err(|e| e.to_string())?;
    let mut v = Verifier::with_keys(keys);
    each_bundle(&store, |b| {
        v.push(&Item {
            origin: String::new(),
            seq: b.seq,
            bundle_id: b.bundle_id,
            bytes: b.bytes,
            signature: b.signature,
        });
        Ok(())
    })?;
    // The newest bundles: the database's own chain tip, and the chain.head
    // file beside it, must both agree with the last bundle present.
    let last = v.last();
    let tip = store.chain_tip().map_err(|e| e.to_string())?;
    if tip.seq > 0 && last.as_ref() != Some(&(tip.seq, tip.sha256.clone())) {
        let (seq, _) = last.clone().unwrap_or((0, String::new()));
        v.problem(format!("the chain tip records seq {} but the newest bundle present is seq {seq}: bundles at the end were removed or changed", tip.seq));
    }
    if let Some(head) = db.parent().and_then(|d| {
        crate::fsutil::read_text_capped(&d.join(crate::store::HEAD_FILE), 256, crate::fsutil::Follow::Never).ok()
    }) {
        if let Some(seq) = head.split_whitespace().next().and_then(|s| s.parse::<u64>().ok()) {
            if seq > last.as_ref().map_or(0, |l| l.0) {
                v.problem(format!("{} names seq {seq}, newer than the newest bundle present", crate::store::HEAD_FILE));
            }
        }
    }
    Ok(v.finish())
}

/// Largest exported bundle file read (bundles are capped well below this).
const MAX_BUNDLE_FILE_BYTES: u64 = 2 * crate::evidence::bundle::MAX_BUNDLE_BYTES as u64;

/// Verifies an exported directory of `<seq>-<bundle_id>.json` and
/// `.json.sig` files against its signed manifest.
pub fn verify_dir(dir: &Path, key: PublicKey) -> Result<Verification, String> {
    verify_dir_keys(dir, vec![key])
}

/// [`verify_dir`] with several candidate keys for the chain's first bundle
/// (and for the manifest). Seqs may be zero-padded (as `export` writes
/// them) or not (exports made before padding).
pub fn verify_dir_keys(dir: &Path, keys: Vec<PublicKey>) -> Result<Verification, String> {
    let mut files: Vec<(u64, String, PathBuf)> = Vec::new();
    let mut v = Verifier::with_keys(keys);
    let mut stray = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else { continue };
        match stem.split_once('-').and_then(|(s, id)| Some((s.parse::<u64>().ok()?, id.to_string()))) {
            Some((seq, id)) => files.push((seq, id, entry.path())),
            None => stray.push(name),
        }
    }
    files.sort();
    for name in stray {
        v.result.problems.push(format!("{name}: not named <seq>-<bundle_id>.json"));
    }
    let manifest = super::export::read_manifest(dir);
    if let Ok(Some((m, _))) = &manifest {
        if m.first_seq > 1 {
            v.explain_start(m.first_seq, m.first_prev_sha256.clone());
        }
    }
    for (seq, id, path) in files {
        let origin = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Bundles are at most MAX_BUNDLE_BYTES; anything bigger (or a FIFO
        // planted among them) is a problem, not something to read forever.
        let bytes = match crate::fsutil::read_capped(&path, MAX_BUNDLE_FILE_BYTES, crate::fsutil::Follow::Never) {
            Ok(b) => b,
            Err(e) => {
                v.result.problems.push(format!("{origin}: {e}"));
                continue;
            }
        };
        let sig_path = PathBuf::from(format!("{}.sig", path.display()));
        let signature = match crate::fsutil::read_capped(&sig_path, 1024, crate::fsutil::Follow::Never) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                v.result.problems.push(format!("{origin}: no {origin}.sig beside it"));
                Vec::new()
            }
            Err(e) => {
                v.result.problems.push(format!("{origin}.sig: {e}"));
                Vec::new()
            }
        };
        v.push(&Item { origin, seq, bundle_id: id, bytes, signature });
    }
    super::export::check_manifest(&mut v, manifest);
    Ok(v.finish())
}

/// Calls `f` for every stored bundle in seq order, 512 at a time (memory
/// stays flat however long the chain).
pub(crate) fn each_bundle(
    store: &Store,
    mut f: impl FnMut(crate::store::StoredBundle) -> Result<(), String>,
) -> Result<(), String> {
    let mut after = 0;
    loop {
        let page = store.bundles_after(after, 512).map_err(|e| e.to_string())?;
        let Some(last) = page.last() else { return Ok(()) };
        after = last.seq;
        for b in page {
            f(b)?;
        }
    }
}

/// State key under which the agent records its evidence public key (PEM).
pub const PUBLIC_KEY_STATE: &str = "evidence.public_key_pem";

/// The PEM the agent records for `key`.
pub fn public_pem(key: &PublicKey) -> String {
    public_key_pem(key)
}
