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

mod canonical_base64;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub use canonical_base64::TagWords;
use canonical_base64::{decode_canonical, decode_v1_words};

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

    /// Calls `visit(i, value)` with every value of every header `names[i]` (lower-case ASCII
    /// names), each name's values in order; values of different names may interleave.
    ///
    /// The verifier reads its three headers through this. The default looks each name up
    /// with [`HeaderSource::for_each_value`]; a source that can find several names in one
    /// pass overrides it (an `http::HeaderMap` hashes the name on every lookup, which costs
    /// more than walking a request's dozen headers once).
    fn for_each_value_of<'a>(&'a self, names: &[&str], visit: &mut dyn FnMut(usize, &'a [u8])) {
        for (index, name) in names.iter().enumerate() {
            self.for_each_value(name, &mut |value| visit(index, value));
        }
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderSource for [(K, V)] {
    fn for_each_value<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        for (key, value) in self {
            if key.as_ref().eq_ignore_ascii_case(name) {
                visit(value.as_ref());
            }
        }
    }

    fn for_each_value_of<'a>(&'a self, names: &[&str], visit: &mut dyn FnMut(usize, &'a [u8])) {
        for (key, value) in self {
            let key = key.as_ref();
            if let Some(index) = names.iter().position(|name| key.eq_ignore_ascii_case(name)) {
                visit(index, value.as_ref());
            }
        }
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> HeaderSource for [(K, V); N] {
    fn for_each_value<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        self.as_slice().for_each_value(name, visit);
    }

    fn for_each_value_of<'a>(&'a self, names: &[&str], visit: &mut dyn FnMut(usize, &'a [u8])) {
        self.as_slice().for_each_value_of(names, visit);
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> HeaderSource for Vec<(K, V)> {
    fn for_each_value<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        self.as_slice().for_each_value(name, visit);
    }

    fn for_each_value_of<'a>(&'a self, names: &[&str], visit: &mut dyn FnMut(usize, &'a [u8])) {
        self.as_slice().for_each_value_of(names, visit);
    }
}

#[cfg(feature = "http")]
impl HeaderSource for http::HeaderMap {
    fn for_each_value<'a>(&'a self, name: &str, visit: &mut dyn FnMut(&'a [u8])) {
        for value in self.get_all(name) {
            visit(value.as_bytes());
        }
    }

    fn for_each_value_of<'a>(&'a self, names: &[&str], visit: &mut dyn FnMut(usize, &'a [u8])) {
        // One walk over the entries, comparing names (a length check rejects almost every
        // header at once) instead of hashing each wanted name: a request carries a dozen
        // headers or so, and a lookup costs as much as walking several. The walk visits each
        // name's values in order (an entry's extra values follow it).
        // The lengths of the wanted names as bits: one test per header skips most of them.
        let lengths = names
            .iter()
            .fold(0u64, |mask, name| mask | length_bit(name.len()));
        for (key, value) in self {
            let key = key.as_str().as_bytes();
            if lengths & length_bit(key.len()) == 0 {
                continue;
            }
            if let Some(index) = names
                .iter()
                .position(|name| same_name(key, name.as_bytes()))
            {
                visit(index, value.as_bytes());
            }
        }
    }
}

/// A length as one bit of a mask. A length of 64 or more gets every bit: such a header is
/// never skipped, and such a wanted name lets every header through to the comparison.
#[cfg(feature = "http")]
fn length_bit(len: usize) -> u64 {
    u32::try_from(len)
        .ok()
        .and_then(|len| 1u64.checked_shl(len))
        .unwrap_or(u64::MAX)
}

/// Whether two header names are the same bytes, compared without calling `memcmp`.
///
/// The walk above compares every header of a request with each wanted name. A plain `==`
/// calls `memcmp` whenever the lengths agree (`user-agent` and `webhook-id`, or
/// `x-forwarded-proto` and `webhook-timestamp`), and those calls were 40 % of the walk over
/// a 13-header request. The last bytes tell most same-length names apart at once; the rest
/// is compared eight bytes at a time, inline.
#[cfg(feature = "http")]
fn same_name(key: &[u8], name: &[u8]) -> bool {
    if key.len() != name.len() || key.last() != name.last() {
        return false;
    }
    let (key_words, key_rest) = key.as_chunks::<8>();
    let (name_words, name_rest) = name.as_chunks::<8>();
    key_words
        .iter()
        .zip(name_words)
        .all(|(k, n)| u64::from_ne_bytes(*k) == u64::from_ne_bytes(*n))
        && key_rest.iter().zip(name_rest).all(|(k, n)| k == n)
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

/// The [`single_value`] of each of `names` (lower-case ASCII), found in one
/// [`HeaderSource::for_each_value_of`] call.
pub fn values_of<'a, H: HeaderSource + ?Sized, const N: usize>(
    headers: &'a H,
    names: &[&str; N],
) -> [HeaderValue<'a>; N] {
    let mut found = [HeaderValue::Absent; N];
    headers.for_each_value_of(names, &mut |index, value| {
        found[index] = match found[index] {
            HeaderValue::Absent => HeaderValue::One(value),
            HeaderValue::One(first) if first == value => HeaderValue::One(first),
            _ => HeaderValue::Conflicting,
        };
    });
    found
}

/// Which bytes a `webhook-id` may hold: visible ASCII (`0x21..=0x7E`) other than `.`.
const ID_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x21;
    while b <= 0x7e {
        table[b] = b != b'.' as usize;
        b += 1;
    }
    table
};

/// Whether `id` is a valid `webhook-id` under the strict profile.
pub fn is_valid_id(id: &[u8]) -> bool {
    // Eight bytes at a time, without a branch per byte: valid ids (the common case) are
    // read to the end anyway. An id shorter than eight bytes goes through the table; a
    // longer one ends with its last eight bytes, which may overlap the words before.
    match id.as_chunks::<8>() {
        ([], []) => false,
        ([], short) => short
            .iter()
            .fold(true, |ok, &b| ok & ID_BYTE[usize::from(b)]),
        (words, rest) => {
            let last = id.last_chunk::<8>().filter(|_| !rest.is_empty());
            words
                .iter()
                .chain(last)
                .fold(true, |ok, word| ok & id_word(*word))
        }
    }
}

/// Repeated in every byte of a word.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte of a word.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether all eight bytes are [`ID_BYTE`]s, by arithmetic on the word: once every byte is
/// known to be below `0x80`, adding at most `0x7f` to each cannot carry into the next, so
/// each sum's high bit answers one comparison for its byte.
fn id_word(bytes: [u8; 8]) -> bool {
    let word = u64::from_le_bytes(bytes);
    let ascii = word & HIGHS == 0;
    let at_least_0x21 = word.wrapping_add(ONES * (0x80 - 0x21)) & HIGHS == HIGHS;
    let at_most_0x7e = word.wrapping_add(ONES) & HIGHS == 0;
    // A byte of `word ^ '.'` is zero exactly where `word` holds a `.`.
    let no_dot = (word ^ (ONES * u64::from(b'.'))).wrapping_add(ONES * 0x7f) & HIGHS == HIGHS;
    ascii & at_least_0x21 & at_most_0x7e & no_dot
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
    if text.len() < MAX_TIMESTAMP_DIGITS {
        // 19 digits cannot overflow (10^19 - 1 < 2^64), so every real timestamp takes this
        // path: eight digits at a time, then one at a time, no checked arithmetic, and the
        // digit tests folded without a branch per byte. A non-digit may wrap the value,
        // which is then discarded.
        let (words, rest) = text.as_chunks::<8>();
        let (value, all_digits) = words.iter().fold((0u64, true), |(acc, ok), word| {
            let (value, digits) = eight_digits(*word);
            (
                acc.wrapping_mul(100_000_000).wrapping_add(value),
                ok & digits,
            )
        });
        let (value, all_digits) = rest.iter().fold((value, all_digits), |(acc, ok), &b| {
            let digit = b.wrapping_sub(b'0');
            let value = acc.wrapping_mul(10).wrapping_add(u64::from(digit));
            (value, ok & (digit <= 9))
        });
        return all_digits.then_some(value);
    }
    text.iter().try_fold(0u64, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// The value of eight ASCII digits (the first is the most significant), and whether all
/// eight are digits. The value is computed on the word, two digits, then four, then eight
/// at a time (the method of Lemire's `fast_float`); it means nothing unless all are digits.
fn eight_digits(bytes: [u8; 8]) -> (u64, bool) {
    const LOW_NIBBLES: u64 = ONES * 0x0f;
    let word = u64::from_le_bytes(bytes);
    // Every byte is 0x3_, and adding 6 keeps it 0x3_ only for 0x30..=0x39 (no carry, as
    // every byte is at most 0x3f once the first test holds).
    let digits = (word & !LOW_NIBBLES == ONES * 0x30)
        & (word.wrapping_add(ONES * 6) & !LOW_NIBBLES == ONES * 0x30);
    let value = word.wrapping_sub(ONES * 0x30);
    let pairs = value.wrapping_mul(10).wrapping_add(value >> 8);
    let value = (pairs & 0x0000_00ff_0000_00ff)
        .wrapping_mul(100 + (1_000_000 << 32))
        .wrapping_add(((pairs >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    (value, digits)
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
    Entries { rest: value }
}

/// The length of a canonical `v1` entry: `v1,` and 44 characters of base64.
const V1_ENTRY_LEN: usize = 3 + 44;

/// The iterator of [`signature_entries`].
struct Entries<'a> {
    /// What is left of the header value after the entries already yielded.
    rest: &'a [u8],
}

impl<'a> Iterator for Entries<'a> {
    type Item = SignatureEntry<'a>;

    fn next(&mut self) -> Option<SignatureEntry<'a>> {
        let start = self.rest.iter().position(|&b| b != b' ')?;
        self.rest = &self.rest[start..];
        // The fast path: a canonical `v1` entry is decoded without scanning for the space
        // that ends it or the comma inside it. Base64 holds neither, so when its 44
        // characters decode and a space or the end follows, the entry is exactly those 47
        // bytes, as the scan would have found; otherwise the scan below decides.
        if let Some(text) = canonical_v1_text(self.rest)
            && let Some(tag) = decode_canonical::<32>(text)
        {
            self.rest = &self.rest[V1_ENTRY_LEN..];
            return Some(SignatureEntry::V1(tag));
        }
        let end = self
            .rest
            .iter()
            .position(|&b| b == b' ')
            .unwrap_or(self.rest.len());
        let (entry, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(parse_entry(entry))
    }
}

/// The 44 base64 characters of the `v1` entry that `rest` starts with, when the entry has
/// the canonical shape: `v1,`, 44 characters, then a space or the end. Whether they decode
/// is for the caller to find out.
fn canonical_v1_text(rest: &[u8]) -> Option<&[u8; 44]> {
    let text = rest.get(..V1_ENTRY_LEN)?.strip_prefix(b"v1,")?;
    rest.get(V1_ENTRY_LEN)
        .is_none_or(|&b| b == b' ')
        .then(|| text.try_into().ok())?
}

/// The tag of the first entry of a signature list, when that entry is a canonical `v1`
/// entry, decoded as words (the verifier's fast path for the usual delivery).
pub fn leading_v1_words(signatures: &[u8]) -> Option<TagWords> {
    decode_v1_words(canonical_v1_text(signatures)?)
}

fn parse_entry(entry: &[u8]) -> SignatureEntry<'_> {
    let Some(comma) = entry.iter().position(|&b| b == b',') else {
        return SignatureEntry::Malformed(Malformed::NoComma);
    };
    let (version, signature) = (&entry[..comma], &entry[comma + 1..]);
    match version {
        b"v1" => {
            decode_fixed::<32>(signature).map_or_else(SignatureEntry::Malformed, SignatureEntry::V1)
        }
        b"v1a" => decode_fixed::<64>(signature)
            .map_or_else(SignatureEntry::Malformed, SignatureEntry::V1a),
        _ => SignatureEntry::Unknown { version },
    }
}

/// Decodes canonical padded standard base64 into exactly `N` bytes, or says why the text
/// is malformed: a second `,` first, then a wrong length, then anything else.
fn decode_fixed<const N: usize>(text: &[u8]) -> Result<[u8; N], Malformed> {
    // The common case first. Canonical base64 holds no `,`, so a text the fast decoder
    // accepts needs no comma check, and one it refuses is classified below.
    if let Some(decoded) = decode_canonical::<N>(text) {
        return Ok(decoded);
    }
    if text.contains(&b',') {
        return Err(Malformed::ExtraComma);
    }
    // The fast path accepts every canonical encoding of N bytes (its unit test below
    // proves it), so what reaches here is malformed: valid base64 of another length, or
    // not canonical base64 at all.
    Err(if STANDARD.decode(text).is_ok() {
        Malformed::WrongLength
    } else {
        Malformed::BadBase64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time id check agrees with the table on every byte at every position
    /// of ids of every length up to 24 (whole words, words and a tail, shorter than a word).
    #[test]
    fn the_id_word_check_agrees_with_the_table() {
        let by_table = |id: &[u8]| !id.is_empty() && id.iter().all(|&b| ID_BYTE[usize::from(b)]);
        for len in 0..=24 {
            for position in 0..len.max(1) {
                for byte in 0..=255u8 {
                    let mut id = vec![b'a'; len];
                    if let Some(slot) = id.get_mut(position) {
                        *slot = byte;
                    }
                    assert_eq!(is_valid_id(&id), by_table(&id), "{id:?}");
                }
            }
        }
    }

    /// Eight digits at a time give the value of the digit-by-digit loop, and any non-digit
    /// at any position of a timestamp of any length is refused.
    #[test]
    fn the_eight_digit_parse_agrees_with_checked_arithmetic() {
        let by_digits = |text: &[u8]| -> Option<u64> {
            if text.is_empty() || text[0] == b'0' {
                return None;
            }
            text.iter().try_fold(0u64, |acc, &b| {
                b.is_ascii_digit().then_some(())?;
                acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
            })
        };
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for len in 1..=20 {
            for _ in 0..200 {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let text: Vec<u8> = (0..len)
                    .map(|i| b'0' + ((seed >> (i * 3 % 61)) % 10) as u8)
                    .collect();
                assert_eq!(parse_timestamp(&text), by_digits(&text), "{text:?}");
                for byte in [b'/', b':', b' ', b'.', 0x30 + 0x80, b'\x06', b'?'] {
                    let mut bad = text.clone();
                    bad[(seed as usize) % len] = byte;
                    assert_eq!(parse_timestamp(&bad), None, "{bad:?}");
                }
            }
        }
        assert_eq!(parse_timestamp(b"12345678"), Some(12_345_678));
        assert_eq!(
            parse_timestamp(b"9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        assert_eq!(parse_timestamp(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_timestamp(b"18446744073709551616"), None);
    }

    /// Only a canonical `v1` entry at the very start of the list takes the word path.
    #[test]
    fn leading_v1_words_takes_only_a_canonical_first_entry() {
        let entry = crate::sign::entry_v1(
            &crate::Secret::from_bytes(&[7; 32]).unwrap(),
            b"msg_1",
            b"1700000000",
            b"{}",
        );
        assert!(leading_v1_words(entry.as_bytes()).is_some());
        assert!(leading_v1_words(format!("{entry} v1,x").as_bytes()).is_some());
        assert_eq!(leading_v1_words(format!("{entry}x").as_bytes()), None);
        assert_eq!(leading_v1_words(format!(" {entry}").as_bytes()), None);
        assert_eq!(leading_v1_words(&entry.as_bytes()[..46]), None);
    }

    /// The entry fast path takes exactly the length of a real `v1` entry.
    #[test]
    fn a_v1_entry_is_v1_entry_len_bytes() {
        let secret = crate::Secret::from_bytes(&[7; 32]).unwrap();
        let entry = crate::sign::entry_v1(&secret, b"msg_1", b"1700000000", b"{}");
        assert_eq!(entry.len(), V1_ENTRY_LEN);
        assert!(entry.starts_with("v1,"));
    }
}
