//! The strict JSON reader every section is read with.
//!
//! Owns: [`Obj`], one JSON object read key by key: the dotted key path of
//! every error (`checks.services.units[2]`), typed getters whose messages
//! say what was expected and what was found, and unknown-key detection
//! ([`Obj::finish`] rejects every key no getter asked for, so a typo is an
//! error rather than a silently ignored setting).
//! Must never: know a section's keys or defaults (those live in the section
//! files), accept a relative or `..` path, or read anything but the JSON
//! value it was given.

use super::ConfigError;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// A JSON object being read key by key; remembers which keys were used so
/// that [`Obj::finish`] can reject the rest.
pub(super) struct Obj<'a> {
    file: &'a Path,
    path: String,
    map: &'a Map<String, Value>,
    used: RefCell<Vec<String>>,
}

impl<'a> Obj<'a> {
    pub(super) fn root(value: &'a Value, file: &'a Path) -> Result<Self, ConfigError> {
        match value {
            Value::Object(map) => Ok(Obj { file, path: String::new(), map, used: RefCell::new(Vec::new()) }),
            _ => Err(ConfigError {
                file: file.to_path_buf(),
                key: String::new(),
                message: "the top level must be a JSON object".into(),
            }),
        }
    }

    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(super) fn error(&self, key: &str, message: String) -> ConfigError {
        ConfigError { file: self.file.to_path_buf(), key: self.key_path(key), message }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.used.borrow_mut().push(key.to_string());
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn require(&self, key: &str) -> Result<&'a Value, ConfigError> {
        self.get(key).ok_or_else(|| self.error(key, "is required".to_string()))
    }

    pub(super) fn child(&self, key: &str, v: &'a Value) -> Result<Obj<'a>, ConfigError> {
        match v {
            Value::Object(map) => {
                Ok(Obj { file: self.file, path: self.key_path(key), map, used: RefCell::new(Vec::new()) })
            }
            other => Err(self.error(key, format!("must be an object, found {}", kind(other)))),
        }
    }

    pub(super) fn obj(&self, key: &str) -> Result<Obj<'a>, ConfigError> {
        self.child(key, self.require(key)?)
    }

    pub(super) fn opt_obj(&self, key: &str) -> Result<Option<Obj<'a>>, ConfigError> {
        self.get(key).map(|v| self.child(key, v)).transpose()
    }

    pub(super) fn str(&self, key: &str) -> Result<String, ConfigError> {
        match self.require(key)? {
            Value::String(s) => Ok(s.clone()),
            other => Err(self.error(key, format!("must be a string, found {}", kind(other)))),
        }
    }

    pub(super) fn opt_str(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.error(key, format!("must be a string, found {}", kind(other)))),
        }
    }

    pub(super) fn parse<T>(&self, key: &str, f: impl Fn(&str) -> Result<T, String>) -> Result<T, ConfigError> {
        f(&self.str(key)?).map_err(|m| self.error(key, m))
    }

    pub(super) fn abs_path(&self, key: &str) -> Result<PathBuf, ConfigError> {
        self.parse(key, absolute)
    }

    pub(super) fn opt_abs_path(&self, key: &str) -> Result<Option<PathBuf>, ConfigError> {
        self.opt_str(key)?.map(|s| absolute(&s).map_err(|m| self.error(key, m))).transpose()
    }

    pub(super) fn bool_or(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(self.error(key, format!("must be true or false, found {}", kind(other)))),
        }
    }

    pub(super) fn opt_u64(&self, key: &str) -> Result<Option<u64>, ConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                n.as_u64().map(Some).ok_or_else(|| self.error(key, format!("must be a whole number >= 0, found {n}")))
            }
            Some(other) => Err(self.error(key, format!("must be a number, found {}", kind(other)))),
        }
    }

    pub(super) fn u64_or(&self, key: &str, default: u64) -> Result<u64, ConfigError> {
        Ok(self.opt_u64(key)?.unwrap_or(default))
    }

    pub(super) fn opt_positive(&self, key: &str) -> Result<Option<u64>, ConfigError> {
        match self.opt_u64(key)? {
            Some(0) => Err(self.error(key, "must be greater than 0".to_string())),
            other => Ok(other),
        }
    }

    pub(super) fn positive_or(&self, key: &str, default: u64) -> Result<u64, ConfigError> {
        Ok(self.opt_positive(key)?.unwrap_or(default))
    }

    pub(super) fn positive_or_required(&self, key: &str) -> Result<u64, ConfigError> {
        self.require(key)?;
        self.positive_or(key, 0)
    }

    pub(super) fn i64_or(&self, key: &str, default: i64) -> Result<i64, ConfigError> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Number(n)) => {
                n.as_i64().ok_or_else(|| self.error(key, format!("must be a whole number, found {n}")))
            }
            Some(other) => Err(self.error(key, format!("must be a number, found {}", kind(other)))),
        }
    }

    pub(super) fn array(&self, key: &str) -> Result<&'a Vec<Value>, ConfigError> {
        match self.require(key)? {
            Value::Array(a) => Ok(a),
            other => Err(self.error(key, format!("must be a list, found {}", kind(other)))),
        }
    }

    pub(super) fn list<T>(&self, key: &str, f: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, ConfigError> {
        self.array(key)?
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => f(s).map_err(|m| self.error(&format!("{key}[{i}]"), m)),
                other => Err(self.error(&format!("{key}[{i}]"), format!("must be a string, found {}", kind(other)))),
            })
            .collect()
    }

    pub(super) fn str_list(&self, key: &str) -> Result<Vec<String>, ConfigError> {
        self.list(key, |s| Ok(s.to_string()))
    }

    pub(super) fn str_list_or(&self, key: &str) -> Result<Vec<String>, ConfigError> {
        if self.map.get(key).is_none_or(Value::is_null) {
            self.used.borrow_mut().push(key.to_string());
            return Ok(Vec::new());
        }
        self.str_list(key)
    }

    /// Rejects keys that were never read.
    pub(super) fn finish(&self) -> Result<(), ConfigError> {
        let used = self.used.borrow();
        match self.map.keys().find(|k| !used.iter().any(|u| u == *k)) {
            Some(unknown) => Err(self.error(unknown, "unknown key".to_string())),
            None => Ok(()),
        }
    }
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
