//! `plan`: what a cycle would do now, without doing it. Poll (the orders
//! reply is fetched and verified, nothing is recorded), Detect (the checks
//! run as `check` runs them), and Heal's decisions — which remediations
//! would run now, which wait for the maintenance window and until when,
//! which are backing off or need a human — taken by the same functions Heal
//! uses ([`super::heal::drift_step`], [`super::heal::order_target`]).
//!
//! Owns: the plan and its two forms (text for people, JSON for machines).
//! Must never: change the host (beyond the logging check's canary, as
//! `check`), write to the store or evidence, or consume an order (nothing
//! is claimed, queued or marked seen).

use super::heal::{backoff_state, drift_step, drift_target, order_target, window_allows, DriftStep};
use crate::checks::{self, CheckName, Env, NoState, StateRead, Verdict};
use crate::clock::{rfc3339_ms, Clock};
use crate::config::Config;
use crate::exec::Runner;
use crate::mcp::Transport;
use crate::orders::{verify, Order, Policy, Verdict as OrderVerdict};
use crate::store::Store;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// What one order would meet.
#[derive(Debug, Clone)]
pub struct PlannedOrder {
    /// The order id, once its signature verified.
    pub order_id: Option<String>,
    /// The action name, once its signature verified.
    pub action: Option<String>,
    /// Hex SHA-256 of the envelope.
    pub envelope_sha256: String,
    /// What would happen to it.
    pub step: String,
    /// It would change the host this cycle.
    pub acts: bool,
}

/// What one check found and what would be done about it.
#[derive(Debug, Clone)]
pub struct PlannedCheck {
    /// The check.
    pub check: CheckName,
    /// Its verdict now.
    pub verdict: Verdict,
    /// Its one-sentence finding.
    pub detail: String,
    /// What Heal would do.
    pub step: String,
    /// A remediation would run this cycle.
    pub acts: bool,
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// When it was made (Unix ms).
    pub at_ms: i64,
    /// Why the MCP was not reached (None: reached).
    pub mcp_error: Option<String>,
    /// Orders from the MCP and those already queued.
    pub orders: Vec<PlannedOrder>,
    /// Every enabled check.
    pub checks: Vec<PlannedCheck>,
}

/// Makes the plan. `store` is the agent's database opened read-only, if
/// one exists (back-off state, queued orders, remediations in flight).
pub fn plan(
    config: &Config,
    store: Option<&Store>,
    mcp: &dyn Transport,
    runner: &dyn Runner,
    clock: &dyn Clock,
) -> Plan {
    let now_ms = clock.now_ms();
    let now = now_ms.div_euclid(1000);
    let policy = Policy::from_config(config);
    let state: &dyn StateRead = match store {
        Some(s) => s,
        None => &NoState,
    };
    // Detect first: a `heal` order repairs what the check finds.
    let env = Env { config, runner, clock, state };
    let results: Vec<checks::CheckResult> = checks::enabled(config).into_iter().map(|c| checks::run(c, &env)).collect();
    let result_of = |c: CheckName| results.iter().find(|r| r.check == c);
    let busy = store.map(crate::heal::busy_checks).unwrap_or_default();

    let mut orders = Vec::new();
    let mut ordered: Vec<CheckName> = Vec::new();
    let mut decide = |order: &Order, orders: &mut Vec<PlannedOrder>| {
        let target = order_target(config, &order.action, result_of);
        let (step, acts) = match &target {
            Some(t) if busy.contains(&t.check()) => {
                ("waits: a remediation of this check is still being resolved".to_string(), false)
            }
            Some(t) if t.disruptive() && !window_allows(config, now_ms) => {
                let opens = config.maintenance_window.next_open(now);
                let step = if order.expires_at < opens {
                    format!("waits for the window opening at {}, but expires before it", rfc3339_ms(opens * 1000))
                } else {
                    format!("waits for the maintenance window opening at {}", rfc3339_ms(opens * 1000))
                };
                (step, false)
            }
            Some(t) => {
                ordered.push(t.check());
                (format!("runs now: {}", t.key()), true)
            }
            None => ("runs now".to_string(), true),
        };
        orders.push(PlannedOrder {
            order_id: Some(order.order_id.clone()),
            action: Some(order.action.name().to_string()),
            envelope_sha256: order.envelope_sha256.clone(),
            step,
            acts,
        });
    };
    // Orders accepted earlier and not yet run.
    if let Some(s) = store {
        for q in s.queued_orders().unwrap_or_default() {
            match verify(&q.envelope, &policy, now) {
                OrderVerdict::Accepted(o) => decide(&o, &mut orders),
                OrderVerdict::Refused(r) => orders.push(refused(&r, "queued, but now refused")),
            }
        }
    }
    let mcp_error = match mcp.fetch_orders() {
        Err(e) => Some(format!("{}: {e}", e.class())),
        Ok(envelopes) => {
            for bytes in envelopes {
                let hash = crate::encoding::sha256_hex(&bytes);
                if store.is_some_and(|s| s.envelope_seen(&hash).unwrap_or(false)) {
                    continue; // handled before (or queued, listed above)
                }
                match verify(&bytes, &policy, now) {
                    OrderVerdict::Refused(r) => orders.push(refused(&r, "would be refused")),
                    OrderVerdict::Accepted(o) => {
                        let not_before: Option<i64> = store
                            .and_then(|s| s.get_state(crate::store::ORDERS_NOT_BEFORE).ok().flatten())
                            .and_then(|v| v.parse().ok());
                        let replay = not_before.is_some_and(|nb| o.issued_at < nb)
                            || store.is_some_and(|s| {
                                s.order_id_seen_with_other_bytes(&o.order_id, &o.envelope_sha256).unwrap_or(false)
                            });
                        if replay {
                            orders.push(PlannedOrder {
                                order_id: Some(o.order_id.clone()),
                                action: Some(o.action.name().to_string()),
                                envelope_sha256: o.envelope_sha256.clone(),
                                step: "would be refused: replay".into(),
                                acts: false,
                            });
                        } else {
                            decide(&o, &mut orders);
                        }
                    }
                }
            }
            None
        }
    };

    let checks = results
        .iter()
        .map(|r| {
            let (step, acts) = match r.verdict {
                Verdict::Compliant => ("nothing to do".to_string(), false),
                Verdict::Error => ("the check cannot tell: an alert, nothing is changed".to_string(), false),
                Verdict::Drift if !r.healable => {
                    ("needs a human: an alert, never healed automatically".to_string(), false)
                }
                Verdict::Drift if ordered.contains(&r.check) => ("an order above repairs it".to_string(), false),
                Verdict::Drift => match drift_target(config, r.check, Some(r), false) {
                    None => ("no remediation applies: an alert".to_string(), false),
                    Some(t) => {
                        let busy = busy.contains(&r.check);
                        match drift_step(config, &t, busy, backoff_state(state, r.check), now_ms) {
                            DriftStep::Now => (format!("repair now: {}", t.key()), true),
                            DriftStep::Busy => ("waits: a remediation of this check is being resolved".into(), false),
                            DriftStep::Deferred { opens_at } => (
                                format!("waits for the maintenance window opening at {}", rfc3339_ms(opens_at * 1000)),
                                false,
                            ),
                            DriftStep::BackOff { until_ms } => {
                                (format!("backing off: next repair after {}", rfc3339_ms(until_ms)), false)
                            }
                            DriftStep::Exhausted { attempts } => {
                                (format!("{attempts} repairs failed this episode: needs a human"), false)
                            }
                        }
                    }
                },
            };
            PlannedCheck { check: r.check, verdict: r.verdict, detail: r.detail.clone(), step, acts }
        })
        .collect();
    Plan { at_ms: now_ms, mcp_error, orders, checks }
}

fn refused(r: &crate::orders::Refusal, what: &str) -> PlannedOrder {
    PlannedOrder {
        order_id: r.order_id.clone(),
        action: r.action.clone(),
        envelope_sha256: r.envelope_sha256.clone(),
        step: format!("{what}: {} ({})", r.reason, r.detail),
        acts: false,
    }
}

impl Plan {
    /// 0: compliant and nothing to do; 1: drift remains or something would
    /// be done; 69: nothing to do, but the MCP was not reached.
    pub fn exit_code(&self) -> i32 {
        let work = self.orders.iter().any(|o| o.acts) || self.checks.iter().any(|c| c.verdict != Verdict::Compliant);
        if work {
            crate::EXIT_DRIFT
        } else if self.mcp_error.is_some() {
            crate::EXIT_UNAVAILABLE
        } else {
            crate::EXIT_OK
        }
    }

    /// For people.
    pub fn to_text(&self, config: &Config) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "plan for {}/{} at {} (nothing is changed)",
            config.site_id,
            config.appliance_id,
            rfc3339_ms(self.at_ms)
        );
        match &self.mcp_error {
            None => {
                let _ = writeln!(s, "MCP: reached; {} order(s) to consider", self.orders.len());
            }
            Some(e) => {
                let _ = writeln!(s, "MCP: NOT reached ({e}); {} queued order(s)", self.orders.len());
            }
        }
        for o in &self.orders {
            let _ = writeln!(
                s,
                "  order {} {}: {}",
                o.order_id.as_deref().unwrap_or(&o.envelope_sha256[..16.min(o.envelope_sha256.len())]),
                o.action.as_deref().unwrap_or("?"),
                o.step
            );
        }
        let _ = writeln!(s, "checks:");
        for c in &self.checks {
            let verdict = match c.verdict {
                Verdict::Compliant => "ok",
                Verdict::Drift => "DRIFT",
                Verdict::Error => "ERROR",
            };
            if c.verdict == Verdict::Compliant {
                let _ = writeln!(s, "  {:<11} {verdict}", c.check.as_str());
            } else {
                let _ = writeln!(s, "  {:<11} {verdict}: {} -> {}", c.check.as_str(), c.detail, c.step);
            }
        }
        s
    }

    /// For machines.
    pub fn to_json(&self) -> Value {
        json!({
            "at": rfc3339_ms(self.at_ms),
            "exit_code": self.exit_code(),
            "mcp_reached": self.mcp_error.is_none(),
            "mcp_error": self.mcp_error,
            "orders": self.orders.iter().map(|o| json!({
                "order_id": o.order_id, "action": o.action, "envelope_sha256": o.envelope_sha256,
                "step": o.step, "acts": o.acts,
            })).collect::<Vec<_>>(),
            "checks": self.checks.iter().map(|c| json!({
                "check": c.check, "verdict": c.verdict, "detail": c.detail, "step": c.step, "acts": c.acts,
            })).collect::<Vec<_>>(),
        })
    }
}
