//! Order intake: verification plus the history-dependent decisions
//! (duplicate, replay) and queueing, with the store.
//!
//! The same envelope bytes again are skipped silently (the MCP re-lists
//! orders until it sees their evidence), whatever the first verdict was,
//! so a bad envelope yields one refusal, not one per minute. The same
//! order id with different bytes is refused as `replay`. Rows are kept at
//! least until the order's expiry plus the clock skew (plus a day, so a
//! re-listed expired order is not reported again every cycle).

use super::verify::{verify, Order, Policy, Reason, Refusal, Verdict};
use crate::encoding::sha256_hex;
use crate::evidence::{Kind, OrderRef, Outcome, Record};
use crate::store::{SeenOrder, Store, StoreError};

/// State key: orders issued before this Unix time are refused as possible
/// replays (set when the order history was lost with a database).
pub use crate::store::ORDERS_NOT_BEFORE as NOT_BEFORE;

/// Extra time refusal rows are remembered beyond expiry + skew.
const REMEMBER_EXTRA_SECS: i64 = 86_400;

/// Rows kept for envelopes no signature vouched for (see
/// [`Store::cap_unsigned_orders`]).
const MAX_UNSIGNED_ROWS: u64 = 4096;

/// Hashes listed in one poll's summary of unauthenticated refusals.
pub const MAX_LISTED_REFUSALS: usize = 16;

/// What happened to one envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    /// Valid and new: queued for Heal.
    Queued(Order),
    /// Seen before with the same bytes: nothing to do.
    Duplicate,
    /// Refused (outcome `rejected`, or `expired`).
    Refused(Refusal),
}

/// Verifies one envelope, checks it against history and records it.
pub fn intake(store: &Store, bytes: &[u8], policy: &Policy, now: i64) -> Result<Intake, StoreError> {
    let hash = sha256_hex(bytes);
    if store.envelope_seen(&hash)? {
        return Ok(Intake::Duplicate);
    }
    let skew = i64::try_from(policy.max_clock_skew_secs).unwrap_or(i64::MAX / 4);
    let max_ttl = i64::try_from(policy.max_order_ttl_secs).unwrap_or(i64::MAX / 4);
    match verify(bytes, policy, now) {
        Verdict::Accepted(order) => {
            let not_before: Option<i64> = store.get_state(NOT_BEFORE)?.and_then(|v| v.parse().ok());
            let replay = if not_before.is_some_and(|nb| order.issued_at < nb) {
                Some("issued before the order history was lost; re-issue it")
            } else if store.order_id_seen_with_other_bytes(&order.order_id, &hash)? {
                Some("order id seen before with different envelope bytes")
            } else {
                None
            };
            if let Some(detail) = replay {
                let refusal = Refusal {
                    reason: Reason::Replay,
                    envelope_sha256: hash,
                    order_id: Some(order.order_id.clone()),
                    keyid: Some(order.keyid.clone()),
                    action: Some(order.action.name().to_string()),
                    expires_at: Some(order.expires_at),
                    detail: detail.into(),
                };
                remember_refusal(store, &refusal, now, now.saturating_add(max_ttl + skew + REMEMBER_EXTRA_SECS))?;
                return Ok(Intake::Refused(refusal));
            }
            store.remember_order(&SeenOrder {
                envelope_sha256: &hash,
                order_id: Some(&order.order_id),
                state: "queued",
                reason: None,
                action: Some(order.action.name()),
                keyid: Some(&order.keyid),
                expires_at: Some(order.expires_at),
                envelope: Some(bytes),
                now,
                keep_until: order.expires_at.max(now).saturating_add(skew + REMEMBER_EXTRA_SECS),
            })?;
            Ok(Intake::Queued(order))
        }
        Verdict::Refused(refusal) => {
            let keep = refusal.expires_at.unwrap_or(now.saturating_add(max_ttl)).max(now);
            remember_refusal(store, &refusal, now, keep.saturating_add(skew + REMEMBER_EXTRA_SECS))?;
            if unauthenticated(&refusal) {
                store.cap_unsigned_orders(MAX_UNSIGNED_ROWS)?;
            }
            Ok(Intake::Refused(refusal))
        }
    }
}

/// A refusal made before any signature by a configured key verified
/// (`malformed` envelopes, `unknown_key`, `bad_signature`): nobody we trust
/// stands behind its bytes, so anyone who can reach the MCP's front end can
/// produce any number of them.
pub fn unauthenticated(r: &Refusal) -> bool {
    r.keyid.is_none()
}

/// One poll's unauthenticated refusals as one record, however many there
/// were: their count by reason and the first [`MAX_LISTED_REFUSALS`]
/// envelope hashes with their reasons (in `pre_state`). A single refusal
/// keeps the shape every refusal had (its `order` names the envelope).
pub fn unauthenticated_summary(refusals: &[Refusal], now_ms: i64) -> Option<Record> {
    let first = refusals.first()?;
    let mut by_reason: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for r in refusals {
        *by_reason.entry(r.reason.as_str()).or_default() += 1;
    }
    let reason = if by_reason.len() == 1 { first.reason.as_str() } else { "unauthenticated" };
    let listed: Vec<serde_json::Value> = refusals
        .iter()
        .take(MAX_LISTED_REFUSALS)
        .map(|r| serde_json::json!({"envelope_sha256": r.envelope_sha256, "reason": r.reason.as_str()}))
        .collect();
    let counts: Vec<String> = by_reason.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let mut rec = if refusals.len() == 1 {
        refusal_record(first, now_ms)
    } else {
        Record::new(Kind::Order, Outcome::Rejected, now_ms).reason(reason).detail(format!(
            "{} envelopes refused before any signature verified ({}); {} of their hashes listed",
            refusals.len(),
            counts.join(", "),
            listed.len()
        ))
    };
    rec.pre_state = Some(serde_json::json!({
        "unauthenticated_envelopes": refusals.len(),
        "by_reason": by_reason,
        "envelopes": listed,
        "not_listed": refusals.len().saturating_sub(MAX_LISTED_REFUSALS),
    }));
    Some(rec)
}

fn remember_refusal(store: &Store, r: &Refusal, now: i64, keep_until: i64) -> Result<(), StoreError> {
    let state = if r.reason == Reason::TtlElapsed { "expired" } else { "rejected" };
    store.remember_order(&SeenOrder {
        envelope_sha256: &r.envelope_sha256,
        order_id: r.order_id.as_deref(),
        state,
        reason: Some(r.reason.as_str()),
        action: r.action.as_deref(),
        keyid: r.keyid.as_deref(),
        expires_at: r.expires_at,
        envelope: None,
        now,
        keep_until,
    })
}

/// The evidence record for a refusal.
pub fn refusal_record(r: &Refusal, now_ms: i64) -> Record {
    let outcome = if r.reason == Reason::TtlElapsed { Outcome::Expired } else { Outcome::Rejected };
    let mut rec = Record::new(Kind::Order, outcome, now_ms).reason(r.reason.as_str()).detail(r.detail.clone());
    rec.order = Some(OrderRef {
        order_id: r.order_id.clone(),
        keyid: r.keyid.clone(),
        action: r.action.clone(),
        envelope_sha256: r.envelope_sha256.clone(),
    });
    rec
}

/// The [`OrderRef`] of an accepted order.
pub fn order_ref(o: &Order) -> OrderRef {
    OrderRef {
        order_id: Some(o.order_id.clone()),
        keyid: Some(o.keyid.clone()),
        action: Some(o.action.name().to_string()),
        envelope_sha256: o.envelope_sha256.clone(),
    }
}
