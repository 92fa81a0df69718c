//! nft scripts split into statements the way nft's scanner splits them, and
//! the filter every script passes before the agent hands it to `nft -f`.
//!
//! Owns: the one judgement "may nft load this text?". A ruleset arrives
//! from a signed order or a signed configuration file, but it is data: it
//! must never make nft read a file (whose lines nft would then print in its
//! error messages, straight into evidence) or run a command that is not
//! ruleset building. Anything this scanner cannot judge is refused.
//! Must never: accept what nft's own scanner would read differently.
//!
//! Like nft's scanner (src/scanner.l): `#` starts a comment to the end of
//! the line unless it is inside a double-quoted string; a quoted string is
//! `"` up to the next `"` (nft has no escapes in strings); `{ }` nest;
//! statements are separated by a newline or `;` outside braces. Keywords
//! are whole tokens: `include_x` and `x-include` are single identifiers,
//! `comment "include me"` is a string.
//!
//! Refused:
//! - the `include` keyword anywhere outside a quoted string, at the top level
//!   or inside a block (nft accepts it in both places). That also covers
//!   `define f = "/etc/shadow"` followed by `include $f`: the variable is
//!   harmless, the `include` token is not, and every one is refused;
//! - a backslash outside a string (nft's line continuation and `\*`), a
//!   quoted string that does not end on its line, unbalanced braces or
//!   quotes, control characters other than tab, newline and CRLF;
//! - a top-level statement whose first word is not a ruleset-building
//!   command ([`COMMANDS`]): `list`, `monitor`, `export`, `import`,
//!   `describe`, `reset`, `include` and everything else.

use std::fmt;

/// The top-level commands a ruleset may use: they build or remove ruleset
/// objects and nothing else.
pub const COMMANDS: [&str; 11] =
    ["table", "add", "create", "insert", "replace", "delete", "destroy", "flush", "define", "redefine", "undefine"];

/// One top-level statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement<'a> {
    /// 1-based line of its first token.
    pub line: usize,
    /// Its first word (one of [`COMMANDS`]).
    pub command: &'a str,
    /// Its text, trimmed, without the separator.
    pub text: &'a str,
}

/// Why a script was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 1-based line.
    pub line: usize,
    /// A short reason, never a copy of the script beyond one command word.
    pub reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

fn refuse<T>(line: usize, reason: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal { line, reason: reason.into() })
}

/// nft's identifier characters after the first (`{letter}|{digit}|[/\-_.]`).
fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.')
}

/// Bytes after which nft always starts a new token. After anything else
/// (`:` of an address, `+`, `*`, `[`, a non-ASCII byte, …) a token of
/// nft's could run on into the next word, so that word is not judged as
/// one identifier.
fn separator_byte(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(b, b'{' | b'}' | b';' | b',' | b'(' | b')' | b'"' | b'=' | b'@' | b'$' | b'!' | b'<' | b'>')
}

/// Whether nft could read an `include` keyword in the word `bytes[start..end]`.
/// The keyword is a token only where no longer token covers it: a word that
/// starts like an identifier (letter, `_`, `.`) right after a separator is
/// one identifier token, longer than the keyword, unless it *is* the keyword.
/// Anything else containing `include` is refused as ambiguous.
fn include_token(bytes: &[u8], start: usize, end: usize) -> bool {
    let word = &bytes[start..end];
    if !word.windows(7).any(|w| w.eq_ignore_ascii_case(b"include")) {
        return false;
    }
    let identifier_start = word.first().is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.'));
    let after_separator = start == 0 || separator_byte(bytes[start - 1]);
    word.eq_ignore_ascii_case(b"include") || !identifier_start || !after_separator
}

/// Splits `script` into top-level statements and refuses anything that
/// would make nft read a file or that this scanner cannot judge.
pub fn parse(script: &str) -> Result<Vec<Statement<'_>>, Refusal> {
    let bytes = script.as_bytes();
    let mut out = Vec::new();
    let mut line = 1;
    // The line of each open `{`.
    let mut open_braces: Vec<usize> = Vec::new();
    // (offset, line) of the current top-level statement's first token.
    let mut current: Option<(usize, usize)> = None;
    // No control characters anywhere, not even in strings (CR only before LF).
    for (n, text) in script.split('\n').enumerate() {
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return refuse(n + 1, "a control character");
        }
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' | b';' => {
                if open_braces.is_empty() {
                    if let Some(s) = current.take() {
                        out.push(statement(script, s, i)?);
                    }
                }
                if b == b'\n' {
                    line += 1;
                }
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                // A comment runs to the end of the line (the newline ends the statement).
                i = bytes[i..].iter().position(|&c| c == b'\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            _ => {}
        }
        if current.is_none() {
            current = Some((i, line));
        }
        match b {
            b'"' => {
                let Some(len) = bytes[i + 1..].iter().position(|&c| c == b'"') else {
                    return refuse(line, "a quoted string is not closed");
                };
                if bytes[i + 1..i + 1 + len].contains(&b'\n') {
                    return refuse(line, "a quoted string runs past the end of its line");
                }
                i += len + 2;
            }
            b'\\' => return refuse(line, "a backslash outside a quoted string"),
            b'{' => {
                open_braces.push(line);
                i += 1;
            }
            b'}' => {
                if open_braces.pop().is_none() {
                    return refuse(line, "a `}` closes nothing");
                }
                i += 1;
            }
            _ if word_byte(b) => {
                let end = bytes[i..].iter().position(|&c| !word_byte(c)).map_or(bytes.len(), |n| i + n);
                if include_token(bytes, i, end) {
                    return refuse(line, "`include` would make nft read a file");
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    if let Some(&opened) = open_braces.first() {
        return refuse(opened, "a `{` is never closed");
    }
    if let Some(s) = current {
        out.push(statement(script, s, bytes.len())?);
    }
    Ok(out)
}

/// The statement that starts at `start` and ends before `end`, if its first
/// word is an allowed command.
fn statement(script: &str, (start, line): (usize, usize), end: usize) -> Result<Statement<'_>, Refusal> {
    let text = script[start..end].trim();
    let len = text.bytes().position(|b| !word_byte(b)).unwrap_or(text.len());
    let command = &text[..len];
    if COMMANDS.contains(&command) {
        return Ok(Statement { line, command, text });
    }
    let allowed = COMMANDS.join(", ");
    if command.is_empty() || !command.bytes().all(|b| b.is_ascii_alphabetic()) || command.len() > 24 {
        return refuse(line, format!("a top-level statement must start with one of: {allowed}"));
    }
    refuse(line, format!("`{command}` is not a ruleset-building command (allowed: {allowed})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_scripts() {
        let ok: &[(&str, &[&str])] = &[
            ("", &[]),
            ("# only a comment\n\n", &[]),
            ("flush ruleset\ntable inet filter {\n}\n", &["flush", "table"]),
            // A keyword inside a quoted string, or part of a longer identifier.
            (
                "table inet t {\n  chain include_x {\n    tcp dport 22 accept comment \"include me\"\n  }\n}\n",
                &["table"],
            ),
            ("add chain inet t x-include\nadd set inet t my.include { type ipv4_addr; }\n", &["add", "add"]),
            ("add table inet t; add chain inet t c # include \"/etc/shadow\"\n", &["add", "add"]),
            ("define f = \"/etc/shadow\"\nadd rule inet t c meta mark $f accept\n", &["define", "add"]),
            ("table ip x {\r\n\tchain y {\r\n\t}\r\n}\r\n", &["table"]),
            (
                "delete table inet f2b; create table inet a; insert rule inet a c accept\n",
                &["delete", "create", "insert"],
            ),
            (
                "replace rule inet a c handle 4 drop\ndestroy table inet b\nredefine x = 1\nundefine x\n",
                &["replace", "destroy", "redefine", "undefine"],
            ),
            // `#` inside a string is not a comment; `;` inside braces does not end the statement.
            (
                "table inet t { chain c { type filter hook input priority 0; policy drop; iifname \"#x\" accept; } }",
                &["table"],
            ),
        ];
        for (script, commands) in ok {
            let got = parse(script).unwrap_or_else(|r| panic!("{script:?} refused: {r}"));
            assert_eq!(got.iter().map(|s| s.command).collect::<Vec<_>>(), *commands, "{script:?}");
        }
        let s = parse("\n\n  add table inet t  ;\n").unwrap();
        assert_eq!((s[0].line, s[0].text), (3, "add table inet t"));
    }

    #[test]
    fn refused_scripts() {
        let include = "`include` would make nft read a file";
        let refused: &[(&str, usize, &str)] = &[
            ("include \"/etc/shadow\"\n", 1, include),
            ("flush ruleset\n\ntable inet t {\n  chain c {\n  include \"/x\"\n  }\n}\n", 5, include),
            ("table inet t { include \"/x\" }", 1, include),
            ("define f = \"/etc/shadow\"\ninclude $f\n", 2, include),
            ("table inet t {}; include\"/x\"", 1, include),
            ("INCLUDE \"/x\"\n", 1, include),
            ("add rule inet t c ip saddr $include accept\n", 1, include),
            // A token of nft's (here a MAC address) could end inside the word.
            ("add element inet t s { a:b:c:d:e:finclude \"/x\" }\n", 1, include),
            ("add rule inet t c 9include\n", 1, include),
            ("add rule inet t c x+include\n", 1, include),
            ("list ruleset\n", 1, "`list` is not a ruleset-building command"),
            ("flush ruleset\nmonitor\n", 2, "`monitor` is not"),
            ("export ruleset json\n", 1, "`export` is not"),
            ("import ruleset json\n", 1, "`import` is not"),
            ("describe tcp dport\n", 1, "`describe` is not"),
            ("reset counters\n", 1, "`reset` is not"),
            ("chain inet t c { policy accept; }\n", 1, "`chain` is not"),
            ("TABLE inet t {}\n", 1, "`TABLE` is not"),
            ("{ }\n", 1, "must start with one of"),
            ("\"table\" inet t\n", 1, "must start with one of"),
            ("table inet t {\n", 1, "a `{` is never closed"),
            ("table inet t { }\n}\n", 2, "a `}` closes nothing"),
            ("table inet t { comment \"x }\n", 1, "a quoted string is not closed"),
            ("table inet t { comment \"a\nb\" }\n", 1, "runs past the end of its line"),
            ("add rule inet t c iifname eth\\* accept\n", 1, "backslash"),
            ("add table inet t \\\n", 1, "backslash"),
            ("add table inet t\0\n", 1, "a control character"),
            ("add table inet t\rlist ruleset\n", 1, "a control character"),
            ("flush ruleset\nadd table inet t { comment \"\u{1b}[2J\" }\n", 2, "a control character"),
        ];
        for (script, line, why) in refused {
            let r = parse(script).err().unwrap_or_else(|| panic!("{script:?} was accepted"));
            assert_eq!(r.line, *line, "{script:?}: {r}");
            assert!(r.reason.contains(why), "{script:?}: {r}");
        }
    }

    #[test]
    fn refusal_names_the_line() {
        let r = parse("flush ruleset\ntable inet t {\n  include \"/etc/shadow\"\n}\n").unwrap_err();
        assert_eq!(r.to_string(), "line 3: `include` would make nft read a file");
        assert!(!r.to_string().contains("shadow"));
    }
}
