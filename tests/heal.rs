//! Self-healing end to end on the simulated host: the seed plan's "rebuild
//! failure → automatic rollback + evidence reverted", a rollback that itself
//! fails (failed + alert, never reverted), a rebuild that fails before
//! activating, the maintenance window, and kill -9 at each step of a slow
//! remediation (no half-applied change, exactly one closing bundle).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use serde_json::{json, Value};
use std::process::{Command, Output};
use support::env::{agent_bin, TestEnv, UNDELIVERED};
use support::simhost::{FLAKE_REF, OTHER_REVISION, REVISION};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Patching enabled and drifted: the running revision is REVISION, the
/// approved one OTHER_REVISION, which the approved flake builds.
fn patching_env(window_open: bool) -> TestEnv {
    let env = TestEnv::new();
    env.host.add_flake(FLAKE_REF, OTHER_REVISION);
    let link = env.host.current_system().display().to_string();
    let window = if window_open {
        json!({"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "duration_minutes": 1440})
    } else {
        // One minute, a week from now: closed.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let day = ["thu", "fri", "sat", "sun", "mon", "tue", "wed"][((now / 86_400 + 3) % 7) as usize];
        let minute = (now % 86_400) / 60;
        let start = (minute + 720) % 1440;
        json!({"days": [day], "start": format!("{:02}:{:02}", start / 60, start % 60), "duration_minutes": 1})
    };
    env.patch(move |v| {
        v["checks"]["patching"] = json!({
            "flake_ref": FLAKE_REF, "allowed_flake_prefixes": ["github:clinic/appliance"],
            "expected_revision": OTHER_REVISION, "current_system": link,
        });
        v["maintenance_window"] = window;
    });
    env
}

/// Bundles written in a run (attest and heal), as logged.
fn bundles(o: &Output) -> Vec<String> {
    text(&o.stderr)
        .lines()
        .filter_map(|l| {
            l.split_once("attest: bundle ").or_else(|| l.split_once("heal: bundle ")).map(|(_, r)| r.to_string())
        })
        .filter(|l| !l.contains(": cycle/"))
        .collect()
}

fn export(env: &TestEnv) -> Vec<Value> {
    let dir = env.path().join(format!("export-{}", std::process::id() as u128 + rand_suffix()));
    let o = support::child::output_within(
        Command::new(agent_bin()).args(["evidence", "export", "--db"]).arg(env.db()).arg(&dir),
        support::child::RUN_LIMIT,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mut out: Vec<(u64, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let v: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
            (v["seq"].as_u64().unwrap(), v)
        })
        .collect();
    out.sort_by_key(|(s, _)| *s);
    out.into_iter().map(|(_, v)| v).collect()
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

fn patching_closings(env: &TestEnv) -> Vec<Value> {
    export(env).into_iter().filter(|b| b["kind"] == "remediation" && b["check"] == "patching").collect()
}

#[test]
fn a_good_rebuild_switches_and_records_the_approved_revision() {
    let env = patching_env(true);
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(UNDELIVERED), "{}", text(&out.stderr));
    assert_eq!(env.host.current_revision(), OTHER_REVISION);
    let c = patching_closings(&env);
    assert_eq!(c.len(), 1, "{c:#?}");
    assert_eq!(c[0]["outcome"], "success");
    assert_eq!(c[0]["pre_state"]["configuration_revision"], REVISION);
    assert_eq!(c[0]["post_state"]["configuration_revision"], OTHER_REVISION);
    assert!(
        c[0]["actions"].as_array().unwrap().iter().any(|a| a["argv"][1] == "switch" && a["argv"][3] == FLAKE_REF),
        "{}",
        c[0]
    );
}

#[test]
fn rebuild_failure_rolls_back_with_reverted_evidence() {
    // Seed plan case 4.
    let env = patching_env(true);
    env.host.behave("nixos-rebuild-switch", "degrade");
    let before = env.host.current_system();
    let before_target = std::fs::read_link(&before).unwrap();
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let c = patching_closings(&env);
    assert_eq!(c.len(), 1, "{c:#?}");
    assert_eq!(c[0]["outcome"], "reverted", "{}", c[0]);
    assert_eq!(c[0]["reason"], "health_check_failed");
    // The recorded system is current again, and the system is healthy.
    assert_eq!(std::fs::read_link(&before).unwrap(), before_target);
    assert_eq!(env.host.current_revision(), REVISION);
    assert_eq!(env.host.system_state(), "running");
    let calls = env.host.calls();
    assert!(calls.iter().any(|c| c == "nixos-rebuild switch --rollback"), "{calls:?}");
}

#[test]
fn a_rollback_that_fails_is_failed_and_alerted_never_reverted() {
    let env = patching_env(true);
    env.host.behave("nixos-rebuild-switch", "degrade");
    env.host.behave("nixos-rebuild-rollback", "fail 1");
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(1));
    let all = export(&env);
    let c: Vec<&Value> = all.iter().filter(|b| b["kind"] == "remediation" && b["check"] == "patching").collect();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["outcome"], "failed", "{}", c[0]);
    assert_eq!(c[0]["reason"], "rollback_failed");
    assert!(
        all.iter().any(|b| b["kind"] == "alert" && b["check"] == "patching" && b["reason"] == "rollback_failed"),
        "{all:#?}"
    );
    assert!(!all.iter().any(|b| b["outcome"] == "reverted"));
}

#[test]
fn a_rebuild_that_fails_before_activating_leaves_the_system_unchanged() {
    let env = patching_env(true);
    env.host.behave("nixos-rebuild-switch", "fail 1 error: builder for '/nix/store/x.drv' failed");
    let gen_before = env.host.current_generation();
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(1));
    let c = patching_closings(&env);
    assert_eq!(
        (c[0]["outcome"].as_str(), c[0]["reason"].as_str()),
        (Some("failed"), Some("rebuild_failed")),
        "{}",
        c[0]
    );
    assert_eq!(env.host.current_generation(), gen_before);
    assert!(!env.host.calls().iter().any(|c| c.contains("--rollback")), "nothing to roll back");
}

#[test]
fn outside_the_window_nothing_disruptive_runs_and_it_is_deferred_once() {
    let env = patching_env(false);
    for _ in 0..3 {
        let out = env.run(&["--once"]);
        assert_eq!(out.status.code(), Some(1));
    }
    assert!(!env.host.calls().iter().any(|c| c.starts_with("nixos-rebuild")), "{:?}", env.host.calls());
    let deferred: Vec<Value> = export(&env).into_iter().filter(|b| b["outcome"] == "deferred").collect();
    assert_eq!(deferred.len(), 1, "one deferred bundle per drift episode: {deferred:#?}");
    assert_eq!(deferred[0]["reason"], "outside_window");
    assert!(deferred[0]["detail"].as_str().unwrap().contains("next maintenance window opens at"));
    // Inside the window, the deferred work runs, once.
    env.patch(|v| v["maintenance_window"] = json!({"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "duration_minutes": 1440}));
    assert_eq!(env.run(&["--once"]).status.code(), Some(UNDELIVERED));
    assert_eq!(env.run(&["--once"]).status.code(), Some(UNDELIVERED));
    let switches = env.host.calls().iter().filter(|c| c.starts_with("nixos-rebuild switch --flake")).count();
    assert_eq!(switches, 1);
}

#[test]
fn kill_9_at_every_step_of_a_rebuild_leaves_no_half_change_and_one_closing_bundle() {
    for (point, degrade) in
        [("heal-journaled", false), ("heal-acted", false), ("heal-acted", true), ("heal-closed", false)]
    {
        let env = patching_env(true);
        if degrade {
            env.host.behave("nixos-rebuild-switch", "degrade");
        }
        let crashed = env.run_crashing_at(point);
        assert!(text(&crashed.stderr).contains(&format!("crashpoint {point}")), "{point}: {}", text(&crashed.stderr));
        env.host.clear_behaviour("nixos-rebuild-switch");
        // Restart: the open journal row is resolved first.
        let out = env.run(&["--once"]);
        let c = patching_closings(&env);
        let first = &c[0];
        match (point, degrade) {
            ("heal-journaled", _) => {
                // Killed before acting: recovery closes it (nothing changed),
                // then this cycle heals for real.
                assert_eq!(
                    (first["outcome"].as_str(), first["reason"].as_str()),
                    (Some("failed"), Some("interrupted")),
                    "{c:#?}"
                );
                assert_eq!(c.len(), 2, "{point}: {c:#?}");
                assert_eq!(c[1]["outcome"], "success");
            }
            ("heal-acted", false) => {
                assert_eq!(
                    (first["outcome"].as_str(), first["reason"].as_str()),
                    (Some("success"), Some("interrupted")),
                    "{c:#?}"
                );
                assert_eq!(c.len(), 1, "{point}: healthy after recovery, nothing more to do: {c:#?}");
            }
            ("heal-acted", true) => {
                assert_eq!(
                    (first["outcome"].as_str(), first["reason"].as_str()),
                    (Some("reverted"), Some("interrupted")),
                    "{c:#?}"
                );
                assert_eq!(env.host.system_state(), "running", "rolled back to the healthy system");
            }
            _ => {
                // Killed after the closing bundle committed: nothing to resolve.
                assert_eq!(c.len(), 1, "{point}: {c:#?}");
                assert_eq!(first["outcome"], "success");
            }
        }
        // The journal is closed: a further start resolves nothing.
        let again = env.run(&["--once"]);
        assert!(!text(&again.stderr).contains("resolved an interrupted remediation"), "{point}");
        let _ = out;
        let verify = support::child::output_within(
            Command::new(agent_bin())
                .args(["evidence", "verify", "--db"])
                .arg(env.db())
                .arg("--pubkey")
                .arg(env.pubkey_pem()),
            support::child::RUN_LIMIT,
        );
        assert_eq!(verify.status.code(), Some(0), "{point}: {}", text(&verify.stdout));
    }
}

#[test]
fn recovery_waits_for_a_rebuild_helper_that_outlived_the_agent() {
    // Under the NixOS module nixos-rebuild runs in the helper unit
    // compliance-agent-helper-rebuild.service, which keeps going when the agent is
    // killed. The restarted agent must not judge the system until it ends.
    let env = patching_env(true);
    let crashed = env.run_crashing_at("heal-acted");
    assert!(text(&crashed.stderr).contains("crashpoint heal-acted"), "{}", text(&crashed.stderr));
    env.host.set_unit("compliance-agent-helper-rebuild.service", "active");
    let (calls, unit) = (env.host.path("calls.log"), env.host.path("units/compliance-agent-helper-rebuild.service"));
    let query =
        "systemctl is-active nixos-rebuild-switch-to-configuration.service compliance-agent-helper-rebuild.service";
    let finisher = std::thread::spawn(move || {
        // The helper finishes once the agent has asked twice. Not after the
        // first ask: the fake systemctl logs its call before it reads the
        // unit, so flipping then could make that very query see the helper
        // already gone (it did, one run in a few on a loaded machine).
        // An agent that went on after one look never asks twice: this times
        // out and the test fails.
        for _ in 0..600 {
            if std::fs::read_to_string(&calls).unwrap_or_default().lines().filter(|l| *l == query).count() >= 2 {
                std::fs::write(&unit, "inactive\n").unwrap();
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    });
    env.host.clear_calls();
    let out = env.run(&["--once"]);
    assert!(finisher.join().unwrap(), "the restarted agent never asked about the rebuild units");
    let calls = env.host.calls();
    let asked: Vec<usize> = calls.iter().enumerate().filter(|(_, c)| *c == query).map(|(i, _)| i).collect();
    assert!(asked.len() >= 2, "it asked once and went on while the helper ran: {calls:#?}");
    // Nothing was judged or rolled back while the helper ran: the first
    // call after the last query is where recovery resumed.
    assert!(
        !calls[..asked[asked.len() - 1]].iter().any(|c| c.starts_with("nixos-rebuild") || c.contains(" rollback")),
        "{calls:#?}"
    );
    let c = patching_closings(&env);
    assert_eq!(
        (c[0]["outcome"].as_str(), c[0]["reason"].as_str()),
        (Some("success"), Some("interrupted")),
        "{c:#?}\n{}",
        text(&out.stderr)
    );
}

#[test]
fn backups_heal_starts_the_unit_and_rechecks() {
    let env = TestEnv::new();
    let manifest = env.path().join("manifest");
    std::fs::write(&manifest, "files\n").unwrap();
    let sum = compliance_agent::encoding::sha256_hex(b"files\n");
    let status = env.path().join("last-success");
    std::fs::write(
        &status,
        format!(r#"{{"timestamp": 1000000000, "checksum": "{sum}", "manifest": "{}"}}"#, manifest.display()),
    )
    .unwrap();
    // The backup unit writes a fresh status file when started.
    env.host.hook(
        "backup.service",
        &format!("echo \"{{\\\"timestamp\\\": $(date +%s), \\\"checksum\\\": \\\"{sum}\\\", \\\"manifest\\\": \\\"{}\\\"}}\" > {}", manifest.display(), status.display()),
    );
    let st = status.display().to_string();
    env.patch(move |v| v["checks"]["backups"] = json!({"status_file": st, "unit": "backup.service"}));
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(UNDELIVERED), "{}", text(&out.stderr));
    let b = bundles(&out);
    assert!(b.iter().any(|l| l.contains("remediation/success check=backups")), "{b:#?}");
    assert!(env.host.calls().iter().any(|c| c == "systemctl start backup.service"));
    // A backup job that does not help: failed + alert.
    std::fs::write(
        &status,
        format!(r#"{{"timestamp": 1000000000, "checksum": "{sum}", "manifest": "{}"}}"#, manifest.display()),
    )
    .unwrap();
    env.host.hook("backup.service", "true");
    env.host.clear_calls();
    let _ = env.run(&["--once"]); // back-off of the earlier episode was reset by success
    let all = export(&env);
    assert!(
        all.iter().any(|b| b["kind"] == "remediation" && b["check"] == "backups" && b["outcome"] == "failed"),
        "{all:#?}"
    );
    assert!(all.iter().any(|b| b["kind"] == "alert" && b["check"] == "backups"), "{all:#?}");
}

#[test]
fn logging_heal_restarts_journald() {
    let env = TestEnv::new();
    env.host.set_unit("systemd-journald.service", "inactive");
    let out = env.run(&["--once"]);
    assert_eq!(out.status.code(), Some(UNDELIVERED), "{}", text(&out.stderr));
    assert!(env.host.calls().iter().any(|c| c == "systemctl restart systemd-journald.service"));
    assert!(bundles(&out).iter().any(|l| l.contains("remediation/success check=logging")), "{:#?}", bundles(&out));
}
