//! The log as journald and as a person see it, with the real binary:
//! priorities that follow what happened (<3> a check error or a failed
//! heal, <4> drift, <5> a heal that held), one line per message however
//! many lines a tool printed, start-up errors once, plain lines on a
//! terminal, and a rebuild that says what it is doing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};
use std::time::Duration;
use support::child::{output_within, Guard, RUN_LIMIT};
use support::env::{agent_bin, TestEnv};
use support::notify::NotifySocket;
use support::simhost::{FLAKE_REF, OTHER_REVISION};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Lines of `log` that start with `prefix`.
fn lines<'a>(log: &'a str, prefix: &str) -> Vec<&'a str> {
    log.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// Points `tool` at a script that prints two lines on stderr and fails.
fn two_line_failure(env: &TestEnv, tool: &str) {
    let path = env.path().join(format!("{tool}-two-lines"));
    std::fs::write(&path, "#!/bin/sh\nprintf 'first line\\nsecond line\\n' >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (tool, path) = (tool.to_string(), path.display().to_string());
    env.patch(move |v| v["tools"][tool] = json!(path));
}

#[test]
fn priorities_follow_what_happened_and_a_message_is_one_line() {
    let env = TestEnv::new();
    two_line_failure(&env, "lsblk");
    env.host.set_unit("sshd.service", "failed");
    let out = env.run(&["--once"]);
    let log = text(&out.stderr);
    assert_eq!(lines(&log, "<6>detect: logging: Compliant").len(), 1, "{log}");
    assert_eq!(lines(&log, "<4>detect: services: Drift").len(), 1, "{log}");
    let error = lines(&log, "<3>detect: encryption: Error");
    assert_eq!(error.len(), 1, "{log}");
    assert!(error[0].ends_with("lsblk: exited 1: first line\\nsecond line"), "{}", error[0]);
    // Every line of the log is one whole record with its priority.
    for l in log.lines() {
        assert!(l.len() > 3 && l.starts_with('<') && l.as_bytes()[2] == b'>', "a record split over lines: {l:?}");
    }
    // A heal that held is a notice.
    let healed = lines(&log, "<5>heal: bundle ");
    assert!(healed.len() == 1 && healed[0].contains("remediation/success check=services"), "{log}");

    // A heal that failed is an error.
    env.host.set_unit("sshd.service", "failed");
    env.host.fail_starts("sshd.service", true);
    let log = text(&env.run(&["--once"]).stderr);
    let failed = lines(&log, "<3>heal: bundle ");
    assert!(failed.len() == 1 && failed[0].contains("remediation/failed check=services"), "{log}");
    assert!(lines(&log, "<5>").is_empty(), "{log}");
}

#[test]
fn a_start_up_error_is_written_once() {
    let env = TestEnv::new();
    std::fs::set_permissions(&env.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(compliance_agent::EXIT_CONFIG));
    let err = text(&out.stderr);
    assert_eq!(err.matches("signing_key_file").count(), 1, "{err}");
    assert_eq!(lines(&err, "<3>configuration error: ").len(), 1, "{err}");
    // Before the logger exists, once on stderr as before.
    env.write_config("{");
    let err = text(&env.run(&["--once"]).stderr);
    assert_eq!(err.matches("configuration error").count(), 1, "{err}");
}

/// Runs the agent with `args` on a pseudo-terminal (script(1)); None when
/// script(1) is not installed.
fn on_a_terminal(env: &TestEnv, args: &str) -> Option<(Option<i32>, String)> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("script(1) is not installed: terminal output not tested");
        return None;
    }
    let cmd = format!("{} --config {} {args}", agent_bin().display(), env.config.display());
    let out: Output = output_within(Command::new("script").args(["-qefc", &cmd, "/dev/null"]), RUN_LIMIT);
    Some((out.status.code(), text(&out.stdout).replace("\r\n", "\n")))
}

#[test]
fn on_a_terminal_lines_are_plain_and_errors_appear_once() {
    let env = TestEnv::new();
    env.host.set_unit("sshd.service", "failed");
    env.host.fail_starts("sshd.service", true);
    let Some((_, tty)) = on_a_terminal(&env, "--once") else { return };
    assert_eq!(lines(&tty, "state poll -> detect").len(), 1, "{tty}");
    assert_eq!(lines(&tty, "warning: detect: services: Drift").len(), 1, "{tty}");
    assert_eq!(lines(&tty, "error: heal: bundle ").len(), 1, "{tty}");
    assert!(!tty.lines().any(|l| l.starts_with("<") && l.as_bytes().get(2) == Some(&b'>')), "{tty}");

    std::fs::set_permissions(&env.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, tty) = on_a_terminal(&env, "--once").unwrap();
    assert_eq!(code, Some(compliance_agent::EXIT_CONFIG), "{tty}");
    assert_eq!(tty.matches("signing_key_file").count(), 1, "{tty}");
    assert_eq!(lines(&tty, "error: configuration error: ").len(), 1, "{tty}");
}

#[test]
fn a_rebuild_says_what_it_is_doing_in_the_log_and_to_systemd() {
    let env = TestEnv::new();
    env.host.add_flake(FLAKE_REF, OTHER_REVISION);
    let link = env.host.current_system().display().to_string();
    env.patch(move |v| {
        v["checks"]["patching"] = json!({
            "flake_ref": FLAKE_REF, "allowed_flake_prefixes": ["github:clinic/appliance"],
            "expected_revision": OTHER_REVISION, "current_system": link,
        });
        v["maintenance_window"] =
            json!({"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "duration_minutes": 1440});
    });
    let mut n = NotifySocket::bind(env.path());
    let mut daemon =
        Guard::spawn_logged(Command::new(agent_bin()).arg("--config").arg(&env.config).env("NOTIFY_SOCKET", n.path()));
    assert!(n.wait_for("STATUS=heal: rebuilding the system", Duration::from_secs(30)), "{:?}", n.seen);
    assert!(n.wait_for("STATUS=heal: checking the rebuilt system", Duration::from_secs(30)), "{:?}", n.seen);
    assert!(n.wait_for("STATUS=attest", Duration::from_secs(30)), "{:?}", n.seen);
    let want = format!("<6>heal: nixos-rebuild switch --flake {FLAKE_REF} (this can take minutes)");
    assert!(daemon.wait_log(&want, Duration::from_secs(5)), "{}", daemon.log());
    assert!(daemon.wait_log("flush -> idle", Duration::from_secs(30)), "{}", daemon.log());
    daemon.signal("TERM");
    daemon.wait_timeout(Duration::from_secs(20)).expect("daemon stops on SIGTERM");
    let log = daemon.log();
    let started = log.find(&want).unwrap();
    let switched = log.find(&format!("heal: nixos-rebuild switch --flake {FLAKE_REF} (exit 0")).unwrap();
    assert!(started < switched, "{log}");
    assert!(lines(&log, "<5>heal: bundle ").iter().any(|l| l.contains("remediation/success check=patching")), "{log}");
}
