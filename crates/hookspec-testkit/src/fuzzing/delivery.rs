//! Structured deliveries for the full-verify targets: a signed delivery plus the ways a
//! sender, a proxy or an attacker can bend it (extra entries, malformed variants of the
//! signature, tampered content, header case, `svix-*` names, repeated header fields).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::codec::{Reader, Writer};
use super::oracle::{self, ModelKeys};
use hookspec::internal::{entry_v1, entry_v1a};
use hookspec::{
    DEFAULT_TOLERANCE, LengthPolicy, SVIX_ID, SVIX_SIGNATURE, SVIX_TIMESTAMP, Scheme, Secret,
    SigningKey, Verifier, WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP,
};

/// The `webhook-timestamp` of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timestamp {
    /// `now + skew`, in decimal (negative or beyond `u64` when it falls there).
    Skew(i32),
    /// `prefix`, then `now + skew` in decimal, then `suffix` (`+N`, `0N`, ` N`, `N.9`).
    Decorated {
        /// Bytes before the number.
        prefix: Vec<u8>,
        /// Seconds from now.
        skew: i32,
        /// Bytes after the number.
        suffix: Vec<u8>,
    },
    /// These exact bytes.
    Raw(Vec<u8>),
}

/// A malformed or altered form of the correct signature entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Variant {
    /// The entry text cut to `n % len` characters (`v1,`, `v1,g0hM9S`: CVE-2024-21491).
    Truncated(u8),
    /// One bit of the entry text flipped.
    FlipTextBit(u16),
    /// One bit of the decoded signature flipped, re-encoded canonically.
    FlipSignatureBit(u16),
    /// The base64 without its `=` padding.
    Unpadded,
    /// The base64 in the URL-safe alphabet.
    UrlSafe,
    /// The same bytes encoded with non-zero trailing bits (`…1OF=`).
    TrailingBits,
    /// A second comma after the signature (`v1,<sig>,`).
    ExtraComma,
    /// The version token upper-cased (`V1`, `V1A`).
    UpperVersion,
    /// `v1a`: the same signature with `S + L` (RFC 8032 non-canonical scalar). `v1`: another
    /// non-canonical encoding of the same tag (the other trailing bit set).
    Malleated,
}

/// One entry of the `webhook-signature` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// The correct entry for the delivery as signed (before any [`Tamper`]).
    Signed,
    /// The correct entry for the delivery with its timestamp written as the plain integer it
    /// parses to (`1614265330` for a `+1614265330` header): what verifiers that re-serialize
    /// the parsed timestamp check (cases C40b, C41b). Equal to [`Entry::Signed`] when the
    /// timestamp is already plain.
    SignedPlainTimestamp,
    /// An altered form of the correct entry.
    Variant(Variant),
    /// A correct entry made with a key the verifier does not trust.
    OtherKey,
    /// A correct entry of the other scheme (`v1a` in a `v1` case and vice versa), made with a
    /// key the verifier does not hold.
    OtherScheme,
    /// These exact bytes.
    Raw(Vec<u8>),
}

/// A change made to the delivery after signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// Delivered as signed.
    None,
    /// One bit of the id flipped (a byte added when the id is empty).
    Id(u16),
    /// One bit of the timestamp text flipped (a byte added when it is empty).
    Timestamp(u16),
    /// One bit of the body flipped (a byte added when the body is empty).
    Body(u16),
}

/// An extra header field, appended after the three main ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// Which name, modulo 6: `webhook-id`, `-timestamp`, `-signature`, `svix-id`, `-timestamp`,
    /// `-signature`.
    pub header: u8,
    /// The value; `None` repeats the delivered value of the same field byte for byte.
    pub value: Option<Vec<u8>>,
}

/// A delivery as a sender would build it, plus the distortions to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Key material: the HMAC key (`v1`), or the Ed25519 seed, cycled to 32 bytes (`v1a`).
    pub key: Vec<u8>,
    /// The `webhook-id` bytes.
    pub id: Vec<u8>,
    /// The timestamp.
    pub timestamp: Timestamp,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The signature list, joined with single spaces.
    pub entries: Vec<Entry>,
    /// A change made after signing.
    pub tamper: Tamper,
    /// Send the `svix-*` names instead of `webhook-*`.
    pub svix_names: bool,
    /// Bit mask: upper-case the id (1), timestamp (2) and signature (4) header names.
    pub upper: u8,
    /// Extra header fields.
    pub repeats: Vec<Repeat>,
}

/// A full-verify case: a delivery and the verifier's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyCase {
    /// The verifier's clock.
    pub now: u64,
    /// The tolerance in seconds (`None`: the default 300 s).
    pub tolerance: Option<u64>,
    /// Unrelated keys the verifier trusts before the signing key (0 to 3): rotation.
    pub decoys: u8,
    /// Whether the verifier reads `svix-*` aliases.
    pub svix_aliases: bool,
    /// The delivery.
    pub delivery: Delivery,
}

const MAX_ENTRIES: u8 = 8;
const MAX_REPEATS: u8 = 4;
const MAX_DECOYS: u8 = 4;

impl Timestamp {
    fn read(r: &mut Reader<'_>) -> Self {
        match r.choice(3) {
            0 => Self::Skew(r.u32() as i32),
            1 => Self::Decorated {
                prefix: r.bytes(),
                skew: r.u32() as i32,
                suffix: r.bytes(),
            },
            _ => Self::Raw(r.bytes()),
        }
    }

    fn write(&self, w: &mut Writer) {
        match self {
            Self::Skew(skew) => w.u8(0).u32(*skew as u32),
            Self::Decorated {
                prefix,
                skew,
                suffix,
            } => w.u8(1).bytes(prefix).u32(*skew as u32).bytes(suffix),
            Self::Raw(bytes) => w.u8(2).bytes(bytes),
        };
    }
}

impl Variant {
    fn read(r: &mut Reader<'_>) -> Self {
        match r.choice(9) {
            0 => Self::Truncated(r.u8()),
            1 => Self::FlipTextBit(r.u16()),
            2 => Self::FlipSignatureBit(r.u16()),
            3 => Self::Unpadded,
            4 => Self::UrlSafe,
            5 => Self::TrailingBits,
            6 => Self::ExtraComma,
            7 => Self::UpperVersion,
            _ => Self::Malleated,
        }
    }

    fn write(&self, w: &mut Writer) {
        match self {
            Self::Truncated(n) => w.u8(0).u8(*n),
            Self::FlipTextBit(bit) => w.u8(1).u16(*bit),
            Self::FlipSignatureBit(bit) => w.u8(2).u16(*bit),
            Self::Unpadded => w.u8(3),
            Self::UrlSafe => w.u8(4),
            Self::TrailingBits => w.u8(5),
            Self::ExtraComma => w.u8(6),
            Self::UpperVersion => w.u8(7),
            Self::Malleated => w.u8(8),
        };
    }

    /// Applies the variant to a correct entry `version,base64`.
    fn apply(&self, entry: &str) -> Vec<u8> {
        let (version, b64) = entry.split_once(',').expect("signed entries have a comma");
        let mut text = entry.as_bytes().to_vec();
        match self {
            Self::Truncated(n) => text.truncate(usize::from(*n) % text.len()),
            Self::FlipTextBit(bit) => flip_bit(&mut text, *bit),
            Self::FlipSignatureBit(bit) => {
                let mut sig = STANDARD.decode(b64).expect("signed entries are base64");
                flip_bit(&mut sig, *bit);
                text = format!("{version},{}", STANDARD.encode(sig)).into_bytes();
            }
            Self::Unpadded => text.truncate(entry.trim_end_matches('=').len()),
            Self::UrlSafe => {
                for c in &mut text[version.len()..] {
                    *c = match *c {
                        b'+' => b'-',
                        b'/' => b'_',
                        other => other,
                    };
                }
            }
            Self::TrailingBits => set_trailing_bit(&mut text, 1),
            Self::ExtraComma => text.push(b','),
            Self::UpperVersion => text[..version.len()].make_ascii_uppercase(),
            Self::Malleated if version == "v1a" => {
                let mut sig: [u8; 64] = STANDARD
                    .decode(b64)
                    .expect("signed entries are base64")
                    .try_into()
                    .expect("Ed25519 signatures are 64 bytes");
                add_group_order(&mut sig[32..]);
                text = format!("{version},{}", STANDARD.encode(sig)).into_bytes();
            }
            Self::Malleated => set_trailing_bit(&mut text, 2),
        }
        text
    }
}

/// Flips bit `bit % (8 * len)` of `bytes`; appends a byte when `bytes` is empty.
fn flip_bit(bytes: &mut Vec<u8>, bit: u16) {
    if bytes.is_empty() {
        bytes.push(b'x');
        return;
    }
    let bit = usize::from(bit) % (bytes.len() * 8);
    bytes[bit / 8] ^= 1 << (bit % 8);
}

/// Sets a trailing (padding) bit of the last base64 character before the `=` padding, which
/// keeps the decoded bytes but makes the encoding non-canonical.
fn set_trailing_bit(text: &mut [u8], bit: u8) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let Some(last) = text.iter().rposition(|&c| c != b'=') else {
        return;
    };
    if let Some(value) = ALPHABET.iter().position(|&c| c == text[last]) {
        text[last] = ALPHABET[value | usize::from(bit)];
    }
}

/// Adds the Ed25519 group order `L` to a 32-byte little-endian scalar `S < L` (the result,
/// below 2^254, still fits): the classic malleability that `verify_strict` must reject.
fn add_group_order(scalar: &mut [u8]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for (s, l) in scalar.iter_mut().zip(L) {
        let sum = u16::from(*s) + u16::from(l) + carry;
        *s = sum as u8;
        carry = sum >> 8;
    }
}

impl Entry {
    fn read(r: &mut Reader<'_>) -> Self {
        match r.choice(6) {
            0 => Self::Signed,
            1 => Self::Variant(Variant::read(r)),
            2 => Self::OtherKey,
            3 => Self::OtherScheme,
            4 => Self::SignedPlainTimestamp,
            _ => Self::Raw(r.bytes()),
        }
    }

    fn write(&self, w: &mut Writer) {
        match self {
            Self::Signed => {
                w.u8(0);
            }
            Self::Variant(v) => {
                w.u8(1);
                v.write(w);
            }
            Self::OtherKey => {
                w.u8(2);
            }
            Self::OtherScheme => {
                w.u8(3);
            }
            Self::SignedPlainTimestamp => {
                w.u8(4);
            }
            Self::Raw(bytes) => {
                w.u8(5).bytes(bytes);
            }
        }
    }
}

impl Tamper {
    fn read(r: &mut Reader<'_>) -> Self {
        match r.choice(4) {
            0 => Self::None,
            1 => Self::Id(r.u16()),
            2 => Self::Timestamp(r.u16()),
            _ => Self::Body(r.u16()),
        }
    }

    fn write(self, w: &mut Writer) {
        match self {
            Self::None => w.u8(0),
            Self::Id(bit) => w.u8(1).u16(bit),
            Self::Timestamp(bit) => w.u8(2).u16(bit),
            Self::Body(bit) => w.u8(3).u16(bit),
        };
    }
}

impl Delivery {
    /// Reads a delivery (see [`super::codec`] for the primitives): key, id, timestamp, body,
    /// entry count and entries, tamper, svix names, upper-case mask, repeat count and repeats.
    pub fn read(r: &mut Reader<'_>) -> Self {
        let key = r.bytes();
        let id = r.bytes();
        let timestamp = Timestamp::read(r);
        let body = r.bytes();
        let entries = (0..r.choice(MAX_ENTRIES + 1))
            .map(|_| Entry::read(r))
            .collect();
        let tamper = Tamper::read(r);
        let svix_names = r.bool();
        let upper = r.u8();
        let repeats = (0..r.choice(MAX_REPEATS + 1))
            .map(|_| Repeat {
                header: r.u8(),
                value: r.bool().then(|| r.bytes()),
            })
            .collect();
        Self {
            key,
            id,
            timestamp,
            body,
            entries,
            tamper,
            svix_names,
            upper,
            repeats,
        }
    }

    /// Writes the delivery in the format [`Delivery::read`] reads.
    ///
    /// # Panics
    /// With more than 8 entries or 4 repeats (the reader could not express them).
    pub fn write(&self, w: &mut Writer) {
        assert!(self.entries.len() <= usize::from(MAX_ENTRIES));
        assert!(self.repeats.len() <= usize::from(MAX_REPEATS));
        w.bytes(&self.key).bytes(&self.id);
        self.timestamp.write(w);
        w.bytes(&self.body).u8(self.entries.len() as u8);
        for entry in &self.entries {
            entry.write(w);
        }
        self.tamper.write(w);
        w.bool(self.svix_names)
            .u8(self.upper)
            .u8(self.repeats.len() as u8);
        for repeat in &self.repeats {
            w.u8(repeat.header);
            match &repeat.value {
                Some(value) => w.bool(true).bytes(value),
                None => w.bool(false),
            };
        }
    }

    /// A delivery signed once, sent as signed, with the given key, id, timestamp and body.
    pub fn signed(key: &[u8], id: &[u8], timestamp: Timestamp, body: &[u8]) -> Self {
        Self {
            key: key.to_vec(),
            id: id.to_vec(),
            timestamp,
            body: body.to_vec(),
            entries: vec![Entry::Signed],
            tamper: Tamper::None,
            svix_names: false,
            upper: 0,
            repeats: Vec::new(),
        }
    }

    /// Builds the request a receiver would see, at time `now`.
    pub fn build(&self, keys: &Keys, now: u64) -> Built {
        let at = |skew: i32| (i128::from(now) + i128::from(skew)).to_string();
        let (ts, plain_ts) = match &self.timestamp {
            Timestamp::Skew(skew) => (at(*skew).into_bytes(), at(*skew).into_bytes()),
            Timestamp::Decorated {
                prefix,
                skew,
                suffix,
            } => (
                [prefix, at(*skew).as_bytes(), suffix].concat(),
                at(*skew).into_bytes(),
            ),
            Timestamp::Raw(bytes) => {
                let plain = std::str::from_utf8(bytes)
                    .ok()
                    .and_then(|s| s.parse::<i64>().ok())
                    .map_or_else(|| bytes.clone(), |n| n.to_string().into_bytes());
                (bytes.clone(), plain)
            }
        };
        let (mut id, mut ts, mut body) = (self.id.clone(), ts, self.body.clone());
        let signed = keys.entry(&id, &ts, &body);
        let texts: Vec<Vec<u8>> = self
            .entries
            .iter()
            .map(|entry| match entry {
                Entry::Signed => signed.clone().into_bytes(),
                Entry::SignedPlainTimestamp => keys.entry(&id, &plain_ts, &body).into_bytes(),
                Entry::Variant(v) => v.apply(&signed),
                Entry::OtherKey => keys.other_entry(&id, &ts, &body).into_bytes(),
                Entry::OtherScheme => keys.foreign_entry(&id, &ts, &body).into_bytes(),
                Entry::Raw(bytes) => bytes.clone(),
            })
            .collect();
        let signature = texts.join(&b' ');
        match self.tamper {
            Tamper::None => {}
            Tamper::Id(bit) => flip_bit(&mut id, bit),
            Tamper::Timestamp(bit) => flip_bit(&mut ts, bit),
            Tamper::Body(bit) => flip_bit(&mut body, bit),
        }
        const ALL: [&str; 6] = [
            WEBHOOK_ID,
            WEBHOOK_TIMESTAMP,
            WEBHOOK_SIGNATURE,
            SVIX_ID,
            SVIX_TIMESTAMP,
            SVIX_SIGNATURE,
        ];
        let values = [id.clone(), ts.clone(), signature.clone()];
        let first = if self.svix_names { 3 } else { 0 };
        let mut headers: Vec<(String, Vec<u8>)> = (0..3)
            .map(|i| {
                let mut name = ALL[first + i].to_owned();
                if self.upper & (1 << i) != 0 {
                    name.make_ascii_uppercase();
                }
                (name, values[i].clone())
            })
            .collect();
        for repeat in &self.repeats {
            let which = usize::from(repeat.header % 6);
            let value = repeat
                .value
                .clone()
                .unwrap_or_else(|| values[which % 3].clone());
            headers.push((ALL[which].to_owned(), value));
        }
        Built {
            headers,
            id,
            timestamp: ts,
            body,
            signature,
        }
    }
}

/// The request a receiver sees.
#[derive(Debug, Clone)]
pub struct Built {
    /// All header fields, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The delivered id (after tampering).
    pub id: Vec<u8>,
    /// The delivered timestamp text (after tampering).
    pub timestamp: Vec<u8>,
    /// The delivered body (after tampering).
    pub body: Vec<u8>,
    /// The delivered signature list.
    pub signature: Vec<u8>,
}

/// The keys of a case: the signing key, decoys the verifier also trusts, a key it does not
/// trust, and a key of the other scheme.
#[derive(Debug, Clone)]
pub enum Keys {
    /// HMAC secrets; the other-scheme key is Ed25519.
    V1 {
        /// Signs [`Entry::Signed`]; trusted last.
        signing: Secret,
        /// Trusted before the signing key.
        decoys: Vec<Secret>,
        /// Signs [`Entry::OtherKey`]; not trusted.
        other: Secret,
        /// Signs [`Entry::OtherScheme`]; not trusted.
        foreign: SigningKey,
    },
    /// Ed25519 keys; the other-scheme key is an HMAC secret.
    V1a {
        /// Signs [`Entry::Signed`]; its public key is trusted last.
        signing: SigningKey,
        /// Public keys trusted before the signing key's.
        decoys: Vec<SigningKey>,
        /// Signs [`Entry::OtherKey`]; not trusted.
        other: SigningKey,
        /// Signs [`Entry::OtherScheme`]; not trusted.
        foreign: Secret,
    },
}

fn seed_from(material: &[u8], tweak: u8) -> [u8; 32] {
    let mut seed = [0u8; 32];
    for (i, b) in seed.iter_mut().enumerate() {
        if !material.is_empty() {
            *b = material[i % material.len()];
        }
    }
    seed[0] ^= tweak;
    seed
}

fn secret_from(material: &[u8], tweak: Option<u8>) -> Secret {
    let mut bytes = material.to_vec();
    if bytes.is_empty() {
        bytes.push(0);
    }
    if let Some(t) = tweak {
        bytes.extend_from_slice(&[0xa5, t]);
    }
    Secret::from_bytes_with(&bytes, LengthPolicy::AnyNonEmpty).expect("non-empty")
}

impl Keys {
    /// Derives the keys of a case from its key material (an empty HMAC key becomes one zero
    /// byte). Decoys and the untrusted key are distinct from the signing key.
    pub fn derive(scheme: Scheme, material: &[u8], decoys: u8) -> Self {
        match scheme {
            Scheme::V1 => Self::V1 {
                signing: secret_from(material, None),
                decoys: (0..decoys)
                    .map(|i| secret_from(material, Some(i)))
                    .collect(),
                other: secret_from(material, Some(0xff)),
                foreign: SigningKey::from_seed(&seed_from(material, 0)),
            },
            Scheme::V1a => Self::V1a {
                signing: SigningKey::from_seed(&seed_from(material, 0)),
                decoys: (1..=decoys)
                    .map(|i| SigningKey::from_seed(&seed_from(material, i)))
                    .collect(),
                other: SigningKey::from_seed(&seed_from(material, 0xff)),
                foreign: secret_from(material, None),
            },
            other => panic!("no fuzz keys for signature scheme {other:?}"),
        }
    }

    /// Keys for an HMAC secret given as is (no substitution): the differential target.
    pub fn from_secret(secret: Secret) -> Self {
        let material = secret.as_bytes().to_vec();
        Self::V1 {
            signing: secret,
            decoys: Vec::new(),
            other: secret_from(&material, Some(0xff)),
            foreign: SigningKey::from_seed(&seed_from(&material, 0)),
        }
    }

    /// The scheme of the signing key.
    pub fn scheme(&self) -> Scheme {
        match self {
            Self::V1 { .. } => Scheme::V1,
            Self::V1a { .. } => Scheme::V1a,
        }
    }

    /// The correct entry for `id.ts.body` under the signing key.
    pub fn entry(&self, id: &[u8], ts: &[u8], body: &[u8]) -> String {
        match self {
            Self::V1 { signing, .. } => entry_v1(signing, id, ts, body),
            Self::V1a { signing, .. } => entry_v1a(signing, id, ts, body),
        }
    }

    fn other_entry(&self, id: &[u8], ts: &[u8], body: &[u8]) -> String {
        match self {
            Self::V1 { other, .. } => entry_v1(other, id, ts, body),
            Self::V1a { other, .. } => entry_v1a(other, id, ts, body),
        }
    }

    fn foreign_entry(&self, id: &[u8], ts: &[u8], body: &[u8]) -> String {
        match self {
            Self::V1 { foreign, .. } => entry_v1a(foreign, id, ts, body),
            Self::V1a { foreign, .. } => entry_v1(foreign, id, ts, body),
        }
    }

    /// A verifier trusting the decoys, then the signing key.
    pub fn verifier(&self) -> Verifier {
        match self {
            Self::V1 {
                signing, decoys, ..
            } => decoys
                .iter()
                .chain([signing])
                .fold(Verifier::new(), |v, s| v.with_secret(s.clone())),
            Self::V1a {
                signing, decoys, ..
            } => decoys
                .iter()
                .chain([signing])
                .fold(Verifier::new(), |v, k| v.with_public_key(k.public_key())),
        }
    }

    /// The same trust list for the model verifier.
    pub fn model(&self) -> ModelKeys {
        match self {
            Self::V1 {
                signing, decoys, ..
            } => ModelKeys {
                secrets: decoys
                    .iter()
                    .chain([signing])
                    .map(|s| s.as_bytes().to_vec())
                    .collect(),
                public_keys: Vec::new(),
            },
            Self::V1a {
                signing, decoys, ..
            } => ModelKeys {
                secrets: Vec::new(),
                public_keys: decoys
                    .iter()
                    .chain([signing])
                    .map(|k| *k.public_key().as_bytes())
                    .collect(),
            },
        }
    }
}

impl VerifyCase {
    /// Decodes a case: now (`u64`), tolerance (choice of default or a `u64`), decoys,
    /// svix aliases, then the delivery.
    pub fn decode(data: &[u8]) -> Self {
        let mut r = Reader::new(data);
        let now = r.u64();
        let tolerance = r.bool().then(|| r.u64());
        let decoys = r.choice(MAX_DECOYS);
        let svix_aliases = r.bool();
        let delivery = Delivery::read(&mut r);
        Self {
            now,
            tolerance,
            decoys,
            svix_aliases,
            delivery,
        }
    }

    /// Encodes the case in the format [`VerifyCase::decode`] reads.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u64(self.now);
        match self.tolerance {
            Some(t) => w.bool(true).u64(t),
            None => w.bool(false),
        };
        w.u8(self.decoys).bool(self.svix_aliases);
        self.delivery.write(&mut w);
        w.finish()
    }
}

/// Runs one full-verify case for `scheme` and asserts:
///
/// 1. `verify_at` never panics, and returns exactly what the model verifier
///    ([`oracle::verify`]) returns: same error code and counts, or the same id, timestamp,
///    matched key and entry.
/// 2. Ground truth from the construction (when no header field is repeated): the delivery
///    verifies if and only if its id and timestamp are valid and fresh and its signature list
///    holds the correct entry for the content *as delivered*. So a delivery we sign always
///    verifies, and a tampered one, a variant, a truncation, an untrusted key or the other
///    scheme never does.
pub fn check(scheme: Scheme, case: &VerifyCase) {
    let decoys = case.decoys % MAX_DECOYS;
    let keys = Keys::derive(scheme, &case.delivery.key, decoys);
    let tolerance = case.tolerance.unwrap_or(DEFAULT_TOLERANCE.as_secs());
    let verifier = keys
        .verifier()
        .tolerance(Duration::from_secs(tolerance))
        .svix_aliases(case.svix_aliases);
    let built = case.delivery.build(&keys, case.now);
    let got = verifier.verify_at(&built.headers, &built.body, case.now);
    let model = oracle::verify(
        &keys.model(),
        &built.headers,
        &built.body,
        case.now,
        tolerance,
        case.svix_aliases,
    );
    assert_eq!(got, model, "verifier and model disagree on {built:?}");

    if case.delivery.repeats.is_empty() {
        let readable = !case.delivery.svix_names || case.svix_aliases;
        let fresh = oracle::timestamp(&built.timestamp)
            .is_some_and(|ts| ts.abs_diff(case.now) <= tolerance);
        let correct = keys.entry(&built.id, &built.timestamp, &built.body);
        let present = built
            .signature
            .split(|&b| b == b' ')
            .any(|piece| piece == correct.as_bytes());
        let expected = readable && oracle::id(&built.id) && fresh && present;
        assert_eq!(got.is_ok(), expected, "ground truth violated: {got:?}");
        if let Ok(verified) = &got {
            assert_eq!(verified.matched.scheme, scheme);
            assert_eq!(verified.matched.key_index, usize::from(decoys));
        }
    }
}

/// `v1` full verify (see [`check`]).
pub fn verify_v1(data: &[u8]) {
    check(Scheme::V1, &VerifyCase::decode(data));
}

/// `v1a` full verify (see [`check`]).
pub fn verify_v1a(data: &[u8]) {
    check(Scheme::V1a, &VerifyCase::decode(data));
}
