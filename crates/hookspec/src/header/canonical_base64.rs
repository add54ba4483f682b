//! Canonical padded standard base64, decoded fast: the signature entries of the strict
//! profile hold nothing else, so the header grammar decodes them here and leaves only the
//! classification of a malformed entry to the general decoder (`decode_fixed`).

/// What a character that is not in the standard base64 alphabet (`=` included) decodes to:
/// bits above the 24 of a group, so one such character anywhere shows in the OR of all.
const INVALID: u32 = 0xff00_0000;

/// The value of every byte as the `k`-th character of a 4-character group, already shifted
/// into place (`18 - 6k` bits), or [`INVALID`]: one lookup and one OR per character.
const BASE64_GROUP: [[u32; 256]; 4] = {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut tables = [[INVALID; 256]; 4];
    let mut k = 0;
    while k < 4 {
        let mut i = 0;
        while i < alphabet.len() {
            tables[k][alphabet[i] as usize] = (i as u32) << (18 - 6 * k);
            i += 1;
        }
        k += 1;
    }
    tables
};

/// The 24-bit group of up to four characters (fewer at the padded end), with [`INVALID`]
/// bits set when any is not a base64 character.
fn group(chars: &[u8]) -> u32 {
    chars
        .iter()
        .zip(&BASE64_GROUP)
        .fold(0, |n, (&c, table)| n | table[usize::from(c)])
}

/// The fast path of `decode_fixed`: `Some` only when `text` is exactly the canonical
/// padded encoding of `N` bytes, which is what a valid entry always is. Anything else
/// returns `None` and takes the general decoder, which classifies the error, so this
/// function can only ever accept what that decoder accepts.
pub(super) fn decode_canonical<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    let groups = N / 3;
    if text.len() != N.div_ceil(3) * 4 {
        return None;
    }
    let mut out = [0u8; N];
    let mut seen = 0u32;
    let (quads, _) = text.as_chunks::<4>();
    let (triples, _) = out.as_chunks_mut::<3>();
    for (quad, triple) in quads.iter().zip(triples.iter_mut()) {
        let n = group(quad);
        seen |= n;
        let [_, a, b, c] = n.to_be_bytes();
        *triple = [a, b, c];
    }
    let tail = &text[groups * 4..];
    match N % 3 {
        0 => {}
        1 => {
            // `xx==`: 12 bits, of which the low 4 must be zero.
            let n = group(&tail[..2]);
            seen |= n;
            if n & 0x00_f000 != 0 || tail[2..] != *b"==" {
                return None;
            }
            out[N - 1] = (n >> 16) as u8;
        }
        _ => {
            // `xxx=`: 18 bits, of which the low 2 must be zero.
            let n = group(&tail[..3]);
            seen |= n;
            if n & 0x00_00c0 != 0 || tail[3] != b'=' {
                return None;
            }
            out[N - 2] = (n >> 16) as u8;
            out[N - 1] = (n >> 8) as u8;
        }
    }
    (seen & INVALID == 0).then_some(out)
}

/// A `v1` tag as four native-endian words: its bytes `8k..8k + 8` are word `k`, as
/// `u64::from_ne_bytes` reads them.
pub type TagWords = [u64; 4];

/// Decodes the canonical padded base64 of a 32-byte tag into words, assembled in registers.
///
/// [`decode_canonical`] writes its output a few bytes at a time, and the wide loads that
/// read the tag right after cannot be served from those small pending stores: the processor
/// stalls until they reach the cache (a failed store-to-load forwarding). On the 64-byte hot
/// path that stall cost as much as the decoding. Here the eleven 24-bit groups are shifted
/// into four words instead, which the comparison takes as they are.
pub(super) fn decode_v1_words(text: &[u8; 44]) -> Option<TagWords> {
    let (quads, _) = text.as_chunks::<4>();
    let n: [u64; 10] = std::array::from_fn(|i| u64::from(group(&quads[i])));
    // The tail `xxx=`: 18 bits, of which the low 2 must be zero.
    let tail = u64::from(group(&text[40..43]));
    let seen = n.iter().fold(tail, |seen, n| seen | n);
    if seen & u64::from(INVALID) != 0 || tail & 0xc0 != 0 || text[43] != b'=' {
        return None;
    }
    Some(tag_words(&n, tail))
}

/// The tag's words from its ten whole 24-bit groups and the 16 bits of its tail (in bits
/// 23..8 of `tail`), none with [`INVALID`] bits: bytes 0..8 are groups 0 and 1 and the first
/// two bytes of group 2, and so on. Each group lands in its own bits of a word.
fn tag_words(n: &[u64; 10], tail: u64) -> TagWords {
    let big_endian = [
        n[0] << 40 | n[1] << 16 | n[2] >> 8,
        (n[2] & 0xff) << 56 | n[3] << 32 | n[4] << 8 | n[5] >> 16,
        (n[5] & 0xffff) << 48 | n[6] << 24 | n[7],
        n[8] << 40 | n[9] << 16 | tail >> 8,
    ];
    big_endian.map(u64::to_be)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    /// The word decoder gives the bytes of the byte decoder, and refuses what it refuses.
    #[test]
    fn the_word_decoder_agrees_with_the_byte_decoder() {
        for seed in 0..=255u8 {
            let tag: [u8; 32] =
                std::array::from_fn(|i| seed.wrapping_mul(29) ^ (i as u8).wrapping_mul(11));
            let text: [u8; 44] = STANDARD.encode(tag).into_bytes().try_into().unwrap();
            let words = decode_v1_words(&text).unwrap();
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
            assert_eq!(bytes, tag);
            for (position, byte) in [(0, b'*'), (17, b'='), (39, b'.'), (42, b'B'), (43, b'A')] {
                let mut bad = text;
                bad[position] = byte;
                assert_eq!(decode_v1_words(&bad), None, "{position} {byte}");
                assert_eq!(decode_canonical::<32>(&bad), None, "{position} {byte}");
            }
            // Two bad characters, in different groups, are as bad as one.
            let mut bad = text;
            bad[1] = b'*';
            bad[41] = b'-';
            assert_eq!(decode_v1_words(&bad), None);
        }
    }

    /// The fast path must accept every canonical encoding by itself: were it to refuse one,
    /// the general decoder would still accept it, so only the time would show (and this test).
    #[test]
    fn the_fast_decoder_accepts_canonical_text() {
        for seed in 0..=255u8 {
            let tag: [u8; 32] =
                std::array::from_fn(|i| seed.wrapping_mul(31) ^ (i as u8).wrapping_mul(7));
            let text = STANDARD.encode(tag);
            assert_eq!(decode_canonical::<32>(text.as_bytes()), Some(tag), "{text}");
            let sig: [u8; 64] =
                std::array::from_fn(|i| seed.wrapping_add((i as u8).wrapping_mul(13)));
            let text = STANDARD.encode(sig);
            assert_eq!(decode_canonical::<64>(text.as_bytes()), Some(sig), "{text}");
        }
        assert_eq!(decode_canonical::<3>(b"AQID"), Some([1, 2, 3]));
        assert_eq!(decode_canonical::<3>(b"AQI="), None);
        assert_eq!(decode_canonical::<2>(b"AQI="), Some([1, 2]));
        assert_eq!(decode_canonical::<1>(b"AQ=="), Some([1]));
        assert_eq!(decode_canonical::<1>(b"AQ="), None);
        assert_eq!(decode_canonical::<1>(b"AQ=A"), None);
        assert_eq!(decode_canonical::<2>(b"AQIA"), None);
    }
}
