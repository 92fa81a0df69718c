//! Validated names that leave the configuration: identifiers written into
//! evidence, unit names handed to systemctl.
//!
//! Owns: [`Ident`] (site and appliance ids) and [`UnitName`] (systemd units;
//! orders use the same type, so a unit named in the config and one named in
//! an order pass the same check). `parse` is the only way to make either, so
//! holding one means it was checked.
//! Must never: accept a name that could be read as a command-line option
//! (a leading `-`) or that holds characters outside its documented set.

use std::fmt;

/// A site or appliance identifier: 1–64 of `A-Z a-z 0-9 . _ -`, not starting
/// with `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident(String);

impl Ident {
    /// Validates an identifier.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && !s.starts_with('-')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(Ident(s.to_string()))
        } else {
            Err(format!("{s:?} is not an identifier (1-64 of A-Z a-z 0-9 . _ -, not starting with -)"))
        }
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A systemd unit name safe to pass as one argv element: `[A-Za-z0-9:_.@-]`,
/// not starting with `-` (so it can never be read as an option), with a known
/// unit suffix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnitName(String);

impl UnitName {
    /// Validates a unit name.
    pub fn parse(s: &str) -> Result<Self, String> {
        const SUFFIXES: [&str; 7] = [".service", ".socket", ".timer", ".target", ".mount", ".path", ".slice"];
        let charset = s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'.' | b'@' | b'-'));
        let suffix = SUFFIXES.iter().any(|x| s.len() > x.len() && s.ends_with(x));
        if !s.is_empty() && s.len() <= 255 && charset && !s.starts_with('-') && !s.starts_with('.') && suffix {
            Ok(UnitName(s.to_string()))
        } else {
            Err(format!("{s:?} is not a systemd unit name (A-Z a-z 0-9 : _ . @ -, with a suffix such as .service)"))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
