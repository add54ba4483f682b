//! `hookspec completions SHELL` and `hookspec man`: generated from the same clap
//! definitions that parse the command line, so they never drift from it.

use std::io::Write as _;

use clap::CommandFactory as _;
use clap_complete::Shell;

use super::{Cli, Failure, Outcome};
use hookspec_engine::exit;

/// Arguments of `hookspec completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the completion script for a shell.
pub fn completions(args: CompletionsArgs) -> Outcome {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "hookspec", &mut out);
    print(&out)
}

/// Arguments of `hookspec man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {}

/// Prints the man page (roff), with a section for every subcommand.
pub fn man(_args: ManArgs) -> Outcome {
    let command = Cli::command();
    let mut out = Vec::new();
    let render = |out: &mut Vec<u8>, command: &clap::Command| {
        clap_mangen::Man::new(command.clone())
            .render(out)
            .map_err(|e| Failure::tool(format!("cannot render the man page: {e}")))
    };
    render(&mut out, &command)?;
    for sub in command.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let sub = sub.clone().name(format!("hookspec-{}", sub.get_name()));
        render(&mut out, &sub)?;
    }
    print(&out)
}

/// Writes the script or page; a failure to write is handled like every other output's
/// (see [`crate::output`]).
fn print(bytes: &[u8]) -> Outcome {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        crate::output::failed(e);
    }
    Ok(exit::OK)
}
