//! The NixOS module's pure half, rendered with `nix-instantiate` (Debian's
//! nix-bin; no nixpkgs): the example configurations are accepted by
//! `config check --offline`, the daemon's unit keeps what the agent
//! relies on, and the generated tool wrappers hand the tool's argv, output
//! and exit status through systemd-run (a stand-in here: systemd is not
//! PID 1 on these machines; the NixOS VM tests run the real one).
//!
//! Without `nix-instantiate` the tests say so and pass, except under CI
//! (`CI` set), where `.ci/run` installs it and a missing one fails.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::env::{agent_bin, ORDER_KEY_B64};
use support::mcp::pki;
use support::simhost::TempDir;

fn nix_instantiate() -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("nix-instantiate"))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "nix-instantiate is missing under CI (.ci/run installs nix-bin)");
        eprintln!("skipped: nix-instantiate not installed (apt-get install nix-bin)");
    }
    found
}

/// `nix-instantiate --eval --strict --json nixos-module/render.nix`.
fn rendered() -> Option<Value> {
    let nix = nix_instantiate()?;
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("nixos-module/render.nix");
    let out = Command::new(nix)
        .args(["--eval", "--strict", "--json"])
        .arg(&file)
        .env("NIX_CONFIG", "build-users-group =")
        .output()
        .unwrap();
    assert!(out.status.success(), "render.nix: {}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn write(path: &Path, bytes: &[u8], mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every absolute path in the configuration, moved under `root`.
fn relocate(v: &mut Value, root: &Path) {
    match v {
        Value::String(s) if s.starts_with('/') => *s = format!("{}{s}", root.display()),
        Value::Array(a) => a.iter_mut().for_each(|x| relocate(x, root)),
        Value::Object(o) => o.values_mut().for_each(|x| relocate(x, root)),
        _ => {}
    }
}

#[test]
fn the_example_configurations_pass_config_check() {
    let Some(r) = rendered() else { return };
    for name in ["direct", "reseller"] {
        let mut cfg = r["examples"][name]["settings"].clone();
        assert_eq!(cfg["deployment_mode"], name);
        // Stand-ins for what sops-nix and the system provide, at the same
        // paths under a temporary root. One substitution: the order keys,
        // because the firewall baseline must be signed by one of them and
        // only the test key's seed is known here.
        let dir = TempDir::new(&format!("nixos-example-{name}"));
        let root = dir.path();
        relocate(&mut cfg, root);
        cfg["mcp"]["order_keys"] = serde_json::json!([{"keyid": "test-2026a", "public_key": ORDER_KEY_B64}]);
        let path = |v: &Value| PathBuf::from(v.as_str().unwrap());
        write(&path(&cfg["mcp"]["ca_file"]), &std::fs::read(pki("ca.pem")).unwrap(), 0o644);
        write(&path(&cfg["mcp"]["client_cert_file"]), &std::fs::read(pki("client.pem")).unwrap(), 0o644);
        write(&path(&cfg["mcp"]["client_key_file"]), &std::fs::read(pki("client.key")).unwrap(), 0o600);
        let key = path(&cfg["signing_key_file"]);
        std::fs::create_dir_all(key.parent().unwrap()).unwrap();
        let keygen = Command::new(agent_bin()).arg("keygen").arg("--out").arg(&key).output().unwrap();
        assert!(keygen.status.success(), "{}", String::from_utf8_lossy(&keygen.stderr));
        let baseline = b"table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n";
        let sig = compliance_agent::keys::SigningKey::from_seed([9; 32]).sign(baseline);
        write(&path(&cfg["checks"]["firewall"]["baseline_file"]), baseline, 0o644);
        write(&path(&cfg["checks"]["firewall"]["baseline_sig_file"]), &sig, 0o644);
        for (_, tool) in cfg["tools"].as_object().unwrap() {
            write(&path(tool), b"#!/bin/sh\nexit 0\n", 0o755);
        }
        let file = root.join("etc/compliance-agent/config.json");
        write(&file, serde_json::to_string_pretty(&cfg).unwrap().as_bytes(), 0o644);
        let out = Command::new(agent_bin())
            .arg("--config")
            .arg(&file)
            .args(["config", "check", "--offline", "--json"])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(out.status.code(), Some(0), "{name}: {report:#}");
        for f in report["findings"].as_array().unwrap() {
            assert_eq!(f["level"], "ok", "{name}: {f}");
        }
        // Every tool the enabled checks need was looked at, and the time
        // zone loaded (America/Chicago, Europe/Berlin from the tz database).
        let items: Vec<&str> =
            report["findings"].as_array().unwrap().iter().filter_map(|f| f["item"].as_str()).collect();
        for t in
            ["tools.nft", "tools.unshare", "tools.cryptsetup", "tools.nixos_rebuild", "checks.firewall.baseline_file"]
        {
            assert!(items.contains(&t), "{name}: {t} not checked: {items:?}");
        }
    }
}

fn unit<'a>(r: &'a Value, name: &str) -> &'a str {
    r["units"][name].as_str().unwrap_or_else(|| panic!("{name} not rendered"))
}

fn directives<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines().filter_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix('='))).collect()
}

#[test]
fn the_daemon_unit_keeps_what_the_agent_relies_on() {
    let Some(r) = rendered() else { return };
    let daemon = unit(&r, "compliance-agent.service");
    for (key, want) in [
        ("Type", "notify"),
        ("NotifyAccess", "main"),
        ("Restart", "on-failure"),
        ("StateDirectory", "compliance-agent"),
        ("StateDirectoryMode", "0700"),
        ("SocketBindDeny", "any"),
        ("CapabilityBoundingSet", ""),
        ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
        ("Environment", "TZDIR=/etc/zoneinfo"),
        ("IPAddressDeny", "any"),
        ("LimitCORE", "0"),
        ("KillMode", "mixed"),
    ] {
        assert_eq!(directives(daemon, key), [want], "{key} in\n{daemon}");
    }
    // The longest step that cannot feed the watchdog is an MCP request:
    // the default connect + request timeouts (10 + 30 s) stay below half
    // of WatchdogSec, where the agent pings.
    let watchdog: u64 = directives(daemon, "WatchdogSec")[0].parse().unwrap();
    assert!(2 * (10 + 30) < watchdog, "WatchdogSec={watchdog}");
    // No listening socket, in any family.
    assert!(directives(daemon, "SystemCallFilter").iter().any(|f| f.starts_with('~') && f.contains("listen")));
    // The rebuild must not restart the daemon: restartIfChanged is a NixOS
    // option, not a directive; the maintenance run takes the lock in turn.
    let once = unit(&r, "compliance-agent-once.service");
    assert_eq!(directives(once, "Type"), ["oneshot"]);
    assert!(directives(once, "ExecStart")[0].ends_with(" --once"));
    assert_eq!(directives(once, "Conflicts"), ["compliance-agent.service"]);
    // Every helper is a unit of its own with a bounded run time.
    for h in ["nft", "netns", "storage", "restic", "rebuild"] {
        let text = unit(&r, &format!("compliance-agent-helper-{h}.service"));
        assert_eq!(directives(text, "RuntimeMaxSec").len(), 1, "{h}");
    }
    assert_eq!(directives(unit(&r, "compliance-agent-helper-netns.service"), "PrivateNetwork"), ["yes"]);
}

/// Writes the rendered wrapper `name` with systemd-run and the tools
/// replaced by stand-ins under `dir`; returns its path.
fn wrapper(r: &Value, name: &str, dir: &Path, swaps: &[(&str, &Path)]) -> PathBuf {
    let mut text = r["wrappers"][name].as_str().unwrap().to_string();
    let first = text.lines().next().unwrap().to_string();
    text = text.replacen(&first, "#!/bin/bash", 1);
    for (from, to) in swaps {
        text = text.replace(from, &to.display().to_string());
    }
    let p = dir.join(format!("wrapper-{name}"));
    write(&p, text.as_bytes(), 0o755);
    p
}

/// A stand-in for `systemd-run --wait --pipe`: records its arguments and
/// runs the command after `--` with the caller's stdin/stdout/stderr, as
/// --pipe does, exiting with its status.
fn fake_systemd_run(dir: &Path) -> PathBuf {
    let p = dir.join("systemd-run");
    let log = dir.join("systemd-run.args");
    let script = format!(
        "#!/bin/bash\nprintf '%s\\n' \"$@\" > {log}\nwhile [ \"$1\" != -- ]; do shift; done\nshift\n\"$@\"\nexit $?\n",
        log = log.display()
    );
    write(&p, script.as_bytes(), 0o755);
    p
}

#[test]
fn wrappers_pass_argv_output_and_exit_status_through() {
    let Some(r) = rendered() else { return };
    let dir = TempDir::new("nixos-wrappers");
    let run = fake_systemd_run(dir.path());
    let tool = dir.path().join("nft");
    write(&tool, b"#!/bin/bash\necho \"out $*\"\necho err >&2\nexit 3\n", 0o755);
    let store_run = "/nix/store/00000000000000000000000000000000-systemd-257/bin/systemd-run";
    let store_nft = "/nix/store/00000000000000000000000000000000-nftables-1.1.1/bin/nft";
    let w = wrapper(&r, "nft", dir.path(), &[(store_run, &run), (store_nft, &tool)]);
    let out = Command::new(&w).args(["-s", "list", "ruleset"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out -s list ruleset\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");
    let args = std::fs::read_to_string(dir.path().join("systemd-run.args")).unwrap();
    for want in ["--wait", "--pipe", "--collect", "--quiet", "CapabilityBoundingSet=CAP_NET_ADMIN", "RuntimeMaxSec=30"]
    {
        assert!(args.lines().any(|l| l == want), "{want} missing from {args}");
    }

    // tools.unshare: only the firewall check's exact command line, with
    // this agent binary; the real nft replaces the nft wrapper inside.
    let agent = "/nix/store/00000000000000000000000000000000-compliance-agent-0.1.0/bin/compliance-agent";
    let nft_wrapper = "/nix/store/00000000000000000000000000000000-compliance-agent-tool-nft";
    let fake_agent = dir.path().join("agent");
    write(&fake_agent, b"#!/bin/bash\necho \"$*\"\n", 0o755);
    let w = wrapper(&r, "unshare", dir.path(), &[(store_run, &run), (agent, &fake_agent), (store_nft, &tool)]);
    let good = |nft: &str| {
        let a = fake_agent.display().to_string();
        vec!["--net", "--", &a, "__nft-canonical", "--not-netns", "net:[4026531840]", nft, "/etc/b.nft"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let out = Command::new(&w).args(good(nft_wrapper)).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("__nft-canonical --not-netns net:[4026531840] {} /etc/b.nft\n", tool.display())
    );
    let args = std::fs::read_to_string(dir.path().join("systemd-run.args")).unwrap();
    assert!(args.lines().any(|l| l == "PrivateNetwork=yes"), "{args}");
    let mut wrong_agent = good(nft_wrapper);
    wrong_agent[2] = "/bin/sh".into();
    let mut wrong_nft = good(nft_wrapper);
    wrong_nft[6] = "/tmp/nft".into();
    let mut extra = good(nft_wrapper);
    extra.push("x".into());
    for bad in [wrong_agent, wrong_nft, extra, vec!["--net".into(), "--".into(), "/bin/sh".into()]] {
        let out = Command::new(&w).args(&bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("Error: "), "{bad:?}");
    }
}
