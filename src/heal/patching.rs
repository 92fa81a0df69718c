//! The rebuild target: `nixos-rebuild switch --flake <ref>`.
//!
//! Changes: the running NixOS system. The snapshot records what a rollback
//! needs: the `/run/current-system` target and `systemctl is-system-running`
//! before the change.
//!
//! Verifies: after waiting for nixos-rebuild's transient
//! `switch-to-configuration` unit, [`health`] (system state no worse than
//! before, every critical unit active, the MCP answering on a new connection
//! if it did before), then the patching check; for the approved ref the
//! resulting revision must be the approved one, and it is recorded as such.
//!
//! Rolls back: `nixos-rebuild switch --rollback`, then the recorded system
//! must be current again, or it is not `reverted`. When nothing was
//! activated (the running system is unchanged) there is never a rollback:
//! `--rollback` would go to an older generation, not to the recorded one.
//!
//! Crash recovery ([`recover`]): unchanged → `failed`; activated and
//! healthy → `success`; still starting → the row stays open; unhealthy →
//! the same rollback.

use super::engine::Ending;
use super::{Ctx, APPROVED_REVISION};
use crate::checks::{self, CheckName, Verdict};
use crate::evidence::Outcome;
use crate::exec::{CommandRecord, Invocation};
use crate::store::JournalRow;
use serde_json::{json, Value};
use std::time::Duration;

/// The target of the `current_system` link (`/run/current-system`).
fn current_system(ctx: &Ctx<'_>) -> Option<String> {
    let link = ctx.config.checks.patching.as_ref().map(|p| p.current_system.clone())?;
    std::fs::read_link(&link).ok().map(|p| p.display().to_string())
}

/// Adds what a rollback and the health check need to the snapshot: the
/// running system and its state before the change.
pub(super) fn snapshot(ctx: &Ctx<'_>, snapshot: &mut Value, actions: &mut Vec<CommandRecord>) {
    snapshot["system"] = json!(current_system(ctx));
    let state = ctx.tool(actions, "systemctl", &["is-system-running"], Duration::from_secs(30));
    snapshot["system_state"] = json!(state.stdout_text().trim());
}

/// The health check's verdict.
enum Health {
    Healthy,
    /// Worse than before the change: roll back.
    Unhealthy(String),
    /// Cannot tell yet (the system is still starting, e.g. during boot).
    Undetermined(String),
}

/// `systemctl is-system-running` no worse than before the change (`running`,
/// or `degraded` only if it was degraded already), every critical unit
/// active, and the MCP answering on a new connection if it did before.
fn health(ctx: &Ctx<'_>, snapshot: &Value, actions: &mut Vec<CommandRecord>) -> Health {
    let mut state = String::new();
    for attempt in 0..5 {
        let rec = ctx.tool(actions, "systemctl", &["is-system-running"], Duration::from_secs(30));
        state = rec.stdout_text().trim().to_string();
        if !matches!(state.as_str(), "starting" | "initializing") {
            break;
        }
        std::thread::sleep(Duration::from_secs(1 + attempt));
    }
    let before = snapshot["system_state"].as_str().unwrap_or("running");
    match state.as_str() {
        "running" => {}
        "degraded" if before == "degraded" => {}
        "starting" | "initializing" => return Health::Undetermined(format!("the system is still {state}")),
        other => {
            use crate::validate::quoted;
            return Health::Unhealthy(format!("system state is {} (was {})", quoted(other), quoted(before)));
        }
    }
    if ctx.config.checks.services.is_some() {
        let s = ctx.check(CheckName::Services);
        if s.verdict != Verdict::Compliant {
            return Health::Unhealthy(format!("critical units: {}", s.detail));
        }
    }
    if snapshot["mcp_reachable"].as_bool().unwrap_or(false) && !ctx.mcp_probe() {
        return Health::Unhealthy("the MCP was reachable before the rebuild and is not now".into());
    }
    Health::Healthy
}

/// Units that keep a rebuild going after its client was killed:
/// nixos-rebuild's transient `switch-to-configuration` unit, and the NixOS
/// module's helper unit that runs `nixos-rebuild` itself for the agent
/// (absent elsewhere: `systemctl` then says `inactive`).
const REBUILD_UNITS: [&str; 2] =
    ["nixos-rebuild-switch-to-configuration.service", "compliance-agent-helper-rebuild.service"];

/// Waits (bounded, feeding the watchdog through the runner's tools) until
/// no unit of [`REBUILD_UNITS`] is running: they keep activating even when
/// the client was killed.
fn wait_for_activation(ctx: &Ctx<'_>, actions: &mut Vec<CommandRecord>, limit: Duration) {
    let until = std::time::Instant::now() + limit;
    while std::time::Instant::now() < until {
        let mut argv = vec!["is-active"];
        argv.extend(REBUILD_UNITS);
        let rec = ctx.runner.run(&Invocation::new(ctx.config.tools.path("systemctl"), argv, Duration::from_secs(30)));
        let running = rec
            .stdout_text()
            .lines()
            .any(|state| matches!(state.trim(), "active" | "activating" | "reloading" | "deactivating"));
        if !running {
            return;
        }
        actions.push(rec);
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// Rebuilds to `flake`, judges the result, and rolls back an activated
/// system that is not healthy. Never runs without a journal row.
pub(super) fn act_and_verify(
    ctx: &Ctx<'_>,
    flake: &str,
    snapshot: &Value,
    journal: Option<i64>,
    actions: &mut Vec<CommandRecord>,
) -> Ending {
    let Some(id) = journal else {
        return Ending::new(Outcome::Failed, "store_error", "a rebuild never runs without a journal row", None);
    };
    let Some(p) = ctx.config.checks.patching.as_ref() else {
        return Ending::new(Outcome::Failed, "not_configured", "patching check disabled", None);
    };
    let before = snapshot["system"].as_str().map(str::to_string);
    // Minutes of silence otherwise: say what runs, in the log and in
    // `systemctl status`.
    log::info!("heal: nixos-rebuild switch --flake {flake} (this can take minutes)");
    ctx.notifier.status("heal: rebuilding the system");
    let switch =
        ctx.tool(actions, "nixos_rebuild", &["switch", "--flake", flake], Duration::from_secs(p.rebuild_timeout_secs));
    ctx.notifier.status("heal: checking the rebuilt system");
    if let Err(e) = ctx.store.journal_step(id, "acted") {
        log::warn!("heal: journal step: {e}");
    }
    crate::crashpoint::hit("heal-acted");
    wait_for_activation(ctx, actions, Duration::from_secs(p.rebuild_timeout_secs));
    let after = current_system(ctx);
    if after == before {
        // Nothing was activated: there is nothing to roll back (and
        // `--rollback` would go to an older generation, not to `before`).
        let post = ctx.check(CheckName::Patching);
        return if switch.success() {
            match health(ctx, snapshot, actions) {
                Health::Healthy => Ending {
                    outcome: Outcome::Success,
                    reason: None,
                    detail: format!("{flake} builds the running system; nothing changed"),
                    post: Some(post),
                },
                Health::Unhealthy(why) | Health::Undetermined(why) => Ending::new(
                    Outcome::Failed,
                    "health_check_failed",
                    format!("{why}; the system did not change, so there is nothing to roll back"),
                    Some(post),
                ),
            }
        } else {
            Ending::new(
                Outcome::Failed,
                "rebuild_failed",
                format!(
                    "nixos-rebuild failed before activating anything; the system is unchanged ({})",
                    checks::tool_failure(&switch)
                ),
                Some(post),
            )
        };
    }
    let verdict = if switch.success() {
        health(ctx, snapshot, actions)
    } else {
        Health::Unhealthy(format!("activation failed: {}", checks::tool_failure(&switch)))
    };
    match verdict {
        Health::Healthy => {
            let post = ctx.check(CheckName::Patching);
            let approved_ref = flake == p.flake_ref;
            if approved_ref && post.findings.iter().any(|f| f == "revision_mismatch") {
                // Healthy, but not what was approved: do not call it healed
                // (and do not reset the back-off, or this would rebuild
                // every cycle).
                return Ending::new(
                    Outcome::Failed,
                    "revision_not_approved",
                    format!("{flake} activated a revision other than the approved one: {}", post.detail),
                    Some(post),
                );
            }
            if let Some(rev) = post.observed["configuration_revision"].as_str() {
                ctx.store.put_state(APPROVED_REVISION, rev);
            }
            Ending {
                outcome: Outcome::Success,
                reason: None,
                detail: format!("switched to {flake}; health check passed"),
                post: Some(post),
            }
        }
        Health::Unhealthy(why) | Health::Undetermined(why) => rollback(ctx, before, why, actions),
    }
}

/// `nixos-rebuild switch --rollback`; `reverted` only if the recorded
/// system is current again.
fn rollback(ctx: &Ctx<'_>, before: Option<String>, why: String, actions: &mut Vec<CommandRecord>) -> Ending {
    log::warn!("heal: {why}; nixos-rebuild switch --rollback (this can take minutes)");
    ctx.notifier.status("heal: rolling back the system");
    let rb = ctx.tool(actions, "nixos_rebuild", &["switch", "--rollback"], Duration::from_secs(3600));
    let now = current_system(ctx);
    let post = ctx.check(CheckName::Patching);
    if rb.success() && before.is_some() && now == before {
        Ending::new(
            Outcome::Reverted,
            "health_check_failed",
            format!("{why}; rolled back to {} and verified", before.unwrap_or_default()),
            Some(post),
        )
    } else {
        Ending::new(
            Outcome::Failed,
            "rollback_failed",
            format!(
                "{why}; the rollback did not restore {} (now {}; rollback: {})",
                before.as_deref().unwrap_or("?"),
                now.as_deref().unwrap_or("?"),
                checks::tool_failure(&rb)
            ),
            Some(post),
        )
    }
}

/// Resolves an interrupted rebuild; None leaves its row open for a later
/// cycle (the system is still starting, so health cannot be judged).
pub(super) fn recover(
    ctx: &Ctx<'_>,
    row: &JournalRow,
    snapshot: &Value,
    actions: &mut Vec<CommandRecord>,
) -> Option<Ending> {
    let before = snapshot["system"].as_str().map(str::to_string);
    let now = current_system(ctx);
    if now == before {
        return Some(Ending::new(
            Outcome::Failed,
            "interrupted",
            "interrupted; the running system is unchanged",
            Some(ctx.check(CheckName::Patching)),
        ));
    }
    wait_for_activation(ctx, actions, Duration::from_secs(600));
    match health(ctx, snapshot, actions) {
        Health::Healthy => Some(Ending::new(
            Outcome::Success,
            "interrupted",
            "interrupted after activation; the new system is healthy",
            Some(ctx.check(CheckName::Patching)),
        )),
        Health::Undetermined(why) => {
            log::info!("heal: journal row {} (rebuild) stays open: {why}", row.id);
            None
        }
        Health::Unhealthy(why) => {
            let mut e = rollback(ctx, before, format!("interrupted; {why}"), actions);
            e.reason = Some("interrupted".into());
            Some(e)
        }
    }
}
