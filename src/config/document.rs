//! The configuration document: JSON text to a [`Value`], and the one thing
//! about the text that a `Value` can no longer show, duplicate keys.
//!
//! Owns: parsing the text (serde_json: its syntax errors and its nesting
//! limit) and finding every key that appears twice in one object, at any
//! depth, by its key path (`mcp.order_keys[0].keyid`). JSON leaves a
//! duplicate's meaning open (serde_json keeps the last copy, other readers
//! the first), so the value an engineer reviewed need not be the one the
//! agent runs with; the configuration is refused. The last copy is kept so
//! that the rest of the file can still be checked in the same run.
//! Must never: let a duplicate pass unreported, or build key paths for a
//! document without duplicates (a megabyte of JSON is parsed in one pass
//! with no allocation per value beyond the value itself).

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

/// A parsed configuration document.
#[derive(Debug)]
pub(super) struct Document {
    /// The JSON value (for a duplicate key, its last copy).
    pub(super) value: Value,
    /// Key paths that appear more than once, in the order their second
    /// copies appear in the text.
    pub(super) duplicates: Vec<String>,
}

/// Parses `text` as one JSON value with nothing after it.
pub(super) fn parse(text: &str) -> Result<Document, serde_json::Error> {
    let duplicates = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_str(text);
    let value = Node { at: &Segment::Root, duplicates: &duplicates }.deserialize(&mut de)?;
    de.end()?;
    Ok(Document { value, duplicates: duplicates.into_inner() })
}

/// Where a value sits, as a chain of segments from the root: rendered into
/// a key path only when a duplicate is found.
enum Segment<'p> {
    Root,
    Key(&'p Segment<'p>, &'p str),
    Index(&'p Segment<'p>, usize),
}

impl fmt::Display for Segment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Root => Ok(()),
            Segment::Key(Segment::Root, key) => f.write_str(key),
            Segment::Key(parent, key) => write!(f, "{parent}.{key}"),
            Segment::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Deserializes the value at `at` into a [`Value`], recording duplicates.
struct Node<'p> {
    at: &'p Segment<'p>,
    duplicates: &'p RefCell<Vec<String>>,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let at = Segment::Index(self.at, out.len());
            match seq.next_element_seed(Node { at: &at, duplicates: self.duplicates })? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        let mut reported: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = {
                let at = Segment::Key(self.at, &key);
                map.next_value_seed(Node { at: &at, duplicates: self.duplicates })?
            };
            if out.contains_key(&key) && !reported.contains(&key) {
                self.duplicates.borrow_mut().push(Segment::Key(self.at, &key).to_string());
                reported.push(key.clone());
            }
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_found_at_every_depth_in_text_order() {
        let d = parse(r#"{"a": 1, "b": {"c": [{"k": 1, "k": 2, "k": 3}], "c": 0}, "a": 2, "a": 3}"#).unwrap();
        assert_eq!(d.duplicates, ["b.c[0].k", "b.c", "a"]);
        // The last copy counts, as serde_json's own Value would have it.
        assert_eq!(d.value["a"], 3);
        assert_eq!(d.value["b"]["c"], 0);
    }

    #[test]
    fn same_value_as_serde_json_without_duplicates() {
        let text =
            r#"{"s": "x\u00e9\n", "n": [0, -1, 18446744073709551615, 1.5, 1e400], "t": true, "z": null, "o": {}}"#;
        let d = parse(text);
        let plain: Result<Value, _> = serde_json::from_str(text);
        match (d, plain) {
            (Ok(d), Ok(plain)) => {
                assert_eq!(d.value, plain);
                assert!(d.duplicates.is_empty());
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("{a:?} vs {b:?}"),
        }
    }

    #[test]
    fn syntax_errors_and_nesting_are_serde_json_s() {
        for text in ["{\"site_id\": ", "{} x", "[1,]", "{\"a\" 1}", &"[".repeat(100_000)] {
            let mine = parse(text).unwrap_err().to_string();
            let theirs = serde_json::from_str::<Value>(text).unwrap_err().to_string();
            assert_eq!(mine, theirs);
        }
    }
}
