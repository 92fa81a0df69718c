//! A short, deterministic run of every fuzz target (`fuzz/fuzz_targets/`,
//! one per entry point in `compliance_agent::fuzzing`) on every test run:
//! the seed corpus, every committed crash input in `tests/fuzz-regressions/`,
//! then bit flips, truncations, insertions and splices driven by a
//! fixed-seed PRNG. The coverage-guided run is `.ci/fuzz.sh` (README,
//! "Fuzzing"); it writes its seed corpus with this file's `write_seeds`
//! (`FUZZ_SEED_DIR=<dir>`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::evidence::attest::Writer;
use compliance_agent::evidence::bundle::Context;
use compliance_agent::evidence::export::{export_with, ExportOptions, MANIFEST_FILE};
use compliance_agent::evidence::period::Period;
use compliance_agent::evidence::{Kind, Outcome, Record};
use compliance_agent::fuzzing::{self, join, NOW_MS};
use compliance_agent::keys::SigningKey;
use compliance_agent::orders::{dsse::sign, fuzz_input};
use serde_json::json;
use std::fs;
use std::path::{Path, PathBuf};
use support::simhost::TempDir;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let key = SigningKey::from_seed([0x42; 32]);
    let payload =
        json!({"order_id": "o1", "site_id": "clinic-042", "appliance_id": "appl-01", "issued_at": 1_764_061_200,
                         "ttl_secs": 900, "action": "restart_service", "params": {"unit": "sshd.service"}})
        .to_string();
    let env = sign(payload.as_bytes(), &[("fuzz", &key)]);
    let list = [b"[".to_vec(), env.clone(), b",".to_vec(), env.clone(), b"]".to_vec()].concat();
    let mut out = vec![];
    for body in [env.clone(), list, b"[]".to_vec(), b"{}".to_vec(), b"[{\"payloadType\":1}]".to_vec()] {
        out.push([vec![0u8], body].concat());
    }
    for p in [
        payload.clone(),
        payload.replace("restart_service", "update_firewall_baseline"),
        payload.replace("900", "18446744073709551615"),
        payload.replace("1764061200", "-9223372036854775808"),
        "{\"params\": [".repeat(50),
        String::new(),
    ] {
        out.push([vec![1u8], p.into_bytes()].concat());
    }
    out
}

#[test]
fn fuzz_target_survives_mutations() {
    let seeds = seeds();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for s in &seeds {
        fuzz_input(s);
    }
    for _ in 0..20_000 {
        let mut data = seeds[rng.below(seeds.len())].clone();
        for _ in 0..=rng.below(4) {
            match rng.below(5) {
                0 if !data.is_empty() => {
                    let i = rng.below(data.len());
                    data[i] ^= 1 << rng.below(8);
                }
                1 if !data.is_empty() => data.truncate(rng.below(data.len())),
                2 => {
                    let i = rng.below(data.len() + 1);
                    let b = b"\"{}[],:0-9eE\\\xff\x00"[rng.below(15)];
                    data.insert(i, b);
                }
                3 => {
                    let other = &seeds[rng.below(seeds.len())];
                    let at = rng.below(data.len() + 1);
                    let from = rng.below(other.len() + 1);
                    data.splice(at..at, other[from..].iter().copied().take(64));
                }
                _ if data.len() > 1 => {
                    let i = 1 + rng.below(data.len() - 1);
                    data[i] = data[i].wrapping_add(1);
                }
                _ => {}
            }
        }
        fuzz_input(&data);
    }
}

// ---- every target: seeds, committed crash inputs, mutations -----------------

/// Every fuzz target: its name (as in fuzz/Cargo.toml) and entry point.
type Entry = fn(&[u8]);

const TARGETS: [(&str, Entry); 9] = [
    ("orders", fuzz_input),
    ("orders_reply", fuzzing::orders_reply),
    ("receipts", fuzzing::receipts),
    ("config", fuzzing::config),
    ("check_tools", fuzzing::check_tools),
    ("backup_status", fuzzing::backup_status),
    ("evidence_dir", fuzzing::evidence_dir),
    ("evidence_db", fuzzing::evidence_db),
    ("nft_filter", fuzzing::nft_filter),
];

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn fixture(rel: &str) -> Vec<u8> {
    fs::read(Path::new(ROOT).join("tests/fixtures/checks").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Files in a fixture directory whose names end in `suffix`, sorted.
fn fixtures(dir: &str, suffix: &str) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(Path::new(ROOT).join("tests/fixtures/checks").join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    out.sort();
    out
}

/// A recorded run as one scripted command: exit status byte, then stdout.
fn recorded(stem_out: &str) -> Vec<u8> {
    let stem = stem_out.strip_suffix(".out").unwrap();
    let rc = fs::read_to_string(Path::new(ROOT).join("tests/fixtures/checks").join(format!("{stem}.rc")))
        .map_or(0, |s| s.trim().parse::<u8>().unwrap());
    [vec![rc], fixture(stem_out)].concat()
}

fn with_mode(mode: u8, body: &[u8]) -> Vec<u8> {
    [&[mode][..], body].concat()
}

/// A real chain of three bundles written by the agent's own writer: the
/// export directory (manifest, then bundles) and the database file.
fn chain() -> (Vec<Vec<u8>>, Vec<u8>) {
    let tmp = TempDir::new("fuzz-seeds");
    let state = tmp.path().join("state");
    let ctx = Context {
        site_id: "clinic-042".into(),
        appliance_id: "appl-01".into(),
        deployment_mode: "direct",
        version: "test",
        build: "test".into(),
        boot_id: None,
        enabled_checks: vec![],
    };
    let writer = Writer::new(ctx, fuzzing::key());
    {
        let store = compliance_agent::store::Store::open_in(&state).unwrap();
        for i in 0..3 {
            let rec =
                Record::new(Kind::Order, Outcome::Success, NOW_MS + i).reason("seed").detail(format!("record {i}"));
            writer.append(&store, &rec, None, NOW_MS + i).unwrap();
        }
    }
    let db = state.join("agent.db");
    let out = tmp.path().join("export");
    let opts = ExportOptions { period: Period::default(), key: Some(fuzzing::key()), now_ms: NOW_MS };
    export_with(&db, &out, &opts).unwrap();
    let mut names: Vec<PathBuf> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    let mut files = vec![fs::read(out.join(MANIFEST_FILE)).unwrap()];
    files.extend(names.iter().map(|p| fs::read(p).unwrap()));
    (files, fs::read(&db).unwrap())
}

/// The seed corpus of `target`: recorded real tool outputs from
/// tests/fixtures/checks, the example configurations, protocol-shaped
/// replies signed with the fuzz key, and a real evidence chain.
fn target_seeds(target: &str) -> Vec<Vec<u8>> {
    let key = fuzzing::key();
    let payload = json!({"order_id": "o1", "site_id": "clinic-042", "appliance_id": "appl-01",
        "issued_at": NOW_MS / 1000, "ttl_secs": 900, "action": "restart_service", "params": {"unit": "sshd.service"}})
    .to_string();
    let envelope = sign(payload.as_bytes(), &[("fuzz", &key)]);
    match target {
        "orders" => seeds(),
        "orders_reply" => {
            vec![[b"[".to_vec(), envelope.clone(), b",".to_vec(), envelope, b"]".to_vec()].concat(), b"[]".to_vec()]
        }
        "receipts" => {
            let sha = "ab".repeat(32);
            let sig = compliance_agent::evidence::receipts::sign(
                "clinic-042",
                "appl-01",
                "b1",
                &sha,
                "2026-11-25T12:00:00Z",
                &key,
            );
            let reply = json!({"receipts": [{"bundle_id": "b1", "sha256": sha, "received_at": "2026-11-25T12:00:00Z",
                "keyid": "r1", "signature": sig}, {"bundle_id": "b2", "sha256": sha, "received_at": "x"}]})
            .to_string();
            vec![with_mode(0, reply.as_bytes()), with_mode(1, reply.as_bytes())]
        }
        "config" => ["config-direct.json", "config-reseller.json"]
            .iter()
            .map(|n| fs::read(Path::new(ROOT).join("examples").join(n)).unwrap())
            .collect(),
        "check_tools" => {
            let mut out = vec![];
            for f in fixtures("patching", ".out") {
                out.push(with_mode(0, &recorded(&f)));
            }
            for f in fixtures("services", ".out") {
                out.push(with_mode(1, &recorded(&f)));
            }
            let lsblk = fixtures("encryption", ".out");
            let dumps: Vec<&String> = lsblk.iter().filter(|f| f.contains("/dump-")).collect();
            let status: Vec<&String> = lsblk.iter().filter(|f| f.contains("/status-")).collect();
            for (i, l) in lsblk.iter().filter(|f| f.contains("/lsblk-")).enumerate() {
                let s = status[i % status.len()];
                let d = dumps[i % dumps.len()];
                let parts = [recorded(l), recorded(s), recorded("encryption/isluks-luks2.out"), recorded(d)];
                out.push(with_mode(2, &join(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>())));
            }
            for f in fixtures("backups", ".out") {
                out.push(with_mode(3, &recorded(&f)));
            }
            for f in fixtures("firewall", ".out") {
                out.push(with_mode(4, &fixture(&f)));
            }
            let journals = fixtures("logging", ".out");
            for j in journals.iter().filter(|f| f.contains("/journald-")) {
                out.push(with_mode(5, &join(&[&fixture(j), &fixture("logging/journal-canaries.out")])));
            }
            out
        }
        "backup_status" => fixtures("backups", ".json")
            .iter()
            .map(|f| {
                let text = fixture(f);
                let text = match serde_json::from_slice::<serde_json::Value>(&text) {
                    Ok(mut v) if v.get("manifest").is_some_and(|m| m.as_str().is_some_and(|m| m.starts_with('/'))) => {
                        v["manifest"] = json!("@MANIFEST@");
                        v.to_string().into_bytes()
                    }
                    _ => text,
                };
                join(&[&text, &fixture("backups/manifest.txt")])
            })
            .collect(),
        "evidence_dir" => {
            let (files, _) = chain();
            let refs: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
            vec![with_mode(0, &join(&refs)), with_mode(0, &join(&[b"", refs[1]]))]
        }
        "evidence_db" => vec![chain().1],
        "nft_filter" => fixtures("firewall", ".nft")
            .iter()
            .map(|f| join(&[&fixture(f), &fixture("firewall/baseline-stateful.out")]))
            .collect(),
        other => panic!("no seeds for {other}"),
    }
}

/// Committed crash inputs (`tests/fuzz-regressions/<target>/*`), minimised
/// by `cargo fuzz tmin`.
fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(ROOT).join("tests/fuzz-regressions").join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = match fs::read_dir(&dir) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).map(|p| (p.clone(), fs::read(&p).unwrap())).collect(),
        Err(_) => vec![],
    };
    out.sort();
    out
}

fn mutate(rng: &mut XorShift, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        match rng.below(4) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => data.truncate(rng.below(data.len())),
            2 => {
                let i = rng.below(data.len() + 1);
                data.insert(i, b"\"{}[],:0-9eE\\\xff\x00\n#;"[rng.below(18)]);
            }
            _ => {
                let other = &seeds[rng.below(seeds.len())];
                let at = rng.below(data.len() + 1);
                let from = rng.below(other.len() + 1);
                data.splice(at..at, other[from..].iter().copied().take(64));
            }
        }
    }
    data
}

#[test]
fn every_target_survives_seeds_regressions_and_mutations() {
    for (name, entry) in TARGETS {
        let seeds = target_seeds(name);
        assert!(!seeds.is_empty(), "{name}: no seeds");
        for s in &seeds {
            entry(s);
        }
        for (path, input) in regressions(name) {
            eprintln!("{name}: regression {}", path.display());
            entry(&input);
        }
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..300 {
            entry(&mutate(&mut rng, &seeds));
        }
    }
    fuzzing::remove_scratch();
}

#[test]
fn every_fuzz_target_is_listed() {
    let manifest = fs::read_to_string(Path::new(ROOT).join("fuzz/Cargo.toml")).unwrap();
    let listed: Vec<&str> =
        manifest.lines().filter_map(|l| l.strip_prefix("name = \"")?.strip_suffix('"')).skip(1).collect();
    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(listed, names, "fuzz/Cargo.toml [[bin]]s and this file's TARGETS differ");
    for n in names {
        let src = fs::read_to_string(Path::new(ROOT).join(format!("fuzz/fuzz_targets/{n}.rs"))).unwrap();
        assert!(src.contains("fuzz_target!"), "{n}");
    }
}

/// With `FUZZ_SEED_DIR` set, writes each target's seeds to
/// `$FUZZ_SEED_DIR/<target>/seed-<n>` (`.ci/fuzz.sh` does this before
/// fuzzing); otherwise does nothing.
#[test]
fn write_seeds() {
    let Some(dir) = std::env::var_os("FUZZ_SEED_DIR") else { return };
    for (name, _) in TARGETS {
        let d = Path::new(&dir).join(name);
        fs::create_dir_all(&d).unwrap();
        for (i, s) in target_seeds(name).iter().enumerate() {
            fs::write(d.join(format!("seed-{i:03}")), s).unwrap();
        }
    }
}
