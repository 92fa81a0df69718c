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
//!
//! # Flake references
//!
//! [`flake_ref`] accepts exactly this grammar (also in docs/protocol.md,
//! "Flake references"), then requires an allowed prefix:
//!
//! ```text
//! flake-ref = base [ "?" query ] [ "#" attr ]           ; 1-512 characters
//! base      = forge ":" owner "/" repo [ "/" ( ref / rev ) ]
//!           / "git+https://" host [ ":" port ] "/" path
//!           / "git+ssh://" [ user "@" ] host [ ":" port ] "/" path
//! forge     = "github" / "gitlab" / "sourcehut"
//! owner     = segment                   ; for sourcehut also "~" segment
//! repo      = segment
//! user      = segment
//! path      = segment *( "/" segment )
//! ref       = segment
//! rev       = 40( DIGIT / "a"-"f" )     ; lowercase hex only
//! query     = param *( "&" param )      ; each of ref=, rev=, dir= at most once
//! param     = "ref=" ref / "rev=" rev / "dir=" path
//! attr      = ( ALPHA / DIGIT / "_" ) *( ALPHA / DIGIT / "_" / "-" )  ; ≤ 64
//! segment   = ( ALPHA / DIGIT / "_" ) *( ALPHA / DIGIT / "." / "_" / "-" )
//! host      = label *( "." label )      ; a DNS name, ≤ 253 characters
//! label     = ( ALPHA / DIGIT ) [ *( ALPHA / DIGIT / "-" ) ( ALPHA / DIGIT ) ]  ; ≤ 63
//! port      = 1-65535, decimal, no leading zero
//! ```
//!
//! Also: at most one ref or rev in the whole reference (a ref or rev in the
//! path of a forge reference counts), and a ref or rev in the path that is
//! 40 hex digits must be lowercase. A segment never starts with `.` or `-`,
//! so no part is empty, `.`, `..` or an option, and a `dir=` path is
//! relative and stays inside the repository. Nothing is percent-decoded
//! (`%` is refused), so `%2e%2e` cannot become `..` later. The query can
//! only pin a branch, revision or subdirectory: nix also accepts `?host=`
//! (another forge) and `?url=`, which would move the flake outside the
//! allowed prefix.

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

/// Longest flake reference accepted, in characters.
const MAX_FLAKE_REF: usize = 512;
/// Longest attribute name after `#`.
const MAX_FLAKE_ATTR: usize = 64;

/// Checks a flake reference against the grammar in the module
/// documentation, then that it is under one of `prefixes` on a boundary:
/// equal to a prefix, or continuing it with `/`, `#` or `?` (unless the
/// prefix itself ends with one), so `github:org/repo` allows
/// `github:org/repo#host` and `github:org/repo/v2`, never
/// `github:org/repo-evil`. The error message names the wrong part, with the
/// reference shown through [`quoted`].
pub fn flake_ref(s: &str, prefixes: &[String]) -> Result<(), String> {
    let bad = |why: String| format!("flake ref {}: {why}", quoted(s));
    if s.is_empty() || s.chars().count() > MAX_FLAKE_REF {
        return Err(bad(format!("must be 1-{MAX_FLAKE_REF} characters")));
    }
    let (rest, attr) = match s.split_once('#') {
        Some((rest, attr)) => (rest, Some(attr)),
        None => (s, None),
    };
    if let Some(attr) = attr {
        if attr.contains('#') {
            return Err(bad("a second # (only one attribute name may follow #)".into()));
        }
        if !attr_name(attr) {
            return Err(bad(format!(
                "the attribute after # must be one name of 1-{MAX_FLAKE_ATTR} of A-Z a-z 0-9 _ - \
                 (no dots, not starting with -), not {}",
                quoted(attr)
            )));
        }
    }
    let (base, query) = match rest.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (rest, None),
    };
    if query.is_some_and(|q| q.contains('?')) {
        return Err(bad("a second ? (query parameters follow one ? and are joined by &)".into()));
    }
    let pinned_in_path = flake_base(base).map_err(bad)?;
    if let Some(query) = query {
        flake_query(query, pinned_in_path).map_err(bad)?;
    }
    let under = prefixes.iter().any(|p| {
        s == p
            || (s.starts_with(p.as_str())
                && (p.ends_with(['/', '#', '?']) || s[p.len()..].starts_with(['/', '#', '?'])))
    });
    if under {
        Ok(())
    } else {
        Err(bad("not under an allowed prefix".into()))
    }
}

/// What a segment may be (see [`flake_ref`]), said once for the messages.
const SEGMENT_RULE: &str = "A-Z a-z 0-9 . _ -, starting with a letter, digit or _";

/// Checks the part before `?` and `#`; true if it names a ref or rev.
fn flake_base(base: &str) -> Result<bool, String> {
    let scheme_error = || {
        format!(
            "the scheme of {} must be github:, gitlab:, sourcehut:, git+https:// or git+ssh://",
            quoted(base.split(':').next().unwrap_or(base))
        )
    };
    let (scheme, rest) = base.split_once(':').ok_or_else(scheme_error)?;
    match scheme {
        "github" | "gitlab" | "sourcehut" => {
            let parts: Vec<&str> = rest.split('/').collect();
            let (owner, repo, pin) = match parts[..] {
                [owner] => (owner, None, None),
                [owner, repo] => (owner, Some(repo), None),
                [owner, repo, pin] => (owner, Some(repo), Some(pin)),
                _ => {
                    return Err(format!(
                        "the path {} has too many segments ({scheme}:<owner>/<repo>[/<ref-or-rev>])",
                        quoted(rest)
                    ))
                }
            };
            let owner_name = if scheme == "sourcehut" { owner.strip_prefix('~').unwrap_or(owner) } else { owner };
            if !segment(owner_name) {
                return Err(format!("the owner {} must be 1 or more of {SEGMENT_RULE}", quoted(owner)));
            }
            let Some(repo) = repo else {
                return Err(format!("the repository is missing ({scheme}:<owner>/<repo>)"));
            };
            if !segment(repo) {
                return Err(format!("the repository {} must be 1 or more of {SEGMENT_RULE}", quoted(repo)));
            }
            match pin {
                None => Ok(false),
                Some(pin) if !segment(pin) => {
                    Err(format!("the ref or rev in the path {} must be 1 or more of {SEGMENT_RULE}", quoted(pin)))
                }
                Some(pin) if pin.len() == 40 && pin.bytes().all(|b| b.is_ascii_hexdigit()) && !is_rev(pin) => {
                    Err(format!("the rev in the path {} must be lowercase hex", quoted(pin)))
                }
                Some(_) => Ok(true),
            }
        }
        "git+https" | "git+ssh" => {
            let rest = rest.strip_prefix("//").ok_or_else(scheme_error)?;
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host_port = match authority.split_once('@') {
                Some((user, host_port)) if scheme == "git+ssh" => {
                    if !segment(user) {
                        return Err(format!("the user {} must be 1 or more of {SEGMENT_RULE}", quoted(user)));
                    }
                    host_port
                }
                _ => authority,
            };
            let (host, port) = match host_port.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            };
            if !dns_name(host) {
                return Err(format!(
                    "the host {} must be a DNS name (a user@ only with git+ssh://, a port after :)",
                    quoted(host)
                ));
            }
            if let Some(port) = port {
                if !port_number(port) {
                    return Err(format!("the port {} must be 1-65535", quoted(port)));
                }
            }
            if !relative_path(path) {
                return Err(format!(
                    "the path {} must be 1 or more /-separated segments of {SEGMENT_RULE} (none empty, . or ..)",
                    quoted(path)
                ));
            }
            Ok(false)
        }
        _ => Err(scheme_error()),
    }
}

/// Checks the query (after `?`, before `#`).
fn flake_query(query: &str, pinned_in_path: bool) -> Result<(), String> {
    if query.is_empty() {
        return Err("an empty query after ?".into());
    }
    let (mut has_ref, mut has_rev, mut has_dir) = (false, false, false);
    for param in query.split('&') {
        let Some((name, value)) = param.split_once('=') else {
            return Err(format!("the query parameter {} is not name=value", quoted(param)));
        };
        let seen = match name {
            "ref" => &mut has_ref,
            "rev" => &mut has_rev,
            "dir" => &mut has_dir,
            _ => return Err(format!("the query parameter {} is not allowed (only ref=, rev=, dir=)", quoted(name))),
        };
        if std::mem::replace(seen, true) {
            return Err(format!("{name}= given twice"));
        }
        let ok = match name {
            "ref" => segment(value),
            "rev" => is_rev(value),
            _ => relative_path(value),
        };
        if !ok {
            let rule = match name {
                "ref" => format!("1 or more of {SEGMENT_RULE}"),
                "rev" => "exactly 40 lowercase hex digits".to_string(),
                _ => format!("a relative path of segments of {SEGMENT_RULE} (none empty, . or .., no leading /)"),
            };
            return Err(format!("{name}= {} must be {rule}", quoted(value)));
        }
    }
    if usize::from(pinned_in_path) + usize::from(has_ref) + usize::from(has_rev) > 1 {
        return Err("more than one ref or rev (the path's ref-or-rev, ref= and rev= exclude each other)".into());
    }
    Ok(())
}

/// `[A-Za-z0-9_][A-Za-z0-9._-]*`: never empty, `.`, `..` or an option.
fn segment(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// One or more segments joined by `/` (so no leading, trailing or double `/`).
fn relative_path(s: &str) -> bool {
    s.split('/').all(segment)
}

/// Exactly 40 lowercase hex digits.
fn is_rev(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// One flake output attribute name: no dots (so no path into the outputs).
fn attr_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    s.len() <= MAX_FLAKE_ATTR
        && bytes.next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// A DNS name: dot-separated labels of letters, digits and inner hyphens.
fn dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A TCP port, 1-65535, in plain decimal.
fn port_number(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 5
        && !s.starts_with('0')
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u32>().is_ok_and(|p| (1..=65_535).contains(&p))
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
            // Was `?rev=0f3c2a1b` (a short rev): a rev is now exactly 40
            // lowercase hex digits, as nix itself requires for `rev=`.
            "github:clinic/appliance?rev=0f3c2a1b0f3c2a1b0f3c2a1b0f3c2a1b0f3c2a1b#appl-01",
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

    const REV: &str = "0f3c2a1b0f3c2a1b0f3c2a1b0f3c2a1b0f3c2a1b";

    #[test]
    fn flake_grammar_accepts() {
        let p = vec![
            "github:clinic/appliance".to_string(),
            "gitlab:clinic/appliance".to_string(),
            "sourcehut:~clinic/appliance".to_string(),
            "git+https://git.msp.example/".to_string(),
            "git+ssh://git@git.msp.example:2222/clinic".to_string(),
        ];
        let ok = [
            "github:clinic/appliance".to_string(),
            "github:clinic/appliance/v2".to_string(),
            "github:clinic/appliance/release-2026.01_a".to_string(),
            format!("github:clinic/appliance/{REV}#appl-01"),
            "github:clinic/appliance?ref=main".to_string(),
            format!("github:clinic/appliance?rev={REV}"),
            "github:clinic/appliance?dir=hosts/appl-01".to_string(),
            "github:clinic/appliance?ref=main&dir=hosts/x.y#appl_01".to_string(),
            "github:clinic/appliance/v2?dir=sub#appl-01".to_string(),
            "github:clinic/appliance#appl-01".to_string(),
            format!("github:clinic/appliance#{}", "a".repeat(64)),
            "gitlab:clinic/appliance/main".to_string(),
            "sourcehut:~clinic/appliance?ref=main".to_string(),
            "git+https://git.msp.example/x".to_string(),
            "git+https://git.msp.example/clinic/appliance.git?ref=main&dir=hosts#h".to_string(),
            format!("git+https://git.msp.example/x?rev={REV}#h"),
            "git+ssh://git@git.msp.example:2222/clinic/appliance".to_string(),
            "git+ssh://git@git.msp.example:2222/clinic".to_string(),
        ];
        for ok in &ok {
            assert_eq!(flake_ref(ok, &p), Ok(()), "{ok}");
        }
    }

    #[test]
    fn flake_grammar_refuses() {
        let p = vec![
            "github:clinic/appliance".to_string(),
            "sourcehut:~clinic/appliance".to_string(),
            "git+https://git.msp.example/".to_string(),
            "git+ssh://git@git.msp.example/".to_string(),
        ];
        // (reference, a word of the message naming the wrong part)
        let bad = [
            // Traversal and option-like values in the query.
            ("github:clinic/appliance/x?dir=..".to_string(), "dir="),
            ("github:clinic/appliance/..?dir=../../".to_string(), "ref or rev"),
            ("github:clinic/appliance?dir=../../".to_string(), "dir="),
            ("github:clinic/appliance/x?rev=-x".to_string(), "rev="),
            ("github:clinic/appliance?dir=/etc".to_string(), "dir="),
            ("github:clinic/appliance?dir=a//b".to_string(), "dir="),
            ("github:clinic/appliance?dir=a/./b".to_string(), "dir="),
            ("github:clinic/appliance?dir=a/".to_string(), "dir="),
            ("github:clinic/appliance?dir=".to_string(), "dir="),
            ("github:clinic/appliance?ref=-main".to_string(), "ref="),
            ("github:clinic/appliance?ref=a/b".to_string(), "ref="),
            // A rev is exactly 40 lowercase hex digits.
            ("github:clinic/appliance?rev=0f3c2a1b#appl-01".to_string(), "rev="),
            (format!("github:clinic/appliance?rev={}", REV.to_uppercase()), "rev="),
            (format!("github:clinic/appliance?rev={REV}0"), "rev="),
            (format!("github:clinic/appliance/{}", REV.to_uppercase()), "rev"),
            // Each parameter once, at most one ref or rev in all.
            ("github:clinic/appliance?ref=a&ref=b".to_string(), "twice"),
            ("github:clinic/appliance?dir=a&dir=b".to_string(), "twice"),
            (format!("github:clinic/appliance?ref=a&rev={REV}"), "ref"),
            ("github:clinic/appliance/v1?ref=main".to_string(), "ref"),
            (format!("github:clinic/appliance/v1?rev={REV}"), "rev"),
            ("github:clinic/appliance?".to_string(), "query"),
            ("github:clinic/appliance?&ref=a".to_string(), "query"),
            ("github:clinic/appliance?ref=a&".to_string(), "query"),
            ("github:clinic/appliance?ref".to_string(), "query"),
            ("github:clinic/appliance?narHash=sha256-x".to_string(), "query"),
            ("github:clinic/appliance?ref=a?dir=b".to_string(), "?"),
            // One attribute name after one #.
            ("github:clinic/appliance#a#b".to_string(), "#"),
            ("github:clinic/appliance#nixosConfigurations.x".to_string(), "attribute"),
            ("github:clinic/appliance#".to_string(), "attribute"),
            ("github:clinic/appliance#-x".to_string(), "attribute"),
            (format!("github:clinic/appliance#{}", "a".repeat(65)), "attribute"),
            ("github:clinic/appliance#x?ref=main".to_string(), "attribute"),
            // Percent escapes and other characters are never decoded or allowed.
            ("github:clinic/appliance?dir=%2e%2e".to_string(), "dir="),
            ("github:clinic/appliance/%2e%2e".to_string(), "ref or rev"),
            ("git+https://git.msp.example/%2e%2e/x".to_string(), "path"),
            ("github:clinic/appliance?dir=a+b".to_string(), "dir="),
            ("github:clinic/appliance/v~1".to_string(), "ref or rev"),
            // Empty, dot and dash segments.
            ("github:clinic//appliance".to_string(), "repository"),
            ("github:clinic/appliance/".to_string(), "ref or rev"),
            ("github:clinic/appliance/v1/x".to_string(), "path"),
            ("github:/appliance".to_string(), "owner"),
            ("github:clinic".to_string(), "repository"),
            ("github:-clinic/appliance".to_string(), "owner"),
            ("github:clinic/.".to_string(), "repository"),
            ("github:~clinic/appliance".to_string(), "owner"),
            ("git+https://git.msp.example/".to_string(), "path"),
            ("git+https://git.msp.example/x/".to_string(), "path"),
            ("git+https://git.msp.example//x".to_string(), "path"),
            ("git+https://git.msp.example/../x".to_string(), "path"),
            ("git+https://git.msp.example/./x".to_string(), "path"),
            // Hosts are DNS names with an optional port, and no user but for ssh.
            ("git+https://user@git.msp.example/x".to_string(), "host"),
            ("git+https://git.msp.example:0/x".to_string(), "port"),
            ("git+https://git.msp.example:65536/x".to_string(), "port"),
            ("git+https://git.msp.example:/x".to_string(), "port"),
            ("git+https://-git.msp.example/x".to_string(), "host"),
            ("git+https://git..msp.example/x".to_string(), "host"),
            ("git+https:///x".to_string(), "host"),
            ("git+ssh://-oProxyCommand=x@git.msp.example/x".to_string(), "user"),
            // Schemes outside the grammar.
            ("git+file:///etc/x".to_string(), "scheme"),
            ("path:/etc".to_string(), "scheme"),
            ("https://git.msp.example/x".to_string(), "scheme"),
            ("GitHub:clinic/appliance".to_string(), "scheme"),
            ("github:clinic/appliance\u{0}".to_string(), "repository"),
            // Length.
            (format!("github:clinic/appliance?dir={}", "a/".repeat(250) + "a"), "512"),
            // Well-formed but outside the prefixes.
            ("github:clinic/appliance-evil".to_string(), "prefix"),
            ("gitlab:clinic/appliance".to_string(), "prefix"),
        ];
        for (bad, part) in &bad {
            match flake_ref(bad, &p) {
                Ok(()) => panic!("accepted {bad:?}"),
                Err(m) => {
                    // `flake ref "<the reference, escaped and cut>": <why>`
                    let why = m.split_once("\": ").or_else(|| m.split_once("\"…: ")).map_or(m.as_str(), |(_, w)| w);
                    assert!(why.contains(part), "{bad:?}: {m:?} does not name {part:?}");
                }
            }
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
