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
mod ct;
mod docs;
mod fixtures;
mod fuzzing;
mod fuzzing_checker;
mod gemini;
mod hostile;
mod jwks;
mod kat;
mod listen;
mod props;
mod serve;
mod support;
mod vectors_consistency;
mod vectors_corpus;
mod vectors_harness;
