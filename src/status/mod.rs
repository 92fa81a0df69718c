//! `compliance-agent status`: what the agent last did, read from the store
//! with no network and no listening socket; the same figures as a
//! Prometheus textfile for node_exporter.

use crate::evidence::flush::last_push_ms;
use crate::store::{AlertEpisode, Backlog, Store, StoreError};
use serde_json::{json, Value};
use std::fmt::Write as _;

/// State key of the last cycle's summary (written by the agent's Flush).
pub const LAST_CYCLE: &str = "status.last_cycle";

/// Everything `status` shows.
#[derive(Debug, Clone)]
pub struct Status {
    /// The last cycle's summary as recorded, if any cycle ran.
    pub last_cycle: Option<Value>,
    /// Outbox figures.
    pub backlog: Backlog,
    /// Last successful push, Unix ms.
    pub last_push_ms: Option<i64>,
    /// Open alert episodes.
    pub alerts: Vec<AlertEpisode>,
    /// The chain tip seq.
    pub chain_seq: u64,
}

impl Status {
    /// Reads the figures from the store.
    pub fn read(store: &Store) -> Result<Status, StoreError> {
        Ok(Status {
            last_cycle: store.get_state(LAST_CYCLE)?.and_then(|v| serde_json::from_str(&v).ok()),
            backlog: store.backlog()?,
            last_push_ms: last_push_ms(store),
            alerts: store.open_alerts()?,
            chain_seq: store.chain_tip()?.seq,
        })
    }

    /// Compliance verdict of the last cycle: 0 compliant, 1 drift or failure,
    /// None if no cycle has run.
    pub fn exit_code(&self) -> Option<i32> {
        self.last_cycle.as_ref().and_then(|c| c["exit_code"].as_i64()).map(|c| c as i32)
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        json!({
            "last_cycle": self.last_cycle,
            "evidence": {
                "chain_seq": self.chain_seq,
                "stored": self.backlog.stored,
                "unpushed": self.backlog.unpushed,
                "oldest_unpushed_at": self.backlog.oldest_unpushed_ms.map(crate::clock::rfc3339_ms),
                "last_push_at": self.last_push_ms.map(crate::clock::rfc3339_ms),
            },
            "alerts": self.alerts.iter().map(|a| json!({
                "key": a.key, "reason": a.reason, "detail": a.detail,
                "since": crate::clock::rfc3339_ms(a.first_ms),
                "last_alerted_at": crate::clock::rfc3339_ms(a.last_alert_ms),
            })).collect::<Vec<_>>(),
        })
    }

    /// The human-readable form.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        match &self.last_cycle {
            None => s.push_str("last cycle:      none yet\n"),
            Some(c) => {
                let verdict = match c["exit_code"].as_i64() {
                    Some(0) => "compliant",
                    _ => "drift or failed action",
                };
                let _ = writeln!(s, "last cycle:      {} ({verdict})", c["finished_at"].as_str().unwrap_or("?"));
                let _ = writeln!(
                    s,
                    "MCP reachable:   {}",
                    if c["mcp_reachable"].as_bool() == Some(true) { "yes" } else { "no" }
                );
                if let Some(results) = c["results"].as_object() {
                    for (check, r) in results {
                        let state = match r["drift"].as_bool() {
                            Some(true) => "DRIFT",
                            Some(false) => "ok",
                            None => "error",
                        };
                        let _ = writeln!(s, "  {check:<12} {state}");
                    }
                }
            }
        }
        let b = &self.backlog;
        let _ = writeln!(s, "evidence:        {} stored, chain at seq {}", b.stored, self.chain_seq);
        let _ = writeln!(
            s,
            "backlog:         {} unpushed{}",
            b.unpushed,
            b.oldest_unpushed_ms.map(|t| format!(", oldest from {}", crate::clock::rfc3339_ms(t))).unwrap_or_default()
        );
        let _ = writeln!(
            s,
            "last push:       {}",
            self.last_push_ms.map(crate::clock::rfc3339_ms).unwrap_or_else(|| "never".into())
        );
        if self.alerts.is_empty() {
            s.push_str("open alerts:     none\n");
        } else {
            let _ = writeln!(s, "open alerts:     {}", self.alerts.len());
            for a in &self.alerts {
                let _ = writeln!(
                    s,
                    "  {} since {}: {}",
                    a.reason,
                    crate::clock::rfc3339_ms(a.first_ms),
                    a.detail.as_deref().unwrap_or("")
                );
            }
        }
        s
    }

    /// Prometheus text exposition format.
    pub fn prometheus(&self) -> String {
        let mut s = String::new();
        let mut metric = |name: &str, help: &str, value: String| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        };
        let secs = |ms: i64| format!("{:.3}", ms as f64 / 1000.0);
        if let Some(c) = &self.last_cycle {
            if let Some(ms) = c["finished_ms"].as_i64() {
                metric("compliance_agent_last_cycle_timestamp_seconds", "End of the last cycle.", secs(ms));
            }
            metric(
                "compliance_agent_compliant",
                "1 if the last cycle found no remaining drift and no failed action.",
                u8::from(c["exit_code"].as_i64() == Some(0)).to_string(),
            );
        }
        metric(
            "compliance_agent_evidence_unpushed_bundles",
            "Evidence bundles without a receipt.",
            self.backlog.unpushed.to_string(),
        );
        metric(
            "compliance_agent_evidence_stored_bundles",
            "Evidence bundles stored locally.",
            self.backlog.stored.to_string(),
        );
        metric(
            "compliance_agent_evidence_chain_seq",
            "Sequence number of the newest bundle.",
            self.chain_seq.to_string(),
        );
        if let Some(t) = self.backlog.oldest_unpushed_ms {
            metric(
                "compliance_agent_evidence_oldest_unpushed_timestamp_seconds",
                "Creation time of the oldest unpushed bundle.",
                secs(t),
            );
        }
        if let Some(t) = self.last_push_ms {
            metric("compliance_agent_evidence_last_push_timestamp_seconds", "Last successful evidence push.", secs(t));
        }
        metric("compliance_agent_open_alerts", "Open alert episodes.", self.alerts.len().to_string());
        if let Some(results) = self.last_cycle.as_ref().and_then(|c| c["results"].as_object()) {
            let _ = writeln!(s, "# HELP compliance_agent_check_drift 1 if the check found drift, 0 if not, -1 on error.\n# TYPE compliance_agent_check_drift gauge");
            for (check, r) in results {
                let v = match r["drift"].as_bool() {
                    Some(true) => 1,
                    Some(false) => 0,
                    None => -1,
                };
                let _ = writeln!(s, "compliance_agent_check_drift{{check=\"{check}\"}} {v}");
            }
        }
        s
    }
}
