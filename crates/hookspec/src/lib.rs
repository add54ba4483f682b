//! # hookspec
//!
//! A reference verifier and signer for [Standard Webhooks](https://www.standardwebhooks.com)
//! deliveries (`v1` HMAC-SHA256 and `v1a` Ed25519), and the conformance toolkit built on it:
//! an endpoint checker, a sender grader, a test-vector corpus and fuzz targets (in the
//! crates `hookspec-engine` and `hookspec-cli`).
//!
//! The verifier implements hookspec's *strict profile* (docs/src/strict-profile.md in the repository): exact timestamp
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
//!   (`Jwks`), `v1a` with keys from a JWKS and RS256 JWTs (`JwksVerifier`), and a JWT
//!   signer (`JwtSigner`). It brings serde_json, jsonwebtoken (RustCrypto backend only) and
//!   rsa, but no tokio or HTTP stack.
//!
//! With or without features the crate is the verifier and signer alone: no tokio, no HTTP
//! stack, no clap. The conformance engine is the `hookspec-engine` crate, the command-line
//! tool is `hookspec-cli`.
//!
//! # API shape
//!
//! Everything a service uses is at the crate root, and nothing else is public: the modules
//! are private and re-exported item by item (as jsonwebtoken and rustls do), so the
//! documented surface is exactly what hookspec promises to keep stable. Errors give their
//! stable codes through one trait, [`ErrorCode`].

#![forbid(unsafe_code)]
// Everything public here is API a service builds on: an undocumented item fails the build
// rather than only warning, as the workspace-wide lint does.
#![deny(missing_docs)]
// A `pub` item that no public path reaches reads as API but is not: crate-private items say
// `pub(crate)`, so what is public stays what the root and `internal` re-export.
#![warn(unreachable_pub)]

mod clock;
mod error_code;
mod header;
#[cfg(feature = "jwks")]
mod jwt;
mod key;
mod scheme;
mod sign;
mod verify;
mod webhook_id;

pub use error_code::ErrorCode;
pub use header::{
    HeaderSource, SVIX_ID, SVIX_SIGNATURE, SVIX_TIMESTAMP, WEBHOOK_ID, WEBHOOK_SIGNATURE,
    WEBHOOK_TIMESTAMP,
};
pub use key::{KeyError, LengthPolicy, PublicKey, Secret, SigningKey};
pub use scheme::{Scheme, UnknownScheme};
pub use sign::{SignError, Signer, SigningMaterial};
pub use verify::{DEFAULT_TOLERANCE, MatchedKey, Verified, Verifier, VerifyError};
pub use webhook_id::WebhookId;

#[cfg(feature = "jwks")]
pub use jwt::{DEFAULT_LEEWAY, JwtSigner};
#[cfg(feature = "jwks")]
pub use key::{
    JWKS_MAX_BYTES, JWKS_MAX_KEYS, Jwk, JwkKey, Jwks, JwksError, RSA_MAX_BITS, RSA_MIN_BITS,
    RsaPublicKey, RsaSigningKey, SkipReason, SkippedKey,
};
#[cfg(feature = "jwks")]
pub use verify::{JwksVerified, JwksVerifier, JwksVerifyError, Proof};

/// The pieces hookspec's sibling crates build on and a service does not: the header grammar
/// (the fuzz oracles and the sender grader parse with it), signature entries over arbitrary
/// bytes (negative test cases and vectors), the wall clock, and the JWT building blocks.
/// Not part of the API and without any semver promise; rustls exposes its internals to its
/// fuzzers the same way.
#[doc(hidden)]
pub mod internal {
    pub use crate::clock::unix_now;
    pub use crate::header::{
        HeaderValue, Malformed, SignatureEntry, TagWords, is_valid_id, leading_v1_words,
        parse_timestamp, signature_entries, single_value, values_of,
    };
    pub use crate::sign::{entry_v1, entry_v1a, signed_content, tag_v1};
    pub use crate::verify::tags_equal;

    /// RS256 token building blocks: the checker, the vectors and the tests assemble
    /// malformed and hostile tokens from them.
    #[cfg(feature = "jwks")]
    pub mod jwt {
        pub use crate::jwt::{
            CLAIM_BODY_SHA256, CLAIM_WEBHOOK_ID, MAX_TOKEN_LEN, body_sha256, compact, is_jwt_value,
            sign_hs256, signing_input,
        };
    }

    /// A [`crate::Verified`] built by a model verifier, to compare with the real one.
    pub fn verified(
        id: &str,
        timestamp: u64,
        matched: crate::MatchedKey,
        svix_aliases: bool,
    ) -> crate::Verified {
        crate::Verified {
            id: crate::WebhookId::from_header(id.as_bytes()),
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
