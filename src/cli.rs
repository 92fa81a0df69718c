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
    },
    /// Verify signatures and the chain, from a database or an export.
    EvidenceVerify {
        /// Where the bundles are.
        source: EvidenceSource,
        /// The appliance's evidence public key (SPKI PEM).
        pubkey: PathBuf,
    },
    /// An OSCAL assessment-results document of a verified chain
    /// (`evidence export --format oscal-ar`).
    EvidenceOscal {
        /// The agent database.
        db: PathBuf,
        /// The appliance's evidence public key (SPKI PEM).
        pubkey: PathBuf,
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
        /// The appliance's evidence public key (SPKI PEM).
        pubkey: PathBuf,
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

/// `--since` and `--until`, Unix ms (absent: the chain's first or last
/// bundle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Period {
    /// Start.
    pub since_ms: Option<i64>,
    /// End.
    pub until_ms: Option<i64>,
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
  compliance-agent evidence export --db PATH DIR
                                             write <seq>-<bundle_id>.json(.sig) files
  compliance-agent evidence verify (--db PATH | DIR) --pubkey PEM
                                             check signatures and the hash chain
  compliance-agent evidence report (--db PATH | DIR) --pubkey PEM [PERIOD] (--out FILE | --json)
                                             report per check and control on a verified
                                             chain: HTML (--out) and/or JSON
  compliance-agent evidence export --format oscal-ar --db PATH --pubkey PEM [PERIOD] FILE
                                             OSCAL assessment results of a verified chain
  compliance-agent keygen --out PATH         write an evidence key (PATH, mode 0600)
                                             and its public key (PATH.pub.pem)
  compliance-agent --version | --help

Options:
  --config PATH   configuration file (default /etc/compliance-agent/config.json)
  --once          one full cycle; ends with one summary line (--json: as JSON)
  --offline       config check: do not contact the MCP
  --json          for --once, check, config check, plan, status and evidence report
  PERIOD          [--since TIME] [--until TIME]: RFC 3339 or YYYY-MM-DD (UTC; as
                  --until, the end of that day); default the first and last bundle
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
    let mut pubkey: Option<PathBuf> = None;
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
            "--pubkey" if evidence_verb.is_some() => {
                set_once(&mut pubkey, PathBuf::from(value("--pubkey")?), "--pubkey")?
            }
            "--since" | "--until" | "--max-gap" | "--format" if evidence_verb.is_some() => {
                let v = value(&flag)?;
                report.take(&flag, &v)?
            }
            f if f.starts_with('-') => return Err(UsageError(format!("unknown option {f}"))),
            word if sub.is_none()
                && matches!(word, "run" | "keygen" | "status" | "check" | "plan" | "evidence" | "config") =>
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
            if let Some(cmd) =
                report.command(evidence_verb.as_deref(), db.clone(), pubkey.clone(), &positional, out, json)?
            {
                return Ok(cmd);
            }
            if pubkey.is_some() && evidence_verb.as_deref() == Some("export") {
                return Err(UsageError("--pubkey goes with evidence export only with --format oscal-ar".into()));
            }
            match evidence_verb.as_deref() {
                Some("export") => Ok(Command::EvidenceExport {
                    db: db.ok_or_else(|| UsageError("evidence export needs --db PATH".into()))?,
                    dir: positional.ok_or_else(|| UsageError("evidence export needs an output DIR".into()))?,
                }),
                Some("verify") => {
                    let source = match (db, positional) {
                        (Some(d), None) => EvidenceSource::Db(d),
                        (None, Some(dir)) => EvidenceSource::Dir(dir),
                        _ => return Err(UsageError("evidence verify needs exactly one of --db PATH or DIR".into())),
                    };
                    let pubkey = pubkey.ok_or_else(|| UsageError("evidence verify needs --pubkey PEM".into()))?;
                    Ok(Command::EvidenceVerify { source, pubkey })
                }
                _ => Err(UsageError("evidence needs export or verify".into())),
            }
        }
        (Some("keygen"), false) => {
            if config.is_some() {
                return Err(UsageError("keygen takes no --config".into()));
            }
            Ok(Command::Keygen { out: out.ok_or_else(|| UsageError("keygen needs --out PATH".into()))? })
        }
        (Some(other), _) => Err(UsageError(format!("{other} cannot be combined with --once"))),
    }
}

/// The options of `evidence report` and `evidence export --format
/// oscal-ar` (kept apart from the rest of the parser).
#[derive(Debug, Default)]
struct ReportArgs {
    period: Period,
    max_gap_secs: Option<u64>,
    format: Option<String>,
    given: Vec<String>,
}

impl ReportArgs {
    fn take(&mut self, flag: &str, v: &str) -> Result<(), UsageError> {
        if self.given.iter().any(|g| g == flag) {
            return Err(UsageError(format!("{flag} given twice")));
        }
        self.given.push(flag.to_string());
        let time = |until: bool| {
            crate::evidence::report::parse_time(v, until).ok_or_else(|| {
                UsageError(format!("{flag} {v:?}: not RFC 3339 (2026-11-01T00:00:00Z) or a date (2026-11-01)"))
            })
        };
        match flag {
            "--since" => self.period.since_ms = Some(time(false)?),
            "--until" => self.period.until_ms = Some(time(true)?),
            "--max-gap" => {
                self.max_gap_secs = Some(
                    v.parse::<u64>()
                        .ok()
                        .filter(|s| (1..=366 * 86_400).contains(s))
                        .ok_or_else(|| UsageError(format!("--max-gap {v:?}: seconds, 1 to 31622400")))?,
                )
            }
            _ => {
                if v != "oscal-ar" {
                    return Err(UsageError(format!("--format {v:?}: the only format is oscal-ar")));
                }
                self.format = Some(v.to_string());
            }
        }
        Ok(())
    }

    /// The report or OSCAL command, if that is what was asked for; a usage
    /// error for these options anywhere else.
    fn command(
        self,
        verb: Option<&str>,
        db: Option<PathBuf>,
        pubkey: Option<PathBuf>,
        positional: &Option<PathBuf>,
        out: Option<PathBuf>,
        json: bool,
    ) -> Result<Option<Command>, UsageError> {
        if let (Some(s), Some(u)) = (self.period.since_ms, self.period.until_ms) {
            if u <= s {
                return Err(UsageError("--until must be later than --since".into()));
            }
        }
        let need_key = |what: &str| pubkey.clone().ok_or_else(|| UsageError(format!("{what} needs --pubkey PEM")));
        match verb {
            Some("report") => {
                if self.format.is_some() {
                    return Err(UsageError("--format goes with evidence export".into()));
                }
                let source = match (db, positional) {
                    (Some(d), None) => EvidenceSource::Db(d),
                    (None, Some(dir)) => EvidenceSource::Dir(dir.clone()),
                    _ => return Err(UsageError("evidence report needs exactly one of --db PATH or DIR".into())),
                };
                if out.is_none() && !json {
                    return Err(UsageError("evidence report needs --out FILE (HTML) or --json".into()));
                }
                let pubkey = need_key("evidence report")?;
                Ok(Some(Command::EvidenceReport {
                    source,
                    pubkey,
                    period: self.period,
                    max_gap_secs: self.max_gap_secs,
                    out,
                    json,
                }))
            }
            Some("export") if self.format.is_some() => Ok(Some(Command::EvidenceOscal {
                db: db.ok_or_else(|| UsageError("evidence export --format oscal-ar needs --db PATH".into()))?,
                pubkey: need_key("evidence export --format oscal-ar")?,
                period: self.period,
                max_gap_secs: self.max_gap_secs,
                out: positional
                    .clone()
                    .ok_or_else(|| UsageError("evidence export --format oscal-ar needs an output FILE".into()))?,
            })),
            _ => match self.given.first() {
                Some(flag) => Err(UsageError(format!("{flag} goes with evidence report or export --format oscal-ar"))),
                None => Ok(None),
            },
        }
    }
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
        assert_eq!(p(&["keygen", "--out", "/k"]).unwrap(), Command::Keygen { out: "/k".into() });
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
            Command::EvidenceExport { db: "/d.db".into(), dir: "/out".into() }
        );
        assert_eq!(
            p(&["evidence", "verify", "--db", "/d.db", "--pubkey", "/k.pem"]).unwrap(),
            Command::EvidenceVerify { source: EvidenceSource::Db("/d.db".into()), pubkey: "/k.pem".into() }
        );
        assert_eq!(
            p(&["evidence", "verify", "/out", "--pubkey", "/k.pem"]).unwrap(),
            Command::EvidenceVerify { source: EvidenceSource::Dir("/out".into()), pubkey: "/k.pem".into() }
        );
    }

    #[test]
    fn report_and_oscal_forms() {
        let day = 86_400_000;
        let nov1 = crate::evidence::report::parse_time("2026-11-01", false).unwrap();
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
                "2026-11-30",
                "--json"
            ])
            .unwrap(),
            Command::EvidenceReport {
                source: EvidenceSource::Dir("/out".into()),
                pubkey: "/k".into(),
                period: Period { since_ms: Some(nov1), until_ms: Some(nov1 + 30 * day) },
                max_gap_secs: None,
                out: None,
                json: true,
            }
        );
        assert_eq!(
            p(&["evidence", "report", "--db", "/d", "--pubkey=/k", "--max-gap", "7200", "--out", "/r.html"]).unwrap(),
            Command::EvidenceReport {
                source: EvidenceSource::Db("/d".into()),
                pubkey: "/k".into(),
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
                pubkey: "/k".into(),
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
            &["evidence", "export", "--db", "/d", "--pubkey", "/k", "/out"],
            &["evidence", "export", "--db", "/d", "--since", "2026-11-01", "/out"],
            &["evidence", "verify", "/out", "--pubkey", "/k", "--since", "2026-11-01"],
            &["evidence", "verify", "/out", "--pubkey", "/k", "--json"],
            &["status", "--since", "2026-11-01"],
        ] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }
}
