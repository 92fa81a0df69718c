//! `evidence report`: what a verified chain says about a period, per check
//! and its citations (docs/report.md). The figures come from the bundles
//! alone; [`super::report_html`] draws them, [`super::oscal`] turns them
//! into OSCAL assessment results.
//!
//! Time in the report is bundle time (`finished_at`). A check's state
//! holds from one `cycle` bundle to the next (a cycle bundle is written on
//! every change); a drift healed within one cycle never shows in a cycle
//! bundle, so its remediation bundle marks the episode. Where no bundle at
//! all was written for longer than the allowed gap, the state is unknown.
//!
//! Owns: the period, episodes, gaps, orders, refusals, delivery figures.
//! Must never: read a bundle that did not verify (it is handed only what
//! [`super::verified::read`] passed), or count unknown time as compliant.

pub use super::report_build::Builder;
use crate::checks::CheckName;
use crate::clock::rfc3339_ms;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// The report's `schema` field.
pub const SCHEMA: &str = "compliance-agent/report/v1";
/// The default allowed gap: the default summary interval (3600 s) plus 5
/// minutes for the poll interval, its jitter and a cycle's own work.
pub const DEFAULT_MAX_GAP_SECS: u64 = 3900;

/// What to report on.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Start of the period, inclusive (default: the first bundle).
    pub since_ms: Option<i64>,
    /// End of the period, exclusive (default: the last bundle).
    pub until_ms: Option<i64>,
    /// Longer than this without any bundle is a gap.
    pub max_gap_ms: i64,
}

/// A check's state over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Compliant.
    Compliant,
    /// Drift.
    Drift,
    /// The check could not tell.
    Error,
    /// No evidence (before the first result, or in a gap).
    Unknown,
}

/// A stretch of one state.
#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    /// RFC 3339.
    pub from: String,
    /// RFC 3339.
    pub until: String,
    /// The state.
    pub state: State,
    #[serde(skip)]
    pub(crate) from_ms: i64,
    #[serde(skip)]
    pub(crate) until_ms: i64,
}

/// One check over the period.
#[derive(Debug, Clone, Serialize)]
pub struct CheckSummary {
    /// The check.
    pub check: CheckName,
    /// HIPAA Security Rule citations.
    pub hipaa: Vec<&'static str>,
    /// NIST SP 800-53 rev. 5 controls.
    pub nist: Vec<&'static str>,
    /// Share of the period compliant, drifting, in error, unknown (0..=1).
    pub compliant_share: f64,
    /// See `compliant_share`.
    pub drift_share: f64,
    /// See `compliant_share`.
    pub error_share: f64,
    /// See `compliant_share`.
    pub unknown_share: f64,
    /// Seconds compliant.
    pub compliant_secs: i64,
    /// The state at the end of the period.
    pub state_at_end: State,
    /// Drift episodes overlapping the period.
    pub episodes: usize,
    /// The timeline within the period.
    pub segments: Vec<Segment>,
}

/// A stretch in which a check was not compliant.
#[derive(Debug, Clone, Serialize)]
pub struct Episode {
    /// The check.
    pub check: CheckName,
    /// RFC 3339.
    pub start: String,
    /// RFC 3339; `null` while still open at the end of the period.
    pub end: Option<String>,
    /// To `end`, or to the end of the period.
    pub duration_secs: i64,
    /// `healed`, `deferred_then_healed`, `failed`, `cleared` (compliant
    /// again without the agent's repair), `open`.
    pub ending: &'static str,
    /// What the checks said: `drift`, `error`.
    pub verdicts: BTreeSet<&'static str>,
    /// Remediation bundles (seq) within the episode.
    pub remediations: Vec<u64>,
    /// Reasons of the alerts about it.
    pub alerts: BTreeSet<String>,
    /// It began before the period.
    pub began_before_period: bool,
    #[serde(skip)]
    pub(crate) start_ms: i64,
    #[serde(skip)]
    pub(crate) end_ms: Option<i64>,
    #[serde(skip)]
    pub(crate) deferred: bool,
    #[serde(skip)]
    pub(crate) failed: bool,
}

/// A remediation bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Remediation {
    /// Bundle seq.
    pub seq: u64,
    /// RFC 3339 (start).
    pub at: String,
    /// The check.
    pub check: Option<String>,
    /// `success`, `failed`, `reverted`, `deferred`.
    pub outcome: String,
    /// Its reason.
    pub reason: Option<String>,
    /// The order behind it, if any.
    pub order_id: Option<String>,
    /// Seconds from start to finish.
    pub duration_secs: i64,
    /// Its detail sentence.
    pub detail: Option<String>,
}

/// An order bundle with an order id (signature verified).
#[derive(Debug, Clone, Serialize)]
pub struct OrderEntry {
    /// Bundle seq.
    pub seq: u64,
    /// RFC 3339.
    pub at: String,
    /// Order id.
    pub order_id: Option<String>,
    /// Action.
    pub action: Option<String>,
    /// Signing key id.
    pub keyid: Option<String>,
    /// Outcome.
    pub outcome: String,
    /// Reason.
    pub reason: Option<String>,
}

/// Refused envelopes of one reason.
#[derive(Debug, Clone, Serialize)]
pub struct Refusals {
    /// The reason (`bad_signature`, `expired`, `replay`, …).
    pub reason: String,
    /// Refusal bundles naming it.
    pub bundles: u64,
    /// Distinct envelopes (by SHA-256) listed with it.
    pub envelopes: usize,
    /// RFC 3339, first and last.
    pub first: String,
    /// See `first`.
    pub last: String,
    #[serde(skip)]
    pub(crate) hashes: BTreeSet<String>,
}

/// No bundle for longer than allowed.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// RFC 3339: the last bundle before (or the period's start).
    pub from: String,
    /// RFC 3339: the first bundle after (or the period's end).
    pub until: String,
    /// Seconds.
    pub duration_secs: i64,
    /// The bundle before it was the daemon's `stop` (a clean stop).
    pub after_clean_stop: bool,
    /// `before_first_bundle`, `after_last_bundle`, or `between_bundles`.
    pub position: &'static str,
}

/// Alerts of one reason.
#[derive(Debug, Clone, Serialize)]
pub struct AlertCount {
    /// Reason.
    pub reason: String,
    /// Bundles.
    pub bundles: u64,
    /// RFC 3339, first and last.
    pub first: String,
    /// See `first`.
    pub last: String,
}

/// Delivery of the period's bundles to the MCP.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// False for an export directory: it does not record delivery.
    pub known: bool,
    /// Why it is not known.
    pub note: Option<String>,
    /// Bundles in the period.
    pub bundles: u64,
    /// Marked pushed: the MCP's receipt named exactly their SHA-256.
    pub receipted: Option<u64>,
    /// Not (yet) receipted.
    pub pending: Option<u64>,
    /// The oldest pending bundle's time.
    pub oldest_pending: Option<String>,
    /// Median and longest time from bundle to receipt, seconds.
    pub median_delay_secs: Option<i64>,
    /// See `median_delay_secs`.
    pub max_delay_secs: Option<i64>,
}

/// Where the figures come from.
#[derive(Debug, Clone, Serialize)]
pub struct BuiltFrom {
    /// Database or export directory.
    pub source: String,
    /// Always true: nothing is reported from a chain that did not verify.
    pub verified: bool,
    /// Bundles verified (the whole chain).
    pub bundles: u64,
    /// First seq.
    pub seq_first: u64,
    /// Last seq.
    pub seq_last: u64,
    /// RFC 3339 of the first and last bundle.
    pub first_bundle_at: String,
    /// See `first_bundle_at`.
    pub last_bundle_at: String,
    /// Fingerprint (hex SHA-256 of the SPKI DER) of the key that signed
    /// the first bundle.
    pub key_fingerprint: String,
    /// Key rotations the chain went through: `after seq N: <old> -> <new>`.
    pub key_changes: Vec<String>,
    /// `site_id`s in the bundles.
    pub site_ids: BTreeSet<String>,
    /// `appliance_id`s in the bundles.
    pub appliance_ids: BTreeSet<String>,
    /// `version build` of the agents that wrote them.
    pub agent_builds: BTreeSet<String>,
}

/// The period.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    /// RFC 3339.
    pub since: String,
    /// RFC 3339.
    pub until: String,
    /// Seconds.
    pub duration_secs: i64,
    /// Bundles whose time falls in it.
    pub bundles: u64,
    /// The allowed gap, seconds.
    pub max_gap_secs: i64,
    #[serde(skip)]
    pub(crate) since_ms: i64,
    #[serde(skip)]
    pub(crate) until_ms: i64,
}

/// A bundle an OSCAL observation is made of (not in the report's JSON).
#[derive(Debug, Clone)]
pub struct Observed {
    /// Seq.
    pub seq: u64,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Unix ms.
    pub at_ms: i64,
    /// Bundle kind.
    pub kind: String,
    /// Checks it is about (for a cycle bundle: whose verdict changed).
    pub checks: Vec<CheckName>,
    /// One sentence.
    pub text: String,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// RFC 3339.
    pub generated_at: String,
    /// Where it comes from.
    pub built_from: BuiltFrom,
    /// The period.
    pub period: Period,
    /// Per check.
    pub checks: Vec<CheckSummary>,
    /// Every drift episode.
    pub episodes: Vec<Episode>,
    /// Every remediation.
    pub remediations: Vec<Remediation>,
    /// Every order with an id.
    pub orders: Vec<OrderEntry>,
    /// Refused envelopes by reason.
    pub refused_orders: Vec<Refusals>,
    /// Gaps in the record.
    pub gaps: Vec<Gap>,
    /// Alerts by reason.
    pub alerts: Vec<AlertCount>,
    /// Delivery.
    pub delivery: Delivery,
    /// For OSCAL.
    #[serde(skip)]
    pub observed: Vec<Observed>,
}

impl Report {
    /// The report as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Gap {
    pub(crate) fn new(from: i64, until: i64, after_clean_stop: bool, position: &'static str) -> Gap {
        Gap {
            from: rfc3339_ms(from),
            until: rfc3339_ms(until),
            duration_secs: (until - from) / 1000,
            after_clean_stop,
            position,
        }
    }
}

/// The state changes clipped to `[since, until)`, unknown where nothing
/// was known.
pub(crate) fn segments(changes: &[(i64, State)], since: i64, until: i64) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut state = State::Unknown;
    let mut from = since;
    for &(at, s) in changes {
        if at <= since {
            state = s;
            continue;
        }
        if at >= until {
            break;
        }
        if s != state {
            out.push(Segment::new(from, at, state));
            from = at;
            state = s;
        }
    }
    if until > from || out.is_empty() {
        out.push(Segment::new(from, until.max(from), state));
    }
    out.retain(|s| s.until_ms > s.from_ms || since == until);
    out
}

impl Segment {
    fn new(from: i64, until: i64, state: State) -> Segment {
        Segment { from: rfc3339_ms(from), until: rfc3339_ms(until), state, from_ms: from, until_ms: until }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_clip_and_start_unknown() {
        let ch = [(100, State::Compliant), (200, State::Drift), (300, State::Compliant)];
        let s = segments(&ch, 0, 400);
        let got: Vec<(i64, i64, State)> = s.iter().map(|g| (g.from_ms, g.until_ms, g.state)).collect();
        assert_eq!(
            got,
            [
                (0, 100, State::Unknown),
                (100, 200, State::Compliant),
                (200, 300, State::Drift),
                (300, 400, State::Compliant)
            ]
        );
        let s = segments(&ch, 250, 350);
        let got: Vec<(i64, i64, State)> = s.iter().map(|g| (g.from_ms, g.until_ms, g.state)).collect();
        assert_eq!(got, [(250, 300, State::Drift), (300, 350, State::Compliant)]);
    }
}
