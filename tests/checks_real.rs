//! The checks against the real tools this machine has: `nft` in a network
//! namespace the test creates (`unshare -rn`), `cryptsetup` on a LUKS2 image
//! file, and a real restic repository. Skipped (with a message) only where
//! the tool itself is missing; `.ci/run` installs all three.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use compliance_agent::keys::SigningKey;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::child::{output_within, RUN_LIMIT};
use support::env::{agent_bin, TestEnv};

fn tool(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].iter().map(|d| Path::new(d).join(name)).find(|p| p.exists())
}

fn require(name: &str) -> PathBuf {
    tool(name).unwrap_or_else(|| panic!("{name} is not installed; .ci/run installs it"))
}

/// The verdict and findings of one check in `check --json` output.
fn verdict(out: &Value, check: &str) -> (String, Vec<String>) {
    let c = out["checks"].as_array().unwrap().iter().find(|c| c["check"] == check).unwrap();
    (
        c["verdict"].as_str().unwrap().to_string(),
        c["findings"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect(),
    )
}

const BASELINE: &str = "flush ruleset
table inet filter {
  chain input {
    type filter hook input priority 0; policy drop;
    iifname \"lo\" counter accept
    ct state established,related counter accept
    tcp dport 22 counter accept
  }
}
";

#[test]
fn firewall_against_real_nft_in_a_network_namespace() {
    let nft = require("nft");
    let unshare = require("unshare");
    let ip = require("ip");
    let env = TestEnv::new();
    let baseline = env.path().join("firewall.nft");
    std::fs::write(&baseline, BASELINE).unwrap();
    // Signed by the order key (seed 9, key id test-2026a), raw 64 bytes.
    let sig = SigningKey::from_seed([9u8; 32]).sign(BASELINE.as_bytes());
    std::fs::write(env.path().join("firewall.nft.sig"), sig).unwrap();
    let (b, n, u) = (baseline.display().to_string(), nft.display().to_string(), unshare.display().to_string());
    env.patch(move |v| {
        v["checks"] = json!({"firewall": {"baseline_file": b, "baseline_sig_file": format!("{b}.sig"), "ignore_tables": ["inet f2b-table"]}});
        v["tools"]["nft"] = json!(n);
        v["tools"]["unshare"] = json!(u);
    });
    let agent = agent_bin().display().to_string();
    let cfg = env.config.display().to_string();
    let out = |n: u32| env.path().join(format!("check{n}.json")).display().to_string();
    // One network namespace for the whole scenario; the agent runs inside it.
    let script = format!(
        r#"set -e
        {ip} link set lo up
        {nft} -f {b}
        "{agent}" --config {cfg} check --json > {o1} || true
        # Traffic through the counters (a refused connection still passes the input hook).
        for i in 1 2 3; do (exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null || true; done
        {nft} list ruleset > {counters}
        "{agent}" --config {cfg} check --json > {o2} || true
        # A table that fail2ban would manage: ignored.
        {nft} add table inet f2b-table
        {nft} add set inet f2b-table addr-set-sshd '{{ type ipv4_addr; }}'
        {nft} add element inet f2b-table addr-set-sshd '{{ 192.0.2.7 }}'
        "{agent}" --config {cfg} check --json > {o3} || true
        # A rule added by hand: drift.
        {nft} add rule inet filter input tcp dport 8080 accept
        "{agent}" --config {cfg} check --json > {o4} || true
        "#,
        ip = ip.display(),
        nft = nft.display(),
        b = baseline.display(),
        o1 = out(1),
        o2 = out(2),
        o3 = out(3),
        o4 = out(4),
        counters = env.path().join("counters.txt").display(),
    );
    let run = output_within(Command::new(&unshare).args(["-rn", "bash", "-c", &script]), RUN_LIMIT);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let read = |n: u32| -> Value {
        let text = std::fs::read_to_string(out(n)).unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("check{n}.json: {e}: {text}"))
    };
    let counters = std::fs::read_to_string(env.path().join("counters.txt")).unwrap();
    assert!(
        counters.lines().any(|l| l.contains("counter packets") && !l.contains("counter packets 0 ")),
        "the traffic did not move any counter, so the test proves nothing:\n{counters}"
    );
    assert_eq!(verdict(&read(1), "firewall").0, "compliant", "baseline loaded: {}", read(1));
    assert_eq!(verdict(&read(2), "firewall").0, "compliant", "counters moved: {}", read(2));
    assert_eq!(verdict(&read(3), "firewall").0, "compliant", "ignored table changed: {}", read(3));
    let (v, f) = verdict(&read(4), "firewall");
    assert_eq!((v.as_str(), f), ("drift", vec!["ruleset_differs".to_string()]), "{}", read(4));
    assert_eq!(read(4)["compliant"], json!(false));

    // A baseline whose signature does not verify is never trusted.
    std::fs::write(env.path().join("firewall.nft.sig"), SigningKey::from_seed([1u8; 32]).sign(BASELINE.as_bytes()))
        .unwrap();
    let o = output_within(Command::new(&unshare).args(["-rn", &agent, "--config", &cfg, "check", "--json"]), RUN_LIMIT);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(verdict(&v, "firewall"), ("error".to_string(), vec!["baseline_signature_invalid".to_string()]));
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn nft_canonical_helper_refuses_the_agents_own_namespace() {
    let here = std::fs::read_link("/proc/self/ns/net").unwrap().display().to_string();
    let o = output_within(
        Command::new(agent_bin()).args(["__nft-canonical", "--not-netns", &here, "/usr/sbin/nft", "/nonexistent"]),
        RUN_LIMIT,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("refusing"));
}

/// A cryptsetup that answers `status` from the simulated host (opening a
/// mapping needs device-mapper, which this machine lacks) and everything
/// else (isLuks, luksDump) with the real cryptsetup on an image file.
fn hybrid_cryptsetup(env: &TestEnv) -> PathBuf {
    let real = require("cryptsetup");
    let fake = env.host.tool_path("cryptsetup");
    let path = env.path().join("cryptsetup-hybrid");
    std::fs::write(
        &path,
        format!(
            "#!/bin/bash\nif [ \"$1\" = status ]; then exec {} \"$@\"; fi\nexec {} \"$@\"\n",
            fake.display(),
            real.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn encryption_against_real_cryptsetup_on_a_luks2_image() {
    let cryptsetup = require("cryptsetup");
    let env = TestEnv::new();
    let image = env.path().join("data.img");
    let plain = env.path().join("plain.img");
    for p in [&image, &plain] {
        std::fs::File::create(p).unwrap().set_len(20 << 20).unwrap();
    }
    let key = env.path().join("passphrase");
    std::fs::write(&key, "correct horse").unwrap();
    let f = Command::new(&cryptsetup)
        .args([
            "luksFormat",
            "--batch-mode",
            "--type",
            "luks2",
            "--pbkdf",
            "pbkdf2",
            "--pbkdf-force-iterations",
            "1000",
            "--key-file",
        ])
        .arg(&key)
        .arg(&image)
        .output()
        .unwrap();
    assert!(f.status.success(), "{}", String::from_utf8_lossy(&f.stderr));
    // The simulated host says the volumes are open on those images.
    let vol = |name: &str, dev: &Path| {
        let mut v = support::simhost::Volume::luks2(&dev.display().to_string());
        v.tokens = vec![];
        env.host.set_volume(name, &v);
    };
    vol("cryptdata", &image);
    let hybrid = hybrid_cryptsetup(&env).display().to_string();
    env.patch(move |v| {
        v["checks"] = json!({"encryption": {"volumes": ["cryptdata"]}});
        v["tools"]["cryptsetup"] = json!(hybrid);
    });
    let check = || -> Value { serde_json::from_slice(&env.run(&["check", "--json"]).stdout).unwrap() };
    let out = check();
    assert_eq!(verdict(&out, "encryption").0, "compliant", "{out}");
    let c = &out["checks"][0]["observed"]["volumes"]["cryptdata"];
    assert_eq!(c["luks"], json!(true), "{out}");
    assert_eq!(c["unlock"]["keyslots"], json!(["0"]), "{out}");
    assert_eq!(c["unlock"]["tokens"], json!([]), "{out}");
    assert_eq!(c["unlock"]["key_kept_apart"], json!(false), "{out}");

    // Enrol a TPM2-style token (its metadata; no TPM is needed to import it).
    let token = env.path().join("token.json");
    std::fs::write(
        &token,
        r#"{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"AAAA","tpm2-pcrs":[7],"tpm2-pcr-bank":"sha256","tpm2-primary-alg":"ecc","tpm2-policy-hash":"00"}"#,
    )
    .unwrap();
    let t =
        Command::new(&cryptsetup).args(["token", "import", "--json-file"]).arg(&token).arg(&image).output().unwrap();
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
    let out = check();
    let c = &out["checks"][0]["observed"]["volumes"]["cryptdata"];
    assert_eq!(c["unlock"]["tokens"], json!(["systemd-tpm2"]), "{out}");
    assert_eq!(c["unlock"]["key_kept_apart"], json!(true), "{out}");

    // A volume whose backing device is not LUKS: drift.
    vol("cryptdata", &plain);
    let out = check();
    assert_eq!(verdict(&out, "encryption"), ("drift".to_string(), vec!["not_luks".to_string()]), "{out}");
    // A volume that is not open: drift.
    vol("cryptdata", &image);
    env.host.remove_volume("cryptdata");
    let out = check();
    assert_eq!(verdict(&out, "encryption").0, "drift", "{out}");
}

#[test]
fn backups_against_a_real_restic_repository() {
    let restic = require("restic");
    let env = TestEnv::new();
    let repo = env.path().join("repo");
    let pw = env.path().join("restic.pw");
    std::fs::write(&pw, "restic test password").unwrap();
    let data = env.path().join("patients-not-really.txt");
    std::fs::write(&data, "backup me").unwrap();
    let restic_cmd = |args: &[&str]| {
        let o = Command::new(&restic)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .args(args)
            .arg("--repo")
            .arg(&repo)
            .arg("--password-file")
            .arg(&pw)
            .arg("--no-cache")
            .output()
            .unwrap();
        assert!(o.status.success(), "restic {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    };
    restic_cmd(&["init"]);
    let (r, p, t) = (repo.display().to_string(), pw.display().to_string(), restic.display().to_string());
    let status_file = env.path().join("unused-status").display().to_string();
    env.patch(move |v| {
        v["checks"] = json!({"backups": {"status_file": status_file, "unit": "backup.service", "max_age_hours": 48,
                                          "restic": {"repository": r, "password_file": p}}});
        v["tools"]["restic"] = json!(t);
    });
    let check = || -> Value { serde_json::from_slice(&env.run(&["check", "--json"]).stdout).unwrap() };
    // Empty repository: no backup at all.
    assert_eq!(verdict(&check(), "backups"), ("drift".to_string(), vec!["no_backup".to_string()]));
    // Only an old snapshot: too old.
    restic_cmd(&["backup", "--time", "2020-01-01 00:00:00", data.to_str().unwrap()]);
    assert_eq!(verdict(&check(), "backups"), ("drift".to_string(), vec!["backup_too_old".to_string()]));
    // A fresh one: compliant (the newest snapshot is the backup's time).
    restic_cmd(&["backup", data.to_str().unwrap()]);
    let out = check();
    assert_eq!(verdict(&out, "backups").0, "compliant", "{out}");
    assert_eq!(out["checks"][0]["observed"]["source"], "restic");
    // A wrong password is an error, not drift and not compliance.
    std::fs::write(&pw, "wrong").unwrap();
    let out = check();
    assert_eq!(verdict(&out, "backups").0, "error", "{out}");
}

const MCP_PY: &str = r#"
import base64, hashlib, http.server, json, ssl, sys
port, pki, orders = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        try:
            self.reply(open(orders, "rb").read())
        except OSError:
            self.reply(b"[]")
    def do_POST(self):
        items = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        receipts = [{"bundle_id": i["bundle_id"], "sha256": hashlib.sha256(base64.b64decode(i["bundle"])).hexdigest(),
                     "received_at": "2026-11-25T00:00:00Z"} for i in items]
        self.reply(json.dumps({"receipts": receipts}).encode())
    def log_message(self, *a):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(pki + "/server.pem", pki + "/server.key")
ctx.load_verify_locations(pki + "/ca.pem")
ctx.verify_mode = ssl.CERT_REQUIRED
srv = http.server.HTTPServer(("127.0.0.1", port), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
"#;

#[test]
fn firewall_heal_applies_the_baseline_and_restores_when_the_mcp_is_cut_off() {
    let nft = require("nft");
    let unshare = require("unshare");
    let ip = require("ip");
    let python = require("python3");
    let env = TestEnv::new();
    let pki = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pki");
    std::fs::write(env.path().join("mcp.py"), MCP_PY).unwrap();
    env.set_mcp_url("https://127.0.0.1:8443");
    // A good baseline keeps loopback (and so the MCP) open; a bad one does not.
    let good = BASELINE.to_string();
    let bad = "flush ruleset\ntable inet filter {\n  chain input {\n    type filter hook input priority 0; policy drop;\n  }\n  chain output {\n    type filter hook output priority 0; policy drop;\n  }\n}\n";
    let drifted = "flush ruleset\ntable inet filter {\n  chain input {\n    type filter hook input priority 0; policy accept;\n  }\n}\n";
    let write_baseline = |rules: &str| {
        std::fs::write(env.path().join("firewall.nft"), rules).unwrap();
        std::fs::write(env.path().join("firewall.nft.sig"), SigningKey::from_seed([9u8; 32]).sign(rules.as_bytes()))
            .unwrap();
    };
    std::fs::write(env.path().join("drifted.nft"), drifted).unwrap();
    let b = env.path().join("firewall.nft").display().to_string();
    let (n, u) = (nft.display().to_string(), unshare.display().to_string());
    env.patch(move |v| {
        v["checks"] = json!({"firewall": {"baseline_file": b, "baseline_sig_file": format!("{b}.sig"),
                                          "ignore_tables": ["inet f2b-table"]}});
        v["tools"]["nft"] = json!(n);
        v["tools"]["unshare"] = json!(u);
    });
    let run = |label: &str| {
        let script = format!(
            r#"set -e
            {ip} link set lo up
            {python} {dir}/mcp.py 8443 {pki} {dir}/orders.json & server=$!
            for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/8443) 2>/dev/null && break; sleep 0.1; done
            {nft} -f {dir}/drifted.nft
            # fail2ban's table, with a ban in it: not ours to touch.
            {nft} add table inet f2b-table
            {nft} add set inet f2b-table addr-set-sshd '{{ type ipv4_addr; }}'
            {nft} add element inet f2b-table addr-set-sshd '{{ 192.0.2.7 }}'
            "{agent}" --config {cfg} --once > {dir}/{label}.out 2> {dir}/{label}.err || true
            {nft} -s list ruleset > {dir}/{label}.ruleset
            kill $server
            "#,
            ip = ip.display(),
            python = python.display(),
            nft = nft.display(),
            dir = env.path().display(),
            pki = pki.display(),
            agent = agent_bin().display(),
            cfg = env.config.display(),
        );
        let o = output_within(Command::new(&unshare).args(["-rn", "bash", "-c", &script]), RUN_LIMIT);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(env.path().join(format!("{label}.err"))).unwrap()
    };
    write_baseline(&good);
    let log = run("good");
    assert!(log.contains("poll: 0 envelopes"), "the MCP must be reachable before the heal:\n{log}");
    assert!(log.contains("remediation/success check=firewall"), "{log}");
    let live = std::fs::read_to_string(env.path().join("good.ruleset")).unwrap();
    assert!(live.contains("tcp dport 22"), "baseline applied: {live}");
    assert!(
        live.contains("table inet f2b-table") && live.contains("192.0.2.7"),
        "the ignored table and its ban survive: {live}"
    );

    write_baseline(bad);
    let log = run("bad");
    assert!(log.contains("remediation/reverted check=firewall"), "{log}");
    assert!(log.contains("MCP was reachable before"), "{log}");
    // The saved (drifted) ruleset is back: policy accept, loopback open.
    let live = std::fs::read_to_string(env.path().join("bad.ruleset")).unwrap();
    assert!(live.contains("policy accept") && !live.contains("chain output"), "not restored: {live}");
    assert!(live.contains("192.0.2.7"), "the ignored table survives the restore: {live}");

    // An update_firewall_baseline order installs a new baseline and applies
    // it through the same engine.
    let newer = BASELINE
        .replace("tcp dport 22 counter accept", "tcp dport 22 counter accept\n    tcp dport 443 counter accept");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let payload = json!({"order_id": "o-fw", "site_id": "clinic-042", "issued_at": now, "ttl_secs": 900,
                         "action": "update_firewall_baseline",
                         "params": {"ruleset": newer, "sha256": compliance_agent::encoding::sha256_hex(newer.as_bytes())}});
    let envelope = compliance_agent::orders::dsse::sign(
        payload.to_string().as_bytes(),
        &[("test-2026a", &SigningKey::from_seed([9u8; 32]))],
    );
    std::fs::write(env.path().join("orders.json"), [b"[".to_vec(), envelope, b"]".to_vec()].concat()).unwrap();
    let log = run("order");
    assert!(log.contains("order/success check=firewall") && log.contains("order=o-fw"), "{log}");
    let live = std::fs::read_to_string(env.path().join("order.ruleset")).unwrap();
    assert!(live.contains("tcp dport 443"), "new baseline applied: {live}");
}

/// Every bundle in the agent's database, exported with `evidence export`.
fn exported_bundles(env: &TestEnv, label: &str) -> Vec<Value> {
    let dir = env.path().join(format!("export-{label}"));
    let o = output_within(
        Command::new(agent_bin()).args(["evidence", "export", "--db"]).arg(env.db()).arg(&dir),
        RUN_LIMIT,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect()
}

/// The files of the state directory (the database, its WAL, saved rulesets)
/// whose raw bytes contain `needle`.
fn state_files_containing(env: &TestEnv, needle: &str) -> Vec<PathBuf> {
    std::fs::read_dir(env.state_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| std::fs::read(p).unwrap().windows(needle.len()).any(|w| w == needle.as_bytes()))
        .collect()
}

#[test]
fn an_order_whose_ruleset_includes_a_file_is_rejected_and_the_file_never_reaches_evidence() {
    let nft = require("nft");
    let unshare = require("unshare");
    let ip = require("ip");
    let python = require("python3");
    let env = TestEnv::new();
    let pki = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pki");
    std::fs::write(env.path().join("mcp.py"), MCP_PY).unwrap();
    env.set_mcp_url("https://127.0.0.1:8443");
    // A root-only file whose line nft would echo under its syntax error.
    let marker = format!("SECRET-MARKER-{}", std::process::id());
    let secret = env.path().join("shadow");
    std::fs::write(&secret, format!("{marker}:$6$salt$hash:19000:0:99999:7:::\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let baseline = env.path().join("firewall.nft");
    std::fs::write(&baseline, BASELINE).unwrap();
    std::fs::write(env.path().join("firewall.nft.sig"), SigningKey::from_seed([9u8; 32]).sign(BASELINE.as_bytes()))
        .unwrap();
    let (b, n, u) = (baseline.display().to_string(), nft.display().to_string(), unshare.display().to_string());
    env.patch(move |v| {
        v["checks"] = json!({"firewall": {"baseline_file": b, "baseline_sig_file": format!("{b}.sig")}});
        v["tools"]["nft"] = json!(n);
        v["tools"]["unshare"] = json!(u);
    });
    // Signed by a valid order key, hash matching: only the content is wrong.
    let ruleset = format!(
        "flush ruleset\ntable inet filter {{\n  chain input {{\n    type filter hook input priority 0; policy accept;\n  }}\n}}\ninclude \"{}\"\n",
        secret.display()
    );
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let payload = json!({"order_id": "o-include", "site_id": "clinic-042", "issued_at": now, "ttl_secs": 900,
                         "action": "update_firewall_baseline",
                         "params": {"ruleset": ruleset, "sha256": compliance_agent::encoding::sha256_hex(ruleset.as_bytes())}});
    let envelope = compliance_agent::orders::dsse::sign(
        payload.to_string().as_bytes(),
        &[("test-2026a", &SigningKey::from_seed([9u8; 32]))],
    );
    std::fs::write(env.path().join("orders.json"), [b"[".to_vec(), envelope, b"]".to_vec()].concat()).unwrap();
    let script = format!(
        r#"set -e
        {ip} link set lo up
        {python} {dir}/mcp.py 8443 {pki} {dir}/orders.json & server=$!
        for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/8443) 2>/dev/null && break; sleep 0.1; done
        {nft} -f {b}
        {nft} -s list ruleset > {dir}/before.ruleset
        "{agent}" --config {cfg} --once > {dir}/once.out 2> {dir}/once.err || true
        {nft} -s list ruleset > {dir}/after.ruleset
        kill $server
        "#,
        ip = ip.display(),
        python = python.display(),
        nft = nft.display(),
        b = baseline.display(),
        dir = env.path().display(),
        pki = pki.display(),
        agent = agent_bin().display(),
        cfg = env.config.display(),
    );
    let o = output_within(Command::new(&unshare).args(["-rn", "bash", "-c", &script]), RUN_LIMIT);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let read = |name: &str| std::fs::read_to_string(env.path().join(name)).unwrap();
    let log = read("once.err");
    assert!(log.contains("poll: 1 envelopes: 0 accepted, 1 refused"), "{log}");
    assert!(
        log.contains("order/rejected order=o-include action=update_firewall_baseline")
            && log.contains("reason=invalid_params (ruleset: line 7: `include` would make nft read a file)"),
        "{log}"
    );
    let bundles = exported_bundles(&env, "include");
    assert!(
        bundles.iter().any(|b| b["kind"] == "order" && b["outcome"] == "rejected" && b["reason"] == "invalid_params"),
        "{bundles:#?}"
    );
    // Nothing was installed or loaded.
    assert_eq!(read("before.ruleset"), read("after.ruleset"), "the live ruleset changed");
    assert!(read("after.ruleset").contains("tcp dport 22"), "{}", read("after.ruleset"));
    assert!(
        !std::fs::read_dir(env.state_dir()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("firewall-baseline-")),
        "the refused ruleset was written as a baseline"
    );
    // The file's line is nowhere: not in a bundle, the database, the log.
    for b in &bundles {
        assert!(!b.to_string().contains(&marker), "a bundle holds the secret line: {b}");
    }
    assert_eq!(state_files_containing(&env, &marker), Vec::<PathBuf>::new());
    assert!(!log.contains(&marker) && !read("once.out").contains(&marker), "{log}");
}

#[test]
fn a_baseline_nft_cannot_load_leaves_only_a_scrubbed_reason_in_evidence() {
    let nft = require("nft");
    let unshare = require("unshare");
    let ip = require("ip");
    let env = TestEnv::new();
    // Signed and acceptable as a script, but nft refuses the marked line and
    // would print it, with a caret line, under its error.
    let marker = format!("BASELINE-MARKER-{}", std::process::id());
    let text =
        BASELINE.replace("tcp dport 22 counter accept", &format!("tcp dport 22 counter accept\n    {marker} here"));
    let baseline = env.path().join("firewall.nft");
    std::fs::write(&baseline, &text).unwrap();
    std::fs::write(env.path().join("firewall.nft.sig"), SigningKey::from_seed([9u8; 32]).sign(text.as_bytes()))
        .unwrap();
    let (b, n, u) = (baseline.display().to_string(), nft.display().to_string(), unshare.display().to_string());
    env.patch(move |v| {
        v["checks"] = json!({"firewall": {"baseline_file": b, "baseline_sig_file": format!("{b}.sig")}});
        v["tools"]["nft"] = json!(n);
        v["tools"]["unshare"] = json!(u);
    });
    let script = format!(
        r#"set -e
        {ip} link set lo up
        "{agent}" --config {cfg} --once > {dir}/once.out 2> {dir}/once.err || true
        "{agent}" --config {cfg} check --json > {dir}/check.json 2> {dir}/check.err || true
        "#,
        ip = ip.display(),
        dir = env.path().display(),
        agent = agent_bin().display(),
        cfg = env.config.display(),
    );
    let o = output_within(Command::new(&unshare).args(["-rn", "bash", "-c", &script]), RUN_LIMIT);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let read = |name: &str| std::fs::read_to_string(env.path().join(name)).unwrap();
    let check: Value = serde_json::from_str(&read("check.json")).unwrap();
    assert_eq!(verdict(&check, "firewall"), ("error".to_string(), vec!["baseline_not_loadable".to_string()]));
    let detail = check["checks"][0]["detail"].as_str().unwrap();
    // nft's own message (its wording varies by version) survives the scrub.
    assert!(detail.contains("nft -f exited 1: stderr withheld (") && detail.contains(" bytes): "), "{detail}");
    let bundles = exported_bundles(&env, "unloadable");
    let alert = bundles
        .iter()
        .find(|b| b["kind"] == "alert" && b["check"] == "firewall")
        .unwrap_or_else(|| panic!("no firewall alert: {bundles:#?}"));
    assert!(alert.to_string().contains("nft -f exited 1: stderr withheld ("), "{alert}");
    // Only the scrubbed reason: no line of the baseline, no location.
    for b in &bundles {
        let t = b.to_string();
        assert!(!t.contains(&marker) && !t.contains("^^^") && !t.contains(&format!("{}:", baseline.display())), "{t}");
    }
    assert_eq!(state_files_containing(&env, &marker), Vec::<PathBuf>::new());
    for f in ["once.out", "once.err", "check.json", "check.err"] {
        assert!(!read(f).contains(&marker), "{f}: {}", read(f));
    }
}
