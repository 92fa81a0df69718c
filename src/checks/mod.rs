//! The six drift checks (design §9).
//!
//! Owns: the check names and what each one cites. The checks themselves
//! arrive with the drift-detection work.

use serde::Serialize;
use std::fmt;

/// One of the six checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// NixOS revision and nixpkgs age.
    Patching,
    /// Critical systemd units active.
    Services,
    /// Recent, intact backups.
    Backups,
    /// nftables ruleset equals the signed baseline.
    Firewall,
    /// journald up and accepting messages.
    Logging,
    /// Volumes open as dm-crypt.
    Encryption,
}

impl CheckName {
    /// All six, in report order.
    pub const ALL: [CheckName; 6] = [
        CheckName::Patching,
        CheckName::Services,
        CheckName::Backups,
        CheckName::Firewall,
        CheckName::Logging,
        CheckName::Encryption,
    ];

    /// The config/evidence spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Patching => "patching",
            CheckName::Services => "services",
            CheckName::Backups => "backups",
            CheckName::Firewall => "firewall",
            CheckName::Logging => "logging",
            CheckName::Encryption => "encryption",
        }
    }

    /// Parses the config/evidence spelling.
    pub fn parse(s: &str) -> Option<CheckName> {
        CheckName::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
