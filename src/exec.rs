//! The one way the agent runs a program.
//!
//! Owns: spawning a tool by absolute path with an argv array (never a shell),
//! a cleared environment (`PATH` fixed, `LC_ALL=C`), its own process group, a
//! deadline that kills the whole group, capped capture of stdout and stderr
//! read concurrently with `poll(2)` (so a chatty tool cannot deadlock on a
//! full pipe), and a [`CommandRecord`] that evidence reuses verbatim.
//! While it waits it keeps calling the [`Heartbeat`] so the systemd watchdog
//! is fed during a ten-minute `nixos-rebuild`.
//! A tool fed input the agent does not vouch for (an nft script: `nft -f`
//! echoes the offending lines, and the lines of any file the script made it
//! read) is marked [`Invocation::untrusted_input`]; evidence then keeps only
//! a scrubbed reason of its stderr ([`scrub_stderr`]).
//! Must never: run anything by relative path, pass the agent's environment
//! through, block without a deadline, or put the raw stderr of a tool fed
//! untrusted input into a [`CommandRecord`]'s serialised fields.

use crate::sys;
use serde::Serialize;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The only PATH a tool sees (NixOS tools find their own dependencies by
/// store path; this is for the odd script that calls `cat`).
pub const TOOL_PATH: &str = "/run/current-system/sw/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Per-stream capture cap. Output beyond it is read and discarded (counted).
pub const OUTPUT_CAP: usize = 1 << 20;
/// How much of stderr evidence keeps.
pub const STDERR_TAIL: usize = 2048;
/// Longest message [`scrub_stderr`] keeps of a tool fed untrusted input.
pub const SCRUBBED_REASON: usize = 120;
/// Longest pause between heartbeats while a tool runs.
const TICK: Duration = Duration::from_millis(500);
/// After the tool exited, how long to wait for pipes held by processes that
/// left its process group.
const EXIT_GRACE: Duration = Duration::from_secs(2);
/// How long to wait for a killed child to be reaped.
const REAP_LIMIT: Duration = Duration::from_secs(5);

/// Something to call regularly while waiting (the systemd watchdog).
pub trait Heartbeat {
    /// Called at least every half second while a tool runs.
    fn beat(&self);
}

/// A heartbeat that does nothing (tests, `check`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHeartbeat;

impl Heartbeat for NoHeartbeat {
    fn beat(&self) {}
}

impl<T: Heartbeat + ?Sized> Heartbeat for &T {
    fn beat(&self) {
        (**self).beat();
    }
}

/// One command to run.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// Absolute path of the program (validated by config).
    pub program: PathBuf,
    /// Arguments, each passed as one argv element.
    pub args: Vec<String>,
    /// Wall-clock limit; the whole process group is killed when it passes.
    pub timeout: Duration,
    /// Fed input the agent does not vouch for: see [`Invocation::untrusted_input`].
    pub untrusted: bool,
}

impl Invocation {
    /// A command with the given program, arguments and timeout.
    pub fn new<I, S>(program: &Path, args: I, timeout: Duration) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Invocation {
            program: program.to_path_buf(),
            args: args.into_iter().map(Into::into).collect(),
            timeout,
            untrusted: false,
        }
    }

    /// Marks the command as fed input the agent does not vouch for, whose
    /// bytes (or those of files it names) the tool may echo on stderr: the
    /// record's `stderr_tail` is then [`scrub_stderr`]'s short reason, never
    /// the raw text. The raw stderr stays in the unserialised `stderr`.
    #[must_use]
    pub fn untrusted_input(mut self) -> Self {
        self.untrusted = true;
        self
    }

    /// argv as evidence shows it: program path then arguments.
    pub fn argv(&self) -> Vec<String> {
        std::iter::once(self.program.display().to_string()).chain(self.args.iter().cloned()).collect()
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exit {
    /// Exited with this status code.
    Code { code: i32 },
    /// Killed by this signal (not by us).
    Signal { signal: i32 },
    /// Ran past its deadline; its process group was killed.
    TimedOut,
    /// Could not be started (missing binary, not executable, …).
    SpawnFailed { error: String },
}

/// What evidence records about one command, and what checks parse.
#[derive(Debug, Clone, Serialize)]
pub struct CommandRecord {
    /// Program path and arguments.
    pub argv: Vec<String>,
    /// How it ended.
    pub exit: Exit,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Captured stdout (at most [`OUTPUT_CAP`] bytes); not serialised into
    /// evidence, checks summarise what they need from it.
    #[serde(skip)]
    pub stdout: Vec<u8>,
    /// Bytes of stdout beyond the cap that were read and dropped.
    #[serde(skip_serializing_if = "is_zero")]
    pub stdout_dropped: u64,
    /// The last [`STDERR_TAIL`] bytes of stderr, lossily decoded; for a
    /// tool fed untrusted input, only [`scrub_stderr`]'s reason.
    pub stderr_tail: String,
    /// Full captured stderr (capped), for parsers that need it. Never
    /// serialised and never logged: it may hold untrusted bytes.
    #[serde(skip)]
    pub stderr: Vec<u8>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl CommandRecord {
    /// True when the command exited with status 0.
    pub fn success(&self) -> bool {
        self.exit == Exit::Code { code: 0 }
    }

    /// The exit code, if it exited normally.
    pub fn code(&self) -> Option<i32> {
        match self.exit {
            Exit::Code { code } => Some(code),
            _ => None,
        }
    }

    /// stdout as text (lossy: tools print UTF-8 or ASCII under LC_ALL=C).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// One line for logs: argv[0] basename, exit and duration.
    pub fn summary(&self) -> String {
        let name = self.argv.first().map(|p| p.rsplit('/').next().unwrap_or(p)).unwrap_or("?");
        let how = match &self.exit {
            Exit::Code { code } => format!("exit {code}"),
            Exit::Signal { signal } => format!("killed by signal {signal}"),
            Exit::TimedOut => "timed out".to_string(),
            Exit::SpawnFailed { error } => format!("could not start: {error}"),
        };
        format!("{name} {} ({how}, {} ms)", self.argv.get(1..).unwrap_or_default().join(" "), self.duration_ms)
    }
}

/// Describes why a command could not be used (for `error` results). For a
/// tool fed untrusted input the stderr part is already the scrubbed reason
/// ([`scrub_stderr`]).
pub fn tool_failure(rec: &CommandRecord) -> String {
    match &rec.exit {
        Exit::SpawnFailed { error } => format!("cannot run: {error}"),
        Exit::TimedOut => format!("{} timed out", rec.argv.first().map(String::as_str).unwrap_or("tool")),
        Exit::Signal { signal } => format!("killed by signal {signal}"),
        Exit::Code { code } => format!("exited {code}: {}", rec.stderr_tail),
    }
}

/// Runs commands. Checks and heals take `&dyn Runner` so unit tests can
/// answer with canned records and integration tests use the simulated host.
pub trait Runner {
    /// Runs one command to completion (or its deadline).
    fn run(&self, inv: &Invocation) -> CommandRecord;
}

/// The real runner: spawns processes.
#[derive(Debug, Clone)]
pub struct SystemRunner<H: Heartbeat> {
    heartbeat: H,
}

impl<H: Heartbeat> SystemRunner<H> {
    /// A runner that calls `heartbeat` while it waits.
    pub fn new(heartbeat: H) -> Self {
        SystemRunner { heartbeat }
    }
}

impl<H: Heartbeat> Runner for SystemRunner<H> {
    fn run(&self, inv: &Invocation) -> CommandRecord {
        let started = Instant::now();
        let mut record = CommandRecord {
            argv: inv.argv(),
            exit: Exit::TimedOut,
            duration_ms: 0,
            stdout: Vec::new(),
            stdout_dropped: 0,
            stderr_tail: String::new(),
            stderr: Vec::new(),
        };
        match spawn(inv) {
            Err(e) => record.exit = Exit::SpawnFailed { error: describe_spawn_error(&inv.program, &e) },
            Ok(child) => {
                record.exit = supervise(child, started + inv.timeout, &self.heartbeat, &mut record);
            }
        }
        record.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        record.stderr_tail =
            if inv.untrusted { scrub_stderr(&record.stderr) } else { tail(&record.stderr, STDERR_TAIL) };
        record
    }
}

fn spawn(inv: &Invocation) -> io::Result<Child> {
    use std::os::unix::process::CommandExt;
    if !inv.program.is_absolute() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "program path is not absolute"));
    }
    let mut cmd = Command::new(&inv.program);
    cmd.args(&inv.args)
        .env_clear()
        .env("PATH", TOOL_PATH)
        .env("LC_ALL", "C")
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // ETXTBSY: the file is open for writing somewhere at this instant (a
    // package switch replacing a tool). It clears in milliseconds.
    let mut attempt = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy && attempt < 5 => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(20 * attempt));
            }
            other => return other,
        }
    }
}

fn describe_spawn_error(program: &Path, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => format!("{}: no such file", program.display()),
        io::ErrorKind::PermissionDenied => format!("{}: permission denied (not executable?)", program.display()),
        _ => format!("{}: {e}", program.display()),
    }
}

/// A pipe being drained into a capped buffer.
struct Drain<'a, R: Read + AsFd> {
    pipe: Option<R>,
    buf: &'a mut Vec<u8>,
    dropped: u64,
}

impl<R: Read + AsFd> Drain<'_, R> {
    fn read_some(&mut self) {
        let Some(pipe) = self.pipe.as_mut() else { return };
        let mut chunk = [0u8; 16 * 1024];
        match pipe.read(&mut chunk) {
            Ok(0) => self.pipe = None,
            Ok(n) => {
                let room = OUTPUT_CAP.saturating_sub(self.buf.len());
                let keep = room.min(n);
                self.buf.extend_from_slice(&chunk[..keep]);
                self.dropped += (n - keep) as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => self.pipe = None,
        }
    }
}

/// Reads both pipes until EOF and reaps the child, killing its process group
/// at the deadline. Once the tool itself has exited, whatever it left behind
/// in its group is killed too, so a forgotten background child can neither
/// hold our pipes open nor outlive the command.
fn supervise(mut child: Child, deadline: Instant, heartbeat: &dyn Heartbeat, record: &mut CommandRecord) -> Exit {
    let pgid = child.id();
    let mut out: Drain<'_, ChildStdout> = Drain { pipe: child.stdout.take(), buf: &mut record.stdout, dropped: 0 };
    let mut err: Drain<'_, ChildStderr> = Drain { pipe: child.stderr.take(), buf: &mut record.stderr, dropped: 0 };
    let mut status: Option<ExitStatus> = None;
    let mut exited_at: Option<Instant> = None;
    let mut timed_out = false;

    loop {
        heartbeat.beat();
        if status.is_none() {
            let exited = match sys::has_exited(pgid) {
                Ok(false) => false,
                Ok(true) => {
                    // Kill what the tool left in its group *before* reaping
                    // it: once reaped, its id is free and could name someone
                    // else's group.
                    let _ = sys::kill_process_group(pgid);
                    true
                }
                // Cannot tell without reaping: reap, and leave the group be.
                Err(_) => true,
            };
            if exited {
                if let Ok(Some(s)) = child.try_wait() {
                    status = Some(s);
                    exited_at = Some(Instant::now());
                }
            }
        }
        let now = Instant::now();
        if out.pipe.is_none() && err.pipe.is_none() {
            if status.is_some() {
                break;
            }
            if now >= deadline {
                timed_out = true;
                let _ = sys::kill_process_group(pgid);
                status = reap_bounded(&mut child, heartbeat);
                break;
            }
            // Pipes closed but the tool still runs: wait for it in short steps.
            std::thread::sleep(deadline.saturating_duration_since(now).min(Duration::from_millis(5)));
            continue;
        }
        // The tool exited and its group is dead, but something that left
        // the group (setsid) still holds a pipe: keep what was read and
        // report the tool's own status after a short grace.
        if exited_at.is_some_and(|t| now.duration_since(t) >= EXIT_GRACE) {
            drain_ready(&mut out, &mut err);
            break;
        }
        if now >= deadline {
            timed_out = status.is_none();
            if status.is_none() {
                // Not reaped, so the group id is still the tool's.
                let _ = sys::kill_process_group(pgid);
                status = reap_bounded(&mut child, heartbeat);
            }
            // Drain what is already buffered, without waiting for processes
            // that escaped the group and still hold the pipe.
            drain_ready(&mut out, &mut err);
            break;
        }
        let mut wait = deadline.saturating_duration_since(now).min(TICK);
        if let Some(t) = exited_at {
            wait = wait.min(EXIT_GRACE.saturating_sub(now.duration_since(t)));
        }
        poll_once(&mut out, &mut err, wait);
    }

    let exit = if timed_out {
        Exit::TimedOut
    } else {
        match status {
            Some(s) => exit_of(s),
            None => Exit::SpawnFailed { error: "lost track of the child process".to_string() },
        }
    };
    record.stdout_dropped = out.dropped;
    exit
}

/// Reaps a child after SIGKILL, but gives up after [`REAP_LIMIT`]: a process
/// stuck in uninterruptible sleep (a failing disk) must not hang the agent.
fn reap_bounded(child: &mut Child, heartbeat: &dyn Heartbeat) -> Option<ExitStatus> {
    let until = Instant::now() + REAP_LIMIT;
    while Instant::now() < until {
        heartbeat.beat();
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    log::warn!("exec: pid {} did not die within {} s of SIGKILL; leaving it", child.id(), REAP_LIMIT.as_secs());
    None
}

fn poll_once(out: &mut Drain<'_, ChildStdout>, err: &mut Drain<'_, ChildStderr>, wait: Duration) {
    let mut ready = [false; 2];
    let polled = match (out.pipe.as_ref(), err.pipe.as_ref()) {
        (Some(o), Some(e)) => sys::poll_readable(&[o.as_fd(), e.as_fd()], wait, &mut ready),
        (Some(o), None) => sys::poll_readable(&[o.as_fd()], wait, &mut ready[..1]),
        (None, Some(e)) => sys::poll_readable(&[e.as_fd()], wait, &mut ready[1..]),
        (None, None) => Ok(()),
    };
    if polled.is_err() {
        // poll itself failing is not recoverable for these pipes: stop reading.
        out.pipe = None;
        err.pipe = None;
        return;
    }
    if ready[0] {
        out.read_some();
    }
    if ready[1] {
        err.read_some();
    }
}

fn drain_ready(out: &mut Drain<'_, ChildStdout>, err: &mut Drain<'_, ChildStderr>) {
    for _ in 0..64 {
        if out.pipe.is_none() && err.pipe.is_none() {
            return;
        }
        let before = (out.buf.len(), err.buf.len(), out.dropped, err.dropped);
        poll_once(out, err, Duration::ZERO);
        if before == (out.buf.len(), err.buf.len(), out.dropped, err.dropped) {
            return;
        }
    }
}

fn exit_of(status: ExitStatus) -> Exit {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Exit::Code { code },
        (None, Some(signal)) => Exit::Signal { signal },
        (None, None) => Exit::SpawnFailed { error: "unknown exit status".to_string() },
    }
}

/// The last `max` bytes of `bytes` as text, starting at a character boundary.
pub fn tail(bytes: &[u8], max: usize) -> String {
    let start = bytes.len().saturating_sub(max);
    let text = String::from_utf8_lossy(&bytes[start..]);
    text.trim_start_matches('\u{FFFD}').trim_end().to_string()
}

/// What evidence keeps of the stderr of a tool fed untrusted input: how many
/// bytes were withheld and, from the first line carrying nft's `Error:`
/// marker, the message alone — its location and file path before the
/// marker dropped, quoted text dropped, words that look like a path or a
/// `:line` location dropped, characters outside `A-Z a-z 0-9 space , . : ( )
/// _ -` dropped, at most [`SCRUBBED_REASON`] bytes. The lines where nft
/// echoes the offending input never appear. Empty stderr stays empty.
pub fn scrub_stderr(stderr: &[u8]) -> String {
    if stderr.is_empty() {
        return String::new();
    }
    let text = String::from_utf8_lossy(stderr);
    let message = text.lines().find_map(|l| l.split_once("Error:")).map(|(_, m)| reduce(m)).unwrap_or_default();
    if message.is_empty() {
        format!("stderr withheld ({} bytes)", stderr.len())
    } else {
        format!("stderr withheld ({} bytes): {message}", stderr.len())
    }
}

/// [`scrub_stderr`]'s reduction of one message.
fn reduce(message: &str) -> String {
    let mut unquoted = String::new();
    let mut closing: Option<char> = None;
    for c in message.chars() {
        match (closing, c) {
            (Some(q), _) if c == q => closing = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => closing = Some(c),
            (None, '\u{2018}') => closing = Some('\u{2019}'),
            (None, '\u{201c}') => closing = Some('\u{201d}'),
            (None, _) => unquoted.push(c),
        }
    }
    let location = |w: &str| w.as_bytes().windows(2).any(|p| p[0] == b':' && p[1].is_ascii_digit());
    let mut out = String::new();
    for word in unquoted.split_whitespace().filter(|w| !w.contains('/') && !location(w)) {
        let word: String = word.chars().filter(|c| c.is_ascii_alphanumeric() || " ,.:()_-".contains(*c)).collect();
        if word.is_empty() {
            continue;
        }
        if out.len() + 1 + word.len() > SCRUBBED_REASON {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    struct Count(Cell<u32>);
    impl Heartbeat for Count {
        fn beat(&self) {
            self.0.set(self.0.get() + 1);
        }
    }

    fn sh(script: &str, timeout_ms: u64) -> CommandRecord {
        SystemRunner::new(NoHeartbeat).run(&Invocation::new(
            Path::new("/bin/sh"),
            ["-c", script],
            Duration::from_millis(timeout_ms),
        ))
    }

    #[test]
    fn captures_stdout_stderr_and_code() {
        let r = sh("echo out; echo err >&2; exit 3", 10_000);
        assert_eq!(r.exit, Exit::Code { code: 3 });
        assert_eq!(r.stdout, b"out\n");
        assert_eq!(r.stderr_tail, "err");
        assert!(!r.success());
    }

    #[test]
    fn environment_is_cleared() {
        std::env::set_var("COMPLIANCE_AGENT_LEAK_TEST", "secret");
        let r = sh("env | sort", 10_000);
        let env = r.stdout_text();
        assert!(!env.contains("COMPLIANCE_AGENT_LEAK_TEST"), "{env}");
        assert!(env.contains("LC_ALL=C"));
        assert!(env.contains(&format!("PATH={TOOL_PATH}")));
    }

    #[test]
    fn ten_mib_of_output_is_capped_without_deadlock() {
        // 10 MiB on stdout and 10 MiB on stderr at once: a reader that drained
        // one pipe at a time would deadlock here.
        let r = sh("head -c 10485760 /dev/zero; head -c 10485760 /dev/zero >&2; head -c 10485760 /dev/zero", 60_000);
        assert_eq!(r.exit, Exit::Code { code: 0 });
        assert_eq!(r.stdout.len(), OUTPUT_CAP);
        assert_eq!(r.stdout_dropped, 20 * 1024 * 1024 - OUTPUT_CAP as u64);
        assert_eq!(r.stderr.len(), OUTPUT_CAP);
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let marker = std::env::temp_dir().join(format!("exec-timeout-{}", std::process::id()));
        let script = format!("(sleep 2; touch {}) & sleep 30", marker.display());
        let hb = Count(Cell::new(0));
        let r = SystemRunner::new(&hb).run(&Invocation::new(
            Path::new("/bin/sh"),
            ["-c", &script],
            Duration::from_millis(300),
        ));
        assert_eq!(r.exit, Exit::TimedOut);
        assert!(r.duration_ms < 10_000);
        assert!(hb.0.get() >= 1);
        // The grandchild was in the same group and must be dead: its marker
        // never appears.
        std::thread::sleep(Duration::from_millis(2500));
        assert!(!marker.exists(), "grandchild survived the timeout");
    }

    #[test]
    fn child_that_outlives_the_tool_is_reaped() {
        // The tool exits at once but leaves a child holding stdout open.
        let r = sh("sleep 30 & echo started", 20_000);
        assert_eq!(r.exit, Exit::Code { code: 0 });
        assert_eq!(r.stdout_text(), "started\n");
        assert!(r.duration_ms < 15_000, "waited for the orphan: {} ms", r.duration_ms);
    }

    #[test]
    fn an_escaped_grandchild_holding_stdout_does_not_turn_success_into_timeout() {
        // setsid puts the sleeper in its own session, out of reach of the
        // group kill; it keeps stdout open for 8 s.
        let r = sh("setsid sleep 8 & echo done", 20_000);
        assert_eq!(r.exit, Exit::Code { code: 0 });
        assert_eq!(r.stdout_text(), "done\n");
        assert!(r.duration_ms < 15_000, "{} ms", r.duration_ms);
    }

    #[test]
    fn missing_binary_is_spawn_failed() {
        let r = SystemRunner::new(NoHeartbeat).run(&Invocation::new(
            Path::new("/nonexistent/tool"),
            ["x"],
            Duration::from_secs(1),
        ));
        assert!(matches!(&r.exit, Exit::SpawnFailed { error } if error.contains("no such file")), "{:?}", r.exit);
    }

    #[test]
    fn relative_path_is_refused() {
        let r = SystemRunner::new(NoHeartbeat).run(&Invocation::new(
            Path::new("sh"),
            ["-c", "true"],
            Duration::from_secs(1),
        ));
        assert!(matches!(r.exit, Exit::SpawnFailed { .. }));
    }

    #[test]
    fn killed_by_signal() {
        let r = sh("kill -9 $$", 10_000);
        assert_eq!(r.exit, Exit::Signal { signal: 9 });
    }

    #[test]
    fn untrusted_stderr_is_withheld_but_for_a_scrubbed_reason() {
        // What `nft -f` prints for a file it was made to read: its location,
        // the message, then the offending line and a caret line.
        let script = "echo '/tmp/x:1:1-4: Error: syntax error, unexpected string' >&2; \
                      echo 'SECRET-LINE-root:x:0:0:/root:/bin/sh' >&2; echo '^^^^' >&2; exit 1";
        let inv = Invocation::new(Path::new("/bin/sh"), ["-c", script], Duration::from_secs(10));
        let r = SystemRunner::new(NoHeartbeat).run(&inv.clone().untrusted_input());
        assert_eq!(r.exit, Exit::Code { code: 1 });
        let n = r.stderr.len();
        assert_eq!(r.stderr_tail, format!("stderr withheld ({n} bytes): syntax error, unexpected string"));
        // What evidence serialises (argv aside: here it is the script itself;
        // for nft it is a file name).
        let json = serde_json::to_string(&CommandRecord { argv: Vec::new(), ..r.clone() }).unwrap();
        assert!(!json.contains("SECRET") && !json.contains("/tmp/x") && !json.contains("^^^"), "{json}");
        assert!(!tool_failure(&r).contains("SECRET"));
        // Parsers still get the raw bytes in memory.
        assert!(String::from_utf8_lossy(&r.stderr).contains("SECRET-LINE"));
        // The same command, trusted, keeps its tail as before.
        let trusted = SystemRunner::new(NoHeartbeat).run(&inv);
        assert!(trusted.stderr_tail.contains("SECRET-LINE"));
    }

    #[test]
    fn scrubbed_reasons() {
        assert_eq!(scrub_stderr(b""), "");
        // (stderr, the message kept)
        let cases: &[(&str, &str)] = &[
            ("root:x:0:0:root:/root:/bin/bash\n", ""),
            (
                "in:3:9-21: Error: Could not open file \"/etc/shadow\": Permission denied\ninclude \"/etc/shadow\"\n",
                "Could not open file : Permission denied",
            ),
            ("x.nft:1:1-3: Error: File not found: /etc/secret/key.pem\n", "File not found:"),
            (
                "a:1:1: Error: No such table; did you mean \u{2018}s3cr3t\u{2019} in family inet?\n",
                "No such table did you mean in family inet",
            ),
            ("a:1:1: Error: see other.nft:12:3 $HOME <x>\n", "see HOME x"),
            ("Error: \"unterminated quote hides the rest\n", ""),
            ("warning first\nb:2:1: Error: second line wins\nc:3:1: Error: not this one\n", "second line wins"),
        ];
        for (stderr, message) in cases {
            let n = stderr.len();
            let want = if message.is_empty() {
                format!("stderr withheld ({n} bytes)")
            } else {
                format!("stderr withheld ({n} bytes): {message}")
            };
            assert_eq!(scrub_stderr(stderr.as_bytes()), want, "{stderr:?}");
        }
        let long = format!("f:1:1: Error: {}\n", "word ".repeat(100));
        let got = scrub_stderr(long.as_bytes());
        let message = got.split_once("): ").unwrap().1;
        assert!(message.len() <= SCRUBBED_REASON && message.starts_with("word word"), "{got}");
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail(b"abcdef", 3), "def");
        assert_eq!(tail("ééé".as_bytes(), 3), "é");
    }
}
