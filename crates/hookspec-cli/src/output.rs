//! Standard output and standard error that never panic.
//!
//! std's `print!` and `println!` panic when standard output cannot be written (`hookspec
//! keygen > /dev/full`, a full disk, a reader that went away), which ends the process with
//! exit 101 and a stack-trace hint. This module defines `print!`, `println!`, `eprint!` and
//! `eprintln!` for the whole crate: `main.rs` declares it first, with `#[macro_use]`, so its
//! macros shadow std's in every module (a new `println!` anywhere in the CLI is covered too).
//!
//! What happens when standard output fails:
//!
//! - The reader closed the pipe (`EPIPE`, e.g. `hookspec check | head -3`): it chose to stop
//!   reading. Later output is dropped, nothing is said, and the exit code is the command's
//!   own (a `check` with findings still exits 1).
//! - Any other error (`ENOSPC`, `EIO`, …): later output is dropped, the command finishes its
//!   work (report files named by `--json` and the like are still written), and then exits 3
//!   with one line on standard error: `hookspec: error: cannot write to standard output: …`.
//!
//! A failure to write standard error is ignored: there is nowhere left to report it.

use std::fmt::Arguments;
use std::io::{ErrorKind, Write as _};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Prints to standard output; a failure is recorded, never a panic (see the module docs).
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::output::stdout(format_args!($($arg)*), false)
    };
}

/// Prints a line to standard output; a failure is recorded, never a panic.
macro_rules! println {
    () => {
        $crate::output::stdout(format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::output::stdout(format_args!($($arg)*), true)
    };
}

/// Prints to standard error; a failure is ignored. (Unused today; defined so that a future
/// `eprint!` cannot panic either.)
#[allow(unused_macros)]
macro_rules! eprint {
    ($($arg:tt)*) => {
        $crate::output::stderr(format_args!($($arg)*), false)
    };
}

/// Prints a line to standard error; a failure is ignored.
macro_rules! eprintln {
    () => {
        $crate::output::stderr(format_args!(""), true)
    };
    ($($arg:tt)*) => {
        $crate::output::stderr(format_args!($($arg)*), true)
    };
}

/// Whether a write to standard output has failed (later output is dropped).
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);
/// The first failure to write standard output.
static STDOUT_FAILURE: Mutex<Option<std::io::Error>> = Mutex::new(None);

/// Writes `args` (and a newline) to standard output and flushes it, unless an earlier write
/// failed. The first failure is kept for [`failure`].
pub fn stdout(args: Arguments<'_>, newline: bool) {
    if STDOUT_FAILED.load(Ordering::SeqCst) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| {
            if newline {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| out.flush());
    if let Err(e) = written {
        failed(e);
    }
}

/// Records a failure to write standard output (also for code that writes bytes itself):
/// later output is dropped, and the first failure decides the exit (see [`failure`]).
pub fn failed(error: std::io::Error) {
    STDOUT_FAILED.store(true, Ordering::SeqCst);
    STDOUT_FAILURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert(error);
}

/// Writes `args` (and a newline) to standard error, ignoring failures.
pub fn stderr(args: Arguments<'_>, newline: bool) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| {
        if newline {
            err.write_all(b"\n")
        } else {
            Ok(())
        }
    });
}

/// Why the run must end with exit 3 because its standard output was lost, if it must: every
/// failure but a closed pipe. Flushes standard output first.
pub fn failure() -> Option<String> {
    if !STDOUT_FAILED.load(Ordering::SeqCst)
        && let Err(e) = std::io::stdout().lock().flush()
    {
        failed(e);
    }
    let failure = STDOUT_FAILURE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match &*failure {
        Some(e) if e.kind() != ErrorKind::BrokenPipe => {
            Some(format!("cannot write to standard output: {e}"))
        }
        _ => None,
    }
}
