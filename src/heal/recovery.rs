//! Crash recovery: resolving journal rows a crash, SIGKILL or power cut
//! left open.
//!
//! Each open row is resolved by its target's own recovery — the rebuild and
//! the firewall change verify, and roll back with the same steps as a live
//! remediation; the other targets are only checked again — and closed with
//! the one closing bundle, reason `interrupted`. A rebuild whose health
//! cannot be judged yet (the system is still starting) stays open, and its
//! check stays busy: nothing else acts on it meanwhile.
//!
//! Must never: resolve a row whose closing bundle waits in memory (the
//! store refused it; it is not a crash), or run a remediation again.

use super::engine::{close, Ending};
use super::{firewall, patching, Ctx, Target};
use crate::checks::{CheckName, CheckResult, Verdict};
use crate::evidence::{OrderRef, Outcome, Record};
use crate::exec::CommandRecord;
use crate::store::{JournalRow, Store, StoreError};
use serde_json::Value;

/// Resolves journal rows left open by a crash: verifies, rolls back where
/// the remediation can be, and writes the one closing bundle, with reason
/// `interrupted`. Rows in `closing` already have their closing bundle in
/// memory (the store refused it): they are not crashes and are left alone.
pub fn recover(ctx: &Ctx<'_>, closing: &[i64]) -> Result<Vec<Record>, StoreError> {
    let mut out = Vec::new();
    for row in ctx.store.journal_open_rows()?.into_iter().filter(|r| !closing.contains(&r.id)) {
        if let Some(r) = recover_row(ctx, &row) {
            out.push(r);
        }
    }
    Ok(out)
}

/// The checks that have a remediation in flight (an open journal row, e.g.
/// one recovery could not decide yet): nothing else may act on them.
pub fn busy_checks(store: &Store) -> Vec<CheckName> {
    store
        .journal_open_rows()
        .map(|rows| rows.iter().filter_map(|r| Target::from_key(&r.target)).map(|t| t.check()).collect())
        .unwrap_or_default()
}

/// Resolves one open row; None leaves it open for a later cycle (the system
/// is still starting, so health cannot be judged).
fn recover_row(ctx: &Ctx<'_>, row: &JournalRow) -> Option<Record> {
    let snapshot: Value = serde_json::from_str(&row.snapshot).unwrap_or(Value::Null);
    let mut actions = Vec::new();
    let Some(target) = Target::from_key(&row.target) else {
        let end = Ending::new(Outcome::Failed, "interrupted", format!("unknown journal target {:?}", row.target), None);
        return Some(close_recovered(ctx, row, &Target::Journald, &snapshot, actions, end));
    };
    let end = match &target {
        Target::Rebuild(_) => patching::recover(ctx, row, &snapshot, &mut actions)?,
        Target::Firewall => firewall::recover(ctx, &snapshot, &mut actions),
        Target::Services(_) | Target::Backup | Target::Journald => recheck(ctx, target.check()),
    };
    Some(close_recovered(ctx, row, &target, &snapshot, actions, end))
}

/// Recovery of a target with nothing to roll back: check again.
fn recheck(ctx: &Ctx<'_>, check: CheckName) -> Ending {
    let post = ctx.check(check);
    let ok = post.verdict == Verdict::Compliant;
    Ending {
        outcome: if ok { Outcome::Success } else { Outcome::Failed },
        reason: Some("interrupted".into()),
        detail: if ok {
            "interrupted; verified compliant".into()
        } else {
            format!("interrupted; still not compliant: {}", post.detail)
        },
        post: Some(post),
    }
}

fn close_recovered(
    ctx: &Ctx<'_>,
    row: &JournalRow,
    target: &Target,
    snapshot: &Value,
    actions: Vec<CommandRecord>,
    end: Ending,
) -> Record {
    let order = row.envelope.as_ref().map(|e| OrderRef {
        order_id: None,
        keyid: None,
        action: None,
        envelope_sha256: e.clone(),
    });
    let pre = CheckResult::from_observed(target.check(), snapshot["pre_state"].clone());
    let done = close(ctx, target, order.as_ref().map(|o| (o, "")), Some(row.id), &pre, actions, end, row.started_ms);
    // A closing the store refused here is written by the next recovery.
    done.record
}
