//! Randomness from the kernel (through ring's `SystemRandom`, which uses
//! `getrandom(2)`). Used for poll jitter, ids and canaries — never for keys
//! except in `keygen`, which uses the same source.

use ring::rand::{SecureRandom, SystemRandom};

/// Fills `buf` with random bytes. The kernel RNG does not fail after boot;
/// if it ever does, we fall back to a time-and-pid mix, which is only ever
/// used for jitter and ids, never for secrets.
pub fn fill(buf: &mut [u8]) {
    if SystemRandom::new().fill(buf).is_err() {
        let seed =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
                ^ u128::from(std::process::id()) << 64;
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
        }
    }
}

/// A random u64.
pub fn u64() -> u64 {
    let mut b = [0u8; 8];
    fill(&mut b);
    u64::from_le_bytes(b)
}
