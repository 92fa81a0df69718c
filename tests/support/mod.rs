//! Shared test support. Each test binary uses a subset of it.
#![allow(dead_code)] // each integration test binary uses only part of the support code
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

pub mod child;
pub mod dns;
pub mod env;
pub mod mcp;
pub mod notify;
pub mod simhost;
pub mod sockets;
