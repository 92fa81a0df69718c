//! Drift-detection corpus: table tests over the recorded tool outputs in
//! `tests/fixtures/checks/` (what each file is and where it came from:
//! `tests/fixtures/checks/README.md`).
//!
//! Two layers:
//! - **a** (`a:` cases): each fixture through the public parsers and
//!   deciders (`patching::{parse, evaluate}`, `services::parse`,
//!   `backups::{parse_status, parse_restic_for, judge_age}`, `firewall::{validate_listing, filtered}`,
//!   `encryption::{crypt_devices, parse_status, parse_dump}`), combined the
//!   way the check combines them.
//! - **b** (`b:` cases): whole checks (`checks::run`) against the simulated
//!   host, its fake tools serving the recorded outputs where they can print
//!   them (the fake's output is compared with the fixture first), plus
//!   scripted failures: garbage, empty output, non-zero exit, missing tool.
//!
//! Every expected verdict follows one rule: a missing, failing or garbled
//! tool is `Error` (never `Drift`, never `Compliant`); genuine
//! non-compliance is `Drift`; compliance is `Compliant`. `corpus_scorecard`
//! runs every case and counts false passes (a non-compliant or error case
//! judged compliant) and false positives (a compliant case judged drift or
//! error); both must be 0.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::checks::{
    self, backups, encryption, firewall, logging, patching, services, CheckName, CheckResult, Env, NoState, StateRead,
    Verdict,
};
use compliance_agent::clock::{parse_rfc3339, Clock};
use compliance_agent::config::Config;
use compliance_agent::encoding::sha256_hex;
use compliance_agent::exec::{NoHeartbeat, SystemRunner};
use compliance_agent::keys::SigningKey;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::env::ORDER_KEY_B64;
use support::simhost::{json_string, SimHost, TempDir, Volume, OTHER_REVISION, REVISION};

// ---- the corpus on disk ------------------------------------------------------

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/checks");

fn corpus_path(rel: &str) -> PathBuf {
    Path::new(CORPUS).join(rel)
}

fn bytes(rel: &str) -> Vec<u8> {
    fs::read(corpus_path(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// The recorded stdout of `stem` (`<stem>.out`), decoded as the agent does.
fn out(stem: &str) -> String {
    String::from_utf8_lossy(&bytes(&format!("{stem}.out"))).into_owned()
}

/// The recorded exit status of `stem` (`<stem>.rc`; absent means 0).
fn rc(stem: &str) -> i32 {
    fs::read_to_string(corpus_path(&format!("{stem}.rc"))).map_or(0, |s| s.trim().parse().unwrap())
}

/// The first line of the recorded stderr of `stem` (`<stem>.err`).
fn err_line(stem: &str) -> String {
    let text = fs::read_to_string(corpus_path(&format!("{stem}.err"))).unwrap_or_default();
    text.lines().next().unwrap_or("").to_string()
}

// ---- time, config, state ------------------------------------------------------

/// "Now" for patching (the nixos-version fixtures are from a 24.11 system).
const PATCH_NOW: &str = "2025-01-10T12:00:00Z";
/// "Now" for the other checks (the day the real outputs were recorded).
const NOW: &str = "2026-11-25T12:00:00Z";

fn ms(rfc3339: &str) -> i64 {
    parse_rfc3339(rfc3339).unwrap_or_else(|| panic!("bad test time {rfc3339}"))
}

fn day(rfc3339: &str) -> i64 {
    ms(rfc3339).div_euclid(86_400_000)
}

/// A clock that never moves.
struct FixedClock(i64);

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0
    }
}

/// State in memory.
#[derive(Default)]
struct MapState(RefCell<HashMap<String, String>>);

impl StateRead for MapState {
    fn get(&self, key: &str) -> Option<String> {
        self.0.borrow().get(key).cloned()
    }
    fn put(&self, key: &str, value: &str) {
        self.0.borrow_mut().insert(key.to_string(), value.to_string());
    }
}

/// The firewall's cached canonical hash of the baseline (as the scratch
/// network namespace would have listed it: the real nft capture
/// `firewall/baseline-stateless`), so the check never has to re-exec the agent.
struct CanonicalCache(String);

impl StateRead for CanonicalCache {
    fn get(&self, key: &str) -> Option<String> {
        key.starts_with("firewall.").then(|| self.0.clone())
    }
    fn put(&self, _key: &str, _value: &str) {}
}

fn config(checks: &str, tools: &str) -> Config {
    let text = format!(
        r#"{{
  "site_id": "clinic-042", "appliance_id": "appl-01",
  "state_dir": "/var/lib/compliance-agent",
  "signing_key_file": "/run/secrets/compliance-agent/evidence.key",
  "mcp": {{
    "base_url": "https://mcp.example.net",
    "ca_file": "/etc/ca.pem", "client_cert_file": "/etc/c.pem", "client_key_file": "/etc/k.pem",
    "order_keys": [{{"keyid": "test-2026a", "public_key": "{ORDER_KEY_B64}"}}]
  }},
  "maintenance_window": {{"days": ["sun"], "start": "02:00", "duration_minutes": 120}},
  "checks": {checks},
  "tools": {tools}
}}"#
    );
    Config::parse(&text, Path::new("/etc/compliance-agent/config.json")).unwrap_or_else(|e| panic!("config: {e}"))
}

/// The simulated host's tools, with some replaced or added (`restic`).
fn tools_with(sim: &SimHost, changes: &[(&str, &str)]) -> String {
    let mut tools: Value = serde_json::from_str(&sim.tools_json()).unwrap();
    for (key, path) in changes {
        tools[*key] = Value::String((*path).to_string());
    }
    tools.to_string()
}

/// `execve` of a wrapper script another thread's child still holds open for
/// writing (a fork between a simulated host writing its wrappers and closing
/// them) fails with ETXTBSY: a race of the test harness, not of the checks.
fn text_file_busy(detail: &str) -> bool {
    detail.contains(&format!("(os error {})", libc::ETXTBSY))
}

/// Runs one whole check (again if a fake tool could not be executed
/// because of the harness race above).
fn run_check(check: CheckName, tools: &str, checks: &str, now_ms: i64, state: &dyn StateRead) -> Got {
    let config = config(checks, tools);
    let runner = SystemRunner::new(NoHeartbeat);
    let clock = FixedClock(now_ms);
    let env = Env { config: &config, runner: &runner, clock: &clock, state };
    let mut attempts = 0;
    loop {
        let got = Got::of(&checks::run(check, &env));
        attempts += 1;
        if attempts == 5 || !(got.verdict == Verdict::Error && text_file_busy(&got.detail)) {
            return got;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A fresh result for the public deciders, obtained the way any caller can:
/// running the check while it is disabled, then clearing the verdict.
fn blank(check: CheckName) -> CheckResult {
    let config = config("{}", "{}");
    let runner = SystemRunner::new(NoHeartbeat);
    let env = Env { config: &config, runner: &runner, clock: &FixedClock(0), state: &NoState };
    let mut r = checks::run(check, &env);
    assert_eq!(r.findings, ["disabled"]);
    r.verdict = Verdict::Compliant;
    r.findings.clear();
    r.detail.clear();
    r
}

/// Scripts `key` to fail like the recorded failure `stem` (its exit status
/// and the first line of its stderr).
fn serve_failure(sim: &SimHost, key: &str, stem: &str) {
    sim.behave(key, &format!("fail {} {}", rc(stem), err_line(stem)));
}

fn fake_output(sim: &SimHost, tool: &str, args: &[&str]) -> (String, i32) {
    let mut attempts = 0;
    let o = loop {
        match sim.command(tool).args(args).output() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && attempts < 5 => {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            other => break other.unwrap_or_else(|e| panic!("{tool}: {e}")),
        }
    };
    (String::from_utf8_lossy(&o.stdout).into_owned(), o.status.code().unwrap_or(-1))
}

// ---- cases ----------------------------------------------------------------------

/// What a case produced.
#[derive(Debug, Clone)]
struct Got {
    verdict: Verdict,
    findings: Vec<String>,
    detail: String,
}

impl Got {
    fn of(r: &CheckResult) -> Got {
        Got { verdict: r.verdict, findings: r.findings.clone(), detail: r.detail.clone() }
    }

    fn compliant() -> Got {
        Got { verdict: Verdict::Compliant, findings: Vec::new(), detail: String::new() }
    }

    fn error(finding: &str, detail: impl Into<String>) -> Got {
        Got { verdict: Verdict::Error, findings: vec![finding.to_string()], detail: detail.into() }
    }

    /// Adds a drift finding (an error stays an error).
    fn drift(&mut self, finding: &str) {
        if self.verdict != Verdict::Error {
            self.verdict = Verdict::Drift;
        }
        self.findings.push(finding.to_string());
    }
}

type Want = (Verdict, Option<&'static str>);

const COMPLIANT: Want = (Verdict::Compliant, None);

fn drift(finding: &'static str) -> Want {
    (Verdict::Drift, Some(finding))
}

fn error(finding: &'static str) -> Want {
    (Verdict::Error, Some(finding))
}

type Run = Box<dyn Fn() -> Got + Send + Sync>;

/// One row of the table.
struct Case {
    check: CheckName,
    /// `a:<fixture>` (parsers) or `b:<scenario>` (whole check on the simulated host).
    name: String,
    /// Fixture stems this case reads (for `every_fixture_is_used`).
    uses: Vec<String>,
    want: Want,
    run: Run,
}

impl Case {
    fn new(
        check: CheckName,
        name: &str,
        uses: &[&str],
        want: Want,
        run: impl Fn() -> Got + Send + Sync + 'static,
    ) -> Case {
        Case {
            check,
            name: name.to_string(),
            uses: uses.iter().map(|s| (*s).to_string()).collect(),
            want,
            run: Box::new(run),
        }
    }

    fn matches(&self, got: &Got) -> bool {
        got.verdict == self.want.0 && self.want.1.is_none_or(|f| got.findings.iter().any(|g| g == f))
    }

    fn describe(&self, got: &Got) -> String {
        let want = match self.want.1 {
            Some(f) => format!("{:?} ({f})", self.want.0),
            None => format!("{:?}", self.want.0),
        };
        format!("{}/{}: want {want}, got {:?} {:?} — {}", self.check, self.name, got.verdict, got.findings, got.detail)
    }
}

fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(patching_cases());
    cases.extend(services_cases());
    cases.extend(backups_cases());
    cases.extend(firewall_cases());
    cases.extend(logging_cases());
    cases.extend(encryption_cases());
    let mut names = BTreeSet::new();
    for c in &cases {
        assert!(names.insert(format!("{}/{}", c.check, c.name)), "duplicate case {}/{}", c.check, c.name);
    }
    cases
}

// ---- patching ------------------------------------------------------------------

fn patching_json(expected_revision: Option<&str>) -> String {
    let expected =
        expected_revision.map(|r| format!(r#", "expected_revision": {}"#, json_string(r))).unwrap_or_default();
    format!(
        r#"{{"patching": {{"flake_ref": "github:clinic/appliance#appl-01",
             "allowed_flake_prefixes": ["github:clinic/appliance"], "max_age_days": 30{expected}}}}}"#
    )
}

/// Layer a: `nixos-version --json` output through `parse` and `evaluate`.
fn judge_nixos_version(stem: &str, approved: Option<&str>, now: &str) -> Got {
    match patching::parse(&out(stem)) {
        Err(e) => Got::error("unparseable_output", e),
        Ok(v) => {
            let mut r = blank(CheckName::Patching);
            patching::evaluate(&mut r, &v, approved, 30, day(now));
            Got::of(&r)
        }
    }
}

/// Makes the simulated current generation print the recorded
/// `nixos-version --json` output `stem`, and checks that it does.
fn serve_nixos_version(sim: &SimHost, stem: &str) {
    let recorded = out(stem);
    let v: Value = serde_json::from_str(&recorded).unwrap();
    let generation = format!("system/generations/{}", sim.current_generation());
    for (key, file) in [("configurationRevision", "revision"), ("nixpkgsRevision", "nixpkgs-revision")] {
        match v.get(key).and_then(Value::as_str) {
            Some(s) => sim.write(&format!("{generation}/{file}"), &format!("{s}\n")),
            None => {
                let _ = fs::remove_file(sim.path(&format!("{generation}/{file}")));
            }
        }
    }
    sim.set_nixos_version(v["nixosVersion"].as_str().unwrap());
    assert_eq!(fake_output(sim, "nixos-version", &["--json"]), (recorded, 0), "simhost cannot print {stem}");
}

fn patching_sim(expected: Option<&str>, approved_in_state: Option<&str>, setup: &dyn Fn(&SimHost)) -> Got {
    let sim = SimHost::new();
    setup(&sim);
    let state = MapState::default();
    if let Some(a) = approved_in_state {
        state.put(patching::APPROVED_REVISION, a);
    }
    run_check(CheckName::Patching, &sim.tools_json(), &patching_json(expected), ms(PATCH_NOW), &state)
}

fn patching_cases() -> Vec<Case> {
    let p = CheckName::Patching;
    let a = |stem: &'static str, approved: Option<&'static str>, now: &'static str, want: Want| {
        let name = match approved {
            Some(r) if r == REVISION => format!("a:{stem}"),
            Some(_) => format!("a:{stem} (other approved)"),
            None => format!("a:{stem} (nothing approved)"),
        };
        let name = if now == PATCH_NOW { name } else { format!("{name} at {now}") };
        let path = format!("patching/{stem}");
        Case::new(p, &name, &[&path], want, move || judge_nixos_version(&format!("patching/{stem}"), approved, now))
    };
    let serve = |stem: &'static str| move |sim: &SimHost| serve_nixos_version(sim, &format!("patching/{stem}"));
    let b = |name: &str,
             uses: &[&str],
             want: Want,
             expected: Option<&'static str>,
             setup: Box<dyn Fn(&SimHost) + Send + Sync>| {
        Case::new(p, &format!("b:{name}"), uses, want, move || patching_sim(expected, None, &*setup))
    };
    let rev = Some(REVISION);
    vec![
        // layer a
        a("compliant", rev, PATCH_NOW, COMPLIANT),
        a("compliant", None, PATCH_NOW, COMPLIANT),
        a("compliant", Some(OTHER_REVISION), PATCH_NOW, drift("revision_mismatch")),
        a("no-configuration-revision", rev, PATCH_NOW, drift("revision_mismatch")),
        a("no-configuration-revision", None, PATCH_NOW, COMPLIANT),
        a("other-revision", rev, PATCH_NOW, drift("revision_mismatch")),
        a("dirty-configuration-revision", rev, PATCH_NOW, drift("revision_mismatch")),
        a("old-nixpkgs", rev, PATCH_NOW, drift("nixpkgs_too_old")),
        a("old-nixpkgs", rev, "2024-06-20T00:00:00Z", COMPLIANT),
        a("compliant", rev, "2025-01-30T23:59:59Z", COMPLIANT),
        a("compliant", rev, "2025-01-31T00:00:00Z", drift("nixpkgs_too_old")),
        a("dirty-nixpkgs", rev, PATCH_NOW, COMPLIANT),
        a("pre-git", rev, PATCH_NOW, error("nixpkgs_date_unknown")),
        a("pre-git-other-revision", rev, PATCH_NOW, drift("revision_mismatch")),
        a("plain-text", rev, PATCH_NOW, error("unparseable_output")),
        a("garbage", rev, PATCH_NOW, error("unparseable_output")),
        a("empty", rev, PATCH_NOW, error("unparseable_output")),
        // layer b: recorded outputs served by the fake nixos-version
        b("compliant", &["patching/compliant"], COMPLIANT, rev, Box::new(serve("compliant"))),
        b(
            "no configurationRevision, one expected",
            &["patching/no-configuration-revision"],
            drift("revision_mismatch"),
            rev,
            Box::new(serve("no-configuration-revision")),
        ),
        b(
            "no configurationRevision, nothing approved",
            &["patching/no-configuration-revision"],
            COMPLIANT,
            None,
            Box::new(serve("no-configuration-revision")),
        ),
        b(
            "other revision",
            &["patching/other-revision"],
            drift("revision_mismatch"),
            rev,
            Box::new(serve("other-revision")),
        ),
        b(
            "dirty configuration revision",
            &["patching/dirty-configuration-revision"],
            drift("revision_mismatch"),
            rev,
            Box::new(serve("dirty-configuration-revision")),
        ),
        b("old nixpkgs", &["patching/old-nixpkgs"], drift("nixpkgs_too_old"), rev, Box::new(serve("old-nixpkgs"))),
        b("dirty nixpkgs", &["patching/dirty-nixpkgs"], COMPLIANT, rev, Box::new(serve("dirty-nixpkgs"))),
        b("pre-git version", &["patching/pre-git"], error("nixpkgs_date_unknown"), rev, Box::new(serve("pre-git"))),
        b(
            "pre-git version, other revision",
            &["patching/pre-git-other-revision"],
            drift("revision_mismatch"),
            rev,
            Box::new(serve("pre-git-other-revision")),
        ),
        Case::new(p, "b:approved revision from the store", &["patching/compliant"], COMPLIANT, || {
            patching_sim(None, Some(REVISION), &|sim| serve_nixos_version(sim, "patching/compliant"))
        }),
        Case::new(
            p,
            "b:other approved revision in the store",
            &["patching/compliant"],
            drift("revision_mismatch"),
            || patching_sim(None, Some(OTHER_REVISION), &|sim| serve_nixos_version(sim, "patching/compliant")),
        ),
        Case::new(p, "b:config expected_revision wins over the store", &["patching/compliant"], COMPLIANT, || {
            patching_sim(Some(REVISION), Some(OTHER_REVISION), &|sim| serve_nixos_version(sim, "patching/compliant"))
        }),
        // layer b: scripted failures
        b("garbage", &[], error("unparseable_output"), rev, Box::new(|sim| sim.behave("nixos-version", "garbage"))),
        b(
            "empty output",
            &["patching/empty"],
            error("unparseable_output"),
            rev,
            Box::new(|sim| sim.behave("nixos-version", "empty")),
        ),
        b(
            "exit 127",
            &["patching/exit-127"],
            error("tool_failed"),
            rev,
            Box::new(|sim| serve_failure(sim, "nixos-version", "patching/exit-127")),
        ),
        Case::new(p, "b:nixos-version missing", &[], error("tool_failed"), || {
            let sim = SimHost::new();
            let tools = tools_with(&sim, &[("nixos_version", "/nonexistent/bin/nixos-version")]);
            run_check(CheckName::Patching, &tools, &patching_json(Some(REVISION)), ms(PATCH_NOW), &NoState)
        }),
    ]
}

// ---- services --------------------------------------------------------------------

const UNITS: [&str; 3] = ["sshd.service", "systemd-journald.service", "backup.service"];

fn services_json() -> String {
    format!(r#"{{"services": {{"units": {}}}}}"#, serde_json::to_string(&UNITS).unwrap())
}

/// Layer a: `systemctl is-active` output through `services::parse`; any
/// state but `active` is drift (a transitional state is asked about again by
/// the check: layer b covers that).
fn judge_is_active(stem: &str, units: usize) -> Got {
    match services::parse(&out(stem), units) {
        Err(e) => Got::error("unparseable_output", e),
        Ok(states) => {
            let mut got = Got::compliant();
            if states.iter().any(|s| s != "active") {
                got.drift("unit_not_active");
            }
            got
        }
    }
}

/// Sets the units so that `systemctl is-active UNITS…` prints the recorded
/// `stem` (units in `missing` are removed: "not found"), and checks it does.
fn serve_is_active(sim: &SimHost, stem: &str, missing: &[&str]) {
    let recorded = out(stem);
    for (unit, state) in UNITS.iter().zip(recorded.lines()) {
        if missing.contains(unit) {
            sim.remove_unit(unit);
        } else {
            sim.set_unit(unit, state);
        }
    }
    let mut args = vec!["is-active", "--no-pager"];
    args.extend(UNITS);
    assert_eq!(fake_output(sim, "systemctl", &args), (recorded, rc(stem)), "simhost cannot print {stem}");
}

fn services_sim(setup: &dyn Fn(&SimHost)) -> Got {
    let sim = SimHost::new();
    setup(&sim);
    run_check(CheckName::Services, &sim.tools_json(), &services_json(), ms(NOW), &NoState)
}

fn services_cases() -> Vec<Case> {
    let s = CheckName::Services;
    let a = |stem: &'static str, want: Want| {
        let path = format!("services/{stem}");
        Case::new(s, &format!("a:{stem}"), &[&path], want, move || judge_is_active(&format!("services/{stem}"), 3))
    };
    let served = |stem: &'static str, missing: &'static [&'static str], want: Want| {
        let path = format!("services/{stem}");
        Case::new(s, &format!("b:{stem}"), &[&path], want, move || {
            services_sim(&|sim| serve_is_active(sim, &format!("services/{stem}"), missing))
        })
    };
    let b = |name: &str, uses: &[&str], want: Want, setup: fn(&SimHost)| {
        Case::new(s, &format!("b:{name}"), uses, want, move || services_sim(&setup))
    };
    vec![
        a("all-active", COMPLIANT),
        a("one-inactive", drift("unit_not_active")),
        a("one-failed", drift("unit_not_active")),
        a("all-down", drift("unit_not_active")),
        a("activating", drift("unit_not_active")),
        a("reloading", drift("unit_not_active")),
        a("deactivating", drift("unit_not_active")),
        a("unknown-unit", drift("unit_not_active")),
        a("all-unknown", drift("unit_not_active")),
        a("truncated", error("unparseable_output")),
        a("garbage", error("unparseable_output")),
        a("empty", error("unparseable_output")),
        Case::new(s, "a:all-active (for 2 units)", &["services/all-active"], error("unparseable_output"), || {
            judge_is_active("services/all-active", 2)
        }),
        served("all-active", &[], COMPLIANT),
        served("one-inactive", &[], drift("unit_not_active")),
        served("one-failed", &[], drift("unit_not_active")),
        served("all-down", &[], drift("unit_not_active")),
        served("deactivating", &[], drift("unit_not_active")),
        served("unknown-unit", &["backup.service"], drift("unit_not_active")),
        served(
            "all-unknown",
            &["sshd.service", "systemd-journald.service", "backup.service"],
            drift("unit_not_active"),
        ),
        // Asked again after 500 ms: still transitional is drift.
        served("activating", &[], drift("unit_not_active")),
        served("reloading", &[], drift("unit_not_active")),
        Case::new(s, "b:activating, then active on the second look", &["services/activating"], COMPLIANT, || {
            let sim = SimHost::new();
            serve_is_active(&sim, "services/activating", &[]);
            let unit_file = sim.path("units/backup.service");
            std::thread::scope(|scope| {
                scope.spawn(move || {
                    std::thread::sleep(Duration::from_millis(150));
                    fs::write(unit_file, "active\n").unwrap();
                });
                run_check(CheckName::Services, &sim.tools_json(), &services_json(), ms(NOW), &NoState)
            })
        }),
        b("garbage", &[], error("unparseable_output"), |sim| sim.behave("systemctl-is-active", "garbage")),
        b("empty output", &["services/empty"], error("unparseable_output"), |sim| {
            sim.behave("systemctl-is-active", "empty")
        }),
        b("no bus (exit 1)", &["services/no-bus"], error("tool_failed"), |sim| {
            serve_failure(sim, "systemctl-is-active", "services/no-bus")
        }),
        b("exit 3 without output", &[], error("unparseable_output"), |sim| {
            sim.behave("systemctl-is-active", "fail 3 Failed to get properties: Connection timed out")
        }),
        Case::new(s, "b:systemctl missing", &[], error("tool_failed"), || {
            let sim = SimHost::new();
            let tools = tools_with(&sim, &[("systemctl", "/nonexistent/bin/systemctl")]);
            run_check(CheckName::Services, &tools, &services_json(), ms(NOW), &NoState)
        }),
    ]
}

// ---- backups ----------------------------------------------------------------------

/// Where the status fixtures say the manifest is.
const MANIFEST_DIR: &str = "/var/lib/backup/";

fn manifest_sha() -> String {
    sha256_hex(&bytes("backups/manifest.txt"))
}

/// Layer a: a status file through `parse_status`, `judge_age` and the
/// checksum comparison (the manifest is `backups/manifest.txt`).
fn judge_status(file: &str, now: &str) -> Got {
    let text = String::from_utf8_lossy(&bytes(file)).into_owned();
    let status = match backups::parse_status(&text) {
        Ok(s) => s,
        // The check: an unreadable status file is drift (the backup job did not report).
        Err(_) => {
            let mut got = Got::compliant();
            got.drift("status_unreadable");
            return got;
        }
    };
    let mut r = blank(CheckName::Backups);
    backups::judge_age(&mut r, status.timestamp_ms, ms(now), 48);
    let mut got = Got::of(&r);
    if status.manifest != format!("{MANIFEST_DIR}manifest.txt") {
        got.drift("manifest_missing");
    } else if status.checksum != manifest_sha() {
        got.drift("checksum_mismatch");
    }
    got
}

/// Layer a: `restic snapshots --json` output through `parse_restic` and `judge_age`.
fn judge_restic(stem: &str, now: &str) -> Got {
    // The fixtures were captured on a repository shared by appl-01 (this
    // appliance's host name) and appl-02.
    match backups::parse_restic_for(&out(stem), Some("appl-01")) {
        Err(e) => Got::error("unparseable_output", e),
        Ok(None) => {
            let mut got = Got::compliant();
            got.drift("no_backup");
            got
        }
        Ok(Some(at)) => {
            let mut r = blank(CheckName::Backups);
            backups::judge_age(&mut r, at, ms(now), 48);
            Got::of(&r)
        }
    }
}

fn backups_json(status_file: &Path, restic: Option<(&str, &Path)>) -> String {
    let restic = restic
        .map(|(repo, pw)| {
            format!(
                r#", "restic": {{"repository": {}, "password_file": {}}}"#,
                json_string(repo),
                json_string(&pw.to_string_lossy())
            )
        })
        .unwrap_or_default();
    format!(
        r#"{{"backups": {{"status_file": {}, "max_age_hours": 48, "unit": "backup.service"{restic}}}}}"#,
        json_string(&status_file.to_string_lossy())
    )
}

/// Layer b: the whole check on a status file (the recorded `file`, its
/// manifest path moved into a temporary directory that holds the manifest).
fn backups_status_sim(file: Option<&str>, setup: &dyn Fn(&Path)) -> Got {
    let sim = SimHost::new();
    let dir = TempDir::new("backups-corpus");
    fs::write(dir.path().join("manifest.txt"), bytes("backups/manifest.txt")).unwrap();
    let status_file = dir.path().join("last-success.json");
    if let Some(file) = file {
        let text = String::from_utf8_lossy(&bytes(file)).into_owned();
        let moved = text.replace(MANIFEST_DIR, &format!("{}/", dir.path().display()));
        fs::write(&status_file, moved).unwrap();
    }
    setup(&status_file);
    run_check(CheckName::Backups, &sim.tools_json(), &backups_json(&status_file, None), ms(NOW), &NoState)
}

/// The real restic, if this machine has one.
fn real_restic() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("restic")).find(|p| p.is_file())
}

fn backups_cases() -> Vec<Case> {
    let k = CheckName::Backups;
    let status = |name: &'static str, want: Want| {
        let file = format!("backups/{name}.json");
        [
            Case::new(k, &format!("a:{name}"), &[&format!("backups/{name}")], want, {
                let file = file.clone();
                move || judge_status(&file, NOW)
            }),
            Case::new(k, &format!("b:{name}"), &[&format!("backups/{name}")], want, move || {
                backups_status_sim(Some(&file), &|_| {})
            }),
        ]
    };
    let restic = |stem: &'static str, now: &'static str, want: Want| {
        let name = if now == NOW { format!("a:{stem}") } else { format!("a:{stem} at {now}") };
        let path = format!("backups/{stem}");
        Case::new(k, &name, &[&path], want, move || judge_restic(&format!("backups/{stem}"), now))
    };
    let mut cases: Vec<Case> = [
        status("status-rfc3339", COMPLIANT),
        status("status-integer", COMPLIANT),
        status("status-sha256-prefix-offset", COMPLIANT),
        status("status-uppercase-extra-fields", COMPLIANT),
        status("status-too-old", drift("backup_too_old")),
        status("status-too-old-integer", drift("backup_too_old")),
        status("status-future", drift("backup_future_dated")),
        status("status-millis", drift("backup_future_dated")),
        status("status-wrong-checksum", drift("checksum_mismatch")),
        status("status-manifest-missing", drift("manifest_missing")),
        status("status-relative-manifest", drift("status_unreadable")),
        status("status-bad-timestamp", drift("status_unreadable")),
        status("status-fractional-timestamp", drift("status_unreadable")),
        status("status-no-timestamp", drift("status_unreadable")),
        status("status-md5-checksum", drift("status_unreadable")),
        status("status-truncated", drift("status_unreadable")),
        status("status-empty", drift("status_unreadable")),
        status("status-garbage", drift("status_unreadable")),
    ]
    .into_iter()
    .flatten()
    .collect();
    cases.extend([
        Case::new(k, "a:status-rfc3339 at 2026-11-27T02:03:14Z (just under 48 h)", &[], COMPLIANT, || {
            judge_status("backups/status-rfc3339.json", "2026-11-27T02:03:14Z")
        }),
        Case::new(k, "a:status-rfc3339 at 2026-11-27T02:03:16Z (just over 48 h)", &[], drift("backup_too_old"), || {
            judge_status("backups/status-rfc3339.json", "2026-11-27T02:03:16Z")
        }),
        Case::new(k, "a:status-rfc3339 at 2026-11-25T01:58:16Z (4:59 early: clock skew)", &[], COMPLIANT, || {
            judge_status("backups/status-rfc3339.json", "2026-11-25T01:58:16Z")
        }),
        restic("restic-zero", NOW, drift("no_backup")),
        restic("restic-one", NOW, COMPLIANT),
        restic("restic-one", "2026-11-25T09:00:00Z", drift("backup_future_dated")),
        restic("restic-several", NOW, COMPLIANT),
        restic("restic-several", "2026-11-28T12:00:00Z", drift("backup_too_old")),
        restic("restic-0.17-summary", NOW, COMPLIANT),
        restic("restic-0.17-old", NOW, drift("backup_too_old")),
        restic("restic-group-by-host", NOW, error("unparseable_output")),
        // appl-01 (this appliance) last backed up 2026-11-20; appl-02 shares the repository.
        restic("restic-other-host-recent", NOW, drift("backup_too_old")),
        restic("restic-truncated", NOW, error("unparseable_output")),
        restic("restic-garbage", NOW, error("unparseable_output")),
        restic("restic-empty", NOW, error("unparseable_output")),
        Case::new(k, "b:no status file", &[], drift("status_missing"), || backups_status_sim(None, &|_| {})),
        Case::new(k, "b:status file is a directory", &[], drift("status_unreadable"), || {
            backups_status_sim(None, &|p| fs::create_dir(p).unwrap())
        }),
        Case::new(
            k,
            "b:manifest changed after the backup",
            &["backups/status-rfc3339"],
            drift("checksum_mismatch"),
            || {
                backups_status_sim(Some("backups/status-rfc3339.json"), &|p| {
                    fs::write(p.with_file_name("manifest.txt"), "tampered\n").unwrap();
                })
            },
        ),
        Case::new(k, "b:restic missing", &[], error("tool_failed"), || {
            let sim = SimHost::new();
            let dir = TempDir::new("backups-corpus");
            let tools = tools_with(&sim, &[("restic", "/nonexistent/bin/restic")]);
            let pw = dir.path().join("pw");
            let checks = backups_json(&dir.path().join("status"), Some(("/srv/restic/appl-01", &pw)));
            run_check(CheckName::Backups, &tools, &checks, ms(NOW), &NoState)
        }),
    ]);
    if let Some(restic) = real_restic() {
        // The real restic (failing fast, before any key derivation): the
        // recorded `restic-no-repository` failure, live.
        cases.push(Case::new(
            k,
            "b:real restic, no repository",
            &["backups/restic-no-repository"],
            error("tool_failed"),
            move || {
                let sim = SimHost::new();
                let dir = TempDir::new("backups-corpus");
                let pw = dir.path().join("pw");
                fs::write(&pw, "restic-test-password\n").unwrap();
                let repo = dir.path().join("no-repo").display().to_string();
                let tools = tools_with(&sim, &[("restic", &restic.display().to_string())]);
                let checks = backups_json(&dir.path().join("status"), Some((&repo, &pw)));
                let got = run_check(CheckName::Backups, &tools, &checks, ms(NOW), &NoState);
                assert!(
                    got.detail.contains("unable to open config file") || got.detail.contains("Is there a repository"),
                    "{got:?}"
                );
                got
            },
        ));
    }
    // The recorded restic failures (exit 1 with a message): the check only
    // looks at the exit status, so any recorded failure must be an error.
    for stem in ["restic-wrong-password", "restic-no-repository"] {
        let path = format!("backups/{stem}");
        cases.push(Case::new(k, &format!("a:{stem}"), &[&path], error("tool_failed"), move || {
            let path = format!("backups/{stem}");
            assert_ne!(rc(&path), 0);
            assert!(out(&path).is_empty());
            Got::error("tool_failed", err_line(&path))
        }));
    }
    cases
}

// ---- firewall ------------------------------------------------------------------------

const F2B: &str = "inet f2b-table";

fn ignore_list(ignore: &[&str]) -> Vec<String> {
    ignore.iter().map(|s| (*s).to_string()).collect()
}

/// The hash the check expects: the real kernel listing of the baseline
/// (`firewall/baseline-stateless`) without the ignored tables.
fn canonical_hash(ignore: &[&str]) -> String {
    let (text, _) = firewall::filtered(&out("firewall/baseline-stateless"), &ignore_list(ignore));
    sha256_hex(text.as_bytes())
}

/// Layer a: a recorded `nft -s list ruleset` output, validated, filtered
/// and hashed (as the check does).
fn judge_listing(stem: &str, ignore: &[&str]) -> Got {
    if let Err(e) = firewall::validate_listing(&out(stem)) {
        return Got::error("unparseable_output", e);
    }
    let (text, _) = firewall::filtered(&out(stem), &ignore_list(ignore));
    let mut got = Got::compliant();
    if sha256_hex(text.as_bytes()) != canonical_hash(ignore) {
        got.drift("ruleset_differs");
    }
    got
}

fn firewall_json(baseline: &Path, sig: &Path, ignore: &[&str]) -> String {
    format!(
        r#"{{"firewall": {{"baseline_file": {}, "baseline_sig_file": {}, "ignore_tables": {}}}}}"#,
        json_string(&baseline.to_string_lossy()),
        json_string(&sig.to_string_lossy()),
        serde_json::to_string(ignore).unwrap()
    )
}

/// Layer b: the signed baseline in a temporary directory, the fake nft
/// serving the recorded listing `stem` (checked to print it byte for byte).
fn firewall_sim(stem: Option<&str>, ignore: &[&str], setup: &dyn Fn(&SimHost, &Path, &Path)) -> Got {
    firewall_sim_tools(stem, ignore, &[], setup)
}

fn firewall_sim_tools(
    stem: Option<&str>,
    ignore: &[&str],
    tools: &[(&str, &str)],
    setup: &dyn Fn(&SimHost, &Path, &Path),
) -> Got {
    let sim = SimHost::new();
    let dir = TempDir::new("firewall-corpus");
    let baseline = dir.path().join("baseline.nft");
    let sig = dir.path().join("baseline.nft.sig");
    let text = bytes("firewall/baseline.nft");
    fs::write(&baseline, &text).unwrap();
    fs::write(&sig, SigningKey::from_seed([9; 32]).sign(&text)).unwrap();
    if let Some(stem) = stem {
        let recorded = out(stem);
        sim.set_nft_ruleset(&recorded);
        assert_eq!(fake_output(&sim, "nft", &["-s", "list", "ruleset"]), (recorded, 0), "simhost cannot print {stem}");
    }
    setup(&sim, &baseline, &sig);
    let state = CanonicalCache(canonical_hash(ignore));
    run_check(CheckName::Firewall, &tools_with(&sim, tools), &firewall_json(&baseline, &sig, ignore), ms(NOW), &state)
}

fn firewall_cases() -> Vec<Case> {
    let f = CheckName::Firewall;
    let both = |stem: &'static str, ignore: &'static [&'static str], want: Want| {
        let suffix = if ignore.is_empty() { " (nothing ignored)" } else { "" };
        let path = format!("firewall/{stem}");
        [
            Case::new(f, &format!("a:{stem}{suffix}"), &[&path], want, move || {
                judge_listing(&format!("firewall/{stem}"), ignore)
            }),
            Case::new(f, &format!("b:{stem}{suffix}"), &[&path], want, move || {
                firewall_sim(Some(&format!("firewall/{stem}")), ignore, &|_, _, _| {})
            }),
        ]
    };
    let fb = |name: &str, uses: &[&str], want: Want, setup: fn(&SimHost, &Path, &Path)| {
        Case::new(f, &format!("b:{name}"), uses, want, move || firewall_sim(None, &[F2B], &setup))
    };
    let ig: &'static [&'static str] = &[F2B];
    let mut cases: Vec<Case> = [
        both("baseline-stateless", ig, COMPLIANT),
        both("baseline-stateless", &[], COMPLIANT),
        both("counters-stateless", ig, COMPLIANT),
        both("f2b-stateless", ig, COMPLIANT),
        both("f2b-changed-stateless", ig, COMPLIANT),
        both("f2b-stateless", &[], drift("ruleset_differs")),
        both("extra-rule-stateless", ig, drift("ruleset_differs")),
        both("extra-rule-f2b-stateless", ig, drift("ruleset_differs")),
        both("policy-accept-stateless", ig, drift("ruleset_differs")),
        both("extra-table-stateless", ig, drift("ruleset_differs")),
        // `nft -s list ruleset` printing nothing is a flushed ruleset: real drift.
        both("flushed-stateless", ig, drift("ruleset_differs")),
    ]
    .into_iter()
    .flatten()
    .collect();
    cases.extend([
        Case::new(f, "a:garbage", &["firewall/garbage"], error("unparseable_output"), || {
            judge_listing("firewall/garbage", &[F2B])
        }),
        Case::new(f, "a:owned-f2b-stateless", &["firewall/owned-f2b-stateless"], COMPLIANT, || {
            judge_listing("firewall/owned-f2b-stateless", &[F2B])
        }),
        Case::new(f, "b:owned-f2b-stateless", &["firewall/owned-f2b-stateless"], COMPLIANT, || {
            firewall_sim(Some("firewall/owned-f2b-stateless"), &[F2B], &|_, _, _| {})
        }),
        fb("garbage", &[], error("unparseable_output"), |sim, _, _| sim.behave("nft-list", "garbage")),
        fb("empty output", &[], drift("ruleset_differs"), |sim, _, _| sim.behave("nft-list", "empty")),
        fb("not root (exit 1)", &["firewall/eperm"], error("tool_failed"), |sim, _, _| {
            serve_failure(sim, "nft-list", "firewall/eperm")
        }),
        fb("baseline signed by an unknown key", &[], error("baseline_signature_invalid"), |_, baseline, sig| {
            fs::write(sig, SigningKey::from_seed([8; 32]).sign(&fs::read(baseline).unwrap())).unwrap();
        }),
        fb(
            "baseline changed after signing",
            &["firewall/extra-rule"],
            error("baseline_signature_invalid"),
            |_, baseline, _| {
                let mut text = fs::read(baseline).unwrap();
                text.extend_from_slice(&bytes("firewall/extra-rule.nft"));
                fs::write(baseline, text).unwrap();
            },
        ),
        fb("signature file garbled", &[], error("baseline_signature_invalid"), |_, _, sig| {
            fs::write(sig, b"\x00\xff not a signature").unwrap();
        }),
        // Signed all the same: a baseline nft would read a file for is never loaded.
        fb("baseline that includes a file", &[], error("baseline_refused"), |_, baseline, sig| {
            let text = b"flush ruleset\ntable inet filter {\n  include \"/etc/shadow\"\n}\n";
            fs::write(baseline, text).unwrap();
            fs::write(sig, SigningKey::from_seed([9; 32]).sign(text)).unwrap();
        }),
        fb("baseline missing", &[], error("baseline_unreadable"), |_, baseline, _| fs::remove_file(baseline).unwrap()),
        fb("signature missing", &[], error("baseline_unreadable"), |_, _, sig| fs::remove_file(sig).unwrap()),
        Case::new(f, "b:nft missing", &[], error("tool_failed"), || {
            firewall_sim_tools(None, &[F2B], &[("nft", "/nonexistent/bin/nft")], &|_, _, _| {})
        }),
    ]);
    cases
}

// ---- logging ---------------------------------------------------------------------------

fn logging_sim(setup: &dyn Fn(&SimHost)) -> Got {
    let sim = SimHost::new();
    setup(&sim);
    run_check(CheckName::Logging, &sim.tools_json(), r#"{"logging": {}}"#, ms(NOW), &NoState)
}

/// Sets journald's unit so `systemctl is-active systemd-journald.service`
/// prints the recorded `stem`, and checks it does.
fn serve_journald(sim: &SimHost, stem: &str) {
    let recorded = out(stem);
    sim.set_unit("systemd-journald.service", recorded.trim());
    let args = ["is-active", "--no-pager", "systemd-journald.service"];
    assert_eq!(fake_output(sim, "systemctl", &args), (recorded, rc(stem)), "simhost cannot print {stem}");
}

/// Layer a: whether the canary `message` is in recorded `journalctl -o cat` output.
fn judge_journal(stem: &str, message: &str) -> Got {
    let mut got = Got::compliant();
    if !out(stem).lines().any(|l| l.trim() == message) {
        got.drift("canary_missing");
    }
    got
}

fn logging_cases() -> Vec<Case> {
    let l = CheckName::Logging;
    let b = |name: &str, uses: &[&str], want: Want, setup: fn(&SimHost)| {
        Case::new(l, &format!("b:{name}"), uses, want, move || logging_sim(&setup))
    };
    let journald = |stem: &'static str, want: Want| {
        let path = format!("logging/{stem}");
        Case::new(l, &format!("b:{stem}"), &[&path], want, move || {
            logging_sim(&|sim| serve_journald(sim, &format!("logging/{stem}")))
        })
    };
    vec![
        Case::new(l, "a:journal-canaries (recorded canary)", &["logging/journal-canaries"], COMPLIANT, || {
            judge_journal("logging/journal-canaries", "canary 3f9a0c1d2e4b5a67")
        }),
        Case::new(
            l,
            "a:journal-canaries (fresh canary)",
            &["logging/journal-canaries"],
            drift("canary_missing"),
            || judge_journal("logging/journal-canaries", &logging::canary()),
        ),
        Case::new(l, "a:journal-none", &["logging/journal-none"], drift("canary_missing"), || {
            judge_journal("logging/journal-none", &logging::canary())
        }),
        Case::new(l, "a:journal-no-entries", &["logging/journal-no-entries"], drift("canary_missing"), || {
            judge_journal("logging/journal-no-entries", &logging::canary())
        }),
        b("journald active, canary found", &[], COMPLIANT, |_| {}),
        journald("journald-active", COMPLIANT),
        journald("journald-inactive", drift("journald_not_active")),
        journald("journald-failed", drift("journald_not_active")),
        journald("journald-activating", drift("journald_not_active")),
        b("journald unit not found", &[], drift("journald_not_active"), |sim| {
            sim.remove_unit("systemd-journald.service")
        }),
        b("systemctl no bus (exit 1)", &["logging/journald-no-bus"], error("tool_failed"), |sim| {
            serve_failure(sim, "systemctl-is-active", "logging/journald-no-bus")
        }),
        b("systemctl garbage", &["logging/journald-garbage"], error("unparseable_output"), |sim| {
            sim.behave("systemctl-is-active", "garbage")
        }),
        b("systemctl empty output", &["logging/journald-empty"], error("unparseable_output"), |sim| {
            sim.behave("systemctl-is-active", "empty")
        }),
        // logger exits 0 but the message never reaches the journal.
        b("canary dropped", &[], drift("canary_missing"), |sim| sim.behave("logger", "empty")),
        b("logger fails (exit 1)", &[], error("tool_failed"), |sim| {
            sim.behave("logger", "fail 1 logger: socket /dev/log: Connection refused")
        }),
        Case::new(l, "b:logger missing", &[], error("tool_failed"), || {
            let sim = SimHost::new();
            let tools = tools_with(&sim, &[("logger", "/nonexistent/bin/logger")]);
            run_check(CheckName::Logging, &tools, r#"{"logging": {}}"#, ms(NOW), &NoState)
        }),
        b("journalctl fails (exit 1)", &["logging/journal-no-directory"], error("tool_failed"), |sim| {
            serve_failure(sim, "journalctl", "logging/journal-no-directory")
        }),
        b("journalctl bad output format (exit 1)", &["logging/journal-bad-format"], error("tool_failed"), |sim| {
            serve_failure(sim, "journalctl", "logging/journal-bad-format")
        }),
        b("journalctl empty output", &["logging/journal-none"], drift("canary_missing"), |sim| {
            sim.behave("journalctl", "empty")
        }),
        b("journalctl garbage", &["logging/journal-garbage"], error("unparseable_output"), |sim| {
            sim.behave("journalctl", "garbage")
        }),
        Case::new(l, "b:journalctl missing", &[], error("tool_failed"), || {
            let sim = SimHost::new();
            let tools = tools_with(&sim, &[("journalctl", "/nonexistent/bin/journalctl")]);
            run_check(CheckName::Logging, &tools, r#"{"logging": {}}"#, ms(NOW), &NoState)
        }),
    ]
}

// ---- encryption --------------------------------------------------------------------------

/// Layer a: recorded `lsblk --json`, `cryptsetup status` and `cryptsetup
/// isLuks` results for `volume`, combined as the check combines them: active
/// as a crypt device in lsblk and active in the status, and a LUKS backing
/// device; exit statuses other than those the check accepts are errors.
fn judge_volume(lsblk: &str, status: &str, is_luks: Option<&str>, volume: &str) -> Got {
    let lsblk = format!("encryption/{lsblk}");
    if rc(&lsblk) != 0 {
        return Got::error("tool_failed", err_line(&lsblk));
    }
    let crypt = match encryption::crypt_devices(&out(&lsblk)) {
        Ok(c) => c,
        Err(e) => return Got::error("unparseable_output", e),
    };
    let status = format!("encryption/{status}");
    if !matches!(rc(&status), 0 | 4) {
        return Got::error("tool_failed", err_line(&status));
    }
    let st = match encryption::parse_status(&out(&status)) {
        Ok(s) => s,
        Err(e) => return Got::error("unparseable_output", e),
    };
    let mut got = Got::compliant();
    if !(crypt.iter().any(|c| c == volume) && st.active) {
        got.drift("volume_not_active");
    }
    if st.device.as_deref().is_some_and(|d| d.starts_with('/')) {
        let stem = format!("encryption/{}", is_luks.expect("this status names a device: give an isLuks fixture"));
        match rc(&stem) {
            0 => {}
            1 => got.drift("not_luks"),
            _ => return Got::error("tool_failed", err_line(&stem)),
        }
    }
    got
}

fn encryption_sim(volumes: &[&str], setup: &dyn Fn(&SimHost)) -> Got {
    let sim = SimHost::new();
    setup(&sim);
    let checks = format!(r#"{{"encryption": {{"volumes": {}}}}}"#, serde_json::to_string(volumes).unwrap());
    run_check(CheckName::Encryption, &sim.tools_json(), &checks, ms(NOW), &NoState)
}

fn encryption_cases() -> Vec<Case> {
    let e = CheckName::Encryption;
    let a =
        |lsblk: &'static str, status: &'static str, is_luks: Option<&'static str>, volume: &'static str, want: Want| {
            let mut uses = vec![format!("encryption/{lsblk}"), format!("encryption/{status}")];
            uses.extend(is_luks.map(|s| format!("encryption/{s}")));
            let name = format!("a:{lsblk} + {status}{}", is_luks.map(|s| format!(" + {s}")).unwrap_or_default());
            let uses: Vec<&str> = uses.iter().map(String::as_str).collect();
            Case::new(e, &name, &uses, want, move || judge_volume(lsblk, status, is_luks, volume))
        };
    let b = |name: &str, uses: &[&str], volumes: &'static [&'static str], want: Want, setup: fn(&SimHost)| {
        Case::new(e, &format!("b:{name}"), uses, want, move || encryption_sim(volumes, &setup))
    };
    let root: &'static [&'static str] = &["cryptroot"];
    let luks2 = Some("isluks-luks2");
    vec![
        a("lsblk-crypt-root", "status-2.7-luks2-in-use", luks2, "cryptroot", COMPLIANT),
        a("lsblk-crypt-root", "status-2.8-luks2-in-use", luks2, "cryptroot", COMPLIANT),
        a("lsblk-crypt-root-paths", "status-2.7-luks2-in-use", luks2, "cryptroot", COMPLIANT),
        a("lsblk-crypt-root-default-columns", "status-2.8-luks2-in-use", luks2, "cryptroot", COMPLIANT),
        a("lsblk-lvm-on-luks", "status-2.7-reencrypting", luks2, "cryptroot", COMPLIANT),
        a("lsblk-luks-on-lvm", "status-2.7-luks1-active", Some("isluks-luks1"), "cryptdata", COMPLIANT),
        a("lsblk-crypt-root", "status-2.8-loop", luks2, "cryptroot", COMPLIANT),
        a("lsblk-luks-closed", "status-inactive", None, "cryptroot", drift("volume_not_active")),
        a("lsblk-luks-closed", "status-inactive-path-real", None, "cryptroot", drift("volume_not_active")),
        a("lsblk-unencrypted", "status-inactive", None, "cryptroot", drift("volume_not_active")),
        a("lsblk-host-no-crypt", "status-inactive", None, "cryptroot", drift("volume_not_active")),
        a("lsblk-plain-lvm", "status-2.7-not-crypt", None, "cryptroot", drift("volume_not_active")),
        a("lsblk-crypt-root", "status-2.7-plain", Some("isluks-ext4"), "cryptroot", drift("not_luks")),
        a("lsblk-lvm-on-luks", "status-2.7-luks2-in-use", luks2, "cryptdata", drift("volume_not_active")),
        a("lsblk-crypt-root", "status-2.7-luks2-in-use", Some("isluks-missing"), "cryptroot", error("tool_failed")),
        a("lsblk-crypt-root", "status-no-device-mapper", None, "cryptroot", error("tool_failed")),
        a("lsblk-crypt-root", "status-garbage", None, "cryptroot", error("unparseable_output")),
        a("lsblk-crypt-root", "status-empty", None, "cryptroot", error("unparseable_output")),
        a("lsblk-garbage", "status-2.7-luks2-in-use", luks2, "cryptroot", error("unparseable_output")),
        a("lsblk-empty", "status-2.7-luks2-in-use", luks2, "cryptroot", error("unparseable_output")),
        a("lsblk-truncated", "status-2.7-luks2-in-use", luks2, "cryptroot", error("unparseable_output")),
        a("lsblk-not-a-block-device", "status-2.7-luks2-in-use", luks2, "cryptroot", error("tool_failed")),
        // layer b: the fake lsblk/cryptsetup derive their output from the volumes
        b("LUKS2 with a TPM2 token, cryptsetup 2.7", &[], root, COMPLIANT, |_| {}),
        b("LUKS2, cryptsetup 2.8 status format", &["encryption/status-2.8-luks2-in-use"], root, COMPLIANT, |sim| {
            sim.set_cryptsetup_version("2.8.1")
        }),
        b("LUKS1", &["encryption/dump-luks1"], root, COMPLIANT, |sim| {
            sim.set_volume("cryptroot", &Volume { kind: "LUKS1".into(), tokens: vec![], ..Volume::luks2("/dev/vda2") });
        }),
        b("LUKS2 on NVMe, not mounted", &[], root, COMPLIANT, |sim| {
            sim.set_volume("cryptroot", &Volume { in_use: false, mountpoint: None, ..Volume::luks2("/dev/nvme0n1p3") });
        }),
        b("volume closed", &["encryption/status-inactive"], root, drift("volume_not_active"), |sim| {
            sim.set_volume("cryptroot", &Volume { active: false, in_use: false, ..Volume::luks2("/dev/vda2") });
        }),
        b("volume unknown", &[], root, drift("volume_not_active"), |sim| sim.remove_volume("cryptroot")),
        b("second volume missing", &[], &["cryptroot", "cryptdata"], drift("volume_not_active"), |_| {}),
        b("plain dm-crypt", &["encryption/status-2.7-plain"], root, drift("not_luks"), |sim| {
            sim.set_volume("cryptroot", &Volume { kind: "PLAIN".into(), tokens: vec![], ..Volume::luks2("/dev/vda2") });
        }),
        b("unencrypted partition", &["encryption/lsblk-unencrypted"], root, drift("volume_not_active"), |sim| {
            sim.set_volume("cryptroot", &Volume { kind: "none".into(), tokens: vec![], ..Volume::luks2("/dev/vda2") });
        }),
        b("lsblk garbage", &[], root, error("unparseable_output"), |sim| sim.behave("lsblk", "garbage")),
        b("lsblk empty output", &["encryption/lsblk-empty"], root, error("unparseable_output"), |sim| {
            sim.behave("lsblk", "empty")
        }),
        b(
            "lsblk not a block device (exit 32)",
            &["encryption/lsblk-not-a-block-device"],
            root,
            error("tool_failed"),
            |sim| serve_failure(sim, "lsblk", "encryption/lsblk-not-a-block-device"),
        ),
        b("cryptsetup status garbage", &["encryption/status-garbage"], root, error("unparseable_output"), |sim| {
            sim.behave("cryptsetup-status", "garbage")
        }),
        b("cryptsetup status empty output", &["encryption/status-empty"], root, error("unparseable_output"), |sim| {
            sim.behave("cryptsetup-status", "empty")
        }),
        b(
            "cryptsetup without device-mapper (exit 1)",
            &["encryption/status-no-device-mapper"],
            root,
            error("tool_failed"),
            |sim| serve_failure(sim, "cryptsetup-status", "encryption/status-no-device-mapper"),
        ),
        b("isLuks: backing device gone (exit 4)", &["encryption/isluks-missing"], root, error("tool_failed"), |sim| {
            serve_failure(sim, "cryptsetup-isLuks", "encryption/isluks-missing")
        }),
        // The dump only describes how the volume unlocks; the verdict does not depend on it.
        b("luksDump fails", &["encryption/dump-notluks"], root, COMPLIANT, |sim| {
            serve_failure(sim, "cryptsetup-luksDump", "encryption/dump-notluks")
        }),
        Case::new(e, "b:lsblk missing", &[], error("tool_failed"), || {
            let sim = SimHost::new();
            let tools = tools_with(&sim, &[("lsblk", "/nonexistent/bin/lsblk")]);
            run_check(CheckName::Encryption, &tools, r#"{"encryption": {"volumes": ["cryptroot"]}}"#, ms(NOW), &NoState)
        }),
        Case::new(e, "b:cryptsetup missing", &[], error("tool_failed"), || {
            let sim = SimHost::new();
            let tools = tools_with(&sim, &[("cryptsetup", "/nonexistent/bin/cryptsetup")]);
            run_check(CheckName::Encryption, &tools, r#"{"encryption": {"volumes": ["cryptroot"]}}"#, ms(NOW), &NoState)
        }),
    ]
}

// ---- running the table -----------------------------------------------------------------

/// Runs `cases`, one thread per check; results in input order.
fn run_all(cases: &[Case]) -> Vec<Got> {
    let mut by_check: BTreeMap<CheckName, Vec<usize>> = BTreeMap::new();
    for (i, c) in cases.iter().enumerate() {
        by_check.entry(c.check).or_default().push(i);
    }
    let mut results: Vec<Option<Got>> = vec![None; cases.len()];
    std::thread::scope(|scope| {
        let handles: Vec<_> = by_check
            .values()
            .map(|indices| scope.spawn(move || indices.iter().map(|&i| (i, (cases[i].run)())).collect::<Vec<_>>()))
            .collect();
        for h in handles {
            for (i, got) in h.join().unwrap() {
                results[i] = Some(got);
            }
        }
    });
    results.into_iter().map(Option::unwrap).collect()
}

fn check_table(check: CheckName) {
    let cases: Vec<Case> = all_cases().into_iter().filter(|c| c.check == check).collect();
    assert!(cases.len() >= 6, "{check}: only {} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let got = (c.run)();
            (!c.matches(&got)).then(|| c.describe(&got))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} {check} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn patching_corpus() {
    check_table(CheckName::Patching);
}

#[test]
fn services_corpus() {
    check_table(CheckName::Services);
}

#[test]
fn backups_corpus() {
    check_table(CheckName::Backups);
}

#[test]
fn firewall_corpus() {
    check_table(CheckName::Firewall);
}

#[test]
fn logging_corpus() {
    check_table(CheckName::Logging);
}

#[test]
fn encryption_corpus() {
    check_table(CheckName::Encryption);
}

// ---- fixtures that are not verdicts -------------------------------------------------------

/// `cryptsetup luksDump` (real captures): keyslots and tokens.
#[test]
fn luks_dumps() {
    let dump = |stem: &str| encryption::parse_dump(&out(&format!("encryption/{stem}")));
    let u = dump("dump-luks2");
    assert_eq!((u.keyslots, u.tokens), (vec!["0".to_string()], vec![]));
    let u = dump("dump-luks1");
    assert_eq!((u.keyslots, u.tokens), (vec!["0".to_string()], vec![]));
    let u = dump("dump-luks2-tpm2");
    assert_eq!((u.keyslots, u.tokens), (vec!["0".to_string(), "1".to_string()], vec!["systemd-tpm2".to_string()]));
    assert_eq!(rc("encryption/dump-notluks"), 1);
    assert_eq!(encryption::parse_dump(&out("encryption/dump-notluks")), encryption::Unlock::default());
    for stem in ["garbage", "empty"] {
        // Garbage and nothing describe no keyslot (the verdict never depends on the dump).
        let u = encryption::parse_dump(&out(&format!("patching/{stem}")));
        assert!(u.keyslots.is_empty() && u.tokens.is_empty(), "{stem}: {u:?}");
    }
    // isLuks is silent: only its exit status speaks (0 LUKS, 1 not, 4 no such device).
    for (stem, code) in [("isluks-luks2", 0), ("isluks-luks1", 0), ("isluks-ext4", 1), ("isluks-missing", 4)] {
        let stem = format!("encryption/{stem}");
        assert_eq!(rc(&stem), code, "{stem}");
        assert!(out(&stem).is_empty(), "{stem}");
    }
}

/// The check reads `nft -s`: traffic changes the stateful listing (counter
/// values), never the stateless one, and the named counter loses its values too.
#[test]
fn stateless_listings_ignore_counters() {
    let hash = |stem: &str| sha256_hex(firewall::filtered(&out(&format!("firewall/{stem}")), &[]).0.as_bytes());
    assert_ne!(hash("baseline-stateful"), hash("counters-stateful"), "the recorded traffic changed no counter");
    assert_eq!(hash("baseline-stateless"), hash("counters-stateless"));
    assert!(out("firewall/counters-stateful").contains("ct state new counter packets 1 bytes 60"));
    assert!(!out("firewall/counters-stateless").contains("packets"));
    assert!(out("firewall/f2b-stateful").contains("table inet f2b-table"));
    assert!(!out("firewall/f2b-stateless").contains("packets"));
    let names: Vec<String> = firewall::tables(&out("firewall/f2b-stateless")).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["inet filter", "inet f2b-table"]);
}

/// `nixpkgs_day` on the version shapes nixos-version prints.
#[test]
fn nixpkgs_day_shapes() {
    assert_eq!(patching::nixpkgs_day("24.11.20241231.edf04b7"), Some(day("2024-12-31T00:00:00Z")));
    assert_eq!(patching::nixpkgs_day("24.11.20241231.dirty"), Some(day("2024-12-31T00:00:00Z")));
    assert_eq!(patching::nixpkgs_day("24.11.19700101.dirty"), Some(0));
    assert_eq!(patching::nixpkgs_day("24.11pre-git"), None);
    assert_eq!(patching::nixpkgs_day("24.11.20241331.edf04b7"), None);
    assert_eq!(patching::nixpkgs_day("24.11"), None);
}

/// Canaries look like the lines `journalctl -o cat` returned for the
/// recorded ones, and never repeat.
#[test]
fn canary_shape() {
    let shape = |s: &str| {
        s.strip_prefix("canary ").is_some_and(|hex| hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let recorded = out("logging/journal-canaries");
    assert!(recorded.lines().count() >= 2 && recorded.lines().all(shape), "{recorded:?}");
    let (a, b) = (logging::canary(), logging::canary());
    assert!(shape(&a) && shape(&b) && a != b, "{a} {b}");
}

/// Every fixture file is read by some case or test (the README lists them all).
#[test]
fn every_fixture_is_used() {
    let mut used: BTreeSet<String> = all_cases().into_iter().flat_map(|c| c.uses).collect();
    // Read by the tests above, or inputs of the recordings.
    for extra in [
        "encryption/dump-luks2",
        "encryption/dump-luks1",
        "encryption/dump-luks2-tpm2",
        "encryption/dump-notluks",
        "encryption/isluks-luks2",
        "encryption/isluks-luks1",
        "encryption/isluks-ext4",
        "encryption/isluks-missing",
        "firewall/baseline-stateful",
        "firewall/counters-stateful",
        "firewall/f2b-stateful",
        "firewall/baseline",
        "firewall/fail2ban",
        "firewall/policy-accept",
        "backups/manifest",
    ] {
        used.insert(extra.to_string());
    }
    let mut unused = Vec::new();
    for check in CheckName::ALL {
        for entry in fs::read_dir(corpus_path(check.as_str())).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
            let stem = format!("{check}/{stem}");
            if !used.contains(&stem) {
                unused.push(stem);
            }
        }
    }
    assert!(unused.is_empty(), "fixtures no case reads: {unused:?}");
}

/// Runs every case and counts false passes and false positives; both must
/// be 0.
#[test]
fn corpus_scorecard() {
    let cases = all_cases();
    let results = run_all(&cases);
    let mut false_passes = Vec::new();
    let mut false_positives = Vec::new();
    let mut other = Vec::new();
    let mut per_check: BTreeMap<CheckName, [usize; 3]> = BTreeMap::new();
    for (c, got) in cases.iter().zip(&results) {
        let slot = match c.want.0 {
            Verdict::Compliant => 0,
            Verdict::Drift => 1,
            Verdict::Error => 2,
        };
        per_check.entry(c.check).or_default()[slot] += 1;
        match (c.want.0, got.verdict) {
            (Verdict::Drift | Verdict::Error, Verdict::Compliant) => false_passes.push(c.describe(got)),
            (Verdict::Compliant, Verdict::Drift | Verdict::Error) => false_positives.push(c.describe(got)),
            _ if !c.matches(got) => other.push(c.describe(got)),
            _ => {}
        }
    }
    for (check, [compliant, drifted, errors]) in &per_check {
        println!(
            "{check}: {} cases ({compliant} compliant, {drifted} drift, {errors} error)",
            compliant + drifted + errors
        );
    }
    println!("other mismatches (drift vs error, or finding): {}", other.len());
    println!(
        "false passes: {}, false positives: {}, cases: {}",
        false_passes.len(),
        false_positives.len(),
        cases.len()
    );
    assert!(
        false_passes.is_empty() && false_positives.is_empty() && other.is_empty(),
        "false passes:\n{}\nfalse positives:\n{}\nother mismatches:\n{}",
        false_passes.join("\n"),
        false_positives.join("\n"),
        other.join("\n")
    );
}
