//! The MCP client's TLS material: reading and checking the CA, client
//! certificate and key, the identity of their files (a rotation is noticed
//! by it), and the ureq agent built on them.
//!
//! Owns: turning `mcp.*_file` into a TLS configuration or an error naming
//! the key. Must never: trust a root that is not the configured CA, or
//! accept a key file that group or others can read.

use super::{InlineResolver, SetupError, MAX_CONNECTION_REUSE};
use crate::config::McpConfig;
use std::sync::Arc;
use std::time::Duration;
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::transport::DefaultConnector;

/// Largest CA, certificate or key file read (a chain of a few certificates
/// is a few KiB).
const MAX_PEM_BYTES: u64 = 1 << 20;

/// Identity of a TLS file: a replaced (`mv`), rewritten or re-linked file
/// has another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

fn file_id(path: &std::path::Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    // The files are read following symlinks (agenix and sops-nix link
    // them), so their identity is the target's.
    let m = std::fs::metadata(path).ok()?;
    Some(FileId {
        dev: m.dev(),
        ino: m.ino(),
        size: m.size(),
        mtime: (m.mtime(), m.mtime_nsec()),
        ctime: (m.ctime(), m.ctime_nsec()),
    })
}

pub(super) fn tls_files(cfg: &McpConfig) -> [Option<FileId>; 3] {
    [file_id(&cfg.ca_file), file_id(&cfg.client_cert_file), file_id(&cfg.client_key_file)]
}

/// Reads and checks the CA, client certificate chain and key.
pub(super) fn tls_config(cfg: &McpConfig) -> Result<TlsConfig, SetupError> {
    let read = |key: &'static str, path: &std::path::Path| {
        crate::fsutil::read_capped(path, MAX_PEM_BYTES, crate::fsutil::Follow::Symlinks)
            .map_err(|e| SetupError { key, message: format!("{}: {e}", path.display()) })
    };
    let ca_pem = read("mcp.ca_file", &cfg.ca_file)?;
    let roots = pem_certificates(&ca_pem, "mcp.ca_file", &cfg.ca_file)?;
    let cert_pem = read("mcp.client_cert_file", &cfg.client_cert_file)?;
    let chain = pem_certificates(&cert_pem, "mcp.client_cert_file", &cfg.client_cert_file)?;
    check_private(&cfg.client_key_file).map_err(|message| SetupError { key: "mcp.client_key_file", message })?;
    let key_pem = read("mcp.client_key_file", &cfg.client_key_file)?;
    let key = PrivateKey::from_pem(&key_pem).map_err(|e| SetupError {
        key: "mcp.client_key_file",
        message: format!("{}: {e}", cfg.client_key_file.display()),
    })?;

    validate_tls_material(&ca_pem, &cert_pem, &key_pem)?;
    Ok(TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .client_cert(Some(ClientCert::new_with_certs(&chain, key)))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .build())
}

/// An agent on `tls`; `idle` connections kept (0: every request on a new
/// connection).
pub(super) fn ureq_agent(cfg: &McpConfig, tls: &TlsConfig, idle: usize) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .tls_config(tls.clone())
        .https_only(true)
        .proxy(None)
        .max_redirects(0)
        .max_redirects_will_error(true)
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(cfg.connect_timeout_secs)))
        .timeout_global(Some(Duration::from_secs(cfg.request_timeout_secs)))
        .user_agent(format!("compliance-agent/{}", env!("CARGO_PKG_VERSION")))
        .max_idle_connections(idle)
        .max_idle_connections_per_host(idle)
        .max_idle_age(MAX_CONNECTION_REUSE)
        .build();
    ureq::Agent::with_parts(config, DefaultConnector::new(), InlineResolver)
}

/// The certificates in a PEM file; none is an error naming the config key.
fn pem_certificates(
    pem: &[u8],
    key: &'static str,
    path: &std::path::Path,
) -> Result<Vec<Certificate<'static>>, SetupError> {
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(SetupError { key, message: format!("{}: no PEM certificate found", path.display()) });
    }
    Ok(certs)
}

/// Builds the rustls client configuration once, so that a key that does not
/// match its certificate, an unsupported key type or an unusable CA is a
/// configuration error at start-up (exit 78). ureq would only build it at
/// the first connection, and it treats a failure there as a bug (panic).
fn validate_tls_material(ca_pem: &[u8], cert_pem: &[u8], key_pem: &[u8]) -> Result<(), SetupError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem) {
        let c = c.map_err(|e| SetupError { key: "mcp.ca_file", message: format!("bad PEM: {e}") })?;
        roots
            .add(c)
            .map_err(|e| SetupError { key: "mcp.ca_file", message: format!("unusable CA certificate: {e}") })?;
    }
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| SetupError { key: "mcp.client_cert_file", message: format!("bad PEM: {e}") })?;
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| SetupError { key: "mcp.client_key_file", message: format!("bad PEM private key: {e}") })?;
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| SetupError { key: "mcp", message: format!("TLS setup: {e}") })?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| SetupError {
            key: "mcp.client_key_file",
            message: format!("the client key does not match the certificate or is not supported: {e}"),
        })?;
    Ok(())
}

fn check_private(path: &std::path::Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(format!("{}: mode {mode:04o} lets group or others read the key; run `chmod 600`", path.display()));
    }
    Ok(())
}
