//! # hookspec-testkit
//!
//! The test-only parts of hookspec, kept out of everything that ships: the fuzz entry points
//! and their oracles ([`fuzzing`], called by `fuzz/` and by the proptests), and the
//! constant-time harness ([`ct`], run by `cargo bench --bench ct`), and the closed-loop HTTP
//! load ([`load`]) of the serve bench and the allocation test. The criterion benches live in
//! this crate too.

#![forbid(unsafe_code)]

pub mod ct;
pub mod fuzzing;
pub mod load;
