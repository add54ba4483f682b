//! Integration tests.

mod ct;
mod fuzzing;
