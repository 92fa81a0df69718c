//! The MCP stub (examples/mcp-stub.rs) on a port of 127.0.0.1 that can be
//! taken down and brought back: the same `serve`, `Ledger` and order files,
//! with an accept loop that can stop, and every arrival copied into the
//! demo's picture.

use crate::appliance::{lock, now_ms, Received, Shared};
use crate::stub::{serve, tls_config, Ledger};
use crate::Result;
use rustls::ServerConfig;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct Mcp {
    port: u16,
    config: Arc<ServerConfig>,
    orders: PathBuf,
    ledger: Arc<Mutex<Ledger>>,
    shared: Shared,
    running: Mutex<Option<(Arc<AtomicBool>, JoinHandle<()>)>>,
}

/// A port of 127.0.0.1 free now and below the kernel's ephemeral range, so
/// no outgoing connection takes it while the MCP is down.
fn reserved_port() -> Result<u16> {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let low: u16 = range.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(32768);
    let mut seed = compliance_agent::rand::u64();
    for _ in 0..200 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let port = 20_000 + u16::try_from((seed >> 33) % u64::from(low.saturating_sub(20_000).max(1))).unwrap_or(0);
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err("no free port for the MCP".into())
}

impl Mcp {
    pub fn new(pki: &Path, mcp_dir: &Path, shared: Shared) -> Result<Mcp> {
        let config = tls_config(&pki.join("server.pem"), &pki.join("server.key"), &pki.join("ca.pem"))
            .map_err(|e| e.to_string())?;
        Ok(Mcp {
            port: reserved_port()?,
            config,
            orders: mcp_dir.join("orders"),
            ledger: Arc::new(Mutex::new(Ledger::new(&mcp_dir.join("evidence-keys")))),
            shared,
            running: Mutex::new(None),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts listening (again) on the same port.
    pub fn up(&self) -> Result<()> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.is_some() {
            return Ok(());
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(l) => break l,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(format!("MCP: bind 127.0.0.1:{}: {e}", self.port)),
            }
        };
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let (config, orders, ledger, shared) =
            (Arc::clone(&self.config), self.orders.clone(), Arc::clone(&self.ledger), Arc::clone(&self.shared));
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let stream = match listener.accept() {
                    Ok((s, _)) => s,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                };
                if stream.set_nonblocking(false).is_err() {
                    continue;
                }
                let result = {
                    let mut ledger = ledger.lock().unwrap_or_else(|e| e.into_inner());
                    serve(stream, &config, Some(&orders), &mut ledger)
                };
                match result {
                    Ok(arrivals) if !arrivals.is_empty() => {
                        let mut p = lock(&shared);
                        for a in arrivals {
                            println!("mcp: {a}");
                            p.received.push(Received { at_ms: now_ms(), arrival: a });
                        }
                        p.version += 1;
                        drop(p);
                        shared.1.notify_all();
                    }
                    Ok(_) => {}
                    Err(e) => eprintln!("mcp: {e}"),
                }
            }
        });
        *running = Some((stop, handle));
        let mut p = lock(&self.shared);
        p.mcp_up = true;
        p.event(format!("the MCP listens on https://127.0.0.1:{} (mutual TLS)", self.port));
        Ok(())
    }

    /// Stops listening: connections are refused until [`Mcp::up`].
    pub fn down(&self) {
        let taken = self.running.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some((stop, handle)) = taken {
            stop.store(true, Ordering::SeqCst);
            let _ = handle.join();
            let mut p = lock(&self.shared);
            p.mcp_up = false;
            p.event("the MCP is down: its port refuses connections");
        }
    }
}
