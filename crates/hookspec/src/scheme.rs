//! The one scheme type: how a delivery is signed, and so which keys verify it.
//!
//! The same [`Scheme`] names the scheme a [`crate::Signer`] signs with, the scheme a
//! verifier matched ([`crate::MatchedKey::scheme`]), the scheme a conformance run targets,
//! and the `scheme` field of the vector files.

use std::fmt;
use std::str::FromStr;

use crate::ErrorCode;

/// How a webhook delivery is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scheme {
    /// Standard Webhooks `v1`: HMAC-SHA256 with a `whsec_` secret, 32-byte signatures.
    /// Gemini's project-level ("static") webhooks.
    V1,
    /// Standard Webhooks `v1a`: Ed25519 with a `whpk_` public key the receiver is
    /// configured with, 64-byte signatures.
    V1a,
    /// Gemini's per-request ("dynamic") webhooks as observed: `v1a` entries, verified
    /// against the Ed25519 keys of a JWKS.
    V1aJwks,
    /// Gemini's per-request webhooks as documented: the whole `webhook-signature` is an
    /// RS256 JWT whose `kid` names an RSA key of a JWKS.
    Jwt,
}

impl Scheme {
    /// Every scheme, in the order above.
    pub const ALL: [Scheme; 4] = [Self::V1, Self::V1a, Self::V1aJwks, Self::Jwt];

    /// The spelling used on the command line and in vector files: `v1`, `v1a`,
    /// `v1a-jwks`, `jwt`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V1a => "v1a",
            Self::V1aJwks => "v1a-jwks",
            Self::Jwt => "jwt",
        }
    }

    /// Parses [`Scheme::as_str`]'s spelling (exact, lower case).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the receiver's keys come from a JWKS.
    pub fn uses_jwks(self) -> bool {
        matches!(self, Self::V1aJwks | Self::Jwt)
    }

    /// The version token of this scheme's entries in a `webhook-signature` list (`v1`,
    /// `v1a`); `None` for [`Scheme::Jwt`], whose header is one token, not a list.
    pub fn token(self) -> Option<&'static str> {
        match self {
            Self::V1 => Some("v1"),
            Self::V1a | Self::V1aJwks => Some("v1a"),
            Self::Jwt => None,
        }
    }

    /// The decoded length of one signature-list entry, in bytes (`None` for a JWT).
    pub fn signature_len(self) -> Option<usize> {
        match self {
            Self::V1 => Some(32),
            Self::V1a | Self::V1aJwks => Some(64),
            Self::Jwt => None,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown scheme name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scheme {0:?}: expected v1, v1a, v1a-jwks or jwt")]
pub struct UnknownScheme(pub String);

impl ErrorCode for UnknownScheme {
    fn code(&self) -> &'static str {
        "unknown_scheme"
    }
}

impl FromStr for Scheme {
    type Err = UnknownScheme;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text).ok_or_else(|| UnknownScheme(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_round_trips() {
        for scheme in Scheme::ALL {
            assert_eq!(Scheme::parse(scheme.as_str()), Some(scheme));
            assert_eq!(scheme.to_string().parse::<Scheme>(), Ok(scheme));
        }
        assert_eq!(Scheme::parse("V1"), None);
        assert!("v2".parse::<Scheme>().is_err());
    }

    #[test]
    fn entry_tokens() {
        assert_eq!(Scheme::V1.token(), Some("v1"));
        assert_eq!(Scheme::V1aJwks.token(), Some("v1a"));
        assert_eq!(Scheme::Jwt.token(), None);
        assert_eq!(Scheme::V1a.signature_len(), Some(64));
    }
}
