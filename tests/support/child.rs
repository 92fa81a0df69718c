//! Children that cannot outlive their test.
//!
//! Every process a test starts runs in its own process group and is held by
//! a [`Guard`] that kills the whole group when the test ends, passes or
//! fails: a failed assertion (a panic) drops the guard too. A test that
//! waits for a child waits with a deadline, so a hung agent fails the test
//! instead of hanging CI, and no daemon keeps running after CI ended.

use super::simhost::kill_process_group;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a one-shot agent command may take before the test gives up.
pub const RUN_LIMIT: Duration = Duration::from_secs(120);

/// A running child, killed (with its process group) on drop.
pub struct Guard {
    child: Child,
    done: Option<ExitStatus>,
    stderr: Option<Arc<Mutex<Vec<u8>>>>,
}

impl Guard {
    /// Spawns `cmd` in a new process group.
    pub fn spawn(cmd: &mut Command) -> Guard {
        let child = cmd.process_group(0).spawn().unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Guard { child, done: None, stderr: None }
    }

    /// Spawns `cmd` (stdout discarded) with its stderr read continuously
    /// in the background, so a chatty daemon never blocks on a full pipe
    /// while the test waits for something else.
    pub fn spawn_logged(cmd: &mut Command) -> Guard {
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut g = Guard::spawn(cmd);
        let buf = Arc::new(Mutex::new(Vec::new()));
        let mut pipe = g.child.stderr.take().expect("stderr pipe");
        let sink = Arc::clone(&buf);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&chunk[..n]);
            }
        });
        g.stderr = Some(buf);
        g
    }

    /// What the child wrote to stderr so far ([`Guard::spawn_logged`]).
    pub fn log(&self) -> String {
        let buf = self.stderr.as_ref().expect("spawned with spawn_logged");
        String::from_utf8_lossy(&buf.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    /// Waits at most `limit` until the log contains `needle`.
    pub fn wait_log(&self, needle: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.log().contains(needle)
    }

    /// The child's pid (also its process group id).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The child, for its pipes.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Sends `signal` (e.g. "TERM") to the child itself.
    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .args([format!("-{signal}"), self.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -{signal} {} failed", self.id());
    }

    /// Waits at most `limit` for the child to exit. Once it has exited (a
    /// zombie, not yet reaped, so its pid cannot have been reused), whatever
    /// is left in its process group is killed, then it is reaped.
    pub fn wait_timeout(&mut self, limit: Duration) -> Option<ExitStatus> {
        if self.done.is_some() {
            return self.done;
        }
        let deadline = Instant::now() + limit;
        loop {
            match compliance_agent::sys::has_exited(self.id()) {
                Ok(false) => {}
                Ok(true) => {
                    // A zombie: its id is still ours; clear the group, then reap.
                    kill_process_group(self.id());
                    return self.reap();
                }
                // Already reaped through `child()`: wait returns its status.
                Err(_) => return self.reap(),
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn reap(&mut self) -> Option<ExitStatus> {
        let s = self.child.wait().unwrap_or_else(|e| panic!("reaping {}: {e}", self.id()));
        self.done = Some(s);
        self.done
    }

    /// Waits at most `limit`, failing the test (and killing the child) if
    /// it is still running then.
    pub fn wait_within(&mut self, limit: Duration, what: &str) -> ExitStatus {
        match self.wait_timeout(limit) {
            Some(s) => s,
            None => panic!("{what}: still running after {limit:?}; killed"),
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Only a child nobody reaped yet (running, or a zombie) still owns
        // its id: waitid(WNOWAIT) tells without reaping. One reaped through
        // `child()` is left alone — its id may already name someone else.
        if self.done.is_none() && compliance_agent::sys::has_exited(self.child.id()).is_ok() {
            kill_process_group(self.child.id());
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `cmd` to completion like [`Command::output`], but in its own
/// process group and for at most `limit`: past it the group is killed and
/// the test fails.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut g = Guard::spawn(cmd);
    let mut out = g.child().stdout.take().expect("stdout pipe");
    let mut err = g.child().stderr.take().expect("stderr pipe");
    // Drain both pipes beside the wait, so a chatty child cannot block.
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let status = match g.wait_timeout(limit) {
        Some(s) => s,
        None => {
            drop(g);
            let stderr = t_err.join().unwrap_or_default();
            panic!("{cmd:?} still running after {limit:?}; killed. stderr:\n{}", String::from_utf8_lossy(&stderr));
        }
    };
    // The child is reaped; anything it left in its group was killed first.
    drop(g);
    Output { status, stdout: t_out.join().unwrap_or_default(), stderr: t_err.join().unwrap_or_default() }
}
