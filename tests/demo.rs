//! The demo (examples/demo/, demo/README.md): `--scenario all` must pass,
//! and the page must work in a real Chromium driven over WebDriver
//! (Debian's `chromium` and `chromium-driver`, which `.ci/run` installs).
//!
//! Both run the demo example binary that `cargo test` builds before any
//! test (`target/<profile>/examples/demo`) against the agent under test.
//! The browser test writes its screenshots to
//! `target/<profile>/demo-browser/` (printed at the end): the page at
//! start, a stopped service shown red, the remediation bundle arrived with
//! its tick, and the forged order rejected.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::encoding::base64_decode;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::child::{output_within, Guard};
use support::env::agent_bin;

/// `target/<profile>`: this test binary is in its `deps/`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// The demo example as `cargo test` built it, or a clear failure.
fn demo_binary() -> PathBuf {
    let demo = profile_dir().join("examples/demo");
    assert!(
        demo.is_file(),
        "{} is missing: `cargo test` builds the examples first, `cargo test --test demo` alone does not: run \
         `cargo build --locked --offline --example demo` first",
        demo.display()
    );
    demo
}

#[test]
fn every_scenario_behaves_headless() {
    let out = output_within(
        Command::new(demo_binary()).args(["--scenario", "all", "--poll-secs", "2", "--agent"]).arg(agent_bin()),
        Duration::from_secs(900),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("all scenarios behaved"), "{stdout}");
    // Every scenario reported, none failed; DNS runs only as root.
    let passed = stdout.lines().filter(|l| l.starts_with("PASSED ")).count();
    let skipped = stdout.lines().filter(|l| l.starts_with("SKIPPED ")).count();
    assert_eq!(passed + skipped, 15, "{stdout}");
    assert!(!stdout.contains("FAILED"), "{stdout}");
    // The demo removed its temp state (no --keep).
    let pki = stdout
        .lines()
        .find_map(|l| l.strip_prefix("demo: making throw-away keys and certificates with openssl in "))
        .expect("the demo said where its keys are");
    let state = Path::new(pki.trim()).parent().unwrap();
    assert!(!state.exists(), "{} is left behind", state.display());
}

// ---- a WebDriver client over std TcpStream ----------------------------------

struct WebDriver {
    port: u16,
    session: String,
}

fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // Head, then exactly Content-Length bytes (chromedriver may keep the
    // connection open).
    let mut reader = BufReader::new(s);
    let mut length = None;
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse::<usize>().ok();
            }
        }
    }
    let length = length.unwrap_or_else(|| panic!("{method} {path}: no Content-Length: {status}"));
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{method} {path}: {e}: {}", String::from_utf8_lossy(&body)))
}

impl WebDriver {
    fn new(port: u16, profile: &Path) -> WebDriver {
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": which("chromium").unwrap(),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1400,1800",
                     format!("--user-data-dir={}", profile.display())]}}}});
        let r = http(port, "POST", "/session", Some(&caps));
        let session = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}")).to_string();
        WebDriver { port, session }
    }

    fn cmd(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        let r = http(self.port, method, &format!("/session/{}{what}", self.session), body.as_ref());
        assert!(r["value"]["error"].is_null(), "{method} {what}: {r}");
        r["value"].clone()
    }

    fn js(&self, script: &str) -> Value {
        self.cmd("POST", "/execute/sync", Some(json!({"script": script, "args": []})))
    }

    fn click(&self, id: &str) {
        let e = self.cmd("POST", "/element", Some(json!({"using": "css selector", "value": format!("#{id}")})));
        let eid = e.as_object().unwrap().values().next().unwrap().as_str().unwrap().to_string();
        self.cmd("POST", &format!("/element/{eid}/click"), Some(json!({})));
    }

    fn screenshot(&self, file: &Path) {
        let b64 = self.cmd("GET", "/screenshot", None);
        std::fs::write(file, base64_decode(b64.as_str().unwrap()).unwrap()).unwrap();
    }

    /// Waits (bounded) until `script` returns true.
    fn wait(&self, what: &str, script: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.js(script) != json!(true) {
            assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| http(self.port, "DELETE", &format!("/session/{}", self.session), None));
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/lib/chromium")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn the_page_shows_a_heal_and_a_forged_order_in_chromium() {
    let (Some(_), Some(driver)) = (which("chromium"), which("chromedriver")) else {
        eprintln!(
            "SKIPPED: chromium and chromium-driver are not installed (.ci/run installs them from Debian; \
             apt-get install chromium chromium-driver)"
        );
        return;
    };
    let shots = profile_dir().join("demo-browser");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();

    // The demo, on a port of its choosing from a free one up.
    let mut demo = Guard::spawn(
        Command::new(demo_binary())
            .args(["--poll-secs", "3", "--port"])
            .arg(free_port().to_string())
            .arg("--agent")
            .arg(agent_bin())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
    );
    let stdout = demo.child().stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let url = loop {
        let line =
            rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("the demo printed no URL");
        if let Some(rest) = line.strip_prefix("demo: open ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };

    let port = free_port();
    let profile = shots.join("chromium-profile");
    let _driver =
        Guard::spawn(Command::new(driver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()));
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    let wd = WebDriver::new(port, &profile);
    wd.cmd("POST", "/url", Some(json!({"url": url})));
    let limit = Duration::from_secs(60);
    wd.wait("the six checks", "return document.querySelectorAll('.check').length === 6", limit);
    wd.wait(
        "all checks green and the first evidence",
        "return document.querySelectorAll('.check.bad').length === 0 && document.querySelectorAll('#feed tbody tr').length > 0",
        limit,
    );
    wd.screenshot(&shots.join("1-start.png"));

    // Watch the services card: red may last less than a poll interval.
    wd.js("window.seen = []; const card = document.getElementById('check-services'); \
         new MutationObserver(() => window.seen.push(card.dataset.state)).observe(card, {attributes: true}); \
         return true;");
    let before = wd.js("return document.querySelectorAll('#feed tbody tr').length").as_u64().unwrap();
    wd.click("run-stop-service");
    wd.wait("the service turns red", "return window.seen.includes('bad')", limit);
    if wd.js("return document.getElementById('check-services').dataset.state") == json!("bad") {
        wd.screenshot(&shots.join("2-service-red.png"));
    }
    wd.wait(
        "the remediation bundle, success, with a tick",
        "return [...document.querySelectorAll('#feed tbody tr')].some(r => r.dataset.kind === 'remediation' \
         && r.dataset.check === 'services' && r.dataset.outcome === 'success' && r.dataset.verified === 'yes' \
         && r.querySelector('.tick') !== null)",
        limit,
    );
    wd.wait(
        "the service green again",
        "return document.getElementById('check-services').dataset.state === 'ok'",
        limit,
    );
    wd.wait(
        "the scenario passed",
        "return document.getElementById('status-stop-service').dataset.status === 'passed'",
        limit,
    );
    let after = wd.js("return document.querySelectorAll('#feed tbody tr').length").as_u64().unwrap();
    assert!(after > before);
    wd.screenshot(&shots.join("3-healed.png"));

    wd.click("run-forged-order");
    wd.wait(
        "the forged order rejected",
        "return [...document.querySelectorAll('#feed tbody tr')].some(r => r.dataset.kind === 'order' \
         && r.dataset.outcome === 'rejected' && r.dataset.reason === 'bad_signature' && r.dataset.verified === 'yes')",
        limit,
    );
    wd.wait(
        "the scenario passed",
        "return document.getElementById('status-forged-order').dataset.status === 'passed'",
        limit,
    );
    wd.screenshot(&shots.join("4-forged-rejected.png"));
    drop(wd);

    // Ctrl-C: the demo stops the agent and exits 0.
    demo.signal("INT");
    let status = demo.wait_within(Duration::from_secs(60), "the demo after SIGINT");
    assert_eq!(status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&profile);
    eprintln!("screenshots in {}", shots.display());
}
