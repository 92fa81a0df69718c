//! Orders over real mutual TLS on loopback: every refusal reason, expiry,
//! duplicates, replay across restarts, key rotation, and every way the MCP
//! can fail — and in each case the host is untouched and the cycle goes on.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::keys::SigningKey;
use compliance_agent::orders::dsse::sign;
use serde_json::{json, Value};
use std::process::Output;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::env::TestEnv;
use support::mcp::{pki, Behaviour, McpServer};

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The key whose public half is in the test config (`test-2026a`).
fn order_key() -> SigningKey {
    SigningKey::from_seed([9u8; 32])
}

fn payload(id: &str, action: &str, params: Value) -> Value {
    json!({"order_id": id, "site_id": "clinic-042", "appliance_id": "appl-01",
           "issued_at": now(), "ttl_secs": 900, "action": action, "params": params})
}

fn envelope(p: &Value) -> Vec<u8> {
    sign(p.to_string().as_bytes(), &[("test-2026a", &order_key())])
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Evidence bundles the agent wrote (as logged in Attest), except the
/// cycle summaries.
fn evidence(o: &Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter_map(|l| {
            l.split_once("attest: bundle ").or_else(|| l.split_once("heal: bundle ")).map(|(_, r)| r.to_string())
        })
        .filter(|l| !l.contains(": cycle/"))
        .collect()
}

/// Runs one cycle and asserts it went through all states and exited 0
/// (refusals and MCP failures do not fail the cycle).
fn once(env: &TestEnv) -> Output {
    let out = env.run(&["--once"]);
    let err = stderr(&out);
    assert!(err.contains("state flush -> idle"), "cycle did not complete:\n{err}");
    out
}

fn setup() -> (McpServer, TestEnv) {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    (server, env)
}

/// No call that changes the host (the checks' read-only calls and the
/// logging canary are fine).
fn assert_host_untouched(env: &TestEnv) {
    let changing: Vec<String> = env
        .host
        .calls()
        .into_iter()
        .filter(|c| {
            let w: Vec<&str> = c.split_whitespace().collect();
            match w.first().copied() {
                Some("nixos-rebuild") => true,
                Some("systemctl") => w
                    .iter()
                    .any(|a| matches!(*a, "start" | "restart" | "stop" | "reload" | "try-restart" | "reset-failed")),
                Some("nft") => w.iter().any(|a| matches!(*a, "-f" | "flush" | "add" | "delete" | "insert" | "replace")),
                Some("cryptsetup") => {
                    w.iter().any(|a| matches!(*a, "open" | "close" | "luksOpen" | "luksClose" | "luksFormat"))
                }
                _ => false,
            }
        })
        .collect();
    assert!(changing.is_empty(), "an order reached the host: {changing:?}");
    // The checks did run (read-only).
    assert!(env.host.calls().iter().any(|c| c.starts_with("systemctl is-active")), "{:?}", env.host.calls());
}

#[test]
fn poll_sends_site_and_appliance() {
    let (server, env) = setup();
    let out = once(&env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let reqs = server.requests();
    assert_eq!(reqs[0], "GET /api/v1/orders?site_id=clinic-042&appliance_id=appl-01 HTTP/1.1");
    // Then Flush pushes the cycle's evidence.
    assert_eq!(reqs[1..], ["POST /api/v1/evidence HTTP/1.1"]);
    assert!(stderr(&out).contains("poll: 0 envelopes"));
}

#[test]
fn every_rejection_reason_over_mtls() {
    let (server, env) = setup();
    let rogue = SigningKey::from_seed([3u8; 32]);
    let mut future = payload("o-future", "run_checks", json!({}));
    future["issued_at"] = json!(now() + 3600);
    let mut long = payload("o-long", "run_checks", json!({}));
    long["ttl_secs"] = json!(86_401);
    let mut other_site = payload("o-site", "run_checks", json!({}));
    other_site["site_id"] = json!("clinic-999");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("malformed", br#"{"payloadType":"x"}"#.to_vec()),
        (
            "bad_signature",
            sign(payload("o-bad", "run_checks", json!({})).to_string().as_bytes(), &[("test-2026a", &rogue)]),
        ),
        ("unknown_key", sign(payload("o-unk", "run_checks", json!({})).to_string().as_bytes(), &[("rogue-1", &rogue)])),
        ("wrong_site", envelope(&other_site)),
        ("future_dated", envelope(&future)),
        ("ttl_too_long", envelope(&long)),
        ("unknown_action", envelope(&payload("o-act", "exec", json!({"cmd": "rm -rf /"})))),
        ("invalid_params", envelope(&payload("o-par", "restart_service", json!({"unit": "postgresql.service"})))),
    ];
    server.set_orders(cases.iter().map(|(_, e)| e.clone()).collect());
    let out = once(&env);
    assert_eq!(out.status.code(), Some(0));
    let ev = evidence(&out);
    // Refusals after a signature verified: one bundle each.
    let (unsigned, signed) = cases.split_at(3);
    for (reason, bytes) in signed {
        let hash = &compliance_agent::encoding::sha256_hex(bytes)[..16];
        assert!(
            ev.iter()
                .any(|l| l.contains("order/rejected") && l.contains(&format!("reason={reason}")) && l.contains(hash)),
            "no rejected/{reason} evidence in {ev:#?}"
        );
    }
    // Those no signature vouched for: one bundle for the poll, naming each
    // envelope and its reason.
    assert_eq!(ev.len(), signed.len() + 1, "{ev:#?}");
    let summary = unsigned_summaries(&env);
    assert_eq!(summary.len(), 1, "{summary:#?}");
    assert_eq!(summary[0]["reason"], "unauthenticated");
    assert_eq!(summary[0]["pre_state"]["unauthenticated_envelopes"], json!(3));
    for (reason, bytes) in unsigned {
        let hash = compliance_agent::encoding::sha256_hex(bytes);
        assert!(
            summary[0]["pre_state"]["envelopes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["envelope_sha256"] == hash.as_str() && e["reason"] == *reason),
            "{reason} {hash} not listed: {:#}",
            summary[0]
        );
    }
    assert_host_untouched(&env);
    // Re-listed refused envelopes are not reported again.
    let out = once(&env);
    assert!(evidence(&out).is_empty(), "{:#?}", evidence(&out));
    assert!(stderr(&out).contains("8 already seen"));
}

/// The order bundles that summarise unauthenticated refusals.
fn unsigned_summaries(env: &TestEnv) -> Vec<Value> {
    let store = compliance_agent::store::Store::open_read_only(&env.db()).unwrap();
    store
        .bundles_after(0, 100_000)
        .unwrap()
        .into_iter()
        .map(|b| serde_json::from_slice::<Value>(&b.bytes).unwrap())
        .filter(|b| b["kind"] == "order" && !b["pre_state"]["unauthenticated_envelopes"].is_null())
        .collect()
}

#[test]
fn a_flood_of_unsigned_envelopes_is_one_bundle_per_poll_and_an_alert() {
    let (server, env) = setup();
    let rogue = SigningKey::from_seed([3u8; 32]);
    let junk = |poll: u32| -> Vec<Vec<u8>> {
        (0..63)
            .map(|i| {
                sign(
                    payload(&format!("o-{poll}-{i}"), "run_checks", json!({})).to_string().as_bytes(),
                    &[("rogue", &rogue)],
                )
            })
            .collect()
    };
    // Among the junk, one real order: it is still accepted and run.
    let mut first = junk(1);
    first.push(envelope(&payload("o-real", "run_checks", json!({}))));
    server.set_orders(first);
    let out = once(&env);
    assert!(stderr(&out).contains("order/success") && stderr(&out).contains("order=o-real"), "{}", stderr(&out));
    let second = junk(2);
    server.set_orders(second.clone());
    once(&env);
    let summaries = unsigned_summaries(&env);
    assert_eq!(summaries.len(), 2, "one bundle per poll");
    for s in &summaries {
        assert_eq!(s["reason"], "unknown_key");
        assert_eq!(s["pre_state"]["unauthenticated_envelopes"], json!(63));
        assert_eq!(s["pre_state"]["envelopes"].as_array().unwrap().len(), 16);
        assert_eq!(s["pre_state"]["not_listed"], json!(47));
    }
    // 126 in an hour: an alert says so.
    let store = compliance_agent::store::Store::open_read_only(&env.db()).unwrap();
    let alerts: Vec<Value> = store
        .bundles_after(0, 100_000)
        .unwrap()
        .into_iter()
        .map(|b| serde_json::from_slice::<Value>(&b.bytes).unwrap())
        .filter(|b| b["reason"] == "refusal_flood")
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    // The junk re-listed is not reported again, and the real order cannot be
    // replayed with other bytes.
    let mut replay = payload("o-real", "run_checks", json!({}));
    replay["ttl_secs"] = json!(901);
    let mut again = second;
    again.push(envelope(&replay));
    server.set_orders(again);
    let out = once(&env);
    assert!(stderr(&out).contains("reason=replay") && stderr(&out).contains("order=o-real"), "{}", stderr(&out));
    assert_eq!(unsigned_summaries(&env).len(), 2);
}

#[test]
fn signature_verify_fail_is_discarded_with_rejected_evidence() {
    // Seed plan case 1: a forged order (right key id, wrong key) for a real action.
    let (server, env) = setup();
    let forged = sign(
        payload("o-forged", "restart_service", json!({"unit": "sshd.service"})).to_string().as_bytes(),
        &[("test-2026a", &SigningKey::from_seed([4u8; 32]))],
    );
    server.set_orders(vec![forged]);
    let out = once(&env);
    let ev = evidence(&out);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(ev[0].contains("order/rejected") && ev[0].contains("reason=bad_signature"), "{ev:?}");
    // Payload fields of an unverified envelope never reach evidence.
    assert!(!ev[0].contains("o-forged") && !ev[0].contains("restart_service"), "{ev:?}");
    assert_host_untouched(&env);
}

#[test]
fn ttl_expired_is_discarded_with_expired_evidence() {
    // Seed plan case 2.
    let (server, env) = setup();
    let mut p = payload("o-old", "restart_service", json!({"unit": "sshd.service"}));
    p["issued_at"] = json!(now() - 1000);
    server.set_orders(vec![envelope(&p)]);
    let out = once(&env);
    let ev = evidence(&out);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(
        ev[0].contains("order/expired") && ev[0].contains("reason=ttl_elapsed") && ev[0].contains("order=o-old"),
        "{ev:?}"
    );
    assert_host_untouched(&env);
}

#[test]
fn run_checks_runs_once_duplicates_are_silent_and_replay_survives_restart() {
    let (server, env) = setup();
    let first = envelope(&payload("o-run", "run_checks", json!({})));
    server.set_orders(vec![first.clone()]);
    let out = once(&env);
    let ev = evidence(&out);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(
        ev[0].contains("order/success") && ev[0].contains("order=o-run") && ev[0].contains("action=run_checks"),
        "{ev:?}"
    );

    // The MCP lists it again: silently skipped (a new process: the store persists).
    let out = once(&env);
    assert!(evidence(&out).is_empty(), "{:?}", evidence(&out));
    assert!(stderr(&out).contains("1 already seen"));

    // Same id, different bytes (re-issued with another TTL): replay.
    let mut again = payload("o-run", "run_checks", json!({}));
    again["ttl_secs"] = json!(901);
    server.set_orders(vec![envelope(&again)]);
    let out = once(&env);
    let ev = evidence(&out);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(
        ev[0].contains("order/rejected") && ev[0].contains("reason=replay") && ev[0].contains("order=o-run"),
        "{ev:?}"
    );
    assert_host_untouched(&env);
}

#[test]
fn an_order_interrupted_by_a_crash_is_never_run_again() {
    let (server, env) = setup();
    server.set_orders(vec![envelope(&payload("o-crash", "run_checks", json!({})))]);
    let crashed = env.run_crashing_at("order-claimed");
    assert!(stderr(&crashed).contains("crashpoint order-claimed"), "{}", stderr(&crashed));
    let out = once(&env);
    let ev = evidence(&out);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(
        ev[0].contains("order/failed") && ev[0].contains("reason=interrupted") && ev[0].contains("order=o-crash"),
        "{ev:?}"
    );
    // Still listed by the MCP: a duplicate, not run again.
    let out = once(&env);
    assert!(evidence(&out).is_empty(), "{:?}", evidence(&out));
}

#[test]
fn second_signature_valid_is_accepted() {
    let (server, env) = setup();
    let p = payload("o-two", "run_checks", json!({}));
    let env_bytes = sign(
        p.to_string().as_bytes(),
        &[("test-2026a", &SigningKey::from_seed([5u8; 32])), ("test-2026a", &order_key())],
    );
    server.set_orders(vec![env_bytes]);
    let out = once(&env);
    let ev = evidence(&out);
    assert!(ev.len() == 1 && ev[0].contains("order/success") && ev[0].contains("order=o-two"), "{ev:?}");
}

#[test]
fn restart_service_order_runs_through_the_remediation_engine() {
    let (server, env) = setup();
    server.set_orders(vec![envelope(&payload("o-restart", "restart_service", json!({"unit": "sshd.service"})))]);
    let out = once(&env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ev = evidence(&out);
    assert!(
        ev.len() == 1 && ev[0].contains("order/success check=services") && ev[0].contains("order=o-restart"),
        "{ev:?}"
    );
    // Exactly the allowlisted command, with the validated unit.
    let restarts: Vec<String> = env.host.calls().into_iter().filter(|c| c.contains("restart")).collect();
    assert_eq!(restarts, ["systemctl restart sshd.service"]);
    // Listed again: a duplicate, not restarted twice.
    let out = once(&env);
    assert!(evidence(&out).is_empty());
    assert_eq!(env.host.calls().iter().filter(|c| c.contains("restart")).count(), 1);
}

fn assert_alert(env: &TestEnv, reason: &str, class: &str) {
    let out = once(env);
    // Not drift, and not success either: a post-install smoke test must fail.
    assert_eq!(out.status.code(), Some(compliance_agent::EXIT_UNAVAILABLE), "{}", stderr(&out));
    let ev = evidence(&out);
    println!("{ev:#?}");
    assert!(
        ev.iter().any(|l| l.contains("alert/alert")
            && l.contains(&format!("reason={reason}"))
            && l.contains(&format!("({class}:"))),
        "no {reason}/{class} alert in {ev:#?}\n{}",
        stderr(&out)
    );
    assert_host_untouched(env);
}

#[test]
fn mcp_down_is_an_alert_and_the_cycle_goes_on() {
    let env = TestEnv::new(); // points at a closed port
    assert_alert(&env, "mcp_unreachable", "connect");
}

#[test]
fn dns_failure_is_an_alert_and_the_cycle_goes_on() {
    // Seed plan case 5: no egress, alert evidence, agent keeps running.
    let env = TestEnv::new();
    env.set_mcp_url("https://mcp.invalid:8443");
    assert_alert(&env, "mcp_unreachable", "dns");
}

#[test]
fn server_from_an_unknown_ca_is_refused() {
    let server = McpServer::start_with(&pki("rogue-server.pem"), &pki("rogue-server.key"), &pki("ca.pem"));
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    server.set_orders(vec![envelope(&payload("o-x", "run_checks", json!({})))]);
    assert_alert(&env, "mcp_tls", "tls");
    assert!(server.requests().is_empty(), "a request was sent to an untrusted server");
}

#[test]
fn server_that_rejects_our_client_certificate() {
    // The server trusts only the rogue CA, so our (valid) client certificate
    // is refused in the handshake: the agent reports a TLS failure.
    let server = McpServer::start_with(&pki("server.pem"), &pki("server.key"), &pki("rogue-ca.pem"));
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    let out = once(&env);
    let ev = evidence(&out);
    println!("{ev:#?}");
    assert!(ev.iter().any(|l| l.contains("alert/alert") && l.contains("reason=mcp_tls")), "{ev:#?}");
    assert!(server.requests().is_empty());
    assert!(!server.handshake_errors().is_empty());
}

#[test]
fn missing_client_certificate_is_a_config_error() {
    let env = TestEnv::new();
    std::fs::remove_file(env.path().join("client.pem")).unwrap();
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("mcp.client_cert_file"), "{}", stderr(&out));
    // And a client key readable by others is refused too.
    let env = TestEnv::new();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(env.path().join("client.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("mcp.client_key_file"), "{}", stderr(&out));
}

#[test]
fn a_client_key_that_does_not_match_its_certificate_is_a_config_error() {
    let env = TestEnv::new();
    // The rogue client's key with our client's certificate.
    std::fs::copy(pki("rogue-client.key"), env.path().join("client.key")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(env.path().join("client.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("mcp.client_key_file") && stderr(&out).contains("does not match"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn oversized_reply_is_refused_whole() {
    let (server, env) = setup();
    server.behave(Behaviour::Oversized);
    assert_alert(&env, "mcp_bad_reply", "body_too_large");
}

#[test]
fn too_many_envelopes_are_refused_whole() {
    let (server, env) = setup();
    server.behave(Behaviour::TooMany(65));
    assert_alert(&env, "mcp_bad_reply", "malformed");
}

#[test]
fn slow_server_times_out() {
    let (server, env) = setup();
    server.behave(Behaviour::Slow(Duration::from_secs(8))); // request_timeout_secs is 3
    assert_alert(&env, "mcp_unreachable", "timeout");
}

#[test]
fn server_errors_and_garbage() {
    let (server, env) = setup();
    server.behave(Behaviour::Status(500));
    assert_alert(&env, "mcp_bad_reply", "http_status");
    server.behave(Behaviour::Malformed);
    assert_alert(&env, "mcp_bad_reply", "malformed");
}

#[test]
fn redirects_are_not_followed() {
    let (server, env) = setup();
    server.behave(Behaviour::Redirect);
    let out = once(&env);
    let ev = evidence(&out);
    println!("{ev:#?}");
    assert!(ev.iter().any(|l| l.contains("reason=mcp_bad_reply")), "{ev:#?}");
    // One GET (and the evidence POST) were answered with 302; neither was followed.
    assert_eq!(server.requests().iter().filter(|r| r.starts_with("GET")).count(), 1);
}
