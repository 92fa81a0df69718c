//! The configuration file (a contract, documented key by key in
//! docs/configuration.md): parsing and validation.
//!
//! Owns: turning `/etc/compliance-agent/config.json` into a [`Config`] whose
//! values are already valid (absolute tool paths, positive intervals, a
//! window that parses, an https base URL, decodable keys). JSON is parsed by
//! serde_json; the typed values are read key by key so that every error names
//! the exact key path and the file. Unknown keys are errors.
//! Must never: read key files' secret contents (that is `keys`), touch the
//! network, or guess a default for something security-relevant.
//!
//! The files mirror the config file. Each section's type sits beside the
//! function that reads and validates it, in a file named after the
//! section's key, so adding a key is one edit in one file (and a test):
//!
//! | key | file |
//! |---|---|
//! | top-level scalars (`site_id` … `max_order_ttl_secs`, `metrics_textfile`) | this file: [`Config`], [`DeploymentMode`] |
//! | `mcp` (base URL, certificates, `order_keys`) | `mcp.rs` |
//! | `maintenance_window` | `maintenance_window.rs` (what a valid window is: [`crate::window`]) |
//! | `checks.*` | `checks.rs`, one type and one reader per check |
//! | `tools` | `tools.rs` |
//! | `evidence` | `evidence.rs` |
//! | `log` | `log.rs` |
//!
//! Every public type is re-exported here, so callers write
//! `crate::config::X` and never depend on which file `X` lives in.
//!
//! Shared by the sections: `reader.rs`, the strict JSON reader (key paths,
//! typed getters, unknown keys, every error recorded rather than returned),
//! `document.rs` (the text to JSON, refusing duplicate keys) and `names.rs`
//! ([`Ident`], [`UnitName`]).
//!
//! One run reports every error ([`ConfigErrors`]): duplicate keys first (they
//! are found while the text is parsed), then the keys in the order of
//! [`Config`]'s fields, each section reporting its unknown keys after its
//! other errors and before the next section is read (the top level's last).
//! A section that is not an object is not descended into. That order
//! decides which error a broken file reports first, so moving a read is a
//! behaviour change, not a tidy-up.
//!
//! [`accepted_keys`] lists every key path the reader reads, found by
//! running the reader itself; the tests keep `docs/config.schema.json`,
//! `docs/configuration.md` and `examples/` equal to it.

mod checks;
mod document;
mod evidence;
mod log;
mod maintenance_window;
mod mcp;
mod names;
mod reader;
mod tools;

// `self::` because a bare `log` would be ambiguous with the log crate.
pub use self::log::{LogConfig, LogTarget};
pub use checks::{
    BackupsConfig, ChecksConfig, EncryptionConfig, FirewallConfig, LoggingConfig, PatchingConfig, ResticConfig,
    ServicesConfig,
};
pub use evidence::EvidenceConfig;
pub use mcp::{McpConfig, OrderKey, ReceiptKey};
pub use names::{Ident, UnitName};
pub use tools::{Tools, TOOL_NAMES};

use crate::window::Window;
use reader::{Findings, Obj, Read};
use serde_json::{json, Value};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where the NixOS module writes the configuration.
pub const DEFAULT_PATH: &str = "/etc/compliance-agent/config.json";
/// Largest configuration file we read.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// A configuration error: the file, the key path (`mcp.base_url`, or empty
/// for the whole document) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The configuration file.
    pub file: PathBuf,
    /// Dotted key path, e.g. `checks.services.units[2]`.
    pub key: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}: {}: {}", self.file.display(), self.key, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// Every error in a configuration file, in the order they were found (see
/// the module documentation); never empty. Displayed one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    first: ConfigError,
    rest: Vec<ConfigError>,
}

impl ConfigErrors {
    fn from_vec(errors: Vec<ConfigError>) -> Option<Self> {
        let mut errors = errors.into_iter();
        errors.next().map(|first| ConfigErrors { first, rest: errors.collect() })
    }

    /// The error a reader stopping at the first would have reported.
    pub fn first(&self) -> &ConfigError {
        &self.first
    }

    /// How many errors there are (at least one).
    pub fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// Always false; here because `len` is.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The errors in order.
    pub fn iter(&self) -> ConfigErrorsIter<'_> {
        std::iter::once(&self.first).chain(self.rest.iter())
    }
}

/// Iterator over [`ConfigErrors`].
pub type ConfigErrorsIter<'a> = std::iter::Chain<std::iter::Once<&'a ConfigError>, std::slice::Iter<'a, ConfigError>>;

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = ConfigErrorsIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(first: ConfigError) -> Self {
        ConfigErrors { first, rest: Vec::new() }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// How the appliance is deployed (design: reseller or direct).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentMode {
    /// The MSP runs the MCP for the clinic directly.
    Direct,
    /// A reseller sits between MSP and clinic.
    Reseller,
}

impl DeploymentMode {
    /// The config/evidence spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentMode::Direct => "direct",
            DeploymentMode::Reseller => "reseller",
        }
    }
}

/// The whole, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (for messages).
    pub source: PathBuf,
    /// This clinic.
    pub site_id: Ident,
    /// This box.
    pub appliance_id: Ident,
    /// See [`DeploymentMode`].
    pub deployment_mode: DeploymentMode,
    /// The agent's own state (database, saved rulesets).
    pub state_dir: PathBuf,
    /// The evidence signing key.
    pub signing_key_file: PathBuf,
    /// Seconds between cycles before jitter.
    pub poll_interval_secs: u64,
    /// ± jitter applied to each interval, 0–50.
    pub jitter_percent: u8,
    /// How far in the future an order's `issued_at` may be.
    pub max_clock_skew_secs: u64,
    /// The longest `ttl_secs` an order may carry.
    pub max_order_ttl_secs: u64,
    /// The MCP connection.
    pub mcp: McpConfig,
    /// When disruptive work may run.
    pub maintenance_window: Window,
    /// The checks.
    pub checks: ChecksConfig,
    /// Tool paths.
    pub tools: Tools,
    /// Evidence settings.
    pub evidence: EvidenceConfig,
    /// Logging settings.
    pub log: LogConfig,
    /// Optional Prometheus textfile to write after each cycle.
    pub metrics_textfile: Option<PathBuf>,
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let err = |message: String| ConfigError { file: path.to_path_buf(), key: String::new(), message };
        let text = crate::fsutil::read_text_capped(path, MAX_CONFIG_BYTES, crate::fsutil::Follow::Symlinks)
            .map_err(|e| err(format!("cannot read: {e}")))?;
        Self::parse(&text, path)
    }

    /// Parses and validates configuration text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigErrors> {
        let (config, errors, _) = read_text(text, path);
        match ConfigErrors::from_vec(errors) {
            Some(errors) => Err(errors),
            // `Reported` is only made where an error is recorded, so an
            // `Err` without errors cannot happen; refuse rather than panic.
            None => config.map_err(|_| ConfigErrors::from(error(path, "", "unreadable (internal error)".to_string()))),
        }
    }
}

fn error(file: &Path, key: &str, message: String) -> ConfigError {
    ConfigError { file: file.to_path_buf(), key: key.to_string(), message }
}

/// Reads `text`: the configuration when it is valid, every error found, and
/// the path of every key the reader asked for.
fn read_text(text: &str, path: &Path) -> (Read<Config>, Vec<ConfigError>, Vec<String>) {
    let found = Findings::default();
    let config = match document::parse(text) {
        Err(e) => Err(found.record(error(path, "", format!("not valid JSON: {e}")))),
        Ok(doc) => {
            for key in &doc.duplicates {
                let message = "appears more than once; keep one (JSON readers disagree on which copy counts)";
                found.record(error(path, key, message.to_string()));
            }
            Obj::root(&doc.value, path, &found).and_then(|root| root.read_then_finish(|root| read(root, path)))
        }
    };
    let (errors, keys) = found.into_parts();
    (config, errors, keys)
}

/// The top level, in the order of [`Config`]'s fields. Every key is read
/// before any `?`: see [`Obj`].
fn read(root: &Obj<'_>, path: &Path) -> Read<Config> {
    let site_id = root.parse("site_id", Ident::parse);
    let appliance_id = root.parse("appliance_id", Ident::parse);
    let deployment_mode = root.opt_str("deployment_mode").and_then(|mode| match mode.as_deref().unwrap_or("direct") {
        "direct" => Ok(DeploymentMode::Direct),
        "reseller" => Ok(DeploymentMode::Reseller),
        other => Err(root.fail("deployment_mode", format!("{other:?} is neither \"direct\" nor \"reseller\""))),
    });
    let state_dir = root.abs_path("state_dir");
    let signing_key_file = root.abs_path("signing_key_file");
    let poll_interval_secs = root.positive_or("poll_interval_secs", 60);
    let jitter_percent = root.u64_or("jitter_percent", 10).and_then(|j| match u8::try_from(j) {
        Ok(j) if j <= 50 => Ok(j),
        _ => Err(root.fail("jitter_percent", format!("{j} is above 50"))),
    });
    let max_clock_skew_secs = root.u64_or("max_clock_skew_secs", 300);
    let max_order_ttl_secs = root.positive_or("max_order_ttl_secs", 86_400);
    let mcp = mcp::read(root);
    let maintenance_window = maintenance_window::read(root);
    let checks = checks::read(root);
    let tools = tools::read(root);
    let evidence = evidence::read(root);
    let log = self::log::read(root);
    let metrics_textfile = root.opt_abs_path("metrics_textfile");
    Ok(Config {
        source: path.to_path_buf(),
        site_id: site_id?,
        appliance_id: appliance_id?,
        deployment_mode: deployment_mode?,
        state_dir: state_dir?,
        signing_key_file: signing_key_file?,
        poll_interval_secs: poll_interval_secs?,
        jitter_percent: jitter_percent?,
        max_clock_skew_secs: max_clock_skew_secs?,
        max_order_ttl_secs: max_order_ttl_secs?,
        mcp: mcp?,
        maintenance_window: maintenance_window?,
        checks: checks?,
        tools: tools?,
        evidence: evidence?,
        log: log?,
        metrics_textfile: metrics_textfile?,
    })
}

/// One key the configuration reader reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedKey {
    /// Dotted path; a list's elements are `[]` (`mcp.order_keys[].keyid`).
    pub path: String,
    /// Whether leaving it out (or `null`) is an error. A key inside an
    /// optional object is required only when that object is given; a key
    /// of a check section only when the check is enabled.
    pub required: bool,
}

/// Every key the reader reads, in reading order (the order of its errors).
///
/// Found by running the reader on a skeleton document, every section an
/// empty object (and one empty order key): it asks for each key of an
/// object even when others are missing, and says "is required" for exactly
/// the required keys that are absent. The skeleton is also read cut off at
/// each depth, so that a section's own key is seen absent too. A new key is
/// in this list as soon as a reader reads it; a new section's keys are once
/// the skeleton holds the section (else the section's key, which is listed,
/// has no keys under it in the list but has in the schema, and the schema
/// test fails). `docs/config.schema.json` and `docs/configuration.md` are
/// tested against this list.
pub fn accepted_keys() -> Vec<AcceptedKey> {
    let mut skeleton = json!({
        "mcp": {"order_keys": [{}], "receipt_keys": [{}]}, "maintenance_window": {}, "checks": {},
        "tools": {}, "evidence": {}, "log": {}
    });
    for check in ["patching", "services", "backups", "firewall", "logging", "encryption"] {
        skeleton["checks"][check] = json!({});
    }
    skeleton["checks"]["backups"]["restic"] = json!({});
    let mut required = Vec::new();
    let mut read = Vec::new();
    for depth in 0.. {
        let doc = cut(&skeleton, depth);
        let (_, errors, keys) = read_text(&doc.to_string(), Path::new("skeleton"));
        required.extend(errors.into_iter().filter(|e| e.message == "is required").map(|e| e.key));
        if doc == skeleton {
            // The whole skeleton: every key, in reading order.
            read = keys;
            break;
        }
    }
    let mut out: Vec<AcceptedKey> = Vec::new();
    for key in read {
        let path = without_indexes(&key);
        if !out.iter().any(|k| k.path == path) {
            out.push(AcceptedKey { required: required.contains(&key), path });
        }
    }
    out
}

/// `v` without the keys nested more than `depth` objects deep.
fn cut(v: &Value, depth: usize) -> Value {
    match v {
        Value::Object(_) if depth == 0 => Value::Object(serde_json::Map::new()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, c)| (k.clone(), cut(c, depth - 1))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|c| cut(c, depth)).collect()),
        other => other.clone(),
    }
}

/// `mcp.order_keys[0].keyid` → `mcp.order_keys[].keyid`.
fn without_indexes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => in_index = true,
            ']' => {
                in_index = false;
                out.push_str("[]");
            }
            _ if !in_index => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;
