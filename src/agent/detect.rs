//! Detect: run the checks that are due (all of them when a `run_checks`
//! order is queued), keep each check's latest result, and turn what needs a
//! human (unhealable drift, check errors) into alerts.
//!
//! Owns: which checks run this cycle and the drift/error alert episodes.
//! Must never: change the host (the checks only observe), or heal.

use super::{Agent, Cycle};
use crate::checks::{self, Env};
use crate::evidence::Record;

impl Agent {
    /// Runs the checks that are due (all of them when `run_checks` was
    /// ordered); the cycle's results carry the latest result of every
    /// enabled check.
    pub(super) fn detect(&mut self, cycle: &mut Cycle) {
        let now_ms = self.clock.now_ms();
        let env = Env { config: &self.config, runner: &self.runner, clock: self.clock.as_ref(), state: &self.store };
        let mut ran = 0;
        for check in checks::enabled(&self.config) {
            let due = cycle.run_checks_ordered
                || match (self.last_checks.get(&check), checks::interval(&self.config, check)) {
                    (Some((at, _)), Some(secs)) => {
                        now_ms.saturating_sub(*at) >= i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
                    }
                    _ => true,
                };
            if !due {
                continue;
            }
            let r = checks::run(check, &env);
            ran += 1;
            // Compliant is routine, drift a warning, a check that could
            // not tell (a tool failed) an error.
            let level = match r.verdict {
                checks::Verdict::Compliant => log::Level::Info,
                checks::Verdict::Drift => log::Level::Warn,
                checks::Verdict::Error => log::Level::Error,
            };
            log::log!(level, "detect: {check}: {:?} in {} ms: {}", r.verdict, r.duration_ms, r.detail);
            self.last_checks.insert(check, (now_ms, r));
        }
        let mut drift = Vec::new();
        for (check, (_, r)) in &self.last_checks {
            cycle.results.insert(check.as_str().to_string(), r.summary());
            let drift_key = format!("drift_{check}");
            let error_key = format!("check_error_{check}");
            match r.verdict {
                checks::Verdict::Compliant => {
                    // The episode is over: alerts close, back-off and
                    // deferral start afresh next time.
                    let _ = self.store.clear_alerts(&drift_key);
                    let _ = self.store.clear_alerts(&error_key);
                    let _ = self.store.clear_alerts(&format!("heal_exhausted_{check}"));
                    let _ = self.store.clear_alerts(&format!("heal_failed_{check}"));
                    let _ = self.store.set_state(&format!("heal.{check}"), "0 0");
                    let _ = self.store.set_state(&format!("deferred.{check}"), "");
                }
                checks::Verdict::Drift => {
                    drift.push(check.as_str());
                    let _ = self.store.clear_alerts(&error_key);
                    // Drift the agent may not heal (encryption, nixpkgs age)
                    // needs a human; healable drift is Heal's.
                    if !r.healable {
                        let mut rec = Record::alert(&drift_key, "drift", r.detail.clone(), now_ms);
                        rec.check = Some(*check);
                        rec.pre_state = Some(r.observed.clone());
                        cycle.records.push(rec);
                    }
                }
                checks::Verdict::Error => {
                    drift.push(check.as_str());
                    let mut rec = Record::alert(&error_key, "check_error", r.detail.clone(), now_ms);
                    rec.check = Some(*check);
                    rec.actions = r.commands.clone();
                    cycle.records.push(rec);
                }
            }
        }
        cycle.report.drift_remaining = !drift.is_empty();
        log::info!(
            "detect: {ran} checks ran, {} results; {}",
            self.last_checks.len(),
            if drift.is_empty() { "compliant".to_string() } else { format!("not compliant: {}", drift.join(", ")) }
        );
    }
}
