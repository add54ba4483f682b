//! Integration tests.

mod check;
mod jwks;
mod serve;
mod support;
