//! systemd's notify protocol (`sd_notify(3)`) over `NOTIFY_SOCKET`, with
//! std's Unix datagram socket: `READY=1`, `STATUS=`, `WATCHDOG=1`,
//! `STOPPING=1`.
//!
//! Owns: finding the socket (a path or an abstract `@name`), the watchdog
//! period (half of `WATCHDOG_USEC`, honouring `WATCHDOG_PID`), and rate-limiting
//! keep-alives so callers can call [`Notifier::beat`] as often as they like.
//! Must never: fail the agent because systemd is absent or a send failed —
//! notification is best effort and logged.

use crate::exec::Heartbeat;
use std::cell::Cell;
use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// A handle to the notify socket; cheap to clone, single-threaded.
#[derive(Debug, Clone)]
pub struct Notifier {
    inner: Rc<Inner>,
}

#[derive(Debug)]
struct Inner {
    target: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Duration>,
    last_ping: Cell<Option<Instant>>,
}

impl Notifier {
    /// A notifier that sends nothing (manual runs, tests).
    pub fn disabled() -> Self {
        Notifier { inner: Rc::new(Inner { target: None, watchdog: None, last_ping: Cell::new(None) }) }
    }

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from the
    /// environment. Without `NOTIFY_SOCKET` the notifier is disabled.
    pub fn from_env() -> io::Result<Self> {
        let socket = std::env::var_os("NOTIFY_SOCKET");
        let usec = std::env::var("WATCHDOG_USEC").ok();
        let pid = std::env::var("WATCHDOG_PID").ok();
        Self::from_parts(
            socket.as_deref().and_then(|s| s.to_str()),
            usec.as_deref(),
            pid.as_deref(),
            std::process::id(),
        )
    }

    /// Builds a notifier from the values of the three variables.
    pub fn from_parts(
        socket: Option<&str>,
        watchdog_usec: Option<&str>,
        watchdog_pid: Option<&str>,
        our_pid: u32,
    ) -> io::Result<Self> {
        let Some(socket) = socket.filter(|s| !s.is_empty()) else {
            return Ok(Self::disabled());
        };
        let addr = socket_addr(socket)?;
        let sock = UnixDatagram::unbound()?;
        let for_us = watchdog_pid.is_none_or(|p| p.trim().parse::<u32>().ok() == Some(our_pid));
        let watchdog = watchdog_usec
            .and_then(|u| u.trim().parse::<u64>().ok())
            .filter(|u| *u > 0 && for_us)
            .map(|u| Duration::from_micros(u) / 2);
        Ok(Notifier { inner: Rc::new(Inner { target: Some((sock, addr)), watchdog, last_ping: Cell::new(None) }) })
    }

    /// True when a notify socket is configured.
    pub fn enabled(&self) -> bool {
        self.inner.target.is_some()
    }

    /// The keep-alive period (half of `WATCHDOG_USEC`), if the watchdog is on.
    pub fn watchdog_interval(&self) -> Option<Duration> {
        self.inner.watchdog
    }

    /// Start-up finished.
    pub fn ready(&self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={}", one_line(status)));
        self.inner.last_ping.set(Some(Instant::now()));
    }

    /// A new human-readable status line (shown by `systemctl status`).
    pub fn status(&self, status: &str) {
        self.send(&format!("STATUS={}", one_line(status)));
    }

    /// Shutdown began.
    pub fn stopping(&self, status: &str) {
        self.send(&format!("STOPPING=1\nSTATUS={}", one_line(status)));
    }

    /// Sends `WATCHDOG=1` if half the watchdog period has passed since the
    /// last one; otherwise does nothing. Safe to call in tight loops.
    pub fn keepalive(&self) {
        let Some(period) = self.inner.watchdog else { return };
        let now = Instant::now();
        let due = self.inner.last_ping.get().is_none_or(|last| now.duration_since(last) >= period);
        if due {
            self.send("WATCHDOG=1");
            self.inner.last_ping.set(Some(now));
        }
    }

    /// Time until the next keep-alive is due (for sizing sleeps).
    pub fn until_next_keepalive(&self) -> Option<Duration> {
        let period = self.inner.watchdog?;
        let last = self.inner.last_ping.get()?;
        Some(period.saturating_sub(last.elapsed()))
    }

    fn send(&self, msg: &str) {
        if let Some((sock, addr)) = &self.inner.target {
            if let Err(e) = sock.send_to_addr(msg.as_bytes(), addr) {
                log::warn!("systemd notify: could not send {:?}: {e}", msg.lines().next().unwrap_or(""));
            }
        }
    }
}

impl Heartbeat for Notifier {
    fn beat(&self) {
        self.keepalive();
    }
}

fn socket_addr(socket: &str) -> io::Result<SocketAddr> {
    if let Some(name) = socket.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        SocketAddr::from_abstract_name(name.as_bytes())
    } else if socket.starts_with('/') {
        SocketAddr::from_pathname(socket)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("NOTIFY_SOCKET {socket:?} is neither a path nor @abstract"),
        ))
    }
}

fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener() -> (UnixDatagram, String, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("notify-test-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.sock");
        let l = UnixDatagram::bind(&path).unwrap();
        l.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        (l, path.display().to_string(), dir)
    }

    fn rand_suffix() -> u128 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    }

    fn recv(l: &UnixDatagram) -> String {
        let mut buf = [0u8; 512];
        let n = l.recv(&mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn path_socket_receives_ready_status_watchdog_stopping() {
        let (l, path, dir) = listener();
        let n = Notifier::from_parts(Some(&path), Some("2000000"), None, 1).unwrap();
        assert_eq!(n.watchdog_interval(), Some(Duration::from_secs(1)));
        n.ready("idle");
        assert_eq!(recv(&l), "READY=1\nSTATUS=idle");
        n.status("poll\nwith newline");
        assert_eq!(recv(&l), "STATUS=poll with newline");
        // Just pinged by READY: not due yet.
        n.keepalive();
        n.stopping("bye");
        assert_eq!(recv(&l), "STOPPING=1\nSTATUS=bye");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("ca-notify-test-{}", rand_suffix());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let l = UnixDatagram::bind_addr(&addr).unwrap();
        l.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let n = Notifier::from_parts(Some(&format!("@{name}")), Some("10"), None, 1).unwrap();
        n.keepalive();
        assert_eq!(recv(&l), "WATCHDOG=1");
    }

    #[test]
    fn watchdog_for_another_pid_is_ignored() {
        let n = Notifier::from_parts(Some("@x"), Some("1000000"), Some("4242"), 1).unwrap();
        assert_eq!(n.watchdog_interval(), None);
        let n = Notifier::from_parts(Some("@x"), Some("1000000"), Some("1"), 1).unwrap();
        assert!(n.watchdog_interval().is_some());
    }

    #[test]
    fn no_socket_is_disabled_and_bad_socket_is_error() {
        assert!(!Notifier::from_parts(None, None, None, 1).unwrap().enabled());
        assert!(!Notifier::from_parts(Some(""), None, None, 1).unwrap().enabled());
        assert!(Notifier::from_parts(Some("relative/sock"), None, None, 1).is_err());
    }
}
