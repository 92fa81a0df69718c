//! Validation of strings that end up as arguments to tools, and how
//! untrusted strings are shown in messages.
//!
//! Owns: the character policy for anything that came from configuration or
//! an order and will be passed to a subprocess. Values are passed as single
//! argv elements (never through a shell), but we still refuse control and
//! shell metacharacters so that nothing can be smuggled into logs, nix's own
//! parsers, or a human's copy-paste. Nothing may start with `-`, so no value
//! can ever be read as an option.
//!
//! Also owns [`escaped`] and [`quoted`]: every value from an envelope, a
//! payload or a tool's output that reaches a log line or evidence text goes
//! through one of them, so an auditor reads exactly which characters were
//! there (a key id `mcp-test-a` followed by a NUL is shown as
//! `"mcp-test-a\u0000"`, never as a configured-looking `mcp-test-a`).

/// How many characters of an untrusted value [`escaped`] and [`quoted`]
/// show, counted in the original (so escaping cannot stretch the cap).
pub const SHOWN_CHARS: usize = 64;

/// At most [`SHOWN_CHARS`] characters of an untrusted `s`, for a message,
/// followed by `…` if `s` is longer. JSON-style `\uXXXX` escapes replace
/// control characters, invisible (default-ignorable) characters and line or
/// paragraph separators; `\` and `"` are escaped too, and so is a `…` in `s`,
/// so that neither an escape, a closing quote nor the cut can be forged.
/// Other non-ASCII characters are kept.
pub fn escaped(s: &str) -> String {
    let (mut out, cut) = escape_prefix(s);
    if cut {
        out.push('…');
    }
    out
}

/// [`escaped`] in double quotes (the `…` of a cut value after the closing
/// quote): `"mcp-test-a\u0000"`. Never wrap it in `{:?}` as well.
pub fn quoted(s: &str) -> String {
    let (out, cut) = escape_prefix(s);
    format!("\"{out}\"{}", if cut { "…" } else { "" })
}

/// The escaped first [`SHOWN_CHARS`] characters, and whether more followed.
fn escape_prefix(s: &str) -> (String, bool) {
    let mut out = String::new();
    let mut chars = s.chars();
    for c in chars.by_ref().take(SHOWN_CHARS) {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if needs_escape(c) => {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    (out, chars.next().is_some())
}

/// Characters that would not show, or would show as something else.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            u32::from(c),
            // Line and paragraph separators; the ellipsis that marks a cut.
            0x2026 | 0x2028 | 0x2029
            // Default_Ignorable_Code_Point (Unicode DerivedCoreProperties):
            // soft hyphen, zero-width characters, bidi controls, variation
            // selectors, fillers and tags.
            | 0x00AD
            | 0x034F
            | 0x061C
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFF8
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
        )
}

/// Characters allowed in a flake reference.
fn flake_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '.' | '_' | '#' | '?' | '=' | '+' | '@' | '~' | '-')
}

/// True if `s` contains a control character or a shell metacharacter.
pub fn has_unsafe_chars(s: &str) -> bool {
    s.chars().any(|c| {
        c.is_control()
            || matches!(
                c,
                ';' | '&'
                    | '|'
                    | '$'
                    | '`'
                    | '<'
                    | '>'
                    | '('
                    | ')'
                    | '{'
                    | '}'
                    | '*'
                    | '!'
                    | '"'
                    | '\''
                    | '\\'
                    | ' '
                    | '\t'
            )
    })
}

/// Checks a flake reference: safe characters only, not an option, and under
/// one of `prefixes` on a boundary (`github:org/repo` allows
/// `github:org/repo#host` and `github:org/repo/sub`, never
/// `github:org/repo-evil`).
pub fn flake_ref(s: &str, prefixes: &[String]) -> Result<(), String> {
    if s.is_empty() || s.len() > 512 {
        return Err("flake ref must be 1-512 characters".to_string());
    }
    if s.starts_with('-') || !s.chars().all(flake_char) {
        return Err(format!(
            "flake ref {s:?} contains characters outside A-Z a-z 0-9 : / . _ # ? = + @ ~ - or starts with -"
        ));
    }
    // A query may only pin a branch, revision or subdirectory: nix also
    // accepts `?host=` (another forge) and `?url=`, which would move the
    // flake outside the allowed prefix.
    if let Some((_, rest)) = s.split_once('?') {
        let query = rest.split('#').next().unwrap_or("");
        let ok = query.split_once('=').is_some_and(|(k, v)| {
            matches!(k, "ref" | "rev" | "dir")
                && !v.is_empty()
                && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        });
        if !ok || rest.contains('?') {
            return Err(format!("flake ref {s:?} may only carry one ?ref=, ?rev= or ?dir= query"));
        }
    }
    let under = prefixes.iter().any(|p| {
        s == p
            || (s.starts_with(p.as_str())
                && (p.ends_with(['/', '#', '?']) || s[p.len()..].starts_with(['/', '#', '?'])))
    });
    if under {
        Ok(())
    } else {
        Err(format!("flake ref {s:?} is not under an allowed prefix"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flake_prefixes_match_on_boundaries() {
        let p = vec!["github:clinic/appliance".to_string(), "git+https://git.msp.example/".to_string()];
        for ok in [
            "github:clinic/appliance",
            "github:clinic/appliance#appl-01",
            "github:clinic/appliance/v2",
            "git+https://git.msp.example/x?ref=main#h",
            "github:clinic/appliance?rev=0f3c2a1b#appl-01",
        ] {
            assert!(flake_ref(ok, &p).is_ok(), "{ok}");
        }
        for bad in [
            "github:clinic/appliance-evil#x",
            "github:evil/appliance",
            "-github:clinic/appliance",
            "github:clinic/appliance#x;rm",
            "github:clinic/appliance#x y",
            "github:clinic/appliance#$(id)",
            "github:clinic/appliance?host=evil.example#appl-01",
            "github:clinic/appliance?url=https://evil.example/x#appl-01",
            "github:clinic/appliance?ref=main?host=evil.example",
            "github:clinic/appliance?ref=",
            "github:clinic/appliance#x\n",
            "",
        ] {
            assert!(flake_ref(bad, &p).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn escaped_shows_every_character() {
        assert_eq!(quoted("mcp-test-a\u{0}"), r#""mcp-test-a\u0000""#);
        assert_eq!(escaped("a\u{1b}[2J\r\n\t\u{7f}\u{85}"), r"a\u001b[2J\u000d\u000a\u0009\u007f\u0085");
        // Quote and backslash: the escaped form of one value cannot be
        // forged by another.
        assert_eq!(quoted(r#"a", "b"#), r#""a\", \"b""#);
        assert_eq!(quoted(r"a\u0000"), r#""a\\u0000""#);
        assert_ne!(quoted(r"a\u0000"), quoted("a\u{0}"));
        // Printable non-ASCII is kept; invisible and separator characters,
        // and the ellipsis that marks a cut, are not (astral ones as JSON
        // surrogate pairs).
        assert_eq!(escaped("clinic-é-日本"), "clinic-é-日本");
        assert_eq!(escaped("a\u{200b}b\u{202e}c\u{feff}\u{2028}"), r"a\u200bb\u202ec\ufeff\u2028");
        assert_eq!(escaped("x…"), r"x\u2026");
        assert_eq!(escaped("\u{e0041}"), r"\udb40\udc41");
        assert_eq!(escaped(""), "");
        assert_eq!(quoted(""), r#""""#);
    }

    #[test]
    fn escaped_caps_on_the_original_characters() {
        let exact = "é".repeat(SHOWN_CHARS);
        assert_eq!(escaped(&exact), exact);
        assert_eq!(quoted(&exact), format!("\"{exact}\""));
        let long = "é".repeat(SHOWN_CHARS + 1);
        assert_eq!(escaped(&long), format!("{exact}…"));
        assert_eq!(quoted(&long), format!("\"{exact}\"…"));
        // 64 NULs show as 64 escapes; the 65th character is cut however
        // short it would have been.
        let nuls = "\u{0}".repeat(SHOWN_CHARS) + "x";
        assert_eq!(escaped(&nuls), r"\u0000".repeat(SHOWN_CHARS) + "…");
        assert_eq!(escaped(&"\u{0}".repeat(SHOWN_CHARS)), r"\u0000".repeat(SHOWN_CHARS));
    }

    #[test]
    fn unsafe_chars() {
        assert!(!has_unsafe_chars("sshd.service"));
        for bad in ["a;b", "a b", "a\u{7}", "$x", "`x`", "a|b", "a\\b"] {
            assert!(has_unsafe_chars(bad), "{bad:?}");
        }
    }
}
