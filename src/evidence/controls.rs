//! Which regulations each check evidences: HIPAA Security Rule (45 CFR
//! Part 164, Subpart C) citations and NIST SP 800-53 rev. 5 controls.
//! docs/evidence.md carries the same table; a test keeps them equal.

use crate::checks::CheckName;

/// HIPAA Security Rule citations a check's evidence supports.
pub fn hipaa(check: CheckName) -> &'static [&'static str] {
    match check {
        CheckName::Patching => &["164.308(a)(1)(ii)(A)", "164.308(a)(1)(ii)(B)", "164.308(a)(5)(ii)(B)"],
        CheckName::Services => &["164.308(a)(7)(ii)(B)", "164.308(a)(7)(ii)(C)", "164.308(a)(1)(ii)(D)"],
        CheckName::Backups => &["164.308(a)(7)(ii)(A)", "164.310(d)(2)(iv)", "164.312(c)(1)"],
        CheckName::Firewall => &["164.312(e)(1)", "164.312(a)(1)"],
        CheckName::Logging => &["164.312(b)", "164.308(a)(1)(ii)(D)", "164.308(a)(5)(ii)(C)"],
        CheckName::Encryption => &["164.312(a)(2)(iv)"],
    }
}

/// NIST SP 800-53 rev. 5 controls a check's evidence supports.
pub fn nist(check: CheckName) -> &'static [&'static str] {
    match check {
        CheckName::Patching => &["SI-2", "CM-2", "CM-6"],
        CheckName::Services => &["CP-10", "SI-4"],
        CheckName::Backups => &["CP-9", "CP-9(1)"],
        CheckName::Firewall => &["SC-7", "CM-6"],
        CheckName::Logging => &["AU-2", "AU-6", "AU-12"],
        CheckName::Encryption => &["SC-28", "SC-13"],
    }
}

/// The union of citations for several checks, in table order, without
/// repeats.
pub fn union(checks: &[CheckName], table: fn(CheckName) -> &'static [&'static str]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for c in CheckName::ALL.iter().filter(|c| checks.contains(c)) {
        for cite in table(*c) {
            if !out.contains(cite) {
                out.push(cite);
            }
        }
    }
    out
}
