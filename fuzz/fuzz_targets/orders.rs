//! Envelope parsing and verification under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    compliance_agent::orders::fuzz_input(data);
});
