//! The logging target: restart journald.
//!
//! Changes: `systemctl restart systemd-journald.service`.
//!
//! Verifies: the logging check (its canary reaches the journal), run again.
//!
//! Rolls back: nothing to roll back (a restart leaves no state to undo); a
//! failed repair is retried with back-off. Crash recovery is a re-check.

use super::engine::{journal_step, verify_check, Ending};
use super::Ctx;
use crate::checks::CheckName;
use crate::exec::CommandRecord;
use std::time::Duration;

/// Restarts journald, then runs the logging check again.
pub(super) fn act_and_verify(ctx: &Ctx<'_>, journal: Option<i64>, actions: &mut Vec<CommandRecord>) -> Ending {
    ctx.tool(actions, "systemctl", &["restart", "systemd-journald.service"], Duration::from_secs(60));
    journal_step(ctx, journal, "acted");
    crate::crashpoint::hit("heal-acted");
    verify_check(ctx, CheckName::Logging)
}
