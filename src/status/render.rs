//! The text and JSON forms of `status`.
//!
//! Owns: how the overview reads. Must never: print a value from the store
//! or a certificate with its control characters (a detail may hold a
//! tool's multi-line stderr), or drop a JSON field scripts read
//! (`last_cycle`, `evidence.*`, `alerts[].key/reason/detail/since`).

use super::{alert_check, stale_after_secs, CertFile, Daemon, Overview, State, Status};
use crate::clock::rfc3339_ms;
use crate::logging::one_line;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// A duration for people: `42 s`, `3 min`, `2 h 5 min`, `3 d 4 h`.
pub(super) fn duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// The checks of the last cycle that were not compliant.
pub(super) fn not_compliant(st: &Status) -> Vec<String> {
    let Some(results) = st.last_cycle.as_ref().and_then(|c| c["results"].as_object()) else { return Vec::new() };
    results.iter().filter(|(_, r)| r["drift"].as_bool() != Some(false)).map(|(c, _)| c.clone()).collect()
}

fn secs_rfc3339(secs: i64) -> String {
    rfc3339_ms(secs.saturating_mul(1000))
}

impl CertFile {
    fn to_json(&self, now_unix: i64) -> Value {
        let mut v = json!({"file": self.path.display().to_string(), "config_key": self.key});
        match (&self.certs, self.principal()) {
            (Err(e), _) => v["error"] = json!(e),
            (Ok(certs), Some(c)) => {
                v["count"] = json!(certs.len());
                v["not_before"] = json!(secs_rfc3339(c.not_before_unix));
                v["not_after"] = json!(secs_rfc3339(c.not_after_unix));
                v["days_left"] = json!(c.days_left(now_unix));
                v["expired"] = json!(c.expired(now_unix));
                v["subject_cn"] = json!(c.subject_cn);
                v["dns_names"] = json!(c.dns_names);
            }
            (Ok(_), None) => v["error"] = json!("no certificate"),
        }
        v
    }

    fn to_text(&self, now_unix: i64) -> String {
        let c = match (&self.certs, self.principal()) {
            (Err(e), _) => return format!("cannot read {}: {}", self.path.display(), one_line(e)),
            (Ok(_), None) => return format!("{}: no certificate", self.path.display()),
            (Ok(_), Some(c)) => c,
        };
        let until = secs_rfc3339(c.not_after_unix);
        let mut s = if c.expired(now_unix) {
            format!("EXPIRED {until} ({} days ago)", -c.days_left(now_unix))
        } else if now_unix < c.not_before_unix {
            format!("NOT YET VALID: from {} until {until}", secs_rfc3339(c.not_before_unix))
        } else {
            let days = c.days_left(now_unix);
            let soon = if c.expires_within(now_unix, self.warn_days) { ", renew it soon" } else { "" };
            format!("valid until {until} ({days} days{soon})")
        };
        if let Some(cn) = &c.subject_cn {
            let _ = write!(s, ", CN {}", crate::validate::quoted(cn));
        }
        if let Ok(certs) = &self.certs {
            if certs.len() > 1 {
                let _ = write!(s, " (the first to expire of {})", certs.len());
            }
        }
        s
    }
}

impl Overview {
    /// The JSON form: always an object with `state` and `exit_code`.
    pub fn to_json(&self) -> Value {
        let verdict = self.verdict();
        let now_unix = self.now_ms.div_euclid(1000);
        let daemon = match &self.daemon {
            Daemon::Unknown(e) => json!({"state": self.daemon.name(), "error": e}),
            d => json!({"state": d.name()}),
        };
        let mut v = json!({
            "state": verdict.state.name(),
            "exit_code": verdict.state.exit_code(),
            "reasons": verdict.reasons,
            "site_id": self.appliance.site_id,
            "appliance_id": self.appliance.appliance_id,
            "agent": {"version": self.appliance.version, "build": self.appliance.build},
            "daemon": daemon,
            "database": self.database.display().to_string(),
            "certificates": self.certs.iter().map(|c| (c.role.to_string(), c.to_json(now_unix))).collect::<serde_json::Map<_, _>>(),
        });
        let Some(st) = &self.status else { return v };
        v["last_cycle"] = json!(st.last_cycle);
        v["last_cycle_age_secs"] = json!(st.finished_ms().map(|t| self.now_ms.saturating_sub(t).max(0) / 1000));
        v["stale_after_secs"] = json!(stale_after_secs(self.poll_interval_secs));
        v["evidence"] = json!({
            "chain_seq": st.chain_seq,
            "stored": st.backlog.stored,
            "unpushed": st.backlog.unpushed,
            "oldest_unpushed_at": st.backlog.oldest_unpushed_ms.map(rfc3339_ms),
            "last_push_at": st.last_push_ms.map(rfc3339_ms),
        });
        v["alerts"] = st
            .alerts
            .iter()
            .map(|a| {
                json!({
                    "key": a.key, "reason": a.reason, "detail": a.detail,
                    "check": alert_check(&a.key).map(|c| c.as_str()),
                    "since": rfc3339_ms(a.first_ms),
                    "last_alerted_at": rfc3339_ms(a.last_alert_ms),
                })
            })
            .collect();
        v
    }

    /// The human-readable form. On a fresh appliance, one line.
    pub fn to_text(&self) -> String {
        let verdict = self.verdict();
        let Some(st) = &self.status else {
            return format!("{}\n", verdict.reasons.join("; "));
        };
        let now_unix = self.now_ms.div_euclid(1000);
        let a = &self.appliance;
        let mut s = String::new();
        let _ = writeln!(s, "agent:           compliance-agent {}", a.version_line);
        let _ = writeln!(s, "site:            {}, appliance {}", a.site_id, a.appliance_id);
        let daemon = match &self.daemon {
            Daemon::Running => "running (it holds agent.lock)".to_string(),
            Daemon::Stopped => "not running".to_string(),
            Daemon::NeverRan => "never ran (no agent.lock)".to_string(),
            Daemon::Unknown(e) => format!("unknown ({})", one_line(e)),
        };
        let _ = writeln!(s, "daemon:          {daemon}");
        match &st.last_cycle {
            None => s.push_str("last cycle:      none finished yet\n"),
            Some(c) => {
                let verdict = if st.drift() { "drift or failed action" } else { "compliant" };
                let age = st.finished_ms().map(|t| format!(", {} ago", duration(self.now_ms - t))).unwrap_or_default();
                let _ = writeln!(s, "last cycle:      {}{age} ({verdict})", c["finished_at"].as_str().unwrap_or("?"));
                let reachable = if st.mcp_reachable() == Some(true) { "yes" } else { "no" };
                let _ = writeln!(s, "MCP reachable:   {reachable}");
                if let Some(results) = c["results"].as_object() {
                    for (check, r) in results {
                        let state = match r["drift"].as_bool() {
                            Some(true) => "DRIFT",
                            Some(false) => "ok",
                            None => "ERROR",
                        };
                        let detail = match (state, r["detail"].as_str()) {
                            ("ok", _) | (_, None) => String::new(),
                            (_, Some(d)) => format!("  {}", one_line(d)),
                        };
                        let _ = writeln!(s, "  {check:<12} {state}{detail}");
                    }
                }
            }
        }
        let b = &st.backlog;
        let _ = writeln!(s, "evidence:        {} stored, chain at seq {}", b.stored, st.chain_seq);
        let _ = writeln!(
            s,
            "backlog:         {} unpushed{}",
            b.unpushed,
            b.oldest_unpushed_ms.map(|t| format!(", oldest from {}", rfc3339_ms(t))).unwrap_or_default()
        );
        let _ = writeln!(s, "last push:       {}", st.last_push_ms.map(rfc3339_ms).unwrap_or_else(|| "never".into()));
        for c in &self.certs {
            let label = if c.role == "ca" { "CA:" } else { "client cert:" };
            let _ = writeln!(s, "{label:<16} {}", c.to_text(now_unix));
        }
        if st.alerts.is_empty() {
            s.push_str("open alerts:     none\n");
        } else {
            let _ = writeln!(s, "open alerts:     {}", st.alerts.len());
            for a in &st.alerts {
                let check = alert_check(&a.key).map(|c| format!(", check={c}")).unwrap_or_default();
                let _ = writeln!(
                    s,
                    "  {} ({}{check}) since {}: {}",
                    a.key,
                    a.reason,
                    rfc3339_ms(a.first_ms),
                    one_line(a.detail.as_deref().unwrap_or(""))
                );
            }
        }
        let _ = write!(s, "verdict:         {} (exit {})", verdict.state.name(), verdict.state.exit_code());
        if verdict.state != State::Ok && !verdict.reasons.is_empty() {
            let _ = write!(s, ": {}", verdict.reasons.join("; "));
        }
        s.push('\n');
        s
    }
}
