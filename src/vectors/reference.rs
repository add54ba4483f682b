//! The reference verifier behind the adapter protocol: what `vectors check --builtin` and
//! the hidden `hookspec vectors adapter` command answer, and what every committed vector is
//! tested against.
//!
//! Configuration follows the strict profile: secrets through [`Secret::parse`] (24 to 64
//! bytes, canonical padded base64), public keys through [`PublicKey::parse`], the default
//! [`Verifier`] (300 s tolerance, `svix-*` aliases read when no `webhook-*` header is
//! present). A key that does not parse is a configuration error: the answer is a rejection
//! with the `KeyError` code and `config_error: true`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::protocol::{Request, Response};
use crate::key::{PublicKey, Secret};
use crate::verify::Verifier;

/// Answers one request with the reference verifier.
pub fn respond(request: &Request) -> Response {
    let reject = |error: &str, config_error: bool| Response {
        tc_id: request.tc_id,
        accept: false,
        error: Some(error.to_string()),
        config_error,
        unsupported: None,
    };
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
    match verifier.verify_at(&request.header_list, &body, request.now) {
        Ok(_) => Response {
            tc_id: request.tc_id,
            accept: true,
            error: None,
            config_error: false,
            unsupported: None,
        },
        Err(e) => reject(e.code(), false),
    }
}
