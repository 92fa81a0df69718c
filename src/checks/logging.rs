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

/// Runs the check.
pub fn check(env: &Env<'_>) -> CheckResult {
    let mut r = CheckResult::new(CheckName::Logging);
    r.expected = json!({"journald": "active", "canary": "found"});
    let rec = env.run(&mut r, "systemctl", &["is-active", "--no-pager", "systemd-journald.service"]);
    let journald = match rec.exit {
        Exit::Code { code: 0 | 3 | 4 } => rec.stdout_text().trim().to_string(),
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
        r.observed = json!({"journald": journald, "canary": message, "logger": tool_failure(&rec)});
        r.finding("canary_not_written");
        r.detail = format!("logger failed: {}", tool_failure(&rec));
        return r;
    }
    let mut found = false;
    for wait in RETRY {
        std::thread::sleep(Duration::from_millis(wait));
        let rec = env.run(&mut r, "journalctl", &["-t", CANARY_TAG, "-o", "cat", "--no-pager", "-q", "-n", "200"]);
        if !rec.success() {
            let why = tool_failure(&rec);
            return r.error("tool_failed", format!("journalctl: {why}"));
        }
        if rec.stdout_text().lines().any(|l| l.trim() == message) {
            found = true;
            break;
        }
    }
    r.observed = json!({"journald": journald, "canary": message, "found": found});
    if !found {
        r.finding("canary_missing");
        r.detail = format!("the canary {message:?} did not reach the journal");
    }
    r
}
