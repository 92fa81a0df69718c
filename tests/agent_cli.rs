//! The binary's command line, configuration errors, `--once`, keygen and
//! the daemon's systemd protocol, run as a real process against the
//! simulated host.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};
use support::child::{output_within, Guard, RUN_LIMIT};
use support::env::{agent_bin, TestEnv, UNDELIVERED};
use support::notify::NotifySocket;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Evidence carries the SHA-256 of the executable as its build id, whether
/// this run hashed the file or took the hash from `state_dir/build-id`
/// (written by the first run, keyed by the file's identity); `--version`
/// always hashes and says the same.
#[test]
fn the_build_id_is_the_executables_hash_whether_hashed_or_remembered() {
    let env = TestEnv::new();
    let hash = compliance_agent::encoding::sha256_hex(&std::fs::read(agent_bin()).unwrap());
    let cache = env.state_dir().join(compliance_agent::BUILD_ID_CACHE);
    for run in 0..2 {
        let out = env.run(&["--once"]);
        assert_eq!(out.status.code(), Some(UNDELIVERED), "run {run}: {}", text(&out.stderr));
        let remembered = std::fs::read_to_string(&cache).unwrap();
        assert!(remembered.ends_with(&format!("\n{hash}\n")), "run {run}: {remembered}");
    }
    let store = compliance_agent::store::Store::open_read_only(&env.db()).unwrap();
    let bundles = store.bundles_after(0, 1000).unwrap();
    assert!(bundles.len() >= 2);
    for b in bundles {
        let v: serde_json::Value = serde_json::from_slice(&b.bytes).unwrap();
        assert_eq!(v["agent"]["build"], format!("sha256:{hash}"), "seq {}", b.seq);
    }
    let out = output_within(Command::new(agent_bin()).arg("--version"), RUN_LIMIT);
    assert!(text(&out.stdout).contains(&format!("sha256 {hash})")), "{}", text(&out.stdout));
}

#[test]
fn version_and_help() {
    let out = output_within(Command::new(agent_bin()).arg("--version"), RUN_LIMIT);
    assert_eq!(out.status.code(), Some(0));
    let v = text(&out.stdout);
    assert!(v.starts_with(&format!("compliance-agent {} (git ", env!("CARGO_PKG_VERSION"))), "{v}");
    assert!(v.contains("sha256 "), "version names the binary hash: {v}");
    let out = output_within(Command::new(agent_bin()).arg("--help"), RUN_LIMIT);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("--once"));
}

#[test]
fn unknown_flag_is_usage_error() {
    let out = output_within(Command::new(agent_bin()).arg("--frobnicate"), RUN_LIMIT);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("unknown option --frobnicate") && err.contains("Usage:"), "{err}");
    assert!(out.stdout.is_empty());
    let out = output_within(Command::new(agent_bin()).arg("status-of-everything"), RUN_LIMIT);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn config_errors_exit_78_naming_file_and_key() {
    let env = TestEnv::new();
    env.write_config(&env.config_json().replace("\"jitter_percent\": 10", "\"jitter_percent\": 75"));
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(78));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("{}: jitter_percent: 75 is above 50", env.config.display())), "{err}");

    let missing = env.path().join("nope.json");
    let out = output_within(Command::new(agent_bin()).arg("--config").arg(&missing).arg("--once"), RUN_LIMIT);
    // A missing input is its own situation, not a configuration error.
    assert_eq!(out.status.code(), Some(compliance_agent::EXIT_NOINPUT));
    assert!(text(&out.stderr).contains(&missing.display().to_string()));
}

#[test]
fn every_config_error_is_printed_on_its_own_line() {
    let env = TestEnv::new();
    env.patch(|v| {
        v["jitter_percent"] = serde_json::json!(75);
        v["tools"]["bash"] = serde_json::json!("/bin/bash");
        v["log"]["level"] = serde_json::json!("verbose");
    });
    for args in [&["--once"][..], &["check"][..]] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(78));
        let err = text(&out.stderr);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 3, "{err}");
        for (line, key) in lines.iter().zip(["jitter_percent", "tools.bash", "log.level"]) {
            let prefix = format!("compliance-agent: configuration error: {}: {key}: ", env.config.display());
            assert!(line.starts_with(&prefix), "{line}");
        }
    }
}

#[test]
fn readable_signing_key_is_refused() {
    let env = TestEnv::new();
    std::fs::set_permissions(&env.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(78));
    let err = text(&out.stderr);
    assert!(err.contains("signing_key_file") && err.contains("chmod 600"), "{err}");
}

#[test]
fn a_public_key_as_signing_key_is_named_for_what_it_is() {
    let env = TestEnv::new();
    // keygen's `.pub.pem` beside the key, mode 0644 as keygen writes it.
    let public = env.pubkey_pem();
    std::fs::set_permissions(&public, std::fs::Permissions::from_mode(0o644)).unwrap();
    let public_path = public.display().to_string();
    env.patch(|v| v["signing_key_file"] = serde_json::json!(public_path));
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(78));
    let err = text(&out.stderr);
    // Printed once, through the logger (`<3>` on a non-terminal stderr).
    let expected = format!(
        "configuration error: {}: signing_key_file: {}: this is a public key (BEGIN PUBLIC KEY); \
         signing_key_file needs the private key, `compliance-agent keygen` writes both",
        env.config.display(),
        public.display()
    );
    assert_eq!(err.lines().filter(|l| l.ends_with(&expected)).count(), 1, "{err}");
    assert!(!err.contains("chmod"), "{err}");
}

#[test]
fn once_runs_every_state_in_order_and_exits() {
    let env = TestEnv::new();
    let out = env.run(&["--once"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(UNDELIVERED), "{err}");
    let transitions: Vec<&str> = err.lines().filter_map(|l| l.strip_prefix("<6>state ")).collect();
    assert_eq!(
        transitions,
        ["idle -> poll", "poll -> detect", "detect -> heal", "heal -> attest", "attest -> flush", "flush -> idle"],
        "{err}"
    );
}

#[test]
fn keygen_writes_openssl_compatible_keys_and_never_overwrites() {
    let env = TestEnv::new();
    let key = env.path().join("new.key");
    let out = output_within(Command::new(agent_bin()).args(["keygen", "--out"]).arg(&key), RUN_LIMIT);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let public = env.path().join("new.key.pub.pem");
    // OpenSSL reads both halves, and derives the same public key.
    let derived = Command::new("openssl").args(["pkey", "-pubout", "-in"]).arg(&key).output().unwrap();
    assert!(derived.status.success(), "{}", text(&derived.stderr));
    assert_eq!(text(&derived.stdout), std::fs::read_to_string(&public).unwrap());
    // It prints the fingerprint: SHA-256 of the DER public key, as OpenSSL computes it.
    let der = Command::new("openssl").args(["pkey", "-pubin", "-outform", "DER", "-in"]).arg(&public).output().unwrap();
    let fp = compliance_agent::encoding::sha256_hex(&der.stdout);
    assert!(text(&out.stdout).lines().any(|l| l == format!("fingerprint {fp}")), "{}", text(&out.stdout));
    // A second keygen refuses to overwrite.
    let again = output_within(Command::new(agent_bin()).args(["keygen", "--out"]).arg(&key), RUN_LIMIT);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("already exists"));
    // The generated key is accepted as the agent's signing key.
    let cfg = env.config_json().replace(&env.key.display().to_string(), &key.display().to_string());
    env.write_config(&cfg);
    assert_eq!(env.run(&["--once"]).status.code(), Some(UNDELIVERED));
}

fn daemon(env: &TestEnv, notify: Option<&NotifySocket>) -> Guard {
    let mut cmd = Command::new(agent_bin());
    cmd.arg("--config").arg(&env.config);
    if let Some(n) = notify {
        cmd.env("NOTIFY_SOCKET", n.path());
    }
    Guard::spawn_logged(&mut cmd)
}

#[test]
fn daemon_notifies_systemd_and_stops_on_sigterm_within_a_second() {
    let env = TestEnv::new();
    let mut n = NotifySocket::bind(env.path());
    let mut cmd = Command::new(agent_bin());
    cmd.arg("--config").arg(&env.config).env("NOTIFY_SOCKET", n.path()).env("WATCHDOG_USEC", "400000");
    let mut child = Guard::spawn_logged(&mut cmd);
    assert!(n.wait_for("READY=1", Duration::from_secs(20)), "{:?}", n.seen);
    assert!(n.wait_for("STATUS=flush", Duration::from_secs(20)), "{:?}", n.seen);
    assert!(n.wait_for("STATUS=idle", Duration::from_secs(20)), "{:?}", n.seen);
    // Idle: the watchdog is still fed (period 400 ms, so a ping every 200 ms).
    assert!(n.wait_for("WATCHDOG=1", Duration::from_secs(5)), "{:?}", n.seen);
    assert!(n.wait_for("WATCHDOG=1", Duration::from_secs(5)), "{:?}", n.seen);

    let sent = Instant::now();
    child.signal("TERM");
    assert!(n.wait_for("STOPPING=1", Duration::from_secs(5)), "{:?}", n.seen);
    let status = child.wait_within(Duration::from_secs(10), "agent after SIGTERM");
    let took = sent.elapsed();
    let err = child.log();
    assert_eq!(status.code(), Some(0), "{err}");
    // A behaviour check, not a benchmark: the idle sleep wakes on the signal
    // instead of running out its 60 s poll interval. How fast (the contract
    // is within a second) is for the benchmark: a bound of one second here
    // failed on a machine busy with other builds.
    assert!(took < Duration::from_secs(30), "exit took {took:?}: the idle sleep did not wake on SIGTERM");
    assert!(err.contains("stop requested"), "{err}");
}

#[test]
fn sigint_also_stops_the_daemon() {
    let env = TestEnv::new();
    let mut child = daemon(&env, None);
    // Wait until the first cycle finished (the idle log line), then SIGINT.
    assert!(child.wait_log("flush -> idle", Duration::from_secs(20)), "{}", child.log());
    child.signal("INT");
    let status = child.wait_within(Duration::from_secs(10), "agent after SIGINT");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigterm_during_work_stops_at_the_next_safe_point() {
    use support::mcp::{Behaviour, McpServer};
    let server = McpServer::start();
    server.behave(Behaviour::Slow(Duration::from_secs(2)));
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    let mut n = NotifySocket::bind(env.path());
    let mut child = daemon(&env, Some(&n));
    assert!(n.wait_for("STATUS=poll", Duration::from_secs(20)), "{:?}", n.seen);
    // The poll is waiting on the slow MCP: stop now.
    child.signal("TERM");
    assert!(n.wait_for("STOPPING=1", Duration::from_secs(20)), "{:?}", n.seen);
    let status = child.wait_within(Duration::from_secs(20), "agent after SIGTERM");
    let err = child.log();
    assert_eq!(status.code(), Some(0), "{err}");
    // Poll finished (the request completed), then the rest of the work was
    // skipped: what happened is attested, flushed, and the agent exits.
    let statuses = n.statuses();
    let after_poll: Vec<&str> = statuses.iter().map(String::as_str).skip_while(|s| *s != "poll").collect();
    assert_eq!(after_poll.get(1..3), Some(&["attest", "flush"][..]), "{statuses:?}");
    assert!(!after_poll.contains(&"detect"), "{statuses:?}");
    assert!(err.contains("poll: 0 envelopes"), "the poll in progress completed: {err}");
}

#[test]
fn a_second_instance_is_refused_while_one_runs() {
    let env = TestEnv::new();
    let mut daemon = daemon(&env, None);
    // Wait until it holds the lock (its first cycle ran).
    assert!(daemon.wait_log("flush -> idle", Duration::from_secs(20)), "{}", daemon.log());
    let out = env.run(&["--once"]);
    daemon.signal("TERM");
    daemon.wait_within(Duration::from_secs(20), "agent after SIGTERM");
    assert_eq!(out.status.code(), Some(compliance_agent::EXIT_TEMPFAIL));
    assert!(text(&out.stderr).contains("another compliance-agent holds"), "{}", text(&out.stderr));
    // Once the daemon is gone, --once works.
    assert_eq!(env.run(&["--once"]).status.code(), Some(UNDELIVERED));
}

#[test]
fn check_command_reports_drift_and_changes_nothing() {
    let env = TestEnv::new();
    let out = env.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("services     ok"), "{}", text(&out.stdout));
    env.host.set_unit("sshd.service", "failed");
    let out = env.run(&["check", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["compliant"], serde_json::json!(false));
    let services = v["checks"].as_array().unwrap().iter().find(|c| c["check"] == "services").unwrap();
    assert_eq!(services["verdict"], "drift");
    assert_eq!(services["observed"]["units"]["sshd.service"], "failed");
    // Nothing was restarted, no state was created, no network was used
    // (the MCP in the config is a closed port; check never dials it).
    assert!(!env.host.calls().iter().any(|c| c.contains("restart") || c.contains("start ")), "{:?}", env.host.calls());
    assert_eq!(env.host.unit_state("sshd.service"), "failed");
    assert!(!env.state_dir().exists(), "check created state");
}

#[test]
fn drift_is_healed_or_retried_with_back_off() {
    let env = TestEnv::new();
    // A back-off far longer than the runs take: with the default 2 s, a
    // loaded machine let it run out between two runs, and the third run
    // rightly restarted again.
    env.patch(|v| v["checks"]["services"]["restart_backoff_initial_secs"] = serde_json::json!(600));
    // A stopped unit is restarted, verified, and attested: exit 0.
    env.host.set_unit("sshd.service", "inactive");
    let out = env.run(&["--once"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(UNDELIVERED), "{err}");
    assert!(err.contains("remediation/success check=services"), "{err}");
    assert_eq!(env.host.unit_state("sshd.service"), "active");
    assert!(env.host.calls().iter().any(|c| c == "systemctl restart sshd.service"), "{:?}", env.host.calls());

    // A unit that will not start: failed (exit 1), then back-off: the next
    // cycle right away does not restart it again.
    env.host.set_unit("sshd.service", "failed");
    env.host.fail_starts("sshd.service", true);
    env.host.clear_calls();
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("remediation/failed check=services"), "{}", text(&out.stderr));
    let restarts = |env: &TestEnv| env.host.calls().iter().filter(|c| c.starts_with("systemctl restart")).count();
    assert_eq!(restarts(&env), 1);
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("back-off"), "{}", text(&out.stderr));
    assert_eq!(restarts(&env), 1, "restarted again inside the back-off");
    // Fixed by hand: compliant again (and only the MCP, down here, keeps
    // it from exit 0).
    env.host.fail_starts("sshd.service", false);
    env.host.set_unit("sshd.service", "active");
    assert_eq!(env.run(&["--once"]).status.code(), Some(UNDELIVERED));
}

#[test]
fn encryption_drift_is_never_touched_only_alerted() {
    let env = TestEnv::new();
    env.host.remove_volume("cryptroot");
    let out = env.run(&["--once"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("alert/alert check=encryption") && err.contains("reason=drift"), "{err}");
    assert!(
        !env.host
            .calls()
            .iter()
            .any(|c| c.starts_with("cryptsetup open") || c.starts_with("systemctl") && c.contains("crypt")),
        "{:?}",
        env.host.calls()
    );
    // Persisting: not re-alerted within the hour.
    let out = env.run(&["--once"]);
    assert!(!text(&out.stderr).contains("check=encryption reason=drift"), "{}", text(&out.stderr));
}

#[test]
fn a_broken_tool_is_an_error_not_drift_or_compliance() {
    let env = TestEnv::new();
    env.host.behave("systemctl", "garbage");
    let out = env.run(&["check", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let services = v["checks"].as_array().unwrap().iter().find(|c| c["check"] == "services").unwrap();
    assert_eq!(services["verdict"], "error", "{services}");
    assert_eq!(services["drift"], serde_json::Value::Null);
}

/// Runs the agent with its stdout a pipe whose reader is already gone
/// (`compliance-agent … | true`, deterministically).
fn with_closed_stdout(args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = Command::new(agent_bin());
    cmd.args(args).stdin(std::process::Stdio::null()).stdout(writer).stderr(std::process::Stdio::piped());
    let mut g = Guard::spawn(&mut cmd);
    // Drained beside the bounded wait, so a hung agent fails the test.
    let mut pipe = g.child().stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut err = String::new();
        let _ = std::io::Read::read_to_string(&mut pipe, &mut err);
        err
    });
    let status = g.wait_within(Duration::from_secs(60), "agent writing to a closed pipe");
    drop(g);
    std::process::Output { status, stdout: Vec::new(), stderr: reader.join().unwrap().into_bytes() }
}

#[test]
fn a_closed_stdout_ends_the_program_quietly_like_coreutils() {
    use std::os::unix::process::ExitStatusExt;
    let env = TestEnv::new();
    env.run(&["--once"]);
    let config = env.config.display().to_string();
    let db = env.db().display().to_string();
    let key = env.pubkey_pem().display().to_string();
    for args in [
        vec!["--help"],
        vec!["--version"],
        vec!["--config", &config, "check", "--json"],
        vec!["--config", &config, "check"],
        vec!["--config", &config, "status"],
        vec!["evidence", "verify", "--db", &db, "--pubkey", &key],
    ] {
        let out = with_closed_stdout(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.signal(), Some(13), "{args:?}: {:?}\n{err}", out.status);
        assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{args:?}: {err}");
    }
}

#[test]
fn exit_codes_tell_situations_apart_and_once_ends_with_one_readable_line() {
    use compliance_agent::{EXIT_NOINPUT, EXIT_NOPERM, EXIT_UNAVAILABLE, EXIT_USAGE};
    let env = TestEnv::new();
    // Compliant, MCP down: 69, and the closing line says why.
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(EXIT_UNAVAILABLE), "{}", text(&out.stderr));
    let line = text(&out.stdout);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.contains("services compliant") && line.contains("MCP NOT reached (connect:"), "{line}");
    assert!(line.contains(" delivered") && line.contains("queued"), "{line}");
    // The same as JSON for machines.
    let out = env.run(&["--once", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exit_code"], EXIT_UNAVAILABLE);
    assert_eq!(v["mcp_reached"], false);
    assert_eq!(v["checks"]["services"], "compliant");
    // Compliant and delivered: 0.
    let server = support::mcp::McpServer::start();
    env.set_mcp_url(&server.url());
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("MCP reached; ") && !text(&out.stdout).contains("queued"),
        "{}",
        text(&out.stdout)
    );
    // Drift that cannot be healed wins over everything: 1.
    env.host.remove_volume("cryptroot");
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("encryption DRIFT"), "{}", text(&out.stdout));
    // Inputs named on the command line that do not exist: 66.
    let nowhere = env.path().join("nowhere");
    let missing = |args: &[&str]| output_within(Command::new(agent_bin()).args(args), RUN_LIMIT).status.code();
    let n = nowhere.to_str().unwrap();
    let key = env.pubkey_pem();
    let k = key.to_str().unwrap();
    assert_eq!(missing(&["--config", n, "--once"]), Some(EXIT_NOINPUT));
    assert_eq!(missing(&["evidence", "verify", n, "--pubkey", k]), Some(EXIT_NOINPUT));
    assert_eq!(missing(&["evidence", "verify", "--db", n, "--pubkey", k]), Some(EXIT_NOINPUT));
    assert_eq!(
        missing(&["evidence", "export", "--db", n, env.path().join("out").to_str().unwrap()]),
        Some(EXIT_NOINPUT)
    );
    assert_eq!(missing(&["--once", "--frob"]), Some(EXIT_USAGE));
    // Run as someone else than the agent's user (root): 77, not "configuration error".
    let out = output_within(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(agent_bin())
            .arg("--config")
            .arg(&env.config)
            .arg("--once"),
        RUN_LIMIT,
    );
    assert_eq!(out.status.code(), Some(EXIT_NOPERM), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("run the agent as root"), "{}", text(&out.stderr));
}

#[test]
fn plan_says_what_heal_would_do_and_changes_nothing() {
    let server = support::mcp::McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    env.run(&["--once"]);
    let db_before = std::fs::read(env.db()).unwrap();
    // Drift a repair would fix now, and a rebuild order that must wait for
    // the (Sunday night) window.
    env.host.set_unit("sshd.service", "inactive");
    env.patch(|v| {
        v["checks"]["patching"] = serde_json::json!({"flake_ref": "github:clinic/appliance#appl-01",
            "allowed_flake_prefixes": ["github:clinic/appliance"], "max_age_days": 36500});
        v["maintenance_window"] = serde_json::json!({"days": ["sun"], "start": "02:00", "duration_minutes": 1});
    });
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let p = serde_json::json!({"order_id": "o-rebuild", "site_id": "clinic-042", "issued_at": now - 5, "ttl_secs": 86400,
        "action": "nixos_rebuild", "params": {"flake_ref": "github:clinic/appliance#appl-01"}});
    let key = compliance_agent::keys::SigningKey::from_seed([9u8; 32]);
    server.set_orders(vec![compliance_agent::orders::dsse::sign(p.to_string().as_bytes(), &[("test-2026a", &key)])]);
    env.host.clear_calls();
    let out = env.run(&["plan"]);
    let t = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{t}{}", text(&out.stderr));
    assert!(t.contains("services    DRIFT") && t.contains("repair now: services:sshd.service"), "{t}");
    // (Orders live at most a day; the window is days away.)
    assert!(t.contains("order o-rebuild nixos_rebuild: waits for the window opening at"), "{t}");
    assert!(t.contains("but expires before it"), "{t}");
    // Nothing changed: no restart, no rebuild, the database byte for byte,
    // and the order is not consumed (the next --once still sees it new).
    assert!(
        !env.host.calls().iter().any(|c| c.contains("restart") || c.contains("nixos-rebuild")),
        "{:?}",
        env.host.calls()
    );
    assert_eq!(env.host.unit_state("sshd.service"), "inactive");
    assert!(std::fs::read(env.db()).unwrap() == db_before, "plan wrote to the database");
    let v: serde_json::Value = serde_json::from_slice(&env.run(&["plan", "--json"]).stdout).unwrap();
    assert_eq!(v["orders"][0]["acts"], false);
    let services = v["checks"].as_array().unwrap().iter().find(|c| c["check"] == "services").unwrap();
    assert_eq!(services["acts"], true);
    let out = env.run(&["--once"]);
    assert!(text(&out.stderr).contains("accepted order o-rebuild"), "{}", text(&out.stderr));
    // Compliant, nothing to do: 0.
    server.set_orders(vec![]);
    env.patch(|v| {
        v["checks"].as_object_mut().unwrap().remove("patching");
    });
    let out = env.run(&["plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}
