//! The reference verifier behind the adapter protocol: what `vectors check --builtin` and
//! the hidden `hookspec vectors adapter` command answer, and what every committed vector is
//! tested against.
//!
//! Configuration follows the strict profile: secrets through [`Secret::parse`] (24 to 64
//! bytes, canonical padded base64), public keys through [`PublicKey::parse`], the default
//! [`Verifier`] (300 s tolerance, `svix-*` aliases read when no `webhook-*` header is
//! present). A key that does not parse is a configuration error: the answer is a rejection
//! with the `KeyError` code and `config_error: true`.
//!
//! `v1a-jwks` and `jwt` requests are verified with [`JwksVerifier`] against the request's
//! `jwks` (only the file's scheme accepted; the JWT audience and issuer as given;
//! `body_sha256` required when the group enforces the binding claims). A key set that
//! does not parse is a configuration error with the `JwksError` code.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::protocol::{Request, Response};
use hookspec::{ErrorCode, Jwks, JwksVerifier, PublicKey, Scheme, Secret, Verifier};

/// Answers one request with the reference verifier.
pub fn respond(request: &Request) -> Response {
    let reject = |error: &str, config_error: bool| rejection(request, error, config_error);
    if let Some(scheme) = Scheme::parse(&request.scheme).filter(|s| s.uses_jwks()) {
        return respond_jwks(request, scheme);
    }
    let mut verifier = Verifier::new();
    for text in &request.secrets {
        match Secret::parse(text) {
            Ok(secret) => verifier = verifier.with_secret(secret),
            Err(e) => return reject(e.code(), true),
        }
    }
    for text in &request.public_keys {
        match PublicKey::parse(text) {
            Ok(key) => verifier = verifier.with_public_key(key),
            Err(e) => return reject(e.code(), true),
        }
    }
    let Ok(body) = STANDARD.decode(&request.body_b64) else {
        return reject("body_b64 is not base64", false);
    };
    answer(
        request,
        verifier
            .verify_at(&request.header_list, &body, request.now)
            .map(|_| ())
            .map_err(|e| e.code()),
    )
}

/// The answer to a request whose delivery verified (`Ok`) or was refused with a code.
fn answer(request: &Request, verified: Result<(), &str>) -> Response {
    match verified {
        Ok(()) => Response {
            tc_id: request.tc_id,
            accept: true,
            error: None,
            config_error: false,
            unsupported: None,
        },
        Err(code) => rejection(request, code, false),
    }
}

/// A refusal with `error`; `config_error` when the receiver could not be configured.
fn rejection(request: &Request, error: &str, config_error: bool) -> Response {
    Response {
        tc_id: request.tc_id,
        accept: false,
        error: Some(error.to_string()),
        config_error,
        unsupported: None,
    }
}

/// Answers a `v1a-jwks` or `jwt` request with the key-set verifier.
fn respond_jwks(request: &Request, scheme: Scheme) -> Response {
    let reject = |error: &str, config_error: bool| rejection(request, error, config_error);
    let Some(document) = &request.jwks else {
        return reject("no key set (jwks) in the request", true);
    };
    let jwks = match parsed_jwks(document) {
        Ok(jwks) => jwks,
        Err(e) => return reject(e.code(), true),
    };
    let mut verifier = JwksVerifier::new()
        .only(scheme)
        .require_body_binding(request.jwt_body_binding);
    if let Some(audience) = &request.jwt_audience {
        verifier = verifier.audience(audience.clone());
    }
    if let Some(issuer) = &request.jwt_issuer {
        verifier = verifier.issuer(issuer.clone());
    }
    let Ok(body) = STANDARD.decode(&request.body_b64) else {
        return reject("body_b64 is not base64", false);
    };
    answer(
        request,
        verifier
            .verify_at(&jwks, &request.header_list, &body, request.now)
            .map(|_| ())
            .map_err(|e| e.code()),
    )
}

/// A group's key set, parsed once per process (every test of a group carries the same
/// document, and RSA key validation dominates the cost of a JWT vector). At most 16 sets
/// are kept.
fn parsed_jwks(document: &serde_json::Value) -> Result<std::sync::Arc<Jwks>, hookspec::JwksError> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Jwks>>>> = OnceLock::new();
    let text = document.to_string();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(jwks) = cache.lock().ok().and_then(|c| c.get(&text).cloned()) {
        return Ok(jwks);
    }
    let jwks = Arc::new(Jwks::parse(text.as_bytes())?);
    if let Ok(mut c) = cache.lock() {
        if c.len() >= 16 {
            c.clear();
        }
        c.insert(text, Arc::clone(&jwks));
    }
    Ok(jwks)
}
