//! The `log` section: where the agent's own log lines go and how verbose
//! they are.
//!
//! Owns: [`LogConfig`] and [`LogTarget`] and their defaults (syslog, info).
//! Must never: open the log or install the logger (that is
//! `crate::logging`). The `log` crate shares this module's name, hence
//! `::log::` for it here.

use super::reader::Obj;
use super::ConfigError;

/// Where log lines go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogTarget {
    /// The system log socket (`/dev/log`), falling back to stderr.
    Syslog,
    /// stderr with sd-daemon `<N>` priority prefixes.
    Stderr,
}

/// Logging settings.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// Where to write.
    pub target: LogTarget,
    /// Most verbose level written.
    pub level: ::log::LevelFilter,
}

/// Reads `log`, which is optional.
pub(super) fn read(root: &Obj<'_>) -> Result<LogConfig, ConfigError> {
    let l = root.opt_obj("log")?;
    let target = match l.as_ref().map(|l| l.opt_str("target")).transpose()?.flatten().as_deref() {
        None | Some("syslog") => LogTarget::Syslog,
        Some("stderr") => LogTarget::Stderr,
        Some(other) => return Err(root.error("log.target", format!("{other:?} is neither \"syslog\" nor \"stderr\""))),
    };
    let level = match l.as_ref().map(|l| l.opt_str("level")).transpose()?.flatten().as_deref() {
        None | Some("info") => ::log::LevelFilter::Info,
        Some("error") => ::log::LevelFilter::Error,
        Some("warn") => ::log::LevelFilter::Warn,
        Some("debug") => ::log::LevelFilter::Debug,
        Some("trace") => ::log::LevelFilter::Trace,
        Some(other) => {
            return Err(root.error("log.level", format!("{other:?} is not one of error, warn, info, debug, trace")))
        }
    };
    if let Some(l) = l {
        l.finish()?;
    }
    Ok(LogConfig { target, level })
}
