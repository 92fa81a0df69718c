//! The `maintenance_window` section: when disruptive work may run.
//!
//! Owns: reading the section's keys and naming the key at fault. What a
//! valid window is (day names, `HH:MM`, duration, UTC offset) is decided by
//! [`crate::window::Window::parse`], the same code that later answers
//! whether now is inside it, so config and run time cannot disagree.
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
        let offset = w.i64_or("utc_offset_minutes", 0);
        Window::parse(&days?, &start?, duration?, offset?).map_err(|(key, msg)| w.fail(key, msg))
    })
}
