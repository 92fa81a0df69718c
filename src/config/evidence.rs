//! The `evidence` section: local retention, summary cadence, and how the
//! outbox is pushed.
//!
//! Owns: [`EvidenceConfig`], the defaults of every setting, and the limits
//! between them (a batch no larger than the protocol's 256, a back-off cap
//! not below its initial delay).
//! Must never: offer a setting that drops unpushed evidence (retention
//! covers pushed bundles only; a backlog only raises an alert).

use super::reader::Obj;
use super::ConfigError;

/// Evidence retention and summaries.
#[derive(Debug, Clone)]
pub struct EvidenceConfig {
    /// Pushed bundles older than this may be pruned locally.
    pub local_retention_days: u64,
    /// A `cycle` bundle at least this often even without changes; also the
    /// re-alert interval for a persisting condition.
    pub summary_interval_secs: u64,
    /// Bundles per POST (1–256).
    pub flush_batch_size: u64,
    /// Bundles pushed per cycle at most (the backlog drain rate).
    pub flush_max_per_cycle: u64,
    /// Wall time one Flush may take.
    pub flush_time_budget_secs: u64,
    /// First back-off delay after a failed push.
    pub flush_backoff_initial_secs: u64,
    /// Back-off cap.
    pub flush_backoff_max_secs: u64,
    /// Unpushed bundles beyond which an alert is raised (nothing is dropped).
    pub backlog_alert_bundles: u64,
}

/// Reads `evidence`, which is optional: every setting has a default.
pub(super) fn read(root: &Obj<'_>) -> Result<EvidenceConfig, ConfigError> {
    let e = root.opt_obj("evidence")?;
    let num = |key: &str, default: u64| -> Result<u64, ConfigError> {
        e.as_ref().map(|e| e.positive_or(key, default)).transpose().map(|v| v.unwrap_or(default))
    };
    let cfg = EvidenceConfig {
        local_retention_days: num("local_retention_days", 30)?,
        summary_interval_secs: num("summary_interval_secs", 3600)?,
        flush_batch_size: num("flush_batch_size", 256)?,
        flush_max_per_cycle: num("flush_max_per_cycle", 4096)?,
        flush_time_budget_secs: num("flush_time_budget_secs", 20)?,
        flush_backoff_initial_secs: num("flush_backoff_initial_secs", 30)?,
        flush_backoff_max_secs: num("flush_backoff_max_secs", 600)?,
        backlog_alert_bundles: num("backlog_alert_bundles", 100_000)?,
    };
    if let Some(e) = e {
        if cfg.flush_batch_size > 256 {
            return Err(e.error("flush_batch_size", format!("{} is above the protocol's 256", cfg.flush_batch_size)));
        }
        if cfg.flush_backoff_max_secs < cfg.flush_backoff_initial_secs {
            return Err(e.error("flush_backoff_max_secs", "must be at least flush_backoff_initial_secs".to_string()));
        }
        e.finish()?;
    }
    Ok(cfg)
}
