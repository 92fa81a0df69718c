//! backups: the backup job's status file `{timestamp, checksum, manifest}`
//! (the manifest's SHA-256 is recomputed), or a restic repository directly
//! (`restic snapshots --json --latest 1`: the newest snapshot's time is the
//! backup's time). Drift when the status is missing or unreadable, older
//! than `max_age_hours`, dated in the future, or the checksum does not match.

use super::{tool_failure, CheckName, CheckResult, Env};
use crate::config::BackupsConfig;
use crate::fsutil::Follow;
use serde_json::{json, Value};
use std::path::Path;

/// Largest status file read.
const MAX_STATUS_BYTES: u64 = 64 * 1024;
/// Largest manifest hashed.
const MAX_MANIFEST_BYTES: u64 = 1 << 30;
/// A backup dated more than this in the future is not trusted.
const FUTURE_SKEW_MS: i64 = 300_000;

/// The status file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// When the backup finished, Unix ms.
    pub timestamp_ms: i64,
    /// Expected hex SHA-256 of the manifest.
    pub checksum: String,
    /// The manifest file.
    pub manifest: String,
}

/// Parses the status file. `timestamp` is Unix seconds or RFC 3339;
/// `checksum` is hex SHA-256, optionally prefixed `sha256:`.
pub fn parse_status(text: &str) -> Result<Status, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let timestamp_ms = match v.get("timestamp") {
        Some(Value::Number(n)) => {
            n.as_i64().and_then(|s| s.checked_mul(1000)).ok_or("timestamp is not whole seconds")?
        }
        Some(Value::String(s)) => crate::clock::parse_rfc3339(s).ok_or("timestamp is not RFC 3339")?,
        _ => return Err("no timestamp".into()),
    };
    let checksum = v.get("checksum").and_then(Value::as_str).ok_or("no checksum")?;
    let checksum = checksum.strip_prefix("sha256:").unwrap_or(checksum).to_ascii_lowercase();
    if checksum.len() != 64 || !checksum.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("checksum is not a hex SHA-256".into());
    }
    let manifest = v.get("manifest").and_then(Value::as_str).ok_or("no manifest")?.to_string();
    if !manifest.starts_with('/') {
        return Err("manifest is not an absolute path".into());
    }
    Ok(Status { timestamp_ms, checksum, manifest })
}

/// The newest snapshot time in `restic snapshots --json` output, Unix ms
/// (snapshots of every host).
pub fn parse_restic(stdout: &str) -> Result<Option<i64>, String> {
    parse_restic_for(stdout, None)
}

/// [`parse_restic`], counting only snapshots whose `hostname` is `host`.
pub fn parse_restic_for(stdout: &str, host: Option<&str>) -> Result<Option<i64>, String> {
    let v: Value = serde_json::from_str(stdout.trim()).map_err(|e| format!("not JSON: {e}"))?;
    let list = v.as_array().ok_or("not a JSON array")?;
    let mut newest = None;
    for s in list {
        // Every element must be a snapshot (a `--group-by` reply is not),
        // whichever host made it.
        let t = s.get("time").and_then(Value::as_str).ok_or("snapshot without time")?;
        if let Some(h) = host {
            if s.get("hostname").and_then(Value::as_str) != Some(h) {
                continue;
            }
        }
        let ms = crate::clock::parse_rfc3339(t)
            .ok_or_else(|| format!("snapshot time {} is not RFC 3339", crate::validate::quoted(t)))?;
        newest = Some(newest.map_or(ms, |n: i64| n.max(ms)));
    }
    Ok(newest)
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    // Only a regular file, read through a cap: a FIFO or /dev/zero named as
    // the manifest must not hang the agent or grow its memory.
    crate::fsutil::sha256_file(path, MAX_MANIFEST_BYTES, Follow::Symlinks)
}

/// Age findings for a backup finished at `at_ms`.
pub fn judge_age(r: &mut CheckResult, at_ms: i64, now_ms: i64, max_age_hours: u64) {
    let age_ms = now_ms - at_ms;
    if at_ms > now_ms + FUTURE_SKEW_MS {
        r.finding("backup_future_dated");
    } else if age_ms > i64::try_from(max_age_hours.saturating_mul(3_600_000)).unwrap_or(i64::MAX) {
        r.finding("backup_too_old");
    }
}

/// Runs the check.
pub fn check(cfg: &BackupsConfig, env: &Env<'_>) -> CheckResult {
    let mut r = CheckResult::new(CheckName::Backups);
    let now_ms = env.clock.now_ms();
    r.expected = json!({"max_age_hours": cfg.max_age_hours, "checksum": "matches manifest"});
    if let Some(restic) = &cfg.restic {
        let password = restic.password_file.display().to_string();
        let host = restic.host.clone().or_else(|| {
            crate::fsutil::read_text_capped(Path::new("/proc/sys/kernel/hostname"), 256, Follow::Symlinks)
                .ok()
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
        });
        let mut args = vec!["snapshots", "--json", "--latest", "1", "--no-cache", "--no-lock"];
        if let Some(h) = host.as_deref() {
            args.extend_from_slice(&["--host", h]);
        }
        args.extend_from_slice(&["--repo", &restic.repository, "--password-file", &password]);
        let rec = env.run(&mut r, "restic", &args);
        if !rec.success() {
            let why = tool_failure(&rec);
            return r.error("tool_failed", format!("restic snapshots: {why}"));
        }
        match parse_restic_for(&rec.stdout_text(), host.as_deref()) {
            Err(e) => return r.error("unparseable_output", format!("restic snapshots: {e}")),
            Ok(None) => {
                r.observed = json!({"source": "restic", "latest_snapshot": null});
                r.finding("no_backup");
                r.detail = "the restic repository has no snapshot".into();
            }
            Ok(Some(at)) => {
                r.observed = json!({"source": "restic", "latest_snapshot": crate::clock::rfc3339_ms(at), "age_hours": (now_ms - at) / 3_600_000});
                judge_age(&mut r, at, now_ms, cfg.max_age_hours);
            }
        }
        return r;
    }
    let path = &cfg.status_file;
    let text = match crate::fsutil::read_text_capped(path, MAX_STATUS_BYTES, Follow::Symlinks) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            r.observed = json!({"source": "status_file", "status_file": path.display().to_string(), "exists": false});
            r.finding("status_missing");
            r.detail = format!("{} does not exist: no backup has reported success", path.display());
            return r;
        }
        other => other.map_err(|e| e.to_string()),
    };
    let status = match text.and_then(|t| parse_status(&t)) {
        Ok(s) => s,
        Err(e) => {
            r.observed = json!({"source": "status_file", "status_file": path.display().to_string(), "error": e});
            r.finding("status_unreadable");
            r.detail = format!("{}: {e}", path.display());
            return r;
        }
    };
    let actual = sha256_file(Path::new(&status.manifest));
    r.observed = json!({
        "source": "status_file",
        "timestamp": crate::clock::rfc3339_ms(status.timestamp_ms),
        "age_hours": (now_ms - status.timestamp_ms) / 3_600_000,
        "manifest": status.manifest,
        "manifest_sha256": actual.as_ref().ok(),
    });
    judge_age(&mut r, status.timestamp_ms, now_ms, cfg.max_age_hours);
    match actual {
        Err(e) => {
            r.finding("manifest_missing");
            r.detail = format!("manifest {}: {e}", status.manifest);
        }
        Ok(sum) if sum != status.checksum => {
            r.finding("checksum_mismatch");
            r.detail =
                format!("manifest {} hashes to {sum}, the status file says {}", status.manifest, status.checksum);
        }
        Ok(_) => {}
    }
    r
}
