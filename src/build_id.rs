//! The build id: what this binary is (crate version, git revision, the
//! SHA-256 of the executable file), as evidence, `--version`, `status` and
//! the metrics name it.
//!
//! Owns: `state_dir/build-id`, the executable's hash remembered with the
//! file's identity (docs/reproducible-builds.md, "The build id at
//! start-up"). Must never: use a remembered hash for a file whose identity
//! differs in any field, or read or write the cache through a symlink.

use crate::{encoding, fsutil};

/// What this binary is: crate version, git revision, executable hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// Crate version.
    pub version: &'static str,
    /// Git revision at build time, or `unknown`.
    pub git_rev: &'static str,
    /// SHA-256 of the running executable (hex), if it could be read.
    pub exe_sha256: Option<String>,
}

impl BuildInfo {
    /// `0.1.0 (git abc123, sha256 …)`.
    pub fn version_line(&self) -> String {
        match &self.exe_sha256 {
            Some(h) => format!("{} (git {}, sha256 {h})", self.version, self.git_rev),
            None => format!("{} (git {})", self.version, self.git_rev),
        }
    }

    /// The build id evidence carries: the executable hash when known (what
    /// an auditor's reproducible rebuild must match), else the git revision.
    pub fn build_id(&self) -> String {
        match &self.exe_sha256 {
            Some(h) => format!("sha256:{h}"),
            None => format!("git:{}", self.git_rev),
        }
    }
}

/// File in `state_dir` that remembers the executable's hash for the
/// build id, keyed by the executable's identity ([`build_info_in`]).
pub const BUILD_ID_CACHE: &str = "build-id";

static INFO: std::sync::OnceLock<BuildInfo> = std::sync::OnceLock::new();

fn info_with(exe_sha256: Option<String>) -> BuildInfo {
    BuildInfo { version: env!("CARGO_PKG_VERSION"), git_rev: env!("COMPLIANCE_AGENT_GIT_REV"), exe_sha256 }
}

/// The build info of this process. The first call decides it: unless
/// [`build_info_in`] came first, the executable is hashed (what `--version`
/// prints is always hashed afresh).
pub fn build_info() -> &'static BuildInfo {
    INFO.get_or_init(|| {
        info_with(fsutil::sha256_file(std::path::Path::new(EXE), EXE_CAP, fsutil::Follow::Symlinks).ok())
    })
}

/// [`build_info`], taking the executable's hash from `state_dir/build-id`
/// when that file describes this very file: same device, inode, size,
/// modification and change time (to the nanosecond), version and git
/// revision. Otherwise the executable is hashed, and — when `remember` —
/// the cache is written for the next start. Hashing the 5 MB executable
/// was 93% of a `--once` run's instructions; start-up now reads one line
/// (docs/reproducible-builds.md, "The build id at start-up", says why the
/// cache proves as much as the hash did).
pub fn build_info_in(state_dir: &std::path::Path, remember: bool) -> &'static BuildInfo {
    INFO.get_or_init(|| {
        let cache = remember.then(|| state_dir.join(BUILD_ID_CACHE));
        info_with(exe_hash(std::path::Path::new(EXE), &state_dir.join(BUILD_ID_CACHE), cache.as_deref()))
    })
}

/// The running executable (the file the process was started from, even
/// if its path was replaced since).
const EXE: &str = "/proc/self/exe";

/// No agent binary is anywhere near this large.
const EXE_CAP: u64 = 1 << 30;

/// What identifies the executable's contents without reading them: any
/// write changes the change time, which only the kernel sets.
fn exe_identity(meta: &std::fs::Metadata) -> String {
    format!("{} {} {}", fsutil::content_identity(meta), env!("CARGO_PKG_VERSION"), env!("COMPLIANCE_AGENT_GIT_REV"))
}

/// The SHA-256 of `exe`: from the cache at `read_from` when its first
/// line is exactly the open file's identity, else hashed from that open
/// file (its identity checked unchanged afterwards) and written to
/// `write_to`. The cache is read capped, never through a symlink, and a
/// malformed one is hashed over.
fn exe_hash(exe: &std::path::Path, read_from: &std::path::Path, write_to: Option<&std::path::Path>) -> Option<String> {
    // Identity and contents from one open file: what is described is what
    // would be hashed.
    let mut f = fsutil::open_regular(exe, fsutil::Follow::Symlinks).ok()?;
    let before = exe_identity(&f.metadata().ok()?);
    let cached = fsutil::read_text_capped(read_from, 512, fsutil::Follow::Never).ok().and_then(|text| {
        let (identity, hash) = text.trim_end().split_once('\n')?;
        (identity == before
            && hash.len() == 64
            && hash.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| hash.to_string())
    });
    if cached.is_some() {
        return cached;
    }
    use std::io::Read;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    // 64 KiB pieces: the executable is megabytes; reading it whole would
    // double the daemon's resident memory.
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        ctx.update(&buf[..n]);
    }
    let hash = encoding::hex(ctx.finish().as_ref());
    let after = exe_identity(&f.metadata().ok()?);
    if let Some(path) = write_to.filter(|_| after == before) {
        if let Err(e) = fsutil::write_atomic(path, format!("{before}\n{hash}\n").as_bytes(), 0o600) {
            log::debug!("cannot remember the build id in {}: {e}", path.display());
        }
    }
    Some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rand;
    use std::path::Path;

    #[test]
    fn the_cached_exe_hash_is_used_only_while_the_file_is_the_same() {
        let dir = std::env::temp_dir().join(format!("build-id-{}-{}", std::process::id(), rand::u64()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("exe");
        let cache = dir.join(BUILD_ID_CACHE);
        std::fs::write(&exe, b"one").unwrap();
        let one = encoding::sha256_hex(b"one");
        // Nothing cached: hashed, and remembered only when asked to.
        assert_eq!(exe_hash(&exe, &cache, None).as_deref(), Some(one.as_str()));
        assert!(!cache.exists());
        assert_eq!(exe_hash(&exe, &cache, Some(&cache)).as_deref(), Some(one.as_str()));
        let text = std::fs::read_to_string(&cache).unwrap();
        assert!(text.ends_with(&format!("\n{one}\n")), "{text}");
        // The cache is what is used while the identity matches (a planted
        // value shows it is not hashed again).
        let planted = "ab".repeat(32);
        let identity = text.lines().next().unwrap();
        std::fs::write(&cache, format!("{identity}\n{planted}\n")).unwrap();
        assert_eq!(exe_hash(&exe, &cache, Some(&cache)).as_deref(), Some(planted.as_str()));
        // Another version's line, or garbage: hashed again.
        std::fs::write(&cache, format!("{}x\n{planted}\n", identity)).unwrap();
        assert_eq!(exe_hash(&exe, &cache, None).as_deref(), Some(one.as_str()));
        std::fs::write(&cache, format!("{identity}\nnot-a-hash\n")).unwrap();
        assert_eq!(exe_hash(&exe, &cache, None).as_deref(), Some(one.as_str()));
        // The file changes (same size, its modification time put back):
        // the change time differs, so it is hashed again.
        std::fs::write(&cache, format!("{identity}\n{planted}\n")).unwrap();
        let mtime = std::fs::metadata(&exe).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&exe, b"two").unwrap();
        std::fs::File::options().write(true).open(&exe).unwrap().set_modified(mtime).unwrap();
        let two = encoding::sha256_hex(b"two");
        assert_eq!(exe_hash(&exe, &cache, Some(&cache)).as_deref(), Some(two.as_str()));
        assert!(std::fs::read_to_string(&cache).unwrap().ends_with(&format!("\n{two}\n")));
        // A replaced file (new inode): hashed again.
        std::fs::write(dir.join("new"), b"three").unwrap();
        std::fs::rename(dir.join("new"), &exe).unwrap();
        let three = encoding::sha256_hex(b"three");
        assert_eq!(exe_hash(&exe, &cache, Some(&cache)).as_deref(), Some(three.as_str()));
        // A symlink planted as the cache is not followed: hashed, and the
        // link replaced rather than written through.
        let elsewhere = dir.join("elsewhere");
        std::fs::write(&elsewhere, std::fs::read(&cache).unwrap()).unwrap();
        std::fs::remove_file(&cache).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &cache).unwrap();
        std::fs::write(
            &elsewhere,
            format!("{}\n{planted}\n", std::fs::read_to_string(&elsewhere).unwrap().lines().next().unwrap()),
        )
        .unwrap();
        assert_eq!(exe_hash(&exe, &cache, Some(&cache)).as_deref(), Some(three.as_str()));
        assert!(!std::fs::symlink_metadata(&cache).unwrap().file_type().is_symlink());
        assert!(std::fs::read_to_string(&elsewhere).unwrap().ends_with(&format!("\n{planted}\n")));
        // The running test binary itself: the same hash as hashing it.
        let real = fsutil::sha256_file(Path::new(EXE), EXE_CAP, fsutil::Follow::Symlinks).unwrap();
        let c2 = dir.join("self");
        assert_eq!(exe_hash(Path::new(EXE), &c2, Some(&c2)).as_deref(), Some(real.as_str()));
        assert_eq!(exe_hash(Path::new(EXE), &c2, Some(&c2)).as_deref(), Some(real.as_str()));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
