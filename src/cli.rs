//! The command line (design §8, a contract), parsed by hand.
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
  compliance-agent keygen --out PATH         write an evidence key (PATH, mode 0600)
                                             and its public key (PATH.pub.pem)
  compliance-agent --version | --help

Options:
  --config PATH   configuration file (default /etc/compliance-agent/config.json)

Exit status: 0 compliant or healed, 1 drift remains or an action failed,
2 usage error, 65 evidence verification failed, 78 configuration error.
";

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
            f if f.starts_with('-') => return Err(UsageError(format!("unknown option {f}"))),
            word if sub.is_none() && matches!(word, "run" | "keygen") => sub = Some(word.to_string()),
            word if sub.is_none() => return Err(UsageError(format!("unknown command {word:?}"))),
            word => return Err(UsageError(format!("unexpected argument {word:?}"))),
        }
    }

    let config_path = || config.clone().unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_PATH));
    match (sub.as_deref(), once) {
        (None, true) => Ok(Command::Once { config: config_path() }),
        (None | Some("run"), false) => Ok(Command::Run { config: config_path() }),
        (Some("run"), true) => Err(UsageError("--once and run exclude each other".into())),
        (Some("keygen"), false) => {
            if config.is_some() {
                return Err(UsageError("keygen takes no --config".into()));
            }
            Ok(Command::Keygen { out: out.ok_or_else(|| UsageError("keygen needs --out PATH".into()))? })
        }
        (Some(other), _) => Err(UsageError(format!("{other} cannot be combined with --once"))),
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
        assert_eq!(p(&["--config", "/c.json", "--once"]).unwrap(), Command::Once { config: "/c.json".into() });
        assert_eq!(p(&["--once"]).unwrap(), Command::Once { config: default });
        assert_eq!(p(&["keygen", "--out", "/k"]).unwrap(), Command::Keygen { out: "/k".into() });
        assert_eq!(p(&["--version"]).unwrap(), Command::Version);
        assert_eq!(p(&["--help"]).unwrap(), Command::Help);
        assert_eq!(p(&["run", "--help"]).unwrap(), Command::Help);
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
        ] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }
}
