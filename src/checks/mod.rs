//! The six drift checks (docs/checks.md).
//!
//! Owns: running each check's tools through [`Runner`], parsing their
//! output into values, and deciding drift with plain functions. A check
//! never changes the host (the logging canary is the one write, by design),
//! never panics on odd output, and turns a missing, hung or garbled tool
//! into an `error` result — never into drift or compliance by accident.

pub mod backups;
pub mod encryption;
pub mod firewall;
pub mod logging;
pub mod patching;
pub mod services;

use crate::clock::Clock;
use crate::config::Config;
use crate::exec::{CommandRecord, Invocation, Runner};
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

/// One of the six checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// NixOS revision and nixpkgs age.
    Patching,
    /// Critical systemd units active.
    Services,
    /// Recent, intact backups.
    Backups,
    /// nftables ruleset equals the signed baseline.
    Firewall,
    /// journald up and accepting messages.
    Logging,
    /// Volumes open as dm-crypt.
    Encryption,
}

impl CheckName {
    /// All six, in report order.
    pub const ALL: [CheckName; 6] = [
        CheckName::Patching,
        CheckName::Services,
        CheckName::Backups,
        CheckName::Firewall,
        CheckName::Logging,
        CheckName::Encryption,
    ];

    /// The config/evidence spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Patching => "patching",
            CheckName::Services => "services",
            CheckName::Backups => "backups",
            CheckName::Firewall => "firewall",
            CheckName::Logging => "logging",
            CheckName::Encryption => "encryption",
        }
    }

    /// Parses the config/evidence spelling.
    pub fn parse(s: &str) -> Option<CheckName> {
        CheckName::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Observed state matches the expected state.
    Compliant,
    /// It does not.
    Drift,
    /// The check could not tell (tool missing, hung, unparseable output).
    Error,
}

/// What a check saw.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// Which check.
    pub check: CheckName,
    /// The verdict.
    pub verdict: Verdict,
    /// Machine-readable findings, e.g. `revision_mismatch`, `unit_inactive`.
    pub findings: Vec<String>,
    /// One human sentence.
    pub detail: String,
    /// What was observed (evidence `pre_state`/`post_state`).
    pub observed: Value,
    /// What was expected.
    pub expected: Value,
    /// Whether healing this drift is disruptive (maintenance window only).
    pub disruptive: bool,
    /// Whether the agent may heal it at all.
    pub healable: bool,
    /// Commands run.
    pub commands: Vec<CommandRecord>,
    /// Wall time.
    pub duration_ms: u64,
}

impl CheckResult {
    fn new(check: CheckName) -> Self {
        CheckResult {
            check,
            verdict: Verdict::Compliant,
            findings: Vec::new(),
            detail: String::new(),
            observed: Value::Null,
            expected: Value::Null,
            disruptive: false,
            healable: true,
            commands: Vec::new(),
            duration_ms: 0,
        }
    }

    /// A result carrying only an observed state (journal recovery).
    pub fn from_observed(check: CheckName, observed: Value) -> Self {
        CheckResult { observed, ..CheckResult::new(check) }
    }

    /// True when drift was found.
    pub fn drift(&self) -> bool {
        self.verdict == Verdict::Drift
    }

    /// Marks drift with a finding.
    fn finding(&mut self, f: &str) {
        if self.verdict != Verdict::Error {
            self.verdict = Verdict::Drift;
        }
        self.findings.push(f.to_string());
    }

    /// Marks the check as unable to tell.
    fn error(mut self, finding: &str, detail: impl Into<String>) -> Self {
        self.verdict = Verdict::Error;
        self.findings.push(finding.to_string());
        self.detail = detail.into();
        self
    }

    /// The summary a cycle bundle's `results` carries for this check.
    pub fn summary(&self) -> Value {
        json!({
            "verdict": self.verdict,
            "drift": match self.verdict { Verdict::Drift => Value::Bool(true), Verdict::Compliant => Value::Bool(false), Verdict::Error => Value::Null },
            "findings": self.findings,
            "detail": self.detail,
            "observed": self.observed,
            "duration_ms": self.duration_ms,
        })
    }
}

impl CheckName {
    /// Keys of this check's `observed` state that change without anything
    /// having changed on the host: nonces (the logging canary) and clocks
    /// (ages that grow by the hour, the newest backup's time). They are
    /// evidence, but never a reason for a new `cycle` bundle.
    pub fn volatile_observed(self) -> &'static [&'static str] {
        match self {
            CheckName::Logging => &["canary"],
            CheckName::Backups => &["age_hours", "timestamp", "latest_snapshot", "manifest_sha256"],
            CheckName::Patching => &["nixpkgs_age_days"],
            CheckName::Services | CheckName::Firewall | CheckName::Encryption => &[],
        }
    }
}

/// What decides whether a cycle's results changed: per check its verdict,
/// findings and observed state without the volatile keys — never its
/// duration, its wording or a nonce. `results` maps check names to
/// [`CheckResult::summary`] values.
pub fn change_key(results: &Value) -> Value {
    let Some(map) = results.as_object() else { return results.clone() };
    let mut out = serde_json::Map::new();
    for (name, summary) in map {
        let mut observed = summary.get("observed").cloned().unwrap_or(Value::Null);
        if let (Some(check), Some(obj)) = (CheckName::parse(name), observed.as_object_mut()) {
            for key in check.volatile_observed() {
                obj.remove(*key);
            }
        }
        out.insert(
            name.clone(),
            json!({
                "verdict": summary.get("verdict"),
                "drift": summary.get("drift"),
                "findings": summary.get("findings"),
                "observed": observed,
            }),
        );
    }
    Value::Object(out)
}

/// Everything a check needs from outside.
pub struct Env<'a> {
    /// The validated configuration.
    pub config: &'a Config,
    /// Runs tools.
    pub runner: &'a dyn Runner,
    /// Wall time.
    pub clock: &'a dyn Clock,
    /// State the checks may read (approved revision, canonical baseline).
    pub state: &'a dyn StateRead,
}

impl fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env").finish_non_exhaustive()
    }
}

/// Read access to small persisted state (the store, or a map in tests).
pub trait StateRead {
    /// A value by key.
    fn get(&self, key: &str) -> Option<String>;
    /// Remembers a value (best effort: a cache, never the source of truth).
    fn put(&self, key: &str, value: &str);
}

/// No persisted state (e.g. `check` before the agent ever ran).
#[derive(Debug, Default)]
pub struct NoState;

impl StateRead for NoState {
    fn get(&self, _key: &str) -> Option<String> {
        None
    }
    fn put(&self, _key: &str, _value: &str) {}
}

impl crate::store::Store {
    /// Best-effort state write (a cache or hint, never the source of truth).
    pub fn put_state(&self, key: &str, value: &str) {
        if let Err(e) = self.set_state(key, value) {
            log::warn!("state {key}: {e}");
        }
    }
}

impl StateRead for crate::store::Store {
    fn get(&self, key: &str) -> Option<String> {
        self.get_state(key).ok().flatten()
    }
    fn put(&self, key: &str, value: &str) {
        let _ = self.set_state(key, value);
    }
}

/// Per-check tool timeout.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(10);

impl Env<'_> {
    /// Runs a configured tool and records the command in `result`.
    fn run(&self, result: &mut CheckResult, tool: &str, args: &[&str]) -> CommandRecord {
        self.run_path(result, self.config.tools.path(tool), args, TOOL_TIMEOUT)
    }

    fn run_path(&self, result: &mut CheckResult, program: &Path, args: &[&str], timeout: Duration) -> CommandRecord {
        self.run_invocation(result, &Invocation::new(program, args.iter().copied(), timeout))
    }

    fn run_invocation(&self, result: &mut CheckResult, inv: &Invocation) -> CommandRecord {
        let rec = self.runner.run(inv);
        result.commands.push(rec.clone());
        rec
    }
}

/// Why a command could not be used (for `error` results); it lives with
/// the command record in [`crate::exec`].
pub use crate::exec::tool_failure;

/// The checks enabled in `config`.
pub fn enabled(config: &Config) -> Vec<CheckName> {
    let c = &config.checks;
    CheckName::ALL
        .into_iter()
        .filter(|n| match n {
            CheckName::Patching => c.patching.is_some(),
            CheckName::Services => c.services.is_some(),
            CheckName::Backups => c.backups.is_some(),
            CheckName::Firewall => c.firewall.is_some(),
            CheckName::Logging => c.logging.is_some(),
            CheckName::Encryption => c.encryption.is_some(),
        })
        .collect()
}

/// The configured `interval_secs` of a check (None = every cycle).
pub fn interval(config: &Config, check: CheckName) -> Option<u64> {
    let c = &config.checks;
    match check {
        CheckName::Patching => c.patching.as_ref().and_then(|x| x.interval_secs),
        CheckName::Services => c.services.as_ref().and_then(|x| x.interval_secs),
        CheckName::Backups => c.backups.as_ref().and_then(|x| x.interval_secs),
        CheckName::Firewall => c.firewall.as_ref().and_then(|x| x.interval_secs),
        CheckName::Logging => c.logging.as_ref().and_then(|x| x.interval_secs),
        CheckName::Encryption => c.encryption.as_ref().and_then(|x| x.interval_secs),
    }
}

/// Runs one check (it must be enabled; a disabled one is an error result).
pub fn run(check: CheckName, env: &Env<'_>) -> CheckResult {
    let started = Instant::now();
    let c = &env.config.checks;
    let mut r = match check {
        CheckName::Patching => c.patching.as_ref().map(|cfg| patching::check(cfg, env)),
        CheckName::Services => c.services.as_ref().map(|cfg| services::check(cfg, env)),
        CheckName::Backups => c.backups.as_ref().map(|cfg| backups::check(cfg, env)),
        CheckName::Firewall => c.firewall.as_ref().map(|cfg| firewall::check(cfg, env)),
        CheckName::Logging => c.logging.as_ref().map(|_| logging::check(env)),
        CheckName::Encryption => c.encryption.as_ref().map(|cfg| encryption::check(cfg, env)),
    }
    .unwrap_or_else(|| CheckResult::new(check).error("disabled", "the check is not enabled in the configuration"));
    r.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if r.detail.is_empty() {
        r.detail = match r.verdict {
            Verdict::Compliant => "compliant".into(),
            Verdict::Drift => format!("drift: {}", r.findings.join(", ")),
            Verdict::Error => format!("error: {}", r.findings.join(", ")),
        };
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(units: &str, canary: &str, ms: u64, age: u64) -> Value {
        json!({
            "services": {"verdict": "compliant", "drift": false, "findings": [], "detail": "compliant",
                         "observed": {"units": {"sshd.service": units}}, "duration_ms": ms},
            "logging": {"verdict": "compliant", "drift": false, "findings": [], "detail": format!("canary {canary}"),
                        "observed": {"journald": "active", "canary": canary, "found": true}, "duration_ms": ms + 3},
            "backups": {"verdict": "compliant", "drift": false, "findings": [], "detail": "compliant",
                        "observed": {"source": "restic", "age_hours": age}, "duration_ms": 1},
        })
    }

    #[test]
    fn change_is_decided_on_verdicts_and_facts_not_timings_or_nonces() {
        let a = change_key(&results("active", "canary 01", 4, 1));
        assert_eq!(a, change_key(&results("active", "canary 02", 9, 5)), "timings, nonces and ages changed only");
        assert_ne!(a, change_key(&results("failed", "canary 01", 4, 1)), "a unit's state is a fact");
    }
}
