//! JSON Web Key Sets (RFC 7517), as the Gemini API publishes its per-request webhook keys.
//!
//! Parsing keeps the keys hookspec can use and records every other key with the reason it
//! was set aside ([`SkippedKey`]): RFC 7517 section 5 asks implementations to ignore keys
//! whose type they do not understand, that miss required members, or whose values are out
//! of range, rather than reject the whole set. Only a document that is not a key set at all
//! (not JSON, no `keys` array, too large) is an error.
//!
//! Usable keys:
//!
//! * `kty: "OKP"`, `crv: "Ed25519"`, `x` = base64url of the 32-byte public key (RFC 8037),
//!   for `v1a` signatures. `alg`, when present, must be `EdDSA` or `Ed25519`.
//! * `kty: "RSA"`, `n` and `e` base64url big-endian integers (RFC 7518 section 6.3), for
//!   RS256 JWTs. `alg`, when present, must be `RS256`: a key published for PS256 (say) is
//!   never used for RS256.
//!
//! For both: `use`, when present, must be `sig`; `key_ops`, when present, must contain
//! `verify`; a key carrying private members (`d`, or RSA's `p`, `q`, `dp`, `dq`, `qi`,
//! `oth`: any of them gives the private key away) is refused, since a published private key
//! lets anyone sign. base64url must be canonical and unpadded. `kid` is optional and kept.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use thiserror::Error;

use super::{KeyError, PublicKey, RsaPublicKey};
use crate::ErrorCode;

/// The largest key-set document accepted, in bytes.
pub const JWKS_MAX_BYTES: usize = 256 * 1024;
/// The most keys a set may list (usable or not).
pub const JWKS_MAX_KEYS: usize = 100;

/// Key material of a usable JWK.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwkKey {
    /// An Ed25519 public key (`kty: OKP`, `crv: Ed25519`), for `v1a` signatures.
    Ed25519(PublicKey),
    /// An RSA public key (`kty: RSA`), for RS256 JWTs.
    Rsa(RsaPublicKey),
}

/// One usable key of a set, with its optional key id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    kid: Option<String>,
    key: JwkKey,
}

impl Jwk {
    /// An Ed25519 key, published with `use: sig` and `alg: EdDSA`.
    pub fn ed25519(kid: Option<&str>, key: PublicKey) -> Self {
        Self {
            kid: kid.map(str::to_owned),
            key: JwkKey::Ed25519(key),
        }
    }

    /// An RSA key, published with `use: sig` and `alg: RS256`.
    pub fn rsa(kid: Option<&str>, key: RsaPublicKey) -> Self {
        Self {
            kid: kid.map(str::to_owned),
            key: JwkKey::Rsa(key),
        }
    }

    /// The key id, if the set gave one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The key material.
    pub fn key(&self) -> &JwkKey {
        &self.key
    }

    /// The JWK as a JSON object (public members only).
    pub fn to_json_value(&self) -> Value {
        let mut object = match &self.key {
            JwkKey::Ed25519(key) => json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": URL_SAFE_NO_PAD.encode(key.as_bytes()),
                "use": "sig",
                "alg": "EdDSA",
            }),
            JwkKey::Rsa(key) => json!({
                "kty": "RSA",
                "n": URL_SAFE_NO_PAD.encode(key.modulus()),
                "e": URL_SAFE_NO_PAD.encode(key.exponent()),
                "use": "sig",
                "alg": "RS256",
            }),
        };
        if let (Some(kid), Value::Object(map)) = (&self.kid, &mut object) {
            map.insert("kid".into(), Value::String(kid.clone()));
        }
        object
    }
}

/// A parsed key set: its usable keys, in document order, and the keys set aside.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<Jwk>,
    skipped: Vec<SkippedKey>,
}

impl Jwks {
    /// A set of the given keys (for serving a JWKS, and for tests).
    pub fn new(keys: Vec<Jwk>) -> Self {
        Self {
            keys,
            skipped: Vec::new(),
        }
    }

    /// Parses a JWKS document (`{"keys": [...]}`) of at most [`JWKS_MAX_BYTES`] bytes and
    /// [`JWKS_MAX_KEYS`] keys. Unusable keys are skipped and listed in [`Jwks::skipped`].
    pub fn parse(json: &[u8]) -> Result<Self, JwksError> {
        if json.len() > JWKS_MAX_BYTES {
            return Err(JwksError::TooLarge {
                len: json.len(),
                max: JWKS_MAX_BYTES,
            });
        }
        let document: Value = serde_json::from_slice(json).map_err(|_| JwksError::NotJson)?;
        let entries = document
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JwksError::NotAKeySet)?;
        if entries.len() > JWKS_MAX_KEYS {
            return Err(JwksError::TooManyKeys {
                count: entries.len(),
                max: JWKS_MAX_KEYS,
            });
        }
        let mut set = Self::default();
        for (index, entry) in entries.iter().enumerate() {
            match parse_key(entry) {
                Ok(key) => set.keys.push(key),
                Err(reason) => set.skipped.push(SkippedKey {
                    index,
                    kid: entry.get("kid").and_then(Value::as_str).map(str::to_owned),
                    kty: entry.get("kty").and_then(Value::as_str).map(str::to_owned),
                    reason,
                }),
            }
        }
        Ok(set)
    }

    /// The usable keys, in document order.
    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    /// The keys that were set aside, with the reason for each.
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// The Ed25519 keys (for `v1a`), in document order.
    pub fn ed25519_keys(&self) -> impl Iterator<Item = (Option<&str>, &PublicKey)> {
        self.keys.iter().filter_map(|jwk| match &jwk.key {
            JwkKey::Ed25519(key) => Some((jwk.kid(), key)),
            JwkKey::Rsa(_) => None,
        })
    }

    /// The RSA keys usable for RS256 whose `kid` is exactly `kid`, in document order (a set
    /// should not repeat a `kid`, but if it does, every such key is tried).
    pub fn rs256_keys<'a>(&'a self, kid: &'a str) -> impl Iterator<Item = &'a RsaPublicKey> {
        self.keys.iter().filter_map(move |jwk| match &jwk.key {
            JwkKey::Rsa(key) if jwk.kid() == Some(kid) => Some(key),
            _ => None,
        })
    }

    /// The set as a JSON document (`{"keys": [...]}`, usable keys only), for serving.
    pub fn to_json(&self) -> String {
        let keys: Vec<Value> = self.keys.iter().map(Jwk::to_json_value).collect();
        json!({ "keys": keys }).to_string()
    }
}

/// A key of the document that was set aside, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SkippedKey {
    /// Position of the key in the document's `keys` array.
    pub index: usize,
    /// Its `kid`, if it had a string one.
    pub kid: Option<String>,
    /// Its `kty`, if it had a string one.
    pub kty: Option<String>,
    /// Why it was skipped.
    pub reason: SkipReason,
}

impl fmt::Display for SkippedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key #{}", self.index + 1)?;
        if let Some(kid) = &self.kid {
            write!(f, " (kid {kid:?})")?;
        }
        write!(f, " skipped: {} [{}]", self.reason, self.reason.code())
    }
}

/// Why a key of a set was skipped. Not an error: the rest of the set stays usable.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SkipReason {
    /// The entry is not a JSON object.
    #[error("the entry is not a JSON object")]
    NotAnObject,
    /// No `kty` string.
    #[error("no `kty` member")]
    MissingKeyType,
    /// A `kty` other than `OKP` and `RSA` (`EC`, `oct`, ...).
    #[error("key type {kty:?} is not used by hookspec")]
    UnknownKeyType {
        /// The `kty` value.
        kty: String,
    },
    /// An `OKP` key on a curve other than Ed25519 (`X25519`, `Ed448`, ...), or without `crv`.
    #[error("curve {crv:?} is not Ed25519")]
    UnsupportedCurve {
        /// The `crv` value (empty when absent).
        crv: String,
    },
    /// `use` is present and is not `sig`.
    #[error("`use` is {value:?}, not \"sig\"")]
    NotForSignatures {
        /// The `use` value.
        value: String,
    },
    /// `key_ops` is present and does not contain `verify`.
    #[error("`key_ops` does not allow \"verify\"")]
    VerifyNotAllowed,
    /// `alg` names an algorithm hookspec does not verify with this key type (an RSA key
    /// for `PS256`, say): the key is never used for another algorithm.
    #[error("`alg` {alg:?} is not RS256 (RSA) or EdDSA (Ed25519)")]
    UnsupportedAlgorithm {
        /// The `alg` value.
        alg: String,
    },
    /// A member the key type requires is absent.
    #[error("the required member `{member}` is missing")]
    MissingMember {
        /// The member name.
        member: &'static str,
    },
    /// A member has the wrong JSON type or is not canonical unpadded base64url.
    #[error("the member `{member}` is not of the expected form")]
    InvalidMember {
        /// The member name.
        member: &'static str,
    },
    /// The key carries private members (`d`, or one of RSA's prime factors or CRT values,
    /// each of which gives the private key away): publishing it lets anyone sign.
    #[error("the key includes private key material (`d`, `p`, `q`, `dp`, `dq`, `qi` or `oth`)")]
    PrivateKey,
    /// The decoded key is unusable (a weak Ed25519 point, an RSA modulus under 2048 bits, ...).
    #[error("{0}")]
    InvalidKey(KeyError),
}

impl ErrorCode for SkipReason {
    fn code(&self) -> &'static str {
        match self {
            Self::NotAnObject => "jwk_not_an_object",
            Self::MissingKeyType => "jwk_missing_kty",
            Self::UnknownKeyType { .. } => "jwk_unknown_kty",
            Self::UnsupportedCurve { .. } => "jwk_unsupported_curve",
            Self::NotForSignatures { .. } => "jwk_not_for_signatures",
            Self::VerifyNotAllowed => "jwk_verify_not_allowed",
            Self::UnsupportedAlgorithm { .. } => "jwk_unsupported_alg",
            Self::MissingMember { .. } => "jwk_missing_member",
            Self::InvalidMember { .. } => "jwk_invalid_member",
            Self::PrivateKey => "jwk_private_key",
            Self::InvalidKey(_) => "jwk_invalid_key",
        }
    }
}

/// Why a document is not a usable key set at all.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The document is larger than [`JWKS_MAX_BYTES`].
    #[error("the key set is {len} bytes; at most {max} are accepted")]
    TooLarge {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The document is not JSON.
    #[error("the key set is not valid JSON")]
    NotJson,
    /// The document is JSON but not an object with a `keys` array.
    #[error("the key set is not a JSON object with a `keys` array")]
    NotAKeySet,
    /// More than [`JWKS_MAX_KEYS`] keys.
    #[error("the key set lists {count} keys; at most {max} are accepted")]
    TooManyKeys {
        /// How many keys it lists.
        count: usize,
        /// The limit.
        max: usize,
    },
}

impl ErrorCode for JwksError {
    fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "jwks_too_large",
            Self::NotJson => "jwks_invalid_json",
            Self::NotAKeySet => "jwks_invalid",
            Self::TooManyKeys { .. } => "jwks_too_many_keys",
        }
    }
}

/// The private members of a JWK (RFC 7518 sections 6.2.2 and 6.3.2): `d` for every key
/// type, and RSA's prime factors and CRT values. A JWK carrying any of them is skipped.
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// Parses one entry of the `keys` array.
fn parse_key(entry: &Value) -> Result<Jwk, SkipReason> {
    let object = entry.as_object().ok_or(SkipReason::NotAnObject)?;
    let kty = optional_str(object, "kty")?.ok_or(SkipReason::MissingKeyType)?;
    if !matches!(kty, "OKP" | "RSA") {
        return Err(SkipReason::UnknownKeyType { kty: kty.into() });
    }
    let kid = optional_str(object, "kid")?.map(str::to_owned);
    if let Some(usage) = optional_str(object, "use")?
        && usage != "sig"
    {
        return Err(SkipReason::NotForSignatures {
            value: usage.into(),
        });
    }
    if let Some(ops) = object.get("key_ops") {
        let ops = ops
            .as_array()
            .ok_or(SkipReason::InvalidMember { member: "key_ops" })?;
        if !ops.iter().any(|op| op.as_str() == Some("verify")) {
            return Err(SkipReason::VerifyNotAllowed);
        }
    }
    if PRIVATE_MEMBERS
        .iter()
        .any(|member| object.contains_key(*member))
    {
        return Err(SkipReason::PrivateKey);
    }
    let alg = optional_str(object, "alg")?;
    let key = if kty == "OKP" {
        let crv = optional_str(object, "crv")?.unwrap_or_default();
        if crv != "Ed25519" {
            return Err(SkipReason::UnsupportedCurve { crv: crv.into() });
        }
        if let Some(alg) = alg.filter(|a| !matches!(*a, "EdDSA" | "Ed25519")) {
            return Err(SkipReason::UnsupportedAlgorithm { alg: alg.into() });
        }
        let x = b64url_member(object, "x")?;
        JwkKey::Ed25519(PublicKey::from_bytes(&x).map_err(SkipReason::InvalidKey)?)
    } else {
        if let Some(alg) = alg.filter(|a| *a != "RS256") {
            return Err(SkipReason::UnsupportedAlgorithm { alg: alg.into() });
        }
        let n = b64url_member(object, "n")?;
        let e = b64url_member(object, "e")?;
        JwkKey::Rsa(RsaPublicKey::from_components(&n, &e).map_err(SkipReason::InvalidKey)?)
    };
    Ok(Jwk { kid, key })
}

/// A member that must be a string when present.
fn optional_str<'a>(
    object: &'a Map<String, Value>,
    member: &'static str,
) -> Result<Option<&'a str>, SkipReason> {
    match object.get(member) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(SkipReason::InvalidMember { member }),
    }
}

/// A required member holding canonical unpadded base64url.
fn b64url_member(object: &Map<String, Value>, member: &'static str) -> Result<Vec<u8>, SkipReason> {
    let text = optional_str(object, member)?.ok_or(SkipReason::MissingMember { member })?;
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| SkipReason::InvalidMember { member })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::SigningKey;

    #[test]
    fn round_trips_through_json() {
        let ed = SigningKey::from_seed(&[7; 32]).public_key();
        let set = Jwks::new(vec![Jwk::ed25519(Some("ed-1"), ed), Jwk::ed25519(None, ed)]);
        let parsed = Jwks::parse(set.to_json().as_bytes()).unwrap();
        assert_eq!(parsed, set);
        assert_eq!(
            parsed
                .ed25519_keys()
                .map(|(kid, _)| kid)
                .collect::<Vec<_>>(),
            [Some("ed-1"), None]
        );
    }

    #[test]
    fn skips_unusable_keys_with_reasons() {
        let ed = SigningKey::from_seed(&[7; 32]).public_key();
        let x = URL_SAFE_NO_PAD.encode(ed.as_bytes());
        let doc = json!({"keys": [
            {"kty": "EC", "crv": "P-256", "kid": "ec"},
            {"kty": "OKP", "crv": "X25519", "x": x},
            {"kty": "OKP", "crv": "Ed25519", "x": x, "use": "enc"},
            {"kty": "OKP", "crv": "Ed25519", "x": x, "key_ops": ["sign"]},
            {"kty": "OKP", "crv": "Ed25519", "x": x, "alg": "ES256"},
            {"kty": "OKP", "crv": "Ed25519"},
            {"kty": "OKP", "crv": "Ed25519", "x": format!("{x}=")},
            {"kty": "OKP", "crv": "Ed25519", "x": x, "d": x},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "p": "AQAB", "q": "AQAB"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "qi": "AQAB"},
            {"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode([0u8; 32])},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB", "alg": "PS256"},
            {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
            "not an object",
            {"kid": 5, "kty": "OKP"},
            {"crv": "Ed25519"},
            {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "good", "alg": "Ed25519"},
        ]});
        let set = Jwks::parse(doc.to_string().as_bytes()).unwrap();
        let codes: Vec<_> = set.skipped().iter().map(|s| s.reason.code()).collect();
        assert_eq!(
            codes,
            [
                "jwk_unknown_kty",
                "jwk_unsupported_curve",
                "jwk_not_for_signatures",
                "jwk_verify_not_allowed",
                "jwk_unsupported_alg",
                "jwk_missing_member",
                "jwk_invalid_member",
                "jwk_private_key",
                "jwk_private_key",
                "jwk_private_key",
                "jwk_invalid_key",
                "jwk_unsupported_alg",
                "jwk_invalid_key",
                "jwk_not_an_object",
                "jwk_invalid_member",
                "jwk_missing_kty",
            ]
        );
        assert_eq!(set.skipped()[0].kid.as_deref(), Some("ec"));
        assert_eq!(set.skipped()[0].kty.as_deref(), Some("EC"));
        assert_eq!(
            set.skipped()[12].reason,
            SkipReason::InvalidKey(KeyError::RsaKeyTooSmall { bits: 17 })
        );
        assert_eq!(set.keys().len(), 1);
        assert_eq!(set.keys()[0].kid(), Some("good"));
    }

    /// Any one private member is enough to skip a key: an RSA prime factor (or a CRT value)
    /// gives the private key away as surely as `d` does.
    #[test]
    fn skips_keys_with_any_private_member() {
        let rsa =
            crate::key::RsaSigningKey::from_pem(include_str!("../../../../tests/keys/rsa-a.pem"))
                .unwrap();
        let public = Jwk::rsa(Some("rsa-a"), rsa.public_key().clone()).to_json_value();
        let set = Jwks::parse(json!({ "keys": [public.clone()] }).to_string().as_bytes()).unwrap();
        assert_eq!(set.keys().len(), 1, "the public key alone is usable");
        for member in ["d", "p", "q", "dp", "dq", "qi", "oth"] {
            let mut leaky = public.clone();
            leaky[member] = json!("AQAB");
            let set = Jwks::parse(json!({ "keys": [leaky] }).to_string().as_bytes()).unwrap();
            assert!(set.keys().is_empty(), "{member}");
            assert_eq!(set.skipped()[0].reason, SkipReason::PrivateKey, "{member}");
        }
    }

    #[test]
    fn rejects_documents_that_are_not_key_sets() {
        assert_eq!(Jwks::parse(b"nope"), Err(JwksError::NotJson));
        assert_eq!(Jwks::parse(b"[]"), Err(JwksError::NotAKeySet));
        assert_eq!(Jwks::parse(br#"{"keys": {}}"#), Err(JwksError::NotAKeySet));
        assert_eq!(Jwks::parse(br#"{"keys": []}"#), Ok(Jwks::default()));
        let many = json!({ "keys": vec![json!({}); JWKS_MAX_KEYS + 1] }).to_string();
        assert_eq!(
            Jwks::parse(many.as_bytes()).unwrap_err().code(),
            "jwks_too_many_keys"
        );
        let big = vec![b' '; JWKS_MAX_BYTES + 1];
        assert_eq!(Jwks::parse(&big).unwrap_err().code(), "jwks_too_large");
    }
}
