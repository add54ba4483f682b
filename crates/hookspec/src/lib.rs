//! # hookspec
//!
//! A reference verifier and signer for [Standard Webhooks](https://www.standardwebhooks.com)
//! deliveries (`v1` HMAC-SHA256 and `v1a` Ed25519), and the conformance toolkit built on it:
//! an endpoint checker, a sender grader, a test-vector corpus and fuzz targets (in the
//! crates `hookspec-engine` and `hookspec-cli`).
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
//!
//! With or without features the crate is the verifier and signer alone: no tokio, no HTTP
//! stack, no clap. The conformance engine is the `hookspec-engine` crate, the command-line
//! tool is `hookspec-cli`.

#![forbid(unsafe_code)]
// Everything public here is API a service builds on: an undocumented item fails the build
// rather than only warning, as the workspace-wide lint does.
#![deny(missing_docs)]

pub mod clock;
mod error_code;
pub mod header;
#[cfg(feature = "jwks")]
pub mod jwt;
pub mod key;
pub mod scheme;
pub mod sign;
pub mod verify;

pub use error_code::ErrorCode;
pub use header::HeaderSource;
pub use key::{KeyError, LengthPolicy, PublicKey, Secret, SigningKey};
pub use scheme::Scheme;
pub use sign::{SignError, Signer};
pub use verify::{MatchedKey, Verified, Verifier, VerifyError};

#[cfg(feature = "jwks")]
pub use key::{Jwks, JwksError};
#[cfg(feature = "jwks")]
pub use verify::{JwksVerified, JwksVerifier, JwksVerifyError};

/// Hooks for hookspec's own test crates (fuzz oracles, the constant-time harness): not part
/// of the API, no semver promise.
#[doc(hidden)]
pub mod internal {
    pub use crate::verify::tags_equal;

    /// A [`crate::Verified`] built by a model verifier, to compare with the real one.
    pub fn verified(
        id: String,
        timestamp: u64,
        matched: crate::MatchedKey,
        svix_aliases: bool,
    ) -> crate::Verified {
        crate::Verified {
            id,
            timestamp,
            matched,
            svix_aliases,
        }
    }

    /// A [`crate::MatchedKey`] built by a model verifier.
    pub fn matched_key(
        scheme: crate::Scheme,
        key_index: usize,
        entry_index: usize,
    ) -> crate::MatchedKey {
        crate::MatchedKey {
            scheme,
            key_index,
            entry_index,
        }
    }
}
