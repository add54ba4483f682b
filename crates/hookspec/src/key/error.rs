use thiserror::Error;

use crate::ErrorCode;

/// Why a key could not be parsed or created.
///
/// Each variant has a stable [`code`](ErrorCode::code) that reports and the vector corpus reuse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key text (or byte string) is empty.
    #[error("the key is empty")]
    Empty,
    /// The key carries the prefix of another key kind.
    #[error("expected a `{expected}` key, found a `{found}` key")]
    WrongPrefix {
        /// The prefix this parser accepts.
        expected: &'static str,
        /// The prefix that was found.
        found: &'static str,
    },
    /// The prefix appears inside the key rather than at its start (for example a secret
    /// pasted as `v1,whsec_...`, which mixes up the signature and secret formats).
    #[error("`{expected}` must start the key; `v1,` and `v1a,` prefix signatures, not keys")]
    MisplacedPrefix {
        /// The prefix that was found in the wrong place.
        expected: &'static str,
    },
    /// The text after the prefix is not canonical, padded, standard base64.
    #[error(
        "the key is not canonical standard base64 (padding required; no URL-safe alphabet, spaces or stray characters)"
    )]
    InvalidBase64,
    /// A `whsec_` secret shorter than the 24 bytes the Standard Webhooks spec asks for.
    #[error("the secret is {len} bytes; Standard Webhooks secrets are 24 to 64 bytes")]
    SecretTooShort {
        /// The decoded length in bytes.
        len: usize,
    },
    /// A `whsec_` secret longer than the 64 bytes the Standard Webhooks spec asks for.
    #[error("the secret is {len} bytes; Standard Webhooks secrets are 24 to 64 bytes")]
    SecretTooLong {
        /// The decoded length in bytes.
        len: usize,
    },
    /// An Ed25519 key whose decoded length is wrong for its kind.
    #[error("the key is {len} bytes; expected {expected}")]
    InvalidKeyLength {
        /// The decoded length in bytes.
        len: usize,
        /// What the key kind allows.
        expected: &'static str,
    },
    /// A 64-byte `whsk_` key whose second half is not the public key of its first half.
    #[error("the 64-byte signing key's public half does not match its seed")]
    KeyPairMismatch,
    /// The 32 bytes are not the canonical encoding of a point on Ed25519.
    #[error("the public key is not a valid Ed25519 point")]
    InvalidPublicKey,
    /// The public key has small order: any signature "verifies" under it in lax verifiers.
    #[error("the public key is a weak (small-order) Ed25519 point")]
    WeakPublicKey,
    /// The operating system's random source failed while generating a key.
    #[error("the operating system's random source is unavailable")]
    RandomUnavailable,
    /// An RSA modulus shorter than 2048 bits (RFC 7518 section 3.3).
    #[error("the RSA key has {bits} bits; at least 2048 are required")]
    RsaKeyTooSmall {
        /// The modulus length in bits.
        bits: usize,
    },
    /// An RSA modulus longer than 8192 bits.
    #[error("the RSA key has {bits} bits; at most 8192 are accepted")]
    RsaKeyTooLarge {
        /// The modulus length in bits.
        bits: usize,
    },
    /// RSA components that do not form a usable public key (even modulus, exponent out of
    /// range, empty component).
    #[error("the RSA key's modulus or exponent is invalid")]
    InvalidRsaKey,
    /// Text that is not a PEM-encoded key of the expected kind.
    #[error("not a PEM-encoded RSA key (PKCS#8 or PKCS#1)")]
    InvalidPem,
}

impl ErrorCode for KeyError {
    fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty_key",
            Self::WrongPrefix { .. } => "wrong_key_prefix",
            Self::MisplacedPrefix { .. } => "misplaced_key_prefix",
            Self::InvalidBase64 => "invalid_key_base64",
            Self::SecretTooShort { .. } => "secret_too_short",
            Self::SecretTooLong { .. } => "secret_too_long",
            Self::InvalidKeyLength { .. } => "invalid_key_length",
            Self::KeyPairMismatch => "key_pair_mismatch",
            Self::InvalidPublicKey => "invalid_public_key",
            Self::WeakPublicKey => "weak_public_key",
            Self::RandomUnavailable => "random_unavailable",
            Self::RsaKeyTooSmall { .. } => "rsa_key_too_small",
            Self::RsaKeyTooLarge { .. } => "rsa_key_too_large",
            Self::InvalidRsaKey => "invalid_rsa_key",
            Self::InvalidPem => "invalid_key_pem",
        }
    }
}
