//! The Prometheus textfile (node_exporter's textfile collector), written by
//! the agent after every cycle.
//!
//! Owns: metric names and help texts. Must never: rename or drop a metric
//! silently.

use super::Status;
use std::fmt::Write as _;

impl Status {
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
