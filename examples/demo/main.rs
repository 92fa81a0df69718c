//! demo: the whole loop on one machine, DEV ONLY (demo/README.md).
//!
//! ```text
//! cargo run --release --offline --example demo [-- --port 8080] [--keep]
//! cargo run --release --offline --example demo -- --scenario all
//! ```
//!
//! Generates throw-away keys and certificates (openssl), starts the MCP
//! stub (examples/mcp-stub.rs) over mutual TLS, prepares a simulated
//! appliance (tests/support/simhost.rs: the tools' state in a temp dir),
//! starts the real agent daemon against them with a `NOTIFY_SOCKET` this
//! program reads, and serves a scenario page on 127.0.0.1. `--scenario
//! NAME|all` runs scenarios headless instead and exits 0 only if each
//! behaved. Ctrl-C stops everything and removes the temp state unless
//! `--keep`.

#![forbid(unsafe_code)]

#[path = "../../tests/support/dns.rs"]
#[allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
mod dns;
#[path = "../../tests/support/notify.rs"]
#[allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
mod notify;
#[path = "../../tests/support/simhost.rs"]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod simhost;
#[path = "../mcp-stub.rs"]
#[allow(dead_code)]
mod stub;

mod appliance;
mod mcp;
mod scenarios;
mod web;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

type Result<T> = std::result::Result<T, String>;

const USAGE: &str = "usage: demo [--port N] [--keep] [--poll-secs N] [--agent PATH] [--scenario NAME|all]
  --port N        first port to try for the page (default 8080; the next free one is taken)
  --keep          keep the temp state (keys, config, database, simulated host) at exit
  --poll-secs N   the agent's poll interval (default 5)
  --agent PATH    the agent binary (default: built by cargo next to this example)
  --scenario X    run scenario X (or all of them) headless and exit: 0 if each behaved
scenarios: ";

#[derive(Debug)]
struct Args {
    pub port: u16,
    pub keep: bool,
    pub poll_secs: u64,
    pub agent: Option<PathBuf>,
    pub scenario: Option<String>,
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("demo: {e}");
            ExitCode::from(1)
        }
    }
}

fn parse_args() -> Result<Args> {
    let mut args = Args { port: 8080, keep: false, poll_secs: 5, agent: None, scenario: None };
    let mut argv = std::env::args().skip(1);
    let usage = || format!("{USAGE}{}", scenarios::names().join(", "));
    while let Some(flag) = argv.next() {
        let mut value = |name: &str| argv.next().ok_or_else(|| format!("{name} needs a value\n{}", usage()));
        match flag.as_str() {
            "--help" | "-h" => {
                println!("{}", usage());
                std::process::exit(0);
            }
            "--keep" => args.keep = true,
            "--port" => args.port = value("--port")?.parse().map_err(|e| format!("--port: {e}"))?,
            "--poll-secs" => {
                args.poll_secs = value("--poll-secs")?.parse().map_err(|e| format!("--poll-secs: {e}"))?;
                if args.poll_secs == 0 {
                    return Err("--poll-secs must be at least 1".into());
                }
            }
            "--agent" => args.agent = Some(PathBuf::from(value("--agent")?)),
            "--scenario" => {
                let name = value("--scenario")?;
                if name != "all" && !scenarios::names().contains(&name.as_str()) {
                    return Err(format!("no scenario {name:?}\n{}", usage()));
                }
                args.scenario = Some(name);
            }
            _ => return Err(format!("unknown option {flag}\n{}", usage())),
        }
    }
    Ok(args)
}

fn run() -> Result<ExitCode> {
    let args = parse_args()?;
    if args.keep {
        // simhost's temp dirs read this at drop (single-threaded here).
        std::env::set_var("KEEP_SIMHOST", "1");
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop)).map_err(|e| format!("signal handler: {e}"))?;
    }
    let agent = appliance::agent_binary(args.agent.as_deref())?;
    println!("demo: DEV ONLY — NOT FOR PRODUCTION. Throw-away keys, a simulated appliance, the real agent.");
    let demo = appliance::Demo::start(&agent, args.poll_secs)?;
    let code = match &args.scenario {
        Some(which) => {
            let names: Vec<&str> = if which == "all" { scenarios::names() } else { vec![scenarios::names_find(which)] };
            let ok = scenarios::run_headless(&demo, &names, &stop);
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        None => {
            let server = web::Web::start(&demo, args.port)?;
            println!("demo: open http://{}/ (Ctrl-C stops everything)", server.addr());
            println!("demo: the state is in {} and {}", demo.dir().display(), demo.host.root().display());
            scenarios::serve_requests(&demo, &server, &stop);
            ExitCode::SUCCESS
        }
    };
    println!("demo: stopping");
    demo.stop();
    if args.keep {
        println!("demo: kept {} and {}", demo.dir().display(), demo.host.root().display());
    }
    drop(demo);
    std::thread::sleep(Duration::from_millis(10));
    let _ = stop.load(Ordering::SeqCst);
    Ok(code)
}
