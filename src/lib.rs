//! compliance-agent: a hardened agent for HIPAA compliance appliances.
//!
//! See `docs/architecture.md` for the state machine and the module map.
//! `unsafe` is denied crate-wide and allowed only in [`sys`], where every
//! block carries a SAFETY note.
#![deny(unsafe_code)]

pub mod agent;
pub mod build_id;
pub mod checks;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crashpoint;
pub mod encoding;
pub mod evidence;
pub mod exec;
pub mod fsutil;
pub mod fuzzing;
pub mod heal;
pub mod keys;
pub mod logging;
pub mod mcp;
pub mod nftscript;
pub mod notify;
pub mod orders;
pub mod preflight;
pub mod rand;
pub mod signals;
pub mod status;
pub mod stdout;
pub mod store;
pub mod sys;
pub mod validate;
pub mod window;
pub mod x509;

/// Exit status: compliant (or healed), and the cycle's evidence delivered.
pub const EXIT_OK: i32 = 0;
/// Exit status: drift remains or an action failed.
pub const EXIT_DRIFT: i32 = 1;
/// Exit status: usage error.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: evidence verification failed — tampered or broken evidence
/// (sysexits EX_DATAERR).
pub const EXIT_DATAERR: i32 = 65;
/// Exit status: an input named on the command line does not exist (the
/// configuration file, an evidence directory, a database; `status` before
/// any cycle ran) (sysexits EX_NOINPUT).
pub const EXIT_NOINPUT: i32 = 66;
/// Exit status: compliant, but the MCP could not be reached or the cycle's
/// evidence is not delivered (a wrong CA, a refused connection, a DNS
/// failure); `status`: the last cycle is stale or undelivered (sysexits
/// EX_UNAVAILABLE).
pub const EXIT_UNAVAILABLE: i32 = 69;
/// Exit status: an I/O error (sysexits EX_IOERR): the state database was
/// deleted or replaced under the running agent (the next start recovers),
/// or standard output could not be written.
pub const EXIT_IOERR: i32 = 74;
/// Exit status: another agent holds the state directory's lock; try again
/// when it is done (sysexits EX_TEMPFAIL).
pub const EXIT_TEMPFAIL: i32 = 75;
/// Exit status: permission denied (not run as the agent's user, e.g. not
/// root) (sysexits EX_NOPERM).
pub const EXIT_NOPERM: i32 = 77;
/// Exit status: configuration error (sysexits EX_CONFIG).
pub const EXIT_CONFIG: i32 = 78;

/// The exit status table, for `--help`, the man page and the README (a test
/// keeps them equal): code and meaning.
pub const EXIT_CODES: [(i32, &str); 11] = [
    (EXIT_OK, "compliant (or healed) and the cycle's evidence delivered"),
    (EXIT_DRIFT, "drift remains, an action failed, or evidence could not be stored (disk full)"),
    (EXIT_USAGE, "usage error"),
    (EXIT_DATAERR, "evidence verification failed (tampered or broken evidence)"),
    (EXIT_NOINPUT, "an input path is missing (config file, evidence, database; status before any cycle)"),
    (EXIT_UNAVAILABLE, "compliant, but the MCP was not reached or evidence is not delivered; status: last cycle stale"),
    (EXIT_IOERR, "I/O error: the state database cannot be opened or vanished under the agent, or stdout unwritable"),
    (EXIT_TEMPFAIL, "another agent holds the state directory's lock"),
    (EXIT_NOPERM, "permission denied (run as the agent's user, root)"),
    (EXIT_CONFIG, "configuration error (config, keys, certificates, tools, state_dir)"),
    (141, "killed by SIGPIPE: stdout was closed (`| head`), as coreutils"),
];

pub use build_id::{build_info, build_info_in, BuildInfo, BUILD_ID_CACHE};
