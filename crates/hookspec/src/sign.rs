//! Signing: produce `webhook-signature` values (Standard Webhooks `v1` and `v1a`).
//!
//! The signed content is `id + "." + timestamp + "." + body`, with the body as raw bytes
//! (UTF-8 is not required). HMAC input is streamed in three parts, so no copy of the body
//! is made; Ed25519 needs the whole message and so assembles it once.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit as _, Mac as _};
use thiserror::Error;

use crate::header::is_valid_id;
use crate::key::{Secret, SigningKey};
use crate::{ErrorCode, Scheme};

/// HMAC-SHA256, the `v1` primitive.
pub(crate) type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// A key the [`Signer`] signs with.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SigningMaterial {
    /// An HMAC secret: `v1` entries.
    Secret(Secret),
    /// An Ed25519 key: `v1a` entries.
    Ed25519(SigningKey),
}

impl SigningMaterial {
    /// The scheme of the entries this key produces.
    pub fn scheme(&self) -> Scheme {
        match self {
            Self::Secret(_) => Scheme::V1,
            Self::Ed25519(_) => Scheme::V1a,
        }
    }
}

/// Why [`Signer::sign`] refused to sign.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SignError {
    /// The signer holds no key.
    #[error("no signing key configured")]
    NoKeys,
    /// The id is empty, contains `.`, or has characters outside visible ASCII.
    #[error("the webhook id must be non-empty visible ASCII without `.`")]
    InvalidId,
    /// The timestamp is 0, which no strict receiver accepts.
    #[error("the timestamp must be a positive number of seconds since the Unix epoch")]
    InvalidTimestamp,
}

impl ErrorCode for SignError {
    fn code(&self) -> &'static str {
        match self {
            Self::NoKeys => "no_keys_configured",
            Self::InvalidId => "invalid_id",
            Self::InvalidTimestamp => "invalid_timestamp",
        }
    }
}

/// Signs deliveries with one or more keys.
///
/// With several keys, [`Signer::sign`] returns a space-separated list with one entry per key
/// in the order they were added: this is how a sender rotates keys without downtime.
#[derive(Clone, Debug, Default)]
pub struct Signer {
    keys: Vec<SigningMaterial>,
}

impl Signer {
    /// A signer with no keys yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an HMAC secret (`v1`).
    pub fn with_secret(mut self, secret: Secret) -> Self {
        self.keys.push(SigningMaterial::Secret(secret));
        self
    }

    /// Adds an Ed25519 signing key (`v1a`).
    pub fn with_signing_key(mut self, key: SigningKey) -> Self {
        self.keys.push(SigningMaterial::Ed25519(key));
        self
    }

    /// The keys, in signing order.
    pub fn keys(&self) -> &[SigningMaterial] {
        &self.keys
    }

    /// The `webhook-signature` value for a delivery.
    ///
    /// Refuses ids that a strict receiver rejects (empty, containing `.`, non-visible ASCII)
    /// and the timestamp 0: a service never needs to send those. hookspec's own negative
    /// tests sign arbitrary bytes with helpers that are not part of this API.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> Result<String, SignError> {
        if self.keys.is_empty() {
            return Err(SignError::NoKeys);
        }
        if !is_valid_id(id.as_bytes()) {
            return Err(SignError::InvalidId);
        }
        if timestamp == 0 {
            return Err(SignError::InvalidTimestamp);
        }
        let ts = timestamp.to_string();
        let entries: Vec<String> = self
            .keys
            .iter()
            .map(|key| match key {
                SigningMaterial::Secret(s) => entry_v1(s, id.as_bytes(), ts.as_bytes(), body),
                SigningMaterial::Ed25519(k) => entry_v1a(k, id.as_bytes(), ts.as_bytes(), body),
            })
            .collect();
        Ok(entries.join(" "))
    }
}

/// The raw HMAC-SHA256 tag of `id.timestamp.body`, for any bytes (no validation).
pub fn tag_v1(secret: &Secret, id: &[u8], timestamp: &[u8], body: &[u8]) -> [u8; 32] {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    feed_content(&mut mac, id, timestamp, body);
    mac.finalize().into_bytes().into()
}

/// Streams `id.timestamp.body` into a MAC.
pub(crate) fn feed_content(mac: &mut HmacSha256, id: &[u8], timestamp: &[u8], body: &[u8]) {
    mac.update(id);
    mac.update(b".");
    mac.update(timestamp);
    mac.update(b".");
    mac.update(body);
}

/// The signed content `id.timestamp.body` as one buffer (what Ed25519 signs).
pub fn signed_content(id: &[u8], timestamp: &[u8], body: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(id.len() + timestamp.len() + body.len() + 2);
    content.extend_from_slice(id);
    content.push(b'.');
    content.extend_from_slice(timestamp);
    content.push(b'.');
    content.extend_from_slice(body);
    content
}

/// A `v1,<base64>` entry over any bytes (no validation of id or timestamp).
pub fn entry_v1(secret: &Secret, id: &[u8], timestamp: &[u8], body: &[u8]) -> String {
    format!(
        "v1,{}",
        STANDARD.encode(tag_v1(secret, id, timestamp, body))
    )
}

/// A `v1a,<base64>` entry over any bytes (no validation of id or timestamp).
pub fn entry_v1a(key: &SigningKey, id: &[u8], timestamp: &[u8], body: &[u8]) -> String {
    let signature = key.sign_bytes(&signed_content(id, timestamp, body));
    format!("v1a,{}", STANDARD.encode(signature))
}
