//! The `compliance-agent` binary: parses the command line and hands over to
//! the library. Exit statuses follow design §8.
#![forbid(unsafe_code)]

use compliance_agent::agent::{Agent, StartError};
use compliance_agent::cli::{self, Command, USAGE};
use compliance_agent::config::Config;
use compliance_agent::keys::{self, SigningKey};
use compliance_agent::notify::Notifier;
use compliance_agent::signals::Shutdown;
use compliance_agent::{build_info, logging, EXIT_CONFIG, EXIT_DRIFT, EXIT_OK, EXIT_USAGE};
use std::path::Path;

fn main() {
    let code = match cli::parse(std::env::args_os().skip(1)) {
        Err(e) => {
            eprintln!("compliance-agent: {e}\n\n{USAGE}");
            EXIT_USAGE
        }
        Ok(Command::Help) => {
            print!("{USAGE}");
            EXIT_OK
        }
        Ok(Command::Version) => {
            println!("compliance-agent {}", build_info().version_line());
            EXIT_OK
        }
        Ok(Command::Keygen { out }) => keygen(&out),
        Ok(Command::Run { config }) => agent(&config, false),
        Ok(Command::Once { config }) => agent(&config, true),
    };
    std::process::exit(code);
}

fn keygen(out: &Path) -> i32 {
    match keys::keygen(out) {
        Ok(public) => {
            println!("wrote {} (mode 0600) and {}", out.display(), public.display());
            EXIT_OK
        }
        Err(e) => {
            eprintln!("compliance-agent: keygen: {e}");
            EXIT_DRIFT
        }
    }
}

/// Loads everything the loop needs; any failure here is a configuration
/// error (exit 78) naming the file and key.
fn agent(config_path: &Path, once: bool) -> i32 {
    let config = match Config::load(config_path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("compliance-agent: configuration error: {e}");
            return EXIT_CONFIG;
        }
    };
    logging::init(config.log.target, config.log.level);
    let key = match SigningKey::load(&config.signing_key_file) {
        Ok(k) => k,
        Err(e) => {
            let msg = format!("configuration error: {}: signing_key_file: {e}", config.source.display());
            log::error!("{msg}");
            eprintln!("compliance-agent: {msg}");
            return EXIT_CONFIG;
        }
    };
    let notifier = if once {
        Notifier::disabled()
    } else {
        Notifier::from_env().unwrap_or_else(|e| {
            log::warn!("NOTIFY_SOCKET unusable ({e}); running without systemd notification");
            Notifier::disabled()
        })
    };
    let shutdown = match Shutdown::install() {
        Ok(s) => s,
        Err(e) => {
            log::error!("cannot install signal handlers: {e}");
            return EXIT_DRIFT;
        }
    };
    let mut agent = match Agent::new(config, key, notifier) {
        Ok(a) => a,
        Err(e) => {
            let code = match e {
                StartError::Config(..) => EXIT_CONFIG,
                StartError::Store(_) => EXIT_DRIFT,
            };
            log::error!("cannot start: {e}");
            eprintln!("compliance-agent: cannot start: {}: {e}", config_path.display());
            return code;
        }
    };
    if once {
        let report = agent.cycle(&shutdown);
        report.exit_code()
    } else {
        agent.run(&shutdown)
    }
}
