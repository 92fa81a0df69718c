//! Connection reuse to the MCP over real mutual TLS on loopback: polls and
//! posts share one kept connection; replaced TLS material, a server that
//! closed the connection, and the firewall probe each get a new one.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::config::McpConfig;
use compliance_agent::mcp::{EvidenceItem, McpClient, Transport};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use support::mcp::{pki, McpServer};
use support::simhost::TempDir;

/// Copies `from` of the test PKI to `to` by writing a new file and renaming
/// it over the old one (how the provisioning guide says to replace them).
fn install(dir: &Path, from: &str, to: &str, mode: u32) {
    let tmp = dir.join(format!("{to}.new"));
    std::fs::copy(pki(from), &tmp).unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode)).unwrap();
    std::fs::rename(&tmp, dir.join(to)).unwrap();
}

fn setup() -> (McpServer, TempDir, McpClient) {
    let server = McpServer::start();
    server.keep_alive();
    let dir = TempDir::new("mcp-reuse");
    install(dir.path(), "ca.pem", "ca.pem", 0o644);
    install(dir.path(), "client.pem", "client.pem", 0o644);
    install(dir.path(), "client.key", "client.key", 0o600);
    let cfg = McpConfig {
        base_url: server.url(),
        ca_file: dir.path().join("ca.pem"),
        client_cert_file: dir.path().join("client.pem"),
        client_key_file: dir.path().join("client.key"),
        order_keys: Vec::new(),
        receipt_keys: Vec::new(),
        connect_timeout_secs: 5,
        request_timeout_secs: 10,
        cert_expiry_warn_days: 30,
    };
    let client = McpClient::new(&cfg, "site-a", "appliance-1").unwrap();
    (server, dir, client)
}

fn item(n: u8) -> EvidenceItem {
    let bundle = format!("{{\"site_id\":\"site-a\",\"appliance_id\":\"appliance-1\",\"n\":{n}}}");
    EvidenceItem {
        bundle_id: format!("b{n}"),
        bundle: compliance_agent::encoding::base64_encode(bundle.as_bytes()),
        signature: compliance_agent::encoding::base64_encode(&[n; 64]),
    }
}

#[test]
fn polls_and_posts_share_one_kept_connection() {
    let (server, _dir, client) = setup();
    for _ in 0..3 {
        assert_eq!(client.fetch_orders().unwrap(), Vec::<Vec<u8>>::new());
    }
    let receipts = client.post_evidence(&[item(1), item(2)]).unwrap();
    assert_eq!(receipts.len(), 2);
    client.fetch_orders().unwrap();
    assert_eq!(server.requests().len(), 5);
    assert_eq!(server.accepts(), 1, "every request after the first reuses the connection");
}

#[test]
fn replaced_client_certificate_or_ca_gets_a_new_full_handshake() {
    let (server, dir, client) = setup();
    client.fetch_orders().unwrap();
    client.fetch_orders().unwrap();
    assert_eq!(server.accepts(), 1);
    // A rotation to the same CA's certificate: the next request connects
    // anew, with a full handshake (the old session tickets are gone too).
    install(dir.path(), "client.pem", "client.pem", 0o644);
    client.fetch_orders().unwrap();
    assert_eq!(server.accepts(), 2);
    install(dir.path(), "ca.pem", "ca.pem", 0o644);
    client.fetch_orders().unwrap();
    assert_eq!(server.accepts(), 3);
    assert_eq!(server.resumed(), 0, "no handshake after a rotation resumes an old session");
    // The new material is what is presented: a certificate from a CA the
    // server does not accept is refused, although a working connection
    // with the old one was kept.
    install(dir.path(), "rogue-client.key", "client.key", 0o600);
    install(dir.path(), "rogue-client.pem", "client.pem", 0o644);
    let err = client.fetch_orders().unwrap_err();
    assert!(matches!(err.reason(), "mcp_tls" | "mcp_unreachable"), "{err:?}");
    assert_eq!(server.accepts(), 4);
    assert_eq!(server.handshake_errors().len(), 1, "{:?}", server.handshake_errors());
    // Half a rotation (a key that does not match the certificate) is
    // refused before connecting, never papered over with the old material.
    install(dir.path(), "client.key", "client.key", 0o600);
    let err = client.fetch_orders().unwrap_err();
    assert_eq!(err.reason(), "mcp_tls");
    assert!(err.to_string().contains("mcp.client_key_file"), "{err}");
    assert_eq!(server.accepts(), 4);
    install(dir.path(), "client.pem", "client.pem", 0o644);
    client.fetch_orders().unwrap();
    assert_eq!(server.accepts(), 5);
}

#[test]
fn a_connection_the_server_closed_is_replaced_transparently() {
    let (server, _dir, client) = setup();
    client.fetch_orders().unwrap();
    // The server times out the idle connection (close_notify and FIN)
    // between two cycles.
    server.close_idle();
    client.fetch_orders().unwrap();
    assert_eq!(server.accepts(), 2);
    // The server closes the connection just as the request arrives: the
    // request is sent once more on a new connection, not reported as an
    // MCP that is down.
    server.drop_reused_requests(1);
    client.fetch_orders().unwrap();
    assert_eq!(server.accepts(), 3);
    server.drop_reused_requests(1);
    assert_eq!(client.post_evidence(&[item(3)]).unwrap().len(), 1);
    assert_eq!(server.accepts(), 4);
    assert_eq!(server.evidence().len(), 1);
    // Once only: a server that drops the retry too is a failure.
    client.fetch_orders().unwrap();
    assert_eq!(server.accepts(), 4);
}

#[test]
fn the_probe_takes_a_new_connection_and_a_full_handshake() {
    let (server, _dir, client) = setup();
    client.fetch_orders().unwrap();
    client.probe().unwrap();
    assert_eq!(server.accepts(), 2, "the probe never uses the kept connection");
    client.probe().unwrap();
    assert_eq!(server.accepts(), 3);
    assert_eq!(server.resumed(), 0, "a probe never resumes a session");
    // The kept connection is still the one polls use.
    client.fetch_orders().unwrap();
    assert_eq!(server.accepts(), 3);
}
