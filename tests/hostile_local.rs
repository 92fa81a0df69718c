//! Hostile and broken local state, run as the real binary against the
//! simulated host: a damaged or foreign database, a full file system at
//! start-up, FIFOs and devices where files should be, an untrusted state
//! directory, and a state directory deleted under the running daemon.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

mod support;

use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;
use support::child::{output_within, Guard, RUN_LIMIT};
use support::env::{agent_bin, TestEnv};
use support::mcp::McpServer;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn once(env: &TestEnv) -> Output {
    env.run(&["--once"])
}

/// Every bundle in the database, in seq order, parsed.
fn bundles(db: &Path) -> Vec<Value> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = c.prepare("SELECT bytes FROM bundles ORDER BY seq").unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap();
    rows.map(|b| serde_json::from_slice(&b.unwrap()).unwrap()).collect()
}

fn moved_aside(env: &TestEnv) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(env.state_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with("agent.db.corrupt-") && ![".head", "-wal", "-shm", "-journal"].iter().any(|s| n.ends_with(s))
        })
        .collect();
    v.sort();
    v
}

/// A signed run_checks order issued `ago` seconds ago.
fn order(id: &str, ago: u64) -> Vec<u8> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let p = json!({"order_id": id, "site_id": "clinic-042", "issued_at": now - ago, "ttl_secs": 900,
                   "action": "restart_service", "params": {"unit": "sshd.service"}});
    compliance_agent::orders::dsse::sign(
        p.to_string().as_bytes(),
        &[("test-2026a", &compliance_agent::keys::SigningKey::from_seed([9u8; 32]))],
    )
}

/// Replaces the database with `bytes` (dropping its WAL).
fn replace_db(env: &TestEnv, bytes: &[u8]) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.db().display()));
    }
    std::fs::write(env.db(), bytes).unwrap();
}

/// The loss is reported (first bundle of the new chain names the old
/// chain's last seq and hash), the damaged file is kept byte for byte
/// beside the old chain.head, and the new chain verifies.
fn assert_loss_reported(env: &TestEnv, out: &Output, damaged: &[u8], why: &str) {
    let err = text(&out.stderr);
    assert!(err.contains("reason=store_corrupt"), "{err}");
    assert!(err.contains(why), "expected {why:?} in:\n{err}");
    let moved = moved_aside(env);
    assert_eq!(moved.len(), 1, "{moved:?}");
    let kept = std::fs::read(env.state_dir().join(&moved[0])).unwrap();
    assert!(kept == damaged, "the damaged file was changed ({} bytes, was {})", kept.len(), damaged.len());
    let old_head = std::fs::read_to_string(env.state_dir().join(format!("{}.head", moved[0]))).unwrap();
    let (seq, sha) = old_head.trim().split_once(' ').unwrap();
    let chain = bundles(&env.db());
    assert_eq!(chain[0]["seq"], json!(1));
    assert_eq!(chain[0]["reason"], "store_corrupt");
    assert_eq!(chain[0]["pre_state"]["last_known_seq"], json!(seq.parse::<u64>().unwrap()));
    assert_eq!(chain[0]["pre_state"]["last_known_sha256"], json!(sha));
    let v = output_within(
        Command::new(agent_bin())
            .args(["evidence", "verify", "--db"])
            .arg(env.db())
            .arg("--pubkey")
            .arg(env.pubkey_pem()),
        RUN_LIMIT,
    );
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
}

#[test]
fn a_zero_length_database_is_loss_and_an_order_that_ran_never_runs_again() {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    // An order runs (sshd is restarted once).
    server.set_orders(vec![order("o-ran", 30)]);
    assert_eq!(once(&env).status.code(), Some(0));
    let restarts = |env: &TestEnv| env.host.calls().iter().filter(|c| *c == "systemctl restart sshd.service").count();
    assert_eq!(restarts(&env), 1);
    assert_eq!(once(&env).status.code(), Some(0));
    // The database becomes an empty file; the MCP lists the order again.
    replace_db(&env, b"");
    let out = once(&env);
    assert_loss_reported(&env, &out, b"", "empty");
    let err = text(&out.stderr);
    assert!(err.contains("order/rejected") && err.contains("reason=replay") && err.contains("order=o-ran"), "{err}");
    assert_eq!(restarts(&env), 1, "the order ran a second time");
}

#[test]
fn a_database_of_another_schema_is_loss_not_a_fresh_start() {
    let env = TestEnv::new();
    once(&env);
    once(&env);
    let other = env.path().join("other.db");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('x');",
        )
        .unwrap();
    }
    let foreign = std::fs::read(&other).unwrap();
    replace_db(&env, &foreign);
    // The first cycle after the loss heals something: the loss is still the
    // new chain's first bundle.
    env.host.set_unit("sshd.service", "inactive");
    let out = once(&env);
    assert_loss_reported(&env, &out, &foreign, "not an agent database");
    assert!(text(&out.stderr).contains("remediation/success check=services"), "{}", text(&out.stderr));
}

/// A WAL-mode SQLite database of another program, with frames still in its
/// WAL (as a process that was killed leaves it), at `dir/name`.
fn foreign_wal_db(dir: &Path, name: &str) {
    let path = dir.join(name);
    let script = format!(
        "import sqlite3, os\n\
         c = sqlite3.connect({path:?})\n\
         c.execute('PRAGMA journal_mode=WAL')\n\
         c.execute('PRAGMA wal_autocheckpoint=0')\n\
         c.execute('PRAGMA application_id=1234')\n\
         c.execute('CREATE TABLE notes (body TEXT)')\n\
         c.executemany('INSERT INTO notes VALUES (?)', [('x' * 500,)] * 200)\n\
         c.commit()\n\
         os._exit(0)\n",
        path = path.display().to_string()
    );
    let out = output_within(Command::new("python3").args(["-c", &script]), RUN_LIMIT);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::metadata(format!("{}-wal", path.display())).unwrap().len() > 0, "no WAL frames left");
}

#[test]
fn a_foreign_database_and_its_wal_are_moved_aside_untouched() {
    let env = TestEnv::new();
    once(&env);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", env.db().display()));
    }
    foreign_wal_db(&env.state_dir(), "agent.db");
    let main = std::fs::read(env.db()).unwrap();
    let wal = std::fs::read(format!("{}-wal", env.db().display())).unwrap();
    let out = once(&env);
    assert_loss_reported(&env, &out, &main, "application_id");
    let moved = moved_aside(&env);
    let kept = std::fs::read(env.state_dir().join(format!("{}-wal", moved[0]))).unwrap();
    assert!(kept == wal, "the foreign WAL was changed ({} bytes, was {})", kept.len(), wal.len());
}

#[test]
fn a_missing_database_whose_wal_remains_is_loss_and_the_wal_is_kept() {
    let env = TestEnv::new();
    once(&env);
    env.host.set_unit("sshd.service", "inactive");
    once(&env);
    // The database goes; a WAL (here a foreign one's, with frames) stays.
    let _ = std::fs::remove_file(env.db());
    let _ = std::fs::remove_file(format!("{}-shm", env.db().display()));
    foreign_wal_db(env.path(), "elsewhere.db");
    let wal = std::fs::read(env.path().join("elsewhere.db-wal")).unwrap();
    std::fs::write(format!("{}-wal", env.db().display()), &wal).unwrap();
    let out = once(&env);
    let err = text(&out.stderr);
    assert!(err.contains("reason=store_corrupt") && err.contains("the database file is missing (-wal"), "{err}");
    // The WAL was not replayed into the new chain: it is kept aside, and the
    // new chain starts at seq 1 with the loss.
    let moved: Vec<String> = std::fs::read_dir(env.state_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("agent.db.corrupt-") && n.ends_with("-wal"))
        .collect();
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert!(std::fs::read(env.state_dir().join(&moved[0])).unwrap() == wal);
    let chain = bundles(&env.db());
    assert_eq!((chain[0]["seq"].as_u64(), chain[0]["reason"].as_str()), (Some(1), Some("store_corrupt")));
    let v = output_within(
        Command::new(agent_bin())
            .args(["evidence", "verify", "--db"])
            .arg(env.db())
            .arg("--pubkey")
            .arg(env.pubkey_pem()),
        RUN_LIMIT,
    );
    assert_eq!(v.status.code(), Some(0), "{}", text(&v.stdout));
}

#[test]
fn an_older_copy_of_the_database_is_loss() {
    let env = TestEnv::new();
    once(&env);
    // After a clean exit the database file holds everything (no WAL).
    let snapshot = std::fs::read(env.db()).unwrap();
    env.host.set_unit("sshd.service", "inactive");
    once(&env);
    once(&env);
    replace_db(&env, &snapshot);
    let out = once(&env);
    assert_loss_reported(&env, &out, &snapshot, "bundles are missing");
}

#[test]
fn an_intact_database_without_chain_head_is_kept() {
    let env = TestEnv::new();
    once(&env);
    std::fs::remove_file(env.state_dir().join("chain.head")).unwrap();
    let out = once(&env);
    assert!(!text(&out.stderr).contains("store_corrupt"), "{}", text(&out.stderr));
    assert!(moved_aside(&env).is_empty());
    assert!(env.state_dir().join("chain.head").exists(), "chain.head is written again");
}

#[test]
fn an_untrusted_state_directory_is_refused_with_exit_78() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.state_dir()).unwrap();
    std::fs::set_permissions(env.state_dir(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = once(&env);
    assert_eq!(out.status.code(), Some(78), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("state_dir") && text(&out.stderr).contains("chmod 700"),
        "{}",
        text(&out.stderr)
    );
    assert!(!env.db().exists(), "a database was created in an untrusted directory");

    std::fs::set_permissions(env.state_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(env.state_dir(), Some(65534), None).unwrap();
    let out = once(&env);
    assert_eq!(out.status.code(), Some(78), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("owned by uid 65534"), "{}", text(&out.stderr));

    // A symlink as the state directory itself.
    std::os::unix::fs::chown(env.state_dir(), Some(0), None).unwrap();
    let real = env.path().join("real-state");
    std::fs::rename(env.state_dir(), &real).unwrap();
    std::os::unix::fs::symlink(&real, env.state_dir()).unwrap();
    let out = once(&env);
    assert_eq!(out.status.code(), Some(78), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("symbolic link"), "{}", text(&out.stderr));
}

#[test]
fn a_symlink_planted_as_the_database_is_never_followed() {
    let env = TestEnv::new();
    once(&env);
    // Someone replaces agent.db with a link to a file of theirs.
    let victim = env.path().join("victim.db");
    std::fs::copy(env.db(), &victim).unwrap();
    let before = std::fs::read(&victim).unwrap();
    replace_db(&env, b"");
    std::fs::remove_file(env.db()).unwrap();
    std::os::unix::fs::symlink(&victim, env.db()).unwrap();
    let out = once(&env);
    assert!(
        text(&out.stderr).contains("store_corrupt") && text(&out.stderr).contains("symbolic link"),
        "{}",
        text(&out.stderr)
    );
    assert!(std::fs::read(&victim).unwrap() == before, "the link's target was written through");
    assert!(!std::fs::symlink_metadata(env.db()).unwrap().file_type().is_symlink());
    // The link itself was moved aside, not followed.
    let moved = moved_aside(&env);
    assert!(std::fs::symlink_metadata(env.state_dir().join(&moved[0])).unwrap().file_type().is_symlink());
}

/// Runs `--once` (or `check`) and requires it to finish promptly: a FIFO or
/// a device must never hang the agent.
fn run_bounded(env: &TestEnv, args: &[&str]) -> Output {
    output_within(Command::new(agent_bin()).arg("--config").arg(&env.config).args(args), Duration::from_secs(60))
}

fn mkfifo(p: &Path) {
    assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
}

#[test]
fn fifos_devices_and_huge_files_are_refused_without_hanging() {
    let env = TestEnv::new();
    let fifo = env.path().join("fifo");
    mkfifo(&fifo);
    // The backup status file as a FIFO (no writer) and as /dev/zero.
    for (path, what) in [(fifo.display().to_string(), "a FIFO"), ("/dev/zero".to_string(), "a character device")] {
        env.patch(|v| v["checks"]["backups"] = json!({"status_file": path, "unit": "backup.service"}));
        let out = run_bounded(&env, &["check", "--json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let b = v["checks"].as_array().unwrap().iter().find(|c| c["check"] == "backups").unwrap().clone();
        assert_eq!(b["verdict"], "drift", "{b}");
        assert!(b["detail"].as_str().unwrap().contains(what), "{b}");
    }
    env.patch(|v| {
        v["checks"].as_object_mut().unwrap().remove("backups");
    });
    // The firewall baseline as a FIFO: an error result, promptly.
    let f = fifo.display().to_string();
    env.patch(move |v| v["checks"]["firewall"] = json!({"baseline_file": f, "baseline_sig_file": f}));
    let out = run_bounded(&env, &["check", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fw = v["checks"].as_array().unwrap().iter().find(|c| c["check"] == "firewall").unwrap().clone();
    assert_eq!(fw["verdict"], "error", "{fw}");
    assert!(fw["detail"].as_str().unwrap().contains("a FIFO"), "{fw}");
    env.patch(|v| {
        v["checks"].as_object_mut().unwrap().remove("firewall");
    });
    // The signing key as a FIFO (mode 0600, so the permission check passes)
    // and as a 2 GiB sparse file: configuration errors, at once.
    std::fs::set_permissions(&fifo, std::fs::Permissions::from_mode(0o600)).unwrap();
    let key = env.key.display().to_string();
    let swap = |to: &str| {
        let to = to.to_string();
        env.patch(move |v| v["signing_key_file"] = json!(to));
    };
    swap(&fifo.display().to_string());
    let out = run_bounded(&env, &["--once"]);
    assert_eq!(out.status.code(), Some(78), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("signing_key_file") && text(&out.stderr).contains("a FIFO"),
        "{}",
        text(&out.stderr)
    );
    let huge = env.path().join("huge.key");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len(2 << 30).unwrap();
    std::fs::set_permissions(&huge, std::fs::Permissions::from_mode(0o600)).unwrap();
    swap(&huge.display().to_string());
    let out = run_bounded(&env, &["--once"]);
    assert_eq!(out.status.code(), Some(78), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("larger than"), "{}", text(&out.stderr));
    swap(&key);
    // The CA file as /dev/zero.
    env.patch(|v| v["mcp"]["ca_file"] = json!("/dev/zero"));
    let out = run_bounded(&env, &["--once"]);
    assert_eq!(out.status.code(), Some(78), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("mcp.ca_file") && text(&out.stderr).contains("character device"),
        "{}",
        text(&out.stderr)
    );
}

/// A bash script run in a private mount namespace with `state_dir` on a
/// 4 MiB tmpfs (gone with the namespace).
fn in_small_tmpfs(env: &TestEnv, script: &str) -> Output {
    let fs = env.path().join("fs");
    std::fs::create_dir_all(&fs).unwrap();
    let st = fs.join("state").display().to_string();
    env.patch(move |v| {
        v["state_dir"] = json!(st);
        v["poll_interval_secs"] = json!(1);
        v["jitter_percent"] = json!(0);
    });
    let full = format!("set -u\nmount -t tmpfs -o size=4m tmpfs \"$FS\" || exit 90\n{script}\n",);
    output_within(
        Command::new("unshare")
            .args(["-m", "--propagation", "private", "bash", "-c", &full])
            .env("FS", &fs)
            .env("AGENT", agent_bin())
            .env("CONFIG", &env.config)
            .env("OUT", env.path()),
        Duration::from_secs(120),
    )
}

#[test]
fn a_full_disk_at_start_up_still_detects_heals_and_alerts_and_writes_it_all_when_space_returns() {
    let env = TestEnv::new();
    let unit = env.host.path("units/sshd.service").display().to_string();
    // 1: a normal first run creates the database. 2: the file system is
    // filled, then --once must still run: detect, heal, and say that its
    // evidence could not be stored. 3: the daemon starts on the full disk,
    // heals again, space comes back, and what it kept in memory is written.
    let script = r#"
"$AGENT" --config "$CONFIG" --once 2> "$OUT/run1.log"; echo "run1=$?" > "$OUT/codes"
dd if=/dev/zero of="$FS/fill" bs=4k 2>/dev/null
echo inactive > "$UNIT"
"$AGENT" --config "$CONFIG" --once 2> "$OUT/run2.log"; echo "run2=$?" >> "$OUT/codes"
echo inactive > "$UNIT"
"$AGENT" --config "$CONFIG" run 2> "$OUT/run3.log" &
pid=$!
for i in $(seq 1 300); do grep -q 'flush -> idle' "$OUT/run3.log" && break; sleep 0.1; done
rm -f "$FS/fill"
for i in $(seq 1 300); do grep -q 'disk_full' "$OUT/run3.log" && break; sleep 0.1; done
sleep 1.5
kill -TERM $pid; wait $pid; echo "run3=$?" >> "$OUT/codes"
cp "$FS/state/agent.db" "$OUT/final.db"
"#
    .replace("$UNIT", &unit);
    let out = in_small_tmpfs(&env, &script);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let codes = std::fs::read_to_string(env.path().join("codes")).unwrap();
    let log = |n: u32| std::fs::read_to_string(env.path().join(format!("run{n}.log"))).unwrap();
    assert!(codes.contains("run1=69"), "{codes}\n{}", log(1));
    // Run 2: started, healed, and exited non-zero because its evidence
    // could not be stored; the records are in the log in full.
    let l2 = log(2);
    assert!(!l2.contains("cannot start"), "{l2}");
    assert!(l2.contains("systemctl restart sshd.service (exit 0"), "{l2}");
    assert!(
        l2.lines().any(|l| l.contains("unstored evidence:")
            && l.contains(r#""kind":"remediation","check":"services""#)
            && l.contains(r#""outcome":"success""#)),
        "{l2}"
    );
    assert!(codes.contains("run2=1"), "{codes}");
    // Run 3: healed on the full disk, then wrote everything once space was
    // back, and stopped cleanly.
    assert!(codes.contains("run3=0"), "{codes}\n{}", log(3));
    let chain = bundles(&env.path().join("final.db"));
    let has = |kind: &str, reason: Option<&str>| {
        chain.iter().any(|b| b["kind"] == kind && reason.is_none_or(|r| b["reason"] == r))
    };
    assert!(has("alert", Some("disk_full")), "{chain:#?}");
    assert!(has("remediation", None), "{chain:#?}");
    assert!(has("lifecycle", Some("start")), "{chain:#?}");
    // seq has no gaps.
    for (i, b) in chain.iter().enumerate() {
        assert_eq!(b["seq"], json!(i as u64 + 1));
    }
}

#[test]
fn a_loss_found_on_a_full_disk_is_still_reported_once_space_returns() {
    let env = TestEnv::new();
    // 1: a history. 2: the database is damaged and the disk is full: the
    // new database cannot be built, so the agent cannot start — and must not
    // forget what it found. 3: space returns: the loss is reported.
    let out = in_small_tmpfs(
        &env,
        r#"
"$AGENT" --config "$CONFIG" --once 2> "$OUT/run1.log"; echo "run1=$?" > "$OUT/codes"
"$AGENT" --config "$CONFIG" --once 2>> "$OUT/run1.log"
cp "$FS/state/chain.head" "$OUT/head.before"
rm -f "$FS/state/agent.db-wal" "$FS/state/agent.db-shm"
: > "$FS/state/agent.db"
dd if=/dev/zero of="$FS/fill" bs=4k 2>/dev/null
"$AGENT" --config "$CONFIG" --once 2> "$OUT/run2.log"; echo "run2=$?" >> "$OUT/codes"
rm -f "$FS/fill"
"$AGENT" --config "$CONFIG" --once 2> "$OUT/run3.log"; echo "run3=$?" >> "$OUT/codes"
cp "$FS/state/agent.db" "$OUT/final.db"
"#,
    );
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let codes = std::fs::read_to_string(env.path().join("codes")).unwrap();
    let log = |n: u32| std::fs::read_to_string(env.path().join(format!("run{n}.log"))).unwrap();
    assert!(codes.contains("run1=69"), "{codes}\n{}", log(1));
    assert!(!codes.contains("run2=69"), "started on a full disk with nowhere to put the new chain:\n{}", log(2));
    let l3 = log(3);
    assert!(l3.contains("reason=store_corrupt"), "the loss was forgotten:\n{l3}");
    let head = std::fs::read_to_string(env.path().join("head.before")).unwrap();
    let (seq, sha) = head.trim().split_once(' ').unwrap();
    let chain = bundles(&env.path().join("final.db"));
    assert_eq!(chain[0]["reason"], "store_corrupt");
    assert_eq!(chain[0]["pre_state"]["last_known_seq"], json!(seq.parse::<u64>().unwrap()));
    assert_eq!(chain[0]["pre_state"]["last_known_sha256"], json!(sha));
}

#[test]
fn a_state_directory_deleted_under_the_daemon_ends_it_into_loss_recovery() {
    let server = McpServer::start();
    let env = TestEnv::new();
    env.set_mcp_url(&server.url());
    env.patch(|v| {
        v["poll_interval_secs"] = json!(1);
        v["jitter_percent"] = json!(0);
    });
    let mut daemon = Guard::spawn_logged(Command::new(agent_bin()).arg("--config").arg(&env.config));
    assert!(daemon.wait_log("flush -> idle", Duration::from_secs(30)), "{}", daemon.log());
    let before = server.evidence().len();
    std::fs::remove_dir_all(env.state_dir()).unwrap();
    let status = daemon.wait_within(Duration::from_secs(30), "daemon after its state directory was deleted");
    let log = daemon.log();
    assert_eq!(status.code(), Some(74), "{log}");
    assert!(log.contains("was deleted while the agent had it open"), "{log}");
    // The last alert reached the MCP from the unlinked database.
    let got = server.evidence();
    assert!(got.len() > before);
    assert!(got.iter().any(|r| serde_json::from_slice::<Value>(&r.bundle).unwrap()["reason"] == "store_lost"), "{log}");
    // chain.head is back, so the next start reports the loss.
    assert!(env.state_dir().join("chain.head").exists(), "{log}");
    let out = once(&env);
    assert!(
        text(&out.stderr).contains("reason=store_corrupt") && text(&out.stderr).contains("database file is missing"),
        "{}",
        text(&out.stderr)
    );
}

/// A page damaged while the agent was stopped, the file's metadata left as
/// its clean close recorded them (a silent disk fault): the start reads
/// only the header, schema and chain tip and does not see it; the first
/// cycle 24 hours after the last full check runs quick_check, finds it and
/// stops the agent (store_lost, 74) without recording a clean close; the
/// next start checks the file in full and moves it aside.
#[test]
fn silent_damage_is_found_by_the_daily_check_and_recovered_at_the_next_start() {
    use compliance_agent::agent::Agent;
    use compliance_agent::clock::Clock;
    use compliance_agent::signals::Shutdown;
    use compliance_agent::store::{Store, CLEAN_FILE, DB_FILE, INTEGRITY_INTERVAL_SECS};
    use std::io::{Seek, SeekFrom, Write};
    struct At(i64);
    impl Clock for At {
        fn now_ms(&self) -> i64 {
            self.0
        }
    }
    let env = TestEnv::new();
    let state = env.state_dir();
    {
        let store = Store::open_in(&state).unwrap();
        let w = support::env::test_writer(compliance_agent::checks::CheckName::ALL.to_vec());
        for i in 0..400 {
            let mut r = compliance_agent::evidence::Record::new(
                compliance_agent::evidence::Kind::Cycle,
                compliance_agent::evidence::Outcome::Success,
                1_795_305_600_000 + i,
            );
            r.detail = Some("x".repeat(2000));
            w.append(&store, &r, None, 1_795_305_600_000 + i).unwrap();
        }
        store.sync_head();
        store.close();
    }
    assert!(state.join(CLEAN_FILE).exists());
    let db = state.join(DB_FILE);
    let pages = std::fs::metadata(&db).unwrap().len() / 4096;
    assert!(pages > 200, "{pages}");
    let mut f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    f.seek(SeekFrom::Start(pages / 2 * 4096)).unwrap();
    f.write_all(&[0xA5; 4096]).unwrap();
    f.sync_all().unwrap();
    drop(f);
    let checked = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    compliance_agent::store::vouch_for_tests(&state, checked).unwrap();

    let (store, recovery) = Store::open_or_recover(&state).unwrap();
    assert!(recovery.is_none(), "the start was to skip quick_check: {recovery:?}");
    let config = compliance_agent::config::Config::load(&env.config).unwrap();
    let key = compliance_agent::keys::SigningKey::from_seed(support::env::EVIDENCE_SEED);
    let shutdown = Shutdown::install().unwrap();
    let clock = |secs: i64| Box::new(At(secs * 1000));
    let mcp = compliance_agent::mcp::McpClient::new(&config.mcp, "clinic-042", "appl-01").unwrap();
    // An hour after the last full check: not due, the cycle runs.
    let mut agent = Agent::with_parts(
        config.clone(),
        key.clone(),
        compliance_agent::notify::Notifier::disabled(),
        store,
        Box::new(mcp),
        clock(checked + 3600),
    );
    let report = agent.cycle(&shutdown);
    assert!(report.store_lost.is_none(), "{:?}", report.store_lost);
    agent.close();
    // The agent closed it cleanly, but the damage is still there: vouch
    // again as a silent fault would, and come back a day later.
    compliance_agent::store::vouch_for_tests(&state, checked).unwrap();
    let (store, recovery) = Store::open_or_recover(&state).unwrap();
    assert!(recovery.is_none(), "{recovery:?}");
    let mcp = compliance_agent::mcp::McpClient::new(&config.mcp, "clinic-042", "appl-01").unwrap();
    let mut agent = Agent::with_parts(
        config,
        key,
        compliance_agent::notify::Notifier::disabled(),
        store,
        Box::new(mcp),
        clock(checked + INTEGRITY_INTERVAL_SECS),
    );
    let report = agent.cycle(&shutdown);
    let why = report.store_lost.clone().expect("the daily check finds the damage");
    assert!(why.contains("the database is damaged"), "{why}");
    assert_eq!(report.exit_code(), 74);
    agent.close();
    assert!(!state.join(CLEAN_FILE).exists(), "no clean close is recorded for a damaged file");
    let (_store, recovery) = Store::open_or_recover(&state).unwrap();
    let r = recovery.expect("the next start checks in full and moves the database aside");
    assert!(r.error.contains("quick_check") || r.error.contains("malformed"), "{}", r.error);
    assert!(r.moved_to.is_some());
}
