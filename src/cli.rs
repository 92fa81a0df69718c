//! The command line (a contract: README.md's "Command line" and the man
//! page docs/compliance-agent.8 show it; tests/cli_docs.rs keeps them equal
//! to [`help`]), parsed by hand.
//!
//! Owns: turning argv into a [`Command`] or a usage error. Must never: do
//! any work, read files, or accept an option it does not understand.

pub use crate::evidence::period::Period;
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
    /// An OSCAL assessment-results document of a verified chain
    /// (`evidence export --format oscal-ar`).
    EvidenceOscal {
        /// The agent database.
        db: PathBuf,
        /// The appliance's evidence public keys (SPKI PEM).
        pubkeys: Vec<PathBuf>,
        /// The period.
        period: Period,
        /// Longer than this without a bundle is a gap (seconds).
        max_gap_secs: Option<u64>,
        /// The file to write.
        out: PathBuf,
    },
    /// A per-check report of a verified chain over a period.
    EvidenceReport {
        /// Where the bundles are.
        source: EvidenceSource,
        /// The appliance's evidence public keys (SPKI PEM).
        pubkeys: Vec<PathBuf>,
        /// The period.
        period: Period,
        /// Longer than this without a bundle is a gap (seconds).
        max_gap_secs: Option<u64>,
        /// The HTML file to write.
        out: Option<PathBuf>,
        /// The report as JSON on stdout.
        json: bool,
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
  compliance-agent evidence report (--db PATH | DIR) --pubkey PEM... [PERIOD] (--out FILE | --json)
                                             report per check and control on a verified
                                             chain: HTML (--out) and/or JSON
  compliance-agent evidence export --format oscal-ar --db PATH --pubkey PEM... [PERIOD] FILE
                                             OSCAL assessment results of a verified chain
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
  --json          for --once, check, config check, plan, status and evidence report
  --since, --until TIME
                  evidence export and report: bundles written in [since, until);
                  TIME is RFC 3339 (2026-11-01T00:00:00Z) or a date (2026-11-01,
                  UTC); PERIOD is [--since TIME] [--until TIME]
  --max-gap SECS  report, OSCAL: longer without any bundle is a gap (default 3900)
  --format oscal-ar
                  evidence export: write one OSCAL assessment-results JSON FILE
  --out FILE      keygen: the key file; evidence report: the HTML file
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
    let mut report = ReportArgs::default();

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
            "--out" if sub.as_deref() == Some("keygen") || evidence_verb.as_deref() == Some("report") => {
                set_once(&mut out, PathBuf::from(value("--out")?), "--out")?
            }
            "--json" => json = true,
            "--offline" if config_verb.is_some() => offline = true,
            "--db" if evidence_verb.is_some() => set_once(&mut db, PathBuf::from(value("--db")?), "--db")?,
            "--pubkey" if evidence_verb.is_some() => pubkeys.push(PathBuf::from(value("--pubkey")?)),
            "--key" if evidence_verb.as_deref() == Some("export") || sub.as_deref() == Some("pubkey") => {
                set_once(&mut key, PathBuf::from(value("--key")?), "--key")?
            }
            "--since" if matches!(evidence_verb.as_deref(), Some("export" | "report")) => {
                set_once(&mut since, time(&value("--since")?)?, "--since")?
            }
            "--until" if matches!(evidence_verb.as_deref(), Some("export" | "report")) => {
                set_once(&mut until, time(&value("--until")?)?, "--until")?
            }
            "--rotate" if sub.as_deref() == Some("keygen") => rotate = true,
            "--max-gap" | "--format" if evidence_verb.is_some() => {
                let v = value(&flag)?;
                report.take(&flag, &v)?
            }
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
                "export" | "verify" | "report" => evidence_verb = Some(word.to_string()),
                other => {
                    return Err(UsageError(format!("unknown evidence command {other:?} (export, verify or report)")))
                }
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
    if json
        && !(matches!(sub.as_deref(), Some("status" | "check" | "plan" | "config"))
            || (sub.is_none() && once)
            || evidence_verb.as_deref() == Some("report"))
    {
        return Err(UsageError("--json goes with --once, check, plan, status, config check or evidence report".into()));
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
            if let (Some(s), Some(u)) = (since, until) {
                if s >= u {
                    return Err(UsageError(format!(
                        "evidence {}: --since must be before --until",
                        evidence_verb.as_deref().unwrap_or("")
                    )));
                }
            }
            let period = Period { since_ms: since, until_ms: until };
            let what =
                ReportWhat { verb: evidence_verb.as_deref(), db: &db, pubkeys: &pubkeys, positional: &positional };
            if let Some(cmd) = report.command(what, period, key.is_some(), out, json)? {
                return Ok(cmd);
            }
            if !pubkeys.is_empty() && evidence_verb.as_deref() == Some("export") {
                return Err(UsageError("--pubkey goes with evidence export only with --format oscal-ar".into()));
            }
            match evidence_verb.as_deref() {
                Some("export") => Ok(Command::EvidenceExport {
                    db: db.ok_or_else(|| UsageError("evidence export needs --db PATH".into()))?,
                    dir: positional.ok_or_else(|| UsageError("evidence export needs an output DIR".into()))?,
                    key,
                    since,
                    until,
                }),
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

/// The options of `evidence report` and `evidence export --format
/// oscal-ar` (kept apart from the rest of the parser).
#[derive(Debug, Default)]
struct ReportArgs {
    max_gap_secs: Option<u64>,
    format: Option<String>,
}

/// What the rest of the command line named, for [`ReportArgs::command`].
struct ReportWhat<'a> {
    verb: Option<&'a str>,
    db: &'a Option<PathBuf>,
    pubkeys: &'a [PathBuf],
    positional: &'a Option<PathBuf>,
}

impl ReportArgs {
    fn take(&mut self, flag: &str, v: &str) -> Result<(), UsageError> {
        if flag == "--max-gap" {
            let secs = v
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=366 * 86_400).contains(s))
                .ok_or_else(|| UsageError(format!("--max-gap {v:?}: seconds, 1 to 31622400")))?;
            return set_once(&mut self.max_gap_secs, secs, "--max-gap");
        }
        if v != "oscal-ar" {
            return Err(UsageError(format!("--format {v:?}: the only format is oscal-ar")));
        }
        set_once(&mut self.format, v.to_string(), "--format")
    }

    /// The report or OSCAL command, if that is what was asked for; a usage
    /// error for these options anywhere else.
    fn command(
        self,
        w: ReportWhat<'_>,
        period: Period,
        key: bool,
        out: Option<PathBuf>,
        json: bool,
    ) -> Result<Option<Command>, UsageError> {
        let need_keys = |what: &str| {
            if w.pubkeys.is_empty() {
                Err(UsageError(format!("{what} needs --pubkey PEM")))
            } else {
                Ok(w.pubkeys.to_vec())
            }
        };
        match w.verb {
            Some("report") => {
                if self.format.is_some() {
                    return Err(UsageError("--format goes with evidence export".into()));
                }
                let source = match (w.db, w.positional) {
                    (Some(d), None) => EvidenceSource::Db(d.clone()),
                    (None, Some(dir)) => EvidenceSource::Dir(dir.clone()),
                    _ => return Err(UsageError("evidence report needs exactly one of --db PATH or DIR".into())),
                };
                if out.is_none() && !json {
                    return Err(UsageError("evidence report needs --out FILE (HTML) or --json".into()));
                }
                let pubkeys = need_keys("evidence report")?;
                Ok(Some(Command::EvidenceReport {
                    source,
                    pubkeys,
                    period,
                    max_gap_secs: self.max_gap_secs,
                    out,
                    json,
                }))
            }
            Some("export") if self.format.is_some() => {
                if key {
                    return Err(UsageError("--key (the manifest) goes with the bundle export, not --format".into()));
                }
                Ok(Some(Command::EvidenceOscal {
                    db: w
                        .db
                        .clone()
                        .ok_or_else(|| UsageError("evidence export --format oscal-ar needs --db PATH".into()))?,
                    pubkeys: need_keys("evidence export --format oscal-ar")?,
                    period,
                    max_gap_secs: self.max_gap_secs,
                    out: w
                        .positional
                        .clone()
                        .ok_or_else(|| UsageError("evidence export --format oscal-ar needs an output FILE".into()))?,
                }))
            }
            _ if self.max_gap_secs.is_some() || self.format.is_some() => {
                Err(UsageError("--max-gap and --format go with evidence report or export --format oscal-ar".into()))
            }
            _ => Ok(None),
        }
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
    fn report_and_oscal_forms() {
        let day = 86_400_000;
        let nov1 = crate::evidence::period::parse_time("2026-11-01").unwrap();
        assert_eq!(
            p(&[
                "evidence",
                "report",
                "/out",
                "--pubkey",
                "/k",
                "--since",
                "2026-11-01",
                "--until",
                "2026-12-01",
                "--json"
            ])
            .unwrap(),
            Command::EvidenceReport {
                source: EvidenceSource::Dir("/out".into()),
                pubkeys: vec!["/k".into()],
                period: Period { since_ms: Some(nov1), until_ms: Some(nov1 + 30 * day) },
                max_gap_secs: None,
                out: None,
                json: true,
            }
        );
        assert_eq!(
            p(&[
                "evidence",
                "report",
                "--db",
                "/d",
                "--pubkey=/k",
                "--pubkey",
                "/k2",
                "--max-gap",
                "7200",
                "--out",
                "/r.html"
            ])
            .unwrap(),
            Command::EvidenceReport {
                source: EvidenceSource::Db("/d".into()),
                pubkeys: vec!["/k".into(), "/k2".into()],
                period: Period::default(),
                max_gap_secs: Some(7200),
                out: Some("/r.html".into()),
                json: false,
            }
        );
        assert_eq!(
            p(&["evidence", "export", "--format", "oscal-ar", "--db", "/d", "--pubkey", "/k", "/ar.json"]).unwrap(),
            Command::EvidenceOscal {
                db: "/d".into(),
                pubkeys: vec!["/k".into()],
                period: Period::default(),
                max_gap_secs: None,
                out: "/ar.json".into()
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
            &["evidence", "report", "--db", "/d", "--pubkey", "/k"],
            &["evidence", "report", "/out", "--pubkey", "/k", "--since", "yesterday", "--json"],
            &[
                "evidence",
                "report",
                "/out",
                "--pubkey",
                "/k",
                "--since",
                "2026-11-02",
                "--until",
                "2026-11-01",
                "--json",
            ],
            &["evidence", "report", "/out", "--json"],
            &["evidence", "report", "--db", "/d", "/out", "--pubkey", "/k", "--json"],
            &["evidence", "report", "/out", "--pubkey", "/k", "--max-gap", "0", "--json"],
            &["evidence", "report", "/out", "--pubkey", "/k", "--format", "oscal-ar", "--json"],
            &["evidence", "export", "--format", "csv", "--db", "/d", "--pubkey", "/k", "/f"],
            &["evidence", "export", "--format", "oscal-ar", "--db", "/d", "/f"],
            &["evidence", "export", "--format", "oscal-ar", "--db", "/d", "--pubkey", "/k", "--key", "/s", "/f"],
            &["evidence", "export", "--db", "/d", "--pubkey", "/k", "/out"],
            &["evidence", "export", "--db", "/d", "--max-gap", "60", "/out"],
            &["evidence", "verify", "/out", "--pubkey", "/k", "--max-gap", "60"],
            &["evidence", "verify", "/out", "--pubkey", "/k", "--json"],
            &["status", "--max-gap", "60"],
        ] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }
}
