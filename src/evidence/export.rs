//! `evidence export`: bundles as files for auditors, optionally for a
//! period, with zero-padded names that sort by seq and a manifest signed by
//! the evidence key recording the range and the chain head, so that
//! `evidence verify` catches a removed tail (docs/evidence.md).
//!
//! Must never: overwrite a file, follow a planted link, use a stored value
//! that is not a UUID as a file name, or sign a manifest with a key that
//! did not sign the chain's newest bundle.

use super::bundle::Header;
use super::period::Period;
use super::verify::{each_bundle, Verifier, PUBLIC_KEY_STATE};
use crate::encoding::sha256_hex;
use crate::keys::{fingerprint, SigningKey};
use crate::store::Store;
use ed25519_compact::Signature;
use std::path::{Path, PathBuf};

/// The export manifest's file name (its signature: `export.manifest.sig`).
/// Not `*.json`, so that `*.json` in an export is exactly the bundles.
pub const MANIFEST_FILE: &str = "export.manifest";
/// The manifest's `schema`.
pub const MANIFEST_SCHEMA: &str = "compliance-agent/export/v1";
/// Largest manifest read.
const MAX_MANIFEST_BYTES: u64 = 64 * 1024;
/// Digits of the zero-padded seq in exported file names (u64's widest),
/// so that file names sort by seq.
pub const SEQ_DIGITS: usize = 20;

/// What an export holds, signed by the evidence key: the chain head when
/// it was made and the range exported, so that a removed tail is caught.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_SCHEMA`].
    pub schema: String,
    /// `site_id` of the newest bundle exported.
    pub site_id: String,
    /// `appliance_id` of the newest bundle exported.
    pub appliance_id: String,
    /// When the export was made (RFC 3339 UTC).
    pub exported_at: String,
    /// The period asked for (`--since`), if any.
    pub since: Option<String>,
    /// The period asked for (`--until`), if any.
    pub until: Option<String>,
    /// First seq exported.
    pub first_seq: u64,
    /// That bundle's `prev_sha256` (links to an earlier export).
    pub first_prev_sha256: String,
    /// Last seq exported.
    pub last_seq: u64,
    /// SHA-256 of the last bundle exported.
    pub last_sha256: String,
    /// Bundles exported (`last_seq - first_seq + 1`).
    pub bundles: u64,
    /// The chain head when the export was made.
    pub head_seq: u64,
    /// SHA-256 of the bundle at `head_seq`.
    pub head_sha256: String,
    /// Fingerprint of the key that signed this manifest.
    pub key_sha256: String,
}

/// The file name of an exported bundle: `<seq, 20 digits>-<bundle_id>.json`.
pub fn bundle_file_name(seq: u64, bundle_id: &str) -> String {
    format!("{seq:0width$}-{bundle_id}.json", width = SEQ_DIGITS)
}

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Bundles written in this period (all when open).
    pub period: Period,
    /// The evidence key, to sign the manifest; without it none is written.
    pub key: Option<SigningKey>,
    /// The export time (Unix ms) for the manifest.
    pub now_ms: i64,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// Bundles written.
    pub bundles: u64,
    /// First and last seq written.
    pub range: (u64, u64),
    /// Whether a signed manifest was written.
    pub manifest: bool,
}

/// Writes `<seq>-<bundle_id>.json`, `.json.sig` (raw 64 bytes) and, if the
/// database knows it, `evidence.pub.pem`. Returns the number of bundles.
/// (No manifest: [`export_with`] with a key writes one.)
pub fn export(db: &Path, dir: &Path) -> Result<u64, String> {
    export_with(db, dir, &ExportOptions::default()).map(|e| e.bundles)
}

/// Exports the bundles written in `opts.period` — the contiguous seq range
/// from the first to the last of them, so that the chain inside still
/// verifies — with file names zero-padded to [`SEQ_DIGITS`] digits, and,
/// given the evidence key, a signed `export.manifest` recording the range
/// and the chain head at export time.
pub fn export_with(db: &Path, dir: &Path, opts: &ExportOptions) -> Result<Exported, String> {
    let store = Store::open_read_only(db).map_err(|e| e.to_string())?;
    // The head first: bundles appended meanwhile are not exported, so the
    // manifest describes exactly what was written.
    let head = store.chain_tip().map_err(|e| e.to_string())?;
    let mut range: Option<(u64, u64)> = None;
    if !opts.period.is_all() {
        each_bundle(&store, |b| {
            if b.seq > head.seq {
                return Ok(());
            }
            let h: Header =
                serde_json::from_slice(&b.bytes).map_err(|e| format!("seq {}: not a bundle: {e}", b.seq))?;
            let written = crate::clock::parse_rfc3339(&h.finished_at)
                .ok_or_else(|| format!("seq {}: finished_at {:?} is not RFC 3339", b.seq, h.finished_at))?;
            if opts.period.contains(written) {
                range = Some(range.map_or((b.seq, b.seq), |(a, _)| (a, b.seq)));
            }
            Ok(())
        })?;
        if range.is_none() {
            return Err(format!(
                "no bundle was written between {} and {}",
                opts.period.since().unwrap_or_else(|| "the start".into()),
                opts.period.until().unwrap_or_else(|| "now".into())
            ));
        }
    }
    let (lo, hi) = range.unwrap_or((0, head.seq));
    if let Some(key) = &opts.key {
        check_signs_head(&store, key, &head)?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut n = 0;
    let mut first: Option<(u64, String)> = None;
    let mut last: Option<(u64, String, Header)> = None;
    each_bundle(&store, |b| {
        if b.seq < lo || b.seq > hi {
            return Ok(());
        }
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
        let h: Header = serde_json::from_slice(&b.bytes).map_err(|e| format!("seq {}: not a bundle: {e}", b.seq))?;
        let base = dir.join(bundle_file_name(b.seq, &b.bundle_id));
        write_new(&base, &b.bytes)?;
        write_new(&PathBuf::from(format!("{}.sig", base.display())), &b.signature)?;
        n += 1;
        first.get_or_insert((b.seq, h.prev_sha256.clone()));
        last = Some((b.seq, sha256_hex(&b.bytes), h));
        Ok(())
    })?;
    if let Some(pem) = store.get_state(PUBLIC_KEY_STATE).map_err(|e| e.to_string())? {
        write_new(&dir.join("evidence.pub.pem"), pem.as_bytes())?;
    }
    let (Some((first_seq, first_prev)), Some((last_seq, last_sha, h))) = (first, last) else {
        // An empty chain: nothing to vouch for.
        return Ok(Exported { bundles: 0, range: (0, 0), manifest: false });
    };
    if let Some(key) = &opts.key {
        let m = Manifest {
            schema: MANIFEST_SCHEMA.to_string(),
            site_id: h.site_id,
            appliance_id: h.appliance_id,
            exported_at: crate::clock::rfc3339_ms(opts.now_ms),
            since: opts.period.since(),
            until: opts.period.until(),
            first_seq,
            first_prev_sha256: first_prev,
            last_seq,
            last_sha256: last_sha,
            bundles: n,
            head_seq: head.seq,
            head_sha256: head.sha256.clone(),
            key_sha256: fingerprint(&key.public()),
        };
        let bytes = serde_json::to_vec(&m).map_err(|e| e.to_string())?;
        write_new(&dir.join(MANIFEST_FILE), &bytes)?;
        write_new(&dir.join(format!("{MANIFEST_FILE}.sig")), &key.sign(&bytes))?;
    }
    Ok(Exported { bundles: n, range: (first_seq, last_seq), manifest: opts.key.is_some() })
}

/// The export key must be the chain's: it signed the newest bundle, or the
/// newest bundle is a rotation to it. Otherwise the manifest would name a
/// key no auditor links to this chain.
fn check_signs_head(store: &Store, key: &SigningKey, head: &crate::store::ChainTip) -> Result<(), String> {
    let Some(b) = store.bundles_after(head.seq.saturating_sub(1), 1).map_err(|e| e.to_string())?.pop() else {
        return Ok(());
    };
    let pk = key.public();
    let signed = Signature::from_slice(&b.signature).is_ok_and(|s| pk.verify(&b.bytes, &s).is_ok());
    let rotated_to = serde_json::from_slice::<Header>(&b.bytes)
        .ok()
        .and_then(|h| h.rotation)
        .is_some_and(|r| r.new_key_sha256 == fingerprint(&pk));
    if signed || rotated_to {
        Ok(())
    } else {
        Err(format!(
            "the key given (fingerprint {}) did not sign the newest bundle, seq {}: give the appliance's current evidence key",
            fingerprint(&pk),
            b.seq
        ))
    }
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

/// Reads `export.manifest` and its signature; None when there is no
/// manifest (an export made without `--key`, or before manifests existed).
pub(crate) fn read_manifest(dir: &Path) -> Result<Option<(Manifest, Vec<u8>)>, String> {
    let path = dir.join(MANIFEST_FILE);
    let bytes = match crate::fsutil::read_capped(&path, MAX_MANIFEST_BYTES, crate::fsutil::Follow::Never) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{MANIFEST_FILE}: {e}")),
    };
    let sig = crate::fsutil::read_capped(&dir.join(format!("{MANIFEST_FILE}.sig")), 1024, crate::fsutil::Follow::Never)
        .map_err(|e| format!("{MANIFEST_FILE}.sig: {e}"))?;
    if sig.len() != 64 {
        return Err(format!("{MANIFEST_FILE}.sig: {} bytes, not a 64-byte Ed25519 signature", sig.len()));
    }
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| format!("{MANIFEST_FILE}: not a manifest: {e}"))?;
    Ok(Some((m, [bytes, sig].concat())))
}

/// The manifest's signature, and the bundles against it: a removed tail
/// (or head) of the export shows here.
pub(crate) fn check_manifest(v: &mut Verifier, manifest: Result<Option<(Manifest, Vec<u8>)>, String>) {
    let (m, bytes_sig) = match manifest {
        Ok(Some(x)) => x,
        // Not a failure: exports made without --key (and before manifests
        // existed) verify as before. But say what is not covered.
        Ok(None) => {
            return v.set_manifest(format!(
                "none: no signed {MANIFEST_FILE} vouches for where the export ends, so bundles removed from its \
                 end would go unnoticed (export with --key)"
            ))
        }
        Err(e) => return v.problem(e),
    };
    let (bytes, sig) = bytes_sig.split_at(bytes_sig.len().saturating_sub(64));
    let signature = Signature::from_slice(sig).ok();
    let signer = v.known_keys().into_iter().find(|k| signature.as_ref().is_some_and(|s| k.verify(bytes, s).is_ok()));
    let Some(signer) = signer else {
        return v.problem(format!("{MANIFEST_FILE}: signature does not verify with any key given or rotated to"));
    };
    if m.schema != MANIFEST_SCHEMA {
        v.problem(format!("{MANIFEST_FILE}: schema {:?} is not {MANIFEST_SCHEMA}", m.schema));
    }
    if m.key_sha256 != fingerprint(&signer) {
        v.problem(format!("{MANIFEST_FILE}: names key {} but is signed by {}", m.key_sha256, fingerprint(&signer)));
    }
    let (checked, range) = v.seen();
    let (first, last) = range.unwrap_or((0, 0));
    if first != m.first_seq {
        v.problem(format!(
            "{MANIFEST_FILE} says the export starts at seq {} but the oldest bundle present is seq {first}: bundles at the start were removed",
            m.first_seq
        ));
    }
    match v.last() {
        Some((seq, sha)) if seq == m.last_seq && sha == m.last_sha256 => {}
        Some((seq, _)) if seq == m.last_seq => v.problem(format!(
            "{MANIFEST_FILE} says seq {} has hash {}, but the bundle present differs",
            m.last_seq, m.last_sha256
        )),
        _ => v.problem(format!(
            "{MANIFEST_FILE} says the export ends at seq {} but the newest bundle present is seq {last}: bundles at the end were removed",
            m.last_seq
        )),
    }
    if checked != m.bundles {
        v.problem(format!("{MANIFEST_FILE} lists {} bundles, {checked} are present", m.bundles));
    }
    let period = match (&m.since, &m.until) {
        (None, None) => String::new(),
        (s, u) => format!(", period {} .. {}", s.as_deref().unwrap_or("(start)"), u.as_deref().unwrap_or("(end)")),
    };
    v.set_manifest(format!(
        "signed by {}; exported seq {}..={} at {} when the chain head was seq {}{period}",
        fingerprint(&signer),
        m.first_seq,
        m.last_seq,
        m.exported_at,
        m.head_seq
    ));
}
