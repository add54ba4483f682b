//! Integration tests.

mod jwks;
mod listen;
