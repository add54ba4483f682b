//! Integration tests.

mod vectors_corpus;
mod vectors_harness;
