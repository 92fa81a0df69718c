//! A simulated NixOS appliance for integration tests.
//!
//! Owns: a temporary directory holding the state of a fake host (units,
//! system generations, LUKS volumes, journal, nftables ruleset), wrapper
//! scripts in its `bin/` that run the fake tools of `tests/simhost/tools/`
//! against that state, and helpers to script and inspect it. The agent under
//! test is pointed at the wrappers through the config's `"tools"` object
//! (`tools_json`) and runs them exactly as it runs the real ones: by absolute
//! path, no shell, environment cleared. See `tests/simhost/README.md` for the
//! state layout and the behaviour keys.
//!
//! Must never: touch anything outside its temporary directory, or leave a
//! process behind (hung fake tools are killed on drop).
//!
//! Use it from a test crate with
//! `#[path = "support/simhost.rs"] mod simhost;`.

// Every test binary includes this file and uses a different subset of it.
#![allow(dead_code)]

use std::env;
use std::ffi::OsString;
use std::fmt::Display;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the fake tools live; resolved at compile time so the tests run from
/// any checkout.
pub const TOOLS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/simhost/tools");

/// The fake tools, by file name.
pub const TOOLS: [&str; 8] =
    ["systemctl", "nft", "nixos-rebuild", "nixos-version", "cryptsetup", "lsblk", "journalctl", "logger"];

/// The `PATH` the agent gives every tool (with `LC_ALL=C` and nothing else).
pub const TOOL_ENV_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// The configuration revision of generation 1, the one the default flake
/// builds: a fresh host is compliant with `expected_revision = REVISION`.
pub const REVISION: &str = "0f3c2a1b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
/// A second revision for drift scenarios.
pub const OTHER_REVISION: &str = "9b8a7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3";
/// The flake the simulated nix knows from the start.
pub const FLAKE_REF: &str = "github:clinic/appliance#appl-01";
/// The nixpkgs revision of generation 1 (`nixos-version --revision`).
pub const NIXPKGS_REVISION: &str = "edf04b75c13c2ac0e54df5ec5c543e300f76f1c9";
/// Units that exist and are active on a fresh host.
pub const DEFAULT_UNITS: [&str; 3] = ["sshd.service", "systemd-journald.service", "backup.service"];
/// The LUKS volume of a fresh host.
pub const ROOT_VOLUME: &str = "cryptroot";

/// A directory under the system temp dir, removed on drop unless the
/// environment variable `KEEP_SIMHOST` is set (then its path is printed).
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<tmp>/<prefix>-<pid>-<counter>-<nanos>`.
    pub fn new(prefix: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
            let path = env::temp_dir().join(format!("{prefix}-{}-{n}-{nanos}", std::process::id()));
            match fs::create_dir(&path) {
                Ok(()) => return TempDir { path },
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("simhost: cannot create {}: {e}", path.display()),
            }
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if env::var_os("KEEP_SIMHOST").is_some() {
            eprintln!("simhost: keeping {}", self.path.display());
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// A LUKS (or plain) volume as `cryptsetup` and `lsblk` report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// Whether `/dev/mapper/<name>` exists.
    pub active: bool,
    /// Mounted: `cryptsetup status` says "is active and is in use".
    pub in_use: bool,
    /// The backing device, e.g. `/dev/vda2`.
    pub device: String,
    /// `LUKS2`, `LUKS1`, `PLAIN`, or `none` (an unencrypted partition).
    pub kind: String,
    /// LUKS2 token types, e.g. `systemd-tpm2`.
    pub tokens: Vec<String>,
    /// The filesystem inside.
    pub fstype: String,
    /// Where it is mounted, if anywhere.
    pub mountpoint: Option<String>,
}

impl Volume {
    /// An active, mounted LUKS2 volume on `device` unlocked by a TPM2 token.
    pub fn luks2(device: &str) -> Volume {
        Volume {
            active: true,
            in_use: true,
            device: device.to_owned(),
            kind: "LUKS2".to_owned(),
            tokens: vec!["systemd-tpm2".to_owned()],
            fstype: "ext4".to_owned(),
            mountpoint: Some("/".to_owned()),
        }
    }
}

/// One entry that `logger` recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// Microseconds since the Unix epoch.
    pub usec: u64,
    /// `SYSLOG_IDENTIFIER` (`logger -t`).
    pub tag: String,
    /// The logger process.
    pub pid: u32,
    /// The message.
    pub message: String,
}

/// The simulated host: state directory plus tool wrappers.
#[derive(Debug)]
pub struct SimHost {
    dir: TempDir,
    bash: PathBuf,
}

impl SimHost {
    /// A compliant host: the default units active, generation 1 at
    /// [`REVISION`] built from [`FLAKE_REF`] with a nixpkgs dated today,
    /// [`ROOT_VOLUME`] active on `/dev/vda2`, an empty nftables ruleset,
    /// journald running. Panics if the directory cannot be set up.
    pub fn new() -> SimHost {
        let sim = SimHost { dir: TempDir::new("simhost"), bash: find_bash() };
        for sub in ["bin", "units", "behaviour", "hooks", "flakes", "crypt", "nft", "system/generations"] {
            must(fs::create_dir_all(sim.path(sub)), sub);
        }
        for tool in TOOLS {
            sim.write_wrapper(tool);
        }
        sim.write("calls.log", "");
        sim.write("journal", "");
        sim.write("nft/ruleset", "");
        sim.write("hostname", "appl-01\n");
        sim.set_system_state("running");
        for unit in DEFAULT_UNITS {
            sim.set_unit(unit, "active");
        }
        let version = format!("24.11.{}.{}", today_yyyymmdd(), &NIXPKGS_REVISION[..7]);
        sim.write_generation(1, REVISION, &version, NIXPKGS_REVISION);
        sim.write("system/current", "1\n");
        must(symlink("generations/1", sim.path("system/current-system")), "current-system");
        sim.add_flake(FLAKE_REF, REVISION);
        sim.set_volume(ROOT_VOLUME, &Volume::luks2("/dev/vda2"));
        sim
    }

    /// The state directory (`$SIMHOST_DIR` of the fake tools).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the state directory.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    /// The wrapper the agent runs for `tool` (a file name from [`TOOLS`]).
    pub fn tool_path(&self, tool: &str) -> PathBuf {
        assert!(TOOLS.contains(&tool), "simhost: no fake tool named {tool:?}");
        self.path("bin").join(tool)
    }

    /// The config's `"tools"` object (docs/configuration.md) pointing at the wrappers.
    pub fn tools_json(&self) -> String {
        let keys = [
            ("systemctl", "systemctl"),
            ("nft", "nft"),
            ("nixos_rebuild", "nixos-rebuild"),
            ("nixos_version", "nixos-version"),
            ("cryptsetup", "cryptsetup"),
            ("lsblk", "lsblk"),
            ("journalctl", "journalctl"),
            ("logger", "logger"),
        ];
        let fields: Vec<String> = keys
            .iter()
            .map(|(key, tool)| format!("\"{key}\": {}", json_string(&self.tool_path(tool).to_string_lossy())))
            .collect();
        format!("{{{}}}", fields.join(", "))
    }

    /// `tool` ready to run the way the agent runs it: environment cleared
    /// but for `PATH` and `LC_ALL=C`.
    pub fn command(&self, tool: &str) -> Command {
        let mut command = Command::new(self.tool_path(tool));
        command.env_clear().env("PATH", TOOL_ENV_PATH).env("LC_ALL", "C");
        command
    }

    // ---- units ---------------------------------------------------------

    /// Creates or changes a unit: `active`, `inactive`, `failed`,
    /// `activating`, `reloading`.
    pub fn set_unit(&self, unit: &str, state: &str) {
        self.write(&format!("units/{unit}"), &format!("{state}\n"));
    }

    /// The unit's state; `inactive` for a unit that does not exist, as
    /// `systemctl is-active` says.
    pub fn unit_state(&self, unit: &str) -> String {
        self.read_first_line(&format!("units/{unit}")).unwrap_or_else(|| "inactive".to_owned())
    }

    /// Whether the unit exists.
    pub fn has_unit(&self, unit: &str) -> bool {
        self.path(&format!("units/{unit}")).is_file()
    }

    /// Deletes a unit (it becomes "not found").
    pub fn remove_unit(&self, unit: &str) {
        let _ = fs::remove_file(self.path(&format!("units/{unit}")));
    }

    /// Makes every `systemctl start`/`restart` of `unit` fail (the unit
    /// ends `failed`), or succeed again.
    pub fn fail_starts(&self, unit: &str, fail: bool) {
        let file = format!("units/{unit}.restart-result");
        if fail {
            self.write(&file, "fail\n");
        } else {
            let _ = fs::remove_file(self.path(&file));
        }
    }

    /// A bash script run after each successful start or restart of `unit`,
    /// with `SIMHOST_DIR` set (e.g. to refresh a backup status file).
    pub fn hook(&self, unit: &str, script_body: &str) {
        let file = self.path(&format!("hooks/{unit}.start"));
        self.write(&format!("hooks/{unit}.start"), &format!("#!/bin/bash\nset -eu\n{script_body}\n"));
        must(fs::set_permissions(&file, fs::Permissions::from_mode(0o755)), "hook");
    }

    /// What `systemctl is-system-running` prints (`running`, `degraded`…).
    pub fn set_system_state(&self, state: &str) {
        self.write("system-state", &format!("{state}\n"));
    }

    /// The current `systemctl is-system-running` state.
    pub fn system_state(&self) -> String {
        self.read_first_line("system-state").unwrap_or_else(|| "running".to_owned())
    }

    // ---- behaviours and calls -------------------------------------------

    /// Scripts every call of `key` (a tool, or `tool-subcommand` such as
    /// `systemctl-restart`, `nixos-rebuild-switch`, `nixos-rebuild-rollback`,
    /// `nft-load`) until cleared: `fail N [message]`, `hang`, `hang-child`,
    /// `garbage`, `empty`, `slow SECONDS`, and for `nixos-rebuild-switch`
    /// also `activate-then-fail [N]` and `degrade`.
    pub fn behave(&self, key: &str, behaviour: &str) {
        self.write(&format!("behaviour/{key}"), &format!("{behaviour}\n"));
    }

    /// Like [`SimHost::behave`] for the next call only; it takes precedence
    /// over a persistent behaviour of the same key.
    pub fn behave_once(&self, key: &str, behaviour: &str) {
        self.write(&format!("behaviour/{key}.once"), &format!("{behaviour}\n"));
    }

    /// Removes the persistent and one-shot behaviours of `key`.
    pub fn clear_behaviour(&self, key: &str) {
        let _ = fs::remove_file(self.path(&format!("behaviour/{key}")));
        let _ = fs::remove_file(self.path(&format!("behaviour/{key}.once")));
    }

    /// Whether a one-shot behaviour of `key` is still waiting for its call.
    pub fn once_pending(&self, key: &str) -> bool {
        self.path(&format!("behaviour/{key}.once")).exists()
    }

    /// Every tool call so far, oldest first: the tool name and its
    /// arguments joined by single spaces, e.g. `systemctl is-active sshd.service`.
    pub fn calls(&self) -> Vec<String> {
        self.read("calls.log").lines().map(str::to_owned).collect()
    }

    /// The calls of one tool.
    pub fn calls_to(&self, tool: &str) -> Vec<String> {
        let prefix = format!("{tool} ");
        self.calls().into_iter().filter(|c| c == tool || c.starts_with(&prefix)).collect()
    }

    /// Forgets the calls so far.
    pub fn clear_calls(&self) {
        self.write("calls.log", "");
    }

    /// Pids of fake tools that hang (`hang`, `hang-child`), alive or not.
    pub fn hung_pids(&self) -> Vec<u32> {
        self.read("pids").lines().filter_map(|l| l.trim().parse().ok()).collect()
    }

    // ---- NixOS system profile -----------------------------------------------

    /// The profile's current generation (`$SIMHOST_DIR/system/current`).
    pub fn current_generation(&self) -> u32 {
        let text = self.read_first_line("system/current").unwrap_or_default();
        match text.parse() {
            Ok(n) => n,
            Err(e) => panic!("simhost: system/current holds {text:?}: {e}"),
        }
    }

    /// The generation `current-system` (the stand-in for /run/current-system)
    /// points at.
    pub fn running_generation(&self) -> u32 {
        let target = must(fs::read_link(self.path("system/current-system")), "current-system");
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match name.parse() {
            Ok(n) => n,
            Err(e) => panic!("simhost: current-system points at {}: {e}", target.display()),
        }
    }

    /// The stand-in for `/run/current-system`.
    pub fn current_system(&self) -> PathBuf {
        self.path("system/current-system")
    }

    /// All generations, ascending.
    pub fn generations(&self) -> Vec<u32> {
        let entries = must(fs::read_dir(self.path("system/generations")), "generations");
        let mut numbers: Vec<u32> =
            entries.filter_map(Result::ok).filter_map(|e| e.file_name().to_string_lossy().parse().ok()).collect();
        numbers.sort_unstable();
        numbers
    }

    /// The configuration revision of the current generation.
    pub fn current_revision(&self) -> String {
        self.generation_field(self.current_generation(), "revision")
    }

    /// A field (`revision`, `nixos-version`, `nixpkgs-revision`) of a generation.
    pub fn generation_field(&self, generation: u32, field: &str) -> String {
        self.read_first_line(&format!("system/generations/{generation}/{field}")).unwrap_or_default()
    }

    /// Sets the nixosVersion of the current generation, e.g.
    /// `24.11.20240101.edf04b7` to make nixpkgs old.
    pub fn set_nixos_version(&self, version: &str) {
        let generation = self.current_generation();
        self.write(&format!("system/generations/{generation}/nixos-version"), &format!("{version}\n"));
    }

    /// Removes the configuration revision of the current generation (a
    /// system built without `system.configurationRevision`).
    pub fn remove_configuration_revision(&self) {
        let generation = self.current_generation();
        let _ = fs::remove_file(self.path(&format!("system/generations/{generation}/revision")));
    }

    /// Makes `nixos-rebuild switch --flake <flake_ref>` build `revision`
    /// (keeping the running nixos version).
    pub fn add_flake(&self, flake_ref: &str, revision: &str) {
        self.write(&format!("flakes/{}", flake_file_name(flake_ref)), &format!("{revision}\n"));
    }

    /// Like [`SimHost::add_flake`], with a new nixos version (and so nixpkgs date).
    pub fn add_flake_with_version(&self, flake_ref: &str, revision: &str, nixos_version: &str) {
        self.write(&format!("flakes/{}", flake_file_name(flake_ref)), &format!("{revision}\n{nixos_version}\n"));
    }

    /// Makes `flake_ref` unknown to the simulated nix.
    pub fn remove_flake(&self, flake_ref: &str) {
        let _ = fs::remove_file(self.path(&format!("flakes/{}", flake_file_name(flake_ref))));
    }

    // ---- encryption ------------------------------------------------------

    /// Creates or replaces a volume.
    pub fn set_volume(&self, name: &str, volume: &Volume) {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let text = format!(
            "state={}\nin_use={}\ndevice={}\ntype={}\ntokens={}\nfstype={}\nmountpoint={}\n",
            if volume.active { "active" } else { "inactive" },
            yes_no(volume.in_use),
            volume.device,
            volume.kind,
            volume.tokens.join(","),
            volume.fstype,
            volume.mountpoint.as_deref().unwrap_or(""),
        );
        self.write(&format!("crypt/{name}"), &text);
    }

    /// Deletes a volume.
    pub fn remove_volume(&self, name: &str) {
        let _ = fs::remove_file(self.path(&format!("crypt/{name}")));
    }

    /// Which cryptsetup release to imitate (`2.7.5` by default; `2.8.1`
    /// prints the 2.8 status format).
    pub fn set_cryptsetup_version(&self, version: &str) {
        self.write("cryptsetup-version", &format!("{version}\n"));
    }

    // ---- logging ---------------------------------------------------------

    /// What `logger` has recorded, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.read("journal")
            .lines()
            .filter_map(|line| {
                let mut fields = line.splitn(5, '\t');
                let usec = fields.next()?.parse().ok()?;
                let tag = fields.next()?.to_owned();
                let pid = fields.next()?.parse().ok()?;
                let _priority = fields.next()?;
                let message = fields.next().unwrap_or("").to_owned();
                Some(JournalEntry { usec, tag, pid, message })
            })
            .collect()
    }

    // ---- firewall ----------------------------------------------------------

    /// The loaded nftables ruleset, as `nft list ruleset` prints it.
    pub fn nft_ruleset(&self) -> String {
        self.read("nft/ruleset")
    }

    /// Replaces the loaded ruleset (no call is logged).
    pub fn set_nft_ruleset(&self, ruleset: &str) {
        self.write("nft/ruleset", ruleset);
    }

    // ---- files -------------------------------------------------------------

    /// Writes a file under the state directory, creating parents.
    pub fn write(&self, relative: &str, content: &str) {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            must(fs::create_dir_all(parent), relative);
        }
        must(fs::write(&path, content), relative);
    }

    /// Reads a file under the state directory; empty if it does not exist.
    pub fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.path(relative)).unwrap_or_default()
    }

    fn read_first_line(&self, relative: &str) -> Option<String> {
        let text = fs::read_to_string(self.path(relative)).ok()?;
        Some(text.lines().next().unwrap_or("").to_owned())
    }

    fn write_generation(&self, n: u32, revision: &str, nixos_version: &str, nixpkgs_revision: &str) {
        let dir = format!("system/generations/{n}");
        self.write(&format!("{dir}/revision"), &format!("{revision}\n"));
        self.write(&format!("{dir}/nixos-version"), &format!("{nixos_version}\n"));
        self.write(&format!("{dir}/nixpkgs-revision"), &format!("{nixpkgs_revision}\n"));
    }

    /// `bin/<tool>`: sets SIMHOST_DIR and runs the fake tool with bash. The
    /// agent's PATH comes first; the test process's PATH is appended so
    /// coreutils are found where they are not in /usr/bin (NixOS).
    fn write_wrapper(&self, tool: &str) {
        let bash = shell_quote(&self.bash.to_string_lossy());
        let extra_path = env::var("PATH").unwrap_or_default();
        let script = format!(
            "#!{}\nSIMHOST_DIR={} PATH=\"$PATH\":{} exec {} {} \"$@\"\n",
            self.bash.display(),
            shell_quote(&self.root().to_string_lossy()),
            shell_quote(&extra_path),
            bash,
            shell_quote(&format!("{TOOLS_DIR}/{tool}")),
        );
        let path = self.tool_path(tool);
        must(fs::write(&path, script), tool);
        must(fs::set_permissions(&path, fs::Permissions::from_mode(0o755)), tool);
    }
}

impl Default for SimHost {
    fn default() -> Self {
        SimHost::new()
    }
}

impl Drop for SimHost {
    /// Kills fake tools still hanging (only pids they recorded, and only if
    /// they are still a `sleep`).
    fn drop(&mut self) {
        let pids: Vec<OsString> = self
            .hung_pids()
            .into_iter()
            .filter(|pid| {
                fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| cmdline.windows(5).any(|w| w == b"sleep"))
            })
            .map(|pid| OsString::from(pid.to_string()))
            .collect();
        if !pids.is_empty() {
            let _ = Command::new(&self.bash).args(["-c", "kill -KILL \"$@\" 2>/dev/null", "kill"]).args(&pids).status();
        }
    }
}

/// Whether `pid` is a live process (not gone, not a zombie).
pub fn process_alive(pid: u32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the parenthesised command name.
    match stat.rsplit_once(')') {
        Some((_, rest)) => !matches!(rest.trim_start().chars().next(), Some('Z' | 'X') | None),
        None => false,
    }
}

/// Sends SIGKILL to every process in the group `pgid`, as the agent does
/// at a deadline; true if the signal was delivered.
pub fn kill_process_group(pgid: u32) -> bool {
    Command::new(find_bash())
        .args(["-c", "kill -KILL -- \"-$1\"", "kill", &pgid.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

/// The file name under `flakes/` for a flake reference: `/`, `:` and `#`
/// become `_`.
pub fn flake_file_name(flake_ref: &str) -> String {
    flake_ref.replace(['/', ':', '#'], "_")
}

/// `s` as a JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` in single quotes for a shell script.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// bash: `/bin/bash` where it exists, else the first one on the test
/// process's PATH (NixOS has no /bin/bash).
fn find_bash() -> PathBuf {
    let fixed = PathBuf::from("/bin/bash");
    if fixed.is_file() {
        return fixed;
    }
    env::var_os("PATH")
        .iter()
        .flat_map(env::split_paths)
        .map(|dir| dir.join("bash"))
        .find(|p| p.is_file())
        .unwrap_or(fixed)
}

/// Today's UTC date as `YYYYMMDD`, for a nixos version that is not old.
fn today_yyyymmdd() -> String {
    let days = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!("{y:04}{m:02}{d:02}")
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, u32::try_from(month).unwrap_or(1), u32::try_from(day).unwrap_or(1))
}

/// The value, or a panic naming what failed (test support: a failure here
/// is a broken test environment).
fn must<T, E: Display>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("simhost: {what}: {e}"),
    }
}
