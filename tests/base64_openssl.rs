//! The agent's base64 encoder against `openssl base64` on random inputs
//! of every length up to a few groups and some large ones: byte-identical
//! output (the MCP verifies the bundle bytes it decodes).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::io::Write;
use std::process::{Command, Stdio};

fn openssl_base64(data: &[u8]) -> String {
    let mut child = Command::new("openssl")
        .args(["base64", "-A"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl is installed (.ci/run installs it)");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim_end().to_string()
}

#[test]
fn encoder_matches_openssl() {
    let mut random = std::fs::File::open("/dev/urandom").unwrap();
    let lengths: Vec<usize> = (0..40).chain([255, 256, 257, 1023, 4096, 100_000]).collect();
    for len in lengths {
        let mut data = vec![0u8; len];
        std::io::Read::read_exact(&mut random, &mut data).unwrap();
        let ours = compliance_agent::encoding::base64_encode(&data);
        assert_eq!(ours, openssl_base64(&data), "length {len}");
        assert_eq!(compliance_agent::encoding::base64_decode(&ours).unwrap(), data);
    }
}
