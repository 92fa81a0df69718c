use super::*;
use serde_json::{json, Value};

const KEY: &str = "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=";

fn valid() -> Value {
    json!({
        "site_id": "clinic-042", "appliance_id": "appl-01", "deployment_mode": "direct",
        "state_dir": "/var/lib/compliance-agent",
        "signing_key_file": "/run/secrets/compliance-agent/evidence.key",
        "poll_interval_secs": 60, "jitter_percent": 10,
        "max_clock_skew_secs": 300, "max_order_ttl_secs": 86400,
        "mcp": {
            "base_url": "https://mcp.example.net",
            "ca_file": "/etc/ca.pem", "client_cert_file": "/etc/c.pem", "client_key_file": "/etc/k.pem",
            "order_keys": [{"keyid": "mcp-2026a", "public_key": KEY}],
            "connect_timeout_secs": 10, "request_timeout_secs": 30
        },
        "maintenance_window": {"days": ["sun"], "start": "02:00", "duration_minutes": 120, "utc_offset_minutes": 0},
        "checks": {
            "patching": {"enabled": true, "flake_ref": "github:clinic/appliance#appl-01",
                         "allowed_flake_prefixes": ["github:clinic/appliance"],
                         "expected_revision": "abc", "max_age_days": 30},
            "services": {"enabled": true, "units": ["sshd.service"], "restart_max_attempts": 5, "restart_backoff_initial_secs": 2},
            "backups": {"enabled": true, "status_file": "/var/lib/backup/last-success", "max_age_hours": 48,
                        "unit": "backup.service", "restic": null},
            "firewall": {"enabled": true, "baseline_file": "/etc/fw.nft", "baseline_sig_file": "/etc/fw.nft.sig", "ignore_tables": []},
            "logging": {"enabled": true},
            "encryption": {"enabled": true, "volumes": ["cryptroot"]}
        },
        "tools": {"systemctl": "/run/current-system/sw/bin/systemctl"},
        "evidence": {"local_retention_days": 30, "summary_interval_secs": 3600},
        "log": {"target": "syslog", "level": "info"},
        "metrics_textfile": null
    })
}

fn parse(v: &Value) -> Result<Config, ConfigErrors> {
    Config::parse(&v.to_string(), Path::new("/etc/compliance-agent/config.json"))
}

/// The one error in `v`: a single defect is a single error, never a cascade
/// (a key left unread because another failed would show up as unknown).
fn only_error(v: &Value, what: &str) -> ConfigError {
    let errors = parse(v).expect_err(what);
    assert_eq!(errors.len(), 1, "{what}: one error expected, got\n{errors}");
    errors.first().clone()
}

/// Sets `path` (dotted, with [i] indexes) in a copy of the valid config and
/// returns the parse error.
fn error_with(path: &str, value: Value) -> ConfigError {
    let mut v = valid();
    let mut cur = &mut v;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, Some(rest.trim_end_matches(']').parse::<usize>().unwrap())),
            None => (*part, None),
        };
        let last = i + 1 == parts.len();
        if last && index.is_none() {
            cur.as_object_mut().unwrap().insert(name.to_string(), value);
            break;
        }
        cur = cur.get_mut(name).unwrap();
        if let Some(idx) = index {
            if last {
                cur[idx] = value;
                break;
            }
            cur = cur.get_mut(idx).unwrap();
        }
    }
    only_error(&v, &format!("setting {path} should fail"))
}

fn remove(path: &[&str]) -> ConfigError {
    let mut v = valid();
    let mut cur = &mut v;
    for p in &path[..path.len() - 1] {
        cur = cur.get_mut(*p).unwrap();
    }
    cur.as_object_mut().unwrap().remove(path[path.len() - 1]);
    only_error(&v, "removal should fail")
}

#[test]
fn the_design_example_parses() {
    let c = parse(&valid()).unwrap();
    assert_eq!(c.site_id.as_str(), "clinic-042");
    assert_eq!(c.mcp.order_keys[0].keyid, "mcp-2026a");
    assert_eq!(c.tools.path("nft"), Path::new("/run/current-system/sw/bin/nft"));
    assert_eq!(c.tools.path("nixos_rebuild"), Path::new("/run/current-system/sw/bin/nixos-rebuild"));
    assert!(c.checks.patching.is_some() && c.checks.encryption.is_some());
    assert!(c.checks.backups.as_ref().unwrap().restic.is_none());
    assert_eq!(c.log.target, LogTarget::Syslog);
}

#[test]
fn errors_name_the_file_and_key() {
    let e = error_with("poll_interval_secs", json!(0));
    assert_eq!(e.key, "poll_interval_secs");
    assert_eq!(e.file, Path::new("/etc/compliance-agent/config.json"));
    let shown = e.to_string();
    assert!(shown.starts_with("/etc/compliance-agent/config.json: poll_interval_secs: "), "{shown}");
}

#[test]
fn unknown_keys_are_errors_at_every_level() {
    for (path, key) in [
        ("extra", "extra"),
        ("mcp.extra", "mcp.extra"),
        ("checks.services.unts", "checks.services.unts"),
        ("checks.bogus", "checks.bogus"),
        ("maintenance_window.timezone", "maintenance_window.timezone"),
        ("tools.bash", "tools.bash"),
        ("log.file", "log.file"),
    ] {
        let e = error_with(path, json!(1));
        assert_eq!(e.key, key);
        assert!(e.message.starts_with("unknown key"), "{e}");
    }
    let e = error_with("mcp.order_keys[0].comment", json!("x"));
    assert_eq!(e.key, "mcp.order_keys[0].comment");
}

#[test]
fn missing_required_keys() {
    assert_eq!(remove(&["site_id"]).key, "site_id");
    assert_eq!(remove(&["mcp", "ca_file"]).key, "mcp.ca_file");
    assert_eq!(remove(&["checks", "services", "units"]).key, "checks.services.units");
    assert_eq!(remove(&["maintenance_window"]).key, "maintenance_window");
    assert_eq!(remove(&["maintenance_window", "duration_minutes"]).key, "maintenance_window.duration_minutes");
}

#[test]
fn wrong_types() {
    let e = error_with("poll_interval_secs", json!("60"));
    assert_eq!((e.key.as_str(), e.message.as_str()), ("poll_interval_secs", "must be a number, found a string"));
    assert_eq!(error_with("checks.services.units", json!("sshd.service")).key, "checks.services.units");
    assert_eq!(error_with("checks.logging.enabled", json!("yes")).key, "checks.logging.enabled");
    assert_eq!(error_with("mcp", json!([])).key, "mcp");
    assert_eq!(error_with("jitter_percent", json!(-1)).key, "jitter_percent");
    assert_eq!(error_with("poll_interval_secs", json!(1.5)).key, "poll_interval_secs");
}

#[test]
fn tool_paths_must_be_absolute() {
    let e = error_with("tools.nft", json!("nft"));
    assert_eq!(e.key, "tools.nft");
    assert!(e.message.contains("not an absolute path"));
    assert_eq!(error_with("tools.systemctl", json!("/bin/../tmp/x")).key, "tools.systemctl");
    assert_eq!(error_with("state_dir", json!("var/lib")).key, "state_dir");
    assert_eq!(error_with("checks.backups.status_file", json!("./x")).key, "checks.backups.status_file");
}

#[test]
fn intervals_must_be_positive() {
    for key in [
        "poll_interval_secs",
        "max_order_ttl_secs",
        "mcp.connect_timeout_secs",
        "mcp.request_timeout_secs",
        "evidence.summary_interval_secs",
        "checks.services.restart_max_attempts",
        "checks.logging.interval_secs",
    ] {
        assert_eq!(error_with(key, json!(0)).key, key);
    }
}

#[test]
fn evidence_flush_limits() {
    let c = parse(&valid()).unwrap();
    assert_eq!((c.evidence.flush_batch_size, c.evidence.flush_max_per_cycle), (256, 4096));
    assert_eq!(error_with("evidence.flush_batch_size", json!(257)).key, "evidence.flush_batch_size");
    assert_eq!(error_with("evidence.flush_backoff_max_secs", json!(1)).key, "evidence.flush_backoff_max_secs");
    assert_eq!(error_with("evidence.backlog_alert_bundles", json!(0)).key, "evidence.backlog_alert_bundles");
}

#[test]
fn jitter_is_0_to_50() {
    assert!(parse(&{
        let mut v = valid();
        v["jitter_percent"] = json!(0);
        v
    })
    .is_ok());
    assert!(parse(&{
        let mut v = valid();
        v["jitter_percent"] = json!(50);
        v
    })
    .is_ok());
    assert_eq!(error_with("jitter_percent", json!(51)).key, "jitter_percent");
}

#[test]
fn window_syntax() {
    assert_eq!(error_with("maintenance_window.start", json!("2am")).key, "maintenance_window.start");
    assert_eq!(error_with("maintenance_window.days", json!(["sunday"])).key, "maintenance_window.days");
    assert_eq!(error_with("maintenance_window.days", json!([])).key, "maintenance_window.days");
    assert_eq!(
        error_with("maintenance_window.duration_minutes", json!(20000)).key,
        "maintenance_window.duration_minutes"
    );
    assert_eq!(
        error_with("maintenance_window.utc_offset_minutes", json!(-900)).key,
        "maintenance_window.utc_offset_minutes"
    );
}

#[test]
fn window_time_zone() {
    let with = |window: Value| {
        let mut v = valid();
        v["maintenance_window"] = window;
        parse(&v)
    };
    let chicago =
        with(json!({"days": ["sun"], "start": "02:00", "duration_minutes": 120, "time_zone": "America/Chicago"}))
            .unwrap();
    // 2026-07-05 02:00 CDT is 07:00 UTC; 2026-11-22 02:00 CST is 08:00 UTC.
    assert!(chicago.maintenance_window.is_open(1_783_234_800));
    assert!(chicago.maintenance_window.is_open(1_795_334_400));
    assert!(!chicago.maintenance_window.is_open(1_783_234_800 - 5 * 3600), "02:00 UTC is not 02:00 in Chicago");
    // Neither key is UTC, as before; an explicit null is absent.
    let utc = with(json!({"days": ["sun"], "start": "02:00", "duration_minutes": 120})).unwrap();
    assert_eq!(utc.maintenance_window, parse(&valid()).unwrap().maintenance_window);
    let null = with(json!({"days": ["sun"], "start": "02:00", "duration_minutes": 120,
                           "utc_offset_minutes": null, "time_zone": "UTC"}));
    assert!(null.is_ok());

    // The valid config sets utc_offset_minutes: 0, so any time_zone is both keys at once.
    let both = error_with("maintenance_window.time_zone", json!("America/Chicago"));
    assert_eq!(both.key, "maintenance_window.time_zone");
    assert!(both.message.contains("utc_offset_minutes"), "{}", both.message);
    let unknown =
        with(json!({"days": ["sun"], "start": "02:00", "duration_minutes": 120, "time_zone": "Mars/Olympus"}))
            .unwrap_err();
    let unknown = unknown.first();
    assert_eq!(unknown.key, "maintenance_window.time_zone");
    assert!(unknown.message.contains("\"Mars/Olympus\""), "{}", unknown.message);
    let number =
        with(json!({"days": ["sun"], "start": "02:00", "duration_minutes": 120, "time_zone": -6})).unwrap_err();
    assert_eq!(number.first().key, "maintenance_window.time_zone");
}

#[test]
fn base_url_must_be_https() {
    for bad in [
        "http://mcp.example.net",
        "mcp.example.net",
        "https://",
        "https://user@mcp",
        "https://mcp:99999",
        "https://mcp/x?y=1",
        "https://mcp /",
    ] {
        let e = error_with("mcp.base_url", json!(bad));
        assert_eq!(e.key, "mcp.base_url", "{bad}");
    }
    let mut v = valid();
    v["mcp"]["base_url"] = json!("https://127.0.0.1:8443/prefix/");
    assert_eq!(parse(&v).unwrap().mcp.base_url, "https://127.0.0.1:8443/prefix");
}

#[test]
fn key_material_must_decode() {
    let e = error_with("mcp.order_keys[0].public_key", json!("not base64!"));
    assert_eq!(e.key, "mcp.order_keys[0].public_key");
    let e = error_with("mcp.order_keys[0].public_key", json!("AAAA"));
    assert!(e.message.contains("decodes to 3 bytes"), "{e}");
    assert_eq!(error_with("mcp.order_keys", json!([])).key, "mcp.order_keys");
    let mut v = valid();
    v["mcp"]["order_keys"] = json!([{"keyid": "a", "public_key": KEY}, {"keyid": "a", "public_key": KEY}]);
    assert_eq!(only_error(&v, "duplicate keyid").key, "mcp.order_keys[1].keyid");
    // Receipt keys: optional, read like order keys.
    assert!(parse(&valid()).unwrap().mcp.receipt_keys.is_empty());
    let mut v = valid();
    v["mcp"]["receipt_keys"] = json!(null);
    assert!(parse(&v).unwrap().mcp.receipt_keys.is_empty());
    v["mcp"]["receipt_keys"] = json!([{"keyid": "r", "public_key": KEY}]);
    assert_eq!(parse(&v).unwrap().mcp.receipt_keys[0].keyid, "r");
    v["mcp"]["receipt_keys"] = json!([{"keyid": "r", "public_key": "AAAA"}]);
    assert_eq!(only_error(&v, "bad receipt key").key, "mcp.receipt_keys[0].public_key");
    assert_eq!(error_with("mcp.receipt_keys", json!("x")).key, "mcp.receipt_keys");
    v["mcp"]["receipt_keys"] = json!([{"keyid": "a", "public_key": KEY}, {"keyid": "a", "public_key": KEY}]);
    assert_eq!(only_error(&v, "duplicate receipt keyid").key, "mcp.receipt_keys[1].keyid");
}

#[test]
fn identifiers_units_and_flakes_are_validated() {
    assert_eq!(error_with("site_id", json!("clinic 42")).key, "site_id");
    assert_eq!(error_with("appliance_id", json!("-x")).key, "appliance_id");
    assert_eq!(error_with("checks.services.units[0]", json!("sshd;reboot")).key, "checks.services.units[0]");
    assert_eq!(error_with("checks.services.units[0]", json!("--now")).key, "checks.services.units[0]");
    assert_eq!(error_with("checks.services.units[0]", json!("sshd")).key, "checks.services.units[0]");
    assert_eq!(error_with("checks.patching.flake_ref", json!("github:evil/x#y")).key, "checks.patching.flake_ref");
    assert_eq!(
        error_with("checks.patching.allowed_flake_prefixes", json!([""])).key,
        "checks.patching.allowed_flake_prefixes"
    );
    assert_eq!(error_with("checks.firewall.ignore_tables", json!(["f2b"])).key, "checks.firewall.ignore_tables[0]");
    assert_eq!(error_with("checks.encryption.volumes", json!(["-x"])).key, "checks.encryption.volumes[0]");
    assert_eq!(error_with("deployment_mode", json!("cloud")).key, "deployment_mode");
    assert_eq!(error_with("log.level", json!("verbose")).key, "log.level");
    assert_eq!(error_with("log.target", json!("file")).key, "log.target");
}

#[test]
fn disabled_and_absent_checks() {
    let mut v = valid();
    v["checks"]["patching"] = json!({"enabled": false});
    v["checks"].as_object_mut().unwrap().remove("firewall");
    let c = parse(&v).unwrap();
    assert!(c.checks.patching.is_none());
    assert!(c.checks.firewall.is_none());
    assert!(c.checks.services.is_some());
}

#[test]
fn not_json_or_not_an_object() {
    let e = Config::parse("{\"site_id\": ", Path::new("/c.json")).unwrap_err().first().clone();
    assert!(e.message.starts_with("not valid JSON"), "{e}");
    assert!(e.key.is_empty());
    let e = Config::parse("[]", Path::new("/c.json")).unwrap_err().first().clone();
    assert!(e.message.contains("object"));
}

#[test]
fn missing_file() {
    let e = Config::load(Path::new("/nonexistent/config.json")).unwrap_err().first().clone();
    assert_eq!(e.file, Path::new("/nonexistent/config.json"));
    assert!(e.message.starts_with("cannot read"));
}

#[test]
fn every_error_in_one_run_in_reading_order() {
    let mut v = valid();
    v["site_id"] = json!("clinic 42");
    v["jitter_percent"] = json!(75);
    v["mcp"]["base_url"] = json!("http://mcp.example.net");
    v["mcp"]["order_keys"] =
        json!([{"keyid": "", "public_key": "AAAA"}, {"keyid": "b", "public_key": KEY, "comment": 1}]);
    v["checks"]["services"]["units"] = json!(["sshd", "ok.service", "--now"]);
    v["checks"]["bogus"] = json!({});
    v["log"]["level"] = json!("verbose");
    v["extra"] = json!(1);
    let errors = parse(&v).unwrap_err();
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "site_id",
            "jitter_percent",
            "mcp.base_url",
            "mcp.order_keys[0].keyid",
            "mcp.order_keys[0].public_key",
            "mcp.order_keys[1].comment",
            "checks.services.units[0]",
            "checks.services.units[2]",
            "checks.bogus",
            "log.level",
            "extra",
        ]
    );
    assert_eq!(errors.len(), keys.len());
    assert_eq!(errors.first().key, "site_id");
    // One line per error, each naming the file and the key.
    let shown = errors.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), keys.len(), "{shown}");
    for (line, key) in lines.iter().zip(&keys) {
        assert!(line.starts_with(&format!("/etc/compliance-agent/config.json: {key}: ")), "{line}");
    }
}

#[test]
fn a_section_that_is_not_an_object_is_not_descended_into() {
    let mut v = valid();
    v["mcp"] = json!("https://mcp.example.net");
    v["checks"]["services"] = json!(["sshd.service"]);
    v["checks"]["encryption"]["enabled"] = json!("yes");
    v["checks"]["encryption"]["volumes"] = json!(["-x"]);
    v["log"] = json!(null);
    v["poll_interval_secs"] = json!(0);
    let errors = parse(&v).unwrap_err();
    let shown: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.key, e.message)).collect();
    assert_eq!(
        shown,
        [
            "poll_interval_secs: must be greater than 0",
            "mcp: must be an object, found a string",
            "checks.services: must be an object, found a list",
            "checks.encryption.enabled: must be true or false, found a string",
        ]
    );
}

#[test]
fn errors_inside_a_section_do_not_hide_its_unknown_keys() {
    let mut v = valid();
    v["maintenance_window"]["start"] = json!("2am");
    v["maintenance_window"]["timezone"] = json!("Europe/Berlin");
    v["maintenance_window"]["days"] = json!(["sunday"]);
    v["evidence"]["flush_batch_size"] = json!(1000);
    v["evidence"]["flush_backoff_initial_secs"] = json!(0);
    v["evidence"]["flush_backoff_max_secs"] = json!(1);
    let errors = parse(&v).unwrap_err();
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    // The window is judged as a whole (days before start), once both read;
    // a back-off cap is compared only with a valid initial delay.
    assert_eq!(
        keys,
        [
            "maintenance_window.days",
            "maintenance_window.timezone",
            "evidence.flush_backoff_initial_secs",
            "evidence.flush_batch_size",
        ]
    );
}

#[test]
fn a_disabled_check_is_still_not_read() {
    let mut v = valid();
    v["checks"]["services"] = json!({"enabled": false, "units": "sshd", "bogus": 1});
    assert!(parse(&v).is_ok());
}

#[test]
fn duplicate_keys_are_refused_at_any_depth() {
    let path = Path::new("/etc/compliance-agent/config.json");
    let text = valid().to_string();
    // The same key twice at the top, in a section and in a list's object.
    let text = text.replacen("\"site_id\":", "\"site_id\":\"clinic-007\",\"site_id\":", 1);
    let text = text.replacen("\"start\":", "\"start\":\"03:00\",\"start\":", 1);
    let text = text.replacen("\"keyid\":", "\"keyid\":\"x\",\"keyid\":", 1);
    let errors = Config::parse(&text, path).unwrap_err();
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    // In the order of the second copies in the text (keys are sorted).
    assert_eq!(keys, ["maintenance_window.start", "mcp.order_keys[0].keyid", "site_id"], "{errors}");
    assert!(errors.first().message.starts_with("appears more than once"), "{errors}");
}

#[test]
fn duplicates_do_not_hide_other_errors() {
    let text = valid().to_string().replacen("\"jitter_percent\":", "\"jitter_percent\":99,\"jitter_percent\":", 1);
    let text = text.replacen("\"poll_interval_secs\":60", "\"poll_interval_secs\":0", 1);
    let errors = Config::parse(&text, Path::new("/c.json")).unwrap_err();
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    // The last copy is the one checked (it was 10: valid).
    assert_eq!(keys, ["jitter_percent", "poll_interval_secs"], "{errors}");
}

#[test]
fn nesting_and_size_are_bounded() {
    let deep = format!("{}{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    let e = Config::parse(&deep, Path::new("/c.json")).unwrap_err();
    assert!(e.first().message.contains("recursion limit"), "{e}");
    let dir = std::env::temp_dir().join(format!("cfg-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("config.json");
    std::fs::write(&big, format!("{{\"pad\":\"{}\"}}", "x".repeat(1 << 20))).unwrap();
    let e = Config::load(&big).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(e.first().message.starts_with("cannot read") && e.first().message.contains("limit"), "{e}");
}

#[test]
fn unknown_keys_name_the_nearest_known_key() {
    for (path, key, message) in [
        ("tools.nixos-rebuild", "tools.nixos-rebuild", r#"unknown key "nixos-rebuild"; did you mean "nixos_rebuild"?"#),
        ("checks.services.unts", "checks.services.unts", r#"unknown key "unts"; did you mean "units"?"#),
        ("jitter_precent", "jitter_precent", r#"unknown key "jitter_precent"; did you mean "jitter_percent"?"#),
        ("Site-ID", "Site-ID", r#"unknown key "Site-ID"; did you mean "site_id"?"#),
        ("mcp.order_keys[0].key_id", "mcp.order_keys[0].key_id", r#"unknown key "key_id"; did you mean "keyid"?"#),
        // "log" is 1 edit away, "mcp" (read earlier) 2: the closest wins.
        ("lop", "lop", r#"unknown key "lop"; did you mean "log"?"#),
        (
            "maintenance_window.timezone",
            "maintenance_window.timezone",
            r#"unknown key "timezone"; did you mean "time_zone"?"#,
        ),
        // Nothing within 2 edits: no guess.
        ("tools.bash", "tools.bash", "unknown key"),
        ("checks.patching.flake", "checks.patching.flake", "unknown key"),
    ] {
        let e = error_with(path, json!(1));
        assert_eq!((e.key.as_str(), e.message.as_str()), (key, message));
    }
    // A megabyte-long key is compared in bounded time and gets no guess.
    let e = error_with(&"k".repeat(1 << 20), json!(1));
    assert_eq!(e.message, "unknown key");
}

#[test]
fn accepted_keys_come_from_the_reader_in_reading_order() {
    let keys = accepted_keys();
    let required = |path: &str| keys.iter().find(|k| k.path == path).unwrap_or_else(|| panic!("{path}")).required;
    for path in ["site_id", "mcp", "mcp.order_keys", "mcp.order_keys[].keyid", "checks", "maintenance_window.start"] {
        assert!(required(path), "{path}");
    }
    // Inside an optional object, a key is required when the object is given.
    assert!(required("checks.backups.restic.repository") && !required("checks.backups.restic"));
    for path in ["deployment_mode", "tools", "checks.patching", "checks.patching.enabled", "log.level"] {
        assert!(!required(path), "{path}");
    }
    for tool in TOOL_NAMES {
        assert!(!required(&format!("tools.{tool}")));
    }
    let paths: Vec<&str> = keys.iter().map(|k| k.path.as_str()).collect();
    assert_eq!((paths[0], paths[paths.len() - 1]), ("site_id", "metrics_textfile"));
    let at = |p: &str| paths.iter().position(|x| *x == p).unwrap();
    assert!(at("mcp") < at("mcp.base_url") && at("mcp.request_timeout_secs") < at("maintenance_window"));
}
