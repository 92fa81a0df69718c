//! `evidence export` and `evidence verify`: what an auditor runs.
//!
//! Verification checks every signature against the given public key, that
//! each bundle's embedded `seq` and `bundle_id` match where it was found,
//! that seqs are contiguous, that each `prev_sha256` is the SHA-256 of the
//! previous bundle's bytes (64 zeros for seq 1), and that a chain which
//! starts after seq 1 is explained by a signed `prune` checkpoint naming
//! the last pruned seq and its hash. It streams: memory stays flat however
//! long the chain.

use super::bundle::{Header, Prune, SCHEMA};
use crate::encoding::sha256_hex;
use crate::keys::public_key_pem;
use crate::store::Store;
use ed25519_compact::{PublicKey, Signature};
use std::path::{Path, PathBuf};

/// One bundle to check, from a database row or a pair of files.
#[derive(Debug)]
pub struct Item {
    /// Where it was found (for messages).
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

/// The verdict.
#[derive(Debug, Default)]
pub struct Verification {
    /// Bundles checked.
    pub checked: u64,
    /// First and last seq seen.
    pub range: Option<(u64, u64)>,
    /// Every problem found, in order.
    pub problems: Vec<String>,
}

impl Verification {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.checked > 0
    }
}

/// Streaming chain verifier.
#[derive(Debug)]
pub struct Verifier {
    key: PublicKey,
    prev: Option<(u64, String)>,
    first: Option<(u64, String)>,
    prunes: Vec<Prune>,
    result: Verification,
}

impl Verifier {
    /// A verifier for bundles signed by `key`.
    pub fn new(key: PublicKey) -> Verifier {
        Verifier { key, prev: None, first: None, prunes: Vec::new(), result: Verification::default() }
    }

    /// Checks the next bundle (items must come in increasing seq order).
    pub fn push(&mut self, item: &Item) {
        let r = &mut self.result;
        r.checked += 1;
        r.range = Some(match r.range {
            None => (item.seq, item.seq),
            Some((a, _)) => (a, item.seq),
        });
        let sha = sha256_hex(&item.bytes);
        let sig_ok = Signature::from_slice(&item.signature).is_ok_and(|s| self.key.verify(&item.bytes, &s).is_ok());
        if !sig_ok {
            r.problems.push(format!("{}: signature does not verify with the given public key", item.origin));
        }
        match serde_json::from_slice::<Header>(&item.bytes) {
            Err(e) => r.problems.push(format!("{}: not a bundle: {e}", item.origin)),
            Ok(h) => {
                if h.schema != SCHEMA {
                    r.problems.push(format!("{}: schema {:?} is not {SCHEMA}", item.origin, h.schema));
                }
                if h.seq != item.seq {
                    r.problems.push(format!("{}: says seq {} but is stored as seq {}", item.origin, h.seq, item.seq));
                }
                if h.bundle_id != item.bundle_id {
                    r.problems.push(format!(
                        "{}: says bundle_id {} but is stored as {}",
                        item.origin, h.bundle_id, item.bundle_id
                    ));
                }
                match &self.prev {
                    Some((pseq, psha)) => {
                        if item.seq <= *pseq {
                            r.problems.push(format!(
                                "{}: seq {} repeats or goes backwards after {pseq}",
                                item.origin, item.seq
                            ));
                        } else if item.seq != pseq + 1 {
                            r.problems.push(format!(
                                "{}: bundles {}..={} are missing",
                                item.origin,
                                pseq + 1,
                                item.seq - 1
                            ));
                        } else if h.prev_sha256 != *psha {
                            r.problems.push(format!(
                                "{}: prev_sha256 {} is not the hash of seq {pseq} ({psha}): a bundle was changed, removed or reordered",
                                item.origin, h.prev_sha256
                            ));
                        }
                    }
                    None => {
                        if item.seq == 1 && h.prev_sha256 != "0".repeat(64) {
                            r.problems.push(format!("{}: seq 1 must have prev_sha256 of 64 zeros", item.origin));
                        }
                        self.first = Some((item.seq, h.prev_sha256.clone()));
                    }
                }
                if h.kind == "prune" {
                    match h.prune {
                        Some(p) => self.prunes.push(p),
                        None => r.problems.push(format!("{}: prune bundle without a prune checkpoint", item.origin)),
                    }
                }
            }
        }
        self.prev = Some((item.seq, sha));
    }

    /// The last bundle seen: seq and hash.
    pub fn last(&self) -> Option<(u64, String)> {
        self.prev.clone()
    }

    /// Records a problem found outside the bundles themselves.
    pub fn problem(&mut self, p: String) {
        self.result.problems.push(p);
    }

    /// Final checks (the pruned prefix) and the verdict.
    pub fn finish(mut self) -> Verification {
        if let Some((first, prev)) = &self.first {
            if *first > 1 {
                let explained = self.prunes.iter().any(|p| p.through_seq + 1 == *first && p.through_sha256 == *prev);
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

/// Verifies every bundle in a database.
pub fn verify_db(db: &Path, key: PublicKey) -> Result<Verification, String> {
    let store = Store::open_read_only(db).map_err(|e| e.to_string())?;
    let mut v = Verifier::new(key);
    each_bundle(&store, |b| {
        v.push(&Item {
            origin: format!("seq {} ({})", b.seq, b.bundle_id),
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
/// `.json.sig` files.
pub fn verify_dir(dir: &Path, key: PublicKey) -> Result<Verification, String> {
    let mut files: Vec<(u64, String, PathBuf)> = Vec::new();
    let mut v = Verifier::new(key);
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
    Ok(v.finish())
}

/// Calls `f` for every stored bundle in seq order, 512 at a time (memory
/// stays flat however long the chain).
fn each_bundle(
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

/// Writes `<seq>-<bundle_id>.json`, `.json.sig` (raw 64 bytes) and, if the
/// database knows it, `evidence.pub.pem`. Returns the number of bundles.
pub fn export(db: &Path, dir: &Path) -> Result<u64, String> {
    let store = Store::open_read_only(db).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut n = 0;
    each_bundle(&store, |b| {
        // The id becomes a file name: only what the agent generates.
        if b.bundle_id.is_empty()
            || b.bundle_id.len() > 64
            || !b.bundle_id.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-')
        {
            return Err(format!(
                "seq {}: bundle_id {:?} is not a UUID; refusing to use it as a file name",
                b.seq, b.bundle_id
            ));
        }
        let base = dir.join(format!("{}-{}.json", b.seq, b.bundle_id));
        write_new(&base, &b.bytes)?;
        write_new(&PathBuf::from(format!("{}.sig", base.display())), &b.signature)?;
        n += 1;
        Ok(())
    })?;
    if let Some(pem) = store.get_state(PUBLIC_KEY_STATE).map_err(|e| e.to_string())? {
        write_new(&dir.join("evidence.pub.pem"), pem.as_bytes())?;
    }
    Ok(n)
}

/// Creates a file that must not exist yet (never follows a planted link or
/// overwrites an earlier export).
fn write_new(path: &Path, data: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("{}: {e} (export into an empty directory)", path.display()))?;
    f.write_all(data).map_err(|e| format!("{}: {e}", path.display()))
}

/// State key under which the agent records its evidence public key (PEM).
pub const PUBLIC_KEY_STATE: &str = "evidence.public_key_pem";

/// The PEM the agent records for `key`.
pub fn public_pem(key: &PublicKey) -> String {
    public_key_pem(key)
}
