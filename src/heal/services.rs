//! The services target: restart the critical units that are not active.
//!
//! Changes: `systemctl restart <unit>` for each unit the services check
//! found not active.
//!
//! Verifies: the services check, run again after a short settling pause.
//!
//! Rolls back: nothing to roll back (a restart leaves no state to undo); a
//! failed repair is retried with back-off. Crash recovery is a re-check.

use super::engine::{journal_step, verify_check, Ending};
use super::Ctx;
use crate::checks::CheckName;
use crate::config::UnitName;
use crate::exec::CommandRecord;
use std::time::Duration;

/// Restarts `units`, then runs the services check again.
pub(super) fn act_and_verify(
    ctx: &Ctx<'_>,
    units: &[UnitName],
    journal: Option<i64>,
    actions: &mut Vec<CommandRecord>,
) -> Ending {
    for u in units {
        ctx.tool(actions, "systemctl", &["restart", u.as_str()], Duration::from_secs(120));
    }
    journal_step(ctx, journal, "acted");
    crate::crashpoint::hit("heal-acted");
    std::thread::sleep(Duration::from_millis(300));
    verify_check(ctx, CheckName::Services)
}
