//! Certificate expiry: an expired client certificate is the most common way
//! a fleet goes dark, so the agent says so ahead of time. The client
//! certificate and the MCP CA are read at start; every cycle compares their
//! `notAfter` with the clock and raises a `cert_expiry` alert once when a
//! certificate enters `mcp.cert_expiry_warn_days`, and once more when it
//! expires (not every hour: the stage is remembered per certificate).
//!
//! Owns: the expiry stages and their alerts. Must never: decide trust
//! (rustls does), or repeat an alert for a stage already reported.

use super::{Agent, Cycle};
use crate::evidence::{Kind, Outcome, Record};
use crate::x509::CertInfo;
use std::path::{Path, PathBuf};

/// A certificate the agent depends on.
#[derive(Debug, Clone)]
pub(super) struct Watched {
    /// `client certificate` or `MCP CA`.
    role: &'static str,
    /// The config key naming the file.
    key: &'static str,
    path: PathBuf,
    cert: CertInfo,
    /// The file's identity when it was read: a replaced certificate (a
    /// rotation) is read again.
    id: Option<FileId>,
}

/// Device, inode, size and change time (following symlinks, as the file
/// is read).
type FileId = (u64, u64, u64, i64, i64);

fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.dev(), m.ino(), m.size(), m.ctime(), m.ctime_nsec()))
}

/// The certificates to watch: the leaf of the client chain and the CA
/// that expires first (`x509::principal`). An unreadable file is left out (start-up already
/// refused an unusable one).
pub(super) fn watched(config: &crate::config::Config) -> Vec<Watched> {
    let mcp = &config.mcp;
    [
        ("client certificate", "mcp.client_cert_file", &mcp.client_cert_file, false),
        ("MCP CA", "mcp.ca_file", &mcp.ca_file, true),
    ]
    .into_iter()
    .filter_map(|(role, key, path, ca_file)| {
        let id = file_id(path);
        let pem = crate::fsutil::read_capped(path, 1 << 20, crate::fsutil::Follow::Symlinks).ok()?;
        let certs = crate::x509::parse_pem_certs(&pem).ok()?;
        let cert = crate::x509::principal(&certs, ca_file)?.clone();
        Some(Watched { role, key, path: path.clone(), cert, id })
    })
    .collect()
}

/// Where a certificate stands at `now` (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    /// More than the warning period left.
    Fine,
    /// Expires within the warning period.
    Soon,
    /// No longer valid.
    Expired,
}

/// The stage of `cert` at `now` with a warning period of `warn_days`.
pub(super) fn stage(cert: &CertInfo, now: i64, warn_days: u64) -> Stage {
    if cert.expired(now) {
        Stage::Expired
    } else if cert.expires_within(now, warn_days) {
        Stage::Soon
    } else {
        Stage::Fine
    }
}

impl Agent {
    /// Raises a `cert_expiry` alert once per certificate and stage.
    pub(super) fn watch_certificates(&mut self, cycle: &mut Cycle) {
        // A rotated certificate (the MCP client reconnects with it at once,
        // docs/protocol.md) is the one to watch from now on.
        let rotated = self.certs.iter().any(|w| file_id(&w.path) != w.id);
        if rotated {
            self.certs = watched(&self.config);
        }
        let now_ms = self.clock.now_ms();
        let now = now_ms.div_euclid(1000);
        for w in &self.certs {
            let state_key = format!("cert.{}.alerted", w.key);
            let stage = stage(&w.cert, now, self.config.mcp.cert_expiry_warn_days);
            let said = self.store.get_state(&state_key).ok().flatten().unwrap_or_default();
            let mark = format!("{} {stage:?}", w.cert.not_after_unix);
            if stage == Stage::Fine {
                if !said.is_empty() {
                    // A new certificate: a later expiry starts afresh.
                    self.store.put_state(&state_key, "");
                }
                continue;
            }
            if said == mark {
                continue;
            }
            let until = crate::clock::rfc3339_ms(w.cert.not_after_unix.saturating_mul(1000));
            let detail = match stage {
                Stage::Expired => format!(
                    "the {} {} expired at {until}: the MCP will refuse this appliance; renew it",
                    w.role,
                    show(&w.path)
                ),
                _ => format!(
                    "the {} {} expires at {until}, in {} days; renew it before then",
                    w.role,
                    show(&w.path),
                    w.cert.days_left(now)
                ),
            };
            log::warn!("{detail}");
            // A plain alert, not an episode: it is said once per stage.
            let mut rec = Record::new(Kind::Alert, Outcome::Alert, now_ms).reason("cert_expiry").detail(detail);
            rec.pre_state = Some(serde_json::json!({
                "certificate": w.key, "not_after": until, "stage": format!("{stage:?}").to_lowercase(),
            }));
            cycle.records.push(rec);
            self.store.put_state(&state_key, &mark);
        }
    }
}

fn show(p: &Path) -> String {
    format!("({})", p.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(not_after: i64) -> CertInfo {
        CertInfo { not_before_unix: 0, not_after_unix: not_after, subject_cn: None, dns_names: Vec::new() }
    }

    #[test]
    fn stages_around_the_warning_period_and_expiry() {
        let day = 86_400;
        let c = cert(100 * day);
        assert_eq!(stage(&c, 0, 30), Stage::Fine);
        assert_eq!(stage(&c, 69 * day, 30), Stage::Fine);
        assert_eq!(stage(&c, 70 * day, 30), Stage::Soon);
        assert_eq!(stage(&c, 100 * day - 1, 30), Stage::Soon);
        assert_eq!(stage(&c, 100 * day + 1, 30), Stage::Expired);
    }
}
