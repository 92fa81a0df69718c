//! Reading a chain that verified, for `evidence report` and the OSCAL
//! export: nothing is reported from bundles that did not.
//!
//! The chain is judged first by the auditor's own command
//! ([`super::verify::verify_db`] / [`super::verify::verify_dir`], every
//! check `evidence verify` makes). Then it is read a second time, and the
//! bytes handed on are verified again as they are read (signature, seq,
//! hash link) and must cover exactly the seq range the first pass judged —
//! so what is reported is what verified, even if the files change between
//! the two reads.
//!
//! Owns: the two passes, the bundles' parsed JSON and delivery state.
//! Must never: hand on a bundle from a chain that did not verify.

use super::verify::{Item, Verifier};
use crate::encoding::sha256_hex;
use crate::store::Store;
use ed25519_compact::PublicKey;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where the bundles are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The agent's database (delivery state is known).
    Db(PathBuf),
    /// A directory written by `evidence export` (delivery is not recorded).
    Dir(PathBuf),
}

impl Source {
    /// For messages and the report's "built from".
    pub fn describe(&self) -> String {
        match self {
            Source::Db(p) => format!("database {}", p.display()),
            Source::Dir(p) => format!("export directory {}", p.display()),
        }
    }
}

/// One verified bundle.
#[derive(Debug)]
pub struct Bundle {
    /// Position in the chain.
    pub seq: u64,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
    /// The parsed bundle (docs/evidence.md).
    pub json: Value,
    /// Database only: when the MCP's receipt for these bytes was stored
    /// (Unix ms); `None` while unpushed. Always `None` for a directory.
    pub pushed_ms: Option<i64>,
}

/// What the chain is, once verified.
#[derive(Debug, Clone)]
pub struct Chain {
    /// Where it was read.
    pub source: String,
    /// True when read from the database (delivery state known).
    pub delivery_known: bool,
    /// Bundles verified.
    pub bundles: u64,
    /// First and last seq.
    pub seq_range: (u64, u64),
    /// Fingerprint of the key that signed the first bundle (hex SHA-256
    /// of its SPKI DER, `crate::keys::fingerprint`).
    pub key_fingerprint: String,
    /// Key rotations followed: `after seq N: <old> -> <new>`.
    pub key_changes: Vec<String>,
}

/// Why nothing can be reported.
#[derive(Debug)]
pub enum ReadError {
    /// The chain did not verify: every problem, as `evidence verify` prints it.
    NotVerified(Vec<String>),
    /// It could not be read at all.
    Io(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotVerified(p) => write!(f, "the chain does not verify ({} problems)", p.len()),
            ReadError::Io(e) => f.write_str(e),
        }
    }
}

/// Verifies the chain at `source` with `keys` (as `evidence verify`
/// does: the chain starts with whichever signed its first bundle and
/// follows signed rotations), then calls `each` for every bundle in seq
/// order. Refuses (before calling `each` at all) a chain that does not
/// verify.
pub fn read(source: &Source, keys: Vec<PublicKey>, mut each: impl FnMut(Bundle)) -> Result<Chain, ReadError> {
    let first = match source {
        Source::Db(db) => super::verify::verify_db_keys(db, keys.clone()),
        Source::Dir(dir) => super::verify::verify_dir_keys(dir, keys.clone()),
    }
    .map_err(ReadError::Io)?;
    if !first.ok() {
        return Err(ReadError::NotVerified(first.problems));
    }
    let range = first.range.unwrap_or((0, 0));
    // The second pass: verified again, bundle by bundle, as handed on.
    let mut again = Verifier::with_keys(keys);
    let mut handed = 0u64;
    let mut pass = |item: Item, pushed_ms: Option<i64>| -> Result<(), String> {
        if handed == 0 && item.seq > 1 && item.seq == range.0 {
            // The first pass accepted this start (a prune checkpoint, or an
            // export's signed manifest); the second checks what follows.
            if let Ok(h) = serde_json::from_slice::<Value>(&item.bytes) {
                if let Some(prev) = h["prev_sha256"].as_str() {
                    again.explain_start(item.seq, prev.to_string());
                }
            }
        }
        again.push(&item);
        let json: Value = serde_json::from_slice(&item.bytes).map_err(|e| format!("{}: {e}", item.origin))?;
        handed += 1;
        each(Bundle { seq: item.seq, sha256: sha256_hex(&item.bytes), json, pushed_ms });
        Ok(())
    };
    match source {
        Source::Db(db) => {
            let store = Store::open_read_only(db).map_err(|e| ReadError::Io(e.to_string()))?;
            let mut after = 0;
            loop {
                let page = store.bundles_after(after, 512).map_err(|e| ReadError::Io(e.to_string()))?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                for b in page {
                    let item = Item {
                        origin: format!("seq {} ({})", b.seq, b.bundle_id),
                        seq: b.seq,
                        bundle_id: b.bundle_id,
                        bytes: b.bytes,
                        signature: b.signature,
                    };
                    pass(item, b.pushed_ms).map_err(ReadError::Io)?;
                }
            }
        }
        Source::Dir(dir) => {
            for (seq, id, path) in bundle_files(dir).map_err(ReadError::Io)? {
                let origin = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let read = |p: &Path, cap| {
                    crate::fsutil::read_capped(p, cap, crate::fsutil::Follow::Never)
                        .map_err(|e| ReadError::Io(format!("{}: {e}", p.display())))
                };
                let bytes = read(&path, 2 * super::bundle::MAX_BUNDLE_BYTES as u64)?;
                let signature = read(&PathBuf::from(format!("{}.sig", path.display())), 1024)?;
                pass(Item { origin, seq, bundle_id: id, bytes, signature }, None).map_err(ReadError::Io)?;
            }
        }
    }
    let second = again.finish();
    if !second.ok() || second.range != first.range || handed != first.checked {
        let mut problems = second.problems;
        problems.push(format!(
            "the evidence changed while it was read: verified seq {}..={} ({} bundles), then read {} bundles ({:?})",
            range.0, range.1, first.checked, handed, second.range
        ));
        return Err(ReadError::NotVerified(problems));
    }
    Ok(Chain {
        source: source.describe(),
        delivery_known: matches!(source, Source::Db(_)),
        bundles: first.checked,
        seq_range: range,
        key_fingerprint: first.first_key.clone().unwrap_or_default(),
        key_changes: first.key_changes.iter().map(|c| format!("after seq {}: {} -> {}", c.seq, c.from, c.to)).collect(),
    })
}

/// The `<seq>-<bundle_id>.json` files of an export, in seq order (other
/// names are the first pass's business).
fn bundle_files(dir: &Path) -> Result<Vec<(u64, String, PathBuf)>, String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".json") else { continue };
        if let Some((seq, id)) = stem.split_once('-').and_then(|(s, id)| Some((s.parse::<u64>().ok()?, id.to_string())))
        {
            files.push((seq, id, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}
