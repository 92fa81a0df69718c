//! The simulated host's fake tools, run the way the agent runs the real
//! ones: by absolute path, no shell, environment cleared but for `PATH` and
//! `LC_ALL=C`. These tests pin the formats and exit codes the agent's parsers
//! are written against (see tests/simhost/README.md for where each comes
//! from), the state changes, and every scripted behaviour.

#[path = "support/child.rs"]
#[allow(dead_code, clippy::expect_used, clippy::unwrap_used)] // only the guard is used; test code may panic
mod child;
#[path = "support/simhost.rs"]
mod simhost;

use simhost::{SimHost, Volume, FLAKE_REF, NIXPKGS_REVISION, OTHER_REVISION, REVISION};
use std::io::Write;
use std::process::{Child, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// The value, or a failed test naming what went wrong (helpers are not
/// test functions, so clippy's test exemption for `unwrap` does not cover them).
fn ok<T, E: std::fmt::Debug>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("{what}: {e:?}"),
    }
}

fn run(sim: &SimHost, tool: &str, args: &[&str]) -> Output {
    let out = ok(sim.command(tool).args(args).stdin(Stdio::null()).output(), tool);
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run_with_stdin(sim: &SimHost, tool: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = ok(
        sim.command(tool).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn(),
        tool,
    );
    let Some(mut pipe) = child.stdin.take() else {
        panic!("{tool}: no stdin pipe");
    };
    ok(pipe.write_all(stdin.as_bytes()), "write stdin");
    drop(pipe);
    let out = ok(child.wait_with_output(), tool);
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Polls for the child's exit for at most `limit`.
fn wait_at_most(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = ok(child.try_wait(), "try_wait") {
            return Some(status);
        }
        if start.elapsed() >= limit {
            return None;
        }
        sleep(Duration::from_millis(10));
    }
}

/// Polls until `pid` is gone, for at most `limit`.
fn gone_within(pid: u32, limit: Duration) -> bool {
    let start = Instant::now();
    while simhost::process_alive(pid) {
        if start.elapsed() >= limit {
            return false;
        }
        sleep(Duration::from_millis(10));
    }
    true
}

// ---- the host itself --------------------------------------------------------

#[test]
fn wrappers_and_tools_json_point_into_the_state_dir() {
    let sim = SimHost::new();
    let json = sim.tools_json();
    for (key, tool) in [
        ("systemctl", "systemctl"),
        ("nft", "nft"),
        ("nixos_rebuild", "nixos-rebuild"),
        ("nixos_version", "nixos-version"),
        ("cryptsetup", "cryptsetup"),
        ("lsblk", "lsblk"),
        ("journalctl", "journalctl"),
        ("logger", "logger"),
    ] {
        let path = sim.tool_path(tool);
        assert!(path.is_absolute() && path.starts_with(sim.root()), "{}", path.display());
        assert!(json.contains(&format!("\"{key}\": \"{}\"", path.display())), "{json}");
        let wrapper = std::fs::read_to_string(&path).unwrap();
        assert!(wrapper.contains(simhost::TOOLS_DIR), "{wrapper}");
        assert!(wrapper.contains(&*sim.root().to_string_lossy()), "{wrapper}");
    }
}

#[test]
fn temp_dir_is_removed_on_drop() {
    if std::env::var_os("KEEP_SIMHOST").is_some() {
        return;
    }
    let sim = SimHost::new();
    let root = sim.root().to_path_buf();
    assert!(root.join("units/sshd.service").is_file());
    drop(sim);
    assert!(!root.exists());
}

#[test]
fn every_call_is_logged_with_its_arguments() {
    let sim = SimHost::new();
    run(&sim, "systemctl", &["is-active", "--quiet", "sshd.service"]);
    run(&sim, "nixos-version", &["--json"]);
    run(&sim, "logger", &["-t", "canary", "two words"]);
    assert_eq!(
        sim.calls(),
        ["systemctl is-active --quiet sshd.service", "nixos-version --json", "logger -t canary two words"]
    );
    assert_eq!(sim.calls_to("nixos-version"), ["nixos-version --json"]);
}

// ---- systemctl ----------------------------------------------------------------

#[test]
fn is_active_prints_one_state_per_unit_in_order() {
    let sim = SimHost::new();
    sim.set_unit("backup.service", "failed");
    sim.set_unit("nginx.service", "activating");
    let out = run(&sim, "systemctl", &["is-active", "sshd.service", "backup.service", "nope.service", "nginx"]);
    assert_eq!(out.stdout, "active\nfailed\ninactive\nactivating\n");
    // Like systemd: 0 when any unit is active, so callers must read the lines.
    assert_eq!(out.code, Some(0));
}

#[test]
fn is_active_exit_codes_follow_systemd() {
    let sim = SimHost::new();
    sim.set_unit("sshd.service", "inactive");
    sim.set_unit("backup.service", "failed");
    let out = run(&sim, "systemctl", &["is-active", "sshd.service", "backup.service"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(3), "inactive\nfailed\n"));
    let out = run(&sim, "systemctl", &["is-active", "a.service", "b.service"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(4), "inactive\ninactive\n"));
    sim.set_unit("sshd.service", "reloading");
    let out = run(&sim, "systemctl", &["--no-pager", "is-active", "--quiet", "sshd.service"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), ""));
    let out = run(&sim, "systemctl", &["is-active"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "Too few arguments.\n"));
}

#[test]
fn restart_activates_the_unit_and_runs_its_hook() {
    let sim = SimHost::new();
    sim.set_unit("backup.service", "failed");
    sim.hook("backup.service", "echo done >\"$SIMHOST_DIR/backup-ran\"");
    let out = run(&sim, "systemctl", &["restart", "backup.service"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""));
    assert_eq!(sim.unit_state("backup.service"), "active");
    assert_eq!(sim.read("backup-ran"), "done\n");
    let out = run(&sim, "systemctl", &["stop", "sshd"]);
    assert_eq!(out.code, Some(0));
    assert_eq!(sim.unit_state("sshd.service"), "inactive");
    run(&sim, "systemctl", &["start", "sshd.service"]);
    assert_eq!(sim.unit_state("sshd.service"), "active");
}

#[test]
fn a_failing_restart_leaves_the_unit_failed() {
    let sim = SimHost::new();
    sim.set_unit("sshd.service", "inactive");
    sim.fail_starts("sshd.service", true);
    let out = run(&sim, "systemctl", &["restart", "sshd.service"]);
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr,
        "Job for sshd.service failed because the control process exited with error code.\n\
         See \"systemctl status sshd.service\" and \"journalctl -xeu sshd.service\" for details.\n"
    );
    assert_eq!(sim.unit_state("sshd.service"), "failed");
    sim.fail_starts("sshd.service", false);
    assert_eq!(run(&sim, "systemctl", &["restart", "sshd.service"]).code, Some(0));
    assert_eq!(sim.unit_state("sshd.service"), "active");
}

#[test]
fn unknown_units_and_verbs_are_refused_like_systemctl() {
    let sim = SimHost::new();
    let out = run(&sim, "systemctl", &["start", "nope.service"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (Some(5), "Failed to start nope.service: Unit nope.service not found.\n")
    );
    assert!(!sim.has_unit("nope.service"));
    let out = run(&sim, "systemctl", &["frobnicate", "sshd.service"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "Unknown command verb 'frobnicate'.\n"));
    let out = run(&sim, "systemctl", &["--bogus", "is-active", "sshd.service"]);
    assert_eq!(out.code, Some(1));
}

#[test]
fn system_state_and_show() {
    let sim = SimHost::new();
    let out = run(&sim, "systemctl", &["is-system-running"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), "running\n"));
    sim.set_system_state("degraded");
    let out = run(&sim, "systemctl", &["is-system-running"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(1), "degraded\n"));
    let out = run(&sim, "systemctl", &["show", "-p", "ActiveState", "--value", "sshd.service"]);
    assert_eq!(out.stdout, "active\n");
    let out = run(&sim, "systemctl", &["show", "--property=ActiveState,SubState", "gone.service"]);
    assert_eq!(out.stdout, "ActiveState=inactive\nSubState=dead\n");
}

// ---- nixos-version --------------------------------------------------------------

#[test]
fn nixos_version_prints_the_running_generation() {
    let sim = SimHost::new();
    sim.set_nixos_version("24.11.20241231.edf04b7");
    assert_eq!(run(&sim, "nixos-version", &[]).stdout, "24.11.20241231.edf04b7 (Vicuna)\n");
    let out = run(&sim, "nixos-version", &["--json"]);
    assert_eq!(
        out.stdout,
        format!(
            "{{\"configurationRevision\":\"{REVISION}\",\"nixosVersion\":\"24.11.20241231.edf04b7\",\
             \"nixpkgsRevision\":\"{NIXPKGS_REVISION}\"}}\n"
        )
    );
    assert_eq!(run(&sim, "nixos-version", &["--revision"]).stdout, format!("{NIXPKGS_REVISION}\n"));
    assert_eq!(run(&sim, "nixos-version", &["--configuration-revision"]).stdout, format!("{REVISION}\n"));
}

#[test]
fn nixos_version_without_configuration_revision() {
    let sim = SimHost::new();
    sim.remove_configuration_revision();
    let out = run(&sim, "nixos-version", &["--json"]);
    assert!(out.stdout.starts_with("{\"nixosVersion\":\"24.11."), "{}", out.stdout);
    let out = run(&sim, "nixos-version", &["--configuration-revision"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(1), ""));
}

#[test]
fn a_fresh_host_runs_a_nixpkgs_dated_today() {
    let sim = SimHost::new();
    let version = sim.generation_field(1, "nixos-version");
    let date = version.split('.').nth(2).unwrap();
    let days = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 86_400;
    let (y, m, d) = simhost::civil_from_days(i64::try_from(days).unwrap());
    assert_eq!(date, format!("{y:04}{m:02}{d:02}"));
    assert_eq!(simhost::civil_from_days(0), (1970, 1, 1));
    assert_eq!(simhost::civil_from_days(20_088), (2024, 12, 31));
}

// ---- nixos-rebuild -------------------------------------------------------------

#[test]
fn switch_builds_a_new_generation_and_activates_it() {
    let sim = SimHost::new();
    sim.add_flake(FLAKE_REF, OTHER_REVISION);
    let out = run(&sim, "nixos-rebuild", &["switch", "--flake", FLAKE_REF, "--no-build-output"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.starts_with("building the system configuration...\n"), "{}", out.stderr);
    assert!(out.stderr.contains("activating the configuration...\n"), "{}", out.stderr);
    assert_eq!((sim.current_generation(), sim.running_generation()), (2, 2));
    assert_eq!(sim.current_revision(), OTHER_REVISION);
    let json = run(&sim, "nixos-version", &["--json"]).stdout;
    assert!(json.contains(&format!("\"configurationRevision\":\"{OTHER_REVISION}\"")), "{json}");
    // --flake=REF works too, and numbers keep growing.
    assert_eq!(run(&sim, "nixos-rebuild", &["switch", &format!("--flake={FLAKE_REF}")]).code, Some(0));
    assert_eq!(sim.generations(), [1, 2, 3]);
}

#[test]
fn an_unknown_flake_fails_like_nix_and_changes_nothing() {
    let sim = SimHost::new();
    let out = run(&sim, "nixos-rebuild", &["switch", "--flake", "github:evil/repo#appl-01"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("error: flake 'github:evil/repo' does not provide attribute 'packages.x86_64-linux.nixosConfigurations.\"appl-01\".config.system.build.toplevel'"),
        "{}",
        out.stderr
    );
    assert_eq!((sim.current_generation(), sim.running_generation(), sim.generations()), (1, 1, vec![1]));
    let out = run(&sim, "nixos-rebuild", &["switch"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("was not found in the Nix search path"), "{}", out.stderr);
    let out = run(&sim, "nixos-rebuild", &["switch", "--flake", FLAKE_REF, "--bogus"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "nixos-rebuild: unknown option `--bogus'\n"));
}

#[test]
fn a_failing_build_changes_nothing() {
    let sim = SimHost::new();
    sim.behave_once("nixos-rebuild-switch", "fail 1");
    let out = run(&sim, "nixos-rebuild", &["switch", "--flake", FLAKE_REF]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("error: builder for"), "{}", out.stderr);
    assert_eq!((sim.current_generation(), sim.running_generation(), sim.generations()), (1, 1, vec![1]));
    assert!(!sim.once_pending("nixos-rebuild-switch"));
}

#[test]
fn a_failed_activation_leaves_the_new_generation_current() {
    let sim = SimHost::new();
    sim.add_flake(FLAKE_REF, OTHER_REVISION);
    sim.behave_once("nixos-rebuild-switch", "activate-then-fail");
    let out = run(&sim, "nixos-rebuild", &["switch", "--flake", FLAKE_REF]);
    assert_eq!(out.code, Some(4));
    assert!(out.stderr.ends_with("warning: error(s) occurred while switching to the new configuration\n"));
    assert_eq!((sim.current_generation(), sim.running_generation()), (2, 2));
    assert_eq!(sim.current_revision(), OTHER_REVISION);
    assert_eq!(sim.system_state(), "degraded");
    // Rolling back reactivates generation 1, and with it a healthy system.
    let out = run(&sim, "nixos-rebuild", &["switch", "--rollback"]);
    assert_eq!((out.code, sim.current_generation(), sim.running_generation()), (Some(0), 1, 1));
    assert_eq!(sim.current_revision(), REVISION);
    assert_eq!(sim.system_state(), "running");
    assert_eq!(run(&sim, "systemctl", &["is-system-running"]).code, Some(0));
}

#[test]
fn degrade_switches_but_leaves_the_system_degraded() {
    let sim = SimHost::new();
    sim.behave_once("nixos-rebuild-switch", "degrade");
    assert_eq!(run(&sim, "nixos-rebuild", &["switch", "--flake", FLAKE_REF]).code, Some(0));
    assert_eq!(sim.current_generation(), 2);
    let out = run(&sim, "systemctl", &["is-system-running"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(1), "degraded\n"));
}

#[test]
fn rollback_needs_an_older_generation_and_can_be_made_to_fail() {
    let sim = SimHost::new();
    let out = run(&sim, "nixos-rebuild", &["switch", "--rollback"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "error: no generation older than the current (1) exists\n"));
    run(&sim, "nixos-rebuild", &["switch", "--flake", FLAKE_REF]);
    sim.behave("nixos-rebuild-rollback", "fail 1");
    assert_eq!(run(&sim, "nixos-rebuild", &["switch", "--rollback"]).code, Some(1));
    assert_eq!((sim.current_generation(), sim.running_generation()), (2, 2));
    // The rollback key does not affect a plain switch.
    assert_eq!(run(&sim, "nixos-rebuild", &["switch", "--flake", FLAKE_REF]).code, Some(0));
    sim.clear_behaviour("nixos-rebuild-rollback");
    let out = run(&sim, "nixos-rebuild", &["switch", "--rollback"]);
    assert_eq!((out.code, sim.current_generation()), (Some(0), 2));
    assert!(out.stderr.starts_with("switching profile from version 3 to 2\n"), "{}", out.stderr);
}

#[test]
fn list_generations_marks_the_current_one() {
    let sim = SimHost::new();
    run(&sim, "nixos-rebuild", &["switch", "--flake", FLAKE_REF]);
    let out = run(&sim, "nixos-rebuild", &["list-generations"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("Generation"), "{}", out.stdout);
    assert!(lines[1].starts_with("2 current "), "{}", out.stdout);
    assert!(lines[2].starts_with("1 "), "{}", out.stdout);
    let json = run(&sim, "nixos-rebuild", &["list-generations", "--json"]).stdout;
    assert!(json.contains("\"generation\": 2,") && json.contains("\"current\": true"), "{json}");
}

// ---- cryptsetup ------------------------------------------------------------------

#[test]
fn cryptsetup_status_of_an_active_volume() {
    let sim = SimHost::new();
    let out = run(&sim, "cryptsetup", &["status", "cryptroot"]);
    assert_eq!(out.code, Some(0));
    assert_eq!(
        out.stdout,
        "/dev/mapper/cryptroot is active and is in use.\n  type:    LUKS2\n  cipher:  aes-xts-plain64\n  \
         keysize: 512 bits\n  key location: keyring\n  device:  /dev/vda2\n  sector size:  512\n  \
         offset:  32768 sectors\n  size:    41910272 sectors\n  mode:    read/write\n"
    );
    sim.set_cryptsetup_version("2.8.1");
    let out = run(&sim, "cryptsetup", &["status", "/dev/mapper/cryptroot"]);
    assert!(out.stdout.starts_with("/dev/mapper/cryptroot is active and is in use.\n"), "{}", out.stdout);
    assert!(out.stdout.contains("  keysize: 512 [bits]\n"), "{}", out.stdout);
    assert!(out.stdout.contains("  offset:  32768 [512-byte units] (16777216 [bytes])\n"), "{}", out.stdout);
}

#[test]
fn cryptsetup_status_of_inactive_and_unknown_volumes() {
    let sim = SimHost::new();
    sim.set_volume("cryptroot", &Volume { active: false, ..Volume::luks2("/dev/vda2") });
    let out = run(&sim, "cryptsetup", &["status", "cryptroot"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(4), "/dev/mapper/cryptroot is inactive.\n"));
    let out = run(&sim, "cryptsetup", &["status", "cryptdata"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(4), "/dev/mapper/cryptdata is inactive.\n"));
    sim.set_volume("cryptroot", &Volume { in_use: false, ..Volume::luks2("/dev/vda2") });
    let out = run(&sim, "cryptsetup", &["status", "cryptroot"]);
    assert!(out.stdout.starts_with("/dev/mapper/cryptroot is active.\n"), "{}", out.stdout);
}

#[test]
fn cryptsetup_is_luks_and_luks_dump() {
    let sim = SimHost::new();
    assert_eq!(run(&sim, "cryptsetup", &["isLuks", "/dev/vda2"]).code, Some(0));
    let out = run(&sim, "cryptsetup", &["isLuks", "/dev/vdb1"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "Device /dev/vdb1 does not exist or access denied.\n"));
    let dump = run(&sim, "cryptsetup", &["luksDump", "/dev/vda2"]);
    assert_eq!(dump.code, Some(0));
    assert!(dump.stdout.starts_with("LUKS header information\nVersion:       \t2\n"), "{}", dump.stdout);
    let tokens = dump.stdout.split("Tokens:\n").nth(1).unwrap();
    assert!(tokens.starts_with("  0: systemd-tpm2\n\ttpm2-hash-pcrs:   7\n"), "{tokens}");
    assert!(tokens.contains("\tKeyslot:    1\nDigests:\n"), "{tokens}");

    sim.set_volume("cryptroot", &Volume { tokens: vec![], ..Volume::luks2("/dev/vda2") });
    let dump = run(&sim, "cryptsetup", &["luksDump", "/dev/vda2"]).stdout;
    assert!(dump.contains("Tokens:\nDigests:\n"), "{dump}");
    assert!(!dump.contains("  1: luks2"), "{dump}");

    sim.set_volume("cryptroot", &Volume { kind: "none".to_owned(), ..Volume::luks2("/dev/vda2") });
    assert_eq!(run(&sim, "cryptsetup", &["isLuks", "/dev/vda2"]).code, Some(1));
    let out = run(&sim, "cryptsetup", &["luksDump", "/dev/vda2"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "Device /dev/vda2 is not a valid LUKS device.\n"));
}

// ---- lsblk ---------------------------------------------------------------------------

const LSBLK_DEFAULT: &str = r#"{
   "blockdevices": [
      {
         "name": "vda",
         "type": "disk",
         "mountpoints": [
             null
         ],
         "fstype": null,
         "children": [
            {
               "name": "vda1",
               "type": "part",
               "mountpoints": [
                   "/boot"
               ],
               "fstype": "vfat"
            },{
               "name": "vda2",
               "type": "part",
               "mountpoints": [
                   null
               ],
               "fstype": "crypto_LUKS",
               "children": [
                  {
                     "name": "cryptroot",
                     "type": "crypt",
                     "mountpoints": [
                         "/"
                     ],
                     "fstype": "ext4"
                  }
               ]
            }
         ]
      }
   ]
}
"#;

#[test]
fn lsblk_json_nests_the_crypt_device_under_its_partition() {
    let sim = SimHost::new();
    let out = run(&sim, "lsblk", &["--json", "-o", "NAME,TYPE,MOUNTPOINTS,FSTYPE"]);
    assert_eq!(out.code, Some(0));
    assert_eq!(out.stdout, LSBLK_DEFAULT);
    let out = run(&sim, "lsblk", &["-J", "--output", "name,type,mountpoint"]);
    assert!(out.stdout.contains("\"name\": \"cryptroot\",\n                     \"type\": \"crypt\",\n                     \"mountpoint\": \"/\"\n"), "{}", out.stdout);
}

#[test]
fn lsblk_shows_no_crypt_device_for_an_inactive_volume() {
    let sim = SimHost::new();
    sim.set_volume("cryptroot", &Volume { active: false, ..Volume::luks2("/dev/vda2") });
    let out = run(&sim, "lsblk", &["--json", "-o", "NAME,TYPE,FSTYPE"]);
    assert!(!out.stdout.contains("crypt\""), "{}", out.stdout);
    assert!(out.stdout.contains("\"fstype\": \"crypto_LUKS\"\n"), "{}", out.stdout);
    // An unencrypted root: a plain ext4 partition.
    sim.set_volume("cryptroot", &Volume { kind: "none".to_owned(), ..Volume::luks2("/dev/vda2") });
    let out = run(&sim, "lsblk", &["--json", "-o", "NAME,TYPE,FSTYPE"]);
    assert!(!out.stdout.contains("crypt"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("\"name\": \"vda2\",\n               \"type\": \"part\",\n               \"fstype\": \"ext4\"\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn lsblk_table_and_errors() {
    let sim = SimHost::new();
    let out = run(&sim, "lsblk", &["-o", "NAME,TYPE,MOUNTPOINTS"]);
    assert_eq!(
        out.stdout,
        "NAME          TYPE  MOUNTPOINTS\nvda           disk  \n|-vda1        part  /boot\n`-vda2        part  \n  `-cryptroot crypt /\n"
    );
    let out = run(&sim, "lsblk", &["--json", "-o", "NAME,BOGUS"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "lsblk: unknown column: BOGUS\n"));
    let out = run(&sim, "lsblk", &["--json", "/dev/vdz"]);
    assert_eq!(out.code, Some(32));
    assert_eq!(out.stdout, "{\n   \"blockdevices\": [\n\n   ]\n}\n");
}

// ---- logger and journalctl ------------------------------------------------------

#[test]
fn logger_records_and_journalctl_finds_by_tag() {
    let sim = SimHost::new();
    let out = run(&sim, "journalctl", &["-t", "canary", "--no-pager", "-o", "cat"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), "-- No entries --\n"));
    assert_eq!(run(&sim, "logger", &["-t", "canary", "canary-1", "of", "cycle"]).code, Some(0));
    run(&sim, "logger", &["-t", "other", "noise"]);
    run_with_stdin(&sim, "logger", &["-t", "canary"], "canary-2\n");
    let entries = sim.journal();
    assert_eq!(entries.len(), 3);
    assert_eq!((entries[0].tag.as_str(), entries[0].message.as_str()), ("canary", "canary-1 of cycle"));

    let out = run(&sim, "journalctl", &["-t", "canary", "--no-pager", "-o", "cat"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), "canary-1 of cycle\ncanary-2\n"));
    let out = run(&sim, "journalctl", &["-t", "canary", "-n", "1", "-o", "cat", "-q"]);
    assert_eq!(out.stdout, "canary-2\n");
    let out = run(&sim, "journalctl", &["-t", "canary", "-o", "short-iso", "--since", "-5min"]);
    let first = out.stdout.lines().next().unwrap();
    assert!(first.ends_with(&format!(" appl-01 canary[{}]: canary-1 of cycle", entries[0].pid)), "{first}");
    let out = run(&sim, "journalctl", &["-t", "canary", "-q", "-o", "cat", "--since", "@4102444800"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), ""));
    let out = run(&sim, "journalctl", &["-o", "verbose"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "Unknown output format 'verbose'.\n"));
}

#[test]
fn logger_loses_messages_while_journald_is_down() {
    let sim = SimHost::new();
    sim.set_unit("systemd-journald.service", "failed");
    let out = run(&sim, "logger", &["-t", "canary", "lost"]);
    assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (Some(0), "", ""));
    assert!(sim.journal().is_empty());
    run(&sim, "systemctl", &["restart", "systemd-journald.service"]);
    run(&sim, "logger", &["-t", "canary", "kept"]);
    assert_eq!(run(&sim, "journalctl", &["-t", "canary", "-o", "cat"]).stdout, "kept\n");
}

// ---- nft ------------------------------------------------------------------------------

const BASELINE: &str = "flush ruleset\n\ntable inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tct state established,related counter packets 0 bytes 0 accept\n\t}\n}\n";

#[test]
fn nft_loads_and_lists_rulesets() {
    let sim = SimHost::new();
    let out = run(&sim, "nft", &["list", "ruleset"]);
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), ""));
    let file = sim.path("baseline.nft");
    std::fs::write(&file, BASELINE).unwrap();
    let out = run(&sim, "nft", &["-f", file.to_str().unwrap()]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""));
    let loaded = BASELINE.strip_prefix("flush ruleset\n\n").unwrap();
    assert_eq!(sim.nft_ruleset(), loaded);
    sim.set_nft_ruleset(&loaded.replace("packets 0 bytes 0", "packets 42 bytes 6300"));
    let full = run(&sim, "nft", &["list", "ruleset"]).stdout;
    assert!(full.contains("counter packets 42 bytes 6300 accept"), "{full}");
    let stateless = run(&sim, "nft", &["-s", "list", "ruleset"]).stdout;
    assert!(stateless.contains("ct state established,related counter accept\n"), "{stateless}");
    assert_eq!(run(&sim, "nft", &["list", "tables"]).stdout, "table inet filter\n");
}

#[test]
fn nft_rejects_a_bad_file_whole_and_checks_without_loading() {
    let sim = SimHost::new();
    sim.set_nft_ruleset("table inet filter {\n}\n");
    let bad = sim.path("bad.nft");
    std::fs::write(&bad, "flush ruleset\ntable inet filter {\n  SYNTAX_ERROR\n}\n").unwrap();
    let out = run(&sim, "nft", &["-f", bad.to_str().unwrap()]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.starts_with(&format!("{}:3:3-14: Error: syntax error", bad.display())), "{}", out.stderr);
    assert_eq!(sim.nft_ruleset(), "table inet filter {\n}\n");
    assert_eq!(run(&sim, "nft", &["-c", "-f", bad.to_str().unwrap()]).code, Some(1));

    let good = sim.path("good.nft");
    std::fs::write(&good, BASELINE).unwrap();
    assert_eq!(run(&sim, "nft", &["-c", "-f", good.to_str().unwrap()]).code, Some(0));
    assert_eq!(sim.nft_ruleset(), "table inet filter {\n}\n");
}

#[test]
fn nft_without_flush_adds_and_flush_empties() {
    let sim = SimHost::new();
    sim.set_nft_ruleset("table inet filter {\n}\n");
    let out = run_with_stdin(&sim, "nft", &["-f", "-"], "table ip nat {\n}\n");
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(sim.nft_ruleset(), "table inet filter {\n}\ntable ip nat {\n}\n");
    assert_eq!(run(&sim, "nft", &["flush", "ruleset"]).code, Some(0));
    assert_eq!(sim.nft_ruleset(), "");
}

// ---- behaviours -------------------------------------------------------------------------

#[test]
fn fail_uses_the_given_message_or_a_realistic_one() {
    let sim = SimHost::new();
    sim.behave("cryptsetup", "fail 5 Device cryptroot is busy.");
    let out = run(&sim, "cryptsetup", &["status", "cryptroot"]);
    assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (Some(5), "", "Device cryptroot is busy.\n"));
    sim.behave("systemctl", "fail 1");
    let out = run(&sim, "systemctl", &["is-active", "sshd.service"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(1), "Failed to connect to bus: No such file or directory\n"));
    // The call is logged even though it failed.
    assert_eq!(sim.calls_to("systemctl"), ["systemctl is-active sshd.service"]);
}

#[test]
fn once_is_consumed_and_subcommand_keys_win() {
    let sim = SimHost::new();
    sim.behave("systemctl", "fail 2");
    sim.behave_once("systemctl", "fail 7");
    sim.behave("systemctl-restart", "fail 3");
    sim.behave_once("systemctl-restart", "empty");
    assert_eq!(run(&sim, "systemctl", &["is-active", "sshd.service"]).code, Some(7));
    assert!(!sim.once_pending("systemctl"));
    assert_eq!(run(&sim, "systemctl", &["is-active", "sshd.service"]).code, Some(2));
    // The restart key is used (not the tool-wide one), its .once first.
    let out = run(&sim, "systemctl", &["restart", "sshd.service"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""));
    let out = run(&sim, "systemctl", &["restart", "sshd.service"]);
    assert_eq!(out.code, Some(3));
    assert!(out.stderr.starts_with("Job for sshd.service failed"), "{}", out.stderr);
    sim.clear_behaviour("systemctl");
    sim.clear_behaviour("systemctl-restart");
    assert_eq!(run(&sim, "systemctl", &["restart", "sshd.service"]).code, Some(0));
}

#[test]
fn hang_blocks_until_killed() {
    let sim = SimHost::new();
    sim.behave_once("nixos-version", "hang");
    let mut guard =
        child::Guard::spawn(sim.command("nixos-version").arg("--json").stdout(Stdio::piped()).stderr(Stdio::piped()));
    let child = guard.child();
    assert!(wait_at_most(child, Duration::from_millis(300)).is_none(), "hang returned");
    // exec'd all the way down: the child itself is the sleeping process.
    assert_eq!(sim.hung_pids(), [child.id()]);
    child.kill().unwrap();
    let status = wait_at_most(child, Duration::from_millis(500)).expect("killed child still running");
    assert!(!status.success());
    // The one-shot was consumed: the next call answers at once.
    assert_eq!(run(&sim, "nixos-version", &[]).code, Some(0));
}

#[test]
fn hang_child_exits_but_leaves_a_process_holding_the_pipes() {
    let sim = SimHost::new();
    sim.behave_once("lsblk", "hang-child");
    let mut guard =
        child::Guard::spawn(sim.command("lsblk").arg("--json").stdout(Stdio::piped()).stderr(Stdio::piped()));
    let child = guard.child();
    let pgid = child.id();
    let status = wait_at_most(child, Duration::from_millis(1000)).expect("parent did not exit");
    assert!(status.success());
    let orphans = sim.hung_pids();
    assert_eq!(orphans.len(), 1);
    assert!(simhost::process_alive(orphans[0]), "the grandchild should outlive its parent");
    // Killing the process group, as the agent does, ends it.
    assert!(simhost::kill_process_group(pgid));
    assert!(gone_within(orphans[0], Duration::from_millis(500)));
}

#[test]
fn garbage_and_empty_exit_zero() {
    let sim = SimHost::new();
    sim.behave_once("lsblk", "garbage");
    let out = sim.command("lsblk").arg("--json").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.len() > 64);
    assert!(std::str::from_utf8(&out.stdout).is_err(), "garbage should not even be UTF-8");
    sim.behave_once("nixos-version", "empty");
    let out = run(&sim, "nixos-version", &["--json"]);
    assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (Some(0), "", ""));
}

#[test]
fn slow_delays_then_behaves_normally() {
    let sim = SimHost::new();
    sim.behave_once("systemctl-is-active", "slow 0.3");
    let start = Instant::now();
    let out = run(&sim, "systemctl", &["is-active", "sshd.service"]);
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), "active\n"));
}

#[test]
fn an_unknown_behaviour_is_a_test_bug() {
    let sim = SimHost::new();
    sim.behave("nft", "explode");
    let out = run(&sim, "nft", &["list", "ruleset"]);
    assert_eq!((out.code, out.stderr.as_str()), (Some(70), "simhost: nft: unknown behaviour 'explode'\n"));
}
