//! Subcommands. Each module owns its clap arguments and its `run` function, which returns
//! the exit code (see `hookspec_engine::exit`) or an error that `main` prints as one line.

mod check;
mod keygen;
mod keys;
mod listen;
mod report_args;
mod send;
mod serve;
mod server_args;
mod shell;
mod sign;
mod transport_args;
mod vectors;
mod verify;

use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hookspec_engine::exit;

/// hookspec: prove whether webhook software handles signed deliveries correctly.
#[derive(Debug, Parser)]
#[command(name = "hookspec", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign a body and print the three webhook-* headers.
    Sign(sign::Args),
    /// Verify a delivery (headers and body) with the reference verifier.
    Verify(verify::Args),
    /// Sign a body and POST it to a URL, retrying with backoff like a real sender.
    Send(send::Args),
    /// Host a receiver with scripted responses and grade a webhook sender's deliveries.
    Listen(listen::Args),
    /// Generate a fresh whsec_ secret or whsk_/whpk_ Ed25519 key pair.
    Keygen(keygen::Args),
    /// Run the conformance cases against a webhook endpoint (or an embedded reference
    /// receiver) and report, case by case.
    Check(Box<check::Args>),
    /// Test vectors: write the corpus, or check an implementation against it.
    Vectors(vectors::Args),
    /// Run the reference receiver: verify, deduplicate, and expose the observer endpoint.
    Serve(serve::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(shell::CompletionsArgs),
    /// Print the man page (roff): `hookspec man > hookspec.1`.
    Man(shell::ManArgs),
}

/// A failure that ends the command with a one-line message and an exit code.
#[derive(Debug)]
pub struct Failure {
    exit: u8,
    message: String,
}

impl Failure {
    /// Bad arguments or configuration (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            exit: exit::USAGE,
            message: message.into(),
        }
    }

    /// The tool could not do its job: I/O, network, internal error (exit 3).
    pub fn tool(message: impl Into<String>) -> Self {
        Self {
            exit: exit::FAILURE,
            message: message.into(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Self::tool(format!("{error:#}"))
    }
}

/// What every subcommand returns: an exit code, or a failure to print.
pub type Outcome = Result<u8, Failure>;

/// Parses the command line, runs the subcommand, and maps the result to an exit code. A
/// failure to write standard output ends the run with exit 3 (see [`crate::output`]).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `--help` and `--version` (exit 0, on standard output) or a usage error (exit 2,
        // on standard error).
        Err(e) => {
            if let Err(write) = e.print()
                && !e.use_stderr()
            {
                crate::output::failed(write);
            }
            let code = u8::try_from(e.exit_code()).unwrap_or(exit::USAGE);
            return finish(Ok(code));
        }
    };
    finish(match cli.command {
        Command::Sign(args) => sign::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Send(args) => send::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Vectors(args) => vectors::run(args),
        Command::Listen(args) => listen::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Check(args) => check::run(*args),
        Command::Completions(args) => shell::completions(args),
        Command::Man(args) => shell::man(args),
    })
}

/// The exit code of a finished command, printing its failure as one line: the command's
/// own failure first, then a lost standard output (exit 3).
fn finish(result: Outcome) -> ExitCode {
    let lost_stdout = crate::output::failure();
    match (result, lost_stdout) {
        (Err(failure), _) => {
            eprintln!("hookspec: error: {}", failure.message);
            ExitCode::from(failure.exit)
        }
        (Ok(_), Some(why)) => {
            eprintln!("hookspec: error: {why}");
            ExitCode::from(exit::FAILURE)
        }
        (Ok(code), None) => ExitCode::from(code),
    }
}

/// Reads a body from a file, or from standard input for `-`, as raw bytes.
pub fn read_body(path: Option<&Path>) -> Result<Vec<u8>, Failure> {
    match path {
        None => Ok(Vec::new()),
        Some(p) if p == Path::new("-") => {
            let mut body = Vec::new();
            std::io::stdin().read_to_end(&mut body).map_err(|e| {
                Failure::usage(format!("cannot read the body from standard input: {e}"))
            })?;
            Ok(body)
        }
        Some(p) => std::fs::read(p)
            .map_err(|e| Failure::usage(format!("cannot read body file {}: {e}", p.display()))),
    }
}

/// Parses a human duration such as `500ms`, `5s`, `2m`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 500ms, 5s, 2m)"))
}

/// The shortest timeout or wait hookspec accepts: below it, no HTTP exchange or adapter
/// answer can complete, and every case would report a false finding.
pub const MIN_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(100);

/// Parses a timeout or a wait: a duration of at least [`MIN_TIMEOUT`].
pub fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    let duration = parse_duration(text)?;
    if duration < MIN_TIMEOUT {
        return Err(format!(
            "{text} is too short to wait for an answer: give at least 100ms"
        ));
    }
    Ok(duration)
}
