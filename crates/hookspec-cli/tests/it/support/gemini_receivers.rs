//! Deliberately flawed receivers of Gemini's signing schemes (`v1a` with a public key,
//! `v1a-jwks`, `jwt`), in the style of [`super::receivers`]: small HTTP servers on
//! `127.0.0.1:0`, each correct except for exactly one [`GeminiFlaw`], each with the
//! observer contract at [`OBSERVE_PATH`](super::server::OBSERVE_PATH). The checker must
//! catch every one of them, in the family [`GeminiFlaw::family`] names.
//!
//! Everything a flaw does not touch is the reference behaviour: the library
//! [`JwksVerifier`] behind a [`JwksCache`] (refetch on a miss, at most once a second so
//! tests stay fast) or the [`Verifier`] for a static public key, rejections answered with the
//! reference statuses, an id store acting once per id. The flaws that accept forgeries are
//! fallbacks after the reference refused, so genuine deliveries still pass.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit as _, Mac as _};
use hookspec::ErrorCode;
use hookspec::internal::SignatureEntry;
use hookspec::{Jwks, JwksVerifier, JwksVerifyError, PublicKey, SkipReason, Verifier, VerifyError};
use hookspec_engine::jwks_cache::{CachePolicy, JwksCache};
use hookspec_engine::serve::{status_for, status_for_jwks};
use serde_json::Value;

use super::server::{
    FlawedReceiver, Receiving, Refusal, answer, header_id, spawn_receiver, unknown_gemini_event,
    webhook_headers,
};

/// One flaw, and the behaviour it gives the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeminiFlaw {
    /// JWT: accepts a token whose `alg` is `none` (any case), unsigned.
    AcceptsAlgNone,
    /// JWT: takes `alg` from the token; for `HS256` it uses the RSA key named by `kid`,
    /// as its SPKI PEM text, as the HMAC secret (algorithm confusion).
    AlgFromToken,
    /// JWT and `v1a-jwks`: fetches the key set once and never again, so a rotated-in key
    /// is refused and a removed key stays trusted.
    NeverRefetches,
    /// JWT: does not check `exp`.
    SkipsExp,
    /// JWT: does not check `aud`.
    SkipsAud,
    /// `v1a` with a public key: also accepts a `v1` HMAC keyed with the public key's 32
    /// bytes (which anyone can compute).
    V1HmacWithPublicKey,
    /// Any scheme: answers 400 to a verified event whose type is not one of the SDK's seven
    /// (`batch.cancelled`, a type added tomorrow), so Gemini retries it for 24 h and then
    /// disables the webhook.
    RejectsUnknownEventType,
    /// JWT and `v1a-jwks`: one key of the fetched set that does not parse (unknown `kty`, a
    /// member of the wrong form or length) empties the whole set (PyJWT CVE-2026-102274).
    BadKeySpoilsSet,
    /// JWT and `v1a-jwks`: ignores `use`, `key_ops`, `alg` and private members, so it
    /// verifies with keys published for encryption, for another algorithm, or compromised.
    UsesUnusableKeys,
}

impl GeminiFlaw {
    /// Every flaw.
    pub const ALL: [GeminiFlaw; 9] = [
        GeminiFlaw::AcceptsAlgNone,
        GeminiFlaw::AlgFromToken,
        GeminiFlaw::NeverRefetches,
        GeminiFlaw::SkipsExp,
        GeminiFlaw::SkipsAud,
        GeminiFlaw::V1HmacWithPublicKey,
        GeminiFlaw::RejectsUnknownEventType,
        GeminiFlaw::BadKeySpoilsSet,
        GeminiFlaw::UsesUnusableKeys,
    ];

    /// The case family expected to catch the flaw.
    pub fn family(self) -> &'static str {
        match self {
            GeminiFlaw::AcceptsAlgNone
            | GeminiFlaw::AlgFromToken
            | GeminiFlaw::SkipsExp
            | GeminiFlaw::SkipsAud => "jwt",
            GeminiFlaw::NeverRefetches
            | GeminiFlaw::BadKeySpoilsSet
            | GeminiFlaw::UsesUnusableKeys => "jwks",
            GeminiFlaw::V1HmacWithPublicKey => "v1a",
            GeminiFlaw::RejectsUnknownEventType => "body",
        }
    }
}

/// Where a flawed receiver gets its keys.
#[derive(Debug, Clone)]
pub enum GeminiKeys {
    /// A static Ed25519 public key (`--scheme v1a`).
    PublicKey(PublicKey),
    /// A key set URL; JWTs must name `audience`.
    Jwks {
        /// The key set URL (http on loopback).
        url: String,
        /// The accepted JWT audience.
        audience: String,
    },
}

/// Starts a receiver with `flaw`, trusting `keys`.
pub async fn spawn_gemini_flawed(flaw: GeminiFlaw, keys: GeminiKeys) -> FlawedReceiver {
    let auth = match keys {
        GeminiKeys::PublicKey(key) => Auth::Static(Verifier::new().with_public_key(key), key),
        GeminiKeys::Jwks { url, audience }
            if matches!(
                flaw,
                GeminiFlaw::BadKeySpoilsSet | GeminiFlaw::UsesUnusableKeys
            ) =>
        {
            let read = if flaw == GeminiFlaw::BadKeySpoilsSet {
                spoiled_by_one_bad_key
            } else {
                ignoring_usage_members
            };
            Auth::Raw(
                RawKeySet {
                    url,
                    read,
                    client: hookspec_engine::net::http_client(Duration::from_secs(10))
                        .expect("HTTP client"),
                    state: tokio::sync::Mutex::default(),
                },
                JwksVerifier::new().audience(audience),
            )
        }
        GeminiKeys::Jwks { url, audience } => {
            let never = Duration::from_secs(u64::MAX / 4);
            let policy = if flaw == GeminiFlaw::NeverRefetches {
                CachePolicy::default()
                    .min_refetch_interval(never)
                    .default_ttl(never)
                    .max_ttl(never)
            } else {
                CachePolicy::default().min_refetch_interval(Duration::from_secs(1))
            };
            Auth::Jwks(
                JwksCache::new(&url, policy).expect("a loopback key set URL"),
                JwksVerifier::new().audience(audience),
            )
        }
    };
    let state = Flawed { flaw, auth };
    spawn_receiver(state, deliver).await
}

enum Auth {
    Static(Verifier, PublicKey),
    Jwks(JwksCache, JwksVerifier),
    Raw(RawKeySet, JwksVerifier),
}

/// A key set read by a flawed parser ([`GeminiFlaw::BadKeySpoilsSet`],
/// [`GeminiFlaw::UsesUnusableKeys`]): fetched on first use and on a key miss, at most once a
/// second, like the reference cache in every other respect that matters here.
struct RawKeySet {
    url: String,
    read: fn(&[u8]) -> Jwks,
    client: reqwest::Client,
    state: tokio::sync::Mutex<(Option<Arc<Jwks>>, Option<Instant>)>,
}

impl RawKeySet {
    /// The set in use, refetched when there is none or `refresh` and the last fetch is a
    /// second old.
    async fn keys(&self, refresh: bool) -> Arc<Jwks> {
        let mut state = self.state.lock().await;
        let due = state
            .1
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
        if (state.0.is_none() || refresh) && due {
            state.1 = Some(Instant::now());
            if let Ok(response) = self.client.get(&self.url).send().await
                && let Ok(document) = response.bytes().await
            {
                state.0 = Some(Arc::new((self.read)(&document)));
            }
        }
        state.0.clone().unwrap_or_default()
    }

    async fn verify(
        &self,
        verifier: &JwksVerifier,
        headers: &HeaderMap,
        body: &[u8],
        now: u64,
    ) -> Result<hookspec::JwksVerified, JwksVerifyError> {
        match verifier.verify_at(&*self.keys(false).await, headers, body, now) {
            Err(e) if e.is_key_miss() => {
                verifier.verify_at(&*self.keys(true).await, headers, body, now)
            }
            other => other,
        }
    }
}

/// [`GeminiFlaw::BadKeySpoilsSet`]: the set, or no key at all when one of its keys does not
/// parse (skipped for what it is, not for what it is for).
fn spoiled_by_one_bad_key(document: &[u8]) -> Jwks {
    let Ok(set) = Jwks::parse(document) else {
        return Jwks::default();
    };
    let unparseable = set.skipped().iter().any(|skipped| {
        !matches!(
            skipped.reason,
            SkipReason::NotForSignatures { .. }
                | SkipReason::VerifyNotAllowed
                | SkipReason::UnsupportedAlgorithm { .. }
                | SkipReason::PrivateKey
        )
    });
    if unparseable { Jwks::default() } else { set }
}

/// [`GeminiFlaw::UsesUnusableKeys`]: the set read with `use`, `key_ops`, `alg` and the
/// private members removed from every key first.
fn ignoring_usage_members(document: &[u8]) -> Jwks {
    let Ok(mut value) = serde_json::from_slice::<Value>(document) else {
        return Jwks::default();
    };
    if let Some(keys) = value.get_mut("keys").and_then(Value::as_array_mut) {
        for key in keys.iter_mut().filter_map(Value::as_object_mut) {
            for member in [
                "use", "key_ops", "alg", "d", "p", "q", "dp", "dq", "qi", "oth",
            ] {
                key.remove(member);
            }
        }
    }
    Jwks::parse(value.to_string().as_bytes()).unwrap_or_default()
}

struct Flawed {
    flaw: GeminiFlaw,
    auth: Auth,
}

async fn deliver(State(state): Receiving<Flawed>, headers: HeaderMap, body: Bytes) -> Response {
    let now = hookspec::internal::unix_now();
    let result = state
        .authenticate(&headers, &body, now)
        .await
        .and_then(|id| {
            if state.flaw == GeminiFlaw::RejectsUnknownEventType && unknown_gemini_event(&body) {
                return Err((StatusCode::BAD_REQUEST, "unknown_event_type"));
            }
            let mut store = state.store.lock().unwrap();
            if store.seen.insert(id.clone()) {
                store.act(&id);
            }
            Ok(())
        });
    answer(result)
}

impl Flawed {
    async fn authenticate(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: u64,
    ) -> Result<String, Refusal> {
        match &self.auth {
            Auth::Static(verifier, key) => match verifier.verify_at(headers, body, now) {
                Ok(verified) => Ok(verified.id.into()),
                Err(
                    e @ (VerifyError::NoSupportedSignature { .. }
                    | VerifyError::NoMatchingSignature { .. }),
                ) if self.flaw == GeminiFlaw::V1HmacWithPublicKey
                    && hmac_with_public_key(headers, body, key) =>
                {
                    header_id(headers).ok_or((status_for(&e), e.code()))
                }
                Err(e) => Err((status_for(&e), e.code())),
            },
            Auth::Raw(set, verifier) => set
                .verify(verifier, headers, body, now)
                .await
                .map(|verified| verified.id.into())
                .map_err(|e| (status_for_jwks(&e), e.code())),
            Auth::Jwks(cache, verifier) => {
                match cache.verify_at(verifier, headers, body, now).await {
                    Ok(verified) => Ok(verified.id.into()),
                    Err(e) if self.forgives(&e, headers, cache, now).await => {
                        header_id(headers).ok_or((status_for_jwks(&e), e.code()))
                    }
                    Err(e) => Err((status_for_jwks(&e), e.code())),
                }
            }
        }
    }

    /// Whether this receiver's flaw lets the refused delivery through.
    async fn forgives(
        &self,
        error: &JwksVerifyError,
        headers: &HeaderMap,
        cache: &JwksCache,
        now: u64,
    ) -> bool {
        match (self.flaw, error) {
            (GeminiFlaw::AcceptsAlgNone, JwksVerifyError::JwtAlgNotAllowed { alg: Some(alg) }) => {
                alg.eq_ignore_ascii_case("none")
            }
            (GeminiFlaw::AlgFromToken, JwksVerifyError::JwtAlgNotAllowed { alg: Some(alg) })
                if alg == "HS256" =>
            {
                let Ok(jwks) = cache.keys_at(now).await else {
                    return false;
                };
                hs256_with_rsa_pem(headers, &jwks)
            }
            (
                GeminiFlaw::SkipsExp,
                JwksVerifyError::JwtExpired { .. } | JwksVerifyError::JwtMissingExp,
            ) => true,
            (
                GeminiFlaw::SkipsAud,
                JwksVerifyError::JwtWrongAudience | JwksVerifyError::JwtMissingAudience,
            ) => true,
            _ => false,
        }
    }
}

/// A `v1` entry equal to HMAC-SHA256(public key bytes, `id.timestamp.body`).
fn hmac_with_public_key(headers: &HeaderMap, body: &[u8], key: &PublicKey) -> bool {
    let Some((id, ts, signatures)) = webhook_headers(headers) else {
        return false;
    };
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key");
    mac.update(&hookspec::internal::signed_content(
        id.as_bytes(),
        ts.as_bytes(),
        body,
    ));
    let tag: [u8; 32] = mac.finalize().into_bytes().into();
    hookspec::internal::signature_entries(signatures.as_bytes())
        .any(|entry| matches!(entry, SignatureEntry::V1(t) if t == tag))
}

/// An HS256 token whose tag is keyed with the SPKI PEM of the RSA key its `kid` names.
fn hs256_with_rsa_pem(headers: &HeaderMap, jwks: &hookspec::Jwks) -> bool {
    let Some(token) = headers
        .get(hookspec::WEBHOOK_SIGNATURE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let parts: Vec<&str> = token.split('.').collect();
    let [h, c, s] = parts[..] else {
        return false;
    };
    let (Ok(header_json), Ok(tag)) = (URL_SAFE_NO_PAD.decode(h), URL_SAFE_NO_PAD.decode(s)) else {
        return false;
    };
    let Ok(header_value) = serde_json::from_slice::<Value>(&header_json) else {
        return false;
    };
    let Some(kid) = header_value["kid"].as_str() else {
        return false;
    };
    jwks.rs256_keys(kid).any(|key| {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.to_spki_pem().as_bytes())
            .expect("any key");
        mac.update(format!("{h}.{c}").as_bytes());
        mac.verify_slice(&tag).is_ok()
    })
}
