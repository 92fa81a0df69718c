//! A period of evidence (`--since`, `--until`): when a bundle counts as
//! written inside it.
//!
//! A bundle belongs to the period when its `finished_at` (when it was
//! written) is at or after `since` and before `until`. Times are RFC 3339
//! or a date (`2026-11-01`, midnight UTC), so `--since 2026-11-01 --until
//! 2026-12-01` is November.

use crate::clock::{days_from_civil, parse_rfc3339, rfc3339_ms};

/// A half-open interval of Unix milliseconds; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    /// Inclusive start.
    pub since_ms: Option<i64>,
    /// Exclusive end.
    pub until_ms: Option<i64>,
}

impl Period {
    /// True when `ms` lies inside.
    pub fn contains(&self, ms: i64) -> bool {
        self.since_ms.is_none_or(|s| ms >= s) && self.until_ms.is_none_or(|u| ms < u)
    }

    /// True when neither end is set.
    pub fn is_all(&self) -> bool {
        self.since_ms.is_none() && self.until_ms.is_none()
    }

    /// `since` as RFC 3339, if set.
    pub fn since(&self) -> Option<String> {
        self.since_ms.map(rfc3339_ms)
    }

    /// `until` as RFC 3339, if set.
    pub fn until(&self) -> Option<String> {
        self.until_ms.map(rfc3339_ms)
    }
}

/// Parses a `--since`/`--until` value: RFC 3339 (`2026-11-25T09:30:00Z`,
/// with an offset or fractions) or a date (`2026-11-25`, midnight UTC).
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Some(ms) = parse_rfc3339(s) {
        return Ok(ms);
    }
    let b = s.as_bytes();
    let date = b.len() == 10 && b[4] == b'-' && b[7] == b'-';
    let num = |r: std::ops::Range<usize>| s.get(r).filter(|t| t.bytes().all(|c| c.is_ascii_digit()))?.parse().ok();
    if date {
        if let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) {
            let (m, d) = (m as u32, d as u32);
            if (1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d) {
                return Ok(days_from_civil(y, m, d) * 86_400_000);
            }
        }
    }
    Err(format!("{s:?} is neither RFC 3339 (2026-11-25T09:30:00Z) nor a date (2026-11-25)"))
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_time("1970-01-02").unwrap(), 86_400_000);
        assert_eq!(parse_time("2026-11-01").unwrap(), parse_rfc3339("2026-11-01T00:00:00Z").unwrap());
        assert_eq!(parse_time("2026-11-01T01:00:00+01:00").unwrap(), parse_time("2026-11-01").unwrap());
        assert_eq!(parse_time("2024-02-29").unwrap(), parse_rfc3339("2024-02-29T00:00:00Z").unwrap());
        for bad in ["", "2026-02-30", "2025-02-29", "2026-13-01", "26-11-01", "2026/11/01", "yesterday", "2026-11-01T"]
        {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        let p = Period { since_ms: Some(10), until_ms: Some(20) };
        assert!(!p.contains(9) && p.contains(10) && p.contains(19) && !p.contains(20));
        assert!(Period::default().contains(i64::MIN) && Period::default().is_all());
    }
}
