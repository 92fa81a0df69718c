//! Flush: push the outbox to the MCP (with back-off and budgets), prune
//! what retention allows (at most daily), and record the cycle's status and
//! metrics.
//!
//! Owns: the end of a cycle. Must never: delete unpushed evidence, or block
//! the cycle beyond its time budget.

use super::{Agent, Cycle};
use crate::evidence::flush::{flush_checked, FlushLimits};
use crate::evidence::receipts::ReceiptCheck;
use crate::evidence::retention::prune;
use crate::evidence::Record;
use std::time::Duration;

impl Agent {
    pub(super) fn flush(&mut self, cycle: &mut Cycle, budget: Duration) {
        let now_ms = self.clock.now_ms();
        let limits = FlushLimits { time_budget: budget, ..self.flush_limits.clone() };
        let receipts = ReceiptCheck {
            keys: self.config.mcp.receipt_keys.clone(),
            site_id: self.config.site_id.to_string(),
            appliance_id: self.config.appliance_id.to_string(),
        };
        let result = flush_checked(
            &self.store,
            self.mcp.as_ref(),
            &limits,
            &receipts,
            now_ms,
            cycle.mcp_reachable,
            &self.notifier,
        );
        if let Ok(r) = &result {
            self.receipt_alert(r, now_ms);
        }
        match result {
            Ok(r) if r.backing_off => {
                log::info!("flush: backing off after earlier failures");
                cycle.report.unpushed = self.store.backlog().map(|b| b.unpushed).unwrap_or(0);
            }
            Ok(r) => {
                let left = self.store.backlog().map(|b| b.unpushed).unwrap_or(0);
                cycle.report.pushed += r.pushed as u64;
                cycle.report.unpushed = left;
                match &r.error {
                    None => {
                        log::info!("flush: {} bundles pushed in {} batches; {left} unpushed", r.pushed, r.batches);
                        if r.batches > 0 {
                            let _ = self.store.clear_alerts("evidence_push");
                        }
                    }
                    Some(e) => {
                        log::warn!(
                            "flush: push failed ({}: {e}); {left} bundles wait, retried with back-off",
                            e.class()
                        );
                        if cycle.mcp_reachable {
                            // The poll worked but the push did not: say so next Attest.
                            self.attestor.queue([Record::alert(
                                "evidence_push",
                                "mcp_bad_reply",
                                format!("evidence push failed: {}: {e}", e.class()),
                                now_ms,
                            )]);
                        }
                    }
                }
            }
            Err(e) => log::error!("flush: evidence store failed: {e}"),
        }
        self.prune(now_ms);
    }

    /// Receipts that did not count for want of a valid signature raise an
    /// alert, stored at once (the bundles wait and are sent again); a flush
    /// whose receipts all verified ends the episode.
    fn receipt_alert(&mut self, r: &crate::evidence::flush::FlushReport, now_ms: i64) {
        if let Some(why) = &r.receipt_problem {
            self.attestor.queue([Record::alert(
                "evidence_receipt",
                "receipt_unverified",
                format!(
                    "{} receipts from the MCP were not signed by a key in mcp.receipt_keys ({why}); those bundles stay unpushed",
                    r.unverified
                ),
                now_ms,
            )]);
            // Written now, not at the next Attest: a `--once` run ends
            // after this state.
            let written = self.attestor.attest(&self.store, now_ms);
            if let Some(e) = written.error {
                log::error!("attest: {e}; {} records wait in memory", written.pending);
            }
        } else if r.pushed > 0 && r.error.is_none() {
            let _ = self.store.clear_alerts("evidence_receipt");
        }
    }

    pub(super) fn prune(&mut self, now_ms: i64) {
        // At most once a day: each prune writes a checkpoint bundle, and
        // checkpoints age out too.
        let last: i64 = self.store.get_state("prune.last_ms").ok().flatten().and_then(|v| v.parse().ok()).unwrap_or(0);
        if now_ms.saturating_sub(last) < 86_400_000 {
            return;
        }
        let _ = self.store.set_state("prune.last_ms", &now_ms.to_string());
        if let Err(e) = self.store.prune_orders(now_ms.div_euclid(1000)) {
            log::warn!("prune: order history: {e}");
        }
        match prune(&self.store, self.attestor.writer(), now_ms, self.config.evidence.local_retention_days) {
            Ok(Some(b)) => {
                log::info!("prune: pushed bundles older than the retention removed; checkpoint is seq {}", b.seq)
            }
            Ok(None) => {}
            Err(e) => log::warn!("prune: {e}"),
        }
    }

    pub(super) fn record_status(&self, cycle: &Cycle, now_ms: i64) {
        let status = serde_json::json!({
            "finished_at": crate::clock::rfc3339_ms(now_ms),
            "finished_ms": now_ms,
            "exit_code": cycle.report.exit_code(),
            "drift_remaining": cycle.report.drift_remaining,
            "action_failed": cycle.report.action_failed,
            "mcp_reachable": cycle.mcp_reachable,
            "results": cycle.results,
        });
        if let Err(e) = self.store.set_state(crate::status::LAST_CYCLE, &status.to_string()) {
            log::warn!("cannot record cycle status: {e}");
        }
        if let Some(path) = &self.config.metrics_textfile {
            match crate::status::Status::read(&self.store) {
                Ok(st) => {
                    if let Err(e) = crate::fsutil::write_atomic(path, st.prometheus().as_bytes(), 0o644) {
                        log::warn!("metrics: cannot write {}: {e}", path.display());
                    }
                }
                Err(e) => log::warn!("metrics: {e}"),
            }
        }
    }
}
