//! Flush: pushing the outbox to the MCP (`POST /api/v1/evidence`,
//! docs/protocol.md).
//!
//! Unpushed bundles go in seq order, in batches of at most 256 items and
//! 1 MiB of request body. A bundle is marked pushed only on a receipt whose
//! sha256 matches the stored bytes (and, with receipt keys configured,
//! whose signature verifies: `evidence::receipts`). Failures back off exponentially (capped,
//! with jitter); one Flush stops after a time budget and a bundle budget, so
//! a large backlog drains over several cycles at a steady rate instead of
//! flooding the server or delaying the loop.

use super::receipts::ReceiptCheck;
use crate::encoding::base64_encode_into;
use crate::exec::{Heartbeat, NoHeartbeat};
#[cfg(doc)]
use crate::mcp::EvidenceItem;
use crate::mcp::{McpError, Transport};
use crate::store::{Store, StoreError, StoredBundle};
use std::time::{Duration, Instant};

/// Protocol limit: items per POST.
pub const MAX_BATCH_ITEMS: usize = 256;
/// Protocol limit: request body bytes per POST.
pub const MAX_BATCH_BYTES: usize = 1 << 20;
/// What a batch aims for: a quarter of the protocol limit. A batch exists three
/// times at once while it is sent (stored bytes, base64 items, request
/// body), so this keeps the daemon's peak memory within its budget.
pub const TARGET_BATCH_BYTES: usize = MAX_BATCH_BYTES / 4;

const FAILURES: &str = "flush.failures";
const NEXT_ATTEMPT_MS: &str = "flush.next_attempt_ms";
const LAST_PUSH_MS: &str = "flush.last_push_ms";
const LAST_ERROR_CLASS: &str = "flush.last_error_class";

/// Flush limits (from `evidence.*` config).
#[derive(Debug, Clone)]
pub struct FlushLimits {
    /// Items per batch (≤ 256).
    pub batch_items: usize,
    /// Bundles pushed per Flush at most.
    pub max_per_flush: usize,
    /// Wall time one Flush may take.
    pub time_budget: Duration,
    /// First back-off delay.
    pub backoff_initial: Duration,
    /// Back-off cap.
    pub backoff_max: Duration,
}

/// What one Flush did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Bundles marked pushed.
    pub pushed: usize,
    /// POSTs made.
    pub batches: usize,
    /// Receipts that did not match (bundle stays unpushed).
    pub mismatched: usize,
    /// Receipts whose signature is missing or does not verify while
    /// receipt keys are configured (bundle stays unpushed).
    pub unverified: usize,
    /// Why the first of those did not count.
    pub receipt_problem: Option<String>,
    /// Skipped because of back-off.
    pub backing_off: bool,
    /// The failure that ended this Flush, if any.
    pub error: Option<McpError>,
    /// Stopped because a budget ran out (more remains).
    pub budget_exhausted: bool,
}

/// The time of the last successful push (Unix ms), from the store.
pub fn last_push_ms(store: &Store) -> Option<i64> {
    store.get_state(LAST_PUSH_MS).ok().flatten().and_then(|v| v.parse().ok())
}

/// Pushes unpushed bundles. `reachable` says the MCP just answered a poll:
/// then a back-off that began with a connection failure is cut short (a
/// back-off after the server refused our POST is kept).
pub fn flush(
    store: &Store,
    mcp: &dyn Transport,
    limits: &FlushLimits,
    now_ms: i64,
    reachable: bool,
) -> Result<FlushReport, StoreError> {
    flush_with(store, mcp, limits, now_ms, reachable, &NoHeartbeat)
}

/// [`flush`], beating `heartbeat` (the systemd watchdog) before each POST.
pub fn flush_with(
    store: &Store,
    mcp: &dyn Transport,
    limits: &FlushLimits,
    now_ms: i64,
    reachable: bool,
    heartbeat: &dyn Heartbeat,
) -> Result<FlushReport, StoreError> {
    flush_checked(store, mcp, limits, &ReceiptCheck::default(), now_ms, reachable, heartbeat)
}

/// [`flush_with`], counting only receipts that `receipts` accepts.
pub fn flush_checked(
    store: &Store,
    mcp: &dyn Transport,
    limits: &FlushLimits,
    receipts: &ReceiptCheck,
    now_ms: i64,
    reachable: bool,
    heartbeat: &dyn Heartbeat,
) -> Result<FlushReport, StoreError> {
    let mut report = FlushReport::default();
    let next_attempt: i64 = store.get_state(NEXT_ATTEMPT_MS)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let network_failure =
        store.get_state(LAST_ERROR_CLASS)?.is_none_or(|c| matches!(c.as_str(), "dns" | "connect" | "timeout" | "tls"));
    let force = reachable && network_failure;
    if !force && now_ms < next_attempt {
        report.backing_off = true;
        return Ok(report);
    }
    let started = Instant::now();
    let batch_items = limits.batch_items.clamp(1, MAX_BATCH_ITEMS);
    let mut after = 0u64;
    // Bundles sent, receipted or not: the per-flush limit bounds what goes
    // to the MCP, so an MCP whose receipts never count is not sent the
    // whole backlog every cycle.
    let mut sent = 0usize;
    loop {
        if sent >= limits.max_per_flush || started.elapsed() >= limits.time_budget {
            report.budget_exhausted = !store.unpushed(after, 1)?.is_empty();
            break;
        }
        let want = batch_items.min(limits.max_per_flush - sent);
        let candidates = store.unpushed(after, want)?;
        if candidates.is_empty() {
            break;
        }
        let batch = fit_batch(&candidates);
        after = batch.last().map_or(after, |b| b.seq);
        let body = request_body(batch);
        heartbeat.beat();
        crate::crashpoint::hit("flush-before-post");
        report.batches += 1;
        sent += batch.len();
        match mcp.post_evidence_body(&body) {
            Err(e) => {
                record_failure(store, limits, now_ms)?;
                store.set_state(LAST_ERROR_CLASS, e.class())?;
                report.error = Some(e);
                return Ok(report);
            }
            Ok(got) => {
                crate::crashpoint::hit("flush-after-post");
                let mut counted = Vec::with_capacity(got.len());
                for (i, r) in got.iter().enumerate() {
                    // Receipts usually come in the order of the items.
                    let ours = batch.get(i).is_some_and(|b| b.bundle_id == r.bundle_id)
                        || batch.iter().any(|b| b.bundle_id == r.bundle_id);
                    if !ours {
                        continue;
                    }
                    if let Err(why) = receipts.verify(r) {
                        report.unverified += 1;
                        let what = format!("receipt for {}: {why}", crate::validate::escaped(&r.bundle_id));
                        log::warn!("flush: {what}; the bundle stays unpushed and is sent again");
                        report.receipt_problem.get_or_insert(what);
                        continue;
                    }
                    counted.push((r.bundle_id.as_str(), r.sha256.as_str(), r.received_at.as_str()));
                }
                for (matched, (bundle_id, ..)) in store.mark_pushed_all(&counted, now_ms)?.into_iter().zip(&counted) {
                    if matched {
                        report.pushed += 1;
                    } else {
                        report.mismatched += 1;
                        log::warn!(
                            "flush: receipt for {} does not match the stored bytes; will re-send",
                            crate::validate::escaped(bundle_id)
                        );
                    }
                }
                crate::crashpoint::hit("flush-after-receipts");
            }
        }
    }
    if report.batches > 0 && report.error.is_none() && report.pushed == 0 && report.unverified + report.mismatched > 0 {
        // The MCP answered, but no receipt counted (unsigned, wrongly
        // signed, or for other bytes): back off as after a failure rather
        // than re-sending everything next cycle.
        record_failure(store, limits, now_ms)?;
        store.set_state(LAST_ERROR_CLASS, "receipt")?;
    } else if report.batches > 0 && report.error.is_none() {
        store.set_state(FAILURES, "0")?;
        store.set_state(NEXT_ATTEMPT_MS, "0")?;
        if report.pushed > 0 {
            store.set_state(LAST_PUSH_MS, &now_ms.to_string())?;
        }
    }
    Ok(report)
}

/// The request body of `POST /api/v1/evidence` for `batch`: the JSON array
/// of items (docs/protocol.md), written straight into one buffer — the
/// base64 of each bundle goes into the body, not into a string first — and
/// byte for byte what serialising [`EvidenceItem`]s gives.
pub fn request_body(batch: &[StoredBundle]) -> Vec<u8> {
    let size: usize =
        batch.iter().map(|b| (b.bytes.len() + b.signature.len()).div_ceil(3) * 4 + b.bundle_id.len() + 52).sum();
    let mut body = Vec::with_capacity(size + 2);
    body.push(b'[');
    for (i, b) in batch.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(b"{\"bundle_id\":");
        json_string(&mut body, &b.bundle_id);
        body.extend_from_slice(b",\"bundle\":\"");
        base64_encode_into(&b.bytes, &mut body);
        body.extend_from_slice(b"\",\"signature\":\"");
        base64_encode_into(&b.signature, &mut body);
        body.extend_from_slice(b"\"}");
    }
    body.push(b']');
    body
}

/// Appends `s` as a JSON string. Bundle ids are ULID-like and need no
/// escaping; anything else goes through serde_json's escaping.
fn json_string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|c| c.is_ascii_graphic() && c != b'"' && c != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let escaped = serde_json::Value::String(s.to_string()).to_string();
        out.extend_from_slice(escaped.as_bytes());
    }
}

/// The longest prefix of `candidates` whose request body stays under the
/// byte limit (always at least one bundle; bundles are capped well below).
fn fit_batch(candidates: &[StoredBundle]) -> &[StoredBundle] {
    let mut total = 2; // [ ]
    for (i, b) in candidates.iter().enumerate() {
        let item = b.bytes.len().div_ceil(3) * 4 + 88 + b.bundle_id.len() + 48;
        if i > 0 && total + item > TARGET_BATCH_BYTES {
            return &candidates[..i];
        }
        total += item;
    }
    candidates
}

fn record_failure(store: &Store, limits: &FlushLimits, now_ms: i64) -> Result<(), StoreError> {
    let failures: u32 = store.get_state(FAILURES)?.and_then(|v| v.parse::<u32>().ok()).unwrap_or(0).saturating_add(1);
    store.set_state(FAILURES, &failures.to_string())?;
    let delay = backoff(failures, limits.backoff_initial, limits.backoff_max, crate::rand::u64());
    store.set_state(NEXT_ATTEMPT_MS, &(now_ms + delay.as_millis() as i64).to_string())
}

/// Capped exponential back-off with jitter: `initial · 2^(n-1)`, capped at
/// `max`, then a random 50–100 % of that (so appliances that lost the MCP
/// together do not return in lock-step).
pub fn backoff(failures: u32, initial: Duration, max: Duration, random: u64) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    let full = initial.saturating_mul(1 << exp).min(max);
    let ms = full.as_millis() as u64;
    let half = ms / 2;
    Duration::from_millis(half + if half == 0 { 0 } else { random % (ms - half + 1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_body_is_the_serialised_items() {
        let bundle = |seq: u64, id: &str, bytes: &[u8]| StoredBundle {
            seq,
            bundle_id: id.to_string(),
            kind: "cycle".into(),
            sha256: crate::encoding::sha256_hex(bytes),
            bytes: bytes.to_vec(),
            signature: vec![seq as u8; 64],
            created_ms: 0,
            pushed_ms: None,
        };
        let batch = [
            bundle(1, "01JD0000000000000000000001", b"{\"seq\":1}"),
            bundle(2, "odd \"id\"\\\u{7}é", b"x"),
            bundle(3, "", b""),
        ];
        let items: Vec<crate::mcp::EvidenceItem> = batch
            .iter()
            .map(|b| crate::mcp::EvidenceItem {
                bundle_id: b.bundle_id.clone(),
                bundle: crate::encoding::base64_encode(&b.bytes),
                signature: crate::encoding::base64_encode(&b.signature),
            })
            .collect();
        assert_eq!(request_body(&batch), serde_json::to_vec(&items).unwrap());
        assert_eq!(request_body(&[]), b"[]");
    }

    #[test]
    fn backoff_grows_and_caps() {
        let i = Duration::from_secs(30);
        let m = Duration::from_secs(600);
        assert_eq!(backoff(1, i, m, 0), Duration::from_secs(15));
        assert_eq!(backoff(1, i, m, 15_000), Duration::from_secs(30));
        assert_eq!(backoff(2, i, m, 0), Duration::from_secs(30));
        assert_eq!(backoff(3, i, m, 0), Duration::from_secs(60));
        assert_eq!(backoff(10, i, m, 0), Duration::from_secs(300));
        assert_eq!(backoff(u32::MAX, i, m, 0), Duration::from_secs(300));
        for r in [0, 7, 123_456_789] {
            let d = backoff(40, i, m, r);
            assert!(d >= Duration::from_secs(300) && d <= m, "{d:?}");
        }
    }
}
