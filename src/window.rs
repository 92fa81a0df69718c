//! The maintenance window: when disruptive work may run.
//!
//! Owns: parsing the `maintenance_window` settings and answering, for a Unix
//! time, "is the window open?", "when does it close?" and "when does it next
//! open?". Pure: no clock is read here, and after parsing no file either:
//! local time is a fixed offset (`utc_offset_minutes`, default 0: UTC) or an
//! IANA zone (`time_zone`, e.g. `America/Chicago`) read from the system's tz
//! database once, when the config is parsed, and kept in the [`Window`].
//! Setting both keys is an error naming `time_zone`; a zone the database does
//! not have, or no database at all, is an error naming `time_zone`.
//!
//! Semantics (tested below for Chicago, Sydney, London and UTC):
//! - A window opens at local wall-clock `start` on each listed local day and
//!   stays open for `duration_minutes` of elapsed time: a 120-minute window is
//!   120 real minutes even when a daylight-saving change falls inside it (its
//!   closing wall-clock time moves by the change). Windows may run across
//!   midnight and across the end of the week.
//! - Spring forward: on a day when `start` does not exist (it falls in the
//!   gap, e.g. 02:30 in Chicago on 2026-03-08, when 02:00 CST jumps to
//!   03:00 CDT), the window opens at the first instant after the gap (03:00
//!   CDT) and runs its full duration from there. This is not jiff's
//!   `Compatible` (or `Later`) disambiguation, which shifts such a time by the
//!   gap's length (02:30 becomes 03:30 CDT), nor `Earlier` (02:30 becomes
//!   01:30 CST, before the gap); the three agree only for a `start` at the
//!   gap's beginning (02:00 becomes 03:00 CDT).
//! - Fall back: on a day when `start` occurs twice (01:30 in Chicago on
//!   2026-11-01), the window opens at the first occurrence (01:30 CDT), which
//!   is jiff's `Compatible` and `Earlier`; the second occurrence does not open
//!   it again.

use jiff::civil::{Date, Time};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone, TimeZoneDatabase};
use jiff::{SignedDuration, Timestamp};

const DAY: i64 = 86_400;
const WEEK_MINUTES: u64 = 7 * 24 * 60;
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A weekly maintenance window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Weekdays on which the window opens; index 0 = Monday.
    days: [bool; 7],
    /// Opening wall-clock time.
    start: Time,
    /// Length in minutes (1 minute to 1 week).
    duration_minutes: u32,
    /// Local time: a fixed offset or a zone loaded from the tz database.
    zone: TimeZone,
}

impl Window {
    /// Parses the config values with a fixed UTC offset; an error names the
    /// offending key.
    pub fn parse(
        days: &[String],
        start: &str,
        duration_minutes: u64,
        utc_offset_minutes: i64,
    ) -> Result<Window, (&'static str, String)> {
        Self::parse_local(days, start, duration_minutes, Some(utc_offset_minutes), None)
    }

    /// Parses the config values with local time from `utc_offset_minutes`
    /// (absent: UTC) or `time_zone`, looked up now in the system's tz
    /// database (`$TZDIR`, `/usr/share/zoneinfo`, `/usr/share/lib/zoneinfo`
    /// or `/etc/zoneinfo`); an error names the offending key.
    pub fn parse_local(
        days: &[String],
        start: &str,
        duration_minutes: u64,
        utc_offset_minutes: Option<i64>,
        time_zone: Option<&str>,
    ) -> Result<Window, (&'static str, String)> {
        Self::parse_in(days, start, duration_minutes, utc_offset_minutes, time_zone, jiff::tz::db())
    }

    /// [`Window::parse_local`] with the tz database given.
    fn parse_in(
        days: &[String],
        start: &str,
        duration_minutes: u64,
        utc_offset_minutes: Option<i64>,
        time_zone: Option<&str>,
        db: &TimeZoneDatabase,
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
        let start = parse_hhmm(start).ok_or(("start", format!("{start:?} is not a 24-hour time HH:MM")))?;
        if duration_minutes == 0 || duration_minutes > WEEK_MINUTES {
            return Err(("duration_minutes", format!("{duration_minutes} is not between 1 and {WEEK_MINUTES}")));
        }
        let zone = match (utc_offset_minutes, time_zone) {
            (Some(_), Some(_)) => {
                return Err((
                    "time_zone",
                    "cannot be set together with utc_offset_minutes: set one or the other".to_string(),
                ))
            }
            (None, Some(name)) => load_zone(name, db)?,
            (offset, None) => fixed_zone(offset.unwrap_or(0))?,
        };
        Ok(Window { days: set, start, duration_minutes: duration_minutes as u32, zone })
    }

    /// Opening instants (Unix seconds) of the window instances that could
    /// contain or follow `unix`: those starting on the local days from 8 days
    /// before to 8 days after its local date. None for a time outside the
    /// years jiff handles (-9999 to 9999).
    fn starts_around(&self, unix: i64) -> impl Iterator<Item = i64> + '_ {
        let today = Timestamp::from_second(unix).ok().map(|t| self.zone.to_datetime(t).date());
        today.into_iter().flat_map(move |today| {
            (-8..=8).filter_map(move |k| {
                let day = today.checked_add(SignedDuration::from_hours(24 * k)).ok()?;
                let weekday = usize::try_from(day.weekday().to_monday_zero_offset()).ok()?;
                if self.days.get(weekday).copied().unwrap_or(false) {
                    self.opens_on(day)
                } else {
                    None
                }
            })
        })
    }

    /// The instant (Unix seconds) the window opens on the local date `day`:
    /// `start` there, the end of the gap when `start` falls in one, the first
    /// occurrence when it occurs twice.
    fn opens_on(&self, day: Date) -> Option<i64> {
        let wall = self.zone.to_ambiguous_timestamp(day.to_datetime(self.start));
        let instant = match wall.offset() {
            AmbiguousOffset::Gap { .. } => {
                // Read with the offset after the gap, the wall time names an
                // instant before the transition; the next transition from
                // there is the end of the gap.
                let before_gap = wall.earlier().ok()?;
                match self.zone.following(before_gap).next() {
                    Some(transition) => transition.timestamp(),
                    None => wall.later().ok()?,
                }
            }
            // The only instant, or the first of two.
            AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => wall.earlier().ok()?,
        };
        Some(instant.as_second())
    }

    /// True when `unix` (seconds, UTC) lies inside a window instance.
    pub fn is_open(&self, unix: i64) -> bool {
        let len = self.length_secs();
        self.starts_around(unix).any(|s| s <= unix && unix < s + len)
    }

    /// The next time (UTC seconds) strictly after `unix` at which a window
    /// instance opens.
    pub fn next_open(&self, unix: i64) -> i64 {
        // At least one day is set (parse guarantees it), so some start within
        // the next 8 days exists.
        self.starts_around(unix).filter(|s| *s > unix).min().unwrap_or(unix.saturating_add(7 * DAY))
    }

    /// The length of one window instance, in seconds.
    pub fn length_secs(&self) -> i64 {
        i64::from(self.duration_minutes) * 60
    }

    /// When the instance containing `unix` closes, if the window is open.
    pub fn closes_at(&self, unix: i64) -> Option<i64> {
        let len = self.length_secs();
        self.starts_around(unix).filter(|s| *s <= unix && unix < s + len).map(|s| s + len).max()
    }
}

/// The zone for a fixed `utc_offset_minutes`.
fn fixed_zone(minutes: i64) -> Result<TimeZone, (&'static str, String)> {
    let err = || ("utc_offset_minutes", format!("{minutes} is outside -840..=840"));
    if !(-14 * 60..=14 * 60).contains(&minutes) {
        return Err(err());
    }
    let seconds = i32::try_from(minutes * 60).map_err(|_| err())?;
    Ok(TimeZone::fixed(Offset::from_seconds(seconds).map_err(|_| err())?))
}

/// Looks `name` up in the tz database: the TZif file is read here, once.
fn load_zone(name: &str, db: &TimeZoneDatabase) -> Result<TimeZone, (&'static str, String)> {
    match db.get(name) {
        // jiff answers "Etc/Unknown" with a placeholder zone, not a real one.
        Ok(zone) if !zone.is_unknown() => Ok(zone),
        _ if db.is_definitively_empty() => Err((
            "time_zone",
            format!(
                "cannot look up {name:?}: no time zone database was found \
                 ($TZDIR, /usr/share/zoneinfo, /usr/share/lib/zoneinfo, /etc/zoneinfo)"
            ),
        )),
        _ => Err((
            "time_zone",
            format!(
                "{name:?} is not in the system's time zone database (expected an IANA name like \"America/Chicago\")"
            ),
        )),
    }
}

fn parse_hhmm(s: &str) -> Option<Time> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?);
    Time::new(h, m, 0, 0).ok()
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

    // Time zones. Instants are written as RFC 3339 with the local offset, so
    // each row reads in the zone's own wall-clock time.

    /// Unix seconds of an RFC 3339 time.
    fn at(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap_or_else(|e| panic!("{s}: {e}")).as_second()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn zoned(days: &[&str], start: &str, dur: u64, zone: &str) -> Window {
        Window::parse_local(&strings(days), start, dur, None, Some(zone)).unwrap()
    }

    /// Each row: a time; when the window containing it closes (None: the
    /// window is closed then); when the window next opens after it.
    fn check(win: &Window, rows: &[(&str, Option<&str>, &str)]) {
        for (t, closes, next) in rows {
            let (t, closes, next) = (at(t), closes.map(at), at(next));
            assert_eq!(win.is_open(t), closes.is_some(), "is_open at {t}");
            assert_eq!(win.closes_at(t), closes, "closes_at at {t}");
            assert_eq!(win.next_open(t), next, "next_open at {t}");
        }
    }

    #[test]
    fn chicago_spring_forward_start_in_the_gap_opens_when_the_gap_ends() {
        // 2026-03-08: 02:00 CST (-06) jumps to 03:00 CDT (-05); 02:30 does not exist.
        let win = zoned(&["sun"], "02:30", 60, "America/Chicago");
        check(
            &win,
            &[
                ("2026-03-01T02:30:00-06:00", Some("2026-03-01T03:30:00-06:00"), "2026-03-08T03:00:00-05:00"),
                ("2026-03-08T01:59:59-06:00", None, "2026-03-08T03:00:00-05:00"),
                ("2026-03-08T03:00:00-05:00", Some("2026-03-08T04:00:00-05:00"), "2026-03-15T02:30:00-05:00"),
                ("2026-03-08T03:30:00-05:00", Some("2026-03-08T04:00:00-05:00"), "2026-03-15T02:30:00-05:00"),
                ("2026-03-08T03:59:59-05:00", Some("2026-03-08T04:00:00-05:00"), "2026-03-15T02:30:00-05:00"),
                ("2026-03-08T04:00:00-05:00", None, "2026-03-15T02:30:00-05:00"),
                ("2026-03-15T02:30:00-05:00", Some("2026-03-15T03:30:00-05:00"), "2026-03-22T02:30:00-05:00"),
            ],
        );
        // A start at the gap's beginning opens at the same instant.
        let at_gap = zoned(&["sun"], "02:00", 60, "America/Chicago");
        assert_eq!(at_gap.next_open(at("2026-03-07T12:00:00-06:00")), at("2026-03-08T03:00:00-05:00"));
    }

    #[test]
    fn chicago_duration_is_elapsed_time_across_spring_forward() {
        // 120 real minutes from 01:00 CST end at 04:00 CDT, three hours later on the wall clock.
        let win = zoned(&["sun"], "01:00", 120, "America/Chicago");
        check(
            &win,
            &[
                ("2026-03-08T00:59:59-06:00", None, "2026-03-08T01:00:00-06:00"),
                ("2026-03-08T01:00:00-06:00", Some("2026-03-08T04:00:00-05:00"), "2026-03-15T01:00:00-05:00"),
                ("2026-03-08T03:59:59-05:00", Some("2026-03-08T04:00:00-05:00"), "2026-03-15T01:00:00-05:00"),
                ("2026-03-08T04:00:00-05:00", None, "2026-03-15T01:00:00-05:00"),
            ],
        );
    }

    #[test]
    fn chicago_fall_back_start_twice_opens_at_the_first() {
        // 2026-11-01: 02:00 CDT (-05) falls back to 01:00 CST (-06); 01:30 occurs twice.
        let win = zoned(&["sun"], "01:30", 60, "America/Chicago");
        check(
            &win,
            &[
                ("2026-10-25T01:30:00-05:00", Some("2026-10-25T02:30:00-05:00"), "2026-11-01T01:30:00-05:00"),
                ("2026-11-01T01:29:59-05:00", None, "2026-11-01T01:30:00-05:00"),
                // Open at the first 01:30; 60 real minutes end at the second.
                ("2026-11-01T01:30:00-05:00", Some("2026-11-01T01:30:00-06:00"), "2026-11-08T01:30:00-06:00"),
                ("2026-11-01T01:00:00-06:00", Some("2026-11-01T01:30:00-06:00"), "2026-11-08T01:30:00-06:00"),
                // The second 01:30 does not open it again.
                ("2026-11-01T01:30:00-06:00", None, "2026-11-08T01:30:00-06:00"),
                ("2026-11-08T01:30:00-06:00", Some("2026-11-08T02:30:00-06:00"), "2026-11-15T01:30:00-06:00"),
            ],
        );
        // 120 real minutes from 00:30 CDT end at 01:30 CST, one hour later on the wall clock.
        let across = zoned(&["sun"], "00:30", 120, "America/Chicago");
        check(
            &across,
            &[
                ("2026-11-01T00:30:00-05:00", Some("2026-11-01T01:30:00-06:00"), "2026-11-08T00:30:00-06:00"),
                ("2026-11-01T01:29:59-06:00", Some("2026-11-01T01:30:00-06:00"), "2026-11-08T00:30:00-06:00"),
                ("2026-11-01T01:30:00-06:00", None, "2026-11-08T00:30:00-06:00"),
            ],
        );
    }

    #[test]
    fn what_jiff_itself_gives_for_the_gap_and_the_fold() {
        // The module doc's comparison, checked: jiff's Compatible shifts a time
        // in the gap by the gap's length, Earlier moves it before the gap; in
        // a fold both take the first occurrence.
        let chicago = jiff::tz::db().get("America/Chicago").unwrap();
        let wall = |d, h, m| chicago.to_ambiguous_timestamp(jiff::civil::date(2026, 3, d).at(h, m, 0, 0));
        assert_eq!(wall(8, 2, 30).compatible().unwrap().as_second(), at("2026-03-08T03:30:00-05:00"));
        assert_eq!(wall(8, 2, 30).earlier().unwrap().as_second(), at("2026-03-08T01:30:00-06:00"));
        assert_eq!(wall(8, 2, 0).compatible().unwrap().as_second(), at("2026-03-08T03:00:00-05:00"));
        let fold = chicago.to_ambiguous_timestamp(jiff::civil::date(2026, 11, 1).at(1, 30, 0, 0));
        assert_eq!(fold.compatible().unwrap().as_second(), at("2026-11-01T01:30:00-05:00"));
        assert_eq!(fold.earlier().unwrap().as_second(), at("2026-11-01T01:30:00-05:00"));
    }

    #[test]
    fn sydney_southern_hemisphere() {
        // DST (+11) in the southern summer; 2026-04-05 03:00 falls back to
        // 02:00 (+10); 2026-10-04 02:00 jumps to 03:00 (+11).
        let win = zoned(&["sun"], "02:30", 60, "Australia/Sydney");
        check(
            &win,
            &[
                ("2026-01-04T02:30:00+11:00", Some("2026-01-04T03:30:00+11:00"), "2026-01-11T02:30:00+11:00"),
                // Days are local days: Sunday in Sydney is Saturday in UTC.
                ("2026-01-03T15:45:00Z", Some("2026-01-04T03:30:00+11:00"), "2026-01-11T02:30:00+11:00"),
                ("2026-04-05T02:30:00+11:00", Some("2026-04-05T02:30:00+10:00"), "2026-04-12T02:30:00+10:00"),
                ("2026-04-05T02:29:59+10:00", Some("2026-04-05T02:30:00+10:00"), "2026-04-12T02:30:00+10:00"),
                ("2026-04-05T02:30:00+10:00", None, "2026-04-12T02:30:00+10:00"),
                ("2026-07-05T02:30:00+10:00", Some("2026-07-05T03:30:00+10:00"), "2026-07-12T02:30:00+10:00"),
                ("2026-10-04T01:59:59+10:00", None, "2026-10-04T03:00:00+11:00"),
                ("2026-10-04T03:00:00+11:00", Some("2026-10-04T04:00:00+11:00"), "2026-10-11T02:30:00+11:00"),
                ("2026-10-04T04:00:00+11:00", None, "2026-10-11T02:30:00+11:00"),
            ],
        );
    }

    #[test]
    fn london() {
        // 2026-03-29 01:00 GMT jumps to 02:00 BST; 2026-10-25 02:00 BST falls back to 01:00 GMT.
        let win = zoned(&["sun"], "01:30", 60, "Europe/London");
        check(
            &win,
            &[
                ("2026-03-29T00:59:59Z", None, "2026-03-29T02:00:00+01:00"),
                ("2026-03-29T02:00:00+01:00", Some("2026-03-29T03:00:00+01:00"), "2026-04-05T01:30:00+01:00"),
                ("2026-07-05T01:30:00+01:00", Some("2026-07-05T02:30:00+01:00"), "2026-07-12T01:30:00+01:00"),
                ("2026-07-05T01:30:00Z", None, "2026-07-12T01:30:00+01:00"),
                ("2026-10-25T01:30:00+01:00", Some("2026-10-25T01:30:00Z"), "2026-11-01T01:30:00Z"),
                ("2026-10-25T01:30:00Z", None, "2026-11-01T01:30:00Z"),
                ("2026-11-22T01:30:00Z", Some("2026-11-22T02:30:00Z"), "2026-11-29T01:30:00Z"),
            ],
        );
    }

    #[test]
    fn utc_zone_matches_offset_zero() {
        let fixed = w(&["sun", "wed"], "23:00", 180, 0);
        for name in ["UTC", "Etc/UTC"] {
            let zone = zoned(&["sun", "wed"], "23:00", 180, name);
            for q in 0..(14 * 24 * 4) {
                let t = SUN - 3 * DAY + q * 900;
                assert_eq!(zone.is_open(t), fixed.is_open(t), "{name} at {t}");
                assert_eq!(zone.closes_at(t), fixed.closes_at(t), "{name} at {t}");
                assert_eq!(zone.next_open(t), fixed.next_open(t), "{name} at {t}");
            }
        }
        // Neither key: UTC.
        let neither = Window::parse_local(&strings(&["sun"]), "02:00", 60, None, None).unwrap();
        assert_eq!(neither, w(&["sun"], "02:00", 60, 0));
    }

    #[test]
    fn time_zone_errors_name_the_key() {
        let d = strings(&["sun"]);
        for bad in [
            "Mars/Olympus",
            "",
            "America/Chicag0",
            "../../../etc/passwd",
            "/usr/share/zoneinfo/UTC",
            "Etc/Unknown",
            "zone.tab",
        ] {
            let (key, msg) = Window::parse_local(&d, "02:00", 60, None, Some(bad)).unwrap_err();
            assert_eq!(key, "time_zone", "{bad}");
            assert!(msg.contains(&format!("{bad:?}")) && msg.contains("time zone database"), "{bad}: {msg}");
        }
        // Both keys at once, even 0 and UTC, whichever order they agree in.
        for (offset, zone) in [(0, "UTC"), (-300, "America/Chicago"), (0, "Mars/Olympus")] {
            let (key, msg) = Window::parse_local(&d, "02:00", 60, Some(offset), Some(zone)).unwrap_err();
            assert_eq!(key, "time_zone");
            assert!(msg.contains("utc_offset_minutes"), "{msg}");
        }
        // No tz database at all.
        let none = TimeZoneDatabase::none();
        let (key, msg) = Window::parse_in(&d, "02:00", 60, None, Some("America/Chicago"), &none).unwrap_err();
        assert_eq!(key, "time_zone");
        assert!(msg.contains("no time zone database"), "{msg}");
        // The other keys are still checked first.
        assert_eq!(Window::parse_local(&d, "2am", 60, None, Some("UTC")).unwrap_err().0, "start");
        assert_eq!(Window::parse_local(&d, "02:00", 60, Some(-841), None).unwrap_err().0, "utc_offset_minutes");
    }

    #[test]
    fn the_zone_is_read_once_when_parsing() {
        // A database holding only Chicago, removed once the window is parsed:
        // evaluation needs no file.
        let dir = std::env::temp_dir().join(format!("window-tzdb-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("America")).unwrap();
        let chicago = ["/usr/share/zoneinfo", "/etc/zoneinfo"]
            .iter()
            .map(|d| std::path::Path::new(d).join("America/Chicago"))
            .find(|p| p.exists())
            .expect("tzdata installed");
        std::fs::copy(chicago, dir.join("America/Chicago")).unwrap();
        let db = TimeZoneDatabase::from_dir(&dir).unwrap();
        let win = Window::parse_in(&strings(&["sun"]), "02:30", 60, None, Some("America/Chicago"), &db).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(win.is_open(at("2026-03-08T03:00:00-05:00")));
        assert_eq!(win.next_open(at("2026-11-01T00:00:00-05:00")), at("2026-11-01T02:30:00-06:00"));
    }

    #[test]
    fn times_outside_jiffs_range_do_not_panic() {
        let (lo, hi) = (Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
        for win in [
            w(&["sun"], "02:00", 60, 840),
            w(&["sun"], "02:00", 60, -840),
            zoned(&["sun"], "02:30", 60, "America/Chicago"),
        ] {
            for t in [i64::MIN, lo - 1, lo, lo + 1, hi - 1, hi, hi + 1, i64::MAX] {
                let _ = (win.is_open(t), win.closes_at(t));
                assert!(win.next_open(t) >= t, "{t}");
            }
        }
    }
}
