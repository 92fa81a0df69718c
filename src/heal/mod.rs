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
use crate::store::{Closing, JournalRow, Store, StoreError};
use serde_json::{json, Value};
use std::time::Duration;

mod patching;

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

    /// `nft -f <script>`: the script holds a baseline or a saved ruleset,
    /// so nft's stderr may echo it; evidence keeps only a scrubbed reason.
    fn nft_load(&self, actions: &mut Vec<CommandRecord>, script: &str) -> CommandRecord {
        let inv = Invocation::new(self.config.tools.path("nft"), ["-f", script], Duration::from_secs(30));
        self.invoke(actions, inv.untrusted_input())
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
        match save_ruleset(ctx, &mut actions, started_ms) {
            Ok(path) => snapshot["saved_ruleset"] = json!(path),
            Err(e) => {
                let end = Ending::new(Outcome::Failed, "snapshot_failed", e, None);
                return close(ctx, target, order, None, &pre, actions, end, started_ms);
            }
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
    let step = |s: &str| {
        if let Some(Err(e)) = id.map(|id| ctx.store.journal_step(id, s)) {
            log::warn!("heal: journal step {s}: {e}");
        }
    };
    match target {
        Target::Services(units) => {
            for u in units {
                ctx.tool(actions, "systemctl", &["restart", u.as_str()], Duration::from_secs(120));
            }
            step("acted");
            crate::crashpoint::hit("heal-acted");
            std::thread::sleep(Duration::from_millis(300));
            verify_check(ctx, CheckName::Services)
        }
        Target::Backup => {
            let unit = ctx.config.checks.backups.as_ref().map(|b| b.unit.as_str().to_string()).unwrap_or_default();
            // `systemctl start` of a oneshot backup unit waits until it finished.
            ctx.tool(actions, "systemctl", &["start", &unit], Duration::from_secs(3600));
            step("acted");
            crate::crashpoint::hit("heal-acted");
            verify_check(ctx, CheckName::Backups)
        }
        Target::Journald => {
            ctx.tool(actions, "systemctl", &["restart", "systemd-journald.service"], Duration::from_secs(60));
            step("acted");
            crate::crashpoint::hit("heal-acted");
            verify_check(ctx, CheckName::Logging)
        }
        Target::Firewall => {
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
            let apply = ctx.nft_load(actions, &script);
            step("acted");
            crate::crashpoint::hit("heal-acted");
            let post = ctx.check(CheckName::Firewall);
            let reachable = !snapshot["mcp_reachable"].as_bool().unwrap_or(false) || ctx.mcp_probe();
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
            restore_firewall(ctx, snapshot, actions, why)
        }
        Target::Rebuild(flake) => patching::act_and_verify(ctx, flake, snapshot, id, actions),
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

/// The text of [`managed_swap`]'s script (pure).
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

fn restore_firewall(ctx: &Ctx<'_>, snapshot: &Value, actions: &mut Vec<CommandRecord>, why: String) -> Ending {
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
        Ok(script) => ctx.nft_load(actions, &script),
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
        Target::Firewall => {
            let post = ctx.check(CheckName::Firewall);
            let reachable = !snapshot["mcp_reachable"].as_bool().unwrap_or(false) || ctx.mcp_probe();
            if post.verdict == Verdict::Compliant && reachable {
                Ending::new(
                    Outcome::Success,
                    "interrupted",
                    "interrupted; the baseline is in place and verifies",
                    Some(post),
                )
            } else if snapshot["pre_state"]["ruleset_sha256"].as_str() == post.observed["ruleset_sha256"].as_str() {
                Ending::new(
                    Outcome::Failed,
                    "interrupted",
                    "interrupted before the baseline was applied; the ruleset is unchanged",
                    Some(post),
                )
            } else {
                let mut e = restore_firewall(ctx, &snapshot, &mut actions, "interrupted mid-change".into());
                e.reason = Some("interrupted".into());
                e
            }
        }
        other => {
            let post = ctx.check(other.check());
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
    };
    Some(close_recovered(ctx, row, &target, &snapshot, actions, end))
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
