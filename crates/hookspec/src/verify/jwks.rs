//! Verification against a key set: the Gemini API's per-request ("dynamic") webhooks, which
//! are documented as RS256 JWTs and observed as `v1a` Ed25519 signatures, both with keys
//! from the same JWKS. [`JwksVerifier`] accepts either, so a receiver is right whichever
//! arrives.
//!
//! The `webhook-signature` value decides the path ([`crate::jwt::is_jwt_value`]): a value
//! without any `,` and with a `.` is a JWT; anything else is a Standard Webhooks entry list.
//! Both paths first run the header checks of [`Verifier`] (id grammar, timestamp grammar,
//! the tolerance window), so a JWT is never accepted without a fresh `webhook-timestamp`.
//!
//! Key ids: a `v1a` entry has no place for one, no header carries one, and Gemini's observed
//! deliveries name none, so `v1a` is tried against every Ed25519 key of the set (in document
//! order, each through `verify_strict`, by the same [`Verifier`]); the kid of the key that
//! matched is reported. A JWT names its key with the header's `kid`, which is required.

use std::time::Duration;

use serde_json::{Map, Value};

use super::{JwksVerifyError, Verifier, VerifyError};
use crate::clock::unix_now;
use crate::header::HeaderSource;
use crate::jwt::{self, DEFAULT_LEEWAY, check_token};
use crate::key::Jwks;
use crate::{Scheme, WebhookId};

/// How a delivery verified against the key set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Proof {
    /// A `v1a` entry verified under an Ed25519 key of the set.
    V1a {
        /// Index of the key among the set's Ed25519 keys ([`Jwks::ed25519_keys`]).
        key_index: usize,
        /// Index of the matching entry in the signature list.
        entry_index: usize,
    },
    /// The `webhook-signature` value was an RS256 JWT that passed every check.
    Jwt {
        /// Every claim of the token, as sent (Gemini's documentation reads the event from
        /// the decoded token; hookspec hands the claims over and the body separately).
        claims: Map<String, Value>,
        /// Whether the token carried a `webhook_id` claim (it matched the header).
        id_bound: bool,
        /// Whether the token carried a `body_sha256` claim (it matched the body). When
        /// `false`, nothing ties the token to this body: it may be replayed with another.
        body_bound: bool,
    },
}

/// Proof that a delivery verified against a key set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JwksVerified {
    /// The `webhook-id` (the idempotency key).
    pub id: WebhookId,
    /// The `webhook-timestamp`, in Unix seconds.
    pub timestamp: u64,
    /// The `kid` of the key that verified, if the set gave it one.
    pub kid: Option<String>,
    /// Whether the headers came from the `svix-*` aliases.
    pub svix_aliases: bool,
    /// Which scheme verified, with its details.
    pub proof: Proof,
}

/// The verifier for deliveries signed with keys from a JWKS.
///
/// Defaults: both schemes accepted, tolerance 300 s, `svix-*` aliases read, JWT leeway
/// [`DEFAULT_LEEWAY`] (60 s), no audience (so JWTs fail with `jwt_audience_not_configured`
/// until [`JwksVerifier::audience`] is called), no issuer check, no body binding required.
///
/// A JWT is checked in this order, and the first failure is returned: an audience is
/// configured; size at most 8 KiB before any parsing; three canonical base64url segments;
/// header `alg` exactly `RS256` (pinned here, never taken from the token); no `crit`; a
/// `kid` that names an RSA key of the set; the RS256 signature; `exp` required; `exp`,
/// `nbf` and `iat` (when present) within the leeway; `aud` one of the configured audiences;
/// `iss` equal to the configured issuer (when one is configured); `webhook_id` and
/// `body_sha256` verified when present, and `body_sha256` required when
/// [`JwksVerifier::require_body_binding`] is set. `jwk`, `jku`, `x5u`, `x5c` and `typ` are
/// never read: keys come only from the set.
#[derive(Clone, Debug)]
pub struct JwksVerifier {
    envelope: Verifier,
    accept_v1a: bool,
    accept_jwt: bool,
    audiences: Vec<String>,
    issuer: Option<String>,
    leeway: u64,
    require_body_binding: bool,
}

impl Default for JwksVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl JwksVerifier {
    /// A verifier with the defaults above.
    pub fn new() -> Self {
        Self {
            envelope: Verifier::new(),
            accept_v1a: true,
            accept_jwt: true,
            audiences: Vec::new(),
            issuer: None,
            leeway: DEFAULT_LEEWAY.as_secs(),
            require_body_binding: false,
        }
    }

    /// Sets the `webhook-timestamp` tolerance, each way (default
    /// [`crate::DEFAULT_TOLERANCE`], 300 s).
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.envelope = self.envelope.tolerance(tolerance);
        self
    }

    /// Whether the `svix-*` header aliases are read (default `true`), as for [`Verifier`].
    pub fn svix_aliases(mut self, accept: bool) -> Self {
        self.envelope = self.envelope.svix_aliases(accept);
        self
    }

    /// Whether `v1a` entries are accepted (default `true`).
    pub fn accept_v1a(mut self, accept: bool) -> Self {
        self.accept_v1a = accept;
        self
    }

    /// Whether JWTs are accepted (default `true`).
    pub fn accept_jwt(mut self, accept: bool) -> Self {
        self.accept_jwt = accept;
        self
    }

    /// Accepts exactly `scheme`: `v1a` entries for [`Scheme::V1aJwks`], tokens for
    /// [`Scheme::Jwt`], nothing for the schemes whose keys do not come from a key set.
    pub fn only(self, scheme: Scheme) -> Self {
        self.accept_v1a(scheme == Scheme::V1aJwks)
            .accept_jwt(scheme == Scheme::Jwt)
    }

    /// Adds an accepted JWT audience (repeat for several). At least one is required for
    /// the JWT path: Google's documentation checks `aud`, and without it a token minted for
    /// another receiver would verify here.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Requires `iss` to equal `issuer`. Without it, `iss` is not checked (Google documents
    /// no issuer).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Sets the clock-skew allowance for `exp`, `nbf` and `iat` (whole seconds).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.as_secs();
        self
    }

    /// Requires JWTs to carry a `body_sha256` claim (default `false`, since Google
    /// documents no body binding). When `false`, a token without one verifies and
    /// [`Proof::Jwt::body_bound`] says so.
    pub fn require_body_binding(mut self, require: bool) -> Self {
        self.require_body_binding = require;
        self
    }

    /// The timestamp tolerance in seconds.
    pub fn tolerance_secs(&self) -> u64 {
        self.envelope.tolerance_secs()
    }

    /// The JWT leeway in seconds.
    pub fn leeway_secs(&self) -> u64 {
        self.leeway
    }

    /// Verifies a delivery against `jwks` and the system clock.
    pub fn verify<H: HeaderSource + ?Sized>(
        &self,
        jwks: &Jwks,
        headers: &H,
        body: &[u8],
    ) -> Result<JwksVerified, JwksVerifyError> {
        self.verify_at(jwks, headers, body, unix_now())
    }

    /// Verifies a delivery against `jwks` as if the time were `now` (Unix seconds).
    ///
    /// Checks, in order: header prefix, id, timestamp grammar, freshness, signature header
    /// present; then for a JWT the token checks listed on [`JwksVerifier`]; for `v1a` every
    /// entry against every Ed25519 key of the set.
    pub fn verify_at<H: HeaderSource + ?Sized>(
        &self,
        jwks: &Jwks,
        headers: &H,
        body: &[u8],
        now: u64,
    ) -> Result<JwksVerified, JwksVerifyError> {
        let envelope = self.envelope.envelope_at(headers, now)?;
        if jwt::is_jwt_value(envelope.signature) {
            if !self.accept_jwt {
                return Err(JwksVerifyError::SchemeNotAccepted { scheme: "jwt" });
            }
            if self.audiences.is_empty() {
                return Err(JwksVerifyError::JwtAudienceNotConfigured);
            }
            let policy = jwt::Policy {
                audiences: &self.audiences,
                issuer: self.issuer.as_deref(),
                leeway: self.leeway,
                require_body_binding: self.require_body_binding,
            };
            let checked = check_token(envelope.signature, jwks, &policy, envelope.id, body, now)?;
            return Ok(JwksVerified {
                id: envelope.webhook_id(),
                timestamp: envelope.timestamp,
                kid: Some(checked.kid),
                svix_aliases: envelope.svix,
                proof: Proof::Jwt {
                    claims: checked.claims,
                    id_bound: checked.id_bound,
                    body_bound: checked.body_bound,
                },
            });
        }
        if !self.accept_v1a {
            return Err(JwksVerifyError::SchemeNotAccepted { scheme: "v1a" });
        }
        // The JWKS's Ed25519 keys become an ordinary `v1a` verifier: one implementation of
        // the entry grammar, `verify_strict` and the timestamp window.
        let verifier = jwks
            .ed25519_keys()
            .fold(self.envelope.clone(), |v, (_, key)| v.with_public_key(*key));
        match verifier.verify_at(headers, body, now) {
            Ok(verified) => {
                let key_index = verified.matched.key_index;
                Ok(JwksVerified {
                    id: verified.id,
                    timestamp: verified.timestamp,
                    kid: jwks
                        .ed25519_keys()
                        .nth(key_index)
                        .and_then(|(kid, _)| kid.map(str::to_owned)),
                    svix_aliases: verified.svix_aliases,
                    proof: Proof::V1a {
                        key_index,
                        entry_index: verified.matched.entry_index,
                    },
                })
            }
            Err(VerifyError::NoKeysConfigured) => {
                Err(JwksVerifyError::NoUsableKey { scheme: "v1a" })
            }
            Err(error) => Err(error.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::DEFAULT_TOLERANCE;

    #[test]
    fn defaults_are_documented_values() {
        let v = JwksVerifier::new();
        assert_eq!(v.tolerance_secs(), DEFAULT_TOLERANCE.as_secs());
        assert_eq!(v.leeway_secs(), 60);
        assert!(v.audiences.is_empty() && v.issuer.is_none() && !v.require_body_binding);
    }
}
