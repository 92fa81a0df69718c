//! Small file-system helpers: the one way the agent reads a file, and the
//! one way it replaces one.
//!
//! Every file the agent reads may be a FIFO, a device or huge: a backup
//! status file named `/dev/zero`, a key file that is a FIFO nobody writes.
//! [`read_capped`] opens without blocking (`O_NONBLOCK`, so opening a FIFO
//! returns at once), requires a regular file (checked on the open
//! descriptor, so a swap after the check cannot matter) and reads through a
//! hard byte cap, never trusting the size the metadata claims (`/proc`
//! files say 0, a growing file says less than it will be).
//!
//! Files inside `state_dir` are opened with [`Follow::Never`]: a symlink
//! planted there is refused, never followed. Configured files outside it
//! (keys that sops-nix or agenix link into `/run`) may be symlinks.
//!
//! Must never: read without a cap, block on open, or follow a symlink in
//! the state directory.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Whether the last path component may be a symlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// Configured paths outside the state directory.
    Symlinks,
    /// Anything in the state directory: a symlink is an error.
    Never,
}

/// [`Follow::Never`] for a path inside `state_dir`, else [`Follow::Symlinks`].
pub fn follow_for(path: &Path, state_dir: &Path) -> Follow {
    if path.starts_with(state_dir) {
        Follow::Never
    } else {
        Follow::Symlinks
    }
}

/// What identifies a file's contents without reading them: device, inode,
/// size, and modification and change times to the nanosecond (any write
/// changes the change time, which only the kernel sets). The remembered
/// build id and the clean-close record are both keyed by it.
pub fn content_identity(meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!(
        "{} {} {} {}.{:09} {}.{:09}",
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec()
    )
}

/// Opens `path` for reading without blocking and returns it only if it is a
/// regular file. The error names what it is instead ("a FIFO", "a character
/// device", "a symbolic link", …).
pub fn open_regular(path: &Path, follow: Follow) -> io::Result<File> {
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY;
    if follow == Follow::Never {
        flags |= libc::O_NOFOLLOW;
    }
    let file = match std::fs::OpenOptions::new().read(true).custom_flags(flags).open(path) {
        Ok(f) => f,
        // O_NOFOLLOW on a symlink fails with ELOOP; say what it is.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) && follow == Follow::Never => {
            return Err(io::Error::other("is a symbolic link (refused in the state directory)"))
        }
        Err(e) => return Err(e),
    };
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    let what = if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    };
    Err(io::Error::other(format!("is {what}, not a regular file")))
}

/// Reads at most `cap` bytes of a regular file; a longer file is an error
/// (never silently truncated). See the module docs.
pub fn read_capped(path: &Path, cap: u64, follow: Follow) -> io::Result<Vec<u8>> {
    let file = open_regular(path, follow)?;
    read_to_cap(file, cap)
}

/// [`read_capped`] as UTF-8 text.
pub fn read_text_capped(path: &Path, cap: u64, follow: Follow) -> io::Result<String> {
    String::from_utf8(read_capped(path, cap, follow)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "is not UTF-8 text"))
}

/// Reads `r` to its end, failing once more than `cap` bytes arrive.
pub fn read_to_cap(r: impl Read, cap: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(cap.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(io::Error::other(format!("is larger than the {cap}-byte limit")));
    }
    Ok(buf)
}

/// SHA-256 (hex) of a regular file of at most `cap` bytes, read in 64 KiB
/// pieces (the file may be large; memory stays flat).
pub fn sha256_file(path: &Path, cap: u64, follow: Follow) -> io::Result<String> {
    let mut f = open_regular(path, follow)?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > cap {
            return Err(io::Error::other(format!("is larger than the {cap}-byte limit")));
        }
        ctx.update(&buf[..n]);
    }
    Ok(crate::encoding::hex(ctx.finish().as_ref()))
}

/// Writes `data` to `path` atomically: a new temporary file in the same
/// directory (created exclusively, never through a symlink), fsync, rename
/// over the target, fsync of the directory. A reader sees the old content or
/// the new, never a torn file; a symlink at `path` is replaced, not followed.
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp, mut f) = loop {
        let tmp = dir.join(format!(".{name}.tmp-{}-{attempt}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            // A stale temporary (or something planted): take the next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "fsutil-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
        d
    }

    #[test]
    fn reads_regular_files_up_to_the_cap_and_refuses_more() {
        let d = temp_dir("cap");
        let p = d.join("f");
        std::fs::write(&p, b"12345").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read_capped(&p, 5, Follow::Never).ok(), Some(b"12345".to_vec()));
        let e = read_capped(&p, 4, Follow::Never).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("larger than the 4-byte limit"), "{e}");
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn devices_fifos_directories_and_planted_symlinks_are_refused_without_blocking() {
        let d = temp_dir("kinds");
        let e = |p: &Path, f: Follow| read_capped(p, 1 << 20, f).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e(Path::new("/dev/zero"), Follow::Symlinks).contains("a character device"));
        assert!(e(&d, Follow::Symlinks).contains("a directory"));
        let fifo = d.join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().map(|s| s.success()).unwrap_or(false);
        if made {
            // No writer: a blocking open would hang this test forever.
            assert!(e(&fifo, Follow::Symlinks).contains("a FIFO"));
        }
        let target = d.join("target");
        std::fs::write(&target, b"x").unwrap_or_else(|e| panic!("{e}"));
        let link = d.join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap_or_else(|e| panic!("{e}"));
        assert!(e(&link, Follow::Never).contains("symbolic link"));
        assert_eq!(read_capped(&link, 10, Follow::Symlinks).ok(), Some(b"x".to_vec()));
        // /proc files report size 0 and still read.
        assert!(!read_capped(Path::new("/proc/self/stat"), 1 << 16, Follow::Symlinks).unwrap_or_default().is_empty());
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn write_atomic_replaces_a_symlink_instead_of_following_it() {
        let d = temp_dir("atomic");
        let victim = d.join("victim");
        std::fs::write(&victim, b"keep").unwrap_or_else(|e| panic!("{e}"));
        let p = d.join("head");
        std::os::unix::fs::symlink(&victim, &p).unwrap_or_else(|e| panic!("{e}"));
        // A planted temporary name is skipped, not followed either.
        let planted = d.join(format!(".head.tmp-{}-0", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap_or_else(|e| panic!("{e}"));
        write_atomic(&p, b"new", 0o600).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read(&victim).unwrap_or_default(), b"keep");
        assert_eq!(std::fs::read(&p).unwrap_or_default(), b"new");
        assert!(!std::fs::symlink_metadata(&p).map(|m| m.file_type().is_symlink()).unwrap_or(true));
        let _ = std::fs::remove_dir_all(d);
    }
}
