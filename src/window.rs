//! The maintenance window: when disruptive work may run.
//!
//! Owns: parsing the `maintenance_window` settings and answering, for a Unix
//! time, "is the window open?" and "when does it next open?". Pure: no clock
//! is read here. Windows are weekly, start at `start` local time (local =
//! UTC + `utc_offset_minutes`) on each listed day and may run across
//! midnight and across the end of the week.

const DAY: i64 = 86_400;
const WEEK_MINUTES: u64 = 7 * 24 * 60;
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A weekly maintenance window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Weekdays on which the window opens; index 0 = Monday.
    days: [bool; 7],
    /// Opening time, minutes after local midnight.
    start_minute: u32,
    /// Length in minutes (1 minute to 1 week).
    duration_minutes: u32,
    /// Local time minus UTC, in minutes.
    utc_offset_minutes: i32,
}

impl Window {
    /// Parses the config values; an error names the offending key.
    pub fn parse(
        days: &[String],
        start: &str,
        duration_minutes: u64,
        utc_offset_minutes: i64,
    ) -> Result<Window, (&'static str, String)> {
        if days.is_empty() {
            return Err(("days", "list at least one day (mon … sun)".to_string()));
        }
        let mut set = [false; 7];
        for d in days {
            let i = DAY_NAMES
                .iter()
                .position(|n| n.eq_ignore_ascii_case(d))
                .ok_or(("days", format!("{d:?} is not one of mon, tue, wed, thu, fri, sat, sun")))?;
            set[i] = true;
        }
        let start_minute = parse_hhmm(start).ok_or(("start", format!("{start:?} is not a 24-hour time HH:MM")))?;
        if duration_minutes == 0 || duration_minutes > WEEK_MINUTES {
            return Err(("duration_minutes", format!("{duration_minutes} is not between 1 and {WEEK_MINUTES}")));
        }
        if !(-14 * 60..=14 * 60).contains(&utc_offset_minutes) {
            return Err(("utc_offset_minutes", format!("{utc_offset_minutes} is outside -840..=840")));
        }
        Ok(Window {
            days: set,
            start_minute,
            duration_minutes: duration_minutes as u32,
            utc_offset_minutes: utc_offset_minutes as i32,
        })
    }

    /// Start times (local seconds) of the window instances that could contain
    /// or follow the local time `local`: from 8 days back to 8 days ahead.
    fn starts_around(&self, local: i64) -> impl Iterator<Item = i64> + '_ {
        let today = local.div_euclid(DAY);
        (-8..=8).filter_map(move |k| {
            let day = today + k;
            // 1970-01-01 was a Thursday (index 3).
            let weekday = (day + 3).rem_euclid(7) as usize;
            self.days[weekday].then_some(day * DAY + i64::from(self.start_minute) * 60)
        })
    }

    fn offset(&self) -> i64 {
        i64::from(self.utc_offset_minutes) * 60
    }

    /// True when `unix` (seconds, UTC) lies inside a window instance.
    pub fn is_open(&self, unix: i64) -> bool {
        let local = unix + self.offset();
        let len = i64::from(self.duration_minutes) * 60;
        self.starts_around(local).any(|s| s <= local && local < s + len)
    }

    /// The next time (UTC seconds) strictly after `unix` at which a window
    /// instance opens.
    pub fn next_open(&self, unix: i64) -> i64 {
        let local = unix + self.offset();
        // At least one day is set (parse guarantees it), so some start within
        // the next 8 days exists.
        self.starts_around(local).find(|s| *s > local).unwrap_or(local + 7 * DAY) - self.offset()
    }

    /// The length of one window instance, in seconds.
    pub fn length_secs(&self) -> i64 {
        i64::from(self.duration_minutes) * 60
    }

    /// When the instance containing `unix` closes, if the window is open.
    pub fn closes_at(&self, unix: i64) -> Option<i64> {
        let local = unix + self.offset();
        let len = i64::from(self.duration_minutes) * 60;
        self.starts_around(local).filter(|s| *s <= local && local < s + len).map(|s| s + len - self.offset()).max()
    }
}

fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-22 is a Sunday; 00:00 UTC that day:
    const SUN: i64 = 1_795_305_600;

    fn w(days: &[&str], start: &str, dur: u64, off: i64) -> Window {
        Window::parse(&days.iter().map(|d| d.to_string()).collect::<Vec<_>>(), start, dur, off).unwrap()
    }

    fn hm(h: i64, m: i64) -> i64 {
        h * 3600 + m * 60
    }

    #[test]
    fn sunday_is_a_sunday() {
        // Cross-check the constant: days since epoch + 3, mod 7 = 6 (Sunday).
        assert_eq!((SUN / DAY + 3) % 7, 6);
    }

    #[test]
    fn boundaries_of_a_simple_window() {
        let win = w(&["sun"], "02:00", 120, 0);
        let cases = [
            (SUN + hm(1, 59) + 59, false),
            (SUN + hm(2, 0), true),
            (SUN + hm(3, 59) + 59, true),
            (SUN + hm(4, 0), false),
            (SUN - DAY + hm(2, 30), false),
            (SUN + 7 * DAY + hm(2, 30), true),
        ];
        for (t, open) in cases {
            assert_eq!(win.is_open(t), open, "t = {t}");
        }
        assert_eq!(win.next_open(SUN + hm(1, 0)), SUN + hm(2, 0));
        assert_eq!(win.next_open(SUN + hm(2, 0)), SUN + 7 * DAY + hm(2, 0));
        assert_eq!(win.closes_at(SUN + hm(2, 10)), Some(SUN + hm(4, 0)));
        assert_eq!(win.closes_at(SUN + hm(4, 0)), None);
    }

    #[test]
    fn crosses_midnight_and_week_end() {
        // Sunday 23:00 for 3 hours: open until Monday 02:00.
        let win = w(&["sun"], "23:00", 180, 0);
        assert!(!win.is_open(SUN + hm(22, 59)));
        assert!(win.is_open(SUN + hm(23, 0)));
        assert!(win.is_open(SUN + DAY + hm(1, 59)));
        assert!(!win.is_open(SUN + DAY + hm(2, 0)));
        // Monday's early hours are in last Sunday's window, not a new one.
        assert_eq!(win.next_open(SUN + DAY + hm(1, 0)), SUN + 7 * DAY + hm(23, 0));
    }

    #[test]
    fn utc_offset_shifts_the_window() {
        // 02:00 local at UTC-5 is 07:00 UTC.
        let win = w(&["sun"], "02:00", 60, -300);
        assert!(!win.is_open(SUN + hm(2, 30)));
        assert!(win.is_open(SUN + hm(7, 0)));
        assert!(!win.is_open(SUN + hm(8, 0)));
        // 01:00 local at UTC+14 on Sunday is Saturday 11:00 UTC.
        let east = w(&["sun"], "01:00", 60, 840);
        assert!(east.is_open(SUN - DAY + hm(11, 0)));
        assert_eq!(east.next_open(SUN - 2 * DAY), SUN - DAY + hm(11, 0));
    }

    #[test]
    fn several_days_and_long_windows() {
        let win = w(&["mon", "WED"], "00:00", 60, 0);
        assert!(win.is_open(SUN + DAY + hm(0, 30)));
        assert!(!win.is_open(SUN + 2 * DAY + hm(0, 30)));
        assert!(win.is_open(SUN + 3 * DAY));
        assert_eq!(win.next_open(SUN + DAY + hm(0, 30)), SUN + 3 * DAY);
        let always = w(&["mon"], "00:00", WEEK_MINUTES, 0);
        for h in 0..(24 * 7) {
            assert!(always.is_open(SUN + h * 3600));
        }
    }

    #[test]
    fn parse_errors_name_the_key() {
        let d = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Window::parse(&d(&[]), "02:00", 60, 0).unwrap_err().0, "days");
        assert_eq!(Window::parse(&d(&["sunday"]), "02:00", 60, 0).unwrap_err().0, "days");
        for bad in ["2:00", "24:00", "02:60", "0200", "02:0a", ""] {
            assert_eq!(Window::parse(&d(&["sun"]), bad, 60, 0).unwrap_err().0, "start", "{bad}");
        }
        assert_eq!(Window::parse(&d(&["sun"]), "02:00", 0, 0).unwrap_err().0, "duration_minutes");
        assert_eq!(Window::parse(&d(&["sun"]), "02:00", WEEK_MINUTES + 1, 0).unwrap_err().0, "duration_minutes");
        assert_eq!(Window::parse(&d(&["sun"]), "02:00", 60, 841).unwrap_err().0, "utc_offset_minutes");
    }
}
