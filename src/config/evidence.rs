//! The `evidence` section: local retention, summary cadence, and how the
//! outbox is pushed.
//!
//! Owns: [`EvidenceConfig`], the defaults of every setting, and the limits
//! between them (a batch no larger than the protocol's 256, a back-off cap
//! not below its initial delay).
//! Must never: offer a setting that drops unpushed evidence (retention
//! covers pushed bundles only; a backlog only raises an alert).

use super::reader::{Obj, Read};

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
pub(super) fn read(root: &Obj<'_>) -> Read<EvidenceConfig> {
    match root.opt_obj("evidence")? {
        Some(e) => e.read_then_finish(|e| settings(Some(e))),
        None => settings(None),
    }
}

/// The settings, from `e` or (without the section) the defaults.
fn settings(e: Option<&Obj<'_>>) -> Read<EvidenceConfig> {
    let num = |key: &str, default: u64| -> Read<u64> { e.map_or(Ok(default), |e| e.positive_or(key, default)) };
    let local_retention_days = num("local_retention_days", 30);
    let summary_interval_secs = num("summary_interval_secs", 3600);
    let flush_batch_size = num("flush_batch_size", 256);
    let flush_max_per_cycle = num("flush_max_per_cycle", 4096);
    let flush_time_budget_secs = num("flush_time_budget_secs", 20);
    let flush_backoff_initial_secs = num("flush_backoff_initial_secs", 30);
    let flush_backoff_max_secs = num("flush_backoff_max_secs", 600);
    let backlog_alert_bundles = num("backlog_alert_bundles", 100_000);
    // The defaults keep both limits, so only a configured value can break one.
    let flush_batch_size = flush_batch_size.and_then(|n| match e {
        Some(e) if n > 256 => Err(e.fail("flush_batch_size", format!("{n} is above the protocol's 256"))),
        _ => Ok(n),
    });
    let flush_backoff_max_secs = flush_backoff_max_secs.and_then(|max| match (e, &flush_backoff_initial_secs) {
        (Some(e), Ok(initial)) if max < *initial => {
            Err(e.fail("flush_backoff_max_secs", "must be at least flush_backoff_initial_secs".to_string()))
        }
        _ => Ok(max),
    });
    Ok(EvidenceConfig {
        local_retention_days: local_retention_days?,
        summary_interval_secs: summary_interval_secs?,
        flush_batch_size: flush_batch_size?,
        flush_max_per_cycle: flush_max_per_cycle?,
        flush_time_budget_secs: flush_time_budget_secs?,
        flush_backoff_initial_secs: flush_backoff_initial_secs?,
        flush_backoff_max_secs: flush_backoff_max_secs?,
        backlog_alert_bundles: backlog_alert_bundles?,
    })
}
