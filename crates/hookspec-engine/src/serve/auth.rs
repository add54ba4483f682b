//! How the receiver decides whether a delivery is authentic, and which HTTP status a
//! rejection gets.
//!
//! The receiver does not call the [`Verifier`] directly: it goes through the
//! [`AsyncAuthenticate`] trait, so that other schemes (a JWKS-backed key set, RS256 JWTs)
//! can be plugged in without touching the server. Every synchronous [`Authenticate`] is
//! also an [`AsyncAuthenticate`].

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::{HeaderMap, StatusCode};

use hookspec::internal::is_valid_id;
use hookspec::{
    ErrorCode, MatchedKey, SVIX_ID, Scheme, Verifier, VerifyError, WEBHOOK_ID, WebhookId,
};

/// A delivery that passed authentication: what the receiver may now act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Authenticated {
    /// The idempotency key (`webhook-id`).
    pub id: WebhookId,
    /// A short, secret-free note on what matched, for the log line (e.g. `v1 key#0 entry#1`).
    pub detail: Cow<'static, str>,
}

impl Authenticated {
    /// An authenticated delivery with the given id and log detail (a `&'static str` or a
    /// `String`).
    pub fn new(id: impl Into<WebhookId>, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            id: id.into(),
            detail: detail.into(),
        }
    }
}

/// Why the receiver refused a delivery, and the status it answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejection {
    /// The HTTP status of the answer (never 2xx).
    pub status: StatusCode,
    /// A stable machine-readable code (for verification failures, the [`ErrorCode::code`] of
    /// the [`VerifyError`]).
    pub code: &'static str,
    /// A one-line, secret-free explanation, sent as the response body.
    pub message: String,
}

impl Rejection {
    /// A rejection with an explicit status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<&VerifyError> for Rejection {
    fn from(error: &VerifyError) -> Self {
        Self::new(status_for(error), error.code(), error.to_string())
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

/// The status the reference receiver answers a verification failure with.
///
/// * `400 Bad Request`: the request is not a well-formed delivery at all: `missing_id`,
///   `invalid_id`, `missing_timestamp`, `invalid_timestamp`, `missing_signature`,
///   `conflicting_headers`.
/// * `401 Unauthorized`: a well-formed delivery that fails authentication: the timestamp is
///   outside the tolerance (`timestamp_too_old`, `timestamp_too_new`), or no signature
///   entry can be checked (`no_supported_signature`) or matches (`no_matching_signature`).
/// * `500 Internal Server Error`: `no_keys_configured`, a receiver configuration error that
///   [`spawn`](super::spawn) refuses up front, so it is never answered in practice.
///
/// Codes added in later versions map to `401` (fail closed, never 2xx, never 5xx: a 5xx
/// invites the sender to retry a forgery).
pub fn status_for(error: &VerifyError) -> StatusCode {
    match error {
        VerifyError::NoKeysConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        VerifyError::ConflictingHeaders { .. }
        | VerifyError::MissingId
        | VerifyError::InvalidId
        | VerifyError::MissingTimestamp
        | VerifyError::InvalidTimestamp
        | VerifyError::MissingSignature => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNAUTHORIZED,
    }
}

/// How a receiver checks a delivery: the reference [`Verifier`] (`v1` secrets, `v1a` public
/// keys), or any other scheme.
///
/// Implementations must be pure with respect to the delivery: no side effects, since the
/// receiver acts on a delivery only after it authenticates and only once per id. They run
/// on the request task and must not block: a scheme whose keys come from the network (a
/// JWKS URL) refreshes them out of band and authenticates against its cached set.
pub trait Authenticate: Send + Sync + 'static {
    /// Checks the raw request headers and the exact body bytes, as if the time were `now`
    /// (Unix seconds).
    fn authenticate(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: u64,
    ) -> Result<Authenticated, Rejection>;

    /// How many keys this authenticator trusts; [`spawn`](super::spawn) refuses zero.
    fn key_count(&self) -> usize;
}

impl Authenticate for Verifier {
    fn authenticate(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: u64,
    ) -> Result<Authenticated, Rejection> {
        let verified = self
            .verify_at(headers, body, now)
            .map_err(|e| Rejection::from(&e))?;
        let detail = match_detail(verified.matched, verified.svix_aliases);
        Ok(Authenticated::new(verified.id, detail))
    }

    fn key_count(&self) -> usize {
        self.secrets().count() + self.public_keys().len()
    }
}

/// The log detail of a verified delivery: `v1 key#0 entry#0`, with ` svix` when the aliases
/// were read. The usual match (the first key, the first entry) is a constant, so a
/// delivery's log line costs no allocation for it.
fn match_detail(matched: MatchedKey, svix_aliases: bool) -> Cow<'static, str> {
    match (
        matched.scheme,
        matched.key_index,
        matched.entry_index,
        svix_aliases,
    ) {
        (Scheme::V1, 0, 0, false) => Cow::Borrowed("v1 key#0 entry#0"),
        (Scheme::V1a, 0, 0, false) => Cow::Borrowed("v1a key#0 entry#0"),
        (scheme, key_index, entry_index, svix_aliases) => {
            let aliases = if svix_aliases { " svix" } else { "" };
            Cow::Owned(format!(
                "{} key#{key_index} entry#{entry_index}{aliases}",
                scheme.as_str()
            ))
        }
    }
}

/// The future an [`AsyncAuthenticate`] returns.
pub type AuthFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Authenticated, Rejection>> + Send + 'a>>;

/// Like [`Authenticate`], for schemes that may wait while authenticating: a key set
/// fetched from a URL ([`super::JwksAuthenticator`]) refetches it, rate-limited, when a
/// delivery names a key it does not hold, so a rotated-in key is accepted on its first
/// delivery.
///
/// The same purity rule holds: no side effects on the delivery. Every [`Authenticate`] is
/// an `AsyncAuthenticate` that never waits.
pub trait AsyncAuthenticate: Send + Sync + 'static {
    /// Checks the raw request headers and the exact body bytes, as if the time were `now`
    /// (Unix seconds).
    fn authenticate_async<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        now: u64,
    ) -> AuthFuture<'a>;

    /// How many keys, or sources of keys (a key-set URL counts as one), this authenticator
    /// trusts; [`spawn`](super::spawn) refuses zero.
    fn key_count(&self) -> usize;
}

impl<T: Authenticate> AsyncAuthenticate for T {
    fn authenticate_async<'a>(
        &'a self,
        headers: &'a HeaderMap,
        body: &'a [u8],
        now: u64,
    ) -> AuthFuture<'a> {
        let result = self.authenticate(headers, body, now);
        Box::pin(std::future::ready(result))
    }

    fn key_count(&self) -> usize {
        Authenticate::key_count(self)
    }
}

impl<T: Authenticate + ?Sized> Authenticate for Arc<T> {
    fn authenticate(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: u64,
    ) -> Result<Authenticated, Rejection> {
        (**self).authenticate(headers, body, now)
    }

    fn key_count(&self) -> usize {
        (**self).key_count()
    }
}

/// The receiver's authenticator as configured: a synchronous one is called directly, so
/// the usual [`Verifier`] costs no boxed future per delivery; only a scheme that may wait
/// goes through [`AsyncAuthenticate`].
#[derive(Clone)]
pub(crate) enum Authenticator {
    Sync(Arc<dyn Authenticate>),
    Async(Arc<dyn AsyncAuthenticate>),
}

impl Authenticator {
    pub(crate) async fn authenticate(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: u64,
    ) -> Result<Authenticated, Rejection> {
        match self {
            Self::Sync(auth) => auth.authenticate(headers, body, now),
            Self::Async(auth) => auth.authenticate_async(headers, body, now).await,
        }
    }

    pub(crate) fn key_count(&self) -> usize {
        match self {
            Self::Sync(auth) => Authenticate::key_count(auth.as_ref()),
            Self::Async(auth) => auth.key_count(),
        }
    }
}

/// The id to print in the log line of a rejected delivery: the `webhook-id` header when it
/// is a valid id (visible ASCII, so safe to print), cut to 80 characters; `None` otherwise.
pub(crate) fn loggable_id(headers: &HeaderMap) -> Option<WebhookId> {
    let value = headers.get(WEBHOOK_ID).or_else(|| headers.get(SVIX_ID))?;
    let bytes = value.as_bytes();
    if !is_valid_id(bytes) {
        return None;
    }
    let cut = &bytes[..bytes.len().min(80)];
    // Visible ASCII, so always text.
    std::str::from_utf8(cut).ok().map(WebhookId::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_maps_to_a_documented_status() {
        let cases = [
            (VerifyError::MissingId, 400),
            (VerifyError::InvalidId, 400),
            (VerifyError::MissingTimestamp, 400),
            (VerifyError::InvalidTimestamp, 400),
            (VerifyError::MissingSignature, 400),
            (
                VerifyError::ConflictingHeaders {
                    header: "webhook-id",
                },
                400,
            ),
            (
                VerifyError::TimestampTooOld {
                    age: 301,
                    tolerance: 300,
                },
                401,
            ),
            (
                VerifyError::TimestampTooNew {
                    ahead: 301,
                    tolerance: 300,
                },
                401,
            ),
            (
                VerifyError::NoSupportedSignature {
                    entries: 1,
                    unknown: 1,
                    malformed: 0,
                    unusable: 0,
                },
                401,
            ),
            (VerifyError::NoMatchingSignature { tried: 1 }, 401),
            (VerifyError::NoKeysConfigured, 500),
        ];
        assert_eq!(cases.len(), VerifyError::CODES.len());
        for (error, status) in cases {
            assert_eq!(status_for(&error).as_u16(), status, "{}", error.code());
        }
    }

    #[test]
    fn loggable_id_refuses_unprintable_ids() {
        let mut headers = HeaderMap::new();
        assert_eq!(loggable_id(&headers), None);
        headers.insert("webhook-id", "msg_1".parse().unwrap());
        assert_eq!(loggable_id(&headers).as_deref(), Some("msg_1"));
        headers.insert("webhook-id", "a b".parse().unwrap());
        assert_eq!(loggable_id(&headers), None);
        headers.insert("webhook-id", "x".repeat(200).parse().unwrap());
        assert_eq!(loggable_id(&headers).map(|s| s.len()), Some(80));
    }
}
