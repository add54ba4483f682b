//! Integration tests.

mod cases;
mod cli;
mod kat;
mod props;
mod support;
