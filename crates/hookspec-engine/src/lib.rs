//! # hookspec-engine
//!
//! The conformance engine behind the `hookspec` tool, usable as a library: the case
//! catalogue ([`cases`]), the runner that sends it to a live endpoint ([`check`]), the
//! sender grader ([`listen`]), the reference receiver ([`serve`]), the JWKS host
//! ([`jwks_host`]) and fetching cache ([`jwks_cache`]), the reports ([`report`]) and the
//! test-vector format, generator and harness ([`vectors`]).
//!
//! It is built on the `hookspec` crate (the verifier and signer) and adds the networked
//! parts: tokio, an HTTP/1.1 writer of its own, axum for the servers, reqwest on rustls.

#![forbid(unsafe_code)]

pub mod cases;
pub mod check;
pub mod delivery;
pub mod exit;
pub mod gemini;
pub mod judgement;
pub mod jwks_cache;
pub mod jwks_host;
pub mod listen;
pub mod net;
pub mod report;
pub mod send;
pub mod serve;
pub mod server_task;
pub mod transport;
pub mod vectors;

/// The README's Rust examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
