//! Log output: the system log socket when present, else stderr with
//! sd-daemon priority prefixes (`<3>` error … `<7>` debug) that journald
//! turns into priorities.
//!
//! Owns: the global `log` backend. Must never: block the agent on a broken
//! log socket (a failed syslog write falls back to stderr), or panic.

use crate::config::LogTarget;
use log::{Level, LevelFilter, Log, Metadata, Record};
use std::io::Write;
use std::sync::Mutex;

type Syslog = syslog::Logger<syslog::LoggerBackend, syslog::Formatter3164>;

struct Logger {
    syslog: Option<Mutex<Syslog>>,
}

fn prefix(level: Level) -> &'static str {
    match level {
        Level::Error => "<3>",
        Level::Warn => "<4>",
        Level::Info => "<6>",
        Level::Debug | Level::Trace => "<7>",
    }
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Dependencies (ureq, rustls) are chatty at debug; only our own
        // modules log below info.
        let ours = metadata.target().starts_with("compliance_agent");
        metadata.level() <= log::max_level() && (ours || metadata.level() <= Level::Info)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let msg = record.args().to_string();
        if let Some(s) = &self.syslog {
            if let Ok(mut s) = s.lock() {
                let sent = match record.level() {
                    Level::Error => s.err(&msg),
                    Level::Warn => s.warning(&msg),
                    Level::Info => s.info(&msg),
                    Level::Debug | Level::Trace => s.debug(&msg),
                };
                if sent.is_ok() {
                    return;
                }
            }
        }
        let _ = writeln!(std::io::stderr().lock(), "{}{msg}", prefix(record.level()));
    }

    fn flush(&self) {}
}

/// Installs the global logger. Returns where logs actually go.
pub fn init(target: LogTarget, level: LevelFilter) -> LogTarget {
    let syslog = match target {
        LogTarget::Stderr => None,
        LogTarget::Syslog => syslog::unix(syslog::Formatter3164 {
            facility: syslog::Facility::LOG_DAEMON,
            hostname: None,
            process: "compliance-agent".into(),
            pid: std::process::id(),
        })
        .ok()
        .map(Mutex::new),
    };
    let actual = if syslog.is_some() { LogTarget::Syslog } else { LogTarget::Stderr };
    // A second init (tests) keeps the first logger; only the level changes.
    let _ = log::set_boxed_logger(Box::new(Logger { syslog }));
    log::set_max_level(level);
    actual
}
