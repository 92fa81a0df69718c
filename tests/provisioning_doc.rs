//! docs/provisioning.md, walked as written: from nothing to `config check`
//! passing against the test MCP (`examples/mcp-stub.rs`) and `--once`
//! reporting, then the evidence key rotation.
//!
//! Every ```sh block of the guide must be marked: `<!-- test: run -->`
//! blocks run in order, concatenated into one bash script under
//! `set -euo pipefail` (a person types them into one terminal), so any
//! command that fails, `config check` and `--once` included, fails the
//! test; `<!-- test: skip (why) -->` blocks do not run. Every ```text block
//! marked `<!-- test: expect -->` must appear, line by line (`…` stands for
//! any text), in what the run block before it printed.
//!
//! The script gets `AGENT` (the agent binary under test), `STUB` (the
//! mcp-stub example), `WORK` (a fresh temp dir) and `PORT` (a free port);
//! the guide only defaults those it does not get. The stub is found where
//! `cargo test` builds examples before it runs any test
//! (`target/<profile>/examples/mcp-stub`, beside this test's `deps/`
//! directory); a missing or stale one fails with what to run. It runs in
//! the script's process group, which is killed when the script ends.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::child::output_within;
use support::mcp::closed_port;
use support::simhost::TempDir;

const GUIDE: &str = "docs/provisioning.md";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Run,
    Skip,
    Expect,
    Unmarked,
}

/// A fenced block: where it starts (1-based line of the fence), its
/// language, its mark (the last non-blank line before the fence) and text.
#[derive(Debug)]
struct Block {
    line: usize,
    lang: String,
    mark: Mark,
    text: String,
}

fn blocks(doc: &str) -> Vec<Block> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut out = Vec::new();
    let mut previous = "";
    let mut i = 0;
    while i < lines.len() {
        let Some(lang) = lines[i].strip_prefix("```") else {
            if !lines[i].trim().is_empty() {
                previous = lines[i].trim();
            }
            i += 1;
            continue;
        };
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].starts_with("```"))
            .unwrap_or_else(|| panic!("{GUIDE}:{}: unterminated fence", i + 1));
        let mark = match previous {
            "<!-- test: run -->" => Mark::Run,
            "<!-- test: expect -->" => Mark::Expect,
            p if p.starts_with("<!-- test: skip (") && p.ends_with(") -->") => Mark::Skip,
            _ => Mark::Unmarked,
        };
        out.push(Block { line: i + 1, lang: lang.trim().to_string(), mark, text: lines[i + 1..end].join("\n") });
        previous = "";
        i = end + 1;
    }
    out
}

/// The mcp-stub example as `cargo test` built it, or a clear failure.
fn stub_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap(); // target/<profile>/deps/provisioning_doc-<hash>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let stub = profile_dir.join("examples/mcp-stub");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mcp-stub.rs");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let hint = "`cargo test` builds the examples before it runs any test, but `cargo test --test \
                provisioning_doc` alone does not: run `cargo build --locked --offline --example mcp-stub` \
                (same profile and CARGO_TARGET_DIR) first, or the whole `cargo test`";
    match (modified(&stub), modified(&source)) {
        (None, _) => panic!("{} is missing. {hint}", stub.display()),
        (Some(built), Some(edited)) if built < edited => {
            panic!("{} is older than examples/mcp-stub.rs. {hint}", stub.display())
        }
        _ => stub,
    }
}

/// Does `line` match `pattern`, where `…` in the pattern stands for any
/// text?
fn matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    if parts.len() == 1 {
        return line.trim_end() == pattern.trim_end();
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || !line.trim_end().ends_with(last.trim_end()) {
        return false;
    }
    let mut rest = &line[first.len()..];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    rest.len() >= last.trim_end().len()
}

fn segment<'a>(output: &'a str, marker: &str) -> &'a str {
    let start = output.find(marker).map_or(output.len(), |at| at + marker.len());
    let rest = &output[start..];
    &rest[..rest.find("\n### block ").unwrap_or(rest.len())]
}

#[test]
fn the_provisioning_guide_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join(GUIDE)).unwrap();
    let all = blocks(&doc);
    for b in &all {
        let ok = match b.mark {
            Mark::Run | Mark::Skip => b.lang == "sh",
            Mark::Expect => b.lang == "text",
            Mark::Unmarked => b.lang != "sh",
        };
        assert!(
            ok,
            "{GUIDE}:{}: a ```sh block needs `<!-- test: run -->` or `<!-- test: skip (why) -->` before it, \
             and `<!-- test: expect -->` goes before a ```text block (found {:?} before ```{})",
            b.line, b.mark, b.lang
        );
    }

    // One script: the run blocks in order, each announced on both streams.
    let mut script = String::from(
        "set -euo pipefail\n\
         trap 'echo \"### failed (exit $?): $BASH_COMMAND\" >&2' ERR\n",
    );
    for b in all.iter().filter(|b| b.mark == Mark::Run) {
        let marker = format!("### block {GUIDE}:{}", b.line);
        script.push_str(&format!("echo '{marker}'; echo '{marker}' >&2\n{}\n", b.text));
    }
    let tmp = TempDir::new("provisioning");
    let work = tmp.path().join("work");
    let script_file = tmp.path().join("guide.sh");
    std::fs::write(&script_file, &script).unwrap();

    let started = Instant::now();
    let out = output_within(
        Command::new("bash")
            .arg("--noprofile")
            .arg("--norc")
            .arg(&script_file)
            .current_dir(root)
            .env("AGENT", env!("CARGO_BIN_EXE_compliance-agent"))
            .env("STUB", stub_binary())
            .env("WORK", &work)
            .env("PORT", closed_port().to_string())
            .env("HOME", tmp.path())
            .env("LC_ALL", "C"),
        Duration::from_secs(120),
    );
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let shown = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(out.status.success(), "the guide's script failed ({:?}):\n{shown}", out.status);
    eprintln!("{GUIDE}: walked in {elapsed:?}");

    // Each expected output came from the run block before it.
    let mut last_run = None;
    for b in &all {
        match b.mark {
            Mark::Run => last_run = Some(b.line),
            Mark::Expect => {
                let run =
                    last_run.unwrap_or_else(|| panic!("{GUIDE}:{}: expected output before any run block", b.line));
                let marker = format!("### block {GUIDE}:{run}");
                let printed: Vec<&str> =
                    segment(&stdout, &marker).lines().chain(segment(&stderr, &marker).lines()).collect();
                for want in b.text.lines() {
                    assert!(
                        printed.iter().any(|l| matches(want, l)),
                        "{GUIDE}:{}: the block at line {run} did not print {want:?}; it printed:\n{}",
                        b.line,
                        printed.join("\n")
                    );
                }
            }
            _ => {}
        }
    }

    // What the issue asks of the walk, whatever the expect blocks say.
    assert!(stdout.lines().any(|l| l == "configuration usable"), "config check did not pass:\n{shown}");
    let summary = stdout.lines().find(|l| l.contains("MCP reached")).unwrap_or_else(|| panic!("no summary:\n{shown}"));
    assert!(summary.contains(" delivered") && !summary.contains("queued"), "{summary}");
    let stub_log = std::fs::read_to_string(work.join("mcp/stub.log")).unwrap();
    for want in ["bundle seq=1 kind=order outcome=success", "bundle seq=2 kind=cycle outcome=success"] {
        assert!(stub_log.lines().any(|l| l.starts_with(want)), "the stub did not print {want:?}:\n{stub_log}");
    }

    // The baseline signature openssl made is one the agent accepts.
    let config = compliance_agent::config::Config::load(&work.join("appliance/config.json")).unwrap();
    let baseline = std::fs::read(work.join("appliance/firewall.nft")).unwrap();
    let sig = std::fs::read(work.join("appliance/firewall.nft.sig")).unwrap();
    assert_eq!(sig.len(), 64, "a raw Ed25519 signature");
    assert_eq!(
        compliance_agent::checks::firewall::verify_baseline(&baseline, &sig, &config.mcp.order_keys),
        Ok("msp-2026a".to_string())
    );
    compliance_agent::nftscript::parse(&String::from_utf8(baseline).unwrap()).unwrap();
}

#[test]
fn pattern_matching() {
    assert!(matches("FAIL seq 1 (…): bad", "FAIL seq 1 (abc): bad"));
    assert!(matches("a…b…c", "a-x-b-y-c"));
    assert!(!matches("a…b…c", "a-x-c"));
    assert!(!matches("ab…ba", "aba"));
    assert!(matches("exact", "exact"));
    assert!(!matches("exact", "exactly"));
}
