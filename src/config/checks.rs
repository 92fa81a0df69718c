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

use super::reader::{Obj, Read};
use super::UnitName;
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
pub(super) fn read(root: &Obj<'_>) -> Read<ChecksConfig> {
    root.obj("checks")?.read_then_finish(|c| {
        let patching = section(c, "patching", patching);
        let services = section(c, "services", services);
        let backups = section(c, "backups", backups);
        let firewall = section(c, "firewall", firewall);
        let logging = section(c, "logging", logging);
        let encryption = section(c, "encryption", encryption);
        Ok(ChecksConfig {
            patching: patching?,
            services: services?,
            backups: backups?,
            firewall: firewall?,
            logging: logging?,
            encryption: encryption?,
        })
    })
}

/// A check section counts only when `enabled` is true (the default when
/// the section is present). A disabled section may still hold settings,
/// which are ignored (and so are its unknown keys); so is the rest of a
/// section whose `enabled` is not a boolean.
fn section<T>(c: &Obj<'_>, key: &str, read: fn(&Obj<'_>) -> Read<T>) -> Read<Option<T>> {
    match c.opt_obj(key)? {
        Some(o) if o.bool_or("enabled", true)? => o.read_then_finish(read).map(Some),
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

fn patching(p: &Obj<'_>) -> Read<PatchingConfig> {
    let prefixes = p.str_list("allowed_flake_prefixes").and_then(|prefixes| {
        if prefixes.iter().any(|x| x.is_empty()) {
            return Err(p.fail("allowed_flake_prefixes", "an empty prefix would allow every flake".to_string()));
        }
        Ok(prefixes)
    });
    // Checked against the prefixes only when they were valid.
    let flake_ref = p.str("flake_ref").and_then(|flake_ref| match &prefixes {
        Ok(prefixes) => p.check("flake_ref", crate::validate::flake_ref(&flake_ref, prefixes)).map(|()| flake_ref),
        Err(_) => Ok(flake_ref),
    });
    let interval_secs = p.opt_positive("interval_secs");
    let expected_revision = p.opt_str("expected_revision");
    let max_age_days = p.positive_or("max_age_days", 30);
    let current_system = p.opt_abs_path("current_system");
    let rebuild_timeout_secs = p.positive_or("rebuild_timeout_secs", 3600);
    Ok(PatchingConfig {
        interval_secs: interval_secs?,
        flake_ref: flake_ref?,
        allowed_flake_prefixes: prefixes?,
        expected_revision: expected_revision?,
        max_age_days: max_age_days?,
        current_system: current_system?.unwrap_or_else(|| PathBuf::from("/run/current-system")),
        rebuild_timeout_secs: rebuild_timeout_secs?,
    })
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

fn services(s: &Obj<'_>) -> Read<ServicesConfig> {
    let units = s.list("units", UnitName::parse).and_then(|units| {
        if units.is_empty() {
            return Err(s.fail("units", "list at least one unit".to_string()));
        }
        Ok(units)
    });
    let interval_secs = s.opt_positive("interval_secs");
    let restart_max_attempts = s
        .positive_or("restart_max_attempts", 5)
        .and_then(|n| s.check("restart_max_attempts", u32::try_from(n).map_err(|_| "too large".to_string())));
    let restart_backoff_initial_secs = s.positive_or("restart_backoff_initial_secs", 2);
    Ok(ServicesConfig {
        interval_secs: interval_secs?,
        units: units?,
        restart_max_attempts: restart_max_attempts?,
        restart_backoff_initial_secs: restart_backoff_initial_secs?,
    })
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

fn backups(b: &Obj<'_>) -> Read<BackupsConfig> {
    let restic = b.opt_obj("restic").and_then(|r| r.map(|r| r.read_then_finish(restic)).transpose());
    let interval_secs = b.opt_positive("interval_secs");
    let status_file = b.abs_path("status_file");
    let max_age_hours = b.positive_or("max_age_hours", 48);
    let unit = b.parse("unit", UnitName::parse);
    Ok(BackupsConfig {
        interval_secs: interval_secs?,
        status_file: status_file?,
        max_age_hours: max_age_hours?,
        unit: unit?,
        restic: restic?,
    })
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
fn restic(r: &Obj<'_>) -> Read<ResticConfig> {
    let repository = r.str("repository");
    let password_file = r.abs_path("password_file");
    let host = r.opt_str("host").and_then(|host| match host {
        Some(h) if h.is_empty() || h.starts_with('-') || crate::validate::has_unsafe_chars(&h) => {
            Err(r.fail("host", "must be a host name".to_string()))
        }
        host => Ok(host),
    });
    let repository = repository.and_then(|repo| {
        if repo.is_empty() || repo.starts_with('-') || repo.chars().any(|c| c.is_control()) {
            return Err(r.fail("repository", "must be a path or restic URL, not starting with -".to_string()));
        }
        Ok(repo)
    });
    Ok(ResticConfig { repository: repository?, password_file: password_file?, host: host? })
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

fn firewall(f: &Obj<'_>) -> Read<FirewallConfig> {
    let ignore_tables = f.str_list_or("ignore_tables").and_then(|tables| {
        let checked: Vec<Read<()>> = tables
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let parts: Vec<&str> = t.split(' ').collect();
                let families = ["ip", "ip6", "inet", "arp", "bridge", "netdev"];
                let ok = parts.len() == 2
                    && families.contains(&parts[0])
                    && !parts[1].is_empty()
                    && parts[1].bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
                if ok {
                    return Ok(());
                }
                Err(f.fail(
                    &format!("ignore_tables[{i}]"),
                    format!("{t:?} is not \"<family> <table>\", e.g. \"inet f2b-table\""),
                ))
            })
            .collect();
        checked.into_iter().collect::<Read<Vec<()>>>().map(|_| tables)
    });
    let interval_secs = f.opt_positive("interval_secs");
    let baseline_file = f.abs_path("baseline_file");
    let baseline_sig_file = f.abs_path("baseline_sig_file");
    Ok(FirewallConfig {
        interval_secs: interval_secs?,
        baseline_file: baseline_file?,
        baseline_sig_file: baseline_sig_file?,
        ignore_tables: ignore_tables?,
    })
}

/// The `logging` check.
#[derive(Debug, Clone)]
pub struct LoggingConfig {
    /// How often the check runs; `None` = every cycle.
    pub interval_secs: Option<u64>,
}

fn logging(l: &Obj<'_>) -> Read<LoggingConfig> {
    Ok(LoggingConfig { interval_secs: l.opt_positive("interval_secs")? })
}

/// The `encryption` check.
#[derive(Debug, Clone)]
pub struct EncryptionConfig {
    /// How often the check runs; `None` = every cycle.
    pub interval_secs: Option<u64>,
    /// dm-crypt mapping names that must be active.
    pub volumes: Vec<String>,
}

fn encryption(e: &Obj<'_>) -> Read<EncryptionConfig> {
    let volumes = e.str_list("volumes").and_then(|volumes| {
        if volumes.is_empty() {
            return Err(e.fail("volumes", "list at least one volume".to_string()));
        }
        let checked: Vec<Read<()>> = volumes
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if v.is_empty()
                    || v.starts_with('-')
                    || !v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                {
                    return Err(e.fail(&format!("volumes[{i}]"), format!("{v:?} is not a dm-crypt mapping name")));
                }
                Ok(())
            })
            .collect();
        checked.into_iter().collect::<Read<Vec<()>>>().map(|_| volumes)
    });
    let interval_secs = e.opt_positive("interval_secs");
    Ok(EncryptionConfig { interval_secs: interval_secs?, volumes: volumes? })
}
