//! Attest: the cycle's records become signed, chained bundles (a `cycle`
//! bundle only on change or when the summary is due), plus the backlog
//! alert; and the bundles written outside a cycle: lifecycle start/stop, the
//! last alert of a lost database, and the log of what was never stored.
//!
//! Owns: handing records to the attestor at the right moments. Must never:
//! drop a record silently (what cannot be stored is logged in full at exit).

use super::{check_state_dir, Agent, Cycle};
use crate::evidence::{Kind, Outcome, Record};
use std::time::Duration;

impl Agent {
    pub(super) fn attest(&mut self, cycle: &mut Cycle) {
        self.write_unclosed();
        self.watch_certificates(cycle);
        let now_ms = self.clock.now_ms();
        self.attestor.queue(cycle.records.drain(..));
        let outcome = if cycle.report.drift_remaining { Outcome::Alert } else { Outcome::Success };
        let mut rec = Record::new(Kind::Cycle, outcome, now_ms);
        rec.results = Some(serde_json::Value::Object(cycle.results.clone()));
        self.attestor.cycle(&self.store, rec, now_ms);
        if let Ok(b) = self.store.backlog() {
            if b.unpushed > self.config.evidence.backlog_alert_bundles {
                let detail = format!(
                    "{} bundles wait for the MCP (oldest from {}); nothing is dropped",
                    b.unpushed,
                    b.oldest_unpushed_ms.map(crate::clock::rfc3339_ms).unwrap_or_default()
                );
                self.attestor.queue([Record::alert("evidence_backlog", "evidence_backlog", detail, now_ms)]);
            } else {
                let _ = self.store.clear_alerts("evidence_backlog");
            }
        }
        let r = self.attestor.attest(&self.store, now_ms);
        match &r.error {
            None => log::info!("attest: {} bundles written, {} repeated alerts suppressed", r.written, r.suppressed),
            Some(e) => log::error!(
                "attest: evidence store failed ({e}); {} records kept in memory and retried next cycle",
                r.pending
            ),
        }
    }

    /// Writes a lifecycle bundle now (start and stop of the daemon).
    pub(super) fn lifecycle(&mut self, reason: &str, detail: String) {
        let now_ms = self.clock.now_ms();
        self.attestor.queue([Record::new(Kind::Lifecycle, Outcome::Success, now_ms).reason(reason).detail(detail)]);
        let r = self.attestor.attest(&self.store, now_ms);
        if let Some(e) = r.error {
            log::error!("attest: cannot write the {reason} bundle: {e}");
        }
    }

    /// The database was deleted or replaced under the running agent: its
    /// file is still open, so the loss is written into it as a last alert
    /// and everything unpushed is offered to the MCP; then `chain.head` is
    /// put back beside where the database was, so the next start reports
    /// the loss (a new chain whose first bundle names this one) instead of
    /// starting over silently.
    pub(super) fn store_lost(&mut self, why: &str) {
        log::error!("{why}: evidence written now could never be read; exiting so the next start recovers");
        self.notifier.status("state database lost");
        let now_ms = self.clock.now_ms();
        self.attestor.queue([Record::alert("store_lost", "store_lost", why.to_string(), now_ms)]);
        let r = self.attestor.attest(&self.store, now_ms);
        if let Some(e) = r.error {
            log::error!("attest: {e}");
        }
        let mut last = Cycle::default();
        self.flush(&mut last, Duration::from_secs(10));
        match self.store.chain_tip() {
            Ok(tip) => {
                let head = check_state_dir(&self.config.state_dir)
                    .map_err(|e| e.to_string())
                    .and_then(|()| self.store.write_head(&tip).map_err(|e| e.to_string()));
                match head {
                    Ok(()) => log::error!(
                        "wrote {} (seq {}) so the next start reports the lost chain",
                        crate::store::HEAD_FILE,
                        tip.seq
                    ),
                    Err(e) => log::error!("cannot write {}: {e}", crate::store::HEAD_FILE),
                }
            }
            Err(e) => log::error!("cannot read the chain tip: {e}"),
        }
    }

    /// At exit: records the store never took (the file system stayed full)
    /// would die with the process; they go to the log in full instead.
    pub fn log_unwritten(&mut self) {
        let mut left: Vec<Record> = self.unclosed.drain(..).map(|u| u.record).collect();
        left.extend(self.attestor.take_pending());
        if left.is_empty() {
            return;
        }
        log::error!(
            "{} evidence records could not be stored (the state file system is full); they follow here",
            left.len()
        );
        for rec in left {
            log::error!("unstored evidence: {}", serde_json::to_string(&rec).unwrap_or_else(|_| rec.summary()));
        }
    }
}
