//! The one way the command line writes to standard output.
//!
//! Rust ignores SIGPIPE, so `compliance-agent --help | true` or
//! `check --json | head -1` see EPIPE on their next write, and `println!`
//! turns that into a panic. A closed stdout is not an error of ours: the
//! reader has what it wanted. [`print`] ends the program quietly then, by
//! SIGPIPE, exactly as coreutils do. Any other write error (a full disk
//! behind a redirect) is reported on stderr and exits
//! [`crate::EXIT_IOERR`].

use std::io::Write;

/// Writes `args` to stdout and flushes. See the module docs.
pub fn print(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            crate::sys::die_of_sigpipe();
        }
        eprintln!("compliance-agent: cannot write to standard output: {e}");
        std::process::exit(crate::EXIT_IOERR);
    }
}

/// `print!` through [`print`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::stdout::print(format_args!($($arg)*)) };
}

/// `println!` through [`print`].
#[macro_export]
macro_rules! outln {
    () => { $crate::stdout::print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::stdout::print(format_args!("{}\n", format_args!($($arg)*))) };
}
