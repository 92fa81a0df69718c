use super::*;
use serde_json::json;

const MIN: i64 = 60_000;

fn status(cycle: Value, unpushed: u64) -> Status {
    Status {
        last_cycle: Some(cycle),
        backlog: Backlog { stored: 5, unpushed, oldest_unpushed_ms: (unpushed > 0).then_some(1_000) },
        last_push_ms: Some(2_000),
        alerts: vec![],
        chain_seq: 5,
    }
}

fn cycle(finished_ms: i64, drift: bool, failed: bool, reachable: bool) -> Value {
    json!({
        "finished_at": crate::clock::rfc3339_ms(finished_ms), "finished_ms": finished_ms,
        "exit_code": i32::from(drift || failed), "drift_remaining": drift, "action_failed": failed,
        "mcp_reachable": reachable,
        "results": {
            "services": {"verdict": "compliant", "drift": false, "detail": "all active"},
            "firewall": {"verdict": "error", "drift": null, "detail": "nft: exit 1:\nline two"},
            "logging": {"verdict": "drift", "drift": true, "detail": "journald inactive"},
        },
    })
}

#[test]
fn the_verdict_table() {
    let now = 100 * MIN;
    // poll every 60 s: stale from 3 min.
    let table: &[(Status, State)] = &[
        (status(cycle(now - MIN, false, false, true), 0), State::Ok),
        (status(cycle(now - 3 * MIN + 1, false, false, true), 0), State::Ok),
        (status(cycle(now - 3 * MIN, false, false, true), 0), State::Stale),
        (status(cycle(now - MIN, false, false, false), 0), State::Undelivered),
        (status(cycle(now - MIN, false, false, true), 3), State::Undelivered),
        (status(cycle(now - MIN, true, false, true), 0), State::Drift),
        (status(cycle(now - MIN, false, true, true), 0), State::Drift),
        // Drift wins over stale and undelivered.
        (status(cycle(now - 60 * MIN, true, false, false), 9), State::Drift),
        // Stale and undelivered: stale is named (same exit status).
        (status(cycle(now - 60 * MIN, false, false, false), 9), State::Stale),
        // A clock that went back: not stale.
        (status(cycle(now + 10 * MIN, false, false, true), 0), State::Ok),
        // No end time: cannot be called fresh.
        (status(json!({"drift_remaining": false, "action_failed": false, "mcp_reachable": true}), 0), State::Stale),
        // An old record without the flags: its exit code decides.
        (status(json!({"finished_ms": now, "exit_code": 1, "mcp_reachable": true}), 0), State::Drift),
        (status(json!({"finished_ms": now, "exit_code": 0, "mcp_reachable": true}), 0), State::Ok),
    ];
    for (i, (st, want)) in table.iter().enumerate() {
        let v = verdict(st, now, 60);
        assert_eq!(v.state, *want, "row {i}: {v:?}");
        assert_eq!(v.reasons.is_empty(), *want == State::Ok, "row {i}: {v:?}");
    }
    let mut none = status(json!({}), 0);
    none.last_cycle = None;
    assert_eq!(verdict(&none, now, 60).state, State::NoCycle);
    let codes: Vec<i32> = [State::Fresh, State::NoCycle, State::Drift, State::Stale, State::Undelivered, State::Ok]
        .iter()
        .map(|s| s.exit_code())
        .collect();
    assert_eq!(
        codes,
        [
            crate::EXIT_NOINPUT,
            crate::EXIT_NOINPUT,
            crate::EXIT_DRIFT,
            crate::EXIT_UNAVAILABLE,
            crate::EXIT_UNAVAILABLE,
            crate::EXIT_OK
        ]
    );
    // The reasons say what and how old.
    let v = verdict(&status(cycle(now - 90 * MIN, true, false, false), 2), now, 60);
    let all = v.reasons.join("; ");
    assert!(all.contains("(firewall, logging)") && all.contains("1 h 30 min ago"), "{all}");
    assert!(all.contains("did not reach the MCP") && all.contains("2 evidence bundles"), "{all}");
}

#[test]
fn alert_keys_name_their_check() {
    let table = [
        ("drift_services", Some(CheckName::Services)),
        ("check_error_firewall", Some(CheckName::Firewall)),
        ("heal_failed_backups", Some(CheckName::Backups)),
        ("heal_exhausted_patching", Some(CheckName::Patching)),
        ("drift_encryption", Some(CheckName::Encryption)),
        ("check_error_logging", Some(CheckName::Logging)),
        ("mcp_connect", None),
        ("mcp_unreachable", None),
        ("evidence_backlog", None),
        ("evidence_push", None),
        ("order_flood", None),
        ("store_corrupt", None),
        ("services", None),
        ("drift_", None),
    ];
    for (key, want) in table {
        assert_eq!(alert_check(key), want, "{key}");
    }
}

#[test]
fn durations_for_people() {
    for (ms, want) in [
        (0, "0 s"),
        (-5_000, "0 s"),
        (59_999, "59 s"),
        (60_000, "1 min"),
        (3_599_000, "59 min"),
        (3_600_000, "1 h 0 min"),
        (90 * MIN, "1 h 30 min"),
        (86_400_000 + 4 * 3_600_000, "1 d 4 h"),
    ] {
        assert_eq!(render::duration(ms), want, "{ms}");
    }
}

#[test]
fn metrics_report_errors_apart_from_drift() {
    let st = status(cycle(1_795_600_000_000, true, false, false), 2);
    let prom = st.prometheus();
    let info = crate::build_info();
    assert!(
        prom.contains(&format!(
            "compliance_agent_build_info{{version=\"{}\",build=\"{}\"}} 1\n",
            info.version,
            info.build_id()
        )),
        "{prom}"
    );
    for line in [
        "compliance_agent_last_cycle_timestamp_seconds 1795600000.000\n",
        "compliance_agent_compliant 0\n",
        "compliance_agent_mcp_reachable 0\n",
        "compliance_agent_evidence_unpushed_bundles 2\n",
        "compliance_agent_evidence_last_push_timestamp_seconds 2.000\n",
        "compliance_agent_check_drift{check=\"services\"} 0\n",
        "compliance_agent_check_drift{check=\"logging\"} 1\n",
        "compliance_agent_check_error{check=\"firewall\"} 1\n",
        "compliance_agent_check_error{check=\"services\"} 0\n",
        "# TYPE compliance_agent_check_error gauge\n",
    ] {
        assert!(prom.contains(line), "{line}: {prom}");
    }
    // A check that could not tell has no drift value at all (not -1).
    assert!(!prom.contains("compliance_agent_check_drift{check=\"firewall\"}"), "{prom}");
    assert!(!prom.contains("-1"), "{prom}");
    // Every sample line belongs to a declared metric.
    for l in prom.lines().filter(|l| !l.starts_with('#')) {
        let name = l.split(['{', ' ']).next().unwrap();
        assert!(prom.contains(&format!("# TYPE {name} gauge")), "{l}");
    }
    let reachable = status(cycle(1, false, false, true), 0).prometheus();
    assert!(
        reachable.contains("compliance_agent_mcp_reachable 1\n")
            && reachable.contains("compliance_agent_compliant 1\n")
    );
}

fn overview(st: Option<Status>, now_ms: i64) -> Overview {
    Overview {
        appliance: Appliance {
            site_id: "clinic-042".into(),
            appliance_id: "appl-01".into(),
            version_line: "0.1.0 (git test)".into(),
            version: "0.1.0".into(),
            build: "git:test".into(),
        },
        daemon: Daemon::Running,
        database: PathBuf::from("/var/lib/compliance-agent/agent.db"),
        now_ms,
        poll_interval_secs: 60,
        status: st,
        certs: vec![
            CertFile {
                role: "client",
                key: "mcp.client_cert_file",
                path: "/etc/c.pem".into(),
                certs: Ok(vec![CertInfo {
                    not_before_unix: 0,
                    not_after_unix: now_ms / 1000 + 10 * 86_400,
                    subject_cn: Some("appl\n01".into()),
                    dns_names: vec![],
                }]),
                warn_days: 30,
            },
            CertFile {
                role: "ca",
                key: "mcp.ca_file",
                path: "/etc/ca.pem".into(),
                certs: Err("gone".into()),
                warn_days: 30,
            },
        ],
    }
}

#[test]
fn a_fresh_appliance_is_one_line_and_json() {
    let o = overview(None, 1_795_600_000_000);
    assert_eq!(
        o.to_text(),
        "no cycle has run on this appliance yet (no database at /var/lib/compliance-agent/agent.db)\n"
    );
    let j = o.to_json();
    assert_eq!(j["state"], "fresh");
    assert_eq!(j["exit_code"], crate::EXIT_NOINPUT);
    assert_eq!(j["daemon"]["state"], "running");
    assert_eq!(j["site_id"], "clinic-042");
    assert!(j.get("evidence").is_none());
}

#[test]
fn text_and_json_name_checks_certificates_and_the_verdict() {
    let now = 1_795_600_000_000;
    let mut st = status(cycle(now - 2 * MIN, true, false, true), 0);
    st.alerts = vec![
        AlertEpisode {
            key: "drift_logging".into(),
            reason: "drift".into(),
            detail: Some("journald\ninactive".into()),
            first_ms: now - 5 * MIN,
            last_alert_ms: now - 5 * MIN,
        },
        AlertEpisode {
            key: "mcp_connect".into(),
            reason: "mcp_unreachable".into(),
            detail: None,
            first_ms: now,
            last_alert_ms: now,
        },
    ];
    let o = overview(Some(st), now);
    let t = o.to_text();
    for want in [
        "agent:           compliance-agent 0.1.0 (git test)\n",
        "site:            clinic-042, appliance appl-01\n",
        "daemon:          running",
        ", 2 min ago (drift or failed action)\n",
        "  firewall     ERROR  nft: exit 1:\\nline two\n",
        "  logging      DRIFT  journald inactive\n",
        "  services     ok\n",
        "client cert:     valid until ",
        "(10 days, renew it soon), CN \"appl\\u000a01\"\n",
        "CA:              cannot read /etc/ca.pem: gone\n",
        "open alerts:     2\n",
        "  drift_logging (drift, check=logging) since ",
        ": journald\\ninactive\n",
        "  mcp_connect (mcp_unreachable) since ",
        "verdict:         drift (exit 1): the last cycle left drift or a failed action (firewall, logging)\n",
    ] {
        assert!(t.contains(want), "{want:?} not in:\n{t}");
    }
    let j = o.to_json();
    assert_eq!(j["state"], "drift");
    assert_eq!(j["exit_code"], 1);
    assert_eq!(j["last_cycle_age_secs"], 120);
    assert_eq!(j["stale_after_secs"], 180);
    assert_eq!(j["alerts"][0]["check"], "logging");
    assert_eq!(j["alerts"][1]["check"], Value::Null);
    assert_eq!(j["alerts"][0]["key"], "drift_logging");
    assert_eq!(j["certificates"]["client"]["days_left"], 10);
    assert_eq!(j["certificates"]["client"]["expired"], false);
    assert_eq!(j["certificates"]["ca"]["error"], "gone");
    assert_eq!(j["evidence"]["stored"], 5);
    assert!(j["last_cycle"]["results"].is_object());
}

#[test]
fn the_daemon_lock_is_tried_without_creating_anything() {
    let dir = std::env::temp_dir().join(format!("status-lock-{}-{}", std::process::id(), crate::rand::u64()));
    std::fs::create_dir_all(&dir).unwrap();
    assert_eq!(daemon(&dir), Daemon::NeverRan);
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none(), "status created a file");
    let path = dir.join(LOCK_FILE);
    let holder = std::fs::File::create(&path).unwrap();
    assert_eq!(daemon(&dir), Daemon::Stopped);
    holder.lock().unwrap();
    assert_eq!(daemon(&dir), Daemon::Running);
    holder.unlock().unwrap();
    assert_eq!(daemon(&dir), Daemon::Stopped);
    drop(holder);
    // A symlink is not followed.
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", &path).unwrap();
    assert!(matches!(daemon(&dir), Daemon::Unknown(_)), "{:?}", daemon(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
}
