//! The `maintenance_window` section: when disruptive work may run.
//!
//! Owns: reading the section's keys and naming the key at fault. What a
//! valid window is (day names, `HH:MM`, duration, UTC offset, time zone,
//! not both of the last two) is decided by [`crate::window::Window::parse_local`],
//! the same code that later answers whether now is inside it, so config and
//! run time cannot disagree. A `time_zone` is looked up in the system's tz
//! database here, once, at load.
//! Must never: default the window (the section is required: disruptive
//! work runs only when the clinic said it may) or read the clock.

use super::reader::{Obj, Read};
use crate::window::Window;

/// Reads `maintenance_window`, which is required.
pub(super) fn read(root: &Obj<'_>) -> Read<Window> {
    root.obj("maintenance_window")?.read_then_finish(|w| {
        let days = w.str_list("days");
        let start = w.str("start");
        let duration = w.positive_or_required("duration_minutes");
        // Absent and 0 differ: `utc_offset_minutes` may not stand beside
        // `time_zone` at all.
        let offset = w.opt_i64("utc_offset_minutes");
        let time_zone = w.opt_str("time_zone");
        Window::parse_local(&days?, &start?, duration?, offset?, time_zone?.as_deref())
            .map_err(|(key, msg)| w.fail(key, msg))
    })
}
