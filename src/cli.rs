//! The command line (a contract: README.md's "Command line" and the man
//! page docs/compliance-agent.8 show it; tests/cli_docs.rs keeps them equal
//! to [`help`]), parsed by hand.
//!
//! Owns: turning argv into a [`Command`] or a usage error. Must never: do
//! any work, read files, or accept an option it does not understand.

use std::path::PathBuf;

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The daemon loop (systemd Type=notify).
    Run {
        /// Configuration file.
        config: PathBuf,
    },
    /// One full cycle, then exit.
    Once {
        /// Configuration file.
        config: PathBuf,
        /// The closing summary as JSON instead of a line.
        json: bool,
    },
    /// Run the enabled checks once: no heal, no network.
    Check {
        /// Configuration file.
        config: PathBuf,
        /// JSON instead of a table.
        json: bool,
    },
    /// Validate the configuration, keys, certificates, tools and state
    /// directory, and (unless offline) reach the MCP; nothing is changed.
    ConfigCheck {
        /// Configuration file.
        config: PathBuf,
        /// Do not contact the MCP.
        offline: bool,
        /// JSON instead of text.
        json: bool,
    },
    /// Poll and Detect, then print what Heal would do; nothing is changed.
    Plan {
        /// Configuration file.
        config: PathBuf,
        /// JSON instead of text.
        json: bool,
    },
    /// Show the last cycle, backlog, last push and open alerts.
    Status {
        /// Configuration file (for `state_dir`).
        config: PathBuf,
        /// JSON instead of text.
        json: bool,
    },
    /// Write bundles and signatures as files for auditors.
    EvidenceExport {
        /// The agent database.
        db: PathBuf,
        /// Output directory.
        dir: PathBuf,
        /// The evidence private key, to sign the export manifest.
        key: Option<PathBuf>,
        /// Bundles written at or after this time (Unix ms).
        since: Option<i64>,
        /// Bundles written before this time (Unix ms).
        until: Option<i64>,
    },
    /// Verify signatures and the chain, from a database or an export.
    EvidenceVerify {
        /// Where the bundles are.
        source: EvidenceSource,
        /// The appliance's evidence public keys (SPKI PEM); the chain starts
        /// with whichever signed its first bundle.
        pubkeys: Vec<PathBuf>,
    },
    /// Write a new evidence key and its public key.
    Keygen {
        /// Private key path; the public key goes to `PATH.pub.pem`.
        out: PathBuf,
        /// Replace the key at `out`, keeping the old one as `PATH.old`
        /// until the agent has recorded the rotation.
        rotate: bool,
    },
    /// Print the public key of an evidence key file.
    Pubkey {
        /// The private key file.
        key: PathBuf,
    },
    /// Print the version and build id.
    Version,
    /// Print usage.
    Help,
}

/// Where `evidence verify` reads bundles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceSource {
    /// The agent's SQLite database.
    Db(PathBuf),
    /// A directory written by `evidence export`.
    Dir(PathBuf),
}

/// A usage error: the message to print before the usage text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The usage text for `--help` and usage errors.
pub const USAGE: &str = "\
Usage:
  compliance-agent [--config PATH] [run]     run the daemon loop (systemd Type=notify)
  compliance-agent [--config PATH] --once    run one full cycle, then exit
  compliance-agent [--config PATH] check [--json]
                                             run the checks once: no heal, no network
  compliance-agent [--config PATH] config check [--offline] [--json]
                                             validate config, keys, certificates, tools
                                             and state_dir, reach the MCP; change nothing
  compliance-agent [--config PATH] plan [--json]
                                             poll and detect, print what heal would do;
                                             nothing is changed
  compliance-agent [--config PATH] status [--json]
                                             last cycle, backlog, last push, alerts
  compliance-agent evidence export --db PATH [--key PATH] [--since TIME] [--until TIME] DIR
                                             write <seq>-<bundle_id>.json(.sig) files
                                             (seq zero-padded to 20 digits) and, with
                                             --key, a signed export.manifest
  compliance-agent evidence verify (--db PATH | DIR) --pubkey PEM [--pubkey PEM]...
                                             check signatures, the hash chain, key
                                             rotations and the export manifest
  compliance-agent keygen --out PATH [--rotate]
                                             write an evidence key (PATH, mode 0600)
                                             and its public key (PATH.pub.pem);
                                             --rotate: replace the key at PATH, the
                                             old one kept as PATH.old for the agent
  compliance-agent pubkey --key PATH         print an evidence key's public key
  compliance-agent --version | --help

Options:
  --config PATH   configuration file (default /etc/compliance-agent/config.json)
  --once          one full cycle; ends with one summary line (--json: as JSON)
  --offline       config check: do not contact the MCP
  --json          for --once, check, config check, plan and status
  --since, --until TIME
                  evidence export: bundles written in [since, until); TIME is
                  RFC 3339 (2026-11-01T00:00:00Z) or a date (2026-11-01, UTC)
";

/// The whole `--help` text: [`USAGE`] and the exit status table
/// ([`crate::EXIT_CODES`]).
pub fn help() -> String {
    let mut s = String::from(USAGE);
    s.push_str("\nExit status:\n");
    for (code, meaning) in crate::EXIT_CODES {
        s.push_str(&format!("  {code:>3}  {meaning}\n"));
    }
    s
}

/// Parses the arguments after the program name.
pub fn parse<I, S>(args: I) -> Result<Command, UsageError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut args: Vec<String> = args
        .into_iter()
        .map(|a| {
            a.as_ref().to_str().map(str::to_string).ok_or_else(|| UsageError("arguments must be valid UTF-8".into()))
        })
        .collect::<Result<_, _>>()?;
    args.reverse(); // pop() from the front

    let mut config: Option<PathBuf> = None;
    let mut once = false;
    let mut sub: Option<String> = None;
    let mut out: Option<PathBuf> = None;
    let mut json = false;
    let mut db: Option<PathBuf> = None;
    let mut pubkeys: Vec<PathBuf> = Vec::new();
    let mut key: Option<PathBuf> = None;
    let mut since: Option<i64> = None;
    let mut until: Option<i64> = None;
    let mut rotate = false;
    let mut evidence_verb: Option<String> = None;
    let mut config_verb: Option<String> = None;
    let mut offline = false;
    let mut positional: Option<PathBuf> = None;

    while let Some(arg) = args.pop() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, UsageError> {
            match inline.clone().or_else(|| args.pop()) {
                Some(v) if !v.is_empty() => Ok(v),
                _ => Err(UsageError(format!("{name} needs a value"))),
            }
        };
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--version" | "-V" => return Ok(Command::Version),
            "--config" | "-c" => set_once(&mut config, PathBuf::from(value("--config")?), "--config")?,
            "--once" => once = true,
            "--out" if sub.as_deref() == Some("keygen") => set_once(&mut out, PathBuf::from(value("--out")?), "--out")?,
            "--json" => json = true,
            "--offline" if config_verb.is_some() => offline = true,
            "--db" if evidence_verb.is_some() => set_once(&mut db, PathBuf::from(value("--db")?), "--db")?,
            "--pubkey" if evidence_verb.as_deref() == Some("verify") => pubkeys.push(PathBuf::from(value("--pubkey")?)),
            "--key" if evidence_verb.as_deref() == Some("export") || sub.as_deref() == Some("pubkey") => {
                set_once(&mut key, PathBuf::from(value("--key")?), "--key")?
            }
            "--since" if evidence_verb.as_deref() == Some("export") => {
                set_once(&mut since, time(&value("--since")?)?, "--since")?
            }
            "--until" if evidence_verb.as_deref() == Some("export") => {
                set_once(&mut until, time(&value("--until")?)?, "--until")?
            }
            "--rotate" if sub.as_deref() == Some("keygen") => rotate = true,
            f if f.starts_with('-') => return Err(UsageError(format!("unknown option {f}"))),
            word if sub.is_none()
                && matches!(
                    word,
                    "run" | "keygen" | "pubkey" | "status" | "check" | "plan" | "evidence" | "config"
                ) =>
            {
                sub = Some(word.to_string())
            }
            word if sub.as_deref() == Some("evidence") && evidence_verb.is_none() => match word {
                "export" | "verify" => evidence_verb = Some(word.to_string()),
                other => return Err(UsageError(format!("unknown evidence command {other:?} (export or verify)"))),
            },
            word if sub.as_deref() == Some("config") && config_verb.is_none() => match word {
                "check" => config_verb = Some(word.to_string()),
                other => return Err(UsageError(format!("unknown config command {other:?} (check)"))),
            },
            word if evidence_verb.is_some() && positional.is_none() => positional = Some(PathBuf::from(word)),
            word if sub.is_none() => return Err(UsageError(format!("unknown command {word:?}"))),
            word => return Err(UsageError(format!("unexpected argument {word:?}"))),
        }
    }

    let config_path = || config.clone().unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_PATH));
    if json && !(matches!(sub.as_deref(), Some("status" | "check" | "plan" | "config")) || (sub.is_none() && once)) {
        return Err(UsageError("--json goes with --once, check, plan, status or config check".into()));
    }
    match (sub.as_deref(), once) {
        (None, true) => Ok(Command::Once { config: config_path(), json }),
        (None | Some("run"), false) => Ok(Command::Run { config: config_path() }),
        (Some("run"), true) => Err(UsageError("--once and run exclude each other".into())),
        (Some("status"), false) => Ok(Command::Status { config: config_path(), json }),
        (Some("check"), false) => Ok(Command::Check { config: config_path(), json }),
        (Some("plan"), false) => Ok(Command::Plan { config: config_path(), json }),
        (Some("config"), false) => match config_verb {
            Some(_) => Ok(Command::ConfigCheck { config: config_path(), offline, json }),
            None => Err(UsageError("config needs check".into())),
        },
        (Some("evidence"), false) => {
            if config.is_some() {
                return Err(UsageError("evidence commands take no --config".into()));
            }
            match evidence_verb.as_deref() {
                Some("export") => {
                    if let (Some(s), Some(u)) = (since, until) {
                        if s >= u {
                            return Err(UsageError("evidence export: --since must be before --until".into()));
                        }
                    }
                    Ok(Command::EvidenceExport {
                        db: db.ok_or_else(|| UsageError("evidence export needs --db PATH".into()))?,
                        dir: positional.ok_or_else(|| UsageError("evidence export needs an output DIR".into()))?,
                        key,
                        since,
                        until,
                    })
                }
                Some("verify") => {
                    let source = match (db, positional) {
                        (Some(d), None) => EvidenceSource::Db(d),
                        (None, Some(dir)) => EvidenceSource::Dir(dir),
                        _ => return Err(UsageError("evidence verify needs exactly one of --db PATH or DIR".into())),
                    };
                    if pubkeys.is_empty() {
                        return Err(UsageError("evidence verify needs --pubkey PEM".into()));
                    }
                    Ok(Command::EvidenceVerify { source, pubkeys })
                }
                _ => Err(UsageError("evidence needs export or verify".into())),
            }
        }
        (Some("keygen"), false) => {
            if config.is_some() {
                return Err(UsageError("keygen takes no --config".into()));
            }
            Ok(Command::Keygen { out: out.ok_or_else(|| UsageError("keygen needs --out PATH".into()))?, rotate })
        }
        (Some("pubkey"), false) => {
            if config.is_some() {
                return Err(UsageError("pubkey takes no --config".into()));
            }
            Ok(Command::Pubkey { key: key.ok_or_else(|| UsageError("pubkey needs --key PATH".into()))? })
        }
        (Some(other), _) => Err(UsageError(format!("{other} cannot be combined with --once"))),
    }
}

/// A `--since`/`--until` value.
fn time(v: &str) -> Result<i64, UsageError> {
    crate::evidence::period::parse_time(v).map_err(UsageError)
}

fn set_once<T>(slot: &mut Option<T>, v: T, name: &str) -> Result<(), UsageError> {
    if slot.is_some() {
        return Err(UsageError(format!("{name} given twice")));
    }
    *slot = Some(v);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, UsageError> {
        parse(args)
    }

    #[test]
    fn contract_forms() {
        let default = PathBuf::from(crate::config::DEFAULT_PATH);
        assert_eq!(p(&[]).unwrap(), Command::Run { config: default.clone() });
        assert_eq!(p(&["run"]).unwrap(), Command::Run { config: default.clone() });
        assert_eq!(p(&["--config", "/c.json"]).unwrap(), Command::Run { config: "/c.json".into() });
        assert_eq!(p(&["--config=/c.json", "run"]).unwrap(), Command::Run { config: "/c.json".into() });
        assert_eq!(p(&["run", "--config", "/c.json"]).unwrap(), Command::Run { config: "/c.json".into() });
        assert_eq!(
            p(&["--config", "/c.json", "--once"]).unwrap(),
            Command::Once { config: "/c.json".into(), json: false }
        );
        assert_eq!(p(&["--once"]).unwrap(), Command::Once { config: default.clone(), json: false });
        assert_eq!(p(&["--once", "--json"]).unwrap(), Command::Once { config: default, json: true });
        assert_eq!(p(&["keygen", "--out", "/k"]).unwrap(), Command::Keygen { out: "/k".into(), rotate: false });
        assert_eq!(
            p(&["keygen", "--rotate", "--out", "/k"]).unwrap(),
            Command::Keygen { out: "/k".into(), rotate: true }
        );
        assert_eq!(p(&["pubkey", "--key", "/k"]).unwrap(), Command::Pubkey { key: "/k".into() });
        assert_eq!(p(&["--version"]).unwrap(), Command::Version);
        assert_eq!(p(&["--help"]).unwrap(), Command::Help);
        assert_eq!(p(&["run", "--help"]).unwrap(), Command::Help);
        assert_eq!(
            p(&["status"]).unwrap(),
            Command::Status { config: PathBuf::from(crate::config::DEFAULT_PATH), json: false }
        );
        assert_eq!(
            p(&["--config", "/c", "status", "--json"]).unwrap(),
            Command::Status { config: "/c".into(), json: true }
        );
        assert_eq!(
            p(&["--config", "/c", "check", "--json"]).unwrap(),
            Command::Check { config: "/c".into(), json: true }
        );
        assert_eq!(
            p(&["check"]).unwrap(),
            Command::Check { config: PathBuf::from(crate::config::DEFAULT_PATH), json: false }
        );
        assert_eq!(
            p(&["--config", "/c", "config", "check", "--offline", "--json"]).unwrap(),
            Command::ConfigCheck { config: "/c".into(), offline: true, json: true }
        );
        assert_eq!(
            p(&["evidence", "export", "--db", "/d.db", "/out"]).unwrap(),
            Command::EvidenceExport { db: "/d.db".into(), dir: "/out".into(), key: None, since: None, until: None }
        );
        assert_eq!(
            p(&[
                "evidence",
                "export",
                "--db",
                "/d.db",
                "--key",
                "/k",
                "--since",
                "2026-11-01",
                "--until=2026-12-01T00:00:00Z",
                "/out"
            ])
            .unwrap(),
            Command::EvidenceExport {
                db: "/d.db".into(),
                dir: "/out".into(),
                key: Some("/k".into()),
                since: Some(1_793_491_200_000),
                until: Some(1_796_083_200_000)
            }
        );
        assert_eq!(
            p(&["evidence", "verify", "--db", "/d.db", "--pubkey", "/k.pem"]).unwrap(),
            Command::EvidenceVerify { source: EvidenceSource::Db("/d.db".into()), pubkeys: vec!["/k.pem".into()] }
        );
        assert_eq!(
            p(&["evidence", "verify", "/out", "--pubkey", "/k.pem"]).unwrap(),
            Command::EvidenceVerify { source: EvidenceSource::Dir("/out".into()), pubkeys: vec!["/k.pem".into()] }
        );
        assert_eq!(
            p(&["evidence", "verify", "/out", "--pubkey", "/a.pem", "--pubkey", "/b.pem"]).unwrap(),
            Command::EvidenceVerify {
                source: EvidenceSource::Dir("/out".into()),
                pubkeys: vec!["/a.pem".into(), "/b.pem".into()]
            }
        );
    }

    #[test]
    fn usage_errors() {
        for bad in [
            &["--bogus"][..],
            &["--config"],
            &["--config", ""],
            &["--config", "/a", "--config", "/b"],
            &["frobnicate"],
            &["run", "extra"],
            &["run", "--once"],
            &["keygen"],
            &["keygen", "--once", "--out", "/k"],
            &["--out", "/k"],
            &["keygen", "--config", "/c", "--out", "/k"],
            &["status", "--once"],
            &["check", "--once"],
            &["check", "extra"],
            &["--json"],
            &["evidence"],
            &["evidence", "frob"],
            &["evidence", "export", "/out"],
            &["evidence", "verify", "/out"],
            &["evidence", "verify", "--db", "/d", "/out", "--pubkey", "/k"],
            &["evidence", "export", "--db", "/d", "/out", "/extra"],
            &["config"],
            &["config", "frob"],
            &["config", "check", "extra"],
            &["check", "--offline"],
            &["evidence", "export", "--db", "/d", "--since", "yesterday", "/out"],
            &["evidence", "export", "--db", "/d", "--since", "2026-12-01", "--until", "2026-11-01", "/out"],
            &["evidence", "export", "--db", "/d", "--key", "/a", "--key", "/b", "/out"],
            &["evidence", "verify", "/out", "--pubkey", "/k", "--since", "2026-11-01"],
            &["evidence", "verify", "/out", "--pubkey", "/k", "--key", "/k"],
            &["--rotate"],
            &["pubkey"],
            &["pubkey", "--out", "/k"],
            &["keygen", "--key", "/k"],
        ] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }
}
