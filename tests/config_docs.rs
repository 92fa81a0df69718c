//! The configuration's documentation, kept equal to the parser.
//!
//! One source of truth: the parser. `config::accepted_keys()` lists every
//! key it reads and whether it is required (found by running the reader
//! itself). `docs/config.schema.json` must have exactly those keys and
//! required-ness, and its types, bounds, enums, defaults and examples are
//! tried on the parser one key at a time. `docs/configuration.md` must
//! document exactly those keys, with the schema's defaults and examples.
//! The two files in `examples/` must parse.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use compliance_agent::config::{accepted_keys, Config, ConfigErrors, DeploymentMode};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn schema() -> Value {
    serde_json::from_str(&read("docs/config.schema.json")).unwrap()
}

const FILE: &str = "/etc/compliance-agent/config.json";

fn parse(v: &Value) -> Result<Config, ConfigErrors> {
    Config::parse(&v.to_string(), Path::new(FILE))
}

/// One step from a config value to a key: an object key, or a list's first
/// element.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    First,
}

/// A property of the schema.
#[derive(Debug, Clone)]
struct Prop {
    /// Dotted path, `[]` for a list's elements: `mcp.order_keys[].keyid`.
    path: String,
    /// Where it sits in a config value.
    steps: Vec<Step>,
    /// Its schema node.
    node: Value,
    /// Listed in its object's `required`.
    required: bool,
}

impl Prop {
    /// The key path in an error about this key in a config built by
    /// [`full_config`] (lists have one element).
    fn error_key(&self) -> String {
        self.path.replace("[]", "[0]")
    }

    fn key(&self) -> &str {
        match self.steps.last() {
            Some(Step::Key(k)) => k,
            _ => unreachable!("a property is an object key"),
        }
    }
}

fn resolve<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => schema.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("unresolved {r}")),
        None => node,
    }
}

/// The object schema a property holds, if it is an object: the node itself,
/// or (a check section) the `$ref` branch of its `anyOf`.
fn object_shape<'a>(schema: &'a Value, node: &'a Value) -> Option<&'a Value> {
    if node.get("properties").is_some() {
        return Some(node);
    }
    node.get("anyOf")?.as_array()?.iter().find(|b| b.get("$ref").is_some()).map(|b| resolve(schema, b))
}

/// The object schema of a list's elements, if they are objects.
fn item_shape(node: &Value) -> Option<&Value> {
    node.get("items").filter(|i| i.get("properties").is_some())
}

fn walk(schema: &Value, shape: &Value, path: &str, steps: &[Step], out: &mut Vec<Prop>) {
    let required: Vec<&str> = shape["required"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    for (key, node) in shape["properties"].as_object().unwrap() {
        let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        let mut steps = steps.to_vec();
        steps.push(Step::Key(key.clone()));
        out.push(Prop {
            path: path.clone(),
            steps: steps.clone(),
            node: node.clone(),
            required: required.contains(&key.as_str()),
        });
        if let Some(shape) = object_shape(schema, node) {
            walk(schema, shape, &path, &steps, out);
        } else if let Some(items) = item_shape(node) {
            steps.push(Step::First);
            walk(schema, items, &format!("{path}[]"), &steps, out);
        }
    }
}

fn props(schema: &Value) -> Vec<Prop> {
    let mut out = Vec::new();
    walk(schema, schema, "", &[], &mut out);
    out
}

/// Every object schema: the root, each object property's, each list's
/// element's, each `$defs` entry.
fn shapes(schema: &Value) -> Vec<(String, Value)> {
    let mut out = vec![(String::from("(top level)"), schema.clone())];
    for p in props(schema) {
        if let Some(s) = object_shape(schema, &p.node) {
            out.push((p.path.clone(), s.clone()));
        }
        if let Some(s) = item_shape(&p.node) {
            out.push((format!("{}[]", p.path), s.clone()));
        }
    }
    out
}

/// The JSON types a property allows.
fn types(schema: &Value, node: &Value) -> Vec<String> {
    if let Some(branches) = node.get("anyOf").and_then(Value::as_array) {
        return branches.iter().flat_map(|b| types(schema, resolve(schema, b))).collect();
    }
    match &node["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap().to_string()).collect(),
        other => panic!("no type in {node}: {other}"),
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// An example value for `node`: an object of every property's example, a
/// list of one such element, or the node's first example.
/// Keys the parser refuses together (the schema says so with
/// `"not": {"required": [a, b]}` on their object): an example config holds
/// the first, and setting the second removes the first.
const EXCLUSIVE: [(&str, &str); 1] = [("utc_offset_minutes", "time_zone")];

fn example(schema: &Value, node: &Value) -> Value {
    if let Some(shape) = object_shape(schema, node) {
        let props = shape["properties"].as_object().unwrap();
        if let Some(pair) = shape["not"]["required"].as_array() {
            let pair: Vec<&str> = pair.iter().filter_map(Value::as_str).collect();
            assert!(EXCLUSIVE.iter().any(|(a, b)| pair == [*a, *b]), "{pair:?} is not in EXCLUSIVE");
        }
        return Value::Object(
            props
                .iter()
                .filter(|(k, _)| !EXCLUSIVE.iter().any(|(_, second)| second == k))
                .map(|(k, n)| (k.clone(), example(schema, n)))
                .collect(),
        );
    }
    if let Some(items) = item_shape(node) {
        return json!([example(schema, items)]);
    }
    node["examples"].get(0).cloned().unwrap_or_else(|| panic!("no examples in {node}"))
}

/// A config holding every key of the schema, each at its example.
fn full_config(schema: &Value) -> Value {
    let props = schema["properties"].as_object().unwrap();
    Value::Object(props.iter().map(|(k, n)| (k.clone(), example(schema, n))).collect())
}

/// The object holding the last step.
fn parent<'a>(v: &'a mut Value, steps: &[Step]) -> &'a mut serde_json::Map<String, Value> {
    let mut cur = v;
    for s in &steps[..steps.len() - 1] {
        cur = match s {
            Step::Key(k) => cur.get_mut(k).unwrap(),
            Step::First => cur.get_mut(0).unwrap(),
        };
    }
    cur.as_object_mut().unwrap()
}

fn with(base: &Value, p: &Prop, value: Option<Value>) -> Value {
    let mut v = base.clone();
    let m = parent(&mut v, &p.steps);
    match value {
        Some(value) => m.insert(p.key().to_string(), value),
        None => m.remove(p.key()),
    };
    for (first, second) in EXCLUSIVE {
        if p.key() == second {
            m.remove(first);
        }
    }
    v
}

/// The single error `v` must have.
fn only_error(v: &Value, what: &str) -> (String, String) {
    let errors = parse(v).expect_err(what);
    assert_eq!(errors.len(), 1, "{what}: one error expected, got\n{errors}");
    (errors.first().key.clone(), errors.first().message.clone())
}

fn debug(c: Config) -> String {
    format!("{c:?}")
}

#[test]
fn the_schema_has_exactly_the_keys_the_parser_reads() {
    let schema = schema();
    let in_schema: BTreeMap<String, bool> = props(&schema).into_iter().map(|p| (p.path, p.required)).collect();
    let in_parser: BTreeMap<String, bool> = accepted_keys().into_iter().map(|k| (k.path, k.required)).collect();
    let only_schema: Vec<&String> = in_schema.keys().filter(|k| !in_parser.contains_key(*k)).collect();
    let only_parser: Vec<&String> = in_parser.keys().filter(|k| !in_schema.contains_key(*k)).collect();
    assert!(only_schema.is_empty(), "in docs/config.schema.json but not read by the parser: {only_schema:?}");
    assert!(only_parser.is_empty(), "read by the parser but not in docs/config.schema.json: {only_parser:?}");
    for (key, required) in &in_parser {
        assert_eq!(in_schema[key], *required, "{key}: required in the parser: {required}; in the schema: the opposite");
    }
    assert!(in_parser.len() > 80, "the parser reads {} keys", in_parser.len());
}

#[test]
fn the_schema_is_strict_and_consistent() {
    let schema = schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    for (path, shape) in shapes(&schema) {
        assert_eq!(shape["additionalProperties"], json!(false), "{path}: the parser refuses unknown keys");
    }
    for p in props(&schema) {
        let node = &p.node;
        let types = types(&schema, node);
        assert!(node["description"].as_str().is_some_and(|d| d.len() > 10), "{}: a description", p.path);
        // The reader treats null as absent: an optional key may be null, a
        // required one may not.
        assert_eq!(types.iter().any(|t| t == "null"), !p.required, "{}: null allowed iff optional", p.path);
        if let Some(default) = node.get("default") {
            assert!(!p.required, "{}: a required key has no default", p.path);
            assert!(
                types.iter().any(|t| t == type_of(default)),
                "{}: default {default} is not one of {types:?}",
                p.path
            );
        }
        if object_shape(&schema, node).is_none() {
            let examples = node["examples"].as_array().unwrap_or_else(|| panic!("{}: examples", p.path));
            assert!(!examples.is_empty(), "{}: examples", p.path);
            for e in examples {
                assert!(types.iter().any(|t| t == type_of(e)), "{}: example {e} is not one of {types:?}", p.path);
            }
        }
        if let Some(allowed) = node.get("enum").and_then(Value::as_array) {
            for v in node["examples"].as_array().unwrap().iter().chain(node.get("default")) {
                assert!(allowed.contains(v), "{}: {v} is not in the enum", p.path);
            }
        }
    }
}

#[test]
fn a_config_of_every_schema_example_parses() {
    let schema = schema();
    let full = full_config(&schema);
    let c = parse(&full).unwrap_or_else(|e| panic!("{e}\n{full:#}"));
    assert!(c.checks.patching.is_some() && c.checks.backups.as_ref().unwrap().restic.is_some());
    assert!(c.metrics_textfile.is_some());
}

#[test]
fn every_key_set_removed_nulled_defaulted_and_misspelled() {
    let schema = schema();
    let full = full_config(&schema);
    for p in props(&schema) {
        let at = p.error_key();
        if object_shape(&schema, &p.node).is_none() {
            for e in p.node["examples"].as_array().unwrap() {
                parse(&with(&full, &p, Some(e.clone()))).unwrap_or_else(|err| panic!("{at} = {e}: {err}"));
            }
        }
        let removed = parse(&with(&full, &p, None));
        let nulled = parse(&with(&full, &p, Some(Value::Null)));
        if p.required {
            let what = format!("{at} removed");
            assert_eq!(only_error(&with(&full, &p, None), &what), (at.clone(), "is required".into()), "{what}");
            let what = format!("{at} null");
            assert_eq!(only_error(&with(&full, &p, Some(Value::Null)), &what), (at.clone(), "is required".into()));
        } else {
            let removed = debug(removed.unwrap_or_else(|e| panic!("{at} is optional: {e}")));
            assert_eq!(debug(nulled.unwrap_or_else(|e| panic!("{at}: null: {e}"))), removed, "{at}: null = absent");
            if let Some(default) = p.node.get("default") {
                let set = parse(&with(&full, &p, Some(default.clone()))).unwrap_or_else(|e| panic!("{at}: {e}"));
                assert_eq!(debug(set), removed, "{at}: the schema's default {default} is not the parser's");
            }
        }
        // A misspelt sibling is refused, with the key as the suggestion.
        let typo = format!("{}x", p.key());
        let mut v = full.clone();
        parent(&mut v, &p.steps).insert(typo.clone(), json!(1));
        let sibling = match at.rsplit_once('.') {
            Some((parent, _)) => format!("{parent}.{typo}"),
            None => typo.clone(),
        };
        let expected = format!("unknown key {typo:?}; did you mean {:?}?", p.key());
        assert_eq!(only_error(&v, &sibling), (sibling, expected));
    }
}

#[test]
fn wrong_types_bounds_and_enums_fail_at_their_key() {
    let schema = schema();
    let full = full_config(&schema);
    for p in props(&schema) {
        let at = p.error_key();
        let types = types(&schema, &p.node);
        let wrong = [json!("x"), json!(7), json!(true), json!([]), json!({})]
            .into_iter()
            .find(|v| !types.iter().any(|t| t == type_of(v)))
            .unwrap();
        let what = format!("{at} = {wrong}");
        assert_eq!(only_error(&with(&full, &p, Some(wrong.clone())), &what).0, at, "{what}");
        let node = &p.node;
        let bounds = [
            node.get("minimum").and_then(Value::as_i64).map(|m| m - 1),
            node.get("maximum").and_then(Value::as_i64).map(|m| m + 1),
        ];
        for bad in bounds.into_iter().flatten() {
            let what = format!("{at} = {bad}");
            assert_eq!(only_error(&with(&full, &p, Some(json!(bad))), &what).0, at, "{what}");
        }
        if let Some(max) = node.get("maximum") {
            parse(&with(&full, &p, Some(max.clone()))).unwrap_or_else(|e| panic!("{at} = {max}: {e}"));
        }
        if node.get("minItems").and_then(Value::as_u64) == Some(1) {
            assert_eq!(only_error(&with(&full, &p, Some(json!([]))), &format!("{at} = []")).0, at);
        }
        if let Some(allowed) = node.get("enum").and_then(Value::as_array) {
            for v in allowed {
                parse(&with(&full, &p, Some(v.clone()))).unwrap_or_else(|e| panic!("{at} = {v}: {e}"));
            }
            assert_eq!(only_error(&with(&full, &p, Some(json!("bogus"))), &format!("{at} = bogus")).0, at);
        }
        if let Some(allowed) = node["items"].get("enum").and_then(Value::as_array) {
            for v in allowed {
                parse(&with(&full, &p, Some(json!([v])))).unwrap_or_else(|e| panic!("{at} = [{v}]: {e}"));
            }
            let (key, _) = only_error(&with(&full, &p, Some(json!(["bogus"]))), &format!("{at} = [bogus]"));
            assert!(key.starts_with(&at), "{key}");
        }
    }
}

#[test]
fn the_examples_parse_and_hold_every_section() {
    let schema = schema();
    for (file, mode) in
        [("config-direct.json", DeploymentMode::Direct), ("config-reseller.json", DeploymentMode::Reseller)]
    {
        let text = read(&format!("examples/{file}"));
        let c = Config::parse(&text, Path::new(file)).unwrap_or_else(|e| panic!("examples/{file}:\n{e}"));
        assert_eq!(c.deployment_mode, mode, "{file}");
        let v: Value = serde_json::from_str(&text).unwrap();
        for p in props(&schema) {
            let is_section = object_shape(&schema, &p.node).is_some();
            let top_or_check = p.steps.len() == 1 || p.path.starts_with("checks.");
            if is_section && top_or_check && p.path != "checks.backups.restic" {
                let present = p.steps.iter().try_fold(&v, |cur, s| match s {
                    Step::Key(k) => cur.get(k),
                    Step::First => cur.get(0),
                });
                assert!(present.is_some_and(Value::is_object), "examples/{file} lacks the section {}", p.path);
            }
        }
        assert!(read("examples/README.md").contains(file), "examples/README.md explains {file}");
    }
}

/// The rows of the key tables in docs/configuration.md: key, type,
/// default, example (cells without their outer spaces).
fn documented() -> Vec<(String, String, String, String)> {
    let doc = read("docs/configuration.md");
    let keys = doc.split("\n## Keys").nth(1).expect("a '## Keys' section");
    let keys = keys.split("\n## ").next().unwrap();
    keys.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            assert!(cells.len() >= 5, "a row of 5 cells: {l}");
            let key = cells[0].trim_matches('`').to_string();
            (key, cells[1].to_string(), cells[2].to_string(), cells[3].to_string())
        })
        .collect()
}

#[test]
fn configuration_md_documents_every_key_as_the_schema_does() {
    let schema = schema();
    let props = props(&schema);
    let rows = documented();
    let doc_keys: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let parser: Vec<String> = accepted_keys().into_iter().map(|k| k.path).collect();
    let missing: Vec<&String> = parser.iter().filter(|k| !doc_keys.contains(&k.as_str())).collect();
    let extra: Vec<&&str> = doc_keys.iter().filter(|k| !parser.iter().any(|p| p == **k)).collect();
    assert!(missing.is_empty(), "docs/configuration.md does not document {missing:?}");
    assert!(extra.is_empty(), "docs/configuration.md documents keys the parser does not read: {extra:?}");
    let mut seen = Vec::new();
    for (key, ty, default, ex) in &rows {
        assert!(!seen.contains(key), "{key} documented twice");
        seen.push(key.clone());
        let p = props.iter().find(|p| &p.path == key).unwrap();
        // The type column starts with the schema's type, in words.
        let types = types(&schema, &p.node);
        let main = types.iter().find(|t| *t != "null").unwrap();
        let word = match main.as_str() {
            "string" if p.node["pattern"] == "^/" => "path",
            "array" if item_shape(&p.node).is_some() => "list of objects",
            "array" => "list of strings",
            other => other,
        };
        assert!(ty.starts_with(word), "{key}: type {ty:?} should start with {word:?}");
        match (p.required, p.node.get("default")) {
            (true, _) => assert_eq!(default, "required", "{key}"),
            (false, Some(d)) => assert_eq!(default, &format!("`{d}`"), "{key}: the schema's default"),
            (false, None) => assert!(default.starts_with("absent"), "{key}: {default:?} should say what absent means"),
        }
        // Scalar examples and lists of them are the schema's first example.
        if let Some(e) = p.node["examples"].get(0).filter(|e| !e.is_object() && item_shape(&p.node).is_none()) {
            assert_eq!(ex, &format!("`{e}`"), "{key}: the schema's first example");
        }
    }
}

#[test]
fn deployment_mode_only_labels_evidence() {
    // docs/configuration.md says deployment_mode changes nothing but the
    // field in every evidence bundle. If this fails, that is no longer
    // true: say what it changes there, then update this list.
    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = root().join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut users: Vec<String> = all
        .iter()
        .filter(|f| !f.starts_with(src.join("config")))
        .filter(|f| std::fs::read_to_string(f).unwrap().contains("deployment_mode"))
        .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
        .collect();
    users.sort();
    assert_eq!(users, ["agent/start.rs", "evidence/bundle.rs"]);
    let start = read("src/agent/start.rs");
    let uses: Vec<&str> = start.lines().filter(|l| l.contains("deployment_mode")).map(str::trim).collect();
    assert_eq!(uses, ["deployment_mode: config.deployment_mode.as_str(),"], "only the evidence context");
}
