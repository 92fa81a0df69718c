//! The tree shows the design, and keeps showing it: every source file is in
//! docs/architecture.md's module table (and every row is a file), no source
//! file grows past ~500 lines of code (tests aside), and the top-level
//! modules import each other without a circle.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest a source file may be, its `#[cfg(test)]` part aside.
const MAX_CODE_LINES: usize = 520;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/agent/poll.rs` → `agent::poll`, `src/store/mod.rs` → `store`,
/// `src/main.rs` → `main.rs`; None for files that only hold a module's
/// tests (`tests.rs`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    let last = parts.last().unwrap().as_str();
    if last == "tests.rs" {
        return None;
    }
    if parts.len() == 1 && (last == "main.rs" || last == "lib.rs") {
        return Some(last.to_string());
    }
    let mut names: Vec<&str> = parts[..parts.len() - 1].iter().map(String::as_str).collect();
    if last != "mod.rs" {
        names.push(last.trim_end_matches(".rs"));
    }
    Some(names.join("::"))
}

/// The code of a file without its trailing `#[cfg(test)]` module.
fn code(text: &str) -> &str {
    match text.find("\n#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    }
}

fn sources() -> BTreeMap<String, (PathBuf, String)> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .filter_map(|f| {
            let m = module_of(&src, &f)?;
            let text = std::fs::read_to_string(&f).unwrap();
            Some((m, (f, text)))
        })
        .collect()
}

/// The first column of docs/architecture.md's module table.
fn documented() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let table = doc.split("## Modules").nth(1).expect("a '## Modules' section").split("\n## ").next().unwrap();
    table
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`').map(|(m, _)| m.to_string()))
        .collect()
}

#[test]
fn the_module_table_lists_exactly_the_source_files() {
    let files: BTreeSet<String> = sources().into_keys().collect();
    let doc = documented();
    let missing: Vec<&String> = files.difference(&doc).collect();
    let stale: Vec<&String> = doc.difference(&files).collect();
    assert!(missing.is_empty(), "source files not in docs/architecture.md's module table: {missing:?}");
    assert!(stale.is_empty(), "rows of docs/architecture.md's module table with no source file: {stale:?}");
}

#[test]
fn no_source_file_is_over_about_500_lines_of_code() {
    let long: Vec<String> = sources()
        .into_iter()
        .map(|(m, (_, text))| (m, code(&text).lines().count()))
        .filter(|(_, n)| *n > MAX_CODE_LINES)
        .map(|(m, n)| format!("{m}: {n}"))
        .collect();
    assert!(long.is_empty(), "split these (code lines, tests aside): {long:?}");
}

#[test]
fn top_level_modules_import_each_other_without_a_circle() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, (_, text)) in sources() {
        let top = m.split("::").next().unwrap().to_string();
        if top.ends_with(".rs") {
            continue;
        }
        // Comments may name a module without importing it.
        let code: String =
            code(&text).lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                .collect();
            if !name.is_empty() && name != top {
                edges.entry(top.clone()).or_default().insert(name);
            }
        }
    }
    // Depth-first search for a back edge; report the circle it closes.
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut circle = path[i..].to_vec();
            circle.push(n.to_string());
            return Some(circle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for next in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in edges.keys() {
        if let Some(circle) = visit(n, &edges, &mut Vec::new(), &mut done) {
            panic!("import circle between top-level modules: {}", circle.join(" -> "));
        }
    }
}
