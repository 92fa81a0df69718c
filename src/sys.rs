//! The only module that calls into libc directly.
//!
//! Owns: `poll(2)` on pipes, killing a process group, and reading the kernel
//! clock state with `adjtimex(2)` (read-only). Everything else in the crate is
//! `unsafe`-free; each block here carries a SAFETY note and must stay small.
//! Must never: change the clock, send signals to anything but a process group
//! this process created, or hand raw pointers out of this module.
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
