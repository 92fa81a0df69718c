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
        Ok(Command::Keygen { out }) => keygen(&out),
        Ok(Command::Run { config }) => agent(&config, None),
        Ok(Command::Once { config, json }) => agent(&config, Some(json)),
        Ok(Command::Status { config, json }) => status(&config, json),
        Ok(Command::Check { config, json }) => check(&config, json),
        Ok(Command::Plan { config, json }) => plan(&config, json),
        Ok(Command::ConfigCheck { config, offline, json }) => config_check(&config, offline, json),
        Ok(Command::EvidenceExport { db, dir }) => export(&db, &dir),
        Ok(Command::EvidenceVerify { source, pubkey }) => verify(&source, &pubkey),
        Ok(Command::EvidenceReport { source, pubkey, period, max_gap_secs, out, json }) => {
            evidence_report(&source, &pubkey, period, max_gap_secs, out.as_deref(), json)
        }
        Ok(Command::EvidenceOscal { db, pubkey, period, max_gap_secs, out }) => {
            evidence_oscal(&db, &pubkey, period, max_gap_secs, &out)
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
    let store = if db.exists() { store::Store::open_read_only(&db).ok() } else { None };
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
    let store = if db.exists() { store::Store::open_read_only(&db).ok() } else { None };
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

fn export(db: &Path, dir: &Path) -> i32 {
    if let Some(code) = input_problem(db, "database") {
        return code;
    }
    match compliance_agent::evidence::verify::export(db, dir) {
        Ok(n) => {
            outln!("exported {n} bundles to {}", dir.display());
            EXIT_OK
        }
        Err(e) => {
            eprintln!("compliance-agent: evidence export: {e}");
            EXIT_IOERR
        }
    }
}

fn verify(source: &EvidenceSource, pubkey: &Path) -> i32 {
    let input = match source {
        EvidenceSource::Db(db) => input_problem(db, "database"),
        EvidenceSource::Dir(dir) => input_problem(dir, "evidence directory"),
    };
    if let Some(code) = input.or_else(|| input_problem(pubkey, "public key file")) {
        return code;
    }
    let key =
        match compliance_agent::fsutil::read_text_capped(pubkey, 64 * 1024, compliance_agent::fsutil::Follow::Symlinks)
            .map_err(|e| e.to_string())
            .and_then(|t| keys::parse_public_key_pem(&t))
        {
            Ok(k) => k,
            Err(e) => {
                eprintln!("compliance-agent: evidence verify: {}: {e}", pubkey.display());
                return EXIT_USAGE;
            }
        };
    let result = match source {
        EvidenceSource::Db(db) => compliance_agent::evidence::verify::verify_db(db, key),
        EvidenceSource::Dir(dir) => compliance_agent::evidence::verify::verify_dir(dir, key),
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
            if v.ok() {
                outln!("OK {} bundles ({range}): every signature verifies and the chain is intact", v.checked);
                EXIT_OK
            } else {
                outln!("FAILED {} problems in {} bundles ({range})", v.problems.len(), v.checked);
                EXIT_DATAERR
            }
        }
    }
}

fn keygen(out: &Path) -> i32 {
    match keys::keygen(out) {
        Ok(public) => {
            outln!("wrote {} (mode 0600) and {}", out.display(), public.display());
            EXIT_OK
        }
        Err(e) => {
            eprintln!("compliance-agent: keygen: {e}");
            EXIT_DRIFT
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
        report.exit_code()
    } else {
        agent.run(&shutdown)
    }
}

// ---- evidence report and the OSCAL export (docs/report.md) -----------------

/// Builds the report of a verified chain, or refuses (65) one that does
/// not verify, printing every problem as `evidence verify` does.
fn build_report(
    source: &EvidenceSource,
    pubkey: &Path,
    period: cli::Period,
    max_gap_secs: Option<u64>,
    what: &str,
) -> Result<compliance_agent::evidence::report::Report, i32> {
    use compliance_agent::clock::Clock;
    use compliance_agent::evidence::{report, verified};
    let (src, input) = match source {
        EvidenceSource::Db(db) => (verified::Source::Db(db.clone()), input_problem(db, "database")),
        EvidenceSource::Dir(dir) => (verified::Source::Dir(dir.clone()), input_problem(dir, "evidence directory")),
    };
    if let Some(code) = input.or_else(|| input_problem(pubkey, "public key file")) {
        return Err(code);
    }
    let key =
        match compliance_agent::fsutil::read_text_capped(pubkey, 64 * 1024, compliance_agent::fsutil::Follow::Symlinks)
            .map_err(|e| e.to_string())
            .and_then(|t| keys::parse_public_key_pem(&t))
        {
            Ok(k) => k,
            Err(e) => {
                eprintln!("compliance-agent: {what}: {}: {e}", pubkey.display());
                return Err(EXIT_USAGE);
            }
        };
    let max_gap_secs = max_gap_secs.unwrap_or(report::DEFAULT_MAX_GAP_SECS);
    let mut builder = report::Builder::new(report::Options {
        since_ms: period.since_ms,
        until_ms: period.until_ms,
        max_gap_ms: i64::try_from(max_gap_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
    });
    match verified::read(&src, key, |b| builder.push(&b)) {
        Ok(chain) => Ok(builder.finish(&chain, compliance_agent::clock::SystemClock.now_ms())),
        Err(verified::ReadError::NotVerified(problems)) => {
            for p in &problems {
                eprintln!("FAIL {p}");
            }
            eprintln!(
                "compliance-agent: {what}: refusing to report on {}: the chain does not verify ({} problems above)",
                src.describe(),
                problems.len()
            );
            Err(EXIT_DATAERR)
        }
        Err(verified::ReadError::Io(e)) => {
            eprintln!("compliance-agent: {what}: {e}");
            Err(EXIT_DATAERR)
        }
    }
}

fn evidence_report(
    source: &EvidenceSource,
    pubkey: &Path,
    period: cli::Period,
    max_gap_secs: Option<u64>,
    out: Option<&Path>,
    json: bool,
) -> i32 {
    let r = match build_report(source, pubkey, period, max_gap_secs, "evidence report") {
        Ok(r) => r,
        Err(code) => return code,
    };
    if let Some(path) = out {
        let html = compliance_agent::evidence::report_html::render(&r);
        if let Err(e) = compliance_agent::fsutil::write_atomic(path, html.as_bytes(), 0o644) {
            eprintln!("compliance-agent: evidence report: {}: {e}", path.display());
            return EXIT_IOERR;
        }
    }
    if json {
        outln!("{}", r.to_json());
    } else if let Some(path) = out {
        outln!(
            "wrote {}: {} bundles from {} to {} (chain seq {}..={} verified, key {})",
            path.display(),
            r.period.bundles,
            r.period.since,
            r.period.until,
            r.built_from.seq_first,
            r.built_from.seq_last,
            r.built_from.key_fingerprint
        );
    }
    EXIT_OK
}

fn evidence_oscal(db: &Path, pubkey: &Path, period: cli::Period, max_gap_secs: Option<u64>, out: &Path) -> i32 {
    let source = EvidenceSource::Db(db.to_path_buf());
    let r = match build_report(&source, pubkey, period, max_gap_secs, "evidence export") {
        Ok(r) => r,
        Err(code) => return code,
    };
    let doc = compliance_agent::evidence::oscal::document(&r);
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
    if let Err(e) = compliance_agent::fsutil::write_atomic(out, text.as_bytes(), 0o644) {
        eprintln!("compliance-agent: evidence export: {}: {e}", out.display());
        return EXIT_IOERR;
    }
    outln!(
        "wrote {}: OSCAL assessment results, {} bundles from {} to {} (chain seq {}..={} verified, key {})",
        out.display(),
        r.period.bundles,
        r.period.since,
        r.period.until,
        r.built_from.seq_first,
        r.built_from.seq_last,
        r.built_from.key_fingerprint
    );
    EXIT_OK
}
