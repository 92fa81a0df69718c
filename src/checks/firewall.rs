//! firewall: `nft -s list ruleset` (stateless, so counters never cause
//! drift), tables in `ignore_tables` removed, hashed, and compared with the
//! hash of the signed baseline *as the kernel lists it after loading*.
//!
//! The baseline's Ed25519 signature (by one of `mcp.order_keys`) is verified
//! before it is trusted. Its kernel listing is obtained once per baseline in
//! a throw-away network namespace: `unshare --net -- <agent>
//! __nft-canonical …` loads it with `nft -f` and lists it with `nft -s list
//! ruleset` there (two commands, so the agent runs itself rather than a
//! shell), and the hash is cached in the store by the baseline's SHA-256.
//!
//! A baseline is loaded only after [`crate::nftscript`] accepted it (no
//! `include`, only ruleset-building statements), here and in the heal
//! engine; every `nft -f` run, and the `unshare` that wraps one, is marked
//! as fed untrusted input, so evidence keeps only a scrubbed reason of
//! what nft prints.

use super::{tool_failure, CheckName, CheckResult, Env};
use crate::config::{FirewallConfig, OrderKey};
use crate::encoding::{base64_decode, sha256_hex};
use crate::exec::Invocation;
use serde_json::{json, Map, Value};
use std::path::Path;
use std::time::Duration;

/// Largest baseline read.
pub const MAX_BASELINE_BYTES: u64 = 256 * 1024;

/// Splits an `nft list ruleset` listing into top-level tables:
/// `("inet filter", block text)`. Text outside tables is kept under "".
/// A table ends where its braces balance (counted as [`validate_listing`]
/// counts them), so a table opened and closed on one line cannot swallow
/// the tables after it.
pub fn tables(listing: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, String)> = None;
    let mut depth: i64 = 0;
    for line in listing.lines() {
        if current.is_none() {
            if let Some(rest) = line.strip_prefix("table ") {
                // `table inet x {` or, for owned tables, `table inet x { # progname y`.
                let name = rest.split('{').next().unwrap_or("").trim().to_string();
                current = Some((name, format!("{line}\n")));
                depth = brace_delta(line);
                if depth <= 0 {
                    out.extend(current.take());
                    depth = 0;
                }
                continue;
            }
            if !line.trim().is_empty() {
                out.push((String::new(), format!("{line}\n")));
            }
            continue;
        }
        if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
        depth += brace_delta(line);
        if depth <= 0 {
            out.extend(current.take());
            depth = 0;
        }
    }
    if let Some(t) = current {
        out.push(t);
    }
    out
}

/// Opening minus closing braces on one listing line, outside double-quoted
/// strings and before a `#` comment.
fn brace_delta(line: &str) -> i64 {
    let mut quoted = false;
    let mut delta = 0;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => break,
            '{' if !quoted => delta += 1,
            '}' if !quoted => delta -= 1,
            _ => {}
        }
    }
    delta
}

/// Checks that a listing is a sequence of complete `table … { … }` blocks
/// (an empty ruleset is fine): anything else is output we cannot judge.
pub fn validate_listing(listing: &str) -> Result<(), String> {
    if listing.contains('\0') {
        return Err("output contains NUL bytes".into());
    }
    // nft prints no control characters but tab and newline. A carriage
    // return would also split lines differently for `str::lines` than for
    // nft, so two different listings could filter to the same text.
    if let Some(c) = listing.chars().find(|&c| c.is_control() && c != '\n' && c != '\t') {
        return Err(format!("output contains the control character {}", c.escape_unicode()));
    }
    let mut depth: i64 = 0;
    for line in listing.lines() {
        if depth == 0 && !line.trim().is_empty() && !line.starts_with("table ") {
            return Err(format!("unexpected top-level line {}", crate::validate::quoted(line)));
        }
        depth += brace_delta(line);
        if depth < 0 {
            return Err("unbalanced braces".into());
        }
    }
    if depth != 0 {
        return Err("a table block is not closed (truncated output?)".into());
    }
    Ok(())
}

/// The listing without ignored tables, and its hash.
pub fn filtered(listing: &str, ignore: &[String]) -> (String, Vec<(String, String)>) {
    let kept: Vec<(String, String)> =
        tables(listing).into_iter().filter(|(name, _)| !ignore.iter().any(|i| i == name)).collect();
    let text: String = kept.iter().map(|(_, b)| b.as_str()).collect();
    (text, kept)
}

/// Verifies the baseline's detached signature (base64 or raw 64 bytes) with
/// any of `keys`; returns the key id that verified.
pub fn verify_baseline(baseline: &[u8], sig_file: &[u8], keys: &[OrderKey]) -> Result<String, String> {
    let sig = if sig_file.len() == 64 {
        sig_file.to_vec()
    } else {
        let text = std::str::from_utf8(sig_file).map_err(|_| "signature file is neither 64 raw bytes nor base64")?;
        base64_decode(text.trim()).map_err(|e| format!("signature file: {e}"))?
    };
    let sig = ed25519_compact::Signature::from_slice(&sig).map_err(|_| "signature is not 64 bytes".to_string())?;
    for k in keys {
        if let Ok(pk) = ed25519_compact::PublicKey::from_slice(&k.public_key) {
            if pk.verify(baseline, &sig).is_ok() {
                return Ok(k.keyid.clone());
            }
        }
    }
    Err("the baseline's signature does not verify with any configured order key".into())
}

/// State key caching the canonical listing hash of a baseline.
fn cache_key(baseline_sha: &str, ignore: &[String]) -> String {
    format!("firewall.canonical.{}", sha256_hex(format!("{baseline_sha}|{}", ignore.join(",")).as_bytes()))
}

/// The kernel listing of `baseline` loaded into a fresh network namespace.
fn canonical_listing(env: &Env<'_>, r: &mut CheckResult, baseline: &Path) -> Result<String, String> {
    let exe = std::fs::read_link("/proc/self/exe").map_err(|e| format!("cannot find the agent executable: {e}"))?;
    let our_netns = netns_id().unwrap_or_default();
    let nft = env.config.tools.path("nft").display().to_string();
    let base = baseline.display().to_string();
    let exe = exe.display().to_string();
    let args = [
        "--net",
        "--",
        exe.as_str(),
        "__nft-canonical",
        "--not-netns",
        our_netns.as_str(),
        nft.as_str(),
        base.as_str(),
    ];
    // Whatever the inner `nft -f` prints reaches this stderr; it is scrubbed
    // there already, and again here.
    let inv = Invocation::new(env.config.tools.path("unshare"), args, Duration::from_secs(20)).untrusted_input();
    let rec = env.run_invocation(r, &inv);
    if !rec.success() {
        return Err(format!("loading the baseline in a scratch network namespace failed: {}", tool_failure(&rec)));
    }
    Ok(rec.stdout_text())
}

/// This process's network namespace (`net:[4026531840]`).
pub fn netns_id() -> Option<String> {
    std::fs::read_link("/proc/self/ns/net").ok().map(|p| p.display().to_string())
}

/// State key of a baseline installed by an `update_firewall_baseline`
/// order: `<sha256> <order_id> <path>`.
pub const BASELINE_OVERRIDE: &str = "firewall.baseline_override";

/// The baseline in force and who vouches for it.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The file `nft -f` loads.
    pub path: std::path::PathBuf,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// `key:<keyid>` (the configured file's signature) or `order:<order_id>`.
    pub trusted_by: String,
}

fn read_capped(p: &Path, env: &Env<'_>) -> Result<Vec<u8>, String> {
    let follow = crate::fsutil::follow_for(p, &env.config.state_dir);
    crate::fsutil::read_capped(p, MAX_BASELINE_BYTES, follow).map_err(|e| format!("{}: {e}", p.display()))
}

/// The text of a baseline nft may load: UTF-8, and accepted by
/// [`crate::nftscript::parse`] (nothing that would make nft read a file or
/// do anything but build a ruleset). Signed or not, nothing else is loaded.
pub fn loadable(bytes: &[u8]) -> Result<&str, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the baseline is not UTF-8 text".to_string())?;
    crate::nftscript::parse(text).map_err(|r| format!("the baseline is refused: {r}"))?;
    Ok(text)
}

/// The baseline in force: one installed by a signed order (its bytes must
/// still hash to what the order stated), else the configured file, whose
/// detached signature must verify; either way only if [`loadable`] (else
/// the finding `baseline_refused`). Errors are `(finding, detail)`.
pub fn effective_baseline(cfg: &FirewallConfig, env: &Env<'_>) -> Result<Baseline, (&'static str, String)> {
    let b = trusted_baseline(cfg, env)?;
    match loadable(&b.bytes) {
        Ok(_) => Ok(b),
        Err(e) => Err(("baseline_refused", format!("{}: {e}", b.path.display()))),
    }
}

fn trusted_baseline(cfg: &FirewallConfig, env: &Env<'_>) -> Result<Baseline, (&'static str, String)> {
    // Read once (capped), used for both the override test and the baseline.
    let configured = read_capped(&cfg.baseline_file, env);
    let configured_sha = configured.as_ref().map(|b| sha256_hex(b)).unwrap_or_else(|_| "-".into());
    if let Some(over) = env.state.get(BASELINE_OVERRIDE).filter(|v| !v.is_empty()) {
        let mut parts = over.splitn(4, ' ');
        if let (Some(sha), Some(order), Some(recorded), Some(path)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        {
            if recorded != configured_sha {
                // The configured baseline changed since the order: it wins,
                // for good (a later rollback of the file does not bring the
                // order's baseline back).
                env.state.put(BASELINE_OVERRIDE, "");
                return configured_baseline(cfg, env, configured);
            }
            let bytes = read_capped(Path::new(path), env).map_err(|e| ("baseline_unreadable", e))?;
            if sha256_hex(&bytes) != sha {
                return Err((
                    "baseline_signature_invalid",
                    format!("{path} no longer hashes to {sha}, the hash order {order} stated"),
                ));
            }
            return Ok(Baseline { path: path.into(), bytes, trusted_by: format!("order:{order}") });
        }
    }
    configured_baseline(cfg, env, configured)
}

fn configured_baseline(
    cfg: &FirewallConfig,
    env: &Env<'_>,
    configured: Result<Vec<u8>, String>,
) -> Result<Baseline, (&'static str, String)> {
    let (bytes, sig) = match (configured, read_capped(&cfg.baseline_sig_file, env)) {
        (Ok(b), Ok(s)) => (b, s),
        (Err(e), _) | (_, Err(e)) => return Err(("baseline_unreadable", e)),
    };
    let keyid =
        verify_baseline(&bytes, &sig, &env.config.mcp.order_keys).map_err(|e| ("baseline_signature_invalid", e))?;
    Ok(Baseline { path: cfg.baseline_file.clone(), bytes, trusted_by: format!("key:{keyid}") })
}

/// Runs the check.
pub fn check(cfg: &FirewallConfig, env: &Env<'_>) -> CheckResult {
    let mut r = CheckResult::new(CheckName::Firewall);
    let Baseline { path: baseline_path, bytes: baseline, trusted_by: keyid } = match effective_baseline(cfg, env) {
        Ok(b) => b,
        Err((finding, detail)) => return r.error(finding, detail),
    };
    let baseline_sha = sha256_hex(&baseline);
    let key = cache_key(&baseline_sha, &cfg.ignore_tables);
    let expected_sha = match env.state.get(&key) {
        Some(h) => h,
        None => match canonical_listing(env, &mut r, &baseline_path) {
            Ok(listing) => {
                let (text, _) = filtered(&listing, &cfg.ignore_tables);
                let h = sha256_hex(text.as_bytes());
                env.state.put(&key, &h);
                h
            }
            Err(e) => return r.error("baseline_not_loadable", e),
        },
    };
    let rec = env.run(&mut r, "nft", &["-s", "list", "ruleset"]);
    if !rec.success() {
        let why = tool_failure(&rec);
        return r.error("tool_failed", format!("nft: {why}"));
    }
    let live = rec.stdout_text();
    if rec.stdout_dropped > 0 {
        return r
            .error("unparseable_output", "nft -s list ruleset: the listing is larger than the output cap".to_string());
    }
    if let Err(e) = validate_listing(&live) {
        return r.error("unparseable_output", format!("nft -s list ruleset: {e}"));
    }
    let (text, kept) = filtered(&live, &cfg.ignore_tables);
    let live_sha = sha256_hex(text.as_bytes());
    let per_table: Map<String, Value> = kept
        .iter()
        .filter(|(n, _)| !n.is_empty())
        .map(|(n, b)| (n.clone(), Value::String(sha256_hex(b.as_bytes()))))
        .collect();
    r.observed = json!({"ruleset_sha256": live_sha, "tables": per_table, "ignored_tables": cfg.ignore_tables});
    r.expected = json!({"ruleset_sha256": expected_sha, "baseline_sha256": baseline_sha, "baseline_signed_by": keyid});
    if live_sha != expected_sha {
        r.finding("ruleset_differs");
        r.detail =
            format!("the live ruleset (sha256 {live_sha}) is not the signed baseline as loaded ({expected_sha})");
    }
    r
}

/// `__nft-canonical`: run inside a fresh network namespace by [`check`];
/// loads the baseline and prints the kernel's stateless listing. Refuses to
/// run in the namespace the agent itself runs in, so it can never touch the
/// live firewall, and refuses a baseline that is not [`loadable`]. Its
/// stderr carries only short reasons (`Error: …`, nft's own output
/// scrubbed), never a line of the baseline or of a file nft read.
pub fn canonical_main(not_netns: &str, nft: &Path, baseline: &Path) -> i32 {
    let here = netns_id().unwrap_or_default();
    if here.is_empty() || here == not_netns {
        eprintln!("Error: __nft-canonical: refusing to run outside a fresh network namespace ({here})");
        return 2;
    }
    match crate::fsutil::read_capped(baseline, MAX_BASELINE_BYTES, crate::fsutil::Follow::Symlinks) {
        Ok(bytes) => {
            if let Err(e) = loadable(&bytes) {
                eprintln!("Error: {e}");
                return 1;
            }
        }
        Err(_) => {
            eprintln!("Error: cannot read the baseline");
            return 1;
        }
    }
    let runner = crate::exec::SystemRunner::new(crate::exec::NoHeartbeat);
    use crate::exec::Runner;
    let load = runner.run(
        &Invocation::new(nft, ["-f".to_string(), baseline.display().to_string()], Duration::from_secs(10))
            .untrusted_input(),
    );
    if !load.success() {
        eprintln!("Error: nft -f {}", tool_failure(&load));
        return 1;
    }
    let list = runner.run(&Invocation::new(nft, ["-s", "list", "ruleset"], Duration::from_secs(10)));
    if !list.success() {
        eprintln!("Error: nft list {}", tool_failure(&list));
        return 1;
    }
    crate::out!("{}", list.stdout_text());
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\ntable inet f2b-table {\n\tset addr-set-sshd {\n\t\ttype ipv4_addr\n\t\telements = { 192.0.2.1 }\n\t}\n}\n";

    #[test]
    fn splits_and_filters_tables() {
        let t = tables(LISTING);
        assert_eq!(t.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["inet filter", "inet f2b-table"]);
        let (text, kept) = filtered(LISTING, &["inet f2b-table".to_string()]);
        assert_eq!(kept.len(), 1);
        assert!(!text.contains("f2b"));
        assert!(text.ends_with("}\n"));
        // Changing only the ignored table does not change the filtered text.
        let changed = LISTING.replace("192.0.2.1", "198.51.100.7");
        assert_eq!(filtered(&changed, &["inet f2b-table".to_string()]).0, text);
        assert_ne!(filtered(&changed, &[]).0, filtered(LISTING, &[]).0);
    }

    #[test]
    fn unexpected_lines_are_shown_escaped() {
        // An invisible character in nft's output is shown, not dropped.
        let e = validate_listing("\u{200b}table inet filter {\n}\n").unwrap_err();
        assert_eq!(e, r#"unexpected top-level line "\u200btable inet filter {""#);
        // A terminal escape is refused before any line is shown.
        let e = validate_listing("\u{1b}[2Jtable inet filter {\n}\n").unwrap_err();
        assert_eq!(e, r"output contains the control character \u{1b}");
    }

    #[test]
    fn a_carriage_return_is_refused_so_filtering_is_one_reading() {
        // `str::lines` ends a line at "\r\n"; nft never prints "\r". Found by
        // the check_tools fuzz target: filtering was not idempotent.
        let listing = "table inet filter {\n\tchain input {\n\t}\r\r\n}\n";
        assert!(validate_listing(listing).unwrap_err().contains(r"\u{d}"));
        assert!(validate_listing(&listing.replace('\r', "")).is_ok());
    }

    #[test]
    fn baseline_signatures() {
        let key = crate::keys::SigningKey::from_seed([3; 32]);
        let keys = vec![OrderKey { keyid: "k".into(), public_key: *key.public() }];
        let sig = key.sign(b"rules");
        assert_eq!(verify_baseline(b"rules", &sig, &keys).unwrap(), "k");
        let b64 = crate::encoding::base64_encode(&sig) + "\n";
        assert!(verify_baseline(b"rules", b64.as_bytes(), &keys).is_ok());
        assert!(verify_baseline(b"rules!", &sig, &keys).is_err());
        assert!(verify_baseline(b"rules", b"garbage", &keys).is_err());
    }
}
