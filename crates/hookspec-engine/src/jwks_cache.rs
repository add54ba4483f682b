//! A fetching, caching JWKS client (feature `cli`): how a receiver of Gemini's per-request
//! webhooks keeps the published keys without fetching them for every delivery, picks up a
//! new key as soon as a delivery needs it, and cannot be made to hammer the key server.
//!
//! Policy (all values configurable through [`CachePolicy`]):
//!
//! * The set is fetched on first use, over HTTPS with [`crate::net::http_client_with`] (rustls on
//!   ring, redirects never followed). Plain `http://` is refused except to a loopback host
//!   (tests) unless [`CachePolicy::allow_insecure_http`] is set: a key set fetched in clear
//!   text lets anyone on the path choose the keys.
//! * It stays fresh for `Cache-Control: max-age` seconds, minus `Age` ([`cache_lifetime`]),
//!   capped at [`CachePolicy::max_ttl`] (1 h) so a removed key stops being trusted within
//!   the cap; without `max-age`, [`CachePolicy::default_ttl`] (5 min); `no-store` and
//!   `no-cache` mean 0. Once stale it is refetched on next use.
//! * A delivery whose key is missing (unknown `kid`, a `v1a` signature no key matches, no
//!   key for the scheme: [`JwksVerifyError::is_key_miss`]) triggers one refetch and one more
//!   verification, so a rotated-in key is accepted at once.
//! * Every fetch, whatever its trigger, is at least [`CachePolicy::min_refetch_interval`]
//!   (30 s) after the previous attempt, so a flood of forged deliveries makes at most one
//!   request per interval. Concurrent misses wait for the one fetch in flight.
//! * A failed fetch (network, status, invalid document) keeps the previous set in use
//!   (stale-if-error); with no previous set, verification fails with `jwks_fetch_failed`
//!   (or `jwks_invalid*`).
//!
//! Every method takes the time explicitly (`_at(now)`), so tests drive the cache's clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::net::{http_client_with, redact_userinfo};
use crate::transport::Transport;
use hookspec::internal::unix_now;
use hookspec::{
    HeaderSource, JWKS_MAX_BYTES, Jwks, JwksError, JwksVerified, JwksVerifier, JwksVerifyError,
};

/// How long a key set is kept and how often it may be fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachePolicy {
    default_ttl: Duration,
    max_ttl: Duration,
    min_refetch_interval: Duration,
    fetch_timeout: Duration,
    allow_insecure_http: bool,
}

impl Default for CachePolicy {
    /// Default TTL 5 min, cap 1 h, at most one fetch per 30 s, 10 s fetch timeout, plain
    /// HTTP only to loopback hosts.
    fn default() -> Self {
        Self {
            default_ttl: Duration::from_secs(300),
            max_ttl: Duration::from_secs(3600),
            min_refetch_interval: Duration::from_secs(30),
            fetch_timeout: Duration::from_secs(10),
            allow_insecure_http: false,
        }
    }
}

impl CachePolicy {
    /// Freshness when the response has no `max-age` (default 5 min).
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.default_ttl = ttl;
        self
    }

    /// The longest a set is kept without refetching, whatever `max-age` says (default 1 h).
    pub fn max_ttl(mut self, ttl: Duration) -> Self {
        self.max_ttl = ttl;
        self
    }

    /// The shortest time between two fetch attempts (default 30 s).
    pub fn min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    /// The timeout of one fetch (default 10 s).
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Allows `http://` key-set URLs to any host (default: loopback hosts only).
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }
}

/// What the cache holds and has done, for reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStatus {
    /// Fetch attempts made so far (successful or not).
    pub fetches: u64,
    /// When the current set was fetched (Unix seconds), if any.
    pub fetched_at: Option<u64>,
    /// When the current set goes stale (Unix seconds), if any.
    pub expires_at: Option<u64>,
    /// The error of the last attempt, if it failed.
    pub last_error: Option<JwksVerifyError>,
}

#[derive(Default)]
struct State {
    jwks: Option<Arc<Jwks>>,
    fetched_at: u64,
    expires_at: u64,
    last_attempt: Option<u64>,
    last_error: Option<JwksVerifyError>,
}

/// A key set fetched from a URL and cached (see the module documentation for the policy).
pub struct JwksCache {
    url: reqwest::Url,
    /// `url` without credentials, for every message.
    shown_url: String,
    client: reqwest::Client,
    policy: CachePolicy,
    state: tokio::sync::Mutex<State>,
    fetches: AtomicU64,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("url", &self.shown_url)
            .field("policy", &self.policy)
            .field("fetches", &self.fetches.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl JwksCache {
    /// A cache for the key set at `url` (nothing is fetched yet).
    pub fn new(url: &str, policy: CachePolicy) -> Result<Self, JwksVerifyError> {
        Self::with_transport(url, policy, &Transport::default())
    }

    /// A cache for the key set at `url`, fetched through `transport` (extra roots, no
    /// certificate check, a client certificate, extra headers: see
    /// [`crate::net::http_client_with`]). Nothing is fetched yet.
    pub fn with_transport(
        url: &str,
        policy: CachePolicy,
        transport: &Transport,
    ) -> Result<Self, JwksVerifyError> {
        let bad = |reason: String| JwksVerifyError::BadUrl { reason };
        let url = reqwest::Url::parse(url)
            .map_err(|e| bad(format!("{:?}: {e}", redact_userinfo(url))))?;
        match url.scheme() {
            "https" => {}
            "http" if policy.allow_insecure_http || is_loopback(&url) => {}
            "http" => {
                return Err(bad(
                    "plain http to a non-loopback host (anyone on the path could swap the keys)"
                        .into(),
                ));
            }
            other => return Err(bad(format!("unsupported scheme {other:?}"))),
        }
        let client = http_client_with(policy.fetch_timeout, transport)
            .map_err(|e| bad(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            shown_url: redact_userinfo(url.as_str()),
            url,
            client,
            policy,
            state: tokio::sync::Mutex::new(State::default()),
            fetches: AtomicU64::new(0),
        })
    }

    /// The key-set URL as shown in messages: without any `user:password@` (the fetch
    /// itself uses the URL as given).
    pub fn url(&self) -> &str {
        &self.shown_url
    }

    /// The policy in force.
    pub fn policy(&self) -> &CachePolicy {
        &self.policy
    }

    /// Fetch attempts made so far.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// What the cache holds and has done.
    pub async fn status(&self) -> CacheStatus {
        let state = self.state.lock().await;
        CacheStatus {
            fetches: self.fetch_count(),
            fetched_at: state.jwks.as_ref().map(|_| state.fetched_at),
            expires_at: state.jwks.as_ref().map(|_| state.expires_at),
            last_error: state.last_error.clone(),
        }
    }

    /// The current key set, fetching it if there is none or it is stale (rate limit
    /// permitting), at the system clock.
    pub async fn keys(&self) -> Result<Arc<Jwks>, JwksVerifyError> {
        self.keys_at(unix_now()).await
    }

    /// The current key set as of `now`: fetched if there is none or it is stale and the
    /// last attempt is at least the minimum interval old; a stale set is returned when no
    /// fetch is allowed or the fetch fails.
    pub async fn keys_at(&self, now: u64) -> Result<Arc<Jwks>, JwksVerifyError> {
        let mut state = self.state.lock().await;
        if let Some(jwks) = &state.jwks
            && now < state.expires_at
        {
            return Ok(Arc::clone(jwks));
        }
        if self.may_fetch(&state, now) {
            self.fetch_into(&mut state, now).await;
        }
        current(&state)
    }

    /// Refetches now if the rate limit allows (for example after a key rotation was
    /// announced), returning the set in use afterwards.
    pub async fn refresh_at(&self, now: u64) -> Result<Arc<Jwks>, JwksVerifyError> {
        let mut state = self.state.lock().await;
        if self.may_fetch(&state, now) {
            self.fetch_into(&mut state, now).await;
        }
        current(&state)
    }

    /// Verifies a delivery with the cached set at the system clock.
    pub async fn verify<H: HeaderSource + ?Sized>(
        &self,
        verifier: &JwksVerifier,
        headers: &H,
        body: &[u8],
    ) -> Result<JwksVerified, JwksVerifyError> {
        self.verify_at(verifier, headers, body, unix_now()).await
    }

    /// Verifies a delivery with the cached set as of `now`; on a key miss, refetches once
    /// (rate limit permitting) and verifies again with the new set.
    pub async fn verify_at<H: HeaderSource + ?Sized>(
        &self,
        verifier: &JwksVerifier,
        headers: &H,
        body: &[u8],
        now: u64,
    ) -> Result<JwksVerified, JwksVerifyError> {
        let jwks = self.keys_at(now).await?;
        let error = match verifier.verify_at(&jwks, headers, body, now) {
            Ok(verified) => return Ok(verified),
            Err(error) if error.is_key_miss() => error,
            Err(error) => return Err(error),
        };
        match self.refresh_after_miss(now, &jwks).await {
            Some(newer) => verifier.verify_at(&newer, headers, body, now),
            None => Err(error),
        }
    }

    /// After a miss against `seen`: the newer set if another task already replaced it,
    /// else a fresh fetch if the rate limit allows; `None` when nothing newer is available.
    async fn refresh_after_miss(&self, now: u64, seen: &Arc<Jwks>) -> Option<Arc<Jwks>> {
        let mut state = self.state.lock().await;
        if let Some(jwks) = &state.jwks
            && !Arc::ptr_eq(jwks, seen)
        {
            return Some(Arc::clone(jwks));
        }
        if !self.may_fetch(&state, now) {
            return None;
        }
        self.fetch_into(&mut state, now).await;
        state
            .jwks
            .as_ref()
            .filter(|jwks| !Arc::ptr_eq(jwks, seen))
            .cloned()
    }

    fn may_fetch(&self, state: &State, now: u64) -> bool {
        state.last_attempt.is_none_or(|last| {
            now >= last.saturating_add(self.policy.min_refetch_interval.as_secs())
        })
    }

    async fn fetch_into(&self, state: &mut State, now: u64) {
        state.last_attempt = Some(now);
        self.fetches.fetch_add(1, Ordering::Relaxed);
        match self.fetch().await {
            Ok((jwks, ttl)) => {
                state.jwks = Some(Arc::new(jwks));
                state.fetched_at = now;
                state.expires_at = now.saturating_add(ttl.as_secs());
                state.last_error = None;
            }
            Err(error) => state.last_error = Some(error),
        }
    }

    async fn fetch(&self) -> Result<(Jwks, Duration), JwksVerifyError> {
        // Messages name the URL without its credentials, whatever the HTTP client put in.
        let failed = |reason: String| JwksVerifyError::FetchFailed {
            reason: reason.replace(self.url.as_str(), &self.shown_url),
        };
        let mut response = self
            .client
            .get(self.url.clone())
            .header(
                reqwest::header::ACCEPT,
                "application/jwk-set+json, application/json",
            )
            .send()
            .await
            .map_err(|e| failed(format!("GET {}: {}", self.shown_url, transport_reason(&e))))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(failed(format!("GET {} answered {status}", self.shown_url)));
        }
        if let Some(len) = response.content_length()
            && len > JWKS_MAX_BYTES as u64
        {
            return Err(JwksError::TooLarge {
                len: usize::try_from(len).unwrap_or(usize::MAX),
                max: JWKS_MAX_BYTES,
            }
            .into());
        }
        let ttl = cache_lifetime(response.headers(), &self.policy);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            failed(format!(
                "reading {}: {}",
                self.shown_url,
                transport_reason(&e)
            ))
        })? {
            if body.len() + chunk.len() > JWKS_MAX_BYTES {
                return Err(JwksError::TooLarge {
                    len: body.len() + chunk.len(),
                    max: JWKS_MAX_BYTES,
                }
                .into());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((Jwks::parse(&body)?, ttl))
    }
}

fn current(state: &State) -> Result<Arc<Jwks>, JwksVerifyError> {
    match (&state.jwks, &state.last_error) {
        (Some(jwks), _) => Ok(Arc::clone(jwks)),
        (None, Some(error)) => Err(error.clone()),
        (None, None) => Err(JwksVerifyError::FetchFailed {
            reason: "no key set fetched yet".into(),
        }),
    }
}

/// How long a fetched key set stays fresh: `Cache-Control: max-age` (the smallest, if
/// repeated; `no-store` / `no-cache` count as 0) minus `Age`, or the policy's default TTL
/// without `max-age`, and never more than the policy's cap. `s-maxage`, `Expires` and the
/// other directives are ignored.
pub fn cache_lifetime(headers: &http::HeaderMap, policy: &CachePolicy) -> Duration {
    let mut max_age: Option<u64> = None;
    for value in headers.get_all(http::header::CACHE_CONTROL) {
        let Ok(text) = value.to_str() else { continue };
        for directive in text.split(',') {
            let (name, arg) = match directive.split_once('=') {
                Some((name, arg)) => (name.trim(), Some(arg.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            let seconds = if name.eq_ignore_ascii_case("max-age") {
                arg.and_then(delta_seconds)
            } else if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache")
            {
                Some(0)
            } else {
                None
            };
            if let Some(seconds) = seconds {
                max_age = Some(max_age.map_or(seconds, |m| m.min(seconds)));
            }
        }
    }
    let age = headers
        .get(http::header::AGE)
        .and_then(|v| v.to_str().ok())
        .and_then(delta_seconds)
        .unwrap_or(0);
    let lifetime = match max_age {
        Some(seconds) => Duration::from_secs(seconds.saturating_sub(age)),
        None => policy.default_ttl,
    };
    lifetime.min(policy.max_ttl)
}

/// RFC 9111 delta-seconds: ASCII digits; too large a value saturates.
fn delta_seconds(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse().unwrap_or(u64::MAX))
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// A transport error without the URL (already in the message) or any header values.
fn transport_reason(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "connection failed".into()
    } else {
        let mut reason = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            reason = format!("{reason}: {inner}");
            source = inner.source();
        }
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookspec::ErrorCode;

    fn lifetime(values: &[&str], age: Option<&str>) -> u64 {
        let mut headers = http::HeaderMap::new();
        for v in values {
            headers.append(http::header::CACHE_CONTROL, v.parse().unwrap());
        }
        if let Some(age) = age {
            headers.insert(http::header::AGE, age.parse().unwrap());
        }
        cache_lifetime(&headers, &CachePolicy::default()).as_secs()
    }

    #[test]
    fn reads_max_age_with_default_and_cap() {
        assert_eq!(lifetime(&[], None), 300);
        assert_eq!(lifetime(&["public, max-age=120"], None), 120);
        assert_eq!(
            lifetime(&["public, MAX-AGE=\"120\", must-revalidate"], None),
            120
        );
        assert_eq!(lifetime(&["max-age=120"], Some("20")), 100);
        assert_eq!(lifetime(&["max-age=120"], Some("500")), 0);
        assert_eq!(lifetime(&["max-age=20000"], None), 3600);
        assert_eq!(lifetime(&["max-age=99999999999999999999999"], None), 3600);
        assert_eq!(lifetime(&["max-age=120", "max-age=60"], None), 60);
        assert_eq!(lifetime(&["no-store"], None), 0);
        assert_eq!(lifetime(&["max-age=120, no-cache"], None), 0);
        assert_eq!(lifetime(&["max-age=-5"], None), 300);
        assert_eq!(lifetime(&["max-age=1.5"], None), 300);
        assert_eq!(lifetime(&["s-maxage=10"], None), 300);
    }

    #[test]
    fn verification_futures_can_run_on_a_multi_threaded_server() {
        fn assert_send<T: Send>(_: &T) {}
        fn assert_shared<T: Send + Sync>(_: &T) {}
        let cache = JwksCache::new("https://127.0.0.1/jwks.json", CachePolicy::default()).unwrap();
        let verifier = JwksVerifier::new();
        let headers = http::HeaderMap::new();
        let future = cache.verify_at(&verifier, &headers, b"", 0);
        assert_send(&future);
        assert_shared(&cache);
        assert_shared(&verifier);
    }

    #[test]
    fn refuses_clear_text_urls_to_remote_hosts() {
        let policy = CachePolicy::default();
        for ok in [
            "https://generativelanguage.googleapis.com/.well-known/jwks.json",
            "http://127.0.0.1:8080/jwks.json",
            "http://[::1]/jwks.json",
            "http://localhost/jwks.json",
        ] {
            assert!(JwksCache::new(ok, policy.clone()).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/jwks.json",
            "ftp://127.0.0.1/x",
            "not a url",
        ] {
            let error = JwksCache::new(bad, policy.clone()).unwrap_err();
            assert_eq!(error.code(), "jwks_bad_url", "{bad}");
        }
        assert!(
            JwksCache::new(
                "http://example.com/jwks.json",
                policy.allow_insecure_http(true)
            )
            .is_ok()
        );
    }
}
