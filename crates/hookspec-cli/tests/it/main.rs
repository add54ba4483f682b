//! Integration tests: they drive the `hookspec` binary and reach into every crate of the
//! workspace.

/// The repository root (where `vectors/`, `fuzz/` and `README.md` live), as a literal for
/// `concat!`.
macro_rules! root {
    () => {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../..")
    };
}

mod cases;
mod check;
mod check_vectors;
mod cli;
mod config;
mod ct;
mod docs;
mod fixtures;
mod fuzzing;
mod fuzzing_checker;
mod gemini;
mod hostile_check;
mod hostile_servers;
mod jwks;
mod kat;
mod listen;
mod props;
mod report_formats;
mod serve;
mod support;
mod tls;
mod vectors_consistency;
mod vectors_corpus;
mod vectors_harness;
mod vectors_hostile;
mod vectors_matrix;
