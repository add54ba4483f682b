//! The `hookspec` command-line tool. Argument parsing and printing live here; everything
//! that judges or signs lives in the library.

// First, so that its `print!`/`println!`/`eprint!`/`eprintln!` (which never panic) shadow
// std's in every module below.
#[macro_use]
mod output;
mod commands;

fn main() -> std::process::ExitCode {
    commands::main()
}
