//! Ed25519 key files: the evidence signing key and its public half.
//!
//! Owns: reading the evidence key (PKCS#8 PEM as `openssl genpkey -algorithm
//! ed25519` writes it, or a raw 32-byte seed), refusing key files that group or
//! others may read, writing a new key pair (`keygen`), and SPKI PEM for public
//! keys so that auditors can use OpenSSL; saying plainly when the key file is
//! a public key or another PEM that is no private key (the `.pub.pem` beside
//! the key is an easy file to pick). Must never: log key bytes, or overwrite
//! an existing key file.

use crate::encoding::{base64_decode, base64_encode};
use ed25519_compact::{KeyPair, PublicKey, Seed};
use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Largest key file read: a PEM Ed25519 key is 119 bytes; anything near
/// this is not a key.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;
/// DER prefix of a PKCS#8 v1 Ed25519 private key; the 32-byte seed follows.
const PKCS8_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
/// DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32-byte key follows.
const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/// Why a key file could not be used.
#[derive(Debug)]
pub enum KeyError {
    /// The file could not be read or written.
    Io(PathBuf, std::io::Error),
    /// Group or others have access; the key must be private to its owner.
    Permissions(PathBuf, u32),
    /// The content is neither PKCS#8 Ed25519 PEM nor a raw 32-byte seed.
    Format(PathBuf, String),
    /// The content is a PEM that holds no private key (a public key, a
    /// certificate): what it is and what to use instead.
    NotPrivate(PathBuf, String),
    /// `keygen` would overwrite an existing file.
    Exists(PathBuf),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            KeyError::Permissions(p, mode) => write!(
                f,
                "{}: mode {mode:04o} lets group or others access the key; run `chmod 600 {}`",
                p.display(),
                p.display()
            ),
            KeyError::Format(p, why) => write!(f, "{}: not an Ed25519 private key ({why})", p.display()),
            KeyError::NotPrivate(p, why) => write!(f, "{}: {why}", p.display()),
            KeyError::Exists(p) => write!(f, "{}: already exists; refusing to overwrite a key", p.display()),
        }
    }
}

impl std::error::Error for KeyError {}

/// The evidence signing key.
#[derive(Clone)]
pub struct SigningKey {
    pair: KeyPair,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").field("public", &base64_encode(self.pair.pk.as_ref())).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A key from its 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SigningKey { pair: KeyPair::from_seed(Seed::new(seed)) }
    }

    /// Reads a key file, refusing one that group or others can access.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let read = || crate::fsutil::read_capped(path, MAX_KEY_FILE_BYTES, crate::fsutil::Follow::Symlinks);
        let meta = fs::metadata(path).map_err(|e| KeyError::Io(path.to_path_buf(), e))?;
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            // A public key is world-readable by design: say what the file
            // is rather than ask for a chmod that would not help.
            if let Some(why) = read().ok().and_then(|bytes| not_private(&bytes)) {
                return Err(KeyError::NotPrivate(path.to_path_buf(), why));
            }
            return Err(KeyError::Permissions(path.to_path_buf(), mode));
        }
        let bytes = read().map_err(|e| KeyError::Io(path.to_path_buf(), e))?;
        if let Some(why) = not_private(&bytes) {
            return Err(KeyError::NotPrivate(path.to_path_buf(), why));
        }
        Self::parse(&bytes).map_err(|why| KeyError::Format(path.to_path_buf(), why))
    }

    /// Parses PKCS#8 PEM or a raw 32-byte seed.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() == 32 {
            let mut seed = [0u8; 32];
            seed.copy_from_slice(bytes);
            return Ok(Self::from_seed(seed));
        }
        if let Some(why) = not_private(bytes) {
            return Err(why);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "neither PEM text nor a 32-byte raw seed".to_string())?;
        let der = pem_decode(text, "PRIVATE KEY")?;
        let seed = der
            .strip_prefix(&PKCS8_PREFIX[..])
            .filter(|s| s.len() == 32)
            .ok_or_else(|| "PEM is not an Ed25519 PKCS#8 v1 key".to_string())?;
        let mut out = [0u8; 32];
        out.copy_from_slice(seed);
        Ok(Self::from_seed(out))
    }

    /// Raw Ed25519 signature over `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        *self.pair.sk.sign(msg, None)
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        self.pair.pk
    }

    /// PKCS#8 PEM of the private key.
    pub fn to_pkcs8_pem(&self) -> String {
        let mut der = PKCS8_PREFIX.to_vec();
        der.extend_from_slice(self.pair.sk.seed().as_ref());
        pem_encode("PRIVATE KEY", &der)
    }
}

/// SPKI PEM of an Ed25519 public key (what `openssl pkey -pubout` writes).
pub fn public_key_pem(pk: &PublicKey) -> String {
    pem_encode("PUBLIC KEY", &public_key_der(pk))
}

/// DER SubjectPublicKeyInfo of an Ed25519 public key (the body of its PEM).
pub fn public_key_der(pk: &PublicKey) -> Vec<u8> {
    let mut der = SPKI_PREFIX.to_vec();
    der.extend_from_slice(pk.as_ref());
    der
}

/// A public key's fingerprint: lowercase hex SHA-256 of its DER
/// SubjectPublicKeyInfo, which `openssl pkey -pubin -in KEY.pem -outform DER
/// | sha256sum` prints too. Printed in this form everywhere.
pub fn fingerprint(pk: &PublicKey) -> String {
    crate::encoding::sha256_hex(&public_key_der(pk))
}

/// Parses a base64 DER SubjectPublicKeyInfo (a PEM body on one line).
pub fn parse_public_key_der_base64(text: &str) -> Result<PublicKey, String> {
    let der = base64_decode(text).map_err(|e| format!("not base64: {e}"))?;
    let raw = der.strip_prefix(&SPKI_PREFIX[..]).filter(|k| k.len() == 32).ok_or("not an Ed25519 public key")?;
    PublicKey::from_slice(raw).map_err(|e| e.to_string())
}

/// Parses an SPKI PEM Ed25519 public key.
pub fn parse_public_key_pem(text: &str) -> Result<PublicKey, String> {
    let der = pem_decode(text, "PUBLIC KEY")?;
    let raw = der.strip_prefix(&SPKI_PREFIX[..]).filter(|k| k.len() == 32).ok_or("PEM is not an Ed25519 public key")?;
    PublicKey::from_slice(raw).map_err(|e| e.to_string())
}

/// For PEM text with no `BEGIN PRIVATE KEY` block whose first block is not
/// a private key of any format (`PUBLIC KEY`, `CERTIFICATE`, …): what it is
/// and what `signing_key_file` needs instead. `None` for anything else (a
/// 32-byte seed, an OpenSSH or encrypted private key, not PEM at all),
/// which [`SigningKey::parse`] judges.
fn not_private(bytes: &[u8]) -> Option<String> {
    if bytes.len() == 32 {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    if text.contains("-----BEGIN PRIVATE KEY-----") {
        return None;
    }
    let label = pem_label(text)?;
    if label.ends_with("PRIVATE KEY") {
        return None;
    }
    let fix = "signing_key_file needs the private key";
    Some(if label.ends_with("PUBLIC KEY") {
        format!("this is a public key (BEGIN {label}); {fix}, `compliance-agent keygen` writes both")
    } else if label.contains("CERTIFICATE") {
        format!("this is a certificate (BEGIN {label}), not a private key; {fix}, `compliance-agent keygen` writes one")
    } else {
        format!("this is not a private key (BEGIN {label}); {fix}, `compliance-agent keygen` writes one")
    })
}

/// The label of the first `-----BEGIN <label>-----` line, if it is one
/// (capital letters, digits and spaces, as RFC 7468 labels are).
fn pem_label(text: &str) -> Option<&str> {
    let rest = &text[text.find("-----BEGIN ")? + "-----BEGIN ".len()..];
    let label = &rest[..rest.find("-----")?];
    let ok = !label.is_empty()
        && label.len() <= 64
        && label.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ');
    ok.then_some(label)
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64_encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn pem_decode(text: &str, label: &str) -> Result<Vec<u8>, String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin).ok_or_else(|| format!("no `{begin}` line"))? + begin.len();
    let stop = text[start..].find(&end).ok_or_else(|| format!("no `{end}` line"))? + start;
    let body: String = text[start..stop].split_whitespace().collect();
    base64_decode(&body).map_err(|e| format!("PEM body: {e}"))
}

/// Writes a new evidence key to `out` (mode 0600, never overwriting) and its
/// public key to `out.pub.pem`. Returns the public key path.
pub fn keygen(out: &Path) -> Result<PathBuf, KeyError> {
    let pub_path = PathBuf::from(format!("{}.pub.pem", out.display()));
    for p in [out, pub_path.as_path()] {
        if p.symlink_metadata().is_ok() {
            return Err(KeyError::Exists(p.to_path_buf()));
        }
    }
    let mut seed = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
        .map_err(|_| KeyError::Io(out.to_path_buf(), std::io::Error::other("system RNG unavailable")))?;
    let key = SigningKey::from_seed(seed);
    write_new(out, key.to_pkcs8_pem().as_bytes(), 0o600)?;
    write_new(&pub_path, public_key_pem(&key.public()).as_bytes(), 0o644)?;
    Ok(pub_path)
}

/// Where `keygen --rotate` keeps the old key until the agent has recorded
/// the rotation: `PATH.old`.
pub fn old_key_path(key: &Path) -> PathBuf {
    PathBuf::from(format!("{}.old", key.display()))
}

/// `keygen --rotate`: replaces the evidence key at `out` with a new one,
/// keeping the old key as `out.old` (and its public key as
/// `out.old.pub.pem`) for the agent to sign the rotation with at its next
/// start. At every step `out` holds a usable key: the new key is written
/// beside it, the old one hard-linked to `out.old`, and the new one renamed
/// over `out`. Refuses when `out` holds no key or `out.old` exists (an
/// earlier rotation the agent has not recorded yet: rotating again would
/// lose the key that links the chain). Returns the old and new public keys.
pub fn rotate(out: &Path) -> Result<(PublicKey, PublicKey), KeyError> {
    let old = SigningKey::load(out)?;
    let old_path = old_key_path(out);
    let new_path = PathBuf::from(format!("{}.new", out.display()));
    // What an interrupted rotation leaves behind: `.old` holding the very
    // key still at `out` (the new one never got in place), and a `.new`
    // that never got renamed. Neither is a rotation waiting to be recorded.
    if SigningKey::load(&old_path).is_ok_and(|k| k.public() == old.public()) {
        fs::remove_file(&old_path).map_err(|e| KeyError::Io(old_path.clone(), e))?;
    }
    if new_path.symlink_metadata().is_ok() {
        fs::remove_file(&new_path).map_err(|e| KeyError::Io(new_path.clone(), e))?;
    }
    if old_path.symlink_metadata().is_ok() {
        return Err(KeyError::Io(
            old_path,
            std::io::Error::other(
                "exists: an earlier rotation is not yet recorded; start the agent so it signs the rotation (it then removes this file)",
            ),
        ));
    }
    let mut seed = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
        .map_err(|_| KeyError::Io(out.to_path_buf(), std::io::Error::other("system RNG unavailable")))?;
    let new = SigningKey::from_seed(seed);
    write_new(&new_path, new.to_pkcs8_pem().as_bytes(), 0o600)?;
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e: std::io::Error| KeyError::Io(p, e)
    };
    if let Err(e) = fs::hard_link(out, &old_path) {
        let _ = fs::remove_file(&new_path);
        return Err(io(&old_path)(e));
    }
    if let Err(e) = fs::rename(&new_path, out) {
        // Nothing changed: the old key is still at `out`.
        let _ = fs::remove_file(&old_path);
        let _ = fs::remove_file(&new_path);
        return Err(io(out)(e));
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
    }
    let pub_path = PathBuf::from(format!("{}.pub.pem", out.display()));
    let old_pub = PathBuf::from(format!("{}.pub.pem", old_path.display()));
    crate::fsutil::write_atomic(&old_pub, public_key_pem(&old.public()).as_bytes(), 0o644).map_err(io(&old_pub))?;
    crate::fsutil::write_atomic(&pub_path, public_key_pem(&new.public()).as_bytes(), 0o644).map_err(io(&pub_path))?;
    Ok((old.public(), new.public()))
}

/// The public key of a private key file: for `compliance-agent pubkey`.
pub fn public_of(path: &Path) -> Result<PublicKey, KeyError> {
    SigningKey::load(path).map(|k| k.public())
}

fn write_new(path: &Path, data: &[u8], mode: u32) -> Result<(), KeyError> {
    let io = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyError::Exists(path.to_path_buf())
        } else {
            KeyError::Io(path.to_path_buf(), e)
        }
    };
    let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path).map_err(io)?;
    f.write_all(data).map_err(io)?;
    f.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs8_roundtrip_and_signature() {
        let key = SigningKey::from_seed([7u8; 32]);
        let pem = key.to_pkcs8_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let again = SigningKey::parse(pem.as_bytes()).unwrap();
        assert_eq!(again.public(), key.public());
        let sig = key.sign(b"hello");
        assert!(key.public().verify(b"hello", &ed25519_compact::Signature::new(sig)).is_ok());
        let pk = parse_public_key_pem(&public_key_pem(&key.public())).unwrap();
        assert_eq!(pk, key.public());
    }

    const PUBLIC_KEY_MESSAGE: &str =
        "this is a public key (BEGIN PUBLIC KEY); signing_key_file needs the private key, \
                                      `compliance-agent keygen` writes both";

    #[test]
    fn a_public_key_or_certificate_is_named_for_what_it_is() {
        let public = public_key_pem(&SigningKey::from_seed([7u8; 32]).public());
        assert_eq!(SigningKey::parse(public.as_bytes()).unwrap_err(), PUBLIC_KEY_MESSAGE);
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let why = SigningKey::parse(cert.as_bytes()).unwrap_err();
        assert!(why.starts_with("this is a certificate (BEGIN CERTIFICATE), not a private key;"), "{why}");
        let other = "-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n";
        let why = SigningKey::parse(other.as_bytes()).unwrap_err();
        assert!(why.starts_with("this is not a private key (BEGIN X509 CRL);"), "{why}");
        // A private key in another format is not called a public key.
        let ssh = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n";
        assert!(SigningKey::parse(ssh.as_bytes()).unwrap_err().contains("no `-----BEGIN PRIVATE KEY-----` line"));
        // A public key beside the private one in the same file: the key is used.
        let both = format!("{public}{}", SigningKey::from_seed([7u8; 32]).to_pkcs8_pem());
        assert!(SigningKey::parse(both.as_bytes()).is_ok());
    }

    #[test]
    fn loading_a_public_key_says_so_before_asking_for_chmod() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("keys-public-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let key = SigningKey::from_seed([7u8; 32]);
        let public = dir.join("evidence.key.pub.pem");
        let private = dir.join("evidence.key");
        fs::write(&public, public_key_pem(&key.public())).unwrap();
        fs::write(&private, key.to_pkcs8_pem()).unwrap();
        let mut shown = Vec::new();
        for mode in [0o644, 0o600] {
            fs::set_permissions(&public, fs::Permissions::from_mode(mode)).unwrap();
            let e = SigningKey::load(&public).unwrap_err();
            shown.push(e.to_string());
            assert!(matches!(e, KeyError::NotPrivate(..)), "{e}");
        }
        // A private key that others may read is still refused for that.
        fs::set_permissions(&private, fs::Permissions::from_mode(0o644)).unwrap();
        let e = SigningKey::load(&private).unwrap_err();
        fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(e, KeyError::Permissions(..)), "{e}");
        for s in shown {
            assert_eq!(s, format!("{}: {PUBLIC_KEY_MESSAGE}", public.display()));
        }
    }

    #[test]
    fn a_rotation_interrupted_before_the_new_key_was_in_place_does_not_block_the_next() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("keys-rotate-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let out = dir.join("evidence.key");
        let key = SigningKey::from_seed([7u8; 32]);
        fs::write(&out, key.to_pkcs8_pem()).unwrap();
        fs::set_permissions(&out, fs::Permissions::from_mode(0o600)).unwrap();
        // What a crash between the hard link and the rename leaves: `.old`
        // is the key itself, and a `.new` never renamed.
        fs::hard_link(&out, old_key_path(&out)).unwrap();
        fs::write(dir.join("evidence.key.new"), b"half").unwrap();
        let (old, new) = rotate(&out).unwrap();
        assert_eq!(old, key.public());
        assert_ne!(new, old);
        assert_eq!(SigningKey::load(&old_key_path(&out)).unwrap().public(), old);
        assert!(!dir.join("evidence.key.new").exists());
        // A `.old` holding another key is a rotation still waiting: refused.
        let e = rotate(&out).unwrap_err();
        fs::remove_dir_all(&dir).unwrap();
        assert!(e.to_string().contains("an earlier rotation is not yet recorded"), "{e}");
    }

    #[test]
    fn raw_seed_and_garbage() {
        assert!(SigningKey::parse(&[1u8; 32]).is_ok());
        assert!(SigningKey::parse(&[1u8; 31]).is_err());
        assert!(SigningKey::parse(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").is_err());
    }
}
