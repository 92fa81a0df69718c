//! `evidence report` and `evidence export --format oscal-ar` against a
//! month of evidence made by the real agent: its state machine, checks,
//! heal engine, order intake, store and MCP client (mTLS to the test MCP)
//! run in this process on the simulated host, with a test clock stepped an
//! hour per cycle. Drift episodes (healed at once, deferred to the
//! maintenance window, failed, still open), refused orders, an MCP outage
//! and two days with the agent not running are injected at known times,
//! and the report's figures are checked against them. The OSCAL document
//! is validated with compliance-trestle's models (the OSCAL ecosystem's
//! own tooling; `.ci/run` installs it). Without it this test FAILS, loudly:
//! a validation that silently did not happen would be a test that cannot
//! fail.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::agent::Agent;
use compliance_agent::clock::{rfc3339_ms, Clock};
use compliance_agent::config::Config;
use compliance_agent::keys::SigningKey;
use compliance_agent::notify::Notifier;
use compliance_agent::signals::Shutdown;
use compliance_agent::store::Store;
use serde_json::{json, Value};
use std::cell::Cell;
use std::path::Path;
use std::process::{Command, Output};
use std::rc::Rc;
use support::env::{agent_bin, TestEnv, EVIDENCE_SEED};
use support::mcp::{Behaviour, McpServer};
use support::simhost::{Volume, FLAKE_REF, OTHER_REVISION, REVISION, ROOT_VOLUME};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// A cycle every two hours (the poll interval of this compressed month),
/// with a cycle bundle at least as often: a gap is more than 2 h 5 min.
const STEP_HOURS: i64 = 2;
const MAX_GAP: &str = "7500";

/// The agent's clock: the test moves it.
#[derive(Clone)]
struct TestClock(Rc<Cell<i64>>);

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.get()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn agent_cmd(args: &[&str]) -> Output {
    support::child::output_within(Command::new(agent_bin()).args(args), support::child::RUN_LIMIT)
}

/// The first Monday 00:00 UTC at least a day after now (the default
/// maintenance window of [`TestEnv`] is Sunday 02:00–04:00 UTC: day 6).
fn next_monday() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let mut day = now.div_euclid(DAY) + 1;
    // 1970-01-01 was a Thursday: day % 7 == 4 is a Monday.
    while day.rem_euclid(7) != 4 {
        day += 1;
    }
    day * DAY
}

fn order(key_seed: u8, keyid: &str, id: &str, issued_ms: i64, action: &str) -> Vec<u8> {
    let p = json!({"order_id": id, "site_id": "clinic-042", "issued_at": issued_ms / 1000, "ttl_secs": 900, "action": action});
    compliance_agent::orders::dsse::sign(p.to_string().as_bytes(), &[(keyid, &SigningKey::from_seed([key_seed; 32]))])
}

/// What the month should show.
struct Month {
    env: TestEnv,
    _server: McpServer,
    t0: i64,
}

/// Runs the month: one cycle every [`STEP_HOURS`] from `t0` (a Monday) for 30 days,
/// except while the agent is "down".
fn run_month() -> Month {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    let link = env.host.current_system().display().to_string();
    env.patch(move |v| {
        v["checks"]["patching"] = json!({
            "flake_ref": FLAKE_REF, "allowed_flake_prefixes": ["github:clinic/appliance"],
            "expected_revision": REVISION, "current_system": link, "max_age_days": 365,
        });
        v["poll_interval_secs"] = json!(STEP_HOURS * 3600);
        // The defaults, not TestEnv's short ones: a request that times out
        // on a loaded machine would be an outage the test did not inject.
        v["mcp"]["connect_timeout_secs"] = json!(10);
        v["mcp"]["request_timeout_secs"] = json!(30);
        v["evidence"] = json!({"summary_interval_secs": STEP_HOURS * 3600});
    });
    let t0 = next_monday();
    let now = Rc::new(Cell::new(t0));
    let config = Config::load(&env.config).unwrap();
    compliance_agent::agent::check_state_dir(&config.state_dir).unwrap();
    let (store, _) = Store::open_or_recover(&config.state_dir).unwrap();
    let mcp = compliance_agent::mcp::McpClient::new(&config.mcp, "clinic-042", "appl-01").unwrap();
    let mut agent = Agent::with_parts(
        config,
        SigningKey::from_seed(EVIDENCE_SEED),
        Notifier::disabled(),
        store,
        Box::new(mcp),
        Box::new(TestClock(now.clone())),
    );
    let shutdown = Shutdown::install().unwrap();
    let host = &env.host;
    for hour in (0..30 * 24).step_by(STEP_HOURS as usize) {
        let t = t0 + hour * HOUR;
        now.set(t);
        let (day, h) = (hour / 24, hour % 24);
        match (day, h) {
            // Services: a unit stops and is restarted in the same cycle.
            (2, 10) => host.set_unit("sshd.service", "inactive"),
            // Patching: someone switched to an unapproved revision; the
            // rebuild is disruptive, so it waits for Sunday's window.
            (4, 10) => host.write("system/generations/1/revision", &format!("{OTHER_REVISION}\n")),
            // Services: a unit that will not start; every repair fails…
            (8, 14) => {
                host.fail_starts("sshd.service", true);
                host.set_unit("sshd.service", "inactive");
            }
            // … until an operator fixes it.
            (9, 8) => {
                host.fail_starts("sshd.service", false);
                host.set_unit("sshd.service", "active");
            }
            // The MCP answers 503 for two days.
            (16, 0) => server.behave(Behaviour::Status(503)),
            (18, 0) => server.behave(Behaviour::Normal),
            // Orders: one good, one expired, and two the agent must refuse
            // before any signature verifies.
            (20, 10) => server.set_orders(vec![
                order(9, "test-2026a", "o-good", t, "run_checks"),
                order(9, "test-2026a", "o-late", t - 2 * HOUR, "run_checks"),
                order(5, "rogue-key", "o-rogue", t, "run_checks"),
                order(6, "test-2026a", "o-forged", t, "run_checks"),
            ]),
            // Served again: nothing new to record. Then another forgery.
            (20, 12) => server.set_orders(vec![
                order(5, "rogue-key", "o-rogue", t - 2 * HOUR, "run_checks"),
                order(6, "test-2026a", "o-forged", t - 2 * HOUR, "run_checks"),
            ]),
            (20, 14) => server.set_orders(vec![order(6, "test-2026a", "o-forged-2", t, "run_checks")]),
            (20, 16) => server.set_orders(vec![]),
            // Encryption: the volume is closed; nothing may heal that.
            (25, 12) => {
                host.set_volume(ROOT_VOLUME, &Volume { active: false, in_use: false, ..Volume::luks2("/dev/vda2") })
            }
            _ => {}
        }
        // The agent is not running from day 12 00:00 until day 14 00:00.
        if (12..14).contains(&day) {
            continue;
        }
        agent.cycle(&shutdown);
    }
    drop(agent);
    Month { env, _server: server, t0 }
}

fn report_json(args: &[&str]) -> Value {
    let out = agent_cmd(args);
    assert_eq!(out.status.code(), Some(0), "{args:?}\n{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

fn check<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["checks"].as_array().unwrap().iter().find(|c| c["check"] == name).unwrap_or_else(|| panic!("no {name}: {r}"))
}

fn episodes<'a>(r: &'a Value, name: &str) -> Vec<&'a Value> {
    r["episodes"].as_array().unwrap().iter().filter(|e| e["check"] == name).collect()
}

fn share(hours: i64) -> f64 {
    hours as f64 / (30.0 * 24.0)
}

fn assert_share(c: &Value, key: &str, hours: i64) {
    let got = c[key].as_f64().unwrap();
    assert!(
        (got - share(hours)).abs() < 1e-9,
        "{} {key}: {got}, expected {hours} h of 720 ({})",
        c["check"],
        share(hours)
    );
}

#[test]
fn a_month_of_evidence_reports_what_was_injected() {
    let m = run_month();
    let t0 = m.t0;
    let at = |day: i64, hour: i64| rfc3339_ms(t0 + day * DAY + hour * HOUR);
    let db = m.env.db();
    let pem = m.env.pubkey_pem();
    let (db, pem) = (db.to_str().unwrap(), pem.to_str().unwrap());
    let since = at(0, 0);
    let until = at(30, 0);
    let html = m.env.path().join("report.html");
    let r = report_json(&[
        "evidence",
        "report",
        "--db",
        db,
        "--pubkey",
        pem,
        "--since",
        &since,
        "--until",
        &until,
        "--max-gap",
        MAX_GAP,
        "--json",
        "--out",
        html.to_str().unwrap(),
    ]);

    // Built from: the verified chain, its key, the period.
    let b = &r["built_from"];
    assert_eq!(b["verified"], true);
    assert_eq!(b["seq_first"], 1);
    assert_eq!(b["site_ids"], json!(["clinic-042"]));
    assert_eq!(b["appliance_ids"], json!(["appl-01"]));
    let fp = compliance_agent::keys::fingerprint(&SigningKey::from_seed(EVIDENCE_SEED).public());
    assert_eq!(b["key_fingerprint"], fp);
    assert_eq!(r["period"]["since"], since);
    assert_eq!(r["period"]["until"], until);

    // The gap: nothing between day 11 22:00 (the last cycle) and day 14.
    assert!(r["gaps"].as_array().unwrap().len() < 5, "{} gaps", r["gaps"].as_array().unwrap().len());
    assert_eq!(
        r["gaps"],
        json!([{"from": at(11, 22), "until": at(14, 0), "duration_secs": 50 * 3600, "after_clean_stop": false, "position": "between_bundles"}])
    );

    // Services: healed at once on day 2; failed from day 8 14:00 until the
    // operator's fix on day 9 08:00 (18 h).
    let s = episodes(&r, "services");
    assert_eq!(s.len(), 2, "{s:#?}");
    assert_eq!(
        (&s[0]["start"], &s[0]["end"], &s[0]["ending"]),
        (&json!(at(2, 10)), &json!(at(2, 10)), &json!("healed"))
    );
    assert_eq!(s[0]["duration_secs"], 0);
    assert_eq!(s[0]["verdicts"], json!(["drift"]));
    assert_eq!(
        (&s[1]["start"], &s[1]["end"], &s[1]["ending"]),
        (&json!(at(8, 14)), &json!(at(9, 8)), &json!("failed"))
    );
    assert_eq!(s[1]["duration_secs"], 18 * 3600);
    assert!(s[1]["alerts"].as_array().unwrap().contains(&json!("heal_exhausted")), "{}", s[1]);
    let failed: Vec<&Value> = r["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["check"] == "services" && m["outcome"] == "failed")
        .collect();
    assert_eq!(s[1]["remediations"].as_array().unwrap().len(), failed.len());
    assert!(failed.len() >= 2, "{failed:#?}");
    assert_share(check(&r, "services"), "compliant_share", 720 - 18 - 50);
    assert_share(check(&r, "services"), "drift_share", 18);
    assert_share(check(&r, "services"), "unknown_share", 50);

    // Patching: drift on Friday 10:00, deferred, healed when Sunday's
    // window opened at 02:00 (40 h).
    let p = episodes(&r, "patching");
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(
        (&p[0]["start"], &p[0]["end"], &p[0]["ending"], &p[0]["duration_secs"]),
        (&json!(at(4, 10)), &json!(at(6, 2)), &json!("deferred_then_healed"), &json!(40 * 3600))
    );
    let patching: Vec<&Value> =
        r["remediations"].as_array().unwrap().iter().filter(|m| m["check"] == "patching").collect();
    assert_eq!(patching.iter().map(|m| m["outcome"].as_str().unwrap()).collect::<Vec<_>>(), ["deferred", "success"]);
    assert_eq!(patching[1]["at"], at(6, 2));
    assert_share(check(&r, "patching"), "compliant_share", 720 - 40 - 50);

    // Encryption: closed on day 25 12:00 and still open at the end (108 h).
    let e = episodes(&r, "encryption");
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!((&e[0]["start"], &e[0]["end"], &e[0]["ending"]), (&json!(at(25, 12)), &Value::Null, &json!("open")));
    assert_eq!(e[0]["duration_secs"], 108 * 3600);
    assert_eq!(check(&r, "encryption")["state_at_end"], "drift");
    assert_share(check(&r, "encryption"), "compliant_share", 720 - 108 - 50);

    // Logging: never drifted.
    assert!(episodes(&r, "logging").is_empty());
    assert_share(check(&r, "logging"), "compliant_share", 720 - 50);
    assert_eq!(check(&r, "logging")["hipaa"], json!(["164.312(b)", "164.308(a)(1)(ii)(D)", "164.308(a)(5)(ii)(C)"]));
    assert_eq!(check(&r, "logging")["nist"], json!(["AU-2", "AU-6", "AU-12"]));

    // Orders: the good one ran, the late one expired. Envelopes no key
    // signed are recorded when new: served again they add nothing.
    let orders: Vec<(String, String)> = r["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["order_id"].as_str().unwrap().to_string(), o["outcome"].as_str().unwrap().to_string()))
        .collect();
    assert!(orders.contains(&("o-good".into(), "success".into())), "{orders:?}");
    assert!(orders.contains(&("o-late".into(), "expired".into())), "{orders:?}");
    let refused: Vec<(String, u64, u64)> = r["refused_orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["reason"].as_str().unwrap().to_string(),
                x["bundles"].as_u64().unwrap(),
                x["envelopes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [("bad_signature".to_string(), 2, 2), ("ttl_elapsed".into(), 1, 1), ("unknown_key".into(), 1, 1)],
        "{}",
        r["refused_orders"]
    );

    // Delivery: everything receipted in the end; what the outage held back
    // waited the whole 48 hours.
    let d = &r["delivery"];
    assert_eq!(d["known"], true);
    assert_eq!(d["pending"], 0);
    assert_eq!(d["receipted"], r["period"]["bundles"]);
    assert_eq!(d["max_delay_secs"], 48 * 3600);
    let mcp_alerts = r["alerts"].as_array().unwrap().iter().find(|a| a["first"] == at(16, 0));
    assert!(mcp_alerts.is_some(), "no alert when the MCP failed: {}", r["alerts"]);

    // The page: self-contained, one SVG timeline per check, nothing to fetch.
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<svg ").count(), r["checks"].as_array().unwrap().len());
    for forbidden in ["<script", "src=", "href=", "@import", "url("] {
        assert!(!page.contains(forbidden), "the report page contains {forbidden:?}");
    }
    assert!(page.contains(&fp) && page.contains("verified"), "the page names the key and the verification");

    // An export directory: the same figures, delivery unknown.
    let dir = m.env.path().join("export");
    let out =
        agent_cmd(&["evidence", "export", "--db", db, "--key", m.env.key.to_str().unwrap(), dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let from_dir = report_json(&[
        "evidence",
        "report",
        dir.to_str().unwrap(),
        "--pubkey",
        pem,
        "--since",
        &since,
        "--until",
        &until,
        "--max-gap",
        MAX_GAP,
        "--json",
    ]);
    for key in ["checks", "episodes", "remediations", "orders", "refused_orders", "gaps", "alerts"] {
        assert_eq!(from_dir[key], r[key], "{key} differs between the database and its export");
    }
    assert_eq!(from_dir["delivery"]["known"], false);

    // An export of a period (with its signed manifest) starts after seq 1:
    // the report accepts the start the manifest vouches for.
    let part = m.env.path().join("export-part");
    let (d10, d20) = (at(10, 0), at(20, 0));
    let out = agent_cmd(&[
        "evidence",
        "export",
        "--db",
        db,
        "--key",
        m.env.key.to_str().unwrap(),
        "--since",
        &d10,
        "--until",
        &d20,
        part.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let from_part =
        report_json(&["evidence", "report", part.to_str().unwrap(), "--pubkey", pem, "--max-gap", MAX_GAP, "--json"]);
    assert!(from_part["built_from"]["seq_first"].as_u64().unwrap() > 1, "{}", from_part["built_from"]);
    assert_eq!(from_part["period"]["since"], d10);
    assert_eq!(from_part["gaps"], r["gaps"]);

    // A narrower period: day 8 alone (dates; the period is [since, until)).
    let narrow = report_json(&["evidence", "report", "--db", db, "--pubkey", pem, "--since", &since[..10], "--json"]);
    assert_eq!(narrow["period"]["since"], at(0, 0));
    let nine = rfc3339_ms(t0 + 8 * DAY);
    let narrow = report_json(&[
        "evidence",
        "report",
        "--db",
        db,
        "--pubkey",
        pem,
        "--since",
        &nine[..10],
        "--until",
        &rfc3339_ms(t0 + 9 * DAY)[..10],
        "--max-gap",
        MAX_GAP,
        "--json",
    ]);
    assert_eq!(narrow["period"]["duration_secs"], 86_400);
    let s = episodes(&narrow, "services");
    assert_eq!(s.len(), 1, "{s:#?}");
    assert_eq!(s[0]["ending"], "failed");

    // A chain that does not verify: refused, nothing written.
    let victim = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.ends_with(".json") && name.split('-').next().and_then(|s| s.parse::<u64>().ok()) == Some(40)
        })
        .unwrap();
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, text(&bytes).replacen("\"outcome\":\"", "\"outcome\":\"x", 1)).unwrap();
    let refused_html = m.env.path().join("refused.html");
    let out = agent_cmd(&[
        "evidence",
        "report",
        dir.to_str().unwrap(),
        "--pubkey",
        pem,
        "--out",
        refused_html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(65), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("refusing to report"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("signature does not verify"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty() && !refused_html.exists());

    oscal_validates_with_trestle(&m, db, pem, &r);
}

/// The OSCAL export, validated by compliance-trestle's pydantic models.
fn oscal_validates_with_trestle(m: &Month, db: &str, pem: &str, r: &Value) {
    let python = std::env::var("COMPLIANCE_AGENT_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = Command::new(&python).args(["-c", "import trestle.oscal.assessment_results"]).output();
    let ready = probe.as_ref().is_ok_and(|o| o.status.success());
    assert!(
        ready,
        "compliance-trestle is not installed for {python}: the OSCAL document cannot be validated. Install it \
         (`{python} -m pip install compliance-trestle`; .ci/run does) — this test fails rather than skip. {}",
        probe.map(|o| text(&o.stderr)).unwrap_or_else(|e| e.to_string())
    );
    let file = m.env.path().join("assessment-results.json");
    let since = rfc3339_ms(m.t0);
    let until = rfc3339_ms(m.t0 + 30 * DAY);
    let out = agent_cmd(&[
        "evidence",
        "export",
        "--format",
        "oscal-ar",
        "--db",
        db,
        "--pubkey",
        pem,
        "--since",
        &since,
        "--until",
        &until,
        "--max-gap",
        MAX_GAP,
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let validate = |path: &Path| {
        let script = "import json, pathlib, sys\n\
from trestle.oscal.assessment_results import AssessmentResults\n\
ar = AssessmentResults.oscal_read(pathlib.Path(sys.argv[1]))\n\
res = ar.results[0]\n\
print(json.dumps({'results': len(ar.results), 'observations': len(res.observations or []),\n\
  'findings': {f.target.target_id: f.target.status.state.value for f in (res.findings or [])}}))\n";
        Command::new(&python).args(["-c", script]).arg(path).output().unwrap()
    };
    let got = validate(&file);
    assert!(got.status.success(), "trestle rejects the OSCAL document:\n{}", text(&got.stderr));
    let v: Value = serde_json::from_slice(&got.stdout).unwrap();
    let findings = &v["findings"];
    // Every control of the four checks has a finding; the ones the failed
    // services episode and the open encryption drift touch are not satisfied.
    assert_eq!(findings["si-2_smt"], "satisfied", "{findings}");
    assert_eq!(findings["au-12_smt"], "satisfied", "{findings}");
    assert_eq!(findings["cp-10_smt"], "not-satisfied", "{findings}");
    assert_eq!(findings["sc-28_smt"], "not-satisfied", "{findings}");
    assert_eq!(findings["hipaa-164.312-a-2-iv"], "not-satisfied", "{findings}");
    assert_eq!(findings["hipaa-164.312-b"], "satisfied", "{findings}");
    let checks = r["checks"].as_array().unwrap().len() as u64;
    assert!(v["observations"].as_u64().unwrap() > checks, "{v}");

    // The validator does bite: the same document without a required field
    // is refused.
    let mut doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    doc["assessment-results"]["results"][0]["findings"][0]["target"].as_object_mut().unwrap().remove("target-id");
    let broken = m.env.path().join("broken.json");
    std::fs::write(&broken, doc.to_string()).unwrap();
    let got = validate(&broken);
    assert!(!got.status.success(), "trestle accepted a finding without a target-id");
}
