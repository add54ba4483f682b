//! Integration tests.

mod check;
mod serve;
mod support;
