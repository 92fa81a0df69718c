//! Fault injection for the crash-safety tests.
//!
//! In debug builds, `hit("name")` aborts the process at once (no unwinding,
//! no destructors, no buffered writes: the same as `kill -9` for our
//! purposes) when `COMPLIANCE_AGENT_CRASHPOINT=name` is set. Release builds
//! compile it to nothing, so a shipped binary has no such hook.

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
