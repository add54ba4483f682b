//! The verifier crate's own tests, in one test binary (one link per change: mutation
//! testing rebuilds it for every mutant, see `scripts/mutants.sh`).
//!
//! * `vectors`: the committed vector corpus against the verifiers.
//! * `grammar`: the strict header grammar, rule by rule.
//! * `verify`: matched keys and entries, error counts, check order, tolerance edges,
//!   `svix-*` fallback, the signer's refusals.
//! * `keys`: key parsing, length policy, prefixes, redacted printing.
//! * `jwt` (feature `jwks`): `JwtSigner`'s tokens decoded and verified, the token helpers,
//!   the size and `exp` / `nbf` / `iat` edges, the `JwksVerifier` setters.
//! * `keysets` (feature `jwks`): RSA and key-set size limits, exactly at and one past.

mod grammar;
#[cfg(feature = "jwks")]
mod jwt;
mod keys;
#[cfg(feature = "jwks")]
mod keysets;
mod vectors;
mod verify;
