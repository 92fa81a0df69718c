//! `config check`: is this appliance's configuration usable, before the
//! agent heals anything? The configuration loads; every key, certificate
//! and CA file opens; the client certificate matches its key and names this
//! appliance; certificate expiry dates; every tool an enabled check needs is
//! an executable; the state directory's owner and mode; the firewall
//! baseline's signature; and (unless `--offline`) one read-only request to
//! the MCP over mTLS. What `nginx -t` is to nginx.
//!
//! Owns: the list of findings and their verdict. Must never: change
//! anything (no state directory is created, no database opened for
//! writing, no tool run, no order consumed: the MCP request is the same
//! read-only probe health checks use).

use crate::checks::{self, CheckName};
use crate::config::Config;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// How a finding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Usable.
    Ok,
    /// Usable now, needs attention soon (a certificate near expiry).
    Warn,
    /// Not usable.
    Fail,
}

/// One thing checked.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What (a config key or `mcp`).
    pub item: String,
    /// The verdict.
    pub level: Level,
    /// What was found, naming the file.
    pub detail: String,
}

/// Every finding, in the order checked.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The findings.
    pub findings: Vec<Finding>,
}

impl Report {
    fn add(&mut self, item: &str, level: Level, detail: impl Into<String>) {
        self.findings.push(Finding { item: item.to_string(), level, detail: detail.into() });
    }

    /// 0 when everything is usable (warnings allowed); 78 when anything
    /// local is not; 69 when only the MCP could not be reached.
    pub fn exit_code(&self) -> i32 {
        let failed = |f: &&Finding| f.level == Level::Fail;
        if self.findings.iter().filter(failed).any(|f| f.item != "mcp") {
            crate::EXIT_CONFIG
        } else if self.findings.iter().any(|f| failed(&f)) {
            crate::EXIT_UNAVAILABLE
        } else {
            crate::EXIT_OK
        }
    }

    /// One line per finding, then the verdict.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for f in &self.findings {
            let level = match f.level {
                Level::Ok => "ok  ",
                Level::Warn => "WARN",
                Level::Fail => "FAIL",
            };
            let _ = writeln!(s, "{level}  {:<28} {}", f.item, f.detail);
        }
        let _ = writeln!(
            s,
            "{}",
            match self.exit_code() {
                crate::EXIT_OK => "configuration usable",
                crate::EXIT_UNAVAILABLE => "configuration usable, but the MCP was not reached",
                _ => "configuration NOT usable",
            }
        );
        s
    }

    /// The JSON form.
    pub fn to_json(&self) -> Value {
        json!({
            "usable": self.exit_code() == crate::EXIT_OK,
            "exit_code": self.exit_code(),
            "findings": self.findings.iter().map(|f| json!({
                "item": f.item,
                "level": match f.level { Level::Ok => "ok", Level::Warn => "warn", Level::Fail => "fail" },
                "detail": f.detail,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Checks a loaded configuration at `now` (Unix seconds); `online` makes
/// one read-only request to the MCP.
pub fn check(config: &Config, online: bool, now: i64) -> Report {
    let mut r = Report::default();
    r.add("config", Level::Ok, format!("{} loads and validates", config.source.display()));
    match crate::keys::SigningKey::load(&config.signing_key_file) {
        Ok(k) => r.add(
            "signing_key_file",
            Level::Ok,
            format!(
                "{}: Ed25519 key, fingerprint {}",
                config.signing_key_file.display(),
                crate::keys::fingerprint(&k.public())
            ),
        ),
        Err(e) => r.add("signing_key_file", Level::Fail, e.to_string()),
    }
    // A rotation the agent has not recorded yet (`keygen --rotate`).
    let old = crate::keys::old_key_path(&config.signing_key_file);
    if old.symlink_metadata().is_ok() {
        match crate::keys::SigningKey::load(&old) {
            Ok(k) => r.add(
                "signing_key_file",
                Level::Ok,
                format!(
                    "{}: the old key (fingerprint {}); the next start signs the rotation with it, then removes it",
                    old.display(),
                    crate::keys::fingerprint(&k.public())
                ),
            ),
            Err(e) => r.add(
                "signing_key_file",
                Level::Fail,
                format!("{e}; the agent cannot sign the key rotation with it and will report an unlinked key change"),
            ),
        }
    }
    let warn = config.mcp.cert_expiry_warn_days;
    certificates(&mut r, "mcp.ca_file", &config.mcp.ca_file, None, now, warn);
    certificates(
        &mut r,
        "mcp.client_cert_file",
        &config.mcp.client_cert_file,
        Some(config.appliance_id.as_str()),
        now,
        warn,
    );
    // Builds the TLS configuration: the key file's mode, the key matching
    // the certificate, the CA usable.
    let client = crate::mcp::McpClient::new(&config.mcp, config.site_id.as_str(), config.appliance_id.as_str());
    match &client {
        Ok(_) => r.add(
            "mcp.client_key_file",
            Level::Ok,
            format!("{}: private, and matches the client certificate", config.mcp.client_key_file.display()),
        ),
        Err(e) => r.add(e.key, Level::Fail, e.message.clone()),
    }
    tools(&mut r, config);
    match crate::agent::inspect_state_dir(&config.state_dir) {
        Ok(()) => r.add(
            "state_dir",
            Level::Ok,
            format!("{}: owned by this user, mode 0700 or stricter", config.state_dir.display()),
        ),
        Err(crate::agent::StateDirProblem::Missing) => r.add(
            "state_dir",
            Level::Ok,
            format!("{}: created (mode 0700) at the first run", config.state_dir.display()),
        ),
        Err(p) => r.add("state_dir", Level::Fail, p.to_string()),
    }
    if let Some(fw) = &config.checks.firewall {
        let read = |p: &Path| {
            crate::fsutil::read_capped(p, checks::firewall::MAX_BASELINE_BYTES, crate::fsutil::Follow::Symlinks)
        };
        match (read(&fw.baseline_file), read(&fw.baseline_sig_file)) {
            (Ok(b), Ok(sig)) => match checks::firewall::verify_baseline(&b, &sig, &config.mcp.order_keys) {
                Ok(keyid) => match crate::nftscript::parse(&String::from_utf8_lossy(&b)) {
                    Ok(_) => r.add(
                        "checks.firewall.baseline_file",
                        Level::Ok,
                        format!("{}: signed by order key {keyid}", fw.baseline_file.display()),
                    ),
                    Err(e) => r.add(
                        "checks.firewall.baseline_file",
                        Level::Fail,
                        format!("{}: {e}", fw.baseline_file.display()),
                    ),
                },
                Err(e) => r.add(
                    "checks.firewall.baseline_sig_file",
                    Level::Fail,
                    format!("{}: {e}", fw.baseline_sig_file.display()),
                ),
            },
            (Err(e), _) => {
                r.add("checks.firewall.baseline_file", Level::Fail, format!("{}: {e}", fw.baseline_file.display()))
            }
            (_, Err(e)) => r.add(
                "checks.firewall.baseline_sig_file",
                Level::Fail,
                format!("{}: {e}", fw.baseline_sig_file.display()),
            ),
        }
    }
    if online {
        match &client {
            Ok(c) => match crate::mcp::Transport::probe(c) {
                Ok(()) => r.add("mcp", Level::Ok, format!("{} answered over mTLS", config.mcp.base_url)),
                Err(e) => r.add("mcp", Level::Fail, format!("{}: {}: {e}", config.mcp.base_url, e.class())),
            },
            Err(_) => r.add("mcp", Level::Fail, "not tried: the TLS material above is unusable"),
        }
    }
    r
}

/// The certificates in `path`: readable, within their validity (a warning
/// within `mcp.cert_expiry_warn_days`); for the client certificate, naming this
/// appliance: its subject CN or one of its DNS names holds the
/// `appliance_id` as a whole word (words split at space . / : @ ,), as
/// `CN=clinic-042 appl-01` or `DNS:appl-01.clinic-042.msp.example` do.
fn certificates(r: &mut Report, item: &str, path: &Path, appliance: Option<&str>, now: i64, warn_days: u64) {
    let pem = match crate::fsutil::read_capped(path, 1 << 20, crate::fsutil::Follow::Symlinks) {
        Ok(p) => p,
        Err(e) => return r.add(item, Level::Fail, format!("{}: {e}", path.display())),
    };
    let certs = match crate::x509::parse_pem_certs(&pem) {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => return r.add(item, Level::Fail, format!("{}: no certificate in it", path.display())),
        Err(e) => return r.add(item, Level::Fail, format!("{}: {e}", path.display())),
    };
    // The client's leaf (the one presented); the CA that expires first.
    let Some(leaf) = crate::x509::principal(&certs, appliance.is_none()) else {
        return r.add(item, Level::Fail, format!("{}: no certificate in it", path.display()));
    };
    let until = crate::clock::rfc3339_ms(leaf.not_after_unix.saturating_mul(1000));
    let days = leaf.days_left(now);
    if let Some(id) = appliance {
        let names = |s: &str| s.split([' ', '.', '/', ':', '@', ',']).any(|token| token == id);
        let named = leaf.subject_cn.as_deref().is_some_and(names) || leaf.dns_names.iter().any(|d| names(d));
        if !named {
            return r.add(
                item,
                Level::Fail,
                format!(
                    "{}: names {} (DNS {:?}), not this appliance {id:?}",
                    path.display(),
                    leaf.subject_cn.as_deref().map_or("no CN".to_string(), |c| format!("CN {c:?}")),
                    leaf.dns_names
                ),
            );
        }
    }
    if leaf.expired(now) || !leaf.valid_at(now) {
        r.add(item, Level::Fail, format!("{}: not valid now (valid until {until})", path.display()));
    } else if leaf.expires_within(now, warn_days) {
        r.add(item, Level::Warn, format!("{}: expires {until}, in {days} days", path.display()));
    } else {
        r.add(item, Level::Ok, format!("{}: valid until {until} ({days} days)", path.display()));
    }
}

/// Every tool an enabled check (or its remediation) runs: a regular,
/// executable file.
fn tools(r: &mut Report, config: &Config) {
    let mut needed: Vec<&str> = Vec::new();
    for check in checks::enabled(config) {
        let t: &[&str] = match check {
            CheckName::Patching => &["nixos_version", "nixos_rebuild", "systemctl"],
            CheckName::Services => &["systemctl"],
            CheckName::Backups => {
                if config.checks.backups.as_ref().is_some_and(|b| b.restic.is_some()) {
                    &["systemctl", "restic"]
                } else {
                    &["systemctl"]
                }
            }
            CheckName::Firewall => &["nft", "unshare"],
            CheckName::Logging => &["systemctl", "logger", "journalctl"],
            CheckName::Encryption => &["lsblk", "cryptsetup"],
        };
        for name in t {
            if !needed.contains(name) {
                needed.push(name);
            }
        }
    }
    for name in needed {
        use std::os::unix::fs::PermissionsExt;
        let path = config.tools.path(name);
        let item = format!("tools.{name}");
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => {
                r.add(&item, Level::Ok, format!("{}", path.display()))
            }
            Ok(_) => r.add(&item, Level::Fail, format!("{}: not an executable file", path.display())),
            Err(e) => r.add(&item, Level::Fail, format!("{}: {e}", path.display())),
        }
    }
}
