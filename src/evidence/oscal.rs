//! `evidence export --format oscal-ar`: a verified chain's period as an
//! OSCAL assessment-results document (docs/report.md), which GRC tools
//! read: one result for the period, observations made from the bundles,
//! a finding per NIST SP 800-53 control and per HIPAA citation.
//!
//! Built from the same figures as `evidence report` ([`super::report`]),
//! so the two never disagree. UUIDs are derived from the chain (SHA-256 of
//! what they name), so the same chain and period give the same ids.
//!
//! Owns: the OSCAL shape and the satisfied/not-satisfied rule. Must
//! never: call a control satisfied on evidence the report does not show.

use super::report::{Report, State};
use crate::checks::CheckName;
use crate::encoding::sha256;
use serde_json::{json, Value};

/// The OSCAL version the document is written to (and validated against,
/// with compliance-trestle's models, by tests/report.rs).
pub const OSCAL_VERSION: &str = "1.2.1";
/// Namespace of this tool's own `props`.
pub const NS: &str = "urn:compliance-agent:evidence";

/// A UUID (RFC 4122 version 4 layout) derived from `parts`.
fn uuid(parts: &[&str]) -> String {
    let mut h = sha256(parts.join("\u{0}").as_bytes());
    h[6] = (h[6] & 0x0f) | 0x40;
    h[8] = (h[8] & 0x3f) | 0x80;
    let x = crate::encoding::hex(&h[..16]);
    format!("{}-{}-{}-{}-{}", &x[..8], &x[8..12], &x[12..16], &x[16..20], &x[20..32])
}

fn prop(name: &str, value: impl ToString) -> Value {
    json!({"name": name, "ns": NS, "value": value.to_string()})
}

/// `CP-9(1)` → `cp-9.1`: the NIST catalog's control id.
pub fn nist_id(control: &str) -> String {
    control.to_ascii_lowercase().replace('(', ".").replace(')', "")
}

/// `164.308(a)(1)(ii)(A)` → `hipaa-164.308-a-1-ii-A`: an OSCAL token.
pub fn hipaa_id(citation: &str) -> String {
    let mut s = String::from("hipaa-");
    s.push_str(&citation.replace(")(", "-").replace('(', "-").replace(')', ""));
    s
}

/// The document for `r` (its `last-modified` is the report's `generated_at`).
pub fn document(r: &Report) -> Value {
    let b = &r.built_from;
    let anchor = format!("{}|{}|{}|{}", b.key_fingerprint, b.seq_last, r.period.since, r.period.until);
    let site = b.site_ids.iter().cloned().collect::<Vec<_>>().join(", ");
    let appliance = b.appliance_ids.iter().cloned().collect::<Vec<_>>().join(", ");
    let component = uuid(&[&anchor, "component"]);
    let item = uuid(&[&anchor, "inventory-item", &site, &appliance]);
    let actor = json!([{"actors": [{"type": "tool", "actor-uuid": component}]}]);
    let subject = json!([{"subject-uuid": item, "type": "inventory-item"}]);

    let mut observations = Vec::new();
    // Per check: its figures over the period.
    let mut check_obs: Vec<(CheckName, String)> = Vec::new();
    for c in &r.checks {
        let id = uuid(&[&anchor, "check", c.check.as_str()]);
        observations.push(json!({
            "uuid": id,
            "title": format!("{} check over the period", c.check.as_str()),
            "description": format!(
                "The {} check was compliant {:.2} % of the period, drifting {:.2} %, in error {:.2} %, unknown (no evidence) {:.2} %; {} drift episodes; at the end: {:?}.",
                c.check.as_str(), c.compliant_share * 100.0, c.drift_share * 100.0, c.error_share * 100.0,
                c.unknown_share * 100.0, c.episodes, c.state_at_end
            ),
            "props": [prop("check", c.check.as_str()), prop("compliant-share", format!("{:.6}", c.compliant_share))],
            "methods": ["TEST"],
            "origins": actor,
            "subjects": subject,
            "collected": r.period.until,
        }));
        check_obs.push((c.check, id));
    }
    // Per bundle that marks a change, an action, an order or an alert.
    let mut event_obs: Vec<(Vec<CheckName>, String)> = Vec::new();
    for o in &r.observed {
        let id = uuid(&[&o.sha256, "observation"]);
        let mut props = vec![prop("bundle-kind", &o.kind)];
        props.extend(o.checks.iter().map(|c| prop("check", c.as_str())));
        observations.push(json!({
            "uuid": id,
            "title": format!("{} bundle seq {}", o.kind, o.seq),
            "description": o.text,
            "props": props,
            "methods": ["TEST"],
            "origins": actor,
            "subjects": subject,
            "relevant-evidence": [{
                "description": format!("Evidence bundle seq {}, SHA-256 {} (signed, hash-chained; verify with compliance-agent evidence verify or OpenSSL)", o.seq, o.sha256),
                "props": [prop("bundle-seq", o.seq), prop("bundle-sha256", &o.sha256)],
            }],
            "collected": crate::clock::rfc3339_ms(o.at_ms),
        }));
        event_obs.push((o.checks.clone(), id));
    }

    // Findings: per NIST control, then per HIPAA citation.
    let mut findings = Vec::new();
    let mut nist_ids: Vec<String> = Vec::new();
    let mut targets: Vec<(String, String, &'static str, Vec<CheckName>)> = Vec::new();
    for table in [super::controls::nist as fn(CheckName) -> &'static [&'static str], super::controls::hipaa] {
        for c in &r.checks {
            for cite in table(c.check) {
                match targets.iter_mut().find(|t| t.0 == *cite) {
                    Some(t) => t.3.push(c.check),
                    None => {
                        let is_nist = !cite.starts_with(char::is_numeric);
                        let (target, kind) = if is_nist {
                            (format!("{}_smt", nist_id(cite)), "statement-id")
                        } else {
                            (hipaa_id(cite), "objective-id")
                        };
                        if is_nist {
                            nist_ids.push(nist_id(cite));
                        }
                        targets.push((cite.to_string(), target, kind, vec![c.check]));
                    }
                }
            }
        }
    }
    for (cite, target, kind, checks) in &targets {
        let mut satisfied = true;
        let mut parts = Vec::new();
        for c in checks {
            let Some(s) = r.checks.iter().find(|s| s.check == *c) else { continue };
            let bad: Vec<&str> = r
                .episodes
                .iter()
                .filter(|e| e.check == *c && matches!(e.ending, "failed" | "open"))
                .map(|e| e.ending)
                .collect();
            if !bad.is_empty() || s.state_at_end != State::Compliant {
                satisfied = false;
            }
            parts.push(format!(
                "{}: compliant {:.2} % of the period ({:.2} % unknown), {} drift episodes ({} failed or still open), {:?} at the end",
                c.as_str(),
                s.compliant_share * 100.0,
                s.unknown_share * 100.0,
                s.episodes,
                bad.len(),
                s.state_at_end
            ));
        }
        let mut related: Vec<Value> = check_obs
            .iter()
            .filter(|(c, _)| checks.contains(c))
            .map(|(_, id)| json!({"observation-uuid": id}))
            .collect();
        related.extend(
            event_obs
                .iter()
                .filter(|(cs, _)| cs.iter().any(|c| checks.contains(c)))
                .map(|(_, id)| json!({"observation-uuid": id})),
        );
        let regime = if *kind == "statement-id" { "NIST SP 800-53 rev. 5" } else { "HIPAA Security Rule 45 CFR" };
        let mut finding = json!({
            "uuid": uuid(&[&anchor, "finding", cite]),
            "title": format!("{regime} {cite}"),
            "description": format!("Evidenced by the appliance's {} check(s). {}.", checks.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "), parts.join("; ")),
            "props": checks.iter().map(|c| prop("check", c.as_str())).chain([prop("citation", cite)]).collect::<Vec<_>>(),
            "origins": actor,
            "target": {
                "type": kind,
                "target-id": target,
                "title": format!("{regime} {cite}"),
                "status": {
                    "state": if satisfied { "satisfied" } else { "not-satisfied" },
                    "reason": if satisfied { "pass" } else { "fail" },
                },
            },
        });
        if !related.is_empty() {
            finding["related-observations"] = Value::Array(related);
        }
        findings.push(finding);
    }

    let mut result = json!({
        "uuid": uuid(&[&anchor, "result"]),
        "title": format!("Continuous assessment of appliance {appliance} at site {site}"),
        "description": format!(
            "What the appliance's compliance-agent recorded from {} to {}: {} bundles of a signed, hash-chained evidence chain (seq {}..={}, key {}) that verified before this document was made. A control is satisfied when every check evidencing it ended the period compliant and had no drift episode that failed or stayed open.",
            r.period.since, r.period.until, r.period.bundles, b.seq_first, b.seq_last, b.key_fingerprint
        ),
        "start": r.period.since,
        "end": r.period.until,
        "props": [
            prop("key-fingerprint", &b.key_fingerprint),
            prop("seq-first", b.seq_first),
            prop("seq-last", b.seq_last),
            prop("gaps", r.gaps.len()),
        ],
        "local-definitions": {
            "components": [{
                "uuid": component,
                "type": "software",
                "title": "compliance-agent",
                "description": format!("The agent that checked the appliance and signed the evidence ({}).", b.agent_builds.iter().cloned().collect::<Vec<_>>().join(", ")),
                "status": {"state": "operational"},
            }],
            "inventory-items": [{
                "uuid": item,
                "description": format!("Compliance appliance {appliance} at site {site}."),
                "props": [prop("site-id", &site), prop("appliance-id", &appliance)],
            }],
        },
        "reviewed-controls": {
            "description": "The NIST SP 800-53 rev. 5 controls and HIPAA Security Rule citations the agent's six checks evidence (docs/evidence.md).",
            "control-selections": [{"include-controls": nist_ids.iter().map(|i| json!({"control-id": i})).collect::<Vec<_>>()}],
        },
        "observations": observations,
    });
    if !findings.is_empty() {
        result["findings"] = Value::Array(findings);
    }
    json!({
        "assessment-results": {
            "uuid": uuid(&[&anchor, "assessment-results"]),
            "metadata": {
                "title": format!("compliance-agent assessment results: {site} / {appliance}, {} to {}", r.period.since, r.period.until),
                "last-modified": r.generated_at,
                "version": r.schema,
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": {
                "href": "#",
                "remarks": "No separate assessment plan: the appliance assesses itself continuously with the checks docs/checks.md describes.",
            },
            "results": [result],
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(nist_id("CP-9(1)"), "cp-9.1");
        assert_eq!(nist_id("SI-2"), "si-2");
        assert_eq!(hipaa_id("164.308(a)(1)(ii)(A)"), "hipaa-164.308-a-1-ii-A");
        let u = uuid(&["x"]);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!("89ab".contains(&u[19..20]), "{u}");
        assert_eq!(u, uuid(&["x"]));
        assert_ne!(u, uuid(&["y"]));
    }
}
