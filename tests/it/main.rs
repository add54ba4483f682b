//! Integration tests.

mod cases;
mod cli;
mod fixtures;
mod jwks;
mod kat;
mod props;
mod serve;
mod support;
