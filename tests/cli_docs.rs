//! The command line as documented, kept in step with the code: `--help`
//! (src/cli.rs `help()`), README.md's usage block and exit status table,
//! and the man page docs/compliance-agent.8 say the same usage lines, the
//! same commands and options, and the same exit codes with the same
//! meanings as `compliance_agent::EXIT_CODES`. And the documentation is
//! self-contained: no file cites a design document that is not in the
//! repository.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::cli::{help, USAGE};
use compliance_agent::EXIT_CODES;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::child::{output_within, RUN_LIMIT};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// EXIT_CODES as owned pairs.
fn codes() -> Vec<(i32, String)> {
    EXIT_CODES.iter().map(|(c, m)| (*c, m.to_string())).collect()
}

/// The usage syntax of each `compliance-agent …` line of USAGE, without
/// its description: `compliance-agent [--config PATH] check [--json]`.
fn usage_lines() -> Vec<String> {
    USAGE
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| l.starts_with("compliance-agent"))
        .map(|l| l.split("   ").next().unwrap().trim().to_string())
        .collect()
}

/// The command words of a usage line (`config check`, `run`), if any:
/// its lowercase words other than the program name (values are capitals).
fn command_of(usage: &str) -> Option<String> {
    let words: Vec<&str> = usage
        .split(|c: char| c.is_whitespace() || "[]()|".contains(c))
        .skip(1)
        .filter(|w| !w.is_empty() && !w.starts_with('-') && w.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Every `--option` of USAGE: in the usage lines and the Options section.
fn usage_options() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in USAGE.split(|c: char| c.is_whitespace() || "[]()|,:".contains(c)) {
        if word.starts_with("--") && word.len() > 2 && !out.iter().any(|o| o == word) {
            out.push(word.to_string());
        }
    }
    out
}

#[test]
fn help_is_the_usage_and_the_exit_table() {
    let out = output_within(Command::new(env!("CARGO_BIN_EXE_compliance-agent")).arg("--help"), RUN_LIMIT);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, help());
    let (usage, table) = text.split_once("\nExit status:\n").expect("--help has an Exit status section");
    assert_eq!(usage, USAGE);
    let parsed: Vec<(i32, String)> = table
        .lines()
        .map(|l| {
            let (code, meaning) = l.trim_start().split_once("  ").unwrap_or_else(|| panic!("exit line {l:?}"));
            (code.parse().unwrap(), meaning.to_string())
        })
        .collect();
    assert_eq!(parsed, codes());
    let mut sorted = parsed.iter().map(|(c, _)| *c).collect::<Vec<_>>();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), parsed.len(), "exit codes are listed once each, in order");
}

/// The markdown table README.md shows for EXIT_CODES.
fn readme_table() -> String {
    let mut s = String::from("| status | meaning |\n|---|---|\n");
    for (code, meaning) in EXIT_CODES {
        s.push_str(&format!("| {code} | {} |\n", meaning.replace('|', "\\|")));
    }
    s
}

#[test]
fn readme_shows_the_usage_and_the_exit_table() {
    let readme = read("README.md");
    let usage_at = readme.find("<!-- cli:usage").expect("README.md has a <!-- cli:usage … --> marker");
    let block = format!("```text\n{USAGE}```\n");
    assert!(
        readme[usage_at..].find(&block).is_some_and(|at| readme[usage_at..usage_at + at].lines().count() <= 2),
        "README.md's usage block (after <!-- cli:usage -->) must be src/cli.rs USAGE exactly:\n{block}"
    );
    let table_at = readme.find("<!-- cli:exit-status").expect("README.md has a <!-- cli:exit-status … --> marker");
    let rows: Vec<(i32, String)> = readme[table_at..]
        .lines()
        .skip(1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .map(|l| {
            let cells: Vec<String> = l
                .replace("\\|", "\u{0}")
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace('\u{0}', "|"))
                .collect();
            assert_eq!(cells.len(), 2, "README.md exit row {l:?}");
            (cells[0].parse().unwrap_or_else(|_| panic!("README.md exit row {l:?}")), cells[1].clone())
        })
        .collect();
    assert_eq!(rows, codes(), "README.md's exit status table must be EXIT_CODES; it should read:\n{}", readme_table());
}

/// Roff text as a reader sees it: font changes dropped, `\-` as `-`.
fn deroff(s: &str) -> String {
    let mut t = s.to_string();
    for (from, to) in [
        ("\\fB", ""),
        ("\\fI", ""),
        ("\\fR", ""),
        ("\\fP", ""),
        ("\\-", "-"),
        ("\\(em", "—"),
        ("\\&", ""),
        ("\\e", "\\"),
    ] {
        t = t.replace(from, to);
    }
    t
}

/// The man page's sections: name and lines, in order.
fn man_sections(page: &str) -> Vec<(String, Vec<&str>)> {
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    for line in page.lines() {
        if let Some(name) = line.strip_prefix(".SH ") {
            out.push((name.trim_matches('"').to_string(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut() {
            lines.push(line);
        }
    }
    out
}

/// `.TP` entries of a section: the tag line (without `.B `/`.I `) and the
/// text up to the next entry or paragraph, each as a reader sees it.
fn tagged(lines: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i] == ".TP" && i + 1 < lines.len() {
            let tag = lines[i + 1];
            let tag = tag.strip_prefix(".B ").or_else(|| tag.strip_prefix(".I ")).unwrap_or(tag);
            let mut j = i + 2;
            let mut text = Vec::new();
            while j < lines.len() && !matches!(lines[j], ".TP" | ".PP") && !lines[j].starts_with(".SH") {
                text.push(deroff(lines[j]));
                j += 1;
            }
            out.push((deroff(tag), text.join(" ")));
            i = j;
        } else if lines[i] == ".PP" && !out.is_empty() {
            break;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn the_man_page_matches_help() {
    let page = read("docs/compliance-agent.8");
    let sections = man_sections(&page);
    let names: Vec<&str> = sections.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "EXIT STATUS", "FILES", "SEE ALSO"],
        "docs/compliance-agent.8's sections"
    );
    let section = |name: &str| &sections.iter().find(|(n, _)| n == name).unwrap().1;
    let th = page.lines().find(|l| l.starts_with(".TH ")).expect(".TH line");
    assert!(
        th.starts_with(".TH COMPLIANCE-AGENT 8 ")
            && th.contains(&format!("compliance-agent {}", env!("CARGO_PKG_VERSION"))),
        "{th}"
    );

    // SYNOPSIS: the usage lines of --help, in order.
    let synopsis: Vec<String> = section("SYNOPSIS").iter().filter(|l| !l.starts_with('.')).map(|l| deroff(l)).collect();
    assert_eq!(synopsis, usage_lines(), "docs/compliance-agent.8 SYNOPSIS must be --help's usage lines");

    // COMMANDS: one entry per command of the usage lines, and no other.
    let commands: Vec<String> = usage_lines().iter().filter_map(|u| command_of(u)).collect();
    let entries: Vec<String> = tagged(section("COMMANDS")).into_iter().map(|(tag, _)| tag).collect();
    for c in &commands {
        assert!(
            entries.iter().any(|e| e == c || e.starts_with(&format!("{c} "))),
            "docs/compliance-agent.8 COMMANDS lacks {c:?}: {entries:?}"
        );
    }
    for e in &entries {
        let known = commands.iter().any(|c| e == c || e.starts_with(&format!("{c} ")))
            || usage_options().iter().any(|o| e == o);
        assert!(known, "docs/compliance-agent.8 COMMANDS has {e:?}, which --help does not");
    }

    // OPTIONS: every option of --help, and no other.
    let options: Vec<String> = tagged(section("OPTIONS"))
        .into_iter()
        .map(|(tag, _)| tag.split_whitespace().next().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        {
            let mut o = options.clone();
            o.sort();
            o
        },
        {
            let mut o = usage_options();
            o.sort();
            o
        },
        "docs/compliance-agent.8 OPTIONS must describe exactly --help's options"
    );

    // EXIT STATUS: EXIT_CODES.
    let exits: Vec<(i32, String)> = tagged(section("EXIT STATUS"))
        .into_iter()
        .map(|(code, meaning)| (code.parse().unwrap_or_else(|_| panic!("exit entry {code:?}")), meaning))
        .collect();
    let expected: String = EXIT_CODES.iter().map(|(c, m)| format!(".TP\n.B {c}\n{m}\n")).collect();
    assert_eq!(exits, codes(), "docs/compliance-agent.8 EXIT STATUS must be EXIT_CODES:\n{expected}");
}

/// Text files of the repository, outside vendor/ and build output.
fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "vendor" | "target" | ".git" | "corpus" | "artifacts") {
                text_files(&path, out);
            }
        } else if name.ends_with(".md") || name.ends_with(".rs") || name.ends_with(".8") {
            out.push(path);
        }
    }
}

#[test]
fn no_reference_to_a_design_document_outside_the_repository() {
    let mut files = Vec::new();
    text_files(&root(), &mut files);
    assert!(files.len() > 50, "found only {} files under {}", files.len(), root().display());
    // Spelled out at run time, so that this file does not match itself.
    let needle = format!("design {}", '\u{a7}');
    let mut found = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
        for (n, line) in text.lines().enumerate() {
            if line.to_lowercase().contains(&needle) {
                found.push(format!("{}:{}: {}", f.strip_prefix(root()).unwrap().display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "{needle}N names a design document that is not in this repository; point to docs/ or say what it \
         means:\n{}",
        found.join("\n")
    );
}
