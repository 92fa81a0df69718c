//! `config check`: the `nginx -t` of the agent. It passes on a usable
//! appliance (and reaches the MCP unless --offline), names the file or key
//! of every problem, and changes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::{EXIT_CONFIG, EXIT_UNAVAILABLE};
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;
use support::env::TestEnv;
use support::mcp::{pki, McpServer};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn check(env: &TestEnv, extra: &[&str]) -> Output {
    let mut args = vec!["config", "check"];
    args.extend_from_slice(extra);
    env.run(&args)
}

/// Asserts `config check` fails with 78 and a FAIL line naming `item` and
/// containing `what`.
fn fails(env: &TestEnv, item: &str, what: &str) {
    let out = check(env, &["--offline"]);
    let t = text(&out.stdout) + &text(&out.stderr);
    assert_eq!(out.status.code(), Some(EXIT_CONFIG), "{t}");
    assert!(
        t.lines().any(|l| (l.starts_with("FAIL") && l.contains(item) && l.contains(what))
            || (l.contains("configuration error") && l.contains(item) && l.contains(what))),
        "no failure naming {item} with {what:?}:\n{t}"
    );
}

#[test]
fn a_usable_appliance_passes_and_reaches_the_mcp() {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    let out = check(&env, &[]);
    let t = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{t}{}", text(&out.stderr));
    for item in [
        "signing_key_file",
        "mcp.ca_file",
        "mcp.client_cert_file",
        "mcp.client_key_file",
        "tools.systemctl",
        "state_dir",
        "mcp ",
    ] {
        assert!(t.lines().any(|l| l.starts_with("ok") && l.contains(item)), "{item} not ok:\n{t}");
    }
    assert!(t.contains("valid until 2126-11-01") && t.ends_with("configuration usable\n"), "{t}");
    // The MCP saw one read-only request and nothing else.
    assert_eq!(server.requests().len(), 1, "{:?}", server.requests());
    assert!(server.requests()[0].starts_with("GET /api/v1/orders?"), "{:?}", server.requests());
    let v: serde_json::Value = serde_json::from_slice(&check(&env, &["--json"]).stdout).unwrap();
    assert_eq!(v["usable"], true);
}

#[test]
fn an_unreachable_mcp_is_69_unless_offline_and_nothing_is_changed() {
    let env = TestEnv::new(); // MCP down
    let out = check(&env, &[]);
    let t = text(&out.stdout);
    assert_eq!(out.status.code(), Some(EXIT_UNAVAILABLE), "{t}");
    assert!(t.lines().any(|l| l.starts_with("FAIL") && l.contains("mcp") && l.contains("connect")), "{t}");
    assert_eq!(check(&env, &["--offline"]).status.code(), Some(0));
    // Nothing was created or run.
    assert!(!env.state_dir().exists(), "config check created the state directory");
    assert!(env.host.calls().is_empty(), "config check ran tools: {:?}", env.host.calls());
}

#[test]
fn each_problem_is_named_by_its_file_or_key() {
    // A missing CA.
    let env = TestEnv::new();
    let nope = env.path().join("no-ca.pem").display().to_string();
    let n = nope.clone();
    env.patch(move |v| v["mcp"]["ca_file"] = json!(n));
    fails(&env, "mcp.ca_file", &nope);

    // A client key that does not match the certificate.
    let env = TestEnv::new();
    std::fs::copy(pki("rogue-client.key"), env.path().join("client.key")).unwrap();
    std::fs::set_permissions(env.path().join("client.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    fails(&env, "mcp.client_key_file", "does not match");

    // Key files readable by others: the client key and the evidence key.
    let env = TestEnv::new();
    std::fs::set_permissions(env.path().join("client.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    fails(&env, "mcp.client_key_file", "chmod 600");
    let env = TestEnv::new();
    std::fs::set_permissions(&env.key, std::fs::Permissions::from_mode(0o640)).unwrap();
    fails(&env, "signing_key_file", "chmod 600");

    // An unknown configuration key.
    let env = TestEnv::new();
    env.patch(|v| v["frobnicate"] = json!(1));
    fails(&env, "frobnicate", "unknown key");

    // A tool that is not there.
    let env = TestEnv::new();
    env.patch(|v| v["tools"]["journalctl"] = json!("/nonexistent/journalctl"));
    fails(&env, "tools.journalctl", "/nonexistent/journalctl");

    // A client certificate for another appliance.
    let env = TestEnv::new();
    env.patch(|v| v["appliance_id"] = json!("appl-99"));
    fails(&env, "mcp.client_cert_file", "not this appliance \"appl-99\"");

    // A state directory others may write to.
    let env = TestEnv::new();
    std::fs::create_dir(env.state_dir()).unwrap();
    std::fs::set_permissions(env.state_dir(), std::fs::Permissions::from_mode(0o777)).unwrap();
    fails(&env, "state_dir", "chmod 700");
}

#[test]
fn expired_and_expiring_certificates() {
    let env = TestEnv::new();
    let config = compliance_agent::config::Config::load(&env.config).unwrap();
    // The test certificates are valid until 2126-11-01.
    let expiry = 4_949_196_868i64;
    let at = |now: i64| compliance_agent::preflight::check(&config, false, now);
    let r = at(expiry + 86_400);
    assert_eq!(r.exit_code(), EXIT_CONFIG);
    for item in ["mcp.ca_file", "mcp.client_cert_file"] {
        let f = r.findings.iter().find(|f| f.item == item).unwrap();
        assert_eq!(f.level, compliance_agent::preflight::Level::Fail, "{f:?}");
        assert!(f.detail.contains("not valid now"), "{f:?}");
    }
    let r = at(expiry - 10 * 86_400);
    let f = r.findings.iter().find(|f| f.item == "mcp.client_cert_file").unwrap();
    assert_eq!(f.level, compliance_agent::preflight::Level::Warn, "{f:?}");
    assert!(f.detail.contains("in 10 days"), "{f:?}");
    assert_eq!(r.exit_code(), 0, "a warning is still usable");
}

/// A client certificate for this appliance, signed by the test CA with the
/// same key, valid for `days`.
fn short_lived_client_cert(env: &TestEnv, days: u32) -> std::path::PathBuf {
    let out = env.path().join(format!("client-{days}d.pem"));
    // As tests/fixtures/pki/gen.sh makes the client certificate (v3).
    let script = format!(
        "openssl req -new -key {key} -subj '/CN=clinic-042 appl-01' | \
         openssl x509 -req -CA {ca} -CAkey {cakey} -days {days} -set_serial 4242 -sha256 -out {out} \
           -extfile <(printf 'basicConstraints=critical,CA:FALSE\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=clientAuth\\n') 2>/dev/null",
        key = env.path().join("client.key").display(),
        ca = pki("ca.pem").display(),
        cakey = pki("ca.key").display(),
        out = out.display()
    );
    let st = std::process::Command::new("bash").args(["-c", &script]).status().unwrap();
    assert!(st.success());
    out
}

#[test]
fn a_certificate_near_expiry_is_alerted_once_and_warned_about() {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    let near = short_lived_client_cert(&env, 10).display().to_string();
    env.patch(move |v| v["mcp"]["client_cert_file"] = json!(near));
    // config check: usable, with a warning.
    let out = check(&env, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout)
            .lines()
            .any(|l| l.starts_with("WARN") && l.contains("mcp.client_cert_file") && l.contains("days")),
        "{}",
        text(&out.stdout)
    );
    // The daemon's cycles: one alert for this stage, not one per cycle.
    for _ in 0..3 {
        env.run(&["--once"]);
    }
    let alerts: Vec<serde_json::Value> = server
        .evidence()
        .iter()
        .map(|r| serde_json::from_slice::<serde_json::Value>(&r.bundle).unwrap())
        .filter(|b| b["reason"] == "cert_expiry")
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert!(alerts[0]["detail"].as_str().unwrap().contains("client certificate"), "{}", alerts[0]);
    assert_eq!(alerts[0]["pre_state"]["stage"], "soon");
    // The warning period is configurable: 5 days, and 10 left, is fine.
    env.patch(|v| v["mcp"]["cert_expiry_warn_days"] = json!(5));
    assert!(!text(&check(&env, &[]).stdout).contains("WARN"));
}
