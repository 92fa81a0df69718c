//! The action allowlist (docs/protocol.md, "The order payload") and
//! per-action parameter validation.
//!
//! An [`Action`] can only be built by [`Action::parse`], which checks every
//! parameter against configuration: units only from the configured critical
//! list, flake refs only under the allowed prefixes, firewall rulesets only
//! with a matching SHA-256 and only ruleset-building statements (no
//! `include`: [`crate::nftscript`]). No variant carries a program, a path to
//! run or free-form arguments.

use crate::checks::CheckName;
use crate::config::{Config, UnitName};
use crate::encoding::{hex, hex_decode, sha256};
use crate::validate::quoted;
use serde_json::{Map, Value};

/// Largest firewall ruleset an order may carry.
pub const MAX_RULESET_BYTES: usize = 256 * 1024;

/// What an accepted order asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run every enabled check now.
    RunChecks,
    /// Heal one check's drift now (subject to the maintenance window).
    Heal {
        /// Which check.
        check: CheckName,
    },
    /// Restart one of the configured critical units.
    RestartService {
        /// The unit (one of `checks.services.units`).
        unit: UnitName,
    },
    /// Start the configured backup unit.
    TriggerBackup,
    /// `nixos-rebuild switch --flake <flake_ref>` with health check and rollback.
    NixosRebuild {
        /// Under one of `checks.patching.allowed_flake_prefixes`.
        flake_ref: String,
    },
    /// Replace the firewall baseline with this ruleset.
    UpdateFirewallBaseline {
        /// nft ruleset text.
        ruleset: String,
        /// Its SHA-256, as the order stated it (verified to match).
        sha256: [u8; 32],
    },
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionError {
    /// Not on the allowlist.
    Unknown,
    /// On the allowlist, but the parameters are not acceptable.
    InvalidParams(String),
}

/// The parts of the configuration that bound what orders may ask.
#[derive(Debug, Clone, Default)]
pub struct ActionPolicy {
    /// Checks that are enabled.
    pub enabled_checks: Vec<CheckName>,
    /// `checks.services.units`.
    pub units: Vec<UnitName>,
    /// `checks.patching.allowed_flake_prefixes`.
    pub flake_prefixes: Vec<String>,
}

impl ActionPolicy {
    /// The policy a configuration implies.
    pub fn from_config(c: &Config) -> Self {
        let ch = &c.checks;
        let enabled_checks = CheckName::ALL
            .into_iter()
            .filter(|n| match n {
                CheckName::Patching => ch.patching.is_some(),
                CheckName::Services => ch.services.is_some(),
                CheckName::Backups => ch.backups.is_some(),
                CheckName::Firewall => ch.firewall.is_some(),
                CheckName::Logging => ch.logging.is_some(),
                CheckName::Encryption => ch.encryption.is_some(),
            })
            .collect();
        ActionPolicy {
            enabled_checks,
            units: ch.services.as_ref().map(|s| s.units.clone()).unwrap_or_default(),
            flake_prefixes: ch.patching.as_ref().map(|p| p.allowed_flake_prefixes.clone()).unwrap_or_default(),
        }
    }

    fn require_check(&self, check: CheckName) -> Result<(), ActionError> {
        if self.enabled_checks.contains(&check) {
            Ok(())
        } else {
            Err(ActionError::InvalidParams(format!("the {check} check is not enabled on this appliance")))
        }
    }
}

/// The six action names of protocol v1.
pub const ACTION_NAMES: [&str; 6] =
    ["run_checks", "heal", "restart_service", "trigger_backup", "nixos_rebuild", "update_firewall_baseline"];

impl Action {
    /// Validates `name` and `params` into an action.
    pub fn parse(name: &str, params: &Map<String, Value>, policy: &ActionPolicy) -> Result<Action, ActionError> {
        let p = Params { map: params };
        let action = match name {
            "run_checks" => {
                p.only(&[])?;
                Action::RunChecks
            }
            "heal" => {
                p.only(&["check"])?;
                let name = p.str("check")?;
                let check = CheckName::parse(name).ok_or_else(|| {
                    ActionError::InvalidParams(format!("check {} is not one of the six", quoted(name)))
                })?;
                policy.require_check(check)?;
                if check == CheckName::Encryption {
                    return Err(ActionError::InvalidParams("encryption is never healed automatically".into()));
                }
                Action::Heal { check }
            }
            "restart_service" => {
                p.only(&["unit"])?;
                let raw = p.str("unit")?;
                let unit = UnitName::parse(raw)
                    .map_err(|_| ActionError::InvalidParams(format!("unit {} is not a unit name", quoted(raw))))?;
                if !policy.units.contains(&unit) {
                    return Err(ActionError::InvalidParams(format!(
                        "unit {} is not a configured critical unit",
                        quoted(unit.as_str())
                    )));
                }
                Action::RestartService { unit }
            }
            "trigger_backup" => {
                p.only(&[])?;
                policy.require_check(CheckName::Backups)?;
                Action::TriggerBackup
            }
            "nixos_rebuild" => {
                p.only(&["flake_ref"])?;
                policy.require_check(CheckName::Patching)?;
                let flake_ref = p.str("flake_ref")?;
                // The message names the wrong part, with the reference escaped.
                crate::validate::flake_ref(flake_ref, &policy.flake_prefixes).map_err(ActionError::InvalidParams)?;
                Action::NixosRebuild { flake_ref: flake_ref.to_string() }
            }
            "update_firewall_baseline" => {
                p.only(&["ruleset", "sha256"])?;
                policy.require_check(CheckName::Firewall)?;
                let ruleset = p.str("ruleset")?;
                if ruleset.is_empty() || ruleset.len() > MAX_RULESET_BYTES {
                    return Err(ActionError::InvalidParams(format!("ruleset must be 1..={MAX_RULESET_BYTES} bytes")));
                }
                if ruleset.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                    return Err(ActionError::InvalidParams("ruleset contains control characters".into()));
                }
                // Orders are data: nothing in a ruleset may make nft read a
                // file (whose lines it would echo into evidence) or do more
                // than build a ruleset.
                crate::nftscript::parse(ruleset).map_err(|r| ActionError::InvalidParams(format!("ruleset: {r}")))?;
                let stated: [u8; 32] = hex_decode(p.str("sha256")?)
                    .and_then(|v| v.try_into().ok())
                    .ok_or_else(|| ActionError::InvalidParams("sha256 is not 64 hex digits".into()))?;
                let actual = sha256(ruleset.as_bytes());
                if actual != stated {
                    return Err(ActionError::InvalidParams(format!(
                        "sha256 does not match the ruleset (it hashes to {})",
                        hex(&actual)
                    )));
                }
                Action::UpdateFirewallBaseline { ruleset: ruleset.to_string(), sha256: stated }
            }
            _ => return Err(ActionError::Unknown),
        };
        Ok(action)
    }

    /// The protocol name of the action.
    pub fn name(&self) -> &'static str {
        match self {
            Action::RunChecks => "run_checks",
            Action::Heal { .. } => "heal",
            Action::RestartService { .. } => "restart_service",
            Action::TriggerBackup => "trigger_backup",
            Action::NixosRebuild { .. } => "nixos_rebuild",
            Action::UpdateFirewallBaseline { .. } => "update_firewall_baseline",
        }
    }

    /// Disruptive actions run only inside the maintenance window.
    pub fn disruptive(&self) -> bool {
        matches!(self, Action::NixosRebuild { .. } | Action::Heal { check: CheckName::Patching })
    }
}

struct Params<'a> {
    map: &'a Map<String, Value>,
}

impl Params<'_> {
    fn only(&self, allowed: &[&str]) -> Result<(), ActionError> {
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(ActionError::InvalidParams(format!("unexpected parameter {}", quoted(k)))),
            None => Ok(()),
        }
    }

    fn str(&self, key: &str) -> Result<&str, ActionError> {
        match self.map.get(key) {
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(ActionError::InvalidParams(format!("{key} must be a string"))),
            None => Err(ActionError::InvalidParams(format!("{key} is required"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy() -> ActionPolicy {
        ActionPolicy {
            enabled_checks: CheckName::ALL.to_vec(),
            units: vec![UnitName::parse("sshd.service").unwrap()],
            flake_prefixes: vec!["github:clinic/appliance".into()],
        }
    }

    fn parse(name: &str, params: Value) -> Result<Action, ActionError> {
        Action::parse(name, params.as_object().unwrap(), &policy())
    }

    #[test]
    fn allowlisted_actions_parse() {
        assert_eq!(parse("run_checks", json!({})).unwrap(), Action::RunChecks);
        assert_eq!(parse("heal", json!({"check": "services"})).unwrap(), Action::Heal { check: CheckName::Services });
        assert!(matches!(parse("restart_service", json!({"unit": "sshd.service"})), Ok(Action::RestartService { .. })));
        assert_eq!(parse("trigger_backup", json!({})).unwrap(), Action::TriggerBackup);
        assert!(parse("nixos_rebuild", json!({"flake_ref": "github:clinic/appliance#appl-01"})).unwrap().disruptive());
        let rules = "table inet filter {\n}\n";
        let a = parse(
            "update_firewall_baseline",
            json!({"ruleset": rules, "sha256": crate::encoding::sha256_hex(rules.as_bytes())}),
        );
        assert!(matches!(a, Ok(Action::UpdateFirewallBaseline { .. })));
    }

    #[test]
    fn unknown_actions() {
        for name in ["exec", "run_command", "shell", "RUN_CHECKS", "", "restart_service "] {
            assert_eq!(parse(name, json!({})), Err(ActionError::Unknown), "{name:?}");
        }
    }

    #[test]
    fn invalid_params() {
        let bad = [
            ("run_checks", json!({"extra": 1})),
            ("heal", json!({})),
            ("heal", json!({"check": "everything"})),
            ("heal", json!({"check": "encryption"})),
            ("heal", json!({"check": 3})),
            ("restart_service", json!({"unit": "postgresql.service"})),
            ("restart_service", json!({"unit": "sshd.service; reboot"})),
            ("restart_service", json!({"unit": "--force"})),
            ("restart_service", json!({"unit": "sshd.service", "args": ["x"]})),
            ("nixos_rebuild", json!({"flake_ref": "github:evil/appliance#x"})),
            ("nixos_rebuild", json!({"flake_ref": "github:clinic/appliance#x$(reboot)"})),
            ("nixos_rebuild", json!({"flake_ref": "github:clinic/appliance-evil"})),
            ("nixos_rebuild", json!({"flake_ref": "github:clinic/appliance?host=evil.example#appl-01"})),
            ("nixos_rebuild", json!({"flake_ref": "github:clinic/appliance/x?dir=.."})),
            ("nixos_rebuild", json!({"flake_ref": "github:clinic/appliance#a#b"})),
            ("update_firewall_baseline", json!({"ruleset": "flush ruleset\n", "sha256": "00"})),
            (
                "update_firewall_baseline",
                json!({"ruleset": "x\u{1b}[2J", "sha256": crate::encoding::sha256_hex("x\u{1b}[2J".as_bytes())}),
            ),
            ("update_firewall_baseline", json!({"ruleset": "", "sha256": crate::encoding::sha256_hex(b"")})),
        ];
        for (name, params) in bad {
            assert!(matches!(parse(name, params.clone()), Err(ActionError::InvalidParams(_))), "{name} {params}");
        }
    }

    fn message(name: &str, params: Value) -> String {
        match parse(name, params) {
            Err(ActionError::InvalidParams(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn messages_escape_untrusted_names() {
        assert_eq!(message("run_checks", json!({"unit\u{0}": 1})), r#"unexpected parameter "unit\u0000""#);
        assert_eq!(
            message("heal", json!({"check": "services\u{7}"})),
            r#"check "services\u0007" is not one of the six"#
        );
        assert_eq!(
            message("restart_service", json!({"unit": "sshd.service\n\"x\\"})),
            r#"unit "sshd.service\u000a\"x\\" is not a unit name"#
        );
    }

    #[test]
    fn flake_ref_messages_name_the_wrong_part() {
        assert_eq!(
            message("nixos_rebuild", json!({"flake_ref": "github:clinic/appliance?dir=../etc#appl-01"})),
            r#"flake ref "github:clinic/appliance?dir=../etc#appl-01": dir= "../etc" must be a relative path of segments of A-Z a-z 0-9 . _ -, starting with a letter, digit or _ (none empty, . or .., no leading /)"#
        );
        assert_eq!(
            message("nixos_rebuild", json!({"flake_ref": "github:clinic/appliance-evil#appl-01"})),
            r#"flake ref "github:clinic/appliance-evil#appl-01": not under an allowed prefix"#
        );
    }

    #[test]
    fn a_ruleset_that_includes_a_file_is_invalid() {
        let with_sha = |rules: &str| json!({"ruleset": rules, "sha256": crate::encoding::sha256_hex(rules.as_bytes())});
        let rules = "flush ruleset\ntable inet filter {\n  include \"/etc/shadow\"\n}\n";
        assert_eq!(
            parse("update_firewall_baseline", with_sha(rules)),
            Err(ActionError::InvalidParams("ruleset: line 3: `include` would make nft read a file".into()))
        );
        for rules in [
            "include \"/etc/shadow\"\n",
            "define f = \"/etc/shadow\"\ninclude $f\n",
            "table inet filter {}\nlist ruleset\n",
            "table inet filter { chain c { iifname eth\\* accept } }\n",
        ] {
            assert!(
                matches!(parse("update_firewall_baseline", with_sha(rules)), Err(ActionError::InvalidParams(_))),
                "{rules:?}"
            );
        }
        // A comment or an identifier that merely contains the word is fine.
        let rules = "table inet filter {\n  chain include_x {\n    accept comment \"include me\"\n  }\n}\n";
        assert!(matches!(
            parse("update_firewall_baseline", with_sha(rules)),
            Ok(Action::UpdateFirewallBaseline { .. })
        ));
    }

    #[test]
    fn disabled_checks_bound_actions() {
        let p = ActionPolicy::default();
        let empty = Map::new();
        assert!(matches!(Action::parse("trigger_backup", &empty, &p), Err(ActionError::InvalidParams(_))));
        let heal = json!({"check": "logging"});
        assert!(matches!(Action::parse("heal", heal.as_object().unwrap(), &p), Err(ActionError::InvalidParams(_))));
    }
}
