//! Fuzzing entry points: one function per boundary where bytes from outside
//! enter the agent, called by the cargo-fuzz targets in `fuzz/fuzz_targets/`
//! (one target each, same name) and by `tests/fuzz_smoke.rs` (seeds and
//! committed crash inputs, on every test run).
//!
//! Each calls the code the agent runs on that input, unchanged, and asserts
//! the invariants that hold there (a panic is what the fuzzer reports):
//! - a verified order's action re-validates from its own parameters;
//! - a check never judges `compliant` from output its own parser refuses or
//!   from a command that failed;
//! - `evidence verify` never passes a chain unless it checked every bundle
//!   present;
//! - a receipt counts only if its signature verifies over its encoding;
//! - the nft filter never accepts control characters or an `include`.
//!
//! Must never: be called by the agent itself. Nothing here changes how the
//! agent behaves; temporary files go under `$TMPDIR`.
// A harness: a panic is how a broken invariant or harness setup is reported.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::checks::{self, CheckName, CheckResult, Env, NoState, Verdict};
use crate::clock::Clock;
use crate::config::{Config, ReceiptKey};
use crate::exec::{CommandRecord, Exit, Invocation, Runner};
use crate::keys::SigningKey;
use crate::orders::{verify, Policy};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// Separates the parts of an input that carries several files or several
/// tool outputs (seeds use it; the fuzzer learns it from them).
pub const SEP: &[u8] = b"\n\x00--\x00\n";

/// "Now" for every entry point: 2026-11-25T12:00:00Z (the day the recorded
/// tool outputs in tests/fixtures/checks were captured).
pub const NOW_MS: i64 = 1_764_072_000_000;

/// The key the fuzz harness signs with (orders, receipts, bundles).
pub fn key() -> SigningKey {
    SigningKey::from_seed([0x42; 32])
}

/// Splits `data` at every [`SEP`].
pub fn parts(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(SEP.len()).position(|w| w == SEP) {
        out.push(&rest[..i]);
        rest = &rest[i + SEP.len()..];
    }
    out.push(rest);
    out
}

/// Joins parts with [`SEP`] (for seeds).
pub fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(SEP)
}

/// Verifies one envelope the way intake does and checks that an accepted
/// order's action re-validates ([`crate::orders::assert_revalidates`]).
pub fn verify_envelope(envelope: &[u8], now: i64) {
    let policy = crate::orders::fuzz_policy(&key());
    if let verify::Verdict::Accepted(order) = verify(envelope, &policy, now) {
        crate::orders::assert_revalidates(&order, &policy);
    }
}

/// Target `orders_reply`: a whole `GET /api/v1/orders` body, split as the
/// agent splits it, then every envelope verified.
pub fn orders_reply(data: &[u8]) {
    if let Ok(list) = crate::mcp::parse_orders(data) {
        assert!(list.len() <= crate::mcp::MAX_ENVELOPES);
        for envelope in list {
            verify_envelope(&envelope, NOW_MS / 1000);
        }
    }
}

/// Target `receipts`: a `POST /api/v1/evidence` reply. Mode byte: even, the
/// reply as received; odd, each receipt in it re-signed with the receipt
/// key first (so the checks after the signature are reached).
pub fn receipts(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else { return };
    let Ok(mut list) = crate::mcp::parse_receipts(body) else { return };
    let k = key();
    let check = crate::evidence::receipts::ReceiptCheck {
        keys: vec![ReceiptKey { keyid: "r1".into(), public_key: *k.public() }],
        site_id: "clinic-042".into(),
        appliance_id: "appl-01".into(),
    };
    for r in &mut list {
        if mode % 2 == 1 {
            r.keyid = Some("r1".into());
            r.signature = Some(crate::evidence::receipts::sign(
                &check.site_id,
                &check.appliance_id,
                &r.bundle_id,
                &r.sha256,
                &r.received_at,
                &k,
            ));
        }
        if check.verify(r).is_ok() {
            // Independently: signed by r1, over this receipt's encoding.
            assert_eq!(r.keyid.as_deref(), Some("r1"));
            let sig = r.signature.as_deref().and_then(|s| crate::encoding::base64_decode(s).ok());
            let sig = sig.and_then(|s| ed25519_compact::Signature::from_slice(&s).ok()).expect("counted unsigned");
            let msg = crate::evidence::receipts::encoding(
                &check.site_id,
                &check.appliance_id,
                &r.bundle_id,
                &r.sha256,
                &r.received_at,
            );
            assert!(k.public().verify(&msg, &sig).is_ok(), "counted a receipt whose signature does not verify");
        }
    }
}

/// Target `config`: a configuration file's text (as `Config::load` reads
/// it after the byte cap).
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(c) = Config::parse(text, Path::new("/etc/compliance-agent/config.json")) {
        // What the agent derives from a valid configuration at start.
        let _ = Policy::from_config(&c);
        let _ = checks::enabled(&c);
    }
}

struct FixedClock;

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        NOW_MS
    }
}

/// Answers each invocation with the next scripted part: its first byte is
/// the exit status (255: could not be started), the rest its stdout.
struct Scripted<'a> {
    parts: RefCell<std::vec::IntoIter<&'a [u8]>>,
}

impl Runner for Scripted<'_> {
    fn run(&self, inv: &Invocation) -> CommandRecord {
        let part = self.parts.borrow_mut().next().unwrap_or(b"\x00");
        let (code, stdout) = part.split_first().map_or((0, &[][..]), |(c, s)| (*c, s));
        let exit = match code {
            255 => Exit::SpawnFailed { error: "No such file or directory (os error 2)".into() },
            254 => Exit::TimedOut,
            c => Exit::Code { code: i32::from(c) },
        };
        let cap = crate::exec::OUTPUT_CAP;
        let kept = &stdout[..stdout.len().min(cap)];
        CommandRecord {
            argv: inv.argv(),
            exit,
            duration_ms: 1,
            stdout: kept.to_vec(),
            stdout_dropped: (stdout.len() - kept.len()) as u64,
            stderr_tail: String::new(),
            stderr: Vec::new(),
        }
    }
}

/// The configuration the check targets run under (examples/config-direct.json,
/// with `edit` applied).
fn check_config(edit: impl FnOnce(&mut Value)) -> Config {
    let mut v: Value = serde_json::from_str(include_str!("../examples/config-direct.json")).expect("example config");
    edit(&mut v);
    Config::parse(&v.to_string(), Path::new("/fuzz/config.json")).expect("fuzz config")
}

/// A compliant verdict may only rest on commands that succeeded and whose
/// output the check's own parser accepts.
fn assert_compliance_earned(r: &CheckResult, units: usize) {
    if r.verdict != Verdict::Compliant {
        return;
    }
    if r.check == CheckName::Encryption {
        // Compliant only when every volume's backing device proved LUKS.
        let volumes = r.observed["volumes"].as_object().map(|m| m.values().collect::<Vec<_>>()).unwrap_or_default();
        assert!(!volumes.is_empty(), "encryption compliant with no volume observed");
        for v in volumes {
            assert_eq!(v["luks"], Value::Bool(true), "encryption compliant without LUKS proven: {v}");
        }
    }
    for rec in &r.commands {
        if rec.argv.get(1).is_some_and(|a| a == "luksDump") {
            // Reported, not judged: a dump that failed or does not parse
            // must say so in the evidence instead of vanishing.
            let volumes = r.observed["volumes"].as_object().into_iter().flat_map(|m| m.values());
            let unlocks: Vec<&Value> = volumes.map(|v| &v["unlock"]).collect();
            assert!(
                unlocks.iter().all(|u| u.get("error").is_some() || u.get("keyslots").is_some()),
                "{:?}: an unlock report missing: {unlocks:?}",
                r.check
            );
            if !rec.success() {
                assert!(
                    unlocks.iter().any(|u| u.get("error").is_some()),
                    "{:?}: luksDump failed ({}) and evidence does not say so",
                    r.check,
                    rec.summary()
                );
            }
            continue;
        }
        assert!(rec.success(), "{:?} judged compliant after {}", r.check, rec.summary());
        let tool = rec.argv.first().map(|p| p.rsplit('/').next().unwrap_or(p)).unwrap_or("");
        let text = rec.stdout_text();
        let sub = rec.argv.get(1).map(String::as_str).unwrap_or("");
        let parsed = match (tool, sub) {
            ("nixos-version", _) => checks::patching::parse(&text).map(|_| ()),
            ("systemctl", _) => checks::services::parse(&text, units).map(|s| {
                assert!(s.iter().all(|s| s == "active"), "compliant with units {s:?}");
            }),
            ("lsblk", _) => checks::encryption::crypt_devices(&text).map(|_| ()),
            ("cryptsetup", "status") => checks::encryption::parse_status(&text).map(|_| ()),
            ("restic", _) => checks::backups::parse_restic_for(&text, Some("appl-01"))
                .and_then(|t| t.map(|_| ()).ok_or_else(|| "no snapshot".to_string())),
            _ => Ok(()),
        };
        if let Err(e) = parsed {
            panic!("{:?} judged compliant from output its parser refuses: {e}", r.check);
        }
    }
}

/// Target `check_tools`: the output of the tools a check runs. The first
/// byte picks the check; the rest is one [`SEP`]-separated part per
/// command (see `Scripted`). Patching, services, encryption and backups
/// (restic) run whole, as `checks::run` does; the firewall listing and the
/// journal go through the functions their checks call on them (the whole
/// firewall check needs a signed baseline and a network namespace, the
/// logging check waits for its canary).
pub fn check_tools(data: &[u8]) {
    thread_local! {
        static CONFIG: Config = check_config(|_| {});
    }
    let Some((&mode, rest)) = data.split_first() else { return };
    let parts = parts(rest);
    match mode % 6 {
        0..=3 => CONFIG.with(|config| {
            let check = [CheckName::Patching, CheckName::Services, CheckName::Encryption, CheckName::Backups]
                [usize::from(mode % 6)];
            let runner = Scripted { parts: RefCell::new(parts.into_iter()) };
            let env = Env { config, runner: &runner, clock: &FixedClock, state: &NoState };
            let r = checks::run(check, &env);
            let units = config.checks.services.as_ref().map_or(0, |s| s.units.len());
            assert_compliance_earned(&r, if check == CheckName::Services { units } else { 1 });
        }),
        4 => {
            let listing = String::from_utf8_lossy(parts[0]);
            if checks::firewall::validate_listing(&listing).is_ok() {
                let ignore = vec!["inet f2b-table".to_string()];
                let (text, kept) = checks::firewall::filtered(&listing, &ignore);
                assert!(kept.iter().all(|(n, _)| !ignore.contains(n)), "an ignored table was kept");
                // Every table that starts at the top level (as the validator
                // counts braces) is a table of its own: none hides in another.
                assert_eq!(
                    checks::firewall::tables(&listing).len(),
                    top_level_tables(&listing),
                    "a table hides inside another"
                );
                // Filtering is idempotent: the filtered listing filters to itself.
                assert_eq!(checks::firewall::filtered(&text, &ignore).0, text);
            }
        }
        _ => {
            let _ = checks::services::parse(&String::from_utf8_lossy(parts[0]), 1);
            if let Some(journal) = parts.get(1) {
                let _ = checks::logging::canaries(journal);
            }
        }
    }
}

/// Lines starting `table ` at brace depth 0, braces counted outside
/// double quotes and before `#` (an oracle independent of `tables`).
fn top_level_tables(listing: &str) -> usize {
    let mut depth = 0i64;
    let mut n = 0;
    for line in listing.lines() {
        if depth == 0 && line.starts_with("table ") {
            n += 1;
        }
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                '#' if !quoted => break,
                '{' if !quoted => depth += 1,
                '}' if !quoted => depth -= 1,
                _ => {}
            }
        }
    }
    n
}

/// This thread's scratch directory.
fn scratch_path() -> PathBuf {
    let thread = format!("{:?}", std::thread::current().id()).replace(|c: char| !c.is_ascii_digit(), "");
    std::env::temp_dir().join(format!("compliance-agent-fuzz-{}-{thread}", std::process::id()))
}

/// Removes this thread's scratch directory: callers that run targets in
/// a long-lived process (the smoke test) call it when done.
pub fn remove_scratch() {
    let _ = std::fs::remove_dir_all(scratch_path());
}

/// A scratch directory for this thread, emptied on every call.
fn scratch() -> PathBuf {
    let dir = scratch_path();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Target `backup_status`: the backup status file (part 0) and the manifest
/// it names (part 1), through the whole backups check. `@MANIFEST@` in the
/// status file stands for the manifest's path in the scratch directory;
/// other manifest paths are only parsed (the harness does not hash files
/// it did not write).
pub fn backup_status(data: &[u8]) {
    let dir = scratch();
    let status_file = dir.join("last-success.json");
    let manifest = dir.join("manifest.txt");
    let parts = parts(data);
    let text = String::from_utf8_lossy(parts[0]).replace("@MANIFEST@", &manifest.display().to_string());
    let parsed = checks::backups::parse_status(&text);
    if parsed.as_ref().is_ok_and(|s| s.manifest != manifest.display().to_string()) {
        return;
    }
    std::fs::write(&status_file, text.as_bytes()).expect("status file");
    if let Some(m) = parts.get(1) {
        std::fs::write(&manifest, m).expect("manifest");
    }
    let config = check_config(|v| {
        let b = &mut v["checks"]["backups"];
        b.as_object_mut().map(|o| o.remove("restic"));
        b["status_file"] = json!(status_file.display().to_string());
    });
    let runner = Scripted { parts: RefCell::new(Vec::new().into_iter()) };
    let env = Env { config: &config, runner: &runner, clock: &FixedClock, state: &NoState };
    let r = checks::run(CheckName::Backups, &env);
    if r.verdict == Verdict::Compliant {
        let s = parsed.expect("compliant from a status file its parser refuses");
        let sum = crate::encoding::sha256_hex(parts.get(1).copied().unwrap_or_default());
        assert_eq!(s.checksum, sum, "compliant with a manifest that does not hash to the checksum");
    }
}

/// Target `evidence_dir`: an export directory. Part 0 is
/// `export.manifest` (left out when empty), every further part one bundle,
/// named `<seq>-<bundle_id>.json` from its own `seq` and `bundle_id`
/// (else its position and `x`). Mode byte: even, every file is signed
/// with the evidence key (so the chain checks after the signatures run);
/// odd, no file is signed.
pub fn evidence_dir(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let dir = scratch();
    let k = key();
    let parts = parts(rest);
    let sign = mode % 2 == 0;
    if !parts[0].is_empty() {
        std::fs::write(dir.join(crate::evidence::export::MANIFEST_FILE), parts[0]).expect("manifest");
        if sign {
            std::fs::write(dir.join(format!("{}.sig", crate::evidence::export::MANIFEST_FILE)), k.sign(parts[0]))
                .expect("manifest sig");
        }
    }
    let mut written = 0u64;
    for (i, b) in parts.iter().enumerate().skip(1) {
        let v: Value = serde_json::from_slice(b).unwrap_or(Value::Null);
        let seq = v["seq"].as_u64().unwrap_or(i as u64);
        let id = v["bundle_id"].as_str().filter(|s| !s.is_empty() && !s.contains('/')).unwrap_or("x");
        let name = crate::evidence::export::bundle_file_name(seq, id);
        let path = dir.join(&name);
        if name.len() > 200 || path.exists() {
            continue;
        }
        std::fs::write(&path, b).expect("bundle");
        if sign {
            std::fs::write(dir.join(format!("{name}.sig")), k.sign(b)).expect("bundle sig");
        }
        written += 1;
    }
    let Ok(v) = crate::evidence::verify::verify_dir(&dir, k.public()) else { return };
    if v.ok() {
        assert_eq!(v.checked, written, "verify passed a directory without checking every bundle in it");
        assert!(sign, "verify passed unsigned bundles");
    }
}

/// Target `evidence_db`: the bytes of an agent database file, verified as
/// `evidence verify --db` does.
pub fn evidence_db(data: &[u8]) {
    let dir = scratch();
    let db = dir.join("agent.db");
    std::fs::write(&db, data).expect("db");
    let k = key();
    let Ok(v) = crate::evidence::verify::verify_db(&db, k.public()) else { return };
    if v.ok() {
        // Count the rows independently: every one must have been checked.
        let store = crate::store::Store::open_read_only(&db).expect("opened once already");
        let mut rows = 0u64;
        crate::evidence::verify::each_bundle(&store, |_| {
            rows += 1;
            Ok(())
        })
        .expect("read once already");
        assert_eq!(v.checked, rows, "verify passed a database without checking every bundle in it");
    }
}

/// Target `nft_filter`: the ruleset of an `update_firewall_baseline`
/// order, through the filter and through the swap script the heal writes
/// (part 0: the ruleset, part 1: the live listing whose tables it deletes).
pub fn nft_filter(data: &[u8]) {
    let parts = parts(data);
    let Ok(rules) = std::str::from_utf8(parts[0]) else { return };
    let live = parts.get(1).map(|l| String::from_utf8_lossy(l).into_owned()).unwrap_or_default();
    for script in [rules.to_string(), crate::heal::swap_script(&live, rules, &["inet f2b-table".into()])] {
        if let Ok(statements) = crate::nftscript::parse(&script) {
            assert!(
                !script.bytes().any(|b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')),
                "accepted a control character"
            );
            for s in statements {
                assert!(crate::nftscript::COMMANDS.contains(&s.command), "accepted command {:?}", s.command);
                let first = s.text.split_whitespace().next().unwrap_or("");
                assert_ne!(first, "include", "accepted an include");
            }
        }
    }
}
