//! The backups target: run the backup now.
//!
//! Changes: `systemctl start <backup unit>`, which for a oneshot unit waits
//! until the backup finished (up to an hour).
//!
//! Verifies: the backups check, run again.
//!
//! Rolls back: nothing to roll back (a backup that ran only adds one); a
//! failed repair is retried with back-off. Crash recovery is a re-check.

use super::engine::{journal_step, verify_check, Ending};
use super::Ctx;
use crate::checks::CheckName;
use crate::exec::CommandRecord;
use std::time::Duration;

/// Starts the backup unit and waits for it, then runs the backups check.
pub(super) fn act_and_verify(ctx: &Ctx<'_>, journal: Option<i64>, actions: &mut Vec<CommandRecord>) -> Ending {
    let unit = ctx.config.checks.backups.as_ref().map(|b| b.unit.as_str().to_string()).unwrap_or_default();
    // `systemctl start` of a oneshot backup unit waits until it finished.
    ctx.tool(actions, "systemctl", &["start", &unit], Duration::from_secs(3600));
    journal_step(ctx, journal, "acted");
    crate::crashpoint::hit("heal-acted");
    verify_check(ctx, CheckName::Backups)
}
