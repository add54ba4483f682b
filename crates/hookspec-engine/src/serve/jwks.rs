//! The receiver's authenticator for Gemini's per-request webhooks: keys from a JWKS URL,
//! through the library's [`JwksCache`], so `hookspec serve --scheme v1a-jwks | jwt`
//! behaves the way the book (docs/src/gemini.md) asks a receiver to: fetch on first use, keep the set for its
//! `max-age`, refetch (rate-limited) when a delivery names a key the set lacks.

use std::sync::Arc;

use http::{HeaderMap, StatusCode};

use super::auth::{AsyncAuthenticate, AuthFuture, Authenticated, Rejection, status_for};
use crate::jwks_cache::JwksCache;
use hookspec::{ErrorCode, JwksVerified, JwksVerifier, JwksVerifyError, Proof};

/// Authenticates deliveries with a [`JwksVerifier`] and the keys of a [`JwksCache`].
///
/// The cache is shared (an `Arc`), so the caller can watch its fetches
/// ([`JwksCache::fetch_count`]). Nothing is fetched until the first delivery: the key
/// server may start after the receiver.
#[derive(Debug, Clone)]
pub struct JwksAuthenticator {
    cache: Arc<JwksCache>,
    verifier: JwksVerifier,
}

impl JwksAuthenticator {
    /// An authenticator verifying with `verifier` against the set `cache` holds.
    pub fn new(cache: Arc<JwksCache>, verifier: JwksVerifier) -> Self {
        Self { cache, verifier }
    }

    /// The key-set cache.
    pub fn cache(&self) -> &Arc<JwksCache> {
        &self.cache
    }

    /// The verifier.
    pub fn verifier(&self) -> &JwksVerifier {
        &self.verifier
    }
}

impl AsyncAuthenticate for JwksAuthenticator {
    fn authenticate_async<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        now: u64,
    ) -> AuthFuture<'a> {
        Box::pin(async move {
            self.cache
                .verify_at(&self.verifier, headers, body, now)
                .await
                .map(|verified| Authenticated::new(verified.id.clone(), detail(&verified)))
                .map_err(|error| {
                    Rejection::new(status_for_jwks(&error), error.code(), error.to_string())
                })
        })
    }

    /// One: the key-set URL (its keys are known only once fetched).
    fn key_count(&self) -> usize {
        1
    }
}

/// The log detail: scheme, kid, and for a JWT whether it bound the body.
fn detail(verified: &JwksVerified) -> String {
    let kid = verified.kid.as_deref().unwrap_or("-");
    match &verified.proof {
        Proof::V1a { entry_index, .. } => format!("v1a kid={kid} entry#{entry_index}"),
        Proof::Jwt { body_bound, .. } => {
            let bound = if *body_bound {
                "body-bound"
            } else {
                "body-unbound"
            };
            format!("jwt kid={kid} {bound}")
        }
        _ => format!("kid={kid}"),
    }
}

/// The status the reference receiver answers a key-set verification failure with.
///
/// * Header and `v1a` failures shared with the [`hookspec::Verifier`] keep [`status_for`]
///   (`400` for a malformed delivery, `401` otherwise).
/// * `503 Service Unavailable` when the key set itself could not be obtained
///   (`jwks_fetch_failed`, `jwks_bad_url`, an unusable document): the receiver could not
///   check anything, and a genuine sender should retry later. This is the one 5xx, and it
///   happens only while the key server is unreachable.
/// * `401 Unauthorized` for every other failure (every JWT check, an unknown key, a scheme
///   switched off): a well-formed delivery that does not authenticate. Codes added later
///   map to `401` too (fail closed).
pub fn status_for_jwks(error: &JwksVerifyError) -> StatusCode {
    match error {
        JwksVerifyError::Delivery(inner) => status_for(inner),
        JwksVerifyError::FetchFailed { .. }
        | JwksVerifyError::BadUrl { .. }
        | JwksVerifyError::Jwks(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNAUTHORIZED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookspec::VerifyError;

    #[test]
    fn statuses() {
        assert_eq!(
            status_for_jwks(&VerifyError::MissingId.into()).as_u16(),
            400
        );
        assert_eq!(
            status_for_jwks(&VerifyError::NoMatchingSignature { tried: 1 }.into()).as_u16(),
            401
        );
        assert_eq!(
            status_for_jwks(&JwksVerifyError::FetchFailed { reason: "x".into() }).as_u16(),
            503
        );
        for error in [
            JwksVerifyError::UnknownKid { kid: "k".into() },
            JwksVerifyError::JwtAlgNotAllowed { alg: None },
            JwksVerifyError::JwtWrongAudience,
            JwksVerifyError::SchemeNotAccepted { scheme: "jwt" },
        ] {
            assert_eq!(status_for_jwks(&error).as_u16(), 401, "{}", error.code());
        }
    }
}
