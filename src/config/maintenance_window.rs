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

use super::reader::Obj;
use super::ConfigError;
use crate::window::Window;

/// Reads `maintenance_window`, which is required.
pub(super) fn read(root: &Obj<'_>) -> Result<Window, ConfigError> {
    let w = root.obj("maintenance_window")?;
    let days = w.str_list("days")?;
    let start = w.str("start")?;
    let duration = w.positive_or_required("duration_minutes")?;
    // Whether `utc_offset_minutes` was given at all (it may not be beside
    // `time_zone`): the reader has no optional-integer getter, and only a
    // key that is absent answers two different defaults differently.
    let offset = w.i64_or("utc_offset_minutes", 0)?;
    let offset = (w.i64_or("utc_offset_minutes", 1)? == offset).then_some(offset);
    let time_zone = w.opt_str("time_zone")?;
    let window = Window::parse_local(&days, &start, duration, offset, time_zone.as_deref())
        .map_err(|(key, msg)| w.error(key, msg))?;
    w.finish()?;
    Ok(window)
}
