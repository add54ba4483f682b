//! The `hookspec` command-line tool. Argument parsing and printing live here; everything
//! that judges or signs lives in the library.

mod commands;

fn main() -> std::process::ExitCode {
    commands::main()
}
