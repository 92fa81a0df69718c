//! The transaction engine: one shape for every remediation.
//!
//! ```text
//!  pre-check ─► snapshot ─► journal row ─► target's act_and_verify ─► close
//! ```
//!
//! The engine takes the snapshot (the check's observed state and whether
//! the MCP answered, plus the target's own part: the running system before
//! a rebuild, the saved ruleset before a firewall change), commits the
//! journal row, hands over to the target file (which acts, verifies and
//! rolls back, and reports back an [`Ending`]), and writes the one closing
//! bundle in the same store transaction that closes the journal row and
//! settles the order.
//!
//! Must never: let a target act without a journal row (except, on a full
//! file system, the targets whose recovery is only a re-check, for drift),
//! or lose a closing bundle the store refused (it goes back to the caller
//! as [`Unwritten`]).

use super::{backups, firewall, logging, patching, services};
use super::{Ctx, Remediated, Target, Unwritten};
use crate::checks::{CheckName, CheckResult, Verdict};
use crate::evidence::attest::Writer;
use crate::evidence::{Kind, OrderRef, Outcome, Record};
use crate::exec::CommandRecord;
use crate::store::{Closing, Store, StoreError};
use serde_json::{json, Value};

/// How a remediation ended, before it is written.
pub(super) struct Ending {
    pub(super) outcome: Outcome,
    pub(super) reason: Option<String>,
    pub(super) detail: String,
    pub(super) post: Option<CheckResult>,
}

impl Ending {
    pub(super) fn new(outcome: Outcome, reason: &str, detail: impl Into<String>, post: Option<CheckResult>) -> Ending {
        Ending { outcome, reason: Some(reason.to_string()), detail: detail.into(), post }
    }
}

/// Writes a closing bundle that could not be written before (with its
/// journal row and order state, in one transaction).
pub fn write_closing(writer: &Writer, store: &Store, u: &Unwritten, now_ms: i64) -> Result<(), StoreError> {
    let closing = Closing { journal: u.journal, order: u.order.as_ref().map(|(h, st)| (h.as_str(), *st)) };
    let b = writer.append_closing(store, &u.record, None, Some(&closing), now_ms)?;
    let line = format!("heal: bundle {} seq {}: {}", b.bundle_id, b.seq, u.record.summary());
    // A repair that held is news (notice); one that was undone left the
    // appliance as it was but did not repair (warning); a failed one needs
    // a human (error).
    match u.record.outcome {
        Outcome::Success => crate::notice!("{line}"),
        Outcome::Reverted => log::warn!("{line}"),
        Outcome::Failed => log::error!("{line}"),
        _ => log::info!("{line}"),
    }
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
    if let Err(e) = snapshot_target(ctx, target, &mut snapshot, &mut actions, started_ms) {
        let end = Ending::new(Outcome::Failed, "snapshot_failed", e, None);
        return close(ctx, target, order, None, &pre, actions, end, started_ms);
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

/// The target's own part of the snapshot: what its rollback needs. An
/// `Err` (why) ends the remediation before anything is journaled or changed.
fn snapshot_target(
    ctx: &Ctx<'_>,
    target: &Target,
    snapshot: &mut Value,
    actions: &mut Vec<CommandRecord>,
    started_ms: i64,
) -> Result<(), String> {
    match target {
        Target::Rebuild(_) => {
            patching::snapshot(ctx, snapshot, actions);
            Ok(())
        }
        Target::Firewall => firewall::snapshot(ctx, snapshot, actions, started_ms),
        Target::Services(_) | Target::Backup | Target::Journald => Ok(()),
    }
}

/// Hands the journaled remediation to its target: act, verify, and roll
/// back if the target can.
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
pub(super) fn journal_step(ctx: &Ctx<'_>, journal: Option<i64>, step: &str) {
    if let Some(Err(e)) = journal.map(|id| ctx.store.journal_step(id, step)) {
        log::warn!("heal: journal step {step}: {e}");
    }
}

/// Verifies a repair by running its check again.
pub(super) fn verify_check(ctx: &Ctx<'_>, check: CheckName) -> Ending {
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

/// Writes the one closing bundle, closing the journal row and settling the
/// order in the same transaction; a bundle the store refuses comes back as
/// [`Remediated::unwritten`].
#[allow(clippy::too_many_arguments)] // the parts of one closing bundle
pub(super) fn close(
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
