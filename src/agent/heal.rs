//! Heal: settle interrupted and refused remediations, run queued orders
//! and heal drift — every change through the remediation engine
//! (`crate::heal`), disruptive work only inside the maintenance window,
//! with back-off across cycles.
//!
//! Owns: deciding what to remediate this cycle (orders first, then drift),
//! deferral to the window, back-off and the failure alerts. Must never:
//! change the host itself (the engine does, journaled), run an order twice,
//! or start disruptive work the window cannot hold.

use super::{Agent, Cycle};
use crate::checks::{self, CheckName};
use crate::config::Config;
use crate::evidence::{Kind, Outcome, Record};
use crate::heal::{remediate, remediate_drift, Ctx as HealCtx, Target};
use crate::orders::intake::{order_ref, refusal_record};
use crate::orders::{Action, Order, Reason};

impl Agent {
    pub(super) fn heal(&mut self, cycle: &mut Cycle) {
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
            if target.as_ref().is_some_and(|t| t.disruptive()) && !window_allows(&self.config, now_ms) {
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
    pub(super) fn order_target(&self, action: &Action) -> Option<Target> {
        order_target(&self.config, action, |c| self.last_checks.get(&c).map(|(_, r)| r))
    }

    /// One `deferred` bundle per episode (`key`), naming the next window.
    pub(super) fn defer(
        &mut self,
        cycle: &mut Cycle,
        key: &str,
        check: Option<CheckName>,
        order: Option<&Order>,
        now_ms: i64,
    ) {
        let next = self.config.maintenance_window.next_open(now_ms.div_euclid(1000));
        if let Some(c) = check {
            cycle.heal_notes.insert(c, format!("deferred until {}", crate::clock::rfc3339_ms(next * 1000)));
        }
        if self.store.get_state(key).ok().flatten().is_some_and(|v| !v.is_empty()) {
            return;
        }
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

    pub(super) fn remediation_ctx(&self, mcp_reachable: bool) -> HealCtx<'_> {
        HealCtx {
            config: &self.config,
            runner: &self.runner,
            clock: self.clock.as_ref(),
            store: &self.store,
            mcp: self.mcp.as_ref(),
            writer: self.attestor.writer(),
            mcp_reachable,
            notifier: &self.notifier,
        }
    }

    /// A remediation that failed (not reverted: that left the appliance as
    /// it was) needs a human: alert, once per episode and interval.
    pub(super) fn alert_if_failed(&self, cycle: &mut Cycle, rec: &Record, check: CheckName, now_ms: i64) {
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
    pub(super) fn heal_drift(&mut self, cycle: &mut Cycle) {
        let drifting: Vec<(CheckName, checks::CheckResult)> = self
            .last_checks
            .iter()
            .filter(|(_, (_, r))| r.verdict == checks::Verdict::Drift && r.healable)
            .map(|(c, (_, r))| (*c, r.clone()))
            .collect();
        let busy = crate::heal::busy_checks(&self.store);
        for (check, result) in drifting {
            let Some(target) = drift_target(&self.config, check, Some(&result), false) else { continue };
            if busy.contains(&check) || cycle.remediated.contains(&check) {
                // A remediation of this check is being resolved, or an order
                // already tried it this cycle.
                continue;
            }
            let now_ms = self.clock.now_ms();
            let (_, initial_secs) = backoff_limits(&self.config, check);
            let key = format!("heal.{check}");
            let (attempts, next_ms) = backoff_state(&self.store, check);
            match drift_step(&self.config, &target, false, (attempts, next_ms), now_ms) {
                DriftStep::Busy => continue,
                DriftStep::Deferred { .. } => {
                    self.defer(cycle, &format!("deferred.{check}"), Some(check), None, now_ms);
                    continue;
                }
                DriftStep::Exhausted { attempts } => {
                    let mut rec = Record::alert(
                        &format!("heal_exhausted_{check}"),
                        "heal_exhausted",
                        format!("{attempts} repair attempts failed this episode; a human is needed: {}", result.detail),
                        now_ms,
                    );
                    rec.check = Some(check);
                    cycle.records.push(rec);
                    cycle.heal_notes.insert(check, format!("{attempts} repairs failed; needs a human"));
                    continue;
                }
                DriftStep::BackOff { until_ms } => {
                    log::info!("heal: {check}: next attempt after {} (back-off)", crate::clock::rfc3339_ms(until_ms));
                    cycle.heal_notes.insert(check, format!("next repair after {}", crate::clock::rfc3339_ms(until_ms)));
                    continue;
                }
                DriftStep::Now => {}
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
            cycle.heal_notes.insert(
                check,
                match rec.outcome {
                    Outcome::Success => "healed".to_string(),
                    Outcome::Reverted => "repair reverted".to_string(),
                    _ => "repair failed".to_string(),
                },
            );
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
    pub(super) fn write_unclosed(&mut self) {
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

    /// Executes one verified order. Returns the record to attest, or None
    /// when the remediation engine already wrote the order's closing bundle
    /// (atomically with the order's final state).
    pub(super) fn run_order(
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
            cycle.heal_notes.insert(
                target.check(),
                match rec.outcome {
                    Outcome::Success => "healed (order)".to_string(),
                    Outcome::Reverted => "order's repair reverted".to_string(),
                    _ => "order's repair failed".to_string(),
                },
            );
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
}

/// The remediation for a check's drift. `ordered`: an explicit `heal`
/// order, which also heals a check that looked compliant.
pub fn drift_target(
    config: &Config,
    check: CheckName,
    result: Option<&checks::CheckResult>,
    ordered: bool,
) -> Option<Target> {
    match check {
        CheckName::Services => {
            let svc = config.checks.services.as_ref()?;
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
            let p = config.checks.patching.as_ref()?;
            let mismatch = result.is_none_or(|r| r.findings.iter().any(|f| f == "revision_mismatch"));
            (mismatch || ordered).then(|| Target::Rebuild(p.flake_ref.clone()))
        }
        CheckName::Encryption => None,
    }
}

/// Disruptive work may start: the window is open and stays open long
/// enough for a rebuild to finish (`rebuild_timeout_secs`, or the whole
/// window if that is shorter).
pub fn window_allows(config: &Config, now_ms: i64) -> bool {
    let now = now_ms.div_euclid(1000);
    let w = &config.maintenance_window;
    let needed =
        config.checks.patching.as_ref().map_or(0, |p| i64::try_from(p.rebuild_timeout_secs).unwrap_or(i64::MAX));
    w.is_open(now) && w.closes_at(now).is_some_and(|close| close - now >= needed.min(w.length_secs()))
}

/// The remediation an order asks for (None: not a remediation). `result`
/// gives a check's latest result (a `heal` order repairs what it found).
pub fn order_target<'a>(
    config: &Config,
    action: &Action,
    result: impl Fn(CheckName) -> Option<&'a checks::CheckResult>,
) -> Option<Target> {
    match action {
        Action::RestartService { unit } => Some(Target::Services(vec![unit.clone()])),
        Action::TriggerBackup => Some(Target::Backup),
        Action::NixosRebuild { flake_ref } => Some(Target::Rebuild(flake_ref.clone())),
        Action::Heal { check } => drift_target(config, *check, result(*check), true),
        Action::UpdateFirewallBaseline { .. } => Some(Target::Firewall),
        Action::RunChecks => None,
    }
}

/// What Heal does about one check's drift now (and what `plan` says it
/// would do): the same decision for both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftStep {
    /// A remediation of the check is being resolved, or an order tried it
    /// this cycle: nothing else acts on it.
    Busy,
    /// Disruptive and the window is closed (or too short): waits for the
    /// window opening at this Unix second.
    Deferred {
        /// When the next window opens (Unix seconds).
        opens_at: i64,
    },
    /// The repair failed this many times this episode: a human is needed.
    Exhausted {
        /// Failed attempts.
        attempts: u32,
    },
    /// Backing off after a failed repair until this Unix millisecond.
    BackOff {
        /// When the next attempt may start.
        until_ms: i64,
    },
    /// Repair now.
    Now,
}

/// See [`DriftStep`]. `attempts_next` is the check's back-off state
/// ([`backoff_state`]).
pub fn drift_step(config: &Config, target: &Target, busy: bool, attempts_next: (u32, i64), now_ms: i64) -> DriftStep {
    if busy {
        return DriftStep::Busy;
    }
    if target.disruptive() && !window_allows(config, now_ms) {
        return DriftStep::Deferred { opens_at: config.maintenance_window.next_open(now_ms.div_euclid(1000)) };
    }
    let (max_attempts, _) = backoff_limits(config, target.check());
    let (attempts, next_ms) = attempts_next;
    if attempts >= max_attempts {
        return DriftStep::Exhausted { attempts };
    }
    if now_ms < next_ms {
        return DriftStep::BackOff { until_ms: next_ms };
    }
    DriftStep::Now
}

/// How often a check's repair is tried per episode, and the first back-off
/// (doubling after each failure): services from their config, others 3 and
/// 60 s.
pub fn backoff_limits(config: &Config, check: CheckName) -> (u32, u64) {
    match (&config.checks.services, check) {
        (Some(s), CheckName::Services) => (s.restart_max_attempts, s.restart_backoff_initial_secs),
        _ => (3, 60),
    }
}

/// A check's back-off state: failed attempts this episode and when the
/// next may start (Unix ms); (0, 0) when none is recorded.
pub fn backoff_state(state: &dyn checks::StateRead, check: CheckName) -> (u32, i64) {
    state
        .get(&format!("heal.{check}"))
        .and_then(|v| v.split_once(' ').and_then(|(a, n)| Some((a.parse::<u32>().ok()?, n.parse::<i64>().ok()?))))
        .unwrap_or((0, 0))
}
