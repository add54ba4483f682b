//! Integration tests.

mod check;
mod jwks;
mod listen;
mod serve;
mod support;
mod vectors_corpus;
mod vectors_harness;
