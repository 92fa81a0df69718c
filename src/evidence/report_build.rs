//! Collecting `evidence report`'s figures bundle by bundle
//! ([`super::report`] has the types and what they mean; docs/report.md).
//!
//! Owns: the per-check state changes, episode bookkeeping (opened by a
//! drifting cycle result, a remediation or a drift alert; closed by a
//! successful remediation or a compliant result), gaps, refusals and
//! delivery counts, and [`Builder::finish`], which clips all of it to the
//! period. Must never: see a bundle that did not verify.

use super::controls;
use super::report::{
    segments, AlertCount, BuiltFrom, CheckSummary, Delivery, Episode, Gap, Observed, Options, OrderEntry, Period,
    Refusals, Remediation, Report, State, SCHEMA,
};
use super::verified::{Bundle, Chain};
use crate::checks::CheckName;
use crate::clock::{parse_rfc3339, rfc3339_ms};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
struct Track {
    /// (from, state), times non-decreasing.
    changes: Vec<(i64, State)>,
    open: Option<Episode>,
    episodes: Vec<Episode>,
}

impl Track {
    fn current(&self) -> State {
        self.changes.last().map_or(State::Unknown, |c| c.1)
    }

    fn set(&mut self, at: i64, s: State) {
        let at = at.max(self.changes.last().map_or(i64::MIN, |c| c.0));
        if self.current() != s {
            self.changes.push((at, s));
        }
    }

    fn open_at(&mut self, check: CheckName, at: i64) -> &mut Episode {
        self.open.get_or_insert_with(|| Episode {
            check,
            start: rfc3339_ms(at),
            end: None,
            duration_secs: 0,
            ending: "open",
            verdicts: BTreeSet::new(),
            remediations: Vec::new(),
            alerts: BTreeSet::new(),
            began_before_period: false,
            start_ms: at,
            end_ms: None,
            deferred: false,
            failed: false,
        })
    }

    fn close(&mut self, at: i64, healed: bool) {
        if let Some(mut e) = self.open.take() {
            e.end_ms = Some(at.max(e.start_ms));
            e.ending = match (healed, e.deferred, e.failed) {
                (true, true, _) => "deferred_then_healed",
                (true, false, _) => "healed",
                (false, _, true) => "failed",
                (false, _, false) => "cleared",
            };
            self.episodes.push(e);
        }
    }
}

/// Collects the figures bundle by bundle (in seq order).
#[derive(Debug)]
pub struct Builder {
    opts: Options,
    tracks: BTreeMap<CheckName, Track>,
    first_ms: Option<i64>,
    last: Option<(i64, bool)>,
    in_period: u64,
    remediations: Vec<Remediation>,
    orders: Vec<OrderEntry>,
    refusals: BTreeMap<String, Refusals>,
    gaps: Vec<(i64, i64, bool)>,
    alerts: BTreeMap<String, AlertCount>,
    delays: Vec<i64>,
    pending: (u64, Option<i64>),
    ids: [BTreeSet<String>; 3],
    observed: Vec<Observed>,
    verdicts: BTreeMap<CheckName, &'static str>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn time_of(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_str).and_then(parse_rfc3339)
}

impl Builder {
    /// A builder for `opts`.
    pub fn new(opts: Options) -> Builder {
        Builder {
            opts,
            tracks: BTreeMap::new(),
            first_ms: None,
            last: None,
            in_period: 0,
            remediations: Vec::new(),
            orders: Vec::new(),
            refusals: BTreeMap::new(),
            gaps: Vec::new(),
            alerts: BTreeMap::new(),
            delays: Vec::new(),
            pending: (0, None),
            ids: Default::default(),
            observed: Vec::new(),
            verdicts: BTreeMap::new(),
        }
    }

    fn in_period(&self, at: i64) -> bool {
        self.opts.since_ms.is_none_or(|s| at >= s) && self.opts.until_ms.is_none_or(|u| at < u)
    }

    /// Takes the next verified bundle.
    pub fn push(&mut self, b: &Bundle) {
        let v = &b.json;
        let Some(at) = time_of(v, "finished_at").or_else(|| time_of(v, "started_at")) else { return };
        let started = time_of(v, "started_at").unwrap_or(at);
        for (i, key) in ["site_id", "appliance_id"].iter().enumerate() {
            self.ids[i].extend(text(v, key));
        }
        let agent = &v["agent"];
        self.ids[2].insert(format!(
            "{} {}",
            agent["version"].as_str().unwrap_or("?"),
            agent["build"].as_str().unwrap_or("?")
        ));
        self.first_ms.get_or_insert(at);
        if self.opts.until_ms.is_some_and(|u| at >= u) {
            return; // after the period: nothing of it counts
        }
        let kind = text(v, "kind").unwrap_or_default();
        // A gap: nothing at all was written for too long.
        if let Some((prev, clean_stop)) = self.last {
            if at - prev > self.opts.max_gap_ms {
                self.gaps.push((prev, at, clean_stop));
                for t in self.tracks.values_mut() {
                    let was = t.current();
                    t.set(prev, State::Unknown);
                    t.set(at, was);
                }
            }
        }
        self.last = Some((at, kind == "lifecycle" && v["reason"] == "stop"));
        let counted = self.in_period(at);
        if counted {
            self.in_period += 1;
            match b.pushed_ms {
                Some(p) => self.delays.push((p - at).max(0)),
                None => {
                    self.pending.0 += 1;
                    self.pending.1.get_or_insert(at);
                }
            }
        }
        let check = v["check"].as_str().and_then(CheckName::parse);
        let outcome = text(v, "outcome").unwrap_or_default();
        let reason = text(v, "reason");
        let mut observed_checks = Vec::new();
        match kind.as_str() {
            "cycle" => {
                if let Some(results) = v["results"].as_object() {
                    for (name, r) in results {
                        let Some(c) = CheckName::parse(name) else { continue };
                        let verdict = match r["verdict"].as_str() {
                            Some("compliant") => "compliant",
                            Some("drift") => "drift",
                            _ => "error",
                        };
                        if self.verdicts.insert(c, verdict) != Some(verdict) {
                            observed_checks.push(c);
                        }
                        let t = self.tracks.entry(c).or_default();
                        if verdict == "compliant" {
                            t.close(at, false);
                            t.set(at, State::Compliant);
                        } else {
                            t.open_at(c, at).verdicts.insert(verdict);
                            t.set(at, if verdict == "drift" { State::Drift } else { State::Error });
                        }
                    }
                }
            }
            "remediation" => {
                if let Some(c) = check {
                    observed_checks.push(c);
                    let t = self.tracks.entry(c).or_default();
                    // An order's remediation of a compliant check is no episode.
                    if t.open.is_some() || v["order"].is_null() {
                        let e = t.open_at(c, started);
                        // A remediation for drift: the check had drifted,
                        // even if no cycle bundle shows it.
                        if e.verdicts.is_empty() {
                            e.verdicts.insert("drift");
                        }
                        e.remediations.push(b.seq);
                        match outcome.as_str() {
                            "deferred" => e.deferred = true,
                            "failed" | "reverted" => e.failed = true,
                            _ => {}
                        }
                        if outcome == "success" {
                            t.set(started, State::Drift);
                            t.close(at, true);
                            t.set(at, State::Compliant);
                        } else if t.current() != State::Error {
                            t.set(started, State::Drift);
                        }
                    }
                }
                if counted {
                    self.remediations.push(Remediation {
                        seq: b.seq,
                        at: rfc3339_ms(started),
                        check: check.map(|c| c.as_str().to_string()),
                        outcome: outcome.clone(),
                        reason: reason.clone(),
                        order_id: v["order"]["order_id"].as_str().map(str::to_string),
                        duration_secs: (at - started) / 1000,
                        detail: text(v, "detail"),
                    });
                }
            }
            "alert" => {
                if let Some(c) = check {
                    observed_checks.push(c);
                    let t = self.tracks.entry(c).or_default();
                    let starts = matches!(reason.as_deref(), Some("drift" | "check_error"));
                    if starts || t.open.is_some() {
                        t.open_at(c, at).alerts.extend(reason.clone());
                    }
                }
                if counted {
                    let r = reason.clone().unwrap_or_else(|| "alert".into());
                    let e = self.alerts.entry(r.clone()).or_insert_with(|| AlertCount {
                        reason: r,
                        bundles: 0,
                        first: rfc3339_ms(at),
                        last: String::new(),
                    });
                    e.bundles += 1;
                    e.last = rfc3339_ms(at);
                }
            }
            "order" if counted => self.order(b, at, &outcome, reason.as_deref()),
            _ => {}
        }
        if counted && !(kind == "cycle" && observed_checks.is_empty()) && kind != "prune" {
            self.observed.push(Observed {
                seq: b.seq,
                sha256: b.sha256.clone(),
                at_ms: at,
                kind: kind.clone(),
                checks: observed_checks,
                text: format!(
                    "{kind} bundle seq {}: {}{}",
                    b.seq,
                    outcome,
                    text(v, "detail").map(|d| format!(": {d}")).unwrap_or_default()
                ),
            });
        }
    }

    fn order(&mut self, b: &Bundle, at: i64, outcome: &str, reason: Option<&str>) {
        let v = &b.json;
        let o = &v["order"];
        if o["order_id"].is_string() {
            self.orders.push(OrderEntry {
                seq: b.seq,
                at: rfc3339_ms(at),
                order_id: text(o, "order_id"),
                action: text(o, "action"),
                keyid: text(o, "keyid"),
                outcome: outcome.to_string(),
                reason: reason.map(str::to_string),
            });
        }
        if !matches!(outcome, "rejected" | "expired") {
            return;
        }
        // One bundle may summarise several unauthenticated envelopes.
        let mut named: Vec<(String, Option<String>)> = Vec::new();
        if let Some(by) = v["pre_state"]["by_reason"].as_object() {
            named.extend(by.keys().map(|r| (r.clone(), None)));
            for e in v["pre_state"]["envelopes"].as_array().into_iter().flatten() {
                named.push((text(e, "reason").unwrap_or_default(), text(e, "envelope_sha256")));
            }
        } else {
            let r = reason.map_or_else(|| outcome.to_string(), str::to_string);
            named.push((r, text(o, "envelope_sha256")));
        }
        let mut seen = BTreeSet::new();
        for (r, hash) in named {
            let e = self.refusals.entry(r.clone()).or_insert_with(|| Refusals {
                reason: r.clone(),
                bundles: 0,
                envelopes: 0,
                first: rfc3339_ms(at),
                last: String::new(),
                hashes: BTreeSet::new(),
            });
            if seen.insert(r) {
                e.bundles += 1;
                e.last = rfc3339_ms(at);
            }
            e.hashes.extend(hash);
        }
    }

    /// The report (`generated_ms`: now).
    pub fn finish(mut self, chain: &Chain, generated_ms: i64) -> Report {
        let first = self.first_ms.unwrap_or(0);
        let last = self.last.map_or(first, |l| l.0);
        let since = self.opts.since_ms.unwrap_or(first);
        let until = self.opts.until_ms.unwrap_or(last).max(since);
        let max_gap = self.opts.max_gap_ms;
        // The edges: no evidence from the period's start to the first
        // bundle, or from the last to its end.
        let mut gaps = Vec::new();
        if first - since > max_gap {
            gaps.push(Gap::new(since, first.min(until), false, "before_first_bundle"));
        }
        for (a, b, clean) in &self.gaps {
            if *b > since && *a < until {
                gaps.push(Gap::new(*a, *b, *clean, "between_bundles"));
            }
        }
        if until - last > max_gap {
            let clean = self.last.is_some_and(|l| l.1);
            gaps.push(Gap::new(last.max(since), until, clean, "after_last_bundle"));
            for t in self.tracks.values_mut() {
                t.set(last, State::Unknown);
            }
        }
        let mut checks = Vec::new();
        let mut episodes = Vec::new();
        for c in CheckName::ALL {
            let Some(mut t) = self.tracks.remove(&c) else { continue };
            if let Some(mut e) = t.open.take() {
                e.ending = if e.failed { "failed" } else { "open" };
                t.episodes.push(e);
            }
            let mine: Vec<Episode> = t
                .episodes
                .into_iter()
                .filter(|e| e.end_ms.is_none_or(|end| end >= since) && e.start_ms <= until)
                .map(|mut e| {
                    e.began_before_period = e.start_ms < since;
                    e.end = e.end_ms.map(rfc3339_ms);
                    e.duration_secs = (e.end_ms.unwrap_or(until) - e.start_ms) / 1000;
                    e
                })
                .collect();
            let segments = segments(&t.changes, since, until);
            let span = (until - since).max(1) as f64;
            let secs = |s: State| segments.iter().filter(|g| g.state == s).map(|g| g.until_ms - g.from_ms).sum::<i64>();
            let share = |s: State| if until > since { secs(s) as f64 / span } else { 0.0 };
            checks.push(CheckSummary {
                check: c,
                hipaa: controls::hipaa(c).to_vec(),
                nist: controls::nist(c).to_vec(),
                compliant_share: share(State::Compliant),
                drift_share: share(State::Drift),
                error_share: share(State::Error),
                unknown_share: share(State::Unknown),
                compliant_secs: secs(State::Compliant) / 1000,
                state_at_end: segments.last().map_or(State::Unknown, |s| s.state),
                episodes: mine.len(),
                segments,
            });
            episodes.extend(mine);
        }
        episodes.sort_by_key(|e| (e.start_ms, e.check));
        self.delays.sort_unstable();
        let delivery = if chain.delivery_known {
            Delivery {
                known: true,
                note: None,
                bundles: self.in_period,
                receipted: Some(self.delays.len() as u64),
                pending: Some(self.pending.0),
                oldest_pending: self.pending.1.map(rfc3339_ms),
                median_delay_secs: self.delays.get(self.delays.len() / 2).map(|d| d / 1000),
                max_delay_secs: self.delays.last().map(|d| d / 1000),
            }
        } else {
            Delivery {
                known: false,
                note: Some(
                    "an export directory does not record delivery: report from the appliance's database (--db) or ask the MCP which bundles it holds".into(),
                ),
                bundles: self.in_period,
                receipted: None,
                pending: None,
                oldest_pending: None,
                median_delay_secs: None,
                max_delay_secs: None,
            }
        };
        let [site_ids, appliance_ids, agent_builds] = self.ids;
        Report {
            schema: SCHEMA,
            generated_at: rfc3339_ms(generated_ms),
            built_from: BuiltFrom {
                source: chain.source.clone(),
                verified: true,
                bundles: chain.bundles,
                seq_first: chain.seq_range.0,
                seq_last: chain.seq_range.1,
                first_bundle_at: rfc3339_ms(first),
                last_bundle_at: rfc3339_ms(last),
                key_fingerprint: chain.key_fingerprint.clone(),
                key_changes: chain.key_changes.clone(),
                site_ids,
                appliance_ids,
                agent_builds,
            },
            period: Period {
                since: rfc3339_ms(since),
                until: rfc3339_ms(until),
                duration_secs: (until - since) / 1000,
                bundles: self.in_period,
                max_gap_secs: max_gap / 1000,
                since_ms: since,
                until_ms: until,
            },
            checks,
            episodes,
            remediations: self.remediations,
            orders: self.orders,
            refused_orders: self
                .refusals
                .into_values()
                .map(|mut r| {
                    r.envelopes = r.hashes.len();
                    r
                })
                .collect(),
            gaps,
            alerts: self.alerts.into_values().collect(),
            delivery,
            observed: self.observed,
        }
    }
}
