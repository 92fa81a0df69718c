//! Records the git revision the binary was built from, when there is one:
//! the first 12 hex digits of the commit, the same in every clone (`git
//! rev-parse --short` would lengthen it where the clone's objects made 12
//! ambiguous, and the binary would differ). A build from a tree without
//! `.git` (`.ci/reproducible-build.sh`, Nix) sets COMPLIANCE_AGENT_BUILD_REV
//! itself; the runtime build id also includes the SHA-256 of the executable.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=COMPLIANCE_AGENT_BUILD_REV");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    let rev = std::env::var("COMPLIANCE_AGENT_BUILD_REV").ok().filter(|r| !r.is_empty()).or_else(|| {
        let out = Command::new("git").args(["rev-parse", "--verify", "HEAD"]).output().ok()?;
        let rev = String::from_utf8(out.stdout).ok()?.trim().to_string();
        rev.get(..12).filter(|_| out.status.success()).map(str::to_string)
    });
    println!("cargo:rustc-env=COMPLIANCE_AGENT_GIT_REV={}", rev.unwrap_or_else(|| "unknown".to_string()));
}
