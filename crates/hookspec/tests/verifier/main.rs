//! The verifier crate's own tests, in one test binary (one link per change: mutation
//! testing rebuilds it for every mutant, see `scripts/mutants.sh`).
//!
//! * `vectors`: the committed vector corpus against the verifiers.
//! * `grammar`: the strict header grammar, rule by rule.
//! * `verify`: matched keys and entries, error counts, check order, tolerance edges,
//!   `svix-*` fallback, the signer's refusals.
//! * `keys`: key parsing, length policy, prefixes, redacted printing.

mod grammar;
mod keys;
mod vectors;
mod verify;
