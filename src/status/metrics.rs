//! The Prometheus textfile (node_exporter's textfile collector), written by
//! the agent after every cycle; docs/operations.md lists the metrics.
//!
//! Owns: metric names, help texts and label escaping. Must never: rename
//! or drop a metric without docs/operations.md saying so, or emit a label
//! value unescaped.

use super::Status;
use std::fmt::Write as _;

/// A label value in the exposition format: `\`, `"` and newline escaped.
fn label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

impl Status {
    /// Prometheus text exposition format.
    pub fn prometheus(&self) -> String {
        let mut s = String::new();
        let header = |s: &mut String, name: &str, help: &str| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge");
        };
        let metric = |s: &mut String, name: &str, help: &str, value: String| {
            header(s, name, help);
            let _ = writeln!(s, "{name} {value}");
        };
        let secs = |ms: i64| format!("{:.3}", ms as f64 / 1000.0);
        let info = crate::build_info();
        header(&mut s, "compliance_agent_build_info", "The agent's version and build id (always 1).");
        let _ = writeln!(
            s,
            "compliance_agent_build_info{{version=\"{}\",build=\"{}\"}} 1",
            label(info.version),
            label(&info.build_id())
        );
        if let Some(c) = &self.last_cycle {
            if let Some(ms) = c["finished_ms"].as_i64() {
                metric(&mut s, "compliance_agent_last_cycle_timestamp_seconds", "End of the last cycle.", secs(ms));
            }
            metric(
                &mut s,
                "compliance_agent_compliant",
                "1 if the last cycle found no remaining drift and no failed action.",
                u8::from(!self.drift()).to_string(),
            );
            metric(
                &mut s,
                "compliance_agent_mcp_reachable",
                "1 if the last cycle reached the MCP.",
                u8::from(self.mcp_reachable() == Some(true)).to_string(),
            );
        }
        metric(
            &mut s,
            "compliance_agent_evidence_unpushed_bundles",
            "Evidence bundles without a receipt.",
            self.backlog.unpushed.to_string(),
        );
        metric(
            &mut s,
            "compliance_agent_evidence_stored_bundles",
            "Evidence bundles stored locally.",
            self.backlog.stored.to_string(),
        );
        metric(
            &mut s,
            "compliance_agent_evidence_chain_seq",
            "Sequence number of the newest bundle.",
            self.chain_seq.to_string(),
        );
        if let Some(t) = self.backlog.oldest_unpushed_ms {
            metric(
                &mut s,
                "compliance_agent_evidence_oldest_unpushed_timestamp_seconds",
                "Creation time of the oldest unpushed bundle.",
                secs(t),
            );
        }
        if let Some(t) = self.last_push_ms {
            metric(
                &mut s,
                "compliance_agent_evidence_last_push_timestamp_seconds",
                "Last successful evidence push.",
                secs(t),
            );
        }
        metric(&mut s, "compliance_agent_open_alerts", "Open alert episodes.", self.alerts.len().to_string());
        if let Some(results) = self.last_cycle.as_ref().and_then(|c| c["results"].as_object()) {
            let verdicts: Vec<(&String, Option<bool>)> =
                results.iter().map(|(c, r)| (c, r["drift"].as_bool())).collect();
            if verdicts.iter().any(|(_, d)| d.is_some()) {
                header(
                    &mut s,
                    "compliance_agent_check_drift",
                    "1 if the check found drift, 0 if compliant (checks that could not tell: compliance_agent_check_error).",
                );
                for (check, drift) in &verdicts {
                    if let Some(d) = drift {
                        let _ =
                            writeln!(s, "compliance_agent_check_drift{{check=\"{}\"}} {}", label(check), u8::from(*d));
                    }
                }
            }
            header(&mut s, "compliance_agent_check_error", "1 if the check could not tell (a tool failed), else 0.");
            for (check, drift) in &verdicts {
                let _ = writeln!(
                    s,
                    "compliance_agent_check_error{{check=\"{}\"}} {}",
                    label(check),
                    u8::from(drift.is_none())
                );
            }
        }
        s
    }
}
