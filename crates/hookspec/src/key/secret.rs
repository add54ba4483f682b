use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::{KeyError, decode_b64, fingerprint, random_bytes, strip_prefix};

/// Which decoded secret lengths [`Secret`] accepts.
///
/// The Standard Webhooks spec asks for 24 to 64 random bytes. No official library enforces
/// it (the Svix server accepts up to 75), so a receiver that must interoperate with an
/// existing sender can opt out explicitly. hookspec never pads, truncates or re-derives a
/// key: outside the policy it refuses the key with [`KeyError::SecretTooShort`] or
/// [`KeyError::SecretTooLong`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LengthPolicy {
    /// 24 to 64 bytes, as the spec asks. The default.
    #[default]
    Spec,
    /// Any non-empty length (for testing senders and receivers that break the spec range).
    AnyNonEmpty,
}

/// A `whsec_` HMAC-SHA256 secret (Standard Webhooks `v1` scheme).
///
/// Parsing is strict: the `whsec_` prefix is optional (every official library treats it so),
/// the rest must be canonical padded standard base64, and the decoded length must fit the
/// [`LengthPolicy`] (24 to 64 bytes by default). Lenient decoders (Python's `b64decode`,
/// Ruby's `decode64`, PHP's `base64_decode`) silently drop invalid characters and so derive
/// a different key than the sender's; hookspec reports an error instead.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    bytes: Zeroizing<Vec<u8>>,
}

impl Secret {
    /// The textual prefix of an HMAC secret.
    pub const PREFIX: &'static str = "whsec_";
    /// The shortest secret the spec allows, in bytes.
    pub const MIN_LEN: usize = 24;
    /// The longest secret the spec allows, in bytes.
    pub const MAX_LEN: usize = 64;
    /// The length of secrets that [`Secret::generate`] creates, in bytes.
    pub const GENERATED_LEN: usize = 32;

    /// Parses `whsec_<base64>` (or bare base64) with the spec's 24 to 64 byte range.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        Self::parse_with(text, LengthPolicy::Spec)
    }

    /// Parses `whsec_<base64>` (or bare base64) with an explicit length policy.
    pub fn parse_with(text: &str, policy: LengthPolicy) -> Result<Self, KeyError> {
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        let b64 = strip_prefix(text, Self::PREFIX)?;
        if b64.is_empty() {
            return Err(KeyError::Empty);
        }
        Self::from_bytes_with(&decode_b64(b64)?, policy)
    }

    /// Wraps raw key bytes, with the spec's 24 to 64 byte range.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        Self::from_bytes_with(bytes, LengthPolicy::Spec)
    }

    /// Wraps raw key bytes with an explicit length policy.
    pub fn from_bytes_with(bytes: &[u8], policy: LengthPolicy) -> Result<Self, KeyError> {
        let len = bytes.len();
        if len == 0 {
            return Err(KeyError::Empty);
        }
        if policy == LengthPolicy::Spec {
            if len < Self::MIN_LEN {
                return Err(KeyError::SecretTooShort { len });
            }
            if len > Self::MAX_LEN {
                return Err(KeyError::SecretTooLong { len });
            }
        }
        Ok(Self {
            bytes: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// Generates a fresh random secret of [`Secret::GENERATED_LEN`] bytes.
    pub fn generate() -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new(vec![0u8; Self::GENERATED_LEN]);
        random_bytes(&mut bytes)?;
        Ok(Self { bytes })
    }

    /// The raw key bytes (the HMAC key).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The decoded length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always `false`: an empty secret cannot be constructed. Present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Exports the secret as `whsec_<base64>`. This reveals the key: never log it.
    pub fn to_whsec(&self) -> String {
        format!("{}{}", Self::PREFIX, STANDARD.encode(self.as_bytes()))
    }

    /// A short fingerprint that identifies the key in reports without revealing it.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({self})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[redacted {} B, fp {}]",
            Self::PREFIX,
            self.len(),
            self.fingerprint()
        )
    }
}
