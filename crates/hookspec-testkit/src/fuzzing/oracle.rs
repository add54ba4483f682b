//! Independent, deliberately simple restatements of the strict profile, used as oracles.
//!
//! Each function here is written from the strict profile's rules (docs/src/strict-profile.md), not from the production code: a
//! hand-written base64 decoder instead of the `base64` crate (whose default engine is SIMD),
//! `str` predicates instead of byte loops, one concatenated buffer and `Mac::verify_slice`
//! instead of streamed HMAC and `subtle`, `i128` arithmetic instead of saturating `u64`. The
//! fuzz targets assert that production and oracle agree on every input.

use hmac::{KeyInit as _, Mac as _};

use hookspec::internal::{Malformed, SignatureEntry};
use hookspec::{
    LengthPolicy, SVIX_ID, SVIX_SIGNATURE, SVIX_TIMESTAMP, Scheme, Verified, VerifyError,
    WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP, internal,
};

/// Decodes canonical padded standard base64 (RFC 4648 section 4): length a multiple of 4,
/// `=` only as the last one or two characters, zero trailing bits.
pub fn base64_canonical(text: &[u8]) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        Some(u32::from(v))
    }
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let quads = text.len() / 4;
    let mut out = Vec::with_capacity(quads * 3);
    for (i, quad) in text.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = (n << 6) | sextet(c)?;
        }
        n <<= 6 * pad;
        let keep = 3 - pad;
        let trailing_mask = (1u32 << (24 - 8 * keep)) - 1;
        if n & trailing_mask != 0 {
            return None;
        }
        out.extend_from_slice(&n.to_be_bytes()[1..1 + keep]);
    }
    Some(out)
}

/// The strict timestamp grammar: `[1-9][0-9]*` that fits in `u64`.
pub fn timestamp(text: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(text).ok()?;
    let digits_only = !text.is_empty() && text.chars().all(|c| c.is_ascii_digit());
    if !digits_only || text.starts_with('0') {
        return None;
    }
    text.parse().ok()
}

/// The strict id grammar: one or more visible ASCII characters, none of them `.`.
pub fn id(text: &[u8]) -> bool {
    std::str::from_utf8(text)
        .is_ok_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_graphic() && c != '.'))
}

/// Classifies one (non-empty) entry of a signature list.
pub fn entry(piece: &[u8]) -> SignatureEntry<'_> {
    let Some(comma) = piece.iter().position(|&b| b == b',') else {
        return SignatureEntry::Malformed(Malformed::NoComma);
    };
    let (version, rest) = (&piece[..comma], &piece[comma + 1..]);
    let expected_len = match version {
        b"v1" => 32,
        b"v1a" => 64,
        _ => return SignatureEntry::Unknown { version },
    };
    if rest.contains(&b',') {
        return SignatureEntry::Malformed(Malformed::ExtraComma);
    }
    match base64_canonical(rest) {
        None => SignatureEntry::Malformed(Malformed::BadBase64),
        Some(bytes) if bytes.len() != expected_len => {
            SignatureEntry::Malformed(Malformed::WrongLength)
        }
        Some(bytes) if expected_len == 32 => {
            SignatureEntry::V1(bytes.try_into().expect("length checked"))
        }
        Some(bytes) => SignatureEntry::V1a(bytes.try_into().expect("length checked")),
    }
}

/// The entries of a signature list: split on single spaces, empty pieces dropped.
pub fn entries(value: &[u8]) -> Vec<SignatureEntry<'_>> {
    value
        .split(|&b| b == b' ')
        .filter(|piece| !piece.is_empty())
        .map(entry)
        .collect()
}

/// What a key parser must return for `text`, up to and including base64 decoding: the
/// decoded bytes, or the error code. `prefix` is the key kind's own prefix.
pub fn key_text(text: &str, prefix: &str) -> Result<Vec<u8>, &'static str> {
    const PREFIXES: [&str; 3] = ["whsec_", "whsk_", "whpk_"];
    if text.is_empty() {
        return Err("empty_key");
    }
    let rest = match text.strip_prefix(prefix) {
        Some(rest) => rest,
        None if PREFIXES.iter().any(|p| text.starts_with(p)) => return Err("wrong_key_prefix"),
        None if text.contains(prefix) => return Err("misplaced_key_prefix"),
        None => text,
    };
    base64_canonical(rest.as_bytes()).ok_or("invalid_key_base64")
}

/// What `Secret::parse_with(text, policy)` must return: the key bytes or the error code.
pub fn secret(text: &str, policy: LengthPolicy) -> Result<Vec<u8>, &'static str> {
    let bytes = key_text(text, "whsec_")?;
    match (bytes.len(), policy) {
        (0, _) => Err("empty_key"),
        (..24, LengthPolicy::Spec) => Err("secret_too_short"),
        (65.., LengthPolicy::Spec) => Err("secret_too_long"),
        _ => Ok(bytes),
    }
}

/// The keys a model verifier trusts.
#[derive(Debug, Clone, Default)]
pub struct ModelKeys {
    /// HMAC keys (`v1`), in the order the verifier trusts them.
    pub secrets: Vec<Vec<u8>>,
    /// Ed25519 public keys (`v1a`), in the order the verifier trusts them.
    pub public_keys: Vec<[u8; 32]>,
}

/// The strict profile's verification, restated: what `Verifier::verify_at` must return.
pub fn verify(
    keys: &ModelKeys,
    headers: &[(String, Vec<u8>)],
    body: &[u8],
    now: u64,
    tolerance: u64,
    svix_aliases: bool,
) -> Result<Verified, VerifyError> {
    const WEBHOOK: [&str; 3] = [WEBHOOK_ID, WEBHOOK_TIMESTAMP, WEBHOOK_SIGNATURE];
    const SVIX: [&str; 3] = [SVIX_ID, SVIX_TIMESTAMP, SVIX_SIGNATURE];
    if keys.secrets.is_empty() && keys.public_keys.is_empty() {
        return Err(VerifyError::NoKeysConfigured);
    }
    let values = |name: &str| -> Vec<&[u8]> {
        headers
            .iter()
            .filter(|(n, _)| n.to_ascii_lowercase() == name)
            .map(|(_, v)| v.as_slice())
            .collect()
    };
    let present = |names: [&str; 3]| names.iter().any(|n| !values(n).is_empty());
    let svix = svix_aliases && !present(WEBHOOK) && present(SVIX);
    let [id_name, ts_name, sig_name] = if svix { SVIX } else { WEBHOOK };
    let single = |name: &'static str, missing: VerifyError| -> Result<&[u8], VerifyError> {
        let all = values(name);
        match all.first() {
            None => Err(missing),
            Some(first) if all.iter().all(|v| v == first) => Ok(first),
            Some(_) => Err(VerifyError::ConflictingHeaders { header: name }),
        }
    };

    let id_text = single(id_name, VerifyError::MissingId)?;
    if !id(id_text) {
        return Err(VerifyError::InvalidId);
    }
    let ts_text = single(ts_name, VerifyError::MissingTimestamp)?;
    let ts = timestamp(ts_text).ok_or(VerifyError::InvalidTimestamp)?;
    let skew = i128::from(ts) - i128::from(now);
    if skew < -i128::from(tolerance) {
        return Err(VerifyError::TimestampTooOld {
            age: now - ts,
            tolerance,
        });
    }
    if skew > i128::from(tolerance) {
        return Err(VerifyError::TimestampTooNew {
            ahead: ts - now,
            tolerance,
        });
    }
    let list = single(sig_name, VerifyError::MissingSignature)?;

    let content = [id_text, b".", ts_text, b".", body].concat();
    let (mut count, mut unknown, mut malformed, mut unusable, mut tried) = (0, 0, 0, 0, 0);
    for (entry_index, parsed) in entries(list).into_iter().enumerate() {
        count += 1;
        let matched = match parsed {
            SignatureEntry::V1(tag) if !keys.secrets.is_empty() => {
                tried += 1;
                keys.secrets
                    .iter()
                    .position(|key| {
                        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key)
                            .expect("HMAC takes any key");
                        mac.update(&content);
                        mac.verify_slice(&tag).is_ok()
                    })
                    .map(|i| (Scheme::V1, i))
            }
            SignatureEntry::V1a(sig) if !keys.public_keys.is_empty() => {
                tried += 1;
                let sig = ed25519_dalek::Signature::from_bytes(&sig);
                keys.public_keys
                    .iter()
                    .position(|pk| {
                        ed25519_dalek::VerifyingKey::from_bytes(pk)
                            .is_ok_and(|pk| pk.verify_strict(&content, &sig).is_ok())
                    })
                    .map(|i| (Scheme::V1a, i))
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
            other => unreachable!("the model knows no signature entry {other:?}"),
        };
        if let Some((scheme, key_index)) = matched {
            return Ok(internal::verified(
                std::str::from_utf8(id_text).expect("ids are ASCII"),
                ts,
                internal::matched_key(scheme, key_index, entry_index),
                svix,
            ));
        }
    }
    Err(if count == 0 {
        VerifyError::MissingSignature
    } else if tried == 0 {
        VerifyError::NoSupportedSignature {
            entries: count,
            unknown,
            malformed,
            unusable,
        }
    } else {
        VerifyError::NoMatchingSignature { tried }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_oracle_agrees_with_known_encodings() {
        assert_eq!(base64_canonical(b""), Some(vec![]));
        assert_eq!(base64_canonical(b"Zg=="), Some(b"f".to_vec()));
        assert_eq!(base64_canonical(b"Zm8="), Some(b"fo".to_vec()));
        assert_eq!(base64_canonical(b"Zm9v"), Some(b"foo".to_vec()));
        assert_eq!(base64_canonical(b"+/+/"), Some(vec![0xfb, 0xff, 0xbf]));
        for bad in [
            &b"Zg"[..],
            b"Zh==",
            b"Zm9=",
            b"Z===",
            b"====",
            b"Zg==Zg==",
            b"Zm9v\n",
            b"-_-_",
            b"Zm=v",
        ] {
            assert_eq!(
                base64_canonical(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn timestamp_and_id_oracles() {
        assert_eq!(timestamp(b"1614265330"), Some(1_614_265_330));
        assert_eq!(timestamp(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b""[..],
            b"0",
            b"01",
            b"+1",
            b"-1",
            b" 1",
            b"1.0",
            b"18446744073709551616",
        ] {
            assert_eq!(timestamp(bad), None);
        }
        assert!(id(b"msg_1"));
        assert!(!id(b""));
        assert!(!id(b"a.b"));
        assert!(!id(b"a b"));
        assert!(!id("ü".as_bytes()));
    }
}
