//! Start-up: the state directory checked and locked, the store opened
//! (or a lost history reported), the MCP client built, and what start-up
//! found attested before the first cycle.
//!
//! Owns: [`StartError`] (configuration problems exit 78) and the order of
//! start-up. Must never: start on a state directory it cannot trust, or let
//! anything append to a new chain before its loss alert.

use super::Agent;
use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::evidence::attest::{Attestor, Writer};
use crate::evidence::bundle::Context;
use crate::evidence::flush::FlushLimits;
use crate::evidence::verify::{public_pem, PUBLIC_KEY_STATE};
use crate::evidence::{Kind, Outcome, Record};
use crate::exec::SystemRunner;
use crate::keys::SigningKey;
use crate::mcp::{McpClient, Transport};
use crate::notify::Notifier;
use crate::orders::Policy;
use crate::store::Store;
use std::fmt;
use std::time::Duration;

/// Why the agent could not start; each kind has its exit status
/// ([`StartError::exit_code`]).
#[derive(Debug)]
pub enum StartError {
    /// A configured file or key is unusable: `(key path, message)`.
    Config(String, String),
    /// This process may not use the state directory or a file (not run as
    /// the agent's user).
    Permission(String),
    /// The state database could not be opened.
    Store(crate::store::StoreError),
    /// Another agent process holds `state_dir/agent.lock`.
    Busy(String),
}

impl StartError {
    /// 78 configuration, 77 permission, 74 the database, 75 the lock.
    pub fn exit_code(&self) -> i32 {
        match self {
            StartError::Config(..) => crate::EXIT_CONFIG,
            StartError::Permission(_) => crate::EXIT_NOPERM,
            StartError::Store(_) => crate::EXIT_IOERR,
            StartError::Busy(_) => crate::EXIT_TEMPFAIL,
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Config(key, msg) => write!(f, "{key}: {msg}"),
            StartError::Permission(msg) => write!(f, "permission denied: {msg}"),
            StartError::Store(e) => write!(f, "state database: {e}"),
            StartError::Busy(path) => {
                write!(f, "another compliance-agent holds {path}; run --once only when the daemon is stopped")
            }
        }
    }
}

/// What is wrong with a state directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateDirProblem {
    /// It does not exist yet (the agent creates it, mode 0700).
    Missing,
    /// This process may not use it: not run as the agent's user.
    Permission(String),
    /// It cannot be trusted: a symlink, not a directory, another owner,
    /// writable by group or others.
    Untrusted(String),
}

impl fmt::Display for StateDirProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateDirProblem::Missing => f.write_str("does not exist yet (created with mode 0700 at the first run)"),
            StateDirProblem::Permission(m) | StateDirProblem::Untrusted(m) => f.write_str(m),
        }
    }
}

impl From<StateDirProblem> for StartError {
    fn from(p: StateDirProblem) -> StartError {
        match p {
            StateDirProblem::Permission(m) => StartError::Permission(m),
            other => StartError::Config("state_dir".into(), other.to_string()),
        }
    }
}

/// Looks at `state_dir` without changing anything: is it a directory this
/// process can trust and use? (`config check` and start-up share it.)
pub fn inspect_state_dir(state_dir: &std::path::Path) -> Result<(), StateDirProblem> {
    use std::os::unix::fs::MetadataExt;
    let d = state_dir.display();
    let meta = match std::fs::symlink_metadata(state_dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StateDirProblem::Missing),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(StateDirProblem::Permission(format!("{d}: {e}; run the agent as root")))
        }
        Err(e) => return Err(StateDirProblem::Untrusted(format!("{d}: {e}"))),
    };
    if meta.file_type().is_symlink() {
        return Err(StateDirProblem::Untrusted(format!(
            "{d} is a symbolic link; point state_dir at the directory itself"
        )));
    }
    if !meta.is_dir() {
        return Err(StateDirProblem::Untrusted(format!("{d} is not a directory")));
    }
    let euid = crate::sys::euid();
    if meta.uid() != euid {
        if euid != 0 {
            // The usual cause: run by hand without sudo.
            return Err(StateDirProblem::Permission(format!(
                "{d} belongs to uid {} and this process runs as uid {euid}; run the agent as root",
                meta.uid()
            )));
        }
        return Err(StateDirProblem::Untrusted(format!(
            "{d} is owned by uid {}, not by the agent's user (uid {euid}); run `chown {euid} {d}`",
            meta.uid()
        )));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(StateDirProblem::Untrusted(format!(
            "{d} has mode {mode:04o}: group or others may write to it; run `chmod 700 {d}`"
        )));
    }
    Ok(())
}

/// Creates `state_dir` (mode 0700) if needed and refuses one the agent
/// cannot trust: a symlink, not a directory, owned by another user, or
/// writable by group or others (anyone who can write there can plant a
/// database, a baseline or a symlink).
pub fn check_state_dir(state_dir: &std::path::Path) -> Result<(), StartError> {
    use std::os::unix::fs::DirBuilderExt;
    if let Err(StateDirProblem::Missing) = inspect_state_dir(state_dir) {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(state_dir).map_err(|e| {
            let msg = format!("{}: cannot create: {e}", state_dir.display());
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                StartError::Permission(format!("{msg}; run the agent as root"))
            } else {
                StartError::Config("state_dir".into(), msg)
            }
        })?;
    }
    inspect_state_dir(state_dir).map_err(StartError::from)
}

/// Takes the exclusive lock `state_dir/agent.lock`, so a `--once` run and
/// the daemon never work on the same appliance at the same time.
fn lock_state_dir(state_dir: &std::path::Path) -> Result<std::fs::File, StartError> {
    use std::os::unix::fs::OpenOptionsExt;
    let fail = |m: String| StartError::Config("state_dir".into(), m);
    check_state_dir(state_dir)?;
    let path = state_dir.join("agent.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .mode(0o600)
        .open(&path)
        .map_err(|e| fail(format!("{}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StartError::Busy(path.display().to_string())),
        Err(std::fs::TryLockError::Error(e)) => Err(fail(format!("{}: {e}", path.display()))),
    }
}

impl Agent {
    /// Builds the agent: opens the store and the MCP client.
    pub fn new(config: Config, key: SigningKey, notifier: Notifier) -> Result<Self, StartError> {
        // The state directory first: run without the rights to it, that is
        // what to report (exit 77), not the unreadable keys that follow.
        let lock = lock_state_dir(&config.state_dir)?;
        let mcp = McpClient::new(&config.mcp, config.site_id.as_str(), config.appliance_id.as_str())
            .map_err(|e| StartError::Config(e.key.to_string(), e.message))?;
        let (store, recovery) = Store::open_or_recover(&config.state_dir).map_err(StartError::Store)?;
        let mut agent = Self::with_parts(config, key.clone(), notifier, store, Box::new(mcp), Box::new(SystemClock));
        agent.lock = Some(lock);
        agent.reconcile_key(&key);
        agent.certs = super::certs::watched(&agent.config);
        match agent.store.fail_interrupted_orders() {
            Ok(rows) => {
                for crate::store::InterruptedOrder { envelope_sha256: hash, order_id, action } in rows {
                    log::warn!(
                        "order {} ({}) was interrupted by a crash; it is not run again",
                        order_id.as_deref().unwrap_or("?"),
                        action.as_deref().unwrap_or("?")
                    );
                    let mut rec = Record::new(Kind::Order, Outcome::Failed, agent.clock.now_ms())
                        .reason("interrupted")
                        .detail("the agent stopped while this order ran; it is not run again");
                    rec.order =
                        Some(crate::evidence::OrderRef { order_id, keyid: None, action, envelope_sha256: hash });
                    agent.attestor.queue([rec]);
                }
            }
            // A full file system must not keep the agent from detecting,
            // healing and alerting: the rows stay `running` and are settled
            // at a later start.
            Err(e) if e.is_full() => log::error!("cannot settle orders a crash interrupted: {e}"),
            Err(e) => return Err(StartError::Store(e)),
        }
        if agent.store.degraded() {
            let now_ms = agent.clock.now_ms();
            agent.attestor.note_full(now_ms);
        }
        if let Some(r) = recovery {
            let last = match &r.last_known {
                Some(t) => format!("its last known bundle was seq {} with sha256 {}", t.seq, t.sha256),
                None => "its last bundle is unknown (no readable chain.head)".to_string(),
            };
            let moved = match &r.moved_to {
                Some(p) => format!("moved to {}", p.display()),
                None => "nothing to move aside".to_string(),
            };
            // The replay history went with it: the new database refuses
            // orders issued before now (written when it was created).
            let msg = format!("the state database was lost ({}; {moved}); a new chain starts here; {last}", r.error);
            log::error!("{msg}");
            // The first bundle of the new chain names the old one.
            let mut rec = Record::alert("store_corrupt", "store_corrupt", msg, agent.clock.now_ms());
            rec.pre_state = Some(serde_json::json!({
                "old_database": r.moved_to.as_ref().map(|p| p.display().to_string()),
                "last_known_seq": r.last_known.as_ref().map(|t| t.seq),
                "last_known_sha256": r.last_known.as_ref().map(|t| t.sha256.clone()),
            }));
            // Before anything else can append (a heal's closing bundle).
            agent.attestor.queue_first(rec);
        }
        // What start-up found is attested now, ahead of the first cycle's
        // work: the loss is the new chain's first bundle.
        let now_ms = agent.clock.now_ms();
        let r = agent.attestor.attest(&agent.store, now_ms);
        if let Some(e) = r.error {
            log::error!("attest at start: {e}; {} records wait in memory", r.pending);
        }
        Ok(agent)
    }

    /// A rotated evidence key (`keygen --rotate`) is recorded before
    /// anything else is written (`evidence::rotation`).
    fn reconcile_key(&mut self, key: &SigningKey) {
        use crate::evidence::rotation::{at_start, KeyStart};
        let now_ms = self.clock.now_ms();
        match at_start(&self.store, self.attestor.writer(), key, &self.config.signing_key_file, now_ms) {
            KeyStart::Same => {}
            KeyStart::AlreadyRotated => log::info!("the evidence key rotation was recorded at an earlier start"),
            KeyStart::Rotated { seq, from, to } => {
                log::warn!(
                    "evidence key rotated at seq {seq}: key {from} signed the rotation, key {to} signs from now on"
                )
            }
            KeyStart::Deferred { error, old } => {
                log::error!(
                    "cannot record the evidence key rotation ({error}); signing with the old key {} until a start records it",
                    crate::keys::fingerprint(&old.public())
                );
                if let Err(e) = self.store.set_state(PUBLIC_KEY_STATE, &public_pem(&old.public())) {
                    log::warn!("cannot record the evidence public key: {e}");
                }
                self.attestor.replace_key(old);
            }
            KeyStart::Unlinked { last_seq, why } => {
                let msg = format!(
                    "the evidence key changed to {} without a signed rotation: seq {last_seq} was signed by another key and {why}; `evidence verify` fails from the next bundle on (rotate with `compliance-agent keygen --rotate`)",
                    crate::keys::fingerprint(&key.public())
                );
                log::error!("{msg}");
                let mut rec = Record::alert("evidence_key_unlinked", "evidence_key_unlinked", msg, now_ms);
                rec.pre_state = Some(serde_json::json!({
                    "last_seq": last_seq,
                    "new_key_sha256": crate::keys::fingerprint(&key.public()),
                }));
                self.attestor.queue_first(rec);
            }
        }
    }

    /// Builds the agent from its parts (tests use a fake transport or clock).
    pub fn with_parts(
        config: Config,
        key: SigningKey,
        notifier: Notifier,
        store: Store,
        mcp: Box<dyn Transport>,
        clock: Box<dyn Clock>,
    ) -> Self {
        let runner = SystemRunner::new(notifier.clone());
        let policy = Policy::from_config(&config);
        // The build id from the cache beside the database (the executable
        // is hashed only when it is not the file the cache describes).
        let info = crate::build_info_in(&config.state_dir, true);
        let ctx = Context {
            site_id: config.site_id.to_string(),
            appliance_id: config.appliance_id.to_string(),
            deployment_mode: config.deployment_mode.as_str(),
            version: info.version,
            build: info.build_id(),
            boot_id: crate::fsutil::read_text_capped(
                std::path::Path::new("/proc/sys/kernel/random/boot_id"),
                64,
                crate::fsutil::Follow::Symlinks,
            )
            .ok()
            .map(|s| s.trim().to_string()),
            enabled_checks: policy.actions.enabled_checks.clone(),
        };
        if let Err(e) = store.set_state(PUBLIC_KEY_STATE, &public_pem(&key.public())) {
            log::warn!("cannot record the evidence public key: {e}");
        }
        let attestor = Attestor::new(Writer::new(ctx, key), config.evidence.summary_interval_secs);
        let e = &config.evidence;
        let flush_limits = FlushLimits {
            batch_items: usize::try_from(e.flush_batch_size).unwrap_or(256),
            max_per_flush: usize::try_from(e.flush_max_per_cycle).unwrap_or(usize::MAX),
            time_budget: Duration::from_secs(e.flush_time_budget_secs),
            backoff_initial: Duration::from_secs(e.flush_backoff_initial_secs),
            backoff_max: Duration::from_secs(e.flush_backoff_max_secs),
        };
        Agent {
            config,
            notifier,
            runner,
            store,
            mcp,
            policy,
            clock,
            attestor,
            flush_limits,
            last_checks: std::collections::BTreeMap::new(),
            lock: None,
            unclosed: Vec::new(),
            certs: Vec::new(),
        }
    }
}
