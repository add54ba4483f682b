//! Integration tests.

mod jwks;
