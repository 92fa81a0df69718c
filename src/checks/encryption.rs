//! encryption: each configured volume is active as a `crypt` device
//! (`lsblk --json`, confirmed by `cryptsetup status`), its backing device
//! is LUKS (`cryptsetup isLuks`), and how it is unlocked is reported from
//! `cryptsetup luksDump` (passphrase keyslots, TPM2 or other tokens): under
//! HHS guidance encrypted data counts as secured only when its key is kept
//! apart from it. Never healed: drift is an alert for a human.

use super::{tool_failure, CheckName, CheckResult, Env};
use crate::config::EncryptionConfig;
use crate::exec::Exit;
use serde_json::{json, Map, Value};

/// `crypt` device names in `lsblk --json` output (searched recursively).
pub fn crypt_devices(stdout: &str) -> Result<Vec<String>, String> {
    let v: Value = serde_json::from_str(stdout.trim()).map_err(|e| format!("not JSON: {e}"))?;
    let list = v.get("blockdevices").and_then(Value::as_array).ok_or("no blockdevices array")?;
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = list.iter().collect();
    let mut seen = 0usize;
    while let Some(d) = stack.pop() {
        seen += 1;
        if seen > 10_000 {
            return Err("too many block devices".into());
        }
        if d.get("type").and_then(Value::as_str) == Some("crypt") {
            if let Some(name) = d.get("name").and_then(Value::as_str) {
                out.push(name.trim_start_matches("/dev/mapper/").to_string());
            }
        }
        if let Some(children) = d.get("children").and_then(Value::as_array) {
            stack.extend(children.iter());
        }
    }
    Ok(out)
}

/// What `cryptsetup status NAME` says: active?, type, backing device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The mapping is active.
    pub active: bool,
    /// `LUKS2`, `LUKS1`, `PLAIN` …
    pub kind: Option<String>,
    /// The backing device, e.g. `/dev/vda2`.
    pub device: Option<String>,
    /// The cipher, e.g. `aes-xts-plain64` (`cipher_null-ecb` encrypts nothing).
    pub cipher: Option<String>,
}

/// Parses `cryptsetup status` output.
pub fn parse_status(stdout: &str) -> Result<Status, String> {
    let first = stdout.lines().next().ok_or("empty output")?;
    let active = if first.contains(" is active") {
        true
    } else if first.contains(" is inactive") {
        false
    } else {
        return Err(format!("unexpected first line {}", crate::validate::quoted(first)));
    };
    let field = |name: &str| {
        stdout.lines().find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim_start_matches(':').trim().to_string()))
    };
    Ok(Status { active, kind: field("type:"), device: field("device:"), cipher: field("cipher:") })
}

/// How a LUKS volume can be unlocked, from `cryptsetup luksDump`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unlock {
    /// Keyslot numbers.
    pub keyslots: Vec<String>,
    /// Token types (`systemd-tpm2`, `systemd-fido2`, …).
    pub tokens: Vec<String>,
}

/// Parses the Keyslots and Tokens sections of a LUKS2 dump (LUKS1 dumps
/// list `Key Slot N: ENABLED`).
pub fn parse_dump(stdout: &str) -> Unlock {
    let mut u = Unlock::default();
    let mut section = "";
    for line in stdout.lines() {
        if !line.starts_with([' ', '\t']) {
            section = line.trim_end_matches(':').trim();
            if let Some(rest) = line.strip_prefix("Key Slot ") {
                if let Some((n, state)) = rest.split_once(':') {
                    if state.trim() == "ENABLED" {
                        u.keyslots.push(n.trim().to_string());
                    }
                }
            }
            continue;
        }
        let t = line.trim();
        let Some((n, kind)) = t.split_once(':') else { continue };
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || !line.starts_with("  ") || line.starts_with("   ")
        {
            continue;
        }
        match section {
            "Keyslots" => u.keyslots.push(n.to_string()),
            "Tokens" => u.tokens.push(kind.trim().to_string()),
            _ => {}
        }
    }
    u
}

/// Runs the check.
pub fn check(cfg: &EncryptionConfig, env: &Env<'_>) -> CheckResult {
    let mut r = CheckResult::new(CheckName::Encryption);
    r.healable = false;
    r.expected = json!({"volumes": cfg.volumes, "state": "active crypt (LUKS)"});
    let rec = env.run(&mut r, "lsblk", &["--json", "--output", "NAME,TYPE,FSTYPE,MOUNTPOINT"]);
    if !rec.success() {
        let why = tool_failure(&rec);
        return r.error("tool_failed", format!("lsblk: {why}"));
    }
    let crypt = match crypt_devices(&rec.stdout_text()) {
        Ok(c) => c,
        Err(e) => return r.error("unparseable_output", format!("lsblk --json: {e}")),
    };
    let mut observed = Map::new();
    let mut problems = Vec::new();
    for vol in &cfg.volumes {
        let in_lsblk = crypt.iter().any(|c| c == vol);
        let rec = env.run(&mut r, "cryptsetup", &["status", vol]);
        let status = match rec.exit {
            // 0 active, 4 inactive; both print the status text.
            Exit::Code { code: code @ (0 | 4) } => match parse_status(&rec.stdout_text()) {
                // cryptsetup exits 0 exactly when the mapping is active.
                Ok(s) if s.active == (code == 0) => s,
                Ok(s) => {
                    let said = if s.active { "active" } else { "inactive" };
                    return r.error(
                        "unparseable_output",
                        format!("cryptsetup status {vol}: exit {code} contradicts its output ({said})"),
                    );
                }
                Err(e) => return r.error("unparseable_output", format!("cryptsetup status {vol}: {e}")),
            },
            _ => {
                let why = tool_failure(&rec);
                return r.error("tool_failed", format!("cryptsetup status {vol}: {why}"));
            }
        };
        let mut entry =
            json!({"lsblk_crypt": in_lsblk, "active": status.active, "type": status.kind, "device": status.device});
        if !(in_lsblk && status.active) {
            problems.push(format!("{vol} is not active as a crypt device"));
            r.finding("volume_not_active");
        }
        entry["cipher"] = json!(status.cipher);
        if status.active && status.cipher.as_deref().is_some_and(|c| c.starts_with("cipher_null")) {
            problems.push(format!("{vol} uses the null cipher: the data is not encrypted"));
            r.finding("null_cipher");
        }
        if status.active && in_lsblk && !status.device.as_deref().is_some_and(|d| d.starts_with('/')) {
            // Looks compliant, but the backing device cannot be checked.
            let why = match status.device.as_deref() {
                None => "no device line".to_string(),
                Some(d) => format!("device {} is not a path", crate::validate::quoted(d)),
            };
            return r.error("unparseable_output", format!("cryptsetup status {vol}: {why}"));
        }
        if let Some(dev) = status.device.as_deref().filter(|d| d.starts_with('/')) {
            let luks = env.run(&mut r, "cryptsetup", &["isLuks", dev]);
            match luks.exit {
                Exit::Code { code: 0 } => {
                    entry["luks"] = Value::Bool(true);
                    let dump = env.run(&mut r, "cryptsetup", &["luksDump", dev]);
                    // The dump only describes how the volume unlocks; the
                    // verdict does not rest on it, but evidence says when
                    // it could not be read rather than leaving it out.
                    let text = dump.stdout_text();
                    entry["unlock"] = if !dump.success() {
                        json!({"error": format!("cryptsetup luksDump: {}", tool_failure(&dump))})
                    } else if !text.starts_with("LUKS header information") {
                        let first = text.lines().next().unwrap_or("");
                        json!({"error": format!("cryptsetup luksDump: unexpected first line {}", crate::validate::quoted(first))})
                    } else {
                        let u = parse_dump(&text);
                        let key_apart = !u.tokens.is_empty();
                        json!({"keyslots": u.keyslots, "tokens": u.tokens, "key_kept_apart": key_apart})
                    };
                }
                Exit::Code { code: 1 } => {
                    entry["luks"] = Value::Bool(false);
                    problems.push(format!("{vol}: {dev} is not a LUKS device"));
                    r.finding("not_luks");
                }
                _ => {
                    let why = tool_failure(&luks);
                    return r.error("tool_failed", format!("cryptsetup isLuks {dev}: {why}"));
                }
            }
        }
        observed.insert(vol.clone(), entry);
    }
    r.observed = json!({"volumes": observed});
    if !problems.is_empty() {
        r.detail = problems.join("; ");
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_including_a_null_cipher() {
        let out = "/dev/mapper/cryptroot is active and is in use.\n  type:    LUKS2\n  cipher:  cipher_null-ecb\n  keysize: 0 bits\n  device:  /dev/vda2\n";
        let s = parse_status(out).unwrap();
        assert!(s.active);
        assert_eq!(s.cipher.as_deref(), Some("cipher_null-ecb"));
        assert_eq!(s.device.as_deref(), Some("/dev/vda2"));
        assert!(!parse_status("/dev/mapper/x is inactive.\n").unwrap().active);
        assert!(parse_status("garbage").is_err());
    }
}
