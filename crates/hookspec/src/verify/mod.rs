//! Verification: the strict-profile reference verifier for `v1` (HMAC-SHA256) and `v1a`
//! (Ed25519) deliveries, with any number of trusted keys at once (rotation).
//!
//! Checks run in this order, and the first failure is returned: keys configured; header
//! prefix chosen (`webhook-*`, or `svix-*` when no `webhook-*` header is present); id;
//! timestamp grammar; timestamp freshness; signatures. Every entry of the signature list is
//! tried against every key of its scheme; unknown versions and malformed entries are
//! skipped. Tags are compared only after decoding, in constant time (`subtle`), and Ed25519
//! signatures only through `verify_strict`.

mod error;
#[cfg(feature = "jwks")]
mod jwks;
#[cfg(feature = "jwks")]
mod jwks_error;

use std::fmt;
use std::time::Duration;

use hmac::{KeyInit as _, Mac as _};
use subtle::ConstantTimeEq as _;

pub use error::VerifyError;
#[cfg(feature = "jwks")]
pub use jwks::{JwksVerified, JwksVerifier, Proof};
#[cfg(feature = "jwks")]
pub use jwks_error::JwksVerifyError;

use crate::clock::unix_now;
use crate::header::{
    self, HeaderSource, HeaderValue, SignatureEntry, is_valid_id, parse_timestamp,
    signature_entries,
};
use crate::key::{PublicKey, Secret};
use crate::sign::{HmacSha256, feed_content, signed_content};
use crate::{Scheme, WebhookId};

/// The default timestamp tolerance: 300 s each way, as every official library uses.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Which configured key verified a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MatchedKey {
    /// The scheme of the matching entry.
    pub scheme: Scheme,
    /// Index of the key among the verifier's keys of that scheme, in the order added.
    pub key_index: usize,
    /// Index of the matching entry in the signature list (empty entries not counted).
    pub entry_index: usize,
}

/// Proof that a delivery verified: what the receiver may now act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// The `webhook-id` (the idempotency key).
    pub id: WebhookId,
    /// The `webhook-timestamp`, in Unix seconds.
    pub timestamp: u64,
    /// Which key and which entry matched.
    pub matched: MatchedKey,
    /// Whether the headers came from the `svix-*` aliases.
    pub svix_aliases: bool,
}

/// An HMAC secret together with its keyed HMAC state, computed once at construction.
#[derive(Clone)]
struct KeyedSecret {
    secret: Secret,
    keyed: HmacSha256,
}

/// The reference verifier.
///
/// ```
/// use hookspec::{Secret, Verifier};
/// let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let verifier = Verifier::new().with_secret(secret);
/// let headers = [
///     ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
///     ("webhook-timestamp", "1614265330"),
///     ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
/// ];
/// let ok = verifier.verify_at(&headers, br#"{"test": 2432232314}"#, 1614265330).unwrap();
/// assert_eq!(ok.id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
/// ```
#[derive(Clone)]
pub struct Verifier {
    secrets: Vec<KeyedSecret>,
    public_keys: Vec<PublicKey>,
    tolerance: u64,
    svix_aliases: bool,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field(
                "secrets",
                &self.secrets.iter().map(|k| &k.secret).collect::<Vec<_>>(),
            )
            .field("public_keys", &self.public_keys)
            .field("tolerance", &self.tolerance)
            .field("svix_aliases", &self.svix_aliases)
            .finish()
    }
}

impl Verifier {
    /// A verifier with no keys, a tolerance of 300 s, and `svix-*` aliases accepted.
    pub fn new() -> Self {
        Self {
            secrets: Vec::new(),
            public_keys: Vec::new(),
            tolerance: DEFAULT_TOLERANCE.as_secs(),
            svix_aliases: true,
        }
    }

    /// Trusts an HMAC secret (`v1` entries). Add every secret during a rotation.
    pub fn with_secret(mut self, secret: Secret) -> Self {
        let keyed =
            HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
        self.secrets.push(KeyedSecret { secret, keyed });
        self
    }

    /// Trusts an Ed25519 public key (`v1a` entries).
    pub fn with_public_key(mut self, key: PublicKey) -> Self {
        self.public_keys.push(key);
        self
    }

    /// Sets the timestamp tolerance, each way. Defaults to [`DEFAULT_TOLERANCE`] (300 s).
    /// Sub-second parts are ignored; a timestamp exactly at the edge is accepted.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance.as_secs();
        self
    }

    /// Whether `svix-id` / `svix-timestamp` / `svix-signature` are read when no `webhook-*`
    /// header is present. Defaults to `true`. The two sets are never mixed.
    pub fn svix_aliases(mut self, accept: bool) -> Self {
        self.svix_aliases = accept;
        self
    }

    /// The trusted secrets, in the order added.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        self.secrets.iter().map(|k| &k.secret)
    }

    /// The trusted public keys, in the order added.
    pub fn public_keys(&self) -> &[PublicKey] {
        &self.public_keys
    }

    /// The tolerance in seconds.
    pub fn tolerance_secs(&self) -> u64 {
        self.tolerance
    }

    /// Verifies a delivery against the system clock.
    pub fn verify<H: HeaderSource + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<Verified, VerifyError> {
        self.verify_at(headers, body, unix_now())
    }

    /// Verifies a delivery as if the current time were `now` (Unix seconds).
    pub fn verify_at<H: HeaderSource + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: u64,
    ) -> Result<Verified, VerifyError> {
        if self.secrets.is_empty() && self.public_keys.is_empty() {
            return Err(VerifyError::NoKeysConfigured);
        }
        let envelope = self.envelope_at(headers, now)?;
        let matched =
            self.match_signature(envelope.id, envelope.ts_text, body, envelope.signature)?;
        Ok(Verified {
            id: envelope.webhook_id(),
            timestamp: envelope.timestamp,
            matched,
            svix_aliases: envelope.svix,
        })
    }

    /// The header checks shared by every scheme, in order: header prefix chosen, id,
    /// timestamp grammar, freshness, signature header present. Keys are not consulted, so
    /// the JWKS verifier reuses this for its `v1a` and JWT paths.
    pub(crate) fn envelope_at<'a, H: HeaderSource + ?Sized>(
        &self,
        headers: &'a H,
        now: u64,
    ) -> Result<Envelope<'a>, VerifyError> {
        let found = self.select_headers(headers);
        let [id, ts_text, signature] = found.values;
        let [id_name, ts_name, signature_name] = found.names;
        let id = required(id, id_name, VerifyError::MissingId)?;
        if !is_valid_id(id) {
            return Err(VerifyError::InvalidId);
        }
        let ts_text = required(ts_text, ts_name, VerifyError::MissingTimestamp)?;
        let timestamp = parse_timestamp(ts_text).ok_or(VerifyError::InvalidTimestamp)?;
        self.check_freshness(timestamp, now)?;
        let signature = required(signature, signature_name, VerifyError::MissingSignature)?;
        Ok(Envelope {
            id,
            ts_text,
            timestamp,
            signature,
            svix: found.svix,
        })
    }

    /// Finds the three `webhook-*` headers (in one [`HeaderSource::for_each_value_of`] pass:
    /// lookups dominate the cost of verifying a small delivery), or their `svix-*` aliases
    /// when none is present.
    fn select_headers<'h, H: HeaderSource + ?Sized>(&self, headers: &'h H) -> FoundHeaders<'h> {
        const WEBHOOK: [&str; 3] = [
            header::WEBHOOK_ID,
            header::WEBHOOK_TIMESTAMP,
            header::WEBHOOK_SIGNATURE,
        ];
        const SVIX: [&str; 3] = [
            header::SVIX_ID,
            header::SVIX_TIMESTAMP,
            header::SVIX_SIGNATURE,
        ];
        let absent =
            |values: &[HeaderValue<'_>; 3]| values.iter().all(|v| *v == HeaderValue::Absent);
        let webhook = header::values_of(headers, &WEBHOOK);
        if self.svix_aliases && absent(&webhook) {
            let svix = header::values_of(headers, &SVIX);
            if !absent(&svix) {
                return FoundHeaders {
                    values: svix,
                    names: SVIX,
                    svix: true,
                };
            }
        }
        FoundHeaders {
            values: webhook,
            names: WEBHOOK,
            svix: false,
        }
    }

    fn check_freshness(&self, timestamp: u64, now: u64) -> Result<(), VerifyError> {
        let tolerance = self.tolerance;
        if timestamp.saturating_add(tolerance) < now {
            return Err(VerifyError::TimestampTooOld {
                age: now - timestamp,
                tolerance,
            });
        }
        if timestamp > now.saturating_add(tolerance) {
            return Err(VerifyError::TimestampTooNew {
                ahead: timestamp - now,
                tolerance,
            });
        }
        Ok(())
    }

    fn match_signature(
        &self,
        id: &[u8],
        timestamp: &[u8],
        body: &[u8],
        signatures: &[u8],
    ) -> Result<MatchedKey, VerifyError> {
        // Expected tags and the Ed25519 message are computed at most once, on first need.
        let mut tags = ExpectedTags::NotYet;
        if signatures.starts_with(b"v1,") {
            // The tag first: SHA-256 on the SHA extensions runs at the latency of its
            // rounds, and the entry decoding that follows executes alongside it.
            if let [only] = self.secrets.as_slice() {
                // The usual delivery: its first entry is decoded into words and compared
                // with the tag there (see `header::decode_v1_words`). Whatever this does not
                // match, the loop below tries from the first entry on, as without it.
                let expected = only.tag(id, timestamp, body);
                if let Some(candidate) = header::leading_v1_words(signatures)
                    && tag_words_equal(&expected, &candidate)
                {
                    return Ok(MatchedKey {
                        scheme: Scheme::V1,
                        key_index: 0,
                        entry_index: 0,
                    });
                }
                tags = ExpectedTags::One(expected);
            } else {
                tags.get(self, id, timestamp, body);
            }
        }
        let mut message: Option<Vec<u8>> = None;
        let (mut entries, mut unknown, mut malformed, mut unusable, mut tried) = (0, 0, 0, 0, 0);
        for (entry_index, entry) in signature_entries(signatures).enumerate() {
            entries += 1;
            let found = match entry {
                SignatureEntry::V1(candidate) if !self.secrets.is_empty() => {
                    tried += 1;
                    tags.get(self, id, timestamp, body)
                        .iter()
                        .position(|tag| tags_equal(tag, &candidate))
                        .map(|key_index| (Scheme::V1, key_index))
                }
                SignatureEntry::V1a(candidate) if !self.public_keys.is_empty() => {
                    tried += 1;
                    let message =
                        message.get_or_insert_with(|| signed_content(id, timestamp, body));
                    self.public_keys
                        .iter()
                        .position(|key| key.verify_strict(message, &candidate))
                        .map(|key_index| (Scheme::V1a, key_index))
                }
                SignatureEntry::V1(_) | SignatureEntry::V1a(_) => {
                    unusable += 1;
                    None
                }
                SignatureEntry::Unknown { .. } => {
                    unknown += 1;
                    None
                }
                SignatureEntry::Malformed(_) => {
                    malformed += 1;
                    None
                }
            };
            if let Some((scheme, key_index)) = found {
                return Ok(MatchedKey {
                    scheme,
                    key_index,
                    entry_index,
                });
            }
        }
        Err(match (entries, tried) {
            (0, _) => VerifyError::MissingSignature,
            (_, 0) => VerifyError::NoSupportedSignature {
                entries,
                unknown,
                malformed,
                unusable,
            },
            _ => VerifyError::NoMatchingSignature { tried },
        })
    }
}

impl KeyedSecret {
    /// The `v1` tag of `id.timestamp.body` under this secret.
    fn tag(&self, id: &[u8], timestamp: &[u8], body: &[u8]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        feed_content(&mut mac, id, timestamp, body);
        mac.finalize().into_bytes().into()
    }
}

/// The expected `v1` tags of one delivery, one per secret, computed on first need and then
/// reused for every further `v1` entry. The usual single secret needs no allocation.
enum ExpectedTags {
    NotYet,
    One([u8; 32]),
    Many(Vec<[u8; 32]>),
}

impl ExpectedTags {
    fn get(
        &mut self,
        verifier: &Verifier,
        id: &[u8],
        timestamp: &[u8],
        body: &[u8],
    ) -> &[[u8; 32]] {
        if let Self::NotYet = self {
            *self = match verifier.secrets.as_slice() {
                [only] => Self::One(only.tag(id, timestamp, body)),
                all => Self::Many(all.iter().map(|k| k.tag(id, timestamp, body)).collect()),
            };
        }
        match self {
            Self::NotYet => &[],
            Self::One(tag) => std::slice::from_ref(tag),
            Self::Many(tags) => tags,
        }
    }
}

/// Constant-time equality of two `v1` tags: the words are XOR-folded without branching and
/// `subtle` decides on the result (a quarter of the work of a byte-wise `ct_eq`).
///
/// Public only for `hookspec::internal`, through which the constant-time harness measures it.
pub fn tags_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let (b, _) = b.as_chunks::<8>();
    tag_words_equal(a, &std::array::from_fn(|i| u64::from_ne_bytes(b[i])))
}

/// [`tags_equal`] with the candidate already as [`header::TagWords`] (the fast path of the
/// usual delivery decodes it so).
fn tag_words_equal(expected: &[u8; 32], candidate: &header::TagWords) -> bool {
    let (expected, _) = expected.as_chunks::<8>();
    let diff = expected
        .iter()
        .zip(candidate)
        .fold(0u64, |diff, (x, y)| diff | (u64::from_ne_bytes(*x) ^ y));
    bool::from(diff.ct_eq(&0))
}

/// The checked headers of one delivery (see [`Verifier::envelope_at`]).
pub(crate) struct Envelope<'a> {
    /// The `webhook-id`, valid under the strict grammar.
    pub(crate) id: &'a [u8],
    /// The `webhook-timestamp` exactly as received (it is part of the signed content).
    pub(crate) ts_text: &'a [u8],
    /// The timestamp, fresh within the tolerance.
    pub(crate) timestamp: u64,
    /// The `webhook-signature` value.
    pub(crate) signature: &'a [u8],
    /// Whether the `svix-*` aliases were read.
    pub(crate) svix: bool,
}

impl Envelope<'_> {
    /// The id, kept: inline when short, so a verified delivery costs no allocation.
    #[inline]
    pub(crate) fn webhook_id(&self) -> WebhookId {
        WebhookId::from_header(self.id)
    }
}

/// The id, timestamp and signature headers of one delivery, and their names.
struct FoundHeaders<'h> {
    values: [HeaderValue<'h>; 3],
    names: [&'static str; 3],
    svix: bool,
}

/// The single value of a required header, or the given error when absent.
fn required<'a>(
    value: HeaderValue<'a>,
    name: &'static str,
    missing: VerifyError,
) -> Result<&'a [u8], VerifyError> {
    match value {
        HeaderValue::Absent => Err(missing),
        HeaderValue::One(value) => Ok(value),
        HeaderValue::Conflicting => Err(VerifyError::ConflictingHeaders { header: name }),
    }
}
