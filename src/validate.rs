//! Validation of strings that end up as arguments to tools.
//!
//! Owns: the character policy for anything that came from configuration or
//! an order and will be passed to a subprocess. Values are passed as single
//! argv elements (never through a shell), but we still refuse control and
//! shell metacharacters so that nothing can be smuggled into logs, nix's own
//! parsers, or a human's copy-paste. Nothing may start with `-`, so no value
//! can ever be read as an option.

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
    fn unsafe_chars() {
        assert!(!has_unsafe_chars("sshd.service"));
        for bad in ["a;b", "a b", "a\u{7}", "$x", "`x`", "a|b", "a\\b"] {
            assert!(has_unsafe_chars(bad), "{bad:?}");
        }
    }
}
