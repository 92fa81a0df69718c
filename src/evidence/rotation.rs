//! Evidence key rotation at start-up (docs/evidence.md, "Rotating the
//! evidence key").
//!
//! `keygen --rotate` puts a new key at `signing_key_file` and keeps the old
//! one as `signing_key_file.old`. At its next start the agent looks at the
//! newest bundle: signed by the current key, nothing to do; a
//! `key_rotation` to the current key, already done; signed by the old key,
//! it appends a `key_rotation` bundle signed by the old key naming the new
//! one, and only then removes `.old`. The newest bundle alone decides, so a
//! crash at any step is resumed at the next start, and a rotation is never
//! written twice. If the store refuses the rotation bundle (a full disk),
//! this run keeps signing with the old key and the next start tries again:
//! the chain never changes key without a signed link.
//!
//! Must never: delete `.old` before the rotation is committed, or sign a
//! rotation with any key but the one that signed the newest bundle.

use super::attest::Writer;
use super::bundle::{Header, Rotation};
use super::{Kind, Outcome, Record};
use crate::keys::{fingerprint, old_key_path, SigningKey};
use crate::store::Store;
use ed25519_compact::{PublicKey, Signature};
use std::path::Path;

/// What start-up found about the evidence key.
#[derive(Debug)]
pub enum KeyStart {
    /// A new chain, or the newest bundle is signed by the current key.
    Same,
    /// A `key_rotation` bundle was written now, at `seq`.
    Rotated {
        /// Its seq.
        seq: u64,
        /// Old key fingerprint.
        from: String,
        /// New key fingerprint.
        to: String,
    },
    /// An earlier start wrote the rotation (and may not have removed
    /// `.old`; done now).
    AlreadyRotated,
    /// The store refused the rotation bundle: this run must sign with the
    /// old key (returned) and the next start tries again.
    Deferred {
        /// The store's error.
        error: String,
        /// The old key.
        old: SigningKey,
    },
    /// The newest bundle is signed by neither the current key nor a usable
    /// `.old`: the chain cannot link the change. An alert says so.
    Unlinked {
        /// The newest bundle's seq.
        last_seq: u64,
        /// Why `.old` could not be used.
        why: String,
    },
}

fn signed_by(b: &crate::store::StoredBundle, pk: &PublicKey) -> bool {
    Signature::from_slice(&b.signature).is_ok_and(|s| pk.verify(&b.bytes, &s).is_ok())
}

/// Decides, and writes the rotation when one is due (see the module docs).
/// `writer` signs with the current key; `key_path` is `signing_key_file`.
pub fn at_start(store: &Store, writer: &Writer, key: &SigningKey, key_path: &Path, now_ms: i64) -> KeyStart {
    let old_path = old_key_path(key_path);
    let tip = match store.chain_tip() {
        Ok(t) => t,
        Err(e) => return KeyStart::Unlinked { last_seq: 0, why: format!("cannot read the chain tip: {e}") },
    };
    let newest = match store.bundles_after(tip.seq.saturating_sub(1), 1) {
        Ok(mut v) => v.pop(),
        Err(e) => return KeyStart::Unlinked { last_seq: tip.seq, why: format!("cannot read seq {}: {e}", tip.seq) },
    };
    let Some(newest) = newest else { return KeyStart::Same };
    let current = key.public();
    let header = serde_json::from_slice::<Header>(&newest.bytes).ok();
    if signed_by(&newest, &current) {
        // A rotation the current key signed names the key every later
        // bundle needs: if the file holds the key before it again (restored
        // by hand or by a secrets manager), signing on would break the chain.
        if let Some(r) = header.as_ref().and_then(|h| h.rotation.as_ref()) {
            if r.new_key_sha256 != fingerprint(&current) {
                return KeyStart::Unlinked {
                    last_seq: newest.seq,
                    why: format!(
                        "seq {} rotated the key to {}, but {} holds the key before it ({})",
                        newest.seq,
                        r.new_key_sha256,
                        key_path.display(),
                        fingerprint(&current)
                    ),
                };
            }
        }
        // `keygen --rotate` interrupted after keeping the old key but before
        // putting the new one in place leaves `.old` equal to the key: not a
        // rotation, and it would block the next one.
        if SigningKey::load(&old_path).is_ok_and(|k| k.public() == current) {
            remove_old(&old_path);
        }
        return KeyStart::Same;
    }
    if header.as_ref().and_then(|h| h.rotation.as_ref()).is_some_and(|r| r.new_key_sha256 == fingerprint(&current)) {
        remove_old(&old_path);
        return KeyStart::AlreadyRotated;
    }
    let old = match SigningKey::load(&old_path) {
        Ok(k) => k,
        Err(e) => {
            let why = match &e {
                crate::keys::KeyError::Io(_, io) if io.kind() == std::io::ErrorKind::NotFound => {
                    format!("no {} (the key was replaced without `keygen --rotate`)", old_path.display())
                }
                _ => e.to_string(),
            };
            return KeyStart::Unlinked { last_seq: newest.seq, why };
        }
    };
    if !signed_by(&newest, &old.public()) {
        return KeyStart::Unlinked {
            last_seq: newest.seq,
            why: format!("{} (fingerprint {}) did not sign it either", old_path.display(), fingerprint(&old.public())),
        };
    }
    let rotation = Rotation::new(&old.public(), &current);
    let mut rec = Record::new(Kind::KeyRotation, Outcome::Success, now_ms).reason("key_rotation").detail(format!(
        "the evidence key changes: this bundle is signed by the old key {}; every later bundle by the new key {}",
        rotation.old_key_sha256, rotation.new_key_sha256
    ));
    rec.rotation = Some(rotation);
    let old_writer = Writer::new(writer.context().clone(), old.clone());
    match old_writer.append(store, &rec, None, now_ms) {
        Ok(b) => {
            store.sync_head();
            remove_old(&old_path);
            KeyStart::Rotated { seq: b.seq, from: fingerprint(&old.public()), to: fingerprint(&current) }
        }
        Err(e) => KeyStart::Deferred { error: e.to_string(), old },
    }
}

/// Removes `.old` once the rotation is committed; a failure (a read-only
/// key directory) is logged for the operator to finish.
fn remove_old(old_path: &Path) {
    match std::fs::remove_file(old_path) {
        Ok(()) => log::info!("evidence key rotation recorded; removed {}", old_path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => log::warn!(
            "evidence key rotation recorded, but {} could not be removed ({e}); remove it by hand",
            old_path.display()
        ),
    }
}
