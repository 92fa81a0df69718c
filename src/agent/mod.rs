//! The agent loop: one thread, an explicit state machine.
//!
//! ```text
//!            ┌──────────────────────────────────────────────┐
//!            ▼                                              │
//!  start ─► Idle ─► Poll ─► Detect ─► Heal ─► Attest ─► Flush
//!            │        │        │        │        ▲          │
//!            │        └────────┴────────┴────────┘          │  stop requested:
//!            │         (skip the remaining work, but        │  attest what was
//!            │          always attest what happened)        │  done, a short
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
//!
//! Each state's work lives in its own file: [`poll`] (orders from the
//! MCP), [`detect`] (the checks), [`heal`] (orders and drift through the
//! remediation engine), [`attest`] (evidence), [`flush`] (the outbox, retention,
//! status); [`start`] opens everything before the first cycle.

mod attest;
mod certs;
mod detect;
mod flush;
mod heal;
pub mod plan;
mod poll;
mod start;

pub use poll::{refusal_window, RefusalWindow, REFUSAL_FLOOD};
pub use start::{check_state_dir, inspect_state_dir, StartError, StateDirProblem};

use crate::checks::{self, CheckName};
use crate::clock::Clock;
use crate::config::Config;
use crate::evidence::attest::Attestor;
use crate::evidence::flush::FlushLimits;
use crate::evidence::Record;
use crate::exec::SystemRunner;
use crate::mcp::Transport;
use crate::notify::Notifier;
use crate::orders::Policy;
use crate::signals::{Shutdown, Wake};
use crate::store::Store;
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
    /// skipped, but what was already done is always attested (evidence is
    /// never dropped) and gets one short flush.
    pub fn next_when_stopping(self) -> State {
        match self {
            State::Idle | State::Flush => State::Idle,
            State::Poll | State::Detect | State::Heal => State::Attest,
            State::Attest => State::Flush,
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
    /// The state database is no longer the file at its path (deleted with
    /// the state directory, or replaced): the agent must exit so that the
    /// next start takes the loss-recovery path.
    pub store_lost: Option<String>,
    /// Evidence records the store has not taken yet (a full file system).
    pub pending_evidence: usize,
    /// Why the MCP was not reached this cycle (None: the poll worked).
    pub mcp_error: Option<String>,
    /// Bundles the MCP receipted this cycle.
    pub pushed: u64,
    /// Bundles still without a receipt after this cycle's Flush.
    pub unpushed: u64,
    /// Per check, what the cycle ended with: `compliant`, `healed`,
    /// `deferred until …`, `drift`, `error`, … (for the `--once` summary).
    pub checks: std::collections::BTreeMap<String, String>,
}

impl CycleReport {
    /// Exit status for `--once` (see [`crate::EXIT_CODES`]): 74 when the
    /// database vanished; 1 when drift remains, an action failed or
    /// evidence could not even be stored; 69 when compliant but the MCP was
    /// not reached or bundles are still unpushed; else 0.
    pub fn exit_code(&self) -> i32 {
        if self.store_lost.is_some() {
            crate::EXIT_IOERR
        } else if self.drift_remaining || self.action_failed || self.pending_evidence > 0 {
            crate::EXIT_DRIFT
        } else if self.mcp_error.is_some() || self.unpushed > 0 {
            crate::EXIT_UNAVAILABLE
        } else {
            crate::EXIT_OK
        }
    }

    /// One line a person can read: each check, the MCP, the evidence.
    pub fn summary(&self) -> String {
        let checks: Vec<String> = self.checks.iter().map(|(c, s)| format!("{c} {s}")).collect();
        let mcp = match &self.mcp_error {
            None => "MCP reached".to_string(),
            Some(why) => format!("MCP NOT reached ({why})"),
        };
        let bundles = |n: u64| if n == 1 { "1 bundle".to_string() } else { format!("{n} bundles") };
        let evidence = if self.unpushed == 0 {
            format!("{} delivered", bundles(self.pushed))
        } else {
            format!("{} delivered, {} queued", bundles(self.pushed), self.unpushed)
        };
        let mut line =
            format!("{}; {mcp}; {evidence}", if checks.is_empty() { "no checks".into() } else { checks.join(", ") });
        if self.pending_evidence > 0 {
            line.push_str(&format!("; {} records NOT stored (disk full)", self.pending_evidence));
        }
        if let Some(why) = &self.store_lost {
            line.push_str(&format!("; state database lost: {why}"));
        }
        line
    }

    /// The machine-readable form of [`CycleReport::summary`].
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "exit_code": self.exit_code(),
            "checks": self.checks,
            "drift_remaining": self.drift_remaining,
            "action_failed": self.action_failed,
            "mcp_reached": self.mcp_error.is_none(),
            "mcp_error": self.mcp_error,
            "bundles_delivered": self.pushed,
            "bundles_queued": self.unpushed,
            "records_not_stored": self.pending_evidence,
            "store_lost": self.store_lost,
            "interrupted": self.interrupted,
        })
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

/// Everything one cycle produced.
#[derive(Debug, Default)]
struct Cycle {
    report: CycleReport,
    /// Evidence to attest.
    records: Vec<Record>,
    /// A `run_checks` order is queued: Detect runs every check.
    run_checks_ordered: bool,
    /// The MCP answered this cycle's poll (Flush may skip its back-off).
    mcp_reachable: bool,
    /// Per-check results for the cycle bundle.
    results: serde_json::Map<String, serde_json::Value>,
    /// Checks an order remediated this cycle (drift healing leaves them be).
    remediated: Vec<CheckName>,
    /// What Heal did about a check this cycle, for the summary (`healed`,
    /// `deferred until …`, `repair failed`, …).
    heal_notes: std::collections::BTreeMap<CheckName, String>,
}

/// The running agent.
pub struct Agent {
    config: Config,
    notifier: Notifier,
    runner: SystemRunner<Notifier>,
    store: Store,
    mcp: Box<dyn Transport>,
    policy: Policy,
    clock: Box<dyn Clock>,
    attestor: Attestor,
    flush_limits: FlushLimits,
    /// The latest result of each check and when it ran (Unix ms).
    last_checks: std::collections::BTreeMap<CheckName, (i64, checks::CheckResult)>,
    /// The exclusive lock on `state_dir` (held for the process's life).
    lock: Option<std::fs::File>,
    /// Closing bundles of remediations the store refused (a full disk),
    /// written as soon as it takes them.
    unclosed: Vec<crate::heal::Unwritten>,
    /// The certificates whose expiry is watched.
    certs: Vec<certs::Watched>,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("site", &self.config.site_id)
            .field("store", &self.store.path())
            .finish_non_exhaustive()
    }
}

impl Agent {
    fn enter(&self, from: State, to: State) {
        log::info!("state {from} -> {to}");
        self.notifier.status(&format!("{to}"));
        self.notifier.keepalive();
    }

    /// Runs one cycle, Poll through Flush, honouring stop requests between
    /// states.
    pub fn cycle(&mut self, shutdown: &Shutdown) -> CycleReport {
        let mut cycle = Cycle::default();
        if let Err(why) = self.store.still_in_place() {
            self.store_lost(&why);
            cycle.report.store_lost = Some(why);
            return cycle.report;
        }
        if self.store.degraded() {
            match self.store.leave_degraded() {
                Ok(_) => {}
                Err(e) => {
                    let why = format!("cannot reopen the database after the file system filled up: {e}");
                    log::error!("{why}");
                    cycle.report.store_lost = Some(why);
                    return cycle.report;
                }
            }
        }
        // The whole file, once a day (store::integrity): damage stops the
        // agent, and the restart checks it in full and recovers.
        let now_secs = self.clock.now_ms() / 1000;
        if self.store.integrity_due(now_secs) {
            if let Err(why) = self.store.check_integrity(now_secs) {
                self.store_lost(&why);
                cycle.report.store_lost = Some(why);
                return cycle.report;
            }
        }
        let mut state = State::Idle;
        loop {
            let next = if shutdown.requested() && state != State::Idle {
                cycle.report.interrupted = true;
                state.next_when_stopping()
            } else {
                state.next()
            };
            self.enter(state, next);
            if next == State::Idle {
                cycle.report.pending_evidence = self.attestor.pending() + self.unclosed.len();
                cycle.report.checks = self
                    .last_checks
                    .iter()
                    .map(|(c, (_, r))| {
                        let verdict = match r.verdict {
                            checks::Verdict::Compliant => "compliant",
                            checks::Verdict::Drift => "DRIFT",
                            checks::Verdict::Error => "ERROR",
                        };
                        let state = match cycle.heal_notes.get(c) {
                            Some(note) if r.verdict == checks::Verdict::Compliant => note.clone(),
                            Some(note) => format!("{verdict} ({note})"),
                            None => verdict.to_string(),
                        };
                        (c.as_str().to_string(), state)
                    })
                    .collect();
                self.store.sync_head();
                return cycle.report;
            }
            let started = Instant::now();
            self.step(next, &mut cycle);
            log::debug!("{next} took {} ms", started.elapsed().as_millis());
            cycle.report.visited.push(next);
            state = next;
        }
    }

    /// One state's work. Each arm says honestly what this build does there.
    fn step(&mut self, state: State, cycle: &mut Cycle) {
        match state {
            State::Idle => {}
            State::Poll => self.poll(cycle),
            State::Detect => self.detect(cycle),
            State::Heal => self.heal(cycle),
            State::Attest => self.attest(cycle),
            State::Flush => {
                self.flush(cycle, self.flush_limits.time_budget);
                self.record_status(cycle, self.clock.now_ms());
            }
        }
    }

    /// The daemon loop: READY=1, then cycles separated by jittered sleeps
    /// until SIGTERM/SIGINT; STOPPING=1 and exit status 0.
    pub fn run(&mut self, shutdown: &Shutdown) -> i32 {
        let info = crate::build_info();
        self.lifecycle(
            "start",
            format!("compliance-agent {} started (pid {})", info.version_line(), std::process::id()),
        );
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
        if let Some(half) = self.notifier.watchdog_interval() {
            let mcp = &self.config.mcp;
            let worst = Duration::from_secs(mcp.connect_timeout_secs + mcp.request_timeout_secs);
            if worst >= half {
                log::warn!(
                    "mcp timeouts ({} s connect + {} s request) reach half of WatchdogSec ({} s): a stalled MCP request could trip the watchdog; lower them or raise WatchdogSec",
                    mcp.connect_timeout_secs,
                    mcp.request_timeout_secs,
                    half.as_secs()
                );
            }
        }
        loop {
            let report = self.cycle(shutdown);
            if report.store_lost.is_some() {
                self.notifier.stopping("state database lost");
                self.log_unwritten();
                return crate::EXIT_IOERR;
            }
            if report.interrupted || shutdown.requested() {
                break;
            }
            let pause = jittered(self.config.poll_interval_secs, self.config.jitter_percent, crate::rand::u64());
            let pause = crate::crashpoint::idle_pause(pause);
            log::debug!("idle for {} ms", pause.as_millis());
            if shutdown.sleep(pause, beat, &self.notifier) == Wake::Stop {
                break;
            }
        }
        log::info!("stop requested; exiting");
        self.notifier.stopping("stopping");
        self.lifecycle("stop", "stop requested by signal".to_string());
        // A short final flush so the stop bundle usually reaches the MCP.
        let mut last = Cycle::default();
        self.flush(&mut last, Duration::from_secs(5));
        self.store.sync_head();
        self.log_unwritten();
        crate::EXIT_OK
    }
}

impl Agent {
    /// Closes the database; when it was left intact, the clean close is
    /// recorded so that the next start need not read the whole file
    /// (store::integrity). Dropping the agent instead is always safe: the
    /// next start then checks it in full.
    pub fn close(self) {
        self.store.close();
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
        for s in [State::Poll, State::Detect, State::Heal] {
            assert_eq!(s.next_when_stopping(), State::Attest);
        }
        assert_eq!(State::Attest.next_when_stopping(), State::Flush);
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
