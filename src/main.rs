//! The `compliance-agent` binary: parses the command line and hands over to
//! the library. Exit statuses: `compliance_agent::EXIT_CODES`.
#![forbid(unsafe_code)]

use compliance_agent::agent::Agent;
use compliance_agent::cli::{self, Command, EvidenceSource};
use compliance_agent::config::Config;
use compliance_agent::keys::{self, SigningKey};
use compliance_agent::notify::Notifier;
use compliance_agent::signals::Shutdown;
use compliance_agent::status::Overview;
use compliance_agent::{
    build_info, logging, out, outln, store, EXIT_CONFIG, EXIT_DATAERR, EXIT_DRIFT, EXIT_IOERR, EXIT_NOINPUT,
    EXIT_NOPERM, EXIT_OK, EXIT_USAGE,
};
use std::path::Path;

fn main() {
    // Internal: the firewall check runs the agent itself inside a scratch
    // network namespace to learn how the kernel lists the baseline.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("__nft-canonical") {
        let code = match &args[2..] {
            [flag, netns, nft, baseline] if flag == "--not-netns" => {
                compliance_agent::checks::firewall::canonical_main(netns, Path::new(nft), Path::new(baseline))
            }
            _ => EXIT_USAGE,
        };
        std::process::exit(code);
    }
    let code = match cli::parse(std::env::args_os().skip(1)) {
        Err(e) => {
            eprintln!("compliance-agent: {e}\n\n{}", cli::help());
            EXIT_USAGE
        }
        Ok(Command::Help) => {
            out!("{}", cli::help());
            EXIT_OK
        }
        Ok(Command::Version) => {
            outln!("compliance-agent {}", build_info().version_line());
            EXIT_OK
        }
        Ok(Command::Keygen { out, rotate }) => keygen(&out, rotate),
        Ok(Command::Pubkey { key }) => pubkey(&key),
        Ok(Command::Run { config }) => agent(&config, None),
        Ok(Command::Once { config, json }) => agent(&config, Some(json)),
        Ok(Command::Status { config, json }) => status(&config, json),
        Ok(Command::Check { config, json }) => check(&config, json),
        Ok(Command::Plan { config, json }) => plan(&config, json),
        Ok(Command::ConfigCheck { config, offline, json }) => config_check(&config, offline, json),
        Ok(Command::EvidenceExport { db, dir, key, since, until }) => export(&db, &dir, key.as_deref(), since, until),
        Ok(Command::EvidenceVerify { source, pubkeys }) => verify(&source, &pubkeys),
        Ok(Command::EvidenceReport { source, pubkeys, period, max_gap_secs, out, json }) => {
            evidence_report(&source, &pubkeys, period, max_gap_secs, out.as_deref(), json)
        }
        Ok(Command::EvidenceOscal { db, pubkeys, period, max_gap_secs, out }) => {
            evidence_oscal(&db, &pubkeys, period, max_gap_secs, &out)
        }
    };
    std::process::exit(code);
}

/// Loads the configuration, or prints every error in it, one line each,
/// and returns the exit status.
fn load_config(config_path: &Path) -> Result<Config, i32> {
    if let Some(code) = input_problem(config_path, "configuration file") {
        return Err(code);
    }
    Config::load(config_path).map_err(|errors| {
        for e in &errors {
            eprintln!("compliance-agent: configuration error: {e}");
        }
        EXIT_CONFIG
    })
}

/// `check`: the enabled checks once, nothing changed, no network.
fn check(config_path: &Path, json: bool) -> i32 {
    use compliance_agent::checks::{self, Env, NoState, StateRead, Verdict};
    let config = match load_config(config_path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    logging::init(compliance_agent::config::LogTarget::Stderr, log::LevelFilter::Warn);
    let db = config.state_dir.join(store::DB_FILE);
    let store = if db.exists() { store::Store::open_to_look(&db).ok() } else { None };
    let state: &dyn StateRead = match &store {
        Some(s) => s,
        None => &NoState,
    };
    let runner = compliance_agent::exec::SystemRunner::new(compliance_agent::exec::NoHeartbeat);
    let clock = compliance_agent::clock::SystemClock;
    let env = Env { config: &config, runner: &runner, clock: &clock, state };
    let results: Vec<checks::CheckResult> =
        checks::enabled(&config).into_iter().map(|c| checks::run(c, &env)).collect();
    let compliant = results.iter().all(|r| r.verdict == Verdict::Compliant);
    if json {
        let out = serde_json::json!({
            "compliant": compliant,
            "checks": results.iter().map(|r| {
                let mut v = r.summary();
                v["check"] = serde_json::json!(r.check);
                v["expected"] = r.expected.clone();
                v["commands"] = serde_json::json!(r.commands);
                v
            }).collect::<Vec<_>>(),
        });
        outln!("{out}");
    } else {
        outln!("{:<12} {:<10} {:>8}  DETAIL", "CHECK", "RESULT", "MS");
        for r in &results {
            let verdict = match r.verdict {
                Verdict::Compliant => "ok",
                Verdict::Drift => "DRIFT",
                Verdict::Error => "ERROR",
            };
            outln!("{:<12} {:<10} {:>8}  {}", r.check.as_str(), verdict, r.duration_ms, r.detail);
        }
        outln!("{}", if compliant { "compliant" } else { "NOT compliant" });
    }
    if compliant {
        EXIT_OK
    } else {
        EXIT_DRIFT
    }
}

/// `config check`: is everything usable; nothing is changed.
fn config_check(config_path: &Path, offline: bool, json: bool) -> i32 {
    let config = match load_config(config_path) {
        Ok(c) => c,
        Err(code) => {
            if json {
                outln!("{}", serde_json::json!({"usable": false, "exit_code": code}));
            }
            return code;
        }
    };
    logging::init(compliance_agent::config::LogTarget::Stderr, log::LevelFilter::Error);
    let now = compliance_agent::clock::Clock::now(&compliance_agent::clock::SystemClock);
    let report = compliance_agent::preflight::check(&config, !offline, now);
    if json {
        outln!("{}", report.to_json());
    } else {
        out!("{}", report.to_text());
    }
    report.exit_code()
}

/// `plan`: Poll and Detect, and what Heal would do; nothing is changed.
fn plan(config_path: &Path, json: bool) -> i32 {
    let config = match load_config(config_path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    logging::init(compliance_agent::config::LogTarget::Stderr, log::LevelFilter::Warn);
    let mcp =
        match compliance_agent::mcp::McpClient::new(&config.mcp, config.site_id.as_str(), config.appliance_id.as_str())
        {
            Ok(m) => m,
            Err(e) => {
                eprintln!(
                    "compliance-agent: configuration error: {}: {}: {}",
                    config.source.display(),
                    e.key,
                    e.message
                );
                return EXIT_CONFIG;
            }
        };
    let db = config.state_dir.join(store::DB_FILE);
    let store = if db.exists() { store::Store::open_to_look(&db).ok() } else { None };
    let runner = compliance_agent::exec::SystemRunner::new(compliance_agent::exec::NoHeartbeat);
    let clock = compliance_agent::clock::SystemClock;
    let p = compliance_agent::agent::plan::plan(&config, store.as_ref(), &mcp, &runner, &clock);
    if json {
        outln!("{}", p.to_json());
    } else {
        out!("{}", p.to_text(&config));
    }
    p.exit_code()
}

/// `status`: the last cycle, the daemon, delivery, certificates and alerts;
/// exits by the verdict (`status` module docs). With `--json`, stdout is
/// always one JSON object, errors included.
fn status(config_path: &Path, json: bool) -> i32 {
    use compliance_agent::clock::Clock;
    let config = match load_config(config_path) {
        Ok(c) => c,
        Err(code) => {
            if json {
                outln!("{}", serde_json::json!({"state": "error", "exit_code": code, "error": "configuration error"}));
            }
            return code;
        }
    };
    let now_ms = compliance_agent::clock::SystemClock.now_ms();
    match Overview::gather(&config, now_ms) {
        Ok(o) => {
            if json {
                outln!("{}", o.to_json());
            } else {
                out!("{}", o.to_text());
            }
            o.verdict().state.exit_code()
        }
        Err(e) => {
            let code = e.exit_code();
            if json {
                outln!("{}", serde_json::json!({"state": "error", "exit_code": code, "error": e.to_string()}));
            } else {
                eprintln!("compliance-agent: status: {e}");
            }
            code
        }
    }
}

fn export(db: &Path, dir: &Path, key: Option<&Path>, since: Option<i64>, until: Option<i64>) -> i32 {
    use compliance_agent::evidence::verify::{export_with, ExportOptions, MANIFEST_FILE};
    if let Some(code) = input_problem(db, "database").or_else(|| key.and_then(|k| input_problem(k, "key file"))) {
        return code;
    }
    let key = match key.map(SigningKey::load).transpose() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("compliance-agent: evidence export: {e}");
            return EXIT_USAGE;
        }
    };
    if key.is_none() {
        eprintln!(
            "compliance-agent: evidence export: no --key: no signed {MANIFEST_FILE} is written, and `evidence verify` will report that removed bundles at the end cannot be detected"
        );
    }
    let opts = ExportOptions {
        period: compliance_agent::evidence::period::Period { since_ms: since, until_ms: until },
        key,
        now_ms: compliance_agent::clock::Clock::now_ms(&compliance_agent::clock::SystemClock),
    };
    match export_with(db, dir, &opts) {
        Ok(e) => {
            let manifest = if e.manifest { format!(" and a signed {MANIFEST_FILE}") } else { String::new() };
            outln!("exported {} bundles (seq {}..={}){manifest} to {}", e.bundles, e.range.0, e.range.1, dir.display());
            EXIT_OK
        }
        Err(e) => {
            eprintln!("compliance-agent: evidence export: {e}");
            EXIT_IOERR
        }
    }
}

fn verify(source: &EvidenceSource, pubkeys: &[std::path::PathBuf]) -> i32 {
    let input = match source {
        EvidenceSource::Db(db) => input_problem(db, "database"),
        EvidenceSource::Dir(dir) => input_problem(dir, "evidence directory"),
    };
    if let Some(code) = input.or_else(|| pubkeys.iter().find_map(|p| input_problem(p, "public key file"))) {
        return code;
    }
    let mut keys = Vec::new();
    for pubkey in pubkeys {
        match compliance_agent::fsutil::read_text_capped(pubkey, 64 * 1024, compliance_agent::fsutil::Follow::Symlinks)
            .map_err(|e| e.to_string())
            .and_then(|t| keys::parse_public_key_pem(&t))
        {
            Ok(k) => keys.push(k),
            Err(e) => {
                eprintln!("compliance-agent: evidence verify: {}: {e}", pubkey.display());
                return EXIT_USAGE;
            }
        }
    }
    let result = match source {
        EvidenceSource::Db(db) => compliance_agent::evidence::verify::verify_db_keys(db, keys),
        EvidenceSource::Dir(dir) => compliance_agent::evidence::verify::verify_dir_keys(dir, keys),
    };
    match result {
        Err(e) => {
            eprintln!("compliance-agent: evidence verify: {e}");
            EXIT_DATAERR
        }
        Ok(v) => {
            for p in &v.problems {
                outln!("FAIL {p}");
            }
            let range = v.range.map(|(a, b)| format!("seq {a}..={b}")).unwrap_or_else(|| "no bundles".into());
            let code = if v.ok() {
                outln!("OK {} bundles ({range}): every signature verifies and the chain is intact", v.checked);
                EXIT_OK
            } else {
                outln!("FAILED {} problems in {} bundles ({range})", v.problems.len(), v.checked);
                EXIT_DATAERR
            };
            for line in v.describe() {
                outln!("  {line}");
            }
            code
        }
    }
}

fn keygen(out: &Path, rotate: bool) -> i32 {
    if rotate {
        return match keys::rotate(out) {
            Ok((old, new)) => {
                outln!(
                    "rotated {}: the old key is kept as {} until the agent records the rotation at its next start",
                    out.display(),
                    keys::old_key_path(out).display()
                );
                outln!("old fingerprint {}", keys::fingerprint(&old));
                outln!("new fingerprint {}", keys::fingerprint(&new));
                EXIT_OK
            }
            Err(e) => {
                eprintln!("compliance-agent: keygen --rotate: {e}");
                EXIT_DRIFT
            }
        };
    }
    match keys::keygen(out) {
        Ok(public) => {
            outln!("wrote {} (mode 0600) and {}", out.display(), public.display());
            match keys::SigningKey::load(out) {
                Ok(k) => outln!("fingerprint {}", keys::fingerprint(&k.public())),
                Err(e) => eprintln!("compliance-agent: keygen: {e}"),
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!("compliance-agent: keygen: {e}");
            EXIT_DRIFT
        }
    }
}

/// `pubkey`: the public half of a key file, as PEM (for OpenSSL and
/// `evidence verify`), as raw base64 (the form `order_keys` and
/// `receipt_keys` take) and its fingerprint.
fn pubkey(key: &Path) -> i32 {
    if let Some(code) = input_problem(key, "key file") {
        return code;
    }
    match keys::public_of(key) {
        Ok(pk) => {
            out!("{}", keys::public_key_pem(&pk));
            outln!("public_key {}", compliance_agent::encoding::base64_encode(pk.as_ref()));
            outln!("fingerprint {}", keys::fingerprint(&pk));
            EXIT_OK
        }
        Err(e) => {
            eprintln!("compliance-agent: pubkey: {e}");
            EXIT_DATAERR
        }
    }
}

/// Where a command-line input path cannot be used: missing (66) or not
/// readable by this process (77). None when it can be opened.
fn input_problem(path: &Path, what: &str) -> Option<i32> {
    match std::fs::metadata(path) {
        Ok(_) => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("compliance-agent: {}: no such {what}", path.display());
            Some(EXIT_NOINPUT)
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            eprintln!("compliance-agent: {}: {e}; run as root", path.display());
            Some(EXIT_NOPERM)
        }
        Err(_) => None,
    }
}

/// Loads everything the loop needs and runs it: the daemon (`once` None)
/// or one cycle (`once` Some(json): the closing summary as JSON). Start-up
/// failures exit with their own codes (see `EXIT_CODES`).
fn agent(config_path: &Path, once: Option<bool>) -> i32 {
    let config = match load_config(config_path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    logging::init(config.log.target, config.log.level);
    let key = match SigningKey::load(&config.signing_key_file) {
        Ok(k) => k,
        Err(e) => {
            let denied = matches!(&e, keys::KeyError::Io(_, io) if io.kind() == std::io::ErrorKind::PermissionDenied);
            // Once per sink: the logger prints to a terminal (and to syslog
            // when configured), or logs only (journald captures stderr).
            if denied {
                log::error!(
                    "permission denied: {}: signing_key_file: {e}; run the agent as root",
                    config.source.display()
                );
                return EXIT_NOPERM;
            }
            log::error!("configuration error: {}: signing_key_file: {e}", config.source.display());
            return EXIT_CONFIG;
        }
    };
    let notifier = if once.is_some() {
        Notifier::disabled()
    } else {
        Notifier::from_env().unwrap_or_else(|e| {
            log::warn!("NOTIFY_SOCKET unusable ({e}); running without systemd notification");
            Notifier::disabled()
        })
    };
    let shutdown = match Shutdown::install() {
        Ok(s) => s,
        Err(e) => {
            log::error!("cannot install signal handlers: {e}");
            return EXIT_IOERR;
        }
    };
    let mut agent = match Agent::new(config, key, notifier) {
        Ok(a) => a,
        Err(e) => {
            let code = e.exit_code();
            log::error!("cannot start: {}: {e}", config_path.display());
            return code;
        }
    };
    if let Some(json) = once {
        let report = agent.cycle(&shutdown);
        agent.log_unwritten();
        // What a person running it by hand needs: one line (logs may be
        // going to syslog).
        if json {
            outln!("{}", report.to_json());
        } else {
            outln!("{}", report.summary());
        }
        agent.close();
        report.exit_code()
    } else {
        let code = agent.run(&shutdown);
        agent.close();
        code
    }
}

// ---- evidence report and the OSCAL export (docs/report.md) -----------------

fn evidence_report(
    source: &EvidenceSource,
    pubkeys: &[std::path::PathBuf],
    period: cli::Period,
    max_gap_secs: Option<u64>,
    out: Option<&Path>,
    json: bool,
) -> i32 {
    use compliance_agent::evidence::{report_cli, verified::Source};
    let (src, input) = match source {
        EvidenceSource::Db(db) => (Source::Db(db.clone()), input_problem(db, "database")),
        EvidenceSource::Dir(dir) => (Source::Dir(dir.clone()), input_problem(dir, "evidence directory")),
    };
    if let Some(code) = input.or_else(|| pubkeys.iter().find_map(|p| input_problem(p, "public key file"))) {
        return code;
    }
    report_cli::report(&src, pubkeys, period, max_gap_secs, out, json)
}

fn evidence_oscal(
    db: &Path,
    pubkeys: &[std::path::PathBuf],
    period: cli::Period,
    max_gap_secs: Option<u64>,
    out: &Path,
) -> i32 {
    use compliance_agent::evidence::{report_cli, verified::Source};
    if let Some(code) =
        input_problem(db, "database").or_else(|| pubkeys.iter().find_map(|p| input_problem(p, "public key file")))
    {
        return code;
    }
    report_cli::oscal(&Source::Db(db.to_path_buf()), pubkeys, period, max_gap_secs, out)
}
