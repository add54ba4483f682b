//! Integration tests.

mod serve;
mod support;
