//! The `checks` section: one subsection per drift check.
//!
//! Owns: [`ChecksConfig`] and each check's settings type, read by the
//! function of the same name, in the order the checks are listed (which is
//! the order their errors are found in); what `enabled` means; the rules
//! that keep a check's settings safe to act on (flake refs inside the
//! allowed prefixes, unit and dm-crypt names that cannot pass as options,
//! nft table names, a restic repository that is not an option).
//! Must never: run a check, look at the system (whether a unit, volume or
//! file exists is the check's business at run time), or read the settings
//! of a disabled check as if they applied.

use super::reader::Obj;
use super::{ConfigError, UnitName};
use std::path::PathBuf;

/// The six checks; `None` = disabled (or absent).
#[derive(Debug, Clone, Default)]
pub struct ChecksConfig {
    /// See [`PatchingConfig`].
    pub patching: Option<PatchingConfig>,
    /// See [`ServicesConfig`].
    pub services: Option<ServicesConfig>,
    /// See [`BackupsConfig`].
    pub backups: Option<BackupsConfig>,
    /// See [`FirewallConfig`].
    pub firewall: Option<FirewallConfig>,
    /// See [`LoggingConfig`].
    pub logging: Option<LoggingConfig>,
    /// See [`EncryptionConfig`].
    pub encryption: Option<EncryptionConfig>,
}

/// Reads `checks`, which is required (an empty object enables nothing).
pub(super) fn read(root: &Obj<'_>) -> Result<ChecksConfig, ConfigError> {
    let c = root.obj("checks")?;
    let out = ChecksConfig {
        patching: section(&c, "patching", patching)?,
        services: section(&c, "services", services)?,
        backups: section(&c, "backups", backups)?,
        firewall: section(&c, "firewall", firewall)?,
        logging: section(&c, "logging", logging)?,
        encryption: section(&c, "encryption", encryption)?,
    };
    c.finish()?;
    Ok(out)
}

/// A check section counts only when `enabled` is true (the default when
/// the section is present). A disabled section may still hold settings,
/// which are ignored.
fn section<T>(c: &Obj<'_>, key: &str, read: fn(&Obj<'_>) -> Result<T, ConfigError>) -> Result<Option<T>, ConfigError> {
    match c.opt_obj(key)? {
        Some(o) if o.bool_or("enabled", true)? => read(&o).map(Some),
        _ => Ok(None),
    }
}

/// The `patching` check.
#[derive(Debug, Clone)]
pub struct PatchingConfig {
    /// How often the check runs; `None` = every cycle.
    pub interval_secs: Option<u64>,
    /// The approved flake reference to rebuild from.
    pub flake_ref: String,
    /// Prefixes that order-supplied flake refs must start with.
    pub allowed_flake_prefixes: Vec<String>,
    /// The approved `configurationRevision`, if pinned in config.
    pub expected_revision: Option<String>,
    /// Oldest acceptable nixpkgs date, in days.
    pub max_age_days: u64,
    /// The link to the running system (`/run/current-system`), read before
    /// and after a rebuild to know whether anything was activated.
    pub current_system: PathBuf,
    /// Limit for one `nixos-rebuild switch`.
    pub rebuild_timeout_secs: u64,
}

fn patching(p: &Obj<'_>) -> Result<PatchingConfig, ConfigError> {
    let prefixes = p.str_list("allowed_flake_prefixes")?;
    if prefixes.iter().any(|x| x.is_empty()) {
        return Err(p.error("allowed_flake_prefixes", "an empty prefix would allow every flake".to_string()));
    }
    let flake_ref = p.str("flake_ref")?;
    crate::validate::flake_ref(&flake_ref, &prefixes).map_err(|m| p.error("flake_ref", m))?;
    let cfg = PatchingConfig {
        interval_secs: p.opt_positive("interval_secs")?,
        flake_ref,
        allowed_flake_prefixes: prefixes,
        expected_revision: p.opt_str("expected_revision")?,
        max_age_days: p.positive_or("max_age_days", 30)?,
        current_system: p.opt_abs_path("current_system")?.unwrap_or_else(|| PathBuf::from("/run/current-system")),
        rebuild_timeout_secs: p.positive_or("rebuild_timeout_secs", 3600)?,
    };
    p.finish()?;
    Ok(cfg)
}

/// The `services` check.
#[derive(Debug, Clone)]
pub struct ServicesConfig {
    /// How often the check runs; `None` = every cycle.
    pub interval_secs: Option<u64>,
    /// Critical units that must be active.
    pub units: Vec<UnitName>,
    /// Restart attempts per drift episode.
    pub restart_max_attempts: u32,
    /// First back-off delay; doubles per attempt.
    pub restart_backoff_initial_secs: u64,
}

fn services(s: &Obj<'_>) -> Result<ServicesConfig, ConfigError> {
    let units = s.list("units", UnitName::parse)?;
    if units.is_empty() {
        return Err(s.error("units", "list at least one unit".to_string()));
    }
    let cfg = ServicesConfig {
        interval_secs: s.opt_positive("interval_secs")?,
        units,
        restart_max_attempts: u32::try_from(s.positive_or("restart_max_attempts", 5)?)
            .map_err(|_| s.error("restart_max_attempts", "too large".to_string()))?,
        restart_backoff_initial_secs: s.positive_or("restart_backoff_initial_secs", 2)?,
    };
    s.finish()?;
    Ok(cfg)
}

/// The `backups` check.
#[derive(Debug, Clone)]
pub struct BackupsConfig {
    /// How often the check runs; `None` = every cycle.
    pub interval_secs: Option<u64>,
    /// JSON status file written by the backup job.
    pub status_file: PathBuf,
    /// Oldest acceptable backup.
    pub max_age_hours: u64,
    /// The unit that runs a backup.
    pub unit: UnitName,
    /// Optional restic repository to read snapshots from.
    pub restic: Option<ResticConfig>,
}

fn backups(b: &Obj<'_>) -> Result<BackupsConfig, ConfigError> {
    let restic = b.opt_obj("restic")?.map(|r| restic(&r)).transpose()?;
    let cfg = BackupsConfig {
        interval_secs: b.opt_positive("interval_secs")?,
        status_file: b.abs_path("status_file")?,
        max_age_hours: b.positive_or("max_age_hours", 48)?,
        unit: b.parse("unit", UnitName::parse)?,
        restic,
    };
    b.finish()?;
    Ok(cfg)
}

/// A restic repository checked directly.
#[derive(Debug, Clone)]
pub struct ResticConfig {
    /// Repository location (a path or restic URL).
    pub repository: String,
    /// File holding the repository password.
    pub password_file: PathBuf,
    /// Only snapshots made by this host count (a repository may be shared);
    /// default: this machine's host name.
    pub host: Option<String>,
}

/// `backups.restic`: the repository and host end up as restic arguments,
/// hence the option and control-character rules.
fn restic(r: &Obj<'_>) -> Result<ResticConfig, ConfigError> {
    let cfg = ResticConfig {
        repository: r.str("repository")?,
        password_file: r.abs_path("password_file")?,
        host: r.opt_str("host")?,
    };
    if cfg.host.as_deref().is_some_and(|h| h.is_empty() || h.starts_with('-') || crate::validate::has_unsafe_chars(h)) {
        return Err(r.error("host", "must be a host name".to_string()));
    }
    if cfg.repository.is_empty() || cfg.repository.starts_with('-') || cfg.repository.chars().any(|c| c.is_control()) {
        return Err(r.error("repository", "must be a path or restic URL, not starting with -".to_string()));
    }
    r.finish()?;
    Ok(cfg)
}

/// The `firewall` check.
#[derive(Debug, Clone)]
pub struct FirewallConfig {
    /// How often the check runs; `None` = every cycle.
    pub interval_secs: Option<u64>,
    /// The approved ruleset (nft syntax).
    pub baseline_file: PathBuf,
    /// Its detached Ed25519 signature.
    pub baseline_sig_file: PathBuf,
    /// Tables left out of the comparison (`family name`, e.g. `inet f2b-table`).
    pub ignore_tables: Vec<String>,
}

fn firewall(f: &Obj<'_>) -> Result<FirewallConfig, ConfigError> {
    let ignore_tables = f.str_list_or("ignore_tables")?;
    for (i, t) in ignore_tables.iter().enumerate() {
        let parts: Vec<&str> = t.split(' ').collect();
        let families = ["ip", "ip6", "inet", "arp", "bridge", "netdev"];
        let ok = parts.len() == 2
            && families.contains(&parts[0])
            && !parts[1].is_empty()
            && parts[1].bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !ok {
            return Err(f.error(
                &format!("ignore_tables[{i}]"),
                format!("{t:?} is not \"<family> <table>\", e.g. \"inet f2b-table\""),
            ));
        }
    }
    let cfg = FirewallConfig {
        interval_secs: f.opt_positive("interval_secs")?,
        baseline_file: f.abs_path("baseline_file")?,
        baseline_sig_file: f.abs_path("baseline_sig_file")?,
        ignore_tables,
    };
    f.finish()?;
    Ok(cfg)
}

/// The `logging` check.
#[derive(Debug, Clone)]
pub struct LoggingConfig {
    /// How often the check runs; `None` = every cycle.
    pub interval_secs: Option<u64>,
}

fn logging(l: &Obj<'_>) -> Result<LoggingConfig, ConfigError> {
    let cfg = LoggingConfig { interval_secs: l.opt_positive("interval_secs")? };
    l.finish()?;
    Ok(cfg)
}

/// The `encryption` check.
#[derive(Debug, Clone)]
pub struct EncryptionConfig {
    /// How often the check runs; `None` = every cycle.
    pub interval_secs: Option<u64>,
    /// dm-crypt mapping names that must be active.
    pub volumes: Vec<String>,
}

fn encryption(e: &Obj<'_>) -> Result<EncryptionConfig, ConfigError> {
    let volumes = e.str_list("volumes")?;
    if volumes.is_empty() {
        return Err(e.error("volumes", "list at least one volume".to_string()));
    }
    for (i, v) in volumes.iter().enumerate() {
        if v.is_empty()
            || v.starts_with('-')
            || !v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(e.error(&format!("volumes[{i}]"), format!("{v:?} is not a dm-crypt mapping name")));
        }
    }
    let cfg = EncryptionConfig { interval_secs: e.opt_positive("interval_secs")?, volumes };
    e.finish()?;
    Ok(cfg)
}
