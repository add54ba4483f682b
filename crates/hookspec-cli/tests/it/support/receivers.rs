//! Deliberately flawed receivers: small HTTP servers on `127.0.0.1:0`, each correct except
//! for exactly one [`Flaw`], each with the observer contract at
//! [`OBSERVE_PATH`](super::server::OBSERVE_PATH). The checker must catch every one of them.
//!
//! Everything a flaw does not touch is the reference behaviour: the library [`Verifier`]
//! (strict profile, 300 s tolerance), rejections answered with
//! [`hookspec_engine::serve::status_for`] (400/401), `200` on valid and duplicate deliveries, an
//! atomic id store, a 5 MiB body limit. The verification flaws that accept forgeries are
//! built as a fallback after the reference verifier refused (so genuine deliveries still
//! pass and the flaw is the only difference).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit as _, Mac as _};
use hookspec::ErrorCode;
use hookspec::internal::SignatureEntry;
use hookspec::{Secret, Verifier, VerifyError};
use hookspec_engine::serve::status_for;

use super::json::reserialize;
use super::server::{
    FlawedReceiver, Receiving, Refusal, answer, header_id, spawn_receiver, unknown_gemini_event,
    webhook_headers,
};

/// The window between "check" and "insert" of [`Flaw::RacyDedup`]: long enough that
/// concurrent deliveries of one id reliably all pass the check, short enough that a
/// sequential run stays fast.
pub const RACE_WINDOW: Duration = Duration::from_millis(25);

/// One flaw, and the behaviour it gives the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flaw {
    /// Never checks the timestamp's freshness (grammar still checked).
    NoTimestampCheck,
    /// Rejects timestamps too far in the past, accepts any future one.
    FutureUnchecked,
    /// Tries only the first entry of the signature list.
    FirstEntryOnly,
    /// Compares only the overlap of the given and expected base64 text, so `v1,` alone, or
    /// any prefix of the right signature, passes (CVE-2024-21491 class).
    PrefixComparison,
    /// Verifies `JSON.stringify(JSON.parse(body))` instead of the raw bytes: bodies that are
    /// not compact JSON are rejected, a non-JSON body gets 400.
    ReserializedJson,
    /// Also accepts an HMAC over the body alone, which binds neither id nor timestamp.
    BodyOnlyHmac,
    /// Acts on every authenticated delivery, duplicates included.
    NoDedup,
    /// Checks the id, awaits [`RACE_WINDOW`], then inserts: concurrent duplicates all pass.
    RacyDedup,
    /// Acts on a new id before verifying; a forgery is answered 401 but had its effect.
    ProcessBeforeVerify,
    /// Answers 500 when the signature header holds only malformed entries.
    ServerErrorOnMalformedSignature,
    /// Accepts a delivery that has no signature header at all.
    MissingSignatureAccepted,
    /// Also trusts an empty HMAC key beside its secrets (an unset secret variable read as
    /// `""`, added to the list of trusted keys).
    EmptySecretTrusted,
    /// Also keys the HMAC with each secret's text, undecoded: the whole `whsec_…` string,
    /// and the base64 after the prefix.
    SecretTextAsKey,
    /// Dispatches Gemini events on the SDK's seven types and answers 400 to a verified event
    /// of any other type (bodies not in Gemini's envelope pass).
    RejectsUnknownEventType,
    /// Dies on a `v1` entry whose tag does not decode to 32 bytes (its comparison throws,
    /// as @octokit/webhooks' did in CVE-2023-50728): that delivery gets no answer, and the
    /// port is closed from then on.
    CrashesOnMalformedSignature,
}

impl Flaw {
    /// Every flaw.
    pub const ALL: [Flaw; 15] = [
        Flaw::NoTimestampCheck,
        Flaw::FutureUnchecked,
        Flaw::FirstEntryOnly,
        Flaw::PrefixComparison,
        Flaw::ReserializedJson,
        Flaw::BodyOnlyHmac,
        Flaw::NoDedup,
        Flaw::RacyDedup,
        Flaw::ProcessBeforeVerify,
        Flaw::ServerErrorOnMalformedSignature,
        Flaw::MissingSignatureAccepted,
        Flaw::EmptySecretTrusted,
        Flaw::SecretTextAsKey,
        Flaw::RejectsUnknownEventType,
        Flaw::CrashesOnMalformedSignature,
    ];

    /// The case family expected to catch the flaw.
    pub fn family(self) -> &'static str {
        match self {
            Flaw::NoTimestampCheck | Flaw::FutureUnchecked => "timestamp",
            Flaw::FirstEntryOnly => "rotation",
            Flaw::PrefixComparison
            | Flaw::BodyOnlyHmac
            | Flaw::EmptySecretTrusted
            | Flaw::SecretTextAsKey => "signature",
            Flaw::ReserializedJson | Flaw::RejectsUnknownEventType => "body",
            Flaw::NoDedup | Flaw::RacyDedup | Flaw::ProcessBeforeVerify => "duplicate",
            Flaw::ServerErrorOnMalformedSignature | Flaw::CrashesOnMalformedSignature => "response",
            Flaw::MissingSignatureAccepted => "headers",
        }
    }
}

/// Starts a receiver with `flaw`, trusting `secrets` (the first is the current one).
pub async fn spawn_flawed(flaw: Flaw, secrets: &[Secret]) -> FlawedReceiver {
    assert!(!secrets.is_empty(), "a flawed receiver needs a secret");
    let verifier = secrets
        .iter()
        .fold(Verifier::new(), |v, s| v.with_secret(s.clone()));
    let process = Arc::new(OnceLock::new());
    let state = Flawed {
        flaw,
        secrets: secrets.to_vec(),
        verifier,
        process: process.clone(),
    };
    let receiver = spawn_receiver(state, deliver).await;
    let _ = process.set(receiver.abort_handle());
    receiver
}

struct Flawed {
    flaw: Flaw,
    secrets: Vec<Secret>,
    verifier: Verifier,
    /// Stops the whole server ([`Flaw::CrashesOnMalformedSignature`]).
    process: Arc<OnceLock<tokio::task::AbortHandle>>,
}

/// Whether any `v1` entry of these `webhook-signature` values has a tag that does not decode
/// to 32 bytes (what [`Flaw::CrashesOnMalformedSignature`] dies on).
pub fn malformed_v1_tag<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> bool {
    values.into_iter().any(|value| {
        value
            .split(|&b| b == b' ')
            .filter_map(|entry| entry.strip_prefix(b"v1,"))
            .any(|tag| !STANDARD.decode(tag).is_ok_and(|bytes| bytes.len() == 32))
    })
}

fn refuse(error: &VerifyError) -> Refusal {
    (status_for(error), error.code())
}

async fn deliver(State(state): Receiving<Flawed>, headers: HeaderMap, body: Bytes) -> Response {
    let now = hookspec::internal::unix_now();
    if state.flaw == Flaw::CrashesOnMalformedSignature
        && malformed_v1_tag(
            headers
                .get_all(hookspec::WEBHOOK_SIGNATURE)
                .iter()
                .map(|v| v.as_bytes()),
        )
    {
        // The process dies: the listener closes, and this connection is dropped unanswered
        // (an unwinding handler; `resume_unwind` skips the panic hook, so nothing is printed).
        if let Some(process) = state.process.get() {
            process.abort();
        }
        std::panic::resume_unwind(Box::new("crashed on a malformed signature"));
    }
    if state.flaw == Flaw::ProcessBeforeVerify {
        // Act first, verify second; all under one lock, so acting early is the only flaw.
        let mut store = state.store.lock().unwrap();
        let id = headers
            .get(hookspec::WEBHOOK_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Some(id) = &id
            && !store.seen.contains(id)
        {
            store.act(id);
        }
        let result = match state.verifier.verify_at(&headers, &body, now) {
            Ok(verified) => {
                store.seen.insert(verified.id.into());
                Ok(())
            }
            Err(e) => Err(refuse(&e)),
        };
        return answer(result);
    }
    let id = match state.authenticate(&headers, &body, now) {
        Ok(id) => id,
        Err(refusal) => return answer(Err(refusal)),
    };
    match state.flaw {
        Flaw::NoDedup => state.store.lock().unwrap().act(&id),
        Flaw::RacyDedup => {
            let known = state.store.lock().unwrap().seen.contains(&id);
            if !known {
                tokio::time::sleep(RACE_WINDOW).await;
                let mut store = state.store.lock().unwrap();
                store.seen.insert(id.clone());
                store.act(&id);
            }
        }
        _ => {
            let mut store = state.store.lock().unwrap();
            if store.seen.insert(id.clone()) {
                store.act(&id);
            }
        }
    }
    answer(Ok(()))
}

impl Flawed {
    /// Authenticates a delivery with this receiver's flaw; the verified id on success.
    fn authenticate(&self, headers: &HeaderMap, body: &[u8], now: u64) -> Result<String, Refusal> {
        let reference = || self.verifier.verify_at(headers, body, now);
        let verified = match self.flaw {
            Flaw::NoTimestampCheck => self
                .verifier
                .clone()
                .tolerance(Duration::from_secs(u64::MAX))
                .verify_at(headers, body, now),
            Flaw::FutureUnchecked => {
                // Judge as if "now" were the timestamp when it is ahead: the past side
                // stays checked against the real clock.
                let ts = headers
                    .get(hookspec::WEBHOOK_TIMESTAMP)
                    .and_then(|v| hookspec::internal::parse_timestamp(v.as_bytes()));
                self.verifier
                    .verify_at(headers, body, ts.map_or(now, |ts| ts.max(now)))
            }
            Flaw::FirstEntryOnly => {
                let mut first_only = headers.clone();
                if let Some(value) = headers.get(hookspec::WEBHOOK_SIGNATURE) {
                    let first = value
                        .as_bytes()
                        .split(|&b| b == b' ')
                        .find(|entry| !entry.is_empty())
                        .unwrap_or_default();
                    first_only.insert(
                        hookspec::WEBHOOK_SIGNATURE,
                        axum::http::HeaderValue::from_bytes(first).expect("a part of a value"),
                    );
                }
                self.verifier.verify_at(&first_only, body, now)
            }
            Flaw::ReserializedJson => {
                let Some(compact) = reserialize(body) else {
                    return Err((StatusCode::BAD_REQUEST, "invalid_json"));
                };
                self.verifier.verify_at(headers, &compact, now)
            }
            Flaw::PrefixComparison => match reference() {
                Err(e) if signature_stage(&e) && self.prefix_match(headers, body) => {
                    return header_id(headers).ok_or_else(|| refuse(&e));
                }
                other => other,
            },
            Flaw::BodyOnlyHmac => match reference() {
                Err(e) if signature_stage(&e) && self.body_only_match(headers, body) => {
                    return header_id(headers).ok_or_else(|| refuse(&e));
                }
                other => other,
            },
            Flaw::ServerErrorOnMalformedSignature => match reference() {
                Err(VerifyError::NoSupportedSignature { malformed, .. }) if malformed > 0 => {
                    return Err((StatusCode::INTERNAL_SERVER_ERROR, "internal_error"));
                }
                other => other,
            },
            Flaw::MissingSignatureAccepted => {
                let unsigned = headers.get(hookspec::WEBHOOK_SIGNATURE).is_none()
                    && headers.get(hookspec::SVIX_SIGNATURE).is_none();
                if unsigned {
                    return header_id(headers)
                        .ok_or((StatusCode::BAD_REQUEST, VerifyError::MissingId.code()));
                }
                reference()
            }
            Flaw::EmptySecretTrusted | Flaw::SecretTextAsKey => match reference() {
                Err(e) if signature_stage(&e) && self.extra_key_match(headers, body) => {
                    return header_id(headers).ok_or_else(|| refuse(&e));
                }
                other => other,
            },
            Flaw::RejectsUnknownEventType => match reference() {
                Ok(_) if unknown_gemini_event(body) => {
                    return Err((StatusCode::BAD_REQUEST, "unknown_event_type"));
                }
                other => other,
            },
            Flaw::NoDedup
            | Flaw::RacyDedup
            | Flaw::ProcessBeforeVerify
            | Flaw::CrashesOnMalformedSignature => reference(),
        };
        verified.map(|v| v.id.into()).map_err(|e| refuse(&e))
    }

    /// The flawed comparison: for each `v1,` entry, only the overlap of the given text and
    /// the expected base64 is compared (an empty entry compares nothing and passes).
    fn prefix_match(&self, headers: &HeaderMap, body: &[u8]) -> bool {
        let Some((id, ts, signatures)) = webhook_headers(headers) else {
            return false;
        };
        let expected: Vec<String> = self
            .secrets
            .iter()
            .map(|s| {
                STANDARD.encode(hookspec::internal::tag_v1(
                    s,
                    id.as_bytes(),
                    ts.as_bytes(),
                    body,
                ))
            })
            .collect();
        signatures
            .as_bytes()
            .split(|&b| b == b' ')
            .filter_map(|entry| entry.strip_prefix(b"v1,"))
            .any(|given| {
                expected.iter().any(|e| {
                    let overlap = given.len().min(e.len());
                    given[..overlap] == e.as_bytes()[..overlap]
                })
            })
    }

    /// The flawed keys: a `v1` entry equal to the HMAC of `id.timestamp.body` under an empty
    /// key ([`Flaw::EmptySecretTrusted`]) or under a secret's text ([`Flaw::SecretTextAsKey`]).
    fn extra_key_match(&self, headers: &HeaderMap, body: &[u8]) -> bool {
        let Some((id, ts, signatures)) = webhook_headers(headers) else {
            return false;
        };
        let keys: Vec<Vec<u8>> = match self.flaw {
            Flaw::EmptySecretTrusted => vec![Vec::new()],
            _ => self
                .secrets
                .iter()
                .flat_map(|s| {
                    let whsec = s.to_whsec();
                    let bare = whsec.trim_start_matches("whsec_").as_bytes().to_vec();
                    [whsec.into_bytes(), bare]
                })
                .collect(),
        };
        let content = hookspec::internal::signed_content(id.as_bytes(), ts.as_bytes(), body);
        let tags: Vec<[u8; 32]> = keys
            .iter()
            .map(|key| {
                let mut mac =
                    hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key");
                mac.update(&content);
                mac.finalize().into_bytes().into()
            })
            .collect();
        hookspec::internal::signature_entries(signatures.as_bytes())
            .any(|entry| matches!(entry, SignatureEntry::V1(tag) if tags.contains(&tag)))
    }

    /// The flawed scheme: a `v1` entry equal to HMAC-SHA256(secret, body).
    fn body_only_match(&self, headers: &HeaderMap, body: &[u8]) -> bool {
        let Some(signatures) = headers.get(hookspec::WEBHOOK_SIGNATURE) else {
            return false;
        };
        let tags: Vec<[u8; 32]> = self
            .secrets
            .iter()
            .map(|s| {
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(s.as_bytes())
                    .expect("HMAC takes any key");
                mac.update(body);
                mac.finalize().into_bytes().into()
            })
            .collect();
        hookspec::internal::signature_entries(signatures.as_bytes())
            .any(|entry| matches!(entry, SignatureEntry::V1(tag) if tags.contains(&tag)))
    }
}

/// Whether the reference verifier got as far as the signatures (id and timestamp passed).
fn signature_stage(error: &VerifyError) -> bool {
    matches!(
        error,
        VerifyError::NoSupportedSignature { .. } | VerifyError::NoMatchingSignature { .. }
    )
}
