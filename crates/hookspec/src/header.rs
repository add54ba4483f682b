//! The `webhook-*` header grammar of hookspec's strict profile.
//!
//! The Standard Webhooks spec gives no grammar for its headers, and the official libraries
//! disagree on most edge cases (`+1614265330`, `1614265330.9`, full-width digits, entries
//! without a comma, extra commas). hookspec pins one grammar, documented in the book (docs/src/strict-profile.md):
//!
//! * `webhook-id`: one or more visible ASCII characters (`0x21..=0x7E`) other than `.`
//!   (a `.` would let the boundary between id, timestamp and body shift: spec, section
//!   "Signature scheme").
//! * `webhook-timestamp`: `0 | [1-9][0-9]*`, at most 20 digits, fitting in `u64`, and not 0.
//!   No sign, no whitespace, no fraction, no exponent, no underscores, ASCII digits only.
//! * `webhook-signature`: entries separated by single spaces (runs of spaces give empty
//!   entries, which are skipped); each entry is `version,base64` split at the first comma;
//!   a second comma makes the entry malformed; the base64 is canonical padded standard
//!   base64 of exactly the scheme's length (32 bytes for `v1`, 64 for `v1a`). Unknown
//!   versions and malformed entries are skipped, never fatal to the whole header.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// `webhook-id`: the message id, stable across retries (the idempotency key).
pub const WEBHOOK_ID: &str = "webhook-id";
/// `webhook-timestamp`: the attempt time in Unix seconds, fresh on every retry.
pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
/// `webhook-signature`: a space-separated list of `version,base64` entries.
pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";
/// `svix-id`: the Svix alias of `webhook-id`.
pub const SVIX_ID: &str = "svix-id";
/// `svix-timestamp`: the Svix alias of `webhook-timestamp`.
pub const SVIX_TIMESTAMP: &str = "svix-timestamp";
/// `svix-signature`: the Svix alias of `webhook-signature`.
pub const SVIX_SIGNATURE: &str = "svix-signature";

/// Anything that can list the values of a request header.
///
/// Implemented for `http::HeaderMap` (feature `http`) and for slices, arrays and vectors of
/// `(name, value)` pairs. Names are matched ASCII case-insensitively; values are raw bytes,
/// given exactly as received (no trimming).
pub trait HeaderSource {
    /// Calls `visit` with every value of the header `name` (a lower-case ASCII name), in order.
    fn for_each_value<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8]));
}

impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderSource for [(K, V)] {
    fn for_each_value<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        for (key, value) in self {
            if key.as_ref().eq_ignore_ascii_case(name) {
                visit(value.as_ref());
            }
        }
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> HeaderSource for [(K, V); N] {
    fn for_each_value<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        self.as_slice().for_each_value(name, visit);
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderSource for Vec<(K, V)> {
    fn for_each_value<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        self.as_slice().for_each_value(name, visit);
    }
}

#[cfg(feature = "http")]
impl HeaderSource for http::HeaderMap {
    fn for_each_value<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        // Looking up by `&str` parses and validates the name on every call, which costs more
        // than the lookup itself; the six names the verifier reads are parsed once.
        let values = match known_header_name(name) {
            Some(known) => self.get_all(known),
            None => self.get_all(name),
        };
        for value in values {
            visit(value.as_bytes());
        }
    }
}

/// The prebuilt `http::HeaderName` of a header the verifier reads, if `name` is one.
#[cfg(feature = "http")]
fn known_header_name(name: &str) -> Option<&'static http::HeaderName> {
    use http::HeaderName;
    static NAMES: [HeaderName; 6] = [
        HeaderName::from_static(WEBHOOK_ID),
        HeaderName::from_static(WEBHOOK_TIMESTAMP),
        HeaderName::from_static(WEBHOOK_SIGNATURE),
        HeaderName::from_static(SVIX_ID),
        HeaderName::from_static(SVIX_TIMESTAMP),
        HeaderName::from_static(SVIX_SIGNATURE),
    ];
    let index = match name {
        WEBHOOK_ID => 0,
        WEBHOOK_TIMESTAMP => 1,
        WEBHOOK_SIGNATURE => 2,
        SVIX_ID => 3,
        SVIX_TIMESTAMP => 4,
        SVIX_SIGNATURE => 5,
        _ => return None,
    };
    Some(&NAMES[index])
}

/// What [`single_value`] found for one header name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderValue<'a> {
    /// The header is absent.
    Absent,
    /// The header is present once, or several times with byte-identical values.
    One(&'a [u8]),
    /// The header is present several times with different values.
    Conflicting,
}

/// The single value of `name`, treating byte-identical repeats as one and differing repeats
/// as a conflict (which the strict profile rejects: which one did the sender sign?).
pub fn single_value<'a, H: HeaderSource + ?Sized>(headers: &'a H, name: &str) -> HeaderValue<'a> {
    let mut found = HeaderValue::Absent;
    headers.for_each_value(name, &mut |value| {
        found = match found {
            HeaderValue::Absent => HeaderValue::One(value),
            HeaderValue::One(first) if first == value => HeaderValue::One(first),
            _ => HeaderValue::Conflicting,
        };
    });
    found
}

/// Whether `id` is a valid `webhook-id` under the strict profile.
pub fn is_valid_id(id: &[u8]) -> bool {
    // A non-short-circuiting fold, branch-free per byte: valid ids (the common case) are
    // read to the end anyway, and a branch per byte costs more than the check.
    !id.is_empty()
        && id
            .iter()
            .fold(true, |ok, &b| ok & (0x21..=0x7e).contains(&b) & (b != b'.'))
}

/// The longest timestamp text accepted: `u64::MAX` has 20 digits.
const MAX_TIMESTAMP_DIGITS: usize = 20;

/// Parses a `webhook-timestamp` under the strict grammar, with checked arithmetic.
///
/// Returns `None` for anything but `[1-9][0-9]*` fitting in `u64` (so `0`, `-1`, `+1`,
/// ` 1`, `01`, `1.5`, `1e9`, `1_000`, full-width digits and `99999999999999999999`).
pub fn parse_timestamp(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > MAX_TIMESTAMP_DIGITS || text[0] == b'0' {
        return None;
    }
    text.iter().try_fold(0u64, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// Why an entry of the signature list was skipped as malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// No `,` between version and signature (`v1`, `garbage`).
    NoComma,
    /// More than one `,` (`v1,<sig>,x`): several libraries take the middle part and accept.
    ExtraComma,
    /// The signature is not canonical padded standard base64.
    BadBase64,
    /// The signature decodes to the wrong number of bytes for its scheme (`v1,` included).
    WrongLength,
}

/// One entry of a `webhook-signature` list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureEntry<'a> {
    /// A well-formed `v1` entry.
    V1([u8; 32]),
    /// A well-formed `v1a` entry.
    V1a([u8; 64]),
    /// An entry whose version this profile does not know (`v2`, `V1`, `v1b`); skipped.
    Unknown {
        /// The version token as received.
        version: &'a [u8],
    },
    /// An entry that cannot be parsed; skipped.
    Malformed(Malformed),
}

/// Splits a `webhook-signature` value into entries (empty entries from runs of spaces are
/// not yielded). Never fails: bad entries come back as [`SignatureEntry::Malformed`].
pub fn signature_entries(value: &[u8]) -> impl Iterator<Item = SignatureEntry<'_>> {
    value
        .split(|&b| b == b' ')
        .filter(|entry| !entry.is_empty())
        .map(parse_entry)
}

fn parse_entry(entry: &[u8]) -> SignatureEntry<'_> {
    let Some(comma) = entry.iter().position(|&b| b == b',') else {
        return SignatureEntry::Malformed(Malformed::NoComma);
    };
    let (version, signature) = (&entry[..comma], &entry[comma + 1..]);
    if !matches!(version, b"v1" | b"v1a") {
        return SignatureEntry::Unknown { version };
    }
    if signature.contains(&b',') {
        return SignatureEntry::Malformed(Malformed::ExtraComma);
    }
    if version == b"v1" {
        decode_fixed::<32>(signature).map_or_else(SignatureEntry::Malformed, SignatureEntry::V1)
    } else {
        decode_fixed::<64>(signature).map_or_else(SignatureEntry::Malformed, SignatureEntry::V1a)
    }
}

/// Decodes canonical padded standard base64 into exactly `N` bytes.
fn decode_fixed<const N: usize>(text: &[u8]) -> Result<[u8; N], Malformed> {
    // Canonical base64 of N bytes has exactly this many characters; checking first keeps a
    // wrong-length entry from being reported as bad base64, and bounds the decode buffer.
    let expected_len = N.div_ceil(3) * 4;
    if let Some(decoded) = decode_canonical::<N>(text) {
        return Ok(decoded);
    }
    if text.len() != expected_len {
        return Err(if STANDARD.decode(text).is_ok() {
            Malformed::WrongLength
        } else {
            Malformed::BadBase64
        });
    }
    // The decoder wants room for its length estimate (up to 2 bytes over N).
    let mut buf = [0u8; 72];
    match STANDARD.decode_slice(text, &mut buf) {
        Ok(n) if n == N => {
            let mut out = [0u8; N];
            out.copy_from_slice(&buf[..N]);
            Ok(out)
        }
        Ok(_) => Err(Malformed::WrongLength),
        Err(_) => Err(Malformed::BadBase64),
    }
}

/// The value of a standard base64 character, or `INVALID` (`=` included).
const INVALID: u8 = 0xff;
const BASE64_VALUES: [u8; 256] = {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The fast path of [`decode_fixed`]: `Some` only when `text` (already of the canonical
/// length) is exactly the canonical padded encoding of `N` bytes, which is what a valid
/// entry always is. Anything else returns `None` and takes the general decoder, which
/// classifies the error, so this function can only ever accept what that decoder accepts.
fn decode_canonical<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    let groups = N / 3;
    if text.len() != N.div_ceil(3) * 4 {
        return None;
    }
    let mut out = [0u8; N];
    let mut invalid = 0u8;
    let value = |c: u8, invalid: &mut u8| {
        let v = BASE64_VALUES[usize::from(c)];
        *invalid |= v & 0x80;
        u32::from(v & 0x3f)
    };
    let (quads, _) = text.as_chunks::<4>();
    let (triples, _) = out.as_chunks_mut::<3>();
    for (quad, triple) in quads.iter().zip(triples.iter_mut()) {
        let n = value(quad[0], &mut invalid) << 18
            | value(quad[1], &mut invalid) << 12
            | value(quad[2], &mut invalid) << 6
            | value(quad[3], &mut invalid);
        let [_, a, b, c] = n.to_be_bytes();
        *triple = [a, b, c];
    }
    let tail = &text[groups * 4..];
    match N % 3 {
        0 => {}
        1 => {
            // `xx==`: 12 bits, of which the low 4 must be zero.
            let n = value(tail[0], &mut invalid) << 6 | value(tail[1], &mut invalid);
            if n & 0xf != 0 || tail[2..] != *b"==" {
                return None;
            }
            out[N - 1] = (n >> 4) as u8;
        }
        _ => {
            // `xxx=`: 18 bits, of which the low 2 must be zero.
            let n = value(tail[0], &mut invalid) << 12
                | value(tail[1], &mut invalid) << 6
                | value(tail[2], &mut invalid);
            if n & 0x3 != 0 || tail[3] != b'=' {
                return None;
            }
            out[N - 2] = (n >> 10) as u8;
            out[N - 1] = (n >> 2) as u8;
        }
    }
    (invalid == 0).then_some(out)
}
