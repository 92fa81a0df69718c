//! patching: `nixos-version --json`. Drift when `configurationRevision`
//! differs from the approved revision (config `expected_revision`, else the
//! last successful approved rebuild recorded in the store), or when the
//! nixpkgs date inside `nixosVersion` is older than `max_age_days`.
//! Healing the revision is disruptive (a rebuild); age alone is alerted.

use super::{tool_failure, CheckName, CheckResult, Env};
use crate::config::PatchingConfig;
use serde_json::{json, Value};

/// State key of the last revision an approved rebuild produced.
pub const APPROVED_REVISION: &str = "patching.approved_revision";

/// What `nixos-version --json` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NixosVersion {
    /// The flake revision of the running configuration, if the flake set one.
    pub configuration_revision: Option<String>,
    /// e.g. `24.11.20241231.edf04b7`.
    pub nixos_version: String,
    /// The nixpkgs date as days since the epoch, if the version carries one.
    pub nixpkgs_day: Option<i64>,
}

/// Parses `nixos-version --json` output.
pub fn parse(stdout: &str) -> Result<NixosVersion, String> {
    let v: Value = serde_json::from_str(stdout.trim()).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let nixos_version = obj.get("nixosVersion").and_then(Value::as_str).ok_or("no nixosVersion")?.to_string();
    let configuration_revision = match obj.get("configurationRevision") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => return Err("configurationRevision is not a string".into()),
    };
    Ok(NixosVersion { nixpkgs_day: nixpkgs_day(&nixos_version), configuration_revision, nixos_version })
}

/// `24.11.20241231.edf04b7` → the day 2024-12-31 (days since the epoch).
pub fn nixpkgs_day(version: &str) -> Option<i64> {
    let date = version.split('.').nth(2)?;
    let date: String = date.chars().take_while(char::is_ascii_digit).collect();
    if date.len() != 8 {
        return None;
    }
    let (y, m, d) = (date[..4].parse().ok()?, date[4..6].parse().ok()?, date[6..8].parse().ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(crate::clock::days_from_civil(y, m, d))
}

/// The decision, separate from running the tool.
pub fn evaluate(r: &mut CheckResult, v: &NixosVersion, approved: Option<&str>, max_age_days: u64, today: i64) {
    r.observed = json!({
        "configuration_revision": v.configuration_revision,
        "nixos_version": v.nixos_version,
        "nixpkgs_age_days": v.nixpkgs_day.map(|d| today - d),
    });
    r.expected = json!({"configuration_revision": approved, "max_age_days": max_age_days});
    if let Some(want) = approved {
        if v.configuration_revision.as_deref() != Some(want) {
            r.finding("revision_mismatch");
            r.disruptive = true;
        }
    }
    match v.nixpkgs_day {
        // A revision mismatch is drift whatever the date says; only when
        // nothing else was found does an unreadable date make it an error.
        None if r.findings.is_empty() => {
            r.verdict = super::Verdict::Error;
            r.findings.push("nixpkgs_date_unknown".into());
        }
        None => r.findings.push("nixpkgs_date_unknown".into()),
        Some(day) if today - day > i64::try_from(max_age_days).unwrap_or(i64::MAX) => {
            r.finding("nixpkgs_too_old");
            // A rebuild of the same approved flake would not make it newer.
            if !r.findings.iter().any(|f| f == "revision_mismatch") {
                r.healable = false;
            }
        }
        Some(_) => {}
    }
    let mut parts = Vec::new();
    if r.findings.iter().any(|f| f == "revision_mismatch") {
        parts.push(format!(
            "running revision {} is not the approved {}",
            v.configuration_revision.as_deref().unwrap_or("(none)"),
            approved.unwrap_or("?")
        ));
    }
    if r.findings.iter().any(|f| f == "nixpkgs_too_old") {
        parts.push(format!(
            "nixpkgs is {} days old (max {max_age_days})",
            v.nixpkgs_day.map(|d| today - d).unwrap_or(0)
        ));
    }
    if approved.is_none() {
        parts.push("no approved revision is known; only the age is checked".into());
    }
    r.detail = parts.join("; ");
}

/// Runs the check.
pub fn check(cfg: &PatchingConfig, env: &Env<'_>) -> CheckResult {
    let mut r = CheckResult::new(CheckName::Patching);
    let rec = env.run(&mut r, "nixos_version", &["--json"]);
    if !rec.success() {
        let why = tool_failure(&rec);
        return r.error("tool_failed", format!("nixos-version: {why}"));
    }
    let v = match parse(&rec.stdout_text()) {
        Ok(v) => v,
        Err(e) => return r.error("unparseable_output", format!("nixos-version --json: {e}")),
    };
    let stored = env.state.get(APPROVED_REVISION);
    let approved = cfg.expected_revision.clone().or(stored);
    let today = env.clock.now().div_euclid(86_400);
    evaluate(&mut r, &v, approved.as_deref(), cfg.max_age_days, today);
    r
}
