//! A short, deterministic run of the fuzz target (`fuzz/fuzz_targets/orders.rs`)
//! on every test run: seeds of every shape, then bit flips, truncations,
//! insertions and splices driven by a fixed-seed PRNG. The coverage-guided
//! run needs cargo-fuzz (README, "Fuzzing"); this catches regressions in CI.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use compliance_agent::keys::SigningKey;
use compliance_agent::orders::{dsse::sign, fuzz_input};
use serde_json::json;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let key = SigningKey::from_seed([0x42; 32]);
    let payload =
        json!({"order_id": "o1", "site_id": "clinic-042", "appliance_id": "appl-01", "issued_at": 1_764_061_200,
                         "ttl_secs": 900, "action": "restart_service", "params": {"unit": "sshd.service"}})
        .to_string();
    let env = sign(payload.as_bytes(), &[("fuzz", &key)]);
    let list = [b"[".to_vec(), env.clone(), b",".to_vec(), env.clone(), b"]".to_vec()].concat();
    let mut out = vec![];
    for body in [env.clone(), list, b"[]".to_vec(), b"{}".to_vec(), b"[{\"payloadType\":1}]".to_vec()] {
        out.push([vec![0u8], body].concat());
    }
    for p in [
        payload.clone(),
        payload.replace("restart_service", "update_firewall_baseline"),
        payload.replace("900", "18446744073709551615"),
        payload.replace("1764061200", "-9223372036854775808"),
        "{\"params\": [".repeat(50),
        String::new(),
    ] {
        out.push([vec![1u8], p.into_bytes()].concat());
    }
    out
}

#[test]
fn fuzz_target_survives_mutations() {
    let seeds = seeds();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for s in &seeds {
        fuzz_input(s);
    }
    for _ in 0..20_000 {
        let mut data = seeds[rng.below(seeds.len())].clone();
        for _ in 0..=rng.below(4) {
            match rng.below(5) {
                0 if !data.is_empty() => {
                    let i = rng.below(data.len());
                    data[i] ^= 1 << rng.below(8);
                }
                1 if !data.is_empty() => data.truncate(rng.below(data.len())),
                2 => {
                    let i = rng.below(data.len() + 1);
                    let b = b"\"{}[],:0-9eE\\\xff\x00"[rng.below(15)];
                    data.insert(i, b);
                }
                3 => {
                    let other = &seeds[rng.below(seeds.len())];
                    let at = rng.below(data.len() + 1);
                    let from = rng.below(other.len() + 1);
                    data.splice(at..at, other[from..].iter().copied().take(64));
                }
                _ if data.len() > 1 => {
                    let i = 1 + rng.below(data.len() - 1);
                    data[i] = data[i].wrapping_add(1);
                }
                _ => {}
            }
        }
        fuzz_input(&data);
    }
}
