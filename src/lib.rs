//! # hookspec
//!
//! A reference verifier and signer for [Standard Webhooks](https://www.standardwebhooks.com)
//! deliveries (`v1` HMAC-SHA256 and `v1a` Ed25519), and the conformance toolkit built on it:
//! an endpoint checker, a sender grader, a test-vector corpus and fuzz targets.
//!
//! The verifier implements hookspec's *strict profile* (see the README): exact timestamp
//! grammar with checked arithmetic, every signature entry tried, unknown and malformed
//! entries skipped, constant-time comparison after decoding, raw-byte bodies.
//!
//! ```
//! use hookspec::{Secret, Signer, Verifier};
//! let secret = Secret::generate().unwrap();
//! let signature = Signer::new().with_secret(secret.clone()).sign("msg_1", 1_700_000_000, b"{}").unwrap();
//! let headers = [
//!     ("webhook-id", "msg_1"),
//!     ("webhook-timestamp", "1700000000"),
//!     ("webhook-signature", signature.as_str()),
//! ];
//! let verified = Verifier::new().with_secret(secret).verify_at(&headers, b"{}", 1_700_000_100).unwrap();
//! assert_eq!(verified.timestamp, 1_700_000_000);
//! ```
//!
//! # Crate features
//!
//! * `http` adds [`HeaderSource`] for `http::HeaderMap`.
//! * `jwks` adds the Gemini per-request webhook schemes without any I/O: JWKS parsing
//!   ([`key::Jwks`]), `v1a` with keys from a JWKS and RS256 JWTs ([`JwksVerifier`]), and a
//!   JWT signer ([`jwt::JwtSigner`]). It brings serde_json, jsonwebtoken (RustCrypto
//!   backend only) and rsa, but no tokio or HTTP stack.
//! * `cli` (default, includes `jwks`) adds the command-line tool and the networked parts,
//!   among them the fetching JWKS cache ([`jwks_cache::JwksCache`]). Without default
//!   features the crate is the verifier and signer alone: no tokio, no HTTP stack, no clap.

#![forbid(unsafe_code)]

pub mod clock;
#[doc(hidden)]
pub mod ct;
pub mod delivery;
pub mod exit;
#[doc(hidden)]
pub mod fuzzing;
pub mod gemini;
pub mod header;
#[cfg(feature = "jwks")]
pub mod jwt;
pub mod key;
pub mod sign;
pub mod verify;

#[cfg(feature = "cli")]
pub mod cases;
#[cfg(feature = "cli")]
pub mod check;
#[cfg(feature = "cli")]
pub mod jwks_cache;
#[cfg(feature = "cli")]
pub mod jwks_host;
#[cfg(feature = "cli")]
pub mod listen;
#[cfg(feature = "cli")]
pub mod net;
#[cfg(feature = "cli")]
pub mod report;
#[cfg(feature = "cli")]
pub mod send;
#[cfg(feature = "cli")]
pub mod serve;
#[cfg(feature = "cli")]
pub mod vectors;

pub use header::{HeaderSource, Scheme};
pub use key::{KeyError, LengthPolicy, PublicKey, Secret, SigningKey};
pub use sign::{SignError, Signer};
pub use verify::{MatchedKey, Verified, Verifier, VerifyError};

#[cfg(feature = "jwks")]
pub use key::{Jwks, JwksError};
#[cfg(feature = "jwks")]
pub use verify::{JwksVerified, JwksVerifier, JwksVerifyError};
