//! services: one `systemctl is-active` call for all configured units.
//! Anything but `active` is drift; units that are `activating` or
//! `reloading` are asked about once more before they count. The exit status
//! is not trusted (systemctl exits 0 when *any* unit is active): every
//! per-unit line is read, and a line count that does not match is an error.

use super::{tool_failure, CheckName, CheckResult, Env};
use crate::config::ServicesConfig;
use crate::exec::Exit;
use serde_json::{json, Map, Value};

/// States systemd prints for `is-active`.
const KNOWN: [&str; 8] =
    ["active", "inactive", "failed", "activating", "deactivating", "reloading", "refreshing", "maintenance"];

/// Parses `is-active` output for `units` (one state per line, same order).
pub fn parse(stdout: &str, units: usize) -> Result<Vec<String>, String> {
    let lines: Vec<&str> = stdout.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.len() != units {
        return Err(format!("{} state lines for {units} units", lines.len()));
    }
    lines
        .iter()
        .map(|l| {
            if KNOWN.contains(l) || *l == "unknown" {
                Ok(l.to_string())
            } else {
                Err(format!("unexpected state {}", crate::validate::quoted(l)))
            }
        })
        .collect()
}

/// Asks for `units`; an error is `(finding, detail)`.
fn is_active(env: &Env<'_>, r: &mut CheckResult, units: &[&str]) -> Result<Vec<String>, (&'static str, String)> {
    let mut args = vec!["is-active", "--no-pager"];
    args.extend_from_slice(units);
    let rec = env.run(r, "systemctl", &args);
    // Exit 0 (some active), 3 (not all active) and 4 (no such unit) all
    // come with per-unit lines; anything else is a failure to ask.
    let usable = matches!(rec.exit, Exit::Code { code: 0 | 3 | 4 });
    if !usable {
        return Err(("tool_failed", format!("systemctl: {}", tool_failure(&rec))));
    }
    parse(&rec.stdout_text(), units.len()).map_err(|e| ("unparseable_output", format!("systemctl is-active: {e}")))
}

/// Runs the check.
pub fn check(cfg: &ServicesConfig, env: &Env<'_>) -> CheckResult {
    let mut r = CheckResult::new(CheckName::Services);
    let units: Vec<&str> = cfg.units.iter().map(|u| u.as_str()).collect();
    let mut states = match is_active(env, &mut r, &units) {
        Ok(s) => s,
        Err((finding, detail)) => return r.error(finding, detail),
    };
    // Transitional states get one second look.
    let transitional: Vec<usize> = states
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.as_str(), "activating" | "reloading" | "refreshing"))
        .map(|(i, _)| i)
        .collect();
    if !transitional.is_empty() {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let again: Vec<&str> = transitional.iter().map(|i| units[*i]).collect();
        match is_active(env, &mut r, &again) {
            Ok(s) => {
                for (i, state) in transitional.iter().zip(s) {
                    states[*i] = state;
                }
            }
            Err((finding, detail)) => return r.error(finding, detail),
        }
    }
    let mut observed = Map::new();
    let mut down = Vec::new();
    for (u, s) in units.iter().zip(&states) {
        observed.insert(u.to_string(), Value::String(s.clone()));
        if s != "active" {
            down.push(format!("{u} is {s}"));
        }
    }
    r.observed = json!({"units": observed});
    r.expected =
        json!({"units": units.iter().map(|u| (u.to_string(), Value::String("active".into()))).collect::<Map<_, _>>()});
    if !down.is_empty() {
        r.finding("unit_not_active");
        r.detail = down.join(", ");
    }
    r
}
