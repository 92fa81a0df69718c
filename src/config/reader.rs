//! The strict JSON reader every section is read with.
//!
//! Owns: [`Obj`], one JSON object read key by key: the dotted key path of
//! every error (`checks.services.units[2]`), typed getters whose messages
//! say what was expected and what was found, and unknown-key detection
//! ([`Obj::finish`] rejects every key no getter asked for, so a typo is an
//! error rather than a silently ignored setting, and names the nearest key
//! that was asked for). Errors are not returned one at a time: each is
//! recorded in the document's [`Findings`] as it is found and the getter
//! returns [`Reported`], so a reader goes on to the next key and one run
//! reports every error, in the order the keys are read.
//! Must never: know a section's keys or defaults (those live in the section
//! files), accept a relative or `..` path, or read anything but the JSON
//! value it was given.

use super::ConfigError;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// Marks a value that could not be read: its error has been recorded in the
/// [`Findings`]. Only recording an error ([`Findings::record`], which
/// [`Obj::fail`] calls) makes one, so an `Err` always has an error behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reported(());

/// A value read from the document, or [`Reported`].
pub(super) type Read<T> = Result<T, Reported>;

/// What reading one document found: every error in the order it was found,
/// and the path of every key a getter asked for (present or not).
#[derive(Debug, Default)]
pub(super) struct Findings {
    errors: RefCell<Vec<ConfigError>>,
    keys: RefCell<Vec<String>>,
}

impl Findings {
    /// Records an error found outside an [`Obj`] (the document as a whole).
    pub(super) fn record(&self, error: ConfigError) -> Reported {
        self.errors.borrow_mut().push(error);
        Reported(())
    }

    /// The errors and the key paths asked for, in order.
    pub(super) fn into_parts(self) -> (Vec<ConfigError>, Vec<String>) {
        (self.errors.into_inner(), self.keys.into_inner())
    }
}

/// A JSON object being read key by key; remembers which keys were used so
/// that [`Obj::finish`] can reject the rest.
///
/// A section reader reads every key into a local before it uses `?` on any
/// of them: a key never asked for would be reported as unknown.
pub(super) struct Obj<'a> {
    file: &'a Path,
    path: String,
    map: &'a Map<String, Value>,
    used: RefCell<Vec<String>>,
    found: &'a Findings,
}

impl<'a> Obj<'a> {
    pub(super) fn root(value: &'a Value, file: &'a Path, found: &'a Findings) -> Read<Self> {
        match value {
            Value::Object(map) => Ok(Obj { file, path: String::new(), map, used: RefCell::new(Vec::new()), found }),
            _ => Err(found.record(ConfigError {
                file: file.to_path_buf(),
                key: String::new(),
                message: "the top level must be a JSON object".into(),
            })),
        }
    }

    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Records an error at `key` (a key of this object, or a deeper path
    /// such as `units[2]` or `target`).
    pub(super) fn fail(&self, key: &str, message: String) -> Reported {
        self.found.record(ConfigError { file: self.file.to_path_buf(), key: self.key_path(key), message })
    }

    /// Records a validation result: `Err(message)` becomes an error at `key`.
    pub(super) fn check<T>(&self, key: &str, result: Result<T, String>) -> Read<T> {
        result.map_err(|m| self.fail(key, m))
    }

    fn mark_used(&self, key: &str) {
        self.used.borrow_mut().push(key.to_string());
        self.found.keys.borrow_mut().push(self.key_path(key));
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.mark_used(key);
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn require(&self, key: &str) -> Read<&'a Value> {
        self.get(key).ok_or_else(|| self.fail(key, "is required".to_string()))
    }

    pub(super) fn child(&self, key: &str, v: &'a Value) -> Read<Obj<'a>> {
        match v {
            Value::Object(map) => Ok(Obj {
                file: self.file,
                path: self.key_path(key),
                map,
                used: RefCell::new(Vec::new()),
                found: self.found,
            }),
            other => Err(self.fail(key, format!("must be an object, found {}", kind(other)))),
        }
    }

    pub(super) fn obj(&self, key: &str) -> Read<Obj<'a>> {
        self.child(key, self.require(key)?)
    }

    pub(super) fn opt_obj(&self, key: &str) -> Read<Option<Obj<'a>>> {
        self.get(key).map(|v| self.child(key, v)).transpose()
    }

    pub(super) fn str(&self, key: &str) -> Read<String> {
        match self.require(key)? {
            Value::String(s) => Ok(s.clone()),
            other => Err(self.fail(key, format!("must be a string, found {}", kind(other)))),
        }
    }

    pub(super) fn opt_str(&self, key: &str) -> Read<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.fail(key, format!("must be a string, found {}", kind(other)))),
        }
    }

    pub(super) fn parse<T>(&self, key: &str, f: impl Fn(&str) -> Result<T, String>) -> Read<T> {
        self.check(key, f(&self.str(key)?))
    }

    pub(super) fn abs_path(&self, key: &str) -> Read<PathBuf> {
        self.parse(key, absolute)
    }

    pub(super) fn opt_abs_path(&self, key: &str) -> Read<Option<PathBuf>> {
        self.opt_str(key)?.map(|s| self.check(key, absolute(&s))).transpose()
    }

    pub(super) fn bool_or(&self, key: &str, default: bool) -> Read<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(self.fail(key, format!("must be true or false, found {}", kind(other)))),
        }
    }

    pub(super) fn opt_u64(&self, key: &str) -> Read<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                n.as_u64().map(Some).ok_or_else(|| self.fail(key, format!("must be a whole number >= 0, found {n}")))
            }
            Some(other) => Err(self.fail(key, format!("must be a number, found {}", kind(other)))),
        }
    }

    pub(super) fn u64_or(&self, key: &str, default: u64) -> Read<u64> {
        Ok(self.opt_u64(key)?.unwrap_or(default))
    }

    pub(super) fn opt_positive(&self, key: &str) -> Read<Option<u64>> {
        match self.opt_u64(key)? {
            Some(0) => Err(self.fail(key, "must be greater than 0".to_string())),
            other => Ok(other),
        }
    }

    pub(super) fn positive_or(&self, key: &str, default: u64) -> Read<u64> {
        Ok(self.opt_positive(key)?.unwrap_or(default))
    }

    pub(super) fn positive_or_required(&self, key: &str) -> Read<u64> {
        self.require(key)?;
        self.positive_or(key, 0)
    }

    /// An optional whole number (None when the key is absent).
    pub(super) fn opt_i64(&self, key: &str) -> Read<Option<i64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                n.as_i64().map(Some).ok_or_else(|| self.fail(key, format!("must be a whole number, found {n}")))
            }
            Some(other) => Err(self.fail(key, format!("must be a number, found {}", kind(other)))),
        }
    }

    pub(super) fn array(&self, key: &str) -> Read<&'a Vec<Value>> {
        match self.require(key)? {
            Value::Array(a) => Ok(a),
            other => Err(self.fail(key, format!("must be a list, found {}", kind(other)))),
        }
    }

    /// A list of strings, each checked by `f`; every bad element is reported.
    pub(super) fn list<T>(&self, key: &str, f: impl Fn(&str) -> Result<T, String>) -> Read<Vec<T>> {
        let items: Vec<Read<T>> = self
            .array(key)?
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => self.check(&format!("{key}[{i}]"), f(s)),
                other => Err(self.fail(&format!("{key}[{i}]"), format!("must be a string, found {}", kind(other)))),
            })
            .collect();
        items.into_iter().collect()
    }

    pub(super) fn str_list(&self, key: &str) -> Read<Vec<String>> {
        self.list(key, |s| Ok(s.to_string()))
    }

    /// Whether an optional `key` is given (not absent, not `null`); when it
    /// is not, it counts as read.
    pub(super) fn opt_array_given(&self, key: &str) -> bool {
        if self.map.get(key).is_none_or(Value::is_null) {
            self.mark_used(key);
            return false;
        }
        true
    }

    pub(super) fn str_list_or(&self, key: &str) -> Read<Vec<String>> {
        if self.map.get(key).is_none_or(Value::is_null) {
            self.mark_used(key);
            return Ok(Vec::new());
        }
        self.str_list(key)
    }

    /// Runs `read` on this object, then [`Obj::finish`]es it: unknown keys
    /// are reported after the errors `read` found, whatever it returned.
    pub(super) fn read_then_finish<T>(&self, read: impl FnOnce(&Self) -> Read<T>) -> Read<T> {
        let out = read(self);
        self.finish();
        out
    }

    /// Reports every key that was never asked for (in the map's order),
    /// naming the nearest key that was when one is close.
    pub(super) fn finish(&self) {
        let used = self.used.borrow();
        for unknown in self.map.keys().filter(|k| !used.iter().any(|u| u == *k)) {
            let message = match nearest(unknown, &used) {
                Some(known) => format!("unknown key {unknown:?}; did you mean {known:?}?"),
                None => "unknown key".to_string(),
            };
            self.fail(unknown, message);
        }
    }
}

/// The known key closest to `unknown`: the same but for case, `-` and `_`,
/// else at most 2 edits away (an edit inserts, deletes or replaces one
/// character, or swaps two neighbours); the first known key wins a tie.
fn nearest<'k>(unknown: &str, known: &'k [String]) -> Option<&'k str> {
    let fold = |s: &str| s.to_lowercase().replace('-', "_");
    let unknown_folded = fold(unknown);
    // Rank 0: the same key spelt differently; 1 + edits otherwise.
    known
        .iter()
        .filter_map(|k| {
            let rank = if fold(k) == unknown_folded { 0 } else { 1 + edit_distance(unknown, k)? };
            (rank <= 3).then_some((rank, k.as_str()))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, k)| k)
}

/// Optimal-string-alignment distance between `a` and `b` in characters, or
/// `None` when it is certainly above 2 (the lengths differ by more; this
/// also bounds the work for a megabyte-long key).
fn edit_distance(a: &str, b: &str) -> Option<usize> {
    // A character is 1-4 bytes: byte lengths this far apart cannot be close.
    if a.len() > 4 * (b.len() + 2) || b.len() > 4 * (a.len() + 2) {
        return None;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 {
        return None;
    }
    // rows[i][j] = distance between a[..i] and b[..j].
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    Some(rows[a.len()][b.len()])
}

fn absolute(s: &str) -> Result<PathBuf, String> {
    if !s.starts_with('/') {
        return Err(format!("{s:?} is not an absolute path"));
    }
    if s.chars().any(|c| c.is_control()) || s.split('/').any(|part| part == "..") {
        return Err(format!("{s:?} contains control characters or `..`"));
    }
    Ok(PathBuf::from(s))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
