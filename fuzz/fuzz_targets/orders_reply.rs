//! `compliance_agent::fuzzing::orders_reply` under libFuzzer (what it feeds and
//! asserts: its doc comment).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    compliance_agent::fuzzing::orders_reply(data);
});
