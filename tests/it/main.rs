//! Integration tests.

mod jwks;
mod listen;
mod serve;
mod support;
