//! docs/protocol.md's worked example, checked byte for byte: the keys, the
//! payload, its base64, the PAE bytes, the signature and the envelope in
//! the document are recomputed here, and the envelope must verify.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use compliance_agent::checks::CheckName;
use compliance_agent::config::{OrderKey, UnitName};
use compliance_agent::encoding::{base64_encode, hex};
use compliance_agent::keys::SigningKey;
use compliance_agent::orders::action::ActionPolicy;
use compliance_agent::orders::dsse::{pae, sign, PAYLOAD_TYPE};
use compliance_agent::orders::{verify, Policy, Verdict};

/// The text of the fenced block that follows `<!-- example:NAME -->`.
fn example(doc: &str, name: &str) -> String {
    let marker = format!("<!-- example:{name} -->");
    let at = doc.find(&marker).unwrap_or_else(|| panic!("docs/protocol.md has no {marker}"));
    let rest = &doc[at + marker.len()..];
    let open = rest.find("```").unwrap();
    let body = &rest[open..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let close = body.find("\n```").unwrap();
    body[..close].to_string()
}

#[test]
fn worked_example_matches_the_code() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/protocol.md")).unwrap();
    let seed: [u8; 32] = std::array::from_fn(|i| i as u8);
    let key = SigningKey::from_seed(seed);

    assert_eq!(example(&doc, "seed"), hex(&seed));
    let public_b64 = base64_encode(key.public().as_ref());
    assert_eq!(example(&doc, "public_key"), public_b64);

    let payload = example(&doc, "payload");
    assert_eq!(example(&doc, "payload_b64"), base64_encode(payload.as_bytes()));
    let pae_bytes = pae(PAYLOAD_TYPE, payload.as_bytes());
    assert_eq!(example(&doc, "pae"), String::from_utf8(pae_bytes.clone()).unwrap());
    assert_eq!(example(&doc, "signature"), base64_encode(&key.sign(&pae_bytes)));
    let envelope = sign(payload.as_bytes(), &[("mcp-2026a", &key)]);
    assert_eq!(example(&doc, "envelope"), String::from_utf8(envelope.clone()).unwrap());

    // And the agent accepts it (at a time inside its TTL).
    let policy = Policy {
        site_id: "clinic-042".into(),
        appliance_id: "appl-01".into(),
        keys: vec![OrderKey {
            keyid: "mcp-2026a".into(),
            public_key: compliance_agent::encoding::base64_decode(&public_b64).unwrap().try_into().unwrap(),
        }],
        max_clock_skew_secs: 300,
        max_order_ttl_secs: 86_400,
        actions: ActionPolicy {
            enabled_checks: CheckName::ALL.to_vec(),
            units: vec![UnitName::parse("sshd.service").unwrap()],
            flake_prefixes: vec![],
        },
    };
    let Verdict::Accepted(order) = verify(&envelope, &policy, 1_764_061_500) else { panic!("example does not verify") };
    assert_eq!(order.order_id, "01JDZ0Q5V8K3M9T2W4X6Y7Z8A1");
    println!("{}", example(&doc, "envelope"));
}
