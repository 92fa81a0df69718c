//! Debug-only test hooks: fault injection for the crash-safety tests, and a
//! shorter idle pause for the compressed-day daemon test.
//!
//! In debug builds, `hit("name")` aborts the process at once (no unwinding,
//! no destructors, no buffered writes: the same as `kill -9` for our
//! purposes) when `COMPLIANCE_AGENT_CRASHPOINT=name` is set, and
//! [`idle_pause`] shortens the daemon's sleep between cycles to
//! `COMPLIANCE_AGENT_TEST_IDLE_MS`. Release builds compile both to nothing,
//! so a shipped binary has no such hook: neither the environment nor the
//! configuration can reach them there.

use std::time::Duration;

/// Aborts here if the crash point `name` is armed (debug builds only).
#[inline]
pub fn hit(name: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("COMPLIANCE_AGENT_CRASHPOINT").is_ok_and(|v| v == name) {
        eprintln!("crashpoint {name}: aborting");
        std::process::abort();
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}

/// The daemon's idle pause between cycles: `pause`, or in debug builds at
/// most `COMPLIANCE_AGENT_TEST_IDLE_MS` milliseconds when that is set. It
/// only ever shortens the sleep, and touches no clock: every interval the
/// agent measures (summaries, alerts, back-off, check intervals) still runs
/// on real time.
#[inline]
pub fn idle_pause(pause: Duration) -> Duration {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("COMPLIANCE_AGENT_TEST_IDLE_MS").ok().and_then(|v| v.parse::<u64>().ok()) {
        return pause.min(Duration::from_millis(ms));
    }
    pause
}
