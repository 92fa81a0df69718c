//! The `tools` section: the absolute path of every program the agent may
//! run.
//!
//! Owns: [`Tools`] and [`TOOL_NAMES`], the closed list of programs; each
//! path defaults to the NixOS system profile and, when configured, must be
//! absolute without `..`, so no tool is ever looked up in `$PATH`.
//! Must never: accept a tool name outside [`TOOL_NAMES`] (that is an
//! unknown key), or look at the file system: whether a tool is there is
//! found out when it is run, as a check or action error.

use super::reader::{Obj, Read};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Absolute paths of the tools the agent may run. Nothing else is ever run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tools {
    paths: BTreeMap<&'static str, PathBuf>,
}

/// The tool names the `tools` object may contain.
pub const TOOL_NAMES: [&str; 10] = [
    "systemctl",
    "nft",
    "nixos_rebuild",
    "nixos_version",
    "cryptsetup",
    "lsblk",
    "journalctl",
    "logger",
    "restic",
    "unshare",
];

impl Tools {
    /// The path configured for `name` (one of [`TOOL_NAMES`]).
    pub fn path(&self, name: &str) -> &Path {
        self.paths.get(name).map(PathBuf::as_path).unwrap_or(Path::new("/nonexistent"))
    }

    fn default_path(name: &str) -> PathBuf {
        let file = name.replace('_', "-");
        PathBuf::from(format!("/run/current-system/sw/bin/{file}"))
    }
}

/// Reads `tools`, which is optional: every tool has a default path.
pub(super) fn read(root: &Obj<'_>) -> Read<Tools> {
    match root.opt_obj("tools")? {
        Some(t) => t.read_then_finish(|t| paths(Some(t))),
        None => paths(None),
    }
}

/// Every tool's path, from `t` or (without the section) the default.
fn paths(t: Option<&Obj<'_>>) -> Read<Tools> {
    let read: Vec<(&'static str, Read<Option<PathBuf>>)> =
        TOOL_NAMES.iter().map(|&name| (name, t.map_or(Ok(None), |t| t.opt_abs_path(name)))).collect();
    let mut paths = BTreeMap::new();
    for (name, path) in read {
        paths.insert(name, path?.unwrap_or_else(|| Tools::default_path(name)));
    }
    Ok(Tools { paths })
}
