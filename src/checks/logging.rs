//! logging: journald is active, and a fresh random canary written with
//! `logger -t` is found by `journalctl -t` within a short bounded retry.
//! Canaries carry a random 64-bit id, so two cycles never collide and an
//! old line can never satisfy a new check.

use super::{tool_failure, CheckName, CheckResult, Env};
use crate::exec::Exit;
use serde_json::json;
use std::time::Duration;

/// The syslog tag of canary messages.
pub const CANARY_TAG: &str = "compliance-agent-canary";
/// Waits between journal lookups (bounded: about 1.5 s in all).
const RETRY: [u64; 5] = [0, 100, 200, 400, 800];

/// A new canary message.
pub fn canary() -> String {
    format!("canary {:016x}", crate::rand::u64())
}

/// The canary lines in `journalctl -t compliance-agent-canary -o cat`
/// output. Only canaries carry that tag, so anything else (binary junk, a
/// foreign line) means the output cannot be trusted.
pub fn canaries(stdout: &[u8]) -> Result<Vec<String>, String> {
    let text = std::str::from_utf8(stdout).map_err(|_| "output is not UTF-8".to_string())?;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with("-- ") {
            continue; // "-- No entries --", "-- Boot … --"
        }
        let ok =
            line.strip_prefix("canary ").is_some_and(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()));
        if !ok {
            return Err(format!("unexpected line {}", crate::validate::quoted(line)));
        }
        out.push(line.to_string());
    }
    Ok(out)
}

/// Runs the check.
pub fn check(env: &Env<'_>) -> CheckResult {
    let mut r = CheckResult::new(CheckName::Logging);
    r.expected = json!({"journald": "active", "canary": "found"});
    let rec = env.run(&mut r, "systemctl", &["is-active", "--no-pager", "systemd-journald.service"]);
    let journald = match rec.exit {
        Exit::Code { code: 0 | 3 | 4 } => match super::services::parse(&rec.stdout_text(), 1) {
            Ok(states) => states.into_iter().next().unwrap_or_default(),
            Err(e) => return r.error("unparseable_output", format!("systemctl is-active: {e}")),
        },
        _ => {
            let why = tool_failure(&rec);
            return r.error("tool_failed", format!("systemctl: {why}"));
        }
    };
    if journald != "active" {
        r.observed = json!({"journald": journald, "canary": null});
        r.finding("journald_not_active");
        r.detail = format!("systemd-journald.service is {journald}");
        return r;
    }
    let message = canary();
    let rec = env.run(&mut r, "logger", &["-t", CANARY_TAG, &message]);
    if !rec.success() {
        // The check cannot tell whether logging works when its own probe
        // cannot be sent: an error (alerted), not a verdict on journald.
        let why = tool_failure(&rec);
        return r.error("tool_failed", format!("logger: {why}"));
    }
    let mut found = false;
    for wait in RETRY {
        std::thread::sleep(Duration::from_millis(wait));
        let rec = env.run(&mut r, "journalctl", &["-t", CANARY_TAG, "-o", "cat", "--no-pager", "-q", "-n", "200"]);
        if !rec.success() {
            let why = tool_failure(&rec);
            return r.error("tool_failed", format!("journalctl: {why}"));
        }
        match canaries(&rec.stdout) {
            Err(e) => return r.error("unparseable_output", format!("journalctl -t {CANARY_TAG}: {e}")),
            Ok(list) if list.contains(&message) => {
                found = true;
                break;
            }
            Ok(_) => {}
        }
    }
    r.observed = json!({"journald": journald, "canary": message, "found": found});
    if !found {
        r.finding("canary_missing");
        r.detail = format!("the canary {message:?} did not reach the journal");
    }
    r
}
