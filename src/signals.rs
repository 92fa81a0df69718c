//! SIGTERM/SIGINT handling for a single-threaded daemon.
//!
//! Owns: a flag that says "stop at the next safe point" and a self-pipe that
//! makes the idle sleep return the moment a signal arrives (signal-hook
//! writes one byte from the handler; we block reading with a timeout).
//! Must never: do work inside the signal handler, or lose a signal that
//! arrived before the sleep started (the byte stays in the pipe).

use crate::exec::Heartbeat;
use std::io::{self, Read};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why [`Shutdown::sleep`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The full duration passed.
    Elapsed,
    /// A stop was requested.
    Stop,
}

/// The shutdown flag plus the pipe the idle sleep waits on.
#[derive(Debug)]
pub struct Shutdown {
    flag: Arc<AtomicBool>,
    wake: UnixStream,
}

impl Shutdown {
    /// Installs handlers for SIGTERM and SIGINT.
    pub fn install() -> io::Result<Self> {
        let (wake, tx) = UnixStream::pair()?;
        let flag = Arc::new(AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
            signal_hook::flag::register(sig, Arc::clone(&flag))?;
            signal_hook::low_level::pipe::register(sig, tx.try_clone()?)?;
        }
        Ok(Shutdown { flag, wake })
    }

    /// True once SIGTERM or SIGINT arrived (or [`Shutdown::request`] ran).
    pub fn requested(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Asks for a stop from inside the process (tests, fatal conditions).
    pub fn request(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Sleeps for `total`, beating `heartbeat` at least every `beat_every`,
    /// and returns at once when a stop is requested.
    pub fn sleep(&self, total: Duration, beat_every: Duration, heartbeat: &dyn Heartbeat) -> Wake {
        let deadline = Instant::now() + total;
        let beat_every = beat_every.max(Duration::from_millis(10));
        loop {
            heartbeat.beat();
            if self.requested() {
                return Wake::Stop;
            }
            let now = Instant::now();
            if now >= deadline {
                return Wake::Elapsed;
            }
            let step = deadline.saturating_duration_since(now).min(beat_every);
            if self.wake.set_read_timeout(Some(step)).is_err() {
                std::thread::sleep(step);
                continue;
            }
            let mut byte = [0u8; 64];
            match (&self.wake).read(&mut byte) {
                // A signal byte (or several): the flag is set too; loop to see it.
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => std::thread::sleep(step),
            }
        }
    }
}
