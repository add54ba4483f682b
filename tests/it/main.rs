//! Integration tests.

mod jwks;
mod serve;
mod support;
