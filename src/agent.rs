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

use crate::checks::{self, CheckName, Env};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::evidence::attest::{Attestor, Writer};
use crate::evidence::bundle::Context;
use crate::evidence::flush::{flush_with, FlushLimits};
use crate::evidence::retention::prune;
use crate::evidence::verify::{public_pem, PUBLIC_KEY_STATE};
use crate::evidence::{Kind, Outcome, Record};
use crate::exec::SystemRunner;
use crate::heal::{remediate, remediate_drift, Ctx as HealCtx, Target};
use crate::keys::SigningKey;
use crate::mcp::{McpClient, Transport};
use crate::notify::Notifier;
use crate::orders::intake::{intake, order_ref, refusal_record, unauthenticated, unauthenticated_summary, Intake};
use crate::orders::{verify, Action, Order, Policy, Reason, Refusal, Verdict};
use crate::signals::{Shutdown, Wake};
use crate::store::Store;
use std::fmt;
use std::time::{Duration, Instant};

/// Unauthenticated refusals per hour above which an `order_flood` alert
/// is raised (an MCP bug sends a few; an attacker sends the maximum).
pub const REFUSAL_FLOOD: u64 = 64;

/// State key: the refusal-rate window, `<start ms> <count>`.
const REFUSAL_WINDOW: &str = "orders.unsigned_window";

/// One hour of unauthenticated refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefusalWindow {
    /// When the hour began (Unix ms).
    pub start: i64,
    /// Refusals counted in it.
    pub count: u64,
    /// The previous hour ended at or below [`REFUSAL_FLOOD`]: an open
    /// `order_flood` episode is over.
    pub close_episode: bool,
}

/// The refusal-rate window after a poll with `new` unauthenticated
/// refusals: the same hour counts on, a new hour starts from `new` (a
/// window dated in the future, after a clock step, starts over too).
pub fn refusal_window(prev: Option<(i64, u64)>, new: u64, now_ms: i64) -> RefusalWindow {
    const HOUR_MS: i64 = 3_600_000;
    match prev {
        Some((start, count)) if now_ms >= start && now_ms - start < HOUR_MS => {
            RefusalWindow { start, count: count.saturating_add(new), close_episode: false }
        }
        Some((_, count)) => RefusalWindow { start: now_ms, count: new, close_episode: count <= REFUSAL_FLOOD },
        None => RefusalWindow { start: now_ms, count: new, close_episode: true },
    }
}

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
}

impl CycleReport {
    /// Exit status for `--once`: 0 compliant (or healed), 1 otherwise,
    /// [`crate::EXIT_IOERR`] when the database vanished.
    pub fn exit_code(&self) -> i32 {
        if self.store_lost.is_some() {
            crate::EXIT_IOERR
        } else if self.drift_remaining || self.action_failed || self.pending_evidence > 0 {
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

/// Why the agent could not start (configuration problems exit 78).
#[derive(Debug)]
pub enum StartError {
    /// A configured file or key is unusable: `(key path, message)`.
    Config(String, String),
    /// The state database could not be opened.
    Store(crate::store::StoreError),
    /// Another agent process holds `state_dir/agent.lock`.
    Busy(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Config(key, msg) => write!(f, "{key}: {msg}"),
            StartError::Store(e) => write!(f, "state database: {e}"),
            StartError::Busy(path) => {
                write!(f, "another compliance-agent holds {path}; run --once only when the daemon is stopped")
            }
        }
    }
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
}

/// Creates `state_dir` (mode 0700) if needed and refuses one the agent
/// cannot trust: a symlink, not a directory, owned by another user, or
/// writable by group or others (anyone who can write there can plant a
/// database, a baseline or a symlink).
pub fn check_state_dir(state_dir: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    if std::fs::symlink_metadata(state_dir).is_err() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(state_dir)
            .map_err(|e| format!("{}: cannot create: {e}", state_dir.display()))?;
    }
    let meta = std::fs::symlink_metadata(state_dir).map_err(|e| format!("{}: {e}", state_dir.display()))?;
    let d = state_dir.display();
    if meta.file_type().is_symlink() {
        return Err(format!("{d} is a symbolic link; point state_dir at the directory itself"));
    }
    if !meta.is_dir() {
        return Err(format!("{d} is not a directory"));
    }
    let euid = crate::sys::euid();
    if meta.uid() != euid {
        return Err(format!(
            "{d} is owned by uid {}, not by the agent's user (uid {euid}); run `chown {euid} {d}`",
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(format!("{d} has mode {mode:04o}: group or others may write to it; run `chmod 700 {d}`"));
    }
    Ok(())
}

/// Takes the exclusive lock `state_dir/agent.lock`, so a `--once` run and
/// the daemon never work on the same appliance at the same time.
fn lock_state_dir(state_dir: &std::path::Path) -> Result<std::fs::File, StartError> {
    use std::os::unix::fs::OpenOptionsExt;
    let fail = |m: String| StartError::Config("state_dir".into(), m);
    check_state_dir(state_dir).map_err(fail)?;
    let path = state_dir.join("agent.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .mode(0o600)
        .open(&path)
        .map_err(|e| fail(format!("{}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StartError::Busy(path.display().to_string())),
        Err(std::fs::TryLockError::Error(e)) => Err(fail(format!("{}: {e}", path.display()))),
    }
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
    /// Builds the agent: opens the store and the MCP client.
    pub fn new(config: Config, key: SigningKey, notifier: Notifier) -> Result<Self, StartError> {
        let mcp = McpClient::new(&config.mcp, config.site_id.as_str(), config.appliance_id.as_str())
            .map_err(|e| StartError::Config(e.key.to_string(), e.message))?;
        let lock = lock_state_dir(&config.state_dir)?;
        let (store, recovery) = Store::open_or_recover(&config.state_dir).map_err(StartError::Store)?;
        let mut agent = Self::with_parts(config, key, notifier, store, Box::new(mcp), Box::new(SystemClock));
        agent.lock = Some(lock);
        match agent.store.fail_interrupted_orders() {
            Ok(rows) => {
                for crate::store::InterruptedOrder { envelope_sha256: hash, order_id, action } in rows {
                    log::warn!(
                        "order {} ({}) was interrupted by a crash; it is not run again",
                        order_id.as_deref().unwrap_or("?"),
                        action.as_deref().unwrap_or("?")
                    );
                    let mut rec = Record::new(Kind::Order, Outcome::Failed, agent.clock.now_ms())
                        .reason("interrupted")
                        .detail("the agent stopped while this order ran; it is not run again");
                    rec.order =
                        Some(crate::evidence::OrderRef { order_id, keyid: None, action, envelope_sha256: hash });
                    agent.attestor.queue([rec]);
                }
            }
            // A full file system must not keep the agent from detecting,
            // healing and alerting: the rows stay `running` and are settled
            // at a later start.
            Err(e) if e.is_full() => log::error!("cannot settle orders a crash interrupted: {e}"),
            Err(e) => return Err(StartError::Store(e)),
        }
        if agent.store.degraded() {
            let now_ms = agent.clock.now_ms();
            agent.attestor.note_full(now_ms);
        }
        if let Some(r) = recovery {
            let last = match &r.last_known {
                Some(t) => format!("its last known bundle was seq {} with sha256 {}", t.seq, t.sha256),
                None => "its last bundle is unknown (no readable chain.head)".to_string(),
            };
            let moved = match &r.moved_to {
                Some(p) => format!("moved to {}", p.display()),
                None => "nothing to move aside".to_string(),
            };
            // The replay history went with it: the new database refuses
            // orders issued before now (written when it was created).
            let msg = format!("the state database was lost ({}; {moved}); a new chain starts here; {last}", r.error);
            log::error!("{msg}");
            // The first bundle of the new chain names the old one.
            let mut rec = Record::alert("store_corrupt", "store_corrupt", msg, agent.clock.now_ms());
            rec.pre_state = Some(serde_json::json!({
                "old_database": r.moved_to.as_ref().map(|p| p.display().to_string()),
                "last_known_seq": r.last_known.as_ref().map(|t| t.seq),
                "last_known_sha256": r.last_known.as_ref().map(|t| t.sha256.clone()),
            }));
            // Before anything else can append (a heal's closing bundle).
            agent.attestor.queue_first(rec);
        }
        // What start-up found is attested now, ahead of the first cycle's
        // work: the loss is the new chain's first bundle.
        let now_ms = agent.clock.now_ms();
        let r = agent.attestor.attest(&agent.store, now_ms);
        if let Some(e) = r.error {
            log::error!("attest at start: {e}; {} records wait in memory", r.pending);
        }
        Ok(agent)
    }

    /// Builds the agent from its parts (tests use a fake transport or clock).
    pub fn with_parts(
        config: Config,
        key: SigningKey,
        notifier: Notifier,
        store: Store,
        mcp: Box<dyn Transport>,
        clock: Box<dyn Clock>,
    ) -> Self {
        let runner = SystemRunner::new(notifier.clone());
        let policy = Policy::from_config(&config);
        let info = crate::build_info();
        let ctx = Context {
            site_id: config.site_id.to_string(),
            appliance_id: config.appliance_id.to_string(),
            deployment_mode: config.deployment_mode.as_str(),
            version: info.version,
            build: info.build_id(),
            boot_id: crate::fsutil::read_text_capped(
                std::path::Path::new("/proc/sys/kernel/random/boot_id"),
                64,
                crate::fsutil::Follow::Symlinks,
            )
            .ok()
            .map(|s| s.trim().to_string()),
            enabled_checks: policy.actions.enabled_checks.clone(),
        };
        if let Err(e) = store.set_state(PUBLIC_KEY_STATE, &public_pem(&key.public())) {
            log::warn!("cannot record the evidence public key: {e}");
        }
        let attestor = Attestor::new(Writer::new(ctx, key), config.evidence.summary_interval_secs);
        let e = &config.evidence;
        let flush_limits = FlushLimits {
            batch_items: usize::try_from(e.flush_batch_size).unwrap_or(256),
            max_per_flush: usize::try_from(e.flush_max_per_cycle).unwrap_or(usize::MAX),
            time_budget: Duration::from_secs(e.flush_time_budget_secs),
            backoff_initial: Duration::from_secs(e.flush_backoff_initial_secs),
            backoff_max: Duration::from_secs(e.flush_backoff_max_secs),
        };
        Agent {
            config,
            notifier,
            runner,
            store,
            mcp,
            policy,
            clock,
            attestor,
            flush_limits,
            last_checks: std::collections::BTreeMap::new(),
            lock: None,
            unclosed: Vec::new(),
        }
    }

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

    /// Runs the checks that are due (all of them when `run_checks` was
    /// ordered); the cycle's results carry the latest result of every
    /// enabled check.
    fn detect(&mut self, cycle: &mut Cycle) {
        let now_ms = self.clock.now_ms();
        let env = Env { config: &self.config, runner: &self.runner, clock: self.clock.as_ref(), state: &self.store };
        let mut ran = 0;
        for check in checks::enabled(&self.config) {
            let due = cycle.run_checks_ordered
                || match (self.last_checks.get(&check), checks::interval(&self.config, check)) {
                    (Some((at, _)), Some(secs)) => {
                        now_ms.saturating_sub(*at) >= i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
                    }
                    _ => true,
                };
            if !due {
                continue;
            }
            let r = checks::run(check, &env);
            ran += 1;
            log::info!("detect: {check}: {:?} in {} ms: {}", r.verdict, r.duration_ms, r.detail);
            self.last_checks.insert(check, (now_ms, r));
        }
        let mut drift = Vec::new();
        for (check, (_, r)) in &self.last_checks {
            cycle.results.insert(check.as_str().to_string(), r.summary());
            let drift_key = format!("drift_{check}");
            let error_key = format!("check_error_{check}");
            match r.verdict {
                checks::Verdict::Compliant => {
                    // The episode is over: alerts close, back-off and
                    // deferral start afresh next time.
                    let _ = self.store.clear_alerts(&drift_key);
                    let _ = self.store.clear_alerts(&error_key);
                    let _ = self.store.clear_alerts(&format!("heal_exhausted_{check}"));
                    let _ = self.store.clear_alerts(&format!("heal_failed_{check}"));
                    let _ = self.store.set_state(&format!("heal.{check}"), "0 0");
                    let _ = self.store.set_state(&format!("deferred.{check}"), "");
                }
                checks::Verdict::Drift => {
                    drift.push(check.as_str());
                    let _ = self.store.clear_alerts(&error_key);
                    // Drift the agent may not heal (encryption, nixpkgs age)
                    // needs a human; healable drift is Heal's.
                    if !r.healable {
                        let mut rec = Record::alert(&drift_key, "drift", r.detail.clone(), now_ms);
                        rec.check = Some(*check);
                        rec.pre_state = Some(r.observed.clone());
                        cycle.records.push(rec);
                    }
                }
                checks::Verdict::Error => {
                    drift.push(check.as_str());
                    let mut rec = Record::alert(&error_key, "check_error", r.detail.clone(), now_ms);
                    rec.check = Some(*check);
                    rec.actions = r.commands.clone();
                    cycle.records.push(rec);
                }
            }
        }
        cycle.report.drift_remaining = !drift.is_empty();
        log::info!(
            "detect: {ran} checks ran, {} results; {}",
            self.last_checks.len(),
            if drift.is_empty() { "compliant".to_string() } else { format!("not compliant: {}", drift.join(", ")) }
        );
    }

    fn poll(&mut self, cycle: &mut Cycle) {
        let now_ms = self.clock.now_ms();
        let envelopes = match self.mcp.fetch_orders() {
            Ok(e) => e,
            Err(e) => {
                log::warn!("poll: MCP {} failure: {e}; continuing offline", e.class());
                // One episode per failure class: a change from "refused" to
                // "timeout" is news; the same failure every minute is not.
                let key = format!("mcp_{}", e.class());
                cycle.records.push(Record::alert(&key, e.reason(), format!("{}: {e}", e.class()), now_ms));
                return;
            }
        };
        cycle.mcp_reachable = true;
        match self.store.clear_alerts("mcp_") {
            Ok(closed) => {
                for ep in closed {
                    log::info!(
                        "poll: MCP reachable again ({} since {})",
                        ep.reason,
                        crate::clock::rfc3339_ms(ep.first_ms)
                    );
                }
            }
            Err(e) => log::warn!("poll: cannot close alert episodes: {e}"),
        }
        let (mut accepted, mut refused, mut duplicate) = (0, 0, 0);
        let mut unsigned: Vec<Refusal> = Vec::new();
        for bytes in &envelopes {
            match intake(&self.store, bytes, &self.policy, now_ms.div_euclid(1000)) {
                Ok(Intake::Queued(o)) => {
                    accepted += 1;
                    log::info!("poll: accepted order {} ({}) signed by {}", o.order_id, o.action.name(), o.keyid);
                }
                Ok(Intake::Duplicate) => duplicate += 1,
                Ok(Intake::Refused(r)) => {
                    refused += 1;
                    let rec = refusal_record(&r, now_ms);
                    log::warn!("poll: refused envelope: {}", rec.summary());
                    if unauthenticated(&r) {
                        unsigned.push(r);
                    } else {
                        cycle.records.push(rec);
                    }
                }
                Err(e) => {
                    // Not recorded: the MCP lists the order again next cycle.
                    log::error!("poll: cannot record order in the store: {e}");
                    cycle.records.push(Record::alert("store_error", "store_error", e.to_string(), now_ms));
                }
            }
        }
        log::info!(
            "poll: {} envelopes: {accepted} accepted, {refused} refused, {duplicate} already seen",
            envelopes.len()
        );
        // Junk nobody signed: one bundle per poll, and an alert when it
        // comes faster than an MCP with a bug would send it.
        cycle.records.extend(unauthenticated_summary(&unsigned, now_ms));
        self.watch_refusal_rate(cycle, unsigned.len(), now_ms);
        cycle.run_checks_ordered =
            self.queued().iter().any(|(_, o)| matches!(o.as_ref().map(|o| &o.action), Ok(Action::RunChecks)));
    }

    /// Counts unauthenticated refusals per hour (see [`refusal_window`]);
    /// above [`REFUSAL_FLOOD`] an `order_flood` alert episode is open
    /// (re-alerted at most once per summary interval), closed by the first
    /// hour at or below it.
    fn watch_refusal_rate(&mut self, cycle: &mut Cycle, new: usize, now_ms: i64) {
        let prev =
            self.store.get_state(REFUSAL_WINDOW).ok().flatten().and_then(|v| {
                v.split_once(' ').and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.parse::<u64>().ok()?)))
            });
        let w = refusal_window(prev, new as u64, now_ms);
        if w.close_episode {
            let _ = self.store.clear_alerts("order_flood");
        }
        if Some((w.start, w.count)) != prev {
            self.store.put_state(REFUSAL_WINDOW, &format!("{} {}", w.start, w.count));
        }
        if w.count > REFUSAL_FLOOD {
            cycle.records.push(Record::alert(
                "order_flood",
                "refusal_flood",
                format!(
                    "{} envelopes no configured key signed since {}: someone is feeding the MCP's orders; each poll's are summarised in one bundle",
                    w.count,
                    crate::clock::rfc3339_ms(w.start)
                ),
                now_ms,
            ));
        }
    }

    /// Queued orders, each verified again (a row in the database is not
    /// trusted on its own).
    fn queued(&self) -> Vec<(String, Result<Order, Refusal>)> {
        let now = self.clock.now();
        let rows = match self.store.queued_orders() {
            Ok(r) => r,
            Err(e) => {
                log::error!("heal: cannot read queued orders: {e}");
                return Vec::new();
            }
        };
        rows.into_iter()
            .map(|q| {
                let verdict = match verify(&q.envelope, &self.policy, now) {
                    Verdict::Accepted(o) if o.envelope_sha256 == q.envelope_sha256 => Ok(o),
                    Verdict::Accepted(o) => Err(Refusal {
                        reason: Reason::Malformed,
                        envelope_sha256: q.envelope_sha256.clone(),
                        order_id: Some(o.order_id),
                        keyid: Some(o.keyid),
                        action: Some(o.action.name().to_string()),
                        expires_at: Some(o.expires_at),
                        detail: "stored envelope does not match its hash".into(),
                    }),
                    Verdict::Refused(r) => Err(r),
                };
                (q.envelope_sha256, verdict)
            })
            .collect()
    }

    fn heal(&mut self, cycle: &mut Cycle) {
        // Remediations a crash interrupted: verify, roll back if needed, and
        // write their one closing bundle (this also settles their orders).
        // Done here, after READY: during boot the system is still starting
        // and its health cannot be judged yet.
        self.write_unclosed();
        let closing: Vec<i64> = self.unclosed.iter().filter_map(|u| u.journal).collect();
        match crate::heal::recover(&self.remediation_ctx(cycle.mcp_reachable), &closing) {
            Ok(records) => {
                for r in records {
                    log::warn!("heal: resolved an interrupted remediation: {}", r.summary());
                }
            }
            Err(e) => log::error!("heal: cannot read the journal: {e}"),
        }
        let busy = crate::heal::busy_checks(&self.store);
        let queued = self.queued();
        for (hash, verdict) in queued {
            let now_ms = self.clock.now_ms();
            let order = match verdict {
                Err(r) => {
                    let state = if r.reason == Reason::TtlElapsed { "expired" } else { "rejected" };
                    let record = refusal_record(&r, now_ms);
                    log::info!("heal: order refused: {}", record.summary());
                    if let Err(e) = self.store.set_order_state(&hash, state) {
                        log::error!("heal: cannot update order state: {e}");
                    }
                    cycle.records.push(record);
                    continue;
                }
                Ok(order) => order,
            };
            let target = self.order_target(&order.action);
            if target.as_ref().is_some_and(|t| busy.contains(&t.check())) {
                log::info!(
                    "heal: order {} waits: a remediation of the same check is still being resolved",
                    order.order_id
                );
                continue;
            }
            if target.as_ref().is_some_and(|t| t.disruptive()) && !self.window_allows(now_ms) {
                // Waits in the queue for the window (or expires there).
                self.defer(cycle, &format!("deferred.order.{hash}"), None, Some(&order), now_ms);
                continue;
            }
            if let Some(record) = self.run_order(&order, target, cycle, now_ms) {
                if record.outcome == Outcome::Failed {
                    cycle.report.action_failed = true;
                }
                log::info!("heal: order finished: {}", record.summary());
                let state = if record.outcome == Outcome::Success { "done" } else { "failed" };
                if let Err(e) = self.store.set_order_state(&hash, state) {
                    log::error!("heal: cannot update order state: {e}");
                }
                cycle.records.push(record);
            }
        }
        self.heal_drift(cycle);
        cycle.report.drift_remaining = self.last_checks.values().any(|(_, r)| r.verdict != checks::Verdict::Compliant);
        for (check, (_, r)) in &self.last_checks {
            cycle.results.insert(check.as_str().to_string(), r.summary());
        }
    }

    /// The remediation an order asks for (None: not a remediation).
    fn order_target(&self, action: &Action) -> Option<Target> {
        match action {
            Action::RestartService { unit } => Some(Target::Services(vec![unit.clone()])),
            Action::TriggerBackup => Some(Target::Backup),
            Action::NixosRebuild { flake_ref } => Some(Target::Rebuild(flake_ref.clone())),
            Action::Heal { check } => {
                let result = self.last_checks.get(check).map(|(_, r)| r);
                self.drift_target(*check, result, true)
            }
            Action::UpdateFirewallBaseline { .. } => Some(Target::Firewall),
            Action::RunChecks => None,
        }
    }

    /// The remediation for a check's drift. `ordered`: an explicit `heal`
    /// order, which also heals a check that looked compliant.
    fn drift_target(&self, check: CheckName, result: Option<&checks::CheckResult>, ordered: bool) -> Option<Target> {
        match check {
            CheckName::Services => {
                let svc = self.config.checks.services.as_ref()?;
                let down: Vec<crate::config::UnitName> = svc
                    .units
                    .iter()
                    .filter(|u| result.is_none_or(|r| r.observed["units"][u.as_str()].as_str() != Some("active")))
                    .cloned()
                    .collect();
                let units = if down.is_empty() && ordered { svc.units.clone() } else { down };
                (!units.is_empty()).then_some(Target::Services(units))
            }
            CheckName::Backups => Some(Target::Backup),
            CheckName::Logging => Some(Target::Journald),
            CheckName::Firewall => Some(Target::Firewall),
            CheckName::Patching => {
                let p = self.config.checks.patching.as_ref()?;
                let mismatch = result.is_none_or(|r| r.findings.iter().any(|f| f == "revision_mismatch"));
                (mismatch || ordered).then(|| Target::Rebuild(p.flake_ref.clone()))
            }
            CheckName::Encryption => None,
        }
    }

    /// Disruptive work may start: the window is open and stays open long
    /// enough for a rebuild to finish (`rebuild_timeout_secs`, or the whole
    /// window if that is shorter).
    fn window_allows(&self, now_ms: i64) -> bool {
        let now = now_ms.div_euclid(1000);
        let w = &self.config.maintenance_window;
        let needed = self
            .config
            .checks
            .patching
            .as_ref()
            .map_or(0, |p| i64::try_from(p.rebuild_timeout_secs).unwrap_or(i64::MAX));
        w.is_open(now) && w.closes_at(now).is_some_and(|close| close - now >= needed.min(w.length_secs()))
    }

    /// One `deferred` bundle per episode (`key`), naming the next window.
    fn defer(&mut self, cycle: &mut Cycle, key: &str, check: Option<CheckName>, order: Option<&Order>, now_ms: i64) {
        if self.store.get_state(key).ok().flatten().is_some_and(|v| !v.is_empty()) {
            return;
        }
        let next = self.config.maintenance_window.next_open(now_ms.div_euclid(1000));
        let mut rec =
            Record::new(if order.is_some() { Kind::Order } else { Kind::Remediation }, Outcome::Deferred, now_ms)
                .reason("outside_window")
                .detail(format!(
                    "disruptive; the next maintenance window opens at {}",
                    crate::clock::rfc3339_ms(next * 1000)
                ));
        rec.check = check;
        rec.order = order.map(order_ref);
        log::info!("heal: {}", rec.summary());
        cycle.records.push(rec);
        self.store.put_state(key, &now_ms.to_string());
    }

    fn remediation_ctx(&self, mcp_reachable: bool) -> HealCtx<'_> {
        HealCtx {
            config: &self.config,
            runner: &self.runner,
            clock: self.clock.as_ref(),
            store: &self.store,
            mcp: self.mcp.as_ref(),
            writer: self.attestor.writer(),
            mcp_reachable,
        }
    }

    /// A remediation that failed (not reverted: that left the appliance as
    /// it was) needs a human: alert, once per episode and interval.
    fn alert_if_failed(&self, cycle: &mut Cycle, rec: &Record, check: CheckName, now_ms: i64) {
        if rec.outcome != Outcome::Failed {
            return;
        }
        let mut alert = Record::alert(
            &format!("heal_failed_{check}"),
            rec.reason.as_deref().unwrap_or("heal_failed"),
            rec.detail.clone().unwrap_or_default(),
            now_ms,
        );
        alert.check = Some(check);
        alert.order = rec.order.clone();
        cycle.records.push(alert);
    }

    /// Heals drift found by Detect: one journaled remediation per check,
    /// disruptive ones only inside the window, each retried with
    /// exponential back-off across cycles up to a limit per episode.
    fn heal_drift(&mut self, cycle: &mut Cycle) {
        let drifting: Vec<(CheckName, checks::CheckResult)> = self
            .last_checks
            .iter()
            .filter(|(_, (_, r))| r.verdict == checks::Verdict::Drift && r.healable)
            .map(|(c, (_, r))| (*c, r.clone()))
            .collect();
        let busy = crate::heal::busy_checks(&self.store);
        for (check, result) in drifting {
            let Some(target) = self.drift_target(check, Some(&result), false) else { continue };
            if busy.contains(&check) || cycle.remediated.contains(&check) {
                // A remediation of this check is being resolved, or an order
                // already tried it this cycle.
                continue;
            }
            let now_ms = self.clock.now_ms();
            if target.disruptive() && !self.window_allows(now_ms) {
                self.defer(cycle, &format!("deferred.{check}"), Some(check), None, now_ms);
                continue;
            }
            let (max_attempts, initial_secs) = match (&self.config.checks.services, check) {
                (Some(s), CheckName::Services) => (s.restart_max_attempts, s.restart_backoff_initial_secs),
                _ => (3, 60),
            };
            let key = format!("heal.{check}");
            let (attempts, next_ms) = self
                .store
                .get_state(&key)
                .ok()
                .flatten()
                .and_then(|v| {
                    v.split_once(' ').and_then(|(a, n)| Some((a.parse::<u32>().ok()?, n.parse::<i64>().ok()?)))
                })
                .unwrap_or((0, 0));
            if attempts >= max_attempts {
                let mut rec = Record::alert(
                    &format!("heal_exhausted_{check}"),
                    "heal_exhausted",
                    format!("{attempts} repair attempts failed this episode; a human is needed: {}", result.detail),
                    now_ms,
                );
                rec.check = Some(check);
                cycle.records.push(rec);
                continue;
            }
            if now_ms < next_ms {
                log::info!("heal: {check}: next attempt after {} (back-off)", crate::clock::rfc3339_ms(next_ms));
                continue;
            }
            let ctx = self.remediation_ctx(cycle.mcp_reachable);
            let crate::heal::Remediated { record: rec, post, unwritten } = match remediate_drift(&ctx, &target) {
                Ok(done) => done,
                Err(fresh) => {
                    log::info!("heal: {check} is compliant on a fresh look; nothing to do");
                    self.last_checks.insert(check, (now_ms, *fresh));
                    continue;
                }
            };
            self.alert_if_failed(cycle, &rec, check, now_ms);
            self.unclosed.extend(unwritten);
            if rec.outcome == Outcome::Success {
                let _ = self.store.set_state(&key, "0 0");
            } else {
                cycle.report.action_failed = true;
                let delay = initial_secs.saturating_mul(1 << attempts.min(16)).saturating_mul(1000);
                let next = now_ms.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
                self.store.put_state(&key, &format!("{} {next}", attempts + 1));
            }
            if let Some(post) = post {
                self.last_checks.insert(check, (now_ms, post));
            }
        }
    }

    /// Writes the closing bundles the store refused before, oldest first,
    /// until it refuses again.
    fn write_unclosed(&mut self) {
        while let Some(u) = self.unclosed.first() {
            match crate::heal::write_closing(self.attestor.writer(), &self.store, u, self.clock.now_ms()) {
                Ok(()) => {
                    self.unclosed.remove(0);
                }
                Err(e) => {
                    log::warn!("heal: {} closing bundles still wait for the store: {e}", self.unclosed.len());
                    break;
                }
            }
        }
    }

    fn attest(&mut self, cycle: &mut Cycle) {
        self.write_unclosed();
        let now_ms = self.clock.now_ms();
        self.attestor.queue(cycle.records.drain(..));
        let outcome = if cycle.report.drift_remaining { Outcome::Alert } else { Outcome::Success };
        let mut rec = Record::new(Kind::Cycle, outcome, now_ms);
        rec.results = Some(serde_json::Value::Object(cycle.results.clone()));
        self.attestor.cycle(&self.store, rec, now_ms);
        if let Ok(b) = self.store.backlog() {
            if b.unpushed > self.config.evidence.backlog_alert_bundles {
                let detail = format!(
                    "{} bundles wait for the MCP (oldest from {}); nothing is dropped",
                    b.unpushed,
                    b.oldest_unpushed_ms.map(crate::clock::rfc3339_ms).unwrap_or_default()
                );
                self.attestor.queue([Record::alert("evidence_backlog", "evidence_backlog", detail, now_ms)]);
            } else {
                let _ = self.store.clear_alerts("evidence_backlog");
            }
        }
        let r = self.attestor.attest(&self.store, now_ms);
        match &r.error {
            None => log::info!("attest: {} bundles written, {} repeated alerts suppressed", r.written, r.suppressed),
            Some(e) => log::error!(
                "attest: evidence store failed ({e}); {} records kept in memory and retried next cycle",
                r.pending
            ),
        }
    }

    fn flush(&mut self, cycle: &mut Cycle, budget: Duration) {
        let now_ms = self.clock.now_ms();
        let limits = FlushLimits { time_budget: budget, ..self.flush_limits.clone() };
        match flush_with(&self.store, self.mcp.as_ref(), &limits, now_ms, cycle.mcp_reachable, &self.notifier) {
            Ok(r) if r.backing_off => log::info!("flush: backing off after earlier failures"),
            Ok(r) => {
                let left = self.store.backlog().map(|b| b.unpushed).unwrap_or(0);
                match &r.error {
                    None => {
                        log::info!("flush: {} bundles pushed in {} batches; {left} unpushed", r.pushed, r.batches);
                        if r.batches > 0 {
                            let _ = self.store.clear_alerts("evidence_push");
                        }
                    }
                    Some(e) => {
                        log::warn!(
                            "flush: push failed ({}: {e}); {left} bundles wait, retried with back-off",
                            e.class()
                        );
                        if cycle.mcp_reachable {
                            // The poll worked but the push did not: say so next Attest.
                            self.attestor.queue([Record::alert(
                                "evidence_push",
                                "mcp_bad_reply",
                                format!("evidence push failed: {}: {e}", e.class()),
                                now_ms,
                            )]);
                        }
                    }
                }
            }
            Err(e) => log::error!("flush: evidence store failed: {e}"),
        }
        self.prune(now_ms);
    }

    fn prune(&mut self, now_ms: i64) {
        // At most once a day: each prune writes a checkpoint bundle, and
        // checkpoints age out too.
        let last: i64 = self.store.get_state("prune.last_ms").ok().flatten().and_then(|v| v.parse().ok()).unwrap_or(0);
        if now_ms.saturating_sub(last) < 86_400_000 {
            return;
        }
        let _ = self.store.set_state("prune.last_ms", &now_ms.to_string());
        if let Err(e) = self.store.prune_orders(now_ms.div_euclid(1000)) {
            log::warn!("prune: order history: {e}");
        }
        match prune(&self.store, self.attestor.writer(), now_ms, self.config.evidence.local_retention_days) {
            Ok(Some(b)) => {
                log::info!("prune: pushed bundles older than the retention removed; checkpoint is seq {}", b.seq)
            }
            Ok(None) => {}
            Err(e) => log::warn!("prune: {e}"),
        }
    }

    fn record_status(&self, cycle: &Cycle, now_ms: i64) {
        let status = serde_json::json!({
            "finished_at": crate::clock::rfc3339_ms(now_ms),
            "finished_ms": now_ms,
            "exit_code": cycle.report.exit_code(),
            "drift_remaining": cycle.report.drift_remaining,
            "action_failed": cycle.report.action_failed,
            "mcp_reachable": cycle.mcp_reachable,
            "results": cycle.results,
        });
        if let Err(e) = self.store.set_state(crate::status::LAST_CYCLE, &status.to_string()) {
            log::warn!("cannot record cycle status: {e}");
        }
        if let Some(path) = &self.config.metrics_textfile {
            match crate::status::Status::read(&self.store) {
                Ok(st) => {
                    if let Err(e) = crate::fsutil::write_atomic(path, st.prometheus().as_bytes(), 0o644) {
                        log::warn!("metrics: cannot write {}: {e}", path.display());
                    }
                }
                Err(e) => log::warn!("metrics: {e}"),
            }
        }
    }

    /// The database was deleted or replaced under the running agent: its
    /// file is still open, so the loss is written into it as a last alert
    /// and everything unpushed is offered to the MCP; then `chain.head` is
    /// put back beside where the database was, so the next start reports
    /// the loss (a new chain whose first bundle names this one) instead of
    /// starting over silently.
    fn store_lost(&mut self, why: &str) {
        log::error!("{why}: evidence written now could never be read; exiting so the next start recovers");
        self.notifier.status("state database lost");
        let now_ms = self.clock.now_ms();
        self.attestor.queue([Record::alert("store_lost", "store_lost", why.to_string(), now_ms)]);
        let r = self.attestor.attest(&self.store, now_ms);
        if let Some(e) = r.error {
            log::error!("attest: {e}");
        }
        let mut last = Cycle::default();
        self.flush(&mut last, Duration::from_secs(10));
        match self.store.chain_tip() {
            Ok(tip) => {
                let head = check_state_dir(&self.config.state_dir)
                    .map_err(|e| e.to_string())
                    .and_then(|()| self.store.write_head(&tip).map_err(|e| e.to_string()));
                match head {
                    Ok(()) => log::error!(
                        "wrote {} (seq {}) so the next start reports the lost chain",
                        crate::store::HEAD_FILE,
                        tip.seq
                    ),
                    Err(e) => log::error!("cannot write {}: {e}", crate::store::HEAD_FILE),
                }
            }
            Err(e) => log::error!("cannot read the chain tip: {e}"),
        }
    }

    /// Writes a lifecycle bundle now (start and stop of the daemon).
    fn lifecycle(&mut self, reason: &str, detail: String) {
        let now_ms = self.clock.now_ms();
        self.attestor.queue([Record::new(Kind::Lifecycle, Outcome::Success, now_ms).reason(reason).detail(detail)]);
        let r = self.attestor.attest(&self.store, now_ms);
        if let Some(e) = r.error {
            log::error!("attest: cannot write the {reason} bundle: {e}");
        }
    }

    /// Executes one verified order. Only the allowlisted actions exist;
    /// those whose engine is not built yet fail honestly.
    /// Executes one verified order. Returns the record to attest, or None
    /// when the remediation engine already wrote the order's closing bundle
    /// (atomically with the order's final state).
    fn run_order(
        &mut self,
        order: &Order,
        target: Option<Target>,
        cycle: &mut Cycle,
        started_ms: i64,
    ) -> Option<Record> {
        // Claim it: only a `queued` row becomes `running`, so an order can
        // never run twice, not even with `--once` beside the daemon.
        match self.store.claim_order(&order.envelope_sha256) {
            Ok(true) => crate::crashpoint::hit("order-claimed"),
            Ok(false) => {
                let mut rec = Record::new(Kind::Order, Outcome::Failed, started_ms)
                    .reason("not_claimed")
                    .detail("the order was no longer queued when it was about to run; it was not run");
                rec.order = Some(order_ref(order));
                return Some(rec);
            }
            Err(e) => {
                let mut rec = Record::new(Kind::Order, Outcome::Failed, started_ms)
                    .reason("store_error")
                    .detail(format!("cannot mark the order as running, so it was not run: {e}"));
                rec.order = Some(order_ref(order));
                return Some(rec);
            }
        }
        // The baseline in force before an update_firewall_baseline order:
        // put back unless the new one was applied and verified.
        let mut previous_override: Option<String> = None;
        if let Action::UpdateFirewallBaseline { ruleset, sha256 } = &order.action {
            // Install the signed ruleset as the baseline in force, then apply
            // it through the same engine (save, apply, verify, restore).
            let sha = crate::encoding::hex(sha256);
            let path = self.config.state_dir.join(format!("firewall-baseline-{sha}.nft"));
            if let Err(e) = crate::fsutil::write_atomic(&path, ruleset.as_bytes(), 0o600) {
                let mut rec = Record::new(Kind::Order, Outcome::Failed, started_ms)
                    .reason("store_error")
                    .detail(format!("cannot write the new baseline {}: {e}", path.display()));
                rec.order = Some(order_ref(order));
                return Some(rec);
            }
            // Remember the configured baseline of the moment: when the MSP
            // later ships a new one through the configuration, it wins.
            let configured = self
                .config
                .checks
                .firewall
                .as_ref()
                .and_then(|f| {
                    crate::fsutil::read_capped(
                        &f.baseline_file,
                        checks::firewall::MAX_BASELINE_BYTES,
                        crate::fsutil::Follow::Symlinks,
                    )
                    .ok()
                })
                .map(|b| crate::encoding::sha256_hex(&b))
                .unwrap_or_else(|| "-".into());
            previous_override =
                Some(self.store.get_state(checks::firewall::BASELINE_OVERRIDE).ok().flatten().unwrap_or_default());
            self.store.put_state(
                checks::firewall::BASELINE_OVERRIDE,
                &format!("{sha} {} {configured} {}", order.order_id, path.display()),
            );
        }
        if let Some(target) = target {
            let oref = order_ref(order);
            let ctx = self.remediation_ctx(cycle.mcp_reachable);
            let crate::heal::Remediated { record: rec, post, unwritten } = remediate(&ctx, &target, Some((&oref, "")));
            cycle.remediated.push(target.check());
            self.unclosed.extend(unwritten);
            if let Some(previous) = previous_override {
                if rec.outcome != Outcome::Success {
                    self.store.put_state(checks::firewall::BASELINE_OVERRIDE, &previous);
                }
            }
            if rec.outcome != Outcome::Success {
                cycle.report.action_failed = true;
            }
            self.alert_if_failed(cycle, &rec, target.check(), started_ms);
            if let Some(post) = post {
                self.last_checks.insert(target.check(), (self.clock.now_ms(), post));
            }
            return None;
        }
        let mut rec = match &order.action {
            Action::RunChecks => {
                let mut r = Record::new(Kind::Order, Outcome::Success, started_ms)
                    .detail(format!("ran every enabled check ({})", cycle.results.len()));
                r.results = Some(serde_json::Value::Object(cycle.results.clone()));
                r
            }
            other => Record::new(Kind::Order, Outcome::Failed, started_ms)
                .reason("not_supported")
                .detail(format!("this build cannot execute {} yet", other.name())),
        };
        rec.order = Some(order_ref(order));
        rec.finished_ms = self.clock.now_ms();
        Some(rec)
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

    /// At exit: records the store never took (the file system stayed full)
    /// would die with the process; they go to the log in full instead.
    pub fn log_unwritten(&mut self) {
        let mut left: Vec<Record> = self.unclosed.drain(..).map(|u| u.record).collect();
        left.extend(self.attestor.take_pending());
        if left.is_empty() {
            return;
        }
        log::error!(
            "{} evidence records could not be stored (the state file system is full); they follow here",
            left.len()
        );
        for rec in left {
            log::error!("unstored evidence: {}", serde_json::to_string(&rec).unwrap_or_else(|_| rec.summary()));
        }
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
    fn refusal_window_counts_an_hour_and_closes_the_episode_after_a_quiet_one() {
        let h = 3_600_000;
        assert_eq!(refusal_window(None, 3, 10), RefusalWindow { start: 10, count: 3, close_episode: true });
        let w = refusal_window(Some((10, 60)), 10, 10 + h - 1);
        assert_eq!((w.start, w.count, w.close_episode), (10, 70, false));
        // The flood hour ended: a new hour starts; the episode stays open.
        let w = refusal_window(Some((10, 70)), 0, 10 + h);
        assert_eq!((w.start, w.count, w.close_episode), (10 + h, 0, false));
        // A quiet hour ended: the episode closes, even with nothing new.
        let w = refusal_window(Some((10 + h, 0)), 0, 10 + 2 * h);
        assert!(w.close_episode);
        // A window dated in the future (clock stepped back) starts over.
        assert_eq!(refusal_window(Some((5 * h, 99)), 1, h).start, h);
        assert_eq!(refusal_window(Some((0, u64::MAX)), 5, 1).count, u64::MAX);
    }

    #[test]
    fn exit_codes() {
        assert_eq!(CycleReport::default().exit_code(), 0);
        assert_eq!(CycleReport { drift_remaining: true, ..Default::default() }.exit_code(), 1);
        assert_eq!(CycleReport { action_failed: true, ..Default::default() }.exit_code(), 1);
    }
}
