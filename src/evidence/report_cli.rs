//! The `evidence report` and `evidence export --format oscal-ar` commands
//! (docs/report.md): the keys, the verified read, the output file, what is
//! printed and the exit status. `main.rs` checks that the inputs exist and
//! dispatches here.
//!
//! Owns: turning a verified chain into the HTML page, the JSON or the OSCAL
//! file. Must never: write anything for a chain that does not verify
//! (exit 65, every problem on stderr), or print anything but the JSON on
//! stdout with `--json`.

use super::period::Period;
use super::report::{self, Report};
use super::verified::{self, Source};
use crate::clock::{Clock, SystemClock};
use crate::{outln, EXIT_DATAERR, EXIT_IOERR, EXIT_OK, EXIT_USAGE};
use std::path::{Path, PathBuf};

/// Builds the report of a verified chain, or refuses (65) one that does
/// not verify, printing every problem as `evidence verify` does.
fn build_report(
    src: &Source,
    pubkeys: &[PathBuf],
    period: Period,
    max_gap_secs: Option<u64>,
    what: &str,
) -> Result<Report, i32> {
    let mut keys = Vec::new();
    for pubkey in pubkeys {
        match crate::fsutil::read_text_capped(pubkey, 64 * 1024, crate::fsutil::Follow::Symlinks)
            .map_err(|e| e.to_string())
            .and_then(|t| crate::keys::parse_public_key_pem(&t))
        {
            Ok(k) => keys.push(k),
            Err(e) => {
                eprintln!("compliance-agent: {what}: {}: {e}", pubkey.display());
                return Err(EXIT_USAGE);
            }
        }
    }
    let max_gap_secs = max_gap_secs.unwrap_or(report::DEFAULT_MAX_GAP_SECS);
    let mut builder = report::Builder::new(report::Options {
        since_ms: period.since_ms,
        until_ms: period.until_ms,
        max_gap_ms: i64::try_from(max_gap_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
    });
    match verified::read(src, keys, |b| builder.push(&b)) {
        Ok(chain) => Ok(builder.finish(&chain, SystemClock.now_ms())),
        Err(verified::ReadError::NotVerified(problems)) => {
            for p in &problems {
                eprintln!("FAIL {p}");
            }
            eprintln!(
                "compliance-agent: {what}: refusing to report on {}: the chain does not verify ({} problems above)",
                src.describe(),
                problems.len()
            );
            Err(EXIT_DATAERR)
        }
        Err(verified::ReadError::Io(e)) => {
            eprintln!("compliance-agent: {what}: {e}");
            Err(EXIT_DATAERR)
        }
    }
}

/// `evidence report`: the exit status.
pub fn report(
    source: &Source,
    pubkeys: &[PathBuf],
    period: Period,
    max_gap_secs: Option<u64>,
    out: Option<&Path>,
    json: bool,
) -> i32 {
    let r = match build_report(source, pubkeys, period, max_gap_secs, "evidence report") {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Some(path) = out {
        let html = crate::evidence::report_html::render(&r);
        if let Err(e) = crate::fsutil::write_atomic(path, html.as_bytes(), 0o644) {
            eprintln!("compliance-agent: evidence report: {}: {e}", path.display());
            return EXIT_IOERR;
        }
    }
    if json {
        outln!("{}", r.to_json());
    } else if let Some(path) = out {
        outln!(
            "wrote {}: {} bundles from {} to {} (chain seq {}..={} verified, key {})",
            path.display(),
            r.period.bundles,
            r.period.since,
            r.period.until,
            r.built_from.seq_first,
            r.built_from.seq_last,
            r.built_from.key_fingerprint
        );
    }
    EXIT_OK
}

/// `evidence export --format oscal-ar`: the exit status.
pub fn oscal(source: &Source, pubkeys: &[PathBuf], period: Period, max_gap_secs: Option<u64>, out: &Path) -> i32 {
    let r = match build_report(source, pubkeys, period, max_gap_secs, "evidence export") {
        Ok(r) => r,
        Err(code) => return code,
    };
    let doc = crate::evidence::oscal::document(&r);
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
    if let Err(e) = crate::fsutil::write_atomic(out, text.as_bytes(), 0o644) {
        eprintln!("compliance-agent: evidence export: {}: {e}", out.display());
        return EXIT_IOERR;
    }
    outln!(
        "wrote {}: OSCAL assessment results, {} bundles from {} to {} (chain seq {}..={} verified, key {})",
        out.display(),
        r.period.bundles,
        r.period.since,
        r.period.until,
        r.built_from.seq_first,
        r.built_from.seq_last,
        r.built_from.key_fingerprint
    );
    EXIT_OK
}
