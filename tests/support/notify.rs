//! A `NOTIFY_SOCKET` the test owns: collects the agent's sd_notify
//! datagrams and waits for one, with a deadline.
//!
//! `recv` with a timeout (SO_RCVTIMEO) is one of the calls Linux never
//! restarts: it fails with EINTR when the process is stopped and continued
//! (a paused CI machine, a frozen cgroup), and with EAGAIN when the timeout
//! passes. Neither is "the agent is silent": only the deadline is.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The socket and everything received on it so far.
pub struct NotifySocket {
    sock: UnixDatagram,
    path: PathBuf,
    /// Every datagram, in arrival order.
    pub seen: Vec<String>,
}

impl NotifySocket {
    /// Binds `dir/notify.sock`.
    pub fn bind(dir: &Path) -> NotifySocket {
        let path = dir.join("notify.sock");
        let sock = UnixDatagram::bind(&path).unwrap_or_else(|e| panic!("bind {}: {e}", path.display()));
        NotifySocket { sock, path, seen: Vec::new() }
    }

    /// The path to put in `NOTIFY_SOCKET`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Collects datagrams until one has the line `want` or `within` passes.
    pub fn wait_for(&mut self, want: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let mut buf = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.sock.set_read_timeout(Some(left.max(Duration::from_millis(1)))).expect("set_read_timeout");
            match self.sock.recv(&mut buf) {
                Ok(n) => {
                    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let hit = msg.lines().any(|l| l == want);
                    self.seen.push(msg);
                    if hit {
                        return true;
                    }
                }
                // Interrupted (stop/continue) or the timeout: only the
                // deadline above ends the wait.
                Err(e) if matches!(e.kind(), std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock) => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("recv on {}: {e}", self.path.display()),
            }
        }
    }

    /// The `STATUS=` values seen, in order.
    pub fn statuses(&self) -> Vec<String> {
        self.seen.iter().flat_map(|m| m.lines()).filter_map(|l| l.strip_prefix("STATUS=")).map(str::to_string).collect()
    }
}
