//! Remediation: every heal — from drift or from an order — is a journaled
//! transaction: snapshot, act, verify, then commit or roll back
//! (docs/healing.md).
//!
//! ```text
//!  snapshot ─► journal row ─► act ─► verify ─┬─ ok ───────────────► close: success
//!  (pre-state,  (before any    │             └─ failed ─► rollback ─► verify ─┬─ close: reverted
//!   system,      change)       │                          (patching,          └─ close: failed + alert
//!   saved rules)               ▼                           firewall)
//!                       crash anywhere: the open row is resolved at the next
//!                       start (verify, roll back if needed), reason "interrupted"
//!
//!  engine       snapshot, journal row, dispatch to the target, close
//!  the target   act, verify, rollback — side by side in one file per target:
//!               services, backups, logging, firewall, patching
//!  recovery     an open row after a crash, through the target's own verify
//!               and rollback
//! ```
//!
//! The closing evidence bundle and the closing of the journal row (and the
//! order's final state) commit in one SQLite transaction, so a remediation
//! has exactly one closing bundle however it is interrupted.
//!
//! This file holds what the parts share: [`Target`] (what a remediation
//! changes, and the journal's name for it), [`Ctx`] (what it needs, and the
//! helpers every target uses to run tools and checks), and what a
//! remediation hands back ([`Remediated`], [`Unwritten`]).
//!
//! Owns: the remediation targets and their act / verify / rollback steps,
//! the journal, crash recovery.
//! Must never: act without an open journal row, report `reverted` for a
//! rollback it did not verify, or touch encryption.

use crate::checks::{self, CheckName, CheckResult, Env};
use crate::clock::Clock;
use crate::config::{Config, UnitName};
use crate::evidence::attest::Writer;
use crate::evidence::Record;
use crate::exec::{CommandRecord, Invocation, Runner};
use crate::mcp::Transport;
use crate::notify::Notifier;
use crate::store::Store;
use std::time::Duration;

mod engine;
mod recovery;

mod backups;
mod firewall;
mod logging;
mod patching;
mod services;

pub use engine::{remediate, remediate_drift, write_closing};
pub use firewall::swap_script;
pub use recovery::{busy_checks, recover};

/// State key: the revision the last approved rebuild produced.
pub use crate::checks::patching::APPROVED_REVISION;

/// What a remediation changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Restart these units.
    Services(Vec<UnitName>),
    /// Start the backup unit and wait for it.
    Backup,
    /// Restart journald.
    Journald,
    /// `nixos-rebuild switch --flake <ref>`, health check, rollback.
    Rebuild(String),
    /// Apply the signed firewall baseline atomically, restore on failure.
    Firewall,
}

impl Target {
    /// The journal's name for the target.
    pub fn key(&self) -> String {
        match self {
            Target::Services(units) => {
                format!("services:{}", units.iter().map(UnitName::as_str).collect::<Vec<_>>().join(","))
            }
            Target::Backup => "backups".into(),
            Target::Journald => "logging".into(),
            Target::Rebuild(flake) => format!("patching:{flake}"),
            Target::Firewall => "firewall".into(),
        }
    }

    /// Parses [`Target::key`] (journal recovery).
    pub fn from_key(key: &str) -> Option<Target> {
        if let Some(units) = key.strip_prefix("services:") {
            let units: Option<Vec<UnitName>> = units.split(',').map(|u| UnitName::parse(u).ok()).collect();
            return units.map(Target::Services);
        }
        if let Some(flake) = key.strip_prefix("patching:") {
            return Some(Target::Rebuild(flake.to_string()));
        }
        match key {
            "backups" => Some(Target::Backup),
            "logging" => Some(Target::Journald),
            "firewall" => Some(Target::Firewall),
            _ => None,
        }
    }

    /// The check whose drift this target repairs.
    pub fn check(&self) -> CheckName {
        match self {
            Target::Services(_) => CheckName::Services,
            Target::Backup => CheckName::Backups,
            Target::Journald => CheckName::Logging,
            Target::Rebuild(_) => CheckName::Patching,
            Target::Firewall => CheckName::Firewall,
        }
    }

    /// Disruptive targets run only inside the maintenance window.
    pub fn disruptive(&self) -> bool {
        matches!(self, Target::Rebuild(_))
    }

    /// Targets whose crash recovery is only a re-check (nothing to roll
    /// back): when the file system is full they may act with the journal
    /// in memory. A rebuild or a firewall change never does.
    pub fn safe_without_journal(&self) -> bool {
        matches!(self, Target::Services(_) | Target::Backup | Target::Journald)
    }
}

/// Everything a remediation needs.
pub struct Ctx<'a> {
    /// Configuration.
    pub config: &'a Config,
    /// Runs tools (feeds the watchdog while they run).
    pub runner: &'a dyn Runner,
    /// Wall time.
    pub clock: &'a dyn Clock,
    /// The store (journal, state, evidence).
    pub store: &'a Store,
    /// The MCP, for the "still reachable?" part of health checks.
    pub mcp: &'a dyn Transport,
    /// Writes the closing bundle.
    pub writer: &'a Writer,
    /// Whether the MCP answered this cycle's poll.
    pub mcp_reachable: bool,
    /// systemd's status line (`STATUS=`), for steps that take minutes.
    pub notifier: &'a Notifier,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").finish_non_exhaustive()
    }
}

/// The helpers every target uses: tools and checks go through these, so
/// each command lands in the remediation's evidence and the log.
impl Ctx<'_> {
    /// The checks' view of the host.
    fn env(&self) -> Env<'_> {
        Env { config: self.config, runner: self.runner, clock: self.clock, state: self.store }
    }

    /// Runs a check now.
    fn check(&self, c: CheckName) -> CheckResult {
        checks::run(c, &self.env())
    }

    /// Runs an allowlisted tool and records the command.
    fn tool(&self, actions: &mut Vec<CommandRecord>, tool: &str, args: &[&str], timeout: Duration) -> CommandRecord {
        self.invoke(actions, Invocation::new(self.config.tools.path(tool), args.iter().copied(), timeout))
    }

    /// Runs an invocation, logs it and records it in `actions`.
    fn invoke(&self, actions: &mut Vec<CommandRecord>, inv: Invocation) -> CommandRecord {
        let rec = self.runner.run(&inv);
        log::info!("heal: {}", rec.summary());
        actions.push(rec.clone());
        rec
    }

    /// Whether the MCP answers on a new connection (a pooled one could
    /// survive a ruleset that blocks new connections).
    fn mcp_probe(&self) -> bool {
        self.mcp.probe().is_ok()
    }
}

/// How a remediation ended, as its caller needs it.
#[derive(Debug)]
pub struct Remediated {
    /// The closing record.
    pub record: Record,
    /// The check's result after the remediation, if it was re-checked.
    pub post: Option<CheckResult>,
    /// The closing bundle could not be written (the store refused it): the
    /// caller keeps it and writes it later with [`write_closing`], before
    /// anything may resolve its journal row.
    pub unwritten: Option<Unwritten>,
}

/// A closing bundle the store did not take yet, with what it settles in
/// the same transaction.
#[derive(Debug, Clone)]
pub struct Unwritten {
    /// The closing record.
    pub record: Record,
    /// The journal row it closes, if the remediation had one.
    pub journal: Option<i64>,
    /// The order it settles: envelope hash and final state.
    pub order: Option<(String, &'static str)>,
}
