use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, VerifyingKey};
use zeroize::Zeroizing;

use super::{KeyError, decode_b64, fingerprint, random_bytes, strip_prefix};

/// A `whsk_` Ed25519 signing key (Standard Webhooks `v1a` scheme).
///
/// Accepts the 32-byte seed and the 64-byte `seed ‖ public key` form (the one the Svix
/// server emits); in the 64-byte form the public half must match the seed.
#[derive(Clone)]
pub struct SigningKey {
    inner: ed25519_dalek::SigningKey,
}

impl SigningKey {
    /// The textual prefix of an Ed25519 signing key.
    pub const PREFIX: &'static str = "whsk_";

    /// Parses `whsk_<base64>` (the prefix is optional).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        let b64 = strip_prefix(text, Self::PREFIX)?;
        let bytes = Zeroizing::new(decode_b64(b64)?);
        Self::from_bytes(&bytes)
    }

    /// Wraps a 32-byte seed or a 64-byte `seed ‖ public key`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        match bytes.len() {
            0 => Err(KeyError::Empty),
            32 => {
                let mut seed = Zeroizing::new([0u8; 32]);
                seed.copy_from_slice(bytes);
                Ok(Self::from_seed(&seed))
            }
            64 => {
                let mut pair = Zeroizing::new([0u8; 64]);
                pair.copy_from_slice(bytes);
                ed25519_dalek::SigningKey::from_keypair_bytes(&pair)
                    .map(|inner| Self { inner })
                    .map_err(|_| KeyError::KeyPairMismatch)
            }
            len => Err(KeyError::InvalidKeyLength {
                len,
                expected: "32 (seed) or 64 (seed and public key) bytes",
            }),
        }
    }

    /// Derives the key from a 32-byte seed (deterministic: used for the published vectors).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            inner: ed25519_dalek::SigningKey::from_bytes(seed),
        }
    }

    /// Generates a fresh random key.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        random_bytes(seed.as_mut())?;
        Ok(Self::from_seed(&seed))
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            inner: self.inner.verifying_key(),
        }
    }

    /// Signs `message` with pure Ed25519 (RFC 8032), returning the 64-byte signature.
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.inner.sign(message).to_bytes()
    }

    /// Exports `whsk_<base64 of seed ‖ public key>` (the Svix form). This reveals the key.
    pub fn to_whsk(&self) -> String {
        let pair = Zeroizing::new(self.inner.to_keypair_bytes());
        format!("{}{}", Self::PREFIX, STANDARD.encode(pair.as_ref()))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({self})")
    }
}

impl fmt::Display for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[redacted, public {}]",
            Self::PREFIX,
            self.public_key().fingerprint()
        )
    }
}

/// A `whpk_` Ed25519 public key (Standard Webhooks `v1a` scheme).
///
/// Parsing rejects encodings that are not points on the curve, non-canonical encodings
/// (y ≥ p), and small-order ("weak") points.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    inner: VerifyingKey,
}

impl PublicKey {
    /// The textual prefix of an Ed25519 public key.
    pub const PREFIX: &'static str = "whpk_";

    /// Parses `whpk_<base64>` (the prefix is optional).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        let b64 = strip_prefix(text, Self::PREFIX)?;
        Self::from_bytes(&decode_b64(b64)?)
    }

    /// Wraps the 32-byte compressed Edwards point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        // `whpk_` alone is an empty key, as `whsec_` and `whsk_` alone are (found by the
        // `keys` fuzz target).
        if bytes.is_empty() {
            return Err(KeyError::Empty);
        }
        let array: &[u8; 32] = bytes.try_into().map_err(|_| KeyError::InvalidKeyLength {
            len: bytes.len(),
            expected: "32 bytes",
        })?;
        let inner = VerifyingKey::from_bytes(array).map_err(|_| KeyError::InvalidPublicKey)?;
        // The decoder reduces y modulo p, so `y + p` (19 values of y, either sign) decodes to
        // the same point as `y`. RFC 8032 section 5.1.3 says decoding fails for y >= p, and no
        // signing key ever has such an encoding: one key, one text (found by the `keys` fuzz
        // target's canonical-encoding invariant).
        if inner.to_edwards().compress().as_bytes() != array {
            return Err(KeyError::InvalidPublicKey);
        }
        if inner.is_weak() {
            return Err(KeyError::WeakPublicKey);
        }
        Ok(Self { inner })
    }

    /// The 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.inner.as_bytes()
    }

    /// Verifies a 64-byte signature over `message` with `verify_strict` (canonical `S < L`,
    /// no small-order `R`), which rejects the malleable signatures that lax verifiers accept.
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.inner.verify_strict(message, &signature).is_ok()
    }

    /// Exports `whpk_<base64>`. Public keys are not secret.
    pub fn to_whpk(&self) -> String {
        format!("{}{}", Self::PREFIX, STANDARD.encode(self.as_bytes()))
    }

    /// A short fingerprint for reports.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.as_bytes())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_whpk())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_whpk())
    }
}
