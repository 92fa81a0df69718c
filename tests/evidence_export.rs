//! The auditor's side of evidence with the real binary: export by period
//! with zero-padded names and a signed manifest that catches a cut-off
//! tail, `verify`'s summary (site, appliance, ranges, key fingerprint),
//! the whole-chain OpenSSL script from docs/evidence.md run against a real
//! export, and evidence key rotation (`keygen --rotate`, the agent's
//! `key_rotation` bundle, `verify` following it, and a key change without
//! a signed rotation caught).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::checks::CheckName;
use compliance_agent::evidence::attest::Writer;
use compliance_agent::evidence::bundle::Rotation;
use compliance_agent::evidence::rotation::{at_start, KeyStart};
use compliance_agent::evidence::verify::{verify_db_keys, SEQ_DIGITS};
use compliance_agent::evidence::{Kind, Outcome, Record};
use compliance_agent::keys::{fingerprint, public_key_pem, SigningKey};
use compliance_agent::store::Store;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::child::{output_within, RUN_LIMIT};
use support::env::{agent_bin, TestEnv, EVIDENCE_SEED};
use support::simhost::TempDir;

const T0: i64 = 1_795_305_600_000; // 2026-11-22T00:00:00Z
const HOUR: i64 = 3_600_000;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn agent(args: &[&str]) -> Output {
    output_within(Command::new(agent_bin()).args(args), RUN_LIMIT)
}

fn writer_with(key: SigningKey) -> Writer {
    Writer::new(support::env::test_writer(vec![CheckName::Services]).context().clone(), key)
}

fn rec(i: i64, t: i64) -> Record {
    Record::new(Kind::Order, Outcome::Success, t).reason("test").detail(format!("record {i}"))
}

/// A store and the files an auditor and an operator have: the private key
/// (mode 0600) and public keys as PEM.
struct Chain {
    dir: TempDir,
    store: Store,
}

impl Chain {
    fn new() -> Chain {
        let dir = TempDir::new("evidence-export");
        let store = Store::open_in(&dir.path().join("state")).unwrap();
        Chain { dir, store }
    }
    fn db(&self) -> PathBuf {
        self.dir.path().join("state/agent.db")
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// Writes `key` as a private key file and its public PEM; returns both paths.
    fn key_files(&self, name: &str, key: &SigningKey) -> (PathBuf, PathBuf) {
        let private = self.path(name);
        std::fs::write(&private, key.to_pkcs8_pem()).unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
        let public = self.path(&format!("{name}.pub.pem"));
        std::fs::write(&public, public_key_pem(&key.public())).unwrap();
        (private, public)
    }
    /// Appends bundles `from..to`, bundle `i` written at `T0 + i hours`.
    fn fill(&self, w: &Writer, from: i64, to: i64) {
        for i in from..to {
            w.append(&self.store, &rec(i, T0 + i * HOUR), None, T0 + i * HOUR).unwrap();
        }
    }
    fn export(&self, key: Option<&Path>, extra: &[&str], dir: &str) -> (PathBuf, Output) {
        let out_dir = self.path(dir);
        let mut args = vec!["evidence", "export", "--db", self.db().to_str().unwrap().to_owned().leak()];
        if let Some(k) = key {
            args.extend(["--key", k.to_str().unwrap().to_owned().leak()]);
        }
        args.extend(extra);
        args.push(out_dir.to_str().unwrap().to_owned().leak());
        let out = agent(&args);
        (out_dir, out)
    }
    /// A copy of an export directory.
    fn copy(&self, from: &Path, name: &str) -> PathBuf {
        let d = self.path(name);
        std::fs::create_dir_all(&d).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, d.join(p.file_name().unwrap())).unwrap();
        }
        d
    }
}

fn verify(dir: &Path, pubkeys: &[&Path]) -> Output {
    let mut args = vec!["evidence".to_string(), "verify".into(), dir.display().to_string()];
    for k in pubkeys {
        args.extend(["--pubkey".to_string(), k.display().to_string()]);
    }
    output_within(Command::new(agent_bin()).args(&args), RUN_LIMIT)
}

/// Bundle files of an export in name order.
fn bundle_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

/// The fingerprint as OpenSSL computes it from the PEM.
fn openssl_fingerprint(pem: &Path) -> String {
    let der = Command::new("openssl").args(["pkey", "-pubin", "-outform", "DER", "-in"]).arg(pem).output().unwrap();
    assert!(der.status.success(), "{}", text(&der.stderr));
    compliance_agent::encoding::sha256_hex(&der.stdout)
}

#[test]
fn export_by_period_pads_names_and_the_signed_manifest_catches_a_cut_tail() {
    let c = Chain::new();
    let key = SigningKey::from_seed(EVIDENCE_SEED);
    let (private, public) = c.key_files("evidence.key", &key);
    c.fill(&writer_with(key.clone()), 0, 48); // seq i+1 written at T0 + i h

    // November 22nd, 12:00 to midnight: seq 13..=24.
    let (dir, out) = c.export(Some(&private), &["--since", "2026-11-22T12:00:00Z", "--until", "2026-11-23"], "period");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("exported 12 bundles (seq 13..=24) and a signed export.manifest"),
        "{}",
        text(&out.stdout)
    );
    let files = bundle_files(&dir);
    assert_eq!(files.len(), 12);
    for (f, seq) in files.iter().zip(13u64..) {
        let name = f.file_name().unwrap().to_str().unwrap();
        let (digits, _) = name.split_once('-').unwrap();
        assert_eq!(digits.len(), SEQ_DIGITS, "{name}");
        assert_eq!(digits.parse::<u64>().unwrap(), seq, "names sort by seq: {name}");
        assert!(Path::new(&format!("{}.sig", f.display())).exists());
    }
    assert!(dir.join("export.manifest").exists() && dir.join("export.manifest.sig").exists());

    let out = verify(&dir, &[&public]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("OK 12 bundles (seq 13..=24)"), "{stdout}");
    let fp = openssl_fingerprint(&public);
    assert_eq!(fp, fingerprint(&key.public()));
    for line in [
        "  site       clinic-042".to_string(),
        "  appliance  appl-01".to_string(),
        "  seq        13..=24 (12 bundles)".to_string(),
        "  time       2026-11-22T12:00:00.000Z .. 2026-11-22T23:00:00.000Z".to_string(),
        format!("  key        {fp}"),
        format!("  manifest   signed by {fp}; exported seq 13..=24 at "),
    ] {
        assert!(stdout.contains(&line), "{line:?} missing in\n{stdout}");
    }
    assert!(
        stdout.contains("when the chain head was seq 48, period 2026-11-22T12:00:00.000Z .. 2026-11-23T00:00:00.000Z"),
        "{stdout}"
    );

    let fails = |d: &Path, what: &str| {
        let out = verify(d, &[&public]);
        assert_eq!(out.status.code(), Some(65), "{}", text(&out.stdout));
        assert!(text(&out.stdout).contains(what), "{what:?} not in\n{}", text(&out.stdout));
    };
    // The tail cut off: the newest bundle and its signature gone.
    let cut = c.copy(&dir, "cut-tail");
    let newest = bundle_files(&cut).pop().unwrap();
    std::fs::remove_file(format!("{}.sig", newest.display())).unwrap();
    std::fs::remove_file(&newest).unwrap();
    fails(&cut, "export ends at seq 24 but the newest bundle present is seq 23: bundles at the end were removed");
    // The head cut off.
    let cut = c.copy(&dir, "cut-head");
    let oldest = bundle_files(&cut).remove(0);
    std::fs::remove_file(format!("{}.sig", oldest.display())).unwrap();
    std::fs::remove_file(&oldest).unwrap();
    fails(&cut, "export starts at seq 13 but the oldest bundle present is seq 14");
    // The manifest gone from an export of a period: nothing explains
    // where the chain starts, so it fails.
    let gone = c.copy(&dir, "no-manifest");
    std::fs::remove_file(gone.join("export.manifest")).unwrap();
    fails(&gone, "the chain starts at seq 13, and no prune checkpoint names seq 12");
    // The manifest edited to match a cut tail: its signature fails.
    let forged = c.copy(&cut, "forged-manifest");
    let m = std::fs::read_to_string(forged.join("export.manifest")).unwrap();
    std::fs::write(forged.join("export.manifest"), m.replace("\"first_seq\":13", "\"first_seq\":14")).unwrap();
    fails(&forged, "export.manifest: signature does not verify");

    // The whole chain, with the names of exports made before padding.
    let (all, out) = c.export(Some(&private), &[], "all");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(bundle_files(&all).len(), 48);
    let old = c.copy(&all, "unpadded");
    for f in bundle_files(&old) {
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        let (digits, rest) = name.split_once('-').unwrap();
        let short = format!("{}-{rest}", digits.parse::<u64>().unwrap());
        std::fs::rename(&f, old.join(&short)).unwrap();
        std::fs::rename(format!("{}.sig", f.display()), old.join(format!("{short}.sig"))).unwrap();
    }
    let out = verify(&old, &[&public]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).starts_with("OK 48 bundles (seq 1..=48)"));

    // Without --key: said at export. The whole chain still verifies (as
    // exports always did), and verify says that nothing vouches for the
    // end: with its tail cut it passes too, saying the same.
    let (plain, out) = c.export(None, &[], "plain");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("no --key: no signed export.manifest is written"), "{}", text(&out.stderr));
    let unvouched = "manifest   none: no signed export.manifest vouches for where the export ends";
    let out = verify(&plain, &[&public]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(unvouched), "{}", text(&out.stdout));
    let newest = bundle_files(&plain).pop().unwrap();
    std::fs::remove_file(format!("{}.sig", newest.display())).unwrap();
    std::fs::remove_file(&newest).unwrap();
    let out = verify(&plain, &[&public]);
    assert!(text(&out.stdout).starts_with("OK 47 bundles") && text(&out.stdout).contains(unvouched));
    // A key that is not the chain's: refused, naming its fingerprint.
    let other = SigningKey::from_seed([3; 32]);
    let (other_private, _) = c.key_files("other.key", &other);
    let (_, out) = c.export(Some(&other_private), &[], "other");
    assert_eq!(out.status.code(), Some(74), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&format!("the key given (fingerprint {})", fingerprint(&other.public()))));
    // A period with nothing in it.
    let (_, out) = c.export(Some(&private), &["--since", "2027-01-01"], "empty");
    assert_eq!(out.status.code(), Some(74));
    assert!(text(&out.stderr).contains("no bundle was written between 2027-01-01T00:00:00.000Z and now"));
}

/// The ```bash block after `<!-- test: openssl-chain-script -->` in
/// docs/evidence.md.
fn doc_script() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/evidence.md")).unwrap();
    let at = doc.find("<!-- test: openssl-chain-script -->").expect("marker");
    let rest = &doc[at..];
    let start = rest.find("```bash\n").unwrap() + "```bash\n".len();
    let end = rest[start..].find("\n```").unwrap();
    rest[start..start + end + 1].to_string()
}

/// Runs the script with a PATH that holds only bash and openssl.
fn run_script(c: &Chain, dir: &Path, keys: &[&Path]) -> Output {
    let script = c.path("verify-chain.sh");
    std::fs::write(&script, doc_script()).unwrap();
    let bin = c.path("only-bash-and-openssl");
    if !bin.exists() {
        std::fs::create_dir(&bin).unwrap();
        for tool in ["bash", "openssl"] {
            let found = std::env::split_paths(&std::env::var_os("PATH").unwrap())
                .map(|d| d.join(tool))
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("{tool} not on PATH"));
            std::os::unix::fs::symlink(found, bin.join(tool)).unwrap();
        }
    }
    output_within(
        Command::new(bin.join("bash")).arg(&script).arg(dir).args(keys).env_clear().env("PATH", &bin),
        RUN_LIMIT,
    )
}

#[test]
fn the_whole_chain_verifies_with_the_openssl_script_from_the_docs() {
    let c = Chain::new();
    let old = SigningKey::from_seed(EVIDENCE_SEED);
    let new = SigningKey::from_seed([5; 32]);
    let (_, old_public) = c.key_files("evidence.key", &old);
    let (new_private, new_public) = c.key_files("evidence.key.new", &new);
    c.fill(&writer_with(old.clone()), 0, 7);
    // A rotation signed by the old key, then the new key signs.
    let mut r = Record::new(Kind::KeyRotation, Outcome::Success, T0 + 7 * HOUR).reason("key_rotation");
    r.rotation = Some(Rotation::new(&old.public(), &new.public()));
    writer_with(old.clone()).append(&c.store, &r, None, T0 + 7 * HOUR).unwrap();
    c.fill(&writer_with(new.clone()), 8, 14);
    let (dir, out) = c.export(Some(&new_private), &[], "evidence");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let out = run_script(&c, &dir, &[&old_public]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(text(&out.stdout), "key changes after seq 8\nOK 14 bundles, seq 1..14, manifest verified\n");
    // The agent agrees, and reports where the key changed.
    let out = verify(&dir, &[&old_public]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let change = format!("  key change after seq 8: {} -> {}", fingerprint(&old.public()), fingerprint(&new.public()));
    assert!(text(&out.stdout).contains(&change), "{}", text(&out.stdout));

    let fails = |d: &Path, what: &str| {
        let out = run_script(&c, d, &[&old_public]);
        assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
        assert!(text(&out.stdout).contains(what), "{what:?} not in {}", text(&out.stdout));
    };
    // One byte changed.
    let t = c.copy(&dir, "tampered");
    let victim = bundle_files(&t)[3].clone();
    let edited = std::fs::read_to_string(&victim).unwrap().replacen("record 3", "record X", 1);
    std::fs::write(&victim, edited).unwrap();
    fails(&t, "signature does not verify");
    // The tail cut off.
    let cut = c.copy(&dir, "cut");
    let newest = bundle_files(&cut).pop().unwrap();
    std::fs::remove_file(format!("{}.sig", newest.display())).unwrap();
    std::fs::remove_file(&newest).unwrap();
    fails(&cut, "the manifest lists seq 1..14 (14 bundles); 13 are present");
    // A middle bundle gone.
    let gap = c.copy(&dir, "gap");
    let middle = bundle_files(&gap)[5].clone();
    std::fs::remove_file(format!("{}.sig", middle.display())).unwrap();
    std::fs::remove_file(&middle).unwrap();
    fails(&gap, "seq 7, expected 6");
    // The new key given from the start: the old key's bundles fail.
    let out = run_script(&c, &dir, &[&new_public]);
    assert_eq!(out.status.code(), Some(1));
    // A period after the rotation: verified with the new key alone, and
    // linked to the earlier export by first_prev_sha256.
    let (late, out) = c.export(Some(&new_private), &["--since", "2026-11-22T10:00:00Z"], "late");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run_script(&c, &late, &[&new_public]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(text(&out.stdout), "OK 4 bundles, seq 11..14, manifest verified\n");
    let out = verify(&late, &[&new_public]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // The chain starts with the first key given, never with whichever
    // given key verifies: a later key cannot stand in for an earlier era.
    let out = verify(&late, &[&old_public, &new_public]);
    assert_eq!(out.status.code(), Some(65), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("the key changed without a rotation"), "{}", text(&out.stdout));
}

fn once(env: &TestEnv) -> Output {
    let out = env.run(&["--once"]);
    assert!(text(&out.stderr).contains("state flush -> idle"), "cycle did not complete:\n{}", text(&out.stderr));
    out
}

fn verify_db(env: &TestEnv, pubkeys: &[&Path]) -> Output {
    let mut args = vec!["evidence".to_string(), "verify".into(), "--db".into(), env.db().display().to_string()];
    for k in pubkeys {
        args.extend(["--pubkey".to_string(), k.display().to_string()]);
    }
    output_within(Command::new(agent_bin()).args(&args), RUN_LIMIT)
}

fn kinds(env: &TestEnv) -> Vec<(String, Option<String>)> {
    let store = Store::open_read_only(&env.db()).unwrap();
    store
        .bundles_after(0, 10_000)
        .unwrap()
        .into_iter()
        .map(|b| {
            let v: serde_json::Value = serde_json::from_slice(&b.bytes).unwrap();
            (b.kind, v["reason"].as_str().map(str::to_string))
        })
        .collect()
}

#[test]
fn keygen_rotate_is_recorded_by_the_agent_and_verify_follows_it() {
    let env = TestEnv::new();
    once(&env);
    let old_public = env.pubkey_pem();
    let key = env.key.to_str().unwrap();
    let out = agent(&["keygen", "--rotate", "--out", key]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let old_path = PathBuf::from(format!("{key}.old"));
    let new_public = PathBuf::from(format!("{key}.pub.pem"));
    assert!(old_path.exists());
    assert_eq!(std::fs::metadata(&old_path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(&env.key).unwrap().permissions().mode() & 0o777, 0o600);
    let old_fp = fingerprint(&SigningKey::from_seed(EVIDENCE_SEED).public());
    let new_fp = openssl_fingerprint(&new_public);
    assert_eq!(
        text(&out.stdout).lines().skip(1).collect::<Vec<_>>(),
        [format!("old fingerprint {old_fp}"), format!("new fingerprint {new_fp}")]
    );
    assert_eq!(
        std::fs::read_to_string(format!("{key}.old.pub.pem")).unwrap(),
        std::fs::read_to_string(&old_public).unwrap()
    );
    // OpenSSL derives the public key written from the new private key.
    let derived = Command::new("openssl").args(["pkey", "-pubout", "-in"]).arg(&env.key).output().unwrap();
    assert_eq!(text(&derived.stdout), std::fs::read_to_string(&new_public).unwrap());
    // `pubkey` prints it: PEM, the config's base64 form and the fingerprint.
    let out = agent(&["pubkey", "--key", key]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let pk = SigningKey::load(&env.key).unwrap().public();
    assert_eq!(
        text(&out.stdout),
        format!(
            "{}public_key {}\nfingerprint {new_fp}\n",
            std::fs::read_to_string(&new_public).unwrap(),
            compliance_agent::encoding::base64_encode(pk.as_ref())
        )
    );
    // `config check` sees the rotation waiting.
    let out = env.run(&["config", "check", "--offline"]);
    assert!(
        text(&out.stdout)
            .contains(&format!("{key}.old: the old key (fingerprint {old_fp}); the next start signs the rotation")),
        "{}",
        text(&out.stdout)
    );
    // A second rotation before the agent recorded the first: refused.
    let out = agent(&["keygen", "--rotate", "--out", key]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("an earlier rotation is not yet recorded"), "{}", text(&out.stderr));

    // The agent records it at its next start and removes `.old`.
    let out = once(&env);
    assert!(text(&out.stderr).contains("evidence key rotated at seq"), "{}", text(&out.stderr));
    assert!(!old_path.exists());
    let k = kinds(&env);
    let at = k.iter().position(|(kind, _)| kind == "key_rotation").unwrap();
    assert_eq!(k.iter().filter(|(kind, _)| kind == "key_rotation").count(), 1);
    once(&env); // nothing more to rotate
    assert_eq!(kinds(&env).iter().filter(|(kind, _)| kind == "key_rotation").count(), 1);

    let out = verify_db(&env, &[&old_public]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(&format!("  key        {old_fp}")), "{stdout}");
    assert!(stdout.contains(&format!("  key change after seq {}: {old_fp} -> {new_fp}", at + 1)), "{stdout}");
    // With only the new key the chain's start does not verify.
    assert_eq!(verify_db(&env, &[&new_public]).status.code(), Some(65));
    // The export is signed by the new key and verifies from the old one.
    let dir = env.path().join("export");
    let out = agent(&["evidence", "export", "--db", env.db().to_str().unwrap(), "--key", key, dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = verify(&dir, &[&old_public]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(&format!("  manifest   signed by {new_fp}")), "{}", text(&out.stdout));
}

#[test]
fn a_key_change_without_a_signed_rotation_is_caught() {
    // Through the agent: the key replaced by `mv`, no `.old`.
    let env = TestEnv::new();
    once(&env);
    let old_public = env.pubkey_pem();
    let new = SigningKey::from_seed([6; 32]);
    std::fs::write(&env.key, new.to_pkcs8_pem()).unwrap();
    let new_public = env.path().join("new.pub.pem");
    std::fs::write(&new_public, public_key_pem(&new.public())).unwrap();
    let out = once(&env);
    assert!(text(&out.stderr).contains("without a signed rotation"), "{}", text(&out.stderr));
    let k = kinds(&env);
    let first_new = k.iter().position(|(_, r)| r.as_deref() == Some("evidence_key_unlinked")).unwrap() + 1;
    let out = verify_db(&env, &[&old_public, &new_public]);
    assert_eq!(out.status.code(), Some(65), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains(&format!("FAIL seq {first_new} (",))
            && text(&out.stdout).contains("the key changed without a rotation"),
        "{}",
        text(&out.stdout)
    );

    // Through the library: a rotation the new key signed itself (whoever
    // holds only the new key cannot link it), and one whose fields lie.
    for forged in ["self-signed", "wrong-old-fingerprint"] {
        let c = Chain::new();
        let old = SigningKey::from_seed(EVIDENCE_SEED);
        let new = SigningKey::from_seed([5; 32]);
        c.fill(&writer_with(old.clone()), 0, 3);
        let mut r = Record::new(Kind::KeyRotation, Outcome::Success, T0 + 3 * HOUR).reason("key_rotation");
        let mut rot = Rotation::new(&old.public(), &new.public());
        let signer = if forged == "self-signed" {
            new.clone()
        } else {
            rot.old_key_sha256 = fingerprint(&new.public());
            old.clone()
        };
        r.rotation = Some(rot);
        writer_with(signer).append(&c.store, &r, None, T0 + 3 * HOUR).unwrap();
        c.fill(&writer_with(new.clone()), 4, 6);
        let v = verify_db_keys(&c.db(), vec![old.public()]).unwrap();
        assert!(!v.ok(), "{forged}");
        assert!(v.key_changes.is_empty(), "{forged}: {:?}", v.key_changes);
        let expect = if forged == "self-signed" {
            "key_rotation not signed by the chain's key"
        } else {
            "key_rotation names old key"
        };
        assert!(v.problems.iter().any(|p| p.contains(expect)), "{forged}: {:?}", v.problems);
        assert!(v.problems.iter().any(|p| p.starts_with("seq 5 (")), "{forged}: later bundles fail: {:?}", v.problems);
    }
}

#[test]
fn a_rotation_the_store_refuses_keeps_the_old_key_and_is_retried() {
    let c = Chain::new();
    let old = SigningKey::from_seed(EVIDENCE_SEED);
    let new = SigningKey::from_seed([5; 32]);
    c.fill(&writer_with(old.clone()), 0, 3);
    let (key_path, _) = c.key_files("evidence.key", &new);
    let (old_path, _) = c.key_files("evidence.key.old", &old);
    let pages: u64 = {
        let conn = rusqlite::Connection::open(c.db()).unwrap();
        conn.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap()
    };
    c.store.simulate_full_disk(pages).unwrap();
    // Fill what room is left with small bundles (smaller than a rotation).
    let w = writer_with(old.clone());
    let filled = (0..1000).find(|i| {
        let small = Record::new(Kind::Order, Outcome::Success, T0).reason("f");
        w.append(&c.store, &small, None, T0 + i).is_err()
    });
    assert!(filled.is_some(), "the store never filled up");
    let tip = c.store.chain_tip().unwrap().seq;
    match at_start(&c.store, &writer_with(new.clone()), &new, &key_path, T0 + 3 * HOUR) {
        KeyStart::Deferred { old: k, .. } => assert_eq!(k.public(), old.public()),
        other => panic!("{other:?}"),
    }
    assert!(old_path.exists(), "the old key is kept until the rotation is written");
    assert_eq!(c.store.chain_tip().unwrap().seq, tip);
    // Space again: the next start writes it, once.
    c.store.simulate_full_disk(1 << 30).unwrap();
    let store = &c.store;
    match at_start(store, &writer_with(new.clone()), &new, &key_path, T0) {
        KeyStart::Rotated { seq, .. } => assert_eq!(seq, tip + 1),
        other => panic!("{other:?}"),
    }
    assert!(!old_path.exists());
    assert!(matches!(at_start(store, &writer_with(new.clone()), &new, &key_path, T0), KeyStart::AlreadyRotated));
    writer_with(new.clone()).append(store, &rec(5, T0), None, T0).unwrap();
    assert!(matches!(at_start(store, &writer_with(new.clone()), &new, &key_path, T0), KeyStart::Same));
    let v = verify_db_keys(&c.db(), vec![old.public()]).unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    assert_eq!(v.key_changes.len(), 1);
}
