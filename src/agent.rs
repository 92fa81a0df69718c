//! The agent loop: one thread, an explicit state machine.
//!
//! ```text
//!            ┌──────────────────────────────────────────────┐
//!            ▼                                              │
//!  start ─► Idle ─► Poll ─► Detect ─► Heal ─► Attest ─► Flush
//!            │        │        │        │        │          │
//!            │        └────────┴────────┴────────┴─► Flush  │  stop requested:
//!            │                                     (final)  │  skip to a final
//!            └─ SIGTERM while idle: wakes at once ──► exit ◄┘  Flush, then exit
//! ```
//!
//! Idle sleeps `poll_interval_secs` ± `jitter_percent` (drawn fresh each
//! cycle) and wakes at once on SIGTERM/SIGINT. Each transition is logged and
//! published as systemd `STATUS=`. A stop request is honoured only between
//! states (the safe points), so work in progress always completes or rolls
//! back before the agent exits.
//!
//! Owns: sequencing and the cycle report. Must never: do a state's work
//! itself (that belongs to orders/checks/heal/evidence), or sleep without
//! feeding the watchdog.

use crate::config::Config;
use crate::exec::SystemRunner;
use crate::keys::SigningKey;
use crate::notify::Notifier;
use crate::signals::{Shutdown, Wake};
use std::fmt;
use std::time::{Duration, Instant};

/// The loop's states, in cycle order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Sleeping until the next cycle.
    Idle,
    /// Fetching and verifying orders from the MCP.
    Poll,
    /// Running the drift checks.
    Detect,
    /// Remediating drift and executing accepted orders.
    Heal,
    /// Writing signed evidence.
    Attest,
    /// Pushing evidence to the MCP.
    Flush,
}

impl State {
    /// The next state of a normal cycle.
    pub fn next(self) -> State {
        match self {
            State::Idle => State::Poll,
            State::Poll => State::Detect,
            State::Detect => State::Heal,
            State::Heal => State::Attest,
            State::Attest => State::Flush,
            State::Flush => State::Idle,
        }
    }

    /// The next state when a stop was requested: whatever work is left is
    /// skipped, but evidence already written still gets one flush.
    pub fn next_when_stopping(self) -> State {
        match self {
            State::Idle | State::Flush => State::Idle,
            State::Poll | State::Detect | State::Heal | State::Attest => State::Flush,
        }
    }

    /// Lowercase name for logs and STATUS=.
    pub fn name(self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::Poll => "poll",
            State::Detect => "detect",
            State::Heal => "heal",
            State::Attest => "attest",
            State::Flush => "flush",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What one cycle found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// States visited, in order (Idle excluded).
    pub visited: Vec<State>,
    /// Drift that remains after Heal.
    pub drift_remaining: bool,
    /// An action (heal or order) failed.
    pub action_failed: bool,
    /// The cycle was cut short by a stop request.
    pub interrupted: bool,
}

impl CycleReport {
    /// Exit status for `--once`: 0 compliant (or healed), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.drift_remaining || self.action_failed {
            crate::EXIT_DRIFT
        } else {
            crate::EXIT_OK
        }
    }
}

/// The poll interval with a fresh ± jitter: `base` ± `percent` %, with the
/// offset chosen by `random` (uniform over the whole range, millisecond
/// resolution).
pub fn jittered(base_secs: u64, percent: u8, random: u64) -> Duration {
    let base_ms = base_secs.saturating_mul(1000);
    let span = base_ms / 100 * u64::from(percent) + base_ms % 100 * u64::from(percent) / 100;
    if span == 0 {
        return Duration::from_millis(base_ms);
    }
    let offset = random % (2 * span + 1);
    Duration::from_millis(base_ms - span + offset)
}

/// The running agent.
#[derive(Debug)]
pub struct Agent {
    config: Config,
    #[allow(dead_code)] // used by the evidence writer (next issues); loaded now so a bad key fails at start-up
    key: SigningKey,
    notifier: Notifier,
    #[allow(dead_code)] // used by checks and heals
    runner: SystemRunner<Notifier>,
}

impl Agent {
    /// Builds the agent from a validated configuration and its signing key.
    pub fn new(config: Config, key: SigningKey, notifier: Notifier) -> Self {
        let runner = SystemRunner::new(notifier.clone());
        Agent { config, key, notifier, runner }
    }

    fn enter(&self, from: State, to: State) {
        log::info!("state {from} -> {to}");
        self.notifier.status(&format!("{to}"));
    }

    /// Runs one cycle, Poll through Flush, honouring stop requests between
    /// states.
    pub fn cycle(&mut self, shutdown: &Shutdown) -> CycleReport {
        let mut report = CycleReport::default();
        let mut state = State::Idle;
        loop {
            let next = if shutdown.requested() && state != State::Idle {
                report.interrupted = true;
                state.next_when_stopping()
            } else {
                state.next()
            };
            if next == State::Idle {
                self.enter(state, next);
                return report;
            }
            self.enter(state, next);
            let started = Instant::now();
            self.step(next, &mut report);
            log::debug!("{next} took {} ms", started.elapsed().as_millis());
            report.visited.push(next);
            state = next;
        }
    }

    /// One state's work. Each arm says honestly what this build does there.
    fn step(&mut self, state: State, _report: &mut CycleReport) {
        match state {
            State::Idle => {}
            State::Poll => log::info!("poll: this build has no MCP client yet; no orders fetched"),
            State::Detect => log::info!("detect: this build has no drift checks yet; nothing observed"),
            State::Heal => log::info!("heal: nothing to heal (no checks or orders in this build)"),
            State::Attest => log::info!("attest: this build has no evidence store yet; nothing recorded"),
            State::Flush => log::info!("flush: nothing to push (no evidence store in this build)"),
        }
    }

    /// The daemon loop: READY=1, then cycles separated by jittered sleeps
    /// until SIGTERM/SIGINT; STOPPING=1 and exit status 0.
    pub fn run(&mut self, shutdown: &Shutdown) -> i32 {
        self.notifier.ready("idle");
        log::info!(
            "compliance-agent {} started for site {} appliance {}; polling every {} s ± {} %",
            crate::build_info().version_line(),
            self.config.site_id,
            self.config.appliance_id,
            self.config.poll_interval_secs,
            self.config.jitter_percent
        );
        let beat = self.notifier.watchdog_interval().unwrap_or(Duration::from_secs(1)).min(Duration::from_secs(1));
        loop {
            let report = self.cycle(shutdown);
            if report.interrupted || shutdown.requested() {
                break;
            }
            let pause = jittered(self.config.poll_interval_secs, self.config.jitter_percent, crate::rand::u64());
            log::debug!("idle for {} ms", pause.as_millis());
            if shutdown.sleep(pause, beat, &self.notifier) == Wake::Stop {
                break;
            }
        }
        log::info!("stop requested; exiting");
        self.notifier.stopping("stopping");
        crate::EXIT_OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_order_and_stop_transitions() {
        let mut s = State::Idle;
        let mut seen = vec![];
        for _ in 0..6 {
            s = s.next();
            seen.push(s);
        }
        assert_eq!(seen, [State::Poll, State::Detect, State::Heal, State::Attest, State::Flush, State::Idle]);
        for s in [State::Poll, State::Detect, State::Heal, State::Attest] {
            assert_eq!(s.next_when_stopping(), State::Flush);
        }
        assert_eq!(State::Flush.next_when_stopping(), State::Idle);
    }

    #[test]
    fn jitter_stays_in_range_and_covers_it() {
        assert_eq!(jittered(60, 0, 12345), Duration::from_secs(60));
        assert_eq!(jittered(60, 10, 0), Duration::from_millis(54_000));
        assert_eq!(jittered(60, 10, 12_000), Duration::from_millis(66_000));
        assert_eq!(jittered(60, 10, 12_001), Duration::from_millis(54_000));
        for r in [1u64, 999, 6_000, u64::MAX, 0xdead_beef] {
            let d = jittered(60, 50, r);
            assert!(d >= Duration::from_secs(30) && d <= Duration::from_secs(90), "{d:?}");
        }
        assert_eq!(jittered(1, 50, 0), Duration::from_millis(500));
    }

    #[test]
    fn exit_codes() {
        assert_eq!(CycleReport::default().exit_code(), 0);
        assert_eq!(CycleReport { drift_remaining: true, ..Default::default() }.exit_code(), 1);
        assert_eq!(CycleReport { action_failed: true, ..Default::default() }.exit_code(), 1);
    }
}
