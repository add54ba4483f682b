//! Integration tests.

mod cases;
mod check;
mod check_vectors;
mod cli;
mod ct;
mod fixtures;
mod fuzzing;
mod fuzzing_checker;
mod gemini;
mod jwks;
mod kat;
mod listen;
mod props;
mod serve;
mod support;
mod vectors_corpus;
mod vectors_harness;
