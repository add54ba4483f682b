//! Key material: `whsec_` HMAC secrets, `whsk_` Ed25519 signing keys and `whpk_` public keys;
//! with the `jwks` feature, JSON Web Key Sets and RSA keys for RS256 JWTs.
//!
//! Every type here redacts itself in `Debug` and `Display`: a secret is shown as its prefix,
//! its length and a short fingerprint (the first 4 bytes of SHA-256 of the key), which is
//! enough to tell keys apart in a report without revealing them. Export a key explicitly
//! with `to_whsec` / `to_whsk` when you really mean to.

mod ed25519;
mod error;
#[cfg(feature = "jwks")]
mod jwks;
#[cfg(feature = "jwks")]
mod rsa;
mod secret;

pub use ed25519::{PublicKey, SigningKey};
pub use error::KeyError;
#[cfg(feature = "jwks")]
pub use jwks::{
    JWKS_MAX_BYTES, JWKS_MAX_KEYS, Jwk, JwkKey, Jwks, JwksError, SkipReason, SkippedKey,
};
#[cfg(feature = "jwks")]
pub use rsa::{RSA_MAX_BITS, RSA_MIN_BITS, RsaPublicKey, RsaSigningKey};
pub use secret::{LengthPolicy, Secret};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

/// Decodes strict, canonical, padded standard base64 (RFC 4648 section 4).
///
/// Rejects the URL-safe alphabet, missing or extra padding, whitespace, and non-zero
/// trailing bits, so that one key has exactly one textual form.
pub(crate) fn decode_b64(text: &str) -> Result<Vec<u8>, KeyError> {
    STANDARD.decode(text).map_err(|_| KeyError::InvalidBase64)
}

/// Splits an optional known prefix off `text`, rejecting the prefixes of the other key kinds
/// (a `whpk_` public key passed where a `whsec_` secret is expected, say).
pub(crate) fn strip_prefix<'a>(text: &'a str, expected: &'static str) -> Result<&'a str, KeyError> {
    const KNOWN: [&str; 3] = [Secret::PREFIX, SigningKey::PREFIX, PublicKey::PREFIX];
    if let Some(rest) = text.strip_prefix(expected) {
        return Ok(rest);
    }
    if let Some(found) = KNOWN.iter().find(|p| text.starts_with(**p)) {
        return Err(KeyError::WrongPrefix { expected, found });
    }
    // A signature entry pasted as a key (`v1,whsec_...`): standard-webhooks issue #235.
    if text.contains(expected) {
        return Err(KeyError::MisplacedPrefix { expected });
    }
    Ok(text)
}

/// A short, non-reversible fingerprint of key bytes for reports: 8 hex digits of SHA-256.
pub(crate) fn fingerprint(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<(), KeyError> {
    getrandom::fill(buf).map_err(|_| KeyError::RandomUnavailable)
}
