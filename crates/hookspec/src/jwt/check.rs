//! Checking one RS256 token against a key set. The order of the checks is the order of the
//! error codes in the book (docs/src/strict-profile.md), and the first failure is returned.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use super::{ALGORITHM, MAX_TOKEN_LEN};
use crate::key::Jwks;
use crate::verify::JwksVerifyError as E;

/// What the verifier requires of a token's claims.
pub(crate) struct Policy<'a> {
    /// Accepted `aud` values (at least one).
    pub(crate) audiences: &'a [String],
    /// The required `iss`, if any.
    pub(crate) issuer: Option<&'a str>,
    /// Clock-skew allowance for `exp`, `nbf`, `iat`, in seconds.
    pub(crate) leeway: u64,
    /// Whether `body_sha256` must be present.
    pub(crate) require_body_binding: bool,
}

/// A token that passed every check.
pub(crate) struct Checked {
    /// The header's `kid`.
    pub(crate) kid: String,
    /// Every claim, as sent.
    pub(crate) claims: Map<String, Value>,
    /// Whether a `webhook_id` claim was present (and matched).
    pub(crate) id_bound: bool,
    /// Whether a `body_sha256` claim was present (and matched).
    pub(crate) body_bound: bool,
}

/// The header members hookspec reads. Deriving `Deserialize` makes a repeated `alg`, `kid`
/// or `crit` an error rather than a silent last-one-wins. `jwk`, `jku`, `x5u`, `x5c` and
/// `typ` are deliberately absent: they are never used.
#[derive(Deserialize)]
struct JoseHeader {
    alg: Option<Value>,
    kid: Option<Value>,
    crit: Option<Value>,
}

/// The claims hookspec checks (repeats are an error, as for the header).
#[derive(Deserialize)]
struct Claims {
    exp: Option<Value>,
    nbf: Option<Value>,
    iat: Option<Value>,
    aud: Option<Value>,
    iss: Option<Value>,
    webhook_id: Option<Value>,
    body_sha256: Option<Value>,
}

/// Checks `token` (the whole `webhook-signature` value) for the delivery `id` / `body`.
pub(crate) fn check_token(
    token: &[u8],
    jwks: &Jwks,
    policy: &Policy<'_>,
    id: &[u8],
    body: &[u8],
    now: u64,
) -> Result<Checked, E> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(E::JwtTooLarge {
            len: token.len(),
            max: MAX_TOKEN_LEN,
        });
    }
    let mut parts = token.split(|&b| b == b'.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(E::JwtMalformed {
            reason: "not three dot-separated segments",
        });
    };
    let header_json = decode_segment(header_b64, "the header is not canonical base64url")?;
    let header: JoseHeader = from_object(
        &header_json,
        "the header is not a JSON object with unique members",
    )?;
    match &header.alg {
        Some(Value::String(alg)) if alg == ALGORITHM => {}
        Some(Value::String(alg)) => {
            return Err(E::JwtAlgNotAllowed {
                alg: Some(alg.clone()),
            });
        }
        Some(other) => {
            return Err(E::JwtAlgNotAllowed {
                alg: Some(other.to_string()),
            });
        }
        None => return Err(E::JwtAlgNotAllowed { alg: None }),
    }
    if header.crit.is_some() {
        return Err(E::JwtCritUnsupported);
    }
    let kid = match header.kid {
        Some(Value::String(kid)) => kid,
        _ => return Err(E::JwtMissingKid),
    };
    let claims_json = decode_segment(claims_b64, "the claims are not canonical base64url")?;
    let signature = decode_segment(signature_b64, "the signature is not canonical base64url")?;
    let keys: Vec<_> = jwks.rs256_keys(&kid).collect();
    if keys.is_empty() {
        return Err(E::UnknownKid { kid });
    }
    // The signing input is the token up to the second dot, exactly as received.
    let signing_input = &token[..header_b64.len() + 1 + claims_b64.len()];
    if !keys
        .iter()
        .any(|key| key.verify_rs256(signing_input, &signature))
    {
        return Err(E::JwtInvalidSignature { kid });
    }
    let fields: Claims = from_object(
        &claims_json,
        "the claims are not a JSON object with unique members",
    )?;
    let claims: Map<String, Value> =
        serde_json::from_slice(&claims_json).map_err(|_| E::JwtMalformed {
            reason: "the claims are not a JSON object",
        })?;
    check_times(&fields, policy.leeway, now)?;
    check_audience(fields.aud.as_ref(), policy.audiences)?;
    if let Some(issuer) = policy.issuer {
        match &fields.iss {
            None => return Err(E::JwtMissingIssuer),
            Some(Value::String(iss)) if iss == issuer => {}
            Some(Value::String(_)) => return Err(E::JwtWrongIssuer),
            Some(_) => return Err(E::JwtInvalidClaim { claim: "iss" }),
        }
    }
    let id_bound = match &fields.webhook_id {
        None => false,
        Some(Value::String(claimed)) if claimed.as_bytes() == id => true,
        Some(Value::String(_)) => return Err(E::WebhookIdMismatch),
        Some(_) => {
            return Err(E::JwtInvalidClaim {
                claim: "webhook_id",
            });
        }
    };
    let body_bound = match &fields.body_sha256 {
        None if policy.require_body_binding => return Err(E::BodyHashMissing),
        None => false,
        Some(claimed) => {
            let claimed = claimed
                .as_str()
                .and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
                .filter(|digest| digest.len() == 32)
                .ok_or(E::JwtInvalidClaim {
                    claim: "body_sha256",
                })?;
            if !bool::from(claimed.ct_eq(Sha256::digest(body).as_slice())) {
                return Err(E::BodyHashMismatch);
            }
            true
        }
    };
    Ok(Checked {
        kid,
        claims,
        id_bound,
        body_bound,
    })
}

/// `exp` (required), `nbf` and `iat`, each with the leeway.
fn check_times(claims: &Claims, leeway: u64, now: u64) -> Result<(), E> {
    let exp = numeric_date(claims.exp.as_ref(), "exp")?.ok_or(E::JwtMissingExp)?;
    // RFC 7519 section 4.1.4: valid only while now is before exp.
    if now >= exp.saturating_add(leeway) {
        return Err(E::JwtExpired { exp, now, leeway });
    }
    if let Some(nbf) = numeric_date(claims.nbf.as_ref(), "nbf")?
        && nbf > now.saturating_add(leeway)
    {
        return Err(E::JwtNotYetValid { nbf, now, leeway });
    }
    if let Some(iat) = numeric_date(claims.iat.as_ref(), "iat")?
        && iat > now.saturating_add(leeway)
    {
        return Err(E::JwtIssuedInFuture { iat, now, leeway });
    }
    Ok(())
}

/// `aud` is a string or an array of strings (RFC 7519 section 4.1.3); one of them must be
/// a configured audience.
fn check_audience(aud: Option<&Value>, accepted: &[String]) -> Result<(), E> {
    let matches = |candidate: &str| accepted.iter().any(|a| a == candidate);
    let found = match aud {
        None => return Err(E::JwtMissingAudience),
        Some(Value::String(single)) => matches(single),
        Some(Value::Array(list)) => {
            let mut found = false;
            for item in list {
                found |= matches(item.as_str().ok_or(E::JwtInvalidClaim { claim: "aud" })?);
            }
            found
        }
        Some(_) => return Err(E::JwtInvalidClaim { claim: "aud" }),
    };
    if found {
        Ok(())
    } else {
        Err(E::JwtWrongAudience)
    }
}

/// A NumericDate claim (RFC 7519 section 2: a JSON number of seconds since the epoch,
/// which may have a fraction), as whole seconds rounded up. Against the whole-second clock
/// this keeps every comparison exact: `now >= exp` holds exactly when `now >= ceil(exp)`,
/// and `nbf > now` exactly when `ceil(nbf) > now`. Negative dates, and numbers too large
/// for `f64` to hold whole seconds, are refused.
fn numeric_date(value: Option<&Value>, claim: &'static str) -> Result<Option<u64>, E> {
    let invalid = E::JwtInvalidClaim { claim };
    match value {
        None => Ok(None),
        Some(Value::Number(number)) => match (number.as_u64(), number.as_f64()) {
            (Some(whole), _) => Ok(Some(whole)),
            (None, Some(seconds)) if (0.0..MAX_FRACTIONAL_DATE).contains(&seconds) => {
                // In range, so the cast is exact.
                Ok(Some(seconds.ceil() as u64))
            }
            _ => Err(invalid),
        },
        Some(_) => Err(invalid),
    }
}

/// Non-integer NumericDates at or beyond this (2^53 s, where `f64` stops holding every
/// whole second) are refused: their rounding would be meaningless.
const MAX_FRACTIONAL_DATE: f64 = 9_007_199_254_740_992.0;

/// Decodes one segment as canonical unpadded base64url; empty segments are malformed.
fn decode_segment(segment: &[u8], reason: &'static str) -> Result<Vec<u8>, E> {
    match URL_SAFE_NO_PAD.decode(segment) {
        Ok(bytes) if !bytes.is_empty() => Ok(bytes),
        _ => Err(E::JwtMalformed { reason }),
    }
}

/// Deserializes a JSON object (and only an object: serde would also fill a struct from an
/// array) into `T`.
fn from_object<T: for<'de> Deserialize<'de>>(json: &[u8], reason: &'static str) -> Result<T, E> {
    let starts_object = json
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    if !starts_object {
        return Err(E::JwtMalformed { reason });
    }
    serde_json::from_slice(json).map_err(|_| E::JwtMalformed { reason })
}
