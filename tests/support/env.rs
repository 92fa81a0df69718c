//! A complete agent setup for integration tests: a simulated host, a state
//! dir, an evidence key and a config file that points at all of them.

use super::child::{output_within, RUN_LIMIT};
use super::mcp::{closed_port, pki};
use super::simhost::{SimHost, TempDir};
use std::cell::RefCell;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The agent binary under test.
///
/// `COMPLIANCE_AGENT_BIN` names another build instead: the benchmark uses it
/// to compare two builds of the agent on the same harness.
pub fn agent_bin() -> PathBuf {
    match std::env::var_os("COMPLIANCE_AGENT_BIN") {
        Some(other) if !other.is_empty() => PathBuf::from(other),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_compliance-agent")),
    }
}

/// A test order key (public half of seed [9; 32], raw base64).
pub const ORDER_KEY_B64: &str = "/RckOFqgx1tk+3jNYC+h2ZH96/drE8WO1wLqyDXp9hg=";

/// A simulated appliance ready for `compliance-agent --config`.
pub struct TestEnv {
    pub host: SimHost,
    pub dir: TempDir,
    pub config: PathBuf,
    pub key: PathBuf,
    mcp_url: RefCell<String>,
}

impl TestEnv {
    /// A compliant simulated host and a config that logs to stderr.
    pub fn new() -> TestEnv {
        let host = SimHost::new();
        let dir = TempDir::new("agent-env");
        let key = dir.path().join("evidence.key");
        std::fs::write(&key, EVIDENCE_SEED).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        for (from, to, mode) in
            [("ca.pem", "ca.pem", 0o644), ("client.pem", "client.pem", 0o644), ("client.key", "client.key", 0o600)]
        {
            let dst = dir.path().join(to);
            std::fs::copy(pki(from), &dst).unwrap();
            std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        let config = dir.path().join("config.json");
        // By default the MCP is down: nothing listens on this port.
        let mcp_url = RefCell::new(format!("https://127.0.0.1:{}", closed_port()));
        let env = TestEnv { host, dir, config, key, mcp_url };
        env.write_config(&env.config_json());
        env
    }

    /// The default config as JSON text.
    pub fn config_json(&self) -> String {
        let d = self.dir.path().display();
        format!(
            r#"{{
  "site_id": "clinic-042", "appliance_id": "appl-01", "deployment_mode": "direct",
  "state_dir": "{d}/state",
  "signing_key_file": "{key}",
  "poll_interval_secs": 60, "jitter_percent": 10,
  "mcp": {{
    "base_url": "{url}", "connect_timeout_secs": 2, "request_timeout_secs": 3,
    "ca_file": "{d}/ca.pem", "client_cert_file": "{d}/client.pem", "client_key_file": "{d}/client.key",
    "order_keys": [{{"keyid": "test-2026a", "public_key": "{ORDER_KEY_B64}"}}]
  }},
  "maintenance_window": {{"days": ["sun"], "start": "02:00", "duration_minutes": 120}},
  "checks": {{
    "services": {{"units": ["sshd.service"]}},
    "logging": {{}},
    "encryption": {{"volumes": ["cryptroot"]}}
  }},
  "tools": {tools},
  "log": {{"target": "stderr", "level": "debug"}}
}}"#,
            key = self.key.display(),
            url = self.mcp_url.borrow(),
            tools = self.host.tools_json()
        )
    }

    /// Points the agent at an MCP (and rewrites the config).
    pub fn set_mcp_url(&self, url: &str) {
        *self.mcp_url.borrow_mut() = url.to_string();
        let url = url.to_string();
        self.patch(move |v| v["mcp"]["base_url"] = serde_json::Value::String(url));
    }

    /// Edits the current config file as JSON.
    pub fn patch(&self, f: impl FnOnce(&mut serde_json::Value)) {
        let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&self.config).unwrap()).unwrap();
        f(&mut v);
        self.write_config(&serde_json::to_string_pretty(&v).unwrap());
    }

    /// The agent's state directory.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The agent's database.
    pub fn db(&self) -> PathBuf {
        self.state_dir().join("agent.db")
    }

    /// The evidence public key as PEM, written beside the private key.
    pub fn pubkey_pem(&self) -> PathBuf {
        let path = self.dir.path().join("evidence.pub.pem");
        let key = compliance_agent::keys::SigningKey::from_seed(EVIDENCE_SEED);
        std::fs::write(&path, compliance_agent::keys::public_key_pem(&key.public())).unwrap();
        path
    }

    /// Replaces the config file.
    pub fn write_config(&self, text: &str) {
        std::fs::write(&self.config, text).unwrap();
    }

    /// Runs the agent with `args` after `--config <config>`.
    pub fn run(&self, args: &[&str]) -> Output {
        output_within(Command::new(agent_bin()).arg("--config").arg(&self.config).args(args), RUN_LIMIT)
    }

    /// The temp dir path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// `--once` exit status when the checks are compliant but the MCP was not
/// reached (every [`TestEnv`] starts with the MCP down) or evidence is not
/// delivered: `compliance_agent::EXIT_UNAVAILABLE`.
pub const UNDELIVERED: i32 = compliance_agent::EXIT_UNAVAILABLE;

/// The seed of the evidence key every [`TestEnv`] writes.
pub const EVIDENCE_SEED: [u8; 32] = [7u8; 32];

/// A bundle writer signing with [`EVIDENCE_SEED`], for tests and benches
/// that fill a store through the library.
pub fn test_writer(
    enabled_checks: Vec<compliance_agent::checks::CheckName>,
) -> compliance_agent::evidence::attest::Writer {
    compliance_agent::evidence::attest::Writer::new(
        compliance_agent::evidence::bundle::Context {
            site_id: "clinic-042".into(),
            appliance_id: "appl-01".into(),
            deployment_mode: "direct",
            version: "test",
            build: "test".into(),
            boot_id: None,
            enabled_checks,
        },
        compliance_agent::keys::SigningKey::from_seed(EVIDENCE_SEED),
    )
}

impl TestEnv {
    /// Runs `--once` with the debug-build crash point `point` armed.
    pub fn run_crashing_at(&self, point: &str) -> Output {
        output_within(
            Command::new(agent_bin())
                .arg("--config")
                .arg(&self.config)
                .arg("--once")
                .env("COMPLIANCE_AGENT_CRASHPOINT", point),
            RUN_LIMIT,
        )
    }
}
