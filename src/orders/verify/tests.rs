use super::*;
use crate::checks::CheckName;
use crate::config::UnitName;
use crate::keys::SigningKey;
use crate::orders::dsse::sign;
use serde_json::json;

const NOW: i64 = 1_764_061_200;

fn key(n: u8) -> SigningKey {
    SigningKey::from_seed([n; 32])
}

fn policy() -> Policy {
    Policy {
        site_id: "clinic-042".into(),
        appliance_id: "appl-01".into(),
        keys: vec![
            OrderKey { keyid: "mcp-2026a".into(), public_key: *key(1).public() },
            OrderKey { keyid: "mcp-2026b".into(), public_key: *key(2).public() },
        ],
        max_clock_skew_secs: 300,
        max_order_ttl_secs: 86_400,
        actions: ActionPolicy {
            enabled_checks: CheckName::ALL.to_vec(),
            units: vec![UnitName::parse("sshd.service").unwrap()],
            flake_prefixes: vec!["github:clinic/appliance".into()],
        },
    }
}

fn payload() -> Value {
    json!({"order_id": "01JDZ0ABC", "site_id": "clinic-042", "appliance_id": "appl-01",
           "issued_at": NOW, "ttl_secs": 900, "action": "restart_service", "params": {"unit": "sshd.service"}})
}

fn signed(p: &Value) -> Vec<u8> {
    sign(p.to_string().as_bytes(), &[("mcp-2026a", &key(1))])
}

fn reason(bytes: &[u8]) -> Reason {
    match verify(bytes, &policy(), NOW) {
        Verdict::Refused(r) => r.reason,
        Verdict::Accepted(o) => panic!("accepted {o:?}"),
    }
}

fn with(field: &str, v: Value) -> Vec<u8> {
    let mut p = payload();
    p[field] = v;
    signed(&p)
}

#[test]
fn a_valid_order_is_accepted() {
    let bytes = signed(&payload());
    let Verdict::Accepted(o) = verify(&bytes, &policy(), NOW) else { panic!() };
    assert_eq!(o.order_id, "01JDZ0ABC");
    assert_eq!(o.keyid, "mcp-2026a");
    assert_eq!(o.expires_at, NOW + 900);
    assert_eq!(o.action, Action::RestartService { unit: UnitName::parse("sshd.service").unwrap() });
    assert_eq!(o.envelope_sha256, sha256_hex(&bytes));
}

#[test]
fn every_rejection_reason() {
    assert_eq!(reason(b"not json"), Reason::Malformed);
    assert_eq!(reason(b"{}"), Reason::Malformed);
    assert_eq!(reason(b"[]"), Reason::Malformed);
    // Unknown key id only.
    let other = sign(payload().to_string().as_bytes(), &[("mcp-rogue", &key(9))]);
    assert_eq!(reason(&other), Reason::UnknownKey);
    // Known key id, wrong key.
    let forged = sign(payload().to_string().as_bytes(), &[("mcp-2026a", &key(9))]);
    assert_eq!(reason(&forged), Reason::BadSignature);
    assert_eq!(reason(&with("site_id", json!("clinic-043"))), Reason::WrongSite);
    assert_eq!(reason(&with("appliance_id", json!("appl-02"))), Reason::WrongSite);
    assert_eq!(reason(&with("issued_at", json!(NOW + 301))), Reason::FutureDated);
    assert_eq!(reason(&with("ttl_secs", json!(86_401))), Reason::TtlTooLong);
    assert_eq!(reason(&with("action", json!("exec"))), Reason::UnknownAction);
    assert_eq!(reason(&with("params", json!({"unit": "postgresql.service"}))), Reason::InvalidParams);
    assert_eq!(reason(&with("issued_at", json!(NOW - 901))), Reason::TtlElapsed);
}

#[test]
fn boundaries_of_time_checks() {
    let ok = |bytes: &[u8]| matches!(verify(bytes, &policy(), NOW), Verdict::Accepted(_));
    assert!(ok(&with("issued_at", json!(NOW + 300))));
    assert!(ok(&with("ttl_secs", json!(86_400))));
    // now == issued_at + ttl is still valid; one second later it is not.
    assert!(ok(&with("issued_at", json!(NOW - 900))));
    assert_eq!(reason(&with("issued_at", json!(NOW - 901))), Reason::TtlElapsed);
    assert_eq!(reason(&with("ttl_secs", json!(0))), Reason::Malformed);
    assert_eq!(reason(&with("issued_at", json!(-5))), Reason::Malformed);
    assert_eq!(reason(&with("ttl_secs", json!(u64::MAX))), Reason::TtlTooLong);
}

#[test]
fn appliance_id_is_optional() {
    let mut p = payload();
    p.as_object_mut().unwrap().remove("appliance_id");
    assert!(matches!(verify(&signed(&p), &policy(), NOW), Verdict::Accepted(_)));
}

#[test]
fn second_signature_valid_passes() {
    let body = payload().to_string();
    let env = sign(body.as_bytes(), &[("mcp-2026a", &key(9)), ("mcp-2026b", &key(2))]);
    let Verdict::Accepted(o) = verify(&env, &policy(), NOW) else { panic!() };
    assert_eq!(o.keyid, "mcp-2026b");
    // Unknown first, valid second.
    let env = sign(body.as_bytes(), &[("nobody", &key(9)), ("mcp-2026a", &key(1))]);
    assert!(matches!(verify(&env, &policy(), NOW), Verdict::Accepted(_)));
}

#[test]
fn payload_is_not_read_before_the_signature_verifies() {
    // A forged envelope for another site is bad_signature, not wrong_site,
    // and its refusal carries no payload fields.
    let mut p = payload();
    p["site_id"] = json!("clinic-999");
    let forged = sign(p.to_string().as_bytes(), &[("mcp-2026a", &key(9))]);
    let Verdict::Refused(r) = verify(&forged, &policy(), NOW) else { panic!() };
    assert_eq!(r.reason, Reason::BadSignature);
    assert_eq!((r.order_id, r.action, r.keyid), (None, None, None));
    // A verified one carries them.
    let Verdict::Refused(r) = verify(&with("action", json!("exec")), &policy(), NOW) else { panic!() };
    assert_eq!(r.order_id.as_deref(), Some("01JDZ0ABC"));
    assert_eq!(r.action.as_deref(), Some("exec"));
    assert_eq!(r.keyid.as_deref(), Some("mcp-2026a"));
}

#[test]
fn malformed_envelopes() {
    let body = base64_encode_for_test(payload().to_string().as_bytes());
    let sig = "A".repeat(86) + "==";
    let cases = [
        json!({"payloadType": "application/json", "payload": body, "signatures": [{"keyid": "mcp-2026a", "sig": sig}]}),
        json!({"payloadType": PAYLOAD_TYPE, "payload": "%%%", "signatures": [{"keyid": "mcp-2026a", "sig": sig}]}),
        json!({"payloadType": PAYLOAD_TYPE, "payload": body, "signatures": []}),
        json!({"payloadType": PAYLOAD_TYPE, "payload": body, "signatures": vec![json!({"keyid": "x", "sig": sig}); 9]}),
        json!({"payloadType": PAYLOAD_TYPE, "payload": body, "signatures": [{"keyid": "mcp-2026a", "sig": sig}], "extra": 1}),
        json!({"payloadType": PAYLOAD_TYPE, "payload": body, "signatures": [{"sig": sig}]}),
    ];
    for c in cases {
        assert_eq!(reason(c.to_string().as_bytes()), Reason::Malformed, "{c}");
    }
    // A garbage signature by a known key id is bad_signature, not a panic.
    let env =
        json!({"payloadType": PAYLOAD_TYPE, "payload": body, "signatures": [{"keyid": "mcp-2026a", "sig": "!!"}]});
    assert_eq!(reason(env.to_string().as_bytes()), Reason::BadSignature);
    // Signed but unknown fields in the payload, or wrong types: malformed.
    assert_eq!(reason(&with("comment", json!("x"))), Reason::Malformed);
    assert_eq!(reason(&with("issued_at", json!("yesterday"))), Reason::Malformed);
    assert_eq!(reason(&with("order_id", json!("id with spaces"))), Reason::Malformed);
    assert_eq!(reason(&signed(&json!([1, 2]))), Reason::Malformed);
    // Duplicate keys, in params or at the top level, are malformed.
    let dup = payload()
        .to_string()
        .replace(r#""params":{"unit":"sshd.service"}"#, r#""params":{"unit":"nope.service","unit":"sshd.service"}"#);
    assert!(dup.contains("nope.service"));
    assert_eq!(reason(&sign(dup.as_bytes(), &[("mcp-2026a", &key(1))])), Reason::Malformed);
    let dup_top = payload().to_string().replacen(
        r#""site_id":"clinic-042""#,
        r#""site_id":"clinic-999","site_id":"clinic-042""#,
        1,
    );
    assert!(dup_top.contains("clinic-999"));
    assert_eq!(reason(&sign(dup_top.as_bytes(), &[("mcp-2026a", &key(1))])), Reason::Malformed);
}

fn base64_encode_for_test(b: &[u8]) -> String {
    crate::encoding::base64_encode(b)
}

#[test]
fn huge_issued_at_does_not_overflow() {
    assert_eq!(reason(&with("issued_at", json!(i64::MAX))), Reason::FutureDated);
    let mut p = payload();
    p["issued_at"] = json!(i64::MAX - 10);
    p["ttl_secs"] = json!(86_400);
    assert_eq!(reason(&signed(&p)), Reason::FutureDated);
}

fn refusal(bytes: &[u8]) -> Refusal {
    match verify(bytes, &policy(), NOW) {
        Verdict::Refused(r) => r,
        Verdict::Accepted(o) => panic!("accepted {o:?}"),
    }
}

#[test]
fn refusal_details_escape_control_characters_instead_of_dropping_them() {
    // Dropping the NUL would record the key id as one that looks configured.
    let env = sign(payload().to_string().as_bytes(), &[("mcp-test-a\u{0}", &key(9))]);
    let r = refusal(&env);
    assert_eq!(r.reason, Reason::UnknownKey);
    assert!(r.detail.contains(r#""mcp-test-a\u0000""#), "{}", r.detail);
    assert_eq!(r.detail, r#"signed only by unknown key ids ["mcp-test-a\u0000"]"#);
    // Signed payload fields: the action (detail and the evidence field), the site.
    let r = refusal(&with("action", json!("exec\u{1b}[2J")));
    assert_eq!(r.reason, Reason::UnknownAction);
    assert_eq!(r.action.as_deref(), Some(r"exec\u001b[2J"));
    assert_eq!(r.detail, r#"action "exec\u001b[2J""#);
    let r = refusal(&with("site_id", json!("clinic-042\n")));
    assert_eq!(r.detail, r#"for site "clinic-042\u000a""#);
    // A quote or backslash cannot close the quoted value or imitate an escape.
    let r = refusal(&with("appliance_id", json!(r#"appl-01", "x\u0000"#)));
    assert_eq!(r.detail, r#"for appliance "appl-01\", \"x\\u0000""#);
}

#[test]
fn malformed_details_escape_the_payload_type_and_parser_messages() {
    let body = base64_encode_for_test(payload().to_string().as_bytes());
    let env = json!({"payloadType": "text/plain\u{0}", "payload": body, "signatures": [{"keyid": "k", "sig": "AA=="}]});
    let r = refusal(env.to_string().as_bytes());
    assert_eq!(r.reason, Reason::Malformed);
    assert!(r.detail.starts_with(r#"payloadType "text/plain\u0000" is not "#), "{}", r.detail);
    // serde quotes an unknown field name verbatim; the detail escapes it.
    let r = refusal(&with("x\u{7}", json!(1)));
    assert_eq!(r.reason, Reason::Malformed);
    assert!(r.detail.contains(r"x\u0007"), "{}", r.detail);
    assert!(!r.detail.contains('\u{7}'), "{}", r.detail);
}

#[test]
fn long_values_are_cut_at_64_characters_of_the_original() {
    // 64 NULs escape to 384 characters; 65 are cut after the 64th.
    let id = "\u{0}".repeat(65);
    let env = sign(payload().to_string().as_bytes(), &[(id.as_str(), &key(9))]);
    let r = refusal(&env);
    let shown = format!("\"{}\"…", r"\u0000".repeat(64));
    assert_eq!(r.detail, format!("signed only by unknown key ids [{shown}]"));
}
