//! The `log` section: where the agent's own log lines go and how verbose
//! they are.
//!
//! Owns: [`LogConfig`] and [`LogTarget`] and their defaults (syslog, info).
//! Must never: open the log or install the logger (that is
//! `crate::logging`). The `log` crate shares this module's name, hence
//! `::log::` for it here.

use super::reader::{Obj, Read};

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
pub(super) fn read(root: &Obj<'_>) -> Read<LogConfig> {
    match root.opt_obj("log")? {
        Some(l) => l.read_then_finish(|l| settings(root, Some(l))),
        None => settings(root, None),
    }
}

/// The settings, from `l` or (without the section) the defaults.
fn settings(root: &Obj<'_>, l: Option<&Obj<'_>>) -> Read<LogConfig> {
    let target = l.map_or(Ok(None), |l| l.opt_str("target")).and_then(|t| match t.as_deref() {
        None | Some("syslog") => Ok(LogTarget::Syslog),
        Some("stderr") => Ok(LogTarget::Stderr),
        Some(other) => Err(root.fail("log.target", format!("{other:?} is neither \"syslog\" nor \"stderr\""))),
    });
    let level = l.map_or(Ok(None), |l| l.opt_str("level")).and_then(|v| match v.as_deref() {
        None | Some("info") => Ok(::log::LevelFilter::Info),
        Some("error") => Ok(::log::LevelFilter::Error),
        Some("warn") => Ok(::log::LevelFilter::Warn),
        Some("debug") => Ok(::log::LevelFilter::Debug),
        Some("trace") => Ok(::log::LevelFilter::Trace),
        Some(other) => Err(root.fail("log.level", format!("{other:?} is not one of error, warn, info, debug, trace"))),
    });
    Ok(LogConfig { target: target?, level: level? })
}
