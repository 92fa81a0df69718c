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
/// re-validate ([`assert_revalidates`]).
///
/// The first byte picks what `data[1..]` is: even → an MCP orders reply
/// (split, then every envelope verified); odd → an order payload, signed
/// with the fuzz key so that the code after signature verification (payload
/// parsing, binding, time and action checks) is reached too.
pub fn fuzz_input(data: &[u8]) {
    const NOW: i64 = 1_764_061_200;
    let key = crate::keys::SigningKey::from_seed([0x42; 32]);
    let policy = fuzz_policy(&key);
    let Some((&mode, rest)) = data.split_first() else { return };
    let check = |envelope: &[u8]| {
        if let Verdict::Accepted(order) = verify(envelope, &policy, NOW) {
            assert_revalidates(&order, &policy);
        }
    };
    if mode % 2 == 0 {
        if let Ok(list) = crate::mcp::parse_orders(rest) {
            for envelope in list {
                check(&envelope);
            }
        }
        check(rest);
    } else {
        check(&dsse::sign(rest, &[("fuzz", &key)]));
    }
}

/// The policy the fuzz entry points verify under: `key` as keyid `fuzz`,
/// site `clinic-042`, appliance `appl-01`, every check enabled.
pub fn fuzz_policy(key: &crate::keys::SigningKey) -> Policy {
    use crate::config::{OrderKey, UnitName};
    Policy {
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
    }
}

/// Fuzzing invariant: an accepted order's action re-validates, unchanged,
/// from the parameters it stands for (panics otherwise).
pub fn assert_revalidates(order: &Order, policy: &Policy) {
    use serde_json::json;
    let params = match &order.action {
        Action::RunChecks | Action::TriggerBackup => json!({}),
        Action::Heal { check } => json!({"check": check.as_str()}),
        Action::RestartService { unit } => json!({"unit": unit.as_str()}),
        Action::NixosRebuild { flake_ref } => json!({"flake_ref": flake_ref}),
        Action::UpdateFirewallBaseline { ruleset, sha256 } => {
            assert!(crate::nftscript::parse(ruleset).is_ok(), "an accepted ruleset fails the nft filter");
            assert_eq!(&crate::encoding::sha256(ruleset.as_bytes()), sha256, "an accepted ruleset's hash differs");
            json!({"ruleset": ruleset, "sha256": crate::encoding::hex(sha256)})
        }
    };
    let params = params.as_object().cloned().unwrap_or_default();
    let again = Action::parse(order.action.name(), &params, &policy.actions);
    assert_eq!(again.as_ref(), Ok(&order.action), "an accepted order's action does not re-validate");
}
