//! The sockets one process holds, read from /proc, and a watcher that
//! samples them for as long as the process runs.
//!
//! `/proc/<pid>/net/*` lists every socket of the process's network
//! namespace (the test MCP's listener too); only those whose inode is one
//! of the process's own descriptors (`/proc/<pid>/fd/* -> socket:[inode]`)
//! are the process's.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One socket of the process.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sock {
    /// `tcp`, `tcp6`, `udp`, `udp6`, `raw`, `raw6` or `unix`.
    pub proto: &'static str,
    /// The local address as /proc prints it (hex), or the unix path.
    pub local: String,
    /// The remote address (hex); for unix, the socket's type and state.
    pub remote: String,
    /// The state column (hex: `0A` is TCP LISTEN), or the unix flags.
    pub state: String,
}

/// `/proc/net/tcp`'s state names.
pub fn tcp_state(hex: &str) -> &'static str {
    match hex {
        "01" => "ESTABLISHED",
        "02" => "SYN_SENT",
        "03" => "SYN_RECV",
        "04" => "FIN_WAIT1",
        "05" => "FIN_WAIT2",
        "06" => "TIME_WAIT",
        "07" => "CLOSE",
        "08" => "CLOSE_WAIT",
        "09" => "LAST_ACK",
        "0A" => "LISTEN",
        "0B" => "CLOSING",
        _ => "?",
    }
}

impl Sock {
    /// Whether anyone could connect or send to it unasked: a TCP socket in
    /// LISTEN, a bound UDP or raw socket with no peer, a unix socket that
    /// accepts connections (`__SO_ACCEPTCON`) or has a name to send to.
    pub fn accepts(&self) -> bool {
        match self.proto {
            "tcp" | "tcp6" => self.state == "0A",
            "udp" | "udp6" | "raw" | "raw6" => self.remote.ends_with(":0000"),
            "unix" => {
                let flags = u32::from_str_radix(&self.state, 16).unwrap_or(0);
                flags & 0x0001_0000 != 0 || !self.local.is_empty()
            }
            _ => false,
        }
    }

    /// The remote port (inet sockets).
    pub fn remote_port(&self) -> Option<u16> {
        let (_, port) = self.remote.rsplit_once(':')?;
        u16::from_str_radix(port, 16).ok()
    }
}

impl std::fmt::Display for Sock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.proto {
            "tcp" | "tcp6" => write!(f, "{} {} -> {} {}", self.proto, self.local, self.remote, tcp_state(&self.state)),
            "unix" => write!(f, "unix {:?} flags {} {}", self.local, self.state, self.remote),
            _ => write!(f, "{} {} -> {}", self.proto, self.local, self.remote),
        }
    }
}

/// The inodes of the sockets among `pid`'s descriptors (None once the
/// process is gone).
fn socket_inodes(pid: u32) -> Option<HashSet<u64>> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    let mut out = HashSet::new();
    for entry in dir.flatten() {
        // A descriptor closed since the listing: skip it.
        let Ok(target) = std::fs::read_link(entry.path()) else { continue };
        let t = target.to_string_lossy();
        if let Some(n) = t.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
            if let Ok(inode) = n.parse() {
                out.insert(inode);
            }
        }
    }
    Some(out)
}

/// `pid`'s sockets now (None once the process is gone). A socket the
/// tables do not list (netlink, …) is left out.
pub fn sockets_of(pid: u32) -> Option<Vec<Sock>> {
    let inodes = socket_inodes(pid)?;
    let mut out = Vec::new();
    if inodes.is_empty() {
        return Some(out);
    }
    for proto in ["tcp", "tcp6", "udp", "udp6", "raw", "raw6"] {
        let Ok(table) = std::fs::read_to_string(format!("/proc/{pid}/net/{proto}")) else { continue };
        for line in table.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() > 9 && f[9].parse().is_ok_and(|i: u64| inodes.contains(&i)) {
                out.push(Sock { proto, local: f[1].into(), remote: f[2].into(), state: f[3].into() });
            }
        }
    }
    if let Ok(table) = std::fs::read_to_string(format!("/proc/{pid}/net/unix")) {
        for line in table.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() > 6 && f[6].parse().is_ok_and(|i: u64| inodes.contains(&i)) {
                let path = f.get(7).copied().unwrap_or("").to_string();
                let kind = format!("type {} state {}", f[4], f[5]);
                out.push(Sock { proto: "unix", local: path, remote: kind, state: f[3].into() });
            }
        }
    }
    Some(out)
}

/// The start time of `pid` (field 22 of its stat), to notice a reused pid.
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19).map(str::to_string)
}

/// What a [`SocketWatch`] saw.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// Samples taken while the process ran.
    pub samples: u64,
    /// Every distinct socket seen.
    pub sockets: BTreeSet<Sock>,
}

impl Seen {
    /// The sockets that accepted connections or datagrams ([`Sock::accepts`]).
    pub fn accepting(&self) -> Vec<&Sock> {
        self.sockets.iter().filter(|s| s.accepts()).collect()
    }

    /// Every inet (TCP, UDP, raw) socket seen.
    pub fn inet(&self) -> Vec<&Sock> {
        self.sockets.iter().filter(|s| s.proto != "unix").collect()
    }
}

/// Samples a process's sockets every few milliseconds on a thread of its
/// own until [`SocketWatch::finish`] or the process is gone.
pub struct SocketWatch {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
    thread: Option<JoinHandle<()>>,
}

impl SocketWatch {
    /// Starts watching `pid`.
    pub fn start(pid: u32) -> SocketWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let born = start_time(pid).unwrap_or_else(|| panic!("process {pid} is not running"));
        let thread = {
            let (stop, seen) = (Arc::clone(&stop), Arc::clone(&seen));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let Some(now) = sockets_of(pid) else { break };
                    // Counted only if the pid still names the same process.
                    if start_time(pid).as_ref() != Some(&born) {
                        break;
                    }
                    let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
                    s.samples += 1;
                    s.sockets.extend(now);
                    drop(s);
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        };
        SocketWatch { stop, seen, thread: Some(thread) }
    }

    /// What was seen so far.
    pub fn seen(&self) -> Seen {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops watching; what was seen.
    pub fn finish(mut self) -> Seen {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.seen()
    }
}

impl Drop for SocketWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
