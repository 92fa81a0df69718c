//! The firewall target: apply the signed baseline.
//!
//! Changes: the live nft ruleset. The snapshot saves the live managed
//! tables (not those in `ignore_tables`) to `state_dir`. The baseline's
//! signature is verified again right before applying it, and the bytes that
//! verified are applied in one atomic `nft -f` that deletes every managed
//! live table and loads the baseline without its `flush ruleset`, so
//! fail2ban-style tables and their bans survive. Every script handed to
//! `nft -f` passes [`crate::nftscript`]'s filter first, and nft's stderr
//! reaches evidence only as a scrubbed reason.
//!
//! Verifies: the firewall check (hash of the kernel's listing) and, like
//! deploy-rs's magic rollback, the MCP still answering on a new connection
//! if it did before.
//!
//! Rolls back: the same kind of swap back to the saved tables, then the
//! live hash must equal the one before, or it is not `reverted`.
//!
//! Crash recovery ([`recover`]): baseline in place, verifying and the MCP
//! answering → `success`; ruleset unchanged → `failed`; anything else →
//! the same restore.

use super::engine::{journal_step, Ending};
use super::Ctx;
use crate::checks::{self, CheckName, Verdict};
use crate::evidence::Outcome;
use crate::exec::{CommandRecord, Invocation};
use serde_json::{json, Value};
use std::time::Duration;

/// `nft -f <script>`: the script holds a baseline or a saved ruleset, so
/// nft's stderr may echo it; evidence keeps only a scrubbed reason.
fn nft_load(ctx: &Ctx<'_>, actions: &mut Vec<CommandRecord>, script: &str) -> CommandRecord {
    let inv = Invocation::new(ctx.config.tools.path("nft"), ["-f", script], Duration::from_secs(30));
    ctx.invoke(actions, inv.untrusted_input())
}

/// Whether the MCP still answers on a new connection, if it answered this
/// cycle before the change (a ruleset that cuts it off is not compliant).
fn mcp_still_reachable(ctx: &Ctx<'_>, snapshot: &Value) -> bool {
    !snapshot["mcp_reachable"].as_bool().unwrap_or(false) || ctx.mcp_probe()
}

/// Adds the saved live ruleset to the snapshot; without it there is
/// nothing to restore, so nothing may change. Returns why not.
pub(super) fn snapshot(
    ctx: &Ctx<'_>,
    snapshot: &mut Value,
    actions: &mut Vec<CommandRecord>,
    now_ms: i64,
) -> Result<(), String> {
    let path = save_ruleset(ctx, actions, now_ms)?;
    snapshot["saved_ruleset"] = json!(path);
    Ok(())
}

/// Applies the baseline, verifies it, and restores the saved ruleset if it
/// does not verify.
pub(super) fn act_and_verify(
    ctx: &Ctx<'_>,
    snapshot: &Value,
    journal: Option<i64>,
    actions: &mut Vec<CommandRecord>,
) -> Ending {
    let Some(fw) = ctx.config.checks.firewall.as_ref() else {
        return Ending::new(Outcome::Failed, "not_configured", "firewall check disabled", None);
    };
    // The check verified the baseline's signature this cycle; check
    // again right before applying it (the file could have changed).
    let pre = ctx.check(CheckName::Firewall);
    if pre.verdict == Verdict::Error {
        return Ending::new(Outcome::Failed, "baseline_untrusted", pre.detail.clone(), Some(pre));
    }
    // The bytes that verified and passed the nft script filter (so
    // they are UTF-8) are the ones applied; the file is not read again.
    let rules = match checks::firewall::effective_baseline(fw, &ctx.env()) {
        Ok(b) => String::from_utf8_lossy(&b.bytes).into_owned(),
        Err((_, why)) => {
            return Ending::new(Outcome::Failed, "baseline_untrusted", why, Some(pre));
        }
    };
    // One atomic nft transaction that replaces only the tables the
    // agent manages: tables in `ignore_tables` (fail2ban's bans)
    // survive, unlike with the baseline's own `flush ruleset`.
    let script = match managed_swap(ctx, actions, &rules, "apply") {
        Ok(p) => p,
        Err(e) => {
            return Ending::new(Outcome::Failed, "snapshot_failed", e, Some(pre));
        }
    };
    let apply = nft_load(ctx, actions, &script);
    journal_step(ctx, journal, "acted");
    crate::crashpoint::hit("heal-acted");
    let post = ctx.check(CheckName::Firewall);
    let reachable = mcp_still_reachable(ctx, snapshot);
    if apply.success() && post.verdict == Verdict::Compliant && reachable {
        return Ending {
            outcome: Outcome::Success,
            reason: None,
            detail: "baseline applied and verified".into(),
            post: Some(post),
        };
    }
    let why = if !apply.success() {
        format!("nft -f failed: {}", checks::tool_failure(&apply))
    } else if !reachable {
        "the MCP was reachable before and is not after applying the baseline".to_string()
    } else {
        format!("the ruleset does not verify after applying: {}", post.detail)
    };
    restore(ctx, snapshot, actions, why)
}

/// Resolves an interrupted firewall change.
pub(super) fn recover(ctx: &Ctx<'_>, snapshot: &Value, actions: &mut Vec<CommandRecord>) -> Ending {
    let post = ctx.check(CheckName::Firewall);
    let reachable = mcp_still_reachable(ctx, snapshot);
    if post.verdict == Verdict::Compliant && reachable {
        Ending::new(Outcome::Success, "interrupted", "interrupted; the baseline is in place and verifies", Some(post))
    } else if snapshot["pre_state"]["ruleset_sha256"].as_str() == post.observed["ruleset_sha256"].as_str() {
        Ending::new(
            Outcome::Failed,
            "interrupted",
            "interrupted before the baseline was applied; the ruleset is unchanged",
            Some(post),
        )
    } else {
        let mut e = restore(ctx, snapshot, actions, "interrupted mid-change".into());
        e.reason = Some("interrupted".into());
        e
    }
}

fn ignored(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.config.checks.firewall.as_ref().map(|f| f.ignore_tables.clone()).unwrap_or_default()
}

/// The live stateless listing, complete (a truncated one would make a
/// wrong snapshot).
fn live_listing(ctx: &Ctx<'_>, actions: &mut Vec<CommandRecord>) -> Result<String, String> {
    let rec = ctx.tool(actions, "nft", &["-s", "list", "ruleset"], Duration::from_secs(30));
    if !rec.success() {
        return Err(format!("cannot list the live ruleset: {}", checks::tool_failure(&rec)));
    }
    if rec.stdout_dropped > 0 {
        return Err("the live ruleset listing is larger than the output cap".into());
    }
    let text = rec.stdout_text();
    checks::firewall::validate_listing(&text)?;
    Ok(text)
}

/// Saves the managed (not ignored) tables of the live ruleset to a file in
/// `state_dir`, for restoring.
fn save_ruleset(ctx: &Ctx<'_>, actions: &mut Vec<CommandRecord>, now_ms: i64) -> Result<String, String> {
    let live = live_listing(ctx, actions)?;
    let (managed, _) = checks::firewall::filtered(&live, &ignored(ctx));
    let path = ctx.config.state_dir.join(format!("firewall-saved-{now_ms}.nft"));
    crate::fsutil::write_atomic(&path, managed.as_bytes(), 0o600).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.display().to_string())
}

/// Writes an nft script that, in one transaction, deletes every live table
/// that is not ignored and loads `rules` (without any `flush ruleset`).
/// Returns its path. The script must pass [`crate::nftscript`]'s filter, as
/// everything the agent hands to `nft -f` does.
fn managed_swap(ctx: &Ctx<'_>, actions: &mut Vec<CommandRecord>, rules: &str, label: &str) -> Result<String, String> {
    let live = live_listing(ctx, actions)?;
    let script = swap_script(&live, rules, &ignored(ctx));
    crate::nftscript::parse(&script).map_err(|r| format!("the {label} script is refused: {r}"))?;
    let path = ctx.config.state_dir.join(format!("firewall-{label}.nft"));
    crate::fsutil::write_atomic(&path, script.as_bytes(), 0o600).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.display().to_string())
}

/// The text of the script `managed_swap` writes (pure): deletes the live
/// tables not in `ignore`, then `rules` without any `flush ruleset`.
pub fn swap_script(live: &str, rules: &str, ignore: &[String]) -> String {
    let mut out = String::new();
    for (name, _) in checks::firewall::tables(live) {
        if !name.is_empty() && !ignore.contains(&name) {
            out.push_str(&format!("delete table {name}\n"));
        }
    }
    for line in rules.lines() {
        if line.trim() == "flush ruleset" {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Swaps the saved ruleset back in; `reverted` only if the live hash is
/// the one before the change again.
fn restore(ctx: &Ctx<'_>, snapshot: &Value, actions: &mut Vec<CommandRecord>, why: String) -> Ending {
    let Some(saved) = snapshot["saved_ruleset"].as_str() else {
        return Ending::new(Outcome::Failed, "no_snapshot", format!("{why}; no saved ruleset to restore"), None);
    };
    let saved_path = std::path::Path::new(saved);
    let prepared = crate::fsutil::read_text_capped(
        saved_path,
        checks::firewall::MAX_BASELINE_BYTES,
        crate::fsutil::follow_for(saved_path, &ctx.config.state_dir),
    )
    .map_err(|e| format!("{saved}: {e}"))
    .and_then(|rules| managed_swap(ctx, actions, &rules, "restore"));
    let restore = match prepared {
        Ok(script) => nft_load(ctx, actions, &script),
        Err(e) => {
            return Ending::new(
                Outcome::Failed,
                "rollback_failed",
                format!("{why}; cannot prepare the restore: {e}"),
                None,
            )
        }
    };
    let post = ctx.check(CheckName::Firewall);
    let before = snapshot["pre_state"]["ruleset_sha256"].as_str();
    let now = post.observed["ruleset_sha256"].as_str();
    if restore.success() && before.is_some() && before == now {
        Ending::new(
            Outcome::Reverted,
            "verify_failed",
            format!("{why}; the saved ruleset was restored and verified"),
            Some(post),
        )
    } else {
        Ending::new(
            Outcome::Failed,
            "rollback_failed",
            format!("{why}; restoring the saved ruleset did not verify (restore: {})", checks::tool_failure(&restore)),
            Some(post),
        )
    }
}
