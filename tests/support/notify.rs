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

/// What a [`NotifyCollector`] received so far.
#[derive(Debug, Default)]
pub struct Received {
    /// Every datagram with the time it arrived, in arrival order.
    pub datagrams: Vec<(Instant, String)>,
    /// Every line of every datagram (`READY=1`, `STATUS=poll`, …), in order.
    pub lines: Vec<String>,
    counts: std::collections::HashMap<String, usize>,
}

impl Received {
    /// How many lines equal `line`.
    pub fn count(&self, line: &str) -> usize {
        self.counts.get(line).copied().unwrap_or(0)
    }
}

type Shared = std::sync::Arc<(std::sync::Mutex<Received>, std::sync::Condvar)>;

/// A `NOTIFY_SOCKET` read continuously by a thread of its own, as systemd
/// reads it: a daemon that sends thousands of datagrams never finds the
/// queue full, and every datagram keeps the time it arrived, so a test can
/// ask how long the daemon went quiet.
pub struct NotifyCollector {
    path: PathBuf,
    shared: Shared,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl NotifyCollector {
    /// Binds `dir/notify.sock` and starts reading it.
    pub fn bind(dir: &Path) -> NotifyCollector {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Condvar, Mutex};
        let path = dir.join("notify.sock");
        let sock = UnixDatagram::bind(&path).unwrap_or_else(|e| panic!("bind {}: {e}", path.display()));
        // A short timeout only so the thread sees `stop`; EINTR and EAGAIN
        // end nothing (see the module comment).
        sock.set_read_timeout(Some(Duration::from_millis(50))).expect("set_read_timeout");
        let shared: Shared = Arc::new((Mutex::new(Received::default()), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (shared, stop) = (Arc::clone(&shared), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while !stop.load(Ordering::SeqCst) {
                    match sock.recv(&mut buf) {
                        Ok(n) => {
                            let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                            let (state, cv) = &*shared;
                            let mut r = state.lock().unwrap_or_else(|e| e.into_inner());
                            for line in msg.lines() {
                                *r.counts.entry(line.to_string()).or_default() += 1;
                                r.lines.push(line.to_string());
                            }
                            r.datagrams.push((Instant::now(), msg));
                            cv.notify_all();
                        }
                        Err(e)
                            if matches!(
                                e.kind(),
                                std::io::ErrorKind::Interrupted
                                    | std::io::ErrorKind::WouldBlock
                                    | std::io::ErrorKind::TimedOut
                            ) => {}
                        Err(e) => panic!("recv on the notify socket: {e}"),
                    }
                }
            })
        };
        NotifyCollector { path, shared, stop, thread: Some(thread) }
    }

    /// The path to put in `NOTIFY_SOCKET`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Looks at what was received so far.
    pub fn with<T>(&self, f: impl FnOnce(&Received) -> T) -> T {
        f(&self.shared.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Every line received so far.
    pub fn lines(&self) -> Vec<String> {
        self.with(|r| r.lines.clone())
    }

    /// How many lines equal `line` so far.
    pub fn count(&self, line: &str) -> usize {
        self.with(|r| r.count(line))
    }

    /// Waits at most `within` until `done` holds for what was received;
    /// true if it does.
    pub fn wait_until(&self, within: Duration, done: impl Fn(&Received) -> bool) -> bool {
        let deadline = Instant::now() + within;
        let (state, cv) = &*self.shared;
        let mut guard = state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if done(&guard) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            guard = cv.wait_timeout(guard, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Waits at most `within` until `line` has arrived `n` times in all.
    pub fn wait_count(&self, line: &str, n: usize, within: Duration) -> bool {
        self.wait_until(within, |r| r.count(line) >= n)
    }

    /// The longest time between two datagrams with a line for which
    /// `wanted` holds, and between the last of them and `until`; None if
    /// there was none.
    pub fn longest_gap(&self, wanted: impl Fn(&str) -> bool, until: Instant) -> Option<Duration> {
        self.with(|r| {
            let times: Vec<Instant> =
                r.datagrams.iter().filter(|(t, m)| *t <= until && m.lines().any(&wanted)).map(|(t, _)| *t).collect();
            let last = *times.last()?;
            let inner = times.windows(2).map(|p| p[1].duration_since(p[0])).max().unwrap_or_default();
            Some(inner.max(until.saturating_duration_since(last)))
        })
    }
}

impl Drop for NotifyCollector {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
