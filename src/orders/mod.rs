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
/// without bound, whatever `data` is; an accepted order's action must
/// re-validate ([`crate::fuzzing::verify_envelope`]).
///
/// The first byte picks what `data[1..]` is: even → an MCP orders reply
/// (split, then every envelope verified); odd → an order payload, signed
/// with the fuzz key so that the code after signature verification (payload
/// parsing, binding, time and action checks) is reached too.
pub fn fuzz_input(data: &[u8]) {
    const NOW: i64 = 1_764_061_200;
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        if let Ok(list) = crate::mcp::parse_orders(rest) {
            for envelope in list {
                crate::fuzzing::verify_envelope(&envelope, NOW);
            }
        }
        crate::fuzzing::verify_envelope(rest, NOW);
    } else {
        let envelope = dsse::sign(rest, &[("fuzz", &crate::fuzzing::key())]);
        crate::fuzzing::verify_envelope(&envelope, NOW);
    }
}
