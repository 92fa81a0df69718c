//! Log output for people and for journald.
//!
//! | stderr is | `log.target` `syslog` | `log.target` `stderr` |
//! |---|---|---|
//! | not a terminal (systemd) | the system log socket (stderr with `<N>` if it fails) | stderr with `<N>` prefixes |
//! | a terminal (an engineer) | the system log socket, and the terminal | the terminal |
//!
//! On a terminal a line reads `error: …`, `warning: …`, or just the message
//! (info, notice); elsewhere it carries the sd-daemon priority prefix
//! (`<3>` error, `<4>` warning, `<5>` notice, `<6>` info, `<7>` debug) that
//! journald turns into a priority. A line written to stderr is always one
//! line: newlines and other control characters in a message (a tool's
//! multi-line stderr) are escaped (`\n`), so one message is one journal
//! entry. Syslog datagrams carry the message as it is.
//!
//! The `log` crate has no notice level: [`crate::notice!`] logs at info
//! with the target [`NOTICE`], which this logger writes as notice (a
//! successful heal: worth a look, not a problem).
//!
//! Owns: the global `log` backend and how a line looks. Must never: block
//! the agent on a broken log socket (a failed syslog write falls back to
//! stderr), or panic.

use crate::config::LogTarget;
use log::{Level, LevelFilter, Log, Metadata, Record};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

type Syslog = syslog::Logger<syslog::LoggerBackend, syslog::Formatter3164>;

/// The target of notice-level messages; see [`crate::notice!`].
pub const NOTICE: &str = "compliance_agent::notice";

/// Logs at syslog priority notice (between info and warning): a
/// successful heal. `crate::notice!("heal: {}", …)`, like `log::info!`.
#[macro_export]
macro_rules! notice {
    ($($arg:tt)*) => { $crate::logging::log_notice(format_args!($($arg)*)) };
}

/// What [`crate::notice!`] calls.
#[doc(hidden)]
pub fn log_notice(args: std::fmt::Arguments<'_>) {
    log::info!(target: NOTICE, "{args}");
}

/// A syslog priority (RFC 5424 numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// 3: something failed.
    Error = 3,
    /// 4: drift, a degraded condition.
    Warning = 4,
    /// 5: normal but significant (a successful heal).
    Notice = 5,
    /// 6: what the agent is doing.
    Info = 6,
    /// 7: details.
    Debug = 7,
}

/// The priority of a record: its level, with info on the [`NOTICE`] target
/// raised to notice.
pub fn priority(level: Level, target: &str) -> Priority {
    match level {
        Level::Error => Priority::Error,
        Level::Warn => Priority::Warning,
        Level::Info if target == NOTICE => Priority::Notice,
        Level::Info => Priority::Info,
        Level::Debug | Level::Trace => Priority::Debug,
    }
}

/// The stderr line for a message (without the newline): plain for a
/// terminal, with the `<N>` prefix otherwise; control characters escaped
/// either way.
pub fn stderr_line(terminal: bool, priority: Priority, msg: &str) -> String {
    let msg = one_line(msg);
    if !terminal {
        return format!("<{}>{msg}", priority as u8);
    }
    match priority {
        Priority::Error => format!("error: {msg}"),
        Priority::Warning => format!("warning: {msg}"),
        Priority::Notice | Priority::Info => msg,
        Priority::Debug => format!("debug: {msg}"),
    }
}

/// `msg` on one line: `\n`, `\r` and `\t` as those two-character escapes,
/// other control characters (a terminal escape sequence in a tool's output)
/// as `\u{1b}`.
pub fn one_line(msg: &str) -> String {
    if !msg.chars().any(char::is_control) {
        return msg.to_string();
    }
    let mut out = String::with_capacity(msg.len() + 8);
    for c in msg.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

struct Logger {
    syslog: Option<Mutex<Syslog>>,
    /// stderr is a terminal: a person reads it.
    terminal: bool,
}

impl Logger {
    /// Sends to the system log; false if there is none or it failed.
    fn to_syslog(&self, priority: Priority, msg: &str) -> bool {
        let Some(s) = &self.syslog else { return false };
        let Ok(mut s) = s.lock() else { return false };
        if send(&mut s, priority, msg) {
            return true;
        }
        // The socket is connected to the journal that was listening when
        // the agent started: after journald restarts (the logging check
        // heals exactly that) the old peer is gone and every send fails.
        // Connect to the new one, once per failed line.
        match connect() {
            Some(fresh) => {
                *s = fresh;
                send(&mut s, priority, msg)
            }
            None => false,
        }
    }
}

fn send(s: &mut Syslog, priority: Priority, msg: &str) -> bool {
    let sent = match priority {
        Priority::Error => s.err(msg),
        Priority::Warning => s.warning(msg),
        Priority::Notice => s.notice(msg),
        Priority::Info => s.info(msg),
        Priority::Debug => s.debug(msg),
    };
    sent.is_ok()
}

/// A connection to the system log (`/dev/log`), if there is one.
fn connect() -> Option<Syslog> {
    syslog::unix(syslog::Formatter3164 {
        facility: syslog::Facility::LOG_DAEMON,
        hostname: None,
        process: "compliance-agent".into(),
        pid: std::process::id(),
    })
    .ok()
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // Dependencies (ureq, rustls) are chatty at debug; only our own
        // modules (and NOTICE) log below info.
        let ours = metadata.target().starts_with("compliance_agent");
        metadata.level() <= log::max_level() && (ours || metadata.level() <= Level::Info)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let priority = priority(record.level(), record.target());
        let msg = record.args().to_string();
        // The journal keeps the syslog record; a person at a terminal sees
        // it too.
        let logged = self.to_syslog(priority, &msg);
        if self.terminal || !logged {
            let _ = writeln!(std::io::stderr().lock(), "{}", stderr_line(self.terminal, priority, &msg));
        }
    }

    fn flush(&self) {}
}

/// Whether stderr is a terminal (a person runs the agent by hand).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Installs the global logger. Returns where logs actually go.
pub fn init(target: LogTarget, level: LevelFilter) -> LogTarget {
    let syslog = match target {
        LogTarget::Stderr => None,
        LogTarget::Syslog => connect().map(Mutex::new),
    };
    let actual = if syslog.is_some() { LogTarget::Syslog } else { LogTarget::Stderr };
    // A second init (tests) keeps the first logger; only the level changes.
    let _ = log::set_boxed_logger(Box::new(Logger { syslog, terminal: stderr_is_terminal() }));
    log::set_max_level(level);
    actual
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_from_level_and_target() {
        assert_eq!(priority(Level::Error, "compliance_agent::heal"), Priority::Error);
        assert_eq!(priority(Level::Warn, "compliance_agent::agent"), Priority::Warning);
        assert_eq!(priority(Level::Info, NOTICE), Priority::Notice);
        assert_eq!(priority(Level::Info, "compliance_agent::agent"), Priority::Info);
        assert_eq!(priority(Level::Debug, NOTICE), Priority::Debug);
        assert_eq!(priority(Level::Trace, "ureq"), Priority::Debug);
    }

    #[test]
    fn stderr_lines_for_journald_and_for_people() {
        let table: &[(bool, Priority, &str, &str)] = &[
            (false, Priority::Error, "flush: boom", "<3>flush: boom"),
            (false, Priority::Warning, "drift", "<4>drift"),
            (false, Priority::Notice, "heal: healed", "<5>heal: healed"),
            (false, Priority::Info, "state poll -> detect", "<6>state poll -> detect"),
            (false, Priority::Debug, "took 3 ms", "<7>took 3 ms"),
            (true, Priority::Error, "cannot start: x", "error: cannot start: x"),
            (true, Priority::Warning, "detect: services: Drift", "warning: detect: services: Drift"),
            (true, Priority::Notice, "heal: healed", "heal: healed"),
            (true, Priority::Info, "state poll -> detect", "state poll -> detect"),
            (true, Priority::Debug, "took 3 ms", "debug: took 3 ms"),
        ];
        for (terminal, p, msg, want) in table {
            assert_eq!(stderr_line(*terminal, *p, msg), *want, "{terminal} {p:?}");
        }
    }

    #[test]
    fn a_multi_line_message_stays_one_line() {
        let msg = "check: exited 1: line one\nline two\r\n\ttabbed \u{1b}[31mred\u{7f}";
        let want = "check: exited 1: line one\\nline two\\r\\n\\ttabbed \\u{1b}[31mred\\u{7f}";
        assert_eq!(one_line(msg), want);
        for terminal in [false, true] {
            let line = stderr_line(terminal, Priority::Error, msg);
            assert!(!line.contains('\n') && !line.contains('\r') && !line.contains('\u{1b}'), "{line}");
            assert!(line.ends_with(want), "{line}");
        }
        // Non-ASCII text is kept as it is.
        assert_eq!(one_line("Zürich → ok"), "Zürich → ok");
    }
}
