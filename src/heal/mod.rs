//! Remediation: every heal — from drift or from an order — is a journaled
//! transaction: snapshot, act, verify, then commit or roll back (design §2,
//! guardrails 5–7).
//!
//! ```text
//!  snapshot ─► journal row ─► act ─► verify ─┬─ ok ───────────────► close: success
//!  (pre-state,  (before any    │             └─ failed ─► rollback ─► verify ─┬─ close: reverted
//!   system,      change)       │                          (patching,          └─ close: failed + alert
//!   saved rules)               ▼                           firewall)
//!                       crash anywhere: the open row is resolved at the next
//!                       start (verify, roll back if needed), reason "interrupted"
//! ```
//!
//! The closing evidence bundle and the closing of the journal row (and the
//! order's final state) commit in one SQLite transaction, so a remediation
//! has exactly one closing bundle however it is interrupted.
//!
//! Owns: the remediation targets and their act / verify / rollback steps.
//! Must never: act without an open journal row, report `reverted` for a
//! rollback it did not verify, or touch encryption.

use crate::checks::{self, CheckName, CheckResult, Env, Verdict};
use crate::clock::Clock;
use crate::config::{Config, UnitName};
use crate::evidence::attest::Writer;
use crate::evidence::{Kind, OrderRef, Outcome, Record};
use crate::exec::{CommandRecord, Invocation, Runner};
use crate::mcp::Transport;
use crate::store::{Closing, Store, StoreError};
use serde_json::{json, Value};
use std::time::Duration;

mod backups;
mod firewall;
mod logging;
mod patching;
mod recovery;
mod services;

pub use firewall::swap_script;
pub use recovery::{busy_checks, recover};

/// What a remediation changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Restart these units.
    Services(Vec<UnitName>),
    /// Start the backup unit and wait for it.
    Backup,
    /// Restart journald.
    Journald,
    /// `nixos-rebuild switch --flake <ref>`, health check, rollback.
    Rebuild(String),
    /// Apply the signed firewall baseline atomically, restore on failure.
    Firewall,
}

impl Target {
    /// The journal's name for the target.
    pub fn key(&self) -> String {
        match self {
            Target::Services(units) => {
                format!("services:{}", units.iter().map(UnitName::as_str).collect::<Vec<_>>().join(","))
            }
            Target::Backup => "backups".into(),
            Target::Journald => "logging".into(),
            Target::Rebuild(flake) => format!("patching:{flake}"),
            Target::Firewall => "firewall".into(),
        }
    }

    /// Parses [`Target::key`] (journal recovery).
    pub fn from_key(key: &str) -> Option<Target> {
        if let Some(units) = key.strip_prefix("services:") {
            let units: Option<Vec<UnitName>> = units.split(',').map(|u| UnitName::parse(u).ok()).collect();
            return units.map(Target::Services);
        }
        if let Some(flake) = key.strip_prefix("patching:") {
            return Some(Target::Rebuild(flake.to_string()));
        }
        match key {
            "backups" => Some(Target::Backup),
            "logging" => Some(Target::Journald),
            "firewall" => Some(Target::Firewall),
            _ => None,
        }
    }

    /// The check whose drift this target repairs.
    pub fn check(&self) -> CheckName {
        match self {
            Target::Services(_) => CheckName::Services,
            Target::Backup => CheckName::Backups,
            Target::Journald => CheckName::Logging,
            Target::Rebuild(_) => CheckName::Patching,
            Target::Firewall => CheckName::Firewall,
        }
    }

    /// Disruptive targets run only inside the maintenance window.
    pub fn disruptive(&self) -> bool {
        matches!(self, Target::Rebuild(_))
    }

    /// Targets whose crash recovery is only a re-check (nothing to roll
    /// back): when the file system is full they may act with the journal
    /// in memory. A rebuild or a firewall change never does.
    pub fn safe_without_journal(&self) -> bool {
        matches!(self, Target::Services(_) | Target::Backup | Target::Journald)
    }
}

/// Everything a remediation needs.
pub struct Ctx<'a> {
    /// Configuration.
    pub config: &'a Config,
    /// Runs tools (feeds the watchdog while they run).
    pub runner: &'a dyn Runner,
    /// Wall time.
    pub clock: &'a dyn Clock,
    /// The store (journal, state, evidence).
    pub store: &'a Store,
    /// The MCP, for the "still reachable?" part of health checks.
    pub mcp: &'a dyn Transport,
    /// Writes the closing bundle.
    pub writer: &'a Writer,
    /// Whether the MCP answered this cycle's poll.
    pub mcp_reachable: bool,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").finish_non_exhaustive()
    }
}

/// State key: the revision the last approved rebuild produced.
pub use crate::checks::patching::APPROVED_REVISION;

/// How a remediation ended, before it is written.
struct Ending {
    outcome: Outcome,
    reason: Option<String>,
    detail: String,
    post: Option<CheckResult>,
}

impl Ending {
    fn new(outcome: Outcome, reason: &str, detail: impl Into<String>, post: Option<CheckResult>) -> Ending {
        Ending { outcome, reason: Some(reason.to_string()), detail: detail.into(), post }
    }
}

impl Ctx<'_> {
    fn env(&self) -> Env<'_> {
        Env { config: self.config, runner: self.runner, clock: self.clock, state: self.store }
    }

    fn check(&self, c: CheckName) -> CheckResult {
        checks::run(c, &self.env())
    }

    fn tool(&self, actions: &mut Vec<CommandRecord>, tool: &str, args: &[&str], timeout: Duration) -> CommandRecord {
        self.invoke(actions, Invocation::new(self.config.tools.path(tool), args.iter().copied(), timeout))
    }

    fn invoke(&self, actions: &mut Vec<CommandRecord>, inv: Invocation) -> CommandRecord {
        let rec = self.runner.run(&inv);
        log::info!("heal: {}", rec.summary());
        actions.push(rec.clone());
        rec
    }

    /// Whether the MCP answers on a new connection (a pooled one could
    /// survive a ruleset that blocks new connections).
    fn mcp_probe(&self) -> bool {
        self.mcp.probe().is_ok()
    }
}

/// How a remediation ended, as its caller needs it.
#[derive(Debug)]
pub struct Remediated {
    /// The closing record.
    pub record: Record,
    /// The check's result after the remediation, if it was re-checked.
    pub post: Option<CheckResult>,
    /// The closing bundle could not be written (the store refused it): the
    /// caller keeps it and writes it later with [`write_closing`], before
    /// anything may resolve its journal row.
    pub unwritten: Option<Unwritten>,
}

/// A closing bundle the store did not take yet, with what it settles in
/// the same transaction.
#[derive(Debug, Clone)]
pub struct Unwritten {
    /// The closing record.
    pub record: Record,
    /// The journal row it closes, if the remediation had one.
    pub journal: Option<i64>,
    /// The order it settles: envelope hash and final state.
    pub order: Option<(String, &'static str)>,
}

/// Writes a closing bundle that could not be written before (with its
/// journal row and order state, in one transaction).
pub fn write_closing(writer: &Writer, store: &Store, u: &Unwritten, now_ms: i64) -> Result<(), StoreError> {
    let closing = Closing { journal: u.journal, order: u.order.as_ref().map(|(h, st)| (h.as_str(), *st)) };
    let b = writer.append_closing(store, &u.record, None, Some(&closing), now_ms)?;
    log::info!("heal: bundle {} seq {}: {}", b.bundle_id, b.seq, u.record.summary());
    Ok(())
}

/// Runs one remediation to its end and writes its closing bundle. If the
/// store cannot take the bundle, it comes back as [`Remediated::unwritten`]
/// for the caller to keep and write later.
pub fn remediate(ctx: &Ctx<'_>, target: &Target, order: Option<(&OrderRef, &str)>) -> Remediated {
    let started_ms = ctx.clock.now_ms();
    let pre = ctx.check(target.check());
    remediate_from(ctx, target, order, pre, started_ms)
}

/// [`remediate`] for drift: when a fresh look at the check finds it
/// compliant already (the last result was stale, or an operator fixed it),
/// nothing is done and the fresh result comes back as `Err`.
pub fn remediate_drift(ctx: &Ctx<'_>, target: &Target) -> Result<Remediated, Box<CheckResult>> {
    let started_ms = ctx.clock.now_ms();
    let pre = ctx.check(target.check());
    if pre.verdict == Verdict::Compliant {
        return Err(Box::new(pre));
    }
    Ok(remediate_from(ctx, target, None, pre, started_ms))
}

fn remediate_from(
    ctx: &Ctx<'_>,
    target: &Target,
    order: Option<(&OrderRef, &str)>,
    pre: CheckResult,
    started_ms: i64,
) -> Remediated {
    let mut actions: Vec<CommandRecord> = Vec::new();
    let mut snapshot = json!({"pre_state": pre.observed, "mcp_reachable": ctx.mcp_reachable});
    if let Target::Rebuild(_) = target {
        patching::snapshot(ctx, &mut snapshot, &mut actions);
    }
    if let Target::Firewall = target {
        if let Err(e) = firewall::snapshot(ctx, &mut snapshot, &mut actions, started_ms) {
            let end = Ending::new(Outcome::Failed, "snapshot_failed", e, None);
            return close(ctx, target, order, None, &pre, actions, end, started_ms);
        }
    }
    let envelope = order.map(|(o, _)| o.envelope_sha256.as_str());
    let source = if order.is_some() { "order" } else { "drift" };
    let id = match ctx.store.journal_open(&target.key(), source, envelope, &snapshot.to_string(), started_ms) {
        Ok(id) => Some(id),
        Err(e) if e.is_full() && order.is_none() && target.safe_without_journal() => {
            // Recovering these after a crash is only a re-check, which the
            // next cycle does anyway: heal with the journal kept in memory.
            log::warn!("heal: the file system is full ({e}); {} proceeds with its journal in memory", target.key());
            None
        }
        Err(e) => {
            // No journal row, so nothing may change.
            let end = Ending::new(
                Outcome::Failed,
                "store_error",
                format!("cannot journal the remediation, so nothing was changed: {e}"),
                None,
            );
            return close(ctx, target, order, None, &pre, actions, end, started_ms);
        }
    };
    crate::crashpoint::hit("heal-journaled");
    let end = act_and_verify(ctx, target, &snapshot, id, &mut actions);
    close(ctx, target, order, id, &pre, actions, end, started_ms)
}

fn act_and_verify(
    ctx: &Ctx<'_>,
    target: &Target,
    snapshot: &Value,
    id: Option<i64>,
    actions: &mut Vec<CommandRecord>,
) -> Ending {
    match target {
        Target::Services(units) => services::act_and_verify(ctx, units, id, actions),
        Target::Backup => backups::act_and_verify(ctx, id, actions),
        Target::Journald => logging::act_and_verify(ctx, id, actions),
        Target::Firewall => firewall::act_and_verify(ctx, snapshot, id, actions),
        Target::Rebuild(flake) => patching::act_and_verify(ctx, flake, snapshot, id, actions),
    }
}

/// Records a step of the remediation in its journal row, if it has one; a
/// failure is logged, never fatal.
fn journal_step(ctx: &Ctx<'_>, journal: Option<i64>, step: &str) {
    if let Some(Err(e)) = journal.map(|id| ctx.store.journal_step(id, step)) {
        log::warn!("heal: journal step {step}: {e}");
    }
}

fn verify_check(ctx: &Ctx<'_>, check: CheckName) -> Ending {
    let post = ctx.check(check);
    match post.verdict {
        Verdict::Compliant => {
            Ending { outcome: Outcome::Success, reason: None, detail: "repaired and verified".into(), post: Some(post) }
        }
        _ => Ending::new(
            Outcome::Failed,
            "verify_failed",
            format!("still not compliant after the repair: {}", post.detail),
            Some(post),
        ),
    }
}

#[allow(clippy::too_many_arguments)] // the parts of one closing bundle
fn close(
    ctx: &Ctx<'_>,
    target: &Target,
    order: Option<(&OrderRef, &str)>,
    journal: Option<i64>,
    pre: &CheckResult,
    actions: Vec<CommandRecord>,
    end: Ending,
    started_ms: i64,
) -> Remediated {
    let mut rec = Record::new(if order.is_some() { Kind::Order } else { Kind::Remediation }, end.outcome, started_ms);
    rec.check = Some(target.check());
    rec.reason = end.reason;
    rec.detail = Some(format!("{}: {}", target.key(), end.detail));
    rec.pre_state = Some(pre.observed.clone());
    rec.post_state = end.post.as_ref().map(|p| p.observed.clone());
    rec.actions = actions;
    rec.order = order.map(|(o, _)| o.clone());
    rec.finished_ms = ctx.clock.now_ms();
    let order_state: &'static str = match end.outcome {
        Outcome::Success => "done",
        _ => "failed",
    };
    let pending =
        Unwritten { record: rec, journal, order: order.map(|(o, _)| (o.envelope_sha256.clone(), order_state)) };
    let unwritten = match write_closing(ctx.writer, ctx.store, &pending, pending.record.finished_ms) {
        Ok(()) => None,
        Err(e) => {
            // Kept (by the caller) and written when the store takes it; a
            // crash before then leaves the journal row to `recover`.
            log::error!("heal: cannot write the closing bundle ({e}); it waits in memory for the store");
            Some(pending.clone())
        }
    };
    crate::crashpoint::hit("heal-closed");
    Remediated { record: pending.record, post: end.post, unwritten }
}
