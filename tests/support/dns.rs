//! Name resolution a test owns: a small DNS server on a loopback address of
//! its own, and a way to run a program with an `/etc/resolv.conf` that
//! names only that server (a private mount namespace, so nothing else on
//! the machine sees it and no query leaves loopback).
//!
//! The server answers every question: NXDOMAIN (the name does not exist)
//! until [`FakeDns::resolve`] gives it an address, then an `A` record for
//! that name and an empty answer for every other type. It records what it
//! was asked.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One question the server was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The name, lowercase, without the final dot.
    pub name: String,
    /// The record type (1 `A`, 28 `AAAA`, …).
    pub qtype: u16,
}

#[derive(Debug, Default)]
struct State {
    answer: Option<(String, Ipv4Addr)>,
    queries: Vec<Query>,
}

/// A running DNS server on `127.x.y.z:53`.
pub struct FakeDns {
    ip: Ipv4Addr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeDns {
    /// Binds port 53 on a loopback address no other test uses (the whole
    /// 127/8 is loopback on Linux) and starts answering.
    pub fn start() -> FakeDns {
        let mut seed =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
                ^ std::process::id().rotate_left(16);
        let mut tries = 0;
        let sock = loop {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let [_, a, b, c] = seed.to_be_bytes();
            let ip = Ipv4Addr::new(127, a, b, c.clamp(2, 254));
            match UdpSocket::bind(SocketAddr::from((ip, 53))) {
                Ok(s) => break s,
                Err(e) => {
                    tries += 1;
                    assert!(tries < 50, "cannot bind a loopback DNS server: {e}");
                }
            }
        };
        let ip = match sock.local_addr().unwrap() {
            SocketAddr::V4(a) => *a.ip(),
            other => panic!("bound {other}"),
        };
        sock.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            std::thread::spawn(move || serve(&sock, &state, &stop))
        };
        FakeDns { ip, state, stop, thread: Some(thread) }
    }

    /// From now on `name` resolves to `ip` (None: nothing resolves).
    pub fn resolve(&self, answer: Option<(&str, Ipv4Addr)>) {
        self.state.lock().unwrap().answer = answer.map(|(n, ip)| (n.to_ascii_lowercase(), ip));
    }

    /// The questions asked so far.
    pub fn queries(&self) -> Vec<Query> {
        self.state.lock().unwrap().queries.clone()
    }

    /// The server's address and port as `/proc/net/udp` prints a peer.
    pub fn proc_net_addr(&self) -> String {
        let [a, b, c, d] = self.ip.octets();
        format!("{d:02X}{c:02X}{b:02X}{a:02X}:0035")
    }

    /// An `/etc/resolv.conf` naming only this server: no search list, one
    /// second per try, one try (a lost datagram is a failed lookup, which
    /// is what the tests want to see anyway).
    pub fn resolv_conf(&self) -> String {
        format!("nameserver {}\noptions timeout:1 attempts:1\n", self.ip)
    }
}

impl Drop for FakeDns {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(sock: &UdpSocket, state: &Mutex<State>, stop: &AtomicBool) {
    let mut buf = [0u8; 512];
    while !stop.load(Ordering::SeqCst) {
        let (n, from) = match sock.recv_from(&mut buf) {
            Ok(r) => r,
            Err(_) => continue, // the timeout (to see `stop`), or EINTR
        };
        let Some((name, qtype, question_end)) = parse_question(&buf[..n]) else { continue };
        let answer = {
            let mut s = state.lock().unwrap();
            s.queries.push(Query { name: name.clone(), qtype });
            s.answer.clone()
        };
        let _ = sock.send_to(&reply(&buf[..question_end], &name, qtype, answer.as_ref()), from);
    }
}

/// The first question of a query: its name, type and where it ends.
fn parse_question(q: &[u8]) -> Option<(String, u16, usize)> {
    if q.len() < 12 || q[4..6] != [0, 1] {
        return None;
    }
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*q.get(i)?);
        i += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None;
        }
        labels.push(String::from_utf8_lossy(q.get(i..i + len)?).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*q.get(i)?, *q.get(i + 1)?]);
    q.get(i + 2..i + 4)?;
    Some((labels.join("."), qtype, i + 4))
}

/// The answer to a query whose header and question are `head`.
fn reply(head: &[u8], name: &str, qtype: u16, answer: Option<&(String, Ipv4Addr)>) -> Vec<u8> {
    let known = answer.filter(|(n, _)| n == name);
    let mut out = head.to_vec();
    // QR, the query's opcode and RD, RA; RCODE 3 (NXDOMAIN) or 0.
    out[2] = 0x80 | (head[2] & 0x79);
    out[3] = 0x80 | if known.is_some() { 0 } else { 3 };
    let a = known.filter(|_| qtype == 1);
    out[6..8].copy_from_slice(&[0, u8::from(a.is_some())]); // ANCOUNT
    out[8..12].copy_from_slice(&[0, 0, 0, 0]); // NSCOUNT, ARCOUNT
    if let Some((_, ip)) = a {
        // The question's name (a pointer to offset 12), A, IN, TTL 0, 4 bytes.
        out.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4]);
        out.extend_from_slice(&ip.octets());
    }
    out
}

/// `program args…` as a command that runs with `resolv_conf` as its
/// `/etc/resolv.conf`, in a mount namespace of its own (`unshare` execs the
/// program in place: the command's pid is the program's).
pub fn with_resolv_conf(resolv_conf: &Path, program: &Path) -> Command {
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "--", "/bin/sh", "-c"])
        .arg("mount --bind \"$1\" /etc/resolv.conf && shift && exec \"$@\"")
        .arg("sh")
        .arg(resolv_conf)
        .arg(program);
    cmd
}
