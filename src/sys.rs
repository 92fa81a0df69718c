//! The only module that calls into libc directly.
//!
//! Owns: `poll(2)` on pipes, killing a process group, reading the kernel
//! clock state with `adjtimex(2)` (read-only), free space (`statvfs`), the
//! effective uid, and ending quietly by SIGPIPE when stdout's reader is
//! gone. Everything else in the crate is `unsafe`-free; each block here
//! carries a SAFETY note and must stay small.
//! Must never: change the clock, send signals to anything but a process group
//! this process created (or SIGPIPE to itself), or hand raw pointers out of
//! this module.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

/// Waits until at least one of `fds` is readable (data, EOF or error) or the
/// timeout passes. `ready[i]` is set for each readable descriptor. An
/// interrupted wait (EINTR) returns with nothing ready, so callers simply loop.
pub fn poll_readable(fds: &[BorrowedFd<'_>], timeout: Duration, ready: &mut [bool]) -> io::Result<()> {
    debug_assert_eq!(fds.len(), ready.len());
    let mut pfds: [libc::pollfd; 4] = [libc::pollfd { fd: -1, events: 0, revents: 0 }; 4];
    if fds.len() > pfds.len() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "poll_readable: at most 4 fds"));
    }
    for (slot, fd) in pfds.iter_mut().zip(fds) {
        slot.fd = fd.as_raw_fd();
        slot.events = libc::POLLIN;
    }
    let millis = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `pfds` is a valid, initialised array of `fds.len()` pollfd
    // structs that lives for the whole call; the descriptors are borrowed, so
    // they stay open until poll returns. poll only writes `revents`.
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), fds.len() as libc::nfds_t, millis) };
    for r in ready.iter_mut() {
        *r = false;
    }
    if rc < 0 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::Interrupted { Ok(()) } else { Err(err) };
    }
    for (r, p) in ready.iter_mut().zip(&pfds) {
        *r = p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0;
    }
    Ok(())
}

/// Sends SIGKILL to the process group `pgid` (a group this process created
/// with `process_group(0)`, so its id is the leader's pid). Refuses ids that
/// would address more than one group: 0 (our own group) and 1 (kill(-1) means
/// "every process we may signal").
pub fn kill_process_group(pgid: u32) -> io::Result<()> {
    let pgid = libc::pid_t::try_from(pgid)
        .ok()
        .filter(|p| *p > 1)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "refusing to signal process group <= 1"))?;
    // SAFETY: kill has no memory-safety preconditions; the negative pid
    // addresses exactly the process group `pgid`, which is > 1 (checked above).
    let rc = unsafe { libc::kill(-pgid, libc::SIGKILL) };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    // ESRCH: the group is already gone, which is what we wanted.
    if err.raw_os_error() == Some(libc::ESRCH) {
        Ok(())
    } else {
        Err(err)
    }
}

/// True once the child `pid` has exited, *without reaping it*
/// (`waitid(WNOWAIT)`): while it is an unreaped zombie its pid — and so
/// its process group id — cannot be reused, so the group may still be
/// signalled safely. Reap it afterwards with `Child::try_wait`.
pub fn has_exited(pid: u32) -> io::Result<bool> {
    let id = libc::id_t::from(pid);
    // SAFETY: `siginfo_t` is a plain C struct for which all-zero bytes are a
    // valid value.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a valid, exclusively borrowed siginfo_t for the
    // whole call; WNOWAIT leaves the child waitable, WNOHANG never blocks.
    let rc = unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: reading si_pid of a siginfo_t that waitid filled (or left
    // zeroed when no child changed state) is valid.
    Ok(unsafe { info.si_pid() } != 0)
}

/// The effective user id of this process (the owner the state directory
/// must have).
pub fn euid() -> u32 {
    // SAFETY: geteuid takes no arguments, cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

/// Ends the process the way a coreutils program ends when its reader went
/// away: by SIGPIPE, silently. Used when writing to stdout fails with EPIPE
/// (Rust ignores SIGPIPE, so the write returned an error instead).
pub fn die_of_sigpipe() -> ! {
    // SAFETY: signal and raise have no memory-safety preconditions;
    // restoring the default action of SIGPIPE and raising it terminates
    // this process, which is the intent.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    // Not reached; if the signal were blocked, still end quietly.
    std::process::exit(141)
}

/// Bytes available to this process on the file system holding `path`
/// (`statvfs(3)`): `f_bfree` for root, which may write into the blocks
/// reserved for it, else `f_bavail`; times `f_frsize`.
pub fn free_bytes(path: &std::path::Path) -> io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))?;
    // SAFETY: `statvfs` is a plain C struct for which all-zero bytes are a
    // valid value.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated string and `st` a valid,
    // exclusively borrowed statvfs, both alive for the whole call.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let blocks = if euid() == 0 { st.f_bfree } else { st.f_bavail };
    Ok(blocks.saturating_mul(st.f_frsize))
}

/// The kernel's view of the system clock (AU-8: time stamps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockState {
    /// The kernel considers the clock synchronised (an NTP daemon disciplines
    /// it and `STA_UNSYNC` is clear).
    pub synchronized: bool,
    /// The kernel's maximum error estimate in microseconds.
    pub max_error_us: i64,
}

/// Reads the clock state with `adjtimex(2)` in read-only mode (`modes = 0`),
/// which needs no privilege and changes nothing.
pub fn clock_state() -> io::Result<ClockState> {
    // SAFETY: `timex` is a plain C struct for which all-zero bytes are a valid
    // value; `modes = 0` makes adjtimex read-only.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    // SAFETY: `tx` is a valid, exclusively borrowed timex for the whole call.
    let rc = unsafe { libc::adjtimex(&mut tx) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ClockState {
        synchronized: rc != libc::TIME_ERROR && tx.status & libc::STA_UNSYNC == 0,
        max_error_us: tx.maxerror,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    #[test]
    fn poll_reports_readable_and_idle() {
        let (mut a, b) = UnixStream::pair().unwrap();
        let mut ready = [false];
        poll_readable(&[b.as_fd()], Duration::from_millis(0), &mut ready).unwrap();
        assert!(!ready[0]);
        a.write_all(b"x").unwrap();
        poll_readable(&[b.as_fd()], Duration::from_secs(5), &mut ready).unwrap();
        assert!(ready[0]);
    }

    #[test]
    fn refuses_broad_kill() {
        assert!(kill_process_group(0).is_err());
        assert!(kill_process_group(1).is_err());
        assert!(kill_process_group(u32::MAX).is_err());
    }

    #[test]
    fn clock_state_reads() {
        let c = clock_state().unwrap();
        assert!(c.max_error_us >= 0);
    }
}
