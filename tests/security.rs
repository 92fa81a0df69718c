//! SECURITY.md keeps its promises checkable: every guarantee names the test
//! or the configuration that backs it, and every `path::test` it names is a
//! test that exists. Also the two guarantees no other test covered: the
//! daemon opens no listening socket, and a proxy in the environment is never
//! used.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::child::{output_within, Guard, RUN_LIMIT};
use support::env::{agent_bin, TestEnv};
use support::mcp::{closed_port, McpServer};
use support::sockets::{sockets_of, Sock, SocketWatch};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn security_md() -> String {
    std::fs::read_to_string(root().join("SECURITY.md")).unwrap()
}

/// The text between backticks that names a file of this repository,
/// optionally with `::test_name`: `tests/heal.rs::a_test`, `deny.toml`,
/// `.ci/run`. Commands, options and absolute paths are not pointers.
fn pointers(text: &str) -> Vec<String> {
    const EXTENSIONS: [&str; 8] = [".rs", ".toml", ".py", ".nix", ".md", ".json", ".sh", ".lock"];
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| !t.is_empty() && !t.starts_with('/') && !t.starts_with('-'))
        .filter(|t| !t.contains(char::is_whitespace) && !t.contains('='))
        .filter(|t| {
            let file = t.split("::").next().unwrap_or(t);
            file.contains('/') || EXTENSIONS.iter().any(|e| file.ends_with(e))
        })
        .map(str::to_string)
        .collect()
}

/// Relative link targets: `[text](docs/x.md)`, `(docs/x.md#anchor)`.
fn links(text: &str) -> Vec<String> {
    text.split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(target, _)| target))
        .filter(|t| !t.contains("://") && !t.starts_with('#'))
        .map(|t| t.split('#').next().unwrap_or(t).to_string())
        .collect()
}

/// Whether `file` defines `name` as a `#[test]` function (other attributes
/// and comments may stand between the two).
fn has_test(file: &Path, name: &str) -> bool {
    let text = std::fs::read_to_string(file).unwrap();
    let needle = format!("fn {name}(");
    text.match_indices(&needle).any(|(at, _)| {
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        if !text[line_start..at].trim().is_empty() {
            return false; // `pub fn`, `async fn`, a call: not a test item
        }
        for line in text[..line_start].lines().rev().map(str::trim) {
            if line == "#[test]" {
                return true;
            }
            if !(line.starts_with("#[") || line.starts_with("//")) {
                return false;
            }
        }
        false
    })
}

/// The numbered items of one `## ` section, each as its whole text.
fn items_of(text: &str, heading: &str) -> Vec<String> {
    let start = text.find(&format!("\n## {heading}\n")).unwrap_or_else(|| panic!("no section {heading:?}"));
    let body = &text[start + heading.len() + 5..];
    let body = &body[..body.find("\n## ").unwrap_or(body.len())];
    let mut items: Vec<String> = Vec::new();
    for line in body.lines() {
        let numbered =
            line.split_once(". ").is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if numbered {
            items.push(String::new());
        }
        if let Some(item) = items.last_mut() {
            if line.trim().is_empty() || (!numbered && !line.starts_with(' ')) {
                continue; // a paragraph after the list is not part of its last item
            }
            item.push_str(line);
            item.push('\n');
        }
    }
    items
}

#[test]
fn every_pointer_in_security_md_names_an_existing_file_or_test() {
    let text = security_md();
    let found = pointers(&text);
    assert!(found.iter().filter(|p| p.contains("::")).count() >= 20, "too few test pointers: {found:?}");
    let mut missing = Vec::new();
    for p in &found {
        let (file, test) = match p.split_once("::") {
            Some((f, t)) => (f, Some(t)),
            None => (p.as_str(), None),
        };
        let path = root().join(file);
        if !path.exists() {
            missing.push(format!("{p}: no file {file}"));
            continue;
        }
        if let Some(t) = test {
            if !file.ends_with(".rs") || !has_test(&path, t) {
                missing.push(format!("{p}: {file} has no #[test] fn {t}"));
            }
        }
    }
    for l in links(&text) {
        if !root().join(&l).exists() {
            missing.push(format!("link ({l}): no such file"));
        }
    }
    assert!(missing.is_empty(), "SECURITY.md points at what does not exist:\n{}", missing.join("\n"));
}

#[test]
fn every_guarantee_names_its_evidence() {
    let items = items_of(&security_md(), "Guarantees the code keeps");
    assert!(items.len() >= 10, "{items:#?}");
    for item in &items {
        assert!(!pointers(item).is_empty(), "this guarantee names no test or configuration that backs it:\n{item}");
    }
}

#[test]
fn the_pointer_checks_catch_what_they_should() {
    let here = "tests/security.rs";
    assert!(has_test(&root().join(here), "every_guarantee_names_its_evidence"));
    assert!(!has_test(&root().join(here), "has_test"), "a helper is not a test");
    assert!(!has_test(&root().join(here), "no_such_test"));
    let text = "see `tests/heal.rs::x`, `deny.toml`, `.ci/run`, `--locked --offline`, `/proc`, `LC_ALL=C`, `status`";
    assert_eq!(pointers(text), ["tests/heal.rs::x", "deny.toml", ".ci/run"]);
    assert_eq!(links("[a](docs/x.md#y) [b](https://e.org) (c)"), ["docs/x.md"]);
    let md =
        "# T\n\n## S\n\nintro `a.rs`\n\n1. **One** text\n   more `b.rs`\n2. **Two**\n\nafter `c.rs`\n\n## Next\n3. x\n";
    assert_eq!(items_of(md, "S"), ["1. **One** text\n   more `b.rs`\n", "2. **Two**\n"]);
}

#[test]
fn the_daemon_opens_no_listening_socket() {
    let server = McpServer::start();
    // The reading itself sees a listener: this test process's own test MCP.
    let ours = sockets_of(std::process::id()).unwrap();
    assert!(ours.iter().any(Sock::accepts), "the /proc reading misses the test MCP's listener: {ours:?}");

    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    let mut daemon = Guard::spawn_logged(Command::new(agent_bin()).arg("--config").arg(&env.config));
    let watch = SocketWatch::start(daemon.id());
    // After a whole cycle: checks, a poll and a flush over mutual TLS.
    assert!(daemon.wait_log("flush -> idle", Duration::from_secs(30)), "{}", daemon.log());
    assert!(!server.requests().is_empty(), "the daemon did not reach the MCP");
    let seen = watch.finish();
    let accepting: Vec<String> = seen.accepting().iter().map(|s| s.to_string()).collect();
    assert!(accepting.is_empty(), "the agent held sockets that accept: {accepting:?}");
    daemon.signal("TERM");
    let st = daemon.wait_timeout(Duration::from_secs(20)).expect("daemon stops on SIGTERM");
    assert_eq!(st.code(), Some(0), "{}", daemon.log());
}

#[test]
fn a_proxy_in_the_environment_is_never_used() {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    // A proxy where nothing listens: a client that honoured any of these
    // would not reach the MCP (ureq reads them unless told not to).
    let proxy = format!("http://127.0.0.1:{}", closed_port());
    let mut cmd = Command::new(agent_bin());
    cmd.arg("--config").arg(&env.config).arg("--once");
    for var in ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] {
        cmd.env(var, &proxy);
    }
    cmd.env_remove("NO_PROXY").env_remove("no_proxy");
    let out = output_within(&mut cmd, RUN_LIMIT);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(server.requests().iter().any(|r| r.starts_with("GET")), "{err}");
    assert!(!server.evidence().is_empty(), "{err}");
}
