//! Test vectors: a Wycheproof-style corpus for Standard Webhooks receivers, its generator,
//! and the harness that checks any implementation through the adapter line protocol.
//!
//! * [`format`]: the JSON file format (documented field by field in `vectors/README.md`).
//! * [`corpus`]: the deterministic generator of the published files.
//! * [`render`]: a vector as the exact request to send, at its own clock or re-signed at
//!   another one; and the reverse, [`render::freeze`], from a delivery to a vector.
//! * [`protocol`] and [`reference`]: the adapter line protocol, and the reference verifier
//!   answering it.
//! * [`adapter`] and [`harness`]: run an external adapter process and compare its answers.
//! * [`matrix`]: several implementations side by side, flag by flag.

pub mod adapter;
pub mod corpus;
pub mod format;
pub mod harness;
pub mod matrix;
pub mod protocol;
pub mod reference;
pub mod render;

pub use format::{Expected, TestGroup, TestVector, VectorFile};
pub use render::{Delivery, VectorRequest, freeze, request, request_at};
