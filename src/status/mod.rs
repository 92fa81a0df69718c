//! `compliance-agent status`: what the agent last did and whether that is
//! good enough, read from the store with no network and no listening
//! socket; the same figures as a Prometheus textfile for node_exporter.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | the store's figures ([`Status`]), the whole picture ([`Overview`]: appliance, daemon, certificates), the verdict and its exit status |
//! | `render` | the text and JSON forms |
//! | `metrics` | the Prometheus textfile |
//!
//! The verdict, first match wins:
//!
//! | the last cycle | state | exit |
//! |---|---|---|
//! | none (no database) | `fresh` | [`crate::EXIT_NOINPUT`] |
//! | none finished yet | `no_cycle` | [`crate::EXIT_NOINPUT`] |
//! | left drift or a failed action | `drift` | [`crate::EXIT_DRIFT`] |
//! | ended ≥ 3 × `poll_interval_secs` ago | `stale` | [`crate::EXIT_UNAVAILABLE`] |
//! | did not reach the MCP, or bundles wait unpushed | `undelivered` | [`crate::EXIT_UNAVAILABLE`] |
//! | otherwise | `ok` | [`crate::EXIT_OK`] |
//!
//! Owns: the figures, the verdict, and finding out whether the daemon runs
//! (it holds `state_dir/agent.lock`). Must never: create or change a file
//! (the lock is tried on the existing file, opened read-only), open a
//! socket, or print a bare error where JSON was asked for.

mod metrics;
mod render;

use crate::checks::CheckName;
use crate::config::Config;
use crate::evidence::flush::last_push_ms;
use crate::store::{AlertEpisode, Backlog, Store, StoreError};
use crate::x509::CertInfo;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// State key of the last cycle's summary (written by the agent's Flush).
pub const LAST_CYCLE: &str = "status.last_cycle";

/// The lock file the running agent holds, in `state_dir`.
pub const LOCK_FILE: &str = "agent.lock";

/// A cycle that ended this many poll intervals ago is stale.
pub const STALE_INTERVALS: u64 = 3;

/// Largest certificate file `status` reads.
const MAX_PEM_BYTES: u64 = 1 << 20;

/// The figures the store holds.
#[derive(Debug, Clone)]
pub struct Status {
    /// The last cycle's summary as recorded, if any cycle ran.
    pub last_cycle: Option<Value>,
    /// Outbox figures.
    pub backlog: Backlog,
    /// Last successful push, Unix ms.
    pub last_push_ms: Option<i64>,
    /// Open alert episodes.
    pub alerts: Vec<AlertEpisode>,
    /// The chain tip seq.
    pub chain_seq: u64,
}

impl Status {
    /// Reads the figures from the store.
    pub fn read(store: &Store) -> Result<Status, StoreError> {
        Ok(Status {
            last_cycle: store.get_state(LAST_CYCLE)?.and_then(|v| serde_json::from_str(&v).ok()),
            backlog: store.backlog()?,
            last_push_ms: last_push_ms(store),
            alerts: store.open_alerts()?,
            chain_seq: store.chain_tip()?.seq,
        })
    }

    /// Compliance verdict of the last cycle as it recorded it (its `--once`
    /// exit status), None if no cycle has run.
    pub fn exit_code(&self) -> Option<i32> {
        self.last_cycle.as_ref().and_then(|c| c["exit_code"].as_i64()).map(|c| c as i32)
    }

    /// The last cycle left drift or a failed action. Read from its
    /// `drift_remaining` and `action_failed` (a record without them: its
    /// exit status was not 0).
    pub fn drift(&self) -> bool {
        let Some(c) = &self.last_cycle else { return false };
        match (c["drift_remaining"].as_bool(), c["action_failed"].as_bool()) {
            (None, None) => c["exit_code"].as_i64() != Some(0),
            (d, a) => d == Some(true) || a == Some(true),
        }
    }

    /// The last cycle reached the MCP.
    pub fn mcp_reachable(&self) -> Option<bool> {
        self.last_cycle.as_ref().and_then(|c| c["mcp_reachable"].as_bool())
    }

    /// When the last cycle ended, Unix ms.
    pub fn finished_ms(&self) -> Option<i64> {
        self.last_cycle.as_ref().and_then(|c| c["finished_ms"].as_i64())
    }
}

/// Whether the daemon runs: whoever runs the agent holds the exclusive lock
/// on `state_dir/agent.lock` for as long as it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Daemon {
    /// The lock is held: an agent (the daemon, or a `--once`) is running.
    Running,
    /// The lock file exists and nobody holds it.
    Stopped,
    /// There is no lock file: no agent ever ran with this `state_dir`.
    NeverRan,
    /// The lock could not be tried.
    Unknown(String),
}

impl Daemon {
    /// `running`, `stopped`, `never_ran`, `unknown`.
    pub fn name(&self) -> &'static str {
        match self {
            Daemon::Running => "running",
            Daemon::Stopped => "stopped",
            Daemon::NeverRan => "never_ran",
            Daemon::Unknown(_) => "unknown",
        }
    }
}

/// Tries the lock on `state_dir/agent.lock` without creating or changing
/// anything: the existing file is opened read-only (no symlink followed,
/// no blocking on a FIFO) and an exclusive lock is tried; if it is free,
/// closing the file releases it at once.
pub fn daemon(state_dir: &Path) -> Daemon {
    use std::os::unix::fs::OpenOptionsExt;
    let path = state_dir.join(LOCK_FILE);
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Daemon::NeverRan,
        Err(e) => return Daemon::Unknown(format!("{}: {e}", path.display())),
    };
    match file.metadata() {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Daemon::Unknown(format!("{} is not a regular file", path.display())),
        Err(e) => return Daemon::Unknown(format!("{}: {e}", path.display())),
    }
    match file.try_lock() {
        Ok(()) => Daemon::Stopped,
        Err(std::fs::TryLockError::WouldBlock) => Daemon::Running,
        Err(std::fs::TryLockError::Error(e)) => Daemon::Unknown(format!("{}: {e}", path.display())),
    }
}

/// A certificate file from the configuration and what it holds.
#[derive(Debug, Clone)]
pub struct CertFile {
    /// `client` or `ca`.
    pub role: &'static str,
    /// The configuration key that names it.
    pub key: &'static str,
    /// The file.
    pub path: PathBuf,
    /// Its certificates, in file order, or why they could not be read.
    pub certs: Result<Vec<CertInfo>, String>,
    /// `mcp.cert_expiry_warn_days`: within it, "renew it soon".
    pub warn_days: u64,
}

impl CertFile {
    /// Reads and parses `path` (a capped read; a symlink is followed, as
    /// the MCP client does).
    pub fn read(role: &'static str, key: &'static str, path: &Path, warn_days: u64) -> CertFile {
        let certs = crate::fsutil::read_capped(path, MAX_PEM_BYTES, crate::fsutil::Follow::Symlinks)
            .map_err(|e| e.to_string())
            .and_then(|pem| crate::x509::parse_pem_certs(&pem));
        CertFile { role, key, path: path.to_path_buf(), certs, warn_days }
    }

    /// The certificate that matters: the leaf (first) of a client chain,
    /// the one that expires first of a CA file.
    pub fn principal(&self) -> Option<&CertInfo> {
        crate::x509::principal(self.certs.as_ref().ok()?, self.role == "ca")
    }
}

/// The check an alert key names (`drift_services`, `check_error_firewall`,
/// `heal_failed_backups`, `heal_exhausted_patching`), if any.
pub fn alert_check(key: &str) -> Option<CheckName> {
    key.rsplit_once('_').and_then(|(_, tail)| CheckName::parse(tail))
}

/// How `status` judges the appliance; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No database: no cycle has ever run here.
    Fresh,
    /// A database, but no cycle has finished yet.
    NoCycle,
    /// The last cycle left drift or a failed action.
    Drift,
    /// The last cycle is too old: the agent is not running its cycles.
    Stale,
    /// The MCP was not reached, or evidence waits unpushed.
    Undelivered,
    /// Compliant, delivered and fresh.
    Ok,
}

impl State {
    /// The JSON spelling.
    pub fn name(self) -> &'static str {
        match self {
            State::Fresh => "fresh",
            State::NoCycle => "no_cycle",
            State::Drift => "drift",
            State::Stale => "stale",
            State::Undelivered => "undelivered",
            State::Ok => "ok",
        }
    }

    /// The exit status of `status`.
    pub fn exit_code(self) -> i32 {
        match self {
            State::Fresh | State::NoCycle => crate::EXIT_NOINPUT,
            State::Drift => crate::EXIT_DRIFT,
            State::Stale | State::Undelivered => crate::EXIT_UNAVAILABLE,
            State::Ok => crate::EXIT_OK,
        }
    }
}

/// The verdict: the state and every reason it is not `ok`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The state (its exit status is [`State::exit_code`]).
    pub state: State,
    /// Each problem found, worst first.
    pub reasons: Vec<String>,
}

/// Judges the store's figures at `now_ms` for an agent that polls every
/// `poll_interval_secs`.
pub fn verdict(st: &Status, now_ms: i64, poll_interval_secs: u64) -> Verdict {
    if st.last_cycle.is_none() {
        return Verdict { state: State::NoCycle, reasons: vec!["no cycle has finished yet".into()] };
    }
    let mut reasons = Vec::new();
    let drift = st.drift();
    if drift {
        let checks = render::not_compliant(st);
        reasons.push(if checks.is_empty() {
            "the last cycle left drift or a failed action".to_string()
        } else {
            format!("the last cycle left drift or a failed action ({})", checks.join(", "))
        });
    }
    let stale_ms = i64::try_from(stale_after_secs(poll_interval_secs).saturating_mul(1000)).unwrap_or(i64::MAX);
    let stale = match st.finished_ms() {
        None => {
            reasons.push("the last cycle has no end time".into());
            true
        }
        Some(t) if now_ms.saturating_sub(t) >= stale_ms => {
            reasons.push(format!(
                "the last cycle ended {} ago; cycles should end every {poll_interval_secs} s (stale after {})",
                render::duration(now_ms.saturating_sub(t)),
                render::duration(stale_ms)
            ));
            true
        }
        Some(_) => false,
    };
    let mut undelivered = false;
    if st.mcp_reachable() != Some(true) {
        reasons.push("the last cycle did not reach the MCP".into());
        undelivered = true;
    }
    if st.backlog.unpushed > 0 {
        reasons.push(format!("{} evidence bundles wait to be delivered", st.backlog.unpushed));
        undelivered = true;
    }
    let state = if drift {
        State::Drift
    } else if stale {
        State::Stale
    } else if undelivered {
        State::Undelivered
    } else {
        State::Ok
    };
    Verdict { state, reasons }
}

/// Seconds after which a last cycle is stale.
pub fn stale_after_secs(poll_interval_secs: u64) -> u64 {
    poll_interval_secs.saturating_mul(STALE_INTERVALS)
}

/// Who and what this appliance is.
#[derive(Debug, Clone)]
pub struct Appliance {
    /// `site_id`.
    pub site_id: String,
    /// `appliance_id`.
    pub appliance_id: String,
    /// The agent's version line (`0.1.0 (git …, sha256 …)`).
    pub version_line: String,
    /// The crate version.
    pub version: String,
    /// The build id evidence carries.
    pub build: String,
}

impl Appliance {
    fn of(config: &Config) -> Appliance {
        // Read-only: the agent's cache is used, never written.
        let info = crate::build_info_in(&config.state_dir, false);
        Appliance {
            site_id: config.site_id.to_string(),
            appliance_id: config.appliance_id.to_string(),
            version_line: info.version_line(),
            version: info.version.to_string(),
            build: info.build_id(),
        }
    }
}

/// Everything `status` shows.
#[derive(Debug, Clone)]
pub struct Overview {
    /// Site, appliance, agent version.
    pub appliance: Appliance,
    /// Whether the daemon runs.
    pub daemon: Daemon,
    /// The database path.
    pub database: PathBuf,
    /// When status looked, Unix ms.
    pub now_ms: i64,
    /// `poll_interval_secs`.
    pub poll_interval_secs: u64,
    /// The store's figures; None on a fresh appliance (no database).
    pub status: Option<Status>,
    /// The client certificate and the CA.
    pub certs: Vec<CertFile>,
}

impl Overview {
    /// Looks at the appliance `config` describes at `now_ms`: the daemon's
    /// lock, the database (read-only; a missing one is a fresh appliance,
    /// not an error) and the certificate files. Creates and changes
    /// nothing.
    pub fn gather(config: &Config, now_ms: i64) -> Result<Overview, StatusError> {
        let database = config.state_dir.join(crate::store::DB_FILE);
        let status = match std::fs::symlink_metadata(&database) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(StatusError::Permission(format!("{}: {e}", database.display())))
            }
            Err(e) => return Err(StatusError::Store(format!("{}: {e}", database.display()))),
            Ok(_) => Some(
                Store::open_to_look(&database)
                    .and_then(|s| Status::read(&s))
                    .map_err(|e| StatusError::Store(e.to_string()))?,
            ),
        };
        let warn = config.mcp.cert_expiry_warn_days;
        let certs = vec![
            CertFile::read("client", "mcp.client_cert_file", &config.mcp.client_cert_file, warn),
            CertFile::read("ca", "mcp.ca_file", &config.mcp.ca_file, warn),
        ];
        Ok(Overview {
            appliance: Appliance::of(config),
            daemon: daemon(&config.state_dir),
            database,
            now_ms,
            poll_interval_secs: config.poll_interval_secs,
            status,
            certs,
        })
    }

    /// The verdict (see the module docs).
    pub fn verdict(&self) -> Verdict {
        match &self.status {
            None => Verdict {
                state: State::Fresh,
                reasons: vec![format!(
                    "no cycle has run on this appliance yet (no database at {})",
                    self.database.display()
                )],
            },
            Some(st) => verdict(st, self.now_ms, self.poll_interval_secs),
        }
    }
}

/// Why `status` could not look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusError {
    /// The database could not be read (exit [`crate::EXIT_IOERR`]).
    Store(String),
    /// Not allowed to read the state directory (exit [`crate::EXIT_NOPERM`]).
    Permission(String),
}

impl StatusError {
    /// The exit status.
    pub fn exit_code(&self) -> i32 {
        match self {
            StatusError::Store(_) => crate::EXIT_IOERR,
            StatusError::Permission(_) => crate::EXIT_NOPERM,
        }
    }
}

impl std::fmt::Display for StatusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusError::Store(e) => write!(f, "cannot read the state database: {e}"),
            StatusError::Permission(e) => write!(f, "{e} (run status as the agent's user, root)"),
        }
    }
}

#[cfg(test)]
mod tests;
