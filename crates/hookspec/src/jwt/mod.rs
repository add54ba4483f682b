//! RS256 JWTs carried in `webhook-signature` (feature `jwks`): the scheme the Gemini API
//! documents for its per-request ("dynamic") webhooks, where the header's whole value is a
//! compact JWS whose `kid` names a key of the published JWKS.
//!
//! Google documents only the `kid` header, `alg = RS256` and an `aud` check. hookspec pins
//! the rest (see the book, docs/src/gemini.md): what is issued is described
//! on [`JwtSigner`], what is checked on [`crate::JwksVerifier`], since those two types are
//! the public face of this module. The helpers here that build tokens from raw parts reach
//! the checker, the vectors and the tests through `hookspec::internal::jwt`.

mod check;
mod sign;

pub(crate) use check::{Policy, check_token};
pub use sign::JwtSigner;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};

use crate::sign::HmacSha256;

/// The longest token accepted, in bytes; longer values are rejected before parsing.
/// Real RS256 tokens with a handful of claims are well under 2 KiB.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The default clock-skew allowance for `exp`, `nbf` and `iat`: 60 s.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The only algorithm accepted and issued.
pub(crate) const ALGORITHM: &str = "RS256";

/// The claim binding the token to the `webhook-id` header (hookspec's, not Google's).
pub const CLAIM_WEBHOOK_ID: &str = "webhook_id";

/// The claim binding the token to the body: unpadded base64url of SHA-256 of the raw body
/// bytes (hookspec's; Google documents no body binding).
pub const CLAIM_BODY_SHA256: &str = "body_sha256";

/// The [`CLAIM_BODY_SHA256`] value for `body`.
pub fn body_sha256(body: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(body))
}

/// Whether a `webhook-signature` value is read as a JWT rather than a Standard Webhooks
/// entry list: it has no `,` (every `version,signature` entry has one) and has a `.`.
pub fn is_jwt_value(value: &[u8]) -> bool {
    !value.contains(&b',') && value.contains(&b'.')
}

/// Assembles a compact JWS from the exact header and claims JSON bytes and the raw
/// signature (empty for an unsecured `alg: none` token).
pub fn compact(header_json: &[u8], claims_json: &[u8], signature: &[u8]) -> String {
    let mut token = signing_input(header_json, claims_json);
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    token
}

/// An HS256 token over the exact header and claims bytes, keyed with `secret`. hookspec
/// never accepts HS256; this builds the algorithm-confusion negative case, where the
/// "secret" is the RSA public key's PEM text ([`crate::RsaPublicKey::to_spki_pem`])
/// that a verifier taking `alg` from the token would use as an HMAC key.
pub fn sign_hs256(header_json: &[u8], claims_json: &[u8], secret: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(signing_input(header_json, claims_json).as_bytes());
    compact(header_json, claims_json, &mac.finalize().into_bytes())
}

/// The JWS signing input: `base64url(header) "." base64url(claims)`.
pub fn signing_input(header_json: &[u8], claims_json: &[u8]) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header_json),
        URL_SAFE_NO_PAD.encode(claims_json)
    )
}
