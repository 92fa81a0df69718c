//! Orders from the MCP: DSSE envelopes signed with Ed25519 (docs/protocol.md).
//!
//! Owns: verifying an envelope ([`verify`], pure), the typed [`Action`]
//! allowlist, and the replay/duplicate bookkeeping ([`intake`]) that needs
//! the store. Must never: look at a payload before its signature verified,
//! persist attacker-controlled bytes in bulk, or turn any order into
//! anything but one of the [`Action`] variants.

pub mod action;
pub mod dsse;
pub mod intake;
pub mod verify;

pub use action::Action;
pub use verify::{verify, Order, Policy, Reason, Refusal, Verdict};

/// The fuzzing entry point (`fuzz/fuzz_targets/orders.rs` and the smoke
/// test in `tests/fuzz_smoke.rs`): must never panic, hang or allocate
/// without bound, whatever `data` is.
///
/// The first byte picks what `data[1..]` is: even → an MCP orders reply
/// (split, then every envelope verified); odd → an order payload, signed
/// with the fuzz key so that the code after signature verification (payload
/// parsing, binding, time and action checks) is reached too.
pub fn fuzz_input(data: &[u8]) {
    use crate::config::{OrderKey, UnitName};
    const NOW: i64 = 1_764_061_200;
    let key = crate::keys::SigningKey::from_seed([0x42; 32]);
    let policy = Policy {
        site_id: "clinic-042".into(),
        appliance_id: "appl-01".into(),
        keys: vec![OrderKey { keyid: "fuzz".into(), public_key: *key.public() }],
        max_clock_skew_secs: 300,
        max_order_ttl_secs: 86_400,
        actions: action::ActionPolicy {
            enabled_checks: crate::checks::CheckName::ALL.to_vec(),
            units: UnitName::parse("sshd.service").into_iter().collect(),
            flake_prefixes: vec!["github:clinic/appliance".into()],
        },
    };
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        if let Ok(list) = crate::mcp::parse_orders(rest) {
            for envelope in list {
                let _ = verify(&envelope, &policy, NOW);
            }
        }
        let _ = verify(rest, &policy, NOW);
    } else {
        let envelope = dsse::sign(rest, &[("fuzz", &key)]);
        let _ = verify(&envelope, &policy, NOW);
    }
}
