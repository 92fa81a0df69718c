//! Poll: fetch the orders reply from the MCP, verify every envelope, queue
//! what is accepted, and record refusals (junk nobody signed as one summary
//! per poll, with a flood alert).
//!
//! Owns: the orders intake of a cycle and the refusal-rate window. Must
//! never: act on an order (that is Heal), or write a bundle per unsigned
//! envelope.

use super::{Agent, Cycle};
use crate::evidence::Record;
use crate::orders::intake::{intake, refusal_record, unauthenticated, unauthenticated_summary, Intake};
use crate::orders::{verify, Action, Order, Reason, Refusal, Verdict};

/// Unauthenticated refusals per hour above which an `order_flood` alert
/// is raised (an MCP bug sends a few; an attacker sends the maximum).
pub const REFUSAL_FLOOD: u64 = 64;

/// State key: the refusal-rate window, `<start ms> <count>`.
const REFUSAL_WINDOW: &str = "orders.unsigned_window";

/// One hour of unauthenticated refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefusalWindow {
    /// When the hour began (Unix ms).
    pub start: i64,
    /// Refusals counted in it.
    pub count: u64,
    /// The previous hour ended at or below [`REFUSAL_FLOOD`]: an open
    /// `order_flood` episode is over.
    pub close_episode: bool,
}

/// The refusal-rate window after a poll with `new` unauthenticated
/// refusals: the same hour counts on, a new hour starts from `new` (a
/// window dated in the future, after a clock step, starts over too).
pub fn refusal_window(prev: Option<(i64, u64)>, new: u64, now_ms: i64) -> RefusalWindow {
    const HOUR_MS: i64 = 3_600_000;
    match prev {
        Some((start, count)) if now_ms >= start && now_ms - start < HOUR_MS => {
            RefusalWindow { start, count: count.saturating_add(new), close_episode: false }
        }
        Some((_, count)) => RefusalWindow { start: now_ms, count: new, close_episode: count <= REFUSAL_FLOOD },
        None => RefusalWindow { start: now_ms, count: new, close_episode: true },
    }
}

impl Agent {
    pub(super) fn poll(&mut self, cycle: &mut Cycle) {
        let now_ms = self.clock.now_ms();
        let envelopes = match self.mcp.fetch_orders() {
            Ok(e) => e,
            Err(e) => {
                log::warn!("poll: MCP {} failure: {e}; continuing offline", e.class());
                // One episode per failure class: a change from "refused" to
                // "timeout" is news; the same failure every minute is not.
                let key = format!("mcp_{}", e.class());
                cycle.records.push(Record::alert(&key, e.reason(), format!("{}: {e}", e.class()), now_ms));
                cycle.report.mcp_error = Some(format!("{}: {e}", e.class()));
                return;
            }
        };
        cycle.mcp_reachable = true;
        match self.store.clear_alerts("mcp_") {
            Ok(closed) => {
                for ep in closed {
                    log::info!(
                        "poll: MCP reachable again ({} since {})",
                        ep.reason,
                        crate::clock::rfc3339_ms(ep.first_ms)
                    );
                }
            }
            Err(e) => log::warn!("poll: cannot close alert episodes: {e}"),
        }
        let (mut accepted, mut refused, mut duplicate) = (0, 0, 0);
        let mut unsigned: Vec<Refusal> = Vec::new();
        for bytes in &envelopes {
            match intake(&self.store, bytes, &self.policy, now_ms.div_euclid(1000)) {
                Ok(Intake::Queued(o)) => {
                    accepted += 1;
                    log::info!("poll: accepted order {} ({}) signed by {}", o.order_id, o.action.name(), o.keyid);
                }
                Ok(Intake::Duplicate) => duplicate += 1,
                Ok(Intake::Refused(r)) => {
                    refused += 1;
                    let rec = refusal_record(&r, now_ms);
                    log::warn!("poll: refused envelope: {}", rec.summary());
                    if unauthenticated(&r) {
                        unsigned.push(r);
                    } else {
                        cycle.records.push(rec);
                    }
                }
                Err(e) => {
                    // Not recorded: the MCP lists the order again next cycle.
                    log::error!("poll: cannot record order in the store: {e}");
                    cycle.records.push(Record::alert("store_error", "store_error", e.to_string(), now_ms));
                }
            }
        }
        log::info!(
            "poll: {} envelopes: {accepted} accepted, {refused} refused, {duplicate} already seen",
            envelopes.len()
        );
        // Junk nobody signed: one bundle per poll, and an alert when it
        // comes faster than an MCP with a bug would send it.
        cycle.records.extend(unauthenticated_summary(&unsigned, now_ms));
        self.watch_refusal_rate(cycle, unsigned.len(), now_ms);
        cycle.run_checks_ordered =
            self.queued().iter().any(|(_, o)| matches!(o.as_ref().map(|o| &o.action), Ok(Action::RunChecks)));
    }

    /// Counts unauthenticated refusals per hour (see [`refusal_window`]);
    /// above [`REFUSAL_FLOOD`] an `order_flood` alert episode is open
    /// (re-alerted at most once per summary interval), closed by the first
    /// hour at or below it.
    pub(super) fn watch_refusal_rate(&mut self, cycle: &mut Cycle, new: usize, now_ms: i64) {
        let prev =
            self.store.get_state(REFUSAL_WINDOW).ok().flatten().and_then(|v| {
                v.split_once(' ').and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.parse::<u64>().ok()?)))
            });
        let w = refusal_window(prev, new as u64, now_ms);
        if w.close_episode {
            let _ = self.store.clear_alerts("order_flood");
        }
        if Some((w.start, w.count)) != prev {
            self.store.put_state(REFUSAL_WINDOW, &format!("{} {}", w.start, w.count));
        }
        if w.count > REFUSAL_FLOOD {
            cycle.records.push(Record::alert(
                "order_flood",
                "refusal_flood",
                format!(
                    "{} envelopes no configured key signed since {}: someone is feeding the MCP's orders; each poll's are summarised in one bundle",
                    w.count,
                    crate::clock::rfc3339_ms(w.start)
                ),
                now_ms,
            ));
        }
    }

    /// Queued orders, each verified again (a row in the database is not
    /// trusted on its own).
    pub(super) fn queued(&self) -> Vec<(String, Result<Order, Refusal>)> {
        let now = self.clock.now();
        let rows = match self.store.queued_orders() {
            Ok(r) => r,
            Err(e) => {
                log::error!("heal: cannot read queued orders: {e}");
                return Vec::new();
            }
        };
        rows.into_iter()
            .map(|q| {
                let verdict = match verify(&q.envelope, &self.policy, now) {
                    Verdict::Accepted(o) if o.envelope_sha256 == q.envelope_sha256 => Ok(o),
                    Verdict::Accepted(o) => Err(Refusal {
                        reason: Reason::Malformed,
                        envelope_sha256: q.envelope_sha256.clone(),
                        order_id: Some(o.order_id),
                        keyid: Some(o.keyid),
                        action: Some(o.action.name().to_string()),
                        expires_at: Some(o.expires_at),
                        detail: "stored envelope does not match its hash".into(),
                    }),
                    Verdict::Refused(r) => Err(r),
                };
                (q.envelope_sha256, verdict)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_window_counts_an_hour_and_closes_the_episode_after_a_quiet_one() {
        let h = 3_600_000;
        assert_eq!(refusal_window(None, 3, 10), RefusalWindow { start: 10, count: 3, close_episode: true });
        let w = refusal_window(Some((10, 60)), 10, 10 + h - 1);
        assert_eq!((w.start, w.count, w.close_episode), (10, 70, false));
        // The flood hour ended: a new hour starts; the episode stays open.
        let w = refusal_window(Some((10, 70)), 0, 10 + h);
        assert_eq!((w.start, w.count, w.close_episode), (10 + h, 0, false));
        // A quiet hour ended: the episode closes, even with nothing new.
        let w = refusal_window(Some((10 + h, 0)), 0, 10 + 2 * h);
        assert!(w.close_episode);
        // A window dated in the future (clock stepped back) starts over.
        assert_eq!(refusal_window(Some((5 * h, 99)), 1, h).start, h);
        assert_eq!(refusal_window(Some((0, u64::MAX)), 5, 1).count, u64::MAX);
    }
}
