//! Integration tests.

mod listen;
